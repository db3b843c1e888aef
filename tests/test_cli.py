"""The kamlite command: flags like kamailio's, errors with file:line:col, no tracebacks."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.oracle.kamailio_run import free_udp_port

HELLO = """#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:@PORT@
loadmodule "pv.so"
loadmodule "xlog.so"
request_route { exit; }
event_route[core:worker-one-init] {
#!ifdef WITH_GREETING
  xlog("L_INFO", "greeting GREETING\\n");
#!endif
  xlog("L_INFO", "hello from $pp\\n");
}
"""


def run_until(cmd, marker, timeout=20):
    """Start a server, read its stderr until `marker`, SIGTERM it, read the rest."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    out = ""
    deadline = time.time() + timeout
    while marker not in out and time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        out += line
    proc.send_signal(signal.SIGTERM)
    try:
        out += proc.stderr.read()       # until every process has closed stderr
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out


def kamlite(*args, cwd=None, timeout=30):
    return subprocess.run([sys.executable, "-m", "kamlite", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def hello(tmp_path):
    p = tmp_path / "hello.cfg"
    p.write_text(HELLO.replace("@PORT@", str(free_udp_port())))
    return p


def test_check_ok(hello):
    r = kamlite("-c", "-f", str(hello))
    assert r.returncode == 0
    assert "config file ok, exiting..." in r.stderr


def test_check_reports_every_error_with_place(tmp_path):
    p = tmp_path / "bad.cfg"
    p.write_text('loadmodule "pv"\nloadmodule "nosuchmod"\nroute[A] {\n  nosuchfunc(1);\n'
                 '  $var(x) = $nosuchpv;\n  route(NOPE);\n}\n')
    r = kamlite("-c", "-f", str(p))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert any(l.startswith(f"{p}:2:1: error: module nosuchmod") for l in lines)
    assert any(l.startswith(f"{p}:4:3: error: unknown function nosuchfunc()") for l in lines)
    assert any(l.startswith(f"{p}:5:13: error: unknown pseudo-variable") for l in lines)
    assert any(l.startswith(f"{p}:6:3: error: route \"NOPE\" not found") for l in lines)
    assert lines[-1] == "ERROR: bad config file (4 errors)"


def test_check_json(tmp_path):
    p = tmp_path / "bad.cfg"
    p.write_text('route { xlog("a"); }\n')
    r = kamlite("-c", "--json", "-f", str(p))
    assert r.returncode == 1
    diags = json.loads(r.stdout)                  # JSON goes to stdout (stderr carries log lines)
    assert diags[0]["line"] == 1 and diags[0]["severity"] == "error"


def test_syntax_only_needs_no_modules(tmp_path):
    p = tmp_path / "m.cfg"
    p.write_text('loadmodule "tm.so"\nroute { t_relay(); }\n')
    assert kamlite("--syntax-only", "-f", str(p)).returncode == 0
    r = kamlite("-c", "-f", str(p))
    assert r.returncode == 1 and "module tm is not available in kamlite" in r.stderr


def test_syntax_error_place(tmp_path):
    p = tmp_path / "s.cfg"
    p.write_text('route {\n  $var(x) += 1;\n}\n')
    r = kamlite("--syntax-only", "-f", str(p))
    assert r.returncode == 1
    assert r.stderr.startswith(f"{p}:2:11: error: syntax error")


def test_relative_path_is_reported_absolute(hello):
    r = kamlite("-c", "-f", "nope.cfg", cwd=str(hello.parent))
    assert r.returncode == 1
    assert os.path.join(str(hello.parent), "nope.cfg") in r.stderr


def test_defines_from_command_line(hello):
    r = kamlite("--cfg-print", "-f", str(hello), "-A", "WITH_GREETING", "-A", "GREETING=hi")
    assert r.returncode == 0
    assert 'xlog("L_INFO", "greeting GREETING\\n");' in r.stdout   # not inside strings


def test_version():
    r = kamlite("-V")
    assert r.returncode == 0 and "kamlite" in r.stdout


def test_run_foreground_and_stop_on_sigterm(hello):
    cmd = [sys.executable, "-m", "kamlite", "-f", str(hello), "-DD", "-E"]
    code, out = run_until(cmd, "hello from")
    assert code == 0
    lines = out.splitlines()
    pid = int(lines[0].split("(")[1].split(")")[0])
    assert f" 0({pid}) INFO: <core> [main.c:3055]: main(): processes (at least): 6 - shm size: 67108864 - pkg size: 8388608" in lines
    hello_line = [l for l in lines if "hello from" in l][0]
    rank, child_pid = hello_line.split(")")[0].split("(")
    assert rank.strip() == "1" and hello_line.endswith(f"INFO: <script>: hello from {child_pid}")
    assert f" 0({pid}) NOTICE: <core> [main.c:733]: handle_sigs(): Thank you for flying kamailio!!!" in lines
    assert sum("sig_usr(): signal 15 received" in l for l in lines) == 5


def test_debug_flag_overrides_config(tmp_path):
    p = tmp_path / "d.cfg"
    p.write_text(f'debug=1\nlisten=udp:127.0.0.1:{free_udp_port()}\nloadmodule "xlog"\nloadmodule "pv"\n'
                 'request_route { exit; }\n'
                 'event_route[core:worker-one-init] { xlog("L_DBG", "dbg shown\\n"); }\n')
    code, out = run_until([sys.executable, "-m", "kamlite", "-f", str(p), "-DD", "-E", "-ddd"], "dbg shown")
    assert "DEBUG: <script>: dbg shown" in out
