"""kamlitecmd: kamcmd's command line and output, in Python (for hosts without Kamailio).

    kamlitecmd [-s address] method [args...]      one command, printed as kamcmd prints it
    kamlitecmd -s tcp:127.0.0.1:2049 ps           kamcmd's aliases (ps, psx, ls, ver, listen, who ...)
    kamlitecmd -f "%v: %v\\n" core.ps              kamcmd's -f reply format
    kamlitecmd --json mqueue.get_sizes            the reply as JSON, for scripts
    kamlitecmd                                    interactive mode

Addresses: unix:/path or unixs:/path (stream), unixd:/path, udp:host:port, tcp:host:port;
default unixs:/var/run/kamailio//kamailio_ctl.  Arguments are typed as kamcmd types them:
one that reads completely as a base-10 integer is sent as an int, else as a float if it
reads as one, else as a string; "s:" forces a string (s:5).  An argument starting with
'-' is an option, as with kamcmd.

Differences from kamcmd, on purpose: a fault exits with status 1 (kamcmd exits 0), --json
prints [value, ...] or {"error": {"code": c, "message": m}}, and a reply that does not come
within --timeout seconds (default 30) is an error instead of a wait forever.  Connection
and protocol errors exit 255, like kamcmd.
"""
from __future__ import annotations

import errno
import getopt
import json
import os
import random
import select
import socket
import sys

from . import __version__
from .rpc import binrpc as B

NAME = "kamlitecmd"
DEFAULT_SOCKET = "unixs:/var/run/kamailio//kamailio_ctl"
MAX_REPLY_SIZE = 128 * 1024
MAX_ARGS = 256
EXIT_ERROR = 255

ALIASES = {                          # kamcmd's shortcuts: (method, reply format)
    "ps": ("core.ps", "%v\t%v\n"),
    "psx": ("core.psx", None),
    "list": ("system.listMethods", None),
    "ls": ("system.listMethods", None),
    "ver": ("core.version", None),
    "version": ("core.version", None),
    "who": ("ctl.who", "[%v] %v: %v %v -> %v %v\n"),
    "listen": ("ctl.listen", "[%v] %v: %v %v\n"),
    "dns_mem_info": ("dns.mem_info", "%v / %v\n"),
}
BUILTINS = {"?": "help", "help": "displays help for a command", "version": f"displays {NAME} version",
            "quit": f"exits {NAME}", "exit": f"exits {NAME}"}

HELP = f"""Usage: {NAME} [options][-s address] [ cmd ]
Options:
    -s address  unix socket name or host name to send the commands on
    -R name     force reply socket name, for the unix datagram socket mode
    -D dir      create the reply socket in the directory <dir> if no reply
                socket is forced (-R) and a unix datagram socket is selected
                as the transport
    -f format   print the result using format. Format is a string containing
                %v at the places where values read from the reply should be
                substituted. To print '%v', escape it using '%': %%v.
    -U          a name without proto is a UDP address (default: unix stream)
    -v          Verbose
    -V          Version number
    -h          This help message
    --json      print the reply as JSON; a fault as {{"error": {{"code": .., "message": ..}}}}
    --timeout s give up waiting for a reply after s seconds (default 30)
address:
    [proto:]name[:port]   where proto is one of tcp, udp, unixs or unixd
                          e.g.:  tcp:localhost:2049 , unixs:/tmp/kamailio_ctl
cmd:
    method  [arg1 [arg2...]]
arg:
     string or number; to force a number to be interpreted as string
     prefix it by "s:", e.g. s:1
Exit status: 0 reply, 1 fault, 255 error (no connection, bad reply ...)
"""


class CmdError(Exception):
    """An error kamcmd reports on stderr before exiting 255."""


