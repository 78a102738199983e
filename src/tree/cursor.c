/* Reading prolly trees: root-to-level paths of pinned nodes, point gets, counts, cursors (seek,
 * first/last, next/prev, seek by position), and range and prefix scans in both directions. */
#include <string.h>

#include "tree/tree_int.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- paths --------------------------------------------------------------------------------- */

int strata_tree__path_init(tpath *p, strata_tree_ctx *ctx, const strata_oid *root)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    tnode *nd;
    int rc = strata_tree__node_load(ctx, root, &nd);
    if (rc) return rc;
    p->top = p->bottom = nd->level;
    p->node[nd->level] = nd;
    p->idx[nd->level] = 0;
    return 0;
}

void strata_tree__path_cut(tpath *p, int level)
{
    while (p->bottom < level) {
        strata_tree__node_unpin(p->node[p->bottom]);
        p->node[p->bottom] = NULL;
        p->bottom++;
    }
}

void strata_tree__path_clear(tpath *p)
{
    if (!p->node[p->top]) return;
    strata_tree__path_cut(p, p->top);
    strata_tree__node_unpin(p->node[p->top]);
    p->node[p->top] = NULL;
}

int strata_tree__path_down(tpath *p, int first)
{
    int b = p->bottom;
    tnode *nd;
    int rc = strata_tree__node_load_child(p->ctx, p->node[b], p->idx[b], &nd);
    if (rc) return rc;
    p->node[b - 1] = nd;
    p->idx[b - 1] = first ? 0 : nd->n - 1;
    p->bottom = b - 1;
    return 0;
}

int strata_tree__path_seek(tpath *p, int level, const void *key, size_t klen)
{
    for (;;) {
        int b = p->bottom;
        tnode *nd = p->node[b];
        uint32_t i = strata_tree__node_search(nd, key, klen);
        if (b == level) {
            p->idx[b] = i;
            return 0;
        }
        if (i == nd->n) i = nd->n - 1;
        p->idx[b] = i;
        int rc = strata_tree__path_down(p, 1);
        if (rc) return rc;
    }
}

int strata_tree__path_step_node(tpath *p, int dir)
{
    int b = p->bottom, l = b + 1;
    while (l <= p->top) {
        if (dir > 0 ? p->idx[l] + 1 < p->node[l]->n : p->idx[l] > 0) break;
        l++;
    }
    if (l > p->top) return 0;
    strata_tree__path_cut(p, l);
    p->idx[l] = dir > 0 ? p->idx[l] + 1 : p->idx[l] - 1;
    while (p->bottom > b) {
        int rc = strata_tree__path_down(p, dir > 0);
        if (rc) return rc;
    }
    return 1;
}

/* ---- point reads ---------------------------------------------------------------------------- */

int strata_tree__get(strata_tree_ctx *ctx, const strata_oid *root, const void *key, size_t klen,
                     strata_tree_value *out)
{
    if (out) memset(out, 0, sizeof *out);
    if (!ctx || !root || !out || (!key && klen))
        return strata_err__set(STRATA_EINVALID, "strata_tree__get: NULL argument");
    tnode *nd;
    int rc = strata_tree__node_load(ctx, root, &nd);
    if (rc) return rc;
    for (;;) {
        uint32_t i = strata_tree__node_search(nd, key, klen);
        if (i == nd->n) break;
        if (nd->level == 0) {
            if (tkey_cmp(tnode_key(nd, i), nd->kx[i].len, key, klen) != 0) break;
            if (nd->vkind[i]) {
                uint8_t *blob;
                uint32_t vlen = nd->vlen[i];
                rc = strata_tree__ctx_get_blob(ctx, tnode_val(nd, i), vlen, &blob);
                strata_tree__node_unpin(nd);
                if (rc) return rc;
                out->data = blob;
                out->len = vlen;
                out->owned_ = blob;
                return 0;
            }
            out->data = tnode_val(nd, i);
            out->len = nd->vlen[i];
            out->pin_ = nd;
            return 0;
        }
        tnode *child;
        rc = strata_tree__node_load_child(ctx, nd, i, &child);
        strata_tree__node_unpin(nd);
        if (rc) return rc;
        nd = child;
    }
    strata_tree__node_unpin(nd);
    return STRATA_ENOTFOUND;
}

