/* The tree context: the object store plus a cache of decoded nodes with a byte budget, shared
 * by threads. The cache is split into stripes (chosen by digest), each a hash table with a
 * CLOCK list (second-chance LRU) under its own mutex; a mutex is held only for table and list
 * updates, never across store I/O or decoding. Nodes are reference counted: the cache holds one
 * reference while a node is cached, every reader one per pin, and the last release frees the
 * node. */
#include <pthread.h>
#include <string.h>

#include "tree/tree_int.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

#define NSTRIPES 16

typedef struct stripe {
    pthread_mutex_t mu;
    tnode **tab;        /* hash buckets (power of two) */
    size_t nbuckets;
    size_t count;
    tnode lru;          /* sentinel of the CLOCK list: lru.lnext = newest, lru.lprev = next to check */
    size_t bytes;       /* charged bytes of cached nodes */
    size_t budget;
    uint64_t hits, misses;
} stripe;

struct strata_tree_ctx {
    strata_store *store;            /* borrowed */
    stripe stripes[NSTRIPES];
    uint64_t nodes_written;         /* atomic */
    uint64_t node_bytes_written;    /* atomic */
};

static inline size_t oid_hash(const strata_oid *o)
{
    uint64_t h;
    memcpy(&h, o->id, 8);
    return (size_t)h;
}

static inline stripe *stripe_of(strata_tree_ctx *ctx, const strata_oid *o)
{
    return &ctx->stripes[o->id[8] % NSTRIPES];
}

int strata_tree__ctx_new(strata_tree_ctx **out, strata_store *store, size_t cache_bytes)
{
    if (!out || !store) return strata_err__set(STRATA_EINVALID, "tree context needs an output and a store");
    *out = NULL;
    strata_tree_ctx *ctx = strata_mem__calloc(1, sizeof *ctx);
    if (!ctx) return STRATA_ENOMEM;
    ctx->store = store;
    for (int i = 0; i < NSTRIPES; i++) {
        stripe *s = &ctx->stripes[i];
        pthread_mutex_init(&s->mu, NULL);
        s->lru.lnext = s->lru.lprev = &s->lru;
        s->budget = cache_bytes / NSTRIPES;
    }
    *out = ctx;
    return 0;
}

void strata_tree__ctx_free(strata_tree_ctx *ctx)
{
    if (!ctx) return;
    for (int i = 0; i < NSTRIPES; i++) {
        stripe *s = &ctx->stripes[i];
        for (tnode *nd = s->lru.lnext, *next; nd != &s->lru; nd = next) {
            next = nd->lnext;
            nd->cached = 0;
            strata_tree__node_unpin(nd);
        }
        strata_mem__free(s->tab);
        pthread_mutex_destroy(&s->mu);
    }
    strata_mem__free(ctx);
}

void strata_tree__stats(strata_tree_ctx *ctx, strata_tree_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!ctx) return;
    for (int i = 0; i < NSTRIPES; i++) {
        stripe *s = &ctx->stripes[i];
        pthread_mutex_lock(&s->mu);
        out->hits += s->hits;
        out->misses += s->misses;
        out->cached_bytes += s->bytes;
        pthread_mutex_unlock(&s->mu);
    }
    out->nodes_written = __atomic_load_n(&ctx->nodes_written, __ATOMIC_RELAXED);
    out->node_bytes_written = __atomic_load_n(&ctx->node_bytes_written, __ATOMIC_RELAXED);
}

strata_store *strata_tree__ctx_store(strata_tree_ctx *ctx) { return ctx->store; }

void strata_tree__node_pin(tnode *nd) { __atomic_add_fetch(&nd->refs, 1, __ATOMIC_RELAXED); }

void strata_tree__node_unpin(tnode *nd)
{
    if (nd && __atomic_sub_fetch(&nd->refs, 1, __ATOMIC_ACQ_REL) == 0) strata_tree__node_free(nd);
}

/* Under s->mu: unlink `nd` from the CLOCK list. */
static inline void lru_unlink(tnode *nd)
{
    nd->lprev->lnext = nd->lnext;
    nd->lnext->lprev = nd->lprev;
}

