"""examples/hello.cfg (lesson 1): everything happens at startup, in
event_route[core:worker-one-init]; requests are ignored."""
import os

from kamlite.testing import Harness, assert_no_reply, assert_routes

from .conftest import example


def test_startup_prints_the_lesson():
    with Harness(example("hello.cfg")) as h:
        assert h.startup.logs == [
            f"hello, world! (from process {os.getpid()})",
            '40 + 2 = 42, "40" + 2 = 402',
            "sum of 1..10 = 55",
            "55 mod 4 is 3",
            "route(CLASSIFY) returned 2",
            "a positive return code counts as true",
        ]
        assert h.startup.errors == []
        # the sub-route ran twice: once as a statement, once inside the if
        assert h.startup.routes == ["event:core:worker-one-init", "CLASSIFY", "CLASSIFY"]
        assert h.var("sum") == 55 and h.var("s") == "402"


def test_requests_are_ignored():
    with Harness(example("hello.cfg")) as h:
        r = h.send(h.request("OPTIONS", "sip:alice@127.0.0.1"))
        assert_no_reply(r)
        assert_routes(r, ["request"])
        assert r.logs == [] and r.forwarded == []


def test_config_checks(check_configs):
    check_configs("hello.cfg")
