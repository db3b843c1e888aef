"""The recorded outputs are still what the real Kamailio prints (needs kamailio installed).

Every case is run again under real Kamailio and compared with its recorded expectation,
so the expectations kamlite is tested against cannot drift from the binary.
"""
import pytest

from ..conftest import need_program
from . import cases as C
from .record import observe

ALL = C.all_cases()


@pytest.fixture(scope="module")
def kamailio():
    return need_program("kamailio", "kamailio")


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_recorded_output_is_current(kamailio, case):
    outcome, lines = observe(case)
    assert outcome == case.outcome
    if outcome == "expect-refused":
        return                 # refusal texts include startup noise; the refusal is what counts
    if case.debug >= 3:
        lines = [l for l in lines if "<script>" in l]
        expected = [l for l in case.expected if "<script>" in l]
    else:
        expected = case.expected
    assert lines == expected
