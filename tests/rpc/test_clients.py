"""kamcmd, kamcli and kamlitecmd against real Kamailio and against kamlite, same config.

Both servers run the config below side by side; every command is sent to Kamailio, then
to kamlite, and the outputs (with directories, ports, pids and clock times replaced by
fixed words) must be the same.  Both servers get the same commands in the same order, so
their queues change the same way (mqueue.fetch consumes).
"""
import json
import re

import pytest

from ..conftest import need_program
from . import clients as C
from .servers import Server

CFG = """#!KAMAILIO
debug=2
log_stderror=yes
children=1
disable_tcp=yes
listen=udp:127.0.0.1:@PORT@
loadpath "@MODULES@"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "mqueue.so"
loadmodule "ctl.so"
loadmodule "jsonrpcs.so"
modparam("mqueue", "mqueue", "name=q1")
modparam("mqueue", "mqueue", "name=q2")
modparam("mqueue", "mqueue", "name=empty")
modparam("mqueue", "mqueue", "name=odd")
modparam("mqueue", "mqueue", "name=5")
modparam("ctl", "binrpc", "unix:@DIR@/ctl.sock")
modparam("ctl", "binrpc", "unixd:@DIR@/ctld.sock")
modparam("ctl", "binrpc", "udp:127.0.0.1:@UDP@")
modparam("ctl", "binrpc", "tcp:127.0.0.1:@TCP@")
modparam("jsonrpcs", "fifo_name", "@DIR@/rpc.fifo")
modparam("jsonrpcs", "fifo_reply_dir", "@DIR@/")
modparam("jsonrpcs", "dgram_socket", "@DIR@/rpc.sock")
request_route { exit; }
event_route[core:worker-one-init] {
  $var(i) = 0;
  while ($var(i) < 6) { mq_add("q1", "k$var(i)", "v$var(i)"); $var(i) = $var(i) + 1; }
  mq_add("q2", "a", "hello world");
  mq_add("odd", "", "no key");
  mq_add("5", "five", "5");
  xlog("L_INFO", "ready\\n");
}
"""
SOCKETS = ("ctl.sock", "ctld.sock", "rpc.fifo", "rpc.sock")


@pytest.fixture(scope="module")
def servers():
    need_program("kamailio", "kamailio")
    real = Server("kamailio", CFG, wait_for=SOCKETS)
    ours = Server("kamlite", CFG, wait_for=SOCKETS)
    try:
        assert real.started, real.stderr
        assert ours.started, ours.stderr
        yield real, ours
    finally:
        real.stop()
        out = ours.stop()
        assert "Traceback" not in out, out


@pytest.fixture(scope="module")
def kamcmd():
    return need_program("kamcmd", "kamailio")


def address(server, transport: str) -> str:
    return {"unix": f"unix:{server.path('ctl.sock')}", "unixd": f"unixd:{server.path('ctld.sock')}",
            "udp": f"udp:127.0.0.1:{server.ports['UDP']}",
            "tcp": f"tcp:127.0.0.1:{server.ports['TCP']}"}[transport]


def numbers_out(text: str) -> str:
    """Values that differ by nature between two servers: memory sizes, uptimes, pids."""
    text = re.sub(r"(total|free|used|real_used|max_used|fragments|uptime): \d+", r"\1: N", text)
    return re.sub(r"^\d+(\t|$)", r"N\1", text, flags=re.M)


def both(servers, fn):
    """fn(server) -> text, run on Kamailio then kamlite, normalized."""
    return [numbers_out(s.normalize(fn(s))) for s in servers]


# every mqueue command and fault, then the core commands, as kamcmd prints them
KAMCMD_COMMANDS = [
    "mqueue.get_sizes",
    "mqueue.get_size q1",
    "mqueue.get_size nope",                  # 404 No such queue
    "mqueue.get_size",                       # 400 No queue name
    "mqueue.get_size 5",                     # an int: 400 No queue name
    "mqueue.get_size s:5",                   # the string "5"
    "mqueue.get_size s:",                    # "": 400 Invalid queue name
    "mqueue.get_size q1 extra ignored",
    "mqueue.fetch q1",
    "mqueue.fetch",                          # 500 No queue name
    "mqueue.fetch nope",                     # 500 No such queue
    "mqueue.fetch empty",                    # 404 Empty queue
    "mqueue.fetch odd",                      # 500 Unexpected error (result), item consumed
    "mqueue.fetch odd",                      # now 404
    "mqueue.fetch 5",
    "mqueue.fetch s:5",
    "mqueue.get_sizes",
    "core.echo a 1 s:2 x",
    "core.echo a 2.5 x",                     # stops at the double
    "core.echo 2.5",                         # nothing added: the scan's fault
    "core.echo",
    "system.methodHelp core.psx",
    "system.methodHelp system.listMethods",
    "system.methodHelp",
    "system.methodHelp nope",
    "system.methodHelp 5",
    "core.shmmem",
    "core.shmmem m",
    "core.shmmem kb",
    "core.shmmem x",
    "core.shmmem kx",
    "core.uptime",
    "core.psx",
    "core.ps",
    "ps",
    "no.such.method",
    "ctl.listen",
    "listen",
    "ctl.connections",
]


