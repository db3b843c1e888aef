"""`.sip` files: SIP messages written as text, with placeholders, for the harness.

    # options.sip - lines starting with '#' before a message are comments
    OPTIONS sip:alice@[remote_ip]:[remote_port] SIP/2.0
    Via: SIP/2.0/UDP [local_ip]:[local_port];branch=[branch]
    From: <sip:tester@[local_ip]>;tag=[tag]
    To: <sip:alice@[remote_ip]>
    Call-ID: [call_id]
    CSeq: 1 OPTIONS
    Content-Length: [len]

    ---
    (a line of three or more dashes separates messages; the next one follows)

Lines end with CRLF once read (whatever the file uses); a message whose headers are not
followed by an empty line gets one.  The body is the lines after the first empty line,
each ending with CRLF (trailing empty lines dropped).

Placeholders, in the style of sipp:
  [local_ip] [local_port]    where the message comes from (the harness' source address)
  [remote_ip] [remote_port]  the kamlite socket it is sent to
  [transport]                UDP
  [call_id] [tag]            one value per file (every message of the file is one call)
  [branch]                   a new value for each message
  [len]                      the length of the body in bytes (computed last)
  [cseq]                     the message's number in the file, from 1
  [anything_else]            a value given by the caller (send_file(path, user="bob")),
                             or an error naming the file and line
"""
from __future__ import annotations

import dataclasses
import os
import re

PLACEHOLDER = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*)\]")
SEPARATOR = re.compile(r"^-{3,}[ \t]*$")
BUILTIN = ("local_ip", "local_port", "remote_ip", "remote_port", "transport", "call_id", "tag",
           "branch", "len", "cseq")


class SipFileError(ValueError):
    """A .sip file that cannot be used; the message names the file and line."""


@dataclasses.dataclass
class SipTemplate:
    """One message of a .sip file, placeholders not yet filled."""
    head: list[str]                 # request/status line and header lines
    body: list[str]                 # body lines
    source: str                     # file name (or "<text>")
    line: int                       # line number of the first line in the file
    lines: list[int]                # line number of each head line (for errors)

    def placeholders(self) -> set[str]:
        return {m.group(1) for l in self.head + self.body for m in PLACEHOLDER.finditer(l)}

    def fill(self, values: dict) -> str:
        """The message text with every placeholder replaced ([len] last)."""
        def sub(line: str, where: int) -> str:
            def one(m):
                name = m.group(1)
                if name == "len":
                    return m.group(0)
                if name not in values:
                    raise SipFileError(f"{self.source}:{where}: unknown placeholder [{name}] "
                                       f"(give it a value, e.g. send_file(path, {name}=...); built in: "
                                       f"{', '.join('[' + b + ']' for b in BUILTIN)})")
                return str(values[name])
            return PLACEHOLDER.sub(one, line)
        head = [sub(l, n) for l, n in zip(self.head, self.lines)]
        body_start = self.lines[-1] + 2 if self.lines else self.line
        body = [sub(l, body_start + i) for i, l in enumerate(self.body)]
        body_text = "".join(l + "\r\n" for l in body)
        n = str(len(body_text.encode("utf-8")))
        head = [l.replace("[len]", n) for l in head]
        body_text = body_text.replace("[len]", n)
        return "\r\n".join(head) + "\r\n\r\n" + body_text

    @property
    def is_reply(self) -> bool:
        return bool(self.head) and self.head[0].upper().startswith("SIP/")


def parse_sip(text: str, source: str = "<text>") -> list[SipTemplate]:
    """The messages of a .sip text (see the module docstring)."""
    out: list[SipTemplate] = []
    head: list[str] = []
    lines: list[int] = []
    body: list[str] = []
    in_body = False
    first = 0

    def flush():
        nonlocal head, lines, body, in_body
        if head:
            while body and not body[-1].strip():
                body.pop()
            out.append(SipTemplate(head, body, source, first, lines))
        head, lines, body, in_body = [], [], [], False

    for no, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if SEPARATOR.match(raw):
            flush()
            continue
        if not head:
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue                          # blank lines and comments between messages
            first = no
            head.append(raw.rstrip())
            lines.append(no)
            continue
        if in_body:
            body.append(raw)
        elif not raw.strip():
            in_body = True
        else:
            if raw[:1] not in (" ", "\t") and ":" not in raw:
                raise SipFileError(f"{source}:{no}: not a header line (Name: value): {raw.strip()!r}"
                                   " (an empty line must separate the headers from the body)")
            head.append(raw.rstrip())
            lines.append(no)
    flush()
    if not out:
        raise SipFileError(f"{source}: no SIP message in it")
    for t in out:
        words = t.head[0].split()
        if len(words) < 3 or not (words[0].upper().startswith("SIP/") or words[2].upper().startswith("SIP/")):
            raise SipFileError(f"{t.source}:{t.line}: not a request or status line: {t.head[0]!r}")
    return out


def read_sip(path: str | os.PathLike) -> list[SipTemplate]:
    """The messages of a .sip file."""
    with open(path, encoding="utf-8") as fh:
        return parse_sip(fh.read(), os.fspath(path))
