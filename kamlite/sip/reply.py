"""Replies built from a request (Kamailio's build_res_buf_from_sip_req) and replies
forwarded statelessly (build_res_buf_from_sip_res).

A local reply copies the request's Via headers (the first one gets ;rport=<port> and
;received=<ip> when Kamailio would add them), Record-Route for 180..299, From, To (with
a to-tag added for code >= 180 when it has none), Call-ID and CSeq, in the order they
appear in the request; then the headers the script added for the reply, Server and
Content-Length, and the body the script set.
"""
from __future__ import annotations

from ..log import L_ERR
from .message import (HDR_CALLID, HDR_CSEQ, HDR_EOH_F, HDR_FROM, HDR_RECORDROUTE, HDR_TO, HDR_VIA,
                      Message)

def via_needs_received(msg: Message) -> bool:
    """received_test(): the first Via has received= or rport, or its host is not the
    source address (compared as text, an IPv6 host also inside [ ])."""
    v = msg.via1
    if v.received is not None or v.rport is not None:
        return True
    host = v.host or ""
    src = msg.rcv.src_ip if msg.rcv is not None else ""
    if ":" in src:
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        return host.lower() != src.lower()
    return host != src


def build_reply(msg: Message, code: int, reason: str, to_tag: str | None = None,
                server_header: str | None = "Server: kamailio (5.6.3 (x86_64/linux))",
                force_rport: bool = False) -> str | None:
    """The reply text, or None (logged) when the request's headers cannot be parsed."""
    plog = msg.plog
    if not msg.parse_headers(HDR_EOH_F):
        if plog:
            plog.core(L_ERR, "msg_translator.c:2409", "build_res_buf_from_sip_req", "alas, parse_headers failed")
        return None
    buf = msg.buf
    v1 = msg.via1
    src_ip = msg.rcv.src_ip if msg.rcv is not None else "127.0.0.1"
    src_port = msg.rcv.src_port if msg.rcv is not None else 5060
    received = f";received={src_ip}" if via_needs_received(msg) else ""
    rport = f";rport={src_port}" if (force_rport or msg.force_rport or v1.rport is not None) else ""
    out = [msg.version or "SIP/2.0", " ", "%03d" % (code % 1000), " ", reason, "\r\n"]
    h_via1 = msg.h_via1
    for h in msg.headers:
        t = h.type
        if t == HDR_VIA:
            body_end = _body_end(buf, h)
            if h is h_via1:
                if rport:
                    if v1.rport is not None:
                        rp = v1.rport
                        out.append(buf[h.start:rp.start - 1])
                        out.append(rport)
                        out.append(buf[rp.start + rp.size:body_end])
                    else:
                        out.append(buf[h.start:body_end])
                        out.append(rport)
                else:
                    out.append(buf[h.start:body_end])
                out.append(received)
            else:
                out.append(buf[h.start:body_end])
            out.append("\r\n")
        elif t == HDR_RECORDROUTE:
            if 180 <= code < 300:
                out.append(buf[h.start:h.end])
        elif t == HDR_TO:
            if to_tag:
                tb = h.parsed
                body_end = _body_end(buf, h)
                if tb.tag:                # replace the existing tag's value
                    at = _tag_value_offset(buf, h, tb)
                    out.append(buf[h.start:at])
                    out.append(to_tag)
                    out.append(buf[at + len(tb.tag):h.end])
                else:
                    out.append(buf[h.start:body_end])
                    out.append(";tag=")
                    out.append(to_tag)
                    out.append(buf[body_end:h.end])
            else:
                out.append(buf[h.start:h.end])
        elif t == HDR_FROM or t == HDR_CALLID or t == HDR_CSEQ:
            out.append(buf[h.start:h.end])
    lumps = msg.reply_lumps
    body = None
    if lumps:
        for kind, text in lumps:
            if kind == "hdr":
                out.append(text)
            else:
                body = text
    if server_header:
        out.append(server_header)
        out.append("\r\n")
    out.append(f"Content-Length: {len(body) if body is not None else 0}\r\n")
    out.append("\r\n")
    if body:
        out.append(body)
    return "".join(out)


def _body_end(buf: str, h) -> int:
    """Offset where the header's body ends (hdr->body.s + body.len: before the CRLF)."""
    return h.start + len(buf[h.start:h.end].rstrip("\r\n\0"))


def _tag_value_offset(buf: str, h, tb) -> int:
    """Offset of the To tag's value inside the header (parsed params keep no offsets)."""
    start = h.start + (buf[h.start:h.end].find(h.body))
    text = h.body
    base = tb.params_start if tb.params_start is not None else 0
    i = base
    low = text.lower()
    while True:
        j = low.find("tag", i)
        if j < 0:
            return start + text.find(tb.tag, base)
        k = j + 3
        while k < len(text) and text[k] in " \t":
            k += 1
        if k < len(text) and text[k] == "=":
            k += 1
            while k < len(text) and text[k] in " \t":
                k += 1
            if text.startswith(tb.tag, k):
                return start + k
        i = j + 3


# ---- stateless reply forwarding ---------------------------------------------------------------------
def build_forwarded_reply(msg: Message) -> str:
    """build_res_buf_from_sip_res(): the reply without its first Via (the whole header when
    it holds one body, else that body and its comma), with the script's lumps applied."""
    buf = msg.buf
    h = msg.h_via1
    v1 = msg.via1
    vias = h.parsed
    if len(vias) == 1:
        cut_start, cut_end = h.start, h.end
    else:
        cut_start = v1.start
        cut_end = vias[1].start
    msg.add_lump(cut_start, cut_end - cut_start)
    out = msg.apply_lumps(0, len(buf))
    msg.lumps.pop()
    return out
