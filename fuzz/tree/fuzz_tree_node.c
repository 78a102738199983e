/* Fuzz target: prolly-tree node decoding. Any byte string must either decode into a node whose
 * offsets all lie inside the payload with strictly ascending keys, or fail with STRATA_ECORRUPT /
 * STRATA_EVERSION (never crash, leak or read out of bounds). A decoded node is then searched. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree_int.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *raw = strata_mem__alloc(size ? size : 1);
    if (!raw) return 0;
    if (size) memcpy(raw, data, size);
    tnode *nd = NULL;
    int rc = strata_tree__node_decode(&nd, NULL, raw, size);
    if (rc) {
        if (rc != STRATA_ECORRUPT && rc != STRATA_EVERSION && rc != STRATA_ENOMEM) abort();
        return 0;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < nd->n; i++) {
        if (nd->ioff[i] >= nd->ioff[i + 1] || nd->ioff[i + 1] > nd->rawlen) abort();
        if ((size_t)nd->kx[i].off + nd->kx[i].len > nd->rawlen) abort();
        size_t span = nd->level ? STRATA_OID_SIZE : nd->vkind[i] ? STRATA_OID_SIZE : nd->vlen[i];
        if ((size_t)nd->voff[i] + span > nd->rawlen) abort();
        if (i && tkey_cmp(tnode_key(nd, i - 1), nd->kx[i - 1].len, tnode_key(nd, i), nd->kx[i].len) >= 0) abort();
        if (strata_tree__node_search(nd, tnode_key(nd, i), nd->kx[i].len) != i) abort();
        total += tnode_count(nd, i);
    }
    if (total != nd->total) abort();
    /* searches for keys around the node's own */
    if (size > 4) (void)strata_tree__node_search(nd, data + 3, size > 12 ? 9 : size - 3);
    strata_tree__node_free(nd);
    return 0;
}
