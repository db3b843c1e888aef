"""Real PostgreSQL and MariaDB servers for tests, started in a temporary directory on
loopback (Debian's postgresql and mariadb-server packages), stopped afterwards.

Each start_* returns a Server with the db_url kamlite should use, or skips/fails the test
(per KAMLITE_REQUIRE_EXTERNAL) when the server or its Python driver is missing.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from .conftest import REQUIRE_EXTERNAL


def _missing(why: str):
    if REQUIRE_EXTERNAL:
        pytest.fail(why + " and KAMLITE_REQUIRE_EXTERNAL=1")
    pytest.skip(why)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _as_user(user: str) -> list[str]:
    """Prefix to run a command as `user` when we are root (the servers refuse root)."""
    if os.getuid() != 0:
        return []
    return ["runuser", "-u", user, "--"]


class Server:
    def __init__(self, kind: str, url: str, proc: subprocess.Popen, tmp: str, port: int):
        self.kind, self.url, self.proc, self.tmp, self.port = kind, url, proc, tmp, port

    def restart(self) -> None:
        """Start the stopped server again, same data and port."""
        self.proc = subprocess.Popen(self.proc.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, self.proc)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the database server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the database server did not start")


def start_postgres() -> Server:
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not bins:
        _missing("PostgreSQL is not installed (Debian package postgresql)")
    try:
        import psycopg
    except ImportError:
        _missing("the Python package psycopg is not installed (pip install 'kamlite[postgres]')")
    bindir = os.path.dirname(bins[-1])
    tmp = tempfile.mkdtemp(prefix="kamlite-pg")
    data = os.path.join(tmp, "data")
    if os.getuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    subprocess.run(_as_user("postgres") + [os.path.join(bindir, "initdb"), "-D", data, "-A", "trust",
                                          "-U", "kamlite", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(_as_user("postgres") + [bins[-1], "-D", data, "-k", tmp, "-h", "127.0.0.1",
                                                   "-p", str(port), "-c", "fsync=off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port, proc)
    for _ in range(100):
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user="kamlite", dbname="postgres",
                                 autocommit=True) as conn:
                conn.execute("CREATE DATABASE kamlite")
            break
        except psycopg.OperationalError:
            time.sleep(0.1)
    return Server("postgres", f"postgres://kamlite@127.0.0.1:{port}/kamlite", proc, tmp, port)


def start_mariadb() -> Server:
    mysqld = shutil.which("mariadbd") or shutil.which("mysqld") or (
        os.path.exists("/usr/sbin/mariadbd") and "/usr/sbin/mariadbd")
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if not mysqld or not install:
        _missing("MariaDB is not installed (Debian package mariadb-server)")
    try:
        import pymysql
    except ImportError:
        _missing("the Python package pymysql is not installed (pip install 'kamlite[mysql]')")
    tmp = tempfile.mkdtemp(prefix="kamlite-my")
    data = os.path.join(tmp, "data")
    user = "mysql" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        pw = pwd.getpwnam("mysql")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
    subprocess.run([install, "--no-defaults", f"--datadir={data}", f"--user={user}",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([mysqld, "--no-defaults", f"--datadir={data}", f"--socket={tmp}/sock",
                             f"--port={port}", "--bind-address=127.0.0.1", f"--user={user}",
                             "--skip-grant-tables", "--innodb-flush-log-at-trx-commit=0",
                             f"--pid-file={tmp}/pid"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port, proc)
    for _ in range(100):
        try:
            conn = pymysql.connect(host="127.0.0.1", port=port, user="root")
            conn.cursor().execute("CREATE DATABASE kamlite CHARACTER SET utf8mb4")
            conn.close()
            break
        except pymysql.MySQLError:
            time.sleep(0.1)
    return Server("mysql", f"mysql://root@127.0.0.1:{port}/kamlite", proc, tmp, port)
