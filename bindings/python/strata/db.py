"""The Database handle: strata.open, lifetime, tenants, entries and documents; the other parts
of the API come from one module each and are mixed in here:

    records.RecordMethods           put, put_many, delete, delete_many, get, get_all, records
    history.HistoryMethods          commit, history, diff, restore
    transactions.TransactionMethods transaction
    tables.TableMethods             create_table, table
    listeners.ListenerMethods       listen, unlisten, listener_failures
    space.SpaceMethods              gc, set_retention, retention, space

A Database wraps one ``strata_db`` handle. It may be shared by any number of threads: the C
handle is thread-safe, cffi releases the GIL during every C call, and the guard of
strata._util.Handle counts the calls in flight (every call that takes the handle goes through
``_call``) so that ``close()`` waits for them and then frees every open iterator and
transaction before closing the handle (a closed Database raises InvalidArgument, never
crashes). Errors are raised as the StrataError subclasses of strata.errors.

Naming follows the C API: tenant → entry → (document | keyed records | table); every write is
a commit with who (user), why (message), from where (origin) and when (time); reads take a read
point (``at`` a commit digest, ``as_of`` a time, or ``snapshot`` a tenant manifest digest).
"""

import hashlib
import os

from . import _ffi as C
from ._ffi import ffi, lib
from ._util import (ABSENT, NO_HEAD, ClosesOnExit, Handle, WriteResult, c_int, collect, hex_of,
                    iter_key, micros, new_value, read_options, reserved, take, text,
                    write_options, write_result)
from ._util import _Absent  # noqa: F401  (pickles of ABSENT made before the split name it here)
from .errors import Corrupt, InvalidArgument, NotFound, check, error_for
from .history import KINDS, Change, Commit, HistoryMethods
from .listeners import ListenerMethods
from .records import RecordMethods
from .space import SpaceMethods
from .tables import TableMethods
from .transactions import Transaction, TransactionMethods
from .values import Decoder, Encoder, HandlerRegistry, REFS_ENTRY, handlers as _global_handlers

__all__ = ["Database", "Transaction", "Commit", "Change", "WriteResult", "ABSENT", "NO_HEAD",
           "open"]

_DURABILITY = {"full": C.lib.STRATA_DURABILITY_FULL, "normal": C.lib.STRATA_DURABILITY_NORMAL,
               "off": C.lib.STRATA_DURABILITY_OFF}
_REFS_ENTRY_B = REFS_ENTRY.encode()
_PLAIN = Decoder(None)  # out-of-line bytes are plain binary values


def open(path=".strata", durability="full", create=True, read_only=False, *, cache_bytes=0,
         lock_wait_ms=0, handlers=None, float_numbers=False, compress_level=0):
    """Open (by default creating) the strata database in directory ``path``.

    durability: "full" (every commit synced before it returns), "normal" (synced at intervals:
    never corrupt, may lose the last commits on power loss) or "off". read_only opens as a
    reader that never writes. lock_wait_ms: how long a commit waits for the write lock, which
    every process takes per commit (0 or < 0: as long as it takes; > 0: at most that long,
    then Busy). handlers: extra custom type handlers for
    this database (consulted before the process-wide ones). float_numbers: return non-integral
    numbers as float instead of Decimal. Raises NotFound (missing and create=False), Busy,
    Corrupt, VersionError, StrataIOError, InvalidArgument."""
    return Database(path, durability=durability, create=create, read_only=read_only,
                    cache_bytes=cache_bytes, lock_wait_ms=lock_wait_ms, handlers=handlers,
                    compress_level=compress_level,
                    float_numbers=float_numbers)


