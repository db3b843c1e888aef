"""Via header bodies: a port of Kamailio 5.6.3's parse_via() (core/parser/parse_via.c).

parse_via(buf, start, end, plog) parses the Via header value starting at buf[start]
(after "Via:" and the blanks) up to and including the line end that closes the header,
and returns ([ViaBody, ...], position after the header) — one body per comma-separated
element — or (None, position where it stopped) after logging Kamailio's error lines.

The parser is Kamailio's state machine, state for state: the same characters are
accepted in the same places (line folding anywhere LWS may be, IPv6 references, nested
comments, quoted values ...), the same fields are set (including Kamailio's odd ones:
`params` often has length 0, see ViaBody), and the same errors are logged with the same
file:line and state numbers.  Kamailio is built without USE_COMP, so "comp" is an
ordinary parameter, and some parameter-name states share numbers (ALIAS1..ALIAS4 are
230..233 like FIN_HIDDEN..FIN_MADDR): ";a" is taken for "hidden", ";ali=x" for a branch —
as in Kamailio.

As in C, the message buffer is treated as NUL-terminated at `end`, and a NUL byte inside
it ends the loops that test for one (the host/port/param part and parameter values).
"""
from __future__ import annotations

import re

from ..log import L_CRIT2, L_ERR

# ---- states (numbers as in parse_via.c; they appear in error messages) -----------------------
# main via states
(F_HOST, P_HOST, L_PORT, F_PORT, P_PORT, L_PARAM, F_PARAM, P_PARAM, L_VIA, F_VIA, F_COMMENT,
 P_COMMENT, F_IP6HOST, P_IP6HOST, F_CRLF, F_LF, F_CR, END_OF_HEADER) = range(18)
# first via part
(F_SIP, SIP1, SIP2, FIN_SIP, L_VER, F_VER, VER1, VER2, FIN_VER, UDP1, UDP2, FIN_UDP, TCP_TLS1,
 TCP2, FIN_TCP, TLS2, FIN_TLS, SCTP1, SCTP2, SCTP3, FIN_SCTP, WS_WSS1, WS_WSS2, FIN_WSS,
 OTHER_PROTO, L_PROTO, F_PROTO) = range(100, 127)
# parameters (no USE_COMP: ALIAS1..ALIAS4 run into FIN_HIDDEN..FIN_MADDR)
(L_VALUE, F_VALUE, P_VALUE, P_STRING, HIDDEN1, HIDDEN2, HIDDEN3, HIDDEN4, HIDDEN5, TTL1, TTL2,
 BRANCH1, BRANCH2, BRANCH3, BRANCH4, BRANCH5, MADDR1, MADDR2, MADDR3, MADDR4, RECEIVED1,
 RECEIVED2, RECEIVED3, RECEIVED4, RECEIVED5, RECEIVED6, RECEIVED7, RPORT1, RPORT2, RPORT3,
 ALIAS1, ALIAS2, ALIAS3, ALIAS4) = range(200, 234)
(FIN_HIDDEN, FIN_TTL, FIN_BRANCH, FIN_MADDR, FIN_RECEIVED, FIN_RPORT, FIN_I,
 FIN_ALIAS) = range(230, 238)
GEN_PARAM = 253
PARAM_ERROR = 254

# parameter types (parse_via.h): the FIN_ state that recognised the name, or GEN_PARAM
(PARAM_HIDDEN, PARAM_TTL, PARAM_BRANCH, PARAM_MADDR, PARAM_RECEIVED, PARAM_RPORT, PARAM_I,
 PARAM_ALIAS) = range(230, 238)

# transport protocols (ip_addr.h PROTO_*)
PROTO_NONE, PROTO_UDP, PROTO_TCP, PROTO_TLS, PROTO_SCTP, PROTO_WS, PROTO_WSS, PROTO_OTHER = range(8)
PROTO_NAMES = {PROTO_NONE: "none", PROTO_UDP: "udp", PROTO_TCP: "tcp", PROTO_TLS: "tls",
               PROTO_SCTP: "sctp", PROTO_WS: "ws", PROTO_WSS: "wss", PROTO_OTHER: "other"}

_FILE = "parser/parse_via.c:"


class ViaParam:
    """One parameter (Kamailio's struct via_param).

    type        PARAM_BRANCH, PARAM_RECEIVED ... (230..237) or GEN_PARAM (253)
    name        the name as written
    value       the value (quotes stripped), "" for `x=""`, None without one (`x`, `x=`)
    start       offset just after the ';' (may be blank space before the name)
    size        buf[start:start + size] is the whole parameter as Kamailio delimits it
                (it can include blanks after the value; the reply code replaces
                buf[start - 1:start + size] when it rewrites rport)
    name_start, value_start   offsets of the name and of the value (None without value)
    """
    FIELDS = ("type", "name", "value", "start", "size", "name_start", "value_start",
              "_name_len", "_value_len")
    type = PARAM_ERROR
    name = ""
    value = name_start = value_start = None
    size = _name_len = _value_len = 0

    def __init__(self, start):
        self.start = start

    def __repr__(self):
        return f"<ViaParam {self.name}={self.value!r}>"


