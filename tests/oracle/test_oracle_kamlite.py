"""kamlite against the outputs real Kamailio 5.6.3 printed for the same route bodies."""
import pytest

from . import cases as C
from . import kamlite_run

# Cases where kamlite deliberately differs from Kamailio, with the reason.
KNOWN_DIFFERENCES = {
    "01_values::wrap_div_min_by_minus_one_crashes_worker":
        "Kamailio's worker dies of SIGFPE on INT_MIN / -1; kamlite keeps serving",
}

ALL = C.all_cases()


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_case(case):
    if case.id in KNOWN_DIFFERENCES:
        pytest.skip(KNOWN_DIFFERENCES[case.id])
    outcome, lines, detail = kamlite_run.run(case)
    if case.outcome == "expect-refused":
        assert outcome == "expect-refused", "Kamailio refused this config, kamlite loaded it"
        return
    assert outcome == case.outcome, f"kamailio: {case.outcome}, kamlite: {outcome}\n{detail}"
    if case.debug >= 3:
        lines = [l for l in lines if "<script>" in l]
        expected = [l for l in case.expected if "<script>" in l]
    else:
        expected = case.expected
    assert lines == expected
