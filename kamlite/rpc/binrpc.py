"""binrpc: the binary RPC protocol of Kamailio's ctl module, as kamcmd speaks it.

    packet = header + body           (everything big-endian)
    header = 0xA1, TTTT LL CC, total_len (LL+1 bytes), cookie (CC+1 bytes)
             TTTT: 0 request, 1 reply, 3 fault; lengths and cookie in the fewest bytes
    record = S SSS TTTT [length] value
             TTTT: 0 int, 1 string (NUL counted), 2 double (x1000), 3 struct, 4 array,
                   5 struct member name, 6 bytes
             S=0: SSS is the value length; S=1: SSS is the size of a length field
             (S=1 with no length: the end of a struct 0x83 or array 0x84)

A request body is the method name and one record per parameter; a reply body is the
sequence of values the command added (no wrapper); a fault body is an int code and a
string.  Strings are bytes on the wire; kamlite keeps them as latin-1 str (one char per
byte), as it does for every script string.

This file has: the encoder, a record reader that accepts exactly what Kamailio's reader
accepts (kamcmd prints replies with it, so odd packets print the same), the server side
(Dispatcher: one request in, one reply or fault out, as the ctl module's binrpc_run.c
does), and ctl/kamcmd address parsing.
"""
from __future__ import annotations

import dataclasses
import math
import re
import socket

from ..log import L_CRIT, L_ERR
from . import RpcContext, RpcFault, added_values, run_command

MAGIC_VERS = 0xA1
REQ, REPL, FAULT = 0, 1, 3
T_INT, T_STR, T_DOUBLE, T_STRUCT, T_ARRAY, T_AVP, T_BYTES = range(7)
T_ALL = 0xF                          # "any type" when reading

MIN_PKT_SIZE = 4                     # 2 fixed bytes + 1 length byte + 1 cookie byte
MAX_FAULT_LEN = 256                  # fault texts are cut to 255 bytes (+ NUL)

# Kamailio's error codes and texts (binrpc.h); clients print the texts
E_INVAL, E_OVERFLOW, E_BADPKT, E_MORE_DATA, E_EOP, E_NOTINIT, E_TYPE, E_RECORD, E_BUG = range(-1, -10, -1)
ERROR_TEXTS = {
    0: "no error", E_INVAL: "invalid function arguments", E_OVERFLOW: "buffer too small (overflow)",
    E_BADPKT: "corrupted packet", E_MORE_DATA: "more data needed", E_EOP: "end of packet encountered",
    E_NOTINIT: "binrpc parse context not initialized", E_TYPE: "record doesn't match type",
    E_RECORD: "bad record", E_BUG: "bug -- internal error",
}
TYPE_NAMES = {T_INT: "integer", T_STR: "string", T_DOUBLE: "float", T_STRUCT: "structure",
              T_ARRAY: "array", T_AVP: "structure member", T_BYTES: "bytes array", T_ALL: "any"}


def error_text(code: int) -> str:
    return ERROR_TEXTS.get(code, "unknown/invalid error code")


def type_name(t: int) -> str:
    return TYPE_NAMES.get(t, "<unknown/error>")


class BinrpcError(Exception):
    def __init__(self, code: int):
        super().__init__(error_text(code))
        self.code = code


# ---- encoding ---------------------------------------------------------------------------------
def _min_bytes(u: int, width: int) -> bytes:
    """u (unsigned, `width` bytes) without its leading zero bytes; 0 -> b''."""
    return u.to_bytes(width, "big").lstrip(b"\0")


def header(mtype: int, body_len: int, cookie: int) -> bytes:
    tl = _min_bytes(body_len & 0xFFFFFFFF, 4) or b"\0"
    ck = _min_bytes(cookie & 0xFFFFFFFF, 4) or b"\0"
    return bytes((MAGIC_VERS, (mtype << 4) | ((len(tl) - 1) << 2) | (len(ck) - 1))) + tl + ck


