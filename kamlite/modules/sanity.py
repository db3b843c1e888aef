"""sanity: checks that a SIP message is well formed (Kamailio's sanity module).

    if (!sanity_check("1511", "7")) { xlog("Malformed SIP message from $si:$sp\\n"); exit; }
    modparam("sanity", "autodrop", 0)      modparam("sanity", "proxy_require", "foo, bar")

sanity_check() runs the checks in `default_checks` (or its first argument, a bit mask)
in Kamailio's order and stops at the first that fails; a failed check sends the error
reply Kamailio sends (400 variants, 420 with Unsupported, 505) through sl - unless the
message is a reply or an ACK, the check said no reply is possible, or `noreply` is set
(then sanity_reply() sends the remembered one later).  It returns 1 when all passed;
on a failure 0 (which ends the script) with `autodrop` on (the default), -1 otherwise.

    bit      check                              bit      check
    1        R-URI SIP version                  512      Proxy-Require
    2        R-URI scheme / parseable           1024     parse the URIs (2nd arg: 1 R-URI,
    4        required headers                            2 From, 4 To, 8 Contact)
    8, 16    Via version / protocol (no-ops)    2048     digest credentials (default)
    32       CSeq method = request method       4096     duplicate To/From tags
    64       CSeq number is a 32-bit uint       8192     authorization (digest, or other)
    128      Content-Length = body length       16384    first Via has a host
    256      Expires is a 32-bit uint

Default checks: 1|2|4|32|64|128|256|512|2048 = 3047; default URI checks 1|2|4 = 7.
"""
from __future__ import annotations

import os
import weakref

from ..log import L_ERR, L_INFO, L_WARN
from ..sip.message import (HDR_AUTHORIZATION, HDR_CALLID, HDR_CONTACT, HDR_CONTENTLENGTH, HDR_CSEQ,
                           HDR_EOH_F, HDR_EXPIRES, HDR_FROM, HDR_PROXYAUTH, HDR_PROXYREQUIRE, HDR_TO,
                           METHODS, REPLY, REQUEST)
from ..sip.uri import UriError, parse_uri
from . import ONREPLY_ROUTE, REQUEST_ROUTE, Arg, FixupError, Function, Module, Param
from ..sip.digest import parse_digest_cred
from ..sip.params import ParamError, scan_params
from .sl import send_sl_reply
from .textops import _get_body as get_body, clog

MOD = "sanity"
ACK = METHODS["ACK"]

RURI_SIP_VERSION = 1 << 0
RURI_SCHEME = 1 << 1
REQUIRED_HEADERS = 1 << 2
VIA_SIP_VERSION = 1 << 3
VIA_PROTOCOL = 1 << 4
CSEQ_METHOD = 1 << 5
CSEQ_VALUE = 1 << 6
CL = 1 << 7
EXPIRES_VALUE = 1 << 8
PROXY_REQUIRE = 1 << 9
PARSE_URIS = 1 << 10
CHECK_DIGEST = 1 << 11
CHECK_DUPTAGS = 1 << 12
CHECK_AUTHORIZATION = 1 << 13
VIA1_HEADER = 1 << 14
MAX_CHECKS = 1 << 15
DEFAULT_CHECKS = (RURI_SIP_VERSION | RURI_SCHEME | REQUIRED_HEADERS | CSEQ_METHOD | CSEQ_VALUE | CL
                  | EXPIRES_VALUE | PROXY_REQUIRE | CHECK_DIGEST)
URI_RURI, URI_FROM, URI_TO, URI_CONTACT = 1, 2, 4, 8
URI_MAX_CHECKS = 1 << 4
DEFAULT_URI_CHECKS = URI_RURI | URI_FROM | URI_TO

PASSED, FAILED, ERROR, NOT_APPLICABLE = 1, 0, -1, -2


class State:
    def __init__(self, program):
        self.program = program
        self.default_checks = DEFAULT_CHECKS
        self.uri_checks = DEFAULT_URI_CHECKS
        self.proxy_require = ""
        self.autodrop = 1
        self.noreply = 0
        self.proxy_require_list = []
        self.no_reply_msgs = weakref.WeakSet()      # FL_MSG_NOREPLY
        self.info = None                            # (code, reason, msg id, pid) for sanity_reply

    def sl(self):
        return self.program.modules["sl"].state


