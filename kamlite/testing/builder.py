"""SIP messages for tests, with sensible defaults.

    from kamlite.testing import request, reply
    inv = request("INVITE", "sip:bob@example.com", body=sdp,
                  headers={"Content-Type": "application/sdp", "Contact": "<sip:alice@127.0.0.1:5070>"})
    ok = reply(inv, 200)                 # a reply to it (From, To + tag, Call-ID, CSeq, all Vias)

A request has, in this order: the request line, Via (branch unique), From (tag unique), To,
Call-ID (unique), CSeq, Max-Forwards, the extra headers, Content-Length (always, computed
from the body).  Every default can be replaced: `from_=`, `to=`, `call_id=`, `cseq=`,
`via=` ("host:port", or a full header value, or a list of them for several Vias),
`max_forwards=` (None: no header).  Extra headers come as a dict, a list of (name, value)
pairs, or raw "Name: value" lines; they go after Max-Forwards.

Identifiers are unique and deterministic: each Builder counts (Call-IDs
"<n>-<prefix>@kamlite.test", branches "z9hG4bK-<prefix>-<n>", tags "<prefix><n>"), so two
runs of a test build the same bytes.  The module functions use one shared default Builder;
make your own (Builder(prefix="x")) for messages that must not depend on other tests.
"""
from __future__ import annotations

import itertools

DEFAULT_SOURCE = ("127.0.0.1", 5070)        # where test messages come from (the harness' default)

REASONS = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 200: "OK", 202: "Accepted", 300: "Multiple Choices",
    301: "Moved Permanently", 302: "Moved Temporarily", 380: "Alternative Service",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 406: "Not Acceptable", 407: "Proxy Authentication Required",
    408: "Request Timeout", 410: "Gone", 413: "Request Entity Too Large",
    415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 420: "Bad Extension",
    480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist", 482: "Loop Detected",
    483: "Too Many Hops", 484: "Address Incomplete", 486: "Busy Here", 487: "Request Terminated",
    488: "Not Acceptable Here", 491: "Request Pending", 500: "Server Internal Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Server Time-out", 505: "Version Not Supported", 513: "Message Too Large",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}


