"""What Kamailio makes of a Via header, and what kamlite's parse_via() predicts it makes.

Kamailio's side: a config (CFG) whose request_route prints $via0/$via1/$viaZ attributes,
$hfl(Via)[0..3] (the body texts, as Kamailio delimits them) and $hflc(Via), then answers
with sl_send_reply() — the reply shows how the first Via is echoed (rport rewritten at the
position of the parsed rport parameter, received appended).  After each case a sync
request is sent; its log marker tells that every line of the case has been printed.

kamlite's side: predict(message) walks the same message, calls parse_via() for each Via
header exactly where Kamailio's header parser would, and builds the same result from the
ViaBody fields (the log lines parse_via() would print, the PV values, the echoed Vias).

    python -m tests.sip.via_oracle            # re-record tests/sip/via_expected.json
"""
from __future__ import annotations

import json
import os
import re

from kamlite.log import LEVEL_NAMES
from kamlite.sip.via import parse_via

FIXTURE = os.path.join(os.path.dirname(__file__), "via_expected.json")

REQUEST_LINE = "OPTIONS sip:v@h SIP/2.0\r\n"
TAIL = "f: <sip:o@h>;tag=1\r\nt: <sip:v@h>\r\ni: c\r\nCSeq: 1 OPTIONS\r\n\r\n"
FROM_MARK = "f: <sip:o@h>"
ATTRS = ("host", "port", "proto", "protoid", "branch", "rport", "received", "i")
# the recorded values: $via0(a) for a in ATTRS, the same for $via1 and $viaZ,
# $(hfl(Via)[0]) .. $(hfl(Via)[3]), $hflc(Via) — as xlog prints them ("<null>" ...)
SEP = "|~|"
OPEN, CLOSE = "<<VIA ", " AIV>>"
SYNC = "== VIA SYNC "
MIN_UDP_PACKET = 32
SYNC_CALLID = "via-oracle-sync"


def _values_xlog() -> str:
    parts = []
    for pv in ("via0", "via1", "viaZ"):
        parts += [f"${pv}({a})" for a in ATTRS]
    parts += [f"$(hfl(Via)[{i}])" for i in range(4)]
    parts.append("$hflc(Via)")
    return OPEN + SEP.join(parts) + CLOSE


CFG = f"""#!KAMAILIO
debug=1
log_stderror=yes
children=1
disable_tcp=yes
server_signature=no
listen=udp:127.0.0.1:@PORT@
loadpath "@MODULES@"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
event_route[core:worker-one-init] {{ xlog("L_ALERT", "== SIP READY ==\\n"); }}
request_route {{
    if ($ci == "{SYNC_CALLID}") {{
        xlog("L_ALERT", "{SYNC}$hdr(X-N) ==\\n");
        exit;
    }}
    xlog("L_ALERT", "{_values_xlog()}\\n");
    force_rport();
    sl_send_reply("200", "OK");
    exit;
}}
"""


def message(via_section: str, tail: bool = True) -> str:
    """The request for one case: the request line, the Via section as given, the rest."""
    return REQUEST_LINE + via_section + (TAIL if tail else "")


