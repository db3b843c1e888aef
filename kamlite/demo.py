"""The demo behind scripts/demo: examples/demo.cfg as a real SIP server on loopback.

1. kamlite -c checks the config;
2. the server starts (2 SIP workers, a timer process, SQLite for the queue);
3. the demo sends it a few SIP requests over UDP and prints the replies;
4. the timer process works through the queue, one item a second;
5. SIGTERM: what is still queued is saved in SQLite — the demo shows the rows;
6. the server starts again, loads the rows back, and the worker finishes the queue.

Everything runs in a temporary directory; nothing is left behind.
"""
from __future__ import annotations

import os
import random
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
CFG = os.path.join(EXAMPLES, "demo.cfg")
KAMLITE = [sys.executable, "-m", "kamlite"]


def say(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def free_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sip_request(method: str, user: str, port: int, local_port: int, n: int) -> bytes:
    callid = f"demo-{n}-{random.getrandbits(24):06x}"
    return (f"{method} sip:queue@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};rport;branch=z9hG4bK-demo-{n}\r\n"
            f"From: <sip:{user}@127.0.0.1>;tag={n}\r\n"
            f"To: <sip:queue@127.0.0.1:{port}>\r\n"
            f"Call-ID: {callid}\r\n"
            f"CSeq: 1 {method}\r\n"
            f"Max-Forwards: 70\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


class Server:
    def __init__(self, workdir: str, port: int):
        self.proc = subprocess.Popen(
            KAMLITE + ["-f", CFG, "-DD", "-E", "-w", workdir, "--db-create",
                       "-A", f"DEMO_PORT={port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.buf = b""

    def pump(self, seconds: float, until: str | None = None) -> None:
        """Print the server's log for a while (or until a line containing `until`)."""
        deadline = time.monotonic() + seconds
        fd = self.proc.stderr.fileno()
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            self.buf += chunk
            *lines, self.buf = self.buf.split(b"\n")
            for line in lines:
                text = line.decode("latin-1")
                print("   " + text, flush=True)
                if until and until in text:
                    return

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        self.pump(10)
        return self.proc.wait(timeout=30)


def main() -> int:
    say(f"kamlite -c -f {CFG}    (parse, resolve, compile; no process started)")
    r = subprocess.run(KAMLITE + ["-c", "-f", CFG])
    if r.returncode != 0:
        return r.returncode
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kamlite-demo") as wd:
        say(f"kamlite -f examples/demo.cfg -DD -E -A DEMO_PORT={port}    (a SIP server on 127.0.0.1:{port})")
        srv = Server(wd, port)
        srv.pump(15, until="rtimer")
        srv.pump(0.5)
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.bind(("127.0.0.1", 0))
        client.settimeout(3)
        local = client.getsockname()[1]
        say("sending 6 SIP requests over UDP")
        for n, (method, user) in enumerate([("MESSAGE", "alice"), ("OPTIONS", "bob"), ("INVITE", "carol"),
                                             ("MESSAGE", "dave"), ("SUBSCRIBE", "erin"), ("MESSAGE", "frank")], 1):
            client.sendto(sip_request(method, user, port, local, n), ("127.0.0.1", port))
            try:
                reply = client.recv(65535).decode("latin-1")
                print(f"   {method} from {user} -> {reply.splitlines()[0]}", flush=True)
            except socket.timeout:
                print(f"   {method} from {user} -> no reply", flush=True)
            srv.pump(0.05)
        say("the timer process takes one item a second")
        srv.pump(2.5)
        say("SIGTERM: the items still queued are saved in SQLite")
        code = srv.stop()
        db = os.path.join(wd, "kamlite-demo.db")
        rows = sqlite3.connect(db).execute("select key, val from calls order by id").fetchall()
        print(f"   server exited with status {code}; {len(rows)} rows in table 'calls':", flush=True)
        for key, val in rows:
            print(f"     {key}  {val}", flush=True)
        say("starting again: the queue is loaded back and the worker finishes it")
        srv = Server(wd, port)
        srv.pump(15, until="rtimer")
        srv.pump(len(rows) + 1.5)
        code = srv.stop()
        left = sqlite3.connect(db).execute("select count(*) from calls").fetchone()[0]
        say(f"kamlite exited with status {code}; {left} rows left in table 'calls'")
        client.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
