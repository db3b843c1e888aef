"""kamlite's command line: the same flags as kamailio where they mean something here.

    kamlite -f kamailio.cfg -DD -E     run in the foreground, logs on stderr
    kamlite -c -f kamailio.cfg         full check: parse, resolve, compile; exit 0 or 1
    kamlite --syntax-only -f x.cfg     preprocessor and grammar only
    kamlite -A WITH_MQ -A PORT=5080    defines, like kamailio -A
    kamlite --graph -f x.cfg           the route call graph (DOT; --graph-format mermaid|svg|png)
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import KAMAILIO_VERSION, __version__
from .errors import ConfigError, Diagnostic, Location


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="kamlite", add_help=False,
        description="Kamailio's configuration language, run in Python.",
        epilog="Flags follow kamailio's. Not all of kamailio's flags are supported.")
    ap.add_argument("-f", dest="file", default=None, help="configuration file (default: ./kamailio.cfg)")
    ap.add_argument("-c", dest="check", action="store_true",
                    help="check the configuration (parse, resolve, compile) and exit")
    ap.add_argument("--syntax-only", action="store_true",
                    help="check preprocessor and grammar only (no modules needed) and exit")
    ap.add_argument("--json", action="store_true",
                    help="with -c/--syntax-only: errors and warnings as JSON on stdout")
    ap.add_argument("--strict", action="store_true", help="with -c: warnings are errors (exit 1)")
    ap.add_argument("--graph", action="store_true",
                    help="write the static call graph of the routes (DOT on stdout) and exit; "
                         "with -c the config is fully loaded first")
    ap.add_argument("--graph-format", choices=("dot", "mermaid", "svg", "png"), default=None,
                    help="graph format (implies --graph; svg and png run Graphviz's dot); "
                         "default: from --graph-output's extension, else dot")
    ap.add_argument("--graph-output", metavar="FILE", default=None,
                    help="write the graph to FILE instead of stdout (implies --graph)")
    ap.add_argument("--cfg-print", action="store_true",
                    help="print the configuration after includes and #!ifdef, and exit")
    ap.add_argument("-A", dest="defines", action="append", default=[], metavar="ID[=VAL]",
                    help="add a #!define (repeatable)")
    ap.add_argument("-E", dest="stderr", action="store_true", help="log to stderr")
    ap.add_argument("-D", dest="no_daemon", action="count", default=0,
                    help="do not daemonize (-D and -DD both stay in the foreground)")
    ap.add_argument("-d", dest="debug", action="count", default=0,
                    help="debug level: each -d raises it by one and overrides debug=")
    ap.add_argument("-m", dest="shm", type=int, default=None, metavar="MB", help="shared memory size in MB")
    ap.add_argument("-M", dest="pkg", type=int, default=None, metavar="MB", help="accepted, ignored")
    ap.add_argument("-n", dest="children", type=int, default=None, help="number of children per socket")
    ap.add_argument("-w", dest="workdir", default=None, help="working directory")
    ap.add_argument("-P", dest="pidfile", default=None, help="pid file")
    ap.add_argument("--trace", nargs="?", const="-", default=None, metavar="FILE",
                    help="print a step trace of every route run (to FILE, default stderr): "
                         "file:line, statement, arguments after expansion, return code")
    ap.add_argument("--db-create", action="store_true",
                    help="create missing database tables (mqueue) instead of refusing to start")
    ap.add_argument("-L", dest="modpath", default=None, help="module path (accepted, ignored)")
    ap.add_argument("-V", "-v", dest="version", action="store_true", help="version")
    ap.add_argument("-h", "--help", action="help", help="this help")
    return ap


def _defines(items: list[str]) -> dict:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        out[name] = value if sep else None
    return out


def _print_diagnostics(diags: list[Diagnostic], as_json: bool, stream=None) -> None:
    """Text on stderr (`file:line:col: severity: text`, warnings with their `[code]`), or
    one JSON list on stdout (errors and warnings: file, line, col, end_line, end_col,
    severity, code, message)."""
    if as_json:
        stream = stream or sys.stdout
        json.dump([d.as_dict() for d in diags], stream, indent=1)
        stream.write("\n")
        stream.flush()
        return
    stream = stream or sys.stderr
    for d in diags:
        stream.write(_diagnostic_line(d) + "\n")


def _diagnostic_line(d: Diagnostic) -> str:
    if d.severity == "warning" or getattr(d, "_strict", False):
        return f"{d} [{d.code}]" if d.code else str(d)
    return str(d)


def _strict(diags: list[Diagnostic]) -> list[Diagnostic]:
    """--strict: every warning becomes an error (still tagged with its [code])."""
    out = []
    for d in diags:
        if d.severity == "warning":
            d = Diagnostic(d.loc, d.message, "error", d.code)
            d._strict = True
        out.append(d)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.version:
        print(f"version: kamlite {__version__} (Kamailio {KAMAILIO_VERSION} configuration language)")
        return 0
    path = args.file or "kamailio.cfg"
    if path != "-" and not os.path.isabs(path):
        path = os.path.join(os.getcwd(), path)      # Kamailio prints the config path absolute
    defines = _defines(args.defines)
    try:
        return _run(args, path, defines)
    except ConfigError as e:
        diags = _strict(e.diagnostics) if args.strict else e.diagnostics
        _print_diagnostics(diags, args.json)
        if not args.json:
            n = sum(d.severity == "error" for d in diags)
            sys.stderr.write(f"ERROR: bad config file ({n} errors)\n")
        return 1
    except KeyboardInterrupt:
        return 130


def _run(args, path: str, defines: dict) -> int:
    from .cfg.parser import parse_expanded
    from .cfg.preprocess import Preprocessor

    pre = Preprocessor(defines)
    if path == "-":
        expanded = pre.run_text(sys.stdin.read(), "-")
    else:
        if not os.path.exists(path):
            raise ConfigError(Diagnostic(Location(path, 0, 0), f"cannot open config file {path}"))
        expanded = pre.run_file(path)
    if args.cfg_print:
        sys.stdout.write(expanded.text)
        return 0
    config = parse_expanded(expanded)
    if args.graph or args.graph_format or args.graph_output:
        return _graph(args, config, path)
    if args.syntax_only:
        if args.json:
            _print_diagnostics([], True, sys.stdout)
        else:
            sys.stderr.write("config file syntax ok, exiting...\n")
        return 0

    program = _load(args, config, path)
    if args.check:
        warnings = program.diags.warnings
        if args.strict and warnings:
            raise ConfigError(warnings)
        if args.json:
            _print_diagnostics(warnings, True)
        else:
            _print_diagnostics(warnings, False)
            sys.stderr.write("config file ok, exiting...\n")
        return 0

    from .server.processes import Server
    server = Server(program, foreground=args.no_daemon > 0, pidfile=args.pidfile, workdir=args.workdir)
    return server.run()


def _setup_trace(program, target: str, log) -> None:
    """--trace: routes compiled with trace hooks; events go to stderr or a file, on their
    own lines (not log lines), from every process."""
    from .script.trace import StreamSink
    fd = 2 if target == "-" else os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sink = StreamSink(fd, log)
    program.tracing = True
    program.trace_sink = lambda: sink


def _load(args, config, path: str):
    """The Program of a parsed config; with -c, the linter's warnings join the loader's
    diagnostics (also when the load fails, so that every problem shows at once)."""
    from .log import Log
    from .script.resolve import Program
    log = Log(debug=0, stderr=True)
    program = Program(config, path, log=log, check_only=args.check)
    program.workdir = os.path.abspath(args.workdir) if args.workdir else None
    program.db_create = args.db_create
    _apply_command_line(program, args)
    if getattr(args, "trace", None):
        _setup_trace(program, args.trace, log)
    try:
        program.load()
    except ConfigError as e:
        if args.check:
            raise ConfigError(_merge(config, e.diagnostics, _lint(config, program))) from None
        raise
    if args.check:
        program.diags.items[:] = _merge(config, program.diags.items, _lint(config, program))
    return program


def _lint(config, program) -> list[Diagnostic]:
    from .analysis import lint
    return lint.run(config, program)


def _merge(config, first: list[Diagnostic], more: list[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in config order (files in the order they were read); the loader's stay
    in their order among equals."""
    files = {f.path: i for i, f in enumerate(config.source.files)}
    return sorted(first + more, key=lambda d: (files.get(d.loc.file, len(files)), d.loc.line, d.loc.col))


def _graph(args, config, path: str) -> int:
    from .analysis import graph as G
    program = _load(args, config, path) if args.check else None
    fmt = args.graph_format or (G.format_for_path(args.graph_output) if args.graph_output else None) or "dot"
    try:
        data = G.render(G.build(config, program), fmt)
    except G.GraphError as e:
        sys.stderr.write(f"kamlite: {e}\n")
        return 1
    if args.graph_output and args.graph_output != "-":
        with open(args.graph_output, "wb") as fh:
            fh.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _apply_command_line(program, args) -> None:
    """Command-line options win over the config file, as in kamailio."""
    over = program.param_overrides
    if args.shm is not None:
        over[("core", "shm_mem_size")] = args.shm
    if args.children is not None:
        over[("core", "children")] = args.children
    if args.debug:
        over[("core", "debug")] = args.debug
    if args.stderr:
        over[("core", "log_stderror")] = 1


if __name__ == "__main__":
    sys.exit(main())
