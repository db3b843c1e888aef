"""examples/proxy.cfg (lesson 6): a stateless proxy - sanity, Max-Forwards, myself,
a location switch, forward(), replies back through reply_route."""
import pytest

from kamlite.testing import (Harness, assert_forwarded, assert_logged, assert_no_reply, assert_reply,
                             assert_routes)
from tests.conftest import need_program
from tests.testing.differential import Pair, example_text, normalized

from .conftest import example


@pytest.fixture
def h():
    with Harness(example("proxy.cfg")) as harness:
        yield harness


def test_keepalives_for_the_proxy_itself(h):
    for uri in ("sip:proxy.example.com", "sip:127.0.0.1:5060", "sip:127.0.0.1"):
        assert_reply(h.send(h.request("OPTIONS", uri)), 200, "Proxy is alive")
    assert_reply(h.send(h.request("INFO", "sip:proxy.example.com")), 403, "Nothing to do here")
    assert_no_reply(h.send(h.request("ACK", "sip:proxy.example.com")))


def test_location_lookup(h):
    r = h.send(h.request("INVITE", "sip:alice@proxy.example.com", body="v=0\r\n"))
    assert_routes(r, ["request", "LOCATION"])
    fwd = assert_forwarded(r, uri="sip:alice@127.0.0.1:5090", to=("127.0.0.1", 5090), method="INVITE")
    assert fwd.header("Max-Forwards") == "69"
    vias = fwd.header_values("Via")
    assert vias[0].startswith("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK") and vias[1].startswith("SIP/2.0/UDP 127.0.0.1:5070")
    assert fwd.body == "v=0\r\n"
    assert_logged(r, "INVITE sip:alice@127.0.0.1:5090 from 127.0.0.1:5070: forwarding")
    assert_reply(h.send(h.request("INVITE", "sip:nobody@proxy.example.com")), 404, "Not Found")
    assert_reply(h.send(h.request("INVITE", "sip:carol@127.0.0.1")), 480, "Temporarily Unavailable")


def test_other_domains_are_forwarded_where_the_uri_points(h):
    r = h.send(h.request("MESSAGE", "sip:bob@192.0.2.10:5080", body="hi"))
    assert_forwarded(r, uri="sip:bob@192.0.2.10:5080", to=("192.0.2.10", 5080), count=1)
    assert r.replies == []


def test_max_forwards(h):
    assert_reply(h.send(h.request("OPTIONS", "sip:alice@proxy.example.com", max_forwards=0)), 483)
    r = h.send(h.request("OPTIONS", "sip:alice@proxy.example.com", max_forwards=None))
    assert assert_forwarded(r).header("Max-Forwards") == "10"        # added when missing


def test_sanity_refuses_malformed_requests(h):
    bad = h.request("OPTIONS", "sip:alice@proxy.example.com").replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE")
    r = h.send(bad)
    assert_reply(r, 400)
    assert r.forwarded == []
    assert r.routes == ["request"]


def test_replies_come_back_through_reply_route(h):
    fwd = h.send(h.request("INVITE", "sip:alice@proxy.example.com")).forwarded[0]
    next_hop = ("127.0.0.1", 5090)
    r = h.send(h.reply(fwd, 180), source=next_hop)
    assert_routes(r, ["reply"])
    assert_logged(r, "reply 180 Ringing to INVITE from 127.0.0.1:5090")
    back = assert_forwarded(r, status=180, to=("127.0.0.1", 5070))
    assert back.header_values("Via") == [fwd.header_values("Via")[1]]      # our Via is gone
    r = h.send(h.reply(fwd, 183), source=next_hop)
    assert r.forwarded == [] and r.logs[-1] == "dropping the 183"
    assert_forwarded(h.send(h.reply(fwd, 200), source=next_hop), status=200)


def test_same_as_kamailio():
    need_program("kamailio", "kamailio")
    text = example_text("proxy.cfg").replace('#!trydef ALICE_AT "127.0.0.1:5090"',
                                             '#!trydef ALICE_AT "127.0.0.1:@UASPORT@"')
    with Pair("kamailio", text) as pair:
        h = pair.h

        def same(step):
            assert step.server_to_client == step.harness_to_client
            assert step.server_to_uas == step.harness_to_uas
            # two workers: either may take a datagram, so the process index may differ
            assert normalized(step.server_lines, rank=False) == normalized(step.result.lines, rank=False)
            return step

        same(pair.send(h.request("OPTIONS", "sip:proxy.example.com")))
        same(pair.send(h.request("OPTIONS", "sip:nobody@proxy.example.com")))
        same(pair.send(h.request("OPTIONS", "sip:carol@proxy.example.com")))
        same(pair.send(h.request("OPTIONS", "sip:alice@proxy.example.com", max_forwards=0)))
        same(pair.send(h.request("OPTIONS", "sip:alice@proxy.example.com").replace("CSeq: 1 OPTIONS",
                                                                                   "CSeq: 1 INVITE")))
        s = same(pair.send(h.request("INVITE", "sip:alice@proxy.example.com", max_forwards=None)))
        assert len(s.server_to_uas) == 1
        for code in (180, 183, 200):
            same(pair.send(h.reply(s.server_to_uas[0], code), source="uas"))


def test_config_checks(check_configs):
    check_configs("proxy.cfg")
