/* Table benchmarks (issue 6): a query returning one partition of 1,000 items from a table of
 * N items; a scan with a filter (age > 40) over all N items against SQLite's json_extract filter
 * over the same data; and single durable conditional updates per second against SQLite WAL
 * (synchronous=FULL). Medians of --runs runs. --smoke: tiny sizes, nothing asserted. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_tables: %s: %s\n", what, strata_error_last()->message);
    exit(1);
}

static void item_json(char *buf, size_t n, int p, int s)
{
    unsigned h = (unsigned)(p * 7919 + s * 104729);
    snprintf(buf, n, "{\"pk\":\"p%05d\",\"sk\":%d,\"age\":%u,\"name\":\"user %d-%d\",\"city\":\"city%u\",\"n\":0,\"tags\":[\"a\",\"b\"]}",
             p, s, 18 + h % 60, p, s, h % 97);
}

int main(int argc, char **argv)
{
    long parts = 1000, per = 1000, updates = 2000;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) { parts = 20; per = 100; updates = 50; runs = 1; }
        else if (!strcmp(argv[i], "--partitions") && i + 1 < argc) parts = atol(argv[++i]);
        else if (!strcmp(argv[i], "--per") && i + 1 < argc) per = atol(argv[++i]);
        else if (!strcmp(argv[i], "--updates") && i + 1 < argc) updates = atol(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else { fprintf(stderr, "usage: bench_tables [--smoke] [--partitions P] [--per K] [--updates U] [--runs R]\n"); return 2; }
    }
    long n = parts * per;
    char dir[] = "/tmp/bench_tables.XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    char sdir[600], sqlpath[600];
    snprintf(sdir, sizeof sdir, "%s/strata", dir);
    snprintf(sqlpath, sizeof sqlpath, "%s/sqlite.db", dir);

    /* ---- load both ---- */
    strata_db *db;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    if (strata_db_open(&db, sdir, &o)) die("open");
    strata_tenant_init(db, "t", NULL);
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    sc.pk = "pk";
    sc.sk = "sk";
    if (strata_table_create(NULL, db, "t", "items", &sc, NULL) < 0) die("create");
    sqlite3 *sq;
    sqlite3_open(sqlpath, &sq);
    sqlite3_exec(sq, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;", NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(sq, "INSERT INTO t VALUES (?, ?)", -1, &ins, NULL);
    char buf[256], key[64];
    double t0 = now();
    for (long p = 0; p < parts; p++) {
        strata_txn *t;
        if (strata_txn_begin(&t, db, "t", NULL)) die("txn");
        for (long s = 0; s < per; s++) {
            item_json(buf, sizeof buf, (int)p, (int)s);
            strata_value *v;
            if (strata_value_from_json(&v, buf, strlen(buf), 0)) die("json");
            if (strata_txn_put_item(t, "items", v)) die("put");
            strata_value_free(v);
        }
        if (strata_txn_commit(NULL, t) < 0) die("commit");
    }
    double strata_document_load = now() - t0;
    t0 = now();
    for (long p = 0; p < parts; p++) {
        sqlite3_exec(sq, "BEGIN", NULL, NULL, NULL);
        for (long s = 0; s < per; s++) {
            item_json(buf, sizeof buf, (int)p, (int)s);
            snprintf(key, sizeof key, "p%05ld#%08ld", p, s);
            sqlite3_bind_text(ins, 1, key, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 2, buf, -1, SQLITE_TRANSIENT);
            sqlite3_step(ins);
            sqlite3_reset(ins);
        }
        sqlite3_exec(sq, "COMMIT", NULL, NULL, NULL);
    }
    double sqlite_load = now() - t0;
    printf("table of %ld items (%ld partitions x %ld), loaded in batches of %ld: strata %.2f s, sqlite %.2f s (ratio %.2f)\n",
           n, parts, per, per, strata_document_load, sqlite_load, strata_document_load / sqlite_load);

    /* ---- query one partition ---- */
    double *a = calloc((size_t)runs, sizeof *a), *b = calloc((size_t)runs, sizeof *b);
    sqlite3_stmt *qs;
    sqlite3_prepare_v2(sq, "SELECT v FROM t WHERE k >= ? AND k < ? ORDER BY k", -1, &qs, NULL);
    for (int r = 0; r < runs; r++) {
        long p = (r * 7 + 3) % parts;
        snprintf(buf, sizeof buf, "{\":p\":\"p%05ld\"}", p);
        strata_value *vals;
        strata_value_from_json(&vals, buf, strlen(buf), 0);
        strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
        q.key_condition = "pk = :p";
        q.values = vals;
        t0 = now();
        strata_iter *it;
        if (strata_table_query(&it, db, "t", "items", &q, NULL)) die("query");
        long cnt = 0;
        while (strata_iter_next(it) == 0) cnt++;
        strata_iter_free(it);
        a[r] = now() - t0;
        strata_value_free(vals);
        if (cnt != per) { fprintf(stderr, "query returned %ld items, want %ld\n", cnt, per); return 1; }
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "p%05ld#", p);
        snprintf(hi, sizeof hi, "p%05ld$", p);
        t0 = now();
        sqlite3_bind_text(qs, 1, lo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(qs, 2, hi, -1, SQLITE_TRANSIENT);
        cnt = 0;
        while (sqlite3_step(qs) == SQLITE_ROW) {
            (void)sqlite3_column_text(qs, 0);
            cnt++;
        }
        sqlite3_reset(qs);
        b[r] = now() - t0;
    }
    double qa = median(a, runs), qb = median(b, runs);
    printf("query one partition (%ld items): strata %.3f ms (%.0f items/s), sqlite range %.3f ms, ratio %.2f\n",
           per, qa * 1e3, (double)per / qa, qb * 1e3, qa / qb);

    /* ---- scan with filter ---- */
    sqlite3_stmt *fs;
    sqlite3_prepare_v2(sq, "SELECT v FROM t WHERE json_extract(v, '$.age') > 40", -1, &fs, NULL);
    long cs = 0, cq = 0;
    for (int r = 0; r < runs; r++) {
        strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
        q.filter = "age > 40";
        t0 = now();
        strata_iter *it;
        if (strata_table_scan(&it, db, "t", "items", &q, NULL)) die("scan");
        cs = 0;
        while (strata_iter_next(it) == 0) cs++;
        strata_iter_free(it);
        a[r] = now() - t0;
        t0 = now();
        cq = 0;
        while (sqlite3_step(fs) == SQLITE_ROW) {
            (void)sqlite3_column_text(fs, 0);
            cq++;
        }
        sqlite3_reset(fs);
        b[r] = now() - t0;
    }
    if (cs != cq) { fprintf(stderr, "scan found %ld, sqlite %ld\n", cs, cq); return 1; }
    double sa = median(a, runs), sb = median(b, runs);
    printf("scan with filter age > 40 over %ld items (%ld match): strata %.3f s (%.0f items/s), sqlite json_extract %.3f s, ratio %.2f\n",
           n, cs, sa, (double)n / sa, sb, sa / sb);

    /* ---- single durable conditional updates ---- */
    strata_value *vals;
    strata_value_from_json(&vals, "{\":one\":1}", 10, 0);
    sqlite3_stmt *us;
    sqlite3_prepare_v2(sq, "UPDATE t SET v = json_set(v, '$.n', json_extract(v, '$.n') + 1) WHERE k = ? AND v IS NOT NULL", -1, &us, NULL);
    for (int r = 0; r < runs; r++) {
        t0 = now();
        for (long i = 0; i < updates; i++) {
            long p = (i * 31 + r) % parts, s = (i * 17) % per;
            snprintf(buf, sizeof buf, "{\"pk\":\"p%05ld\",\"sk\":%ld}", p, s);
            strata_value *k;
            strata_value_from_json(&k, buf, strlen(buf), 0);
            strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
            io.condition = "attribute_exists(pk)";
            io.values = vals;
            if (strata_table_update_item(NULL, db, "t", "items", k, "SET n = n + :one", &io, NULL) < 0) die("update");
            strata_value_free(k);
        }
        a[r] = now() - t0;
        t0 = now();
        for (long i = 0; i < updates; i++) {
            long p = (i * 31 + r) % parts, s = (i * 17) % per;
            snprintf(key, sizeof key, "p%05ld#%08ld", p, s);
            sqlite3_bind_text(us, 1, key, -1, SQLITE_TRANSIENT);
            sqlite3_step(us);
            sqlite3_reset(us);
        }
        b[r] = now() - t0;
    }
    double ua = median(a, runs), ub = median(b, runs);
    printf("durable conditional updates: strata %.0f/s (%.1f us each), sqlite WAL FULL %.0f/s, ratio %.2f\n",
           (double)updates / ua, ua / (double)updates * 1e6, (double)updates / ub, ua / ub);
    strata_value_free(vals);
    sqlite3_finalize(ins);
    sqlite3_finalize(qs);
    sqlite3_finalize(fs);
    sqlite3_finalize(us);
    sqlite3_close(sq);
    strata_db_close(db);
    free(a);
    free(b);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
