/* A garbage collection run of the database: the mark phase (what is live), recording the
 * truncation marks retention leaves, and driving the store's copy and sweep (src/store/gc.c).
 * Pins are pins.c's, the retention codec retention.c's, the figures a run leaves space.c's and
 * the automatic thread autogc.c's.
 *
 * Essay: marking. A run first fixes the store's candidates (the segments sealed now: anything
 * written later is safe by the grace rule), then marks, for every tenant root, the manifest
 * chain newest first, each manifest's entries tree, each entry's commit chain and each commit's
 * data (a 'V' value, or a prolly tree's nodes and blobs). Marking is a pruning walk: an object
 * marked before is not entered again, and because a tree node marked means its whole subtree was
 * marked (and a commit marked means its older chain was), history — where consecutive versions
 * share all but one path — is walked once, not once per version. Memory is the mark set (one
 * digest per live object) plus the walk's recursion (tree height), never "all of history".
 *
 * Retention cuts chains without rewriting anything: the first time the walk meets an entry (in
 * the newest manifest that has it) it counts commits from the head and stops at the first one the
 * policy does not keep; that commit's generation + 1 becomes the entry's horizon, and every later
 * meeting of the entry (older manifests' heads) keeps only commits at or above the horizon.
 * Kept commits keep their digests; the oldest kept one just has a parent that will be gone. So
 * that readers and verify can tell "cut by retention" from "lost", the run records the horizons
 * in the tenant's hidden entry STRATA_DB_GC_ENTRY (a commit made by user "gc") before the sweep
 * deletes anything: a missing parent below a recorded horizon is the start of history. The same
 * applies to the tenant's manifest chain under a tenant policy.
 *
 * The race with writers: the bulk of marking and copying runs without the database's write
 * mutex. Commits published meanwhile reference objects that are either new (in segments the run
 * never sweeps), found by deduplication (the store records those lookups and keeps them), or
 * reachable from a root the walk already marked. The final step takes the write mutex, marks
 * again from the current roots and pins (cheap: it stops at the first marked object, so it costs
 * what was committed during the run), lets the store copy those objects and switch, and releases
 * the mutex: the only time commits wait. */
#include <string.h>
#include <time.h>

#include "db/db_int.h"
#include "store/store.h"
#include "util/error.h"
#include "util/mem.h"

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- marking ---------------------------------------------------------------------------------- */

/* Per-tenant marking state, kept from the first pass to the final one. */
typedef struct tstate {
    char *tenant;
    strata_buf settings;  /* the hidden entry's value at the current manifest ("" when none) */
    STRATA_ARRAY(strata_db_horizon) hz; /* horizons found, one per entry met under a policy */
    uint64_t mgmin;       /* manifest horizon found (0 = none yet) */
    int msaw;             /* the manifest chain was met (mgmin holds its horizon) */
    STRATA_ARRAY(strata_db_dropped) audit; /* commits dropped under audited policies, newest first */
    uint64_t bytes, objects;  /* marked while this tenant was current (space.c usage) */
} tstate;

typedef struct mctx {
    strata_db *db;
    strata_store_gc *g;
    STRATA_ARRAY(tstate) ts; /* tenants in byte order */
    tstate *cur;          /* the tenant being marked */
    int64_t now_us;
    uint64_t marked, marked_bytes, truncated;
    const strata_gc_options *opt;
    int64_t last_progress;
} mctx;

static int progress(mctx *m, const char *phase, uint64_t done, uint64_t total)
{
    if (!m->opt || !m->opt->progress) return 0;
    strata_gc_progress p = {phase, done, total};
    return m->opt->progress(&p, m->opt->payload);
}

/* Mark one object: 1 newly marked (its size is charged to the current tenant), 0 marked before. */
static int mark(mctx *m, const strata_oid *oid)
{
    int rc = strata_store__gc_mark(m->g, oid);
    if (rc != 1) return rc;
    uint64_t sz = 0;
    int src = strata_store__object_size(m->db->store, oid, &sz);
    if (src == STRATA_ENOTFOUND) {
        char hex[65];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ENOTFOUND, "GC: object %s reachable from tenant '%s' is missing; nothing "
                               "was deleted (run verify)", hex, m->cur ? m->cur->tenant : "?");
    }
    if (src) return src;
    m->marked++;
    m->marked_bytes += sz;
    if (m->cur) {
        m->cur->bytes += sz;
        m->cur->objects++;
    }
    if ((m->marked & 0xffff) == 0 && (rc = progress(m, "mark", m->marked, 0)) != 0) return rc;
    return 1;
}

