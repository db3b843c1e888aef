"""cfgutils: probability, global flags, sleeps, named locks, hashing and route checks
(Kamailio's cfgutils module).

    rand_set_prob("30")  rand_reset_prob()  rand_get_prob()  rand_event()
    set_gflag("3")  reset_gflag("3")  is_gflag("3")
    sleep("1")  usleep("1000")
    lock("$fU")  unlock("$fU")  trylock("$fU")          (needs modparam lock_set_size)
    core_hash("$fu", "$tu", 8)                           (returns 1 + slot, never 0)
    check_route_exists("NAME")  route_if_exists("NAME")
    abort()  pkg_status()  shm_status()  pkg_summary()  shm_summary()
    $RANDOM

Return codes are Kamailio's: note that rand_get_prob() returns the probability itself, so
with a probability of 0 it ends the script, and core_hash() returns its slot + 1.

State that Kamailio keeps in shared memory (the probability, the global flags, the lock
set) lives in kamlite's shared pool (program.shm), allocated by mod_init before the
workers are forked, so RPC commands and every process see the same values and locks.

Deliberate differences from Kamailio, each because Kamailio's behaviour is a crash or a
hang of the worker:
  * abort() logs Kamailio's CRITICAL line, then raises `AbortCalled` (a SystemExit with
    status 134) instead of calling abort(3): a kamlite worker process ends as a Kamailio
    worker would (the supervisor sees a dead child), but an in-process run (tests, the
    oracle harness) is not killed with SIGABRT and can catch it.
  * lock() on a lock slot this same process already holds would block the Kamailio worker
    forever (the lock set is not recursive, and two keys can share a slot); kamlite logs
    an error and returns -1 instead.  trylock() in that case returns -1 like Kamailio.
  * pkg_status()/shm_status()/pkg_summary()/shm_summary() print a short summary (of the
    Python process, of kamlite's shared pool) at Kamailio's memlog level, i.e. only with
    debug >= 4, not Kamailio's allocator fragment dump, which has no meaning here.
  * route_if_exists() nesting is bounded by Python's stack (kamlite raises the recursion
    limit for up to MAX_NESTING levels); Kamailio has no limit until its C stack overflows.
  * sleep($var(x)) where the run-time value is not a number: the same three error lines,
    but $rc becomes -1 (Kamailio leaves $rc unchanged after a failed run-time fixup).
"""
from __future__ import annotations

import gc
import hashlib
import os
import random
import resource
import sys
import threading
import time

from ..errors import ConfigError
from ..rpc import RpcFault
from ..server.shm import SharedLock
from ..log import L_CRIT2, L_DBG, L_ERR, L_INFO, L_WARN
from ..script import pv as PV
from ..script import runtime as RT
from ..script import values as VAL
from ..hashes import core_case_hash, core_hash
from . import Arg, FixupError, Function, Module, Param, PseudoVar, RpcCommand

MOD = "cfgutils"
UINT = 0xFFFFFFFF
KAM_RAND_MAX = 0x7FFFFFFF
MEMLOG = L_DBG + 1              # Kamailio's default 'memlog' level: memory dumps need debug >= 4
ABORT_STATUS = 134              # 128 + SIGABRT, what a shell reports for an aborted process


class AbortCalled(SystemExit):
    """Raised by abort(): the worker ends (Kamailio's dies of SIGABRT)."""

    def __init__(self):
        super().__init__(ABORT_STATUS)


# ---- C number parsing ---------------------------------------------------------------------------
def str2int_partial(s: str) -> tuple[bool, int]:
    """ut.h str2int (unsigned): (ok, value).  Like the C code, the value holds what was
    parsed before a bad character, and UINT_MAX on overflow."""
    r = 0
    i = 1 if s[:1] == "+" else 0
    for c in s[i:]:
        if not ("0" <= c <= "9"):
            return False, r
        d = ord(c) - 48
        if r > UINT // 10 or (r == UINT // 10 and d > UINT % 10):
            return False, UINT
        r = r * 10 + d
    return True, r


def _c_int(v: int) -> int:
    """An unsigned value printed with %d."""
    return VAL.wrap(v)


