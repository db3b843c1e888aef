"""mqueue: queue semantics, the shared pool running out, many processes at once, RPC."""
import os

import pytest

import kamlite
from kamlite.log import Log
from kamlite.rpc import RpcFault

CFG = """debug=2
loadmodule "pv"
loadmodule "xlog"
loadmodule "mqueue"
modparam("mqueue", "mqueue", "name=q1;size=3")
modparam("mqueue", "mqueue", "name=big")
modparam("mqueue", "mqueue", "name=k1;addmode=1")
modparam("mqueue", "mqueue", "name=k2;addmode=2")
route[ADD] { mq_add("$var(q)", "$var(k)", "$var(v)"); }
route[FETCH] { mq_fetch("$var(q)"); xlog("L_INFO", "fetched $mqk(big)=$mqv(big)\\n"); }
"""


def load(extra="", **kw):
    log = Log(debug=2)
    lines = log.capture()
    return kamlite.load(text=CFG + extra, log=log, **kw), lines


def queue(program, name):
    return program.modules["mqueue"].state.queues[name]


def test_overflow_drops_the_oldest():
    p, _ = load()
    q = queue(p, "q1")
    for i in range(5):
        q.add(f"k{i}", f"v{i}")
    assert q.items() == [("k2", "v2"), ("k3", "v3"), ("k4", "v4")]


def test_addmodes():
    p, _ = load()
    for k, v in (("a", "1"), ("b", "2"), ("a", "3")):
        queue(p, "k1").add(k, v)
        queue(p, "k2").add(k, v)
    assert queue(p, "k1").items() == [("a", "1"), ("b", "2")]
    assert queue(p, "k2").items() == [("b", "2"), ("a", "3")]


def test_full_pool_makes_mq_add_fail_and_nothing_else():
    p, lines = load(params={("core", "shm_mem_size"): 1})
    q = queue(p, "big")
    big = "x" * 4000
    added = 0
    while q.add(str(added), big):
        added += 1
    assert added > 100
    del lines[:]
    p.vars[p.var_slots["q"]] = "big"
    p.vars[p.var_slots["k"]] = "k"
    p.vars[p.var_slots["v"]] = big
    ctx = p.run_route("ADD")
    assert ctx.rc == -1
    assert "".join(lines).endswith("ERROR: mqueue [mqueue_api.c:348]: mq_item_add(): no more shm to add to: big\n")
    assert q.fetch() == ("0", big)               # the queue still works
    assert q.add("a", big)                        # its space is reused


def test_no_item_lost_or_duplicated_with_four_processes():
    p, _ = load()
    q = queue(p, "big")
    per_producer = 500
    pids = []
    for n in range(2):                          # two producers
        pid = os.fork()
        if pid == 0:
            for i in range(per_producer):
                q.add(f"p{n}-{i}", str(i))
            os._exit(0)
        pids.append(pid)
    out_fds = []
    for n in range(2):                          # two consumers, each reports what it got
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            got = []
            idle = 0
            while idle < 2000:
                item = q.fetch()
                if item is None:
                    idle += 1
                    continue
                idle = 0
                got.append(item[0])
            os.write(w, ("\n".join(got)).encode())
            os._exit(0)
        os.close(w)
        out_fds.append(r)
        pids.append(pid)
    got = []
    for fd in out_fds:
        data = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            data += chunk
        got += [x for x in data.decode().split("\n") if x]
    for pid in pids:
        os.waitpid(pid, 0)
    got += [k for k, _ in q.items()]
    expected = [f"p{n}-{i}" for n in range(2) for i in range(per_producer)]
    assert sorted(got) == sorted(expected)          # nothing lost, nothing twice
    assert q.size == len(q.items())


def test_rpc_commands():
    p, _ = load()
    queue(p, "q1").add("k", "v")
    assert p.rpc("mqueue.get_size", "q1") == {"name": "q1", "size": 1}
    assert p.rpc("mqueue.get_sizes") == [{"name": n, "size": s} for n, s in
                                         (("k2", 0), ("k1", 0), ("big", 0), ("q1", 1))]
    assert p.rpc("mqueue.fetch", "q1") == {"key": "k", "val": "v"}
    for method, params, code, msg in [
            ("mqueue.get_size", (), 400, "No queue name"),
            ("mqueue.get_size", (5,), 400, "No queue name"),
            ("mqueue.get_size", ("",), 400, "Invalid queue name"),
            ("mqueue.get_size", ("nope",), 404, "No such queue"),
            ("mqueue.fetch", (), 500, "No queue name"),
            ("mqueue.fetch", ("nope",), 500, "No such queue"),
            ("mqueue.fetch", ("q1",), 404, "Empty queue")]:
        with pytest.raises(RpcFault) as e:
            p.rpc(method, *params)
        assert (e.value.code, e.value.message) == (code, msg)


def test_rpc_fetch_of_an_item_with_an_empty_value_consumes_it():
    p, _ = load()
    queue(p, "q1").add("k", "")
    with pytest.raises(RpcFault) as e:
        p.rpc("mqueue.fetch", "q1")
    assert e.value.code == 500 and queue(p, "q1").size == 0
