/* Garbage collection and retention for the database: the mark phase (what is live), snapshot
 * pins, retention policies and the truncation marks they leave, statistics and the automatic GC
 * thread. The sweep is the store's (src/store/gc.c).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "store/store.h"
#include "tree/tree.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- state ---------------------------------------------------------------------------------- */

typedef struct gc_pin {
    strata_oid moid;
    char *tenant;
    uint64_t count;
} gc_pin;

typedef struct gc_usage {
    char *tenant;
    uint64_t bytes, objects;
} gc_usage;

typedef struct strata_db_gcstate {
    pthread_mutex_t mu;       /* everything below */
    gc_pin *pins;
    size_t npins, cappins;
    int running;              /* a run is in progress */
    uint64_t runs;
    int64_t last_us;
    uint64_t last_freed;
    uint64_t live_bytes;      /* marked by the last run */
    uint64_t file_bytes_after;/* segment bytes right after the last run */
    gc_usage *usage;
    size_t nusage;
    /* automatic GC */
    pthread_t thread;
    int thread_on, stop;
    pthread_cond_t cond;
    double auto_share;
    unsigned auto_ms;
    strata_gc_options auto_opt;
    int auto_last_rc;
} strata_db_gcstate;

int strata_db__gc_open(strata_db *db)
{
    strata_db_gcstate *st = strata_mem__calloc(1, sizeof *st);
    if (!st) return STRATA_ENOMEM;
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cond, NULL);
    db->gc = st;
    return 0;
}

static void stop_auto(strata_db *db);

void strata_db__gc_close(strata_db *db)
{
    strata_db_gcstate *st = db->gc;
    if (!st) return;
    stop_auto(db);
    for (size_t i = 0; i < st->npins; i++) strata_mem__free(st->pins[i].tenant);
    strata_mem__free(st->pins);
    for (size_t i = 0; i < st->nusage; i++) strata_mem__free(st->usage[i].tenant);
    strata_mem__free(st->usage);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cond);
    strata_mem__free(st);
    db->gc = NULL;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the hidden settings entry ---------------------------------------------------------------
 * Its value (a canonical map, docs/format.md "Retention and GC marks"):
 *   "tenant":       {"keep_commits": n, "keep_age_s": n, "audit": bool}   the tenant's policy
 *   "entries":      {name: {same}}                                      per-entry policies
 *   "cut":          {name: generation}    commits of `name` below it may have been dropped
 *   "manifest_cut": generation            the same for the tenant's manifest chain
 *   "audit":        {name: [{"digest", "generation", "time_us", "user", "message", "origin",
 *                            "operation"}, …]}                           dropped commits */

typedef struct policy {
    int set;
    uint64_t keep;   /* 0 = no count limit */
    int64_t age_s;   /* 0 = no age limit */
    int audit;
} policy;

/* Load the hidden entry's value in the entries tree `entries` (of tenant `tenant`) into *out
 * (owned bytes). 0 with out->len == 0 when the tenant has no settings. */
