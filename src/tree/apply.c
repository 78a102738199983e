/* Batch edits of a prolly tree: sort and deduplicate the edits, then rewrite the tree level by
 * level, re-chunking only the nodes the edits touch and stopping as soon as the new boundaries
 * fall back in step with the old ones; the changed nodes of one level become the edits of the
 * level above. See the essay below and docs/tree.md.
 *
 * Essay — why rewriting only touched nodes gives the same tree as a rebuild.
 * A level is the sequence of its items cut into nodes by the chunker, which decides after each
 * item whether to cut, looking only at that item's key and size and at the bytes gathered since
 * the previous cut. So the cut points before any position depend only on the items before it,
 * and every node starts with a fresh chunker. To apply sorted edits to a level we seek the old
 * node N that holds the first edit's key; N's start is a cut in the old sequence and, since
 * nothing before it changed, a cut in the new one too. From there we feed the merged stream (old
 * items of N, N+1, … with the edits applied) to a fresh chunker. Whenever we reach the end of an
 * old node exactly when the chunker has just cut (or has nothing pending), the rest of the
 * sequence is unchanged and starts with a fresh chunker in both versions, so every later cut is
 * the same: the region is done, and the next edit starts a new region. The old nodes of the
 * region are replaced by the new ones: at the parent level that is "delete the old nodes' keys
 * (their largest keys), put the new nodes' keys → (digest, count)", edits of exactly the same
 * kind, applied by the same procedure one level up. At the root level the whole root node is
 * one region; if it yields several nodes, new levels are built on top until one node remains, and
 * a root with a single child is replaced by that child (a level with one node is the top). The
 * result is a pure function of the item set: history independence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_int.h"
#include "util/array.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

/* ---- small containers -------------------------------------------------------------------- */

/* Bump allocator for keys and digests that outlive the nodes they were read from. */
typedef struct achunk {
    struct achunk *next;
    size_t used, cap;
    uint8_t data[];
} achunk;

typedef struct arena {
    achunk *head;
} arena;

static void *arena_alloc(arena *a, size_t n)
{
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > 64 * 1024 ? n : 64 * 1024;
        achunk *c = strata_mem__alloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += n;
    return p;
}

static const uint8_t *arena_copy(arena *a, const void *p, size_t n)
{
    uint8_t *q = arena_alloc(a, n ? n : 1);
    if (q && n) memcpy(q, p, n);
    return q;
}

static void arena_free(arena *a)
{
    while (a->head) {
        achunk *c = a->head;
        a->head = c->next;
        strata_mem__free(c);
    }
}

/* An edit at some level: a put of `it` or a delete of it.key. */
typedef struct tedit {
    titem it;
    int del;
} tedit;

/* The edits of one level, ascending by key. */
typedef STRATA_ARRAY(tedit) evec;

/* ---- node builder (one level's chunker) ---------------------------------------------------- */

typedef struct builder {
    strata_tree_ctx *ctx;
    arena *ar;
    int level;
    strata_buf buf;      /* TNODE_HEADER_MAX bytes reserved for the header, then the items */
    size_t size;         /* item bytes gathered */
    uint32_t n;          /* items gathered */
    uint64_t count;      /* leaf items under them */
    size_t lastkoff;     /* offset in buf of the last item's key */
    uint32_t lastklen;
    evec *out;           /* produced nodes, as parent-level puts */
} builder;

static int builder_init(builder *b, strata_tree_ctx *ctx, arena *ar, int level, evec *out)
{
    memset(b, 0, sizeof *b);
    b->ctx = ctx;
    b->ar = ar;
    b->level = level;
    b->out = out;
    if (strata_buf__reserve(&b->buf, 8192) != 0) return STRATA_ENOMEM;
    b->buf.len = TNODE_HEADER_MAX;
    return 0;
}