# ---- shared state ----------------------------------------------------------------------------
class LockSet:
    """Kamailio's gen_lock_set_t for cfgutils: `size` non-recursive locks that any process
    may release, as words in the shared pool (0 free, else the holder's pid) changed under
    one process-shared guard.  A blocked lock() polls with a short backoff, as Kamailio's
    fast locks spin.  The holding thread is also kept per process, to detect the
    self-deadlock Kamailio has (and to let other threads of a process block normally)."""

    def __init__(self, shm, size: int):
        self.size = size
        self.shm = shm
        self.ptr = shm.alloc_words(size)
        self.base = self.ptr >> 2
        self.guard = SharedLock()
        self._thread: dict[int, int] = {}

    def held_by_me(self, pos: int) -> bool:
        return (self.shm.w[self.base + pos] == os.getpid()
                and self._thread.get(pos) == threading.get_ident())

    def try_get(self, pos: int) -> bool:
        w = self.shm.w
        i = self.base + pos
        with self.guard:
            if w[i]:
                return False
            w[i] = os.getpid()
        self._thread[pos] = threading.get_ident()
        return True

    def get(self, pos: int) -> None:
        delay = 0.00005
        while not self.try_get(pos):
            time.sleep(delay)
            if delay < 0.002:
                delay *= 2

    def release(self, pos: int) -> None:
        """Also a lock another process holds, and a free lock (a no-op), as Kamailio."""
        with self.guard:
            self.shm.w[self.base + pos] = 0
        self._thread.pop(pos, None)

    def free(self) -> None:
        self.shm.free(self.ptr)


class Shared:
    """What Kamailio's cfgutils keeps in shared memory, in kamlite's shared pool: the
    probability and the global flags (two words, the flags changed under a process-shared
    lock) and the lock set.  Allocated by mod_init in the main process, before the fork."""

    def __init__(self, shm, probability: int, gflags: int, lock_size: int):
        self.shm = shm
        self.ptr = shm.alloc_words(2)
        self.base = self.ptr >> 2
        self.gflags_lock = SharedLock()
        self.probability = probability
        self.gflags = gflags
        self.locks = LockSet(shm, lock_size) if lock_size else None

    @property
    def probability(self) -> int:
        return VAL.wrap(self.shm.w[self.base])

    @probability.setter
    def probability(self, value: int) -> None:
        self.shm.w[self.base] = value & UINT

    @property
    def gflags(self) -> int:
        return self.shm.w[self.base + 1]

    @gflags.setter
    def gflags(self, value: int) -> None:
        self.shm.w[self.base + 1] = value & UINT

    def set_gflags(self, mask: int) -> None:
        with self.gflags_lock:
            self.gflags = self.gflags | mask

    def reset_gflags(self, mask: int) -> None:
        with self.gflags_lock:
            self.gflags = self.gflags & ~mask

    def free(self) -> None:
        if self.locks is not None:
            self.locks.free()
        self.shm.free(self.ptr)


class State:
    def __init__(self, program):
        self.program = program
        self.initial_probability = 10
        self.initial_gflags = 0
        self.hash_file: str | None = None
        self.lock_set_size = 0          # the modparam (an exponent)
        self.lock_size = 0              # slots in the lock set (1 << exponent), 0: none
        self.config_hash = ""
        self._shared: Shared | None = None
        self.nesting = 0                # route_if_exists calls running in this process
        self.base_limit = 0             # Python's recursion limit before any deep nesting

    @property
    def log(self):
        return self.program.log

    # modparams
    def apply_initial_probability(self, value, program):
        self.initial_probability = VAL.wrap(value)
        self._drop()

    def apply_initial_gflags(self, value, program):
        self.initial_gflags = value & UINT
        self._drop()

    def apply_hash_file(self, value, program):
        self.hash_file = value

    def apply_lock_set_size(self, value, program):
        self.lock_set_size = value & UINT
        self._drop()

    def _drop(self) -> None:
        if self._shared is not None:
            self._shared.free()
            self._shared = None

    @property
    def shared(self) -> Shared:
        sh = self._shared
        if sh is None:
            sh = self._setup(quiet=True)
        return sh

    def _setup(self, quiet: bool) -> Shared:
        """mod_init's allocations: lock set size 2^min(n, 14) when n > 0."""
        n = self.lock_set_size
        if n > 0:
            if n > 14:
                if not quiet:
                    self.log.module(L_WARN, MOD, "cfgutils.c:910]: mod_init()",
                                    f"lock set size too large ({_c_int(n)}), making it 14")
                n = 14
            self.lock_size = 1 << n
        else:
            self.lock_size = 0
        self._drop()
        self._shared = Shared(self.program.shm, self.initial_probability, self.initial_gflags,
                              self.lock_size)
        return self._shared

    # the cfgutils API other modules bind to (cfgutils_lock / cfgutils_unlock)
    def lock(self, key: str) -> int:
        return _lock_helper(self, self.log, key, 0)

    def unlock(self, key: str) -> int:
        return _lock_helper(self, self.log, key, 1)


