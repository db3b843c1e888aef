"""The config-test harness: a kamailio.cfg run in-process, one message at a time.

    h = Harness("kamailio.cfg", defines={"WITH_MQ": True}, params={("mqueue", "db_url"): None})
    r = h.send(request("OPTIONS", "sip:alice@example.com"))
    r.replies[0].status, r.logs, r.forwarded, r.rc, r.routes, r.trace
    h.tick("drain")           h.queue("calls")         h.rpc("mqueue.get_sizes")

Nothing is bound and nothing is sent: the harness hands datagrams to the SIP core exactly
as a worker does (receive_msg: parsing, request_route or reply_route, stateless reply
forwarding) and collects what would have been sent.  Each Harness has its own Program, log
and shared memory, so harnesses never see each other (run suites with pytest-xdist).

Processes.  A real server runs the SIP workers, timer processes and the RPC process
separately; their $var values, their faked message and the mqueue item each fetched last
are their own.  The harness keeps one such image per process and switches between them:
messages run as the first SIP worker (rank 1), h.tick(name) as that timer's process, RPC
calls as an RPC process; $shv, queues and everything else in shared memory are shared.
Log lines carry the rank the real server would print.
"""
from __future__ import annotations

import collections
import os
import re
import shutil
import tempfile

from ..log import Log
from . import builder as B
from . import sipfile as SF

SCRIPT_PREFIX = "<script>: "
_LEVEL = re.compile(r"^\s*\d+\(\d+\) ([A-Z]*):")
_ERROR_LEVELS = {"ERROR", "CRITICAL", "BUG", "ALERT", ""}
_PLACEHOLDER_NAMES = ("local_ip", "local_port", "remote_ip", "remote_port", "transport")
MIN_UDP_PACKET = 32                      # shorter datagrams are ignored by the worker


# ---- what was sent ---------------------------------------------------------------------------
class Sent:
    """A datagram the config would have sent: a local reply ("reply"), a request sent on
    ("request") or a reply forwarded statelessly ("forwarded-reply"), with its destination."""

    __slots__ = ("kind", "text", "ip", "port", "_parsed")

    def __init__(self, kind: str, text: str, ip: str, port: int):
        self.kind = kind
        self.text = text
        self.ip = ip
        self.port = port
        self._parsed = None

    @property
    def destination(self) -> tuple:
        return (self.ip, self.port)

    def _parse(self):
        if self._parsed is None:
            head, _sep, body = self.text.partition("\r\n\r\n")
            lines = head.split("\r\n")
            self._parsed = (lines[0], B._unfold(lines[1:]), body)
        return self._parsed

    @property
    def first_line(self) -> str:
        return self._parse()[0]

    @property
    def is_reply(self) -> bool:
        return self.first_line.startswith("SIP/")

    @property
    def status(self) -> int | None:
        """The status code of a reply (None for a request)."""
        fl = self.first_line
        if not fl.startswith("SIP/"):
            return None
        try:
            return int(fl.split(" ", 2)[1])
        except (IndexError, ValueError):
            return None

    @property
    def reason(self) -> str | None:
        fl = self.first_line
        if not fl.startswith("SIP/"):
            return None
        parts = fl.split(" ", 2)
        return parts[2] if len(parts) > 2 else ""

    @property
    def method(self) -> str | None:
        """The method of a request; for a reply, the CSeq's method."""
        fl = self.first_line
        if not fl.startswith("SIP/"):
            return fl.split(" ", 1)[0]
        cseq = self.header("CSeq")
        return cseq.split()[-1] if cseq else None

    @property
    def uri(self) -> str | None:
        """The request URI (None for a reply)."""
        fl = self.first_line
        if fl.startswith("SIP/"):
            return None
        parts = fl.split(" ")
        return parts[1] if len(parts) > 1 else None

    @property
    def headers(self) -> list[tuple[str, str]]:
        """(name, value) pairs in order, names as written."""
        return list(self._parse()[1])

    def header_values(self, name: str) -> list[str]:
        """Every value of a header (compact and long names match, case does not matter)."""
        want = B._canonical(name)
        return [v for n, v in self._parse()[1] if B._canonical(n) == want]

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        values = self.header_values(name)
        return values[0] if values else None

    @property
    def body(self) -> str:
        return self._parse()[2]

    def __eq__(self, other):
        if isinstance(other, tuple):
            return (self.kind, self.text, self.ip, self.port) == other
        if isinstance(other, Sent):
            return (self.kind, self.text, self.ip, self.port) == (other.kind, other.text, other.ip, other.port)
        return NotImplemented

    def __hash__(self):
        return hash((self.kind, self.text, self.ip, self.port))

    def summary(self) -> str:
        return f"{self.kind} {self.first_line} -> {self.ip}:{self.port}"

    def __repr__(self):
        return f"<Sent {self.summary()}>"

    def __str__(self):
        return self.text


