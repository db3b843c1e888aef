"""The core actions that change the request URI and the message (kamlite/modules/core_sip.py):
what the config may write (Kamailio's grammar takes literals only), and that forwarding and
replies see the changes.  Their results on many request URIs are compared with Kamailio's in
test_pv_sip.py (the W*/C*/O* lines of its corpus).
"""
from __future__ import annotations

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log
from kamlite.modules.core_sip import rewrite_ruri
from kamlite.modules.pv.sip import parse_digest, parse_phostport
from kamlite.sip.receive import sip_core

PORT = 5071
UAS = 5099


def load(body: str, extra: str = ""):
    log = Log(debug=2)
    lines = log.capture()
    text = (f'listen=udp:127.0.0.1:{PORT}\nloadmodule "pv.so"\nloadmodule "xlog.so"\nloadmodule "sl.so"\n'
            f"{extra}\nrequest_route {{\n{body}\n}}\n")
    program = kamlite.load(text=text, log=log)
    return program, sip_core(program), lines


def request(ruri="sip:alice@example.com", method="OPTIONS", extra=""):
    return (f"{method} {ruri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:5555;branch=z9hG4bK-c1\r\n"
            f"From: <sip:bob@b.example>;tag=1\r\nTo: <{ruri}>\r\nCall-ID: core-sip-1\r\n"
            f"CSeq: 1 {method}\r\nMax-Forwards: 70\r\n{extra}Content-Length: 0\r\n\r\n").encode()


def run(body: str, data: bytes | None = None, extra: str = ""):
    program, core, lines = load(body, extra)
    msg = core.receive(data or request(), ("127.0.0.1", 5555), core.sockets.first())
    return msg, core, "".join(lines)


# ---- what the config may write -----------------------------------------------------------------
@pytest.mark.parametrize("call", ['sethost($var(h))', 'rewriteuser("a" + "b")', 'prefix(1)',
                                  'strip("2")', 'strip($var(n))', 'strip_tail(-1)', 'seturi(x)'])
def test_arguments_must_be_literals(call):
    with pytest.raises(ConfigError) as e:
        load(f"{call};")
    assert "error" in str(e.value)


@pytest.mark.parametrize("name", ["rewritehost", "sethost", "seth", "rewritehostport", "sethostport", "sethp",
                                  "rewritehostporttrans", "sethostporttrans", "sethpt", "rewriteuser",
                                  "setuser", "setu", "rewriteuserpass", "setuserpass", "setup",
                                  "rewriteport", "setport", "setp", "rewriteuri", "seturi", "prefix"])
def test_every_alias_exists(name):
    load(f'{name}("1");')


@pytest.mark.parametrize("call", ["revert_uri()", "force_rport()", "add_rport()", "userphone()",
                                  "set_forward_no_connect()", "set_forward_close()",
                                  "set_reply_no_connect()", "set_reply_close()", "strip(1)", "strip_tail(0)"])
def test_other_actions_load(call):
    load(f"{call};")


def test_core_actions_do_not_set_rc():
    msg, core, out = run('$var(x) = 1; xlog("L_ERR", "rc=$rc\\n"); sethost("h"); xlog("L_ERR", "rc=$rc\\n"); '
                         'strip(100); xlog("L_ERR", "rc=$rc ru=$ru\\n");')
    assert out.count("rc=1") == 2 and "rc=1 ru=sip:h" in out


# ---- the new request URI, the destination URI, rport --------------------------------------------
def test_rewrites_set_the_new_uri():
    msg, core, out = run('sethostport("10.0.0.1:5080"); prefix("00"); $rU = $rU + "x"; $rp = 5081;')
    assert msg.new_uri == "sip:00alicex@10.0.0.1:5081"
    assert msg.ruri == msg.new_uri and msg.first_uri == "sip:alice@example.com"


def test_revert_uri():
    msg, core, out = run('sethost("x.example"); revert_uri(); xlog("L_ERR", "ru=$ru\\n");')
    assert msg.new_uri is None and "ru=sip:alice@example.com" in out


def test_forwarding_uses_the_new_uri():
    msg, core, out = run(f'sethostport("127.0.0.1:{UAS}"); setuser("carol"); forward();')
    kind, text, ip, port = core.sent[-1]
    assert (kind, ip, port) == ("request", "127.0.0.1", UAS)
    assert text.startswith("OPTIONS sip:carol@127.0.0.1:%d SIP/2.0\r\n" % UAS)


