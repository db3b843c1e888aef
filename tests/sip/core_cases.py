"""SIP core behaviour, recorded from the real Kamailio: replies built by sl, stateless
forwarding of requests and replies, old-style tests, malformed datagrams.

One config serves every case; the request URI's user picks what the script does.  The
ports are fixed so that the bytes Kamailio sends (to-tags, branches, rport) can be
compared exactly: @PORT@ the server, @CPORT@ the client, @UPORT@ the next hop.

    python tests/sip/core_cases.py record      # re-record core_recorded.json from Kamailio
"""
from __future__ import annotations

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDED = os.path.join(HERE, "core_recorded.json")
PORTS = (35160, 35161, 35162)            # server, client, next hop

CFG = r"""#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:@PORT@
alias=proxy.example.com
loadpath "@MODULES@"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"

request_route {
  xlog("L_INFO", "req $rm $ru from $si:$sp\n");
  if ($rU == "fwd") { forward("127.0.0.1", @UASPORT@); exit; }
  if ($rU == "ringing") { sl_send_reply("180", "Ringing"); exit; }
  if ($rU == "trying") { sl_send_reply("100", "Trying"); exit; }
  if ($rU == "busy") { sl_send_reply("486", "Busy Here"); exit; }
  if ($rU == "var") { $var(code) = 403; sl_send_reply("$var(code)", "Nope $rm"); exit; }
  if ($rU == "tests") {
    if (method == "OPTIONS") xlog("L_INFO", "method eq\n");
    if (method == "options") xlog("L_INFO", "method eq nocase\n");
    if (method =~ "^OPT") xlog("L_INFO", "method re\n");
    if (method != "INVITE") xlog("L_INFO", "method diff\n");
    if (uri == myself) xlog("L_INFO", "uri myself\n");
    if (uri =~ "proxy") xlog("L_INFO", "uri re\n");
    if (from_uri == myself) xlog("L_INFO", "from myself\n");
    if (to_uri == "sip:tests@127.0.0.1:@PORT@") xlog("L_INFO", "to eq\n");
    if (src_ip == 127.0.0.1) xlog("L_INFO", "src ip\n");
    if (src_ip == 127.0.0.0/8) xlog("L_INFO", "src net\n");
    if (src_ip != 10.0.0.0/255.0.0.0) xlog("L_INFO", "src not net\n");
    if (src_ip == myself) xlog("L_INFO", "src myself\n");
    if (dst_ip == 127.0.0.1 && dst_port == @PORT@) xlog("L_INFO", "dst\n");
    if (src_port == @CPORT@) xlog("L_INFO", "src port\n");
    if (proto == UDP) xlog("L_INFO", "udp\n");
    if (proto == TCP) xlog("L_INFO", "tcp\n");
    if (af == INET) xlog("L_INFO", "inet\n");
    if (msg:len > 100) xlog("L_INFO", "long\n");
    if (myself == uri) xlog("L_INFO", "myself uri\n");
    $var(m) = "OPTIONS";
    if (method == $var(m)) xlog("L_INFO", "method var\n");
    sl_send_reply("200", "Tested");
    exit;
  }
  if ($rU == "neg") { route(NEG); }
  sl_send_reply("200", "OK");
}

route[NEG] {
  return -2;
}

reply_route {
  xlog("L_INFO", "reply $rs $rr\n");
  if ($rs == 183) drop;
}

event_route[core:worker-one-init] { xlog("L_ALERT", "== SIP READY ==\n"); }
"""


def req(user="alice", method="OPTIONS", via=None, extra="", body="", to_tag="", callid="c1@test",
        host="127.0.0.1:@PORT@", headers=None, cseq=None):
    via = via if via is not None else "SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-1"
    tt = f";tag={to_tag}" if to_tag else ""
    lines = [f"{method} sip:{user}@{host} SIP/2.0"]
    if headers is None:
        lines += [f"Via: {via}", "From: <sip:bob@127.0.0.1>;tag=ft1", f"To: <sip:{user}@{host}>{tt}",
                  f"Call-ID: {callid}", f"CSeq: {cseq or '1 ' + method}", "Max-Forwards: 70"]
    else:
        lines += headers
    text = "\r\n".join(lines) + "\r\n" + extra + f"Content-Length: {len(body)}\r\n\r\n" + body
    return text


def reply(code=200, reason="OK", vias=("SIP/2.0/UDP 127.0.0.1:@PORT@;branch=z9hG4bKx",
                                        "SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-1")):
    lines = [f"SIP/2.0 {code} {reason}"] + [f"Via: {v}" for v in vias] + [
        "From: <sip:bob@127.0.0.1>;tag=ft1", "To: <sip:alice@127.0.0.1>;tag=tt",
        "Call-ID: r1@test", "CSeq: 1 INVITE"]
    return "\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n"


