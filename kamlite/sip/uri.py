"""SIP, SIPS, TEL and URN URIs: Kamailio 5.6's core parse_uri() (parser/parse_uri.c).

    >>> u = parse_uri("sip:alice:pw@example.com:5070;transport=tcp;lr?h=1")
    >>> u.user, u.passwd, u.host, u.port, u.port_no, u.proto
    ('alice', 'pw', 'example.com', '5070', 5070, 'tcp')
    >>> u.params, u.transport, u.transport_val, u.lr, u.lr_val, u.headers
    ('transport=tcp;lr', 'transport=tcp', 'tcp', 'lr', None, 'h=1')

The parser is a port of the C state machine, quirks included: what it accepts, rejects and
where it puts each part are Kamailio's (a ';' before the '@' can still belong to the user,
"sip:host:5060" has no user, a tel: URI's number is its user and its host is empty, a
sip: URI with user=phone becomes a tel one ...).  Values are byte strings held as latin-1
`str`, as everywhere in kamlite; escapes (%41) are not decoded.

Nothing is logged except the one LM_CRIT Kamailio prints for a URI that ends inside
"maddr" (a bug of its end-of-input switch, which misses those states).  Kamailio's own
LM_DBG lines for invalid URIs are not reproduced.
"""
from __future__ import annotations

import re

from ..log import L_CRIT, L_CRIT2

# SipUri.flags (uri_flags in msg_parser.h)
URI_USER_NORMALIZE = 1      # the user has tel: visual separators (. - ( ))
URI_SIP_USER_PHONE = 2      # a sip:/sips: URI with user=phone, turned into tel


class UriError(ValueError):
    """An invalid URI.  `reason` is one of "too short", "bad uri", "bad char", "bad host",
    "bad port", "bad headers", "bad state" (Kamailio's error labels); `position` is the
    offset where the parser stopped."""

    def __init__(self, reason: str, text: str, position: int):
        super().__init__(f"{reason} at {position} in <{text}>")
        self.reason = reason
        self.text = text
        self.position = position


class SipUri:
    """Kamailio's struct sip_uri.  Absent parts are None; a part present but empty is "".

    type        "sip", "sips", "tel" or "urn": Kamailio's uri type (a sip: or sips: URI
                with user=phone is "tel" when parse_uri() runs with phone2tel)
    scheme      the scheme as written, lower case: "sip", "sips", "tel" or "urn"
    user, passwd, host, port, params, headers
                the parts as written (host keeps the brackets of an IPv6 reference)
    port_no     the port as a number, 0 without a port
    sip_params  the parameters of a sip:/sips: URI (params holds those of the embedded tel
                URI after phone2tel: what followed ';' in the user)
    proto       the transport parameter when it is udp, tcp, tls, sctp or ws (lower case),
                else ""
    flags       URI_USER_NORMALIZE | URI_SIP_USER_PHONE
    transport, ttl, user_param, maddr, method, lr, r2, gr
                the whole parameter as written ("transport=TCP", "lr")
    transport_val, ttl_val, user_param_val, maddr_val, method_val, lr_val, r2_val, gr_val
                its value ("TCP"); None for lr, r2 and gr without a value
    """
    FIELDS = ("type", "scheme", "user", "passwd", "host", "port", "port_no", "params",
              "sip_params", "headers", "proto", "flags",
              "transport", "ttl", "user_param", "maddr", "method", "lr", "r2", "gr",
              "transport_val", "ttl_val", "user_param_val", "maddr_val", "method_val",
              "lr_val", "r2_val", "gr_val")
    # class defaults: a URI costs one small dict, holding only the parts it has
    type = scheme = user = passwd = host = port = params = sip_params = headers = None
    transport = ttl = user_param = maddr = method = lr = r2 = gr = None
    transport_val = ttl_val = user_param_val = maddr_val = method_val = None
    lr_val = r2_val = gr_val = None
    port_no = flags = 0
    proto = ""

    def __repr__(self) -> str:
        parts = [f"{k}={getattr(self, k)!r}" for k in self.FIELDS
                 if getattr(self, k) not in (None, "", 0) or k in ("type", "host")]
        return f"SipUri({', '.join(parts)})"


