"""Kamailio's expression model (rval_expr): the IR between nodes and compiled code.

Kamailio turns every expression into an rval_expr tree, checks its types when it is
built, and rewrites it at startup (rve_optimize): constants are folded, '+' becomes an
integer plus or a string concat when the left type is known, '==' becomes an integer or
string comparison, '$v && 1' becomes '(int)$v', and so on.  Those rewrites change what
a script computes, so kamlite builds the same tree and applies the same rewrites before
compiling.  Operators keep Kamailio's names (RVE_xxx_OP -> 'xxx').
"""
from __future__ import annotations

from . import values as V

# result types, as rve_guess_type/rve_check_type know them
T_INT, T_STR, T_NONE = "int", "str", "none"

UNARY = {"uminus", "bool", "lnot", "bnot", "strlen", "strempty", "defined", "notdefined", "int", "str"}
INT_BINARY = {"minus", "mul", "div", "mod", "bor", "band", "bxor", "blshift", "brshift", "land",
              "lor", "gt", "gte", "lt", "lte", "ieq", "idiff", "iplus"}
STR_CMP = {"streq", "strdiff", "match"}
ASSOC = {"plus", "iplus", "concat", "mul", "bor", "band", "bxor", "land", "lor"}
COMMUTATIVE = {"iplus", "mul", "bor", "band", "bxor", "land", "lor", "ieq", "idiff", "streq", "strdiff"}

# syntax operator -> Kamailio op
BINARY_OPS = {"+": "plus", "-": "minus", "*": "mul", "/": "div", "mod": "mod", "|": "bor",
              "&": "band", "^": "bxor", "<<": "blshift", ">>": "brshift", "&&": "land",
              "||": "lor", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "==": "eq",
              "!=": "diff", "ieq": "ieq", "ine": "idiff", "eq": "streq", "ne": "strdiff",
              "=~": "match"}
UNARY_OPS = {"-": "uminus", "!": "lnot", "~": "bnot", "defined": "defined", "(int)": "int",
             "(str)": "str"}


class RVal:
    """A leaf: int, str, pv (a pseudo-variable spec), action (a call), bexpr (old-style
    test such as method=="INVITE"), sel (select)."""
    __slots__ = ("kind", "value", "node")

    def __init__(self, kind: str, value, node=None):
        self.kind = kind
        self.value = value
        self.node = node

    def __repr__(self):
        return f"RVal({self.kind}, {self.value!r})"


class RVE:
    __slots__ = ("op", "left", "right", "rval", "pos", "node")

    def __init__(self, op: str, left=None, right=None, rval: RVal | None = None, pos=(0, 0, 0, 0), node=None):
        self.op = op
        self.left = left
        self.right = right
        self.rval = rval
        self.pos = pos              # (start line, start col, end line, end col), as Kamailio prints it
        self.node = node

    @property
    def span(self) -> str:
        return "(%d,%d-%d,%d)" % self.pos

    def __repr__(self):
        if self.op == "rval":
            return repr(self.rval)
        if self.op in UNARY:
            return f"{self.op}({self.left!r})"
        return f"{self.op}({self.left!r}, {self.right!r})"

    def copy_from(self, other: "RVE", keep_pos: bool = True) -> None:
        pos = self.pos
        self.op, self.left, self.right, self.rval, self.node = other.op, other.left, other.right, other.rval, other.node
        self.pos = pos if keep_pos else other.pos


def leaf(kind, value, pos, node=None) -> RVE:
    return RVE("rval", rval=RVal(kind, value, node), pos=pos, node=node)


# ---- typing -------------------------------------------------------------------------------------
def guess_type(e: RVE) -> str:
    op = e.op
    if op == "rval":
        k = e.rval.kind
        if k in ("str", "sel"):
            return T_STR
        if k in ("int", "bexpr", "action"):
            return T_INT
        return T_NONE
    if op in ("plus",):
        return guess_type(e.left)
    if op in ("concat", "str"):
        return T_STR
    if op == "selvalexp":
        return T_NONE
    if op == "selvalopt":
        return guess_type(e.left)
    return T_INT


def is_constant(e: RVE) -> bool:
    op = e.op
    if op == "rval":
        return e.rval.kind in ("int", "str")
    if op in UNARY:
        return is_constant(e.left)
    return is_constant(e.left) and is_constant(e.right)


class TypeMismatch(Exception):
    def __init__(self, bad: RVE, bad_t: str, exp_t: str):
        super().__init__(f"type mismatch: {bad_t} instead of {exp_t}")
        self.bad, self.bad_t, self.exp_t = bad, bad_t, exp_t


