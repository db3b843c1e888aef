"""JSON-RPC: srjson's parsing and printing, the request rules of jsonrpcs, fuzzing."""
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kamlite
from kamlite.log import Log
from kamlite.modules.jsonrpcs import FifoReader
from kamlite.rpc import jsonrpc as J

CFG = """loadmodule "mqueue"
loadmodule "jsonrpcs"
modparam("mqueue", "mqueue", "name=q1")
modparam("mqueue", "mqueue", "name=q2")
modparam("mqueue", "mqueue", "name=q3")
"""


@pytest.fixture(scope="module")
def program():
    log = Log(debug=2)
    p = kamlite.load(text=CFG, log=log)
    p.test_log = log.capture()
    q = p.modules["mqueue"].state.queues
    q["q2"].add("a", "hello world")
    q["q1"].add("k1", "v1")
    q["q1"].add("k2", "v2")
    return p


def ex(program, doc: bytes, **kw):
    r = J.execute(program, doc, **kw)
    return None if r is None else r.body


# ---- the spec's bytes (mqueue.md 5.2, rpc.md 2.3) --------------------------------------------------
def test_pretty_replies_of_the_spec(program):
    assert ex(program, b'{"jsonrpc":"2.0","method":"mqueue.get_sizes","id":1}') == (
        b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t[{\n\t\t\t"name":\t"q3",\n\t\t\t"size":\t0\n\t\t}, '
        b'{\n\t\t\t"name":\t"q2",\n\t\t\t"size":\t1\n\t\t}, {\n\t\t\t"name":\t"q1",\n\t\t\t"size":\t2\n\t\t}],'
        b'\n\t"id":\t1\n}')
    assert ex(program, b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":["q1"],"id":2}') == \
        b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t{\n\t\t"name":\t"q1",\n\t\t"size":\t2\n\t},\n\t"id":\t2\n}'
    assert ex(program, b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":["nope"],"id":3}') == \
        b'{\n\t"jsonrpc":\t"2.0",\n\t"error":\t{\n\t\t"code":\t404,\n\t\t"message":\t"No such queue"\n\t},\n\t"id":\t3\n}'
    assert ex(program, b'{"jsonrpc":"2.0","method":"mqueue.fetch","params":["q2"],"id":"abc"}') == (
        b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t{\n\t\t"key":\t"a",\n\t\t"val":\t"hello world"\n\t},'
        b'\n\t"id":\t"abc"\n}')
    assert ex(program, b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":["nope"],"id":2}', pretty=False) == \
        b'{"jsonrpc":"2.0","error":{"code":404,"message":"No such queue"},"id":2}'


@pytest.mark.parametrize("doc, reply", [
    (b'{"method":"core.echo","id":3}', b'{"jsonrpc":"2.0","result":{},"id":3}'),
    (b'{"jsonrpc":"1.0","method":"core.echo","id":3}', b'{"jsonrpc":"2.0","result":{},"id":3}'),
    (b'{"jsonrpc":"2.0","id":7}', b'{"jsonrpc":"2.0","result":{},"id":7}'),
    (b'{"jsonrpc":"2.0","method":"x.y","id":1}', b'{"jsonrpc":"2.0","error":{"code":500,"message":"Method Not Found"},"id":1}'),
    (b'[{"jsonrpc":"2.0","method":"core.echo","id":1}]', b'{"jsonrpc":"2.0","result":{}}'),
    (b'{"jsonrpc":"2.0","method":"core.echo","params":["a",1,2.5,-1,true,"x"]}',
     b'{"jsonrpc":"2.0","result":["a","1","2","18446744073709551615"]}'),
    (b'{"jsonrpc":"2.0","method":"mqueue.get_sizes","params":5,"id":true}', b'{"jsonrpc":"2.0","result":[],"id":1}'),
    (b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":{"whatever":"q3"},"id":null}',
     b'{"jsonrpc":"2.0","result":{"name":"q3","size":0},"id":0}'),
    (b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":[5],"id":1.5}',
     b'{"jsonrpc":"2.0","error":{"code":400,"message":"No queue name"},"id":1.500000}'),
    (b'{"jsonrpc":"2.0","method":"jsonrpc.echo","params":["a","5"],"id":12345678901}',
     b'{"jsonrpc":"2.0","result":["a",0],"id":12345678901}'),
    (b'{"jsonrpc":"2.0","method":"core.echo","params":["\\u00e9\\ud83d\\ude00\\u0001\\u0000x"]}',
     b'{"jsonrpc":"2.0","result":["\xc3\xa9\xf0\x9f\x98\x80\\u0001x"]}'),
    (b'{"jsonrpc":"2.0","method":"core.version"} trailing', None),       # checked below: parsed
    (b'{"JsonRpc":"2.0","METHOD":"core.echo","Params":["x"],"Id":9}', b'{"jsonrpc":"2.0","result":["x"],"id":9}'),
])
def test_request_rules(program, doc, reply):
    got = ex(program, doc, pretty=False)
    if reply is None:
        assert got.startswith(b'{"jsonrpc":"2.0","result":"kamlite')
    else:
        assert got == reply


def test_no_reply_to_what_is_not_json(program):
    for doc in (b"garbage", b"", b"   ", b"{", b'{"a" 1}', b"[1,]", b"{'a':1}", b"\x00{}", b"NaN",
                b'{"jsonrpc":"2.0","method":"core.echo","params":["unterminated'):
        assert J.execute(program, doc) is None, doc
    assert any("invalid json doc [[garbage]]" in line for line in program.test_log)


def test_error_codes_and_texts():
    e = J._Exec()
    e.fault(0, "whatever")
    assert e.error == (-32000, b"Execution Error")
    e.fault(-32601, "mine")
    assert e.error == (-32601, b"Method Not Found")
    e.fault(404, "x" * 300)
    assert e.error == (404, b"x" * 127) and e.http_code == 404
    e.fault(42, "")
    assert e.error == (42, b"Unexpected Error") and e.http_code == 500


def test_fifo_requests_need_a_reply_name(program):
    r = J.execute(program, b'{"jsonrpc":"2.0","method":"core.echo","reply_name":"rn","id":1}', fifo=True)
    assert r.reply_name == b"rn"
    r = J.execute(program, b'{"jsonrpc":"2.0","method":"core.echo","id":1}', fifo=True)
    assert r.reply_name is None
    r = J.execute(program, b'{"jsonrpc":"2.0","method":"core.echo","reply_name":"' + b"n" * 128 + b'"}', fifo=True)
    assert r.reply_name is None


def test_srjson_numbers_and_strings():
    assert J.format_number(3.0) == b"3"
    assert J.format_number(-2147483648.0) == b"-2147483648"
    assert J.format_number(2147483648.0) == b"2147483648"
    assert J.format_number(1.5) == b"1.500000"
    assert J.format_number(1e10 + 0.5) == b"1.000000e+10"
    assert J.format_number(1e-7) == b"1.000000e-07"
    assert J.parse(b"0123").number == 123
    assert J.parse(b"-").number == 0
    assert J.parse(b"1.e5").number == 1
    assert J.parse(b"2E+2").number == 200
    assert J.parse(b"nullx").type == J.J_NULL
    assert J.parse(b'"a\\qb"').string == b"aqb"
    assert J.dumps({"a": {}, "b": [], "c": [1, {"d": None}]}) == \
        b'{\n\t"a":\t{\n\t},\n\t"b":\t[],\n\t"c":\t[1, {\n\t\t\t"d":\tnull\n\t\t}]\n}'


def test_srjson_surrogate_pairs_above_plane_1():
    """srjson builds the code point as 0x10000 | high | low: U+20000 comes out as U+10000."""
    assert J.parse(b'"\\ud840\\udc00"').string == "\U00010000".encode("utf-8")
    assert J.parse(b'"\\ud83d\\ude00"').string == "\U0001F600".encode("utf-8")


def test_fifo_reader_splits_documents_as_jsonrpcs_does():
    r = FifoReader()
    assert r.feed(b'  {"a":"}"} {"b":\'{\'}') == [(b'{"a":"}"}', 0), (b'{"b":\'{\'}', 0)]
    assert r.feed(b'{"a":"\\"}"') == []                  # \" does not end the string
    assert r.feed(b"}") == [(b'{"a":"\\"}"}', 0)]
    r = FifoReader()
    out = r.feed(b"{" + b"x" * 9000)
    assert out == [(b"", 8191)]


# ---- fuzzing -----------------------------------------------------------------------------------------
@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_execute_never_raises(program, data):
    r = J.execute(program, data)
    if r is not None:
        assert J.parse(r.body) is not None


def json_values(text):
    return st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53), text,
              st.floats(allow_nan=False, allow_infinity=False, width=32)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=15)


# below U+20000: srjson decodes surrogate pairs with '|' where '+' is needed (see below)
BMP_AND_PLANE1 = st.text(st.characters(max_codepoint=0x1FFFF, blacklist_categories=("Cs",)), max_size=10)
ASCII = st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=10)


def _plain_expected(v):
    """What kamlite should see: UTF-8 bytes as latin-1 text, \\u0000 escapes dropped."""
    if isinstance(v, str):
        return v.replace("\0", "").encode("utf-8").decode("latin-1")
    if isinstance(v, float):
        return v
    if isinstance(v, list):
        return [_plain_expected(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            out.setdefault(_plain_expected(k), _plain_expected(x))
        return out
    return v


def _close(a, b, rel=1e-12, abs_=1e-300):
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, rel, abs_) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel, abs_) for k in a)
    return a == b


