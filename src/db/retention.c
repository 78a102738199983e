/* Retention: the codec of a tenant's hidden settings entry (retention policies, the truncation
 * marks GC leaves and the audit trail of what it dropped), the public strata_retention_* calls
 * and the cut queries history and verify ask. The settings are an ordinary document committed
 * to the hidden entry STRATA_DB_GC_ENTRY, so policy changes have their own history.
 *
 * The value (a canonical map, docs/gc.md "Retention"):
 *   "tenant":       {"keep_commits": n, "keep_age_s": n, "audit": bool}   the tenant's policy
 *   "entries":      {name: {same}}                                      per-entry policies
 *   "cut":          {name: generation}    commits of `name` below it may have been dropped
 *   "manifest_cut": generation            the same for the tenant's manifest chain
 *   "audit":        {name: [{"digest", "generation", "time_us", "user", "message", "origin",
 *                            "operation"}, …]}                           dropped commits
 * Reading is lenient: a missing key, or a number that is not a non-negative 64-bit integer,
 * reads as 0 (no limit, no cut). */
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- the codec ------------------------------------------------------------------------------- */

/* The value of `key` in map `map` (empty when absent or map is empty). */
static strata_slice sub(strata_slice map, const void *key, size_t klen)
{
    strata_slice v = {NULL, 0};
    if (!map.len || strata_doc__map_get(map, key, klen, &v) != 0) v.len = 0;
    return v;
}

/* The non-negative integer at `key` in `map`, else 0. */
static uint64_t u64_at(strata_slice map, const void *key, size_t klen)
{
    strata_slice v = sub(map, key, klen);
    strata_num n;
    int64_t x;
    if (!v.len || strata_doc__get_number(v, &n) != 0 || strata_num__to_i64(&n, &x) != 0 || x < 0) return 0;
    return (uint64_t)x;
}

static strata_db_policy parse_policy(strata_slice p)
{
    strata_db_policy r = {0, 0, 0, 0};
    if (!p.len) return r;
    r.keep = u64_at(p, "keep_commits", 12);
    r.age_s = (int64_t)u64_at(p, "keep_age_s", 10);
    strata_slice v;
    int b = 0;
    if (strata_doc__map_get(p, "audit", 5, &v) == 0) strata_doc__get_bool(v, &b);
    r.audit = b;
    r.set = r.keep || r.age_s;
    return r;
}

strata_db_policy strata_db__retention_policy(strata_slice settings, const void *name, size_t nlen)
{
    strata_db_policy p = {0, 0, 0, 0};
    if (name) p = parse_policy(sub(sub(settings, "entries", 7), name, nlen));
    if (!p.set) p = parse_policy(sub(settings, "tenant", 6));
    return p;
}

int strata_db__retention_keeps(const strata_db_policy *p, uint64_t rank, int64_t time_us, int64_t now_us)
{
    if (!p->set || rank == 0) return 1;
    if (p->keep && rank < p->keep) return 1;
    if (p->age_s && time_us >= now_us - p->age_s * 1000000) return 1;
    return 0;
}

uint64_t strata_db__retention_recorded_cut(strata_slice settings, const void *name, size_t nlen)
{
    if (!name) return u64_at(settings, "manifest_cut", 12);
    return u64_at(sub(settings, "cut", 3), name, nlen);
}

const strata_db_horizon *strata_db__horizon_find(const strata_db_horizon *hz, size_t n, const void *name,
                                                 size_t nlen)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(hz[i].name) == nlen && memcmp(hz[i].name, name, nlen) == 0) return &hz[i];
    return NULL;
}

/* Copy the members of map `old` (empty: none) into b (an open map), leaving out those whose key
 * skip(key, arg) says to. */
static int copy_map(strata_doc_builder *b, strata_slice old, int (*skip)(strata_slice key, const void *arg),
                    const void *arg)
{
    if (!old.len) return 0;
    strata_doc_iter it;
    strata_slice k, v;
    int rc = strata_doc__iter_init(&it, old);
    if (rc) return rc;
    while ((rc = strata_doc__iter_next(&it, &k, &v)) == 0) {
        if (skip(k, arg)) continue;
        if ((rc = strata_doc__b_key(b, k.data, k.len)) || (rc = strata_doc__b_value(b, v))) return rc;
    }
    return rc == STRATA_ITEROVER ? 0 : rc;
}

