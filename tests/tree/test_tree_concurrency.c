/* Concurrency tests of src/tree: many threads share one context (and its node cache, kept small
 * so that nodes are evicted while pinned by other threads) reading snapshots with gets and
 * cursors while another thread applies edits to make new roots. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tree/tree.h"

enum { NITEMS = 20000, NREADERS = 3 };

typedef struct shared {
    strata_tree_ctx *ctx;
    strata_oid root;      /* the snapshot every reader checks */
    uint64_t seed;
    int failures;         /* atomic */
} shared;

static int key_of(char *k, unsigned i) { return sprintf(k, "item/%06u", i); }
static int val_of(char *v, unsigned i) { return sprintf(v, "value-%u-%u", i, i * 2654435761u); }

static void *reader(void *arg)
{
    shared *s = arg;
    uint64_t rs = s->seed ^ (uint64_t)(uintptr_t)&rs;
    char k[32], v[64];
    for (int round = 0; round < 3000; round++) {
        unsigned i = (unsigned)tu_below(&rs, NITEMS);
        int kl = key_of(k, i), vl = val_of(v, i);
        strata_tree_value got;
        if (strata_tree__get(s->ctx, &s->root, k, (size_t)kl, &got) != 0 || got.len != (size_t)vl ||
            memcmp(got.data, v, (size_t)vl) != 0)
            __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
        else
            strata_tree__value_release(s->ctx, &got);
        if (round % 100 == 0) {
            strata_tree_cursor *c;
            if (strata_tree__cursor_open(&c, s->ctx, &s->root) != 0) {
                __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
                continue;
            }
            unsigned at = (unsigned)tu_below(&rs, NITEMS - 300);
            int rc = strata_tree__cursor_seek_index(c, at);
            for (unsigned j = 0; j < 300 && rc == 0; j++, rc = strata_tree__cursor_next(c)) {
                const void *ck;
                size_t ckl;
                strata_tree__cursor_key(c, &ck, &ckl);
                kl = key_of(k, at + j);
                if (ckl != (size_t)kl || memcmp(ck, k, ckl) != 0)
                    __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
            }
            if (rc != 0) __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
            strata_tree__cursor_free(c);
        }
    }
    return NULL;
}

typedef struct writer_arg {
    shared *s;
    strata_oid last;
    int rc;
} writer_arg;

/* Applies batches of overwrites to new versions (never touching the readers' snapshot). */
static void *writer(void *arg)
{
    writer_arg *w = arg;
    strata_oid cur = w->s->root;
    char k[64][32], v[64][32];
    strata_tree_edit ed[64];
    uint64_t rs = w->s->seed + 1;
    for (int b = 0; b < 60 && !w->rc; b++) {
        for (int i = 0; i < 64; i++) {
            unsigned id = (unsigned)tu_below(&rs, NITEMS * 2);
            ed[i].key = k[i];
            ed[i].klen = (size_t)key_of(k[i], id);
            ed[i].val = v[i];
            ed[i].vlen = (size_t)sprintf(v[i], "new-%d", b);
            ed[i].del = tu_below(&rs, 4) == 0;
        }
        strata_oid next;
        w->rc = strata_tree__apply(w->s->ctx, &cur, ed, 64, &next);
        cur = next;
    }
    w->last = cur;
    return NULL;
}

static void test_tree_shared_ctx_readers_and_writer_agree(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("tree_conc");
    strata_store *st;
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    o.durability = STRATA_DURABILITY_OFF;
    assert_int_equal(strata_store__open(&st, dir, &o), 0);
    shared s = {0};
    s.seed = tu_seed("tree_concurrency");
    /* a small cache: constant eviction while other threads hold pins */
    assert_int_equal(strata_tree__ctx_new(&s.ctx, st, 96 * 1024), 0);
    strata_oid empty;
    assert_int_equal(strata_tree__empty(s.ctx, &empty), 0);
    strata_tree_edit *ed = calloc(NITEMS, sizeof *ed);
    char (*kb)[32] = malloc(NITEMS * sizeof *kb), (*vb)[64] = malloc(NITEMS * sizeof *vb);
    for (unsigned i = 0; i < NITEMS; i++) {
        ed[i].key = kb[i];
        ed[i].klen = (size_t)key_of(kb[i], i);
        ed[i].val = vb[i];
        ed[i].vlen = (size_t)val_of(vb[i], i);
    }
    assert_int_equal(strata_tree__apply(s.ctx, &empty, ed, NITEMS, &s.root), 0);

    pthread_t th[NREADERS + 1];
    writer_arg w = {&s, {{0}}, 0};
    for (int i = 0; i < NREADERS; i++) assert_int_equal(pthread_create(&th[i], NULL, reader, &s), 0);
    assert_int_equal(pthread_create(&th[NREADERS], NULL, writer, &w), 0);
    for (int i = 0; i <= NREADERS; i++) pthread_join(th[i], NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(s.failures, 0);
    /* the writer's versions are complete trees too */
    uint64_t n;
    assert_int_equal(strata_tree__count(s.ctx, &w.last, &n), 0);
    assert_true(n > NITEMS / 2);

    free(ed);
    free(kb);
    free(vb);
    strata_tree__ctx_free(s.ctx);
    strata_store__close(st);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_shared_ctx_readers_and_writer_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
