"""kamlite: Kamailio's configuration language, run in Python.

    import kamlite
    program = kamlite.load("kamailio.cfg", defines={"WITH_MQ": None})
    ctx = program.run_route("NAME")
"""
from __future__ import annotations

from .errors import ConfigError, Diagnostic, Location

__version__ = "0.1.0"
KAMAILIO_VERSION = "5.6.3"


def load(path: str | None = None, text: str | None = None, defines: dict | None = None,
         params: dict | None = None, log=None, cwd: str | None = None, init: bool = True,
         workdir: str | None = None, db_create: bool = False, trace: bool = False):
    """Load a config (from a file, or from text) into a Program ready to run.

    defines: {"WITH_X": None, "PORT": "5080"} as with kamailio -A.
    params:  {(module, param): value} to override modparams, {("core", "debug"): 3} for globals.
    trace:   compile the routes with step-trace hooks: each run's ctx.trace lists what ran.
    Raises ConfigError with every problem found, each with file:line:col.
    """
    from .cfg.parser import parse_expanded
    from .cfg.preprocess import Preprocessor
    from .script.resolve import Program

    pre = Preprocessor(defines, cwd=cwd)
    if text is not None:
        expanded = pre.run_text(text, path or "<config>")
    else:
        if path is None:
            raise ValueError("load() needs a path or a text")
        expanded = pre.run_file(path)
    config = parse_expanded(expanded)
    program = Program(config, path or "<config>", log=log, param_overrides=params)
    program.workdir = workdir
    program.db_create = db_create
    program.tracing = trace
    program.load()
    if init:
        program.init_modules()
    return program


def __getattr__(name: str):
    """kamlite.Harness: the config-test harness (kamlite.testing), imported on first use."""
    if name == "Harness":
        from .testing import Harness
        return Harness
    raise AttributeError(f"module 'kamlite' has no attribute {name!r}")


__all__ = ["load", "Harness", "ConfigError", "Diagnostic", "Location", "__version__"]
