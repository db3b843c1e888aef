"""textops: search and change the text of a SIP message (Kamailio's textops module).

    if (is_method("INVITE|BYE")) ...          if (search("^User-Agent:.*friendly")) ...
    append_hf("X-Hdr: $ci\\r\\n");             remove_hf("User-Agent");
    subst('/^From:(.*)@old.org/From:\\1@new.org/ig');  append_to_reply("Contact: $ru\\r\\n");

Regular expressions are POSIX EREs compiled at load time the way Kamailio's fixups do
(case-insensitive, newline-sensitive), and run on the received buffer.  Every change is
recorded as a lump on the message exactly where Kamailio anchors it (append_hf before the
empty line ending the headers, insert_hf before the first header, remove_hf deletes the
whole field, subst/replace delete the matched text and add the replacement after it):
the script keeps seeing the received message, and the changes show up only when the
request is sent on.  append_to_reply / set_reply_body add to the replies built from the
request.
"""
from __future__ import annotations

import re
import time

from .. import posixre
from .. import subst as SUBST
from ..log import L_CRIT, L_ERR, L_INFO
from ..script import pv as PV
from ..script import runtime as RT
from ..script import values as VAL
from ..sip.message import (HDR_CONTENTLENGTH, HDR_CONTENTTYPE, HDR_CSEQ, HDR_EOH_F, HDR_OTHER,
                           HDR_PRIVACY, HEADER_TYPES, METHOD_OTHER, METHODS, REQUEST, cstr)
from . import (BRANCH_ROUTE, FAILURE_ROUTE, ONREPLY_ROUTE, REQUEST_ROUTE, Arg,
               FixupError, Function, Module)

MOD = "textops"

# header name characters (Kamailio's _ksr_hname_chars_idx)
HNAME_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-._+~")


# ---- logging ------------------------------------------------------------------------------------
def mlog(ctx, level: int, line: int, func: str, text: str, module: str = MOD, cfile: str = "") -> None:
    """A module log line: 'textops [textops.c:LINE]: func(): text'."""
    log = ctx.log
    if level <= log.debug:
        log.write(level, f"{module} [{cfile or module + '.c'}:{line}]: {func}(): {text}\n")


def clog(ctx, level: int, where: str, func: str, text: str) -> None:
    """A core log line: '<core> [core/WHERE]: func(): text'."""
    log = ctx.log
    if level <= log.debug:
        log.write(level, f"<core> [core/{where}]: {func}(): {text}\n")


def _err(ctx, line: int, func: str, text: str) -> None:
    mlog(ctx, L_ERR, line, func, text)


# ---- regular expressions --------------------------------------------------------------------------
def _newline_brackets(pattern: str) -> str:
    """With REG_NEWLINE a non-matching list ([^...]) never matches a newline; Python's
    does: add the newline to every such list."""
    if "[^" not in pattern:
        return pattern
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c != "[":
            out.append(c)
            i += 1
            continue
        j = i + 1
        negated = j < n and pattern[j] == "^"
        if negated:
            j += 1
        if j < n and pattern[j] == "]":
            j += 1
        while j < n and pattern[j] != "]":
            if pattern[j] == "[" and j + 1 < n and pattern[j + 1] in ":.=":
                end = pattern.find(pattern[j + 1] + "]", j + 2)
                if end < 0:
                    j = n
                    break
                j = end + 2
                continue
            j += 1
        if j >= n:                       # unbalanced: let the compiler report it
            out.append(pattern[i:])
            break
        out.append(pattern[i:j] + ("\n" if negated else "") + "]")
        i = j + 1
    return "".join(out)


def compile_re(pattern: str, icase: bool = True, newline: bool = True):
    """regcomp(REG_EXTENDED [|REG_ICASE] [|REG_NEWLINE]); raises posixre.PosixRegexError."""
    if "\0" in pattern:
        pattern = cstr(pattern)
    return posixre.compile(_newline_brackets(pattern) if newline else pattern, icase=icase,
                           newline=newline)


def regexec(rx, text: str, pos: int = 0, bol: bool = True):
    """regexec() on the C string that starts at text[pos] (it ends at the first NUL).
    With bol=False (REG_NOTBOL) '^' does not match at pos.  The match object's offsets
    are offsets in text (groups included)."""
    if bol and pos:
        m = rx.search(text[pos:])
        return _Shifted(m, pos) if m else None
    return rx.search(text, pos)


class _Shifted:
    """A match found in text[pos:], with offsets in text."""
    __slots__ = ("m", "pos")

    def __init__(self, m, pos):
        self.m = m
        self.pos = pos

    def start(self, g=0):
        s = self.m.start(g)
        return s + self.pos if s >= 0 else -1

    def end(self, g=0):
        e = self.m.end(g)
        return e + self.pos if e >= 0 else -1

    def group(self, g=0):
        return self.m.group(g)


def _re_fixup(index: int, icase: bool = True, newline: bool = True):
    """A fixup compiling the constant regex in parameter `index` (fixup_regexp_*)."""
    def fixup(program, node, args):
        args = list(args)
        try:
            args[index] = compile_re(args[index], icase, newline)
        except posixre.PosixRegexError as e:
            raise FixupError(f"bad regular expression \"{args[index]}\": {e}", arg=index) from None
        return args
    return fixup


def _chain(*fixups):
    def fixup(program, node, args):
        for f in fixups:
            args = f(program, node, args)
        return args
    return fixup


# ---- subst expressions ----------------------------------------------------------------------------
def parse_subst(program, text: str):
    """subst_parser(): '/re/replacement/flags' with $pv specs in the replacement."""
    def parse_pv(t, i):
        try:
            _pvt, end = PV.parse(t, i)
            return program.pv_spec(t[i:end]), end
        except (PV.PVSyntaxError, LookupError) as e:
            raise SUBST.SubstError(f"bad specifier in replace part {t}: {e}") from None
    try:
        se = SUBST.parse(text, parse_pv)
    except SUBST.SubstError as e:
        raise FixupError(f"bad subst. re {text}: {e}") from None
    newline = bool(se.regex.flags & re.MULTILINE)       # no 's' flag
    if newline and "[^" in text:            # REG_NEWLINE lists: recompile with the fix
        src = text[1:SUBST._find_sep(text, 1, text[0])]
        try:
            se.regex = compile_re(src, bool(se.regex.flags & re.IGNORECASE), True)
        except posixre.PosixRegexError as e:
            raise FixupError(f"bad subst. re {text}: {e}") from None
    return se


def _subst_fixup(index: int):
    def fixup(program, node, args):
        args = list(args)
        args[index] = parse_subst(program, args[index])
        return args
    return fixup


def subst_run(ctx, se, text: str, msg, uri=None):
    """Kamailio's subst_run(): [(offset, size, replacement)] of the matches in text (the
    first one, or all with the g flag); [] when nothing matches; None on error (logged).
    `uri` is what \\u gives when it is not the request URI as it is."""
    out = []
    pos = 0
    bol = True
    rx = se.regex
    while True:
        m = regexec(rx, text, pos, bol)
        if m is None:
            return out
        s, e = m.start(), m.end()
        if s == e:
            clog(ctx, L_ERR, "re.c:446", "subst_run", "Matched string is empty, invalid regexp?")
            return None
        out.append((s, e - s, _replacement(ctx, se, m, msg, uri)))
        pos = e
        bol = text[e - 1] in "\n\r"
        if not se.replace_all:
            return out


