"""Compiled routes: control flow, return codes and the generated code's shape."""
import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log


def load(body, routes="", top=""):
    log = Log(debug=3)
    lines = log.capture()
    program = kamlite.load(text="debug=3\n" + top + '\nloadmodule "pv"\nloadmodule "xlog"\nroute[T] {\n' + body +
                           "\n}\n" + routes, log=log)
    del lines[:]
    return program, lines


def run(body, routes="", top=""):
    program, lines = load(body, routes, top)
    ctx = program.run_route("T")
    return ctx, "".join(lines)


def test_return_zero_ends_the_whole_run():
    ctx, out = run('route(Z); xlog("not reached");', "route[Z] { return 0; }")
    assert "not reached" not in out


def test_break_in_a_sub_route_returns_zero_and_continues():
    ctx, out = run('route(B); xlog("rc=$rc");', "route[B] { break; }")
    assert out.endswith("rc=0")


def test_falling_off_a_route_gives_the_last_action_value():
    ctx, out = run('route(L); xlog("rc=$rc");', 'route[L] { $var(x) = 1; }')
    assert out.endswith("rc=1")


def test_if_needs_positive_and_while_needs_nonzero():
    ctx, out = run('$var(n) = -1; if ($var(n)) xlog("if-true "); $var(c) = 0;'
                   'while ($var(n)) { $var(c) = $var(c) + 1; if ($var(c) == 3) break; }'
                   'xlog("c=$var(c)");')
    assert out.endswith("c=3") and "if-true" not in out


def test_switch_falls_through_until_break():
    ctx, out = run('switch (2) { case 1: xlog("1 "); case 2: xlog("2 "); case 3: xlog("3 "); break; '
                   'case 4: xlog("4 "); default: xlog("d "); }')
    assert out.replace(" 0(", "\n 0(").count("<script>") == 2 and "2 " in out and "3 " in out


def test_int_only_vars_are_read_without_type_checks():
    program, _ = load('$var(i) = 0; while ($var(i) < 3) { $var(i) = $var(i) + 1; }'
                      '$var(s) = "a"; $var(s) = $var(s) + 1;')
    src = program.compiler.source
    assert "V[0] < 3" in src                       # $var(i): int only
    assert "(_t := V[1]).__class__" in src         # $var(s): may be a string


def test_errors_are_all_reported_with_places():
    with pytest.raises(ConfigError) as e:
        load('nosuch(1);\n$var(x) = $nosuch;\nroute(NOPE);\n$rc = 1;')
    msgs = [(d.loc.line, d.message.split(" (")[0]) for d in e.value.diagnostics]
    assert [m[0] for m in msgs] == [6, 7, 8, 9]
    assert "unknown function nosuch()" in msgs[0][1]
    assert "read only pvar" in msgs[3][1]


def test_wrong_parameter_count_is_refused():
    with pytest.raises(ConfigError) as e:
        load('xlog("L_INFO", "a", "b", "c");')
    assert "takes 1 or 2 or 3 parameters, 4 given" in str(e.value)


def test_non_constant_xlog_format_is_refused():
    with pytest.raises(ConfigError) as e:
        load('xlog("L_INFO", "a" + $var(x));')
    assert "parameter 2 is not constant" in str(e.value)


def test_dynamic_route_name():
    ctx, out = run('$var(r) = "A"; route($var(r)); xlog("rc=$rc");', 'route[A] { return 7; }')
    assert out.endswith("rc=7")


def test_runaway_recursion_stops_like_kamailio():
    # Kamailio 5.6.3: 255 nested calls run, the next fails with -1 and the run goes on
    ctx, out = run('$var(d) = 0; route(R); xlog("L_INFO", "d=$var(d) rc=$rc");',
                   'route[R] { $var(d) = $var(d) + 1; route(R); }')
    lines = out.strip().split("\n")
    assert lines[0].endswith("run_actions(): too many recursive routing table lookups (257) giving up!")
    assert lines[1].endswith("d=255 rc=-1")


def test_nested_blocks_count_as_levels():
    ctx, out = run('$var(d) = 0; route(R); xlog("L_INFO", "d=$var(d)");',
                   'route[R] { $var(d) = $var(d) + 1; if (1) { route(R); } }')
    assert out.strip().split("\n")[-1].endswith("d=128")