class ViaBody:
    """Kamailio's struct via_body.  Offsets are into the message buffer.

    hdr_name                   "Via" or "v" as written (set by the message parser)
    name, version, transport   "SIP", "2.0", "UDP" as written
    protoid, proto             PROTO_UDP ... PROTO_OTHER and its name "udp", "tcp", "tls",
                               "sctp", "ws", "wss" or "other"
    host                       host as written (IPv6 with brackets); None when Kamailio has no
                               host pointer, "" when it has one of length 0
    port_str, port             port text (None without) and number (0 without a port; like
                               Kamailio's str2s(), 5 digits at most, taken modulo 65536)
    params                     Kamailio's vb->params: buf[params_start:params_start + len]
                               where len is only set when the parameters end at ',' or '(',
                               or with a value-less parameter at the line end — so it is ""
                               for the usual "...;branch=z9hG4bK1\\r\\n".  None without params
    param_list                 [ViaParam] in order
    branch, received, rport, i, alias   the last parameter of that type, or None (as C)
    maddr, ttl                 the same for maddr and ttl (no such shortcut in Kamailio)
    comment                    text inside (...) (nested parentheses kept) or None
    start, bsize               Kamailio's bstart and bsize: buf[start:start + bsize] is the
                               body up to the next body (after ',' and blanks) or past the
                               line end of the header
    name_start                 offset of "SIP" (the body text $hfl(Via) shows starts here)
    host_start                 offset of the host (None without)
    params_start               offset just after the first ';' (Kamailio's params.s)
    end                        offset just after this body's text (before blanks, ',' or the
                               line end)
    """
    FIELDS = ("hdr_name", "name", "version", "transport", "protoid", "proto", "host",
              "port_str", "port", "params", "param_list", "branch", "received", "rport", "i",
              "alias", "maddr", "ttl", "comment", "start", "bsize", "name_start",
              "host_start", "params_start", "end",
              "_name_len", "_version_start", "_version_len", "_transport_start",
              "_transport_len", "_host_len", "_port_start", "_port_len", "_params_len",
              "_comment_start", "_comment_len")
    # class defaults: a body costs one dict on creation (this runs for every message)
    hdr_name = name = version = transport = proto = host = port_str = params = None
    branch = received = rport = i = alias = maddr = ttl = comment = None
    start = bsize = name_start = host_start = params_start = end = None
    _version_start = _transport_start = _port_start = _comment_start = None
    protoid = PROTO_NONE
    port = 0
    _name_len = _version_len = _transport_len = _host_len = _port_len = _params_len = _comment_len = 0

    def __init__(self):
        self.param_list = []

    def __repr__(self):
        return (f"<Via {self.name}/{self.version}/{self.transport} {self.host}"
                f"{':' + self.port_str if self.port_str else ''} {self.param_list!r}>")

    def _finish(self, buf):
        """Turn the (start, len) pairs into strings, like reading the C str fields."""
        def text(s, n):
            return None if s is None else buf[s:s + n]
        self.name = text(self.name_start, self._name_len)
        self.version = text(self._version_start, self._version_len)
        self.transport = text(self._transport_start, self._transport_len)
        self.proto = PROTO_NAMES[self.protoid]
        self.host = text(self.host_start, self._host_len)
        self.port_str = text(self._port_start, self._port_len)
        self.params = text(self.params_start, self._params_len)
        self.comment = text(self._comment_start, self._comment_len)
        for p in self.param_list:
            p.name = text(p.name_start, p._name_len) or ""
            p.value = text(p.value_start, p._value_len)
        self.end = self.start + len(buf[self.start:self.start + self.bsize].rstrip(" \t\r\n,"))


def _str2s(s: str):
    """ut.h str2s(): digits only, at most 5, in an unsigned short.  (value, error)."""
    ret = 0
    for i, c in enumerate(s):
        if "0" <= c <= "9":
            ret = (ret * 10 + ord(c) - 48) & 0xFFFF
            if i >= 5:
                return 0, True
        else:
            return 0, True
    return ret, False


# the 15 transport states in which an unexpected character makes the transport "other"
_PROTO_STATES = frozenset((UDP1, UDP2, FIN_UDP, TCP_TLS1, TCP2, FIN_TCP, TLS2, FIN_TLS, SCTP1,
                           SCTP2, SCTP3, FIN_SCTP, WS_WSS1, WS_WSS2, FIN_WSS))
# end of the transport word: state -> protocol
_PROTO_END = {FIN_UDP: PROTO_UDP, FIN_TCP: PROTO_TCP, FIN_TLS: PROTO_TLS, FIN_SCTP: PROTO_SCTP,
              WS_WSS2: PROTO_WS, FIN_WSS: PROTO_WSS, OTHER_PROTO: PROTO_OTHER,
              UDP1: PROTO_OTHER, UDP2: PROTO_OTHER, TCP_TLS1: PROTO_OTHER, TCP2: PROTO_OTHER,
              TLS2: PROTO_OTHER, SCTP1: PROTO_OTHER, SCTP2: PROTO_OTHER, SCTP3: PROTO_OTHER,
              WS_WSS1: PROTO_OTHER}
# first-part characters with their own case: char -> ({state: next state}, line of LM_ERR)
_FIRST_CASES = {
    "s": ({F_SIP: SIP1, TLS2: FIN_TLS, WS_WSS1: WS_WSS2, WS_WSS2: FIN_WSS, F_PROTO: SCTP1}, 1681),
    "i": ({SIP1: SIP2}, 1711),
    "p": ({SIP2: FIN_SIP, UDP2: FIN_UDP, TCP2: FIN_TCP, SCTP3: FIN_SCTP}, 1748),
    "u": ({F_PROTO: UDP1}, 1779),
    "d": ({UDP1: UDP2}, 1808),
    "t": ({F_PROTO: TCP_TLS1, SCTP2: SCTP3}, 1841),
    "c": ({TCP_TLS1: TCP2, SCTP1: SCTP2}, 1872),
    "l": ({TCP_TLS1: TLS2}, 1901),
    "w": ({F_PROTO: WS_WSS1}, 1932),
    "2": ({F_VER: VER1}, 1963),
    ".": ({VER1: VER2}, 1992),
    "0": ({VER2: FIN_VER}, 2021),
}
for _k in "siupdtclw":
    _FIRST_CASES[_k.upper()] = _FIRST_CASES[_k]
