/* Fault-injection tests of src/tree: every allocation of apply, get, cursor walks and diff is
 * made to fail in turn, and store writes are made to fail; each failure must come back as a
 * clean error (never a crash or leak), the old tree must stay intact and readable, and the
 * same call without the fault must then give exactly the expected result. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tree/tree.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/vfs.h"

enum { NBASE = 3000, NEDIT = 120 };

typedef struct fx {
    char *dir;
    strata_store *store;
    strata_tree_ctx *ctx;
    strata_oid base;               /* NBASE items */
    strata_tree_edit ed[NEDIT];    /* a mixed batch */
    char kb[NEDIT][32], vb[NEDIT][1500];
} fx;

static int key_of(char *k, unsigned i) { return sprintf(k, "row/%05u", i); }

static void fx_open(fx *f, size_t cache)
{
    memset(f, 0, sizeof *f);
    f->dir = tu_mkdtemp("tree_faults");
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    o.durability = STRATA_DURABILITY_OFF;
    assert_int_equal(strata_store__open(&f->store, f->dir, &o), 0);
    assert_int_equal(strata_tree__ctx_new(&f->ctx, f->store, cache), 0);
    strata_oid empty;
    assert_int_equal(strata_tree__empty(f->ctx, &empty), 0);
    strata_tree_edit *ed = calloc(NBASE, sizeof *ed);
    char (*kb)[32] = malloc(NBASE * sizeof *kb);
    for (unsigned i = 0; i < NBASE; i++) {
        ed[i].key = kb[i];
        ed[i].klen = (size_t)key_of(kb[i], i * 2);
        ed[i].val = kb[i];
        ed[i].vlen = ed[i].klen;
    }
    assert_int_equal(strata_tree__apply(f->ctx, &empty, ed, NBASE, &f->base), 0);
    free(ed);
    free(kb);
    /* puts (new and existing keys, one large value), deletes, a repeated key */
    for (unsigned i = 0; i < NEDIT; i++) {
        f->ed[i].key = f->kb[i];
        f->ed[i].klen = (size_t)key_of(f->kb[i], (i * 97) % (NBASE * 2));
        f->ed[i].del = i % 5 == 0;
        f->ed[i].val = f->vb[i];
        f->ed[i].vlen = i == 7 ? 1400 : 40;
        memset(f->vb[i], 'a' + i % 26, sizeof f->vb[i]);
    }
}

static void fx_close(fx *f)
{
    strata_tree__ctx_free(f->ctx);
    strata_store__close(f->store);
    tu_rmdir_free(f->dir);
}

/* The base tree is still whole: every item readable, count right. */
static void expect_base_intact(fx *f)
{
    uint64_t n;
    assert_int_equal(strata_tree__count(f->ctx, &f->base, &n), 0);
    assert_int_equal(n, NBASE);
    for (unsigned i = 0; i < NBASE; i += 37) {
        char k[32];
        int kl = key_of(k, i * 2);
        strata_tree_value v;
        assert_int_equal(strata_tree__get(f->ctx, &f->base, k, (size_t)kl, &v), 0);
        assert_int_equal(v.len, (size_t)kl);
        assert_memory_equal(v.data, k, (size_t)kl);
        strata_tree__value_release(f->ctx, &v);
    }
}

static void test_tree_apply_out_of_memory_fails_cleanly(void **state)
{
    (void)state;
    fx *f = malloc(sizeof *f);
    fx_open(f, 32 * 1024); /* small cache: loads happen during apply */
    strata_oid want, got;
    assert_int_equal(strata_tree__apply(f->ctx, &f->base, f->ed, NEDIT, &want), 0);
    strata_tree__ctx_free(f->ctx); /* a cold cache for the loop */
    assert_int_equal(strata_tree__ctx_new(&f->ctx, f->store, 32 * 1024), 0);
    int fired = 0;
    for (long n = 1;; n++) {
        strata_mem__fail_at(n, 0);
        int rc = strata_tree__apply(f->ctx, &f->base, f->ed, NEDIT, &got);
        int failed = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        if (!failed) {
            assert_int_equal(rc, 0);
            assert_int_equal(strata_oid__cmp(&got, &want), 0);
            break;
        }
        fired++;
        if (rc) assert_int_equal(rc, STRATA_ENOMEM);
        else assert_int_equal(strata_oid__cmp(&got, &want), 0); /* absorbed (cache is best effort) */
        if (n % 16 == 1) expect_base_intact(f);
    }
    fprintf(stderr, "[faults] apply survived %d injected allocation failures\n", fired);
    assert_true(fired > 10);
    expect_base_intact(f);
    fx_close(f);
    free(f);
}

