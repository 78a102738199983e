/* Tests of exact decimal numbers: parsing and normalisation, range and precision errors,
 * formatting, comparison, exact addition/subtraction, and the order-preserving encoding
 * (property tests against 128-bit integer arithmetic, seeds printed). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "strata.h"

static strata_num num(const char *s)
{
    strata_num n;
    int rc = strata_num__parse(&n, s, strlen(s));
    if (rc) fail_msg("parse %s: %s", s, strata_error_last()->message);
    return n;
}

static void fmt_eq(const char *in, const char *want)
{
    strata_num n = num(in);
    char buf[STRATA_NUM_TEXT_MAX];
    size_t l = strata_num__format(&n, buf);
    assert_int_equal(l, strlen(buf));
    if (strcmp(buf, want) != 0) fail_msg("format(%s) = %s, want %s", in, buf, want);
}

static void test_num_normalises_equal_values_to_one_form(void **state)
{
    (void)state;
    fmt_eq("1.0", "1");
    fmt_eq("-0", "0");
    fmt_eq("-0.000e5", "0");
    fmt_eq("1e3", "1000");
    fmt_eq("1000e-3", "1");
    fmt_eq("+007.50", "7.5");
    fmt_eq(".5", "0.5");
    fmt_eq("5.", "5");
    fmt_eq("0.000001", "0.000001");
    fmt_eq("0.0000001", "1E-7");
    fmt_eq("-123.456e2", "-12345.6");
    fmt_eq("1E-130", "1E-130");
    fmt_eq("9.9999999999999999999999999999999999999E+125", "9.9999999999999999999999999999999999999E+125");
    fmt_eq("12345678901234567890123456789012345678", "12345678901234567890123456789012345678");
    fmt_eq("1e39", "1000000000000000000000000000000000000000");
    fmt_eq("1e40", "1E+40");
    fmt_eq("1.5e40", "1.5E+40");
    /* trailing zeros past 38 digits are not significant */
    fmt_eq("100000000000000000000000000000000000000000000", "1E+44");
    fmt_eq("0.00000000000000000000000000000000000000000000000012", "1.2E-49");
    strata_num a = num("1.0"), b = num("1");
    assert_memory_equal(&a, &b, sizeof a);
}

/* Every producer of a strata_num (parse, add/sub, decode, zero) defines every byte: digits past
 * ndigits are zero whatever the memory held before, so equal numbers are equal bytes. (They
 * were left as found: the memcmp above passed or failed by what the stack held — clang's
 * Debug build failed it.) */
static void test_num_every_producer_leaves_one_byte_form_whatever_memory_held(void **state)
{
    (void)state;
    const char *texts[] = {"1", "-2.5", "0", "1234567890123456789012345678901234567.8", "7E+100"};
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
        strata_num clean, dirty, sum, dec;
        memset(&clean, 0, sizeof clean);
        memset(&dirty, 0xAA, sizeof dirty);
        memset(&sum, 0x55, sizeof sum);
        memset(&dec, 0x55, sizeof dec);
        assert_int_equal(strata_num__parse(&clean, texts[t], strlen(texts[t])), 0);
        assert_int_equal(strata_num__parse(&dirty, texts[t], strlen(texts[t])), 0);
        assert_memory_equal(&clean, &dirty, sizeof clean);
        strata_num zero = num("0");
        assert_int_equal(strata_num__add(&sum, &dirty, &zero), 0);
        assert_memory_equal(&clean, &sum, sizeof clean);
        uint8_t enc[STRATA_NUM_ENC_MAX];
        size_t len = strata_num__encode(&clean, enc), used;
        assert_int_equal(strata_num__decode(&dec, enc, len, &used), 0);
        assert_memory_equal(&clean, &dec, sizeof clean);
        for (size_t i = clean.ndigits; i < sizeof clean.digits; i++) assert_int_equal(clean.digits[i], 0);
    }
    strata_num a = num("0.25"), b = num("0.75"), r;
    memset(&r, 0xAA, sizeof r);
    assert_int_equal(strata_num__add(&r, &a, &b), 0);
    strata_num one = num("1");
    assert_memory_equal(&r, &one, sizeof r);
}

