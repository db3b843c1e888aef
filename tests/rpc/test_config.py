"""ctl and jsonrpcs parameters: default socket paths, file modes and owners (compared with
real Kamailio), and the startup errors (loopback rule, HTTP transport, bad addresses)."""
import os
import shutil
import socket
import stat
import subprocess
import sys

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.rpc import binrpc as B

from ..conftest import need_program
from . import clients as C
from .servers import Server, free_port

BASE = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:@PORT@
loadpath "@MODULES@"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "ctl.so"
loadmodule "jsonrpcs.so"
request_route { exit; }
event_route[core:worker-one-init] { xlog("L_INFO", "ready\\n"); }
"""


def files(server) -> dict:
    out = {}
    for name in sorted(os.listdir(server.dir)):
        if name != "server.cfg":
            st = os.lstat(server.path(name))
            out[name] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode))
    return out


@pytest.mark.parametrize("params", [
    "",                                                         # every default, in rundir
    'modparam("ctl", "mode", 0666)\nmodparam("jsonrpcs", "fifo_mode", 0600)\nmodparam("jsonrpcs", "dgram_mode", 0640)\n'
    'modparam("jsonrpcs", "fifo_name", "my.fifo")\nmodparam("jsonrpcs", "dgram_socket", "my.sock")\n',
    'modparam("jsonrpcs", "transport", 2)\nmodparam("ctl", "binrpc", "unixd:@DIR@/d.sock")\n',
])
def test_socket_files_as_kamailio_makes_them(params):
    need_program("kamailio", "kamailio")
    cfg = BASE.replace('request_route', 'rundir="@DIR@"\n' + params + 'request_route')
    got = []
    for which in ("kamailio", "kamlite"):
        s = Server(which, cfg)
        try:
            assert s.started, s.stderr
            got.append(files(s))
        finally:
            s.stop(keep_dir=True)
        try:
            if which == "kamlite":             # removed at shutdown
                assert files(s) == {}
        finally:
            shutil.rmtree(s.dir, ignore_errors=True)
    assert got[1] == got[0]
    assert ("kamailio_ctl" in got[0]) == ("binrpc" not in params)


def test_default_socket_is_debians():
    p = kamlite.load(text='loadmodule "ctl"\n', init=False)
    st = p.modules["ctl"].state
    st.default_listener(p)
    assert str(st.listeners[0].addr) == "unixs:/var/run/kamailio//kamailio_ctl"
    p = kamlite.load(text='rundir="/run/x"\nloadmodule "ctl"\n', init=False)
    st = p.modules["ctl"].state
    st.default_listener(p)
    assert str(st.listeners[0].addr) == "unixs:/run/x/kamailio_ctl"


def test_owner_and_mode(tmp_path):
    gid = os.getgid()
    p = kamlite.load(text=f'loadmodule "ctl"\nmodparam("ctl", "binrpc", "unix:{tmp_path}/c.sock")\n'
                          f'modparam("ctl", "mode", 0640)\nmodparam("ctl", "group", "{gid}")\n'
                          f'modparam("ctl", "user", "{os.getuid()}")\n')
    st = p.modules["ctl"].state
    st.processes(p)
    try:
        info = os.stat(tmp_path / "c.sock")
        assert stat.S_IMODE(info.st_mode) == 0o640 and (info.st_uid, info.st_gid) == (os.getuid(), gid)
    finally:
        st.destroy(p)


def test_unknown_user_is_a_config_error():
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "ctl"\nmodparam("ctl", "user", "no-such-user-xyz")\n')
    assert "bad user name/uid number no-such-user-xyz" in str(e.value)


def opened(text: str):
    """Load a config and open its RPC sockets as the server would; returns the Program."""
    p = kamlite.load(text=text)
    try:
        p.extra_processes()
    finally:
        for name in ("ctl", "jsonrpcs"):
            if name in p.modules:
                p.modules[name].state.destroy(p)
    return p


@pytest.mark.parametrize("addr", ["tcp:0.0.0.0:@P@", "tcp:@P@", "udp:*:@P@"])
def test_non_loopback_ctl_is_refused(addr):
    port = free_port(socket.SOCK_STREAM if addr.startswith("tcp") else socket.SOCK_DGRAM)
    text = f'loadmodule "ctl"\nmodparam("ctl", "binrpc", "{addr.replace("@P@", str(port))}")\n'
    with pytest.raises(ConfigError) as e:
        opened(text)
    msg = str(e.value)
    assert "<config>:2:1: error: ctl: refusing to serve RPC on" in msg
    assert 'modparam("ctl", "kamlite_allow_remote", 1)' in msg
    opened(text + 'modparam("ctl", "kamlite_allow_remote", 1)\n')     # asked for: it listens


def test_loopback_names_are_fine():
    port = free_port(socket.SOCK_STREAM)
    opened(f'loadmodule "ctl"\nmodparam("ctl", "binrpc", "tcp:localhost:{port}")\n')


def test_server_refuses_to_start_on_a_public_address(tmp_path):
    cfg = tmp_path / "k.cfg"
    cfg.write_text(f'loadmodule "ctl"\nmodparam("ctl", "binrpc", "tcp:0.0.0.0:{free_port(socket.SOCK_STREAM)}")\n'
                   'request_route { exit; }\n')
    for flags in (["-DD", "-E"], ["-c"]):          # kamlite -c says it too
        r = subprocess.run([sys.executable, "-m", "kamlite", "-f", str(cfg), *flags], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1
        assert f"{cfg}:2:1: error: ctl: refusing to serve RPC on tcp:0.0.0.0:" in r.stderr


@pytest.mark.parametrize("text, message", [
    ('loadmodule "ctl"\nmodparam("ctl", "binrpc", "tcp:[::1")\n', 'bad listen socket: "tcp:[::1"'),
    ('loadmodule "ctl"\nmodparam("ctl", "fifo", "/tmp/x")\n', "old text FIFO protocol of ctl is not supported"),
    ('loadmodule "jsonrpcs"\nmodparam("jsonrpcs", "transport", 7)\n', "needs the xhttp module"),
])
def test_load_errors(text, message):
    with pytest.raises(ConfigError) as e:
        kamlite.load(text=text)
    assert message in str(e.value)


@pytest.mark.parametrize("spec, message", [
    ("udp:127.0.0.1:80", "invalid port number; must be in [1024,65535]"),
    ("udp:127.0.0.1", "no port specified"),
    ("udp:127.0.0.1:x", "there is not a valid number port"),
    ("udp:0.0.0.0:@P@", "refusing to serve RPC on udp:0.0.0.0:"),
    ("a.so", "length of socket address is too short"),
    ("/nonexistent-dir/rpc.sock", "No such file or directory"),
])
def test_jsonrpcs_datagram_errors(tmp_path, spec, message):
    spec = spec.replace("@P@", str(free_port()))
    text = (f'loadmodule "jsonrpcs"\nmodparam("jsonrpcs", "transport", 4)\n'
            f'modparam("jsonrpcs", "dgram_socket", "{spec}")\n')
    with pytest.raises(ConfigError) as e:
        opened(text)
    assert message in str(e.value)


def test_jsonrpcs_fifo_errors(tmp_path):
    text = (f'loadmodule "jsonrpcs"\nmodparam("jsonrpcs", "transport", 2)\n'
            f'modparam("jsonrpcs", "fifo_name", "{tmp_path}/f")\nmodparam("jsonrpcs", "fifo_reply_dir", "/nonexistent/")\n')
    with pytest.raises(ConfigError) as e:
        opened(text)
    assert "fifo_reply_dir parameter is not a directory" in str(e.value)
    # with transport 0 ("whatever works") a failing transport is just left out
    p = kamlite.load(text=text.replace('"transport", 2', '"transport", 0')
                     + f'modparam("jsonrpcs", "dgram_socket", "{tmp_path}/d.sock")\n')
    try:
        assert [e.description for e in p.extra_processes()] == ["JSONRPCS DATAGRAM"]
    finally:
        p.modules["jsonrpcs"].state.destroy(p)


def test_several_datagram_workers_and_udp(tmp_path):
    port = free_port()
    p = kamlite.load(text=f'loadmodule "jsonrpcs"\nmodparam("jsonrpcs", "transport", 4)\n'
                          f'modparam("jsonrpcs", "dgram_workers", 3)\n'
                          f'modparam("jsonrpcs", "dgram_socket", "udp:127.0.0.1:{port}")\n')
    try:
        assert [e.description for e in p.extra_processes()] == ["JSONRPCS DATAGRAM"] * 3
    finally:
        p.modules["jsonrpcs"].state.destroy(p)


def test_json_over_udp_and_kamlitecmd_over_every_transport(tmp_path):
    """A kamlite server alone (no Kamailio needed): jsonrpcs on UDP, and kamlitecmd."""
    cfg = BASE.replace('request_route', 'modparam("ctl", "binrpc", "unix:@DIR@/c.sock")\n'
                       'modparam("ctl", "binrpc", "unixd:@DIR@/d.sock")\n'
                       'modparam("ctl", "binrpc", "tcp:127.0.0.1:@TCP@")\n'
                       'modparam("ctl", "binrpc", "udp:127.0.0.1:@UDP@")\n'
                       'modparam("jsonrpcs", "transport", 4)\n'
                       'modparam("jsonrpcs", "dgram_socket", "udp:127.0.0.1:@JUDP@")\nrequest_route')
    s = Server("kamlite", cfg)
    try:
        assert s.started, s.stderr
        reply = C.udp_exchange(s.ports["JUDP"], b'{"jsonrpc":"2.0","method":"core.echo","params":["u"],"id":1}')
        assert reply == b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t["u"],\n\t"id":\t1\n}'
        for addr in (f"unix:{s.path('c.sock')}", f"unixd:{s.path('d.sock')}", f"tcp:127.0.0.1:{s.ports['TCP']}",
                     f"udp:127.0.0.1:{s.ports['UDP']}"):
            rc, out, err = C.run([*C.KAMLITECMD, "-D", s.dir, "-s", addr, "core.echo", "hi", "5"])
            assert (rc, out, err) == (0, "hi\n5\n", ""), addr
        rc, out, _ = C.run([*C.KAMLITECMD, "-s", f"unix:{s.path('c.sock')}", "-v", "ls"])
        assert rc == 0 and "mqueue" not in out and "core.psx\n" in out and out.endswith(".\n")
        rc, out, _ = C.run([*C.KAMLITECMD, "-s", f"unix:{s.path('c.sock')}", "help", "ps"])
        assert out == 'ps is an alias for core.ps with reply formatting: "%v\\t%v\\n"\n'
        r = subprocess.run([*C.KAMLITECMD, "-s", f"unix:{s.path('c.sock')}"], input=b"core.echo a\nquit\n",
                           capture_output=True, timeout=20)
        assert r.returncode == 0 and b"kamlitecmd> a\nkamlitecmd> " in r.stdout
        assert not [f for f in os.listdir(s.dir) if f.startswith("kamlitecmd_")]     # reply socket removed
    finally:
        out = s.stop()
    assert "Traceback" not in out


def test_typed_arguments():
    from kamlite.rpccmd import typed_arg
    assert typed_arg("5") == 5 and typed_arg(" +7") == 7 and typed_arg("-0") == 0
    assert typed_arg("99999999999") == 1215752191            # its low 32 bits
    assert typed_arg("4294967295") == -1                   # strtol's long, stored in an int
    assert typed_arg("2.5") == 2.5 and typed_arg("1e3") == 1000.0 and typed_arg("0x10") == 16.0
    assert isinstance(typed_arg("inf"), float)
    assert typed_arg("s:5") == "5" and typed_arg("s:s:x") == "s:x" and typed_arg("1_0") == "1_0"
    assert typed_arg("5 ") == "5 " and typed_arg("") == ""


def test_kamcmd_style_printing():
    import io
    from kamlite.rpccmd import print_body
    body = B.reply_body([{"a": 1, "s": {"x": "y", "e": {}}, "l": [1, 2]}, "top", 2.5, 3.0])
    out, err = io.BytesIO(), io.StringIO()
    assert print_body(body, None, out, err)
    assert out.getvalue() == (b"{\n\ta: 1\n\ts: {\n\t\tx: y\n\t\te: {\n\t\t}\n\t}\n\tl: {\n\t\t1\n\t\t2\n\t}\n}\n"
                              b"top\n2.500000\n3\n")
    out = io.BytesIO()
    assert print_body(B.reply_body([1, "a", 2, "b", 3]), "%v=%v 100%%\\n".replace("\\n", "\n"), out, err)
    assert out.getvalue() == b"1=a 100%\n2=b 100%\n3= 100%\n"
    out = io.BytesIO()
    err = io.StringIO()
    assert not print_body(b"\x10\x01\x25n\x00\x10\x01", None, out, err)  # a member outside a struct
    assert err.getvalue() == "ERROR:: while parsing the record 1, @2: 25 : record doesn't match type\n"
