"""Start a config as a server under real Kamailio or kamlite, with RPC sockets, for tests.

Like tests/oracle/server_run.py (-DD -E, stderr read until a marker line), but the
server keeps running while a test talks to it; stop() sends SIGTERM to the main process
and returns everything it logged.  Each server gets its own directory for its sockets
(@DIR@) and its own ports (@PORT@ SIP, @UDP@ and @TCP@ for ctl, @JUDP@ for jsonrpcs);
normalize() turns those, pids and times into fixed words so two servers' outputs
compare equal.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from ..oracle import kamailio_run as K

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port(kind=socket.SOCK_DGRAM) -> int:
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, which: str, cfg: str, marker: str = "ready", wait_for: tuple = (),
                 timeout: float = 20.0):
        self.which = which
        self.dir = tempfile.mkdtemp(prefix=f"rpc{which[:4]}")
        self.ports = {"PORT": free_port(), "UDP": free_port(), "TCP": free_port(socket.SOCK_STREAM),
                      "JUDP": free_port()}
        text = cfg.replace("@DIR@", self.dir).replace("@MODULES@", K.MODULE_DIR)
        for k, v in self.ports.items():
            text = text.replace(f"@{k}@", str(v))
        self.cfg_path = os.path.join(self.dir, "server.cfg")
        with open(self.cfg_path, "w", encoding="latin-1") as fh:
            fh.write(text)
        if which == "kamailio":
            cmd = [K.KAMAILIO, "-f", self.cfg_path, "-DD", "-E", "-w", self.dir]
        else:
            cmd = [sys.executable, "-m", "kamlite", "-f", self.cfg_path, "-DD", "-E", "-w", self.dir]
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True, env=env)
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        paths = [self.path(p) for p in wait_for]
        while time.monotonic() < deadline:
            if marker in self.stderr and all(os.path.exists(p) for p in paths):
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.started = marker in self.stderr and self.proc.poll() is None

    def _read(self) -> None:
        fd = self.proc.stderr.fileno()
        while True:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                with self._lock:
                    self._buf += chunk

    @property
    def stderr(self) -> str:
        with self._lock:
            return self._buf.decode("latin-1")

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, keep_dir: bool = False) -> str:
        """SIGTERM to main, wait; everything logged.  The directory goes unless keep_dir."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=70)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._reader.join(timeout=2)
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.stderr

    def normalize(self, text: str) -> str:
        """This server's directory, ports, pids and clock times as fixed words."""
        text = text.replace(self.dir, "DIR")
        for k, v in self.ports.items():
            text = re.sub(rf"\b{v}\b", k, text)
        text = re.sub(r'("PID"|\bPID|\bpid)(:\s*|:\\t)\d+', r"\1\2N", text)
        text = re.sub(r"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}", "DATE", text)
        return text
