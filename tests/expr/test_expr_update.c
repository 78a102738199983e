/* Tests of update expressions (SET with + / -, if_not_exists, list_append; REMOVE; ADD; DELETE)
 * applied to encoded items with DynamoDB's rules and runtime errors, of projections, and of
 * key-condition compilation into range-scan bounds. */
#include "exprtest.h"

static const char *ITEM = "{\"id\": \"u1\", \"n\": 5, \"s\": \"x\", \"l\": [1, 2, 3, 4], \"m\": {\"a\": 1, \"b\": {\"c\": 2}}}";
#define SETS "ddb:{\":ss\": {\"SS\": [\"a\", \"b\"]}, \":ns\": {\"NS\": [\"1\", \"2\"]}, \":bs\": {\"BS\": [\"AQ==\"]}," \
             " \":sa\": {\"SS\": [\"a\"]}, \":sz\": {\"SS\": [\"z\"]}, \":n\": {\"N\": \"1\"}, \":l\": {\"L\": [{\"N\": \"9\"}]}}"

static void test_update_set_values_literals_and_paths(void **state)
{
    (void)state;
    xt_update_is("SET s = \"y\"", ITEM, NULL, NULL,
                  "{\"id\": \"u1\", \"n\": 5, \"s\": \"y\", \"l\": [1, 2, 3, 4], \"m\": {\"a\": 1, \"b\": {\"c\": 2}}}");
    xt_update_is("SET new = :v", "{}", NULL, "{\":v\": {\"deep\": [true, null]}}", "{\"new\": {\"deep\": [true, null]}}");
    xt_update_is("SET m.b.c = 3, m.z = \"new\"", ITEM, NULL, NULL,
                  "{\"id\": \"u1\", \"n\": 5, \"s\": \"x\", \"l\": [1, 2, 3, 4], \"m\": {\"a\": 1, \"b\": {\"c\": 3}, \"z\": \"new\"}}");
    xt_update_is("SET l[1] = 20", "{\"l\": [1, 2, 3]}", NULL, NULL, "{\"l\": [1, 20, 3]}");
    xt_update_is("SET l[10] = 9, l[20] = 10", "{\"l\": [1]}", NULL, NULL, "{\"l\": [1, 9, 10]}"); /* past the end appends */
    xt_update_is("SET copy = m.b", ITEM, NULL, NULL,
                  "{\"id\": \"u1\", \"n\": 5, \"s\": \"x\", \"l\": [1, 2, 3, 4], \"m\": {\"a\": 1, \"b\": {\"c\": 2}}, \"copy\": {\"c\": 2}}");
    xt_update_is("SET #k = :v", "{}", "{\"#k\": \"a.b\"}", "{\":v\": 1}", "{\"a.b\": 1}");
    xt_update_is("SET a = true, b = null, c = -0.5", "{}", NULL, NULL, "{\"a\": true, \"b\": null, \"c\": -0.5}");
    /* no item: the update builds one */
    int rc;
    char *got = xt_update("SET a = 1", NULL, NULL, NULL, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "{\"a\":1}");
    free(got);
}

static void test_update_arithmetic_is_exact(void **state)
{
    (void)state;
    xt_update_is("SET n = n + :d", "{\"n\": 0.1}", NULL, "{\":d\": 0.2}", "{\"n\": 0.3}");
    xt_update_is("SET n = n - 7", "{\"n\": 5}", NULL, NULL, "{\"n\": -2}");
    xt_update_is("SET n = 1 + 2", "{}", NULL, NULL, "{\"n\": 3}");
    xt_update_is("SET n = a - b", "{\"a\": 10, \"b\": 0.001}", NULL, NULL, "{\"a\": 10, \"b\": 0.001, \"n\": 9.999}");
    xt_update_is("SET big = big + 1", "{\"big\": 99999999999999999999999999999999999999}", NULL, NULL,
                  "{\"big\": 1E+38}");
    xt_update_is("SET c = if_not_exists(c, 0) + 1", "{}", NULL, NULL, "{\"c\": 1}");
    xt_update_is("SET c = if_not_exists(c, 0) + 1", "{\"c\": 41}", NULL, NULL, "{\"c\": 42}");
    /* precision overflow is an error, not rounding */
    xt_update_fails("SET big = big + 0.1", "{\"big\": 99999999999999999999999999999999999999}", NULL, NULL,
                    STRATA_EINVALID, "update expression: SET big:");
}