static int is_key(strata_slice key, const char *s)
{
    return key.len == strlen(s) && memcmp(key.data, s, key.len) == 0;
}

/* copy_map filters: one key (arg: a NUL-terminated name), the three marks GC writes, the
 * entries whose cut this run rewrites, and those with fresh audit records (arg: the cuts). */
static int skip_key(strata_slice key, const void *arg)
{
    return is_key(key, arg);
}

static int skip_marks(strata_slice key, const void *arg)
{
    (void)arg;
    return is_key(key, "cut") || is_key(key, "manifest_cut") || is_key(key, "audit");
}

static int skip_rewritten_cut(strata_slice key, const void *arg)
{
    const strata_db_cuts *k = arg;
    const strata_db_horizon *h = strata_db__horizon_find(k->hz, k->nhz, key.data, key.len);
    return h && h->gmin > 1;
}

static int skip_fresh_audit(strata_slice key, const void *arg)
{
    const strata_db_cuts *k = arg;
    const strata_db_horizon *h = strata_db__horizon_find(k->hz, k->nhz, key.data, key.len);
    int fresh = 0;
    if (h)
        for (size_t a = 0; a < k->ndropped; a++) fresh |= k->dropped[a].entry == (size_t)(h - k->hz);
    return fresh;
}

static int b_u64(strata_doc_builder *b, const char *key, uint64_t v)
{
    strata_num n;
    strata_num__from_i64(&n, (int64_t)v);
    int rc = strata_doc__b_key(b, key, strlen(key));
    return rc ? rc : strata_doc__b_number(b, &n);
}

static int b_str(strata_doc_builder *b, const char *key, const char *s)
{
    int rc = strata_doc__b_key(b, key, strlen(key));
    return rc ? rc : strata_doc__b_string(b, s, strlen(s));
}

/* One policy as its map {"keep_commits", "keep_age_s", "audit"}, finished into *out (borrowed
 * from b). */
static int encode_policy(strata_doc_builder *b, uint64_t keep_commits, int64_t keep_age_s, int audit,
                         strata_slice *out)
{
    int rc;
    if ((rc = strata_doc__b_begin(b, STRATA_DOC_MAP)) || (rc = b_u64(b, "keep_commits", keep_commits)) ||
        (rc = b_u64(b, "keep_age_s", (uint64_t)keep_age_s)) || (rc = strata_doc__b_key(b, "audit", 5)) ||
        (rc = strata_doc__b_bool(b, audit != 0)) || (rc = strata_doc__b_end(b)))
        return rc;
    return strata_doc__builder_finish(b, out);
}

/* The "cut" map of `cur` with this run's horizons merged in (max of old and new per entry) into
 * cb, finished into *out; *changed = 1 when a cut differs from what the run marked with. */
static int encode_cuts(strata_doc_builder *cb, strata_slice seen, strata_slice cur, const strata_db_cuts *k,
                       int *changed, strata_slice *out)
{
    strata_slice oldcut = sub(cur, "cut", 3);
    int rc;
    if ((rc = strata_doc__b_begin(cb, STRATA_DOC_MAP)) || (rc = copy_map(cb, oldcut, skip_rewritten_cut, k)))
        return rc; /* the cuts this run rewrites follow */
    for (size_t i = 0; i < k->nhz; i++) {
        const strata_db_horizon *h = &k->hz[i];
        if (h->gmin <= 1) continue;
        size_t nlen = strlen(h->name);
        uint64_t was = strata_db__retention_recorded_cut(seen, h->name, nlen);
        uint64_t old = u64_at(oldcut, h->name, nlen);
        uint64_t g = h->gmin > old ? h->gmin : old;
        if (g != was) *changed = 1;
        if ((rc = b_u64(cb, h->name, g))) return rc;
    }
    if ((rc = strata_doc__b_end(cb))) return rc;
    return strata_doc__builder_finish(cb, out);
}

/* The "audit" map of `cur` with this run's dropped commits appended (oldest first) into ab,
 * finished into *out; *changed = 1 when there is anything new. */
