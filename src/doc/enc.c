/* The canonical value encoding: the writer that builds it (shared by the builder API and the
 * JSON/DynamoDB-JSON parsers), the bounds-checked zero-copy reader and iterator, the full
 * validator for untrusted bytes, and DynamoDB-style comparison.
 *
 * How the writer stays one-pass: members of an open container are appended to the output as
 * they arrive, and their start offsets are pushed on a member stack. When the container closes
 * its size D and member count n are known, so its members are sorted if needed (maps by key
 * bytes, sets by natural order) and the header (tag, D, n, offset table) is inserted in front of
 * them with one memmove. A container's bytes move once per enclosing level, which keeps the cost
 * at O(size x depth) with small constants and needs no tree of nodes in memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "doc/doc_int.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/utf8.h"

/* ---- names and small helpers ------------------------------------------------------------- */

const char *strata_doc__type_name(int tag)
{
    switch (tag) {
    case TAG_NULL: return "null";
    case TAG_FALSE: case TAG_TRUE: return "bool";
    case TAG_NUMBER: return "number";
    case TAG_STRING: return "string";
    case TAG_BINARY: return "binary";
    case TAG_LIST: return "list";
    case TAG_MAP: return "map";
    case TAG_SSET: return "string set";
    case TAG_NSET: return "number set";
    case TAG_BSET: return "binary set";
    default: return "unknown type";
    }
}

/* Compare byte strings: memcmp order, a proper prefix first. */
static int bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* ---- reader ------------------------------------------------------------------------------- */

int strata_doc__cont_parse(doc_cont *c, const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len, *q = p + 1;
    uint64_t d, n;
    size_t k;
    if (len < 1 || !doc_is_container(p[0]))
        return strata_err__set(STRATA_ECORRUPT, "encoded value is not a container");
    if (!(k = strata_varint__decode(q, end, &d)))
        return strata_err__set(STRATA_ECORRUPT, "container size is truncated or malformed");
    q += k;
    if (!(k = strata_varint__decode(q, end, &n)))
        return strata_err__set(STRATA_ECORRUPT, "container count is truncated or malformed");
    q += k;
    if (d > DOC_MAX_SIZE || n > d || (n == 0 && d != 0))
        return strata_err__set(STRATA_ECORRUPT, "container size %llu and count %llu disagree",
                               (unsigned long long)d, (unsigned long long)n);
    uint8_t w = doc_offset_width((size_t)d);
    size_t tab = n ? (size_t)(n - 1) * w : 0;
    size_t avail = (size_t)(end - q);
    if (tab > avail || (size_t)d > avail - tab)
        return strata_err__set(STRATA_ECORRUPT, "container of %llu bytes is truncated",
                               (unsigned long long)d);
    c->tag = p[0];
    c->n = (size_t)n;
    c->size = (size_t)d;
    c->w = w;
    c->table = q;
    c->data = q + tab;
    c->total = (size_t)(c->data + d - p);
    return 0;
}

int strata_doc__cont_member(const doc_cont *c, size_t i, size_t *start, size_t *end)
{
    size_t s = i ? doc_rd_off(c->table + (i - 1) * c->w, c->w) : 0;
    size_t e = i + 1 < c->n ? doc_rd_off(c->table + i * c->w, c->w) : c->size;
    if (s >= e || e > c->size)
        return strata_err__set(STRATA_ECORRUPT, "container member %zu has bad offsets", i);
    *start = s;
    *end = e;
    return 0;
}

int strata_doc__map_split(const uint8_t *p, size_t len, strata_slice *key, strata_slice *val)
{
    uint64_t kl;
    size_t k = strata_varint__decode(p, p + len, &kl);
    if (!k || kl >= len - k)
        return strata_err__set(STRATA_ECORRUPT, "map member key is truncated");
    if (key) { key->data = p + k; key->len = (size_t)kl; }
    if (val) { val->data = p + k + kl; val->len = len - k - (size_t)kl; }
    return 0;
}

