"""SIP test cases for modules that read and change messages (textops, siputils, maxfwd,
sanity), recorded once from the real Kamailio and replayed in-process against kamlite.

A Group is one config: module parameters (`top`) and named cases.  Each case is a route
body run for the requests whose Call-ID is the case name (request_route calls
route($var(case)) with $var(case) = $ci: route($ci) itself hits a Kamailio bug, the
name runs to the end of the buffer); under Kamailio the request is then forwarded to a UDP peer, so the recording
holds what Kamailio sends on (its lumps applied), the replies it sends back and its log
lines.  Replaying runs the same config in kamlite in-process (no forward: the request's
lumps are applied with Message.apply_lumps) and compares.

    python -m tests.modules.sipcases record textops     # re-record tests/modules/data/textops.json
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sys

DATA = os.path.join(os.path.dirname(__file__), "data")
CLIENT_PORT = 5099                    # the Via port of replayed requests
UAS_PORT = 5098                       # the port of a second Via (where replies are forwarded)
MODULES = ("pv", "xlog", "sl", "textops", "siputils", "maxfwd", "sanity")
# the start of every config here (SipServer fills in @PORT@ and @MODULES@)
HEAD = ('#!KAMAILIO\ndebug=2\nlog_stderror=yes\nchildren=1\ndisable_tcp=yes\n'
        'listen=udp:127.0.0.1:@PORT@\nloadpath "@MODULES@"\n')


@dataclasses.dataclass
class Case:
    name: str                          # a route name, and the Call-ID of its requests
    body: str                          # the route body
    requests: list                     # request texts (see req()); @CPORT@ is the Via port


@dataclasses.dataclass
class Group:
    name: str
    cases: list
    top: str = ""                       # modparams and globals
    modules: tuple = MODULES
    replies: bool = False               # also run the cases in reply_route (for replies)


def req(method="OPTIONS", ruri="sip:alice@127.0.0.1", headers="", body="", callid="c1",
        cseq=None, maxfwd="Max-Forwards: 70\r\n", to_tag="", from_line=None, to_line=None,
        content_length=True, via=None) -> str:
    """A request as text; callid is replaced by the case name when it is "c1"."""
    tt = f";tag={to_tag}" if to_tag else ""
    cl = f"Content-Length: {len(body.encode('latin-1'))}\r\n" if content_length is True else (content_length or "")
    return (f"{method} {ruri} SIP/2.0\r\n"
            + (via if via is not None else "Via: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-1\r\n")
            + (from_line if from_line is not None else "From: <sip:bob@127.0.0.1>;tag=ft1\r\n")
            + (to_line if to_line is not None else f"To: <{ruri}>{tt}\r\n")
            + f"Call-ID: {callid}\r\n"
            + f"CSeq: {cseq if cseq is not None else '1 ' + method}\r\n"
            + maxfwd + headers + cl + "\r\n" + body)


def reply(code=200, reason="OK", method="INVITE", headers="", body="", callid="c1", vias=None,
          to_tag="tt1") -> str:
    """A reply as text (its Call-ID is replaced by the case name when it is "c1")."""
    vias = vias if vias is not None else "Via: SIP/2.0/UDP 127.0.0.1:@CPORT@;branch=z9hG4bK-1\r\n"
    return (f"SIP/2.0 {code} {reason}\r\n" + vias
            + "From: <sip:bob@127.0.0.1>;tag=ft1\r\n"
            + f"To: <sip:alice@127.0.0.1>;tag={to_tag}\r\n"
            + f"Call-ID: {callid}\r\nCSeq: 1 {method}\r\n" + headers
            + f"Content-Length: {len(body)}\r\n\r\n" + body)


def _requests(case: Case) -> list:
    return [r.replace("Call-ID: c1\r\n", f"Call-ID: {case.name}\r\n") for r in case.requests]


def config(group: Group, kamailio: bool) -> str:
    loads = "".join(f'loadmodule "{m}.so"\n' for m in group.modules)
    fwd = '    forward("127.0.0.1", @UASPORT@);\n' if kamailio else ""
    routes = "".join(f"route[{c.name}] {{\n{c.body}\n}}\n" for c in group.cases)
    if group.replies:
        routes += "reply_route {\n    $var(case) = $ci;\n    route($var(case));\n}\n"
    return (HEAD + loads + group.top + "\n"
            "request_route {\n    $var(case) = $ci;\n    route($var(case));\n" + fwd + "}\n" + routes)


def digest(group: Group) -> str:
    text = config(group, False) + "".join(r for c in group.cases for r in _requests(c))
    return hashlib.sha1(text.encode("latin-1")).hexdigest()


# ---- normalizing what both sides produce ----------------------------------------------------------
_PREFIX = re.compile(r"^ ?\d+\((?:\d+|PID)\) ", re.M)
_SLTAG = re.compile(r";tag=[0-9a-f]{32}\.[0-9a-f]{1,8}")
_OURVIA = re.compile(r"^Via: SIP/2.0/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK[0-9a-f]+\.[0-9a-f]+\.\d+\r\n", re.M)


def norm_line(line: str) -> str:
    return _PREFIX.sub("", line)


def ports(text: str, cport, uport=None) -> str:
    """The test's ports as @CPORT@ / @UASPORT@."""
    text = re.sub(rf"127\.0\.0\.1:{cport}(?!\d)", "127.0.0.1:@CPORT@", text)
    if uport is not None:
        text = re.sub(rf"127\.0\.0\.1:{uport}(?!\d)", "127.0.0.1:@UASPORT@", text)
    return text


