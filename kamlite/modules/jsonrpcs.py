"""jsonrpcs: JSON-RPC 2.0 over a FIFO file and a datagram socket (Kamailio's jsonrpcs).

    modparam("jsonrpcs", "fifo_name", "/run/kamailio/rpc.fifo")    # relative: in runtime_dir
    modparam("jsonrpcs", "fifo_reply_dir", "/tmp/")                 # where clients' reply FIFOs live
    modparam("jsonrpcs", "dgram_socket", "/run/kamailio/rpc.sock")  # or "udp:127.0.0.1:9062"
    modparam("jsonrpcs", "transport", 6)      # bits: 2 FIFO, 4 datagram (1 HTTP: needs xhttp)
    modparam("jsonrpcs", "pretty_format", 1)  # TAB-indented replies; 0 compact
    RPC: jsonrpc.echo

Processes: "JSONRPCS FIFO", then dgram_workers x "JSONRPCS DATAGRAM".  Requests, replies
and faults are Kamailio's (kamlite/rpc/jsonrpc.py); a document that is not JSON gets no
reply.  FIFO clients name their reply FIFO with "reply_name" (no '.', '/' or '\\'); it is
opened in fifo_reply_dir.  Datagram clients get the reply at the address they sent from.

Differences, on purpose: HTTP (transport bit 1) is refused, kamlite has no xhttp; a
UDP dgram_socket must be a loopback address unless modparam("jsonrpcs",
"kamlite_allow_remote", 1) (kamlite only); a reply FIFO whose reader does not read is
given up after a few seconds instead of blocking the FIFO process.  fifo_user/group and
dgram_user/group take names or numbers as strings.  As for ctl, the FIFO and socket
are created when the server builds its process table, not by kamlite.load().
"""
from __future__ import annotations

import errno
import os
import select
import socket
import stat
import time

from ..log import L_ERR, L_INFO, L_WARN
from ..rpc import jsonrpc as J
from ..rpc import sockets as S
from ..server.processes import ProcessEntry
from . import FixupError, Module, Param, RpcCommand

T_HTTP, T_FIFO, T_DGRAM = 1, 2, 4
FIFO_BUF_IN = 8192                   # one FIFO document (8191 bytes at most)
DGRAM_BUF = 65456
REPLY_FIFO_MAX = 128                 # reply_dir + reply_name
REPLY_RETRIES = 4                    # opening a reply FIFO nobody reads yet: 4 x 80 ms
REPLY_WRITE_TIMEOUT = 3.0


