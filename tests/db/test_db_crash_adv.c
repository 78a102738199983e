/* All-or-nothing under real process death, for multi-entry transactions with tables: a child
 * commits transactions that each write the same sequence number n into a document, two keyed
 * records, two table items (one put, one delete of an older item) — four entries of one tenant —
 * and reports each acknowledged commit (FULL durability) through a pipe; the parent kills it with
 * SIGKILL at a random moment, reopens, verifies, and checks that every entry shows the same last
 * transaction L (no transaction is half there) with L at least the last acknowledged one. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"

#define KILLS_DEFAULT 80

static strata_value *JF(const char *fmt, long n)
{
    char buf[512];
    int len = snprintf(buf, sizeof buf, fmt, n, n);
    strata_value *v = NULL;
    if (strata_value_from_json(&v, buf, (size_t)len, 0) != 0) return NULL;
    return v;
}

static int one_txn(strata_db *db, long n)
{
    strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
    wo.user = "crasher";
    strata_txn *t = NULL;
    int rc = strata_txn_begin(&t, db, "t", &wo);
    if (rc) return rc;
    strata_value *doc = JF("{\"n\":%ld,\"pad\":\"%ld\"}", n);
    strata_value *rec = JF("{\"n\":%ld,\"m\":%ld}", n);
    strata_value *item = JF("{\"id\":\"p\",\"s\":%ld,\"n\":%ld}", n);
    strata_value *ctr = JF("{\"id\":\"ctr\",\"s\":0,\"n\":%ld,\"x\":%ld}", n);
    strata_value *old = n >= 5 ? JF("{\"id\":\"p\",\"s\":%ld}", n - 5) : NULL;
    if (!doc || !rec || !item || !ctr || (n >= 5 && !old)) rc = STRATA_ENOMEM;
    char key[32];
    snprintf(key, sizeof key, "k%ld", n % 20);
    if (!rc) rc = strata_txn_save(t, "doc", doc);
    if (!rc) rc = strata_txn_put(t, "rec", key, rec);
    if (!rc) rc = strata_txn_put(t, "rec", "last", rec);
    if (!rc) rc = strata_txn_put_item(t, "tab", item);
    if (!rc) rc = strata_txn_put_item(t, "tab", ctr);
    if (!rc && old) rc = strata_txn_delete_item(t, "tab", old);
    if (!rc) rc = strata_txn_put(t, "rec2", "last", rec);
    if (!rc) rc = strata_txn_commit(NULL, t);
    else strata_txn_abort(t);
    strata_value_free(doc);
    strata_value_free(rec);
    strata_value_free(item);
    strata_value_free(ctr);
    strata_value_free(old);
    return rc;
}

static void child_loop(const char *dir, int fd, long start)
{
    strata_db *db = NULL;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.lock_wait_ms = 5000;
    if (strata_db_open(&db, dir, &o) != 0) _exit(3);
    if (strata_tenant_init(db, "t", NULL) < 0) _exit(3);
    if (strata_entry_exists(db, "t", "tab", NULL) == 0) {
        strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
        sc.pk = "id";
        sc.sk = "s";
        if (strata_table_create(NULL, db, "t", "tab", &sc, NULL) != 0) _exit(4);
    }
    if (write(fd, "R\n", 2) != 2) _exit(6); /* ready: the table exists */
    for (long n = start;; n++) {
        int rc = one_txn(db, n);
        if (rc < 0) {
            fprintf(stderr, "child: transaction %ld failed: %s\n", n, strata_error_last()->message);
            _exit(5);
        }
        char line[32];
        int len = snprintf(line, sizeof line, "%ld\n", n);
        if (write(fd, line, (size_t)len) != len) _exit(6);
    }
}

/* "n" of a value (-1 when absent). */
static long n_of(const strata_value *v)
{
    char *js = NULL;
    assert_int_equal(strata_value_to_json(&js, NULL, v, 0), 0);
    const char *p = strstr(js, "\"n\":");
    long n = p ? strtol(p + 4, NULL, 10) : -1;
    strata_free(js);
    return n;
}

/* Reopen and check: the four entries agree on the last transaction L >= last_acked, and the
 * table holds exactly the items of transactions L-4..L plus the counter. Returns L (-1: none). */