void strata_tree__value_release(strata_tree_ctx *ctx, strata_tree_value *v)
{
    (void)ctx;
    if (!v) return;
    if (v->pin_) strata_tree__node_unpin(v->pin_);
    strata_mem__free(v->owned_);
    memset(v, 0, sizeof *v);
}

int strata_tree__count(strata_tree_ctx *ctx, const strata_oid *root, uint64_t *out)
{
    if (!ctx || !root || !out) return strata_err__set(STRATA_EINVALID, "strata_tree__count: NULL argument");
    tnode *nd;
    int rc = strata_tree__node_load(ctx, root, &nd);
    if (rc) return rc;
    *out = nd->total;
    strata_tree__node_unpin(nd);
    return 0;
}

/* ---- cursors -------------------------------------------------------------------------------- */

struct strata_tree_cursor {
    tpath p;
    int valid;           /* on an item */
    uint8_t *blob;       /* the current item's fetched blob value, owned */
};

int strata_tree__cursor_open(strata_tree_cursor **out, strata_tree_ctx *ctx, const strata_oid *root)
{
    if (!out || !ctx || !root) return strata_err__set(STRATA_EINVALID, "strata_tree__cursor_open: NULL argument");
    *out = NULL;
    strata_tree_cursor *c = strata_mem__calloc(1, sizeof *c);
    if (!c) return STRATA_ENOMEM;
    int rc = strata_tree__path_init(&c->p, ctx, root);
    if (rc) {
        strata_mem__free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void strata_tree__cursor_free(strata_tree_cursor *c)
{
    if (!c) return;
    strata_tree__path_clear(&c->p);
    strata_mem__free(c->blob);
    strata_mem__free(c);
}

/* Forget the current position's fetched blob (every move calls this first). */
static void moved(strata_tree_cursor *c)
{
    strata_mem__free(c->blob);
    c->blob = NULL;
    c->valid = 0;
}

/* Finish a positioning call: valid when the path reaches a leaf item. */
static int settle(strata_tree_cursor *c, int rc)
{
    if (rc == 0 && (c->p.bottom != 0 || c->p.idx[0] >= c->p.node[0]->n)) rc = STRATA_ITEROVER;
    c->valid = rc == 0;
    return rc;
}

/* Descend from the top to the first (first = 1) or last leaf item. */
static int edge(strata_tree_cursor *c, int first)
{
    moved(c);
    tpath *p = &c->p;
    strata_tree__path_cut(p, p->top);
    tnode *r = p->node[p->top];
    if (r->n == 0) return settle(c, STRATA_ITEROVER);
    p->idx[p->top] = first ? 0 : r->n - 1;
    int rc = 0;
    while (!rc && p->bottom > 0) rc = strata_tree__path_down(p, first);
    return settle(c, rc);
}

int strata_tree__cursor_first(strata_tree_cursor *c)
{
    if (!c) return strata_err__set(STRATA_EINVALID, "cursor is NULL");
    return edge(c, 1);
}

int strata_tree__cursor_last(strata_tree_cursor *c)
{
    if (!c) return strata_err__set(STRATA_EINVALID, "cursor is NULL");
    return edge(c, 0);
}

int strata_tree__cursor_seek(strata_tree_cursor *c, const void *key, size_t klen)
{
    if (!c || (!key && klen)) return strata_err__set(STRATA_EINVALID, "strata_tree__cursor_seek: NULL argument");
    moved(c);
    tpath *p = &c->p;
    strata_tree__path_cut(p, p->top);
    if (p->node[p->top]->n == 0) return settle(c, STRATA_ITEROVER);
    int rc = strata_tree__path_seek(p, 0, key, klen);
    if (rc == 0 && p->idx[0] >= p->node[0]->n) {
        /* Only when key is beyond the last key; stepping keeps the rule local and safe. */
        int r = strata_tree__path_step_node(p, 1);
        if (r < 0) rc = r;
        else if (r == 0) rc = STRATA_ITEROVER;
        else p->idx[0] = 0;
    }
    return settle(c, rc);
}

int strata_tree__cursor_seek_before(strata_tree_cursor *c, const void *key, size_t klen)
{
    int rc = strata_tree__cursor_seek(c, key, klen);
    if (rc == STRATA_ITEROVER) return strata_tree__cursor_last(c);
    if (rc) return rc;
    return strata_tree__cursor_prev(c);
}

int strata_tree__cursor_seek_index(strata_tree_cursor *c, uint64_t i)
{
    if (!c) return strata_err__set(STRATA_EINVALID, "cursor is NULL");
    moved(c);
    tpath *p = &c->p;
    strata_tree__path_cut(p, p->top);
    if (i >= p->node[p->top]->total) return settle(c, STRATA_ITEROVER);
    int rc = 0;
    while (p->bottom > 0) {
        tnode *nd = p->node[p->bottom];
        /* the child j with cum[j] <= i < cum[j+1] */
        uint32_t lo = 0, hi = nd->n - 1;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo + 1) / 2;
            if (nd->cum[mid] <= i) lo = mid;
            else hi = mid - 1;
        }
        i -= nd->cum[lo];
        p->idx[p->bottom] = lo;
        if ((rc = strata_tree__path_down(p, 1)) != 0) break;
    }
    if (!rc) p->idx[0] = (uint32_t)i;
    return settle(c, rc);
}

