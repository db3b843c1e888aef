"""The static call graph of a config's routes, as DOT or Mermaid (SVG/PNG through Graphviz).

Nodes are the route blocks (request_route, route[X], failure_route[X], onreply_route[X],
reply_route, branch_route[X], onsend_route, event_route[X]), one "timer NAME" node per
rtimer timer, routes referenced but not declared ("(undefined)"), and one "?" node per
route name that only exists at run time and could not be narrowed down.

Edges, by kind:
  call     route(NAME)                          solid
  exec     rtimer: modparam("rtimer", "exec", "timer=T;route=NAME")    solid, "exec"
  dynamic  route(expr), route_if_exists("..."): the name is looked up at run time   dashed
  arm      t_on_failure/t_on_reply/t_on_branch/t_on_branch_failure, async_route ...,
           tm's on_sl_reply: the route runs later, for another event                dashed
  ref      check_route_exists("NAME"): names the route, does not run it             dotted

A run-time name is narrowed down where the config says enough: route("A" + "B") is A B;
route($var(r)) when every assignment of $var(r) in the config is a constant string is
those names; route("R_" + $x) is every declared route whose name starts with R_.

Entry points are request_route, reply_route, onsend_route, event routes and timers;
routes no entry point reaches (through call, exec, dynamic and arm edges) are grey.

Everything here works on the parsed config alone (`kamlite --syntax-only` level); with a
loaded Program, functions of kamlite modules that take a route name (Arg.ROUTE) add
edges too.
"""
from __future__ import annotations

import dataclasses
import itertools
import re
import shutil
import subprocess

from ..cfg import nodes as N
from ..script import pv as PV          # pure syntax: pseudo-variable texts, format strings

# functions naming a route in a parameter: name -> (parameter index, key prefix, edge kind)
ROUTE_FUNCTIONS = {
    "route_if_exists": (0, "route:", "dynamic"),          # cfgutils
    "check_route_exists": (0, "route:", "ref"),           # cfgutils
    "t_on_failure": (0, "failure:", "arm"),               # tm
    "t_on_reply": (0, "onreply:", "arm"),
    "t_on_branch": (0, "branch:", "arm"),
    "t_on_branch_failure": (0, "event:tm:branch-failure:", "arm"),
    "async_route": (0, "route:", "arm"),                  # async
    "async_ms_route": (0, "route:", "arm"),
    "async_task_route": (0, "route:", "arm"),
    "async_task_group_route": (0, "route:", "arm"),
    "t_continue": (2, "route:", "arm"),                   # tmx
    "http_async_query": (1, "route:", "arm"),             # http_async_client
}
RUNS = ("call", "exec", "dynamic", "arm")                 # edge kinds along which a route runs
MAX_NAMES = 64                                            # run-time name sets larger than this: unknown
FORMATS = ("dot", "mermaid", "svg", "png")

_KIND_LABEL = {"request": "request_route", "route": "route", "failure": "failure_route",
               "onreply": "onreply_route", "reply": "reply_route", "branch": "branch_route",
               "onsend": "onsend_route", "event": "event_route"}


class GraphError(Exception):
    """The graph cannot be written (e.g. Graphviz is missing for SVG/PNG)."""


@dataclasses.dataclass(eq=False)
class Node:
    key: str                       # "request", "route:X", "event:core:worker-one-init", "timer:t" ...
    label: str
    kind: str                      # "route" (declared), "timer", "modparam", "undefined", "dynamic"
    entry: bool = False
    decl: object = None            # the first N.Route / N.ModParam that declares it
    reachable: bool = False


@dataclasses.dataclass(eq=False)
class Ref:
    """One place that names a route: an edge of the graph."""
    src: str                       # node key of the caller
    dst: str                       # node key of the target
    kind: str                      # "call", "exec", "dynamic", "arm", "ref"
    label: str                     # "" for route(NAME), else the function/parameter name
    node: object                   # the N.Call / N.ModParam (its place in the config)
    run_time: bool = False         # the name is computed at run time (dst is a guess or "?")


def route_key(route: N.Route) -> str:
    """The route table key of a route block: "request", "reply", "failure", "branch",
    "onsend" for the unnamed ones, else "kind:NAME".  As in Kamailio's route lists, the
    name "0" is the unnamed route of its kind (route[0] is the request route)."""
    return target_key(route.kind + ":", route.name)


_DEFAULT_KEYS = {"request:": "request", "route:": "request", "onreply:": "reply", "reply:": "reply",
                 "failure:": "failure", "branch:": "branch", "onsend:": "onsend"}


def target_key(prefix: str, name: str | None) -> str:
    """The key of the route a name refers to, for a key prefix ("route:", "failure:" ...)."""
    if name is None or name == "0":
        return _DEFAULT_KEYS.get(prefix, prefix.rstrip(":"))
    return prefix + name


