/* Many writers, many processes (issue 15, docs/concurrency.md): every process may open the
 * database read-write, the write lock is taken per commit.
 *
 *  - N processes × M threads commit to shared and distinct entries, and increment one counter
 *    item by conditional puts (read n, put n+1 if n is still n): the final value is the number
 *    of acknowledged increments, every distinct record is there, verify is clean; meanwhile the
 *    parent reads the counter through its own read-write handle and never sees it go back.
 *  - SIGKILL of random writer processes, two writers at a time, many rounds
 *    (STRATA_MW_KILLS, default 300 kills): every acknowledged commit is present, verify clean.
 *  - GC in one process while another writes and reads.
 * Knobs: STRATA_MW_PROCS, STRATA_MW_THREADS, STRATA_MW_OPS, STRATA_MW_KILLS. */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"

static int env_int(const char *name, int def)
{
    const char *e = getenv(name);
    return e && atoi(e) > 0 ? atoi(e) : def;
}

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    if (strata_value_from_json(&v, json, strlen(json), 0) != 0) return NULL;
    return v;
}

/* n of the counter item, or -1 */
static long counter_of(strata_db *db)
{
    strata_value *key = J("{\"id\":\"c\"}"), *item = NULL;
    long n = -1;
    int rc = strata_table_get_item(&item, db, "t", "counters", key, NULL, NULL, NULL);
    if (rc) fprintf(stderr, "counter: %s\n", strata_error_last()->message);
    if (rc == 0) {
        char *json = NULL;
        if (strata_value_to_json(&json, NULL, item, 0) == 0) {
            const char *p = strstr(json, "\"n\":");
            if (p) n = strtol(p + 4, NULL, 10);
            strata_free(json);
        }
        strata_value_free(item);
    }
    strata_value_free(key);
    return n;
}

/* One conditional increment: 0 acknowledged, STRATA_ECONDITION lost the race, else an error. */
static int increment(strata_db *db)
{
    long n = counter_of(db);
    if (n < 0) return -100;
    char item[64], vals[64];
    snprintf(item, sizeof item, "{\"id\":\"c\",\"n\":%ld}", n + 1);
    snprintf(vals, sizeof vals, "{\":old\":%ld}", n);
    strata_value *it = J(item), *vs = J(vals);
    strata_item_options io = {STRATA_ITEM_OPTIONS_VERSION, "n = :old", NULL, vs, 0};
    int rc = strata_table_put_item(NULL, db, "t", "counters", it, &io, NULL);
    strata_value_free(it);
    strata_value_free(vs);
    return rc;
}

static void setup_db(const char *dir)
{
    strata_db *db = NULL;
    assert_int_equal(strata_db_open(&db, dir, NULL), 0);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    sc.pk = "id";
    assert_int_equal(strata_table_create(NULL, db, "t", "counters", &sc, NULL), 0);
    strata_value *zero = J("{\"id\":\"c\",\"n\":0}");
    assert_int_equal(strata_table_put_item(NULL, db, "t", "counters", zero, NULL, NULL), 0);
    strata_value_free(zero);
    strata_db_close(db);
}

/* ---- N processes × M threads ---------------------------------------------------------------- */

typedef struct worker {
    strata_db *db;
    int proc, thread, ops;
    long acked;  /* increments acknowledged */
    int failed;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    strata_value *v = J("{\"x\":1}");
    for (int i = 0; i < w->ops && !w->failed; i++) {
        int rc;
        while ((rc = increment(w->db)) == STRATA_ECONDITION) {}
        if (rc == 0) w->acked++;
        else w->failed = rc;
        char key[64];
        snprintf(key, sizeof key, "p%d-t%d-%d", w->proc, w->thread, i);
        if (!w->failed && (rc = strata_records_put(NULL, w->db, "t", "distinct", key, v, NULL)) < 0) w->failed = rc;
        snprintf(key, sizeof key, "k%d", i % 8);
        if (!w->failed && (rc = strata_records_put(NULL, w->db, "t", "shared", key, v, NULL)) < 0) w->failed = rc;
        /* a document per process: another entry, touched by several threads */
        snprintf(key, sizeof key, "doc-p%d", w->proc);
        if (!w->failed && (rc = strata_document_save(NULL, w->db, "t", key, v, NULL)) < 0) w->failed = rc;
    }
    if (w->failed) fprintf(stderr, "worker p%d t%d: %d %s\n", w->proc, w->thread, w->failed, strata_error_last()->message);
    strata_value_free(v);
    return NULL;
}

