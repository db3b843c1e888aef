"""Step traces: what a run of the routes did, statement by statement.

A program loaded with trace=True is compiled with a hook after each statement (and at
route entry and exit); without it the hooks are not in the generated code at all, so
tracing costs nothing when off.  Each top-level run collects TraceEvents in ctx.trace:
the harness keeps them per message (r.trace), `kamlite --trace` prints them on their own
channel as they happen.
"""
from __future__ import annotations

import dataclasses
import os

from . import runtime as RT


@dataclasses.dataclass(frozen=True)
class Site:
    """Where a traced statement is: fixed at load time."""
    kind: str          # enter, exit, call, assign, cond, return, exit-script, drop
    route: str         # "request", "REQINIT", "reply", "failure:NAME", "event:core:..." ...
    file: str
    line: int
    text: str          # the statement as written (first line of it)


@dataclasses.dataclass
class TraceEvent:
    kind: str          # as Site.kind
    route: str
    file: str
    line: int
    text: str
    args: tuple = ()   # call: its arguments after expansion; assign: the value; cond: (taken,)
    rc: object = None  # call: its return code; exit (of a route): the route's return value
    depth: int = 0     # route nesting: 0 for the top route

    def __str__(self) -> str:
        where = f"{os.path.basename(self.file)}:{self.line}"
        pad = "  " * self.depth
        if self.kind == "enter":
            return f"{where} {pad}-> route {self.route}"
        if self.kind == "exit":
            return f"{where} {pad}<- route {self.route} = {self.rc}"
        detail = ""
        if self.kind == "call":
            detail = f" {list(self.args)!r} -> {self.rc}"
        elif self.kind == "assign":
            detail = f" := {self.args[0]!r}" if self.args else ""
        elif self.kind == "cond":
            detail = f" -> {'true' if self.args and self.args[0] else 'false'}"
        elif self.kind in ("return", "exit-script", "drop") and self.rc is not None:
            detail = f" ({self.rc})"
        return f"{where} {pad}  {self.text}{detail}"


def _depth(ctx) -> int:
    return ctx.level - 1 if ctx.level > 0 else 0


def event(ctx, site: Site, args: tuple = (), rc=None) -> None:
    sink = ctx.trace
    if sink is not None:
        sink.append(TraceEvent(site.kind, site.route, site.file, site.line, site.text, args, rc, _depth(ctx)))


def expand(ctx, args: tuple) -> tuple:
    """Arguments as the function sees them, for display: formats expanded, integer
    parameters read, pseudo-variables given by name read."""
    if ctx.trace is None:
        return ()
    out = []
    for a in args:
        try:
            if hasattr(a, "get") and hasattr(a, "text"):          # a PV spec
                out.append(a.get(ctx))
            elif callable(a):                                       # format / int getter
                out.append(a(ctx))
            else:
                out.append(a)
        except (RT.PVFail, RT.FormatOverflow, RT.EvalError):
            out.append(None)
        except Exception as e:                                      # display only
            out.append(f"<{type(e).__name__}>")
    return tuple(out)


def read(ctx, spec):
    """A pseudo-variable's value after an assignment, for display."""
    if ctx.trace is None:
        return None
    try:
        return spec.get(ctx)
    except RT.PVFail:
        return None


class StreamSink:
    """`kamlite --trace`: events printed as they happen, one line each, with the process
    rank and pid like log lines (but on their own channel)."""

    def __init__(self, fd: int, log):
        self.fd = fd
        self.log = log

    def append(self, ev: TraceEvent) -> None:
        line = f"TRACE {self.log.rank:2d}({os.getpid()}) {ev}\n"
        os.write(self.fd, line.encode("latin-1", "replace"))
