"""maxfwd against Kamailio 5.6.3 (tests/modules/data/maxfwd.json, recorded with
`python -m tests.modules.sipcases record maxfwd`), load-time refusals, and a live run."""
import os

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log
from tests.modules.sipcases import (Case, DATA, Group, Kamlite, assert_like_kamailio,
                                    assert_live_like_kamailio, assert_route_live_like_kamailio, case_ids,
                                    check_recorded, live_diffs_of, req)

R = "\n".join
MODS = ("pv", "xlog", "sl", "maxfwd")


def mf(value):
    return f"Max-Forwards: {value}\r\n"


SHOW = '    xlog("L_INFO", "rc=$rc mf=[$hdr(Max-Forwards)]\\n");'

CASES = [
    Case("process", R(['    xlog("L_INFO", "before=[$hdr(Max-Forwards)]\\n");',
                       '    $var(r) = mf_process_maxfwd_header("10");',
                       '    xlog("L_INFO", "r=$var(r) mf=[$hdr(Max-Forwards)]\\n");',
                       '    $var(r) = mf_process_maxfwd_header("10");',
                       '    xlog("L_INFO", "r=$var(r) mf=[$hdr(Max-Forwards)]\\n");']),
         [req(), req(maxfwd=mf(10)), req(maxfwd=mf(1)), req(maxfwd=mf(0)), req(maxfwd=""),
          req(maxfwd=mf(100)), req(maxfwd=mf(71)), req(maxfwd=mf("abc")), req(maxfwd=mf("99999")),
          req(maxfwd=mf("123456")), req(maxfwd=mf("007")), req(maxfwd="Max-Forwards:   5\r\n"),
          req(maxfwd=mf("5 6")), req(maxfwd="Max-Forwards:\r\n"), req(maxfwd=mf("65537"))]),
    Case("trailing_blanks", R(['    mf_process_maxfwd_header("10");',
                               '    xlog("L_INFO", "rc=$rc mf=[$hdr(Max-Forwards)]\\n");']),
         [req(maxfwd="Max-Forwards: 5  \r\n"), req(maxfwd="Max-Forwards: 10\t\r\n")]),
    Case("stock", R(['    if (!mf_process_maxfwd_header("10")) {',
                     '        sl_send_reply("483", "Too Many Hops");',
                     '        exit;',
                     '    }',
                     '    xlog("L_INFO", "went on: $hdr(Max-Forwards)\\n");']),
         [req(), req(maxfwd=mf(0)), req(maxfwd=mf("x")), req(maxfwd="")]),
    Case("limits", R(['    $var(l) = 300;', '    mf_process_maxfwd_header("$var(l)");', SHOW,
                      '    $var(l) = -1;', '    mf_process_maxfwd_header("$var(l)");', SHOW,
                      '    $var(l) = 3;', '    maxfwd_process("$var(l)");', SHOW,
                      '    process_maxfwd("255");', SHOW]),
         [req(), req(maxfwd="")]),
    Case("lt", R(['    is_maxfwd_lt("70");', SHOW, '    is_maxfwd_lt("71");', SHOW, '    is_maxfwd_lt("5");', SHOW,
                  '    maxfwd_at_least("0");', SHOW, '    mf_lowlimit("256");', SHOW,
                  '    mf_process_maxfwd_header("10");', '    is_maxfwd_lt("70");', SHOW]),
         [req(), req(maxfwd=mf(3)), req(maxfwd=""), req(maxfwd=mf("bad")), req(maxfwd=mf(70))]),
]

GROUPS = [
    Group("maxfwd", CASES, modules=MODS),
    Group("maxfwd_limit", [Case("limit10", R(['    mf_process_maxfwd_header("70");', SHOW,
                                              '    mf_process_maxfwd_header("70");', SHOW]),
                                [req(), req(maxfwd=mf(11)), req(maxfwd=mf(10)), req(maxfwd=mf(9))])],
          top='modparam("maxfwd", "max_limit", 10)\n', modules=MODS),
]
DATA_FILE = os.path.join(DATA, "maxfwd.json")


@pytest.fixture(scope="module")
def recorded():
    return check_recorded(DATA_FILE, GROUPS, "maxfwd")


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_like_kamailio(recorded, group, case):
    assert_like_kamailio(GROUPS, recorded, group, case)


def test_the_script_sees_the_decremented_value():
    kl = Kamlite(Group("x", [Case("see", R(['    mf_process_maxfwd_header("10");',
                                             '    if (search("^Max-Forwards: +9")) xlog("L_INFO", "found\\n");']),
                                  [])], modules=MODS + ("textops",)))
    replies, changed, lines, msg = kl.run(req(callid="see", maxfwd=mf(10)))
    assert lines == ["INFO: <script>: found"]
    assert "Max-Forwards:  9\r\n" in msg.buf
    assert not msg.lumps


@pytest.mark.parametrize("body", ['mf_process_maxfwd_header("ten");', 'is_maxfwd_lt("x");',
                                  'mf_process_maxfwd_header("10", "1");'])
def test_refused_at_load_time(body):
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "maxfwd"\nrequest_route {\n' + body + "\n}\n", log=Log(debug=2))
    assert "<config>:3:" in str(e.value) and "error: function" in str(e.value)


def test_live():
    assert_route_live_like_kamailio(
        MODS, '    if (!mf_process_maxfwd_header("10")) {\n'
              '        sl_send_reply("483", "Too Many Hops");\n        exit;\n    }\n'
              '    xlog("L_INFO", "mf=[$hdr(Max-Forwards)]\\n");\n    sl_send_reply("200", "OK");\n',
        [req(), req(maxfwd=mf(0)), req(maxfwd="")])


# ---- live: the recorded cases through a kamlite server, forward() included -----------------------------
@pytest.fixture(scope="module")
def live_diffs(recorded):
    return live_diffs_of(GROUPS, recorded)


@pytest.mark.parametrize("group, case", case_ids(GROUPS))
def test_live_server_like_kamailio(live_diffs, group, case):
    assert_live_like_kamailio(live_diffs, case)
