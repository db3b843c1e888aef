"""Preprocessed text -> nodes, with Lark (LALR, contextual lexer).

The transformer runs inside the parser (no parse tree is built) and turns tokens into the
dataclasses of nodes.py; Lark objects never leave this module.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from importlib import resources

import lark
from lark import Lark, Transformer, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import ConfigError, Diagnostic
from . import nodes as N
from .preprocess import Preprocessor, decode_dq
from .source import Expanded

_GRAMMAR_NAME = "kamailio.lark"


def _grammar_text() -> str:
    return resources.files("kamlite").joinpath("grammars", _GRAMMAR_NAME).read_text()


def _int(text: str) -> int:
    """Kamailio's number literals: decimal, 0x hex, 0 octal, 101b binary (32-bit wrap)."""
    if text.startswith(("0x", "0X")):
        v = int(text[2:], 16)
    elif text.endswith("b"):
        v = int(text[:-1], 2)
    elif len(text) > 1 and text[0] == "0" and text.isdigit() and all(c in "01234567" for c in text):
        v = int(text, 8)
    else:
        v = int(text)
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v & 0x80000000 else v


_ADJACENT = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)


def string_value(text: str) -> str:
    if text[0] == "'":
        return text[1:-1]
    if text.count('"') == 2:
        return decode_dq(text[1:-1])
    return "".join(decode_dq(m.group(1)) for m in _ADJACENT.finditer(text))


class _Block(list):
    """Statements of a block; `close` is the offset of its '}' (None without braces)."""
    __slots__ = ("close",)

    def __init__(self, items, close):
        super().__init__(items)
        self.close = close


def _block_end(block, default: int) -> int:
    if getattr(block, "close", None) is not None:
        return block.close + 1
    if block:
        return block[-1].end
    return default


