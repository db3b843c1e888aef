"""db_mysql: binds mysql:// database URLs (SQLAlchemy with PyMySQL: kamlite[mysql])."""
from . import Module, Param

MODULE = Module(
    name="db_mysql",
    params={"ping_interval": Param(int), "timeout_interval": Param(int), "auto_reconnect": Param(int),
            "insert_delayed": Param(int), "update_affected_found": Param(int),
            "opt_ssl_mode": Param(int), "opt_ssl_ca": Param(str)},
    doc="driver module for mysql:// URLs",
)
