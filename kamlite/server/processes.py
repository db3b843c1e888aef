"""Kamailio's process model: a main (attendant) process that loads the config, runs
mod_init, forks the workers and supervises them.

Process table (index = rank printed in log lines), as Kamailio 5.6 builds it:
  0            main process - attendant
  1..          udp receiver child=i sock=ip:port   (children per listen socket)
  then         slow timer, timer, secondary timer
  then         module processes, in module load order (rtimer, ctl ...)

Shutdown: SIGTERM/SIGINT to main -> 'Thank you for flying kamailio!!!', SIGTERM to every
child, wait for them, module destroy hooks (reverse load order), exit 0.  A child that
dies on its own -> the same shutdown, logged as Kamailio logs it.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import time

from ..log import L_ALERT, L_ERR, L_INFO, L_NOTICE, L_WARN
from ..sip.receive import SipCore
from ..sip.transport import Sockets
from .shm import defer_exit


@dataclasses.dataclass
class ProcessEntry:
    rank: int
    description: str
    run: object = None              # callable(server, entry) executed in the child
    pid: int = 0
    socket: object = None           # the SIP socket a receiver serves


class ProcessTable:
    """The process table (index, pid, description) in shared memory, for core.ps and
    core.psx in the RPC processes.  Main writes it before the first fork and writes each
    child's pid as it forks it; a child forked early (the ctl handler) so sees the pids
    of the processes forked after it.  Layout: one 32-bit pid word per process; the
    descriptions never change, so they stay in this Python object (copied by fork)."""

    def __init__(self, shm, table: list[ProcessEntry]):
        self.shm = shm
        self.descriptions = [e.description for e in table]
        self.started = time.time()                  # core.uptime's up_since
        self.ptr = shm.alloc_words(len(table))
        self.set_pid(0, os.getpid())

    def set_pid(self, index: int, pid: int) -> None:
        self.shm.w[(self.ptr >> 2) + index] = pid   # one aligned word: no lock needed

    def rows(self) -> list[tuple[int, int, str]]:
        w, base = self.shm.w, self.ptr >> 2
        return [(i, w[base + i], d) for i, d in enumerate(self.descriptions)]


class Server:
    def __init__(self, program, foreground: bool = True, pidfile: str | None = None,
                 workdir: str | None = None):
        self.program = program
        self.log = program.log
        self.foreground = foreground
        self.pidfile = pidfile
        self.workdir = workdir
        self.table: list[ProcessEntry] = []
        self.children: dict[int, ProcessEntry] = {}
        self.is_main = True
        self.process_table: ProcessTable | None = None

    # ---- the process table ------------------------------------------------------------------
    def build_table(self) -> None:
        p = self.program
        self.table = [ProcessEntry(0, "main process - attendant")]
        children = max(int(p.core.get("children") or 1), 1)
        for si in p.sip.sockets.udp:
            for i in range(children):
                self.table.append(ProcessEntry(len(self.table), f"udp receiver child={i} sock={si.description}",
                                               self._worker, socket=si))
        self.table.append(ProcessEntry(len(self.table), "slow timer", self._slow_timer))
        for name in ("timer", "secondary timer"):
            self.table.append(ProcessEntry(len(self.table), name, self._idle))
        for entry in p.extra_processes():
            entry.rank = len(self.table)
            self.table.append(entry)

    # ---- main -----------------------------------------------------------------------------------
    def run(self) -> int:
        if not self.foreground:
            self._daemonize()
        # Signals wait from here on (an early SIGTERM must not leave the pid file behind);
        # the supervisor takes them one at a time with sigwait once the children are forked.
        signal.pthread_sigmask(signal.SIG_BLOCK, SUPERVISED)
        if self.pidfile:
            with open(self.pidfile, "w") as fh:
                fh.write(f"{os.getpid()}\n")
        if self.workdir:
            os.chdir(self.workdir)
        p = self.program
        self.log.set_process(0)
        p.sip = SipCore(p, Sockets.from_program(p))
        for si in p.sip.sockets.listen:
            if si.proto != "udp":
                self.log.core(L_WARN, "kamlite]: main()", f"{si.full_name} is not served: kamlite serves SIP over UDP only")
        self.build_table()
        self.log.core(L_INFO, "main.c:3055]: main()",
                      f"processes (at least): {len(self.table)} - shm size: "
                      f"{int(p.core.get('shm_mem_size') or 64) * 1024 * 1024} - pkg size: 8388608")
        p.init_modules()
        if not p.sip.sockets.bind(self.log):    # bound before the fork: the workers share them
            self._remove_pidfile()
            return 255
        if p.needs_shm:
            p.shm                   # the pool must exist before the fork
            p.process_table = self.process_table = ProcessTable(p.shm, self.table)
        signal.signal(signal.SIGCHLD, _noop)        # SIGCHLD is ignored by default: make it queue
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        p.child_init(0)
        for entry in self.table[1:]:
            self._fork(entry)
        return self._supervise()

    def _fork(self, entry: ProcessEntry) -> None:
        pid = os.fork()
        if pid:
            entry.pid = pid
            self.children[pid] = entry
            if self.process_table is not None:
                self.process_table.set_pid(entry.rank, pid)
            return
        # child
        self.is_main = False
        code = 0
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, self._child_term)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SUPERVISED)
            self.log.set_process(entry.rank)
            self.program.process_rank = entry.rank
            self.program.child_init(entry.rank)
            code = entry.run(self, entry) or 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0
        except BaseException as e:   # a crash in a child is logged, then the server stops
            self.log.core(L_ERR, "main.c:0]: child()", f"process {entry.rank} failed: {e!r}")
            code = 1
        finally:
            os._exit(code)

    def _child_term(self, signum, frame):
        def leave():
            self.log.core(L_INFO, "main.c:854]: sig_usr()", f"signal {signum} received")
            os._exit(0)
        defer_exit(leave)          # not while holding a shared lock

    def _supervise(self) -> int:
        exit_code = 0
        while True:
            sig = signal.sigwait(SUPERVISED)
            if sig in (signal.SIGTERM, signal.SIGINT):
                self.log.core(L_NOTICE, "main.c:733]: handle_sigs()", "Thank you for flying kamailio!!!")
                break
            if sig == signal.SIGCHLD:
                exit_code = self._reap_unexpected()
                if exit_code is not None:
                    self.log.core(L_INFO, "main.c:799]: handle_sigs()", "terminating due to SIGCHLD")
                    break
                exit_code = 0
            # SIGHUP: ignored, as in Kamailio
        self._shutdown()
        return exit_code

    def _reap_unexpected(self):
        """Log the children that exited; None if there were none (a spurious SIGCHLD)."""
        code = None
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            self.children.pop(pid, None)
            if os.WIFSIGNALED(status):
                code = 1
                self.log.core(L_ALERT, "main.c:770]: handle_sigs()",
                              f"child process {pid} exited by a signal {os.WTERMSIG(status)}")
            else:
                code = code or 0
                self.log.core(L_ALERT, "main.c:770]: handle_sigs()",
                              f"child process {pid} exited normally, status={os.WEXITSTATUS(status)}")
        return code

    def _shutdown(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.children.pop(pid, None)
        deadline = time.monotonic() + float(self.program.core.get("exit_timeout") or 60)
        while self.children and time.monotonic() < deadline:
            try:
                pid, _status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            self.children.pop(pid, None)
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        self.program.destroy_modules()
        self._remove_pidfile()

    def _remove_pidfile(self) -> None:
        if self.pidfile:
            try:
                os.unlink(self.pidfile)
            except OSError:
                pass

    def _daemonize(self) -> None:
        if os.fork():
            os._exit(0)
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1):
            os.dup2(devnull, fd)
        if not self.log.to_stderr:
            os.dup2(devnull, 2)

    # ---- what the children do -----------------------------------------------------------------
    def _worker(self, server, entry: ProcessEntry) -> int:
        if entry.rank == 1:
            if not self.program.run_worker_one_init():
                return -1 & 0xFF
        self.program.sip.serve(entry.socket)
        return 0

    def _slow_timer(self, server, entry: ProcessEntry) -> int:
        """Runs the jobs modules registered for the core slow timer (rtimer mode 0)."""
        jobs = list(self.program.slow_timer_jobs)
        if not jobs:
            return self._idle(server, entry)
        start = time.monotonic()
        due = [start + interval for interval, _fn in jobs]
        while True:
            now = time.monotonic()
            wait = min(due) - now
            if wait > 0:
                time.sleep(wait)
                continue
            for i, (interval, fn) in enumerate(jobs):
                if due[i] <= now:
                    fn()
                    due[i] += interval
                    if due[i] < now:           # fell behind: skip, do not run in a burst
                        due[i] = now + interval

    def _idle(self, server, entry: ProcessEntry) -> int:
        while True:
            signal.pause()


SUPERVISED = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGHUP}


def _noop(signum, frame):
    pass
