/* Exact decimal numbers (DynamoDB's N type): parsing, normalisation, formatting, comparison,
 * exact addition/subtraction and the order-preserving, self-delimiting binary encoding.
 *
 * The encoding (docs/format.md, "Numbers"): zero is the single byte 0x80. A nonzero number
 * 0.d1d2..dk x 10^E is a sign byte (0xC0 positive, 0x3F negative), an exponent byte E + 129
 * (0..255 covers the whole range), then the digits in pairs ("centimal" digits p = 0..99,
 * odd k padded with a final 0): every pair but the last is written 2p+1, the last 2p. Because
 * the first digit is nonzero and the last pair is nonzero, the positive encodings compare by
 * (E, digits) as memcmp does, and the even last byte marks the end, so no encoding is a prefix
 * of another. Negative numbers complement the exponent and digit bytes (255 - x), which
 * reverses their order; their last byte is then odd, the others even. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "doc/doc_int.h"
#include "util/error.h"

#define NUM_ZERO 0x80
#define NUM_POS 0xC0
#define NUM_NEG 0x3F

static void set_zero(strata_num *n)
{
    memset(n, 0, sizeof *n);
}

/* Build a normalised number from `cnt` digits (values 0..9, may have leading and trailing zeros)
 * with value sign x 0.digits x 10^exp. Returns 0 or STRATA_EINVALID naming `what` overflowed. */
static int normalise(strata_num *out, int sign, const uint8_t *digits, size_t cnt, int64_t exp,
                     const char *what)
{
    size_t first = 0;
    while (first < cnt && digits[first] == 0) first++;
    if (first == cnt) {
        set_zero(out);
        return 0;
    }
    size_t last = cnt - 1;
    while (digits[last] == 0) last--;
    exp -= (int64_t)first;
    size_t k = last - first + 1;
    if (k > STRATA_NUM_MAX_DIGITS)
        return strata_err__set(STRATA_EINVALID, "%s has more than 38 significant digits", what);
    if (exp > STRATA_NUM_MAX_EXP)
        return strata_err__set(STRATA_EINVALID,
                               "%s is larger in magnitude than 9.9999999999999999999999999999999999999E+125",
                               what);
    if (exp < STRATA_NUM_MIN_EXP)
        return strata_err__set(STRATA_EINVALID, "%s is smaller in magnitude than 1E-130", what);
    out->sign = (int8_t)(sign < 0 ? -1 : 1);
    out->ndigits = (uint8_t)k;
    out->exp = (int16_t)exp;
    memmove(out->digits, digits + first, k);
    memset(out->digits + k, 0, sizeof out->digits - k); /* one form: every byte is defined */
    return 0;
}

int strata_doc__num_scan(const char *s, size_t len, int json, size_t *used)
{
    size_t i = 0;
    if (i < len && (s[i] == '-' || (!json && s[i] == '+'))) i++;
    size_t int_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9') i++;
    size_t nint = i - int_start;
    if (json) {
        if (nint == 0) return -1;
        if (nint > 1 && s[int_start] == '0') return -2;
    }
    size_t nfrac = 0;
    if (i < len && s[i] == '.') {
        i++;
        size_t f = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        nfrac = i - f;
        if (json && nfrac == 0) return -3;
    }
    if (nint + nfrac == 0) return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') i++;
        if (i == e) return -4;
    }
    *used = i;
    return 0;
}

int strata_doc__num_from_text(strata_num *out, const char *s, size_t len)
{
    /* s is known to match the grammar (strata_doc__num_scan). */
    size_t i = 0;
    int sign = 1;
    if (s[i] == '-') { sign = -1; i++; }
    else if (s[i] == '+') i++;
    uint8_t dig[STRATA_NUM_MAX_DIGITS + 1];
    size_t nd = 0;        /* digits kept in dig (after the first nonzero) */
    int64_t point = 0;    /* digits before the decimal point, counted from the first nonzero */
    int seen_nz = 0, in_frac = 0, too_many = 0;
    int64_t lead_frac_zeros = 0; /* fraction zeros before the first nonzero */
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.') { in_frac = 1; continue; }
        if (c < '0' || c > '9') break;
        uint8_t d = (uint8_t)(c - '0');
        if (!seen_nz) {
            if (d == 0) {
                if (in_frac) lead_frac_zeros++;
                continue;
            }
            seen_nz = 1;
        }
        if (!in_frac) point++;
        if (nd < STRATA_NUM_MAX_DIGITS) dig[nd++] = d;
        else if (d != 0) too_many = 1;
    }
    int64_t e = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int esign = 1;
        if (s[i] == '-') { esign = -1; i++; }
        else if (s[i] == '+') i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 1000000000) e = e * 10 + (s[i] - '0');
        e *= esign;
    }
    if (!seen_nz) {
        set_zero(out);
        return 0;
    }
    if (too_many)
        return strata_err__set(STRATA_EINVALID, "number has more than 38 significant digits");
    /* value = 0.dig x 10^(point - lead_frac_zeros + e); saturate to stay in int64 */
    int64_t exp = point - lead_frac_zeros;
    if (exp > 1000000000) exp = 1000000000;
    if (exp < -1000000000) exp = -1000000000;
    exp += e;
    return normalise(out, sign, dig, nd, exp, "number");
}