/* The payload of every pruning walk. */
typedef struct leafctx {
    mctx *m;
    int force;
} leafctx;

static int visit(const strata_oid *oid, uint8_t type, void *payload)
{
    (void)type;
    int rc = mark(((leafctx *)payload)->m, oid);
    if (rc < 0) return rc;
    return rc == 1 ? 0 : STRATA_DB_TREE_SKIP;
}

static int mark_tree(mctx *m, const strata_oid *root)
{
    leafctx lc = {m, 0};
    return strata_db__tree_walk_pruned(m->db, root, visit, NULL, &lc);
}

/* The settings the tenant is being marked with. */
static strata_slice settings_of(const tstate *t)
{
    strata_slice s = {t->settings.data, t->settings.len};
    return s;
}

static int add_hz(tstate *t, const void *name, size_t nlen, uint64_t gmin, const strata_db_horizon **out)
{
    strata_db_horizon *h = NULL;
    char *nm = strata_mem__strndup(name, nlen);
    if (!nm || !(h = strata_array__add(&t->hz))) {
        strata_mem__free(nm);
        return STRATA_ENOMEM;
    }
    h->name = nm;
    h->gmin = gmin;
    *out = h;
    return 0;
}

/* Collect the commits the policy drops below a horizon, for the audit trail: from `c` down to
 * what an earlier run already cut (missing objects end the walk). */
static int collect_audit(mctx *m, size_t hzi, strata_oid c)
{
    tstate *t = m->cur;
    for (int guard = 0; guard < 100000; guard++) {
        if (strata_store__gc_is_marked(m->g, &c)) return 0;
        strata_commit_rec rec;
        int rc = strata_db__load_commit(m->db, &c, &rec);
        if (rc == STRATA_ENOTFOUND) {
            strata_error_clear();
            return 0;
        }
        if (rc) return rc;
        strata_db_dropped *a = strata_array__add(&t->audit);
        if (!a) {
            strata_db__commit_clear(&rec);
            return STRATA_ENOMEM;
        }
        a->entry = hzi;
        a->digest = c;
        a->c = rec;
        if (rec.nparents == 0) return 0;
        c = rec.parents[0];
    }
    return 0;
}

/* Mark the commit chain of entry `name` from `head`, within its retention (see the essay).
 * force: keep the head (and its data) whatever the horizon — a pinned snapshot's view. */
static int mark_chain(mctx *m, const void *name, size_t nlen, strata_oid c, int force)
{
    tstate *t = m->cur;
    strata_slice settings = settings_of(t);
    strata_db_policy p = strata_db__retention_policy(settings, name, nlen);
    const strata_db_horizon *hz = strata_db__horizon_find(t->hz.v, t->hz.n, name, nlen);
    int first = hz == NULL;
    uint64_t prev_gen = 0, rank = 0, cut = strata_db__retention_recorded_cut(settings, name, nlen);
    int rc = 0;
    for (;; rank++) {
        if (strata_store__gc_is_marked(m->g, &c)) break;
        if (rank > 0 && cut && prev_gen <= cut) break; /* beyond a cut an earlier run recorded */
        strata_commit_rec rec;
        rc = strata_db__load_commit(m->db, &c, &rec);
        if (rc == STRATA_ENOTFOUND && cut) { /* an old head beyond the cut, swept before */
            strata_error_clear();
            rc = 0;
            break;
        }
        if (rc) break;
        int keep;
        if (force && rank == 0) keep = 1;
        else if (cut && rec.generation < cut) keep = 0;
        else if (!first) keep = rec.generation >= hz->gmin;
        else keep = strata_db__retention_keeps(&p, rank, rec.time_us, m->now_us);
        if (!keep) {
            if (first) {
                if ((rc = add_hz(t, name, nlen, prev_gen, &hz)) == 0) {
                    first = 0;
                    m->truncated++;
                    if (p.audit) rc = collect_audit(m, (size_t)(hz - t->hz.v), c);
                }
            }
            strata_db__commit_clear(&rec);
            break;
        }
        rc = mark(m, &c);
        if (rc >= 0) {
            if (rec.kind == STRATA_ENTRY_DOCUMENT) rc = mark(m, &rec.data);
            else rc = mark_tree(m, &rec.data);
        }
        int more = rec.nparents > 0;
        strata_oid parent = rec.parents[0];
        prev_gen = rec.generation;
        strata_db__commit_clear(&rec);
        if (rc < 0) break;
        rc = 0;
        if (!more) break;
        c = parent;
    }
    if (rc < 0) return rc;
    if (first && p.set && !hz) rc = add_hz(t, name, nlen, 1, &hz); /* nothing cut: remember */
    return rc < 0 ? rc : 0;
}

