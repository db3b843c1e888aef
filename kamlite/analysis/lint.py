"""Lint rules: warnings about configs that Kamailio accepts but that are probably wrong.

`kamlite -c` runs every rule after loading the config and prints the warnings like the
errors (`file:line:col: warning: text [code]`); `-c --strict` makes them errors.  What
Kamailio itself refuses stays an error of the loader, and no rule repeats it:
route(NAME) to a missing route (Kamailio: 'route "NAME" not found' at startup), a second
route[X] / failure_route[X] / event_route[X] ... ('duplicate route'), a modparam for a
module that is not loaded ('No module matching <m> found'), an #!ifdef without #!endif.

Each rule is one function taking a Lint (the parsed config, its route graph and, when
loaded, the Program) and returning Diagnostics; RULES lists them with their code.
"""
from __future__ import annotations

from ..cfg import nodes as N
from ..errors import Diagnostic, Location
from ..script import pv as PV          # pure syntax: pseudo-variable texts, format strings
from . import graph as G

# functions whose string parameters are all format strings (used when no Program is loaded)
FORMAT_FUNCTIONS = frozenset((
    "xlog", "xinfo", "xdbg", "xerr", "xwarn", "xnotice", "xalert", "xcrit", "xbug", "xlogl",
    "append_hf", "insert_hf", "sl_send_reply", "send_reply", "t_reply", "mq_add", "log",
))
# functions that test or clear a variable: reading it there is the point
VAR_CHECKS = frozenset(("pv_isset", "pv_unset"))
MQ_FUNCTIONS = frozenset(("mq_add", "mq_fetch", "mq_size", "mq_pv_free"))
MQ_PVS = frozenset(("mqk", "mqv", "mq_size"))


class Lint:
    """What the rules look at."""

    def __init__(self, config: N.Config, program=None, graph: G.RouteGraph | None = None):
        self.config = config
        self.program = program
        self.graph = graph or G.build(config, program)
        self.text = config.source.text

    def loc(self, node_or_pos, end: int | None = None) -> Location:
        if isinstance(node_or_pos, int):
            return self.config.source.location(node_or_pos, end)
        return self.config.location(node_or_pos)

    def warning(self, where, message: str, code: str) -> Diagnostic:
        loc = where if isinstance(where, Location) else self.loc(where)
        return Diagnostic(loc, message, "warning", code)

    def error(self, where, message: str, code: str) -> Diagnostic:
        d = self.warning(where, message, code)
        d.severity = "error"
        return d

    def has_error_at(self, loc: Location, code: str) -> bool:
        """Whether the loader already reported an error of this code here."""
        if self.program is None:
            return False
        return any(d.code == code and d.loc.file == loc.file and d.loc.line == loc.line
                   for d in self.program.diags.errors)

    def function_args(self, call: N.Call):
        """The parameter kinds (kamlite.modules.Arg) of a function of the loaded program,
        or None when unknown."""
        if self.program is None:
            return None
        try:
            return self.program.find_function(call.name, len(call.args), call).args
        except Exception:
            return None

    def header(self, route: N.Route) -> Location:
        """The place of a route's 'route[NAME]' header."""
        end = self.text.find("]", route.name_pos)
        brace = self.text.find("{", route.pos)
        if end < 0 or (0 <= brace < end):
            end = max(route.name_pos, route.pos + len(route.keyword)) - 1
        return self.loc(route.pos, end + 1)

    def modparam_value(self, item: N.ModParam) -> Location:
        """The place of a modparam's value (the string, quotes included)."""
        start = item.value_pos or item.pos
        end = self.text.rfind('"', start + 1, item.end) + 1 if self.text[start:start + 1] == '"' else 0
        return self.loc(start, end if end > start else item.end)

    def pv_in_string(self, node: N.Str, pv_text: str) -> Location:
        """The place of a pseudo-variable inside a string literal (the string's own place
        when the escapes make it impossible to find)."""
        i = self.text.find(pv_text, node.pos, node.end)
        if i < 0:
            return self.loc(node)
        return self.loc(i, i + len(pv_text))


