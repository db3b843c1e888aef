"""SIP messages, parsed the way Kamailio's core parses them.

A datagram becomes a Message at once (first line only); headers are parsed on demand,
in order, each well-known one as Kamailio's get_hdr_field() does (Via, CSeq, To and
Content-Length bodies while walking; From, Contact ... when someone asks).  Errors are
logged with Kamailio's text and the walk stops, so a script sees exactly the headers
Kamailio would.

Text is handled as latin-1 str: one byte per character, nothing lost.

Changes the script makes to a request (append_hf, remove_hf, subst ...) are recorded as
lumps (edits on the original buffer) and applied only when the message is sent on, as
Kamailio does: the script keeps reading the received headers.
"""
from __future__ import annotations

import re

from ..log import L_ERR, L_INFO
from .addr import AddrError, ToBody, parse_to_body
from .uri import UriError, parse_uri
from .via import parse_via, quick_via

REQUEST = 1
REPLY = 2

# ---- header types: Kamailio's hdr_types_t numbers, and their flags (1 << type) ----------------
HDR_ERROR, HDR_OTHER, HDR_VIA = -1, 0, 1
(HDR_TO, HDR_FROM, HDR_CSEQ, HDR_CALLID, HDR_CONTACT, HDR_MAXFORWARDS, HDR_ROUTE, HDR_RECORDROUTE,
 HDR_CONTENTTYPE, HDR_CONTENTLENGTH, HDR_AUTHORIZATION, HDR_EXPIRES, HDR_MIN_EXPIRES, HDR_PROXYAUTH,
 HDR_SUPPORTED, HDR_REQUIRE, HDR_PROXYREQUIRE, HDR_UNSUPPORTED, HDR_ALLOW, HDR_EVENT, HDR_ACCEPT,
 HDR_ACCEPTLANGUAGE, HDR_ORGANIZATION, HDR_PRIORITY, HDR_SUBJECT, HDR_USERAGENT, HDR_SERVER,
 HDR_CONTENTDISPOSITION, HDR_DIVERSION, HDR_RPID, HDR_REFER_TO, HDR_SIPIFMATCH, HDR_SESSIONEXPIRES,
 HDR_MIN_SE, HDR_SUBSCRIPTION_STATE, HDR_ACCEPTCONTACT, HDR_ALLOWEVENTS, HDR_CONTENTENCODING,
 HDR_REFERREDBY, HDR_REJECTCONTACT, HDR_REQUESTDISPOSITION, HDR_WWW_AUTHENTICATE,
 HDR_PROXY_AUTHENTICATE, HDR_DATE, HDR_IDENTITY, HDR_IDENTITY_INFO, HDR_RETRY_AFTER, HDR_PPI, HDR_PAI,
 HDR_PATH, HDR_PRIVACY, HDR_REASON, HDR_CALLINFO, HDR_EOH) = range(3, 57)


def flag(t: int) -> int:
    return 1 << t


HDR_VIA_F = flag(HDR_VIA)
HDR_VIA2_F = 1 << 2                  # "the second Via body" (Kamailio's HDR_VIA2_F)
HDR_EOH_F = flag(HDR_EOH)
HDR_TO_F, HDR_FROM_F, HDR_CSEQ_F, HDR_CALLID_F = (flag(HDR_TO), flag(HDR_FROM), flag(HDR_CSEQ),
                                                   flag(HDR_CALLID))

