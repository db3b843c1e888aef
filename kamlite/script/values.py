"""Kamailio's values: 32-bit ints, strings and 'undefined' (None), and their conversions.

Compiled routes inline the common cases (int arithmetic, known types) and call these
functions for the rest, so the rules live in one place.
"""
from __future__ import annotations

INT_MIN = -2147483648
INT_MAX = 2147483647


def wrap(v: int) -> int:
    """Two's complement 32-bit wrap, as C int arithmetic does on Kamailio's platforms."""
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v & 0x80000000 else v


def str2sint(s: str) -> int | None:
    """Kamailio's str2sint: optional sign, decimal digits, no overflow; None on failure."""
    i = 0
    neg = False
    if s and s[0] in "+-":
        neg = s[0] == "-"
        i = 1
    r = 0
    for c in s[i:]:
        if not ("0" <= c <= "9"):
            return None
        r = r * 10 + (ord(c) - 48)
    if neg:
        r = -r
        if r < INT_MIN:
            return None
    elif r > INT_MAX:
        return None
    return r


def str_to_int(s: str) -> int | None:
    """String -> int as rval_get_int does it; None when the conversion fails (value 0)."""
    if not s:
        return 0
    v = str2sint(s)
    if v is not None:
        return v
    if len(s) > 2 and s[0] == "0" and s[1] in "xX":
        r = 0
        for c in s[2:]:
            d = "0123456789abcdef".find(c.lower())
            if d < 0:
                return None
            r = ((r << 4) + d) & 0xFFFFFFFF
        return wrap(r)
    return None


def int_to_str(v: int) -> str:
    return str(v)


def to_str(v) -> str:
    """Value as a string; undefined is the empty string."""
    if v.__class__ is str:
        return v
    if v is None:
        return ""
    return str(v)


def fmt_str(v) -> str:
    """Value as printed inside a format string (xlog ...): undefined prints <null>."""
    if v.__class__ is str:
        return v
    if v is None:
        return "<null>"
    return str(v)


def c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def c_mod(a: int, b: int) -> int:
    """C remainder (sign of the dividend)."""
    return a - c_div(a, b) * b


def shl(a: int, b: int) -> int:
    return wrap(a << (b & 31))


def shr(a: int, b: int) -> int:
    return a >> (b & 31)
