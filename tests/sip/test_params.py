"""kamlite.sip.params: Kamailio's core parse_params2() (CLASS_ANY).

The cases are those the param.* transformations and mqueue's/rtimer's module parameters
exercise (tests/test_transformations.py, tests/oracle/cases/05_pv.txt, 10_mqueue.txt),
whose results and messages were checked against Kamailio 5.6.3.
"""
import pytest

from kamlite.log import L_DBG, L_WARN, Log
from kamlite.sip.params import ParamError, parse_params, scan_params


@pytest.mark.parametrize("text,expected", [
    ("", []),
    ("a", [("a", None)]),
    ("a=1", [("a", "1")]),
    ("a=1;b;c=3;a=4", [("a", "1"), ("b", None), ("c", "3"), ("a", "4")]),
    ('a="1;2";b=x', [("a", "1;2"), ("b", "x")]),
    ("a='x y';b", [("a", "x y"), ("b", None)]),
    ('a="";b', [("a", ""), ("b", None)]),
    ("a = 1 ; b", [("a", "1"), ("b", None)]),
    ("name = q1 ;size = 2", [("name", "q1"), ("size", "2")]),
    ("a=", [("a", "")]),                        # a missing value at the end is empty
    ("a= \t", [("a", "")]),
    ("a ", [("a", None)]),
    ("a=1, b=2", [("a", "1")]),                 # ',' ends the list
    ("name=q1,size=2", [("name", "q1")]),
    ("a,b", [("a", None)]),
    ("a=1>rest", [("a", "1>rest")]),            # '>' inside a token belongs to it
    ("a>rest", [("a>rest", None)]),
    ("a=1 >rest", [("a", "1")]),                # ... but ends the list after a parameter
    ("a=1;b >x", [("a", "1"), ("b", None)]),
    ("name=q1;;size=2", [("name", "q1"), ("", None), ("size", "2")]),
    ("transport=udp", [("transport", "udp")]),
    ("a=%41;b=\xe9", [("a", "%41"), ("b", "\xe9")]),        # no unescaping, bytes as latin-1
    ("a;b\r\n ;c", [("a", None), ("b", None), ("c", None)]),
])
def test_parse(text, expected):
    assert parse_params(text) == expected


@pytest.mark.parametrize("text,sep,expected", [
    ("a=1|b=2", "|", [("a", "1"), ("b", "2")]),
    ("a=1;b=2", "|", [("a", "1;b=2")]),                 # ';' is an ordinary character then
    ("a=1,b=2", ",", [("a", "1")]),                     # ',' still ends the list
    ("a=1|b=2|", "|", "Param name missing after |"),
    ("a b", " ", "Invalid character 'b' - expected ' '"),   # blanks are skipped first
])
def test_other_separators(text, sep, expected):
    if isinstance(expected, str):
        with pytest.raises(ParamError, match=expected):
            parse_params(text, sep)
    else:
        assert parse_params(text, sep) == expected


@pytest.mark.parametrize("text,message", [
    ("a=1;", "Param name missing after ;"),
    ("a=1;  ", "Param name missing after ;"),
    ("name=q1;;", "Param name missing after ;"),
    ("a b=1", "Invalid character 'b' - expected ';'"),
    (" name=q1", "Invalid character 'n' - expected ';'"),
    ("name=q1 x;size=2", "Invalid character 'x' - expected ';'"),
    ('a="1', "Error while parsing quoted string"),
    ('a="', "Error while parsing quoted string"),
    ("a='x\"", "Error while parsing quoted string"),
    ("a=;b=1", "Error while parsing token"),
    ("name=;size=3", "Error while parsing token"),
    ("a=,b", "Error while parsing token"),
    ('a="x"y', "Invalid character 'y' - expected ';'"),
])
def test_errors(text, message):
    with pytest.raises(ParamError) as e:
        parse_params(text)
    assert str(e.value) == message
    assert isinstance(e.value, ValueError)


def messages(lines):
    return [line.split(": ", 1)[1].rstrip("\n") for line in lines]


@pytest.mark.parametrize("text,sep,logged", [
    ("a=;b=1", ";", [
        "<core> [core/parser/parse_param.c:456]: parse_param_body(): Error while parsing token",
        "<core> [core/parser/parse_param.c:497]: parse_param2(): Error while parsing param body"]),
    ('a="1', ";", [
        "<core> [core/parser/parse_param.c:451]: parse_param_body(): Error while parsing quoted string",
        "<core> [core/parser/parse_param.c:497]: parse_param2(): Error while parsing param body"]),
    ("a b=1", ";", [
        "<core> [core/parser/parse_param.c:517]: parse_param2(): Invalid character 'b' - expected ';'"]),
    ("a=1;;", ";", [
        "<core> [core/parser/parse_param.c:526]: parse_param2(): Param name missing after ;"]),
    ("a=1|", "|", [
        "<core> [core/parser/parse_param.c:526]: parse_param2(): Param name missing after |"]),
])
def test_errors_are_logged_as_kamailio_does(text, sep, logged):
    log = Log(debug=L_DBG)
    lines = log.capture()
    with pytest.raises(ParamError):
        parse_params(text, sep, log)
    assert messages(lines) == logged
    assert all(" ERROR: " in line for line in lines)


def test_nothing_logged_without_log_or_below_the_level():
    with pytest.raises(ParamError):
        parse_params("a=;b")
    log = Log(debug=L_WARN - 2)          # below L_ERR
    lines = log.capture()
    with pytest.raises(ParamError):
        parse_params("a=;b", log=log)
    assert lines == []


def test_valid_lists_log_nothing():
    log = Log(debug=L_DBG)
    lines = log.capture()
    parse_params("a=1;b", log=log)
    assert lines == []


@pytest.mark.parametrize("text,end", [
    ("", 0),
    ("a=1;b", 5),
    ("a=1;b  ", 7),
    ("a=1, b=2", 3),
    ("a=1 ,b", 4),
    ("q=0.5;expires=60>x", 18),                # '>' inside a token is part of it
    ("a;b>", 4),
    ('a="x">rest', 5),
    ("a >rest", 2),
])
def test_scan_params_tells_where_the_list_ended(text, end):
    params, stop = scan_params(text)
    assert stop == end
    assert params == parse_params(text)


def test_docstring_examples():
    import doctest

    import kamlite.sip.params
    assert doctest.testmod(kamlite.sip.params).failed == 0