def _set_proxy_require(state: State, value: str, program) -> None:
    state.proxy_require = value
    state.proxy_require_list = parse_str_list(value) or []


def check(state: State, program) -> None:
    if "sl" not in program.modules:
        lm = program.modules.get(MOD)
        raise FixupError("module sanity needs module sl (Kamailio: cannot bind to SL API): "
                         "loadmodule \"sl.so\"", node=lm.node if lm is not None else None)


def _log(ctx, level: int, line: int, func: str, text: str, cfile: str = "sanity.c") -> None:
    log = ctx.log
    if level <= log.debug:
        log.write(level, f"sanity [{cfile}:{line}]: {func}(): {text}\n")


def _warn(ctx, line: int, func: str, text: str) -> None:
    _log(ctx, L_WARN, line, func, text)


_WS = " \t\r\n"


def parse_str_list(text: str):
    """The comma separated list, each element trimmed; None when it is empty."""
    t = text.strip(_WS)
    if not t:
        return None
    return [p.strip(_WS) for p in t.split(",")]


def str2valid_uint(s: str) -> bool:
    """Kamailio's check that a string is an unsigned 32-bit number (4294967296 passes)."""
    if len(s) > 10:
        return False
    equal = len(s) == 10
    mui = "4294967296"
    for i, c in enumerate(s):
        if not "0" <= c <= "9":
            return False
        if equal:
            if c < mui[i]:
                equal = False
            elif c > mui[i]:
                return False
    return True


# ---- replies -------------------------------------------------------------------------------------------
def sanity_reply(state: State, ctx, code: int, reason: str) -> int:
    """The module's sanity_reply(): 1 when nothing is to be sent, 0 when sent (or
    remembered for sanity_reply()), -1 when sending failed."""
    msg = ctx.msg
    if msg.type == REPLY or msg.method_value == ACK:
        return 1
    if state.noreply:
        state.info = (code, reason[:127], msg.id, os.getpid())
        return 0
    if msg not in state.no_reply_msgs:
        if send_sl_reply(state.sl(), msg, code, reason) < 0:
            return -1
    return 0


def _reply(state, ctx, code: int, reason: str, line: int, func: str, warn: str) -> None:
    if sanity_reply(state, ctx, code, reason) < 0:
        _warn(ctx, line, func, warn)


def w_sanity_reply(state: State, ctx) -> int:
    msg = ctx.msg
    if msg.type == REPLY or msg.method_value == ACK or not state.noreply:
        return 1
    if msg in state.no_reply_msgs:
        return 1
    info = state.info
    if info is None or not info[0] or not info[1] or info[2] != msg.id or info[3] != os.getpid():
        _log(ctx, L_INFO, 82, "ki_sanity_reply", "no sanity reply info set - sending 500")
        return 1 if send_sl_reply(state.sl(), msg, 500, "Server Sanity Failure") >= 0 else -1
    return 1 if send_sl_reply(state.sl(), msg, info[0], info[1]) >= 0 else -1


# ---- the checks -----------------------------------------------------------------------------------------
def _fline(msg):
    """(method, uri, version) as Kamailio's first_line.u.request reads them (for a reply
    these overlap the reply's version, status and reason)."""
    if msg.type == REQUEST:
        return msg.method, msg.first_uri, msg.version
    return msg.version, "%03d" % msg.status, msg.reason or ""


def check_ruri_sip_version(state, ctx, msg) -> int:
    _m, _u, version = _fline(msg)
    if version:
        sep = version.find("/")
        if sep < 0:
            _warn(ctx, 253, "check_ruri_sip_version", "failed to find / in ruri version")
            return FAILED
        if version[sep + 1:] != "2.0":
            _reply(state, ctx, 505, "Version Not Supported (R-URI)", 264, "check_ruri_sip_version",
                   "failed to send 505 via sl reply")
            return FAILED
    return PASSED


def _ruri_ok(msg) -> bool:
    if msg.type == REQUEST:
        return msg.parsed_ruri() is not None
    try:                                    # a reply: its status is where the URI would be
        parse_uri(_fline(msg)[1])
        return True
    except UriError:
        return False


