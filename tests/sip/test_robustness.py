"""Bad input never stops a worker: fuzzed datagrams in-process (no exception may escape
receive_msg), and 10,000 malformed datagrams against a running server, after which a
valid OPTIONS still gets its 200."""
import random
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kamlite
from kamlite.log import Log
from kamlite.sip.receive import sip_core
from tests.oracle.sip_run import SipServer, free_ports, ready_route, request

CFG = """#!KAMAILIO
debug=3
log_stderror=yes
children=2
listen=udp:127.0.0.1:@PORT@
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
request_route {
  xlog("L_DBG", "$rm $ru $rU $rd $rp $si $sp $ci $hdr(From) $(hdr(Via)[1]) $hdrc(Via)\\n");
  if (method == "INVITE" || uri == myself || from_uri =~ "x" || to_uri == myself) {
    $var(x) = 1;
  }
  if ($rU == "fwd") forward("127.0.0.1", 9);
  sl_send_reply("200", "OK");
}
reply_route {
  xlog("L_DBG", "$rs $rr $ci\\n");
}
"""

VALID = request(port=5099, body="v=0\r\n", headers="Contact: <sip:x@1.2.3.4>\r\nRecord-Route: <sip:r;lr>\r\n").decode()
VALID_REPLY = ("SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx\r\n"
               "Via: SIP/2.0/UDP 127.0.0.1:5099;rport;branch=z9hG4bK-1\r\nFrom: <sip:a@b>;tag=1\r\n"
               "To: <sip:c@d>;tag=2\r\nCall-ID: r@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")


def _program():
    log = Log()
    log.capture()
    program = kamlite.load(text=CFG.replace("@PORT@", "5070"), log=log)
    core = sip_core(program)
    return program, core, log


PROGRAM, CORE, LOG = _program()
SOCK = CORE.sockets.first()


def _receive(data: bytes) -> None:
    CORE.receive(data, ("127.0.0.1", 5099), SOCK)
    del CORE.sent[:]
    del LOG.captured[:]


def mutate(rnd: random.Random, text: str) -> bytes:
    data = bytearray(text.encode("latin-1"))
    for _ in range(rnd.randint(1, 6)):
        op = rnd.random()
        i = rnd.randrange(len(data)) if data else 0
        if op < 0.3 and data:
            data[i] = rnd.randrange(256)
        elif op < 0.5:
            data[i:i] = rnd.choice([b"\r\n", b" ", b":", b";", b",", b"<", b">", b"\"", b"\0", b"\t", b"=", b"@",
                                    b"Via: ", b"v: SIP/2.0/UDP [::1", b"\r\n\r\n", b"%", b"\xff"])
        elif op < 0.7 and data:
            del data[i:i + rnd.randint(1, 20)]
        elif data:
            j = rnd.randrange(len(data))
            data[i:i] = data[j:j + rnd.randint(1, 30)]
    return bytes(data)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(min_size=0, max_size=600))
def test_random_bytes_never_raise(data):
    _receive(data)


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(min_value=0, max_value=2**32), st.sampled_from([VALID, VALID_REPLY,
                                                                   VALID.replace("alice", "fwd")]))
def test_mutated_messages_never_raise(seed, base):
    _receive(mutate(random.Random(seed), base))


def test_every_truncation_is_handled():
    for text in (VALID, VALID_REPLY):
        for n in range(len(text) + 1):
            _receive(text[:n].encode())


def malformed_datagrams(n: int, seed: int = 7):
    rnd = random.Random(seed)
    bases = [VALID, VALID_REPLY]
    for i in range(n):
        kind = i % 4
        base = bases[i % 2]
        if kind == 0:
            yield base[:rnd.randrange(len(base))].encode()
        elif kind == 1:
            yield bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 300)))
        else:
            yield mutate(rnd, base)


def test_server_survives_ten_thousand_malformed_datagrams():
    with SipServer("kamlite", CFG.replace("debug=3", "debug=-1") + ready_route(), ports=free_ports()) as srv:
        target = ("127.0.0.1", srv.port)
        for i, data in enumerate(malformed_datagrams(10000)):
            srv.client.sendto(data, target)
            if i % 200 == 199:
                time.sleep(0.02)            # let the workers keep up: the point is bad input, not load
        srv.receive(srv.client, 1.0)        # drain whatever the garbage got back
        replies = srv.send(request(port=srv.client_port, callid="after-garbage@test"), wait=10, expect=1)
        assert replies and replies[0].startswith(b"SIP/2.0 200 OK\r\n")
        assert srv.proc.poll() is None
        lines = srv.take_lines()
        assert not any("BUG" in l or "Traceback" in l for l in lines), [l for l in lines if "BUG" in l][:5]
