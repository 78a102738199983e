/* Tests of condition evaluation on encoded items: every comparator, BETWEEN, IN, logic, every
 * function, DynamoDB's rules for missing attributes and mismatched types, nested paths and
 * placeholders, inline literals, regex (including a catastrophic pattern that must stop with
 * STRATA_ELIMIT) and any-field search. */
#include "exprtest.h"

#include <time.h>

static const char *ITEM =
    "ddb:{\"id\": {\"S\": \"u1\"}, \"age\": {\"N\": \"30\"}, \"name\": {\"S\": \"Joanna\"},"
    " \"score\": {\"N\": \"-2.5\"}, \"big\": {\"N\": \"12345678901234567890123456789012345678\"},"
    " \"bin\": {\"B\": \"AQID\"}, \"ok\": {\"BOOL\": true}, \"nothing\": {\"NULL\": true},"
    " \"tags\": {\"SS\": [\"red\", \"blue\"]}, \"nums\": {\"NS\": [\"1\", \"2.5\"]}, \"blobs\": {\"BS\": [\"AQ==\"]},"
    " \"list\": {\"L\": [{\"N\": \"1\"}, {\"S\": \"two\"}, {\"L\": [{\"N\": \"3\"}]}, {\"M\": {\"x\": {\"S\": \"deep\"}}}]},"
    " \"map\": {\"M\": {\"a\": {\"N\": \"1\"}, \"inner\": {\"M\": {\"c\": {\"S\": \"needle in hay\"}}}}},"
    " \"a.b\": {\"S\": \"dotted\"}, \"empty\": {\"S\": \"\"}, \"utf\": {\"S\": \"caf\\u00e9\"}}";

#define V_ALL                                                                                              \
    "ddb:{\":30\": {\"N\": \"30\"}, \":31\": {\"N\": \"31\"}, \":29\": {\"N\": \"29\"}, \":s\": {\"S\": \"Joanna\"}," \
    " \":jo\": {\"S\": \"Jo\"}, \":b\": {\"B\": \"AQID\"}, \":b1\": {\"B\": \"AQ==\"}, \":t\": {\"BOOL\": true},"    \
    " \":null\": {\"NULL\": true}, \":red\": {\"S\": \"red\"}, \":l\": {\"L\": [{\"N\": \"3\"}]},"               \
    " \":m\": {\"M\": {\"x\": {\"S\": \"deep\"}}}, \":ss\": {\"SS\": [\"blue\", \"red\"]}, \":30s\": {\"S\": \"30\"}}"

static int c(const char *text)
{
    return xt_cond(text, ITEM, "{\"#d\": \"a.b\", \"#n\": \"name\", \"#l\": \"list\"}", NULL);
}

static int cv(const char *text, const char *values)
{
    return xt_cond(text, ITEM, "{\"#d\": \"a.b\", \"#n\": \"name\", \"#l\": \"list\"}", values);
}

static void test_eval_comparators_numbers_strings_binary(void **state)
{
    (void)state;
    assert_int_equal(c("age = 30"), 1);
    assert_int_equal(c("age = 30.0"), 1); /* numbers compare numerically */
    assert_int_equal(c("age = 3e1"), 1);
    assert_int_equal(c("age <> 30"), 0);
    assert_int_equal(c("age < 31"), 1);
    assert_int_equal(c("age < 30"), 0);
    assert_int_equal(c("age <= 30"), 1);
    assert_int_equal(c("age > 29"), 1);
    assert_int_equal(c("age >= 31"), 0);
    assert_int_equal(c("score < -2"), 1);
    assert_int_equal(c("score > -2.51"), 1);
    assert_int_equal(c("big > 12345678901234567890123456789012345677"), 1); /* exact, 38 digits */
    assert_int_equal(c("big = 12345678901234567890123456789012345678"), 1);
    assert_int_equal(c("name = \"Joanna\""), 1);
    assert_int_equal(c("name > \"Jo\""), 1);     /* strings by UTF-8 bytes */
    assert_int_equal(c("name < \"Jp\""), 1);
    assert_int_equal(c("name < \"a\""), 1);      /* 'J' < 'a' in bytes */
    assert_int_equal(c("utf > \"cafe\""), 1);    /* é is > 'e' bytewise */
    assert_int_equal(cv("bin = :b", V_ALL), 1);
    assert_int_equal(cv("bin > :b1", V_ALL), 1); /* binary by unsigned bytes */
    assert_int_equal(c("age = age"), 1);         /* paths on both sides */
    assert_int_equal(c("age > score"), 1);
    assert_int_equal(c("list[0] < age"), 1);
    assert_int_equal(c("1 < 2"), 1);             /* constants on both sides */
}

