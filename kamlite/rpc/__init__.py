"""RPC, independent of the transport (binrpc for kamcmd, JSON-RPC for kamcli).

A command handler gets an RpcContext with the request's parameters and returns the reply
as plain Python values: dict (a struct), list (an array), str, int; or raises
RpcFault(code, message).  Transports turn that into their own wire format.
"""
from __future__ import annotations


class RpcFault(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"{code} - {message}")
        self.code = code
        self.message = message


class RpcContext:
    def __init__(self, params: list | None = None, program=None):
        self.params = list(params or [])
        self.program = program

    def str_param(self, i: int) -> str | None:
        """The i-th parameter if it is a string (Kamailio's rpc->scan("S") refuses ints)."""
        if i < len(self.params) and isinstance(self.params[i], str):
            return self.params[i]
        return None

    def int_param(self, i: int) -> int | None:
        if i < len(self.params) and isinstance(self.params[i], int) and not isinstance(self.params[i], bool):
            return self.params[i]
        return None
