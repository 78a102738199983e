/* Tests of the expression parser: every grammar accepts what DynamoDB accepts, and every error
 * (syntax, placeholders, reserved words, operand types, limits) is refused with a message that
 * names the problem and points at its offset. */
#include "exprtest.h"

#define C STRATA_EXPR_CONDITION
#define K STRATA_EXPR_KEY_CONDITION
#define U STRATA_EXPR_UPDATE
#define P STRATA_EXPR_PROJECTION

static void parses(strata_expr_kind kind, const char *text, const char *names, const char *values)
{
    strata_expr *e = NULL;
    int rc = xt_parse(&e, kind, text, names, values);
    if (rc) fprintf(stderr, "unexpected error for <%s>: %s\n", text, strata_error_last()->message);
    assert_int_equal(rc, 0);
    assert_non_null(e);
    assert_int_equal(strata_expr__kind(e), kind);
    strata_expr__free(e);
}

static void test_parse_accepts_dynamodb_condition_grammar(void **state)
{
    (void)state;
    const char *V = "{\":v\": 1, \":w\": 2, \":s\": \"x\", \":t\": \"S\"}";
    const char *N = "{\"#n\": \"name\", \"#d\": \"a.b\"}";
    const char *ok[] = {
        "a = :v", "a <> :v", "a < :v", "a <= :v", "a > :v", "a >= :v",
        "a BETWEEN :v AND :w", "a between :v and :w", "a IN (:v)", "a IN (:v, :w, :s)",
        "attribute_exists(a)", "attribute_not_exists(a.b[3].c)", "attribute_type(a, :t)",
        "begins_with(a, :s)", "contains(a, :s)", "size(a) > :v", "size(a.b) = size(c)",
        "a = :v AND b = :w OR NOT c = :s", "(a = :v OR b = :w) AND c = :s", "NOT NOT a = :v",
        "#n = :v", "#n.#d[0] = :v", "#d = :s", "a[0][1].b[2] = :v", "a.b = c.d",
        "  a   =   :v  ", "a=:v", "a\n=\t:v",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        strata_expr *e = NULL;
        int rc = xt_parse(&e, C, ok[i], N, V);
        if (rc) fprintf(stderr, "<%s>: %s\n", ok[i], strata_error_last()->message);
        assert_int_equal(rc, 0);
        strata_expr__free(e);
    }
    parses(C, "a = 1 AND b = \"Jo\" AND c = true AND d = false AND e = null AND f = -2.5e3", NULL, NULL);
    parses(C, "name = \"\\u00e9\\n\\\"q\\\"\" AND x = \"\\ud83d\\ude00\"", NULL, NULL);
    parses(C, "regex(name, \"^J.*\") AND search(\"needle\") AND search_regex(\"(?i)ne+dle\")", NULL, NULL);
    parses(C, "size = :v", NULL, "{\":v\": 1}"); /* function names are not reserved */
}

static void test_parse_accepts_update_projection_and_key_grammars(void **state)
{
    (void)state;
    const char *V = "ddb:{\":n\": {\"N\": \"1\"}, \":l\": {\"L\": []}, \":ss\": {\"SS\": [\"a\"]}}";
    parses(U, "SET a = :n", NULL, V);
    parses(U, "SET a = b + :n, c = :n - d, e = if_not_exists(e, :n), f = list_append(f, :l)", NULL, V);
    parses(U, "SET a = list_append(:l, if_not_exists(b, :l)) REMOVE c, d[2] ADD e :n, s :ss DELETE t :ss", NULL, V);
    parses(U, "remove a set b = :n add c :n delete d :ss", NULL, V);
    parses(U, "SET a = a + 1, b = \"x\", c = true", NULL, NULL);
    parses(P, "a, b.c, d[0], d[2].e, #n", "{\"#n\": \"x\"}", NULL);
    parses(K, "pk = :n", NULL, V);
    parses(K, "pk = :n AND sk BETWEEN 1 AND 2", NULL, V);
    parses(K, "begins_with(sk, \"ab\") AND pk = :n", NULL, V);
    parses(K, "(pk = :n) AND (sk >= 5)", NULL, V);
}

