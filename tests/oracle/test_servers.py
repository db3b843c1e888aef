"""Whole configs with timer processes and shared queues: kamlite against real Kamailio.

Each config runs under both; the '<script>' lines (with the process index that printed
them) must be the same.  Only one process prints at a time in these configs, so the order
is deterministic.
"""
import pytest

from ..conftest import need_program
from . import server_run as S

HEAD = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:@PORT@
loadpath "@MODULES@"
loadmodule "pv.so"
loadmodule "xlog.so"
"""

CONFIGS = {
    # a worker fills the queue, a timer process drains it (the mqueue manual's example)
    "producer_and_timer_consumer": (HEAD + """
loadmodule "mqueue.so"
loadmodule "rtimer.so"
modparam("mqueue", "mqueue", "name=calls;size=1000")
modparam("rtimer", "timer", "name=drain;interval=200000u;mode=1;")
modparam("rtimer", "exec", "timer=drain;route=DRAIN")
request_route { exit; }
event_route[core:worker-one-init] {
  $var(i) = 0;
  while ($var(i) < 5) { mq_add("calls", "k$var(i)", "v$var(i)"); $var(i) = $var(i) + 1; }
  xlog("L_INFO", "queued $mq_size(calls)\\n");
  $shv(ready) = 1;
}
route[DRAIN] {
  if ($shv(ready) != 1) return;
  while (mq_fetch("calls")) { xlog("L_INFO", "$mqk(calls) -> $mqv(calls) worker=$rtimer_worker\\n"); }
  xlog("L_INFO", "drained, size=$mq_size(calls) rc=$rc\\n");
  $shv(ready) = 2;
}
""", "drained"),
    # several exec lines on one timer run in reverse order; timer names ignore case
    "exec_order_and_names": (HEAD + """
loadmodule "rtimer.so"
modparam("rtimer", "timer", "name=T1;interval=300000u;mode=1;")
modparam("rtimer", "exec", "timer=t1;route=FIRST")
modparam("rtimer", "exec", "timer=T1;route=SECOND")
modparam("rtimer", "exec", "timer=t1;route=NOSUCHROUTE")
request_route { exit; }
route[FIRST] { $var(n) = $var(n) + 1; xlog("L_INFO", "first n=$var(n)\\n"); if ($var(n) == 2) xlog("L_INFO", "done\\n"); }
route[SECOND] { xlog("L_INFO", "second\\n"); }
""", "done"),
    # the faked message keeps its flags between ticks, AVPs do not survive, $var does
    "timer_context_between_ticks": (HEAD + """
loadmodule "rtimer.so"
modparam("rtimer", "timer", "name=t;interval=200000u;mode=1;")
modparam("rtimer", "exec", "timer=t;route=TICK")
request_route { exit; }
route[TICK] {
  $var(n) = $var(n) + 1;
  xlog("L_INFO", "tick $var(n) flag3=$(var(f)) avp=$avp(a) rc=$rc\\n");
  if (isflagset(3)) { $var(f) = 1; } else { $var(f) = 0; }
  xlog("L_INFO", "flag3 set before this tick: $var(f)\\n");
  setflag(3);
  $avp(a) = "set";
  if ($var(n) == 3) xlog("L_INFO", "done\\n");
}
""", "done"),
    # mode 0 runs in the core slow timer process (its index shows in the log prefix)
    "mode_zero_runs_in_slow_timer": (HEAD + """
loadmodule "rtimer.so"
modparam("rtimer", "timer", "name=slow;interval=1;mode=0;")
modparam("rtimer", "exec", "timer=slow;route=SLOW")
modparam("rtimer", "timer", "name=own;interval=100000u;mode=1;")
modparam("rtimer", "exec", "timer=own;route=OWN")
request_route { exit; }
route[SLOW] { if ($shv(slow) == 0) { xlog("L_INFO", "slow worker=$rtimer_worker\n"); $shv(slow) = 1; } }
route[OWN] { if ($shv(slow) == 1) { xlog("L_INFO", "own worker=$rtimer_worker\n"); $shv(slow) = 2; } }
""", "own worker"),
    # $shv values are shared: a worker writes, a timer process reads
    "shared_variables": (HEAD + """
