"""From a parsed config to a Program: globals, modules, module parameters, routes.

This is Kamailio's startup work (cfg parse actions, fixups) done once.  Errors are
collected, not raised one by one, so that `kamlite -c` reports all of them; each names
file:line:col.
"""
from __future__ import annotations

import functools
import re
import sys

from ..cfg import nodes as N
from ..cfg.globals import CORE_PARAMS
from ..errors import ConfigError, Diagnostics, Location
from ..log import LEVEL_BY_NAME, FACILITIES, L_ERR, Log
from .. import modules as M
from . import pv as PV
from . import runtime as RT
from .compile import Compiler, CompileError, NULL_SPEC
from . import values as VAL

CORE_PVS = {"rc", "retcode", "?"}
LOG_PARAMS = {"debug", "log_stderror", "log_facility", "log_name"}

DEFAULTS = {
    "debug": 0, "log_stderror": 0, "children": 8, "max_while_loops": 100, "log_facility": "LOG_DAEMON",
    "log_name": None, "disable_tcp": 0, "shm_mem_size": 64, "max_recursive_level": 256,
}


class LoadedModule:
    __slots__ = ("module", "state", "node")

    def __init__(self, module: M.Module, state, node):
        self.module = module
        self.state = state
        self.node = node


class _RcPV(PV.PVSpec):
    vtype = "i"
    inline = "{ctx}.rc"

    def get(self, ctx):
        return ctx.rc


