"""pv: pseudo-variables and transformations (Kamailio's pv module).

Script variables ($var, per process), AVPs and XAVPs (per message), shared variables
($shv), process and time values, and the string/URI/param transformations.  Pseudo-
variables that read the SIP message come with SIP support.
"""
from __future__ import annotations

import os
import time

from ...log import L_ERR
from ...script import pv as PV
from ...script import runtime as RT
from ...script import values as VAL
from ...server.shm import SharedLock
from .. import Arg, Function, Module, Param, PseudoVar
from . import sip, trans


class State:
    def __init__(self, program):
        self.program = program
        self.shv = SharedVars(program)
        self.started = int(time.time())


# ---- $var -----------------------------------------------------------------------------------
class VarSpec(PV.PVSpec):
    """$var(name): a slot in the process' variable list (compiled code reads V[slot])."""
    writable = True
    vtype = "v"

    def __init__(self, text, slot):
        super().__init__(text)
        self.slot = slot
        self.inline = f"V[{slot}]"
        self.inline_set = f"V[{slot}] = {{value}}"

    def get(self, ctx):
        return ctx.program.vars[self.slot]

    def set(self, ctx, value):
        ctx.program.vars[self.slot] = 0 if value is None else value


def make_var(state, program, pvt):
    return VarSpec(pvt.text, program.var_slot(pvt.inner))


def _param_value(text: str):
    """'name=s:text' / 'name=i:number' (varset, shvset), as Kamailio's param_set_xvar reads
    them: (name, value) or ValueError."""
    name, eq, rest = text.partition("=")
    if not text or not eq or not name or rest[:1] not in ("s", "S", "i", "I") or rest[1:2] != ":":
        raise ValueError(f"unable to set shv parame [{text}]")
    value = rest[2:]
    if rest[0] in "iI":
        iv = VAL.str2sint(value)
        if iv is None:
            raise ValueError(f"unable to set shv parame [{text}]")
        return name, iv
    return name, value


def _apply_xvar(program, text: str):
    try:
        return _param_value(text)
    except ValueError as e:
        program.log.module(L_ERR, "pv", "pv_shv.c:649]: param_set_xvar()", str(e))
        raise


def set_varset(state, value, program):
    name, v = _apply_xvar(program, value)
    slot = program.var_slot(name)
    program.vars[slot] = v
    program.var_init[slot] = v


def set_shvset(state, value, program):
    name, v = _apply_xvar(program, value)
    state.shv.set(state.shv.slot(name), v)


# ---- $shv -----------------------------------------------------------------------------------
class SharedVars:
    """$shv values in the shared pool: one word per name points to the value's block
    ([type, int or length] + bytes); a process-shared lock guards the swaps.  Names are
    known at load time (before the fork), so every process has the same name -> slot map."""

    def __init__(self, program):
        self.program = program
        self.slots: dict[str, int] = {}
        self._lock = None

    def slot(self, name: str) -> int:
        s = self.slots.get(name)
        if s is None:
            if self._lock is None:
                self._lock = SharedLock()
            s = self.program.shm.alloc_words(1) >> 2
            self.slots[name] = s
        return s

    def get(self, slot: int):
        shm = self.program.shm
        with self._lock:
            ptr = shm.w[slot]
            if not ptr:
                return 0
            kind, n = shm.w[ptr >> 2], shm.w[(ptr >> 2) + 1]
            if kind == 0:
                return n - 0x100000000 if n & 0x80000000 else n
            return shm.mm[ptr + 8:ptr + 8 + n].decode("latin-1")

    def set(self, slot: int, value) -> None:
        shm = self.program.shm
        if value.__class__ is int:
            ptr = shm.alloc(8)
            shm.w[ptr >> 2] = 0
            shm.w[(ptr >> 2) + 1] = value & 0xFFFFFFFF
        else:
            data = value.encode("latin-1", "replace")
            ptr = shm.alloc(8 + len(data))
            shm.w[ptr >> 2] = 1
            shm.w[(ptr >> 2) + 1] = len(data)
            shm.mm[ptr + 8:ptr + 8 + len(data)] = data
        with self._lock:
            old = shm.w[slot]
            shm.w[slot] = ptr
        shm.free(old)


class ShvSpec(PV.PVSpec):
    writable = True
    vtype = "v"

    def __init__(self, text, store: SharedVars, name: str):
        super().__init__(text)
        self.store = store
        self.slot_index = store.slot(name)

    def get(self, ctx):
        return self.store.get(self.slot_index)

    def set(self, ctx, value):
        # Kamailio stores a null value as an empty string
        self.store.set(self.slot_index, "" if value is None else value)


def make_shv(state, program, pvt):
    return ShvSpec(pvt.text, state.shv, pvt.inner)


