/* Fault-injection tests of the object store: a simulated power loss at every sync point of a
 * multi-publish workload, out-of-memory at every allocation of open/put/publish, injected
 * write and sync failures, and two processes (writer lock, read-only refresh). */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_int.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/vfs.h"

static strata_durability durability = STRATA_DURABILITY_FULL;

static int open_with(strata_store **s, const char *dir, int create, uint64_t segsize)
{
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = create;
    o.segment_size = segsize;
    o.durability = durability;
    o.normal_sync_ms = 100000; /* NORMAL: only rotation and close sync, deterministically */
    return strata_store__open(s, dir, &o);
}

/* The workload: batch k puts a few objects and a manifest object listing them and the previous
 * manifest, then publishes the manifest as "main". acked[k] = 1 when publish k returned 0. */
#define BATCHES 8
static int workload(const char *dir, strata_oid manifests[BATCHES], int acked[BATCHES], uint64_t seed)
{
    strata_store *s = NULL;
    int rc = open_with(&s, dir, 0, 6000);
    if (rc) return rc;
    strata_oid prev;
    memset(&prev, 0, sizeof prev);
    uint64_t rs = seed;
    for (int k = 0; k < BATCHES; k++) {
        uint8_t man[32 * 8];
        size_t mlen = 0;
        memcpy(man, prev.id, 32);
        mlen = 32;
        int nobj = 1 + (int)(k % 4);
        for (int j = 0; j < nobj; j++) {
            uint8_t buf[900];
            size_t n = 100 + (size_t)tu_below(&rs, 800);
            for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)(j % 2 ? tu_rand(&rs) : i % 13);
            buf[0] = (uint8_t)k;
            buf[1] = (uint8_t)j;
            strata_oid o;
            if ((rc = strata_store__put(s, 'B', buf, n, &o)) != 0) goto done;
            memcpy(man + mlen, o.id, 32);
            mlen += 32;
        }
        strata_oid m;
        if ((rc = strata_store__put(s, 'M', man, mlen, &m)) != 0) goto done;
        manifests[k] = m;
        if ((rc = strata_store__publish(s, "main", &m)) != 0) goto done;
        acked[k] = 1;
        prev = m;
    }
done:
    strata_store__close(s);
    return rc;
}

/* Walk the manifest chain from `root`: every object must read back and verify. */
static void check_reachable(strata_store *s, const strata_oid *root)
{
    strata_oid cur = *root;
    strata_oid zero;
    memset(&zero, 0, sizeof zero);
    int depth = 0;
    while (memcmp(&cur, &zero, sizeof cur) != 0) {
        uint8_t *m = NULL, t;
        size_t ml;
        int rc = strata_store__get(s, &cur, &t, &m, &ml);
        if (rc) fprintf(stderr, "get manifest: %s\n", strata_error_last()->message);
        assert_int_equal(rc, 0);
        assert_int_equal(t, 'M');
        assert_true(ml >= 32 && ml % 32 == 0);
        for (size_t i = 32; i < ml; i += 32) {
            strata_oid o;
            memcpy(o.id, m + i, 32);
            uint8_t *d = NULL;
            size_t dl;
            rc = strata_store__get(s, &o, NULL, &d, &dl);
            if (rc) fprintf(stderr, "get object: %s\n", strata_error_last()->message);
            assert_int_equal(rc, 0);
            strata_mem__free(d);
        }
        memcpy(cur.id, m, 32);
        strata_mem__free(m);
        assert_true(++depth <= BATCHES);
    }
}

