"""ctl: the control sockets kamcmd talks to, with the binrpc protocol (Kamailio's ctl).

    modparam("ctl", "binrpc", "unix:/run/kamailio/ctl.sock")   # unix stream (also unixs:)
    modparam("ctl", "binrpc", "unixd:/tmp/ctl.dgram")          # unix datagram
    modparam("ctl", "binrpc", "udp:127.0.0.1:2046")            # port default 2049
    modparam("ctl", "binrpc", "tcp:127.0.0.1:2049")
    modparam("ctl", "mode", 0660)  modparam("ctl", "user", "kamailio")  modparam("ctl", "group", "voip")
    RPC: ctl.listen, ctl.connections, ctl.who

Without a binrpc parameter it listens on unixs:<runtime_dir>/kamailio_ctl, which is
Debian's unixs:/var/run/kamailio//kamailio_ctl (kamcmd's default too).  Every request is
served by one process of its own, "ctl handler", one at a time, with Kamailio's faults
(kamlite/rpc/binrpc.py); a stream connection that sends nothing for 120 s is closed,
and a slow or silent client never blocks the others.

kamlite-only: TCP and UDP listeners must be on a loopback address, unless
modparam("ctl", "kamlite_allow_remote", 1) - RPC gives full control of the server, and
binrpc has no authentication.  (Kamailio does not know this parameter: keep it out of
configs that real Kamailio must load.)  Unlike ctl, 'user' alone (or 'group' alone)
changes the socket file's owner; ctl needs both.

The sockets are opened when the server builds its process table (main process, before
the fork) rather than in mod_init, so that loading a config from Python (kamlite.load)
never touches socket files.
"""
from __future__ import annotations

import os
import selectors
import socket
import time

from ..log import L_ERR, L_INFO
from ..rpc import RpcFault, Values
from ..rpc import binrpc as B
from ..rpc import sockets as S
from ..server.processes import ProcessEntry
from . import FixupError, Module, Param, RpcCommand

DEFAULT_SOCKET_NAME = "kamailio_ctl"
STREAM_TIMEOUT = 120.0               # idle stream connections are closed after this
MAX_CONNECTIONS = 128
STREAM_BUF_SIZE = 65535              # one request must fit (ctl's buffer)
DGRAM_BUF_SIZE = 65535
SEND_TIMEOUT = 2.0                   # a client that does not read its reply is dropped


class Listener:
    def __init__(self, addr: B.Address, node):
        self.addr = addr
        self.node = node                 # the modparam (for errors)
        self.sock: socket.socket | None = None

    @property
    def stream(self) -> bool:
        return self.addr.proto in (B.UNIXS, B.TCP)


