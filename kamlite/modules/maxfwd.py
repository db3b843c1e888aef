"""maxfwd: the Max-Forwards header (Kamailio's maxfwd module).

    if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
    if (is_maxfwd_lt("3")) ...
    modparam("maxfwd", "max_limit", 70)

mf_process_maxfwd_header(limit) returns 2 when the request has no Max-Forwards (a
"Max-Forwards: <limit>" header is then inserted before the first header, as a lump),
-1 when its value is 0, 1 after decrementing it, -2 on a parse error.  Like Kamailio, the
decrement is written into the received buffer itself, right-aligned in the digits'
place ("10" becomes " 9"): the script sees the new value ($hdr(Max-Forwards) gives
" 9"), a second call decrements again, and a value above max_limit becomes max_limit.
"""
from __future__ import annotations

from ..log import L_ERR
from ..sip.message import HDR_MAXFORWARDS
from . import BRANCH_ROUTE, FAILURE_ROUTE, REQUEST_ROUTE, Arg, Function, Module, Param

MOD = "maxfwd"


class State:
    def __init__(self, program):
        self.program = program
        self.max_limit = 70


def _log(ctx, line: int, cfile: str, func: str, text: str) -> None:
    log = ctx.log
    if L_ERR <= log.debug:
        log.write(L_ERR, f"maxfwd [{cfile}:{line}]: {func}(): {text}\n")


def _str2s(s: str):
    """Core str2s(): an unsigned short from digits only (at most 5), None on error."""
    v = 0
    n = 0
    for c in s:
        if not "0" <= c <= "9":
            return None
        v = (v * 10 + ord(c) - 48) & 0xFFFF
        n += 1
        if n > 5:
            return None
    return v


def _value_span(msg, h):
    """(offset, text) of the header's value in the buffer, blanks trimmed."""
    buf = msg.buf
    colon = buf.find(":", h.start + len(h.name), h.end)
    start = buf.find(h.body, colon + 1, h.end) if h.body else colon + 1
    if start < 0:
        start = colon + 1
    body = h.body
    lead = len(body) - len(body.lstrip(" \t\r\n"))
    value = body.strip(" \t\r\n")
    return start + lead, value


def is_maxfwd_present(ctx, msg):
    """(value or -1 when absent, -2 on error, header)."""
    h = msg.first(HDR_MAXFORWARDS)
    if h is None:
        if msg.parse_failed:
            _log(ctx, 51, "mf_funcs.c", "is_maxfwd_present", "parsing MAX_FORWARD header failed!")
            return -2, None
        return -1, None
    if isinstance(h.parsed, int):              # already read (and maybe decremented)
        return h.parsed, h
    _off, value = _value_span(msg, h)
    x = _str2s(value)
    if x is None:
        _log(ctx, 69, "mf_funcs.c", "is_maxfwd_present", "unable to parse the max forwards number")
        return -2, h
    h.parsed = x
    return x, h


def _decrement(msg, h, x: int) -> None:
    """decrement_maxfwd(): the new value written over the old digits, blank-padded."""
    x -= 1
    h.parsed = x
    off, value = _value_span(msg, h)
    n = len(value)
    digits = str(x)[-n:] if n else ""
    new = digits.rjust(n)
    buf = msg.buf
    msg.buf = buf[:off] + new + buf[off + n:]
    bstart = off - (len(h.body) - len(h.body.lstrip(" \t\r\n")))
    h.body = msg.buf[bstart:bstart + len(h.body)]


def process_maxfwd(state: State, ctx, limit_of) -> int:
    msg = ctx.msg
    limit = limit_of(ctx)
    if limit < 0 or limit > 255:
        _log(ctx, 126, "maxfwd.c", "process_maxfwd_header", f"invalid param value: {limit}")
        return -1
    val, h = is_maxfwd_present(ctx, msg)
    if val == -1:
        if not msg.headers:
            return -2
        msg.add_lump(msg.headers[0].start, before=f"Max-Forwards: {limit}\r\n")
        return 2
    if val == -2:
        return -2
    if val == 0:
        return -1
    if val > state.max_limit:
        val = state.max_limit + 1
    _decrement(msg, h, val)
    return 1


def is_maxfwd_lt(state: State, ctx, limit_of) -> int:
    msg = ctx.msg
    limit = limit_of(ctx)
    if limit < 0 or limit > 255:
        _log(ctx, 183, "maxfwd.c", "ki_is_maxfwd_lt", f"invalid param value: {limit}")
        return -1
    val, _h = is_maxfwd_present(ctx, msg)
    if val < 0:
        return val - 1
    if val >= limit:
        return -1
    return 1


def _process():
    return Function(process_maxfwd, args=(Arg.INTPV,), route_types=REQUEST_ROUTE)


def _lt():
    return Function(is_maxfwd_lt, args=(Arg.INTPV,), route_types=REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE)


MODULE = Module(
    name=MOD,
    params={"max_limit": Param(int, default=70)},
    functions={
        "mf_process_maxfwd_header": _process(),
        "maxfwd_process": _process(),
        "process_maxfwd": _process(),
        "is_maxfwd_lt": _lt(),
        "maxfwd_at_least": _lt(),
        "mf_lowlimit": _lt(),
    },
    state=State,
    doc="Max-Forwards processing",
)
