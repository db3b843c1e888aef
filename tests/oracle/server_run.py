"""Run a whole config as a server — real Kamailio or kamlite — and collect its script lines.

Used for what the one-body oracle cannot show: timer processes, several processes sharing
queues, process ranks.  The config is started with -DD -E, stderr is read until a marker
line appears (or a timeout), then the main process gets SIGTERM.  Returned: the
'<script>' lines with pids replaced by PID, in the order they were printed.
"""
from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

from . import kamailio_run as K

PID_RE = re.compile(r"^ ?(\d+)\((\d+)\) ")


def _cmd(which: str, path: str, wd: str) -> list[str]:
    if which == "kamailio":
        return [K.KAMAILIO, "-f", path, "-DD", "-E", "-w", wd]
    return [sys.executable, "-m", "kamlite", "-f", path, "-DD", "-E", "-w", wd]


def run(which: str, cfg_text: str, marker: str, timeout: float = 15.0, settle: float = 0.5) -> dict:
    port = K.free_udp_port()
    text = cfg_text.replace("@PORT@", str(port)).replace("@MODULES@", K.MODULE_DIR)
    with tempfile.TemporaryDirectory(prefix="kamserver") as wd:
        path = os.path.join(wd, "server.cfg")
        with open(path, "w", encoding="latin-1") as fh:
            fh.write(text)
        proc = subprocess.Popen(_cmd(which, path, wd), cwd=wd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        buf = b""
        fd = proc.stderr.fileno()
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            if seen is not None and time.monotonic() >= seen + settle:
                break
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                if seen is None and marker.encode() in buf:
                    seen = time.monotonic()
        try:
            os.kill(proc.pid, signal.SIGTERM)       # the main process only: the normal shutdown
        except ProcessLookupError:
            pass
        end = time.monotonic() + 70            # Kamailio waits up to 60 s for its children
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    out = buf.decode("latin-1")
    lines = script_lines(out)
    upto = next((i for i, l in enumerate(lines) if marker in l), len(lines) - 1)
    return {"found": marker in out, "stderr": out, "script": lines[:upto + 1], "rc": proc.returncode}


def script_lines(out: str) -> list[str]:
    """The '<script>' lines; every process' pid (wherever it appears) becomes PID."""
    pids = {m.group(2) for m in (PID_RE.match(l) for l in out.split("\n")) if m}
    rx = re.compile(r"\b(%s)\b" % "|".join(sorted(pids))) if pids else None
    lines = []
    for line in out.split("\n"):
        if "<script>" in line:
            lines.append(rx.sub("PID", line) if rx else line)
    return lines
