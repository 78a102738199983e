"""Keyed records: the Database methods over strata_records_* (put, put_many, delete,
delete_many, get, get_all, records). A records entry maps string keys to values; every write
is one commit."""

from ._ffi import ffi, lib
from . import _ffi as C
from ._util import (MISSING, iter_key, decode, pairs, reserved, take, text, write_result)
from .errors import check


class _LiveIter:
    """A C iterator a lazy Python generator is walking; Database.close frees it."""

    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr


class RecordMethods:
    """Database methods: keyed records (mixed into strata.db.Database)."""

    def put(self, tenant, entry, key, value, **write):
        """Set record ``key`` of records entry ``entry`` in one commit (WriteResult)."""
        reserved(entry)
        wo = self._write_options(**write)
        t, e, k = text(tenant, "tenant"), text(entry, "entry"), text(key, "key")
        out = ffi.new("strata_oid *")
        rc = self._with_value(t, entry, value, lambda vptr: self._call(
            lambda db: lib.strata_records_put(out, db, t, e, k, vptr, wo.ptr)))
        return write_result(rc, out)

    def put_many(self, tenant, entry, items, **write):
        """Set several records in one commit. ``items``: a dict, (key, value) pairs, or
        objects with get_key(). Later duplicates of a key win."""
        reserved(entry)
        wo = self._write_options(**write)
        return self._put_many_raw(text(tenant, "tenant"), text(entry, "entry"), pairs(items), wo)

    def _put_many_raw(self, tenant_b, entry_b, items, wo):
        """strata_records_put_many of (key, value) pairs, the values' out-of-line bytes first;
        no check of the entry name (the binding writes its reserved entry through here)."""
        keys = [ffi.new("char[]", text(k, "key")) for k, _ in items]
        vals = []
        refs = {}
        try:
            for _, v in items:
                vptr, r = self._value(v)
                vals.append(vptr)
                if r:
                    refs.update(r)
            if refs:
                self._store_refs(tenant_b, refs, entry_b.decode())
            out = ffi.new("strata_oid *")
            ks = ffi.new("const char *[]", keys)
            vs = ffi.new("strata_value *[]", vals)
            rc = self._call(lambda db: lib.strata_records_put_many(
                out, db, tenant_b, entry_b, ks, vs, len(items), wo.ptr))
        finally:
            for v in vals:
                lib.strata_value_free(v)
        return write_result(rc, out)

    def delete(self, tenant, entry, key, **write):
        """Delete record ``key`` in one commit (``changed`` False when it did not exist)."""
        return self.delete_many(tenant, entry, [key], **write)

    def delete_many(self, tenant, entry, keys, **write):
        """Delete several records in one commit."""
        reserved(entry)
        wo = self._write_options(**write)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        ks = [ffi.new("char[]", text(k, "key")) for k in keys]
        arr = ffi.new("const char *[]", ks)
        out = ffi.new("strata_oid *")
        return write_result(self._call(lambda db: lib.strata_records_delete_many(
            out, db, t, e, arr, len(ks), wo.ptr)), out)

    def get(self, tenant, entry, key, default=MISSING, *, at=None, as_of=None,
            snapshot=None):
        """Record ``key`` at the read point. A missing record (or entry) raises NotFound
        unless ``default`` is given."""
        ro = self._read_options(at, as_of, snapshot)
        t, e, k = text(tenant, "tenant"), text(entry, "entry"), text(key, "key")
        out = ffi.new("strata_value **")
        rc = self._call(lambda db: lib.strata_records_get(out, db, t, e, k, ro.ptr))
        if rc == C.ENOTFOUND and default is not MISSING:
            return default
        check(rc)
        return take(out[0], self._decoder(t))

    def get_all(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """Every record at the read point as a dict key → value (in key order)."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        out = ffi.new("strata_value **")
        check(self._call(lambda db: lib.strata_records_get_all(out, db, t, e, ro.ptr)))
        return take(out[0], self._decoder(t))

    def records(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """Iterate lazily over (key, value) in key order. The iterator reads one snapshot;
        closing the database ends it (InvalidArgument on the next step)."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        out = ffi.new("strata_iter **")

        def open_iter(db):
            check(lib.strata_records_list(out, db, t, e, ro.ptr))
            live = _LiveIter(out[0])
            with self._lock:
                self._iters.add(live)
            return live
        return self._walk_records(self._call(open_iter), self._decoder(t))

    def _walk_records(self, live, decoder):
        def step(db):
            if live.ptr is None:
                raise self._closed_error()
            rc = lib.strata_iter_next(live.ptr)
            if rc == C.ITEROVER:
                return None
            check(rc)
            return iter_key(live.ptr), decode(lib.strata_iter_value(live.ptr), decoder)
        try:
            while True:
                item = self._call(step)
                if item is None:
                    return
                yield item
        finally:
            with self._lock:
                self._iters.discard(live)
                ptr, live.ptr = live.ptr, None
            if ptr is not None:
                lib.strata_iter_free(ptr)