/* Write the gathered items as one node and append its parent item to b->out. */
static int builder_flush(builder *b)
{
    if (b->n == 0) return 0;
    uint8_t hdr[TNODE_HEADER_MAX];
    hdr[0] = TNODE_FORMAT;
    hdr[1] = (uint8_t)b->level;
    size_t hl = 2 + strata_varint__encode(hdr + 2, b->n);
    uint8_t *start = b->buf.data + TNODE_HEADER_MAX - hl;
    memcpy(start, hdr, hl);
    tedit e = {{0}, 0};
    strata_oid oid;
    int rc = strata_tree__ctx_put_node(b->ctx, start, b->buf.len - (TNODE_HEADER_MAX - hl), &oid);
    if (rc) return rc;
    e.it.key = arena_copy(b->ar, b->buf.data + b->lastkoff, b->lastklen);
    e.it.val = arena_copy(b->ar, oid.id, STRATA_OID_SIZE);
    if (!e.it.key || !e.it.val) return STRATA_ENOMEM;
    e.it.klen = b->lastklen;
    e.it.count = b->count;
    if ((rc = strata_array__push(b->out, e)) != 0) return rc;
    b->buf.len = TNODE_HEADER_MAX;
    b->size = 0;
    b->n = 0;
    b->count = 0;
    return 0;
}

/* Account for an item just appended at [at, buf.len) whose key starts at koff, and cut the
 * node when the chunking rule says so. */
static int builder_added(builder *b, size_t at, size_t koff, uint32_t klen, uint64_t count)
{
    size_t sz = b->buf.len - at, before = b->size;
    b->size += sz;
    b->n++;
    b->count += count;
    b->lastkoff = koff;
    b->lastklen = klen;
    if (strata_tree__chunk_boundary(b->level, before, sz, b->buf.data + koff, klen)) return builder_flush(b);
    return 0;
}

static int builder_add_item(builder *b, const titem *it)
{
    size_t at = b->buf.len;
    int rc = strata_tree__item_encode(&b->buf, it, b->level);
    if (rc) return rc;
    return builder_added(b, at, at + strata_varint__size(it->klen), it->klen,
                         b->level ? it->count : 1);
}

/* Copy item i of an old node verbatim. */
static int builder_add_old(builder *b, const tnode *nd, uint32_t i)
{
    size_t at = b->buf.len, span = nd->ioff[i + 1] - nd->ioff[i];
    if (strata_buf__append(&b->buf, nd->raw + nd->ioff[i], span) != 0) return STRATA_ENOMEM;
    return builder_added(b, at, at + (nd->kx[i].off - nd->ioff[i]), nd->kx[i].len, tnode_count(nd, i));
}

static void builder_free(builder *b) { strata_buf__free(&b->buf); }

/* ---- one level ------------------------------------------------------------------------------ */

/* True when node[level] of the path is the last node of its level. */
static int path_at_last(const tpath *p, int level)
{
    for (int l = level + 1; l <= p->top; l++)
        if (p->idx[l] + 1 < p->node[l]->n) return 0;
    return 1;
}

/* Apply the sorted, unique edits E[0..nE) to level L of the old tree in `p`. For L below the
 * root level, append the parent-level edits (sorted, unique) to `up`; at the root level append
 * the new nodes of that level (as puts) to `up`. */