@pytest.mark.parametrize("transport", ["unix", "unixd", "udp", "tcp"])
def test_kamcmd_prints_the_same(servers, kamcmd, transport):
    for command in KAMCMD_COMMANDS:
        def go(server):
            rc, out, err = C.run([kamcmd, "-s", address(server, transport), *command.split()])
            return f"rc={rc}\n{out}{err}"
        real, ours = both(servers, go)
        assert ours == real, command


def test_kamcmd_faults_have_the_documented_codes(servers, kamcmd):
    """The exact codes and texts, on kamlite (the comparison above checks Kamailio agrees)."""
    _real, ours = servers
    expect = {
        "mqueue.get_size nope": "error: 404 - No such queue\n",
        "mqueue.get_size": "error: 400 - No queue name\n",
        "mqueue.fetch": "error: 500 - No queue name\n",
        "mqueue.fetch nope": "error: 500 - No such queue\n",
        "mqueue.fetch empty": "error: 404 - Empty queue\n",
        "no.such": "error: 500 - command no.such not found\n",
    }
    for command, text in expect.items():
        rc, out, _ = C.run([kamcmd, "-s", address(ours, "unix"), *command.split()])
        assert (rc, out) == (0, text)


def test_kamcmd_version_and_list(servers, kamcmd):
    real, ours = servers
    _rc, version, _ = C.run([kamcmd, "-s", address(ours, "unix"), "core.version"])
    assert re.fullmatch(r"kamlite \S+ \(kamailio 5\.6\.3\) \(\w+/\w+\)\n", version)
    _rc, real_list, _ = C.run([kamcmd, "-s", address(real, "unix"), "system.listMethods"])
    _rc, our_list, _ = C.run([kamcmd, "-s", address(ours, "unix"), "system.listMethods"])
    ours_l = our_list.split()
    assert ours_l == sorted(ours_l)
    assert set(ours_l) <= set(real_list.split())       # kamlite has fewer commands
    assert {"mqueue.get_size", "mqueue.get_sizes", "mqueue.fetch", "core.psx", "ctl.listen",
            "jsonrpc.echo"} <= set(ours_l)


def test_core_ps_lists_every_process_with_its_pid(servers, kamcmd):
    """The pids in core.psx are the real ones, also those forked after the ctl handler."""
    import os
    _real, ours = servers
    _rc, out, _ = C.run([kamcmd, "-s", address(ours, "unix"), "ps"])
    rows = [line.split("\t") for line in out.splitlines()]
    assert [d for _p, d in rows][-3:] == ["ctl handler", "JSONRPCS FIFO", "JSONRPCS DATAGRAM"]
    assert int(rows[0][0]) == ours.proc.pid
    for pid, _d in rows:
        os.kill(int(pid), 0)                  # every one is running


def test_method_help_of_mqueue_commands(servers, kamcmd):
    for command in ("system.methodHelp mqueue.get_size", "system.methodHelp mqueue.get_sizes",
                    "system.methodHelp mqueue.fetch"):
        real, ours = both(servers, lambda s: C.run([kamcmd, "-s", address(s, "unix"), *command.split()])[1])
        assert ours == real


# ---- kamlitecmd: the same output as kamcmd, against both servers --------------------------------------
KAMLITECMD_COMMANDS = ["mqueue.get_sizes", "mqueue.get_size q2", "mqueue.get_size nope", "mqueue.fetch",
                       "core.echo a 1 s:2 2.5", "core.echo 2.5", "ps", "psx", "listen", "system.methodHelp core.ps",
                       "mqueue.get_size -3", "mqueue.fetch empty", "core.echo 99999999999 4294967295 +7",
                       "core.echo 0x10", "core.echo 1e3", "core.echo x inf", "help ps"]