def parse_uri(text: str, log=None, phone2tel: bool = True) -> SipUri:
    """Core parse_uri() on `text` (the whole URI: no trailing CRLF, no <>).

    Raises UriError for an invalid URI.  `log` is a kamlite.log.Log (anything with
    .debug and .write(level, text)): the messages Kamailio's parse_uri() prints are written
    to it; None prints nothing.  phone2tel is Kamailio's core parameter of that name.
    """
    q = _quick(text)
    if q is not None:
        scheme, fields, proto, flags, port_no = q
    else:
        if len(text) < 5:
            raise UriError("too short", text, 0)
        scheme = _uri_scheme(text)
        if scheme is None:
            raise UriError("bad uri", text, 4)
        ps = _UriParser(text, scheme)
        try:
            while ps.p < len(text):
                ps.step(text[ps.p])
                ps.p += 1
            ps.finish()
        except _BadUri as e:
            raise UriError(e.reason, text, ps.p) from None
        except _BadState as e:
            _log(log, L_CRIT, 1329, f"BUG: bad  state {e.state} parsed: <{text}> ({len(text)})"
                                    f" / <{text}> ({len(text)})")
            raise UriError("bad state", text, ps.p) from None
        fields = {name: text[a:b] for name, (a, b) in ps.f.items()}
        proto, flags, port_no = ps.proto, ps.flags, ps.port_no
    u = SipUri()
    u.type = u.scheme = scheme
    u.__dict__.update(fields)
    if u.port is not None:
        u.port_no = port_no
    if proto:
        u.proto = proto
    u.flags = flags
    if scheme in ("sip", "sips"):
        u.sip_params = u.params
        if phone2tel and u.user_param_val == "phone":
            u.type = "tel"
            u.flags |= URI_SIP_USER_PHONE
            user = u.user or ""
            if ";" in user:
                u.user, u.params = user.split(";", 1)
            else:
                u.params = None
        else:
            u.flags &= ~URI_USER_NORMALIZE
    elif scheme == "tel":
        u.user, u.host = u.host, ""
    # common sanity checks
    if u.port is not None and len(u.port) > 5:
        raise UriError("bad port", text, len(text))
    if q is None and u.host and not u.user and "host" in ps.f:
        hs = ps.f["host"][0]
        if (hs > 0 and text[hs - 1] == "@") or text[hs] == "@":
            raise UriError("bad uri", text, len(text))
    return u


# ---- the quick path ---------------------------------------------------------------------------------
# One regex step for the everyday sip:/sips: URI (user@host:port;params, plain characters);
# it gives the state machine's fields (tests/sip/test_uri.py checks the two agree) and
# None for anything else, which the state machine then decides.
_QUICK_RE = re.compile(r"(sips?):(?:([A-Za-z0-9_.!~*'()+%&=$,-]+)@)?([A-Za-z0-9][A-Za-z0-9.-]*)"
                       r"(?::([0-9]{1,5}))?((?:;[A-Za-z0-9_.!~*'()+%&=$,/-]*)*)")
_USER_SEPARATORS = re.compile(r"[.()-]")


def _quick(text: str):
    """(scheme, fields, proto, flags, port_no) for a plain sip:/sips: URI, or None."""
    m = _QUICK_RE.fullmatch(text)
    if m is None:
        return None
    scheme, user, host, port, params = m.groups()
    fields = {"host": host}
    port_no = 0
    if port is not None:
        port_no = int(port)
        if port_no > 65535:
            return None
        fields["port"] = port
    # the state machine reads the text before '@' (or the host when there is none) in its
    # "user" state, where tel: visual separators set a flag; the first character is read
    # in its "init" state, which does not look for them
    flags = URI_USER_NORMALIZE if _USER_SEPARATORS.search(user if user is not None else host, 1) else 0
    if user is not None:
        fields["user"] = user
    proto = ""
    if params:
        fields["params"] = params[1:]
        segments = params[1:].split(";")
        last = segments[-1].lower()
        if last.startswith("ma"):
            return None                        # ends inside "maddr": Kamailio's bad state
        for seg in segments:
            name, eq, value = seg.partition("=")
            lname = name.translate(_LOWER)
            field = _URI_VALUE_PARAMS.get(lname) or _URI_FLAG_PARAMS.get(lname)
            if field is None:
                continue
            if eq and not value:
                return None                    # "name=" with no value: odd states
            if not eq:
                if lname in _URI_FLAG_PARAMS:  # lr, r2, gr alone
                    fields[_WHOLE[field]] = seg
                continue
            fields[_WHOLE[field]] = seg
            fields[field] = value
            if field == "transport_val":
                lvalue = value.translate(_LOWER)
                if lvalue in _TRANSPORTS:
                    proto = lvalue
    return scheme, fields, proto, flags, port_no


