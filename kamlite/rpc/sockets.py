"""Socket helpers shared by the RPC modules (ctl, jsonrpcs): owners and modes of unix
socket files, the loopback rule for IP listeners, Kamailio's runtime directory."""
from __future__ import annotations

import grp
import ipaddress
import os
import pwd
import socket

RUN_DIR = "/var/run/kamailio/"       # Debian's build-time runtime_dir (RUN_DIR)


def runtime_dir(program) -> str:
    """run_dir= / rundir= from the config, else the build default."""
    return program.core.get("run_dir") or program.core.get("rundir") or RUN_DIR


def in_runtime_dir(program, name: str) -> str:
    """A relative file name goes to runtime_dir, as jsonrpcs places its FIFO and socket."""
    if name.startswith("/"):
        return name
    rd = runtime_dir(program)
    return rd + ("" if rd.endswith("/") else "/") + name


def _account_id(name: str, lookup, what: str) -> int:
    if name.isdigit():
        return int(name)
    try:
        return lookup(name)[2]                 # pw_uid / gr_gid
    except KeyError:
        raise ValueError(f"bad {what} name/{what[0]}id number {name}") from None


def user_id(name: str) -> int:
    """A user name or uid number (Kamailio's user2uid); ValueError if unknown."""
    return _account_id(name, pwd.getpwnam, "user")


def group_id(name: str) -> int:
    """A group name or gid number (Kamailio's group2gid); ValueError if unknown."""
    return _account_id(name, grp.getgrnam, "group")


def set_owner_mode(path: str, mode: int, uid: int, gid: int) -> None:
    """chmod (unless mode is 0), then chown what was asked (-1 keeps it)."""
    if mode:
        os.chmod(path, mode)
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid)


def bind_unix(path: str, kind: int, mode: int, uid: int, gid: int) -> socket.socket:
    """A unix socket bound at path (an old file there is removed first, as Kamailio does)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, kind)
    try:
        s.bind(path)
        set_owner_mode(path, mode, uid, gid)
        if kind == socket.SOCK_STREAM:
            s.listen(128)
        s.setblocking(False)
    except OSError:
        s.close()
        raise
    return s


def resolve(host: str, port: int, kind: int) -> tuple:
    """(family, sockaddr) for host ('*' or '' = every IPv4 address)."""
    if host in ("", "*"):
        return socket.AF_INET, ("0.0.0.0", port)
    h = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    info = socket.getaddrinfo(h, port, 0, kind)[0]
    return info[0], info[4]


def is_loopback(sockaddr: tuple) -> bool:
    try:
        return ipaddress.ip_address(sockaddr[0].split("%", 1)[0]).is_loopback
    except ValueError:
        return False


ALLOW_REMOTE_PARAM = "kamlite_allow_remote"


def refuse_remote_text(module: str, what: str, prefix: bool = True) -> str:
    return ((f"{module}: " if prefix else "") +
            f"refusing to serve RPC on {what}: not a loopback address, and RPC gives "
            f"full control of the server. Listen on 127.0.0.1 (or a unix socket), or set "
            f"modparam(\"{module}\", \"{ALLOW_REMOTE_PARAM}\", 1) (kamlite only) to allow it")


def surely_remote(host: str) -> bool:
    """Known without a DNS lookup to be a non-loopback address ('*', or an IP literal):
    kamlite -c reports those; host names are checked when the server starts."""
    if host in ("", "*"):
        return True
    h = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return not ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def bind_ip(host: str, port: int, kind: int, allow_remote: bool, module: str, what: str) -> socket.socket:
    """An IP socket bound (and listening for TCP); refuses non-loopback addresses unless
    allowed (ValueError with the reason)."""
    try:
        family, addr = resolve(host, port, kind)
    except OSError as e:
        raise ValueError(f"{module}: bad address {host}: {e.strerror or e}") from None
    if not allow_remote and not is_loopback(addr):
        raise ValueError(refuse_remote_text(module, what))
    s = socket.socket(family, kind)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(addr)
        if kind == socket.SOCK_STREAM:
            s.listen(128)
        s.setblocking(False)
    except OSError:
        s.close()
        raise
    return s


def config_error(program, node, message: str):
    """A startup error at a config element (the modparam, or the loadmodule)."""
    from ..errors import ConfigError, Diagnostic
    loc = program.location(node) if node is not None else program.location(0)
    return ConfigError(Diagnostic(loc, message, code="rpc"))
