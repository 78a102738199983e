"""The native Python API over include/strata.h: Database, Transaction, Commit, Change.

A Database wraps one ``strata_db`` handle. It may be shared by any number of threads: the C
handle is thread-safe, cffi releases the GIL during every C call, and a small guard counts the
calls in flight so that ``close()`` waits for them and then frees every open iterator and
transaction before closing the handle (a closed Database raises InvalidArgument, never
crashes). Errors are raised as the StrataError subclasses of strata.errors.

Naming follows the C API: tenant → entry → (document | keyed records); every write is a commit
with who (user), why (message), from where (origin) and when (time); reads take a read point
(``at`` a commit digest, ``as_of`` a time, or ``snapshot`` a tenant manifest digest).
"""

import hashlib
import os
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from . import _ffi as C
from ._ffi import ffi, lib
from .errors import InvalidArgument, NotFound, Corrupt, check, error_for
from .values import (Decoder, Encoder, HandlerRegistry, REFS_ENTRY, handlers as _global_handlers)

__all__ = ["Database", "Transaction", "Commit", "Change", "WriteResult", "ABSENT", "NO_HEAD",
           "open"]

NO_HEAD = "0" * 64  # expect_head value meaning "the entry must not exist yet"

_DURABILITY = {"full": C.lib.STRATA_DURABILITY_FULL, "normal": C.lib.STRATA_DURABILITY_NORMAL,
               "off": C.lib.STRATA_DURABILITY_OFF}