class Database(ClosesOnExit, Handle, RecordMethods, HistoryMethods, TransactionMethods,
               TableMethods, ListenerMethods, SpaceMethods):
    """An open strata database (see strata.open). A context manager: closes on exit."""

    def __init__(self, path=".strata", *, durability="full", create=True, read_only=False,
                 cache_bytes=0, lock_wait_ms=0, handlers=None, float_numbers=False,
                 compress_level=0):
        if durability not in _DURABILITY:
            raise InvalidArgument("durability must be one of 'full', 'normal', 'off', got %r"
                                  % (durability,))
        self.path = os.fspath(path)
        self.read_only = bool(read_only)
        self._registry = HandlerRegistry(handlers or (), parent=_global_handlers)
        self._float_numbers = bool(float_numbers)
        self._init_guard(self.path)
        self._txns = set()
        self._iters = set()
        self._listeners = {}
        opt = ffi.new("strata_db_options *")
        check(lib.strata_db_options_init(opt, C.DB_OPTIONS_VERSION))
        opt.create = 1 if create else 0
        opt.read_only = 1 if read_only else 0
        opt.durability = _DURABILITY[durability]
        opt.cache_bytes = c_int(cache_bytes, "cache_bytes", "size_t")
        opt.compress_level = c_int(compress_level, "compress_level", "int")
        opt.lock_wait_ms = c_int(lock_wait_ms, "lock_wait_ms", "int")
        out = ffi.new("strata_db **")
        check(lib.strata_db_open(out, text(self.path, "path"), opt))
        self._ptr = out[0]

    # -- lifetime ---------------------------------------------------------------------------

    def close(self):
        """Close the database: wait for calls in flight in other threads, abort open
        transactions, free open iterators, close the handle. Idempotent."""
        if not self._shut():
            return
        with self._lock:
            txns, self._txns = list(self._txns), set()
            iters, self._iters = list(self._iters), set()
        for txn in txns:
            txn._abandon()
        for it in iters:
            if it.ptr is not None:
                lib.strata_iter_free(it.ptr)
                it.ptr = None
        with self._lock:
            ptr, self._ptr = self._ptr, None
        lib.strata_db_close(ptr)

    @property
    def closed(self):
        return self._ptr is None

    def __del__(self):
        try:
            if getattr(self, "_ptr", None) is not None:
                self.close()
        except Exception:
            pass

    def __repr__(self):
        return "<strata.Database %r%s>" % (self.path, " closed" if self.closed else "")

    # -- what every part of the API shares --------------------------------------------------

    @staticmethod
    def _write_options(**write):
        return write_options(**write)

    @staticmethod
    def _read_options(at=None, as_of=None, snapshot=None):
        return read_options(at, as_of, snapshot)

    def _value(self, obj):
        """A new strata_value for ``obj`` (caller frees) and the refs its handlers made."""
        enc = Encoder(self._registry)
        return new_value(enc, obj), enc.refs

    def _decoder(self, tenant_b):
        return Decoder(self._registry, self._float_numbers,
                       lambda h: self._load_ref(tenant_b, h))

    def _with_value(self, tenant_b, entry, obj, fn):
        """fn(vptr) for a new strata_value of ``obj``, after storing the out-of-line bytes its
        handlers made; the value is freed afterwards. Returns fn's result."""
        vptr, refs = self._value(obj)
        try:
            if refs:
                self._store_refs(tenant_b, refs, entry)
            return fn(vptr)
        finally:
            lib.strata_value_free(vptr)

    def _load_ref(self, tenant_b, hexdigest):
        """The out-of-line bytes of a RefHandler object, checked against their digest."""
        out = ffi.new("strata_value **")
        k = hexdigest.encode()
        rc = self._call(lambda db: lib.strata_records_get(out, db, tenant_b, _REFS_ENTRY_B, k,
                                                          ffi.NULL))
        if rc < 0:
            err = error_for(rc)
            if isinstance(err, NotFound):
                raise NotFound("out-of-line data %s is missing from %s: %s"
                               % (hexdigest, REFS_ENTRY, err.message))
            raise err
        data = take(out[0], _PLAIN)
        if not isinstance(data, bytes) or hashlib.sha256(data).hexdigest() != hexdigest:
            raise Corrupt("out-of-line data %s does not hash to its name" % hexdigest)
        return data

    def _store_refs(self, tenant_b, refs, entry):
        """Store RefHandler bytes before the value that names them (a crash in between
        leaves only unreferenced bytes, never a value whose bytes are missing)."""
        self._put_many_raw(tenant_b, _REFS_ENTRY_B, list(refs.items()),
                           self._write_options(message="out-of-line data for %s" % entry))

    def verify(self):
        """Re-hash every object and check every index; returns 0, or raises Corrupt naming
        the first problem."""
        problems = ffi.new("uint64_t *")
        check(self._call(lambda db: lib.strata_db_verify(problems, db)))
        return problems[0]

    # -- tenants ----------------------------------------------------------------------------

    def init_tenant(self, tenant, **write):
        """Create ``tenant``; True when created, False when it already existed."""
        wo = self._write_options(**write)
        t = text(tenant, "tenant")
        return check(self._call(lambda db: lib.strata_tenant_init(db, t, wo.ptr))) != C.UNCHANGED

    def tenant_exists(self, tenant):
        t = text(tenant, "tenant")
        return check(self._call(lambda db: lib.strata_tenant_exists(db, t))) == 1

    def drop_tenant(self, tenant, **write):
        """Drop ``tenant`` (NotFound when it does not exist)."""
        wo = self._write_options(**write)
        t = text(tenant, "tenant")
        check(self._call(lambda db: lib.strata_tenant_drop(db, t, wo.ptr)))

    def tenants(self):
        """The tenants' names in byte order."""
        return self._call(lambda db: collect(lambda out: lib.strata_tenant_list(out, db),
                                             iter_key))

    def snapshot(self, tenant, as_of=None):
        """The tenant's manifest digest now or at time ``as_of``: usable as ``snapshot=`` in
        reads to see the whole tenant as it was."""
        t = text(tenant, "tenant")
        us = 0 if as_of is None else micros(as_of, "as_of")
        out = ffi.new("strata_oid *")
        check(self._call(lambda db: lib.strata_tenant_snapshot(out, db, t, us)))
        return hex_of(out)

    # -- entries ----------------------------------------------------------------------------

    def exists(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """True when the entry exists at the read point. A missing tenant is False."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        rc = self._call(lambda db: lib.strata_entry_exists(db, t, e, ro.ptr))
        if rc == C.ENOTFOUND:
            return False
        return check(rc) == 1

    def head(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """The entry's commit digest at the read point (NotFound when it does not exist)."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        out = ffi.new("strata_oid *")
        check(self._call(lambda db: lib.strata_entry_head(out, db, t, e, ro.ptr)))
        return hex_of(out)

    def kind(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """"document", "records" or "table"."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        rc = self._call(lambda db: lib.strata_entry_kind_of(db, t, e, ro.ptr))
        return KINDS.get(check(rc), rc)

    def entries(self, tenant, *, at=None, as_of=None, snapshot=None):
        """The tenant's entry names in byte order (the binding's reserved entry left out)."""
        ro = self._read_options(at, as_of, snapshot)
        t = text(tenant, "tenant")
        names = self._call(lambda db: collect(
            lambda out: lib.strata_entry_list(out, db, t, ro.ptr), iter_key))
        return [n for n in names if n != REFS_ENTRY]

    # -- documents --------------------------------------------------------------------------

    def save(self, tenant, entry, value, **write):
        """Save ``value`` as the new version of document ``entry``. Returns the commit digest
        (a WriteResult; ``changed`` is False when the entry already held this value).
        Write options: user, message, origin, time (aware datetime or epoch seconds),
        expect_head (hex digest, or NO_HEAD: the entry must not exist) → Conflict."""
        reserved(entry)
        wo = self._write_options(**write)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        out = ffi.new("strata_oid *")
        rc = self._with_value(t, entry, value, lambda vptr: self._call(
            lambda db: lib.strata_document_save(out, db, t, e, vptr, wo.ptr)))
        return write_result(rc, out)

    def load(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """The document's value at the read point."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        out = ffi.new("strata_value **")
        check(self._call(lambda db: lib.strata_document_load(out, db, t, e, ro.ptr)))
        return take(out[0], self._decoder(t))
