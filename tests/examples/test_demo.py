"""examples/demo.cfg: SIP requests queued, a timer worker taking them one at a time,
SQLite keeping the rest across a restart (scripts/demo runs it as a real server)."""
from kamlite.testing import Harness, assert_logged, assert_no_reply, assert_reply

from .conftest import example


def test_requests_are_queued_and_worked_through_across_a_restart(tmp_path):
    h = Harness(example("demo.cfg"), workdir=str(tmp_path))
    try:
        callids = []
        for user in ("alice", "bob", "carol"):
            r = h.send(h.request("INVITE", "sip:queue@127.0.0.1", from_=f"<sip:{user}@x>"))
            assert_reply(r, 200, "Queued")
            callids.append(r.message.callid)
        assert_logged(r, f"queued INVITE from carol ({callids[2]}), 3 waiting")
        assert_no_reply(h.send(h.request("ACK", "sip:queue@127.0.0.1")))
        t = h.tick("worker")
        assert t.logs == [f"worker took {callids[0]}: INVITE from alice (2 left)"]
        h.restart()                           # dbmode=1: saved at shutdown, loaded at startup
        assert h.queue("calls") == [(callids[1], "INVITE from bob"), (callids[2], "INVITE from carol")]
        assert [r.logs for r in h.advance(2.0)] == [[f"worker took {callids[1]}: INVITE from bob (1 left)"],
                                                    [f"worker took {callids[2]}: INVITE from carol (0 left)"]]
        assert (tmp_path / "kamlite-demo.db").exists()
    finally:
        h.close()


def test_config_checks(check_configs, tmp_path):
    import sqlite3
    con = sqlite3.connect(tmp_path / "kamlite-demo.db")     # Kamailio loads the table even with -c
    con.execute('CREATE TABLE calls (id INTEGER PRIMARY KEY AUTOINCREMENT, key VARCHAR(64) DEFAULT "" '
                'NOT NULL, val VARCHAR(4096) DEFAULT "" NOT NULL)')
    con.commit()
    con.close()
    check_configs("demo.cfg", cwd=str(tmp_path))
