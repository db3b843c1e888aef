"""siputils: SIP helpers (Kamailio's siputils module).

    if (has_totag()) ...            if (is_request()) ...          options_reply();
    if (uri_param("transport", "tcp")) ...   add_uri_param("nat=yes");
    if (is_uri_user_e164("$fu")) ...         tel2sip("$ru", "$fd", "$ru");
    if (cmp_uri("$ru", "$fu")) ...           if (is_first_hop()) ...

options_reply() answers an OPTIONS request for the server itself (no user in the request
URI) with a stateless 200 carrying Accept, Accept-Encoding, Accept-Language and
Supported (modparams options_accept, options_accept_encoding, options_accept_language,
options_support), through sl: like Kamailio, siputils refuses to start without sl.

Not provided: the contact encoding functions (encode_contact, decode_contact,
decode_contact_header, contact_param_*), the Remote-Party-ID ones (append_rpid_hf,
is_rpid_user_e164), sip_p_charging_vector / $pcv and hdr_date_check.  is_user() always
fails as in a Kamailio without the auth module (kamlite has none): no credentials are
ever authorized.
"""
from __future__ import annotations

import ipaddress

from ..log import L_ERR
from ..script import runtime as RT
from ..sip.message import HDR_EOH_F, HDR_RECORDROUTE, HDR_SUPPORTED, HDR_TO, HDR_VIA2_F, METHODS, REPLY, REQUEST
from ..sip.params import ParamError, parse_params
from ..sip.uri import UriError, parse_uri
from . import (BRANCH_ROUTE, FAILURE_ROUTE, LOCAL_ROUTE, ONREPLY_ROUTE, REQUEST_ROUTE, Arg,
               FixupError, Function, Module, Param)
from ..sip.addr import AddrError, parse_nameaddr
from ..sip.message import HDR_OTHER, cstr
from ..sip.receive import sip_core
from .sl import send_sl_reply
from .textops import _ascii_lower, _c_cmp, _hname2_str, clog

MOD = "siputils"
OPTIONS = METHODS["OPTIONS"]
MAX_URI_SIZE = 1024


class State:
    def __init__(self, program):
        self.program = program
        self.options_accept = "*/*"
        self.options_accept_encoding = ""
        self.options_accept_language = "en"
        self.options_support = ""
        self.contact_flds_separator = "*"
        self.rpid_prefix = ""
        self.rpid_suffix = ";party=calling;id-type=subscriber;screen=yes"
        self.rpid_avp = "$avp(s:rpid)"

    def sl(self):
        return self.program.modules["sl"].state


def check(state: State, program) -> None:
    """mod_init(): siputils binds the sl API, and fails without it."""
    if "sl" not in program.modules:
        lm = program.modules.get(MOD)
        raise FixupError("module siputils needs module sl (Kamailio: cannot bind to SL API): "
                         "loadmodule \"sl.so\"", node=lm.node if lm is not None else None)


def _err(ctx, line: int, func: str, text: str, cfile: str = "checks.c") -> None:
    log = ctx.log
    if L_ERR <= log.debug:
        log.write(L_ERR, f"siputils [{cfile}:{line}]: {func}(): {text}\n")


def _uri(text: str):
    try:
        return parse_uri(text)
    except UriError:
        return None


def _params(text):
    """parse_params(CLASS_ANY): [(name, value)] in Kamailio's list order (last first)."""
    return list(reversed(parse_params(text or "")))


# ---- message type, tags ----------------------------------------------------------------------------
def is_request(state, ctx) -> int:
    return 1 if ctx.msg.type == REQUEST else -1


def is_reply(state, ctx) -> int:
    return 1 if ctx.msg.type == REPLY else -1


def has_totag(state, ctx) -> int:
    msg = ctx.msg
    h = msg.first(HDR_TO)
    if h is None:
        if msg.parse_failed:
            _err(ctx, 111, "has_totag", "To parsing failed")
        else:
            _err(ctx, 115, "has_totag", "no To")
        return -1
    return 1 if h.parsed.tag else -1


