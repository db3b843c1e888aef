"""To/From/Contact bodies and name-addr: Kamailio 5.6's core parse_to() / parse_addr_spec()
(parser/parse_addr_spec.c) and parse_nameaddr() (parser/parse_nameaddr.c).

    >>> b = parse_to_body('"Alice" <sip:alice@example.com>;tag=abc;x=1')
    >>> b.display, b.uri, b.tag, b.params
    ('"Alice"', 'sip:alice@example.com', 'abc', [('tag', 'abc'), ('x', '1')])
    >>> parse_nameaddr('Bob <sip:bob@h>;lr')
    NameAddr(name='Bob ', uri='sip:bob@h', len=15)

Both are ports of the C parsers, quirks included (a display name keeps its quotes, a
"tag" value may hold ',', a bare URI followed by ";tag=..." ends at the ';' ...).
Values are byte strings held as latin-1 str.  The URI is not parsed: give it to
kamlite.sip.uri.parse_uri().
"""
from __future__ import annotations

from typing import NamedTuple

from ..log import L_ERR


class AddrError(ValueError):
    """An invalid To/From body or name-addr."""


class ToBody:
    """Kamailio's struct to_body, for what parse_to() fills in.

    display       the display name as written (quotes kept, blanks before '<' dropped),
                  None without one
    uri           the URI (without <>), None when there is none
    tag           the value of the tag parameter, None without one ("" for ";tag")
    params        [(name, value or None)] of the parameters after the URI, in order
    params_start  offset in the text of the first parameter's name, None without params
    """
    __slots__ = ("display", "uri", "tag", "params", "params_start")

    def __init__(self):
        self.display = None
        self.uri = None
        self.tag = None
        self.params: list = []
        self.params_start = None

    def __repr__(self) -> str:
        return (f"ToBody(display={self.display!r}, uri={self.uri!r}, tag={self.tag!r}, "
                f"params={self.params!r})")


def parse_to_body(text: str, log=None) -> ToBody:
    """Core parse_to() on the body of a To, From (or single Contact) header: `text` is the
    header value without its CRLF (line folding inside it is allowed); the CRLF that ends
    a header in Kamailio's buffer is added here, as pv_trans.c's tobody does.

    Raises AddrError on an invalid body.  `log` is a kamlite.log.Log (anything with
    .debug and .write(level, text)): the error lines Kamailio's parser prints are written
    to it; None prints nothing.
    """
    body = _AddrSpecParser(text + "\r\n", log).run()
    if body is None:
        raise AddrError(f"invalid To/From body <{text}>")
    return body


class NameAddr(NamedTuple):
    """Kamailio's name_addr_t: `name` is everything before '<' (blanks and quotes kept),
    `uri` what is between '<' and '>', `len` the length up to and with the '>'."""
    name: str
    uri: str
    len: int


class NameAddrError(AddrError):
    """parse_nameaddr() failed: `missing` is "<" (Kamailio's -3: no '<' outside quotes) or
    ">" (-4: no closing '>').  `partial` is what Kamailio's name_addr_t holds then: None for
    a missing '<'; for a missing '>' the name, the rest after '<' as uri, and len 0."""

    def __init__(self, text: str, missing: str, partial: NameAddr | None):
        super().__init__(f"no {missing} in name-addr <{text}>")
        self.missing = missing
        self.partial = partial


def parse_nameaddr(text: str) -> NameAddr:
    """Core parse_nameaddr(): name-addr at the start of `text`; what follows the '>' is
    ignored.  '<' and '>' inside double quotes do not count.  Raises NameAddrError."""
    lt = _find_not_quoted(text, 0, "<")
    if lt < 0:
        raise NameAddrError(text, "<", None)
    gt = _find_not_quoted(text, lt + 1, ">")
    if gt < 0:
        raise NameAddrError(text, ">", NameAddr(text[:lt], text[lt + 1:], 0))
    return NameAddr(text[:lt], text[lt + 1:gt], gt + 1)


# ---- internals ---------------------------------------------------------------------------------
def _find_not_quoted(s: str, start: int, ch: str) -> int:
    """find_not_quoted(): the first `ch` at or after `start` outside "..." (a '"' after a
    backslash does not close), -1 if none."""
    quoted = False
    for i in range(start, len(s)):
        if not quoted:
            if s[i] == '"':
                quoted = True
            elif s[i] == ch:
                return i
        elif s[i] == '"' and s[i - 1] != "\\":
            quoted = False
    return -1


