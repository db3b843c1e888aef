"""Routes -> Python source, compiled once per program.

Each route becomes one Python function.  Names, pseudo-variables, functions and format
strings are resolved here; Kamailio's typing rules are inlined where the types are known at
load time and call script.runtime helpers where they are not.  Expressions go through
script.rve first (Kamailio's own rewrites), so what runs is what Kamailio would run.

Generated code conventions: `ctx` is the run context, `V` the process' $var slots, `_ret`
the value of the last action (a route's value when it falls off its end), `_t` a scratch
variable for walrus-typed checks.
"""
from __future__ import annotations

import re

from ..cfg import nodes as N
from ..errors import Diagnostics, Location
from ..log import L_ERR, L_WARN
from ..modules import ANY_ROUTE, Arg, FixupError, Function, block_route_type
from .. import posixre
from . import oldtests
from . import trace as TR
from . import pv as PV
from . import rve as R
from . import runtime as RT
from . import values as VAL

# words the lexer turns into numbers
BOOL_WORDS = {"yes": 1, "true": 1, "on": 1, "enable": 1, "no": 0, "false": 0, "off": 0, "disable": 0}
# old-style test operands (exp_elem)
BEXPR_WORDS = {"method", "uri", "from_uri", "to_uri", "src_ip", "dst_ip", "snd_ip", "to_ip",
               "src_port", "dst_port", "snd_port", "to_port", "proto", "snd_proto", "af", "snd_af",
               "msg:len", "myself"}


class CompileError(Exception):
    """Raised inside the compiler for one statement; becomes a diagnostic."""

    def __init__(self, node, message: str, code: str = ""):
        super().__init__(message)
        self.node = node
        self.code = code


class Builder:
    """Turns expression nodes into rve trees (cfg.y's mk_rve1/mk_rve2 with their type checks)."""

    def __init__(self, comp: "Compiler"):
        self.comp = comp

    def pos(self, node) -> tuple:
        loc = self.comp.loc(node)
        return (loc.line, loc.col, loc.end_line or loc.line, loc.end_col or loc.col)

    _TOKEN = re.compile(r"[<>=!~&|^+*/-]+|[A-Za-z0-9_]+|\S")

    def lookahead_pos(self, node) -> tuple:
        """The position of the token after node (where Kamailio's parser stood when it
        made the value)."""
        text = self.comp.program.config.source.text
        m = self._TOKEN.search(text, node.end)
        if m is None:
            return self.pos(node)
        loc = self.comp.program.config.source.location(m.start(), m.end())
        return (loc.line, loc.col, loc.end_line or loc.line, loc.end_col or loc.col)

    def build(self, e) -> R.RVE:
        t = type(e)
        if t is N.Int:
            return R.leaf("int", e.value, self.pos(e), e)
        if t is N.Str:
            return R.leaf("str", e.value, self.pos(e), e)
        if t is N.PV:
            spec = self.comp.pv_spec(e.text, e)
            pos = self.lookahead_pos(e) if e.after_paren else self.pos(e)
            if spec is NULL_SPEC:
                return R.leaf("null", None, pos, e)
            return R.leaf("pv", spec, pos, e)
        if t is N.Call or t is N.AssignExpr:
            return R.leaf("action", e, self.pos(e), e)
        if t is N.Word:
            if e.text in BOOL_WORDS:
                return R.leaf("int", BOOL_WORDS[e.text], self.pos(e), e)
            raise CompileError(e, f"unexpected word '{e.text}' in an expression "
                               "(an undefined #!define, or a string without quotes?)", "syntax")
        if t is N.Select:
            raise CompileError(e, f"selects such as {e.text} are not supported by kamlite", "unsupported")
        if t is N.BinOp:
            return self.binop(e)
        if t is N.UnOp:
            operand = self.build(e.operand)
            op = R.UNARY_OPS[e.op]
            return self.mk1(op, operand, e)
        if t is N.StrLen:
            return self.mk1("strlen", self.build(e.operand), e)
        if t is N.StrEmpty:
            return self.mk1("strempty", self.build(e.operand), e)
        if t is N.SelVal:
            c = self.build(e.cond)
            a = self.build(e.if_true)
            b = self.build(e.if_false)
            opt = R.RVE("selvalopt", a, b, pos=(a.pos[0], a.pos[1], b.pos[2], b.pos[3]), node=e)
            return R.RVE("selvalexp", c, opt, pos=(c.pos[0], c.pos[1], b.pos[2], b.pos[3]), node=e)
        raise CompileError(e, f"unsupported expression {type(e).__name__}")

    def binop(self, e: N.BinOp) -> R.RVE:
        left = e.left
        if type(left) is N.Word and left.text in BEXPR_WORDS:
            try:
                if left.text == "myself":
                    right = e.right.text if type(e.right) is N.Word else ""
                    test = oldtests.build_reversed(e.op, right, self)
                else:
                    test = oldtests.build(left.text, e.op, e.right, self)
            except oldtests.OldTestError as err:
                raise CompileError(e, f"{left.text} {e.op} ...: {err}", "syntax") from None
            return R.leaf("bexpr", test, self.pos(e), e)
        if type(e.right) is N.Word and e.right.text == "myself":
            raise CompileError(e, "myself can only be compared with uri, from_uri, to_uri, src_ip or dst_ip",
                               "syntax")
        a = self.build(left)
        b = self.build(e.right)
        op = R.BINARY_OPS[e.op]
        if op in ("eq", "diff") and b.op == "rval" and b.rval.kind == "null":
            # '== $null' is 'not defined', '!= $null' is 'defined' (cfg.y)
            return self.mk1("notdefined" if op == "eq" else "defined", a, e)
        return self.mk2(op, a, b, e)

    def const_value(self, e: R.RVE):
        return self.comp._ce().val(e)

    def value_fn(self, e: R.RVE):
        """A callable ctx -> value for a non-constant operand of an old-style test."""
        if e.op == "rval" and e.rval.kind == "pv":
            spec = e.rval.value

            def read(ctx, spec=spec):
                try:
                    return spec.get(ctx)
                except RT.PVFail:
                    return None
            return read
        return self.comp.value_function(e)

    def _type_error(self, e: R.RVE, exc: R.TypeMismatch, node):
        raise CompileError(node, f"bad expression: type mismatch: {exc.bad_t} instead of {exc.exp_t} "
                           f"at ({exc.bad.pos[0]},{exc.bad.pos[1]})", "type")

    def mk1(self, op, operand: R.RVE, node) -> R.RVE:
        e = R.RVE(op, operand, pos=operand.pos, node=node)
        try:
            R.check_type(e)
        except R.TypeMismatch as exc:
            self._type_error(e, exc, node)
        return e

    def mk2(self, op, a: R.RVE, b: R.RVE, node) -> R.RVE:
        e = R.RVE(op, a, b, pos=(a.pos[0], a.pos[1], b.pos[2], b.pos[3]), node=node)
        try:
            R.check_type(e)
        except R.TypeMismatch as exc:
            self._type_error(e, exc, node)
        return e


class _NullSpec(PV.PVSpec):
    vtype = "n"

    def get(self, ctx):
        return None


NULL_SPEC = _NullSpec("$null")


class RouteEmitter:
    """Writes the Python source of one route function."""

    def __init__(self, comp: "Compiler", fname: str):
        self.comp = comp
        self.fname = fname
        self.lines: list[str] = []
        self.ind = 1
        self.counter = 0
        self.depth = 0              # blocks nested inside the route body

    def w(self, line: str) -> None:
        self.lines.append("    " * self.ind + line)

    def tmp(self, base: str) -> str:
        self.counter += 1
        return f"{base}{self.counter}"