class _ToNodes(Transformer):
    """Callbacks named after grammar rules/aliases; each returns a node."""

    # -- atoms --
    def int(self, c):
        t = c[0]
        return N.Int(t.start_pos, t.end_pos, _int(t.value), t.value)

    def string(self, c):
        t = c[0]
        return N.Str(t.start_pos, t.end_pos, string_value(t.value))

    def pvar(self, c):
        t = c[0]
        return N.PV(t.start_pos, t.end_pos, t.value)

    def word(self, c):
        t = c[0]
        return N.Word(t.start_pos, t.end_pos, t.value)

    def select(self, c):
        t = c[0]
        return N.Select(t.start_pos, t.end_pos, t.value)

    def paren(self, c):
        e = c[0]
        first = e
        while isinstance(first, N.BinOp):
            first = first.left
        if isinstance(first, N.PV):
            first.after_paren = True
        return e

    def paren_assign(self, c):
        a = c[0]
        return N.AssignExpr(a.pos, a.end, a)

    def strlen(self, c):
        return N.StrLen(c[0].start_pos, c[1].end, c[1])

    def strempty(self, c):
        return N.StrEmpty(c[0].start_pos, c[1].end, c[1])

    def selval(self, c):
        return N.SelVal(c[0].start_pos, c[3].end, c[1], c[2], c[3])

    def binop(self, c):
        left, op, right = c
        o = {"and": "&&", "or": "||"}.get(op.value, op.value)
        return N.BinOp(left.pos, right.end, o, left, right, op.start_pos)

    def unop(self, c):
        op, operand = c
        o = "!" if op.value == "not" else op.value
        return N.UnOp(op.start_pos, operand.end, o, operand)

    def call(self, c):
        name, rpar = c[0], c[-1]
        args = [a for a in c[1:-1] if a is not None]
        return N.Call(name.start_pos, rpar.end_pos, name.value, args, rpar.start_pos)

    def bare_call(self, c):
        # only a few core actions may be written without parentheses (cfg.y)
        name = c[0]
        if name.value not in BARE_ACTIONS:
            raise SyntaxErrorAt(name.end_pos, "'('')' expected (function call)")
        return N.Call(name.start_pos, name.end_pos, name.value, [], name.end_pos)

    # -- statements --
    def assign(self, c):
        pv, _eq, expr = c
        return N.Assign(pv.start_pos, expr.end, N.PV(pv.start_pos, pv.end_pos, pv.value), expr)

    def block(self, c):
        # a list of statements; a braced block remembers where its '}' is
        if c and isinstance(c[0], Token):
            return _Block([s for s in c[1:-1] if s is not None], c[-1].start_pos)
        return _Block([s for s in c if s is not None], None)

    def if_stmt(self, c):
        kw, cond, then = c[0], c[1], c[2]
        orelse = c[4] if len(c) > 3 else None
        last = orelse if orelse is not None else then
        return N.If(kw.start_pos, _block_end(last, cond.end), cond, list(then),
                    list(orelse) if orelse is not None else None)

    def while_stmt(self, c):
        kw, cond, body = c
        return N.While(kw.start_pos, _block_end(body, cond.end), cond, list(body))

    def switch_stmt(self, c):
        kw, expr, rbrace = c[0], c[1], c[-1]
        return N.Switch(kw.start_pos, rbrace.end_pos, expr, list(c[2:-1]))

    def case_item(self, c):
        kw, label = c[0], c[1]
        return N.Case(kw.start_pos, label.end, label, False, [s for s in c[2:] if s is not None])

    def case_regex(self, c):
        kw, label = c[0], c[2]
        return N.Case(kw.start_pos, label.end, label, True, [s for s in c[3:] if s is not None])

    def case_default(self, c):
        kw = c[0]
        return N.Case(kw.start_pos, kw.end_pos, None, False, [s for s in c[1:] if s is not None])

    def ret(self, c):
        kw = c[0]
        expr = c[1] if len(c) > 1 else None
        return N.Return(kw.start_pos, expr.end if expr is not None else kw.end_pos, kw.value, expr)

    # -- top level --
    def gword(self, c):
        t = c[0]
        return N.GValue(t.start_pos, t.end_pos, "word", t.value)

    def gstring(self, c):
        t = c[0]
        return N.GValue(t.start_pos, t.end_pos, "string", string_value(t.value))

    def gcolon(self, c):
        return N.GValue(0, 0, "colon", ":")

    def glist(self, c):
        return N.GValue(c[0].pos, c[-1].end, "list", "", list(c))

    def global_param(self, c):
        name = c[0]
        values = list(c[1:])
        end = values[-1].end if values else name.end_pos
        if name.value in ("loadpath", "mpath") and len(values) == 1 and values[0].kind == "string":
            return N.LoadPath(name.start_pos, end, values[0].text)
        return N.GlobalParam(name.start_pos, end, name.value, values)

    def cfg_var(self, c):
        name = c[0]
        values = list(c[1:])
        return N.CfgVar(name.start_pos, values[-1].end if values else name.end_pos, name.value, values)

    def loadmodule(self, c):
        kw, path = c
        return N.LoadModule(kw.start_pos, path.end_pos, string_value(path.value), kw.value)

    def loadpath(self, c):
        kw, path = c
        return N.LoadPath(kw.start_pos, path.end_pos, string_value(path.value))

    def mp_string(self, c):
        t = c[0]
        return ("str", string_value(t.value), t)

    def mp_int(self, c):
        t = c[0]
        return ("int", _int(t.value), t)

    def mp_negint(self, c):
        t = c[0]
        return ("int", -_int(t.value), t)

    def mp_pvar(self, c):
        t = c[0]
        return ("pvar", t.value, t)

    def mp_word(self, c):
        t = c[0]
        return ("word", t.value, t)

    def modparam(self, c):
        kw, mod, param, (kind, value, tok) = c
        return N.ModParam(kw.start_pos, tok.end_pos, string_value(mod.value), string_value(param.value),
                          value, kind, tok.start_pos)

    def flag_spec(self, c):
        name = c[0].value if c[0].type == "NAME" else string_value(c[0].value)
        return (name, _int(c[1].value) if len(c) > 1 else None, c[0])

    def flags_decl(self, c):
        kw = c[0]
        return N.FlagsDecl(kw.start_pos, c[-1][2].end_pos, kw.value, [(n, v) for n, v, _ in c[1:]])

    def route_block(self, c):
        kw = c[0]
        if kw.type == "EVENT_ROUTE":
            name_tok = c[1]
            name, name_pos, body = name_tok.value, name_tok.start_pos, c[2:]
        elif len(c) > 1 and isinstance(c[1], Token):
            t = c[1]
            name = string_value(t.value) if t.type == "STRING" else t.value
            name_pos, body = t.start_pos, c[2:]
        else:
            name, name_pos, body = None, kw.start_pos, c[1:]
        body = [s for s in body if s is not None and not isinstance(s, Token)]
        return N.Route(kw.start_pos, c[-1].end_pos, N.ROUTE_KINDS[kw.value], name, body, name_pos, kw.value)

    def start(self, c):
        return [i for i in c if i is not None]


