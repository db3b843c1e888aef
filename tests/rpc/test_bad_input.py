"""Bad input on every RPC transport: the same answer as Kamailio (or the same silence),
and the RPC processes keep serving the clients that behave."""
import os
import socket
import time

import pytest

from ..conftest import need_program
from . import clients as C
from .servers import Server
from .test_clients import CFG, SOCKETS, address

GET_SIZE_Q1 = bytes.fromhex("a100160791106d71756575652e6765745f73697a650031713100")


def hdr(body_len: int, cookie: int = 7, mtype: int = 0) -> bytes:
    from kamlite.rpc.binrpc import header
    return header(mtype, body_len, cookie)


METHOD = b"\x91\x10mqueue.get_size\x00"
BAD_PACKETS = {
    "garbage": b"hello world",
    "bad magic": bytes.fromhex("b1000007"),
    "a reply, not a request": bytes.fromhex("a11000070000"),
    "unknown message type": bytes.fromhex("a1200007"),
    "empty body": hdr(0),
    "int as method": hdr(2) + b"\x10\x05",
    "method longer than the body": hdr(3) + b"\x91\x10m",
    "method without its NUL": hdr(8) + b"\x91\x06abcdef",
    "method name of 300 bytes": hdr(304) + b"\xa1\x01\x2d" + b"x" * 300 + b"\x00",
    "struct as parameter": hdr(len(METHOD) + 7) + METHOD + b"\x03\x55ab\x00\x10\x83",
    "bytes as parameter": hdr(len(METHOD) + 3) + METHOD + b"\x26q1",
    "double as parameter": hdr(len(METHOD) + 3) + METHOD + b"\x22\x09\xc4",
    "negative length field": hdr(len(METHOD) + 6) + METHOD + b"\xc1\xff\xff\xff\xff\x00",
    "end of struct at top": hdr(len(METHOD) + 1) + METHOD + b"\x83",
    "unknown record type": hdr(len(METHOD) + 1) + METHOD + b"\x0a",
    "two requests at once": GET_SIZE_Q1 * 2,
    "a request and garbage": GET_SIZE_Q1 + b"garbage!",
    "4-byte cookie, 2-byte length": hdr(0x16, 0x12345678)[:1] + bytes((0x07,)) + b"\x00\x16\x12\x34\x56\x78"
                                    + METHOD + b"\x31q1\x00",
}


@pytest.fixture(scope="module")
def servers():
    need_program("kamailio", "kamailio")
    real = Server("kamailio", CFG, wait_for=SOCKETS)
    ours = Server("kamlite", CFG, wait_for=SOCKETS)
    try:
        assert real.started and ours.started, real.stderr + ours.stderr
        yield real, ours
    finally:
        real.stop()
        out = ours.stop()
        assert "Traceback" not in out, out


@pytest.mark.parametrize("name", sorted(BAD_PACKETS))
def test_bad_binrpc_on_a_stream_socket(servers, name):
    """Same reply bytes, same close (<EOF>) or silence (<timeout>)."""
    data = BAD_PACKETS[name]
    real, ours = (C.stream_exchange(s.path("ctl.sock"), data, wait=0.7) for s in servers)
    assert ours == real


# over UDP, ctl reads a method name without its NUL on into the rest of its receive
# buffer, which holds earlier datagrams: the text of that fault is not reproducible
@pytest.mark.parametrize("name", sorted(set(BAD_PACKETS) - {"method without its NUL"}))
def test_bad_binrpc_over_udp(servers, name):
    data = BAD_PACKETS[name]
    real, ours = (C.udp_exchange(s.ports["UDP"], data, wait=0.5) for s in servers)
    assert ours == real


def test_silent_and_slow_clients_do_not_block_others(servers):
    """Connections that send nothing, or half a packet, stay open; meanwhile other
    clients are answered at once; the half packet is answered when it is complete."""
    kamcmd = need_program("kamcmd", "kamailio")
    for server in servers:
        silent = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
        for s in silent:
            s.connect(server.path("ctl.sock"))
        tcp_silent = socket.create_connection(("127.0.0.1", server.ports["TCP"]))
        half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        half.connect(server.path("ctl.sock"))
        half.sendall(GET_SIZE_Q1[:10])
        t0 = time.monotonic()
        rc, out, _ = C.run([kamcmd, "-s", address(server, "unix"), "core.echo", "still", "here"])
        assert (rc, out) == (0, "still\nhere\n"), server.which
        rc, out, _ = C.run([kamcmd, "-s", address(server, "tcp"), "core.echo", "tcp"])
        assert (rc, out) == (0, "tcp\n"), server.which
        assert time.monotonic() - t0 < 5
        half.settimeout(3)
        half.sendall(GET_SIZE_Q1[10:])
        assert half.recv(100)[:2] == b"\xa1\x10", server.which
        rc, out, _ = C.run([kamcmd, "-s", address(server, "unix"), "ctl.connections"])
        assert out == "6\n", server.which        # 3 silent + tcp + half + kamcmd's own
        for s in silent + [tcp_silent, half]:
            s.close()