def check_type(e: RVE) -> str:
    """rve_check_type: the expression's type, or TypeMismatch."""
    op = e.op
    if op in ("rval", "selvalexp", "selvalopt"):
        return guess_type(e)
    if op in ("uminus", "bool", "lnot", "bnot"):
        t1 = check_type(e.left)
        if t1 == T_STR:
            raise TypeMismatch(e.left, t1, T_INT)
        return T_INT
    if op in INT_BINARY:
        t1 = check_type(e.left)
        if t1 == T_STR:
            raise TypeMismatch(e.left, t1, T_INT)
        t2 = check_type(e.right)
        if t2 == T_STR:
            raise TypeMismatch(e.right, t2, T_INT)
        return T_INT
    if op in ("eq", "diff", "plus", "concat") or op in STR_CMP:
        t1 = check_type(e.left)
        t2 = check_type(e.right)
        if t2 != t1 and t1 != T_NONE and t2 != T_NONE and not (t1 == T_STR and t2 == T_INT):
            raise TypeMismatch(e.right, t2, t1)
        if op in ("concat",) or op in STR_CMP:
            if t1 == T_INT:
                raise TypeMismatch(e.left, t1, T_STR)
            return T_INT if op in STR_CMP else T_STR
        return t1 if op == "plus" else T_INT
    if op in ("strlen", "strempty", "defined", "notdefined"):
        t1 = check_type(e.left)
        if t1 == T_INT:
            raise TypeMismatch(e.left, t1, T_STR)
        return T_INT
    if op == "int":
        return T_INT
    if op == "str":
        return T_STR
    raise TypeMismatch(e, T_NONE, T_STR)


# ---- constant evaluation (what rval_expr_eval_new(0, 0, rve) gives at startup) ----------------
class ConstEvalError(Exception):
    pass


class ConstEval:
    """Evaluates constant trees with Kamailio's rules; `warn(text)` receives the warnings
    Kamailio prints while doing so, `error(text)` its errors."""

    def __init__(self, warn=None, error=None):
        self.warn = warn or (lambda where, func, text: None)
        self.error = error or (lambda where, func, text: None)

    def _to_int(self, v, e: RVE, line=1948, func="rval_expr_eval_int",
                what="rval expression conversion to int failed") -> int:
        if v.__class__ is int:
            return v
        if v is None:
            return 0
        r = V.str_to_int(v)
        if r is None:
            self.warn("rvalue.c:1043", "rval_get_int", f'automatic string to int conversion for "{v}" failed')
            self.warn(f"rvalue.c:{line}", func, f"{what} {e.span}")
            return 0
        return r

    def int_(self, e: RVE) -> int:
        op = e.op
        if op == "rval":
            return self._to_int(e.rval.value, e)
        if op in ("uminus", "lnot", "bnot", "bool"):
            v = self.int_(e.left)
            return {"uminus": lambda x: V.wrap(-x), "lnot": lambda x: int(x == 0),
                    "bnot": lambda x: ~x, "bool": lambda x: int(x != 0)}[op](v)
        if op == "int":
            return self.int_(e.left)
        if op in INT_BINARY or op == "plus":
            a = self.int_(e.left)
            if op == "land":
                return 0 if a == 0 else int(self.int_(e.right) != 0)
            if op == "lor":
                return 1 if a != 0 else int(self.int_(e.right) != 0)
            b = self.int_(e.right)
            return int_op(op, a, b, self)
        if op in ("eq", "diff"):
            left = self.rvint(e.left)
            if left.__class__ is int:
                r = left == self.int_(e.right)
            else:
                right = self.val(e.right)
                r = left == V.to_str(right)
            return int(r if op == "eq" else not r)
        if op == "concat":
            return self._to_int(self.val(e), e, 2106)
        if op == "str":
            v = self.rvint(e.left)
            return self._to_int(v, e, 2122, what="rval expression conversion to int failed")
        if op in ("defined", "notdefined"):
            d = 1
            if e.left.op == "rval" and e.left.rval.kind not in ("int", "str", "action", "bexpr"):
                d = 0
            return d if op == "defined" else int(not d)
        if op in STR_CMP:
            a, b = V.to_str(self.val(e.left)), V.to_str(self.val(e.right))
            if op == "streq":
                return int(a == b)
            if op == "strdiff":
                return int(a != b)
            from .. import posixre
            try:
                rx = posixre.compile(b, icase=True)
            except posixre.PosixRegexError:
                self.error("rvalue.c:1508", "bool_rvstrop2", f'Bad regular expression "{b}"')
                raise ConstEvalError()
            return int(rx.search(a) is not None)
        if op in ("strlen", "strempty"):
            s = V.to_str(self.val(e.left))
            return len(s) if op == "strlen" else int(s == "")
        raise ConstEvalError(op)

    def rvint(self, e: RVE):
        if e.op == "rval":
            return e.rval.value
        if e.op in ("plus",):
            a = self.rvint(e.left)
            if a.__class__ is int:
                return V.wrap(a + self.int_(e.right))
            return V.to_str(a) + V.to_str(self.val(e.right))
        if e.op in ("concat", "str"):
            return self.val(e)
        return self.int_(e)

    def val(self, e: RVE):
        op = e.op
        if op == "rval":
            return e.rval.value
        if op == "plus":
            a = self.val(e.left)
            if a.__class__ is int:
                return V.wrap(a + self.int_(e.right))
            return V.to_str(a) + V.to_str(self.val(e.right))
        if op == "concat":
            return V.to_str(self.val(e.left)) + V.to_str(self.val(e.right))
        if op == "str":
            return V.to_str(self.val(e.left))
        if op == "selvalexp":
            c = self.int_(e.left)
            v = self.val(e.right.left if c > 0 else e.right.right)
            return v if v.__class__ is int else V.to_str(v)
        return self.int_(e)


