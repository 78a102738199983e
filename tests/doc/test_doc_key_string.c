/* strata_doc__key_encode_string must produce exactly the bytes of strata_doc__key_encode on the
 * encoded string value (the db layer uses it for record keys without building a value). */
#include "testutil.h"

#include <string.h>

#include "doc/doc.h"
#include "util/buf.h"

static void test_doc_key_encode_string_equals_key_encode_of_the_value(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("key_string"), rs = seed;
    strata_doc_builder *b;
    assert_int_equal(strata_doc__builder_new(&b), 0);
    for (int i = 0; i < 2000; i++) {
        char s[64];
        size_t n = tu_below(&rs, sizeof s);
        for (size_t k = 0; k < n; k++) {
            uint64_t r = tu_below(&rs, 4);
            s[k] = r == 0 ? 0 : (char)(r == 1 ? 0x7f : 'a' + (int)tu_below(&rs, 26));
        }
        strata_buf x = {0}, y = {0};
        strata_doc__builder_reset(b);
        strata_slice v;
        assert_int_equal(strata_doc__b_string(b, s, n), 0);
        assert_int_equal(strata_doc__builder_finish(b, &v), 0);
        assert_int_equal(strata_doc__key_encode(&x, v, NULL), 0);
        assert_int_equal(strata_doc__key_encode_string(&y, s, n), 0);
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.data, y.data, x.len);
        strata_buf__free(&x);
        strata_buf__free(&y);
    }
    strata_buf z = {0};
    assert_int_equal(strata_doc__key_encode_string(&z, "\xff", 1), STRATA_EINVALID);
    assert_int_equal(z.len, 0);
    strata_doc__builder_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_key_encode_string_equals_key_encode_of_the_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