def _log(log, line: int, func: str, text: str) -> None:
    """An LM_ERR of parse_addr_spec.c as Kamailio prints it."""
    if log is not None and L_ERR <= log.debug:
        log.write(L_ERR, f"<core> [core/parser/parse_addr_spec.c:{line}]: {func}(): {text}\n")


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(s: str) -> str:
    return s.translate(_LOWER)


# the C status numbers (printed in the error messages)
(START_TO, DISPLAY_QUOTED, E_DISPLAY_QUOTED, DISPLAY_TOKEN, DISPLAY_TOKEN_SP, S_URI_ENCLOSED,
 URI_ENCLOSED, E_URI_ENCLOSED, URI_OR_TOKEN, MAYBE_URI_END, END, F_CR, F_LF, F_CRLF) = range(14)
(S_PARA_NAME, PARA_NAME, S_EQUAL, S_PARA_VALUE, TAG1, TAG2, TAG3, PARA_VALUE_TOKEN,
 PARA_VALUE_QUOTED, E_PARA_VALUE) = range(20, 30)
_FOLDS = (F_CR, F_LF, F_CRLF)


class _ToParam:
    __slots__ = ("name_s", "name_len", "value_s", "value_len", "tag")

    def __init__(self):
        self.name_s = self.name_len = self.value_s = self.value_len = 0
        self.tag = False