def _replacement(ctx, se, m, msg, uri=None) -> str:
    out = []
    for p in se.parts:
        if p.__class__ is str:
            out.append(p)
        elif p.__class__ is int:
            try:
                g = m.group(p)
            except IndexError:
                g = None
            if g:
                out.append(g)
        elif p[0] == "uri":
            if msg.type != REQUEST:
                clog(ctx, L_CRIT, "re.c:373", "replace_build", "uri substitution on a reply")
                continue
            out.append(uri if uri is not None else (msg.ruri or ""))
        else:
            try:
                out.append(VAL.fmt_str(p[1].get(ctx)))
            except RT.PVFail:
                clog(ctx, L_ERR, "re.c:382", "replace_build", "item substitution returned error")
    return "".join(out)


def subst_str(ctx, se, text: str, msg, uri=None):
    """subst_str(): (new text or None when nothing matched, error flag)."""
    lst = subst_run(ctx, se, text, msg, uri)
    if not lst:
        return None, lst is None
    out = []
    cur = 0
    for off, size, rpl in lst:
        out.append(text[cur:off])
        out.append(rpl)
        cur = off + size
    out.append(text[cur:])
    return "".join(out), False


# ---- header names (hname_fixup) -------------------------------------------------------------------
class HName:
    """A header name parameter: a well-known type, or a name compared case-insensitively."""
    __slots__ = ("type", "name")

    def __init__(self, htype: int, name: str):
        self.type = htype
        self.name = name

    def matches(self, h) -> bool:
        if self.type != HDR_OTHER:
            return h.type == self.type
        return h.type == HDR_OTHER and len(h.name) == len(self.name) and _ascii_lower(h.name) == _ascii_lower(self.name)

    def __repr__(self):
        return f"HName({self.type}, {self.name!r})"


def parse_hname(text: str):
    """parse_hname2_short() on 'text:' - an HName, or None when Kamailio refuses it."""
    if not text:
        return None
    buf = text + ":"
    if buf[0] not in HNAME_CHARS:
        return None
    i = 1
    while buf[i] in HNAME_CHARS:
        i += 1
    name = buf[:i]
    while buf[i] != ":":
        if buf[i] not in " \t":
            return None
        i += 1
    return HName(HEADER_TYPES.get(name.lower(), HDR_OTHER), text)


def hname_fixup(index: int):
    def fixup(program, node, args):
        args = list(args)
        text = args[index]
        if text == "":
            raise FixupError("empty header name parameter", arg=index)
        hn = parse_hname(text)
        if hn is None:
            raise FixupError(f"error parsing header name \"{text}\"", arg=index)
        args[index] = hn
        return args
    return fixup


def _parse_all(ctx, msg, line: int, func: str, text: str = "error while parsing message headers") -> bool:
    if msg.parse_headers(HDR_EOH_F):
        return True
    _err(ctx, line, func, text)
    return False


# ---- searching --------------------------------------------------------------------------------------
def _headers_start(msg) -> int:
    """get_header(): the buffer after the first line."""
    return msg.fline_end


def _text(msg) -> str:
    """The message as the C string regexec sees (up to the first NUL)."""
    return cstr(msg.buf)


def _body_span(ctx, msg, line: int, func: str):
    """get_body() and the rest of the buffer: (start, text) or None (zero length or
    error, logged as Kamailio does)."""
    start = _get_body(ctx, msg)
    if start is None:
        _err(ctx, line, func, "failed to get the message body")
        return None
    if start >= len(msg.buf):
        return None                          # LM_DBG: message body has zero length
    return start


def _get_body(ctx, msg):
    """Core get_body(): the offset of the body, or None (logged)."""
    if not msg.parse_headers(HDR_EOH_F):
        clog(ctx, L_ERR, "parser/msg_parser.c:1384", "get_body", "failed to parse to end of headers")
        return None
    buf = msg.buf
    eoh = msg.eoh if msg.eoh is not None else len(buf)
    if buf.startswith("\r\n", eoh):
        return eoh + 2
    if eoh < len(buf) and buf[eoh] in "\r\n":
        return eoh + 1
    rest = buf[eoh:] if eoh < len(buf) else ""
    clog(ctx, L_ERR, "parser/msg_parser.c:1401", "get_body",
         f"failed to locate end of headers (0x0 0x0 - {len(buf)} {eoh} [{cstr(rest)}])")
    return None


def search(ctx, rx) -> int:
    msg = ctx.msg
    return 1 if rx.search(_text(msg)) else -1


def search_body(ctx, rx) -> int:
    msg = ctx.msg
    start = _body_span(ctx, msg, 442, "search_body_helper_f")
    if start is None:
        return -1
    return 1 if regexec(rx, _text(msg), start) else -1


def search_hf(ctx, hn, rx, flags) -> int:
    msg = ctx.msg
    if not _parse_all(ctx, msg, 4748, "search_hf_helper_f"):
        return -1
    flag = flags[:1]
    last = None
    for h in msg.headers:
        if not hn.matches(h):
            continue
        if flag != "l":
            if rx.search(cstr(h.body)):
                return 1
            if flag == "f":
                return -1
        else:
            last = h
    if last is not None and rx.search(cstr(last.body)):
        return 1
    return -1


def search_append(ctx, rx, value) -> int:
    msg = ctx.msg
    text = _text(msg)
    m = regexec(rx, text, _headers_start(msg))
    if m is None:
        return -1
    msg.add_lump(m.end(), after=value)
    return 1


def search_append_body(ctx, rx, value) -> int:
    msg = ctx.msg
    start = _body_span(ctx, msg, 526, "search_append_body_helper")
    if start is None:
        return -1
    m = regexec(rx, _text(msg), start)
    if m is None:
        return -1
    msg.add_lump(m.end(), after=value)
    return 1


def search_str(ctx, text, regex) -> int:
    text, regex = text(ctx), regex(ctx)
    if not regex:
        return 2
    if not text:
        return -2
    try:
        rx = compile_re(regex)
    except posixre.PosixRegexError:
        _err(ctx, 4986, "ki_search_str", f"failed to compile regex: {regex}")
        return -2
    return 1 if rx.search(cstr(text)) else -1


# ---- replacing --------------------------------------------------------------------------------------
def _replace_at(ctx, msg, rx, value, start: int) -> int:
    m = regexec(rx, _text(msg), start)
    if m is None:
        return -1
    msg.add_lump(m.start(), m.end() - m.start(), after=value)
    return 1


def replace(ctx, rx, value) -> int:
    msg = ctx.msg
    return _replace_at(ctx, msg, rx, value, _headers_start(msg))


def replace_body(ctx, rx, value) -> int:
    msg = ctx.msg
    start = _body_span(ctx, msg, 1128, "replace_body_helper")
    if start is None:
        return -1
    return _replace_at(ctx, msg, rx, value, start)


