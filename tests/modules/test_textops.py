"""textops: every function against what Kamailio 5.6.3 did with the same config and
requests (tests/modules/data/textops.json, recorded with
`python -m tests.modules.sipcases record textops`), plus load-time refusals and a live
comparison when kamailio is installed."""
import os

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log
from kamlite.modules import textops as T
from tests.modules.sipcases import (DATA, Case, Group, Kamlite, assert_like_kamailio, assert_live_like_kamailio,
                                    assert_route_live_like_kamailio, case_ids, check_recorded, live_diffs_of,
                                    reply, req)

R = "\n".join


def calls(*stmts) -> str:
    """Each statement followed by an xlog of its return code."""
    return R(f'    {s};\n    xlog("L_INFO", "{i}: rc=$rc\\n");' for i, s in enumerate(stmts))


SDP = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
XH = "X-One: first\r\nX-Two: second\r\nx-one: again\r\nUser-Agent: friendly phone 1.0\r\n"

CASES = [
    Case("is_method", calls('is_method("OPTIONS")', 'is_method("INVITE")', 'is_method("options")',
                             'is_method("INVITE|OPTIONS")', 'is_method("BYE,OPTIONS")', 'is_method("FOO")',
                             'is_method("INVITE,FOO")'),
         [req(), req("INVITE"), req("FOO"), req("foo")]),
    Case("search", calls('search("^User-Agent:.*friendly")', 'search("user-agent: FRIENDLY")',
                         'search("^OPTIONS sip")', 'search("^X-Two: s[^x]*d$")', 'search("nothere")',
                         'search("X-Two:.*\\n.*x-one")', 'search("Content-Length: 0")'),
         [req(headers=XH)]),
    Case("search_body", calls('search_body("^m=audio [0-9]+")', 'search_body("video")', 'search_body("^v=0")'),
         [req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP), req()]),
    Case("search_hf", calls('search_hf("X-One", "^f", "")', 'search_hf("X-One", "^a", "")',
                            'search_hf("X-One", "^a", "f")', 'search_hf("X-One", "^a", "l")',
                            'search_hf("X-One", "^f", "l")', 'search_hf("User-Agent", "phone", "")',
                            'search_hf("Via", "branch", "")', 'search_hf("v", "branch", "")',
                            'search_hf("X-None", ".", "")'),
         [req(headers=XH)]),
    Case("search_append", calls('search_append("^User-Agent: [a-z]+", " (appended)")',
                                'search_append("nomatch", "x")', 'search_append("OPTIONS sip", "!")',
                                'search_append_body("^s=-", "session")', 'search_append_body("zzz", "x")'),
         [req(headers=XH), req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP)]),
    Case("replace", calls('replace("friendly", "hostile")', 'replace("x-one", "X-ONE")',
                          'replace("nothing", "x")', 'replace_hdrs("second", "2nd")',
                          'replace_body("audio", "video")', 'replace_body_atonce("IN IP4", "IN IP6")'),
         [req(headers=XH), req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP)]),
    Case("replace_all", calls('replace_all("one", "1")', 'replace_all("^x", "Y")', 'replace_all("zz", "a")',
                              'replace_body_all("10\\.0\\.0\\.1", "192.0.2.1")',
                              'replace_body_all("^[a-z]=", "#")'),
         [req(headers=XH), req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP)]),
    Case("replace_str", calls('replace_str("one", "ONE", "f")', 'replace_str("X-", "Z-", "a")',
                              'replace_str("none", "x", "a")', 'replace_hdrs_str("second", "2", "a")',
                              'replace_body_str("IN", "OUT", "a")'),
         [req(headers=XH), req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP)]),
    Case("subst", calls(r"subst('/^X-One: (.*)$/X-Uno: \1 [$ci]/')", r"subst('/one/ONE/gi')",
                        r"subst('/^nothing$/x/')", r"subst('/(friendly) (phone)/\2 \1/')",
                        r"subst('/sip:([a-z]+)@/sip:\1-x@/g')"),
         [req(headers=XH)]),
    Case("subst_body", calls(r"subst_body('/^c=IN IP4 (.*)$/c=IN IP4 192.0.2.9/')",
                             r"subst_body('/[0-9]+/N/g')", r"subst_body('/xyz/a/')"),
         [req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP), req()]),
    Case("subst_uri", R([r"    $var(r) = subst_uri('/^sip:([a-z]+)@(.*)$/sip:\1-new@\2;x=1/');",
                         '    xlog("L_INFO", "r=$var(r) ru=$ru rU=$rU\\n");',
                         r"    $var(r) = subst_uri('/nomatch/x/');",
                         '    xlog("L_INFO", "r=$var(r) ru=$ru\\n");',
                         r"    $var(r) = subst_user('/-new$/-again/');",
                         '    xlog("L_INFO", "r=$var(r) ru=$ru\\n");',
                         r"    $var(r) = subst_user('/^(.*)$/\1\u/');",
                         '    xlog("L_INFO", "r=$var(r) ru=$ru\\n");']),
         [req(ruri="sip:alice@example.com:5070;transport=udp")]),
    Case("subst_hf", calls(r"subst_hf('X-One', '/^(.*)$/[\1]/', '')", r"subst_hf('X-One', '/again/AGAIN/', 'f')",
                           r"subst_hf('X-One', '/e/E/g', 'l')", r"subst_hf('Via', '/branch=/branch=x/', '')",
                           r"subst_hf('X-None', '/a/b/', '')"),
         [req(headers=XH)]),
    Case("append_hf", calls(r'append_hf("X-B: 1\r\n")', r'append_hf("X-A: $ci\r\n")',
                            r'append_hf("X-After-One: y\r\n", "X-One")', r'append_hf("X-After-Via: v\r\n", "v")',
                            r'append_hf("X-Nowhere: z\r\n", "X-None")', 'append_hf("")',
                            r'insert_hf("X-First: 1\r\n")', r'insert_hf("X-Before-Two: 2\r\n", "X-Two")',
                            r'insert_hf("X-Before-CSeq: 3\r\n", "CSeq")', r'insert_hf("X-Top: 4\r\n", "X-None")',
                            r'append_urihf("X-Uri: <", ">\r\n")'),
         [req(headers=XH)]),
    Case("remove_hf", calls('remove_hf("X-One")', 'remove_hf("x-two")', 'remove_hf("X-None")',
                            'remove_hf("User-Agent")', 'remove_hf("l")', 'is_present_hf("X-One")',
                            'is_present_hf("Content-Length")', 'is_present_hf("X-Nope")',
                            'is_present_hf("i")', 'is_present_hf_re("^x-t")', 'is_present_hf_re("^Q")'),
         [req(headers=XH)]),
    Case("remove_hf_re", calls('remove_hf_re("^X-")', 'remove_hf_re("^Q")', 'remove_hf_exp("^[XU]", "Two")',
                               'remove_hf_exp("^Z", "Z")'),
         [req(headers=XH)]),
    Case("remove_hf_pv", R(['    $var(h) = "x-one";', calls('remove_hf_pv("$var(h)")', 'remove_hf_pv("X-Zero")',
                                                                'is_present_hf_pv("$var(h)")', 'is_present_hf_pv("X-Zero")',
                                                                'is_present_hf_re_pv("^user")', 'remove_hf_re_pv("^Max")',
                                                                'remove_hf_exp_pv("^X", "^X-T")')]),
         [req(headers=XH)]),
    Case("remove_hf_idx", calls('remove_hf_idx("X-One", "1")', 'remove_hf_idx("X-Two", "-1")',
                                'remove_hf_idx("X-One", "5")', 'remove_hf_idx("X-One", "-9")',
                                'remove_hf_match("User-Agent", "eq", "friendly phone 1.0")',
                                'remove_hf_match("X-Two", "in", "eco")', 'remove_hf_match("Via", "re", "BRANCH")',
                                'remove_hf_match("X-One", "xx", "a")', 'remove_hf_match("X-One", "ne", "first")'),
         [req(headers=XH)]),
    Case("to_reply", R([calls(r'append_to_reply("X-R: $ci\r\n")', 'append_to_reply("")',
                              'set_reply_body("hello $rm", "text/plain")', 'set_reply_body("again", "text/x")',
                              'set_reply_body("", "text/plain")'),
                        '    sl_send_reply("404", "Not Here");']),
         [req()]),
    Case("to_reply_twice", R(['    append_to_reply("Contact: <$ru>\\r\\n");', '    sl_send_reply("180", "Ringing");',
                              '    sl_send_reply("486", "Busy");']),
         [req("INVITE")]),
    Case("set_body", calls('set_body("new body", "text/plain")'),
         [req("MESSAGE", headers="Content-Type: text/plain\r\n", body="old"),
          req("MESSAGE", headers="Content-Type: application/sdp\r\n", body=SDP),
          req("MESSAGE"), req("MESSAGE", content_length=False)]),
    Case("has_body", calls('has_body()', 'has_body("application/sdp")', 'has_body("text/plain")',
                           'has_body("application/vq-rtcpxr")', 'has_body("application/*")'),
         [req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP), req(),
          req("MESSAGE", headers="Content-Type: text/plain;charset=utf-8\r\n", body="hi"),
          req("MESSAGE", headers="Content-Type: application/foo\r\n", body="hi"),
          req("MESSAGE", body="no type"), req("MESSAGE", headers="Content-Type: garbage\r\n", body="hi"),
          req("MESSAGE", headers="Content-Type: text/plain, text/html\r\n", body="hi")]),
    Case("is_privacy", calls('is_privacy("id")', 'is_privacy("user")', 'is_privacy("none")', 'is_privacy("header")'),
         [req(headers="Privacy: id\r\n"), req(headers="Privacy: user; header\r\n"), req(),
          req(headers="Privacy: none;id\r\n"), req(headers="Privacy: bogus\r\n")]),
    Case("strings", R(['    $var(a) = "Hello World";', '    $var(l) = " a, b ,c,hello world";',
                       calls('in_list("b", "$var(l)", ",")', 'in_list("c", "$var(l)", ",")',
                             'in_list("hello", "$var(l)", ",")', 'in_list("", "$var(l)", ",")',
                             'in_list("x", "", ",")', 'in_list_prefix("bcd", "$var(l)", ",")',
                             'in_list_prefix("zz", "$var(l)", ",")',
                             'cmp_str("$var(a)", "Hello World")', 'cmp_str("$var(a)", "Hello")',
                             'cmp_str("abc", "abd")', 'cmp_str("", "a")', 'cmp_istr("$var(a)", "hello world")',
                             'cmp_istr("b", "A")', 'starts_with("$var(a)", "Hell")', 'starts_with("$var(a)", "World")',
                             'starts_with("ab", "abc")', 'starts_with("abc", "b")', 'ends_with("$var(a)", "World")',
                             'ends_with("$var(a)", "Hello")', 'str_find("$var(a)", "World")', 'str_find("$var(a)", "x")',
                             'str_ifind("$var(a)", "WORLD")', 'search_str("$var(a)", "^hello")',
                             'search_str("$var(a)", "^world")', 'search_str("$var(a)", "")', 'search_str("", "a")')]),
         [req()]),
]

