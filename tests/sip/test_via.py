"""kamlite.sip.via: Kamailio 5.6.3's parse_via(), state for state.

The corpus (tests/sip/via_corpus.py: hand-written cases, and rich Vias with a character
inserted at every position or cut short everywhere) was shown to the real Kamailio by
tests/sip/via_oracle.py; via_expected.json holds what it made of each: the $via0/$via1/
$viaZ attributes, $hfl(Via)[0..3] and $hflc(Via), the error lines of parse_via.c, and how
sl_send_reply() echoed the Vias.  Each case checks that parse_via() predicts all of it.
Re-record with `python -m tests.sip.via_oracle` (needs kamailio).
"""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kamlite.log import L_ERR, Log
from kamlite.sip import via as V
from kamlite.sip.message import ParseLog
from kamlite.sip.via import parse_via

from ..conftest import need_program
from . import via_oracle as O
from .via_corpus import BASES, INSERTS, corpus

with open(O.FIXTURE, encoding="utf-8") as _fh:
    RECORDED = json.load(_fh)


def test_fixture_matches_corpus():
    """The recorded file is the current corpus (re-record after changing the corpus)."""
    assert [c["msg"] for c in corpus()] == [r["msg"] for r in RECORDED]


@pytest.mark.parametrize("case", RECORDED, ids=[r["id"] for r in RECORDED])
def test_recorded(case):
    assert O.predict(case["msg"]) == O.comparable(case)


def test_corpus_covers_the_error_lines():
    """The corpus reaches every error message of parse_via.c that can be reached (not: the
    LM_CRIT "BUG" branches, the default branches of parse_via_param()'s value loop for
    ' ', CR, LF and ';', the check after parse_via_param() returns, the comment nesting
    check — every state that gets there is handled before)."""
    seen = {line.split("parse_via.c:")[1].split("]")[0]
            for r in RECORDED for line in r["via_log"]}
    assert {"440", "472", "504", "1103", "1211", "1231",
            "1282", "1324", "1437", "1530", "1617", "1639", "1681", "1711", "1748", "1779",
            "1808", "1841", "1872", "1901", "1932", "1963", "1992", "2021", "2051", "2059",
            "2102", "2222", "2228", "2232", "2254", "2257", "2273", "2276", "2285", "2309",
            "2312", "2332", "2362", "2433", "2464", "2487", "2606", "2654", "2675",
            "2689", "2706", "2709", "2712"} <= seen, sorted(seen)


# ---- the fields, on a few typical and odd headers ---------------------------------------------
def parse(text, rest="f: x\r\n\r\n"):
    buf = text + rest
    bodies, nxt = parse_via(buf, 0, len(buf))
    return buf, bodies, nxt


def test_typical():
    buf, (vb,), nxt = parse("SIP/2.0/UDP 10.0.0.1:5062;branch=z9hG4bK1;rport;received=1.2.3.4\r\n")
    assert buf[nxt:] == "f: x\r\n\r\n"
    assert (vb.name, vb.version, vb.transport, vb.proto, vb.protoid) == ("SIP", "2.0", "UDP", "udp", 1)
    assert (vb.host, vb.port_str, vb.port) == ("10.0.0.1", "5062", 5062)
    assert [(p.name, p.value, p.type) for p in vb.param_list] == [
        ("branch", "z9hG4bK1", V.PARAM_BRANCH), ("rport", None, V.PARAM_RPORT),
        ("received", "1.2.3.4", V.PARAM_RECEIVED)]
    assert (vb.branch.value, vb.rport.value, vb.received.value) == ("z9hG4bK1", None, "1.2.3.4")
    assert vb.i is None and vb.alias is None and vb.comment is None
    assert buf[vb.host_start:].startswith("10.0.0.1")
    assert buf[vb.params_start:].startswith("branch=")
    # Kamailio sets params.len only at ',', '(' or a value-less parameter at the line end
    assert vb.params == ""
    assert (vb.start, vb.name_start) == (0, 0)
    assert buf[vb.start:vb.start + vb.bsize] == buf[:nxt]
    assert buf[vb.end - 1] == "4" and buf[vb.end] == "\r"