# (name, datagram text, sent from: "client" or "uas")
CASES = [
    ("options_200", req(), "client"),
    ("invite_180_gets_tag", req("ringing", "INVITE"), "client"),
    ("trying_no_tag", req("trying", "INVITE"), "client"),
    ("busy_keeps_to_tag", req("busy", "INVITE", to_tag="abc"), "client"),
    ("busy_record_route_dropped", req("busy", extra="Record-Route: <sip:rr@1.2.3.4;lr>\r\n"), "client"),
    ("ringing_record_route_copied", req("ringing", "INVITE", extra="Record-Route: <sip:rr@1.2.3.4;lr>\r\n"), "client"),
    ("code_from_var", req("var"), "client"),
    ("rport_empty", req(via="SIP/2.0/UDP 127.0.0.1:@CPORT@;rport;branch=z9hG4bK-2"), "client"),
    ("rport_value", req(via="SIP/2.0/UDP 127.0.0.1:@CPORT@;rport=9;branch=z9hG4bK-2"), "client"),
    ("received_other_host", req(via="SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bK-3"), "client"),
    ("received_existing", req(via="SIP/2.0/UDP 10.9.9.9;received=1.1.1.1;branch=z9hG4bK-3"), "client"),
    ("no_port_in_via", req(via="SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK-4"), "client"),
    ("two_vias_one_header", req(via="SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-5, SIP/2.0/UDP 10.0.0.2;branch=b2"), "client"),
    ("compact_headers", req(headers=["v: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-6", "f: <sip:bob@127.0.0.1>;tag=1",
                                     "t: <sip:alice@127.0.0.1>", "i: compact@test", "CSeq: 2 OPTIONS"]), "client"),
    ("folded_header", req(extra="Subject: first\r\n  second\r\n"), "client"),
    ("tests", req("tests"), "client"),
    ("tests_invite", req("tests", "INVITE"), "client"),
    ("neg_return_warns", req("neg"), "client"),
    ("forward_options", req("fwd"), "client"),
    ("forward_invite_body", req("fwd", "INVITE", body="v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"), "client"),
    ("forward_rport", req("fwd", via="SIP/2.0/UDP 127.0.0.1:@CPORT@;rport;branch=z9hG4bK-7"), "client"),
    ("forward_received", req("fwd", via="SIP/2.0/UDP 10.1.1.1:5070;branch=z9hG4bK-8"), "client"),
    ("reply_forwarded_back", reply(), "uas"),
    ("reply_183_dropped", reply(183, "Session Progress"), "uas"),
    ("reply_one_via_not_forwarded", reply(vias=("SIP/2.0/UDP 127.0.0.1:@PORT@;branch=z9hG4bKx",)), "uas"),
    ("reply_two_bodies_one_header", reply(vias=("SIP/2.0/UDP 127.0.0.1:@PORT@;branch=z9hG4bKx, SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-1",)), "uas"),
    # malformed
    ("bad_first_line", "x" * 40, "client"),
    ("bad_status_code", "SIP/2.0 20x OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n" + " " * 10, "uas"),
    ("method_without_sp", "OPTIONS\tsip:a@b SIP/2.0\r\nVia: x\r\n\r\n", "client"),
    ("no_via", req(headers=["From: <sip:a@b>;tag=1", "To: <sip:b@c>", "Call-ID: nv", "CSeq: 1 OPTIONS"]), "client"),
    ("no_callid", req(headers=["Via: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-9", "From: <sip:a@b>;tag=1",
                               "To: <sip:b@c>", "CSeq: 1 OPTIONS"]), "client"),
    ("bad_cseq", req(cseq="1"), "client"),
    ("bad_content_length", req(extra="Content-Length: abc\r\n"), "client"),
    ("duplicate_callid", req(extra="Call-ID: second\r\n"), "client"),
    ("bad_header_name_after", req(extra="Bad Header: x\r\n"), "client"),
    ("bad_header_name_before", req(headers=["Via: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-9", "Bad Header: x",
                                            "From: <sip:a@b>;tag=1", "To: <sip:b@c>", "Call-ID: bh", "CSeq: 1 OPTIONS"]), "client"),
    ("second_via_bad", req(extra="Via: garbage\r\n"), "client"),
    ("bad_to", req(headers=["Via: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-9", "From: <sip:a@b>;tag=1",
                            "To: <sip:b@c", "Call-ID: bt", "CSeq: 1 OPTIONS"]), "client"),
    ("ack_no_reply", req(method="ACK"), "client"),
    ("reply_without_via", "SIP/2.0 200 OK\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", "uas"),
    ("after_errors_still_serving", req(callid="last@test"), "client"),
]


def fill(text: str, ports=PORTS) -> str:
    return text.replace("@PORT@", str(ports[0])).replace("@CPORT@", str(ports[1])).replace("@UPORT@", str(ports[2]))


def run(which: str) -> dict:
    """Every case through one server: {name: {"client": [...], "uas": [...], "log": [...]}}."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
    from tests.oracle.sip_run import SipServer
    out = {}
    with SipServer(which, CFG.replace("@CPORT@", str(PORTS[1])), ports=PORTS) as srv:
        for name, text, sender in CASES:
            data = fill(text).encode("latin-1")
            sock = srv.client if sender == "client" else srv.uas
            sock.sendto(data, ("127.0.0.1", srv.port))
            got_client = srv.receive(srv.client, 0.4)
            got_uas = srv.receive(srv.uas, 0.1)
            out[name] = {"client": [g.decode("latin-1") for g in got_client],
                         "uas": [g.decode("latin-1") for g in got_uas],
                         "log": srv.take_lines(0.05)}
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["record"]:
        data = run("kamailio")
        with open(RECORDED, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
        print(f"recorded {len(data)} cases into {RECORDED}")
    else:
        print(__doc__)