static void test_update_if_not_exists_and_list_append(void **state)
{
    (void)state;
    xt_update_is("SET a = if_not_exists(a, 1), b = if_not_exists(b, 2)", "{\"a\": 0}", NULL, NULL,
                  "{\"a\": 0, \"b\": 2}");
    xt_update_is("SET l = list_append(l, :l)", "{\"l\": [1]}", NULL, SETS, "{\"l\": [1, 9]}");
    xt_update_is("SET l = list_append(:l, l)", "{\"l\": [1]}", NULL, SETS, "{\"l\": [9, 1]}");
    xt_update_is("SET l = list_append(if_not_exists(l, :e), :l)", "{}", NULL,
                  "ddb:{\":e\": {\"L\": []}, \":l\": {\"L\": [{\"N\": \"9\"}]}}", "{\"l\": [9]}");
    xt_update_is("SET m.l = list_append(m.l, m.l)", "{\"m\": {\"l\": [1, \"x\"]}}", NULL, NULL,
                  "{\"m\": {\"l\": [1, \"x\", 1, \"x\"]}}");
}

static void test_update_right_sides_see_the_original_item(void **state)
{
    (void)state;
    xt_update_is("SET a = b, b = a", "{\"a\": 1, \"b\": 2}", NULL, NULL, "{\"a\": 2, \"b\": 1}");
    xt_update_is("SET a = a + 1, b = a", "{\"a\": 1}", NULL, NULL, "{\"a\": 2, \"b\": 1}");
    xt_update_is("SET b = a REMOVE a", "{\"a\": 1}", NULL, NULL, "{\"b\": 1}");
}

static void test_update_remove_paths_and_list_elements(void **state)
{
    (void)state;
    xt_update_is("REMOVE s, m.b.c, missing, m.zz.yy", ITEM, NULL, NULL,
                  "{\"id\": \"u1\", \"n\": 5, \"l\": [1, 2, 3, 4], \"m\": {\"a\": 1, \"b\": {}}}");
    /* several indexes of one list refer to the original list */
    xt_update_is("REMOVE l[1], l[3]", "{\"l\": [0, 1, 2, 3, 4]}", NULL, NULL, "{\"l\": [0, 2, 4]}");
    xt_update_is("REMOVE l[3], l[1]", "{\"l\": [0, 1, 2, 3, 4]}", NULL, NULL, "{\"l\": [0, 2, 4]}");
    xt_update_is("REMOVE l[9]", "{\"l\": [0]}", NULL, NULL, "{\"l\": [0]}");
    xt_update_is("REMOVE l[0].x, l[1]", "{\"l\": [{\"x\": 1, \"y\": 2}, 5]}", NULL, NULL, "{\"l\": [{\"y\": 2}]}");
    xt_update_is("SET l[1] = 9 REMOVE l[0]", "{\"l\": [0, 1, 2]}", NULL, NULL, "{\"l\": [9, 2]}");
}

static void test_update_add_to_numbers_and_sets(void **state)
{
    (void)state;
    xt_update_is("ADD n :n", "{\"n\": 5}", NULL, SETS, "{\"n\": 6}");
    xt_update_is("ADD n -10", "{\"n\": 5}", NULL, NULL, "{\"n\": -5}");
    xt_update_is("ADD n :n", "{}", NULL, SETS, "{\"n\": 1}");                 /* missing: starts at the value */
    xt_update_is("ADD m.n :n", "{\"m\": {}}", NULL, SETS, "{\"m\": {\"n\": 1}}"); /* nested works too */
    xt_update_is("ADD s :ss", "ddb:{\"s\": {\"SS\": [\"b\", \"c\"]}}", NULL, SETS, "ddb:{\"s\": {\"SS\": [\"a\", \"b\", \"c\"]}}");
    xt_update_is("ADD s :ns", "{}", NULL, SETS, "ddb:{\"s\": {\"NS\": [\"1\", \"2\"]}}");
    xt_update_is("ADD s :bs", "ddb:{\"s\": {\"BS\": [\"AQ==\"]}}", NULL, SETS, "ddb:{\"s\": {\"BS\": [\"AQ==\"]}}");
    xt_update_is("ADD a :n, s :sa", "{\"a\": 1}", NULL, SETS, "ddb:{\"a\": {\"N\": \"2\"}, \"s\": {\"SS\": [\"a\"]}}");
}