def key_label(key: str) -> str:
    kind, _, name = key.partition(":")
    base = _KIND_LABEL.get(kind, kind)
    return f"{base}[{name}]" if name else base


def is_entry_key(key: str) -> bool:
    """Routes Kamailio runs by itself: for a message, a reply, a send, an event.  The
    unnamed failure/branch routes are counted too (t_on_*("0") arms them)."""
    return key in ("request", "reply", "onsend", "failure", "branch") or key.startswith(("event:", "onsend:"))


def module_is(pattern: str, name: str) -> bool:
    """Whether a modparam's module (a regular expression, as in Kamailio) names module `name`."""
    if pattern == name:
        return True
    try:
        return re.fullmatch(pattern, name) is not None
    except re.error:
        return False


def param_pairs(value) -> dict:
    """'name=t;interval=10;mode=1;' -> {"name": "t", ...}; the first of duplicates wins
    (rtimer and mqueue walk Kamailio's parsed list that way)."""
    out: dict = {}
    for part in str(value).split(";"):
        k, _, v = part.partition("=")
        k = k.strip().lower()
        if k and k not in out:
            out[k] = v.strip()
    return out


def pv_assignments(config: N.Config) -> dict:
    """Every expression assigned to each pseudo-variable text, over all routes."""
    out: dict = {}
    for route in config.routes:
        for n in N.walk(route.body):
            if type(n) is N.Assign:
                out.setdefault(n.target.text, []).append(n.expr)
    return out


# ---- run-time route names -----------------------------------------------------------------
class _Names:
    """What a run-time route name can be: a list of parts, each a frozenset of possible
    strings or None (unknown)."""

    def __init__(self, assigns: dict):
        self.assigns = assigns

    def expr(self, e, seen=frozenset()) -> list:
        t = type(e)
        if t is N.Str:
            return [frozenset((e.value,))]
        if t is N.Word:
            return [frozenset((e.text,))]
        if t is N.Int:
            return [frozenset((str(e.value),))]
        if t is N.BinOp and e.op == "+":
            return self.expr(e.left, seen) + self.expr(e.right, seen)
        if t is N.PV:
            return [self.pv(e.text, seen)]
        return [None]

    def fmt(self, text: str) -> list:
        try:
            parts = PV.parse_format(text)
        except PV.PVSyntaxError:
            return [None]
        return [frozenset((p,)) if isinstance(p, str) else self.pv(p.text, frozenset()) for p in parts]

    def pv(self, text: str, seen) -> frozenset | None:
        exprs = self.assigns.get(text)
        if not exprs or text in seen:
            return None
        out: set = set()
        for e in exprs:
            names = finite(self.expr(e, seen | {text}))
            if names is None:
                return None
            out |= names
        return frozenset(out)


def finite(parts: list) -> set | None:
    if any(p is None for p in parts):
        return None
    size = 1
    for p in parts:
        size *= len(p)
    if size > MAX_NAMES:
        return None
    return {"".join(c) for c in itertools.product(*[sorted(p) for p in parts])}


def pattern(parts: list) -> str | None:
    """A regular expression for the names; None when nothing at all is known."""
    if all(p is None for p in parts):
        return None
    return "".join(".*" if p is None else "(?:" + "|".join(re.escape(s) for s in sorted(p)) + ")"
                   for p in parts)


# ---- the graph -------------------------------------------------------------------------------
class RouteGraph:
    def __init__(self, config: N.Config):
        self.config = config
        self.nodes: dict[str, Node] = {}
        self.refs: list[Ref] = []
        self.decls: dict[str, list] = {}          # key -> every N.Route declaring it, in order

    # -- queries --
    @property
    def edges(self) -> list[Ref]:
        """The refs, one per (src, dst, kind, label), in config order."""
        seen, out = set(), []
        for r in self.refs:
            k = (r.src, r.dst, r.kind, r.label)
            if k not in seen:
                seen.add(k)
                out.append(r)
        return out

    def routes(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == "route"]

    def refs_to(self, key: str) -> list[Ref]:
        return [r for r in self.refs if r.dst == key]

    def unresolved(self) -> list[Ref]:
        """References whose run-time name could not be narrowed down."""
        return [r for r in self.refs if r.dst.startswith("?:")]

    def text_of(self, node) -> str:
        return self.config.source.text[node.pos:node.end]

    def _add(self, key: str, label: str, kind: str, decl=None) -> Node:
        n = self.nodes.get(key)
        if n is None:
            n = self.nodes[key] = Node(key, label, kind, entry=False, decl=decl)
        return n