# ---- the result of one run -----------------------------------------------------------------------
class Result:
    """What one message (or timer tick, or route run) did."""

    def __init__(self, what: str, lines: list[str], sent: list[Sent], contexts: list,
                 message=None, dropped: bool = False, prefix: str = SCRIPT_PREFIX):
        self.what = what
        self.lines = lines                # every log line of the run, as printed
        self.sent = sent                  # everything sent, in order
        self.contexts = contexts          # the Context of each top-level route run
        self.message = message            # the received message (kamlite.sip.message.Message)
        self.dropped = dropped            # the worker ignored the datagram (too short, bad, port 0)
        self._prefix = prefix

    # ---- what was sent ----
    @property
    def replies(self) -> list[Sent]:
        """Replies the config sent back itself (sl_send_reply ...)."""
        return [s for s in self.sent if s.kind == "reply"]

    @property
    def reply(self) -> Sent | None:
        """The last local reply, or None."""
        r = self.replies
        return r[-1] if r else None

    @property
    def forwarded(self) -> list[Sent]:
        """What the config sent on: requests (forward()) and replies forwarded statelessly."""
        return [s for s in self.sent if s.kind != "reply"]

    # ---- the log ----
    @property
    def logs(self) -> list[str]:
        """The script's messages (xlog) of this run, in order, without the line prefix
        and the trailing newline."""
        p = self._prefix
        out = []
        for line in self.lines:
            i = line.find(p)
            if i >= 0:
                out.append(line[i + len(p):].rstrip("\n"))
        return out

    @property
    def errors(self) -> list[str]:
        """Log lines at level ERROR or more severe."""
        out = []
        for line in self.lines:
            m = _LEVEL.match(line)
            if m and m.group(1) in _ERROR_LEVELS:
                out.append(line.rstrip("\n"))
        return out

    # ---- the trace ----
    @property
    def trace(self) -> list:
        """The step trace (kamlite.script.trace.TraceEvent) of every route run, in order."""
        out = []
        for ctx in self.contexts:
            if ctx.trace is not None:
                out.extend(ctx.trace)
        return out

    @property
    def routes(self) -> list[str]:
        """The routes entered, in order, top route first ("request", "REQINIT", ...)."""
        return [e.route for e in self.trace if e.kind == "enter"]

    @property
    def rc(self):
        """$rc at the end of the (last) top-level run; None when no route ran."""
        return self.contexts[-1].rc if self.contexts else None

    @property
    def ran(self) -> bool:
        """True when a route ran for this message."""
        return bool(self.contexts)

    # ---- reading ----
    def explain(self, max_trace: int = 200) -> str:
        """A readable account: what was sent in, the trace, the log, what was sent out."""
        out = [f"== {self.what}"]
        if self.dropped:
            out.append("(the datagram was dropped before any route ran)")
        if self.contexts:
            out.append(f"rc={self.rc} routes={' > '.join(self.routes) or '(not traced)'}")
        trace = self.trace
        if trace:
            out.append("-- trace" + (f" (last {max_trace} of {len(trace)} steps)" if len(trace) > max_trace else ""))
            out.extend(f"  {e}" for e in trace[-max_trace:])
        out.append("-- log" + ("" if self.lines else ": nothing"))
        out.extend("  " + l.rstrip("\n") for l in self.lines)
        out.append("-- sent" + ("" if self.sent else ": nothing"))
        for s in self.sent:
            out.append("  " + s.summary())
        return "\n".join(out)

    def __repr__(self):
        return (f"<Result {self.what!r}: rc={self.rc} routes={self.routes} replies="
                f"{[s.status for s in self.replies]} forwarded={len(self.forwarded)} logs={len(self.logs)}>")