class Compiler:
    """Compiles the routes of one program.  `program` provides: location mapping,
    PV resolution (pv_spec), function lookup (find_function), route table and log."""

    def __init__(self, program, diags: Diagnostics):
        self.program = program
        self.diags = diags
        self.ns: dict = {}
        self.names: dict[int, str] = {}
        self.counter = 0
        self.builder = Builder(self)
        self.sources: list[str] = []
        self.route_funcs: dict[str, str] = {}      # route key -> python function name
        self.var_types: dict[int, str] = {}
        self.ir_cache: dict[int, R.RVE] = {}
        self.route_type = ANY_ROUTE                  # the kind of block being compiled
        self.route_name = ""
        self.tracing = bool(getattr(program, "tracing", False))
        self._init_namespace()

    # ---- namespace --------------------------------------------------------------------------
    def _init_namespace(self):
        ns = self.ns
        ns.update({
            "VARS": self.program.vars, "EXIT": RT.EXIT, "EvalError": RT.EvalError, "TR": TR,
            "ScriptExit": RT.ScriptExit, "PVFail": RT.PVFail,
            "_w": VAL.wrap, "_ts": VAL.to_str, "_fs": VAL.fmt_str, "_io": RT.int_of,
            "_iq": RT.int_of_quiet, "_div": RT.div, "_mod": RT.mod, "_shl": VAL.shl,
            "_shr": VAL.shr, "_log": RT.core_log, "_evf": RT.eval_failed, "H": Helpers,
            "L_ERR": L_ERR, "L_WARN": L_WARN, "ONCE": (None,),
        })

    def const(self, obj, prefix: str = "K") -> str:
        key = id(obj)
        name = self.names.get(key)
        if name is None:
            self.counter += 1
            name = f"{prefix}{self.counter}"
            self.names[key] = name
            self.ns[name] = obj
        return name

    def loc(self, node) -> Location:
        return self.program.location(node)

    def pv_spec(self, text: str, node) -> PV.PVSpec:
        if text in ("$null", "$(null)"):
            return NULL_SPEC
        try:
            return self.program.pv_spec(text)
        except PV.PVSyntaxError as e:
            raise CompileError(node, f"bad pseudo-variable {text}: {e}", "pv") from None
        except LookupError as e:
            raise CompileError(node, str(e), "pv") from None

    # ---- entry points ------------------------------------------------------------------------
    def declare_route(self, key: str) -> str:
        fname = f"R_{len(self.route_funcs)}_" + re.sub(r"\W", "_", key)[:40]
        self.route_funcs[key] = fname
        return fname

    def compile_route(self, key: str, body: list) -> None:
        self.route_type = block_route_type(key)
        self.route_name = key[6:] if key.startswith("route:") else key
        self.current_key = key
        fname = self.route_funcs[key]
        em = RouteEmitter(self, fname)
        em.w("_ret = 1")
        decl = self.program.route_decl.get(key)
        if self.tracing:
            em.w(f"TR.event(ctx, {self.site('enter', decl)})")
        self.block(em, body, want=True, in_loop=False, nested=False)
        if self.tracing:
            em.w(f"TR.event(ctx, {self.site('exit', decl)}, (), _ret)")
        em.w("return _ret")
        head = f"def {fname}(ctx, V=VARS):"
        self.sources.append("\n".join([head] + em.lines))

    def finish(self) -> dict:
        source = "\n\n".join(self.sources) + "\n"
        self.source = source
        code = compile(source, "<kamlite routes>", "exec")
        exec(code, self.ns)
        return {key: self.ns[fname] for key, fname in self.route_funcs.items()}

    # ---- statements -----------------------------------------------------------------------------
    def block(self, em: RouteEmitter, stmts: list, want: bool, in_loop: bool, nested: bool = True) -> bool:
        """Compile statements; `want`: the last one sets _ret. Returns False on errors.

        A nested block (if/else, while, switch body) is one more run_actions level in
        Kamailio; route calls inside it count those levels against max_recursive_level."""
        if nested:
            em.depth += 1
        try:
            return self._block(em, stmts, want, in_loop)
        finally:
            if nested:
                em.depth -= 1

    def _block(self, em: RouteEmitter, stmts: list, want: bool, in_loop: bool) -> bool:
        ok = True
        n = len(stmts)
        if n == 0:
            em.w("pass")
            return True
        for i, s in enumerate(stmts):
            try:
                self.stmt(em, s, want and i == n - 1, in_loop)
            except CompileError as e:
                ok = False
                self.diags.error(self.loc(e.node), str(e), e.code)
                em.w("pass")
            except FixupError as e:
                ok = False
                self.diags.error(self.loc(s), str(e), "fixup")
                em.w("pass")
        return ok

    def stmt(self, em: RouteEmitter, s, want: bool, in_loop: bool) -> None:
        t = type(s)
        if t is N.Call:
            self.call_stmt(em, s, want)
        elif t is N.Assign:
            self.assign(em, s, want)
            if self.tracing:
                target = self.pv_spec(s.target.text, s.target)
                em.w(f"TR.event(ctx, {self.site('assign', s)}, (TR.read(ctx, {self.const(target, 'P')}),))")
        elif t is N.If:
            self.if_stmt(em, s, want, in_loop)
        elif t is N.While:
            self.while_stmt(em, s, want)
        elif t is N.Switch:
            self.switch_stmt(em, s, want, in_loop)
        elif t is N.Return:
            self.ret_stmt(em, s, want, in_loop)
        else:
            raise CompileError(s, f"unsupported statement {t.__name__}")

    def site(self, kind: str, node) -> str:
        """A trace site constant for a statement (or a route block)."""
        if node is None:
            loc, text = Location(self.program.path, 0, 0), ""
        else:
            loc = self.loc(node)
            src = self.program.config.source.text
            if type(node) is N.If:
                text = f"if ({src[node.cond.pos:node.cond.end]})"
            else:
                text = src[node.pos:node.end].split("\n", 1)[0].strip()
        return self.const(TR.Site(kind, self.route_name, loc.file, loc.line, text), "S")

    def cline(self, node) -> str:
        """'file:line' as Kamailio's 'run action error at' prints it."""
        loc = self.program.location(node.end - 1 if node.end > node.pos else node.pos)
        return f"{loc.file}:{loc.line}"

    def expr(self, node) -> R.RVE:
        e = self.ir_cache.get(id(node))
        if e is None:
            e = self.builder.build(node)
            self.fix(e)
            self.ir_cache[id(node)] = e
        return e

    # ---- $var type inference ---------------------------------------------------------------------
    def infer_var_types(self, bodies: list) -> None:
        """Find the $var slots that only ever hold ints, so reads skip the type check.

        Every $var starts as int 0; a slot stays 'i' while every assignment to it (and every
        modparam varset) gives an int.  A slot written by a function (a PV parameter) or
        assigned anything else becomes 'v' (int or str).  Iterated to a fixpoint.
        """
        assigns = []          # (slot, rhs node)
        dirty = set()
        for slot, value in self.program.var_init.items():
            if value.__class__ is not int:
                dirty.add(slot)
        for body in bodies:
            for n in N.walk(body):
                if type(n) is N.Assign:
                    slot = self._var_slot_of(n.target.text)
                    if slot is not None:
                        assigns.append((slot, n.expr))
                elif type(n) is N.Call and n.name != "route":
                    self._mark_pv_args(n, dirty)
        types = {slot: "i" for slot in range(len(self.program.vars))}
        for slot in dirty:
            types[slot] = "v"
        self.var_types = types
        changed = True
        while changed:
            changed = False
            for slot, rhs in assigns:
                if types.get(slot) != "i":
                    continue
                try:
                    t = self.static_type(self.expr(rhs))
                except (CompileError, FixupError):
                    t = "v"
                if t != "i":
                    types[slot] = "v"
                    changed = True
        self.ir_cache.clear()      # compiled again with the final types

    def _var_slot_of(self, text: str):
        try:
            spec = self.program.pv_spec(text)
        except Exception:
            return None
        return getattr(spec, "slot", None) if getattr(spec, "inline", None) else None

    def _mark_pv_args(self, call: N.Call, dirty: set) -> None:
        try:
            fn = self.program.find_function(call.name, len(call.args), call)
        except CompileError:
            return
        for kind, arg in zip(fn.args, call.args):
            if kind in (Arg.PVW, Arg.ANY, Arg.PV):
                text = arg.value if type(arg) is N.Str else (arg.text if type(arg) is N.PV else None)
                if text:
                    slot = self._var_slot_of(text.strip())
                    if slot is not None and kind == Arg.PVW:
                        dirty.add(slot)

    def static_type(self, e: R.RVE) -> str:
        op = e.op
        if op == "rval":
            k = e.rval.kind
            if k == "int" or k == "action":
                return "i"
            if k == "str":
                return "s"
            if k == "null":
                return "n"
            spec = e.rval.value
            slot = getattr(spec, "slot", None)
            if slot is not None and spec.inline:
                return self.var_types.get(slot, "v")
            return spec.vtype
        if op == "plus":
            lt = self.static_type(e.left)
            return "i" if lt == "i" else ("s" if lt in ("s", "n") else "v")
        if op in ("concat", "str"):
            return "s"
        if op == "selvalexp":
            a = self.static_type(e.right.left)
            b = self.static_type(e.right.right)
            return a if a == b and a in ("i", "s") else "v"
        return "i"

    def fix(self, e: R.RVE) -> None:
        """fix_rval_expr: fix children, compile constant regexes, then rve_optimize."""
        if e.op == "rval":
            return
        if e.op in R.UNARY:
            self.fix(e.left)
        else:
            self.fix(e.left)
            self.fix(e.right)
        if e.op == "match" and R.is_constant(e.right):
            if R.guess_type(e.right) != R.T_STR:
                raise CompileError(e.node, f"fixup failure{e.span}: right side of =~ is not string")
            pattern = self._ce().val(e.right)
            try:
                posixre.compile(pattern, icase=True)
            except posixre.PosixRegexError:
                raise CompileError(e.node, f'Bad regular expression "{pattern}"{e.right.span}', "regex")
        self.optimizer().optimize(e)

    def _ce(self) -> R.ConstEval:
        log = self.program.log

        def warn(where, func, text):
            log.core(L_WARN, f"core/{where}]: {func}()", text)

        def error(where, func, text):
            log.core(L_ERR, f"core/{where}]: {func}()", text)
        return R.ConstEval(warn, error)

    def optimizer(self) -> R.Optimizer:
        log = self.program.log

        def error(text):
            log.core(L_ERR, "core/rvalue.c:3246]: rve_opt_01()", text)
        return R.Optimizer(self._ce(), error)

    # -- calls --
    def call_stmt(self, em, s: N.Call, want: bool) -> None:
        if s.name == "route":
            self.route_call(em, s, want)
            return
        fn, args_code, pre_lines = self.prepare_call(em, s)
        for line in pre_lines:
            em.w(line)
        f = self.const(fn.impl, "F")
        call = f"{f}(ctx{''.join(', ' + a for a in args_code)})"
        if Arg.FMT in fn.args or Arg.PVFMT in fn.args:
            # a format result too long for Kamailio's buffer fails the function (-1)
            call = f"H.call_fmt(ctx, {f}{''.join(', ' + a for a in args_code)})"
        if self.tracing:
            em.w(f"_ta = TR.expand(ctx, ({''.join(a + ', ' for a in args_code)}))")
            em.w(f"_r = {call}")
            if fn.sets_rc:
                em.w("ctx.rc = _r")
            em.w(f"TR.event(ctx, {self.site('call', s)}, _ta, _r)")
            if fn.sets_rc:
                em.w("if not _r: raise EXIT")
            if want:
                em.w("_ret = _r")
            if pre_lines:
                em.w("if ctx.exiting: raise EXIT")
            return
        if fn.sets_rc:
            em.w(f"_r = ctx.rc = {call}")
            em.w("if not _r: raise EXIT")
            if want:
                em.w("_ret = _r")
        elif want:
            em.w(f"_ret = {call}")
        else:
            em.w(call)
        if pre_lines:
            em.w("if ctx.exiting: raise EXIT")

    def route_call(self, em, s: N.Call, want: bool) -> None:
        if len(s.args) != 1:
            raise CompileError(s, f"route() takes one route name, {len(s.args)} given", "route")
        arg = s.args[0]
        name = None
        if type(arg) in (N.Word, N.Int):
            name = arg.text if type(arg) is N.Word else str(arg.value)
        elif type(arg) is N.Str:
            name = arg.value
        if name is not None:
            fname = self.route_funcs.get("route:" + name)
            if fname is None:
                raise CompileError(s, f'route "{name}" not found', "undefined-route")
            em.w(f"_r = ctx.rc = H.call_route(ctx, {fname}, {em.depth + 1})")
            if self.tracing:
                em.w(f"TR.event(ctx, {self.site('call', s)}, (), _r)")
        else:
            e = self.expr(arg)
            code = self.val_str(em, e)
            at = self.const(self.cline(s))
            em.w(f"_r = H.route_dyn(ctx, {code}, {at}, {em.depth + 1})")
        if want:
            em.w("_ret = _r")

    def prepare_call(self, em, s: N.Call):
        """Find the function, prepare its arguments; returns (Function, [arg code], [lines])."""
        fn = self.program.find_function(s.name, len(s.args), s)
        if not fn.route_types & self.route_type:
            raise CompileError(N.Node(s.close, s.close + 1) if s.close else s,
                               f"misused command {s.name}: it cannot be used in this kind of route block",
                               "route-type")
        args = []
        pre: list[str] = []
        prepared = []
        for i, (kind, node) in enumerate(zip(fn.args, s.args)):
            prepared.append(self.prepare_arg(em, fn, i, kind, node, pre))
        if fn.fixup is not None:
            try:
                prepared = fn.fixup(self.program, s, prepared)
            except FixupError as e:
                raise CompileError(s, f"function {s.name}: {e}", "fixup") from None
        for p in prepared:
            if isinstance(p, _Code):
                args.append(p.code)
            else:
                args.append(self.const(p, "A") if not isinstance(p, (int, str)) or isinstance(p, bool) else repr(p))
        return fn, args, pre

    def prepare_arg(self, em, fn: Function, i: int, kind: str, node, pre: list):
        e = self.expr(node)
        const = R.is_constant(e)
        value = self._ce().val(e) if const else None
        where = f"function {fn.name}: parameter {i + 1}"
        if kind == Arg.ANY:
            if const:
                return value
            return _Code(self.val_code(em, e)[0], pre)
        if kind in (Arg.STR, Arg.INT):
            if not const:
                if i in fn.dynamic:
                    return _Code(self.val_str(em, e), pre)
                raise CompileError(node, f"{where} is not constant", "fixup")
            if kind == Arg.INT:
                if value.__class__ is str:
                    iv = VAL.str_to_int(value)
                    if iv is None:
                        raise CompileError(node, f"{where}: an integer is expected, got \"{value}\"", "fixup")
                    return iv
                return value
            return VAL.to_str(value)
        if kind == Arg.FMT:
            if not const:
                if i in fn.dynamic:
                    return _Code(f"H.dyn_fmt(ctx, {self.val_str(em, e)})", pre)
                raise CompileError(node, f"{where} is not constant", "fixup")
            return self.format_fn(VAL.to_str(value), node)
        if kind == Arg.INTPV:
            # fixup_var_int_12: a number, or a pseudo-variable at the start of the string
            if const:
                v = value if value.__class__ is int else VAL.str_to_int(value)
                if v is not None:
                    return _Code(self.const(_ConstInt(v)), pre)
                spec = self._pv_at_start(value, node)
                if spec is None:
                    raise CompileError(node, f"{where}: an integer or a pseudo-variable is expected, "
                                       f"got \"{value}\"", "fixup")
                return _Code(self.const(_IntOfPV(spec)), pre)
            if e.op == "rval" and e.rval.kind == "pv":
                return _Code(self.const(_IntOfPV(e.rval.value)), pre)
            raise CompileError(node, f"{where}: an integer or a pseudo-variable is expected", "fixup")
        if kind == Arg.PVFMT:
            # fixup_var_pve_str_12: a string starting with a pseudo-variable is that variable
            # alone (what follows it is ignored, as in Kamailio), else a format string
            if const:
                text = VAL.to_str(value)
                if text.strip().startswith("$$"):      # Kamailio's spec parser takes "$$" as "$"
                    return _ConstFmt("$")
                spec = self._pv_at_start(text, node)
                if spec is not None:
                    return _Code(self.const(_StrOfPV(spec)), pre)
                return self.format_fn(text, node)
            if i in fn.dynamic:
                return _Code(f"H.dyn_fmt(ctx, {self.val_str(em, e)})", pre)
            raise CompileError(node, f"{where} is not constant", "fixup")
        if kind in (Arg.PVW, Arg.PV):
            if const:
                spec = self._pv_from_string(VAL.to_str(value), node, where)
            elif e.op == "rval" and e.rval.kind == "pv":
                spec = e.rval.value
            else:
                raise CompileError(node, f"{where}: a pseudo-variable is expected", "fixup")
            if kind == Arg.PVW and not spec.writable:
                raise CompileError(node, f"{where}: {spec.text} is read-only", "fixup")
            return spec
        if kind == Arg.ROUTE:
            name = value if const else (node.text if type(node) is N.Word else None)
            if name is None:
                raise CompileError(node, f"{where}: a route name is expected", "fixup")
            fname = self.route_funcs.get("route:" + str(name))
            return _Code(fname if fname else "None", pre)
        raise CompileError(node, f"unknown argument kind {kind}")

    def _pv_at_start(self, text: str, node):
        """The pseudo-variable a string starts with (after blanks), or None (fix_param's
        FPARAM_PVS: the rest of the string is ignored)."""
        text = text.strip()
        if not text.startswith("$"):
            return None
        try:
            pvt, end = PV.parse(text, 0)
            if pvt.marker or not pvt.name:
                return None
            return self.pv_spec(text[:end], node)
        except (PV.PVSyntaxError, CompileError):
            return None

    def _pv_from_string(self, text: str, node, where: str) -> PV.PVSpec:
        text = text.strip()
        if not text.startswith("$"):
            raise CompileError(node, f"{where}: a pseudo-variable is expected, got \"{text}\"", "fixup")
        try:
            pvt, end = PV.parse(text, 0)
        except PV.PVSyntaxError as e:
            raise CompileError(node, f"{where}: bad pseudo-variable {text}: {e}", "pv") from None
        if end != len(text):
            raise CompileError(node, f"{where}: bad pseudo-variable {text}", "pv")
        return self.pv_spec(text, node)

    # -- format strings --
    def format_fn(self, fmt: str, node):
        """A callable fmt(ctx, limit=8192, fparam=True) -> str, built once (pv_parse_format
        + pv_printf).  A result that does not fit Kamailio's buffer (`limit` bytes, 8192 for
        pv_buffer_size) logs Kamailio's errors and raises FormatOverflow."""
        try:
            parts = PV.parse_format(fmt)
        except PV.PVSyntaxError as e:
            raise CompileError(node, f"bad format string \"{fmt}\": {e}", "format") from None
        if all(isinstance(p, str) for p in parts):
            return _ConstFmt("".join(parts))
        pieces = []          # python code per piece
        kinds = []           # "t" literal text, "s" pseudo-variable (Kamailio's pv_elem parts)
        for p in parts:
            if isinstance(p, str):
                pieces.append(repr(p))
                kinds.append("t")
                continue
            if p.name == "":
                raise CompileError(node, f"bad format string \"{fmt}\": wrong char in [{p.text}]", "format")
            spec = self.pv_spec(p.text, node)
            pieces.append(self.fmt_piece(spec))
            kinds.append("s" if not spec.can_fail else "f")
        self.counter += 1
        fname = f"FMT{self.counter}"
        body = " + ".join(pieces)
        kinds_name = self.const(tuple(kinds))
        src = (f"def {fname}(ctx, limit=8192, fparam=True, V=VARS):\n"
               f"    _s = {body}\n"
               f"    if len(_s) >= limit:\n"
               f"        H.fmt_overflow(ctx, ({', '.join(pieces)},), {kinds_name}, limit, fparam)\n"
               f"    return _s\n")
        self.sources.append(src)
        return _LateRef(fname, self)

    def fmt_piece(self, spec: PV.PVSpec) -> str:
        if spec is NULL_SPEC:
            return "'<null>'"
        code, vtype = self.spec_read(spec)
        if spec.can_fail:
            return f"H.fmt_pv({self.const(spec, 'P')}, ctx)"
        if vtype == "i":
            return f"str({code})"
        if vtype == "s":
            return code
        return f"_fs({code})"

    # -- assignment --
    def assign(self, em, s: N.Assign, want: bool) -> None:
        target = self.pv_spec(s.target.text, s.target)
        if target is NULL_SPEC or not target.writable:
            raise CompileError(s.target, f"read only pvar in assignment left side ({s.target.text})", "readonly")
        if isinstance(target, PV.TransformedPV):
            raise CompileError(s.target, "pvar with transformations in assignment left side", "readonly")
        e = self.expr(s.expr)
        has_calls = self.has_calls(e)
        if e.op == "rval" and e.rval.kind == "action":
            code, vtype = self.action_raw(em, e), "i"
        elif e.op == "rval" and e.rval.kind == "pv" and e.rval.value.can_fail:
            # a failing get: 'non existing right pvar', the target becomes null
            em.w("try:")
            em.w(f"    _v = {self.const(e.rval.value, 'P')}.get(ctx)")
            em.w("except PVFail:")
            em.w(f"    H.assign_failed(ctx, {e.span!r})")
            em.w("    " + self.set_code(target, "None", "n"))
            if want:
                em.w("    _ret = -1")
            em.w("else:")
            em.w("    " + self.set_code(target, "_v", "a"))
            if want:
                em.w("    _ret = 1")
            return
        else:
            code, vtype = self.val_code(em, e)
        fails = self.can_fail(e)
        if fails:
            em.w("try:")
            em.w(f"    _v = {code}")
            em.w("except EvalError:")
            em.w(f"    _log(ctx, L_ERR, 'lvalue.c:386', 'lval_assign', 'rval expression evaluation failed {e.span}')")
            if want:
                em.w("    _ret = -1")
            em.w("else:")
            em.w("    " + self.set_code(target, "_v", vtype))
            if want:
                em.w("    _ret = 1")
        elif target.set_can_fail:
            # a setter that refuses the value: Kamailio logs it and the assignment gives -1
            em.w(f"_a = H.checked_set(ctx, {self.const(target, 'P')}, {code}, {e.span!r})")
            if want:
                em.w("_ret = _a")
        else:
            em.w(self.set_code(target, code, vtype))
            if want:
                em.w("_ret = 1")
        if has_calls:
            em.w("if ctx.exiting: raise EXIT")

    def set_code(self, spec: PV.PVSpec, value: str, vtype: str) -> str:
        """Statement assigning the value code to the PV ($null/undefined become 0 for $var)."""
        if spec.inline_set:
            if vtype not in ("i", "s", "v"):
                value = f"(_v if (_v := {value}) is not None else 0)"
            return spec.inline_set.format(ctx="ctx", value=value)
        return f"{self.const(spec, 'P')}.set(ctx, {value})"

    # -- if / while / switch --
    def if_stmt(self, em, s: N.If, want: bool, in_loop: bool) -> None:
        e = self.expr(s.cond)
        has_calls = self.has_calls(e)
        if want:
            em.w("_ret = 1")
        if self.can_fail(e):
            em.w("try:")
            em.w(f"    _c = {self.int_code(em, e)}")
            em.w("except EvalError:")
            em.w(f"    _log(ctx, L_ERR, 'action.c:1056', 'do_action', 'if expression evaluation failed {e.span}')")
            em.w("    _c = 0")
            cond = "_c > 0"
            if has_calls:
                em.w("if ctx.exiting: raise EXIT")
        elif has_calls:
            em.w(f"_c = {self.int_code(em, e)}")
            em.w("if ctx.exiting: raise EXIT")
            cond = "_c > 0"
        else:
            cond = self.cond_code(em, e)
        em.w(f"if {cond}:")
        em.ind += 1
        if self.tracing:
            em.w(f"TR.event(ctx, {self.site('cond', s)}, (True,))")
        self.block(em, s.then, want, in_loop)
        em.ind -= 1
        if s.orelse or self.tracing:
            em.w("else:")
            em.ind += 1
            if self.tracing:
                em.w(f"TR.event(ctx, {self.site('cond', s)}, (False,))")
            if s.orelse:
                self.block(em, s.orelse, want, in_loop)
            em.ind -= 1

    def while_stmt(self, em, s: N.While, want: bool) -> None:
        e = self.expr(s.cond)
        if R.is_constant(e):
            pass  # Kamailio only warns (constant value in while(...))
        m = em.tmp("_m")
        em.w(f"{m} = ctx.program.max_while_loops")
        if want:
            em.w("_ret = 1")
        calls = self.has_calls(e)
        if self.can_fail(e) or calls:
            # the condition as a statement: errors end the loop, a function returning 0 exits
            cond_fn = f"_c{em.tmp('')}"
            em.w(f"def {cond_fn}():")
            em.w("    try:")
            em.w(f"        _c = {self.int_code(em, e)}")
            em.w("    except EvalError:")
            em.w("        return False")
            if calls:
                em.w("    if ctx.exiting: raise EXIT")
            em.w("    return _c != 0")
            cond = f"{cond_fn}()"
        else:
            cond = self.truth_code(em, e)
        # Kamailio counts iterations and fails the loop when the condition is true once
        # more after max_while_loops bodies (0: no limit)
        em.w(f"for _ in range({m} if {m} > 0 else (0 if {m} < 0 else 0x7fffffffffff)):")
        em.ind += 1
        em.w(f"if not ({cond}): break")
        self.block(em, s.body, want, True)
        em.ind -= 1
        em.w("else:")
        em.ind += 1
        em.w(f"if {cond}:")
        em.ind += 1
        msg = f"runaway while ({e.pos[0]}, {e.pos[1]}): more then "
        em.w(f"H.runaway(ctx, {msg!r}, {m}, {self.const(self.cline(s))})")
        if want:
            em.w("_ret = -1")
        em.ind -= 2

    def switch_stmt(self, em, s: N.Switch, want: bool, in_loop: bool) -> None:
        e = self.expr(s.expr)
        labels = []
        default = None
        kinds = set()
        for i, c in enumerate(s.cases):
            if c.label is None:
                if default is not None:
                    raise CompileError(c, 'bad switch(): too many "default:" labels', "switch")
                default = i
                labels.append(None)
                continue
            le = self.expr(c.label)
            if not R.is_constant(le):
                raise CompileError(c.label, "constant expected", "switch")
            v = self._ce().val(le)
            if c.regex:
                if v.__class__ is not str:
                    raise CompileError(c.label, "bad regex case label", "switch")
                try:
                    rx = posixre.compile(v)
                except posixre.PosixRegexError:
                    raise CompileError(c.label, f'bad regular expression "{v}"', "regex")
                labels.append(("re", rx))
                kinds.add("str")
            elif v.__class__ is int:
                if ("int", v) in labels:
                    loc = self.loc(c.label)
                    raise CompileError(c.label, f"duplicate case ({loc.line},{loc.col})", "switch")
                labels.append(("int", v))
                kinds.add("int")
            else:
                labels.append(("str", v))
                kinds.add("str")
        if len(kinds) > 1:
            raise CompileError(s, "bad switch(): mixed integer and string/RE cases not allowed", "switch")
        count = len(s.cases)
        miss = default if default is not None else count
        i = em.tmp("_i")
        if want:
            em.w("_ret = 1")
        fails = self.can_fail(e)
        if "str" in kinds:
            code = self.val_str(em, e, mode="rvint")
            matcher = _StrSwitch([lab for lab in labels], miss)
            value_code = f"{self.const(matcher)}({code})"
        else:
            table = {}
            for idx, lab in enumerate(labels):
                if lab is not None and lab[1] not in table:
                    table[lab[1]] = idx
            value_code = f"{self.const(table)}.get({self.int_code(em, e)}, {miss})"
        if fails:
            em.w("try:")
            em.w(f"    {i} = {value_code}")
            em.w("except EvalError:")
            em.w(f"    {i} = {miss}")
        else:
            em.w(f"{i} = {value_code}")
        if self.has_calls(e):
            em.w("if ctx.exiting: raise EXIT")
        if count == 0:
            return
        em.w("for _ in ONCE:")
        em.ind += 1
        for idx, c in enumerate(s.cases):
            if not c.body:
                continue
            em.w(f"if {i} <= {idx}:")
            em.ind += 1
            self.block(em, c.body, want, True)
            em.ind -= 1
        em.w("pass")
        em.ind -= 1

    def ret_stmt(self, em, s: N.Return, want: bool, in_loop: bool) -> None:
        kind = s.kind
        if kind == "break":
            if in_loop:
                if want:
                    em.w("_ret = 0")
                em.w("break")
            else:
                em.w("return 0")
            return
        code = None
        if s.expr is not None:
            e = self.expr(s.expr)
            t = R.check_type(e)
            if t == R.T_STR:
                loc = self.loc(s.expr)
                raise CompileError(s.expr, f"invalid expression ({loc.line},{loc.col}): bad type, "
                                   "integer expected", "type")
            code = self.int_code(em, e)
            if self.can_fail(e):
                code = (f"H.guard_int(ctx, lambda: {code})")
        if self.tracing:
            em.w(f"_r = {code if code is not None else ('1' if kind == 'return' else 'None')}")
            em.w(f"TR.event(ctx, {self.site({'exit': 'exit-script'}.get(kind, kind), s)}, (), _r)")
            if kind == "return":
                em.w(f"TR.event(ctx, {self.site('exit', self.program.route_decl.get(self.current_key))}, (), _r)")
            code = "_r" if code is not None else None
        if kind == "return":
            if code is None:
                em.w("return 1")
            else:
                em.w(f"_r = {code}")
                em.w("if _r == 0: raise EXIT")
                em.w("return _r")
        elif kind == "exit":
            if code is not None:
                em.w(f"ctx.rc = {code}")
            em.w("raise EXIT")
        else:  # drop
            if code is not None:
                em.w(f"ctx.rc = {code}")
            em.w("ctx.dropped = True")
            em.w("raise EXIT")

    # ---- expressions ----------------------------------------------------------------------------
    def has_calls(self, e: R.RVE) -> bool:
        if e is None:
            return False
        if e.op == "rval":
            return e.rval.kind == "action"
        return self.has_calls(e.left) or self.has_calls(e.right)

    def can_fail(self, e: R.RVE) -> bool:
        if e is None:
            return False
        if e.op == "rval":
            return False
        if e.op in ("div", "mod"):
            return True
        if e.op == "match" and not R.is_constant(e.right):
            return True
        if e.op == "selvalexp":
            return True
        return self.can_fail(e.left) or self.can_fail(e.right)

    def spec_read(self, spec: PV.PVSpec) -> tuple[str, str]:
        """Code reading a PV and its value type ('i','s','v','a','n')."""
        if spec is NULL_SPEC:
            return "None", "n"
        if spec.inline:
            code = spec.inline.format(ctx="ctx")
            vtype = spec.vtype
            slot = getattr(spec, "slot", None)
            if slot is not None and self.var_types.get(slot) == "i":
                vtype = "i"
            return f"({code})" if not code.isidentifier() and not code.startswith("V[") else code, vtype
        p = self.const(spec, "P")
        if spec.can_fail:
            return f"H.pv_or_none({p}, ctx)", "a"
        return f"{p}.get(ctx)", spec.vtype

    def leaf_val(self, em, e: R.RVE) -> tuple[str, str]:
        rv = e.rval
        k = rv.kind
        if k == "int":
            return repr(rv.value), "i"
        if k == "str":
            return repr(rv.value), "s"
        if k == "null":
            return "None", "n"
        if k == "pv":
            return self.spec_read(rv.value)
        if k == "action":
            return f"(1 if {self.action_raw(em, e)} > 0 else 0)", "i"
        if k == "bexpr":
            return f"{self.const(rv.value, 'B')}(ctx)", "i"
        raise CompileError(e.node, f"unsupported value {k}")

    def action_raw(self, em, e: R.RVE) -> str:
        """A function or route call inside an expression: its raw return code."""
        call = e.rval.value
        if type(call) is N.AssignExpr:
            return self.assign_in_expr(call.assign)
        if call.name == "route":
            if len(call.args) != 1:
                raise CompileError(call, "route() takes one route name", "route")
            arg = call.args[0]
            name = arg.text if type(arg) is N.Word else (arg.value if type(arg) in (N.Str, N.Int) else None)
            if name is None:
                raise CompileError(call, "route() in an expression needs a constant name", "route")
            fname = self.route_funcs.get("route:" + str(name))
            if fname is None:
                raise CompileError(call, f'route "{name}" not found', "undefined-route")
            return f"H.route_in_expr(ctx, {fname}, {em.depth + 1})"
        fn, args, pre = self.prepare_call(em, call)
        if pre:
            raise CompileError(call, "run-time function parameters are not supported inside expressions")
        f = self.const(fn.impl, "F")
        return f"H.call_in_expr(ctx, {f}, {1 if fn.sets_rc else 0}{''.join(', ' + a for a in args)})"

    def value_function(self, e: R.RVE):
        """An expression compiled as a function of the run context (old-style test
        operands that are not constants)."""
        self.counter += 1
        fname = f"VALUE{self.counter}"
        em = RouteEmitter(self, fname)
        code, _t = self.val_code(em, e)
        em.w(f"return {code}")
        self.sources.append("\n".join([f"def {fname}(ctx, V=VARS):"] + em.lines))
        return _LateRef(fname, self)

    def assign_in_expr(self, a: N.Assign) -> str:
        """'($x = expr)' as a value: compiled as a small function run in place."""
        self.counter += 1
        fname = f"ASSIGN{self.counter}"
        em = RouteEmitter(self, fname)
        em.w("_ret = 1")
        self.assign(em, a, want=True)
        em.w("return _ret")
        self.sources.append("\n".join([f"def {fname}(ctx, V=VARS):"] + em.lines))
        return f"{fname}(ctx)"

    def int_leaf(self, em, e: R.RVE, line=1948, func="rval_expr_eval_int",
                 what="rval expression conversion to int failed") -> str:
        code, t = self.leaf_val(em, e)
        if t == "i":
            return code
        if t == "n":
            return "0"
        if e.rval.kind == "str":
            v = VAL.str_to_int(e.rval.value)
            if v is None:
                return f"_io(ctx, {code}, {e.span!r})"
            return repr(v)
        pos = repr(e.span)
        extra = "" if (line, func) == (1948, "rval_expr_eval_int") else f", {func!r}, {line}, {what!r}"
        return f"(_t if (_t := {code}).__class__ is int else _io(ctx, _t, {pos}{extra}))"

    def guard(self, code: str, line: int, pos: str, func: str = "rval_expr_eval", suffix: str = "") -> str:
        return f"H.guard(ctx, lambda: {code}, {line}, {pos!r}, {func!r}, {suffix!r})"

    def int_code(self, em, e: R.RVE) -> str:
        """eval_int: Python expression giving a 32-bit int."""
        op = e.op
        if op == "rval":
            return self.int_leaf(em, e)
        if op in ("uminus", "lnot", "bnot", "bool"):
            a = self.int_code(em, e.left)
            if op == "uminus":
                return f"_w(-{a})"
            if op == "lnot":
                return f"(1 if {a} == 0 else 0)"
            if op == "bnot":
                return f"(~{a})"
            return f"(1 if {a} else 0)"
        if op == "int":
            return self.int_code(em, e.left)
        if op in ("land", "lor"):
            a = self.int_code(em, e.left)
            b = self.int_code(em, e.right)
            return f"(1 if ({a}) {'and' if op == 'land' else 'or'} ({b}) else 0)"
        if op in R.INT_BINARY or op == "plus":
            a = self.int_code(em, e.left)
            b = self.int_code(em, e.right)
            return self.int_binop(op, a, b)
        if op in ("eq", "diff"):
            return self.eq_code(em, e)
        if op == "concat":
            code = self.str_code(em, e)
            return f"_io(ctx, {code}, {e.span!r}, 'rval_expr_eval_int', 2106)"
        if op == "str":
            code, t = self.val_code(em, e.left, mode="rvint")
            if t == "i":
                return code
            return f"(_t if (_t := {code}).__class__ is int else _io(ctx, _t, {e.span!r}, 'rval_expr_eval_int', 2122))"
        if op in ("defined", "notdefined"):
            d = self.defined_code(em, e.left)
            if op == "defined":
                return d
            return f"(1 - {d})" if not d.isdigit() else str(1 - int(d))
        if op in ("streq", "strdiff"):
            a = self.str_code(em, e.left)
            b = self.str_code(em, e.right)
            return f"(1 if {a} {'==' if op == 'streq' else '!='} {b} else 0)"
        if op == "match":
            a = self.str_code(em, e.left)
            if R.is_constant(e.right):
                rx = posixre.compile(self._ce().val(e.right), icase=True)
                return f"(1 if {self.const(rx, 'RX')}.search({a}) else 0)"
            b = self.str_code(em, e.right)
            return f"H.match(ctx, {a}, {b})"
        if op in ("strlen", "strempty"):
            a = self.str_code(em, e.left)
            return f"len({a})" if op == "strlen" else f"(1 if {a} == '' else 0)"
        if op in ("selvalexp", "selvalopt"):
            return (f"H.bug(ctx, 'invalid selval int expression operation {e.span}')")
        raise CompileError(e.node, f"unsupported operator {op}")

    def int_binop(self, op: str, a: str, b: str) -> str:
        if op in ("plus", "iplus", "minus", "mul"):
            sym = {"plus": "+", "iplus": "+", "minus": "-", "mul": "*"}[op]
            return f"(_t if -2147483648 <= (_t := {a} {sym} {b}) <= 2147483647 else _w(_t))"
        if op == "div":
            return f"_div(ctx, {a}, {b})"
        if op == "mod":
            return f"_mod(ctx, {a}, {b})"
        if op in ("bor", "band", "bxor"):
            return f"({a} {dict(bor='|', band='&', bxor='^')[op]} {b})"
        if op == "blshift":
            return f"_shl({a}, {b})"
        if op == "brshift":
            return f"_shr({a}, {b})"
        cmp = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "ieq": "==", "idiff": "!="}[op]
        return f"(1 if {a} {cmp} {b} else 0)"

    def eq_code(self, em, e: R.RVE) -> str:
        neg = e.op == "diff"
        a, t = self.val_code(em, e.left, mode="rvint")
        if t == "i":
            b = self.int_code(em, e.right)
            return f"(1 if {a} {'!=' if neg else '=='} {b} else 0)"
        if t == "s":
            b = self.str_code(em, e.right)
            return f"(1 if {a} {'!=' if neg else '=='} {b} else 0)"
        b_val, bt = self.val_code(em, e.right, mode="rvint")
        if t == "n":
            return f"H.eq_undef({b_val}, {1 if neg else 0})"
        b_int = self.int_code(em, e.right)
        cmp = "!=" if neg else "=="
        return (f"((1 if _t {cmp} {b_int} else 0) if (_t := {a}).__class__ is int "
                f"else H.eq_other(_t, {b_val}, {1 if neg else 0}))")

    def defined_code(self, em, e: R.RVE) -> str:
        if e.op != "rval":
            return "1"
        rv = e.rval
        if rv.kind in ("int", "str", "action", "bexpr"):
            return "1"
        if rv.kind == "null":
            return "0"
        spec = rv.value
        if spec.vtype in ("i", "s", "v") and not spec.can_fail:
            return "1"
        code, _ = self.spec_read(spec)
        return f"(0 if {code} is None else 1)"

    def cond_code(self, em, e: R.RVE) -> str:
        """Python boolean for 'eval_int(e) > 0' (the if rule)."""
        op = e.op
        if op in ("gt", "gte", "lt", "lte", "ieq", "idiff"):
            cmp = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "ieq": "==", "idiff": "!="}[op]
            return f"{self.int_code(em, e.left)} {cmp} {self.int_code(em, e.right)}"
        if op == "lnot":
            return f"{self.int_code(em, e.left)} == 0"
        if op in ("land", "lor"):
            return (f"({self.truth_code(em, e.left)}) {'and' if op == 'land' else 'or'} "
                    f"({self.truth_code(em, e.right)})")
        return f"{self.int_code(em, e)} > 0"

    def truth_code(self, em, e: R.RVE) -> str:
        """Python boolean for 'eval_int(e) != 0' (the while and &&/|| rule)."""
        op = e.op
        if op in ("gt", "gte", "lt", "lte", "ieq", "idiff", "lnot", "land", "lor"):
            return self.cond_code(em, e)
        return f"{self.int_code(em, e)} != 0"

    def val_code(self, em, e: R.RVE, mode: str = "eval") -> tuple[str, str]:
        """eval / eval_rvint: (code, type)."""
        op = e.op
        if op == "rval":
            return self.leaf_val(em, e)
        if op == "plus":
            return self.plus_code(em, e, mode)
        if op == "concat":
            a = self.str_code(em, e.left)
            b = self.str_code(em, e.right)
            if self.can_fail(e.left):
                a = self.guard(a, 2502, e.left.span)
            if self.can_fail(e.right):
                b = self.guard(b, 2509, e.right.span)
            return f"({a} + {b})", "s"
        if op == "str":
            a = self.str_code(em, e.left)
            if self.can_fail(e.left):
                a = self.guard(a, 2521, e.left.span)
            return a, "s"
        if op == "selvalexp":
            c = self.int_code(em, e.left)
            if self.can_fail(e.left):
                c = self.guard(c, 2532, e.span)
            a, ta = self.val_code(em, e.right.left)
            b, tb = self.val_code(em, e.right.right)
            a = a if ta in ("i", "s") else f"H.sel_norm({a})"
            b = b if tb in ("i", "s") else f"H.sel_norm({b})"
            return f"({a} if {c} > 0 else {b})", ("i" if ta == tb == "i" else "s" if ta == tb == "s" else "v")
        code = self.int_code(em, e)
        if self.can_fail(e) and mode == "eval":
            code = self.guard(code, 2428, e.span)
        return code, "i"

    def plus_code(self, em, e: R.RVE, mode: str) -> tuple[str, str]:
        a, ta = self.val_code(em, e.left, mode)
        fl, fr = self.can_fail(e.left), self.can_fail(e.right)
        if mode == "eval":
            if fl:
                a = self.guard(a, 2437, e.left.span)
            b_int = self.int_code(em, e.right)
            if fr:
                b_int = self.guard(b_int, 2457, e.span, suffix=": could not evaluate right side to int")
        else:
            if fl:
                a = self.guard(a, 2291, e.left.span, "rval_expr_eval_rvint")
            b_int = self.int_code(em, e.right)
            if fr:
                b_int = self.guard(b_int, 2301, e.right.span, "rval_expr_eval_rvint")
        if ta == "i":
            return self.int_binop("plus", a, b_int), "i"
        b_s = self.str_code(em, e.right)
        if fr:
            b_s = self.guard(b_s, 2482 if mode == "eval" else 2314, e.right.span,
                             "rval_expr_eval" if mode == "eval" else "rval_expr_eval_rvint")
        if ta == "s":
            return f"({a} + {b_s})", "s"
        if ta == "n":
            return b_s, "s"
        return (f"(H.add(_t, {b_int}) if (_t := {a}).__class__ is int else _ts(_t) + {b_s})", "v")

    def str_code(self, em, e: R.RVE) -> str:
        """rval_get_str of eval(e): a Python str."""
        code, t = self.val_code(em, e)
        if t == "s":
            return code
        if t == "i":
            return repr(str(int(code))) if _is_int_literal(code) else f"str({code})"
        if t == "n":
            return "''"
        return f"_ts({code})"

    def val_str(self, em, e: R.RVE, mode: str = "eval") -> str:
        code, t = self.val_code(em, e, mode)
        if t == "s":
            return code
        if t == "i":
            return f"str({code})"
        return f"_ts({code})"