def replace_hdrs(ctx, rx, value) -> int:
    msg = ctx.msg
    if not msg.parse_headers(HDR_EOH_F):
        _err(ctx, 1243, "replace_hdrs_helper", "failed to parse to end of headers")
        return -1
    start = _headers_start(msg)
    end = msg.eoh if msg.eoh is not None else len(msg.buf)
    if end <= start:
        return -1
    m = regexec(rx, cstr(msg.buf[:end]), start)
    if m is None:
        return -1
    msg.add_lump(m.start(), m.end() - m.start(), after=value)
    return 1


def _replace_all(ctx, msg, rx, value, start: int, line: int, func: str, nobol: bool) -> int:
    text = _text(msg)
    pos = start
    bol = True
    ret = -1
    while pos < len(msg.buf):
        m = regexec(rx, text, pos, bol)
        if m is None:
            break
        s, e = m.start(), m.end()
        if s == e:
            _err(ctx, line, func, "matched string is empty... invalid regexp?")
            return -1
        msg.add_lump(s, e - s, after=value)
        pos = e
        bol = nobol and text[e - 1] in "\n\r"
        ret = 1
    return ret


def replace_all(ctx, rx, value) -> int:
    msg = ctx.msg
    return _replace_all(ctx, msg, rx, value, _headers_start(msg), 604, "replace_all_helper", True)


def replace_body_all(ctx, rx, value) -> int:
    msg = ctx.msg
    start = _body_span(ctx, msg, 677, "replace_body_all_helper")
    if start is None:
        return -1
    return _replace_all(ctx, msg, rx, value, start, 698, "replace_body_all_helper", True)


def replace_body_atonce(ctx, rx, value) -> int:
    msg = ctx.msg
    start = _body_span(ctx, msg, 677, "replace_body_all_helper")
    if start is None:
        return -1
    return _replace_all(ctx, msg, rx, value, start, 698, "replace_body_all_helper", False)


def _replace_str(ctx, msg, start: int, end: int, key: str, value: str, mode: str) -> int:
    if end <= start or not key:
        return 1
    first = not mode or mode[0] in "fF"
    buf = msg.buf
    pos = start
    while True:
        # textops_strfind: the key must fit in what is left of the region
        i = buf.find(key, pos, end)
        if i < 0:
            return 1
        msg.add_lump(i, len(key), after=value)
        if first:
            return 1
        pos = i + len(key)
        end = len(buf)


def replace_str(ctx, key, value, mode) -> int:
    msg = ctx.msg
    return _replace_str(ctx, msg, _headers_start(msg), len(msg.buf), key(ctx), value(ctx), mode(ctx))


def replace_body_str(ctx, key, value, mode) -> int:
    msg = ctx.msg
    start = _body_span(ctx, msg, 1197, "ki_replace_body_str")
    if start is None:
        return -1
    return _replace_str(ctx, msg, start, len(msg.buf), key(ctx), value(ctx), mode(ctx))


def replace_hdrs_str(ctx, key, value, mode) -> int:
    msg = ctx.msg
    if not msg.parse_headers(HDR_EOH_F):
        _err(ctx, 1318, "ki_replace_hdrs_str", "failed to parse to end of headers")
        return -1
    start = _headers_start(msg)
    end = msg.eoh if msg.eoh is not None else len(msg.buf)
    if end <= start:
        return -1
    return _replace_str(ctx, msg, start, end, key(ctx), value(ctx), mode(ctx))


# ---- subst ------------------------------------------------------------------------------------------
def _subst_lumps(ctx, msg, se, start: int, text: str, line: int, func: str, prefix: str) -> int:
    lst = subst_run(ctx, se, text, msg)
    if not lst:
        if lst is None:
            _err(ctx, line, func, f"{prefix}subst_run failed")
        return -1
    for off, size, rpl in lst:
        msg.add_lump(start + off, size, after=rpl)
    return 1


def subst(ctx, se) -> int:
    msg = ctx.msg
    start = _headers_start(msg)
    return _subst_lumps(ctx, msg, se, start, cstr(msg.buf[start:]), 1403, "subst_helper_f", "textops: ")


def subst_body(ctx, se) -> int:
    msg = ctx.msg
    start = _body_span(ctx, msg, 1521, "subst_body_helper_f")
    if start is None:
        return -1
    return _subst_lumps(ctx, msg, se, start, cstr(msg.buf[start:]), 1565, "subst_body_helper_f", "textops ")


def subst_uri(ctx, se) -> int:
    msg = ctx.msg
    if msg.type != REQUEST:
        return -1
    result, _ = subst_str(ctx, se, cstr(msg.ruri or ""), msg)
    if result is None:
        return -1
    msg.set_ruri(result)
    return 1


def subst_user(ctx, se) -> int:
    msg = ctx.msg
    if msg.type != REQUEST:
        return -1
    u = msg.parsed_ruri()
    if u is None:
        return -1
    uri = None
    if u.user:
        # Kamailio ends the user with a NUL written into the URI itself while it runs
        # the expression: a \\u in the replacement sees the URI cut there
        ruri = msg.ruri
        i = ruri.find(":") + 1
        if ruri.startswith(u.user, i) and i + len(u.user) < len(ruri):
            j = i + len(u.user)
            uri = ruri[:j] + "\0" + ruri[j + 1:]
    result, error = subst_str(ctx, se, cstr(u.user or ""), msg, uri)
    if result is None:
        if error:
            _err(ctx, 1486, "subst_user_helper_f", "subst_user(): subst_str() failed")
        return -1
    return set_ruri_user(ctx, msg, cstr(result))


_URI_TYPES = {"sip": 1, "sips": 2, "tel": 3, "tels": 4, "urn": 5}


def set_ruri_user(ctx, msg, user: str) -> int:
    """The core action SET_USER_T (setuser): rebuild the request URI with a new user."""
    u = msg.parsed_ruri()
    if u is None:
        clog(ctx, L_ERR, "action.c:788", "do_action", f"bad uri <{msg.ruri}>, dropping packet")
        return -1
    t = u.type
    if t == "sips":
        scheme = "sips"
    elif t == "tel":                    # a tel URI, or a sip(s) one with user=phone
        if u.flags & 2:
            scheme = "sips" if u.scheme == "sips" else "sip"
        else:
            scheme = "tels" if u.scheme == "tels" else "tel"
    else:
        if t != "sip":
            clog(ctx, L_ERR, "action.c:866", "do_action", f"Unsupported URI scheme ({_URI_TYPES.get(t, 0)}), "
                 "reverted to sip:")
        scheme = "sip"
    out = [scheme, ":"]
    has_user = bool(user)
    if has_user:
        out.append(user)
        if u.passwd is not None:
            out.append(":" + u.passwd)
    if t == "tel" and u.params is not None:
        out.append(";" + u.params)
    if t in ("sip", "sips") or u.flags & 2:
        if has_user:
            out.append("@")
        out.append(u.host or "")
    if u.port is not None:
        out.append(":" + u.port)
    if u.sip_params is not None:
        out.append(";" + u.sip_params)
    if u.headers is not None:
        out.append("?" + u.headers)
    msg.set_ruri("".join(out))
    return 1