MORE = [
    Case("subst_edges", calls(r"subst('/x*/y/')", r"subst('/^X-(One|Two)/Z-\1/g')", r"subst('/e$/E\n/g')",
                              r"subst('/first.X-Two/FX/s')", r"subst('/first.X-Two/FX/')", r"subst('/$rm/$ru/')",
                              r"subst('/^(User-Agent): .*$/\1: \0 [\3]/')"),
         [req(headers=XH)]),
    Case("replace_edges", calls('replace_all("x*", "y")', 'replace_all("[a-z]+$", "Z")', 'replace("o", "0")',
                                'replace("o", "Q")', 'search_append("^X-One", "1")', 'search_append("^X-One", "2")'),
         [req(headers=XH)]),
    Case("body_edges", calls(r"subst_body('/^[a-z]=/X=/g')", 'set_body("replaced", "text/plain")',
                             r"subst_body('/a/b/')", 'set_body("again", "application/x")', 'search_body("m=audio")'),
         [req("INVITE", headers="Content-Type: application/sdp\r\n", body=SDP)]),
    Case("remove_append", calls('remove_hf("X-Two")', r'append_hf("X-New: 1\r\n", "X-Two")',
                                r'insert_hf("X-Ins: 1\r\n", "X-Two")', 'remove_hf("X-One")', 'remove_hf("x-one")',
                                r'append_hf("X-Last: 1\r\n", "x-one")'),
         [req(headers=XH)]),
    Case("in_reply", calls('is_method("INVITE")', 'is_method("BYE|INVITE")', 'is_method("FOO")', 'has_body()',
                           'search("^SIP/2.0 180")', 'remove_hf("X-One")', r'append_hf("X-Added: $rs\r\n")',
                           r"subst('/second/2nd/')", 'is_present_hf("X-Two")'),
         [reply(180, "Ringing", headers=XH, vias="Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2\r\n"
                "Via: SIP/2.0/UDP 127.0.0.1:@UASPORT@;branch=z9hG4bK-1\r\n"),
          reply(200, "OK", method="FOO", body="hello", headers="Content-Type: text/plain\r\n",
                vias="Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2,SIP/2.0/UDP 127.0.0.1:@UASPORT@\r\n")]),
]

