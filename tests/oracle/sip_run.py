"""Run a config as a SIP server — real Kamailio or kamlite — and talk SIP to it over UDP.

    with SipServer("kamailio", cfg_text) as srv:       # @PORT@ in the text: the SIP port
        replies = srv.send(b"OPTIONS sip:x@127.0.0.1 SIP/2.0\\r\\n...")   # datagrams back
        lines = srv.take_lines()                         # the log lines printed since

The server is started with -DD -E; it is ready when its first worker prints the READY
line from event_route[core:worker-one-init] (the config must have that route: use
`ready_route()`).  The UDP socket is bound before the workers fork, so from then on no
datagram is lost.  A second socket (`srv.uas`) can play the next hop for forwarding tests.
"""
from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import kamailio_run as K

READY = "== SIP READY =="
PID_RE = re.compile(r"^ ?(\d+)\((\d+)\) ")


def ready_route() -> str:
    return f'event_route[core:worker-one-init] {{ xlog("L_ALERT", "{READY}\\n"); }}\n'


class SipServer:
    def __init__(self, which: str, cfg_text: str, timeout: float = 15.0, ports: tuple | None = None):
        """ports: (server, client, uas) to use fixed ports, so that two runs (Kamailio's
        and kamlite's) produce byte-identical messages; free ports otherwise."""
        self.which = which
        server_port, client_port, uas_port = ports or (0, 0, 0)
        self.port = server_port or K.free_udp_port()
        self.uas = _udp_socket(uas_port)             # a peer the config can forward to
        self.uas_port = self.uas.getsockname()[1]
        self.client = _udp_socket(client_port)
        self.client_port = self.client.getsockname()[1]
        text = (cfg_text.replace("@PORT@", str(self.port)).replace("@UASPORT@", str(self.uas_port))
                .replace("@MODULES@", K.MODULE_DIR))
        self._tmp = tempfile.TemporaryDirectory(prefix="kamsip")
        wd = self._tmp.name
        path = os.path.join(wd, "server.cfg")
        with open(path, "w", encoding="latin-1") as fh:
            fh.write(text)
        cmd = ([K.KAMAILIO, "-f", path, "-DD", "-E", "-w", wd] if which == "kamailio"
               else [sys.executable, "-m", "kamlite", "-f", path, "-DD", "-E", "-w", wd])
        self.proc = subprocess.Popen(cmd, cwd=wd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._taken = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self.wait_for(READY, timeout):
            self.stop()
            raise RuntimeError(f"{which} did not start:\n" + "\n".join(self._lines[-30:]))
        self._taken = len(self._lines)

    def _read(self):
        buf = b""
        fd = self.proc.stderr.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            *complete, buf = buf.split(b"\n")
            if complete:
                with self._cond:
                    self._lines.extend(c.decode("latin-1") for c in complete)
                    self._cond.notify_all()

    def wait_for(self, text: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if any(text in l for l in self._lines[self._taken:]):
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return False
                self._cond.wait(left)

    def send(self, data: bytes, wait: float = 0.3, expect: int | None = None, sock=None,
             to: tuple | None = None) -> list[bytes]:
        """Send one datagram; return what comes back to the client socket within `wait`
        seconds (as soon as `expect` datagrams arrived, when given)."""
        sock = sock or self.client
        sock.sendto(data, to or ("127.0.0.1", self.port))
        return self.receive(sock, wait, expect)

    @staticmethod
    def receive(sock, wait: float = 0.3, expect: int | None = None) -> list[bytes]:
        out = []
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (expect is not None and len(out) >= expect):
                return out
            r, _, _ = select.select([sock], [], [], left)
            if r:
                out.append(sock.recv(70000))

    def take_lines(self, settle: float = 0.1) -> list[str]:
        """Log lines printed since the last call (after a short settle time), pids as PID."""
        time.sleep(settle)
        with self._cond:
            lines = self._lines[self._taken:]
            self._taken = len(self._lines)
        return [PID_RE.sub(lambda m: f"{m.group(1)}(PID) ", l) for l in lines]

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.uas.close()
        self.client.close()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _udp_socket(port: int = 0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    return s


def free_ports(n: int = 3) -> tuple:
    """n distinct free UDP ports on loopback."""
    socks = [_udp_socket() for _ in range(n)]
    ports = tuple(s.getsockname()[1] for s in socks)
    for s in socks:
        s.close()
    return ports


def request(method: str = "OPTIONS", ruri: str = "sip:alice@127.0.0.1", port: int = 5060,
            headers: str = "", body: str = "", branch: str = "z9hG4bK-1", callid: str = "c1@test",
            via_host: str = "127.0.0.1", to_tag: str = "") -> bytes:
    """A well-formed request; `port` is the client's port for its Via."""
    tt = f";tag={to_tag}" if to_tag else ""
    text = (f"{method} {ruri} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {via_host}:{port};branch={branch}\r\n"
            f"From: <sip:bob@127.0.0.1>;tag=ft1\r\n"
            f"To: <{ruri}>{tt}\r\n"
            f"Call-ID: {callid}\r\n"
            f"CSeq: 1 {method}\r\n"
            f"Max-Forwards: 70\r\n"
            f"{headers}"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}")
    return text.encode("latin-1")