static int entry_leaf(const void *key, size_t klen, const void *val, size_t vlen, int blob, void *payload)
{
    leafctx *lc = payload;
    strata_oid head;
    if (blob || strata_db__mentry_decode(NULL, &head, val, vlen) != 0)
        return strata_err__set(STRATA_ECORRUPT, "tenant '%s': malformed manifest entry", lc->m->cur->tenant);
    return mark_chain(lc->m, key, klen, head, lc->force);
}

/* Mark the manifest chain from `moid` (the tenant's root, or a pinned snapshot with pinned = 1:
 * then every entry of that manifest keeps its head). */
static int mark_manifests(mctx *m, strata_oid moid, int pinned)
{
    tstate *t = m->cur;
    strata_slice settings = settings_of(t);
    strata_db_policy tp = strata_db__retention_policy(settings, NULL, 0);
    uint64_t mcut = strata_db__retention_recorded_cut(settings, NULL, 0);
    uint64_t prev_gen = 0;
    int rc = 0;
    if (pinned) {
        /* the pinned view: every entry's head commit and data, past any horizon */
        strata_manifest pm;
        if ((rc = strata_db__load_manifest(m->db, &moid, &pm))) return rc;
        strata_db_cursor *cur = NULL;
        if ((rc = strata_db__cursor_open(&cur, m->db, &pm.entries)) == 0 &&
            (rc = strata_db__cursor_seek(cur, NULL, 0)) == 0) {
            strata_slice k, v;
            while ((rc = strata_db__cursor_next(cur, &k, &v)) == 0) {
                strata_oid head;
                if (strata_db__mentry_decode(NULL, &head, v.data, v.len) != 0) continue;
                strata_commit_rec rec;
                if ((rc = strata_db__load_commit(m->db, &head, &rec)) == STRATA_ENOTFOUND &&
                    strata_db__retention_recorded_cut(settings, k.data, k.len)) {
                    strata_error_clear(); /* pinned after a run had swept it: nothing to keep */
                    rc = 0;
                    continue;
                }
                if (rc) break;
                rc = mark(m, &head);
                if (rc >= 0) rc = rec.kind == STRATA_ENTRY_DOCUMENT ? mark(m, &rec.data) : mark_tree(m, &rec.data);
                strata_db__commit_clear(&rec);
                if (rc < 0) break;
            }
            if (rc == STRATA_ITEROVER) rc = 0;
        }
        strata_db__cursor_free(cur);
        strata_db__manifest_clear(&pm);
        if (rc < 0) return rc;
    }
    for (uint64_t rank = 0;; rank++) {
        if (strata_store__gc_is_marked(m->g, &moid)) return 0;
        if (rank > 0 && mcut && prev_gen <= mcut) return 0; /* beyond a recorded cut */
        strata_manifest mf;
        rc = strata_db__load_manifest(m->db, &moid, &mf);
        if (rc) return rc;
        int keep;
        if (pinned && rank == 0) keep = 1;
        else if (mcut && mf.generation < mcut) keep = 0;
        else if (t->msaw) keep = mf.generation >= t->mgmin;
        else keep = strata_db__retention_keeps(&tp, rank, mf.time_us, m->now_us);
        if (!keep) {
            if (!t->msaw) {
                t->msaw = 1;
                t->mgmin = prev_gen;
                m->truncated++;
            }
            strata_db__manifest_clear(&mf);
            return 0;
        }
        rc = mark(m, &moid);
        if (rc >= 0) {
            leafctx lc = {m, 0};
            rc = strata_db__tree_walk_pruned(m->db, &mf.entries, visit, entry_leaf, &lc);
        }
        int more = mf.nparents > 0;
        strata_oid parent = mf.parent;
        prev_gen = mf.generation;
        strata_db__manifest_clear(&mf);
        if (rc < 0) return rc;
        if (!more) {
            if (!t->msaw && tp.set) {
                t->msaw = 1;
                t->mgmin = 1;
            }
            return 0;
        }
        moid = parent;
    }
}

static tstate *tenant_state(mctx *m, const char *tenant)
{
    for (size_t i = 0; i < m->ts.n; i++)
        if (strcmp(m->ts.v[i].tenant, tenant) == 0) return &m->ts.v[i];
    if (strata_array__reserve(&m->ts, 1)) return NULL;
    tstate *t = &m->ts.v[m->ts.n];
    memset(t, 0, sizeof *t);
    if (!(t->tenant = strata_mem__strdup(tenant))) return NULL;
    m->ts.n++;
    return t;
}

