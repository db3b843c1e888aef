"""Old-style tests on the message: `method == "INVITE"`, `uri == myself`,
`src_ip == 10.0.0.0/8`, `proto == UDP`, `dst_port == 5060` ... (Kamailio's exp_elem).

Each becomes, at load time, an object called with the run context that returns 1 (true),
0 (false) or -1 (error), as Kamailio's eval_elem() does; the compiler embeds it as a
"bexpr" leaf.  Constant operands (strings, regexes, networks) are prepared once here.
"""
from __future__ import annotations

import ipaddress

from .. import posixre
from ..cfg import nodes as N
from ..log import L_ERR
from ..sip.receive import sip_core
from ..sip.transport import resolve
from ..sip.uri import UriError, parse_uri

STR_OPS = {"==": "eq", "!=": "diff", "=~": "match"}
CMP_OPS = {"==": "eq", "!=": "diff", ">": "gt", "<": "lt", ">=": "gte", "<=": "lte"}
PROTOS = {"udp": 1, "tcp": 2, "tls": 3, "sctp": 4, "ws": 5, "wss": 6}
AFS = {"inet": 2, "inet6": 10}
URI_WORDS = ("uri", "from_uri", "to_uri")
IP_WORDS = ("src_ip", "dst_ip")
INT_WORDS = ("src_port", "dst_port", "af", "msg:len")
UNSUPPORTED = ("snd_ip", "to_ip", "snd_port", "to_port", "snd_proto", "snd_af")


class OldTestError(Exception):
    pass


class _Operand:
    """The right side: a constant (prepared) or a dynamic value (value(ctx))."""

    def __init__(self, const=None, dynamic=None):
        self.const = const
        self.dynamic = dynamic


def build(word: str, op: str, right, builder):
    """The evaluator for `word op right`; builder turns nodes into RVE (for dynamic
    right sides) and gives access to the compiler's helpers."""
    if word in UNSUPPORTED:
        raise OldTestError(f"'{word}' tests only make sense in onsend_route, which kamlite does not run")
    myself = type(right) is N.Word and right.text == "myself"
    if word == "method":
        return MethodTest(_strop(op), _str_operand(right, op, builder, allow_word=True))
    if word in URI_WORDS:
        if myself:
            if op not in ("==", "!="):
                raise OldTestError("invalid operator, == or != expected with myself")
            return UriMyselfTest(word, op == "==")
        return UriTest(word, _strop(op), _str_operand(right, op, builder))
    if word in IP_WORDS:
        if myself:
            if op not in ("==", "!="):
                raise OldTestError("invalid operator, == or != expected with myself")
            return IpMyselfTest(word, op == "==")
        return IpTest(word, _strop(op), _ip_operand(right, op, builder))
    if word == "proto":
        if op not in ("==", "!="):
            raise OldTestError("invalid operator, == or != expected")
        if type(right) is N.Word and right.text.lower() in PROTOS:
            return IntTest(word, CMP_OPS[op], _Operand(const=PROTOS[right.text.lower()]))
        return IntTest(word, CMP_OPS[op], _int_operand(right, builder))
    if word in INT_WORDS:
        if op not in CMP_OPS:
            raise OldTestError("==, !=, <,>, >= or <=  expected")
        if word == "af" and type(right) is N.Word and right.text.lower() in AFS:
            return IntTest(word, CMP_OPS[op], _Operand(const=AFS[right.text.lower()]))
        return IntTest(word, CMP_OPS[op], _int_operand(right, builder))
    raise OldTestError(f"unknown test '{word}'")


def build_reversed(op: str, left_word: str, builder):
    """`myself == uri` / `myself != src_ip`."""
    if op not in ("==", "!="):
        raise OldTestError("invalid operator, == or != expected")
    if left_word in URI_WORDS:
        return UriMyselfTest(left_word, op == "==")
    if left_word in IP_WORDS:
        return IpMyselfTest(left_word, op == "==")
    raise OldTestError("URI, SRCIP or DSTIP expected")


def _strop(op: str) -> str:
    if op not in STR_OPS:
        raise OldTestError("invalid operator, == , != or =~ expected")
    return STR_OPS[op]


def _const_value(node, builder):
    e = builder.build(node)
    from . import rve as R
    if R.is_constant(e):
        return True, builder.const_value(e), e
    return False, None, e