class _AddrSpecParser:
    """parse_addr_spec() and parse_to_param() over `buf` (the value plus CRLF)."""

    def __init__(self, buf: str, log=None):
        self.logger = log
        self.buf = buf
        self.end = len(buf)
        self.to = ToBody()
        self.uri_s = self.uri_len = self.disp_s = None
        self.disp_len = 0
        self.params: list = []
        self.failed = False

    def log(self, line, func, text):
        _log(self.logger, line, func, text)

    def unexpected(self, line, tmp, status):
        c = self.buf[tmp]
        self.log(line, "parse_addr_spec",
                 f"unexpected char [{c}/{_c_signed(c)}] in status {status}: [{self.buf[:tmp]}] .")

    def unexpected_p(self, line, tmp, status):
        self.log(line, "parse_to_param",
                 f"unexpected char [{self.buf[tmp]}] in status {status}: [{self.seen(tmp)}] .")

    def seen(self, tmp) -> str:
        """What parse_to_param() has read: it starts at the first ';'."""
        return self.buf[self.pstart:tmp]

    # -- parse_to_param ----------------------------------------------------------------------
    def add_param(self, param):
        self.params.append(param)
        if param.tag:
            self.to.tag = (param.value_s, param.value_len)

    def to_param(self, start):
        """Returns (tmp, saved_status); sets self.failed on errors."""
        buf, end = self.buf, self.end
        self.pstart = start
        param = None
        status = saved = E_PARA_VALUE
        tmp = start
        in_loop_end = True
        while tmp < end:
            c = buf[tmp]
            if c in " \t":
                if status == TAG3:
                    param.tag = True
                if status in (TAG3, PARA_NAME, TAG1, TAG2):
                    param.name_len = tmp - param.name_s
                    status = S_EQUAL
                elif status == PARA_VALUE_TOKEN:
                    param.value_len = tmp - param.value_s
                    status = E_PARA_VALUE
                    self.add_param(param)
                elif status in _FOLDS:
                    status = saved
            elif c in "\n\r":
                lf = c == "\n"
                if status in (S_PARA_NAME, S_EQUAL, S_PARA_VALUE, E_PARA_VALUE):
                    saved, status = status, (F_LF if lf else F_CR)
                elif status in (TAG3, PARA_NAME, TAG1, TAG2):
                    if status == TAG3:
                        param.tag = True
                    param.name_len = tmp - param.name_s
                    saved, status = S_EQUAL, (F_LF if lf else F_CR)
                elif status == PARA_VALUE_TOKEN:
                    param.value_len = tmp - param.value_s
                    saved, status = E_PARA_VALUE, (F_LF if lf else F_CR)
                    self.add_param(param)
                elif lf and status == F_CR:
                    status = F_CRLF
                elif status in ((F_CRLF, F_LF) if lf else _FOLDS):
                    status = saved
                    in_loop_end = False
                    break
                else:
                    self.unexpected_p(158 if lf else 193, tmp, status)
                    return self.param_error(tmp, status)
            elif c == "\0":
                if status in (TAG3, PARA_NAME, TAG1, TAG2):
                    if status == TAG3:
                        param.tag = True
                    param.name_len = tmp - param.name_s
                    status = S_EQUAL
                if status in (S_EQUAL, S_PARA_VALUE):
                    saved = status
                    in_loop_end = False
                    break
                if status == PARA_VALUE_TOKEN:
                    status = E_PARA_VALUE
                    param.value_len = tmp - param.value_s
                    self.add_param(param)
                if status == E_PARA_VALUE:
                    saved = status
                    in_loop_end = False
                    break
                self.unexpected_p(220, tmp, status)
                return self.param_error(tmp, status)
            elif c == "\\":
                if status == PARA_VALUE_QUOTED:
                    if tmp + 1 >= end:
                        self.log(229, "parse_to_param", f"unexpected end of data in status {status}"
                                 " - start: (nil) - end: (nil) - crt: (nil)")
                        return self.param_error(tmp, status)
                    if buf[tmp + 1] not in "\r\n":
                        tmp += 1
                self.unexpected_p(242, tmp, status)
                return self.param_error(tmp, status)
            elif c == '"':
                if status == S_PARA_VALUE:
                    if tmp + 1 >= end:
                        self.log(251, "parse_to_param", f"unexpected end of data in status {status}"
                                 " - start: (nil) - end: (nil) - crt: (nil)")
                        return self.param_error(tmp, status)
                    param.value_s = tmp + 1
                    status = PARA_VALUE_QUOTED
                elif status == PARA_VALUE_QUOTED:
                    param.value_len = tmp - param.value_s
                    self.add_param(param)
                    status = E_PARA_VALUE
                elif status in _FOLDS:
                    in_loop_end = False
                    break
                else:
                    self.unexpected_p(270, tmp, status)
                    return self.param_error(tmp, status)
            elif c == ";":
                if status == PARA_VALUE_QUOTED:
                    pass
                elif status in (TAG3, PARA_NAME, TAG1, TAG2, S_EQUAL, S_PARA_VALUE,
                                PARA_VALUE_TOKEN, E_PARA_VALUE):
                    if status in (TAG3, PARA_NAME, TAG1, TAG2):
                        if status == TAG3:
                            param.tag = True
                        param.name_len = tmp - param.name_s
                    if status in (TAG3, PARA_NAME, TAG1, TAG2, S_EQUAL):
                        param.value_s, param.value_len = None, 0
                        self.add_param(param)
                    elif status in (S_PARA_VALUE, PARA_VALUE_TOKEN):
                        if status == S_PARA_VALUE:
                            param.value_s = tmp
                        param.value_len = tmp - param.value_s
                        self.add_param(param)
                    param = _ToParam()
                    status = S_PARA_NAME
                elif status in _FOLDS:
                    in_loop_end = False
                    break
                else:
                    self.unexpected_p(318, tmp, status)
                    return self.param_error(tmp, status)
            else:
                r = self.param_char(c, tmp, status, param)
                if r is None:
                    return self.param_error(tmp, status)
                if r == "break":
                    in_loop_end = False
                    break
                status = r
            tmp += 1
        if in_loop_end and status not in _FOLDS:
            saved = status
        return self.param_end(tmp, saved, status, param)

    def param_char(self, c, tmp, status, param):
        """The letters of 'tag', '=', ',' and the other characters of a parameter."""
        if c == ",":
            if status == PARA_VALUE_QUOTED:
                return status
            if status in (S_PARA_VALUE, PARA_VALUE_TOKEN) and param.tag:
                return status          # allowed in a tag value, some agents use it
            self.log(495, "parse_to_param",
                     f"invalid character ',' in status {status}: [{self.seen(tmp)}]")
            return None
        if status in _FOLDS:
            return "break"
        lc = _lower(c)
        if c == "=":
            if status == PARA_VALUE_QUOTED:
                return status
            if status in (TAG3, PARA_NAME, TAG1, TAG2):
                if status == TAG3:
                    param.tag = True
                param.name_len = tmp - param.name_s
                return S_PARA_VALUE
            if status == S_EQUAL:
                return S_PARA_VALUE
            self.unexpected_p(441, tmp, status)
            return None
        if lc in ("t", "a", "g"):
            line = {"t": 349, "a": 382, "g": 415}[lc]
            if status in (PARA_VALUE_QUOTED, PARA_VALUE_TOKEN, PARA_NAME):
                return status
            if status == S_PARA_NAME:
                param.name_s = tmp
                return TAG1 if lc == "t" else PARA_NAME
            if status == S_PARA_VALUE:
                param.value_s = tmp
                return PARA_VALUE_TOKEN
            if status in (TAG1, TAG2, TAG3):
                nxt = {("a", TAG1): TAG2, ("g", TAG2): TAG3}
                return nxt.get((lc, status), PARA_NAME)
            self.unexpected_p(line, tmp, status)
            return None
        if status in (TAG1, TAG2, TAG3):
            return PARA_NAME
        if status in (PARA_VALUE_TOKEN, PARA_NAME, PARA_VALUE_QUOTED):
            return status
        if status == S_PARA_NAME:
            param.name_s = tmp
            return PARA_NAME
        if status == S_PARA_VALUE:
            param.value_s = tmp
            return PARA_VALUE_TOKEN
        self.log(524, "parse_to_param", f"spitting out [{c}] in status {status}")
        return None

    def param_end(self, tmp, saved, status, param):
        if saved in (TAG3, PARA_NAME, TAG1, TAG2, S_EQUAL):
            if saved == TAG3:
                param.tag = True
            if saved != S_EQUAL:
                param.name_len = tmp - param.name_s
            param.value_s, param.value_len = None, 0
            self.add_param(param)
            saved = E_PARA_VALUE
        elif saved == S_PARA_VALUE:
            back = 2 if status == F_CRLF else (1 if status in (F_CR, F_LF) else 0)
            param.value_s, param.value_len = tmp - back, 0
            self.add_param(param)
            saved = E_PARA_VALUE
        elif saved == PARA_VALUE_TOKEN:
            param.value_len = tmp - param.value_s
            self.add_param(param)
            saved = E_PARA_VALUE
        elif saved != E_PARA_VALUE:
            self.log(571, "parse_to_param",
                     f"unexpected end of header, status {saved}: [{self.seen(tmp)}] .")
            return self.param_error(tmp, status)
        return tmp, saved

    def param_error(self, tmp, status):
        self.failed = True
        return tmp, status

    # -- parse_addr_spec ---------------------------------------------------------------------
    def run(self) -> ToBody | None:
        """The parsed body, None when invalid (the messages are logged)."""
        buf, end = self.buf, self.end
        status = saved = START_TO
        foo = 0
        tmp = 0
        reached_end = True
        while tmp < end:
            c = buf[tmp]
            if c in " \t":
                if status in _FOLDS:
                    status = saved
                elif status == URI_ENCLOSED:
                    self.uri_len = tmp - self.uri_s
                    status = E_URI_ENCLOSED
                elif status == URI_OR_TOKEN:
                    foo, status = tmp, MAYBE_URI_END
                elif status == DISPLAY_TOKEN:
                    foo, status = tmp, DISPLAY_TOKEN_SP
            elif c in "\n\r":
                lf = c == "\n"
                fold = F_LF if lf else F_CR
                if status == URI_OR_TOKEN:
                    foo, status = tmp, MAYBE_URI_END
                if status in (MAYBE_URI_END, DISPLAY_TOKEN_SP, E_DISPLAY_QUOTED, END):
                    saved, status = status, fold
                elif status == DISPLAY_TOKEN:
                    foo, saved, status = tmp, DISPLAY_TOKEN_SP, fold
                elif lf and status == F_CR:
                    status = F_CRLF
                elif status in ((F_CRLF, F_LF) if lf else _FOLDS):
                    status = saved
                    reached_end = False
                    break
                else:
                    self.unexpected(653 if lf else 681, tmp, status)
                    return self.error()
            elif c == "\0":
                if status in (URI_OR_TOKEN, MAYBE_URI_END):
                    self.uri_len = tmp - self.uri_s
                if status in (URI_OR_TOKEN, MAYBE_URI_END, END):
                    saved = status = END
                    reached_end = False
                    break
                self.unexpected(695, tmp, status)
                return self.error()
            elif c == "\\":
                if status != DISPLAY_QUOTED:
                    self.unexpected(706, tmp, status)
                    return self.error()
                tmp += 1
            elif c == "<":
                if status == START_TO:
                    status = S_URI_ENCLOSED
                elif status == DISPLAY_QUOTED:
                    pass
                elif status == E_DISPLAY_QUOTED:
                    status = S_URI_ENCLOSED
                elif status in (URI_OR_TOKEN, DISPLAY_TOKEN):
                    self.disp_len = tmp - self.disp_s
                    status = S_URI_ENCLOSED
                elif status in (DISPLAY_TOKEN_SP, MAYBE_URI_END):
                    self.disp_len = foo - self.disp_s
                    status = S_URI_ENCLOSED
                elif status in _FOLDS:
                    reached_end = False
                    break
                else:
                    self.unexpected(738, tmp, status)
                    return self.error()
            elif c == ">":
                if status == DISPLAY_QUOTED:
                    pass
                elif status in (URI_ENCLOSED, E_URI_ENCLOSED):
                    if status == URI_ENCLOSED:
                        self.uri_len = tmp - self.uri_s
                    status, foo = END, 0
                elif status in _FOLDS:
                    reached_end = False
                    break
                else:
                    self.unexpected(759, tmp, status)
                    return self.error()
            elif c == '"':
                if status == START_TO:
                    self.disp_s = tmp
                    status = DISPLAY_QUOTED
                elif status == DISPLAY_QUOTED:
                    status = E_DISPLAY_QUOTED
                    self.disp_len = tmp - self.disp_s + 1
                elif status in _FOLDS:
                    reached_end = False
                    break
                else:
                    self.unexpected(781, tmp, status)
                    return self.error()
            elif c == ";":
                if status in (DISPLAY_QUOTED, URI_ENCLOSED):
                    pass
                elif status in (URI_OR_TOKEN, MAYBE_URI_END, END):
                    if status == URI_OR_TOKEN:
                        foo = tmp
                    if status != END:
                        self.uri_len = foo - self.uri_s
                    tmp, saved = self.to_param(tmp)
                    reached_end = False
                    break
                elif status in _FOLDS:
                    reached_end = False
                    break
                else:
                    self.unexpected(806, tmp, status)
                    return self.error()
            else:
                if status == START_TO:
                    self.uri_s = self.disp_s = tmp
                    status = URI_OR_TOKEN
                elif status == S_URI_ENCLOSED:
                    self.uri_s = tmp
                    status = URI_ENCLOSED
                elif status in (MAYBE_URI_END, DISPLAY_TOKEN_SP):
                    status = DISPLAY_TOKEN
                elif status in (DISPLAY_QUOTED, DISPLAY_TOKEN, URI_ENCLOSED, URI_OR_TOKEN):
                    pass
                elif status in _FOLDS:
                    reached_end = False
                    break
                else:
                    return self.error()             # only a debug message in Kamailio
            tmp += 1
        if reached_end and status in (URI_OR_TOKEN, MAYBE_URI_END, END):
            saved = status
            foo = tmp
        status = saved
        if status in (URI_OR_TOKEN, MAYBE_URI_END):
            self.uri_len = foo - self.uri_s
        elif status not in (END, E_PARA_VALUE):
            self.log(895, "parse_addr_spec",
                     f"invalid body -  unexpected end of header in state {status}")
            return self.error()
        if self.failed:
            return None
        return self.result()

    def error(self) -> None:
        self.failed = True
        return None

    def result(self) -> ToBody:
        to, buf = self.to, self.buf
        if self.uri_s is not None and self.uri_len is not None:
            to.uri = buf[self.uri_s:self.uri_s + self.uri_len]
        if self.disp_len:
            to.display = buf[self.disp_s:self.disp_s + self.disp_len]
        if to.tag is not None:
            s, n = to.tag
            to.tag = buf[s:s + n] if s is not None else ""
        if self.params:
            to.params_start = self.params[0].name_s
        to.params = [(buf[p.name_s:p.name_s + p.name_len],
                      None if p.value_s is None else buf[p.value_s:p.value_s + p.value_len])
                     for p in self.params]
        return to


def _c_signed(c: str) -> int:
    b = ord(c) & 0xFF
    return b - 256 if b >= 128 else b
