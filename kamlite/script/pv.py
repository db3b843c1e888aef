"""Pseudo-variable syntax: $name, $name(inner), $(name(inner)[index]{transformations}).

Parsing follows Kamailio's pv_parse_spec2 so that the same texts are accepted and
refused.  The result is a PVText (the pieces); script.resolve turns it into a spec object
from the loaded modules.  Format strings ("text $var(x) $$") are split here once, at
load time.
"""
from __future__ import annotations

import dataclasses


class PVSyntaxError(ValueError):
    pass


def _valid(c: str) -> bool:
    return ("0" <= c <= "9") or ("a" <= c <= "z") or ("A" <= c <= "Z") or c in "_.?"


@dataclasses.dataclass(frozen=True)
class PVText:
    text: str                      # the whole spec as written
    name: str                      # class name: "var", "rU", "avp"
    inner: str | None = None       # the (inner name)
    index: str | None = None       # the [index] text
    trans: str | None = None       # the {transformations} text, braces included
    marker: bool = False           # "$$": a literal dollar


def _scan_balanced(text: str, i: int, open_c: str, close_c: str) -> int:
    """Offset of the close_c that balances an already consumed open_c."""
    n = 0
    while i < len(text):
        c = text[i]
        if c == close_c:
            if n == 0:
                return i
            n -= 1
        elif c == open_c:
            n += 1
        i += 1
    return -1


def parse(text: str, start: int = 0) -> tuple[PVText, int]:
    """Parse the PV that starts at text[start] == '$'; returns (PVText, end offset)."""
    if start >= len(text) or text[start] != "$":
        raise PVSyntaxError("bad parameters")
    p = start + 1
    full = False                                   # $( ... ) form
    if p < len(text) and text[p] == "(":
        p += 1
        full = True
    if p < len(text) and text[p] == "$":           # $$ or $($)
        p += 1
        if full:
            if p >= len(text) or text[p] != ")":
                raise PVSyntaxError(f"wrong char in [{text[start:]}]")
            p += 1
        return PVText(text[start:p], "$", marker=True), p
    name_start = p
    while p < len(text) and _valid(text[p]):
        p += 1
    name = text[name_start:p]
    inner = index = trans = None
    at_end = p >= len(text)
    c = "" if at_end else text[p]
    if full:
        if c == ")":
            return _done(text, start, p + 1, name, None, None, None)
        if c not in "([{":
            raise PVSyntaxError(f"invalid char '{c}' in [{text[start:]}]")
    else:
        if c != "(":
            return _done(text, start, p, name, None, None, None)
    # (inner name)
    if c == "(":
        close = _scan_balanced(text, p + 1, "(", ")")
        if close < 0:
            raise PVSyntaxError(f"unterminated '(' in [{text[start:]}]")
        inner = text[p + 1:close]
        if inner == "":
            raise PVSyntaxError(f'pvar "{name}" does not get empty name param')
        p = close + 1
        if not full:
            return _done(text, start, p, name, inner, None, None)
        c = text[p] if p < len(text) else ""
        if c == ")":
            return _done(text, start, p + 1, name, inner, None, None)
        if c not in "[{":
            raise PVSyntaxError(f"invalid char '{c}' in [{text[start:]}]")
    if c == "[":
        close = _scan_balanced(text, p + 1, "[", "]")
        if close < 0:
            raise PVSyntaxError(f"unterminated '[' in [{text[start:]}]")
        index = text[p + 1:close]
        if index == "":
            raise PVSyntaxError(f'pvar "{name}" does not get empty index param')
        p = close + 1
        c = text[p] if p < len(text) else ""
        if c == ")":
            return _done(text, start, p + 1, name, inner, index, None)
        if c != "{":
            raise PVSyntaxError(f"invalid char '{c}' in [{text[start:]}]")
    # {transformations}, possibly several, separated by blanks
    tstart = p
    n = 0
    p += 1
    while p < len(text):
        ch = text[p]
        if ch == "}":
            if n == 0:
                q = p + 1
                while q < len(text) and text[q] in " \t":
                    q += 1
                if q < len(text) and text[q] == "{":
                    p = q + 1
                    continue
                break
            n -= 1
        elif ch == "{":
            n += 1
        p += 1
    if p >= len(text):
        raise PVSyntaxError(f"unterminated transformation in [{text[start:]}]")
    trans = text[tstart:p + 1]
    p += 1
    if p >= len(text) or text[p] != ")":
        raise PVSyntaxError(f"bad pvar name \"{text[start:]}\"")
    return _done(text, start, p + 1, name, inner, index, trans)


