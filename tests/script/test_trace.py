"""Step traces: kamlite.load(trace=True) records what each run did; kamlite --trace prints
it on its own channel; without tracing the generated code has no trace hooks at all."""
import socket
import subprocess
import sys
import time

import kamlite
from kamlite.log import Log
from kamlite.sip.receive import sip_core
from tests.oracle.kamailio_run import free_udp_port
from tests.oracle.sip_run import ready_route, request

CFG = """listen=udp:127.0.0.1:5070
loadmodule "pv"
loadmodule "xlog"
loadmodule "sl"
request_route {
  $var(x) = $rU + "!";
  route(CHECK);
  if (method == "OPTIONS") {
    sl_send_reply("200", "OK $var(x)");
    exit;
  }
  drop;
}
route[CHECK] {
  xlog("L_INFO", "checking $ru\\n");
  if ($rU == "nobody") return -1;
  return 2;
}
"""


def run(trace=True):
    log = Log()
    log.capture()
    program = kamlite.load(text=CFG, log=log, trace=trace)
    core = sip_core(program)
    core.receive(request(port=5090), ("127.0.0.1", 5090), core.sockets.first())
    return program, core


def test_trace_lists_each_step_with_place_arguments_and_result():
    _p, core = run()
    lines = [str(ev) for ev in core.last_context.trace]
    assert lines == [
        "<config>:5 -> route request",
        '<config>:6   $var(x) = $rU + "!" := \'alice!\'',
        "<config>:14   -> route CHECK",
        "<config>:15     xlog(\"L_INFO\", \"checking $ru\\n\") [2, 'checking sip:alice@127.0.0.1\\n'] -> 1",
        '<config>:16     if ($rU == "nobody") -> false',
        "<config>:17     return 2 (2)",
        "<config>:14   <- route CHECK = 2",
        "<config>:7   route(CHECK) [] -> 2",
        '<config>:8   if (method == "OPTIONS") -> true',
        "<config>:9   sl_send_reply(\"200\", \"OK $var(x)\") [200, 'OK alice!'] -> 1",
        "<config>:10   exit",
    ]
    events = core.last_context.trace
    assert [e.route for e in events if e.kind == "enter"] == ["request", "CHECK"]
    assert events[3].kind == "call" and events[3].rc == 1 and events[3].line == 15


def test_tracing_off_puts_no_hooks_in_the_code():
    p_off, core_off = run(trace=False)
    p_on, _core = run(trace=True)
    assert "TR." not in p_off.compiler.source
    assert "TR.event" in p_on.compiler.source
    assert core_off.last_context.trace is None
    assert core_off.sent[0][1].startswith("SIP/2.0 200 OK alice!\r\n")


def test_cli_trace_prints_on_its_own_lines(tmp_path):
    port = free_udp_port()
    cfg = CFG.replace("listen=udp:127.0.0.1:5070",
                      f"debug=2\nlog_stderror=yes\nchildren=1\nlisten=udp:127.0.0.1:{port}") + ready_route()
    path = tmp_path / "t.cfg"
    path.write_text(cfg)
    route_line = cfg.splitlines().index("request_route {") + 1
    trace_file = tmp_path / "trace.txt"
    proc = subprocess.Popen([sys.executable, "-m", "kamlite", "-f", str(path), "-DD", "-E",
                             "--trace", str(trace_file)], stderr=subprocess.PIPE, text=True)
    try:
        line = ""
        while "SIP READY" not in line:
            line = proc.stderr.readline()
            assert line, "server did not start"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        s.sendto(request(port=s.getsockname()[1]), ("127.0.0.1", port))
        assert s.recv(65535).startswith(b"SIP/2.0 200 OK alice!")
        # the reply leaves before the call's trace line is written: wait for the line
        deadline = time.monotonic() + 10
        while "sl_send_reply" not in trace_file.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.terminate()
        err = proc.communicate(timeout=30)[1]
    traced = trace_file.read_text().splitlines()
    assert "TRACE" not in err                     # the log channel stays clean
    assert any(l.startswith("TRACE  1(") and l.endswith(f"t.cfg:{route_line} -> route request") for l in traced)
    assert any("sl_send_reply(\"200\", \"OK $var(x)\") [200, 'OK alice!'] -> 1" in l for l in traced)