static void test_store_crash_at_every_sync_keeps_every_acknowledged_publish(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("store_crash");
    /* count the syncs of one clean run */
    char *dir = tu_mkdtemp("store_crash0");
    strata_store *s;
    assert_int_equal(open_with(&s, dir, 1, 6000), 0);
    strata_store__close(s);
    strata_vfs_faults f = {0};
    strata_vfs__faults_set(&f);
    strata_oid mans[BATCHES];
    int acked[BATCHES] = {0};
    assert_int_equal(workload(dir, mans, acked, seed), 0);
    long nsync = strata_vfs__sync_count();
    strata_vfs__faults_clear();
    tu_rmdir_free(dir);
    assert_true(nsync > (durability == STRATA_DURABILITY_FULL ? BATCHES : 1));
    for (long n = 1; n <= nsync; n++) {
        for (int garble = 0; garble < 2; garble++) {
            dir = tu_mkdtemp("store_crash");
            assert_int_equal(open_with(&s, dir, 1, 6000), 0);
            strata_store__close(s);
            memset(acked, 0, sizeof acked);
            strata_vfs_faults cf = {0};
            cf.crash_at_sync = n;
            cf.seed = (unsigned)(seed + (uint64_t)n * 7 + (uint64_t)garble);
            cf.garble = garble;
            strata_vfs__faults_set(&cf);
            int rc = workload(dir, mans, acked, seed);
            int crashed = strata_vfs__crashed();
            strata_vfs__faults_clear();
            assert_true(crashed || rc == 0);
            rc = open_with(&s, dir, 0, 6000);
            if (rc) fprintf(stderr, "crash at sync %ld (garble %d): reopen: %s\n", n, garble,
                            strata_error_last()->message);
            assert_int_equal(rc, 0);
            int last = -1;
            for (int k = 0; k < BATCHES; k++)
                if (acked[k]) last = k;
            if (durability == STRATA_DURABILITY_NORMAL) {
                /* never corrupt: some published manifest (or none), fully readable */
                strata_oid r;
                int rrc = strata_store__root(s, "main", &r);
                if (rrc == 0) {
                    int known = 0;
                    for (int k = 0; k < BATCHES; k++) known |= memcmp(&r, &mans[k], sizeof r) == 0;
                    assert_true(known);
                    check_reachable(s, &r);
                } else {
                    assert_int_equal(rrc, STRATA_ENOTFOUND);
                }
                last = -2;
            }
            strata_oid root;
            rc = strata_store__root(s, "main", &root);
            if (last == -2) {
                /* checked above */
            } else if (last < 0) {
                if (rc == 0) check_reachable(s, &root);
                else assert_int_equal(rc, STRATA_ENOTFOUND);
            } else {
                assert_int_equal(rc, 0);
                /* the last acknowledged publish, or the one in flight when power failed */
                int ok = memcmp(&root, &mans[last], sizeof root) == 0 ||
                         (last + 1 < BATCHES && memcmp(&root, &mans[last + 1], sizeof root) == 0);
                if (!ok) fprintf(stderr, "crash at sync %ld: root is not publish %d or %d\n", n, last, last + 1);
                assert_true(ok);
                check_reachable(s, &root);
            }
            /* the store goes on working after recovery */
            strata_oid o;
            assert_int_equal(strata_store__put(s, 'B', "after", 5, &o), 0);
            assert_int_equal(strata_store__publish(s, "after", &o), 0);
            assert_int_equal(strata_store__verify(s, NULL, NULL, NULL), 0);
            strata_store__close(s);
            tu_rmdir_free(dir);
        }
    }
}

static void test_store_crash_at_every_sync_under_normal_is_never_corrupt(void **state)
{
    durability = STRATA_DURABILITY_NORMAL;
    test_store_crash_at_every_sync_keeps_every_acknowledged_publish(state);
    durability = STRATA_DURABILITY_FULL;
}

static void make_sample_store(const char *dir, strata_oid *root)
{
    strata_store *s;
    assert_int_equal(open_with(&s, dir, 1, 3000), 0);
    for (int i = 0; i < 20; i++) {
        char b[700];
        memset(b, 'a' + i, sizeof b);
        for (int j = 0; j < 700; j += 7) b[j] = (char)(i * j);
        assert_int_equal(strata_store__put(s, 'B', b, sizeof b, root), 0);
        if (i % 5 == 4) assert_int_equal(strata_store__publish(s, i % 10 == 4 ? "a" : "b", root), 0);
    }
    strata_store__close(s);
}

