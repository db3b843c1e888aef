"""Core actions that read or change the SIP message (rewriteuri, sethost, force_rport ...).

They are part of the core module (kamlite/modules/core.py merges FUNCTIONS): no
loadmodule needed, and like every core action they do not set $rc.

The request URI actions are Kamailio 5.6.3's SET_*_T cases of do_action() (action.c):
the current request URI (the new one, else the received one) is parsed, rebuilt with one
part replaced, and becomes the new request URI (msg.new_uri, which forwarding uses).  The
$ru/$rU/$rd/$rp setters of the pv module run the same code.  As in Kamailio the arguments
are literals: a string for the set* actions, a number for strip/strip_tail.
"""
from __future__ import annotations

from ..cfg import nodes as N
from ..log import L_ERR, L_WARN
from ..sip.message import REPLY, cstr
from . import Arg, FixupError, Function

MAX_URI_SIZE = 1024
URI_SIP_USER_PHONE = 2

E_UNSPEC = -1


def _core(ctx, level, where, func, text):
    log = ctx.log
    if level <= log.debug:
        log.write(level, f"<core> [core/{where}]: {func}(): {text}\n")


def _action_error(ctx, where: str) -> None:
    _core(ctx, L_ERR, "action.c:1533", "do_action", f"run action error at: {where}")


def _current_uri_text(msg) -> str:
    """What do_action() prints as the bad URI: the new URI, else the received one read as a
    C string — up to the end of the buffer (a reply has its status code there)."""
    if msg.new_uri is not None:
        return cstr(msg.new_uri)
    buf = msg.buf
    i = 0
    while i < len(buf) and buf[i] in "\n\r\0\t ":
        i += 1
    if msg.type == REPLY:
        start = i + 8                               # after "SIP/2.0 "
    else:
        start = i + len(msg.method or "") + 1
    return cstr(buf[start:])


def _last_transport(params: str, transport: str) -> int:
    """Offset in the parameters of the transport parameter parse_uri() kept (the last one)."""
    pos = -1
    i = params.find(transport)
    while i >= 0:
        if i == 0 or params[i - 1] == ";":
            pos = i
        i = params.find(transport, i + 1)
    return pos


def rewrite_ruri(ctx, kind: str, value, where: str) -> int:
    """do_action() for SET_URI_T ("uri"), SET_HOST_T ("host"), SET_HOSTPORT_T ("hostport"),
    SET_HOSTPORTTRANS_T ("hostporttrans"), SET_USER_T ("user"), SET_USERPASS_T ("userpass"),
    SET_PORT_T ("port"), PREFIX_T ("prefix"), STRIP_T ("strip"), STRIP_TAIL_T ("strip_tail")
    and SET_USERPHONE_T ("userphone").  `where` is "file:line" for the error line (":0"
    when a PV setter runs it).  Returns 1, or a negative error after Kamailio's log lines."""
    msg = ctx.msg
    if msg is None:
        return E_UNSPEC
    if kind == "uri":
        msg.set_ruri(value)
        return 1
    u = msg.parsed_ruri()
    if u is None:
        _core(ctx, L_ERR, "action.c:788", "do_action", f"bad uri <{_current_uri_text(msg)}>, dropping packet")
        _action_error(ctx, where)
        return E_UNSPEC
    utype = u.type
    phone = bool(u.flags & URI_SIP_USER_PHONE)
    host_kind = kind in ("host", "hostport", "hostporttrans")
    if kind == "userphone" and (utype in ("tel", "tels") or u.user_param_val == "phone"):
        return 1
    if kind == "port" and utype in ("tel", "tels") and not phone:
        _core(ctx, L_ERR, "action.c:810", "do_action", "port number of a tel: URI cannot be set")
        _action_error(ctx, where)
        return E_UNSPEC
    # scheme: kept, except that a tel: URI whose host is set (or a sip: one with
    # user=phone, which Kamailio parses as tel) becomes sip:
    if utype in ("sip", "sips"):
        scheme = utype
    elif utype == "tel":
        scheme = "sip" if (phone or host_kind) else "tel"
    elif utype == "tels":
        scheme = "sips" if (phone or host_kind) else "tels"
    else:
        _core(ctx, L_ERR, "action.c:866", "do_action", "Unsupported URI scheme (5), reverted to sip:")
        scheme = "sip"
    out = [scheme, ":"]
    has_user = False
    if kind == "prefix":
        out.append(value)
        has_user = True
    user = u.user or ""
    if kind in ("user", "userpass"):
        part = value
    elif kind in ("strip", "strip_tail"):
        n = value
        if n > len(user):
            what = "strip" if kind == "strip" else "strip_tail"
            sep = " " if kind == "strip" else "  "
            _core(ctx, L_WARN, "action.c:%d" % (892 if kind == "strip" else 903), "do_action",
                  f"too long {what} asked;{sep}deleting username: {n} of <{user}>")
            part = ""
        elif n == len(user):
            part = ""
        else:
            part = user[n:] if kind == "strip" else user[:len(user) - n]
    else:
        part = user
    if part:
        out.append(part)
        has_user = True
    if kind != "userpass" and u.passwd is not None and has_user:
        out.append(":" + u.passwd)
    if utype in ("tel", "tels") and u.params is not None:
        out.append(";" + u.params)
    # host
    if host_kind:
        host = value
    elif utype in ("sip", "sips") or phone:
        host = u.host
    else:
        host = None
    if host is not None:
        if has_user:
            out.append("@")
        out.append(host)
    # port
    if kind in ("hostport", "hostporttrans"):
        port = None
    elif kind == "port":
        port = value if value else None
    else:
        port = u.port
    if port is not None:
        out.append(":" + port)
    # parameters
    params = u.sip_params
    if kind == "hostporttrans" and params is not None and u.transport is not None:
        at = _last_transport(params, u.transport)
        if at > 0:
            out.append(";" + params[:at - 1])
        after = params[at + len(u.transport):] if at >= 0 else ""
        if after:
            out.append(after)
    elif params is not None:
        out.append(";" + params)
    if (utype in ("tel", "tels") and not phone and host_kind) or kind == "userphone":
        out.append(";user=phone")
    if u.headers is not None:
        out.append("?" + u.headers)
    new = "".join(out)
    if len(new) > MAX_URI_SIZE:
        _core(ctx, L_ERR, "action.c:1526", "do_action", "set*: uri too long")
        _core(ctx, L_ERR, "action.c:1528", "do_action", f"run action error at: {where}")
        return E_UNSPEC
    msg.set_ruri(new)
    return 1


