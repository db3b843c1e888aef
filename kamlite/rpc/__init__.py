"""RPC, independent of the transport (binrpc for kamcmd, JSON-RPC for kamcli).

A command handler gets an RpcContext with the request's parameters and returns the reply
as plain Python values: dict (a struct), list (an array), str, int, float; or raises
RpcFault(code, message).  A command registered with returns_array=True (Kamailio's
RET_ARRAY) returns a list whose items are the values it adds one by one; None means it
added nothing.  Transports turn that into their own wire format:

    binrpc (ctl, kamcmd)      each added value is one record of the reply body
    JSON-RPC (jsonrpcs)       RET_ARRAY: "result" is the array of added values;
                              otherwise the last value added (nothing added: {})

Handlers read parameters the way Kamailio's rpc->scan does, and that differs between
transports (a JSON number is never a string; binrpc converts only with the ctl
'autoconversion' parameter): each transport has its own RpcContext subclass.
"""
from __future__ import annotations


class RpcFault(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"{code} - {message}")
        self.code = code
        self.message = message


class Values(list):
    """Several values added one after the other by a command without RET_ARRAY (Kamailio's
    repeated rpc->add): binrpc sends each as its own record, JSON-RPC keeps the last."""


class RpcContext:
    """The parameters of one request.  This base class serves program.rpc() (in-process
    calls): params are plain Python values."""

    transport = "internal"

    def __init__(self, params: list | None = None, program=None):
        self.params = list(params or [])
        self.program = program

    def str_param(self, i: int, optional: bool = False, convert: bool = False, scan: str = "S") -> str | None:
        """The i-th parameter if it is a string (Kamailio's rpc->scan("S") refuses ints);
        optional=True is scan's '*' (no fault prepared when it is missing), convert=True
        its '.' (an int is accepted and given as its digits); scan is the letter the
        Kamailio command uses, 's' or 'S' (it only changes a log line)."""
        if i < len(self.params):
            v = self.params[i]
            if isinstance(v, str):
                return v
            if convert and isinstance(v, int) and not isinstance(v, bool):
                return str(v)
        return None

    def int_param(self, i: int, optional: bool = False, convert: bool = False) -> int | None:
        if i < len(self.params) and isinstance(self.params[i], int) and not isinstance(self.params[i], bool):
            return self.params[i]
        return None


def run_command(program, method: str, ctx: RpcContext):
    """Look a command up and run it: (command, result).  Raises RpcFault; an unknown
    method raises KeyError (each transport words that fault its own way)."""
    entry = program.rpc_commands.get(method)
    if entry is None:
        raise KeyError(method)
    cmd, state = entry
    result = cmd.handler(state, ctx) if state is not None else cmd.handler(ctx)
    return cmd, result


def added_values(cmd, result) -> list:
    """The values a command 'added', in order (see the module docstring)."""
    if result is None:
        return []
    if isinstance(result, Values) or (cmd.returns_array and isinstance(result, (list, tuple))):
        return list(result)
    return [result]
