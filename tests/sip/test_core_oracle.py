"""The SIP core against real Kamailio: replies, forwarding, old-style tests and malformed
datagrams (tests/sip/core_cases.py), compared byte for byte with what Kamailio 5.6.3 sent
and logged (core_recorded.json), and the recording checked against the live Kamailio."""
import json

import pytest

from tests.conftest import need_program
from tests.sip import core_cases as C

with open(C.RECORDED, encoding="utf-8") as fh:
    RECORDED = json.load(fh)
NAMES = [name for name, _text, _sender in C.CASES]


@pytest.fixture(scope="module")
def kamlite_run():
    return C.run("kamlite")


@pytest.mark.parametrize("name", NAMES)
def test_kamlite_behaves_as_recorded(kamlite_run, name):
    got, want = kamlite_run[name], RECORDED[name]
    assert got["client"] == want["client"], "datagrams back to the client"
    assert got["uas"] == want["uas"], "datagrams sent on to the next hop"
    assert got["log"] == want["log"], "log lines"


@pytest.fixture(scope="module")
def kamailio_run():
    need_program("kamailio", "kamailio")
    return C.run("kamailio")


@pytest.mark.parametrize("name", NAMES)
def test_recording_is_current(kamailio_run, name):
    assert kamailio_run[name] == RECORDED[name]
