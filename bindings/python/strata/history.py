"""Versions of an entry: Commit, Change, and the Database methods over strata_commit_* and
strata_entry_history / _diff / _restore (commit, history, diff, restore)."""

from ._ffi import ffi, lib
from . import _ffi as C
from ._util import (c_int, datetime_of, decode, decode_or_absent, hex_of, iter_key, oid,
                    oid_or_null,
                    reserved, text, write_result, collect)
from .errors import check

__all__ = ["Commit", "Change"]

KINDS = {C.ENTRY_DOCUMENT: "document", C.ENTRY_RECORDS: "records", C.ENTRY_TABLE: "table"}


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
        """The aware datetime in the writer's offset; in UTC when that offset cannot be a
        Python timezone (±24:00) or the local date would leave years 1–9999; None when even
        the UTC date would (``time_us`` holds every time exactly)."""
        return datetime_of(self.time_us, self.tz_offset_min)

    @property
    def parent(self):
        """The first parent's digest, or None for the entry's first commit."""
        return self.parents[0] if self.parents else None

    def __eq__(self, other):
        return isinstance(other, Commit) and other.digest == self.digest

    def __hash__(self):
        return hash(self.digest)

    def __repr__(self):
        t = self.time
        return ("Commit(%s… %s gen=%d user=%r op=%r time=%s)"
                % (self.digest[:12], self.entry, self.generation, self.user, self.operation,
                   t.isoformat() if t is not None else "%dus" % self.time_us))


def _string(s):
    return ffi.string(s).decode("utf-8")


def commit_from(c):
    """The Commit of a borrowed strata_commit."""
    parents = tuple(hex_of(lib.strata_commit_parent(c, i))
                    for i in range(lib.strata_commit_parent_count(c)))
    kind = lib.strata_commit_kind(c)
    return Commit(
        digest=hex_of(lib.strata_commit_digest(c)),
        entry=_string(lib.strata_commit_entry(c)),
        kind=KINDS.get(kind, kind),
        user=_string(lib.strata_commit_user(c)),
        message=_string(lib.strata_commit_message(c)),
        origin=_string(lib.strata_commit_origin(c)),
        operation=_string(lib.strata_commit_operation(c)),
        time_us=lib.strata_commit_time_us(c),
        tz_offset_min=lib.strata_commit_tz_offset_min(c),
        parents=parents,
        generation=lib.strata_commit_generation(c),
        data=hex_of(lib.strata_commit_data(c)))


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


class HistoryMethods:
    """Database methods: commits, history, diff, restore (mixed into strata.db.Database)."""

    def commit(self, tenant, digest):
        """The Commit ``digest`` of this tenant (NotFound when there is none)."""
        t = text(tenant, "tenant")
        d = oid(digest)
        out = ffi.new("strata_commit **")
        check(self._call(lambda db: lib.strata_commit_lookup(out, db, t, d)))
        try:
            return commit_from(out[0])
        finally:
            lib.strata_commit_free(out[0])

    def history(self, tenant, entry, start=None, max_items=0):
        """The entry's commits newest first, from ``start`` (a digest; None: the head), at
        most ``max_items`` (0: all)."""
        t, e = text(tenant, "tenant"), text(entry, "entry")
        frm = oid_or_null(start, "start")
        max_items = c_int(max_items, "max_items", "size_t")
        return self._call(lambda db: collect(
            lambda out: lib.strata_entry_history(out, db, t, e, frm, max_items),
            lambda it: commit_from(lib.strata_iter_commit(it))))

    def diff(self, tenant, entry, a, b=None):
        """What changed in ``entry`` from commit ``a`` to commit ``b`` (None: the head): a list
        of Change(key, old, new) in key order; ABSENT marks a side where the key did not
        exist. Records give the key str, tables the dict of key attributes; a document gives
        one Change with key "" when its value changed."""
        t, e = text(tenant, "tenant"), text(entry, "entry")
        pa = oid(a, "a")
        pb = oid_or_null(b, "b")
        decoder = self._decoder(t)

        def each(it):
            kv = lib.strata_iter_key_value(it)
            key = decode(kv, decoder) if kv != ffi.NULL else iter_key(it)
            return Change(key, decode_or_absent(lib.strata_iter_old_value(it), decoder),
                          decode_or_absent(lib.strata_iter_value(it), decoder))
        return self._call(lambda db: collect(
            lambda out: lib.strata_entry_diff(out, db, t, e, pa, pb), each))

    def restore(self, tenant, entry, digest, **write):
        """Make a new commit whose content equals commit ``digest`` of ``entry`` (history is
        kept). WriteResult; ``changed`` False when the head already had that content."""
        reserved(entry)
        wo = self._write_options(**write)
        t, e = text(tenant, "tenant"), text(entry, "entry")
        d = oid(digest)
        out = ffi.new("strata_oid *")
        return write_result(
            self._call(lambda db: lib.strata_entry_restore(out, db, t, e, d, wo.ptr)), out)
