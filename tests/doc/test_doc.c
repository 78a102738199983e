/* Tests of the value model: canonical encoding (builder, reader, validator), JSON and DynamoDB
 * JSON codecs (round trips as property tests, and every kind of rejection with its message),
 * paths and edits, DynamoDB comparison, the key codec's order and the name check. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "doc/doc_int.h"
#include "strata.h"
#include "support_doc.h"
#include "util/buf.h"
#include "util/mem.h"

static strata_slice sl(const strata_buf *b) { return (strata_slice){b->data, b->len}; }

/* Parse JSON (must succeed) into a fresh buffer. */
static strata_buf J(const char *json)
{
    strata_buf b = {0};
    int rc = strata_doc__from_json(&b, json, strlen(json));
    if (rc) fail_msg("from_json(%s): %s", json, strata_error_last()->message);
    assert_int_equal(strata_doc__validate(b.data, b.len), 0);
    return b;
}

static char *to_json(strata_slice v, int flags)
{
    strata_buf o = {0};
    int rc = strata_doc__to_json(&o, v, flags);
    if (rc) fail_msg("to_json: %s", strata_error_last()->message);
    strata_buf__putc(&o, 0);
    return (char *)o.data;
}

static void json_roundtrip_eq(const char *in, const char *want)
{
    strata_buf b = J(in);
    char *out = to_json(sl(&b), 0);
    if (strcmp(out, want) != 0) fail_msg("json %s -> %s, want %s", in, out, want);
    strata_mem__free(out);
    strata_buf__free(&b);
}

/* ---- encoding and builder ------------------------------------------------------------------- */

static void test_doc_encoding_bytes_match_the_format_tables(void **state)
{
    (void)state;
    strata_buf b = J("null");
    assert_int_equal(b.len, 1);
    assert_int_equal(b.data[0], 0x00);
    strata_buf__free(&b);
    b = J("\"hi\"");
    assert_memory_equal(b.data, "\x04\x02hi", 4);
    strata_buf__free(&b);
    b = J("12");
    assert_memory_equal(b.data, "\x03\xc0\x83\x18", 4); /* 0.12 x 10^2: exp byte 2+129, pair 12 last: 24 */
    strata_buf__free(&b);
    b = J("[true,false]");
    /* tag, D=2, n=2, one 1-byte offset (end of member 0 = 1), members */
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "\x06\x02\x02\x01\x02\x01", 6);
    strata_buf__free(&b);
    b = J("{\"b\":null,\"a\":true}");
    /* keys sorted: a then b; members: 01 'a' 02 | 01 'b' 00 */
    assert_memory_equal(b.data, "\x07\x06\x02\x03\x01" "a\x02\x01" "b\x00", 10);
    strata_buf__free(&b);
    b = J("{}");
    assert_memory_equal(b.data, "\x07\x00\x00", 3);
    strata_buf__free(&b);
}

static void test_doc_builder_sorts_keys_and_rejects_duplicates(void **state)
{
    (void)state;
    strata_doc_builder *b;
    strata_slice v;
    assert_int_equal(strata_doc__builder_new(&b), 0);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_MAP), 0);
    assert_int_equal(strata_doc__b_key(b, "z", 1), 0);
    assert_int_equal(strata_doc__b_number_text(b, "1.50", 4), 0);
    assert_int_equal(strata_doc__b_key(b, "a", 1), 0);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_SSET), 0);
    assert_int_equal(strata_doc__b_string(b, "y", 1), 0);
    assert_int_equal(strata_doc__b_string(b, "x", 1), 0);
    assert_int_equal(strata_doc__b_end(b), 0);
    assert_int_equal(strata_doc__b_end(b), 0);
    assert_int_equal(strata_doc__builder_finish(b, &v), 0);
    assert_int_equal(strata_doc__validate(v.data, v.len), 0);
    char *js = to_json(v, 0);
    assert_string_equal(js, "{\"a\":[\"x\",\"y\"],\"z\":1.5}");
    strata_mem__free(js);
    /* a second value is refused; reset allows reuse */
    assert_int_equal(strata_doc__b_null(b), STRATA_EINVALID);
    strata_doc__builder_reset(b);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_MAP), 0);
    assert_int_equal(strata_doc__b_key(b, "k", 1), 0);
    assert_int_equal(strata_doc__b_null(b), 0);
    assert_int_equal(strata_doc__b_key(b, "k", 1), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "duplicate key \"k\""));
    assert_int_equal(strata_doc__b_null(b), STRATA_EINVALID); /* poisoned */
    strata_doc__builder_reset(b);
    /* duplicates found only when sorting */
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_MAP), 0);
    assert_int_equal(strata_doc__b_key(b, "b", 1), 0);
    assert_int_equal(strata_doc__b_null(b), 0);
    assert_int_equal(strata_doc__b_key(b, "a", 1), 0);
    assert_int_equal(strata_doc__b_null(b), 0);
    assert_int_equal(strata_doc__b_key(b, "b", 1), 0);
    assert_int_equal(strata_doc__b_null(b), 0);
    assert_int_equal(strata_doc__b_end(b), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "duplicate key \"b\""));
    strata_doc__builder_reset(b);
    /* sets: empty, wrong member type, duplicates */
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_NSET), 0);
    assert_int_equal(strata_doc__b_end(b), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "number set is empty"));
    strata_doc__builder_reset(b);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_NSET), 0);
    assert_int_equal(strata_doc__b_string(b, "1", 1), 0);
    assert_int_equal(strata_doc__b_end(b), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "number set member is a string"));
    strata_doc__builder_reset(b);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_NSET), 0);
    assert_int_equal(strata_doc__b_number_text(b, "1", 1), 0);
    assert_int_equal(strata_doc__b_number_text(b, "1.0", 3), 0);
    assert_int_equal(strata_doc__b_end(b), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "duplicate member in number set"));
    strata_doc__builder_reset(b);
    /* misuse */
    assert_int_equal(strata_doc__b_string(b, "\xff", 1), STRATA_EINVALID);
    strata_doc__builder_reset(b);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_MAP), 0);
    assert_int_equal(strata_doc__b_null(b), STRATA_EINVALID);
    strata_doc__builder_reset(b);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_LIST), 0);
    assert_int_equal(strata_doc__builder_finish(b, &v), STRATA_EINVALID);
    strata_doc__builder_reset(b);
    for (int i = 0; i < STRATA_DOC_MAX_DEPTH; i++) assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_LIST), 0);
    assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_LIST), STRATA_ELIMIT);
    strata_doc__builder_free(b);
    strata_doc__builder_free(NULL);
}