def build(config: N.Config, program=None) -> RouteGraph:
    """The route graph of a parsed config (and of its Program, when loaded)."""
    g = RouteGraph(config)
    names = _Names(pv_assignments(config))
    timers: dict[str, str] = {}                   # lower-case timer name -> node key
    pending: list[tuple] = []                     # (src, prefix, parts, kind, label, node, run_time, text)

    for item in config.items:
        if type(item) is N.Route:
            key = route_key(item)
            g.decls.setdefault(key, []).append(item)
            n = g._add(key, key_label(key), "route", item)
            n.entry = is_entry_key(key)
        elif type(item) is N.ModParam:
            _modparam(g, item, timers, pending)

    for key, decls in g.decls.items():
        for route in decls:
            calls = sorted((n for n in N.walk(route.body) if type(n) is N.Call), key=lambda c: c.pos)
            for call in calls:
                _call(g, key, call, names, program, pending)

    for src, prefix, parts, kind, label, node, run_time, text in pending:
        _link(g, src, prefix, parts, kind, label, node, run_time, text)

    _reach(g)
    return g


def _modparam(g: RouteGraph, item: N.ModParam, timers: dict, pending: list) -> None:
    if module_is(item.module, "rtimer") and item.param in ("timer", "exec"):
        p = param_pairs(item.value)
        if item.param == "timer":
            name = p.get("name")
            if name and name.lower() not in timers:
                key = timers[name.lower()] = f"timer:{name}"
                g._add(key, f"timer {name}", "timer", item).entry = True
        else:
            tname, route = p.get("timer"), p.get("route")
            if tname is None or route is None:
                return
            key = timers.get(tname.lower())
            if key is None:                      # Kamailio refuses this; show it anyway
                key = timers[tname.lower()] = f"timer:{tname}"
                g._add(key, f"timer {tname}", "timer", item).entry = True
            pending.append((key, "route:", [frozenset((route,))], "exec", "exec", item, False, route))
    elif module_is(item.module, "tm") and item.param == "on_sl_reply" and item.value:
        key = "modparam:tm:on_sl_reply"
        g._add(key, "tm on_sl_reply", "modparam", item).entry = True
        pending.append((key, "onreply:", [frozenset((str(item.value),))], "arm", "on_sl_reply", item, False,
                        str(item.value)))


def _call(g: RouteGraph, src: str, call: N.Call, names: _Names, program, pending: list) -> None:
    if call.name == "route":
        if len(call.args) != 1:
            return
        arg = call.args[0]
        if type(arg) in (N.Word, N.Str, N.Int):
            parts = names.expr(arg)
            pending.append((src, "route:", parts, "call", "", call, False, g.text_of(arg)))
        else:
            pending.append((src, "route:", names.expr(arg), "dynamic", "dynamic", call, True, g.text_of(arg)))
        return
    spec = ROUTE_FUNCTIONS.get(call.name)
    if spec is None and program is not None:
        spec = _module_route_param(program, call)
    if spec is None:
        return
    index, prefix, kind = spec
    if len(call.args) <= index:
        return
    arg = call.args[index]
    if type(arg) is N.Str:
        parts = names.fmt(arg.value)
        run_time = "$" in arg.value
    elif type(arg) in (N.Word, N.Int):
        parts, run_time = names.expr(arg), False
    else:
        parts, run_time = names.expr(arg), True
    pending.append((src, prefix, parts, kind, call.name, call, run_time, g.text_of(arg)))


def _module_route_param(program, call: N.Call):
    """(index, "route:", "arm") for a function of a loaded kamlite module taking a route
    name (Arg.ROUTE), else None."""
    try:
        fn = program.find_function(call.name, len(call.args), call)
    except Exception:
        return None
    for i, kind in enumerate(fn.args):
        if kind == "route":
            return i, "route:", "arm"
    return None


def _link(g: RouteGraph, src, prefix, parts, kind, label, node, run_time, text) -> None:
    names = finite(parts)
    if names is not None:
        targets = sorted(names)
    else:
        rx = pattern(parts)
        targets = []
        if rx is not None:
            targets = [k[len(prefix):] for k in g.decls
                       if k.startswith(prefix) and re.fullmatch(rx, k[len(prefix):])]
        if not targets:
            fn = "route" if kind == "call" or label == "dynamic" else label
            qkey = f"?:{fn}({text})"
            g._add(qkey, f"{fn}({text})", "dynamic")
            g.refs.append(Ref(src, qkey, kind, label, node, True))
            return
    for name in targets:
        key = target_key(prefix, name)
        if key not in g.nodes:
            if name == "0" and prefix != "route:":      # t_on_failure("0") ...: resets the route
                continue
            g._add(key, key_label(key) + " (undefined)", "undefined")
        g.refs.append(Ref(src, key, kind, label, node, run_time))


