"""What every module of the binding shares: the guard that holds a C call in flight, argument
conversion (names, digests, times), options structs, value conversion glue, iteration, and the
small result types (WriteResult, ABSENT).

It sits below every module that wraps a part of include/strata.h (db, records, history,
transactions, space, listeners, tables) and imports none of them, so the package has no import
cycle: _ffi ← errors ← values ← _util ← the modules ← db ← engine, __init__.
"""

import math
import operator
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from . import _ffi as C
from ._ffi import ffi, lib
from .errors import InvalidArgument, check
from .values import REFS_ENTRY

NO_HEAD = "0" * 64  # expect_head value meaning "the entry must not exist yet"
MISSING = object()  # the default of a ``default=`` parameter: raise NotFound instead

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
_MINUTE = timedelta(minutes=1)
_TZ_CACHE = {}


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


def write_result(rc, oid):
    """The WriteResult of a write call that returned ``rc`` and filled ``oid`` (raises on
    failure)."""
    check(rc)
    return WriteResult(hex_of(oid), rc != C.UNCHANGED)


# ---- the guard: C calls in flight ------------------------------------------------------------


class Handle:
    """A C handle that several threads may use while one of them closes it. Every C call that
    takes the handle runs through ``_call``, which counts it in flight; ``_shut`` waits until
    none is, and only then may the handle be freed. A closed handle raises InvalidArgument,
    never crashes. ``_lock`` also guards the subclass's bookkeeping (open iterators, ...).

    Calls are also counted per thread (``_mine``): a close from a thread that is itself inside
    a call on this handle — a listener, which runs on the committing thread inside the commit —
    would wait for itself forever, so it raises InvalidArgument instead."""

    def _init_guard(self, what):
        self._what = what
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active = 0
        self._mine = threading.local()  # .depth: this thread's calls in flight
        self._closing = False
        self._ptr = None

    def _closed_error(self):
        return InvalidArgument("the database %r is closed" % self._what)

    def _enter(self):
        """Count a C call in flight and return the handle; InvalidArgument when closed."""
        with self._lock:
            if self._ptr is None or self._closing:
                raise self._closed_error()
            self._active += 1
            self._mine.depth = getattr(self._mine, "depth", 0) + 1
            return self._ptr

    def _leave(self):
        self._mine.depth -= 1
        with self._lock:
            self._active -= 1
            if self._active == 0 and self._closing:
                self._idle.notify_all()

    def _call(self, fn):
        """fn(handle) as one C call in flight; returns its result."""
        ptr = self._enter()
        try:
            return fn(ptr)
        finally:
            self._leave()

    def _shut(self):
        """Start closing: False when closed or closing already; else wait until no call is in
        flight and return True (the caller then frees what hangs off the handle and the handle,
        with ``_lock`` held where it touches bookkeeping). InvalidArgument, and nothing
        changes, when this thread is inside a call on the handle (a listener closing it)."""
        if getattr(self._mine, "depth", 0):
            raise InvalidArgument("the database %r cannot be closed from inside one of its own "
                                  "calls (a listener runs inside the commit that calls it); "
                                  "close it after that call returns" % self._what)
        with self._lock:
            if self._ptr is None or self._closing:
                return False
            self._closing = True
            while self._active:
                self._idle.wait()
            return True


# ---- arguments --------------------------------------------------------------------------------


def text(s, what):
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


def text_or_null(s, what):
    """text(s), or NULL for None (an optional `const char *`)."""
    return ffi.NULL if s is None else text(s, what)


def reserved(entry):
    """InvalidArgument when ``entry`` is the binding's own entry of out-of-line data."""
    if entry == REFS_ENTRY:
        raise InvalidArgument("entry name %r is reserved for out-of-line handler data" % entry)


def oid(hexdigest, what="digest"):
    """A strata_oid parsed from 64 hex characters (InvalidArgument otherwise)."""
    if not isinstance(hexdigest, str):
        raise InvalidArgument("%s must be a hex str, got %s" % (what, type(hexdigest).__name__))
    out = ffi.new("strata_oid *")
    check(lib.strata_oid_parse(out, text(hexdigest, what)))
    return out