static int mark_root(const char *tenant, const strata_oid *root, void *payload)
{
    mctx *m = payload;
    tstate *t = tenant_state(m, tenant);
    if (!t) return STRATA_ENOMEM;
    m->cur = t;
    strata_manifest mf;
    int rc = strata_db__load_manifest(m->db, root, &mf);
    if (rc) return rc;
    if (!(mf.flags & STRATA_MANIFEST_DROPPED)) rc = strata_db__retention_load(m->db, tenant, &mf.entries, &t->settings);
    else t->settings.len = 0;
    strata_db__manifest_clear(&mf);
    if (!rc) rc = mark_manifests(m, *root, 0);
    m->cur = NULL;
    return rc;
}

/* Mark from every tenant root and every pin. */
static int mark_all(mctx *m)
{
    int rc = strata_store__roots(m->db->store, mark_root, m);
    if (rc) return rc;
    strata_db_gc_pin *pins = NULL;
    size_t k = 0;
    if ((rc = strata_db__pins_copy(m->db, &pins, &k))) return rc;
    for (size_t i = 0; i < k && !rc; i++) {
        tstate *t = tenant_state(m, pins[i].tenant);
        if (!t) {
            rc = STRATA_ENOMEM;
            break;
        }
        m->cur = t;
        rc = mark_manifests(m, pins[i].moid, 1);
        m->cur = NULL;
    }
    strata_db__pins_free(pins, k);
    return rc;
}

/* Record the horizons this run found (and the audit trail) in each tenant's hidden entry,
 * before anything is deleted: merged into the settings as they are now (a policy may have
 * changed since the first pass). Caller holds write_mu. */
static int record_cuts(mctx *m)
{
    strata_buf nv = {0};
    int rc = 0;
    for (size_t ti = 0; ti < m->ts.n && !rc; ti++) {
        tstate *t = &m->ts.v[ti];
        if (!t->settings.len) continue; /* no settings: no policy, nothing was cut */
        strata_oid moid;
        strata_manifest mf;
        strata_buf curset = {0};
        rc = strata_db__current_manifest(m->db, t->tenant, &moid, &mf);
        if (rc == STRATA_ENOTFOUND) { /* dropped meanwhile */
            strata_error_clear();
            rc = 0;
            continue;
        }
        if (rc) break;
        rc = strata_db__retention_load(m->db, t->tenant, &mf.entries, &curset);
        int changed = 0;
        if (!rc && curset.len) {
            strata_db_cuts cuts = {t->hz.v, t->hz.n, t->msaw ? t->mgmin : 0, t->audit.v, t->audit.n};
            rc = strata_db__retention_marks(&nv, &changed, settings_of(t), (strata_slice){curset.data, curset.len},
                                            &cuts);
        }
        if (!rc && changed) {
            int64_t now = strata_db__now_us();
            rc = strata_db__retention_commit(m->db, t->tenant, (strata_slice){nv.data, nv.len}, "gc",
                                             "retention: history truncated", "", now, strata_db__local_offset_min(now),
                                             "gc truncate");
            if (rc == STRATA_UNCHANGED) rc = 0;
            if (rc == 0) {
                /* later checks in this run read the new marks */
                t->settings.len = 0;
                rc = strata_buf__append(&t->settings, nv.data, nv.len);
            }
        }
        strata_buf__free(&curset);
    }
    strata_buf__free(&nv);
    return rc;
}

static void mctx_free(mctx *m)
{
    for (size_t i = 0; i < m->ts.n; i++) {
        tstate *t = &m->ts.v[i];
        strata_mem__free(t->tenant);
        strata_buf__free(&t->settings);
        for (size_t k = 0; k < t->hz.n; k++) strata_mem__free(t->hz.v[k].name);
        strata_array__free(&t->hz);
        for (size_t k = 0; k < t->audit.n; k++) strata_db__commit_clear(&t->audit.v[k].c);
        strata_array__free(&t->audit);
    }
    strata_array__free(&m->ts);
}

static int store_copy_progress(uint64_t done, uint64_t total, void *payload)
{
    return progress(payload, "copy", done, total);
}

/* ---- the run -------------------------------------------------------------------------------- */

int strata_gc_options_init(strata_gc_options *opt, unsigned int version)
{
    if (!opt) return strata_err__set(STRATA_EINVALID, "strata_gc_options_init: opt is NULL");
    if (version != STRATA_GC_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "strata_gc_options_init: unknown version %u", version);
    strata_gc_options d = STRATA_GC_OPTIONS_INIT;
    *opt = d;
    return 0;
}