static int encode_audit(strata_doc_builder *ab, strata_slice cur, const strata_db_cuts *k, int *changed,
                        strata_slice *out)
{
    strata_slice oldaudit = sub(cur, "audit", 5);
    int rc = strata_doc__b_begin(ab, STRATA_DOC_MAP);
    if (rc) return rc;
    for (size_t i = 0; i < k->nhz; i++) {
        const strata_db_horizon *h = &k->hz[i];
        size_t cnt = 0;
        for (size_t a = 0; a < k->ndropped; a++) cnt += k->dropped[a].entry == i;
        if (!cnt) continue;
        *changed = 1;
        if ((rc = strata_doc__b_key(ab, h->name, strlen(h->name))) || (rc = strata_doc__b_begin(ab, STRATA_DOC_LIST)))
            return rc;
        strata_slice ol = sub(oldaudit, h->name, strlen(h->name));
        if (ol.len) {
            strata_doc_iter it;
            strata_slice v;
            if ((rc = strata_doc__iter_init(&it, ol))) return rc;
            while ((rc = strata_doc__iter_next(&it, NULL, &v)) == 0)
                if ((rc = strata_doc__b_value(ab, v))) return rc;
            if (rc != STRATA_ITEROVER) return rc;
        }
        /* collected newest first: emit oldest first */
        for (size_t a = k->ndropped; a-- > 0;) {
            const strata_db_dropped *r = &k->dropped[a];
            if (r->entry != i) continue;
            char hex[65];
            strata_oid_fmt(hex, &r->digest);
            if ((rc = strata_doc__b_begin(ab, STRATA_DOC_MAP)) || (rc = b_str(ab, "digest", hex)) ||
                (rc = b_u64(ab, "generation", r->c.generation)) || (rc = b_u64(ab, "time_us", (uint64_t)r->c.time_us)) ||
                (rc = b_str(ab, "user", r->c.user)) || (rc = b_str(ab, "message", r->c.message)) ||
                (rc = b_str(ab, "origin", r->c.origin)) || (rc = b_str(ab, "operation", r->c.operation)) ||
                (rc = strata_doc__b_end(ab)))
                return rc;
        }
        if ((rc = strata_doc__b_end(ab))) return rc;
    }
    /* old lists of entries without new records */
    if ((rc = copy_map(ab, oldaudit, skip_fresh_audit, k)) || (rc = strata_doc__b_end(ab))) return rc;
    return strata_doc__builder_finish(ab, out);
}

int strata_db__retention_marks(strata_buf *out, int *changed, strata_slice seen, strata_slice cur,
                               const strata_db_cuts *k)
{
    *changed = 0;
    strata_doc_builder *b = NULL, *cb = NULL, *ab = NULL;
    strata_slice cutv, auditv, nv;
    int ch = 0, rc;
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__builder_new(&cb)) ||
        (rc = strata_doc__builder_new(&ab)))
        goto done;
    if ((rc = encode_cuts(cb, seen, cur, k, &ch, &cutv))) goto done;
    uint64_t mcut = u64_at(cur, "manifest_cut", 12);
    if (k->manifest_gmin > mcut) {
        mcut = k->manifest_gmin;
        ch = 1;
    }
    if ((rc = encode_audit(ab, cur, k, &ch, &auditv))) goto done;
    if (!ch) goto done;
    /* everything else of `cur` as it is, then the three marks */
    if ((rc = strata_doc__b_begin(b, STRATA_DOC_MAP)) || (rc = copy_map(b, cur, skip_marks, NULL))) goto done;
    if ((rc = strata_doc__b_key(b, "cut", 3)) || (rc = strata_doc__b_value(b, cutv)) ||
        (rc = strata_doc__b_key(b, "audit", 5)) || (rc = strata_doc__b_value(b, auditv)))
        goto done;
    if (mcut && (rc = b_u64(b, "manifest_cut", mcut))) goto done;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &nv))) goto done;
    out->len = 0;
    if ((rc = strata_buf__append(out, nv.data, nv.len))) goto done;
    *changed = 1;
done:
    strata_doc__builder_free(b);
    strata_doc__builder_free(cb);
    strata_doc__builder_free(ab);
    return rc;
}

/* ---- the hidden entry -------------------------------------------------------------------------- */

