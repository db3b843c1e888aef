"""cfgutils (kamlite/modules/cfgutils.py).

Expected numbers (hashes, lock slots, return codes) were observed with Kamailio 5.6.3
(tests/oracle/kamailio_run.py); the oracle cases in tests/oracle/cases/08_cfgutils.txt
cover the script-level behaviour, these tests the pieces and the paths they do not.
"""
import os
import re
import threading
import time

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log
from kamlite.modules import cfgutils as CU


def load(body=";", routes="", top="", debug=2, init=True):
    cfg = f"""#!KAMAILIO
debug={debug}
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "cfgutils.so"
{top}
request_route {{ xlog("L_INFO", "in request_route\\n"); exit; }}
event_route[core:worker-one-init] {{
{body}
}}
{routes}
"""
    log = Log(debug=debug)
    lines = log.capture()
    program = kamlite.load(text=cfg, path="t.cfg", log=log, init=init)
    return program, lines


def run(body, routes="", top="", debug=2):
    """Lines (without the 'N(pid) LEVEL: ' prefix) the body logs when run."""
    program, lines = load(body, routes, top, debug)
    del lines[:]
    program.run("event:core:worker-one-init")
    return [line.split(": ", 1)[1].rstrip("\n") for line in lines]


def state_of(program):
    return program.modules["cfgutils"].state


# ---- core_hash / core_case_hash ---------------------------------------------------------------
@pytest.mark.parametrize("s1,s2,size,expected", [
    ("abc", None, 2, 0),                 # core_hash("abc", "", 0) = 1 = slot 0 + 1
    ("abc", None, 256, 66),
    ("abc", "def", 65536, 22897),
    ("sip:alice@example.com", None, 16, 11),
    ("alice", "x", 1024, 84),
    ("", None, 256, 0),
    ("abc", None, 1 << 31, 7167810),
    ("\xe9t\xe9\xff\x80abc", "X\xc8", 1 << 31, 81789451),   # bytes > 127 are signed chars
    ("\xe9", None, 1 << 31, 1612906964),
    ("abcdefgh", "ijklmnopq", 1 << 31, 473696884),
    ("ABCDEFGHIJ", "k", 1 << 20, 33445),
])
def test_core_hash_matches_kamailio(s1, s2, size, expected):
    assert CU.core_hash(s1, s2, size) == expected


@pytest.mark.parametrize("key,size,slot", [
    ("abc", 8, 2), ("Abc", 8, 2), ("ABC", 8, 2),
    ("abc", 1 << 14, 8002), ("Hello World", 1 << 14, 14713),
    ("\xe9\xc9Z", 1 << 14, 5501), ("sip:alice@EXAMPLE.com", 1 << 14, 12731),
])
def test_core_case_hash_lock_slots(key, size, slot):
    assert CU.core_case_hash(key, None, size) == slot


def test_core_hash_without_size_is_the_hash_id():
    h = CU.core_hash("abc", None, 0)
    assert h & 1 == 0 and h & 0x7FFFFFFF == 7167810


def test_str2int_partial_like_c():
    assert CU.str2int_partial("42") == (True, 42)
    assert CU.str2int_partial("+42") == (True, 42)
    assert CU.str2int_partial("") == (True, 0)
    assert CU.str2int_partial("5x") == (False, 5)
    assert CU.str2int_partial("-5") == (False, 0)
    assert CU.str2int_partial("4294967295") == (True, 4294967295)
    assert CU.str2int_partial("4294967296") == (False, 4294967295)


# ---- core_hash in scripts -------------------------------------------------------------------
def test_core_hash_size_edge_values():
    out = run('$var(a) = core_hash("abc", "", 31); $var(b) = core_hash("abc", "", 32);'
              '$var(c) = core_hash("abc", "", 33); $var(d) = core_hash("abc", "", -3);'
              'xlog("L_INFO", "a=$var(a) b=$var(b) c=$var(c) d=$var(d)\\n");')
    assert out == ["<script>: a=7167811 b=1 c=1 d=1"]