def subst_hf(ctx, hn, se, flags) -> int:
    msg = ctx.msg
    if not _parse_all(ctx, msg, 4835, "subst_hf_helper_f"):
        return -1
    flag = flags[:1]
    ret = -1
    last = None
    failed = False                      # the last subst_run failed (Kamailio's nmatches < 0)
    for h in msg.headers:
        if not hn.matches(h):
            continue
        if flag != "l":
            start = _body_offset(msg, h)
            lst = subst_run(ctx, se, cstr(h.body), msg)
            failed = lst is None
            if not lst and flag == "f":
                break
            if lst:
                ret = 1
                for off, size, rpl in lst:
                    msg.add_lump(start + off, size, after=rpl)
        else:
            last = h
        if flag == "f":
            return ret
    else:
        if last is not None:
            start = _body_offset(msg, last)
            lst = subst_run(ctx, se, cstr(last.body), msg)
            failed = lst is None
            if lst:
                for off, size, rpl in lst:
                    msg.add_lump(start + off, size, after=rpl)
                return 1
    if failed:
        _err(ctx, 4940, "subst_hf_helper_f", "textops subst_run failed")
    return ret


def _body_offset(msg, h) -> int:
    """Offset of a header's body in the buffer."""
    buf = msg.buf
    colon = buf.find(":", h.start + len(h.name), h.end)
    i = buf.find(h.body, colon + 1, h.end) if h.body else colon + 1
    return i if i >= 0 else colon + 1


# ---- adding and removing headers ----------------------------------------------------------------------
def _add_hf(ctx, msg, text: str, hn, insert: bool) -> int:
    if not msg.parse_headers(HDR_EOH_F) or not msg.headers:
        _err(ctx, 3685, "add_hf_helper", "error while parsing message")
        return -1
    anchor = None
    if hn is not None:
        for h in msg.headers:
            if hn.matches(h):
                anchor = h
                if insert:
                    break
    if insert:
        pos = (anchor or msg.headers[0]).start
    elif anchor is None:
        pos = msg.eoh if msg.eoh is not None else len(msg.buf)
    else:
        pos = anchor.end
    if not text:
        mlog(ctx, L_INFO, 3750, "add_hf_helper", "nothing to add")
        return -1
    msg.add_lump(pos, before=text)
    return 1


def append_hf(ctx, fmt, hn=None) -> int:
    return _add_hf(ctx, ctx.msg, fmt(ctx), hn, False)


def insert_hf(ctx, fmt, hn=None) -> int:
    return _add_hf(ctx, ctx.msg, fmt(ctx), hn, True)


def append_urihf(ctx, prefix, suffix) -> int:
    msg = ctx.msg
    uri = msg.first_uri if msg.type == REQUEST else (msg.first_uri or "")
    return _add_hf(ctx, msg, prefix + (uri or "") + suffix, None, False)


def _remove(msg, pred) -> int:
    cnt = 0
    for h in msg.headers:
        if pred(h):
            msg.add_lump(h.start, h.end - h.start)
            cnt += 1
    return 1 if cnt else -1


def remove_hf(ctx, hn) -> int:
    msg = ctx.msg
    if not _parse_all(ctx, msg, 1797, "remove_hf_f"):
        return -1
    return _remove(msg, hn.matches)


def remove_hf_re(ctx, rx) -> int:
    msg = ctx.msg
    if not _parse_all(ctx, msg, 1916, "remove_hf_re"):
        return -1
    return _remove(msg, lambda h: rx.search(cstr(h.name)) is not None)


def remove_hf_exp(ctx, mrx, srx) -> int:
    msg = ctx.msg
    if not _parse_all(ctx, msg, 1975, "remove_hf_exp"):
        return -1
    return _remove(msg, lambda h: srx.search(cstr(h.name)) is None and mrx.search(cstr(h.name)) is not None)


def _runtime_hname(ctx, name: str):
    """ki_hname_gparam() for names known only at run time."""
    if not name:
        _err(ctx, 2106, "ki_hname_gparam", "invalid header name")
        return None
    if len(name) > 252:
        _err(ctx, 2111, "ki_hname_gparam", f"header name too long: {len(name)} ({name[:32]}...)")
        return None
    hn = parse_hname(name)
    if hn is None:
        hname_error(ctx, name + ":")
        _err(ctx, 2125, "ki_hname_gparam", f"error parsing header name: {name}")
    return hn


def hname_error(ctx, buf: str) -> None:
    """What the core's parse_sip_header_name() logs for a name it refuses."""
    if not buf or buf[0] not in HNAME_CHARS:
        clog(ctx, L_ERR, "parser/parse_hname2.c:238", "parse_sip_header_name",
             f"invalid start of header name for [{buf}]")
        return
    i = 1
    while i < len(buf) and buf[i] in HNAME_CHARS:
        i += 1
    while i < len(buf) and buf[i] != ":":
        if buf[i] not in " \t":
            clog(ctx, L_ERR, "parser/parse_hname2.c:270", "parse_sip_header_name",
                 f"invalid header name for [{buf}]")
            return
        i += 1
    clog(ctx, L_ERR, "parser/parse_hname2.c:281", "parse_sip_header_name",
         f"invalid end of header name for [{buf}]")


def _runtime_re(ctx, text: str, line: int, func: str):
    try:
        return compile_re(text)
    except posixre.PosixRegexError:
        _err(ctx, line, func, f"failed to compile regex: {text}")
        return None


def is_present_hf(ctx, hn) -> int:
    msg = ctx.msg
    if not _parse_all(ctx, msg, 2042, "is_present_hf_helper_f"):
        return -1
    return 1 if any(hn.matches(h) for h in msg.headers) else -1


def is_present_hf_re(ctx, rx) -> int:
    msg = ctx.msg
    if not _parse_all(ctx, msg, 2074, "is_present_hf_re_helper"):
        return -1
    return 1 if any(rx.search(cstr(h.name)) for h in msg.headers) else -1


def is_present_hf_pv(ctx, fmt) -> int:
    name = fmt(ctx)
    if not name:
        return -1
    hn = _runtime_hname(ctx, name)
    return -1 if hn is None else is_present_hf(ctx, hn)


def is_present_hf_re_pv(ctx, fmt) -> int:
    rx = _runtime_re(ctx, fmt(ctx), 2173, "ki_is_present_hf_re")
    return -1 if rx is None else is_present_hf_re(ctx, rx)


def remove_hf_pv(ctx, fmt) -> int:
    """sr_kemi_hdr_remove(): removes every header with that name; 1 even when none."""
    msg = ctx.msg
    name = fmt(ctx)
    if len(name) > 252:
        clog(ctx, L_ERR, "kemi.c:2315", "sr_kemi_hdr_remove", f"header name too long: {len(name)}")
        return -1
    hn = parse_hname(name)
    if hn is None:
        hname_error(ctx, name + ":")
        clog(ctx, L_ERR, "kemi.c:2324", "sr_kemi_hdr_remove", f"error parsing header name [{name}]")
        return -1
    if not msg.parse_headers(HDR_EOH_F):
        clog(ctx, L_ERR, "kemi.c:2329", "sr_kemi_hdr_remove", "error while parsing message")
        return -1
    for h in msg.headers:
        if hn.type != HDR_OTHER:
            if h.type != hn.type:
                continue
        elif len(h.name) != len(name) or _ascii_lower(h.name) != _ascii_lower(name):
            continue
        msg.add_lump(h.start, h.end - h.start)
    return 1


