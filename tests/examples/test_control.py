"""examples/control.cfg (lesson 3): if/switch/while, return codes and $rc, exit/drop."""
import pytest

from kamlite.testing import Harness, assert_logged, assert_no_reply, assert_reply, assert_routes
from tests.conftest import need_program
from tests.testing.differential import Pair, example_text, normalized

from .conftest import example

URIS = ["sip:vip-ann@127.0.0.1", "sip:count@127.0.0.1", "sip:blocked@127.0.0.1", "sip:zero@127.0.0.1",
        "sip:nobody@127.0.0.1", "sip:127.0.0.1", "sip:alice@127.0.0.1"]


@pytest.fixture(scope="module")
def h():
    with Harness(example("control.cfg")) as harness:
        yield harness


def send(h, uri):
    return h.send(h.request("OPTIONS", uri))


def test_switch_falls_through_from_case_2_into_case_1(h):
    r = send(h, "sip:vip-ann@127.0.0.1")
    assert r.logs == ["vip-ann is class 2", "a VIP: first the VIP treatment", "served vip-ann: SERVE returned 1"]
    assert_reply(r, 200, "Hello vip-ann")
    assert_routes(r, ["request", "CLASSIFY", "SERVE"])


def test_while_and_a_return_value_in_rc(h):
    r = send(h, "sip:count@127.0.0.1")
    assert_reply(r, 200, "Counted to 5, sum 15")
    assert_logged(r, "SERVE returned 5")
    sums = [e.args[0] for e in r.trace if e.kind == "assign" and e.text.startswith("$var(sum) = $var(sum)")]
    assert sums == [1, 3, 6, 10, 15]                              # the loop, step by step


def test_negative_return_is_false_and_the_script_goes_on(h):
    r = send(h, "sip:nobody@127.0.0.1")
    assert_reply(r, 404, "Not Found")
    assert r.logs[-1] == "served nobody: SERVE returned -2"


def test_drop_sends_nothing(h):
    r = send(h, "sip:blocked@127.0.0.1")
    assert_no_reply(r)
    assert r.logs == ["blocked is class -1", "blocked: no reply at all"]
    assert r.trace[-1].kind == "drop"


def test_return_0_ends_the_whole_script(h):
    r = send(h, "sip:zero@127.0.0.1")
    assert_no_reply(r)
    assert r.logs == ["returning 0 ends the whole script: no reply"]
    assert r.routes == ["request", "CLASSIFY"]
    assert not any(e.kind == "enter" and e.route == "SERVE" for e in r.trace)


def test_no_user_part_is_the_server_itself(h):
    r = send(h, "sip:127.0.0.1")
    assert r.logs == ["<null> is class 3"]
    assert_reply(r, 200, "Server here")


def test_same_as_kamailio():
    need_program("kamailio", "kamailio")
    with Pair("kamailio", example_text("control.cfg")) as pair:
        for uri in URIS:
            s = pair.send(pair.h.request("OPTIONS", uri))
            assert s.server_to_client == s.harness_to_client, uri
            assert normalized(s.server_lines) == normalized(s.result.lines), uri


def test_config_checks(check_configs):
    check_configs("control.cfg")
