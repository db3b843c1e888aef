"""kamlite.testing.Harness: a config run in-process, one message (or timer tick) at a time."""
import os
import re

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.rpc import RpcFault
from kamlite.testing import Harness, Result, Sent, assert_logged, assert_reply, assert_routes, request

CFG = """#!KAMAILIO
debug=2
children=2
listen=udp:127.0.0.1:5060
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
loadmodule "mqueue.so"
loadmodule "rtimer.so"
#!ifdef WITH_DB
loadmodule "db_sqlite.so"
modparam("mqueue", "db_url", "sqlite:///harness.db")
#!endif
modparam("mqueue", "mqueue", "name=calls;size=10")
modparam("rtimer", "timer", "name=drain;interval=2;mode=1;")
modparam("rtimer", "exec", "timer=drain;route=DRAIN")
modparam("rtimer", "timer", "name=fast;interval=500000u;mode=2;")
modparam("rtimer", "exec", "timer=fast;route=FAST")

request_route {
  route(REQINIT);
  if ($rU == "queue") {
    route(QUEUE);
    exit;
  }
  if ($rU == "drop") drop;
  if ($rU == "fwd") {
    $du = "sip:127.0.0.1:5090";
    forward();
    exit;
  }
  sl_send_reply("404", "Not Here");
}
route[REQINIT] {
  $var(n) = $var(n) + 1;
  if ($rm == "ACK") exit;
}
route[QUEUE] {
  mq_add("calls", "$fU", "$rb");
  xlog("L_INFO", "queued $fU, $mq_size(calls) waiting, worker message $var(n)\\n");
  sl_send_reply("200", "OK");
}
route[DRAIN] {
  $var(n) = $var(n) + 1;
  while (mq_fetch("calls")) {
    xlog("L_INFO", "took $mqk(calls)=$mqv(calls) tick $var(n)\\n");
  }
  xlog("L_INFO", "drained, last item seen here: [$mqk(calls)]\\n");
}
route[FAST] {
  xlog("L_INFO", "fast worker $rtimer_worker\\n");
}
reply_route {
  xlog("L_INFO", "reply $rs from $si:$sp\\n");
  if ($rs == 183) drop;
}
"""


@pytest.fixture
def h():
    harness = Harness(text=CFG)
    yield harness
    harness.close()


def test_a_request_gives_replies_logs_rc_routes_and_trace(h):
    r = h.send(request("MESSAGE", "sip:queue@127.0.0.1", body="hi"))
    assert isinstance(r, Result)
    assert r.replies[0].status == 200 and r.replies[0].reason == "OK"
    assert r.reply is r.replies[-1] and r.reply.destination == ("127.0.0.1", 5070)
    assert r.forwarded == [] and not r.dropped and r.ran
    assert r.logs == ["queued tester, 1 waiting, worker message 1"]
    assert r.lines[0].startswith(" 1(") and r.lines[0].endswith("<script>: queued tester, 1 waiting, worker message 1\n")
    assert r.rc == 1
    assert r.routes == ["request", "REQINIT", "QUEUE"]
    assert [e.kind for e in r.trace][:3] == ["enter", "enter", "assign"]
    assert r.message.method == "MESSAGE"
    assert r.errors == []
    assert h.queue("calls") == [("tester", "hi")]
    assert h.last is r


def test_sent_messages_can_be_read(h):
    r = h.send(request("OPTIONS", "sip:nobody@127.0.0.1", call_id="abc"))
    s = r.reply
    assert isinstance(s, Sent) and s.kind == "reply" and s.is_reply
    assert (s.status, s.reason, s.method, s.uri) == (404, "Not Here", "OPTIONS", None)
    assert s.header("call-id") == "abc" and s.header("i") == "abc"
    assert s.header_values("Via")[0].startswith("SIP/2.0/UDP 127.0.0.1:5070;branch=")
    assert s.header("X-None") is None and s.body == ""
    assert s == ("reply", s.text, "127.0.0.1", 5070)
    assert "404 Not Here -> 127.0.0.1:5070" in repr(s)


