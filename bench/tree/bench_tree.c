/* Benchmark of the prolly tree against LMDB and SQLite on the same workload: bulk build in
 * durable batches, random point gets, range scans, single-item durable changes, a diff of two
 * versions, and the node-size distribution. Each phase runs for the three systems back to back. Every figure is the median of --runs runs (default 3);
 * --smoke runs tiny sizes once (for CTest). Usage: bench_tree [--smoke] [--n N] [--runs R]. */
#include <ftw.h>
#include <lmdb.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "tree/tree.h"
#include "tree/tree_int.h"
#include "util/mem.h"

#define VLEN 100

typedef struct cfg {
    size_t n, batch, gets, scans, scanlen, diffn;
    int runs;
    size_t cache;
    int compress;   /* store compress_level: 0 = the store's default, < 0 = off */
} cfg;

enum { PH_BUILD, PH_GET, PH_SCAN, PH_ONE, PH_DIFF, NPH };
static const char *phase_name[NPH] = {"bulk build (items/s)", "random get (gets/s)",
                                      "range scan 1k (scans/s)", "single change (commits/s)",
                                      "diff 100 of N (diffs/s)"};

typedef struct result {
    double rate[NPH]; /* 0 = not applicable */
} result;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1DULL;
}

static int key_of(char *k, uint32_t id) { return sprintf(k, "user#%08u", id); }

/* ~100 bytes of printable pseudo-random text, a function of (id, version). */
static void val_of(char *v, uint32_t id, uint32_t ver)
{
    uint64_t x = ((uint64_t)id << 20 | ver) * 0x9E3779B97F4A7C15ULL + 1;
    static const char al[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    for (int i = 0; i < VLEN; i++) v[i] = al[rng(&x) & 63];
}

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st; (void)f; (void)w;
    return remove(p);
}

static char *mktmp(const char *tag)
{
    const char *base = getenv("STRATA_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    char *p = malloc(strlen(base) + 64);
    sprintf(p, "%s/bench_tree_%s.XXXXXX", base, tag);
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        exit(1);
    }
    return p;
}

static void rmtmp(char *p)
{
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(p);
}

#define CHECK(x) do { int rc_ = (x); if (rc_) { fprintf(stderr, "%s:%d: %s failed: %d %s\n", __FILE__, __LINE__, #x, rc_, strata_error_last()->message); exit(1); } } while (0)

/* The workload's orders: insertion order, get order, scan starts and the changed ids. */
typedef struct work {
    uint32_t *ins, *get, *scan, *chg;
} work;

static void work_make(work *w, const cfg *c)
{
    uint64_t x = 42;
    w->ins = malloc(c->n * sizeof *w->ins);
    w->get = malloc(c->gets * sizeof *w->get);
    w->scan = malloc(c->scans * sizeof *w->scan);
    w->chg = malloc(c->diffn * sizeof *w->chg);
    for (size_t i = 0; i < c->n; i++) w->ins[i] = (uint32_t)i;
    for (size_t i = c->n; i > 1; i--) {
        size_t j = rng(&x) % i;
        uint32_t t = w->ins[i - 1];
        w->ins[i - 1] = w->ins[j];
        w->ins[j] = t;
    }
    for (size_t i = 0; i < c->gets; i++) w->get[i] = (uint32_t)(rng(&x) % c->n);
    for (size_t i = 0; i < c->scans; i++) w->scan[i] = (uint32_t)(rng(&x) % c->n);
    for (size_t i = 0; i < c->diffn; i++) w->chg[i] = (uint32_t)(rng(&x) % c->n);
}

/* ---- strata --------------------------------------------------------------------------------- */

typedef struct sizes {
    uint32_t *v[2];          /* payload sizes of leaves [0] and internal nodes [1] */
    size_t n[2], cap[2];
    strata_tree_ctx *ctx;
} sizes;

