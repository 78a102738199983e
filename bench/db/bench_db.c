/* Benchmark of strata's public API (include/strata.h) against SQLite (WAL) and LMDB on the same
 * data, the same batches and the same durability — issue 8, workloads W1–W8 (docs/benchmarks.md):
 *   W1  bulk load N records in batches of 1,000 (durable)   W2  N random point reads
 *   W3  100 range scans of 1,000 consecutive records        W3a the same from the first key
 *   W4  single durable commits for T s                      W4b the same from 8 threads
 *   W5  single commits with sync off for T s                W6  size on disk after W1
 *   W7  filter scan `age > 40` over the N records           W8  strata only: history, reads at an
 *       old commit, diff of two versions, put cost in an entry of 1k vs N records.
 * strata keeps the N documents twice: in a keyed-records entry (strata_records_put_many / strata_records_get /
 * strata_records_range: W1–W6, W8) and in a table keyed by the same strings (W1t, W3t, W7),
 * because only tables have a scan with a filter expression.
 * Every figure is the median of --runs runs (engines interleaved inside each run). Sync calls
 * (fdatasync/fsync) are counted by wrapping them in this program: the peers' shared libraries
 * and strata's vfs all resolve them here.
 * Usage: bench_db [--smoke] [--n N] [--secs T] [--runs K] [--threads W] [--only LIST]
 *                 [--engine strata|sqlite|lmdb] [--dir D] [--scans S]
 * (LIST: e.g. 2,3,7 — W1/W6 always run; --scans changes W3's 100 scans, for profiling) */
#include <errno.h>
#include <ftw.h>
#include <lmdb.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"

/* ---- configuration and results ------------------------------------------------------------ */

typedef struct cfg {
    size_t n;          /* records loaded by W1 */
    size_t batch;      /* records per W1 commit */
    size_t reads;      /* W2 point reads */
    size_t scans;      /* W3 range scans */
    size_t scanlen;    /* records per range scan */
    double secs;       /* duration of each of W4, W4b, W5 */
    int runs;          /* runs; every figure is the median */
    int threads;       /* W4b writer threads */
    size_t w8_puts;    /* W8 single puts per entry (>= 2 * w8_apart) */
    size_t w8_apart;   /* W8 diff: versions this many commits apart */
    size_t w8_reads;   /* W8 reads at an old commit */
    unsigned only;     /* bit i: run workload row i */
    unsigned engines;  /* bit e: run engine e */
    const char *dir;   /* where the databases live */
} cfg;

enum { E_STRATA, E_SQLITE, E_LMDB, NENG };
static const char *eng_name[NENG] = {"strata", "SQLite", "LMDB"};

/* One row of the result tables. Rates are operations per second (W6: bytes). */
enum {
    R_W1, R_W1T, R_W2, R_W3, R_W3T, R_W3A, R_W4, R_W4B, R_W5, R_W6, R_W6T, R_W7, R_W7J,
    R_W8_HIST, R_W8_OLDGET, R_W8_DIFF, R_W8_LOADOLD, R_W8_PUT1K, R_W8_PUTN, NROW
};
static const struct {
    const char *id, *what, *op;
} row_info[NROW] = {
    {"W1", "bulk load, batches of 1,000, durable (strata: records)", "record"},
    {"W1t", "the same into a strata table (peers: W1 again)", "record"},
    {"W2", "random point reads", "read"},
    {"W3", "range scan of 1,000 from a random key (strata: strata_records_range)", "scan"},
    {"W3t", "the same, strata: table scan from start_key (peers: W3 again)", "scan"},
    {"W3a", "range scan of 1,000 from the first key (strata: records)", "scan"},
    {"W4", "single-record durable commits, 1 thread", "commit"},
    {"W4b", "single-record durable commits, threads", "commit"},
    {"W5", "single-record commits, sync off", "commit"},
    {"W6", "size on disk after W1 (MiB)", "-"},
    {"W6t", "size on disk of W1t's table (peers: W6 again)", "-"},
    {"W7", "filter scan age > 40 (strata: table strata_table_scan with filter)", "record"},
    {"W7j", "the same over the records entry via strata_value_to_json", "record"},
    {"W8", "history: walk 1,000 commits", "commit"},
    {"W8", "get at a commit 1,000 back", "read"},
    {"W8", "diff of two versions 100 commits apart", "diff"},
    {"W8", "load a document at an old digest", "load"},
    {"W8", "single put into an entry of 1,000 (sync off)", "put"},
    {"W8", "single put into an entry of N (sync off)", "put"},
};

typedef struct result {
    double floor;       /* appends of 300 bytes + fdatasync per second in this run's directory */
    double rate[NROW];  /* ops/s (W6: bytes on disk); 0 = not measured */
    double syncs[NROW]; /* sync calls per commit; < 0 = not measured */
    double wbytes[NROW]; /* bytes handed to write/pwrite per commit (/proc/self/io wchar) */
    uint64_t matches;   /* W7: records with age > 40 */
    double parse_us;    /* strata: µs to parse one document's JSON */
} result;

static void result_init(result *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < NROW; i++) r->syncs[i] = -1;
}

/* ---- counting syncs ------------------------------------------------------------------------- */

/* Every fdatasync/fsync of the process passes through here: strata's vfs calls them directly,
 * and libsqlite3/liblmdb resolve them to the executable's definitions. LMDB writes its meta page
 * through an O_DSYNC descriptor, so that second sync point of its commits is not a call. */
static atomic_ulong sync_calls;

int fdatasync(int fd)
{
    atomic_fetch_add(&sync_calls, 1);
    return (int)syscall(SYS_fdatasync, fd);
}

int fsync(int fd)
{
    atomic_fetch_add(&sync_calls, 1);
    return (int)syscall(SYS_fsync, fd);
}

static unsigned long syncs_now(void) { return atomic_load(&sync_calls); }

/* Bytes this process has passed to write-like system calls so far (/proc/self/io "wchar");
 * 0 when the file cannot be read. */
static unsigned long long wchar_now(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    unsigned long long v = 0;
    char line[128];
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "wchar: %llu", &v) == 1) break;
    fclose(f);
    return v;
}

/* ---- small helpers ---------------------------------------------------------------------------- */

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

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#define KEYMAX 16
#define DOCMAX 192

static int key_of(char *k, uint32_t id) { return snprintf(k, KEYMAX, "user#%08u", id); }

/* The age of record `id` (18–80): a function of the id only, so W7's answer does not depend on
 * the updates of W4/W5 and must be the same for every engine. */
static int age_of(uint32_t id) { return 18 + (int)(mix(id) % 63); }