@pytest.mark.parametrize("transport", ["unix", "unixd", "udp", "tcp"])
def test_kamlitecmd_prints_what_kamcmd_prints(servers, kamcmd, transport):
    for server in servers:
        for command in KAMLITECMD_COMMANDS:
            args = ["-s", address(server, transport), *command.split()]
            rc1, out1, err1 = C.run([kamcmd, *args])
            rc2, out2, err2 = C.run([*C.KAMLITECMD, *args])
            assert (out2, err2) == (out1, err1), (server.which, command)
            # kamlitecmd: 1 on a fault, where kamcmd says 0
            assert rc2 == (1 if out1.startswith("error: ") else rc1), (server.which, command)


def test_kamlitecmd_format_and_json(servers, kamcmd):
    for server in servers:
        args = ["-s", address(server, "tcp")]
        for extra in (["-f", "%v=%v\\n", "core.echo", "a", "b", "c"], ["-f", "[%v]", "core.psx"],
                      ["-f", "100%% %v\\n", "mqueue.get_sizes"], ["-f", "no values", "core.echo", "x"]):
            assert C.run([*C.KAMLITECMD, *args, *extra])[1] == C.run([kamcmd, *args, *extra])[1]
        rc, out, _ = C.run([*C.KAMLITECMD, "--json", *args, "mqueue.get_size", "q2"])
        assert rc == 0 and json.loads(out)[0]["name"] == "q2"
        rc, out, _ = C.run([*C.KAMLITECMD, "--json", *args, "mqueue.get_size", "nope"])
        assert rc == 1 and json.loads(out) == {"error": {"code": 404, "message": "No such queue"}}
        rc, out, _ = C.run([*C.KAMLITECMD, "--json", *args, "core.psx"])
        assert [p["DSC"] for p in json.loads(out)][0] == "main process - attendant"


def test_kamlitecmd_cannot_connect():
    rc, out, err = C.run([*C.KAMLITECMD, "-s", "unix:/nonexistent/ctl.sock", "ps"])
    assert (rc, out) == (255, "")
    assert err == "ERROR: connect_unix_sock: connect(/nonexistent/ctl.sock): No such file or directory [2]\n"


# ---- kamcli (JSON-RPC over the datagram socket) ---------------------------------------------------------
KAMCLI_INI = """[main]
domain=test.com
[ctl]
type=jsonrpc
[jsonrpc]
transport=socket
srvaddr={dir}/rpc.sock
rcvaddr={dir}/kamcli_reply.sock
path={dir}/rpc.fifo
rplnamebase=kamclireply
rpldir={dir}
outformat={fmt}
"""

KAMCLI_COMMANDS = [
    "jsonrpc mqueue.get_sizes", "jsonrpc mqueue.get_size q2", "jsonrpc mqueue.get_size nope",
    "jsonrpc mqueue.get_size", "jsonrpc mqueue.get_size i:5", "jsonrpc mqueue.get_size 5",
    "jsonrpc mqueue.fetch q1", "jsonrpc mqueue.fetch", "jsonrpc mqueue.fetch nope", "jsonrpc mqueue.fetch empty",
    "jsonrpc core.echo a i:1 b", "jsonrpc jsonrpc.echo a i:7", "jsonrpc no.such", "jsonrpc core.psx",
    "jsonrpc system.methodHelp core.ps", "jsonrpc core.shmmem", "jsonrpc core.uptime", "ps",
]


def kamcli_run(kamcli, server, command, fmt):
    ini = server.path(f"kamcli-{fmt}.ini")
    with open(ini, "w") as fh:
        fh.write(KAMCLI_INI.format(dir=server.dir, fmt=fmt))
    rc, out, err = C.run([kamcli, "--no-default-configs", "-c", ini, *command.split()])
    # the request id is random; the raw format shows the server's bytes
    out = re.sub(r'("id"(?::\\t|: |:\t))\d+', r"\1ID", out)
    out = re.sub(r"^id: \d+$", "id: ID", out, flags=re.M)
    out = re.sub(r'("(?:total|free|used|real_used|max_used|fragments|uptime)"(?::\\t|: ))\d+', r"\1N", out)
    out = re.sub(r"^( *\d+) +\d+ ", r"\1 PID ", out, flags=re.M)
    return f"rc={rc}\n{out}{err}"


@pytest.mark.parametrize("fmt", ["json", "raw", "yaml"])
def test_kamcli_prints_the_same(servers, fmt):
    kamcli = need_program("kamcli", "kamcli")
    for command in KAMCLI_COMMANDS:
        real, ours = both(servers, lambda s: kamcli_run(kamcli, s, command, fmt))
        assert ours == real, command