def int_op(op: str, a: int, b: int, ev=None) -> int:
    if op in ("plus", "iplus"):
        return V.wrap(a + b)
    if op == "minus":
        return V.wrap(a - b)
    if op == "mul":
        return V.wrap(a * b)
    if op in ("div", "mod"):
        if b == 0:
            if ev is not None:
                ev.error("rvalue.c:1412" if op == "div" else "rvalue.c:1419", "int_intop2",
                         "rv div by 0" if op == "div" else "rv mod by 0")
            raise ConstEvalError(op)
        if b == -1:
            return V.wrap(-a) if op == "div" else 0
        return V.c_div(a, b) if op == "div" else V.c_mod(a, b)
    if op == "bor":
        return a | b
    if op == "band":
        return a & b
    if op == "bxor":
        return a ^ b
    if op == "blshift":
        return V.shl(a, b)
    if op == "brshift":
        return V.shr(a, b)
    if op == "gt":
        return int(a > b)
    if op == "gte":
        return int(a >= b)
    if op == "lt":
        return int(a < b)
    if op == "lte":
        return int(a <= b)
    if op in ("ieq", "eq"):
        return int(a == b)
    if op in ("idiff", "diff"):
        return int(a != b)
    if op == "land":
        return int(bool(a) and bool(b))
    if op == "lor":
        return int(bool(a) or bool(b))
    raise ConstEvalError(op)


