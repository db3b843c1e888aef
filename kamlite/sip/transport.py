"""Listening sockets and UDP transport.

Sockets are made and bound in the main process before the workers fork, so every
`children` worker of a socket shares the one kernel socket, as Kamailio's do (the kernel
hands each datagram to one blocked recvfrom).  TCP/TLS listen lines are accepted and
reported, not served.
"""
from __future__ import annotations

import dataclasses
import fcntl
import ipaddress
import socket
import struct

from ..log import L_ERR

PROTOS = ("udp", "tcp", "tls", "sctp", "ws", "wss")
PROTO_NUMBERS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}
MAXBUFFER = 262144                   # Kamailio's default for the maxbuffer core param


class ListenError(ValueError):
    pass


@dataclasses.dataclass
class SocketInfo:
    """One listening socket (Kamailio's struct socket_info)."""
    proto: str                       # "udp", "tcp" ...
    address: str                     # IP address, as text ("127.0.0.1", "::1")
    port: int
    name: str = ""                   # host as written in listen= (may be a name)
    sockname: str = ""               # name "..." attribute
    adv_host: str | None = None      # advertise host[:port]
    adv_port: int | None = None
    sock: socket.socket | None = None

    @property
    def is_ipv6(self) -> bool:
        return ":" in self.address

    @property
    def address_str(self) -> str:
        """How the address is printed in SIP (IPv6 in brackets)."""
        return f"[{self.address}]" if self.is_ipv6 else self.address

    @property
    def port_str(self) -> str:
        return str(self.port)

    @property
    def via_host(self) -> str:
        return self.adv_host if self.adv_host else self.address_str

    @property
    def via_port(self) -> str:
        if self.adv_host:
            return str(self.adv_port) if self.adv_port else self.port_str
        return self.port_str

    @property
    def description(self) -> str:
        """'127.0.0.1:5060' as the process table shows it."""
        return f"{self.address_str}:{self.port}"

    @property
    def full_name(self) -> str:
        """'udp:127.0.0.1:5060' ($Ri/$Rp style socket string)."""
        return f"{self.proto}:{self.address_str}:{self.port}"


class ReceiveInfo:
    """Where a datagram came from and on which socket (Kamailio's receive_info)."""
    __slots__ = ("src_ip", "src_port", "dst_ip", "dst_port", "proto", "socket")

    def __init__(self, src_ip, src_port, sock: SocketInfo):
        self.src_ip = src_ip
        self.src_port = src_port
        self.dst_ip = sock.address
        self.dst_port = sock.port
        self.proto = sock.proto
        self.socket = sock


# ---- listen= lines --------------------------------------------------------------------------------
def parse_listen(text: str, default_port: int = 5060) -> list[SocketInfo]:
    """'udp:127.0.0.1:5060 advertise 1.2.3.4:5080 name "x"' -> [SocketInfo]; an interface
    name or a host name gives one socket per address."""
    words = _split_words(text)
    if not words:
        raise ListenError("empty listen value")
    spec = words[0]
    adv_host = adv_port = None
    sockname = ""
    i = 1
    while i < len(words):
        w = words[i].lower()
        if w == "advertise" and i + 1 < len(words):
            adv_host, adv_port = _host_port(words[i + 1], None)
            i += 2
        elif w == "name" and i + 1 < len(words):
            sockname = words[i + 1].strip('"')
            i += 2
        elif w == "virtual":
            i += 1
        else:
            raise ListenError(f"unexpected '{words[i]}' in listen value")
    proto = "udp"
    rest = spec
    head, sep, tail = spec.partition(":")
    if sep and head.lower() in PROTOS + ("any",):
        proto = head.lower()
        rest = tail
    host, port = _host_port(rest, default_port)
    if "-" in str(port):
        raise ListenError("port ranges are not supported")
    protos = ("udp", "tcp") if proto == "any" else (proto,)
    out = []
    for address in _addresses(host):
        for pr in protos:
            out.append(SocketInfo(pr, address, port, name=host, sockname=sockname,
                                  adv_host=adv_host, adv_port=adv_port))
    return out


def _split_words(text: str) -> list[str]:
    out, cur, quoted = [], "", False
    for c in text:
        if c == '"':
            quoted = not quoted
            cur += c
        elif c.isspace() and not quoted:
            if cur:
                out.append(cur)
                cur = ""
        else:
            cur += c
    if cur:
        out.append(cur)
    return out


def _host_port(text: str, default_port):
    text = text.strip('"')
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ListenError(f"bad IPv6 reference {text}")
        host, rest = text[1:end], text[end + 1:]
        if rest.startswith(":"):
            return host, _port(rest[1:])
        if rest:
            raise ListenError(f"bad address {text}")
        return host, default_port
    if text.count(":") > 1:             # bare IPv6 address
        return text, default_port
    host, sep, port = text.partition(":")
    return host, (_port(port) if sep else default_port)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ListenError(f"bad port {text}")
    return int(text)


