"""mqueue persistence on real databases: SQLite always, PostgreSQL and MariaDB when their
servers are installed (tests/dbservers.py starts them on loopback)."""
import os

import pytest

import kamlite
from kamlite.errors import ConfigError
from kamlite.log import Log

from .. import dbservers

DRIVER = {"sqlite": "db_sqlite", "postgres": "db_postgres", "mysql": "db_mysql"}


def cfg(url, queues, driver=True, db_url_first=False):
    scheme = url.split(":", 1)[0]
    lines = ["debug=2", 'loadmodule "pv"', 'loadmodule "xlog"']
    if driver:
        lines.append(f'loadmodule "{DRIVER[scheme]}"')
    lines.append('loadmodule "mqueue"')
    url_line = f'modparam("mqueue", "db_url", "{url}")'
    if db_url_first:
        lines.append(url_line)
    lines += ['modparam("mqueue", "mqueue", "%s")' % q.replace("\\", "\\\\").replace('"', '\\"')
              for q in queues]
    if not db_url_first:
        lines.append(url_line)          # after the queues: kamlite does not care
    return "\n".join(lines) + "\n"


def start(url, queues, tmp_path, create=True, **kw):
    log = Log(debug=2)
    lines = log.capture()
    program = kamlite.load(text=cfg(url, queues, **kw), log=log, workdir=str(tmp_path), db_create=create)
    return program, lines


def q(program, name):
    return program.modules["mqueue"].state.queues[name]