# header names (lower case) -> type; compact forms included (parse_hname2.c)
HEADER_TYPES = {
    "a": HDR_ACCEPTCONTACT, "accept": HDR_ACCEPT, "accept-contact": HDR_ACCEPTCONTACT,
    "accept-language": HDR_ACCEPTLANGUAGE, "allow": HDR_ALLOW, "allow-events": HDR_ALLOWEVENTS,
    "authorization": HDR_AUTHORIZATION, "b": HDR_REFERREDBY, "c": HDR_CONTENTTYPE,
    "call-id": HDR_CALLID, "call-info": HDR_CALLINFO, "contact": HDR_CONTACT,
    "content-disposition": HDR_CONTENTDISPOSITION, "content-encoding": HDR_CONTENTENCODING,
    "content-length": HDR_CONTENTLENGTH, "content-type": HDR_CONTENTTYPE, "cseq": HDR_CSEQ,
    "d": HDR_REQUESTDISPOSITION, "date": HDR_DATE, "diversion": HDR_DIVERSION,
    "e": HDR_CONTENTENCODING, "event": HDR_EVENT, "expires": HDR_EXPIRES, "f": HDR_FROM,
    "from": HDR_FROM, "i": HDR_CALLID, "identity": HDR_IDENTITY, "identity-info": HDR_IDENTITY_INFO,
    "j": HDR_REJECTCONTACT, "k": HDR_SUPPORTED, "l": HDR_CONTENTLENGTH, "m": HDR_CONTACT,
    "max-forwards": HDR_MAXFORWARDS, "min-expires": HDR_MIN_EXPIRES, "min-se": HDR_MIN_SE,
    "o": HDR_EVENT, "organization": HDR_ORGANIZATION, "path": HDR_PATH, "priority": HDR_PRIORITY,
    "privacy": HDR_PRIVACY, "proxy-authenticate": HDR_PROXY_AUTHENTICATE,
    "proxy-authorization": HDR_PROXYAUTH, "proxy-require": HDR_PROXYREQUIRE,
    "p-preferred-identity": HDR_PPI, "p-asserted-identity": HDR_PAI, "r": HDR_REFER_TO,
    "reason": HDR_REASON, "record-route": HDR_RECORDROUTE, "refer-to": HDR_REFER_TO,
    "referred-by": HDR_REFERREDBY, "reject-contact": HDR_REJECTCONTACT,
    "remote-party-id": HDR_RPID, "request-disposition": HDR_REQUESTDISPOSITION,
    "require": HDR_REQUIRE, "retry-after": HDR_RETRY_AFTER, "route": HDR_ROUTE, "s": HDR_SUBJECT,
    "server": HDR_SERVER, "session-expires": HDR_SESSIONEXPIRES, "sip-if-match": HDR_SIPIFMATCH,
    "subject": HDR_SUBJECT, "subscription-state": HDR_SUBSCRIPTION_STATE, "supported": HDR_SUPPORTED,
    "t": HDR_TO, "to": HDR_TO, "u": HDR_ALLOWEVENTS, "unsupported": HDR_UNSUPPORTED,
    "user-agent": HDR_USERAGENT, "v": HDR_VIA, "via": HDR_VIA, "x": HDR_SESSIONEXPIRES,
    "y": HDR_IDENTITY, "www-authenticate": HDR_WWW_AUTHENTICATE,
}

# headers whose duplicates make a SIP message invalid (strict parser mode)
_UNIQUE = {HDR_CALLID: "Call-ID", HDR_TO: "To", HDR_CSEQ: "CSeq", HDR_FROM: "From",
           HDR_CONTENTLENGTH: "Content-Length", HDR_MAXFORWARDS: "Max-Forwards"}

_HNAME_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._+~")
_HDR_START = re.compile(r"([0-9A-Za-z._+~-]+)[ \t]*:[ \t]*")
# the common cases, parsed in one step (anything else goes through the exact parsers)
_REQUEST_LINE = re.compile(r"([A-Za-z]+) ([^ \t\r\n]+) (SIP/2\.0)\r\n")
_REPLY_LINE = re.compile(r"SIP/2\.0 ([0-9]{3})[ \t]+([^\r\n]*)\r\n")
_HDR_LINE = re.compile(r"([0-9A-Za-z._+~-]+)[ \t]*:[ \t]*([^\r\n\0]*)\r\n(?![ \t])")
# header names as usually written -> type (saves a lower() per header)
_TYPE_BY_NAME = {**HEADER_TYPES, **{k.title(): v for k, v in HEADER_TYPES.items()},
                 "Call-ID": HDR_CALLID, "CSeq": HDR_CSEQ, "WWW-Authenticate": HDR_WWW_AUTHENTICATE,
                 "SIP-If-Match": HDR_SIPIFMATCH, "P-Asserted-Identity": HDR_PAI, "Min-SE": HDR_MIN_SE}
# types get_hdr_field does not parse (it parses Via, To, CSeq, Content-Length, Retry-After)
_PLAIN_TYPES = frozenset(set(range(HDR_OTHER, HDR_EOH)) - {HDR_VIA, HDR_TO, HDR_CSEQ, HDR_CONTENTLENGTH,
                                                            HDR_RETRY_AFTER})

METHODS = {"INVITE": 1, "CANCEL": 2, "ACK": 4, "BYE": 8, "INFO": 16, "REGISTER": 32,
           "SUBSCRIBE": 64, "NOTIFY": 128, "MESSAGE": 256, "OPTIONS": 512, "PRACK": 1024,
           "UPDATE": 2048, "REFER": 4096, "PUBLISH": 8192, "KDMQ": 16384, "GET": 32768,
           "POST": 65536, "PUT": 131072, "DELETE": 262144}
METHOD_OTHER = 524288
_FL_METHODS = tuple((m, v) for m, v in METHODS.items())       # IFISMETHOD order

BUF_SIZE = 65535
SIP_VERSION = "SIP/2.0"


def _lump_order(lump):
    return lump[0], lump[4]


def trim_r(s: str) -> str:
    """Kamailio's trim_r(): a header body loses trailing CR, LF and NUL, not blanks."""
    return s.rstrip("\r\n\0")