_FIRST_DEFAULT = ({F_PROTO: OTHER_PROTO}, 2051)

# parameter names: the first letter (state F_PARAM) and the letters that move on
_PNAME_FIRST = {"h": HIDDEN1, "i": FIN_I, "t": TTL1, "m": MADDR1, "a": ALIAS1, "r": RECEIVED1,
                "b": BRANCH1}
_PNAME_NEXT = {
    "h": {BRANCH5: FIN_BRANCH},
    "i": {HIDDEN1: HIDDEN2, RECEIVED4: RECEIVED5, ALIAS2: ALIAS3},
    "d": {HIDDEN2: HIDDEN3, HIDDEN3: HIDDEN4, MADDR2: MADDR3, MADDR3: MADDR4,
          RECEIVED7: FIN_RECEIVED},
    "e": {HIDDEN4: HIDDEN5, RECEIVED1: RECEIVED2, RECEIVED3: RECEIVED4, RECEIVED6: RECEIVED7},
    "n": {HIDDEN5: FIN_HIDDEN, BRANCH3: BRANCH4},
    "t": {TTL1: TTL2, RPORT3: FIN_RPORT},
    "l": {TTL2: FIN_TTL, ALIAS1: ALIAS2},
    "a": {MADDR1: MADDR2, BRANCH2: BRANCH3, ALIAS3: ALIAS4},
    "r": {MADDR4: FIN_MADDR, BRANCH1: BRANCH2, RPORT2: RPORT3},
    "c": {RECEIVED2: RECEIVED3, BRANCH4: BRANCH5},
    "v": {RECEIVED5: RECEIVED6},
    "p": {RECEIVED1: RPORT1},
    "o": {RPORT1: RPORT2},
    "s": {ALIAS4: FIN_ALIAS},
}
for _k in list(_PNAME_FIRST):
    _PNAME_FIRST[_k.upper()] = _PNAME_FIRST[_k]
for _k in list(_PNAME_NEXT):
    _PNAME_NEXT[_k.upper()] = _PNAME_NEXT[_k]
_EMPTY = {}

_CRLF_STATES = (F_CR, F_LF, F_CRLF)
_VALUE_FIN = (FIN_BRANCH, FIN_TTL, FIN_MADDR, FIN_RECEIVED, FIN_RPORT, FIN_I)
_OK_END = frozenset((P_HOST, L_PORT, P_PORT, L_PARAM, P_PARAM, P_VALUE, GEN_PARAM, FIN_HIDDEN,
                     L_VIA))


def _log(plog, level, line, text):
    if plog is not None:
        plog.core(level, _FILE + str(line), "parse_via", text)


def _plog(plog, level, line, text):
    """A message of parse_via_param()."""
    if plog is not None:
        plog.core(level, _FILE + str(line), "parse_via_param", text)


def _cstr(s: str) -> str:
    i = s.find("\0")
    return s if i < 0 else s[:i]


