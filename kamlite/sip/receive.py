"""What a SIP worker does with a datagram (Kamailio's udp_rcv_loop + receive_msg).

Parse the first line and the headers the core needs, check them, run request_route for
a request, reply_route (then stateless forwarding) for a reply.  Everything that goes
wrong is logged with Kamailio's text and the worker goes on with the next datagram.
"""
from __future__ import annotations

from ..log import L_ERR, L_INFO, L_WARN
from ..modules import CORE_ONREPLY_ROUTE, REQUEST_ROUTE
from ..script import runtime as RT
from .message import (HDR_CALLID, HDR_CSEQ, HDR_FROM, HDR_TO, HDR_VIA2_F, REQUEST, ParseLog,
                      parse)
from .message import HDR_CALLID_F, HDR_CSEQ_F, HDR_FROM_F, HDR_TO_F
from .reply import build_forwarded_reply
from .transport import PROTO_NUMBERS, ReceiveInfo, Sockets, resolve, send_udp

MIN_UDP_PACKET = 32
BUF_SIZE = 65535
_RELEVANT = HDR_FROM_F | HDR_TO_F | HDR_CALLID_F | HDR_CSEQ_F


class SipCore:
    """The SIP side of a running program: its sockets, and what receiving and sending
    need.  Made in the main process (sockets bound before the fork), used by workers and
    by modules (sl, forward) through program.sip."""

    def __init__(self, program, sockets: Sockets):
        self.program = program
        self.sockets = sockets
        self.log = program.log
        self.plog = ParseLog(program.log, int(program.core.get("sip_parser_log", L_ERR)))
        self.msg_no = 0
        core = program.core
        sig = core.get("server_header")
        self.server_header = (sig if sig else "Server: kamailio (5.6.3 (x86_64/linux))") \
            if core.get("server_signature", 1) else None
        self.request_filters = []          # module callables (msg) -> False to drop silently
        self.sent = None                   # a list when sending is captured (in-process runs)
        self.last_context = None           # the Context of the last route run (tests, harness)

    # ---- receiving ----------------------------------------------------------------------------
    def serve(self, si) -> None:
        """A worker's loop on one UDP socket."""
        recv = si.sock.recvfrom
        handle = self.receive
        while True:
            try:
                data, addr = recv(BUF_SIZE)
            except InterruptedError:
                continue
            except OSError as e:
                if L_ERR <= self.log.debug:
                    self.log.write(L_ERR, f"<core> [core/udp_server.c:465]: udp_rcv_loop(): recvfrom:[{e.errno}] {e.strerror}\n")
                continue
            if len(data) < MIN_UDP_PACKET:
                continue
            if addr[1] == 0:
                if L_INFO <= self.log.debug:
                    self.log.write(L_INFO, f"<core> [core/udp_server.c:522]: udp_rcv_loop(): dropping 0 port packet from {addr[0]}\n")
                continue
            try:
                handle(data, addr, si)
            except Exception as e:          # a kamlite bug must not stop the worker
                if L_ERR <= self.log.debug:
                    self.log.write(L_ERR, f"<core> [kamlite]: receive_msg(): BUG: {type(e).__name__}: {e}\n")

    def receive(self, data: bytes, addr, si):
        """receive_msg(): returns the Message (for tests), or None when it was dropped."""
        self.msg_no += 1
        rcv = ReceiveInfo(addr[0], addr[1], si)
        plog = self.plog
        msg = parse(data.decode("latin-1"), plog, rcv, self.msg_no)
        if msg is None:
            plog.core(plog.sip_parser_log, "receive.c:376", "receive_msg",
                      f"core parsing of SIP message failed ({rcv.src_ip}:{rcv.src_port}/{PROTO_NUMBERS.get(rcv.proto, 1)})")
            return None
        if not msg.parse_headers(_RELEVANT):
            plog.core(plog.sip_parser_log, "receive.c:386", "receive_msg", "parsing relevant headers failed")
        first = msg._first
        if msg.type == REQUEST:
            if msg.via1 is None:
                plog.core(plog.sip_parser_log, "receive.c:439", "receive_msg", "no via found in request")
                return None
            if HDR_CALLID not in first or HDR_CSEQ not in first or HDR_FROM not in first or HDR_TO not in first:
                plog.core(plog.sip_parser_log, "receive.c:447", "receive_msg", "required headers not found in request")
                return None
            for f in self.request_filters:
                if not f(msg):
                    return msg
            ret = self.run_route("request", msg, REQUEST_ROUTE)
            if ret is not None and ret < 0:
                self._warn("receive.c:516", "error while trying script")
        else:
            if msg.via1 is None:
                plog.core(L_ERR, "receive.c:539", "receive_msg", "no via found in reply")
                return None
            if HDR_CALLID not in first or HDR_CSEQ not in first or HDR_FROM not in first or HDR_TO not in first:
                plog.core(plog.sip_parser_log, "receive.c:546", "receive_msg", "required headers not found in reply")
                return None
            if "reply" in self.program.routes:
                ret = self.run_route("reply", msg, CORE_ONREPLY_ROUTE)
                if ret is not None and ret < 0:
                    self._warn("receive.c:598", "error while trying onreply script")
                    return msg
                if ret == 0:
                    return msg
            self.forward_reply(msg)
        return msg

    def run_route(self, key: str, msg, route_type: int):
        """Run a top route on a message: the value of its last action (0 after exit/drop),
        or None when the route does not exist."""
        program = self.program
        fn = program.routes.get(key)
        if fn is None:
            if key == "request":
                if L_ERR <= self.log.debug:
                    self.log.write(L_ERR, "<core> [core/receive.c:492]: receive_msg(): no request_route {...} "
                                          "and no other config routing engine registered\n")
                return -1
            return None
        ctx = self.last_context = program.new_context(msg, route_type)
        try:
            ret = fn(ctx)
        except RT.ScriptExit:
            ret = 0
        except RecursionError:
            self.log.core(L_ERR, "core/action.c:1552]: run_actions()", "too many recursive routing table lookups")
            ret = -1
        except Exception as e:
            self.log.core(L_ERR, "kamlite]: run()", f"BUG: {key} failed: {type(e).__name__}: {e}")
            ret = -1
        if ctx.dropped:
            return 0
        return ret

    def _warn(self, where: str, text: str) -> None:
        if L_WARN <= self.log.debug:
            self.log.write(L_WARN, f"<core> [core/{where}]: receive_msg(): {text}\n")

    # ---- sending --------------------------------------------------------------------------------
    def send(self, si, text: str, ip: str, port: int, kind: str) -> bool:
        """Send a datagram from socket `si`; captured instead when self.sent is a list
        (kind: "reply", "request" or "forwarded-reply")."""
        if self.sent is not None:
            self.sent.append((kind, text, ip, port))
            return True
        if si is None or si.sock is None:
            return False
        return send_udp(si, text.encode("latin-1"), ip, port, self.log)

    def send_reply_text(self, msg, text: str) -> bool:
        """Send a locally built reply from the socket the request arrived on, to its source
        address; the port is the source port with rport (or force_rport), else the first
        Via's port (Kamailio's update_sock_struct_from_ip, reply_to_via=0)."""
        rcv = msg.rcv
        if rcv is None:
            return self.send(None, text, "", 0, "reply")
        v1 = msg.via1
        port = rcv.src_port if (msg.force_rport or v1.rport is not None) else (v1.port or 5060)
        return self.send(rcv.socket, text, rcv.src_ip, port, "reply")

    def forward_reply(self, msg) -> bool:
        """do_forward_reply(): drop our Via, send to the address in the next one."""
        if not msg.parse_headers(HDR_VIA2_F) or msg.via2 is None:
            return False                  # Kamailio: DBG "reply cannot be forwarded - no 2nd via"
        v2 = msg.via2
        text = build_forwarded_reply(msg)
        dest = via_destination(v2)
        if dest is None:
            return False
        ip, port = dest
        si = self.sockets.send_socket(ip)
        if si is None and self.sent is None:
            if L_ERR <= self.log.debug:
                self.log.write(L_ERR, "<core> [core/forward.c:825]: do_forward_reply(): cannot forward reply\n")
            return False
        return self.send(si, text, ip, port, "forwarded-reply")


def sip_core(program) -> SipCore:
    """The program's SipCore; a capturing one (nothing sent, sockets not bound) when the
    program is not running as a server."""
    core = getattr(program, "sip", None)
    if core is None:
        core = program.sip = SipCore(program, Sockets.from_program(program))
        core.sent = []
    return core


def via_destination(v):
    """update_sock_struct_from_via(): received= overrides the host, rport= the port."""
    host = v.host
    port = v.port
    if v.received is not None and v.received.value:
        host = v.received.value
    if v.rport is not None and v.rport.value and v.rport.value.isdigit():
        port = int(v.rport.value)
    return resolve(host, port or 5060)