def is_user(state, ctx, fuser) -> int:
    """No credentials are ever authorized without an auth module."""
    fuser(ctx)
    _err(ctx, 162, "ki_is_user", "no authorized credentials found (error in scripts)")
    _err(ctx, 163, "ki_is_user", "Call {www,proxy}_authorize before calling is_user function !")
    return -1


# ---- OPTIONS ----------------------------------------------------------------------------------------
def options_reply(state: State, ctx) -> int:
    msg = ctx.msg
    if msg.type != REQUEST or msg.method_value != OPTIONS:
        _err(ctx, 50, "ki_opt_reply",
             f"called for non-OPTIONS request ({msg.method_value if msg.type == REQUEST else 0}!={OPTIONS})",
             "options.c")
        return -1
    u = msg.parsed_ruri()
    if u is None:
        _err(ctx, 56, "ki_opt_reply", "ERROR while parsing the R-URI", "options.c")
        return -1
    if u.user:
        _err(ctx, 61, "ki_opt_reply", "ruri contains username", "options.c")
        return -1
    hdr = (f"Accept: {state.options_accept}\r\n"
           f"Accept-Encoding: {state.options_accept_encoding}\r\n"
           f"Accept-Language: {state.options_accept_language}\r\n"
           f"Supported: {state.options_support}\r\n")
    msg.add_reply_lump("hdr", hdr)
    if send_sl_reply(state.sl(), msg, 200, "OK") == -1:
        _err(ctx, 112, "ki_opt_reply", "failed to send 200 via send_reply", "options.c")
        return -1
    return 1


# ---- request URI parameters -------------------------------------------------------------------------
def _ruri_params(ctx, line_parse: int, line_params: int, func: str):
    msg = ctx.msg
    u = msg.parsed_ruri() if msg.type == REQUEST else None
    if u is None:
        _err(ctx, line_parse, func, "ruri parsing failed")
        return None
    try:
        return _params(u.params)
    except ParamError:
        _err(ctx, line_params, func, "ruri parameter parsing failed")
        return None


def uri_param(state, ctx, fname, fvalue=None) -> int:
    name = fname(ctx)
    value = fvalue(ctx) if fvalue is not None else None
    params = _ruri_params(ctx, 243, 250, "ki_uri_param_value")
    if params is None:
        return -1
    for pname, pval in params:
        if pname == name:
            if value is not None:
                return 1 if (pval or "") == value else -1
            return -1 if pval else 1
    return -1


def _current_ruri_params(ctx, func: str, lines):
    """The request URI (new or received) and its parameters (sip_params, else params)."""
    msg = ctx.msg
    ouri = msg.new_uri if msg.new_uri else msg.first_uri
    if ouri is None:
        _err(ctx, lines[0], func, "r-uri not found")
        return None, None
    u = _uri(ouri)
    if u is None:
        _err(ctx, lines[1], func, f"failed to parse r-uri [{ouri}]")
        return None, None
    text = u.sip_params if u.sip_params else (u.params if u.params else None)
    return ouri, text


def uri_param_any(state, ctx, fname) -> int:
    name = fname(ctx)
    ouri, text = _current_ruri_params(ctx, "ki_uri_param_any", (306, 314))
    if ouri is None or text is None:
        return -1
    try:
        params = _params(text)
    except ParamError:
        _err(ctx, 327, "ki_uri_param_any", "ruri parameter parsing failed")
        return -1
    low = _ascii_lower(name)
    return 1 if any(len(p) == len(name) and _ascii_lower(p) == low for p, _v in params) else -1