static void test_eval_deep_equality_of_containers_and_other_types(void **state)
{
    (void)state;
    assert_int_equal(cv("list[2] = :l", V_ALL), 1);
    assert_int_equal(cv("list[3] = :m", V_ALL), 1);
    assert_int_equal(cv("tags = :ss", V_ALL), 1); /* sets as sets, whatever order was given */
    assert_int_equal(cv("ok = :t", V_ALL), 1);
    assert_int_equal(c("ok = true"), 1);
    assert_int_equal(c("ok <> false"), 1);
    assert_int_equal(c("nothing = null"), 1);
    assert_int_equal(cv("list[2] <> :m", V_ALL), 1);
    /* ordering is defined for N, S and B only: other types are never <, >, <=, >= */
    assert_int_equal(c("ok <= ok"), 0);
    assert_int_equal(c("list <= list"), 0);
    assert_int_equal(c("list >= list"), 0);
    assert_int_equal(c("list = list"), 1);
}

static void test_eval_missing_attributes_compare_false_and_not_equal_true(void **state)
{
    (void)state;
    const char *cmp[] = {"missing = 1", "missing < 1", "missing <= 1", "missing > 1", "missing >= 1",
                         "1 = missing", "missing = missing", "missing BETWEEN 1 AND 2", "age BETWEEN missing AND 40",
                         "missing IN (1, 2)", "begins_with(missing, \"a\")", "contains(missing, \"a\")",
                         "size(missing) = 0", "size(missing) >= 0", "attribute_type(missing, \"N\")",
                         "map.zz.yy = 1", "list[99] = 1", "list.x = 1", "map[0] = 1", "age.x = 1", "age[0] = 30",
                         "regex(missing, \".*\")", "attribute_exists(missing)"};
    for (size_t i = 0; i < sizeof cmp / sizeof *cmp; i++) {
        if (c(cmp[i]) != 0) fprintf(stderr, "should be false: %s\n", cmp[i]);
        assert_int_equal(c(cmp[i]), 0);
        char not[200];
        snprintf(not, sizeof not, "NOT (%s)", cmp[i]);
        assert_int_equal(c(not), 1);
    }
    /* '<>' is the negation of '=': true when either side is missing (DynamoDB) */
    assert_int_equal(c("missing <> 1"), 1);
    assert_int_equal(c("size(missing) <> 1"), 1);
    assert_int_equal(c("attribute_not_exists(missing)"), 1);
    assert_int_equal(c("attribute_not_exists(map.inner.zz)"), 1);
    /* no item at all: every attribute is missing */
    assert_int_equal(xt_cond("attribute_not_exists(id)", NULL, NULL, NULL), 1);
    assert_int_equal(xt_cond("id = 1", NULL, NULL, NULL), 0);
    assert_int_equal(xt_cond("search(\"x\")", NULL, NULL, NULL), 0);
}

static void test_eval_mismatched_types_are_false_not_errors(void **state)
{
    (void)state;
    const char *f[] = {"age = \"30\"", "age < \"31\"", "name > 1", "ok = 1", "nothing = false", "tags = \"red\"",
                       "age BETWEEN \"1\" AND \"9\"", "age IN (\"30\", true)", "begins_with(age, \"3\")",
                       "begins_with(bin, \"a\")", "contains(age, \"3\")", "contains(name, 1)", "contains(tags, 1)",
                       "contains(nums, \"1\")", "size(age) = 2", "size(ok) = 1", "size(nothing) = 0",
                       "regex(age, \"3\")", "size(name) = \"6\""};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        int r = c(f[i]);
        if (r != 0) fprintf(stderr, "should be false: %s -> %d\n", f[i], r);
        assert_int_equal(r, 0);
    }
    assert_int_equal(cv("age <> :30s", V_ALL), 1);
}