/* Write the ~100-byte JSON document of record `id` at version `ver` into out (DOCMAX bytes). */
static int doc_of(char *out, uint32_t id, uint32_t ver)
{
    static const char *const city[16] = {"Lisbon", "Oslo", "Kyoto", "Lagos", "Lima", "Quito",
                                         "Porto", "Turin", "Dakar", "Perth", "Cusco", "Accra",
                                         "Bern", "Cork", "Riga", "Tunis"};
    uint64_t h = mix((uint64_t)id << 24 ^ ver ^ 0x5bd1e995);
    return snprintf(out, DOCMAX,
                    "{\"name\":\"user %u\",\"age\":%d,\"city\":\"%s\",\"email\":\"user%u@example.com\","
                    "\"score\":%u,\"active\":%s}",
                    id, age_of(id), city[h & 15], id, (unsigned)(h >> 8) % 1000,
                    (h >> 40) & 1 ? "true" : "false");
}

/* The table item of record `id`: its document with the key attribute "k" added. */
static int item_of(char *out, uint32_t id, uint32_t ver)
{
    char d[DOCMAX];
    doc_of(d, id, ver);
    return snprintf(out, DOCMAX + 32, "{\"k\":\"user#%08u\",%s", id, d + 1);
}

#define DIE(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
#define CHECK(x) do { int rc_ = (x); if (rc_ < 0) DIE("%s:%d: %s: %d %s", __FILE__, __LINE__, #x, rc_, strata_error_last()->message); } while (0)

static uint64_t du_bytes;
static int du_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)p; (void)w;
    if (f == FTW_F) du_bytes += (uint64_t)st->st_blocks * 512;
    return 0;
}

/* Bytes allocated on disk by the files under `dir` (what du reports). */
static uint64_t dir_bytes(const char *dir)
{
    du_bytes = 0;
    nftw(dir, du_one, 16, FTW_PHYS);
    return du_bytes;
}

static int rm_one(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st; (void)f; (void)w;
    return remove(p);
}

static char *mktmp(const cfg *c, const char *tag)
{
    char *p = malloc(strlen(c->dir) + 64);
    if (!p) DIE("out of memory");
    sprintf(p, "%s/bench_db_%s.XXXXXX", c->dir, tag);
    if (!mkdtemp(p)) DIE("mkdtemp %s: %s", p, strerror(errno));
    return p;
}

static void rmtmp(char *p)
{
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(p);
}

/* Parse the integer after "age": in a JSON text of len bytes (the documents written here have
 * exactly this shape). -1 when absent. */
static int json_age(const char *s, size_t len)
{
    const char *p = memmem(s, len, "\"age\":", 6);
    if (!p) return -1;
    p += 6;
    int v = 0;
    while (p < s + len && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
    return v;
}

/* ---- the workload: the same ids, orders and starts for every engine ----------------------- */

typedef struct work {
    uint32_t *ins;   /* W1 insertion order: a permutation of 0..n-1 (seed 42) */
    uint32_t *get;   /* W2 ids */
    uint32_t *scan;  /* W3 start ids */
    uint64_t expect; /* W7: ids with age > 40 */
} work;

static void work_make(work *w, const cfg *c)
{
    uint64_t x = 42;
    w->ins = malloc(c->n * sizeof *w->ins);
    w->get = malloc(c->reads * sizeof *w->get);
    w->scan = malloc(c->scans * sizeof *w->scan);
    if (!w->ins || !w->get || !w->scan) DIE("out of memory");
    for (size_t i = 0; i < c->n; i++) w->ins[i] = (uint32_t)i;
    for (size_t i = c->n; i > 1; i--) {
        size_t j = rng(&x) % i;
        uint32_t t = w->ins[i - 1];
        w->ins[i - 1] = w->ins[j];
        w->ins[j] = t;
    }
    for (size_t i = 0; i < c->reads; i++) w->get[i] = (uint32_t)(rng(&x) % c->n);
    size_t span = c->n > c->scanlen ? c->n - c->scanlen : 1;
    for (size_t i = 0; i < c->scans; i++) w->scan[i] = (uint32_t)(rng(&x) % span);
    w->expect = 0;
    for (size_t i = 0; i < c->n; i++) w->expect += age_of((uint32_t)i) > 40;
}

static int want(const cfg *c, int row) { return (c->only >> row) & 1u; }

/* A timed single-commit loop's shared state (W4, W4b, W5). */
typedef struct writer {
    const cfg *c;
    double deadline;
    uint64_t seed;
    uint64_t commits;
    uint64_t busy;   /* SQLite: commits that failed with SQLITE_BUSY despite the timeout */
    void *handle;    /* engine handle: strata_db*, MDB_env*, or a path for SQLite */
    void *dbi;       /* LMDB: MDB_dbi* */
} writer;

/* Run fn on `threads` writers until the deadline; return the total commits per second and set
 * *syncs_per to the sync calls per commit. */
static double run_writers(const cfg *c, void *(*fn)(void *), void *handle, void *dbi, int threads,
                          uint64_t seed, double *syncs_per, double *bytes_per, uint64_t *busy)
{
    unsigned long long w0 = wchar_now();
    writer w[64];
    pthread_t th[64];
    if (threads > 64) threads = 64;
    unsigned long s0 = syncs_now();
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        w[i] = (writer){c, t0 + c->secs, seed * 1000003u + (uint64_t)i * 7919u + 1, 0, 0, handle, dbi};
        if (threads == 1) fn(&w[i]);
        else if (pthread_create(&th[i], NULL, fn, &w[i])) DIE("pthread_create failed");
    }
    uint64_t total = 0, b = 0;
    for (int i = 0; i < threads; i++) {
        if (threads > 1) pthread_join(th[i], NULL);
        total += w[i].commits;
        b += w[i].busy;
    }
    double dt = now() - t0;
    *syncs_per = total ? (double)(syncs_now() - s0) / (double)total : 0;
    *bytes_per = total ? (double)(wchar_now() - w0) / (double)total : 0;
    if (busy) *busy += b;
    return total / dt;
}

/* ---- strata ------------------------------------------------------------------------------------ */

#define TENANT "bench"
#define ENTRY "users"
#define TABLE "users_t"

static strata_db *strata_open_dir(const char *dir, strata_durability d)
{
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.durability = d;
    strata_db *db;
    CHECK(strata_db_open(&db, dir, &o));
    return db;
}

static strata_value *strata_doc(uint32_t id, uint32_t ver)
{
    char d[DOCMAX];
    int len = doc_of(d, id, ver);
    strata_value *v;
    CHECK(strata_value_from_json(&v, d, (size_t)len, 0));
    return v;
}

/* One writer of W4/W4b/W5: strata_records_put of a new version of a random existing record. */
static void *strata_writer(void *arg)
{
    writer *w = arg;
    strata_db *db = w->handle;
    char k[KEYMAX];
    uint32_t ver = 1;
    while (now() < w->deadline) {
        uint32_t id = (uint32_t)(rng(&w->seed) % w->c->n);
        key_of(k, id);
        strata_value *v = strata_doc(id, ver++ + (uint32_t)(w->seed & 0xffff) * 65536u);
        CHECK(strata_records_put(NULL, db, TENANT, ENTRY, k, v, NULL));
        strata_value_free(v);
        w->commits++;
    }
    return NULL;
}

