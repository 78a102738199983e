/* Concurrency tests of the object store: threads putting, publishing and reading through one
 * shared handle at once (also run under ThreadSanitizer, label "concurrency"). */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/hash.h"
#include "util/mem.h"

#define WRITERS 3
#define PER_WRITER 150

typedef struct shared {
    strata_store *s;
    strata_oid oids[WRITERS][PER_WRITER];
    int done[WRITERS];
    pthread_mutex_t mu;
    int failures;
} shared;

typedef struct warg {
    shared *sh;
    int id;
} warg;

static void make_obj(int w, int i, char *buf, size_t *len)
{
    *len = (size_t)snprintf(buf, 512, "writer %d object %d ", w, i);
    while (*len < 200 + (size_t)(i % 5) * 50) {
        buf[*len] = (char)('a' + (w + i + (int)*len) % 26);
        (*len)++;
    }
}

static void *writer(void *p)
{
    warg *a = p;
    shared *sh = a->sh;
    char name[32];
    snprintf(name, sizeof name, "writer-%d", a->id);
    for (int i = 0; i < PER_WRITER; i++) {
        char buf[512];
        size_t len;
        make_obj(a->id, i, buf, &len);
        strata_oid o;
        int rc = strata_store__put(sh->s, 'B', buf, len, &o);
        if (!rc && i % 10 == 9) rc = strata_store__publish(sh->s, name, &o);
        pthread_mutex_lock(&sh->mu);
        if (rc) sh->failures++;
        else sh->oids[a->id][i] = o;
        sh->done[a->id] = i + 1;
        pthread_mutex_unlock(&sh->mu);
    }
    return NULL;
}

static void *reader(void *p)
{
    shared *sh = p;
    uint64_t rs = 12345;
    for (int round = 0; round < 600; round++) {
        int w = (int)tu_below(&rs, WRITERS);
        pthread_mutex_lock(&sh->mu);
        int n = sh->done[w];
        strata_oid o = n ? sh->oids[w][tu_below(&rs, (uint64_t)n)] : sh->oids[0][0];
        pthread_mutex_unlock(&sh->mu);
        if (!n) continue;
        uint8_t *d = NULL;
        size_t l;
        int rc = strata_store__get(sh->s, &o, NULL, &d, &l);
        strata_oid check;
        if (!rc) strata_hash__object(&check, 'B', d, l);
        strata_mem__free(d);
        int bad = rc != 0 || memcmp(&check, &o, sizeof o) != 0 || strata_store__has(sh->s, &o) != 1;
        strata_oid r;
        char name[32];
        snprintf(name, sizeof name, "writer-%d", w);
        rc = strata_store__root(sh->s, name, &r);
        if (rc && rc != STRATA_ENOTFOUND) bad = 1;
        if (bad) {
            pthread_mutex_lock(&sh->mu);
            sh->failures++;
            pthread_mutex_unlock(&sh->mu);
        }
    }
    return NULL;
}

static void test_store_concurrent_puts_publishes_and_gets_share_one_handle(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_conc");
    shared *sh = calloc(1, sizeof *sh);
    pthread_mutex_init(&sh->mu, NULL);
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    o.segment_size = 32768; /* rotations happen while readers read */
    assert_int_equal(strata_store__open(&sh->s, dir, &o), 0);
    pthread_t wt[WRITERS], rt[2];
    warg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i].sh = sh;
        args[i].id = i;
        pthread_create(&wt[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < 2; i++) pthread_create(&rt[i], NULL, reader, sh);
    for (int i = 0; i < WRITERS; i++) pthread_join(wt[i], NULL);
    for (int i = 0; i < 2; i++) pthread_join(rt[i], NULL);
    assert_int_equal(sh->failures, 0);
    strata_store_stats st;
    strata_store__stats(sh->s, &st);
    assert_int_equal(st.objects, WRITERS * PER_WRITER);
    assert_true(st.segments > 1);
    /* group commit: never more syncs than publishes (plus open and rotations) */
    assert_true(st.syncs <= st.publishes + st.segments + 1);
    fprintf(stderr, "publishes %llu syncs %llu segments %llu\n", (unsigned long long)st.publishes,
            (unsigned long long)st.syncs, (unsigned long long)st.segments);
    strata_store__close(sh->s);
    assert_int_equal(strata_store__open(&sh->s, dir, &o), 0);
    for (int w = 0; w < WRITERS; w++) {
        char name[32];
        snprintf(name, sizeof name, "writer-%d", w);
        strata_oid r;
        assert_int_equal(strata_store__root(sh->s, name, &r), 0);
        assert_memory_equal(&r, &sh->oids[w][PER_WRITER - 1], sizeof r);
        for (int i = 0; i < PER_WRITER; i++) assert_int_equal(strata_store__has(sh->s, &sh->oids[w][i]), 1);
    }
    assert_int_equal(strata_store__verify(sh->s, NULL, NULL, NULL), 0);
    strata_store__close(sh->s);
    pthread_mutex_destroy(&sh->mu);
    free(sh);
    tu_rmdir_free(dir);
}

static void *publisher(void *p)
{
    shared *sh = p;
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "p-%d", i % 4);
        strata_oid o;
        char buf[64];
        snprintf(buf, sizeof buf, "publisher object %p %d", p, i);
        if (strata_store__put(sh->s, 'B', buf, strlen(buf), &o) || strata_store__publish(sh->s, name, &o)) {
            pthread_mutex_lock(&sh->mu);
            sh->failures++;
            pthread_mutex_unlock(&sh->mu);
        }
    }
    return NULL;
}

static void test_store_group_commit_shares_syncs_between_publishers(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_group");
    shared *sh = calloc(1, sizeof *sh);
    pthread_mutex_init(&sh->mu, NULL);
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    assert_int_equal(strata_store__open(&sh->s, dir, &o), 0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, publisher, sh);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    assert_int_equal(sh->failures, 0);
    strata_store_stats st;
    strata_store__stats(sh->s, &st);
    assert_int_equal(st.publishes, 160);
    assert_true(st.syncs <= st.publishes + 1);
    fprintf(stderr, "group commit: %llu publishes, %llu syncs\n", (unsigned long long)st.publishes,
            (unsigned long long)st.syncs);
    strata_store__close(sh->s);
    pthread_mutex_destroy(&sh->mu);
    free(sh);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_concurrent_puts_publishes_and_gets_share_one_handle),
        cmocka_unit_test(test_store_group_commit_shares_syncs_between_publishers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
