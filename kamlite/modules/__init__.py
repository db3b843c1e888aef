"""The module interface: each Kamailio module is one file with one export table.

    MODULE = Module(
        name="xlog",
        params={"buf_size": Param(int, default=4096)},
        functions={"xlog": [Function(xlog1, args=(Arg.FMT,)), Function(xlog2, args=(Arg.STR, Arg.FMT))]},
        pvs={"xlog_level": PseudoVar(get=...)},
        rpc={"xlog.x": RpcCommand(handler, doc="...")},
        state=State,            # per-program state object, passed first to every callable
        mod_init=..., child_init=..., destroy=...,
    )

Argument kinds tell the resolver what to do at load time (Kamailio's fixups); a wrong
count or kind is a load-time error naming file:line:col.
"""
from __future__ import annotations

import dataclasses
import importlib
import re
from typing import Any, Callable, Optional

# route types, as bits, for Function.route_types (Kamailio's route.h)
REQUEST_ROUTE = 1
FAILURE_ROUTE = 2
TM_ONREPLY_ROUTE = 4                 # onreply_route[name] (tm)
BRANCH_ROUTE = 8
ONSEND_ROUTE = 16
ERROR_ROUTE = 32
LOCAL_ROUTE = 64
CORE_ONREPLY_ROUTE = 128             # reply_route / onreply_route without a name
BRANCH_FAILURE_ROUTE = 256
ONREPLY_ROUTE = TM_ONREPLY_ROUTE | CORE_ONREPLY_ROUTE
ONEVENT_ROUTE = 512
EVENT_ROUTE = REQUEST_ROUTE | ONEVENT_ROUTE
ANY_ROUTE = 0xFFFFFFFF


def block_route_type(key: str) -> int:
    """The route type a route block's body is checked against (cfg.y's rt): route[X]
    blocks count as request routes; onreply_route[name] is tm's, reply_route the core's."""
    kind = key.split(":", 1)[0]
    return {"request": REQUEST_ROUTE, "route": REQUEST_ROUTE, "failure": FAILURE_ROUTE,
            "onreply": TM_ONREPLY_ROUTE, "reply": CORE_ONREPLY_ROUTE, "branch": BRANCH_ROUTE,
            "onsend": ONSEND_ROUTE, "event": EVENT_ROUTE}.get(kind, ANY_ROUTE)


class Arg:
    """Kinds of function parameters.

    STR    a constant string (constant expressions are folded first)
    INT    a constant integer (a string holding a number is accepted, as Kamailio does)
    FMT    a format string: text with $pv specs, expanded at each call; the function gets
           a callable fmt(ctx) -> str
    INTPV  an integer, or a pseudo-variable (fixup_var_int_12); the function gets a
           callable int_of(ctx) -> int, or None (logged) when the variable holds no int
    PVFMT  a string: a pseudo-variable when it starts with one (what follows is ignored),
           else a format (fixup_var_pve_str_12); the function gets fmt(ctx) -> str, or None
           (logged) when the variable holds no string
    PVW    a writable pseudo-variable, given by name ("$var(x)" or $var(x)); the function gets
           the PV spec (spec.get(ctx), spec.set(ctx, value))
    PV     a readable pseudo-variable spec (same form as PVW)
    ROUTE  a route name; the function gets the route's runner
    ANY    any expression; the function gets its value (int, str or None) at call time
    """
    STR = "str"
    INT = "int"
    FMT = "fmt"
    INTPV = "intpv"
    PVFMT = "pvfmt"
    PVW = "pvw"
    PV = "pv"
    ROUTE = "route"
    ANY = "any"


@dataclasses.dataclass
class Function:
    impl: Callable
    args: tuple = ()
    fixup: Optional[Callable] = None      # fixup(lc, loc, args) -> args  (may raise FixupError)
    dynamic: tuple = ()                    # indexes of STR/FMT params that accept run-time values
    route_types: int = ANY_ROUTE
    sets_rc: bool = True                  # core actions do not change $rc
    name: str = ""
    module: str = ""

    @property
    def nargs(self) -> int:
        return len(self.args)


class FixupError(Exception):
    """Raised by a fixup (or a module check): the message is reported at the call's (or
    `node`'s) location."""

    def __init__(self, message: str, arg: int | None = None, node=None):
        super().__init__(message)
        self.arg = arg
        self.node = node


@dataclasses.dataclass
class Param:
    type: type                             # int or str (what modparam value must be)
    default: Any = None
    multi: bool = False                    # may be given several times
    apply: Optional[Callable] = None       # apply(state, value, lc) -> None; raise ValueError to refuse


@dataclasses.dataclass
class PseudoVar:
    """A pseudo-variable class, e.g. $var or $rU.

    Either `make(state, lc, name) -> spec` for PVs that take an inner name or index (the
    spec has get/set), or simple `get(ctx)` / `set(ctx, value)` for plain ones.
    """
    get: Optional[Callable] = None
    set: Optional[Callable] = None
    make: Optional[Callable] = None
    needs_name: bool = False               # $var needs (name); $rc does not
    takes_name: bool = False               # accepts an optional (name)


@dataclasses.dataclass
class RpcCommand:
    handler: Callable                      # handler(state, rpc_ctx) or handler(rpc_ctx)
    doc: str = ""
    returns_array: bool = False


@dataclasses.dataclass
class Module:
    name: str
    params: dict = dataclasses.field(default_factory=dict)
    functions: dict = dataclasses.field(default_factory=dict)
    pvs: dict = dataclasses.field(default_factory=dict)
    transforms: dict = dataclasses.field(default_factory=dict)
    rpc: dict = dataclasses.field(default_factory=dict)
    state: Optional[Callable] = None       # factory: state(program) -> object
    mod_init: Optional[Callable] = None    # mod_init(state, program) in the main process
    child_init: Optional[Callable] = None  # child_init(state, program, rank)
    destroy: Optional[Callable] = None     # destroy(state, program) in the main process
    processes: Optional[Callable] = None   # processes(state, program) -> [ProcessEntry] to fork
    check: Optional[Callable] = None       # check(state, program): after all modparams; raise
                                           # FixupError(message) with .node to refuse the config
    depends: tuple = ()
    doc: str = ""

    def function_variants(self):
        for name, f in self.functions.items():
            for variant in (f if isinstance(f, (list, tuple)) else (f,)):
                variant.name = name
                variant.module = self.name
                yield name, variant


_MODULE_NAME = re.compile(r"^(?:.*/)?([A-Za-z0-9_]+?)(?:\.so)?$")


def module_name(path: str) -> str | None:
    """'pv', 'pv.so', '/usr/lib/.../pv.so' and 'modules/pv/pv.so' all name the module pv."""
    m = _MODULE_NAME.match(path.strip())
    return m.group(1) if m else None


def find(name: str) -> Module | None:
    """The kamlite implementation of a Kamailio module, or None."""
    if not re.match(r"^[A-Za-z0-9_]+$", name) or name.startswith("_"):
        return None
    try:
        mod = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as e:
        if e.name and (e.name == f"{__name__}.{name}"):
            return None
        raise
    return getattr(mod, "MODULE", None)


def available() -> list[str]:
    """Names of the modules kamlite provides."""
    import pkgutil
    out = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_") and info.name != "core":
            out.append(info.name)
    return sorted(out)