static void test_eval_between_and_in(void **state)
{
    (void)state;
    assert_int_equal(c("age BETWEEN 30 AND 30"), 1);
    assert_int_equal(c("age BETWEEN 29 AND 31"), 1);
    assert_int_equal(c("age BETWEEN 31 AND 40"), 0);
    assert_int_equal(c("age BETWEEN 1 AND 29.99"), 0);
    assert_int_equal(c("name BETWEEN \"J\" AND \"K\""), 1);
    assert_int_equal(c("score BETWEEN -3 AND age"), 1);
    assert_int_equal(c("age IN (1, 2, 30)"), 1);
    assert_int_equal(c("age IN (1, 2, 3)"), 0);
    assert_int_equal(c("name IN (\"x\", \"Joanna\")"), 1);
    assert_int_equal(c("age IN (missing, 30)"), 1);
    assert_int_equal(c("list[0] IN (age, 1)"), 1);
    assert_int_equal(cv("list[2] IN (:m, :l)", V_ALL), 1);
    assert_int_equal(c("size(tags) IN (1, 2)"), 1);
}

static void test_eval_logic_precedence_and_short_circuit(void **state)
{
    (void)state;
    /* NOT binds tighter than AND, AND tighter than OR */
    assert_int_equal(c("age = 1 OR age = 30 AND name = \"Joanna\""), 1);
    assert_int_equal(c("age = 30 OR age = 1 AND name = \"x\""), 1);  /* = age=30 OR (..) */
    assert_int_equal(c("(age = 30 OR age = 1) AND name = \"x\""), 0);
    assert_int_equal(c("NOT age = 1 AND name = \"Joanna\""), 1);
    assert_int_equal(c("NOT (age = 30 AND name = \"Joanna\")"), 0);
    assert_int_equal(c("NOT NOT age = 30"), 1);
    assert_int_equal(c("age = 1 AND regex(name, \"(a+)+$\")"), 0); /* right side never runs */
    assert_int_equal(c("age = 30 or age = 1"), 1);                  /* keywords in any case */
    assert_int_equal(c("age = 30 And Not age = 1"), 1);
}

static void test_eval_functions(void **state)
{
    (void)state;
    assert_int_equal(c("attribute_exists(age)"), 1);
    assert_int_equal(c("attribute_exists(nothing)"), 1); /* a NULL value exists */
    assert_int_equal(c("attribute_exists(map.inner.c)"), 1);
    assert_int_equal(c("attribute_exists(list[3].x)"), 1);
    assert_int_equal(c("attribute_not_exists(age)"), 0);
    const char *types[][2] = {{"id", "S"}, {"age", "N"}, {"bin", "B"}, {"ok", "BOOL"}, {"nothing", "NULL"},
                              {"tags", "SS"}, {"nums", "NS"}, {"blobs", "BS"}, {"list", "L"}, {"map", "M"}};
    char t[100];
    for (size_t i = 0; i < 10; i++) {
        snprintf(t, sizeof t, "attribute_type(%s, \"%s\")", types[i][0], types[i][1]);
        assert_int_equal(c(t), 1);
        snprintf(t, sizeof t, "attribute_type(%s, \"%s\")", types[(i + 1) % 10][0], types[i][1]);
        assert_int_equal(c(t), 0);
    }
    assert_int_equal(cv("attribute_type(age, :t2)", "{\":t2\": \"N\"}"), 1);
    assert_int_equal(c("begins_with(name, \"Jo\")"), 1);
    assert_int_equal(c("begins_with(name, \"\")"), 1);
    assert_int_equal(c("begins_with(name, \"jo\")"), 0);
    assert_int_equal(c("begins_with(name, \"Joanna!\")"), 0);
    assert_int_equal(cv("begins_with(bin, :b1)", V_ALL), 1);
    assert_int_equal(c("begins_with(list[1], \"tw\")"), 1);
    assert_int_equal(c("contains(name, \"ann\")"), 1);
    assert_int_equal(c("contains(name, \"Ann\")"), 0);
    assert_int_equal(c("contains(tags, \"red\")"), 1);
    assert_int_equal(c("contains(tags, \"green\")"), 0);
    assert_int_equal(c("contains(nums, 2.50)"), 1);
    assert_int_equal(cv("contains(blobs, :b1)", V_ALL), 1);
    assert_int_equal(c("contains(list, \"two\")"), 1);
    assert_int_equal(c("contains(list, 1)"), 1);
    assert_int_equal(cv("contains(list, :l)", V_ALL), 1);
    assert_int_equal(c("contains(list, 3)"), 0); /* not inside nested lists */
    assert_int_equal(c("contains(name, list[1])"), 0);
    assert_int_equal(c("contains(#l, list[1])"), 1);
    /* size: bytes of a string/binary, members of a set/list/map */
    assert_int_equal(c("size(name) = 6"), 1);
    assert_int_equal(c("size(utf) = 5"), 1); /* "café" is 5 UTF-8 bytes */
    assert_int_equal(c("size(empty) = 0"), 1);
    assert_int_equal(c("size(bin) = 3"), 1);
    assert_int_equal(c("size(tags) = 2"), 1);
    assert_int_equal(c("size(list) = 4"), 1);
    assert_int_equal(c("size(map) = 2"), 1);
    assert_int_equal(c("size(map.inner) = 1"), 1);
    assert_int_equal(c("size(list) > size(tags)"), 1);
    assert_int_equal(c("size(name) BETWEEN 1 AND 6"), 1);
    assert_int_equal(c("size(list) = size(list)"), 1);
    assert_int_equal(c("size(name) <= age"), 1);
}