def remove_hf_re_pv(ctx, fmt) -> int:
    rx = _runtime_re(ctx, fmt(ctx), 1952, "ki_remove_hf_re")
    return -1 if rx is None else remove_hf_re(ctx, rx)


def remove_hf_exp_pv(ctx, fmatch, fskip) -> int:
    m, s = fmatch(ctx), fskip(ctx)
    mrx = _runtime_re(ctx, m, 2019, "ki_remove_hf_exp")
    if mrx is None:
        return -1
    srx = _runtime_re(ctx, s, 2023, "ki_remove_hf_exp")
    if srx is None:
        return -1
    return remove_hf_exp(ctx, mrx, srx)


def _name_matches(hfm_type: int, name: str, h) -> bool:
    if hfm_type != HDR_OTHER:
        return h.type == hfm_type
    return len(h.name) == len(name) and _ascii_lower(h.name) == _ascii_lower(name)


def _hname2_str(name: str):
    """parse_hname2_str(): the type of a header name (no ':' needed), None on error."""
    if not name or name[0] not in HNAME_CHARS:
        return None
    i = 1
    while i < len(name) and name[i] in HNAME_CHARS:
        i += 1
    return HEADER_TYPES.get(name[:i].lower(), HDR_OTHER)


def remove_hf_idx(ctx, fname, idx_of) -> int:
    msg = ctx.msg
    name = fname(ctx)
    idx = idx_of(ctx)
    if not msg.parse_headers(HDR_EOH_F):
        _err(ctx, 1835, "ki_remove_hf_idx", "error parsing headers")
        return -1
    t = _hname2_str(name)
    if t is None:
        _err(ctx, 1841, "ki_remove_hf_idx", f"failed to parse header name [{name}]")
        return -1
    found = [h for h in msg.headers if _name_matches(t, name, h)]
    pos = idx if idx >= 0 else len(found) + idx
    if idx < 0 and pos < 0:
        return 1
    if pos >= len(found):
        return 2
    h = found[pos]
    msg.add_lump(h.start, h.end - h.start)
    return 1


def remove_hf_match(ctx, fname, fop, fexpr) -> int:
    msg = ctx.msg
    name, op, expr = fname(ctx), fop(ctx), fexpr(ctx)
    if not msg.parse_headers(HDR_EOH_F):
        _err(ctx, 2252, "ki_remove_hf_match", "error parsing headers")
        return -1
    t = _hname2_str(name)
    if t is None:
        _err(ctx, 2258, "ki_remove_hf_match", f"failed to parse header name [{name}]")
        return -1
    lop = op.lower() if len(op) == 2 else ""
    rx = None
    if lop == "re":
        try:
            rx = compile_re(expr)
        except posixre.PosixRegexError:
            _err(ctx, 2274, "ki_remove_hf_match", f"failed to compile regex: [{expr}]")
            return -1
    elif lop not in ("eq", "ne", "in"):
        _err(ctx, 2279, "ki_remove_hf_match", f"unknown operator [{op}]")
        return -1
    ret = -2
    for h in msg.headers:
        if not _name_matches(t, name, h):
            continue
        body = h.body
        if lop == "eq":
            hit = body == expr
        elif lop == "ne":
            hit = body != expr
        elif lop == "in":
            hit = bool(expr) and expr in body
        else:
            hit = rx.search(cstr(body)) is not None
        if hit:
            msg.add_lump(h.start, h.end - h.start)
            ret = 1
    return ret


# ---- replies --------------------------------------------------------------------------------------------
def add_reply_lump(ctx, msg, kind: str, text: str) -> bool:
    """add_lump_rpl(): refuses an empty lump and a second body, as Kamailio does."""
    if not text:
        clog(ctx, L_ERR, "data_lump_rpl.c:51", "add_lump_rpl2", "I won't add an empty lump!")
        return False
    if kind == "body" and msg.reply_lumps and any(k == "body" for k, _ in msg.reply_lumps):
        clog(ctx, L_ERR, "data_lump_rpl.c:83", "add_lump_rpl2", "LUMP_RPL_BODY already added!")
        return False
    msg.add_reply_lump(kind, text)
    return True


def append_to_reply(ctx, fmt) -> int:
    msg = ctx.msg
    if not add_reply_lump(ctx, msg, "hdr", fmt(ctx)):
        _err(ctx, 3665, "append_to_reply_f", "unable to add lump_rl")
        return -1
    return 1


def _body_and_type(ctx, fbody, fctype, func: str, lines: tuple):
    """The body and content-type arguments, or None after Kamailio's error (logged at
    lines[0] for the body, lines[1] for the content-type)."""
    body, ctype = fbody(ctx), fctype(ctx)
    if not body:
        _err(ctx, lines[0], func, "invalid body parameter")
        return None
    if not ctype:
        _err(ctx, lines[1], func, "invalid content-type parameter")
        return None
    return body, ctype


def set_reply_body(ctx, fbody, fctype) -> int:
    msg = ctx.msg
    args = _body_and_type(ctx, fbody, fctype, "ki_set_rpl_body", (2647, 2653))
    if args is None:
        return -1
    body, ctype = args
    add_reply_lump(ctx, msg, "hdr", f"Content-Type: {ctype}\r\n")
    if not add_reply_lump(ctx, msg, "body", body):
        _err(ctx, 2679, "ki_set_rpl_body", "cannot add body lump")
        return -1
    return 1


_TIME_FORMAT = "Date: %a, %d %b %Y %H:%M:%S GMT"


def _date_header() -> str:
    return time.strftime(_TIME_FORMAT, time.gmtime()) + "\r\n"


def append_time(ctx) -> int:
    if not add_reply_lump(ctx, ctx.msg, "hdr", _date_header()):
        _err(ctx, 2413, "append_time_f", "unable to add lump")
        return -1
    return 1


def append_time_to_request(ctx) -> int:
    msg = ctx.msg
    msg.parse_headers(HDR_EOH_F)
    if not msg.headers:
        return -1
    h = msg.headers[0]
    msg.add_lump(h.end, after=_date_header())
    return 1


