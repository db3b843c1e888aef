"""scripts/demo's flow (kamlite.demo): a real SIP server queues requests, a timer process
works through them, SQLite keeps what is left across a restart."""
import re
import subprocess
import sys


def test_demo_runs_the_whole_flow():
    r = subprocess.run([sys.executable, "-m", "kamlite.demo"], capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert out.count("-> SIP/2.0 200 Queued") == 6
    queued = re.findall(r"<script>: queued (\w+) from (\w+)", out)
    assert [u for _m, u in queued] == ["alice", "bob", "carol", "dave", "erin", "frank"]
    taken = re.findall(r"<script>: worker took demo-\d+-\w+: \w+ from (\w+)", out)
    saved = re.search(r"(\d+) rows in table 'calls':", out)
    assert saved and int(saved.group(1)) > 0
    # every request is worked on exactly once, in order, across the restart
    assert taken == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert "0 rows left in table 'calls'" in out
