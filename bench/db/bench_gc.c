/* GC benchmark: bytes on disk before and after GC for N puts over K keys (batches of 1000 puts
 * per commit, retention keep 1 commit so every overwritten version is garbage), GC time, peak
 * RSS, and the throughput of a concurrent writer during GC relative to without GC.
 * Usage: bench_gc [--smoke] [--puts N] [--keys K] [--runs R] (defaults 1000000 / 100000 / 3). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_gc: %s: %s\n", what, strata_error_last()->message);
    exit(1);
}

static void load(strata_db *db, long puts, long keys)
{
    long done = 0;
    for (long round = 0; done < puts; round++) {
        strata_txn *t = NULL;
        if (strata_txn_begin(&t, db, "t", NULL)) die("txn_begin");
        for (int i = 0; i < 1000 && done < puts; i++, done++) {
            char key[32], json[96];
            snprintf(key, sizeof key, "k%07ld", done % keys);
            int n = snprintf(json, sizeof json, "{\"v\":%ld,\"s\":\"value-%ld\"}", done, done * 31 % 9973);
            strata_value *v = NULL;
            if (strata_value_from_json(&v, json, (size_t)n, 0)) die("json");
            if (strata_txn_put(t, "e", key, v)) die("put");
            strata_value_free(v);
        }
        if (strata_txn_commit(NULL, t) < 0) die("commit");
    }
}

typedef struct wctx {
    strata_db *db;
    volatile int stop;
    long commits;
} wctx;

static void *writer(void *arg)
{
    wctx *w = arg;
    for (long n = 0; !w->stop; n++) {
        char key[32], json[64];
        snprintf(key, sizeof key, "w%ld", n % 1000);
        int len = snprintf(json, sizeof json, "{\"n\":%ld}", n);
        strata_value *v = NULL;
        strata_value_from_json(&v, json, (size_t)len, 0);
        if (strata_records_put(NULL, w->db, "t", "w", key, v, NULL) < 0) die("writer put");
        strata_value_free(v);
        w->commits++;
    }
    return NULL;
}

/* Commits per second of the writer over `secs` seconds (with or without a GC meanwhile). */
static double writer_rate(strata_db *db, double secs, int with_gc, double *gc_s)
{
    wctx w = {db, 0, 0};
    pthread_t th;
    pthread_create(&th, NULL, writer, &w);
    double t0 = now_s();
    if (with_gc) {
        strata_gc_report rep;
        double g0 = now_s();
        if (strata_db_gc(&rep, db, NULL)) die("gc (concurrent)");
        *gc_s = now_s() - g0;
    }
    while (now_s() - t0 < secs) usleep(1000);
    w.stop = 1;
    pthread_join(th, NULL);
    return (double)w.commits / (now_s() - t0);
}

int main(int argc, char **argv)
{
    long puts = 1000000, keys = 100000;
    int runs = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) { puts = 20000; keys = 2000; runs = 1; }
        else if (!strcmp(argv[i], "--puts") && i + 1 < argc) puts = atol(argv[++i]);
        else if (!strcmp(argv[i], "--keys") && i + 1 < argc) keys = atol(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else { fprintf(stderr, "usage: bench_gc [--smoke] [--puts N] [--keys K] [--runs R]\n"); return 2; }
    }
    double gct[16], ratio[16], before = 0, after = 0, live = 0;
    if (runs > 16) runs = 16;
    for (int r = 0; r < runs; r++) {
        char dir[] = "/tmp/bench_gc_XXXXXX";
        if (!mkdtemp(dir)) return 1;
        strata_db_options o = STRATA_DB_OPTIONS_INIT;
        o.durability = STRATA_DURABILITY_NORMAL;
        strata_db *db = NULL;
        if (strata_db_open(&db, dir, &o)) die("open");
        if (strata_tenant_init(db, "t", NULL) < 0) die("tenant");
        load(db, puts, keys);
        if (strata_retention_set(db, "t", NULL, 1, 0, 0, NULL)) die("retention");
        double base = writer_rate(db, puts >= 100000 ? 2.0 : 0.3, 0, NULL);
        strata_gc_report rep;
        double t0 = now_s();
        if (strata_db_gc(&rep, db, NULL)) die("gc");
        gct[r] = now_s() - t0;
        before = (double)rep.bytes_before;
        after = (double)rep.bytes_after;
        live = (double)rep.live_bytes;
        /* more garbage, then GC with a writer running */
        load(db, puts / 4, keys);
        double gcs = 0;
        double during = writer_rate(db, puts >= 100000 ? 2.0 : 0.3, 1, &gcs);
        ratio[r] = base > 0 ? during / base : 0;
        fprintf(stderr, "run %d: gc %.3f s, bytes %.0f -> %.0f (live %.0f), writer %.0f/s alone, %.0f/s during gc (%.2f s)\n",
                r, gct[r], before, after, live, base, during, gcs);
        strata_db_close(db);
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0) return 1;
    }
    qsort(gct, (size_t)runs, sizeof *gct, cmp_d);
    qsort(ratio, (size_t)runs, sizeof *ratio, cmp_d);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("bench_gc: %ld puts over %ld keys, %d run(s)\n", puts, keys, runs);
    printf("  bytes on disk before GC   %12.0f\n", before);
    printf("  bytes on disk after GC    %12.0f  (%.1f%% of before)\n", after, before > 0 ? 100 * after / before : 0);
    printf("  GC time (median)          %12.3f s\n", gct[runs / 2]);
    printf("  peak RSS (whole process)  %12ld KiB\n", ru.ru_maxrss);
    printf("  writer throughput during GC / alone (median) %.2f\n", ratio[runs / 2]);
    return 0;
}
