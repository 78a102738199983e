/* The prolly tree (src/tree): an ordered map from byte keys to byte values, stored as immutable,
 * content-addressed nodes in the object store. Node boundaries are chosen by the content
 * (docs/tree.md), so the same set of items always gives the same root digest, a change rewrites
 * only the path from a leaf to the root, and two versions can be diffed in time proportional to
 * their differences.
 *
 * A tree is named by its root digest (a strata_oid); trees are values, never mutated: an edit
 * produces a new root and shares every untouched node with the old one.
 *
 * Threading: a strata_tree_ctx (store + decoded-node cache) may be shared by any number of
 * threads; every function below may run concurrently with any other on the same ctx. A cursor
 * belongs to one thread at a time.
 *
 * Memory: values and keys handed out are BORROWED from decoded nodes that the caller pins:
 *  - strata_tree__get fills a strata_tree_value whose bytes stay valid until
 *    strata_tree__value_release (zero copy for inline values; a large value kept as a separate
 *    blob object is fetched into memory owned by the strata_tree_value);
 *  - cursor keys and values stay valid until the cursor moves or is freed;
 *  - callbacks (scan, diff) get bytes valid only during the call.
 */
#ifndef STRATA_TREE_H
#define STRATA_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "strata.h"

/* Object type bytes in the store. */
#define STRATA_TREE_NODE_TYPE ((uint8_t)'N') /* a tree node (docs/format.md) */
#define STRATA_TREE_BLOB_TYPE ((uint8_t)'B') /* a value too large to keep inline */

/* Limits (part of the format): keys are 0..STRATA_TREE_MAX_KEY bytes; values longer than
 * STRATA_TREE_INLINE_MAX bytes are stored as a separate 'B' object; values are at most
 * STRATA_TREE_MAX_VALUE bytes. */
#define STRATA_TREE_MAX_KEY 2048u
#define STRATA_TREE_INLINE_MAX 1024u
#define STRATA_TREE_MAX_VALUE 0x7fffffffu

/* Store + decoded-node cache, shared by threads. */
typedef struct strata_tree_ctx strata_tree_ctx;

/* Create a context over `store` (borrowed: it must outlive the context) with a cache of decoded
 * nodes of at most about `cache_bytes` bytes (0 disables caching). Errors: STRATA_EINVALID,
 * STRATA_ENOMEM. */
int strata_tree__ctx_new(strata_tree_ctx **out, strata_store *store, size_t cache_bytes);

/* Free the context and its cache. Every cursor and value from it must have been released.
 * NULL is fine. */
void strata_tree__ctx_free(strata_tree_ctx *ctx);

/* Cache statistics (for tests and benchmarks): hits, misses, bytes currently held. */
typedef struct strata_tree_stats {
    uint64_t hits, misses;      /* node lookups served from the cache / from the store */
    uint64_t cached_bytes;      /* bytes of decoded nodes held now */
    uint64_t nodes_written;     /* nodes put to the store by apply (new or not) */
    uint64_t node_bytes_written;/* payload bytes of those nodes */
} strata_tree_stats;
void strata_tree__stats(strata_tree_ctx *ctx, strata_tree_stats *out);

/* The root of the empty tree (an empty leaf node, written to the store). */
int strata_tree__empty(strata_tree_ctx *ctx, strata_oid *out);

/* ---- point reads ------------------------------------------------------------------------ */

/* A value borrowed from the tree. Release every successful get with strata_tree__value_release. */
typedef struct strata_tree_value {
    const void *data; /* the value's bytes (never NULL after a successful get) */
    size_t len;
    void *pin_;       /* internal: the pinned leaf node */
    void *owned_;     /* internal: a fetched blob, owned */
} strata_tree_value;

/* Look `key` up in the tree `root`. On success *out holds the value (borrowed, see above).
 * Errors: STRATA_ENOTFOUND (no such key; *out is then empty and need not be released),
 * STRATA_EINVALID, STRATA_ECORRUPT, STRATA_EIO, STRATA_ENOMEM. */
int strata_tree__get(strata_tree_ctx *ctx, const strata_oid *root, const void *key, size_t klen,
                     strata_tree_value *out);

/* Release a value filled by strata_tree__get (a zeroed or already released value is fine). */
void strata_tree__value_release(strata_tree_ctx *ctx, strata_tree_value *v);

/* Number of items in the tree, in O(1) node reads. */
int strata_tree__count(strata_tree_ctx *ctx, const strata_oid *root, uint64_t *out);

/* ---- batch edits ------------------------------------------------------------------------ */

/* One edit: put key → val (del == 0) or delete key (del != 0; val ignored). */
typedef struct strata_tree_edit {
    const void *key;
    size_t klen;
    const void *val;
    size_t vlen;
    int del;
} strata_tree_edit;

/* Apply `n` edits (any order; when a key appears several times the later edit wins; deleting a
 * missing key is a no-op) to the tree `root` and store the result: *out receives the new root.
 * Only nodes on the paths touched are written (O(changes × log n)); `edits` is not modified;
 * `out` may point at `root`.
 * Nothing is published: call strata_store__publish to make the root durable.
 * Bad input (key or value too long, NULL pointers with nonzero lengths) is STRATA_EINVALID /
 * STRATA_ELIMIT before anything is written. Other errors: STRATA_ECORRUPT, STRATA_EIO,
 * STRATA_ENOMEM (objects already written are then unreachable garbage, never a changed tree). */
int strata_tree__apply(strata_tree_ctx *ctx, const strata_oid *root, const strata_tree_edit *edits,
                       size_t n, strata_oid *out);