def test_param_start_and_size_cover_blanks():
    buf, (vb,), _ = parse("SIP/2.0/UDP h ;rport ; branch = z9hG4bK1 ;x\r\n")
    rport, branch, x = vb.param_list
    assert buf[rport.start - 1:rport.start + rport.size] == ";rport "
    assert buf[branch.start - 1:branch.start + branch.size] == "; branch = z9hG4bK1"
    assert (branch.value, buf[branch.name_start], buf[branch.value_start]) == ("z9hG4bK1", "b", "z")
    assert (x.name, x.value, x.type) == ("x", None, V.GEN_PARAM)
    assert vb.params == "rport ; branch = z9hG4bK1 ;x"


def test_several_bodies_and_comments():
    buf, bodies, nxt = parse("SIP/2.0/UDP a;rport=5 (one (two)) , sip/2.0/tls [::1]:5061\r\n"
                             " ,SIP/2.0/XYZ c\r\n")
    a, b, c = bodies
    assert (a.comment, a.rport.value, a.params) == ("one (two)", "5", "rport=5 ")
    assert buf[a.start:a.end] == "SIP/2.0/UDP a;rport=5 (one (two))"
    assert buf[a.start + a.bsize:].startswith("sip/2.0/tls")
    assert (b.transport, b.protoid, b.host, b.port) == ("tls", V.PROTO_TLS, "[::1]", 5061)
    assert buf[b.start:b.end] == "sip/2.0/tls [::1]:5061"
    assert (c.transport, c.proto, c.host) == ("XYZ", "other", "c")
    assert buf[nxt:] == "f: x\r\n\r\n"


def test_last_parameter_of_a_kind_wins():
    _, (vb,), _ = parse("SIP/2.0/UDP h;branch=one;rport=1;branch=two;rport\r\n")
    assert (vb.branch.value, vb.rport.value) == ("two", None)


def test_shared_state_numbers():
    """No USE_COMP in 5.6.3: ALIAS1..ALIAS4 have FIN_HIDDEN..FIN_MADDR's numbers."""
    _, (vb,), _ = parse("SIP/2.0/UDP h;a;al=7;ali=z9hG4bKx;alia=m;alias\r\n")
    assert [p.type for p in vb.param_list] == [V.PARAM_HIDDEN, V.PARAM_TTL, V.PARAM_BRANCH,
                                               V.PARAM_MADDR, V.PARAM_ALIAS]
    assert (vb.branch.value, vb.ttl.value, vb.maddr.value) == ("z9hG4bKx", "7", "m")


def test_port_like_str2s():
    for port, value in (("70000", 4464), ("0", 0), ("000005", 0), ("65536", 0)):
        buf = f"SIP/2.0/UDP h:{port}\r\n\r\n"
        bodies, _ = parse_via(buf, 0, len(buf))
        if port == "000005":
            assert bodies is None       # six digits
        else:
            assert bodies[0].port == value


def test_end_of_buffer():
    buf = "SIP/2.0/UDP h:5060"           # no line end: fine, with Kamailio's odd lengths
    (vb,), nxt = parse_via(buf, 0, len(buf))
    assert nxt == len(buf) and (vb.host, vb.port_str, vb.port) == ("h", "", 0)
    buf = "SIP/2.0/UDP h\x00;rport\r\n"   # a NUL ends the header where it is
    (vb,), nxt = parse_via(buf, 0, len(buf))
    assert nxt == 13 and vb.host == "" and vb.rport is None


def test_error_lines_through_parselog():
    log = Log(debug=L_ERR)
    lines = log.capture()
    log.set_process(1, 4242)
    buf = "garbage here\r\nFrom: x\0junk\r\n\r\n"
    assert parse_via(buf, 0, len(buf), ParseLog(log)) == (None, 0)
    assert lines == [
        " 1(4242) ERROR: <core> [core/parser/parse_via.c:2051]: parse_via(): bad char <g> on state 100\n",
        " 1(4242) ERROR: <core> [core/parser/parse_via.c:2706]: parse_via(): parsing via on: "
        "<garbage here\r\nFrom: x>\n",
        " 1(4242) ERROR: <core> [core/parser/parse_via.c:2712]: parse_via(): via parse error\n"]