/* A process: one handle shared by `threads` threads (group commit among them); writes its
 * acknowledged increments to fd. */
static void proc_main(const char *dir, int proc, int threads, int ops, int fd)
{
    strata_db *db = NULL;
    if (strata_db_open(&db, dir, NULL) != 0) _exit(3);
    worker ws[16];
    pthread_t th[16];
    for (int i = 0; i < threads; i++) {
        ws[i] = (worker){db, proc, i, ops, 0, 0};
        pthread_create(&th[i], NULL, worker_main, &ws[i]);
    }
    long acked = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        acked += ws[i].acked;
        failed |= ws[i].failed != 0;
    }
    strata_db_close(db);
    if (write(fd, &acked, sizeof acked) != (ssize_t)sizeof acked) _exit(4);
    _exit(failed ? 5 : 0);
}

static void test_mw_processes_and_threads_commit_conditionally(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("mw");
    int procs = env_int("STRATA_MW_PROCS", 3), threads = env_int("STRATA_MW_THREADS", 3),
        ops = env_int("STRATA_MW_OPS", 40);
    if (threads > 16) threads = 16;
    setup_db(dir);
    strata_db *db = NULL; /* the parent's own read-write handle, open throughout */
    assert_int_equal(strata_db_open(&db, dir, NULL), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pids[64];
    if (procs > 64) procs = 64;
    for (int i = 0; i < procs; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(p[0]);
            proc_main(dir, i, threads, ops, p[1]);
        }
    }
    close(p[1]);
    /* meanwhile: the parent commits too, and its reads never see the counter go back */
    long last = 0, mine = 0;
    int running = procs;
    while (running > 0) {
        long n = counter_of(db);
        assert_true(n >= last);
        last = n;
        int rc = increment(db);
        if (rc == 0) mine++;
        else assert_int_equal(rc, STRATA_ECONDITION);
        int st;
        pid_t w = waitpid(-1, &st, WNOHANG);
        if (w > 0) {
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail_msg("writer process failed: status %d", st);
            running--;
        }
    }
    long total = mine, a;
    while (read(p[0], &a, sizeof a) == (ssize_t)sizeof a) total += a;
    close(p[0]);
    assert_int_equal(total, (long)procs * threads * ops + mine);
    assert_int_equal(counter_of(db), total);
    for (int i = 0; i < procs; i++)
        for (int t = 0; t < threads; t++)
            for (int k = 0; k < ops; k++) {
                char key[64];
                snprintf(key, sizeof key, "p%d-t%d-%d", i, t, k);
                strata_value *got = NULL;
                if (strata_records_get(&got, db, "t", "distinct", key, NULL) != 0) fail_msg("record %s missing", key);
                strata_value_free(got);
            }
    uint64_t problems = 99;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    assert_int_equal(problems, 0);
    strata_db_close(db);
    fprintf(stderr, "%d processes x %d threads x %d ops: %ld acknowledged increments (%ld by the parent)\n",
            procs, threads, ops, total, mine);
    tu_rmdir_free(dir);
}

/* ---- SIGKILL of random writers ---------------------------------------------------------------- */

/* Writer `slot`: put key s<slot>-k<n % 20> = {"n": n} in entry e<slot> from n = start on, and
 * increment the shared counter every 5th commit; report each acknowledged n on fd. */