def int_record(v: int) -> bytes:
    """A C int: wraps to 32 bits, negatives take 4 bytes."""
    b = _min_bytes(v & 0xFFFFFFFF, 4)
    return bytes(((len(b) << 4) | T_INT,)) + b


def double_record(f: float) -> bytes:
    """Kamailio sends a double as the long long f*1000 (a fixed-point hack), up to 8
    bytes; the size nibble is not an S flag for this type."""
    try:
        ll = int(f * 1000) if math.isfinite(f) else -(1 << 63)
    except OverflowError:
        ll = -(1 << 63)
    if not -(1 << 63) <= ll < (1 << 63):
        ll = -(1 << 63)                   # what x86's conversion gives for out-of-range
    b = _min_bytes(ll & 0xFFFFFFFFFFFFFFFF, 8)
    return bytes(((len(b) << 4) | T_DOUBLE,)) + b


def str_record(s, rtype: int = T_STR) -> bytes:
    """A string (or struct member name) with its NUL, or bytes without it."""
    b = s.encode("latin-1", "replace") if isinstance(s, str) else bytes(s)
    if rtype in (T_STR, T_AVP):
        b += b"\0"
    n = len(b)
    if n < 8:
        return bytes(((n << 4) | rtype,)) + b
    lb = _min_bytes(n & 0xFFFFFFFF, 4)
    return bytes((((len(lb) | 8) << 4) | rtype,)) + lb + b


STRUCT_START, STRUCT_END = bytes((T_STRUCT,)), bytes((0x80 | T_STRUCT,))
ARRAY_START, ARRAY_END = bytes((T_ARRAY,)), bytes((0x80 | T_ARRAY,))
NULL_STRING = "<null string>"        # what Kamailio sends for a NULL string


def scalar_record(v) -> bytes:
    if v is None:
        return str_record(NULL_STRING)
    if isinstance(v, bool):
        return int_record(int(v))
    if isinstance(v, int):
        return int_record(v)
    if isinstance(v, float):
        return double_record(v)
    if isinstance(v, (bytes, bytearray)):
        return str_record(bytes(v))
    return str_record(str(v))


def request(method: str, params=(), cookie: int = 1) -> bytes:
    """A request packet: ints, floats (doubles) and strings as kamcmd sends them."""
    body = str_record(method) + b"".join(scalar_record(p) for p in params)
    return header(REQ, len(body), cookie) + body


FAULT_START_BUF = 5                  # ctl builds the code and the string's header in 5 bytes


def fault(code: int, message, cookie: int) -> bytes | None:
    """A fault packet; None when ctl could not send it: the code and the length of the
    text must fit its 5-byte buffer (a text of 255 bytes or more, or a code needing 4
    bytes, makes ctl send nothing)."""
    raw = message.encode("latin-1", "replace") if isinstance(message, str) else bytes(message)
    rec = str_record(raw[:MAX_FAULT_LEN - 1])
    code_rec = int_record(code)
    if len(code_rec) + len(rec) - (len(raw[:MAX_FAULT_LEN - 1]) + 1) > FAULT_START_BUF:
        return None
    body = code_rec + rec
    return header(FAULT, len(body), cookie) + body


class Overflow(Exception):
    """The reply does not fit the body buffer (ctl's binrpc_max_body_size)."""

    def __init__(self, fmt: str):
        super().__init__(fmt)
        self.fmt = fmt


def _fmt_char(v) -> str:
    if isinstance(v, dict):
        return "{"
    if isinstance(v, (list, tuple)):
        return "["
    if isinstance(v, float):
        return "f"
    if isinstance(v, int):
        return "d"
    return "s"