static void test_parse_errors_point_at_the_offset(void **state)
{
    (void)state;
    const char *V = "{\":v\": 1, \":w\": 2}";
    xt_parse_fails(C, "(a = :v", NULL, V, STRATA_EINVALID, "at offset 7:|expected ')' to close '(' at offset 0");
    xt_parse_fails(C, "a = ", NULL, V, STRATA_EINVALID, "at offset 4:|expected an operand|end of expression");
    xt_parse_fails(C, "a :v", NULL, V, STRATA_EINVALID, "at offset 2:|expected a comparator");
    xt_parse_fails(C, "a = :v b", NULL, V, STRATA_EINVALID, "at offset 7:|unexpected name 'b'");
    xt_parse_fails(C, "a != :v", NULL, V, STRATA_EINVALID, "at offset 2:|use '<>'");
    xt_parse_fails(C, "a = :v AND", NULL, V, STRATA_EINVALID, "at offset 10:");
    xt_parse_fails(C, "a BETWEEN :v OR :w", NULL, V, STRATA_EINVALID, "at offset 13:|expected AND in BETWEEN");
    xt_parse_fails(C, "a IN (:v :w)", NULL, V, STRATA_EINVALID, "at offset 9:|expected ',' or ')'");
    xt_parse_fails(C, "a IN ()", NULL, V, STRATA_EINVALID, "at offset 6:|expected an operand");
    xt_parse_fails(C, "a.[1] = :v", NULL, V, STRATA_EINVALID, "at offset 2:|expected an attribute name");
    xt_parse_fails(C, "a[x] = :v", NULL, V, STRATA_EINVALID, "at offset 2:|list index");
    xt_parse_fails(C, "a[1.5] = :v", NULL, V, STRATA_EINVALID, "at offset 2:|non-negative integer");
    xt_parse_fails(C, "a[-1] = :v", NULL, V, STRATA_EINVALID, "at offset 2:|list index");
    xt_parse_fails(C, "a[1 = :v", NULL, V, STRATA_EINVALID, "at offset 4:|expected ']'");
    xt_parse_fails(C, "foo(a)", NULL, V, STRATA_EINVALID, "at offset 0:|unknown function 'foo'");
    xt_parse_fails(C, "SIZE(a) = :v", NULL, V, STRATA_EINVALID, "unknown function 'SIZE'"); /* case-sensitive */
    xt_parse_fails(C, "size(a)", NULL, V, STRATA_EINVALID, "at offset 7:|expected a comparator");
    xt_parse_fails(C, "contains(a, :v) = :w", NULL, V, STRATA_EINVALID, "at offset 16:|unexpected '='");
    xt_parse_fails(C, "a = contains(b, :v)", NULL, V, STRATA_EINVALID, "at offset 4:|cannot be used as an operand");
    xt_parse_fails(C, "attribute_exists(:v)", NULL, V, STRATA_EINVALID, "at offset 17:|expected an attribute name");
    xt_parse_fails(C, "attribute_exists(a", NULL, V, STRATA_EINVALID, "at offset 18:|expected ')' to close attribute_exists(");
    xt_parse_fails(C, "begins_with(a :v)", NULL, V, STRATA_EINVALID, "at offset 14:|expected ','");
    xt_parse_fails(C, "a = \"abc", NULL, V, STRATA_EINVALID, "at offset 4:|unterminated string");
    xt_parse_fails(C, "a = \"\\q\"", NULL, V, STRATA_EINVALID, "at offset 5:|unknown escape");
    xt_parse_fails(C, "a = \"\\ud800\"", NULL, V, STRATA_EINVALID, "at offset 4:|surrogate");
    xt_parse_fails(C, "a = \"\xff\"", NULL, V, STRATA_EINVALID, "at offset 5:|malformed UTF-8");
    xt_parse_fails(C, "caf\xc3\xa9 = :v", NULL, V, STRATA_EINVALID, "at offset 3:|non-ASCII");
    xt_parse_fails(C, "a = 01", NULL, V, STRATA_EINVALID, "at offset 4:|leading zeros");
    xt_parse_fails(C, "a = 1.", NULL, V, STRATA_EINVALID, "at offset 6:|digit after '.'");
    xt_parse_fails(C, "a = 1e", NULL, V, STRATA_EINVALID, "at offset 6:|exponent");
    xt_parse_fails(C, "a = 12abc", NULL, V, STRATA_EINVALID, "at offset 6:|letter after number");
    xt_parse_fails(C, "a = 1e999", NULL, V, STRATA_EINVALID, "at offset 4:|bad literal");
    xt_parse_fails(C, "a = # ", NULL, V, STRATA_EINVALID, "at offset 4:|'#' must be followed");
    xt_parse_fails(C, "a = : ", NULL, V, STRATA_EINVALID, "at offset 4:|':' must be followed");
    xt_parse_fails(C, "", NULL, V, STRATA_EINVALID, "empty condition expression");
    xt_parse_fails(C, "   ", NULL, V, STRATA_EINVALID, "empty condition expression");
    /* embedded NUL byte inside the given length */
    strata_expr *e = NULL;
    assert_int_equal(strata_expr__parse(&e, C, "a = 1\0", 6, NULL), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "at offset 5:"));
    assert_null(e);
}

