"""POSIX extended regular expressions (what Kamailio compiles with regcomp) in Python's re.

Kamailio uses regcomp(REG_EXTENDED [| REG_ICASE] [| REG_NEWLINE]) for `=~`, switch regex
cases and `s/re/repl/flags` substitutions.  Python's syntax is close; the differences that
matter in configs are bracket classes ([[:digit:]]), characters that Python treats as
escapes or groups but POSIX does not, and GNU word-boundary escapes.
"""
from __future__ import annotations

import functools
import re

_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r" \t\n\r\f\v", "blank": r" \t", "punct": r"!-/:-@\[-`{-~", "xdigit": "0-9A-Fa-f",
    "cntrl": r"\x00-\x1f\x7f", "print": r" -~", "graph": r"!-~", "word": r"a-zA-Z0-9_",
}


class PosixRegexError(ValueError):
    pass


def _bracket(pattern: str, i: int) -> tuple[str, int]:
    """Translate a bracket expression starting at pattern[i] == '['; returns (python, next i)."""
    j = i + 1
    out = ["["]
    if j < len(pattern) and pattern[j] == "^":
        out.append("^")
        j += 1
    first = True
    while j < len(pattern):
        c = pattern[j]
        if c == "]" and not first:
            out.append("]")
            return "".join(out), j + 1
        first = False
        if c == "[" and j + 1 < len(pattern) and pattern[j + 1] in ":.=":
            kind = pattern[j + 1]
            end = pattern.find(kind + "]", j + 2)
            if end < 0:
                raise PosixRegexError("unterminated bracket class")
            name = pattern[j + 2:end]
            if kind == ":":
                if name not in _CLASSES:
                    raise PosixRegexError(f"unknown character class [:{name}:]")
                out.append(_CLASSES[name])
            else:
                out.append(re.escape(name))
            j = end + 2
            continue
        if c in "\\[&~|":   # literal inside POSIX brackets; special (or reserved) in Python
            out.append("\\" + c)
        else:
            out.append(c)
        j += 1
    raise PosixRegexError("brackets ([ ]) not balanced")


@functools.lru_cache(maxsize=1024)
def translate(pattern: str, newline: bool = False) -> str:
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "[":
            part, i = _bracket(pattern, i)
            out.append(part)
            continue
        if c == "\\":
            if i + 1 >= n:
                raise PosixRegexError("trailing backslash")
            d = pattern[i + 1]
            if d == "<" or d == ">":
                out.append(r"\b")
            elif d in "wWsSbB`'":
                out.append({"`": r"\A", "'": r"\Z"}.get(d, "\\" + d))
            elif d.isdigit():
                out.append("\\" + d)     # back-reference (glibc accepts it in ERE)
            elif d.isalnum():
                out.append(d)            # \d, \n ... are plain letters for regcomp
            else:
                out.append(re.escape(d))
            i += 2
            continue
        if c == "(" and pattern.startswith("(?", i):
            out.append("(\\?")           # '?' after '(' is an error in ERE; keep it literal-ish
            i += 2
            continue
        if c == "{" and not re.match(r"\{\d+(,\d*)?\}", pattern[i:]):
            out.append("\\{")
            i += 1
            continue
        if c == "$" and not newline:
            out.append(r"\Z")            # POSIX '$' never matches before a final newline
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def compile(pattern: str, icase: bool = False, newline: bool = False) -> re.Pattern:
    """Compile like regcomp(REG_EXTENDED | (icase and REG_ICASE) | (newline and REG_NEWLINE))."""
    flags = 0 if newline else re.DOTALL
    if newline:
        flags |= re.MULTILINE
    if icase:
        flags |= re.IGNORECASE
    try:
        return re.compile(translate(pattern, newline), flags)
    except re.error as e:
        raise PosixRegexError(str(e)) from None
