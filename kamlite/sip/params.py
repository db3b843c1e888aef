"""Kamailio's parameter-list parser (parse_params2): 'a=1;b="x y";c' as used in SIP header
and URI parameters, and in module parameter strings such as mqueue's "name=q1;size=10".
"""
from __future__ import annotations


class ParamError(ValueError):
    pass


_END = " \t\r\n,="


def parse_params(text: str, separator: str = ";") -> list[tuple[str, str | None]]:
    """[(name, body or None)] in the order written; ParamError as Kamailio's errors."""
    out = []
    s = text
    i = 0
    n = len(s)
    if n == 0:
        return out
    while True:
        start = i
        while i < n and s[i] not in _END and s[i] != separator:
            i += 1
        name = s[start:i]
        i = _skip_ws(s, i)
        if i >= n:
            out.append((name, None))
            return out
        body = None
        if s[i] == "=":
            i = _skip_ws(s, i + 1)
            if i >= n:
                out.append((name, ""))
                return out
            if s[i] in "\"'":
                q = s[i]
                end = s.find(q, i + 1)
                if end < 0:
                    raise ParamError("Error while parsing quoted string")
                body = s[i + 1:end]
                i = end + 1
            else:
                bstart = i
                while i < n and s[i] not in " \t\r\n," and s[i] != separator:
                    i += 1
                if i == bstart:
                    raise ParamError("Error while parsing token")
                body = s[bstart:i]
            i = _skip_ws(s, i)
            if i >= n:
                out.append((name, body))
                return out
        out.append((name, body))
        if s[i] in ",>":
            return out
        if s[i] != separator:
            raise ParamError(f"Invalid character '{s[i]}' - expected '{separator}'")
        i = _skip_ws(s, i + 1)
        if i >= n:
            raise ParamError(f"Param name missing after {separator}")


def _skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in " \t\r\n":
        i += 1
    return i
