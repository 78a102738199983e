/* JSON <-> canonical value: a strict RFC 8259 parser that writes the canonical encoding in one
 * pass (no intermediate tree), a compact and pretty printer, and base64 for binary values.
 * Error positions are kept as byte offsets on the hot path and turned into line:column (column
 * counted in characters) only when an error is reported. */
#include <stdio.h>
#include <string.h>

#include "doc/doc.h"
#include "doc/doc_int.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/utf8.h"

/* ---- base64 ------------------------------------------------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t strata_doc__b64_len(size_t n) { return (n + 2) / 3 * 4; }

/* Append the base64 of `p[0..n)` to `out`. An empty input appends nothing and touches nothing:
 * `out` may still have no storage, and `out->data + out->len` on it would be NULL + 0. */
int strata_doc__b64_encode(strata_buf *out, const uint8_t *p, size_t n)
{
    if (n == 0) return 0;
    int rc = strata_buf__reserve(out, strata_doc__b64_len(n));
    if (rc) return rc;
    char *o = (char *)out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = B64[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = '=';
    }
    out->len = (size_t)((uint8_t *)o - out->data);
    return 0;
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Append the bytes that base64 text `s[0..n)` stands for to `out`; EINVALID (and `out`
 * unchanged) for a bad length, character or padding. An empty text appends nothing and touches
 * nothing (as in the encoder, `out` may have no storage yet). */
int strata_doc__b64_decode(strata_buf *out, const char *s, size_t n)
{
    if (n % 4) return strata_err__set(STRATA_EINVALID, "base64 length %zu is not a multiple of 4", n);
    if (n == 0) return 0;
    size_t save = out->len;
    int rc = strata_buf__reserve(out, n / 4 * 3);
    if (rc) return rc;
    uint8_t *o = out->data + out->len;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = s[i + j];
            if (c == '=' && i + 4 == n && j >= 2) {
                if (j == 2 && s[i + 3] != '=') goto bad_pad;
                pad++;
                v[j] = 0;
                continue;
            }
            v[j] = b64_val(c);
            if (v[j] < 0) {
                out->len = save;
                return strata_err__set(STRATA_EINVALID, "invalid base64 character at offset %zu", i + j);
            }
        }
        uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        *o++ = (uint8_t)(x >> 16);
        if (pad < 2) *o++ = (uint8_t)(x >> 8);
        if (pad < 1) *o++ = (uint8_t)x;
    }
    out->len = (size_t)(o - out->data);
    return 0;
bad_pad:
    out->len = save;
    return strata_err__set(STRATA_EINVALID, "invalid base64 padding");
}

/* ---- parser ---------------------------------------------------------------------------------- */

typedef struct jparser {
    const uint8_t *start, *p, *end;
    strata_doc_builder w;
} jparser;

/* Set the error at source offset `at` as "line:col: message". */
static int jfail_at(const jparser *j, size_t at, int code, const char *fmt, const char *arg)
{
    size_t line = 1, col = 1;
    for (const uint8_t *q = j->start; q < j->start + at && q < j->end; q++) {
        if (*q == '\n') { line++; col = 1; }
        else if ((*q & 0xC0) != 0x80) col++;
    }
    char msg[200];
    snprintf(msg, sizeof msg, fmt, arg ? arg : "");
    return strata_err__set(code, "%zu:%zu: %s", line, col, msg);
}

static int jfail(const jparser *j, const char *fmt, const char *arg)
{
    return jfail_at(j, (size_t)(j->p - j->start), STRATA_EINVALID, fmt, arg);
}

/* Describe the byte at p for a message ("end of input", "'x'", "byte 0xC3"). */
static const char *describe(const jparser *j, char buf[24])
{
    if (j->p >= j->end) return "end of input";
    uint8_t c = *j->p;
    if (c >= 0x21 && c < 0x7F) snprintf(buf, 24, "'%c'", c);
    else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') snprintf(buf, 24, "whitespace");
    else snprintf(buf, 24, "byte 0x%02X", c);
    return buf;
}