class State:
    def __init__(self, program):
        self.program = program
        self.log = program.log
        self.listeners: list[Listener] = []
        self.mode = 0o600
        self.uid = -1
        self.gid = -1
        self.autoconversion = 0
        self.binrpc_max_body_size = 32           # KiB
        self.binrpc_struct_max_body_size = 8     # KiB
        self.binrpc_buffer_size = 1024           # rpc printf buffer; kamlite's commands do not need it
        self.allow_remote = 0
        self.opened = False
        self.entry: ProcessEntry | None = None   # the ctl handler in the process table
        self.loop: "CtlLoop | None" = None       # in the ctl handler only

    # ---- parameters -------------------------------------------------------------------------
    def param_binrpc(self, value: str, program) -> None:
        addr = B.parse_address(value, B.UDP)
        if addr is None or not addr.name:
            self.log.module(L_ERR, "ctl", "ctl.c:158]: add_binrpc_socket()", f'ERROR: ctl: bad listen socket: "{value}"')
            raise ValueError(f'bad listen socket: "{value}"')
        self.listeners.append(Listener(addr, program.current_item))

    def param_fifo(self, value: str, program) -> None:
        raise ValueError("the old text FIFO protocol of ctl is not supported by kamlite; "
                         "use binrpc, or jsonrpcs' fifo_name")

    def param_user(self, value: str, program) -> None:
        self.uid = S.user_id(value)

    def param_group(self, value: str, program) -> None:
        self.gid = S.group_id(value)

    def check(self, program) -> None:
        """kamlite -c: an IP listener that is surely not loopback is refused already."""
        if self.allow_remote:
            return
        for ls in self.listeners:
            a = ls.addr
            if a.proto in (B.UDP, B.TCP) and S.surely_remote(a.name):
                shown = B.Address(a.proto, a.name, a.port or B.DEFAULT_PORT)
                raise FixupError(S.refuse_remote_text("ctl", str(shown), prefix=False), node=ls.node)

    # ---- opening (main process, before the fork) -----------------------------------------------
    def default_listener(self, program) -> None:
        rd = S.runtime_dir(program)
        if rd == S.RUN_DIR:
            path = S.RUN_DIR + "/" + DEFAULT_SOCKET_NAME     # the build default keeps its '//'
        else:
            path = rd + "/" + DEFAULT_SOCKET_NAME
        self.listeners.append(Listener(B.Address(B.UNIXS, path), program.modules["ctl"].node))

    def open(self, program) -> None:
        if self.opened:
            return
        if not self.listeners:
            self.default_listener(program)
        for ls in self.listeners:
            a = ls.addr
            try:
                if a.proto in (B.UNIXS, B.UNIXD):
                    kind = socket.SOCK_STREAM if a.proto == B.UNIXS else socket.SOCK_DGRAM
                    ls.sock = S.bind_unix(a.name, kind, self.mode, self.uid, self.gid)
                else:
                    a.port = a.port or B.DEFAULT_PORT
                    kind = socket.SOCK_STREAM if a.proto == B.TCP else socket.SOCK_DGRAM
                    ls.sock = S.bind_ip(a.name, a.port, kind, bool(self.allow_remote), "ctl", str(a))
            except (OSError, ValueError) as e:
                self.opened = True              # undo what was opened, files included
                self.destroy(program)
                text = str(e) if isinstance(e, ValueError) else f"ctl: cannot listen on {a}: {e.strerror or e}"
                raise S.config_error(program, ls.node, text) from None
        self.opened = True

    def close(self) -> None:
        for ls in self.listeners:
            if ls.sock is not None:
                ls.sock.close()
                ls.sock = None

    def processes(self, program) -> list:
        self.open(program)
        self.entry = ProcessEntry(0, "ctl handler", self.serve)
        return [self.entry]

    def child_init(self, program, rank: int) -> None:
        """The other children do not serve RPC: they close their copies of the sockets."""
        if rank != 0 and self.entry is not None and rank != self.entry.rank:
            self.close()

    def destroy(self, program) -> None:
        """Main, at shutdown: close the sockets and remove the unix socket files."""
        if not self.opened:
            return
        for ls in self.listeners:
            if ls.sock is not None and ls.addr.proto in (B.UNIXS, B.UNIXD):
                ls.sock.close()
                ls.sock = None
                try:
                    os.unlink(ls.addr.name)
                except OSError as e:
                    self.log.module(L_ERR, "ctl", "ctl.c:389]: mod_destroy()",
                                    f"ERROR: ctl: could not delete unix socket {ls.addr.name}: "
                                    f"{e.strerror} ({e.errno})")
        self.close()
        self.opened = False

    # ---- the ctl handler process ----------------------------------------------------------------
    def serve(self, server, entry) -> int:
        self.log.module(L_INFO, "ctl", "io_listener.c:209]: io_listen_loop()",
                        "io_listen_loop: using epoll_lt as the io watch method (auto detected)")
        # sizes in KiB; ctl's mod_init turns 0 or less into 4 and 1
        body = self.binrpc_max_body_size if self.binrpc_max_body_size > 0 else 4
        struct = self.binrpc_struct_max_body_size if self.binrpc_struct_max_body_size > 0 else 1
        dispatcher = B.Dispatcher(self.program, bool(self.autoconversion), body * 1024, struct * 1024, self.log)
        self.loop = CtlLoop(self.listeners, dispatcher, self.log)
        self.loop.run()
        return 0

    # ---- RPC ------------------------------------------------------------------------------------
    def rpc_listen(self, rpc):
        out = Values()
        for ls in self.listeners:
            a = ls.addr
            port = str(a.port) if a.proto in (B.UDP, B.TCP) else ""
            out += ["binrpc", B.PROTO_NAMES[a.proto], a.name, port]
        return out

    def rpc_connections(self, rpc):
        if self.loop is None:
            raise RpcFault(606, "rpc available only over binrpc (ctl)")
        return len(self.loop.conns)

    def rpc_who(self, rpc):
        if self.loop is None:
            raise RpcFault(606, "rpc available only over binrpc (ctl)")
        out = Values()
        for c in self.loop.conns.values():
            a = c.listener.addr
            out += ["binrpc", B.PROTO_NAMES[a.proto]]
            if a.proto == B.TCP:
                peer, local = c.sock.getpeername(), c.sock.getsockname()
                out += [peer[0], str(peer[1]), local[0], str(local[1])]
            else:
                out += ["<anonymous unix socket>", "", a.name, ""]
        if not out:
            raise RpcFault(400, "no open stream connection")
        return out


class Conn:
    """An accepted stream connection and the bytes it sent that are not processed yet."""

    def __init__(self, sock: socket.socket, listener: Listener):
        self.sock = sock
        self.listener = listener
        self.buf = bytearray()
        self.expire = time.monotonic() + STREAM_TIMEOUT


