"""The same datagrams through the in-process Harness and through a real server (kamlite
or Kamailio, over UDP), so that tests can check that the harness shows what a server does.

    with Pair("kamlite", cfg_text) as pair:                 # cfg_text: listen on @PORT@
        step = pair.send(pair.h.request("OPTIONS", "sip:a@127.0.0.1"))
        assert step.server_replies == step.harness_replies
        assert step.server_logs == step.harness_logs

Both run the same text with the same ports: the server's UDP port is the harness'
listen port and the harness' source address is the server's client socket, so replies
are byte for byte comparable (sl's to-tag hashes the listen address).
"""
from __future__ import annotations

import os
import re

from kamlite.testing import Harness
from kamlite.testing.harness import SCRIPT_PREFIX
from tests.oracle import kamailio_run as K
from tests.oracle.sip_run import READY, SipServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
_LISTEN = re.compile(r"^listen=udp:127\.0\.0\.1:\d+\s*$", re.M)
_READY_ROUTE = "event_route[core:worker-one-init] {"
_LINE = re.compile(r"^ ?(\d+)\((\d+|PID)\) ")


def server_text(cfg_text: str, which: str) -> str:
    """A config made runnable as a test server: listening on @PORT@, no TCP, Kamailio's
    module path, and the READY line SipServer waits for (added to the config's own
    event_route[core:worker-one-init], or as that route)."""
    text = _LISTEN.sub("listen=udp:127.0.0.1:@PORT@\ndisable_tcp=yes", cfg_text, count=1)
    if "@PORT@" not in text:
        raise ValueError("the config needs a line listen=udp:127.0.0.1:<port>")
    text = text.replace('loadmodule "', 'loadpath "@MODULES@"\nloadmodule "', 1)
    ready = f'xlog("L_ALERT", "{READY}\\n");'
    if _READY_ROUTE in text:
        text = text.replace(_READY_ROUTE, _READY_ROUTE + "\n\t" + ready, 1)
    else:
        text += f"\n{_READY_ROUTE}\n\t{ready}\n}}\n"
    return text


def example_text(name: str) -> str:
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as fh:
        return fh.read()


def script_messages(lines) -> list[str]:
    out = []
    for line in lines:
        i = line.find(SCRIPT_PREFIX)
        if i >= 0:
            text = line[i + len(SCRIPT_PREFIX):].rstrip("\n")
            if text != "== SIP READY ==":
                out.append(text)
    return out


def normalized(lines, rank: bool = True) -> list[str]:
    """Log lines as 'rank(PID) rest' (pid replaced; rank=False: the rank too, as 'N')."""
    out = []
    for line in lines:
        line = line.rstrip("\n")
        m = _LINE.match(line)
        if m:
            line = f"{m.group(1) if rank else 'N'}(PID) {line[m.end():]}"
        out.append(line)
    return out


class Step:
    """One datagram's outcome on both sides."""

    def __init__(self, result, to_client: list[bytes], to_uas: list[bytes], lines: list[str]):
        self.result = result                       # the harness Result
        self.server_to_client = [d.decode("latin-1") for d in to_client]
        self.server_to_uas = [d.decode("latin-1") for d in to_uas]
        self.server_lines = lines
        self.harness_to_client = [s.text for s in result.sent if s.port == result._client_port]
        self.harness_to_uas = [s.text for s in result.sent if s.port == result._uas_port]

    @property
    def server_logs(self) -> list[str]:
        return script_messages(self.server_lines)

    @property
    def harness_logs(self) -> list[str]:
        return self.result.logs


class Pair:
    def __init__(self, which: str, cfg_text: str, harness_kw: dict | None = None):
        self.which = which
        text = server_text(cfg_text, which)
        self.srv = SipServer(which, text)
        try:
            htext = (text.replace("@PORT@", str(self.srv.port)).replace("@UASPORT@", str(self.srv.uas_port))
                     .replace("@MODULES@", K.MODULE_DIR))
            self.text = htext
            self.h = Harness(text=htext, source=("127.0.0.1", self.srv.client_port), **(harness_kw or {}))
        except BaseException:
            self.srv.stop()
            raise
        self.client = ("127.0.0.1", self.srv.client_port)
        self.uas = ("127.0.0.1", self.srv.uas_port)
        # what the server printed at startup, after the READY line (the harness: h.startup)
        logs = [l for l in self.h.startup.logs if l != READY]
        srv = self.srv
        if logs:
            srv._taken = 0
            srv.wait_for(logs[-1], 5.0)
        srv.take_lines(settle=0.05)
        with srv._cond:                  # SipServer skipped what came with the READY line
            lines = list(srv._lines)
        i = next((i for i, l in enumerate(lines) if READY in l), -1)
        self.startup_lines = lines[i + 1:]        # as printed (compare with normalized())

    @property
    def harness_startup_lines(self) -> list[str]:
        """The harness' startup lines after the READY line (what startup_lines holds)."""
        lines = self.h.startup.lines
        i = next((i for i, l in enumerate(lines) if READY in l), -1)
        return lines[i + 1:]

    def send(self, data, source: str = "client", wait: float = 3.0) -> Step:
        """Send one datagram to both (from the client socket, or from the uas socket)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        src = self.client if source == "client" else self.uas
        r = self.h.send(data, source=src)
        r._client_port, r._uas_port = self.client[1], self.uas[1]
        n_client = sum(1 for s in r.sent if s.port == self.client[1])
        n_uas = sum(1 for s in r.sent if s.port == self.uas[1])
        sock = self.srv.client if source == "client" else self.srv.uas
        sock.sendto(data, ("127.0.0.1", self.srv.port))
        to_client = self.srv.receive(self.srv.client, wait if n_client else 0.2, n_client or None)
        to_uas = self.srv.receive(self.srv.uas, wait if n_uas else 0.2, n_uas or None)
        logs = r.logs
        if logs:
            self.srv.wait_for(logs[-1], wait)
        lines = self.srv.take_lines(settle=0.05)
        return Step(r, to_client, to_uas, lines)

    def close(self):
        try:
            self.h.close()
        finally:
            self.srv.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
