"""The harness shows what a server does: the same datagrams go to a Harness and to the
same config running as a real server over UDP (kamlite, and the real Kamailio when it is
installed); replies, forwarded messages, log lines and queue contents must be the same.

Both sides use the same ports (the harness listens where the server does and sends from
the server test's client socket), so messages compare byte for byte.
"""
import pytest

from kamlite.testing import reply
from tests.conftest import need_program

from .differential import Pair, normalized

CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:127.0.0.1:5060

loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "maxfwd.so"
loadmodule "mqueue.so"
loadmodule "rtimer.so"

modparam("mqueue", "mqueue", "name=calls;size=3")
modparam("mqueue", "mqueue", "name=jobs")
modparam("rtimer", "timer", "name=drain;interval=100000u;mode=1;")
modparam("rtimer", "exec", "timer=drain;route=DRAIN")

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	$var(count) = $var(count) + 1;
	if ($rU == "queue") {
		mq_add("calls", "$fU", "$rb");
		mq_add("jobs", "job-$var(count)", "$ci");
		xlog("L_INFO", "queued from $fU: $mq_size(calls) calls, $mq_size(jobs) jobs\\n");
		append_to_reply("X-Queued: $mq_size(calls)\\r\\n");
		sl_send_reply("202", "Queued");
		exit;
	}
	if ($rU == "dump") {
		while (mq_fetch("calls")) {
			xlog("L_INFO", "item $mqk(calls)=$mqv(calls)\\n");
		}
		sl_send_reply("200", "Dumped");
		exit;
	}
	if ($rU == "warn") {
		$var(n) = 1 + $hdr(X-Num);
		mq_add("nosuchqueue", "k", "v");
		sl_send_reply("400", "Bad n=$var(n)");
		exit;
	}
	if ($rU == "go") {
		$shv(go) = 1;
		sl_send_reply("200", "Going");
		exit;
	}
	if ($rU == "fwd") {
		xlog("L_INFO", "forwarding $rm to @UASPORT@\\n");
		forward("127.0.0.1", @UASPORT@);
		exit;
	}
	sl_send_reply("404", "Not Here (request $var(count))");
}

route[DRAIN] {
	if ($shv(go) != 1) {
		return;
	}
	while (mq_fetch("jobs")) {
		xlog("L_INFO", "job $mqk(jobs) of call $mqv(jobs) on worker $rtimer_worker\\n");
	}
	$shv(go) = 2;
	xlog("L_INFO", "drained\\n");
}

reply_route {
	xlog("L_INFO", "reply $rs $rr for $rm\\n");
	if ($rs == 183) {
		drop;
	}
}
"""

WHICH = ["kamlite", "kamailio"]


@pytest.fixture(params=WHICH)
def pair(request):
    if request.param == "kamailio":
        need_program("kamailio", "kamailio")
    p = Pair(request.param, CFG)
    yield p
    p.close()


def check(step, rank=True):
    """Same datagrams to the client and to the next hop, same log lines."""
    assert step.server_to_client == step.harness_to_client
    assert step.server_to_uas == step.harness_to_uas
    assert normalized(step.server_lines, rank) == normalized(step.result.lines, rank)
    return step


def test_same_replies_logs_and_queues(pair):
    h = pair.h
    s = check(pair.send(h.request("OPTIONS", "sip:nobody@127.0.0.1")))
    assert s.result.reply.reason == "Not Here (request 1)"
    for user in ("ann", "bob", "cid", "dan"):
        s = check(pair.send(h.request("MESSAGE", "sip:queue@127.0.0.1", from_=f"<sip:{user}@x>;tag=1",
                                      body=f"note of {user}")))
        assert s.result.reply.status == 202
    assert s.result.reply.header("X-Queued") == "3"            # size=3: the oldest went
    assert s.harness_logs == ["queued from dan: 3 calls, 4 jobs"]
    # the queue as the harness sees it is what the server dumps
    items = h.queue("calls")
    assert items == [("bob", "note of bob"), ("cid", "note of cid"), ("dan", "note of dan")]
    s = check(pair.send(h.request("OPTIONS", "sip:dump@127.0.0.1")))
    assert s.server_logs == [f"item {k}={v}" for k, v in items]
    assert h.queue("calls") == []
    assert check(pair.send(h.request("OPTIONS", "sip:dump@127.0.0.1"))).server_logs == []


def test_same_warnings_and_errors(pair):
    h = pair.h
    s = check(pair.send(h.request("OPTIONS", "sip:warn@127.0.0.1", headers={"X-Num": "abc"})))
    assert s.result.reply.reason == "Bad n=1"
    assert any("automatic string to int conversion" in l for l in s.server_lines)
    assert any("mqueue not found: nosuchqueue" in l for l in s.result.errors)
    s = check(pair.send(h.request("OPTIONS", "sip:nobody@127.0.0.1", max_forwards=0)))
    assert s.result.reply.status == 483


def test_same_forwarding_and_reply_route(pair):
    h = pair.h
    inv = h.request("INVITE", "sip:fwd@127.0.0.1", body="v=0\r\n")
    s = check(pair.send(inv))
    assert len(s.server_to_uas) == 1 and s.harness_logs == [f"forwarding INVITE to {pair.uas[1]}"]
    forwarded = s.server_to_uas[0]
    for code, passed in ((100, True), (180, True), (183, False), (200, True)):
        s = check(pair.send(reply(forwarded, code, to_tag="uas-1"), source="uas"))
        assert len(s.server_to_client) == (1 if passed else 0)
        assert s.result.routes == ["reply"]


def test_same_timer_run(pair):
    h = pair.h
    for n in range(3):
        check(pair.send(h.request("MESSAGE", "sip:queue@127.0.0.1", call_id=f"call-{n}")))
    assert [k for k, _v in h.queue("jobs")] == ["job-1", "job-2", "job-3"]
    go = pair.send(h.request("OPTIONS", "sip:go@127.0.0.1"))
    assert go.server_to_client == go.harness_to_client and go.result.logs == []
    # the server's timer process runs every 100 ms (it may have run already); the
    # harness runs it once, on demand
    if not any("drained" in l for l in go.server_lines):
        assert pair.srv.wait_for("drained", 5)
    server = go.server_lines + pair.srv.take_lines(settle=0.1)
    t = h.tick("drain")
    assert t.logs == ["job job-1 of call call-0 on worker 0", "job job-2 of call call-1 on worker 0",
                      "job job-3 of call call-2 on worker 0", "drained"]
    # same lines, and the same process index (the rtimer process: rank 5 here)
    assert normalized(server) == normalized(t.lines)
    assert t.lines[0].startswith(" 5(")
    assert h.queue("jobs") == [] and h.shv("go") == 2
    assert h.tick("drain").lines == []                  # go is 2 now: nothing more to do
