"""Kamailio's startup rewrites of expressions (rve_optimize), which change results."""
import kamlite
from kamlite.log import Log


def run(body, routes="", debug=2):
    log = Log(debug=debug)
    lines = log.capture()
    program = kamlite.load(text='loadmodule "pv"\nloadmodule "xlog"\nroute[T] {\n' + body + "\n}\n" + routes,
                           log=log)
    del lines[:]
    program.run_route("T")
    return "".join(lines).replace(f"({program.log.pid})", "(PID)")


def test_and_with_constant_one_keeps_the_raw_value():
    # '$v && 1' is rewritten to '(int)$v': -1, not 1
    assert run('$var(m) = -1; $var(x) = $var(m) && 1; xlog("$var(x)");').endswith("-1")
    assert run('$var(m) = -1; $var(o) = 1; $var(x) = $var(m) && $var(o); xlog("$var(x)");').endswith(": 1")


def test_plus_zero_gives_a_function_its_raw_value():
    out = run('$var(x) = route(R) + 0; $var(y) = route(R) * 10; xlog("$var(x) $var(y)");',
              routes="route[R] { return 3; }")
    assert out.endswith("3 10")


def test_constant_string_plus_int_folds_to_a_concatenation():
    assert run('$var(x) = "5" + 2; xlog("$var(x)");').endswith("52")


def test_int_plus_string_constants_is_a_type_error():
    import pytest
    from kamlite.errors import ConfigError
    with pytest.raises(ConfigError) as e:
        run('$var(x) = 2 + "5";')
    assert "type mismatch: str instead of int" in str(e.value)


def test_constant_division_by_zero_fails_at_run_time_not_load_time():
    out = run('$var(x) = 7; $var(x) = 10 / 0; xlog("x=$var(x)");')
    assert "int_intop2(): rv div by 0" in out and out.endswith("x=7")