def _str_operand(node, op, builder, allow_word=False):
    if allow_word and type(node) is N.Word:
        return _Operand(const=_prepare_str(node.text, op))
    const, value, e = _const_value(node, builder)
    if const:
        if value.__class__ is int:
            raise OldTestError("string expected")
        return _Operand(const=_prepare_str(value, op))
    return _Operand(dynamic=builder.value_fn(e))


def _prepare_str(value: str, op: str):
    if op == "=~":
        try:
            return posixre.compile(value, icase=True)
        except posixre.PosixRegexError as e:
            raise OldTestError(f"bad regular expression \"{value}\": {e}") from None
    return value


def _int_operand(node, builder):
    const, value, e = _const_value(node, builder)
    if const:
        if value.__class__ is not int:
            raise OldTestError("number expected")
        return _Operand(const=value)
    return _Operand(dynamic=builder.value_fn(e))


def _ip_operand(node, op, builder):
    """A network (ip, ip/bits, ip/mask), a host name, or a dynamic value."""
    text = _net_text(node)
    if text is not None:
        net = parse_net(text)
        if net is not None:
            return _Operand(const=net)
        if "/" not in text:
            return _Operand(const=text)
        raise OldTestError(f"bad network {text}")
    const, value, e = _const_value(node, builder)
    if const:
        if value.__class__ is int:
            raise OldTestError("string expected")
        net = parse_net(value)
        if net is not None:
            return _Operand(const=net)
        if op == "=~":
            return _Operand(const=_prepare_str(value, op))
        return _Operand(const=value)
    return _Operand(dynamic=builder.value_fn(e))


def _net_text(node):
    """ip, ip/8, ip/255.0.0.0, host.name written without quotes."""
    t = type(node)
    if t is N.Word:
        return node.text
    if t is N.BinOp and node.op == "/" and type(node.left) is N.Word:
        r = node.right
        if type(r) is N.Int:
            return f"{node.left.text}/{r.value}"
        if type(r) is N.Word:
            return f"{node.left.text}/{r.text}"
    return None


def parse_net(text: str):
    try:
        if "/" in text:
            addr, mask = text.split("/", 1)
            if mask.isdigit():
                return ipaddress.ip_network(f"{addr}/{mask}", strict=False)
            return ipaddress.ip_network(f"{addr}/{mask}", strict=False)
        return ipaddress.ip_network(text)
    except ValueError:
        return None


# ---- evaluators ---------------------------------------------------------------------------------
def _comp_str(op: str, left: str, right) -> int:
    if op == "match":
        if isinstance(right, str):
            try:
                right = posixre.compile(right, icase=True)
            except posixre.PosixRegexError:
                return -1
        return 1 if right.search(left) else 0
    eq = len(left) == len(right) and left.lower() == right.lower()
    return (1 if eq else 0) if op == "eq" else (0 if eq else 1)


def _operand_value(operand: _Operand, ctx):
    if operand.dynamic is None:
        return operand.const
    return operand.dynamic(ctx)


def _err(ctx, where: str, func: str, text: str) -> int:
    log = ctx.log
    if L_ERR <= log.debug:
        log.write(L_ERR, f"<core> [core/{where}]: {func}(): {text}\n")
    return -1


_ADDR = {"from_uri": ("From", "route.c:1856", "route.c:1861"),
         "to_uri": ("To", "route.c:1875", "route.c:1881")}


def _addr_body(ctx, which):
    """The parsed From or To of the message, or None after Kamailio's error line."""
    msg = ctx.msg
    body = msg.from_body() if which == "from_uri" else msg.to_body()
    if body is None:
        name, where, _ = _ADDR[which]
        _err(ctx, where, "eval_elem", f"bad or missing {name}: header")
    return body


class _StrTest:
    """`x op right` on a string taken from the message (comp_str)."""

    def __init__(self, op, operand):
        self.op, self.operand = op, operand

    def left(self, ctx):
        """The message's string, or None when it cannot be had (error already logged)."""
        raise NotImplementedError

    def __call__(self, ctx) -> int:
        left = self.left(ctx)
        if left is None:
            return -1
        right = _operand_value(self.operand, ctx)
        if right is None:
            return 1 if self.op == "diff" else 0
        if right.__class__ is int:
            right = str(right)
        return _comp_str(self.op, left, right)


