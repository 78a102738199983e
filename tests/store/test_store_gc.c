/* Tests of the store's GC sweep: unmarked objects go and marked ones stay (across reopen), roots
 * survive, lookups that deduplicate against a candidate keep the object, readers run during a
 * run, and a simulated power loss at every sync point of a run loses nothing. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/vfs.h"

#define SEG 4096

static int open_s(strata_store **s, const char *dir, int create)
{
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = create;
    o.segment_size = SEG;
    return strata_store__open(s, dir, &o);
}

static strata_store *open_ok(const char *dir, int create)
{
    strata_store *s = NULL;
    int rc = open_s(&s, dir, create);
    if (rc) fprintf(stderr, "open: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    return s;
}

/* Object i: 300 bytes, distinct, poorly compressible in its first half. */
static void obj_bytes(uint8_t *b, size_t n, int i)
{
    uint64_t rs = (uint64_t)i * 2654435761u + 7;
    for (size_t k = 0; k < n; k++) b[k] = k < n / 2 ? (uint8_t)tu_rand(&rs) : (uint8_t)('a' + (k % 7));
    b[0] = (uint8_t)i;
    b[1] = (uint8_t)(i >> 8);
}

#define NOBJ 120

static void fill(strata_store *s, strata_oid *oids)
{
    for (int i = 0; i < NOBJ; i++) {
        uint8_t b[300];
        obj_bytes(b, sizeof b, i);
        assert_int_equal(strata_store__put(s, 'B', b, sizeof b, &oids[i]), 0);
        if (i % 10 == 9) {
            char name[16];
            snprintf(name, sizeof name, "r%d", i / 10);
            assert_int_equal(strata_store__publish(s, name, &oids[i]), 0);
        }
    }
}

static void expect_present(strata_store *s, const strata_oid *o, int i)
{
    uint8_t *d = NULL, t = 0, want[300];
    size_t l = 0;
    int rc = strata_store__get(s, o, &t, &d, &l);
    if (rc) fprintf(stderr, "object %d: %s\n", i, strata_error_last()->message);
    assert_int_equal(rc, 0);
    obj_bytes(want, sizeof want, i);
    assert_int_equal(l, sizeof want);
    assert_memory_equal(d, want, l);
    strata_mem__free(d);
}

static int is_live(int i) { return i % 3 == 0 || i % 10 == 9; }

/* Mark the live objects and run the sweep with a tiny threshold. */
static int run_gc(strata_store *s, const strata_oid *oids, strata_store_gc_report *rep)
{
    strata_store_gc *g = NULL;
    strata_store_gc_options o = STRATA_STORE_GC_OPTIONS_INIT;
    o.min_dead_share = 0.01;
    int rc = strata_store__gc_begin(&g, s, &o);
    for (int i = 0; !rc && i < NOBJ; i++)
        if (is_live(i)) rc = strata_store__gc_mark(g, &oids[i]) < 0;
    if (!rc) rc = strata_store__gc_finish(g, rep);
    strata_store__gc_free(g);
    return rc;
}

