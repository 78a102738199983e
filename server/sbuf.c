/* strata-server's output buffer: appends that never fail midway (the first allocation failure
 * is remembered and checked once), JSON string escaping, and DynamoDB JSON of strata values. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_free(sbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Make room for n more bytes plus a NUL. 0 or -1 (and b->failed). */
static int reserve(sbuf *b, size_t n)
{
    if (b->failed) return -1;
    if (n > SIZE_MAX / 2 - b->len) goto fail;
    if (b->len + n + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) goto fail;
    b->data = p;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return -1;
}

void sbuf_add(sbuf *b, const void *p, size_t n)
{
    if (reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void sbuf_cstr(sbuf *b, const char *s) { sbuf_add(b, s, strlen(s)); }

void sbuf_fmt(sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        sbuf_add(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* The length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return len;
}

void sbuf_jstr(sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_add(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80) {
            size_t len = utf8_len((const unsigned char *)s + i, n - i);
            if (len) {
                i += len - 1;
                continue;
            }
            /* not UTF-8 (a header echoed in a message): U+FFFD keeps the reply valid JSON */
            sbuf_add(b, s + run, i - run);
            sbuf_add(b, "\xEF\xBF\xBD", 3);
            run = i + 1;
            continue;
        }
        if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
        sbuf_add(b, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t len = 2;
        switch (ch) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[ch >> 4]; esc[5] = hex[ch & 15];
            len = 6;
        }
        sbuf_add(b, esc, len);
    }
    sbuf_add(b, s + run, n - run);
    sbuf_add(b, "\"", 1);
}

/* Append number `s` (n bytes, strata's canonical text) in plain notation, as DynamoDB answers
 * every number (strata writes 1E-7 and 1.5E+40 in exponent form: docs/values.md). */
static void plain_number(sbuf *b, const char *s, size_t n)
{
    const char *e = memchr(s, 'E', n);
    if (!e) {
        sbuf_add(b, s, n);
        return;
    }
    char digits[64];
    size_t nd = 0;
    long point = -1, exp = strtol(e + 1, NULL, 10);
    const char *p = s;
    if (*p == '-') sbuf_add(b, "-", 1), p++;
    for (; p < e && nd < sizeof digits; p++) {
        if (*p == '.') point = (long)nd;
        else digits[nd++] = *p;
    }
    long pos = (point < 0 ? (long)nd : point) + exp; /* digits before the decimal point */
    if (pos <= 0) {
        sbuf_add(b, "0.", 2);
        for (long i = 0; i < -pos; i++) sbuf_add(b, "0", 1);
        sbuf_add(b, digits, nd);
    } else if ((size_t)pos >= nd) {
        sbuf_add(b, digits, nd);
        for (long i = (long)nd; i < pos; i++) sbuf_add(b, "0", 1);
    } else {
        sbuf_add(b, digits, (size_t)pos);
        sbuf_add(b, ".", 1);
        sbuf_add(b, digits + pos, nd - (size_t)pos);
    }
}

/* Append DynamoDB JSON text with its numbers in plain notation. In that text `"N":"` always
 * starts a number and `"NS":[` a number set (an attribute named N or NS is followed by `{`;
 * quotes inside strings are escaped). */
static void add_plain_numbers(sbuf *b, const char *json, size_t len)
{
    size_t run = 0, i = 0;
    while (i < len) {
        const char *q = memchr(json + i, '"', len - i);
        if (!q) break;
        i = (size_t)(q - json);
        int one = len - i >= 5 && memcmp(q, "\"N\":\"", 5) == 0;
        int set = len - i >= 6 && memcmp(q, "\"NS\":[", 6) == 0;
        if (!one && !set) {
            i++;
            continue;
        }
        i += one ? 4 : 6;
        sbuf_add(b, json + run, i - run);
        for (;;) { /* one number, or each of the set's */
            if (i >= len || json[i] != '"') break;
            const char *end = memchr(json + i + 1, '"', len - i - 1);
            if (!end) break;
            sbuf_add(b, "\"", 1);
            plain_number(b, json + i + 1, (size_t)(end - json) - i - 1);
            sbuf_add(b, "\"", 1);
            i = (size_t)(end - json) + 1;
            if (one || i >= len || json[i] != ',') break;
            sbuf_add(b, ",", 1);
            i++;
        }
        run = i;
    }
    sbuf_add(b, json + run, len - run);
}

int sbuf_value(sbuf *b, const strata_value *v, int item)
{
    char *json = NULL;
    size_t len = 0;
    int rc = strata_value_to_json(&json, &len, v,
                                  STRATA_JSON_DYNAMODB | (item ? STRATA_JSON_ITEM : 0u));
    if (rc < 0) return rc;
    if (memchr(json, 'E', len)) add_plain_numbers(b, json, len);
    else sbuf_add(b, json, len);
    strata_free(json);
    return b->failed ? STRATA_ENOMEM : 0;
}
