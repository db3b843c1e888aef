"""Kamailio's preprocessor: #!define, #!ifdef, #!subst, include_file ... and comments.

Kamailio does this inside its lexer, so the rules are the lexer's: directives are seen
wherever a token may start; defines replace whole identifier tokens (never text inside
strings or pseudo-variable names) and their value is scanned again; #!subst rules rewrite
later string literals and pseudo-variable names; in a skipped #!ifdef region only the
#!if[n]def / #!else / #!endif directives are seen, even inside comments.

The output is one text for the parser with comments and directives removed, plus the map
from every offset back to file:line:col (source.Expanded).
"""
from __future__ import annotations

import os
import re

from ..errors import ConfigError, Diagnostic, Location
from .. import subst as subst_mod
from .keywords import KEYWORDS
from .source import Expanded, SourceFile

VERSION_DEFINES = ("KAMAILIO_5", "KAMAILIO_5_6", "KAMAILIO_5_6_3")
# defined under kamlite only: lets a config keep kamlite-only lines inside #!ifdef KAMLITE
KAMLITE_DEFINE = "KAMLITE"
MAX_INCLUDE_DEPTH = 10
MAX_EXPANSION_DEPTH = 64

_BLANK = r"[ \t\b\r]"
# Everything the scanner must stop at, in priority order.  Text between matches is code
# that is copied unchanged.
_MASTER = re.compile(r"""
  (?P<bcom>/\*)
| (?P<dir>(?:\#!|!!)(?:
      (?P<define>define|def|trydefine|trydef|redefine|redef)""" + _BLANK + r"""+
    | (?P<ifdef>ifdef|ifndef)""" + _BLANK + r"""+
    | (?P<else>else|endif)""" + _BLANK + r"""*\n
    | (?P<subst>substdefs|substdef|subst)
    | (?P<incl>include_file|import_file)
    | (?P<defenv>trydefenvs|trydefenv|defenvs|defenv)
  ))
| (?P<mode>(?:\#|//)!(?:KAMAILIO|OPENSER|SER|MAXCOMPAT|ALL)\n)
| (?P<lcom>\#|//)
| (?P<dq>")
| (?P<sq>')
| (?P<pv>\$)
| (?P<id>[A-Za-z_][A-Za-z0-9_]*)
| (?P<num>[0-9][A-Za-z0-9_]*)
""", re.X)

# in a skipped region only these matter, wherever they appear
_SKIP = re.compile(r"(?:#!|!!)(?:(?P<ifdef>ifdef|ifndef)" + _BLANK + r"+|(?P<else>else|endif)"
                   + _BLANK + r"*\n)")
_DQ_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_DQ_ADJACENT = re.compile(r'[ \t\b\r\n]*"')
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PV_NAME = re.compile(r"\?|[A-Za-z_][A-Za-z0-9_]*")
_PARENS = re.compile(r"[()]")
_STR_ESCAPE = re.compile(r"\\(?:x[0-9A-Fa-f]{1,2}|[0-7]{2,3}|\n|.)", re.S)
_ESCAPES = {"n": "\n", "r": "\r", "a": "\a", "t": "\t", '"': '"', "\\": "\\", "\n": ""}


def decode_dq(body: str) -> str:
    """Value of a double-quoted string body (no quotes), with Kamailio's escapes."""
    if "\\" not in body:
        return body

    def repl(m):
        e = m.group(0)[1:]
        if e in _ESCAPES:
            return _ESCAPES[e]
        if e[0] == "x" and len(e) > 1:
            return chr(int(e[1:], 16))
        if e[0] in "01234567" and len(e) >= 2:
            return chr(int(e, 8) & 0xFF)
        return m.group(0)          # unknown escape: backslash kept
    return _STR_ESCAPE.sub(repl, body)


