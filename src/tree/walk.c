/* A pruning walk over the objects of a prolly tree, for the mark phase of garbage collection:
 * the caller decides at each node whether to descend, so a subtree already seen (history shares
 * most nodes between versions) is skipped without being read. */
#include "tree/tree_int.h"
#include "util/error.h"
#include "util/mem.h"

/* Load and decode node `oid` straight from the store (the node cache is left alone: a GC walk
 * over all of history would only evict the working set). */
static int load_uncached(strata_tree_ctx *ctx, const strata_oid *oid, tnode **out)
{
    uint8_t type, *data = NULL;
    size_t len;
    int rc = strata_store__get(tctx_store(ctx), oid, &type, &data, &len);
    if (rc) return rc;
    if (type != STRATA_TREE_NODE_TYPE) {
        strata_mem__free(data);
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ECORRUPT, "object %s is not a tree node (type %u)", hex, type);
    }
    return tnode_decode(out, oid, data, len);
}

static int walk_pruned(strata_tree_ctx *ctx, const strata_oid *oid, int level_expect,
                       strata_tree_visit_cb visit, strata_tree_leaf_cb leaf, void *payload)
{
    int rc = visit(oid, STRATA_TREE_NODE_TYPE, payload);
    if (rc == STRATA_TREE_SKIP) return 0;
    if (rc) return rc;
    tnode *nd;
    if ((rc = load_uncached(ctx, oid, &nd))) return rc;
    if (level_expect >= 0 && nd->level != level_expect) {
        tnode_unpin(nd);
        return strata_err__set(STRATA_ECORRUPT, "tree node at level %u where level %d was expected", nd->level,
                               level_expect);
    }
    for (uint32_t i = 0; i < nd->n && !rc; i++) {
        if (nd->level) {
            rc = walk_pruned(ctx, tnode_child(nd, i), nd->level - 1, visit, leaf, payload);
        } else {
            if (nd->vkind[i]) {
                strata_oid b;
                memcpy(b.id, tnode_val(nd, i), STRATA_OID_SIZE);
                rc = visit(&b, STRATA_TREE_BLOB_TYPE, payload);
                if (rc == STRATA_TREE_SKIP) rc = 0;
            }
            if (!rc && leaf)
                rc = leaf(tnode_key(nd, i), nd->kx[i].len, tnode_val(nd, i),
                          nd->vkind[i] ? STRATA_OID_SIZE : nd->vlen[i], nd->vkind[i], payload);
        }
    }
    tnode_unpin(nd);
    return rc;
}

int strata_tree__walk_pruned(strata_tree_ctx *ctx, const strata_oid *root, strata_tree_visit_cb visit,
                             strata_tree_leaf_cb leaf, void *payload)
{
    if (!ctx || !root || !visit)
        return strata_err__set(STRATA_EINVALID, "strata_tree__walk_pruned: NULL argument");
    return walk_pruned(ctx, root, -1, visit, leaf, payload);
}
