"""Parameter lists: Kamailio 5.6's core parse_params2() (parser/parse_param.c).

    >>> parse_params('a=1;b="x y";c')
    [('a', '1'), ('b', 'x y'), ('c', None)]
    >>> parse_params("name=q1|size=10", "|")
    [('name', 'q1'), ('size', '10')]

Used for SIP header and URI parameters and for module parameter strings such as mqueue's
"name=q1;size=10".  The rules are Kamailio's: a name runs up to a blank, ',', '=' or the
separator; blanks around '=' and after a separator are skipped; a value is a token (up to
a blank, ',' or the separator) or a "quoted" / 'quoted' string (no escapes); "a=" gives
an empty value only at the end of the text; a ',' or a '>' ends the list (what follows
belongs to the header); anything else after a parameter is an error, and so is a
separator with nothing after it.  Only CLASS_ANY is provided: no parameter is given a
type and no "hooks" to well-known parameters are filled.
"""
from __future__ import annotations

from ..log import L_ERR


class ParamError(ValueError):
    """An invalid parameter list.  str(e) is the first message Kamailio prints for it
    ("Param name missing after ;", "Error while parsing token" ...)."""


def parse_params(text: str, separator: str = ";", log=None) -> list[tuple[str, str | None]]:
    """[(name, value or None)] in the order written; [] for an empty text.

    A parameter without '=' has the value None, "a=" at the end of the text has "".
    Raises ParamError on an invalid list.  `log` is a kamlite.log.Log (anything with .debug
    and .write(level, text)): Kamailio's error lines for the list are written to it (with
    their parse_param.c locations); None prints nothing.

    Kamailio builds its list backwards (the last parameter first): walk reversed() to find
    the parameter a lookup in Kamailio finds.
    """
    return scan_params(text, separator, log)[0]


def scan_params(text: str, separator: str = ";", log=None) -> tuple[list, int]:
    """parse_params() and the offset where parsing stopped: len(text), or the ',' or '>'
    that ended the list (what follows it is not parameters)."""
    out: list = []
    n = len(text)
    if n == 0:
        return out, 0
    i = 0
    while True:
        # the name
        start = i
        while i < n and text[i] not in _NAME_END and text[i] != separator:
            i += 1
        name = text[start:i]
        i = _skip_blanks(text, i)
        if i == n:
            out.append((name, None))
            return out, i
        body = None
        if text[i] == "=":
            i = _skip_blanks(text, i + 1)
            if i == n:                          # forgiving: a missing value is empty
                out.append((name, ""))
                return out, i
            body, i = _body(text, i, separator, log)
            i = _skip_blanks(text, i)
            if i == n:
                out.append((name, body))
                return out, i
        out.append((name, body))
        if text[i] in ",>":
            return out, i
        if text[i] != separator:
            msg = f"Invalid character '{text[i]}' - expected '{separator}'"
            _log(log, 517, "parse_param2", msg)
            raise ParamError(msg)
        i = _skip_blanks(text, i + 1)
        if i == n:
            msg = f"Param name missing after {separator}"
            _log(log, 526, "parse_param2", msg)
            raise ParamError(msg)


# ---- internals ---------------------------------------------------------------------------------
_NAME_END = " \t\r\n,="
_TOKEN_END = " \t\r\n,"
_BLANKS = " \t\r\n"


def _skip_blanks(s: str, i: int) -> int:
    while i < len(s) and s[i] in _BLANKS:
        i += 1
    return i


def _body(s: str, i: int, separator: str, log) -> tuple[str, int]:
    """parse_param_body() at s[i] (not the end): (value, offset after it)."""
    q = s[i]
    if q in "\"'":
        end = s.find(q, i + 1)
        if end < 0:
            _body_error(log, 451, "Error while parsing quoted string")
        return s[i + 1:end], end + 1
    j = i
    while j < len(s) and s[j] not in _TOKEN_END and s[j] != separator:
        j += 1
    if j == i:
        _body_error(log, 456, "Error while parsing token")
    return s[i:j], j


def _body_error(log, line: int, msg: str):
    _log(log, line, "parse_param_body", msg)
    _log(log, 497, "parse_param2", "Error while parsing param body")
    raise ParamError(msg)


def _log(log, line: int, func: str, text: str) -> None:
    """An LM_ERR of parse_param.c as Kamailio prints it."""
    if log is not None and L_ERR <= log.debug:
        log.write(L_ERR, f"<core> [core/parser/parse_param.c:{line}]: {func}(): {text}\n")
