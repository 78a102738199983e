/* Tests of database GC and retention: churned entries keep every kept version exactly while
 * space falls; retention by count and by age; dropped tenants are reclaimed without touching
 * objects other tenants share; GC runs beside a writer and a reader holding a pinned snapshot;
 * a simulated power loss at every sync point of a run loses nothing. */
#include "testutil.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "strata.h"
#include "util/vfs.h"

static strata_db *open_db(const char *dir)
{
    strata_db *db = NULL;
    int rc = strata_db_open(&db, dir, NULL);
    if (rc) fprintf(stderr, "open: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    return db;
}

static strata_value *val(int key, int round)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "{\"k\":%d,\"round\":%d,\"pad\":\"%040d\"}", key, round, key * 7 + round);
    strata_value *v = NULL;
    assert_int_equal(strata_value_from_json(&v, buf, (size_t)n, 0), 0);
    return v;
}

#define NKEYS 150
#define ROUNDS 24

/* Round r puts every key with value (k, r); the last round also deletes the odd keys. heads[r]
 * receives the entry's commit after round r. */
static void churn(strata_db *db, const char *tenant, strata_oid *heads, int64_t t0_us, int64_t step_us)
{
    for (int r = 0; r < ROUNDS; r++) {
        strata_txn *t = NULL;
        strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
        wo.user = "churner";
        wo.time_us = t0_us ? t0_us + r * step_us : 0;
        assert_int_equal(strata_txn_begin(&t, db, tenant, &wo), 0);
        for (int k = 0; k < NKEYS; k++) {
            char key[16];
            snprintf(key, sizeof key, "key%03d", k);
            if (r == ROUNDS - 1 && k % 2) {
                assert_int_equal(strata_txn_delete(t, "e", key), 0);
            } else {
                strata_value *v = val(k, r);
                assert_int_equal(strata_txn_put(t, "e", key, v), 0);
                strata_value_free(v);
            }
        }
        assert_int_equal(strata_txn_commit(NULL, t), 0);
        assert_int_equal(strata_entry_head(&heads[r], db, tenant, "e", NULL), 0);
    }
}

/* Every key of the version after round r reads back exactly. */
static void check_version(strata_db *db, const char *tenant, const strata_oid *head, int r)
{
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = head;
    for (int k = 0; k < NKEYS; k++) {
        char key[16];
        snprintf(key, sizeof key, "key%03d", k);
        strata_value *got = NULL;
        int rc = strata_records_get(&got, db, tenant, "e", key, &ro);
        if (r == ROUNDS - 1 && k % 2) {
            assert_int_equal(rc, STRATA_ENOTFOUND);
            continue;
        }
        if (rc) fprintf(stderr, "round %d key %d: %s\n", r, k, strata_error_last()->message);
        assert_int_equal(rc, 0);
        strata_value *want = val(k, r);
        assert_true(strata_value_equal(got, want));
        strata_value_free(want);
        strata_value_free(got);
    }
}

static size_t history_len(strata_db *db, const char *tenant)
{
    strata_iter *it = NULL;
    assert_int_equal(strata_entry_history(&it, db, tenant, "e", NULL, 0), 0);
    size_t n = 0;
    int rc;
    while ((rc = strata_iter_next(it)) == 0) n++;
    assert_int_equal(rc, STRATA_ITEROVER);
    strata_iter_free(it);
    return n;
}