# ---- rules -------------------------------------------------------------------------------------
def undefined_route(lint: Lint) -> list[Diagnostic]:
    """undefined-route: a route named where Kamailio accepts a missing one:
    route_if_exists/check_route_exists("X") (they return -1), t_on_failure/t_on_reply/
    t_on_branch/t_on_branch_failure("X") (tm warns 'empty/non existing route' at startup
    and runs nothing), async_route & co, rtimer's exec route=X (the timer runs an empty
    route), tm's on_sl_reply.  route(X) to a missing route stays the loader's error, as
    in Kamailio; without a loaded Program this rule reports it too, as an error."""
    out = []
    g = lint.graph
    for r in g.refs:
        node = g.nodes.get(r.dst)
        if node is None or node.kind != "undefined":
            continue
        target = G.key_label(r.dst)
        name = r.dst.split(":", 1)[1] if r.dst.startswith("route:") else "0"
        if r.kind == "call":
            if lint.program is None:
                out.append(lint.error(r.node, f'route "{name}" not found', "undefined-route"))
            continue
        if r.kind == "exec":
            what = f'rtimer exec names route "{name}", which is not defined: the timer runs nothing'
            where = lint.modparam_value(r.node)
        elif r.label == "on_sl_reply":
            what = f'tm on_sl_reply names {target}, which is not defined'
            where = lint.modparam_value(r.node)
        elif r.run_time:
            fn = "route" if r.label == "dynamic" else r.label
            what = f"{fn}() may look up {target} at run time, which is not defined"
            where = r.node
        else:
            effect = {"route_if_exists": "the call does nothing", "check_route_exists": "it returns -1"}.get(
                r.label, "tm logs 'empty/non existing route' at startup" if r.label.startswith("t_on_")
                else "nothing runs there")
            what = f"{r.label}() names {target}, which is not defined: {effect}"
            where = r.node
        out.append(lint.warning(where, what, "undefined-route"))
    return out


def duplicate_route(lint: Lint) -> list[Diagnostic]:
    """duplicate-route: an unnamed route block declared twice (request_route / route,
    reply_route / onreply_route, failure_route, branch_route, onsend_route).  Kamailio
    appends the second block's actions to the first.  A second route[X], failure_route[X]
    ... with the same name is an error in Kamailio ('duplicate route'), and so is a
    route[0] (the request route's other name) after a request route: the loader reports
    the first (so this rule only does without a Program), this rule the second."""
    out = []
    for key, decls in lint.graph.decls.items():
        if len(decls) < 2:
            continue
        first = lint.loc(decls[0])
        for route in decls[1:]:
            loc = lint.header(route)
            at = f"line {first.line}" if first.file == loc.file else f"{first.file}:{first.line}"
            if lint.has_error_at(loc, "duplicate-route"):
                continue
            if ":" in key or route.name == "0":
                if lint.program is None or ":" not in key:
                    out.append(lint.error(loc, f"duplicate route {G.key_label(key)} (the first is at {at})",
                                          "duplicate-route"))
                continue
            out.append(lint.warning(loc, f"{G.key_label(key)} is declared again: Kamailio appends its "
                                    f"actions to the one at {at}", "duplicate-route"))
    return out


def unused_route(lint: Lint) -> list[Diagnostic]:
    """unused-route: route[X], failure_route[X], onreply_route[X] or branch_route[X] that
    nothing names: no route(X), route_if_exists/check_route_exists, t_on_*, async_*,
    rtimer exec, and no run-time name that can be X.  Event routes, request/reply/onsend
    routes and the unnamed failure/branch routes are run by Kamailio itself.  A route
    named only by itself (recursion) is unused."""
    out = []
    g = lint.graph
    unknown = [r for r in g.unresolved() if r.kind in G.RUNS]
    for n in g.routes():
        if n.entry:
            continue
        if any(r.src != n.key for r in g.refs_to(n.key)):
            continue
        text = f"{n.label} is never used: "
        kind = n.key.split(":", 1)[0]
        text += {"route": "no route(), route_if_exists(), rtimer exec ... names it",
                 "failure": "no t_on_failure() names it",
                 "onreply": "no t_on_reply() names it",
                 "branch": "no t_on_branch() names it"}.get(kind, "nothing names it")
        if kind == "route" and unknown:
            r = unknown[0]
            at = lint.loc(r.node)
            text += f" (unless a run-time name reaches it: {g.nodes[r.dst].label} at {at.file}:{at.line})"
        out.append(lint.warning(lint.header(n.decl), text, "unused-route"))
    return out


