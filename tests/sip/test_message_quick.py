"""The message parser's quick paths (one regex step for the common well-formed forms) give
exactly what the exact parsers give; inputs they do not recognise go to the exact parsers."""
from hypothesis import given, settings
from hypothesis import strategies as st

from kamlite.sip import message as M
from kamlite.sip.addr import AddrError, parse_to_body

TOKEN = st.text(alphabet="abcXYZ019._-~+!*%", min_size=0, max_size=6)
NAMEISH = st.text(alphabet="abcXYZ019._- ", min_size=0, max_size=8)
BLANKS = st.sampled_from(["", " ", "  ", "\t", " \t"])
URI = st.sampled_from(["sip:a@b", "sip:alice@127.0.0.1:5060", "sips:x@[::1]:5061;transport=tls",
                       "tel:+123", "sip:b@c;lr", "sip:%61@h?x=y", "x", ""])


@st.composite
def to_values(draw):
    disp = draw(st.sampled_from(["", '"Bob" ', '"" ', '"B\\"x" ', "Bob ", "Bob Smith  ", "B ", "\"x\"", "a b "]))
    disp = draw(st.one_of(st.just(disp), NAMEISH))
    params = "".join(f"{sep}{name}{eq}{value}" for sep, name, eq, value in draw(st.lists(st.tuples(
        st.sampled_from([";", "; "]), st.sampled_from(["tag", "TAG", "Tag", "x", "lr", "t-1", ""]),
        st.sampled_from(["", "="]), TOKEN), max_size=4)))
    return f"{disp}{draw(BLANKS)}<{draw(URI)}>{draw(BLANKS)}{params}{draw(BLANKS)}"


def exact_to(value):
    try:
        b = parse_to_body(value)
    except AddrError:
        return None
    return (b.display, b.uri, b.tag, b.params, b.params_start)


@settings(max_examples=3000, deadline=None)
@given(to_values())
def test_quick_to_equals_exact(value):
    q = M.quick_to(value)
    if q is not None:
        assert (q.display, q.uri, q.tag, q.params, q.params_start) == exact_to(value), value


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789 \tABCINVITE-x", max_size=16))
def test_quick_cseq_equals_exact(value):
    q = M.quick_cseq(value)
    if q is not None:
        buf = value + "\r\n"
        exact, _end = M._parse_cseq(buf, 0, len(buf), None)
        assert exact is not None
        assert (q.number, q.method, q.method_value) == (exact.number, exact.method, exact.method_value)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789 \tx", max_size=14))
def test_quick_content_length_equals_exact(value):
    q = M.quick_content_length(value)
    if q is not None:
        buf = value + "\r\nX: y\r\n"
        exact, _end = M._parse_content_length(buf, 0, len(buf), None)
        assert q == exact


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["INVITE", "invite", "OPTIONS", "FOO", "SIP", "ACK", "Subscribe"]),
       st.sampled_from(["sip:a@b", "sip:x@127.0.0.1:5060;lr", "tel:1", "x"]),
       st.sampled_from(["SIP/2.0", "sip/2.0", "SIP/2.0 ", "HTTP/1.1"]),
       st.sampled_from(["\r\nVia: x\r\n\r\n", "\r\n", "\nVia: x\r\n\r\n"]))
def test_quick_first_line_equals_exact(method, uri, version, rest):
    text = f"{method} {uri} {version}{rest}"
    quick = M.Message(text)
    ok_quick = quick.parse_first_line()
    exact = M.Message(text)
    end = exact._first_line(0, len(text))
    assert ok_quick == (end is not None)
    if end is not None:
        assert (quick.type, quick.method, quick.method_value, quick.first_uri, quick.version, quick.fline_end) == \
            (exact.type, exact.method, exact.method_value, exact.first_uri, exact.version, end)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(["200", "100", "20x", "2000", "486"]), st.sampled_from([" ", "  ", "\t"]),
       st.sampled_from(["OK", "", "Busy Here", "x\ty"]), st.sampled_from(["\r\nVia: x\r\n\r\n", "\r\n"]))