GROUPS = [Group("textops", CASES + MORE, modules=("pv", "xlog", "sl", "textops"), replies=True)]
DATA_FILE = os.path.join(DATA, "textops.json")


@pytest.fixture(scope="module")
def recorded():
    return check_recorded(DATA_FILE, GROUPS, "textops")


@pytest.fixture(scope="module")
def kl():
    return Kamlite(GROUPS[0])


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_like_kamailio(recorded, kl, group, case):
    assert_like_kamailio(GROUPS, recorded, group, case, kl)


# ---- unit level ------------------------------------------------------------------------------------
def test_newline_lists_do_not_cross_lines():
    rx = T.compile_re("a[^x]*b")
    assert rx.search("a\nb") is None
    assert rx.search("a-b")
    assert T.compile_re("[^]a]").search("\n") is None
    assert T.compile_re("[^[:digit:]]").search("\n") is None
    assert T.compile_re("a[^x]*b", newline=False).search("a\nb")


def test_parse_methods():
    M = T.METHODS
    assert T.parse_methods("INVITE") == M["INVITE"]
    assert T.parse_methods("invite, bye") == M["INVITE"] | M["BYE"]
    assert T.parse_methods("FOO") == T.METHOD_OTHER
    assert T.parse_methods("INVITEX") is None          # a known name followed by a token char
    assert T.parse_methods("INVITE BYE") is None
    assert T.parse_methods("INVITE,") == M["INVITE"]    # "Method expected", yet accepted


