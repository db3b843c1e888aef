"""binrpc: the wire format against the spec's byte captures, the reader's quirks, the
dispatcher's faults, and fuzzing (nothing but BinrpcError escapes the decoder, the
dispatcher always answers with a well-formed packet or nothing)."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamlite
from kamlite.log import Log
from kamlite.rpc import binrpc as B

CFG = """loadmodule "mqueue"
modparam("mqueue", "mqueue", "name=q1")
modparam("mqueue", "mqueue", "name=q2")
modparam("mqueue", "mqueue", "name=q3")
"""


@pytest.fixture(scope="module")
def program():
    log = Log(debug=2)
    log.capture()
    p = kamlite.load(text=CFG, log=log)
    p.modules["mqueue"].state.queues["q2"].add("kk", "vv")
    p.modules["mqueue"].state.queues["q1"].add("a", "b")
    return p


def run(program, data: bytes, **kw) -> B.Outcome:
    return B.Dispatcher(program, **kw).process(data)


# ---- the spec's captures (rpc.md 1.3) ------------------------------------------------------------
def test_request_and_reply_bytes_of_the_spec(program):
    req = bytes.fromhex("a103167dce214b91106d71756575652e6765745f73697a650031713100")
    assert B.request("mqueue.get_size", ["q1"], 0x7dce214b) == req
    out = run(program, req)
    assert out.reply == bytes.fromhex("a113147dce214b03556e616d6500317131005573697a6500100183")
    assert (out.consumed, out.close) == (len(req), False)


def test_one_byte_cookie_is_answered_in_one_byte(program):
    out = run(program, bytes.fromhex("a100160791106d71756575652e6765745f73697a650031713100"))
    assert out.reply == bytes.fromhex("a110140703556e616d6500317131005573697a6500100183")


def test_faults_of_the_spec(program):
    nope = B.request("mqueue.get_size", ["nope"], 0x2bbe2fe9)
    assert run(program, nope).reply.hex() == "a133132bbe2fe9200194910e4e6f207375636820717565756500"
    no_such = B.request("no.such", [], 0x684ac994)
    assert no_such.hex() == "a1030a684ac99491086e6f2e7375636800"
    assert run(program, no_such).reply == bytes.fromhex("a1331f684ac9942001f4911a") + b"command no.such not found\0"
    assert B.decode_values(B.parse_packet(run(program, B.request("mqueue.get_size", [5], 1)).reply)[1]) == \
        [400, "No queue name"]


def test_get_sizes_is_a_flat_sequence_of_structs(program):
    h, body = B.parse_packet(run(program, B.request("mqueue.get_sizes", [], 0x593edb71)).reply)
    assert (h.type, h.tlen) == (B.REPL, 0x3b)           # the spec's 0x3a had q2 empty
    assert body.startswith(b"\x03\x55name\x00\x31q3\x00\x55size\x00\x00\x83")
    assert B.decode_values(body) == [{"name": "q3", "size": 0}, {"name": "q2", "size": 1},
                                     {"name": "q1", "size": 1}]


def test_fetch_uses_key_and_val(program):
    h, body = B.parse_packet(run(program, B.request("mqueue.fetch", ["q2"], 0x4e8e55a8)).reply)
    assert body == bytes.fromhex("03") + b"\x45key\x00\x31kk\x00\x45val\x00\x31vv\x00" + bytes.fromhex("83")


def test_encodings():
    assert B.int_record(0) == b"\x00"
    assert B.int_record(1) == b"\x10\x01"
    assert B.int_record(404) == b"\x20\x01\x94"
    assert B.int_record(-1) == b"\x40\xff\xff\xff\xff"
    assert B.int_record(1 << 32) == b"\x00"                      # a C int
    assert B.str_record("") == b"\x11\x00"
    assert B.str_record("x" * 303)[:3] == b"\xa1\x01\x30"
    assert B.double_record(2.5) == b"\x22\x09\xc4"
    assert B.double_record(-1.0)[:1] == b"\x82"                  # 8 bytes, no S flag for doubles
    assert B.double_record(float("nan")) == b"\x82\x80" + b"\x00" * 7
    assert B.header(B.REPL, 0x3c6, 0x057cdc9f) == bytes.fromhex("a11703c6057cdc9f")
    assert B.header(B.REQ, 0, 0) == bytes.fromhex("a1000000")


def test_lists_are_sent_as_ctl_sends_arrays():
    body = B.reply_body([[1, "a", {"k": 2}, []]])
    assert body == b"\x03\x10\x01\x21a\x00\x03\x25k\x00\x10\x02\x83\x03\x83\x83"
    assert B.decode_values(body) == [[1, "a", {"k": 2}, {}]]
    assert B.reply_body([None]) == B.str_record("<null string>")


def test_reply_size_limits():
    with pytest.raises(B.Overflow) as e:
        B.reply_body(["x" * 100], max_body=50)
    assert e.value.fmt == "s"
    # a struct member that does not fit its struct's buffer is left out
    assert B.decode_values(B.reply_body([{"a": 1, "big": "y" * 100, "b": 2}], struct_max=40)) == [{"a": 1, "b": 2}]


def test_fault_texts_are_cut_and_too_long_faults_are_not_sent():
    f = B.fault(500, "x" * 254, 1)
    assert B.decode_values(B.parse_packet(f)[1]) == [500, "x" * 254]
    assert B.fault(500, "x" * 255, 1) is None           # the length needs 2 bytes: ctl gives up
    assert B.fault(-1, "x", 1) is None                  # a 4-byte code does not fit either


def test_reader_quirks():
    # inside a struct, a value without a name is refused by the server (smode 0)...
    r = B.Reader(b"\x03\x10\x01\x83")
    r.read()
    with pytest.raises(B.BinrpcError) as e:
        r.read()
    assert e.value.code == B.E_RECORD
    # ...and accepted by kamcmd (smode 1)
    r = B.Reader(b"\x03\x10\x01\x83", smode=1)
    assert [r.read().type for _ in range(3)] == [B.T_STRUCT, B.T_INT, B.T_STRUCT]
    # a member's header and name do not count in the offset that decides 'end of packet'
    r = B.Reader(b"\x03\x55name\x00\x10\x01\x83", smode=1)
    for _ in range(3):
        r.read()
    assert r.offset < r.tlen and r.at_end()
    with pytest.raises(B.BinrpcError) as e:
        r.read()
    assert e.value.code == B.E_MORE_DATA
    # an int wider than 4 bytes keeps its low 32 bits
    assert B.Reader(b"\x50\x01\x00\x00\x00\x05").read().value == 5


@pytest.mark.parametrize("data, text", [
    (b"hello world", "bad request: corrupted packet"),
    (bytes.fromhex("a11000070000"), "bad request: corrupted packet"),
    (bytes.fromhex("a1000007"), "bad request method: end of packet encountered"),
    (bytes.fromhex("a10002071005"), "bad request method: record doesn't match type"),
    (bytes.fromhex("a1000307911061"), "bad request method: more data needed"),
])
def test_bad_requests_get_a_fault_and_the_connection_closes(program, data, text):
    out = run(program, data)
    assert out.close
    h, body = B.parse_packet(out.reply)
    assert h.type == B.FAULT and B.decode_values(body) == [400, text]


def test_incomplete_packets_wait_for_more(program):
    full = B.request("mqueue.get_sizes", [], 99)
    for n in range(len(full)):
        assert run(program, full[:n]) == B.Outcome()
    assert run(program, full).consumed == len(full)


def test_autoconversion(program):
    req = B.request("mqueue.get_size", [5], 3)
    assert B.decode_values(B.parse_packet(run(program, req, autoconvert=True).reply)[1]) == [404, "No such queue"]


def test_scan_faults_are_sent_when_nothing_was_added(program):
    def values(params):
        return B.decode_values(B.parse_packet(run(program, B.request("core.echo", params, 1)).reply)[1])
    assert values([2.5]) == [400, "error at parameter 0: expected float type but bug -- internal error"]
    assert values(["a", 2.5]) == ["a"]
    assert values([-1]) == ["18446744073709551615"]
    assert values([]) == []


def test_addresses():
    A = B.Address
    assert B.parse_address("unix:/tmp/x") == A(B.UNIXS, "/tmp/x")
    assert B.parse_address("unixs:/tmp/x") == A(B.UNIXS, "/tmp/x")
    assert B.parse_address("unixd:/tmp/x") == A(B.UNIXD, "/tmp/x")
    assert B.parse_address("udp:127.0.0.1:2046") == A(B.UDP, "127.0.0.1", 2046)
    assert B.parse_address("tcp:localhost") == A(B.TCP, "localhost", 0)
    assert B.parse_address("tcp:3012") == A(B.TCP, "*", 3012)
    assert B.parse_address("/tmp/kamailio_ctl", B.UNIXS) == A(B.UNIXS, "/tmp/kamailio_ctl")
    assert B.parse_address("/tmp/kamailio_ctl", B.UDP) == A(B.UNIXS, "/tmp/kamailio_ctl")
    assert B.parse_address("localhost:2049", B.UNIXS) == A(B.UDP, "localhost", 2049)
    assert B.parse_address("tcp:[::1]:7") == A(B.TCP, "[::1]", 7)
    assert B.parse_address("udp:host:nosuchservice") is None


# ---- fuzzing ---------------------------------------------------------------------------------------
@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 1))
def test_fuzz_reader_raises_only_binrpc_errors(data, smode):
    r = B.Reader(data, smode)
    for _ in range(len(data) + 2):
        try:
            rec = r.read()
        except B.BinrpcError:
            return
        assert rec.type in range(16)
    assert r.at_end() or r.offset >= r.tlen


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_decode_values(data):
    try:
        B.decode_values(data)
    except B.BinrpcError:
        pass


def _packets():
    """Random bytes, and random bodies behind a valid header (to get past the header)."""
    records = st.lists(st.sampled_from([b"\x00", b"\x10\x05", b"\x31q1\x00", b"\x91\x10mqueue.get_size\x00",
                                        b"\x91\x0bcore.echo\x00", b"\x03", b"\x83", b"\x04", b"\x84", b"\x55n\x00",
                                        b"\x22\x09\xc4", b"\x26ab", b"\xc1\xff\xff\xff\xff", b"\x0f", b"\xa1"]),
                       max_size=8).map(b"".join)
    framed = st.tuples(records, st.integers(0, 2**32 - 1), st.sampled_from([0, 0, 1, 3, 5])).map(
        lambda t: B.header(t[2], len(t[0]), t[1]) + t[0])
    return st.one_of(st.binary(max_size=120), framed, st.tuples(framed, st.binary(max_size=20)).map(b"".join))


@settings(max_examples=3000, deadline=None)
@given(_packets())
def test_fuzz_dispatcher_answers_well_formed_packets(program, data):
    out = run(program, data)
    assert 0 <= out.consumed <= len(data)
    if out.reply is not None:
        h, body = B.parse_packet(out.reply)
        assert h.type in (B.REPL, B.FAULT)
        values = B.decode_values(body)
        if h.type == B.FAULT:
            assert isinstance(values[0], int) and isinstance(values[1], str)


texts = st.text(st.characters(max_codepoint=255), max_size=20)
scalars = st.one_of(st.integers(-2**31, 2**31 - 1), texts,
                    st.integers(-10**9, 10**9).map(lambda m: m / 1000))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(st.characters(min_codepoint=1, max_codepoint=255),
                                                         max_size=8), inner, max_size=4)), max_leaves=12)


def _expected(v):
    if isinstance(v, float):
        return int(v * 1000) / 1000
    if isinstance(v, list):
        return [_expected(x) for x in v] if v else {}
    if isinstance(v, dict):
        return {k: _expected(x) for k, x in v.items()}
    return v


@settings(max_examples=1500, deadline=None)
@given(st.lists(values, max_size=5))
def test_fuzz_reply_round_trip(vals):
    body = B.reply_body(vals, max_body=1 << 30, struct_max=1 << 30)
    got = B.decode_values(body)
    exp = _expected(vals)
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        if isinstance(e, float):
            assert math.isclose(g, e, abs_tol=1e-9)
        else:
            assert g == e


@settings(max_examples=1500, deadline=None)
@given(st.text(st.characters(min_codepoint=1, max_codepoint=255), min_size=1, max_size=30),
       st.lists(st.one_of(st.integers(-2**31, 2**31 - 1), texts), max_size=6), st.integers(0, 2**32 - 1))
def test_fuzz_request_round_trip(method, params, cookie):
    pkt = B.request(method, params, cookie)
    h, body = B.parse_packet(pkt)
    assert (h.type, h.cookie, h.size + h.tlen) == (B.REQ, cookie, len(pkt))
    r = B.Reader(body)
    assert B.text(r.read(B.T_STR).value) == method
    got, stop = B.read_params(r)
    assert got == params and stop == B.E_EOP
