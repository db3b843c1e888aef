"""The syntax tree of a config.  Plain data; nothing here runs.

Every node keeps `pos` and `end`: offsets into the preprocessed text (Config.source maps
them back to file:line:col).  Values inside are already decoded (string escapes applied,
numbers converted).
"""
from __future__ import annotations

import dataclasses
from typing import Optional, Union

from .source import Expanded

_node = dataclasses.dataclass(slots=True, eq=False)


@_node
class Node:
    pos: int
    end: int


# ---- expressions ----------------------------------------------------------------------------
@_node
class Int(Node):
    value: int
    text: str = ""


@_node
class Str(Node):
    value: str


@_node
class PV(Node):
    text: str                      # the pseudo-variable as written: "$var(x)", "$(ru{uri.user})"
    after_paren: bool = False      # first thing inside '(': Kamailio's parser reads one token
                                   # ahead here, and positions the value at that token


@_node
class Word(Node):
    """A bare word: an identifier, host name, IP address, socket, msg:len, uri:host ..."""
    text: str


@_node
class Select(Node):
    text: str                      # SER select such as @via[1].branch


@_node
class BinOp(Node):
    op: str                        # as written, except 'and'/'or'/'not' normalized to && || !
    left: "Expr"
    right: "Expr"
    op_pos: int = 0


@_node
class UnOp(Node):
    op: str                        # "!", "~", "-", "defined", "(int)", "(str)"
    operand: "Expr"


@_node
class StrLen(Node):
    operand: "Expr"


@_node
class StrEmpty(Node):
    operand: "Expr"


@_node
class SelVal(Node):
    cond: "Expr"
    if_true: "Expr"
    if_false: "Expr"


@_node
class Call(Node):
    """A function call, as a statement or inside an expression."""
    name: str
    args: list
    close: int = 0                 # offset of the closing parenthesis


@_node
class AssignExpr(Node):
    """'( $x = expr )' used as a value: the assignment runs, its value is 1 (or <0)."""
    assign: "Assign"


Expr = Union[Int, Str, PV, Word, Select, BinOp, UnOp, StrLen, StrEmpty, SelVal, Call, AssignExpr]


# ---- statements -----------------------------------------------------------------------------
@_node
class Assign(Node):
    target: PV
    expr: Expr


@_node
class If(Node):
    cond: Expr
    then: list
    orelse: Optional[list] = None


@_node
class While(Node):
    cond: Expr
    body: list


@_node
class Case(Node):
    label: Optional[Expr]          # None for default:
    regex: bool
    body: list


@_node
class Switch(Node):
    expr: Expr
    cases: list


@_node
class Return(Node):
    kind: str                      # "return", "exit", "drop" or "break"
    expr: Optional[Expr] = None
    parens: bool = False           # return() / exit() / drop()


Stmt = Union[Call, Assign, If, While, Switch, Return]


# ---- top level ------------------------------------------------------------------------------
@_node
class GValue(Node):
    kind: str                      # "word", "string", "colon" or "list"
    text: str
    items: Optional[list] = None   # for "list"


@_node
class GlobalParam(Node):
    name: str
    values: list


@_node
class CfgVar(Node):
    name: str                      # group.var or group[N].var
    values: list


@_node
class LoadModule(Node):
    path: str
    keyword: str = "loadmodule"


@_node
class LoadPath(Node):
    path: str


@_node
class ModParam(Node):
    module: str
    param: str
    value: Union[str, int]
    value_kind: str                # "str", "int", "word" (yes/no ...) or "pvar"
    value_pos: int = 0


@_node
class FlagsDecl(Node):
    keyword: str
    flags: list                    # [(name, number or None)]


ROUTE_KINDS = {"request_route": "request", "route": "route", "failure_route": "failure",
               "onreply_route": "onreply", "reply_route": "reply", "branch_route": "branch",
               "onsend_route": "onsend", "event_route": "event"}


@_node
class Route(Node):
    kind: str                      # request, route, failure, onreply, reply, branch, onsend, event
    name: Optional[str]
    body: list
    name_pos: int = 0
    keyword: str = ""


@dataclasses.dataclass(eq=False)
class Config:
    items: list
    source: Expanded

    def location(self, node_or_pos, end: int | None = None):
        if isinstance(node_or_pos, int):
            return self.source.location(node_or_pos, end)
        return self.source.location(node_or_pos.pos, node_or_pos.end)

    @property
    def routes(self) -> list:
        return [i for i in self.items if isinstance(i, Route)]


def walk(node):
    """Every node below (and including) node, statements and expressions alike."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
            continue
        if n is None or not isinstance(n, Node):
            continue
        yield n
        for f in dataclasses.fields(n):
            v = getattr(n, f.name)
            if isinstance(v, (Node, list)):
                stack.append(v)