static void test_doc_permuted_map_keys_give_identical_bytes(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("doc_permuted_keys"), rs = seed;
    strata_doc_builder *b1, *b2;
    assert_int_equal(strata_doc__builder_new(&b1), 0);
    assert_int_equal(strata_doc__builder_new(&b2), 0);
    for (int iter = 0; iter < 300; iter++) {
        size_t n = 1 + tu_below(&rs, 40);
        char keys[40][200];
        size_t kl[40], got = 0;
        strata_buf vals[40];
        while (got < n) {
            kl[got] = rnd_text(&rs, keys[got], 10);
            int dup = 0;
            for (size_t j = 0; j < got; j++) dup |= kl[j] == kl[got] && memcmp(keys[j], keys[got], kl[got]) == 0;
            if (dup) continue;
            strata_doc__builder_reset(b1);
            rnd_value(&rs, b1, 1, 1);
            strata_slice v;
            assert_int_equal(strata_doc__builder_finish(b1, &v), 0);
            memset(&vals[got], 0, sizeof vals[got]);
            strata_buf__append(&vals[got], v.data, v.len);
            got++;
        }
        size_t perm[40];
        for (size_t i = 0; i < n; i++) perm[i] = i;
        for (size_t i = n; i > 1; i--) {
            size_t j = tu_below(&rs, i), t = perm[i - 1];
            perm[i - 1] = perm[j];
            perm[j] = t;
        }
        strata_doc__builder_reset(b1);
        strata_doc__builder_reset(b2);
        assert_int_equal(strata_doc__b_begin(b1, STRATA_DOC_MAP), 0);
        assert_int_equal(strata_doc__b_begin(b2, STRATA_DOC_MAP), 0);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(strata_doc__b_key(b1, keys[i], kl[i]), 0);
            assert_int_equal(strata_doc__b_value(b1, sl(&vals[i])), 0);
            assert_int_equal(strata_doc__b_key(b2, keys[perm[i]], kl[perm[i]]), 0);
            assert_int_equal(strata_doc__b_value(b2, sl(&vals[perm[i]])), 0);
        }
        assert_int_equal(strata_doc__b_end(b1), 0);
        assert_int_equal(strata_doc__b_end(b2), 0);
        strata_slice v1, v2;
        assert_int_equal(strata_doc__builder_finish(b1, &v1), 0);
        assert_int_equal(strata_doc__builder_finish(b2, &v2), 0);
        if (!strata_doc__equal(v1, v2)) fail_msg("seed %llu: permuted keys gave different bytes", (unsigned long long)seed);
        assert_int_equal(strata_doc__validate(v1.data, v1.len), 0);
        /* every key is found by binary search and holds its value */
        for (size_t i = 0; i < n; i++) {
            strata_slice got_v;
            assert_int_equal(strata_doc__map_get(v1, keys[i], kl[i], &got_v), 0);
            assert_true(strata_doc__equal(got_v, sl(&vals[i])));
            strata_buf__free(&vals[i]);
        }
        assert_int_equal(strata_doc__map_get(v1, "\xff\xff", 2, NULL), STRATA_ENOTFOUND);
    }
    strata_doc__builder_free(b1);
    strata_doc__builder_free(b2);
}

/* ---- JSON -------------------------------------------------------------------------------------- */

static void test_doc_json_parses_and_prints_canonically(void **state)
{
    (void)state;
    json_roundtrip_eq(" { \"b\" : [1, 2.50, -0, 1e2], \"a\" : {\"y\":null,\"x\":true} } ",
                      "{\"a\":{\"x\":true,\"y\":null},\"b\":[1,2.5,0,100]}");
    json_roundtrip_eq("\"\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r\\u0001\"",
                      "\"\xc3\xa9\xf0\x9f\x98\x80\\n\\t\\\"\\\\/\\b\\f\\r\\u0001\"");
    json_roundtrip_eq("[]", "[]");
    json_roundtrip_eq("[[[]],{}]", "[[[]],{}]");
    json_roundtrip_eq("\"\"", "\"\"");
    json_roundtrip_eq("0", "0");
    json_roundtrip_eq("-0.0e-5", "0");
    json_roundtrip_eq("123456789012345678901234567890.12345678", "123456789012345678901234567890.12345678");
    json_roundtrip_eq("{\"\":1}", "{\"\":1}");
    json_roundtrip_eq("\"a\\u0000b\"", "\"a\\u0000b\"");
    /* pretty printing */
    strata_buf b = J("{\"a\":[1,{\"b\":[]}],\"c\":{}}");
    char *p = to_json(sl(&b), STRATA_DOC_JSON_PRETTY);
    assert_string_equal(p, "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {}\n}");
    strata_mem__free(p);
    strata_buf__free(&b);
    /* a key order that is bytewise, not by code point collation */
    json_roundtrip_eq("{\"\xc3\xa9\":1,\"z\":2,\"Z\":3}", "{\"Z\":3,\"z\":2,\"\xc3\xa9\":1}");
}

static void json_reject(const char *in, int code, const char *msg)
{
    strata_buf b = {0};
    strata_buf__append(&b, "keep", 4);
    int rc = strata_doc__from_json(&b, in, strlen(in));
    if (rc != code) fail_msg("from_json(%s) = %d, want %d", in, rc, code);
    if (strcmp(strata_error_last()->message, msg) != 0)
        fail_msg("from_json(%s): message\n  '%s'\nwant\n  '%s'", in, strata_error_last()->message, msg);
    assert_int_equal(b.len, 4); /* unchanged */
    strata_buf__free(&b);
}

static void test_doc_json_rejects_malformed_input_with_position(void **state)
{
    (void)state;
    json_reject("", STRATA_EINVALID, "1:1: expected a value, got end of input");
    json_reject("   ", STRATA_EINVALID, "1:4: expected a value, got end of input");
    json_reject("{\"a\":1 \"b\":2}", STRATA_EINVALID, "1:8: expected ',' or '}' after object member, got '\"'");
    json_reject("[1 2]", STRATA_EINVALID, "1:4: expected ',' or ']' after array element, got '2'");
    json_reject("[1,]", STRATA_EINVALID, "1:4: trailing comma before ']'");
    json_reject("{\"a\":1,}", STRATA_EINVALID, "1:8: trailing comma before '}'");
    json_reject("{\"a\" 1}", STRATA_EINVALID, "1:6: expected ':' after object key, got '1'");
    json_reject("{1:2}", STRATA_EINVALID, "1:2: expected a string key, got '1'");
    json_reject("{'a':2}", STRATA_EINVALID, "1:2: expected a string key, got '''");
    json_reject("[1]]", STRATA_EINVALID, "1:4: expected end of input after the value, got ']'");
    json_reject("1 2", STRATA_EINVALID, "1:3: expected end of input after the value, got '2'");
    json_reject("NaN", STRATA_EINVALID, "1:1: expected a value, got 'N'");
    json_reject("Infinity", STRATA_EINVALID, "1:1: expected a value, got 'I'");
    json_reject("-Infinity", STRATA_EINVALID, "1:1: expected a digit in number");
    json_reject("[\n  01]", STRATA_EINVALID, "2:3: leading zeros are not allowed in numbers");
    json_reject("1.", STRATA_EINVALID, "1:1: expected a digit after '.' in number");
    json_reject(".5", STRATA_EINVALID, "1:1: expected a value, got '.'");
    json_reject("1e+", STRATA_EINVALID, "1:1: expected a digit in number exponent");
    json_reject("+1", STRATA_EINVALID, "1:1: expected a value, got '+'");
    json_reject("1e400", STRATA_EINVALID,
                "1:1: number is larger in magnitude than 9.9999999999999999999999999999999999999E+125");
    json_reject("[1E-131]", STRATA_EINVALID, "1:2: number is smaller in magnitude than 1E-130");
    json_reject("123456789012345678901234567890123456789", STRATA_EINVALID,
                "1:1: number has more than 38 significant digits");
    json_reject("tru", STRATA_EINVALID, "1:1: invalid literal (expected true, false or null)");
    json_reject("nulls", STRATA_EINVALID, "1:5: expected end of input after the value, got 's'");
    json_reject("True", STRATA_EINVALID, "1:1: expected a value, got 'T'");
    json_reject("\"abc", STRATA_EINVALID, "1:5: unterminated string");
    json_reject("\"a\\", STRATA_EINVALID, "1:3: unterminated string");
    json_reject("\"\\x\"", STRATA_EINVALID, "1:2: invalid escape sequence in string");
    json_reject("\"\\u12G4\"", STRATA_EINVALID, "1:2: expected four hex digits after \\u");
    json_reject("\"\\ud800\"", STRATA_EINVALID, "1:2: high surrogate \\u escape not followed by a low surrogate");
    json_reject("\"\\ud800\\u0041\"", STRATA_EINVALID,
                "1:2: high surrogate \\u escape not followed by a low surrogate");
    json_reject("\"\\udc00\"", STRATA_EINVALID, "1:2: lone low surrogate \\u escape in string");
    json_reject("\"a\tb\"", STRATA_EINVALID, "1:3: control character in string (must be escaped)");
    json_reject("\"\xc3\"", STRATA_EINVALID, "1:2: invalid UTF-8 in string");
    json_reject("\"\xed\xa0\x80\"", STRATA_EINVALID, "1:2: invalid UTF-8 in string"); /* UTF-8 surrogate */
    json_reject("\"\xc0\xaf\"", STRATA_EINVALID, "1:2: invalid UTF-8 in string");     /* overlong */
    json_reject("\"\xf4\x90\x80\x80\"", STRATA_EINVALID, "1:2: invalid UTF-8 in string"); /* > U+10FFFF */
    json_reject("\xef\xbb\xbf{}", STRATA_EINVALID, "1:1: expected a value, got byte 0xEF");  /* BOM */
    json_reject("{\"a\":1,\"a\":2}", STRATA_EINVALID, "1:8: duplicate key \"a\"");
    json_reject("{\"b\":1,\"a\":2,\n\"b\":3}", STRATA_EINVALID, "2:1: duplicate key \"b\"");
    json_reject("{\"\\u0061\":1,\"a\":2}", STRATA_EINVALID, "1:13: duplicate key \"a\"");
    json_reject("[1,\n\xc3\xa9x]", STRATA_EINVALID, "2:1: expected a value, got byte 0xC3");
    json_reject("{\"\xc3\xa9\": tru}", STRATA_EINVALID, "1:7: invalid literal (expected true, false or null)");
    json_reject("[1,\x01]", STRATA_EINVALID, "1:4: expected a value, got byte 0x01");
    /* depth: 64 is fine, 65 is not */
    char deep[200];
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = 0;
    strata_buf b = J(deep);
    strata_buf__free(&b);
    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = 0;
    json_reject(deep, STRATA_ELIMIT, "1:65: nesting deeper than 64 levels");
}

