"""kamlite.testing.builder: requests and replies with sensible defaults, valid for
kamlite's own SIP parser (Kamailio's rules)."""
import pytest

from kamlite.sip.message import HDR_EOH_F, parse
from kamlite.testing import Builder, reply, request


def parsed(text):
    msg = parse(text)
    assert msg is not None, text
    assert msg.parse_headers(HDR_EOH_F), text
    return msg


def test_request_has_every_mandatory_header_in_order():
    b = Builder(prefix="t")
    text = b.request("INVITE", "sip:bob@example.com")
    lines = text.split("\r\n")
    assert lines[0] == "INVITE sip:bob@example.com SIP/2.0"
    names = [l.split(":", 1)[0] for l in lines[1:] if l]
    assert names == ["Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length"]
    assert text.endswith("Content-Length: 0\r\n\r\n")
    msg = parsed(text)
    assert msg.method == "INVITE" and msg.first_uri == "sip:bob@example.com"
    assert msg.via1.host == "127.0.0.1" and msg.via1.port == 5070
    assert msg.via1.branch.value.startswith("z9hG4bK")
    assert msg.cseq.number == "1" and msg.cseq.method == "INVITE"
    assert msg.from_body().tag and msg.to_body().tag is None
    assert msg.to_body().uri == "sip:bob@example.com"


def test_identifiers_are_unique_and_deterministic():
    b1, b2 = Builder(prefix="x"), Builder(prefix="x")
    a = [b1.request() for _ in range(3)]
    assert len({parsed(t).callid for t in a}) == 3
    assert len({parsed(t).via1.branch.value for t in a}) == 3
    assert len({parsed(t).from_body().tag for t in a}) == 3
    assert [b2.request() for _ in range(3)] == a            # same builder state, same bytes
    assert parsed(request()).callid != parsed(request()).callid


def test_body_and_content_length_count_bytes():
    text = request("MESSAGE", "sip:bob@example.com", body="héllo")
    msg = parsed(text.encode("utf-8").decode("latin-1"))
    assert msg.body() == "héllo".encode("utf-8").decode("latin-1")
    assert "Content-Length: 6\r\n" in text and "Content-Type: text/plain\r\n" in text
    sdp = request("INVITE", "sip:b@x", body="v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n")
    assert "Content-Type: application/sdp\r\n" in sdp
    typed = request("MESSAGE", "sip:b@x", body="{}", content_type="application/json")
    assert typed.count("Content-Type") == 1 and "application/json" in typed


@pytest.mark.parametrize("headers", [
    {"Contact": "<sip:a@1.2.3.4>", "X-Test": "yes"},
    [("Contact", "<sip:a@1.2.3.4>"), ("X-Test", "yes")],
    "Contact: <sip:a@1.2.3.4>\r\nX-Test: yes\r\n",
    ["Contact: <sip:a@1.2.3.4>", "X-Test: yes"],
])
def test_extra_headers_in_every_form(headers):
    text = request("OPTIONS", "sip:b@x", headers=headers)
    msg = parsed(text)
    assert [h.body for h in msg.named("Contact")] == ["<sip:a@1.2.3.4>"]
    assert [h.body for h in msg.named("X-Test")] == ["yes"]
    # extras come after Max-Forwards, before Content-Length
    assert text.index("Max-Forwards") < text.index("X-Test") < text.index("Content-Length")


def test_every_default_can_be_replaced():
    text = request("BYE", "sip:b@x", from_="<sip:me@a>;tag=abc", to="<sip:b@x>", to_tag="t9",
                   call_id="cid-1", cseq=7, via=["10.0.0.1:5080", "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-2"],
                   branch="z9hG4bK-1", max_forwards=None, headers={"Route": ["<sip:r1>", "<sip:r2>"]})
    msg = parsed(text)
    assert msg.callid == "cid-1" and msg.cseq.number == "7"
    assert msg.from_body().tag == "abc" and msg.to_body().tag == "t9"
    assert msg.via1.host == "10.0.0.1" and msg.via1.port == 5080 and msg.via1.branch.value == "z9hG4bK-1"
    assert msg.via2.host == "10.0.0.2"
    assert "Max-Forwards" not in text
    assert [h.body for h in msg.named("Route")] == ["<sip:r1>", "<sip:r2>"]


def test_source_sets_the_via():
    b = Builder(source=("192.0.2.7", 6000))
    assert parsed(b.request()).via1.host == "192.0.2.7"
    assert parsed(b.request(source=("192.0.2.8", 6001))).via1.port == 6001


def test_reply_copies_the_dialog_headers_and_adds_a_to_tag():
    req = request("INVITE", "sip:bob@example.com", via=["10.0.0.1:5060", "10.0.0.2:5062;branch=z9hG4bK-b"],
                  headers={"Record-Route": "<sip:p1;lr>", "Contact": "<sip:a@h>"})
    ok = reply(req, 200, to_tag="uas")
    msg = parsed(ok)
    assert ok.startswith("SIP/2.0 200 OK\r\n")
    assert msg.status == 200 and msg.reason == "OK"
    assert [v.host for v in (msg.via1, msg.via2)] == ["10.0.0.1", "10.0.0.2"]
    assert msg.to_body().tag == "uas" and msg.callid == parsed(req).callid
    assert msg.cseq.method == "INVITE"
    assert [h.body for h in msg.named("Record-Route")] == ["<sip:p1;lr>"]
    assert not msg.named("Contact")                       # not copied
    trying = parsed(reply(req, 100))
    assert trying.to_body().tag is None and trying.reason == "Trying"
    assert not trying.named("Record-Route")
    assert parsed(reply(req, 404)).to_body().tag          # a generated tag
    assert reply(req, 499).startswith("SIP/2.0 499 Unknown\r\n")
    assert reply(req, 486, "Busy Now").startswith("SIP/2.0 486 Busy Now\r\n")


def test_reply_splits_comma_separated_vias_and_keeps_an_existing_tag():
    req = ("OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP 1.1.1.1;branch=z9hG4bK-1, SIP/2.0/UDP 2.2.2.2\r\n"
           "From: <sip:a@x>;tag=f\r\nTo: <sip:b@x>;tag=already\r\nCall-ID: c\r\nCSeq: 2 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n")
    text = reply(req, 200, body="hi")
    assert text.count("Via: ") == 2
    msg = parsed(text)
    assert msg.to_body().tag == "already" and msg.body() == "hi"
    assert "Content-Length: 2\r\n" in text


def test_reply_accepts_bytes_and_objects_with_text_and_refuses_replies():
    req = request()
    assert reply(req.encode(), 200).startswith("SIP/2.0 200")

    class Captured:
        text = req
    assert reply(Captured(), 202).startswith("SIP/2.0 202 Accepted")
    with pytest.raises(ValueError):
        reply(reply(req, 200), 200)
    with pytest.raises(TypeError):
        reply(42, 200)