def oid_or_null(hexdigest, what):
    """oid(hexdigest), or NULL for None."""
    return ffi.NULL if hexdigest is None else oid(hexdigest, what)


def hex_of(oid_ptr):
    """The hex digest of a strata_oid."""
    return bytes(ffi.buffer(oid_ptr.id, 32)).hex()


def datetime_of(us, offset_min):
    """The aware datetime of UTC microseconds ``us`` in the UTC offset ``offset_min``, for
    every time the library accepts: an offset Python's timezone cannot hold (the library
    allows ±24:00, Python less than 24 h) or an instant whose local date would leave years
    1–9999 gives the same instant in UTC; an instant outside years 1–9999 even in UTC gives
    None (the caller keeps ``us``, which is exact). Never raises."""
    tz = _TZ_CACHE.get(offset_min)
    if tz is None:
        if not -24 * 60 < offset_min < 24 * 60:
            tz = timezone.utc
        else:
            tz = _TZ_CACHE[offset_min] = timezone(timedelta(minutes=offset_min))
    try:
        t = _EPOCH + timedelta(microseconds=us)
    except OverflowError:
        return None
    try:
        return t.astimezone(tz)
    except OverflowError:
        return t


# The C types the binding passes Python numbers to, with their ranges (size_t from the ABI).
_C_RANGES = {
    "int": (-2**31, 2**31 - 1),
    "unsigned int": (0, 2**32 - 1),
    "int64_t": (-2**63, 2**63 - 1),
    "uint64_t": (0, 2**64 - 1),
    "size_t": (0, 2**(8 * ffi.sizeof("size_t")) - 1),
}


def c_int(value, what, ctype, low=None, high=None):
    """``value`` as an argument of C integer type ``ctype`` (a key of _C_RANGES), checked
    against that type's range narrowed to [low, high] where given. Every Python number that
    becomes a C integer goes through here, so a bad one raises InvalidArgument naming ``what``
    and the range — never cffi's OverflowError or TypeError, and nothing reaches the library.
    An int, or any object with __index__ (a numpy integer); bool, float and str are refused.
    The library checks the finer rules (which limits it supports) and names them."""
    lo, hi = _C_RANGES[ctype]
    if low is not None:
        lo = max(lo, low)
    if high is not None:
        hi = min(hi, high)
    if not isinstance(value, bool):
        try:
            n = operator.index(value)
        except TypeError:
            pass
        else:
            if lo <= n <= hi:
                return n
            raise InvalidArgument("%s must be an int in [%d, %d], got %d" % (what, lo, hi, n))
    raise InvalidArgument("%s must be an int in [%d, %d], got %s"
                          % (what, lo, hi, type(value).__name__))


