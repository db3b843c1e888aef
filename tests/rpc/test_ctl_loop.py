"""The ctl handler's loop, in a thread of the test process: stream timeouts, partial and
pipelined requests, buffer overrun, the connection limit, datagrams."""
import os
import socket
import threading
import time

import pytest

import kamlite
from kamlite.log import Log
from kamlite.modules import ctl
from kamlite.rpc import binrpc as B


@pytest.fixture
def loop(tmp_path, monkeypatch):
    log = Log(debug=2)
    lines = log.capture()
    program = kamlite.load(text='loadmodule "mqueue"\nloadmodule "ctl"\nmodparam("mqueue", "mqueue", "name=q1")\n'
                                f'modparam("ctl", "binrpc", "unix:{tmp_path}/ctl.sock")\n'
                                f'modparam("ctl", "binrpc", "unixd:{tmp_path}/ctld.sock")\n', log=log)
    state = program.modules["ctl"].state
    entries = state.processes(program)
    assert [e.description for e in entries] == ["ctl handler"]
    stop = threading.Event()
    lp = ctl.CtlLoop(state.listeners, B.Dispatcher(program, log=log), log, timeout=0.5)
    state.loop = lp
    t = threading.Thread(target=lp.run, args=(stop.is_set,), daemon=True)
    t.start()
    yield lp, str(tmp_path), lines
    stop.set()
    t.join(5)
    state.destroy(program)
    assert not os.path.exists(f"{tmp_path}/ctl.sock")


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(3)
    return s


def values(reply: bytes):
    return B.decode_values(B.parse_packet(reply)[1])


def test_a_silent_connection_is_closed_after_the_timeout(loop):
    lp, d, _ = loop
    s = connect(f"{d}/ctl.sock")
    time.sleep(0.1)
    assert len(lp.conns) == 1
    assert s.recv(10) == b""                       # closed by the server after 0.5 s
    assert len(lp.conns) == 0


def test_requests_in_pieces_and_back_to_back(loop):
    lp, d, _ = loop
    s = connect(f"{d}/ctl.sock")
    req = B.request("core.echo", ["a", 1], 42)
    for i in range(len(req)):                      # one byte at a time
        s.sendall(req[i:i + 1])
        time.sleep(0.002)
    assert values(s.recv(1000)) == ["a", "1"]
    s.sendall(B.request("core.echo", ["x"], 1) + B.request("core.echo", ["y"], 2))
    data = b""
    while data.count(b"\xa1\x10") < 2:
        data += s.recv(1000)
    assert data == B.header(1, 3, 1) + b"\x21x\x00" + B.header(1, 3, 2) + b"\x21y\x00"
    s.sendall(B.request("ctl.connections", [], 3))
    assert values(s.recv(1000)) == [1]


def test_an_oversized_request_closes_the_connection(loop):
    lp, d, lines = loop
    s = connect(f"{d}/ctl.sock")
    s.sendall(B.header(0, 100000, 1) + b"\x00" * 70000)
    try:
        assert s.recv(10) == b""
    except ConnectionResetError:          # closed with our bytes unread
        pass
    assert any("buffer overrun" in line for line in lines)


def test_the_connection_limit(loop):
    lp, d, lines = loop
    socks = [connect(f"{d}/ctl.sock") for _ in range(ctl.MAX_CONNECTIONS)]
    time.sleep(0.2)
    extra = connect(f"{d}/ctl.sock")
    assert extra.recv(10) == b""
    assert any("maximum number of connections exceeded: 128/128" in line for line in lines)
    for s in socks:
        s.close()
    time.sleep(0.2)
    s = connect(f"{d}/ctl.sock")
    s.sendall(B.request("core.echo", ["back"], 5))
    assert values(s.recv(100)) == ["back"]


def test_unix_datagrams(loop, tmp_path):
    lp, d, _ = loop
    me = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    me.bind(f"{tmp_path}/client")
    me.settimeout(3)
    me.sendto(B.request("mqueue.get_sizes", [], 9), f"{d}/ctld.sock")
    assert values(me.recv(1000)) == [{"name": "q1", "size": 0}]
    me.sendto(B.request("mqueue.get_sizes", [], 9)[:-1], f"{d}/ctld.sock")   # incomplete: ignored
    me.sendto(b"nonsense", f"{d}/ctld.sock")
    assert values(me.recv(1000)) == [400, "bad request: corrupted packet"]
    anon = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)                  # unbound: no reply possible
    anon.sendto(B.request("core.echo", ["x"], 1), f"{d}/ctld.sock")
    me.sendto(B.request("core.echo", ["still"], 2), f"{d}/ctld.sock")
    assert values(me.recv(1000)) == ["still"]


def test_ctl_rpc_commands(loop):
    lp, d, _ = loop
    s = connect(f"{d}/ctl.sock")
    s.sendall(B.request("ctl.listen", [], 1))
    assert values(s.recv(1000)) == ["binrpc", "unix_stream", f"{d}/ctl.sock", "",
                                    "binrpc", "unix_dgram", f"{d}/ctld.sock", ""]
    s.sendall(B.request("ctl.who", [], 2))
    assert values(s.recv(1000)) == ["binrpc", "unix_stream", "<anonymous unix socket>", "", f"{d}/ctl.sock", ""]


def test_ctl_connections_outside_the_ctl_process():
    p = kamlite.load(text='loadmodule "ctl"\n')
    with pytest.raises(kamlite.rpc.RpcFault) as e:
        p.rpc("ctl.connections")
    assert (e.value.code, e.value.message) == (606, "rpc available only over binrpc (ctl)")