def test_error_in_second_body_logs_from_there():
    buf = "SIP/2.0/UDP a, SIP/2.0/UDP b;branch;x\r\n\r\n"
    rec = O._RecordLog()
    bodies, pos = parse_via(buf, 0, len(buf), rec)
    assert bodies is None and buf[pos] == ";"
    assert rec.records == [
        "ERROR: <core> [core/parser/parse_via.c:472]: parse_via_param(): invalid char <;> in state 232",
        "ERROR: <core> [core/parser/parse_via.c:1324]: parse_via_param(): failure parsing via param",
        "ERROR: <core> [core/parser/parse_via.c:2706]: parse_via(): parsing via on: "
        "<SIP/2.0/UDP b;branch;x\r\n\r\n>",
        "ERROR: <core> [core/parser/parse_via.c:2709]: parse_via(): parse error, parsed so far:"
        "<SIP/2.0/UDP b;branch>"]


# ---- never an exception -------------------------------------------------------------------------
class _Sink:
    def core(self, level, where, func, text):
        assert where.startswith("parser/parse_via.c:") and isinstance(text, str)


def _check_result(buf, start, end, result):
    bodies, pos = result
    assert isinstance(pos, int)
    if bodies is not None:
        assert bodies and start < pos <= end
        for vb in bodies:
            assert start <= vb.start <= vb.end <= vb.start + vb.bsize <= end
            assert vb.name.upper() == "SIP" and vb.version == "2.0"
            for p in vb.param_list:
                assert vb.start < p.start and p.size >= 0
                assert p.type in (V.GEN_PARAM, *range(230, 238))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), st.integers(0, 20))
def test_fuzz_random_bytes(data, start):
    buf = data.decode("latin-1")
    start = min(start, len(buf))
    _check_result(buf, start, len(buf), parse_via(buf, start, len(buf), _Sink()))


_VIA_ALPHABET = "SIP/2.0UDPTCLSWXx; ,:=\"()[]\r\n\t\x00abhrnceiovdmpt0123456789."


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_VIA_ALPHABET, max_size=80))
def test_fuzz_via_alphabet(text):
    buf = "SIP/2.0/UDP " + text + "\r\nf: x\r\n\r\n"
    _check_result(buf, 0, len(buf), parse_via(buf, 0, len(buf), _Sink()))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(BASES + [h[5:] for h in (
           "Via: SIP/2.0/UDP a;branch=z9hG4bK1;rport , SIP/2.0/UDP [::1]:5070;received=x , "
           "SIP/2.0/TLS c (comment)",)]),
       st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3),
                          st.sampled_from(INSERTS + ["", "\x7f", "\xff", "SIP/2.0/UDP"])),
                max_size=4))
def test_fuzz_mutated_vias(base, edits):
    text = base
    for pos, cut, ins in edits:
        pos = min(pos, len(text))
        text = text[:pos] + ins + text[pos + cut:]
    buf = text + "\r\nf: x\r\n\r\n"
    _check_result(buf, 0, len(buf), parse_via(buf, 0, len(buf), _Sink()))


# ---- against the real Kamailio ------------------------------------------------------------------
def _fresh_mutations(n, seed=20240607):
    """Cases the recording does not have: a few random edits of the corpus' bases."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        text = rnd.choice(BASES)
        for _ in range(rnd.randint(1, 3)):
            pos = rnd.randint(0, len(text))
            text = text[:pos] + rnd.choice(INSERTS + [""]) + text[pos + rnd.randint(0, 2):]
        out.append(O.message("Via: " + text + "\r\n"))
    return out


def test_differential_against_kamailio():
    need_program("kamailio", "kamailio")
    sample = [r["msg"] for r in RECORDED[::6]] + _fresh_mutations(120)
    results = O.run_kamailio(sample)
    bad = [(msg, O.comparable(res), O.predict(msg)) for msg, res in zip(sample, results)
           if O.comparable(res) != O.predict(msg)]
    assert not bad, "\n\n".join(f"{m!r}\n kamailio: {k}\n kamlite:  {p}" for m, k, p in bad[:5])