class MethodTest(_StrTest):
    def left(self, ctx):
        msg = ctx.msg
        if msg.type == 1:
            return msg.method
        cs = msg.cseq
        if cs is None:
            _err(ctx, "route.c:1818", "eval_elem", "cannot parse cseq header")
            return None
        return cs.method


class UriTest(_StrTest):
    def __init__(self, which, op, operand):
        super().__init__(op, operand)
        self.which = which

    def left(self, ctx):
        if self.which == "uri":
            return ctx.msg.ruri
        body = _addr_body(ctx, self.which)
        return None if body is None else (body.uri or "")


class UriMyselfTest:
    def __init__(self, which, positive):
        self.which, self.positive = which, positive

    def __call__(self, ctx) -> int:
        if self.which == "uri":
            u = ctx.msg.parsed_ruri()
            if u is None:
                return -1
        else:
            body = _addr_body(ctx, self.which)
            if body is None:
                return -1
            try:
                u = parse_uri(body.uri or "", ctx.log)
            except UriError:
                name, _, where = _ADDR[self.which]
                return _err(ctx, where, "eval_elem", f"bad uri in {name}:")
        port = u.port_no or (5061 if u.type == "sips" or u.proto == "tls" else 5060)
        mine = sip_core(ctx.program).sockets.is_myself(u.host or "", port)
        return 1 if mine == self.positive else 0


class IpMyselfTest:
    def __init__(self, which, positive):
        self.which, self.positive = which, positive

    def __call__(self, ctx) -> int:
        rcv = ctx.msg.rcv
        ip = (rcv.src_ip if self.which == "src_ip" else rcv.dst_ip) if rcv is not None else "127.0.0.1"
        mine = sip_core(ctx.program).sockets.is_myself_ip(ip)
        return 1 if mine == self.positive else 0


class IpTest:
    def __init__(self, which, op, operand):
        self.which, self.op, self.operand = which, op, operand

    def __call__(self, ctx) -> int:
        rcv = ctx.msg.rcv
        ip = (rcv.src_ip if self.which == "src_ip" else rcv.dst_ip) if rcv is not None else "127.0.0.1"
        right = _operand_value(self.operand, ctx)
        if right is None:
            return 1 if self.op == "diff" else 0
        if right.__class__ is int:
            right = str(right)
        r = self._match(ip, right)
        if self.op == "diff":
            return 0 if r > 0 else 1
        return r

    def _match(self, ip: str, right) -> int:
        addr = ipaddress.ip_address(ip)
        if isinstance(right, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return 1 if addr.version == right.version and addr in right else 0
        if not isinstance(right, str):          # a compiled regex (=~ on a constant)
            return 1 if right.search(ip) else 0
        net = parse_net(right)
        if net is not None:
            return 1 if addr.version == net.version and addr in net else 0
        if self.op == "match" and _comp_str("match", ip, right) == 1:
            return 1
        r = resolve(right, None)
        return 1 if r is not None and ipaddress.ip_address(r[0]) == addr else 0


class IntTest:
    def __init__(self, which, op, operand):
        self.which, self.op, self.operand = which, op, operand

    def __call__(self, ctx) -> int:
        msg = ctx.msg
        rcv = msg.rcv
        w = self.which
        if w == "src_port":
            left = rcv.src_port if rcv else 0
        elif w == "dst_port":
            left = rcv.dst_port if rcv else 0
        elif w == "proto":
            left = PROTOS.get(rcv.proto, 1) if rcv else 0
        elif w == "af":
            left = (10 if ":" in rcv.src_ip else 2) if rcv else 0
        else:                                   # msg:len
            left = len(msg.buf)
        right = _operand_value(self.operand, ctx)
        if right is None or right.__class__ is not int:
            return 1 if self.op == "diff" else 0
        op = self.op
        if op == "eq":
            return 1 if left == right else 0
        if op == "diff":
            return 1 if left != right else 0
        if op == "gt":
            return 1 if left > right else 0
        if op == "lt":
            return 1 if left < right else 0
        if op == "gte":
            return 1 if left >= right else 0
        return 1 if left <= right else 0
