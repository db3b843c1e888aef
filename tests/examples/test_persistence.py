"""examples/persistence.cfg (lesson 5): an mqueue with dbmode=1 in SQLite keeps its
items across restarts."""
import os
import sqlite3

import pytest

from kamlite.testing import Harness, assert_logged, assert_reply
from tests.conftest import need_program
from tests.oracle import kamailio_run as K
from tests.testing.differential import Pair, example_text, normalized

from .conftest import example

SCHEMA = ('CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, key VARCHAR(64) DEFAULT "" NOT NULL, '
          'val VARCHAR(4096) DEFAULT "" NOT NULL)')


def note(h, text, user="ann"):
    return h.send(h.request("MESSAGE", "sip:notes@127.0.0.1", from_=f"<sip:{user}@x>", body=text))


def test_notes_survive_a_restart(tmp_path):
    h = Harness(example("persistence.cfg"), workdir=str(tmp_path))
    try:
        assert h.startup.logs == ["0 notes kept from the last run"]
        r = note(h, "buy milk")
        assert_reply(r, 202, "Queued")
        assert_logged(r, "note from ann queued, 1 waiting")
        note(h, "call bob", user="cid")
        # stop: the queue is saved in the table; start: loaded back (and the rows deleted)
        h.restart()
        assert h.startup.logs == ["2 notes kept from the last run"]
        assert h.queue("notes") == [("ann", "buy milk"), ("cid", "call bob")]
        db = tmp_path / "kamlite-persistence.db"
        assert sqlite3.connect(db).execute("select count(*) from notes").fetchone() == (0,)
        r = h.send(h.request("OPTIONS", "sip:next@127.0.0.1"))
        assert_reply(r, 200, "From ann: buy milk")
        h.close()
        rows = sqlite3.connect(db).execute("select key, val from notes order by id").fetchall()
        assert rows == [("cid", "call bob")]
        h.restart()
        assert_reply(h.send(h.request("OPTIONS", "sip:next@127.0.0.1")), 200, "From cid: call bob")
        assert_reply(h.send(h.request("OPTIONS", "sip:next@127.0.0.1")), 404, "No notes")
        assert_reply(h.send(h.request("OPTIONS", "sip:count@127.0.0.1")), 200, "Notes waiting: 0")
    finally:
        h.close()


def test_without_a_database():
    # dropping db_url is not enough: a dbmode=1 queue needs one (as in Kamailio) ...
    with pytest.raises(Exception, match="dbmode=1.*db_url is not set"):
        Harness(example("persistence.cfg"), params={("mqueue", "db_url"): None})
    # ... so a test without a database redefines the queue as well
    params = {("mqueue", "db_url"): None, ("mqueue", "mqueue"): None,
              ("mqueue", "mqueue_name"): "notes"}
    with Harness(example("persistence.cfg"), params=params) as h:
        assert_reply(note(h, "x"), 202)
        assert h.queue("notes") == [("ann", "x")]


def _kamailio_sqlite():
    need_program("kamailio", "kamailio")
    if not os.path.exists(os.path.join(K.MODULE_DIR, "db_sqlite.so")):
        pytest.skip("Kamailio's db_sqlite module is not installed (kamailio-sqlite-modules)")


def test_same_as_kamailio(tmp_path):
    _kamailio_sqlite()
    server_db, harness_db = tmp_path / "server.db", tmp_path / "harness.db"
    for path in (server_db, harness_db):
        con = sqlite3.connect(path)
        con.execute(SCHEMA)
        con.execute("insert into notes (key, val) values ('old', 'from before')")
        con.commit()
        con.close()
    text = example_text("persistence.cfg").replace(
        '#!trydef NOTES_DB "sqlite:///kamlite-persistence.db"', f'#!define NOTES_DB "sqlite:///{server_db}"')
    pair = Pair("kamailio", text, {"params": {("mqueue", "db_url"): f"sqlite:///{harness_db}"}})
    try:
        assert normalized(pair.startup_lines) == normalized(pair.harness_startup_lines)
        assert pair.h.startup.logs[-1] == "1 notes kept from the last run"
        for m in (pair.h.request("MESSAGE", "sip:notes@127.0.0.1", body="hello"),
                  pair.h.request("OPTIONS", "sip:next@127.0.0.1"),
                  pair.h.request("OPTIONS", "sip:count@127.0.0.1")):
            s = pair.send(m)
            assert s.server_to_client == s.harness_to_client
            assert normalized(s.server_lines) == normalized(s.result.lines)
    finally:
        pair.close()
    # both saved the same rows at shutdown
    rows = [sqlite3.connect(p).execute("select key, val from notes order by id").fetchall()
            for p in (server_db, harness_db)]
    assert rows[0] == rows[1] == [("tester", "hello")]


def test_config_checks(check_configs, tmp_path):
    _kamailio_sqlite()
    con = sqlite3.connect(tmp_path / "kamlite-persistence.db")   # Kamailio loads the table even with -c
    con.execute(SCHEMA)
    con.commit()
    con.close()
    check_configs("persistence.cfg", cwd=str(tmp_path))