static void test_store_gc_removes_unmarked_keeps_marked_and_roots(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("sgc");
    strata_store *s = open_ok(dir, 1);
    strata_oid oids[NOBJ];
    fill(s, oids);
    /* push every sample object out of the active segment (which GC never sweeps) */
    for (int i = 0; i < 20; i++) {
        uint8_t b[300];
        obj_bytes(b, sizeof b, 1000 + i);
        strata_oid o;
        assert_int_equal(strata_store__put(s, 'F', b, sizeof b, &o), 0);
    }
    strata_store_stats before, after;
    assert_int_equal(strata_store__stats(s, &before), 0);
    assert_true(before.segments > 5);
    strata_store_gc_report rep;
    assert_int_equal(run_gc(s, oids, &rep), 0);
    assert_true(rep.swept > 0);
    assert_true(rep.objects_copied > 0);
    assert_int_equal(strata_store__stats(s, &after), 0);
    assert_true(after.file_bytes < before.file_bytes);
    for (int i = 0; i < NOBJ; i++) {
        if (is_live(i)) expect_present(s, &oids[i], i);
        else assert_int_equal(strata_store__has(s, &oids[i]), 0);
    }
    assert_int_equal(strata_store__verify(s, NULL, NULL, NULL), 0);
    strata_store__close(s);
    /* reopen: roots and live objects are there */
    s = open_ok(dir, 0);
    for (int r = 0; r < NOBJ / 10; r++) {
        char name[16];
        strata_oid got;
        snprintf(name, sizeof name, "r%d", r);
        assert_int_equal(strata_store__root(s, name, &got), 0);
        assert_memory_equal(&got, &oids[r * 10 + 9], sizeof got);
    }
    for (int i = 0; i < NOBJ; i++)
        if (is_live(i)) expect_present(s, &oids[i], i);
    assert_int_equal(strata_store__verify(s, NULL, NULL, NULL), 0);
    /* the store goes on working: a second run finds nothing more to do, writes go on */
    strata_oid o;
    assert_int_equal(strata_store__put(s, 'B', "after", 5, &o), 0);
    assert_int_equal(strata_store__publish(s, "after", &o), 0);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_gc_keeps_an_object_deduplicated_during_the_run(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("sgcdedup");
    strata_store *s = open_ok(dir, 1);
    strata_oid oids[NOBJ];
    fill(s, oids);
    strata_store_gc *g = NULL;
    strata_store_gc_options o = STRATA_STORE_GC_OPTIONS_INIT;
    o.min_dead_share = 0.01;
    assert_int_equal(strata_store__gc_begin(&g, s, &o), 0);
    /* a second run at the same time is refused */
    strata_store_gc *g2 = NULL;
    assert_int_equal(strata_store__gc_begin(&g2, s, &o), STRATA_EBUSY);
    for (int i = 0; i < NOBJ; i++)
        if (is_live(i)) assert_true(strata_store__gc_mark(g, &oids[i]) >= 0);
    assert_int_equal(strata_store__gc_copy(g), 0);
    /* a writer re-puts unmarked object 1 (deduplicated: nothing written) and names it */
    uint8_t b[300];
    obj_bytes(b, sizeof b, 1);
    strata_oid again;
    assert_int_equal(strata_store__put(s, 'B', b, sizeof b, &again), 0);
    assert_memory_equal(&again, &oids[1], sizeof again);
    assert_int_equal(strata_store__publish(s, "late", &again), 0);
    strata_store_gc_report rep;
    assert_int_equal(strata_store__gc_finish(g, &rep), 0);
    strata_store__gc_free(g);
    assert_true(rep.hits >= 1);
    expect_present(s, &oids[1], 1);
    assert_int_equal(strata_store__has(s, &oids[2]), 0);
    strata_store__close(s);
    s = open_ok(dir, 0);
    expect_present(s, &oids[1], 1);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_gc_abort_deletes_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("sgcabort");
    strata_store *s = open_ok(dir, 1);
    strata_oid oids[NOBJ];
    fill(s, oids);
    strata_store_gc *g = NULL;
    assert_int_equal(strata_store__gc_begin(&g, s, NULL), 0);
    assert_int_equal(strata_store__gc_mark(g, &oids[0]), 1);
    assert_int_equal(strata_store__gc_mark(g, &oids[0]), 0);
    strata_store__gc_free(g); /* never finished */
    for (int i = 0; i < NOBJ; i++) expect_present(s, &oids[i], i);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

typedef struct rdctx {
    strata_store *s;
    const strata_oid *oids;
    atomic_int stop;
    atomic_long reads, failures; /* shared by the reader threads */
} rdctx;

static void *reader(void *arg)
{
    rdctx *c = arg;
    uint64_t rs = 99;
    while (!c->stop) {
        int i = (int)tu_below(&rs, NOBJ);
        if (!is_live(i)) continue;
        uint8_t *d = NULL;
        size_t l;
        if (strata_store__get(c->s, &c->oids[i], NULL, &d, &l) != 0) c->failures++;
        strata_mem__free(d);
        c->reads++;
    }
    return NULL;
}

static void test_store_gc_readers_keep_reading_live_objects_during_a_run(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("sgcread");
    strata_store *s = open_ok(dir, 1);
    strata_oid oids[NOBJ];
    fill(s, oids);
    rdctx c = {s, oids, 0, 0, 0};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, reader, &c), 0);
    strata_store_gc_report rep;
    assert_int_equal(run_gc(s, oids, &rep), 0);
    c.stop = 1;
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    assert_int_equal(c.failures, 0);
    assert_true(rep.swept > 0);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

/* Build the sample store, then run GC with a crash at sync n. */
static void crash_case(long n, int garble, long *nsync_out)
{
    char *dir = tu_mkdtemp("sgccrash");
    strata_store *s = open_ok(dir, 1);
    strata_oid oids[NOBJ];
    fill(s, oids);
    strata_vfs_faults f = {0};
    f.crash_at_sync = n;
    f.seed = (unsigned)(n * 31 + garble);
    f.garble = garble;
    strata_vfs__faults_set(&f);
    strata_store_gc_report rep;
    int rc = run_gc(s, oids, &rep);
    int crashed = strata_vfs__crashed();
    if (nsync_out) *nsync_out = strata_vfs__sync_count();
    strata_store__close(s);
    strata_vfs__faults_clear();
    assert_true(crashed || rc == 0);
    s = open_ok(dir, 0);
    for (int r = 0; r < NOBJ / 10; r++) {
        char name[16];
        strata_oid got;
        snprintf(name, sizeof name, "r%d", r);
        assert_int_equal(strata_store__root(s, name, &got), 0);
        assert_memory_equal(&got, &oids[r * 10 + 9], sizeof got);
    }
    for (int i = 0; i < NOBJ; i++)
        if (is_live(i)) expect_present(s, &oids[i], i);
    assert_int_equal(strata_store__verify(s, NULL, NULL, NULL), 0);
    /* a later run completes the job */
    assert_int_equal(run_gc(s, oids, &rep), 0);
    for (int i = 0; i < NOBJ; i++)
        if (is_live(i)) expect_present(s, &oids[i], i);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_gc_crash_at_every_sync_point_loses_nothing(void **state)
{
    (void)state;
    long nsync = 0;
    crash_case(0, 0, &nsync); /* no crash: count the run's syncs */
    assert_true(nsync >= 3);
    for (long n = 1; n <= nsync; n++)
        for (int garble = 0; garble < 2; garble++) crash_case(n, garble, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_gc_removes_unmarked_keeps_marked_and_roots),
        cmocka_unit_test(test_store_gc_keeps_an_object_deduplicated_during_the_run),
        cmocka_unit_test(test_store_gc_abort_deletes_nothing),
        cmocka_unit_test(test_store_gc_readers_keep_reading_live_objects_during_a_run),
        cmocka_unit_test(test_store_gc_crash_at_every_sync_point_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