static void test_doc_random_values_round_trip_json_and_ddb_json(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("doc_roundtrip"), rs = seed;
    strata_doc_builder *b;
    assert_int_equal(strata_doc__builder_new(&b), 0);
    for (int iter = 0; iter < 3000; iter++) {
        int full = iter % 2;
        strata_doc__builder_reset(b);
        rnd_value(&rs, b, 0, full);
        strata_slice v;
        assert_int_equal(strata_doc__builder_finish(b, &v), 0);
        if (strata_doc__validate(v.data, v.len))
            fail_msg("seed %llu: built value invalid: %s", (unsigned long long)seed, strata_error_last()->message);
        if (!full) {
            for (int pretty = 0; pretty < 2; pretty++) {
                strata_buf t = {0}, back = {0}, t2 = {0};
                assert_int_equal(strata_doc__to_json(&t, v, pretty), 0);
                if (strata_doc__from_json(&back, (char *)t.data, t.len))
                    fail_msg("seed %llu: reparse %.*s: %s", (unsigned long long)seed, (int)t.len, t.data,
                             strata_error_last()->message);
                if (!strata_doc__equal(v, sl(&back)))
                    fail_msg("seed %llu: JSON round trip changed %.*s", (unsigned long long)seed, (int)t.len, t.data);
                assert_int_equal(strata_doc__to_json(&t2, sl(&back), pretty), 0);
                assert_int_equal(t.len, t2.len);
                assert_memory_equal(t.data, t2.data, t.len);
                strata_buf__free(&t);
                strata_buf__free(&t2);
                strata_buf__free(&back);
            }
        }
        for (int item = 0; item < 2; item++) {
            int flags = (item && strata_doc__type(v) == STRATA_DOC_MAP) ? STRATA_DOC_DDB_ITEM : 0;
            strata_buf t = {0}, back = {0}, t2 = {0};
            assert_int_equal(strata_doc__to_ddb_json(&t, v, flags | (iter % 3 == 0 ? STRATA_DOC_DDB_PRETTY : 0)), 0);
            if (strata_doc__from_ddb_json(&back, (char *)t.data, t.len, flags))
                fail_msg("seed %llu: reparse ddb %.*s: %s", (unsigned long long)seed, (int)t.len, t.data,
                         strata_error_last()->message);
            if (!strata_doc__equal(v, sl(&back)))
                fail_msg("seed %llu: DDB round trip changed %.*s", (unsigned long long)seed, (int)t.len, t.data);
            assert_int_equal(strata_doc__to_ddb_json(&t2, sl(&back), flags | (iter % 3 == 0 ? STRATA_DOC_DDB_PRETTY : 0)), 0);
            assert_int_equal(t.len, t2.len);
            assert_memory_equal(t.data, t2.data, t.len);
            strata_buf__free(&t);
            strata_buf__free(&t2);
            strata_buf__free(&back);
        }
    }
    strata_doc__builder_free(b);
}

/* ---- DynamoDB JSON ---------------------------------------------------------------------------- */

static void ddb_eq(const char *in, int flags, const char *want_json)
{
    strata_buf b = {0};
    if (strata_doc__from_ddb_json(&b, in, strlen(in), flags))
        fail_msg("from_ddb_json(%s): %s", in, strata_error_last()->message);
    assert_int_equal(strata_doc__validate(b.data, b.len), 0);
    char *out = to_json(sl(&b), 0);
    if (strcmp(out, want_json) != 0) fail_msg("ddb %s -> %s, want %s", in, out, want_json);
    strata_mem__free(out);
    strata_buf__free(&b);
}

static void ddb_reject(const char *in, int flags, const char *msg)
{
    strata_buf b = {0};
    int rc = strata_doc__from_ddb_json(&b, in, strlen(in), flags);
    if (rc != STRATA_EINVALID) fail_msg("from_ddb_json(%s) = %d, want EINVALID", in, rc);
    if (strcmp(strata_error_last()->message, msg) != 0)
        fail_msg("from_ddb_json(%s): message\n  '%s'\nwant\n  '%s'", in, strata_error_last()->message, msg);
    assert_int_equal(b.len, 0);
    strata_buf__free(&b);
}

