"""sl: stateless replies (Kamailio's sl module).

sl_send_reply / sl_reply / send_reply build the reply from the request (see
kamlite.sip.reply) and send it back where the request came from.  Replies of code >= 180
get sl's to-tag: MD5 of "KAMAILIO-stateless" and the first listening socket, a '.', and a
CRC of the first Via and the Call-ID.  An ACK carrying such a tag, arriving within two
seconds of a stateless reply, is absorbed before the script runs (sl_filter_ACK).
"""
from __future__ import annotations

import binascii
import hashlib
import time

from ..log import L_ERR
from ..sip.message import METHODS, Message
from ..sip.receive import sip_core
from ..sip.reply import build_reply
from . import FAILURE_ROUTE, ONREPLY_ROUTE, REQUEST_ROUTE, Arg, Function, Module, Param

SIGNATURE = "KAMAILIO-stateless"
ACK = METHODS["ACK"]
RPL_WAIT = 2.0                    # SL_RPL_WAIT_TIME: how long a local ACK is expected


class State:
    def __init__(self, program):
        self.program = program
        self.default_code = 500
        self.default_reason = "Internal Server Error"
        self.tag_prefix = None
        self._stamp = None          # shm word: when the last reply left (centiseconds)

    def prefix(self) -> str:
        if self.tag_prefix is None:
            first = sip_core(self.program).sockets.first()
            src = SIGNATURE + (first.address_str + first.port_str if first else "")
            self.tag_prefix = hashlib.md5(src.encode("latin-1")).hexdigest() + "."
        return self.tag_prefix

    def stamp_reply(self) -> None:
        if self._stamp is not None:
            self.program.shm.w[self._stamp] = int(time.monotonic() * 100) & 0xFFFFFFFF

    def recent_reply(self) -> bool:
        if self._stamp is None:
            return False
        then = self.program.shm.w[self._stamp]
        now = int(time.monotonic() * 100) & 0xFFFFFFFF
        return (now - then) & 0xFFFFFFFF < RPL_WAIT * 100


def mod_init(state: State, program) -> None:
    state._stamp = program.shm.alloc_words(1) >> 2
    program.shm.w[state._stamp] = (int(time.monotonic() * 100) - 1000) & 0xFFFFFFFF
    sip_core(program).request_filters.append(lambda msg: filter_ack(state, msg))


# ---- the to-tag ---------------------------------------------------------------------------------
# Kamailio's crcitt is the reflected CRC-CCITT (0x8408, init 0xFFFF, inverted); binascii's
# crc_hqx is the same polynomial unreflected, so reflect the bytes in and the result out.
_REV8 = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _crc_reverse_hex(parts) -> str:
    """crcitt_string_array(): the CRC of the parts as 4 hex digits, least significant first."""
    crc = binascii.crc_hqx("".join(parts).encode("latin-1").translate(_REV8), 0xFFFF)
    crc = ~((_REV8[crc & 0xFF] << 8) | _REV8[crc >> 8]) & 0xFFFF
    return f"{crc:04x}"[::-1]


def crc_suffix(msg: Message) -> str:
    v = msg.via1
    port = v.port_str or ""
    branch = v.branch.value if v.branch is not None and v.branch.value is not None else None
    first = [v.host, port] + ([branch] if branch is not None else [])
    callid = msg.callid
    second = [port, v.host] + ([callid] if callid is not None else [])
    return _crc_reverse_hex(first) + _crc_reverse_hex(second)


def to_tag(state: State, msg: Message) -> str:
    return state.prefix() + crc_suffix(msg)


# ---- sending --------------------------------------------------------------------------------------
def send_sl_reply(state: State, msg: Message, code: int, reason: str) -> int:
    """sl_reply_helper(): 1 when sent, -1 on failure (nothing is sent for an ACK)."""
    if msg.method_value == ACK:
        return -1
    tag = None
    if code >= 180:
        to = msg.to_body()
        if to is not None and not to.tag:
            tag = to_tag(state, msg)
    sip = sip_core(state.program)
    text = build_reply(msg, code, reason, tag, server_header=sip.server_header)
    if text is None:
        return -1
    state.stamp_reply()
    return 1 if sip.send_reply_text(msg, text) else -1


def sl_send_reply(state: State, ctx, code, reason) -> int:
    msg = ctx.msg
    if msg is None:
        return -1
    c = code(ctx)
    r = reason(ctx)
    return send_sl_reply(state, msg, state.default_code if c is None else c,
                         state.default_reason if r is None else r)


def sl_reply_error(state: State, ctx) -> int:
    """No core error is tracked by kamlite: Kamailio's reply for an unspecified error."""
    msg = ctx.msg
    if msg is None:
        return -1
    reason = "I'm terribly sorry, server error occurred (1/SL)"
    send_sl_reply(state, msg, 500, reason)
    state.program.log.module(L_ERR, "sl", "sl_funcs.c:418]: sl_reply_error()",
                             f"stateless error reply used: {reason}")
    return 1


def filter_ack(state: State, msg: Message) -> bool:
    """sl_filter_ACK as a pre-script check: False absorbs a local ACK."""
    if msg.method_value != ACK or not state.recent_reply():
        return True
    to = msg.to_body()
    if to is None or not to.tag or len(to.tag) != 32 + 1 + 8:
        return True
    return to.tag != to_tag(state, msg)


_REPLY_ARGS = (Arg.INTPV, Arg.PVFMT)

MODULE = Module(
    name="sl",
    params={"default_code": Param(int, default=500),
            "default_reason": Param(str, default="Internal Server Error"),
            "bind_tm": Param(int, default=1),
            "rich_redirect": Param(int, default=0),
            "event_callback_fl_ack": Param(str),
            "event_callback_lres_sent": Param(str)},
    functions={
        "sl_send_reply": Function(sl_send_reply, args=_REPLY_ARGS, route_types=REQUEST_ROUTE),
        "sl_reply": Function(sl_send_reply, args=_REPLY_ARGS, route_types=REQUEST_ROUTE),
        "send_reply": Function(sl_send_reply, args=_REPLY_ARGS,
                               route_types=REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE),
        "sl_reply_error": Function(sl_reply_error, route_types=REQUEST_ROUTE),
    },
    state=State,
    mod_init=mod_init,
    doc="stateless replies",
)