static void test_update_delete_from_sets(void **state)
{
    (void)state;
    xt_update_is("DELETE s :sa", "ddb:{\"s\": {\"SS\": [\"a\", \"b\"]}}", NULL, SETS, "ddb:{\"s\": {\"SS\": [\"b\"]}}");
    xt_update_is("DELETE s :sz", "ddb:{\"s\": {\"SS\": [\"a\", \"b\"]}}", NULL, SETS, "ddb:{\"s\": {\"SS\": [\"a\", \"b\"]}}");
    xt_update_is("DELETE s :ss", "ddb:{\"s\": {\"SS\": [\"a\", \"b\"]}, \"k\": {\"N\": \"1\"}}", NULL, SETS,
                  "{\"k\": 1}"); /* an emptied set is removed */
    xt_update_is("DELETE s :ss", "{\"k\": 1}", NULL, SETS, "{\"k\": 1}"); /* missing: nothing to do */
    xt_update_is("DELETE s :ns", "ddb:{\"s\": {\"NS\": [\"1\", \"3\"]}}", NULL, SETS, "ddb:{\"s\": {\"NS\": [\"3\"]}}");
}

static void test_update_runtime_errors_change_nothing(void **state)
{
    (void)state;
    xt_update_fails("SET a = missing", "{}", NULL, NULL, STRATA_EINVALID,
                    "SET a: the attribute missing referred to by the expression does not exist");
    xt_update_fails("SET a = missing + 1", "{}", NULL, NULL, STRATA_EINVALID, "does not exist in the item");
    xt_update_fails("SET a = s + 1", "{\"s\": \"x\"}", NULL, NULL, STRATA_EINVALID, "operand of '+' is not a number");
    xt_update_fails("SET a = list_append(s, :l)", "{\"s\": \"x\"}", NULL, SETS, STRATA_EINVALID,
                    "list_append is not a list");
    xt_update_fails("SET a.b = 1", "{}", NULL, NULL, STRATA_EINVALID, "SET a.b: the document path is invalid for update");
    xt_update_fails("SET a.b = 1", "{\"a\": 5}", NULL, NULL, STRATA_EINVALID, "invalid for update");
    xt_update_fails("SET a[0] = 1", "{\"a\": {}}", NULL, NULL, STRATA_EINVALID, "invalid for update");
    xt_update_fails("ADD s :n", "{\"s\": \"x\"}", NULL, SETS, STRATA_EINVALID, "ADD s: ADD of a number to an attribute of type S");
    xt_update_fails("ADD s :ss", "{\"s\": 1}", NULL, SETS, STRATA_EINVALID, "ADD of a set to an attribute of another type (N)");
    xt_update_fails("ADD s :ss", "ddb:{\"s\": {\"NS\": [\"1\"]}}", NULL, SETS, STRATA_EINVALID, "another type (NS)");
    xt_update_fails("DELETE s :ss", "{\"s\": [\"a\"]}", NULL, SETS, STRATA_EINVALID, "DELETE s: DELETE of a set from an attribute of another type (L)");
    xt_update_fails("ADD a.b :n", "{}", NULL, SETS, STRATA_EINVALID, "invalid for update");

    /* the output buffer is left as it was */
    strata_expr *e;
    assert_int_equal(xt_parse(&e, STRATA_EXPR_UPDATE, "SET a = 1, b = missing", NULL, NULL), 0);
    strata_buf out = {0}, it = xt_enc("{}");
    assert_int_equal(strata_buf__append(&out, "keep", 4), 0);
    assert_int_equal(strata_expr__update(&out, e, xt_slice(&it)), STRATA_EINVALID);
    assert_int_equal(out.len, 4);
    strata_buf list = xt_enc("[1]");
    assert_int_equal(strata_expr__update(&out, e, xt_slice(&list)), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "not a map"));
    assert_int_equal(out.len, 4);
    assert_int_equal(strata_expr__update_touches(e, "a", 1), 1);
    assert_int_equal(strata_expr__update_touches(e, "b", 1), 1);
    assert_int_equal(strata_expr__update_touches(e, "c", 1), 0);
    strata_buf__free(&out);
    strata_buf__free(&it);
    strata_buf__free(&list);
    strata_expr__free(e);
}