def _log(log, level: int, line: int, func: str, text: str) -> None:
    log.module(level, MOD, f"cfgutils.c:{line}]: {func}()", text)


def _md5_file(log, path: str) -> str | None:
    """MD5File(): the hex digest of a file, or None after logging Kamailio's error."""
    try:
        os.stat(path)
    except OSError:
        _log(log, L_ERR, 406, "MD5File", f"could not stat file {path}")
        return None
    try:
        with open(path, "rb") as fh:
            digest = hashlib.md5(fh.read()).hexdigest()
    except OSError:
        _log(log, L_ERR, 413, "MD5File", f"could not open file {path}")
        return None
    _log(log, L_DBG, 430, "MD5File", f"MD5 calculated: {digest} for file {path}")
    return digest


def mod_init(state: State, program) -> None:
    log = program.log

    def fail(text: str):
        lm = program.modules.get(MOD)
        loc = program.location(lm.node) if lm is not None and lm.node is not None else None
        raise ConfigError(f"module cfgutils: {text} (mod_init failed)", loc)

    if not state.hash_file:
        _log(log, L_INFO, 869, "mod_init", "no hash_file given, disable hash functionality")
    else:
        digest = _md5_file(log, state.hash_file)
        if digest is None:
            _log(log, L_ERR, 872, "mod_init", "could not hash the config file")
            fail(f"could not hash the config file {state.hash_file}")
        state.config_hash = digest
        _log(log, L_DBG, 875, "mod_init", f"config file hash is {digest}")
    _log(log, L_DBG, 882, "mod_init", f"initial probability {state.initial_probability} percent")
    try:
        state._setup(quiet=False)
    except MemoryError:
        _log(log, L_ERR, 887, "mod_init", "no shmem available")
        fail("no shared memory available")


def check(state: State, program) -> None:
    """mod_init's parameter check, done at load time so that a config check reports it."""
    if state.initial_probability > 100:
        raise FixupError(f"invalid probability <{state.initial_probability}>")


def destroy(state: State, program) -> None:
    state._drop()


# ---- fixups ----------------------------------------------------------------------------------
def fixup_prob(state, program, node, args):
    """Like Kamailio: str2int's result is used even when it fails ("abc" is 0, "5x" is 5)."""
    _ok, v = str2int_partial(args[0])
    if v > 100:
        raise FixupError(f"invalid probability <{_c_int(v)}>")
    return [v]


def fixup_gflags(state, program, node, args):
    """Flag index 0..31 -> bit mask."""
    ok, v = str2int_partial(args[0])
    if not ok:
        raise FixupError(f"bad number <{args[0]}>")
    if v >= 32:
        raise FixupError(f"flag <{_c_int(v)}> out of range [0..31]")
    return [1 << v]


class _DynInt:
    """A run-time string for an int-or-pv parameter (Kamailio fixes it up at each call)."""
    __slots__ = ("at",)

    def __init__(self, at: str):
        self.at = at


def _igp(program, value):
    """fixup_igp_null: an integer, or a pseudo-variable read at run time."""
    if not isinstance(value, str):
        return value                  # a run-time value (the compiler's code for it)
    iv = VAL.str2sint(value)
    if iv is not None:
        return iv
    if value.startswith("$"):
        try:
            return program.pv_spec(value)
        except (PV.PVSyntaxError, LookupError):
            pass
    raise FixupError("Cannot convert function parameter 1 toFPARAM_INT|FPARAM_PVS")


def _cline(program, node) -> str:
    comp = getattr(program, "compiler", None)
    if comp is not None and hasattr(comp, "cline"):
        return comp.cline(node)
    loc = program.location(node)
    return f"{loc.file}:{loc.line}"


def fixup_igp_dynamic(state, program, node, args):
    """sleep/usleep: the parameter may also be an expression evaluated at each call."""
    v = args[0]
    if not isinstance(v, str):
        return [v, _DynInt(_cline(program, node))]
    return [_igp(program, v), None]


