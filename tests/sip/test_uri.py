"""kamlite.sip.uri: Kamailio's core parse_uri().

The values follow parser/parse_uri.c of Kamailio 5.6.3; the cases the transformations
exercise (uri.*, tobody.user/host) were checked against the real binary through
tests/test_transformations.py and the oracle cases.
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamlite.log import L_DBG, Log
from kamlite.sip import uri as U
from kamlite.sip.uri import SipUri, UriError, parse_uri

def fields(u: SipUri, *names):
    return tuple(getattr(u, n) for n in names)


# ---- typical URIs ------------------------------------------------------------------------------
def test_full_sip_uri():
    u = parse_uri("sip:alice:pw@example.com:5070;transport=TCP;ttl=5;user=ip;maddr=1.2.3.4;"
                  "method=INVITE;lr=on;r2=on;x=y?h=1&g=2")
    assert (u.type, u.scheme) == ("sip", "sip")
    assert fields(u, "user", "passwd", "host", "port", "port_no") == (
        "alice", "pw", "example.com", "5070", 5070)
    assert u.params == u.sip_params == \
        "transport=TCP;ttl=5;user=ip;maddr=1.2.3.4;method=INVITE;lr=on;r2=on;x=y"
    assert u.headers == "h=1&g=2"
    assert fields(u, "transport_val", "ttl_val", "user_param_val", "maddr_val", "method_val",
                  "lr_val", "r2_val") == ("TCP", "5", "ip", "1.2.3.4", "INVITE", "on", "on")
    assert fields(u, "transport", "ttl", "user_param", "maddr", "method", "lr", "r2") == (
        "transport=TCP", "ttl=5", "user=ip", "maddr=1.2.3.4", "method=INVITE", "lr=on", "r2=on")
    assert u.proto == "tcp"
    assert u.gr is None and u.gr_val is None


@pytest.mark.parametrize("text,user,host,port,port_no", [
    ("sip:bob@host.org", "bob", "host.org", None, 0),
    ("sip:host.org", None, "host.org", None, 0),
    ("sip:host.com:5060", None, "host.com", "5060", 5060),
    ("sips:alice@example.com:5061", "alice", "example.com", "5061", 5061),
    ("SIP:A@B", "A", "B", None, 0),
    ("sip:alice@192.0.2.1:0", "alice", "192.0.2.1", "0", 0),
    ("sip:alice@[2001:db8::1]", "alice", "[2001:db8::1]", None, 0),
    ("sip:alice@[2001:db8::1]:5060", "alice", "[2001:db8::1]", "5060", 5060),
    ("sips:[2001:db8::1]:5061", None, "[2001:db8::1]", "5061", 5061),
    ("sip:[::1]", None, "[::1]", None, 0),
    ("sip:al%20ice@example.com", "al%20ice", "example.com", None, 0),     # not decoded
    ("sip:a-b_c.d!~*'()&=+$,@h", "a-b_c.d!~*'()&=+$,", "h", None, 0),
    ("sip:alice@my-host.example.com", "alice", "my-host.example.com", None, 0),
    ("sip:a;transport=tcp@b", "a;transport=tcp", "b", None, 0),        # ';' in the user
    ("sip:a?x@b", "a?x", "b", None, 0),                                # '?' in the user
    ("sip:a@b:5070;transport=tcp;lr", "a", "b", "5070", 5070),
])
def test_user_host_port(text, user, host, port, port_no):
    assert fields(parse_uri(text), "user", "host", "port", "port_no") == (user, host, port, port_no)


def test_password_or_port():
    u = parse_uri("sip:alice:secret@h")
    assert fields(u, "user", "passwd", "host", "port") == ("alice", "secret", "h", None)
    u = parse_uri("sip:alice:1234@h")                   # digits: still the password
    assert fields(u, "user", "passwd", "host", "port", "port_no") == ("alice", "1234", "h", None, 0)
    u = parse_uri("sip:h:1234;x")                       # no '@': it was the port
    assert fields(u, "user", "passwd", "host", "port", "port_no") == (None, None, "h", "1234", 1234)
    u = parse_uri("sip:h:1234?a=b")
    assert fields(u, "host", "port", "headers") == ("h", "1234", "a=b")
    u = parse_uri("sip:a;x:pw@h")                       # user;params:password
    assert fields(u, "user", "passwd", "host") == ("a;x", "pw", "h")


@pytest.mark.parametrize("text,params,headers", [
    ("sip:a@b;x=1", "x=1", None),
    ("sip:a@b;x=1;", "x=1;", None),
    ("sip:a@b;lr", "lr", None),
    ("sip:a@b;", "", None),
    ("sip:a@b?subject=hi&priority=urgent", None, "subject=hi&priority=urgent"),
    ("sip:a@b;x?h=1&g=2", "x", "h=1&g=2"),
    ("sip:a@b?", None, ""),
    ("sip:a@b;a=\"q\";b", "a=\"q\";b", None),
])
def test_params_and_headers(text, params, headers):
    u = parse_uri(text)
    assert (u.params, u.sip_params, u.headers) == (params, params, headers)


# ---- the parameters parse_uri() knows --------------------------------------------------------
@pytest.mark.parametrize("text,proto,whole,val", [
    ("sip:h;transport=udp", "udp", "transport=udp", "udp"),
    ("sip:h;transport=TCP", "tcp", "transport=TCP", "TCP"),
    ("sip:h;transport=tls", "tls", "transport=tls", "tls"),
    ("sip:h;transport=SCTP", "sctp", "transport=SCTP", "SCTP"),
    ("sip:h;transport=ws", "ws", "transport=ws", "ws"),
    ("sip:h;transport=wss", "", "transport=wss", "wss"),        # only ws is recognized
    ("sip:h;transport=udpx", "", "transport=udpx", "udpx"),
    ("sip:h;transport=ud", "", "transport=ud", "ud"),
    ("sip:h;transport=xyz", "", "transport=xyz", "xyz"),
    ("sip:h;transport=tcp;lr", "tcp", "transport=tcp", "tcp"),
    ("sip:h;transport=tcp?x=1", "tcp", "transport=tcp", "tcp"),
    ("sip:h;Transport=Udp", "udp", "Transport=Udp", "Udp"),
    ("sip:h;x;transport=tcp;y=1", "tcp", "transport=tcp", "tcp"),
    ("sip:h;transport=", "", None, None),                       # empty: ignored
    ("sip:h;transport", "", None, None),                        # no '='
    ("sip:h;transports=udp", "", None, None),                   # another parameter
])
def test_transport(text, proto, whole, val):
    u = parse_uri(text)
    assert (u.proto, u.transport, u.transport_val) == (proto, whole, val)


@pytest.mark.parametrize("text,whole,val", [
    ("sip:h;lr", "lr", None),
    ("sip:h;lr;x", "lr", None),
    ("sip:h;lr?x", "lr", None),
    ("sip:h;LR", "LR", None),
    ("sip:h;lr=on", "lr=on", "on"),
    ("sip:h;lr=on;x", "lr=on", "on"),
    ("sip:h;lr=", "lr=", None),                       # at the end: the name and '='
    ("sip:h;lrx", None, None),
    ("sip:h;l", None, None),
    ("sip:h;x=lr", None, None),
])
def test_lr(text, whole, val):
    u = parse_uri(text)
    assert (u.lr, u.lr_val) == (whole, val)


def test_r2_and_gr():
    u = parse_uri("sip:h;r2=on;gr=urn:uuid:f81d4fae;gr")
    assert (u.r2, u.r2_val) == ("r2=on", "on")
    assert (u.gr, u.gr_val) == ("gr", "urn:uuid:f81d4fae")   # the last one written wins
    u = parse_uri("sip:h;gr")
    assert (u.gr, u.gr_val) == ("gr", None)
    u = parse_uri("sip:h;r2")
    assert (u.r2, u.r2_val) == ("r2", None)


def test_known_params_in_the_user_are_dropped():
    u = parse_uri("sip:a;transport=tcp;lr@b")
    assert u.user == "a;transport=tcp;lr"
    assert (u.transport, u.transport_val, u.proto, u.lr, u.params) == (None, None, "", None, None)


# ---- tel, urn, user=phone ------------------------------------------------------------------------
def test_tel_uri():
    u = parse_uri("tel:+1-555;ext=1")
    assert (u.type, u.scheme) == ("tel", "tel")
    assert fields(u, "user", "host", "params", "sip_params") == ("+1-555", "", "ext=1", None)
    assert u.flags == U.URI_USER_NORMALIZE          # visual separators in the number
    u = parse_uri("tel:5551234")
    assert (u.user, u.host, u.flags) == ("5551234", "", 0)


def test_urn():
    u = parse_uri("urn:service:sos")
    assert (u.type, u.user, u.host) == ("urn", "service", "sos")


def test_user_phone():
    u = parse_uri("sip:+1-234;cpc=x@host;user=phone")
    assert (u.type, u.scheme) == ("tel", "sip")
    assert fields(u, "user", "host", "params", "sip_params", "user_param", "user_param_val") == (
        "+1-234", "host", "cpc=x", "user=phone", "user=phone", "phone")
    assert u.flags == U.URI_USER_NORMALIZE | U.URI_SIP_USER_PHONE
    u = parse_uri("sips:+1234@host;user=phone")
    assert (u.type, u.user, u.params, u.sip_params) == ("tel", "+1234", None, "user=phone")


def test_user_phone_without_phone2tel():
    u = parse_uri("sip:+1-234;cpc=x@host;user=phone", phone2tel=False)
    assert (u.type, u.user, u.params, u.flags) == ("sip", "+1-234;cpc=x", "user=phone", 0)


def test_user_phone_is_case_sensitive():
    assert parse_uri("sip:+1@h;user=Phone").type == "sip"


def test_sip_user_normalize_flag_is_cleared():
    assert parse_uri("sip:a.b-c@h").flags == 0


# ---- invalid URIs ----------------------------------------------------------------------------
@pytest.mark.parametrize("text,reason", [
    ("", "too short"),
    ("sip:", "too short"),
    ("sip:a", None),                        # 5 characters: valid
    ("not a uri", "bad uri"),
    ("http://example.com", "bad uri"),
    ("sipx:a@b", "bad uri"),
    ("sip:@b", "bad uri"),                 # the host would start with @
    ("sip::b", "bad char"),
    ("sip:]b", "bad char"),
    ("sip:a[@b", "bad char"),
    ("sip:a@", "bad host"),
    ("sip:a@b_c", "bad host"),
    ("sip:a@-b", "bad host"),
    ("sip:a@[::1", "bad host"),
    ("sip:a@[::1]x", "bad host"),
    ("sip:[::1;x]", "bad host"),
    ("sip:a@b:99999", "bad port"),
    ("sip:a@b:5x", "bad port"),
    ("sip:a@b:000005", "bad port"),         # more than 5 characters
    ("sip:a:b", "bad port"),
    ("sip:a:bc;x", "bad port"),
    ("sip:a@b@c", "bad char"),
    ("sip:a@b?x;y", "bad char"),
    ("sip:a?x;y", "bad headers"),
    ("sip:a;x@b;y@c", "bad char"),
    ("sip:a:1:2@b", "bad char"),
])
def test_invalid(text, reason):
    if reason is None:
        assert parse_uri(text).host == "a"
        return
    with pytest.raises(UriError) as e:
        parse_uri(text)
    assert e.value.reason == reason
    assert e.value.text == text
    assert isinstance(e.value, ValueError)


def captured(debug=L_DBG):
    log = Log(debug=debug)
    return log, log.capture()


@pytest.mark.parametrize("text,state", [
    ("sip:a@b;ma", 38), ("sip:a@b;mad", 39), ("sip:a@b;madd", 40), ("sip:a@b;maddr", 41),
    ("sip:a@b;maddr=", 42),
])
def test_end_inside_maddr_is_kamailios_bad_state(text, state):
    log, lines = captured()
    with pytest.raises(UriError) as e:
        parse_uri(text, log)
    assert e.value.reason == "bad state"
    n = len(text)
    assert lines == [f" 0({log.pid}) CRITICAL: <core> [core/parser/parse_uri.c:1329]: parse_uri(): "
                     f"BUG: bad  state {state} parsed: <{text}> ({n}) / <{text}> ({n})\n"]


def test_nothing_logged_without_log_or_below_the_level():
    with pytest.raises(UriError):
        parse_uri("sip:a@b;ma")                     # no log: nothing printed, no error
    log, lines = captured(debug=-4)                 # below L_CRIT
    with pytest.raises(UriError):
        parse_uri("sip:a@b;ma", log)
    assert lines == []


def test_other_errors_log_nothing():
    log, lines = captured()
    for text in ("not a uri", "sip:a@b_c", "sip:a@b:99999", "sip:a@b?x;y"):
        with pytest.raises(UriError):
            parse_uri(text, log)
    assert lines == []


def test_maddr_with_a_value_is_fine():
    u = parse_uri("sip:a@b;maddr=x")
    assert (u.maddr, u.maddr_val) == ("maddr=x", "x")


def test_repr_shows_the_parts():
    r = repr(parse_uri("sip:a@b:5;lr"))
    assert r.startswith("SipUri(type='sip'") and "port_no=5" in r and "lr='lr'" in r


def test_docstring_examples():
    import doctest

    import kamlite.sip.uri
    assert doctest.testmod(kamlite.sip.uri).failed == 0


# ---- the quick path gives what the state machine gives ------------------------------------------
USERS = st.one_of(st.sampled_from(["", "alice@", "+49-30.1(2)@", "a%40b@", "x;y@", "u:pw@", "@"]),
                  st.text(alphabet="ab09.-()+%&=$,!~*'_;:@", max_size=6).map(lambda s: s + "@"))
HOSTS = st.one_of(st.sampled_from(["example.com", "127.0.0.1", "h", "-h", "a_b", "[::1]", ""]),
                  st.text(alphabet="ab09.-_", max_size=6))
PORTS = st.sampled_from(["", ":5060", ":0", ":65535", ":65536", ":99999", ":", ":123456", ":5x"])
PARAM_NAMES = st.sampled_from(["transport", "TRANSPORT", "ttl", "user", "method", "maddr", "lr", "r2",
                               "gr", "Lr", "tr", "m", "ma", "madd", "lrx", "x", ""])
PARAM_VALUES = st.sampled_from(["", "=", "=udp", "=TCP", "=ws", "=wss", "=sc", "=udpx", "=phone",
                                "=a=b", "=on", "=1", "=/x"])


@st.composite
def uris(draw):
    params = "".join(";" + draw(PARAM_NAMES) + draw(PARAM_VALUES)
                     for _ in range(draw(st.integers(0, 3))))
    return (draw(st.sampled_from(["sip:", "sips:", "SIP:", "tel:"])) + draw(USERS) + draw(HOSTS)
            + draw(PORTS) + params + draw(st.sampled_from(["", "", "?h=1", ";"])))


def _outcome(text):
    try:
        u = parse_uri(text)
    except UriError as e:
        return ("error", e.reason, e.position)
    return {k: getattr(u, k) for k in SipUri.FIELDS}


@st.composite
def plain_uris(draw):
    """URIs mostly inside the quick path's forms, near its edges."""
    user = draw(st.text(alphabet="ab09.-()+%&=$,!~*'_", max_size=5))
    host = draw(st.text(alphabet="ab09", min_size=1, max_size=3)) + draw(st.text(alphabet="ab9.-", max_size=4))
    params = "".join(";" + draw(PARAM_NAMES) + draw(PARAM_VALUES)
                     for _ in range(draw(st.integers(0, 4))))
    return (draw(st.sampled_from(["sip:", "sips:"])) + (user + "@" if user else "") + host
            + draw(PORTS) + params)


@settings(max_examples=4000, deadline=None)
@given(st.one_of(uris(), plain_uris()))
def test_quick_path_equals_state_machine(text):
    if U._quick(text) is None:
        return
    quick = _outcome(text)
    saved = U._quick
    U._quick = lambda text: None
    try:
        exact = _outcome(text)
    finally:
        U._quick = saved
    assert quick == exact, text


def test_quick_path_takes_the_everyday_uris():
    for text in ("sip:alice@example.com", "sip:bob@127.0.0.1:5060;transport=udp;lr",
                 "sips:x@h.example:5061", "sip:example.com;lr", "sip:+49-30-1234@gw;user=phone"):
        assert U._quick(text) is not None, text
    for text in ("sip:a:pw@h", "sip:a@[::1]", "sip:a@h?x=y", "SIP:a@h", "sip:a@h;maddr"):
        assert U._quick(text) is None, text


def test_quick_path_ignores_a_separator_in_the_first_character():
    # parse_uri() reads the first character in its init state, which sets no flag
    assert parse_uri("sip:.@0;user=phone").flags == U.URI_SIP_USER_PHONE
    assert parse_uri("sip:1.2@0;user=phone").flags == U.URI_SIP_USER_PHONE | U.URI_USER_NORMALIZE