static inline void lru_push_front(stripe *s, tnode *nd)
{
    nd->lnext = s->lru.lnext;
    nd->lprev = &s->lru;
    s->lru.lnext->lprev = nd;
    s->lru.lnext = nd;
}

/* Under s->mu: the cached node `oid`, or NULL. */
static tnode *lookup(stripe *s, const strata_oid *oid)
{
    if (!s->nbuckets) return NULL;
    for (tnode *nd = s->tab[oid_hash(oid) & (s->nbuckets - 1)]; nd; nd = nd->hnext)
        if (memcmp(nd->oid.id, oid->id, STRATA_OID_SIZE) == 0) return nd;
    return NULL;
}

/* Under s->mu: remove a cached node from table and list; returns it (the caller drops the
 * cache's reference after unlocking). */
static tnode *evict(stripe *s, tnode *nd)
{
    tnode **pp = &s->tab[oid_hash(&nd->oid) & (s->nbuckets - 1)];
    while (*pp != nd) pp = &(*pp)->hnext;
    *pp = nd->hnext;
    lru_unlink(nd);
    nd->cached = 0;
    s->count--;
    s->bytes -= nd->charge;
    return nd;
}

/* Under s->mu: grow the bucket array (best effort: on failure keep the old one). */
static void grow(stripe *s)
{
    size_t nb = s->nbuckets ? s->nbuckets * 2 : 64;
    tnode **tab = strata_mem__calloc(nb, sizeof *tab);
    if (!tab) return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        for (tnode *nd = s->tab[i], *next; nd; nd = next) {
            next = nd->hnext;
            size_t b = oid_hash(&nd->oid) & (nb - 1);
            nd->hnext = tab[b];
            tab[b] = nd;
        }
    }
    strata_mem__free(s->tab);
    s->tab = tab;
    s->nbuckets = nb;
}

/* Insert a freshly decoded node (refs = 1, the caller's) into its stripe and return the node to
 * use: `nd`, now also referenced by the cache, or the copy another thread inserted first (then
 * `nd` is freed and the other copy is pinned for the caller). Evicts from the CLOCK list's old
 * end to stay within the budget; a zero budget caches nothing. */
static tnode *cache_insert(stripe *s, tnode *nd)
{
    if (s->budget == 0) return nd;
    tnode *victims = NULL;
    pthread_mutex_lock(&s->mu);
    tnode *other = lookup(s, &nd->oid);
    if (other) {
        strata_tree__node_pin(other);
        pthread_mutex_unlock(&s->mu);
        strata_tree__node_free(nd);
        return other;
    }
    if (s->count >= s->nbuckets) grow(s);
    if (s->nbuckets) {
        size_t b = oid_hash(&nd->oid) & (s->nbuckets - 1);
        nd->hnext = s->tab[b];
        s->tab[b] = nd;
        lru_push_front(s, nd);
        nd->cached = 1;
        nd->refs = 2; /* the cache's and the caller's */
        s->count++;
        s->bytes += nd->charge;
        /* CLOCK eviction from the old end: a node referenced since it was last passed gets a
         * second chance at the new end; each node is passed over at most once per insert. */
        size_t chances = s->count;
        while (s->bytes > s->budget && s->lru.lprev != nd) {
            tnode *v = s->lru.lprev;
            if (v->referenced && chances) {
                chances--;
                v->referenced = 0;
                lru_unlink(v);
                lru_push_front(s, v);
                continue;
            }
            evict(s, v);
            v->hnext = victims;
            victims = v;
        }
    }
    pthread_mutex_unlock(&s->mu);
    while (victims) {
        tnode *v = victims;
        victims = v->hnext;
        strata_tree__node_unpin(v);
    }
    return nd;
}