static void test_store_out_of_memory_at_every_allocation_of_open(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_oom_open");
    strata_oid root, got;
    make_sample_store(dir, &root);
    char *idx = tu_path(dir, "0000000000000002.idx");
    remove(idx); /* so open also rebuilds an index */
    free(idx);
    int done = 0;
    for (long n = 1; !done && n < 100000; n++) {
        strata_store *s = NULL;
        strata_mem__fail_at(n, 0);
        int rc = open_with(&s, dir, 0, 3000);
        int fired = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        if (!fired) {
            assert_int_equal(rc, 0);
            done = 1;
        } else {
            assert_true(rc == 0 || rc == STRATA_ENOMEM);
            if (rc) assert_null(s);
        }
        if (s) {
            assert_int_equal(strata_store__root(s, "b", &got), 0);
            assert_memory_equal(&got, &root, sizeof got);
        }
        strata_store__close(s);
    }
    assert_true(done);
    tu_rmdir_free(dir);
}

static void test_store_out_of_memory_at_every_allocation_of_put_and_publish(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_oom_put");
    strata_oid root;
    make_sample_store(dir, &root);
    strata_store *s;
    assert_int_equal(open_with(&s, dir, 0, 3000), 0);
    strata_oid ok[400];
    int nok = 0;
    strata_oid last_pub = root;
    int steps = 0;
    for (long n = 1; n < 400 && steps < 120; n++) {
        char b[600];
        memset(b, 'x', sizeof b);
        snprintf(b, sizeof b, "oom object %ld", n);
        b[strlen(b)] = 'y';
        strata_oid o;
        strata_mem__fail_at(n % 40 + 1, 0);
        int rc = strata_store__put(s, 'B', b, n % 3 ? sizeof b : 40, &o);
        strata_mem__fail_at(0, 0);
        assert_true(rc == 0 || rc == STRATA_ENOMEM);
        if (rc == 0) ok[nok++] = o;
        else {
            assert_int_equal(strata_error_last()->code, STRATA_ENOMEM);
            strata_hash__object(&o, 'B', b, n % 3 ? sizeof b : 40);
            assert_int_equal(strata_store__has(s, &o), 0);
        }
        if (nok) {
            strata_mem__fail_at(n % 7 + 1, 0);
            rc = strata_store__publish(s, n % 2 ? "a" : "c", &ok[nok - 1]);
            strata_mem__fail_at(0, 0);
            assert_true(rc == 0 || rc == STRATA_ENOMEM);
            if (rc == 0 && n % 2 == 0) last_pub = ok[nok - 1];
        }
        steps++;
    }
    /* every allocation index of a single put, exactly */
    for (long n = 1; n < 60; n++) {
        char b[3000];
        memset(b, (int)n, sizeof b);
        strata_oid o;
        strata_mem__fail_at(n, 0);
        int rc = strata_store__put(s, 'B', b, sizeof b, &o);
        strata_mem__fail_at(0, 0);
        assert_true(rc == 0 || rc == STRATA_ENOMEM);
        if (rc == 0) ok[nok++] = o;
    }
    strata_store__close(s);
    assert_int_equal(open_with(&s, dir, 0, 3000), 0);
    for (int i = 0; i < nok; i++) {
        uint8_t *d;
        size_t l;
        assert_int_equal(strata_store__get(s, &ok[i], NULL, &d, &l), 0);
        strata_mem__free(d);
    }
    strata_oid got;
    if (memcmp(&last_pub, &root, sizeof root) != 0) {
        assert_int_equal(strata_store__root(s, "c", &got), 0);
        assert_memory_equal(&got, &last_pub, sizeof got);
    }
    assert_int_equal(strata_store__verify(s, NULL, NULL, NULL), 0);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_failed_sync_refuses_further_writes_until_reopen(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_syncfail");
    strata_store *s;
    assert_int_equal(open_with(&s, dir, 1, 0), 0);
    strata_oid a, b;
    assert_int_equal(strata_store__put(s, 'B', "a", 1, &a), 0);
    assert_int_equal(strata_store__publish(s, "main", &a), 0);
    strata_vfs_faults f = {0};
    f.fail_sync_at = 1;
    strata_vfs__faults_set(&f);
    assert_int_equal(strata_store__put(s, 'B', "b", 1, &b), 0);
    assert_int_equal(strata_store__publish(s, "main", &b), STRATA_EIO);
    strata_vfs__faults_clear();
    assert_int_equal(strata_store__put(s, 'B', "c", 1, &b), STRATA_EIO);
    /* reads still work */
    uint8_t *d;
    size_t l;
    assert_int_equal(strata_store__get(s, &a, NULL, &d, &l), 0);
    strata_mem__free(d);
    strata_store__close(s);
    assert_int_equal(open_with(&s, dir, 0, 0), 0);
    assert_int_equal(strata_store__has(s, &a), 1);
    strata_store__close(s);
    /* a failed write changes nothing visible */
    assert_int_equal(open_with(&s, dir, 0, 0), 0);
    f.fail_sync_at = 0;
    f.short_write_at = 1;
    strata_vfs__faults_set(&f);
    assert_int_equal(strata_store__put(s, 'B', "short write", 11, &b), STRATA_EIO);
    strata_vfs__faults_clear();
    strata_hash__object(&b, 'B', "short write", 11);
    assert_int_equal(strata_store__has(s, &b), 0);
    assert_int_equal(strata_store__put(s, 'B', "d", 1, &b), 0);
    assert_int_equal(strata_store__publish(s, "main", &b), 0);
    strata_store__close(s);
    assert_int_equal(open_with(&s, dir, 0, 0), 0);
    strata_oid got;
    assert_int_equal(strata_store__root(s, "main", &got), 0);
    assert_memory_equal(&got, &b, sizeof got);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

/* Many writers (issue 15): a second read-write handle in this process and one in another
 * process open while the first is open; all three write, and each sees the others' roots. The
 * write lock is taken per write only: a process holding LOCK makes the others wait (or, with
 * lock_wait_ms, fail with STRATA_EBUSY), never refuses them at open. */
static void test_store_second_writer_shares_the_store_in_process_and_across_processes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_busy");
    strata_store *s, *s2 = NULL;
    assert_int_equal(open_with(&s, dir, 1, 0), 0);
    assert_int_equal(open_with(&s2, dir, 0, 0), 0);
    strata_oid a, b, got;
    assert_int_equal(strata_store__put(s, 'B', "one", 3, &a), 0);
    assert_int_equal(strata_store__publish(s, "first", &a), 0);
    assert_int_equal(strata_store__put(s2, 'B', "two", 3, &b), 0);
    assert_int_equal(strata_store__publish(s2, "second", &b), 0);
    /* s2 refreshed under the lock before it wrote: it sees "first"; s sees "second" after a refresh */
    assert_int_equal(strata_store__root(s2, "first", &got), 0);
    assert_memory_equal(&got, &a, sizeof got);
    assert_int_equal(strata_store__refresh(s), 0);
    assert_int_equal(strata_store__root(s, "second", &got), 0);
    assert_memory_equal(&got, &b, sizeof got);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        strata_store *c = NULL;
        strata_oid x, y;
        int ok = open_with(&c, dir, 0, 0) == 0 && strata_store__root(c, "second", &y) == 0 &&
                 strata_store__put(c, 'B', "three", 5, &x) == 0 && strata_store__publish(c, "third", &x) == 0;
        strata_store__close(c);
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    strata_oid c3;
    strata_hash__object(&c3, 'B', "three", 5);
    assert_int_equal(strata_store__refresh(s), 0);
    assert_int_equal(strata_store__root(s, "third", &got), 0);
    assert_memory_equal(&got, &c3, sizeof got);
    uint8_t *d;
    size_t l;
    assert_int_equal(strata_store__get(s, &c3, NULL, &d, &l), 0);
    assert_memory_equal(d, "three", 5);
    strata_mem__free(d);
    /* a process holding the write lock: a bounded wait fails with EBUSY, an unbounded one waits */
    assert_int_equal(strata_store__lock(s), 0);
    pid = fork();
    if (pid == 0) {
        strata_store_options o = STRATA_STORE_OPTIONS_INIT;
        o.lock_wait_ms = 30;
        strata_store *c = NULL;
        strata_oid x;
        int rc = strata_store__open(&c, dir, &o);
        strata_store__close(c);
        o.lock_wait_ms = 0; /* wait */
        int rc2 = strata_store__open(&c, dir, &o);
        int rc3 = rc2 ? rc2 : strata_store__put(c, 'B', "four", 4, &x);
        strata_store__close(c);
        _exit(rc == STRATA_EBUSY && rc3 == 0 ? 0 : 1);
    }
    usleep(200 * 1000);
    strata_store__unlock(s);
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    strata_store__close(s2);
    strata_store__close(s);
    /* everything verifies */
    assert_int_equal(open_with(&s, dir, 0, 0), 0);
    strata_store_verify_report vr;
    assert_int_equal(strata_store__verify(s, &vr, NULL, NULL), 0);
    assert_int_equal(vr.problems, 0);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_reader_process_sees_new_roots_after_refresh(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_reader");
    strata_store *s;
    assert_int_equal(open_with(&s, dir, 1, 4096), 0);
    strata_oid a, b;
    assert_int_equal(strata_store__put(s, 'B', "version a", 9, &a), 0);
    assert_int_equal(strata_store__publish(s, "main", &a), 0);
    int to_child[2], to_parent[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(to_parent), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        strata_store_options o = STRATA_STORE_OPTIONS_INIT;
        o.read_only = 1;
        strata_store *r = NULL;
        int fail = 0;
        char c = 0;
        if (strata_store__open(&r, dir, &o) != 0) _exit(10);
        strata_oid got;
        if (strata_store__root(r, "main", &got) || memcmp(&got, &a, sizeof got)) fail = 11;
        if (write(to_parent[1], "r", 1) != 1) fail = 12;
        if (read(to_child[0], &c, 1) != 1) fail = 13;
        /* the writer published b after many puts (several new segments) */
        if (!fail && strata_store__refresh(r)) fail = 14;
        strata_oid want_b; /* computed here: the child was forked before the parent made b */
        strata_hash__object(&want_b, 'B', "version b", 9);
        if (!fail && (strata_store__root(r, "main", &got) || memcmp(&got, &want_b, sizeof got))) fail = 15;
        uint8_t *d = NULL;
        size_t l = 0;
        if (!fail && (strata_store__get(r, &got, NULL, &d, &l) || l != 9 || memcmp(d, "version b", 9)))
            fail = 16;
        strata_mem__free(d);
        if (!fail && strata_store__put(r, 'B', "x", 1, &got) != STRATA_EINVALID) fail = 17;
        strata_store__close(r);
        _exit(fail);
    }
    char c;
    assert_int_equal(read(to_parent[0], &c, 1), 1);
    for (int i = 0; i < 40; i++) {
        char buf[500];
        memset(buf, i, sizeof buf);
        for (int j = 0; j < 500; j += 3) buf[j] = (char)(j * i + 7);
        strata_oid o;
        assert_int_equal(strata_store__put(s, 'B', buf, sizeof buf, &o), 0);
    }
    assert_int_equal(strata_store__put(s, 'B', "version b", 9, &b), 0);
    assert_int_equal(strata_store__publish(s, "main", &b), 0);
    assert_int_equal(write(to_child[1], "g", 1), 1);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "reader child failed: status %d\n", WEXITSTATUS(status));
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    strata_store__close(s);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_crash_at_every_sync_keeps_every_acknowledged_publish),
        cmocka_unit_test(test_store_crash_at_every_sync_under_normal_is_never_corrupt),
        cmocka_unit_test(test_store_out_of_memory_at_every_allocation_of_open),
        cmocka_unit_test(test_store_out_of_memory_at_every_allocation_of_put_and_publish),
        cmocka_unit_test(test_store_failed_sync_refuses_further_writes_until_reopen),
        cmocka_unit_test(test_store_second_writer_shares_the_store_in_process_and_across_processes),
        cmocka_unit_test(test_store_reader_process_sees_new_roots_after_refresh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
