"""Transformations: $(pv{s.len}), $(pv{uri.user}), $(pv{param.value,name}) ...

Each class parses its text once at load time ("s.substr,1,2" -> a step) and the step runs
on the value at each read: step(ctx, value) -> value, raising PVFail where Kamailio's
transformation fails (the PV read fails).

The semantics follow Kamailio 5.6.3's pv_trans.c, including its quirks: values are byte
strings held as latin-1 str; Kamailio integers also carry their decimal string, so string
transformations work on that; results are str unless Kamailio marks them as integers
(s.len, s.int, s.count, param.count, param.in, nameaddr.len, uri.port).  The SIP parsers
used here (URI, parameter list, name-addr, To-body) are kamlite.sip's ports of the core
parsers the transformations call, which print the core's error messages to the run's log.

Classes: s, uri, param, nameaddr, tobody, line.  Not provided: urialias and val (their
classes are unknown, so configs using them are refused at load time).

Known differences, all from kamlite values being either int or str: Kamailio's s.int keeps
the original text next to the number ("+5" prints as "+5"), kamlite gives the int; uri.port
without a port is an int 0 printing as "" in Kamailio, kamlite gives "".  Where Kamailio
reads past a value (s.rbefore without a match, the byte after the scheme in uri.suri,
uri.saor, uri.duri) kamlite gives a NUL instead of the unknown bytes; where it loops
forever (s.rm or s.replace with an empty pattern and replacement) the read fails.
"""
from __future__ import annotations

import base64
import hashlib
import time
import weakref

from ...hashes import core_hash
from ...log import L_CRIT, L_CRIT2, L_ERR, L_WARN
from ...script import pv as PV
from ...script import runtime as RT
from ...script import values as VAL
from ...sip.addr import AddrError, NameAddrError, parse_nameaddr, parse_to_body
from ...sip.params import ParamError, parse_params
from ...sip.uri import UriError, parse_uri

BUF = 65536                         # TR_BUFFER_SIZE: results must fit in it
_BLANKS = " \t\n"                   # blanks skipped around transformation parameters
_TRIM = " \t\r\n"                   # what Kamailio's trim() removes


# ---- logging, as the C code logs ----------------------------------------------------------------
def _write(ctx, level, text, shown_as=None):
    log = ctx.log
    if level <= log.debug:
        log.write(level if shown_as is None else shown_as, text + "\n")


def _err(ctx, line: int, func: str, text: str) -> None:
    _write(ctx, L_ERR, f"pv [pv_trans.c:{line}]: {func}(): {text}")


def _warn(ctx, line: int, func: str, text: str) -> None:
    _write(ctx, L_WARN, f"pv [pv_trans.c:{line}]: {func}(): {text}")


def _core_err(ctx, where: str, func: str, text: str, level=L_ERR) -> None:
    """An error printed by a core function the transformation calls (parsers, codecs)."""
    _write(ctx, level, f"<core> [core/{where}]: {func}(): {text}",
           L_CRIT2 if level == L_CRIT else None)


def _cfg_line(ctx) -> int:
    """get_cfg_crt_line(): the config line of the running action (0 when not known)."""
    return getattr(ctx, "cfg_line", 0) or 0


def _fail(ctx, line: int, text: str, func: str = "tr_eval_string"):
    """Log an evaluation error and fail the transformation; the string class's messages
    end with the cfg line."""
    if func == "tr_eval_string":
        text = f"{text} (cfg line: {_cfg_line(ctx)})"
    _err(ctx, line, func, text)
    raise RT.PV_FAIL


class _ProcessState:
    """Per-process caches of pv_trans.c that change results (see nameaddr and param)."""

    def __init__(self):
        self.nameaddr = None        # (text, parsed or None)
        self.params = None          # ((text, separator), list or None)


_STATES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _state(ctx) -> _ProcessState:
    st = _STATES.get(ctx.program)
    if st is None:
        st = _STATES[ctx.program] = _ProcessState()
    return st


# ---- values ------------------------------------------------------------------------------------
def _text(v) -> str:
    """String form of a value (Kamailio ints carry their decimal string); null fails."""
    if v.__class__ is str:
        return v
    if v is None:
        raise RT.PV_FAIL
    return str(v)


def _nonempty(v) -> str:
    """Classes other than s need a non-empty string value, else they fail silently."""
    s = _text(v)
    if not s:
        raise RT.PV_FAIL
    return s


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(s: str) -> str:
    """ASCII-only lower case, as strncasecmp compares."""
    return s.translate(_LOWER)


def _bytes(s: str) -> bytes:
    return s.encode("latin-1", "replace")


def _str(b) -> str:
    return bytes(b).decode("latin-1")


def _c_char(c: str) -> int:
    """(unsigned int) of a C char: bytes >= 0x80 are negative chars, sign extended."""
    b = ord(c) & 0xFF
    return b if b < 0x80 else b + 0xFFFFFF00


# ---- parameters of transformations (_tr_parse_nparam / _tr_parse_sparam) -------------------------
class _Lit:
    """A literal string parameter; `first` is its first byte as the C code reads it: for an
    empty parameter that is the character ending it (',' or '}')."""
    __slots__ = ("text", "first")

    def __init__(self, text: str, first: str):
        self.text = text
        self.first = first