def fixup_core_hash(state, program, node, args):
    return [args[0], args[1], _igp(program, args[2])]


def _get_int(ctx, p):
    """get_int_fparam for an int or a pv: the value, or None after Kamailio's error."""
    if p.__class__ is int:
        return p
    try:
        v = p.get(ctx)
    except RT.PVFail:
        v = None
    if v.__class__ is int:
        return v
    ctx.log.core(L_ERR, "core/sr_module.c:1763]: get_int_fparam()", "Could not convert PV to int")
    return None


def _get_int_dyn(ctx, p, dyn, fname: str):
    """The value of an int-or-pv parameter; a run-time string is fixed up as Kamailio
    does at each call (str2sint only: no pv lookup, no hex)."""
    if dyn is None:
        return _get_int(ctx, p)
    iv = VAL.str2sint(p) if p.__class__ is str else (p if p.__class__ is int else None)
    if iv is not None:
        return iv
    log = ctx.log
    log.core(L_ERR, "core/mod_fix.c:489]: fixup_igp_null()",
             "Cannot convert function parameter 1 toFPARAM_INT|FPARAM_PVS")
    log.core(L_ERR, "core/action.c:1135]: do_action()", f"runtime fixup failed for {fname} param 1")
    log.core(L_ERR, "core/action.c:1533]: do_action()", f"run action error at: {dyn.at}")
    raise RuntimeFixupFailed()


class RuntimeFixupFailed(Exception):
    """A run-time parameter could not be fixed up (the errors are logged)."""


# ---- probability -----------------------------------------------------------------------------
def rand_set_prob(state, ctx, percent):
    state.shared.probability = percent
    return 1


def rand_reset_prob(state, ctx):
    state.shared.probability = state.initial_probability
    return 1


def rand_get_prob(state, ctx):
    return state.shared.probability


def rand_event(state, ctx):
    prob = state.shared.probability
    if prob == 0:
        return -1
    if prob == 100:
        return 1
    tmp = random.getrandbits(31) / KAM_RAND_MAX
    log = ctx.log
    _log(log, L_DBG, 578, "ki_rand_event", f"generated random {tmp:f}")
    if tmp < prob / 100:
        _log(log, L_DBG, 580, "ki_rand_event", "return true")
        return 1
    _log(log, L_DBG, 584, "ki_rand_event", "return false")
    return -1


class RandomSpec(PV.PVSpec):
    """$RANDOM: a new random() value (0 .. 2^31-1) at each read."""
    vtype = "i"

    def get(self, ctx):
        return random.getrandbits(31)


def make_random(state, program, pvt):
    return RandomSpec(pvt.text)


# ---- sleeps ----------------------------------------------------------------------------------
def m_sleep(state, ctx, p, dyn):
    try:
        s = _get_int_dyn(ctx, p, dyn, "sleep")
    except RuntimeFixupFailed:
        return -1
    if s is None:
        _log(ctx.log, L_ERR, 619, "m_sleep", "cannot get time interval value")
        return -1
    time.sleep(s & UINT)
    return 1


def m_usleep(state, ctx, p, dyn):
    try:
        s = _get_int_dyn(ctx, p, dyn, "usleep")
    except RuntimeFixupFailed:
        return -1
    if s is None:
        _log(ctx.log, L_ERR, 637, "m_usleep", "cannot get time interval value")
        return -1
    time.sleep((s & UINT) / 1e6)
    return 1


# ---- debugging -------------------------------------------------------------------------------
def dbg_abort(state, ctx):
    _log(ctx.log, L_CRIT2, 652, "dbg_abort", "abort called")
    raise AbortCalled()


def _memlog(ctx, prefix: str, text: str) -> None:
    log = ctx.log
    if log.debug >= MEMLOG:
        log.write(L_DBG, f"{prefix}: {prefix}(): {text}\n")


