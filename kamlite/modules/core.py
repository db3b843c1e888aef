"""Core actions: the functions Kamailio's core provides without any loadmodule.

They are core actions, not module functions: they do not set $rc, and a 0 they return
does not end the script (only module functions do that).
"""
from __future__ import annotations

from ..log import L_ALERT, L_DBG, L_ERR, clamp
from . import Arg, FixupError, Function, Module


def _flag_number(program, node, args):
    """setflag(FLAG) takes a number or a name declared with 'flags'."""
    v = args[0]
    if isinstance(v, str):
        if v in program.flags:
            v = program.flags[v]
        else:
            try:
                v = int(v)
            except ValueError:
                raise FixupError(f"unknown flag {v}") from None
    if not 0 <= v <= 31:
        raise FixupError(f"bad flag number {v} (0..31)")
    return [v]


def setflag(ctx, flag: int) -> int:
    if ctx.msg is not None:
        ctx.msg.flags |= 1 << flag
    return 1


def resetflag(ctx, flag: int) -> int:
    if ctx.msg is not None:
        ctx.msg.flags &= ~(1 << flag)
    return 1


def isflagset(ctx, flag: int) -> int:
    if ctx.msg is None:
        return -1
    return 1 if ctx.msg.flags & (1 << flag) else -1


def _log_level(program, node, args):
    level = args[0]
    if not isinstance(level, int):
        raise FixupError("log level must be a number")
    return [level, args[1]]


def log2(ctx, level: int, text: str) -> int:
    level = clamp(level)
    if level <= ctx.log.debug:
        ctx.log.write(level, text)
    return 1


def log1(ctx, text: str) -> int:
    if L_ALERT <= ctx.log.debug:
        ctx.log.write(L_ALERT, text)
    return 1


def error(ctx, a: str, b: str) -> int:
    if 1 <= ctx.log.debug:
        ctx.log.write(1, f'<core> [core/action.c:641]: do_action(): error("{a}", "{b}") not implemented yet\n')
    return 1


def _flag_fn(impl):
    return Function(impl, args=(Arg.ANY,), fixup=_flag_number, sets_rc=False)


MODULE = Module(
    name="core",
    functions={
        "setflag": _flag_fn(setflag),
        "resetflag": _flag_fn(resetflag),
        "isflagset": _flag_fn(isflagset),
        "log": [Function(log1, args=(Arg.STR,), sets_rc=False),
                Function(log2, args=(Arg.INT, Arg.STR), fixup=_log_level, sets_rc=False)],
        "error": Function(error, args=(Arg.STR, Arg.STR), sets_rc=False),
    },
    doc="core actions",
)