int strata_tree__node_load(strata_tree_ctx *ctx, const strata_oid *oid, tnode **out)
{
    stripe *s = stripe_of(ctx, oid);
    pthread_mutex_lock(&s->mu);
    tnode *nd = lookup(s, oid);
    if (nd) {
        strata_tree__node_pin(nd);
        nd->referenced = 1; /* CLOCK: no list surgery (and its cache misses) on a hit */
        s->hits++;
        pthread_mutex_unlock(&s->mu);
        *out = nd;
        return 0;
    }
    s->misses++;
    pthread_mutex_unlock(&s->mu);

    /* Miss: read and decode without holding any lock. */
    uint8_t type = 0, *data = NULL;
    size_t len = 0;
    int rc = strata_store__get(ctx->store, oid, &type, &data, &len);
    if (rc) return rc;
    if (type != STRATA_TREE_NODE_TYPE) {
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, oid);
        strata_mem__free(data);
        return strata_err__set(STRATA_ECORRUPT, "object %s is of type '%c', not a tree node", hex,
                               type >= 32 && type < 127 ? type : '?');
    }
    rc = strata_tree__node_decode(&nd, oid, data, len);
    if (rc) return rc;

    *out = cache_insert(s, nd);
    return 0;
}

int strata_tree__node_load_child(strata_tree_ctx *ctx, const tnode *parent, uint32_t i, tnode **out)
{
    tnode *nd;
    int rc = strata_tree__node_load(ctx, tnode_child(parent, i), &nd);
    if (rc) return rc;
    /* Level, count and largest key must be what the parent says (nd->n >= 1 follows from
     * total == count >= 1, checked first). */
    if (nd->level + 1 != parent->level || nd->total != tnode_count(parent, i) ||
        tkey_cmp(tnode_key(nd, nd->n - 1), nd->kx[nd->n - 1].len, tnode_key(parent, i),
                 parent->kx[i].len) != 0) {
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, &nd->oid);
        strata_tree__node_unpin(nd);
        return strata_err__set(STRATA_ECORRUPT,
                               "tree node %.16s does not match its parent's level, count or key", hex);
    }
    *out = nd;
    return 0;
}

int strata_tree__ctx_put_node(strata_tree_ctx *ctx, const void *data, size_t len, strata_oid *out)
{
    int rc = strata_store__put(ctx->store, STRATA_TREE_NODE_TYPE, data, len, out);
    if (rc) return rc;
    __atomic_add_fetch(&ctx->nodes_written, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&ctx->node_bytes_written, (uint64_t)len, __ATOMIC_RELAXED);
    /* Write-through: the next batch usually reads the nodes this one wrote (always the upper
     * levels), so keep them decoded instead of reading them back. Best effort: a failure here
     * only costs a later miss. */
    stripe *s = stripe_of(ctx, out);
    if (s->budget == 0) return 0;
    pthread_mutex_lock(&s->mu);
    int have = lookup(s, out) != NULL;
    pthread_mutex_unlock(&s->mu);
    if (have) return 0;
    uint8_t *copy = strata_mem__alloc(len);
    if (!copy) return 0;
    memcpy(copy, data, len);
    tnode *nd;
    if (strata_tree__node_decode(&nd, out, copy, len) != 0) {
        strata_error_clear();
        return 0;
    }
    strata_tree__node_unpin(cache_insert(s, nd));
    return 0;
}

int strata_tree__ctx_get_blob(strata_tree_ctx *ctx, const uint8_t *oidp, uint32_t vlen,
                              uint8_t **out)
{
    strata_oid oid;
    memcpy(oid.id, oidp, STRATA_OID_SIZE);
    uint8_t type = 0, *data = NULL;
    size_t len = 0;
    int rc = strata_store__get(ctx->store, &oid, &type, &data, &len);
    if (rc) return rc;
    if (type != STRATA_TREE_BLOB_TYPE || len != vlen) {
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, &oid);
        strata_mem__free(data);
        return strata_err__set(STRATA_ECORRUPT, "value blob %s has type '%c' and %zu bytes, expected 'B' and %u",
                               hex, type >= 32 && type < 127 ? type : '?', len, vlen);
    }
    *out = data;
    return 0;
}

int strata_tree__empty(strata_tree_ctx *ctx, strata_oid *out)
{
    if (!ctx || !out) return strata_err__set(STRATA_EINVALID, "strata_tree__empty: NULL argument");
    static const uint8_t empty_leaf[3] = {TNODE_FORMAT, 0, 0};
    return strata_tree__ctx_put_node(ctx, empty_leaf, sizeof empty_leaf, out);
}
