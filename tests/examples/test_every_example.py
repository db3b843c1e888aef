"""Every example teaches: a comment header that says what it shows and how to run it,
and a regression test of its own."""
import os
import re

import pytest

from .conftest import EXAMPLES

NAMES = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".cfg"))


def test_there_are_enough_lessons():
    assert len(NAMES) >= 7


@pytest.mark.parametrize("name", NAMES)
def test_header_and_test(name):
    text = open(os.path.join(EXAMPLES, name)).read()
    head = re.match(r"#!KAMAILIO\n((?:#.*\n)+)", text)
    assert head, f"{name} must start with #!KAMAILIO and a comment header"
    header = head.group(1)
    assert header.startswith(f"#\n# {name} - "), "the header names the file and says what it is"
    assert "Run it:" in header and f"kamlite -f examples/{name}" in header
    assert f"tests/examples/test_{name[:-4]}.py" in header
    assert os.path.exists(os.path.join(os.path.dirname(__file__), f"test_{name[:-4]}.py"))
