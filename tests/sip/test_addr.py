"""kamlite.sip.addr: Kamailio's core parse_to() (To/From bodies) and parse_nameaddr().

The display/uri/tag/params results and the error lines are those Kamailio 5.6.3 gives
through its tobody.* and nameaddr.* transformations (see tests/test_transformations.py).
"""
import pytest

from kamlite.log import L_DBG, Log
from kamlite.sip.addr import (AddrError, NameAddr, NameAddrError, ToBody, parse_nameaddr,
                              parse_to_body)
from kamlite.sip.uri import parse_uri

TO = '"Alice A" <sip:alice@example.com:5060;transport=udp>;tag=abc;x=1'


def test_to_body_parts():
    b = parse_to_body(TO)
    assert isinstance(b, ToBody)
    assert b.display == '"Alice A"'
    assert b.uri == "sip:alice@example.com:5060;transport=udp"
    assert b.tag == "abc"
    assert b.params == [("tag", "abc"), ("x", "1")]
    assert TO[b.params_start:] == "tag=abc;x=1"
    u = parse_uri(b.uri)
    assert (u.user, u.host, u.port_no, u.proto) == ("alice", "example.com", 5060, "udp")


@pytest.mark.parametrize("text,display,uri,tag,params", [
    ("Bob B <sip:bob@h>", "Bob B", "sip:bob@h", None, []),
    ("Alice<sip:a@b>", "Alice", "sip:a@b", None, []),
    ('"A \\"q\\" B" <sip:a@b>', '"A \\"q\\" B"', "sip:a@b", None, []),
    ('"a<b" <sip:x@y>', '"a<b"', "sip:x@y", None, []),
    ("<sip:a@b>", None, "sip:a@b", None, []),
    ("  <sip:a@b>  ", None, "sip:a@b", None, []),
    ("sip:a@b", None, "sip:a@b", None, []),
    ("sip:bob@h;tag=1", None, "sip:bob@h", "1", [("tag", "1")]),     # the params are the header's
    ("<sip:bob@h;lr>;tag=1", None, "sip:bob@h;lr", "1", [("tag", "1")]),
    ("<sip:bob@h> ; tag = 9 ;lr", None, "sip:bob@h", "9", [("tag", "9"), ("lr", None)]),
    ("<sip:bob@h>;tag=a,b", None, "sip:bob@h", "a,b", [("tag", "a,b")]),   # ',' allowed in a tag
    ("<sip:a@b>;tag", None, "sip:a@b", "", [("tag", None)]),
    ("<sip:a@b>;tag=", None, "sip:a@b", "", [("tag", "")]),
    ('<sip:a@b>;tag="q"', None, "sip:a@b", "q", [("tag", "q")]),
    ("<sip:a@b>;TAG=z", None, "sip:a@b", "z", [("TAG", "z")]),
    ('<sip:a@b>;x="a,b";tag=t', None, "sip:a@b", "t", [("x", "a,b"), ("tag", "t")]),
    ("<sip:a@b>;expires=60;q=0.5", None, "sip:a@b", None, [("expires", "60"), ("q", "0.5")]),
    ("<sip:a@b>;tags=1;ta=2", None, "sip:a@b", None, [("tags", "1"), ("ta", "2")]),
    ("<sip:a@b>\r\n ;tag=x", None, "sip:a@b", "x", [("tag", "x")]),        # folded line
    ("<bad>", None, "bad", None, []),                   # the URI is not checked here
])
def test_to_bodies(text, display, uri, tag, params):
    b = parse_to_body(text)
    assert (b.display, b.uri, b.tag, b.params) == (display, uri, tag, params)
    if params:
        assert text[b.params_start:].startswith(params[0][0])
    else:
        assert b.params_start is None


def messages(lines):
    return [line.split(": ", 1)[1].rstrip("\n") for line in lines]


@pytest.mark.parametrize("text,logged", [
    ("<sip:bob@h>;a b", [
        "<core> [core/parser/parse_addr_spec.c:524]: parse_to_param(): spitting out [b] in status 22",
        "<core> [core/parser/parse_addr_spec.c:895]: parse_addr_spec(): invalid body -  "
        "unexpected end of header in state 22"]),
    ("<sip:a@b>;", [
        "<core> [core/parser/parse_addr_spec.c:571]: parse_to_param(): unexpected end of header, "
        "status 20: [;\r\n] .",
        "<core> [core/parser/parse_addr_spec.c:895]: parse_addr_spec(): invalid body -  "
        "unexpected end of header in state 13"]),
    ('"unterminated <sip:a@b>', [
        "<core> [core/parser/parse_addr_spec.c:681]: parse_addr_spec(): unexpected char [\r/13] "
        'in status 1: ["unterminated <sip:a@b>] .']),
    ("sip:a@b, sip:c@d", [
        "<core> [core/parser/parse_addr_spec.c:895]: parse_addr_spec(): invalid body -  "
        "unexpected end of header in state 4"]),
    ("<sip:bob@h>x", []),                       # only a debug message in Kamailio
])
def test_invalid_bodies_log_kamailios_errors(text, logged):
    log = Log(debug=L_DBG)
    lines = log.capture()
    with pytest.raises(AddrError):
        parse_to_body(text, log)
    assert messages(lines) == logged
    assert all(" ERROR: " in line for line in lines)
    with pytest.raises(ValueError):                 # AddrError is a ValueError; no log: silent
        parse_to_body(text)


# ---- name-addr ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected", [
    ('"Alice" <sip:a@b>;tag=x', ('"Alice" ', "sip:a@b", 17)),
    ('"a<b" <sip:x@y>', ('"a<b" ', "sip:x@y", 15)),
    ('"a\\"<" <sip:x>', ('"a\\"<" ', "sip:x", 14)),      # an escaped quote does not close
    ("<sip:a@b>", ("", "sip:a@b", 9)),
    ("<>", ("", "", 2)),
    ("Bob <sip:bob@h>;lr, <sip:c@d>", ("Bob ", "sip:bob@h", 15)),
])
def test_nameaddr(text, expected):
    na = parse_nameaddr(text)
    assert isinstance(na, NameAddr)
    assert tuple(na) == expected
    assert (na.name, na.uri, na.len) == expected


def test_nameaddr_without_lt():
    with pytest.raises(NameAddrError) as e:
        parse_nameaddr("sip:x@y")
    assert (e.value.missing, e.value.partial) == ("<", None)
    with pytest.raises(NameAddrError):
        parse_nameaddr('"<sip:x@y>"')               # quoted: not a '<'


def test_nameaddr_without_gt_keeps_what_kamailio_filled():
    with pytest.raises(NameAddrError) as e:
        parse_nameaddr("Alice <sip:a@b")
    assert e.value.missing == ">"
    assert e.value.partial == NameAddr("Alice ", "sip:a@b", 0)
    assert isinstance(e.value, AddrError)


def test_docstring_examples():
    import doctest

    import kamlite.sip.addr
    assert doctest.testmod(kamlite.sip.addr).failed == 0