def c_double(value, what):
    """``value`` as a C double: an int, float or Decimal (bool refused), else InvalidArgument.
    NaN and infinities pass through: the library checks each double's range and names it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise InvalidArgument("%s must be a number, got %s" % (what, type(value).__name__))
    try:
        return float(value)
    except OverflowError:  # an int beyond a double's range
        raise InvalidArgument("%s is out of range: %d" % (what, value)) from None


def micros(t, what):
    """UTC microseconds since 1970 for an aware datetime or a finite number of seconds since
    1970, checked to fit the library's int64_t (InvalidArgument otherwise, never
    OverflowError/ValueError). A naive datetime is refused: which zone it means would be a
    guess."""
    if isinstance(t, datetime):
        if t.tzinfo is None or t.utcoffset() is None:
            raise InvalidArgument("%s must be an aware datetime (with tzinfo), got %r"
                                  % (what, t))
        return (t - _EPOCH) // _US  # years 1..9999: always within int64_t
    if isinstance(t, bool) or not isinstance(t, (int, float, Decimal)):
        raise InvalidArgument("%s must be an aware datetime or seconds since 1970, got %s"
                              % (what, type(t).__name__))
    if isinstance(t, int):
        us = int(t) * 1_000_000
    else:
        if not (math.isfinite(t) if isinstance(t, float) else t.is_finite()):
            raise InvalidArgument("%s must be a finite number of seconds, got %r" % (what, t))
        if abs(t) >= 2**63 // 1_000_000 + 1:  # before Decimal arithmetic, which could overflow
            us = 2**63
        else:
            us = int((Decimal(t) * 1_000_000).to_integral_value())
    lo, hi = _C_RANGES["int64_t"]
    if not lo <= us <= hi:
        raise InvalidArgument("%s is out of range: %s seconds since 1970 is not within the "
                              "library's int64_t microseconds (about ±292,000 years)" % (what, t))
    return us


def duration_s(d, what):
    """Whole seconds, an int64_t >= 0, for a datetime.timedelta or a finite number of seconds
    (a fraction is dropped); InvalidArgument otherwise."""
    if isinstance(d, timedelta):
        n = d // timedelta(seconds=1)
    elif isinstance(d, (float, Decimal)):
        if not (math.isfinite(d) if isinstance(d, float) else d.is_finite()):
            raise InvalidArgument("%s must be a finite number of seconds, got %r" % (what, d))
        n = int(d)
    else:
        n = d
    return c_int(n, what, "int64_t", low=0)


def pairs(items, what="items"):
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


# ---- options structs ----------------------------------------------------------------------


class _Keeper:
    """Holds C memory that pointers handed to the library point into (``keep``)."""

    __slots__ = ("keep",)

    def cstr(self, s, what):
        """A `const char *` for ``s`` (NULL for None), alive as long as this object."""
        if s is None:
            return ffi.NULL
        self.keep.append(ffi.new("char[]", text(s, what)))
        return self.keep[-1]


class Options(_Keeper):
    """An options struct in C memory (``ptr``; NULL for "none") plus the buffers it points
    to."""

    __slots__ = ("ptr",)

    def __init__(self, ptr):
        self.ptr = ptr
        self.keep = []


def write_options(user=None, message=None, origin=None, time=None, expect_head=None):
    """strata_write_options: who (user), why (message), from where (origin), when (time: an
    aware datetime or epoch seconds), and the optimistic check expect_head (hex or NO_HEAD)."""
    wo = ffi.new("strata_write_options *")
    lib.strata_write_options_init(wo, C.WRITE_OPTIONS_VERSION)
    o = Options(wo)
    wo.user = o.cstr(user, "user")
    wo.message = o.cstr(message, "message")
    wo.origin = o.cstr(origin, "origin")
    if time is not None:
        us = micros(time, "time")
        if us <= 0:
            raise InvalidArgument("time must be after 1970-01-01T00:00:00Z")
        wo.time_us = us
        if isinstance(time, datetime):
            off = time.utcoffset()
            if off % _MINUTE:
                raise InvalidArgument("time's UTC offset must be whole minutes")
            wo.tz_offset_min = off // _MINUTE
    if expect_head is not None:
        o.keep.append(oid(expect_head, "expect_head"))
        wo.expect_head = o.keep[-1]
    return o


_NO_READ_OPTIONS = Options(ffi.NULL)


def read_options(at=None, as_of=None, snapshot=None):
    """strata_read_options for one read point: ``at`` a commit digest, ``as_of`` a time, or
    ``snapshot`` a tenant manifest digest; none of them: the head (``ptr`` NULL)."""
    if at is None and as_of is None and snapshot is None:
        return _NO_READ_OPTIONS
    if (at is not None) + (as_of is not None) + (snapshot is not None) > 1:
        raise InvalidArgument("give at most one of at, as_of, snapshot")
    ro = ffi.new("strata_read_options *")
    lib.strata_read_options_init(ro, C.READ_OPTIONS_VERSION)
    o = Options(ro)
    if at is not None:
        o.keep.append(oid(at, "at"))
        ro.at = o.keep[-1]
    elif snapshot is not None:
        o.keep.append(oid(snapshot, "snapshot"))
        ro.snapshot = o.keep[-1]
    else:
        us = micros(as_of, "as_of")
        if us <= 0:
            raise InvalidArgument("as_of must be after 1970-01-01T00:00:00Z")
        ro.as_of_us = us
    return o


# ---- values -----------------------------------------------------------------------------------


def new_value(encoder, obj):
    """A new strata_value for ``obj`` through ``encoder`` (a values.Encoder; the caller frees
    the value with strata_value_free)."""
    data = encoder.encode(obj)
    out = ffi.new("strata_value **")
    check(lib.strata_value_from_json(out, data, len(data), C.JSON_DYNAMODB))
    return out[0]


def decode(vptr, decoder):
    """The Python object of a strata_value (borrowed; not freed here)."""
    out = ffi.new("char **")
    n = ffi.new("size_t *")
    check(lib.strata_value_to_json(out, n, vptr, C.JSON_DYNAMODB))
    try:
        data = ffi.unpack(out[0], n[0])
    finally:
        lib.strata_free(out[0])
    return decoder.decode_text(data)


def take(vptr, decoder):
    """The Python object of an owned strata_value, which is freed."""
    try:
        return decode(vptr, decoder)
    finally:
        lib.strata_value_free(vptr)


def decode_or_absent(vptr, decoder):
    """decode(vptr), or ABSENT for NULL (the missing side of a change)."""
    return ABSENT if vptr == ffi.NULL else decode(vptr, decoder)


class Scratch(_Keeper):
    """C memory made for one call: strata_values (freed by close()), strings (cstr, alive as
    long as this object), and the out-of-line bytes (``refs``) the values' handlers made."""

    __slots__ = ("db", "ptrs", "refs")

    def __init__(self, db):
        self.db = db
        self.ptrs = []
        self.keep = []
        self.refs = {}

    def value(self, obj):
        vptr, refs = self.db._value(obj)
        self.ptrs.append(vptr)
        if refs:
            self.refs.update(refs)
        return vptr

    def mapping(self, obj, what):
        """A map value for dict ``obj`` (NULL for None; InvalidArgument for anything else)."""
        if obj is None:
            return ffi.NULL
        if not isinstance(obj, dict):
            raise InvalidArgument("%s must be a dict, got %s" % (what, type(obj).__name__))
        return self.value(obj)

    def close(self):
        for p in self.ptrs:
            lib.strata_value_free(p)
        self.ptrs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---- iterators --------------------------------------------------------------------------------