loadmodule "rtimer.so"
modparam("pv", "shvset", "greeting=s:hi")
modparam("rtimer", "timer", "name=t;interval=300000u;mode=1;")
modparam("rtimer", "exec", "timer=t;route=READ")
request_route { exit; }
event_route[core:worker-one-init] { $shv(n) = 41; $shv(s) = "from worker"; }
route[READ] { $shv(n) = $shv(n) + 1; xlog("L_INFO", "n=$shv(n) s=$shv(s) greeting=$shv(greeting)\\n"); }
""", "n=42"),
}


@pytest.fixture(scope="module")
def kamailio():
    return need_program("kamailio", "kamailio")


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_same_script_lines_as_kamailio(kamailio, name):
    cfg, marker = CONFIGS[name]
    real = S.run("kamailio", cfg, marker)
    ours = S.run("kamlite", cfg, marker)
    assert real["found"], real["stderr"]
    assert ours["found"], ours["stderr"]
    assert ours["script"] == real["script"]


EXAMPLES = {"hello.cfg": "counts as true", "queue.cfg": "took job-5"}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_print_what_kamailio_prints(kamailio, name):
    import os
    import re
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", name)
    text = open(path).read()
    text = re.sub(r"listen=udp:127\.0\.0\.1:\d+", "listen=udp:127.0.0.1:@PORT@\ndisable_tcp=yes", text)
    text = text.replace('loadmodule "pv.so"', 'loadpath "@MODULES@"\nloadmodule "pv.so"', 1)
    real = S.run("kamailio", text, EXAMPLES[name])
    ours = S.run("kamlite", text, EXAMPLES[name])
    assert real["found"] and ours["found"]
    assert ours["script"] == real["script"]


DB_CFG = HEAD + """
loadmodule "db_sqlite.so"
loadmodule "mqueue.so"
modparam("mqueue", "db_url", "sqlite:///@DB@")
modparam("mqueue", "mqueue", "name=q1;dbmode=@DBMODE@")
request_route { exit; }
event_route[core:worker-one-init] {
  xlog("L_INFO", "start size=$mq_size(q1)\\n");
  if (mq_fetch("q1")) { xlog("L_INFO", "fetched $mqk(q1)\\n"); }
  mq_add("q1", "k1", "v1"); mq_add("q1", "k2", "v2"); mq_add("q1", "k3", "v3");
  xlog("L_INFO", "ready size=$mq_size(q1)\\n");
}
"""
SCHEMA = ('CREATE TABLE q1 (id INTEGER PRIMARY KEY AUTOINCREMENT, key varchar(64) DEFAULT "" NOT NULL, '
          'val varchar(4096) DEFAULT "" NOT NULL)')


def _table_after_runs(which, dbmodes, tmp_path):
    import sqlite3
    path = tmp_path / f"{which}.db"
    conn = sqlite3.connect(path)
    conn.execute(SCHEMA)
    conn.commit()
    conn.close()
    seen = []
    for mode in dbmodes:
        cfg = DB_CFG.replace("@DB@", str(path).lstrip("/").join(["/", ""])).replace("@DBMODE@", str(mode))
        res = S.run(which, cfg, "ready size")
        assert res["found"], res["stderr"]
        conn = sqlite3.connect(path)
        seen.append((res["script"], conn.execute("select id, key, val from q1 order by id").fetchall()))
        conn.close()
    return seen


@pytest.mark.parametrize("dbmodes", [(1, 1), (3, 3), (2, 2), (1, 3, 2, 1)])
def test_database_rows_as_kamailio_leaves_them(kamailio, dbmodes, tmp_path):
    """The table after each run, and what each run loaded, match Kamailio's with db_sqlite."""
    import os
    if not os.path.exists(os.path.join(S.K.MODULE_DIR, "db_sqlite.so")):
        from ..conftest import REQUIRE_EXTERNAL
        msg = "Kamailio's db_sqlite module is missing (Debian package kamailio-sqlite-modules)"
        pytest.fail(msg) if REQUIRE_EXTERNAL else pytest.skip(msg)
    real = _table_after_runs("kamailio", dbmodes, tmp_path)
    ours = _table_after_runs("kamlite", dbmodes, tmp_path)
    assert ours == real
