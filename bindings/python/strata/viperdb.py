"""strata.viperdb — viperdb's API (``ViperDB``, a dict-like key-value store) on strata.

    from strata.viperdb import ViperDB     # was: from viperdb import ViperDB
    db = ViperDB("./db")
    db["hello"] = "ViperDB!"
    del db["hello"]
    db.reclaim()                            # give back the space of old and deleted values
    db.close()

The store is one strata database in directory ``path`` holding one records entry (tenant
``viperdb``, entry ``kv``). Keys are str or int (stored as the record keys ``s<text>`` and
``i<digits>``; a str with control characters as ``e<escaped>``). Values are encoded as the seed
encodes them: raw ``bytes`` as binary, other builtin values as JSON text (so a float stays a
float, a tuple comes back as a list, dict keys as strings, exactly like the seed), and instances
of user classes with ``pickle``.

**pickle executes code when it loads.** Only open a ViperDB whose files come from a source you
trust, exactly as with the seed; values of builtin types never go through pickle. Nothing else
in strata uses pickle.

Writes are buffered like the seed's (it writes through buffered files and flushes at close):
up to ``write_buffer`` changed keys are kept in memory and written as one strata commit when
the buffer is full and at ``flush()``, ``reclaim()``, ``close()``, iteration and ``len()``.
A write is *acknowledged* — it survives the writer being killed, and with durability="full"
a power loss — once the ``flush()`` (or ``close()``) after it returned; with
``write_buffer=0`` every assignment is its own commit, acknowledged when it returns. Reads
always see the buffered writes.

Beyond the seed: every flush is a strata commit, so ``history(key)`` lists the values a key had
and ``get(key, at=digest)`` / ``get(key, as_of=time)`` read an older version — until
``reclaim()``, which keeps only the current values (as the seed's reclaim does).
"""

import json
import os
import pickle
import re
import struct
import threading
import time
from collections import namedtuple
from collections.abc import MutableMapping

from . import _ffi as C
from ._ffi import ffi, lib
from ._util import ABSENT, ClosesOnExit, collect, iter_key, micros, read_options, write_options
from .db import Database
from .errors import InvalidArgument, check

__all__ = ["ViperDB", "KeyVersion"]

TENANT = "viperdb"
ENTRY = "kv"

_DELETED = None  # a pending deletion in the write buffer
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f%]")
_UNESCAPE = re.compile("%([0-9a-f]{2})")
_dumps = json.dumps
_raw_decode = json.JSONDecoder().raw_decode  # our own json.dumps output: no padding to strip
_NOT_CACHED = object()
_pack_double = struct.Struct(">d").pack
_unpack_double = struct.Struct(">d").unpack
_TAG_BYTES = {4: b"\x04", 5: b"\x05"}
_T = TENANT.encode()
_E = ENTRY.encode()

_HEAD = read_options()
_WRITE = write_options(user="viperdb")

KeyVersion = namedtuple("KeyVersion", "digest time value")
KeyVersion.__doc__ = """One version of a key (ViperDB.history): the commit ``digest`` that
wrote it, its ``time`` (aware datetime) and the ``value`` (strata.ABSENT: deleted)."""


def _record_key(key):
    """The strata record key of a ViperDB key (str or int; InvalidArgument, a TypeError,
    otherwise)."""
    t = type(key)
    if t is str:
        if _CONTROL.search(key) is None:
            rk = "s" + key
        else:
            rk = "e" + _ESCAPE.sub(lambda m: "%%%02x" % ord(m.group()), key)
        try:
            n = len(rk.encode("utf-8"))
        except UnicodeEncodeError:
            raise InvalidArgument("ViperDB key is not valid Unicode: %r" % key) from None
        if n > 255:
            raise InvalidArgument("ViperDB key is too long: at most 254 UTF-8 bytes (strata's "
                                  "record keys), got %r..." % key[:20])
        return rk
    if t is int or (isinstance(key, int) and t is not bool):
        return "i%d" % key
    raise InvalidArgument("ViperDB keys must be str or int, got %s" % t.__name__)