/* Read up to `len` records from a positioned iterator (the current one included); returns the
 * count and adds the bytes touched to *bytes. */
static size_t strata_take(strata_iter *it, size_t len, size_t *bytes)
{
    size_t got = 0;
    int rc = 0;
    while (got < len && rc == 0) {
        strata_slice k = strata_iter_key(it);
        strata_slice v = strata_value_bytes(strata_iter_value(it));
        *bytes += k.len + v.len;
        got++;
        if (got < len) rc = strata_iter_next(it);
    }
    CHECK(rc == STRATA_ITEROVER ? 0 : rc);
    return got;
}

static void run_strata_w8(const cfg *c, const work *w, strata_db *db, result *r);

static void run_strata(const cfg *c, const work *w, result *r)
{
    char *dir = mktmp(c, "strata");
    strata_db *db = strata_open_dir(dir, STRATA_DURABILITY_FULL);
    CHECK(strata_tenant_init(db, TENANT, NULL));
    char (*kb)[KEYMAX] = malloc(c->batch * sizeof *kb);
    const char **keys = malloc(c->batch * sizeof *keys);
    strata_value **vals = malloc(c->batch * sizeof *vals);
    if (!kb || !keys || !vals) DIE("out of memory");

    /* W1 */
    unsigned long s0 = syncs_now();
    unsigned long long w0 = wchar_now();
    size_t commits = 0;
    double t0 = now();
    for (size_t b = 0; b < c->n; b += c->batch) {
        size_t nb = c->n - b < c->batch ? c->n - b : c->batch;
        for (size_t i = 0; i < nb; i++) {
            key_of(kb[i], w->ins[b + i]);
            keys[i] = kb[i];
            vals[i] = strata_doc(w->ins[b + i], 0);
        }
        CHECK(strata_records_put_many(NULL, db, TENANT, ENTRY, keys, (const strata_value *const *)vals, nb, NULL));
        for (size_t i = 0; i < nb; i++) strata_value_free(vals[i]);
        commits++;
    }
    r->rate[R_W1] = c->n / (now() - t0);
    r->syncs[R_W1] = (double)(syncs_now() - s0) / (double)commits;
    r->wbytes[R_W1] = (double)(wchar_now() - w0) / (double)commits;

    /* the share of W1 (and of every write) that is JSON parsing */
    size_t np = c->n < 200000 ? c->n : 200000;
    t0 = now();
    for (size_t i = 0; i < np; i++) strata_value_free(strata_doc(w->ins[i], 0));
    r->parse_us = (now() - t0) * 1e6 / (double)np;

    /* W6: at rest, after a clean close */
    strata_db_close(db);
    r->rate[R_W6] = (double)dir_bytes(dir);
    db = strata_open_dir(dir, STRATA_DURABILITY_FULL);

    /* W1t: the same documents, order and batches into a table keyed by "k" */
    if (want(c, R_W1T)) {
        strata_table_schema schema = STRATA_TABLE_SCHEMA_INIT;
        schema.pk = "k";
        CHECK(strata_table_create(NULL, db, TENANT, TABLE, &schema, NULL));
        s0 = syncs_now();
        w0 = wchar_now();
        commits = 0;
        t0 = now();
        for (size_t b = 0; b < c->n; b += c->batch) {
            size_t nb = c->n - b < c->batch ? c->n - b : c->batch;
            strata_txn *txn;
            CHECK(strata_txn_begin(&txn, db, TENANT, NULL));
            for (size_t i = 0; i < nb; i++) {
                char it[DOCMAX + 32];
                int len = item_of(it, w->ins[b + i], 0);
                strata_value *v;
                CHECK(strata_value_from_json(&v, it, (size_t)len, 0));
                CHECK(strata_txn_put_item(txn, TABLE, v));
                strata_value_free(v);
            }
            CHECK(strata_txn_commit(NULL, txn));
            commits++;
        }
        r->rate[R_W1T] = c->n / (now() - t0);
        r->syncs[R_W1T] = (double)(syncs_now() - s0) / (double)commits;
        r->wbytes[R_W1T] = (double)(wchar_now() - w0) / (double)commits;
        strata_db_close(db);
        r->rate[R_W6T] = (double)dir_bytes(dir) - r->rate[R_W6];
        db = strata_open_dir(dir, STRATA_DURABILITY_FULL);
    }

    char k[KEYMAX];
    if (want(c, R_W2)) {
        size_t found = 0;
        t0 = now();
        for (size_t i = 0; i < c->reads; i++) {
            key_of(k, w->get[i]);
            strata_value *v;
            CHECK(strata_records_get(&v, db, TENANT, ENTRY, k, NULL));
            found += strata_value_bytes(v).len > 0;
            strata_value_free(v);
        }
        r->rate[R_W2] = c->reads / (now() - t0);
        if (found != c->reads) DIE("strata: %zu of %zu reads found", found, c->reads);
    }

    size_t bytes = 0;
    if (want(c, R_W3)) {
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            key_of(k, w->scan[s]);
            strata_iter *it;
            CHECK(strata_records_range(&it, db, TENANT, ENTRY, k, NULL, NULL));
            CHECK(strata_iter_next(it));
            strata_slice first = strata_iter_key(it);
            if (first.len != strlen(k) || memcmp(first.data, k, first.len))
                DIE("strata: range scan from %s started at %.*s", k, (int)first.len, (const char *)first.data);
            size_t got = strata_take(it, c->scanlen, &bytes);
            strata_iter_free(it);
            if (got != c->scanlen) DIE("strata: range scan returned %zu", got);
        }
        r->rate[R_W3] = c->scans / (now() - t0);
    }
    if (want(c, R_W3T) && want(c, R_W1T)) {
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            /* start_key is exclusive (a LastEvaluatedKey): start after the record before */
            strata_value *sk = NULL;
            if (w->scan[s] > 0) {
                char js[64];
                int jl = snprintf(js, sizeof js, "{\"k\":\"user#%08u\"}", w->scan[s] - 1);
                CHECK(strata_value_from_json(&sk, js, (size_t)jl, 0));
            }
            strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
            q.limit = c->scanlen;
            q.start_key = sk;
            strata_iter *it;
            CHECK(strata_table_scan(&it, db, TENANT, TABLE, &q, NULL));
            CHECK(strata_iter_next(it));
            size_t got = strata_take(it, c->scanlen, &bytes);
            strata_iter_free(it);
            strata_value_free(sk);
            if (got != c->scanlen) DIE("strata: table scan returned %zu", got);
        }
        r->rate[R_W3T] = c->scans / (now() - t0);
    }
    if (want(c, R_W3A)) {
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            strata_iter *it;
            CHECK(strata_records_list(&it, db, TENANT, ENTRY, NULL));
            CHECK(strata_iter_next(it));
            strata_take(it, c->scanlen, &bytes);
            strata_iter_free(it);
        }
        r->rate[R_W3A] = c->scans / (now() - t0);
    }

    (void)bytes;
    if (want(c, R_W7) && want(c, R_W1T)) {
        strata_value *vals7;
        CHECK(strata_value_from_json(&vals7, "{\":a\": 40}", 10, 0));
        strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
        q.filter = "age > :a";
        q.values = vals7;
        uint64_t m = 0;
        t0 = now();
        strata_iter *it;
        CHECK(strata_table_scan(&it, db, TENANT, TABLE, &q, NULL));
        int rc;
        while ((rc = strata_iter_next(it)) == 0) m += strata_value_bytes(strata_iter_value(it)).len > 0;
        CHECK(rc == STRATA_ITEROVER ? 0 : rc);
        uint64_t seen = strata_iter_scanned_count(it);
        strata_iter_free(it);
        r->rate[R_W7] = seen / (now() - t0);
        r->matches = m;
        if (seen != c->n) DIE("strata: W7 scanned %llu of %zu items", (unsigned long long)seen, c->n);
        strata_value_free(vals7);
    }
    if (want(c, R_W7J)) {
        uint64_t m = 0, seen = 0;
        t0 = now();
        strata_iter *it;
        CHECK(strata_records_list(&it, db, TENANT, ENTRY, NULL));
        int rc;
        while ((rc = strata_iter_next(it)) == 0) {
            char *js;
            size_t jl;
            CHECK(strata_value_to_json(&js, &jl, strata_iter_value(it), 0));
            m += json_age(js, jl) > 40;
            strata_free(js);
            seen++;
        }
        CHECK(rc == STRATA_ITEROVER ? 0 : rc);
        strata_iter_free(it);
        r->rate[R_W7J] = seen / (now() - t0);
        if (m != w->expect) DIE("strata: W7j matched %llu, expected %llu", (unsigned long long)m,
                                (unsigned long long)w->expect);
    }

    if (want(c, R_W4))
        r->rate[R_W4] = run_writers(c, strata_writer, db, NULL, 1, 4, &r->syncs[R_W4], &r->wbytes[R_W4], NULL);
    if (want(c, R_W4B))
        r->rate[R_W4B] = run_writers(c, strata_writer, db, NULL, c->threads, 5, &r->syncs[R_W4B], &r->wbytes[R_W4B], NULL);
    strata_db_close(db);

    db = strata_open_dir(dir, STRATA_DURABILITY_OFF);
    if (want(c, R_W5))
        r->rate[R_W5] = run_writers(c, strata_writer, db, NULL, 1, 6, &r->syncs[R_W5], &r->wbytes[R_W5], NULL);
    if (want(c, R_W8_HIST)) run_strata_w8(c, w, db, r);
    strata_db_close(db);
    free(kb);
    free(keys);
    free(vals);
    rmtmp(dir);
}