def uri_param_rm(state, ctx, fname) -> int:
    msg = ctx.msg
    name = fname(ctx)
    ouri = msg.new_uri if msg.new_uri else msg.first_uri
    if ouri is not None and len(ouri) >= MAX_URI_SIZE:
        _err(ctx, 497, "ki_uri_param_rm", f"r-uri is too long ({len(ouri)})")
        return -1
    ouri, text = _current_ruri_params(ctx, "ki_uri_param_rm", (490, 502))
    if ouri is None:
        return -1
    if text is None:
        return 1
    try:
        params = _params(text)
    except ParamError:
        _err(ctx, 515, "ki_uri_param_rm", "ruri parameter parsing failed")
        return -1
    low = _ascii_lower(name)
    target = None
    for idx, (p, v) in enumerate(params):
        if len(p) == len(name) and _ascii_lower(p) == low:
            target = len(params) - 1 - idx           # position in written order
            break
    if target is None:
        return 1
    # locate the parameter in the URI text: the params text starts after the first ';'
    # that begins it; walk the written parameters to find this one's span
    base = ouri.find(text)
    spans = _param_spans(text)
    if base < 0 or target >= len(spans):
        return 1
    pstart, pend = spans[target]
    start = base + pstart
    i = start
    while i > 0 and ouri[i] != ";":
        i -= 1
    msg.set_ruri(ouri[:i] + ouri[base + pend:])
    return 1


def _param_spans(text: str):
    """(start of the name, end of the value or name) of each parameter, in written order."""
    spans = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        start = i
        quote = None
        while i < n:
            c = text[i]
            if quote:
                if c == quote:
                    quote = None
            elif c in "\"'":
                quote = c
            elif c == ";":
                break
            i += 1
        end = i
        while end > start and text[end - 1] in " \t":
            end -= 1
        spans.append((start, end))
        i += 1
    return spans


def add_uri_param(state, ctx, param) -> int:
    msg = ctx.msg
    if not param:
        return 1
    u = msg.parsed_ruri() if msg.type == REQUEST else None
    if u is None:
        _err(ctx, 373, "ki_add_uri_param", "ruri parsing failed")
        return -1
    if not u.headers:
        new = msg.ruri + ";" + param
        if len(new) > MAX_URI_SIZE:
            _err(ctx, 384, "ki_add_uri_param", "new ruri too long")
            return -1
        msg.set_ruri(new)
        return 1
    # the long path (Kamailio 5.6 forgets to move past the user here and leaves bytes
    # uninitialized at the end: kamlite builds the URI it meant to build)
    user = (u.user + (":" + u.passwd if u.passwd else "") + "@") if u.user else ""
    port = ":" + u.port if u.port else ""
    new = f"sip:{user}{u.host}{port}{u.params or ''};{param}?{u.headers}"
    if len(new) > MAX_URI_SIZE:
        _err(ctx, 411, "ki_add_uri_param", "new ruri too long")
        return -1
    msg.set_ruri(new)
    return 1


def get_uri_param(state, ctx, name, dst) -> int:
    params = _ruri_params(ctx, 940, 947, "get_uri_param")
    if params is None:
        return -1
    for pname, pval in params:
        if pname == name:
            dst.set(ctx, pval or "")
            return 1
    return -1


# ---- URIs ---------------------------------------------------------------------------------------------
def tel2sip(state, ctx, furi, fhost, res) -> int:
    uri, host = furi(ctx), fhost(ctx)
    if len(uri) < 4 or _ascii_lower(uri[:4]) != "tel:":
        return 2
    out = []
    in_params = False
    for c in uri:
        if not in_params and c == ";":
            in_params = True
        if in_params or c not in "-.()":
            out.append(c)
    tel = _ascii_lower("".join(out))
    try:
        res.set(ctx, "sip:" + tel[4:] + "@" + host + ";user=phone")
    except Exception:
        _err(ctx, 651, "tel2sip", "failed to set result pvar")
        return -1
    return 1


def _pv_str(ctx, spec, line_type: int, line_get: int, func: str):
    """A PV's value as a string (an int prints as one), None after logging Kamailio's error."""
    try:
        v = spec.get(ctx)
    except RT.PVFail:
        _err(ctx, line_get, func, "failed to get pseudo variable value")
        return None
    if v is None:
        _err(ctx, line_type, func, "pseudo variable value is not string")
        return None
    return v if v.__class__ is str else str(v)