class _Cursor:
    """Reads the text of one transformation ("substr,1,2" after the class) the way the
    tr_parse_* functions do; a '}' is appended as in the config text."""

    def __init__(self, program, text: str):
        self.program = program
        self.full = text
        self.s = text + "}"
        self.p = 0

    def peek(self, k: int = 0) -> str:
        i = self.p + k
        return self.s[i] if i < len(self.s) else "\0"

    def error(self, what: str):
        return ValueError(f"invalid {what} transformation: {self.full}")

    def skip_blanks(self) -> None:
        while self.peek() in _BLANKS:
            self.p += 1

    def name(self) -> str:
        """The name up to ',' or '}', trimmed."""
        start = self.p
        while self.peek() not in ",}\0":
            self.p += 1
        if self.peek() == "\0":
            raise ValueError(f"invalid transformation: {self.full}")
        return self.s[start:self.p].strip(_TRIM)

    def comma(self, what: str) -> None:
        if self.peek() != ",":
            raise self.error(what)
        self.p += 1

    def close(self, what: str) -> None:
        """Blanks, then the '}' that ends the transformation."""
        self.skip_blanks()
        if self.p != len(self.s) - 1:
            raise self.error(what)

    def at_end(self) -> None:
        if self.p != len(self.s) - 1:
            raise ValueError(f"invalid transformation: {self.full}")

    def _spec(self):
        try:
            pvt, end = PV.parse(self.s, self.p)
            spec = self.program.pv_spec(pvt.text)
        except (ValueError, LookupError) as e:
            raise ValueError(f"invalid spec in transformation: {self.full}: {e}") from None
        self.p = end
        return spec

    def nparam(self):
        """A number (int) or a pseudo-variable (spec)."""
        self.skip_blanks()
        c = self.peek()
        if c == "$":
            return self._spec()
        if c not in "+-0123456789" or c == "\0":
            raise ValueError(f"invalid param in transformation: {self.full}")
        sign = 1
        if c in "+-":
            sign = -1 if c == "-" else 1
            self.p += 1
        self.skip_blanks()                 # Kamailio allows "- 5"
        n = 0
        while "0" <= self.peek() <= "9":
            n = VAL.wrap(n * 10 + ord(self.peek()) - 48)      # C int arithmetic
            self.p += 1
        return VAL.wrap(sign * n)

    def sparam(self, comma_ok: bool = False):
        """A string up to tab, newline, ',' or '}' (a leading ',' is the value when
        comma_ok), or a pseudo-variable (spec)."""
        self.skip_blanks()
        if self.peek() == "$":
            return self._spec()
        start = self.p
        while self.peek() not in "\t\n,}\0":
            self.p += 1
        if self.peek() == "\0":
            raise ValueError(f"invalid param in transformation: {self.full}")
        if comma_ok and self.peek() == ",":
            self.p += 1
        return _Lit(self.s[start:self.p], self.s[start])


def _get_int(ctx, arg, line: int, text: str, func: str = "tr_eval_string") -> int:
    """A number parameter; a PV must give an integer."""
    if arg.__class__ is int:
        return arg
    try:
        v = arg.get(ctx)
    except RT.PVFail:
        v = None
    if v.__class__ is not int:
        _fail(ctx, line, text, func)
    return v


def _get_str(ctx, arg, line: int, text: str, func: str = "tr_eval_string") -> tuple[str, str]:
    """A string parameter as (text, first byte); a PV must give a non-empty string."""
    if arg.__class__ is _Lit:
        return arg.text, arg.first
    try:
        v = arg.get(ctx)
    except RT.PVFail:
        v = None
    if v is None or v == "":
        _fail(ctx, line, text, func)
    v = VAL.to_str(v)
    return v, v[0]


# ==== the string class ============================================================================
_S: dict = {}        # name -> maker(cursor) -> step(ctx, value)


def _plain(*names):
    """Register a string transformation without parameters, given as its step."""
    def register(step):
        for n in names:
            _S[n] = lambda cur, step=step: step
        return step
    return register


def _with_params(*names):
    """Register a string transformation that reads its parameters from the cursor."""
    def register(maker):
        for n in names:
            _S[n] = maker
        return maker
    return register


def _clone(ctx, s: str) -> str:
    """tr_string_clone_result: the result is copied into the 64k buffer."""
    if len(s) > BUF - 1:
        _err(ctx, 101, "tr_eval_string", f"result is too big (cfg line: {_cfg_line(ctx)})")
        raise RT.PV_FAIL
    return s


# ---- sizes, numbers, digests
@_plain("len")
def _s_len(ctx, v):
    return len(_text(v))


@_plain("int")
def _s_int(ctx, v):
    if v.__class__ is int:
        return v
    r = VAL.str2sint(_text(v))
    if r is None:
        raise RT.PV_FAIL
    return r


@_plain("numeric")
def _s_numeric(ctx, v):
    s = _text(v)
    if len(s) > BUF:
        raise RT.PV_FAIL
    return "".join(c for c in s if "0" <= c <= "9")


@_plain("rmws")
def _s_rmws(ctx, v):
    s = _text(v)
    if len(s) >= BUF - 1:
        raise RT.PV_FAIL
    return "".join(c for c in s if c not in " \t\r\n")


def _digest(algo):
    return lambda ctx, v: hashlib.new(algo, _bytes(_text(v))).hexdigest()


for _name in ("md5", "sha256", "sha384", "sha512"):
    _plain(_name)(_digest(_name))


@_with_params("corehash")
def _s_corehash(cur):
    size = None
    if cur.peek() == ",":
        cur.p += 1
        size = cur.nparam()
    cur.close("corehash")

    def step(ctx, v):
        s = _text(v)
        n = 0
        if size is not None:
            n = _get_int(ctx, size, 1237, "corehash cannot get size") & 0xFFFFFFFF
        return str(core_hash(_bytes(s), None, n))
    return step


# ---- case, trimming
def _ascii_case(table):
    def step(ctx, v):
        s = _text(v)
        if len(s) > BUF - 1:
            raise RT.PV_FAIL
        return s.translate(table)
    return step


_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_plain("tolower")(_ascii_case(_LOWER))
_plain("toupper")(_ascii_case(_UPPER))


def _trimmer(fn):
    def step(ctx, v):
        s = _text(v)
        if len(s) > BUF - 2:
            raise RT.PV_FAIL
        return fn(s)
    return step


_plain("trim")(_trimmer(lambda s: s.strip(_TRIM)))
_plain("rtrim")(_trimmer(lambda s: s.rstrip(_TRIM)))
_plain("ltrim")(_trimmer(lambda s: s.lstrip(_TRIM)))


def _unwrapper(pairs, line):
    """s.unquote / s.unbracket: values shorter than 2 are returned as they are."""
    def step(ctx, v):
        s = _text(v)
        if len(s) < 2:
            return v
        if len(s) > BUF - 2:
            _err(ctx, line, "tr_eval_string", f"value too large: {len(s)}")
            raise RT.PV_FAIL
        return s[1:-1] if (s[0], s[-1]) in pairs else s
    return step


