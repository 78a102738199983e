/* Adversarial tests of the object store beside a garbage collector: a read-only handle (a
 * reader process) that opens or refreshes while the writer's GC rewrites and deletes segments
 * — including the segment the reader still takes for the active one — keeps working and sees
 * every live object and the newest roots. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/mem.h"
#include "util/vfs.h"

#define SEG 4096
#define NOBJ 120

/* Durability of writers opened by open_ok (the fault loops run without per-publish syncs to
 * stay fast; GC's seal syncs whatever the mode). */
static strata_durability durability = STRATA_DURABILITY_FULL;

static strata_store *open_ok(const char *dir, int create, int read_only)
{
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.durability = durability;
    o.create = create;
    o.read_only = read_only;
    o.segment_size = SEG;
    strata_store *s = NULL;
    int rc = strata_store__open(&s, dir, &o);
    if (rc) fprintf(stderr, "open: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    return s;
}

/* Object i: 300 bytes, distinct, half of it incompressible. */
static void obj_bytes(uint8_t *b, size_t n, int i)
{
    uint64_t rs = (uint64_t)i * 2654435761u + 11;
    for (size_t k = 0; k < n; k++) b[k] = k < n / 2 ? (uint8_t)tu_rand(&rs) : (uint8_t)('a' + (k % 5));
    b[0] = (uint8_t)i;
    b[1] = (uint8_t)(i >> 8);
}

static int is_live(int i) { return i % 4 == 0 || i % 10 == 9; }

/* Put objects [from, to) and publish root "r<i/10>" after every tenth. */
static void fill(strata_store *s, strata_oid *oids, int from, int to)
{
    for (int i = from; i < to; i++) {
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

/* Mark the live objects among [0, n) and sweep everything with a dead byte. */
static void run_gc(strata_store *s, const strata_oid *oids, int n, strata_store_gc_report *rep)
{
    strata_store_gc *g = NULL;
    strata_store_gc_options o = STRATA_STORE_GC_OPTIONS_INIT;
    o.min_dead_share = 0.001;
    assert_int_equal(strata_store__gc_begin(&g, s, &o), 0);
    for (int i = 0; i < n; i++)
        if (is_live(i)) assert_true(strata_store__gc_mark(g, &oids[i]) >= 0);
    int rc = strata_store__gc_finish(g, rep);
    if (rc) fprintf(stderr, "gc: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    strata_store__gc_free(g);
}

static void expect_object(strata_store *s, const strata_oid *o, int i)
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

static void expect_roots(strata_store *s, const strata_oid *oids, int n)
{
    for (int r = 0; r < n / 10; r++) {
        char name[16];
        strata_oid got;
        snprintf(name, sizeof name, "r%d", r);
        assert_int_equal(strata_store__root(s, name, &got), 0);
        assert_memory_equal(&got, &oids[r * 10 + 9], sizeof got);
    }
}

/* The reader last refreshed when segment N was the writer's active one; GC then seals N, copies
 * its live records into a newer segment and deletes N. The reader's refresh must not call that
 * corruption: everything live is readable and the roots are current. */
static void test_store_adv_reader_refresh_survives_gc_deleting_its_active_segment(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("sadvact");
    strata_store *w = open_ok(dir, 1, 0);
    static strata_oid oids[2 * NOBJ];
    fill(w, oids, 0, NOBJ);
    strata_store *r = open_ok(dir, 0, 1);
    fill(w, oids, NOBJ, NOBJ + 5); /* the reader's active segment gets records it has not seen */
    strata_store_gc_report rep;
    run_gc(w, oids, NOBJ + 5, &rep);
    assert_true(rep.swept > 0);
    fill(w, oids, NOBJ + 5, NOBJ + 20);
    int rc = strata_store__refresh(r);
    if (rc) fprintf(stderr, "refresh: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    expect_roots(r, oids, NOBJ + 20);
    for (int i = 0; i < NOBJ + 20; i++)
        if (is_live(i) || i >= NOBJ + 5) expect_object(r, &oids[i], i);
    /* and once more after a second run */
    run_gc(w, oids, NOBJ + 20, &rep);
    assert_int_equal(strata_store__refresh(r), 0);
    expect_roots(r, oids, NOBJ + 20);
    for (int i = 0; i < NOBJ + 20; i++)
        if (is_live(i)) expect_object(r, &oids[i], i);
    strata_store__close(r);
    strata_store__close(w);
    tu_rmdir_free(dir);
}

/* A GC run under an injected fault (kind 0: the n-th allocation fails; 1: the n-th write fails;
 * 2: the n-th write is short; 3: the n-th sync fails). Returns 1 when the fault fired. Whatever
 * happens, the run either succeeds or fails with the injected error, and afterwards — on the
 * same handle when it is still usable, and after reopening — every live object and every root
 * is intact, verify is clean, and a second run completes. */
static int fault_case(int kind, long n)
{
    char *dir = tu_mkdtemp("sadvfault");
    strata_store *s = open_ok(dir, 1, 0);
    static strata_oid oids[NOBJ];
    fill(s, oids, 0, NOBJ);
    strata_vfs_faults f = {0};
    if (kind == 0) strata_mem__fail_at(n, 0);
    else {
        if (kind == 1) f.fail_write_at = n;
        if (kind == 2) f.short_write_at = n;
        if (kind == 3) f.fail_sync_at = n;
        strata_vfs__faults_set(&f);
    }
    strata_store_gc *g = NULL;
    strata_store_gc_options o = STRATA_STORE_GC_OPTIONS_INIT;
    o.min_dead_share = 0.001;
    int rc = strata_store__gc_begin(&g, s, &o);
    for (int i = 0; !rc && i < NOBJ; i++)
        if (is_live(i)) rc = strata_store__gc_mark(g, &oids[i]) < 0 ? STRATA_ENOMEM : 0;
    if (!rc) rc = strata_store__gc_finish(g, NULL);
    strata_store__gc_free(g);
    int fired = kind == 0 ? strata_mem__failed() : rc != 0;
    strata_mem__fail_at(0, 0);
    strata_vfs__faults_clear();
    if (rc) {
        if (rc != (kind == 0 ? STRATA_ENOMEM : STRATA_EIO))
            fprintf(stderr, "kind %d n %ld: rc %d: %s\n", kind, n, rc, strata_error_last()->message);
        assert_int_equal(rc, kind == 0 ? STRATA_ENOMEM : STRATA_EIO);
        assert_true(strata_error_last()->message[0] != 0);
    }
    /* the same handle still serves every live object and root */
    expect_roots(s, oids, NOBJ);
    for (int i = 0; i < NOBJ; i++)
        if (is_live(i)) expect_object(s, &oids[i], i);
    strata_store__close(s);
    s = open_ok(dir, 0, 0);
    expect_roots(s, oids, NOBJ);
    for (int i = 0; i < NOBJ; i++)
        if (is_live(i)) expect_object(s, &oids[i], i);
    rc = strata_store__verify(s, NULL, NULL, NULL);
    if (rc) fprintf(stderr, "kind %d n %ld: verify: %s\n", kind, n, strata_error_last()->message);
    assert_int_equal(rc, 0);
    strata_store_gc_report rep;
    run_gc(s, oids, NOBJ, &rep);
    for (int i = 0; i < NOBJ; i++)
        if (is_live(i)) expect_object(s, &oids[i], i);
    strata_store__close(s);
    tu_rmdir_free(dir);
    return fired;
}

static void test_store_adv_gc_out_of_memory_at_every_allocation_loses_nothing(void **state)
{
    (void)state;
    long n = 1;
    durability = STRATA_DURABILITY_OFF;
    while (fault_case(0, n)) n++;
    durability = STRATA_DURABILITY_FULL;
    assert_true(n > 10);
}

static void test_store_adv_gc_io_failure_at_every_write_and_sync_loses_nothing(void **state)
{
    (void)state;
    for (int kind = 1; kind <= 3; kind++) {
        long n = 1;
        while (fault_case(kind, n)) n++;
        assert_true(n > 1);
    }
}

/* The reader's refresh across a GC run (its active segment swept and deleted, new segments
 * sealed) with the n-th allocation failing: the refresh fails with STRATA_ENOMEM or succeeds,
 * the handle keeps answering, and the next refresh brings it fully up to date. */
static int refresh_oom_case(long n)
{
    char *dir = tu_mkdtemp("sadvroom");
    strata_store *w = open_ok(dir, 1, 0);
    static strata_oid oids[2 * NOBJ];
    fill(w, oids, 0, NOBJ);
    strata_store *r = open_ok(dir, 0, 1);
    fill(w, oids, NOBJ, NOBJ + 5);
    strata_store_gc_report rep;
    run_gc(w, oids, NOBJ + 5, &rep);
    fill(w, oids, NOBJ + 5, NOBJ + 30);
    strata_mem__fail_at(n, 0);
    int rc = strata_store__refresh(r);
    int fired = strata_mem__failed();
    strata_mem__fail_at(0, 0);
    if (rc) assert_int_equal(rc, STRATA_ENOMEM);
    rc = strata_store__refresh(r);
    if (rc) fprintf(stderr, "n %ld: refresh: %s\n", n, strata_error_last()->message);
    assert_int_equal(rc, 0);
    expect_roots(r, oids, NOBJ + 30);
    for (int i = 0; i < NOBJ + 30; i++)
        if (is_live(i) || i >= NOBJ + 5) expect_object(r, &oids[i], i);
    assert_int_equal(strata_store__verify(r, NULL, NULL, NULL), 0);
    strata_store__close(r);
    strata_store__close(w);
    tu_rmdir_free(dir);
    return fired;
}

static void test_store_adv_reader_refresh_across_gc_out_of_memory_at_every_allocation(void **state)
{
    (void)state;
    long n = 1;
    durability = STRATA_DURABILITY_OFF;
    while (refresh_oom_case(n)) n++;
    durability = STRATA_DURABILITY_FULL;
    assert_true(n > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_adv_reader_refresh_survives_gc_deleting_its_active_segment),
        cmocka_unit_test(test_store_adv_gc_out_of_memory_at_every_allocation_loses_nothing),
        cmocka_unit_test(test_store_adv_reader_refresh_across_gc_out_of_memory_at_every_allocation),
        cmocka_unit_test(test_store_adv_gc_io_failure_at_every_write_and_sync_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