static uint64_t file_bytes(strata_db *db)
{
    strata_space_stats st = {STRATA_SPACE_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(strata_db_stats(&st, db), 0);
    return st.file_bytes;
}

static int gc_now(strata_db *db, strata_gc_report *rep)
{
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    o.min_dead_share = 0.05;
    int rc = strata_db_gc(rep, db, &o);
    if (rc) fprintf(stderr, "gc: %s\n", strata_error_last()->message);
    return rc;
}

static void test_gc_without_policy_drops_nothing_reachable(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc0");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_oid heads[ROUNDS];
    churn(db, "t", heads, 0, 0);
    strata_gc_report rep;
    assert_int_equal(gc_now(db, &rep), 0);
    assert_true(rep.live_objects > 0);
    for (int r = 0; r < ROUNDS; r++) check_version(db, "t", &heads[r], r);
    assert_int_equal(history_len(db, "t"), ROUNDS);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    uint64_t bytes = 0, objects = 0;
    assert_int_equal(strata_tenant_usage(&bytes, &objects, db, "t"), 0);
    assert_true(bytes > 0 && objects > 0);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

static void test_gc_retention_by_count_keeps_kept_versions_exactly_and_frees_space(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc1");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_oid heads[ROUNDS];
    churn(db, "t", heads, 0, 0);
    strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
    wo.user = "admin";
    wo.message = "keep five";
    assert_int_equal(strata_retention_set(db, "t", "e", 5, 0, 1, &wo), 0);
    uint64_t keep = 0;
    int64_t age = -1;
    int audit = 0;
    assert_int_equal(strata_retention_get(&keep, &age, &audit, db, "t", "e"), 0);
    assert_int_equal(keep, 5);
    assert_int_equal(age, 0);
    assert_int_equal(audit, 1);
    assert_int_equal(strata_retention_truncated(NULL, db, "t", "e"), 0);
    uint64_t before = file_bytes(db);
    strata_gc_report rep;
    assert_int_equal(gc_now(db, &rep), 0);
    assert_true(rep.truncated >= 1);
    assert_true(rep.segments_swept >= 1);
    uint64_t after = file_bytes(db);
    fprintf(stderr, "bytes %llu -> %llu\n", (unsigned long long)before, (unsigned long long)after);
    assert_true(after * 2 < before);
    for (int r = ROUNDS - 5; r < ROUNDS; r++) check_version(db, "t", &heads[r], r);
    /* the dropped commits are gone from the store, and reads at their digests fail (the run
     * forgot the cached summaries of what it removed) */
    for (int r = 0; r < ROUNDS - 5; r++) {
        if (strata_store__has(db->store, &heads[r])) fprintf(stderr, "round %d still stored\n", r);
        assert_int_equal(strata_store__has(db->store, &heads[r]), 0);
        strata_read_options at = STRATA_READ_OPTIONS_INIT;
        at.at = &heads[r];
        strata_value *gone = NULL;
        assert_int_equal(strata_records_get(&gone, db, "t", "e", "key001", &at), STRATA_ENOTFOUND);
        assert_null(gone);
    }
    assert_int_equal(history_len(db, "t"), 5);
    uint64_t gen = 0;
    assert_int_equal(strata_retention_truncated(&gen, db, "t", "e"), 1);
    assert_int_equal(gen, ROUNDS - 4);
    uint64_t problems = 9;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    assert_int_equal(problems, 0);
    /* the audit trail names the dropped commits, oldest first */
    strata_value *a = NULL;
    assert_int_equal(strata_retention_audit(&a, db, "t", "e"), 0);
    char *json = NULL;
    assert_int_equal(strata_value_to_json(&json, NULL, a, 0), 0);
    assert_non_null(strstr(json, "\"user\":\"churner\""));
    assert_non_null(strstr(json, "\"generation\":1,"));
    strata_free(json);
    strata_value_free(a);
    /* the hidden entry is not listed */
    strata_iter *it = NULL;
    assert_int_equal(strata_entry_list(&it, db, "t", NULL), 0);
    int n = 0;
    while (strata_iter_next(it) == 0) {
        assert_memory_equal(strata_iter_key(it).data, "e", 1);
        n++;
    }
    strata_iter_free(it);
    assert_int_equal(n, 1);
    /* writes go on; a second run keeps the same window; reopen verifies */
    strata_value *v = val(1, 99);
    assert_int_equal(strata_records_put(NULL, db, "t", "e", "key001", v, NULL), 0);
    strata_value_free(v);
    assert_int_equal(gc_now(db, &rep), 0);
    assert_int_equal(history_len(db, "t"), 5);
    strata_db_close(db);
    db = open_db(dir);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    check_version(db, "t", &heads[ROUNDS - 1], ROUNDS - 1);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

static void test_gc_retention_by_age_keeps_young_commits(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc2");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_oid heads[ROUNDS];
    int64_t day = 86400LL * 1000000;
    int64_t now = strata_db__now_us();
    /* one round a day, the last one a day ago */
    churn(db, "t", heads, now - ROUNDS * day, day);
    assert_int_equal(strata_retention_set(db, "t", NULL, 0, 7 * 86400 + 3600, 0, NULL), 0);
    strata_gc_report rep;
    assert_int_equal(gc_now(db, &rep), 0);
    /* rounds made 1..7 days ago stay (7 commits) */
    assert_int_equal(history_len(db, "t"), 7);
    for (int r = ROUNDS - 7; r < ROUNDS; r++) check_version(db, "t", &heads[r], r);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    /* removing the policy keeps what is left and never drops more */
    assert_int_equal(strata_retention_set(db, "t", NULL, 0, 0, 0, NULL), 0);
    assert_int_equal(strata_retention_get(NULL, NULL, NULL, db, "t", NULL), STRATA_ENOTFOUND);
    assert_int_equal(gc_now(db, &rep), 0);
    assert_int_equal(history_len(db, "t"), 7);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

static strata_value *big(const char *tag, int n)
{
    strata_buf b = {0};
    (void)b;
    size_t len = 20000;
    char *s = malloc(len + 64);
    int k = snprintf(s, 64, "{\"tag\":\"%s\",\"n\":%d,\"data\":\"", tag, n);
    for (size_t i = 0; i < len; i++) s[k + (int)i] = (char)('a' + (i * 7 + (size_t)n) % 26);
    memcpy(s + k + len, "\"}", 2);
    strata_value *v = NULL;
    assert_int_equal(strata_value_from_json(&v, s, (size_t)k + len + 2, 0), 0);
    free(s);
    return v;
}

static void test_gc_reclaims_a_dropped_tenant_but_not_objects_others_share(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc3");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "a", NULL), 0);
    assert_int_equal(strata_tenant_init(db, "b", NULL), 0);
    strata_value *shared = big("shared", 1);
    assert_int_equal(strata_document_save(NULL, db, "a", "doc", shared, NULL), 0);
    assert_int_equal(strata_document_save(NULL, db, "b", "doc", shared, NULL), 0);
    for (int i = 0; i < 40; i++) {
        strata_value *own = big("a-only", i);
        assert_int_equal(strata_document_save(NULL, db, "a", "mine", own, NULL), 0);
        strata_value_free(own);
    }
    strata_oid a_head;
    assert_int_equal(strata_entry_head(&a_head, db, "a", "mine", NULL), 0);
    strata_commit *c = NULL;
    assert_int_equal(strata_commit_lookup(&c, db, "a", &a_head), 0);
    strata_oid a_data = *strata_commit_data(c);
    strata_commit_free(c);
    assert_int_equal(strata_tenant_drop(db, "a", NULL), 0);
    /* before GC the bytes are still there, just invisible */
    assert_int_equal(strata_store__has(db->store, &a_data), 1);
    assert_int_equal(strata_tenant_exists(db, "a"), 0);
    uint64_t before = file_bytes(db);
    strata_gc_report rep;
    assert_int_equal(gc_now(db, &rep), 0);
    uint64_t after = file_bytes(db);
    fprintf(stderr, "drop: bytes %llu -> %llu\n", (unsigned long long)before, (unsigned long long)after);
    assert_true(after * 3 < before);
    assert_int_equal(strata_store__has(db->store, &a_data), 0);
    strata_value *got = NULL;
    assert_int_equal(strata_document_load(&got, db, "b", "doc", NULL), 0);
    assert_true(strata_value_equal(got, shared));
    strata_value_free(got);
    strata_value_free(shared);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    /* the name can be used again */
    assert_int_equal(strata_tenant_init(db, "a", NULL), 0);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

typedef struct wctx {
    strata_db *db;
    atomic_int stop;
    long commits, failures;
} wctx;

static void *writer(void *arg)
{
    wctx *w = arg;
    for (long n = 0; !w->stop; n++) {
        char key[16];
        snprintf(key, sizeof key, "w%ld", n % 40);
        strata_value *v = val((int)n, 1000);
        if (strata_records_put(NULL, w->db, "t", "w", key, v, NULL) < 0) w->failures++;
        else w->commits++;
        strata_value_free(v);
    }
    return NULL;
}

typedef struct rctx {
    strata_db *db;
    strata_oid snap;
    const strata_oid *heads;
    atomic_int stop;
    long reads, failures;
} rctx;

static void *snap_reader(void *arg)
{
    rctx *r = arg;
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.snapshot = &r->snap;
    while (!r->stop) {
        strata_value *got = NULL;
        int rc = strata_records_get(&got, r->db, "t", "e", "key002", &ro);
        strata_value *want = val(2, 3);
        if (rc || !strata_value_equal(got, want)) r->failures++;
        strata_value_free(want);
        strata_value_free(got);
        r->reads++;
    }
    return NULL;
}

static void test_gc_runs_beside_a_writer_and_a_pinned_snapshot_reader(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc4");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_oid heads[ROUNDS];
    churn(db, "t", heads, 0, 0);
    /* the snapshot right after round 3 */
    strata_iter *it = NULL;
    rctx r;
    memset(&r, 0, sizeof r);
    r.db = db;
    r.heads = heads;
    {
        strata_read_options ro = STRATA_READ_OPTIONS_INIT;
        strata_oid m;
        assert_int_equal(strata_tenant_snapshot(&m, db, "t", 0), 0);
        /* walk the manifest chain back to the one whose head of "e" is heads[3] */
        for (;;) {
            ro.snapshot = &m;
            strata_oid h;
            assert_int_equal(strata_entry_head(&h, db, "t", "e", &ro), 0);
            if (memcmp(&h, &heads[3], sizeof h) == 0) break;
            strata_manifest mf;
            assert_int_equal(strata_db__load_manifest(db, &m, &mf), 0);
            m = mf.parent;
            strata_db__manifest_clear(&mf);
        }
        r.snap = m;
    }
    (void)it;
    assert_int_equal(strata_snapshot_pin(db, "t", &r.snap), 0);
    assert_int_equal(strata_retention_set(db, "t", NULL, 2, 0, 0, NULL), 0);
    wctx w;
    memset(&w, 0, sizeof w);
    w.db = db;
    pthread_t tw, tr;
    assert_int_equal(pthread_create(&tw, NULL, writer, &w), 0);
    assert_int_equal(pthread_create(&tr, NULL, snap_reader, &r), 0);
    strata_gc_report rep;
    for (int i = 0; i < 3; i++) assert_int_equal(gc_now(db, &rep), 0);
    w.stop = 1;
    r.stop = 1;
    pthread_join(tw, NULL);
    pthread_join(tr, NULL);
    fprintf(stderr, "writer: %ld commits; reader: %ld reads; last run blocked commits %lld us\n", w.commits, r.reads,
            (long long)rep.blocked_us);
    assert_int_equal(w.failures, 0);
    assert_int_equal(r.failures, 0);
    assert_true(rep.pinned == 1);
    /* the pinned view still reads whole; the writer's last values are all there */
    check_version(db, "t", &heads[3], 3);
    check_version(db, "t", &heads[ROUNDS - 1], ROUNDS - 1);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    /* after unpinning, a run lets the old version go */
    assert_int_equal(strata_snapshot_unpin(db, &r.snap), 0);
    assert_int_equal(strata_snapshot_unpin(db, &r.snap), STRATA_ENOTFOUND);
    assert_int_equal(gc_now(db, &rep), 0);
    assert_int_equal(strata_store__has(db->store, &heads[3]), 0);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

/* One crash case: build the database, arm a crash at sync n, run GC, reopen and check. */
static void crash_case(long n, int garble, long *syncs)
{
    char *dir = tu_mkdtemp("dbgccrash");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_oid heads[ROUNDS];
    churn(db, "t", heads, 0, 0);
    assert_int_equal(strata_retention_set(db, "t", "e", 3, 0, 0, NULL), 0);
    strata_vfs_faults f = {0};
    f.crash_at_sync = n;
    f.seed = (unsigned)(n * 17 + garble);
    f.garble = garble;
    strata_vfs__faults_set(&f);
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    o.min_dead_share = 0.05;
    int rc = strata_db_gc(NULL, db, &o);
    int crashed = strata_vfs__crashed();
    if (syncs) *syncs = strata_vfs__sync_count();
    strata_db_close(db);
    strata_vfs__faults_clear();
    assert_true(crashed || rc == 0);
    db = open_db(dir);
    uint64_t problems = 0;
    rc = strata_db_verify(&problems, db);
    if (rc) fprintf(stderr, "crash at sync %ld: verify: %s\n", n, strata_error_last()->message);
    assert_int_equal(rc, 0);
    for (int r = ROUNDS - 3; r < ROUNDS; r++) check_version(db, "t", &heads[r], r);
    size_t h = history_len(db, "t");
    assert_true(h >= 3);
    /* a run after recovery completes the job */
    assert_int_equal(gc_now(db, NULL), 0);
    assert_int_equal(history_len(db, "t"), 3);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

static void test_gc_crash_at_every_sync_point_of_a_run_loses_nothing(void **state)
{
    (void)state;
    long syncs = 0;
    crash_case(0, 0, &syncs);
    assert_true(syncs >= 4);
    fprintf(stderr, "a GC run makes %ld syncs\n", syncs);
    for (long n = 1; n <= syncs; n++)
        for (int garble = 0; garble < 2; garble++) crash_case(n, garble, NULL);
}

static void test_gc_bad_arguments_are_refused(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc5");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_db_gc(NULL, NULL, NULL), STRATA_EINVALID);
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    o.version = 99;
    assert_int_equal(strata_db_gc(NULL, db, &o), STRATA_EINVALID);
    assert_int_equal(strata_retention_set(db, "nope", NULL, 1, 0, 0, NULL), STRATA_ENOTFOUND);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    assert_int_equal(strata_retention_set(db, "t", "bad\x01name", 1, 0, 0, NULL), STRATA_EINVALID);
    assert_int_equal(strata_retention_set(db, "t", NULL, 1, -5, 0, NULL), STRATA_EINVALID);
    strata_oid zero;
    memset(&zero, 0, sizeof zero);
    assert_int_equal(strata_snapshot_pin(db, "t", &zero), STRATA_ENOTFOUND);
    strata_space_stats st;
    memset(&st, 0, sizeof st);
    assert_int_equal(strata_db_stats(&st, db), STRATA_EINVALID);
    assert_int_equal(strata_tenant_usage(NULL, NULL, db, "t"), STRATA_ENOTFOUND);
    assert_int_equal(strata_db_auto_gc(db, 2.0, 10, NULL), STRATA_EINVALID);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

/* The automatic GC's arguments are checked before anything changes: a NaN or infinite share, a
 * share above 1, a check interval above INT_MAX ms (a negative int converted to unsigned) and
 * GC options whose own share is bad are EINVALID naming the argument, and the thread already
 * running keeps its settings. */
static int auto_state(strata_db *db, double *share, unsigned *ms)
{
    pthread_mutex_lock(&db->gc->mu);
    int on = db->gc->thread_on;
    *share = db->gc->auto_share;
    *ms = db->gc->auto_ms;
    pthread_mutex_unlock(&db->gc->mu);
    return on;
}

static void test_gc_automatic_refuses_bad_shares_and_intervals_changing_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc7");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    assert_int_equal(strata_db_auto_gc(db, 0.3, 50, NULL), 0);
    double share;
    unsigned ms;
    const double bad[] = {NAN, -NAN, INFINITY, -INFINITY, 1.5};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(strata_db_auto_gc(db, bad[i], 10, NULL), STRATA_EINVALID);
        assert_non_null(strstr(strata_error_last()->message, "dead share"));
        assert_true(auto_state(db, &share, &ms));
        assert_true(share == 0.3 && ms == 50);
    }
    const unsigned bad_ms[] = {(unsigned)-1, (unsigned)INT_MAX + 1u};
    for (size_t i = 0; i < sizeof bad_ms / sizeof *bad_ms; i++) {
        assert_int_equal(strata_db_auto_gc(db, 0.5, bad_ms[i], NULL), STRATA_EINVALID);
        assert_non_null(strstr(strata_error_last()->message, "check_ms"));
        assert_true(auto_state(db, &share, &ms));
        assert_true(share == 0.3 && ms == 50);
    }
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    const double bad_min[] = {NAN, -0.5, 2.0, INFINITY};
    for (size_t i = 0; i < sizeof bad_min / sizeof *bad_min; i++) {
        o.min_dead_share = bad_min[i];
        assert_int_equal(strata_db_auto_gc(db, 0.5, 10, &o), STRATA_EINVALID);
        assert_non_null(strstr(strata_error_last()->message, "min_dead_share"));
        assert_true(auto_state(db, &share, &ms));
        assert_true(share == 0.3 && ms == 50);
    }
    o.min_dead_share = 1.0;
    assert_int_equal(strata_db_auto_gc(db, 1.0, INT_MAX, &o), 0);
    assert_true(auto_state(db, &share, &ms));
    assert_true(share == 1.0 && ms == INT_MAX);
    assert_int_equal(strata_db_auto_gc(db, -1.0, 0, NULL), 0); /* <= 0 stops it */
    assert_false(auto_state(db, &share, &ms));
    strata_db_close(db);
    tu_rmdir_free(dir);
}

static void test_gc_automatic_runs_when_dead_share_passes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbgc6");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    assert_int_equal(strata_retention_set(db, "t", NULL, 2, 0, 0, NULL), 0);
    assert_int_equal(strata_db_auto_gc(db, 0.3, 20, NULL), 0);
    strata_oid heads[ROUNDS];
    churn(db, "t", heads, 0, 0);
    strata_space_stats st = {STRATA_SPACE_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 300; i++) {
        assert_int_equal(strata_db_stats(&st, db), 0);
        if (st.gc_runs >= 2) break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(st.gc_runs >= 1);
    assert_true(st.last_gc_us > 0);
    check_version(db, "t", &heads[ROUNDS - 1], ROUNDS - 1);
    assert_int_equal(strata_db_auto_gc(db, 0, 0, NULL), 0);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gc_without_policy_drops_nothing_reachable),
        cmocka_unit_test(test_gc_retention_by_count_keeps_kept_versions_exactly_and_frees_space),
        cmocka_unit_test(test_gc_retention_by_age_keeps_young_commits),
        cmocka_unit_test(test_gc_reclaims_a_dropped_tenant_but_not_objects_others_share),
        cmocka_unit_test(test_gc_runs_beside_a_writer_and_a_pinned_snapshot_reader),
        cmocka_unit_test(test_gc_crash_at_every_sync_point_of_a_run_loses_nothing),
        cmocka_unit_test(test_gc_bad_arguments_are_refused),
        cmocka_unit_test(test_gc_automatic_refuses_bad_shares_and_intervals_changing_nothing),
        cmocka_unit_test(test_gc_automatic_runs_when_dead_share_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
