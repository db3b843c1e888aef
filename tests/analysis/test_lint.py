"""kamlite -c lint warnings: each rule fires on its fixture, stays quiet on correct configs,
and never turns what Kamailio refuses into a warning."""
import glob
import json
import os
import subprocess
import sys

import pytest

from kamlite.analysis import lint as L
from kamlite.cfg.parser import parse_file, parse_text
from tests.conftest import need_program

HERE = os.path.dirname(__file__)
FIXTURES = os.path.join(HERE, "fixtures")
ROOT = os.path.dirname(os.path.dirname(HERE))
DEBIAN_CFG = "/etc/kamailio/kamailio.cfg"
DEBIAN_DEFINES = ["WITH_MYSQL", "WITH_AUTH", "WITH_USRLOCDB", "WITH_PRESENCE", "WITH_NAT", "WITH_PSTN",
                  "WITH_JSONRPC", "WITH_VOICEMAIL", "WITH_ANTIFLOOD", "WITH_IPAUTH", "WITH_ALIASDB",
                  "WITH_SPEEDDIAL", "WITH_ACCDB", "WITH_BLOCK3XX", "WITH_NATSIPPING", "WITH_WEBSOCKETS"]


def kamlite(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kamlite", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def fixture(name: str) -> str:
    return os.path.join(FIXTURES, name)


def check(name: str, *flags) -> tuple[int, list[str]]:
    """kamlite -c on a fixture: exit code and stderr lines, paths relative to the fixtures."""
    r = kamlite("-c", *flags, "-f", fixture(name))
    assert "Traceback" not in r.stderr
    return r.returncode, r.stderr.replace(FIXTURES + "/", "").splitlines()


def codes(text: str, program=None) -> list[tuple[int, str, str]]:
    return [(d.loc.line, d.severity, d.code) for d in L.run(parse_text(text), program)]


# ---- each rule fires on its fixture -------------------------------------------------------------
def test_unused_route():
    rc, lines = check("unused_route.cfg")
    assert rc == 0
    assert lines == [
        "unused_route.cfg:8:1: warning: route[UNUSED] is never used: no route(), route_if_exists(), "
        "rtimer exec ... names it [unused-route]",
        "unused_route.cfg:9:1: warning: route[SELF] is never used: no route(), route_if_exists(), "
        "rtimer exec ... names it [unused-route]",
        "config file ok, exiting...",
    ]


def test_undefined_route():
    rc, lines = check("undefined_route.cfg")
    assert rc == 0
    assert lines == [
        'undefined_route.cfg:7:28: warning: rtimer exec names route "MISSING", which is not defined: '
        "the timer runs nothing [undefined-route]",
        "undefined_route.cfg:9:2: warning: route_if_exists() names route[NOPE], which is not defined: "
        "the call does nothing [undefined-route]",
        "undefined_route.cfg:10:6: warning: check_route_exists() names route[GONE], which is not defined: "
        "it returns -1 [undefined-route]",
        "undefined_route.cfg:12:2: warning: route() may look up route[ALSO_MISSING] at run time, which is "
        "not defined [undefined-route]",
        "config file ok, exiting...",
    ]


def test_undefined_route_of_tm_functions():
    # tm is not in kamlite yet: the rule works on the syntax tree alone
    found = codes('request_route {\n t_on_failure("F");\n t_on_reply("NOR");\n t_on_branch("B");\n'
                  ' t_on_failure("0");\n}\nfailure_route[F] { exit; }\n')
    assert found == [(3, "warning", "undefined-route"), (4, "warning", "undefined-route")]


def test_var_before_set():
    rc, lines = check("var_before_set.cfg")
    assert rc == 0
    assert lines == [
        "var_before_set.cfg:5:24: warning: $var(count) is read before any assignment in request_route: "
        "it holds 0 or what a previous run left in this process [var-before-set]",
        "var_before_set.cfg:7:18: warning: $var(typo) is never assigned: it is always 0 [var-before-set]",
        "config file ok, exiting...",
    ]


def test_undefined_queue():
    rc, lines = check("undefined_queue.cfg")
    assert rc == 0
    defined = '(defined: jobs, events) [undefined-queue]'
    assert lines == [
        f'undefined_queue.cfg:9:9: warning: mq_add() uses queue "jbos", which no modparam("mqueue", '
        f'"mqueue", "name=...") defines {defined}',
        f'undefined_queue.cfg:11:33: warning: $mq_size uses queue "evnets", which no modparam("mqueue", '
        f'"mqueue", "name=...") defines {defined}',
        f'undefined_queue.cfg:14:6: warning: $mqk uses queue "jbos", which no modparam("mqueue", '
        f'"mqueue", "name=...") defines {defined}',
        "config file ok, exiting...",
    ]


def test_duplicate_request_route():
    rc, lines = check("duplicate_route.cfg")
    assert rc == 0
    assert lines == [
        "duplicate_route.cfg:7:1: warning: request_route is declared again: Kamailio appends its actions "
        "to the one at line 4 [duplicate-route]",
        "config file ok, exiting...",
    ]


def test_clean_fixture_has_no_warning():
    rc, lines = check("clean.cfg")
    assert (rc, lines) == (0, ["config file ok, exiting..."])


# ---- --strict and --json ------------------------------------------------------------------------------
def test_strict_makes_warnings_errors():
    rc, lines = check("unused_route.cfg", "--strict")
    assert rc == 1
    assert lines[0].startswith("unused_route.cfg:8:1: error: route[UNUSED] is never used")
    assert lines[0].endswith("[unused-route]")
    assert lines[-1] == "ERROR: bad config file (2 errors)"
    assert check("clean.cfg", "--strict") == (0, ["config file ok, exiting..."])


def test_json_warnings():
    r = kamlite("-c", "--json", "-f", fixture("var_before_set.cfg"))
    assert r.returncode == 0
    diags = json.loads(r.stdout)
    assert diags == [
        {"file": fixture("var_before_set.cfg"), "line": 5, "col": 24, "end_line": 5, "end_col": 34,
         "severity": "warning", "code": "var-before-set",
         "message": "$var(count) is read before any assignment in request_route: it holds 0 or what a "
                    "previous run left in this process"},
        {"file": fixture("var_before_set.cfg"), "line": 7, "col": 18, "end_line": 7, "end_col": 27,
         "severity": "warning", "code": "var-before-set",
         "message": "$var(typo) is never assigned: it is always 0"},
    ]


def test_json_errors_and_warnings_together(tmp_path):
    p = tmp_path / "both.cfg"
    p.write_text('loadmodule "pv.so"\nrequest_route {\n  nosuch();\n}\nroute[U] { exit; }\n')
    r = kamlite("-c", "--json", "-f", str(p))
    assert r.returncode == 1
    diags = json.loads(r.stdout)                   # stdout: stderr may carry log lines
    assert [(d["line"], d["severity"], d["code"]) for d in diags] == [
        (3, "error", "unknown-function"), (5, "warning", "unused-route")]
    r = kamlite("-c", "--json", "--strict", "-f", str(p))
    assert [d["severity"] for d in json.loads(r.stdout)] == ["error", "error"]


def test_warnings_join_errors_in_text(tmp_path):
    p = tmp_path / "both.cfg"
    p.write_text('loadmodule "pv.so"\nrequest_route {\n  nosuch();\n}\nroute[U] { exit; }\n')
    r = kamlite("-c", "-f", str(p))
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f"{p}:3:3: error: unknown function nosuch()")
    assert lines[1].startswith(f"{p}:5:1: warning: route[U] is never used")
    assert lines[-1] == "ERROR: bad config file (1 errors)"


