/* Walks over the objects of a prolly tree: every node and blob reachable from a root, a node
 * before its children, shared subtrees once per reference. One walker serves two callers:
 *  - strata_tree__walk reads each node through the node cache, with the full parent/child check
 *    of strata_tree__node_load_child, and visits it once read (verify: a node that cannot be
 *    read stops the walk with the error instead of being visited);
 *  - strata_tree__walk_pruned visits a node before reading it, so that the visitor can skip a
 *    subtree it has seen without reading it (history shares most nodes between versions), reads
 *    nodes straight from the store (a GC walk over all of history would only evict the cache's
 *    working set), and can hand every leaf item to a second callback (GC's mark phase). */
#include "tree/tree_int.h"
#include "util/error.h"
#include "util/mem.h"

typedef struct walker {
    strata_tree_ctx *ctx;
    strata_tree_visit_cb visit;
    strata_tree_leaf_cb leaf; /* may be NULL */
    void *payload;
    int pruned;               /* visit before reading, read around the cache */
} walker;

/* Load and decode node `oid` straight from the store, leaving the node cache alone. */
static int load_uncached(strata_tree_ctx *ctx, const strata_oid *oid, tnode **out)
{
    uint8_t type, *data = NULL;
    size_t len;
    int rc = strata_store__get(strata_tree__ctx_store(ctx), oid, &type, &data, &len);
    if (rc) return rc;
    if (type != STRATA_TREE_NODE_TYPE) {
        strata_mem__free(data);
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ECORRUPT, "object %s is not a tree node (type %u)", hex, type);
    }
    return strata_tree__node_decode(out, oid, data, len);
}

/* Visit and read node `oid` (child `pi` of `parent`, or the root when parent is NULL), then
 * walk its items. */
static int walk_node(walker *w, const strata_oid *oid, const tnode *parent, uint32_t pi)
{
    tnode *nd;
    int rc;
    if (w->pruned) {
        rc = w->visit(oid, STRATA_TREE_NODE_TYPE, w->payload);
        if (rc == STRATA_TREE_SKIP) return 0;
        if (rc) return rc;
        if ((rc = load_uncached(w->ctx, oid, &nd))) return rc;
        if (parent && nd->level + 1 != parent->level) {
            rc = strata_err__set(STRATA_ECORRUPT, "tree node at level %u where level %d was expected",
                                 nd->level, parent->level - 1);
            goto done;
        }
    } else {
        rc = parent ? strata_tree__node_load_child(w->ctx, parent, pi, &nd) : strata_tree__node_load(w->ctx, oid, &nd);
        if (rc) return rc;
        rc = w->visit(&nd->oid, STRATA_TREE_NODE_TYPE, w->payload);
        if (rc) {
            if (rc == STRATA_TREE_SKIP) rc = 0;
            goto done;
        }
    }
    for (uint32_t i = 0; i < nd->n && !rc; i++) {
        if (nd->level) {
            rc = walk_node(w, tnode_child(nd, i), nd, i);
            continue;
        }
        if (nd->vkind[i]) {
            strata_oid b;
            memcpy(b.id, tnode_val(nd, i), STRATA_OID_SIZE);
            rc = w->visit(&b, STRATA_TREE_BLOB_TYPE, w->payload);
            if (rc == STRATA_TREE_SKIP) rc = 0;
        }
        if (!rc && w->leaf)
            rc = w->leaf(tnode_key(nd, i), nd->kx[i].len, tnode_val(nd, i),
                         nd->vkind[i] ? STRATA_OID_SIZE : nd->vlen[i], nd->vkind[i], w->payload);
    }
done:
    strata_tree__node_unpin(nd);
    return rc;
}

int strata_tree__walk(strata_tree_ctx *ctx, const strata_oid *root, strata_tree_visit_cb visit,
                      void *payload)
{
    if (!ctx || !root || !visit)
        return strata_err__set(STRATA_EINVALID, "strata_tree__walk: NULL argument");
    walker w = {ctx, visit, NULL, payload, 0};
    return walk_node(&w, root, NULL, 0);
}

int strata_tree__walk_pruned(strata_tree_ctx *ctx, const strata_oid *root,
                             strata_tree_visit_cb visit, strata_tree_leaf_cb leaf, void *payload)
{
    if (!ctx || !root || !visit)
        return strata_err__set(STRATA_EINVALID, "strata_tree__walk_pruned: NULL argument");
    walker w = {ctx, visit, leaf, payload, 1};
    return walk_node(&w, root, NULL, 0);
}