def _reach(g: RouteGraph) -> None:
    out: dict[str, list] = {}
    for r in g.refs:
        if r.kind in RUNS:
            out.setdefault(r.src, []).append(r.dst)
    todo = [n.key for n in g.nodes.values() if n.entry]
    while todo:
        key = todo.pop()
        n = g.nodes.get(key)
        if n is None or n.reachable:
            continue
        n.reachable = True
        todo.extend(out.get(key, ()))


# ---- output ----------------------------------------------------------------------------------
def _dq(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(g: RouteGraph) -> str:
    lines = ["digraph routes {",
             "  rankdir=LR;",
             '  node [shape=box, style=rounded, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for n in g.nodes.values():
        attrs = [f"label={_dq(n.label)}"]
        style = ["rounded"]
        if n.kind == "timer":
            attrs.append("shape=ellipse")
            style = []
        elif n.kind == "modparam":
            attrs.append("shape=note")
            style = []
        elif n.kind == "dynamic":
            attrs.append("shape=diamond")
            style = ["dashed"]
        if n.kind == "undefined":
            style.append("dashed")
            attrs += ["color=red", "fontcolor=red"]
        elif n.entry and n.kind == "route":
            style.append("bold")
        elif not n.reachable:
            style.append("filled")
            attrs += ['fillcolor="#eeeeee"', "color=grey", "fontcolor=grey"]
        if style and style != ["rounded"]:
            attrs.insert(1, f"style={_dq(','.join(style))}" if len(style) > 1 else f"style={style[0]}")
        lines.append(f"  {_dq(n.key)} [{', '.join(attrs)}];")
    for e in g.edges:
        attrs = []
        if e.kind in ("dynamic", "arm"):
            attrs.append("style=dashed")
        elif e.kind == "ref":
            attrs.append("style=dotted")
        if e.label:
            attrs.append(f"label={_dq(e.label)}")
        tail = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {_dq(e.src)} -> {_dq(e.dst)}{tail};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mq(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def to_mermaid(g: RouteGraph) -> str:
    ids = {key: f"n{i}" for i, key in enumerate(g.nodes, 1)}
    lines = ["flowchart LR"]
    classes: dict[str, list] = {}
    for n in g.nodes.values():
        i, label = ids[n.key], _mq(n.label)
        if n.kind == "timer" or n.kind == "modparam":
            shape = f"([{label}])"
        elif n.kind == "dynamic":
            shape = "{{" + label + "}}"
        elif n.entry:
            shape = f"[[{label}]]"
        else:
            shape = f"[{label}]"
        lines.append(f"  {i}{shape}")
        if n.kind == "undefined":
            classes.setdefault("undefined", []).append(i)
        elif n.kind == "dynamic":
            classes.setdefault("dynamic", []).append(i)
        elif not n.reachable:
            classes.setdefault("unreachable", []).append(i)
    for e in g.edges:
        arrow = "-->" if e.kind in ("call", "exec") else "-.->"
        label = f"|{e.label}|" if e.label else ""
        lines.append(f"  {ids[e.src]} {arrow}{label} {ids[e.dst]}")
    styles = {"unreachable": "fill:#eeeeee,stroke:#999999,color:#999999",
              "undefined": "stroke:#cc0000,color:#cc0000,stroke-dasharray:5 3",
              "dynamic": "stroke-dasharray:5 3"}
    for name, members in classes.items():
        lines.append(f"  classDef {name} {styles[name]}")
        lines.append(f"  class {','.join(members)} {name}")
    return "\n".join(lines) + "\n"


def dot_program() -> str | None:
    return shutil.which("dot")


def run_dot(dot_text: str, fmt: str) -> bytes:
    """SVG or PNG from DOT, by Graphviz's dot."""
    exe = dot_program()
    if exe is None:
        raise GraphError(f"--graph-format {fmt} needs Graphviz's dot program, which is not installed "
                         "(Debian package graphviz); --graph-format dot or mermaid need nothing")
    try:
        r = subprocess.run([exe, f"-T{fmt}"], input=dot_text.encode(), capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GraphError(f"running {exe} failed: {e}") from None
    if r.returncode != 0:
        raise GraphError(f"{exe} -T{fmt} failed: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def render(g: RouteGraph, fmt: str = "dot") -> bytes:
    if fmt == "dot":
        return to_dot(g).encode()
    if fmt == "mermaid":
        return to_mermaid(g).encode()
    if fmt in ("svg", "png"):
        return run_dot(to_dot(g), fmt)
    raise GraphError(f"unknown graph format {fmt!r} (one of {', '.join(FORMATS)})")


def format_for_path(path: str) -> str | None:
    """The format a --graph-output file name asks for, by its extension."""
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return {"dot": "dot", "gv": "dot", "mmd": "mermaid", "mermaid": "mermaid",
            "svg": "svg", "png": "png"}.get(ext)