def _is_int_literal(code: str) -> bool:
    return code.lstrip("-").isdigit()


class _Code:
    """Argument given as code to splice into the call (a value computed at run time)."""

    def __init__(self, code: str, pre: list):
        self.code = code


class _LateRef(_Code):
    """A name defined in the generated module (format functions)."""

    def __init__(self, name: str, comp: Compiler):
        self.code = name
        self.comp = comp

    def __call__(self, ctx):           # used if a fixup needs to call it at load time
        return self.comp.ns[self.code](ctx)


class _ConstFmt:
    """A format string without pseudo-variables."""
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __call__(self, ctx, limit: int = 8192, fparam: bool = True) -> str:
        if len(self.text) >= limit:
            Helpers.fmt_overflow(ctx, (self.text,), ("t",), limit, fparam)
        return self.text

    def __repr__(self):
        return repr(self.text)


class _ConstInt:
    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value

    def __call__(self, ctx) -> int:
        return self.value


class _IntOfPV:
    """get_int_fparam() of a pseudo-variable: its int value, or None (logged) when it has
    none (a string or $null)."""
    __slots__ = ("spec",)

    def __init__(self, spec):
        self.spec = spec

    def __call__(self, ctx):
        try:
            v = self.spec.get(ctx)
        except RT.PVFail:
            v = None
        if v.__class__ is int:
            return v
        RT.core_log(ctx, L_ERR, "sr_module.c:1763", "get_int_fparam", "Could not convert PV to int")
        return None


