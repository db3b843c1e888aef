""".sip files: messages as text with sipp-style placeholders, one or several per file."""
import pytest

from kamlite.sip.message import HDR_EOH_F, parse
from kamlite.testing import Harness, SipFileError, parse_sip, read_sip

CFG = """debug=2
listen=udp:127.0.0.1:5060
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
request_route {
  xlog("L_INFO", "$rm ci=$ci ft=$ft cseq=$cs si=$si:$sp rb=[$rb] ua=$ua\\n");
  if (method != "ACK") sl_send_reply("200", "OK");
}
"""

CALL = """# a call: INVITE, then ACK
INVITE sip:bob@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[local_ip]>;tag=[tag]
To: <sip:bob@[remote_ip]>
Call-ID: [call_id]
CSeq: [cseq] INVITE
User-Agent: [agent]
Content-Type: text/plain
Content-Length: [len]

hello [agent]
----------
ACK sip:bob@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[local_ip]>;tag=[tag]
To: <sip:bob@[remote_ip]>;tag=x
Call-ID: [call_id]
CSeq: 1 ACK
Content-Length: [len]
"""


def test_messages_are_split_and_lines_end_with_crlf():
    ts = parse_sip(CALL, "call.sip")
    assert len(ts) == 2
    assert ts[0].line == 2 and ts[1].line == 14
    assert ts[0].head[0].startswith("INVITE ") and ts[0].body == ["hello [agent]"]
    assert ts[1].body == [] and not ts[0].is_reply
    assert ts[0].placeholders() == {"remote_ip", "remote_port", "transport", "local_ip", "local_port",
                                    "branch", "tag", "call_id", "cseq", "agent", "len"}
    text = ts[0].fill({"remote_ip": "10.0.0.1", "remote_port": 5060, "transport": "UDP", "local_ip": "10.0.0.2",
                       "local_port": 5070, "branch": "z9hG4bK-1", "tag": "t", "call_id": "c1", "cseq": 1,
                       "agent": "tester"})
    assert "\n" not in text.replace("\r\n", "")
    assert text.endswith("\r\n\r\nhello tester\r\n")
    msg = parse(text)
    assert msg.parse_headers(HDR_EOH_F) and msg.body() == "hello tester\r\n"
    assert "Content-Length: 14\r\n" in text


def test_crlf_files_and_missing_blank_line():
    ts = parse_sip("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\nContent-Length: 0\r\n")
    assert ts[0].fill({}).endswith("Content-Length: 0\r\n\r\n")


def test_unknown_placeholder_names_file_and_line():
    t = parse_sip(CALL, "call.sip")[0]
    with pytest.raises(SipFileError, match=r"call\.sip:8: unknown placeholder \[agent\]"):
        t.fill({k: "x" for k in ("remote_ip", "remote_port", "transport", "local_ip", "local_port", "branch",
                                 "tag", "call_id", "cseq")})


def test_bad_files():
    with pytest.raises(SipFileError, match="no SIP message"):
        parse_sip("# only a comment\n\n---\n", "empty.sip")
    with pytest.raises(SipFileError, match=r"x\.sip:3: not a header line"):
        parse_sip("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h\nthis is no header\n", "x.sip")
    with pytest.raises(SipFileError, match=r"y\.sip:1: not a request or status line"):
        parse_sip("HELLO\nVia: x\n", "y.sip")


def test_ipv6_brackets_are_not_placeholders():
    t = parse_sip("OPTIONS sip:a@[::1]:5060 SIP/2.0\nVia: SIP/2.0/UDP [fe80::1];branch=[branch]\n")[0]
    assert t.placeholders() == {"branch"}
    assert t.fill({"branch": "z9hG4bK-9"}).startswith("OPTIONS sip:a@[::1]:5060 SIP/2.0\r\nVia: SIP/2.0/UDP [fe80::1];branch=z9hG4bK-9")


def test_harness_sends_a_file_as_one_call(tmp_path):
    path = tmp_path / "call.sip"
    path.write_text(CALL)
    assert len(read_sip(path)) == 2
    h = Harness(text=CFG, source=("127.0.0.2", 5099))
    try:
        inv, ack = h.send_file(path, agent="sipfile-test")
        assert inv.reply.status == 200 and ack.replies == []
        assert inv.message.first_uri == "sip:bob@127.0.0.1:5060"
        m1, m2 = inv.message, ack.message
        assert m1.callid == m2.callid and m1.from_body().tag == m2.from_body().tag
        assert m1.via1.branch.value != m2.via1.branch.value
        assert inv.logs[0].endswith("cseq=1 si=127.0.0.2:5099 rb=[hello sipfile-test\r\n] ua=sipfile-test")
        assert ack.logs[0].startswith("ACK ")
        again = h.send_file(path, agent="x")[0]
        assert again.message.callid != m1.callid            # each send of the file is a new call
    finally:
        h.close()


def test_harness_fills_placeholders_in_plain_text_too():
    h = Harness(text=CFG)
    try:
        r = h.send("OPTIONS sip:a@[remote_ip] SIP/2.0\r\nVia: SIP/2.0/UDP [local_ip]:[local_port];branch=z9hG4bK-x\r\n"
                   "From: <sip:t@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: ph-1\r\nCSeq: 1 OPTIONS\r\n"
                   "Content-Length: 0\r\n\r\n")
        assert r.message.first_uri == "sip:a@127.0.0.1"
        assert r.reply.text.split("\r\n")[1] == "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-x"
        t = parse_sip("OPTIONS sip:a@[remote_ip] SIP/2.0\nVia: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]\n"
                      "From: <sip:t@x>;tag=[tag]\nTo: <sip:a@x>\nCall-ID: [call_id]\nCSeq: [cseq] OPTIONS\n"
                      "Content-Length: [len]\n")[0]
        assert h.send(t).reply.status == 200               # a template: filled in by send
    finally:
        h.close()
