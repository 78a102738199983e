/* Durability under real process death: a child commits in a loop and reports each commit that
 * strata acknowledged (FULL durability) through a pipe; the parent kills it with SIGKILL at a
 * random moment, reopens the database, verifies it, and checks that every acknowledged commit is
 * there with the right content. Repeated many times on one database. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "strata.h"

#define KILLS_DEFAULT 200

static strata_value *num_value(long n)
{
    char buf[512];
    int len = snprintf(buf, sizeof buf, "{\"n\":%ld,\"pad\":\"%0*d\"}", n, (int)(n % 300), 0);
    strata_value *v = NULL;
    if (strata_value_from_json(&v, buf, (size_t)len, 0) != 0) return NULL;
    return v;
}

/* Child: open, then commit forever: put key k<n % 50> = value n in entry "e", and also save
 * document "doc" every 7th commit. Writes "n\n" to the pipe after each acknowledged commit. */
static void child_loop(const char *dir, int fd, long start)
{
    strata_db *db = NULL;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.lock_wait_ms = 5000;
    if (strata_db_open(&db, dir, &o) != 0) {
        fprintf(stderr, "child: open failed: %s\n", strata_error_last()->message);
        _exit(3);
    }
    strata_tenant_init(db, "t", NULL);
    for (long n = start;; n++) {
        char key[32];
        snprintf(key, sizeof key, "k%ld", n % 50);
        strata_value *v = num_value(n);
        if (!v) _exit(4);
        strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
        wo.user = "crasher";
        int rc = strata_records_put(NULL, db, "t", "e", key, v, &wo);
        if (rc == 0 && n % 7 == 0) rc = strata_document_save(NULL, db, "t", "doc", v, &wo);
        strata_value_free(v);
        if (rc < 0) {
            fprintf(stderr, "child: commit %ld failed: %s\n", n, strata_error_last()->message);
            _exit(5);
        }
        char line[32];
        int len = snprintf(line, sizeof line, "%ld\n", n);
        if (write(fd, line, (size_t)len) != len) _exit(6);
    }
}

static void check_acknowledged(const char *dir, long last_acked, long start)
{
    strata_db *db = NULL;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.create = 0;
    int rc = strata_db_open(&db, dir, &o);
    if (rc == STRATA_ENOTFOUND && last_acked < 0) return; /* killed before the database existed */
    if (rc != 0) fail_msg("reopen after kill: %s", strata_error_last()->message);
    uint64_t problems = 99;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    assert_int_equal(problems, 0);
    /* every key written by an acknowledged commit holds a value at least that new */
    for (long n = last_acked; n >= start && n > last_acked - 50; n--) {
        char key[32];
        snprintf(key, sizeof key, "k%ld", n % 50);
        strata_value *got = NULL;
        assert_int_equal(strata_records_get(&got, db, "t", "e", key, NULL), 0);
        char *json = NULL;
        assert_int_equal(strata_value_to_json(&json, NULL, got, 0), 0);
        long seen = strtol(strstr(json, "\"n\":") + 4, NULL, 10);
        if (seen < n) fail_msg("acknowledged commit %ld of %s lost: found n=%ld", n, key, seen);
        strata_free(json);
        strata_value_free(got);
    }
    strata_db_close(db);
}

static void test_db_sigkill_never_loses_acknowledged_commits(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbcrash");
    uint64_t seed = tu_seed("db_crash"), rs = seed;
    const char *env = getenv("STRATA_CRASH_KILLS");
    int kills = env ? atoi(env) : KILLS_DEFAULT;
    long next = 0;
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
        /* let it run 1–30 ms, reading acknowledgements as they come */
        struct timespec nap = {0, (long)(1 + tu_below(&rs, 30)) * 1000000L};
        nanosleep(&nap, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (!WIFSIGNALED(st)) fail_msg("child exited by itself with status %d", WEXITSTATUS(st));
        long last = -1;
        char buf[4096];
        ssize_t got;
        size_t used = 0;
        char line[64];
        while ((got = read(p[0], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < got; i++) {
                if (buf[i] == '\n') {
                    line[used] = 0;
                    last = strtol(line, NULL, 10);
                    used = 0;
                } else if (used < sizeof line - 1) {
                    line[used++] = buf[i];
                }
            }
        }
        close(p[0]);
        /* the database opens and verifies even when nothing new was acknowledged */
        if (last >= 0) next = last + 1;
        check_acknowledged(dir, next - 1, 0);
    }
    fprintf(stderr, "%d kills, %ld acknowledged commits checked\n", kills, next);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_db_sigkill_never_loses_acknowledged_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