def rows(program, name):
    """The table's (key, val) rows, in id order."""
    import sqlalchemy as sa
    state = program.modules["mqueue"].state
    if state.store is None:
        state._open_store(program)
    engine = state.store.engine
    t = sa.Table(name, sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        return [(r.key, r.val) for r in conn.execute(t.select().order_by(t.c.id))]


class Db:
    def __init__(self, url, server=None):
        self.url, self.server = url, server


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        yield Db("sqlite:///queues.db")
        return
    server = (dbservers.start_postgres if request.param == "postgres" else dbservers.start_mariadb)()
    yield Db(server.url, server)
    server.cleanup()


def test_dbmode1_saves_loads_and_empties_the_table(db, tmp_path):
    p, _ = start(db.url, ["name=q1;dbmode=1"], tmp_path)
    for k, v in (("k1", "v1"), ("", "empty key"), ("k3", ""), ("k4", "v4")):
        assert q(p, "q1").add(k, v)
    q(p, "q1").fetch()                                      # fetched items are not saved
    p.destroy_modules()
    p2, lines = start(db.url, ["name=q1;dbmode=1"], tmp_path)
    assert q(p2, "q1").items() == [("", "empty key"), ("k3", ""), ("k4", "v4")]
    assert rows(p2, "q1") == []                             # loading deletes the rows
    assert "loading queue table [q1] from database" in "".join(lines)


def test_load_respects_size_and_order(db, tmp_path):
    p, _ = start(db.url, ["name=q1;dbmode=3"], tmp_path)
    for i in range(5):
        q(p, "q1").add(f"k{i}", f"v{i}")
    p.destroy_modules()
    p2, _ = start(db.url, ["name=q1;dbmode=2;size=3"], tmp_path)
    assert q(p2, "q1").items() == [("k2", "v2"), ("k3", "v3"), ("k4", "v4")]
    q(p2, "q1").add("new", "x")
    p2.destroy_modules()                                    # dbmode 2: nothing saved
    p3, _ = start(db.url, ["name=q1;dbmode=1"], tmp_path)
    assert q(p3, "q1").items() == []


def test_dbmode3_appends_without_loading(db, tmp_path):
    for n in range(2):
        p, _ = start(db.url, ["name=q1;dbmode=3"], tmp_path)
        assert q(p, "q1").size == 0
        q(p, "q1").add(f"run{n}", "x")
        p.destroy_modules()
    p, _ = start(db.url, ["name=q1;dbmode=3"], tmp_path)
    assert rows(p, "q1") == [("run0", "x"), ("run1", "x")]


def test_hostile_names_and_values(db, tmp_path):
    name = 'a"; drop table x; --'
    values = [("quote'\"`", "back\\slash"), ("tab\tnl\ncr\r", "ctl\x01\x02\x1f\x7f"),
              ("unicode é ü 日本", "emoji 😀".encode().decode("latin-1")),
              ("long", "v" * 4096), ("k" * 64, "")]
    values = [(k.encode("utf-8").decode("latin-1"), v if v.startswith("emoji") else v.encode("utf-8").decode("latin-1"))
              for k, v in values]
    definition = f"name='{name}';dbmode=1"                 # quoted: the name holds ';'
    p, _ = start(db.url, [definition], tmp_path)
    for k, v in values:
        assert q(p, name).add(k, v)
    p.destroy_modules()
    p2, _ = start(db.url, [definition], tmp_path)
    assert q(p2, name).items() == values


def test_unreachable_database_at_shutdown_keeps_every_item(db, tmp_path):
    if db.server is None:
        pytest.skip("SQLite has no server to stop (see test_unreachable_sqlite)")
    queues = ["name=q1;dbmode=1", "name=q2;dbmode=3"]
    p, lines = start(db.url, queues, tmp_path)
    for i in range(100):
        q(p, "q1").add(f"a{i}", str(i))
        q(p, "q2").add(f"b{i}", str(i))
    p.modules["mqueue"].state.store.engine.dispose()
    db.server.stop()
    p.destroy_modules()
    out = "".join(lines)
    path = os.path.join(str(tmp_path), "kamlite-mqueue.recovery")
    assert os.path.exists(path) and f"100 items kept in {path}" in out
    db.server.restart()
    p2, _ = start(db.url, queues, tmp_path)
    assert [k for k, _ in q(p2, "q1").items()] == [f"a{i}" for i in range(100)]
    assert not os.path.exists(path)
    assert [k for k, _ in rows(p2, "q2")] == [f"b{i}" for i in range(100)]


def test_unreachable_sqlite(tmp_path):
    dbdir = tmp_path / "dbdir"
    dbdir.mkdir()
    url = "sqlite:///" + str(dbdir / "q.db")              # four slashes: an absolute path
    p, lines = start(url, ["name=q1;dbmode=1"], tmp_path)
    q(p, "q1").add("k", "v")
    p.modules["mqueue"].state.store.engine.dispose()
    os.rename(dbdir, tmp_path / "moved")                     # the database is gone
    p.destroy_modules()
    assert "1 items kept in" in "".join(lines)
    os.rename(tmp_path / "moved", dbdir)
    p2, _ = start(url, ["name=q1;dbmode=1"], tmp_path)
    assert q(p2, "q1").items() == [("k", "v")]


def test_missing_table_names_the_create_statement(tmp_path):
    with pytest.raises(ConfigError) as e:
        start("sqlite:///t.db", ["name=calls;dbmode=1"], tmp_path, create=False)
    msg = str(e.value)
    assert "table 'calls' does not exist" in msg and "CREATE TABLE calls" in msg and "--db-create" in msg


def test_driver_module_must_be_loaded(tmp_path):
    with pytest.raises(ConfigError) as e:
        start("sqlite:///t.db", ["name=q1;dbmode=1"], tmp_path, driver=False)
    assert 'needs the database driver module db_sqlite: loadmodule "db_sqlite.so"' in str(e.value)


def test_unsupported_url_is_refused(tmp_path):
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "mqueue"\nmodparam("mqueue", "db_url", "text:///tmp/x")\n',
                     log=Log(debug=-10))
    assert "scheme 'text' is not supported" in str(e.value)


def test_load_needs_a_db_url(tmp_path):
    with pytest.raises(ConfigError) as e:
        kamlite.load(text='loadmodule "mqueue"\nmodparam("mqueue", "mqueue", "name=q1;dbmode=1")\n',
                     log=Log(debug=-10))
    assert "dbmode=1" in str(e.value) and "db_url is not set" in str(e.value)


def test_db_url_before_or_after_the_queues(tmp_path):
    for first in (True, False):
        p, _ = start("sqlite:///o.db", ["name=q1;dbmode=1"], tmp_path, db_url_first=first)
        q(p, "q1").add("k", str(first))
        p.destroy_modules()
    p, _ = start("sqlite:///o.db", ["name=q1;dbmode=1"], tmp_path)
    assert q(p, "q1").items() == [("k", "True"), ("k", "False")]
