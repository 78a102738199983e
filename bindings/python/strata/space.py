"""Space: the Database methods over GC, retention and space statistics (strata_db_gc,
strata_retention_*, strata_db_stats; docs/gc.md)."""

from ._ffi import ffi, lib
from . import _ffi as C
from ._util import c_double, c_int, datetime_of, duration_s, text, text_or_null
from .errors import check

_GC_REPORT = ("live_objects", "live_bytes", "segments_before", "segments_swept",
              "objects_copied", "bytes_copied", "bytes_before", "bytes_after", "pinned",
              "truncated", "duration_us", "blocked_us")
_SPACE_STATS = ("file_bytes", "segments", "objects", "live_bytes", "dead_bytes", "gc_runs",
                "last_gc_freed")


class SpaceMethods:
    """Database methods: gc, retention, space (mixed into strata.db.Database)."""

    def gc(self, min_dead_share=0.0):
        """Reclaim space now (docs/gc.md): returns the run's report as a dict (bytes_before,
        bytes_after, segments_swept, live_objects, truncated, duration_us, ...)."""
        opt = ffi.new("strata_gc_options *")
        check(lib.strata_gc_options_init(opt, C.GC_OPTIONS_VERSION))
        opt.min_dead_share = c_double(min_dead_share, "min_dead_share")
        rep = ffi.new("strata_gc_report *")
        check(self._call(lambda db: lib.strata_db_gc(rep, db, opt)))
        return {f: getattr(rep, f) for f in _GC_REPORT}

    def set_retention(self, tenant, entry=None, *, keep_commits=0, keep_age=0, audit=False,
                      **write):
        """Keep the newest ``keep_commits`` commits and/or those younger than ``keep_age``
        seconds (a number or a datetime.timedelta) of each entry of ``tenant`` (or of one
        ``entry``) at the next gc(); both 0 removes the policy."""
        kc = c_int(keep_commits, "keep_commits", "uint64_t")
        ka = duration_s(keep_age, "keep_age")
        au = 1 if audit else 0
        wo = self._write_options(**write)
        t, e = text(tenant, "tenant"), text_or_null(entry, "entry")
        check(self._call(lambda db: lib.strata_retention_set(db, t, e, kc, ka, au, wo.ptr)))

    def retention(self, tenant, entry=None):
        """The policy in force as a dict {keep_commits, keep_age, audit}, or None."""
        kc = ffi.new("uint64_t *")
        ka = ffi.new("int64_t *")
        au = ffi.new("int *")
        t, e = text(tenant, "tenant"), text_or_null(entry, "entry")
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
        check(self._call(lambda db: lib.strata_db_stats(st, db)))
        out = {f: getattr(st, f) for f in _SPACE_STATS}
        out["last_gc"] = datetime_of(st.last_gc_us, 0) if st.last_gc_us else None
        return out