static void test_update_survives_every_allocation_failure(void **state)
{
    (void)state;
    strata_expr *e;
    assert_int_equal(xt_parse(&e, STRATA_EXPR_UPDATE,
                              "SET n = n + 1, l = list_append(l, :l), m.b.c = :n REMOVE k[0], s ADD z :ss DELETE t :sa",
                              NULL, SETS), 0);
    strata_buf it = xt_enc("ddb:{\"n\": {\"N\": \"1\"}, \"l\": {\"L\": []}, \"m\": {\"M\": {\"b\": {\"M\": {}}}},"
                           " \"s\": {\"S\": \"x\"}, \"t\": {\"SS\": [\"a\", \"b\"]}, \"k\": {\"L\": [{\"N\": \"1\"}]}}");
    strata_buf ref = {0};
    assert_int_equal(strata_expr__update(&ref, e, xt_slice(&it)), 0);
    int ok = 0;
    for (long n = 1; n < 300 && !ok; n++) {
        strata_buf out = {0};
        strata_mem__fail_at(n, 0);
        int rc = strata_expr__update(&out, e, xt_slice(&it));
        int failed = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        if (rc) {
            assert_int_equal(rc, STRATA_ENOMEM);
            assert_int_equal(out.len, 0);
        } else {
            assert_int_equal(out.len, ref.len);
            assert_memory_equal(out.data, ref.data, ref.len);
            ok = !failed;
        }
        strata_buf__free(&out);
    }
    assert_true(ok);
    strata_buf__free(&ref);
    strata_buf__free(&it);
    strata_expr__free(e);
}

/* ---- projection ---------------------------------------------------------------------------- */

static void project_is(const char *text, const char *names, const char *item, const char *expected)
{
    strata_expr *e;
    int rc = xt_parse(&e, STRATA_EXPR_PROJECTION, text, names, NULL);
    if (rc) fprintf(stderr, "%s: %s\n", text, strata_error_last()->message);
    assert_int_equal(rc, 0);
    strata_buf it = xt_enc(item), out = {0}, want = xt_enc(expected), js = {0};
    assert_int_equal(strata_expr__project(&out, e, xt_slice(&it)), 0);
    assert_int_equal(strata_doc__validate(out.data, out.len), 0);
    if (out.len != want.len || memcmp(out.data, want.data, out.len)) {
        strata_slice o = {out.data, out.len};
        strata_doc__to_json(&js, o, 0);
        fprintf(stderr, "projection %s: got %.*s, expected %s\n", text, (int)js.len, (const char *)js.data, expected);
    }
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.data, want.data, out.len);
    strata_buf__free(&it);
    strata_buf__free(&out);
    strata_buf__free(&want);
    strata_buf__free(&js);
    strata_expr__free(e);
}