def cstr(s: str) -> str:
    """What C's %.*s prints of a buffer: up to the first NUL."""
    i = s.find("\0")
    return s if i < 0 else s[:i]


def oneline(s: str) -> str:
    """ksr_buf_oneline() with sip_parser_log_oneline=0 (the default): unchanged."""
    return s


class Header:
    """One header field.  `body` is the value without leading LWS and trailing whitespace
    (Kamailio's hdr->body); buf[start:end] is the whole field including its CRLF."""
    __slots__ = ("type", "name", "body", "start", "end", "parsed")

    def __init__(self, htype, name, body, start, end, parsed=None):
        self.type = htype
        self.name = name
        self.body = body
        self.start = start
        self.end = end
        self.parsed = parsed

    def __repr__(self):
        return f"<Header {self.name}: {self.body!r}>"


class CSeq:
    __slots__ = ("number", "method", "method_value")

    def __init__(self, number, method, method_value):
        self.number = number
        self.method = method
        self.method_value = method_value


class ParseLog:
    """Where parser messages go: Kamailio prints them from the core.  `sip_parser_log`
    is the level of the 'core parsing ... failed' family (default L_ERR)."""

    def __init__(self, log, sip_parser_log: int = L_ERR):
        self.log = log
        self.sip_parser_log = sip_parser_log

    def core(self, level: int, where: str, func: str, text: str) -> None:
        log = self.log
        if level <= log.debug:
            log.write(level, f"<core> [core/{where}]: {func}(): {text}\n")