def norm_reply(text: str, port) -> str:
    return _SLTAG.sub(";tag=SLTAG", ports(text, port))


def norm_forwarded(text: str, port, uport=None) -> str:
    """Kamailio's forwarded request without the Via it added (the rest is the received
    request with the script's lumps applied)."""
    return _OURVIA.sub("", ports(text, port, uport), count=1)


_POINTER = re.compile(r"0x[0-9a-f]+")


def join_lines(lines) -> list:
    """Log lines as single entries (a line printed with embedded newlines is one entry),
    pointers printed by Kamailio as 0xPTR."""
    out = []
    for l in lines:
        l = _POINTER.sub("0xPTR", l)
        if _PREFIX.match(l) or not out:
            out.append(norm_line(l))
        else:
            out[-1] += "\n" + l
    return out


# ---- recording from Kamailio ---------------------------------------------------------------------
def record(groups, path: str) -> None:
    from tests.oracle.sip_run import SipServer, ready_route
    data = {}
    for g in groups:
        with SipServer("kamailio", config(g, True) + ready_route()) as srv:
            port = srv.client_port
            gd = {"digest": digest(g), "cases": {}}
            for case in g.cases:
                runs = []
                for r in _requests(case):
                    out = (r.replace("@CPORT@", str(port)).replace("@UASPORT@", str(srv.uas_port))
                           .encode("latin-1"))
                    replies = srv.send(out, wait=0.25)
                    fwd = SipServer.receive(srv.uas, 0.02)
                    lines = srv.take_lines(settle=0.05)
                    runs.append({
                        "replies": [norm_reply(x.decode("latin-1"), port) for x in replies],
                        "forwarded": [norm_forwarded(x.decode("latin-1"), port, srv.uas_port) for x in fwd],
                        "log": join_lines(lines),
                    })
                gd["cases"][case.name] = runs
            data[g.name] = gd
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="latin-1") as fh:
        json.dump(data, fh, indent=1, ensure_ascii=True, sort_keys=True)
        fh.write("\n")


def load_recorded(path: str) -> dict:
    with open(path, encoding="latin-1") as fh:
        return json.load(fh)


