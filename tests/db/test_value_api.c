/* Tests of the public value API beyond JSON: reading a value's parts (count, members, scalars),
 * the builder, strata_name_check and the options _init functions, with every misuse. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    int rc = strata_value_from_json(&v, json, strlen(json), 0);
    if (rc) fail_msg("bad test JSON %s: %s", json, strata_error_last()->message);
    return v;
}

static char *S(const strata_value *v)
{
    char *s = NULL;
    assert_int_equal(strata_value_to_json(&s, NULL, v, 0), 0);
    return s;
}

static void test_members_of_map_list_set(void **state)
{
    (void)state;
    strata_value *v = J("{\"b\": [1, \"x\", null], \"a\": {\"k\": true}, \"c\": 2.5}");
    size_t n = 0;
    assert_int_equal(strata_value_count(&n, v), 0);
    assert_int_equal(n, 3);

    strata_iter *it = NULL;
    assert_int_equal(strata_value_members(&it, v), 0);
    const char *names[] = {"a", "b", "c"}; /* maps iterate in key order */
    const char *json[] = {"{\"k\":true}", "[1,\"x\",null]", "2.5"};
    int i = 0, rc;
    while ((rc = strata_iter_next(it)) == 0) {
        assert_true(i < 3);
        strata_slice k = strata_iter_key(it);
        assert_int_equal(k.len, strlen(names[i]));
        assert_memory_equal(k.data, names[i], k.len);
        char *s = S(strata_iter_value(it));
        assert_string_equal(s, json[i]);
        strata_free(s);
        i++;
    }
    assert_int_equal(rc, STRATA_ITEROVER);
    assert_int_equal(i, 3);
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);

    /* a list: members by index, empty keys */
    strata_value *list = NULL;
    assert_int_equal(strata_value_get(&list, v, "b"), 0);
    assert_int_equal(strata_value_members(&it, list), 0);
    int64_t want_types[] = {STRATA_TYPE_NUMBER, STRATA_TYPE_STRING, STRATA_TYPE_NULL};
    for (i = 0; i < 3; i++) {
        assert_int_equal(strata_iter_next(it), 0);
        assert_int_equal(strata_iter_key(it).len, 0);
        assert_int_equal(strata_value_type(strata_iter_value(it)), want_types[i]);
    }
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    strata_value_free(list);

    /* an empty map has no members; freeing an iterator mid-way is fine */
    strata_value *empty = J("{}");
    assert_int_equal(strata_value_count(&n, empty), 0);
    assert_int_equal(n, 0);
    assert_int_equal(strata_value_members(&it, empty), 0);
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    strata_value_free(empty);
    assert_int_equal(strata_value_members(&it, v), 0);
    assert_int_equal(strata_iter_next(it), 0);
    strata_iter_free(it);
    strata_value_free(v);
}

static void test_scalars(void **state)
{
    (void)state;
    strata_value *v = J("{\"s\": \"h\\u00e9\", \"t\": true, \"n\": -12, \"f\": 0.125, \"big\": 123456789012345678901234567890}");
    strata_value *s = NULL, *t = NULL, *n = NULL, *f = NULL, *big = NULL;
    assert_int_equal(strata_value_get(&s, v, "s"), 0);
    assert_int_equal(strata_value_get(&t, v, "t"), 0);
    assert_int_equal(strata_value_get(&n, v, "n"), 0);
    assert_int_equal(strata_value_get(&f, v, "f"), 0);
    assert_int_equal(strata_value_get(&big, v, "big"), 0);

    strata_slice sl;
    assert_int_equal(strata_value_string(&sl, s), 0);
    assert_int_equal(sl.len, 3);
    assert_memory_equal(sl.data, "h\xc3\xa9", 3);
    int b = 0;
    assert_int_equal(strata_value_bool(&b, t), 0);
    assert_int_equal(b, 1);
    int64_t i = 0;
    assert_int_equal(strata_value_int64(&i, n), 0);
    assert_int_equal(i, -12);
    double d = 0;
    assert_int_equal(strata_value_double(&d, f), 0);
    assert_true(d == 0.125);
    char text[STRATA_NUMBER_TEXT_MAX];
    assert_int_equal(strata_value_number_text(text, big), 0);
    assert_string_equal(text, "123456789012345678901234567890");
    assert_int_equal(strata_value_number_text(text, f), 0);
    assert_string_equal(text, "0.125");

    /* wrong types, fractions and out-of-range integers are clear errors */
    assert_int_equal(strata_value_int64(&i, f), STRATA_EINVALID);
    assert_int_equal(strata_value_int64(&i, big), STRATA_EINVALID);
    assert_int_equal(strata_value_string(&sl, n), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "not a string"));
    assert_int_equal(strata_value_bool(&b, s), STRATA_EINVALID);
    assert_int_equal(strata_value_binary(&sl, s), STRATA_EINVALID);
    size_t cnt;
    assert_int_equal(strata_value_count(&cnt, s), STRATA_EINVALID);
    strata_iter *it = (strata_iter *)&cnt;
    assert_int_equal(strata_value_members(&it, n), STRATA_EINVALID);
    assert_null(it);
    /* NULL arguments never crash */
    assert_int_equal(strata_value_string(&sl, NULL), STRATA_EINVALID);
    assert_int_equal(strata_value_string(NULL, s), STRATA_EINVALID);
    assert_int_equal(strata_value_count(NULL, v), STRATA_EINVALID);
    assert_int_equal(strata_value_members(NULL, v), STRATA_EINVALID);
    assert_int_equal(strata_value_number_text(NULL, n), STRATA_EINVALID);
    assert_int_equal(strata_value_double(&d, NULL), STRATA_EINVALID);

    strata_value_free(s);
    strata_value_free(t);
    strata_value_free(n);
    strata_value_free(f);
    strata_value_free(big);
    strata_value_free(v);
}