def _e164(s: str) -> int:
    if 2 < len(s) < 17 and s[0] == "+" and all("0" <= c <= "9" for c in s[1:]):
        return 1
    return -1


def is_e164(state, ctx, spec) -> int:
    v = _pv_str(ctx, spec, 699, 703, "is_e164")
    if v is None or v == "":
        return -1
    return _e164(v)


def is_uri_user_e164(state, ctx, spec) -> int:
    v = _pv_str(ctx, spec, 727, 731, "w_is_uri_user_e164")
    if v is None or v == "":
        return -1
    colon = v.find(":")
    if colon < 0:
        _err(ctx, 744, "is_uri_user_e164", "parsing URI failed")
        return -1
    at = v.find("@", colon + 1)
    if at < 0:
        return -1
    return _e164(v[colon + 1:at])


def is_uri(state, ctx, fmt) -> int:
    return 1 if _uri(fmt(ctx)) is not None else -1


def _cmp_result(r: int) -> int:
    return 1 if r == 0 else (-1 if r > 0 else -2)


def _s(x) -> str:
    return x or ""


def cmp_uri_parsed(u1, u2) -> int:
    """Core cmp_uri(): 0 match, >0 no match, <0 error (RFC 3261 19.1.4)."""
    if u1.type != u2.type:
        return 1
    for a, b in ((u1.user, u2.user), (u1.host, u2.host), (u1.port, u2.port), (u1.passwd, u2.passwd)):
        if len(_s(a)) != len(_s(b)):
            return 1
    if _c_cmp(_s(u1.user), _s(u2.user), False) or _c_cmp(_s(u1.port), _s(u2.port), False) \
            or _c_cmp(_s(u1.passwd), _s(u2.passwd), False) or _c_cmp(_s(u1.host), _s(u2.host), True):
        return 1
    p1, p2 = _s(u1.params), _s(u2.params)
    if not p1 and not p2:
        return 0
    if not p1 and (u2.user_param or u2.ttl or u2.method or u2.maddr):
        return 1
    if not p2 and (u1.user_param or u1.ttl or u1.method or u1.maddr):
        return 1
    try:
        l1, l2 = _params(p1), _params(p2)
    except ParamError:
        return -1
    for n1, v1 in l1:
        for n2, v2 in l2:
            if len(n1) == len(n2) and _ascii_lower(n1) == _ascii_lower(n2):
                if len(_s(v1)) != len(_s(v2)) or _ascii_lower(_s(v1)) != _ascii_lower(_s(v2)):
                    return 1
    return 0


def cmp_aor_parsed(u1, u2) -> int:
    if len(_s(u1.user)) != len(_s(u2.user)) or len(_s(u1.host)) != len(_s(u2.host)):
        return 1
    if _c_cmp(_s(u1.user), _s(u2.user), False):
        return 1
    if _c_cmp(_s(u1.port), _s(u2.port), False):
        if not u1.port and u2.port_no != 5060:
            return 1
        if not u2.port and u1.port_no != 5060:
            return 1
    if _c_cmp(_s(u1.host), _s(u2.host), True):
        return 1
    return 0


def cmp_uri(state, ctx, f1, f2) -> int:
    u1, u2 = _uri(f1(ctx)), _uri(f2(ctx))
    if u1 is None or u2 is None:
        return -2
    return _cmp_result(cmp_uri_parsed(u1, u2))


def cmp_aor(state, ctx, f1, f2) -> int:
    u1, u2 = _uri(f1(ctx)), _uri(f2(ctx))
    if u1 is None or u2 is None:
        return -2
    return _cmp_result(cmp_aor_parsed(u1, u2))