def var_before_set(lint: Lint) -> list[Diagnostic]:
    """var-before-set: $var(x) read in a route before it is assigned.  $var values live
    in the process and survive from one message (or timer run) to the next: a read before
    the first assignment sees 0 the first time and then what the previous run left.
    The rule is flow-insensitive: a read is fine when, earlier in the same route's text,
    $var(x) is assigned, or a route called earlier (route(), route_if_exists()) assigns it
    anywhere; in route[X], also when any caller assigned it before its route(X).
    modparam("pv", "varset", "x=...") gives every route a value.  Reads that test the
    variable (pv_isset, pv_unset, 'defined') are not counted, nor a lone $var(x) passed
    to a function that may write it (an unknown function's PV parameter).  route[X] that
    nothing calls is skipped (unused-route speaks for it).  One warning per variable and
    route."""
    g = lint.graph
    initial = _varset_names(lint.config)
    events = {key: [] for key in g.decls}
    for key, decls in g.decls.items():
        for route in decls:
            _VarEvents(lint, events[key]).visit(route.body)
    callees = {key: {c for ev in evs if ev[0] == "call" for c in ev[1]} for key, evs in events.items()}
    direct = {key: {ev[1] for ev in evs if ev[0] == "write"} for key, evs in events.items()}
    writes = {key: set(v) for key, v in direct.items()}
    changed = True
    while changed:                                   # writes of a route include its callees'
        changed = False
        for key in writes:
            for c in callees[key]:
                extra = writes.get(c, set()) - writes[key]
                if extra:
                    writes[key] |= extra
                    changed = True
    entry = {key: set() for key in events}
    runs = {key for key in events if g.nodes[key].entry}          # top-level runs and sub-routes
    runs |= {r.dst for r in g.refs if r.kind in G.RUNS and r.dst in events and r.src != r.dst}
    changed = True
    while changed:                                   # what callers assigned before the call
        changed = False
        for key, evs in events.items():
            known = initial | entry[key]
            for ev in evs:
                if ev[0] == "write":
                    known.add(ev[1])
                elif ev[0] == "call":
                    for c in ev[1]:
                        if c not in entry or c == key:
                            continue
                        if not known <= entry[c]:
                            entry[c] |= known
                            changed = True
                        known |= writes.get(c, set())
    assigned_anywhere = initial.union(*direct.values()) if direct else set(initial)
    out = []
    for key, evs in events.items():
        node = g.nodes[key]
        if key not in runs:
            continue
        known = initial | entry[key]
        warned = set()
        for ev in evs:
            if ev[0] == "write":
                known.add(ev[1])
            elif ev[0] == "call":
                for c in ev[1]:
                    known |= writes.get(c, set())
            elif ev[1] not in known and ev[1] not in warned:
                warned.add(ev[1])
                name, where = ev[1], ev[2]
                if name in assigned_anywhere:
                    text = (f"$var({name}) is read before any assignment in {node.label}: it holds 0 "
                            "or what a previous run left in this process")
                else:
                    text = f"$var({name}) is never assigned: it is always 0"
                out.append(lint.warning(where, text, "var-before-set"))
    return out


def undefined_queue(lint: Lint) -> list[Diagnostic]:
    """undefined-queue: a constant queue name in mq_add/mq_fetch/mq_size/mq_pv_free or
    $mqk/$mqv/$mq_size (also inside format strings) that no modparam("mqueue", "mqueue",
    "name=...") or ("mqueue", "mqueue_name", ...) defines.  Kamailio accepts it and logs
    'mqueue not found' each time it runs."""
    defined = []
    for item in lint.config.items:
        if type(item) is N.ModParam and G.module_is(item.module, "mqueue"):
            if item.param == "mqueue":
                name = G.param_pairs(item.value).get("name")
                if name:
                    defined.append(name)
            elif item.param == "mqueue_name" and item.value:
                defined.append(str(item.value))
    out = []
    have = ", ".join(defined) if defined else "none"

    def check(name: str, where, what: str) -> None:
        if "$" in name or name in defined:
            return
        out.append(lint.warning(where, f'{what} uses queue "{name}", which no modparam("mqueue", "mqueue", '
                                f'"name=...") defines (defined: {have})', "undefined-queue"))

    def check_pv(text: str, where) -> None:
        try:
            pvt, _ = PV.parse(text, 0)
        except PV.PVSyntaxError:
            return
        if pvt.name in MQ_PVS and pvt.inner is not None and not pvt.inner.strip().startswith("$"):
            check(pvt.inner.strip(), where, f"${pvt.name}")

    for route in lint.config.routes:
        for n in N.walk(route.body):
            t = type(n)
            if t is N.PV:
                check_pv(n.text, n)
            elif t is N.Call:
                if n.name in MQ_FUNCTIONS and n.args and type(n.args[0]) in (N.Str, N.Word):
                    a = n.args[0]
                    check(a.value if type(a) is N.Str else a.text, a, f"{n.name}()")
                for a in n.args:
                    if type(a) is N.Str and "$" in a.value:
                        for p in _format_pvs(a.value):
                            check_pv(p.text, lint.pv_in_string(a, p.text))
    return out


RULES = [
    ("undefined-route", undefined_route),
    ("duplicate-route", duplicate_route),
    ("unused-route", unused_route),
    ("var-before-set", var_before_set),
    ("undefined-queue", undefined_queue),
]
CODES = frozenset(code for code, _ in RULES)