def _parse_via_param(buf, p, end, state, saved_state, param, plog):
    """parse_via_param(): one parameter from buf[p] (its first character; state F_PARAM).
    Returns (position, state, saved_state) — state L_PARAM, F_PARAM, F_VIA, F_LF, F_CR or
    END_OF_HEADER, or PARAM_ERROR after logging."""
    param.type = PARAM_ERROR
    tmp = p
    find_value = False
    exit_kind = None           # "param" (endofparam/endofvalue), "end_via", "error"
    while tmp < end:
        c = buf[tmp]
        if c == " " or c == "\t":
            if state == FIN_HIDDEN or state == FIN_ALIAS:
                param.type = state
                param._name_len = tmp - param.name_start
                state = L_PARAM
                exit_kind = "param"
                break
            if state in _VALUE_FIN:
                param.type = state
                param._name_len = tmp - param.name_start
                state = L_VALUE
                find_value = True
                break
            if state == F_PARAM:
                pass
            elif state in _CRLF_STATES:
                state = saved_state
            else:
                param.type = GEN_PARAM
                param._name_len = tmp - param.name_start
                state = L_VALUE
                find_value = True
                break
        elif c == "\n" or c == "\r":
            lf = c == "\n"
            crlf_state = F_LF if lf else F_CR
            if state == FIN_HIDDEN or state == FIN_ALIAS:
                param.type = state
                param._name_len = tmp - param.name_start
                param.size = tmp - param.start
                saved_state = L_PARAM
                state = crlf_state
                exit_kind = "param"
                break
            if state in _VALUE_FIN:
                param.type = state
                param._name_len = tmp - param.name_start
                param.size = tmp - param.start
                saved_state = L_VALUE
                state = crlf_state
                find_value = True
                break
            if state == F_PARAM:
                saved_state = state
                state = crlf_state
            elif lf and (state == F_LF or state == F_CRLF):
                state = END_OF_HEADER
                exit_kind = "end_via"
                break
            elif lf and state == F_CR:
                state = F_CRLF
            elif not lf and (state == F_CR or state == F_CRLF):
                state = END_OF_HEADER
                exit_kind = "end_via"
                break
            else:
                param.type = GEN_PARAM
                saved_state = L_VALUE
                param._name_len = tmp - param.name_start
                param.size = tmp - param.start
                state = crlf_state
                find_value = True
                break
        elif c == "=":
            if state in _VALUE_FIN:
                param.type = state
                param._name_len = tmp - param.name_start
                state = F_VALUE
                find_value = True
                break
            if state == F_PARAM or state == FIN_HIDDEN or state == FIN_ALIAS:
                _plog(plog, L_ERR, 440, f"invalid char <{c}> in state {state}")
                exit_kind = "error"
                break
            if state in _CRLF_STATES:
                state = END_OF_HEADER
                exit_kind = "end_via"
                break
            param.type = GEN_PARAM
            param._name_len = tmp - param.name_start
            state = F_VALUE
            find_value = True
            break
        elif c == ";" or c == ",":
            semi = c == ";"
            if state == FIN_HIDDEN or state == FIN_RPORT or state == FIN_ALIAS:
                param.type = state
                param._name_len = tmp - param.name_start
                state = F_PARAM if semi else F_VIA
                exit_kind = "param"
                break
            if state in (FIN_BRANCH, FIN_MADDR, FIN_TTL, FIN_RECEIVED, FIN_I):
                if semi:
                    _plog(plog, L_ERR, 472, f"invalid char <{c}> in state {state}")
                else:
                    _plog(plog, L_ERR, 504,
                         f"new via found(',') when '=' expected (state {state}=)")
                exit_kind = "error"
                break
            if state in _CRLF_STATES:
                state = END_OF_HEADER
                exit_kind = "end_via"
                break
            param.type = GEN_PARAM
            param._name_len = tmp - param.name_start
            state = F_PARAM if semi else F_VIA
            exit_kind = "param"
            break
        else:
            # letters of the known names, and every other character
            if state == F_PARAM:
                state = _PNAME_FIRST.get(c, GEN_PARAM)
                param.name_start = tmp
            elif state == GEN_PARAM:
                pass
            elif state in _CRLF_STATES:
                state = END_OF_HEADER
                exit_kind = "end_via"
                break
            else:
                state = _PNAME_NEXT.get(c, _EMPTY).get(state, GEN_PARAM)
        tmp += 1
    else:
        # end of the packet in the name: no CR/LF, ',' found
        saved_state = state
        state = END_OF_HEADER
        exit_kind = "error"

    if find_value:
        tmp += 1
        while True:
            if tmp >= end or buf[tmp] == "\0":
                saved_state = state
                state = END_OF_HEADER
                exit_kind = "error"
                break
            c = buf[tmp]
            if c == " " or c == "\t":
                if state == L_VALUE or state == F_VALUE:
                    pass
                elif state == P_VALUE:
                    state = L_PARAM
                    param._value_len = tmp - param.value_start
                    exit_kind = "param"
                    break
                elif state == P_STRING:
                    pass
                elif state in _CRLF_STATES:
                    state = saved_state
                else:
                    _plog(plog, L_ERR, 982, f"invalid char <{c}> in state {state}")
                    exit_kind = "error"
                    break
            elif c == "\n" or c == "\r":
                lf = c == "\n"
                crlf_state = F_LF if lf else F_CR
                if state in (L_VALUE, F_VALUE, P_STRING):
                    saved_state = state
                    param.size = tmp - param.start
                    state = crlf_state
                elif state == P_VALUE:
                    saved_state = L_PARAM
                    state = crlf_state
                    param._value_len = tmp - param.value_start
                    exit_kind = "param"
                    break
                elif lf and state == F_CR:
                    state = F_CRLF
                elif state in _CRLF_STATES:
                    state = END_OF_HEADER
                    exit_kind = "end_via"
                    break
                else:
                    _plog(plog, L_ERR, 1031 if lf else 1078, f"invalid char <{c}> in state {state}")
                    exit_kind = "error"
                    break
            elif c == "=":
                if state == L_VALUE:
                    state = F_VALUE
                elif state == P_STRING:
                    pass
                elif state in _CRLF_STATES:
                    state = END_OF_HEADER
                    exit_kind = "end_via"
                    break
                else:
                    _plog(plog, L_ERR, 1103, f"invalid char <{c}> in state {state}")
                    exit_kind = "error"
                    break
            elif c == ";":
                if state == P_VALUE:
                    param._value_len = tmp - param.value_start
                    state = F_PARAM
                    exit_kind = "param"
                    break
                if state == F_VALUE:
                    param._value_len = 0
                    state = F_PARAM
                    exit_kind = "param"
                    break
                if state == P_STRING:
                    pass
                elif state in _CRLF_STATES:
                    state = END_OF_HEADER
                    exit_kind = "end_via"
                    break
                elif state == L_VALUE:
                    param._value_len = 0
                    param.value_start = None
                    state = F_PARAM
                    exit_kind = "param"
                    break
                else:
                    _plog(plog, L_ERR, 1158, f"invalid char <{c}> in state {state}")
                    exit_kind = "error"
                    break
            elif c == ",":
                if state == P_VALUE:
                    param._value_len = tmp - param.value_start
                    state = F_VIA
                    exit_kind = "param"
                    break
                if state == P_STRING or state in _CRLF_STATES:
                    state = END_OF_HEADER
                    exit_kind = "end_via"
                    break
                if state == L_VALUE and param.type == FIN_RPORT:
                    param._value_len = 0
                    param.value_start = None
                    state = F_VIA
                    exit_kind = "param"
                    break
                _plog(plog, L_ERR, 1211, f"invalid char <{c}> in state {state}")
                exit_kind = "error"
                break
            elif c == '"':
                if state == F_VALUE:
                    state = P_STRING
                    param.value_start = tmp + 1
                elif state == P_STRING:
                    state = L_PARAM
                    param._value_len = tmp - param.value_start
                    exit_kind = "param"
                    break
                elif state in _CRLF_STATES:
                    state = END_OF_HEADER
                    exit_kind = "end_via"
                    break
                else:
                    _plog(plog, L_ERR, 1231, f"invalid char <{c}> in state {state}")
                    exit_kind = "error"
                    break
            else:
                if state == F_VALUE:
                    state = P_VALUE
                    param.value_start = tmp
                elif state == P_VALUE or state == P_STRING:
                    pass
                elif state in _CRLF_STATES:
                    state = END_OF_HEADER
                    exit_kind = "end_via"
                    break
                else:
                    _plog(plog, L_ERR, 1282, f"invalid char <{c}> in state {state}")
                    exit_kind = "error"
                    break
            tmp += 1

    if exit_kind == "param":
        param.size = tmp - param.start
        return tmp, state, saved_state
    if exit_kind == "end_via":
        # an "unexpected" end of the header: fine only for a parameter that may lack a value
        if param.type == GEN_PARAM or param.type == PARAM_RPORT:
            return tmp, state, L_PARAM
    _plog(plog, L_ERR, 1324, "failure parsing via param")
    param.type = PARAM_ERROR
    return tmp, PARAM_ERROR, state


