"""Stateless forwarding of requests (Kamailio's forward_request and
build_req_buf_from_sip_req).

The forwarded request is the received one with: the new request URI when the script set
one, our Via inserted before the first Via (branch computed from the transaction key as
Kamailio does, so a retransmission gets the same branch), ;received= and ;rport= on the
previous hop's Via when Kamailio would add them, the script's lumps applied and the
Content-Length fixed when the body changed.
"""
from __future__ import annotations

import hashlib

from ..hashes import core_hash
from ..log import L_ERR
from .message import HDR_CONTENTLENGTH, HDR_EOH_F, METHODS, Message
from .reply import via_needs_received
from .transport import resolve
from .uri import UriError, parse_uri

_NO_TO_TAG = METHODS["INVITE"] | METHODS["ACK"] | METHODS["CANCEL"]


def tm_hash(callid: str, cseq_number: str) -> int:
    """hash(Call-ID, CSeq number): the transaction table index (16 bits)."""
    return core_hash(callid, cseq_number, 0x10000)


def _reverse_hex(n: int) -> str:
    if n == 0:
        return "0"
    out = []
    while n:
        out.append("%x" % (n & 0xF))
        n >>= 4
    return "".join(out)


def branch(msg: Message) -> str | None:
    """The branch of a stateless forward: z9hG4bK + reversed-hex hash + '.' + MD5 of the
    transaction key (char_msg_val) + '.0'; None when the key cannot be computed."""
    fb = msg.from_body()
    to = msg.to_body()
    cseq = msg.cseq
    callid = msg.callid
    if fb is None or to is None or cseq is None or callid is None or msg.via1 is None:
        return None
    v1 = msg.via1
    parts = [fb.tag or "", "" if msg.method_value & _NO_TO_TAG else (to.tag or ""), callid,
             msg.first_uri, cseq.number, v1.host, v1.port_str or ""]
    if v1.branch is not None:
        parts.append(v1.branch.value or "")
    md5 = hashlib.md5("".join(parts).encode("latin-1")).hexdigest()
    return f"z9hG4bK{_reverse_hex(tm_hash(callid, cseq.number))}.{md5}.0"


def via_line(si, branch_value: str) -> str:
    """via_builder(): our Via header for a request sent from socket `si`."""
    host = si.adv_host or si.address_str
    if si.is_ipv6 and not host.startswith("[") and ":" in host:
        host = f"[{host}]"
    if si.adv_host and si.adv_port:
        port = f":{si.adv_port}"
    elif si.port != 5060:
        port = f":{si.port}"
    else:
        port = ""
    return f"Via: SIP/2.0/{si.proto.upper()} {host}{port};branch={branch_value}\r\n"


def build_request(msg: Message, si) -> str | None:
    """The request as it leaves (build_req_buf_from_sip_req); None when it cannot be built."""
    if not msg.parse_headers(HDR_EOH_F):
        return None
    b = branch(msg)
    if b is None:
        return None
    return changed_message(msg, lambda: _via_lumps(msg, si, b))


def changed_message(msg: Message, more_lumps=None) -> str:
    """The message with the script's changes: the new request URI, the lumps, a
    Content-Length that follows body changes; `more_lumps()` may add lumps for this one
    build (they are dropped afterwards, as the script's own stay)."""
    buf = msg.buf
    saved = list(msg.lumps) if msg.lumps else None
    try:
        if msg.lumps and msg.eoh is not None:      # body lumps need the headers parsed
            body_start = msg.body_start()
            delta = msg.lump_delta(body_start, len(buf))
            cl = msg.first(HDR_CONTENTLENGTH) if delta else None
            if cl is not None:
                body_end = cl.start + len(buf[cl.start:cl.end].rstrip("\r\n\0"))
                msg.add_lump(body_end - len(cl.body), len(cl.body), after=str(len(buf) - body_start + delta))
        if more_lumps is not None:
            more_lumps()
        head_end = msg.fline_end
        if msg.type == 1 and msg.new_uri is not None:
            u = msg.uri_start
            first = buf[:u] + msg.new_uri + buf[u + len(msg.first_uri):head_end]
        else:
            first = buf[:head_end]
        return first + msg.apply_lumps(head_end, len(buf))
    finally:
        msg.lumps = saved