static inline void skip_ws(jparser *j)
{
    const uint8_t *p = j->p, *end = j->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    j->p = p;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Parse the string at j->p (the opening quote) and append varint length + decoded bytes to
 * out. Validates UTF-8 and escapes. */
static int parse_string(jparser *j, strata_buf *out)
{
    const uint8_t *p = j->p + 1, *end = j->end;
    size_t avail = (size_t)(end - p);
    int rc = strata_buf__reserve(out, avail + 11);
    if (rc) return rc;
    size_t hdr = out->len;
    uint8_t *w0 = out->data + hdr + 1, *w = w0; /* assume a 1-byte length; fixed up below */
    for (;;) {
        /* fast path: plain ASCII, eight bytes at a time when possible */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            /* stop on any byte >= 0x80, < 0x20, '"' or '\\' */
            uint64_t hi = x & 0x8080808080808080ull;
            uint64_t lo = (x - 0x2020202020202020ull) & ~x & 0x8080808080808080ull;
            uint64_t q = x ^ 0x2222222222222222ull, bs = x ^ 0x5C5C5C5C5C5C5C5Cull;
            uint64_t qz = (q - 0x0101010101010101ull) & ~q & 0x8080808080808080ull;
            uint64_t bz = (bs - 0x0101010101010101ull) & ~bs & 0x8080808080808080ull;
            if (hi | lo | qz | bz) break;
            memcpy(w, p, 8);
            w += 8;
            p += 8;
        }
        if (p >= end) {
            j->p = p;
            return jfail(j, "unterminated string", NULL);
        }
        uint8_t c = *p;
        if (c == '"') break;
        if (c >= 0x20 && c < 0x80 && c != '\\') {
            *w++ = c;
            p++;
            continue;
        }
        if (c == '\\') {
            if (end - p < 2) {
                j->p = p;
                return jfail(j, "unterminated string", NULL);
            }
            uint8_t e = p[1];
            switch (e) {
            case '"': *w++ = '"'; p += 2; continue;
            case '\\': *w++ = '\\'; p += 2; continue;
            case '/': *w++ = '/'; p += 2; continue;
            case 'b': *w++ = '\b'; p += 2; continue;
            case 'f': *w++ = '\f'; p += 2; continue;
            case 'n': *w++ = '\n'; p += 2; continue;
            case 'r': *w++ = '\r'; p += 2; continue;
            case 't': *w++ = '\t'; p += 2; continue;
            case 'u': break;
            default:
                j->p = p;
                return jfail(j, "invalid escape sequence in string", NULL);
            }
            uint32_t cp;
            if (end - p < 6 || hex4(p + 2, &cp)) {
                j->p = p;
                return jfail(j, "expected four hex digits after \\u", NULL);
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                j->p = p;
                return jfail(j, "lone low surrogate \\u escape in string", NULL);
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF) {
                    j->p = p;
                    return jfail(j, "high surrogate \\u escape not followed by a low surrogate", NULL);
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            p += 6;
            w += strata_utf8__encode(w, cp);
            continue;
        }
        if (c < 0x20) {
            j->p = p;
            return jfail(j, "control character in string (must be escaped)", NULL);
        }
        uint32_t cp;
        size_t n = strata_utf8__decode(p, end, &cp);
        if (!n) {
            j->p = p;
            return jfail(j, "invalid UTF-8 in string", NULL);
        }
        memcpy(w, p, n);
        w += n;
        p += n;
    }
    size_t len = (size_t)(w - w0);
    size_t vs = strata_varint__size(len);
    if (vs > 1) memmove(w0 + vs - 1, w0, len);
    strata_varint__encode(out->data + hdr, len);
    out->len = hdr + vs + len;
    j->p = p + 1;
    return 0;
}

static int parse_value(jparser *j);

static int w_err(jparser *j, int rc, size_t at)
{
    if (rc == STRATA_ENOMEM) return rc;
    char msg[300];
    snprintf(msg, sizeof msg, "%s", strata_error_last()->message);
    return jfail_at(j, at, rc, "%s", msg);
}

static int parse_object(jparser *j)
{
    size_t open = (size_t)(j->p - j->start);
    int rc = strata_doc__w_begin(&j->w, TAG_MAP, open);
    if (rc) return w_err(j, rc, open);
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        goto close;
    }
    for (;;) {
        if (j->p >= j->end || *j->p != '"') {
            char b[24];
            if (j->p < j->end && *j->p == '}') return jfail(j, "trailing comma before '}'", NULL);
            return jfail(j, "expected a string key, got %s", describe(j, b));
        }
        size_t at = (size_t)(j->p - j->start);
        if ((rc = strata_doc__w_key_prep(&j->w, at))) return rc;
        if ((rc = parse_string(j, j->w.out))) return rc;
        if ((rc = strata_doc__w_key_done(&j->w))) return w_err(j, rc, at);
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':') {
            char b[24];
            return jfail(j, "expected ':' after object key, got %s", describe(j, b));
        }
        j->p++;
        if ((rc = parse_value(j))) return rc;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            skip_ws(j);
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            break;
        }
        char b[24];
        return jfail(j, "expected ',' or '}' after object member, got %s", describe(j, b));
    }