# ---- what Kamailio refuses stays an error ---------------------------------------------------------
@pytest.mark.parametrize("text,message", [
    ('request_route { route(NOPE); }\n', 'error: route "NOPE" not found'),
    ('request_route { route(A); }\nroute[A] { exit; }\nroute[A] { drop; }\n', "error: duplicate route route:A"),
    ('modparam("mqueue", "mqueue", "name=a")\nrequest_route { exit; }\n',
     "error: modparam for module 'mqueue', which is not loaded"),
    ('#!ifdef X\nrequest_route { exit; }\n', "error: #!ifdef/#!ifndef opened here is never closed"),
])
def test_kamailio_errors_stay_errors(tmp_path, text, message):
    p = tmp_path / "e.cfg"
    p.write_text(text)
    r = kamlite("-c", "-f", str(p))
    assert r.returncode == 1
    assert message in r.stderr
    assert "warning" not in r.stderr                # not repeated as a warning
    assert r.stderr.splitlines()[-1] == "ERROR: bad config file (1 errors)"


def test_without_program_the_linter_reports_kamailio_errors_itself():
    found = codes('request_route { route(NOPE); }\nroute[A] { exit; }\nroute[A] { exit; }\n'
                  'route { exit; }\nroute[0] { exit; }\n')
    assert found == [(1, "error", "undefined-route"), (2, "warning", "unused-route"),
                     (3, "error", "duplicate-route"), (4, "warning", "duplicate-route"),
                     (5, "error", "duplicate-route")]


