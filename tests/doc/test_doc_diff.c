/* Differential test of the JSON parser against jansson (when STRATA_HAVE_JANSSON): on the fuzz
 * corpus files and on generated valid and mutated inputs, both must agree on accept/reject and,
 * when both accept, on the structure (types, keys, members, string bytes, numeric values).
 * Known, documented differences are excluded from the verdict check: strata's number limits
 * (38 digits, DynamoDB's magnitude range), its depth limit of 64, jansson's integer range and
 * jansson's refusal of NUL in object keys. */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "strata.h"
#include "support_doc.h"
#include "util/buf.h"

#ifdef STRATA_HAVE_JANSSON
#include <jansson.h>

static int same(strata_slice v, json_t *j)
{
    int t = strata_doc__type(v);
    switch (t) {
    case STRATA_DOC_NULL: return json_is_null(j);
    case STRATA_DOC_BOOL: {
        int b;
        strata_doc__get_bool(v, &b);
        return b ? json_is_true(j) : json_is_false(j);
    }
    case STRATA_DOC_NUMBER: {
        strata_num n;
        strata_doc__get_number(v, &n);
        if (json_is_integer(j)) {
            int64_t x;
            return strata_num__to_i64(&n, &x) == 0 && x == json_integer_value(j);
        }
        return json_is_real(j) && strata_num__to_double(&n) == json_real_value(j);
    }
    case STRATA_DOC_STRING: {
        strata_slice s;
        strata_doc__get_string(v, &s);
        return json_is_string(j) && json_string_length(j) == s.len &&
               (s.len == 0 || memcmp(json_string_value(j), s.data, s.len) == 0);
    }
    case STRATA_DOC_LIST: {
        size_t n;
        strata_doc__count(v, &n);
        if (!json_is_array(j) || json_array_size(j) != n) return 0;
        for (size_t i = 0; i < n; i++) {
            strata_slice m;
            strata_doc__index(v, i, &m);
            if (!same(m, json_array_get(j, i))) return 0;
        }
        return 1;
    }
    case STRATA_DOC_MAP: {
        size_t n;
        strata_doc__count(v, &n);
        if (!json_is_object(j) || json_object_size(j) != n) return 0;
        for (size_t i = 0; i < n; i++) {
            strata_slice k, m;
            strata_doc__map_entry(v, i, &k, &m);
            json_t *jm = json_object_getn(j, k.data, k.len);
            if (!jm || !same(m, jm)) return 0;
        }
        return 1;
    }
    default: return 0;
    }
}

static int known_difference(const char *ours, const char *theirs)
{
    return (ours && (strstr(ours, "significant digits") || strstr(ours, "magnitude") || strstr(ours, "nesting"))) ||
           (theirs && (strstr(theirs, "too big") || strstr(theirs, "overflow") || strstr(theirs, "nesting") ||
                       strstr(theirs, "NUL byte in object key")));
}

typedef struct stats { int agree_ok, agree_err, skipped; } stats;

static void compare_one(const char *in, size_t len, stats *st, const char *what)
{
    strata_buf b = {0};
    int rc = strata_doc__from_json(&b, in, len);
    char ours[512] = "";
    if (rc) snprintf(ours, sizeof ours, "%s", strata_error_last()->message);
    json_error_t err;
    json_t *j = json_loadb(in, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if ((rc == 0) != (j != NULL)) {
        if (known_difference(rc ? ours : NULL, j ? NULL : err.text)) {
            st->skipped++;
        } else {
            fail_msg("%s: verdicts differ on '%.*s': strata %s, jansson %s", what, (int)(len > 200 ? 200 : len), in,
                     rc ? ours : "accepts", j ? "accepts" : err.text);
        }
    } else if (rc == 0) {
        if (!same((strata_slice){b.data, b.len}, j))
            fail_msg("%s: structures differ on '%.*s'", what, (int)(len > 200 ? 200 : len), in);
        st->agree_ok++;
    } else {
        st->agree_err++;
    }
    json_decref(j);
    strata_buf__free(&b);
}

static void test_doc_json_agrees_with_jansson_on_fuzz_corpus(void **state)
{
    (void)state;
    const char *src = getenv("STRATA_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/fuzz_doc_json", src ? src : ".");
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    stats st = {0};
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char buf[65536];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        compare_one(buf, n, &st, e->d_name);
        files++;
    }
    closedir(d);
    assert_true(files > 10);
    assert_true(st.agree_ok > 3 && st.agree_err > 3);
}

static void test_doc_json_agrees_with_jansson_on_generated_and_mutated_inputs(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("doc_diff_jansson"), rs = seed;
    strata_doc_builder *b;
    assert_int_equal(strata_doc__builder_new(&b), 0);
    stats st = {0};
    static const char alphabet[] = "{}[],:\"\\ 0123456789-+.eEtrufalsn\t\n\x01\x80\xc3\xa9u";
    for (int iter = 0; iter < 4000; iter++) {
        strata_doc__builder_reset(b);
        rnd_value(&rs, b, 0, 0);
        strata_slice v;
        assert_int_equal(strata_doc__builder_finish(b, &v), 0);
        strata_buf t = {0};
        assert_int_equal(strata_doc__to_json(&t, v, (int)tu_below(&rs, 2)), 0);
        compare_one((char *)t.data, t.len, &st, "generated");
        /* mutate: delete, insert or replace a few bytes */
        size_t muts = 1 + tu_below(&rs, 3);
        for (size_t m = 0; m < muts && t.len > 0; m++) {
            size_t at = tu_below(&rs, t.len);
            int op = (int)tu_below(&rs, 3);
            char c = alphabet[tu_below(&rs, sizeof alphabet - 1)];
            if (op == 0) {
                memmove(t.data + at, t.data + at + 1, t.len - at - 1);
                t.len--;
            } else if (op == 1) {
                strata_buf__putc(&t, 0);
                memmove(t.data + at + 1, t.data + at, t.len - at - 1);
                t.data[at] = (uint8_t)c;
            } else {
                t.data[at] = (uint8_t)c;
            }
        }
        compare_one((char *)t.data, t.len, &st, "mutated");
        strata_buf__free(&t);
    }
    strata_doc__builder_free(b);
    fprintf(stderr, "jansson differential: %d both accept, %d both reject, %d known differences\n", st.agree_ok,
            st.agree_err, st.skipped);
    assert_true(st.agree_ok > 1000 && st.agree_err > 500);
}
#else
static void test_doc_json_agrees_with_jansson_on_fuzz_corpus(void **state)
{
    (void)state;
    skip();
}
static void test_doc_json_agrees_with_jansson_on_generated_and_mutated_inputs(void **state)
{
    (void)state;
    skip();
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_json_agrees_with_jansson_on_fuzz_corpus),
        cmocka_unit_test(test_doc_json_agrees_with_jansson_on_generated_and_mutated_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