static void test_parse_rejects_wrong_constant_operand_types(void **state)
{
    (void)state;
    const char *V = "ddb:{\":b\": {\"BOOL\": true}, \":n\": {\"N\": \"5\"}, \":s\": {\"S\": \"x\"}, "
                    "\":l\": {\"L\": []}, \":m\": {\"M\": {}}, \":ss\": {\"SS\": [\"a\"]}, \":hi\": {\"N\": \"9\"}}";
    xt_parse_fails(C, "a < :b", NULL, V, STRATA_EINVALID, "at offset 4:|incorrect operand type for '<': BOOL");
    xt_parse_fails(C, ":l >= a", NULL, V, STRATA_EINVALID, "at offset 0:|incorrect operand type for '>=': L");
    xt_parse_fails(C, "a BETWEEN :m AND :n", NULL, V, STRATA_EINVALID, "incorrect operand type for BETWEEN: M");
    xt_parse_fails(C, "a BETWEEN :hi AND :n", NULL, V, STRATA_EINVALID, "upper bound to be greater");
    xt_parse_fails(C, "a BETWEEN :s AND :n", NULL, V, STRATA_EINVALID, "different types");
    xt_parse_fails(C, "begins_with(a, :n)", NULL, V, STRATA_EINVALID, "at offset 15:|begins_with: N");
    xt_parse_fails(C, "contains(:n, a)", NULL, V, STRATA_EINVALID, "contains: N");
    xt_parse_fails(C, "attribute_type(a, :n)", NULL, V, STRATA_EINVALID, "attribute_type: N");
    xt_parse_fails(C, "attribute_type(a, :s)", NULL, V, STRATA_EINVALID, "invalid type 'x'|valid types");
    xt_parse_fails(C, "regex(a, :n)", NULL, V, STRATA_EINVALID, "regex: N");
    xt_parse_fails(C, "regex(a, b)", NULL, V, STRATA_EINVALID, "needs a string :value or literal");
    xt_parse_fails(C, "regex(a, \"(unclosed\")", NULL, V, STRATA_EINVALID, "at offset 9:|bad regex pattern|missing closing parenthesis");
    xt_parse_fails(C, "search(:n)", NULL, V, STRATA_EINVALID, "search: N");
    xt_parse_fails(U, "SET a = b + :s", NULL, V, STRATA_EINVALID, "at offset 12:|incorrect operand type for '+': S");
    xt_parse_fails(U, "SET a = list_append(a, :n)", NULL, V, STRATA_EINVALID, "list_append: N");
    xt_parse_fails(U, "ADD a :s", NULL, V, STRATA_EINVALID, "at offset 6:|incorrect operand type for ADD: S");
    xt_parse_fails(U, "DELETE a :n", NULL, V, STRATA_EINVALID, "incorrect operand type for DELETE: N");
    xt_parse_fails(U, "ADD a b", NULL, V, STRATA_EINVALID, "ADD needs a :value or literal");
    xt_parse_fails(U, "SET a = size(b)", NULL, V, STRATA_EINVALID, "function 'size' is not allowed in an update");
}

