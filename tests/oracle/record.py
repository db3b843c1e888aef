#!/usr/bin/env python3
"""Fill the expect sections of oracle case files from the real Kamailio.

usage: python tests/oracle/record.py [case-file ...]   (default: every file in cases/)
"""
from __future__ import annotations

import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.oracle import cases as C  # noqa: E402
from tests.oracle import kamailio_run as K  # noqa: E402


def refusal_lines(stderr: str) -> list[str]:
    keep = []
    for line in stderr.split("\n"):
        if re.search(r"(ERROR|CRITICAL)", line) or line.startswith("error ") or line.startswith("ERROR: bad config"):
            line = re.sub(r"^ ?0\(\d+\) ", " 0(PID) ", line)
            keep.append(re.sub(r"/tmp/kamoracle\w+/", "", line))
    return keep


def observe(case: C.Case) -> tuple[str, list[str]]:
    modules = K.DEFAULT_MODULES + tuple(m for m in case.modules if m not in K.DEFAULT_MODULES)
    res = K.run_body(case.body, top=case.top, routes=case.routes, modules=modules, debug=case.debug)
    if res["ok"]:
        return "expect", res["lines"]
    if res["lines"]:
        return "expect-exit", res["lines"]
    return "expect-refused", refusal_lines(res["stderr"])


def record_file(path: str) -> None:
    cases = C.parse_file(path)
    with open(path, encoding="latin-1") as fh:
        header = []
        for line in fh:
            if line.startswith("=== "):
                break
            header.append(line)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(observe, cases))
    for case, (outcome, lines) in zip(cases, results):
        case.outcome, case.expected = outcome, lines
    with open(path, "w", encoding="latin-1") as fh:
        fh.write("".join(header))
        for case in cases:
            fh.write(C.format_case(case))
    print(f"{path}: {len(cases)} cases recorded")


if __name__ == "__main__":
    files = sys.argv[1:] or C.all_case_files()
    for f in files:
        record_file(f)
