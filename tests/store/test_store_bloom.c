/* The sealed index's Bloom filter: every indexed digest is found (no false negatives, so dedup
 * and reads never miss an object), absent digests are mostly refused without a search, and an
 * index without a filter (M = 0) still works. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/mem.h"

static void random_oid(uint64_t *rs, strata_oid *o)
{
    for (int i = 0; i < STRATA_OID_SIZE; i += 8) {
        uint64_t v = tu_rand(rs);
        memcpy(o->id + i, &v, 8);
    }
}

static void test_store_bloom_finds_every_object_and_refuses_most_absent_ones(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("store_bloom"), rs = seed;
    enum { N = 20000, PROBES = 20000 };
    store_ent *ents = calloc(N, sizeof *ents);
    strata_oid *all = calloc(N, sizeof *all);
    for (size_t i = 0; i < N; i++) {
        random_oid(&rs, &ents[i].oid);
        ents[i].oid.id[0] = (uint8_t)i; /* spread over the fan-out */
        ents[i].off = 64 + 100 * i;
        all[i] = ents[i].oid;
    }
    uint8_t *img = NULL;
    size_t len = 0;
    assert_int_equal(strata_store__build_index(&img, &len, 7, 64 + 100 * N + 64, ents, N, NULL, 0, 1, 0, 0), 0);
    store_idx ix;
    assert_int_equal(strata_store__decode_index(img, len, "test", &ix), 0);
    assert_int_equal(ix.bloom_len, strata_store__bloom_bytes(N));
    for (size_t i = 0; i < N; i++) {
        uint64_t off = 0;
        assert_int_equal(strata_store__idx_find(&ix, &all[i], &off), 1);
    }
    /* absent digests are not found, with or without the filter */
    store_idx no_bloom = ix;
    no_bloom.bloom_len = 0;
    for (int i = 0; i < PROBES; i++) {
        strata_oid o;
        random_oid(&rs, &o);
        uint64_t off;
        assert_int_equal(strata_store__idx_find(&ix, &o, &off), 0);
        assert_int_equal(strata_store__idx_find(&no_bloom, &o, &off), 0);
    }
    /* the filter alone refuses about 99 % of absent digests: an absent digest passes when all
     * its bits are set in the filter (measured on 2,000 digests) */
    uint8_t *one = malloc(ix.bloom_len);
    int fp = 0;
    for (int i = 0; i < 2000; i++) {
        strata_oid o;
        random_oid(&rs, &o);
        memset(one, 0, ix.bloom_len);
        strata_store__bloom_add(one, ix.bloom_len, &o);
        int all_set = 1;
        for (size_t b = 0; b < ix.bloom_len && all_set; b++)
            if ((one[b] & ix.bloom[b]) != one[b]) all_set = 0;
        fp += all_set;
    }
    free(one);
    assert_true(fp < 2000 * 3 / 100); /* designed for ~1 % */
    /* an index with a damaged length field is refused */
    uint8_t *bad = malloc(len);
    memcpy(bad, img, len);
    bad[80] ^= 1;
    store_idx ix2;
    assert_int_equal(strata_store__decode_index(bad, len, "test", &ix2), STRATA_ECORRUPT);
    free(bad);
    strata_mem__free(img);
    free(ents);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_bloom_finds_every_object_and_refuses_most_absent_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