static void reject(const char *s, const char *msg_part)
{
    strata_num n;
    int rc = strata_num__parse(&n, s, strlen(s));
    if (rc != STRATA_EINVALID) fail_msg("parse(%s) = %d, want EINVALID", s, rc);
    if (!strstr(strata_error_last()->message, msg_part))
        fail_msg("parse(%s): message '%s' lacks '%s'", s, strata_error_last()->message, msg_part);
}

static void test_num_rejects_bad_text_range_and_precision(void **state)
{
    (void)state;
    reject("", "not a number");
    reject("abc", "not a number");
    reject("1.2.3", "not a number");
    reject("1e", "not a number");
    reject("--1", "not a number");
    reject(" 1", "not a number");
    reject("1 ", "not a number");
    reject("NaN", "not a number");
    reject("Infinity", "not a number");
    reject("0x10", "not a number");
    reject("123456789012345678901234567890123456789", "38 significant digits");
    reject("1.00000000000000000000000000000000000001", "38 significant digits");
    reject("1E126", "larger in magnitude");
    reject("-1E126", "larger in magnitude");
    reject("1E-131", "smaller in magnitude");
    reject("1e999999999999999999999", "larger in magnitude");
    reject("1e-999999999999999999999", "smaller in magnitude");
    /* zero has no magnitude: any exponent is fine */
    strata_num z = num("0e999999");
    assert_int_equal(z.sign, 0);
}

static void test_num_add_and_sub_are_exact_with_clear_errors(void **state)
{
    (void)state;
    strata_num r, a = num("0.1"), b = num("0.2");
    char buf[STRATA_NUM_TEXT_MAX];
    assert_int_equal(strata_num__add(&r, &a, &b), 0);
    strata_num__format(&r, buf);
    assert_string_equal(buf, "0.3");
    a = num("99999999999999999999999999999999999999");
    b = num("1");
    assert_int_equal(strata_num__add(&r, &a, &b), 0);
    strata_num__format(&r, buf);
    assert_string_equal(buf, "100000000000000000000000000000000000000");
    b = num("0.5");
    assert_int_equal(strata_num__add(&r, &a, &b), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "38 significant digits"));
    a = num("9.9999999999999999999999999999999999999E+125");
    b = num("1E+88");
    assert_int_equal(strata_num__add(&r, &a, &b), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "larger in magnitude"));
    a = num("5");
    assert_int_equal(strata_num__sub(&r, &a, &a), 0);
    assert_int_equal(r.sign, 0);
    b = num("7.25");
    assert_int_equal(strata_num__sub(&r, &a, &b), 0);
    strata_num__format(&r, buf);
    assert_string_equal(buf, "-2.25");
    /* aliasing */
    assert_int_equal(strata_num__add(&a, &a, &a), 0);
    strata_num__format(&a, buf);
    assert_string_equal(buf, "10");
    int64_t v;
    assert_int_equal(strata_num__to_i64(&a, &v), 0);
    assert_int_equal(v, 10);
    assert_int_equal(strata_num__to_i64(&b, &v), STRATA_EINVALID);
    strata_num__from_i64(&a, INT64_MIN);
    strata_num__format(&a, buf);
    assert_string_equal(buf, "-9223372036854775808");
    assert_int_equal(strata_num__to_i64(&a, &v), 0);
    assert_true(v == INT64_MIN);
    assert_true(strata_num__to_double(&b) == 7.25);
}

/* A random normalised number: 1..38 digits, exponent anywhere in range, random sign. */
static strata_num rand_num(uint64_t *rs)
{
    strata_num n;
    if (tu_below(rs, 20) == 0) {
        memset(&n, 0, sizeof n);
        return n;
    }
    n.sign = tu_below(rs, 2) ? 1 : -1;
    n.ndigits = (uint8_t)(1 + tu_below(rs, tu_below(rs, 2) ? 38 : 4));
    for (int i = 0; i < n.ndigits; i++) n.digits[i] = (uint8_t)tu_below(rs, 10);
    if (n.digits[0] == 0) n.digits[0] = 1;
    if (n.digits[n.ndigits - 1] == 0) n.digits[n.ndigits - 1] = 7;
    n.exp = (int16_t)(tu_below(rs, 3) == 0 ? STRATA_NUM_MIN_EXP + (int)tu_below(rs, 256) : (int)tu_below(rs, 21) - 10);
    return n;
}

