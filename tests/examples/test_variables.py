"""examples/variables.cfg (lesson 2): $var per process, $shv shared, $avp per message,
int and string rules."""
import pytest

from kamlite.testing import Harness, assert_reply
from tests.conftest import need_program
from tests.testing.differential import Pair, example_text, normalized

from .conftest import example


@pytest.fixture
def h():
    with Harness(example("variables.cfg")) as harness:
        yield harness


def test_types_at_startup(h):
    assert h.startup.logs == [
        "n=42 s=402 t=42 u=402",
        '"402" has 3 characters; read as a number, plus one: 403',
        '42 + "7" = 49',
        "after $null: n=0",
    ]
    assert h.var("s") == "402" and h.var("t") == 42 and h.var("n") == 0


def test_lifetimes(h):
    for n in (1, 2, 3):
        r = h.send(h.request("OPTIONS", "sip:alice@127.0.0.1", from_=f"<sip:caller{n}@x>"))
        assert_reply(r, 200, f"OK hits={n}")
        # $var(seen) and $shv(hits) go on counting; $avp(caller) starts anew each time
        assert r.logs == [f"message {n} of this worker, {n} in all; caller=caller{n}, before it: the first value"]
    assert h.var("seen") == 3 and h.shv("hits") == 3
    # another process (here: an RPC process) has its own $var(seen), but the same $shv
    assert h.var("seen", "main") == 0


def test_a_value_changes_type(h):
    h.send(h.request("OPTIONS", "sip:alice@127.0.0.1"))
    r = h.send(h.request("OPTIONS", "sip:types@127.0.0.1"))
    assert r.logs[1:] == ["$var(v) = 2 is an int", '$var(v) = "#3" is a string']
    assert h.var("v") == "#3"


def test_acks_are_not_counted(h):
    r = h.send(h.request("ACK", "sip:alice@127.0.0.1"))
    assert r.sent == [] and h.shv("hits") == 0


def test_same_as_kamailio():
    need_program("kamailio", "kamailio")
    with Pair("kamailio", example_text("variables.cfg")) as pair:
        assert normalized(pair.startup_lines) == normalized(pair.harness_startup_lines)
        for uri in ("sip:alice@127.0.0.1", "sip:types@127.0.0.1", "sip:bob@127.0.0.1"):
            s = pair.send(pair.h.request("OPTIONS", uri))
            assert s.server_to_client == s.harness_to_client
            assert normalized(s.server_lines) == normalized(s.result.lines)


def test_config_checks(check_configs):
    check_configs("variables.cfg")