def check_ruri_scheme(state, ctx, msg) -> int:
    if not _ruri_ok(msg):
        ruri = msg.ruri if msg.type == REQUEST else _fline(msg)[1]
        _warn(ctx, 282, "check_ruri_scheme", f"failed to parse request uri [{ruri}]")
        _reply(state, ctx, 400, "Bad Request URI", 285, "check_ruri_scheme",
               "failed to send 400 via sl reply (bad ruri)")
        return FAILED
    return PASSED


def check_required_headers(state, ctx, msg) -> int:
    if msg.first(HDR_FROM) is None or msg.first(HDR_TO) is None or msg.callid is None \
            or msg.first(HDR_CSEQ) is None:
        state.no_reply_msgs.add(msg)
        return FAILED
    if not msg.parse_headers(HDR_EOH_F):
        _log(ctx, L_ERR, 326, "check_required_headers", "failed to parse headers")
        _reply(state, ctx, 400, "Bad Headers", 328, "check_required_headers", "failed to send 400 reply")
        return FAILED
    seen = set()
    for h in msg.headers:
        if h.type in (HDR_FROM, HDR_TO, HDR_CALLID, HDR_CSEQ):
            if h.type in seen:
                return FAILED
            seen.add(h.type)
    return PASSED


def check_via1_header(state, ctx, msg) -> int:
    if msg.via1 is None:
        _warn(ctx, 350, "check_via1_header", "failed to parse the Via1 header")
        state.no_reply_msgs.add(msg)
        return FAILED
    if msg.via1.host is None:
        _warn(ctx, 356, "check_via1_header", "failed to parse the Via1 host")
        state.no_reply_msgs.add(msg)
        return FAILED
    return PASSED


def _cseq(state, ctx, msg, line_parse: int, line_missing: int, func: str):
    h = msg.first(HDR_CSEQ)
    if h is None:
        if msg.parse_failed:
            state.no_reply_msgs.add(msg)
            _warn(ctx, line_parse, func, "failed to parse the CSeq header")
        else:
            _warn(ctx, line_missing, func, "missing CSeq header")
        return None
    return h.parsed


def check_cseq_method(state, ctx, msg) -> int:
    cs = _cseq(state, ctx, msg, 510, 536, "check_cseq_method")
    if cs is None:
        return FAILED
    if not cs.method:
        _reply(state, ctx, 400, "Missing method in CSeq header", 517, "check_cseq_method",
               "failed to send 400 via sl reply")
        return FAILED
    if cs.method != _fline(msg)[0]:
        _reply(state, ctx, 400, "CSeq method does not match request method", 530, "check_cseq_method",
               "failed to send 400 via sl reply 2")
        return FAILED
    return PASSED


def check_cseq_value(state, ctx, msg) -> int:
    cs = _cseq(state, ctx, msg, 551, 572, "check_cseq_value")
    if cs is None:
        state.no_reply_msgs.add(msg)
        return FAILED
    if not cs.number:
        _reply(state, ctx, 400, "Missing number in CSeq header", 559, "check_cseq_value",
               "failed to send 400 via sl reply")
        return FAILED
    if not str2valid_uint(cs.number):
        _reply(state, ctx, 400, "CSeq number is illegal", 566, "check_cseq_value",
               "failed to send 400 via sl reply 2")
        return FAILED
    return PASSED


def _get_body(ctx, msg):
    return get_body(ctx, msg)


def check_cl(state, ctx, msg) -> int:
    if not msg.parse_headers(1 << HDR_CONTENTLENGTH):
        _warn(ctx, 588, "check_cl", "failed to parse content-length header")
        _reply(state, ctx, 400, "Content-Length Failure", 590, "check_cl", "failed to send 400 via sl reply")
        return FAILED
    h = msg.first(HDR_CONTENTLENGTH)
    if h is None:
        _warn(ctx, 612, "check_cl", "content length header missing in request")
        return PASSED
    body = _get_body(ctx, msg)
    if body is None:
        _reply(state, ctx, 400, "Content-Length Body Failure", 599, "check_cl", "failed to send 400 via sl reply")
        return FAILED
    if len(msg.buf) - body != h.parsed:
        _reply(state, ctx, 400, "Content-Length mis-match", 605, "check_cl", "failed to send 400 via sl reply")
        return FAILED
    return PASSED