int strata_db__retention_load(strata_db *db, const char *tenant, const strata_oid *entries, strata_buf *out)
{
    out->len = 0;
    strata_buf hv = {0};
    int rc = strata_db__tree_get(db, entries, STRATA_DB_GC_ENTRY, strlen(STRATA_DB_GC_ENTRY), &hv);
    if (rc == STRATA_ENOTFOUND) {
        strata_error_clear();
        strata_buf__free(&hv);
        return 0;
    }
    strata_oid head;
    if (rc == 0 && strata_db__mentry_decode(NULL, &head, hv.data, hv.len) != 0)
        rc = strata_err__set(STRATA_ECORRUPT, "tenant '%s': malformed manifest entry", tenant);
    strata_buf__free(&hv);
    if (rc) return rc;
    strata_commit_rec c;
    if ((rc = strata_db__load_commit(db, &head, &c))) return rc;
    uint8_t type, *data = NULL;
    size_t len;
    rc = strata_store__get(db->store, &c.data, &type, &data, &len);
    strata_db__commit_clear(&c);
    if (rc) return rc;
    if (type != STRATA_OBJ_VALUE || strata_doc__validate(data, len) != 0 ||
        strata_doc__type((strata_slice){data, len}) != STRATA_DOC_MAP)
        rc = strata_err__set(STRATA_ECORRUPT, "the retention settings of tenant '%s' are malformed", tenant);
    if (!rc) rc = strata_buf__append(out, data, len);
    strata_mem__free(data);
    return rc;
}

int strata_db__retention_commit(strata_db *db, const char *tenant, strata_slice value, const char *user,
                                const char *message, const char *origin, int64_t time_us, int tz,
                                const char *opdesc)
{
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    w.user = user;
    w.message = message;
    w.origin = origin;
    w.time_us = time_us;
    w.tz_offset_min = tz;
    strata_txn *t = NULL;
    uint64_t ticket = 0;
    int rc = strata_txn_begin(&t, db, tenant, &w);
    if (rc == 0) rc = strata_db__txn_save_internal(t, STRATA_DB_GC_ENTRY, value, opdesc);
    if (rc == 0) rc = strata_db__txn_commit_locked(t, NULL, &ticket);
    if (rc == 0) rc = strata_store__wait_durable(db->store, ticket);
    strata_txn_abort(t);
    return rc;
}

/* The settings of `tenant` at its current manifest into *out (empty when none). */
static int current_settings(strata_db *db, const char *tenant, strata_buf *out)
{
    strata_oid moid;
    strata_manifest mf;
    int rc = strata_db__current_manifest(db, tenant, &moid, &mf);
    if (rc) return rc;
    return strata_db__retention_load(db, tenant, &mf.entries, out);
}

/* ---- the public calls ---------------------------------------------------------------------------- */

int strata_retention_set(strata_db *db, const char *tenant, const char *entry, uint64_t keep_commits,
                         int64_t keep_age_s, int audit, const strata_write_options *wo)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_retention_set: db is NULL");
    if (db->read_only) return strata_err__set(STRATA_EINVALID, "the database is open read-only");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    if (entry && (rc = strata_db__check_name(entry, "entry name"))) return rc;
    if (keep_age_s < 0) return strata_err__set(STRATA_EINVALID, "keep_age_s must be >= 0");
    if (keep_commits > ((uint64_t)1 << 62) || keep_age_s > ((int64_t)1 << 40))
        return strata_err__set(STRATA_EINVALID, "retention limits out of range");
    strata_write_options w;
    if ((rc = strata_db__write_options(&w, wo))) return rc;
    strata_buf cur = {0};
    strata_doc_builder *b = NULL, *pb = NULL, *eb = NULL;
    if ((rc = strata_db__write_lock(db))) return rc;
    if ((rc = current_settings(db, tenant, &cur))) goto done;
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__builder_new(&pb)) || (rc = strata_doc__builder_new(&eb)))
        goto done;
    strata_slice cs = {cur.data, cur.len};
    int remove = keep_commits == 0 && keep_age_s == 0;
    strata_slice pol = {NULL, 0};
    if (!remove && (rc = encode_policy(pb, keep_commits, keep_age_s, audit, &pol))) goto done;
    if ((rc = strata_doc__b_begin(b, STRATA_DOC_MAP))) goto done;
    if (!entry) {
        if ((rc = copy_map(b, cs, skip_key, "tenant"))) goto done;
        if (!remove && ((rc = strata_doc__b_key(b, "tenant", 6)) || (rc = strata_doc__b_value(b, pol)))) goto done;
    } else {
        if ((rc = copy_map(b, cs, skip_key, "entries"))) goto done;
        strata_slice ents = sub(cs, "entries", 7);
        if ((rc = strata_doc__b_begin(eb, STRATA_DOC_MAP)) || (rc = copy_map(eb, ents, skip_key, entry)))
            goto done;
        if (!remove && ((rc = strata_doc__b_key(eb, entry, strlen(entry))) || (rc = strata_doc__b_value(eb, pol)))) goto done;
        strata_slice ev;
        if ((rc = strata_doc__b_end(eb)) || (rc = strata_doc__builder_finish(eb, &ev))) goto done;
        if ((rc = strata_doc__b_key(b, "entries", 7)) || (rc = strata_doc__b_value(b, ev))) goto done;
    }
    strata_slice nv;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &nv))) goto done;
    int64_t now = w.time_us ? w.time_us : strata_db__now_us();
    int tz = w.tz_offset_min == STRATA_TZ_LOCAL ? strata_db__local_offset_min(now) : w.tz_offset_min;
    char opdesc[300];
    snprintf(opdesc, sizeof opdesc, "retention %s%s%s", entry ? "'" : "tenant", entry ? entry : "", entry ? "'" : "");
    rc = strata_db__retention_commit(db, tenant, nv, w.user ? w.user : "", w.message ? w.message : "",
                                     w.origin ? w.origin : "", now, tz, opdesc);
