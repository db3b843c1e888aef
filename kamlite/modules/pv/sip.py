"""Pseudo-variables that read (and some that write) the SIP message: $rm, $ru, $si, $hdr ...

Each getter is Kamailio 5.6.3's pv_get_* (modules/pv/pv_core.c) on the message in
ctx.msg: it returns an int, a str or None ($null), with Kamailio's types — a value that
Kamailio gives as "string with an int beside it" (PV_VAL_STR|PV_VAL_INT without
PV_TYPE_INT: $rp, $rm, $pr ...) is a str here, one typed int ($sp, $rs, $cl ...) an int;
unsigned ones ($mf, $bf, $sf) print as Kamailio prints them (2147483649, not negative) —
and logs what Kamailio logs (core and pv lines, DEBUG ones included) when a header or a URI
cannot be parsed.

Timer and event routes run on the faked request (ctx.msg.rcv is None): like Kamailio's
faked message it was received over UDP on no socket, from "1.0.0.127":5060 (Kamailio
stores 127.0.0.1 in host byte order).

Setters follow pv_set_*: $ru/$rU/$rd/$rp rewrite the request URI with the core's SET_*
actions (kamlite/modules/core_sip.py), $du sets or resets the destination URI, $fu $fU $fd
$fn and the $t* ones edit the From/To header through lumps (seen in $mbu and in what is
sent, not in the getters), $mf $bf $sf set flags, $fs/$fsn the forced send socket.  A
setter returns -1 when Kamailio's fails (after logging its lines); Kamailio's assignment
then also logs "setting pvar failed" / "assignment failed at pos", which is the
compiler's to print.
"""
from __future__ import annotations

import ipaddress
import re
import weakref

from ...log import L_DBG, L_ERR, L_WARN
from ...script import pv as PV
from ...script import runtime as RT
from ...sip import message as M
from ...sip.addr import AddrError, NameAddrError, parse_nameaddr, parse_to_body
from ...sip.digest import parse_digest_cred
from ...sip.forward import changed_message
from ...sip.params import ParamError, scan_params
from ...sip.transport import Sockets
from ...sip.uri import UriError, parse_uri
from ...sip.message import REPLY, REQUEST
from .. import PseudoVar

# ---- logging as the pv module does -------------------------------------------------------------


def _log(ctx, level, line, func, text, file="pv_core.c"):
    log = ctx.log
    if level <= log.debug:
        log.write(level, f"pv [{file}:{line}]: {func}(): {text}\n")


def _err(ctx, line, func, text):
    _log(ctx, L_ERR, line, func, text)


def _dbg(ctx, line, func, text):
    _log(ctx, L_DBG, line, func, text)


def _core(ctx, level, where, func, text):
    """A message of Kamailio's core: `where` is relative to src/core ("main.c" is not)."""
    log = ctx.log
    if level <= log.debug:
        path = where if where.startswith("main.c") else "core/" + where
        log.write(level, f"<core> [{path}]: {func}(): {text}\n")


# ---- receive info (the faked message of timer routes has no socket) ------------------------------
# fmsg.c stores 0x7f000001 into the address bytes in host order: on little-endian machines
# the faked message comes from "1.0.0.127"
_FAKED_SRC = ("1.0.0.127", 5060)
PROTO_IDS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}


def _src(msg):
    rcv = msg.rcv
    if rcv is None:
        return _FAKED_SRC
    return rcv.src_ip, rcv.src_port


def _proto(msg) -> str:
    rcv = msg.rcv
    return "udp" if rcv is None else rcv.proto


def _sock(msg):
    """rcv.bind_address: the socket the message came in on (None for the faked one)."""
    rcv = msg.rcv
    return None if rcv is None else rcv.socket


def _is_v6(ip: str) -> bool:
    return ":" in ip


# ---- per-message extras: parsed URIs of From/To (cached as Kamailio caches them) -----------------
_EXTRA: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _extra(msg) -> dict:
    d = _EXTRA.get(msg)
    if d is None:
        d = _EXTRA[msg] = {}
    return d


def _parse_uri(ctx, text):
    try:
        return parse_uri(text, ctx.log)
    except UriError:
        return None


# ---- first line ---------------------------------------------------------------------------------
def _method(attr: str, line: int, func: str):
    """$rm / $rmid: the request's method, or a reply's CSeq method."""
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        if msg.type == REQUEST:
            return getattr(msg, attr)
        cs = msg.cseq
        if cs is None:
            _err(ctx, line, func, "no CSEQ header")
            return None
        return getattr(cs, attr)
    return get


get_rm = _method("method", 157, "pv_get_method")
get_rmid = _method("method_value", 181, "pv_get_methodid")


