"""Kamailio's log lines: ' 5(2626) INFO: <script>: text', levels and L_* names."""
from __future__ import annotations

import os
import syslog

L_ALERT, L_BUG, L_CRIT2, L_CRIT, L_ERR, L_WARN, L_NOTICE, L_INFO, L_DBG = range(-5, 4)

# printed names per level (L_CRIT itself has none in Kamailio's table; LM_CRIT passes its own)
LEVEL_NAMES = {L_ALERT: "ALERT", L_BUG: "BUG", L_CRIT2: "CRITICAL", L_CRIT: "",
               L_ERR: "ERROR", L_WARN: "WARNING", L_NOTICE: "NOTICE", L_INFO: "INFO",
               L_DBG: "DEBUG"}
SYSLOG_PRIORITY = {L_ALERT: syslog.LOG_ALERT, L_BUG: syslog.LOG_CRIT, L_CRIT2: syslog.LOG_CRIT,
                   L_CRIT: syslog.LOG_CRIT, L_ERR: syslog.LOG_ERR, L_WARN: syslog.LOG_WARNING,
                   L_NOTICE: syslog.LOG_NOTICE, L_INFO: syslog.LOG_INFO, L_DBG: syslog.LOG_DEBUG}
# the names a config may use for levels (debug=, xlog's L_xxx)
LEVEL_BY_NAME = {"L_ALERT": L_ALERT, "L_BUG": L_BUG, "L_CRIT": L_CRIT2, "L_ERR": L_ERR,
                 "L_WARN": L_WARN, "L_NOTICE": L_NOTICE, "L_INFO": L_INFO, "L_DBG": L_DBG}

FACILITIES = {name: getattr(syslog, name) for name in (
    "LOG_AUTH", "LOG_CRON", "LOG_DAEMON", "LOG_KERN", "LOG_LOCAL0", "LOG_LOCAL1", "LOG_LOCAL2",
    "LOG_LOCAL3", "LOG_LOCAL4", "LOG_LOCAL5", "LOG_LOCAL6", "LOG_LOCAL7", "LOG_LPR", "LOG_MAIL",
    "LOG_NEWS", "LOG_USER", "LOG_UUCP") if hasattr(syslog, name)}
FACILITIES.update({"LOG_AUTHPRIV": getattr(syslog, "LOG_AUTHPRIV", syslog.LOG_AUTH)})


def clamp(level: int) -> int:
    return L_ALERT if level < L_ALERT else (L_DBG if level > L_DBG else level)


class Log:
    """The log of one running program in one process.

    `rank` and `pid` are the process index and pid printed in each line; `debug` is the
    threshold (a message is printed when its level <= debug).  The sink is stderr (-E),
    syslog, or a list when a test harness captures the lines.
    """

    def __init__(self, debug: int = L_WARN, stderr: bool = True, name: str = "kamlite",
                 facility: int = syslog.LOG_DAEMON):
        self.debug = debug
        self.rank = 0
        self.pid = os.getpid()
        self.to_stderr = stderr
        self.name = name
        self.facility = facility
        self.captured: list[str] | None = None
        self._syslog_open = False
        self.set_process(0)

    def set_process(self, rank: int, pid: int | None = None) -> None:
        self.rank = rank
        self.pid = pid if pid is not None else os.getpid()
        self._prefix = "%2d(%d) " % (rank, self.pid)

    def capture(self) -> list[str]:
        """Send lines to a list instead of stderr/syslog (used by tests and the harness)."""
        self.captured = []
        return self.captured

    def write(self, level: int, body: str, facility: int | None = None) -> None:
        """Emit one message; `body` is everything after 'LEVEL: ' and carries its own newline."""
        level = clamp(level)
        name = LEVEL_NAMES[level]
        if self.captured is not None:
            self.captured.append(f"{self._prefix}{name}: {body}")
        elif self.to_stderr:
            os.write(2, f"{self._prefix}{name}: {body}".encode("latin-1", "replace"))
        else:
            if not self._syslog_open:
                syslog.openlog(self.name, syslog.LOG_PID | syslog.LOG_CONS, self.facility)
                self._syslog_open = True
            syslog.syslog(SYSLOG_PRIORITY[level] | (facility if facility is not None else self.facility),
                          f"{name}: {body}")

    def __call__(self, level: int, prefix: str, text: str) -> None:
        if level <= self.debug:
            self.write(level, prefix + text)

    # helpers for kamlite's own messages, written the way Kamailio's core writes them
    def core(self, level: int, where: str, text: str) -> None:
        """where = 'core/action.c:679]: do_action()' style origin; text without newline."""
        if level <= self.debug:
            self.write(level, f"<core> [{where}: {text}\n")

    def module(self, level: int, module: str, where: str, text: str) -> None:
        if level <= self.debug:
            self.write(level, f"{module} [{where}: {text}\n")
