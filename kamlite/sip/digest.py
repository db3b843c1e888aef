"""Digest credentials of an Authorization / Proxy-Authorization value (Kamailio's
parser/digest/digest_parser.c, parse_digest_cred)."""
from __future__ import annotations

_WS = " \t\r\n"
DIGEST_PARAMS = ("username", "realm", "nonce", "uri", "response", "cnonce", "opaque", "qop", "nc",
                 "algorithm")


def parse_digest_cred(body: str):
    """{param: value} of Digest credentials (only the parameters Kamailio knows, lower-case
    names), 1 for another scheme, None when they cannot be parsed."""
    t = body.lstrip(_WS)
    if len(t) < 7:
        return 1
    if t[:6].lower() != "digest" or t[6] not in " \r\n\t,":
        return 1
    s = t[7:].lstrip(_WS)
    cred: dict = {}
    while True:
        eq = s.find("=")
        if eq < 0:
            return None
        name = s[:eq].rstrip(_WS).lower()
        s = s[eq + 1:].lstrip(_WS)
        if not s:
            return None
        if s[0] == '"':
            if len(s) < 2:
                return None
            end = s.find('"', 1)
            if end < 0:
                return None
            value = s[1:end]
            s = s[end + 1:]
        else:
            i = 0
            while i < len(s) and s[i] not in " \t\r\n,":
                i += 1
            if i == 0:
                return None
            value = s[:i]
            s = s[i:]
        if name in DIGEST_PARAMS:
            cred[name] = value
        comma = s.find(",")
        if comma < 0:
            break
        s = s[comma + 1:].lstrip(_WS)
    return cred
