"""sanity against Kamailio 5.6.3 (tests/modules/data/sanity.json, recorded with
`python -m tests.modules.sipcases record sanity`), load-time refusals, and a live run."""
import os

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log
from kamlite.modules import sanity as S
from tests.modules.sipcases import (Case, DATA, Group, assert_like_kamailio, assert_live_like_kamailio,
                                    assert_route_live_like_kamailio, case_ids, check_recorded, live_diffs_of,
                                    reply, req)

R = "\n".join
MODS = ("pv", "xlog", "sl", "sanity")


def check(*args) -> str:
    a = ", ".join(f'"{x}"' for x in args)
    return R([f"    sanity_check({a});", '    xlog("L_INFO", "rc=$rc\\n");'])


DIG = 'Authorization: Digest username="bob", realm="x.org", nonce="abc", uri="sip:x.org", response="0123"'

BAD = [
    req(),                                                               # 0 fine
    req(content_length=False),                                           # 1 no Content-Length
    req(content_length="Content-Length: 5\r\n"),                         # 2 mis-match
    req(cseq="1 INVITE"),                                                # 3 method mismatch
    req(cseq="1x OPTIONS"),                                              # 4 number illegal
    req(cseq="4294967296 OPTIONS"),                                      # 5 max + 1 (passes)
    req(cseq="4294967297 OPTIONS"),                                      # 6 too big
    req(headers="Expires: 3600\r\n"),                                    # 7
    req(headers="Expires: 60 sec\r\n"),                                  # 8 text cut at the blank
    req(headers="Expires: Thu, 01 Dec 2022 16:00:00 GMT\r\n"),           # 9 illegal
    req(headers="Expires: \r\n"),                                        # 10 empty
    req(headers="Expires: 12345678901\r\n"),                             # 11 too long
    req(headers="Proxy-Require: foo\r\n"),                               # 12 420
    req(headers="Proxy-Require: foo, bar\r\n"),                          # 13
    req(headers=DIG + "\r\n"),                                           # 14 good digest
    req(headers='Authorization: Digest username="bob", nonce="abc", uri="sip:x", response="1"\r\n'),  # 15 no realm
    req(headers='Authorization: Digest username="", realm="x", nonce="abc", uri="sip:x", response="1"\r\n'),
    req(headers='Authorization: Digest username="b", realm="x", nonce="", uri="sip:x", response="1"\r\n'),
    req(headers='Authorization: Digest username="b", realm="x", nonce="n", uri="sip:x", response=""\r\n'),
    req(headers=DIG + ', qop=auth\r\n'),                                 # 19 qop without cnonce/nc
    req(headers=DIG + ', qop=auth, cnonce="c", nc=00000001\r\n'),        # 20
    req(headers='Authorization: Basic Ym9iOnNlY3JldA==\r\n'),            # 21 not digest
    req(headers='Proxy-Authorization: Digest username="bob", realm="x"\r\n'),  # 22 proxy, missing
    req(headers='Authorization: Digest username="bob\r\n'),               # 23 unterminated quote
    req(headers="Authorization: Digest\r\n"),                            # 24 too short: other scheme
    req("ACK", content_length="Content-Length: 9\r\n"),                  # 25 ACK: no reply
    req(ruri="foo:bar"),                                                 # 26 bad scheme
    req(ruri="sip:@"),                                                   # 27 bad uri
    req(headers="X Y: 1\r\n"),                                           # 28 bad header
    req(headers="Proxy-Require: \r\n"),                                  # 29 empty
    req(cseq="1 options"),                                               # 30 method case
]

