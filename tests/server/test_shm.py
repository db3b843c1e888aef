"""The shared memory pool: allocation, coalescing, exhaustion, sharing across fork."""
import os
import random

import pytest

from kamlite.server.shm import SharedMemory, ShmFull


def test_alloc_free_and_coalesce_back_to_one_block():
    shm = SharedMemory(1 << 20)
    start = shm.stats()
    ptrs = [shm.alloc(n) for n in (10, 100, 1000, 5000, 24, 7)]
    assert len(set(ptrs)) == len(ptrs)
    for p in ptrs[::2] + ptrs[1::2]:
        shm.free(p)
    end = shm.stats()
    assert end["used"] == 0 and end["fragments"] == 1 and end["free"] == start["free"]


def test_blocks_do_not_overlap_under_random_use():
    shm = SharedMemory(1 << 20)
    live = {}
    rnd = random.Random(7)
    for step in range(3000):
        if live and rnd.random() < 0.45:
            p = rnd.choice(list(live))
            assert shm.read(p, len(live[p])) == live.pop(p)
            shm.free(p)
        else:
            data = bytes([step % 251]) * rnd.randint(1, 700)
            try:
                p = shm.alloc(len(data))
            except ShmFull:
                continue
            shm.write(p, data)
            live[p] = data
    for p, data in live.items():
        assert shm.read(p, len(data)) == data


def test_full_pool_raises_and_recovers():
    shm = SharedMemory(64 * 1024)
    ptrs = []
    with pytest.raises(ShmFull):
        while True:
            ptrs.append(shm.alloc(1000))
    shm.free(ptrs.pop())
    assert shm.alloc(1000)


def test_children_see_the_same_memory():
    shm = SharedMemory(1 << 20)
    p = shm.alloc(16)
    shm.write(p, b"parent")
    pid = os.fork()
    if pid == 0:
        ok = shm.read(p, 6) == b"parent"
        shm.write(p, b"child!")
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert shm.read(p, 6) == b"child!"
