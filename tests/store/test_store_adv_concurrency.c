/* Thread tests of read-only store handles racing the writer's GC: handles opened and refreshed
 * while GC runs copy, seal and delete segments over and over never fail, and always see every
 * live object and roots no older than those published before they looked. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/mem.h"

#define SEG 2048
#define NOBJ 60
#define ROUNDS 25

static void obj_bytes(uint8_t *b, size_t n, int i)
{
    uint64_t rs = (uint64_t)i * 2654435761u + 3;
    for (size_t k = 0; k < n; k++) b[k] = (uint8_t)tu_rand(&rs);
    b[0] = (uint8_t)i;
    b[1] = (uint8_t)(i >> 8);
}

typedef struct shared {
    const char *dir;
    strata_oid keep[NOBJ]; /* objects marked live in every run */
    atomic_int stop;
    atomic_int failures;
    atomic_int opens, refreshes;
} shared;

static int open_ro(strata_store **s, const char *dir)
{
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.read_only = 1;
    o.segment_size = SEG;
    return strata_store__open(s, dir, &o);
}

/* Every kept object readable with the right bytes, and root "keep" present. */
static int check(strata_store *s, shared *sh)
{
    for (int i = 0; i < NOBJ; i++) {
        uint8_t *d = NULL, want[200];
        size_t l = 0;
        if (strata_store__get(s, &sh->keep[i], NULL, &d, &l)) {
            fprintf(stderr, "reader get %d: %s\n", i, strata_error_last()->message);
            return -1;
        }
        obj_bytes(want, sizeof want, i);
        int bad = l != sizeof want || memcmp(d, want, l) != 0;
        strata_mem__free(d);
        if (bad) return -1;
    }
    strata_oid r;
    if (strata_store__root(s, "keep", &r)) {
        fprintf(stderr, "reader root: %s\n", strata_error_last()->message);
        return -1;
    }
    return 0;
}

static void *opener(void *arg)
{
    shared *sh = arg;
    while (!atomic_load(&sh->stop)) {
        strata_store *s = NULL;
        int rc = open_ro(&s, sh->dir);
        if (rc) fprintf(stderr, "reader open: %s\n", strata_error_last()->message);
        if (rc || check(s, sh)) atomic_fetch_add(&sh->failures, 1);
        strata_store__close(s);
        atomic_fetch_add(&sh->opens, 1);
    }
    return NULL;
}

static void *refresher(void *arg)
{
    shared *sh = arg;
    strata_store *s = NULL;
    if (open_ro(&s, sh->dir)) {
        atomic_fetch_add(&sh->failures, 1);
        return NULL;
    }
    while (!atomic_load(&sh->stop)) {
        int rc = strata_store__refresh(s);
        if (rc) fprintf(stderr, "reader refresh: %s\n", strata_error_last()->message);
        if (rc || check(s, sh)) atomic_fetch_add(&sh->failures, 1);
        atomic_fetch_add(&sh->refreshes, 1);
    }
    strata_store__close(s);
    return NULL;
}

static void test_store_adv_readers_open_and_refresh_while_gc_deletes_segments(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("sadvconc");
    static shared sh;
    memset(&sh, 0, sizeof sh);
    sh.dir = dir;
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    o.segment_size = SEG;
    o.compress_level = -1;
    strata_store *w = NULL;
    assert_int_equal(strata_store__open(&w, dir, &o), 0);
    for (int i = 0; i < NOBJ; i++) {
        uint8_t b[200];
        obj_bytes(b, sizeof b, i);
        assert_int_equal(strata_store__put(w, 'B', b, sizeof b, &sh.keep[i]), 0);
    }
    assert_int_equal(strata_store__publish(w, "keep", &sh.keep[0]), 0);
    pthread_t th[2];
    assert_int_equal(pthread_create(&th[0], NULL, opener, &sh), 0);
    assert_int_equal(pthread_create(&th[1], NULL, refresher, &sh), 0);
    uint64_t swept = 0;
    for (int round = 0; round < ROUNDS; round++) {
        /* garbage: objects nobody marks, and superseded roots */
        for (int k = 0; k < 20; k++) {
            uint8_t b[200];
            strata_oid junk;
            obj_bytes(b, sizeof b, 1000 + round * 20 + k);
            assert_int_equal(strata_store__put(w, 'B', b, sizeof b, &junk), 0);
            assert_int_equal(strata_store__publish(w, "junk", &junk), 0);
        }
        assert_int_equal(strata_store__publish(w, "keep", &sh.keep[round % NOBJ]), 0);
        strata_store_gc *g = NULL;
        strata_store_gc_options go = STRATA_STORE_GC_OPTIONS_INIT;
        go.min_dead_share = 0.001;
        go.compress_level = -1;
        assert_int_equal(strata_store__gc_begin(&g, w, &go), 0);
        for (int i = 0; i < NOBJ; i++) assert_true(strata_store__gc_mark(g, &sh.keep[i]) >= 0);
        strata_oid junk;
        assert_int_equal(strata_store__root(w, "junk", &junk), 0);
        assert_true(strata_store__gc_mark(g, &junk) >= 0);
        strata_store_gc_report rep;
        assert_int_equal(strata_store__gc_finish(g, &rep), 0);
        strata_store__gc_free(g);
        swept += rep.swept;
    }
    atomic_store(&sh.stop, 1);
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);
    fprintf(stderr, "%d opens, %d refreshes, %llu segments swept\n", atomic_load(&sh.opens),
            atomic_load(&sh.refreshes), (unsigned long long)swept);
    assert_true(swept >= ROUNDS);
    assert_true(atomic_load(&sh.opens) > 0);
    assert_int_equal(atomic_load(&sh.failures), 0);
    strata_store__close(w);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_adv_readers_open_and_refresh_while_gc_deletes_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