# ---- rve_optimize ---------------------------------------------------------------------------
class Optimizer:
    """The startup rewrites of Kamailio's rve_optimize/rve_opt_01."""

    def __init__(self, ev: ConstEval, error=None):
        self.ev = ev
        self.error = error or (lambda text: None)

    def _const_value(self, e: RVE):
        return self.ev.val(e)

    def _replace_const(self, e: RVE, value) -> None:
        kind = "int" if value.__class__ is int else "str"
        e.op, e.left, e.right = "rval", None, None
        e.rval = RVal(kind, value, e.node)

    def _replace_cast(self, e: RVE, v: RVE, ctype: str) -> None:
        """replace_rve_type_cast: e := v if v is already ctype, else e := (ctype) v."""
        if guess_type(v) == ctype:
            pos = e.pos
            e.copy_from(v)
            e.pos = pos
        else:
            e.op, e.left, e.right, e.rval = ("int" if ctype == T_INT else "str"), v, None, None

    def optimize(self, e: RVE) -> None:
        if e.op == "rval":
            return
        if is_constant(e):
            # a failure is only logged: the expression stays and fails again at run time
            try:
                value = self._const_value(e)
            except ConstEvalError:
                self.error(f"optimization failure, bad expression {e.span}")
                return
            self._replace_const(e, value)
            return
        if e.op in UNARY:
            self.optimize(e.left)
            return
        self.optimize(e.left)
        self.optimize(e.right)
        try:
            etype = check_type(e)
        except TypeMismatch:
            return
        if e.op == "minus" and is_constant(e.right):
            try:
                v = self._const_value(e.right)
            except ConstEvalError:
                self.error(f"optimization failure, bad expression {e.right.span}")
                return
            if v.__class__ is int:
                self._replace_const(e.right, V.wrap(-v))
                e.op = "iplus"
        if e.op == "plus":
            lt = guess_type(e.left)
            if lt == T_INT:
                e.op = "iplus"
            elif lt == T_STR:
                e.op = "concat"
        if e.op in ("eq", "diff"):
            lt = guess_type(e.left)
            if lt == T_INT:
                e.op = "ieq" if e.op == "eq" else "idiff"
            elif lt == T_STR:
                e.op = "streq" if e.op == "eq" else "strdiff"
        if self._opt_01(e, etype):
            return
        self._reassociate(e)

    def _opt_01(self, e: RVE, etype: str) -> bool:
        if is_constant(e.right):
            ct, v, right = e.right, e.left, True
        elif is_constant(e.left):
            ct, v, right = e.left, e.right, False
        else:
            return False
        try:
            c = self._const_value(ct)
        except ConstEvalError:
            self.error(f"optimization failure, bad expression {ct.span}")
            return False
        op = e.op
        if c.__class__ is int:
            if op == "mul":
                if c == 0:
                    self._replace_const(e, c)
                    return True
                if c == 1:
                    self._replace_cast(e, v, T_INT)
                    return True
            elif op == "div":
                if c == 0:
                    if not right:
                        self._replace_const(e, c)
                        return True
                    self.error(f"RVE divide by 0 at {ct.pos[0]},{ct.pos[1]}")
                elif c == 1 and right:
                    self._replace_cast(e, v, T_INT)
                    return True
            elif op == "mod":
                if c == 0:
                    if not right:
                        self._replace_const(e, c)
                        return True
                    self.error(f"RVE modulo by 0 at {ct.pos[0]},{ct.pos[1]}")
            elif op == "minus":
                if c == 0 and right:
                    self._replace_cast(e, v, T_INT)
                    return True
            elif op == "band":
                if c == 0:
                    self._replace_const(e, c)
                    return True
            elif op == "bor":
                if c == 0:
                    self._replace_cast(e, v, T_INT)
                    return True
            elif op == "land":
                if c == 0:
                    self._replace_const(e, c)
                    return True
                if c == 1:
                    self._replace_cast(e, v, T_INT)
                    return True
            elif op == "lor":
                if c == 1:
                    self._replace_const(e, c)
                    return True
                if c == 0:
                    self._replace_cast(e, v, T_INT)
                    return True
            elif op in ("plus", "iplus"):
                if c == 0 and (op == "iplus" or etype == T_INT):
                    self._replace_cast(e, v, T_INT)
                    return True
        elif c.__class__ is str:
            if op == "concat" and c == "":
                self._replace_cast(e, v, T_STR)
                return True
            if op in ("eq", "streq") and c == "":
                e.op, e.left, e.right = "strempty", v, None
                return True
        return False

    def _reassociate(self, e: RVE) -> None:
        op = e.op
        if op not in ASSOC:
            return
        if is_constant(e.right):
            lt = e.left
            if lt.op == op:
                if is_constant(lt.right):
                    # op(op($v, a), b) => op($v, op(a, b))
                    if op == "plus" and guess_type(lt.right) != T_STR:
                        return
                    value = self._const_value(RVE(op, lt.right, e.right, pos=e.pos))
                    self._replace_const(e.right, value)
                    e.left = lt.left
                elif is_constant(lt.left) and op in COMMUTATIVE:
                    # op(op(a, $v), b) => op(op(a, b), $v)
                    value = self._const_value(RVE(op, lt.left, e.right, pos=e.pos))
                    e.right = lt.right
                    lt.right = None
                    self._replace_const(lt, value)
        elif is_constant(e.left):
            rt = e.right
            if rt.op == op:
                if is_constant(rt.right) and op in COMMUTATIVE:
                    # op(a, op($v, b)) => op(op(a, b), $v)
                    value = self._const_value(RVE(op, e.left, rt.right, pos=e.pos))
                    self._replace_const(e.left, value)
                    e.right = rt.left
                elif is_constant(rt.left):
                    # op(a, op(b, $v)) => op(op(a, b), $v)
                    if op == "plus" and guess_type(e.left) != guess_type(rt.left):
                        return
                    value = self._const_value(RVE(op, e.left, rt.left, pos=e.pos))
                    self._replace_const(e.left, value)
                    e.right = rt.right