class Message:
    """A SIP request or reply.

    Set at once: type, method (requests; replies get it from CSeq on demand), first_uri,
    version, status and reason (replies), fline_end.  Headers: parse_headers(flags),
    first(type), all(type), via1/via2, callid, cseq ... parse as needed and return None
    when absent or broken.
    """
    # Most fields keep their class default until set: a message costs little to create.
    type = 0
    method = first_uri = version = reason = None
    method_value = status = 0
    uri_start = fline_end = unparsed = 0
    eoh = None
    via1 = via2 = h_via1 = None
    parse_failed = False
    new_uri = dst_uri = None
    _ruri = _ruri_text = _ouri = None
    lumps = reply_lumps = None
    force_socket = None
    send_flags = 0
    force_rport = False
    body_cache = None
    path_vec = None
    proto_sip = True

    def __init__(self, buf: str, plog: ParseLog | None = None, rcv=None, msg_id: int = 0):
        self.buf = buf
        self.plog = plog
        self.rcv = rcv
        self.id = msg_id
        self.flags = 0
        self.headers: list[Header] = []
        self.parsed_flags = 0
        self._first: dict[int, Header] = {}

    # ---- first line (parse_fline.c) -------------------------------------------------------------
    def parse_first_line(self) -> bool:
        """parse_msg()'s first step: skip leading blanks, parse the first line.  False (and
        Kamailio's log lines) when it is not a SIP message."""
        buf = self.buf
        n = len(buf)
        m = _REQUEST_LINE.match(buf)
        if m is not None and n > 16 and m.end() < n:
            self.type = REQUEST
            method, self.first_uri, self.version = m.groups()
            self.method = method
            self.method_value = METHODS.get(method) or METHODS.get(method.upper(), METHOD_OTHER)
            self.uri_start = m.start(2)
            self.fline_end = self.unparsed = m.end()
            return True
        m = _REPLY_LINE.match(buf)
        if m is not None and n > 16 and m.end() < n:
            self.type = REPLY
            self.version = "SIP/2.0"
            self.status = int(m.group(1))
            self.reason = m.group(2)
            self.fline_end = self.unparsed = m.end()
            return True
        i = 0
        while i < n and buf[i] in "\n\r\0\t ":
            i += 1
        end = self._first_line(i, n)
        if end is None:
            self._log_parse_msg_error()
            return False
        self.fline_end = end
        self.unparsed = end
        return True

    def _first_line(self, start: int, n: int):
        buf = self.buf
        length = n - start
        plog = self.plog
        if length <= 16:
            if plog:
                plog.core(L_INFO, "parser/parse_fline.c:80", "parse_first_line",
                          f"message too short: {length} [{cstr(buf[start:n])}]")
            return self._fl_error1(0)
        c = buf[start]
        head = buf[start:start + 8]
        tmp = None
        if c in "Ss" and head[:7].upper() == SIP_VERSION and head[7:8] == " ":
            self.type = REPLY
            tmp = start + 7
        else:
            up = buf[start:start + 10].upper()
            for name, value in _FL_METHODS:
                ln = len(name)
                if up.startswith(name) and buf[start + ln:start + ln + 1] == " ":
                    self.type = REQUEST
                    self.method_value = value
                    tmp = start + ln
                    break
            else:
                tmp = _token_end(buf, start, n)
                if tmp == start or tmp >= n:
                    if plog:
                        plog.core(L_INFO, "parser/parse_fline.c:143", "parse_first_line",
                                  "empty or bad first line")
                    return self._fl_error1(0)
                if buf[tmp] != " ":
                    if plog:
                        plog.core(L_INFO, "parser/parse_fline.c:147", "parse_first_line",
                                  "method not followed by SP")
                    return self._fl_error1(0)
                self.type = REQUEST
                self.method_value = METHOD_OTHER
        method = buf[start:tmp]
        second = tmp + 1
        offset = second - start
        tmp = _token_end(buf, second, n)
        if tmp >= n:
            return self._fl_error1(offset)
        offset += tmp - second
        third = tmp
        while third < n and buf[third] in " \t":
            third += 1
        offset += third - tmp
        if third == tmp:
            return self._fl_error1(offset)
        uri = buf[second:tmp]
        if self.type == REPLY:
            if len(uri) != 3:
                if plog:
                    plog.core(L_INFO, "parser/parse_fline.c:182", "parse_first_line",
                              f"len(status code)!=3: {cstr(uri)}")
                return self._fl_error1(offset)
            if not (uri.isdigit() and uri.isascii()):
                if plog:
                    plog.core(L_INFO, "parser/parse_fline.c:192", "parse_first_line",
                              f"status code non-numerical: {cstr(uri)}")
                return self._fl_error1(offset)
            self.status = int(uri)
            tmp = third
            while tmp < n and buf[tmp] not in "\r\n":
                tmp += 1
            if tmp >= n:
                return self._fl_error1(offset)
            offset += tmp - third
        else:
            tmp = _token_end(buf, third, n)
            offset += tmp - third
            if tmp == third or tmp >= n:
                return self._fl_error1(offset)
            j = tmp
            while j < n and buf[j] in " \t":
                j += 1
            if not (j < n and buf[j] in "\r\n"):
                return self._fl_error1(offset)
        nl = buf.find("\n", tmp)
        if nl < 0 or nl + 1 >= n:
            return self._fl_error1(offset)
        nl += 1
        version = buf[third:tmp]
        if self.type == REPLY:
            self.version = buf[start:start + 7]
            self.reason = version
        else:
            self.method = method
            self.first_uri = uri
            self.uri_start = second
            self.version = version
            self.proto_sip = len(version) >= 7 and version[:7].upper() == SIP_VERSION
        return nl

    def _fl_error1(self, offset: int):
        self.type = 0
        if self.plog:
            self.plog.core(self.plog.sip_parser_log, "parser/parse_fline.c:271", "parse_first_line",
                           f"parse_first_line: bad message (offset: {offset})")
        return None

    def _log_parse_msg_error(self):
        if self.plog:
            self.plog.core(self.plog.sip_parser_log, "parser/msg_parser.c:749", "parse_msg",
                           f"ERROR: parse_msg: message=<{oneline(cstr(self.buf))}>")

    # ---- headers (msg_parser.c) -------------------------------------------------------------------
    def parse_headers(self, flags: int = HDR_EOH_F) -> bool:
        """Walk on until every header type in `flags` was seen, or the end of the headers.
        False when a header is broken (the error is logged; a later call fails again, as
        in Kamailio)."""
        buf = self.buf
        n = len(buf)
        pos = self.unparsed
        pf = self.parsed_flags
        headers = self.headers
        first = self._first
        line = _HDR_LINE.match
        while pos < n and (flags & pf) != flags:
            m = line(buf, pos)
            hf = None
            if m is not None:
                name, value = m.groups()
                t = _TYPE_BY_NAME.get(name)
                if t is None:
                    t = HEADER_TYPES.get(name.lower(), HDR_OTHER)
                nxt = m.end()
                if t in _PLAIN_TYPES:
                    hf = Header(t, name, value, pos, nxt, None)
                elif t == HDR_VIA:
                    q = quick_via(buf, m.start(2), nxt)
                    if q is not None:
                        hf = Header(t, name, value, pos, nxt, q[0])
                else:
                    parsed = _QUICK[t](value)
                    if parsed is not None:
                        hf = Header(t, name, value, pos, nxt, parsed)
            else:
                c = buf[pos]
                if c == "\n" or c == "\r":
                    self.eoh = pos
                    pf |= HDR_EOH_F
                    break
            if hf is None:
                hf, nxt = self._get_hdr_field(pos, n)
                if hf is None:
                    self.parsed_flags = pf
                    return self._bad_header(pos, n)
                t = hf.type
            if t in first:
                if t in _UNIQUE and self.proto_sip:
                    self.parsed_flags = pf
                    return self._duplicate(t, pos)
            else:
                first[t] = hf
            headers.append(hf)
            pf |= 1 << t
            if t == HDR_VIA:
                vias = hf.parsed
                for v in vias:
                    v.hdr_name = hf.name
                if self.via1 is None:
                    self.h_via1 = hf
                    self.via1 = vias[0]
                    if len(vias) > 1:
                        self.via2 = vias[1]
                        pf |= HDR_VIA2_F
                elif self.via2 is None:
                    self.via2 = vias[0]
                    pf |= HDR_VIA2_F
            pos = nxt
        else:
            if pos >= n and (flags & HDR_EOH_F):
                # no empty line: Kamailio takes the end of the buffer as the end of headers
                self.eoh = n
                pf |= HDR_EOH_F
        self.parsed_flags = pf
        self.unparsed = pos
        return True

    def _duplicate(self, t: int, pos: int) -> bool:
        plog = self.plog
        if plog:
            plog.core(plog.sip_parser_log, "parser/msg_parser.c:%d" % _DUP_LINES[t], "parse_headers",
                      f"duplicate {_UNIQUE[t]} header field [{cstr(self.buf[pos:pos + 100])}]")
        return self._parse_error()

    def _bad_header(self, pos, n):
        plog = self.plog
        if plog:
            plog.core(L_ERR, "parser/msg_parser.c:339", "parse_headers",
                      f"bad header field [{cstr(self.buf[pos:pos + 100])}]")
        return self._parse_error()

    def _parse_error(self):
        self.parse_failed = True
        return False

    def _get_hdr_field(self, pos: int, n: int):
        """One header field at pos: (Header, next position) or (None, _) after logging."""
        buf = self.buf
        m = _HDR_START.match(buf, pos)
        if m is not None:
            name = m.group(1)
            tmp = m.end()
        else:
            name, tmp = self._bad_header_name(pos, n)
            if name is None:
                return None, None
        htype = _TYPE_BY_NAME.get(name)
        if htype is None:
            htype = HEADER_TYPES.get(name.lower(), HDR_OTHER)
        c = buf[tmp:tmp + 1]
        if c == "\r" or c == "\n" or c == " " or c == "\t":
            tmp = _eat_lws(buf, tmp, n)
        if tmp >= n:
            return self._hdr_error("msg_parser.c:105", "HF empty")
        plog = self.plog
        parsed = None
        if htype in _PLAIN_TYPES or htype == HDR_RETRY_AFTER:
            if htype == HDR_RETRY_AFTER:
                nxt = _line_end(buf, tmp, n)
                parsed = _parse_retry_after(buf[tmp:nxt] if nxt else "")
                if nxt is None or parsed is None:
                    return self._hdr_error("msg_parser.c:193", "bad retry_after header")
            else:
                # find the end: the LF not followed by a blank (folded lines continue)
                nxt = buf.find("\n", tmp)
                if nxt >= 0:
                    nxt += 1
                    if nxt < n and (buf[nxt] == " " or buf[nxt] == "\t"):
                        nxt = _line_end(buf, nxt, n)
                if nxt is None or nxt < 0:
                    if plog:
                        plog.core(L_ERR, "parser/msg_parser.c:259", "get_hdr_field",
                                  f"no eol - bad body for <{cstr(name)}> (hdr type: {htype}) "
                                  f"[{cstr(buf[tmp:n][:128])}]")
                    return self._hdr_error(None, None)
        elif htype == HDR_VIA:
            parsed, nxt = parse_via(buf, tmp, n, plog)
            if parsed is None:
                return self._hdr_error("msg_parser.c:127", "bad via")
        elif htype == HDR_CSEQ:
            parsed, nxt = _parse_cseq(buf, tmp, n, plog)
            if parsed is None:
                return self._hdr_error("msg_parser.c:146", "bad cseq")
        elif htype == HDR_TO:
            nxt = _line_end(buf, tmp, n)
            if nxt is None:
                nxt = n
            parsed = _parse_to_body(buf[tmp:nxt].rstrip("\r\n"), plog)
            if parsed is None:
                return self._hdr_error("msg_parser.c:166", "bad to header")
        else:                                   # Content-Length
            parsed, nxt = _parse_content_length(buf, tmp, n, plog)
            if parsed is None:
                return self._hdr_error("msg_parser.c:182", "bad content_length header")
        return Header(htype, name, trim_r(buf[tmp:nxt]), pos, nxt, parsed), nxt

    def _bad_header_name(self, pos: int, n: int):
        """parse_sip_header_name() when the quick match failed: (name, position after ':')
        for the odd cases it still accepts, else (None, _) after Kamailio's errors."""
        buf = self.buf
        plog = self.plog
        i = pos
        if buf[i] not in _HNAME_CHARS:
            if plog:
                plog.core(L_ERR, "parser/parse_hname2.c:245", "parse_sip_header_name",
                          f"invalid start of header name for [{cstr(buf[pos:n])}]")
            return self._hdr_error("msg_parser.c:98", "bad header")
        i += 1
        while i < n and buf[i] in _HNAME_CHARS:
            i += 1
        name_end = i
        while i < n and buf[i] != ":":
            if buf[i] not in " \t":
                if plog:
                    plog.core(L_ERR, "parser/parse_hname2.c:270", "parse_sip_header_name",
                              f"invalid header name for [{cstr(buf[pos:n])}]")
                return self._hdr_error("msg_parser.c:98", "bad header")
            i += 1
        if i >= n:
            if plog:
                plog.core(L_ERR, "parser/parse_hname2.c:279", "parse_sip_header_name",
                          f"invalid end of header name for [{cstr(buf[pos:n])}]")
            return self._hdr_error("msg_parser.c:98", "bad header")
        return buf[pos:name_end], i + 1

    def _hdr_error(self, where, text):
        if where is not None and self.plog:
            self.plog.core(L_ERR, f"parser/{where}", "get_hdr_field", text)
        return None, None

    def first(self, htype: int) -> Header | None:
        """The first header of a type, parsing on as far as needed."""
        h = self._first.get(htype)
        if h is None and not self.parsed_flags & HDR_EOH_F:
            self.parse_headers(1 << htype)
            h = self._first.get(htype)
        return h

    def all(self, htype: int) -> list[Header]:
        """Every header of a type (all headers are parsed first)."""
        self.parse_headers(HDR_EOH_F)
        return [h for h in self.headers if h.type == htype]

    def named(self, name: str) -> list[Header]:
        """Headers matching a name as $hdr(name) matches: by type for well-known names
        (so 'v' finds Via), case-insensitively by name otherwise."""
        self.parse_headers(HDR_EOH_F)
        t = HEADER_TYPES.get(name.lower(), HDR_OTHER)
        if t != HDR_OTHER:
            return [h for h in self.headers if h.type == t]
        low = name.lower()
        return [h for h in self.headers if h.type == HDR_OTHER and h.name.lower() == low]

    # ---- commonly used fields --------------------------------------------------------------------
    @property
    def callid(self) -> str | None:
        h = self.first(HDR_CALLID)
        return h.body if h is not None else None

    @property
    def cseq(self) -> CSeq | None:
        h = self.first(HDR_CSEQ)
        return h.parsed if h is not None else None

    def to_body(self):
        h = self.first(HDR_TO)
        return h.parsed if h is not None else None

    def from_body(self):
        """The parsed From header (parse_from_header: parsed on first use)."""
        h = self.first(HDR_FROM)
        if h is None:
            return None
        if h.parsed is None:
            body = _parse_to_body(h.body, self.plog, from_header=True)
            if body is None:
                return None
            h.parsed = body
        return h.parsed

    def body(self) -> str:
        """The message body (get_body): after the empty line, Content-Length bytes when the
        header says so."""
        if self.body_cache is not None:
            return self.body_cache
        if not self.parse_headers(HDR_EOH_F) or self.eoh is None:
            return ""
        buf = self.buf
        start = self.eoh
        if buf.startswith("\r\n", start):
            start += 2
        elif buf.startswith("\n", start):
            start += 1
        body = buf[start:]
        cl = self._first.get(HDR_CONTENTLENGTH)
        if cl is not None and cl.parsed < len(body):
            body = body[:cl.parsed]
        self.body_cache = body
        return body

    def body_start(self) -> int:
        self.body()
        start = self.eoh if self.eoh is not None else len(self.buf)
        if self.buf.startswith("\r\n", start):
            return start + 2
        if self.buf.startswith("\n", start):
            return start + 1
        return start

    # ---- request URI ------------------------------------------------------------------------------
    @property
    def ruri(self) -> str:
        """The request URI the script works with: the new one when set, else the received one."""
        return self.new_uri if self.new_uri is not None else self.first_uri

    def set_ruri(self, uri: str | None) -> None:
        self.new_uri = uri
        self._ruri = self._ruri_text = None

    def parsed_ruri(self):
        """parse_sip_msg_uri(): the parsed request URI, None (logged) when invalid."""
        text = self.ruri
        if text is None:
            return None
        if self._ruri_text == text and self._ruri is not None:
            return self._ruri
        try:
            u = parse_uri(text, self.log)
        except UriError:
            return None
        self._ruri, self._ruri_text = u, text
        return u

    def parsed_orig_uri(self):
        if self._ouri is None and self.first_uri is not None:
            try:
                self._ouri = parse_uri(self.first_uri, self.log)
            except UriError:
                return None
        return self._ouri

    @property
    def log(self):
        return self.plog.log if self.plog else None

    # ---- lumps: the script's changes, applied when the message is sent -----------------------------
    def add_lump(self, pos: int, delete: int = 0, before: str = "", after: str = "") -> None:
        if self.lumps is None:
            self.lumps = []
        self.lumps.append((pos, delete, before, after, len(self.lumps)))

    def insert_at_eoh(self, text: str) -> bool:
        """append_hf: text goes right before the empty line ending the headers."""
        if not self.parse_headers(HDR_EOH_F):
            return False
        self.add_lump(self.eoh if self.eoh is not None else len(self.buf), before=text)
        return True

    def add_reply_lump(self, kind: str, text: str) -> None:
        """Something for the replies built from this request: kind "hdr" (header lines,
        CRLF included, added after the copied headers) or "body" (the reply body)."""
        if self.reply_lumps is None:
            self.reply_lumps = []
        if kind == "body":
            self.reply_lumps = [l for l in self.reply_lumps if l[0] != "body"]
        self.reply_lumps.append((kind, text))

    def apply_lumps(self, start: int, end: int) -> str:
        """buf[start:end] with the lumps falling inside it applied, as Kamailio's
        process_lumps() applies them: in offset order, lumps at one offset in the order
        they were added; a deletion overlapping an earlier one deletes what is left of it,
        an insertion inside a deleted zone lands at its end."""
        buf = self.buf
        lumps = self.lumps
        if not lumps:
            return buf[start:end]
        out = []
        cur = start
        for pos, delete, before, after, _seq in sorted(lumps, key=_lump_order):
            if pos < start or pos > end:
                continue
            if pos < cur:
                if delete:
                    delete = max(0, pos + delete - cur)
                pos = cur
            out.append(buf[cur:pos])
            out.append(before)
            cur = min(pos + delete, end)
            out.append(after)
        out.append(buf[cur:end])
        return "".join(out)

    def lump_delta(self, start: int, end: int) -> int:
        """How much the lumps inside buf[start:end] change its length."""
        if not self.lumps:
            return 0
        return len(self.apply_lumps(start, end)) - (end - start)


