"""Locations and diagnostics: every error a user can cause names file:line:col."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Location:
    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    @property
    def span(self) -> str:
        """Kamailio's '(line,col-line,col)' notation used in runtime error messages."""
        return f"({self.line},{self.col}-{self.end_line or self.line},{self.end_col or self.col})"


UNKNOWN = Location("<unknown>", 0, 0)


@dataclasses.dataclass
class Diagnostic:
    loc: Location
    message: str
    severity: str = "error"          # "error" or "warning"
    code: str = ""                   # short machine-readable kind, e.g. "unknown-function"

    def __str__(self) -> str:
        return f"{self.loc}: {self.severity}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.loc.file, "line": self.loc.line, "col": self.loc.col,
                "end_line": self.loc.end_line or self.loc.line,
                "end_col": self.loc.end_col or self.loc.col,
                "severity": self.severity, "code": self.code, "message": self.message}


class ConfigError(Exception):
    """One or more errors found while loading a config; never a Python traceback for users."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str, loc: Location | None = None):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic(loc or UNKNOWN, diagnostics)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class Diagnostics:
    """Collects errors and warnings so that a check reports all of them at once."""

    def __init__(self):
        self.items: list[Diagnostic] = []

    def error(self, loc: Location, message: str, code: str = "") -> None:
        self.items.append(Diagnostic(loc, message, "error", code))

    def warning(self, loc: Location, message: str, code: str = "") -> None:
        self.items.append(Diagnostic(loc, message, "warning", code))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ConfigError(self.errors)