def _addresses(host: str) -> list[str]:
    """IP addresses for a listen host: an address, '*' (every local IPv4 address), an
    interface name, or a host name."""
    if host in ("*", ""):
        return local_addresses()
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    addr = _interface_address(host)
    if addr:
        return [addr]
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_DGRAM)
    except socket.gaierror:
        raise ListenError(f"cannot resolve {host}") from None
    return sorted({i[4][0] for i in infos})


def _interface_address(name: str) -> str | None:
    try:
        names = [n for _i, n in socket.if_nameindex()]
    except OSError:
        return None
    if name not in names:
        return None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name[:15].encode()))  # SIOCGIFADDR
        return socket.inet_ntoa(packed[20:24])
    except OSError:
        return None
    finally:
        s.close()


def local_addresses() -> list[str]:
    """Every IPv4 address of the machine's interfaces (Kamailio's auto-bind)."""
    out = []
    try:
        names = [n for _i, n in socket.if_nameindex()]
    except OSError:
        names = []
    for n in names:
        a = _interface_address(n)
        if a and a not in out:
            out.append(a)
    return out or ["127.0.0.1"]


# ---- the socket table -------------------------------------------------------------------------------
class Sockets:
    """The server's listening sockets and its aliases ('myself')."""

    def __init__(self, listen: list[SocketInfo], aliases: list[tuple[str, int | None]],
                 rcvbuf: int = MAXBUFFER):
        self.listen = listen
        self.rcvbuf = rcvbuf
        self.udp = [s for s in listen if s.proto == "udp"]
        self.aliases = aliases

    @classmethod
    def from_program(cls, program) -> "Sockets":
        port = int(program.core.get("port") or 5060)
        listen: list[SocketInfo] = []
        for text in program.listen or ["udp:*"]:
            for si in parse_listen(text, port):
                if not any(o.proto == si.proto and o.address == si.address and o.port == si.port
                           for o in listen):
                    listen.append(si)
        aliases = []
        for text in program.aliases:
            for w in _split_words(text):
                spec = w.split(":", 1)[1] if w.split(":", 1)[0].lower() in PROTOS else w
                host, p = _host_port(spec, None)
                aliases.append((host.lower(), p))
        return cls(listen, aliases, int(program.core.get("maxbuffer") or MAXBUFFER))

    def bind(self, log=None) -> bool:
        """Create and bind the UDP sockets (main process, before forking); False (logged
        as Kamailio logs it) when one cannot be bound."""
        for si in self.udp:
            fam = socket.AF_INET6 if si.is_ipv6 else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            except OSError:
                pass
            try:
                s.bind((si.address, si.port))
            except OSError as e:
                if log is not None and L_ERR <= log.debug:
                    log.write(L_ERR, f"<core> [core/udp_server.c:402]: udp_init(): bind({s.fileno()}, "
                                     f"0x7f0000000000, {28 if si.is_ipv6 else 16}) on {si.address}: {e.strerror}\n")
                s.close()
                self.close()
                return False
            si.sock = s
        return True

    def close(self) -> None:
        for si in self.udp:
            if si.sock is not None:
                si.sock.close()
                si.sock = None

    def first(self) -> SocketInfo | None:
        """get_first_socket(): the first UDP socket (sl's to-tag uses it)."""
        return self.udp[0] if self.udp else (self.listen[0] if self.listen else None)

    def is_myself(self, host: str, port: int | None) -> bool:
        """check_self(): host and port name one of our sockets or aliases (port 0 or None:
        any port)."""
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        h = host.lower()
        for si in self.listen:
            if (not port or port == si.port) and (h == si.address.lower() or h == si.name.lower()
                                                  or (si.adv_host and h == si.adv_host.lower())):
                return True
        for ah, ap in self.aliases:
            if h == ah and (not port or ap is None or ap == port):
                return True
        return False

    def is_myself_ip(self, ip: str) -> bool:
        return self.is_myself(ip, 0)

    def send_socket(self, ip: str) -> SocketInfo | None:
        """get_send_socket(): a UDP socket of the destination's address family."""
        v6 = ":" in ip
        for si in self.udp:
            if si.is_ipv6 == v6:
                return si
        return None


def resolve(host: str, port: int | None):
    """(ip, port) for a SIP destination host (no SRV/NAPTR: A/AAAA only); None if unknown."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host)), port or 5060
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError):
        return None
    for fam in (socket.AF_INET, socket.AF_INET6):
        for info in infos:
            if info[0] == fam:
                return info[4][0], port or 5060
    return None


def send_udp(si: SocketInfo, data: bytes, ip: str, port: int, log=None) -> bool:
    try:
        si.sock.sendto(data, (ip, port))
        return True
    except OSError as e:
        if log is not None and L_ERR <= log.debug:
            log.write(L_ERR, f"<core> [core/udp_server.c:597]: udp_send(): sendto(sock, buf: 0x0, len: {len(data)}, 0, "
                             f"dst: ({ip}:{port}), tolen: 16) - err: {e.strerror} ({e.errno})\n")
        return False
