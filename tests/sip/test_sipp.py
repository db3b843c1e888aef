"""Real SIP peers: sipp (Debian's sip-tester) as UAC against kamlite answering from the
script, and a UAC -> kamlite (stateless forward) -> sipp UAS call."""
import subprocess

import pytest

from tests.conftest import need_program
from tests.oracle.sip_run import SipServer, free_ports, ready_route

OPTIONS_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="options">
  <send retrans="500">
    <![CDATA[
OPTIONS sip:ping@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:sipp@[local_ip]:[local_port]>;tag=[call_number]
To: <sip:ping@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

    ]]>
  </send>
  <recv response="200" rtd="true">
    <action>
      <ereg regexp="Server: kamailio" search_in="msg" check_it="true" assign_to="1"/>
    </action>
  </recv>
  <Reference variables="1"/>
</scenario>
"""

CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=2
listen=udp:127.0.0.1:@PORT@
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "sl.so"
request_route {
  if ($rU == "ping") { sl_send_reply("200", "OK"); exit; }
  if ($rU == "service") {
    # answer the call from the script: INVITE and BYE get 200, ACK nothing
    if (method == "ACK") exit;
    if (method == "INVITE") sl_send_reply("180", "Ringing");
    sl_send_reply("200", "OK");
    exit;
  }
  # anything else goes on to the UAS, statelessly
  forward("127.0.0.1", @UASPORT@);
}
""" + ready_route()


def sipp_cmd(*args):
    return [need_program("sipp", "sip-tester"), *args, "-i", "127.0.0.1", "-nostdin",
            "-timeout", "30s", "-timeout_error"]


def run_sipp(*args, cwd):
    r = subprocess.run(sipp_cmd(*args), capture_output=True, text=True, timeout=60, cwd=cwd)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r


@pytest.fixture
def server():
    need_program("sipp", "sip-tester")
    with SipServer("kamlite", CFG, ports=free_ports()) as srv:
        srv.uas.close()                  # sipp's UAS takes that port
        yield srv


def test_sipp_options_answered_by_the_script(server, tmp_path):
    scen = tmp_path / "options.xml"
    scen.write_text(OPTIONS_SCENARIO)
    run_sipp("-sf", str(scen), f"127.0.0.1:{server.port}", "-m", "200", "-r", "100", cwd=tmp_path)


def test_sipp_invite_bye_answered_by_the_script(server, tmp_path):
    run_sipp("-sn", "uac", "-s", "service", f"127.0.0.1:{server.port}", "-m", "20", "-r", "20", cwd=tmp_path)


def test_sipp_call_through_stateless_forwarding(server, tmp_path):
    uas = subprocess.Popen(sipp_cmd("-sn", "uas", "-p", str(server.uas_port), "-m", "20"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        run_sipp("-sn", "uac", "-s", "bob", f"127.0.0.1:{server.port}", "-m", "20", "-r", "20", cwd=tmp_path)
        out, err = uas.communicate(timeout=60)
    finally:
        if uas.poll() is None:
            uas.kill()
    assert uas.returncode == 0, out[-2000:] + err[-2000:]