# ---- $avp -----------------------------------------------------------------------------------
def _avp_name(inner: str) -> str:
    if inner.startswith("s:"):
        return inner[2:]
    if inner.startswith("i:"):
        return "#" + inner[2:]
    return inner


class AvpSpec(PV.PVSpec):
    """$avp(name), $(avp(name)[i]), $(avp(name)[*]): per-message lists, newest first."""
    writable = True
    accepts_index = True

    def __init__(self, text, name, index):
        super().__init__(text)
        self.name = name
        self.index = index               # None, int, "*", or a PV spec giving the index

    def _idx(self, ctx):
        idx = self.index
        if isinstance(idx, PV.PVSpec):
            idx = RT.int_of_quiet(idx.get(ctx))
        return idx

    def get(self, ctx):
        values = ctx.avps.get(self.name)
        if not values:
            return None
        idx = self._idx(ctx)
        if idx is None:
            return values[0]
        if idx == "*":
            return ", ".join(VAL.to_str(v) for v in values)
        return values[idx] if 0 <= idx < len(values) else None

    def set(self, ctx, value):
        values = ctx.avps.get(self.name)
        if value is None:
            if values:
                idx = self._idx(ctx)
                if idx == "*":
                    values.clear()
                else:
                    idx = idx or 0
                    if 0 <= idx < len(values):
                        del values[idx]
            return
        # Kamailio adds a value even when an index is given
        if values is None:
            ctx.avps[self.name] = [value]
        else:
            values.insert(0, value)


def _index(index: str | None, program=None):
    if index is None:
        return None
    index = index.strip()
    if index == "*":
        return "*"
    if index.startswith("$") and program is not None:
        return program.pv_spec(index)
    v = VAL.str2sint(index)
    if v is None:
        raise ValueError(f"bad index [{index}]")
    return v


def make_avp(state, program, pvt):
    return AvpSpec(pvt.text, _avp_name(pvt.inner), _index(pvt.index, program))


# ---- $xavp ----------------------------------------------------------------------------------
class XavpSpec(PV.PVSpec):
    """$xavp(root=>field), $xavp(root[i]=>field[j]), $xavp(root): per-message structured
    lists.  A root holds rows (newest first), a row holds fields (newest first)."""
    writable = True

    def __init__(self, text, root, ridx, field, fidx):
        super().__init__(text)
        self.root, self.ridx, self.field, self.fidx = root, ridx, field, fidx

    def _row(self, ctx):
        rows = ctx.xavps.get(self.root)
        if not rows:
            return None
        i = self.ridx or 0
        if i == "*":
            i = 0
        if i < 0:
            i += len(rows)
        return rows[i] if 0 <= i < len(rows) else None

    def get(self, ctx):
        row = self._row(ctx)
        if row is None:
            return None
        if self.field is None:
            return "<<xavp:%x>>" % (id(row) & 0xFFFFFFFF)
        vals = [v for k, v in row if k == self.field]
        if not vals:
            return None
        j = self.fidx or 0
        if j == "*":
            j = 0
        if j < 0:
            j += len(vals)
        return vals[j] if 0 <= j < len(vals) else None

    def set(self, ctx, value):
        rows = ctx.xavps.setdefault(self.root, [])
        if self.field is None:
            if value is None:
                if self.ridx == "*":
                    rows.clear()
                elif rows:
                    i = self.ridx or 0
                    if -len(rows) <= i < len(rows):
                        del rows[i]
            return
        if value is None:
            row = self._row(ctx)
            if row is not None:
                for n, (k, _v) in enumerate(row):
                    if k == self.field:
                        del row[n]
                        break
            return
        if self.ridx is None:
            rows.insert(0, [(self.field, value)])
        else:
            row = self._row(ctx)
            if row is None:
                rows.insert(0, [(self.field, value)])
            else:
                row.insert(0, (self.field, value))


def make_xavp(state, program, pvt):
    inner = pvt.inner
    root, _, field = inner.partition("=>")

    def split(part):
        part = part.strip()
        if part.endswith("]") and "[" in part:
            name, idx = part[:-1].split("[", 1)
            return name, _index(idx)
        return part, None
    r, ri = split(root)
    if not r:
        raise ValueError("empty xavp name")
    f, fi = split(field) if field else (None, None)
    return XavpSpec(pvt.text, r, ri, f, fi)


# ---- process and time values ------------------------------------------------------------------
def get_pp(state, ctx):
    return os.getpid()


def get_Ts(state, ctx):
    return int(time.time())


def get_TS(state, ctx):
    return state.started


def get_Tf(state, ctx):
    return time.strftime("%a %b %d %H:%M:%S %Y\n", time.localtime())


def get_TF(state, ctx):
    return time.strftime("%a %b %d %H:%M:%S %Y\n", time.localtime())