_plain("unquote")(_unwrapper({('"', '"'), ("'", "'")}, 1265))
_plain("unbracket")(_unwrapper({("(", ")"), ("[", "]"), ("{", "}"), ("<", ">")}, 1289))


# ---- hex, 7bit, base58, base64
@_plain("encode.hexa")
def _s_encode_hexa(ctx, v):
    s = _text(v)
    if len(s) > BUF // 2 - 1:
        raise RT.PV_FAIL
    return _bytes(s).hex()


@_plain("decode.hexa")
def _s_decode_hexa(ctx, v):
    s = _text(v)
    if len(s) > BUF * 2 - 1:
        raise RT.PV_FAIL
    out = bytearray()
    for i in range(len(s) // 2):
        hi, lo = _hexval(s[2 * i]), _hexval(s[2 * i + 1])
        if hi is None or lo is None:
            raise RT.PV_FAIL
        out.append(hi << 4 | lo)
    return _str(out)


def _hexval(c: str):
    """A hex digit's value, None for anything else."""
    i = "0123456789abcdef".find(_lower(c))
    return i if i >= 0 else None


def _hex_to_char(c: str) -> int:
    """Core hex_to_char(): no validation, garbage for non-hex characters."""
    b = ord(c) & 0xFF
    if 48 <= b <= 57:
        return (b - 48) & 0xFF
    if 65 <= b <= 90:
        b += 32
    return (b - 87) & 0xFF


@_plain("encode.7bit")
def _s_encode_7bit(ctx, v):
    data = _bytes(_text(v))
    if len(data) > BUF * 7 // 8 - 1:
        raise RT.PV_FAIL
    out = []
    nleft = 1
    i = 0
    while i < len(data):
        nxt = data[i + 1] if i + 1 < len(data) else 0       # the C code reads the NUL after
        out.append("%02X" % (((data[i] >> (nleft - 1)) | (nxt << (8 - nleft))) & 0xFF))
        nleft += 1
        if nleft == 8:
            i += 1
            nleft = 1
        i += 1
    return "".join(out)


@_plain("decode.7bit")
def _s_decode_7bit(ctx, v):
    s = _text(v)
    if len(s) > BUF // 2 - 1:
        raise RT.PV_FAIL
    out = bytearray()
    nleft, oldfill = 1, 0
    for i in range(0, len(s), 2):
        byte = (_hex_to_char(s[i]) << 4 | _hex_to_char(s[i + 1] if i + 1 < len(s) else "\0")) & 0xFF
        fill = byte >> (8 - nleft)
        out.append(((byte << (nleft - 1)) & 0x7F) | oldfill)
        oldfill = fill
        nleft += 1
        if nleft == 8:
            out.append(oldfill)
            nleft, oldfill = 1, 0
    return _str(out)


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@_plain("encode.base58")
def _s_encode_base58(ctx, v):
    data = _bytes(_text(v))
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data[zeros:], "big")
    digits = []
    while num:
        num, r = divmod(num, 58)
        digits.append(_B58[r])
    out = "1" * zeros + "".join(reversed(digits))
    if len(out) >= BUF - 1:
        raise RT.PV_FAIL
    return out