static void test_projection_keeps_only_projected_paths(void **state)
{
    (void)state;
    const char *item = "{\"a\": 1, \"b\": \"x\", \"c\": [10, 11, {\"d\": 1, \"e\": 2}, 13],"
                       " \"m\": {\"x\": 1, \"y\": {\"z\": 2, \"w\": 3}}, \"k.k\": true}";
    project_is("a", NULL, item, "{\"a\": 1}");
    project_is("a, b", NULL, item, "{\"a\": 1, \"b\": \"x\"}");
    project_is("m.y.z", NULL, item, "{\"m\": {\"y\": {\"z\": 2}}}");
    project_is("m.x, m.y.w", NULL, item, "{\"m\": {\"x\": 1, \"y\": {\"w\": 3}}}");
    project_is("c[3], c[0]", NULL, item, "{\"c\": [10, 13]}");       /* index order, gathered */
    project_is("c[2].e", NULL, item, "{\"c\": [{\"e\": 2}]}");
    project_is("#k, a", "{\"#k\": \"k.k\"}", item, "{\"a\": 1, \"k.k\": true}");
    project_is("missing, m.nope, c[99], a.b, c.x", NULL, item, "{}");  /* absent paths add nothing */
    project_is("missing, b", NULL, item, "{\"b\": \"x\"}");
    project_is("m.nope, m.x", NULL, item, "{\"m\": {\"x\": 1}}");
    project_is("a", NULL, "{}", "{}");
    strata_expr *e;
    assert_int_equal(xt_parse(&e, STRATA_EXPR_PROJECTION, "a", NULL, NULL), 0);
    strata_buf out = {0}, list = xt_enc("[1]");
    strata_slice none = {NULL, 0};
    assert_int_equal(strata_expr__project(&out, e, none), 0);
    assert_int_equal(strata_expr__project(&out, e, xt_slice(&list)), STRATA_EINVALID);
    strata_buf__free(&out);
    strata_buf__free(&list);
    strata_expr__free(e);
}

static void test_projection_survives_every_allocation_failure(void **state)
{
    (void)state;
    strata_expr *e;
    assert_int_equal(xt_parse(&e, STRATA_EXPR_PROJECTION, "a, m.y.z, c[2].e, c[0]", NULL, NULL), 0);
    strata_buf it = xt_enc("{\"a\": 1, \"c\": [10, 11, {\"d\": 1, \"e\": 2}], \"m\": {\"y\": {\"z\": 2, \"w\": 3}}}");
    strata_buf ref = {0};
    assert_int_equal(strata_expr__project(&ref, e, xt_slice(&it)), 0);
    int ok = 0;
    for (long n = 1; n < 100 && !ok; n++) {
        strata_buf out = {0};
        strata_mem__fail_at(n, 0);
        int rc = strata_expr__project(&out, e, xt_slice(&it));
        int failed = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        if (rc) {
            assert_int_equal(rc, STRATA_ENOMEM);
            assert_int_equal(out.len, 0);
        } else {
            assert_int_equal(out.len, ref.len);
            assert_memory_equal(out.data, ref.data, ref.len);
            ok = !failed;
        }
        strata_buf__free(&out);
    }
    assert_true(ok);
    strata_buf__free(&ref);
    strata_buf__free(&it);
    strata_expr__free(e);
}

/* ---- key conditions ------------------------------------------------------------------------ */

static void slice_is(strata_slice s, const char *json)
{
    strata_buf b = xt_enc(json);
    assert_int_equal(s.len, b.len);
    assert_memory_equal(s.data, b.data, b.len);
    strata_buf__free(&b);
}