class State:
    def __init__(self, program):
        self.program = program
        self.log = program.log
        self.pretty_format = 1
        self.transport = T_FIFO | T_DGRAM
        self.fifo_name = "kamailio_rpc.fifo"
        self.fifo_mode = 0o660
        self.fifo_user = ""
        self.fifo_group = ""
        self.fifo_reply_dir = "/tmp/"
        self.dgram_socket = "kamailio_rpc.sock"
        self.dgram_workers = 1
        self.dgram_timeout = 2000
        self.dgram_mode = 0o660
        self.dgram_user = ""
        self.dgram_group = ""
        self.allow_remote = 0
        self.fifo_path: str | None = None     # set when the FIFO transport is open
        self.fifo_fds: tuple[int, int] | None = None
        self.dgram_path: str | None = None    # unix datagram socket file
        self.dgram_sock: socket.socket | None = None
        self.opened = False
        self.entries: list[ProcessEntry] = []     # this module's processes in the table

    def err(self, where: str, text: str, level: int = L_ERR) -> None:
        self.log.module(level, "jsonrpcs", where, text)

    def _fifo_on(self) -> bool:
        return (self.transport == 0 or self.transport & T_FIFO) and bool(self.fifo_name)

    def _dgram_on(self) -> bool:
        return (self.transport == 0 or self.transport & T_DGRAM) and bool(self.dgram_socket)

    def check(self, program) -> None:
        if self.transport & T_HTTP:
            self.err("jsonrpcs_mod.c:1171]: mod_init()", "cannot bind to XHTTP API")
            raise FixupError("transport bit 1 (HTTP) needs the xhttp module, which kamlite "
                             "does not provide: use the FIFO (2) or datagram (4) transport")
        if self.dgram_workers < 1 and self._dgram_on():
            raise FixupError("dgram_workers must be at least 1")
        spec = self.dgram_socket
        if self._dgram_on() and spec.startswith("udp:") and not self.allow_remote:
            host = spec[4:].rpartition(":")[0]
            if host and S.surely_remote(host):
                raise FixupError(S.refuse_remote_text("jsonrpcs", spec, prefix=False))

    # ---- opening (main process, before the fork) -------------------------------------------------
    def processes(self, program) -> list:
        self.open(program)
        out = []
        if self.fifo_fds is not None:
            out.append(ProcessEntry(0, "JSONRPCS FIFO", self.serve_fifo))
        if self.dgram_sock is not None:
            for i in range(self.dgram_workers):
                out.append(ProcessEntry(0, "JSONRPCS DATAGRAM", lambda server, entry, i=i: self.serve_dgram(i)))
        self.entries = out
        return out

    def child_init(self, program, rank: int) -> None:
        """Children that do not serve JSON-RPC close their copies of the FIFO and socket
        (main keeps them: it removes the files at shutdown)."""
        if rank == 0:
            return
        mine = [e.description for e in self.entries if e.rank == rank]
        if "JSONRPCS FIFO" not in mine and self.fifo_fds is not None:
            for fd in self.fifo_fds:
                os.close(fd)
            self.fifo_fds = None
        if "JSONRPCS DATAGRAM" not in mine and self.dgram_sock is not None:
            self.dgram_sock.close()
            self.dgram_sock = None

    def open(self, program) -> None:
        if self.opened:
            return
        self.opened = True
        node = program.modules["jsonrpcs"].node
        for enabled, bit, opener in ((self._fifo_on(), T_FIFO, self._open_fifo),
                                     (self._dgram_on(), T_DGRAM, self._open_dgram)):
            if not enabled:
                continue
            try:
                opener(program)
            except (OSError, ValueError) as e:
                if self.transport & bit:       # asked for explicitly: refuse to start
                    self.destroy(program)
                    text = str(e) if isinstance(e, ValueError) else f"jsonrpcs: {e.strerror or e}: {e.filename or ''}"
                    raise S.config_error(program, node, text.rstrip(": ")) from None

    def _open_fifo(self, program) -> None:
        path = S.in_runtime_dir(program, self.fifo_name)
        if os.path.lexists(path):
            os.unlink(path)
        rdir = self.fifo_reply_dir
        if not rdir:
            raise ValueError("jsonrpcs: fifo_reply_dir parameter is empty")
        if not os.path.isdir(rdir):
            raise ValueError(f"jsonrpcs: fifo_reply_dir parameter is not a directory: {rdir}")
        mode = self.fifo_mode
        if not mode:
            self.err("jsonrpcs_fifo.c:187]: jsonrpc_init_fifo_file()",
                     "cannot specify fifo_mode = 0, forcing it to rw-------", L_WARN)
            mode = 0o600
        uid = S.user_id(self.fifo_user) if self.fifo_user else -1
        gid = S.group_id(self.fifo_group) if self.fifo_group else -1
        os.mkfifo(path, mode)
        S.set_owner_mode(path, mode, uid, gid)
        rd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        wr = os.open(path, os.O_WRONLY | os.O_NONBLOCK)   # keeps the FIFO open between writers
        self.fifo_path, self.fifo_fds = path, (rd, wr)

    def _open_dgram(self, program) -> None:
        spec = self.dgram_socket
        if len(spec) < 6:
            raise ValueError(f"jsonrpcs: length of socket address is too short: {spec}")
        if spec.startswith("udp:"):
            rest = spec[4:]
            if not rest:
                raise ValueError("jsonrpcs: malformed ip address")
            colon = rest.rfind(":", 1)              # the port follows the last ':'
            if colon < 0:
                raise ValueError("jsonrpcs: no port specified")
            host, port = rest[:colon], rest[colon + 1:]
            if not port.isdigit():
                raise ValueError("jsonrpcs: there is not a valid number port")
            if not 1024 <= int(port) <= 65535:
                raise ValueError("jsonrpcs: invalid port number; must be in [1024,65535]")
            self.dgram_sock = S.bind_ip(host, int(port), socket.SOCK_DGRAM, bool(self.allow_remote),
                                        "jsonrpcs", spec)
            return
        path = S.in_runtime_dir(program, spec)
        if os.path.lexists(path):
            self.err("jsonrpcs_sock.c:197]: jsonrpc_dgram_mod_init()",
                     f"the socket {path} already exists, trying to delete it...", L_INFO)
        mode = self.dgram_mode
        if not mode:
            self.err("jsonrpcs_sock.c:212]: jsonrpc_dgram_mod_init()",
                     "cannot specify jsonrpc_dgram_unix_socket_mode = 0, forcing it to rw-------", L_WARN)
            mode = 0o600
        if len(path) >= 107:
            raise ValueError(f"jsonrpcs: socket path is too long: {path}")
        uid = S.user_id(self.dgram_user) if self.dgram_user else -1
        gid = S.group_id(self.dgram_group) if self.dgram_group else -1
        self.dgram_sock = S.bind_unix(path, socket.SOCK_DGRAM, mode, uid, gid)
        self.dgram_path = path
        try:
            self.dgram_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        except OSError:
            pass

    def destroy(self, program) -> None:
        """Main, at shutdown: remove the FIFO and the socket file."""
        if self.fifo_fds is not None:
            for fd in self.fifo_fds:
                os.close(fd)
            self.fifo_fds = None
        if self.dgram_sock is not None:
            self.dgram_sock.close()
            self.dgram_sock = None
        for path in (self.fifo_path, self.dgram_path):
            if path:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    self.err("jsonrpcs_fifo.c:593]: jsonrpc_fifo_destroy()",
                             f"cannot delete the fifo ({path}): {e.strerror}")
        self.fifo_path = self.dgram_path = None

    # ---- the FIFO process ------------------------------------------------------------------------
    def serve_fifo(self, server, entry) -> int:
        rd, _wr = self.fifo_fds
        reader = FifoReader()
        while True:
            select.select([rd], [], [])
            try:
                data = os.read(rd, 4096)
            except BlockingIOError:
                continue
            for doc, error in reader.feed(data):
                if error:
                    self.err("jsonrpcs_fifo.c:291]: jsonrpc_read_stream()", f"input data too large ({error})", L_WARN)
                    continue
                self.fifo_request(doc)

    def fifo_request(self, doc: bytes) -> None:
        reply = J.execute(self.program, doc, fifo=True, pretty=bool(self.pretty_format), log=self.log)
        if reply is None:
            self.err("jsonrpcs_fifo.c:461]: jsonrpc_fifo_server()",
                     "failed to execute the json document from fifo stream")
            return
        if reply.reply_name is None:          # nowhere to send it (logged by execute)
            return
        name = reply.reply_name.decode("latin-1")
        fd = self.open_reply_fifo(name)
        if fd is None:
            self.err("jsonrpcs_fifo.c:473]: jsonrpc_fifo_server()", f"cannot open reply fifo: {name}")
            return
        try:
            _write_all(fd, reply.body, REPLY_WRITE_TIMEOUT)
        except OSError as e:
            self.err("jsonrpcs_fifo.c:478]: jsonrpc_fifo_server()",
                     f"failed to write the reply to fifo: {e.strerror or e}")
        finally:
            os.close(fd)

    def open_reply_fifo(self, name: str) -> int | None:
        """The client's reply FIFO, opened for writing without blocking (the client must
        already read it), after Kamailio's checks: no path tricks in the name, a real FIFO,
        not linked."""
        if any(c in name for c in "./\\"):
            self.err("jsonrpcs_fifo.c:361]: jsonrpc_open_reply_fifo()", f"Forbidden reply fifo filename: {name}")
            return None
        path = self.fifo_reply_dir + name
        if len(path) + 1 > REPLY_FIFO_MAX:
            self.err("jsonrpcs_fifo.c:367]: jsonrpc_open_reply_fifo()", f"Reply fifo filename too long {len(path)}")
            return None
        for attempt in range(REPLY_RETRIES + 1):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                break
            except OSError as e:
                if e.errno == errno.ENXIO and attempt < REPLY_RETRIES:
                    time.sleep(0.08)
                    continue
                if e.errno == errno.ENXIO:
                    self.err("jsonrpcs_fifo.c:387]: jsonrpc_open_reply_fifo()", f"no client at {path}")
                else:
                    self.err("jsonrpcs_fifo.c:398]: jsonrpc_open_reply_fifo()", f"open error ({path}): {e.strerror}")
                return None
        fst, lst = os.fstat(fd), os.lstat(path)
        problem = None
        if not stat.S_ISFIFO(fst.st_mode):
            problem = f"security: {path} is not a fifo"
        elif fst.st_nlink > 1:
            problem = f"security: fifo_check: {path} is hard-linked {fst.st_nlink} times"
        elif stat.S_ISLNK(lst.st_mode):
            problem = f"security: fifo_check: {path} is a soft link"
        elif (lst.st_dev, lst.st_ino) != (fst.st_dev, fst.st_ino):
            problem = f"security: fifo_check: inode/dev number differ: {fst.st_ino} {lst.st_ino} ({path})"
        if problem:
            self.err("jsonrpcs_fifo.c:320]: jsonrpc_fifo_check()", problem)
            os.close(fd)
            return None
        return fd

    # ---- the datagram processes --------------------------------------------------------------------
    def serve_dgram(self, worker: int) -> int:
        self.err("jsonrpcs_sock.c:443]: jsonrpc_dgram_process()", f"a new child {worker}/{os.getpid()}", L_INFO)
        sock = self.dgram_sock
        while True:
            select.select([sock], [], [])
            try:
                data, peer = sock.recvfrom(DGRAM_BUF)
            except (BlockingIOError, InterruptedError):
                continue                      # another worker took it
            except OSError as e:
                self.err("jsonrpcs_sock.c:593]: jsonrpc_dgram_server()", f"recvfrom: ({e.errno}) {e.strerror}")
                continue
            if not data:
                continue
            reply = J.execute(self.program, data, pretty=bool(self.pretty_format), log=self.log)
            if reply is None:
                self.err("jsonrpcs_sock.c:622]: jsonrpc_dgram_server()",
                         "failed to execute the json document from datagram")
                continue
            if not peer or not reply.body:        # an unbound unix client cannot be answered
                continue
            try:
                sock.sendto(reply.body, peer)
            except OSError as e:
                self.err("jsonrpcs_sock.c:550]: jsonrpc_dgram_send_data()",
                         f"failed to send the response - ret: -1, len: {len(reply.body)} (0), "
                         f"err: {e.errno} - {e.strerror})")

    # ---- RPC ---------------------------------------------------------------------------------------
    def rpc_echo(self, rpc):
        """The first parameter as a string, then the second as an int (a sample command)."""
        s = rpc.str_param(0, optional=True, convert=True)
        if s is None:
            return None
        i = rpc.int_param(1, optional=True, convert=True)
        return [s] if i is None else [s, i]


