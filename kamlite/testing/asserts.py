"""Assertions on harness Results whose failure messages tell the whole story: what was
expected, what happened, then the run's trace, log and what it sent.

    assert_reply(r, 200)                      # the last reply is a 200 (returns it)
    assert_reply(r, 404, "Not Here", headers={"Server": "kamailio"})
    assert_no_reply(r)
    assert_logged(r, "queued")                # a log line of the run contains the text
    assert_logged(r, re.compile(r"took k\\d+"))
    assert_not_logged(r, "ERROR")
    assert_routes(r, ["request", "REQINIT", "QUEUE"])
    assert_forwarded(r, uri="sip:bob@10.0.0.2", to=("10.0.0.2", 5060))
    assert_queue(h, "calls", [("k1", "v1")])
    assert_no_errors(r)
"""
from __future__ import annotations

import re


def _fail(what: str, r) -> None:
    __tracebackhide__ = True
    detail = r.explain() if hasattr(r, "explain") else repr(r)
    raise AssertionError(f"{what}\n\n{detail}")


def _result(r):
    last = getattr(r, "last", None)         # a Harness: its last Result
    if last is not None and not hasattr(r, "replies"):
        return last
    return r


def assert_reply(r, status: int, reason: str | None = None, *, headers: dict | None = None,
                 body: str | None = None, index: int = -1):
    """The reply (the last one, or replies[index]) has this status (and reason, header
    values, body when given); returns it."""
    __tracebackhide__ = True
    r = _result(r)
    replies = r.replies
    if not replies:
        _fail(f"expected a {status} reply, but nothing was replied", r)
    try:
        rep = replies[index]
    except IndexError:
        _fail(f"expected reply #{index} to be {status}, but only {len(replies)} replies were sent", r)
    if rep.status != status or (reason is not None and rep.reason != reason):
        want = f"{status} {reason}" if reason is not None else str(status)
        _fail(f"expected reply {want}, got {rep.status} {rep.reason}", r)
    for name, value in (headers or {}).items():
        got = rep.header_values(name)
        if value is None:
            if got:
                _fail(f"expected no {name} header in the {status} reply, got {got}", r)
        elif not any(value == g or (isinstance(value, re.Pattern) and value.search(g)) for g in got):
            _fail(f"expected header {name}: {value} in the {status} reply, got {got or 'no such header'}\n"
                  f"reply:\n{rep.text}", r)
    if body is not None and rep.body != body:
        _fail(f"expected reply body {body!r}, got {rep.body!r}", r)
    return rep


def assert_no_reply(r) -> None:
    __tracebackhide__ = True
    r = _result(r)
    if r.replies:
        _fail(f"expected no reply, got {', '.join(f'{s.status} {s.reason}' for s in r.replies)}", r)


def _matches(pattern, line: str) -> bool:
    if isinstance(pattern, re.Pattern):
        return pattern.search(line) is not None
    return pattern in line


def assert_logged(r, pattern, *, count: int | None = None) -> list[str]:
    """Some log line of the run contains `pattern` (a string, or a compiled regex); the
    script's messages are searched, then every log line.  count: exactly that many lines.
    Returns the matching lines."""
    __tracebackhide__ = True
    r = _result(r)
    found = [l for l in r.logs if _matches(pattern, l)]
    if not found:
        found = [l.rstrip("\n") for l in r.lines if _matches(pattern, l)]
    shown = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    if not found:
        _fail(f"expected a log line with {shown!r}, none has it", r)
    if count is not None and len(found) != count:
        _fail(f"expected {count} log lines with {shown!r}, got {len(found)}", r)
    return found


def assert_not_logged(r, pattern) -> None:
    __tracebackhide__ = True
    r = _result(r)
    found = [l.rstrip("\n") for l in r.lines if _matches(pattern, l)]
    if found:
        shown = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
        _fail(f"expected no log line with {shown!r}, got:\n  " + "\n  ".join(found), r)


def assert_routes(r, routes: list[str], *, exact: bool = True) -> None:
    """The routes entered, in order (top route first), are `routes`; exact=False: they
    appear in that order among the routes entered."""
    __tracebackhide__ = True
    r = _result(r)
    got = r.routes
    if not r.trace and r.contexts:
        _fail("no trace: the harness was made with trace=False", r)
    if exact:
        if got != list(routes):
            _fail(f"expected routes {list(routes)}, got {got}", r)
        return
    it = iter(got)
    if not all(any(g == want for g in it) for want in routes):
        _fail(f"expected routes {list(routes)} in this order among {got}", r)


def assert_forwarded(r, *, uri: str | None = None, to: tuple | None = None, method: str | None = None,
                     status: int | None = None, count: int | None = None, index: int = -1):
    """Something was sent on (a request, or a forwarded reply); checks the last one (or
    forwarded[index]): its request URI, destination (ip, port), method, status.  count:
    exactly that many were sent on.  Returns it."""
    __tracebackhide__ = True
    r = _result(r)
    fw = r.forwarded
    if count is not None and len(fw) != count:
        _fail(f"expected {count} messages sent on, got {len(fw)}", r)
    if not fw:
        if count == 0:
            return None
        _fail("expected a message sent on, nothing was", r)
    s = fw[index]
    if uri is not None and s.uri != uri:
        _fail(f"expected the request sent on to {uri}, got {s.uri}", r)
    if to is not None and (s.ip, s.port) != (to[0], int(to[1])):
        _fail(f"expected it sent to {to[0]}:{to[1]}, got {s.ip}:{s.port}", r)
    if method is not None and s.method != method:
        _fail(f"expected a {method} sent on, got {s.method}", r)
    if status is not None and s.status != status:
        _fail(f"expected a {status} reply forwarded, got {s.first_line}", r)
    return s


def assert_queue(h, name: str, items: list) -> None:
    """The mqueue `name` holds exactly these (key, value) items, oldest first."""
    __tracebackhide__ = True
    got = h.queue(name)
    want = [tuple(i) for i in items]
    if got != want:
        last = h.last
        _fail(f"expected queue {name} = {want}, got {got}", last if last is not None else h)


def assert_no_errors(r) -> None:
    """No log line at level ERROR or more severe."""
    __tracebackhide__ = True
    r = _result(r)
    if r.errors:
        _fail("expected no errors, got:\n  " + "\n  ".join(r.errors), r)