static void test_key_condition_compiles_to_scan_bounds(void **state)
{
    (void)state;
    struct {
        const char *text;
        strata_expr_sk_kind kind;
        int lo, hi, loi, hii;
        const char *lov, *hiv;
    } cases[] = {
        {"pk = \"u\"", STRATA_EXPR_SK_NONE, 0, 0, 0, 0, NULL, NULL},
        {"pk = \"u\" AND sk = 5", STRATA_EXPR_SK_RANGE, 1, 1, 1, 1, "5", "5"},
        {"pk = \"u\" AND sk < 5", STRATA_EXPR_SK_RANGE, 0, 1, 0, 0, NULL, "5"},
        {"pk = \"u\" AND sk <= 5", STRATA_EXPR_SK_RANGE, 0, 1, 0, 1, NULL, "5"},
        {"pk = \"u\" AND sk > 5", STRATA_EXPR_SK_RANGE, 1, 0, 0, 0, "5", NULL},
        {"sk >= 5 AND pk = \"u\"", STRATA_EXPR_SK_RANGE, 1, 0, 1, 0, "5", NULL},
        {"pk = \"u\" AND sk BETWEEN 1 AND 9", STRATA_EXPR_SK_RANGE, 1, 1, 1, 1, "1", "9"},
        {"(pk = \"u\") AND (#s BETWEEN :a AND :b)", STRATA_EXPR_SK_RANGE, 1, 1, 1, 1, "\"a\"", "\"b\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        strata_expr *e;
        int rc = xt_parse(&e, STRATA_EXPR_KEY_CONDITION, cases[i].text, strstr(cases[i].text, "#s") ? "{\"#s\": \"sk\"}" : NULL,
                          strstr(cases[i].text, ":a") ? "{\":a\": \"a\", \":b\": \"b\"}" : NULL);
        assert_int_equal(rc, 0);
        strata_expr_keycond kc;
        assert_int_equal(strata_expr__keycond(&kc, e, "pk", "sk"), 0);
        slice_is(kc.pk_value, "\"u\"");
        assert_int_equal(kc.sk_kind, cases[i].kind);
        assert_int_equal(kc.has_lower, cases[i].lo);
        assert_int_equal(kc.has_upper, cases[i].hi);
        assert_int_equal(kc.lower_inclusive, cases[i].loi);
        assert_int_equal(kc.upper_inclusive, cases[i].hii);
        if (cases[i].lov) slice_is(kc.lower, cases[i].lov);
        if (cases[i].hiv) slice_is(kc.upper, cases[i].hiv);
        /* the key condition also evaluates as a condition */
        strata_buf it = xt_enc("{\"pk\": \"u\", \"sk\": 5}");
        int res;
        assert_int_equal(strata_expr__eval(&res, e, xt_slice(&it)), 0);
        strata_buf__free(&it);
        strata_expr__free(e);
    }
    strata_expr *e;
    assert_int_equal(xt_parse(&e, STRATA_EXPR_KEY_CONDITION, "pk = 1 AND begins_with(sk, \"ab\")", NULL, NULL), 0);
    strata_expr_keycond kc;
    assert_int_equal(strata_expr__keycond(&kc, e, "pk", "sk"), 0);
    assert_int_equal(kc.sk_kind, STRATA_EXPR_SK_PREFIX);
    slice_is(kc.pk_value, "1");
    slice_is(kc.prefix, "\"ab\"");
    /* schema mismatches */
    assert_int_equal(strata_expr__keycond(&kc, e, "pk", NULL), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "no sort key; not a key: 'sk'"));
    assert_int_equal(strata_expr__keycond(&kc, e, "id", "sk"), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "not a key: 'pk'"));
    strata_expr__free(e);
    assert_int_equal(xt_parse(&e, STRATA_EXPR_KEY_CONDITION, "sk = 1", NULL, NULL), 0);
    assert_int_equal(strata_expr__keycond(&kc, e, "pk", "sk"), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "no equality condition on the partition key 'pk'"));
    strata_expr__free(e);
    assert_int_equal(xt_parse(&e, STRATA_EXPR_KEY_CONDITION, "pk > 1", NULL, NULL), 0);
    assert_int_equal(strata_expr__keycond(&kc, e, "pk", "sk"), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "partition key must be compared with '='"));
    strata_expr__free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_set_values_literals_and_paths),
        cmocka_unit_test(test_update_arithmetic_is_exact),
        cmocka_unit_test(test_update_if_not_exists_and_list_append),
        cmocka_unit_test(test_update_right_sides_see_the_original_item),
        cmocka_unit_test(test_update_remove_paths_and_list_elements),
        cmocka_unit_test(test_update_add_to_numbers_and_sets),
        cmocka_unit_test(test_update_delete_from_sets),
        cmocka_unit_test(test_update_runtime_errors_change_nothing),
        cmocka_unit_test(test_update_survives_every_allocation_failure),
        cmocka_unit_test(test_projection_keeps_only_projected_paths),
        cmocka_unit_test(test_projection_survives_every_allocation_failure),
        cmocka_unit_test(test_key_condition_compiles_to_scan_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