def parse_expires(ctx, body: str):
    """Core parse_expires(): the text kept as the value, None when the body is empty."""
    t = body.strip(_WS)
    if not t:
        clog(ctx, L_ERR, "parser/parse_expires.c:53", "expires_parser", "Empty body")
        clog(ctx, L_ERR, "parser/parse_expires.c:120", "parse_expires", "Error while parsing")
        return None
    if len(t) > 10:
        return t
    for i, c in enumerate(t):
        if c in _WS:
            return t[:i]
        if not "0" <= c <= "9":
            return t
    return t


def check_expires_value(state, ctx, msg) -> int:
    if not msg.parse_headers(1 << HDR_EXPIRES):
        _reply(state, ctx, 400, "Bad Expires Header", 626, "check_expires_value", "failed to send 400 reply")
        _warn(ctx, 628, "check_expires_value", "failed to parse expires header")
        return FAILED
    h = msg.first(HDR_EXPIRES)
    if h is None:
        return PASSED
    text = parse_expires(ctx, h.body)
    if text is None:
        _warn(ctx, 635, "check_expires_value", "parse_expires failed")
        _reply(state, ctx, 400, "Bad Expires Header", 637, "check_expires_value", "failed to send 400 reply")
        return FAILED
    if not str2valid_uint(text):
        _reply(state, ctx, 400, "Expires value is illegal", 652, "check_expires_value",
               "failed to send 400 via sl reply 2")
        return FAILED
    return PASSED


def check_proxy_require(state, ctx, msg) -> int:
    if not msg.parse_headers(1 << HDR_PROXYREQUIRE):
        _warn(ctx, 674, "check_proxy_require", "failed to parse proxy require header")
        _reply(state, ctx, 400, "Bad Proxy Require Header", 676, "check_proxy_require", "failed to send 400 reply")
        return FAILED
    h = msg.first(HDR_PROXYREQUIRE)
    if h is None:
        return PASSED
    tokens = parse_str_list(h.body)
    if tokens is None:
        _log(ctx, L_ERR, 234, "parse_proxyrequire", "Error while parsing")
        _warn(ctx, 684, "check_proxy_require", "parse proxy require failed")
        _reply(state, ctx, 400, "Bad Proxy Require Header", 686, "check_proxy_require", "failed to send 400 reply")
        return FAILED
    for tok in tokens:
        if tok not in state.proxy_require_list:
            msg.add_reply_lump("hdr", f"Unsupported: {tok}\r\n")
            _reply(state, ctx, 420, "Bad Proxy Require Extension", 724, "check_proxy_require",
                   "failed to send 420 via sl reply")
            return FAILED
    return PASSED


def _addr_uri(ctx, msg, htype: int, name: str, lines):
    """parse_from_uri() / parse_to_uri(): True when the header and its URI parse."""
    if htype == HDR_FROM:
        body = msg.from_body()
        if body is None:
            clog(ctx, L_ERR, "parser/parse_from.c:94", "parse_from_uri", "cannot parse FROM header")
            return False
    else:
        h = msg.first(HDR_TO)
        body = h.parsed if h is not None else None
        if body is None:
            clog(ctx, L_ERR, "parser/parse_to.c:68", "parse_to_uri", "cannot parse TO header")
            return False
    try:
        parse_uri(body.uri or "")
    except UriError:
        where, func = lines
        clog(ctx, L_ERR, where, func, f"failed to parse {name} uri")
        return False
    return True


# ---- Contact bodies (core parser/contact) -------------------------------------------------------------
def _cerr(ctx, line: int, func: str, text: str) -> None:
    clog(ctx, L_ERR, f"parser/contact/contact.c:{line}", func, text)