# ---- replaying in kamlite -----------------------------------------------------------------------
class Kamlite:
    """A group's config loaded in-process."""

    def __init__(self, group: Group, params=None):
        import kamlite
        from kamlite.log import Log
        from kamlite.sip.receive import sip_core
        self.log = Log(debug=2)
        self.lines = self.log.capture()
        text = config(group, False).replace("@PORT@", "5060").replace("@MODULES@", "/nonexistent")
        self.program = kamlite.load(text=text, log=self.log, params=params or {})
        self.core = sip_core(self.program)

    def run(self, text: str):
        """(replies, request after the script's lumps, log lines, Message)."""
        del self.lines[:]
        del self.core.sent[:]
        data = text.replace("@CPORT@", str(CLIENT_PORT)).replace("@UASPORT@", str(UAS_PORT)).encode("latin-1")
        msg = self.core.receive(data, ("127.0.0.1", CLIENT_PORT), self.core.sockets.first())
        replies = [norm_reply(t, CLIENT_PORT) for kind, t, ip, port in self.core.sent if kind == "reply"]
        changed = None
        if msg is not None:
            changed = msg.apply_lumps(0, len(msg.buf))
            if msg.new_uri is not None:           # what forwarding puts in the first line
                line, rest = changed.split("\r\n", 1)
                changed = f"{msg.method} {msg.new_uri} {msg.version}\r\n{rest}"
            if msg.type == 2:                      # a reply goes on without its first Via
                changed = _first_via_out(changed, msg)
            changed = ports(changed, CLIENT_PORT, UAS_PORT)
        return replies, changed, join_lines(l.rstrip("\n") for l in self.lines), msg


def _first_via_out(text: str, msg) -> str:
    """A reply (lumps applied) without its first Via body, as stateless forwarding sends it."""
    h = msg.h_via1
    vias = h.parsed
    if len(vias) == 1:
        cut = msg.buf[h.start:h.end]
    else:
        cut = msg.buf[vias[0].start:vias[1].start]
    return text.replace(cut, "", 1)


def cl_free(text: str) -> str:
    """Content-Length values out (the forwarding code fixes them, not the lumps)."""
    return re.sub(r"(?im)^(Content-Length|l):[ \t]*\d+", r"\1: *", text)


def compare(group: Group, recorded: dict, kl: Kamlite | None = None):
    """Yield (case name, index, what, expected, got) for every difference."""
    gd = recorded[group.name]
    kl = kl or Kamlite(group)
    for case in group.cases:
        for i, (r, exp) in enumerate(zip(_requests(case), gd["cases"][case.name])):
            replies, changed, lines, _msg = kl.run(r)
            if replies != exp["replies"]:
                yield case.name, i, "replies", exp["replies"], replies
            if exp["forwarded"] and cl_free(changed or "") != cl_free(exp["forwarded"][0]):
                yield case.name, i, "forwarded", exp["forwarded"][0], changed
            if lines != exp["log"]:
                yield case.name, i, "log", exp["log"], lines


def live_replay(group: Group, recorded: dict, names=None):
    """Run the group's config in a kamlite server (forward() included) with the recorded
    requests; yield (case, index, what, kamailio, kamlite) for every difference."""
    from tests.oracle.sip_run import SipServer, ready_route
    gd = recorded[group.name]
    with SipServer("kamlite", config(group, True) + ready_route()) as srv:
        port = srv.client_port
        for case in group.cases:
            if names is not None and case.name not in names:
                continue
            for i, (r, exp) in enumerate(zip(_requests(case), gd["cases"][case.name])):
                out = (r.replace("@CPORT@", str(port)).replace("@UASPORT@", str(srv.uas_port))
                       .encode("latin-1"))
                replies = [norm_reply(x.decode("latin-1"), port)
                           for x in srv.send(out, wait=0.5 if exp["replies"] else 0.1,
                                             expect=len(exp["replies"]) or None)]
                fwd = [norm_forwarded(x.decode("latin-1"), port, srv.uas_port)
                       for x in SipServer.receive(srv.uas, 0.3 if exp["forwarded"] else 0.02,
                                                  expect=len(exp["forwarded"]) or None)]
                if exp["log"]:                    # done when Kamailio's last line shows up
                    srv.wait_for(exp["log"][-1].split("\n")[0], 2.0)
                lines = join_lines(srv.take_lines(settle=0.05))
                for what, e, got in (("replies", exp["replies"], replies), ("forwarded", exp["forwarded"], fwd),
                                     ("log", exp["log"], lines)):
                    if e != got:
                        yield case.name, i, what, e, got


