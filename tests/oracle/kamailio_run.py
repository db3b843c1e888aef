"""Run route bodies under the real Kamailio and collect what its first worker logs.

The body runs in ``event_route[core:worker-one-init]`` of a generated config.  When it is
done, the same process serves SIP: we send it UDP datagrams until the request_route logs
the end marker, so a run takes a few milliseconds and never waits on a fixed timer.
"""
from __future__ import annotations

import os
import re
import select
import signal
import shutil
import socket
import subprocess
import tempfile
import time

KAMAILIO = shutil.which("kamailio") or (os.path.exists("/usr/sbin/kamailio") and "/usr/sbin/kamailio") or None
MODULE_DIR = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
END_MARK = "== ORACLE END =="
CFG_NAME = "oracle.cfg"
TMPDIR_RE = re.compile(r"/tmp/kamoracle\w+/")

TEMPLATE = """#!KAMAILIO
debug={debug}
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:{port}
loadpath "{modules_dir}"
{loads}
{top}
request_route {{ xlog("L_ALERT", "{end}\\n"); exit; }}
event_route[core:worker-one-init] {{
{body}
}}
{routes}
"""

DEFAULT_MODULES = ("pv", "xlog")


def build_cfg(body: str, top: str = "", routes: str = "", modules=DEFAULT_MODULES,
              debug: int = 2, port: int = 5060, modules_dir: str = MODULE_DIR) -> str:
    loads = "\n".join(f'loadmodule "{m}.so"' for m in modules)
    return TEMPLATE.format(debug=debug, port=port, loads=loads, top=top, body=body,
                           routes=routes, end=END_MARK, modules_dir=modules_dir)


def free_udp_port() -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def normalize(lines: list[str], pid: str | None) -> list[str]:
    """Replace the worker's pid by PID so outputs of two runs compare equal."""
    if not pid:
        return lines
    rx = re.compile(r"\b%s\b" % re.escape(pid))
    return [TMPDIR_RE.sub("", rx.sub("PID", line)) for line in lines]


def worker_lines(stderr: str) -> tuple[list[str], str | None]:
    """Lines written by process index 1 (the first worker), continuation lines included."""
    out: list[str] = []
    pid = None
    current_rank = None
    for line in stderr.split("\n"):
        m = re.match(r"^ ?(\d+)\((\d+)\) ", line)
        if m:
            current_rank = int(m.group(1))
            if current_rank == 1 and pid is None:
                pid = m.group(2)
        if END_MARK in line:
            # a message without trailing newline may sit in front of the marker
            head = line[: line.index(END_MARK)]
            head = re.sub(r" ?1\(\d+\) ALERT: <script>: $", "", head)
            if head and current_rank == 1:
                out.append(head)
            break
        if current_rank == 1 and not re.search(r"sig_usr\(\): signal \d+ received", line):
            out.append(line)
    while out and out[-1] == "":
        out.pop()
    return normalize(out, pid), pid


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_cfg_text(cfg_text: str, port: int, timeout: float = 10.0) -> dict:
    """Run a complete config; returns {'ok': bool, 'lines': [...], 'stderr': str, 'rc': int}."""
    with tempfile.TemporaryDirectory(prefix="kamoracle") as wd:
        path = os.path.join(wd, CFG_NAME)
        with open(path, "w", encoding="latin-1") as fh:
            fh.write(cfg_text)
        proc = subprocess.Popen([KAMAILIO, "-f", CFG_NAME, "-DD", "-E", "-w", wd],
                                cwd=wd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        ping = (f"OPTIONS sip:oracle@127.0.0.1:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKoracle\r\n"
                "From: <sip:o@127.0.0.1>;tag=1\r\nTo: <sip:o@127.0.0.1>\r\n"
                "Call-ID: oracle\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
        buf = b""
        deadline = time.monotonic() + timeout
        finished = False
        next_ping = 0.0
        fd = proc.stderr.fileno()
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break  # the main process is gone: refused config, or 'drop' in the event route
            now = time.monotonic()
            if now >= next_ping:
                try:
                    sock.sendto(ping, ("127.0.0.1", port))
                except OSError:
                    pass
                next_ping = now + 0.05
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break  # kamailio exited (startup failure)
                buf += chunk
                if END_MARK.encode() in buf:
                    finished = True
                    break
        sock.close()
        # stop the whole process group: after a failed start or a 'drop' the main process
        # may be gone while its children still hold stderr open
        _signal_group(proc.pid, signal.SIGTERM)
        end = time.monotonic() + 3
        while time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
        _signal_group(proc.pid, signal.SIGKILL)
        proc.stderr.close()
        proc.wait()
        text = buf.decode("latin-1")
        lines, _pid = worker_lines(text)
        return {"ok": finished, "lines": lines, "stderr": text, "rc": proc.returncode}


def run_body(body: str, top: str = "", routes: str = "", modules=DEFAULT_MODULES,
             debug: int = 2, timeout: float = 10.0) -> dict:
    for _attempt in range(3):
        port = free_udp_port()
        cfg = build_cfg(body, top=top, routes=routes, modules=modules, debug=debug, port=port)
        res = run_cfg_text(cfg, port, timeout=timeout)
        # the free port was taken by someone else before Kamailio bound it: try another
        if "Address already in use" not in res["stderr"]:
            return res
    return res


if __name__ == "__main__":
    import sys
    res = run_body(open(sys.argv[1]).read())
    print("\n".join(res["lines"]))
    if not res["ok"]:
        print("--- kamailio did not finish; stderr:\n" + res["stderr"])
