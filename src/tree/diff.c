/* Diff of two prolly trees: an ordered stream of (key, old value, new value) that skips every
 * subtree whose digest is the same on both sides.
 *
 * Essay. Each side is walked as a sequence of "units": a unit is either a whole child subtree
 * (known from its parent's item: digest, largest key, count — without reading the child) or a
 * single leaf item. A side always sits on the largest unit that starts right after what it has
 * already consumed: moving past a unit climbs as far as the exhausted nodes allow. At each step
 * we compare the two current units:
 *  - two subtrees with the same digest hold the same items, and no item of either side lies
 *    between them, so both are skipped unread;
 *  - otherwise the unit that starts at the smaller key must be opened (if it is a subtree) or
 *    reported as deleted/added (if it is an item), because the other side has nothing before
 *    its own start;
 *  - when both start at the same key, the taller subtree is opened (both when equally tall), and
 *    two items with the same key are compared by their stored value (inline bytes or blob
 *    digest).
 * Because node boundaries depend only on content, the two sides fall back into step shortly
 * after each change and the skipping resumes at the highest level where the digests agree: the
 * cost is about (changes × (height + node size)), not the size of the trees. */
#include <string.h>

#include "tree/tree_int.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

typedef struct dside {
    tpath p;            /* node[bottom..top] pinned; the unit is item idx[bottom] of node[bottom] */
    int end;            /* no units left */
    int have_start;     /* start[] holds the current unit's first key */
    size_t startlen;
    uint8_t start[STRATA_TREE_MAX_KEY];
} dside;

static int side_open(dside *s, strata_tree_ctx *ctx, const strata_oid *root)
{
    int rc = strata_tree__path_init(&s->p, ctx, root);
    if (rc) return rc;
    s->end = s->p.node[s->p.top]->n == 0;
    s->have_start = 0;
    return 0;
}

/* The unit's level: -1 for a leaf item, else the level of the child subtree. */
static inline int unit_level(const dside *s) { return s->p.bottom - 1; }

static int unit_start(dside *s, const uint8_t **key, size_t *klen)
{
    if (s->p.bottom == 0) {
        const tnode *nd = s->p.node[0];
        *key = tnode_key(nd, s->p.idx[0]);
        *klen = nd->kx[s->p.idx[0]].len;
        return 0;
    }
    if (!s->have_start) {
        tnode *nd, *child;
        int rc = strata_tree__node_load_child(s->p.ctx, s->p.node[s->p.bottom], s->p.idx[s->p.bottom], &nd);
        if (rc) return rc;
        while (nd->level > 0) {
            rc = strata_tree__node_load_child(s->p.ctx, nd, 0, &child);
            strata_tree__node_unpin(nd);
            if (rc) return rc;
            nd = child;
        }
        s->startlen = nd->kx[0].len;
        memcpy(s->start, tnode_key(nd, 0), s->startlen);
        strata_tree__node_unpin(nd);
        s->have_start = 1;
    }
    *key = s->start;
    *klen = s->startlen;
    return 0;
}

static void side_advance(dside *s)
{
    tpath *p = &s->p;
    s->have_start = 0;
    p->idx[p->bottom]++;
    while (p->idx[p->bottom] >= p->node[p->bottom]->n) {
        if (p->bottom == p->top) {
            s->end = 1;
            return;
        }
        strata_tree__path_cut(p, p->bottom + 1);
        p->idx[p->bottom]++;
    }
}

/* Open the current subtree unit: its first child (or item) becomes the unit; same start key. */
static int side_descend(dside *s) { return strata_tree__path_down(&s->p, 1); }

/* The value of the current item unit; a blob is fetched into *owned. */
static int item_value(dside *s, const void **v, size_t *vlen, uint8_t **owned)
{
    const tnode *nd = s->p.node[0];
    uint32_t i = s->p.idx[0];
    *vlen = nd->vlen[i];
    if (!nd->vkind[i]) {
        *v = tnode_val(nd, i);
        return 0;
    }
    int rc = strata_tree__ctx_get_blob(s->p.ctx, tnode_val(nd, i), nd->vlen[i], owned);
    *v = *owned;
    return rc;
}

