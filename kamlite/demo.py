"""The demo behind scripts/demo: check and run the example configs, then stop them cleanly.

hello.cfg shows the script language running in a real worker process; queue.cfg shows
the mqueue flow: a worker fills a queue in shared memory, a timer process drains it.
SIP traffic comes with a later version.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")


def say(text: str) -> None:
    print(f"\n=== {text}", flush=True)


def main() -> int:
    configs = sys.argv[1:] or [os.path.join(EXAMPLES, n) for n in ("hello.cfg", "queue.cfg")]
    for cfg in configs:
        code = run(cfg)
        if code:
            return code
    return 0


def run(cfg: str) -> int:
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