# duplicate-header log lines in msg_parser.c (5.6.3)
_DUP_LINES = {HDR_CALLID: 364, HDR_TO: 381, HDR_CSEQ: 394, HDR_FROM: 407, HDR_CONTENTLENGTH: 449,
              HDR_MAXFORWARDS: 424}


# ---- small parsers ---------------------------------------------------------------------------------
def _token_end(buf: str, i: int, n: int) -> int:
    while i < n and buf[i] not in " \t\n\r":
        i += 1
    return i


def _eat_lws(buf: str, i: int, n: int) -> int:
    while i < n:
        c = buf[i]
        if c == " " or c == "\t":
            i += 1
        elif c == "\n" and i + 1 < n and buf[i + 1] in " \t":
            i += 2
        elif c == "\r" and i + 2 < n and buf[i + 1] == "\n" and buf[i + 2] in " \t":
            i += 3
        else:
            break
    return i


def _line_end(buf: str, i: int, n: int):
    """Position after the header's last line (folded lines included); None without LF."""
    while True:
        j = buf.find("\n", i, n)
        if j < 0:
            return None
        j += 1
        if j < n and (buf[j] == " " or buf[j] == "\t"):
            i = j
            continue
        return j


def _parse_cseq(buf: str, i: int, n: int, plog):
    t = _token_end(buf, i, n)
    if t >= n:
        return _cseq_error(plog, None)
    number = buf[i:t]
    m = t
    while m < n and buf[m] in " \t":
        m += 1
    m_end = _token_end(buf, m, n)
    if m_end >= n:
        return _cseq_error(plog, (56, "method terminated unexpectedly"))
    if m_end == m:
        return _cseq_error(plog, (61, "no method found"))
    method = buf[m:m_end]
    t = _eat_lws(buf, m_end, n)
    if t >= n:
        return _cseq_error(plog, (78, "strange EoHF"))
    if buf.startswith("\r\n", t):
        nxt = t + 2
    elif buf[t] == "\n":
        nxt = t + 1
    else:
        return _cseq_error(plog, (89, "CSeq EoL expected"))
    return CSeq(number, method, METHODS.get(method.upper(), METHOD_OTHER)), nxt