static int sgn(int x) { return x < 0 ? -1 : x > 0; }

static void test_num_encoding_order_matches_numeric_order(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("num_encoding_order"), rs = seed;
    for (int i = 0; i < 20000; i++) {
        strata_num a = rand_num(&rs), b = tu_below(&rs, 4) ? rand_num(&rs) : a;
        if (tu_below(&rs, 4) == 0 && a.sign) { /* near neighbours: same exponent, shared prefix */
            b = a;
            b.ndigits = (uint8_t)(1 + tu_below(&rs, a.ndigits));
            if (b.digits[b.ndigits - 1] == 0) b.digits[b.ndigits - 1] = 3;
        }
        uint8_t ea[STRATA_NUM_ENC_MAX], eb[STRATA_NUM_ENC_MAX];
        size_t la = strata_num__encode(&a, ea), lb = strata_num__encode(&b, eb);
        size_t m = la < lb ? la : lb;
        int c = memcmp(ea, eb, m);
        if (c == 0) c = la < lb ? -1 : la > lb;
        if (sgn(c) != strata_num__cmp(&a, &b)) {
            char x[STRATA_NUM_TEXT_MAX], y[STRATA_NUM_TEXT_MAX];
            strata_num__format(&a, x);
            strata_num__format(&b, y);
            fail_msg("seed %llu: order of %s vs %s: bytes %d, numeric %d", (unsigned long long)seed, x, y, c,
                     strata_num__cmp(&a, &b));
        }
        /* encoding is self-delimiting and decodes back */
        strata_num d;
        size_t used;
        uint8_t padded[STRATA_NUM_ENC_MAX + 3];
        memcpy(padded, ea, la);
        memcpy(padded + la, "\x55\xAA\x00", 3);
        assert_int_equal(strata_num__decode(&d, padded, la + 3, &used), 0);
        assert_int_equal(used, la);
        assert_int_equal(strata_num__cmp(&d, &a), 0);
        /* text round trip */
        char t[STRATA_NUM_TEXT_MAX];
        size_t tl = strata_num__format(&a, t);
        strata_num p;
        assert_int_equal(strata_num__parse(&p, t, tl), 0);
        assert_int_equal(strata_num__cmp(&p, &a), 0);
        assert_memory_equal(p.digits, a.digits, a.ndigits);
    }
}