close:
    rc = strata_doc__w_end(&j->w);
    if (rc) return w_err(j, rc, j->w.err_src ? j->w.err_src : open);
    return 0;
}

static int parse_array(jparser *j)
{
    size_t open = (size_t)(j->p - j->start);
    int rc = strata_doc__w_begin(&j->w, TAG_LIST, open);
    if (rc) return w_err(j, rc, open);
    j->p++;
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        goto close;
    }
    for (;;) {
        skip_ws(j);
        if (j->p < j->end && *j->p == ']') return jfail(j, "trailing comma before ']'", NULL);
        if ((rc = parse_value(j))) return rc;
        skip_ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            break;
        }
        char b[24];
        return jfail(j, "expected ',' or ']' after array element, got %s", describe(j, b));
    }
close:
    rc = strata_doc__w_end(&j->w);
    if (rc) return w_err(j, rc, open);
    return 0;
}

static int parse_number(jparser *j)
{
    size_t used = 0;
    const char *s = (const char *)j->p;
    int sc = strata_doc__num_scan(s, (size_t)(j->end - j->p), 1, &used);
    if (sc) {
        const char *what = sc == -1 ? "expected a digit in number" :
                           sc == -2 ? "leading zeros are not allowed in numbers" :
                           sc == -3 ? "expected a digit after '.' in number" :
                                      "expected a digit in number exponent";
        return jfail(j, what, NULL);
    }
    strata_num n;
    int rc = strata_doc__num_from_text(&n, s, used);
    if (rc) return w_err(j, rc, (size_t)(j->p - j->start));
    strata_buf *out = j->w.out;
    if ((rc = strata_buf__reserve(out, 1 + STRATA_NUM_ENC_MAX))) return rc;
    out->data[out->len++] = TAG_NUMBER;
    out->len += strata_num__encode(&n, out->data + out->len);
    j->p += used;
    return 0;
}

static int literal(jparser *j, const char *word, size_t n, uint8_t tag)
{
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return jfail(j, "invalid literal (expected true, false or null)", NULL);
    int rc = strata_buf__putc(j->w.out, tag);
    if (rc) return rc;
    j->p += n;
    return 0;
}

static int parse_value(jparser *j)
{
    skip_ws(j);
    if (j->p >= j->end) return jfail(j, "expected a value, got end of input", NULL);
    size_t at = (size_t)(j->p - j->start);
    int rc;
    uint8_t c = *j->p;
    if (c == '{') return parse_object(j);
    if (c == '[') return parse_array(j);
    if ((rc = strata_doc__w_prep(&j->w, at))) return w_err(j, rc, at);
    switch (c) {
    case '"': {
        if ((rc = strata_buf__putc(j->w.out, TAG_STRING))) return rc;
        rc = parse_string(j, j->w.out);
        break;
    }
    case 't': rc = literal(j, "true", 4, TAG_TRUE); break;
    case 'f': rc = literal(j, "false", 5, TAG_FALSE); break;
    case 'n': rc = literal(j, "null", 4, TAG_NULL); break;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            rc = parse_number(j);
        } else {
            char b[24];
            rc = jfail(j, "expected a value, got %s", describe(j, b));
        }
    }
    if (rc) return rc;
    strata_doc__w_after(&j->w);
    return 0;
}

int strata_doc__from_json_depth(strata_buf *out, const char *json, size_t len, int max_depth)
{
    if (!out || (!json && len)) return strata_err__set(STRATA_EINVALID, "from_json: NULL argument");
    jparser j;
    memset(&j, 0, sizeof j);
    j.start = j.p = (const uint8_t *)json;
    j.end = j.start + len;
    size_t save = out->len;
    strata_doc__w_init(&j.w, out);
    j.w.max_depth = max_depth;
    int rc = parse_value(&j);
    if (!rc) {
        skip_ws(&j);
        if (j.p < j.end) {
            char b[24];
            rc = jfail(&j, "expected end of input after the value, got %s", describe(&j, b));
        }
    }
    strata_doc__w_release(&j.w);
    if (rc) out->len = save;
    return rc;
}

