/* The order-preserving key codec (partition key, optional sort key) and the name check.
 *
 * A key is its parts' encodings back to back. A part is a type byte (0x03 number, 0x04 string,
 * 0x05 binary) followed by
 *   - number: the order-preserving, self-delimiting number encoding (num.c);
 *   - string/binary: the bytes with every 0x00 written as 0x00 0xFF, then the terminator
 *     0x00 0x01.
 * memcmp of two keys compares the first parts, then the second: within a type the escaped
 * bytes compare like the raw bytes, and the terminator 0x00 0x01 is smaller than any content
 * byte (a raw 0x00 is 0x00 0xFF), so a string sorts before its extensions. A key with no sort
 * key is a proper prefix of every key with the same partition key and one, so it sorts first. */
#include <string.h>

#include "doc/doc.h"
#include "doc/doc_int.h"
#include "util/error.h"
#include "util/utf8.h"

static int put_escaped(strata_buf *out, const uint8_t *p, size_t n)
{
    int rc = strata_buf__reserve(out, n + 2);
    if (rc) return rc;
    size_t i = 0;
    while (i < n) {
        const uint8_t *z = memchr(p + i, 0, n - i);
        size_t run = z ? (size_t)(z - (p + i)) : n - i;
        if ((rc = strata_buf__append(out, p + i, run))) return rc;
        i += run;
        if (z) {
            if ((rc = strata_buf__append(out, "\x00\xff", 2))) return rc;
            i++;
        }
    }
    return 0;
}

int strata_doc__key_encode_part(strata_buf *out, strata_slice part)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "key_encode: NULL buffer");
    int t = strata_doc__type(part);
    if (t < 0) return t;
    size_t save = out->len;
    int rc;
    if (t == STRATA_DOC_NUMBER) {
        size_t sz;
        if ((rc = strata_doc__value_size(part.data, part.len, &sz))) return rc;
        rc = strata_buf__append(out, part.data, sz);
    } else if (t == STRATA_DOC_STRING || t == STRATA_DOC_BINARY) {
        strata_slice s;
        rc = t == STRATA_DOC_STRING ? strata_doc__get_string(part, &s) : strata_doc__get_binary(part, &s);
        if (!rc) rc = strata_buf__putc(out, (uint8_t)t);
        if (!rc) rc = put_escaped(out, s.data, s.len);
        if (!rc) rc = strata_buf__append(out, "\x00\x01", 2);
    } else {
        return strata_err__set(STRATA_EINVALID, "a key part must be a string, number or binary, got a %s",
                               strata_doc__type_name(t));
    }
    if (rc) out->len = save;
    return rc;
}

int strata_doc__key_encode_string(strata_buf *out, const void *s, size_t len)
{
    if (!out || (!s && len)) return strata_err__set(STRATA_EINVALID, "key_encode_string: NULL argument");
    if (!strata_utf8__valid(s, len)) return strata_err__set(STRATA_EINVALID, "a string key part must be valid UTF-8");
    size_t save = out->len;
    int rc = strata_buf__putc(out, (uint8_t)STRATA_DOC_STRING);
    if (!rc) rc = put_escaped(out, s, len);
    if (!rc) rc = strata_buf__append(out, "\x00\x01", 2);
    if (rc) out->len = save;
    return rc;
}

int strata_doc__key_encode(strata_buf *out, strata_slice pk, const strata_slice *sk)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "key_encode: NULL buffer");
    size_t save = out->len;
    int rc = strata_doc__key_encode_part(out, pk);
    if (!rc && sk) rc = strata_doc__key_encode_part(out, *sk);
    if (rc) out->len = save;
    return rc;
}

/* Decode one part at [p, end) into out (as an encoded value); *used receives its key size. */
static int decode_part(const uint8_t *p, const uint8_t *end, strata_buf *out, size_t *used)
{
    int rc;
    if (p >= end) return strata_err__set(STRATA_ECORRUPT, "key part is empty");
    if (p[0] == TAG_NUMBER) {
        strata_num n;
        size_t u;
        if ((rc = strata_num__decode(&n, p + 1, (size_t)(end - p - 1), &u))) return rc;
        if (out && (rc = strata_buf__append(out, p, 1 + u))) return rc;
        *used = 1 + u;
        return 0;
    }
    if (p[0] != TAG_STRING && p[0] != TAG_BINARY)
        return strata_err__set(STRATA_ECORRUPT, "key part has unknown type byte 0x%02x", p[0]);
    /* first pass: find the terminator and the decoded length */
    size_t len = 0;
    const uint8_t *q = p + 1;
    for (;;) {
        const uint8_t *z = memchr(q, 0, (size_t)(end - q));
        if (!z || z + 1 >= end) return strata_err__set(STRATA_ECORRUPT, "key part is not terminated");
        len += (size_t)(z - q);
        if (z[1] == 0x01) {
            q = z + 2;
            break;
        }
        if (z[1] != 0xFF) return strata_err__set(STRATA_ECORRUPT, "key part has a bad escape 0x00 0x%02x", z[1]);
        len++;
        q = z + 2;
    }
    *used = (size_t)(q - p);
    if (p[0] == TAG_STRING) {
        /* strings must be valid UTF-8: checked on the decoded bytes below */
    }
    if (!out) return 0;
    size_t save = out->len;
    if ((rc = strata_buf__putc(out, p[0])) || (rc = strata_buf__put_varint(out, len)) ||
        (rc = strata_buf__reserve(out, len)))
        goto fail;
    uint8_t *o = out->data + out->len;
    for (const uint8_t *r = p + 1; r < q - 2;) {
        if (*r == 0) {
            *o++ = 0;
            r += 2;
        } else {
            *o++ = *r++;
        }
    }
    if (p[0] == TAG_STRING && !strata_utf8__valid(out->data + out->len, len)) {
        rc = strata_err__set(STRATA_ECORRUPT, "key string part is not valid UTF-8");
        goto fail;
    }
    out->len += len;
    return 0;
fail:
    out->len = save;
    return rc;
}