CASES = [
    Case("defaults", check(), BAD),
    Case("explicit", R([check("1511", "7"), check("17895", "7"), check("4096"), check("8192")]),
         [req(), req(headers=DIG + "\r\n"), req(headers="Authorization: Basic xx\r\n"),
          req(from_line="From: <sip:bob@>;tag=a\r\n"), req(to_line="To: <sip::x>\r\n"),
          req(from_line="From: <sip:bob@h>;tag=a;tag=b\r\n"), req(to_tag="t1;tag=t2"),
          req(from_line="From: bad <sip:x@h\r\n")]),
    Case("contact", check("1024", "8"),
         [req(headers="Contact: <sip:a@h>;expires=3\r\n"), req(headers="Contact: *\r\n"),
          req(headers="Contact: <sip:@>\r\n"), req(headers="Contact: \"A\" <sip:a@h>, <sip:b@h>\r\n"),
          req(headers="Contact: <sip:a@h\r\n"), req()]),
    Case("ranges", R([check("0"), check("32768"), check("1", "0"), check("1", "16"), check("1", "15")]),
         [req()]),
    Case("replies", check(), [reply(), reply(reason="x/2.0")]),
]

GROUPS = [
    Group("sanity", CASES, modules=MODS, replies=True),
    Group("sanity_nodrop", [Case("nodrop", check(), [BAD[0], BAD[2], BAD[12], BAD[21]])],
          top='modparam("sanity", "autodrop", 0)\n', modules=MODS),
    Group("sanity_noreply", [Case("noreply", R([check(), "    sanity_reply();",
                                                '    xlog("L_INFO", "after rc=$rc\\n");']),
                                  [BAD[0], BAD[2], BAD[3]])],
          top='modparam("sanity", "autodrop", 0)\nmodparam("sanity", "noreply", 1)\n', modules=MODS),
    Group("sanity_params", [Case("params", check(), [BAD[12], BAD[13], req(headers="Proxy-Require: bar\r\n"),
                                                     BAD[2], req(headers="Expires: x\r\n")])],
          top='modparam("sanity", "proxy_require", " foo , bar")\n'
              'modparam("sanity", "default_checks", 769)\n', modules=MODS),
]
DATA_FILE = os.path.join(DATA, "sanity.json")


@pytest.fixture(scope="module")
def recorded():
    return check_recorded(DATA_FILE, GROUPS, "sanity")


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_like_kamailio(recorded, group, case):
    assert_like_kamailio(GROUPS, recorded, group, case)


def test_helpers():
    assert S.str2valid_uint("4294967295") and S.str2valid_uint("4294967296")
    assert not S.str2valid_uint("4294967297") and not S.str2valid_uint("12345678901")
    assert S.parse_str_list(" a , b,c ") == ["a", "b", "c"]
    assert S.parse_str_list("  ") is None
    assert S.parse_digest_cred('Digest username="a", realm=x') == {"username": "a", "realm": "x"}
    assert S.parse_digest_cred("Basic abc") == 1
    assert S.parse_digest_cred('Digest username="a') is None


@pytest.mark.parametrize("body", ['sanity_check("x");', 'sanity_check("1", "y");', 'sanity_check("1", "2", "3");'])
def test_refused_at_load_time(body):
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "sl"\nloadmodule "sanity"\nrequest_route {\n' + body + "\n}\n",
                     log=Log(debug=2))
    assert "<config>:4:" in str(e.value), str(e.value)


def test_needs_sl():
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "sanity"\nrequest_route {\n sanity_check();\n}\n', log=Log(debug=2))
    assert "<config>:1:" in str(e.value) and "sl" in str(e.value), str(e.value)


def test_live_debian_style():
    assert_route_live_like_kamailio(
        MODS, '    if(!sanity_check("1511", "7")) {\n'
              '        xlog("Malformed SIP message from $si:$sp\\n");\n        exit;\n    }\n'
              '    sl_send_reply("200", "OK");\n',
        [BAD[0], BAD[2], BAD[4], BAD[26]])


# ---- live: the recorded cases through a kamlite server, forward() included -----------------------------
@pytest.fixture(scope="module")
def live_diffs(recorded):
    return live_diffs_of(GROUPS, recorded)


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_live_server_like_kamailio(live_diffs, group, case):
    assert_live_like_kamailio(live_diffs, case)
