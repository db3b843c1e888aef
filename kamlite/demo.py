"""The demo behind scripts/demo: check and run examples/hello.cfg, then stop it cleanly.

It grows with kamlite: today it shows the config check and a run of the script language
in real worker processes; SIP traffic and the mqueue flow come with later versions.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(os.path.dirname(HERE), "examples", "hello.cfg")


def say(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def main() -> int:
    cfg = sys.argv[1] if len(sys.argv) > 1 else EXAMPLE
    seconds = float(os.environ.get("KAMLITE_DEMO_SECONDS", "2"))
    kamlite = [sys.executable, "-m", "kamlite"]
    say(f"kamlite -c -f {cfg}    (parse, resolve, compile; no process started)")
    r = subprocess.run(kamlite + ["-c", "-f", cfg])
    if r.returncode != 0:
        return r.returncode
    say(f"kamlite -f {cfg} -DD -E    (runs for {seconds:g} s, then SIGTERM)")
    proc = subprocess.Popen(kamlite + ["-f", cfg, "-DD", "-E"])
    try:
        time.sleep(seconds)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    say(f"kamlite exited with status {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