def _done(text, start, end, name, inner, index, trans):
    return PVText(text[start:end], name, inner, index, trans), end


def split_transformations(trans: str) -> list[str]:
    """'{s.len}{s.select,1,;}' -> ['s.len', 's.select,1,;'] (blanks between are allowed)."""
    out = []
    i = 0
    while i < len(trans):
        if trans[i] in " \t":
            i += 1
            continue
        if trans[i] != "{":
            raise PVSyntaxError(f"bad transformation {trans!r}")
        close = _scan_balanced(trans, i + 1, "{", "}")
        if close < 0:
            raise PVSyntaxError(f"unterminated transformation {trans!r}")
        out.append(trans[i + 1:close])
        i = close + 1
    return out


# ---- format strings ----------------------------------------------------------------------------
def parse_format(fmt: str) -> list:
    """Split a format string into literal str pieces and PVText items (pv_parse_format)."""
    parts: list = []
    lit: list[str] = []
    i = 0
    n = len(fmt)
    while i < n:
        j = fmt.find("$", i)
        if j < 0:
            lit.append(fmt[i:])
            break
        lit.append(fmt[i:j])
        pv, end = parse(fmt, j)
        if pv.marker:
            lit.append("$")
        else:
            if lit:
                s = "".join(lit)
                if s:
                    parts.append(s)
                lit = []
            parts.append(pv)
        i = end
    s = "".join(lit)
    if s:
        parts.append(s)
    return parts


# ---- resolved pseudo-variables ---------------------------------------------------------------
class PVSpec:
    """A pseudo-variable resolved at load time.

    get(ctx) returns an int, a str or None (null/undefined) and raises runtime.PVFail when
    Kamailio's get would fail; set(ctx, value) assigns (None means $null).  `inline`, when
    set, is a Python expression template for the compiler ({ctx} is the run context).
    `vtype` is what get() can return: 'i' int, 's' str, 'v' int or str, 'a' any (None too).
    """
    writable = False
    can_fail = False
    set_can_fail = False                    # set() may return a negative number (failed)
    vtype = "a"
    inline: str | None = None
    inline_set: str | None = None           # template with {ctx} and {value}

    def __init__(self, text: str = ""):
        self.text = text

    def get(self, ctx):
        return None

    def set(self, ctx, value) -> None:
        raise NotImplementedError(f"{self.text} is read-only")

    def __repr__(self):
        return f"<pv {self.text}>"


class SimplePV(PVSpec):
    """A PV from plain get/set functions (a PseudoVar export without a name)."""

    def __init__(self, text, getter, setter=None, vtype="a", can_fail=False):
        super().__init__(text)
        self._get = getter
        self._set = setter
        self.writable = self.set_can_fail = setter is not None
        self.vtype = vtype
        self.can_fail = can_fail

    def get(self, ctx):
        return self._get(ctx)

    def set(self, ctx, value):
        return self._set(ctx, value)


class TransformedPV(PVSpec):
    """A PV read through transformations ({s.len}{s.int} ...); read-only."""
    can_fail = True

    def __init__(self, text, base: PVSpec, steps: list):
        super().__init__(text)
        self.base = base
        self.steps = steps           # callables (ctx, value) -> value, raising PVFail

    def get(self, ctx):
        v = self.base.get(ctx)
        for step in self.steps:
            v = step(ctx, v)
        return v
