"""SIP messages.

For now: the message a route runs on when no SIP message arrived (timer routes, event
routes) — Kamailio's faked request.  Full parsing comes with SIP support.
"""
from __future__ import annotations

FAKED_REQUEST = ("OPTIONS sip:you@kamailio.org SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1\r\n"
                 "From: <sip:you@kamailio.org>;tag=123\r\n"
                 "To: <sip:you@kamailio.org>\r\n"
                 "Call-ID: 123\r\n"
                 "CSeq: 1 OPTIONS\r\n"
                 "Content-Length: 0\r\n\r\n")


class Message:
    """A SIP message as the script sees it; `flags` are the message flags (setflag ...)."""

    def __init__(self, buf: str):
        self.buf = buf
        self.flags = 0


def faked_message() -> Message:
    return Message(FAKED_REQUEST)