class Program:
    """A loaded config: what runs, plus everything needed to report on it."""

    def __init__(self, config: N.Config, path: str, log: Log | None = None,
                 param_overrides: dict | None = None, check_only: bool = False):
        self.config = config
        self.path = path
        self.log = log or Log(debug=DEFAULTS["debug"])
        self.diags = Diagnostics()
        self.core: dict = dict(DEFAULTS)
        self.listen: list = []
        self.aliases: list = []
        self.cfg_vars: dict = {}
        self.flags: dict[str, int] = {}
        self.modules: dict[str, LoadedModule] = {}
        self.module_order: list[str] = []
        self.loadpath: str | None = None
        self.vars: list = []                        # $var slots of this process
        self.var_slots: dict[str, int] = {}
        self.var_init: dict[int, object] = {}
        self.routes: dict[str, object] = {}          # key ("request", "route:NAME", "event:a:b" ...) -> fn
        self.routes_by_name: dict[str, object] = {}
        self.route_nodes: dict[str, list] = {}
        self.route_decl: dict[str, N.Route] = {}
        self._pv_cache: dict[str, PV.PVSpec] = {}
        self._pv_classes: dict[str, tuple] = {}
        self._functions: dict[tuple, M.Function] = {}
        self._function_names: set = set()
        self._transforms: dict = {}
        self.param_overrides = param_overrides or {}
        self.check_only = check_only
        self.compiler: Compiler | None = None
        self.rpc_commands: dict[str, tuple] = {}
        self.current_item = None                    # the modparam being applied
        self.workdir: str | None = None             # -w
        self.db_create = False                      # --db-create: create missing tables
        self._shm = None
        self._faked_msg = None
        self.sip = None                             # the SipCore (kamlite.sip.receive) once serving
        self.tracing = False                        # routes compiled with trace hooks (load(trace=True))
        self.trace_sink = list                      # makes each run's ctx.trace (a list by default)
        self.slow_timer_jobs: list = []             # (interval seconds, callable) for the slow timer
        self.max_while_loops = 100
        self.max_recursive_level = 256
        self.process_rank = 0
        self._core_module()

    # ---- places ---------------------------------------------------------------------------------
    def location(self, node_or_pos) -> Location:
        if isinstance(node_or_pos, int):
            return self.config.source.location(node_or_pos)
        return self.config.source.location(node_or_pos.pos, node_or_pos.end)

    def error(self, node, message: str, code: str = "") -> None:
        self.diags.error(self.location(node) if node is not None else Location(self.path, 0, 0), message, code)

    def warning(self, node, message: str, code: str = "") -> None:
        self.diags.warning(self.location(node), message, code)

    # ---- registry -----------------------------------------------------------------------------
    def _core_module(self):
        from ..modules import core
        self._register(core.MODULE, None, None)

    def _register(self, module: M.Module, state, node) -> None:
        lm = LoadedModule(module, state, node)
        if module.name != "core":
            self.modules[module.name] = lm
            self.module_order.append(module.name)
        for name, fn in module.function_variants():
            impl = fn.impl
            if module.state is not None and state is not None:
                impl = _bind(impl, state)
            bound = M.Function(impl, fn.args, fn.fixup, fn.dynamic, fn.route_types, fn.sets_rc, name, module.name)
            if module.state is not None and fn.fixup is not None:
                bound.fixup = _bind_fixup(fn.fixup, state)
            self._functions[(name, len(fn.args))] = bound
            self._function_names.add(name)
        for name, pv in module.pvs.items():
            self._pv_classes[name] = (pv, state, module)
        for name, tr in module.transforms.items():
            self._transforms[name] = (tr, state)
        for name, cmd in module.rpc.items():
            self.rpc_commands[name] = (cmd, state if module.state is not None else None)

    def find_function(self, name: str, nargs: int, node) -> M.Function:
        fn = self._functions.get((name, nargs))
        if fn is None:
            if name in self._function_names:
                counts = sorted(k[1] for k in self._functions if k[0] == name)
                raise CompileError(node, f"function {name} takes {' or '.join(map(str, counts))} "
                                   f"parameters, {nargs} given", "unknown-function")
            hint = ""
            owner = KNOWN_FUNCTION_MODULES.get(name)
            if owner and owner not in self.modules:
                hint = f" (it comes from module {owner}: loadmodule \"{owner}.so\"" + \
                       ("" if M.find(owner) else ", which kamlite does not provide yet") + ")"
            elif owner:
                hint = ""
            raise CompileError(node, f"unknown function {name}() with {nargs} parameters, "
                               f"missing loadmodule?{hint}", "unknown-function")
        return fn

    def pv_spec(self, text: str) -> PV.PVSpec:
        spec = self._pv_cache.get(text)
        if spec is not None:
            return spec
        pvt, end = PV.parse(text, 0)
        if end != len(text):
            raise PV.PVSyntaxError(f"unexpected text after the pseudo-variable: {text[end:]}")
        spec = self._make_spec(pvt)
        self._pv_cache[text] = spec
        return spec

    def _make_spec(self, pvt: PV.PVText) -> PV.PVSpec:
        name = pvt.name
        if pvt.marker:
            raise PV.PVSyntaxError("$$ is not a pseudo-variable")
        if name == "null":
            base = NULL_SPEC
        elif name in CORE_PVS and pvt.inner is None:
            base = _RcPV(pvt.text)
        else:
            entry = self._pv_classes.get(name)
            if entry is None:
                owner = KNOWN_PV_MODULES.get(name)
                if owner in self.modules or owner == "pv" and name in SIP_PVS:
                    hint = f" (kamlite's {owner} module does not provide it yet: it needs SIP support)"
                elif owner:
                    hint = f" (module {owner} provides it: loadmodule \"{owner}.so\")"
                else:
                    hint = ""
                raise LookupError(f'unknown pseudo-variable "${name}" in {pvt.text}{hint}')
            pv, state, module = entry
            if pv.needs_name and pvt.inner is None:
                raise LookupError(f'pvar "{name}" expects an inner name')
            if pvt.inner is not None and not (pv.needs_name or pv.takes_name):
                raise LookupError(f'pvar "{name}" does not get name param')
            if pv.make is not None:
                try:
                    base = pv.make(state, self, pvt) if module.state is not None else pv.make(self, pvt)
                except ValueError as e:
                    raise LookupError(f'pvar "{name}" has an invalid name param [{pvt.inner}]: {e}') from None
            else:
                getter, setter = pv.get, pv.set
                if module.state is not None:
                    getter = _bind(getter, state) if getter else None
                    setter = _bind(setter, state) if setter else None
                base = PV.SimplePV(pvt.text, getter, setter)
            if pvt.index is not None and not getattr(base, "accepts_index", False):
                raise LookupError(f'pvar "{name}" does not get index param')
        if pvt.trans:
            steps = [self._transform(t, pvt) for t in PV.split_transformations(pvt.trans)]
            return PV.TransformedPV(pvt.text, base, steps)
        return base

    def _transform(self, text: str, pvt) -> object:
        cls = text.split(".", 1)[0].split(",", 1)[0]
        entry = self._transforms.get(cls)
        if entry is None:
            raise LookupError(f"unknown transformation {{{text}}} in {pvt.text}")
        parse, state = entry
        try:
            return parse(self, text)
        except ValueError as e:
            raise LookupError(f"bad transformation {{{text}}} in {pvt.text}: {e}") from None

    def var_slot(self, name: str) -> int:
        slot = self.var_slots.get(name)
        if slot is None:
            slot = len(self.vars)
            self.var_slots[name] = slot
            self.vars.append(0)
        return slot

    # ---- loading ------------------------------------------------------------------------------
    def load(self) -> "Program":
        items = self.config.items
        request_bodies: list = []
        self._configure_log()
        for item in items:
            t = type(item)
            try:
                if t is N.GlobalParam:
                    self._global(item)
                    if item.name in LOG_PARAMS:
                        self._configure_log()
                elif t is N.LoadModule:
                    self._loadmodule(item)
                elif t is N.LoadPath:
                    self.loadpath = item.path
                elif t is N.ModParam:
                    self._modparam(item)
                elif t is N.Route:
                    self._route(item, request_bodies)
                elif t is N.CfgVar:
                    self.cfg_vars[item.name] = item.values
                elif t is N.FlagsDecl:
                    for name, num in item.flags:
                        self.flags[name] = num if num is not None else len(self.flags)
            except CompileError as e:
                self.error(e.node, str(e), e.code)
        self._apply_overrides()
        self._check_modules()
        self.max_while_loops = self.core["max_while_loops"]
        self.max_recursive_level = int(self.core["max_recursive_level"])
        # each route level is one Python frame (plus a helper's): keep Python's limit above it
        needed = self.max_recursive_level * 3 + 200
        if sys.getrecursionlimit() < needed:
            sys.setrecursionlimit(needed)
        self._configure_log()
        if request_bodies:
            self.route_nodes["request"] = [s for body in request_bodies for s in body]
        self._compile()
        if self.diags.errors:
            raise ConfigError(self.diags.errors)
        return self

    def _check_modules(self) -> None:
        for name in self.module_order:
            lm = self.modules[name]
            if lm.module.check is None:
                continue
            try:
                lm.module.check(lm.state, self) if lm.module.state else lm.module.check(self)
            except M.FixupError as e:
                self.error(e.node or lm.node, f"{name}: {e}", "module")

    def dropped(self, module: str, name: str) -> bool:
        """params={(module, name): None}: the config's setting is left out, as if it were
        not written (module "core" for a global)."""
        over = self.param_overrides
        mods = ("core", None, "") if module == "core" else (module,)
        return any((m, name) in over and over[(m, name)] is None for m in mods)

    def _apply_overrides(self) -> None:
        for (mod, param), value in self.param_overrides.items():
            if value is None:                 # a dropped setting (see dropped())
                continue
            if mod in (None, "core", ""):
                self.core[param] = value
                continue
            lm = self.modules.get(mod)
            if lm is None:
                continue
            p = lm.module.params.get(param)
            if p is not None:
                self._set_param(lm, param, p, value, None)

    def _configure_log(self) -> None:
        """debug=, log_stderror= ... take effect where they appear (command-line flags win)."""
        log = self.log
        over = self.param_overrides
        if log.captured is None:
            v = over.get(("core", "log_stderror"))
            log.to_stderr = bool(self.core.get("log_stderror") if v is None else v)
        v = over.get(("core", "debug"))
        log.debug = int(self.core.get("debug") or 0 if v is None else v)
        log.name = self.core.get("log_name") or "kamlite"
        log.facility = FACILITIES.get(self.core.get("log_facility") or "LOG_DAEMON", log.facility)

    def extra_processes(self) -> list:
        """Processes modules ask for (rtimer, ctl ...), in module load order."""
        out = []
        for name in self.module_order:
            lm = self.modules[name]
            if lm.module.processes is not None:
                out.extend(lm.module.processes(lm.state, self) if lm.module.state else lm.module.processes(self))
        return out

    def _global(self, item: N.GlobalParam) -> None:
        name = item.name
        kinds = CORE_PARAMS.get(name)
        if kinds is None:
            self.error(item, f"unknown config variable '{name}'", "unknown-global")
            return
        if self.param_overrides and self.dropped("core", name):
            return
        words = item.values
        if name in ("listen", "alias"):
            text = _socket_text(words)
            if name == "listen":
                from ..sip.transport import ListenError, parse_listen
                try:
                    parse_listen(text)
                except ListenError as e:
                    self.error(item, f"bad listen value '{text}': {e}", "bad-global")
                    return
            (self.listen if name == "listen" else self.aliases).append(text)
            return
        value = _global_value(words, kinds)
        if value is _BAD:
            self.error(item, f"bad value for '{name}' (expected {' or '.join(kinds)})", "bad-global")
            return
        if name == "debug" and isinstance(value, str):
            lv = LEVEL_BY_NAME.get(value)
            if lv is None:
                self.error(item, f"bad value for 'debug': {value}", "bad-global")
                return
            value = lv
        if name == "log_facility" and value not in FACILITIES:
            self.error(item, f"bad log facility {value}", "bad-global")
            return
        self.core[name] = value

    def _loadmodule(self, item: N.LoadModule) -> None:
        name = M.module_name(item.path)
        if name is None:
            self.error(item, f"bad module name {item.path}", "module")
            return
        if name in self.modules:
            return
        module = M.find(name)
        if module is None:
            self.error(item, f"module {name} is not available in kamlite "
                       f"(available: {', '.join(M.available())})", "unknown-module")
            return
        for dep in module.depends:
            if dep not in self.modules:
                self.error(item, f"module {name} needs module {dep} loaded before it", "module")
        state = module.state(self) if module.state is not None else None
        self._register(module, state, item)

    def _modparam(self, item: N.ModParam) -> None:
        try:
            rx = re.compile(item.module)
        except re.error:
            self.error(item, f"bad module name regex {item.module!r}", "modparam")
            return
        matched = [lm for n, lm in self.modules.items() if rx.fullmatch(n)]
        if not matched:
            self.error(item, f"modparam for module {item.module!r}, which is not loaded "
                       "(modparam must come after its loadmodule)", "modparam")
            return
        value = item.value
        if item.value_kind == "word":
            if item.value in BOOL_PARAM_WORDS:
                value = BOOL_PARAM_WORDS[item.value]
            else:
                self.error(item, f"bad modparam value {item.value}", "modparam")
                return
        elif item.value_kind == "pvar":
            self.error(item, "modparamx with a pseudo-variable value is not supported", "modparam")
            return
        for lm in matched:
            if self.param_overrides and self.dropped(lm.module.name, item.param):
                continue
            p = lm.module.params.get(item.param)
            want = int if isinstance(value, int) else str
            if p is None or (p.type is not want and not (p.type is int and want is str and False)):
                tname = "2:int" if want is int else "1:string"
                self.error(item, f"parameter <{item.param}> of type <{tname}> not found in module "
                           f"<{lm.module.name}>", "modparam")
                continue
            self._set_param(lm, item.param, p, value, item)

    def _set_param(self, lm: LoadedModule, name: str, p: M.Param, value, item) -> None:
        self.current_item = item
        if p.apply is not None:
            try:
                if lm.module.state is not None:
                    p.apply(lm.state, value, self)
                else:
                    p.apply(value, self)
            except ValueError as e:
                self.error(item, f"{lm.module.name}: {e} (Can't set module parameter {name})", "modparam")
        elif lm.state is not None:
            setattr(lm.state, name, value)

    def _route(self, item: N.Route, request_bodies: list) -> None:
        kind = item.kind
        if kind == "request" or (kind == "route" and item.name is None):
            request_bodies.append(item.body)           # several blocks are joined (cfg.y push)
            self.route_decl.setdefault("request", item)
            return
        if kind == "route" and item.name == "0":       # route[0] is the request route
            if request_bodies:
                self.error(item, "duplicate route request", "duplicate-route")
                return
            request_bodies.append(item.body)
            self.route_decl.setdefault("request", item)
            return
        if kind == "onreply" and item.name in (None, "0"):
            key = "reply"
        elif kind == "failure" and item.name is None:
            key = "failure:0"
        else:
            key = f"{kind}:{item.name}" if item.name is not None else kind
        if key in self.route_nodes:
            if item.name is None or key == "reply":    # unnamed blocks are joined too
                self.route_nodes[key] = self.route_nodes[key] + item.body
                return
            self.error(item, f"duplicate route {key}", "duplicate-route")
            return
        self.route_nodes[key] = item.body
        self.route_decl[key] = item

    def _compile(self) -> None:
        comp = self.compiler = Compiler(self, self.diags)
        for key in self.route_nodes:
            comp.declare_route(key)
        comp.infer_var_types(list(self.route_nodes.values()))
        for key, body in self.route_nodes.items():
            comp.compile_route(key, body)
        if self.diags.errors:
            return
        funcs = comp.finish()
        self.routes = funcs
        self.routes_by_name = {k[6:]: f for k, f in funcs.items() if k.startswith("route:")}

    # ---- shared memory and RPC ------------------------------------------------------------------
    @property
    def shm(self):
        """The shared memory pool (-m MB / shm_mem_size, default 64 MB), made on first use;
        it must exist before the server forks."""
        if self._shm is None:
            from ..server.shm import SharedMemory
            self._shm = SharedMemory(int(self.core.get("shm_mem_size") or 64) * 1024 * 1024)
        return self._shm

    @property
    def needs_shm(self) -> bool:
        return self._shm is not None or bool(self.modules)

    @property
    def faked_msg(self):
        """This process' faked request (timer and event routes); changes to it persist."""
        if self._faked_msg is None:
            from ..sip.message import ParseLog, faked_message
            self._faked_msg = faked_message(ParseLog(self.log))
        self._faked_msg.id += 1           # faked_msg_get_next(): a new message id per use
        return self._faked_msg

    def runtime_format(self, text: str):
        """A format string known only at run time (a variable given to a format
        parameter), parsed once and cached."""
        cache = self.__dict__.setdefault("_runtime_formats", {})
        fmt = cache.get(text)
        if fmt is None:
            from . import values as V
            try:
                parts = [p if isinstance(p, str) else self.pv_spec(p.text) for p in PV.parse_format(text)]
            except (PV.PVSyntaxError, LookupError):
                parts = [text]

            def fmt(ctx, limit=8192, fparam=True, parts=parts):
                out = []
                for p in parts:
                    if isinstance(p, str):
                        out.append(p)
                    else:
                        try:
                            out.append(V.fmt_str(p.get(ctx)))
                        except RT.PVFail:
                            pass
                return "".join(out)
            if len(cache) < 1000:
                cache[text] = fmt
        return fmt

    def rpc(self, method: str, *params):
        """Run an RPC command in this process; returns its reply or raises RpcFault."""
        from ..rpc import RpcContext, RpcFault
        entry = self.rpc_commands.get(method)
        if entry is None:
            raise RpcFault(500, "Method Not Found")
        cmd, state = entry
        ctx = RpcContext(list(params), self)
        return cmd.handler(state, ctx) if state is not None else cmd.handler(ctx)

    # ---- running ------------------------------------------------------------------------------
    def init_modules(self) -> None:
        """mod_init of every module, in load order (main process, before forking)."""
        for name in self.module_order:
            lm = self.modules[name]
            if lm.module.mod_init is not None:
                lm.module.mod_init(lm.state, self) if lm.module.state else lm.module.mod_init(self)

    def child_init(self, rank: int) -> None:
        for name in self.module_order:
            lm = self.modules[name]
            if lm.module.child_init is not None:
                lm.module.child_init(lm.state, self, rank) if lm.module.state else lm.module.child_init(self, rank)

    def destroy_modules(self) -> None:
        for name in reversed(self.module_order):
            lm = self.modules[name]
            if lm.module.destroy is not None:
                lm.module.destroy(lm.state, self) if lm.module.state else lm.module.destroy(self)

    def new_context(self, msg, route_type: int) -> RT.Context:
        """The context of one top-level run (collecting a trace when tracing)."""
        ctx = RT.Context(self, msg, route_type)
        if self.tracing:
            ctx.trace = self.trace_sink()
        return ctx

    def run(self, key: str, msg=None, route_type: int = M.REQUEST_ROUTE) -> RT.Context:
        """Run a route as a top-level route (a message, a timer tick, an event)."""
        fn = self.routes.get(key)
        if fn is None:
            raise KeyError(f"no route {key}")
        ctx = self.new_context(msg, route_type)
        try:
            ctx.rc = 0
            fn(ctx)
        except RT.ScriptExit:
            pass
        except RecursionError:
            self.log.core(L_ERR, "core/action.c:1552]: run_actions()", "too many recursive routing table lookups")
        except Exception as e:        # a bug in kamlite or a module: log it, keep serving
            self.log.core(L_ERR, "kamlite]: run()", f"BUG: {key} failed: {type(e).__name__}: {e}")
        return ctx

    def run_route(self, name: str, msg=None) -> RT.Context:
        key = name if ":" in name or name == "request" else f"route:{name}"
        return self.run(key, msg)

    def run_worker_one_init(self) -> bool:
        """event_route[core:worker-one-init], as the first worker runs it after child_init.
        False when the route used 'drop' (Kamailio then refuses to start)."""
        key = "event:core:worker-one-init"
        if key not in self.routes:
            return True
        ctx = self.run(key, self.faked_msg)
        if ctx.dropped:
            self.log.core(L_ERR, "core/action.c:1719]: run_child_one_init_route()",
                          "exit due to 'drop' in event route")
            return False
        return True

    def has_route(self, key: str) -> bool:
        return key in self.routes