static int size_cb(const strata_oid *oid, uint8_t type, void *payload)
{
    sizes *s = payload;
    if (type != 'N') return 0;
    tnode *nd;
    int rc = strata_tree__node_load(s->ctx, oid, &nd);
    if (rc) return rc;
    int k = nd->level > 0;
    if (s->n[k] == s->cap[k]) {
        s->cap[k] = s->cap[k] ? s->cap[k] * 2 : 1024;
        s->v[k] = realloc(s->v[k], s->cap[k] * sizeof *s->v[k]);
    }
    s->v[k][s->n[k]++] = (uint32_t)nd->rawlen;
    strata_tree__node_unpin(nd);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int diff_count(const void *k, size_t kl, const void *o, size_t ol, const void *n, size_t nl, void *p)
{
    (void)k; (void)kl; (void)o; (void)ol; (void)n; (void)nl;
    (*(size_t *)p)++;
    return 0;
}

/* Each system runs one phase at a time (PH_BUILD opens and builds, PH_CLOSE releases), and the
 * driver runs each phase for all three systems back to back, so that they meet the same machine
 * load (the machine is shared). */
enum { PH_CLOSE = NPH };

typedef struct strata_sys {
    char *dir;
    strata_store *st;
    strata_tree_ctx *ctx;
    strata_oid root;
    double t_apply, t_publish;
    strata_tree_stats s0, s1;
    size_t ndiff;
} strata_sys;

enum { ONE_REPS = 20, DIFF_REPS = 20 };

static void strata_phase(strata_sys *y, const cfg *c, const work *w, result *r, int ph, int report)
{
    char k[16];
    double t0;
    switch (ph) {
    case PH_BUILD: {
        y->dir = mktmp("strata");
        strata_store_options o = STRATA_STORE_OPTIONS_INIT;
        o.create = 1;
        o.durability = STRATA_DURABILITY_FULL;
        o.compress_level = c->compress;
        CHECK(strata_store__open(&y->st, y->dir, &o));
        CHECK(strata_tree__ctx_new(&y->ctx, y->st, c->cache));
        CHECK(strata_tree__empty(y->ctx, &y->root));
        strata_tree_edit *ed = calloc(c->batch, sizeof *ed);
        char (*kb)[16] = malloc(c->batch * sizeof *kb);
        char (*vb)[VLEN] = malloc(c->batch * sizeof *vb);
        t0 = now();
        for (size_t b = 0; b < c->n; b += c->batch) {
            size_t nb = c->n - b < c->batch ? c->n - b : c->batch;
            for (size_t i = 0; i < nb; i++) {
                uint32_t id = w->ins[b + i];
                ed[i].key = kb[i];
                ed[i].klen = (size_t)key_of(kb[i], id);
                val_of(vb[i], id, 0);
                ed[i].val = vb[i];
                ed[i].vlen = VLEN;
                ed[i].del = 0;
            }
            strata_oid next;
            double ta = now();
            CHECK(strata_tree__apply(y->ctx, &y->root, ed, nb, &next));
            double tp = now();
            CHECK(strata_store__publish(y->st, "bench", &next));
            y->t_apply += tp - ta;
            y->t_publish += now() - tp;
            y->root = next;
        }
        r->rate[PH_BUILD] = c->n / (now() - t0);
        free(ed);
        free(kb);
        free(vb);
        break;
    }
    case PH_GET: {
        size_t found = 0;
        t0 = now();
        for (size_t i = 0; i < c->gets; i++) {
            strata_tree_value v;
            int kl = key_of(k, w->get[i]);
            if (strata_tree__get(y->ctx, &y->root, k, (size_t)kl, &v) == 0) {
                found += v.len == VLEN;
                strata_tree__value_release(y->ctx, &v);
            }
        }
        r->rate[PH_GET] = c->gets / (now() - t0);
        if (found != c->gets) { fprintf(stderr, "strata: %zu of %zu gets found\n", found, c->gets); exit(1); }
        break;
    }
    case PH_SCAN: {
        strata_tree_cursor *cur;
        CHECK(strata_tree__cursor_open(&cur, y->ctx, &y->root));
        size_t bytes = 0;
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            int kl = key_of(k, w->scan[s]);
            int rc = strata_tree__cursor_seek(cur, k, (size_t)kl);
            for (size_t i = 0; i < c->scanlen && rc == 0; i++, rc = strata_tree__cursor_next(cur)) {
                const void *kp, *vp;
                size_t klen, vlen;
                strata_tree__cursor_key(cur, &kp, &klen);
                CHECK(strata_tree__cursor_value(cur, &vp, &vlen));
                bytes += klen + vlen;
            }
        }
        r->rate[PH_SCAN] = c->scans / (now() - t0);
        strata_tree__cursor_free(cur);
        break;
    }
    case PH_ONE: /* single-item changes, each published durably */
        strata_tree__stats(y->ctx, &y->s0);
        t0 = now();
        for (int i = 0; i < ONE_REPS; i++) {
            key_of(k, w->chg[i % c->diffn]);
            char nv[VLEN];
            val_of(nv, w->chg[i % c->diffn], 1 + (uint32_t)i);
            strata_tree_edit one = {k, strlen(k), nv, VLEN, 0};
            strata_oid r1;
            CHECK(strata_tree__apply(y->ctx, &y->root, &one, 1, &r1));
            CHECK(strata_store__publish(y->st, "bench", &r1));
            y->root = r1;
        }
        r->rate[PH_ONE] = ONE_REPS / (now() - t0);
        strata_tree__stats(y->ctx, &y->s1);
        break;
    case PH_DIFF: { /* two versions differing in diffn items */
        strata_tree_edit *ed = calloc(c->diffn, sizeof *ed);
        char (*kb)[16] = malloc(c->diffn * sizeof *kb);
        char (*vb)[VLEN] = malloc(c->diffn * sizeof *vb);
        for (size_t i = 0; i < c->diffn; i++) {
            ed[i].key = kb[i];
            ed[i].klen = (size_t)key_of(kb[i], w->chg[i]);
            val_of(vb[i], w->chg[i], 1000);
            ed[i].val = vb[i];
            ed[i].vlen = VLEN;
        }
        strata_oid r2;
        CHECK(strata_tree__apply(y->ctx, &y->root, ed, c->diffn, &r2));
        t0 = now();
        for (int i = 0; i < DIFF_REPS; i++) {
            y->ndiff = 0;
            CHECK(strata_tree__diff(y->ctx, &y->root, &r2, diff_count, &y->ndiff));
        }
        r->rate[PH_DIFF] = DIFF_REPS / (now() - t0);
        free(ed);
        free(kb);
        free(vb);
        break;
    }
    case PH_CLOSE:
        if (report) {
            sizes sz = {0};
            sz.ctx = y->ctx;
            CHECK(strata_tree__walk(y->ctx, &y->root, size_cb, &sz));
            tnode *rn;
            CHECK(strata_tree__node_load(y->ctx, &y->root, &rn));
            strata_tree_stats fs;
            strata_tree__stats(y->ctx, &fs);
            printf("strata tree: %zu items, height %d, %zu leaves, %zu internal nodes\n", c->n,
                   rn->level + 1, sz.n[0], sz.n[1]);
            printf("strata build: %.1f s in apply, %.1f s in publish (sync); %.1f MiB of nodes written\n",
                   y->t_apply, y->t_publish, y->s0.node_bytes_written / 1048576.0);
            for (int k2 = 0; k2 < 2; k2++) {
                if (!sz.n[k2]) continue;
                qsort(sz.v[k2], sz.n[k2], sizeof *sz.v[k2], cmp_u32);
                printf("  %s bytes: min %u / median %u / max %u\n", k2 ? "internal node" : "leaf",
                       sz.v[k2][0], sz.v[k2][sz.n[k2] / 2], sz.v[k2][sz.n[k2] - 1]);
            }
            printf("strata single change: %.1f nodes, %.0f bytes written per change (%d changes); "
                   "diff found %zu changes (%zu made)\n",
                   (double)(y->s1.nodes_written - y->s0.nodes_written) / ONE_REPS,
                   (double)(y->s1.node_bytes_written - y->s0.node_bytes_written) / ONE_REPS, ONE_REPS,
                   y->ndiff, c->diffn);
            printf("strata cache: %.0f MiB budget, %.0f MiB held, %llu hits, %llu misses; store zstd level %d\n",
                   c->cache / 1048576.0, fs.cached_bytes / 1048576.0, (unsigned long long)fs.hits,
                   (unsigned long long)fs.misses, c->compress);
            strata_tree__node_unpin(rn);
            free(sz.v[0]);
            free(sz.v[1]);
        }
        strata_tree__ctx_free(y->ctx);
        strata_store__close(y->st);
        rmtmp(y->dir);
        memset(y, 0, sizeof *y);
        break;
    }
}

