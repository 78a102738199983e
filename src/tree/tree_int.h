/* Private to src/tree: the node format, decoded nodes, the chunking rule, the node cache and
 * root-to-level paths shared by the tree's .c files.
 *
 * Node object payload (type 'N'; docs/format.md, "Prolly tree nodes"):
 *
 *   offset  size     meaning
 *   0       1        format version (1)
 *   1       1        level: 0 = leaf, k = parent of level k-1 nodes (at most TNODE_MAX_LEVEL)
 *   2       varint   n, the number of items (0 only for the empty tree's root leaf)
 *   …       …        n items, keys strictly ascending (unsigned bytewise)
 *
 *   leaf item:      varint klen | key[klen] | u8 kind | varint vlen | kind 0: value[vlen]
 *                                                                  | kind 1: blob digest[32]
 *   internal item:  varint klen | key[klen] | child digest[32] | varint count (>= 1)
 *
 * An internal item's key is the largest key in the child's subtree; count is the number of
 * leaf items under it. A kind 0 value has vlen <= STRATA_TREE_INLINE_MAX; kind 1 (blob) has
 * vlen > STRATA_TREE_INLINE_MAX and names a 'B' object of exactly vlen bytes. Nothing may follow
 * the last item. */
#ifndef STRATA_TREE_INT_H
#define STRATA_TREE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tree/tree.h"
#include "util/buf.h"

#define TNODE_FORMAT 1
#define TNODE_MAX_LEVEL 40
#define TNODE_HEADER_MAX 12       /* 2 bytes + varint n */

/* Chunking rule (docs/tree.md): never split below CHUNK_MIN bytes of items, always at or above
 * CHUNK_MAX, otherwise split after an item when h32(key, seed(level)) < threshold, a function of
 * the node's byte size before and after the item (a Weibull hazard, k = 4, lambda = 4096). */
#define CHUNK_MIN 512u
#define CHUNK_MAX 16384u

typedef struct tkref {
    uint32_t off, len;
} tkref;

/* A decoded node: the stored payload plus offset arrays for binary search. One allocation holds
 * the struct and its arrays; raw is the store's buffer, owned. */
typedef struct tnode {
    struct tnode *hnext;             /* cache: hash-chain link */
    struct tnode *lprev, *lnext;     /* cache: LRU list links */
    int refs;                        /* pins (atomic); the cache holds one while cached */
    int cached;                      /* in a cache stripe (guarded by the stripe's mutex) */
    int referenced;                  /* CLOCK bit: read since last passed (stripe's mutex) */
    size_t charge;                   /* bytes charged to the cache */
    strata_oid oid;                  /* this node's digest */
    uint8_t level;                   /* 0 = leaf */
    uint32_t n;                      /* items */
    uint64_t total;                  /* leaf items under this node */
    uint8_t *raw;                    /* payload (owned) */
    size_t rawlen;
    uint32_t *ioff;                  /* [n+1] start of item i; ioff[n] = rawlen */
    tkref *kx;                       /* [n] offset and length of key i (adjacent: one cache
                                        line per binary-search probe) */
    uint32_t *voff;                  /* [n] leaf: value bytes or blob digest; internal: child digest */
    uint32_t *vlen;                  /* [n] leaf: value length; internal: child count (low 32) */
    uint8_t *vkind;                  /* [n] leaf: 0 inline, 1 blob; internal: unused */
    uint64_t *cum;                   /* [n+1] internal: items before child i; cum[n] = total */
} tnode;

static inline const uint8_t *tnode_key(const tnode *nd, uint32_t i) { return nd->raw + nd->kx[i].off; }
static inline const uint8_t *tnode_val(const tnode *nd, uint32_t i) { return nd->raw + nd->voff[i]; }
static inline const strata_oid *tnode_child(const tnode *nd, uint32_t i)
{
    return (const strata_oid *)(const void *)(nd->raw + nd->voff[i]);
}
static inline uint64_t tnode_count(const tnode *nd, uint32_t i)
{
    return nd->level ? nd->cum[i + 1] - nd->cum[i] : 1;
}

/* Compare two byte strings: memcmp order, shorter first on a common prefix. Inline, eight bytes
 * at a time (keys are short; a call to memcmp costs more than the comparison). */
static inline int tkey_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    const uint8_t *p = a, *q = b;
    size_t m = alen < blen ? alen : blen;
    for (; m >= 8; m -= 8, p += 8, q += 8) {
        uint64_t x, y;
        memcpy(&x, p, 8);
        memcpy(&y, q, 8);
        if (x != y) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
#endif
            return x < y ? -1 : 1;
        }
    }
    for (; m; m--, p++, q++)
        if (*p != *q) return *p < *q ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* ---- codec (node.c) ---------------------------------------------------------------------- */