def test_core_hash_size_from_pv_needs_an_int_value():
    out = run('$var(n) = 3; $var(a) = core_hash("x", "", "$var(n)");'
              '$var(t) = "3"; $var(b) = core_hash("x", "", "$var(t)");'
              'xlog("L_INFO", "a=$var(a) b=$var(b)\\n");')
    assert out == [
        "<core> [core/sr_module.c:1763]: get_int_fparam(): Could not convert PV to int",
        "cfgutils [cfgutils.c:988]: w_core_hash(): invalid size paramerer",
        "<script>: a=8 b=-1",
    ]


@pytest.mark.parametrize("call", ['core_hash("x", "", "abc")', 'core_hash("x", "", " 3")',
                                  'core_hash($var(s), "", 3)'])
def test_core_hash_refused(call):
    with pytest.raises(ConfigError):
        load(call + ";")


# ---- probability -----------------------------------------------------------------------------
@pytest.mark.parametrize("arg,expected", [("5x", "a=5"), ("40", "a=40"), ("+7", "a=7")])
def test_rand_set_prob_parses_like_str2int(arg, expected):
    out = run(f'rand_set_prob("{arg}"); $var(a) = rand_get_prob(); xlog("L_INFO", "{expected}\\n");')
    assert out == [f"<script>: {expected}"]


@pytest.mark.parametrize("arg", ["abc", "", "-5"])
def test_rand_set_prob_garbage_is_zero_and_get_ends_the_script(arg):
    out = run(f'rand_set_prob("{arg}"); rand_get_prob(); xlog("L_INFO", "after\\n");')
    assert out == []


@pytest.mark.parametrize("arg", ["101", "99999999999"])
def test_rand_set_prob_refused(arg):
    with pytest.raises(ConfigError, match="invalid probability"):
        load(f'rand_set_prob("{arg}");')


def test_initial_probability_over_100_refused():
    with pytest.raises(ConfigError, match="invalid probability <150>"):
        load('xlog("x\\n");', top='modparam("cfgutils", "initial_probability", 150)')


def test_initial_probability_negative_accepted():
    out = run('$var(a) = rand_get_prob(); $var(b) = rand_event(); xlog("L_INFO", "a=$var(a) b=$var(b)\\n");',
              top='modparam("cfgutils", "initial_probability", -5)')
    assert out == ["<script>: a=-5 b=-1"]


def test_rand_event_extremes_and_debug_lines():
    out = run('rand_set_prob("100"); $var(a) = rand_event(); rand_set_prob("0"); $var(b) = rand_event();'
              'xlog("L_INFO", "a=$var(a) b=$var(b)\\n");', debug=3)
    assert out == ["<script>: a=1 b=-1"]
    out = run('rand_set_prob("50"); $var(a) = rand_event();', debug=3)
    assert out[0].startswith("cfgutils [cfgutils.c:578]: ki_rand_event(): generated random 0.")
    assert len(out[0].rsplit(" ", 1)[1]) == 8          # %f: six decimals
    assert out[1] in ("cfgutils [cfgutils.c:580]: ki_rand_event(): return true",
                      "cfgutils [cfgutils.c:584]: ki_rand_event(): return false")


def test_random_pv_is_an_int_in_range():
    out = run('$var(r) = $RANDOM; if ($var(r) >= 0 && $var(r) <= 2147483647) { xlog("L_INFO", "ok\\n"); }'
              '$var(s) = $RANDOM + 1; if ($var(s) > 0) { xlog("L_INFO", "int\\n"); }')
    assert out == ["<script>: ok", "<script>: int"]


# ---- global flags ----------------------------------------------------------------------------
def test_gflags_forms():
    out = run('set_gflag("+2"); set_gflag(""); set_gflag(4);'
              'if (is_gflag("2")) { xlog("L_INFO", "two\\n"); }'
              'if (is_gflag("0")) { xlog("L_INFO", "zero\\n"); }'
              'if (is_gflag(4)) { xlog("L_INFO", "four\\n"); }'
              'reset_gflag("2"); if (!is_gflag("2")) { xlog("L_INFO", "two off\\n"); }')
    assert out == ["<script>: two", "<script>: zero", "<script>: four", "<script>: two off"]


def test_initial_gflags_negative_sets_all():
    out = run('if (is_gflag("31")) { xlog("L_INFO", "31\\n"); } if (is_gflag("0")) { xlog("L_INFO", "0\\n"); }',
              top='modparam("cfgutils", "initial_gflags", -1)')
    assert out == ["<script>: 31", "<script>: 0"]