/* ---- SQLite ---------------------------------------------------------------------------------- */

#define SQ(x) do { if ((x) != SQLITE_OK) { fprintf(stderr, "sqlite: %s: %s\n", #x, sqlite3_errmsg(q->db)); exit(1); } } while (0)

typedef struct sqlite_sys {
    char *dir;
    sqlite3 *db;
    sqlite3_stmt *ins, *get, *scan;
} sqlite_sys;

static void sqlite_phase(sqlite_sys *q, const cfg *c, const work *w, result *r, int ph)
{
    char k[16], v[VLEN];
    double t0;
    switch (ph) {
    case PH_BUILD: {
        q->dir = mktmp("sqlite");
        char path[512];
        snprintf(path, sizeof path, "%s/db.sqlite", q->dir);
        SQ(sqlite3_open(path, &q->db));
        SQ(sqlite3_exec(q->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                               "CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;", NULL, NULL, NULL));
        SQ(sqlite3_prepare_v2(q->db, "INSERT OR REPLACE INTO t(k, v) VALUES(?1, ?2)", -1, &q->ins, NULL));
        SQ(sqlite3_prepare_v2(q->db, "SELECT v FROM t WHERE k = ?1", -1, &q->get, NULL));
        SQ(sqlite3_prepare_v2(q->db, "SELECT k, v FROM t WHERE k >= ?1 ORDER BY k LIMIT ?2", -1, &q->scan, NULL));
        t0 = now();
        for (size_t b = 0; b < c->n; b += c->batch) {
            size_t nb = c->n - b < c->batch ? c->n - b : c->batch;
            SQ(sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL));
            for (size_t i = 0; i < nb; i++) {
                uint32_t id = w->ins[b + i];
                int kl = key_of(k, id);
                val_of(v, id, 0);
                sqlite3_bind_text(q->ins, 1, k, kl, SQLITE_STATIC);
                sqlite3_bind_text(q->ins, 2, v, VLEN, SQLITE_STATIC);
                if (sqlite3_step(q->ins) != SQLITE_DONE) { fprintf(stderr, "sqlite insert failed\n"); exit(1); }
                sqlite3_reset(q->ins);
            }
            SQ(sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL));
        }
        r->rate[PH_BUILD] = c->n / (now() - t0);
        break;
    }
    case PH_GET: { /* inside one read transaction: a snapshot, like a strata root */
        size_t found = 0;
        SQ(sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL));
        t0 = now();
        for (size_t i = 0; i < c->gets; i++) {
            int kl = key_of(k, w->get[i]);
            sqlite3_bind_text(q->get, 1, k, kl, SQLITE_STATIC);
            if (sqlite3_step(q->get) == SQLITE_ROW) found += sqlite3_column_bytes(q->get, 0) == VLEN;
            sqlite3_reset(q->get);
        }
        r->rate[PH_GET] = c->gets / (now() - t0);
        SQ(sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL));
        if (found != c->gets) { fprintf(stderr, "sqlite: %zu of %zu gets found\n", found, c->gets); exit(1); }
        break;
    }
    case PH_SCAN: {
        size_t bytes = 0;
        SQ(sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL));
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            int kl = key_of(k, w->scan[s]);
            sqlite3_bind_text(q->scan, 1, k, kl, SQLITE_STATIC);
            sqlite3_bind_int(q->scan, 2, (int)c->scanlen);
            while (sqlite3_step(q->scan) == SQLITE_ROW) {
                (void)sqlite3_column_text(q->scan, 0);
                (void)sqlite3_column_text(q->scan, 1);
                bytes += (size_t)sqlite3_column_bytes(q->scan, 0) + (size_t)sqlite3_column_bytes(q->scan, 1);
            }
            sqlite3_reset(q->scan);
        }
        r->rate[PH_SCAN] = c->scans / (now() - t0);
        SQ(sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL));
        break;
    }
    case PH_ONE:
        t0 = now();
        for (int i = 0; i < ONE_REPS; i++) {
            int kl = key_of(k, w->chg[i % c->diffn]);
            val_of(v, w->chg[i % c->diffn], 1 + (uint32_t)i);
            SQ(sqlite3_exec(q->db, "BEGIN", NULL, NULL, NULL));
            sqlite3_bind_text(q->ins, 1, k, kl, SQLITE_STATIC);
            sqlite3_bind_text(q->ins, 2, v, VLEN, SQLITE_STATIC);
            if (sqlite3_step(q->ins) != SQLITE_DONE) exit(1);
            sqlite3_reset(q->ins);
            SQ(sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL));
        }
        r->rate[PH_ONE] = ONE_REPS / (now() - t0);
        break;
    case PH_DIFF:
        r->rate[PH_DIFF] = 0; /* no native diff */
        break;
    case PH_CLOSE:
        sqlite3_finalize(q->ins);
        sqlite3_finalize(q->get);
        sqlite3_finalize(q->scan);
        sqlite3_close(q->db);
        rmtmp(q->dir);
        memset(q, 0, sizeof *q);
        break;
    }
}

