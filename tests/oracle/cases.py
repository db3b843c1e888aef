"""Oracle case files: route bodies with the output real Kamailio 5.6 printed for them.

Format (one file holds many cases):

    === case_name
    <statements run in event_route[core:worker-one-init]>
    --- top            (optional) global lines placed before the routes
    --- routes         (optional) extra route blocks
    --- modules        (optional) extra modules to load, one per line (pv and xlog always are)
    --- debug          (optional) the debug= level, default 2
    --- expect         what the first worker printed, pid replaced by PID
    --- expect-exit    (instead of expect) the run printed this, then Kamailio exited
    --- expect-refused (instead of expect) Kamailio refused the config; its messages follow

Lines starting with '#' before the first '===' are comments.  The expect sections are
written by tests/oracle/record.py from the real binary; never edit them by hand.
"""
from __future__ import annotations

import dataclasses
import os
import re

CASES_DIR = os.path.join(os.path.dirname(__file__), "cases")
SECTIONS = ("top", "routes", "modules", "debug", "expect", "expect-exit", "expect-refused")


@dataclasses.dataclass
class Case:
    file: str
    name: str
    body: str
    top: str = ""
    routes: str = ""
    modules: tuple = ()
    debug: int = 2
    outcome: str | None = None      # "expect", "expect-exit", "expect-refused" or None
    expected: list | None = None

    @property
    def id(self) -> str:
        return f"{os.path.basename(self.file)[:-4]}::{self.name}"


def _join(lines):
    return "\n".join(lines).strip("\n")


def parse_file(path: str) -> list[Case]:
    with open(path, encoding="latin-1") as fh:
        text = fh.read()
    cases: list[Case] = []
    current = None
    section = "body"
    parts: dict[str, list[str]] = {}

    def finish():
        if current is None:
            return
        c = Case(file=path, name=current, body=_join(parts.get("body", [])),
                 top=_join(parts.get("top", [])), routes=_join(parts.get("routes", [])),
                 modules=tuple(m.strip() for m in parts.get("modules", []) if m.strip()),
                 debug=int(_join(parts.get("debug", ["2"])) or 2))
        for outcome in ("expect", "expect-exit", "expect-refused"):
            if outcome in parts:
                c.outcome = outcome
                lines = parts[outcome]
                while lines and lines[-1] == "":
                    lines.pop()
                c.expected = lines
        cases.append(c)

    for line in text.split("\n"):
        m = re.match(r"^=== (\S+)\s*$", line)
        if m:
            finish()
            current, section, parts = m.group(1), "body", {}
            continue
        m = re.match(r"^--- (\S+)\s*$", line)
        if m and current is not None and m.group(1) in SECTIONS:
            section = m.group(1)
            parts.setdefault(section, [])
            continue
        if current is None:
            continue
        parts.setdefault(section, []).append(line)
    finish()
    return cases


def format_case(c: Case) -> str:
    out = [f"=== {c.name}", c.body]
    if c.top:
        out += ["--- top", c.top]
    if c.routes:
        out += ["--- routes", c.routes]
    if c.modules:
        out += ["--- modules", *c.modules]
    if c.debug != 2:
        out += ["--- debug", str(c.debug)]
    if c.outcome:
        out += [f"--- {c.outcome}", *c.expected]
    return "\n".join(out) + "\n"


def all_case_files() -> list[str]:
    return sorted(os.path.join(CASES_DIR, f) for f in os.listdir(CASES_DIR) if f.endswith(".txt"))


def all_cases() -> list[Case]:
    return [c for f in all_case_files() for c in parse_file(f)]