def _bind(fn, state):
    """fn with its module state as first argument (a C-level partial: no extra frame)."""
    return functools.partial(fn, state)


def _bind_fixup(fixup, state):
    def bound(program, node, args):
        return fixup(state, program, node, args)
    return bound


BOOL_PARAM_WORDS = {"yes": 1, "true": 1, "on": 1, "enable": 1, "no": 0, "false": 0, "off": 0, "disable": 0}
_BAD = object()


def _parse_int_word(text: str):
    if text in BOOL_PARAM_WORDS:
        return BOOL_PARAM_WORDS[text]
    neg = text.startswith("-")
    t = text[1:] if neg else text
    try:
        if t.startswith(("0x", "0X")):
            v = int(t[2:], 16)
        elif t.endswith("b") and set(t[:-1]) <= {"0", "1"} and t[:-1]:
            v = int(t[:-1], 2)
        elif len(t) > 1 and t.startswith("0") and set(t) <= set("01234567"):
            v = int(t, 8)
        else:
            v = int(t)
    except ValueError:
        return None
    return VAL.wrap(-v if neg else v)


def _global_value(words: list, kinds: tuple):
    if len(words) == 1:
        w = words[0]
        if w.kind == "string":
            if "str" in kinds or "host" in kinds or "sockets" in kinds:
                return w.text
            return _BAD
        if w.kind == "word":
            if "int" in kinds:
                v = _parse_int_word(w.text)
                if v is not None:
                    return v
            if "id" in kinds or "proto" in kinds or "host" in kinds or "ip" in kinds:
                return w.text
            if "int" in kinds and w.text.startswith("L_"):
                return w.text
    return _BAD


