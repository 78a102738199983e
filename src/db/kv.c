/* The db layer's narrow view of the prolly tree (src/tree): copy-out gets, batch edits, forward
 * cursors and diffs over one shared tree context. */
#include <string.h>

#include "db/db_int.h"
#include "tree/tree.h"
#include "util/error.h"
#include "util/mem.h"

int strata_db__tree_open(strata_db *db, size_t cache_bytes)
{
    return strata_tree__ctx_new(&db->tree, db->store, cache_bytes);
}

void strata_db__tree_close(strata_db *db)
{
    strata_tree__ctx_free(db->tree);
    db->tree = NULL;
}

int strata_db__tree_empty(strata_db *db, strata_oid *out) { return strata_tree__empty(db->tree, out); }

int strata_db__tree_get(strata_db *db, const strata_oid *root, const void *key, size_t klen, strata_buf *val)
{
    strata_tree_value v = {0};
    int rc = strata_tree__get(db->tree, root, key, klen, &v);
    if (rc) return rc;
    rc = strata_buf__append(val, v.data, v.len);
    strata_tree__value_release(db->tree, &v);
    return rc;
}

int strata_db__tree_apply(strata_db *db, const strata_oid *root, strata_db_edit *edits, size_t n, strata_oid *out)
{
    /* strata_db_edit has the same members in the same order as strata_tree_edit. */
    _Static_assert(sizeof(strata_db_edit) == sizeof(strata_tree_edit), "edit layouts differ");
    return strata_tree__apply(db->tree, root, (const strata_tree_edit *)(const void *)edits, n, out);
}

int strata_db__tree_count(strata_db *db, const strata_oid *root, uint64_t *out)
{
    return strata_tree__count(db->tree, root, out);
}

struct strata_db_cursor {
    strata_tree_cursor *c;
    int state; /* 0: on an item not yet returned, 1: exhausted */
};

int strata_db__cursor_open(strata_db_cursor **out, strata_db *db, const strata_oid *root)
{
    *out = NULL;
    strata_db_cursor *c = strata_mem__calloc(1, sizeof *c);
    if (!c) return STRATA_ENOMEM;
    int rc = strata_tree__cursor_open(&c->c, db->tree, root);
    if (rc) {
        strata_mem__free(c);
        return rc;
    }
    c->state = 1;
    *out = c;
    return 0;
}

int strata_db__cursor_seek(strata_db_cursor *c, const void *key, size_t klen)
{
    int rc = key ? strata_tree__cursor_seek(c->c, key, klen) : strata_tree__cursor_first(c->c);
    if (rc == STRATA_ITEROVER) {
        c->state = 1;
        return 0;
    }
    if (rc) return rc;
    c->state = 0;
    return 0;
}

int strata_db__cursor_next(strata_db_cursor *c, strata_slice *key, strata_slice *val)
{
    if (c->state == 1) return STRATA_ITEROVER;
    if (c->state == 2) {
        int rc = strata_tree__cursor_next(c->c);
        if (rc == STRATA_ITEROVER) {
            c->state = 1;
            return rc;
        }
        if (rc) return rc;
    }
    const void *k, *v;
    size_t kl, vl;
    strata_tree__cursor_key(c->c, &k, &kl);
    int rc = strata_tree__cursor_value(c->c, &v, &vl);
    if (rc) return rc;
    key->data = k;
    key->len = kl;
    val->data = v;
    val->len = vl;
    c->state = 2; /* returned: advance on the next call */
    return 0;
}

void strata_db__cursor_free(strata_db_cursor *c)
{
    if (!c) return;
    strata_tree__cursor_free(c->c);
    strata_mem__free(c);
}

typedef struct diff_ctx {
    strata_db_diff_cb cb;
    void *payload;
} diff_ctx;

static int diff_tramp(const void *key, size_t klen, const void *oldv, size_t oldlen, const void *newv,
                      size_t newlen, void *payload)
{
    diff_ctx *d = payload;
    strata_slice k = {key, klen}, o = {oldv, oldlen}, n = {newv, newlen};
    return d->cb(k, oldv ? &o : NULL, newv ? &n : NULL, d->payload);
}

int strata_db__tree_diff(strata_db *db, const strata_oid *a, const strata_oid *b, strata_db_diff_cb cb, void *payload)
{
    diff_ctx d = {cb, payload};
    return strata_tree__diff(db->tree, a, b, diff_tramp, &d);
}

/* ---- reachability, for the GC family (gc.c marks, verify.c checks) ------------------------ */

_Static_assert(STRATA_DB_TREE_SKIP == STRATA_TREE_SKIP,
               "skip constants differ");
_Static_assert(STRATA_DB_TREE_MAX_KEY == STRATA_TREE_MAX_KEY, "key limits differ");

int strata_db__tree_walk(strata_db *db, const strata_oid *root, strata_db_visit_cb visit, void *payload)
{
    return strata_tree__walk(db->tree, root, visit, payload);
}

int strata_db__tree_walk_pruned(strata_db *db, const strata_oid *root, strata_db_visit_cb visit,
                                strata_db_leaf_cb leaf, void *payload)
{
    return strata_tree__walk_pruned(db->tree, root, visit, leaf, payload);
}

/* ---- positioned cursor moves (query.c) ------------------------------------------------------ */

int strata_db__cursor_move(strata_db_cursor *c, int how, const void *key, size_t klen)
{
    switch (how) {
    case STRATA_DB_FIRST: return strata_tree__cursor_first(c->c);
    case STRATA_DB_LAST: return strata_tree__cursor_last(c->c);
    case STRATA_DB_SEEK: return strata_tree__cursor_seek(c->c, key, klen);
    case STRATA_DB_SEEK_BEFORE: return strata_tree__cursor_seek_before(c->c, key, klen);
    case STRATA_DB_NEXT: return strata_tree__cursor_next(c->c);
    case STRATA_DB_PREV: return strata_tree__cursor_prev(c->c);
    default: return strata_err__set(STRATA_EINVALID, "internal: unknown cursor move %d", how);
    }
}

int strata_db__cursor_seek_index(strata_db_cursor *c, uint64_t index)
{
    return strata_tree__cursor_seek_index(c->c, index);
}

void strata_db__cursor_key(const strata_db_cursor *c, strata_slice *key)
{
    strata_tree__cursor_key(c->c, &key->data, &key->len);
}

int strata_db__cursor_value(strata_db_cursor *c, strata_slice *val)
{
    return strata_tree__cursor_value(c->c, &val->data, &val->len);
}

int strata_db__cursor_index(const strata_db_cursor *c, uint64_t *out) { return strata_tree__cursor_index(c->c, out); }
