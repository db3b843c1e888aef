"""Kamailio db_url -> SQLAlchemy engine.

    sqlite:///relative/file.db      relative to the working directory (-w), as Kamailio reads it
    sqlite:////absolute/file.db     four slashes for an absolute path
    mysql://user:pass@host[:port]/db          (PyMySQL; extra: kamlite[mysql])
    postgres://user:pass@host[:port]/db       (psycopg 3; extra: kamlite[postgres])
    postgresql://...                          same

Each scheme belongs to a Kamailio driver module (db_sqlite, db_mysql, db_postgres) that the
config must load, as in Kamailio.  SQLAlchemy is imported only when a db_url is used.
"""
from __future__ import annotations

import dataclasses
import importlib.util
from urllib.parse import unquote, urlsplit

DRIVER_MODULES = {"sqlite": "db_sqlite", "mysql": "db_mysql", "postgres": "db_postgres",
                  "postgresql": "db_postgres"}
# python package needed per scheme, and the kamlite extra that installs it
PYTHON_DRIVERS = {"mysql": ("pymysql", "mysql"), "postgres": ("psycopg", "postgres"),
                  "postgresql": ("psycopg", "postgres")}


class DbUrlError(ValueError):
    pass


@dataclasses.dataclass
class DbUrl:
    url: str                 # as written in the config
    scheme: str              # sqlite, mysql, postgres
    driver_module: str       # the Kamailio module that must be loaded
    sqlalchemy_url: str

    @property
    def safe(self) -> str:
        """The URL without its password, for messages."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return self.url.replace(parts.netloc, netloc)


def parse_url(url: str) -> DbUrl:
    if "://" not in url:
        raise DbUrlError(f"bad db_url {url!r}: expected scheme://...")
    scheme = url.split("://", 1)[0].lower()
    module = DRIVER_MODULES.get(scheme)
    if module is None:
        raise DbUrlError(f"db_url scheme {scheme!r} is not supported by kamlite "
                         f"(supported: sqlite, mysql, postgres)")
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        if not path.startswith("/") or path == "/":
            raise DbUrlError(f"bad sqlite db_url {url!r}: use sqlite:///relative/path or "
                             "sqlite:////absolute/path")
        return DbUrl(url, scheme, module, "sqlite:///" + path[1:])
    parts = urlsplit(url)
    if not parts.hostname or not parts.path.strip("/"):
        raise DbUrlError(f"bad db_url {url!r}: expected {scheme}://user:password@host[:port]/database")
    dialect = "mysql+pymysql" if scheme == "mysql" else "postgresql+psycopg"
    auth = ""
    if parts.username is not None:
        auth = parts.username + (f":{parts.password}" if parts.password is not None else "") + "@"
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    port = f":{parts.port}" if parts.port else ""
    return DbUrl(url, scheme, module, f"{dialect}://{auth}{host}{port}/{unquote(parts.path.lstrip('/'))}")


def check_driver(db: DbUrl) -> None:
    """Refuse early when the Python driver for the scheme is not installed."""
    need = PYTHON_DRIVERS.get(db.scheme)
    if need and importlib.util.find_spec(need[0]) is None:
        raise DbUrlError(f"db_url {db.safe} needs the Python package {need[0]}: "
                         f"pip install 'kamlite[{need[1]}]'")


def engine(db: DbUrl, base_dir: str | None = None):
    """An engine for the URL; a relative sqlite path is taken from base_dir (-w)."""
    import os

    import sqlalchemy
    url = db.sqlalchemy_url
    kwargs = {}
    if db.scheme == "sqlite":
        path = url[len("sqlite:///"):]
        if base_dir and not os.path.isabs(path):
            url = "sqlite:///" + os.path.join(base_dir, path)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    return sqlalchemy.create_engine(url, **kwargs)
