"""JSON-RPC 2.0 as Kamailio's jsonrpcs module answers it (the kamcli protocol).

Kamailio parses and prints JSON with its own srjson (a cJSON fork), and clients see its
habits, so this file reproduces them instead of using Python's json module:

  * parsing is lenient: text after the document is ignored, an unterminated string ends
    at the end of the input, "nullx" is null, numbers are doubles;
  * member lookup ignores case ("JSONRPC", "Method" work) and takes the first match;
  * printing: pretty_format=1 puts a TAB after every ':', indents with TABs and keeps
    arrays on one line separated by ', '; numbers print as %d when they are whole and fit
    an int, else %.0f / %e / %f like C; non-ASCII bytes are written raw.

The reply is {"jsonrpc":"2.0", "result"|"error":..., "id":...}: the error code is the
command's fault code (404, 500...), an unknown method is 500 "Method Not Found", a
document that is not JSON gets no reply at all.  Strings are bytes (latin-1 str inside
kamlite), so any byte a client sends comes back unchanged.
"""
from __future__ import annotations

import dataclasses
import math

from ..log import L_ERR
from . import RpcContext, RpcFault, added_values, run_command

# srjson's type numbers (they appear in Kamailio's log lines)
J_FALSE, J_TRUE, J_NULL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT = range(7)

# the -32xxx codes Kamailio replaces with its own texts
ERROR_TABLE = {-32700: "Parse Error", -32600: "Invalid Request", -32601: "Method Not Found",
               -32602: "Invalid Parameters", -32603: "Internal Error", -32000: "Execution Error"}
ERROR_TEXT_MAX = 127                 # fault texts go through a 128-byte buffer
REPLY_NAME_MAX = 128


@dataclasses.dataclass
class Node:
    type: int
    number: float = 0.0              # srjson's valuedouble (true is 1)
    string: bytes | None = None      # valuestring
    children: list = dataclasses.field(default_factory=list)
    name: bytes | None = None        # member name inside an object

    def get(self, name: str) -> "Node | None":
        """srjson_GetObjectItem: the first member whose name matches, ignoring case."""
        key = name.lower().encode()
        for c in self.children:
            if c.name is not None and c.name.lower() == key:
                return c
        return None


# ---- parsing (srjson's rules) ------------------------------------------------------------------
class _Fail(Exception):
    pass


def _skip(s: bytes, i: int) -> int:
    n = len(s)
    while i < n and s[i] <= 32:
        i += 1
    return i


_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"


def _number(s: bytes, i: int) -> tuple[float, int]:
    n, sign, scale, sub, subsign = 0.0, 1.0, 0, 0, 1
    end = len(s)
    if i < end and s[i] == 0x2D:                          # '-'
        sign, i = -1.0, i + 1
    if i < end and s[i] == 0x30:                          # a leading '0' is skipped
        i += 1
    if i < end and 0x31 <= s[i] <= 0x39:
        while i < end and s[i] in _DIGITS:
            n, i = n * 10.0 + (s[i] - 0x30), i + 1
    if i + 1 < end and s[i] == 0x2E and s[i + 1] in _DIGITS:      # fraction
        i += 1
        while i < end and s[i] in _DIGITS:
            n, scale, i = n * 10.0 + (s[i] - 0x30), scale - 1, i + 1
    if i < end and s[i] in b"eE":
        i += 1
        if i < end and s[i] == 0x2B:
            i += 1
        elif i < end and s[i] == 0x2D:
            subsign, i = -1, i + 1
        while i < end and s[i] in _DIGITS:
            sub, i = sub * 10 + (s[i] - 0x30), i + 1
    try:
        p = math.pow(10.0, scale + sub * subsign)
    except OverflowError:
        p = math.inf
    v = sign * n * p if n else sign * 0.0
    return v, i


def _hex4(s: bytes, i: int) -> int:
    """sscanf("%4x"): up to 4 hex digits; 0 when there are none."""
    j = i
    while j < len(s) and j < i + 4 and s[j] in _HEX:
        j += 1
    return int(s[i:j], 16) if j > i else 0