/* W8, on the loaded database opened with durability off (so the figures are CPU and I/O of the
 * versioned structures, not fsync latency). */
static void run_strata_w8(const cfg *c, const work *w, strata_db *db, result *r)
{
    size_t np = c->w8_puts;
    strata_oid *d = malloc(np * sizeof *d);
    char k[KEYMAX];
    if (!d) DIE("out of memory");

    /* a 1,000-record entry, then np single puts into it */
    {
        size_t nb = 1000;
        char (*kb)[KEYMAX] = malloc(nb * sizeof *kb);
        const char **keys = malloc(nb * sizeof *keys);
        strata_value **vals = malloc(nb * sizeof *vals);
        if (!kb || !keys || !vals) DIE("out of memory");
        for (size_t i = 0; i < nb; i++) {
            key_of(kb[i], (uint32_t)i);
            keys[i] = kb[i];
            vals[i] = strata_doc((uint32_t)i, 0);
        }
        CHECK(strata_records_put_many(NULL, db, TENANT, "small", keys, (const strata_value *const *)vals, nb, NULL));
        for (size_t i = 0; i < nb; i++) strata_value_free(vals[i]);
        free(kb);
        free(keys);
        free(vals);
        double t0 = now();
        for (size_t i = 0; i < np; i++) {
            uint32_t id = (uint32_t)(i * 7919 % nb);
            key_of(k, id);
            strata_value *v = strata_doc(id, 1000 + (uint32_t)i);
            CHECK(strata_records_put(NULL, db, TENANT, "small", k, v, NULL));
            strata_value_free(v);
        }
        r->rate[R_W8_PUT1K] = np / (now() - t0);
    }

    /* np single puts of distinct records into the N-record entry; keep every commit digest */
    double t0 = now();
    for (size_t i = 0; i < np; i++) {
        uint32_t id = w->ins[i % c->n];
        key_of(k, id);
        strata_value *v = strata_doc(id, 2000000 + (uint32_t)i);
        CHECK(strata_records_put(&d[i], db, TENANT, ENTRY, k, v, NULL));
        strata_value_free(v);
    }
    r->rate[R_W8_PUTN] = np / (now() - t0);

    /* history: walk the newest 1,000 commits (np in a smoke run) */
    size_t hn = np < 1000 ? np : 1000, walked = 0;
    int reps = 5;
    t0 = now();
    for (int rep = 0; rep < reps; rep++) {
        strata_iter *it;
        CHECK(strata_entry_history(&it, db, TENANT, ENTRY, NULL, hn));
        int rc;
        while ((rc = strata_iter_next(it)) == 0) walked += strata_iter_commit(it) != NULL;
        CHECK(rc == STRATA_ITEROVER ? 0 : rc);
        strata_iter_free(it);
    }
    r->rate[R_W8_HIST] = walked / (now() - t0);
    if (walked != hn * (size_t)reps) DIE("strata: history walked %zu", walked);

    /* reads at the first of those commits (np commits back) */
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &d[0];
    uint64_t x = 99;
    t0 = now();
    for (size_t i = 0; i < c->w8_reads; i++) {
        key_of(k, (uint32_t)(rng(&x) % c->n));
        strata_value *v;
        CHECK(strata_records_get(&v, db, TENANT, ENTRY, k, &ro));
        strata_value_free(v);
    }
    r->rate[R_W8_OLDGET] = c->w8_reads / (now() - t0);

    /* diff of two versions w8_apart commits (so w8_apart records) apart */
    size_t changes = 0;
    int dreps = 20;
    t0 = now();
    for (int rep = 0; rep < dreps; rep++) {
        size_t a = (size_t)rep * 7 % (np - c->w8_apart);
        strata_iter *it;
        CHECK(strata_entry_diff(&it, db, TENANT, ENTRY, &d[a], &d[a + c->w8_apart]));
        int rc;
        while ((rc = strata_iter_next(it)) == 0) changes++;
        CHECK(rc == STRATA_ITEROVER ? 0 : rc);
        strata_iter_free(it);
    }
    r->rate[R_W8_DIFF] = dreps / (now() - t0);
    if (changes != c->w8_apart * (size_t)dreps) DIE("strata: diff found %zu changes", changes);

    /* a document with np versions; load random old versions by digest */
    for (size_t i = 0; i < np; i++) {
        strata_value *v = strata_doc((uint32_t)i, 7);
        CHECK(strata_document_save(&d[i], db, TENANT, "profile", v, NULL));
        strata_value_free(v);
    }
    size_t loads = c->w8_reads < 10000 ? c->w8_reads : 10000;
    t0 = now();
    for (size_t i = 0; i < loads; i++) {
        ro.at = &d[rng(&x) % np];
        strata_value *v;
        CHECK(strata_document_load(&v, db, TENANT, "profile", &ro));
        strata_value_free(v);
    }
    r->rate[R_W8_LOADOLD] = loads / (now() - t0);
    free(d);
}

