/* Growable byte buffers and LEB128 varints. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/error.h"
#include "util/mem.h"

int strata_buf__reserve(strata_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) return 0;
    if (extra > SIZE_MAX / 2 - b->len)
        return strata_err__set(STRATA_ENOMEM, "buffer size overflow");
    size_t want = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want) cap *= 2;
    uint8_t *p = strata_mem__realloc(b->data, cap);
    if (!p) return STRATA_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int strata_buf__append(strata_buf *b, const void *p, size_t n)
{
    int rc = strata_buf__reserve(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int strata_buf__putc(strata_buf *b, uint8_t c)
{
    if (b->len == b->cap) {
        int rc = strata_buf__reserve(b, 1);
        if (rc) return rc;
    }
    b->data[b->len++] = c;
    return 0;
}

int strata_buf__put_varint(strata_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    return strata_buf__append(b, tmp, strata_varint__encode(tmp, v));
}

int strata_buf__put_u64le(strata_buf *b, uint64_t v)
{
    uint8_t tmp[8];
    strata_put_le64(tmp, v);
    return strata_buf__append(b, tmp, 8);
}

int strata_buf__printf(strata_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return strata_err__set(STRATA_EINVALID, "bad format string");
    int rc = strata_buf__reserve(b, (size_t)n + 1);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

uint8_t *strata_buf__detach(strata_buf *b, size_t *len)
{
    uint8_t *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void strata_buf__free(strata_buf *b)
{
    strata_mem__free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

size_t strata_varint__encode(uint8_t out[10], uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

size_t strata_varint__size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) { v >>= 7; n++; }
    return n;
}

size_t strata_varint__decode(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (size_t i = 0; i < 10; i++) {
        if (p + i >= end) return 0;
        uint8_t c = p[i];
        if (i == 9 && c > 1) return 0; /* more than 64 bits */
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            if (i > 0 && c == 0) return 0; /* overlong: non-canonical */
            *v = r;
            return i + 1;
        }
    }
    return 0;
}