static int same_item_value(const dside *a, const dside *b)
{
    const tnode *x = a->p.node[0], *y = b->p.node[0];
    uint32_t i = a->p.idx[0], j = b->p.idx[0];
    if (x->vkind[i] != y->vkind[j] || x->vlen[i] != y->vlen[j]) return 0;
    size_t n = x->vkind[i] ? STRATA_OID_SIZE : x->vlen[i];
    return n == 0 || memcmp(tnode_val(x, i), tnode_val(y, j), n) == 0;
}

/* Report the item units of a (old, may be NULL) and b (new, may be NULL), same key. */
static int report(dside *a, dside *b, strata_tree_diff_cb cb, void *payload)
{
    const void *ov = NULL, *nv = NULL;
    size_t ol = 0, nl = 0;
    uint8_t *oo = NULL, *no = NULL;
    const dside *k = a ? a : b;
    const tnode *kn = k->p.node[0];
    uint32_t ki = k->p.idx[0];
    int rc = 0;
    if (a && (rc = item_value(a, &ov, &ol, &oo)) != 0) goto done;
    if (b && (rc = item_value(b, &nv, &nl, &no)) != 0) goto done;
    rc = cb(tnode_key(kn, ki), kn->kx[ki].len, ov, ol, nv, nl, payload);
done:
    strata_mem__free(oo);
    strata_mem__free(no);
    return rc;
}

int strata_tree__diff(strata_tree_ctx *ctx, const strata_oid *a, const strata_oid *b,
                      strata_tree_diff_cb cb, void *payload)
{
    if (!ctx || !a || !b || !cb) return strata_err__set(STRATA_EINVALID, "strata_tree__diff: NULL argument");
    if (strata_oid__cmp(a, b) == 0) return 0;
    int rc;
    dside *A = strata_mem__alloc(2 * sizeof *A), *B;
    if (!A) return STRATA_ENOMEM;
    B = A + 1;
    A->p.node[0] = B->p.node[0] = NULL;
    A->p.top = B->p.top = 0;
    if ((rc = side_open(A, ctx, a)) != 0) goto done;
    if ((rc = side_open(B, ctx, b)) != 0) goto done;
    while (!A->end || !B->end) {
        int la = unit_level(A), lb = unit_level(B);
        if (B->end || A->end) {
            dside *s = B->end ? A : B;
            if (unit_level(s) >= 0) rc = side_descend(s);
            else {
                rc = s == A ? report(A, NULL, cb, payload) : report(NULL, B, cb, payload);
                side_advance(s);
            }
            if (rc) goto done;
            continue;
        }
        if (la >= 0 && la == lb &&
            memcmp(tnode_child(A->p.node[A->p.bottom], A->p.idx[A->p.bottom])->id,
                   tnode_child(B->p.node[B->p.bottom], B->p.idx[B->p.bottom])->id, STRATA_OID_SIZE) == 0) {
            side_advance(A);
            side_advance(B);
            continue;
        }
        const uint8_t *ka, *kb;
        size_t kla, klb;
        if ((rc = unit_start(A, &ka, &kla)) != 0) goto done;
        if ((rc = unit_start(B, &kb, &klb)) != 0) goto done;
        int c = tkey_cmp(ka, kla, kb, klb);
        if (c < 0) {
            if (la >= 0) rc = side_descend(A);
            else {
                rc = report(A, NULL, cb, payload);
                side_advance(A);
            }
        } else if (c > 0) {
            if (lb >= 0) rc = side_descend(B);
            else {
                rc = report(NULL, B, cb, payload);
                side_advance(B);
            }
        } else if (la < 0 && lb < 0) {
            if (!same_item_value(A, B)) rc = report(A, B, cb, payload);
            side_advance(A);
            side_advance(B);
        } else {
            if (la >= lb) rc = side_descend(A);
            if (!rc && lb >= la) rc = side_descend(B);
        }
        if (rc) goto done;
    }
done:
    if (A->p.node[A->p.top]) strata_tree__path_clear(&A->p);
    if (B->p.node[B->p.top]) strata_tree__path_clear(&B->p);
    strata_mem__free(A);
    return rc;
}