def test_forwarding_and_replies_through_reply_route(h):
    r = h.send(request("INVITE", "sip:fwd@127.0.0.1"))
    assert r.replies == [] and len(r.forwarded) == 1
    fwd = r.forwarded[0]
    assert fwd.kind == "request" and fwd.destination == ("127.0.0.1", 5090) and fwd.method == "INVITE"
    assert fwd.header_values("Via")[0].startswith("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK")
    # the next hop answers: the reply goes through reply_route and back to the caller
    ring = h.send(h.reply(fwd, 180), source=("127.0.0.1", 5090))
    assert ring.logs == ["reply 180 from 127.0.0.1:5090"]
    assert ring.routes == ["reply"]
    assert [(s.kind, s.status, s.destination) for s in ring.forwarded] == [("forwarded-reply", 180, ("127.0.0.1", 5070))]
    assert ring.forwarded[0].header_values("Via") == [fwd.header_values("Via")[1]]
    early = h.send(h.reply(fwd, 183), source=("127.0.0.1", 5090))
    assert early.forwarded == [] and early.logs == ["reply 183 from 127.0.0.1:5090"]
    # a captured message (or a parsed one) can be sent in again as it is
    again = h.send(fwd, source=("127.0.0.1", 5090))
    assert again.message.buf == fwd.text
    assert len(again.forwarded[0].header_values("Via")) == 3          # sent on once more
    assert h.send(again.message).message.buf == fwd.text


def test_drop_exit_and_datagrams_the_worker_ignores(h):
    r = h.send(request("OPTIONS", "sip:drop@127.0.0.1"))
    assert r.sent == [] and r.ran and r.routes == ["request", "REQINIT"]
    ack = h.send(request("ACK", "sip:queue@127.0.0.1"))
    assert ack.sent == [] and ack.logs == []
    short = h.send(b"OPTIONS sip:x SIP/2.0\r\n\r\n")
    assert short.dropped and not short.ran and short.rc is None and short.routes == []
    junk = h.send(b"this is not SIP at all, but long enough\r\n\r\n")
    assert junk.dropped and junk.message is None and any("ERROR" in l for l in junk.lines)
    no_via = h.send("OPTIONS sip:x@y SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: 1\r\n"
                    "CSeq: 1 OPTIONS\r\n\r\n")
    assert no_via.dropped and not no_via.ran
    zero = h.send(request(), source=("127.0.0.1", 0))
    assert zero.dropped and "dropping 0 port packet" in zero.lines[0]


def test_source_address_and_listen_socket():
    cfg = CFG.replace("listen=udp:127.0.0.1:5060", "listen=udp:127.0.0.1:5060\nlisten=udp:127.0.0.1:5062")
    h = Harness(text=cfg.replace('sl_send_reply("404", "Not Here");', 'sl_send_reply("404", "at $Ri:$Rp from $si:$sp");'),
                source=("10.1.1.1", 5999))
    try:
        r = h.send(request("OPTIONS", "sip:a@x", source=("10.1.1.1", 5999)))
        assert r.reply.reason == "at 127.0.0.1:5060 from 10.1.1.1:5999" and r.reply.destination == ("10.1.1.1", 5999)
        r = h.send(request("OPTIONS", "sip:a@x"), source=("10.2.2.2", 7000), to="udp:127.0.0.1:5062")
        assert r.reply.reason == "at 127.0.0.1:5062 from 10.2.2.2:7000"
        assert r.reply.header("Via").endswith(";received=10.2.2.2")    # Via says 127.0.0.1:5070
        assert r.reply.destination == ("10.2.2.2", 5070)
        with pytest.raises(LookupError, match="no listen socket 127.0.0.1:9"):
            h.send(request(), to=("127.0.0.1", 9))
        assert h.socket(("127.0.0.1", 5062)).port == 5062
    finally:
        h.close()


def test_harness_request_uses_the_harness_source():
    h = Harness(text=CFG, source=("192.0.2.1", 5071))
    try:
        r = h.send(h.request("OPTIONS", "sip:nobody@127.0.0.1"))
        assert r.reply.header("Via").startswith("SIP/2.0/UDP 192.0.2.1:5071;branch=")
        assert "received" not in r.reply.header("Via")
    finally:
        h.close()


def test_timers_run_in_their_own_process(h):
    for user in ("a", "b"):
        h.send(request("MESSAGE", "sip:queue@127.0.0.1", from_=f"<sip:{user}@x>", body=f"v{user}"))
    assert h.queue("calls") == [("a", "va"), ("b", "vb")]
    t = h.tick("drain")
    # the timer process has its own $var(n) (1, not 3) and its own fetched item
    assert t.logs == ["took a=va tick 1", "took b=vb tick 1", "drained, last item seen here: [<null>]"]
    assert t.routes == ["DRAIN"] and t.rc == 1
    rank = t.lines[0].split("(")[0].strip()
    # main, 2 workers, slow timer, timer, secondary timer, then rtimer's processes
    # (newest timer first: fast's two, then drain)
    assert rank == "8"
    assert h.queue("calls") == []
    assert h.var("n") == 2 and h.var("n", ("rtimer", "drain", 0)) == 1
    assert h.tick("DRAIN").logs[-1] == "drained, last item seen here: [<null>]"     # names ignore case
    assert h.var("n", ("rtimer", "drain", 0)) == 2
    w1 = h.tick("fast", worker=1)
    assert w1.logs == ["fast worker 1"] and w1.lines[0].startswith(" 7(")
    with pytest.raises(LookupError, match="timers: drain, fast"):
        h.tick("nope")