int strata_num__parse(strata_num *out, const char *text, size_t len)
{
    size_t used = 0;
    if (!text || strata_doc__num_scan(text, len, 0, &used) != 0 || used != len) {
        int shown = len > 40 ? 40 : (int)len;
        return strata_err__set(STRATA_EINVALID, "not a number: '%.*s'%s", text ? shown : 0,
                               text ? text : "", len > 40 ? "..." : "");
    }
    return strata_doc__num_from_text(out, text, len);
}

size_t strata_num__format(const strata_num *n, char out[STRATA_NUM_TEXT_MAX])
{
    size_t o = 0;
    if (n->sign == 0) {
        out[0] = '0';
        out[1] = '\0';
        return 1;
    }
    if (n->sign < 0) out[o++] = '-';
    int e = n->exp, k = n->ndigits;
    if (e > 0 && e <= 40) {
        for (int i = 0; i < e; i++) out[o++] = (char)('0' + (i < k ? n->digits[i] : 0));
        if (k > e) {
            out[o++] = '.';
            for (int i = e; i < k; i++) out[o++] = (char)('0' + n->digits[i]);
        }
    } else if (e <= 0 && e >= -5) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = 0; i < -e; i++) out[o++] = '0';
        for (int i = 0; i < k; i++) out[o++] = (char)('0' + n->digits[i]);
    } else {
        out[o++] = (char)('0' + n->digits[0]);
        if (k > 1) {
            out[o++] = '.';
            for (int i = 1; i < k; i++) out[o++] = (char)('0' + n->digits[i]);
        }
        o += (size_t)snprintf(out + o, STRATA_NUM_TEXT_MAX - o, "E%+d", e - 1);
    }
    out[o] = '\0';
    return o;
}

/* Compare magnitudes of two nonzero normalised numbers. */
static int cmp_mag(const strata_num *a, const strata_num *b)
{
    if (a->exp != b->exp) return a->exp < b->exp ? -1 : 1;
    int k = a->ndigits < b->ndigits ? a->ndigits : b->ndigits;
    for (int i = 0; i < k; i++)
        if (a->digits[i] != b->digits[i]) return a->digits[i] < b->digits[i] ? -1 : 1;
    if (a->ndigits != b->ndigits) return a->ndigits < b->ndigits ? -1 : 1;
    return 0;
}

int strata_num__cmp(const strata_num *a, const strata_num *b)
{
    if (a->sign != b->sign) return a->sign < b->sign ? -1 : 1;
    if (a->sign == 0) return 0;
    int c = cmp_mag(a, b);
    return a->sign > 0 ? c : -c;
}

/* Width of the aligned digit arrays: exponents span 256, plus 38 digits, plus a carry. */
#define WIDE (STRATA_NUM_MAX_EXP - STRATA_NUM_MIN_EXP + STRATA_NUM_MAX_DIGITS + 4)

/* Place the digits of nonzero x into wide[] where wide[j] has weight 10^(top - 1 - j). */
static void spread(uint8_t *wide, const strata_num *x, int top)
{
    int off = top - x->exp;
    for (int i = 0; i < x->ndigits; i++) wide[off + i] += x->digits[i];
}

static int add_signed(strata_num *out, const strata_num *a, int bsign, const strata_num *b)
{
    if (b->sign == 0 || bsign == 0) {
        *out = *a;
        return 0;
    }
    if (a->sign == 0) {
        *out = *b;
        out->sign = (int8_t)bsign;
        return 0;
    }
    /* one leading slot for the carry */
    int top = (a->exp > b->exp ? a->exp : b->exp) + 1;
    uint8_t x[WIDE], y[WIDE];
    memset(x, 0, sizeof x);
    memset(y, 0, sizeof y);
    spread(x, a, top);
    spread(y, b, top);
    int lowa = top - a->exp + a->ndigits, lowb = top - b->exp + b->ndigits;
    int width = lowa > lowb ? lowa : lowb;
    int sign;
    if (a->sign == bsign) {
        sign = a->sign;
        int carry = 0;
        for (int j = width - 1; j >= 0; j--) {
            int s = x[j] + y[j] + carry;
            carry = s >= 10;
            x[j] = (uint8_t)(carry ? s - 10 : s);
        }
    } else {
        int c = cmp_mag(a, b);
        if (c == 0) {
            set_zero(out);
            return 0;
        }
        uint8_t *big = c > 0 ? x : y, *small = c > 0 ? y : x;
        sign = c > 0 ? a->sign : bsign;
        int borrow = 0;
        for (int j = width - 1; j >= 0; j--) {
            int s = big[j] - small[j] - borrow;
            borrow = s < 0;
            x[j] = (uint8_t)(borrow ? s + 10 : s);
        }
    }
    strata_num r;
    int rc = normalise(&r, sign, x, (size_t)width, top, "result");
    if (rc) return rc;
    *out = r;
    return 0;
}