static void test_doc_ddb_json_parses_every_type(void **state)
{
    (void)state;
    ddb_eq("{\"S\":\"x\"}", 0, "\"x\"");
    ddb_eq("{\"N\":\"-1.50\"}", 0, "-1.5");
    ddb_eq("{\"B\":\"aGk=\"}", 0, "\"aGk=\"");
    ddb_eq("{\"BOOL\":false}", 0, "false");
    ddb_eq("{\"NULL\":true}", 0, "null");
    ddb_eq("{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"}]}", 0, "[\"a\",1]");
    ddb_eq("{\"M\":{\"b\":{\"S\":\"x\"},\"a\":{\"L\":[]}}}", 0, "{\"a\":[],\"b\":\"x\"}");
    ddb_eq("{\"SS\":[\"b\",\"a\"]}", 0, "[\"a\",\"b\"]");
    ddb_eq("{\"NS\":[\"10\",\"9\",\"-1\"]}", 0, "[-1,9,10]");
    ddb_eq("{\"BS\":[\"AQ==\",\"AA==\"]}", 0, "[\"AA==\",\"AQ==\"]");
    ddb_eq("{\"id\":{\"S\":\"u1\"},\"n\":{\"N\":\"3\"}}", STRATA_DOC_DDB_ITEM, "{\"id\":\"u1\",\"n\":3}");
    ddb_eq("{}", STRATA_DOC_DDB_ITEM, "{}");
    /* typed output */
    strata_buf b = {0}, o = {0};
    const char *in = "{\"a\":{\"NS\":[\"2\",\"1\"]},\"b\":{\"B\":\"\"},\"c\":{\"M\":{\"d\":{\"NULL\":true}}}}";
    assert_int_equal(strata_doc__from_ddb_json(&b, in, strlen(in), STRATA_DOC_DDB_ITEM), 0);
    assert_int_equal(strata_doc__to_ddb_json(&o, sl(&b), STRATA_DOC_DDB_ITEM), 0);
    assert_int_equal(o.len, strlen("{\"a\":{\"NS\":[\"1\",\"2\"]},\"b\":{\"B\":\"\"},\"c\":{\"M\":{\"d\":{\"NULL\":true}}}}"));
    assert_memory_equal(o.data, "{\"a\":{\"NS\":[\"1\",\"2\"]},\"b\":{\"B\":\"\"},\"c\":{\"M\":{\"d\":{\"NULL\":true}}}}", o.len);
    o.len = 0;
    assert_int_equal(strata_doc__to_ddb_json(&o, (strata_slice){"\x00", 1}, STRATA_DOC_DDB_ITEM), STRATA_EINVALID);
    strata_buf__free(&o);
    strata_buf__free(&b);
}

/* An empty base64 value decodes to empty binary and back, from fresh (never allocated) buffers:
 * pointer arithmetic on a buffer with no storage yet is undefined (clang's UBSan reports
 * NULL + 0), so the codecs must not compute it. */
