"""xlog: formatted log messages from the script (Kamailio's xlog module).

    xlog("msg")  xlog("L_INFO", "msg")  xlog("LOG_LOCAL0", "L_INFO", "msg")
    xdbg xinfo xnotice xwarn xerr xbug xcrit xalert ("msg")   xlogl / xdbgl (with cfg line)

The level is chosen by the third character of "L_xxx", or read from a pseudo-variable at
run time; the message is a format string and is only expanded when the level is printed.
"""
from __future__ import annotations

from .. import log as LOG
from ..script import pv as PV
from ..script import runtime as RT
from . import Arg, FixupError, Function, Module, Param

LEVEL_CHARS = {"A": LOG.L_ALERT, "B": LOG.L_BUG, "C": LOG.L_CRIT2, "E": LOG.L_ERR,
               "W": LOG.L_WARN, "N": LOG.L_NOTICE, "I": LOG.L_INFO, "D": LOG.L_DBG}
PV_VAL_NULL, PV_VAL_STR = 1, 4


class State:
    def __init__(self, program):
        self.prefix = "<script>: "
        self.log = program.log
        self.buf_size = 4096

    def apply_prefix(self, value, program):
        self.prefix = value


def _level(state, program, node, level: str):
    """xlog_fixup_helper: 'L_xxx' -> level number, '$pv' -> spec read at run time."""
    if len(level) < 2:
        raise FixupError("wrong log level")
    if level[0] == "$":
        try:
            return program.pv_spec(level.strip())
        except (PV.PVSyntaxError, LookupError) as e:
            raise FixupError(f"invalid level param: {e}") from None
    lv = LEVEL_CHARS.get(level[2]) if len(level) > 2 else None
    if lv is None:
        raise FixupError("unknown log level")
    return lv


def _facility(value: str) -> int:
    fac = LOG.FACILITIES.get(value)
    if fac is None:
        raise FixupError(f"invalid syslog facility {value}")
    return fac


def _run_level(ctx, spec):
    """The level a pseudo-variable gives, or None after logging Kamailio's error."""
    try:
        v = spec.get(ctx)
    except Exception:
        v = None
        flags = 0
    else:
        flags = PV_VAL_NULL if v is None else PV_VAL_STR
    if v.__class__ is int:
        return v
    ctx.log.module(LOG.L_ERR, "xlog", "xlog.c:322]: xlog_2_helper()", f"invalid log level value [{flags}]")
    return None


def _emit(state, ctx, level, fmt, facility=None, line=None):
    log = ctx.log
    if level > log.debug:
        return 1
    try:
        text = fmt(ctx, state.buf_size, False)
    except RT.FormatOverflow:
        return -1
    if line is not None:
        text = f"{line}:{text}"
    log.write(level, state.prefix + text, facility)
    return 1


def xlog1(state, ctx, fmt):
    return _emit(state, ctx, LOG.L_ERR, fmt)


def xlog2(state, ctx, level, fmt):
    if level.__class__ is not int:
        level = _run_level(ctx, level)
        if level is None:
            return -1
    return _emit(state, ctx, level, fmt)


def xlog3(state, ctx, facility, level, fmt):
    if level.__class__ is not int:
        level = _run_level(ctx, level)
        if level is None:
            return -1
    return _emit(state, ctx, level, fmt, facility)


def fixup2(state, program, node, args):
    return [_level(state, program, node, args[0]), args[1]]


def fixup3(state, program, node, args):
    return [_facility(args[0]), _level(state, program, node, args[1]), args[2]]


def _cfg_line(program, node) -> int:
    return program.location(node.close if node.close else node.pos).line


def xlogl1(state, ctx, line, fmt):
    return _emit(state, ctx, LOG.L_ERR, fmt, line=line)


def xlogl2(state, ctx, line, level, fmt):
    if level.__class__ is not int:
        level = _run_level(ctx, level)
        if level is None:
            return -1
    return _emit(state, ctx, level, fmt, line=line)


def xlogl3(state, ctx, line, facility, level, fmt):
    if level.__class__ is not int:
        level = _run_level(ctx, level)
        if level is None:
            return -1
    return _emit(state, ctx, level, fmt, facility, line=line)


def _fixed(level):
    def f(state, ctx, fmt):
        return _emit(state, ctx, level, fmt)
    return Function(f, args=(Arg.FMT,))


def _with_line(impl, nargs, fix=None):
    """xlogl variants: the cfg line of the call is prepended to the message."""
    def fixup(state, program, node, args):
        args = fix(state, program, node, args) if fix else list(args)
        return [_cfg_line(program, node)] + list(args)

    def call(state, ctx, *args):
        return impl(state, ctx, *args)
    kinds = {1: (Arg.FMT,), 2: (Arg.STR, Arg.FMT), 3: (Arg.STR, Arg.STR, Arg.FMT)}[nargs]
    return Function(call, args=kinds, fixup=fixup)


def _dbgl(state, ctx, line, fmt):
    return _emit(state, ctx, LOG.L_DBG, fmt, line=line)


MODULE = Module(
    name="xlog",
    params={"prefix": Param(str, apply=State.apply_prefix), "buf_size": Param(int),
            "force_color": Param(int), "long_format": Param(int), "log_facility": Param(str),
            "log_colors": Param(str), "methods_filter": Param(int), "prefix_mode": Param(int)},
    functions={
        "xlog": [Function(xlog1, args=(Arg.FMT,)),
                 Function(xlog2, args=(Arg.STR, Arg.FMT), fixup=fixup2),
                 Function(xlog3, args=(Arg.STR, Arg.STR, Arg.FMT), fixup=fixup3)],
        "xdbg": _fixed(LOG.L_DBG), "xinfo": _fixed(LOG.L_INFO), "xnotice": _fixed(LOG.L_NOTICE),
        "xwarn": _fixed(LOG.L_WARN), "xerr": _fixed(LOG.L_ERR), "xbug": _fixed(LOG.L_BUG),
        "xcrit": _fixed(LOG.L_CRIT2), "xalert": _fixed(LOG.L_ALERT),
        "xlogl": [_with_line(xlogl1, 1), _with_line(xlogl2, 2, fixup2), _with_line(xlogl3, 3, fixup3)],
        "xdbgl": _with_line(_dbgl, 1),
    },
    state=State,
)