def _parse_body(buf, buffer, end, vb, plog):
    """One via body from buf[buffer]: ("end" | "next" | "error", position)."""
    # ---- SIP / 2.0 / TRANSPORT ---------------------------------------------------------------
    state = F_SIP
    saved_state = F_SIP
    tmp = buffer
    main_via = False
    while tmp < end:
        c = buf[tmp]
        if c == " " or c == "\t":
            if state in (L_VER, L_PROTO, F_SIP, F_VER, F_PROTO):
                pass
            elif state in _PROTO_END:
                vb._transport_len = tmp - vb._transport_start
                vb.protoid = _PROTO_END[state]
                state = F_HOST
                main_via = True
                break
            elif state == FIN_SIP:
                vb._name_len = tmp - vb.name_start
                state = L_VER
            elif state == FIN_VER:
                vb._version_len = tmp - vb._version_start
                state = L_PROTO
            elif state in _CRLF_STATES:
                state = saved_state
            else:
                _log(plog, L_ERR, 1437, f"bad char <{c}> on state {state}")
                return "error", tmp
        elif c == "\n" or c == "\r":
            lf = c == "\n"
            crlf_state = F_LF if lf else F_CR
            if state in (L_VER, F_SIP, F_VER, F_PROTO, L_PROTO):
                saved_state = state
                state = crlf_state
            elif state in _PROTO_END:
                vb._transport_len = tmp - vb._transport_start
                vb.protoid = _PROTO_END[state]
                state = crlf_state
                saved_state = F_HOST
                main_via = True
                break
            elif state == FIN_SIP:
                vb._name_len = tmp - vb.name_start
                state = crlf_state
                saved_state = L_VER
            elif state == FIN_VER:
                vb._version_len = tmp - vb._version_start
                state = crlf_state
                saved_state = L_PROTO
            elif lf and state == F_CR:
                state = F_CRLF
            elif state in _CRLF_STATES:
                state = saved_state
                return _end_of_header(buf, buffer, tmp, state, vb, plog)
            else:
                _log(plog, L_ERR, 1530 if lf else 1617, f"bad char <{c}> on state {state}")
                return "error", tmp
        elif c == "/":
            if state == FIN_SIP:
                vb._name_len = tmp - vb.name_start
                state = F_VER
            elif state == FIN_VER:
                vb._version_len = tmp - vb._version_start
                state = F_PROTO
            elif state == L_VER:
                state = F_VER
            elif state == L_PROTO:
                state = F_PROTO
            else:
                _log(plog, L_ERR, 1639, f"bad char <{c}> on state {state}")
                return "error", tmp
        else:
            moves, line = _FIRST_CASES.get(c, _FIRST_DEFAULT)
            nxt = moves.get(state)
            if nxt is not None:
                if state == F_SIP:
                    vb.name_start = tmp
                elif state == F_VER:
                    vb._version_start = tmp
                elif state == F_PROTO:
                    vb._transport_start = tmp
                state = nxt
            elif state == OTHER_PROTO:
                pass
            elif state in _PROTO_STATES:
                state = OTHER_PROTO
            else:
                _log(plog, L_ERR, line, f"bad char <{c}> on state {state}")
                return "error", tmp
        tmp += 1
    if not main_via:
        _log(plog, L_ERR, 2059, f"bad via: end of packet on state={state}")
        return "error", tmp

    # ---- host [:port] [;params] [(comment)] [, next body] --------------------------------------
    tmp += 1
    c_nest = 0
    param_start = None
    while tmp < end:
        c = buf[tmp]
        if c == "\0":
            break
        if c == " " or c == "\t":
            if state == P_HOST:
                if vb.host_start is not None:
                    vb._host_len = tmp - vb.host_start
                state = L_PORT
            elif state == P_PORT:
                if vb._port_start is not None:
                    vb._port_len = tmp - vb._port_start
                state = L_PARAM
            elif state == P_PARAM:
                state = L_PARAM
            elif state in (F_HOST, L_PORT, F_PORT, L_PARAM, F_PARAM, L_VIA, F_VIA, F_COMMENT,
                           P_COMMENT):
                pass
            elif state == F_IP6HOST or state == P_IP6HOST:
                _log(plog, L_ERR, 2102, "bad ipv6 reference")
                return "error", tmp
            elif state in _CRLF_STATES:
                state = saved_state
            else:
                _log(plog, L_CRIT2, 2111, f"BUG: parsing via on <{c}>, state={state}")
                return "error", tmp
        elif c == "\n" or c == "\r":
            lf = c == "\n"
            crlf_state = F_LF if lf else F_CR
            if state in (F_HOST, L_PORT, F_PORT, L_PARAM, F_PARAM, F_VIA, L_VIA, F_COMMENT,
                         P_COMMENT, F_IP6HOST, P_IP6HOST):
                saved_state = state
                state = crlf_state
            elif state == P_HOST:
                if vb.host_start is not None:
                    vb._host_len = tmp - vb.host_start
                saved_state = L_PORT
                state = crlf_state
            elif state == P_PORT:
                if vb._port_start is not None:
                    vb._port_len = tmp - vb._port_start
                saved_state = L_PARAM
                state = crlf_state
            elif state == P_PARAM:
                saved_state = L_PARAM
                state = crlf_state
            elif lf and state == F_CR:
                state = F_CRLF
            elif state in _CRLF_STATES:
                state = saved_state
                return _end_of_header(buf, buffer, tmp, state, vb, plog)
            else:
                _log(plog, L_CRIT2, 2157 if lf else 2200, f"BUG: parsing via on <{c}>")
                return "error", tmp
        elif c == ":":
            if state == F_HOST or state == F_IP6HOST:
                state = P_IP6HOST
            elif state == P_IP6HOST:
                pass
            elif state == P_HOST:
                if vb.host_start is not None:
                    vb._host_len = tmp - vb.host_start
                state = F_PORT
            elif state == L_PORT:
                state = F_PORT
            elif state == P_PORT:
                _log(plog, L_ERR, 2222, "bad port")
                return "error", tmp
            elif state in (L_PARAM, F_PARAM, F_PORT, P_PARAM):
                _log(plog, L_ERR, 2228, f"bad char <{c}> in state {state}")
                return "error", tmp
            elif state == L_VIA or state == F_VIA:
                _log(plog, L_ERR, 2232, "bad char in compact via")
                return "error", tmp
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            elif state == F_COMMENT:
                vb._comment_start = tmp
                state = P_COMMENT
            elif state == P_COMMENT:
                pass
            else:
                _log(plog, L_CRIT2, 2246, f"on <{c}> state {state}")
                return "error", tmp
        elif c == ";":
            if state == F_HOST or state == F_IP6HOST:
                _log(plog, L_ERR, 2254, "no host found")
                return "error", tmp
            elif state == P_IP6HOST:
                _log(plog, L_ERR, 2257, "bad ipv6 reference")
                return "error", tmp
            elif state == P_HOST:
                if vb.host_start is not None:
                    vb._host_len = tmp - vb.host_start
                state = F_PARAM
                param_start = tmp + 1
            elif state in (P_PORT, L_PORT, L_PARAM):
                if state == P_PORT and vb._port_start is not None:
                    vb._port_len = tmp - vb._port_start
                state = F_PARAM
                param_start = tmp + 1
            elif state == F_PORT:
                _log(plog, L_ERR, 2273, f"bad char <{c}> in state {state}")
                return "error", tmp
            elif state == F_PARAM:
                _log(plog, L_ERR, 2276, "null param?")
                return "error", tmp
            elif state == P_PARAM:
                state = F_PARAM
                param_start = tmp + 1
            elif state == L_VIA or state == F_VIA:
                _log(plog, L_ERR, 2285, f"bad char <{c}> in next via")
                return "error", tmp
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            elif state == F_COMMENT:
                vb._comment_start = tmp
                state = P_COMMENT
            elif state == P_COMMENT:
                pass
            else:
                _log(plog, L_CRIT2, 2300, f"BUG: parsing via on <{c}> state {state}")
                return "error", tmp
        elif c == ",":
            if state == F_HOST or state == F_IP6HOST:
                _log(plog, L_ERR, 2309, "no host found")
                return "error", tmp
            elif state == P_IP6HOST:
                _log(plog, L_ERR, 2312, "bad ipv6 reference")
                return "error", tmp
            elif state == P_HOST:
                if vb.host_start is not None:
                    vb._host_len = tmp - vb.host_start
                state = F_VIA
            elif state == P_PORT:
                if vb._port_start is not None:
                    vb._port_len = tmp - vb._port_start
                state = F_VIA
            elif state in (L_PORT, L_PARAM, P_PARAM, L_VIA):
                state = F_VIA
            elif state == F_PORT or state == F_PARAM:
                _log(plog, L_ERR, 2332, f"invalid char <{c}> in state {state}")
                return "error", tmp
            elif state == F_VIA:
                pass
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            elif state == F_COMMENT:
                vb._comment_start = tmp
                state = P_COMMENT
            elif state == P_COMMENT:
                pass
            else:
                _log(plog, L_CRIT2, 2349, f"BUG: parsing via on <{c}> state {state}")
                return "error", tmp
        elif c == "(":
            if state in (F_HOST, F_PORT, F_PARAM, F_VIA, F_IP6HOST, P_IP6HOST):
                _log(plog, L_ERR, 2362, f"parsing via on <{c}> state {state}")
                return "error", tmp
            elif state == P_HOST:
                if vb.host_start is not None:
                    vb._host_len = tmp - vb.host_start
                state = F_COMMENT
                c_nest += 1
            elif state == P_PORT:
                if vb._port_start is not None:
                    vb._port_len = tmp - vb._port_start
                state = F_COMMENT
                c_nest += 1
            elif state in (P_PARAM, L_PORT, L_PARAM, L_VIA):
                if vb.params_start is not None:
                    vb._params_len = tmp - vb.params_start
                state = F_COMMENT
                c_nest += 1
            elif state == P_COMMENT or state == F_COMMENT:
                c_nest += 1
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            else:
                _log(plog, L_CRIT2, 2399, f"BUG: parsing via on <{c}> state {state}")
                return "error", tmp
        elif c == ")":
            if state == F_COMMENT or state == P_COMMENT:
                if c_nest:
                    c_nest -= 1
                    if c_nest == 0:
                        state = L_VIA
                        if vb._comment_start is not None:
                            vb._comment_len = tmp - vb._comment_start
                else:
                    _log(plog, L_ERR, 2416, f"parsing via: missing '(' - nesting = {c_nest}")
                    return "error", tmp
            elif state in (F_HOST, F_PORT, F_PARAM, F_VIA, P_HOST, P_PORT, P_PARAM, L_PORT,
                           L_PARAM, L_VIA, F_IP6HOST, P_IP6HOST):
                _log(plog, L_ERR, 2433, f"parsing via on <{c}> state {state}")
                return "error", tmp
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            else:
                _log(plog, L_CRIT2, 2441, f"BUG: parsing via on <{c}> state {state}")
                return "error", tmp
        elif c == "[":
            if state == F_HOST:
                vb.host_start = tmp
                state = F_IP6HOST
            elif state == F_COMMENT:
                vb._comment_start = tmp
                state = P_COMMENT
            elif state == P_COMMENT:
                pass
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            else:
                _log(plog, L_ERR, 2464, f"parsing via on <{c}> state {state}")
                return "error", tmp
        elif c == "]":
            if state == P_IP6HOST:
                if vb.host_start is not None:
                    vb._host_len = tmp - vb.host_start + 1
                state = L_PORT
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            elif state == F_COMMENT:
                vb._comment_start = tmp
                state = P_COMMENT
            elif state == P_COMMENT:
                pass
            else:
                _log(plog, L_ERR, 2487, f"parsing via on <{c}> state {state}")
                return "error", tmp
        else:
            if state == F_HOST:
                state = P_HOST
                vb.host_start = tmp
            elif state == P_HOST or state == P_PORT or state == P_PARAM:
                pass
            elif state == F_PORT:
                state = P_PORT
                vb._port_start = tmp
            elif state == F_PARAM:
                if vb.params_start is None:
                    vb.params_start = param_start
                param = ViaParam(param_start)
                tmp, state, saved_state = _parse_via_param(buf, tmp, end, state, saved_state,
                                                           param, plog)
                if state == F_PARAM:
                    param_start = tmp + 1
                elif state in (L_PARAM, F_LF, F_CR):
                    pass
                elif state == F_VIA or state == END_OF_HEADER:
                    vb._params_len = param.start + param.size - vb.params_start
                elif state == PARAM_ERROR:
                    return "error", tmp
                else:
                    ch = buf[tmp] if tmp < end else "\0"
                    _log(plog, L_ERR, 2541, "parsing via after parse_via_param: invalid char "
                         f"<{ch}> on state {state}")
                    return "error", tmp
                vb.param_list.append(param)
                t = param.type
                if t == PARAM_BRANCH:
                    vb.branch = param
                elif t == PARAM_RECEIVED:
                    vb.received = param
                elif t == PARAM_RPORT:
                    vb.rport = param
                elif t == PARAM_I:
                    vb.i = param
                elif t == PARAM_ALIAS:
                    vb.alias = param
                elif t == PARAM_MADDR:
                    vb.maddr = param
                elif t == PARAM_TTL:
                    vb.ttl = param
                if state == END_OF_HEADER:
                    return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            elif state == F_VIA:
                return _next_via(buf, buffer, tmp, vb, plog)
            elif state in (L_PORT, L_PARAM, L_VIA):
                _log(plog, L_ERR, 2606, f"parsing via on <{c}> state {state} (default)")
                return "error", tmp
            elif state == F_COMMENT:
                state = P_COMMENT
                vb._comment_start = tmp
            elif state == P_COMMENT:
                pass
            elif state == F_IP6HOST:
                state = P_IP6HOST
            elif state == P_IP6HOST:
                pass
            elif state in _CRLF_STATES:
                return _end_of_header(buf, buffer, tmp, saved_state, vb, plog)
            else:
                _log(plog, L_ERR, 2626, f"BUG: parsing via - invalid char <{c}> in state {state}")
                return "error", tmp
        tmp += 1
    # end of the packet (or a NUL byte): judged by the state reached
    return _end_of_header(buf, buffer, tmp, state, vb, plog)