class _Buf:
    """One of ctl's reply buffers: the top-level body, or the body of one struct.
    Kamailio gives each struct its own fixed-size buffer; what does not fit is refused."""

    def __init__(self, size: int):
        self.size = size
        self.parts: list[bytes] = []
        self.used = 0                # bytes in this buffer (nested contents excluded)

    def fits(self, n: int) -> bool:
        return self.used + n <= self.size

    def put(self, b: bytes, own: int | None = None) -> None:
        self.parts.append(b)
        self.used += len(b) if own is None else own

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def reply_body(values: list, max_body: int = 32 * 1024, struct_max: int = 8 * 1024) -> bytes:
    """The body for the values a command added.  A dict is a struct (members in order);
    a list is sent the way Kamailio's ctl sends an array: a struct whose items have no
    names (ctl never emits type 4).  Raises Overflow when the top level does not fit;
    struct members that do not fit their struct's buffer are left out, as
    rpc->struct_add does."""
    top = _Buf(max_body)
    for v in values:
        if isinstance(v, (dict, list, tuple)):
            if not top.fits(2):
                raise Overflow(_fmt_char(v))
            inner = _container(v, struct_max)
            top.put(STRUCT_START + inner + STRUCT_END, own=2)
        else:
            rec = scalar_record(v)
            if not top.fits(len(rec)):
                raise Overflow(_fmt_char(v))
            top.put(rec)
    return top.bytes()


def _container(v, struct_max: int) -> bytes:
    buf = _Buf(struct_max)
    if isinstance(v, dict):
        for name, member in v.items():
            head = str_record(str(name), T_AVP)
            if isinstance(member, (dict, list, tuple)):
                if buf.fits(len(head) + 2):
                    buf.put(head + STRUCT_START + _container(member, struct_max) + STRUCT_END,
                            own=len(head) + 2)
            else:
                rec = head + scalar_record(member)
                if buf.fits(len(rec)):
                    buf.put(rec)
    else:
        for item in v:
            if isinstance(item, (dict, list, tuple)):
                if buf.fits(2):
                    buf.put(STRUCT_START + _container(item, struct_max) + STRUCT_END, own=2)
            else:
                rec = scalar_record(item)
                if buf.fits(len(rec)):
                    buf.put(rec)
    return buf.bytes()


# ---- decoding ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Header:
    type: int
    tlen: int                # body length
    cookie: int
    size: int                # header length in bytes


def parse_header(buf: bytes) -> Header:
    """Raises BinrpcError(E_MORE_DATA) when buf is too short, E_BADPKT when it is not a
    binrpc packet."""
    if len(buf) < MIN_PKT_SIZE:
        raise BinrpcError(E_MORE_DATA)
    if buf[0] != MAGIC_VERS:
        raise BinrpcError(E_BADPKT)
    mtype = buf[1] >> 4
    if mtype not in (REQ, REPL, FAULT):
        raise BinrpcError(E_BADPKT)
    ll = ((buf[1] >> 2) & 3) + 1
    cl = (buf[1] & 3) + 1
    if 2 + ll + cl > len(buf):
        raise BinrpcError(E_MORE_DATA)
    tlen = int.from_bytes(buf[2:2 + ll], "big")
    cookie = int.from_bytes(buf[2 + ll:2 + ll + cl], "big")
    return Header(mtype, tlen, cookie, 2 + ll + cl)


@dataclasses.dataclass
class Record:
    type: int
    value: object = None          # int, float, bytes; None for struct/array marks
    name: bytes | None = None     # struct member name
    end: bool = False             # the end mark of a struct or array
    at: int = 0                   # where the value starts in the body


def _read_uint(buf: bytes, p: int, n: int, end: int, width: int) -> tuple[int, int]:
    """n big-endian bytes at p, kept to `width` bytes as C's shifts do."""
    if p + n > end:
        raise BinrpcError(E_MORE_DATA)
    u = int.from_bytes(buf[p:p + n], "big") & ((1 << (8 * width)) - 1) if n else 0
    return u, p + n


def _signed(u: int, bits: int) -> int:
    return u - (1 << bits) if u >> (bits - 1) else u