static void test_placeholders_undefined_and_unused_are_errors(void **state)
{
    (void)state;
    xt_parse_fails(C, "a = :nope", NULL, "{\":v\": 1}", STRATA_EINVALID,
                   "at offset 4:|expression attribute value ':nope' is not defined");
    xt_parse_fails(C, "#nope = :v", "{\"#n\": \"x\"}", "{\":v\": 1}", STRATA_EINVALID,
                   "at offset 0:|expression attribute name '#nope' is not defined");
    xt_parse_fails(C, "a = :v", NULL, NULL, STRATA_EINVALID, "':v' is not defined");
    xt_parse_fails(C, "#n = 1", NULL, NULL, STRATA_EINVALID, "'#n' is not defined");

    /* unused: reported by check_unused after every expression of a request is parsed */
    strata_buf n = xt_enc("{\"#a\": \"x\", \"#b\": \"y\"}"), v = xt_enc("{\":p\": 1, \":q\": 2}");
    strata_expr_params *pp;
    assert_int_equal(strata_expr__params_new(&pp, xt_slice(&n), xt_slice(&v)), 0);
    strata_expr *e1, *e2;
    assert_int_equal(strata_expr__parse(&e1, C, "#a = :p", 7, pp), 0);
    assert_int_equal(strata_expr__params_check_unused(pp), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "names unused in expressions: #b"));
    assert_non_null(strstr(strata_error_last()->message, "values unused: :q"));
    assert_int_equal(strata_expr__parse(&e2, U, "SET #b = :q", 11, pp), 0);
    assert_int_equal(strata_expr__params_check_unused(pp), 0);
    strata_expr__free(e1);
    strata_expr__free(e2);
    strata_expr__params_free(pp);
    strata_buf__free(&n);
    strata_buf__free(&v);

    /* bad placeholder maps */
    strata_buf bad1 = xt_enc("{\"n\": \"x\"}"), bad2 = xt_enc("{\"#n\": 1}"), bad3 = xt_enc("{\":v w\": 1}"),
               bad4 = xt_enc("[1]"), bad5 = xt_enc("{\"#n\": \"\"}"), empty = {0};
    assert_int_equal(strata_expr__params_new(&pp, xt_slice(&bad1), xt_slice(&empty)), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "key 'n' must be '#'"));
    assert_int_equal(strata_expr__params_new(&pp, xt_slice(&bad2), xt_slice(&empty)), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "non-empty string"));
    assert_int_equal(strata_expr__params_new(&pp, xt_slice(&empty), xt_slice(&bad3)), STRATA_EINVALID);
    assert_int_equal(strata_expr__params_new(&pp, xt_slice(&empty), xt_slice(&bad4)), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "expected a map"));
    assert_int_equal(strata_expr__params_new(&pp, xt_slice(&bad5), xt_slice(&empty)), STRATA_EINVALID);
    uint8_t junk[] = {0xff, 0x00, 0x13};
    strata_slice js = {junk, sizeof junk};
    assert_int_equal(strata_expr__params_new(&pp, js, xt_slice(&empty)), STRATA_EINVALID);
    strata_buf__free(&bad1);
    strata_buf__free(&bad2);
    strata_buf__free(&bad3);
    strata_buf__free(&bad4);
    strata_buf__free(&bad5);
}

