"""siputils against Kamailio 5.6.3 (tests/modules/data/siputils.json, recorded with
`python -m tests.modules.sipcases record siputils`), load-time refusals, and a live run."""
import os

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log
from tests.modules.sipcases import (Case, DATA, Group, assert_like_kamailio, assert_live_like_kamailio,
                                    assert_route_live_like_kamailio, case_ids, check_recorded, live_diffs_of,
                                    reply, req)

R = "\n".join
MODS = ("pv", "xlog", "sl", "siputils")


def calls(*stmts) -> str:
    return R(f'    {s};\n    xlog("L_INFO", "{i}: rc=$rc\\n");' for i, s in enumerate(stmts))


RURI = "sip:alice@example.com;transport=tcp;lr;x=1;x=2;gr=abc"

CASES = [
    Case("types", calls("is_request()", "is_reply()", "has_totag()"),
         [req(), req(to_tag="t1"), req(to_line="To: <sip:alice@127.0.0.1>;tag=\r\n"),
          reply(), reply(code=100, reason="Trying", to_tag="")]),
    Case("options", R([calls("options_reply()"), '    xlog("L_INFO", "after\\n");']),
         [req(ruri="sip:127.0.0.1"), req(ruri="sip:alice@127.0.0.1"), req("INVITE", ruri="sip:127.0.0.1"),
          req(ruri="sip:127.0.0.1:5060;transport=udp", to_tag="x")]),
    Case("uri_param", calls('uri_param("transport")', 'uri_param("transport", "tcp")', 'uri_param("transport", "TCP")',
                            'uri_param("lr")', 'uri_param("lr", "")', 'uri_param("x", "2")', 'uri_param("x", "1")',
                            'uri_param("nope")', 'uri_param_any("LR")', 'uri_param_any("x")', 'uri_param_any("y")',
                            'uri_param("gr", "abc")'),
         [req(ruri=RURI), req(ruri="sip:alice@example.com"), req(ruri="tel:+1234;phone-context=x")]),
    Case("uri_param_change", R([calls('uri_param_rm("lr")'), '    xlog("L_INFO", "ru=$ru\\n");',
                                calls('uri_param_rm("X")'), '    xlog("L_INFO", "ru=$ru\\n");',
                                calls('uri_param_rm("zzz")'), '    xlog("L_INFO", "ru=$ru\\n");',
                                calls('add_uri_param("nat=yes")'), '    xlog("L_INFO", "ru=$ru\\n");',
                                calls('get_uri_param("transport", "$var(t)")', 'get_uri_param("nat", "$var(n)")',
                                      'get_uri_param("none", "$var(z)")'),
                                '    xlog("L_INFO", "t=$var(t) n=$var(n)\\n");']),
         [req(ruri=RURI), req(ruri="sip:bob@example.com"), req(ruri="sip:example.com;lr")]),
    Case("tel2sip", R(['    $var(u) = "tel:+1-(555)-123.4;phone-context=Ex.Com-x";',
                       calls('tel2sip("$var(u)", "sip.example.com", "$var(r)")', 'tel2sip("$ru", "h", "$var(s)")',
                             'tel2sip("TEL:12", "$fd", "$ru")'),
                       '    xlog("L_INFO", "r=$var(r) s=$var(s) ru=$ru\\n");']),
         [req()]),
    Case("e164", R(['    $var(n) = "+4930123456";', '    $var(i) = 12345;',
                    calls('is_e164("$var(n)")', 'is_e164("$rU")', 'is_e164("$var(i)")', 'is_e164("$avp(none)")',
                          'is_uri_user_e164("$ru")', 'is_uri_user_e164("$fu")', 'is_uri_user_e164("$var(n)")',
                          'is_uri_user_e164("$avp(none)")')]),
         [req(ruri="sip:+4930123456@example.com"), req(ruri="sip:+12@example.com"),
          req(ruri="sip:+12345678901234567@x")]),
    Case("cmp", calls('cmp_uri("sip:a@Example.COM", "sip:a@example.com")', 'cmp_uri("sip:A@x", "sip:a@x")',
                      'cmp_uri("sip:a@x;transport=udp", "sip:a@x;TRANSPORT=UDP")',
                      'cmp_uri("sip:a@x;user=phone", "sip:a@x")', 'cmp_uri("sip:a@x;foo=1", "sip:a@x")',
                      'cmp_uri("sip:a@x:5060", "sip:a@x")', 'cmp_uri("sips:a@x", "sip:a@x")',
                      'cmp_uri("bad", "sip:a@x")', 'cmp_aor("sip:a@x:5060", "sip:a@X")',
                      'cmp_aor("sip:a@x:5070", "sip:a@x")', 'cmp_aor("sip:a@x;p=1", "sips:a@x")',
                      'cmp_aor("sip:b@x", "sip:a@x")', 'cmp_hdr_name("Via", "v")', 'cmp_hdr_name("X-A", "x-a")',
                      'cmp_hdr_name("X-A", "X-B")', 'cmp_hdr_name("From", "To")', 'cmp_hdr_name("", "To")',
                      'is_uri("sip:a@b")', 'is_uri("nope")', 'is_uri("$ru")'),
         [req()]),
    Case("set_uri", R(['    $var(u) = "sip:alice@example.com:5060;x=1";', '    $var(v) = "bob";',
                       calls('set_uri_user("$var(u)", "$var(v)")'), '    xlog("L_INFO", "u=$var(u)\\n");',
                       '    $var(v) = "";', calls('set_uri_user("$var(u)", "$var(v)")'), '    xlog("L_INFO", "u=$var(u)\\n");',
                       '    $var(v) = "carol";', calls('set_uri_user("$var(u)", "$var(v)")'),
                       '    xlog("L_INFO", "u=$var(u)\\n");', '    $var(h) = "other.org";',
                       calls('set_uri_host("$var(u)", "$var(h)")'), '    xlog("L_INFO", "u=$var(u)\\n");',
                       calls('set_uri_host("$ru", "$var(h)")'), '    xlog("L_INFO", "ru=$ru\\n");',
                       '    $var(w) = "nocolon";', calls('set_uri_user("$var(w)", "$var(v)")')]),
         [req()]),
    Case("gruu", calls("is_gruu()", 'is_gruu("sip:a@b;gr")', 'is_gruu("sip:a@b;gr=x")', 'is_gruu("sip:a@b")',
                       'is_gruu("::bad")'),
         [req(ruri=RURI), req(ruri="sip:alice@example.com;gr"), req()]),
    Case("supported", calls('is_supported("path")', 'is_supported("100rel")', 'is_supported("timer")',
                            'is_supported("GRUU")', 'is_supported("outbound")', 'is_supported("eventlist")'),
         [req(headers="Supported: path, 100rel\r\nk: gruu\r\n"), req(), req(headers="Supported: pathx,timer\r\n")]),
    Case("first_hop", calls("is_first_hop()", 'is_first_hop("1")'),
         [req(), req(via="Via: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-1\r\n"
                         "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-0\r\n"),
          req(via="Via: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-1, SIP/2.0/UDP 10.0.0.1\r\n"),
          reply(), reply(headers="Record-Route: <sip:10.9.9.9;lr>\r\n")]),
    Case("strings", calls('is_tel_number("+4930")', 'is_tel_number("+0123")', 'is_tel_number("123")',
                          'is_tel_number("12a")', 'is_tel_number("+")', 'is_tel_number("")', 'is_numeric("0099")',
                          'is_numeric("1.5")', 'is_alphanum("abcXYZ09")', 'is_alphanum("a-b")',
                          'is_alphanumex("a-b_c", "-_")', 'is_alphanumex("a b", "-")', 'is_numeric("$rU")'),
         [req(ruri="sip:123@x")]),
    Case("is_user", calls('is_user("bob")'), [req(headers='Authorization: Digest username="bob", realm="x"\r\n')]),
]