def _rss() -> tuple[int, int]:
    """(current, max) resident set size of this process, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        with open("/proc/self/statm") as fh:
            cur = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        cur = peak
    return cur, peak


def dbg_pkg_status(state, ctx):
    if ctx.log.debug >= MEMLOG:
        cur, peak = _rss()
        _memlog(ctx, "qm_status", "(kamlite: Python process memory, not Kamailio's pkg allocator):")
        _memlog(ctx, "qm_status", f"used= {cur}, max used= {peak}")
        _memlog(ctx, "qm_status", f"python objects= {len(gc.get_objects())}")
    return 1


def dbg_shm_status(state, ctx):
    if ctx.log.debug >= MEMLOG:
        st = ctx.program.shm.stats()
        _memlog(ctx, "qm_status", "(kamlite shared pool; no fragment dump):")
        _memlog(ctx, "qm_status", f"heap size= {st['total']}")
        _memlog(ctx, "qm_status", f"used= {st['used']}, used+overhead={st['real_used']}, free={st['free']}")
        _memlog(ctx, "qm_status", f"max used (+overhead)= {st['max_used']}")
    return 1


def dbg_pkg_summary(state, ctx):
    if ctx.log.debug >= MEMLOG:
        counts: dict[str, list] = {}
        for obj in gc.get_objects():
            name = type(obj).__name__
            c = counts.get(name)
            if c is None:
                c = counts[name] = [0, 0]
            c[0] += 1
            c[1] += sys.getsizeof(obj, 0)
        _memlog(ctx, "qm_sums", "summarizing all alloc'ed. fragments (kamlite: top Python object types):")
        for name, (n, size) in sorted(counts.items(), key=lambda kv: -kv[1][1])[:10]:
            _memlog(ctx, "qm_sums", " count=%6d size=%10d bytes from python: %s" % (n, size, name))
        _memlog(ctx, "qm_sums", "-----------------------------")
    return 1


def dbg_shm_summary(state, ctx):
    if ctx.log.debug >= MEMLOG:
        _memlog(ctx, "qm_sums", "summarizing all alloc'ed. fragments (kamlite: no shared memory allocator):")
        _memlog(ctx, "qm_sums", "-----------------------------")
    return 1


# ---- global flags ----------------------------------------------------------------------------
def set_gflag(state, ctx, mask):
    state.shared.set_gflags(mask)
    return 1


def reset_gflag(state, ctx, mask):
    state.shared.reset_gflags(mask)
    return 1


def is_gflag(state, ctx, mask):
    return 1 if state.shared.gflags & mask else -1


# ---- locks -----------------------------------------------------------------------------------
def _lock_helper(state: State, log, key: str, mode: int) -> int:
    locks = state.shared.locks
    if locks is None:
        _log(log, L_ERR, 717, "cfg_lock_helper", f"lock set not initialized (attempt to do op: "
             f"{mode} on: {key}) - see param lock_set_size")
        return -1
    pos = core_case_hash(key, None, locks.size)
    _log(log, L_DBG, 724, "cfg_lock_helper", f"cfg_lock mode {mode} on {pos} ({key})")
    if mode == 0:
        if locks.held_by_me(pos):
            log.module(L_ERR, MOD, "kamlite]: cfg_lock_helper()",
                       f"lock slot {pos} (key {key}) is already held by this process: Kamailio "
                       "would block here forever; refusing")
            return -1
        locks.get(pos)
    elif mode == 1:
        locks.release(pos)
    else:
        if not locks.try_get(pos):
            _log(log, L_DBG, 737, "cfg_lock_helper", "Failed to trylock ")
            return -1
        _log(log, L_DBG, 741, "cfg_lock_helper", "Succeeded with trylock ")
    return 1


def _lock_wrapper(state, ctx, key, mode: int) -> int:
    try:
        k = key(ctx)
    except RT.FormatOverflow:
        _log(ctx.log, L_ERR, 770, "w_cfg_lock_wrapper", "cannot get first parameter")
        return -1
    return _lock_helper(state, ctx.log, k, mode)


def w_lock(state, ctx, key):
    return _lock_wrapper(state, ctx, key, 0)


def w_unlock(state, ctx, key):
    return _lock_wrapper(state, ctx, key, 1)


def w_trylock(state, ctx, key):
    return _lock_wrapper(state, ctx, key, 2)


# ---- core_hash -------------------------------------------------------------------------------
def w_core_hash(state, ctx, s1, s2, size_p):
    try:
        a = s1(ctx)
    except RT.FormatOverflow:
        _log(ctx.log, L_ERR, 978, "w_core_hash", "invalid s1 paramerer")
        return -1
    try:
        b = s2(ctx)
    except RT.FormatOverflow:
        _log(ctx.log, L_ERR, 983, "w_core_hash", "invalid s2 paramerer")
        return -1
    size = _get_int(ctx, size_p)
    if size is None:
        _log(ctx.log, L_ERR, 988, "w_core_hash", "invalid size paramerer")
        return -1
    # 1 << size with x86 shift semantics (the count is taken modulo 32)
    size = 2 if size <= 0 else (1 << (size & 31))
    return VAL.wrap(core_hash(a, b if b else None, size) + 1)


# ---- routes ----------------------------------------------------------------------------------
def _find_route(program, name: str):
    """route_lookup(&main_rt, name): route[NAME] blocks; "0" is the request route."""
    name = name.split("\0", 1)[0]
    fn = program.routes_by_name.get(name)
    if fn is None and name == "0":
        return program.routes.get("request", _EMPTY_ROUTE)
    return fn


def _EMPTY_ROUTE(ctx):
    return 1


def w_check_route_exists(state, ctx, name):
    try:
        route = name(ctx)
    except RT.FormatOverflow:
        _log(ctx.log, L_ERR, 813, "w_check_route_exists", "invalid route parameter")
        return -1
    return 1 if _find_route(ctx.program, route) is not None else -1


def w_route_if_exists(state, ctx, name):
    """Run route[NAME] as Kamailio does: in a new run context ($rc starts at 0, its drop
    flag is not seen by the caller).  break/exit/drop/'return 0' inside give 0, which then
    ends the calling script like any module function returning 0."""
    try:
        route = name(ctx)
    except RT.FormatOverflow:
        _log(ctx.log, L_ERR, 853, "w_route_exists", "invalid route parameter")
        return -1
    fn = _find_route(ctx.program, route)
    if fn is None:
        return -1
    dropped, exiting, level = ctx.dropped, ctx.exiting, ctx.level
    ctx.rc = 0
    ctx.level = 1
    state.nesting += 1
    if state.nesting >= 32:
        _python_stack_room(state)
    try:
        r = fn(ctx)
    except RT.ScriptExit:
        r = 0
    finally:
        state.nesting -= 1
        ctx.dropped, ctx.exiting, ctx.level = dropped, exiting, level
    return r


FRAMES_PER_NESTING = 8      # Python frames one route_if_exists level takes (4 measured) + margin
MAX_NESTING = 2000          # beyond this, Python's limit stops the run (C stack safety)


def _python_stack_room(state) -> None:
    """Each route_if_exists starts a new run context, so Kamailio's max_recursive_level
    does not limit nesting them; make Python's recursion limit follow (up to MAX_NESTING)."""
    if state.base_limit == 0:
        state.base_limit = sys.getrecursionlimit()
    n = min(state.nesting, MAX_NESTING)
    need = state.base_limit + n * FRAMES_PER_NESTING
    if sys.getrecursionlimit() < need:
        sys.setrecursionlimit(need + 32 * FRAMES_PER_NESTING)