class Reader:
    """Reads the records of one body the way Kamailio's binrpc_read_record does, keeping
    its quirks: inside a struct only member names are accepted unless `smode` (kamcmd
    reads replies with smode=1, the ctl server reads requests with 0); the header and
    name of a struct member do not count in `offset`, which decides 'end of packet'."""

    def __init__(self, body: bytes, smode: int = 0):
        self.buf = bytes(body)
        self.pos = 0
        self.offset = 0
        self.tlen = len(self.buf)
        self.smode = smode
        self.in_struct = 0
        self.in_array = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.buf)

    def read(self, want: int = T_ALL) -> Record:
        """One record; raises BinrpcError (and stays where it was) when it cannot."""
        if self.offset >= self.tlen:
            raise BinrpcError(E_EOP)
        rec, p = self._record(self.pos, want)
        self.pos = p
        return rec

    def _negative(self, rtype: int, want: int, start: int, p: int) -> tuple[Record, int]:
        """A length field read as a negative int.  C then walks backwards; what callers
        see is an int 0, or a string of negative length (mqueue: 'Invalid queue name').
        kamlite gives "" and treats the rest of the body as consumed (no loop)."""
        if want not in (rtype, T_ALL):
            raise BinrpcError(E_TYPE)
        if rtype == T_INT and not (self.in_struct and self.smode == 0):
            self.offset += p - start
            return Record(T_INT, 0, at=p), p
        if rtype in (T_STR, T_BYTES) and not (self.in_struct and self.smode == 0):
            end = len(self.buf)
            self.offset += end - start
            return Record(rtype, b"", at=p), end
        raise BinrpcError(E_MORE_DATA)

    def _record(self, start: int, want: int) -> tuple[Record, int]:
        buf, end = self.buf, len(self.buf)
        if start >= end:
            raise BinrpcError(E_MORE_DATA)
        rtype = buf[start] & 0xF
        length = buf[start] >> 4
        p = start + 1
        end_tag = False
        if rtype != T_DOUBLE and length & 8:
            end_tag = True                 # a length field follows (or this is an end mark)
            u, p = _read_uint(buf, p, length & 7, end, 4)
            length = _signed(u, 32)
            if length < 0:
                return self._negative(rtype, want, start, p)
        if p + length > end:
            raise BinrpcError(E_MORE_DATA)
        if want not in (rtype, T_ALL):
            raise BinrpcError(E_TYPE)
        rec = Record(rtype, at=p)
        if rtype == T_STRUCT:              # marks carry no value: nothing is skipped
            if self.in_struct:
                if end_tag:
                    self.in_struct -= 1
                    rec.end = True
                elif self.smode == 0:
                    raise BinrpcError(E_RECORD)
                else:
                    self.in_struct += 1
            else:
                if end_tag:
                    raise BinrpcError(E_RECORD)
                self.in_struct += 1
        elif rtype == T_AVP:
            if not self.in_struct:
                raise BinrpcError(E_TYPE)
            name = buf[p:p + length - 1] if length > 0 else b""
            p += length
            if p >= end:
                raise BinrpcError(E_MORE_DATA)
            vtype = buf[p] & 0xF
            if vtype in (T_AVP, T_ARRAY):
                raise BinrpcError(E_RECORD)
            saved = self.in_struct
            self.in_struct = 0             # the value is read as a top-level record
            try:
                rec, p = self._record(p, vtype)
            finally:
                self.in_struct += saved
            rec.name = name
            return rec, p                  # offset already counted the value only
        elif rtype == T_ARRAY:
            if self.in_struct and self.smode == 0:
                raise BinrpcError(E_RECORD)
            if end_tag:
                if self.in_array <= 0:
                    raise BinrpcError(E_RECORD)
                self.in_array -= 1
                rec.end = True
            else:
                self.in_array += 1
        elif rtype in (T_INT, T_STR, T_BYTES, T_DOUBLE):
            if self.in_struct and self.smode == 0:
                raise BinrpcError(E_RECORD)
            if rtype == T_INT:
                u, p = _read_uint(buf, p, length, end, 4)
                rec.value = _signed(u, 32)
            elif rtype == T_DOUBLE:
                u, p = _read_uint(buf, p, length, end, 8)
                rec.value = _signed(u, 64) / 1000
            elif rtype == T_STR:
                rec.value = buf[p:p + length - 1] if length > 0 else b""
                p += length
            else:
                rec.value = buf[p:p + length]
                p += length
        else:
            raise BinrpcError(E_RECORD if self.in_struct else E_TYPE)
        self.offset += p - start
        return rec, p