static void test_reserved_grammar_words_need_name_placeholders(void **state)
{
    (void)state;
    const char *words[] = {"and", "OR", "Not", "between", "in", "set", "remove", "add", "delete", "true", "null"};
    char text[64];
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        snprintf(text, sizeof text, "x.%s = :v", words[i]);
        xt_parse_fails(C, text, NULL, "{\":v\": 1}", STRATA_EINVALID, "at offset 2:|reserved word|#name placeholder");
    }
    /* other DynamoDB reserved words (name, status, size, data, ...) are allowed as bare names */
    parses(C, "name = :v AND status = :v AND data.count = :v AND size = :v", NULL, "{\":v\": 1}");
    parses(C, "#a = :v", "{\"#a\": \"and\"}", "{\":v\": 1}");
}

static void test_update_parse_errors_like_dynamodb(void **state)
{
    (void)state;
    const char *V = "ddb:{\":n\": {\"N\": \"1\"}, \":ss\": {\"SS\": [\"a\"]}}";
    xt_parse_fails(U, "SET a = :n SET b = :n", NULL, V, STRATA_EINVALID, "at offset 11:|SET section can only be used once");
    xt_parse_fails(U, "SET a = :n, a = :n", NULL, V, STRATA_EINVALID, "at offset 12:|overlap: a and a");
    xt_parse_fails(U, "SET a.b = :n REMOVE a", NULL, V, STRATA_EINVALID, "overlap: a.b and a");
    xt_parse_fails(U, "SET a[1] = :n REMOVE a[1].c", NULL, V, STRATA_EINVALID, "overlap: a[1] and a[1].c");
    xt_parse_fails(U, "ADD #x :n DELETE #x :ss", "{\"#x\": \"s\"}", V, STRATA_EINVALID, "overlap: s and s");
    xt_parse_fails(U, "SET a :n", NULL, V, STRATA_EINVALID, "at offset 6:|expected '=' after the path in SET");
    xt_parse_fails(U, "UPDATE a = :n", NULL, V, STRATA_EINVALID, "at offset 0:|expected SET, REMOVE, ADD or DELETE");
    xt_parse_fails(U, "SET a = b + c + d", NULL, V, STRATA_EINVALID, "at offset 14:|expected ',' or SET, REMOVE, ADD or DELETE, found '+'");
    xt_parse_fails(U, "REMOVE", NULL, V, STRATA_EINVALID, "at offset 6:|expected an attribute name");
    xt_parse_fails(U, "SET a = if_not_exists(:n, :n)", NULL, V, STRATA_EINVALID, "at offset 22:|attribute name");
    xt_parse_fails(U, "", NULL, V, STRATA_EINVALID, "empty update expression");
    /* disjoint paths are fine, including different indexes of one list and sibling keys */
    parses(U, "SET a[1] = :n, a[2] = :n, b.c = :n, b.d = :n REMOVE a[0]", NULL, V);
    xt_parse_fails(P, "a, a.b", NULL, NULL, STRATA_EINVALID, "at offset 3:|overlap: a and a.b");
    xt_parse_fails(P, "a,", NULL, NULL, STRATA_EINVALID, "at offset 2:");
    xt_parse_fails(P, "", NULL, NULL, STRATA_EINVALID, "empty projection");
    xt_parse_fails(P, "a = 1", NULL, NULL, STRATA_EINVALID, "at offset 2:|unexpected '='");
}

