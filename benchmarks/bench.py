#!/usr/bin/env python3
"""kamlite benchmarks, side by side with real Kamailio where it is installed.

Prints figures and ratios (kamlite / Kamailio); asserts nothing.  Run: scripts/bench
"""
from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import kamlite  # noqa: E402
from kamlite.errors import ConfigError  # noqa: E402
from kamlite.log import Log  # noqa: E402
from tests.oracle import kamailio_run as K  # noqa: E402

STOCK = "/etc/kamailio/kamailio.cfg"
KAMAILIO = K.KAMAILIO


def best_of(fn, n=7):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def header(text):
    print(f"\n## {text}")


# ---- 1. parse + resolve -------------------------------------------------------------------------
def bench_load():
    header("parse + resolve + compile, in-process (best of 7)")
    if not os.path.exists(STOCK):
        print(f"  {STOCK} not found (Debian package kamailio): skipped")
        return
    defines = sorted(set(re.findall(r"WITH_[A-Z0-9_]+", open(STOCK).read())))
    from kamlite.cfg.parser import parse_file, get_parser
    get_parser()
    for label, d in (("stock kamailio.cfg, no define", {}),
                     ("stock kamailio.cfg, every WITH_* define", {n: None for n in defines})):
        def parse():
            parse_file(STOCK, d)

        def load():
            try:
                kamlite.load(STOCK, defines=d, log=_quiet_log(), init=False)
            except ConfigError:
                pass          # kamlite lacks many of its modules: the errors are collected anyway
        p, _ = best_of(parse)
        l, _ = best_of(load)
        print(f"  {label}: parse {p * 1000:.1f} ms, parse+resolve+compile {l * 1000:.1f} ms")


def _quiet_log():
    log = Log(debug=-10)
    log.capture()
    return log


# ---- 2. whole process -c -------------------------------------------------------------------------
def bench_check_process():
    header("whole process 'kamlite -c' vs 'kamailio -c' (wall, best of 5)")
    hello = os.path.join(ROOT, "examples", "hello.cfg")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)      # an installed kamlite has its .pyc files
    for cfg in (hello, STOCK):
        if not os.path.exists(cfg):
            continue
        cmd = [sys.executable, "-m", "kamlite", "-c", "-f", cfg]
        subprocess.run(cmd, capture_output=True, env=env)
        k, _ = best_of(lambda: subprocess.run(cmd, capture_output=True, env=env), 5)
        line = f"  {os.path.basename(cfg)}: kamlite -c {k * 1000:.0f} ms"
        if KAMAILIO and cfg == hello:
            kc = _kamailio_cfg(open(cfg).read())
            r, _ = best_of(lambda: subprocess.run([KAMAILIO, "-c", "-f", kc], capture_output=True), 5)
            line += f", kamailio -c {r * 1000:.0f} ms, ratio {k / r:.2f}"
        print(line)


def _kamailio_cfg(text):
    """The same config, made loadable by the real Kamailio (module path, free port)."""
    text = text.replace('loadmodule "pv.so"', f'loadpath "{K.MODULE_DIR}"\nloadmodule "pv.so"', 1)
    text = re.sub(r"listen=udp:127.0.0.1:\d+", f"listen=udp:127.0.0.1:{K.free_udp_port()}\ndisable_tcp=yes", text)
    fd, path = tempfile.mkstemp(suffix=".cfg")
    os.write(fd, text.encode())
    os.close(fd)
    return path


# ---- 3. the while loop -----------------------------------------------------------------------------
LOOP_EXTRA = "".join(f" $var(x{i}) = $var(i) + {i};" for i in range(10))


def loop_body(n: int, extra: str = "") -> str:
    return (f'$var(i) = 0;\nxlog("L_INFO", "T0 $TV(Sn)\\n");\n'
            f'while ($var(i) < {n}) {{ $var(i) = $var(i) + 1;{extra} }}\n'
            f'xlog("L_INFO", "T1 $TV(Sn)\\n");\n')


def _elapsed(lines):
    t = {}
    for l in lines:
        m = re.search(r"(T[01]) (\d+\.\d+)", l)
        if m:
            t[m.group(1)] = float(m.group(2))
    return t["T1"] - t["T0"]


def kamlite_loop(n, extra=""):
    cfg = K.build_cfg(loop_body(n, extra), top="max_while_loops=0")
    log = Log(debug=2)
    cap = log.capture()
    program = kamlite.load(text=cfg, path="bench.cfg", log=log)
    del cap[:]
    program.run_worker_one_init()
    return _elapsed("".join(cap).splitlines())


def kamailio_loop(n, extra=""):
    res = K.run_body(loop_body(n, extra), top="max_while_loops=0", timeout=120)
    return _elapsed(res["lines"])


def bench_loop():
    n = int(os.environ.get("KAMLITE_BENCH_N", "1000000"))
    header(f"while ($var(i) < N) {{ $var(i) = $var(i) + 1; }}, N = {n} (best of 3)")
    rows = [("loop", ""), ("loop + 10 $var statements", LOOP_EXTRA)]
    for label, extra in rows:
        k = min(kamlite_loop(n, extra) for _ in range(3))
        line = f"  {label}: kamlite {k / n * 1e9:.0f} ns/iteration"
        if KAMAILIO:
            r = min(kamailio_loop(n, extra) for _ in range(3))
            line += f", kamailio {r / n * 1e9:.0f} ns/iteration, ratio {k / r:.2f}"
        else:
            line += " (kamailio not installed: no comparison)"
        print(line)


# ---- 4. mqueue persistence ------------------------------------------------------------------------
def bench_mqueue_db():
    n = int(os.environ.get("KAMLITE_BENCH_ITEMS", "100000"))
    header(f"mqueue save and load of {n} items (dbmode=1)")
    targets = [("SQLite", None)]
    try:
        from tests import dbservers
        targets.append(("PostgreSQL", dbservers.start_postgres))
    except Exception:
        pass
    for label, start in targets:
        server = None
        tmp = tempfile.mkdtemp(prefix="kamlite-bench")
        try:
            if start is None:
                url, driver = "sqlite:///bench.db", "db_sqlite"
            else:
                try:
                    server = start()
                except BaseException as e:        # not installed: pytest's skip/fail
                    print(f"  {label}: not available ({e})")
                    continue
                url, driver = server.url, "db_postgres"
            text = (f'loadmodule "{driver}"\nloadmodule "mqueue"\n'
                    f'modparam("mqueue", "db_url", "{url}")\n'
                    f'modparam("mqueue", "mqueue", "name=bench;dbmode=1")\n')
            program = kamlite.load(text=text, log=_quiet_log(), workdir=tmp, db_create=True)
            queue = program.modules["mqueue"].state.queues["bench"]
            for i in range(n):
                queue.add(f"key-{i}", f"value number {i} of the benchmark")
            t = time.perf_counter()
            program.destroy_modules()
            save = time.perf_counter() - t
            t = time.perf_counter()
            program = kamlite.load(text=text, log=_quiet_log(), workdir=tmp)
            load = time.perf_counter() - t
            assert program.modules["mqueue"].state.queues["bench"].size == n
            print(f"  {label}: save {save:.2f} s ({n / save:,.0f} rows/s), "
                  f"load {load:.2f} s ({n / load:,.0f} rows/s)")
        finally:
            if server is not None:
                server.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    print(f"kamlite {kamlite.__version__} on Python {sys.version.split()[0]}; "
          f"kamailio: {KAMAILIO or 'not installed'}")
    bench_load()
    bench_check_process()
    bench_loop()
    bench_mqueue_db()


if __name__ == "__main__":
    main()