# ---- arguments (kamcmd's parse_arg) --------------------------------------------------------------
def _c_strtol_full(s: str) -> int | None:
    """strtol(s, &end, 10) when it reads all of s; the value as a C int."""
    t = s.lstrip(" \t\n\r\f\v")
    body = t[1:] if t[:1] in "+-" else t
    if not body or not body.isdigit() or not body.isascii():
        return None
    v = int(t)
    v = max(min(v, (1 << 63) - 1), -(1 << 63))          # long's range
    v &= 0xFFFFFFFF                                      # then stored in an int
    return v - (1 << 32) if v >> 31 else v


def _c_strtod_full(s: str) -> float | None:
    """strtod(s) when it reads all of s (decimal, hex, inf, nan)."""
    import re
    t = s.lstrip(" \t\n\r\f\v")
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", t):
        return float(t)
    if re.fullmatch(r"[+-]?(inf|infinity|nan(\([0-9A-Za-z_]*\))?)", t, re.I):
        return float(t.split("(")[0])
    m = re.fullmatch(r"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?)", t)
    if m:
        body = m.group(2)
        if "p" not in body.lower():
            body += "p0"
        return float.fromhex(m.group(1) + "0x" + body)
    return None


def typed_arg(arg: str):
    """kamcmd's typing: int, else float, else string ('s:' prefix removed)."""
    i = _c_strtol_full(arg)
    if i is not None:
        return i
    f = _c_strtod_full(arg)
    if f is not None:
        return f
    return arg[2:] if arg.startswith("s:") else arg