def test_json_garbage_and_oversized_documents(servers):
    """No reply to a document that is not JSON (datagram and FIFO), and a FIFO document
    of 8191 bytes or more is dropped; the next good ones are answered."""
    good = b'{"jsonrpc":"2.0","method":"core.echo","params":["ok"],"id":1}'
    for server in servers:
        sock = server.path("rpc.sock")
        for junk in (b"garbage", b"{", b"}", b"\x00\xff\xfe", b'{"a":', b"[" * 5000, b"{" * 3000 + b"}" * 3000):
            assert C.dgram_json(sock, junk, wait=0.5) is None, (server.which, junk[:20])
        assert b'"ok"' in C.dgram_json(sock, good)
        fifo = server.path("rpc.fifo")
        big = b'{"jsonrpc":"2.0","method":"core.echo","params":["' + b"x" * 9000 + b'"],"reply_name":"jr","id":1}'
        assert C.fifo_json(fifo, server.dir, big, reply_name="jr", wait=1.0) is None, server.which
        # the rest of the big document is read as a new one, from inside the long string
        # (its opening quote was in the part dropped): a quote and {} end it (not JSON,
        # dropped), then the stream is clean again
        with open(fifo, "wb") as w:
            w.write(b'"{}')
        reply = C.fifo_json(fifo, server.dir, good[:-1] + b',"reply_name":"jr2"}', reply_name="jr2")
        assert reply is not None and b'"ok"' in reply, server.which
    for s in servers:
        assert "input data too large (8191)" in s.stderr, s.which


def test_a_reply_fifo_nobody_reads(servers):
    """A client that names a reply FIFO but never opens it: the FIFO process gives up
    and answers the next client."""
    good = b'{"jsonrpc":"2.0","method":"core.echo","params":["next"],"reply_name":"r2","id":1}'
    for server in servers:
        path = os.path.join(server.dir, "r1")
        os.mkfifo(path)
        with open(server.path("rpc.fifo"), "wb") as w:
            w.write(b'{"jsonrpc":"2.0","method":"core.echo","params":["x"],"reply_name":"r1","id":1}')
        reply = C.fifo_json(server.path("rpc.fifo"), server.dir, good, reply_name="r2", wait=3)
        assert reply is not None and b'"next"' in reply, server.which
        os.unlink(path)
        assert "no client at " + path in server.stderr, server.which


def test_servers_survived(servers):
    kamcmd = need_program("kamcmd", "kamailio")
    for s in servers:
        assert s.alive(), s.which
        assert C.run([kamcmd, "-s", address(s, "unix"), "mqueue.get_size", "q2"])[0] == 0


def test_kamlite_survives_what_crashes_kamailio(tmp_path):
    """A non-string "jsonrpc", "method" or "reply_name" segfaults Kamailio 5.6's jsonrpcs
    (and so stops the whole server); kamlite answers like for a missing field."""
    ours = Server("kamlite", CFG, wait_for=SOCKETS)
    try:
        assert ours.started, ours.stderr
        sock = ours.path("rpc.sock")
        for doc, expect in ((b'{"jsonrpc":2,"method":"core.echo","id":1}', b'"result":\t{\n\t}'),
                            (b'{"jsonrpc":"2.0","method":7,"id":1}', b'"result":\t{\n\t}')):
            reply = C.dgram_json(sock, doc)
            assert reply is not None and expect in reply
        reply = C.fifo_json(ours.path("rpc.fifo"), ours.dir,
                            b'{"jsonrpc":"2.0","method":"core.echo","reply_name":5,"id":1}', wait=1.0)
        assert reply is None
        assert C.dgram_json(sock, b'{"jsonrpc":"2.0","method":"core.echo","params":["a"]}') is not None
        assert ours.alive()
    finally:
        out = ours.stop()
    assert "missing or invalid jsonrpc field in request" in out
    assert "missing jsonrpc method field in request" in out
    assert "missing reply_name field in request" in out
    assert "Traceback" not in out