@settings(max_examples=1500, deadline=None)
@given(json_values(BMP_AND_PLANE1), st.booleans())
def test_fuzz_parse_agrees_with_python_json(v, ascii_only):
    text = json.dumps(v, ensure_ascii=ascii_only).encode("utf-8")
    node = J.parse(text)
    assert node is not None
    assert _close(J.plain(node), _plain_expected(v))


@settings(max_examples=500, deadline=None)
@given(json_values(ASCII))
def test_fuzz_printed_json_is_json(v):
    """Valid JSON, same values (srjson prints non-whole numbers with %f or %e: 6 digits)."""
    for pretty in (True, False):
        back = json.loads(J.dumps(v, pretty).decode("ascii"))
        assert _close(back, v, rel=1e-5, abs_=1e-6)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from([b"{", b"}", b'"', b"'", b"\\", b"a", b" ", b'{"x":1}']), max_size=40),
       st.lists(st.integers(1, 10), max_size=10))
def test_fuzz_fifo_reader_does_not_depend_on_chunks(parts, cuts):
    data = b"".join(parts)
    whole = FifoReader().feed(data)
    r, got, i = FifoReader(), [], 0
    for c in cuts + [len(data)]:
        got += r.feed(data[i:i + c])
        i += c
    got += r.feed(data[i:])
    assert got == whole