def cmp_hdr_name(state, ctx, f1, f2) -> int:
    n1, n2 = f1(ctx).rstrip(" \t\r\n"), f2(ctx).rstrip(" \t\r\n")
    t1, t2 = _hname2_str(n1), _hname2_str(n2)
    if t1 is None or t2 is None:
        clog(ctx, L_ERR, "strutils.c:470", "cmp_hdrname_str", f"error parsing header names [{n1}] [{n2}]")
        return -2
    if t1 != HDR_OTHER:
        return 1 if t1 == t2 else -1
    if t2 != HDR_OTHER:
        return -1
    return _cmp_result(_c_cmp(n1, n2, True))


def _memory_tail(ctx, spec) -> str:
    """What follows a PV's value in Kamailio's memory.  set_uri_user/set_uri_host search
    their URI with strchr()/strcspn(), which run past the value when it is not
    NUL-terminated: $ru still pointing into the received first line is followed by the
    rest of the message."""
    msg = ctx.msg
    if (msg is not None and msg.type == REQUEST and msg.new_uri is None and msg.first_uri
            and spec.text in ("$ru", "$ruri", "$(ru)", "$(ruri)")):
        start = msg.buf.find(msg.first_uri)
        if start >= 0:
            return cstr(msg.buf[start + len(msg.first_uri):])
    return ""


def _get_uri_value(ctx, uri_spec, value_spec, lines, func, names):
    """(uri, value) as set_uri_* read them, None after logging."""
    try:
        uri = uri_spec.get(ctx)
    except RT.PVFail:
        _err(ctx, lines[2], func, "failed to get uri value")
        return None
    if uri is None:
        _err(ctx, lines[1], func, "uri value is not string")
        return None
    uri = uri if uri.__class__ is str else str(uri)
    if not uri:
        _err(ctx, lines[0], func, "missing uri value")
        return None
    try:
        value = value_spec.get(ctx)
    except RT.PVFail:
        _err(ctx, lines[5], func, f"failed to get {names} value")
        return None
    if value is None:
        _err(ctx, lines[4], func, f"{names} value is not string")
        return None
    return uri, value if value.__class__ is str else str(value)


def set_uri_user(state, ctx, uri_spec, value_spec) -> int:
    got = _get_uri_value(ctx, uri_spec, value_spec, (770, 774, 778, 787, 791, 795), "set_uri_user", "uriuser")
    if got is None:
        return -1
    uri, value = got
    text = uri + _memory_tail(ctx, uri_spec)
    colon = text.find(":")
    if colon < 0:
        _err(ctx, 802, "set_uri_user", "uri does not contain ':' character")
        return -1
    at = text.find("@")
    n = len(uri)
    if at < 0:
        if not value:
            return 1
        if n + len(value) > MAX_URI_SIZE:
            _err(ctx, 810, "set_uri_user", "resulting uri would be too large")
            return -1
        new = text[:colon + 1] + value + "@" + text[colon + 1:n]
        length = n + len(value) + 1
    elif not value:
        new = text[:colon + 1] + text[at + 1:max(at + 1, n)]
        length = n - (at - colon)
    else:
        if n + len(value) - (at - colon - 1) > MAX_URI_SIZE:
            _err(ctx, 825, "set_uri_user", "resulting uri would be too large")
            return -1
        new = text[:colon + 1] + value + text[at:max(at, n)]
        length = n + len(value) - (at - colon - 1)
    uri_spec.set(ctx, new[:max(length, 0)])
    return 1


def set_uri_host(state, ctx, uri_spec, value_spec) -> int:
    got = _get_uri_value(ctx, uri_spec, value_spec, (859, 863, 867, 876, 880, 884), "set_uri_host", "uri")
    if got is None:
        return -1
    uri, value = got
    if not value:
        _err(ctx, 890, "set_uri_host", "hostpart of uri cannot be empty")
        return -1
    if len(uri) + len(value) > MAX_URI_SIZE:
        _err(ctx, 894, "set_uri_host", "resulting uri would be too large")
        return -1
    text = uri + _memory_tail(ctx, uri_spec)
    colon = text.find(":")
    if colon < 0:
        _err(ctx, 900, "set_uri_host", "uri does not contain ':' character")
        return -1
    at = text.find("@", colon + 1)
    nxt = colon + 1 if at < 0 else at + 1
    end = nxt
    while end < len(text) and text[end] not in ":;?":
        end += 1
    length = len(uri) + len(value) - (end - nxt)
    uri_spec.set(ctx, (text[:nxt] + value + text[end:])[:max(length, 0)])
    return 1