def test_forwarding_uses_the_destination_uri():
    msg, core, out = run(f'$du = "sip:127.0.0.1:{UAS}"; forward();')
    kind, text, ip, port = core.sent[-1]
    assert (ip, port) == ("127.0.0.1", UAS)
    assert text.startswith("OPTIONS sip:alice@example.com SIP/2.0\r\n")
    msg, core, out = run(f'$du = "sip:127.0.0.1:{UAS}"; $du = $null; xlog("L_ERR", "du=$du\\n");')
    assert msg.dst_uri is None and "du=<null>" in out


def test_force_rport_in_replies():
    msg, core, out = run('force_rport(); sl_send_reply("200", "OK");')
    assert msg.force_rport is True
    kind, text, ip, port = core.sent[-1]
    assert "Via: SIP/2.0/UDP 127.0.0.1:5555;branch=z9hG4bK-c1;rport=5555\r\n" in text


def test_failed_rewrite_returns_error():
    # the action's value is the route's value: a negative one is "error while trying script"
    msg, core, out = run('strip(1);', request("sip:bad@@host@"))
    assert "bad uri <sip:bad@@host@ SIP/2.0\r\nVia:" in out
    assert "run action error at: <config>:" in out or "run action error at:" in out


def test_rewrite_ruri_direct():
    program, core, lines = load("exit;")
    msg = core.receive(request("sips:u:pw@h.example:5061;transport=tls;x=1?h=v"), ("127.0.0.1", 5555),
                       core.sockets.first())

    class Ctx:
        pass
    ctx = Ctx()
    ctx.msg, ctx.log = msg, program.log
    cases = [("host", "n.example", "sips:u:pw@n.example:5061;transport=tls;x=1?h=v"),
             ("hostport", "n.example", "sips:u:pw@n.example;transport=tls;x=1?h=v"),
             ("hostporttrans", "n.example:1", "sips:u:pw@n.example:1;x=1?h=v"),
             ("user", "", "sips:h.example:5061;transport=tls;x=1?h=v"),
             ("userpass", "v", "sips:v@h.example:5061;transport=tls;x=1?h=v"),
             ("port", "", "sips:u:pw@h.example;transport=tls;x=1?h=v"),
             ("prefix", "9", "sips:9u:pw@h.example:5061;transport=tls;x=1?h=v"),
             ("strip_tail", 1, "sips:h.example:5061;transport=tls;x=1?h=v"),
             ("userphone", None, "sips:u:pw@h.example:5061;transport=tls;x=1;user=phone?h=v")]
    for kind, value, want in cases:
        msg.set_ruri(None)
        assert rewrite_ruri(ctx, kind, value, "f:1") == 1, kind
        assert msg.new_uri == want, kind
    msg.set_ruri("sip:" + "u" * 1018 + "@h")  # 1024 bytes: one more is too long
    assert rewrite_ruri(ctx, "prefix", "0", "f:1") == -1
    assert "set*: uri too long" in "".join(lines)


# ---- parsers used by the pseudo-variables --------------------------------------------------------
def test_parse_digest():
    c = parse_digest('Digest username="bob@b.example", realm="b, c", nonce=abc , uri="sip:x",'
                     ' response="r", algorithm=MD5, cnonce="cn", opaque="o", qop=auth, nc=00000001')
    assert (c.whole, c.user, c.domain, c.realm, c.nonce, c.uri, c.response, c.alg, c.cnonce,
            c.opaque) == ("bob@b.example", "bob", "b.example", "b, c", "abc", "sip:x", "r", "MD5", "cn", "o")
    assert parse_digest("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") == 1
    assert parse_digest("Digest") == 1
    assert parse_digest('Digest username="x') == -2
    assert parse_digest("Digest username=") == -2
    c = parse_digest('Digest username="ab"')
    assert (c.user, c.domain) == ("ab", None)


def test_parse_phostport():
    class Program:
        core = {"disable_tcp": 1}

    class Ctx:
        program = Program()
        log = Log(debug=2)
    lines = Ctx.log.capture()
    ctx = Ctx()
    assert parse_phostport(ctx, "udp:1.2.3.4:5060") == ("udp", "1.2.3.4", 5060)
    assert parse_phostport(ctx, "1.2.3.4:5060") == (None, "1.2.3.4", 5060)
    assert parse_phostport(ctx, "udp:h.example") == ("udp", "h.example", 0)
    assert parse_phostport(ctx, "[::1]") == (None, "[::1]", 0)
    assert parse_phostport(ctx, "udp:[::1]:7") == ("udp", "[::1]", 7)
    assert parse_phostport(ctx, "tcp:1.2.3.4:5060") is None
    assert parse_phostport(ctx, "a:b:c:d") is None
    assert parse_phostport(ctx, "udp:h:") is None
    out = "".join(lines)
    assert "bad protocol in tcp:1.2.3.4:5060" in out and "too many colons in a:b:c:d" in out