/* Decode `len` bytes of payload (taking ownership of `raw`, which is freed on failure too) into
 * a new node with refs = 1. Every structural rule above is checked; a violation is
 * STRATA_ECORRUPT naming the offset, an unknown format version STRATA_EVERSION. */
int strata_tree__node_decode(tnode **out, const strata_oid *oid, uint8_t *raw, size_t len);
void strata_tree__node_free(tnode *nd);
/* First index i with key(i) >= key (n when none). */
uint32_t strata_tree__node_search(const tnode *nd, const void *key, size_t klen);

/* An item to be encoded: a leaf value (kind 0/1; for kind 1, val points at the blob digest and
 * vlen is the blob's length) or an internal child (val = 32-byte digest, count). */
typedef struct titem {
    const uint8_t *key;
    uint32_t klen;
    uint8_t kind;
    const uint8_t *val;
    uint32_t vlen;
    uint64_t count;
} titem;

/* Encoded size of an item at `level`. */
size_t strata_tree__item_size(const titem *it, int level);
/* Append the encoding of an item. 0 or STRATA_ENOMEM. */
int strata_tree__item_encode(strata_buf *b, const titem *it, int level);

/* The split rule: after an item of `sz` bytes that brought the node from `before` to
 * before + sz bytes, with key `key`, is this a boundary? Pure integer arithmetic. */
int strata_tree__chunk_boundary(int level, size_t before, size_t sz, const void *key, size_t klen);
uint32_t strata_tree__chunk_seed(int level);

/* ---- cache and context (cache.c) ----------------------------------------------------------- */

/* Load (pin) the node `oid`: from the cache, or from the store and decoded. The caller releases
 * it with strata_tree__node_unpin. Errors: STRATA_ENOTFOUND / STRATA_ECORRUPT (missing or not a
 * node), STRATA_EIO, STRATA_ENOMEM. */
int strata_tree__node_load(strata_tree_ctx *ctx, const strata_oid *oid, tnode **out);
/* Load (pin) child i of `parent` and check that its level, item count and largest key are
 * what the parent says (STRATA_ECORRUPT otherwise). */
int strata_tree__node_load_child(strata_tree_ctx *ctx, const tnode *parent, uint32_t i,
                                 tnode **out);
void strata_tree__node_unpin(tnode *nd);
void strata_tree__node_pin(tnode *nd);
strata_store *strata_tree__ctx_store(strata_tree_ctx *ctx);
/* Store a node payload (after decoding-free bookkeeping) and count it in the stats. */
int strata_tree__ctx_put_node(strata_tree_ctx *ctx, const void *data, size_t len, strata_oid *out);
/* Fetch a blob value of exactly `vlen` bytes (owned, free with strata_mem__free). */
int strata_tree__ctx_get_blob(strata_tree_ctx *ctx, const uint8_t *oid, uint32_t vlen,
                              uint8_t **out);

/* ---- paths (cursor.c) -------------------------------------------------------------------- */

/* Pinned nodes from the root (level top) down to some level `bottom`; idx[l] is the position
 * within node[l]. Levels above top are unused. */
typedef struct tpath {
    strata_tree_ctx *ctx;
    int top;                          /* the root's level */
    int bottom;                       /* lowest level loaded; node[bottom..top] are pinned */
    tnode *node[TNODE_MAX_LEVEL + 1];
    uint32_t idx[TNODE_MAX_LEVEL + 1];
} tpath;

/* Pin the root (the path then holds only the root, bottom = top). */
int strata_tree__path_init(tpath *p, strata_tree_ctx *ctx, const strata_oid *root);
/* Unpin everything. */
void strata_tree__path_clear(tpath *p);
/* Drop the levels below `level` (unpin) so that bottom = level. */
void strata_tree__path_cut(tpath *p, int level);
/* Descend from the current bottom to `level`, choosing at each internal node the first child
 * whose key is >= key (the last child when none). idx[level] is then the first item >= key in
 * node[level] (n when none). */
int strata_tree__path_seek(tpath *p, int level, const void *key, size_t klen);
/* Load the child at idx[bottom] of node[bottom] and set its idx to 0 (first=1) or n-1 (first=0). */
int strata_tree__path_down(tpath *p, int first);
/* Move to the next (dir > 0) or previous node at level `bottom`; 1 moved, 0 no such node
 * (path unchanged), or an error. idx[bottom] is set to 0 / n-1. */
int strata_tree__path_step_node(tpath *p, int dir);

#endif
