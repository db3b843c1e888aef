"""mqueue: named FIFO queues of (key, value) pairs in shared memory (Kamailio's mqueue).

    modparam("mqueue", "mqueue", "name=calls;size=1000;dbmode=1;addmode=0")
    mq_add("calls", "$ci", "$fu")   mq_fetch("calls")   mq_size("calls")   mq_pv_free("calls")
    $mqk(calls)  $mqv(calls)  $mq_size(calls)
    RPC: mqueue.get_size, mqueue.get_sizes, mqueue.fetch

Queues live in the shared pool, so every process (SIP workers, timer processes, the RPC
process) sees the same items; the item a process fetched ($mqk/$mqv) is its own.
"""
from __future__ import annotations

import os

from ...db import DbUrlError, check_driver, parse_url
from ...log import L_ERR, L_INFO, L_NOTICE, L_WARN
from ...rpc import RpcFault
from ...script import pv as PV
from ...script import runtime as RT
from ...sip.params import ParamError, parse_params
from .. import Arg, FixupError, Function, Module, Param, PseudoVar, RpcCommand
from .queue import Queue


class QueueDef:
    def __init__(self, name, size, dbmode, addmode, node=None):
        self.name, self.size, self.dbmode, self.addmode = name, size, dbmode, addmode
        self.node = node                      # the modparam that defined it