# ---- internals ---------------------------------------------------------------------------------
def _log(log, level: int, line: int, text: str) -> None:
    """A message of parse_uri.c as Kamailio prints it (LM_CRIT shows as CRITICAL)."""
    if log is not None and level <= log.debug:
        log.write(L_CRIT2 if level == L_CRIT else level,
                  f"<core> [core/parser/parse_uri.c:{line}]: parse_uri(): {text}\n")


class _BadUri(Exception):
    def __init__(self, reason: str):
        self.reason = reason


class _BadState(Exception):
    def __init__(self, state: int):
        self.state = state


_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _lower(s: str) -> str:
    return s.translate(_LOWER)


def _is_alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


# URI parameters parse_uri() recognizes: those taking a value (field of the value), and the
# flags lr/r2/gr (field of the value they may have)
_URI_VALUE_PARAMS = {"transport": "transport_val", "ttl": "ttl_val", "user": "user_param_val",
                     "method": "method_val", "maddr": "maddr_val"}
_URI_FLAG_PARAMS = {"lr": "lr_val", "r2": "r2_val", "gr": "gr_val"}
_URI_PARAM_NAMES = tuple(_URI_VALUE_PARAMS) + tuple(_URI_FLAG_PARAMS)
# the field of the whole parameter, by the field of its value
_WHOLE = {"transport_val": "transport", "ttl_val": "ttl", "user_param_val": "user_param",
          "method_val": "method", "maddr_val": "maddr", "lr_val": "lr", "r2_val": "r2",
          "gr_val": "gr"}
_TRANSPORTS = ("udp", "tcp", "tls", "sctp", "ws")
# parse_uri()'s state numbers, printed by its "bad state" message (maddr prefixes)
_MADDR_STATES = {"ma": 38, "mad": 39, "madd": 40, "maddr": 41}


def _uri_scheme(buf: str):
    """The scheme as parse_uri() reads it: the first 4 bytes or'ed with 0x20."""
    head = buf[:4]
    if any(ord(c) > 0x7F for c in head):
        return None
    folded = "".join(chr(ord(c) | 0x20) for c in head)
    if folded == "sip:":
        return "sip"
    if folded == "sips":
        return "sips" if buf[4] == ":" else None
    if folded == "tel:":
        return "tel"
    if folded == "urn:":
        return "urn"
    return None