def test_decode_mime_type():
    assert T.decode_mime_type("application/sdp") == (T.MIME_SDP, 15)
    assert T.decode_mime_type("Application/SDP;x=1") == (T.MIME_SDP, 19)
    assert T.decode_mime_type("application/vq-rtcpxr")[0] == (3 << 16) | 0xFF
    assert T.decode_mime_type("text")[0] is None
    assert T.decode_mime_type("*/sdp") == (None, -1)


def test_privacy_values():
    assert T.parse_priv_value("id") == (32, 2)
    assert T.parse_priv_value("header;x") == (2, 6)
    assert T.parse_priv_value("idx") is None
    assert T.parse_priv_value("hist") is None


# ---- load-time refusals ------------------------------------------------------------------------------
HEAD = 'loadmodule "sl"\nloadmodule "textops"\n'


def refused(body: str) -> str:
    with pytest.raises(ConfigError) as e:
        kamlite.load(text=HEAD + "request_route {\n" + body + "\n}\n", log=Log(debug=2))
    return str(e.value)


@pytest.mark.parametrize("body, words", [
    ('search("a(b");', "search"),
    ('search_body("[z");', "search_body"),
    ('replace("*x", "y");', "replace"),
    ('subst("/a/b");', "subst"),
    ('subst("/a/b/q");', "subst"),
    ("subst('/(a/b/');", "subst"),
    ('remove_hf("");', "empty header name"),
    ('remove_hf("X Y");', "header name"),
    ('is_present_hf(":x");', "header name"),
    ('append_hf("X: 1\\r\\n", "Bad Name");', "header name"),
    ('is_method("");', "empty method"),
    ('is_method("INVITEX");', "bad method"),
    ('is_method("INVITE|FOO");', "unknown method"),
    ('has_body("text");', "mime"),
    ('has_body("text/plain, text/html");', "multiple mimes"),
    ('is_privacy("nobody");', "privacy"),
    ('in_list("a", "b", ",,");', "separator"),
    ('search_hf("X", "(", "");', "search_hf"),
])
def test_refused_at_load_time(body, words):
    msg = refused(body)
    assert "<config>:4:1: error: function" in msg and words in msg, msg


def test_error_names_the_place():
    msg = refused('    append_hf("X: 1\\r\\n");\n    search("(");')
    assert msg.startswith("<config>:5:5: error: function search: bad regular expression"), msg


# ---- live: kamlite's server against Kamailio ----------------------------------------------------------
LIVE = """    if (is_method("OPTIONS") && search("^User-Agent:.*friendly")) {
        append_to_reply("X-Seen: $ci\\r\\n");
        set_reply_body("body of $rm", "text/plain");
        sl_send_reply("200", "Found");
        exit;
    }
    if (!has_body("application/sdp")) {
        xlog("L_INFO", "no sdp in $rm\\n");
    }
    sl_send_reply("404", "Not Found");
"""


def test_live_replies():
    kamailio = assert_route_live_like_kamailio(("pv", "xlog", "sl", "textops"), LIVE,
                                               [req(headers=XH, callid="live1"), req("INVITE", callid="live2")])
    assert kamailio[0][0][0].startswith("SIP/2.0 200 Found")


# ---- live: the recorded cases through a kamlite server, forward() included -----------------------------
@pytest.fixture(scope="module")
def live_diffs(recorded):
    return live_diffs_of(GROUPS, recorded)


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_live_server_like_kamailio(live_diffs, group, case):
    assert_live_like_kamailio(live_diffs, case)