def _socket_text(words: list) -> str:
    return " ".join(w.text if w.kind != "string" else f'"{w.text}"' for w in words)


# where well-known functions and PVs come from, for better "unknown" messages
KNOWN_FUNCTION_MODULES = {
    "sl_send_reply": "sl", "send_reply": "sl", "sl_reply_error": "sl", "t_relay": "tm",
    "t_on_failure": "tm", "t_check_trans": "tm", "t_newtran": "tm", "is_method": "textops",
    "search": "textops", "append_hf": "textops", "remove_hf": "textops", "is_present_hf": "textops",
    "has_totag": "siputils", "mf_process_maxfwd_header": "maxfwd", "sanity_check": "sanity",
    "mq_add": "mqueue", "mq_fetch": "mqueue", "mq_size": "mqueue", "mq_pv_free": "mqueue",
    "record_route": "rr", "loose_route": "rr", "save": "registrar", "lookup": "registrar",
    "route_if_exists": "cfgutils", "check_route_exists": "cfgutils", "lock": "cfgutils",
    "unlock": "cfgutils", "trylock": "cfgutils", "core_hash": "cfgutils", "set_gflag": "cfgutils",
    "is_gflag": "cfgutils", "reset_gflag": "cfgutils", "rand_event": "cfgutils", "sleep": "cfgutils",
    "usleep": "cfgutils",
    "xlog": "xlog", "xinfo": "xlog", "xdbg": "xlog", "pv_isset": "pv", "pv_unset": "pv",
}
SIP_PVS = {"ru", "rU", "rd", "rp", "rm", "si", "sp", "ci", "fu", "fU", "fd", "tu", "tU", "td", "ua",
           "hdr", "hdrc", "rs", "rr", "du", "ou", "mb", "ml", "Ri", "Rp", "pr", "proto", "cs", "ft",
           "tt", "fn", "tn", "rz", "rv", "mf", "bf", "br", "ct", "cl", "cT", "ai", "di", "re"}
KNOWN_PV_MODULES = {
    "var": "pv", "avp": "pv", "xavp": "pv", "shv": "pv", "pp": "pv", "TS": "pv", "Ts": "pv",
    "TV": "pv", "ru": "pv", "rU": "pv", "rm": "pv", "si": "pv", "sp": "pv", "ci": "pv",
    "mqk": "mqueue", "mqv": "mqueue", "mq_size": "mqueue", "sht": "htable", "rtimer_worker": "rtimer",
    "RANDOM": "cfgutils",
}