static int step(strata_tree_cursor *c, int dir)
{
    if (!c) return strata_err__set(STRATA_EINVALID, "cursor is NULL");
    if (!c->valid) return STRATA_ITEROVER;
    moved(c);
    tpath *p = &c->p;
    if (dir > 0 ? p->idx[0] + 1 < p->node[0]->n : p->idx[0] > 0) {
        p->idx[0] = dir > 0 ? p->idx[0] + 1 : p->idx[0] - 1;
        c->valid = 1;
        return 0;
    }
    int r = strata_tree__path_step_node(p, dir);
    if (r < 0) return settle(c, r);
    if (r == 0) return settle(c, STRATA_ITEROVER);
    return settle(c, 0);
}

int strata_tree__cursor_next(strata_tree_cursor *c) { return step(c, 1); }
int strata_tree__cursor_prev(strata_tree_cursor *c) { return step(c, -1); }

int strata_tree__cursor_valid(const strata_tree_cursor *c) { return c && c->valid; }

void strata_tree__cursor_key(const strata_tree_cursor *c, const void **key, size_t *klen)
{
    if (!c || !c->valid) {
        *key = NULL;
        *klen = 0;
        return;
    }
    const tnode *nd = c->p.node[0];
    *key = tnode_key(nd, c->p.idx[0]);
    *klen = nd->kx[c->p.idx[0]].len;
}

int strata_tree__cursor_value(strata_tree_cursor *c, const void **val, size_t *vlen)
{
    if (!c || !c->valid || !val || !vlen) return strata_err__set(STRATA_EINVALID, "cursor is not on an item");
    const tnode *nd = c->p.node[0];
    uint32_t i = c->p.idx[0];
    if (nd->vkind[i] == 0) {
        *val = tnode_val(nd, i);
        *vlen = nd->vlen[i];
        return 0;
    }
    if (!c->blob) {
        int rc = strata_tree__ctx_get_blob(c->p.ctx, tnode_val(nd, i), nd->vlen[i], &c->blob);
        if (rc) return rc;
    }
    *val = c->blob;
    *vlen = nd->vlen[i];
    return 0;
}