def _cseq_error(plog, first):
    if plog:
        if first:
            plog.core(L_ERR, f"parser/parse_cseq.c:{first[0]}", "parse_cseq", first[1])
        plog.core(L_ERR, "parser/parse_cseq.c:92", "parse_cseq", "bad cseq")
    return None, None


def _parse_content_length(buf: str, i: int, n: int, plog):
    p = i
    while p < n and (buf[p] in " \t" or (buf[p] == "\n" and p + 1 < n and buf[p + 1] in " \t")):
        p += 1
    if p == n:
        return _cl_error(buf, p, n, plog)
    number = 0
    size = 0
    while p < n and "0" <= buf[p] <= "9":
        if number >= 214748364:
            if plog:
                plog.core(L_ERR, "parser/parse_content.c:237", "parse_content_length",
                          "content lenght value is too large")
            return _cl_error(buf, p, n, plog)
        number = number * 10 + ord(buf[p]) - 48
        size += 1
        p += 1
    if p == n or size == 0:
        return _cl_error(buf, p, n, plog)
    while p < n:
        while p < n and buf[p] in " \t":
            p += 1
        if p == n:
            return _cl_error(buf, p, n, plog)
        if buf[p] == "\n":
            p += 1
        elif p + 1 < n and buf[p] == "\r" and buf[p + 1] == "\n":
            p += 2
        else:
            return _cl_error(buf, p, n, plog)
        if p < n:
            if buf[p] in " \t":
                p += 1
                if p == n:
                    return _cl_error(buf, p, n, plog)
            else:
                break
    return number, p


