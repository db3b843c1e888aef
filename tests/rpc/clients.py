"""Small raw clients for the RPC transports (what kamcmd and kamcli do, byte by byte)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading


def stream_exchange(address, data: bytes, family=socket.AF_UNIX, wait: float = 1.0) -> bytes:
    """Send data on a new stream connection; everything received until the server closes
    or stays silent for `wait` seconds (b'<EOF>' marks a close, b'<timeout>' silence)."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect(address)
    s.settimeout(wait)
    s.sendall(data)
    out = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                out += b"<EOF>"
                break
            out += c
    except socket.timeout:
        out += b"<timeout>"
    s.close()
    return out


def udp_exchange(port: int, data: bytes, wait: float = 1.0) -> bytes:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(wait)
    s.send(data)
    try:
        out = s.recv(65536)
    except socket.timeout:
        out = b"<timeout>"
    s.close()
    return out


def dgram_json(path: str, doc: bytes, wait: float = 1.5, me: str | None = None) -> bytes | None:
    """One JSON-RPC datagram from a bound unix socket; the reply, or None."""
    me = me or f"{path}.client{os.getpid()}"
    if os.path.exists(me):
        os.unlink(me)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(me)
    s.settimeout(wait)
    try:
        s.sendto(doc, path)
        return s.recv(200000)
    except socket.timeout:
        return None
    finally:
        s.close()
        os.unlink(me)


def fifo_json(fifo: str, reply_dir: str, doc: bytes, reply_name: str = "jreply", wait: float = 1.5) -> bytes | None:
    """Write a document to the server FIFO and read the reply FIFO; None if no reply came."""
    rp = os.path.join(reply_dir, reply_name)
    if os.path.lexists(rp):
        os.unlink(rp)
    os.mkfifo(rp, 0o666)
    out: list[bytes] = []

    def reader():
        fd = os.open(rp, os.O_RDONLY)
        data = b""
        while True:
            c = os.read(fd, 65536)
            if not c:
                break
            data += c
        os.close(fd)
        out.append(data)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    with open(fifo, "wb") as w:
        w.write(doc)
    t.join(wait)
    if t.is_alive():                 # nobody wrote: unblock the reader ourselves
        fd = os.open(rp, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        t.join(2)
        out.clear()
    os.unlink(rp)
    return out[0] if out else None


def run(cmd: list[str], timeout: float = 20) -> tuple[int, str, str]:
    r = subprocess.run(cmd, capture_output=True, timeout=timeout)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


KAMLITECMD = [sys.executable, "-m", "kamlite.rpccmd"]