def iter_key(it):
    """The current item's key or name as a str."""
    s = lib.strata_iter_key(it)
    return ffi.unpack(ffi.cast("char *", s.data), s.len).decode("utf-8")


def collect(opener, each, tail=None):
    """Open a C iterator with ``opener(out)`` and return [each(it) per item] — with ``tail``,
    the pair (items, tail(it)) read after the last item. The iterator is always freed. Call it
    inside one guarded call (Handle._call)."""
    out = ffi.new("strata_iter **")
    check(opener(out))
    it = out[0]
    try:
        items = []
        while True:
            rc = lib.strata_iter_next(it)
            if rc == C.ITEROVER:
                break
            check(rc)
            items.append(each(it))
        return items if tail is None else (items, tail(it))
    finally:
        lib.strata_iter_free(it)


# ---- expression placeholders ------------------------------------------------------------------


class Placeholders:
    """Placeholders of one request's expressions: #nN → attribute names (one per name),
    :vN → values (one per use). ``names`` and ``values`` are the maps to pass along."""

    def __init__(self):
        self.names = {}
        self.values = {}
        self._by_name = {}

    def name(self, attr):
        ph = self._by_name.get(attr)
        if ph is None:
            ph = self._by_name[attr] = "#n%d" % len(self._by_name)
            self.names[ph] = attr
        return ph

    def path(self, dotted):
        return ".".join(self.name(p) for p in dotted.split("."))

    def value(self, v):
        ph = ":v%d" % len(self.values)
        self.values[ph] = v
        return ph


class ClosesOnExit:
    """A context manager for a class with close(): ``with`` gives the object and closes it."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