def _end_of_header(buf, buffer, tmp, state, vb, plog):
    """endofheader/endofpacket: the header is fine if it ended in a state that completes a
    body; then the port is converted."""
    if state not in _OK_END:
        _log(plog, L_ERR, 2654, f"invalid via - end of header in state {state}")
        return "error", tmp
    return _body_done(buf, buffer, tmp, vb, plog, "end", 2675)


def _next_via(buf, buffer, tmp, vb, plog):
    return _body_done(buf, buffer, tmp, vb, plog, "next", 2689)


def _body_done(buf, buffer, tmp, vb, plog, kind, port_line):
    vb.start = buffer
    vb.bsize = tmp - buffer
    if vb._port_start is not None:
        text = buf[vb._port_start:vb._port_start + vb._port_len]
        vb.port, err = _str2s(text)
        if err:
            _log(plog, L_ERR, port_line, f"invalid port number <{_cstr(text)}>")
            return "error", tmp
    return kind, tmp


def parse_via(buf: str, start: int, end: int, plog=None):
    """Parse the Via header value at buf[start:end] (Kamailio's parse_via()).

    Returns ([ViaBody, ...], position after the header's line end) or, after logging
    Kamailio's error lines, (None, position where the parser stopped)."""
    bodies = []
    buffer = start
    while True:
        vb = ViaBody()
        kind, tmp = _parse_body(buf, buffer, end, vb, plog)
        if kind == "error":
            if plog is not None:
                if end > buffer:
                    _log(plog, L_ERR, 2706, f"parsing via on: <{_cstr(buf[buffer:end])}>")
                if buffer < tmp < end:
                    _log(plog, L_ERR, 2709,
                         f"parse error, parsed so far:<{_cstr(buf[buffer:tmp])}>")
                else:
                    _log(plog, L_ERR, 2712, "via parse error")
            return None, tmp
        vb._finish(buf)
        bodies.append(vb)
        if kind == "end":
            return bodies, tmp
        buffer = tmp