def test_kamailio_accepts_what_the_linter_warns_about():
    """The warning cases start and run under the real Kamailio, which logs at run time
    what the linter says at check time; the error cases do not start."""
    need_program("kamailio", "kamailio")
    from tests.oracle.kamailio_run import run_body
    top = ('modparam("mqueue", "mqueue", "name=jobs")\n'
           'modparam("rtimer", "timer", "name=t;interval=60;mode=0;")\n'
           'modparam("rtimer", "exec", "timer=t;route=MISSING")\n')
    body = ('xlog("L_INFO", "typo=$var(typo)\\n");\n'
            'route_if_exists("NOPE");\n'
            'if (!check_route_exists("GONE")) { xlog("L_INFO", "no GONE\\n"); }\n'
            'mq_add("jbos", "k", "v");\n')
    routes = 'route[UNUSED] { exit; }\nrequest_route { xlog("L_INFO", "appended\\n"); }\n'
    res = run_body(body, top=top, routes=routes, modules=("pv", "xlog", "cfgutils", "mqueue", "rtimer"))
    assert res["ok"], res["stderr"]
    text = "\n".join(res["lines"])
    assert "typo=0" in text and "no GONE" in text and "mqueue not found: jbos" in text
    refused = run_body("exit;", routes="route[A] { exit; }\nroute[A] { exit; }\n", timeout=5)
    assert not refused["ok"] and "duplicate route" in refused["stderr"]
    refused = run_body("route(NOPE);", timeout=5)
    assert not refused["ok"] and 'route "NOPE" not found' in refused["stderr"]


# ---- no false warnings on real configs ------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "examples", "*.cfg"))))
def test_examples_have_no_false_route_or_queue_warnings(path):
    r = kamlite("-c", "--json", "-f", path)
    assert r.returncode == 0, r.stderr
    found = [d for d in json.loads(r.stdout) if d["code"] in ("unused-route", "undefined-route",
                                                             "duplicate-route", "undefined-queue")]
    assert found == []


@pytest.mark.parametrize("defines", [[], DEBIAN_DEFINES], ids=["default", "all-defines"])
def test_debian_config_has_no_unused_route(defines):
    if not os.path.exists(DEBIAN_CFG):
        pytest.skip(f"{DEBIAN_CFG} is not installed (Debian package kamailio)")
    config = parse_file(DEBIAN_CFG, defines={d: None for d in defines})
    assert L.run(config) == []
    # the full check fails on modules kamlite does not have yet; it still lints
    args = ["-c", "--json", "-f", DEBIAN_CFG] + [a for d in defines for a in ("-A", d)]
    diags = json.loads(kamlite(*args).stdout)
    assert [d for d in diags if d["severity"] == "warning"] == []