/* ---- cursors ---------------------------------------------------------------------------- */

typedef struct strata_tree_cursor strata_tree_cursor;

/* Open a cursor over the tree `root`, positioned nowhere (call first/last/seek). Errors:
 * STRATA_EINVALID, STRATA_ENOMEM, and read errors of the root node. */
int strata_tree__cursor_open(strata_tree_cursor **out, strata_tree_ctx *ctx, const strata_oid *root);
void strata_tree__cursor_free(strata_tree_cursor *c);

/* Positioning. Each returns 0 when the cursor is on an item, STRATA_ITEROVER when there is no
 * such item (the cursor is then invalid), or an error. */
int strata_tree__cursor_first(strata_tree_cursor *c);
int strata_tree__cursor_last(strata_tree_cursor *c);
/* First item with key >= `key`. */
int strata_tree__cursor_seek(strata_tree_cursor *c, const void *key, size_t klen);
/* Last item with key < `key` (for backward ranges with an exclusive upper bound). */
int strata_tree__cursor_seek_before(strata_tree_cursor *c, const void *key, size_t klen);
/* The item at 0-based position `i` in key order, in O(log n). */
int strata_tree__cursor_seek_index(strata_tree_cursor *c, uint64_t i);
/* Move to the next / previous item; STRATA_ITEROVER past either end (then invalid). */
int strata_tree__cursor_next(strata_tree_cursor *c);
int strata_tree__cursor_prev(strata_tree_cursor *c);

/* 1 when the cursor is on an item. */
int strata_tree__cursor_valid(const strata_tree_cursor *c);
/* The current key (borrowed until the cursor moves). The cursor must be valid. */
void strata_tree__cursor_key(const strata_tree_cursor *c, const void **key, size_t *klen);
/* The current value (borrowed until the cursor moves; a blob is fetched on first access).
 * Errors: STRATA_EINVALID (not valid), read errors of the blob. */
int strata_tree__cursor_value(strata_tree_cursor *c, const void **val, size_t *vlen);
/* 0-based position of the current item in key order, in O(height). */
int strata_tree__cursor_index(const strata_tree_cursor *c, uint64_t *out);

/* ---- ranges ----------------------------------------------------------------------------- */

/* Item callback: return 0 to go on, anything else to stop (and have the scan return it). */
typedef int (*strata_tree_item_cb)(const void *key, size_t klen, const void *val, size_t vlen,
                                   void *payload);

/* Visit the items with lo <= key < hi in ascending order, or descending when `reverse`.
 * lo == NULL means from the first key; hi == NULL means to the last. */
int strata_tree__scan(strata_tree_ctx *ctx, const strata_oid *root, const void *lo, size_t lolen,
                      const void *hi, size_t hilen, int reverse, strata_tree_item_cb cb,
                      void *payload);

/* Visit the items whose key starts with `prefix` (ascending, or descending when `reverse`). */
int strata_tree__scan_prefix(strata_tree_ctx *ctx, const strata_oid *root, const void *prefix,
                             size_t plen, int reverse, strata_tree_item_cb cb, void *payload);

/* ---- diff ------------------------------------------------------------------------------- */

/* Diff callback: old == NULL when the key was added, new == NULL when it was deleted, both set
 * when the value changed. Return nonzero to stop (the diff returns that value). */
typedef int (*strata_tree_diff_cb)(const void *key, size_t klen, const void *oldv, size_t oldlen,
                                   const void *newv, size_t newlen, void *payload);

/* Report every difference from tree `a` to tree `b` in ascending key order. Subtrees whose
 * digests are equal on both sides are skipped without being read, so the cost follows the
 * number of changes, not the size of the trees. */
int strata_tree__diff(strata_tree_ctx *ctx, const strata_oid *a, const strata_oid *b,
                      strata_tree_diff_cb cb, void *payload);

/* ---- reachability (walk.c) ---------------------------------------------------------------- */

/* A visitor for the walks: called with each node (type STRATA_TREE_NODE_TYPE) and each blob
 * (STRATA_TREE_BLOB_TYPE) reachable from the root, a node before its children, shared subtrees
 * once per reference. It returns 0 to go on, STRATA_TREE_SKIP on a node to skip its children
 * and blobs (ignored for a blob), or anything else to stop the walk (returned). */
#define STRATA_TREE_SKIP 1
typedef int (*strata_tree_visit_cb)(const strata_oid *oid, uint8_t type, void *payload);
/* For every item of every leaf a pruned walk descends into: the key and either the inline value
 * (blob = 0) or the 32-byte blob digest (blob = 1); nonzero stops the walk (returned). */
typedef int (*strata_tree_leaf_cb)(const void *key, size_t klen, const void *val, size_t vlen, int blob,
                                   void *payload);

/* Walk every object reachable from `root`. Nodes are read through the node cache and checked
 * against their parents; each is visited once read (a node that cannot be read ends the walk
 * with that error). */
int strata_tree__walk(strata_tree_ctx *ctx, const strata_oid *root, strata_tree_visit_cb visit,
                      void *payload);

/* The pruning walk (garbage collection's mark phase): each node is visited before it is read,
 * so STRATA_TREE_SKIP skips its subtree unread; nodes are read from the store, not the node
 * cache; `leaf` (may be NULL) gets every leaf item descended into. */
int strata_tree__walk_pruned(strata_tree_ctx *ctx, const strata_oid *root, strata_tree_visit_cb visit,
                             strata_tree_leaf_cb leaf, void *payload);

#endif