static void test_doc_empty_base64_decodes_and_encodes_from_unallocated_buffers(void **state)
{
    (void)state;
    strata_buf b = {0};
    assert_int_equal(strata_doc__b64_decode(&b, "", 0), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(strata_doc__b64_encode(&b, NULL, 0), 0);
    assert_int_equal(b.len, 0);
    strata_buf__free(&b);
    ddb_eq("{\"B\":\"\"}", 0, "\"\"");
    ddb_eq("{\"b\":{\"B\":\"\"}}", STRATA_DOC_DDB_ITEM, "{\"b\":\"\"}");
    ddb_eq("{\"BS\":[\"\"]}", 0, "[\"\"]");
}

static void test_doc_ddb_json_rejects_invalid_attribute_values(void **state)
{
    (void)state;
    ddb_reject("{}", 0, "at top level: AttributeValue has no type (expected one of S, N, B, BOOL, NULL, M, L, SS, NS, BS)");
    ddb_reject("{\"S\":\"a\",\"N\":\"1\"}", 0,
               "at top level: AttributeValue has more than one type (\"N\" and \"S\"); exactly one is allowed");
    ddb_reject("{\"X\":1}", 0,
               "at top level: unknown AttributeValue type \"X\" (expected one of S, N, B, BOOL, NULL, M, L, SS, NS, BS)");
    ddb_reject("\"a\"", 0, "at top level: expected an AttributeValue object such as {\"S\": \"text\"}, got a string");
    ddb_reject("{\"NULL\":false}", 0, "at top level: NULL must be true");
    ddb_reject("{\"NULL\":1}", 0, "at top level: NULL must be true");
    ddb_reject("{\"BOOL\":\"true\"}", 0, "at top level: BOOL must be true or false");
    ddb_reject("{\"S\":1}", 0, "at top level: S must be a string");
    ddb_reject("{\"N\":1}", 0, "at top level: N must be a string holding a number (for example {\"N\": \"42\"})");
    ddb_reject("{\"N\":\"abc\"}", 0, "at top level: not a number: 'abc'");
    ddb_reject("{\"N\":\"1e200\"}", 0,
               "at top level: number is larger in magnitude than 9.9999999999999999999999999999999999999E+125");
    ddb_reject("{\"B\":\"a\"}", 0, "at top level: base64 length 1 is not a multiple of 4");
    ddb_reject("{\"B\":\"a!==\"}", 0, "at top level: invalid base64 character at offset 1");
    ddb_reject("{\"B\":\"a===\"}", 0, "at top level: invalid base64 character at offset 1");
    ddb_reject("{\"M\":[]}", 0, "at top level: M must be an object");
    ddb_reject("{\"L\":{}}", 0, "at top level: L must be an array");
    ddb_reject("{\"SS\":[]}", 0, "at top level: SS must not be empty");
    ddb_reject("{\"SS\":\"a\"}", 0, "at top level: SS must be an array");
    ddb_reject("{\"SS\":[\"a\",\"a\"]}", 0, "at top level: SS contains duplicates");
    ddb_reject("{\"NS\":[\"1\",\"1.0\"]}", 0, "at top level: NS contains duplicates");
    ddb_reject("{\"NS\":[1]}", 0, "at top level: NS member 0 must be a string");
    ddb_reject("{\"NS\":[\"x\"]}", 0, "at top level: not a number: 'x'");
    ddb_reject("{\"BS\":[\"AA==\",\"AA==\"]}", 0, "at top level: BS contains duplicates");
    ddb_reject("{\"M\":{\"a\":{\"L\":[{\"S\":\"x\"},{\"NULL\":false}]}}}", 0, "at a[1]: NULL must be true");
    ddb_reject("{\"a\":{\"M\":{\"b\":{}}}}", STRATA_DOC_DDB_ITEM,
               "at a.b: AttributeValue has no type (expected one of S, N, B, BOOL, NULL, M, L, SS, NS, BS)");
    ddb_reject("[]", STRATA_DOC_DDB_ITEM, "an item must be a JSON object of attribute name -> AttributeValue");
    ddb_reject("{\"a\":\"x\"}", STRATA_DOC_DDB_ITEM,
               "at a: expected an AttributeValue object such as {\"S\": \"text\"}, got a string");
    /* syntax errors keep their position */
    ddb_reject("{\"S\":\"x\",}", 0, "1:10: trailing comma before '}'");
    ddb_reject("{\"S\":\"x\",\"S\":\"y\"}", 0, "1:10: duplicate key \"S\"");
}

/* ---- reader, validator, paths, edits ----------------------------------------------------------- */

static void test_doc_reader_iterates_and_looks_up_paths_in_place(void **state)
{
    (void)state;
    strata_buf b = J("{\"a\":{\"b\":[10,20,{\"c\":\"deep\"}]},\"x.y\":true,\"n\":null}");
    strata_slice v = sl(&b), out, s;
    assert_int_equal(strata_doc__lookup_text(v, "a.b[2].c", 8, &out), 0);
    assert_int_equal(strata_doc__get_string(out, &s), 0);
    assert_int_equal(s.len, 4);
    assert_memory_equal(s.data, "deep", 4);
    /* the slice points into the original bytes */
    assert_true((const uint8_t *)out.data > b.data && (const uint8_t *)out.data + out.len <= b.data + b.len);
    assert_int_equal(strata_doc__lookup_text(v, "a.b[1]", 6, &out), 0);
    strata_num n;
    assert_int_equal(strata_doc__get_number(out, &n), 0);
    int64_t i64;
    assert_int_equal(strata_num__to_i64(&n, &i64), 0);
    assert_int_equal(i64, 20);
    assert_int_equal(strata_doc__lookup_text(v, "x\\.y", 4, &out), 0);
    assert_int_equal(strata_doc__type(out), STRATA_DOC_BOOL);
    assert_int_equal(strata_doc__lookup_text(v, "a.b[3]", 6, &out), STRATA_ENOTFOUND);
    assert_int_equal(strata_doc__lookup_text(v, "a.c", 3, &out), STRATA_ENOTFOUND);
    assert_int_equal(strata_doc__lookup_text(v, "a[0]", 4, &out), STRATA_ENOTFOUND);
    assert_int_equal(strata_doc__lookup_text(v, "n.x", 3, &out), STRATA_ENOTFOUND);
    assert_int_equal(strata_doc__lookup_text(v, "a..b", 4, &out), STRATA_EINVALID);
    assert_int_equal(strata_doc__lookup_text(v, "a[x]", 4, &out), STRATA_EINVALID);
    assert_int_equal(strata_doc__lookup_text(v, "a.", 2, &out), STRATA_EINVALID);
    assert_int_equal(strata_doc__lookup_text(v, "", 0, &out), STRATA_EINVALID);
    assert_int_equal(strata_doc__lookup_text(v, "a]", 2, &out), STRATA_EINVALID);
    strata_doc_path p;
    assert_int_equal(strata_doc__path_parse(&p, "[3].k\\[x[0][12]", 15), 0);
    assert_int_equal(p.n, 4);
    assert_null(p.steps[0].name);
    assert_int_equal(p.steps[0].index, 3);
    assert_int_equal(p.steps[1].len, 3);
    assert_memory_equal(p.steps[1].name, "k[x", 3);
    assert_int_equal(p.steps[3].index, 12);
    strata_doc__path_free(&p);
    /* iteration: map keys ascending, borrowed */
    strata_doc_iter it;
    strata_slice k, m;
    assert_int_equal(strata_doc__iter_init(&it, v), 0);
    const char *want[] = {"a", "n", "x.y"};
    int i = 0, rc;
    while ((rc = strata_doc__iter_next(&it, &k, &m)) == 0) {
        assert_int_equal(k.len, strlen(want[i]));
        assert_memory_equal(k.data, want[i], k.len);
        i++;
    }
    assert_int_equal(rc, STRATA_ITEROVER);
    assert_int_equal(i, 3);
    size_t cnt;
    assert_int_equal(strata_doc__count(v, &cnt), 0);
    assert_int_equal(cnt, 3);
    assert_int_equal(strata_doc__map_entry(v, 2, &k, NULL), 0);
    assert_memory_equal(k.data, "x.y", 3);
    assert_int_equal(strata_doc__map_entry(v, 3, &k, NULL), STRATA_ENOTFOUND);
    assert_int_equal(strata_doc__get_string(v, &s), STRATA_EINVALID);
    assert_string_equal(strata_error_last()->message, "expected a string, got a map");
    assert_int_equal(strata_doc__index(v, 0, &out), STRATA_EINVALID);
    size_t sz;
    assert_int_equal(strata_doc__value_size(b.data, b.len, &sz), 0);
    assert_int_equal(sz, b.len);
    strata_buf__free(&b);
}

static void test_doc_validate_rejects_non_canonical_and_truncated_bytes(void **state)
{
    (void)state;
    struct { const char *bytes; size_t len; const char *msg; } bad[] = {
        {"", 0, "empty value"},
        {"\x0b", 1, "unknown value tag"},
        {"\x00\x00", 2, "bytes after a scalar"},
        {"\x04\x03" "ab", 4, "length does not match"},
        {"\x04\x01\xff", 3, "not valid UTF-8"},
        {"\x04\x81\x00" "a", 4, "bad length varint"},                      /* overlong varint */
        {"\x03\xc0\x81\x00", 4, "zero pair"},
        {"\x07\x06\x02\x03\x01" "b\x02\x01" "a\x00", 10, "not strictly ascending"},
        {"\x07\x06\x02\x03\x01" "a\x02\x01" "a\x00", 10, "not strictly ascending"},
        {"\x08\x00\x00", 3, "empty set"},
        {"\x08\x02\x01\x00\x00", 5, "wrong type"},
        {"\x08\x04\x02\x02\x04\x00\x04\x00", 8, "not strictly ascending"},
        {"\x06\x02\x02\x00\x02\x01", 6, "offsets out of order"},
        {"\x06\x05\x01\x00", 4, "truncated"},
        {"\x06\x01\x02\x00", 4, "disagree"},
        {"\x07\x02\x01\x05\x00", 5, "key is truncated"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = strata_doc__validate(bad[i].bytes, bad[i].len);
        if (rc != STRATA_ECORRUPT || !strstr(strata_error_last()->message, bad[i].msg))
            fail_msg("case %zu: rc %d message '%s', want '%s'", i, rc, strata_error_last()->message, bad[i].msg);
    }
    /* every proper prefix of a valid value is rejected */
    strata_buf b = J("{\"a\":[1,\"x\",{\"b\":null}],\"c\":-2.5}");
    for (size_t l = 0; l < b.len; l++) assert_int_equal(strata_doc__validate(b.data, l), STRATA_ECORRUPT);
    strata_buf__free(&b);
}

static void test_doc_random_byte_flips_never_crash_and_valid_means_canonical(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("doc_flips"), rs = seed;
    strata_doc_builder *b;
    assert_int_equal(strata_doc__builder_new(&b), 0);
    int accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        strata_doc__builder_reset(b);
        rnd_value(&rs, b, 0, 1);
        strata_slice v;
        assert_int_equal(strata_doc__builder_finish(b, &v), 0);
        uint8_t *m = malloc(v.len);
        memcpy(m, v.data, v.len);
        size_t flips = 1 + tu_below(&rs, 3);
        for (size_t f = 0; f < flips; f++) m[tu_below(&rs, v.len)] ^= (uint8_t)(1 + tu_below(&rs, 255));
        strata_slice mv = {m, v.len};
        /* the readers never crash, whatever the bytes */
        strata_buf j = {0};
        (void)strata_doc__to_json(&j, mv, 0);
        strata_buf__free(&j);
        strata_slice o;
        (void)strata_doc__lookup_text(mv, "a[0]", 4, &o);
        if (strata_doc__validate(m, v.len) == 0) {
            /* valid bytes are canonical: re-encoding them through DynamoDB JSON gives them back */
            accepted++;
            strata_buf t = {0}, back = {0};
            assert_int_equal(strata_doc__to_ddb_json(&t, mv, 0), 0);
            if (strata_doc__from_ddb_json(&back, (char *)t.data, t.len, 0) || !strata_doc__equal(mv, sl(&back)))
                fail_msg("seed %llu: accepted bytes are not canonical", (unsigned long long)seed);
            strata_buf__free(&t);
            strata_buf__free(&back);
        }
        free(m);
    }
    (void)accepted;
    strata_doc__builder_free(b);
}

static void test_doc_edits_set_remove_append_add(void **state)
{
    (void)state;
    strata_buf doc = J("{\"a\":{\"l\":[1,2,3]},\"s\":\"x\"}"), out = {0}, val = J("{\"z\":true}");
    strata_doc_path p;
    char *js;
#define EDIT_SET(path, want)                                                                       \
    do {                                                                                           \
        assert_int_equal(strata_doc__path_parse(&p, path, strlen(path)), 0);                       \
        out.len = 0;                                                                               \
        int rc_ = strata_doc__edit_set(&out, sl(&doc), p.steps, p.n, sl(&val));                    \
        if (rc_) fail_msg("edit_set %s: %s", path, strata_error_last()->message);                  \
        assert_int_equal(strata_doc__validate(out.data, out.len), 0);                              \
        js = to_json(sl(&out), 0);                                                                 \
        if (strcmp(js, want)) fail_msg("edit_set %s: %s, want %s", path, js, want);                \
        strata_mem__free(js);                                                                      \
        strata_doc__path_free(&p);                                                                 \
    } while (0)
    EDIT_SET("s", "{\"a\":{\"l\":[1,2,3]},\"s\":{\"z\":true}}");
    EDIT_SET("b", "{\"a\":{\"l\":[1,2,3]},\"b\":{\"z\":true},\"s\":\"x\"}");
    EDIT_SET("a.l[1]", "{\"a\":{\"l\":[1,{\"z\":true},3]},\"s\":\"x\"}");
    EDIT_SET("a.l[9]", "{\"a\":{\"l\":[1,2,3,{\"z\":true}]},\"s\":\"x\"}");
    EDIT_SET("a.m", "{\"a\":{\"l\":[1,2,3],\"m\":{\"z\":true}},\"s\":\"x\"}");
    /* invalid parents */
    const char *badp[] = {"q.r", "s.t", "a.l.x", "a[0]", "a.l[1].k"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(strata_doc__path_parse(&p, badp[i], strlen(badp[i])), 0);
        out.len = 0;
        assert_int_equal(strata_doc__edit_set(&out, sl(&doc), p.steps, p.n, sl(&val)), STRATA_ENOTFOUND);
        assert_non_null(strstr(strata_error_last()->message, "document path is invalid for update"));
        assert_int_equal(out.len, 0);
        strata_doc__path_free(&p);
    }
    /* remove */
    int removed;
    assert_int_equal(strata_doc__path_parse(&p, "a.l[0]", 6), 0);
    out.len = 0;
    assert_int_equal(strata_doc__edit_remove(&out, sl(&doc), p.steps, p.n, &removed), 0);
    assert_int_equal(removed, 1);
    js = to_json(sl(&out), 0);
    assert_string_equal(js, "{\"a\":{\"l\":[2,3]},\"s\":\"x\"}");
    strata_mem__free(js);
    strata_doc__path_free(&p);
    assert_int_equal(strata_doc__path_parse(&p, "a.zz.y", 6), 0);
    out.len = 0;
    assert_int_equal(strata_doc__edit_remove(&out, sl(&doc), p.steps, p.n, &removed), 0);
    assert_int_equal(removed, 0);
    assert_true(strata_doc__equal(sl(&out), sl(&doc)));
    strata_doc__path_free(&p);
    /* list_append, number add, set union/difference */
    strata_buf l1 = J("[1,2]"), l2 = J("[\"x\"]"), n1 = J("0.1"), n2 = J("0.2");
    out.len = 0;
    assert_int_equal(strata_doc__list_concat(&out, sl(&l1), sl(&l2)), 0);
    js = to_json(sl(&out), 0);
    assert_string_equal(js, "[1,2,\"x\"]");
    strata_mem__free(js);
    out.len = 0;
    assert_int_equal(strata_doc__list_concat(&out, sl(&l1), sl(&n1)), STRATA_EINVALID);
    assert_int_equal(strata_doc__number_add(&out, sl(&n1), sl(&n2), 0), 0);
    js = to_json(sl(&out), 0);
    assert_string_equal(js, "0.3");
    strata_mem__free(js);
    out.len = 0;
    assert_int_equal(strata_doc__number_add(&out, sl(&n1), sl(&n2), 1), 0);
    js = to_json(sl(&out), 0);
    assert_string_equal(js, "-0.1");
    strata_mem__free(js);
    strata_buf s1 = {0}, s2 = {0}, s3 = {0};
    const char *t1 = "{\"SS\":[\"a\",\"c\"]}", *t2 = "{\"SS\":[\"b\",\"c\"]}", *t3 = "{\"NS\":[\"1\"]}";
    assert_int_equal(strata_doc__from_ddb_json(&s1, t1, strlen(t1), 0), 0);
    assert_int_equal(strata_doc__from_ddb_json(&s2, t2, strlen(t2), 0), 0);
    assert_int_equal(strata_doc__from_ddb_json(&s3, t3, strlen(t3), 0), 0);
    out.len = 0;
    assert_int_equal(strata_doc__set_union(&out, sl(&s1), sl(&s2)), 0);
    js = to_json(sl(&out), 0);
    assert_string_equal(js, "[\"a\",\"b\",\"c\"]");
    strata_mem__free(js);
    assert_int_equal(strata_doc__set_has(sl(&out), (strata_slice){"\x04\x01" "b", 3}), 1);
    assert_int_equal(strata_doc__set_has(sl(&out), (strata_slice){"\x04\x01" "d", 3}), 0);
    int empty;
    out.len = 0;
    assert_int_equal(strata_doc__set_difference(&out, sl(&s1), sl(&s2), &empty), 0);
    assert_int_equal(empty, 0);
    js = to_json(sl(&out), 0);
    assert_string_equal(js, "[\"a\"]");
    strata_mem__free(js);
    out.len = 0;
    assert_int_equal(strata_doc__set_difference(&out, sl(&s1), sl(&s1), &empty), 0);
    assert_int_equal(empty, 1);
    assert_int_equal(out.len, 0);
    assert_int_equal(strata_doc__set_union(&out, sl(&s1), sl(&s3)), STRATA_EINVALID);
    strata_buf *all[] = {&doc, &out, &val, &l1, &l2, &n1, &n2, &s1, &s2, &s3};
    for (size_t i = 0; i < 10; i++) strata_buf__free(all[i]);
#undef EDIT_SET
}

static void test_doc_compare_follows_dynamodb_rules(void **state)
{
    (void)state;
    struct { const char *a, *b; int want; } cases[] = {
        {"1", "2", -1}, {"10", "9", 1}, {"1.0", "1", 0}, {"-5", "-50", 1},
        {"\"a\"", "\"b\"", -1}, {"\"ab\"", "\"a\"", 1}, {"\"\xc3\xa9\"", "\"z\"", 1},
        {"\"1\"", "1", STRATA_DOC_INCOMPARABLE}, {"null", "null", 0}, {"null", "false", STRATA_DOC_INCOMPARABLE},
        {"true", "false", STRATA_DOC_INCOMPARABLE}, {"true", "true", 0},
        {"[1,2]", "[1,2]", 0}, {"[1,2]", "[2,1]", STRATA_DOC_INCOMPARABLE},
        {"{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1.0}", 0}, {"{\"a\":1}", "{\"a\":2}", STRATA_DOC_INCOMPARABLE},
        {"[]", "{}", STRATA_DOC_INCOMPARABLE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strata_buf a = J(cases[i].a), b = J(cases[i].b);
        int got = strata_doc__compare(sl(&a), sl(&b));
        if (got != cases[i].want) fail_msg("compare(%s, %s) = %d, want %d", cases[i].a, cases[i].b, got, cases[i].want);
        strata_buf__free(&a);
        strata_buf__free(&b);
    }
    /* binary by unsigned bytes; sets as sets */
    strata_buf x = {0}, y = {0};
    const char *bx = "{\"B\":\"/w==\"}", *by = "{\"B\":\"AP8=\"}"; /* ff vs 00 ff */
    assert_int_equal(strata_doc__from_ddb_json(&x, bx, strlen(bx), 0), 0);
    assert_int_equal(strata_doc__from_ddb_json(&y, by, strlen(by), 0), 0);
    assert_int_equal(strata_doc__compare(sl(&x), sl(&y)), 1);
    x.len = y.len = 0;
    const char *sx = "{\"SS\":[\"b\",\"a\"]}", *sy = "{\"SS\":[\"a\",\"b\"]}";
    assert_int_equal(strata_doc__from_ddb_json(&x, sx, strlen(sx), 0), 0);
    assert_int_equal(strata_doc__from_ddb_json(&y, sy, strlen(sy), 0), 0);
    assert_int_equal(strata_doc__compare(sl(&x), sl(&y)), 0);
    strata_buf__free(&x);
    strata_buf__free(&y);
}

/* ---- key codec --------------------------------------------------------------------------------- */

/* A random key part of type t (0 number, 1 string, 2 binary), appended to out as a value. */
static void rnd_part(uint64_t *rs, int t, strata_buf *out, const strata_buf *near)
{
    strata_doc_builder *b;
    assert_int_equal(strata_doc__builder_new(&b), 0);
    char txt[200];
    if (t == 0) {
        strata_num n;
        rnd_num(rs, &n);
        assert_int_equal(strata_doc__b_number(b, &n), 0);
    } else {
        size_t l;
        if (near && near->len && near->data[0] == (t == 1 ? 0x04 : 0x05) && tu_below(rs, 2)) { /* a prefix or extension of a previous part */
            strata_slice s;
            strata_slice nv = {near->data, near->len};
            if (t == 1) assert_int_equal(strata_doc__get_string(nv, &s), 0);
            else assert_int_equal(strata_doc__get_binary(nv, &s), 0);
            l = s.len > 100 ? 100 : s.len;
            memcpy(txt, s.data, l);
            if (tu_below(rs, 2) && l) {
                l = tu_below(rs, l);
                while (t == 1 && l && (txt[l] & 0xC0) == 0x80) l--; /* keep whole characters */
            }
            else txt[l++] = (char)(tu_below(rs, 3) == 0 ? 0 : 'a');
        } else if (t == 1) {
            l = rnd_text(rs, txt, 6);
        } else {
            l = tu_below(rs, 6);
            for (size_t i = 0; i < l; i++) txt[i] = (char)(tu_below(rs, 3) == 0 ? 0 : tu_below(rs, 3) == 0 ? 0xff : tu_below(rs, 256));
        }
        if (t == 1) assert_int_equal(strata_doc__b_string(b, txt, l), 0);
        else assert_int_equal(strata_doc__b_binary(b, txt, l), 0);
    }
    strata_slice v;
    assert_int_equal(strata_doc__builder_finish(b, &v), 0);
    out->len = 0;
    strata_buf__append(out, v.data, v.len);
    strata_doc__builder_free(b);
}

static int sgn(int x) { return x < 0 ? -1 : x > 0; }

static void test_doc_key_codec_preserves_tuple_order(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("doc_key_order"), rs = seed;
    strata_buf pk[2] = {{0}}, sk[2] = {{0}}, ka = {0}, kb = {0}, dpk = {0}, dsk = {0};
    for (int iter = 0; iter < 20000; iter++) {
        int tp = (int)tu_below(&rs, 3), ts = (int)tu_below(&rs, 3), has_sk = (int)tu_below(&rs, 4) != 0;
        for (int i = 0; i < 2; i++) {
            rnd_part(&rs, tp, &pk[i], i ? &pk[0] : NULL);
            if (tu_below(&rs, 3) == 0 && i) { pk[1].len = 0; strata_buf__append(&pk[1], pk[0].data, pk[0].len); }
            rnd_part(&rs, ts, &sk[i], i ? &sk[0] : NULL);
        }
        ka.len = kb.len = 0;
        strata_slice s0 = sl(&sk[0]), s1 = sl(&sk[1]);
        assert_int_equal(strata_doc__key_encode(&ka, sl(&pk[0]), has_sk ? &s0 : NULL), 0);
        assert_int_equal(strata_doc__key_encode(&kb, sl(&pk[1]), has_sk ? &s1 : NULL), 0);
        int want = strata_doc__compare(sl(&pk[0]), sl(&pk[1]));
        if (want == 0 && has_sk) want = strata_doc__compare(s0, s1);
        size_t m = ka.len < kb.len ? ka.len : kb.len;
        int got = memcmp(ka.data, kb.data, m);
        if (got == 0) got = ka.len < kb.len ? -1 : ka.len > kb.len;
        if (sgn(got) != want) fail_msg("seed %llu iter %d: key order %d, natural %d", (unsigned long long)seed, iter, got, want);
        /* decode gives the parts back */
        dpk.len = dsk.len = 0;
        int hs;
        assert_int_equal(strata_doc__key_decode(ka.data, ka.len, &dpk, &dsk, &hs), 0);
        assert_int_equal(hs, has_sk);
        assert_true(strata_doc__equal(sl(&dpk), sl(&pk[0])));
        if (has_sk) assert_true(strata_doc__equal(sl(&dsk), s0));
        /* a key without sort key sorts before every key of its partition */
        if (has_sk) {
            strata_buf lo = {0}, hi = {0}, bare = {0};
            assert_int_equal(strata_doc__key_encode(&bare, sl(&pk[0]), NULL), 0);
            assert_true(memcmp(bare.data, ka.data, bare.len) == 0 && bare.len < ka.len);
            assert_int_equal(strata_doc__key_partition_range(&lo, &hi, sl(&pk[0])), 0);
            assert_true(memcmp(lo.data, ka.data, lo.len) <= 0);
            assert_true(memcmp(ka.data, hi.data, hi.len < ka.len ? hi.len : ka.len) < 0);
            strata_buf__free(&lo);
            strata_buf__free(&hi);
            strata_buf__free(&bare);
        }
    }
    strata_buf *all[] = {&pk[0], &pk[1], &sk[0], &sk[1], &ka, &kb, &dpk, &dsk};
    for (size_t i = 0; i < 8; i++) strata_buf__free(all[i]);
}

static int begins_with(strata_slice v, strata_slice prefix)
{
    strata_slice a, b;
    if (strata_doc__type(v) != strata_doc__type(prefix)) return 0;
    if (strata_doc__type(v) == STRATA_DOC_STRING) {
        strata_doc__get_string(v, &a);
        strata_doc__get_string(prefix, &b);
    } else {
        strata_doc__get_binary(v, &a);
        strata_doc__get_binary(prefix, &b);
    }
    return a.len >= b.len && memcmp(a.data, b.data, b.len) == 0;
}

static int key_in(const strata_buf *k, const strata_buf *lo, const strata_buf *hi)
{
    size_t m = k->len < lo->len ? k->len : lo->len;
    int c = memcmp(k->data, lo->data, m);
    if (c < 0 || (c == 0 && k->len < lo->len)) return 0;
    m = k->len < hi->len ? k->len : hi->len;
    c = memcmp(k->data, hi->data, m);
    return c < 0 || (c == 0 && k->len < hi->len);
}

static void test_doc_key_prefix_range_holds_exactly_the_matching_keys(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("doc_key_prefix"), rs = seed;
    strata_buf pk = {0}, pk2 = {0}, pre = {0}, sk = {0}, lo = {0}, hi = {0}, k = {0};
    for (int iter = 0; iter < 5000; iter++) {
        int t = 1 + (int)tu_below(&rs, 2);
        rnd_part(&rs, (int)tu_below(&rs, 3), &pk, NULL);
        rnd_part(&rs, t, &pre, NULL);
        lo.len = hi.len = 0;
        assert_int_equal(strata_doc__key_prefix_range(&lo, &hi, sl(&pk), sl(&pre)), 0);
        for (int j = 0; j < 20; j++) {
            rnd_part(&rs, tu_below(&rs, 5) == 0 ? 0 : t, &sk, &pre);
            int same_pk = tu_below(&rs, 4) != 0;
            if (!same_pk) rnd_part(&rs, (int)tu_below(&rs, 3), &pk2, &pk);
            strata_slice s = sl(&sk);
            k.len = 0;
            assert_int_equal(strata_doc__key_encode(&k, same_pk ? sl(&pk) : sl(&pk2), &s), 0);
            int want = begins_with(s, sl(&pre)) && (same_pk || strata_doc__equal(sl(&pk), sl(&pk2)));
            if (key_in(&k, &lo, &hi) != want)
                fail_msg("seed %llu: prefix range membership %d, want %d", (unsigned long long)seed, !want, want);
        }
    }
    assert_int_equal(strata_doc__key_prefix_range(&lo, &hi, sl(&pk), (strata_slice){"\x03\x80", 2}), STRATA_EINVALID);
    strata_buf *all[] = {&pk, &pk2, &pre, &sk, &lo, &hi, &k};
    for (size_t i = 0; i < 7; i++) strata_buf__free(all[i]);
}

static void test_doc_key_codec_rejects_bad_parts_and_keys(void **state)
{
    (void)state;
    strata_buf b = J("[1]"), o = {0}, p = {0};
    assert_int_equal(strata_doc__key_encode(&o, sl(&b), NULL), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "must be a string, number or binary, got a list"));
    assert_int_equal(o.len, 0);
    struct { const char *k; size_t len; } bad[] = {
        {"", 0}, {"\x07", 1}, {"\x04" "ab", 3}, {"\x04" "a\x00\x02", 4}, {"\x04" "a\x00\x01\x04", 5},
        {"\x03\xc0", 2}, {"\x04\xff\x00\x01", 4},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.len = 0;
        if (strata_doc__key_decode(bad[i].k, bad[i].len, &p, NULL, NULL) != STRATA_ECORRUPT)
            fail_msg("bad key %zu accepted", i);
        assert_int_equal(p.len, 0);
    }
    strata_buf__free(&b);
    strata_buf__free(&o);
    strata_buf__free(&p);
}

static void test_doc_check_name_accepts_utf8_and_rejects_controls(void **state)
{
    (void)state;
    assert_int_equal(strata_doc__check_name("orders", 6, "entry name"), 0);
    assert_int_equal(strata_doc__check_name("caf\xc3\xa9 / ../x", 12, "entry name"), 0);
    char big[300];
    memset(big, 'x', sizeof big);
    assert_int_equal(strata_doc__check_name(big, 255, "tenant name"), 0);
    assert_int_equal(strata_doc__check_name(big, 256, "tenant name"), STRATA_EINVALID);
    assert_string_equal(strata_error_last()->message, "tenant name is 256 bytes long (at most 255)");
    assert_int_equal(strata_doc__check_name("", 0, "tenant name"), STRATA_EINVALID);
    assert_string_equal(strata_error_last()->message, "tenant name is empty");
    assert_int_equal(strata_doc__check_name("a\nb", 3, "key"), STRATA_EINVALID);
    assert_string_equal(strata_error_last()->message, "key contains control character U+000A (at byte 1)");
    assert_int_equal(strata_doc__check_name("a\0b", 3, "key"), STRATA_EINVALID);
    assert_int_equal(strata_doc__check_name("a\x7f", 2, "key"), STRATA_EINVALID);
    assert_int_equal(strata_doc__check_name("a\xc2\x85", 3, "key"), STRATA_EINVALID); /* U+0085 */
    assert_int_equal(strata_doc__check_name("a\xff", 2, "key"), STRATA_EINVALID);
    assert_string_equal(strata_error_last()->message, "key is not valid UTF-8 (at byte 1)");
    assert_int_equal(strata_doc__check_name(NULL, 0, "key"), STRATA_EINVALID);
}

static void test_doc_parsers_leave_output_unchanged_on_allocation_failure(void **state)
{
    (void)state;
    const char *in = "{\"b\":[1,2,{\"c\":\"x\"}],\"a\":\"long string long string long string\"}";
    const char *din = "{\"b\":{\"L\":[{\"N\":\"1\"},{\"SS\":[\"y\",\"x\"]}]},\"a\":{\"B\":\"AAEC\"}}";
    for (int which = 0; which < 2; which++) {
        for (long n = 1; n < 200; n++) {
            strata_buf out = {0};
            strata_buf__append(&out, "pre", 3);
            strata_mem__fail_at(n, 0);
            int rc = which ? strata_doc__from_ddb_json(&out, din, strlen(din), STRATA_DOC_DDB_ITEM)
                           : strata_doc__from_json(&out, in, strlen(in));
            int fired = strata_mem__failed();
            strata_mem__fail_at(0, 0);
            if (rc) {
                assert_int_equal(rc, STRATA_ENOMEM);
                assert_int_equal(out.len, 3);
            } else {
                assert_int_equal(strata_doc__validate(out.data + 3, out.len - 3), 0);
            }
            strata_buf__free(&out);
            if (!fired) break;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_encoding_bytes_match_the_format_tables),
        cmocka_unit_test(test_doc_builder_sorts_keys_and_rejects_duplicates),
        cmocka_unit_test(test_doc_permuted_map_keys_give_identical_bytes),
        cmocka_unit_test(test_doc_json_parses_and_prints_canonically),
        cmocka_unit_test(test_doc_json_rejects_malformed_input_with_position),
        cmocka_unit_test(test_doc_random_values_round_trip_json_and_ddb_json),
        cmocka_unit_test(test_doc_ddb_json_parses_every_type),
        cmocka_unit_test(test_doc_empty_base64_decodes_and_encodes_from_unallocated_buffers),
        cmocka_unit_test(test_doc_ddb_json_rejects_invalid_attribute_values),
        cmocka_unit_test(test_doc_reader_iterates_and_looks_up_paths_in_place),
        cmocka_unit_test(test_doc_validate_rejects_non_canonical_and_truncated_bytes),
        cmocka_unit_test(test_doc_random_byte_flips_never_crash_and_valid_means_canonical),
        cmocka_unit_test(test_doc_edits_set_remove_append_add),
        cmocka_unit_test(test_doc_compare_follows_dynamodb_rules),
        cmocka_unit_test(test_doc_key_codec_preserves_tuple_order),
        cmocka_unit_test(test_doc_key_prefix_range_holds_exactly_the_matching_keys),
        cmocka_unit_test(test_doc_key_codec_rejects_bad_parts_and_keys),
        cmocka_unit_test(test_doc_check_name_accepts_utf8_and_rejects_controls),
        cmocka_unit_test(test_doc_parsers_leave_output_unchanged_on_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
