/* Fault injection through the database API: out-of-memory at every allocation of a write
 * (save, put_many, a two-entry transaction) and of reads, and an I/O failure at every write and
 * sync of a commit. After each failure the call returned an error, the database holds either the
 * complete old or the complete new state, and it keeps working (after a reopen for I/O errors). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "util/mem.h"
#include "util/vfs.h"

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    if (strata_value_from_json(&v, json, strlen(json), 0)) fail_msg("bad JSON %s", json);
    return v;
}

static char *json_of(strata_value *v)
{
    char *s = NULL;
    assert_int_equal(strata_value_to_json(&s, NULL, v, 0), 0);
    return s;
}

/* The state of entries "doc" and "recs" as one string. */
static char *state_of(strata_db *db)
{
    strata_value *d = NULL, *r = NULL;
    assert_int_equal(strata_document_load(&d, db, "t", "doc", NULL), 0);
    assert_int_equal(strata_records_get_all(&r, db, "t", "recs", NULL), 0);
    char *a = json_of(d), *b = json_of(r);
    char *s = malloc(strlen(a) + strlen(b) + 2);
    sprintf(s, "%s|%s", a, b);
    strata_free(a);
    strata_free(b);
    strata_value_free(d);
    strata_value_free(r);
    return s;
}

/* One transaction touching both entries with values numbered n (the value is made before
 * faults are armed: only the database's own work runs under injection). */
static int write_step_v(strata_db *db, const char *buf, strata_value *v);

static int write_step(strata_db *db, int n)
{
    char buf[64];
    snprintf(buf, sizeof buf, "{\"v\":%d}", n);
    strata_value *v = J(buf);
    int rc = write_step_v(db, buf, v);
    strata_value_free(v);
    return rc;
}

static strata_value *pending;
static char pending_buf[64];

static void prepare(int n)
{
    snprintf(pending_buf, sizeof pending_buf, "{\"v\":%d}", n);
    pending = J(pending_buf);
}

static int run_prepared(strata_db *db)
{
    int rc = write_step_v(db, pending_buf, pending);
    strata_value_free(pending);
    pending = NULL;
    return rc;
}

static int write_step_v(strata_db *db, const char *buf, strata_value *v)
{
    strata_txn *t = NULL;
    int rc = strata_txn_begin(&t, db, "t", NULL);
    if (rc == 0) rc = strata_txn_save(t, "doc", v);
    if (rc == 0) rc = strata_txn_put(t, "recs", "a", v);
    if (rc == 0) rc = strata_txn_put(t, "recs", buf, v);
    if (rc == 0) rc = strata_txn_commit(NULL, t);
    else strata_txn_abort(t);
    return rc;
}

static strata_db *open_db(const char *dir)
{
    strata_db *db = NULL;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    int rc = strata_db_open(&db, dir, &o);
    if (rc) fail_msg("open: %s", strata_error_last()->message);
    return db;
}

static void test_db_out_of_memory_at_every_allocation_changes_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dboom");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    assert_int_equal(write_step(db, 0), 0);
    int failures = 0;
    for (long n = 1;; n++) {
        char *before = state_of(db);
        prepare((int)n);
        strata_mem__fail_at(n, 1);
        int rc = run_prepared(db);
        int fired = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        char *after = state_of(db);
        if (!fired) {
            assert_int_equal(rc, 0);
            free(before);
            free(after);
            break;
        }
        failures++;
        assert_int_equal(rc, STRATA_ENOMEM);
        assert_string_equal(before, after); /* nothing changed */
        free(before);
        free(after);
    }
    fprintf(stderr, "%d allocation failures injected into one transaction\n", failures);
    assert_true(failures > 10);
    /* reads under OOM fail cleanly too */
    for (long n = 1; n < 200; n++) {
        strata_value *v = NULL;
        strata_mem__fail_at(n, 1);
        int rc = strata_records_get(&v, db, "t", "recs", "a", NULL);
        int fired = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        if (!fired) {
            assert_int_equal(rc, 0);
            strata_value_free(v);
            break;
        }
        assert_int_equal(rc, STRATA_ENOMEM);
        assert_null(v);
    }
    uint64_t problems = 1;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

/* Opening fails cleanly at every allocation: STRATA_ENOMEM, no handle, nothing leaked, nothing
 * torn down that was not set up (the write mutex included), and the database opens afterwards. */
static void test_db_open_out_of_memory_at_every_allocation_fails_cleanly(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbopenoom");
    strata_db *db = open_db(dir); /* create it, so every later open takes the same path */
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_db_close(db);
    int failures = 0;
    for (long n = 1;; n++) {
        strata_db_options o = STRATA_DB_OPTIONS_INIT;
        db = (strata_db *)&o; /* must be reset to NULL on failure */
        strata_mem__fail_at(n, 1);
        int rc = strata_db_open(&db, dir, &o);
        int fired = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        if (!fired) {
            assert_int_equal(rc, 0);
            break;
        }
        failures++;
        assert_int_equal(rc, STRATA_ENOMEM);
        assert_null(db);
    }
    fprintf(stderr, "%d allocation failures injected into open\n", failures);
    assert_true(failures >= 2); /* the handle and its path at least */
    assert_int_equal(strata_tenant_exists(db, "t"), 1);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

static void test_db_io_failure_at_every_write_and_sync_is_all_or_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbio");
    strata_db *db = open_db(dir);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    assert_int_equal(write_step(db, 0), 0);
    /* count the writes and syncs of one step */
    strata_vfs_faults none = {0};
    strata_vfs__faults_set(&none);
    assert_int_equal(write_step(db, 1), 0);
    long writes = strata_vfs__write_count(), syncs = strata_vfs__sync_count();
    strata_vfs__faults_clear();
    fprintf(stderr, "one transaction: %ld writes, %ld syncs\n", writes, syncs);
    assert_true(writes >= 1);
    assert_true(syncs >= 1);
    int step = 2;
    for (int kind = 0; kind < 3; kind++) {
        long limit = kind == 2 ? syncs : writes;
        for (long n = 1; n <= limit; n++, step++) {
            char *before = state_of(db);
            strata_vfs_faults f = {0};
            if (kind == 0) f.fail_write_at = n;
            else if (kind == 1) f.short_write_at = n;
            else f.fail_sync_at = n;
            prepare(step);
            strata_vfs__faults_set(&f);
            int rc = run_prepared(db);
            strata_vfs__faults_clear();
            /* reopen: the failed step is either wholly there or wholly absent */
            strata_db_close(db);
            db = open_db(dir);
            char *after = state_of(db);
            if (rc == 0 || strcmp(before, after) != 0) {
                char want[64];
                snprintf(want, sizeof want, "{\"v\":%d}|", step);
                if (strncmp(after, want, strlen(want)) != 0)
                    fail_msg("fault %d/%ld: state is neither old nor new: %s", kind, n, after);
            } else {
                assert_int_equal(rc, STRATA_EIO);
            }
            uint64_t problems = 1;
            if (strata_db_verify(&problems, db) != 0) fail_msg("verify after fault: %s", strata_error_last()->message);
            free(before);
            free(after);
            /* and the database keeps working */
            assert_int_equal(write_step(db, 100000 + step), 0);
        }
    }
    strata_db_close(db);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_db_out_of_memory_at_every_allocation_changes_nothing),
        cmocka_unit_test(test_db_open_out_of_memory_at_every_allocation_fails_cleanly),
        cmocka_unit_test(test_db_io_failure_at_every_write_and_sync_is_all_or_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