typedef struct acc {
    uint64_t n, sum;
} acc;

static int diff_acc(const void *k, size_t kl, const void *o, size_t ol, const void *nv, size_t nl, void *p)
{
    (void)k; (void)o; (void)nv;
    acc *a = p;
    a->n++;
    a->sum += kl * 3 + ol * 5 + nl * 7;
    return 0;
}

static int scan_acc(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    (void)k; (void)v;
    acc *a = p;
    a->n++;
    a->sum += kl + vl;
    return 0;
}

static void test_tree_reads_out_of_memory_fail_cleanly(void **state)
{
    (void)state;
    fx *f = malloc(sizeof *f);
    fx_open(f, 16 * 1024);
    strata_oid next;
    assert_int_equal(strata_tree__apply(f->ctx, &f->base, f->ed, NEDIT, &next), 0);
    acc dwant = {0, 0}, swant = {0, 0};
    assert_int_equal(strata_tree__diff(f->ctx, &f->base, &next, diff_acc, &dwant), 0);
    assert_int_equal(strata_tree__scan(f->ctx, &next, "row/01", 6, NULL, 0, 1, scan_acc, &swant), 0);
    assert_true(dwant.n > 50 && swant.n > 100);
    for (int what = 0; what < 3; what++) {
        for (long n = 1;; n++) {
            acc a = {0, 0};
            int rc;
            strata_mem__fail_at(n, 0);
            if (what == 0) rc = strata_tree__diff(f->ctx, &f->base, &next, diff_acc, &a);
            else if (what == 1) rc = strata_tree__scan(f->ctx, &next, "row/01", 6, NULL, 0, 1, scan_acc, &a);
            else {
                strata_tree_value v;
                rc = strata_tree__get(f->ctx, &next, f->kb[7], f->ed[7].klen, &v);
                if (rc == 0) {
                    a.n = v.len;
                    strata_tree__value_release(f->ctx, &v);
                }
            }
            int failed = strata_mem__failed();
            strata_mem__fail_at(0, 0);
            if (rc) {
                assert_true(failed);
                assert_int_equal(rc, STRATA_ENOMEM);
                continue;
            }
            if (what == 0) assert_true(a.n == dwant.n && a.sum == dwant.sum);
            if (what == 1) assert_true(a.n == swant.n && a.sum == swant.sum);
            if (what == 2) assert_int_equal(a.n, 1400);
            if (!failed) break;
        }
    }
    fx_close(f);
    free(f);
}

static void test_tree_apply_write_failure_fails_cleanly(void **state)
{
    (void)state;
    fx *f = malloc(sizeof *f);
    fx_open(f, 1 << 20);
    strata_oid want, got;
    /* Expected result computed in a second store, so that this one has not seen the nodes. */
    {
        fx *g = malloc(sizeof *g);
        fx_open(g, 1 << 20);
        assert_int_equal(strata_tree__apply(g->ctx, &g->base, f->ed, NEDIT, &want), 0);
        fx_close(g);
        free(g);
    }
    int eio = 0;
    for (long n = 1; n <= 40; n += 3) {
        strata_vfs_faults fl = {0};
        fl.fail_write_at = n;
        strata_vfs__faults_set(&fl);
        int rc = strata_tree__apply(f->ctx, &f->base, f->ed, NEDIT, &got);
        strata_vfs__faults_clear();
        if (rc == 0) {
            assert_int_equal(strata_oid__cmp(&got, &want), 0);
            continue;
        }
        assert_int_equal(rc, STRATA_EIO);
        eio++;
        expect_base_intact(f);
    }
    fprintf(stderr, "[faults] apply failed cleanly on %d injected write failures\n", eio);
    assert_true(eio > 0);
    assert_int_equal(strata_tree__apply(f->ctx, &f->base, f->ed, NEDIT, &got), 0);
    assert_int_equal(strata_oid__cmp(&got, &want), 0);
    fx_close(f);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_apply_out_of_memory_fails_cleanly),
        cmocka_unit_test(test_tree_reads_out_of_memory_fail_cleanly),
        cmocka_unit_test(test_tree_apply_write_failure_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
