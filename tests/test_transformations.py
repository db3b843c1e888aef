"""Transformations ({s.*}, {uri.*}, {param.*}, {nameaddr.*}, {tobody.*}, {line.*}).

The expected values were checked against Kamailio 5.6.3 (tests/oracle), quirks included.
Most tests drive the steps directly with a small context; the last ones go through a
loaded config for pseudo-variable parameters and value types.
"""
import pytest

import kamlite
from kamlite.log import Log
from kamlite.modules.pv import trans as T
from kamlite.script import runtime as RT


class FakeProgram:
    def __init__(self, core=None):
        self.core = core or {}


class FakeCtx:
    def __init__(self, program=None, debug=3):
        self.log = Log(debug=debug)
        self.lines = self.log.capture()
        self.program = program or FakeProgram()
        self.cfg_line = 7

    @property
    def messages(self):
        return [line.split(": ", 1)[1].rstrip("\n") for line in self.lines]


def step(text, program=None):
    return T.TRANSFORMS[text.split(".", 1)[0]](program or FakeProgram(), text)


def ev(text, value, ctx=None):
    """The transformation's value, or PVFail when it fails."""
    ctx = ctx or FakeCtx()
    try:
        return step(text, ctx.program)(ctx, value)
    except RT.PVFail:
        return RT.PVFail


