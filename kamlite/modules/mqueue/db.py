"""mqueue persistence: one table per queue (columns id, key, val), through SQLAlchemy.

dbmode as Kamailio's code has it: 1 = load at startup and save at shutdown, 2 = load only,
3 = save only.  Loading reads the table in id order (bulk), applies the queue's size and
add mode, then deletes the loaded rows; saving appends the queue's items (executemany),
one transaction per queue.

Safer than Kamailio: empty keys and values work; a save that cannot reach the database
writes the items to a recovery file in the working directory, and the next start puts
them into the database first; a missing table is reported with the CREATE TABLE it needs
(or created, with kamlite --db-create).
"""
from __future__ import annotations

import json
import os

RECOVERY_FILE = "kamlite-mqueue.recovery"
KEY_LEN = 64
VAL_LEN = 4096
FETCH_ROWS = 5000


class DbError(Exception):
    pass


def _table(name: str, metadata, with_id: bool = True):
    import sqlalchemy as sa
    cols = [sa.Column("key", sa.String(KEY_LEN), nullable=False, server_default=""),
            sa.Column("val", sa.String(VAL_LEN), nullable=False, server_default="")]
    if with_id:
        cols.insert(0, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True))
    # ids keep growing after rows are deleted (SQLite's AUTOINCREMENT), as in Kamailio's schema
    return sa.Table(name, metadata, *cols, sqlite_autoincrement=True)


def create_table_sql(engine, name: str) -> str:
    import sqlalchemy as sa
    from sqlalchemy.schema import CreateTable
    return str(CreateTable(_table(name, sa.MetaData())).compile(engine)).strip() + ";"


# kamlite keeps text as latin-1 (one char per byte); the database gets real text
def to_db(s: str):
    b = s.encode("latin-1", "replace")
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return s                    # not UTF-8: stored as latin-1 text (see README)


def from_db(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("latin-1")
    return v.encode("utf-8", "surrogateescape").decode("latin-1")


class Store:
    """The database side of mqueue for one program."""

    def __init__(self, engine, workdir: str, create: bool = False):
        self.engine = engine
        self.workdir = workdir
        self.create = create

    def _reflect(self, conn, name: str):
        import sqlalchemy as sa
        insp = sa.inspect(conn)
        if not insp.has_table(name):
            if self.create:
                _table(name, sa.MetaData()).create(conn)
                return _table(name, sa.MetaData())
            raise DbError(f"table {name!r} does not exist; create it with:\n  "
                          f"{create_table_sql(self.engine, name)}\n"
                          "(or start kamlite with --db-create)")
        cols = {c["name"] for c in insp.get_columns(name)}
        missing = {"key", "val"} - cols
        if missing:
            raise DbError(f"table {name!r} lacks column(s) {', '.join(sorted(missing))}")
        return _table(name, sa.MetaData(), with_id="id" in cols)

    def load(self, name: str) -> list[tuple[str, str]]:
        """All rows of the queue's table, in id order; the rows are deleted (one
        transaction: what was read is what is deleted)."""
        with self.engine.begin() as conn:
            t = self._reflect(conn, name)
            q = t.select().with_only_columns(t.c.key, t.c.val)
            if "id" in t.c:
                q = q.order_by(t.c.id)
            rows = []
            result = conn.execute(q.execution_options(yield_per=FETCH_ROWS))
            for part in result.partitions(FETCH_ROWS):
                rows.extend((from_db(k), from_db(v)) for k, v in part)
            conn.execute(t.delete())
        return rows

    def save(self, name: str, items: list[tuple[str, str]]) -> None:
        """Append the items, all of them or none (one transaction)."""
        with self.engine.begin() as conn:
            t = self._reflect(conn, name)
            if items:
                conn.execute(t.insert(), [{"key": to_db(k), "val": to_db(v)} for k, v in items])

    # ---- the recovery file --------------------------------------------------------------------
    @property
    def recovery_path(self) -> str:
        return os.path.join(self.workdir, RECOVERY_FILE)

    def write_recovery(self, name: str, items: list[tuple[str, str]]) -> str:
        """Append items of a queue that could not be saved; returns the file's path."""
        path = self.recovery_path
        existing = read_recovery(path)
        existing.setdefault(name, []).extend(items)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"version": 1, "queues": existing}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path

    def flush_recovery(self) -> dict[str, int]:
        """Put the recovered items into the database (as the failed save would have),
        then remove the file.  Returns {queue: count}."""
        path = self.recovery_path
        data = read_recovery(path)
        if not data:
            return {}
        done = {}
        for name, items in list(data.items()):
            self.save(name, [tuple(i) for i in items])
            done[name] = len(items)
            del data[name]
            if data:
                with open(path, "w", encoding="utf-8") as fh:
                    json.dump({"version": 1, "queues": data}, fh)
        os.unlink(path)
        return done


def read_recovery(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    return {k: [tuple(i) for i in v] for k, v in doc.get("queues", {}).items()}