class _UriParser:
    """parse_uri() as a state machine over the characters after the scheme.

    States: init user password password_alpha host host_p host6_p host6_end port
    param (start of a parameter), pname (a known name being matched, self.nm), eq (after
    "name="), tval (a transport value being matched, self.tv), val (any value), param_p
    (an unknown parameter), headers.  Fields are kept as (start, end) offsets in self.f.
    """

    def __init__(self, buf: str, scheme: str):
        self.buf = buf
        self.scheme = scheme
        start = 5 if scheme == "sips" else 4
        self.f: dict = {}               # field -> (start, end)
        self.proto = ""
        self.flags = 0
        self.p = start
        self.s = start
        self.start = start
        self.b = 0                      # start of a known parameter
        self.v = 0                      # start of its value
        self.param = None               # the value field of the known parameter being read
        self.nm = self.tv = ""
        self.found_user = False
        self.error_headers = False
        self.pw = None                  # position of a ':' that may start a password
        self.port_no = 0
        self.state = "init"

    def set(self, name, start, end=None):
        self.f[name] = (start, self.p if end is None else end)

    # -- the cases shared by the parameter states (the C macros of the same names)
    def still_at_user(self):
        if self.found_user:
            raise _BadUri("bad char")
        ustart = self.f.get("host", (self.start, 0))[0]
        self.f.clear()                       # everything else is reset (flags are kept)
        self.proto = ""
        if self.pw is not None:
            self.set("user", ustart, self.pw)
            self.set("passwd", self.pw + 1)
        else:
            self.set("user", ustart)
        self.s = self.p + 1
        self.found_user = True
        self.error_headers = False
        self.state = "host"

    def semicolon(self):
        if self.pw is not None:
            self.found_user = True
            self.pw = None
        self.state = "param"

    def question(self):
        self.set("params", self.s)
        self.state = "headers"
        self.s = self.p + 1
        if self.pw is not None:
            self.found_user = True
            self.pw = None

    def colon(self):
        if not self.found_user:
            if self.pw is not None:
                self.found_user = True
                self.pw = None
            else:
                self.pw = self.p
        self.state = "param_p"

    def param_common(self, c) -> bool:
        if c == "@":
            self.still_at_user()
        elif c == ";":
            self.semicolon()
        elif c == "?":
            self.question()
        elif c == ":":
            self.colon()
        else:
            return False
        return True

    def value_end(self, proto=None):
        """A value ended (';', '?' or the end): store it (param_set); a complete known
        transport sets proto."""
        if self.param:
            self.set(_WHOLE[self.param], self.b)
            self.set(self.param, self.v)
        if proto:
            self.proto = proto

    def value_common(self, c, proto=None) -> bool:
        if c == "@":
            self.still_at_user()
        elif c in ";?":
            self.semicolon() if c == ";" else self.question()
            self.value_end(proto)
        elif c == ":":
            self.colon()
            self.state = "val"
        else:
            return False
        return True

    # -- one character
    def step(self, c):
        st = self.state
        if st == "init":
            if c == "[":
                self.state = "host6_p"
                self.s = self.p
            elif c in "]:":
                raise _BadUri("bad char")
            else:
                self.state = "user"
        elif st == "user":
            if c == "@":
                self.set("user", self.s)
                if self.p - self.s <= 0:
                    raise _BadUri("bad char")
                self.state, self.found_user, self.s = "host", True, self.p + 1
            elif c == ":":
                self.set("user", self.s)
                self.state, self.s = "password", self.p + 1
            elif c in ";?":
                self.set("host", self.s)
                self.state, self.s = ("param" if c == ";" else "headers"), self.p + 1
            elif c in ".-()":
                self.flags |= URI_USER_NORMALIZE
            elif c in "[]":
                raise _BadUri("bad char")
        elif st == "password":
            if c == "@":
                self.set("passwd", self.s)
                self.port_no = 0
                self.state, self.found_user, self.s = "host", True, self.p + 1
            elif c in ";?":
                self.set("port", self.s)
                self.f["host"] = self.f.pop("user")
                self.state, self.found_user, self.s = ("param" if c == ";" else "headers"), True, self.p + 1
            elif "0" <= c <= "9":
                self.port_digit(c)
            elif c in "[]:":
                raise _BadUri("bad char")
            else:
                self.port_no = 0
                self.state = "password_alpha"
        elif st == "password_alpha":
            if c == "@":
                self.set("passwd", self.s)
                self.state, self.found_user, self.s = "host", True, self.p + 1
            elif c in ";?":
                raise _BadUri("bad port")
            elif c in "[]:":
                raise _BadUri("bad char")
        elif st == "host":
            if c == "[":
                self.state = "host6_p"
            elif _is_alnum(c):
                self.state = "host_p"
            else:
                raise _BadUri("bad host")
        elif st in ("host_p", "host6_end"):
            if c in ":;?":
                self.set("host", self.s)
                self.state = {":": "port", ";": "param", "?": "headers"}[c]
                self.s = self.p + 1
            elif c in "&@":
                raise _BadUri("bad char")
            elif st == "host6_end" or not (_is_alnum(c) or c in ".-"):
                raise _BadUri("bad host")
        elif st == "host6_p":
            if c == "]":
                self.state = "host6_end"
            elif c in "[&@;?":
                raise _BadUri("bad host")
        elif st == "port":
            if c in ";?":
                self.set("port", self.s)
                self.state, self.s = ("param" if c == ";" else "headers"), self.p + 1
            elif "0" <= c <= "9":
                self.port_digit(c)
            else:
                raise _BadUri("bad port")
        elif st == "param":
            if not self.param_common(c):
                lc = _lower(c)
                if any(n.startswith(lc) for n in _URI_PARAM_NAMES):
                    self.nm, self.state, self.b = lc, "pname", self.p
                else:
                    self.state = "param_p"
        elif st == "param_p":
            self.param_common(c)
        elif st == "pname":
            self.step_name(c)
        elif st == "eq":
            if not self.param_common(c):
                self.v = self.p
                lc = _lower(c)
                if self.param == "transport_val" and any(t.startswith(lc) for t in _TRANSPORTS):
                    self.tv, self.state = lc, "tval"
                else:
                    self.state = "val"
        elif st == "tval":
            if self.tv in _TRANSPORTS:                  # udp, tcp ...: complete
                if not self.value_common(c, self.tv):
                    self.state = "val"
            elif not self.value_common(c):
                cand = self.tv + _lower(c)
                if any(t.startswith(cand) for t in _TRANSPORTS):
                    self.tv = cand
                else:
                    self.state = "val"
        elif st == "val":
            self.value_common(c)
        elif st == "headers":
            if c == "@":
                self.still_at_user()
            elif c == ";":
                if self.found_user:
                    raise _BadUri("bad char")
                self.error_headers = True
                if self.pw is not None:
                    raise _BadUri("bad headers")
            elif c == ":":
                if not self.found_user:
                    if self.pw is not None:
                        self.found_user, self.pw = True, None
                    else:
                        self.pw = self.p
            elif c == "?":
                if self.pw is not None:
                    self.found_user, self.pw = True, None

    def step_name(self, c):
        """Inside a parameter name that may be one parse_uri() knows (self.nm so far)."""
        nm = self.nm
        if nm in _URI_FLAG_PARAMS:                      # lr, r2, gr: complete
            if c == "=":
                self.param, self.state = _URI_FLAG_PARAMS[nm], "eq"
            elif self.param_common(c):
                if c in ";?":                           # the flag without a value
                    self.set(_WHOLE[_URI_FLAG_PARAMS[nm]], self.b)
            else:
                self.state = "param_p"
        elif self.param_common(c):
            pass
        elif nm in _URI_VALUE_PARAMS:                   # transport, ttl ...: need '='
            if c == "=":
                self.param, self.state = _URI_VALUE_PARAMS[nm], "eq"
            else:
                self.state = "param_p"
        else:
            cand = nm + _lower(c)
            if any(n.startswith(cand) for n in _URI_PARAM_NAMES):
                self.nm = cand
            else:
                self.state = "param_p"

    def port_digit(self, c):
        self.port_no = self.port_no * 10 + ord(c) - 48
        if self.port_no > 65535:
            raise _BadUri("bad port")

    # -- the end of the text
    def finish(self):
        st = self.state
        if st == "init":
            raise _BadUri("too short")
        if st == "user":
            if self.found_user:
                raise _BadUri("bad uri")
            self.set("host", self.s)
        elif st == "password":
            if self.found_user:
                raise _BadUri("bad port")
            self.set("port", self.s)
            self.f["host"] = self.f.pop("user")
        elif st == "password_alpha":
            if self.scheme != "urn":
                raise _BadUri("bad port")
            self.set("host", self.s)
        elif st in ("host_p", "host6_end"):
            self.set("host", self.s)
        elif st in ("host", "host6_p"):
            raise _BadUri("bad host")
        elif st == "port":
            self.set("port", self.s)
        elif st == "headers":
            self.set("headers", self.s)
            if self.error_headers:
                raise _BadUri("bad headers")
        else:
            # the C end switch misses the states of "maddr": a "bad state" error
            if st == "pname" and self.nm in _MADDR_STATES:
                raise _BadState(_MADDR_STATES[self.nm])
            if st == "eq" and self.param == "maddr_val":
                raise _BadState(42)
            self.set("params", self.s)
            if st == "val":
                self.value_end()
            elif st == "tval":
                self.value_end(self.tv if self.tv in _TRANSPORTS else None)
            elif st == "pname" and self.nm in _URI_FLAG_PARAMS:
                self.set(_WHOLE[_URI_FLAG_PARAMS[self.nm]], self.b)       # "lr" at the end
            elif st == "eq" and self.param in ("lr_val", "r2_val", "gr_val"):
                self.set(_WHOLE[self.param], self.b)                      # "lr=" at the end