int strata_doc__value_size(const void *data, size_t len, size_t *out)
{
    const uint8_t *p = data;
    if (!p || len < 1) return strata_err__set(STRATA_ECORRUPT, "encoded value is empty");
    switch (p[0]) {
    case TAG_NULL: case TAG_FALSE: case TAG_TRUE:
        *out = 1;
        return 0;
    case TAG_NUMBER: {
        strata_num n;
        size_t used;
        int rc = strata_num__decode(&n, p + 1, len - 1, &used);
        if (rc) return rc;
        *out = 1 + used;
        return 0;
    }
    case TAG_STRING: case TAG_BINARY: {
        uint64_t l;
        size_t k = strata_varint__decode(p + 1, p + len, &l);
        if (!k || l > len - 1 - k)
            return strata_err__set(STRATA_ECORRUPT, "%s is truncated", strata_doc__type_name(p[0]));
        *out = 1 + k + (size_t)l;
        return 0;
    }
    default:
        if (doc_is_container(p[0])) {
            doc_cont c;
            int rc = strata_doc__cont_parse(&c, p, len);
            if (rc) return rc;
            *out = c.total;
            return 0;
        }
        return strata_err__set(STRATA_ECORRUPT, "unknown value tag 0x%02x", p[0]);
    }
}

int strata_doc__type(strata_slice v)
{
    const uint8_t *p = v.data;
    if (!p || v.len < 1) return strata_err__set(STRATA_ECORRUPT, "encoded value is empty");
    if (p[0] == TAG_TRUE) return STRATA_DOC_BOOL;
    if (p[0] > TAG_BSET) return strata_err__set(STRATA_ECORRUPT, "unknown value tag 0x%02x", p[0]);
    return p[0];
}

static int want(strata_slice v, int type)
{
    int t = strata_doc__type(v);
    if (t < 0) return t;
    if (t != type)
        return strata_err__set(STRATA_EINVALID, "expected a %s, got a %s",
                               strata_doc__type_name(type), strata_doc__type_name(t));
    return 0;
}

int strata_doc__get_bool(strata_slice v, int *out)
{
    int rc = want(v, STRATA_DOC_BOOL);
    if (rc) return rc;
    *out = ((const uint8_t *)v.data)[0] == TAG_TRUE;
    return 0;
}

int strata_doc__get_number(strata_slice v, strata_num *out)
{
    int rc = want(v, STRATA_DOC_NUMBER);
    if (rc) return rc;
    size_t used;
    return strata_num__decode(out, (const uint8_t *)v.data + 1, v.len - 1, &used);
}

static int get_bytes(strata_slice v, int type, strata_slice *out)
{
    int rc = want(v, type);
    if (rc) return rc;
    const uint8_t *p = v.data;
    uint64_t l;
    size_t k = strata_varint__decode(p + 1, p + v.len, &l);
    if (!k || l > v.len - 1 - k)
        return strata_err__set(STRATA_ECORRUPT, "%s is truncated", strata_doc__type_name(type));
    out->data = p + 1 + k;
    out->len = (size_t)l;
    return 0;
}

int strata_doc__get_string(strata_slice v, strata_slice *out) { return get_bytes(v, TAG_STRING, out); }
int strata_doc__get_binary(strata_slice v, strata_slice *out) { return get_bytes(v, TAG_BINARY, out); }

static int open_cont(strata_slice v, doc_cont *c)
{
    int t = strata_doc__type(v);
    if (t < 0) return t;
    if (!doc_is_container((uint8_t)t))
        return strata_err__set(STRATA_EINVALID, "expected a list, map or set, got a %s",
                               strata_doc__type_name(t));
    return strata_doc__cont_parse(c, v.data, v.len);
}

int strata_doc__count(strata_slice v, size_t *out)
{
    doc_cont c;
    int rc = open_cont(v, &c);
    if (rc) return rc;
    *out = c.n;
    return 0;
}

int strata_doc__index(strata_slice v, size_t i, strata_slice *out)
{
    doc_cont c;
    int rc = open_cont(v, &c);
    if (rc) return rc;
    if (c.tag == TAG_MAP) return strata_err__set(STRATA_EINVALID, "expected a list or set, got a map");
    if (i >= c.n) return STRATA_ENOTFOUND;
    size_t s, e;
    if ((rc = strata_doc__cont_member(&c, i, &s, &e))) return rc;
    out->data = c.data + s;
    out->len = e - s;
    return 0;
}