def main(argv):
    import importlib
    if len(argv) < 3 or argv[1] != "record":
        print(__doc__)
        return 2
    for name in argv[2:]:
        mod = importlib.import_module(f"tests.modules.test_{name}")
        record(mod.GROUPS, os.path.join(DATA, f"{name}.json"))
        print(f"recorded {name}: {sum(len(g.cases) for g in mod.GROUPS)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))


# ---- the parts every module's test file shares -----------------------------------------------------
def check_recorded(path: str, groups, module: str) -> dict:
    """The recording, after checking it belongs to these cases (else re-record)."""
    data = load_recorded(path)
    for g in groups:
        assert data[g.name]["digest"] == digest(g), \
            f"the cases changed: re-record with python -m tests.modules.sipcases record {module}"
    return data


def case_ids(groups) -> list:
    return [(g.name, c.name) for g in groups for c in g.cases]


def describe(diffs) -> str:
    return "\n".join(f"{n}[{i}] {what}:\n  kamailio: {e!r}\n  kamlite:  {got!r}" for n, i, what, e, got in diffs)


def assert_like_kamailio(groups, recorded: dict, group: str, case: str, kl: Kamlite | None = None) -> None:
    """One recorded case replayed in-process: replies, forwarded message and log lines
    (kl: a Kamlite of the whole group, to reuse across cases)."""
    g = next(x for x in groups if x.name == group)
    one = dataclasses.replace(g, cases=[c for c in g.cases if c.name == case])
    diffs = list(compare(one, recorded, kl))
    assert not diffs, describe(diffs)


def live_diffs_of(groups, recorded: dict) -> list:
    """Every recorded case through a kamlite server (forward() included)."""
    return [d for g in groups for d in live_replay(g, recorded)]


def assert_live_like_kamailio(live_diffs: list, case: str) -> None:
    diffs = [d for d in live_diffs if d[0] == case]
    assert not diffs, describe(diffs)


def assert_route_live_like_kamailio(modules, route: str, requests) -> list:
    """A request_route body on a real Kamailio server and on a kamlite server: each request
    (a list of texts, or a callable(server) giving them) must get the same replies and log
    lines from both (ports named, so the two runs compare).  Returns Kamailio's
    [(replies, log lines)], one per request."""
    from tests.conftest import need_program
    from tests.oracle.sip_run import SipServer, ready_route
    need_program("kamailio", "kamailio")
    cfg = (HEAD + "".join(f'loadmodule "{m}.so"\n' for m in modules)
           + "request_route {\n" + route + "}\n" + ready_route())
    results = {}
    for which in ("kamailio", "kamlite"):
        with SipServer(which, cfg) as srv:
            def named(text):
                return text.replace(str(srv.client_port), "CPORT").replace(str(srv.port), "SPORT")
            out = []
            for r in (requests(srv) if callable(requests) else requests):
                data = r.replace("@CPORT@", str(srv.client_port)).encode("latin-1")
                replies = srv.send(data, wait=0.5, expect=1)
                out.append(([named(norm_reply(x.decode("latin-1"), srv.client_port)) for x in replies],
                            [named(line) for line in join_lines(srv.take_lines())]))
            results[which] = out
    assert results["kamlite"] == results["kamailio"]
    return results["kamailio"]