static int rewrite_level(tpath *p, arena *ar, int L, const tedit *E, size_t nE, evec *up)
{
    int rc = 0;
    size_t ei = 0;
    evec prod = STRATA_ARRAY_INIT, olds = STRATA_ARRAY_INIT;
    builder b;
    if ((rc = builder_init(&b, p->ctx, ar, L, &prod)) != 0) goto done;
    strata_tree__path_cut(p, p->top); /* the first seek of a level starts at the root */
    while (ei < nE) {
        /* Seek the node for the next edit from the lowest node of the current path that covers
         * its key, not from the root: within a level the edits are sorted, so the key lies after
         * everything processed, inside node[l] exactly when it is <= node[l]'s last key or
         * node[l] is the last node of its level. Usually that is the parent of the last node
         * rewritten. */
        int from = p->top;
        for (int l = p->bottom > L ? p->bottom : L + 1; l < p->top; l++) {
            const tnode *x = p->node[l];
            if (tkey_cmp(E[ei].it.key, E[ei].it.klen, tnode_key(x, x->n - 1), x->kx[x->n - 1].len) <= 0 ||
                path_at_last(p, l)) {
                from = l;
                break;
            }
        }
        strata_tree__path_cut(p, from);
        if ((rc = strata_tree__path_seek(p, L, E[ei].it.key, E[ei].it.klen)) != 0) goto done;
        prod.n = olds.n = 0;
        for (;;) {
            const tnode *N = p->node[L];
            int last = path_at_last(p, L);
            const uint8_t *maxk = N->n ? tnode_key(N, N->n - 1) : NULL;
            uint32_t maxkl = N->n ? N->kx[N->n - 1].len : 0;
            if (L < p->top) {
                tedit o = {{0}, 1};
                o.it.key = arena_copy(ar, maxk, maxkl);
                o.it.klen = maxkl;
                o.it.val = arena_copy(ar, N->oid.id, STRATA_OID_SIZE);
                if (!o.it.key || !o.it.val) { rc = STRATA_ENOMEM; goto done; }
                if ((rc = strata_array__push(&olds, o)) != 0) goto done;
            }
            uint32_t j = 0;
            for (;;) {
                int have_old = j < N->n;
                int have_edit = ei < nE &&
                                (last || tkey_cmp(E[ei].it.key, E[ei].it.klen, maxk, maxkl) <= 0);
                if (!have_old && !have_edit) break;
                int c = !have_old ? 1 : !have_edit ? -1
                      : tkey_cmp(tnode_key(N, j), N->kx[j].len, E[ei].it.key, E[ei].it.klen);
                if (c < 0) {
                    rc = builder_add_old(&b, N, j++);
                } else {
                    if (!E[ei].del) rc = builder_add_item(&b, &E[ei].it);
                    ei++;
                    if (c == 0) j++;
                }
                if (rc) goto done;
            }
            if (b.n == 0) break;          /* cut at the old node's end: back in step */
            if (last) {
                if ((rc = builder_flush(&b)) != 0) goto done;
                break;
            }
            int r = strata_tree__path_step_node(p, 1);
            if (r < 0) { rc = r; goto done; }
            if (r == 0) { rc = strata_err__set(STRATA_ECORRUPT, "tree level %d ends early", L); goto done; }
        }
        if (L == p->top) {
            for (size_t i = 0; i < prod.n; i++)
                if ((rc = strata_array__push(up, prod.v[i])) != 0) goto done;
            continue;
        }
        /* Old nodes [olds] become new nodes [prod]: merge into parent-level edits. */
        size_t a = 0, c2 = 0;
        while (a < olds.n || c2 < prod.n) {
            int c = a == olds.n ? 1 : c2 == prod.n ? -1
                  : tkey_cmp(olds.v[a].it.key, olds.v[a].it.klen, prod.v[c2].it.key, prod.v[c2].it.klen);
            if (c < 0) {
                rc = strata_array__push(up, olds.v[a++]);
            } else if (c > 0) {
                rc = strata_array__push(up, prod.v[c2++]);
            } else {
                if (memcmp(olds.v[a].it.val, prod.v[c2].it.val, STRATA_OID_SIZE) != 0)
                    rc = strata_array__push(up, prod.v[c2]);
                a++;
                c2++;
            }
            if (rc) goto done;
        }
    }
done:
    builder_free(&b);
    strata_array__free(&prod);
    strata_array__free(&olds);
    return rc;
}

/* ---- the driver ------------------------------------------------------------------------------ */

typedef struct sortctx {
    const strata_tree_edit *edits;
} sortctx;

static int cmp_edit_idx(const void *x, const void *y, void *arg)
{
    const strata_tree_edit *e = ((const sortctx *)arg)->edits;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = tkey_cmp(e[i].key, e[i].klen, e[j].key, e[j].klen);
    if (c) return c;
    return i < j ? -1 : i > j;
}

/* Build the levels above `nodes` (the nodes of level `level`) until one node remains; *out is it. */
static int build_up(strata_tree_ctx *ctx, arena *ar, evec *nodes, int level, strata_oid *out)
{
    int rc = 0;
    evec next = STRATA_ARRAY_INIT;
    while (nodes->n > 1) {
        builder b;
        next.n = 0;
        if ((rc = builder_init(&b, ctx, ar, ++level, &next)) != 0) goto done;
        for (size_t i = 0; i < nodes->n && !rc; i++) rc = builder_add_item(&b, &nodes->v[i].it);
        if (!rc) rc = builder_flush(&b);
        builder_free(&b);
        if (rc) goto done;
        if (level >= TNODE_MAX_LEVEL) { rc = strata_err__set(STRATA_ELIMIT, "tree too tall"); goto done; }
        evec t = *nodes;
        *nodes = next;
        next = t;
    }
    memcpy(out->id, nodes->v[0].it.val, STRATA_OID_SIZE);
done:
    strata_array__free(&next);
    return rc;
}

