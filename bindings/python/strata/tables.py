"""Tables: DynamoDB-style items addressed by a partition key and an optional sort key
(docs/tables.md), over the strata_table_* / strata_*_item / strata_table_query / strata_table_scan calls.

    users = db.create_table("acme", "users", pk="org", sk="id")
    users.put_item({"org": "a", "id": 1, "name": "Ann"})
    users.get_item({"org": "a", "id": 1})
    page = users.query("org = :o AND begins_with(#n, :p)", names={"#n": "name"}, …)
    with users.batch_writer(user="loader") as batch:
        batch.put_item({...}); batch.delete_item({...})

Expressions use DynamoDB's grammar (docs/expressions.md); ``names`` ({"#n": "attr"}) and
``values`` ({":v": value}) are plain Python dicts. Values are converted like everywhere else in
the binding (strata.values).
"""

from . import _ffi as C
from ._ffi import ffi, lib
from .errors import InvalidArgument, check

_RETURN = {None: C.RETURN_NONE, "NONE": C.RETURN_NONE, "ALL_OLD": C.RETURN_ALL_OLD,
           "ALL_NEW": C.RETURN_ALL_NEW}
_MISSING = object()


class Page:
    """One query or scan result: ``items`` (list of dicts), ``last_key`` (the key to pass as
    ``start_key`` for the next page, or None when the read reached the end), ``count``
    (items returned) and ``scanned_count`` (items read before the filter). Iterable."""

    __slots__ = ("items", "last_key", "count", "scanned_count")

    def __init__(self, items, last_key, count, scanned_count):
        self.items = items
        self.last_key = last_key
        self.count = count
        self.scanned_count = scanned_count

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __repr__(self):
        return "Page(%d items, last_key=%r)" % (len(self.items), self.last_key)


class _Values:
    """strata_values made for one call; all freed by close()."""

    def __init__(self, db):
        self.db = db
        self.ptrs = []
        self.refs = {}

    def make(self, obj, what):
        if obj is None:
            return ffi.NULL
        vptr, refs = self.db._value(obj)
        self.ptrs.append(vptr)
        if refs:
            self.refs.update(refs)
        return vptr

    def mapping(self, obj, what):
        if obj is None:
            return ffi.NULL
        if not isinstance(obj, dict):
            raise InvalidArgument("%s must be a dict, got %s" % (what, type(obj).__name__))
        return self.make(obj, what)

    def close(self):
        for p in self.ptrs:
            lib.strata_value_free(p)
        self.ptrs = []


def _cstr(s, what, keep):
    if s is None:
        return ffi.NULL
    from .db import _text
    keep.append(ffi.new("char[]", _text(s, what)))
    return keep[-1]