static long check(const char *dir, long last_acked)
{
    strata_db *db = NULL;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.create = 0;
    if (strata_db_open(&db, dir, &o) != 0) fail_msg("reopen after kill: %s", strata_error_last()->message);
    uint64_t problems = 99;
    if (strata_db_verify(&problems, db) != 0) fail_msg("verify after kill: %s", strata_error_last()->message);
    assert_int_equal(problems, 0);
    long L = -1;
    strata_value *v = NULL;
    int rc = strata_document_load(&v, db, "t", "doc", NULL);
    if (rc == 0) {
        L = n_of(v);
        strata_value_free(v);
    } else {
        assert_int_equal(rc, STRATA_ENOTFOUND);
    }
    if (L < last_acked) fail_msg("acknowledged transaction %ld lost (document at %ld)", last_acked, L);
    if (L >= 0) {
        assert_int_equal(strata_records_get(&v, db, "t", "rec", "last", NULL), 0);
        if (n_of(v) != L) fail_msg("rec/last at %ld, document at %ld: a transaction is half there", n_of(v), L);
        strata_value_free(v);
        assert_int_equal(strata_records_get(&v, db, "t", "rec2", "last", NULL), 0);
        if (n_of(v) != L) fail_msg("rec2/last at %ld, document at %ld", n_of(v), L);
        strata_value_free(v);
        char key[32];
        snprintf(key, sizeof key, "k%ld", L % 20);
        assert_int_equal(strata_records_get(&v, db, "t", "rec", key, NULL), 0);
        assert_int_equal(n_of(v), L);
        strata_value_free(v);
        strata_value *k = NULL;
        const char *kj = "{\"id\":\"ctr\",\"s\":0}";
        assert_int_equal(strata_value_from_json(&k, kj, strlen(kj), 0), 0);
        assert_int_equal(strata_table_get_item(&v, db, "t", "tab", k, NULL, NULL, NULL), 0);
        if (n_of(v) != L) fail_msg("table counter at %ld, document at %ld", n_of(v), L);
        strata_value_free(v);
        strata_value_free(k);
        /* partition "p" holds the items of the last five transactions, in order */
        strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
        q.key_condition = "id = \"p\"";
        strata_iter *it = NULL;
        assert_int_equal(strata_table_query(&it, db, "t", "tab", &q, NULL), 0);
        long want = L >= 4 ? L - 4 : 0;
        while ((rc = strata_iter_next(it)) == 0) {
            if (n_of(strata_iter_value(it)) != want) fail_msg("partition p: item %ld, want %ld (L=%ld)", n_of(strata_iter_value(it)), want, L);
            want++;
        }
        assert_int_equal(rc, STRATA_ITEROVER);
        assert_int_equal(want, L + 1);
        strata_iter_free(it);
        /* every entry's head was made by the same manifest: one commit per entry per transaction */
        strata_iter *h = NULL;
        assert_int_equal(strata_entry_history(&h, db, "t", "rec2", NULL, 0), 0);
        long commits = 0;
        while (strata_iter_next(h) == 0) commits++;
        strata_iter_free(h);
        assert_int_equal(commits, L + 1);
    }
    strata_db_close(db);
    return L;
}

static void test_crash_adv_sigkill_keeps_multi_entry_table_transactions_whole(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbcrashadv");
    uint64_t rs = tu_seed("db_crash_adv");
    const char *env = getenv("STRATA_CRASH_KILLS");
    int kills = env ? atoi(env) : KILLS_DEFAULT;
    long next = 0, last_acked = -1;
    for (int k = 0; k < kills; k++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child_loop(dir, p[1], next);
        }
        close(p[1]);
        /* wait until the child is ready (or dead), then let it run 1–40 ms */
        char c = 0;
        while (read(p[0], &c, 1) == 1 && c != '\n') {}
        struct timespec nap = {0, (long)(1 + tu_below(&rs, 40)) * 1000000L};
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (!WIFSIGNALED(st)) fail_msg("child exited by itself with status %d", WEXITSTATUS(st));
        char buf[4096], line[64];
        ssize_t got;
        size_t used = 0;
        while ((got = read(p[0], buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < got; i++) {
                if (buf[i] == '\n') {
                    line[used] = 0;
                    last_acked = strtol(line, NULL, 10);
                    used = 0;
                } else if (used < sizeof line - 1) {
                    line[used++] = buf[i];
                }
            }
        close(p[0]);
        long L = check(dir, last_acked);
        next = L + 1; /* the child continues after what is there (acknowledged or not) */
        if (last_acked > L) fail_msg("acknowledged %ld, found %ld", last_acked, L);
        last_acked = L; /* everything up to L is now durable and checked */
    }
    fprintf(stderr, "%d kills, %ld transactions checked\n", kills, next);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_adv_sigkill_keeps_multi_entry_table_transactions_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