# ---- the body -------------------------------------------------------------------------------------------
def set_body(ctx, fbody, fctype) -> int:
    msg = ctx.msg
    args = _body_and_type(ctx, fbody, fctype, "ki_set_body", (2479, 2485))
    if args is None:
        return -1
    body, ctype = args
    bstart = _get_body(ctx, msg)
    if bstart is None:
        _err(ctx, 2493, "ki_set_body", "malformed sip message")
        return -1
    eoh = msg.eoh if msg.eoh is not None else len(msg.buf)
    if msg.lumps:                          # del_nonshm_lump(&msg->body_lumps)
        msg.lumps = [l for l in msg.lumps if l[0] <= eoh]
    cl = msg.first(HDR_CONTENTLENGTH)
    if cl is not None:
        length = cl.parsed
        if length > 0:
            if bstart + length > len(msg.buf):
                _err(ctx, 2507, "ki_set_body", f"invalid content length: {length}")
                return -1
            msg.add_lump(bstart, length)
    anchor = msg.unparsed
    before = ""
    if cl is None:
        before += f"Content-Length: {len(body)}\r\n"
    ct = msg.first(HDR_CONTENTTYPE)
    if ct is None or ct.body != ctype:
        if ct is not None:
            msg.add_lump(ct.start, ct.end - ct.start)
        before_ct = f"Content-Type: {ctype}\r\n"
    else:
        before_ct = ""
    # both headers go after one anchor at the end of the headers: Content-Type first
    # (inserted after the anchor, each new one right after it)
    text = before_ct + before
    if text:
        msg.add_lump(anchor, after=text)
    msg.add_lump(bstart, after=body)
    return 1


# ---- methods, bodies, privacy ---------------------------------------------------------------------------
_TOKEN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~")
# parse_method_advance(): per first letter, the names tried in order
_ADVANCE = {
    "a": ("ACK",), "b": ("BYE",), "c": ("CANCEL",), "i": ("INFO", "INVITE"), "m": ("MESSAGE",),
    "n": ("NOTIFY",), "o": ("OPTIONS",), "p": ("PRACK", "PUBLISH", "POST", "PUT"),
    "r": ("REFER", "REGISTER"), "s": ("SUBSCRIBE",), "u": ("UPDATE",), "d": ("DELETE",),
    "g": ("GET",), "k": ("KDMQ",),
}


def parse_methods(text: str):
    """Core parse_methods(): the method bits of a comma separated list, None when invalid."""
    s = text.lstrip(" \t\r\n")
    bits = 0
    if not s:
        return 0
    while True:
        found = None
        for name in _ADVANCE.get(s[0].lower(), ()):
            if len(s) >= len(name) and s[:len(name)].upper() == name:
                found = name
                break
        if found is not None:
            rest = s[len(found):]
            if rest and rest[0] in _TOKEN:
                return None                    # "Invalid method"
            bits |= METHODS[found]
            s = rest
        elif s[0] in _TOKEN:
            i = 1
            while i < len(s) and s[i] in _TOKEN:
                i += 1
            bits |= METHOD_OTHER
            s = s[i:]
        else:
            return None
        s = s.lstrip(" \t\r\n")
        if not s:
            break
        if s[0] != ",":
            return None                        # "Comma expected"
        s = s[1:].lstrip(" \t\r\n")
        if not s:
            break                              # "Method expected", but accepted
    return bits


def _fixup_method(program, node, args):
    text = args[0]
    if text == "":
        raise FixupError("empty method name", arg=0)
    listed = "|" in text
    names = text.replace("|", ",")
    bits = parse_methods(names)
    if bits is None:
        raise FixupError(f"bad method names \"{text}\"", arg=0)
    if listed:
        if bits == 0 or bits & METHOD_OTHER:
            raise FixupError(f"unknown method in list [{names}/{bits}] - must be only defined methods", arg=0)
        return [(bits, None)]
    if bits != 0 and bits != METHOD_OTHER:
        return [(bits, None)]
    return [(0, names)]


def is_method(ctx, spec) -> int:
    msg = ctx.msg
    bits, name = spec
    if msg.type == REQUEST:
        if name is None:
            return 1 if msg.method_value & bits else -1
        return 1 if (msg.method_value == METHOD_OTHER and _ascii_lower(msg.method) == _ascii_lower(name)) else -1
    cs = msg.first(HDR_CSEQ)
    if cs is None:
        _err(ctx, 3821, "is_method_f", "cannot parse cseq header")
        return -1
    c = cs.parsed
    if name is None:
        return 1 if c.method_value & bits else -1
    return 1 if (c.method_value == METHOD_OTHER and _ascii_lower(c.method) == _ascii_lower(name)) else -1


# MIME types (parse_content.c): only these words are known, anything else is "unknown"
TYPE_TEXT, TYPE_MESSAGE, TYPE_APPLICATION, TYPE_MULTIPART, TYPE_ALL, TYPE_UNKNOWN = 1, 2, 3, 4, 0xFE, 0xFF
_TYPES = {"text": 1, "message": 2, "application": 3, "multipart": 4}
_SUBTYPES = {"plain": 1, "cpim": 2, "sdp": 3, "cpl+xml": 4, "pidf+xml": 5, "rlmi+xml": 6,
             "related": 7, "lpidf+xml": 8, "xpidf+xml": 9, "watcherinfo+xml": 10,
             "external-body": 11, "xml+msrtc.pidf": 12, "cpim-pidf+xml": 13, "mixed": 14,
             "isup": 15}
SUBTYPE_ALL = 0xFE
MIME_SDP = (TYPE_APPLICATION << 16) | 3
MIME_MULTIPART_MIXED = (TYPE_MULTIPART << 16) | 14
_MIME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-+._!%*'`~")


def _mime_lws(s: str, p: int) -> int:
    n = len(s)
    while p < n and (s[p] in " \t" or (s[p] == "\n" and p + 1 < n and s[p + 1] in " \t")):
        p += 1
    return p


def decode_mime_type(s: str, p: int = 0):
    """Core decode_mime_type(): (mime, end offset), or (None, offset of the error) and
    (None, -1) for a '*/subtype' mime."""
    n = len(s)
    p = _mime_lws(s, p)
    if p >= n:
        return None, p
    if s[p] == "*":
        mime = TYPE_ALL << 16
        p += 1
    else:
        mark = p
        while p < n and s[p] in _MIME_CHARS:
            p += 1
        if p == n or p == mark:
            return None, p
        mime = _TYPES.get(s[mark:p].lower(), TYPE_UNKNOWN) << 16
    p = _mime_lws(s, p)
    if p >= n or s[p] != "/":
        return None, p + 1 if p < n else p
    p = _mime_lws(s, p + 1)
    if p >= n:
        return None, p
    if s[p] == "*":
        mime |= SUBTYPE_ALL
        p += 1
    else:
        mark = p
        while p < n and s[p] in _MIME_CHARS:
            p += 1
        if p == mark:
            return None, p
        mime |= _SUBTYPES.get(s[mark:p].lower(), 0xFF)
    p = _mime_lws(s, p)
    if p < n and s[p] == ";":
        p += 1
        while p < n and s[p] != ",":
            p += 1
    if p != n and s[p] != ",":
        return None, p
    if mime >> 16 == TYPE_ALL and mime & 0xFF != SUBTYPE_ALL:
        return None, -1
    return mime, p