def test_tick_all_and_advance(h):
    assert h.timers() == ["drain", "fast"]
    assert [r.what for r in h.tick_all()] == ["tick drain", "tick fast", "tick fast worker=1"]
    runs = h.advance(1.0)                    # fast (0.5 s, two processes) twice; drain not yet
    assert [r.what for r in runs] == ["tick fast", "tick fast worker=1"] * 2
    runs = h.advance(1.0)                    # t=1.5 fast, t=2 drain and fast (drain first: defined first)
    assert [r.what for r in runs] == ["tick fast", "tick fast worker=1", "tick drain", "tick fast",
                                      "tick fast worker=1"]


def test_rpc_and_state(h):
    h.send(request("MESSAGE", "sip:queue@127.0.0.1", body="x"))
    assert h.rpc("mqueue.get_sizes") == [{"name": "calls", "size": 1}]
    assert h.rpc("mqueue.fetch", "calls") == {"key": "tester", "val": "x"}
    with pytest.raises(RpcFault) as e:
        h.rpc("mqueue.fetch", "calls")
    assert e.value.code == 404
    with pytest.raises(RpcFault):
        h.rpc("no.such.method")
    assert h.queues() == {"calls": []}
    with pytest.raises(LookupError, match="queues: calls"):
        h.queue("nope")
    with pytest.raises(LookupError):
        h.var("never_used")


def test_run_route_directly(h):
    r = h.run_route("QUEUE", request("MESSAGE", "sip:queue@127.0.0.1", body="direct"))
    assert r.reply.status == 200 and h.queue("calls")[-1][1] == "direct"
    r = h.run_route("FAST")
    assert r.logs == ["fast worker 0"] and r.routes == ["FAST"]
    with pytest.raises(LookupError, match="no route route:NOPE"):
        h.run_route("NOPE")


def test_startup_runs_worker_one_init_and_can_be_skipped():
    cfg = CFG + 'event_route[core:worker-one-init] { xlog("L_INFO", "starting, n=$var(n)\\n"); $var(n) = 100; }\n'
    h = Harness(text=cfg)
    try:
        assert h.startup.logs == ["starting, n=0"] and h.startup.routes == ["event:core:worker-one-init"]
        assert h.startup.lines[-1].startswith(" 1(")
        r = h.send(request("MESSAGE", "sip:queue@127.0.0.1"))
        assert r.logs == ["queued tester, 1 waiting, worker message 101"]     # the same worker
    finally:
        h.close()
    h = Harness(text=cfg, startup=False)
    try:
        assert h.startup.logs == [] and h.startup.contexts == []
    finally:
        h.close()


def test_params_none_drops_a_modparam_or_a_global():
    # with WITH_DB the config needs a database; dropping db_url runs it without one
    h = Harness(text=CFG, defines={"WITH_DB": True}, params={("mqueue", "db_url"): None})
    try:
        assert h.program.modules["mqueue"].state.db_url is None
        assert h.send(request("MESSAGE", "sip:queue@127.0.0.1")).reply.status == 200
        h.close()
        assert not any(n.endswith(".db") for n in os.listdir(h.workdir)) if os.path.isdir(h.workdir) else True
    finally:
        h.close()
    h = Harness(text=CFG, params={("core", "debug"): None, ("core", "children"): None})
    try:
        assert h.program.core["debug"] == 0 and h.program.core["children"] == 8
        assert h.send(request("MESSAGE", "sip:queue@127.0.0.1")).logs == []
    finally:
        h.close()
    h = Harness(text=CFG, debug=3)
    try:
        assert h.log.debug == 3
    finally:
        h.close()


def test_defines_true_false_and_values():
    cfg = ('#!ifdef A\n#!define WHO "a"\n#!else\n#!define WHO "not a"\n#!endif\n' + CFG.replace(
        'sl_send_reply("404", "Not Here");', 'sl_send_reply("404", WHO + " " + PORTX);'))
    for defines, reason in (({"A": True, "PORTX": 1}, "a 1"), ({"A": False, "PORTX": 2}, "not a 2")):
        h = Harness(text=cfg, defines=defines)
        try:
            assert h.send(request("OPTIONS", "sip:a@b")).reply.reason == reason
        finally:
            h.close()