int strata_tree__apply(strata_tree_ctx *ctx, const strata_oid *root, const strata_tree_edit *edits,
                       size_t n, strata_oid *out)
{
    if (!ctx || !root || !out || (n && !edits))
        return strata_err__set(STRATA_EINVALID, "strata_tree__apply: NULL argument");
    if (n > SIZE_MAX / sizeof(tedit))
        return strata_err__set(STRATA_ELIMIT, "strata_tree__apply: %zu edits are too many", n);
    for (size_t i = 0; i < n; i++) {
        const strata_tree_edit *e = &edits[i];
        if (!e->key && e->klen) return strata_err__set(STRATA_EINVALID, "edit %zu: NULL key", i);
        if (e->klen > STRATA_TREE_MAX_KEY)
            return strata_err__set(STRATA_ELIMIT, "edit %zu: key of %zu bytes exceeds %u", i, e->klen,
                                   STRATA_TREE_MAX_KEY);
        if (!e->del && !e->val && e->vlen) return strata_err__set(STRATA_EINVALID, "edit %zu: NULL value", i);
        if (!e->del && e->vlen > STRATA_TREE_MAX_VALUE)
            return strata_err__set(STRATA_ELIMIT, "edit %zu: value of %zu bytes is too large", i, e->vlen);
    }
    int rc = 0;
    arena ar = {0};
    size_t *order = NULL;
    evec cur = STRATA_ARRAY_INIT, up = STRATA_ARRAY_INIT;
    tpath p;
    int have_path = 0;

    if (n == 0) { *out = *root; return 0; }
    order = strata_mem__alloc(n * sizeof *order);
    if (!order) { rc = STRATA_ENOMEM; goto done; }
    for (size_t i = 0; i < n; i++) order[i] = i;
    sortctx sc = {edits};
    qsort_r(order, n, sizeof *order, cmp_edit_idx, &sc);

    /* Level-0 edits: the last edit of each key; large values go to blobs first. */
    for (size_t i = 0; i < n; i++) {
        const strata_tree_edit *e = &edits[order[i]];
        if (i + 1 < n && tkey_cmp(e->key, e->klen, edits[order[i + 1]].key, edits[order[i + 1]].klen) == 0)
            continue;
        tedit t = {{0}, e->del != 0};
        t.it.key = e->key;
        t.it.klen = (uint32_t)e->klen;
        t.it.count = 1;
        if (!t.del) {
            t.it.vlen = (uint32_t)e->vlen;
            if (e->vlen > STRATA_TREE_INLINE_MAX) {
                strata_oid boid;
                if ((rc = strata_store__put(strata_tree__ctx_store(ctx), STRATA_TREE_BLOB_TYPE, e->val, e->vlen, &boid)) != 0)
                    goto done;
                t.it.kind = 1;
                if (!(t.it.val = arena_copy(&ar, boid.id, STRATA_OID_SIZE))) { rc = STRATA_ENOMEM; goto done; }
            } else {
                t.it.val = e->val;
            }
        }
        if ((rc = strata_array__push(&cur, t)) != 0) goto done;
    }

    if ((rc = strata_tree__path_init(&p, ctx, root)) != 0) goto done;
    have_path = 1;
    int top = p.top;
    for (int L = 0; L <= top; L++) {
        if (cur.n == 0) {  /* nothing changed from here up */
            *out = *root;
            goto done;
        }
        up.n = 0;
        if ((rc = rewrite_level(&p, &ar, L, cur.v, cur.n, &up)) != 0) goto done;
        evec t = cur;
        cur = up;
        up = t;
    }
    /* cur holds the new nodes of level `top`. */
    if (cur.n == 0) {
        rc = strata_tree__empty(ctx, out);
        goto done;
    }
    if ((rc = build_up(ctx, &ar, &cur, top, out)) != 0) goto done;
    /* A root with one child is not a root: the first level with one node is the top. */
    for (;;) {
        tnode *nd;
        if ((rc = strata_tree__node_load(ctx, out, &nd)) != 0) goto done;
        int collapse = nd->level > 0 && nd->n == 1;
        if (collapse) *out = *tnode_child(nd, 0);
        strata_tree__node_unpin(nd);
        if (!collapse) break;
    }
done:
    if (have_path) strata_tree__path_clear(&p);
    strata_mem__free(order);
    strata_array__free(&cur);
    strata_array__free(&up);
    arena_free(&ar);
    return rc;
}
