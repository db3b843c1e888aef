"""The process model: forked workers, shutdown on SIGTERM, a dying child, daemon mode."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.oracle.kamailio_run import free_udp_port

CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:@PORT@
loadmodule "pv.so"
loadmodule "xlog.so"
request_route { exit; }
event_route[core:worker-one-init] { xlog("L_INFO", "worker one up\\n"); }
"""


def start(tmp_path, *extra):
    cfg = tmp_path / "k.cfg"
    cfg.write_text(CFG.replace("@PORT@", str(free_udp_port())))
    return subprocess.Popen([sys.executable, "-m", "kamlite", "-f", str(cfg), *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def read_until(proc, marker, timeout=20):
    out = ""
    deadline = time.time() + timeout
    while marker not in out and time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        out += line
    return out


def test_a_child_that_dies_stops_the_server(tmp_path):
    proc = start(tmp_path, "-DD", "-E")
    out = read_until(proc, "worker one up")
    worker = int(out.split("worker one up")[0].rsplit("(", 1)[1].split(")")[0])
    os.kill(worker, signal.SIGKILL)
    out += proc.stderr.read()
    assert proc.wait(timeout=20) == 1
    assert f"handle_sigs(): child process {worker} exited by a signal 9" in out
    assert "handle_sigs(): terminating due to SIGCHLD" in out
    assert out.count("sig_usr(): signal 15 received") == 4     # the other children


def test_daemon_mode_writes_a_pid_file(tmp_path):
    pidfile = tmp_path / "k.pid"
    cfg = tmp_path / "k.cfg"
    cfg.write_text(CFG.replace("log_stderror=yes", "log_stderror=no").replace("@PORT@", str(free_udp_port())))
    r = subprocess.run([sys.executable, "-m", "kamlite", "-f", str(cfg), "-P", str(pidfile)], timeout=20)
    assert r.returncode == 0
    deadline = time.time() + 10
    while not pidfile.exists() and time.time() < deadline:
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    os.kill(pid, 0)                              # the daemon runs
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the daemon did not stop on SIGTERM")
    assert not pidfile.exists()