_parser_cache: dict = {}


def _cache_file(grammar: str) -> str:
    digest = hashlib.sha256((grammar + lark.__version__).encode()).hexdigest()[:16]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "kamlite")
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        directory = tempfile.gettempdir()
    return os.path.join(directory, f"grammar-{digest}.lark.cache")


def get_parser() -> Lark:
    parser = _parser_cache.get("p")
    if parser is None:
        grammar = _grammar_text()
        kwargs = dict(parser="lalr", lexer="contextual", transformer=_ToNodes(),
                      maybe_placeholders=False)
        try:
            parser = Lark(grammar, cache=_cache_file(grammar), **kwargs)
        except (OSError, PermissionError):
            parser = Lark(grammar, **kwargs)
        _parser_cache["p"] = parser
    return parser


_EXPECT_NAMES = {
    "SEMICOLON": "';'", "RBRACE": "'}'", "LBRACE": "'{'", "RPAR": "')'", "LPAR": "'('",
    "COMMA": "','", "COLON": "':'", "RSQB": "']'", "LSQB": "'['", "ASSIGN": "'='", "__ANON_0": "'='",
}


class SyntaxErrorAt(Exception):
    """Raised by a grammar action: a syntax error at an offset of the expanded text."""

    def __init__(self, pos: int, message: str):
        super().__init__(message)
        self.pos = pos


# core actions cfg.y accepts without parentheses
BARE_ACTIONS = frozenset(("force_rport", "add_local_rport", "revert_uri", "force_tcp_alias",
                          "set_forward_no_connect", "set_reply_no_connect", "set_forward_close",
                          "set_reply_close"))


def _describe_error(e: UnexpectedInput, text: str) -> str:
    if isinstance(e, UnexpectedEOF):
        return "syntax error: unexpected end of file (a '}' or ';' is missing?)"
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        return f"syntax error: unexpected character {ch!r}"
    if isinstance(e, UnexpectedToken):
        tok = e.token
        got = "end of file" if tok.type == "$END" else repr(tok.value)
        expected = sorted(_EXPECT_NAMES[t] for t in e.expected if t in _EXPECT_NAMES)
        prev = getattr(e, "token_history", None)
        hint = ""
        if tok.type == "RBRACE" and prev and prev[-1].type == "LBRACE":
            hint = " (an empty block { } is not allowed; put ';' inside)"
        elif tok.value in ("+=", ":=", "!~"):
            hint = f" ('{tok.value}' does not exist in Kamailio's language)"
        elif "SEMICOLON" in e.expected and len(expected) <= 3:
            hint = " (missing ';'?)"
        exp = f"; expected {', '.join(expected)}" if expected and len(expected) <= 4 else ""
        return f"syntax error near {got}{exp}{hint}"
    return "syntax error"


def parse_expanded(src: Expanded) -> N.Config:
    try:
        items = get_parser().parse(src.text)
    except SyntaxErrorAt as e:
        raise ConfigError(Diagnostic(src.location(e.pos), f"syntax error: {e}", code="syntax")) from None
    except UnexpectedInput as e:
        pos = e.pos_in_stream if e.pos_in_stream is not None else len(src.text)
        if isinstance(e, UnexpectedToken) and e.token.type == "$END":
            pos = len(src.text)
        raise ConfigError(Diagnostic(src.location(min(pos, max(len(src.text) - 1, 0))),
                                     _describe_error(e, src.text), code="syntax")) from None
    for at in src.subst_at:
        for item in items:
            if isinstance(item, N.Route) and item.pos < at < item.end:
                raise ConfigError(Diagnostic(src.location(at), "syntax error: #!subst, #!substdef and "
                                             "#!substdefs are allowed only outside route blocks",
                                             code="syntax"))
    return N.Config(items, src)


def parse_file(path: str, defines: dict | None = None, cwd: str | None = None) -> N.Config:
    return parse_expanded(Preprocessor(defines, cwd=cwd).run_file(path))


def parse_text(text: str, path: str = "<config>", defines: dict | None = None) -> N.Config:
    return parse_expanded(Preprocessor(defines).run_text(text, path))
