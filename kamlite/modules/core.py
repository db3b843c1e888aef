"""Core actions: the functions Kamailio's core provides without any loadmodule.

They are core actions, not module functions: they do not set $rc, and a 0 they return
does not end the script (only module functions do that).
"""
from __future__ import annotations

import os
import platform
import time

from ..log import L_ALERT, clamp
from ..rpc import RpcFault
from ..sip import forward
from . import Arg, FixupError, Function, Module, RpcCommand, core_sip


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


# ---- RPC commands of Kamailio's core (core_cmd.c): what clients call first -----------------------
_IMPORTED = time.time()                 # up_since when no server published its start


def rpc_list_methods(ctx):
    """Every command, sorted by name as C's strcmp sorts."""
    return sorted(ctx.program.rpc_commands, key=lambda n: n.encode("latin-1"))


def rpc_method_help(ctx):
    name = ctx.str_param(0, scan="s")
    if name is None:
        raise RpcFault(400, "Method Name Expected")
    entry = ctx.program.rpc_commands.get(name)
    if entry is None:
        raise RpcFault(400, "command not found")
    return entry[0].doc or "undocumented"


def rpc_echo(ctx):
    """Each parameter back as a string, up to the first one that is not a string or a
    number (scan "*.s" in a loop)."""
    out = []
    while (v := ctx.str_param(len(out), optional=True, convert=True, scan="s")) is not None:
        out.append(v)
    return out


def rpc_version(ctx):
    from .. import KAMAILIO_VERSION, __version__
    return f"kamlite {__version__} (kamailio {KAMAILIO_VERSION}) ({platform.machine()}/{platform.system().lower()})"


def _process_table(program):
    """The published table (server/processes.py), or just this process outside a server."""
    pt = getattr(program, "process_table", None)
    if pt is not None:
        return pt.rows(), pt.started
    return [(0, os.getpid(), "main process - attendant")], _IMPORTED


def rpc_uptime(ctx):
    _rows, started = _process_table(ctx.program)
    now = time.time()
    return {"now": time.ctime(now), "up_since": time.ctime(started), "uptime": int(now - started)}


def rpc_ps(ctx):
    out = []
    for _idx, pid, desc in _process_table(ctx.program)[0]:
        out += [pid, desc]
    return out


def rpc_psx(ctx):
    return [{"IDX": idx, "PID": pid, "DSC": desc} for idx, pid, desc in _process_table(ctx.program)[0]]


SHM_UNITS = {"b": 0, "k": 10, "m": 20, "g": 30}


def rpc_shmmem(ctx):
    shift = 0
    unit = ctx.str_param(0, optional=True, scan="s")
    if unit is not None:               # b, k, m, g, optionally followed by b: kb, MB ...
        shift = SHM_UNITS.get(unit[:1].lower())
        if shift is None or (len(unit) > 1 and (unit[1] not in "bB" or len(unit) > 2)):
            raise RpcFault(500, "bad param, (use b|k|m|g)")
    st = ctx.program.shm.stats()
    return {name: (st[name] >> (0 if name == "fragments" else shift)) & 0xFFFFFFFF
            for name in ("total", "free", "used", "real_used", "max_used", "fragments")}


CORE_RPC = {
    "system.listMethods": RpcCommand(rpc_list_methods, doc="Lists all RPC methods supported by the server.",
                                     returns_array=True),
    "system.methodHelp": RpcCommand(rpc_method_help, doc="Print the help string for given method."),
    "core.echo": RpcCommand(rpc_echo, doc="Returns back its parameters.", returns_array=True),
    "core.version": RpcCommand(rpc_version, doc="Returns the version string of the server."),
    "core.uptime": RpcCommand(rpc_uptime, doc="Returns uptime of SIP server."),
    "core.ps": RpcCommand(rpc_ps, doc="Returns the description of running processes.", returns_array=True),
    "core.psx": RpcCommand(rpc_psx, doc="Returns the detailed description of running processes.",
                           returns_array=True),
    "core.shmmem": RpcCommand(rpc_shmmem, doc="Returns shared memory info. It has an optional parameter that "
                              "specifies the measuring unit: b - bytes (default), k or kb, m or mb, g or gb. "
                              "Note: when using something different from bytes, the value is truncated."),
}


def _forward_port(program, node, args):
    """forward(host, port): the grammar wants a number for the port, not a string."""
    from ..cfg import nodes as N
    if type(node.args[1]) is N.Str:
        raise FixupError("bad forward argument: the port must be a number")
    return args


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
        **core_sip.FUNCTIONS,
        **{name: [Function(forward.forward0, sets_rc=False),
                  Function(forward.forward1, args=(Arg.STR,), sets_rc=False),
                  Function(forward.forward2, args=(Arg.STR, Arg.INT), fixup=_forward_port, sets_rc=False)]
           for name in ("forward", "forward_udp")},
    },
    rpc=CORE_RPC,
    doc="core actions",
)