class State:
    def __init__(self, program):
        self.program = program
        self.log = program.log
        self.defs: list[QueueDef] = []           # definition order
        self.db_url: str | None = None
        self.db = None                           # parsed db_url
        self.db_node = None
        self.store = None                        # database side (mqueue/db.py), when used
        self.mqueue_size = 0
        self.mqueue_addmode = 0
        self.queues: dict[str, Queue] = {}
        self.order: list[Queue] = []             # newest definition first, as Kamailio lists them
        self.fetched: dict[str, tuple] = {}      # this process' current item per queue

    def log_module(self, level, where, text):
        self.log.module(level, "mqueue", where, text)

    # ---- parameters -------------------------------------------------------------------------
    def define(self, name: str, size: int, dbmode: int, addmode: int) -> None:
        if any(d.name == name for d in self.defs):
            self.log_module(L_ERR, "mqueue_api.c:122]: mq_head_add()", f"mqueue redefined: {name}")
            raise ValueError(f"mqueue redefined: {name}")
        self.defs.append(QueueDef(name, size, dbmode, addmode, self.program.current_item))

    def param_mqueue(self, value: str, program) -> None:
        text = value[:-1] if value.endswith(";") else value
        try:
            params = parse_params(text)
        except ParamError as e:
            self.log.core(L_ERR, "core/parser/parse_param.c:527]: parse_param2()", str(e))
            raise ValueError(str(e)) from None
        name, size, dbmode, addmode = "", 0, 0, 0
        # Kamailio walks the parsed list backwards: the first of duplicate attributes wins
        for pname, body in reversed(params):
            key = pname.lower()
            if key == "name":
                name = body or ""
            elif key == "size":
                size = _partial_int(body)
            elif key == "dbmode":
                dbmode = _partial_int(body)
            elif key == "addmode":
                addmode = _partial_int(body)
            else:
                self.log_module(L_ERR, "mqueue_mod.c:251]: mq_param()", f"unknown param: {pname}")
                raise ValueError(f"unknown param: {pname}")
        if not name:
            self.log_module(L_ERR, "mqueue_mod.c:259]: mq_param()", f"mqueue name not defined: {text}")
            raise ValueError(f"mqueue name not defined: {text}")
        self.define(name, size, dbmode, addmode)
        self.log_module(L_INFO, "mqueue_mod.c:268]: mq_param()", f"mqueue param: [{name}|{dbmode}|{addmode}]")

    def param_mqueue_name(self, value: str, program) -> None:
        if not value:
            raise ValueError("mqueue name not defined")
        self.define(value, self.mqueue_size, 0, self.mqueue_addmode)
        self.log_module(L_INFO, "mqueue_mod.c:310]: mq_param_name()", f"mqueue param: [{value}|{self.mqueue_size}]")

    def param_size(self, value: int, program) -> None:
        self.mqueue_size = value

    def param_addmode(self, value: int, program) -> None:
        self.mqueue_addmode = value

    def param_db_url(self, value: str, program) -> None:
        try:
            self.db = parse_url(value)
        except DbUrlError as e:
            raise ValueError(str(e)) from None
        self.db_url = value
        self.db_node = program.current_item

    def check(self, program) -> None:
        """After every modparam: a queue loaded from the database needs db_url (unlike
        Kamailio 5.6, db_url may come after the mqueue definitions), and the db_url needs
        its driver module loaded and its Python driver installed."""
        for d in self.defs:
            if d.dbmode in (1, 2) and not self.db_url:
                self.log_module(L_ERR, "mqueue_db.c:42]: mqueue_db_init_con()",
                                "failed to connect to the database, no db url")
                raise FixupError(f"queue {d.name} has dbmode={d.dbmode} (load from the database) "
                                 "but db_url is not set", node=d.node)
        if self.db is None:
            return
        if self.db.driver_module not in program.modules:
            raise FixupError(f"db_url {self.db.safe} needs the database driver module "
                             f"{self.db.driver_module}: loadmodule \"{self.db.driver_module}.so\"",
                             node=self.db_node)
        try:
            check_driver(self.db)
        except DbUrlError as e:
            raise FixupError(str(e), node=self.db_node) from None

    # ---- lifecycle ----------------------------------------------------------------------------
    def init(self, program) -> None:
        if not self.defs:
            self.log_module(L_WARN, "mqueue_mod.c:118]: mod_init()", "no mqueue defined")
        shm = program.shm
        for d in self.defs:
            q = Queue(shm, d.name, d.size, d.addmode, d.dbmode)
            self.queues[d.name] = q
            self.order.insert(0, q)
        if self.db is not None and any(d.dbmode in (1, 2, 3) for d in self.defs):
            self._open_store(program)
            self._load(program)

    # ---- the database -------------------------------------------------------------------------
    def _open_store(self, program) -> None:
        from ... import db as DB
        from .db import Store
        workdir = program.workdir or os.getcwd()
        self.store = Store(DB.engine(self.db, workdir), workdir, create=program.db_create)

    def _refuse(self, node, message: str):
        from ...errors import ConfigError, Diagnostic
        raise ConfigError(Diagnostic(self.program.location(node) if node is not None
                                     else self.program.location(0), message, code="mqueue-db"))

    def _load(self, program) -> None:
        """Startup, main process, before the fork: first the items a failed save left in
        the recovery file go to the database, then the dbmode 1/2 queues are loaded."""
        from .db import DbError
        loading = [d for d in self.defs if d.dbmode in (1, 2)]
        try:
            for name, n in self.store.flush_recovery().items():
                self.log_module(L_NOTICE, "mqueue_db.c:0]: recovery()",
                                f"{n} items of queue [{name}] from {self.store.recovery_path} "
                                "written to the database")
        except Exception as e:                    # database unreachable
            msg = (f"cannot write the recovered items of {self.store.recovery_path} to the "
                   f"database {self.db.safe}: {_db_error(e)}")
            if loading:
                self._refuse(self.db_node, msg)
            self.log_module(L_WARN, "mqueue_db.c:0]: recovery()", msg + " (kept for the next start)")
        for d in loading:
            self.log_module(L_INFO, "mqueue_db.c:112]: mqueue_db_load_queue()",
                            f"=============== loading queue table [{d.name}] from database")
            try:
                rows = self.store.load(d.name)
            except DbError as e:
                self._refuse(d.node, f"error loading mqueue {d.name} from the database: {e}")
            except Exception as e:
                self._refuse(d.node, f"error loading mqueue {d.name} from {self.db.safe}: {_db_error(e)}")
            q = self.queues[d.name]
            for k, v in rows:
                if not q.add(k, v):
                    self._refuse(d.node, f"shared memory is full while loading mqueue {d.name} "
                                 f"({len(rows)} rows): raise -m")

    def destroy(self, program) -> None:
        """Shutdown, main process, after every child has exited: dbmode 1/3 queues are
        appended to their tables, newest definition first; a save that fails keeps the
        items in the recovery file."""
        if self.store is None:
            if self.db is None or not any(q.dbmode in (1, 3) for q in self.order):
                return
            self._open_store(program)
        for q in self.order:
            if q.dbmode not in (1, 3):
                continue
            self.log_module(L_INFO, "mqueue_api.c:76]: mq_destroy()", f"mqueue[{q.name}] dbmode[{q.dbmode}]")
            items = q.items()
            try:
                self.store.save(q.name, items)
            except Exception as e:
                path = self.store.write_recovery(q.name, items)
                self.log_module(L_ERR, "mqueue_db.c:311]: mqueue_db_save_queue()",
                                f"failed to save queue [{q.name}] in {self.db.safe}: {_db_error(e)}; "
                                f"{len(items)} items kept in {path}, they go to the database at "
                                "the next start")
                continue
            q.clear()
            self.log_module(L_INFO, "mqueue_db.c:317]: mqueue_db_save_queue()", f"queue [{q.name}] saved in db")

    def child_init(self, program, rank: int) -> None:
        self.fetched = {}

    # ---- script functions ----------------------------------------------------------------------
    def mq_add(self, ctx, qname, key, val) -> int:
        values = []
        for fmt, what in ((qname, "queue"), (key, "key"), (val, "val")):
            try:
                values.append(fmt(ctx))
            except RT.FormatOverflow:
                self.log_module(L_ERR, f"mqueue_mod.c:{ADD_ERROR_LINES[what]}]: w_mq_add()",
                                f"cannot get the {what}")
                return -1
        name, key_s, val_s = values
        q = self.queues.get(name)
        if q is None:
            self.log_module(L_ERR, "mqueue_api.c:302]: mq_item_add()", f"mqueue not found: {name}")
            return -1
        if not q.add(key_s, val_s):
            self.log_module(L_ERR, "mqueue_api.c:348]: mq_item_add()", f"no more shm to add to: {name}")
            return -1
        return 1

    def mq_fetch(self, ctx, qname) -> int:
        name = qname(ctx)
        q = self.queues.get(name)
        if q is None:
            return -1
        self.fetched.pop(name, None)          # the previous item goes even if the queue is empty
        item = q.fetch()
        if item is None:
            return -2
        self.fetched[name] = item
        return 1

    def mq_size(self, ctx, qname) -> int:
        name = qname(ctx)
        q = self.queues.get(name)
        if q is None:
            self.log_module(L_ERR, "mqueue_mod.c:165]: w_mq_size()", f"mqueue {name} not found")
            return -2
        n = q.size
        return n if n > 0 else -1

    def mq_pv_free(self, ctx, qname) -> int:
        self.fetched.pop(qname(ctx), None)
        return 1

    # ---- RPC ----------------------------------------------------------------------------------
    def rpc_get_size(self, rpc):
        name = rpc.str_param(0)
        if name is None:
            raise RpcFault(400, "No queue name")
        if name == "":
            raise RpcFault(400, "Invalid queue name")
        q = self.queues.get(name)
        if q is None:
            self.log_module(L_ERR, "mqueue_mod.c:356]: mqueue_rpc_get_size()", "no such mqueue")
            raise RpcFault(404, "No such queue")
        return {"name": name, "size": q.size}

    def rpc_get_sizes(self, rpc):
        return [{"name": q.name, "size": q.size} for q in self.order]

    def rpc_fetch(self, rpc):
        name = rpc.str_param(0)
        if name is None:
            raise RpcFault(500, "No queue name")
        if name == "":
            raise RpcFault(500, "Invalid queue name")
        q = self.queues.get(name)
        if q is None:
            self.log_module(L_ERR, "mqueue_mod.c:427]: mqueue_rpc_fetch()", "no such mqueue")
            raise RpcFault(500, "No such queue")
        self.fetched.pop(name, None)
        item = q.fetch()
        if item is None:
            raise RpcFault(404, "Empty queue")
        key, val = item
        if key == "" or val == "":
            raise RpcFault(500, "Unexpected error (result)")   # Kamailio consumes the item anyway
        return {"key": key, "val": val}