def run(config: N.Config, program=None, graph: G.RouteGraph | None = None,
        rules: list | None = None) -> list[Diagnostic]:
    """Every rule's diagnostics, in config order."""
    lint = Lint(config, program, graph)
    out: list[Diagnostic] = []
    for code, fn in RULES:
        if rules is None or code in rules:
            out.extend(fn(lint))
    files = {f.path: i for i, f in enumerate(config.source.files)}
    out.sort(key=lambda d: (files.get(d.loc.file, len(files)), d.loc.line, d.loc.col))
    return out


# ---- helpers ----------------------------------------------------------------------------------
def _format_pvs(text: str) -> list:
    try:
        return [p for p in PV.parse_format(text) if not isinstance(p, str)]
    except PV.PVSyntaxError:
        return []


def _var_name(text: str) -> str | None:
    """'x' for $var(x) (also $(var(x){s.len})), else None."""
    try:
        pvt, end = PV.parse(text, 0)
    except PV.PVSyntaxError:
        return None
    if pvt.name != "var" or pvt.inner is None or "$" in pvt.inner:
        return None
    return pvt.inner


def _varset_names(config: N.Config) -> set:
    out = set()
    for item in config.items:
        if type(item) is N.ModParam and G.module_is(item.module, "pv") and item.param == "varset":
            name = str(item.value).partition("=")[0]
            if name:
                out.add(name)
    return out


class _VarEvents:
    """The $var reads, writes and route calls of a route body, in evaluation order:
    ("read", name, node/Location), ("write", name), ("call", [route keys])."""

    def __init__(self, lint: Lint, out: list):
        self.lint = lint
        self.out = out
        self.calls = {}
        for r in lint.graph.refs:
            if r.kind in ("call", "dynamic"):
                self.calls.setdefault(id(r.node), []).append(r.dst)

    def read(self, text: str, where) -> None:
        name = _var_name(text)
        if name is not None:
            self.out.append(("read", name, where))

    def write(self, text: str) -> None:
        name = _var_name(text)
        if name is not None:
            self.out.append(("write", name))

    def visit(self, n) -> None:
        if n is None:
            return
        if isinstance(n, list):
            for x in n:
                self.visit(x)
            return
        t = type(n)
        if t is N.PV:
            self.read(n.text, n)
        elif t is N.Assign:
            self.visit(n.expr)
            self.write(n.target.text)
        elif t is N.AssignExpr:
            self.visit(n.assign)
        elif t is N.Call:
            self.call(n)
        elif t is N.UnOp:
            if n.op != "defined":
                self.visit(n.operand)
        elif t is N.BinOp:
            self.visit(n.left)
            self.visit(n.right)
        elif t in (N.StrLen, N.StrEmpty):
            self.visit(n.operand)
        elif t is N.SelVal:
            self.visit([n.cond, n.if_true, n.if_false])
        elif t is N.If:
            self.visit(n.cond)
            self.visit(n.then)
            self.visit(n.orelse)
        elif t is N.While:
            self.visit(n.cond)
            self.visit(n.body)
        elif t is N.Switch:
            self.visit(n.expr)
            for c in n.cases:
                self.visit(c.label)
                self.visit(c.body)
        elif t is N.Return:
            self.visit(n.expr)

    def call(self, call: N.Call) -> None:
        if call.name in VAR_CHECKS:
            return
        kinds = self.lint.function_args(call)
        formats = call.name in FORMAT_FUNCTIONS or call.name in G.ROUTE_FUNCTIONS
        for i, a in enumerate(call.args):
            kind = kinds[i] if kinds is not None and i < len(kinds) else None
            ta = type(a)
            if ta is not N.Str and (call.name == "route" or kind in ("any", "intpv", "str", "int", "route")):
                self.visit(a)                    # an expression: its PVs are read
            elif call.name == "route" or kind in ("any", "str", "int", "route"):
                pass                             # a string literal
            elif kind == "fmt" or (kind is None and formats):
                if ta is N.Str:
                    for p in _format_pvs(a.value):
                        self.read(p.text, self.lint.pv_in_string(a, p.text))
                else:
                    self.visit(a)
            elif kind in ("pvw", "pv", "intpv"):
                text = a.text if ta is N.PV else a.value.strip() if ta is N.Str else None
                if text is None:
                    self.visit(a)
                elif kind == "pvw":
                    self.write(text)
                else:
                    self.read(text, a)
            elif kind is None:                   # a function kamlite does not know
                if ta is N.PV:
                    self.write(a.text)           # may be an output parameter
                elif ta is N.Str:
                    parts = _format_pvs(a.value) if "$" in a.value else []
                    if len(parts) == 1 and a.value.strip() == parts[0].text:
                        self.write(parts[0].text)
                    else:
                        for p in parts:
                            self.read(p.text, self.lint.pv_in_string(a, p.text))
                else:
                    self.visit(a)
        targets = self.calls.get(id(call))
        if targets:
            self.out.append(("call", targets))
