"""db_sqlite: binds sqlite:// database URLs (the storage itself is SQLAlchemy's)."""
from . import Module, Param

MODULE = Module(
    name="db_sqlite",
    params={"db_set_readonly": Param(str), "db_set_journal_mode": Param(str),
            "busy_timeout": Param(int), "db_set_busy_timeout": Param(str)},
    doc="driver module for sqlite:// URLs",
)
