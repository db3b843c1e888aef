"""Kamailio's value rules in one place (script/values.py)."""
import pytest

from kamlite.script import values as V


@pytest.mark.parametrize("text,expected", [
    ("", 0), ("0", 0), ("42", 42), ("-3", -3), ("+3", 3), ("-", 0), ("+", 0),
    ("2147483647", 2147483647), ("-2147483648", -2147483648),
    ("2147483648", None), ("-2147483649", None), (" 5", None), ("5 ", None), ("7x", None),
    ("0x10", 16), ("0X1f", 31), ("0xffffffff", -1), ("0x", None), ("0xg", None), ("abc", None),
])
def test_str_to_int(text, expected):
    assert V.str_to_int(text) == expected


@pytest.mark.parametrize("a,b,q,r", [(7, 2, 3, 1), (-7, 2, -3, -1), (7, -2, -3, 1), (-7, -2, 3, -1)])
def test_c_division_truncates_toward_zero(a, b, q, r):
    assert V.c_div(a, b) == q and V.c_mod(a, b) == r


def test_wrap_and_shifts():
    assert V.wrap(2147483647 + 1) == -2147483648
    assert V.wrap(-2147483648 - 1) == 2147483647
    assert V.shl(1, 31) == -2147483648
    assert V.shl(1, 32) == 1            # the CPU masks the count
    assert V.shr(-16, 2) == -4


def test_printing():
    assert V.fmt_str(None) == "<null>" and V.to_str(None) == ""
    assert V.fmt_str(5) == "5" and V.to_str("x") == "x"