# ---- raw JSON-RPC documents (datagram and FIFO transports) ----------------------------------------------
JSON_DOCS = [
    b'{"jsonrpc":"2.0","method":"mqueue.get_sizes","id":1}',
    b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":["q1"],"id":2}',
    b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":["nope"],"id":3}',
    b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":[5],"id":4}',
    b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":{"name":"q2"},"id":"abc"}',
    b'{"jsonrpc":"2.0","method":"mqueue.fetch","params":["empty"],"id":5}',
    b'{"jsonrpc":"2.0","method":"mqueue.fetch","params":["q1"]}',                   # no id: still a reply
    b'{"jsonrpc":"2.0","method":"mqueue.get_sizes","params":"x","id":true}',       # params not array/object
    b'{"JSONRPC":"2.0","Method":"mqueue.get_size","Params":["q2"],"ID":1.5}',       # names ignore case
    b'{"jsonrpc":"1.0","method":"core.echo","id":6}',                              # wrong version
    b'{"method":"core.echo","id":7}',                                              # no "jsonrpc"
    b'{"jsonrpc":"2.0","id":8}',                                                   # no method
    b'{"jsonrpc":"2.0","method":"no.such","id":null}',                             # 500 Method Not Found
    b'[{"jsonrpc":"2.0","method":"core.echo"}]',                                   # batch: not supported
    b'"just a string"',
    b'garbage',                                                                    # not JSON: no reply
    b'{"jsonrpc":"2.0","method":"core.echo","params":["a",1,2.5,-1,true,"x"],"id":9}',
    b'{"jsonrpc":"2.0","method":"core.echo","params":["tab\\there","q\\"uote","\\u00e9\\ud83d\\ude00"],"id":10}',
    b'{"jsonrpc":"2.0","method":"jsonrpc.echo","params":["a","5"],"id":11}',
    b'{"jsonrpc":"2.0","method":"core.version"}trailing text is ignored',
    b'  {"jsonrpc":"2.0","method":"system.methodHelp","params":["core.echo"],"id":{"an":"object"}}  ',
    b'{"jsonrpc":"2.0","method":"core.echo","params":["unterminated',
    b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":[],"id":12345678901}',
]


def test_json_datagram_replies_are_byte_identical(servers):
    for doc in JSON_DOCS:
        if b"core.version" in doc:
            continue
        real, ours = (s.normalize(repr(C.dgram_json(s.path("rpc.sock"), doc))) for s in servers)
        assert ours == real, doc


def test_json_fifo_replies_are_byte_identical(servers):
    docs = [d[:-1] + b',"reply_name":"jreply"}' if d.endswith(b"}") else d for d in JSON_DOCS]
    docs += [b'{"jsonrpc":"2.0","method":"core.echo","params":["x"],"reply_name":"j.reply","id":1}',
             b'{"jsonrpc":"2.0","method":"core.echo","params":["x"],"id":1}',             # no reply_name
             b'{"jsonrpc":"2.0","method":"core.echo","params":["}{\'"],"reply_name":"jreply","id":2}']
    for doc in docs:
        if b"core.version" in doc or b"unterminated" in doc:
            continue
        real, ours = (s.normalize(repr(C.fifo_json(s.path("rpc.fifo"), s.dir, doc, wait=1.0))) for s in servers)
        assert ours == real, doc


def test_json_pretty_format_of_the_spec(servers):
    """The bytes the spec recorded (mqueue.md 5.2), from kamlite."""
    _real, ours = servers
    reply = C.dgram_json(ours.path("rpc.sock"), b'{"jsonrpc":"2.0","method":"mqueue.get_size","params":["q2"],"id":2}')
    assert reply == b'{\n\t"jsonrpc":\t"2.0",\n\t"result":\t{\n\t\t"name":\t"q2",\n\t\t"size":\t1\n\t},\n\t"id":\t2\n}'


def test_servers_still_serve_and_logged_alike(servers, kamcmd):
    """After everything above both still answer; the jsonrpcs error lines are the same."""
    for s in servers:
        assert s.alive()
        assert C.run([kamcmd, "-s", address(s, "unix"), "mqueue.get_size", "q2"])[0] == 0

    # request errors; the FIFO reply lines differ: when a request fails before its
    # reply_name is read, Kamailio 5.6 tries the previous request's name from a stale buffer
    def errors(s):
        return [re.sub(r"^ ?\d+\(\d+\) ", "", line) for line in s.stderr.splitlines()
                if "jsonrpcs [jsonrpcs_mod.c" in line and "ERROR" in line]
    real, ours = (errors(s) for s in servers)
    assert ours == real