_KINDS = {C.ENTRY_DOCUMENT: "document", C.ENTRY_RECORDS: "records", C.ENTRY_TABLE: "table"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
_TZ_CACHE = {}
_MISSING = object()
_HAS_TABLES = hasattr(lib, "strata_iter_key_value")  # a library from before tables lacks them


class _Absent:
    """The old or new side of a Change when the key did not exist there (distinct from a
    stored null, which is None). Falsy; a singleton: test with ``is strata.ABSENT``."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self):
        return False

    def __repr__(self):
        return "ABSENT"

    def __reduce__(self):
        return (_Absent, ())


ABSENT = _Absent()


class WriteResult(str):
    """The hex digest a write produced (a str), with ``changed``: False when the write changed
    nothing and made no commit (the digest is then the unchanged head)."""

    def __new__(cls, digest, changed):
        self = super().__new__(cls, digest)
        self.changed = changed
        return self


class Commit:
    """One version of one entry, as recorded by the library. Attributes: ``digest`` (hex),
    ``entry``, ``kind`` ("document" | "records" | "table"), ``user``, ``message``, ``origin``,
    ``operation`` (what the commit did: "save", "put 3, delete 1", "restore <digest>", …),
    ``time`` (an aware datetime in the writer's UTC offset), ``time_us`` (UTC µs since 1970),
    ``tz_offset_min``, ``parents`` (tuple of hex digests, empty for the first), ``generation``
    (1 for the first) and ``data`` (hex digest of the content)."""

    __slots__ = ("digest", "entry", "kind", "user", "message", "origin", "operation", "time_us",
                 "tz_offset_min", "parents", "generation", "data")

    def __init__(self, **fields):
        for k in self.__slots__:
            setattr(self, k, fields[k])

    @property
    def time(self):
        return _datetime(self.time_us, self.tz_offset_min)

    @property
    def parent(self):
        """The first parent's digest, or None for the entry's first commit."""
        return self.parents[0] if self.parents else None

    def __eq__(self, other):
        return isinstance(other, Commit) and other.digest == self.digest

    def __hash__(self):
        return hash(self.digest)

    def __repr__(self):
        return ("Commit(%s… %s gen=%d user=%r op=%r time=%s)"
                % (self.digest[:12], self.entry, self.generation, self.user, self.operation,
                   self.time.isoformat()))


class Change(tuple):
    """One difference reported by Database.diff: a (key, old, new) tuple. ``old`` is ABSENT
    when the key was added, ``new`` is ABSENT when it was deleted. Documents give one Change
    with key "" when the value changed."""

    __slots__ = ()

    def __new__(cls, key, old, new):
        return tuple.__new__(cls, (key, old, new))

    key = property(lambda self: self[0])
    old = property(lambda self: self[1])
    new = property(lambda self: self[2])

    def __repr__(self):
        return "Change(key=%r, old=%r, new=%r)" % self


# ---- small conversions ------------------------------------------------------------------------


def _text(s, what):
    """UTF-8 bytes of a name or an audit string for a `const char *` argument. Raises
    InvalidArgument when it is not a str, holds a NUL (C would silently cut it there) or is
    not encodable. The library validates names further (1–255 bytes, no control chars)."""
    if type(s) is not str:
        if not isinstance(s, str):
            raise InvalidArgument("%s must be a str, got %s" % (what, type(s).__name__))
    if "\0" in s:
        raise InvalidArgument("%s must not contain a NUL character: %r" % (what, s))
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument("%s is not valid Unicode: %r" % (what, s)) from None


def _oid(hexdigest, what="digest"):
    """A strata_oid parsed from 64 hex characters (InvalidArgument otherwise)."""
    if not isinstance(hexdigest, str):
        raise InvalidArgument("%s must be a hex str, got %s" % (what, type(hexdigest).__name__))
    out = ffi.new("strata_oid *")
    b = _text(hexdigest, what)
    check(lib.strata_oid_parse(out, b))
    return out


def _hex(oid_ptr):
    return bytes(ffi.buffer(oid_ptr.id, 32)).hex()


def _tz(offset_min):
    tz = _TZ_CACHE.get(offset_min)
    if tz is None:
        tz = _TZ_CACHE[offset_min] = timezone(timedelta(minutes=offset_min))
    return tz


def _datetime(us, offset_min):
    """The aware datetime of UTC microseconds ``us`` in the UTC offset ``offset_min``."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(_tz(offset_min))


def _micros(t, what):
    """UTC microseconds since 1970 for an aware datetime or a number of seconds since 1970.
    A naive datetime is refused: which zone it means would be a guess."""
    if isinstance(t, datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            raise InvalidArgument("%s must be an aware datetime (with tzinfo), got %r"
                                  % (what, t))
        return (t - _EPOCH) // _US
    if isinstance(t, bool) or not isinstance(t, (int, float, Decimal)):
        raise InvalidArgument("%s must be an aware datetime or seconds since 1970, got %s"
                              % (what, type(t).__name__))
    if isinstance(t, int):
        return t * 1_000_000
    return int((Decimal(t) * 1_000_000).to_integral_value())


def _pairs(items, what="items"):
    """(key, value) pairs from a dict, a list of pairs, or objects with get_key()."""
    if isinstance(items, dict):
        return list(items.items())
    out = []
    for it in items:
        if isinstance(it, (tuple, list)) and len(it) == 2:
            out.append((it[0], it[1]))
        elif callable(getattr(it, "get_key", None)):
            out.append((it.get_key(), it))
        else:
            raise InvalidArgument("%s must be a dict, (key, value) pairs, or objects with "
                                  "get_key(); got %s" % (what, type(it).__name__))
    return out


def _reserved(entry):
    if entry == REFS_ENTRY:
        raise InvalidArgument("entry name %r is reserved for out-of-line handler data" % entry)


class _Options:
    """Write or read options in C memory plus the buffers they point to (kept alive)."""

    __slots__ = ("ptr", "keep")


class _LiveIter:
    """A C iterator a lazy Python generator is walking; Database.close frees it."""

    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr


# ---- the database -----------------------------------------------------------------------------


def open(path=".strata", durability="full", create=True, read_only=False, *, cache_bytes=0,
         lock_wait_ms=0, handlers=None, float_numbers=False, compress_level=0):
    """Open (by default creating) the strata database in directory ``path``.

    durability: "full" (every commit synced before it returns), "normal" (synced at intervals:
    never corrupt, may lose the last commits on power loss) or "off". read_only opens as a
    reader that never writes. lock_wait_ms: how long a writer waits for another process's
    lock (0: fail at once with Busy, < 0: forever). handlers: extra custom type handlers for
    this database (consulted before the process-wide ones). float_numbers: return non-integral
    numbers as float instead of Decimal. Raises NotFound (missing and create=False), Busy,
    Corrupt, VersionError, StrataIOError, InvalidArgument."""
    return Database(path, durability=durability, create=create, read_only=read_only,
                    cache_bytes=cache_bytes, lock_wait_ms=lock_wait_ms, handlers=handlers,
                    compress_level=compress_level,
                    float_numbers=float_numbers)


class Database:
    """An open strata database (see strata.open). A context manager: closes on exit."""

    def __init__(self, path=".strata", *, durability="full", create=True, read_only=False,
                 cache_bytes=0, lock_wait_ms=0, handlers=None, float_numbers=False, compress_level=0):
        if durability not in _DURABILITY:
            raise InvalidArgument("durability must be one of 'full', 'normal', 'off', got %r"
                                  % (durability,))
        self.path = os.fspath(path)
        self.read_only = bool(read_only)
        self._registry = HandlerRegistry(handlers or (), parent=_global_handlers)
        self._float_numbers = bool(float_numbers)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        self._closing = False
        self._ptr = None
        self._txns = set()
        self._iters = set()
        self._listeners = {}
        opt = ffi.new("strata_db_options *")
        check(lib.strata_db_options_init(opt, C.DB_OPTIONS_VERSION))
        opt.create = 1 if create else 0
        opt.read_only = 1 if read_only else 0
        opt.durability = _DURABILITY[durability]
        if not isinstance(cache_bytes, int) or cache_bytes < 0:
            raise InvalidArgument("cache_bytes must be an int >= 0")
        opt.cache_bytes = cache_bytes
        if not isinstance(compress_level, int) or not -2**31 <= compress_level < 2**31:
            raise InvalidArgument("compress_level must be an int")
        opt.compress_level = compress_level
        if not isinstance(lock_wait_ms, int) or not -2**31 <= lock_wait_ms < 2**31:
            raise InvalidArgument("lock_wait_ms must be an int")
        opt.lock_wait_ms = lock_wait_ms
        out = ffi.new("strata_db **")
        check(lib.strata_db_open(out, _text(self.path, "path"), opt))
        self._ptr = out[0]

    # -- lifetime ---------------------------------------------------------------------------

    def _enter(self):
        """Count a C call in flight and return the handle; InvalidArgument when closed."""
        with self._lock:
            if self._ptr is None or self._closing:
                raise InvalidArgument("the database %r is closed" % self.path)
            self._active += 1
            return self._ptr

    def _leave(self):
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._closing:
                self._idle.notify_all()

    def _call(self, fn):
        """fn(handle) as one C call in flight (see _enter/_leave); returns its result."""
        db = self._enter()
        try:
            return fn(db)
        finally:
            self._leave()

    def close(self):
        """Close the database: wait for calls in flight in other threads, abort open
        transactions, free open iterators, close the handle. Idempotent."""
        with self._lock:
            if self._ptr is None or self._closing:
                return
            self._closing = True
            while self._active:
                self._idle.wait()
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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            if getattr(self, "_ptr", None) is not None:
                self.close()
        except Exception:
            pass

    def __repr__(self):
        return "<strata.Database %r%s>" % (self.path, " closed" if self.closed else "")

    # -- helpers ----------------------------------------------------------------------------

    def _write_options(self, user=None, message=None, origin=None, time=None,
                       expect_head=None):
        o = _Options()
        wo = ffi.new("strata_write_options *")
        lib.strata_write_options_init(wo, C.WRITE_OPTIONS_VERSION)
        keep = []
        if user is not None:
            keep.append(ffi.new("char[]", _text(user, "user")))
            wo.user = keep[-1]
        if message is not None:
            keep.append(ffi.new("char[]", _text(message, "message")))
            wo.message = keep[-1]
        if origin is not None:
            keep.append(ffi.new("char[]", _text(origin, "origin")))
            wo.origin = keep[-1]
        if time is not None:
            wo.time_us = _micros(time, "time")
            if wo.time_us <= 0:
                raise InvalidArgument("time must be after 1970-01-01T00:00:00Z")
            if isinstance(time, datetime):
                off = time.utcoffset()
                if off % timedelta(minutes=1):
                    raise InvalidArgument("time's UTC offset must be whole minutes")
                wo.tz_offset_min = off // timedelta(minutes=1)
        if expect_head is not None:
            keep.append(_oid(expect_head, "expect_head"))
            wo.expect_head = keep[-1]
        o.ptr = wo
        o.keep = keep
        return o

    @staticmethod
    def _read_options(at=None, as_of=None, snapshot=None):
        if at is None and as_of is None and snapshot is None:
            return None
        if (at is not None) + (as_of is not None) + (snapshot is not None) > 1:
            raise InvalidArgument("give at most one of at, as_of, snapshot")
        o = _Options()
        ro = ffi.new("strata_read_options *")
        lib.strata_read_options_init(ro, C.READ_OPTIONS_VERSION)
        o.keep = []
        if at is not None:
            o.keep.append(_oid(at, "at"))
            ro.at = o.keep[-1]
        elif snapshot is not None:
            o.keep.append(_oid(snapshot, "snapshot"))
            ro.snapshot = o.keep[-1]
        else:
            ro.as_of_us = _micros(as_of, "as_of")
            if ro.as_of_us <= 0:
                raise InvalidArgument("as_of must be after 1970-01-01T00:00:00Z")
        o.ptr = ro
        return o

    def _value(self, obj):
        """A new strata_value for ``obj`` (caller frees) and the refs its handlers made."""
        enc = Encoder(self._registry)
        data = enc.encode(obj)
        out = ffi.new("strata_value **")
        check(lib.strata_value_from_json(out, data, len(data), C.JSON_DYNAMODB))
        return out[0], enc.refs

    def _decoder(self, tenant_b):
        return Decoder(self._registry, self._float_numbers,
                       lambda h: self._load_ref(tenant_b, h))

    def _decode(self, vptr, decoder):
        """The Python object of a strata_value (borrowed; not freed here)."""
        out = ffi.new("char **")
        n = ffi.new("size_t *")
        check(lib.strata_value_to_json(out, n, vptr, C.JSON_DYNAMODB))
        try:
            text = ffi.unpack(out[0], n[0])
        finally:
            lib.strata_free(out[0])
        return decoder.decode_text(text)

    def _load_ref(self, tenant_b, hexdigest):
        """The out-of-line bytes of a RefHandler object, checked against their digest."""
        out = ffi.new("strata_value **")
        db = self._enter()
        try:
            rc = lib.strata_records_get(out, db, tenant_b, REFS_ENTRY.encode(), hexdigest.encode(),
                                ffi.NULL)
        finally:
            self._leave()
        if rc < 0:
            err = error_for(rc)
            if isinstance(err, NotFound):
                raise NotFound("out-of-line data %s is missing from %s: %s"
                               % (hexdigest, REFS_ENTRY, err.message))
            raise err
        try:
            data = self._decode(out[0], Decoder(None))
        finally:
            lib.strata_value_free(out[0])
        if not isinstance(data, bytes) or hashlib.sha256(data).hexdigest() != hexdigest:
            raise Corrupt("out-of-line data %s does not hash to its name" % hexdigest)
        return data

    def _store_refs(self, tenant_b, refs, entry):
        """Store RefHandler bytes before the value that names them (a crash in between
        leaves only unreferenced bytes, never a value whose bytes are missing)."""
        self._put_many_raw(tenant_b, REFS_ENTRY.encode(), list(refs.items()),
                           self._write_options(message="out-of-line data for %s" % entry))

    def _put_many_raw(self, tenant_b, entry_b, pairs, wo):
        keys = [ffi.new("char[]", _text(k, "key")) for k, _ in pairs]
        vals = []
        refs = {}
        try:
            for _, v in pairs:
                vptr, r = self._value(v)
                vals.append(vptr)
                if r:
                    refs.update(r)
            if refs:
                self._store_refs(tenant_b, refs, entry_b.decode())
            out = ffi.new("strata_oid *")
            db = self._enter()
            try:
                rc = lib.strata_records_put_many(out, db, tenant_b, entry_b,
                                         ffi.new("const char *[]", keys),
                                         ffi.new("strata_value *[]", vals), len(pairs), wo.ptr)
            finally:
                self._leave()
        finally:
            for v in vals:
                lib.strata_value_free(v)
        check(rc)
        return WriteResult(_hex(out), rc != C.UNCHANGED)

    def _iterate(self, opener, each):
        """Open a C iterator with ``opener(out_ptr, db)`` and return [each(it) per item],
        all inside one guarded section; the iterator is always freed."""
        out = ffi.new("strata_iter **")
        db = self._enter()
        try:
            check(opener(out, db))
            it = out[0]
            try:
                items = []
                while True:
                    rc = lib.strata_iter_next(it)
                    if rc == C.ITEROVER:
                        break
                    check(rc)
                    items.append(each(it))
                return items
            finally:
                lib.strata_iter_free(it)
        finally:
            self._leave()

    @staticmethod
    def _iter_key(it):
        s = lib.strata_iter_key(it)
        return ffi.unpack(ffi.cast("char *", s.data), s.len).decode("utf-8")

    @staticmethod
    def _commit_from(c):
        parents = tuple(_hex(lib.strata_commit_parent(c, i))
                        for i in range(lib.strata_commit_parent_count(c)))
        return Commit(
            digest=_hex(lib.strata_commit_digest(c)),
            entry=ffi.string(lib.strata_commit_entry(c)).decode("utf-8"),
            kind=_KINDS.get(lib.strata_commit_kind(c), lib.strata_commit_kind(c)),
            user=ffi.string(lib.strata_commit_user(c)).decode("utf-8"),
            message=ffi.string(lib.strata_commit_message(c)).decode("utf-8"),
            origin=ffi.string(lib.strata_commit_origin(c)).decode("utf-8"),
            operation=ffi.string(lib.strata_commit_operation(c)).decode("utf-8"),
            time_us=lib.strata_commit_time_us(c),
            tz_offset_min=lib.strata_commit_tz_offset_min(c),
            parents=parents,
            generation=lib.strata_commit_generation(c),
            data=_hex(lib.strata_commit_data(c)))

    # -- tenants ----------------------------------------------------------------------------

    def init_tenant(self, tenant, **write):
        """Create ``tenant``; True when created, False when it already existed."""
        wo = self._write_options(**write)
        t = _text(tenant, "tenant")
        rc = self._call(lambda db: lib.strata_tenant_init(db, t, wo.ptr))
        return check(rc) != C.UNCHANGED

    def tenant_exists(self, tenant):
        t = _text(tenant, "tenant")
        rc = self._call(lambda db: lib.strata_tenant_exists(db, t))
        return check(rc) == 1

    def drop_tenant(self, tenant, **write):
        """Drop ``tenant`` (NotFound when it does not exist)."""
        wo = self._write_options(**write)
        t = _text(tenant, "tenant")
        rc = self._call(lambda db: lib.strata_tenant_drop(db, t, wo.ptr))
        check(rc)

    def tenants(self):
        """The tenants' names in byte order."""
        return self._iterate(lambda out, db: lib.strata_tenant_list(out, db), self._iter_key)

    def snapshot(self, tenant, as_of=None):
        """The tenant's manifest digest now or at time ``as_of``: usable as ``snapshot=`` in
        reads to see the whole tenant as it was."""
        t = _text(tenant, "tenant")
        us = 0 if as_of is None else _micros(as_of, "as_of")
        out = ffi.new("strata_oid *")
        rc = self._call(lambda db: lib.strata_tenant_snapshot(out, db, t, us))
        check(rc)
        return _hex(out)

    # -- entries ----------------------------------------------------------------------------

    def exists(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """True when the entry exists at the read point. A missing tenant is False."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        rc = self._call(lambda db: lib.strata_entry_exists(db, t, e, ro.ptr if ro else ffi.NULL))
        if rc == C.ENOTFOUND:
            return False
        return check(rc) == 1

    def head(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """The entry's commit digest at the read point (NotFound when it does not exist)."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        out = ffi.new("strata_oid *")
        rc = self._call(lambda db: lib.strata_entry_head(out, db, t, e, ro.ptr if ro else ffi.NULL))
        check(rc)
        return _hex(out)

    def kind(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """"document", "records" or "table"."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        rc = self._call(lambda db: lib.strata_entry_kind_of(db, t, e, ro.ptr if ro else ffi.NULL))
        return _KINDS.get(check(rc), rc)

    def entries(self, tenant, *, at=None, as_of=None, snapshot=None):
        """The tenant's entry names in byte order (the binding's reserved entry left out)."""
        ro = self._read_options(at, as_of, snapshot)
        t = _text(tenant, "tenant")
        names = self._iterate(
            lambda out, db: lib.strata_entry_list(out, db, t, ro.ptr if ro else ffi.NULL),
            self._iter_key)
        return [n for n in names if n != REFS_ENTRY]

    # -- documents --------------------------------------------------------------------------

    def save(self, tenant, entry, value, **write):
        """Save ``value`` as the new version of document ``entry``. Returns the commit digest
        (a WriteResult; ``changed`` is False when the entry already held this value).
        Write options: user, message, origin, time (aware datetime or epoch seconds),
        expect_head (hex digest, or NO_HEAD: the entry must not exist) → Conflict."""
        _reserved(entry)
        wo = self._write_options(**write)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        vptr, refs = self._value(value)
        try:
            if refs:
                self._store_refs(t, refs, entry)
            out = ffi.new("strata_oid *")
            rc = self._call(lambda db: lib.strata_document_save(out, db, t, e, vptr, wo.ptr))
        finally:
            lib.strata_value_free(vptr)
        check(rc)
        return WriteResult(_hex(out), rc != C.UNCHANGED)

    def load(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """The document's value at the read point."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        out = ffi.new("strata_value **")
        rc = self._call(lambda db: lib.strata_document_load(out, db, t, e, ro.ptr if ro else ffi.NULL))
        check(rc)
        try:
            return self._decode(out[0], self._decoder(t))
        finally:
            lib.strata_value_free(out[0])

    # -- keyed records ----------------------------------------------------------------------

    def put(self, tenant, entry, key, value, **write):
        """Set record ``key`` of records entry ``entry`` in one commit (WriteResult)."""
        _reserved(entry)
        wo = self._write_options(**write)
        t, e, k = _text(tenant, "tenant"), _text(entry, "entry"), _text(key, "key")
        vptr, refs = self._value(value)
        try:
            if refs:
                self._store_refs(t, refs, entry)
            out = ffi.new("strata_oid *")
            rc = self._call(lambda db: lib.strata_records_put(out, db, t, e, k, vptr, wo.ptr))
        finally:
            lib.strata_value_free(vptr)
        check(rc)
        return WriteResult(_hex(out), rc != C.UNCHANGED)

    def put_many(self, tenant, entry, items, **write):
        """Set several records in one commit. ``items``: a dict, (key, value) pairs, or
        objects with get_key(). Later duplicates of a key win."""
        _reserved(entry)
        wo = self._write_options(**write)
        return self._put_many_raw(_text(tenant, "tenant"), _text(entry, "entry"),
                                  _pairs(items), wo)

    def delete(self, tenant, entry, key, **write):
        """Delete record ``key`` in one commit (``changed`` False when it did not exist)."""
        return self.delete_many(tenant, entry, [key], **write)

    def delete_many(self, tenant, entry, keys, **write):
        """Delete several records in one commit."""
        _reserved(entry)
        wo = self._write_options(**write)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        ks = [ffi.new("char[]", _text(k, "key")) for k in keys]
        out = ffi.new("strata_oid *")
        db = self._enter()
        try:
            rc = lib.strata_records_delete_many(out, db, t, e, ffi.new("const char *[]", ks), len(ks),
                                        wo.ptr)
        finally:
            self._leave()
        check(rc)
        return WriteResult(_hex(out), rc != C.UNCHANGED)

    def get(self, tenant, entry, key, default=_MISSING, *, at=None, as_of=None,
            snapshot=None):
        """Record ``key`` at the read point. A missing record (or entry) raises NotFound
        unless ``default`` is given."""
        ro = self._read_options(at, as_of, snapshot)
        t, e, k = _text(tenant, "tenant"), _text(entry, "entry"), _text(key, "key")
        out = ffi.new("strata_value **")
        rc = self._call(lambda db: lib.strata_records_get(out, db, t, e, k, ro.ptr if ro else ffi.NULL))
        if rc == C.ENOTFOUND and default is not _MISSING:
            return default
        check(rc)
        try:
            return self._decode(out[0], self._decoder(t))
        finally:
            lib.strata_value_free(out[0])

    def get_all(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """Every record at the read point as a dict key → value (in key order)."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        out = ffi.new("strata_value **")
        rc = self._call(lambda db: lib.strata_records_get_all(out, db, t, e, ro.ptr if ro else ffi.NULL))
        check(rc)
        try:
            d = self._decode(out[0], self._decoder(t))
        finally:
            lib.strata_value_free(out[0])
        return d

    def records(self, tenant, entry, *, at=None, as_of=None, snapshot=None):
        """Iterate lazily over (key, value) in key order. The iterator reads one snapshot;
        closing the database ends it (InvalidArgument on the next step)."""
        ro = self._read_options(at, as_of, snapshot)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        out = ffi.new("strata_iter **")
        db = self._enter()
        try:
            rc = lib.strata_records_list(out, db, t, e, ro.ptr if ro else ffi.NULL)
            if rc >= 0:
                live = _LiveIter(out[0])
                with self._lock:
                    self._iters.add(live)
        finally:
            self._leave()
        check(rc)
        return self._walk_records(live, self._decoder(t))

    def _walk_records(self, live, decoder):
        try:
            while True:
                self._enter()
                try:
                    if live.ptr is None:
                        raise InvalidArgument("the database %r is closed" % self.path)
                    rc = lib.strata_iter_next(live.ptr)
                    if rc == C.ITEROVER:
                        return
                    check(rc)
                    key = self._iter_key(live.ptr)
                    value = self._decode(lib.strata_iter_value(live.ptr), decoder)
                finally:
                    self._leave()
                yield key, value
        finally:
            with self._lock:
                self._iters.discard(live)
                ptr, live.ptr = live.ptr, None
            if ptr is not None:
                lib.strata_iter_free(ptr)

    # -- commits, history, diff, restore ----------------------------------------------------

    def commit(self, tenant, digest):
        """The Commit ``digest`` of this tenant (NotFound when there is none)."""
        t = _text(tenant, "tenant")
        d = _oid(digest)
        out = ffi.new("strata_commit **")
        rc = self._call(lambda db: lib.strata_commit_lookup(out, db, t, d))
        check(rc)
        try:
            return self._commit_from(out[0])
        finally:
            lib.strata_commit_free(out[0])

    def history(self, tenant, entry, start=None, max_items=0):
        """The entry's commits newest first, from ``start`` (a digest; None: the head), at
        most ``max_items`` (0: all)."""
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        frm = _oid(start, "start") if start is not None else ffi.NULL
        if not isinstance(max_items, int) or max_items < 0:
            raise InvalidArgument("max_items must be an int >= 0")
        return self._iterate(
            lambda out, db: lib.strata_entry_history(out, db, t, e, frm, max_items),
            lambda it: self._commit_from(lib.strata_iter_commit(it)))

    def diff(self, tenant, entry, a, b=None):
        """What changed in ``entry`` from commit ``a`` to commit ``b`` (None: the head): a list
        of Change(key, old, new) in key order; ABSENT marks a side where the key did not
        exist. Records give the key str, tables the dict of key attributes; a document gives
        one Change with key "" when its value changed."""
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        pa = _oid(a, "a")
        pb = _oid(b, "b") if b is not None else ffi.NULL
        decoder = self._decoder(t)

        def each(it):
            old = lib.strata_iter_old_value(it)
            new = lib.strata_iter_value(it)
            kv = lib.strata_iter_key_value(it) if _HAS_TABLES else ffi.NULL
            key = self._decode(kv, decoder) if kv != ffi.NULL else self._iter_key(it)
            return Change(key,
                          ABSENT if old == ffi.NULL else self._decode(old, decoder),
                          ABSENT if new == ffi.NULL else self._decode(new, decoder))
        return self._iterate(lambda out, db: lib.strata_entry_diff(out, db, t, e, pa, pb), each)

    def restore(self, tenant, entry, digest, **write):
        """Make a new commit whose content equals commit ``digest`` of ``entry`` (history is
        kept). WriteResult; ``changed`` False when the head already had that content."""
        _reserved(entry)
        wo = self._write_options(**write)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        d = _oid(digest)
        out = ffi.new("strata_oid *")
        rc = self._call(lambda db: lib.strata_entry_restore(out, db, t, e, d, wo.ptr))
        check(rc)
        return WriteResult(_hex(out), rc != C.UNCHANGED)

    def verify(self):
        """Re-hash every object and check every index; returns 0, or raises Corrupt naming
        the first problem."""
        problems = ffi.new("uint64_t *")
        rc = self._call(lambda db: lib.strata_db_verify(problems, db))
        check(rc)
        return problems[0]

    # -- space ------------------------------------------------------------------------------

    def gc(self, min_dead_share=0.0):
        """Reclaim space now (docs/gc.md): returns the run's report as a dict (bytes_before,
        bytes_after, segments_swept, live_objects, truncated, duration_us, ...)."""
        opt = ffi.new("strata_gc_options *")
        opt.version = C.GC_OPTIONS_VERSION
        opt.min_dead_share = float(min_dead_share)
        rep = ffi.new("strata_gc_report *")
        rc = self._call(lambda db: lib.strata_db_gc(rep, db, opt))
        check(rc)
        return {f: getattr(rep, f) for f in ("live_objects", "live_bytes", "segments_before",
                                             "segments_swept", "objects_copied", "bytes_copied",
                                             "bytes_before", "bytes_after", "pinned", "truncated",
                                             "duration_us", "blocked_us")}

    def set_retention(self, tenant, entry=None, *, keep_commits=0, keep_age=0, audit=False, **write):
        """Keep the newest ``keep_commits`` commits and/or those younger than ``keep_age``
        seconds (a number or a datetime.timedelta) of each entry of ``tenant`` (or of one
        ``entry``) at the next gc(); both 0 removes the policy."""
        if hasattr(keep_age, "total_seconds"):
            keep_age = int(keep_age.total_seconds())
        wo = self._write_options(**write)
        t = _text(tenant, "tenant")
        e = ffi.NULL if entry is None else _text(entry, "entry")
        rc = self._call(lambda db: lib.strata_retention_set(db, t, e, int(keep_commits), int(keep_age), 1 if audit else 0, wo.ptr))
        check(rc)

    def retention(self, tenant, entry=None):
        """The policy in force as a dict {keep_commits, keep_age, audit}, or None."""
        kc = ffi.new("uint64_t *")
        ka = ffi.new("int64_t *")
        au = ffi.new("int *")
        t = _text(tenant, "tenant")
        e = ffi.NULL if entry is None else _text(entry, "entry")
        rc = self._call(lambda db: lib.strata_retention_get(kc, ka, au, db, t, e))
        if rc == C.ENOTFOUND:
            return None
        check(rc)
        return {"keep_commits": kc[0], "keep_age": ka[0], "audit": bool(au[0])}

    def space(self):
        """Space statistics: file_bytes, segments, objects, live_bytes, dead_bytes, gc_runs,
        last_gc (an aware datetime or None), last_gc_freed."""
        st = ffi.new("strata_space_stats *")
        st.version = C.SPACE_STATS_VERSION
        rc = self._call(lambda db: lib.strata_db_stats(st, db))
        check(rc)
        out = {f: getattr(st, f) for f in ("file_bytes", "segments", "objects", "live_bytes",
                                           "dead_bytes", "gc_runs", "last_gc_freed")}
        out["last_gc"] = _datetime(st.last_gc_us, 0) if st.last_gc_us else None
        return out

    # -- tables -----------------------------------------------------------------------------

    def create_table(self, tenant, entry, pk, sk=None, ttl=None, **write):
        """Create table ``entry`` keyed by attribute ``pk`` (and sort key ``sk``); ``ttl``
        names a number attribute holding an expiry time (seconds since 1970). Returns the
        Table. AlreadyExists when the entry exists."""
        from .tables import Table
        _reserved(entry)
        wo = self._write_options(**write)
        t, e = _text(tenant, "tenant"), _text(entry, "entry")
        keep = []
        sc = ffi.new("strata_table_schema *")
        sc.version = C.TABLE_SCHEMA_VERSION
        for field, val in (("pk", pk), ("sk", sk), ("ttl", ttl)):
            if val is not None:
                keep.append(ffi.new("char[]", _text(val, field)))
                setattr(sc, field, keep[-1])
        out = ffi.new("strata_oid *")
        rc = self._call(lambda db: lib.strata_table_create(out, db, t, e, sc, wo.ptr))
        check(rc)
        return Table(self, tenant, entry)

    def table(self, tenant, entry):
        """A handle on existing table ``entry`` (strata.tables.Table)."""
        from .tables import Table
        return Table(self, tenant, entry)

    def listen(self, fn):
        """Call ``fn(tenant, entry, key, old, new)`` once per changed item after each durable
        commit, on the committing thread (key: records → str, tables → dict of key attributes,
        documents → None; old/new ABSENT on creation/deletion). An exception in ``fn`` is
        counted (listener_failures) and ignored. Returns an id for unlisten."""
        if not callable(fn):
            raise InvalidArgument("listener must be callable")
        decoder_cache = {}

        def trampoline(tenant_c, entry_c, key, old, new, payload):
            try:
                tenant_b = ffi.string(tenant_c)
                dec = decoder_cache.get(tenant_b)
                if dec is None:
                    dec = decoder_cache[tenant_b] = self._decoder(tenant_b)
                fn(tenant_b.decode("utf-8"), ffi.string(entry_c).decode("utf-8"),
                   None if key == ffi.NULL else self._decode(key, dec),
                   ABSENT if old == ffi.NULL else self._decode(old, dec),
                   ABSENT if new == ffi.NULL else self._decode(new, dec))
                return 0
            except BaseException:  # counted by the library; never propagates into C
                return 1

        cb = ffi.callback("strata_listener_fn", trampoline)
        out = ffi.new("uint64_t *")
        rc = self._call(lambda db: lib.strata_listener_add(out, db, cb, ffi.NULL))
        check(rc)
        with self._lock:
            self._listeners[out[0]] = cb  # keeps the C callback alive
        return out[0]

    def unlisten(self, listener_id):
        """Remove a listener registered with listen (NotFound for an unknown id)."""
        rc = self._call(lambda db: lib.strata_listener_remove(db, listener_id))
        check(rc)
        with self._lock:
            self._listeners.pop(listener_id, None)

    def listener_failures(self):
        """How many listener calls failed (raised) since the database was opened."""
        db = self._enter()
        try:
            return lib.strata_listener_failures(db)
        finally:
            self._leave()

    # -- transactions -----------------------------------------------------------------------

    def transaction(self, tenant, **write):
        """Begin a transaction on ``tenant`` (write options as for save). Use as a context
        manager: it commits when the block ends normally and aborts on an exception."""
        return Transaction(self, tenant, write)


class Transaction:
    """Changes to several entries of one tenant, committed atomically with one set of write
    options. After an operation fails the transaction is poisoned: further operations and
    commit raise Poisoned; abort always works. Safe to use from one thread at a time (calls
    from several threads are serialised)."""

    def __init__(self, db, tenant, write):
        self._db = db
        self._lock = threading.Lock()
        self._t = _text(tenant, "tenant")
        self.tenant = tenant
        self._write = dict(write)
        self.result = None
        wo = db._write_options(**write)
        out = ffi.new("strata_txn **")
        ptr = db._enter()
        try:
            rc = lib.strata_txn_begin(out, ptr, self._t, wo.ptr)
            if rc >= 0:
                with db._lock:
                    db._txns.add(self)
        finally:
            db._leave()
        check(rc)
        self._ptr = out[0]

    def _call(self, fn, *args):
        with self._lock:
            if self._ptr is None:
                raise InvalidArgument("the transaction is already committed or aborted")
            self._db._enter()
            try:
                rc = fn(self._ptr, *args)
            finally:
                self._db._leave()
        return check(rc)

    def _put_value(self, entry_b, key_b, value):
        vptr, refs = self._db._value(value)
        try:
            if refs:
                for h, data in refs.items():
                    rptr, _ = self._db._value(data)
                    try:
                        self._call(lib.strata_txn_put, REFS_ENTRY.encode(), h.encode(), rptr)
                    finally:
                        lib.strata_value_free(rptr)
            if key_b is None:
                self._call(lib.strata_txn_save, entry_b, vptr)
            else:
                self._call(lib.strata_txn_put, entry_b, key_b, vptr)
        finally:
            lib.strata_value_free(vptr)

    def save(self, entry, value):
        """Save document ``entry`` as part of the transaction."""
        _reserved(entry)
        self._put_value(_text(entry, "entry"), None, value)

    def put(self, entry, key, value):
        """Set record ``key`` of ``entry`` as part of the transaction."""
        _reserved(entry)
        self._put_value(_text(entry, "entry"), _text(key, "key"), value)

    def put_many(self, entry, items):
        _reserved(entry)
        e = _text(entry, "entry")
        for k, v in _pairs(items):
            self._put_value(e, _text(k, "key"), v)

    def delete(self, entry, key):
        """Delete record ``key`` of ``entry`` as part of the transaction."""
        _reserved(entry)
        self._call(lib.strata_txn_delete, _text(entry, "entry"), _text(key, "key"))

    def put_item(self, entry, item):
        """Put a table item as part of the transaction (the last write to a key wins)."""
        _reserved(entry)
        e = _text(entry, "entry")
        vptr, refs = self._db._value(item)
        try:
            if refs:
                for h, data in refs.items():
                    rptr, _ = self._db._value(data)
                    try:
                        self._call(lib.strata_txn_put, REFS_ENTRY.encode(), h.encode(), rptr)
                    finally:
                        lib.strata_value_free(rptr)
            self._call(lib.strata_txn_put_item, e, vptr)
        finally:
            lib.strata_value_free(vptr)

    def delete_item(self, entry, key):
        """Delete a table item (key: dict of the key attributes) as part of the transaction."""
        _reserved(entry)
        e = _text(entry, "entry")
        vptr, _ = self._db._value(key)
        try:
            self._call(lib.strata_txn_delete_item, e, vptr)
        finally:
            lib.strata_value_free(vptr)

    def expect_head(self, entry, head):
        """Commit only if ``entry``'s head is still ``head`` (None or NO_HEAD: only if the
        entry does not exist); otherwise commit raises Conflict."""
        d = _oid(head, "head") if head is not None else ffi.NULL
        self._call(lib.strata_txn_expect_head, _text(entry, "entry"), d)

    def commit(self):
        """Commit atomically. Returns the tenant's new manifest digest (a WriteResult;
        ``changed`` False when nothing changed). The transaction is finished either way."""
        out = ffi.new("strata_oid *")
        db = self._db
        with self._lock:
            if self._ptr is None:
                raise InvalidArgument("the transaction is already committed or aborted")
            db._enter()  # raises when closed: the transaction stays for close() to abort
            ptr, self._ptr = self._ptr, None
            try:
                rc = lib.strata_txn_commit(out, ptr)
            finally:
                db._leave()
                with db._lock:
                    db._txns.discard(self)
        check(rc)
        self.result = WriteResult(_hex(out), rc != C.UNCHANGED)
        return self.result

    def abort(self):
        """Drop every change. Idempotent."""
        with self._lock:
            ptr, self._ptr = self._ptr, None
            if ptr is not None:
                lib.strata_txn_abort(ptr)
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
