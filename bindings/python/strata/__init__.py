"""strata — Python binding of the strata embedded, versioned, content-addressed document
database (include/strata.h through cffi in ABI mode; see docs/python.md).

    import strata
    with strata.open("my.strata") as db:
        db.init_tenant("acme")
        db.save("acme", "config", {"theme": "dark"}, user="ann", message="first")
        db.load("acme", "config")

The seeds' interface: ``from strata import DbEngine``.
"""

from ._ffi import lib as _lib, ffi as _cffi
from .errors import (StrataError, NotFound, AlreadyExists, Conflict, InvalidArgument, Busy,
                     Corrupt, VersionError, OutOfMemory, StrataIOError, ConditionFailed,
                     LimitExceeded, Poisoned, DbException)
from .values import (InlineHandler, RefHandler, HandlerRegistry, register_handler,
                     unregister_handler, REFS_ENTRY)
from . import handlers  # the module: handlers.handlers is the process-wide registry
from ._util import WriteResult, ABSENT, NO_HEAD
from .history import Commit, Change
from .transactions import Transaction
from .tables import Table, Page, BatchWriter
from .db import Database, open
from .engine import DbEngine

__version__ = "0.1.0"


def library_version():
    """The version string of the loaded libstrata."""
    return _cffi.string(_lib.strata_version()).decode()


__all__ = ["open", "Database", "Transaction", "Commit", "Change", "WriteResult", "ABSENT",
           "NO_HEAD", "DbEngine", "Table", "Page", "BatchWriter", "InlineHandler", "RefHandler",
           "HandlerRegistry", "handlers", "register_handler", "unregister_handler", "REFS_ENTRY",
           "StrataError", "NotFound", "AlreadyExists", "Conflict", "InvalidArgument", "Busy",
           "Corrupt", "VersionError", "OutOfMemory", "StrataIOError", "ConditionFailed",
           "LimitExceeded", "Poisoned", "DbException", "library_version"]
