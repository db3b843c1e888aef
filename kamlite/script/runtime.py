"""What compiled routes need while they run: the run context, control-flow signals, and
the slow paths of Kamailio's value rules (conversions with their warnings, errors with
the exact core messages).

The fast paths are inlined by script.compile; everything here is called only when the
types are not known at load time or something goes wrong.
"""
from __future__ import annotations

from ..log import L_ERR, L_WARN
from . import values as V


class ScriptExit(Exception):
    """exit, drop, 'return 0', or a function returning 0: the top-level run ends."""


class EvalError(Exception):
    """An expression could not be evaluated; the messages are already logged."""


class PVFail(Exception):
    """A pseudo-variable's get failed (Kamailio: pv_get_spec_value() != 0)."""


class FormatOverflow(Exception):
    """A format string's result does not fit Kamailio's buffer (errors already logged)."""


EXIT = ScriptExit()
FORMAT_OVERFLOW = FormatOverflow()
EVAL_ERROR = EvalError()
PV_FAIL = PVFail()


class Context:
    """One top-level run of a route: a SIP message, a timer tick, an event."""
    __slots__ = ("program", "msg", "rc", "route_type", "exiting", "dropped", "avps", "xavps",
                 "route_name", "trace", "log", "level")

    def __init__(self, program, msg=None, route_type: int = 1):
        self.program = program
        self.msg = msg
        self.rc = 0
        self.route_type = route_type
        self.exiting = False
        self.dropped = False
        self.avps = {}
        self.xavps = {}
        self.route_name = ""
        self.trace = None
        self.log = program.log
        self.level = 1             # Kamailio's run_actions recursion level of the running route


# ---- core log messages, as Kamailio 5.6.3 prints them ---------------------------------------
def core_log(ctx, level: int, where: str, func: str, text: str) -> None:
    log = ctx.log
    if level <= log.debug:
        log.write(level, f"<core> [core/{where}]: {func}(): {text}\n")


# ---- conversions with Kamailio's warnings -----------------------------------------------------
def warn_str2int(ctx, s: str, func: str, line: int, what: str, pos: str) -> None:
    core_log(ctx, L_WARN, "rvalue.c:1043", "rval_get_int",
             f'automatic string to int conversion for "{s}" failed')
    core_log(ctx, L_WARN, f"rvalue.c:{line}", func, f"{what} {pos}")


def int_of(ctx, v, pos: str, func: str = "rval_expr_eval_int", line: int = 1948,
           what: str = "rval expression conversion to int failed") -> int:
    """int value of a leaf in an integer context (rval_get_int + rval_get_int_handle_ret)."""
    if v.__class__ is int:
        return v
    if v is None:
        return 0
    r = V.str_to_int(v)
    if r is None:
        warn_str2int(ctx, v, func, line, what, pos)
        return 0
    return r


def int_of_quiet(v) -> int:
    """int value without warnings (used where Kamailio does not warn)."""
    if v.__class__ is int:
        return v
    if v is None:
        return 0
    r = V.str_to_int(v)
    return 0 if r is None else r


def div(ctx, a: int, b: int) -> int:
    if b == 0:
        core_log(ctx, L_ERR, "rvalue.c:1412", "int_intop2", "rv div by 0")
        raise EVAL_ERROR
    if a == V.INT_MIN and b == -1:
        return V.INT_MIN          # Kamailio's worker dies of SIGFPE here; kamlite keeps serving
    return V.c_div(a, b)


def mod(ctx, a: int, b: int) -> int:
    if b == 0:
        core_log(ctx, L_ERR, "rvalue.c:1419", "int_intop2", "rv mod by 0")
        raise EVAL_ERROR
    if b == -1:
        return 0
    return V.c_mod(a, b)


def eval_failed(ctx, line: int, pos: str, func: str = "rval_expr_eval", suffix: str = "") -> None:
    core_log(ctx, L_ERR, f"rvalue.c:{line}", func, f"rval expression evaluation failed {pos}{suffix}")


# ---- operators on values whose type is only known at run time ---------------------------------
def plus(ctx, a, b_thunk, pos: str):
    """'+' in value context: int addition if the left value is an int, else concatenation."""
    if a.__class__ is int:
        b = b_thunk()
        return V.wrap(a + b)
    return V.to_str(a) + V.to_str(b_thunk())


def str_eq(a, b) -> bool:
    return V.to_str(a) == V.to_str(b)