def get_mt(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    return 1 if msg.type == REQUEST else (2 if msg.type == REPLY else 0)


def get_mts(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    return "rq" if msg.type == REQUEST else ("rp" if msg.type == REPLY else "xx")


def get_rv(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    return msg.version


def get_rs(state, ctx):
    msg = ctx.msg
    if msg is None or msg.type != REPLY:
        return None
    return msg.status


def get_rsi(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    return msg.status if msg.type == REPLY else 0


def get_rr(state, ctx):
    msg = ctx.msg
    if msg is None or msg.type != REPLY:
        return None
    return msg.reason


def get_mi(state, ctx):
    msg = ctx.msg
    return None if msg is None else msg.id


def get_true(state, ctx):
    return 1


# ---- request URI ----------------------------------------------------------------------------------
def get_ru(state, ctx):
    msg = ctx.msg
    if msg is None or msg.type == REPLY:
        return None
    if msg.parsed_ruri() is None:
        _err(ctx, 290, "pv_get_ruri", "failed to parse the R-URI")
        return None
    return msg.ruri


def _parsed_ouri(ctx, msg):
    u = msg.parsed_orig_uri()
    if u is None:
        _core(ctx, L_ERR, "parser/parse_uri.c:1345", "_parse_ruri", f"bad uri <{msg.first_uri}>")
        _core(ctx, L_ERR, "parser/parse_uri.c:1381", "parse_orig_ruri", "parse orig ruri failed")
    return u


def get_ou(state, ctx):
    msg = ctx.msg
    if msg is None or msg.type == REPLY:
        return None
    if _parsed_ouri(ctx, msg) is None:
        _err(ctx, 311, "pv_get_ouri", "failed to parse the R-URI")
        return None
    return msg.first_uri


# the scheme names of pv_uri_scheme[] by Kamailio's uri type
_SCHEME = {"sip": "sip", "sips": "sips", "tel": "tel", "tels": "tels", "urn": "urn"}


def _xuri_attr(u, what):
    """pv_get_xuri_attr(): user, host, port, proto, scheme, user length."""
    if what == "user":
        return u.user if u.user else None
    if what == "host":
        return u.host if u.host else None
    if what == "port":
        if u.port is None:
            return "5061" if u.proto == "tls" else "5060"
        return u.port
    if what == "proto":
        return "UDP" if u.transport_val is None else u.transport_val
    if what == "scheme":
        return _SCHEME.get(u.type, "none")
    return len(u.user) if u.user else 0          # user length


def _ruri_attr(what):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None or msg.type == REPLY:
            return None
        u = msg.parsed_ruri()
        if u is None:
            _err(ctx, 367, "pv_get_ruri_attr", "failed to parse the R-URI")
            return None
        return _xuri_attr(u, what)
    get.__name__ = f"get_ruri_{what}"
    return get


def _ouri_attr(what):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None or msg.type == REPLY:
            return None
        u = _parsed_ouri(ctx, msg)
        if u is None:
            _err(ctx, 385, "pv_get_ouri_attr", "failed to parse the R-URI")
            return None
        return _xuri_attr(u, what)
    get.__name__ = f"get_ouri_{what}"
    return get


# ---- destination URI ------------------------------------------------------------------------------
def get_du(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    if msg.dst_uri is None:
        _dbg(ctx, 1454, "pv_get_dsturi", "no destination URI")
        return None
    return msg.dst_uri


def _du_attr(what):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        if msg.dst_uri is None:
            _dbg(ctx, 1470, "pv_get_dsturi_attr", "no destination URI")
            return None
        u = _parse_uri(ctx, msg.dst_uri)
        if u is None:
            _err(ctx, 1476, "pv_get_dsturi_attr", "failed to parse dst uri")
            return None
        if what == "host":
            return u.host if u.host else None
        if what == "port":
            if not u.port:
                return "5061" if u.proto == "tls" else "5060"
            return u.port
        return "UDP" if u.transport_val is None else u.transport_val
    get.__name__ = f"get_du_{what}"
    return get


# ---- From / To ------------------------------------------------------------------------------------
def _to_body(ctx, msg):
    if M.HDR_TO not in msg._first and not msg.parsed_flags & M.HDR_EOH_F:
        if not msg.parse_headers(M.HDR_TO_F):
            _err(ctx, 499, "pv_get_to_attr", "cannot parse To header")
            return None
    tb = msg.to_body()
    if tb is None:
        _dbg(ctx, 503, "pv_get_to_attr", "no To header")
    return tb


def _from_body(ctx, msg):
    if msg.first(M.HDR_FROM) is None:
        _core(ctx, L_ERR, "parser/parse_from.c:53", "parse_from_header", "bad msg or missing FROM header")
        _err(ctx, 517, "pv_get_from_attr", "cannot parse From header")
        return None
    tb = msg.from_body()
    if tb is None:
        _err(ctx, 517, "pv_get_from_attr", "cannot parse From header")
    return tb


def _addr_uri(ctx, msg, tb, kind):
    """parse_to_uri() / parse_from_uri(): the parsed URI of the body, cached on success."""
    key = ("uri", kind, id(tb))
    ex = _extra(msg)
    u = ex.get(key)
    if u is not None:
        return u
    u = _parse_uri(ctx, tb.uri or "")
    if u is None:
        if kind == "to":
            _core(ctx, L_ERR, "parser/parse_to.c:81", "parse_to_uri", "failed to parse To uri")
        else:
            _core(ctx, L_ERR, "parser/parse_from.c:107", "parse_from_uri", "failed to parse From uri")
        return None
    ex[key] = u
    return u


def _xto_attr(ctx, msg, tb, kind, what):
    """pv_get_xto_attr()."""
    if what == "uri":
        return tb.uri or ""
    if what == "tag":
        if not tb.tag:
            _dbg(ctx, 434, "pv_get_xto_attr", "no Tag parameter")
            return None
        return tb.tag
    if what == "display":
        if not tb.display:
            _dbg(ctx, 444, "pv_get_xto_attr", "no Display name")
            return None
        return tb.display
    u = _addr_uri(ctx, msg, tb, kind)
    if u is None:
        if kind == "to":
            _err(ctx, 454, "pv_get_xto_attr", "cannot parse To URI")
        else:
            _err(ctx, 460, "pv_get_xto_attr", "cannot parse From URI")
        return None
    if what == "user":
        if not u.user:
            _dbg(ctx, 469, "pv_get_xto_attr", "no username")
            return None
        return u.user
    if what == "host":
        if not u.host:
            _dbg(ctx, 476, "pv_get_xto_attr", "no domain")
            return None
        return u.host
    return len(u.user) if u.user else 0


def _to_attr(what):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        tb = _to_body(ctx, msg)
        if tb is None:
            return None
        return _xto_attr(ctx, msg, tb, "to", what)
    get.__name__ = f"get_to_{what}"
    return get


def _from_attr(what):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        tb = _from_body(ctx, msg)
        if tb is None:
            return None
        return _xto_attr(ctx, msg, tb, "from", what)
    get.__name__ = f"get_from_{what}"
    return get


# ---- setters of From / To parts: lumps on the header (pv_set_xto_attr) ---------------------------
def _xto_offsets(msg, h, tb, u):
    """Buffer offsets Kamailio's to_body and sip_uri point at: (body, display, uri, user,
    host); display/user/host are None when absent."""
    buf = msg.buf
    body_off = buf.find(h.body, h.start + len(h.name))
    disp = tb.display or ""
    disp_off = body_off + h.body.find(disp) if disp else None
    uri = tb.uri or ""
    uri_off = body_off + h.body.find(uri, (disp_off - body_off + len(disp)) if disp else 0)
    colon = uri.find(":")
    scheme_end = colon + 1 if colon >= 0 else 0
    user_off = uri_off + scheme_end if u.user else None
    after_user = scheme_end + len(u.user or "")
    at = uri.find(u.host or "", after_user) if u.host else -1
    host_off = uri_off + (at if at >= 0 else after_user)
    return body_off, disp_off, uri_off, user_off, host_off


def _set_xto(ctx, msg, h, tb, u, what, value):
    if what == "uri":
        if value is None:
            _log(ctx, L_WARN, 3506, "pv_set_xto_attr", "To header URI cannot be deleted")
            return 0
        if value.__class__ is not str:
            _err(ctx, 3511, "pv_set_xto_attr", "attempt to assign non-str value to To header URI")
            return -1
    elif what == "user":
        if value is not None and value.__class__ is not str:
            _err(ctx, 3541, "pv_set_xto_attr", "attempt to assign non-str value to To header display name")
            return -1
    elif what == "host":
        if value is None:
            _log(ctx, L_WARN, 3567, "pv_set_xto_attr", "To header URI domain cannot be deleted")
            return 0
        if value.__class__ is not str:
            _err(ctx, 3572, "pv_set_xto_attr", "attempt to assign non-str value to To header URI domain")
            return -1
    else:
        if value is not None and value.__class__ is not str:
            _err(ctx, 3602, "pv_set_xto_attr", "attempt to assign non-str value to To header display name")
            return -1
    if u.scheme == "tel" and (what == "host" or (what == "user" and not u.user)):
        # the host of a tel: URI is a static empty string outside the message: Kamailio's
        # lump lands nowhere and the message does not change
        return 0
    body_off, disp_off, uri_off, user_off, host_off = _xto_offsets(msg, h, tb, u)
    buf = msg.buf
    new = value or ""
    if what == "uri":
        pos, length = uri_off, len(tb.uri or "")
    elif what == "user":
        ulen = len(u.user or "")
        if value is None:
            if not ulen:
                return 0
            pos, length = user_off, ulen + (1 if buf[user_off + ulen:user_off + ulen + 1] == "@" else 0)
        elif not ulen:
            pos, length, new = host_off, 0, new + "@"
        else:
            pos, length = user_off, ulen
    elif what == "host":
        pos, length = host_off, len(u.host or "")
    else:
        dlen = len(tb.display or "")
        if value is None:
            if not dlen:
                return 0
            pos, length = disp_off, dlen + (1 if buf[disp_off + dlen:disp_off + dlen + 1] == " " else 0)
        elif not dlen:
            pos, length, new = body_off, 0, new + " "
        else:
            pos, length = disp_off, dlen
    msg.add_lump(pos, length, after=new)
    return 0


def _to_setter(what):
    def set(state, ctx, value):
        msg = ctx.msg
        if msg is None:
            return -1
        if M.HDR_TO not in msg._first and not msg.parsed_flags & M.HDR_EOH_F:
            if not msg.parse_headers(M.HDR_TO_F):
                _err(ctx, 3663, "pv_set_to_attr", "cannot parse To header")
                return -1
        tb = msg.to_body()
        if tb is None:
            _dbg(ctx, 3667, "pv_set_to_attr", "no To header")
            return -1
        u = _addr_uri(ctx, msg, tb, "to")
        if u is None:
            _err(ctx, 3671, "pv_set_to_attr", "cannot parse To header URI")
            return -1
        return _set_xto(ctx, msg, msg.first(M.HDR_TO), tb, u, what, value)
    set.__name__ = f"set_to_{what}"
    return set


def _from_setter(what):
    def set(state, ctx, value):
        msg = ctx.msg
        if msg is None:
            return -1
        h = msg.first(M.HDR_FROM)
        tb = msg.from_body() if h is not None else None
        if tb is None:
            if h is None:
                _core(ctx, L_ERR, "parser/parse_from.c:53", "parse_from_header", "bad msg or missing FROM header")
            _err(ctx, 3709, "pv_set_from_attr", "failed to parse From header")
            return -1
        u = _addr_uri(ctx, msg, tb, "from")
        if u is None:
            _err(ctx, 3714, "pv_set_from_attr", "cannot parse From header URI")
            return -1
        return _set_xto(ctx, msg, h, tb, u, what, value)
    set.__name__ = f"set_from_{what}"
    return set


# ---- other headers -------------------------------------------------------------------------------
def get_ci(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    h = msg.first(M.HDR_CALLID)
    if h is None:
        _err(ctx, 754, "pv_get_callid", "cannot parse Call-Id header")
        return None
    return h.body


def _header_value(htype: int, attr: str, log, line: int, func: str, text: str):
    """A getter for the first header of a type: its body or its parsed value; $null (and
    the pv_core.c line) without one."""
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        h = msg.first(htype)
        if h is None:
            log(ctx, line, func, text)
            return None
        return getattr(h, attr)
    return get


get_csb = _header_value(M.HDR_CSEQ, "body", _err, 552, "pv_get_cseq_body", "cannot parse CSEQ header")
get_ua = _header_value(M.HDR_USERAGENT, "body", _dbg, 1134, "pv_get_useragent", "no User-Agent header")
get_cT = _header_value(M.HDR_CONTENTTYPE, "body", _dbg, 1515, "pv_get_content_type", "no Content-Type header")
get_cl = _header_value(M.HDR_CONTENTLENGTH, "parsed", _dbg, 1532, "pv_get_content_length",
                       "no Content-Length header")
_get_cseq = _header_value(M.HDR_CSEQ, "parsed", _err, 537, "pv_get_cseq", "cannot parse CSEQ header")


def get_cs(state, ctx):
    cs = _get_cseq(state, ctx)
    return None if cs is None else cs.number


def get_ct(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    h = msg._first.get(M.HDR_CONTACT)
    if h is None and not msg.parsed_flags & M.HDR_EOH_F:
        if not msg.parse_headers(M.flag(M.HDR_CONTACT)):
            _dbg(ctx, 405, "pv_get_contact", "no contact header")
            return None
        h = msg._first.get(M.HDR_CONTACT)
    if h is None or not h.body:
        _dbg(ctx, 411, "pv_get_contact", "no contact header!")
        return None
    return h.body


def _body_start(ctx, msg):
    """get_body(): offset of the body in the buffer, None (logged) when the headers do not
    parse to their end or do not end with an empty line."""
    if not msg.parse_headers(M.HDR_EOH_F):
        _core(ctx, L_ERR, "parser/msg_parser.c:1384", "get_body", "failed to parse to end of headers")
        return None
    buf = msg.buf
    n = len(buf)
    pos = msg.eoh if msg.eoh is not None else n
    if pos + 2 <= n and buf.startswith("\r\n", pos):
        return pos + 2
    if pos + 1 <= n and buf[pos] in "\n\r":
        return pos + 1
    rest = M.cstr(buf[pos:]) if pos < n else ""
    _core(ctx, L_ERR, "parser/msg_parser.c:1401", "get_body",
          f"failed to locate end of headers (0x0 0x0 - {n} {pos} [{rest}])")
    return None


def get_rb(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    start = _body_start(ctx, msg)
    if start is None:
        _dbg(ctx, 1552, "pv_get_msg_body", "no message body")
        return None
    return msg.buf[start:]


def get_bs(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    start = _body_start(ctx, msg)
    return 0 if start is None else len(msg.buf) - start


def get_mb(state, ctx):
    msg = ctx.msg
    return None if msg is None else msg.buf


def get_mbu(state, ctx):
    """$mbu: the message with the script's changes applied (new request URI, lumps,
    Content-Length following body changes), without a Via of ours and without updating the
    first one (build_req_buf_from_sip_req / generate_res_buf_from_sip_res with
    BUILD_NO_LOCAL_VIA|BUILD_NO_VIA1_UPDATE)."""
    msg = ctx.msg
    if msg is None or msg.type not in (REQUEST, REPLY):
        return None
    return changed_message(msg)


def get_ml(state, ctx):
    msg = ctx.msg
    return None if msg is None else len(msg.buf)


def get_re(state, ctx):
    """$re: the URI of the Remote-Party-ID header."""
    msg = ctx.msg
    if msg is None:
        return None
    tb = _addr_header(ctx, msg, M.HDR_RPID, ("parser/parse_rpid.c:68", "parse_rpid_header", "bad rpid header"))
    if tb is None:
        _dbg(ctx, 1229, "pv_get_rpid", "no RPID header")
        return None
    return tb.uri or ""


def get_rt(state, ctx):
    """$rt: the URI of the Refer-To header."""
    msg = ctx.msg
    if msg is None:
        return None
    tb = _addr_header(ctx, msg, M.HDR_REFER_TO,
                      ("parser/parse_refer_to.c:71", "parse_refer_to_header", "bad Refer-To header"))
    if tb is None:
        _dbg(ctx, 1149, "pv_get_refer_to", "no Refer-To header")
        return None
    return tb.uri or ""


def _addr_header(ctx, msg, htype, error):
    """The parsed to-body of the first header of a type (parse_rpid_header ...), cached."""
    h = msg.first(htype)
    if h is None:
        return None
    key = ("addr", id(h))
    ex = _extra(msg)
    tb = ex.get(key)
    if tb is not None:
        return tb
    try:
        tb = parse_to_body(h.body, ctx.log)
    except AddrError:
        _core(ctx, L_ERR, *error)
        return None
    ex[key] = tb
    return tb


def _diversion(what):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        tb = _addr_header(ctx, msg, M.HDR_DIVERSION,
                          ("parser/parse_diversion.c:78", "parse_diversion_header", "bad diversion header"))
        if tb is None:
            _dbg(ctx, 1170, "pv_get_diversion", "no Diversion header")
            return None
        if what == "uri":
            return tb.uri or ""
        for name, value in tb.params:
            if name == what:
                return value if value is not None else ""
        return None
    get.__name__ = f"get_diversion_{what}"
    return get


def _split_ids(text: str) -> list[str]:
    """A P-Asserted/Preferred-Identity value split at the commas between name-addrs (outside
    quotes and <>), at most 10 bodies as Kamailio keeps."""
    out, cur, quoted, angle, i = [], [], False, False, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == "\\" and i + 1 < len(text):
                cur.append(text[i:i + 2])
                i += 2
                continue
            if c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "<":
            angle = True
        elif c == ">":
            angle = False
        elif c == "," and not angle:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    out.append("".join(cur))
    return out[:10]


def _identities(ctx, msg, htype):
    """[ToBody] of every P-Asserted-Identity (or P-Preferred-Identity) body, None when there
    is none or one fails to parse."""
    if htype not in msg._first and not msg.parsed_flags & M.HDR_EOH_F:
        if not msg.parse_headers(M.flag(htype)):
            if htype == M.HDR_PAI:
                _core(ctx, L_ERR, "parser/parse_ppi_pai.c:144", "parse_pai_header", "Error parsing PAI header")
            else:
                _core(ctx, L_ERR, "parser/parse_ppi_pai.c:191", "parse_ppi_header", "Error parsing PPI header")
            return None
    if htype not in msg._first:
        return None
    hs = msg.all(htype)
    ex = _extra(msg)
    key = ("ids", htype)
    if key in ex:
        return ex[key]
    ids = []
    for h in hs:
        for n, part in enumerate(_split_ids(h.body)):
            try:
                ids.append(parse_to_body(part.strip(" \t"), ctx.log))
            except AddrError:
                _core(ctx, L_ERR, "parser/parse_ppi_pai.c:%d" % (59 if n == 0 else 91), "parse_pai_ppi_body",
                      f"Error parsing PAI/PPI body {n} '{h.body}'")
                return None
    ex[key] = ids
    return ids


class _IdentitySpec(PV.PVSpec):
    """$ai, $pu, $pU, $pd, $pn with an optional [index]."""
    accepts_index = True

    def __init__(self, text, htype, what, index):
        super().__init__(text)
        self.htype = htype
        self.what = what
        self.index = index
        self.can_fail = isinstance(index, PV.PVSpec) or index == "*"

    def get(self, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        pai = self.htype == M.HDR_PAI
        ids = _identities(ctx, msg, self.htype)
        if ids is None:
            if pai:
                _dbg(ctx, 1354, "pv_get_pai", "no P-Asserted-Identity header")
            else:
                _dbg(ctx, 1254, "pv_get_ppi_attr", "no P-Preferred-Identity header")
            return None
        idx = _index_value(ctx, self.index)
        if idx == "*":
            _err(ctx, 1366 if self.htype == M.HDR_PAI else 1266,
                 "pv_get_pai" if self.htype == M.HDR_PAI else "pv_get_ppi_attr",
                 "Unable to return 'all' %s values" % ("PAI" if self.htype == M.HDR_PAI else "PPI"))
            raise RT.PV_FAIL
        if idx < 0 or idx >= len(ids):
            if idx < 0:
                idx = 0
            else:
                return None
        tb = ids[idx]
        w = self.what
        if w == "uri":
            return tb.uri or ""
        if w == "display":
            if not tb.display:
                _dbg(ctx, 1305, "pv_get_ppi_attr", "no P-Preferred-Identity display name")
                return None
            return tb.display
        u = _parse_uri(ctx, tb.uri or "")
        if u is None:
            _err(ctx, 1316, "pv_get_ppi_attr", "cannot parse P-Preferred-Identity URI")
            return None
        if w == "user":
            if not u.user:
                _dbg(ctx, 1323, "pv_get_ppi_attr", "no P-Preferred-Identity username")
                return None
            return u.user
        if not u.host:
            _dbg(ctx, 1329, "pv_get_ppi_attr", "no P-Preferred-Identity domain")
            return None
        return u.host


def _index_value(ctx, index):
    """pv_get_spec_index(): None (no index: 0), an int, "*", or the int value of a PV
    (PVFail with Kamailio's errors when it is not an int)."""
    if index is None:
        return 0
    if isinstance(index, PV.PVSpec):
        try:
            v = index.get(ctx)
        except RT.PVFail:
            _core(ctx, L_ERR, "pvapi.c:1383", "pv_get_spec_index", "cannot get index value")
            raise
        if v.__class__ is not int:
            _core(ctx, L_ERR, "pvapi.c:1388", "pv_get_spec_index", "invalid index value")
            raise RT.PV_FAIL
        return v
    return index


def _make_identity(htype, what):
    def make(state, program, pvt):
        from . import _index
        return _IdentitySpec(pvt.text, htype, what, _index(pvt.index, program))
    return make


# ---- authorization credentials ------------------------------------------------------------------
class Credentials:
    __slots__ = ("whole", "user", "domain", "realm", "nonce", "uri", "response", "cnonce",
                 "opaque", "qop", "nc", "alg")

    def __init__(self):
        for k in self.__slots__:
            setattr(self, k, None)


_CRED_FIELDS = {"username": "whole", "algorithm": "alg"}      # other names are field names


def parse_digest(body: str):
    """parse_credentials(): Credentials, 1 for another scheme, -2 for a broken value."""
    cred = parse_digest_cred(body)
    if cred is None:
        return -2
    if cred == 1:
        return 1
    c = Credentials()
    for name, value in cred.items():
        setattr(c, _CRED_FIELDS.get(name, name), value)
    if c.whole is not None:
        user = c.whole
        if len(c.whole) > 2:
            at = user.find("@")
            if at >= 0:
                c.domain = user[at + 1:]
                user = user[:at]
            colon = user.find(":")
            if colon >= 0:
                user = user[colon + 1:]
        c.user = user
    return c


def _auth_attr(what):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        if msg.type == REQUEST and msg.method_value in (M.METHODS["ACK"], M.METHODS["CANCEL"]):
            _dbg(ctx, 1587, "pv_get_authattr", "no [Proxy-]Authorization header")
            return None
        ok = msg.parse_headers(M.flag(M.HDR_PROXYAUTH) | M.flag(M.HDR_AUTHORIZATION))
        h = msg._first.get(M.HDR_PROXYAUTH) or msg._first.get(M.HDR_AUTHORIZATION)
        if not ok or h is None:
            _dbg(ctx, 1594, "pv_get_authattr", "no [Proxy-]Authorization header")
            return None
        c = parse_digest(h.body)
        if not isinstance(c, Credentials):
            _err(ctx, 1601, "pv_get_authattr", "failed to parse credentials")
            return None
        if what == "uri":
            return c.uri if c.uri else None
        v = getattr(c, what)
        return "" if v is None else v
    get.__name__ = f"get_auth_{what}"
    return get


def _acc_user(full):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        tb = msg.from_body() if msg.first(M.HDR_FROM) is not None else None
        if tb is None:
            _err(ctx, 1740 if full else 1694, "pv_get_acc_username" if full else "pv_get_acc_user",
                 "cannot parse FROM header")
            return None
        if tb.uri:
            u = _parse_uri(ctx, tb.uri)
            if u is None:
                _err(ctx, 1745 if full else 1699, "pv_get_acc_username" if full else "pv_get_acc_user",
                     "bad From URI")
                return None
            if full:
                return f"{u.user or ''}@{u.host or ''}"
            return u.user or ""
        return "" if full else None
    get.__name__ = "get_acc_username" if full else "get_acc_user"
    return get


# ---- where it came from, where it arrived ---------------------------------------------------------
def get_si(state, ctx):
    msg = ctx.msg
    return None if msg is None else _src(msg)[0]


def get_siz(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    ip = _src(msg)[0]
    return f"[{ip}]" if _is_v6(ip) else ip


def get_sp(state, ctx):
    msg = ctx.msg
    return None if msg is None else _src(msg)[1]


def _src_uri(full):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        ip, port = _src(msg)
        proto = _proto(msg)
        host = f"[{ip}]" if _is_v6(ip) else ip
        tail = "" if (not full and proto == "udp") else f";transport={proto}"
        return f"sip:{host}:{port}{tail}"
    get.__name__ = "get_sut" if full else "get_su"
    return get


def get_sas(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    ip, port = _src(msg)
    return f"{_proto(msg)}:{f'[{ip}]' if _is_v6(ip) else ip}:{port}"


def get_pr(state, ctx):
    msg = ctx.msg
    return None if msg is None else _proto(msg)


def get_prid(state, ctx):
    msg = ctx.msg
    return None if msg is None else PROTO_IDS.get(_proto(msg), 0)


def get_Ri(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = _sock(msg)
    return None if si is None else si.address


def get_Rp(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = _sock(msg)
    return None if si is None else si.port


def get_Rn(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = _sock(msg)
    return si.sockname if si is not None and si.sockname else None


def get_Ras(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = _sock(msg)
    return None if si is None else _sock_str(si)


def _sock_str(si) -> str:
    return f"{si.proto}:{si.address_str}:{si.port}"


def _adv_host(si):
    h = si.adv_host
    if not h:
        return None
    return h[1:-1] if h.startswith("[") and h.endswith("]") else h


def get_RAi(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = _sock(msg)
    if si is None:
        return None
    return _adv_host(si) or si.address


def get_RAp(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = _sock(msg)
    if si is None:
        return None
    if si.adv_host:
        return si.adv_port or 0
    return si.port


def _rcv_uri(full, advertised):
    def get(state, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        si = _sock(msg)
        if si is None:
            _core(ctx, L_ERR, "parser/msg_parser.c:1294", "get_rcv_socket_uri", "invalid parameter value")
            return None
        proto = _proto(msg)
        ip, port = si.address, str(si.port)
        if advertised and si.adv_host:
            ip = _adv_host(si)
            port = str(si.adv_port or 0)
        if _is_v6(_src(msg)[0]):
            ip = f"[{ip}]"
        tail = "" if (not full and proto == "udp") else f";transport={proto}"
        return f"sip:{ip}:{port}{tail}"
    get.__name__ = "get_rcv_uri"
    return get


# ---- flags ---------------------------------------------------------------------------------------
def _hex8(v: int) -> str:
    return "%08x" % (v & 0xFFFFFFFF)


def _signed(v: int) -> int:
    """pv_get_uintval(): Kamailio prints (and converts to a string) the unsigned value; only
    a 32-bit int context would see it negative."""
    return v & 0xFFFFFFFF


def get_mf(state, ctx):
    msg = ctx.msg
    return None if msg is None else _signed(msg.flags)


def get_mF(state, ctx):
    msg = ctx.msg
    return None if msg is None else _hex8(msg.flags)


def _set_int_flags(ctx, value, line_bad, what):
    if value is None:
        return 0
    if value.__class__ is not int:
        _err(ctx, line_bad, {"msg": "pv_set_mflags", "script": "pv_set_sflags",
                             "branch": "pv_set_bflags"}[what],
             {"msg": "assigning non-int value to msg flags",
              "script": "assigning non-int value to script flags",
              "branch": "assigning non-int value to branch 0 flags"}[what])
        return None
    return value & 0xFFFFFFFF


def set_mf(state, ctx, value):
    msg = ctx.msg
    if msg is None:
        return -1
    v = _set_int_flags(ctx, value, 3320, "msg")
    if v is None:
        return -1
    msg.flags = v
    return 0


def _bflags(state, ctx) -> int:
    """Branch 0 flags: one value per process, cleared when a new SIP message arrives
    (receive_msg's clear_branches); timer routes see what the last message left."""
    msg = ctx.msg
    owner = getattr(state, "sip_bflags_owner", None)
    if msg is not None and msg.rcv is not None and (owner is None or owner() is not msg):
        state.sip_bflags_owner = weakref.ref(msg)
        state.sip_bflags = 0
    return getattr(state, "sip_bflags", 0)


def get_bf(state, ctx):
    return _signed(_bflags(state, ctx))


def get_bF(state, ctx):
    return _hex8(_bflags(state, ctx))


def set_bf(state, ctx, value):
    _bflags(state, ctx)
    v = _set_int_flags(ctx, value, 3443, "branch")
    if v is None:
        return -1
    state.sip_bflags = v
    return 0


def _sflags(state, ctx) -> list:
    """Script flags: run_top_route() starts each top route with none (and restores the
    caller's afterwards), so they belong to the run context."""
    runs = getattr(state, "sip_sflags", None)
    if runs is None:
        runs = state.sip_sflags = {}
    entry = runs.get(id(ctx))
    if entry is None or entry[0] is not ctx:
        if len(runs) >= 16:
            runs.pop(next(iter(runs)))
        entry = runs[id(ctx)] = [ctx, 0]
    return entry


def get_sf(state, ctx):
    return _sflags(state, ctx)[1]


def get_sF(state, ctx):
    return _hex8(_sflags(state, ctx)[1])


def set_sf(state, ctx, value):
    v = _set_int_flags(ctx, value, 3381, "script")
    if v is None:
        return -1
    _sflags(state, ctx)[1] = v
    return 0


# ---- branches and the destination set (kamlite has no branches yet: only the R-URI) ------------
def get_br(state, ctx):
    return None


def get_bR(state, ctx):
    return None


def get_ds(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    if msg.new_uri is None:
        _core(ctx, L_WARN, "dset.c:689", "print_dset", "no r-uri or branches")
        return None
    return f"Contact: <{msg.new_uri}>"


def get_ruid(state, ctx):
    msg = ctx.msg
    if msg is None or msg.type == REPLY:
        return None
    _dbg(ctx, 2827, "pv_get_ruid", "no ruid")
    return None


# ---- forced send socket --------------------------------------------------------------------------
def get_fs(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = msg.force_socket
    return None if si is None else _sock_str(si)


def get_fsn(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = msg.force_socket
    return si.sockname if si is not None and si.sockname else None


def get_fsp(state, ctx):
    msg = ctx.msg
    if msg is None:
        return None
    si = msg.force_socket
    return 0 if si is None else si.port


def _sockets(ctx):
    core = getattr(ctx.program, "sip", None)
    if core is not None:
        return core.sockets
    return Sockets.from_program(ctx.program)


_STRTOL = None


def _strtol_all(text: str):
    """strtol(text, &end, 10) that must consume the whole (non-empty) text; None if not."""
    global _STRTOL
    if _STRTOL is None:
        _STRTOL = re.compile(r"[ \t\n\r\f\v]*[+-]?[0-9]+")
    if _STRTOL.fullmatch(text) is None:
        return None
    return int(text)


def _parse_proto(ctx, text: str):
    """parse_proto() of main.c: udp, tcp (unless disabled), tls, sctp; None otherwise."""
    core = ctx.program.core
    t = text.lower()
    if t == "udp":
        return "udp"
    if t == "tcp" and not core.get("disable_tcp", 0):
        return "tcp"
    if t == "tls" and not core.get("disable_tcp", 0) and core.get("enable_tls", 0):
        return "tls"
    if t == "sctp" and core.get("enable_sctp", 0):
        return "sctp"
    return None


def parse_phostport(ctx, text: str):
    """parse_phostport() of main.c: [proto:]host[:port] -> (proto or None, host, port or 0);
    None (logged) when it is not valid."""
    first = second = None
    bracket = 0
    for i, c in enumerate(text):
        if c == "[":
            bracket += 1
            if bracket > 1:
                _core(ctx, L_ERR, "main.c:1209", "parse_phostport", f"too many brackets in {text}")
                return None
        elif c == "]":
            bracket -= 1
            if bracket < 0:
                _core(ctx, L_ERR, "main.c:1209", "parse_phostport", f"too many brackets in {text}")
                return None
        elif c == ":" and bracket == 0:
            if first is None:
                first = i
            elif second is None:
                second = i
            else:
                _core(ctx, L_ERR, "main.c:1212", "parse_phostport", f"too many colons in {text}")
                return None
    if not text:
        return None
    if text[-1] == ":":
        _core(ctx, L_ERR, "main.c:1212", "parse_phostport", f"too many colons in {text}")
        return None
    if first is None:
        return None, text, 0
    if second is not None:
        proto = _parse_proto(ctx, text[:first])
        if proto is None:
            _core(ctx, L_ERR, "main.c:1215", "parse_phostport", f"bad protocol in {text}")
            return None
        port = _strtol_all(text[second + 1:])
        if port is None:
            _core(ctx, L_ERR, "main.c:1218", "parse_phostport", f"bad port number in {text}")
            return None
        return proto, text[first + 1:second], port
    port = _strtol_all(text[first + 1:])
    if port is None:
        proto = _parse_proto(ctx, text[:first])
        if proto is None:
            _core(ctx, L_ERR, "main.c:1215", "parse_phostport", f"bad protocol in {text}")
            return None
        return proto, text[first + 1:], 0
    return None, text[:first], port


def _host_is(host: str, name: str, address: str) -> bool:
    """si_hname_cmp(): the name (case-insensitively), else the IP address."""
    if host.lower() == (name or "").lower():
        return True
    if ":" in host:
        try:
            return ipaddress.ip_address(host) == ipaddress.ip_address(address)
        except ValueError:
            return False
    return host == address


def find_socket(ctx, proto, host, port):
    """grep_sock_info(): a listening socket by host (name, address or advertised name),
    port (0: any; the advertised port matches too) and proto (None: udp first, then the
    others)."""
    h = host[1:-1] if len(host) > 2 and host.startswith("[") and host.endswith("]") else host
    socks = _sockets(ctx).listen
    order = [proto] if proto is not None else ["udp", "tcp", "tls", "sctp", "ws", "wss"]
    port = port & 0xFFFF
    for pr in order:
        for si in socks:
            if si.proto != pr:
                continue
            if port and si.port != port and (si.adv_port or 0) != port:
                continue
            if _host_is(h, si.name, si.address):
                return si
            if si.adv_host:
                adv = _adv_host(si)
                if _host_is(h, si.adv_host, adv):
                    return si
    return None


def set_fs(state, ctx, value):
    msg = ctx.msg
    if msg is None:
        return -1
    if value is None:
        msg.force_socket = None
        return 0
    if value.__class__ is not str or not value:
        _err(ctx, 3242, "pv_set_force_sock", "str value required to set the force send sock")
        return -1
    p = parse_phostport(ctx, M.cstr(value))
    if p is None:
        _err(ctx, 3249, "pv_set_force_sock", "invalid socket specification")
        return -1
    _dbg(ctx, 3254, "pv_set_force_sock", f"trying to set send-socket to [{value}]")
    si = find_socket(ctx, *p)
    if si is not None:
        msg.force_socket = si
    else:
        _log(ctx, L_WARN, 3260, "pv_set_force_sock", f"no socket found to match [{value}]")
    return 0


def set_fsn(state, ctx, value):
    msg = ctx.msg
    if msg is None:
        return -1
    if value is None:
        msg.force_socket = None
        return 0
    if value.__class__ is not str or not value:
        _err(ctx, 3285, "pv_set_force_sock_name", "str value required to set the force send sock")
        return -1
    _dbg(ctx, 3289, "pv_set_force_sock_name", f"trying to set send-socket to name [{value}]")
    for si in _sockets(ctx).listen:
        if si.sockname == value:
            msg.force_socket = si
            return 0
    _log(ctx, L_WARN, 3294, "pv_set_force_sock_name", f"no socket found to match name [{value}]")
    return 0


# ---- setters of the request URI and the destination URI ----------------------------------------
def set_du(state, ctx, value):
    msg = ctx.msg
    if msg is None:
        return -1
    if value is None:
        msg.dst_uri = None
        return 1
    if value.__class__ is not str:
        _err(ctx, 2995, "pv_set_dsturi", "error - str value required to set dst uri")
        return -1
    msg.dst_uri = value if value else None
    return 0


def _do_set(ctx, kind, value, failed_line, func, failed_text="do action failed"):
    from ..core_sip import rewrite_ruri
    if rewrite_ruri(ctx, kind, value, ":0") < 0:
        _err(ctx, failed_line, func, failed_text)
        return -1
    return 0


def set_ru(state, ctx, value):
    if ctx.msg is None or value is None:
        _err(ctx, 3019, "pv_set_ruri", "bad parameters")
        return -1
    if value.__class__ is not str:
        _err(ctx, 3025, "pv_set_ruri", "str value required to set R-URI")
        return -1
    return _do_set(ctx, "uri", M.cstr(value), 3037, "pv_set_ruri")


def set_rU(state, ctx, value):
    if ctx.msg is None:
        return -1
    if value is None or value == "":
        return _do_set(ctx, "user", "", 3071, "pv_set_ruri_user", "do action failed)")
    if value.__class__ is not str:
        _err(ctx, 3079, "pv_set_ruri_user", "str value required to set R-URI user")
        return -1
    return _do_set(ctx, "user", M.cstr(value), 3091, "pv_set_ruri_user")


def set_rd(state, ctx, value):
    if ctx.msg is None or value is None:
        _err(ctx, 3111, "pv_set_ruri_host", "bad parameters")
        return -1
    if value.__class__ is not str:
        _err(ctx, 3117, "pv_set_ruri_host", "str value required to set R-URI hostname")
        return -1
    return _do_set(ctx, "host", M.cstr(value), 3129, "pv_set_ruri_host")


def set_rp(state, ctx, value):
    if ctx.msg is None:
        return -1
    if value is None:
        return _do_set(ctx, "port", "", 3162, "pv_set_ruri_port", "do action failed)")
    if value.__class__ is int:
        value = str(value)
    return _do_set(ctx, "port", M.cstr(value), 3182, "pv_set_ruri_port")


# ---- $hdr, $hdrc, $hfl, $hflc ---------------------------------------------------------------------
def _header_key(name: str):
    """What a header name matches: ("t", type) for a known header, ("n", lower name) for
    another one, ("*",) for the name "*"."""
    if name == "*":
        return ("*",)
    t = M.HEADER_TYPES.get(name.lower(), M.HDR_OTHER)
    if t != M.HDR_OTHER:
        return ("t", t)
    return ("n", name.lower())


def _matches(h, key) -> bool:
    if key[0] == "t":
        return h.type == key[1]
    if key[0] == "*":
        return True
    return h.type == M.HDR_OTHER and h.name.lower() == key[1]


def _valid_hname(name: str) -> bool:
    return bool(name) and all(c in M._HNAME_CHARS for c in name)


class HdrSpec(PV.PVSpec):
    """$hdr(Name), $(hdr(Name)[i]), $(hdr(Name)[*]), $(hdr(Name)[-1]), $hdr($var(name))."""
    accepts_index = True

    def __init__(self, text, name, index):
        super().__init__(text)
        self.name = name                         # str, or a PV spec giving the name
        self.key = None if isinstance(name, PV.PVSpec) else _header_key(name)
        self.index = index
        self.can_fail = isinstance(name, PV.PVSpec) or isinstance(index, PV.PVSpec)

    def _key(self, ctx, line_invalid, func):
        if self.key is not None:
            return self.key
        return _dyn_key(ctx, self.name, line_invalid, func)

    def get(self, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        key = self._key(ctx, 2139, "pv_get_hdr")
        if key is None:
            return None
        idx = self._idx(ctx, 2162, "pv_get_hdr")
        return hdr_value(ctx, msg, key, idx)

    def _idx(self, ctx, line, func):
        try:
            return _index_value(ctx, self.index)
        except RT.PVFail:
            _err(ctx, line, func, "invalid index")
            raise


# where pv_get_hdr/hdrc/hfl/hflc log "invalid name" and "error parsing header name"
_NAME_ERRORS = {"pv_get_hdr": (2139, 2144), "pv_get_hdrc": (2188, 2193), "pv_get_hfl": (2256, 2261),
                "pv_get_hflc": (2506, 2511)}


def _dyn_key(ctx, spec, line_invalid, func):
    """The header a name PV gives ($hdr($var(n))): a key; PVFail after "invalid name", or
    None after "error parsing header name" (the getter then gives $null, or 0 for counts)."""
    try:
        v = spec.get(ctx)
    except RT.PVFail:
        _core(ctx, L_ERR, "pvapi.c:1240", "pv_get_spec_name", "cannot get name value")
        v = False
    else:
        if v is None or v == "":
            _core(ctx, L_ERR, "pvapi.c:1245", "pv_get_spec_name", "null or empty name")
            v = False
    if v is False:
        _err(ctx, _NAME_ERRORS[func][0], func, "invalid name")
        if func in ("pv_get_hdrc", "pv_get_hflc"):
            return None
        raise RT.PV_FAIL
    v = v if v.__class__ is str else str(v)
    if not _valid_hname(v):
        _err(ctx, _NAME_ERRORS[func][1], func, f"error parsing header name [{v}]")
        return None
    t = M.HEADER_TYPES.get(v.lower(), M.HDR_OTHER)
    return ("t", t) if t != M.HDR_OTHER else ("n", v.lower())


def hdr_value(ctx, msg, key, idx):
    """pv_get_hdr_helper()."""
    if not msg.parse_headers(M.HDR_EOH_F):
        _err(ctx, 2002, "pv_get_hdr_helper", "error parsing headers")
        return None
    hs = [h for h in msg.headers if _matches(h, key)]
    if not hs:
        return None
    if idx == "*":
        return ",".join(h.body for h in hs)
    if idx < 0:
        if -idx > len(hs):
            _dbg(ctx, 2085, "pv_get_hdr_helper", "index out of range")
            return None
        idx += len(hs)
    if idx < len(hs):
        return hs[idx].body
    _dbg(ctx, 2119, "pv_get_hdr_helper", "index out of range")
    return None


def make_hdr(state, program, pvt):
    from . import _index
    return HdrSpec(pvt.text, _hdr_name(program, pvt), _index(pvt.index, program))


def _hdr_name(program, pvt):
    inner = pvt.inner
    if inner.startswith("$"):
        return program.pv_spec(inner)
    if inner != "*" and not _valid_hname(inner):
        raise ValueError(f"error parsing header name [{inner}:]")
    return inner


class HdrcSpec(PV.PVSpec):
    vtype = "i"

    def __init__(self, text, name):
        super().__init__(text)
        self.name = name
        self.key = None if isinstance(name, PV.PVSpec) else _header_key(name)

    def get(self, ctx):
        msg = ctx.msg
        if msg is None:
            return 0
        key = self.key
        if key is None:
            key = _dyn_key(ctx, self.name, 2188, "pv_get_hdrc")
            if key is None:
                return 0
        if not msg.parse_headers(M.HDR_EOH_F):
            _err(ctx, 2213, "pv_get_hdrc", "error parsing headers")
            return 0
        return _count(ctx, msg, key)


def _count(ctx, msg, key):
    if key[0] == "*":
        # cmp_hdrname_str() parses "*" as a header name, fails, and counts nothing
        for h in msg.headers:
            _core(ctx, L_ERR, "parser/parse_hname2.c:238", "parse_sip_header_name",
                  "invalid start of header name for [*]")
            _core(ctx, L_ERR, "strutils.c:470", "cmp_hdrname_str",
                  f"error parsing header names [{h.name}] [*]")
        return 0
    return sum(1 for h in msg.headers if _matches(h, key))


def make_hdrc(state, program, pvt):
    return HdrcSpec(pvt.text, _hdr_name(program, pvt))


def _via_bodies(msg):
    out = []
    started = False
    for h in msg.headers:
        if h is msg.h_via1:
            started = True
        if started and h.type == M.HDR_VIA:
            out.extend(h.parsed)
    return out


def _via_text(msg, vb) -> str:
    """The text of one Via body as $hfl(Via) shows it: from the protocol name, bsize bytes,
    trimmed."""
    start = vb.name_start
    return msg.buf[start:vb.start + vb.bsize].strip(" \t\r\n")


class HflSpec(HdrSpec):
    """$hfl(Name): like $hdr, but Via, Route, Record-Route and Contact give one body each."""

    def get(self, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        key = self._key(ctx, 2256, "pv_get_hfl")
        if key is None:
            return None
        idx = self._idx(ctx, 2279, "pv_get_hfl")
        if key[0] != "t" or idx == "*" or key[1] not in (M.HDR_VIA, M.HDR_ROUTE, M.HDR_RECORDROUTE,
                                                         M.HDR_CONTACT):
            return hdr_value(ctx, msg, key, idx)
        if not msg.parse_headers(M.HDR_EOH_F):
            _dbg(ctx, 2286, "pv_get_hfl", "failed to parse sip headers")
            return None
        t = key[1]
        if t == M.HDR_VIA:
            if msg.h_via1 is None:
                _log(ctx, L_WARN, 2293, "pv_get_hfl", "no Via header")
                return None
            items = [_via_text(msg, vb) for vb in _via_bodies(msg)]
            lines = (2309, "index out of range", 2337, "unexpected via index out of range")
        elif t == M.HDR_CONTACT:
            if M.HDR_CONTACT not in msg._first:
                _dbg(ctx, 2425, "pv_get_hfl", "no Contact header")
                return None
            items = _contact_bodies(msg)
            if items is None:
                _dbg(ctx, 2429, "pv_get_hfl", "failed to parse Contact headers")
                return None
            if idx == 0 and not items:
                _dbg(ctx, 2460, "pv_get_hfl", "no contact addresses")
                return None
            lines = (2446, "index out of range", 2480, "unexpected contact index out of range")
        else:
            what = "route" if t == M.HDR_ROUTE else "record-route"
            if t not in msg._first:
                _dbg(ctx, 2347, "pv_get_hfl", f"no {what} header")
                return None
            items = []
            for h in msg.all(t):
                if idx == 0 and items:
                    break
                parsed = parse_rr(ctx, h.body)
                if parsed is None:
                    _err(ctx, 2357 if idx < 0 else (2382 if idx == 0 else 2402), "pv_get_hfl",
                         f"failed parsing {what} header")
                    return None
                items.extend(parsed)
                if 0 < idx < len(items):
                    break
            lines = (2369, f"index out of {what} headers range", 2418, f"unexpected {what} index out of range")
        n = len(items)
        if idx < 0:
            # Kamailio counts from one: [-1] is past the last body, [-2] the last one
            if -idx > n + 1:
                _dbg(ctx, lines[0], "pv_get_hfl", lines[1])
                return None
            idx += n + 1
        if idx < n:
            return items[idx]
        _dbg(ctx, lines[2], "pv_get_hfl", lines[3])
        return None


def _contact_bodies(msg):
    """The contacts of all Contact headers, as text ("*" has none); None when one does not
    parse."""
    out = []
    for h in msg.all(M.HDR_CONTACT):
        body = h.body.strip(" \t\r\n")
        if body == "*":
            continue
        parts = []
        for part in _split_ids(body):
            part = part.strip(" \t\r\n")
            if not part:
                return None
            if "<" in part:
                try:
                    parse_nameaddr(part)
                except NameAddrError:
                    return None
            parts.append(part)
        out.extend(reversed(parts))         # parse_contacts() builds its list backwards
    return out


def parse_rr(ctx, body: str):
    """do_parse_rr_body(): the name-addr elements of a Route/Record-Route value as text
    (each up to its '>' or the end of its parameters); None after Kamailio's errors."""
    out = []
    n = len(body)
    i = len(body) - len(body.lstrip(" \t\r\n"))
    while True:
        rest = body[i:]
        try:
            na = parse_nameaddr(rest)
        except NameAddrError:
            _core(ctx, L_ERR, "parser/parse_rr.c:77", "do_parse_rr_body", f"Failed parsing name-addr ({rest})")
            break
        length = na.len
        j = i + na.len
        while j < n and body[j] in " \t\r\n":
            j += 1
        if j == n:
            out.append(body[i:i + length].strip(" \t\r\n"))
            return out
        if body[j] == ";":
            j += 1
            while j < n and body[j] in " \t\r\n":
                j += 1
            if j == n:
                _core(ctx, L_ERR, "parser/parse_rr.c:97", "do_parse_rr_body", "Error while parsing params")
                break
            try:
                _params, used = scan_params(body[j:], ";", ctx.log)
            except ParamError:
                _core(ctx, L_ERR, "parser/parse_rr.c:103", "do_parse_rr_body", "Error while parsing params")
                break
            end = j + used
            length = len(body[i:end].rstrip(" \t\r\n"))
            j = end
            while j < n and body[j] in " \t\r\n":
                j += 1
            if j == n:
                out.append(body[i:i + length].strip(" \t\r\n"))
                return out
        if body[j] != ",":
            _core(ctx, L_ERR, "parser/parse_rr.c:116", "do_parse_rr_body",
                  f"Invalid character '{body[j]}', comma expected")
            break
        out.append(body[i:i + length].strip(" \t\r\n"))
        j += 1
        while j < n and body[j] in " \t\r\n":
            j += 1
        if j == n:
            _core(ctx, L_ERR, "parser/parse_rr.c:126", "do_parse_rr_body", "Text after comma missing")
            break
        i = j
    _core(ctx, L_ERR, "parser/parse_rr.c:140", "do_parse_rr_body", f"Failed parsing rr header body [{body}]")
    return None


def _list_bodies(ctx, msg, htype):
    """For $hflc: the bodies of Via, Route, Record-Route or Contact headers (None, logged,
    when there is none or they do not parse)."""
    if htype == M.HDR_VIA:
        if msg.h_via1 is None:
            _log(ctx, L_WARN, 2535, "pv_get_hflc", "no Via header")
            return None
        return _via_bodies(msg)
    if htype == M.HDR_CONTACT:
        if M.HDR_CONTACT not in msg._first:
            _dbg(ctx, 2578, "pv_get_hflc", "no Contact header")
            return None
        items = _contact_bodies(msg)
        if items is None:
            _dbg(ctx, 2582, "pv_get_hflc", "failed to parse Contact headers")
        return items
    what = "route" if htype == M.HDR_ROUTE else "record-route"
    if htype not in msg._first:
        _dbg(ctx, 2556, "pv_get_hflc", f"no {what} header")
        return None
    items = []
    for h in msg.all(htype):
        parsed = parse_rr(ctx, h.body)
        if parsed is None:
            _err(ctx, 2564, "pv_get_hflc", f"failed parsing {what} header")
            return None
        items.extend(parsed)
    return items


def make_hfl(state, program, pvt):
    from . import _index
    return HflSpec(pvt.text, _hdr_name(program, pvt), _index(pvt.index, program))


class HflcSpec(HdrcSpec):
    def get(self, ctx):
        msg = ctx.msg
        if msg is None:
            return 0
        key = self.key
        if key is None:
            key = _dyn_key(ctx, self.name, 2506, "pv_get_hflc")
            if key is None:
                return 0
        if not msg.parse_headers(M.HDR_EOH_F):
            _dbg(ctx, 2529, "pv_get_hflc", "failed to parse sip headers")
            return 0
        if key[0] == "t" and key[1] in (M.HDR_VIA, M.HDR_ROUTE, M.HDR_RECORDROUTE, M.HDR_CONTACT):
            items = _list_bodies(ctx, msg, key[1])
            return 0 if items is None else len(items)
        return _count(ctx, msg, key)


def make_hflc(state, program, pvt):
    return HflcSpec(pvt.text, _hdr_name(program, pvt))


# ---- $via0(attr), $via1(attr), $viaZ(attr) ------------------------------------------------------
_VIA_ATTRS = ("host", "port", "proto", "protoid", "branch", "rport", "received", "i")


class ViaSpec(PV.PVSpec):
    def __init__(self, text, which, attr):
        super().__init__(text)
        self.which = which
        self.attr = attr

    def get(self, ctx):
        msg = ctx.msg
        if msg is None:
            return None
        if not msg.parse_headers(M.HDR_EOH_F):
            _dbg(ctx, {"0": 4807, "1": 4820, "Z": 4837}[self.which], "pv_get_via" + self.which,
                 "failed to parse sip headers")
            return None
        if self.which == "0":
            vb = msg.via1
        elif self.which == "1":
            vb = msg.via2
        else:
            bodies = _via_bodies(msg)
            vb = bodies[-1] if bodies else msg.via1
        if vb is None:
            _dbg(ctx, 4756, "pv_get_via_attr", "null via header")
            return None
        a = self.attr
        if a == "host":
            return vb.host if vb.host else None
        if a == "port":
            return vb.port if vb.port else 5060
        if a == "proto":
            return vb.transport or ""
        if a == "protoid":
            return vb.protoid
        p = getattr(vb, a)
        return p.value if p is not None and p.value else None


def _make_via(which):
    def make(state, program, pvt):
        if pvt.inner not in _VIA_ATTRS:
            raise ValueError(f"unknown PV rpl key: {pvt.inner}")
        return ViaSpec(pvt.text, which, pvt.inner)
    return make


def _pv(get, set=None):
    return PseudoVar(get=get, set=set)


SIP_PVS = {
    # first line
    "rm": _pv(get_rm), "rmid": _pv(get_rmid), "mt": _pv(get_mt), "mts": _pv(get_mts),
    "rv": _pv(get_rv), "rs": _pv(get_rs), "rsi": _pv(get_rsi), "rr": _pv(get_rr),
    "mi": _pv(get_mi), "true": _pv(get_true),
    # request URI (new or received) and original URI
    "ru": _pv(get_ru, set_ru), "ruri": _pv(get_ru, set_ru),
    "rU": _pv(_ruri_attr("user"), set_rU), "ruri.user": _pv(_ruri_attr("user"), set_rU),
    "rd": _pv(_ruri_attr("host"), set_rd), "ruri.domain": _pv(_ruri_attr("host"), set_rd),
    "rp": _pv(_ruri_attr("port"), set_rp), "rP": _pv(_ruri_attr("proto")),
    "rz": _pv(_ruri_attr("scheme")), "rUl": _pv(_ruri_attr("ulen")),
    "ou": _pv(get_ou), "ouri": _pv(get_ou), "oU": _pv(_ouri_attr("user")),
    "od": _pv(_ouri_attr("host")), "op": _pv(_ouri_attr("port")), "oP": _pv(_ouri_attr("proto")),
    "oUl": _pv(_ouri_attr("ulen")),
    # destination URI
    "du": _pv(get_du, set_du), "duri": _pv(get_du, set_du), "dd": _pv(_du_attr("host")),
    "dp": _pv(_du_attr("port")), "dP": _pv(_du_attr("proto")),
    # From / To
    "fu": _pv(_from_attr("uri"), _from_setter("uri")), "from": _pv(_from_attr("uri"), _from_setter("uri")),
    "fU": _pv(_from_attr("user"), _from_setter("user")),
    "from.user": _pv(_from_attr("user"), _from_setter("user")),
    "fd": _pv(_from_attr("host"), _from_setter("host")),
    "from.domain": _pv(_from_attr("host"), _from_setter("host")),
    "fn": _pv(_from_attr("display"), _from_setter("display")), "ft": _pv(_from_attr("tag")),
    "fUl": _pv(_from_attr("ulen")),
    "tu": _pv(_to_attr("uri"), _to_setter("uri")), "to": _pv(_to_attr("uri"), _to_setter("uri")),
    "tU": _pv(_to_attr("user"), _to_setter("user")), "to.user": _pv(_to_attr("user"), _to_setter("user")),
    "td": _pv(_to_attr("host"), _to_setter("host")), "to.domain": _pv(_to_attr("host"), _to_setter("host")),
    "tn": _pv(_to_attr("display"), _to_setter("display")), "tt": _pv(_to_attr("tag")),
    "tUl": _pv(_to_attr("ulen"), _to_setter("user")),       # sic: Kamailio lets $tUl set the user
    # other headers, body, whole message
    "ci": _pv(get_ci), "cs": _pv(get_cs), "csb": _pv(get_csb), "ua": _pv(get_ua),
    "ct": _pv(get_ct), "cT": _pv(get_cT), "cl": _pv(get_cl), "rb": _pv(get_rb), "bs": _pv(get_bs),
    "mb": _pv(get_mb), "mbu": _pv(get_mbu), "ml": _pv(get_ml), "re": _pv(get_re), "rt": _pv(get_rt),
    "di": _pv(_diversion("uri")), "dir": _pv(_diversion("reason")),
    "dip": _pv(_diversion("privacy")), "dic": _pv(_diversion("counter")),
    "ai": PseudoVar(make=_make_identity(M.HDR_PAI, "uri"), takes_name=False),
    "pu": PseudoVar(make=_make_identity(M.HDR_PPI, "uri")),
    "pU": PseudoVar(make=_make_identity(M.HDR_PPI, "user")),
    "pd": PseudoVar(make=_make_identity(M.HDR_PPI, "host")),
    "pn": PseudoVar(make=_make_identity(M.HDR_PPI, "display")),
    # credentials ([Proxy-]Authorization) and accounting user
    "au": _pv(_auth_attr("user")), "ad": _pv(_auth_attr("domain")), "ar": _pv(_auth_attr("realm")),
    "aU": _pv(_auth_attr("whole")), "adu": _pv(_auth_attr("uri")), "aa": _pv(_auth_attr("alg")),
    "adn": _pv(_auth_attr("nonce")), "adc": _pv(_auth_attr("cnonce")),
    "adr": _pv(_auth_attr("response")), "ado": _pv(_auth_attr("opaque")),
    "Au": _pv(_acc_user(True)), "AU": _pv(_acc_user(False)),
    # source and receiving socket
    "si": _pv(get_si), "src_ip": _pv(get_si), "siz": _pv(get_siz), "sp": _pv(get_sp),
    "su": _pv(_src_uri(False)), "sut": _pv(_src_uri(True)), "sas": _pv(get_sas),
    "pr": _pv(get_pr), "proto": _pv(get_pr), "prid": _pv(get_prid),
    "Ri": _pv(get_Ri), "Rp": _pv(get_Rp), "Rn": _pv(get_Rn), "Ras": _pv(get_Ras),
    "Ru": _pv(_rcv_uri(False, False)), "Rut": _pv(_rcv_uri(True, False)),
    "RAi": _pv(get_RAi), "RAp": _pv(get_RAp),
    "RAu": _pv(_rcv_uri(False, True)), "RAut": _pv(_rcv_uri(True, True)),
    # flags
    "mf": _pv(get_mf, set_mf), "mF": _pv(get_mF, set_mf),
    "bf": _pv(get_bf, set_bf), "bF": _pv(get_bF, set_bf),
    "sf": _pv(get_sf, set_sf), "sF": _pv(get_sF, set_sf),
    # branches, destination set, forced socket
    "br": _pv(get_br), "bR": _pv(get_bR), "ds": _pv(get_ds), "ruid": _pv(get_ruid),
    "fs": _pv(get_fs, set_fs), "fsn": _pv(get_fsn, set_fsn), "fsp": _pv(get_fsp),
    # headers by name
    "hdr": PseudoVar(make=make_hdr, needs_name=True),
    "hdrc": PseudoVar(make=make_hdrc, needs_name=True),
    "hfl": PseudoVar(make=make_hfl, needs_name=True),
    "hflc": PseudoVar(make=make_hflc, needs_name=True),
    "via0": PseudoVar(make=_make_via("0"), needs_name=True),
    "via1": PseudoVar(make=_make_via("1"), needs_name=True),
    "viaZ": PseudoVar(make=_make_via("Z"), needs_name=True),
}