# ---- RPC -------------------------------------------------------------------------------------
def _rpc_int(state, rpc, line: int, func: str) -> int:
    """rpc->scan(ctx, "d", ...): the first parameter as an int (an unsigned 32-bit value)."""
    params = list(getattr(rpc, "params", None) or [])
    v = params[0] if params else None
    if v.__class__ is str:
        v = VAL.str2sint(v.strip())
    if v is None or isinstance(v, bool) or not isinstance(v, int):
        _log(state.log, L_WARN, line, func, "no parameters")
        raise RpcFault(500, "Invalid Parameters")
    return v & UINT


def rpc_set_gflag(state, rpc):
    mask = _rpc_int(state, rpc, 293, "cfgutils_rpc_set_gflag")
    state.shared.set_gflags(mask)
    return None


def rpc_reset_gflag(state, rpc):
    mask = _rpc_int(state, rpc, 306, "cfgutils_rpc_reset_gflag")
    state.shared.reset_gflags(mask)
    return None


def rpc_is_gflag(state, rpc):
    mask = _rpc_int(state, rpc, 319, "cfgutils_rpc_is_gflag")
    return "TRUE" if state.shared.gflags & mask == mask else "FALSE"


def rpc_get_gflags(state, rpc):
    g = state.shared.gflags
    return "0x%X (%u)" % (g, g)