def _user_key(rk):
    """The ViperDB key of a strata record key (the inverse of _record_key)."""
    tag = rk[0]
    if tag == "s":
        return rk[1:]
    if tag == "i":
        return int(rk[1:])
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), rk[1:])


def _varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _canonical(tag, payload):
    """strata's canonical encoding of a string (tag 4) or binary (tag 5) value
    (docs/format.md, "Values"); strata_value_from_bytes validates it."""
    n = len(payload)
    return (_TAG_BYTES[tag] + bytes((n,)) if n < 0x80 else _TAG_BYTES[tag] + _varint(n)) + payload


def _encode(value, expiration_ms):
    """The stored value of ``value``, encoded like the seed: builtins as JSON text, raw bytes
    as they are, other objects pickled. Builtins without an expiration are a strata string
    holding the JSON text (readable with strata's tools); everything else is a binary value:
    b"b" + bytes | b"p" + pickle | b"x" + 8-byte big-endian double (expiration, epoch ms) +
    one of the first three (b"j" + JSON text for builtins). Returns canonical value bytes."""
    if type(value) is bytes:
        body = b"b" + value
    elif value.__class__.__module__ == "builtins":
        text = _dumps(value).encode("ascii")  # TypeError for what JSON cannot hold, as the seed
        if expiration_ms is None:
            return _canonical(4, text)
        body = b"j" + text
    else:
        body = b"p" + pickle.dumps(value)
    if expiration_ms is not None:
        body = b"x" + _pack_double(float(expiration_ms)) + body
    return _canonical(5, body)


def _split(canon):
    """(expiration ms or None, kind b"j"/b"b"/b"p", payload) of stored canonical bytes."""
    i = 1
    while canon[i] & 0x80:
        i += 1
    body = canon[i + 1:]
    if canon[0] == 4:
        return None, b"j", body
    if body[:1] == b"x":
        return _unpack_double(body[1:9])[0], body[9:10], body[10:]
    return None, body[:1], body[1:]


def _expired(canon, now_ms):
    if canon[0] == 4:
        return False
    exp = _split(canon)[0]
    return exp is not None and now_ms > exp


def _decode(canon):
    _, kind, payload = _split(canon)
    if kind == b"j":
        return _raw_decode(payload.decode("ascii"))[0]
    if kind == b"b":
        return payload
    return pickle.loads(payload)  # trusted data only (module docstring)


def _now_ms():
    return time.time() * 1000.0


def _value_bytes(vptr):
    """The canonical bytes of a borrowed strata_value."""
    s = lib.strata_value_bytes(vptr)
    return ffi.unpack(ffi.cast("char *", s.data), s.len)