/* Format a __int128 scaled by 10^-scale as decimal text. */
static void i128_text(__int128 v, int scale, char *out)
{
    char digits[64];
    int neg = v < 0, k = 0;
    unsigned __int128 m = neg ? (unsigned __int128)(-v) : (unsigned __int128)v;
    do {
        digits[k++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    while (k <= scale) digits[k++] = '0';
    int o = 0;
    if (neg) out[o++] = '-';
    for (int i = k - 1; i >= 0; i--) {
        out[o++] = digits[i];
        if (i == scale && scale > 0) out[o++] = '.';
    }
    out[o] = '\0';
}

static void test_num_arithmetic_matches_int128_reference(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("num_arith_reference"), rs = seed;
    for (int i = 0; i < 20000; i++) {
        int64_t ma = (int64_t)(tu_rand(&rs) >> tu_below(&rs, 64)) * (tu_below(&rs, 2) ? 1 : -1);
        int64_t mb = (int64_t)(tu_rand(&rs) >> tu_below(&rs, 64)) * (tu_below(&rs, 2) ? 1 : -1);
        int sa = (int)tu_below(&rs, 12), sb = (int)tu_below(&rs, 12), s = sa > sb ? sa : sb;
        char ta[80], tb[80], tr[80], ts[80];
        i128_text(ma, sa, ta);
        i128_text(mb, sb, tb);
        __int128 A = ma, B = mb;
        for (int j = sa; j < s; j++) A *= 10;
        for (int j = sb; j < s; j++) B *= 10;
        i128_text(A + B, s, tr);
        i128_text(A - B, s, ts);
        strata_num a = num(ta), b = num(tb), r, want;
        assert_int_equal(strata_num__add(&r, &a, &b), 0);
        want = num(tr);
        if (strata_num__cmp(&r, &want) != 0)
            fail_msg("seed %llu: %s + %s != %s", (unsigned long long)seed, ta, tb, tr);
        assert_int_equal(strata_num__sub(&r, &a, &b), 0);
        want = num(ts);
        if (strata_num__cmp(&r, &want) != 0)
            fail_msg("seed %llu: %s - %s != %s", (unsigned long long)seed, ta, tb, ts);
        int c = A < B ? -1 : A > B;
        assert_int_equal(strata_num__cmp(&a, &b), c);
    }
}

static void test_num_add_agrees_with_comparison_on_random_numbers(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("num_add_order"), rs = seed;
    int checked = 0;
    for (int i = 0; i < 20000; i++) {
        strata_num a = rand_num(&rs), b = rand_num(&rs), r, back;
        if (strata_num__add(&r, &a, &b) != 0) continue; /* out of precision: fine */
        checked++;
        /* a + b > a exactly when b > 0 */
        strata_num zero = {0};
        assert_int_equal(strata_num__cmp(&r, &a), strata_num__cmp(&b, &zero));
        /* commutative, and (a + b) - b == a when representable */
        strata_num r2;
        assert_int_equal(strata_num__add(&r2, &b, &a), 0);
        assert_int_equal(strata_num__cmp(&r, &r2), 0);
        if (strata_num__sub(&back, &r, &b) == 0 && strata_num__cmp(&back, &a) != 0)
            fail_msg("seed %llu: (a+b)-b != a", (unsigned long long)seed);
    }
    assert_true(checked > 1000);
}

static void test_num_decode_rejects_non_canonical_bytes(void **state)
{
    (void)state;
    strata_num n;
    size_t used;
    const uint8_t bad1[] = {0xC0, 0x81, 0x00};       /* last pair zero */
    const uint8_t bad2[] = {0xC0, 0x81, 0x03, 0x02}; /* leading digit zero (pair 01) */
    const uint8_t bad3[] = {0xC0, 0x81, 0xF1};       /* pair > 99, unterminated */
    const uint8_t bad4[] = {0xC0, 0x81};             /* truncated */
    const uint8_t bad5[] = {0x42};                   /* bad sign */
    assert_int_equal(strata_num__decode(&n, bad1, sizeof bad1, &used), STRATA_ECORRUPT);
    assert_int_equal(strata_num__decode(&n, bad2, sizeof bad2, &used), STRATA_ECORRUPT);
    assert_int_equal(strata_num__decode(&n, bad3, sizeof bad3, &used), STRATA_ECORRUPT);
    assert_int_equal(strata_num__decode(&n, bad4, sizeof bad4, &used), STRATA_ECORRUPT);
    assert_int_equal(strata_num__decode(&n, bad5, sizeof bad5, &used), STRATA_ECORRUPT);
    uint8_t many[40];
    many[0] = 0xC0;
    many[1] = 0x81;
    memset(many + 2, 0x15, 30); /* 30 non-final pairs: more than 38 digits */
    many[32] = 0x14;
    assert_int_equal(strata_num__decode(&n, many, 33, &used), STRATA_ECORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_normalises_equal_values_to_one_form),
        cmocka_unit_test(test_num_every_producer_leaves_one_byte_form_whatever_memory_held),
        cmocka_unit_test(test_num_rejects_bad_text_range_and_precision),
        cmocka_unit_test(test_num_add_and_sub_are_exact_with_clear_errors),
        cmocka_unit_test(test_num_encoding_order_matches_numeric_order),
        cmocka_unit_test(test_num_arithmetic_matches_int128_reference),
        cmocka_unit_test(test_num_add_agrees_with_comparison_on_random_numbers),
        cmocka_unit_test(test_num_decode_rejects_non_canonical_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