/* ---- LMDB ------------------------------------------------------------------------------------ */

#define MD(x) do { int rc_ = (x); if (rc_) { fprintf(stderr, "lmdb: %s: %s\n", #x, mdb_strerror(rc_)); exit(1); } } while (0)

typedef struct lmdb_sys {
    char *dir;
    MDB_env *env;
    MDB_dbi dbi;
} lmdb_sys;

static void lmdb_phase(lmdb_sys *l, const cfg *c, const work *w, result *r, int ph)
{
    char k[16], v[VLEN];
    double t0;
    MDB_txn *txn;
    switch (ph) {
    case PH_BUILD:
        l->dir = mktmp("lmdb");
        MD(mdb_env_create(&l->env));
        MD(mdb_env_set_mapsize(l->env, (size_t)8 << 30));
        MD(mdb_env_open(l->env, l->dir, 0, 0644));
        MD(mdb_txn_begin(l->env, NULL, 0, &txn));
        MD(mdb_dbi_open(txn, NULL, 0, &l->dbi));
        MD(mdb_txn_commit(txn));
        t0 = now();
        for (size_t b = 0; b < c->n; b += c->batch) {
            size_t nb = c->n - b < c->batch ? c->n - b : c->batch;
            MD(mdb_txn_begin(l->env, NULL, 0, &txn));
            for (size_t i = 0; i < nb; i++) {
                uint32_t id = w->ins[b + i];
                MDB_val mk = {(size_t)key_of(k, id), k}, mv = {VLEN, v};
                val_of(v, id, 0);
                MD(mdb_put(txn, l->dbi, &mk, &mv, 0));
            }
            MD(mdb_txn_commit(txn));
        }
        r->rate[PH_BUILD] = c->n / (now() - t0);
        break;
    case PH_GET: {
        MD(mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn));
        size_t found = 0;
        t0 = now();
        for (size_t i = 0; i < c->gets; i++) {
            MDB_val mk = {(size_t)key_of(k, w->get[i]), k}, mv;
            if (mdb_get(txn, l->dbi, &mk, &mv) == 0) found += mv.mv_size == VLEN;
        }
        r->rate[PH_GET] = c->gets / (now() - t0);
        mdb_txn_abort(txn);
        if (found != c->gets) { fprintf(stderr, "lmdb: %zu of %zu gets found\n", found, c->gets); exit(1); }
        break;
    }
    case PH_SCAN: {
        MD(mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn));
        MDB_cursor *cur;
        MD(mdb_cursor_open(txn, l->dbi, &cur));
        size_t bytes = 0;
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            MDB_val mk = {(size_t)key_of(k, w->scan[s]), k}, mv;
            int rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
            for (size_t i = 0; i < c->scanlen && rc == 0; i++, rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT))
                bytes += mk.mv_size + mv.mv_size;
        }
        r->rate[PH_SCAN] = c->scans / (now() - t0);
        mdb_cursor_close(cur);
        mdb_txn_abort(txn);
        break;
    }
    case PH_ONE:
        t0 = now();
        for (int i = 0; i < ONE_REPS; i++) {
            MD(mdb_txn_begin(l->env, NULL, 0, &txn));
            MDB_val mk = {(size_t)key_of(k, w->chg[i % c->diffn]), k}, mv = {VLEN, v};
            val_of(v, w->chg[i % c->diffn], 1 + (uint32_t)i);
            MD(mdb_put(txn, l->dbi, &mk, &mv, 0));
            MD(mdb_txn_commit(txn));
        }
        r->rate[PH_ONE] = ONE_REPS / (now() - t0);
        break;
    case PH_DIFF:
        r->rate[PH_DIFF] = 0;
        break;
    case PH_CLOSE:
        mdb_env_close(l->env);
        rmtmp(l->dir);
        memset(l, 0, sizeof *l);
        break;
    }
}

