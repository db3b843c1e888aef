"""Shared test helpers.

Tests that need an external program (kamailio, sipp ...) skip with a clear reason when it
is absent; with KAMLITE_REQUIRE_EXTERNAL=1 (set by .ci/run) a missing program fails.
"""
import os
import shutil

import pytest

REQUIRE_EXTERNAL = os.environ.get("KAMLITE_REQUIRE_EXTERNAL") == "1"


def need_program(name: str, package: str = "") -> str:
    path = shutil.which(name) or (os.path.exists(f"/usr/sbin/{name}") and f"/usr/sbin/{name}") or None
    if path:
        return path
    why = f"{name} is not installed" + (f" (Debian package {package})" if package else "")
    if REQUIRE_EXTERNAL:
        pytest.fail(why + " and KAMLITE_REQUIRE_EXTERNAL=1")
    pytest.skip(why)


@pytest.fixture
def kamailio_bin():
    return need_program("kamailio", "kamailio")