def parse_packet(data: bytes) -> tuple[Header, bytes]:
    """A whole packet: its header and its body (raises BinrpcError)."""
    h = parse_header(data)
    if h.size + h.tlen > len(data):
        raise BinrpcError(E_MORE_DATA)
    return h, data[h.size:h.size + h.tlen]


def text(b) -> str:
    return b.decode("latin-1") if isinstance(b, (bytes, bytearray)) else b


def decode_values(body: bytes) -> list:
    """A reply body as Python values: a struct with member names becomes a dict, one
    without (how ctl sends arrays) or a type-4 array a list; strings are latin-1 str.
    Raises BinrpcError on a malformed body."""
    r = Reader(body, smode=1)
    top: list = []
    stack: list[tuple[list, str | None]] = []     # (items of an open container, its name)
    while not r.at_end():
        rec = r.read()
        name = text(rec.name) if rec.name is not None else None
        if rec.type in (T_STRUCT, T_ARRAY) and not rec.end:
            stack.append(([], name))
            continue
        if rec.type in (T_STRUCT, T_ARRAY):
            if not stack:
                raise BinrpcError(E_RECORD)
            items, name = stack.pop()
            value = _container_value(items)
        else:
            value = text(rec.value) if rec.type in (T_STR, T_BYTES) else rec.value
        (stack[-1][0] if stack else top).append((name, value))
    if stack:
        raise BinrpcError(E_MORE_DATA)
    return [v for _n, v in top]


def _container_value(items: list):
    """Named members make a dict; unnamed items a list (mixed: a list, members as
    one-key dicts)."""
    if not items:
        return {}
    if all(n is not None for n, _v in items):
        return {n: v for n, v in items}
    return [v if n is None else {n: v} for n, v in items]


# ---- the server side -------------------------------------------------------------------------
def _c_ulong_digits(i: int) -> str:
    """Kamailio's int2str of an int: the value seen as an unsigned long."""
    return str(i & 0xFFFFFFFFFFFFFFFF)


class BinrpcContext(RpcContext):
    """Parameters as ctl's rpc->scan reads them: types are strict unless the ctl module's
    'autoconversion' is set (or the handler asks, like scan's '.'); a scan that fails
    leaves a prepared fault 400 'error at parameter N: ...', sent if the command then
    adds nothing and sends no fault of its own."""

    transport = "binrpc"

    def __init__(self, params: list, stop_error: int, program=None, autoconvert: bool = False):
        super().__init__(params, program)
        self.stop_error = stop_error          # why there is no parameter after the last
        self.autoconvert = autoconvert
        self.pending_fault: tuple[int, str] | None = None

    def _fail(self, i: int, want: int, err: int, optional: bool, actual: int | None = None) -> None:
        if optional and err in (E_MORE_DATA, E_EOP):
            return
        shown = actual if actual is not None else want
        self.pending_fault = (400, f"error at parameter {i}: expected {type_name(shown)} type "
                                   f"but {error_text(err)}")

    def _param(self, i: int):
        if i < len(self.params):
            return self.params[i], 0
        return None, (self.stop_error if i == len(self.params) else E_EOP)

    def str_param(self, i: int, optional: bool = False, convert: bool = False, scan: str = "S") -> str | None:
        self.pending_fault = None
        convert = convert or self.autoconvert
        want = T_ALL if convert else T_STR
        v, err = self._param(i)
        if err:
            self._fail(i, want, err, optional)
            return None
        if isinstance(v, str):
            return v
        if not convert:
            self._fail(i, want, E_TYPE, optional)
            return None
        if isinstance(v, int):
            return _c_ulong_digits(v)
        self._fail(i, want, E_BUG if isinstance(v, float) else E_TYPE, optional, _param_type(v))
        return None

    def int_param(self, i: int, optional: bool = False, convert: bool = False) -> int | None:
        self.pending_fault = None
        convert = convert or self.autoconvert
        want = T_ALL if convert else T_INT
        v, err = self._param(i)
        if err:
            self._fail(i, want, err, optional)
            return None
        if isinstance(v, int):
            return v
        if convert and isinstance(v, float):
            return int(v) if math.isfinite(v) else 0
        if convert and isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v):
            return _signed(int(v) & 0xFFFFFFFF, 32)
        self._fail(i, want, E_TYPE, optional, _param_type(v) if convert else None)
        return None


