/* Benchmark of the object store: batched puts of 4 KiB objects with one FULL-durability publish
 * per batch, then random gets; baseline in the same run: plain pwrite + fdatasync of the same
 * bytes per batch. Prints medians of 3 runs, ratios to the baseline and fsyncs per publish.
 * --smoke: tiny sizes (CTest). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/mem.h"

#define OBJ 4096
#define RUNS 3

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1DULL;
}

static void rm_store(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof *v, dcmp);
    return v[RUNS / 2];
}

int main(int argc, char **argv)
{
    int smoke = argc > 1 && !strcmp(argv[1], "--smoke");
    size_t nobj = smoke ? 400 : 20000, batch = smoke ? 20 : 100, ngets = smoke ? 400 : 20000;
    const char *tmp = getenv("STRATA_TEST_TMP");
    if (!tmp || !*tmp) tmp = "/tmp";
    mkdir(tmp, 0755);
    char dir[4096], base[4096];
    snprintf(dir, sizeof dir, "%s/bench_store.%d", tmp, (int)getpid());
    snprintf(base, sizeof base, "%s/bench_store_plain.%d", tmp, (int)getpid());

    uint8_t *data = malloc(nobj * OBJ);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < nobj * OBJ / 8; i++) {
        uint64_t v = rng(&x);
        memcpy(data + 8 * i, &v, 8);
    }
    strata_oid *oids = malloc(nobj * sizeof *oids);
    double put_t[RUNS], get_t[RUNS], plain_t[RUNS], fsync_per_pub[RUNS];
    for (int r = 0; r < RUNS; r++) {
        /* baseline: the same bytes, one pwrite per object, fdatasync per batch */
        int fd = open(base, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) { perror(base); return 1; }
        double t0 = now();
        for (size_t i = 0; i < nobj; i++) {
            if (pwrite(fd, data + i * OBJ, OBJ, (off_t)(i * OBJ)) != OBJ) { perror("pwrite"); return 1; }
            if (i % batch == batch - 1 && fdatasync(fd) != 0) { perror("fdatasync"); return 1; }
        }
        plain_t[r] = now() - t0;
        close(fd);
        unlink(base);

        rm_store(dir);
        strata_store_options o = STRATA_STORE_OPTIONS_INIT;
        o.create = 1;
        strata_store *s;
        if (strata_store__open(&s, dir, &o)) {
            fprintf(stderr, "open: %s\n", strata_error_last()->message);
            return 1;
        }
        strata_store_stats st0, st1;
        strata_store__stats(s, &st0);
        t0 = now();
        for (size_t i = 0; i < nobj; i++) {
            if (strata_store__put(s, 'B', data + i * OBJ, OBJ, &oids[i])) {
                fprintf(stderr, "put: %s\n", strata_error_last()->message);
                return 1;
            }
            if (i % batch == batch - 1 && strata_store__publish(s, "bench", &oids[i])) {
                fprintf(stderr, "publish: %s\n", strata_error_last()->message);
                return 1;
            }
        }
        put_t[r] = now() - t0;
        strata_store__stats(s, &st1);
        fsync_per_pub[r] = (double)(st1.syncs - st0.syncs) / (double)(st1.publishes - st0.publishes);
        strata_store__close(s);
        /* random gets after a reopen */
        o.create = 0;
        if (strata_store__open(&s, dir, &o)) return 1;
        uint64_t y = 12345 + (uint64_t)r;
        t0 = now();
        for (size_t i = 0; i < ngets; i++) {
            uint8_t *d;
            size_t l;
            if (strata_store__get(s, &oids[rng(&y) % nobj], NULL, &d, &l)) {
                fprintf(stderr, "get: %s\n", strata_error_last()->message);
                return 1;
            }
            strata_mem__free(d);
        }
        get_t[r] = now() - t0;
        strata_store__close(s);
        rm_store(dir);
    }
    double mb = (double)nobj * OBJ / 1e6;
    double pt = median(put_t), gt = median(get_t), bt = median(plain_t), fp = median(fsync_per_pub);
    printf("bench_store: %zu objects of %d bytes, batches of %zu (one FULL publish each), %zu random gets; "
           "median of %d runs\n", nobj, OBJ, batch, ngets, RUNS);
    printf("| operation | objects/s | MB/s | time s | ratio to plain write+fdatasync |\n");
    printf("| --- | ---: | ---: | ---: | ---: |\n");
    printf("| plain pwrite + fdatasync per batch | %.0f | %.1f | %.3f | 1.00 |\n", nobj / bt, mb / bt, bt);
    printf("| store put + publish per batch | %.0f | %.1f | %.3f | %.2f |\n", nobj / pt, mb / pt, pt, pt / bt);
    printf("| store random get (verified) | %.0f | %.1f | %.3f | - |\n", ngets / gt,
           (double)ngets * OBJ / 1e6 / gt, gt);
    printf("fsyncs per publish: %.2f\n", fp);
    free(data);
    free(oids);
    return 0;
}