static void test_key_condition_parse_errors(void **state)
{
    (void)state;
    const char *V = "ddb:{\":v\": {\"N\": \"1\"}, \":b\": {\"BOOL\": true}}";
    xt_parse_fails(K, "pk = :v OR sk = :v", NULL, V, STRATA_EINVALID, "OR is not allowed");
    xt_parse_fails(K, "NOT pk = :v", NULL, V, STRATA_EINVALID, "NOT is not allowed");
    xt_parse_fails(K, "pk <> :v", NULL, V, STRATA_EINVALID, "'<>' is not allowed");
    xt_parse_fails(K, "pk IN (:v)", NULL, V, STRATA_EINVALID, "IN is not allowed");
    xt_parse_fails(K, "pk = :v AND sk = :v AND x = :v", NULL, V, STRATA_EINVALID, "at most two conditions");
    xt_parse_fails(K, "pk = :v AND pk = :v", NULL, V, STRATA_EINVALID, "at offset 12:|constrains attribute 'pk' twice");
    xt_parse_fails(K, "pk.x = :v", NULL, V, STRATA_EINVALID, "top-level attribute");
    xt_parse_fails(K, "pk = sk", NULL, V, STRATA_EINVALID, "compares a key attribute (left) with a value");
    xt_parse_fails(K, "pk = :b", NULL, V, STRATA_EINVALID, "at offset 5:|string, number or binary");
    xt_parse_fails(K, "contains(pk, :v)", NULL, V, STRATA_EINVALID, "only =, <, <=, >, >=, BETWEEN and begins_with");
    xt_parse_fails(K, "attribute_exists(pk)", NULL, V, STRATA_EINVALID, "only =, <, <=");
}

static void test_limits_length_operators_depth_path_and_in(void **state)
{
    (void)state;
    char *text = malloc(20000);
    /* length: 4096 bytes is fine, 4097 is not */
    memset(text, ' ', 4097);
    memcpy(text, "a = 1", 5);
    strata_expr *e = NULL;
    assert_int_equal(strata_expr__parse(&e, C, text, 4096, NULL), 0);
    strata_expr__free(e);
    assert_int_equal(strata_expr__parse(&e, C, text, 4097, NULL), STRATA_ELIMIT);
    assert_non_null(strstr(strata_error_last()->message, "longer than 4096 bytes"));

    /* operators: 300 allowed (150 comparisons joined by 149 ANDs = 299; 300 with one NOT) */
    size_t o = 0;
    o += (size_t)sprintf(text + o, "NOT a=1");
    for (int i = 1; i < 150; i++) o += (size_t)sprintf(text + o, " AND a=1");
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), 0);
    strata_expr__free(e);
    o += (size_t)sprintf(text + o, " OR a=1");
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), STRATA_ELIMIT);
    assert_non_null(strstr(strata_error_last()->message, "more than 300 operators"));

    /* nesting depth: 32 parentheses fine, 33 not */
    o = 0;
    for (int i = 0; i < 32; i++) text[o++] = '(';
    o += (size_t)sprintf(text + o, "a=1");
    for (int i = 0; i < 32; i++) text[o++] = ')';
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), 0);
    strata_expr__free(e);
    o = 0;
    for (int i = 0; i < 33; i++) text[o++] = '(';
    o += (size_t)sprintf(text + o, "a=1");
    for (int i = 0; i < 33; i++) text[o++] = ')';
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), STRATA_ELIMIT);
    assert_non_null(strstr(strata_error_last()->message, "nesting deeper than 32"));
    /* a deep NOT chain and deep update functions hit the same limit, never the stack */
    o = 0;
    for (int i = 0; i < 40; i++) o += (size_t)sprintf(text + o, "NOT ");
    o += (size_t)sprintf(text + o, "a=1");
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), STRATA_ELIMIT);
    o = (size_t)sprintf(text, "SET a = ");
    for (int i = 0; i < 40; i++) o += (size_t)sprintf(text + o, "if_not_exists(a,");
    o += (size_t)sprintf(text + o, "1");
    for (int i = 0; i < 40; i++) text[o++] = ')';
    assert_int_equal(strata_expr__parse(&e, U, text, o, NULL), STRATA_ELIMIT);
    assert_non_null(strstr(strata_error_last()->message, "nesting deeper than 32"));

    /* path length: 32 segments fine, 33 not */
    o = (size_t)sprintf(text, "a");
    for (int i = 1; i < 32; i++) o += (size_t)sprintf(text + o, "[%d]", i);
    o += (size_t)sprintf(text + o, " = 1");
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), 0);
    strata_expr__free(e);
    o = (size_t)sprintf(text, "a");
    for (int i = 1; i < 33; i++) o += (size_t)sprintf(text + o, ".b");
    o += (size_t)sprintf(text + o, " = 1");
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), STRATA_ELIMIT);
    assert_non_null(strstr(strata_error_last()->message, "longer than 32 segments"));

    /* IN list: 100 operands fine, 101 not */
    o = (size_t)sprintf(text, "a IN (1");
    for (int i = 1; i < 100; i++) o += (size_t)sprintf(text + o, ",%d", i);
    text[o++] = ')';
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), 0);
    strata_expr__free(e);
    o = (size_t)sprintf(text, "a IN (1");
    for (int i = 1; i < 101; i++) o += (size_t)sprintf(text + o, ",%d", i);
    text[o++] = ')';
    assert_int_equal(strata_expr__parse(&e, C, text, o, NULL), STRATA_ELIMIT);
    assert_non_null(strstr(strata_error_last()->message, "more than 100 operands in IN"));

    /* update actions count as operators */
    o = (size_t)sprintf(text, "REMOVE a0");
    for (int i = 1; i < 301; i++) o += (size_t)sprintf(text + o, ",a%d", i);
    assert_int_equal(strata_expr__parse(&e, U, text, o, NULL), STRATA_ELIMIT);
    free(text);
}