class FifoReader:
    """Splits the FIFO byte stream into JSON documents the way jsonrpcs does: a document
    ends when its braces balance, counting only braces outside '...' or "..." strings (a
    quote right after a backslash does not count); at most 8191 bytes per document."""

    def __init__(self):
        self._reset()

    def _reset(self) -> None:
        self.buf = bytearray()
        self.in_str = False
        self.quote = 0
        self.depth = 0
        self.found = False

    def feed(self, data: bytes) -> list[tuple[bytes, int]]:
        """(document, 0) for each complete document; (b'', n) when one grew too large."""
        out = []
        for c in data:
            prev = self.buf[-1] if self.buf else None
            if c in (0x22, 0x27) and (not self.in_str or self.quote == c):
                if prev != 0x5C:
                    self.in_str = not self.in_str
                    self.quote = c
            elif c == 0x7B and not self.in_str:
                self.found = True
                self.depth += 1
            elif c == 0x7D and not self.in_str:
                self.depth -= 1
            self.buf.append(c)
            if len(self.buf) >= FIFO_BUF_IN - 1:
                out.append((b"", len(self.buf)))
                self._reset()
                continue
            if self.found and self.depth == 0:
                out.append((bytes(self.buf).strip(b" \t\r\n"), 0))
                self._reset()
        return out


def _write_all(fd: int, data: bytes, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([], [fd], [], left)[1]:
            raise OSError(errno.ETIMEDOUT, "the client does not read its reply FIFO")
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            continue
        view = view[n:]


def _set(name):
    return lambda st, v, p: setattr(st, name, v)


MODULE = Module(
    name="jsonrpcs",
    params={
        "pretty_format": Param(int, default=1),
        "transport": Param(int, default=6),
        "fifo_name": Param(str),
        "fifo_mode": Param(int),
        "fifo_group": Param(str),
        "fifo_user": Param(str),
        "fifo_reply_dir": Param(str),
        "dgram_socket": Param(str),
        "dgram_workers": Param(int),
        "dgram_timeout": Param(int),
        "dgram_mode": Param(int),
        "dgram_group": Param(str),
        "dgram_user": Param(str),
        S.ALLOW_REMOTE_PARAM: Param(int, apply=_set("allow_remote")),
    },
    rpc={"jsonrpc.echo": RpcCommand(State.rpc_echo, doc="Sample echo command", returns_array=True)},
    state=State,
    check=State.check,
    processes=State.processes,
    child_init=State.child_init,
    destroy=State.destroy,
)