/* ---- driver ---------------------------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(result *rs, int runs, int ph)
{
    double v[16];
    for (int i = 0; i < runs; i++) v[i] = rs[i].rate[ph];
    qsort(v, (size_t)runs, sizeof *v, cmp_d);
    return v[runs / 2];
}

int main(int argc, char **argv)
{
    cfg c = {1000000, 1000, 1000000, 100, 1000, 100, 3, (size_t)1 << 30, -1};
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) {
            c.n = 3000; c.batch = 100; c.gets = 3000; c.scans = 10; c.scanlen = 100; c.diffn = 10; c.runs = 1;
        } else if (!strcmp(argv[i], "--n") && i + 1 < argc) {
            c.n = c.gets = strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--compress") && i + 1 < argc) {
            c.compress = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            only = argv[++i];
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            c.runs = atoi(argv[++i]);
            if (c.runs < 1 || c.runs > 15) c.runs = 3;
        } else {
            fprintf(stderr, "usage: %s [--smoke] [--n N] [--runs R] [--only strata|sqlite|lmdb] [--compress L]\n", argv[0]);
            return 2;
        }
    }
    if (c.diffn > c.n) c.diffn = c.n;
    work w;
    work_make(&w, &c);
    result rs[3][16];
    memset(rs, 0, sizeof rs);
    int on[3] = {!only || !strcmp(only, "strata"), !only || !strcmp(only, "sqlite"), !only || !strcmp(only, "lmdb")};
    for (int run = 0; run < c.runs; run++) {
        strata_sys y = {0};
        sqlite_sys q = {0};
        lmdb_sys l = {0};
        for (int ph = 0; ph <= PH_CLOSE; ph++) {
            if (on[0]) strata_phase(&y, &c, &w, &rs[0][run], ph, run == 0);
            if (on[1]) sqlite_phase(&q, &c, &w, &rs[1][run], ph);
            if (on[2]) lmdb_phase(&l, &c, &w, &rs[2][run], ph);
        }
        fprintf(stderr, "run %d done\n", run + 1);
    }
    printf("\n%zu items (user#%%08d keys, %d-byte values), batches of %zu, median of %d run(s)\n", c.n,
           VLEN, c.batch, c.runs);
    printf("%-28s %14s %14s %14s %10s %10s\n", "phase", "strata", "sqlite", "lmdb", "vs sqlite",
           "vs lmdb");
    for (int ph = 0; ph < NPH; ph++) {
        double s = median(rs[0], c.runs, ph), q = median(rs[1], c.runs, ph), l = median(rs[2], c.runs, ph);
        printf("%-28s %14.0f", phase_name[ph], s);
        if (q > 0 && l > 0) printf(" %14.0f %14.0f %9.2fx %9.2fx\n", q, l, s / q, s / l);
        else if (q > 0 || l > 0) printf(" %14.0f %14.0f\n", q, l);
        else printf(" %14s %14s %10s %10s\n", "n/a", "n/a", "-", "-");
    }
    printf("(rates per second; ratios are strata's rate over the peer's: > 1 means strata is faster)\n");
    free(w.ins);
    free(w.get);
    free(w.scan);
    free(w.chg);
    return 0;
}