def test_small_shared_memory_and_own_workdir():
    h = Harness(text=CFG)
    assert h.program.shm.size == 4 * 1024 * 1024
    wd = h.workdir
    assert os.path.isdir(wd)
    h.close()
    assert not os.path.exists(wd)
    assert h.close() is None                     # idempotent
    h = Harness(text=CFG, shm_mb=None)
    try:
        assert h.program.shm.size == 64 * 1024 * 1024
    finally:
        h.close()


def test_database_queue_survives_restart(tmp_path):
    cfg = CFG.replace('"name=calls;size=10"', '"name=calls;size=10;dbmode=1"')
    h = Harness(text=cfg, defines={"WITH_DB": True}, workdir=str(tmp_path))
    h.send(request("MESSAGE", "sip:queue@127.0.0.1", body="kept"))
    start = h.restart()
    assert any("loading queue table [calls]" in l for l in start.lines)
    assert h.queue("calls") == [("tester", "kept")]
    h.close()
    assert (tmp_path / "harness.db").exists()               # a given workdir stays


def test_config_errors_are_raised():
    with pytest.raises(ConfigError, match="unknown function"):
        Harness(text=CFG.replace("drop;", "nosuchfunction();"))
    with pytest.raises(ValueError):
        Harness()


def test_trace_can_be_turned_off():
    h = Harness(text=CFG, trace=False)
    try:
        r = h.send(request("MESSAGE", "sip:queue@127.0.0.1"))
        assert r.trace == [] and r.routes == [] and r.rc == 1
        assert "TR." not in h.program.compiler.source
    finally:
        h.close()


def test_explain_tells_the_story(h):
    r = h.send(request("MESSAGE", "sip:queue@127.0.0.1"))
    text = r.explain()
    assert text.startswith("== MESSAGE sip:queue@127.0.0.1 SIP/2.0 (from 127.0.0.1:5070)")
    assert "rc=1 routes=request > REQINIT > QUEUE" in text
    assert re.search(r"<config>:\d+ +-> route QUEUE", text)
    assert "<script>: queued tester" in text
    assert "reply SIP/2.0 200 OK -> 127.0.0.1:5070" in text
    assert "routes=['request', 'REQINIT', 'QUEUE']" in repr(r)


def test_several_harnesses_in_one_process_do_not_interfere():
    """Each harness has its own Program, log, shared memory and timers: what one does
    never shows in another (so pytest-xdist can spread a suite over processes, and one
    process can hold many harnesses)."""
    hs = [Harness(text=CFG) for _ in range(4)]
    try:
        for i, h in enumerate(hs):
            for j in range(i + 1):
                h.send(request("MESSAGE", "sip:queue@127.0.0.1", from_=f"<sip:u{i}@x>", body=f"{i}.{j}"))
        for i, h in enumerate(hs):
            assert h.queue("calls") == [(f"u{i}", f"{i}.{j}") for j in range(i + 1)]
            assert h.var("n") == i + 1
            assert h.program.shm is not hs[0].program.shm or i == 0
            assert h.log is not hs[(i + 1) % 4].log
        # interleaved: ticks and messages in one harness leave the others alone
        t = hs[2].tick("drain")
        assert [l.split("=")[0] for l in t.logs[:-1]] == ["took u2"] * 3
        assert hs[2].queue("calls") == [] and len(hs[3].queue("calls")) == 4
        assert all("took" not in l for h in (hs[0], hs[1], hs[3]) for l in h.lines)
        assert {h.workdir for h in hs}.__len__() == 4
    finally:
        for h in hs:
            h.close()


def test_thousands_of_messages(h):
    """The harness adds little to the SIP core: a plain loop of sends stays fast (the
    figure is in benchmarks/bench.py: bench_harness)."""
    import time
    msgs = [request("OPTIONS", "sip:nobody@127.0.0.1") for _ in range(1000)]
    t = time.perf_counter()
    for m in msgs:
        h.send(m)
    elapsed = time.perf_counter() - t
    assert len(h.results) == 1000 and all(r.reply.status == 404 for r in h.results)
    assert elapsed < 10                        # about 0.2 s on a developer machine


def test_assertions_on_results(h):
    r = h.send(request("MESSAGE", "sip:queue@127.0.0.1"))
    assert assert_reply(r, 200, "OK").status == 200
    assert assert_logged(r, "queued") == ["queued tester, 1 waiting, worker message 1"]
    assert_routes(r, ["request", "REQINIT", "QUEUE"])
    assert_routes(r, ["request", "QUEUE"], exact=False)
    with pytest.raises(AssertionError) as e:
        assert_reply(r, 404)
    msg = str(e.value)
    assert msg.startswith("expected reply 404, got 200 OK\n\n== MESSAGE sip:queue@127.0.0.1")
    assert "-> route QUEUE" in msg and "<script>: queued tester" in msg
    assert kamlite.Harness is Harness                 # also at the top level
