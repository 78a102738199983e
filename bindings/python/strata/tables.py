"""Tables: DynamoDB-style items addressed by a partition key and an optional sort key
(docs/tables.md), over the strata_table_* calls: Table, Page, BatchWriter, and the Database
methods create_table and table.

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
from ._util import MISSING, Scratch, c_int, collect, decode, micros, reserved, take, text
from .errors import InvalidArgument, check

__all__ = ["Table", "Page", "BatchWriter"]

_RETURN = {None: C.RETURN_NONE, "NONE": C.RETURN_NONE, "ALL_OLD": C.RETURN_ALL_OLD,
           "ALL_NEW": C.RETURN_ALL_NEW}


class TableMethods:
    """Database methods: create_table, table (mixed into strata.db.Database)."""

    def create_table(self, tenant, entry, pk, sk=None, ttl=None, **write):
        """Create table ``entry`` keyed by attribute ``pk`` (and sort key ``sk``); ``ttl``
        names a number attribute holding an expiry time (seconds since 1970). Returns the
        Table. AlreadyExists when the entry exists."""
        reserved(entry)
        wo = self._write_options(**write)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        with Scratch(self) as sc:
            schema = ffi.new("strata_table_schema *")
            check(lib.strata_table_schema_init(schema, C.TABLE_SCHEMA_VERSION))
            schema.pk = sc.cstr(pk, "pk")
            schema.sk = sc.cstr(sk, "sk")
            schema.ttl = sc.cstr(ttl, "ttl")
            out = ffi.new("strata_oid *")
            check(self._call(lambda db: lib.strata_table_create(out, db, t, e, schema, wo.ptr)))
        return Table(self, tenant, entry)

    def table(self, tenant, entry):
        """A handle on existing table ``entry`` (strata.tables.Table)."""
        return Table(self, tenant, entry)


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


class Table:
    """A handle on table ``entry`` of ``tenant`` (cheap; holds no C resources)."""

    def __init__(self, db, tenant, entry):
        reserved(entry)
        self.db = db
        self.tenant = tenant
        self.entry = entry
        self._t = text(tenant, "tenant")
        self._e = text(entry, "entry")

    def __repr__(self):
        return "<strata.Table %s/%s>" % (self.tenant, self.entry)

    def _write_item(self, fn, first, extra, condition, names, values, return_values, write,
                    store_refs):
        """fn(out, db, tenant, entry, first, *extra, item options, write options): one item
        write; returns the item return_values asks for, or None."""
        db = self.db
        with Scratch(db) as sc:
            extra = tuple(sc.cstr(x, what) for x, what in extra)
            wo = db._write_options(**write)
            v = sc.mapping(first, "item" if store_refs else "key")
            if return_values not in _RETURN:
                raise InvalidArgument("return_values must be None, 'NONE', 'ALL_OLD' or "
                                      "'ALL_NEW'")
            io = ffi.new("strata_item_options *")
            check(lib.strata_item_options_init(io, C.ITEM_OPTIONS_VERSION))
            io.condition = sc.cstr(condition, "condition")
            io.names = sc.mapping(names, "names")
            io.values = sc.mapping(values, "values")
            io.return_values = _RETURN[return_values]
            if store_refs and sc.refs:
                db._store_refs(self._t, sc.refs, self.entry)
            out = ffi.new("strata_value **")
            check(db._call(lambda p: fn(out, p, self._t, self._e, v, *extra, io, wo.ptr)))
        if out[0] == ffi.NULL:
            return None
        return take(out[0], db._decoder(self._t))

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
        return self._write_item(lib.strata_table_update_item, key, ((update, "update"),),
                                condition, names, values, return_values, write, True)

    def get_item(self, key, default=MISSING, *, projection=None, names=None, at=None,
                 as_of=None, snapshot=None):
        """The item with ``key`` at the read point; NotFound (or ``default``) when absent or
        expired. ``projection`` keeps only the listed paths."""
        db = self.db
        ro = db._read_options(at, as_of, snapshot)
        with Scratch(db) as sc:
            k = sc.mapping(key, "key")
            n = sc.mapping(names, "names")
            pr = sc.cstr(projection, "projection")
            out = ffi.new("strata_value **")
            rc = db._call(lambda p: lib.strata_table_get_item(out, p, self._t, self._e, k, pr, n,
                                                              ro.ptr))
        if rc == C.ENOTFOUND and default is not MISSING:
            return default
        check(rc)
        return take(out[0], db._decoder(self._t))

    def _read(self, fn, key_condition, filter, projection, names, values, reverse, limit,
              start_key, segment, total_segments, at, as_of, snapshot):
        db = self.db
        ro = db._read_options(at, as_of, snapshot)
        limit = c_int(limit, "limit", "size_t")
        segment = c_int(segment, "segment", "unsigned int")
        total_segments = c_int(total_segments, "total_segments", "unsigned int")
        with Scratch(db) as sc:
            q = ffi.new("strata_query_options *")
            check(lib.strata_query_options_init(q, C.QUERY_OPTIONS_VERSION))
            q.key_condition = sc.cstr(key_condition, "key_condition")
            q.filter = sc.cstr(filter, "filter")
            q.projection = sc.cstr(projection, "projection")
            q.names = sc.mapping(names, "names")
            q.values = sc.mapping(values, "values")
            q.reverse = 1 if reverse else 0
            q.limit = limit
            q.start_key = sc.mapping(start_key, "start_key")
            q.segment = segment
            q.total_segments = total_segments
            decoder = db._decoder(self._t)

            def last_key(it):
                lk = ffi.new("strata_value **")
                rc = lib.strata_iter_last_key(lk, it)
                if rc == C.ENOTFOUND:
                    return None
                check(rc)
                return take(lk[0], decoder)

            def tail(it):
                return (last_key(it), lib.strata_iter_count(it),
                        lib.strata_iter_scanned_count(it))
            items, (last, count, scanned) = db._call(lambda p: collect(
                lambda out: fn(out, p, self._t, self._e, q, ro.ptr),
                lambda it: decode(lib.strata_iter_value(it), decoder), tail))
        return Page(items, last, count, scanned)

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
        check(db._call(lambda p: lib.strata_table_describe(out, p, self._t, self._e, ro.ptr)))
        return take(out[0], db._decoder(self._t))

    def sweep_ttl(self, now=None):
        """Delete every item whose TTL lies before ``now`` (seconds since 1970 or an aware
        datetime; None: now) in one commit by user "ttl". Returns how many were removed."""
        now_s = 0 if now is None else micros(now, "now") // 1_000_000  # within int64_t
        removed = ffi.new("uint64_t *")
        check(self.db._call(lambda p: lib.strata_table_sweep_ttl(removed, p, self._t, self._e,
                                                                  now_s)))
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
