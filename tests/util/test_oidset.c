/* The digest set (src/util/oidset.h): membership against a reference list over many sizes,
 * growth past several doublings, and allocation failure leaving the set unchanged. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/mem.h"
#include "util/oidset.h"

static strata_oid oid_of(uint64_t i)
{
    strata_oid o;
    strata_hash__object(&o, 'T', &i, sizeof i);
    return o;
}

static void test_add_has_over_growth(void **state)
{
    (void)state;
    strata_oidset s = STRATA_OIDSET_INIT;
    strata_oid none = oid_of(999999);
    assert_int_equal(strata_oidset__has(&s, &none), 0); /* empty set, no slots yet */
    for (uint64_t i = 0; i < 5000; i++) {
        strata_oid o = oid_of(i);
        assert_int_equal(strata_oidset__add(&s, &o), 1);
        assert_int_equal(strata_oidset__add(&s, &o), 0); /* a second add finds it */
    }
    assert_int_equal(s.n, 5000);
    assert_true(s.n * 10 <= s.cap * 7);
    for (uint64_t i = 0; i < 5000; i++) {
        strata_oid o = oid_of(i);
        assert_int_equal(strata_oidset__has(&s, &o), 1);
    }
    for (uint64_t i = 5000; i < 6000; i++) {
        strata_oid o = oid_of(i);
        assert_int_equal(strata_oidset__has(&s, &o), 0);
    }
    /* digests that collide in their slot bytes still are told apart */
    strata_oid a = oid_of(1), b = a;
    b.id[0] ^= 1;
    assert_int_equal(strata_oidset__has(&s, &b), 0);
    assert_int_equal(strata_oidset__add(&s, &b), 1);
    assert_int_equal(strata_oidset__has(&s, &a), 1);
    assert_int_equal(strata_oidset__has(&s, &b), 1);
    strata_oidset__free(&s);
    assert_int_equal(s.n, 0);
    assert_int_equal(strata_oidset__has(&s, &a), 0);
    assert_int_equal(strata_oidset__add(&s, &a), 1); /* reusable after free */
    strata_oidset__free(&s);
}

static void test_allocation_failure_leaves_set_unchanged(void **state)
{
    (void)state;
    strata_oidset s = STRATA_OIDSET_INIT;
    uint64_t i = 0;
    /* fill up to the first growth point */
    for (;; i++) {
        strata_oid o = oid_of(i);
        if ((s.n + 1) * 10 > s.cap * 7 && s.cap) break;
        assert_int_equal(strata_oidset__add(&s, &o), 1);
    }
    size_t n = s.n, cap = s.cap;
    for (long k = 1; k <= 2; k++) {
        strata_mem__fail_at(k, 0);
        strata_oid o = oid_of(i);
        assert_int_equal(strata_oidset__add(&s, &o), STRATA_ENOMEM);
        strata_mem__fail_at(0, 0);
        assert_int_equal(s.n, n);
        assert_int_equal(s.cap, cap);
        assert_int_equal(strata_oidset__has(&s, &o), 0);
        for (uint64_t j = 0; j < i; j++) {
            strata_oid p = oid_of(j);
            assert_int_equal(strata_oidset__has(&s, &p), 1);
        }
    }
    strata_oid o = oid_of(i);
    assert_int_equal(strata_oidset__add(&s, &o), 1);
    strata_oidset__free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_has_over_growth),
        cmocka_unit_test(test_allocation_failure_leaves_set_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