def _skip_name(ctx, t: str, i: int):
    """skip_name(): where the URI starts (at '<', or at the blank before it), None."""
    start = i
    last_wsp = None
    quoted = False
    while i < len(t):
        c = t[i]
        if not quoted:
            if c == " " or c == "\t":
                last_wsp = i
            elif c == "<":
                return i
            elif c == ":" or c == ";":
                return last_wsp if last_wsp is not None else start
            elif c == '"':
                quoted = True
        elif c == '"' and t[i - 1] != "\\":
            quoted = False
        i += 1
    if quoted:
        _cerr(ctx, 169, "skip_name", "closing quote missing in name part of Contact")
    else:
        _cerr(ctx, 171, "skip_name", "error in contact, scheme separator not found")
    return None


def _skip_uri(ctx, t: str, i: int):
    """skip_uri(): the end of the URI (a ',' or ';' outside quotes and brackets), None."""
    st = 1
    quote_next = {1: 2, 2: 1, 3: 4, 4: 3, 5: 2, 6: 4}
    while i < len(t):
        c = t[i]
        if c in ",;":
            if st == 1:
                return i
        elif c == '"':
            st = quote_next[st]
        elif c == "<":
            if st == 1:
                st = 3
            elif st == 3:
                _cerr(ctx, 74, "skip_uri", "second bracket < found")
                return None
            elif st == 5:
                st = 2
            elif st == 6:
                st = 4
        elif c == ">":
            if st == 1:
                _cerr(ctx, 84, "skip_uri", "bracket > is first")
                return None
            st = {3: 1, 5: 2, 6: 4}.get(st, st)
        elif c == "\\":
            st = {2: 5, 4: 6, 5: 2, 6: 4}.get(st, st)
        i += 1
    if st != 1:
        _cerr(ctx, 111, "skip_uri", "bracket < or \" not closed")
        return None
    return i


def parse_contacts(ctx, body: str):
    """Core parse_contact() on a Contact body: "*" for a star, else the URIs in
    Kamailio's list order (the last contact first); None when it cannot be parsed
    (Kamailio's error lines are logged)."""
    t = body.lstrip(_WS)
    if not t:
        clog(ctx, L_ERR, "parser/contact/parse_contact.c:48", "contact_parser", "empty body")
        return None
    if t[0] == "*":
        return "*"
    uris = []
    n = len(t)
    i = 0
    while True:
        j = _skip_name(ctx, t, i)
        if j is None:
            _cerr(ctx, 201, "parse_contacts", "error while skipping name part")
            break
        e = _skip_uri(ctx, t, j)
        if e is None:
            _cerr(ctx, 211, "parse_contacts", "error while skipping URI")
            i = n
            break
        uri = t[j:e].rstrip(_WS)
        if len(uri) >= 2 and uri[0] == "<" and uri[-1] == ">":
            uri = uri[1:-1]
        uri = uri.strip(_WS)
        i = e
        if not uri:
            _cerr(ctx, 227, "parse_contacts", "invalid contact uri")
            break
        uris.insert(0, uri)
        if i == n:
            return uris
        if t[i] == ";":
            i += 1
            while i < n and t[i] in _WS:
                i += 1
            if i == n:
                _cerr(ctx, 239, "parse_contacts", "error while parsing params")
                break
            try:
                _params, used = scan_params(t[i:], log=ctx.log)
            except ParamError:
                _cerr(ctx, 244, "parse_contacts", "error while parsing parameters")
                break
            i += used
            if i == n:
                return uris
        i += 1
        while i < n and t[i] in _WS:
            i += 1
        if i == n:
            _cerr(ctx, 270, "parse_contacts", "text after comma missing")
            break
    _cerr(ctx, 276, "parse_contacts", f"failure parsing '{t}' ({n}) [0x1/0x1/{i}]")
    clog(ctx, L_ERR, "parser/contact/parse_contact.c:56", "contact_parser", "error while parsing contacts")
    return None