ADD_ERROR_LINES = {"queue": 179, "key": 184, "val": 189}


def _db_error(e: Exception) -> str:
    """A database error in one line (SQLAlchemy's texts span several)."""
    text = str(getattr(e, "orig", None) or e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _partial_int(body) -> int:
    """str2sint as mqueue uses it: the digits read before an error count ('3x' -> 3)."""
    if not body:
        return 0
    i, neg = 0, False
    if body[0] in "+-":
        neg = body[0] == "-"
        i = 1
    r = 0
    for c in body[i:]:
        if not c.isdigit():
            break
        r = r * 10 + int(c)
        if r > 2147483647:
            return -2147483648 if neg else 2147483647
    return -r if neg else r


# ---- pseudo-variables -----------------------------------------------------------------------------
class _QueuePV(PV.PVSpec):
    """$mqk(q) / $mqv(q) / $mq_size(q); the name may itself be a pseudo-variable."""
    can_fail = True

    def __init__(self, text, state: State, name, what: str):
        super().__init__(text)
        self.state = state
        self.name = name
        self.what = what
        self.vtype = "i" if what == "size" else "a"

    def _queue_name(self, ctx) -> str:
        n = self.name
        if isinstance(n, PV.PVSpec):
            v = n.get(ctx)
            return "" if v is None else str(v)
        return n

    def get(self, ctx):
        state = self.state
        name = self._queue_name(ctx)
        q = state.queues.get(name)
        if q is None:
            where = {"size": "mqueue_api.c:553]: pv_get_mq_size()", "key": "mqueue_api.c:459]: pv_get_mqk()",
                     "val": "mqueue_api.c:524]: pv_get_mqv()"}[self.what]
            state.log_module(L_ERR, where, f"mqueue not found: {name}")
            raise RT.PV_FAIL
        if self.what == "size":
            return q.size
        item = state.fetched.get(name)
        if item is None:
            return None
        v = item[0] if self.what == "key" else item[1]
        return v if v else None


def _make(what):
    def make(state, program, pvt):
        inner = pvt.inner.strip()
        name = program.pv_spec(inner) if inner.startswith("$") else inner
        return _QueuePV(pvt.text, state, name, what)
    return make


MODULE = Module(
    name="mqueue",
    params={
        "db_url": Param(str, apply=State.param_db_url),
        "mqueue": Param(str, multi=True, apply=State.param_mqueue),
        "mqueue_name": Param(str, multi=True, apply=State.param_mqueue_name),
        "mqueue_size": Param(int, apply=State.param_size),
        "mqueue_addmode": Param(int, apply=State.param_addmode),
    },
    functions={
        "mq_add": Function(State.mq_add, args=(Arg.FMT, Arg.FMT, Arg.FMT)),
        "mq_fetch": Function(State.mq_fetch, args=(Arg.FMT,), dynamic=(0,)),
        "mq_size": Function(State.mq_size, args=(Arg.FMT,), dynamic=(0,)),
        "mq_pv_free": Function(State.mq_pv_free, args=(Arg.FMT,), dynamic=(0,)),
    },
    pvs={
        "mqk": PseudoVar(make=_make("key"), needs_name=True),
        "mqv": PseudoVar(make=_make("val"), needs_name=True),
        "mq_size": PseudoVar(make=_make("size"), needs_name=True),
    },
    rpc={
        "mqueue.get_size": RpcCommand(State.rpc_get_size, doc="Get size of mqueue."),
        "mqueue.get_sizes": RpcCommand(State.rpc_get_sizes, doc="Get sizes of all mqueues.",
                                       returns_array=True),
        "mqueue.fetch": RpcCommand(State.rpc_fetch, doc="Fetch an element from the queue."),
    },
    state=State,
    mod_init=State.init,
    child_init=State.child_init,
    destroy=State.destroy,
    check=State.check,
)