# ---- per-process images ----------------------------------------------------------------------------
class _Process:
    __slots__ = ("key", "rank", "vars", "faked", "fetched", "started")

    def __init__(self, key, rank: int, initial_vars: list):
        self.key = key
        self.rank = rank
        self.vars = list(initial_vars)
        self.faked = None
        self.fetched = {}
        self.started = False


def _defines(defines) -> dict:
    out = {}
    for name, value in (defines or {}).items():
        if value is False:
            continue
        out[name] = None if value is True or value is None else str(value)
    return out


class Harness:
    """A config loaded in-process, ready to be sent messages (see the module docstring).

    cfg       path of the config (or text=... for a config in a string)
    defines   {"WITH_X": True, "PORT": 5080} as with -A (False: not defined)
    params    {(module, param): value} overrides; value None drops the modparam (or the
              core global with ("core", name)) as if it were not in the config
    debug     the log level (overrides debug= of the config)
    source    (ip, port) messages come from, by default 127.0.0.1:5070
    shm_mb    shared memory size in MB (default 4; None keeps the config's or -m's 64)
    workdir   working directory (-w: relative sqlite:/// URLs, mqueue's recovery file);
              default a fresh temporary directory, removed by close()
    db_create create missing database tables (like --db-create), default True
    trace     compile with step-trace hooks (r.trace, r.routes), default True
    startup   run event_route[core:worker-one-init] as the first worker does (h.startup)
    history   how many Results h.results keeps (the newest; each holds its message and trace)
    """

    def __init__(self, cfg: str | os.PathLike | None = None, *, text: str | None = None,
                 defines: dict | None = None, params: dict | None = None, debug: int | None = None,
                 source: tuple = B.DEFAULT_SOURCE, shm_mb: int | None = 4, workdir: str | None = None,
                 db_create: bool = True, trace: bool = True, startup: bool = True, history: int = 1000):
        if cfg is None and text is None:
            raise ValueError("Harness needs a config path or text=")
        self.cfg = os.fspath(cfg) if cfg is not None else None
        self.text = text
        self.defines = _defines(defines)
        self.params = dict(params or {})
        if debug is not None:
            self.params[("core", "debug")] = debug
        if shm_mb is not None:
            self.params.setdefault(("core", "shm_mem_size"), shm_mb)
        self.source = (source[0], int(source[1]))
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="kamlite-harness-")
        self.db_create = db_create
        self.trace = trace
        self.run_startup = startup
        self.builder = B.Builder(prefix="h", source=self.source)     # h.request(): deterministic ids
        self.results = collections.deque(maxlen=max(history, 1))   # the newest Results (h.last)
        self.closed = False
        self._start()

    # ---- life cycle --------------------------------------------------------------------------------
    def _start(self) -> None:
        import kamlite
        from ..sip.receive import sip_core
        self.log = Log(debug=2)
        self.lines = self.log.capture()          # every log line since the (re)start, as printed
        try:
            self.program = kamlite.load(self.cfg, text=self.text, defines=self.defines, params=self.params,
                                        log=self.log, workdir=self.workdir, db_create=self.db_create,
                                        trace=self.trace)
        except BaseException:
            self._remove_workdir()
            raise
        p = self.program
        self.sip = sip_core(p)
        if self.sip.sent is None:                # a SipCore made elsewhere: capture anyway
            self.sip.sent = []
        udp = self.sip.sockets.udp
        children = max(int(p.core.get("children") or 1), 1)
        self._slow_timer_rank = 1 + children * len(udp)
        self._initial_vars = list(p.vars)
        self._procs: dict = {}
        self._current: _Process | None = None
        self._clock = 0.0
        self._due: dict = {}
        self._line_base = 0
        self._enter("main", 0)
        p.child_init(0)
        contexts = []
        if self.run_startup and "event:core:worker-one-init" in p.routes:
            self._enter("sip", 1)
            contexts.append(p.run("event:core:worker-one-init", p.faked_msg))
        self.startup = self._finish("startup", contexts)

    def close(self) -> Result | None:
        """Shut down as the main process does: the modules' destroy hooks (mqueue saves
        its dbmode 1/3 queues); then the temporary working directory goes."""
        if self.closed:
            return None
        self.closed = True
        try:
            self._enter("main", 0)
            self.program.destroy_modules()
            return self._finish("shutdown", [])
        finally:
            self._remove_workdir()

    def restart(self) -> Result:
        """Stop (destroy hooks: queues saved) and start again on the same working
        directory, as a server restart does; returns the new startup Result."""
        own = self._own_workdir
        self._own_workdir = False                # keep the directory across the restart
        try:
            if not self.closed:
                self.close()
        finally:
            self._own_workdir = own
        self.closed = False
        self._start()
        return self.startup

    def _remove_workdir(self) -> None:
        if self._own_workdir and self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if not self.closed and self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)
        except Exception:
            pass

    # ---- processes -------------------------------------------------------------------------------
    def _enter(self, key, rank: int) -> None:
        cur = self._current
        if cur is not None and cur.key == key:
            return
        p = self.program
        mq = p.modules.get("mqueue")
        if cur is not None:
            cur.vars = list(p.vars)
            cur.faked = p._faked_msg
            if mq is not None:
                cur.fetched = mq.state.fetched
        proc = self._procs.get(key)
        if proc is None:
            proc = self._procs[key] = _Process(key, rank, self._initial_vars)
        p.vars[:] = proc.vars
        p._faked_msg = proc.faked
        if mq is not None:
            mq.state.fetched = proc.fetched
        p.process_rank = rank
        self.log.set_process(rank)
        self._current = proc
        if not proc.started:
            proc.started = True
            if rank != 0:
                p.child_init(rank)

    def _take_lines(self) -> list[str]:
        lines = self.lines[self._line_base:]
        self._line_base = len(self.lines)
        return lines

    def _take_sent(self) -> list[Sent]:
        sent = self.sip.sent
        out = [Sent(*s) for s in sent]
        del sent[:]
        return out

    def _finish(self, what: str, contexts: list, message=None, dropped: bool = False) -> Result:
        r = Result(what, self._take_lines(), self._take_sent(), contexts, message, dropped,
                   self._script_prefix())
        self.results.append(r)
        return r

    def _script_prefix(self) -> str:
        xl = self.program.modules.get("xlog")
        return getattr(xl.state, "prefix", SCRIPT_PREFIX) if xl is not None else SCRIPT_PREFIX

    @property
    def last(self) -> Result | None:
        """The Result of the last operation."""
        return self.results[-1] if self.results else None

    # ---- SIP -------------------------------------------------------------------------------------------
    def socket(self, to: tuple | str | None = None):
        """The listening socket a message arrives on: the first UDP socket of the config's
        listen lines, or the one matching `to` ((ip, port), "ip:port" or "udp:ip:port")."""
        udp = self.sip.sockets.udp
        if not udp:
            raise RuntimeError("the config has no UDP listen socket")
        if to is None:
            return udp[0]
        if isinstance(to, str):
            text = to.split(":", 1)[1] if to.lower().startswith("udp:") else to
            host, _sep, port = text.rpartition(":")
            to = (host.strip("[]"), int(port))
        for si in udp:
            if si.address == to[0] and si.port == int(to[1]):
                return si
        raise LookupError(f"no listen socket {to[0]}:{to[1]} (sockets: "
                          f"{', '.join(si.full_name for si in udp)})")

    def request(self, method: str = "OPTIONS", uri: str = "sip:alice@example.com", **kw) -> str:
        """A request coming from this harness' source address (see builder.Builder.request)."""
        return self.builder.request(method, uri, **kw)

    def reply(self, req, code: int = 200, reason: str | None = None, **kw) -> str:
        """A reply to a request (see builder.Builder.reply)."""
        return self.builder.reply(req, code, reason, **kw)

    def placeholders(self, source: tuple | None = None, to=None) -> dict:
        src = source or self.source
        si = self.socket(to)
        return {"local_ip": src[0], "local_port": src[1], "remote_ip": si.address,
                "remote_port": si.port, "transport": "UDP"}

    def send(self, message, source: tuple | None = None, to=None) -> Result:
        """Receive one datagram as a SIP worker does.  `message`: text, bytes, a Sent (a
        captured message sent in again) or a .sip template; [local_ip] [local_port]
        [remote_ip] [remote_port] in text are filled in.  `source` is where it comes
        from ((ip, port), default the harness' source), `to` the socket it arrives on."""
        src = source or self.source
        src = (src[0], int(src[1]))
        si = self.socket(to)
        if isinstance(message, SF.SipTemplate):
            values = self.placeholders(src, to)
            values.update(call_id=self.builder.call_id(), tag=self.builder.tag(),
                          branch=self.builder.branch(), cseq=1)
            message = message.fill(values)
        if isinstance(message, Sent):
            message = message.text
        if not isinstance(message, (str, bytes)):
            buf = getattr(message, "buf", None)
            if buf is None:
                raise TypeError(f"cannot send a {type(message).__name__}")
            message = buf
        if isinstance(message, str):
            if "[" in message:
                values = self.placeholders(src, to)
                message = SF.PLACEHOLDER.sub(
                    lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), message)
            data = message.encode("utf-8")
        else:
            data = message
        what = data[:data.find(b"\r\n")].decode("latin-1") if b"\r\n" in data else data[:60].decode("latin-1")
        what = f"{what} (from {src[0]}:{src[1]})"
        self._enter("sip", 1)
        if len(data) < MIN_UDP_PACKET:
            return self._finish(what, [], dropped=True)
        if src[1] == 0:
            self.log.core(2, "core/udp_server.c:522]: udp_rcv_loop()", f"dropping 0 port packet from {src[0]}")
            return self._finish(what, [], dropped=True)
        core = self.sip
        core.last_context = None
        msg = core.receive(data, src, si)
        ctx = core.last_context
        return self._finish(what, [ctx] if ctx is not None else [], msg, dropped=msg is None)

    def send_all(self, messages, source: tuple | None = None, to=None) -> list[Result]:
        return [self.send(m, source, to) for m in messages]

    def send_file(self, path, source: tuple | None = None, to=None, **values) -> list[Result]:
        """Send the messages of a .sip file in order (one call: [call_id] and [tag] are the
        same for all of them, [branch] new for each); extra placeholders as keywords."""
        templates = SF.read_sip(path)
        return self.send_templates(templates, source, to, **values)

    def send_templates(self, templates, source: tuple | None = None, to=None, **values) -> list[Result]:
        src = source or self.source
        base = self.placeholders(src, to)
        base.update(call_id=self.builder.call_id(), tag=self.builder.tag())
        base.update(values)
        out = []
        for n, t in enumerate(templates, 1):
            v = dict(base)
            if "branch" not in values:
                v["branch"] = self.builder.branch()
            v.setdefault("cseq", n)
            out.append(self.send(t.fill(v), src, to))
        return out

    # ---- timers --------------------------------------------------------------------------------------
    def _rtimer(self):
        lm = self.program.modules.get("rtimer")
        if lm is None:
            raise LookupError("the config does not load rtimer.so: it has no timers")
        return lm.state

    def timers(self) -> list[str]:
        """The rtimer timers' names, in definition order."""
        return [t.name for t in reversed(self._rtimer().timers)] if "rtimer" in self.program.modules else []

    def _timer_rank(self, state, timer, worker: int) -> int:
        if timer.mode == 0:
            return self._slow_timer_rank
        rank = self._slow_timer_rank + 3
        for name in self.program.module_order:
            if name == "rtimer":
                break
            if name == "ctl":
                rank += 1
        for t in state.timers:                    # rtimer forks in its list order
            if t is timer:
                return rank + worker
            rank += t.mode
        return rank

    def tick(self, name: str, worker: int = 0) -> Result:
        """One interval of the rtimer timer `name`: each of its exec routes runs once, in
        rtimer's order, with the timer process' faked message (which keeps its changes
        from tick to tick) and $rtimer_worker = worker."""
        state = self._rtimer()
        timer = state.find(name)
        if timer is None:
            raise LookupError(f"no rtimer timer {name!r} (timers: {', '.join(self.timers()) or 'none'})")
        p = self.program
        self._enter(("rtimer", timer.name, worker), self._timer_rank(state, timer, worker))
        state.worker = worker
        msg = p.faked_msg
        contexts = []
        for route in timer.routes:
            key = f"route:{route}"
            if key in p.routes:
                contexts.append(p.run(key, msg))
        return self._finish(f"tick {timer.name}" + (f" worker={worker}" if worker else ""), contexts)

    def tick_all(self) -> list[Result]:
        """Every timer once, in definition order (each of a timer's processes, mode > 1)."""
        state = self._rtimer()
        out = []
        for t in reversed(state.timers):
            for w in range(max(t.mode, 1)):
                out.append(self.tick(t.name, w))
        return out

    def advance(self, seconds: float) -> list[Result]:
        """Let `seconds` of timer time pass: every timer runs as often as its interval fits
        (each process of a mode > 1 timer), in time order; returns the tick Results."""
        state = self._rtimer()
        end = self._clock + seconds
        order = list(reversed(state.timers))
        events = []
        for i, t in enumerate(order):
            step = t.seconds
            if step <= 0:
                continue
            due = self._due.get(t.name, step)
            while due <= end + 1e-9:
                events.append((due, i, t))
                due += step
            self._due[t.name] = due
        events.sort(key=lambda e: (e[0], e[1]))
        out = []
        for _due, _i, t in events:
            for w in range(max(t.mode, 1)):
                out.append(self.tick(t.name, w))
        self._clock = end
        return out

    # ---- routes, RPC, state ------------------------------------------------------------------------
    def run_route(self, name: str, msg=None) -> Result:
        """Run route[name] (or "event:core:worker-one-init", "request" ...) once as a
        top-level route in the SIP worker, on `msg` (text, or the worker's faked message)."""
        p = self.program
        key = name if ":" in name or name == "request" else f"route:{name}"
        if key not in p.routes:
            raise LookupError(f"no route {key} (routes: {', '.join(sorted(p.routes))})")
        self._enter("sip", 1)
        if msg is None:
            m = p.faked_msg
        elif isinstance(msg, (str, bytes)):
            from ..sip.message import ParseLog, parse
            from ..sip.transport import ReceiveInfo
            text = msg.decode("latin-1") if isinstance(msg, bytes) else msg
            m = parse(text, ParseLog(self.log), ReceiveInfo(self.source[0], self.source[1], self.socket()))
            if m is None:
                raise ValueError("the message cannot be parsed")
        else:
            m = msg
        ctx = p.run(key, m)
        return self._finish(f"route {name}", [ctx], m)

    def rpc(self, method: str, *params):
        """Call an RPC command as the RPC process would; returns its reply (dict, list,
        str, int) or raises kamlite.rpc.RpcFault."""
        self._enter("rpc", 0)
        try:
            return self.program.rpc(method, *params)
        finally:
            self._finish(f"rpc {method}", [])

    def queue(self, name: str) -> list[tuple[str, str]]:
        """The items of an mqueue, oldest first (nothing is taken out)."""
        lm = self.program.modules.get("mqueue")
        if lm is None:
            raise LookupError("the config does not load mqueue.so")
        q = lm.state.queues.get(name)
        if q is None:
            raise LookupError(f"no mqueue {name!r} (queues: {', '.join(lm.state.queues) or 'none'})")
        return q.items()

    def queues(self) -> dict[str, list[tuple[str, str]]]:
        """Every mqueue's items, by name."""
        lm = self.program.modules.get("mqueue")
        if lm is None:
            return {}
        return {name: q.items() for name, q in lm.state.queues.items()}

    def shv(self, name: str):
        """The value of $shv(name) (int or str; 0 when never set)."""
        lm = self.program.modules.get("pv")
        if lm is None:
            raise LookupError("the config does not load pv.so")
        store = lm.state.shv
        if name not in store.slots:
            raise LookupError(f"$shv({name}) is not used by the config")
        return store.get(store.slot(name))

    def var(self, name: str, process: str = "sip"):
        """The value of $var(name) in a process: "sip" (the worker), "main", or
        ("rtimer", timer name, worker)."""
        p = self.program
        slot = p.var_slots.get(name)
        if slot is None:
            raise LookupError(f"$var({name}) is not used by the config")
        cur = self._current
        if cur is not None and cur.key == process:
            return p.vars[slot]
        proc = self._procs.get(process)
        return (proc.vars if proc is not None else self._initial_vars)[slot]

    def __repr__(self):
        return f"<Harness {self.cfg or '<text>'}>"