def _via_lumps(msg: Message, si, branch_value: str) -> None:
    """Our Via before the first one; received/rport on the previous hop's Via."""
    v1 = msg.via1
    src_ip = msg.rcv.src_ip if msg.rcv is not None else ""
    src_port = msg.rcv.src_port if msg.rcv is not None else 0
    after_host = (v1.params_start - 1) if v1.params_start is not None else _host_port_end(v1)
    received = f";received={src_ip}" if via_needs_received(msg) else ""
    rport = f";rport={src_port}" if (msg.force_rport or v1.rport is not None) else ""
    # Kamailio's order: received (in place of an old one, or at an anchor right after
    # host:port), then rport (in place of an old one, or first after received's lump)
    received_lump = rport_lump = None
    if received:
        received_lump = ([v1.received.start - 1, v1.received.size + 1, [received]]
                         if v1.received is not None else [after_host, 0, [received]])
    if rport:
        if v1.rport is not None:
            rport_lump = [v1.rport.start - 1, v1.rport.size + 1, [rport]]
        elif received_lump is not None:
            received_lump[2].insert(0, rport)
        else:
            rport_lump = [after_host, 0, [rport]]
    for lump in (received_lump, rport_lump):
        if lump is not None:
            msg.add_lump(lump[0], lump[1], after="".join(lump[2]))
    msg.add_lump(msg.h_via1.start, 0, before=via_line(si, branch_value))


def _host_port_end(v) -> int:
    end = v.host_start + len(v.host)
    if v.port_str:
        end += 1 + len(v.port_str)
    return end


def forward_request(core, msg: Message, host: str | None = None, port: int | None = None) -> int:
    """forward()/forward(host[, port]): 1 when sent, a negative error code otherwise."""
    log = core.log
    if host is None:
        uri_text = msg.dst_uri if msg.dst_uri else None
        try:
            u = parse_uri(uri_text, log) if uri_text else msg.parsed_ruri()
        except UriError:
            u = None
        if u is None:
            if L_ERR <= log.debug:
                log.write(L_ERR, "<core> [core/action.c:418]: do_action(): forward: bad_uri dropping packet\n")
            return -1
        host = u.maddr_val or u.host
        if port is None:
            port = u.port_no or None
    dest = resolve(host, port)
    if dest is None:
        if L_ERR <= log.debug:
            log.write(L_ERR, f"<core> [core/forward.c:516]: forward_request(): bad host name {host}, dropping packet\n")
        return -6                              # E_BAD_ADDRESS
    ip, dport = dest
    si = msg.force_socket or core.sockets.send_socket(ip)
    if si is None:
        if L_ERR <= log.debug:
            log.write(L_ERR, f"<core> [core/forward.c:548]: forward_request(): cannot forward to af "
                             f"{10 if ':' in ip else 2}, proto 1 no corresponding listening socket\n")
        return -7                              # E_NO_SOCKET
    text = build_request(msg, si)
    if text is None:
        if L_ERR <= log.debug:
            log.write(L_ERR, "<core> [core/forward.c:529]: forward_request(): char_msg_val failed\n")
        return -1
    return 1 if core.send(si, text, ip, dport, "request") else -1


# ---- the core actions forward(), forward(host), forward(host, port) ------------------------------
def forward0(ctx) -> int:
    return _forward(ctx, None, None)


def forward1(ctx, host: str) -> int:
    return _forward(ctx, host, None)


def forward2(ctx, host: str, port: int) -> int:
    return _forward(ctx, host, port)


def _forward(ctx, host, port) -> int:
    from .receive import sip_core
    msg = ctx.msg
    if msg is None or msg.type != 1:
        return -1
    return forward_request(sip_core(ctx.program), msg, host, port)