static int settings_load(strata_db *db, const char *tenant, const strata_oid *entries, strata_buf *out)
{
    out->len = 0;
    strata_buf hv = {0};
    int rc = strata_db__tree_get(db, entries, STRATA_DB_GC_ENTRY, strlen(STRATA_DB_GC_ENTRY), &hv);
    if (rc == STRATA_ENOTFOUND) {
        strata_error_clear();
        strata_buf__free(&hv);
        return 0;
    }
    if (rc == 0 && hv.len != 1 + STRATA_OID_SIZE)
        rc = strata_err__set(STRATA_ECORRUPT, "tenant '%s': malformed manifest entry", tenant);
    strata_oid head;
    if (!rc) memcpy(head.id, hv.data + 1, STRATA_OID_SIZE);
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

static uint64_t get_u64(strata_slice map, const char *key)
{
    strata_slice v;
    strata_num n;
    int64_t x;
    if (!map.len || strata_doc__map_get(map, key, strlen(key), &v) != 0) return 0;
    if (strata_doc__get_number(v, &n) != 0 || strata_num__to_i64(&n, &x) != 0 || x < 0) return 0;
    return (uint64_t)x;
}

static policy parse_policy(strata_slice p)
{
    policy r = {0, 0, 0, 0};
    if (!p.len) return r;
    r.keep = get_u64(p, "keep_commits");
    r.age_s = (int64_t)get_u64(p, "keep_age_s");
    strata_slice v;
    int b = 0;
    if (strata_doc__map_get(p, "audit", 5, &v) == 0) strata_doc__get_bool(v, &b);
    r.audit = b;
    r.set = r.keep || r.age_s;
    return r;
}

static strata_slice sub(strata_slice map, const char *key)
{
    strata_slice v = {NULL, 0};
    if (!map.len || strata_doc__map_get(map, key, strlen(key), &v) != 0) v.len = 0;
    return v;
}

static strata_slice sub_n(strata_slice map, const void *key, size_t klen)
{
    strata_slice v = {NULL, 0};
    if (!map.len || strata_doc__map_get(map, key, klen, &v) != 0) v.len = 0;
    return v;
}

/* The policy for an entry (its own, else the tenant's). */
static policy entry_policy(strata_slice settings, const void *name, size_t nlen)
{
    policy p = parse_policy(sub_n(sub(settings, "entries"), name, nlen));
    if (!p.set) p = parse_policy(sub(settings, "tenant"));
    return p;
}

/* Does the policy keep the commit at `rank` (0 = head) made at time_us? */
static int policy_keeps(const policy *p, uint64_t rank, int64_t time_us, int64_t now_us)
{
    if (!p->set || rank == 0) return 1;
    if (p->keep && rank < p->keep) return 1;
    if (p->age_s && time_us >= now_us - p->age_s * 1000000) return 1;
    return 0;
}

/* Write `value` as the new head of the hidden entry of `tenant` through an ordinary transaction
 * (the caller holds write_mu, so the locked half of the commit is used, and the sync is waited
 * for before returning). STRATA_UNCHANGED when the settings already were `value`. */
static int settings_commit(strata_db *db, const char *tenant, strata_slice value, const char *user,
                           const char *message, const char *origin, int64_t time_us, int tz, const char *opdesc)
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

/* Copy map `old` into b (an open map), leaving out key `skip` (may be NULL). */
static int copy_map_except(strata_doc_builder *b, strata_slice old, const void *skip, size_t skiplen)
{
    if (!old.len) return 0;
    strata_doc_iter it;
    strata_slice k, v;
    int rc = strata_doc__iter_init(&it, old);
    if (rc) return rc;
    while ((rc = strata_doc__iter_next(&it, &k, &v)) == 0) {
        if (skip && k.len == skiplen && memcmp(k.data, skip, skiplen) == 0) continue;
        if ((rc = strata_doc__b_key(b, k.data, k.len)) || (rc = strata_doc__b_value(b, v))) return rc;
    }
    return rc == STRATA_ITEROVER ? 0 : rc;
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

/* ---- marking ---------------------------------------------------------------------------------- */

/* An entry's horizon found by this run. */
typedef struct horizon {
    char *name;
    uint64_t gmin;      /* oldest kept generation (1 = nothing cut) */
} horizon;

/* An audit record collected for the settings commit. */
typedef struct audit_rec {
    size_t entry;       /* index into the tenant's horizons */
    strata_oid digest;
    strata_commit_rec c;
} audit_rec;

/* Per-tenant marking state, kept from the first pass to the final one. */
typedef struct tstate {
    char *tenant;
    strata_buf settings;  /* the hidden entry's value at the current manifest ("" when none) */
    horizon *hz;
    size_t nhz, caphz;
    uint64_t mgmin;       /* manifest horizon found (0 = none yet) */
    int msaw;
    audit_rec *audit;
    size_t naudit, capaudit;
    uint64_t bytes, objects;
} tstate;

typedef struct mctx {
    strata_db *db;
    strata_store_gc *g;
    tstate *ts;           /* tenants in byte order */
    size_t nts, capts;
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
    return rc == 1 ? 0 : STRATA_TREE_SKIP;
}

static int mark_tree(mctx *m, const strata_oid *root)
{
    leafctx lc = {m, 0};
    return strata_tree__walk_pruned(m->db->tree, root, visit, NULL, &lc);
}

static horizon *find_hz(tstate *t, const void *name, size_t nlen)
{
    for (size_t i = 0; i < t->nhz; i++)
        if (strlen(t->hz[i].name) == nlen && memcmp(t->hz[i].name, name, nlen) == 0) return &t->hz[i];
    return NULL;
}

static int add_hz(tstate *t, const void *name, size_t nlen, uint64_t gmin, horizon **out)
{
    if (t->nhz == t->caphz) {
        size_t nc = t->caphz ? t->caphz * 2 : 16;
        horizon *nv = strata_mem__realloc(t->hz, nc * sizeof *nv);
        if (!nv) return STRATA_ENOMEM;
        t->hz = nv;
        t->caphz = nc;
    }
    char *nm = strata_mem__strndup(name, nlen);
    if (!nm) return STRATA_ENOMEM;
    t->hz[t->nhz].name = nm;
    t->hz[t->nhz].gmin = gmin;
    *out = &t->hz[t->nhz++];
    return 0;
}

/* The cut recorded by an earlier run for an entry (0 = none). */
static uint64_t recorded_cut(const tstate *t, const void *name, size_t nlen)
{
    strata_slice s = {t->settings.data, t->settings.len};
    strata_slice cut = sub(s, "cut");
    strata_slice v = sub_n(cut, name, nlen);
    strata_num n;
    int64_t x;
    if (!v.len || strata_doc__get_number(v, &n) != 0 || strata_num__to_i64(&n, &x) != 0 || x < 0) return 0;
    return (uint64_t)x;
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
        if (t->naudit == t->capaudit) {
            size_t nc = t->capaudit ? t->capaudit * 2 : 16;
            audit_rec *nv = strata_mem__realloc(t->audit, nc * sizeof *nv);
            if (!nv) {
                strata_db__commit_clear(&rec);
                return STRATA_ENOMEM;
            }
            t->audit = nv;
            t->capaudit = nc;
        }
        audit_rec *a = &t->audit[t->naudit++];
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
    strata_slice settings = {t->settings.data, t->settings.len};
    policy p = entry_policy(settings, name, nlen);
    horizon *hz = find_hz(t, name, nlen);
    int first = hz == NULL;
    uint64_t prev_gen = 0, rank = 0, cut = recorded_cut(t, name, nlen);
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
        else keep = policy_keeps(&p, rank, rec.time_us, m->now_us);
        if (!keep) {
            if (first) {
                if ((rc = add_hz(t, name, nlen, prev_gen, &hz)) == 0) {
                    first = 0;
                    m->truncated++;
                    if (p.audit) rc = collect_audit(m, (size_t)(hz - t->hz), c);
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
    if (blob || vlen != 1 + STRATA_OID_SIZE)
        return strata_err__set(STRATA_ECORRUPT, "tenant '%s': malformed manifest entry", lc->m->cur->tenant);
    strata_oid head;
    memcpy(head.id, (const uint8_t *)val + 1, STRATA_OID_SIZE);
    return mark_chain(lc->m, key, klen, head, lc->force);
}

/* Mark the manifest chain from `moid` (the tenant's root, or a pinned snapshot with pinned = 1:
 * then every entry of that manifest keeps its head). */
static int mark_manifests(mctx *m, strata_oid moid, int pinned)
{
    tstate *t = m->cur;
    strata_slice settings = {t->settings.data, t->settings.len};
    policy tp = parse_policy(sub(settings, "tenant"));
    uint64_t mcut = get_u64(settings, "manifest_cut");
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
                if (v.len != 1 + STRATA_OID_SIZE) continue;
                strata_oid head;
                memcpy(head.id, (const uint8_t *)v.data + 1, STRATA_OID_SIZE);
                strata_commit_rec rec;
                if ((rc = strata_db__load_commit(m->db, &head, &rec)) == STRATA_ENOTFOUND &&
                    recorded_cut(t, k.data, k.len)) {
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
        else keep = policy_keeps(&tp, rank, mf.time_us, m->now_us);
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
            rc = strata_tree__walk_pruned(m->db->tree, &mf.entries, visit, entry_leaf, &lc);
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
    for (size_t i = 0; i < m->nts; i++)
        if (strcmp(m->ts[i].tenant, tenant) == 0) return &m->ts[i];
    if (m->nts == m->capts) {
        size_t nc = m->capts ? m->capts * 2 : 8;
        tstate *nv = strata_mem__realloc(m->ts, nc * sizeof *nv);
        if (!nv) return NULL;
        m->ts = nv;
        m->capts = nc;
    }
    tstate *t = &m->ts[m->nts];
    memset(t, 0, sizeof *t);
    if (!(t->tenant = strata_mem__strdup(tenant))) return NULL;
    m->nts++;
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
    if (!(mf.flags & STRATA_MANIFEST_DROPPED)) rc = settings_load(m->db, tenant, &mf.entries, &t->settings);
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
    strata_db_gcstate *st = m->db->gc;
    pthread_mutex_lock(&st->mu);
    size_t n = st->npins;
    gc_pin *copy = strata_mem__alloc((n ? n : 1) * sizeof *copy);
    size_t k = 0;
    if (copy)
        for (; k < n; k++) {
            copy[k] = st->pins[k];
            copy[k].tenant = strata_mem__strdup(st->pins[k].tenant);
            if (!copy[k].tenant) break;
        }
    pthread_mutex_unlock(&st->mu);
    if (!copy || k < n) rc = STRATA_ENOMEM;
    for (size_t i = 0; i < k && !rc; i++) {
        tstate *t = tenant_state(m, copy[i].tenant);
        if (!t) {
            rc = STRATA_ENOMEM;
            break;
        }
        m->cur = t;
        rc = mark_manifests(m, copy[i].moid, 1);
        m->cur = NULL;
    }
    for (size_t i = 0; i < k; i++) strata_mem__free(copy[i].tenant);
    strata_mem__free(copy);
    return rc;
}

/* Record the horizons this run found (and the audit trail) in each tenant's hidden entry,
 * before anything is deleted. Caller holds write_mu. */
static int record_cuts(mctx *m)
{
    strata_doc_builder *b = NULL, *cb = NULL, *ab = NULL, *lb = NULL;
    int rc = 0;
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__builder_new(&cb)) ||
        (rc = strata_doc__builder_new(&ab)) || (rc = strata_doc__builder_new(&lb)))
        goto done;
    for (size_t ti = 0; ti < m->nts && !rc; ti++) {
        tstate *t = &m->ts[ti];
        strata_slice old = {t->settings.data, t->settings.len};
        if (!old.len) continue; /* no settings: no policy, nothing was cut */
        /* the current settings (a policy may have changed since the first pass) */
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
        rc = settings_load(m->db, t->tenant, &mf.entries, &curset);
        if (rc || !curset.len) {
            strata_buf__free(&curset);
            continue;
        }
        strata_slice cs = {curset.data, curset.len};
        int changed = 0;
        /* cut map: max(old, new) per entry */
        strata_doc__builder_reset(cb);
        strata_slice oldcut = sub(cs, "cut");
        if ((rc = strata_doc__b_begin(cb, STRATA_DOC_MAP))) goto next;
        if (oldcut.len) {
            strata_doc_iter it;
            strata_slice k, v;
            if ((rc = strata_doc__iter_init(&it, oldcut))) goto next;
            while ((rc = strata_doc__iter_next(&it, &k, &v)) == 0) {
                horizon *h = find_hz(t, k.data, k.len);
                if (h && h->gmin > 1) continue; /* rewritten below */
                if ((rc = strata_doc__b_key(cb, k.data, k.len)) || (rc = strata_doc__b_value(cb, v))) goto next;
            }
            if (rc != STRATA_ITEROVER) goto next;
            rc = 0;
        }
        for (size_t i = 0; i < t->nhz; i++) {
            horizon *h = &t->hz[i];
            if (h->gmin <= 1) continue;
            uint64_t was = recorded_cut(t, h->name, strlen(h->name));
            strata_slice ov = sub_n(oldcut, h->name, strlen(h->name));
            strata_num n;
            int64_t x = 0;
            if (ov.len && strata_doc__get_number(ov, &n) == 0) strata_num__to_i64(&n, &x);
            uint64_t g = h->gmin > (uint64_t)x ? h->gmin : (uint64_t)x;
            if (g != was) changed = 1;
            if ((rc = b_u64(cb, h->name, g))) goto next;
        }
        if ((rc = strata_doc__b_end(cb))) goto next;
        strata_slice cutv;
        if ((rc = strata_doc__builder_finish(cb, &cutv))) goto next;
        uint64_t mcut = get_u64(cs, "manifest_cut");
        if (t->msaw && t->mgmin > mcut) {
            mcut = t->mgmin;
            changed = 1;
        }
        /* audit map: old lists plus this run's records */
        strata_slice oldaudit = sub(cs, "audit");
        strata_doc__builder_reset(ab);
        if ((rc = strata_doc__b_begin(ab, STRATA_DOC_MAP))) goto next;
        for (size_t i = 0; i < t->nhz && !rc; i++) {
            horizon *h = &t->hz[i];
            size_t cnt = 0;
            for (size_t a = 0; a < t->naudit; a++) cnt += t->audit[a].entry == i;
            if (!cnt) continue;
            changed = 1;
            if ((rc = strata_doc__b_key(ab, h->name, strlen(h->name))) || (rc = strata_doc__b_begin(ab, STRATA_DOC_LIST)))
                goto next;
            strata_slice ol = sub_n(oldaudit, h->name, strlen(h->name));
            if (ol.len) {
                strata_doc_iter it;
                strata_slice v;
                if ((rc = strata_doc__iter_init(&it, ol))) goto next;
                while ((rc = strata_doc__iter_next(&it, NULL, &v)) == 0)
                    if ((rc = strata_doc__b_value(ab, v))) goto next;
                if (rc != STRATA_ITEROVER) goto next;
                rc = 0;
            }
            /* collected newest first: emit oldest first */
            for (size_t a = t->naudit; a-- > 0;) {
                audit_rec *r = &t->audit[a];
                if (r->entry != i) continue;
                char hex[65];
                strata_oid_fmt(hex, &r->digest);
                if ((rc = strata_doc__b_begin(ab, STRATA_DOC_MAP)) || (rc = b_str(ab, "digest", hex)) ||
                    (rc = b_u64(ab, "generation", r->c.generation)) || (rc = b_u64(ab, "time_us", (uint64_t)r->c.time_us)) ||
                    (rc = b_str(ab, "user", r->c.user)) || (rc = b_str(ab, "message", r->c.message)) ||
                    (rc = b_str(ab, "origin", r->c.origin)) || (rc = b_str(ab, "operation", r->c.operation)) ||
                    (rc = strata_doc__b_end(ab)))
                    goto next;
            }
            if ((rc = strata_doc__b_end(ab))) goto next;
        }
        /* old lists of entries without new records */
        if (oldaudit.len) {
            strata_doc_iter it;
            strata_slice k, v;
            if ((rc = strata_doc__iter_init(&it, oldaudit))) goto next;
            while ((rc = strata_doc__iter_next(&it, &k, &v)) == 0) {
                horizon *h = find_hz(t, k.data, k.len);
                int fresh = 0;
                if (h)
                    for (size_t a = 0; a < t->naudit; a++) fresh |= t->audit[a].entry == (size_t)(h - t->hz);
                if (fresh) continue;
                if ((rc = strata_doc__b_key(ab, k.data, k.len)) || (rc = strata_doc__b_value(ab, v))) goto next;
            }
            if (rc != STRATA_ITEROVER) goto next;
            rc = 0;
        }
        if ((rc = strata_doc__b_end(ab))) goto next;
        strata_slice auditv;
        if ((rc = strata_doc__builder_finish(ab, &auditv))) goto next;
        if (!changed) goto next;
        strata_doc__builder_reset(b);
        if ((rc = strata_doc__b_begin(b, STRATA_DOC_MAP))) goto next;
        strata_doc_iter it;
        strata_slice k, v;
        if ((rc = strata_doc__iter_init(&it, cs))) goto next;
        while ((rc = strata_doc__iter_next(&it, &k, &v)) == 0) {
            if ((k.len == 3 && !memcmp(k.data, "cut", 3)) || (k.len == 12 && !memcmp(k.data, "manifest_cut", 12)) ||
                (k.len == 5 && !memcmp(k.data, "audit", 5)))
                continue;
            if ((rc = strata_doc__b_key(b, k.data, k.len)) || (rc = strata_doc__b_value(b, v))) goto next;
        }
        if (rc != STRATA_ITEROVER) goto next;
        if ((rc = strata_doc__b_key(b, "cut", 3)) || (rc = strata_doc__b_value(b, cutv)) ||
            (rc = strata_doc__b_key(b, "audit", 5)) || (rc = strata_doc__b_value(b, auditv)))
            goto next;
        if (mcut && (rc = b_u64(b, "manifest_cut", mcut))) goto next;
        if ((rc = strata_doc__b_end(b))) goto next;
        strata_slice nv;
        if ((rc = strata_doc__builder_finish(b, &nv))) goto next;
        int64_t now = strata_db__now_us();
        rc = settings_commit(m->db, t->tenant, nv, "gc", "retention: history truncated", "", now,
                             strata_db__local_offset_min(now), "gc truncate");
        if (rc == STRATA_UNCHANGED) rc = 0;
        if (rc == 0) {
            /* later checks in this run read the new marks */
            t->settings.len = 0;
            rc = strata_buf__append(&t->settings, nv.data, nv.len);
        }
    next:
        strata_buf__free(&curset);
    }
done:
    strata_doc__builder_free(b);
    strata_doc__builder_free(cb);
    strata_doc__builder_free(ab);
    strata_doc__builder_free(lb);
    return rc;
}

static void mctx_free(mctx *m)
{
    for (size_t i = 0; i < m->nts; i++) {
        tstate *t = &m->ts[i];
        strata_mem__free(t->tenant);
        strata_buf__free(&t->settings);
        for (size_t k = 0; k < t->nhz; k++) strata_mem__free(t->hz[k].name);
        strata_mem__free(t->hz);
        for (size_t k = 0; k < t->naudit; k++) strata_db__commit_clear(&t->audit[k].c);
        strata_mem__free(t->audit);
    }
    strata_mem__free(m->ts);
}

static int usage_cmp(const void *a, const void *b)
{
    return strcmp(((const gc_usage *)a)->tenant, ((const gc_usage *)b)->tenant);
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

int strata_db_gc(strata_gc_report *out, strata_db *db, const strata_gc_options *opt)
{
    if (out) memset(out, 0, sizeof *out);
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_db_gc: db is NULL");
    if (db->read_only) return strata_err__set(STRATA_EINVALID, "strata_db_gc: the database is open read-only");
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    if (opt) {
        if (opt->version != STRATA_GC_OPTIONS_VERSION)
            return strata_err__set(STRATA_EINVALID, "strata_db_gc: unknown options version %u", opt->version);
        o = *opt;
    }
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    int busy = st->running;
    if (!busy) st->running = 1;
    size_t npins = st->npins;
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
    int rc = strata_store__stats(db->store, &before);
    if (rc) goto done;
    /* 1. candidates, then marking from the roots as they are now (no lock) */
    if ((rc = strata_store__gc_begin(&m.g, db->store, &so))) goto done;
    if ((rc = mark_all(&m))) goto done;
    /* 2. the truncation marks must be durable before anything they describe can go */
    pthread_mutex_lock(&db->write_mu);
    rc = record_cuts(&m);
    pthread_mutex_unlock(&db->write_mu);
    if (rc) goto done;
    /* 3. the bulk copy (writers interleave record by record) */
    if ((rc = strata_store__gc_copy(m.g))) goto done;
    /* 4. the final step: no commit in flight; mark what was committed meanwhile, switch */
    pthread_mutex_lock(&db->write_mu);
    tb = mono_us();
    rc = mark_all(&m);
    if (!rc) rc = progress(&m, "finish", m.marked, 0);
    if (!rc) rc = strata_store__gc_finish(m.g, &srep);
    /* forget decoded summaries of what the run may have removed (commits cut by retention,
     * dropped tenants): reads at those digests must now fail like reads of any missing object */
    if (!rc) strata_db__cache_clear(db);
    blocked = mono_us() - tb;
    pthread_mutex_unlock(&db->write_mu);
    if (rc) goto done;
    if ((rc = strata_store__stats(db->store, &after))) goto done;
    /* statistics */
    gc_usage *u = strata_mem__calloc(m.nts ? m.nts : 1, sizeof *u);
    size_t nu = 0;
    if (u)
        for (size_t i = 0; i < m.nts; i++) {
            if (!(u[nu].tenant = strata_mem__strdup(m.ts[i].tenant))) break;
            u[nu].bytes = m.ts[i].bytes;
            u[nu].objects = m.ts[i].objects;
            nu++;
        }
    if (nu) qsort(u, nu, sizeof *u, usage_cmp);
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->nusage; i++) strata_mem__free(st->usage[i].tenant);
    strata_mem__free(st->usage);
    st->usage = u;
    st->nusage = nu;
    st->runs++;
    st->last_us = strata_db__now_us();
    st->last_freed = before.file_bytes > after.file_bytes ? before.file_bytes - after.file_bytes : 0;
    st->live_bytes = m.marked_bytes;
    st->file_bytes_after = after.file_bytes;
    pthread_mutex_unlock(&st->mu);
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

/* ---- pins ------------------------------------------------------------------------------------ */

int strata_snapshot_pin(strata_db *db, const char *tenant, const strata_oid *snapshot)
{
    if (!db || !snapshot) return strata_err__set(STRATA_EINVALID, "strata_snapshot_pin: NULL argument");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_manifest mf;
    if ((rc = strata_db__load_manifest(db, snapshot, &mf))) return rc;
    int ok = strcmp(mf.tenant, tenant) == 0;
    strata_db__manifest_clear(&mf);
    if (!ok) {
        char hex[65];
        strata_oid_fmt(hex, snapshot);
        return strata_err__set(STRATA_ENOTFOUND, "no snapshot %s in tenant '%s'", hex, tenant);
    }
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->npins; i++)
        if (strata_oid__cmp(&st->pins[i].moid, snapshot) == 0) {
            st->pins[i].count++;
            goto done;
        }
    if (st->npins == st->cappins) {
        size_t nc = st->cappins ? st->cappins * 2 : 8;
        gc_pin *nv = strata_mem__realloc(st->pins, nc * sizeof *nv);
        if (!nv) {
            rc = STRATA_ENOMEM;
            goto done;
        }
        st->pins = nv;
        st->cappins = nc;
    }
    char *t = strata_mem__strdup(tenant);
    if (!t) {
        rc = STRATA_ENOMEM;
        goto done;
    }
    st->pins[st->npins].moid = *snapshot;
    st->pins[st->npins].tenant = t;
    st->pins[st->npins].count = 1;
    st->npins++;
done:
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int strata_snapshot_unpin(strata_db *db, const strata_oid *snapshot)
{
    if (!db || !snapshot) return strata_err__set(STRATA_EINVALID, "strata_snapshot_unpin: NULL argument");
    strata_db_gcstate *st = db->gc;
    int rc = 0;
    pthread_mutex_lock(&st->mu);
    size_t i = 0;
    for (; i < st->npins; i++)
        if (strata_oid__cmp(&st->pins[i].moid, snapshot) == 0) break;
    if (i == st->npins) {
        rc = strata_err__set(STRATA_ENOTFOUND, "snapshot is not pinned");
    } else if (--st->pins[i].count == 0) {
        strata_mem__free(st->pins[i].tenant);
        st->pins[i] = st->pins[--st->npins];
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

/* ---- retention ------------------------------------------------------------------------------- */

static int current_settings(strata_db *db, const char *tenant, strata_buf *out)
{
    strata_oid moid;
    strata_manifest mf;
    int rc = strata_db__current_manifest(db, tenant, &moid, &mf);
    if (rc) return rc;
    return settings_load(db, tenant, &mf.entries, out);
}

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
    pthread_mutex_lock(&db->write_mu);
    if ((rc = current_settings(db, tenant, &cur))) goto done;
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__builder_new(&pb)) || (rc = strata_doc__builder_new(&eb)))
        goto done;
    strata_slice cs = {cur.data, cur.len};
    int remove = keep_commits == 0 && keep_age_s == 0;
    strata_slice pol = {NULL, 0};
    if (!remove) {
        if ((rc = strata_doc__b_begin(pb, STRATA_DOC_MAP)) || (rc = b_u64(pb, "keep_commits", keep_commits)) ||
            (rc = b_u64(pb, "keep_age_s", (uint64_t)keep_age_s)) || (rc = strata_doc__b_key(pb, "audit", 5)) ||
            (rc = strata_doc__b_bool(pb, audit != 0)) || (rc = strata_doc__b_end(pb)) ||
            (rc = strata_doc__builder_finish(pb, &pol)))
            goto done;
    }
    if ((rc = strata_doc__b_begin(b, STRATA_DOC_MAP))) goto done;
    if (!entry) {
        if ((rc = copy_map_except(b, cs, "tenant", 6))) goto done;
        if (!remove && ((rc = strata_doc__b_key(b, "tenant", 6)) || (rc = strata_doc__b_value(b, pol)))) goto done;
    } else {
        if ((rc = copy_map_except(b, cs, "entries", 7))) goto done;
        strata_slice ents = sub(cs, "entries");
        if ((rc = strata_doc__b_begin(eb, STRATA_DOC_MAP)) || (rc = copy_map_except(eb, ents, entry, strlen(entry))))
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
    rc = settings_commit(db, tenant, nv, w.user ? w.user : "", w.message ? w.message : "", w.origin ? w.origin : "",
                         now, tz, opdesc);
done:
    pthread_mutex_unlock(&db->write_mu);
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
    policy p = entry ? entry_policy(cs, entry, strlen(entry)) : parse_policy(sub(cs, "tenant"));
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

static int cut_of(strata_db *db, const char *tenant, const char *entry, uint64_t *out)
{
    strata_buf cur = {0};
    int rc = current_settings(db, tenant, &cur);
    *out = 0;
    if (!rc) {
        strata_slice cs = {cur.data, cur.len};
        *out = entry ? get_u64(sub(cs, "cut"), entry) : get_u64(cs, "manifest_cut");
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

int strata_db__gc_truncated(strata_db *db, const char *tenant, const char *entry, uint64_t generation)
{
    return generation <= strata_db__gc_cut(db, tenant, entry);
}

int strata_db__gc_manifest_truncated(strata_db *db, const char *tenant, uint64_t generation)
{
    return strata_db__gc_truncated(db, tenant, NULL, generation);
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
    strata_slice l = sub_n(sub(cs, "audit"), entry, strlen(entry));
    static const uint8_t empty_list[] = {0x06, 0x00, 0x00};
    if (!l.len) {
        l.data = empty_list;
        l.len = sizeof empty_list;
    }
    rc = strata_db__value_new(out, l.data, l.len);
done:
    strata_buf__free(&cur);
    return rc;
}

/* ---- statistics ------------------------------------------------------------------------------- */

int strata_db_stats(strata_space_stats *out, strata_db *db)
{
    if (!db || !out) return strata_err__set(STRATA_EINVALID, "strata_db_stats: NULL argument");
    if (out->version != STRATA_SPACE_STATS_VERSION)
        return strata_err__set(STRATA_EINVALID, "strata_db_stats: unknown version %u (set out->version)", out->version);
    strata_store_stats ss;
    int rc = strata_store__stats(db->store, &ss);
    if (rc) return rc;
    strata_db_gcstate *st = db->gc;
    memset(out, 0, sizeof *out);
    out->version = STRATA_SPACE_STATS_VERSION;
    out->file_bytes = ss.file_bytes;
    out->segments = ss.segments;
    out->objects = ss.objects;
    pthread_mutex_lock(&st->mu);
    out->gc_runs = st->runs;
    out->last_gc_us = st->last_us;
    out->last_gc_freed = st->last_freed;
    if (st->runs) {
        uint64_t since = ss.file_bytes > st->file_bytes_after ? ss.file_bytes - st->file_bytes_after : 0;
        out->live_bytes = st->live_bytes + since;
        if (out->live_bytes > ss.file_bytes) out->live_bytes = ss.file_bytes;
    } else {
        out->live_bytes = ss.file_bytes > ss.dead_bytes ? ss.file_bytes - ss.dead_bytes : 0;
    }
    pthread_mutex_unlock(&st->mu);
    out->dead_bytes = ss.file_bytes - out->live_bytes;
    return 0;
}

int strata_tenant_usage(uint64_t *bytes, uint64_t *objects, strata_db *db, const char *tenant)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_tenant_usage: db is NULL");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_db_gcstate *st = db->gc;
    rc = strata_err__set(STRATA_ENOTFOUND, "no usage measured for tenant '%s' (run GC first)", tenant);
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->nusage; i++)
        if (strcmp(st->usage[i].tenant, tenant) == 0) {
            if (bytes) *bytes = st->usage[i].bytes;
            if (objects) *objects = st->usage[i].objects;
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&st->mu);
    if (rc == 0) strata_error_clear();
    return rc;
}

/* ---- automatic GC ------------------------------------------------------------------------------ */

static void *auto_thread(void *arg)
{
    strata_db *db = arg;
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    while (!st->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += st->auto_ms / 1000;
        ts.tv_nsec += (long)(st->auto_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&st->cond, &st->mu, &ts);
        if (st->stop) break;
        double share = st->auto_share;
        strata_gc_options o = st->auto_opt;
        pthread_mutex_unlock(&st->mu);
        strata_space_stats s = {STRATA_SPACE_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0};
        int rc = strata_db_stats(&s, db);
        if (rc == 0 && s.file_bytes && (double)s.dead_bytes >= share * (double)s.file_bytes) {
            rc = strata_db_gc(NULL, db, &o);
        } else if (rc == 0) {
            /* never measured: a first run measures (it costs a mark; later checks are free) */
            pthread_mutex_lock(&st->mu);
            int never = st->runs == 0;
            pthread_mutex_unlock(&st->mu);
            if (never) rc = strata_db_gc(NULL, db, &o);
        }
        if (rc) strata_error_clear();
        pthread_mutex_lock(&st->mu);
        st->auto_last_rc = rc;
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

static void stop_auto(strata_db *db)
{
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    int on = st->thread_on;
    st->stop = 1;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->mu);
    if (on) pthread_join(st->thread, NULL);
    pthread_mutex_lock(&st->mu);
    st->thread_on = 0;
    st->stop = 0;
    pthread_mutex_unlock(&st->mu);
}

int strata_db_auto_gc(strata_db *db, double dead_share, unsigned check_ms, const strata_gc_options *opt)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_db_auto_gc: db is NULL");
    if (db->read_only) return strata_err__set(STRATA_EINVALID, "strata_db_auto_gc: the database is open read-only");
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    if (opt) {
        if (opt->version != STRATA_GC_OPTIONS_VERSION)
            return strata_err__set(STRATA_EINVALID, "strata_db_auto_gc: unknown options version %u", opt->version);
        o = *opt;
    }
    if (dead_share > 1) return strata_err__set(STRATA_EINVALID, "strata_db_auto_gc: dead share %g > 1", dead_share);
    stop_auto(db);
    if (dead_share <= 0) return 0;
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    st->auto_share = dead_share;
    st->auto_ms = check_ms ? check_ms : 1000;
    st->auto_opt = o;
    int rc = 0;
    if (pthread_create(&st->thread, NULL, auto_thread, db) != 0)
        rc = strata_err__set(STRATA_ENOMEM, "cannot start the automatic GC thread");
    else
        st->thread_on = 1;
    pthread_mutex_unlock(&st->mu);
    return rc;
}