static void test_parse_survives_every_allocation_failure(void **state)
{
    (void)state;
    const char *V = "ddb:{\":n\": {\"N\": \"1\"}, \":s\": {\"S\": \"x\"}, \":l\": {\"L\": []}}";
    const struct { strata_expr_kind k; const char *t; } cases[] = {
        {C, "a.b[1] = :n AND (regex(c, \"^x+$\") OR NOT d IN (:n, :s, 3)) AND size(e) > 2"},
        {U, "SET a = list_append(if_not_exists(a, :l), :l), b = b + :n REMOVE c[1] ADD d :n"},
        {P, "a, b.c[2], d.e"},
        {K, "pk = :s AND sk BETWEEN 1 AND 5"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int ok = 0;
        for (long n = 1; n < 200 && !ok; n++) {
            strata_buf v = xt_enc(V);
            strata_expr_params *pp = NULL;
            strata_expr *e = NULL;
            strata_mem__fail_at(n, 0);
            int rc = strata_expr__params_new(&pp, (strata_slice){NULL, 0}, xt_slice(&v));
            if (!rc) rc = strata_expr__parse(&e, cases[c].k, cases[c].t, strlen(cases[c].t), pp);
            int failed = strata_mem__failed();
            strata_mem__fail_at(0, 0);
            if (rc) {
                assert_true(failed);
                assert_null(e);
            } else {
                ok = !failed;
            }
            strata_expr__free(e);
            strata_expr__params_free(pp);
            strata_buf__free(&v);
        }
        assert_true(ok);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_dynamodb_condition_grammar),
        cmocka_unit_test(test_parse_accepts_update_projection_and_key_grammars),
        cmocka_unit_test(test_parse_errors_point_at_the_offset),
        cmocka_unit_test(test_parse_rejects_wrong_constant_operand_types),
        cmocka_unit_test(test_placeholders_undefined_and_unused_are_errors),
        cmocka_unit_test(test_reserved_grammar_words_need_name_placeholders),
        cmocka_unit_test(test_update_parse_errors_like_dynamodb),
        cmocka_unit_test(test_key_condition_parse_errors),
        cmocka_unit_test(test_limits_length_operators_depth_path_and_in),
        cmocka_unit_test(test_parse_survives_every_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