GROUPS = [
    Group("siputils", CASES, modules=MODS, replies=True),
    Group("siputils_options", [Case("options2", calls("options_reply()"), [req(ruri="sip:127.0.0.1")])],
          top='modparam("siputils", "options_accept", "application/sdp")\n'
              'modparam("siputils", "options_accept_encoding", "gzip")\n'
              'modparam("siputils", "options_accept_language", "de, en")\n'
              'modparam("siputils", "options_support", "100rel, path")\n', modules=MODS),
]
DATA_FILE = os.path.join(DATA, "siputils.json")


@pytest.fixture(scope="module")
def recorded():
    return check_recorded(DATA_FILE, GROUPS, "siputils")


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_like_kamailio(recorded, group, case):
    assert_like_kamailio(GROUPS, recorded, group, case)


@pytest.mark.parametrize("body, words", [
    ('is_supported("foo");', "unknown option"),
    ('is_e164("abc");', "pseudo-variable"),
    ('tel2sip("$ru", "h", "$rm");', "read-only"),
    ('get_uri_param("a", "$ci");', "read-only"),
    ('set_uri_user("$ci", "$var(x)");', "read-only"),
])
def test_refused_at_load_time(body, words):
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "pv"\nloadmodule "sl"\nloadmodule "siputils"\nrequest_route {\n'
                          + body + "\n}\n", log=Log(debug=2))
    assert "<config>:5:" in str(e.value) and words in str(e.value), str(e.value)


def test_needs_sl():
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "siputils"\nrequest_route {\n has_totag();\n}\n', log=Log(debug=2))
    assert "<config>:1:" in str(e.value) and "sl" in str(e.value), str(e.value)


def test_live_options_reply():
    assert_route_live_like_kamailio(
        ("pv", "xlog", "sl", "textops", "siputils"),
        '    if (is_method("OPTIONS") && uri==myself && $rU==$null) {\n'
        '        options_reply();\n        exit;\n    }\n'
        '    if (has_totag()) { sl_send_reply("404", "No Dialog"); exit; }\n'
        '    sl_send_reply("403", "Forbidden");\n',
        lambda srv: [req(ruri=f"sip:127.0.0.1:{srv.port}", callid="o1"), req("INVITE", to_tag="x", callid="o2"),
                     req("INVITE", callid="o3")])


# ---- live: the recorded cases through a kamlite server, forward() included -----------------------------
@pytest.fixture(scope="module")
def live_diffs(recorded):
    return live_diffs_of(GROUPS, recorded)


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_live_server_like_kamailio(live_diffs, group, case):
    assert_live_like_kamailio(live_diffs, case)
