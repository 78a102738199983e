/* Prolly-tree node codec (encode items, decode and validate a node payload into offset arrays
 * for binary search) and the content-defined chunking rule that decides node boundaries. */
#include <string.h>

#include "tree/tree_int.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

/* Refuse node payloads larger than any writer can produce: a node ends at the first boundary at
 * or above CHUNK_MAX bytes of items, so it holds < CHUNK_MAX bytes plus one largest item. */
#define TNODE_MAX_BYTES (64u * 1024u)

/* ---- chunking rule ----------------------------------------------------------------------- */

uint32_t strata_tree__chunk_seed(int level)
{
    /* A different seed per level, so the boundaries of level k+1 are independent of the
     * boundary decisions that made its items at level k. Frozen: part of the format. */
    return 0x9E3779B9u * (uint32_t)(level + 1) ^ 0x7374726Bu;
}

/* Cumulative hazard of the Weibull(k = 4, lambda = 4096 bytes) size distribution in 32.32
 * fixed point: H(s) = (s / 4096)^4 * 2^32 = s^4 / 2^16, exact in 64-bit for s < 2^16. */
static inline uint64_t hazard(uint64_t s)
{
    uint64_t s2 = s * s;
    return (s2 * s2) >> 16;
}

int strata_tree__chunk_boundary(int level, size_t before, size_t sz, const void *key, size_t klen)
{
    size_t after = before + sz;
    if (after < CHUNK_MIN) return 0;
    if (after >= CHUNK_MAX) return 1;
    /* P(split inside this item | no split before) ~= H(after) - H(before): the probability
     * mass of the size distribution that this item's bytes cover. Compared with a uniform
     * 32-bit hash of the key, it is a threshold that grows with the node's size and with the
     * item's size, in integers only, so every platform picks the same boundaries. */
    uint64_t threshold = hazard(after) - hazard(before);
    if (threshold > 0xffffffffu) return 1;
    return (uint64_t)strata_hash__h32(key, klen, strata_tree__chunk_seed(level)) < threshold;
}

/* ---- encoding ---------------------------------------------------------------------------- */

size_t strata_tree__item_size(const titem *it, int level)
{
    size_t n = strata_varint__size(it->klen) + it->klen;
    if (level == 0)
        n += 1 + strata_varint__size(it->vlen) + (it->kind ? STRATA_OID_SIZE : it->vlen);
    else
        n += STRATA_OID_SIZE + strata_varint__size(it->count);
    return n;
}

int strata_tree__item_encode(strata_buf *b, const titem *it, int level)
{
    size_t need = strata_tree__item_size(it, level);
    if (strata_buf__reserve(b, need) != 0) return STRATA_ENOMEM;
    uint8_t *p = b->data + b->len;
    p += strata_varint__encode(p, it->klen);
    if (it->klen) memcpy(p, it->key, it->klen);
    p += it->klen;
    if (level == 0) {
        *p++ = it->kind;
        p += strata_varint__encode(p, it->vlen);
        size_t vl = it->kind ? STRATA_OID_SIZE : it->vlen;
        if (vl) memcpy(p, it->val, vl);
        p += vl;
    } else {
        memcpy(p, it->val, STRATA_OID_SIZE);
        p += STRATA_OID_SIZE;
        p += strata_varint__encode(p, it->count);
    }
    b->len += need;
    return 0;
}

/* ---- decoding ---------------------------------------------------------------------------- */

/* Varint with a one-byte fast path; 0 when truncated or not canonical. */
static inline size_t get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    if (p < end && *p < 0x80) {
        *v = *p;
        return 1;
    }
    return strata_varint__decode(p, end, v);
}

static int corrupt(const strata_oid *oid, size_t off, const char *what)
{
    char hex[STRATA_OID_HEXSIZE + 1];
    if (oid) strata_oid_fmt(hex, oid);
    else strcpy(hex, "(unnamed)");
    return strata_err__set(STRATA_ECORRUPT, "tree node %.16s: %s at offset %zu", hex, what, off);
}

void strata_tree__node_free(tnode *nd)
{
    if (!nd) return;
    strata_mem__free(nd->raw);
    strata_mem__free(nd);
}

