"""Transactions: changes to several entries of one tenant committed atomically (strata_txn_*),
and Database.transaction that begins one."""

import threading

from ._ffi import ffi, lib
from ._util import oid_or_null, pairs, reserved, text, write_result
from .errors import InvalidArgument, check
from .values import REFS_ENTRY

__all__ = ["Transaction"]


class TransactionMethods:
    """Database method: transaction (mixed into strata.db.Database)."""

    def transaction(self, tenant, **write):
        """Begin a transaction on ``tenant`` (write options as for save). Use as a context
        manager: it commits when the block ends normally and aborts on an exception."""
        return Transaction(self, tenant, write)


class Transaction:
    """Changes to several entries of one tenant, committed atomically with one set of write
    options. After an operation fails the transaction is poisoned: further operations and
    commit raise Poisoned; abort always works. Safe to use from one thread at a time (calls
    from several threads are serialised). Every call into the library holds the database's
    guard, so Database.close waits for it (and then aborts what is still open)."""

    def __init__(self, db, tenant, write):
        self._db = db
        self._lock = threading.Lock()
        self._t = text(tenant, "tenant")
        self.tenant = tenant
        self._write = dict(write)
        self.result = None
        self._ptr = None
        wo = db._write_options(**write)
        out = ffi.new("strata_txn **")

        def begin(dbp):
            rc = lib.strata_txn_begin(out, dbp, self._t, wo.ptr)
            if rc >= 0:
                self._ptr = out[0]
                with db._lock:
                    db._txns.add(self)
            return rc
        check(db._call(begin))

    def _op(self, fn, *args):
        """fn(txn, *args) as one guarded call; raises when it failed or the transaction is
        finished."""
        with self._lock:
            if self._ptr is None:
                raise InvalidArgument("the transaction is already committed or aborted")
            ptr = self._ptr
            return check(self._db._call(lambda db: fn(ptr, *args)))

    def _with_value(self, obj, fn):
        """fn(vptr) for a new strata_value of ``obj``, after putting the out-of-line bytes its
        handlers made into the tenant's reserved entry, in this transaction."""
        vptr, refs = self._db._value(obj)
        try:
            for h, data in (refs or {}).items():
                rptr, _ = self._db._value(data)
                try:
                    self._op(lib.strata_txn_put, REFS_ENTRY.encode(), h.encode(), rptr)
                finally:
                    lib.strata_value_free(rptr)
            fn(vptr)
        finally:
            lib.strata_value_free(vptr)

    def save(self, entry, value):
        """Save document ``entry`` as part of the transaction."""
        reserved(entry)
        e = text(entry, "entry")
        self._with_value(value, lambda v: self._op(lib.strata_txn_save, e, v))

    def put(self, entry, key, value):
        """Set record ``key`` of ``entry`` as part of the transaction."""
        reserved(entry)
        e, k = text(entry, "entry"), text(key, "key")
        self._with_value(value, lambda v: self._op(lib.strata_txn_put, e, k, v))

    def put_many(self, entry, items):
        reserved(entry)
        e = text(entry, "entry")
        for k, v in pairs(items):
            kb = text(k, "key")
            self._with_value(v, lambda vp: self._op(lib.strata_txn_put, e, kb, vp))

    def delete(self, entry, key):
        """Delete record ``key`` of ``entry`` as part of the transaction."""
        reserved(entry)
        self._op(lib.strata_txn_delete, text(entry, "entry"), text(key, "key"))

    def put_item(self, entry, item):
        """Put a table item as part of the transaction (the last write to a key wins)."""
        reserved(entry)
        e = text(entry, "entry")
        self._with_value(item, lambda v: self._op(lib.strata_txn_put_item, e, v))

    def delete_item(self, entry, key):
        """Delete a table item (key: dict of the key attributes) as part of the transaction."""
        reserved(entry)
        e = text(entry, "entry")
        vptr, _ = self._db._value(key)
        try:
            self._op(lib.strata_txn_delete_item, e, vptr)
        finally:
            lib.strata_value_free(vptr)

    def expect_head(self, entry, head):
        """Commit only if ``entry``'s head is still ``head`` (None or NO_HEAD: only if the
        entry does not exist); otherwise commit raises Conflict."""
        d = oid_or_null(head, "head")
        self._op(lib.strata_txn_expect_head, text(entry, "entry"), d)

    def commit(self):
        """Commit atomically. Returns the tenant's new manifest digest (a WriteResult;
        ``changed`` False when nothing changed). The transaction is finished either way."""
        out = ffi.new("strata_oid *")
        db = self._db

        def commit(dbp):
            ptr, self._ptr = self._ptr, None
            try:
                return lib.strata_txn_commit(out, ptr)
            finally:
                with db._lock:
                    db._txns.discard(self)
        with self._lock:
            if self._ptr is None:
                raise InvalidArgument("the transaction is already committed or aborted")
            # Raises when the database is closed: the transaction stays for close() to abort.
            rc = db._call(commit)
        self.result = write_result(rc, out)
        return self.result

    def abort(self):
        """Drop every change. Idempotent."""
        self._abandon()
        with self._db._lock:
            self._db._txns.discard(self)

    def _abandon(self):
        """Database.close: abort without touching the database's bookkeeping."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
            if ptr is not None:
                lib.strata_txn_abort(ptr)

    @property
    def active(self):
        return self._ptr is not None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.abort()
        elif self._ptr is not None:
            self.commit()
        return False