static void test_eval_paths_and_name_placeholders(void **state)
{
    (void)state;
    assert_int_equal(c("list[2][0] = 3"), 1);
    assert_int_equal(c("list[3].x = \"deep\""), 1);
    assert_int_equal(c("map.inner.c = \"needle in hay\""), 1);
    assert_int_equal(c("#d = \"dotted\""), 1);    /* a #name is one segment, dots included */
    assert_int_equal(c("a.b = \"dotted\""), 0);   /* a bare a.b is a nested path */
    assert_int_equal(c("#n = \"Joanna\" AND #l[1] = \"two\""), 1);
    assert_int_equal(cv("#n = :s", V_ALL), 1);
}

static void test_eval_regex_matches_and_limits(void **state)
{
    (void)state;
    assert_int_equal(c("regex(name, \"^J.*a$\")"), 1);
    assert_int_equal(c("regex(name, \"^j\")"), 0);
    assert_int_equal(c("regex(name, \"(?i)^j\")"), 1);
    assert_int_equal(c("regex(utf, \"^caf.$\")"), 1); /* UTF-8 mode: é is one character */
    assert_int_equal(c("regex(list[1], \"w\")"), 1);
    assert_int_equal(cv("regex(name, :p)", "{\":p\": \"nn\"}"), 1);
    assert_int_equal(c("NOT regex(name, \"x\")"), 1);
    /* a catastrophic pattern ends with STRATA_ELIMIT quickly instead of hanging */
    const char *item = "{\"s\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = xt_cond("regex(s, \"^(a+)+$\")", item, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(rc, STRATA_ELIMIT);
    assert_non_null(strstr(strata_error_last()->message, "match limit"));
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(secs < 10.0); /* generous: the limit, not a timer, is what stops it */
    rc = xt_cond("search_regex(\"^(x+x+)+$\")", "{\"a\": [\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxz\"]}", NULL, NULL);
    assert_int_equal(rc, STRATA_ELIMIT);
    /* the same nested quantifier is fine when the subject lets it match at once */
    assert_int_equal(xt_cond("regex(s, \"^(a+)+b$\")", item, NULL, NULL), 1);
}

static void test_eval_search_any_field_at_any_depth(void **state)
{
    (void)state;
    assert_int_equal(c("search(\"needle\")"), 1);   /* map.inner.c */
    assert_int_equal(c("search(\"deep\")"), 1);     /* list[3].x */
    assert_int_equal(c("search(\"blue\")"), 1);     /* string-set member */
    assert_int_equal(c("search(\"Joan\")"), 1);
    assert_int_equal(c("search(\"inner\")"), 0);    /* map keys are not searched */
    assert_int_equal(c("search(\"30\")"), 0);       /* numbers are not strings */
    assert_int_equal(c("search(\"absent\")"), 0);
    assert_int_equal(cv("search(:q)", "{\":q\": \"two\"}"), 1);
    assert_int_equal(c("search_regex(\"^need.*hay$\")"), 1);
    assert_int_equal(c("search_regex(\"(?i)DOTTED\")"), 1);
    assert_int_equal(c("search_regex(\"^zzz\")"), 0);
    assert_int_equal(c("search(\"needle\") AND NOT search(\"absent\")"), 1);
}

static void test_eval_refuses_bad_items_and_wrong_kinds(void **state)
{
    (void)state;
    strata_expr *e;
    assert_int_equal(xt_parse(&e, STRATA_EXPR_CONDITION, "a = 1", NULL, NULL), 0);
    strata_buf list = xt_enc("[1, 2]");
    int res = 7;
    assert_int_equal(strata_expr__eval(&res, e, xt_slice(&list)), STRATA_EINVALID);
    assert_int_equal(res, 0);
    assert_non_null(strstr(strata_error_last()->message, "not a map"));
    uint8_t junk[] = {0x07, 0xff, 0xff, 0xff};
    strata_slice js = {junk, sizeof junk};
    assert_true(strata_expr__eval(&res, e, js) < 0);
    assert_int_equal(strata_expr__eval(NULL, e, js), STRATA_EINVALID);
    strata_expr *u;
    assert_int_equal(xt_parse(&u, STRATA_EXPR_UPDATE, "SET a = 1", NULL, NULL), 0);
    assert_int_equal(strata_expr__eval(&res, u, xt_slice(&list)), STRATA_EINVALID);
    strata_buf__free(&list);
    strata_expr__free(e);
    strata_expr__free(u);
}

/* A damaged item (a string whose length runs past its end) is never read out of bounds:
 * contains() and begins_with() on it are simply false. */
static void test_eval_damaged_string_contains_nothing(void **state)
{
    (void)state;
    const char *fns[] = {"contains(a, :v)", "begins_with(a, :v)", "contains(a, :e)"};
    for (size_t f = 0; f < sizeof fns / sizeof *fns; f++) {
        strata_buf it = xt_enc("{\"a\": \"xyzzy\", \"b\": 1}");
        uint8_t *p = it.data;
        size_t at = 0;
        for (size_t i = 1; i + 5 <= it.len; i++)
            if (p[i] == 5 && memcmp(p + i + 1, "xyzzy", 5) == 0) at = i;
        assert_true(at > 0);
        p[at] = 0x7f; /* the string now claims 127 bytes */
        strata_expr *e;
        assert_int_equal(xt_parse(&e, STRATA_EXPR_CONDITION, fns[f], NULL, "{\":v\": \"yz\", \":e\": \"\"}"), 0);
        int res = 7;
        int rc = strata_expr__eval(&res, e, xt_slice(&it));
        assert_true(rc == 0 || rc == STRATA_ECORRUPT);
        assert_int_equal(res, 0);
        strata_expr__free(e);
        strata_buf__free(&it);
    }
}

/* Every function and comparison of eval.c checks each decode of a damaged string or binary,
 * in either operand position (the pattern of the contains() bug): the result is false (or
 * '<>' true) or STRATA_ECORRUPT, never a read of an undecoded slice. */
static void test_eval_damaged_value_in_any_operand_position_reads_nothing(void **state)
{
    (void)state;
    static const struct { const char *expr; int ne; } cases[] = {
        {"begins_with(a, :v)", 0}, {"begins_with(:w, a)", 0}, {"begins_with(bin, :b)", 0},
        {"begins_with(:bb, bin)", 0}, {"contains(a, :v)", 0}, {"contains(:w, a)", 0},
        {"contains(bin, :b)", 0}, {"contains(:bb, bin)", 0}, {"a = :w", 0}, {":w = a", 0},
        {"a < :w", 0}, {":w > a", 0}, {"a <> :w", 1}, {"a BETWEEN :v AND :w", 0},
        {":v BETWEEN a AND :w", 0}, {"a IN (:v, :w)", 0}, {":w IN (a, bin)", 0},
        {"size(a) > :n", 0}, {"size(bin) > :n", 0}, {"bin = :bb", 0},
    };
    for (size_t f = 0; f < sizeof cases / sizeof *cases; f++) {
        strata_buf it = xt_enc("ddb:{\"a\": {\"S\": \"xyzzy\"}, \"bin\": {\"B\": \"cXVpcms=\"}}");
        uint8_t *p = it.data;
        size_t sat = 0, bat = 0;
        for (size_t i = 1; i + 5 <= it.len; i++) {
            if (p[i] == 5 && memcmp(p + i + 1, "xyzzy", 5) == 0) sat = i;
            if (p[i] == 5 && memcmp(p + i + 1, "quirk", 5) == 0) bat = i;
        }
        assert_true(sat > 0 && bat > 0);
        p[sat] = 0x7f; /* each now claims 127 bytes */
        p[bat] = 0x7f;
        strata_expr *e;
        assert_int_equal(xt_parse(&e, STRATA_EXPR_CONDITION, cases[f].expr, NULL,
                                  "ddb:{\":v\": {\"S\": \"xy\"}, \":w\": {\"S\": \"xyzzy\"}, "
                                  "\":n\": {\"N\": \"0\"}, \":b\": {\"B\": \"cXU=\"}, "
                                  "\":bb\": {\"B\": \"cXVpcms=\"}}"),
                         0);
        int res = 7;
        int rc = strata_expr__eval(&res, e, xt_slice(&it));
        if (!(rc == STRATA_ECORRUPT || (rc == 0 && res == cases[f].ne)))
            fail_msg("%s on a damaged item: rc %d, result %d", cases[f].expr, rc, res);
        strata_expr__free(e);
        strata_buf__free(&it);
    }
}

/* Property: for random conditions over random small items, NOT c == !c, c AND c == c,
 * and a = b agrees with the negation of a <> b. */
static void test_eval_random_conditions_obey_logic_laws(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("expr_logic_laws"), rs = seed;
    const char *vals[] = {"1", "2", "-1.5", "\"a\"", "\"b\"", "true", "null", "[1]", "{\"x\": 1}"};
    const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    const char *attrs[] = {"x", "y", "z", "x.x", "y[0]"};
    for (int round = 0; round < 300; round++) {
        char item[256], cond[128], expr[512];
        snprintf(item, sizeof item, "{\"x\": %s, \"y\": %s}", vals[tu_below(&rs, 9)], vals[tu_below(&rs, 9)]);
        const char *a = attrs[tu_below(&rs, 5)];
        const char *op = ops[tu_below(&rs, 6)];
        const char *v = vals[tu_below(&rs, 7)]; /* scalars only as literals */
        if (strcmp(op, "=") && strcmp(op, "<>") && (!strcmp(v, "true") || !strcmp(v, "null"))) v = "1";
        snprintf(cond, sizeof cond, "%s %s %s", a, op, v);
        int r = xt_cond(cond, item, NULL, NULL);
        assert_true(r == 0 || r == 1);
        snprintf(expr, sizeof expr, "NOT (%s)", cond);
        assert_int_equal(xt_cond(expr, item, NULL, NULL), !r);
        snprintf(expr, sizeof expr, "%s AND %s", cond, cond);
        assert_int_equal(xt_cond(expr, item, NULL, NULL), r);
        snprintf(expr, sizeof expr, "%s = %s", a, v);
        int eq = xt_cond(expr, item, NULL, NULL);
        snprintf(expr, sizeof expr, "%s <> %s", a, v);
        assert_int_equal(xt_cond(expr, item, NULL, NULL), !eq);
    }
}

static void test_eval_survives_every_allocation_failure(void **state)
{
    (void)state;
    strata_expr *e;
    assert_int_equal(xt_parse(&e, STRATA_EXPR_CONDITION,
                              "regex(name, \"^J\") AND search_regex(\"deep\") AND size(list) = 4 AND contains(tags, \"red\")",
                              NULL, NULL), 0);
    strata_buf it = xt_enc(ITEM);
    int ok = 0;
    for (long n = 1; n < 100 && !ok; n++) {
        int res = -1;
        strata_mem__fail_at(n, 0);
        int rc = strata_expr__eval(&res, e, xt_slice(&it));
        int failed = strata_mem__failed();
        strata_mem__fail_at(0, 0);
        if (rc) assert_int_equal(rc, STRATA_ENOMEM);
        else {
            assert_int_equal(res, 1);
            ok = !failed;
        }
    }
    assert_true(ok);
    strata_buf__free(&it);
    strata_expr__free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_comparators_numbers_strings_binary),
        cmocka_unit_test(test_eval_deep_equality_of_containers_and_other_types),
        cmocka_unit_test(test_eval_missing_attributes_compare_false_and_not_equal_true),
        cmocka_unit_test(test_eval_mismatched_types_are_false_not_errors),
        cmocka_unit_test(test_eval_between_and_in),
        cmocka_unit_test(test_eval_logic_precedence_and_short_circuit),
        cmocka_unit_test(test_eval_functions),
        cmocka_unit_test(test_eval_paths_and_name_placeholders),
        cmocka_unit_test(test_eval_regex_matches_and_limits),
        cmocka_unit_test(test_eval_search_any_field_at_any_depth),
        cmocka_unit_test(test_eval_refuses_bad_items_and_wrong_kinds),
        cmocka_unit_test(test_eval_damaged_string_contains_nothing),
        cmocka_unit_test(test_eval_damaged_value_in_any_operand_position_reads_nothing),
        cmocka_unit_test(test_eval_random_conditions_obey_logic_laws),
        cmocka_unit_test(test_eval_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
