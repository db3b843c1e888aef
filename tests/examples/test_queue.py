"""examples/queue.cfg (lesson 4): the first worker fills an mqueue at startup, a timer
process drains it."""
import os

from kamlite.testing import Harness, assert_queue

from .conftest import example

PID = os.getpid()


def test_startup_fills_the_queue():
    with Harness(example("queue.cfg")) as h:
        assert h.startup.logs == ["queued 5 jobs"]
        assert_queue(h, "jobs", [(f"job-{i}", f"payload {i} from process {PID}") for i in range(1, 6)])
        assert h.rpc("mqueue.get_size", "jobs") == {"name": "jobs", "size": 5}


def test_one_timer_interval_drains_it():
    with Harness(example("queue.cfg")) as h:
        t = h.tick("drain")
        assert t.logs == [f"took job-{i}: payload {i} from process {PID}" for i in range(1, 6)]
        # the timer has its own process: rank 6 = main, 2 workers, 3 core timers, then rtimer's
        assert all(line.startswith(" 6(") for line in t.lines)
        assert t.rc == -2                     # the last mq_fetch found the queue empty
        assert h.queue("jobs") == []
        assert h.tick("drain").logs == []


def test_time_passes():
    with Harness(example("queue.cfg")) as h:
        assert h.advance(0.1) == []           # the interval is 200 ms
        runs = h.advance(0.5)                 # t = 0.2 and 0.4 and 0.6
        assert len(runs) == 3 and len(runs[0].logs) == 5 and runs[1].logs == []


def test_the_size_limit_drops_the_oldest():
    with Harness(example("queue.cfg")) as h:
        for _ in range(20):                   # 5 at startup + 100 more
            h.run_route("event:core:worker-one-init")
        items = h.queue("jobs")
        assert len(items) == 100 and h.last.logs == ["queued 100 jobs"]


def test_config_checks(check_configs):
    check_configs("queue.cfg")