# ---- rule details -----------------------------------------------------------------------------------
def test_var_rule_follows_calls():
    base = 'loadmodule "pv.so"\n'
    # caller assigns before route(X); callee assigns before the caller reads
    assert codes('request_route {\n $var(a) = 1;\n route(X);\n xlog("$var(b) \\n");\n}\n'
                 'route[X] { xlog("$var(a) \\n"); $var(b) = 2; }\n') == []
    # a second caller that does not assign: still fine (any caller counts)
    assert codes('request_route {\n $var(a) = 1;\n route(X);\n}\nevent_route[e:x] { route(X); }\n'
                 'route[X] { xlog("$var(a) \\n"); }\n') == []
    # read before the call that assigns
    assert codes('request_route {\n xlog("$var(b) \\n");\n route(X);\n}\nroute[X] { $var(b) = 2; }\n') == [
        (2, "warning", "var-before-set")]
    # timer routes start with nothing assigned; varset gives a value everywhere
    assert codes(base + 'modparam("pv", "varset", "v=i:1")\nmodparam("rtimer", "exec", "timer=t;route=T")\n'
                 'request_route { exit; }\nroute[T] { $var(n) = $var(n) + $var(v); }\n') == [
        (5, "warning", "var-before-set")]


def test_var_rule_reads_and_writes():
    # 'defined', pv_isset, a lone PV given to an unknown function (maybe an output): no warning
    assert codes('request_route {\n if (defined $var(a)) { exit; }\n if (pv_isset("$var(b)")) { exit; }\n'
                 ' pv_printf("$var(c)", "x");\n xlog("$var(c) \\n");\n jansson_get("k", "$var(c)", $var(d));\n'
                 ' xlog("$var(d)\\n");\n}\n') == []
    # a string in an expression is not a format string; one warning per variable and route
    assert codes('request_route {\n $var(s) = "$var(nope)";\n xlog("$var(x) $var(x)\\n");\n'
                 ' $var(x) = $var(x) + 1;\n $var(i) = $(var(i){s.int});\n}\n') == [
        (3, "warning", "var-before-set"), (5, "warning", "var-before-set")]
    # routes that nothing calls are left to unused-route
    assert codes('request_route { exit; }\nroute[U] { xlog("$var(z)\\n"); }\n') == [(2, "warning", "unused-route")]


def test_unused_route_mentions_unresolved_run_time_names():
    ds = L.run(parse_text('request_route { route($rU); }\nroute[A] { exit; }\n'))
    assert [d.code for d in ds] == ["unused-route"]
    assert ds[0].message.endswith("(unless a run-time name reaches it: route($rU) at <config>:1)")


def test_rules_have_codes_and_docstrings():
    assert [c for c, _ in L.RULES] == ["undefined-route", "duplicate-route", "unused-route", "var-before-set",
                                       "undefined-queue"]
    for code, fn in L.RULES:
        assert fn.__doc__.startswith(code + ":")


def test_var_rule_uses_the_parameter_kinds_of_a_loaded_program():
    from kamlite.script.resolve import Program
    text = ('loadmodule "pv.so"\nloadmodule "mqueue.so"\nloadmodule "sl.so"\nloadmodule "siputils.so"\n'
            'modparam("mqueue", "mqueue", "name=q")\nrequest_route {\n mq_size("$var(q)");\n'
            ' get_uri_param("p", "$var(v)");\n mq_size("$var(v)");\n}\n')
    # without the program, mq_size's lone "$var(q)" may be an output parameter
    assert codes(text) == []
    config = parse_text(text)
    program = Program(config, "<config>")
    program.load()
    # with it, mq_size reads a format string and get_uri_param writes $var(v)
    assert [(d.loc.line, d.code) for d in L.run(config, program)] == [(7, "var-before-set")]