int strata_db__gc_options(strata_gc_options *out, strata_db *db, const strata_gc_options *opt, const char *fn)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "%s: db is NULL", fn);
    if (db->read_only) return strata_err__set(STRATA_EINVALID, "%s: the database is open read-only", fn);
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    if (opt) {
        if (opt->version != STRATA_GC_OPTIONS_VERSION)
            return strata_err__set(STRATA_EINVALID, "%s: unknown options version %u", fn, opt->version);
        o = *opt;
    }
    *out = o;
    return 0;
}

int strata_db_gc(strata_gc_report *out, strata_db *db, const strata_gc_options *opt)
{
    if (out) memset(out, 0, sizeof *out);
    strata_gc_options o;
    int rc = strata_db__gc_options(&o, db, opt, "strata_db_gc");
    if (rc) return rc;
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    int busy = st->running;
    if (!busy) st->running = 1;
    size_t npins = st->pins.n;
    pthread_mutex_unlock(&st->mu);
    if (busy) return strata_err__set(STRATA_EBUSY, "a garbage collection is already running");

    int64_t t0 = mono_us(), tb = 0, blocked = 0;
    mctx m;
    memset(&m, 0, sizeof m);
    m.db = db;
    m.opt = &o;
    m.now_us = strata_db__now_us();
    strata_store_stats before, after;
    strata_store_gc_report srep;
    memset(&srep, 0, sizeof srep);
    strata_store_gc_options so = STRATA_STORE_GC_OPTIONS_INIT;
    so.min_dead_share = o.min_dead_share;
    so.compress_level = o.compress_level;
    so.progress = store_copy_progress;
    so.payload = &m;
    rc = strata_store__stats(db->store, &before);
    if (rc) goto done;
    /* 1. candidates, then marking from the roots as they are now (no lock) */
    if ((rc = strata_store__gc_begin(&m.g, db->store, &so))) goto done;
    if ((rc = mark_all(&m))) goto done;
    /* 2. the truncation marks must be durable before anything they describe can go */
    if ((rc = strata_db__write_lock(db))) goto done;
    rc = record_cuts(&m);
    strata_db__write_unlock(db);
    if (rc) goto done;
    /* 3. the bulk copy (writers interleave record by record) */
    if ((rc = strata_store__gc_copy(m.g))) goto done;
    /* 4. the final step: no commit in flight; mark what was committed meanwhile, switch */
    /* under the write lock: the roots every process published so far (its refresh), and no
     * commit of any process in flight until the switch */
    if ((rc = strata_db__write_lock(db))) goto done;
    tb = mono_us();
    rc = mark_all(&m);
    if (!rc) rc = progress(&m, "finish", m.marked, 0);
    if (!rc) rc = strata_store__gc_finish(m.g, &srep);
    /* forget decoded summaries of what the run may have removed (commits cut by retention,
     * dropped tenants): reads at those digests must now fail like reads of any missing object */
    if (!rc) strata_db__cache_clear(db);
    blocked = mono_us() - tb;
    strata_db__write_unlock(db);
    if (rc) goto done;
    if ((rc = strata_store__stats(db->store, &after))) goto done;
    /* statistics */
    strata_db_gc_usage *u = strata_mem__calloc(m.ts.n ? m.ts.n : 1, sizeof *u);
    size_t nu = 0;
    if (u)
        for (size_t i = 0; i < m.ts.n; i++) {
            if (!(u[nu].tenant = strata_mem__strdup(m.ts.v[i].tenant))) break;
            u[nu].bytes = m.ts.v[i].bytes;
            u[nu].objects = m.ts.v[i].objects;
            nu++;
        }
    strata_db__space_record(db, u, nu, before.file_bytes > after.file_bytes ? before.file_bytes - after.file_bytes : 0,
                            m.marked_bytes, after.file_bytes);
    if (out) {
        out->live_objects = m.marked;
        out->live_bytes = m.marked_bytes;
        out->segments_before = srep.candidates;
        out->segments_swept = srep.swept;
        out->objects_copied = srep.objects_copied;
        out->bytes_copied = srep.bytes_copied;
        out->bytes_before = before.file_bytes;
        out->bytes_after = after.file_bytes;
        out->pinned = npins;
        out->truncated = m.truncated;
        out->duration_us = mono_us() - t0;
        out->blocked_us = blocked;
    }
done:
    strata_store__gc_free(m.g);
    mctx_free(&m);
    pthread_mutex_lock(&st->mu);
    st->running = 0;
    pthread_mutex_unlock(&st->mu);
    return rc;
}