def content_type(ctx, msg):
    """parse_content_type_hdr(): the body's MIME type, 0 without Content-Type, -1 on error."""
    h = msg.first(HDR_CONTENTTYPE)
    if h is None:
        return -1 if msg.parse_failed else 0
    body = h.body
    mime, p = decode_mime_type(body)
    if mime is None:
        if p < 0:
            clog(ctx, L_ERR, "parser/parse_content.c:393", "decode_mime_type",
                 f"invalid mime format found  <*/submime> in [{body}]!!")
        else:
            at = _body_offset(msg, h) + p
            c = msg.buf[at] if at < len(msg.buf) else "\0"
            code = ord(c) - 256 if ord(c) >= 128 else ord(c)
            clog(ctx, L_ERR, "parser/parse_content.c:400", "decode_mime_type",
                 f"parse error near in [{body}] char[{code}][{cstr(c)}] offset={p}")
        return -1
    if p != len(body):
        clog(ctx, L_ERR, "parser/parse_content.c:439", "parse_content_type_hdr",
             "Content-Type hdr contains more then one mime type!")
        return -1
    if mime & 0xFF == SUBTYPE_ALL or mime >> 16 == TYPE_ALL:
        clog(ctx, L_ERR, "parser/parse_content.c:443", "parse_content_type_hdr",
             "invalid mime with wildcard '*' in Content-Type hdr!")
        return -1
    return mime


def _fixup_body_type(program, node, args):
    text = args[0]
    if not text:
        return [0]
    mime, end = decode_mime_type(text)
    if mime is None:
        raise FixupError(f"unsupported mime <{text}>", arg=0)
    if end != len(text):
        raise FixupError("multiple mimes not supported!", arg=0)
    return [mime]


def has_body(ctx, mtype=0) -> int:
    msg = ctx.msg
    cl = msg.first(HDR_CONTENTLENGTH)
    if cl is None or cl.parsed == 0:
        return -1
    if mtype == 0:
        return 1
    mime = content_type(ctx, msg)
    if mime < 0:
        _err(ctx, 4136, "has_body_helper", "failed to extract content type hdr")
        return -1
    if mime == 0:
        mime = MIME_SDP
    return 1 if mime == mtype else -1


def parse_priv_value(s: str, i: int = 0):
    """Core parse_priv_value(): (value, length) of the privacy value at s[i], None."""
    rest = s[i:]
    n = len(rest)
    low = rest[:8].lower()
    c = low[:1]
    if c == "c":
        if n < 8 or low[:8] != "critical":
            return None
        value, length = 16, 8
    elif c == "h":
        if n < 6:
            return None
        if low[:6] == "header":
            value, length = 2, 6
        elif n < 7 or low[:7] != "history":
            return None
        else:
            value, length = 64, 7
    elif c == "i":
        if n < 2 or low[1] != "d":
            return None
        value, length = 32, 2
    elif c == "n":
        if n < 4 or low[:4] != "none":
            return None
        value, length = 8, 4
    elif c == "s":
        if n < 7 or low[:7] != "session":
            return None
        value, length = 4, 7
    elif c == "u":
        if n < 4 or low[:4] != "user":
            return None
        value, length = 1, 4
    else:
        return None
    if length < n and rest[length] not in "\0; \t\r\n":
        return None
    return value, length


def _fixup_privacy(program, node, args):
    text = args[0]
    if not text:
        raise FixupError("empty privacy value", arg=0)
    r = parse_priv_value(text)
    if r is None or r[1] != len(text):
        raise FixupError(f"invalid privacy value \"{text}\"", arg=0)
    return [r[0]]


def parse_privacy(ctx, msg):
    """parse_privacy(): the bits of the first Privacy header, None when absent or bad."""
    h = msg.first(HDR_PRIVACY)
    if h is None:
        return None
    s = h.body.lstrip(" \t\r\n")
    if not s:
        clog(ctx, L_ERR, "parser/parse_privacy.c:174", "parse_privacy", "no values")
        return None
    values = 0
    p = 0
    n = len(s)
    while p < n:
        r = parse_priv_value(s, p)
        if r is None:
            clog(ctx, L_ERR, "parser/parse_privacy.c:189", "parse_privacy", "invalid privacy value")
            return None
        values |= r[0]
        p += r[1]
        while p < n and s[p] in " \t\r\n":
            p += 1
        if p >= n:
            break
        if s[p] == ";":
            p += 1
            while p < n and s[p] in " \t\r\n":
                p += 1
            if p >= n:
                clog(ctx, L_ERR, "parser/parse_privacy.c:205", "parse_privacy", "no privacy value after comma")
                return None
        else:
            clog(ctx, L_ERR, "parser/parse_privacy.c:209", "parse_privacy", "semicolon expected")
            return None
    if values & 8 and values ^ 8:
        clog(ctx, L_ERR, "parser/parse_privacy.c:215", "parse_privacy",
             "no other privacy values allowed with 'none'")
        return None
    return values


def is_privacy(ctx, value) -> int:
    v = parse_privacy(ctx, ctx.msg)
    if v is None:
        return -1
    return 1 if v & value else -1


# ---- strings --------------------------------------------------------------------------------------------
_WS = " \t\r\n"


def _list_items(lst: str, sep: str):
    """The elements of a separated list, trimmed, the way in_list() walks it."""
    at = 0
    past = len(lst)
    while at < past and lst[at] in _WS:
        at += 1
    while at < past:
        nxt = lst.find(sep, at)
        if nxt < 0:
            end = past
            while at < end and lst[end - 1] in _WS:
                end -= 1
            yield lst[at:end], True
            return
        end = nxt
        while at < end and lst[end - 1] in _WS:
            end -= 1
        yield lst[at:end], False
        at = nxt + 1
        while at < past and lst[at] in _WS:
            at += 1


def in_list(ctx, fsubject, flist, sep) -> int:
    subject = fsubject(ctx)
    if not subject:
        _err(ctx, 4289, "in_list_f", "subject cannot be empty string")
        return -1
    lst = flist(ctx)
    if not lst:
        return -1
    for item, last in _list_items(lst, sep):
        if item == subject:
            return 1
        if last:
            return -1
    return -1


def in_list_prefix(ctx, fsubject, flist, sep) -> int:
    subject = fsubject(ctx)
    if not subject:
        _err(ctx, 4395, "in_list_prefix_f", "subject cannot be empty string")
        return -1
    lst = flist(ctx)
    if not lst:
        return -1
    for item, last in _list_items(lst, sep):
        if item and len(item) <= len(subject) and subject.startswith(item):
            return 1
        if last:
            return -1
    return -1


def _fixup_sep(program, node, args):
    if len(args[2]) != 1:
        raise FixupError("invalid separator parameter", arg=2)
    return args


def _c_cmp(a: str, b: str, icase: bool) -> int:
    """cmp_str() / cmpi_str(): 0 equal, <0 or >0."""
    if not a and not b:
        return 0
    if not a:
        return -1
    if not b:
        return 1
    n = min(len(a), len(b))
    x, y = cstr(a[:n]), cstr(b[:n])
    if icase:
        x, y = _ascii_lower(x), _ascii_lower(y)
    if x != y:
        return -1 if x < y else 1
    if len(x) < n or len(y) < n:           # strncmp stopped at a NUL
        return 0 if len(x) == len(y) else (-1 if len(x) < len(y) else 1)
    if len(a) == len(b):
        return 0
    return -1 if len(a) < len(b) else 1


def _ascii_lower(s: str) -> str:
    return s.translate(_LOWER)