int strata_doc__map_entry(strata_slice map, size_t i, strata_slice *key, strata_slice *val)
{
    doc_cont c;
    int rc = open_cont(map, &c);
    if (rc) return rc;
    if (c.tag != TAG_MAP)
        return strata_err__set(STRATA_EINVALID, "expected a map, got a %s", strata_doc__type_name(c.tag));
    if (i >= c.n) return STRATA_ENOTFOUND;
    size_t s, e;
    if ((rc = strata_doc__cont_member(&c, i, &s, &e))) return rc;
    return strata_doc__map_split(c.data + s, e - s, key, val);
}

int strata_doc__map_get(strata_slice map, const void *key, size_t klen, strata_slice *out)
{
    doc_cont c;
    int rc = open_cont(map, &c);
    if (rc) return rc;
    if (c.tag != TAG_MAP)
        return strata_err__set(STRATA_EINVALID, "expected a map, got a %s", strata_doc__type_name(c.tag));
    size_t lo = 0, hi = c.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, s, e;
        strata_slice k, v;
        if ((rc = strata_doc__cont_member(&c, mid, &s, &e))) return rc;
        if ((rc = strata_doc__map_split(c.data + s, e - s, &k, &v))) return rc;
        int cmp = bytes_cmp(k.data, k.len, key, klen);
        if (cmp == 0) {
            if (out) *out = v;
            return 0;
        }
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    return STRATA_ENOTFOUND;
}

/* Natural order of two set members of the same type (valid encodings). */
static int member_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (a[0] == TAG_NUMBER) return bytes_cmp(a + 1, alen - 1, b + 1, blen - 1);
    uint64_t la, lb;
    size_t ka = strata_varint__decode(a + 1, a + alen, &la);
    size_t kb = strata_varint__decode(b + 1, b + blen, &lb);
    if (!ka || !kb) return bytes_cmp(a, alen, b, blen);
    return bytes_cmp(a + 1 + ka, alen - 1 - ka, b + 1 + kb, blen - 1 - kb);
}