class ViperDB(ClosesOnExit, MutableMapping):
    """viperdb's database: ``ViperDB(path)`` opens (creating) the store in directory ``path``.

    A MutableMapping: ``db[k] = v``, ``db[k]`` (None for a missing or expired key, as in the
    seed), ``del db[k]`` (no error for a missing key, as in the seed), ``k in db``, ``len(db)``
    and iteration (in key order: strata's record order, not insertion order).

    Keyword options (not in the seed): ``durability`` ("full", "normal", "off"; strata.open),
    ``write_buffer`` (changed keys held before a commit; 0: commit every write),
    ``cache_items`` (stored values of recently read keys kept in memory, as encoded bytes;
    0: none). The handle is strata's only writer of the directory (a second one gets Busy),
    so the cache is never stale; do not write the entry through ``.strata`` yourself."""

    def __init__(self, path, *, durability="normal", write_buffer=1000, cache_items=100_000):
        if not isinstance(write_buffer, int) or write_buffer < 0:
            raise InvalidArgument("write_buffer must be an int >= 0")
        if not isinstance(cache_items, int) or cache_items < 0:
            raise InvalidArgument("cache_items must be an int >= 0")
        self._cache = {}
        self._cache_max = cache_items
        self._lock = threading.RLock()  # the buffer and the cache (the seed locks each call)
        self._path = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(self._path))
        os.makedirs(parent, exist_ok=True)  # the seed creates its directory with parents
        self._db = Database(self._path, durability=durability)
        self._buffer_max = write_buffer
        self._pending = {}
        if not self._db.tenant_exists(TENANT):
            self._db.init_tenant(TENANT, user="viperdb")

    # -- the seed's API ---------------------------------------------------------------------

    def __getitem__(self, key):
        rec = self._record(_record_key(key))
        if rec is None or _expired(rec, _now_ms()):
            return None
        return _decode(rec)

    def __setitem__(self, key, value):
        self._set(_record_key(key), _encode(value, None))

    def __delitem__(self, key):
        rk = _record_key(key)
        with self._lock:
            if self._pending.get(rk, 0) is _DELETED:
                return
            self._pending[rk] = _DELETED
            self._maybe_flush()

    def set_with_expiration(self, key, value, expiration_ms):
        """Set ``key`` to ``value`` until ``expiration_ms`` (milliseconds since 1970, the
        seed's unit); afterwards the key reads as missing and reclaim() removes it."""
        if isinstance(expiration_ms, bool) or not isinstance(expiration_ms, (int, float)):
            raise InvalidArgument("expiration_ms must be a number of milliseconds since 1970,"
                                  " got %s" % type(expiration_ms).__name__)
        self._set(_record_key(key), _encode(value, expiration_ms))

    def __contains__(self, key):
        rec = self._record(_record_key(key))
        return rec is not None and not _expired(rec, _now_ms())

    def __iter__(self):
        self.flush()
        now = _now_ms()
        for rk, rec in self._all():
            if not _expired(rec, now):
                yield _user_key(rk)

    def __len__(self):
        return sum(1 for _ in self)

    def get(self, key, default=None, *, at=None, as_of=None):
        """``db[key]``, or ``default`` when missing or expired. ``at`` (a commit digest, see
        commits()) or ``as_of`` (an aware datetime or epoch seconds) read the value the key
        had then, expiry judged at that moment."""
        rk = _record_key(key)
        if at is None and as_of is None:
            rec = self._record(rk)
            now = _now_ms()
        else:
            self.flush()
            rec = self._get_stored(rk, read_options(at=at, as_of=as_of))
            if at is not None:
                now = self._db.commit(TENANT, at).time_us / 1000.0
            else:
                now = micros(as_of, "as_of") / 1000.0
        if rec is None or _expired(rec, now):
            return default
        return _decode(rec)

    def pop(self, key, default=ABSENT):
        rk = _record_key(key)
        rec = self._record(rk)
        if rec is None or _expired(rec, _now_ms()):
            if default is ABSENT:
                raise KeyError(key)
            return default
        del self[key]
        return _decode(rec)

    def setdefault(self, key, default=None):
        if key in self:
            return self[key]
        self[key] = default
        return default

    def reclaim(self):
        """Give back the space of overwritten, deleted and expired values: expired keys are
        deleted, history is cut to the current values (a strata retention of one commit,
        removed again afterwards) and a strata GC run rewrites the store files. Returns the
        GC report (bytes_before, bytes_after, …)."""
        with self._lock:
            self.flush()
            db = self._db
            if self._has_entry():
                now = _now_ms()
                gone = [rk for rk, rec in self._all() if _expired(rec, now)]
                if gone:
                    db.delete_many(TENANT, ENTRY, gone, user="viperdb", message="reclaim: expired")
                    for rk in gone:
                        self._cache.pop(rk, None)
            db.set_retention(TENANT, keep_commits=1, user="viperdb", message="reclaim")
            try:
                report = db.gc(min_dead_share=0.0)
            finally:
                db.set_retention(TENANT, keep_commits=0, user="viperdb", message="reclaim done")
            return report

    def flush(self):
        """Write the buffered changes: one strata commit for the sets, one for the deletions
        (durable as ``durability`` says) — acknowledged when flush returns."""
        with self._lock:
            self._flush()

    def _flush(self):
        pending = self._pending
        if not pending:
            return
        puts = [(k, r) for k, r in pending.items() if r is not _DELETED]
        dels = [k for k, r in pending.items() if r is _DELETED]
        db = self._db
        cache = self._cache
        if puts:
            self._put_stored(puts)
            for k, r in puts:
                if k in cache:
                    cache[k] = r
        if dels and self._has_entry():
            db.delete_many(TENANT, ENTRY, dels, user="viperdb")
            for k in dels:
                if k in cache:
                    cache[k] = None
        pending.clear()

    def close(self):
        """Flush pending writes and close the database (idempotent)."""
        if self._db.closed:
            return
        try:
            self.flush()
        finally:
            self._db.close()

    # -- beyond the seed ----------------------------------------------------------------------

    def commits(self, max_items=0):
        """The store's commits (strata.Commit), newest first; each flush made one."""
        self.flush()
        if not self._has_entry():
            return []
        return self._db.history(TENANT, ENTRY, max_items=max_items)

    def history(self, key, max_items=0):
        """The versions of ``key``, newest first: [KeyVersion(digest, time, value)], value
        strata.ABSENT where the key was deleted (or did not exist yet). One read per commit of
        the store; ends at the last reclaim()."""
        rk = _record_key(key)
        runs = []  # [commit that introduced the version, record], newest first
        for c in self.commits():
            rec = self._get_stored(rk, read_options(at=c.digest))
            if runs and runs[-1][1] == rec:
                runs[-1][0] = c  # an older commit of the same version
            else:
                runs.append([c, rec])
        if runs and runs[-1][1] is None:
            runs.pop()  # before the key existed
        versions = [KeyVersion(c.digest, c.time, ABSENT if rec is None else _decode(rec))
                    for c, rec in runs]
        return versions[:max_items] if max_items else versions

    @property
    def strata(self):
        """The underlying strata.Database (tenant "viperdb", records entry "kv")."""
        return self._db

    # -- internals ----------------------------------------------------------------------------

    def _has_entry(self):
        return self._db.exists(TENANT, ENTRY)

    def _record(self, rk):
        rec = self._pending.get(rk, _NOT_CACHED)
        if rec is not _NOT_CACHED:
            return rec
        cache = self._cache
        rec = cache.get(rk, _NOT_CACHED)
        if rec is not _NOT_CACHED:
            return rec
        with self._lock:  # a flush in another thread must not interleave with the fill
            rec = self._pending.get(rk, _NOT_CACHED)
            if rec is not _NOT_CACHED:
                return rec
            rec = self._get_stored(rk, _HEAD)
            if self._cache_max:
                if len(cache) >= self._cache_max:
                    cache.clear()
                cache[rk] = rec
        return rec

    def _get_stored(self, rk, ro):
        """The stored canonical bytes of record ``rk`` at read point ``ro``, or None."""
        kb = rk.encode("utf-8")
        out = ffi.new("strata_value **")
        rc = self._db._call(lambda p: lib.strata_records_get(out, p, _T, _E, kb, ro.ptr))
        if rc == C.ENOTFOUND:
            return None
        check(rc)
        try:
            return _value_bytes(out[0])
        finally:
            lib.strata_value_free(out[0])

    def _all(self):
        """[(record key, stored canonical bytes)] of every record at the head, in key order."""
        if not self._has_entry():
            return []
        return self._db._call(lambda p: collect(
            lambda out: lib.strata_records_list(out, p, _T, _E, ffi.NULL),
            lambda it: (iter_key(it), _value_bytes(lib.strata_iter_value(it)))))

    def _put_stored(self, items):
        """Write [(record key, canonical bytes)] in one commit."""
        keys = [ffi.new("char[]", k.encode("utf-8")) for k, _ in items]
        vals = []
        out = ffi.new("strata_value **")
        try:
            for _, b in items:
                check(lib.strata_value_from_bytes(out, b, len(b)))
                vals.append(out[0])
            ks = ffi.new("const char *[]", keys)
            vs = ffi.new("strata_value *[]", vals)
            oid = ffi.new("strata_oid *")
            check(self._db._call(lambda p: lib.strata_records_put_many(
                oid, p, _T, _E, ks, vs, len(items), _WRITE.ptr)))
        finally:
            for v in vals:
                lib.strata_value_free(v)

    def _set(self, rk, rec):
        with self._lock:
            self._pending[rk] = rec
            self._maybe_flush()

    def _maybe_flush(self):
        if len(self._pending) > self._buffer_max or not self._buffer_max:
            self._flush()

    def __repr__(self):
        return "<strata.viperdb.ViperDB %r>" % self._path