/* ---- SQLite ---------------------------------------------------------------------------------- */

#define SQ(db, x) do { int rc_ = (x); if (rc_ != SQLITE_OK) DIE("sqlite: %s: %s", #x, sqlite3_errmsg(db)); } while (0)

static sqlite3 *sqlite_open(const char *path, const char *sync)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) DIE("sqlite: open %s", path);
    /* the timeout first: the writers of W4b open their connections at the same time, and setting
     * the journal mode needs the lock one of them may hold */
    SQ(db, sqlite3_busy_timeout(db, 10000));
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;", sync);
    SQ(db, sqlite3_exec(db, sql, NULL, NULL, NULL));
    return db;
}

static void sqlite_put(sqlite3 *db, sqlite3_stmt *ins, uint32_t id, uint32_t ver, int *busy)
{
    char k[KEYMAX], v[DOCMAX];
    int kl = key_of(k, id), vl = doc_of(v, id, ver);
    sqlite3_bind_text(ins, 1, k, kl, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, v, vl, SQLITE_STATIC);
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc == SQLITE_BUSY && busy) *busy = 1;
    else if (rc != SQLITE_DONE) DIE("sqlite insert: %s", sqlite3_errmsg(db));
}

/* One writer of W4/W4b/W5: its own connection (the handle is the database path). */
static void *sqlite_writer(void *arg)
{
    writer *w = arg;
    const char *path = w->handle;
    sqlite3 *db = sqlite_open(path, w->dbi ? "OFF" : "FULL");
    sqlite3_stmt *ins;
    SQ(db, sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t(k, v) VALUES(?1, ?2)", -1, &ins, NULL));
    uint32_t ver = 1;
    while (now() < w->deadline) {
        int busy = 0;
        sqlite_put(db, ins, (uint32_t)(rng(&w->seed) % w->c->n), ver++, &busy);
        if (busy) w->busy++;
        else w->commits++;
    }
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return NULL;
}

static void run_sqlite(const cfg *c, const work *w, result *r)
{
    char *dir = mktmp(c, "sqlite");
    char path[1024];
    snprintf(path, sizeof path, "%s/db.sqlite", dir);
    sqlite3 *db = sqlite_open(path, "FULL");
    SQ(db, sqlite3_exec(db, "CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;", NULL, NULL, NULL));
    sqlite3_stmt *ins;
    SQ(db, sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO t(k, v) VALUES(?1, ?2)", -1, &ins, NULL));

    unsigned long s0 = syncs_now();
    unsigned long long w0 = wchar_now();
    size_t commits = 0;
    double t0 = now();
    for (size_t b = 0; b < c->n; b += c->batch) {
        size_t nb = c->n - b < c->batch ? c->n - b : c->batch;
        SQ(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL));
        for (size_t i = 0; i < nb; i++) sqlite_put(db, ins, w->ins[b + i], 0, NULL);
        SQ(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
        commits++;
    }
    r->rate[R_W1] = c->n / (now() - t0);
    r->syncs[R_W1] = (double)(syncs_now() - s0) / (double)commits;
    r->wbytes[R_W1] = (double)(wchar_now() - w0) / (double)commits;
    sqlite3_finalize(ins);
    sqlite3_close(db); /* checkpoints and removes the WAL */
    r->rate[R_W6] = (double)dir_bytes(dir);
    db = sqlite_open(path, "FULL");

    sqlite3_stmt *get, *scan, *first, *filt;
    SQ(db, sqlite3_prepare_v2(db, "SELECT v FROM t WHERE k = ?1", -1, &get, NULL));
    SQ(db, sqlite3_prepare_v2(db, "SELECT k, v FROM t WHERE k >= ?1 ORDER BY k LIMIT ?2", -1, &scan, NULL));
    SQ(db, sqlite3_prepare_v2(db, "SELECT k, v FROM t ORDER BY k LIMIT ?1", -1, &first, NULL));
    SQ(db, sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE json_extract(v, '$.age') > 40", -1, &filt, NULL));
    char k[KEYMAX];
    /* the reads run in one read transaction: SQLite's best case */
    SQ(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL));
    if (want(c, R_W2)) {
        size_t found = 0;
        t0 = now();
        for (size_t i = 0; i < c->reads; i++) {
            int kl = key_of(k, w->get[i]);
            sqlite3_bind_text(get, 1, k, kl, SQLITE_STATIC);
            if (sqlite3_step(get) == SQLITE_ROW) found += sqlite3_column_bytes(get, 0) > 0;
            sqlite3_reset(get);
        }
        r->rate[R_W2] = c->reads / (now() - t0);
        if (found != c->reads) DIE("sqlite: %zu of %zu reads found", found, c->reads);
    }
    size_t bytes = 0;
    if (want(c, R_W3)) {
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            int kl = key_of(k, w->scan[s]);
            sqlite3_bind_text(scan, 1, k, kl, SQLITE_STATIC);
            sqlite3_bind_int(scan, 2, (int)c->scanlen);
            while (sqlite3_step(scan) == SQLITE_ROW) {
                (void)sqlite3_column_text(scan, 0);
                (void)sqlite3_column_text(scan, 1);
                bytes += (size_t)sqlite3_column_bytes(scan, 0) + (size_t)sqlite3_column_bytes(scan, 1);
            }
            sqlite3_reset(scan);
        }
        r->rate[R_W3] = c->scans / (now() - t0);
    }
    if (want(c, R_W3A)) {
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            sqlite3_bind_int(first, 1, (int)c->scanlen);
            while (sqlite3_step(first) == SQLITE_ROW) {
                (void)sqlite3_column_text(first, 0);
                (void)sqlite3_column_text(first, 1);
                bytes += (size_t)sqlite3_column_bytes(first, 0) + (size_t)sqlite3_column_bytes(first, 1);
            }
            sqlite3_reset(first);
        }
        r->rate[R_W3A] = c->scans / (now() - t0);
    }
    if (want(c, R_W7)) {
        t0 = now();
        if (sqlite3_step(filt) != SQLITE_ROW) DIE("sqlite: filter: %s", sqlite3_errmsg(db));
        r->matches = (uint64_t)sqlite3_column_int64(filt, 0);
        sqlite3_reset(filt);
        r->rate[R_W7] = c->n / (now() - t0);
    }
    SQ(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL));
    (void)bytes;
    sqlite3_finalize(get);
    sqlite3_finalize(scan);
    sqlite3_finalize(first);
    sqlite3_finalize(filt);
    sqlite3_close(db);

    uint64_t busy = 0;
    if (want(c, R_W4))
        r->rate[R_W4] = run_writers(c, sqlite_writer, path, NULL, 1, 4, &r->syncs[R_W4], &r->wbytes[R_W4], &busy);
    if (want(c, R_W4B))
        r->rate[R_W4B] = run_writers(c, sqlite_writer, path, NULL, c->threads, 5, &r->syncs[R_W4B], &r->wbytes[R_W4B], &busy);
    if (want(c, R_W5))
        r->rate[R_W5] = run_writers(c, sqlite_writer, path, (void *)1, 1, 6, &r->syncs[R_W5], &r->wbytes[R_W5], &busy);
    if (busy) fprintf(stderr, "sqlite: %llu commits failed with SQLITE_BUSY (busy_timeout 10 s)\n",
                      (unsigned long long)busy);
    rmtmp(dir);
}