class Table:
    """A handle on table ``entry`` of ``tenant`` (cheap; holds no C resources)."""

    def __init__(self, db, tenant, entry):
        from .db import _text, _reserved
        _reserved(entry)
        self.db = db
        self.tenant = tenant
        self.entry = entry
        self._t = _text(tenant, "tenant")
        self._e = _text(entry, "entry")

    def __repr__(self):
        return "<strata.Table %s/%s>" % (self.tenant, self.entry)

    def _item_options(self, vals, keep, condition, names, values, return_values):
        if return_values not in _RETURN:
            raise InvalidArgument("return_values must be None, 'NONE', 'ALL_OLD' or 'ALL_NEW'")
        io = ffi.new("strata_item_options *")
        io.version = C.ITEM_OPTIONS_VERSION
        io.condition = _cstr(condition, "condition", keep)
        io.names = vals.mapping(names, "names")
        io.values = vals.mapping(values, "values")
        io.return_values = _RETURN[return_values]
        return io

    def _write_item(self, fn, first, extra, condition, names, values, return_values, write,
                    store_refs):
        db = self.db
        wo = db._write_options(**write)
        vals = _Values(db)
        keep = []
        try:
            v = vals.mapping(first, "item" if store_refs else "key")
            io = self._item_options(vals, keep, condition, names, values, return_values)
            if store_refs and vals.refs:
                db._store_refs(self._t, vals.refs, self.entry)
            out = ffi.new("strata_value **")
            p = db._enter()
            try:
                args = (out, p, self._t, self._e, v) + extra + (io, wo.ptr)
                rc = fn(*args)
            finally:
                db._leave()
        finally:
            vals.close()
        check(rc)
        if out[0] == ffi.NULL:
            return None
        try:
            return db._decode(out[0], db._decoder(self._t))
        finally:
            lib.strata_value_free(out[0])

    def put_item(self, item, *, condition=None, names=None, values=None, return_values=None,
                 **write):
        """Replace or create the item with ``item``'s key. ``condition`` must hold on the
        current item (else ConditionFailed, nothing changes). Returns the old item
        (return_values="ALL_OLD"), the new one ("ALL_NEW") or None."""
        return self._write_item(lib.strata_table_put_item, item, (), condition, names, values,
                                return_values, write, True)

    def delete_item(self, key, *, condition=None, names=None, values=None, return_values=None,
                    **write):
        """Delete the item with ``key`` (a dict of the key attributes); a missing item is not
        an error. return_values="ALL_OLD" returns the deleted item."""
        return self._write_item(lib.strata_table_delete_item, key, (), condition, names, values,
                                return_values, write, False)

    def update_item(self, key, update, *, condition=None, names=None, values=None,
                    return_values=None, **write):
        """Apply update expression ``update`` (SET, REMOVE, ADD, DELETE) to the item with
        ``key``, creating it when absent."""
        keep = []
        u = _cstr(update, "update", keep)
        return self._write_item(lib.strata_table_update_item, key, (u,), condition, names, values,
                                return_values, write, True)

    def get_item(self, key, default=_MISSING, *, projection=None, names=None, at=None,
                 as_of=None, snapshot=None):
        """The item with ``key`` at the read point; NotFound (or ``default``) when absent or
        expired. ``projection`` keeps only the listed paths."""
        db = self.db
        ro = db._read_options(at, as_of, snapshot)
        vals = _Values(db)
        keep = []
        try:
            k = vals.mapping(key, "key")
            n = vals.mapping(names, "names")
            pr = _cstr(projection, "projection", keep)
            out = ffi.new("strata_value **")
            p = db._enter()
            try:
                rc = lib.strata_table_get_item(out, p, self._t, self._e, k, pr, n,
                                         ro.ptr if ro else ffi.NULL)
            finally:
                db._leave()
        finally:
            vals.close()
        if rc == C.ENOTFOUND and default is not _MISSING:
            return default
        check(rc)
        try:
            return db._decode(out[0], db._decoder(self._t))
        finally:
            lib.strata_value_free(out[0])

    def _read(self, fn, key_condition, filter, projection, names, values, reverse, limit,
              start_key, segment, total_segments, at, as_of, snapshot):
        db = self.db
        ro = db._read_options(at, as_of, snapshot)
        if not isinstance(limit, int) or limit < 0:
            raise InvalidArgument("limit must be an int >= 0")
        vals = _Values(db)
        keep = []
        try:
            q = ffi.new("strata_query_options *")
            q.version = C.QUERY_OPTIONS_VERSION
            q.key_condition = _cstr(key_condition, "key_condition", keep)
            q.filter = _cstr(filter, "filter", keep)
            q.projection = _cstr(projection, "projection", keep)
            q.names = vals.mapping(names, "names")
            q.values = vals.mapping(values, "values")
            q.reverse = 1 if reverse else 0
            q.limit = limit
            q.start_key = vals.mapping(start_key, "start_key")
            q.segment = segment
            q.total_segments = total_segments
            decoder = db._decoder(self._t)
            out = ffi.new("strata_iter **")
            p = db._enter()
            try:
                check(fn(out, p, self._t, self._e, q, ro.ptr if ro else ffi.NULL))
                it = out[0]
                try:
                    items = []
                    while True:
                        rc = lib.strata_iter_next(it)
                        if rc == C.ITEROVER:
                            break
                        check(rc)
                        items.append(db._decode(lib.strata_iter_value(it), decoder))
                    lk = ffi.new("strata_value **")
                    rc = lib.strata_iter_last_key(lk, it)
                    last = None
                    if rc == 0:
                        try:
                            last = db._decode(lk[0], decoder)
                        finally:
                            lib.strata_value_free(lk[0])
                    elif rc != C.ENOTFOUND:
                        check(rc)
                    return Page(items, last, lib.strata_iter_count(it),
                                lib.strata_iter_scanned_count(it))
                finally:
                    lib.strata_iter_free(it)
            finally:
                db._leave()
        finally:
            vals.close()

    def query(self, key_condition, *, filter=None, projection=None, names=None, values=None,
              reverse=False, limit=0, start_key=None, at=None, as_of=None, snapshot=None):
        """Items of one partition in sort-key order (descending with reverse=True): a Page.
        ``limit`` counts items read before the filter (DynamoDB's Limit); continue with
        ``start_key=page.last_key``."""
        return self._read(lib.strata_table_query, key_condition, filter, projection, names, values,
                          reverse, limit, start_key, 0, 0, at, as_of, snapshot)

    def scan(self, *, filter=None, projection=None, names=None, values=None, limit=0,
             start_key=None, segment=0, total_segments=0, at=None, as_of=None, snapshot=None):
        """Every item in key order (or segment ``segment`` of ``total_segments``): a Page."""
        return self._read(lib.strata_table_scan, None, filter, projection, names, values, False,
                          limit, start_key, segment, total_segments, at, as_of, snapshot)

    def query_all(self, key_condition, *, page_size=1000, **kw):
        """Iterate over every matching item, page by page (each page one consistent read)."""
        start = None
        while True:
            page = self.query(key_condition, limit=page_size, start_key=start, **kw)
            yield from page.items
            if page.last_key is None:
                return
            start = page.last_key

    def scan_all(self, *, page_size=1000, **kw):
        """Iterate over every item of the table, page by page."""
        start = None
        while True:
            page = self.scan(limit=page_size, start_key=start, **kw)
            yield from page.items
            if page.last_key is None:
                return
            start = page.last_key

    def describe(self, *, at=None, as_of=None, snapshot=None):
        """The schema and item count: {"pk": …, "sk": …, "ttl": …, "count": n}."""
        db = self.db
        ro = db._read_options(at, as_of, snapshot)
        out = ffi.new("strata_value **")
        p = db._enter()
        try:
            rc = lib.strata_table_describe(out, p, self._t, self._e, ro.ptr if ro else ffi.NULL)
        finally:
            db._leave()
        check(rc)
        try:
            return db._decode(out[0], db._decoder(self._t))
        finally:
            lib.strata_value_free(out[0])

    def sweep_ttl(self, now=None):
        """Delete every item whose TTL lies before ``now`` (seconds since 1970 or an aware
        datetime; None: now) in one commit by user "ttl". Returns how many were removed."""
        from .db import _micros
        now_s = 0 if now is None else _micros(now, "now") // 1_000_000
        removed = ffi.new("uint64_t *")
        db = self.db
        p = db._enter()
        try:
            rc = lib.strata_table_sweep_ttl(removed, p, self._t, self._e, now_s)
        finally:
            db._leave()
        check(rc)
        return removed[0]

    def batch_writer(self, **write):
        """A context manager collecting put_item/delete_item calls into one commit (a
        transaction): committed when the block ends normally, dropped on an exception."""
        return BatchWriter(self, write)

    # The history API works on tables like on any entry.
    def history(self, max_items=0):
        return self.db.history(self.tenant, self.entry, max_items=max_items)


class BatchWriter:
    """dynafile's batch writer: ``with table.batch_writer() as batch: batch.put_item(…)``.
    Everything written in the block is one commit."""

    def __init__(self, table, write):
        self.table = table
        self._tx = table.db.transaction(table.tenant, **write)
        self.result = None

    def put_item(self, item):
        self._tx.put_item(self.table.entry, item)

    def delete_item(self, key):
        self._tx.delete_item(self.table.entry, key)

    def commit(self):
        self.result = self._tx.commit()
        return self.result

    def abort(self):
        self._tx.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._tx.abort()
        elif self._tx.active:
            self.commit()
        return False