def check_parse_uris(state, ctx, msg, checks: int) -> int:
    if checks & URI_RURI and not _ruri_ok(msg):
        _warn(ctx, 765, "check_parse_uris", "failed to parse request uri")
        _reply(state, ctx, 400, "Bad Request URI", 767, "check_parse_uris", "failed to send 400 via sl reply (bad ruri)")
        return FAILED
    if checks & URI_FROM and not _addr_uri(ctx, msg, HDR_FROM, "From", ("parser/parse_from.c:107", "parse_from_uri")):
        _warn(ctx, 778, "check_parse_uris", "invalid From header or uri")
        if msg.first(HDR_FROM) is None:
            state.no_reply_msgs.add(msg)
        else:
            _reply(state, ctx, 400, "Invalid From Header", 783, "check_parse_uris",
                   "failed to send 400 via sl reply (missing From)")
        return FAILED
    if checks & URI_TO and not _addr_uri(ctx, msg, HDR_TO, "To", ("parser/parse_to.c:81", "parse_to_uri")):
        _warn(ctx, 793, "check_parse_uris", "invalid To header or uri")
        if msg.first(HDR_TO) is None:
            state.no_reply_msgs.add(msg)
        else:
            _reply(state, ctx, 400, "Ivalid To Header", 798, "check_parse_uris",
                   "failed to send 400 via sl reply (missing To)")
        return FAILED
    if checks & URI_CONTACT:
        if not msg.parse_headers(HDR_EOH_F):
            clog(ctx, L_ERR, "parser/contact/parse_contact.c:238", "parse_contact_headers", "failed to parse headers")
            return _bad_contact(state, ctx, 808, "failed to parse Contact headers")
        first = None
        for h in msg.headers:
            if h.type != HDR_CONTACT:
                continue
            uris = parse_contacts(ctx, h.body)
            if uris is None:
                clog(ctx, L_ERR, "parser/contact/parse_contact.c:85", "parse_contact", "error while parsing")
                clog(ctx, L_ERR, "parser/contact/parse_contact.c:247", "parse_contact_headers",
                     "failed to parse Contact body")
                return _bad_contact(state, ctx, 808, "failed to parse Contact headers")
            if first is None:
                first = uris
        if first is not None and first != "*":
            try:
                parse_uri(first[0])
            except UriError:
                _warn(ctx, 828, "check_parse_uris", "failed to parse Contact uri")
                _reply(state, ctx, 400, "Bad Contact URI", 830, "check_parse_uris",
                       "failed to send 400 via send_reply (bad Contact uri)")
                return FAILED
    return PASSED


def _bad_contact(state, ctx, line: int, text: str) -> int:
    _warn(ctx, line, "check_parse_uris", text)
    _reply(state, ctx, 400, "Bad Contact Header", line + 2, "check_parse_uris",
           "failed to send 400 via send_reply (bad Contact)")
    return FAILED


# ---- digest credentials --------------------------------------------------------------------------------
def check_digest_only(state, ctx, msg) -> int:
    if not msg.parse_headers(HDR_EOH_F):
        _log(ctx, L_ERR, 853, "check_digest_only", "failed to parse proxy require header")
        _reply(state, ctx, 400, "Bad Headers", 855, "check_digest_only", "failed to send 400 reply")
        return FAILED
    auth = [h for h in msg.headers if h.type == HDR_AUTHORIZATION]
    proxy = [h for h in msg.headers if h.type == HDR_PROXYAUTH]
    if not auth and not proxy:
        return PASSED
    for h in auth + proxy:
        cred = parse_digest_cred(h.body)
        if cred == 1:
            return NOT_APPLICABLE
        if cred is None:
            _reply(state, ctx, 400, "Bad Auth Header", 880, "check_digest_only", "failed to send 400 reply")
            return FAILED
        qop = cred.get("qop")
        qop = qop.strip(_WS).lower() if qop is not None else None
        missing = any(cred.get(k) is None for k in ("username", "realm", "nonce", "uri", "response"))
        if qop in ("auth", "auth-int") and (cred.get("cnonce") is None or cred.get("nc") is None):
            missing = True
        if missing:
            _reply(state, ctx, 400, "Bad Auth Credentials", 891, "check_digest_only", "failed to send 400 reply")
            return FAILED
        if cred["username"] == "":
            _reply(state, ctx, 400, "Auth Empty User", 899, "check_digest_only", "failed to send 400 reply")
            return FAILED
        if cred["nonce"] == "":
            _reply(state, ctx, 400, "Auth Empty Nonce", 907, "check_digest_only", "failed to send 400 reply")
            return FAILED
        if cred["response"] == "":
            _reply(state, ctx, 400, "Auth Empty Response", 915, "check_digest_only", "failed to send 400 reply")
            return FAILED
    return PASSED