static void killed_writer(const char *dir, int slot, long start, int fd)
{
    strata_db *db = NULL;
    if (strata_db_open(&db, dir, NULL) != 0) _exit(3);
    char entry[16];
    snprintf(entry, sizeof entry, "e%d", slot);
    for (long n = start;; n++) {
        char key[32], json[64];
        snprintf(key, sizeof key, "s%d-k%ld", slot, n % 20);
        snprintf(json, sizeof json, "{\"n\":%ld}", n);
        strata_value *v = J(json);
        int rc = strata_records_put(NULL, db, "t", entry, key, v, NULL);
        strata_value_free(v);
        if (rc >= 0 && n % 5 == 0) { /* a re-put after a restart may be STRATA_UNCHANGED */
            while ((rc = increment(db)) == STRATA_ECONDITION) {}
        }
        if (rc < 0) _exit(5);
        if (write(fd, &n, sizeof n) != (ssize_t)sizeof n) _exit(6);
    }
}

static long drain(int fd, long last)
{
    long n;
    while (read(fd, &n, sizeof n) == (ssize_t)sizeof n) last = n;
    return last;
}

static void check_slot(strata_db *db, int slot, long last, long start)
{
    char entry[16];
    snprintf(entry, sizeof entry, "e%d", slot);
    for (long n = last; n >= start && n > last - 20; n--) {
        char key[32];
        snprintf(key, sizeof key, "s%d-k%ld", slot, n % 20);
        strata_value *got = NULL;
        if (strata_records_get(&got, db, "t", entry, key, NULL) != 0)
            fail_msg("acknowledged commit %ld of %s lost (missing)", n, key);
        char *json = NULL;
        assert_int_equal(strata_value_to_json(&json, NULL, got, 0), 0);
        long seen = strtol(strstr(json, "\"n\":") + 4, NULL, 10);
        if (seen < n) fail_msg("acknowledged commit %ld of %s lost: found n=%ld", n, key, seen);
        strata_free(json);
        strata_value_free(got);
    }
}

static void test_mw_sigkill_of_random_writers_loses_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("mwkill");
    uint64_t rs = tu_seed("mw_kill");
    int kills = env_int("STRATA_MW_KILLS", 300);
    setup_db(dir);
    strata_db *db = NULL; /* open throughout: it sees every round's commits by refreshing */
    assert_int_equal(strata_db_open(&db, dir, NULL), 0);
    long next[2] = {0, 0};
    int done = 0, rounds = 0;
    while (done < kills) {
        int p[2][2];
        pid_t pid[2];
        for (int s = 0; s < 2; s++) {
            assert_int_equal(pipe(p[s]), 0);
            pid[s] = fork();
            assert_true(pid[s] >= 0);
            if (pid[s] == 0) {
                close(p[s][0]);
                killed_writer(dir, s, next[s], p[s][1]);
            }
            close(p[s][1]);
        }
        /* kill them in a random order at random moments: the survivor goes on writing after
         * its peer died, perhaps while holding the write lock */
        int first = (int)tu_below(&rs, 2);
        for (int k = 0; k < 2; k++) {
            struct timespec nap = {0, (long)(2 + tu_below(&rs, 25)) * 1000000L};
            nanosleep(&nap, NULL);
            int s = k == 0 ? first : 1 - first;
            kill(pid[s], SIGKILL);
            int st;
            waitpid(pid[s], &st, 0);
            if (!WIFSIGNALED(st)) fail_msg("writer exited by itself with status %d", WEXITSTATUS(st));
            done++;
        }
        for (int s = 0; s < 2; s++) {
            long last = drain(p[s][0], next[s] - 1);
            close(p[s][0]);
            next[s] = last + 1;
            check_slot(db, s, last, 0);
        }
        if (++rounds % 25 == 0) {
            uint64_t problems = 99;
            assert_int_equal(strata_db_verify(&problems, db), 0);
            assert_int_equal(problems, 0);
        }
    }
    /* the counter holds at least the increments of every acknowledged 5th commit */
    long inc = next[0] / 5 + (next[0] > 0) + next[1] / 5 + (next[1] > 0);
    long cnt = counter_of(db);
    if (cnt < inc - 2) fail_msg("counter %ld < %ld acknowledged increments (next %ld %ld)", cnt, inc, next[0], next[1]);
    strata_db_close(db);
    /* a fresh open recovers whatever the last kill left, and verifies */
    assert_int_equal(strata_db_open(&db, dir, NULL), 0);
    uint64_t problems = 99;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    assert_int_equal(problems, 0);
    check_slot(db, 0, next[0] - 1, 0);
    check_slot(db, 1, next[1] - 1, 0);
    strata_db_close(db);
    fprintf(stderr, "%d kills in %d rounds, %ld + %ld acknowledged commits checked\n", done, rounds, next[0], next[1]);
    tu_rmdir_free(dir);
}