def _param_type(v) -> int:
    return T_DOUBLE if isinstance(v, float) else T_STR if isinstance(v, str) else T_INT


def read_params(r: Reader) -> tuple[list, int]:
    """The parameters after the method name: plain values up to the first record scan
    could not read; and the error a scan gets after the last one."""
    params: list = []
    while True:
        try:
            rec = r.read()
        except BinrpcError as e:
            return params, e.code
        if rec.type == T_INT or rec.type == T_DOUBLE:
            params.append(rec.value)
        elif rec.type == T_STR:
            params.append(text(rec.value))
        else:
            return params, E_TYPE


@dataclasses.dataclass
class Outcome:
    consumed: int = 0             # bytes of the input used (0: nothing, more data needed)
    reply: bytes | None = None    # what to send back
    close: bool = False           # the stream connection must be closed after the reply


class Dispatcher:
    """Runs binrpc requests against a Program's RPC commands, the way ctl's
    process_rpc_req does (same faults, same texts, same 'more data' rule)."""

    def __init__(self, program, autoconvert: bool = False, max_body: int = 32 * 1024,
                 struct_max: int = 8 * 1024, log=None):
        self.program = program
        self.autoconvert = autoconvert
        self.max_body = max_body
        self.struct_max = struct_max
        self.log = log if log is not None else getattr(program, "log", None)

    def _log(self, level: int, where: str, msg: str) -> None:
        if self.log is not None:
            self.log.module(level, "ctl", where, msg)

    def process(self, buf: bytes) -> Outcome:
        if len(buf) < MIN_PKT_SIZE:
            return Outcome()
        try:
            h = parse_header(buf)
        except BinrpcError as e:
            if e.code == E_MORE_DATA:
                return Outcome()
            return Outcome(0, fault(400, f"bad request: {e}", 0), close=True)
        total = h.size + h.tlen
        if total > len(buf):
            return Outcome()
        if h.type != REQ:
            return Outcome(0, fault(400, f"bad request: {error_text(E_BADPKT)}", h.cookie), close=True)
        r = Reader(buf[h.size:total])
        try:
            rec = r.read(T_STR)
        except BinrpcError as e:
            self._log(L_CRIT, "binrpc_run.c:674]: process_rpc_req()",
                      f"ERROR: bad rpc request method, binrpc error: {e} ({e.code})")
            return Outcome(0, fault(400, f"bad request method: {e}", h.cookie), close=True)
        # ctl uses the name as a C string: it ends at a NUL, wherever that is
        method = text(buf[h.size + rec.at:].split(b"\0", 1)[0])
        params, stop = read_params(r)
        return Outcome(total, self.run(method, params, stop, h.cookie))

    def run(self, method: str, params: list, stop: int, cookie: int) -> bytes:
        program = self.program
        if method not in program.rpc_commands:
            return self._fault(500, f"command {method} not found", cookie)
        ctx = BinrpcContext(params, stop, program, self.autoconvert)
        empty = header(REPL, 0, cookie)     # what ctl sends when a fault could not be sent
        try:
            cmd, result = run_command(program, method, ctx)
        except RpcFault as f:
            return self._fault(f.code, f.message, cookie) or empty
        except Exception as e:          # a bug in a command: answer, log, keep serving
            self._log(L_ERR, "binrpc_run.c:0]: process_rpc_req()",
                      f"BUG: rpc command {method} failed: {type(e).__name__}: {e}")
            return self._fault(500, "internal server error", cookie)
        values = added_values(cmd, result)
        if not values and ctx.pending_fault is not None:
            return self._fault(*ctx.pending_fault, cookie) or empty
        try:
            body = reply_body(values, self.max_body, self.struct_max)
        except Overflow as o:
            return self._fault(500, f"Internal server error processing '{o.fmt}': "
                                    f"{error_text(E_OVERFLOW)} ({E_OVERFLOW})", cookie) or empty
        return header(REPL, len(body), cookie) + body

    def _fault(self, code: int, message: str, cookie: int) -> bytes | None:
        pkt = fault(code, message, cookie)
        if pkt is None:
            self._log(L_ERR, "binrpc_run.c:439]: _rpc_fault()", "ERROR: _rpc_fault: add_str_mark error")
            self._log(L_ERR, "binrpc_run.c:473]: _rpc_fault()",
                      f"ERROR: _rpc_fault: binrpc_* failed with: {error_text(E_OVERFLOW)} ({E_OVERFLOW})")
        return pkt


