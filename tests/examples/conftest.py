"""Shared helpers for the examples' regression tests: paths, `kamlite -c`, `kamailio -c`."""
import os
import subprocess
import sys

import pytest

from tests.conftest import need_program
from tests.oracle import kamailio_run as K

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def example(name: str) -> str:
    return os.path.join(EXAMPLES, name)


def kamlite_check(name: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kamlite", "-c", "-f", example(name)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)


def kamailio_check(name: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    kamailio = need_program("kamailio", "kamailio")
    for module in ("sl", "mqueue", "rtimer", "maxfwd", "sanity", "db_sqlite"):
        if module + ".so" in open(example(name)).read() and \
                not os.path.exists(os.path.join(K.MODULE_DIR, module + ".so")):
            pytest.skip(f"Kamailio's {module} module is not installed")
    return subprocess.run([kamailio, "-c", "-f", example(name), "-L", K.MODULE_DIR],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=120)


@pytest.fixture
def check_configs():
    """check_configs(name, cwd=None): the example passes `kamlite -c` and `kamailio -c`."""
    def check(name: str, cwd: str | None = None):
        ours = kamlite_check(name, cwd)
        assert ours.returncode == 0, ours.stdout + ours.stderr
        real = kamailio_check(name, cwd)
        assert real.returncode == 0 and "config file ok" in real.stdout + real.stderr, real.stdout + real.stderr
    return check