/* ---- GC in one process while another writes and reads ------------------------------------------- */

static void gc_writer(const char *dir, int ms, int fd)
{
    strata_db *db = NULL;
    if (strata_db_open(&db, dir, NULL) != 0) _exit(3);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long n = 0;
    char pad[600];
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = 0;
    for (;; n++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > ms) break;
        char key[32], json[700];
        snprintf(key, sizeof key, "k%ld", n % 30);
        snprintf(json, sizeof json, "{\"n\":%ld,\"pad\":\"%s\"}", n, pad + n % 500);
        strata_value *v = J(json), *got = NULL;
        int rc = strata_records_put(NULL, db, "t", "g", key, v, NULL);
        strata_value_free(v);
        if (rc < 0) _exit(5);
        /* read back the whole entry now and then: every record present */
        if (n % 10 == 0) {
            rc = strata_records_get_all(&got, db, "t", "g", NULL);
            strata_value_free(got);
            if (rc != 0) _exit(6);
        }
    }
    strata_db_close(db);
    if (write(fd, &n, sizeof n) != (ssize_t)sizeof n) _exit(4);
    _exit(0);
}

static void test_mw_gc_in_one_process_while_another_writes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("mwgc");
    setup_db(dir);
    strata_db *db = NULL;
    assert_int_equal(strata_db_open(&db, dir, NULL), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        gc_writer(dir, 3000, p[1]);
    }
    close(p[1]);
    int runs = 0, swept = 0, st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        strata_gc_options o = STRATA_GC_OPTIONS_INIT;
        o.min_dead_share = 0.01;
        strata_gc_report rep;
        assert_int_equal(strata_db_gc(&rep, db, &o), 0);
        runs++;
        swept += rep.segments_swept > 0;
        strata_value *all = NULL;
        int rc = strata_records_get_all(&all, db, "t", "g", NULL);
        if (rc != 0 && !(rc == STRATA_ENOTFOUND && runs == 1)) /* the writer may not have begun */
            fail_msg("read after GC run %d: %s", runs, strata_error_last()->message);
        strata_value_free(all);
        usleep(20 * 1000);
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fail_msg("writer failed: status %d", st);
    long n = 0;
    assert_int_equal(read(p[0], &n, sizeof n), (ssize_t)sizeof n);
    close(p[0]);
    strata_gc_report rep;
    assert_int_equal(strata_db_gc(&rep, db, NULL), 0);
    /* the last value of each key is there */
    for (long k = n - 1; k >= 0 && k > n - 31; k--) {
        char key[32];
        snprintf(key, sizeof key, "k%ld", k % 30);
        strata_value *got = NULL;
        if (strata_records_get(&got, db, "t", "g", key, NULL) != 0) fail_msg("%s: %s", key, strata_error_last()->message);
        char *json = NULL;
        assert_int_equal(strata_value_to_json(&json, NULL, got, 0), 0);
        assert_int_equal(strtol(strstr(json, "\"n\":") + 4, NULL, 10), k);
        strata_free(json);
        strata_value_free(got);
    }
    uint64_t problems = 99;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    assert_int_equal(problems, 0);
    strata_db_close(db);
    /* and after a fresh open (nothing of a swept segment is still needed) */
    assert_int_equal(strata_db_open(&db, dir, NULL), 0);
    assert_int_equal(strata_db_verify(&problems, db), 0);
    assert_int_equal(problems, 0);
    strata_db_close(db);
    fprintf(stderr, "%d GC runs (%d swept segments) beside %ld commits of another process\n", runs, swept, n);
    assert_true(swept > 0);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mw_processes_and_threads_commit_conditionally),
        cmocka_unit_test(test_mw_sigkill_of_random_writers_loses_nothing),
        cmocka_unit_test(test_mw_gc_in_one_process_while_another_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