int strata_tree__node_decode(tnode **out, const strata_oid *oid, uint8_t *raw, size_t len)
{
    int rc = 0;
    tnode *nd = NULL;
    *out = NULL;
    if (len < 3) { rc = corrupt(oid, 0, "truncated header"); goto done; }
    if (len > TNODE_MAX_BYTES) { rc = corrupt(oid, 0, "node larger than any writer makes"); goto done; }
    if (raw[0] != TNODE_FORMAT) {
        rc = strata_err__set(STRATA_EVERSION, "tree node format %u is not supported (expected %u)",
                             raw[0], TNODE_FORMAT);
        goto done;
    }
    uint8_t level = raw[1];
    if (level > TNODE_MAX_LEVEL) { rc = corrupt(oid, 1, "level too high"); goto done; }
    const uint8_t *p = raw + 2, *end = raw + len;
    uint64_t n64;
    size_t k = get_varint(p, end, &n64);
    if (!k) { rc = corrupt(oid, 2, "bad item count"); goto done; }
    p += k;
    size_t minitem = level ? 1 + STRATA_OID_SIZE + 1 : 3;
    if (n64 > (uint64_t)(end - p) / minitem) { rc = corrupt(oid, 2, "item count exceeds node size"); goto done; }
    if (level > 0 && n64 == 0) { rc = corrupt(oid, 2, "internal node without items"); goto done; }
    uint32_t n = (uint32_t)n64;

    /* One block: struct | cum[n+1] (internal) | kx[n] | ioff[n+1] voff vlen [n] | vkind[n] */
    size_t ncum = level ? (size_t)n + 1 : 0;
    size_t bytes = sizeof(tnode) + ncum * 8 + ((size_t)n + 1) * 4 + (size_t)n * 16 + (level ? 0 : n);
    nd = strata_mem__alloc(bytes);
    if (!nd) { rc = STRATA_ENOMEM; goto done; }
    memset(nd, 0, sizeof *nd);
    uint8_t *m = (uint8_t *)(nd + 1);
    nd->cum = level ? (uint64_t *)(void *)m : NULL;
    m += ncum * 8;
    nd->kx = (tkref *)(void *)m; m += (size_t)n * sizeof(tkref);
    nd->ioff = (uint32_t *)(void *)m; m += ((size_t)n + 1) * 4;
    nd->voff = (uint32_t *)(void *)m; m += (size_t)n * 4;
    nd->vlen = (uint32_t *)(void *)m; m += (size_t)n * 4;
    nd->vkind = level ? NULL : m;
    nd->refs = 1;
    nd->charge = bytes + len;
    if (oid) nd->oid = *oid;
    nd->level = level;
    nd->n = n;
    nd->raw = raw;
    nd->rawlen = len;
    raw = NULL; /* owned by nd from here */

    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *start = p;
        nd->ioff[i] = (uint32_t)(p - nd->raw);
        uint64_t kl;
        if (!(k = get_varint(p, end, &kl))) { rc = corrupt(oid, (size_t)(p - nd->raw), "bad key length"); goto done; }
        p += k;
        if (kl > STRATA_TREE_MAX_KEY || kl > (uint64_t)(end - p)) {
            rc = corrupt(oid, (size_t)(start - nd->raw), "key length out of bounds");
            goto done;
        }
        nd->kx[i].off = (uint32_t)(p - nd->raw);
        nd->kx[i].len = (uint32_t)kl;
        if (i > 0 && tkey_cmp(nd->raw + nd->kx[i - 1].off, nd->kx[i - 1].len, p, (size_t)kl) >= 0) {
            rc = corrupt(oid, (size_t)(start - nd->raw), "keys not strictly ascending");
            goto done;
        }
        p += kl;
        if (level == 0) {
            if (p >= end) { rc = corrupt(oid, (size_t)(p - nd->raw), "truncated item"); goto done; }
            uint8_t kind = *p++;
            uint64_t vl;
            if (kind > 1) { rc = corrupt(oid, (size_t)(p - 1 - nd->raw), "unknown value kind"); goto done; }
            if (!(k = get_varint(p, end, &vl))) { rc = corrupt(oid, (size_t)(p - nd->raw), "bad value length"); goto done; }
            p += k;
            uint64_t span = kind ? STRATA_OID_SIZE : vl;
            if (kind == 0 && vl > STRATA_TREE_INLINE_MAX) { rc = corrupt(oid, (size_t)(p - nd->raw), "inline value too long"); goto done; }
            if (kind == 1 && (vl <= STRATA_TREE_INLINE_MAX || vl > STRATA_TREE_MAX_VALUE)) {
                rc = corrupt(oid, (size_t)(p - nd->raw), "blob value length out of range");
                goto done;
            }
            if (span > (uint64_t)(end - p)) { rc = corrupt(oid, (size_t)(p - nd->raw), "value out of bounds"); goto done; }
            nd->vkind[i] = kind;
            nd->voff[i] = (uint32_t)(p - nd->raw);
            nd->vlen[i] = (uint32_t)vl;
            p += span;
            total++;
        } else {
            if ((size_t)(end - p) < STRATA_OID_SIZE) { rc = corrupt(oid, (size_t)(p - nd->raw), "truncated child digest"); goto done; }
            nd->voff[i] = (uint32_t)(p - nd->raw);
            p += STRATA_OID_SIZE;
            uint64_t cnt;
            if (!(k = get_varint(p, end, &cnt)) || cnt == 0 || cnt > (UINT64_C(1) << 48)) {
                rc = corrupt(oid, (size_t)(p - nd->raw), "bad child count");
                goto done;
            }
            p += k;
            nd->cum[i] = total;
            nd->vlen[i] = (uint32_t)cnt;
            total += cnt;
        }
    }
    if (p != end) { rc = corrupt(oid, (size_t)(p - nd->raw), "trailing bytes after the last item"); goto done; }
    nd->ioff[n] = (uint32_t)len;
    if (level) nd->cum[n] = total;
    nd->total = total;
    *out = nd;
    nd = NULL;
done:
    strata_mem__free(raw);
    strata_tree__node_free(nd);
    return rc;
}

uint32_t strata_tree__node_search(const tnode *nd, const void *key, size_t klen)
{
    uint32_t lo = 0, hi = nd->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tkey_cmp(nd->raw + nd->kx[mid].off, nd->kx[mid].len, key, klen) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}
