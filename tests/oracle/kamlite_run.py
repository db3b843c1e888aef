"""Run an oracle case under kamlite, in-process, the way kamailio_run runs it for real.

The same generated config is loaded; event_route[core:worker-one-init] runs as process
index 1, and the lines it logs are normalized like the real ones.
"""
from __future__ import annotations

import os

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log

from . import kamailio_run as K


def run(case) -> tuple[str, list[str], str]:
    """(outcome, lines, detail): outcome is expect / expect-exit / expect-refused."""
    modules = K.DEFAULT_MODULES + tuple(m for m in case.modules if m not in K.DEFAULT_MODULES)
    text = K.build_cfg(case.body, top=case.top, routes=case.routes, modules=modules,
                       debug=case.debug, port=5060)
    log = Log(debug=case.debug)
    captured = log.capture()
    try:
        program = kamlite.load(text=text, path=K.CFG_NAME, log=log)
    except ConfigError as e:
        return "expect-refused", [], str(e)
    del captured[:]
    pid = os.getpid()
    log.set_process(1, pid)
    ok = program.run_worker_one_init()
    lines = "".join(captured).split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    lines = K.normalize(lines, str(pid))
    return ("expect" if ok else "expect-exit"), lines, ""
