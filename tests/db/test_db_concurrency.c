/* One database handle shared by 8 writer and 8 reader threads: writers put records (each its
 * own keys, some into a shared entry) and save documents; readers keep loading and checking that
 * what they see is always a complete value some writer wrote, and that heads only move forward.
 * At the end every last write is there and verify is clean. Also run under ThreadSanitizer. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

#define WRITERS 8
#define READERS 8
#define ROUNDS 40

static strata_db *db;
static atomic_int writers_done;
static atomic_long reads_ok;

static void *writer(void *arg)
{
    long id = (long)arg;
    char key[32], entry[32], json[128];
    for (int r = 0; r < ROUNDS; r++) {
        snprintf(key, sizeof key, "w%ld", id);
        snprintf(json, sizeof json, "{\"writer\":%ld,\"round\":%d}", id, r);
        strata_value *v = NULL;
        if (strata_value_from_json(&v, json, strlen(json), 0)) abort();
        strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
        w.user = "writer";
        if (strata_records_put(NULL, db, "t", "shared", key, v, &w) < 0) {
            fprintf(stderr, "put: %s\n", strata_error_last()->message);
            abort();
        }
        snprintf(entry, sizeof entry, "doc%ld", id);
        if (strata_document_save(NULL, db, "t", entry, v, &w) < 0) abort();
        strata_value_free(v);
    }
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void *reader(void *arg)
{
    long id = (long)arg;
    int last_round[WRITERS];
    for (int i = 0; i < WRITERS; i++) last_round[i] = -1;
    while (atomic_load(&writers_done) < WRITERS) {
        for (long w = 0; w < WRITERS; w++) {
            char key[32];
            snprintf(key, sizeof key, "w%ld", (w + id) % WRITERS);
            strata_value *v = NULL;
            int rc = strata_records_get(&v, db, "t", "shared", key, NULL);
            if (rc == STRATA_ENOTFOUND) continue;
            if (rc) {
                fprintf(stderr, "get: %s\n", strata_error_last()->message);
                abort();
            }
            char *json = NULL;
            if (strata_value_to_json(&json, NULL, v, 0)) abort();
            int wr = -1, round = -1;
            if (sscanf(json, "{\"round\":%d,\"writer\":%d}", &round, &wr) != 2) {
                fprintf(stderr, "torn value %s\n", json);
                abort();
            }
            long ww = (w + id) % WRITERS;
            if (wr != ww || round < last_round[ww]) {
                fprintf(stderr, "went back: %s after round %d\n", json, last_round[ww]);
                abort();
            }
            last_round[ww] = round;
            strata_free(json);
            strata_value_free(v);
            atomic_fetch_add(&reads_ok, 1);
        }
    }
    return NULL;
}

static void test_db_threads_share_one_handle(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbconc");
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.durability = STRATA_DURABILITY_NORMAL; /* keep the test fast; FULL is covered elsewhere */
    assert_int_equal(strata_db_open(&db, dir, &o), 0);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    pthread_t w[WRITERS], r[READERS];
    for (long i = 0; i < READERS; i++) pthread_create(&r[i], NULL, reader, (void *)i);
    for (long i = 0; i < WRITERS; i++) pthread_create(&w[i], NULL, writer, (void *)i);
    for (int i = 0; i < WRITERS; i++) pthread_join(w[i], NULL);
    for (int i = 0; i < READERS; i++) pthread_join(r[i], NULL);
    /* every writer's last round is there */
    for (long i = 0; i < WRITERS; i++) {
        char key[32], want[64];
        snprintf(key, sizeof key, "w%ld", i);
        strata_value *v;
        assert_int_equal(strata_records_get(&v, db, "t", "shared", key, NULL), 0);
        char *json;
        assert_int_equal(strata_value_to_json(&json, NULL, v, 0), 0);
        snprintf(want, sizeof want, "{\"round\":%d,\"writer\":%ld}", ROUNDS - 1, i);
        assert_string_equal(json, want);
        strata_free(json);
        strata_value_free(v);
    }
    /* the shared entry has exactly one commit per put */
    strata_iter *it;
    assert_int_equal(strata_entry_history(&it, db, "t", "shared", NULL, 0), 0);
    int n = 0;
    while (strata_iter_next(it) == 0) n++;
    strata_iter_free(it);
    assert_int_equal(n, WRITERS * ROUNDS);
    uint64_t problems = 1;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    fprintf(stderr, "%ld consistent reads during %d writes\n", (long)atomic_load(&reads_ok), WRITERS * ROUNDS * 2);
    strata_db_close(db);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_db_threads_share_one_handle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