def _escape(fmt: str) -> str:
    """kamcmd's str_escape for -f: \\n \\r \\t \\\\."""
    out, i = [], 0
    while i < len(fmt):
        c = fmt[i]
        if c == "\\" and i + 1 < len(fmt) and fmt[i + 1] in "nrt\\":
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[fmt[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


# ---- the connection ---------------------------------------------------------------------------------
class Connection:
    def __init__(self, addr: B.Address, reply_socket: str | None = None, sock_dir: str | None = None):
        self.addr = addr
        self.unix_reply: str | None = None
        if addr.proto in (B.UNIXS, B.UNIXD):
            self.sock = self._unix(addr, reply_socket, sock_dir)
        else:
            self.sock = self._ip(addr)

    def _unix(self, addr, reply_socket, sock_dir) -> socket.socket:
        kind = socket.SOCK_STREAM if addr.proto == B.UNIXS else socket.SOCK_DGRAM
        s = socket.socket(socket.AF_UNIX, kind)
        if kind == socket.SOCK_DGRAM:          # bind, to get the reply
            for _try in range(11):
                path = reply_socket or f"{sock_dir or '/tmp'}/{NAME}_{random.randrange(1 << 31)}"
                try:
                    s.bind(path)
                    self.unix_reply = path
                    break
                except OSError as e:
                    if e.errno != errno.EADDRINUSE or reply_socket:
                        s.close()
                        raise CmdError(f"ERROR: could not bind the unix socket to {path}: "
                                       f"{e.strerror} ({e.errno})") from None
        try:
            s.connect(addr.name)
        except OSError as e:
            self.close_socket(s)
            raise CmdError(f"ERROR: connect_unix_sock: connect({addr.name}): {e.strerror} [{e.errno}]") from None
        return s

    def _ip(self, addr) -> socket.socket:
        try:
            host = socket.gethostbyname(addr.name)
        except OSError:
            raise CmdError(f"ERROR: could not resolve {addr.name}") from None
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if addr.proto == B.TCP else socket.SOCK_DGRAM)
        try:
            s.connect((host, addr.port or B.DEFAULT_PORT))
        except OSError as e:
            s.close()
            raise CmdError(f"ERROR: connect: {e.strerror}") from None
        return s

    def close_socket(self, s) -> None:
        s.close()
        if self.unix_reply:
            try:
                os.unlink(self.unix_reply)
            except OSError as e:
                sys.stderr.write(f"ERROR: failed to delete {self.unix_reply}: {e.strerror}\n")
            self.unix_reply = None

    def close(self) -> None:
        self.close_socket(self.sock)

    def call(self, method: str, params: list, timeout: float, verbose: int = 0) -> tuple[B.Header, bytes]:
        """Send one request, read its whole reply: (header, body)."""
        cookie = random.randrange(1 << 31)
        try:
            self.sock.sendall(B.request(method, params, cookie))
        except OSError as e:
            raise CmdError(f"ERROR: send packet failed: {e.strerror} ({e.errno})") from None
        buf = b""
        h = None
        while h is None or len(buf) < h.size + h.tlen:
            ready = select.select([self.sock], [], [], timeout)[0]
            try:
                chunk = self.sock.recv(MAX_REPLY_SIZE) if ready else None
            except OSError as e:
                raise CmdError(f"ERROR: read reply failed: {e.strerror} ({e.errno})") from None
            if chunk is None:
                raise CmdError(f"ERROR: read reply failed: no reply within {timeout:g} s "
                               f"({errno.ETIMEDOUT})")
            if not chunk:
                raise CmdError("ERROR: read reply failed: Success (0)")
            if verbose >= 3:
                sys.stdout.write(f"received {len(chunk)} bytes in reply (@offset {len(buf)}):\n")
                sys.stdout.write(hexdump(chunk))
            buf += chunk
            if h is None:
                try:
                    h = B.parse_header(buf)
                except B.BinrpcError as e:
                    if e.code == B.E_MORE_DATA:
                        continue
                    raise CmdError(f"ERROR while parsing the reply: {e}") from None
                if verbose > 1:
                    sys.stdout.write(f"new packet: type {h.type:02x}, len {h.tlen}, cookie {h.cookie:02x}\n")
                if h.cookie != cookie:
                    sys.stderr.write(f"bad reply, cookie doesn't match: sent {cookie:02x} and received  "
                                     f"{h.cookie:02x}\n")
                    raise CmdError("ERROR: cookie does not match")
                if h.size + h.tlen > MAX_REPLY_SIZE:
                    raise CmdError("ERROR: reply too big")
        return h, buf[h.size:h.size + h.tlen]


def hexdump(buf: bytes) -> str:
    """kamcmd -vvv's dump: 16 hex bytes per line, then the printable characters."""
    lines = []
    for i in range(0, len(buf), 16):
        chunk = buf[i:i + 16]
        hx = "".join(f"{b:02x} " for b in chunk).ljust(48)
        lines.append(hx + " " + "".join(chr(b) if 32 <= b < 127 else "." for b in chunk))
    return "\n".join(lines) + "\n"


# ---- printing (kamcmd's print_body) ---------------------------------------------------------------
def value_text(rec: B.Record, ident: int) -> bytes:
    if rec.type == B.T_STRUCT and not rec.end:
        ident -= 1                        # a struct's '{' sits one level out
    out = b"\t" * max(ident, 0)
    if rec.name is not None:
        out += rec.name + b": "
    t = rec.type
    if t == B.T_INT:
        out += b"%d" % rec.value
    elif t in (B.T_STR, B.T_BYTES):
        out += rec.value
    elif t == B.T_ARRAY:
        out += b"]" if rec.end else b"["
    elif t == B.T_STRUCT:
        out += b"}" if rec.end else b"{"
    elif t == B.T_DOUBLE:
        f = rec.value
        out += (b"%d" % int(f)) if f == f and abs(f) != float("inf") and f == int(f) else (b"%f" % f)
    return out


def _parse_fmt(fmt: str, i: int) -> tuple[int, bool, int]:
    """From fmt[i]: (end of the literal text, a %v follows, where to continue)."""
    j = i
    while j < len(fmt):
        if fmt[j] == "%" and fmt[j + 1:j + 2] == "v":
            return j, True, j + 2
        if fmt[j] == "%" and fmt[j + 1:j + 2] == "%":
            return j + 1, False, j + 2          # '%%' prints one '%'
        j += 1
    return j, False, j


def print_body(body: bytes, fmt: str | None, out, err) -> bool:
    """Print a reply body as kamcmd does; False after a parse error (reported on err)."""
    r = B.Reader(body, smode=1)
    f = 0
    has_values = False
    rec_no = 0
    enc = "latin-1"
    while not r.at_end():
        if fmt is not None:
            while True:
                if f >= len(fmt):
                    f = 0
                lit_end, is_value, nxt = _parse_fmt(fmt, f)
                out.write(fmt[f:lit_end].encode(enc, "replace"))
                f = nxt
                if is_value:
                    has_values = True
                    break
                if not (f < len(fmt) or has_values):
                    break
        try:
            rec = r.read()
        except B.BinrpcError as e:
            if fmt is not None:
                out.write(b"\n")
            if e.code == B.E_EOP:
                out.write(b"end of message detected\n")
                break
            byte = body[r.pos] if r.pos < len(body) else 0
            err.write(f"ERROR:: while parsing the record {rec_no}, @{r.offset}: {byte:02x} : {e}\n")
            return False
        rec_no += 1
        if fmt is not None:
            out.write(value_text(rec, 0))
        else:
            out.write(value_text(rec, r.in_struct + r.in_array) + b"\n")
    if fmt is not None:
        while f < len(fmt):                    # the rest of the format, without values
            lit_end, _v, nxt = _parse_fmt(fmt, f)
            out.write(fmt[f:lit_end].encode(enc, "replace"))
            f = nxt
    return True


def _json_text(v):
    """Strings come as bytes (latin-1 str): UTF-8 when they are, else latin-1."""
    if isinstance(v, str):
        b = v.encode("latin-1")
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return v
    if isinstance(v, list):
        return [_json_text(x) for x in v]
    if isinstance(v, dict):
        return {_json_text(k): _json_text(x) for k, x in v.items()}
    return v


# ---- running commands ----------------------------------------------------------------------------
class Cli:
    def __init__(self, conn: Connection, fmt: str | None, as_json: bool, verbose: int, timeout: float):
        self.conn = conn
        self.fmt = fmt
        self.as_json = as_json
        self.verbose = verbose
        self.timeout = timeout
        self.out = sys.stdout.buffer
        self.err = sys.stderr

    def run(self, words: list[str]) -> int:
        """One command: 0 reply, 1 fault, 255 error."""
        method, args = words[0], words[1:]
        if len(args) > MAX_ARGS:
            self.err.write(f"ERROR: too many args {len(args)}, only {MAX_ARGS} allowed\n")
            return EXIT_ERROR
        fmt = self.fmt
        if method in ALIASES:
            method, alias_fmt = ALIASES[method]
            fmt = fmt if fmt is not None else alias_fmt
        if method in BUILTINS:
            return self.builtin(method, args)
        return self.call(method, [typed_arg(a) for a in args], fmt)

    def call(self, method: str, params: list, fmt: str | None) -> int:
        try:
            h, body = self.conn.call(method, params, self.timeout, self.verbose)
        except CmdError as e:
            self.err.write(f"{e}\n")
            return EXIT_ERROR
        if self.as_json:
            return self._json(h, body)
        if h.type == B.FAULT:
            self.out.write(b"error: ")
            ok = print_body(body, "%v - %v\n", self.out, self.err)
            code = 1 if ok else EXIT_ERROR
        elif h.type == B.REPL:
            code = 0 if print_body(body, fmt, self.out, self.err) else EXIT_ERROR
        else:
            self.err.write("ERROR: not a reply\n")
            return EXIT_ERROR
        if self.verbose:
            self.out.write(b".\n")
        self.out.flush()
        return code

    def _json(self, h: B.Header, body: bytes) -> int:
        try:
            values = B.decode_values(body)
        except B.BinrpcError as e:
            self.err.write(f"ERROR while parsing the reply: {e}\n")
            return EXIT_ERROR
        if h.type == B.FAULT:
            code = values[0] if values and isinstance(values[0], int) else 0
            msg = values[1] if len(values) > 1 else ""
            doc, status = {"error": {"code": code, "message": _json_text(msg)}}, 1
        elif h.type == B.REPL:
            doc, status = _json_text(values), 0
        else:
            self.err.write("ERROR: not a reply\n")
            return EXIT_ERROR
        self.out.write((json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8"))
        self.out.flush()
        return status

    def builtin(self, name: str, args: list[str]) -> int:
        w = self.out.write
        if name in ("quit", "exit"):
            raise EOFError
        if name == "version":
            w(f"{NAME} {__version__}\n".encode())
            return 0
        if args:                                  # help <command>
            a = args[0]
            if a in ALIASES:
                method, fmt = ALIASES[a]
                shown = "" if fmt is None else ' with reply formatting: "' + \
                    fmt.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r") + '"'
                w(f"{a} is an alias for {method}{shown}\n".encode())
                return 0
            if a in BUILTINS:
                w(f"builtin command: {BUILTINS[a]}\n".encode())
                return 0
            return self.call("system.methodHelp", [typed_arg(a)], None)
        try:
            h, body = self.conn.call("system.listMethods", [], self.timeout)
            methods = B.decode_values(body) if h.type == B.REPL else []
        except (CmdError, B.BinrpcError) as e:
            self.err.write(f"{e}\n")
            return EXIT_ERROR
        for m in methods:
            if isinstance(m, str):
                w(m.encode("latin-1") + b"\n")
        for a in ALIASES:
            w(f"alias: {a}\n".encode())
        for b in BUILTINS:
            w(f"builtin: {b}\n".encode())
        return 0

    def interactive(self) -> int:
        self.out.write(f"{NAME} {__version__}\n".encode())
        self.out.flush()
        while True:
            try:
                line = input(f"{NAME}> ")
            except EOFError:
                return 0
            words = line.split()
            if not words:
                continue
            try:
                self.run(words)
            except EOFError:
                return 0
            self.out.flush()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        opts, rest = getopt.gnu_getopt(argv, "UVhs:D:R:vf:", ["json", "timeout=", "help", "version"])
    except getopt.GetoptError as e:
        if e.opt and len(e.opt) == 1 and "requires argument" in e.msg:
            sys.stderr.write(f"Option `-{e.opt}' requires an argument.\n")
        elif e.opt and len(e.opt) == 1:
            sys.stderr.write(f"Unknown option `-{e.opt}'.\n")
        else:
            sys.stderr.write(f"{e.msg}\n")
        return EXIT_ERROR
    sock_name, default_proto, fmt, verbose = None, B.UNIXS, None, 0
    reply_socket = sock_dir = None
    as_json, timeout = False, 30.0
    for o, v in opts:
        if o in ("-V", "--version"):
            print(f"version: {NAME} {__version__} (kamcmd compatible)")
            return 0
        if o in ("-h", "--help"):
            print(f"version: {NAME} {__version__}\n{HELP}", end="")
            return 0
        if o == "-s":
            sock_name = v
        elif o == "-R":
            reply_socket = v
        elif o == "-D":
            sock_dir = v
        elif o == "-U":
            default_proto = B.UDP
        elif o == "-v":
            verbose += 1
        elif o == "-f":
            fmt = _escape(v)
        elif o == "--json":
            as_json = True
        elif o == "--timeout":
            try:
                timeout = float(v)
            except ValueError:
                sys.stderr.write(f"ERROR: bad --timeout {v}\n")
                return EXIT_ERROR
    sock_name = sock_name or DEFAULT_SOCKET
    addr = B.parse_address(sock_name, default_proto)
    if addr is None:
        sys.stderr.write(f"ERROR: error parsing server socket address {sock_name}\n")
        return EXIT_ERROR
    try:
        conn = Connection(addr, reply_socket, sock_dir)
    except CmdError as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_ERROR
    try:
        cli = Cli(conn, fmt, as_json, verbose, timeout)
        if rest:
            try:
                return cli.run(rest)
            except EOFError:
                return 0
        return cli.interactive()
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