/* ---- LMDB ------------------------------------------------------------------------------------ */

#define MD(x) do { int rc_ = (x); if (rc_) DIE("lmdb: %s: %s", #x, mdb_strerror(rc_)); } while (0)

static MDB_env *lmdb_open(const char *dir)
{
    MDB_env *env;
    MD(mdb_env_create(&env));
    MD(mdb_env_set_mapsize(env, (size_t)16 << 30));
    MD(mdb_env_open(env, dir, 0, 0644));
    return env;
}

static void lmdb_put(MDB_txn *txn, MDB_dbi dbi, uint32_t id, uint32_t ver)
{
    char k[KEYMAX], v[DOCMAX];
    MDB_val mk, mv;
    mk.mv_size = (size_t)key_of(k, id);
    mk.mv_data = k;
    mv.mv_size = (size_t)doc_of(v, id, ver);
    mv.mv_data = v;
    MD(mdb_put(txn, dbi, &mk, &mv, 0));
}

/* One writer of W4/W4b/W5: LMDB serialises write transactions on its writer mutex. */
static void *lmdb_writer(void *arg)
{
    writer *wr = arg;
    MDB_env *env = wr->handle;
    MDB_dbi dbi = *(MDB_dbi *)wr->dbi;
    uint32_t ver = 1;
    while (now() < wr->deadline) {
        MDB_txn *txn;
        MD(mdb_txn_begin(env, NULL, 0, &txn));
        lmdb_put(txn, dbi, (uint32_t)(rng(&wr->seed) % wr->c->n), ver++);
        MD(mdb_txn_commit(txn));
        wr->commits++;
    }
    return NULL;
}

static void run_lmdb(const cfg *c, const work *w, result *r)
{
    char *dir = mktmp(c, "lmdb");
    MDB_env *env = lmdb_open(dir);
    MDB_txn *txn;
    MDB_dbi dbi;
    MD(mdb_txn_begin(env, NULL, 0, &txn));
    MD(mdb_dbi_open(txn, NULL, 0, &dbi));
    MD(mdb_txn_commit(txn));

    unsigned long s0 = syncs_now();
    unsigned long long w0 = wchar_now();
    size_t commits = 0;
    double t0 = now();
    for (size_t b = 0; b < c->n; b += c->batch) {
        size_t nb = c->n - b < c->batch ? c->n - b : c->batch;
        MD(mdb_txn_begin(env, NULL, 0, &txn));
        for (size_t i = 0; i < nb; i++) lmdb_put(txn, dbi, w->ins[b + i], 0);
        MD(mdb_txn_commit(txn));
        commits++;
    }
    r->rate[R_W1] = c->n / (now() - t0);
    r->syncs[R_W1] = (double)(syncs_now() - s0) / (double)commits;
    r->wbytes[R_W1] = (double)(wchar_now() - w0) / (double)commits;
    mdb_env_close(env);
    r->rate[R_W6] = (double)dir_bytes(dir);
    env = lmdb_open(dir);
    MD(mdb_txn_begin(env, NULL, 0, &txn));
    MD(mdb_dbi_open(txn, NULL, 0, &dbi));
    MD(mdb_txn_commit(txn));

    /* the reads run in one read transaction: LMDB's best case */
    MD(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    char k[KEYMAX];
    if (want(c, R_W2)) {
        size_t found = 0;
        t0 = now();
        for (size_t i = 0; i < c->reads; i++) {
            MDB_val mk = {(size_t)key_of(k, w->get[i]), k}, mv;
            if (mdb_get(txn, dbi, &mk, &mv) == 0) found += mv.mv_size > 0;
        }
        r->rate[R_W2] = c->reads / (now() - t0);
        if (found != c->reads) DIE("lmdb: %zu of %zu reads found", found, c->reads);
    }
    MDB_cursor *cur;
    MD(mdb_cursor_open(txn, dbi, &cur));
    size_t bytes = 0;
    if (want(c, R_W3)) {
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            MDB_val mk = {(size_t)key_of(k, w->scan[s]), k}, mv;
            int rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
            for (size_t i = 0; i < c->scanlen && rc == 0; i++, rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT))
                bytes += mk.mv_size + mv.mv_size;
        }
        r->rate[R_W3] = c->scans / (now() - t0);
    }
    if (want(c, R_W3A)) {
        t0 = now();
        for (size_t s = 0; s < c->scans; s++) {
            MDB_val mk, mv;
            int rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST);
            for (size_t i = 0; i < c->scanlen && rc == 0; i++, rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT))
                bytes += mk.mv_size + mv.mv_size;
        }
        r->rate[R_W3A] = c->scans / (now() - t0);
    }
    if (want(c, R_W7)) {
        uint64_t m = 0, seen = 0;
        t0 = now();
        MDB_val mk, mv;
        int rc = mdb_cursor_get(cur, &mk, &mv, MDB_FIRST);
        for (; rc == 0; rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT)) {
            m += json_age(mv.mv_data, mv.mv_size) > 40;
            seen++;
        }
        r->rate[R_W7] = seen / (now() - t0);
        r->matches = m;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    (void)bytes;

    if (want(c, R_W4))
        r->rate[R_W4] = run_writers(c, lmdb_writer, env, &dbi, 1, 4, &r->syncs[R_W4], &r->wbytes[R_W4], NULL);
    if (want(c, R_W4B))
        r->rate[R_W4B] = run_writers(c, lmdb_writer, env, &dbi, c->threads, 5, &r->syncs[R_W4B], &r->wbytes[R_W4B], NULL);
    if (want(c, R_W5)) {
        MD(mdb_env_set_flags(env, MDB_NOSYNC, 1));
        r->rate[R_W5] = run_writers(c, lmdb_writer, env, &dbi, 1, 6, &r->syncs[R_W5], &r->wbytes[R_W5], NULL);
    }
    mdb_env_close(env);
    rmtmp(dir);
}