static void test_builder(void **state)
{
    (void)state;
    strata_builder *b = NULL;
    assert_int_equal(strata_builder_new(&b), 0);
    assert_int_equal(strata_builder_begin(b, STRATA_TYPE_MAP), 0);
    assert_int_equal(strata_builder_key(b, "z", 1), 0);
    assert_int_equal(strata_builder_int64(b, -7), 0);
    assert_int_equal(strata_builder_key(b, "a", 1), 0);
    assert_int_equal(strata_builder_begin(b, STRATA_TYPE_LIST), 0);
    assert_int_equal(strata_builder_string(b, "x", 1), 0);
    assert_int_equal(strata_builder_null(b), 0);
    assert_int_equal(strata_builder_bool(b, 1), 0);
    assert_int_equal(strata_builder_number(b, "1.50", 4), 0);
    assert_int_equal(strata_builder_end(b), 0);
    assert_int_equal(strata_builder_key(b, "s", 1), 0);
    assert_int_equal(strata_builder_begin(b, STRATA_TYPE_STRING_SET), 0);
    assert_int_equal(strata_builder_string(b, "q", 1), 0);
    assert_int_equal(strata_builder_string(b, "p", 1), 0);
    assert_int_equal(strata_builder_end(b), 0);
    strata_value *inner = J("{\"k\": [1]}");
    assert_int_equal(strata_builder_key(b, "v", 1), 0);
    assert_int_equal(strata_builder_value(b, inner), 0);
    assert_int_equal(strata_builder_key(b, "bin", 3), 0);
    assert_int_equal(strata_builder_binary(b, "\x00\x01", 2), 0);
    assert_int_equal(strata_builder_end(b), 0);
    strata_value *v = NULL;
    assert_int_equal(strata_builder_finish(&v, b), 0);

    /* the same value as parsed from JSON: equal values have equal bytes */
    strata_value *want = NULL;
    const char *ddb = "{\"M\": {\"z\": {\"N\": \"-7\"}, \"a\": {\"L\": [{\"S\": \"x\"}, {\"NULL\": true}, "
                      "{\"BOOL\": true}, {\"N\": \"1.5\"}]}, \"s\": {\"SS\": [\"p\", \"q\"]}, "
                      "\"v\": {\"M\": {\"k\": {\"L\": [{\"N\": \"1\"}]}}}, \"bin\": {\"B\": \"AAE=\"}}}";
    assert_int_equal(strata_value_from_json(&want, ddb, strlen(ddb), STRATA_JSON_DYNAMODB), 0);
    assert_true(strata_value_equal(v, want));
    strata_value_free(want);
    strata_value_free(v);

    /* the builder is reusable after finish */
    assert_int_equal(strata_builder_string(b, "again", 5), 0);
    assert_int_equal(strata_builder_finish(&v, b), 0);
    assert_int_equal(strata_value_type(v), STRATA_TYPE_STRING);
    strata_value_free(v);

    /* misuse: a duplicate map name fails at the end; the builder then refuses until finish */
    assert_int_equal(strata_builder_begin(b, STRATA_TYPE_MAP), 0);
    assert_int_equal(strata_builder_key(b, "a", 1), 0);
    assert_int_equal(strata_builder_null(b), 0);
    int rc = strata_builder_key(b, "a", 1);
    if (rc == 0) rc = strata_builder_null(b);
    if (rc == 0) rc = strata_builder_end(b);
    assert_int_equal(rc, STRATA_EINVALID);
    assert_int_equal(strata_builder_null(b), STRATA_EINVALID);
    v = (strata_value *)b;
    assert_int_equal(strata_builder_finish(&v, b), STRATA_EINVALID);
    assert_null(v);
    /* incomplete values, bad UTF-8, bad numbers, a scalar type to begin */
    assert_int_equal(strata_builder_begin(b, STRATA_TYPE_LIST), 0);
    assert_int_equal(strata_builder_finish(&v, b), STRATA_EINVALID);
    assert_int_equal(strata_builder_string(b, "\xff", 1), STRATA_EINVALID);
    assert_int_equal(strata_builder_finish(&v, b), STRATA_EINVALID);
    assert_int_equal(strata_builder_number(b, "1x", 2), STRATA_EINVALID);
    assert_int_equal(strata_builder_finish(&v, b), STRATA_EINVALID);
    assert_int_equal(strata_builder_begin(b, STRATA_TYPE_STRING), STRATA_EINVALID);
    assert_int_equal(strata_builder_finish(&v, b), STRATA_EINVALID);
    assert_int_equal(strata_builder_begin(b, STRATA_TYPE_NUMBER_SET), 0);
    assert_int_equal(strata_builder_end(b), STRATA_EINVALID); /* an empty set */
    assert_int_equal(strata_builder_finish(&v, b), STRATA_EINVALID);
    /* NULLs */
    assert_int_equal(strata_builder_new(NULL), STRATA_EINVALID);
    assert_int_equal(strata_builder_null(NULL), STRATA_EINVALID);
    assert_int_equal(strata_builder_string(b, NULL, 3), STRATA_EINVALID);
    assert_int_equal(strata_builder_finish(&v, b), STRATA_EINVALID);
    assert_int_equal(strata_builder_value(b, NULL), STRATA_EINVALID);
    assert_int_equal(strata_builder_finish(NULL, b), STRATA_EINVALID);
    strata_builder_free(b);
    strata_builder_free(NULL);
    strata_value_free(inner);
}