class TimeValSpec(PV.PVSpec):
    vtype = "v"

    def __init__(self, text, kind):
        super().__init__(text)
        self.kind = kind

    def get(self, ctx):
        now = time.time()
        sec = int(now)
        usec = int((now - sec) * 1000000)
        k = self.kind
        if k in ("s", "sn"):
            return sec
        if k in ("u", "un"):
            return usec
        return "%d.%06d" % (sec, usec)


def make_TV(state, program, pvt):
    if pvt.inner not in ("s", "u", "Sn", "sn", "un"):
        raise ValueError("expected s, u, Sn, sn or un")
    return TimeValSpec(pvt.text, pvt.inner)


_TIME_FIELDS = {"sec": "tm_sec", "min": "tm_min", "hour": "tm_hour", "mday": "tm_mday",
                "mon": "tm_mon", "year": "tm_year", "wday": "tm_wday", "yday": "tm_yday",
                "isdst": "tm_isdst"}


class TimeSpec(PV.PVSpec):
    vtype = "i"

    def __init__(self, text, field, utc):
        super().__init__(text)
        self.field = field
        self.utc = utc

    def get(self, ctx):
        t = time.gmtime() if self.utc else time.localtime()
        v = getattr(t, _TIME_FIELDS[self.field])
        if self.field == "mon":
            return v - 1
        if self.field == "year":
            return v
        if self.field == "wday":
            return (v + 1) % 7
        if self.field == "yday":
            return v - 1
        return v


def _make_time(utc):
    def make(state, program, pvt):
        if pvt.inner not in _TIME_FIELDS:
            raise ValueError("unknown time field")
        return TimeSpec(pvt.text, pvt.inner, utc)
    return make


class TimefSpec(PV.PVSpec):
    vtype = "s"

    def __init__(self, text, fmt, utc):
        super().__init__(text)
        self.fmt = fmt
        self.utc = utc

    def get(self, ctx):
        return time.strftime(self.fmt, time.gmtime() if self.utc else time.localtime())


def _make_timef(utc):
    def make(state, program, pvt):
        return TimefSpec(pvt.text, pvt.inner, utc)
    return make


def get_version(state, ctx):
    return "kamailio 5.6.3"


# ---- functions --------------------------------------------------------------------------------
def pv_isset(state, ctx, spec):
    try:
        return 1 if spec.get(ctx) is not None else -1
    except RT.PVFail:
        return -1


def pv_unset(state, ctx, spec):
    spec.set(ctx, None)
    return 1


def is_int(state, ctx, spec):
    try:
        v = spec.get(ctx)
    except RT.PVFail:
        return -1
    return 1 if v.__class__ is int else -1


def typeof(state, ctx, spec, tname):
    try:
        v = spec.get(ctx)
    except RT.PVFail:
        return -1                  # Kamailio: a failing get matches no type at all
    actual = "null" if v is None else ("int" if v.__class__ is int else "str")
    return 1 if actual == tname else -1


def not_empty(state, ctx, spec):
    try:
        v = spec.get(ctx)
    except RT.PVFail:
        return -1
    if v is None:
        return -1
    return 1 if VAL.to_str(v) != "" else -1


def _pv(kind=Arg.PV):
    return kind


def _simple(getter, vtype="a"):
    return PseudoVar(get=getter)


MODULE = Module(
    name="pv",
    params={"varset": Param(str, multi=True, apply=set_varset),
            "shvset": Param(str, multi=True, apply=set_shvset),
            "avp_aliases": Param(str)},
    functions={
        "pv_isset": Function(pv_isset, args=(Arg.PV,)),
        "pv_unset": Function(pv_unset, args=(Arg.PVW,)),
        "is_int": Function(is_int, args=(Arg.PV,)),
        "typeof": Function(typeof, args=(Arg.PV, Arg.STR)),
        "not_empty": Function(not_empty, args=(Arg.PV,)),
    },
    pvs={
        "var": PseudoVar(make=make_var, needs_name=True),
        "shv": PseudoVar(make=make_shv, needs_name=True),
        "avp": PseudoVar(make=make_avp, needs_name=True),
        "xavp": PseudoVar(make=make_xavp, needs_name=True),
        "pp": PseudoVar(get=get_pp),
        "Ts": PseudoVar(get=get_Ts),
        "TS": PseudoVar(get=get_TS),
        "Tf": PseudoVar(get=get_Tf),
        "TF": PseudoVar(get=get_TF),
        "TV": PseudoVar(make=make_TV, needs_name=True),
        "time": PseudoVar(make=_make_time(False), needs_name=True),
        "utime": PseudoVar(make=_make_time(True), needs_name=True),
        "timef": PseudoVar(make=_make_timef(False), needs_name=True),
        "utimef": PseudoVar(make=_make_timef(True), needs_name=True),
        "version": PseudoVar(get=get_version, takes_name=True),
        **sip.SIP_PVS,
    },
    transforms=trans.TRANSFORMS,
    state=State,
)