def is_gruu(state, ctx, fmt=None) -> int:
    msg = ctx.msg
    if fmt is not None:
        text = fmt(ctx)
        u = _uri(text)
        if u is None:
            _err(ctx, 157, "w_is_gruu", f"parsing of uri '{text}' failed", "sipops.c")
            return -1
    else:
        u = msg.parsed_ruri() if msg.type == REQUEST else None
        if u is None:
            _err(ctx, 164, "w_is_gruu", f"parsing of uri '{msg.ruri or ''}' failed", "sipops.c")
            return -1
    if u.gr is not None:
        return 1 if u.gr_val else 2
    return -1


_OPTION_TAGS = {"path": 1, "100rel": 2, "timer": 4, "eventlist": 8, "gruu": 16, "outbound": 32}


def _fixup_option(state, program, node, args):
    tag = _ascii_lower(args[0])
    if tag not in _OPTION_TAGS:
        raise FixupError(f"unknown option <{args[0]}>", arg=0)
    return [_OPTION_TAGS[tag]]


def is_supported(state, ctx, bit) -> int:
    msg = ctx.msg
    if not msg.parse_headers(HDR_EOH_F):
        return -1
    tags = 0
    found = False
    for h in msg.headers:
        if h.type != HDR_SUPPORTED:
            continue
        found = True
        for tok in h.body.replace("\t", " ").replace("\r", " ").replace("\n", " ").replace(",", " ").split(" "):
            tags |= _OPTION_TAGS.get(_ascii_lower(tok), 0)
    if not found:
        return -1
    return 1 if tags & bit else -1


def is_first_hop(state, ctx, mode_of=None) -> int:
    msg = ctx.msg
    mode = mode_of(ctx) if mode_of is not None else 0
    if msg.type == REQUEST:
        if not msg.parse_headers(HDR_VIA2_F) or msg.via2 is None:
            return 1
        return -1
    if msg.type != REPLY:
        return -1
    if not msg.parse_headers(HDR_EOH_F):
        return -1
    rr = msg.first(HDR_RECORDROUTE)
    if rr is None:
        return 1
    try:
        na = parse_nameaddr(rr.body)
    except AddrError:
        return -1
    u = _uri(na.uri)
    if u is None:
        return -1
    ip = None
    host = u.host or ""
    if mode == 0:
        h = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        try:
            ip = ipaddress.ip_address(h)
        except ValueError:
            return -1
    core = sip_core(state.program)
    if not core.sockets.is_myself(host, u.port_no if u.port is not None else 0):
        return -1
    if mode == 0 and msg.rcv is not None:
        src = ipaddress.ip_address(msg.rcv.src_ip)
        if ip == src and (msg.rcv.src_port == u.port_no or (u.port is None and msg.rcv.src_port == 5060)) \
                and u.proto in ("", "udp"):
            return -1
    return 1


# ---- strings ------------------------------------------------------------------------------------------
def is_tel_number(state, ctx, fmt) -> int:
    v = fmt(ctx)
    if not v:
        return -2
    i = 0
    if v[0] == "+":
        if len(v) < 2 or not "1" <= v[1] <= "9":
            return -2
        i = 2
    return 1 if all("0" <= c <= "9" for c in v[i:]) else -2


def is_numeric(state, ctx, fmt) -> int:
    v = fmt(ctx)
    if not v:
        return -2
    return 1 if all("0" <= c <= "9" for c in v) else -2