def sync_message(n: int) -> bytes:
    return (f"OPTIONS sip:sync@127.0.0.1 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKsync\r\n"
            f"From: <sip:s@127.0.0.1>;tag=1\r\nTo: <sip:s@127.0.0.1>\r\n"
            f"Call-ID: {SYNC_CALLID}\r\nCSeq: 1 OPTIONS\r\nX-N: {n}\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


# ---- Kamailio's side ------------------------------------------------------------------------------

_RECORD_RE = re.compile(r"^ ?\d+\(PID\) ", re.M)


def split_records(lines: list[str]) -> list[str]:
    """Log lines (continuation lines of multi-line messages joined back with \\n) ->
    one string per message, without the ' N(PID) ' prefix."""
    text = "\n".join(lines)
    starts = [m for m in _RECORD_RE.finditer(text)]
    out = []
    for k, m in enumerate(starts):
        end = starts[k + 1].start() - 1 if k + 1 < len(starts) else len(text)
        out.append(text[m.end():end])
    return out


TRUNCATED = "TRUNCATED"


def result_from_kamailio(records: list[str], replies: list[bytes], client_port: int) -> dict:
    """The recorded view of one case: PV values (a list in the order above; None when the
    route did not run, TRUNCATED when a NUL byte cut xlog's line short), the
    log messages of the core (first batch of parse_via.c messages, and every other core
    message), the Via section of the reply (None without one)."""
    values = None
    core = []
    for r in records:
        if r.startswith("ALERT: <script>: " + OPEN):
            body = r[len("ALERT: <script>: " + OPEN):]
            if body.endswith(CLOSE):
                values = body[:-len(CLOSE)].split(SEP)
            else:
                values = TRUNCATED       # xlog's line stops at a NUL byte in a value
        elif r.startswith("ALERT: <script>: " + SYNC) or "<script>" in r:
            continue
        else:
            core.append(r)
    reply = None
    for d in replies:
        text = d.decode("latin-1")
        i = text.find("\r\n") + 2
        j = text.find(FROM_MARK)
        reply = text[i:j] if j >= 0 else text[i:]
        reply = reply.replace(f";rport={client_port}", ";rport=PORT")
    return {"values": values, "via_log": first_batch(core), "core_log": core, "reply_via": reply}


def first_batch(records: list[str]) -> list[str]:
    """The parse_via.c messages of the first failed parse_via() call (Kamailio may parse
    the same bad header again for each later PV access)."""
    out = []
    for r in records:
        if "[core/parser/parse_via.c:" in r:
            out.append(r)
            if "parse_via.c:2709]" in r or "parse_via.c:2712]" in r:
                break
    return out


def run_kamailio(messages: list[str]) -> list[dict]:
    """Send each message to a real Kamailio; the recorded view of each."""
    from tests.oracle.sip_run import SipServer
    results = []
    with SipServer("kamailio", CFG) as srv:
        for n, msg in enumerate(messages):
            srv.client.sendto(msg.encode("latin-1"), ("127.0.0.1", srv.port))
            srv.client.sendto(sync_message(n), ("127.0.0.1", srv.port))
            marker = f"{SYNC}{n} =="
            if not srv.wait_for(marker, 10.0):
                raise RuntimeError(f"kamailio did not answer case {n}")
            lines = srv.take_lines(settle=0)
            replies = srv.receive(srv.client, 0.02)
            results.append(result_from_kamailio(split_records(lines), replies, srv.client_port))
    return results


# ---- kamlite's side -------------------------------------------------------------------------------

class _RecordLog:
    def __init__(self):
        self.records = []

    def core(self, level, where, func, text):
        self.records.append(f"{LEVEL_NAMES[level]}: <core> [core/{where}]: {func}(): {text}")


_HNAME = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._+~")


def _eat_lws(buf, i, n):
    while i < n:
        c = buf[i]
        if c in " \t":
            i += 1
        elif c == "\n" and i + 1 < n and buf[i + 1] in " \t":
            i += 2
        elif c == "\r" and i + 2 < n and buf[i + 1] == "\n" and buf[i + 2] in " \t":
            i += 3
        else:
            break
    return i


def via_headers(msg: str):
    """Walk the headers of a corpus message the way Kamailio's parser does (enough of it
    for the corpus): a generator of (header start, value start) of each Via header; the
    caller parses the Via and send()s back where it ended.  Its return value (in
    StopIteration) tells whether the walk reached the empty line that ends the headers
    with From, To, Call-ID and CSeq seen (else Kamailio drops the request)."""
    n = len(msg)
    seen = set()
    pos = msg.index("\r\n") + 2
    while pos < n and msg[pos] not in "\r\n":
        i = pos
        while i < n and msg[i] in _HNAME:
            i += 1
        name = msg[pos:i]
        while i < n and msg[i] in " \t":
            i += 1
        if not name or i >= n or msg[i] != ":":
            return False
        low = name.lower()
        seen.add(_COMPACT.get(low, low))
        if low in ("via", "v"):
            vstart = _eat_lws(msg, i + 1, n)
            if vstart >= n:
                return False                     # "HF empty": parse_via() is not called
            nxt = yield pos, vstart
            if nxt is None:
                return False
            pos = nxt
        else:
            j = i
            while True:
                j = msg.find("\n", j)
                if j < 0:
                    return False
                j += 1
                if j >= n or msg[j] not in " \t":
                    break
            pos = j
    return pos < n and _REQUIRED <= seen


_COMPACT = {"f": "from", "t": "to", "i": "call-id"}
_REQUIRED = {"from", "to", "call-id", "cseq"}


def predict(msg: str) -> dict:
    """What Kamailio should record for this message, from kamlite's parse_via().  In the
    corpus every Via comes before From/To/Call-ID/CSeq, which Kamailio parses before
    running the route: a bad Via (or a header walk that goes wrong after one) drops the
    message."""
    log = _RecordLog()
    if len(msg.encode("latin-1")) < MIN_UDP_PACKET:
        return {"values": None, "via_log": [], "reply_via": None}   # dropped unread
    headers = []                       # (hdr start, body start, body end, [ViaBody])
    walker = via_headers(msg)
    ok = True
    try:
        hstart, vstart = next(walker)
        while True:
            bodies, nxt = parse_via(msg, vstart, len(msg), log)
            if bodies is None:
                ok = False
                break
            bend = nxt
            while bend > vstart and msg[bend - 1] in "\0\r\n":
                bend -= 1
            headers.append((hstart, vstart, bend, bodies))
            hstart, vstart = walker.send(nxt)
    except StopIteration as stop:
        ok = ok and bool(stop.value)
    values = None
    reply = None
    if ok and headers:
        allb = [b for h in headers for b in h[3]]
        values = (_attrs(allb[0]) + _attrs(allb[1] if len(allb) > 1 else None)
                  + _attrs(allb[-1])
                  + [_hfl(msg, b) for b in allb[:4]] + ["<null>"] * (4 - min(4, len(allb)))
                  + [str(len(allb))])
        if any("\0" in v for v in values):
            values = TRUNCATED
        reply = _reply_vias(msg, headers)
    return {"values": values, "via_log": log.records, "reply_via": reply}


def _attrs(vb) -> list:
    """pv_get_via_attr() for host, port, proto, protoid, branch, rport, received, i."""
    if vb is None:
        return ["<null>"] * len(ATTRS)

    def pval(p):
        return p.value if p is not None and p.value else "<null>"
    return [vb.host if vb.host else "<null>", str(vb.port or 5060), vb.transport,
            str(vb.protoid), pval(vb.branch), pval(vb.rport), pval(vb.received), pval(vb.i)]


def _hfl(msg, vb) -> str:
    return msg[vb.name_start:vb.name_start + vb.bsize].strip(" \t\r\n")


def _reply_vias(msg, headers, src_ip="127.0.0.1", src_port=None) -> str:
    """build_res_buf_from_sip_req()'s Via copy (the config calls force_rport()): the first
    Via with ;rport=PORT put in place of its first body's rport parameter (or appended)
    and ;received= appended (rport or received present, or the
    host is not the source address); rport's value is left as PORT."""
    out = []
    for k, (hstart, vstart, bend, bodies) in enumerate(headers):
        if k == 0:
            vb = bodies[0]
            rcvd = vb.received is not None or vb.rport is not None or vb.host != src_ip
            if vb.rport is not None:
                p = vb.rport
                text = msg[hstart:p.start - 1] + ";rport=PORT" + msg[p.start + p.size:bend]
            else:
                text = msg[hstart:bend] + ";rport=PORT"
            if rcvd:
                text += ";received=" + src_ip
        else:
            text = msg[hstart:bend]
        out.append(text + "\r\n")
    return "".join(out)


def comparable(recorded: dict) -> dict:
    """The part of a recorded result that predict() reproduces."""
    return {k: recorded[k] for k in ("values", "via_log", "reply_via")}


def record() -> None:
    from tests.sip.via_corpus import corpus
    cases = corpus()
    results = run_kamailio([c["msg"] for c in cases])
    lines = []
    for c, r in zip(cases, results):
        del r["core_log"]              # msg_parser.c's lines are not parse_via()'s business
        lines.append(json.dumps({"id": c["id"], "msg": c["msg"], **r}, ensure_ascii=True))
    with open(FIXTURE, "w", encoding="utf-8") as fh:
        fh.write("[\n" + ",\n".join(lines) + "\n]\n")
    print(f"{len(lines)} cases recorded in {FIXTURE}")


if __name__ == "__main__":
    record()