int strata_num__add(strata_num *out, const strata_num *a, const strata_num *b)
{
    return add_signed(out, a, b->sign, b);
}

int strata_num__sub(strata_num *out, const strata_num *a, const strata_num *b)
{
    return add_signed(out, a, -b->sign, b);
}

void strata_num__from_i64(strata_num *out, int64_t v)
{
    if (v == 0) {
        set_zero(out);
        return;
    }
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    uint8_t tmp[20];
    int k = 0;
    while (m) {
        tmp[k++] = (uint8_t)(m % 10);
        m /= 10;
    }
    uint8_t dig[20];
    for (int i = 0; i < k; i++) dig[i] = tmp[k - 1 - i];
    normalise(out, v < 0 ? -1 : 1, dig, (size_t)k, k, "integer"); /* cannot fail */
}

int strata_num__to_i64(const strata_num *n, int64_t *out)
{
    if (n->sign == 0) {
        *out = 0;
        return 0;
    }
    if (n->exp < n->ndigits)
        return strata_err__set(STRATA_EINVALID, "number is not an integer");
    if (n->exp > 19) return strata_err__set(STRATA_EINVALID, "number does not fit in 64 bits");
    uint64_t m = 0;
    for (int i = 0; i < n->exp; i++) {
        uint64_t d = i < n->ndigits ? n->digits[i] : 0;
        if (m > (UINT64_MAX - d) / 10)
            return strata_err__set(STRATA_EINVALID, "number does not fit in 64 bits");
        m = m * 10 + d;
    }
    if (n->sign > 0) {
        if (m > (uint64_t)INT64_MAX)
            return strata_err__set(STRATA_EINVALID, "number does not fit in 64 bits");
        *out = (int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX + 1)
            return strata_err__set(STRATA_EINVALID, "number does not fit in 64 bits");
        *out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
    }
    return 0;
}

double strata_num__to_double(const strata_num *n)
{
    char buf[STRATA_NUM_TEXT_MAX];
    strata_num__format(n, buf);
    return strtod(buf, NULL);
}

size_t strata_num__encode(const strata_num *n, uint8_t out[STRATA_NUM_ENC_MAX])
{
    if (n->sign == 0) {
        out[0] = NUM_ZERO;
        return 1;
    }
    int neg = n->sign < 0;
    size_t o = 0;
    out[o++] = neg ? NUM_NEG : NUM_POS;
    uint8_t e = (uint8_t)(n->exp - STRATA_NUM_MIN_EXP);
    out[o++] = neg ? (uint8_t)(255 - e) : e;
    int k = n->ndigits;
    for (int i = 0; i < k; i += 2) {
        int p = n->digits[i] * 10 + (i + 1 < k ? n->digits[i + 1] : 0);
        uint8_t byte = (uint8_t)(i + 2 < k ? 2 * p + 1 : 2 * p);
        out[o++] = neg ? (uint8_t)(255 - byte) : byte;
    }
    return o;
}

int strata_num__decode(strata_num *out, const uint8_t *p, size_t len, size_t *used)
{
    if (len < 1) return strata_err__set(STRATA_ECORRUPT, "number encoding is empty");
    if (p[0] == NUM_ZERO) {
        set_zero(out);
        *used = 1;
        return 0;
    }
    if (p[0] != NUM_POS && p[0] != NUM_NEG)
        return strata_err__set(STRATA_ECORRUPT, "number encoding has bad sign byte 0x%02x", p[0]);
    int neg = p[0] == NUM_NEG;
    if (len < 3) return strata_err__set(STRATA_ECORRUPT, "number encoding is truncated");
    uint8_t e = neg ? (uint8_t)(255 - p[1]) : p[1];
    strata_num r;
    memset(&r, 0, sizeof r); /* digits past ndigits stay zero: one form */
    r.sign = (int8_t)(neg ? -1 : 1);
    r.exp = (int16_t)(e + STRATA_NUM_MIN_EXP);
    int k = 0;
    size_t i = 2;
    for (;;) {
        if (i >= len) return strata_err__set(STRATA_ECORRUPT, "number encoding is truncated");
        uint8_t b = neg ? (uint8_t)(255 - p[i]) : p[i];
        int last = !(b & 1);
        int pair = b >> 1;
        if (pair > 99) return strata_err__set(STRATA_ECORRUPT, "number encoding has a bad digit pair");
        if (k + 2 > STRATA_NUM_MAX_DIGITS)
            return strata_err__set(STRATA_ECORRUPT, "number encoding has too many digits");
        r.digits[k++] = (uint8_t)(pair / 10);
        r.digits[k++] = (uint8_t)(pair % 10);
        i++;
        if (last) {
            if (pair == 0) return strata_err__set(STRATA_ECORRUPT, "number encoding ends in a zero pair");
            break;
        }
    }
    if (r.digits[0] == 0) return strata_err__set(STRATA_ECORRUPT, "number encoding has a leading zero");
    if (r.digits[k - 1] == 0) k--;
    r.ndigits = (uint8_t)k;
    *out = r;
    *used = i;
    return 0;
}
