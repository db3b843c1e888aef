"""rtimer: run routes periodically, in timer processes (Kamailio's rtimer module).

    modparam("rtimer", "timer", "name=drain;interval=100u;mode=1;")   # 'u': microseconds
    modparam("rtimer", "exec", "timer=drain;route=DRAIN")

mode 0 runs the timer in the core "slow timer" process (seconds only); mode N forks N
processes "RTIMER EXEC child=i timer=name", each running every route of the timer every
interval.  Several exec lines on one timer run in reverse order, as in Kamailio.  A timer
route sees a faked OPTIONS request that persists (with $ru, flags ...) in its process;
AVPs and XAVPs are reset after each run.
"""
from __future__ import annotations

import time

from ..log import L_ERR, L_INFO
from ..server.processes import ProcessEntry
from ..sip.params import ParamError, parse_params
from . import Module, Param, PseudoVar

RTIMER_ROUTE_NAME_SIZE = 64


class Timer:
    def __init__(self, name: str, interval: int, usec: bool, mode: int):
        self.name = name
        self.interval = interval
        self.usec = usec
        self.mode = mode
        self.routes: list[str] = []          # route names, most recent exec first

    @property
    def seconds(self) -> float:
        return self.interval / 1000000 if self.usec else float(self.interval)


class State:
    def __init__(self, program):
        self.program = program
        self.log = program.log
        self.default_interval = 120
        self.timers: list[Timer] = []         # most recent definition first
        self.worker = 0                       # $rtimer_worker in this process

    def _params(self, value: str) -> list:
        text = value[:-1] if value.endswith(";") else value
        try:
            return parse_params(text)
        except ParamError as e:
            self.log.core(L_ERR, "core/parser/parse_param.c:527]: parse_param2()", str(e))
            raise ValueError(str(e)) from None

    def find(self, name: str) -> Timer | None:
        lname = name.lower()
        return next((t for t in self.timers if t.name.lower() == lname), None)

    def param_timer(self, value: str, program) -> None:
        name, interval, usec, mode = None, 0, False, 0
        for pname, body in reversed(self._params(value)):      # Kamailio's list order
            key = pname.lower()
            body = body or ""
            if key == "name":
                name = body
            elif key == "mode":
                if mode == 0:
                    if not body.isdigit():
                        self.log.module(L_ERR, "rtimer", "rtimer_mod.c:255]: stm_t_param()", f"invalid mode: {body}")
                        raise ValueError(f"invalid mode: {body}")
                    mode = int(body)
            elif key == "interval":
                if body[-1:] in ("u", "U"):
                    body = body[:-1]
                    usec = True
                    if mode == 0:
                        mode = 1
                if not body.isdigit():
                    self.log.module(L_ERR, "rtimer", "rtimer_mod.c:273]: stm_t_param()", f"invalid interval: {body}")
                    raise ValueError(f"invalid interval: {body}")
                interval = int(body)
        if name is None:
            self.log.module(L_ERR, "rtimer", "rtimer_mod.c:280]: stm_t_param()", "invalid timer name")
            raise ValueError("invalid timer name")
        if self.find(name) is not None:
            self.log.module(L_ERR, "rtimer", "rtimer_mod.c:294]: stm_t_param()",
                            f"duplicate timer with same name: {name}")
            raise ValueError(f"duplicate timer with same name: {name}")
        if interval == 0:
            interval = self.default_interval
        self.timers.insert(0, Timer(name, interval, usec, mode))
        self.log.module(L_INFO, "rtimer", "rtimer_mod.c:313]: stm_t_param()",
                        f"created rtimer name={name} interval={interval} mode={mode}")

    def param_exec(self, value: str, program) -> None:
        timer_name, route = None, ""
        for pname, body in reversed(self._params(value)):
            key = pname.lower()
            if key == "timer":
                timer_name = body or ""
            elif key == "route":
                route = body or ""
        if timer_name is None:
            self.log.module(L_ERR, "rtimer", "rtimer_mod.c:347]: stm_e_param()", "invalid timer name")
            raise ValueError("invalid timer name")
        timer = self.find(timer_name)
        if timer is None:
            self.log.module(L_ERR, "rtimer", "rtimer_mod.c:363]: stm_e_param()",
                            f"timer not found - name: {timer_name}")
            raise ValueError(f"timer not found - name: {timer_name}")
        if len(route) >= RTIMER_ROUTE_NAME_SIZE - 1:
            raise ValueError(f"route block name is too long [{route}] ({len(route)})")
        timer.routes.insert(0, route)

    def param_default_interval(self, value: int, program) -> None:
        self.default_interval = value

    # ---- running ----------------------------------------------------------------------------
    def init(self, program) -> None:
        for timer in self.timers:
            if timer.mode == 0:
                program.slow_timer_jobs.append((timer.seconds, lambda t=timer: self.tick(t, 0)))

    def tick(self, timer: Timer, worker: int) -> None:
        """One interval of a timer: each of its routes runs once, as a top-level route."""
        program = self.program
        self.worker = worker
        msg = program.faked_msg
        for route in timer.routes:
            key = f"route:{route}"
            if key in program.routes:
                program.run(key, msg)

    def processes(self, program) -> list:
        out = []
        for timer in self.timers:
            for i in range(timer.mode):
                out.append(ProcessEntry(0, f"RTIMER EXEC child={i} timer={timer.name}",
                                        lambda server, entry, t=timer, w=i: self.loop(t, w)))
        return out

    def loop(self, timer: Timer, worker: int) -> int:
        """A timer process: sleep one interval, run the routes, again (Kamailio's
        fork_basic_timer / fork_basic_utimer)."""
        self.worker = worker
        pause = timer.seconds
        while True:
            time.sleep(pause)
            self.tick(timer, worker)


def get_worker(state, ctx):
    return state.worker


MODULE = Module(
    name="rtimer",
    params={
        "default_interval": Param(int, apply=State.param_default_interval),
        "timer": Param(str, multi=True, apply=State.param_timer),
        "exec": Param(str, multi=True, apply=State.param_exec),
    },
    pvs={"rtimer_worker": PseudoVar(get=get_worker)},
    state=State,
    mod_init=State.init,
    processes=State.processes,
)