static void test_name_check(void **state)
{
    (void)state;
    assert_int_equal(strata_name_check("users"), 0);
    assert_int_equal(strata_name_check("h\xc3\xa9 / ../x"), 0); /* names are data, never paths */
    assert_int_equal(strata_name_check(""), STRATA_EINVALID);
    assert_int_equal(strata_name_check("a\nb"), STRATA_EINVALID);
    assert_int_equal(strata_name_check("\xc3"), STRATA_EINVALID);
    assert_int_equal(strata_name_check(NULL), STRATA_EINVALID);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(strata_name_check(longname), STRATA_EINVALID);
    longname[255] = 0;
    assert_int_equal(strata_name_check(longname), 0);
}

static void test_options_init(void **state)
{
    (void)state;
    strata_item_options io;
    memset(&io, 0xab, sizeof io);
    assert_int_equal(strata_item_options_init(&io, STRATA_ITEM_OPTIONS_VERSION), 0);
    assert_int_equal(io.version, STRATA_ITEM_OPTIONS_VERSION);
    assert_null(io.condition);
    assert_int_equal(io.return_values, STRATA_RETURN_NONE);
    strata_query_options q;
    memset(&q, 0xab, sizeof q);
    assert_int_equal(strata_query_options_init(&q, STRATA_QUERY_OPTIONS_VERSION), 0);
    assert_null(q.key_condition);
    assert_int_equal(q.limit, 0);
    assert_null(q.start_key);
    strata_table_schema sc;
    memset(&sc, 0xab, sizeof sc);
    assert_int_equal(strata_table_schema_init(&sc, STRATA_TABLE_SCHEMA_VERSION), 0);
    assert_null(sc.pk);
    assert_null(sc.ttl);
    assert_int_equal(strata_item_options_init(&io, 99), STRATA_EINVALID);
    assert_int_equal(strata_query_options_init(NULL, STRATA_QUERY_OPTIONS_VERSION), STRATA_EINVALID);
    assert_int_equal(strata_table_schema_init(&sc, 0), STRATA_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_of_map_list_set),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_builder),
        cmocka_unit_test(test_name_check),
        cmocka_unit_test(test_options_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