def _cl_error(buf, p, n, plog):
    if plog:
        if p < n:
            c = buf[p]
            code = ord(c) - 256 if ord(c) >= 128 else ord(c)
            plog.core(L_ERR, "parser/parse_content.c:276", "parse_content_length",
                      f"parse error near char [{code}][{c}]")
        else:
            plog.core(L_ERR, "parser/parse_content.c:278", "parse_content_length",
                      "parse error over the end of input: (nil) - (nil)")
    return None, None


def _parse_retry_after(text: str):
    t = text.strip(" \t\r\n")
    digits = ""
    for c in t:
        if c.isdigit():
            digits += c
        else:
            break
    return int(digits) if digits else None


# ---- quick parsers: the common well-formed bodies in one regex step --------------------------------
# Each returns what the exact parser returns for its input, or None to let the exact parser
# (with its error messages) decide; tests/sip/test_message_quick.py checks the equivalence.
_CSEQ_RE = re.compile(r"([^ \t\r\n]+)[ \t]+([^ \t\r\n]+)[ \t]*")
_CL_RE = re.compile(r"([0-9]{1,9})[ \t]*")
_TO_RE = re.compile(r'(?:("[^"\\\r\n]*")[ \t]*|([A-Za-z0-9][A-Za-z0-9._-]*(?: [A-Za-z0-9._-]+)*)[ \t]+)?'
                    r'<([^<>"\s;,]+)>((?:;[A-Za-z0-9._-]+(?:=[A-Za-z0-9._~+!*%-]+)?)*)')