def check_duptags(state, ctx, msg) -> int:
    fb = msg.from_body()
    th = msg.first(HDR_TO)
    if fb is None or th is None or th.parsed is None:
        state.no_reply_msgs.add(msg)
        return FAILED
    for body, what, line in ((fb, "From", 974), (th.parsed, "To", 989)):
        if body.tag is not None and sum(1 for n, _v in body.params if n.lower() == "tag") > 1:
            _reply(state, ctx, 400, f"Many {what} Tag Params", line, "check_duptags", "failed to send 400 reply")
            return FAILED
    return PASSED


def sanity_check(state: State, ctx, msg_checks: int, uri_checks: int) -> int:
    msg = ctx.msg
    if state.noreply:
        state.info = None
    steps = (
        (RURI_SIP_VERSION, lambda: check_ruri_sip_version(state, ctx, msg)),
        (RURI_SCHEME, lambda: check_ruri_scheme(state, ctx, msg)),
        (REQUIRED_HEADERS, lambda: check_required_headers(state, ctx, msg)),
        (VIA1_HEADER, lambda: check_via1_header(state, ctx, msg)),
        (VIA_SIP_VERSION, lambda: PASSED),
        (VIA_PROTOCOL, lambda: PASSED),
        (CSEQ_METHOD, lambda: check_cseq_method(state, ctx, msg)),
        (CSEQ_VALUE, lambda: check_cseq_value(state, ctx, msg)),
        (CL, lambda: check_cl(state, ctx, msg)),
        (EXPIRES_VALUE, lambda: check_expires_value(state, ctx, msg)),
        (PROXY_REQUIRE, lambda: check_proxy_require(state, ctx, msg)),
        (PARSE_URIS, lambda: check_parse_uris(state, ctx, msg, uri_checks)),
        (CHECK_DIGEST, lambda: PASSED if check_digest_only(state, ctx, msg) == PASSED else FAILED),
        (CHECK_AUTHORIZATION, lambda: PASSED if check_digest_only(state, ctx, msg) in (PASSED, NOT_APPLICABLE)
         else FAILED),
        (CHECK_DUPTAGS, lambda: check_duptags(state, ctx, msg)),
    )
    for bit, step in steps:
        if msg_checks & bit:
            ret = step()
            if ret != PASSED:
                return ret
    return PASSED


def w_sanity_check(state: State, ctx, mcheck_of=None, ucheck_of=None) -> int:
    msg_checks = mcheck_of(ctx) if mcheck_of is not None else state.default_checks
    uri_checks = ucheck_of(ctx) if ucheck_of is not None else state.uri_checks
    if msg_checks < 1 or msg_checks >= MAX_CHECKS:
        _log(ctx, L_ERR, 243, "w_sanity_check",
             f"input parameter ({msg_checks}) outside of valid range <1-{MAX_CHECKS})", "sanity_mod.c")
        return -1
    if uri_checks < 1 or uri_checks >= URI_MAX_CHECKS:
        _log(ctx, L_ERR, 248, "w_sanity_check",
             f"second input parameter ({uri_checks}) outside of valid range <1-{URI_MAX_CHECKS}", "sanity_mod.c")
        return -1
    ret = sanity_check(state, ctx, msg_checks, uri_checks)
    if state.autodrop:
        return ret
    return -1 if ret == FAILED else ret


_RT = REQUEST_ROUTE | ONREPLY_ROUTE

MODULE = Module(
    name=MOD,
    params={
        "default_checks": Param(int, default=DEFAULT_CHECKS),
        "uri_checks": Param(int, default=DEFAULT_URI_CHECKS),
        "proxy_require": Param(str, default="", apply=_set_proxy_require),
        "autodrop": Param(int, default=1),
        "noreply": Param(int, default=0),
    },
    functions={
        "sanity_check": [Function(w_sanity_check, route_types=_RT),
                         Function(w_sanity_check, args=(Arg.INTPV,), route_types=_RT),
                         Function(w_sanity_check, args=(Arg.INTPV, Arg.INTPV), route_types=_RT)],
        "sanity_reply": Function(w_sanity_reply, route_types=_RT),
    },
    state=State,
    check=check,
    doc="SIP message sanity checks",
)