def rpc_set_prob(state, rpc):
    percent = _rpc_int(state, rpc, 346, "cfgutils_rpc_set_prob")
    if percent > 100:
        _log(state.log, L_ERR, 351, "cfgutils_rpc_set_prob", f"incorrect probability <{percent}>")
        raise RpcFault(500, "Invalid Percent")
    state.shared.probability = percent
    return None


def rpc_reset_prob(state, rpc):
    state.shared.probability = state.initial_probability
    return None


def rpc_get_prob(state, rpc):
    return "actual probability: %u percent" % (state.shared.probability & UINT)


def rpc_get_hash(state, rpc):
    return state.config_hash


def rpc_check_hash(state, rpc):
    if not state.hash_file:
        raise RpcFault(500, "No hash file")
    digest = _md5_file(state.log, state.hash_file)
    if digest is None:
        state.log.module(L_ERR, MOD, "cfgutils.c:447]: cfgutils_rpc_check_hash()",
                         "could not hash the config file")
        raise RpcFault(500, "Failed to hash the file")
    return "Identical hash" if digest == state.config_hash else "Different hash"


# ---- exports ---------------------------------------------------------------------------------

MODULE = Module(
    name=MOD,
    params={
        "initial_probability": Param(int, default=10, apply=State.apply_initial_probability),
        "initial_gflags": Param(int, default=0, apply=State.apply_initial_gflags),
        "hash_file": Param(str, apply=State.apply_hash_file),
        "lock_set_size": Param(int, default=0, apply=State.apply_lock_set_size),
    },
    functions={
        "rand_set_prob": Function(rand_set_prob, (Arg.STR,), fixup_prob),
        "rand_reset_prob": Function(rand_reset_prob),
        "rand_get_prob": Function(rand_get_prob),
        "rand_event": Function(rand_event),
        "sleep": Function(m_sleep, (Arg.STR,), fixup_igp_dynamic, dynamic=(0,)),
        "usleep": Function(m_usleep, (Arg.STR,), fixup_igp_dynamic, dynamic=(0,)),
        "abort": Function(dbg_abort),
        "pkg_status": Function(dbg_pkg_status),
        "shm_status": Function(dbg_shm_status),
        "pkg_summary": Function(dbg_pkg_summary),
        "shm_summary": Function(dbg_shm_summary),
        "set_gflag": Function(set_gflag, (Arg.STR,), fixup_gflags),
        "reset_gflag": Function(reset_gflag, (Arg.STR,), fixup_gflags),
        "is_gflag": Function(is_gflag, (Arg.STR,), fixup_gflags),
        "lock": Function(w_lock, (Arg.FMT,), dynamic=(0,)),
        "unlock": Function(w_unlock, (Arg.FMT,), dynamic=(0,)),
        "trylock": Function(w_trylock, (Arg.FMT,), dynamic=(0,)),
        "core_hash": Function(w_core_hash, (Arg.FMT, Arg.FMT, Arg.STR), fixup_core_hash),
        "check_route_exists": Function(w_check_route_exists, (Arg.FMT,), dynamic=(0,)),
        "route_if_exists": Function(w_route_if_exists, (Arg.FMT,), dynamic=(0,)),
    },
    pvs={"RANDOM": PseudoVar(make=make_random)},
    rpc={
        "cfgutils.is_gflag": RpcCommand(rpc_is_gflag, doc="Checks if the bits specified by the argument are all set."),
        "cfgutils.set_gflag": RpcCommand(rpc_set_gflag, doc="Sets the bits specified by the argument."),
        "cfgutils.get_gflags": RpcCommand(rpc_get_gflags, doc="Return the value for global flags."),
        "cfgutils.reset_gflag": RpcCommand(rpc_reset_gflag, doc="Resets the bits specified by the argument."),
        "cfgutils.rand_set_prob": RpcCommand(rpc_set_prob, doc="Set the random probability."),
        "cfgutils.rand_reset_prob": RpcCommand(rpc_reset_prob, doc="Reset the random probability."),
        "cfgutils.rand_get_prob": RpcCommand(rpc_get_prob, doc="Get the random probability."),
        "cfgutils.get_config_hash": RpcCommand(rpc_get_hash, doc="Get config hash value."),
        "cfgutils.check_config_hash": RpcCommand(rpc_check_hash, doc="Check config hash value."),
    },
    state=State,
    mod_init=mod_init,
    check=check,
    destroy=destroy,
)