def _utf8(uc: int) -> bytes:
    if uc < 0x80:
        return bytes((uc,))
    if uc < 0x800:
        return bytes((0xC0 | uc >> 6, 0x80 | uc & 0x3F))
    if uc < 0x10000:
        return bytes((0xE0 | uc >> 12, 0x80 | (uc >> 6) & 0x3F, 0x80 | uc & 0x3F))
    return bytes((0xF0 | uc >> 18, 0x80 | (uc >> 12) & 0x3F, 0x80 | (uc >> 6) & 0x3F, 0x80 | uc & 0x3F))


_ESCAPES = {0x62: b"\b", 0x66: b"\f", 0x6E: b"\n", 0x72: b"\r", 0x74: b"\t"}


def _string(s: bytes, i: int) -> tuple[bytes, int]:
    if i >= len(s) or s[i] != 0x22:
        raise _Fail
    i += 1
    end = len(s)
    out = bytearray()
    while i < end and s[i] != 0x22:
        c = s[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        i += 1                                           # the escaped char
        e = s[i] if i < end else 0
        if e in _ESCAPES:
            out += _ESCAPES[e]
        elif e == 0x75:                                  # \uXXXX
            uc = _hex4(s, i + 1)
            i += 4
            if not (0xDC00 <= uc <= 0xDFFF or uc == 0):
                ok = True
                if 0xD800 <= uc <= 0xDBFF:               # a surrogate pair
                    if i + 2 < end and s[i + 1] == 0x5C and s[i + 2] == 0x75:
                        uc2 = _hex4(s, i + 3)
                        i += 6
                        ok = 0xDC00 <= uc2 <= 0xDFFF
                        uc = 0x10000 | ((uc & 0x3FF) << 10) | (uc2 & 0x3FF)
                    else:
                        ok = False
                if ok:
                    out += _utf8(uc)
        elif i < end:
            out.append(e)
        i += 1
    if i < end and s[i] == 0x22:
        i += 1
    return bytes(out), min(i, end)


def parse(doc: bytes) -> Node | None:
    """srjson_Parse: the first JSON value of doc (up to a NUL), or None if it is not JSON.
    Iterative, so deep nesting cannot exhaust Python's stack."""
    s = bytes(doc).split(b"\0", 1)[0]
    root = Node(J_NULL)
    try:
        _parse_into(s, _skip(s, 0), root)
    except _Fail:
        return None
    return root


def _parse_into(s: bytes, i: int, root: Node) -> int:
    # the open arrays and objects, innermost last
    stack: list[Node] = []
    node = root
    end = len(s)
    while True:
        # -- parse one value into `node`, at i
        if s.startswith(b"null", i):
            node.type, i = J_NULL, i + 4
        elif s.startswith(b"false", i):
            node.type, i = J_FALSE, i + 5
        elif s.startswith(b"true", i):
            node.type, node.number, i = J_TRUE, 1.0, i + 4
        elif i < end and s[i] == 0x22:
            node.type = J_STRING
            node.string, i = _string(s, i)
        elif i < end and (s[i] == 0x2D or s[i] in _DIGITS):
            node.type = J_NUMBER
            node.number, i = _number(s, i)
        elif i < end and s[i] in b"[{":
            node.type = J_ARRAY if s[i] == 0x5B else J_OBJECT
            i = _skip(s, i + 1)
            if i < end and s[i] == (0x5D if node.type == J_ARRAY else 0x7D):
                i += 1                                   # empty
            else:
                stack.append(node)
                node, i = _new_member(s, i, stack[-1])
                continue
        else:
            raise _Fail
        # -- the value is complete: close containers or go to the next member
        while True:
            if not stack:
                return i
            parent = stack[-1]
            i = _skip(s, i)
            if i < end and s[i] == 0x2C:                 # ','
                node, i = _new_member(s, _skip(s, i + 1), parent)
                break
            if i < end and s[i] == (0x5D if parent.type == J_ARRAY else 0x7D):
                i += 1
                node = stack.pop()
                continue
            raise _Fail


def _new_member(s: bytes, i: int, parent: Node) -> tuple[Node, int]:
    """A new child of parent at i, and where its value starts; for an object, its
    '"name":' is read first."""
    child = Node(J_NULL)
    if parent.type == J_OBJECT:
        child.name, i = _string(s, i)
        i = _skip(s, i)
        if i >= len(s) or s[i] != 0x3A:                  # ':'
            raise _Fail
        i = _skip(s, i + 1)
    parent.children.append(child)
    return child, i


# ---- printing (srjson_Print / srjson_PrintUnformatted) --------------------------------------------
def _c_string(b: bytes) -> bytes:
    b = b.split(b"\0", 1)[0]
    out = bytearray(b'"')
    for c in b:
        if c > 31 and c not in (0x22, 0x5C):
            out.append(c)
        elif c == 0x22:
            out += b'\\"'
        elif c == 0x5C:
            out += b"\\\\"
        elif c in (8, 12, 10, 13, 9):
            out += {8: b"\\b", 12: b"\\f", 10: b"\\n", 13: b"\\r", 9: b"\\t"}[c]
        else:
            out += b"\\u%04x" % c
    out += b'"'
    return bytes(out)


def format_number(d: float) -> bytes:
    if math.isfinite(d) and -2147483648 <= d <= 2147483647 and abs(int(d) - d) <= 2.220446049250313e-16:
        return b"%d" % int(d)
    if math.isfinite(d) and abs(math.floor(d) - d) <= 2.220446049250313e-16:
        return b"%.0f" % d
    if abs(d) < 1.0e-6 or abs(d) > 1.0e9:
        return _c_float(d, "e")
    return _c_float(d, "f")


def _c_float(d: float, conv: str) -> bytes:
    if math.isnan(d):
        return b"-nan" if math.copysign(1, d) < 0 else b"nan"
    if math.isinf(d):
        return b"-inf" if d < 0 else b"inf"
    return (("%" + conv) % d).encode()


def _bytes(v) -> bytes:
    return v.encode("latin-1", "replace") if isinstance(v, str) else bytes(v)


def dumps(v, pretty: bool = True, depth: int = 0) -> bytes:
    """A Python value as srjson prints it: dict -> object, list/tuple -> array, str/bytes
    -> string, bool, int/float -> number, None -> null; a Node prints as itself."""
    if isinstance(v, Node):
        v = _node_value_for_print(v)
    if v is None:
        return b"null"
    if v is True:
        return b"true"
    if v is False:
        return b"false"
    if isinstance(v, (int, float)):
        return format_number(float(v))
    if isinstance(v, (str, bytes, bytearray)):
        return _c_string(_bytes(v))
    if isinstance(v, Members):
        items = list(v)
    elif isinstance(v, (list, tuple)):
        sep = b", " if pretty else b","
        return b"[" + sep.join(dumps(x, pretty, depth + 1) for x in v) + b"]"
    elif isinstance(v, dict):
        items = list(v.items())
    else:
        return _c_string(_bytes(str(v)))
    depth += 1
    out = [b"{\n" if pretty else b"{"]
    for n, (name, value) in enumerate(items):
        if pretty:
            out.append(b"\t" * depth)
        out.append(_c_string(_bytes(name)) + (b":\t" if pretty else b":") + dumps(value, pretty, depth))
        if n != len(items) - 1:
            out.append(b",")
        if pretty:
            out.append(b"\n")
    if pretty:
        out.append(b"\t" * (depth - 1))
    out.append(b"}")
    return b"".join(out)


class Members(list):
    """An object's (name, value) pairs in order; names may repeat (srjson allows it)."""


def _node_value_for_print(n: Node):
    if n.type == J_STRING:
        return n.string
    if n.type == J_NUMBER:
        return n.number
    if n.type in (J_TRUE, J_FALSE):
        return n.type == J_TRUE
    if n.type == J_NULL:
        return None
    if n.type == J_ARRAY:
        return [_node_value_for_print(c) for c in n.children]
    return Members((c.name, _node_value_for_print(c)) for c in n.children)


def plain(n: Node):
    """A request value as plain Python: strings as latin-1 str, whole numbers as int."""
    if n.type == J_STRING:
        return n.string.decode("latin-1")
    if n.type == J_NUMBER:
        d = n.number
        return int(d) if math.isfinite(d) and d == int(d) else d
    if n.type in (J_TRUE, J_FALSE):
        return n.type == J_TRUE
    if n.type == J_NULL:
        return None
    if n.type == J_ARRAY:
        return [plain(c) for c in n.children]
    out: dict = {}
    for c in n.children:                      # a repeated name: the first one counts, as in lookups
        out.setdefault(c.name.decode("latin-1"), plain(c))
    return out


# ---- running a request (jsonrpc_exec_ex) ------------------------------------------------------------
def _c_long(d: float, bits: int, signed: bool) -> int:
    """A double cast to a C integer type, as x86-64 does it (out of range: the 'integer
    indefinite' value, then seen through the target type)."""
    lim = 1 << (bits - 1)
    if math.isfinite(d) and -lim <= d < (lim if signed else 2 * lim):
        v = int(d)
    elif math.isfinite(d) and not signed and -(1 << 63) <= d < (1 << 64):
        v = int(d)
    else:
        v = -lim if bits == 32 else -(1 << 63)
    v &= (1 << bits) - 1
    return v - (1 << bits) if signed and v >= lim else v


class JsonRpcContext(RpcContext):
    """Parameters as jsonrpcs' rpc->scan reads them: a string is required where the command
    scans a string (a number is refused unless the command converts, like scan's '.',
    and then it becomes the digits of its unsigned long value); an int scan takes any
    value's number (a string counts as 0)."""

    transport = "jsonrpc"

    def __init__(self, nodes: list[Node], program=None, log=None):
        super().__init__([plain(n) for n in nodes], program)
        self.nodes = nodes
        self.log = log

    def _err(self, where: str, text: str) -> None:
        if self.log is not None:
            self.log.module(L_ERR, "jsonrpcs", where, text)

    def str_param(self, i: int, optional: bool = False, convert: bool = False, scan: str = "S") -> str | None:
        if i >= len(self.nodes):          # a scan with no parameter left just returns 0
            return None
        n = self.nodes[i]
        if n.type == J_STRING:
            return n.string.decode("latin-1")
        lines = (679, 685) if scan == "s" else (701, 708)
        if convert:
            if n.type == J_NUMBER:
                return str(_c_long(n.number, 64, False))
            self._err(f"jsonrpcs_mod.c:{lines[0]}]: jsonrpc_scan()",
                      f"field is not a number to auto-convert - type {n.type}")
            return None
        self._err(f"jsonrpcs_mod.c:{lines[1]}]: jsonrpc_scan()", f"field is not a string - type {n.type}")
        return None

    def int_param(self, i: int, optional: bool = False, convert: bool = False) -> int | None:
        if i >= len(self.nodes):
            return None
        return _c_long(self.nodes[i].number, 32, True)


@dataclasses.dataclass
class Reply:
    body: bytes                    # the JSON text to send
    reply_name: bytes | None       # FIFO transport: the reply FIFO's name, if the request had one
    code: int = 200                # what an HTTP transport would put on its status line
    text: str = "OK"


def _log(log, where: str, text: str) -> None:
    if log is not None:
        log.module(L_ERR, "jsonrpcs", where, text)


def execute(program, doc: bytes, fifo: bool = False, pretty: bool = True, log=None) -> Reply | None:
    """Run one JSON-RPC document against program's RPC commands, as jsonrpc_exec_ex does.
    None: not JSON, no reply at all.  With fifo=True the request names its reply FIFO."""
    if log is None:
        log = getattr(program, "log", None)
    text = bytes(doc).split(b"\0", 1)[0].strip(b" \t\r\n")
    req = parse(text)
    if req is None:
        _log(log, "jsonrpcs_mod.c:1393]: jsonrpc_exec_ex()", f"invalid json doc [[{text.decode('latin-1')}]]")
        return None
    state = _Exec()
    reply_name = None
    jv = req.get("jsonrpc")
    if jv is None:
        _log(log, "jsonrpcs_mod.c:1405]: jsonrpc_exec_ex()", "missing jsonrpc field in request")
    elif jv.type != J_STRING:          # Kamailio 5.6 crashes here; kamlite refuses the request
        _log(log, "jsonrpcs_mod.c:1317]: jsonrpc_exec_ex()", "missing or invalid jsonrpc field in request")
    elif jv.string.split(b"\0")[0] != b"2.0":
        _log(log, "jsonrpcs_mod.c:1411]: jsonrpc_exec_ex()",
             f"unsupported jsonrpc version [{jv.string.decode('latin-1')}]")
    else:
        ok = True
        if fifo:
            rn = req.get("reply_name")
            if rn is None or rn.type != J_STRING:
                _log(log, "jsonrpcs_mod.c:1422]: jsonrpc_exec_ex()", "missing reply_name field in request")
                ok = False
            elif len(rn.string) >= REPLY_NAME_MAX:
                _log(log, "jsonrpcs_mod.c:1428]: jsonrpc_exec_ex()", "no space to store reply_name field")
                ok = False
            else:
                reply_name = rn.string
        if ok:
            state.run(program, req, log)
    return Reply(state.render(req, pretty), reply_name, state.http_code, state.http_text)


class _Exec:
    """The reply being built for one request (Kamailio's jsonrpc_ctx_t)."""

    def __init__(self):
        self.returns_array = False
        self.values: list = []
        self.error: tuple[int, bytes] | None = None
        self.http_code, self.http_text = 200, "OK"

    def run(self, program, req: Node, log) -> None:
        m = req.get("method")
        if m is None or m.type != J_STRING:
            _log(log, "jsonrpcs_mod.c:1438]: jsonrpc_exec_ex()", "missing jsonrpc method field in request")
            return
        method = m.string.decode("latin-1")
        if method not in program.rpc_commands:
            _log(log, "jsonrpcs_mod.c:1446]: jsonrpc_exec_ex()", f"method callback not found [{method}]")
            self.fault(500, "Method Not Found")
            return
        cmd = program.rpc_commands[method][0]
        self.returns_array = cmd.returns_array
        params = req.get("params")
        if params is not None and params.type not in (J_ARRAY, J_OBJECT):
            _log(log, "jsonrpcs_mod.c:1453]: jsonrpc_exec_ex()", "params field is not an array or object")
            return
        ctx = JsonRpcContext(params.children if params is not None else [], program, log)
        try:
            cmd, result = run_command(program, method, ctx)
        except RpcFault as f:
            self.fault(f.code, f.message)
            return
        except Exception as e:          # a bug in a command: answer, log, keep serving
            _log(log, "jsonrpcs_mod.c:0]: jsonrpc_exec_ex()",
                 f"BUG: rpc command {method} failed: {type(e).__name__}: {e}")
            self.fault(500, "Internal Server Error")
            return
        self.values = added_values(cmd, result)

    def fault(self, code: int, message: str) -> None:
        text = _bytes(message)[:ERROR_TEXT_MAX]
        self.http_code = 500 if code <= 100 else code
        self.http_text = text.decode("latin-1")
        if code == 0:
            code = -32000
        self.error = (code, _bytes(ERROR_TABLE[code]) if code in ERROR_TABLE else (text or b"Unexpected Error"))

    def render(self, req: Node, pretty: bool) -> bytes:
        top = Members([("jsonrpc", "2.0")])
        if self.error is not None:
            top.append(("error", Members([("code", self.error[0]), ("message", self.error[1])])))
        elif self.returns_array:
            top.append(("result", list(self.values)))
        else:
            top.append(("result", self.values[-1] if self.values else {}))
        rid = req.get("id")
        if rid is not None:
            top.append(("id", rid.string if rid.string is not None else rid.number))
        return dumps(top, pretty)
