/* Versioned-entry benchmarks (issue 5): single-record puts into one records entry, each its own
 * commit, as the entry grows to N = 1k, 10k and 100k records — µs per put and bytes added per
 * put at each size (both must stay flat: a put rewrites one path of the tree, O(log n), where the
 * seeds rewrite the whole entry); `history` of 1,000 commits on an entry with 100k commits; and
 * `load` of a document at an old digest. Durability off (CPU and bytes, not fsync latency; the
 * durable figures are in bench_db). --smoke: tiny sizes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "strata.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_entries: %s: %s\n", what, strata_error_last()->message);
    exit(1);
}

/* Bytes in the files of directory `dir` (the store's segments and indexes). */
static long long dir_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    long long total = 0;
    struct dirent *e;
    char path[4096];
    struct stat st;
    while ((e = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) total += st.st_size;
    }
    closedir(d);
    return total;
}

static strata_value *record(long i)
{
    char buf[160];
    snprintf(buf, sizeof buf, "{\"name\":\"user %ld\",\"age\":%ld,\"city\":\"city%ld\",\"plan\":\"pro\",\"n\":%ld}", i,
             18 + i % 60, i % 97, i);
    strata_value *v;
    if (strata_value_from_json(&v, buf, strlen(buf), 0)) die("json");
    return v;
}

static void put_one(strata_db *db, long k, long i)
{
    char key[32];
    snprintf(key, sizeof key, "user#%08ld", k);
    strata_value *v = record(i);
    if (strata_records_put(NULL, db, "t", "e", key, v, NULL) < 0) die("put");
    strata_value_free(v);
}

int main(int argc, char **argv)
{
    long sizes[3] = {1000, 10000, 100000};
    long window = 1000, hist = 1000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) { sizes[0] = 100; sizes[1] = 300; sizes[2] = 1000; window = 100; hist = 100; }
        else { fprintf(stderr, "usage: bench_entries [--smoke]\n"); return 2; }
    }
    char dir[] = "/tmp/bench_entries.XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    strata_db *db;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.durability = STRATA_DURABILITY_OFF;
    if (strata_db_open(&db, dir, &o)) die("open");
    strata_tenant_init(db, "t", NULL);

    /* grow the entry by single puts (new keys in random order); at each size measure the next
     * `window` puts of new keys */
    long have = 0, next_i = 0;
    printf("single puts into one records entry, each its own commit (durability off):\n");
    printf("%10s %12s %16s\n", "entry size", "us/put", "bytes added/put");
    for (int s = 0; s < 3; s++) {
        while (have < sizes[s] - window) {
            put_one(db, (have * 7919) % 1000003, next_i++);
            have++;
        }
        long long b0 = dir_bytes(dir);
        double t0 = now();
        for (long k = 0; k < window; k++) {
            put_one(db, (have * 7919) % 1000003, next_i++);
            have++;
        }
        double el = now() - t0;
        long long b1 = dir_bytes(dir);
        printf("%10ld %12.1f %16.0f\n", have, el / (double)window * 1e6, (double)(b1 - b0) / (double)window);
    }

    /* history: the entry now has `have` commits; walk 1,000 of them from the head */
    strata_iter *it;
    double t0 = now();
    if (strata_entry_history(&it, db, "t", "e", NULL, (size_t)hist)) die("history");
    long walked = 0;
    strata_oid old;
    while (strata_iter_next(it) == 0) {
        old = *strata_commit_digest(strata_iter_commit(it));
        walked++;
    }
    strata_iter_free(it);
    double hel = now() - t0;
    printf("history: %ld commits walked on an entry of %ld commits in %.2f ms (%.1f us/commit)\n", walked, have,
           hel * 1e3, hel / (double)walked * 1e6);

    /* get at an old digest: a record as of the commit `hist` back */
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &old;
    t0 = now();
    long reads = 0;
    for (long k = 0; k < 1000; k++) {
        char key[32];
        snprintf(key, sizeof key, "user#%08ld", ((k % (have - hist)) * 7919) % 1000003);
        strata_value *v;
        int rc = strata_records_get(&v, db, "t", "e", key, &ro);
        if (rc == 0) { strata_value_free(v); reads++; }
        else if (rc != STRATA_ENOTFOUND) die("get at old digest");
    }
    double gel = now() - t0;
    printf("get at a digest %ld commits old: %.2f us/get (%ld found)\n", hist, gel / 1000 * 1e6, reads);

    /* load of a document at an old digest: a document saved `hist` times */
    strata_oid first;
    for (long k = 0; k < hist; k++) {
        strata_value *v = record(k);
        strata_oid d;
        if (strata_document_save(&d, db, "t", "doc", v, NULL) < 0) die("save");
        if (k == 0) first = d;
        strata_value_free(v);
    }
    ro.at = &first;
    t0 = now();
    for (int k = 0; k < 1000; k++) {
        strata_value *v;
        if (strata_document_load(&v, db, "t", "doc", &ro)) die("load at old digest");
        strata_value_free(v);
    }
    printf("load of a document at its first digest (%ld versions later): %.2f us/load\n", hist, (now() - t0) / 1000 * 1e6);
    strata_db_close(db);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}