int strata_doc__key_decode(const void *key, size_t len, strata_buf *pk_out, strata_buf *sk_out, int *has_sk)
{
    if (!key && len) return strata_err__set(STRATA_EINVALID, "key_decode: NULL key");
    if (!pk_out) return strata_err__set(STRATA_EINVALID, "key_decode: NULL buffer");
    const uint8_t *p = key, *end = p + len;
    size_t u1 = 0, u2 = 0, save1 = pk_out->len, save2 = sk_out ? sk_out->len : 0;
    int rc = decode_part(p, end, pk_out, &u1);
    if (rc) return rc;
    int two = p + u1 < end;
    if (two) {
        strata_buf scratch = {0};
        rc = decode_part(p + u1, end, sk_out ? sk_out : &scratch, &u2);
        strata_buf__free(&scratch);
        if (!rc && p + u1 + u2 != end) rc = strata_err__set(STRATA_ECORRUPT, "key has bytes after its sort key");
        if (rc) {
            pk_out->len = save1;
            if (sk_out) sk_out->len = save2;
            return rc;
        }
    }
    if (has_sk) *has_sk = two;
    return 0;
}

/* Replace the bytes of b from `from` on by their successor: the smallest byte string greater
 * than every string that starts with them (drop trailing 0xFF bytes, increment the last). */
static int successor(strata_buf *b, size_t from)
{
    while (b->len > from && b->data[b->len - 1] == 0xFF) b->len--;
    if (b->len == from) return strata_err__set(STRATA_EINVALID, "key range has no upper bound");
    b->data[b->len - 1]++;
    return 0;
}

/* Close a key range whose low end lo has just been extended from slo (rc: how that went): the
 * high end gets the same bytes from shi on, then their successor. On any failure both buffers
 * are put back as they were. Returns rc or the failure. */
static int range_close(strata_buf *lo, strata_buf *hi, size_t slo, size_t shi, int rc)
{
    if (!rc) rc = strata_buf__append(hi, lo->data + slo, lo->len - slo);
    if (!rc) rc = successor(hi, shi);
    if (rc) {
        lo->len = slo;
        hi->len = shi;
    }
    return rc;
}

int strata_doc__key_prefix_range(strata_buf *lo, strata_buf *hi, strata_slice pk, strata_slice prefix)
{
    if (!lo || !hi) return strata_err__set(STRATA_EINVALID, "key_prefix_range: NULL buffer");
    int t = strata_doc__type(prefix);
    if (t < 0) return t;
    if (t != STRATA_DOC_STRING && t != STRATA_DOC_BINARY)
        return strata_err__set(STRATA_EINVALID, "begins_with needs a string or binary prefix, got a %s",
                               strata_doc__type_name(t));
    size_t slo = lo->len, shi = hi->len;
    strata_slice s;
    int rc = t == STRATA_DOC_STRING ? strata_doc__get_string(prefix, &s) : strata_doc__get_binary(prefix, &s);
    if (!rc) rc = strata_doc__key_encode_part(lo, pk);
    if (!rc) rc = strata_buf__putc(lo, (uint8_t)t);
    if (!rc) rc = put_escaped(lo, s.data, s.len);
    return range_close(lo, hi, slo, shi, rc);
}

int strata_doc__key_partition_range(strata_buf *lo, strata_buf *hi, strata_slice pk)
{
    if (!lo || !hi) return strata_err__set(STRATA_EINVALID, "key_partition_range: NULL buffer");
    size_t slo = lo->len, shi = hi->len;
    return range_close(lo, hi, slo, shi, strata_doc__key_encode_part(lo, pk));
}

int strata_doc__check_name(const char *name, size_t len, const char *what)
{
    if (!what) what = "name";
    if (!name) return strata_err__set(STRATA_EINVALID, "%s is NULL", what);
    if (len == 0) return strata_err__set(STRATA_EINVALID, "%s is empty", what);
    if (len > STRATA_NAME_MAX)
        return strata_err__set(STRATA_EINVALID, "%s is %zu bytes long (at most %d)", what, len, STRATA_NAME_MAX);
    const uint8_t *p = (const uint8_t *)name, *end = p + len;
    while (p < end) {
        uint32_t cp;
        size_t n = strata_utf8__decode(p, end, &cp);
        if (!n)
            return strata_err__set(STRATA_EINVALID, "%s is not valid UTF-8 (at byte %zu)", what,
                                   (size_t)(p - (const uint8_t *)name));
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return strata_err__set(STRATA_EINVALID, "%s contains control character U+%04X (at byte %zu)", what,
                                   (unsigned)cp, (size_t)(p - (const uint8_t *)name));
        p += n;
    }
    return 0;
}