def _alnum(c: str) -> bool:
    return "0" <= c <= "9" or "A" <= c <= "Z" or "a" <= c <= "z"


def is_alphanum(state, ctx, fmt) -> int:
    v = fmt(ctx)
    if not v:
        return -2
    return 1 if all(_alnum(c) for c in v) else -3


def is_alphanumex(state, ctx, fmt, fextra) -> int:
    v, extra = fmt(ctx), fextra(ctx)
    if not v:
        return -2
    return 1 if all(_alnum(c) or c in extra for c in v) else -3


# ---- exports ------------------------------------------------------------------------------------------
_RBF = REQUEST_ROUTE | BRANCH_ROUTE | FAILURE_ROUTE


MODULE = Module(
    name=MOD,
    params={
        "options_accept": Param(str, default="*/*"),
        "options_accept_encoding": Param(str, default=""),
        "options_accept_language": Param(str, default="en"),
        "options_support": Param(str, default=""),
        "contact_flds_separator": Param(str, default="*"),
        "rpid_prefix": Param(str, default=""),
        "rpid_suffix": Param(str, default=";party=calling;id-type=subscriber;screen=yes"),
        "rpid_avp": Param(str, default="$avp(s:rpid)"),
    },
    functions={
        "options_reply": Function(options_reply, route_types=REQUEST_ROUTE),
        "is_user": Function(is_user, (Arg.FMT,), dynamic=(0,), route_types=REQUEST_ROUTE | LOCAL_ROUTE),
        "has_totag": Function(has_totag),
        "uri_param": [Function(uri_param, (Arg.FMT,), dynamic=(0,), route_types=_RBF),
                      Function(uri_param, (Arg.FMT, Arg.FMT), dynamic=(0, 1), route_types=_RBF)],
        "uri_param_any": Function(uri_param_any, (Arg.FMT,), dynamic=(0,), route_types=_RBF),
        "add_uri_param": Function(add_uri_param, (Arg.STR,), route_types=REQUEST_ROUTE),
        "get_uri_param": Function(get_uri_param, (Arg.STR, Arg.PVW), route_types=REQUEST_ROUTE | LOCAL_ROUTE),
        "uri_param_rm": Function(uri_param_rm, (Arg.FMT,), dynamic=(0,), route_types=_RBF),
        "tel2sip": Function(tel2sip, (Arg.FMT, Arg.FMT, Arg.PVW), dynamic=(0, 1),
                      route_types=_RBF | ONREPLY_ROUTE),
        "is_uri": Function(is_uri, (Arg.FMT,), dynamic=(0,)),
        "is_e164": Function(is_e164, (Arg.PV,), route_types=REQUEST_ROUTE | FAILURE_ROUTE | LOCAL_ROUTE),
        "is_uri_user_e164": Function(is_uri_user_e164, (Arg.PV,)),
        "cmp_uri": Function(cmp_uri, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "cmp_aor": Function(cmp_aor, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "cmp_hdr_name": Function(cmp_hdr_name, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "set_uri_user": Function(set_uri_user, (Arg.PVW, Arg.PV)),
        "set_uri_host": Function(set_uri_host, (Arg.PVW, Arg.PV)),
        "is_request": Function(is_request),
        "is_reply": Function(is_reply),
        "is_gruu": [Function(is_gruu), Function(is_gruu, (Arg.FMT,), dynamic=(0,))],
        "is_supported": Function(is_supported, (Arg.STR,), _fixup_option),
        "is_first_hop": [Function(is_first_hop), Function(is_first_hop, (Arg.INTPV,))],
        "is_tel_number": Function(is_tel_number, (Arg.FMT,), dynamic=(0,)),
        "is_numeric": Function(is_numeric, (Arg.FMT,), dynamic=(0,)),
        "is_alphanum": Function(is_alphanum, (Arg.FMT,), dynamic=(0,)),
        "is_alphanumex": Function(is_alphanumex, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
    },
    state=State,
    check=check,
    doc="SIP helpers",
)