class _StrOfPV:
    """get_str_fparam() of a pseudo-variable: its string value, or None (logged)."""
    __slots__ = ("spec",)

    def __init__(self, spec):
        self.spec = spec

    def __call__(self, ctx, limit: int = 8192, fparam: bool = True):
        try:
            v = self.spec.get(ctx)
        except RT.PVFail:
            v = None
        if v.__class__ is str:
            return v
        RT.core_log(ctx, L_ERR, "sr_module.c:1693", "get_str_fparam", "Could not convert PV to str")
        return None


class _StrSwitch:
    """Index of the first case matching a string (exact or regex), else `miss`."""

    def __init__(self, labels: list, miss: int):
        self.labels = labels
        self.miss = miss

    def __call__(self, s: str) -> int:
        for i, lab in enumerate(self.labels):
            if lab is None:
                continue
            kind, v = lab
            if kind == "str":
                if v == s:
                    return i
            elif kind == "re":
                if v.search(s):
                    return i
            else:
                if str(v) == s:
                    return i
        return self.miss


class Helpers:
    """Slow paths used by generated code (as H.xxx)."""

    @staticmethod
    def fmt_overflow(ctx, pieces: tuple, kinds: tuple, limit: int, fparam: bool):
        """pv_printf_mode's overflow: find the first piece that does not fit, log as
        Kamailio does, raise FormatOverflow."""
        n = 0
        for text, kind in zip(pieces, kinds):
            if kind == "f" and text == "":
                continue               # a failed get prints nothing and is not checked
            if n + len(text) < limit:
                n += len(text)
                continue
            what = "text" if kind == "t" else "spec"
            RT.core_log(ctx, L_ERR, "pvapi.c:1491" if what == "spec" else "pvapi.c:1469",
                        "pv_printf_mode", f"no more space for {what} value - printed:{n} "
                        f"token:{len(text)} buffer:{limit}")
            break
        RT.core_log(ctx, L_ERR, "pvapi.c:1503", "pv_printf_mode", "buffer overflow -- increase the buffer size...")
        if fparam:
            RT.core_log(ctx, L_ERR, "sr_module.c:1701", "get_str_fparam",
                        "Could not convert the PV-formated string to str")
        raise RT.FORMAT_OVERFLOW

    @staticmethod
    def guard(ctx, thunk, line, pos, func, suffix):
        try:
            return thunk()
        except RT.EvalError:
            RT.eval_failed(ctx, line, pos, func, suffix)
            raise

    @staticmethod
    def guard_int(ctx, thunk):
        try:
            return thunk()
        except RT.EvalError:
            RT.core_log(ctx, L_WARN, "action.c:357", "do_action", "failed to eval int expression")
            return 0

    @staticmethod
    def add(a: int, b: int) -> int:
        return VAL.wrap(a + b)

    @staticmethod
    def eq_other(a, b, neg: int) -> int:
        """== when the left value is a string or undefined (rval_str_lop2 / undef rules)."""
        if a is None:
            if b.__class__ is int:
                r = b == 0
            else:
                r = VAL.to_str(b) == ""
        else:
            r = a == VAL.to_str(b)
        return int(r != bool(neg))

    @staticmethod
    def eq_undef(b, neg: int) -> int:
        return Helpers.eq_other(None, b, neg)

    @staticmethod
    def sel_norm(v):
        return v if v.__class__ is int else VAL.to_str(v)

    @staticmethod
    def match(ctx, s: str, pattern: str) -> int:
        try:
            rx = posixre.compile(pattern, icase=True)
        except posixre.PosixRegexError:
            RT.core_log(ctx, L_ERR, "rvalue.c:1508", "bool_rvstrop2", f'Bad regular expression "{pattern}"')
            raise RT.EVAL_ERROR
        return 1 if rx.search(s) else 0

    @staticmethod
    def bug(ctx, text):
        RT.core_log(ctx, L_ERR, "rvalue.c:2198", "rval_expr_eval_int", text)
        raise RT.EVAL_ERROR

    @staticmethod
    def pv_or_none(spec, ctx):
        try:
            return spec.get(ctx)
        except RT.PVFail:
            return None

    @staticmethod
    def fmt_pv(spec, ctx) -> str:
        try:
            return VAL.fmt_str(spec.get(ctx))
        except RT.PVFail:
            return ""

    @staticmethod
    def checked_set(ctx, spec, value, pos: str) -> int:
        r = spec.set(ctx, value)
        if r is not None and r < 0:
            RT.core_log(ctx, L_ERR, "lvalue.c:353", "lval_pvar_assign", "setting pvar failed")
            RT.core_log(ctx, L_ERR, "lvalue.c:404", "lval_assign", f"assignment failed at pos: {pos}")
            return -1
        return 1

    @staticmethod
    def assign_failed(ctx, pos: str) -> None:
        RT.core_log(ctx, L_ERR, "lvalue.c:346", "lval_pvar_assign", "non existing right pvar")
        RT.core_log(ctx, L_ERR, "lvalue.c:404", "lval_assign", f"assignment failed at pos: {pos}")

    @staticmethod
    def call_fmt(ctx, f, *args):
        try:
            return f(ctx, *args)
        except RT.FormatOverflow:
            return -1

    @staticmethod
    def call_in_expr(ctx, f, sets_rc, *args):
        try:
            r = f(ctx, *args)
        except RT.FormatOverflow:
            r = -1
        if sets_rc:
            ctx.rc = r
            if r == 0:
                ctx.exiting = True
        return r

    @staticmethod
    def call_route(ctx, fn, levels: int):
        """route(NAME): the route body runs `levels` run_actions levels deeper."""
        level = ctx.level + levels
        limit = ctx.program.max_recursive_level
        if level > limit:
            # Kamailio checks at each nested block: it stops at the first level over the limit
            RT.core_log(ctx, L_ERR, "action.c:1552", "run_actions",
                        f"too many recursive routing table lookups ({limit + 1}) giving up!")
            return -1
        saved = ctx.level
        ctx.level = level
        r = fn(ctx)
        ctx.level = saved
        return r

    @staticmethod
    def route_in_expr(ctx, fn, levels: int):
        try:
            r = Helpers.call_route(ctx, fn, levels)
        except RT.ScriptExit:
            ctx.exiting = True
            return ctx.rc
        ctx.rc = r
        return r

    @staticmethod
    def route_dyn(ctx, name: str, at: str, levels: int):
        fn = ctx.program.routes_by_name.get(name)
        if fn is None:
            RT.core_log(ctx, L_ERR, "action.c:679", "do_action", f'route "{name}" not found at {at}')
            RT.core_log(ctx, L_ERR, "action.c:1533", "do_action", f"run action error at: {at}")
            return -7
        r = ctx.rc = Helpers.call_route(ctx, fn, levels)
        return r

    @staticmethod
    def runaway(ctx, msg: str, limit: int, at: str) -> None:
        RT.core_log(ctx, L_ERR, "action.c:1371", "do_action", f"{msg}{limit} loops")
        RT.core_log(ctx, L_ERR, "action.c:1533", "do_action", f"run action error at: {at}")

    @staticmethod
    def dyn_fmt(ctx, value: str):
        """A run-time string given to a format parameter is a format too (Kamailio runs the
        fixup on it): its $pvs are expanded; parsed formats are cached per program."""
        if "$" not in value:
            return _ConstFmt(value)
        return ctx.program.runtime_format(value)