def test_quick_status_line_equals_exact(code, gap, reason, rest):
    text = f"SIP/2.0 {code}{gap}{reason}{rest}"
    quick = M.Message(text)
    ok_quick = quick.parse_first_line()
    exact = M.Message(text)
    end = exact._first_line(0, len(text))
    assert ok_quick == (end is not None)
    if end is not None:
        assert (quick.type, quick.status, quick.reason, quick.fline_end) == \
            (exact.type, exact.status, exact.reason, end)


def test_common_forms_take_the_quick_path():
    for value in ['<sip:a@b>;tag=1', '"Bob" <sip:bob@h:5060>;tag=x-1', 'Bob <sip:b@c>', '<sip:x>;tag=1;tag=2',
                  '<sip:x>;lr;tag']:
        q = M.quick_to(value)
        assert q is not None, value
        assert (q.display, q.uri, q.tag, q.params, q.params_start) == exact_to(value)
    assert M.quick_cseq("1 INVITE").method_value == M.METHODS["INVITE"]
    assert M.quick_content_length("123") == 123
    for value in ['sip:a@b;tag=1', '<sip:a@b> ;tag=1', '<sip:a b>', '<sip:a@b>;tag="x"']:
        assert M.quick_to(value) is None, value     # left to the exact parser


# ---- Via -------------------------------------------------------------------------------------------
from kamlite.sip.via import parse_via, quick_via  # noqa: E402


def via_fields(vias):
    out = []
    for v in vias:
        d = {k: getattr(v, k) for k in v.FIELDS
             if k not in ("param_list", "branch", "received", "rport", "i", "alias", "maddr", "ttl", "hdr_name")}
        d["params"] = [{k: getattr(p, k) for k in p.FIELDS} for p in v.param_list]
        d["shortcuts"] = [None if getattr(v, a) is None else v.param_list.index(getattr(v, a))
                          for a in ("branch", "received", "rport", "i", "alias", "maddr", "ttl")]
        out.append(d)
    return out


@st.composite
def via_values(draw):
    proto = draw(st.sampled_from(["UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "udp", "XYZ"]))
    host = draw(st.sampled_from(["127.0.0.1", "h", "proxy.example.com", "a-b.c", "[::1]", "h_x"]))
    port = draw(st.sampled_from(["", ":5060", ":1", ":70000", ":99999", ":0", ":05060", ": 5060"]))
    params = "".join(f";{n}{e}{v}" for n, e, v in draw(st.lists(st.tuples(
        st.sampled_from(["branch", "rport", "received", "i", "alias", "maddr", "ttl", "x", "comp", "a", "al",
                         "ali", "alia", "Branch", "RPORT", "hidden", "lr", "keep", "b", "r", "m"]),
        st.sampled_from(["", "="]), st.sampled_from(["", "z9hG4bK-1", "1.2.3.4", "5060", "x%20y"])), max_size=5)))
    tail = draw(st.sampled_from(["", " ", "\t"]))
    return f"SIP/2.0/{proto} {host}{port}{params}{tail}\r\nFrom: x\r\n"


@settings(max_examples=3000, deadline=None)
@given(via_values())
def test_quick_via_equals_exact(text):
    end = text.index("\r\n") + 2
    q = quick_via(text, 0, end)
    if q is not None:
        exact, nxt = parse_via(text, 0, len(text))
        assert exact is not None, text
        assert q[1] == nxt
        assert via_fields(q[0]) == via_fields(exact), text


def test_usual_vias_take_the_quick_path():
    for text in ["SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r\n", "SIP/2.0/UDP h;rport;branch=z9hG4bKx\r\n",
                 "SIP/2.0/TCP 10.0.0.1:5061;branch=z9hG4bK776asdhds;received=1.2.3.4\r\n"]:
        assert quick_via(text, 0, len(text)) is not None, text