/* ---- report ------------------------------------------------------------------------------------ */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median over the runs of rate (which = 0), syncs (which = 1) or bytes written (which = 2)
 * of one row; 0 (syncs: -1) when the row was not measured. */
static double median(const result *rs, int runs, int row, int which)
{
    double v[64];
    int n = 0;
    for (int i = 0; i < runs; i++) {
        double x = which == 2 ? rs[i].wbytes[row] : which ? rs[i].syncs[row] : rs[i].rate[row];
        if (which == 1 ? x >= 0 : x > 0) v[n++] = x;
    }
    if (n == 0) return which == 1 ? -1 : 0;
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fmt_rate(char *out, size_t sz, double rate)
{
    if (rate <= 0) snprintf(out, sz, "–");
    else if (rate >= 100) snprintf(out, sz, "%.0f", rate);
    else snprintf(out, sz, "%.1f", rate);
}

static void fmt_us(char *out, size_t sz, double rate)
{
    if (rate <= 0) snprintf(out, sz, "–");
    else {
        double us = 1e6 / rate;
        snprintf(out, sz, us >= 100 ? "%.0f" : us >= 1 ? "%.2f" : "%.3f", us);
    }
}

static void report(const cfg *c, const work *w, result rs[NENG][16])
{
    printf("\n## bench_db: %zu records (user#%%08d keys in random order, ~100-byte JSON), batches "
           "of %zu, %d writer threads, %.1f s per timed write workload; median of %d run(s)\n\n",
           c->n, c->batch, c->threads, c->secs, c->runs);
    printf("| workload | what | op | strata ops/s | µs/op | SQLite ops/s | µs/op | LMDB ops/s | µs/op "
           "| strata ÷ SQLite | strata ÷ LMDB |\n");
    printf("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (int row = 0; row < NROW; row++) {
        double m[NENG];
        int any = 0;
        for (int e = 0; e < NENG; e++) {
            m[e] = median(rs[e], c->runs, row, 0);
            any |= m[e] > 0;
        }
        if (!any) continue;
        printf("| %s | %s | %s |", row_info[row].id, row_info[row].what, row_info[row].op);
        for (int e = 0; e < NENG; e++) {
            char a[32], b[32];
            if (row == R_W6 || row == R_W6T) {
                if (m[e] > 0) snprintf(a, sizeof a, "%.1f MiB", m[e] / 1048576.0);
                else snprintf(a, sizeof a, "–");
                snprintf(b, sizeof b, " ");
            } else {
                fmt_rate(a, sizeof a, m[e]);
                fmt_us(b, sizeof b, m[e]);
            }
            printf(" %s | %s |", a, b);
        }
        /* strata time ÷ peer time; for W6 strata bytes ÷ peer bytes */
        for (int e = E_SQLITE; e < NENG; e++) {
            if (m[E_STRATA] > 0 && m[e] > 0)
                printf(" %.2f× |", row == R_W6 || row == R_W6T ? m[E_STRATA] / m[e] : m[e] / m[E_STRATA]);
            else printf(" – |");
        }
        printf("\n");
    }
    printf("\nRatios are strata's time ÷ the peer's time (W6: strata's bytes ÷ the peer's): "
           "< 1 means strata is faster (smaller).\n");

    printf("\n| per commit: sync calls / KiB written | strata | SQLite | LMDB |\n| --- | ---: | ---: | ---: |\n");
    static const int srows[] = {R_W1, R_W1T, R_W4, R_W4B, R_W5};
    for (size_t i = 0; i < sizeof srows / sizeof *srows; i++) {
        int row = srows[i];
        printf("| %s %s |", row_info[row].id, row_info[row].what);
        for (int e = 0; e < NENG; e++) {
            double s = median(rs[e], c->runs, row, 1), b = median(rs[e], c->runs, row, 2);
            if (s < 0) printf(" – |");
            else printf(" %.2f / %.1f |", s, b / 1024);
        }
        printf("\n");
    }
    printf("\n(LMDB also writes its meta page through an O_DSYNC descriptor: one more sync point per "
           "commit that is not a call.)\n");
    double fl[16];
    for (int i = 0; i < c->runs; i++) fl[i] = rs[E_STRATA][i].floor;
    qsort(fl, (size_t)c->runs, sizeof *fl, cmp_d);
    printf("Disk floor in this directory: append 300 bytes + fdatasync = %.0f µs (median of the runs; "
           "min %.0f, max %.0f µs).\n", 1e6 / fl[c->runs / 2], 1e6 / fl[c->runs - 1], 1e6 / fl[0]);

    if (c->engines & 1u << E_STRATA) {
        double p = 0;
        for (int i = 0; i < c->runs; i++) p += rs[E_STRATA][i].parse_us;
        printf("\nstrata_value_from_json alone: %.2f µs per document (inside every strata write "
               "figure above; SQLite and LMDB store the JSON text as is).\n", p / c->runs);
        double g = median(rs[E_STRATA], c->runs, R_W2, 0), o = median(rs[E_STRATA], c->runs, R_W8_OLDGET, 0);
        double a = median(rs[E_STRATA], c->runs, R_W8_PUT1K, 0), b = median(rs[E_STRATA], c->runs, R_W8_PUTN, 0);
        if (g > 0 && o > 0) printf("W8: a get at an old commit costs %.2f× a get at the head (W2).\n", g / o);
        if (a > 0 && b > 0)
            printf("W8: a single put into N = %zu records costs %.2f× a put into 1,000 records.\n", c->n, a / b);
    }
    if (want(c, R_W7)) {
        printf("W7 matches: expected %llu;", (unsigned long long)w->expect);
        for (int e = 0; e < NENG; e++)
            if (c->engines & 1u << e)
                printf(" %s %llu", eng_name[e], (unsigned long long)rs[e][0].matches);
        printf("\n");
    }

    printf("\nAll runs (ops/s; W6 bytes):\n");
    for (int row = 0; row < NROW; row++) {
        for (int e = 0; e < NENG; e++) {
            if (!(c->engines & 1u << e) || rs[e][0].rate[row] <= 0) continue;
            printf("  %-4s %-6s", row_info[row].id, eng_name[e]);
            if (row >= R_W8_HIST) printf(" %-28.28s", row_info[row].what);
            for (int i = 0; i < c->runs; i++) printf(" %.6g", rs[e][i].rate[row]);
            printf("\n");
        }
    }
}

/* The disk's floor for a durable commit: appending 300 bytes to a file and calling fdatasync,
 * repeated for `secs` seconds in the benchmark's directory. Returns syncs per second. */
static double sync_floor(const cfg *c, double secs)
{
    char *dir = mktmp(c, "floor");
    char path[1024], buf[300];
    snprintf(path, sizeof path, "%s/f", dir);
    memset(buf, 'x', sizeof buf);
    FILE *f = fopen(path, "w");
    if (!f) DIE("fopen %s: %s", path, strerror(errno));
    int fd = fileno(f);
    uint64_t n = 0;
    double t0 = now(), t;
    while ((t = now()) < t0 + secs) {
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) DIE("write %s: %s", path, strerror(errno));
        if (fdatasync(fd)) DIE("fdatasync %s: %s", path, strerror(errno));
        n++;
    }
    fclose(f);
    rmtmp(dir);
    return n / (t - t0);
}