# ---- fixups: Kamailio's grammar takes literals only ----------------------------------------------
def _where(program, node) -> str:
    loc = program.location(node.end - 1 if node.end > node.pos else node.pos)
    return f"{loc.file}:{loc.line}"


def _string_arg(program, node, args):
    arg = node.args[0]
    if type(arg) is not N.Str:
        raise FixupError("bad argument, string expected")
    return [cstr(args[0]), _where(program, node)]


def _number_arg(program, node, args):
    arg = node.args[0]
    if type(arg) is not N.Int or args[0] < 0:
        raise FixupError("bad argument, number expected")
    return [args[0], _where(program, node)]


def _no_arg(program, node, args):
    return [_where(program, node)]


def _rewrite(kind):
    def action(ctx, value, where):
        return rewrite_ruri(ctx, kind, value, where)
    action.__name__ = f"set_{kind}"
    return action


def userphone(ctx, where):
    return rewrite_ruri(ctx, "userphone", None, where)


def revert_uri(ctx, where):
    msg = ctx.msg
    if msg is not None and msg.new_uri is not None:
        msg.set_ruri(None)
    return 1


def force_rport(ctx, where):
    if ctx.msg is not None:
        ctx.msg.force_rport = True
    return 1


SND_F_FORCE_CON_REUSE = 1
SND_F_CON_CLOSE = 2


def set_forward_no_connect(ctx, where):
    if ctx.msg is not None:
        ctx.msg.send_flags |= SND_F_FORCE_CON_REUSE
    return 1


def set_forward_close(ctx, where):
    if ctx.msg is not None:
        ctx.msg.send_flags |= SND_F_CON_CLOSE
    return 1


def set_reply_flag(ctx, where):
    """set_reply_no_connect / set_reply_close: TCP connection flags for the replies; with
    UDP only they change nothing."""
    return 1


def _str_action(fn):
    return Function(fn, args=(Arg.STR,), fixup=_string_arg, sets_rc=False)


def _int_action(fn):
    return Function(fn, args=(Arg.INT,), fixup=_number_arg, sets_rc=False)


def _void_action(fn):
    return Function(fn, args=(), fixup=_no_arg, sets_rc=False)


_SETS = {
    "uri": ("rewriteuri", "seturi"),
    "host": ("rewritehost", "sethost", "seth"),
    "hostport": ("rewritehostport", "sethostport", "sethp"),
    "hostporttrans": ("rewritehostporttrans", "sethostporttrans", "sethpt"),
    "user": ("rewriteuser", "setuser", "setu"),
    "userpass": ("rewriteuserpass", "setuserpass", "setup"),
    "port": ("rewriteport", "setport", "setp"),
    "prefix": ("prefix",),
}

FUNCTIONS: dict = {}
for _kind, _names in _SETS.items():
    for _name in _names:
        FUNCTIONS[_name] = _str_action(_rewrite(_kind))
FUNCTIONS.update({
    "strip": _int_action(_rewrite("strip")),
    "strip_tail": _int_action(_rewrite("strip_tail")),
    "userphone": _void_action(userphone),
    "revert_uri": _void_action(revert_uri),
    "force_rport": _void_action(force_rport),
    "add_rport": _void_action(force_rport),
    "set_forward_no_connect": _void_action(set_forward_no_connect),
    "set_forward_close": _void_action(set_forward_close),
    "set_reply_no_connect": _void_action(set_reply_flag),
    "set_reply_close": _void_action(set_reply_flag),
})
