"""Kamailio's sed-like substitution expressions: "/regex/replacement/flags".

Used by #!subst / #!substdef in the preprocessor and by functions such as textops' subst().
The first character is the separator; flags are i (ignore case), g (all matches) and
s (let '.' match newlines).  The replacement understands \\0-\\9, \\n \\r \\t \\\\ \\$, \\u
(the request URI) and, where a pseudo-variable parser is given, $pv specs.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from . import posixre


class SubstError(ValueError):
    pass


# replacement parts: str (literal), int (group number), ("uri",) or ("pv", spec)
Part = object


@dataclasses.dataclass
class SubstExpr:
    source: str
    regex: object
    parts: list
    replace_all: bool

    def apply(self, value: str, pv_value: Callable | None = None, uri: str = "") -> str | None:
        """The substituted text, or None when the regex does not match (Kamailio: no change)."""
        count = 0

        def build(m):
            nonlocal count
            count += 1
            out = []
            for p in self.parts:
                if p.__class__ is str:
                    out.append(p)
                elif p.__class__ is int:
                    out.append(m.group(p) or "" if p <= (self.regex.groups or 0) else "")
                elif p[0] == "uri":
                    out.append(uri)
                else:
                    out.append(pv_value(p[1]) if pv_value else "")
            return "".join(out)

        result = self.regex.sub(build, value, count=0 if self.replace_all else 1)
        return result if count else None


def _find_sep(text: str, start: int, sep: str) -> int:
    i = start
    while i < len(text):
        if text[i] == sep and text[i - 1] != "\\":
            return i
        i += 1
    return -1


def parse(text: str, parse_pv: Callable[[str, int], tuple[object, int]] | None = None) -> SubstExpr:
    if len(text) < 3:
        raise SubstError(f"expression is too short: {text}")
    sep = text[0]
    if sep == "\\":
        raise SubstError(f"invalid separator char <{sep}> in {text}")
    re_end = _find_sep(text, 1, sep)
    if re_end < 0:
        raise SubstError(f"no separator found: {text}")
    pattern = text[1:re_end]
    parts: list = []
    lit: list[str] = []
    i = re_end + 1
    n = len(text)
    found = False
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            d = text[i + 1]
            special = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", "$": "$"}
            if d in special:
                lit.append(special[d])
            elif d.isdigit():
                if lit:
                    parts.append("".join(lit))
                    lit = []
                parts.append(int(d))
            elif d == "u":
                if lit:
                    parts.append("".join(lit))
                    lit = []
                parts.append(("uri",))
            else:
                lit.append(d)
            i += 2
            continue
        if c == "$":
            if parse_pv is None:
                raise SubstError(f"pseudo-variables are not supported in this replacement: {text}")
            spec, end = parse_pv(text, i)
            if lit:
                parts.append("".join(lit))
                lit = []
            parts.append(("pv", spec))
            i = end
            continue
        if c == sep:
            found = True
            break
        lit.append(c)
        i += 1
    if not found:
        raise SubstError(f"missing separator: {text}")
    if lit:
        parts.append("".join(lit))
    icase, newline = False, True     # REG_NEWLINE unless the s flag is given
    replace_all = False
    for f in text[i + 1:]:
        if f == "i":
            icase = True
        elif f == "s":
            newline = False
        elif f == "g":
            replace_all = True
        else:
            raise SubstError(f"unknown flag {f} in {text}")
    try:
        regex = posixre.compile(pattern, icase=icase, newline=newline)
    except posixre.PosixRegexError as e:
        raise SubstError(f"bad regular expression {pattern} in {text}: {e}") from None
    return SubstExpr(text, regex, parts, replace_all)
