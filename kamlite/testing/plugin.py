"""pytest plugin for config tests (registered through the `pytest11` entry point, so
installing kamlite is enough; `-p no:kamlite.testing.plugin` turns it off).

    def test_options(kamlite_harness):
        h = kamlite_harness("kamailio.cfg", defines={"WITH_MQ": True})
        r = h.send(h.request("OPTIONS", "sip:alice@example.com"))
        assert_reply(r, 200)

The fixture is a factory: each call makes a Harness (same arguments as Harness), closed
after the test.  When a test fails, the report gets a section per harness with its last
run: the trace, the log and what was sent (unless the failure message already shows it,
as the kamlite.testing assertions do).  Harnesses share nothing, so `pytest -n auto`
(pytest-xdist) spreads a suite over the cores.
"""
from __future__ import annotations

import pytest


@pytest.fixture
def kamlite_harness(request):
    """Factory: kamlite_harness(cfg, **kw) -> kamlite.testing.Harness (closed at teardown)."""
    from .harness import Harness
    made: list = []
    request.node._kamlite_harnesses = made

    def make(cfg=None, **kw):
        h = Harness(cfg, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        try:
            h.close()
        except Exception:            # a failing destroy hook must not hide the test's result
            pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    harnesses = getattr(item, "_kamlite_harnesses", None)
    if not harnesses:
        return
    shown = str(call.excinfo.value) if call.excinfo is not None else ""
    for i, h in enumerate(harnesses, 1):
        last = h.last
        if last is None:
            continue
        text = last.explain()
        if text in shown:
            continue
        name = f"kamlite harness {i} ({h.cfg or 'text'}): last run" if len(harnesses) > 1 else \
            f"kamlite harness ({h.cfg or 'text'}): last run"
        rep.sections.append((name, text))
