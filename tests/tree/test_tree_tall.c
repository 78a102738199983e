/* Tests of src/tree on tall trees: random batches of every size (single edits to 70,000, mostly
 * puts or mostly deletes) applied incrementally to a tree of about 740,000 items (height 4) must
 * give exactly the root of the same item set built from scratch in one batch. This checks the
 * incremental rewrite (regions, resynchronisation, seeks from the path, parent-level edits,
 * root growth and collapse) against the plain bottom-up build. Scaled down under sanitizers or
 * with STRATA_SLOW_TESTS=0. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tree/tree.h"
#include "util/hash.h"

static int scaled_down(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    const char *s = getenv("STRATA_SLOW_TESTS");
    return s && *s == '0';
}

static size_t vlen_of(uint32_t id, uint32_t v) { return (id * 7u + v * 13u) % 180 + 1; }

static void test_tree_incremental_batches_equal_scratch_build_on_tall_tree(void **state)
{
    (void)state;
    uint64_t rs = tu_seed("tree_tall");
    const uint32_t M = scaled_down() ? 300000 : 1500000, initial = M * 2 / 3;
    char *dir = tu_mkdtemp("tree_tall");
    strata_store *st;
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    o.durability = STRATA_DURABILITY_OFF;
    o.compress_level = -1;
    assert_int_equal(strata_store__open(&st, dir, &o), 0);
    strata_tree_ctx *ctx;
    assert_int_equal(strata_tree__ctx_new(&ctx, st, (size_t)256 << 20), 0);
    uint32_t *ver = calloc(M, sizeof *ver); /* 0 = absent, else the value's version */
    char (*kb)[12] = malloc((size_t)M * sizeof *kb);
    static char vb[64][200];
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 200; j++) vb[i][j] = (char)('a' + (i * j) % 26);
    strata_tree_edit *ed = calloc(M, sizeof *ed);
    for (uint32_t i = 0; i < M; i++) sprintf(kb[i], "k%07u", i);
    for (uint32_t i = 0; i < initial; i++) ver[tu_below(&rs, M)] = 1;

    strata_oid root, empty;
    assert_int_equal(strata_tree__empty(ctx, &empty), 0);
    size_t n = 0;
    for (uint32_t i = 0; i < M; i++)
        if (ver[i]) ed[n++] = (strata_tree_edit){kb[i], 8, vb[ver[i] % 64], vlen_of(i, ver[i]), 0};
    assert_int_equal(strata_tree__apply(ctx, &empty, ed, n, &root), 0);

    int rounds = scaled_down() ? 24 : 48;
    for (int round = 0; round < rounds; round++) {
        size_t nb = round % 4 == 0   ? 1 + tu_below(&rs, 20)
                    : round % 4 == 1 ? 1 + tu_below(&rs, 2000)
                    : round % 4 == 2 ? (M / 75) + tu_below(&rs, M / 30)
                                     : 1 + tu_below(&rs, 300);
        int delpct = round % 3 == 2 ? 80 : 30;
        for (size_t i = 0; i < nb; i++) {
            uint32_t id = (uint32_t)tu_below(&rs, M);
            ed[i].key = kb[id];
            ed[i].klen = 8;
            if ((int)tu_below(&rs, 100) < delpct) {
                ed[i].del = 1;
                ver[id] = 0;
            } else {
                ed[i].del = 0;
                ver[id] += 1 + (uint32_t)tu_below(&rs, 3);
                ed[i].val = vb[ver[id] % 64];
                ed[i].vlen = vlen_of(id, ver[id]);
            }
        }
        strata_oid next;
        assert_int_equal(strata_tree__apply(ctx, &root, ed, nb, &next), 0);
        root = next;
        if (round % 6 == 5) {
            strata_oid scratch;
            n = 0;
            for (uint32_t i = 0; i < M; i++)
                if (ver[i]) ed[n++] = (strata_tree_edit){kb[i], 8, vb[ver[i] % 64], vlen_of(i, ver[i]), 0};
            assert_int_equal(strata_tree__apply(ctx, &empty, ed, n, &scratch), 0);
            uint64_t cnt;
            assert_int_equal(strata_tree__count(ctx, &root, &cnt), 0);
            assert_int_equal(cnt, n);
            if (strata_oid__cmp(&scratch, &root) != 0) fail_msg("round %d: incremental root differs", round);
        }
    }
    free(ed);
    free(kb);
    free(ver);
    strata_tree__ctx_free(ctx);
    strata_store__close(st);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_incremental_batches_equal_scratch_build_on_tall_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
