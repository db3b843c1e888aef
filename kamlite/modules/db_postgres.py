"""db_postgres: binds postgres:// URLs (SQLAlchemy with psycopg 3: kamlite[postgres])."""
from . import Module, Param

MODULE = Module(
    name="db_postgres",
    params={"retries": Param(int), "timeout": Param(int), "tcp_keepalive": Param(int),
            "bytea_output_escape": Param(int), "con_param": Param(str)},
    doc="driver module for postgres:// and postgresql:// URLs",
)
