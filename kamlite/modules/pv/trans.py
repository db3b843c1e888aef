"""Transformations: $(pv{s.len}), $(pv{uri.user}), $(pv{param.value,name}) ...

Each class parses its text once at load time ("s.substr,1,2" -> a step) and the step runs
on the value at each read: step(ctx, value) -> value, raising PVFail where Kamailio's
transformation fails.
"""
from __future__ import annotations

from ...script import runtime as RT
from ...script import values as VAL


def _split_params(text: str) -> tuple[str, list[str]]:
    name, _, rest = text.partition(",")
    return name.strip(), (rest.split(",") if _ else [])


def _str(v) -> str:
    if v is None:
        raise RT.PV_FAIL
    return VAL.to_str(v)


def parse_s(program, text: str):
    name, params = _split_params(text)
    sub = name[2:] if name.startswith("s.") else name
    if sub == "len":
        return lambda ctx, v: len(_str(v))
    if sub == "int":
        def to_int(ctx, v):
            if v.__class__ is int:
                return v
            r = VAL.str2sint(_str(v))
            if r is None:
                raise RT.PV_FAIL
            return r
        return to_int
    if sub == "toupper":
        return lambda ctx, v: _str(v).upper()
    if sub == "tolower":
        return lambda ctx, v: _str(v).lower()
    raise ValueError(f"unknown string transformation {name}")


TRANSFORMS = {"s": parse_s}