/* ---- driver ----------------------------------------------------------------------------------- */

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--smoke] [--n N] [--secs T] [--runs K] [--threads W] [--only LIST]\n"
            "          [--engine strata|sqlite|lmdb] [--dir D] [--scans S]\n"
            "  LIST: workloads among 1t,2,3,3t,3a,4,4b,5,7,7j,8 (W1 and W6 always run; 3t and 7\n"
            "        load the table of 1t)\n",
            argv0);
    exit(2);
}

/* Parse --only's list into row bits (W1 and W6 always included). */
static unsigned parse_only(const char *s, const char *argv0)
{
    unsigned m = 1u << R_W1 | 1u << R_W6;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (*t == 'W' || *t == 'w') t++;
        if (!strcmp(t, "1") || !strcmp(t, "6")) continue;
        else if (!strcmp(t, "1t")) m |= 1u << R_W1T | 1u << R_W6T;
        else if (!strcmp(t, "3t")) m |= 1u << R_W1T | 1u << R_W6T | 1u << R_W3T;
        else if (!strcmp(t, "2")) m |= 1u << R_W2;
        else if (!strcmp(t, "3")) m |= 1u << R_W3;
        else if (!strcmp(t, "3a")) m |= 1u << R_W3A;
        else if (!strcmp(t, "4")) m |= 1u << R_W4;
        else if (!strcmp(t, "4b")) m |= 1u << R_W4B;
        else if (!strcmp(t, "5")) m |= 1u << R_W5;
        else if (!strcmp(t, "7")) m |= 1u << R_W1T | 1u << R_W6T | 1u << R_W7;
        else if (!strcmp(t, "7j")) m |= 1u << R_W7J;
        else if (!strcmp(t, "8"))
            m |= 1u << R_W8_HIST | 1u << R_W8_OLDGET | 1u << R_W8_DIFF | 1u << R_W8_LOADOLD |
                 1u << R_W8_PUT1K | 1u << R_W8_PUTN;
        else usage(argv0);
    }
    return m;
}

int main(int argc, char **argv)
{
    cfg c = {1000000, 1000, 1000000, 100, 1000, 10.0, 3, 8, 1000, 100, 100000, (1u << NROW) - 1,
             (1u << NENG) - 1, NULL};
    /* --smoke first sets tiny sizes; explicit flags given with it still win */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--smoke")) {
            c.n = 3000;
            c.secs = 0.2;
            c.runs = 1;
            c.scans = 10;
            c.w8_puts = 150;
            c.w8_reads = 1000;
        }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--smoke")) continue;
        else if (!strcmp(a, "--n") && v) { c.n = strtoul(v, NULL, 10); i++; }
        else if (!strcmp(a, "--secs") && v) { c.secs = atof(v); i++; }
        else if (!strcmp(a, "--runs") && v) { c.runs = atoi(v); i++; }
        else if (!strcmp(a, "--threads") && v) { c.threads = atoi(v); i++; }
        else if (!strcmp(a, "--scans") && v) { c.scans = strtoul(v, NULL, 10); i++; }
        else if (!strcmp(a, "--only") && v) { c.only = parse_only(v, argv[0]); i++; }
        else if (!strcmp(a, "--dir") && v) { c.dir = v; i++; }
        else if (!strcmp(a, "--engine") && v) {
            c.engines = !strcmp(v, "strata") ? 1u << E_STRATA : !strcmp(v, "sqlite") ? 1u << E_SQLITE
                      : !strcmp(v, "lmdb") ? 1u << E_LMDB : 0;
            if (!c.engines) usage(argv[0]);
            i++;
        } else usage(argv[0]);
    }
    if (c.n < 2000 || c.n > 100000000) DIE("--n must be between 2000 and 100000000");
    if (c.runs < 1 || c.runs > 15) DIE("--runs must be between 1 and 15");
    if (c.threads < 1 || c.threads > 64) DIE("--threads must be between 1 and 64");
    if (c.secs <= 0) DIE("--secs must be positive");
    if (c.scans < 1 || c.scans > 10000000) DIE("--scans must be between 1 and 10000000");
    c.reads = c.n;
    if (c.w8_puts > c.n) c.w8_puts = c.n;
    if (!c.dir) {
        c.dir = getenv("STRATA_BENCH_DIR");
        if (!c.dir || !*c.dir) c.dir = getenv("STRATA_TEST_TMP");
        if (!c.dir || !*c.dir) c.dir = ".";
    }
    mkdir(c.dir, 0755);

    work w;
    work_make(&w, &c);
    static result rs[NENG][16];
    for (int e = 0; e < NENG; e++)
        for (int i = 0; i < 16; i++) result_init(&rs[e][i]);
    for (int run = 0; run < c.runs; run++) {
        rs[E_STRATA][run].floor = sync_floor(&c, c.secs / 5 < 2 ? c.secs / 5 : 2);
        if (c.engines & 1u << E_STRATA) run_strata(&c, &w, &rs[E_STRATA][run]);
        if (c.engines & 1u << E_SQLITE) run_sqlite(&c, &w, &rs[E_SQLITE][run]);
        if (c.engines & 1u << E_LMDB) run_lmdb(&c, &w, &rs[E_LMDB][run]);
        /* the peers have one copy of the data: their W1/W3/W6 are the comparison for W1t/W3t/W6t */
        for (int e = E_SQLITE; e < NENG; e++) {
            result *p = &rs[e][run];
            p->rate[R_W1T] = p->rate[R_W1];
            p->syncs[R_W1T] = p->syncs[R_W1];
            p->wbytes[R_W1T] = p->wbytes[R_W1];
            p->rate[R_W3T] = p->rate[R_W3];
            p->rate[R_W6T] = p->rate[R_W6];
        }
        fprintf(stderr, "bench_db: run %d of %d done\n", run + 1, c.runs);
    }
    if (want(&c, R_W7))
        for (int e = 0; e < NENG; e++)
            if ((c.engines & 1u << e) && rs[e][0].matches != w.expect)
                DIE("%s: W7 matched %llu records, expected %llu", eng_name[e],
                    (unsigned long long)rs[e][0].matches, (unsigned long long)w.expect);
    report(&c, &w, rs);
    free(w.ins);
    free(w.get);
    free(w.scan);
    return 0;
}