_LOWER = {c: c + 32 for c in range(65, 91)}


def _cmp_result(r: int) -> int:
    return 1 if r == 0 else (-1 if r > 0 else -2)


def cmp_str(ctx, f1, f2) -> int:
    return _cmp_result(_c_cmp(f1(ctx), f2(ctx), False))


def cmp_istr(ctx, f1, f2) -> int:
    return _cmp_result(_c_cmp(f1(ctx), f2(ctx), True))


def _strncmp(a: str, b: str) -> int:
    a, b = cstr(a), cstr(b)
    return 0 if a == b else (-1 if a < b else 1)


def starts_with(ctx, f1, f2) -> int:
    s1, s2 = f1(ctx), f2(ctx)
    if len(s1) < len(s2):
        return -1
    return _cmp_result(_strncmp(s1[:len(s2)], s2))


def ends_with(ctx, f1, f2) -> int:
    s1, s2 = f1(ctx), f2(ctx)
    if len(s2) > len(s1):
        return -1
    return _cmp_result(_strncmp(s1[len(s1) - len(s2):], s2))


def str_find(ctx, f1, f2) -> int:
    txt, needle = f1(ctx), f2(ctx)
    if len(needle) > len(txt):
        return -1
    i = txt.find(needle)
    return -1 if i < 0 else i + 1


def str_ifind(ctx, f1, f2) -> int:
    txt, needle = f1(ctx), f2(ctx)
    if len(needle) > len(txt):
        return -1
    i = _ascii_lower(txt).find(_ascii_lower(needle))
    return -1 if i < 0 else i + 1


# ---- exports ------------------------------------------------------------------------------------------
_RR = REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE


_RE1 = _re_fixup(0)

MODULE = Module(
    name=MOD,
    functions={
        "search": Function(search, (Arg.STR,), _RE1),
        "search_body": Function(search_body, (Arg.STR,), _RE1),
        "search_hf": Function(search_hf, (Arg.STR, Arg.STR, Arg.STR), _chain(hname_fixup(0), _re_fixup(1))),
        "search_append": Function(search_append, (Arg.STR, Arg.STR), _RE1),
        "search_append_body": Function(search_append_body, (Arg.STR, Arg.STR), _RE1),
        "search_str": Function(search_str, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "replace": Function(replace, (Arg.STR, Arg.STR), _RE1),
        "replace_body": Function(replace_body, (Arg.STR, Arg.STR), _RE1),
        "replace_hdrs": Function(replace_hdrs, (Arg.STR, Arg.STR), _RE1),
        "replace_all": Function(replace_all, (Arg.STR, Arg.STR), _RE1),
        "replace_body_all": Function(replace_body_all, (Arg.STR, Arg.STR), _RE1),
        "replace_body_atonce": Function(replace_body_atonce, (Arg.STR, Arg.STR), _re_fixup(0, newline=False)),
        "replace_str": Function(replace_str, (Arg.FMT, Arg.FMT, Arg.FMT), dynamic=(0, 1, 2)),
        "replace_body_str": Function(replace_body_str, (Arg.FMT, Arg.FMT, Arg.FMT), dynamic=(0, 1, 2)),
        "replace_hdrs_str": Function(replace_hdrs_str, (Arg.FMT, Arg.FMT, Arg.FMT), dynamic=(0, 1, 2)),
        "subst": Function(subst, (Arg.STR,), _subst_fixup(0)),
        "subst_uri": Function(subst_uri, (Arg.STR,), _subst_fixup(0),
                        route_types=REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE),
        "subst_user": Function(subst_user, (Arg.STR,), _subst_fixup(0),
                         route_types=REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE),
        "subst_body": Function(subst_body, (Arg.STR,), _subst_fixup(0)),
        "subst_hf": Function(subst_hf, (Arg.STR, Arg.STR, Arg.STR), _chain(hname_fixup(0), _subst_fixup(1))),
        "append_to_reply": Function(append_to_reply, (Arg.FMT,), dynamic=(0,), route_types=_RR),
        "append_hf": [Function(append_hf, (Arg.FMT,)),
                      Function(append_hf, (Arg.FMT, Arg.STR), hname_fixup(1))],
        "insert_hf": [Function(insert_hf, (Arg.FMT,)),
                      Function(insert_hf, (Arg.FMT, Arg.STR), hname_fixup(1))],
        "append_urihf": Function(append_urihf, (Arg.STR, Arg.STR), route_types=_RR),
        "remove_hf": Function(remove_hf, (Arg.STR,), hname_fixup(0)),
        "remove_hf_idx": Function(remove_hf_idx, (Arg.FMT, Arg.INTPV), dynamic=(0,)),
        "remove_hf_re": Function(remove_hf_re, (Arg.STR,), _RE1),
        "remove_hf_exp": Function(remove_hf_exp, (Arg.STR, Arg.STR), _chain(_re_fixup(0), _re_fixup(1))),
        "remove_hf_pv": Function(remove_hf_pv, (Arg.FMT,), dynamic=(0,)),
        "remove_hf_re_pv": Function(remove_hf_re_pv, (Arg.FMT,), dynamic=(0,)),
        "remove_hf_exp_pv": Function(remove_hf_exp_pv, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "remove_hf_match": Function(remove_hf_match, (Arg.FMT, Arg.FMT, Arg.FMT), dynamic=(0, 1, 2)),
        "is_present_hf": Function(is_present_hf, (Arg.STR,), hname_fixup(0)),
        "is_present_hf_re": Function(is_present_hf_re, (Arg.STR,), _RE1),
        "is_present_hf_pv": Function(is_present_hf_pv, (Arg.FMT,), dynamic=(0,)),
        "is_present_hf_re_pv": Function(is_present_hf_re_pv, (Arg.FMT,), dynamic=(0,)),
        "append_time": Function(append_time, route_types=_RR),
        "append_time_to_request": Function(append_time_to_request),
        "set_body": Function(set_body, (Arg.FMT, Arg.FMT), dynamic=(0, 1), route_types=_RR | ONREPLY_ROUTE),
        "set_reply_body": Function(set_reply_body, (Arg.FMT, Arg.FMT), dynamic=(0, 1), route_types=_RR),
        "is_method": Function(is_method, (Arg.STR,), _fixup_method),
        "has_body": [Function(has_body), Function(has_body, (Arg.STR,), _fixup_body_type)],
        "is_privacy": Function(is_privacy, (Arg.STR,), _fixup_privacy),
        "in_list": Function(in_list, (Arg.FMT, Arg.FMT, Arg.STR), _fixup_sep, dynamic=(0, 1)),
        "in_list_prefix": Function(in_list_prefix, (Arg.FMT, Arg.FMT, Arg.STR), _fixup_sep, dynamic=(0, 1)),
        "cmp_str": Function(cmp_str, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "cmp_istr": Function(cmp_istr, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "starts_with": Function(starts_with, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "ends_with": Function(ends_with, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "str_find": Function(str_find, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
        "str_ifind": Function(str_ifind, (Arg.FMT, Arg.FMT), dynamic=(0, 1)),
    },
    doc="search and change the text of SIP messages",
)