# ---- string class -----------------------------------------------------------------------------
@pytest.mark.parametrize("text,value,expected", [
    ("s.len", "hello", 5),
    ("s.len", 12345, 5),
    ("s.len", 0, 1),
    ("s.int", "-15", -15),
    ("s.int", "42abc", RT.PVFail),
    ("s.int", "", 0),
    ("s.int", 7, 7),
    ("s.md5", "abc", "900150983cd24fb0d6963f7d28e17f72"),
    ("s.sha256", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("s.substr,1,2", "abcdef", "bc"),
    ("s.substr,0,0", "abcdef", "abcdef"),
    ("s.substr,-2,0", "abcdef", "ef"),
    ("s.substr,-2,1", "abcdef", "e"),
    ("s.substr,5,9", "abcdef", "f"),
    ("s.substr,1,2", 12345, "23"),
    ("s.select,1,,", "a,b,c", "b"),
    ("s.select,-1,,", "a,b,c", "c"),
    ("s.select,-3,/", "a/b/c", "a"),
    ("s.select,-4,/", "a/b/c", ""),
    ("s.select,5,,", "a,b", ""),
    ("s.select,1, ", "a b c", "b"),
    ("s.select,1,\\t", "a\tb", "b"),
    ("s.tolower", "MiXeD\xc9", "mixed\xc9"),      # ASCII letters only
    ("s.toupper", "MiXeD\xe9", "MIXED\xe9"),
    ("s.strip,2", "abcdef", "cdef"),
    ("s.strip,-1", "abcdef", "abcdef"),
    ("s.strip,9", "abcdef", ""),
    ("s.striptail,2", "abcdef", "abcd"),
    ("s.stripto,@", "user@host", "@host"),
    ("s.stripto,x", "user@host", ""),
    ("s.prefixes", "1234", "1,12,123,1234"),
    ("s.prefixes,2", "1234", "1,12"),
    ("s.prefixes.quoted,2", "1234", "'1','12'"),
    ("s.replace,a,o", "banana", "bonono"),
    ("s.replace,XX,y", "aXXbXX", "ayby"),
    ("s.replace, ,_", "a b c", "a b c"),          # blanks before a parameter are skipped
    ("s.rm,.", "a.b.c", "abc"),
    ("s.rm,\\n", "a\nb", "ab"),
    ("s.trim", "  pad \r\n", "pad"),
    ("s.rtrim", "  pad  ", "  pad"),
    ("s.ltrim", "  pad  ", "pad  "),
    ("s.rmws", " a\tb\r\nc ", "abc"),
    ("s.numeric", "040/123-456", "040123456"),
    ("s.unquote", "'y'", "y"),
    ("s.unquote", '"z', '"z'),
    ("s.unbracket", "(x)", "x"),
    ("s.unbracket", "<x]", "<x]"),
    ("s.unquote", 7, 7),                        # shorter than 2: the int stays an int
    ("s.unquote", 17, "17"),
    ("s.count,/", "a/b/c", 2),
    ("s.count,,", "x,y,z", 2),
    ("s.before,/", "a/b/c", "a"),
    ("s.after,/", "a/b/c", "b/c"),
    ("s.before,x", "abc", "abc"),
    ("s.after,x", "abc", ""),
    ("s.rafter,/", "a/b", ""),
    ("s.rbefore,b", "a/b", "a/"),
    ("s.encode.hexa", "AB", "4142"),
    ("s.decode.hexa", "4142", "AB"),
    ("s.decode.hexa", "41zz", RT.PVFail),
    ("s.encode.7bit", "hello", "E8329BFD06"),
    ("s.decode.7bit", "E8329BFD06", "hello"),
    ("s.encode.base64", "hello", "aGVsbG8="),
    ("s.encode.base64t", "hello", "aGVsbG8"),
    ("s.decode.base64", "aGVsbG8=", "hello"),
    ("s.decode.base64", "QUJ", RT.PVFail),
    ("s.decode.base64t", "aGVsbG8", "hello"),
    ("s.decode.base64url", "aGVsbG8", "hello"),
    ("s.encode.base58", "hello", "Cn8eVZg"),
    ("s.decode.base58", "Cn8eVZg", "hello\0"),       # b58_decode's length quirk
    ("s.decode.base58", "11Cn8eVZg", "hello\0\0\0"),
    ("s.decode.base58", "", "\0"),
    ("s.escape.common", "a\"b'c\\d", "a\\\"b\\'c\\\\d"),
    ("s.unescape.common", "a\\\"b\\'c\\\\d\\x", "a\"b'c\\d\\x"),
    ("s.escape.user", "sip:al ice/x@y", "sip%3aal%20ice%2fx%40y"),
    ("s.escape.param", "sip:al ice/x@y", "sip:al%20ice/x%40y"),
    ("s.unescape.user", "a%20b%41", "a bA"),
    ("s.urlencode.param", "a b/~", "a%20b%2f~"),
    ("s.urldecode.param", "a%20b%41%7e+c%", "a bA~ c"),
    ("s.escape.csv", 'a"b', '"a""b"'),
    ("s.corehash,16", "Hello World", "14"),
    ("s.fmtlines,3,2", "abcdef", "a\r\n  b\r\n  cdef"),        # breaks before chars 1..n-1
    ("s.fmtlines,3,9", "abcdef", "a\r\n         \r\r\n         \n   "),
    ("s.ftime,%Y", "x", RT.PVFail),
    ("s.len", None, RT.PVFail),
    ("s.LEN", "ab", 2),                        # names are case-insensitive
])
def test_string_transformations(text, value, expected):
    assert ev(text, value) == expected


def test_replace_with_an_empty_pattern_fills_the_buffer():
    # the empty pattern's "first byte" is the ',' that ends it: each ',' in the value is
    # replaced again and again until the 64k buffer is full
    assert len(ev("s.replace,,X", "a,b")) == 65536


def test_int_results_keep_the_int_type():
    assert ev("s.count,a", "banana") == 3
    assert ev("s.len", "x").__class__ is int
    assert ev("s.tolower", 5) == "5"


def test_substr_errors_carry_the_cfg_line():
    ctx = FakeCtx()
    assert ev("s.substr,9,1", "abc", ctx) is RT.PVFail
    assert ctx.messages == ["pv [pv_trans.c:676]: tr_eval_string(): substr out of range (cfg line: 7)"]


def test_unescape_user_reports_bad_characters():
    ctx = FakeCtx()
    assert ev("s.unescape.user", "a%0a", ctx) is RT.PVFail
    assert ctx.messages == ["<core> [core/strutils.c:204]: unescape_user(): invalid escaped character <10>"]


def test_base64url_decode_of_nothing_is_an_error():
    ctx = FakeCtx()
    assert ev("s.decode.base64url", "", ctx) is RT.PVFail
    assert ctx.messages == ["<core> [core/basex.c:482]: base64url_dec(): invalid olen parameter "
                            "calculated, can't continue 0"]


@pytest.mark.parametrize("text", [
    "s.reverse", "s.len,", "s.len,x", "s.substr", "s.substr,1", "s.substr,a,1", "s.substr,1,-1",
    "s.substr,1x,2", "s.select,1,", "s.select,1,ab", "s.select,1,\\q", "s.strip", "s.strip,1,2",
    "s.stripto", "s.prefixes,", "s.replace,a", "s.replace,a,b,c", "s.ftime", "s.corehash,",
    "s.rm", "s.count", "s.fmtlines,1", "s.fmtlines,-1,2", "s", "s.",
    "uri.foo", "uri.user,x", "uri.param", "param.foo", "param.value", "param.value,a,",
    "param.value,a,;;", "param.count,", "param.count,;;", "param.valueat,x",
    "nameaddr.foo", "nameaddr.name,x", "tobody.foo", "line.at", "line.at,x", "line.sw", "line.foo",
])
def test_bad_transformations_are_refused(text):
    with pytest.raises(ValueError):
        step(text)


@pytest.mark.parametrize("text", [
    "s. len", "s.len ", "s.substr, 1 , 2 ", "s.substr,- 1,0", "s.select,1,,", "s.stripto,",
    "s.stripto,a b", "s.prefixes", "s.replace,,", "s.count,,", "s.count,a,", "s.corehash",
    "param.value,a, ", "param.count,,", "param.count,;", "param.name,-1,|",
])
def test_odd_but_valid_transformations_are_accepted(text):
    step(text)


# ---- uri class --------------------------------------------------------------------------------
FULL_URI = ("sip:alice:pw@example.com:5070;transport=TCP;ttl=5;user=ip;maddr=1.2.3.4;"
            "method=INVITE;lr=on;r2=on;x=y?h=1&g=2")


@pytest.mark.parametrize("text,value,expected", [
    ("uri.user", FULL_URI, "alice"),
    ("uri.passwd", FULL_URI, "pw"),
    ("uri.host", FULL_URI, "example.com"),
    ("uri.domain", FULL_URI, "example.com"),
    ("uri.port", FULL_URI, 5070),
    ("uri.params", FULL_URI, "transport=TCP;ttl=5;user=ip;maddr=1.2.3.4;method=INVITE;lr=on;r2=on;x=y"),
    ("uri.headers", FULL_URI, "h=1&g=2"),
    ("uri.transport", FULL_URI, "TCP"),
    ("uri.ttl", FULL_URI, "5"),
    ("uri.uparam", FULL_URI, "ip"),
    ("uri.maddr", FULL_URI, "1.2.3.4"),
    ("uri.method", FULL_URI, "INVITE"),
    ("uri.lr", FULL_URI, "on"),
    ("uri.r2", FULL_URI, "on"),
    ("uri.scheme", FULL_URI, "sip"),
    ("uri.tosocket", FULL_URI, "tcp:example.com:5070"),
    ("uri.param,x", FULL_URI, "y"),
    ("uri.param,TTL", FULL_URI, "5"),
    ("uri.param,zz", FULL_URI, ""),
    ("uri.port", "sip:bob@host.org", ""),
    ("uri.host", "sips:[2001:db8::1]:5061;transport=tls", "[2001:db8::1]"),
    ("uri.tosocket", "sips:[2001:db8::1]:5061;transport=tls", "tls:[2001:db8::1]:5061"),
    ("uri.host", "sip:host.com:5060", "host.com"),
    ("uri.user", "sip:host.com:5060", ""),
    ("uri.params", "sip:a@b;x=1;", "x=1"),           # a trailing ';' is dropped
    ("uri.user", "SIP:A@B", "A"),
    ("uri.user", "tel:+1-555;ext=1", "+1-555"),
    ("uri.host", "tel:+1-555;ext=1", ""),
    ("uri.params", "tel:+1-555;ext=1", ""),
    ("uri.user", "urn:service:sos", "service"),
    ("uri.host", "urn:service:sos", "sos"),
    ("uri.user", "sip:+1234;cpc=x@host;user=phone", "+1234"),      # phone2tel
    ("uri.user", "sip:a;transport=tcp@b", "a;transport=tcp"),
    ("uri.transport", "sip:a;transport=tcp@b", ""),
    ("uri.transport", "sip:a@b;transport=udpx", "udpx"),
    ("uri.suri", "sip:a@b:5070;transport=tcp;lr", "sip:\0a@b:5070;transport=tcp"),
    ("uri.saor", "sip:a@b:5070", "sip:\0a@b"),
    ("uri.duri", "sip:a@b:5070", "sip:\0b:5070"),
    ("uri.host", "", RT.PVFail),
    ("uri.host", "sip:a@b:99999", RT.PVFail),
    ("uri.host", "sip:a@b_c", RT.PVFail),
    ("uri.host", "sip:a@b?x;y", RT.PVFail),
])
def test_uri_transformations(text, value, expected):
    assert ev(text, value) == expected


def test_invalid_uri_is_logged():
    ctx = FakeCtx()
    assert ev("uri.user", "not a uri", ctx) is RT.PVFail
    assert ctx.messages == ["pv [pv_trans.c:1597]: tr_eval_uri(): invalid uri [not a uri]"]


def test_uri_ending_inside_maddr_hits_parse_uri_bad_state():
    ctx = FakeCtx()
    assert ev("uri.host", "sip:a@b;ma", ctx) is RT.PVFail
    assert ctx.lines[0].split(": ", 1)[0].endswith("CRITICAL")
    assert ctx.messages == [
        "<core> [core/parser/parse_uri.c:1329]: parse_uri(): BUG: bad  state 38 parsed: "
        "<sip:a@b;ma> (10) / <sip:a@b;ma> (10)",
        "pv [pv_trans.c:1597]: tr_eval_uri(): invalid uri [sip:a@b;ma]"]


def test_tosocket_without_transport_warns():
    ctx = FakeCtx()
    assert ev("uri.tosocket", "sip:a@b", ctx) == ""
    assert ctx.messages == ["pv [pv_trans.c:1780]: tr_eval_uri(): unknown transport protocol"]


def test_phone2tel_can_be_disabled():
    ctx = FakeCtx(FakeProgram({"phone2tel": 0}))
    assert ev("uri.user", "sip:+1234;cpc=x@host;user=phone", ctx) == "+1234;cpc=x"


# ---- param class ------------------------------------------------------------------------------
@pytest.mark.parametrize("text,value,expected", [
    ("param.value,a", "a=1;b;c=3;a=4", "4"),          # the last one wins
    ("param.count", "a=1;b;c=3;a=4", 4),
    ("param.name,0", "a=1;b;c=3;a=4", "a"),
    ("param.valueat,1", "a=1;b;c=3;a=4", ""),
    ("param.valueat,-1", "a=1;b;c=3;a=4", "4"),
    ("param.valueat,-4", "a=1;b;c=3", ""),
    ("param.name,5", "a=1;b;c=3", ""),
    ("param.in,b", "a=1;b;c=3", 1),
    ("param.in,z", "a=1;b;c=3", 0),
    ("param.value,a", 'a="1;2";b=x', "1;2"),
    ("param.value,b", "a=1, b=2", ""),                # parsing stops at ','
    ("param.count", "a=1,b=2", 1),
    ("param.value,b,|", "a=1|b=2|", "2"),
    ("param.count,|", "a=1|b=2|", 2),
    ("param.count,,", "a=1,b=2", 1),
    ("param.value,b, ", "a=1;b=2", RT.PVFail),       # an empty separator fails at run time
    ("param.value,a", "a = 1 ; b", "1"),
    ("param.value,a", " a=1", RT.PVFail),         # the name stops at the blank: "" then 'a'

    ("param.value,a", "", RT.PVFail),
])
def test_param_transformations(text, value, expected):
    assert ev(text, value) == expected


def test_param_parse_errors_are_logged_once_per_text():
    ctx = FakeCtx()
    assert ev("param.value,b", "a=;b=1", ctx) is RT.PVFail
    assert ev("param.value,b", "a=;b=1", ctx) is RT.PVFail
    assert ctx.messages == [
        "<core> [core/parser/parse_param.c:456]: parse_param_body(): Error while parsing token",
        "<core> [core/parser/parse_param.c:497]: parse_param2(): Error while parsing param body"]


def test_param_list_errors():
    ctx = FakeCtx()
    assert ev("param.value,b", "a b=1", ctx) is RT.PVFail
    assert ev("param.count", "a=1;;", ctx) is RT.PVFail
    assert ctx.messages == [
        "<core> [core/parser/parse_param.c:517]: parse_param2(): Invalid character 'b' - expected ';'",
        "<core> [core/parser/parse_param.c:526]: parse_param2(): Param name missing after ;"]


# ---- nameaddr, tobody, line -------------------------------------------------------------------
@pytest.mark.parametrize("text,value,expected", [
    ("nameaddr.name", '"Alice" <sip:a@b>;tag=x', '"Alice" '),
    ("nameaddr.uri", '"Alice" <sip:a@b>;tag=x', "sip:a@b"),
    ("nameaddr.len", '"Alice" <sip:a@b>;tag=x', 17),
    ("nameaddr.uri", "sip:x@y", "sip:x@y"),
    ("nameaddr.len", "sip:x@y", 7),
    ("nameaddr.uri", '"a<b" <sip:x@y>', "sip:x@y"),
])
def test_nameaddr(text, value, expected):
    assert ev(text, value) == expected


def test_nameaddr_without_closing_bracket_fails_once_then_reads_the_cache():
    ctx = FakeCtx()
    assert ev("nameaddr.uri", "Alice <sip:a@b", ctx) is RT.PVFail
    assert ev("nameaddr.uri", "Alice <sip:a@b", ctx) == "sip:a@b"
    assert ev("nameaddr.len", "Alice <sip:a@b", ctx) == 0
    assert ev("nameaddr.name", "Alice <sip:a@b", ctx) == "Alice "
    assert ev("nameaddr.uri", "x", ctx) == "x"
    assert ev("nameaddr.uri", "Alice <sip:a@b", ctx) is RT.PVFail


TO = '"Alice A" <sip:alice@example.com:5060;transport=udp>;tag=abc;x=1'


@pytest.mark.parametrize("text,value,expected", [
    ("tobody.display", TO, '"Alice A"'),
    ("tobody.uri", TO, "sip:alice@example.com:5060;transport=udp"),
    ("tobody.tag", TO, "abc"),
    ("tobody.user", TO, "alice"),
    ("tobody.host", TO, "example.com"),
    ("tobody.params", TO, "tag=abc;x=1"),
    ("tobody.display", "Bob B <sip:bob@h>", "Bob B"),
    ("tobody.params", "Bob B <sip:bob@h>", ""),
    ("tobody.uri", "sip:bob@h;tag=1", "sip:bob@h"),
    ("tobody.tag", "sip:bob@h;tag=1", "1"),
    ("tobody.tag", "<sip:bob@h> ; tag = 9 ;lr", "9"),
    ("tobody.tag", "<sip:bob@h>;tag=a,b", "a,b"),
    ("tobody.uri", "<sip:bob@h>x", RT.PVFail),
    ("tobody.uri", "<bad>", RT.PVFail),
])
def test_tobody(text, value, expected):
    assert ev(text, value) == expected


def test_tobody_errors_are_the_core_parser_messages():
    ctx = FakeCtx()
    assert ev("tobody.uri", "<sip:bob@h>;a b", ctx) is RT.PVFail
    assert ctx.messages == [
        "<core> [core/parser/parse_addr_spec.c:524]: parse_to_param(): spitting out [b] in status 22",
        "<core> [core/parser/parse_addr_spec.c:895]: parse_addr_spec(): invalid body -  "
        "unexpected end of header in state 22"]


LINES = "line one\r\nline two\nthird\n"


@pytest.mark.parametrize("text,value,expected", [
    ("line.count", LINES, "3"),                 # a string: Kamailio resets the int flag
    ("line.at,0", LINES, "line one"),           # a final '\r' is dropped
    ("line.at,1", LINES, "line two"),
    ("line.at,-1", LINES, "third"),
    ("line.at,-3", LINES, "line one"),
    ("line.at,-4", LINES, ""),
    ("line.at,3", LINES, ""),
    ("line.sw,th", LINES, "third"),
    ("line.sw,line t", LINES, "line two"),
    ("line.at,-2", "\nb\n", ""),
    ("line.at,-1", "a\n\n", "a\n"),          # an empty last line merges with the one before
    ("line.count", "a\nb", "2"),
])
def test_line(text, value, expected):
    assert ev(text, value) == expected


# ---- through a loaded config ------------------------------------------------------------------
def run_body(body):
    log = Log(debug=2)
    lines = log.capture()
    program = kamlite.load(text='debug=2\nloadmodule "pv"\nloadmodule "xlog"\nroute[T] {\n' + body + "\n}\n",
                           log=log)
    del lines[:]
    program.run_route("T")
    return [line.split(": ", 1)[1].rstrip("\n") for line in lines]


def test_pseudo_variable_parameters():
    out = run_body('$var(s) = "abcdef"; $var(i) = 2; $var(t) = "x"; $var(n) = "b";'
                   '$var(p) = "a=1;b=2";'
                   'xlog("L_INFO", "[$(var(s){s.substr,$var(i),$var(i)})] [$(var(s){s.strip,$var(i)})]'
                   ' [$(var(p){param.value,$var(n)})] [$(var(s){s.substr,$var(t),1})]\\n");')
    assert out == ["pv [pv_trans.c:644]: tr_eval_string(): substr cannot get p1 (cfg line: 0)",
                   "<script>: [cd] [cdef] [2] []"]


def test_chained_transformations_and_types():
    out = run_body('$var(s) = "Hello,World"; $var(x) = $(var(s){s.select,1,,}{s.toupper}{s.len}) + 1;'
                   '$var(p) = "a=1;b=2"; $var(y) = $(var(p){param.count}) * 10;'
                   'xlog("L_INFO", "$var(x) $var(y)\\n");')
    assert out == ["<script>: 6 20"]


def test_unknown_transformation_refuses_the_config():
    with pytest.raises(kamlite.errors.ConfigError):
        run_body('xlog("L_INFO", "$(var(s){s.reverse})\\n");')