# ---- the quick path -------------------------------------------------------------------------------
# One regex step for the usual single-line Via ("SIP/2.0/UDP host:port;branch=...;rport");
# it builds exactly what the state machine builds (tests/sip/test_via.py checks the two
# agree), and returns None for anything else so the state machine decides.
_QUICK_RE = re.compile(
    r"(SIP)/(2\.0)/(UDP|TCP|TLS|SCTP|WSS|WS) ([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?"
    r"((?:;[A-Za-z0-9_.~+!%*-]+(?:=[A-Za-z0-9_.~+!%*-]+)?)*)\r\n")
_QUICK_PROTOS = {"UDP": PROTO_UDP, "TCP": PROTO_TCP, "TLS": PROTO_TLS, "SCTP": PROTO_SCTP,
                 "WS": PROTO_WS, "WSS": PROTO_WSS}
# only the everyday parameters; the others (i, alias, maddr, ttl, hidden) have odd corners
_QUICK_TYPES = {"branch": PARAM_BRANCH, "received": PARAM_RECEIVED, "rport": PARAM_RPORT}


def quick_via(buf: str, start: int, end: int):
    """([ViaBody], position after the header) for a plain one-line Via at buf[start:end],
    or None."""
    m = _QUICK_RE.match(buf, start, end)
    if m is None or m.end() != end:
        return None
    name, version, transport, host, port, params = m.groups()
    vb = ViaBody()
    if params:
        plist = vb.param_list
        pos = m.start(6)
        vb.params_start = pos + 1
        last_has_value = True
        for text in params[1:].split(";"):
            pos += 1                                   # the ';'
            pname, eq, value = text.partition("=")
            ptype = _QUICK_TYPES.get(pname.lower())
            if ptype is None:
                if pname[0] in "hitmarbHITMARB":       # a prefix of a special name: odd states
                    return None
                ptype = GEN_PARAM
            elif not value and (eq or ptype != PARAM_RPORT):
                return None                            # branch= and received= need a value
            elif ptype == PARAM_BRANCH:
                vb.branch = p = ViaParam(pos)
            elif ptype == PARAM_RPORT:
                vb.rport = p = ViaParam(pos)
            else:
                vb.received = p = ViaParam(pos)
            if ptype == GEN_PARAM:
                if eq and not value:
                    return None
                p = ViaParam(pos)
            p.type = ptype
            p.name = pname
            p.name_start = pos
            p._name_len = len(pname)
            p.size = len(text)
            if eq:
                p.value = value
                p.value_start = pos + len(pname) + 1
                p._value_len = len(value)
            plist.append(p)
            last_has_value = bool(eq)
            pos += len(text)
        if not last_has_value:
            vb._params_len = pos - vb.params_start
            vb.params = params[1:]
        else:
            vb.params = ""
    vb.name, vb.version, vb.transport = name, version, transport
    vb.name_start = vb.start = start
    vb._name_len = 3
    vb._version_start, vb._version_len = m.start(2), 3
    vb._transport_start, vb._transport_len = m.start(3), len(transport)
    vb.protoid = protoid = _QUICK_PROTOS[transport]
    vb.proto = PROTO_NAMES[protoid]
    vb.host = host
    vb.host_start = m.start(4)
    vb._host_len = len(host)
    if port is not None:
        vb.port_str = port
        vb._port_start, vb._port_len = m.start(5), len(port)
        vb.port = int(port) & 0xFFFF
    vb.bsize = end - start
    vb.end = m.end(6) if params else (m.end(5) if port is not None else m.end(4))
    return [vb], end