int strata_doc__set_has(strata_slice set, strata_slice member)
{
    doc_cont c;
    int rc = open_cont(set, &c);
    if (rc) return rc;
    if (!doc_is_set(c.tag))
        return strata_err__set(STRATA_EINVALID, "expected a set, got a %s", strata_doc__type_name(c.tag));
    const uint8_t *m = member.data;
    if (!m || member.len < 1 || m[0] != doc_set_member_tag(c.tag)) return 0;
    size_t lo = 0, hi = c.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, s, e;
        if ((rc = strata_doc__cont_member(&c, mid, &s, &e))) return rc;
        int cmp = member_cmp(c.data + s, e - s, m, member.len);
        if (cmp == 0) return 1;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int strata_doc__iter_init(strata_doc_iter *it, strata_slice container)
{
    doc_cont c;
    int rc = open_cont(container, &c);
    if (rc) return rc;
    it->data = c.data;
    it->table = c.table;
    it->size = c.size;
    it->count = c.n;
    it->next = 0;
    it->width = c.w;
    it->type = c.tag;
    return 0;
}

int strata_doc__iter_next(strata_doc_iter *it, strata_slice *key, strata_slice *val)
{
    if (it->next >= it->count) return STRATA_ITEROVER;
    doc_cont c = {.tag = it->type, .n = it->count, .size = it->size, .w = it->width,
                  .table = it->table, .data = it->data, .total = 0};
    size_t s, e;
    int rc = strata_doc__cont_member(&c, it->next, &s, &e);
    if (rc) return rc;
    it->next++;
    if (it->type == TAG_MAP) return strata_doc__map_split(it->data + s, e - s, key, val);
    if (key) { key->data = NULL; key->len = 0; }
    if (val) { val->data = it->data + s; val->len = e - s; }
    return 0;
}

/* ---- validation ------------------------------------------------------------------------------ */

typedef struct vctx {
    const uint8_t *base;
} vctx;

static int vfail(const vctx *x, const uint8_t *at, const char *what)
{
    char copy[200]; /* `what` may be the last error's own message */
    snprintf(copy, sizeof copy, "%s", what);
    return strata_err__set(STRATA_ECORRUPT, "invalid encoded value at offset %zu: %s",
                           (size_t)(at - x->base), copy);
}

/* Validate exactly one value filling [p, p+len). */
static int validate_value(const vctx *x, const uint8_t *p, size_t len, int depth)
{
    if (len < 1) return vfail(x, p, "empty value");
    uint8_t tag = p[0];
    switch (tag) {
    case TAG_NULL: case TAG_FALSE: case TAG_TRUE:
        return len == 1 ? 0 : vfail(x, p + 1, "bytes after a scalar");
    case TAG_NUMBER: {
        strata_num n;
        size_t used;
        if (strata_num__decode(&n, p + 1, len - 1, &used)) return vfail(x, p, strata_error_last()->message);
        return used == len - 1 ? 0 : vfail(x, p + 1 + used, "bytes after a number");
    }
    case TAG_STRING: case TAG_BINARY: {
        uint64_t l;
        size_t k = strata_varint__decode(p + 1, p + len, &l);
        if (!k) return vfail(x, p + 1, "bad length varint");
        if (l != len - 1 - k) return vfail(x, p + 1, "length does not match the value's extent");
        if (tag == TAG_STRING && !strata_utf8__valid(p + 1 + k, (size_t)l))
            return vfail(x, p + 1 + k, "string is not valid UTF-8");
        return 0;
    }
    default:
        break;
    }
    if (!doc_is_container(tag)) return vfail(x, p, "unknown value tag");
    if (depth >= STRATA_DOC_MAX_DEPTH) return vfail(x, p, "nesting deeper than 64 levels");
    doc_cont c;
    if (strata_doc__cont_parse(&c, p, len)) return vfail(x, p, strata_error_last()->message);
    if (c.total != len) return vfail(x, p, "container size does not match the value's extent");
    if (doc_is_set(tag) && c.n == 0) return vfail(x, p, "empty set");
    uint8_t mtag = doc_set_member_tag(tag);
    size_t prev_s = 0, prev_e = 0;
    for (size_t i = 0; i < c.n; i++) {
        size_t s, e;
        if (strata_doc__cont_member(&c, i, &s, &e)) return vfail(x, c.data, "member offsets out of order");
        const uint8_t *m = c.data + s;
        int rc;
        if (tag == TAG_MAP) {
            strata_slice k, v;
            if (strata_doc__map_split(m, e - s, &k, &v)) return vfail(x, m, "map member key is truncated");
            if (!strata_utf8__valid(k.data, k.len)) return vfail(x, m, "map key is not valid UTF-8");
            if (i > 0) {
                strata_slice pk;
                strata_doc__map_split(c.data + prev_s, prev_e - prev_s, &pk, NULL);
                if (bytes_cmp(pk.data, pk.len, k.data, k.len) >= 0)
                    return vfail(x, m, "map keys not strictly ascending (unsorted or duplicate)");
            }
            rc = validate_value(x, v.data, v.len, depth + 1);
        } else {
            if (mtag && m[0] != mtag) return vfail(x, m, "set member of the wrong type");
            rc = validate_value(x, m, e - s, depth + 1);
            if (!rc && mtag && i > 0 && member_cmp(c.data + prev_s, prev_e - prev_s, m, e - s) >= 0)
                return vfail(x, m, "set members not strictly ascending (unsorted or duplicate)");
        }
        if (rc) return rc;
        prev_s = s;
        prev_e = e;
    }
    return 0;
}

int strata_doc__depth(const void *data, size_t len)
{
    const uint8_t *p = data;
    doc_cont c;
    if (len < 1 || !doc_is_container(p[0]) || strata_doc__cont_parse(&c, p, len)) return 0;
    int best = 0;
    for (size_t i = 0; i < c.n; i++) {
        size_t s, e;
        strata_slice v = {c.data, 0};
        if (strata_doc__cont_member(&c, i, &s, &e)) return best + 1;
        v.data = c.data + s;
        v.len = e - s;
        if (c.tag == TAG_MAP && strata_doc__map_split(c.data + s, e - s, NULL, &v)) return best + 1;
        int d = strata_doc__depth(v.data, v.len);
        if (d > best) best = d;
    }
    return best + 1;
}

int strata_doc__validate(const void *data, size_t len)
{
    if (!data && len) return strata_err__set(STRATA_ECORRUPT, "encoded value is NULL");
    vctx x = {data};
    return validate_value(&x, data, len, 0);
}

/* ---- comparison --------------------------------------------------------------------------- */

int strata_doc__equal(strata_slice a, strata_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

int strata_doc__compare(strata_slice a, strata_slice b)
{
    int ta = strata_doc__type(a), tb = strata_doc__type(b);
    if (ta < 0) return ta;
    if (tb < 0) return tb;
    if (ta != tb) return STRATA_DOC_INCOMPARABLE;
    int rc;
    switch (ta) {
    case STRATA_DOC_NUMBER: {
        strata_num x, y;
        if ((rc = strata_doc__get_number(a, &x)) || (rc = strata_doc__get_number(b, &y))) return rc;
        return strata_num__cmp(&x, &y);
    }
    case STRATA_DOC_STRING: case STRATA_DOC_BINARY: {
        strata_slice x, y;
        if ((rc = get_bytes(a, ta, &x)) || (rc = get_bytes(b, ta, &y))) return rc;
        return bytes_cmp(x.data, x.len, y.data, y.len);
    }
    default:
        return strata_doc__equal(a, b) ? 0 : STRATA_DOC_INCOMPARABLE;
    }
}

/* ---- the writer ------------------------------------------------------------------------------ */

void strata_doc__w_init(strata_doc_builder *w, strata_buf *out)
{
    w->out = out;
    w->base = out->len;
    w->depth = 0;
    w->max_depth = STRATA_DOC_MAX_DEPTH;
    strata_array__clear(&w->mem);
    w->have_key = 0;
    w->done = 0;
    w->poisoned = 0;
    w->err_src = 0;
}

void strata_doc__w_release(strata_doc_builder *w)
{
    strata_array__free(&w->mem);
    strata_array__free(&w->items);
    strata_array__free(&w->tmp);
}

static int push_member(strata_doc_builder *w, size_t start, size_t src)
{
    doc_member *m = strata_array__add(&w->mem);
    if (!m) return STRATA_ENOMEM;
    m->start = start;
    m->src = src;
    return 0;
}

int strata_doc__w_prep(strata_doc_builder *w, size_t src)
{
    if (w->depth == 0) {
        if (w->done) return strata_err__set(STRATA_EINVALID, "builder: a complete value was already written");
        return 0;
    }
    doc_frame *f = &w->frames[w->depth - 1];
    if (f->tag == TAG_MAP) {
        if (!w->have_key) return strata_err__set(STRATA_EINVALID, "builder: a map member needs a key first");
        return 0;
    }
    return push_member(w, w->out->len, src);
}

int strata_doc__w_key_prep(strata_doc_builder *w, size_t src)
{
    if (w->depth == 0 || w->frames[w->depth - 1].tag != TAG_MAP)
        return strata_err__set(STRATA_EINVALID, "builder: a key outside a map");
    if (w->have_key) return strata_err__set(STRATA_EINVALID, "builder: two keys without a value");
    return push_member(w, w->out->len, src);
}

static void key_at(const uint8_t *p, const uint8_t *end, const uint8_t **k, size_t *klen)
{
    uint64_t l = 0;
    size_t n = strata_varint__decode(p, end, &l);
    *k = p + n;
    *klen = (size_t)l;
}

int strata_doc__w_key_done(strata_doc_builder *w)
{
    doc_frame *f = &w->frames[w->depth - 1];
    w->have_key = 1;
    size_t i = w->mem.n - 1;
    if (i > f->mem_base && f->sorted) {
        const uint8_t *d = w->out->data, *end = d + w->out->len, *k1, *k2;
        size_t l1, l2;
        key_at(d + w->mem.v[i - 1].start, end, &k1, &l1);
        key_at(d + w->mem.v[i].start, end, &k2, &l2);
        int c = bytes_cmp(k1, l1, k2, l2);
        if (c == 0) {
            w->err_src = w->mem.v[i].src;
            return strata_err__set(STRATA_EINVALID, "duplicate key \"%.*s\"", (int)(l2 > 60 ? 60 : l2), k2);
        }
        if (c > 0) f->sorted = 0;
    }
    return 0;
}

int strata_doc__w_begin(strata_doc_builder *w, uint8_t tag, size_t src)
{
    if (w->depth >= w->max_depth)
        return strata_err__set(STRATA_ELIMIT, "nesting deeper than %d levels", w->max_depth);
    int rc = strata_doc__w_prep(w, src);
    if (rc) return rc;
    doc_frame *f = &w->frames[w->depth++];
    f->tag = tag;
    f->sorted = 1;
    f->start = w->out->len;
    f->mem_base = w->mem.n;
    w->have_key = 0;
    return 0;
}

static int sort_cmp(const void *x, const void *y)
{
    const doc_sortitem *a = x, *b = y;
    return bytes_cmp(a->k, a->klen, b->k, b->klen);
}

static int reserve_items(strata_doc_builder *w, size_t n)
{
    return strata_array__reserve(&w->items, n); /* items.n stays 0: only the room is used */
}

/* Fill w->items for the members of frame f (data at d), with their comparison bytes. */
static int collect(strata_doc_builder *w, const doc_frame *f, size_t n, size_t *bad)
{
    int rc = reserve_items(w, n);
    if (rc) return rc;
    const uint8_t *d = w->out->data, *end = d + w->out->len;
    uint8_t mtag = doc_set_member_tag(f->tag);
    for (size_t i = 0; i < n; i++) {
        doc_sortitem *it = &w->items.v[i];
        it->start = w->mem.v[f->mem_base + i].start;
        it->end = i + 1 < n ? w->mem.v[f->mem_base + i + 1].start : w->out->len;
        it->src = w->mem.v[f->mem_base + i].src;
        const uint8_t *m = d + it->start;
        if (f->tag == TAG_MAP) {
            key_at(m, end, &it->k, &it->klen);
        } else if (mtag) {
            if (m[0] != mtag) {
                *bad = i;
                return 1;
            }
            if (mtag == TAG_NUMBER) {
                it->k = m + 1;
                it->klen = it->end - it->start - 1;
            } else {
                key_at(m + 1, end, &it->k, &it->klen);
            }
        }
    }
    return 0;
}

int strata_doc__w_end(strata_doc_builder *w)
{
    if (w->depth == 0) return strata_err__set(STRATA_EINVALID, "builder: end without an open container");
    doc_frame *f = &w->frames[w->depth - 1];
    if (f->tag == TAG_MAP && w->have_key)
        return strata_err__set(STRATA_EINVALID, "builder: map ended after a key without a value");
    size_t n = w->mem.n - f->mem_base;
    size_t dsize = w->out->len - f->start;
    if (dsize > DOC_MAX_SIZE) return strata_err__set(STRATA_ELIMIT, "value larger than 4 GiB");
    int rc;
    if (doc_is_set(f->tag)) {
        if (n == 0) {
            w->err_src = 0;
            return strata_err__set(STRATA_EINVALID, "%s is empty", strata_doc__type_name(f->tag));
        }
        size_t bad = 0;
        rc = collect(w, f, n, &bad);
        if (rc < 0) return rc;
        if (rc > 0) {
            w->err_src = w->items.v[bad].src;
            return strata_err__set(STRATA_EINVALID, "%s member is a %s", strata_doc__type_name(f->tag),
                                   strata_doc__type_name(w->out->data[w->items.v[bad].start]));
        }
        for (size_t i = 1; i < n && f->sorted; i++)
            if (sort_cmp(&w->items.v[i - 1], &w->items.v[i]) >= 0) f->sorted = 0;
    } else if (f->tag == TAG_MAP && !f->sorted) {
        size_t bad;
        if ((rc = collect(w, f, n, &bad))) return rc;
    }
    if (!f->sorted) {
        qsort(w->items.v, n, sizeof *w->items.v, sort_cmp);
        for (size_t i = 1; i < n; i++) {
            if (sort_cmp(&w->items.v[i - 1], &w->items.v[i]) == 0) {
                doc_sortitem *dup = w->items.v[i].src > w->items.v[i - 1].src ? &w->items.v[i] : &w->items.v[i - 1];
                w->err_src = dup->src;
                if (f->tag == TAG_MAP)
                    return strata_err__set(STRATA_EINVALID, "duplicate key \"%.*s\"",
                                           (int)(dup->klen > 60 ? 60 : dup->klen), dup->k);
                return strata_err__set(STRATA_EINVALID, "duplicate member in %s", strata_doc__type_name(f->tag));
            }
        }
        if ((rc = strata_array__reserve(&w->tmp, dsize)) != 0) return rc;
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            size_t l = w->items.v[i].end - w->items.v[i].start;
            memcpy(w->tmp.v + o, w->out->data + w->items.v[i].start, l);
            w->mem.v[f->mem_base + i].start = f->start + o; /* new position */
            o += l;
        }
        memcpy(w->out->data + f->start, w->tmp.v, dsize);
    }
    /* header: tag, varint D, varint n, (n-1) end offsets */
    uint8_t wd = doc_offset_width(dsize);
    size_t tab = n ? (n - 1) * wd : 0;
    size_t hsize = 1 + strata_varint__size(dsize) + strata_varint__size(n) + tab;
    if ((rc = strata_buf__reserve(w->out, hsize))) return rc;
    uint8_t *base = w->out->data + f->start;
    memmove(base + hsize, base, dsize);
    uint8_t *h = base;
    *h++ = f->tag;
    h += strata_varint__encode(h, dsize);
    h += strata_varint__encode(h, n);
    for (size_t i = 1; i < n; i++) {
        size_t end_off = w->mem.v[f->mem_base + i].start - f->start;
        if (wd == 1) *h++ = (uint8_t)end_off;
        else if (wd == 2) { h[0] = (uint8_t)end_off; h[1] = (uint8_t)(end_off >> 8); h += 2; }
        else { strata_put_le32(h, (uint32_t)end_off); h += 4; }
    }
    w->out->len += hsize;
    w->mem.n = f->mem_base;
    w->depth--;
    strata_doc__w_after(w);
    return 0;
}

/* ---- the builder API ------------------------------------------------------------------------- */

int strata_doc__builder_new(strata_doc_builder **out)
{
    strata_doc_builder *b = strata_mem__calloc(1, sizeof *b);
    if (!b) return STRATA_ENOMEM;
    strata_doc__w_init(b, &b->own);
    *out = b;
    return 0;
}

void strata_doc__builder_free(strata_doc_builder *b)
{
    if (!b) return;
    strata_doc__w_release(b);
    strata_buf__free(&b->own);
    strata_mem__free(b);
}

void strata_doc__builder_reset(strata_doc_builder *b)
{
    b->out->len = b->base;
    strata_doc__w_init(b, b->out);
}

static int poison(strata_doc_builder *b, int rc)
{
    if (rc) b->poisoned = 1;
    return rc;
}

#define BEGIN_OP(b)                                                                            \
    do {                                                                                       \
        if (!(b)) return strata_err__set(STRATA_EINVALID, "builder is NULL");                  \
        if ((b)->poisoned)                                                                     \
            return strata_err__set(STRATA_EINVALID, "builder failed earlier; reset it first"); \
    } while (0)

int strata_doc__b_key(strata_doc_builder *b, const void *key, size_t len)
{
    BEGIN_OP(b);
    if (!key && len) return poison(b, strata_err__set(STRATA_EINVALID, "map key is NULL"));
    if (!strata_utf8__valid(key, len))
        return poison(b, strata_err__set(STRATA_EINVALID, "map key is not valid UTF-8"));
    int rc = strata_doc__w_key_prep(b, 0);
    if (!rc) rc = strata_buf__put_varint(b->out, len);
    if (!rc) rc = strata_buf__append(b->out, key, len);
    if (!rc) rc = strata_doc__w_key_done(b);
    return poison(b, rc);
}

static int b_scalar(strata_doc_builder *b, uint8_t tag, const void *p, size_t len, int with_len)
{
    int rc = strata_doc__w_prep(b, 0);
    if (!rc) rc = strata_buf__putc(b->out, tag);
    if (!rc && with_len) rc = strata_buf__put_varint(b->out, len);
    if (!rc) rc = strata_buf__append(b->out, p, len);
    if (!rc) strata_doc__w_after(b);
    return poison(b, rc);
}

int strata_doc__b_null(strata_doc_builder *b)
{
    BEGIN_OP(b);
    return b_scalar(b, TAG_NULL, NULL, 0, 0);
}

int strata_doc__b_bool(strata_doc_builder *b, int v)
{
    BEGIN_OP(b);
    return b_scalar(b, v ? TAG_TRUE : TAG_FALSE, NULL, 0, 0);
}

int strata_doc__b_number(strata_doc_builder *b, const strata_num *n)
{
    BEGIN_OP(b);
    uint8_t enc[STRATA_NUM_ENC_MAX];
    if (!n) return poison(b, strata_err__set(STRATA_EINVALID, "number is NULL"));
    return b_scalar(b, TAG_NUMBER, enc, strata_num__encode(n, enc), 0);
}

int strata_doc__b_number_text(strata_doc_builder *b, const char *text, size_t len)
{
    BEGIN_OP(b);
    strata_num n;
    int rc = strata_num__parse(&n, text, len);
    if (rc) return poison(b, rc);
    return strata_doc__b_number(b, &n);
}

int strata_doc__b_string(strata_doc_builder *b, const void *s, size_t len)
{
    BEGIN_OP(b);
    if (!s && len) return poison(b, strata_err__set(STRATA_EINVALID, "string is NULL"));
    if (!strata_utf8__valid(s, len))
        return poison(b, strata_err__set(STRATA_EINVALID, "string is not valid UTF-8"));
    return b_scalar(b, TAG_STRING, s, len, 1);
}

int strata_doc__b_binary(strata_doc_builder *b, const void *p, size_t len)
{
    BEGIN_OP(b);
    if (!p && len) return poison(b, strata_err__set(STRATA_EINVALID, "binary is NULL"));
    return b_scalar(b, TAG_BINARY, p, len, 1);
}

int strata_doc__b_value(strata_doc_builder *b, strata_slice v)
{
    BEGIN_OP(b);
    int rc = strata_doc__validate(v.data, v.len);
    if (rc) return poison(b, rc);
    /* the copied value's own nesting must fit below the current depth */
    if (b->depth + strata_doc__depth(v.data, v.len) > STRATA_DOC_MAX_DEPTH)
        return poison(b, strata_err__set(STRATA_ELIMIT, "nesting deeper than %d levels",
                                         STRATA_DOC_MAX_DEPTH));
    rc = strata_doc__w_prep(b, 0);
    if (!rc) rc = strata_buf__append(b->out, v.data, v.len);
    if (!rc) strata_doc__w_after(b);
    return poison(b, rc);
}

int strata_doc__b_begin(strata_doc_builder *b, strata_doc_type type)
{
    BEGIN_OP(b);
    if (!doc_is_container((uint8_t)type))
        return poison(b, strata_err__set(STRATA_EINVALID, "builder: %s is not a container type",
                                         strata_doc__type_name(type)));
    return poison(b, strata_doc__w_begin(b, (uint8_t)type, 0));
}

int strata_doc__b_end(strata_doc_builder *b)
{
    BEGIN_OP(b);
    return poison(b, strata_doc__w_end(b));
}

int strata_doc__builder_finish(strata_doc_builder *b, strata_slice *out)
{
    BEGIN_OP(b);
    if (b->depth > 0 || !b->done)
        return strata_err__set(STRATA_EINVALID, "builder: value is incomplete (%d open containers)", b->depth);
    out->data = b->out->data + b->base;
    out->len = b->out->len - b->base;
    return 0;
}
