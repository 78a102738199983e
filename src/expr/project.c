/* Projection: builds a new encoded map holding only the projected paths of an item. The paths
 * of a projection expression are merged into a small trie at parse time; applying it walks the
 * trie and the item together and writes the result with src/doc's builder. Like DynamoDB, a
 * path that does not exist contributes nothing (no empty parent containers), and projected
 * list elements are gathered into a list in index order: `a[3], a[1]` gives [a1, a3]. */
#include "expr/expr_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

/* A trie node: one path step and the steps below it. A leaf is a projected path's end. */
typedef struct xproj {
    strata_doc_step step;     /* the step leading here (unused at the root) */
    int leaf;                 /* a projected path ends here (then it has no children) */
    struct xproj **kids;      /* children; index steps sorted ascending after building */
    uint32_t nkids, cap;
} xproj;

static int same_step(const strata_doc_step *a, const strata_doc_step *b)
{
    if (!a->name != !b->name) return 0;
    if (a->name) return a->len == b->len && memcmp(a->name, b->name, a->len) == 0;
    return a->index == b->index;
}

static int add_path(strata_expr_arena *ar, xproj *root, const xpath *p)
{
    xproj *t = root;
    for (uint32_t i = 0; i < p->n; i++) {
        xproj *k = NULL;
        for (uint32_t j = 0; j < t->nkids; j++)
            if (same_step(&t->kids[j]->step, &p->seg[i])) { k = t->kids[j]; break; }
        if (!k) {
            if (t->nkids == t->cap) {
                uint32_t cap = t->cap ? t->cap * 2 : 4;
                xproj **kids = strata_expr__arena_alloc(ar, cap * sizeof *kids);
                if (!kids) return STRATA_ENOMEM;
                if (t->nkids) memcpy(kids, t->kids, t->nkids * sizeof *kids);
                t->kids = kids;
                t->cap = cap;
            }
            if (!(k = strata_expr__arena_alloc(ar, sizeof *k))) return STRATA_ENOMEM;
            k->step = p->seg[i];
            t->kids[t->nkids++] = k;
        }
        t = k;
    }
    t->leaf = 1;
    return 0;
}

static int kid_cmp(const void *x, const void *y)
{
    const xproj *a = *(const xproj *const *)x, *b = *(const xproj *const *)y;
    if (!a->step.name && !b->step.name) return a->step.index < b->step.index ? -1 : a->step.index > b->step.index;
    return !a->step.name ? -1 : !b->step.name ? 1 : 0; /* index steps first; key order is the builder's */
}

static void sort_trie(xproj *t)
{
    if (t->nkids > 1) qsort(t->kids, t->nkids, sizeof *t->kids, kid_cmp);
    for (uint32_t i = 0; i < t->nkids; i++) sort_trie(t->kids[i]);
}

int strata_expr__proj_build(strata_expr *e)
{
    xproj *root = strata_expr__arena_alloc(&e->arena, sizeof *root);
    if (!root) return STRATA_ENOMEM;
    for (uint32_t i = 0; i < e->npaths; i++) {
        int rc = add_path(&e->arena, root, e->paths[i]);
        if (rc) return rc;
    }
    sort_trie(root);
    e->proj = root;
    return 0;
}

/* The sub-value of v at one step, or not found. */
static int step_into(strata_slice v, const strata_doc_step *s, strata_slice *out)
{
    return strata_doc__lookup(v, s, 1, out);
}

/* Does anything below trie node t exist in value v? 1, 0 or a negative error. */
static int any_present(const xproj *t, strata_slice v)
{
    if (t->leaf) return 1;
    for (uint32_t i = 0; i < t->nkids; i++) {
        strata_slice sub;
        int rc = step_into(v, &t->kids[i]->step, &sub);
        if (rc == STRATA_ENOTFOUND) continue;
        if (rc) return rc;
        if ((rc = any_present(t->kids[i], sub)) != 0) return rc;
    }
    return 0;
}

/* Write the projection of v under trie node t (which has at least one present descendant).
 * A leaf copies v; an inner node writes a map of its key children or a list of its index
 * children, depending on v's type. */
static int emit(strata_doc_builder *b, const xproj *t, strata_slice v)
{
    if (t->leaf) return strata_doc__b_value(b, v);
    int is_list = strata_doc__type(v) == STRATA_DOC_LIST;
    int rc = strata_doc__b_begin(b, is_list ? STRATA_DOC_LIST : STRATA_DOC_MAP);
    for (uint32_t i = 0; !rc && i < t->nkids; i++) {
        const xproj *k = t->kids[i];
        if ((k->step.name == NULL) != is_list) continue;
        strata_slice sub;
        int r = step_into(v, &k->step, &sub);
        if (r == STRATA_ENOTFOUND) continue;
        if (r) return r;
        if ((r = any_present(k, sub)) < 0) return r;
        if (!r) continue;
        if (!is_list) rc = strata_doc__b_key(b, k->step.name, k->step.len);
        if (!rc) rc = emit(b, k, sub);
    }
    if (!rc) rc = strata_doc__b_end(b);
    return rc;
}

int strata_expr__project(strata_buf *out, const strata_expr *e, strata_slice item)
{
    if (!out || !e || e->kind != STRATA_EXPR_PROJECTION || !e->proj)
        return strata_err__set(STRATA_EINVALID, "project: need an output buffer and a projection expression");
    if (item.len && !item.data) return strata_err__set(STRATA_EINVALID, "project: item data is NULL");
    if (item.len && strata_doc__type(item) != STRATA_DOC_MAP)
        return strata_err__set(STRATA_EINVALID, "project: the item is not a map");
    strata_doc_builder *b = NULL;
    int rc = strata_doc__builder_new(&b);
    if (rc) return rc;
    int any = 0;
    if (item.len) {
        rc = any_present(e->proj, item);
        any = rc == 1;
        if (rc == 1) rc = 0;
    }
    if (!rc && any) rc = emit(b, e->proj, item);
    else if (!rc) { /* nothing projected: an empty map */
        rc = strata_doc__b_begin(b, STRATA_DOC_MAP);
        if (!rc) rc = strata_doc__b_end(b);
    }
    strata_slice v;
    if (!rc) rc = strata_doc__builder_finish(b, &v);
    if (!rc) rc = strata_buf__append(out, v.data, v.len);
    strata_doc__builder_free(b);
    return rc;
}