# ---- addresses (ctl's binrpc parameter, kamcmd -s) ----------------------------------------------
UNIXS, UNIXD, UDP, TCP = "unixs", "unixd", "udp", "tcp"
DEFAULT_PORT = 2049
PROTO_NAMES = {UNIXS: "unix_stream", UNIXD: "unix_dgram", UDP: "udp", TCP: "tcp"}


@dataclasses.dataclass
class Address:
    proto: str
    name: str               # socket path, or host ("*" = any address)
    port: int = 0

    def __str__(self) -> str:
        if self.proto in (UNIXS, UNIXD):
            return f"{self.proto}:{self.name}"
        return f"{self.proto}:{self.name}:{self.port or DEFAULT_PORT}"


_PROTOS = {"tcp": TCP, "udp": UDP, "unixd": UNIXD, "unix": UNIXS, "unixs": UNIXS}


def parse_address(s: str, default: str = UDP) -> Address | None:
    """proto:name:port, proto:name, name:port, name, [ipv6]:port - as ctl and kamcmd read
    them.  Without a proto: a port means udp (or tcp when that is the default), a '/' a
    unix stream socket (when the default is an IP proto), else the default."""
    proto = None
    rest = s
    port_str = None
    if not s.startswith("["):
        head, sep, tail = s.partition(":")
        if sep:
            proto = _PROTOS.get(head.lower())
            if proto is None:          # no proto: "host:port"
                rest, port_str = head, tail
            else:
                rest = tail
    if port_str is None:
        if rest.startswith("["):
            close = rest.find("]")
            if close < 0 or (close + 1 < len(rest) and rest[close + 1] != ":"):
                return None
            name, port_str = rest[:close + 1], (rest[close + 2:] if close + 1 < len(rest) else "")
        else:
            name, sep, port_str = rest.partition(":")
        port_str = port_str or None
    else:
        name = rest
    if proto is None:
        if port_str:
            proto = default if default in (TCP, UDP) else UDP
        elif "/" in name:
            proto = UNIXS if default in (TCP, UDP) else default
        else:
            proto = default
    port = 0
    if port_str:
        if re.fullmatch(r"\d+", port_str) and int(port_str) <= 65535:
            port = int(port_str)
        else:
            try:
                port = socket.getservbyname(port_str, "tcp" if proto == TCP else "udp")
            except OSError:
                return None
    elif proto in (TCP, UDP) and re.fullmatch(r"\d+", name) and int(name) <= 65535:
        port, name = int(name), "*"      # tcp:3012 means tcp:*:3012
    return Address(proto, name, port)