int strata_tree__cursor_index(const strata_tree_cursor *c, uint64_t *out)
{
    if (!c || !c->valid || !out) return strata_err__set(STRATA_EINVALID, "cursor is not on an item");
    uint64_t i = c->p.idx[0];
    for (int l = 1; l <= c->p.top; l++) i += c->p.node[l]->cum[c->p.idx[l]];
    *out = i;
    return 0;
}

/* ---- scans ---------------------------------------------------------------------------------- */

/* Walk from the cursor's position while the key passes `inside`, calling cb. */
typedef int (*inside_fn)(const void *key, size_t klen, const void *a, size_t alen);

static int below(const void *key, size_t klen, const void *hi, size_t hilen)
{
    return !hi || tkey_cmp(key, klen, hi, hilen) < 0;
}

static int at_least(const void *key, size_t klen, const void *lo, size_t lolen)
{
    return !lo || tkey_cmp(key, klen, lo, lolen) >= 0;
}

static int has_prefix(const void *key, size_t klen, const void *pre, size_t plen)
{
    return klen >= plen && (plen == 0 || memcmp(key, pre, plen) == 0);
}

static int run(strata_tree_cursor *c, int rc, int dir, inside_fn inside, const void *b, size_t blen,
               strata_tree_item_cb cb, void *payload)
{
    while (rc == 0) {
        const void *k, *v;
        size_t kl, vl;
        strata_tree__cursor_key(c, &k, &kl);
        if (!inside(k, kl, b, blen)) break;
        if ((rc = strata_tree__cursor_value(c, &v, &vl)) != 0) break;
        if ((rc = cb(k, kl, v, vl, payload)) != 0) break;
        rc = dir > 0 ? strata_tree__cursor_next(c) : strata_tree__cursor_prev(c);
    }
    return rc == STRATA_ITEROVER ? 0 : rc;
}

int strata_tree__scan(strata_tree_ctx *ctx, const strata_oid *root, const void *lo, size_t lolen,
                      const void *hi, size_t hilen, int reverse, strata_tree_item_cb cb,
                      void *payload)
{
    if (!cb) return strata_err__set(STRATA_EINVALID, "strata_tree__scan: NULL callback");
    strata_tree_cursor *c;
    int rc = strata_tree__cursor_open(&c, ctx, root);
    if (rc) return rc;
    if (!reverse) {
        rc = lo ? strata_tree__cursor_seek(c, lo, lolen) : strata_tree__cursor_first(c);
        rc = run(c, rc, 1, below, hi, hilen, cb, payload);
    } else {
        rc = hi ? strata_tree__cursor_seek_before(c, hi, hilen) : strata_tree__cursor_last(c);
        rc = run(c, rc, -1, at_least, lo, lolen, cb, payload);
    }
    strata_tree__cursor_free(c);
    return rc;
}

int strata_tree__scan_prefix(strata_tree_ctx *ctx, const strata_oid *root, const void *prefix,
                             size_t plen, int reverse, strata_tree_item_cb cb, void *payload)
{
    if (!cb || (!prefix && plen) || plen > STRATA_TREE_MAX_KEY)
        return strata_err__set(STRATA_EINVALID, "strata_tree__scan_prefix: bad argument");
    strata_tree_cursor *c;
    int rc = strata_tree__cursor_open(&c, ctx, root);
    if (rc) return rc;
    if (!reverse) {
        rc = strata_tree__cursor_seek(c, prefix, plen);
    } else {
        /* Start before the prefix's successor: drop trailing 0xff bytes, increment the last. */
        uint8_t succ[STRATA_TREE_MAX_KEY];
        size_t sl = plen;
        if (plen) memcpy(succ, prefix, plen);
        while (sl > 0 && succ[sl - 1] == 0xff) sl--;
        if (sl == 0) rc = strata_tree__cursor_last(c);
        else {
            succ[sl - 1]++;
            rc = strata_tree__cursor_seek_before(c, succ, sl);
        }
    }
    rc = run(c, rc, reverse ? -1 : 1, has_prefix, prefix, plen, cb, payload);
    strata_tree__cursor_free(c);
    return rc;
}