done:
    strata_db__write_unlock(db);
    strata_doc__builder_free(b);
    strata_doc__builder_free(pb);
    strata_doc__builder_free(eb);
    strata_buf__free(&cur);
    return rc;
}

int strata_retention_get(uint64_t *keep_commits, int64_t *keep_age_s, int *audit, strata_db *db,
                         const char *tenant, const char *entry)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_retention_get: db is NULL");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    if (entry && (rc = strata_db__check_name(entry, "entry name"))) return rc;
    strata_buf cur = {0};
    if ((rc = current_settings(db, tenant, &cur))) goto done;
    strata_slice cs = {cur.data, cur.len};
    strata_db_policy p = strata_db__retention_policy(cs, entry, entry ? strlen(entry) : 0);
    if (!p.set) {
        rc = strata_err__set(STRATA_ENOTFOUND, "no retention policy for %s%s%s in tenant '%s'", entry ? "entry '" : "the tenant",
                             entry ? entry : "", entry ? "'" : "", tenant);
        goto done;
    }
    if (keep_commits) *keep_commits = p.keep;
    if (keep_age_s) *keep_age_s = p.age_s;
    if (audit) *audit = p.audit;
done:
    strata_buf__free(&cur);
    return rc;
}

/* The cut recorded for `entry` (NULL: the manifest chain) at the tenant's current manifest. */
static int cut_of(strata_db *db, const char *tenant, const char *entry, uint64_t *out)
{
    strata_buf cur = {0};
    int rc = current_settings(db, tenant, &cur);
    *out = 0;
    if (!rc) {
        strata_slice cs = {cur.data, cur.len};
        *out = strata_db__retention_recorded_cut(cs, entry, entry ? strlen(entry) : 0);
    }
    strata_buf__free(&cur);
    return rc;
}

uint64_t strata_db__gc_cut(strata_db *db, const char *tenant, const char *entry)
{
    uint64_t cut;
    if (cut_of(db, tenant, entry, &cut) != 0) {
        strata_error_clear();
        return 0;
    }
    return cut;
}

int strata_db__gc_manifest_truncated(strata_db *db, const char *tenant, uint64_t generation)
{
    return generation <= strata_db__gc_cut(db, tenant, NULL);
}

int strata_retention_truncated(uint64_t *oldest_generation, strata_db *db, const char *tenant, const char *entry)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_retention_truncated: db is NULL");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    if ((rc = strata_db__check_name(entry, "entry name"))) return rc;
    uint64_t cut;
    if ((rc = cut_of(db, tenant, entry, &cut))) return rc;
    if (oldest_generation) *oldest_generation = cut;
    return cut > 1;
}

int strata_retention_audit(strata_value **out, strata_db *db, const char *tenant, const char *entry)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_retention_audit: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_retention_audit: db is NULL");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    if ((rc = strata_db__check_name(entry, "entry name"))) return rc;
    strata_buf cur = {0};
    if ((rc = current_settings(db, tenant, &cur))) goto done;
    strata_slice cs = {cur.data, cur.len};
    strata_slice l = sub(sub(cs, "audit", 5), entry, strlen(entry));
    static const uint8_t empty_list[] = {0x06, 0x00, 0x00};
    if (!l.len) {
        l.data = empty_list;
        l.len = sizeof empty_list;
    }
    rc = strata_doc__value_new(out, l.data, l.len);
done:
    strata_buf__free(&cur);
    return rc;
}