def quick_cseq(value: str):
    m = _CSEQ_RE.fullmatch(value)
    if m is None:
        return None
    method = m.group(2)
    return CSeq(m.group(1), method, METHODS.get(method) or METHODS.get(method.upper(), METHOD_OTHER))


def quick_content_length(value: str):
    m = _CL_RE.fullmatch(value)
    return int(m.group(1)) if m is not None else None


def quick_to(value: str):
    m = _TO_RE.fullmatch(value)
    if m is None:
        return None
    body = ToBody()
    body.display = m.group(1) or m.group(2)
    body.uri = m.group(3)
    params = m.group(4)
    if params:
        body.params_start = m.start(4) + 1
        for p in params[1:].split(";"):
            name, eq, val = p.partition("=")
            body.params.append((name, val if eq else None))
            if name.lower() == "tag":
                body.tag = val
    return body


_QUICK = {HDR_TO: quick_to, HDR_CSEQ: quick_cseq, HDR_CONTENTLENGTH: quick_content_length,
          HDR_RETRY_AFTER: lambda value: None}


def _parse_to_body(text: str, plog, from_header: bool = False):
    try:
        return parse_to_body(text, plog.log if plog else None)
    except AddrError:
        if from_header and plog:
            plog.core(L_ERR, "parser/parse_from.c:74", "parse_from_header", f"bad From header [{cstr(text)}]")
        return None


# ---- the message timer and event routes run on -------------------------------------------------------
FAKED_REQUEST = ("OPTIONS sip:you@kamailio.org SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1\r\n"
                 "From: <sip:you@kamailio.org>;tag=123\r\n"
                 "To: <sip:you@kamailio.org>\r\n"
                 "Call-ID: 123\r\n"
                 "CSeq: 1 OPTIONS\r\n"
                 "Content-Length: 0\r\n\r\n")


def faked_message(plog: ParseLog | None = None) -> Message:
    msg = Message(FAKED_REQUEST, plog)
    msg.parse_first_line()
    return msg


def parse(data: str, plog: ParseLog | None = None, rcv=None, msg_id: int = 0) -> Message | None:
    """parse_msg(): the first line and the headers up to the first Via; None (logged)
    when that fails."""
    msg = Message(data, plog, rcv, msg_id)
    if not msg.parse_first_line():
        return None
    if not msg.parse_headers(HDR_VIA_F):
        msg._log_parse_msg_error()
        return None
    return msg