@pytest.mark.parametrize("call,message", [('set_gflag("32")', "flag <32> out of range [0..31]"),
                                          ('is_gflag("$var(f)")', "bad number <$var(f)>"),
                                          ('reset_gflag("x1")', "bad number <x1>")])
def test_gflags_refused(call, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(call + ";")


def test_gflags_are_shared_by_the_program():
    program, _ = load('set_gflag("3");')
    program.run("event:core:worker-one-init")
    assert state_of(program).shared.gflags == 8


# ---- sleep / usleep --------------------------------------------------------------------------
def test_sleep_values():
    out = run('sleep("0"); $var(a) = $rc; usleep("1"); $var(b) = $rc; $var(s) = 0; sleep($var(s));'
              '$var(c) = $rc; $var(t) = "0"; sleep($var(t)); $var(d) = $rc; sleep($avp(none));'
              '$var(e) = $rc; $var(z) = 2; usleep("$var(z)"); $var(f) = $rc;'
              'xlog("L_INFO", "$var(a) $var(b) $var(c) $var(d) $var(e) $var(f)\\n");')
    assert out == ["<script>: 1 1 1 1 1 1"]


def test_sleep_pv_must_hold_an_int():
    out = run('$var(s) = "0"; sleep("$var(s)"); xlog("L_INFO", "rc=$rc\\n");'
              'usleep("$avp(none)"); xlog("L_INFO", "rc=$rc\\n");')
    assert out == [
        "<core> [core/sr_module.c:1763]: get_int_fparam(): Could not convert PV to int",
        "cfgutils [cfgutils.c:619]: m_sleep(): cannot get time interval value",
        "<script>: rc=-1",
        "<core> [core/sr_module.c:1763]: get_int_fparam(): Could not convert PV to int",
        "cfgutils [cfgutils.c:637]: m_usleep(): cannot get time interval value",
        "<script>: rc=-1",
    ]


def test_sleep_runtime_fixup_failure():
    out = run('$var(s) = "abc";\nsleep($var(s));\nxlog("L_INFO", "after\\n");')
    assert out[:3] == [
        "<core> [core/mod_fix.c:489]: fixup_igp_null(): Cannot convert function parameter 1 toFPARAM_INT|FPARAM_PVS",
        "<core> [core/action.c:1135]: do_action(): runtime fixup failed for sleep param 1",
        "<core> [core/action.c:1533]: do_action(): run action error at: t.cfg:10",
    ]
    assert out[3] == "<script>: after"


@pytest.mark.parametrize("arg", ['"abc"', '"0x10"', '"$nosuchpv"'])
def test_sleep_refused(arg):
    with pytest.raises(ConfigError, match="FPARAM_INT"):
        load(f"sleep({arg});")


# ---- locks -----------------------------------------------------------------------------------
def test_lock_without_lock_set():
    out = run('lock(""); $var(a) = $rc; trylock("k"); unlock("k"); xlog("L_INFO", "a=$var(a)\\n");')
    assert out == [
        "cfgutils [cfgutils.c:717]: cfg_lock_helper(): lock set not initialized (attempt to do op: 0 on: ) - see param lock_set_size",
        "cfgutils [cfgutils.c:717]: cfg_lock_helper(): lock set not initialized (attempt to do op: 2 on: k) - see param lock_set_size",
        "cfgutils [cfgutils.c:717]: cfg_lock_helper(): lock set not initialized (attempt to do op: 1 on: k) - see param lock_set_size",
        "<script>: a=-1",
    ]


def test_lock_debug_lines_and_case_insensitive_slots():
    out = run('lock("abc"); trylock("abc"); unlock("abc"); trylock("Abc"); unlock("ABC");',
              top='modparam("cfgutils", "lock_set_size", 3)', debug=3)
    assert [l for l in out if "cfgutils" in l] == [
        "cfgutils [cfgutils.c:724]: cfg_lock_helper(): cfg_lock mode 0 on 2 (abc)",
        "cfgutils [cfgutils.c:724]: cfg_lock_helper(): cfg_lock mode 2 on 2 (abc)",
        "cfgutils [cfgutils.c:737]: cfg_lock_helper(): Failed to trylock ",
        "cfgutils [cfgutils.c:724]: cfg_lock_helper(): cfg_lock mode 1 on 2 (abc)",
        "cfgutils [cfgutils.c:724]: cfg_lock_helper(): cfg_lock mode 2 on 2 (Abc)",
        "cfgutils [cfgutils.c:741]: cfg_lock_helper(): Succeeded with trylock ",
        "cfgutils [cfgutils.c:724]: cfg_lock_helper(): cfg_lock mode 1 on 2 (ABC)",
    ]


def test_unlock_of_a_free_lock_succeeds():
    out = run('$var(a) = unlock("zz"); $var(b) = trylock("zz"); $var(c) = trylock("zz"); unlock("zz");'
              'xlog("L_INFO", "a=$var(a) b=$var(b) c=$var(c)\\n");',
              top='modparam("cfgutils", "lock_set_size", 2)')
    assert out == ["<script>: a=1 b=1 c=-1"]


def test_lock_twice_in_one_process_is_refused_instead_of_hanging():
    out = run('lock("k"); $var(a) = lock("k"); unlock("k"); xlog("L_INFO", "a=$var(a)\\n");',
              top='modparam("cfgutils", "lock_set_size", 2)')
    assert len(out) == 2 and "already held by this process" in out[0]
    assert out[1] == "<script>: a=-1"


@pytest.mark.parametrize("size,slots", [(1, 2), (4, 16), (14, 1 << 14), (20, 1 << 14), (-1, 1 << 14), (0, 0)])
def test_lock_set_size(size, slots):
    program, lines = load(top=f'modparam("cfgutils", "lock_set_size", {size})')
    st = state_of(program)
    assert st.lock_size == slots
    assert (st.shared.locks is None) == (slots == 0)
    warned = [l for l in lines if "lock set size too large" in l]
    assert bool(warned) == (size > 14 or size < 0)


def test_lock_blocks_other_threads_until_unlocked():
    program, _ = load(top='modparam("cfgutils", "lock_set_size", 2)')
    st = state_of(program)
    assert st.lock("key") == 1
    got = []
    t = threading.Thread(target=lambda: got.append(st.lock("key")))
    t.start()
    t.join(0.1)
    assert t.is_alive() and not got
    assert st.unlock("key") == 1
    t.join(2)
    assert got == [1]
    st.unlock("key")


# ---- routes ----------------------------------------------------------------------------------
def test_route_zero_is_the_request_route():
    out = run('check_route_exists("0"); $var(a) = $rc; xlog("L_INFO", "a=$var(a)\\n");'
              'route_if_exists("0"); xlog("L_INFO", "not reached\\n");')
    assert out == ["<script>: a=1", "<script>: in request_route"]


def test_route_if_exists_starts_with_rc_zero():
    out = run('check_route_exists("NOPE"); route_if_exists("R");',
              routes='route[R] { xlog("L_INFO", "inside rc=$rc\\n"); }')
    assert out == ["<script>: inside rc=0"]


def test_route_if_exists_names_are_case_sensitive_and_literal():
    out = run('route_if_exists("r"); $var(a) = $rc; route_if_exists(""); $var(b) = $rc;'
              'xlog("L_INFO", "a=$var(a) b=$var(b)\\n");', routes='route[R] { return 5; }')
    assert out == ["<script>: a=-1 b=-1"]


def test_drop_inside_route_if_exists_is_not_seen_by_the_caller():
    program, lines = load('route_if_exists("RD"); xlog("L_INFO", "after\\n");',
                          routes='route[RD] { xlog("L_INFO", "in RD\\n"); drop; }')
    del lines[:]
    assert program.run_worker_one_init() is True           # Kamailio does not exit either
    assert [l.split(": ", 1)[1] for l in lines] == ["<script>: in RD\n"]


def test_exit_inside_route_if_exists_ends_the_caller():
    out = run('route_if_exists("RX"); xlog("L_INFO", "after\\n");', routes='route[RX] { exit; }')
    assert out == []


def test_nested_route_if_exists_keep_their_own_rc():
    out = run('route_if_exists("RA"); xlog("L_INFO", "rc=$rc\\n");',
              routes='route[RA] { route_if_exists("RB"); xlog("L_INFO", "in RA rc=$rc\\n"); return 7; }\n'
                     'route[RB] { return 5; }')
    assert out == ["<script>: in RA rc=5", "<script>: rc=7"]


def test_route_if_exists_resets_the_recursion_level():
    out = run('$var(i) = 0; route(RA); xlog("L_INFO", "done i=$var(i)\\n");',
              routes='route[RA] { $var(i) = $var(i) + 1; if ($var(i) < 100) { route(RA); } '
                     'else { route_if_exists("RB"); } return 1; }\n'
                     'route[RB] { $var(j) = 0; route(RC); }\n'
                     'route[RC] { $var(j) = $var(j) + 1; if ($var(j) < 100) { route(RC); } '
                     'else { xlog("L_INFO", "deep j=$var(j)\\n"); } return 1; }')
    assert out == ["<script>: deep j=100", "<script>: done i=100"]


def test_route_if_exists_deep_nesting():
    out = run('$var(i) = 0; route_if_exists("RREC"); xlog("L_INFO", "done i=$var(i)\\n");',
              routes='route[RREC] { $var(i) = $var(i) + 1; if ($var(i) < 300) { route_if_exists("RREC"); } return 1; }')
    assert out == ["<script>: done i=300"]


def test_route_if_exists_with_bare_pv():
    out = run('$var(n) = "R"; route_if_exists($var(n)); xlog("L_INFO", "rc=$rc\\n");'
              'route_if_exists($avp(none)); xlog("L_INFO", "rc=$rc\\n");', routes='route[R] { return 9; }')
    assert out == ["<script>: rc=9", "<script>: rc=-1"]


def test_format_overflow_fails_the_function():
    body = ('$var(s) = ""; $var(i) = 0; while ($var(i) < 90) { $var(s) = $var(s) + "' + "x" * 100 +
            '"; $var(i) = $var(i) + 1; }\nroute_if_exists("a$var(s)"); xlog("L_INFO", "rc=$rc\\n");')
    out = run(body)
    assert "cfgutils [cfgutils.c:853]: w_route_exists(): invalid route parameter" in out
    assert out[-1] == "<script>: rc=-1"


# ---- abort and memory dumps -----------------------------------------------------------------
def test_abort_logs_and_raises_system_exit():
    program, lines = load('xlog("L_INFO", "before\\n"); abort(); xlog("L_INFO", "after\\n");')
    del lines[:]
    with pytest.raises(SystemExit) as ei:
        program.run("event:core:worker-one-init")
    assert isinstance(ei.value, CU.AbortCalled) and ei.value.code == 134
    assert [l.split(": ", 1)[1] for l in lines] == [
        "<script>: before\n", "cfgutils [cfgutils.c:652]: dbg_abort(): abort called\n"]
    assert lines[1].split(")", 1)[1].startswith(" CRITICAL:")


@pytest.mark.parametrize("fn", ["pkg_status", "shm_status", "pkg_summary", "shm_summary"])
def test_memory_dumps_only_at_memlog_level(fn):
    assert run(f'{fn}(); xlog("L_INFO", "rc=$rc\\n");', debug=3) == ["<script>: rc=1"]
    out = run(f"{fn}();", debug=4)
    assert out and all(l.startswith(("qm_status: qm_status(): ", "qm_sums: qm_sums(): ")) for l in out)


# ---- mod_init, hash_file and RPC ------------------------------------------------------------
class Rpc:
    def __init__(self, *params):
        self.params = list(params)


def rpc(program, name, *params):
    cmd = CU.MODULE.rpc[name]
    return cmd.handler(state_of(program), Rpc(*params))


def test_mod_init_logs_no_hash_file():
    _program, lines = load()
    assert any("cfgutils [cfgutils.c:869]: mod_init(): no hash_file given, disable hash functionality" in l
               for l in lines)


def test_hash_file_missing_refused():
    with pytest.raises(ConfigError, match="could not hash the config file"):
        load(top='modparam("cfgutils", "hash_file", "/nonexistent/file")')


def test_rpc_hash(tmp_path):
    path = tmp_path / "h.cfg"
    path.write_bytes(b"hello\n")
    program, _ = load(top=f'modparam("cfgutils", "hash_file", "{path}")')
    assert rpc(program, "cfgutils.get_config_hash") == "b1946ac92492d2347c6235b4d2611184"
    assert rpc(program, "cfgutils.check_config_hash") == "Identical hash"
    path.write_bytes(b"changed\n")
    assert rpc(program, "cfgutils.check_config_hash") == "Different hash"
    os.unlink(path)
    with pytest.raises(CU.RpcFault) as ei:
        rpc(program, "cfgutils.check_config_hash")
    assert (ei.value.code, ei.value.message) == (500, "Failed to hash the file")


def test_rpc_without_hash_file():
    program, _ = load()
    assert rpc(program, "cfgutils.get_config_hash") == ""
    with pytest.raises(CU.RpcFault, match="No hash file"):
        rpc(program, "cfgutils.check_config_hash")


def test_rpc_gflags_and_probability():
    program, _ = load(top='modparam("cfgutils", "initial_gflags", 1)')
    assert rpc(program, "cfgutils.set_gflag", 6) is None            # a bit mask, not an index
    assert rpc(program, "cfgutils.get_gflags") == "0x7 (7)"
    assert rpc(program, "cfgutils.is_gflag", 6) == "TRUE"
    assert rpc(program, "cfgutils.is_gflag", 12) == "FALSE"
    rpc(program, "cfgutils.reset_gflag", "2")
    assert rpc(program, "cfgutils.get_gflags") == "0x5 (5)"
    with pytest.raises(CU.RpcFault, match="Invalid Parameters"):
        rpc(program, "cfgutils.set_gflag")
    assert rpc(program, "cfgutils.rand_get_prob") == "actual probability: 10 percent"
    rpc(program, "cfgutils.rand_set_prob", 33)
    assert rpc(program, "cfgutils.rand_get_prob") == "actual probability: 33 percent"
    with pytest.raises(CU.RpcFault, match="Invalid Percent"):
        rpc(program, "cfgutils.rand_set_prob", 101)
    with pytest.raises(CU.RpcFault, match="Invalid Percent"):
        rpc(program, "cfgutils.rand_set_prob", -1)
    rpc(program, "cfgutils.rand_reset_prob")
    assert rpc(program, "cfgutils.rand_get_prob") == "actual probability: 10 percent"


def test_rpc_changes_are_seen_by_the_script():
    program, lines = load('if (is_gflag("4")) { xlog("L_INFO", "flag 4\\n"); }'
                          '$var(p) = rand_get_prob(); xlog("L_INFO", "p=$var(p)\\n");')
    rpc(program, "cfgutils.set_gflag", 16)
    rpc(program, "cfgutils.rand_set_prob", 42)
    del lines[:]
    program.run("event:core:worker-one-init")
    assert [l.split(": ", 1)[1] for l in lines] == ["<script>: flag 4\n", "<script>: p=42\n"]


def test_works_without_mod_init():
    program, lines = load('lock("a"); $var(a) = $rc; unlock("a"); xlog("L_INFO", "a=$var(a)\\n");',
                          top='modparam("cfgutils", "lock_set_size", 4)', init=False)
    del lines[:]
    program.run("event:core:worker-one-init")
    assert [l.split(": ", 1)[1] for l in lines] == ["<script>: a=1\n"]


def _in_child(fn) -> int:
    """Run fn() in a forked process; its exit status (0 when fn returned True)."""
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            code = 0 if fn() else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WEXITSTATUS(status)


def test_state_is_shared_with_forked_processes():
    program, _ = load(top='modparam("cfgutils", "lock_set_size", 2)')
    st = state_of(program)
    sh = st.shared
    pos = CU.core_case_hash("k", None, sh.locks.size)
    assert st.lock("k") == 1

    def child():
        held = not sh.locks.try_get(pos) and not sh.locks.held_by_me(pos)
        sh.set_gflags(4)
        sh.probability = 77
        return held
    assert _in_child(child) == 0
    assert (sh.gflags, sh.probability) == (4, 77)

    # a child blocked in lock() goes on when this process unlocks
    def child2():
        st.lock("k")
        sh.set_gflags(8)
        return st.unlock("k") == 1
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            code = 0 if child2() else 2
        finally:
            os._exit(code)
    time.sleep(0.1)
    assert sh.gflags == 4                  # still blocked
    st.unlock("k")
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0 and sh.gflags == 12
    assert _in_child(lambda: sh.locks.try_get(pos)) == 0     # released by the child
    assert sh.locks.try_get(pos) is False                    # the child exited holding it
    sh.locks.release(pos)                                    # any process may release it