@_plain("decode.base58")
def _s_decode_base58(ctx, v):
    s = _text(v)
    zeros = len(s) - len(s.lstrip("1"))
    num = 0
    for c in s[zeros:]:
        if ord(c) & 0x80:
            _core_err(ctx, "basex.c:284", "b58_decode", "high-bit set on invalid digit")
            raise RT.PV_FAIL
        d = _B58.find(c)
        if d < 0:
            _core_err(ctx, "basex.c:288", "b58_decode", "invalid base58 digit")
            raise RT.PV_FAIL
        num = num * 58 + d
        if num >> (8 * (BUF - 2)):
            _core_err(ctx, "basex.c:303", "b58_decode",
                      "output number too big (last int32 filled too far)")
            raise RT.PV_FAIL
    data = num.to_bytes((num.bit_length() + 7) // 8, "big")
    # b58_decode() reports the leading zeros as extra length past the end of the number,
    # where the (zeroed) output buffer continues: one more NUL plus one per leading '1'
    return _str(data + b"\0" * (1 + zeros))


def _b64_digit(c: int) -> int:
    """base64_dec_char(): 0xff for anything not in the standard alphabet."""
    if c == 0x2F:
        return 0x3F
    if c == 0x2B:
        return 0x3E
    if 0x30 <= c <= 0x39:
        return c - 0x30 + 0x34
    if 0x41 <= c <= 0x5A:
        return c - 0x41
    if 0x61 <= c <= 0x7A:
        return c - 0x61 + 0x1A
    return 0xFF


def _b64_decode(data: bytes):
    """Core base64_dec(): no validation of the characters; None for a bad length."""
    n = len(data)
    if n < 4 or n % 4 or (data[-2] == 0x3D and data[-1] != 0x3D):
        return None
    osize = n // 4 * 3 - (data[-2] == 0x3D) - (data[-1] == 0x3D)
    out = bytearray()
    for g in range(0, n, 4):
        a, b, c, d = (_b64_digit(x) for x in data[g:g + 4])
        out += bytes(((a << 2 | b >> 4) & 0xFF, (b << 4 | c >> 2) & 0xFF, (c << 6 | d) & 0xFF))
    return bytes(out[:osize])


def _unpadded(enc):
    """The 't' variants drop up to two '=' of padding."""
    def step(ctx, v):
        out = enc(ctx, v)
        for _ in range(2):
            if len(out) > 1 and out[-1] == "=":
                out = out[:-1]
        return out
    return step


def _padded(dec, line):
    """The 't' decoders add the missing '=' first."""
    def step(ctx, v):
        s = _text(v)
        if len(s) % 4:
            if len(s) + 4 >= BUF - 1:
                _err(ctx, line, "tr_eval_string", "not enough space to insert padding")
                raise RT.PV_FAIL
            s += "=" * (4 - len(s) % 4)
        return dec(ctx, s, len(_text(v)))
    return step


@_plain("encode.base64")
def _s_encode_base64(ctx, v):
    data = _bytes(_text(v))
    if (len(data) + 2) // 3 * 4 > BUF - 1:
        raise RT.PV_FAIL
    return _str(base64.b64encode(data))


def _dec_base64(ctx, s: str, orig_len: int):
    out = _b64_decode(_bytes(s))
    if out is None or (not out and orig_len > 0):
        raise RT.PV_FAIL
    return _str(out)


@_plain("decode.base64")
def _s_decode_base64(ctx, v):
    s = _text(v)
    return _dec_base64(ctx, s, len(s))


@_plain("encode.base64url")
def _s_encode_base64url(ctx, v):
    data = _bytes(_text(v))
    olen = (len(data) + 2) // 3 * 4
    if olen >= BUF - 1:
        _core_err(ctx, "basex.c:442", "base64url_enc",
                  f"not enough output buffer size {BUF - 1} - need {olen + 1}")
        raise RT.PV_FAIL
    return _str(base64.urlsafe_b64encode(data))


def _b64url_digit(c: int) -> int:
    if c == 0x2D:
        return 0x3E
    if c == 0x5F:
        return 0x3F
    d = _b64_digit(c)
    return -1 if d in (0xFF, 0x3E, 0x3F) else d


def _dec_base64url(ctx, s: str, orig_len: int):
    data = _bytes(s)
    pad = len(data) - len(data.rstrip(b"="))
    olen = ((len(data) * 6) >> 3) - pad
    if olen <= 0:
        _core_err(ctx, "basex.c:482", "base64url_dec",
                  f"invalid olen parameter calculated, can't continue {olen}")
        raise RT.PV_FAIL
    if olen >= BUF - 1:
        _core_err(ctx, "basex.c:487", "base64url_dec",
                  f"not enough output buffer size {BUF - 1} - need {olen + 1}")
        raise RT.PV_FAIL
    out = bytearray(olen)
    body = data[:len(data) - pad]
    for g in range(0, len(body), 4):
        block = 0
        for j, c in enumerate(body[g:g + 4]):
            d = _b64url_digit(c)
            if d < 0:
                _core_err(ctx, "basex.c:498", "base64url_dec", f'invalid input string"{s}"')
                raise RT.PV_FAIL
            block += d << (18 - 6 * j)
        idx = g // 4 * 3
        for j in range(3):
            if idx + j < olen:
                out[idx + j] = (block >> (16 - 8 * j)) & 0xFF
    return _str(out)


@_plain("decode.base64url")
def _s_decode_base64url(ctx, v):
    s = _text(v)
    return _dec_base64url(ctx, s, len(s))


_plain("encode.base64t")(_unpadded(_s_encode_base64))
_plain("decode.base64t")(_padded(_dec_base64, 441))
_plain("encode.base64urlt")(_unpadded(_s_encode_base64url))
_plain("decode.base64urlt")(_padded(_dec_base64url, 516))


# ---- escaping
@_plain("escape.common")
def _s_escape_common(ctx, v):
    s = _text(v)
    if len(s) > BUF // 2 - 1:
        raise RT.PV_FAIL
    out = []
    for c in s:
        out.append("\\0" if c == "\0" else ("\\" + c if c in "'\"\\" else c))
    return "".join(out)


@_plain("unescape.common")
def _s_unescape_common(ctx, v):
    s = _text(v)
    if len(s) > BUF - 1:
        raise RT.PV_FAIL
    out = []
    i = 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in "'\"\\0":
            out.append("\0" if s[i + 1] == "0" else s[i + 1])
            i += 1
        else:
            out.append(s[i])
        i += 1
    return "".join(out)


_USER_SAFE = frozenset("-_.!~*'()&=+$,;?")
_PARAM_SAFE = frozenset("-_.!~*'()[]/:&+$")


def _escaper(safe, line_err):
    """escape_user / escape_param: %xx (lowercase) for what is not allowed as is."""
    def step(ctx, v):
        s = _text(v)
        if len(s) > BUF // 2 - 1 or 3 * len(s) + 1 > BUF:
            raise RT.PV_FAIL
        out = []
        for c in s:
            b = ord(c)
            if b < 32 or b > 126:
                _core_err(ctx, f"strutils.c:{line_err}", "escape_user" if safe is _USER_SAFE
                          else "escape_param", f"invalid escaped character <{_c_char(c)}>")
                raise RT.PV_FAIL
            out.append(c if c.isalnum() and c.isascii() or c in safe else "%%%02x" % b)
        return "".join(out)
    return step


_plain("escape.user")(_escaper(_USER_SAFE, 246))
_plain("escape.param")(_escaper(_PARAM_SAFE, 327))


def _unescape_user(ctx, v):
    """unescape_user(): %xx must give a printable ASCII character."""
    s = _text(v)
    if len(s) > BUF - 1:
        raise RT.PV_FAIL
    out = []
    i = 0
    while i < len(s):
        if s[i] == "%":
            digits = []
            for k in (1, 2):
                c = s[i + k] if i + k < len(s) else "\0"
                d = _hexval(c)
                if d is None:
                    _core_err(ctx, "strutils.c:%d" % (164 if k == 1 else 199), "unescape_user",
                              f"invalid hex digit <{_c_char(c)}>")
                    raise RT.PV_FAIL
                digits.append(d)
            c = digits[0] << 4 | digits[1]
            if c < 32 or c > 126:
                _core_err(ctx, "strutils.c:204", "unescape_user",
                          f"invalid escaped character <{_c_char(chr(c))}>")
                raise RT.PV_FAIL
            out.append(chr(c))
            i += 3
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


_plain("unescape.user", "unescape.param")(_unescape_user)


@_plain("escape.csv")
def _s_escape_csv(ctx, v):
    s = _text(v)
    if 2 * len(s) + 3 > BUF:
        raise RT.PV_FAIL
    return '"' + s.replace('"', '""') + '"'


@_plain("urlencode.param")
def _s_urlencode(ctx, v):
    s = _text(v)
    if len(s) > BUF - 1 or 3 * len(s) + 1 > BUF:
        raise RT.PV_FAIL
    return "".join(c if (c.isascii() and c.isalnum()) or c in "-_.~" else "%%%02x" % ord(c)
                   for c in s)


@_plain("urldecode.param")
def _s_urldecode(ctx, v):
    s = _text(v)
    if len(s) > BUF - 1:
        raise RT.PV_FAIL
    z = s + "\0\0"                     # the C code peeks at the bytes after the value
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            if z[i + 1] != "\0" and z[i + 2] != "\0":
                out.append(chr((_hex_to_char(z[i + 1]) << 4 | _hex_to_char(z[i + 2])) & 0xFF))
                i += 2
        else:
            out.append(" " if c == "+" else c)
        i += 1
    return "".join(out)


# ---- substrings
@_with_params("substr")
def _s_substr(cur):
    cur.comma("substr")
    start = cur.nparam()
    cur.skip_blanks()
    cur.comma("substr")
    length = cur.nparam()
    if length.__class__ is int and length < 0:
        raise ValueError("substr negative offset")
    cur.close("substr")

    def step(ctx, v):
        s = _text(v)
        i = _get_int(ctx, start, 644, "substr cannot get p1")
        j = _get_int(ctx, length, 657, "substr cannot get p2")
        if j < 0:
            _fail(ctx, 666, "substr negative offset")
        n = len(s)
        if i >= 0:
            if i >= n:
                _fail(ctx, 676, "substr out of range")
            if i + j >= n:
                j = 0
            return _clone(ctx, s[i:] if j == 0 else s[i:i + j])
        i = -i
        if i > n:
            _fail(ctx, 696, "substr out of range")
        if i < j:
            j = 0
        return _clone(ctx, s[n - i:] if j == 0 else s[n - i:n - i + j])
    return step


_SELECT_ESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


@_with_params("select")
def _s_select(cur):
    cur.comma("select")
    index = cur.nparam()
    cur.skip_blanks()
    if cur.peek() != "," or cur.peek(1) == "\0":
        raise cur.error("select")
    cur.p += 1
    sep = cur.peek()
    if sep == "\\":
        cur.p += 1
        if cur.peek() not in _SELECT_ESCAPES or cur.peek() == "\0":
            raise ValueError(f"unexpected escape char: {cur.peek()}")
        sep = _SELECT_ESCAPES[cur.peek()]
    cur.p += 1
    cur.close("select")

    def step(ctx, v):
        s = _text(v)
        i = _get_int(ctx, index, 729, "select cannot get p1")
        fields = s.split(sep)
        if i < 0:
            i = -i
            return _clone(ctx, fields[-i] if i <= len(fields) else "")
        return _clone(ctx, fields[i] if i < len(fields) else "")
    return step


def _strip_maker(tail: bool):
    def maker(cur):
        what = "striptail" if tail else "strip"
        cur.comma(what)
        count = cur.nparam()
        cur.close(what)

        def step(ctx, v):
            s = _text(v)
            i = _get_int(ctx, count, 863, "select cannot get p1")
            if i <= 0:
                return s
            if i >= len(s):
                return ""
            return _clone(ctx, s[:-i] if tail else s[i:])
        return step
    return maker


_with_params("strip")(_strip_maker(False))
_with_params("striptail")(_strip_maker(True))


@_with_params("stripto")
def _s_stripto(cur):
    cur.comma("stripto")
    arg = cur.sparam()
    cur.close("stripto")

    def step(ctx, v):
        s = _text(v)
        _, first = _get_str(ctx, arg, 904, "stripto cannot get p1")
        i = s.find(first)
        return "" if i < 0 else _clone(ctx, s[i:])
    return step


def _prefixes_maker(quoted: bool):
    def maker(cur):
        limit = None
        if cur.peek() == ",":
            cur.p += 1
            limit = cur.nparam()
            cur.close("prefixes")

        def step(ctx, v):
            s = _text(v)
            top = len(s)
            if limit is not None:
                n = _get_int(ctx, limit, 946, "prefixes cannot get max")
                if 0 < n < top:
                    top = n
            # the C code's size check (with its factors as they are)
            if top * (top // 2 + (1 if quoted else 3)) > BUF - 1:
                _fail(ctx, 956, "prefixes buffer too short")
            q = "'" if quoted else ""
            return ",".join(q + s[:i] + q for i in range(1, top + 1))
        return step
    return maker


_with_params("prefixes")(_prefixes_maker(False))
_with_params("prefixes.quoted")(_prefixes_maker(True))


def _replace_all(ctx, s: str, old: str, old_first: str, new: str, remove: bool) -> str:
    """The replace/rm loop of the C code, including an empty pattern: it then matches the
    character that ended the parameter and, not advancing, fills the 64k buffer."""
    out = []
    size = 0
    i = 0
    top = len(s) - len(old)
    while i < len(s) and size < BUF:
        if i <= top and s[i] == old_first and s.startswith(old, i):
            if not old and (remove or not new):
                raise RT.PV_FAIL           # Kamailio loops forever here
            if not remove:
                out.append(new)
                size += len(new)
            i += len(old)
        else:
            out.append(s[i])
            size += 1
            i += 1
    return "".join(out)


@_with_params("replace")
def _s_replace(cur):
    cur.comma("replace")
    old = cur.sparam()
    cur.skip_blanks()
    cur.comma("replace")
    new = cur.sparam()
    cur.close("replace")

    def step(ctx, v):
        s = _text(v)
        o, o_first = _get_str(ctx, old, 995, "replace cannot get p1")
        n, _ = _get_str(ctx, new, 1009, "replace cannot get p2")
        return _replace_all(ctx, s, o, o_first, n, False)
    return step


_RM_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}


def _unescape_rm(s: str) -> str:
    """s.rm's own backslash escapes in a literal parameter."""
    if "\\" not in s:
        return s
    out = []
    i = 0
    while i < len(s) - 1:
        if s[i] == "\\":
            out.append(_RM_ESCAPES.get(s[i + 1], s[i + 1]))
            i += 1
        else:
            out.append(s[i])
        i += 1
    if i == len(s) - 1:
        out.append(s[i])
    return "".join(out)


@_with_params("rm")
def _s_rm(cur):
    cur.comma("rm")
    arg = cur.sparam()
    cur.close("rm")

    def step(ctx, v):
        s = _text(v)
        if len(s) > BUF - 2:
            raise RT.PV_FAIL
        if arg.__class__ is _Lit:
            text = _unescape_rm(arg.text)
            first = text[0] if text else arg.first
        else:
            text, first = _get_str(ctx, arg, 1168, "cannot get parameter value")
        return _replace_all(ctx, s, text, first, "", True)
    return step


@_with_params("count")
def _s_count(cur):
    cur.comma("count")
    arg = cur.sparam(comma_ok=True)
    cur.close("count")

    def step(ctx, v):
        s = _text(v)
        _, first = _get_str(ctx, arg, 1323, "cannot get parameter value")
        return s.count(first)
    return step


def _around_maker(name: str):
    """before / after / rbefore / rafter: split at a character."""
    def maker(cur):
        cur.comma(name)
        arg = cur.sparam(comma_ok=True)
        cur.close(name)
        get_line = {"before": 1364, "rbefore": 1364, "after": 1418, "rafter": 1418}[name]
        big_line = {"before": 1354, "rbefore": 1354, "after": 1408, "rafter": 1408}[name]

        def step(ctx, v):
            s = _text(v)
            if len(s) > BUF - 2:
                _err(ctx, big_line, "tr_eval_string", f"value too large: {len(s)}")
                raise RT.PV_FAIL
            _, first = _get_str(ctx, arg, get_line, "cannot get parameter value")
            if name.startswith("r"):
                # Kamailio's reverse search walks forward from the last byte: it finds the
                # last byte or reads on past the value, whose NUL it copies (before the
                # unknown bytes that follow; those are not reproduced)
                if not s or s[-1] != first:
                    return "" if name == "rafter" else s + "\0"
                i = len(s) - 1
            else:
                i = s.find(first)
                if i < 0:
                    i = len(s)
            if name.endswith("before"):
                return s[:i]
            return "" if i >= len(s) - 1 else s[i + 1:]
        return step
    return maker


for _name in ("before", "after", "rbefore", "rafter"):
    _with_params(_name)(_around_maker(_name))


def _fmtline_maker(pad: str):
    def maker(cur):
        what = "fmtline" + ("s" if pad == " " else "t")
        cur.comma(what)
        width = cur.nparam()
        if width.__class__ is int and width < 0:
            raise ValueError(f"{what} negative line length value")
        cur.skip_blanks()
        cur.comma(what)
        indent = cur.nparam()
        if indent.__class__ is int and indent < 0:
            raise ValueError(f"{what} negative padding length value")
        cur.close(what)

        def step(ctx, v):
            s = _text(v)
            n = _get_int(ctx, width, 1466, "fmtline cannot get p1")
            m = _get_int(ctx, indent, 1479, "fmtline cannot get p2")
            if n <= 0 or m < 0:
                _fail(ctx, 1486, "fmtline with invalid parameters")
            aliased = m >= len(s)
            if aliased and len(s) > BUF - 2:
                _err(ctx, 1492, "tr_eval_string", f"value too large: {len(s)}")
                raise RT.PV_FAIL
            if len(s) + (len(s) // n) * (2 + m) > BUF - 2:
                _err(ctx, 1502, "tr_eval_string", f"value too large: {len(s)}")
                raise RT.PV_FAIL
            return _fmtlines(s, n, "\r\n" + pad * m, aliased)
        return step
    return maker


def _fmtlines(s: str, n: int, brk: str, aliased: bool) -> str:
    """The C loop breaks before each character 1..n-1 (it tests i/n, not i%n).  When the
    padding is at least the value's length the value was first copied into the output
    buffer, so the loop reads what it has already overwritten."""
    buf = list(s) if aliased else []
    src = buf if aliased else s
    w = 0

    def put(c):
        nonlocal w
        if w < len(buf):
            buf[w] = c
        else:
            buf.append(c)
        w += 1
    for i in range(len(s)):
        if i != 0 and i // n == 0:
            for c in brk:
                put(c)
        put(src[i])
    return "".join(buf[:w])


_with_params("fmtlines")(_fmtline_maker(" "))
_with_params("fmtlinet")(_fmtline_maker("\t"))


@_with_params("ftime")
def _s_ftime(cur):
    cur.comma("ftime")
    arg = cur.sparam()
    cur.close("ftime")

    def step(ctx, v):
        if v is None:
            raise RT.PV_FAIL
        if v.__class__ is int:
            t = v
        else:
            t = _str2uint(v)
            if t is None:
                _fail(ctx, 1046, "value is not numeric")
        fmt, _ = _get_str(ctx, arg, 1057, "timeformat cannot get p1")
        try:
            out = time.strftime(fmt.split("\0")[0], time.localtime(VAL.wrap(t)))
        except (ValueError, OverflowError, OSError):
            return ""
        return out if len(out) < BUF - 1 else ""
    return step


def _str2uint(s: str):
    """Core str2int(): optional '+', decimal digits, up to 2^32-1."""
    digits = s[1:] if s[:1] == "+" else s
    if not all("0" <= c <= "9" for c in digits):
        return None
    r = int(digits) if digits else 0
    return r if r <= 0xFFFFFFFF else None


def parse_s(program, text: str):
    cur = _Cursor(program, _after_class(text))
    name = cur.name()
    maker = _S.get(_lower(name))
    if maker is None:
        raise ValueError(f"unknown transformation: {name}")
    step = maker(cur)
    cur.at_end()
    return step


def _after_class(text: str) -> str:
    cls, dot, rest = text.partition(".")
    if not dot:
        raise ValueError(f"invalid transformation: {text}")
    return rest


# ==== the core SIP parsers (kamlite.sip) ===========================================================
def _parse_uri(ctx, text: str):
    """Core parse_uri() with the process' phone2tel; None (and the core's messages) when
    the URI is invalid."""
    try:
        return parse_uri(text, ctx.log, _phone2tel(ctx))
    except UriError:
        return None


def _parse_params(ctx, text: str, sep: str = ";"):
    """Core parse_params2() with CLASS_ANY: [(name, body or None)] in text order; None and
    the core's messages on errors."""
    try:
        return parse_params(text, sep, ctx.log)
    except ParamError:
        return None


# ==== the uri class ================================================================================
def _uri_field(attr):
    return lambda ctx, u, raw, arg: getattr(u, attr) or ""


def _uri_port(ctx, u, raw, arg):
    # Kamailio gives an int whose string is the port text; kamlite values are either:
    # the int when there is a port, "" (what Kamailio prints) when there is none
    if not u.port:
        return ""
    return u.port_no if u.port == str(u.port_no) else u.port


def _uri_param(ctx, u, raw, arg):
    if not u.sip_params:
        return ""
    params = _parse_params(ctx, u.sip_params)
    if params is None:
        raise RT.PV_FAIL
    name, _ = _get_str(ctx, arg, 1720, "param cannot get p1", "tr_eval_uri")
    name = _lower(name)
    for pname, body in reversed(params):        # Kamailio's list is reversed: last one wins
        if _lower(pname) == name:
            return body or ""
    return ""


def _uri_scheme_part(ctx, u, raw, arg):
    i = raw.find(":")
    return raw if i < 0 else raw[:i]


def _uri_rebuilt(kind):
    """uri.suri / uri.saor / uri.duri.  Kamailio 5.6.3 skips one byte after the scheme's
    ':' in its output buffer; that byte is a NUL in a fresh buffer."""
    def get(ctx, u, raw, arg):
        if len(raw) >= BUF:
            _warn(ctx, 1628, "tr_eval_uri", f"uri too long [{raw}] ({len(raw)})")
            return ""
        i = raw.find(":")
        if i < 0:
            _warn(ctx, 1644, "tr_eval_uri", f"uri schema not found [{raw}] ({len(raw)})")
            return ""
        out = raw[:i + 1] + "\0"
        if u.user and kind != "duri":
            out += u.user + "@"
        out += u.host or ""
        if kind != "saor":
            if u.port:
                out += ":" + u.port
            if u.transport_val:
                out += ";transport=" + u.transport_val
        return out
    return get


def _uri_tosocket(ctx, u, raw, arg):
    if not u.proto:
        _warn(ctx, 1780, "tr_eval_uri", "unknown transport protocol")
        return ""
    return f"{u.proto}:{u.host or ''}:{u.port_no or 5060}"


_URI = {
    "user": _uri_field("user"), "host": _uri_field("host"), "domain": _uri_field("host"),
    "passwd": _uri_field("passwd"), "port": _uri_port, "params": _uri_field("sip_params"),
    "headers": _uri_field("headers"), "transport": _uri_field("transport_val"),
    "ttl": _uri_field("ttl_val"), "uparam": _uri_field("user_param_val"),
    "maddr": _uri_field("maddr_val"), "method": _uri_field("method_val"),
    "lr": _uri_field("lr_val"), "r2": _uri_field("r2_val"), "scheme": _uri_scheme_part,
    "tosocket": _uri_tosocket, "suri": _uri_rebuilt("suri"), "saor": _uri_rebuilt("saor"),
    "duri": _uri_rebuilt("duri"), "param": _uri_param,
}


def parse_uri_tr(program, text: str):
    cur = _Cursor(program, _after_class(text))
    name = _lower(cur.name())
    get = _URI.get(name)
    if get is None:
        raise ValueError(f"unknown transformation: {cur.full}")
    arg = None
    if name == "param":
        cur.comma("param")
        arg = cur.sparam()
        cur.close("param")
    cur.at_end()

    def step(ctx, v):
        raw = _nonempty(v)
        # a trailing ';' is not given to the parser
        u = _parse_uri(ctx, raw[:-1] if len(raw) > 4 and raw[-1] == ";" else raw)
        if u is None:
            _err(ctx, 1597, "tr_eval_uri", f"invalid uri [{raw}]")
            raise RT.PV_FAIL
        return get(ctx, u, raw, arg)
    return step


def _phone2tel(ctx) -> bool:
    core = getattr(ctx.program, "core", None) or {}
    return bool(core.get("phone2tel", 1))


# ==== the param class ==============================================================================
def parse_param_tr(program, text: str):
    cur = _Cursor(program, _after_class(text))
    name = _lower(cur.name())
    if name not in ("value", "in", "valueat", "name", "count"):
        raise ValueError(f"unknown transformation: {cur.full}")
    arg = sep = None
    if name == "count":
        if cur.peek() == ",":
            cur.p += 1
            start = cur.p
            sep = cur.sparam(comma_ok=True)
            if sep.__class__ is _Lit and cur.p - start != 1:
                raise ValueError(f"invalid separator in transformation: {cur.full}")
            cur.close("name")
    else:
        cur.comma(name)
        arg = cur.sparam() if name in ("value", "in") else cur.nparam()
        cur.skip_blanks()
        if cur.peek() == ",":
            cur.p += 1
            start = cur.p
            sep = cur.sparam()
            if cur.p - start != 1:
                raise ValueError(f"invalid separator in transformation: {cur.full}")
        cur.close(name)
    cur.at_end()
    return _param_step(name, arg, sep)


def _separator(ctx, name, sep) -> str:
    if sep is None:
        return ";"
    if name == "count" and sep.__class__ is not _Lit:
        return _get_str(ctx, sep, 1842, "value cannot get p1", "tr_eval_paramlist")[1]
    if sep.__class__ is not _Lit or len(sep.text) != 1:
        raise RT.PV_FAIL
    return sep.text


def _param_list(ctx, text: str, sep: str):
    """The parsed list, with pv_trans.c's one-entry cache: a list that failed to parse
    keeps failing, silently, while the same text comes again."""
    st = _state(ctx)
    key = (text, sep)
    if st.params is not None and st.params[0] == key:
        return st.params[1]
    body = text[:-1] if len(text) > 1 and text[-1] == sep else text
    params = _parse_params(ctx, body, sep)
    st.params = (key, params)
    return params


def _param_step(name, arg, sep):
    def step(ctx, v):
        s = _nonempty(v)
        params = _param_list(ctx, s, _separator(ctx, name, sep))
        if not params:
            raise RT.PV_FAIL
        if name == "count":
            return len(params)
        if name in ("value", "in"):
            key, _ = _get_str(ctx, arg, 1925, "value cannot get p1", "tr_eval_paramlist")
            key = _lower(key)
            for pname, body in reversed(params):
                if _lower(pname) == key:
                    return 1 if name == "in" else (body or "")
            return 0 if name == "in" else ""
        line = 1969 if name == "valueat" else 2024
        n = _get_int(ctx, arg, line, "name cannot get p1", "tr_eval_paramlist")
        if n < 0:
            n = len(params) + n
        if 0 <= n < len(params):
            pname, body = params[n]
            return pname if name == "name" else (body or "")
        return ""
    return step


# ==== the nameaddr class ===========================================================================
def parse_nameaddr_tr(program, text: str):
    cur = _Cursor(program, _after_class(text))
    name = _lower(cur.name())
    if name not in ("name", "uri", "len"):
        raise ValueError(f"unknown transformation: {cur.full}")
    cur.at_end()
    index = ("name", "uri", "len").index(name)

    def step(ctx, v):
        s = _nonempty(v)
        st = _state(ctx)
        if st.nameaddr is None or st.nameaddr[0] != s:
            parsed, ok = _parse_nameaddr(s)
            st.nameaddr = (s, parsed)
            if not ok:
                raise RT.PV_FAIL
        return st.nameaddr[1][index]
    return step


def _parse_nameaddr(s: str):
    """((name, uri, len), ok) as pv_trans.c sees them after parse_nameaddr().

    Without '<' the whole text is the URI.  Without the closing '>' the parse fails, but
    pv_trans.c keeps the text cached with its half-filled result: the read fails, and the
    next reads of the same text give the name, the rest after '<' and a length of 0."""
    try:
        return tuple(parse_nameaddr(s)), True
    except NameAddrError as e:
        if e.partial is None:
            return ("", s, len(s)), True
        return tuple(e.partial), False


# ==== the tobody class =============================================================================
_TOBODY = ("uri", "tag", "user", "host", "params", "display")


def parse_tobody_tr(program, text: str):
    cur = _Cursor(program, _after_class(text))
    name = _lower(cur.name())
    if name not in _TOBODY:
        raise ValueError(f"unknown transformation: {cur.full}")
    cur.at_end()

    def step(ctx, v):
        s = _nonempty(v)
        try:
            to = parse_to_body(s, ctx.log)
        except AddrError:
            raise RT.PV_FAIL from None
        u = _parse_uri(ctx, to.uri or "")
        if u is None:
            raise RT.PV_FAIL
        if name == "uri":
            return to.uri or ""
        if name == "tag":
            return to.tag or ""
        if name == "display":
            return to.display or ""
        if name == "user":
            return u.user or ""
        if name == "host":
            return u.host or ""
        return "" if to.params_start is None else s[to.params_start:]
    return step


# ==== the line class ===============================================================================
def parse_line_tr(program, text: str):
    cur = _Cursor(program, _after_class(text))
    name = _lower(cur.name())
    arg = None
    if name == "at":
        cur.comma("name")
        arg = cur.nparam()
        cur.close("name")
    elif name == "sw":
        cur.comma("value")
        arg = cur.sparam()
        cur.close("value")
    elif name != "count":
        raise ValueError(f"unknown transformation: {cur.full}")
    cur.at_end()

    def step(ctx, v):
        s = _nonempty(v)
        if name == "count":
            out = str(s.count("\n") + (0 if s.endswith("\n") else 1))
        elif name == "sw":
            prefix, _ = _get_str(ctx, arg, 2322, "value cannot get p1", "tr_eval_line")
            out = _line_sw(s, prefix)
        else:
            out = _line_at(s, _get_int(ctx, arg, 2370, "name cannot get p1", "tr_eval_line"))
        return out[:-1] if out.endswith("\r") else out
    return step


def _line_sw(s: str, prefix: str) -> str:
    """The first line starting with prefix."""
    if len(s) < len(prefix):
        return ""
    p = 0
    while True:
        if s.startswith(prefix, p):
            nl = s.find("\n", p + len(prefix))
            return s[p:] if nl < 0 else s[p:nl]
        nl = s.find("\n", p)
        if nl < 0:
            return ""
        p = nl + 1
        if p > len(s) - len(prefix):
            return ""


def _line_at(s: str, n: int) -> str:
    """Line n (0 is the first, -1 the last, a final newline ends the last line)."""
    if n >= 0:
        p = 0
        for _ in range(n):
            nl = s.find("\n", p)
            if nl < 0:
                return ""
            p = nl + 1
        nl = s.find("\n", p)
        return s[p:] if nl < 0 else s[p:nl]
    # from the end, as the C code walks: each search for the previous newline excludes
    # the current position, so an empty last line merges with the one before it
    end = len(s) - 1
    if s[end] == "\n":
        end -= 1
    p = _before_newline(s, end)
    i = 1
    while i < -n and p is not None:
        end = p
        p = _before_newline(s, p)
        i += 1
    if i != -n:
        return ""
    if p is None:
        return s[:end + 1]
    return s[p + 2:end + 1]


def _before_newline(s: str, p: int):
    """memfindrchr(s, '\n', p) minus one: the end of the line before, None if none."""
    if p <= 0:
        return None
    q = s.rfind("\n", 0, p)
    return None if q < 0 else q - 1


# ==== the table ====================================================================================
TRANSFORMS = {
    "s": parse_s,
    "uri": parse_uri_tr,
    "param": parse_param_tr,
    "nameaddr": parse_nameaddr_tr,
    "tobody": parse_tobody_tr,
    "line": parse_line_tr,
}