def encode_dq(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Frame:
    """Text being scanned: a file, or the value of a define attributed to where it was used."""
    __slots__ = ("text", "file", "at", "depth")

    def __init__(self, text: str, file: SourceFile, at: int | None, depth: int):
        self.text, self.file, self.at, self.depth = text, file, at, depth


class Preprocessor:
    def __init__(self, defines: dict[str, str | None] | None = None, env=None, cwd: str | None = None):
        self.defines: dict[str, str | None] = {name: None for name in VERSION_DEFINES + (KAMLITE_DEFINE,)}
        for name, value in (defines or {}).items():
            self.defines[name] = value
        self.env = os.environ if env is None else env
        self.cwd = cwd
        self.rules: list[subst_mod.SubstExpr] = []
        self.ifdefs: list[list] = []          # [active, Location of the #!if[n]def]
        self.level = 0                        # #!if[n]def minus #!endif, as Kamailio counts
        self.stray_endif: Location | None = None
        self.mode = "MAXCOMPAT"               # #!KAMAILIO / #!SER / #!MAXCOMPAT
        self.includes: list[tuple[str, Location]] = []
        self.out: Expanded | None = None
        self._stack: list[str] = []           # files being included, innermost last
        self.comment_open = False             # a define's value ended inside a # comment
        self.subst_at: list[int] = []         # output offsets of #!subst directives

    # entry points ---------------------------------------------------------------
    def run_file(self, path: str) -> Expanded:
        return self.run_text(self._read(path, None), path)

    def run_text(self, text: str, path: str = "<config>") -> Expanded:
        main = SourceFile(path, text)
        self.out = Expanded(main)
        self._scan(_Frame(text, main, None, 0), 0)
        if self.ifdefs or self.level:
            if self.level < 0 or self.stray_endif:
                loc = self.stray_endif or main.location(len(text))
                raise self._error(loc, "#!endif without a matching #!ifdef/#!ifndef "
                                  f"({-self.level} more #!endif than #!if[n]def)")
            opened = self.ifdefs[-1][1] if self.ifdefs else main.location(len(text))
            raise self._error(opened, "#!ifdef/#!ifndef opened here is never closed by #!endif "
                              f"({self.level} more #!if[n]def than #!endif)")
        self.out.defines = dict(self.defines)
        self.out.subst_at = self.subst_at
        self.out.finish()
        return self.out

    # helpers ----------------------------------------------------------------------
    def _error(self, loc: Location, message: str) -> ConfigError:
        return ConfigError(Diagnostic(loc, message, code="preprocessor"))

    def _loc(self, fr: _Frame, pos: int) -> Location:
        return fr.file.location(fr.at if fr.at is not None else pos)

    def _read(self, path: str, loc: Location | None) -> str:
        if self.cwd is not None and not os.path.isabs(path):
            path = os.path.join(self.cwd, path)
        try:
            with open(path, "rb") as fh:
                return fh.read().decode("latin-1")
        except OSError as e:
            raise self._error(loc or Location(path, 0, 0), f"cannot open config file {path}: {e.strerror}")

    def _emit(self, fr: _Frame, start: int, end: int) -> None:
        if end <= start:
            return
        if fr.at is None:
            self.out.copy(fr.file, start, end)
        else:
            self.out.generate(fr.text[start:end], fr.file, fr.at)

    def _emit_text(self, fr: _Frame, text: str, pos: int) -> None:
        self.out.generate(text, fr.file, fr.at if fr.at is not None else pos)

    @property
    def _skipping(self) -> bool:
        return any(not entry[0] for entry in self.ifdefs)

    # the scanner --------------------------------------------------------------------
    def _scan(self, fr: _Frame, pos: int) -> None:
        text = fr.text
        end = len(text)
        search = _MASTER.search
        defines = self.defines
        run = pos                         # start of text copied unchanged, not emitted yet
        while pos < end:
            if self._skipping:
                pos = run = self._skip(fr, pos)
                continue
            m = search(text, pos)
            if m is None:
                break
            start = m.start()
            kind = m.lastgroup
            # the common tokens are copied as they are: just move on
            if kind == "id":
                name = m.group(0)
                if name not in defines and name not in ("include_file", "import_file", "event_route"):
                    pos = m.end()
                    continue
            elif kind == "num":
                pos = m.end()
                continue
            elif kind == "dq" and not self.rules:
                sm = _DQ_STRING.match(text, start)
                if sm is None:
                    raise self._error(self._loc(fr, start), "unexpected end of file in an unclosed string")
                pos = sm.end()
                continue
            self._emit(fr, run, start)
            if kind == "id":
                pos = self._identifier(fr, m)
            elif kind == "dq":
                pos = self._string(fr, start)
            elif kind == "pv":
                pos = self._pvar(fr, start)
            elif kind == "lcom":
                nl = text.find("\n", start)
                if nl < 0 and fr.at is not None:
                    # a define's value ending in a comment: like Kamailio's unput(), the
                    # comment goes on over the rest of the line where the define was used
                    self.comment_open = True
                pos = end if nl < 0 else nl
            elif kind == "bcom":
                pos = self._block_comment(fr, start)
            elif kind == "sq":
                pos = self._single_quoted(fr, start)
            elif kind == "mode":
                self.mode = m.group(0).strip("#/!\n")
                if self.mode == "OPENSER":
                    self.mode = "KAMAILIO"
                pos = m.end() - 1
            else:
                pos = self._directive(fr, m)
            run = pos
        if not self._skipping:
            self._emit(fr, run, end)

    def _skip(self, fr: _Frame, pos: int) -> int:
        m = _SKIP.search(fr.text, pos)
        if m is None:
            return len(fr.text)
        if m.group("ifdef"):
            return self._ifdef(fr, m.end(), m.group("ifdef"), m.start())
        self._else_endif(fr, m.group("else"), m.start())
        return m.end() - 1

    def _block_comment(self, fr: _Frame, start: int) -> int:
        text = fr.text
        depth = 0
        pos = start
        for m in re.compile(r"/\*|\*/").finditer(text, start):
            depth += 1 if m.group(0) == "/*" else -1
            if depth == 0:
                self._emit_text(fr, " ", start)
                return m.end()
        raise self._error(self._loc(fr, pos), "unexpected end of file inside a /* comment */")

    def _string(self, fr: _Frame, start: int) -> int:
        text = fr.text
        m = _DQ_STRING.match(text, start)
        if m is None:
            raise self._error(self._loc(fr, start), "unexpected end of file in an unclosed string")
        end = m.end()
        if not self.rules:
            self._emit(fr, start, end)
            return end
        # Kamailio joins adjacent strings first, then applies the #!subst rules
        value = decode_dq(text[start + 1:end - 1])
        while True:
            a = _DQ_ADJACENT.match(text, end)
            if not a:
                break
            m2 = _DQ_STRING.match(text, a.end() - 1)
            if not m2:
                raise self._error(self._loc(fr, a.end() - 1), "unexpected end of file in an unclosed string")
            value += decode_dq(text[m2.start() + 1:m2.end() - 1])
            end = m2.end()
        self._emit_text(fr, encode_dq(self._apply_rules(value)), start)
        return end

    def _single_quoted(self, fr: _Frame, start: int) -> int:
        close = fr.text.find("'", start + 1)
        if close < 0:
            raise self._error(self._loc(fr, start), "unexpected end of file in an unclosed string")
        end = close + 1
        if self.rules:
            value = fr.text[start + 1:close]
            new = self._apply_rules(value)
            if new != value:
                self._emit_text(fr, ("'" + new + "'") if "'" not in new else encode_dq(new), start)
                return end
        self._emit(fr, start, end)
        return end

    def _pvar(self, fr: _Frame, start: int) -> int:
        """A pseudo-variable token: $name, $name(...) or $(...), parentheses balanced."""
        text = fr.text
        pos = start + 1
        m = _PV_NAME.match(text, pos)
        if m:
            pos = m.end()
        if pos < len(text) and text[pos] == "(" and (m is None or m.group(0) != "?"):
            depth = 0
            for p in _PARENS.finditer(text, pos):
                depth += 1 if p.group(0) == "(" else -1
                if depth == 0:
                    pos = p.end()
                    break
            else:
                raise self._error(self._loc(fr, start), "unexpected end of file inside a $(...) pseudo-variable")
        if self.rules:
            value = text[start:pos]
            new = self._apply_rules(value)
            if new != value:
                self._emit_text(fr, new, start)
                return pos
        self._emit(fr, start, pos)
        return pos

    def _identifier(self, fr: _Frame, m: re.Match) -> int:
        name = m.group(0)
        start, end = m.start(), m.end()
        if name in ("include_file", "import_file"):
            return self._include(fr, end, name, start)
        if name in self.defines and name not in KEYWORDS:
            value = self.defines[name]
            if fr.depth >= MAX_EXPANSION_DEPTH:
                raise self._error(self._loc(fr, start), f"#!define {name} expands into itself")
            if value:
                # like Kamailio's unput(): the value is read again as if it were in the file
                at = fr.at if fr.at is not None else start
                self._scan(_Frame(value, fr.file, at, fr.depth + 1), 0)
                if self.comment_open and fr.at is None:
                    self.comment_open = False
                    nl = fr.text.find("\n", end)
                    return len(fr.text) if nl < 0 else nl
            return end
        self._emit(fr, start, end)
        if name == "event_route":
            # the name in event_route[...] is read in a lexer state of its own: never replaced
            close = re.compile(r"\s*\[[^\]\n]*\]").match(fr.text, end)
            if close:
                self._emit(fr, end, close.end())
                return close.end()
        return end

    def _apply_rules(self, value: str) -> str:
        for rule in self.rules:
            new = rule.apply(value)
            if new is not None:
                value = new
        return value

    # directives -------------------------------------------------------------------
    def _directive(self, fr: _Frame, m: re.Match) -> int:
        start = m.start()
        if m.group("define"):
            return self._define(fr, m.end(), m.group("define"), start)
        if m.group("ifdef"):
            return self._ifdef(fr, m.end(), m.group("ifdef"), start)
        if m.group("else"):
            self._else_endif(fr, m.group("else"), start)
            return m.end() - 1
        if m.group("subst"):
            return self._subst(fr, m.end(), m.group("subst"), start)
        if m.group("incl"):
            return self._include(fr, m.end(), m.group("incl"), start)
        return self._defenv(fr, m.end(), m.group("defenv"), start)

    def _define(self, fr: _Frame, pos: int, kind: str, start: int) -> int:
        text = fr.text
        idm = _ID.match(text, pos)
        if not idm:
            raise self._error(self._loc(fr, pos), f"#!{kind}: identifier expected")
        name = idm.group(0)
        pos = idm.end()
        if pos < len(text) and text[pos] == "-":
            raise self._error(self._loc(fr, start), f"#!{kind} {name}-...: '-' not allowed in a define name")
        # the value runs to the end of the line; a backslash before the newline continues it
        value_parts = []
        nl = pos
        while True:
            nl = text.find("\n", pos)
            if nl < 0:
                value_parts.append(text[pos:])
                nl = len(text)
                break
            if nl > 0 and text[nl - 1] == "\\":
                value_parts.append(text[pos:nl - 1])
                pos = nl + 1
                continue
            value_parts.append(text[pos:nl])
            break
        value = "".join(value_parts).lstrip(" \t\b\r")
        value = value if value.strip(" \t\b\r") else None
        if kind in ("define", "def"):
            if name in self.defines:
                raise self._error(self._loc(fr, start), f"already defined: {name} "
                                  "(use #!redefine to change a value, #!trydef to keep the first one)")
            self.defines[name] = value
        elif kind in ("trydef", "trydefine"):
            if name not in self.defines:
                self.defines[name] = value
        else:
            self.defines[name] = value
        return nl

    def _ifdef(self, fr: _Frame, pos: int, kind: str, start: int) -> int:
        text = fr.text
        idm = _ID.match(text, pos)
        if not idm:
            raise self._error(self._loc(fr, pos), f"#!{kind}: identifier expected")
        if idm.end() < len(text) and text[idm.end()] == "-":
            raise self._error(self._loc(fr, start), f"#!{kind} {idm.group(0)}-...: '-' not allowed")
        # Kamailio ignores anything else up to the end of the line
        nl = text.find("\n", idm.end())
        defined = idm.group(0) in self.defines
        self.ifdefs.append([defined if kind == "ifdef" else not defined, self._loc(fr, start)])
        self.level += 1
        return len(text) if nl < 0 else nl

    def _else_endif(self, fr: _Frame, kind: str, start: int) -> None:
        if kind == "else":
            if self.ifdefs:
                self.ifdefs[-1][0] = not self.ifdefs[-1][0]
            return
        self.level -= 1
        if self.ifdefs:
            self.ifdefs.pop()
        elif self.stray_endif is None:
            self.stray_endif = self._loc(fr, start)

    def _string_arg(self, fr: _Frame, pos: int, what: str) -> tuple[str, int]:
        """The quoted string after a directive: its value and the offset after it."""
        text = fr.text
        m = re.compile(r"[ \t\b\r\n]*").match(text, pos)
        pos = m.end()
        if pos < len(text) and text[pos] == '"':
            sm = _DQ_STRING.match(text, pos)
            if not sm:
                raise self._error(self._loc(fr, pos), "unexpected end of file in an unclosed string")
            value = decode_dq(text[pos + 1:sm.end() - 1])
            return self._apply_rules(value) if self.rules else value, sm.end()
        if pos < len(text) and text[pos] == "'":
            close = text.find("'", pos + 1)
            if close > 0:
                value = text[pos + 1:close]
                return self._apply_rules(value) if self.rules else value, close + 1
        raise self._error(self._loc(fr, pos), f"{what}: a quoted string is expected")

    def _subst(self, fr: _Frame, pos: int, kind: str, start: int) -> int:
        value, end = self._string_arg(fr, pos, f"#!{kind}")
        try:
            rule = subst_mod.parse(value)
        except subst_mod.SubstError as e:
            raise self._error(self._loc(fr, start), f"#!{kind}: {e}") from None
        self.subst_at.append(self.out.length)
        if kind != "subst":
            # substdef "/ID/value/" also defines ID as value (substdefs: as "value")
            sep = value[0]
            i = subst_mod._find_sep(value, 1, sep)
            j = subst_mod._find_sep(value, i + 1, sep)
            name, dvalue = value[1:i], value[i + 1:j]
            if not name:
                raise self._error(self._loc(fr, start), f"#!{kind}: define name too short")
            if name in self.defines:
                raise self._error(self._loc(fr, start), f"already defined: {name}")
            self.defines[name] = encode_dq(dvalue) if kind == "substdefs" else (dvalue or None)
        self.rules.append(rule)
        return end

    def _include(self, fr: _Frame, pos: int, kind: str, start: int) -> int:
        text = fr.text
        m = re.compile(r"[ \t]*([^ \t\r\n]+)").match(text, pos)
        loc = self._loc(fr, start)
        if not m or not (len(m.group(1)) >= 2 and m.group(1)[0] == '"' and m.group(1)[-1] == '"'):
            raise self._error(loc, f"{kind}: the file name must be between double quotes")
        raw = m.group(1)[1:-1]
        name = raw.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r")
        if self.rules:
            name = self._apply_rules(name)
        if len(self._stack) >= MAX_INCLUDE_DEPTH:
            raise self._error(loc, f"too many nested includes (at most {MAX_INCLUDE_DEPTH})")
        path = self._resolve(name, fr.file.path)
        if path is None:
            if kind == "import_file":
                return m.end()
            raise self._error(loc, f"cannot open included file: {name}")
        self.includes.append((path, loc))
        child = SourceFile(path, self._read(path, loc))
        self.out.files.append(child)
        self._stack.append(path)
        try:
            self._scan(_Frame(child.text, child, None, 0), 0)
        finally:
            self._stack.pop()
        return m.end()

    def _resolve(self, name: str, including: str) -> str | None:
        """As Kamailio: the name as given (from the working directory), then next to the
        including file."""
        def exists(p):
            return os.path.isfile(p if self.cwd is None or os.path.isabs(p) else os.path.join(self.cwd, p))
        if exists(name):
            return name
        if not os.path.isabs(name):
            beside = os.path.join(os.path.dirname(including), name)
            if exists(beside):
                return beside
        return None

    def _defenv(self, fr: _Frame, pos: int, kind: str, start: int) -> int:
        text = fr.text
        m = re.compile(r"[ \t]*([^ \t\r\n]+)").match(text, pos)
        if not m:
            raise self._error(self._loc(fr, start), f"#!{kind}: ID=ENVVAR expected")
        arg = m.group(1)
        name, _, var = arg.partition("=")
        var = var or name
        value = self.env.get(var)
        if value is None:
            if kind.startswith("try"):
                return m.end()
            raise self._error(self._loc(fr, start), f"#!{kind}: environment variable not defined [{arg}]")
        if name in self.defines:
            raise self._error(self._loc(fr, start), f"already defined: {name}")
        self.defines[name] = encode_dq(value) if kind.endswith("s") else value
        return m.end()


def preprocess_file(path: str, defines: dict[str, str | None] | None = None) -> Expanded:
    return Preprocessor(defines).run_file(path)


def preprocess_text(text: str, path: str = "<config>", defines: dict[str, str | None] | None = None) -> Expanded:
    return Preprocessor(defines).run_text(text, path)