class Builder:
    """Makes requests and replies; counts its own Call-IDs, branches and tags."""

    def __init__(self, prefix: str = "kt", source: tuple = DEFAULT_SOURCE):
        self.prefix = prefix
        self.source = source
        self._n = itertools.count(1)

    def next_id(self) -> int:
        return next(self._n)

    def call_id(self) -> str:
        return f"{self.next_id()}-{self.prefix}@kamlite.test"

    def branch(self) -> str:
        return f"z9hG4bK-{self.prefix}-{self.next_id()}"

    def tag(self) -> str:
        return f"{self.prefix}{self.next_id()}"

    # ---- requests ----------------------------------------------------------------------------
    def request(self, method: str = "OPTIONS", uri: str = "sip:alice@example.com", *,
                headers=None, body: str = "", from_: str | None = None, to: str | None = None,
                call_id: str | None = None, cseq: int = 1, via=None, branch: str | None = None,
                max_forwards: int | None = 70, from_tag: str | None = None,
                to_tag: str | None = None, content_type: str | None = None,
                source: tuple | None = None) -> str:
        """A request as text (CRLF line ends, Content-Length computed)."""
        src = source or self.source
        lines = [f"{method} {uri} SIP/2.0"]
        for v in _vias(via, src, branch or self.branch()):
            lines.append(f"Via: {v}")
        from_value = from_ if from_ is not None else f"<sip:tester@{src[0]}>"
        if ";tag=" not in from_value.lower():
            from_value += f";tag={from_tag or self.tag()}"
        to_value = to if to is not None else f"<{uri}>"
        if to_tag:
            to_value += f";tag={to_tag}"
        lines.append(f"From: {from_value}")
        lines.append(f"To: {to_value}")
        lines.append(f"Call-ID: {call_id or self.call_id()}")
        lines.append(f"CSeq: {cseq} {method}")
        if max_forwards is not None:
            lines.append(f"Max-Forwards: {max_forwards}")
        extra = _header_lines(headers)
        if content_type and not any(h.lower().startswith(("content-type:", "c:")) for h in extra):
            extra.append(f"Content-Type: {content_type}")
        if body and not content_type and not any(h.lower().startswith(("content-type:", "c:")) for h in extra):
            extra.append("Content-Type: " + ("application/sdp" if body.startswith("v=0") else "text/plain"))
        lines.extend(extra)
        lines.append(f"Content-Length: {len(body.encode('utf-8'))}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    # ---- replies -----------------------------------------------------------------------------
    def reply(self, req, code: int = 200, reason: str | None = None, *, headers=None,
              body: str = "", to_tag: str | None = None, content_type: str | None = None) -> str:
        """A reply to `req` (text, bytes, or anything with .text, such as a forwarded
        request in a harness Result): its Via headers (all of them, in order), From, To
        (with a to-tag for code > 100 when it has none), Call-ID and CSeq."""
        text = _text_of(req)
        head = text.split("\r\n\r\n", 1)[0].split("\r\n")
        if len(head) < 2 or head[0].startswith("SIP/"):
            raise ValueError("reply() needs a request")
        copied = []
        for name, value in _unfold(head[1:]):
            key = _canonical(name)
            if key == "Via":
                copied.extend(f"Via: {v.strip()}" for v in _split_commas(value))
            elif key in ("From", "Call-ID", "CSeq"):
                copied.append(f"{key}: {value}")
            elif key == "To":
                if code > 100 and ";tag=" not in value.lower().replace(" ", ""):
                    value += f";tag={to_tag or self.tag()}"
                copied.append(f"To: {value}")
            elif key == "Record-Route" and 180 <= code < 300:
                copied.append(f"Record-Route: {value}")
        lines = [f"SIP/2.0 {code} {reason or REASONS.get(code, 'Unknown')}"] + copied
        extra = _header_lines(headers)
        if body and not content_type and not any(h.lower().startswith(("content-type:", "c:")) for h in extra):
            content_type = "application/sdp" if body.startswith("v=0") else "text/plain"
        if content_type:
            extra.append(f"Content-Type: {content_type}")
        lines.extend(extra)
        lines.append(f"Content-Length: {len(body.encode('utf-8'))}")
        return "\r\n".join(lines) + "\r\n\r\n" + body


def _text_of(msg) -> str:
    if isinstance(msg, bytes):
        return msg.decode("latin-1")
    if isinstance(msg, str):
        return msg
    text = getattr(msg, "text", None)
    if text is None:
        text = getattr(msg, "buf", None)
    if text is None:
        raise TypeError(f"cannot build a reply to {type(msg).__name__}")
    return text


def _vias(via, src, branch) -> list[str]:
    if via is None:
        return [f"SIP/2.0/UDP {src[0]}:{src[1]};branch={branch}"]
    items = [via] if isinstance(via, str) else list(via)
    out = []
    for i, v in enumerate(items):
        v = v.strip()
        if v.upper().startswith("SIP/"):
            out.append(v)
        else:
            # "host:port" (or "host:port;params"): the first gets the branch
            b = f";branch={branch}" if i == 0 and ";branch=" not in v.lower() else ""
            out.append(f"SIP/2.0/UDP {v}{b}")
    return out


def _header_lines(headers) -> list[str]:
    if headers is None:
        return []
    if isinstance(headers, str):
        return [l for l in headers.replace("\r\n", "\n").split("\n") if l.strip()]
    if isinstance(headers, dict):
        headers = headers.items()
    out = []
    for item in headers:
        if isinstance(item, str):
            out.append(item.rstrip("\r\n"))
            continue
        name, value = item
        if isinstance(value, (list, tuple)):
            out.extend(f"{name}: {v}" for v in value)
        else:
            out.append(f"{name}: {value}")
    return out


COMPACT = {"v": "Via", "f": "From", "t": "To", "i": "Call-ID", "m": "Contact", "l": "Content-Length",
           "c": "Content-Type", "k": "Supported", "s": "Subject", "e": "Content-Encoding",
           "o": "Event", "r": "Refer-To", "b": "Referred-By", "u": "Allow-Events", "x": "Session-Expires"}
_SPECIAL = {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate",
            "sip-if-match": "SIP-If-Match", "min-se": "Min-SE"}


def _canonical(name: str) -> str:
    low = name.strip().lower()
    if low in COMPACT:
        return COMPACT[low]
    if low in _SPECIAL:
        return _SPECIAL[low]
    return "-".join(p.capitalize() for p in low.split("-"))


def _unfold(lines) -> list[tuple[str, str]]:
    out: list[list[str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and out:
            out[-1][1] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            out.append([name.strip(), value.strip()])
    return [(n, v) for n, v in out]


def _split_commas(value: str) -> list[str]:
    """A header value's comma-separated bodies (commas inside <> or quotes do not count)."""
    parts, cur, depth, quoted = [], [], 0, False
    for c in value:
        if c == '"':
            quoted = not quoted
        elif not quoted and c == "<":
            depth += 1
        elif not quoted and c == ">":
            depth = max(depth - 1, 0)
        if c == "," and not quoted and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p for p in (s.strip() for s in parts) if p]


DEFAULT = Builder()


def request(method: str = "OPTIONS", uri: str = "sip:alice@example.com", **kw) -> str:
    """A request from the default Builder (see Builder.request)."""
    return DEFAULT.request(method, uri, **kw)


def reply(req, code: int = 200, reason: str | None = None, **kw) -> str:
    """A reply from the default Builder (see Builder.reply)."""
    return DEFAULT.reply(req, code, reason, **kw)