int strata_doc__from_json(strata_buf *out, const char *json, size_t len)
{
    return strata_doc__from_json_depth(out, json, len, STRATA_DOC_MAX_DEPTH);
}

/* ---- printer ---------------------------------------------------------------------------------- */

static int put_indent(strata_buf *out, int pretty, int level)
{
    if (!pretty) return 0;
    int rc = strata_buf__reserve(out, 1 + 2 * (size_t)level);
    if (rc) return rc;
    out->data[out->len++] = '\n';
    memset(out->data + out->len, ' ', 2 * (size_t)level);
    out->len += 2 * (size_t)level;
    return 0;
}

int strata_doc__json_string(strata_buf *out, const uint8_t *s, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    int rc = strata_buf__reserve(out, n + 2);
    if (rc) return rc;
    out->data[out->len++] = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] != '"' && s[run] != '\\') run++;
        if (run > i) {
            if ((rc = strata_buf__append(out, s + i, run - i))) return rc;
            i = run;
            if (i >= n) break;
        }
        uint8_t c = s[i++];
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hexd[c >> 4]; esc[5] = hexd[c & 15];
            el = 6;
        }
        if ((rc = strata_buf__append(out, esc, el))) return rc;
    }
    return strata_buf__putc(out, '"');
}

static int json_b64(strata_buf *out, const uint8_t *p, size_t n)
{
    int rc = strata_buf__putc(out, '"');
    if (!rc) rc = strata_doc__b64_encode(out, p, n);
    if (!rc) rc = strata_buf__putc(out, '"');
    return rc;
}

static int print_value(strata_buf *out, strata_slice v, int pretty, int level)
{
    int t = strata_doc__type(v);
    if (t < 0) return t;
    const uint8_t *p = v.data;
    int rc;
    switch (t) {
    case STRATA_DOC_NULL: return strata_buf__append(out, "null", 4);
    case STRATA_DOC_BOOL:
        return p[0] == TAG_TRUE ? strata_buf__append(out, "true", 4) : strata_buf__append(out, "false", 5);
    case STRATA_DOC_NUMBER: {
        strata_num n;
        if ((rc = strata_doc__get_number(v, &n))) return rc;
        if ((rc = strata_buf__reserve(out, STRATA_NUM_TEXT_MAX))) return rc;
        out->len += strata_num__format(&n, (char *)out->data + out->len);
        return 0;
    }
    case STRATA_DOC_STRING: case STRATA_DOC_BINARY: {
        strata_slice s;
        if ((rc = t == STRATA_DOC_STRING ? strata_doc__get_string(v, &s) : strata_doc__get_binary(v, &s)))
            return rc;
        return t == STRATA_DOC_STRING ? strata_doc__json_string(out, s.data, s.len) : json_b64(out, s.data, s.len);
    }
    default:
        break;
    }
    if (level >= STRATA_DOC_MAX_DEPTH) return strata_err__set(STRATA_ECORRUPT, "value nested deeper than 64 levels");
    strata_doc_iter it;
    if ((rc = strata_doc__iter_init(&it, v))) return rc;
    int map = t == STRATA_DOC_MAP;
    if ((rc = strata_buf__putc(out, map ? '{' : '['))) return rc;
    strata_slice k, m;
    size_t i = 0;
    while ((rc = strata_doc__iter_next(&it, &k, &m)) == 0) {
        if (i++ && (rc = strata_buf__putc(out, ','))) return rc;
        if ((rc = put_indent(out, pretty, level + 1))) return rc;
        if (map) {
            if ((rc = strata_doc__json_string(out, k.data, k.len))) return rc;
            if ((rc = pretty ? strata_buf__append(out, ": ", 2) : strata_buf__putc(out, ':'))) return rc;
        }
        if ((rc = print_value(out, m, pretty, level + 1))) return rc;
    }
    if (rc != STRATA_ITEROVER) return rc;
    if (i && (rc = put_indent(out, pretty, level))) return rc;
    return strata_buf__putc(out, map ? '}' : ']');
}

int strata_doc__to_json(strata_buf *out, strata_slice v, int flags)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "to_json: NULL buffer");
    size_t save = out->len;
    int rc = print_value(out, v, flags & STRATA_DOC_JSON_PRETTY, 0);
    if (rc) out->len = save;
    return rc;
}
