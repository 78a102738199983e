/* Two read-write handles on one database in one process (issue 15), each shared by threads:
 * they commit at once to shared and distinct entries and increment one counter item by
 * conditional puts; each handle sees the other's commits; the counter equals the acknowledged
 * increments. Fork-free, so ThreadSanitizer runs it (label concurrency). */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

#define HANDLES 2
#define THREADS 3
#define OPS 25

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    if (strata_value_from_json(&v, json, strlen(json), 0) != 0) return NULL;
    return v;
}

static long counter_of(strata_db *db)
{
    strata_value *key = J("{\"id\":\"c\"}"), *item = NULL;
    long n = -1;
    if (strata_table_get_item(&item, db, "t", "counters", key, NULL, NULL, NULL) == 0) {
        char *json = NULL;
        if (strata_value_to_json(&json, NULL, item, 0) == 0) {
            n = strtol(strstr(json, "\"n\":") + 4, NULL, 10);
            strata_free(json);
        }
        strata_value_free(item);
    }
    strata_value_free(key);
    return n;
}

typedef struct worker {
    strata_db *db;
    int h, t;
    long acked;
    int failed;
} worker;

static void *run(void *arg)
{
    worker *w = arg;
    strata_value *v = J("{\"x\":1}");
    for (int i = 0; i < OPS && !w->failed; i++) {
        int rc;
        do {
            long n = counter_of(w->db);
            char item[64], vals[64];
            snprintf(item, sizeof item, "{\"id\":\"c\",\"n\":%ld}", n + 1);
            snprintf(vals, sizeof vals, "{\":old\":%ld}", n);
            strata_value *it = J(item), *vs = J(vals);
            strata_item_options io = {STRATA_ITEM_OPTIONS_VERSION, "n = :old", NULL, vs, 0};
            rc = strata_table_put_item(NULL, w->db, "t", "counters", it, &io, NULL);
            strata_value_free(it);
            strata_value_free(vs);
        } while (rc == STRATA_ECONDITION);
        if (rc == 0) w->acked++;
        else w->failed = rc;
        char key[64];
        snprintf(key, sizeof key, "h%d-t%d-%d", w->h, w->t, i);
        if (!w->failed && (rc = strata_records_put(NULL, w->db, "t", "distinct", key, v, NULL)) < 0) w->failed = rc;
        snprintf(key, sizeof key, "k%d", i % 4);
        if (!w->failed && (rc = strata_records_put(NULL, w->db, "t", "shared", key, v, NULL)) < 0) w->failed = rc;
    }
    strata_value_free(v);
    return NULL;
}

static void test_two_handles_in_one_process_share_the_database(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("handles");
    strata_db *db[HANDLES];
    for (int h = 0; h < HANDLES; h++) assert_int_equal(strata_db_open(&db[h], dir, NULL), 0);
    assert_int_equal(strata_tenant_init(db[0], "t", NULL), 0);
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    sc.pk = "id";
    assert_int_equal(strata_table_create(NULL, db[1], "t", "counters", &sc, NULL), 0); /* sees db[0]'s tenant */
    strata_value *zero = J("{\"id\":\"c\",\"n\":0}");
    assert_int_equal(strata_table_put_item(NULL, db[0], "t", "counters", zero, NULL, NULL), 0);
    strata_value_free(zero);
    worker ws[HANDLES * THREADS];
    pthread_t th[HANDLES * THREADS];
    for (int i = 0; i < HANDLES * THREADS; i++) {
        ws[i] = (worker){db[i % HANDLES], i % HANDLES, i / HANDLES, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, run, &ws[i]), 0);
    }
    long acked = 0;
    for (int i = 0; i < HANDLES * THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ws[i].failed, 0);
        acked += ws[i].acked;
    }
    assert_int_equal(acked, HANDLES * THREADS * OPS);
    for (int h = 0; h < HANDLES; h++) {
        assert_int_equal(counter_of(db[h]), acked);
        for (int i = 0; i < HANDLES * THREADS; i++)
            for (int k = 0; k < OPS; k++) {
                char key[64];
                snprintf(key, sizeof key, "h%d-t%d-%d", ws[i].h, ws[i].t, k);
                strata_value *got = NULL;
                assert_int_equal(strata_records_get(&got, db[h], "t", "distinct", key, NULL), 0);
                strata_value_free(got);
            }
        uint64_t problems = 99;
        assert_int_equal(strata_db_verify(&problems, db[h]), 0);
        assert_int_equal(problems, 0);
    }
    for (int h = 0; h < HANDLES; h++) strata_db_close(db[h]);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_handles_in_one_process_share_the_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