class CtlLoop:
    """ctl's io_listen_loop: one process, every socket watched at once (epoll), each
    request answered as soon as it is complete."""

    def __init__(self, listeners: list[Listener], dispatcher: B.Dispatcher, log,
                 timeout: float = STREAM_TIMEOUT):
        self.dispatcher = dispatcher
        self.log = log
        self.timeout = timeout
        self.sel = selectors.DefaultSelector()
        self.conns: dict[int, Conn] = {}
        for ls in listeners:
            if ls.sock is not None:
                self.sel.register(ls.sock, selectors.EVENT_READ, ls)

    def _err(self, text: str) -> None:
        self.log.module(L_ERR, "ctl", "io_listener.c:0]: io_listen_loop()", text)

    def run(self, until=None) -> None:
        """Serve forever (or while until() is false: tests)."""
        while until is None or not until():
            now = time.monotonic()
            wait = min((c.expire for c in self.conns.values()), default=now + 10.0) - now
            for key, _ev in self.sel.select(max(0.0, min(wait, 10.0 if until is None else 0.05))):
                if isinstance(key.data, Conn):
                    self._read(key.data)
                elif key.data.stream:
                    self._accept(key.data)
                else:
                    self._datagram(key.data)
            self._expire()

    def _expire(self) -> None:
        now = time.monotonic()
        for c in [c for c in self.conns.values() if c.expire <= now]:
            self._close(c)

    def _accept(self, ls: Listener) -> None:
        try:
            sock, _peer = ls.sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._err(f"ERROR: io_listen: handle_new_connect: error while accepting connection on "
                      f"{ls.addr.name}: [{e.errno}] {e.strerror}")
            return
        if len(self.conns) >= MAX_CONNECTIONS:
            self._err(f"ERROR: io listen: maximum number of connections exceeded: "
                      f"{len(self.conns)}/{MAX_CONNECTIONS}")
            sock.close()
            return
        sock.setblocking(False)
        c = Conn(sock, ls)
        c.expire = time.monotonic() + self.timeout
        self.conns[sock.fileno()] = c
        self.sel.register(sock, selectors.EVENT_READ, c)

    def _close(self, c: Conn) -> None:
        self.conns.pop(c.sock.fileno(), None)
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()

    def _read(self, c: Conn) -> None:
        room = STREAM_BUF_SIZE - len(c.buf)
        if room <= 0:
            self._err("ERROR: handle_stream_read: buffer overrun")
            self._close(c)
            return
        try:
            data = c.sock.recv(room)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._err(f"ERROR: handle_stream_read: error reading: {e.strerror} [{e.errno}]")
            self._close(c)
            return
        if not data:                      # EOF: whatever is incomplete is dropped
            self._close(c)
            return
        c.buf += data
        c.expire = time.monotonic() + self.timeout
        while c.buf:
            out = self.dispatcher.process(bytes(c.buf))
            if out.reply is not None and not self._send(c, out.reply):
                return
            if out.close:
                self._close(c)
                return
            if out.consumed == 0:         # more data needed
                return
            del c.buf[:out.consumed]

    def _send(self, c: Conn, data: bytes) -> bool:
        """The reply, whole; a client that does not take it in SEND_TIMEOUT is dropped."""
        try:
            c.sock.settimeout(SEND_TIMEOUT)
            c.sock.sendall(data)
            c.sock.setblocking(False)
            return True
        except OSError:
            self._close(c)
            return False

    def _datagram(self, ls: Listener) -> None:
        try:
            data, peer = ls.sock.recvfrom(DGRAM_BUF_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._err(f"ERROR; handle_ctrl_dgram: recvfrom on {ls.addr.name}: [{e.errno}] {e.strerror}")
            return
        out = self.dispatcher.process(data)      # an incomplete packet is ignored
        if out.reply is None or not peer:        # an unbound unix client cannot get a reply
            return
        try:
            ls.sock.sendto(out.reply, peer)
        except OSError as e:
            self._err(f"ERROR: _rpc_send: send failed: {e.strerror}")


MODULE = Module(
    name="ctl",
    params={
        "binrpc": Param(str, multi=True, apply=State.param_binrpc),
        "fifo": Param(str, multi=True, apply=State.param_fifo),
        "mode": Param(int, default=0o600),
        "user": Param(str, apply=State.param_user),
        "group": Param(str, apply=State.param_group),
        "autoconversion": Param(int, default=0),
        "binrpc_max_body_size": Param(int, default=32),
        "binrpc_struct_max_body_size": Param(int, default=8),
        "binrpc_buffer_size": Param(int, default=1024),
        S.ALLOW_REMOTE_PARAM: Param(int, apply=lambda st, v, p: setattr(st, "allow_remote", v)),
    },
    rpc={
        "ctl.who": RpcCommand(State.rpc_who, doc="list open connections"),
        "ctl.connections": RpcCommand(State.rpc_connections, doc="returns number of open connections"),
        "ctl.listen": RpcCommand(State.rpc_listen, doc="list ctl listen sockets"),
    },
    state=State,
    check=State.check,
    processes=State.processes,
    child_init=State.child_init,
    destroy=State.destroy,
)
