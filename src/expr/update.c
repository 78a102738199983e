/* Update evaluation: applies a parsed update expression to an encoded item and produces the new
 * encoded item through src/doc's edit helpers, with DynamoDB's rules.
 *
 * How an update is applied (and why in this order):
 *  1. Every right-hand side (SET values, ADD/DELETE results) is computed against the ORIGINAL
 *     item, as DynamoDB does: `SET a = b, b = a` swaps. Results that are new values (sums, list
 *     concatenations, set unions) live in a scratch arena for the duration of the call.
 *  2. SET, ADD and DELETE writes are applied in text order with strata_doc__edit_set. Paths
 *     never overlap (the parser refuses it), so their order only matters for list appends,
 *     which then happen in text order.
 *  3. REMOVE (and DELETE that empties a set) run last, in descending path order, so that several
 *     removals from one list use the indexes of the original list: REMOVE a[1], a[3] removes
 *     the original second and fourth elements.
 * Each edit copies the item once (O(actions x item size)); items are bounded in size, and this
 * keeps the canonical encoding the only representation. On any error nothing is appended. */
#include "expr/expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

typedef struct xupd {
    strata_slice item;          /* the original item (a map) */
    strata_expr_arena scratch;  /* computed values */
    const xaction *act;         /* action being evaluated (for messages) */
} xupd;

static int uerr(xupd *u, const char *fmt, const char *detail) __attribute__((format(printf, 2, 0)));

/* "update expression: <ACTION> <path>: <message>" as STRATA_EINVALID. */
static int uerr(xupd *u, const char *fmt, const char *detail)
{
    static const char *const names[5] = {"", "SET", "REMOVE", "ADD", "DELETE"};
    char path[160];
    strata_expr__path_fmt(path, sizeof path, u->act->path);
    char msg[400];
    snprintf(msg, sizeof msg, fmt, detail ? detail : "");
    return strata_err__set(STRATA_EINVALID, "update expression: %s %s: %s", names[u->act->kind], path, msg);
}

/* Keep a computed value: move buf's bytes into the scratch arena and return the slice. */
static int keep(xupd *u, strata_buf *buf, strata_slice *out)
{
    void *p = strata_expr__arena_dup(&u->scratch, buf->data, buf->len);
    size_t n = buf->len;
    strata_buf__free(buf);
    if (!p) return STRATA_ENOMEM;
    out->data = p;
    out->len = n;
    return 0;
}

static int lookup(xupd *u, const xpath *p, strata_slice *out, int *present)
{
    *present = 0;
    int rc = strata_doc__lookup(u->item, p->seg, p->n, out);
    if (rc == STRATA_ENOTFOUND) return 0;
    if (rc) return rc;
    *present = 1;
    return 0;
}

/* Evaluate a SET operand to an encoded value. Missing attributes are errors (DynamoDB: "The
 * provided expression refers to an attribute that does not exist in the item"). */
static int value(xupd *u, const xnode *n, strata_slice *out)
{
    int rc, present;
    strata_slice a, b;
    strata_buf buf = {0};
    char path[160];
    switch (n->kind) {
    case XN_CONST:
        *out = n->value;
        return 0;
    case XN_PATH:
        if ((rc = lookup(u, n->path, out, &present)) != 0) return rc;
        if (!present) {
            strata_expr__path_fmt(path, sizeof path, n->path);
            return uerr(u, "the attribute %s referred to by the expression does not exist in the item", path);
        }
        return 0;
    case XN_IF_NOT_EXISTS:
        if ((rc = lookup(u, n->path, out, &present)) != 0 || present) return rc;
        return value(u, n->b, out);
    case XN_PLUS:
    case XN_MINUS:
        if ((rc = value(u, n->a, &a)) != 0 || (rc = value(u, n->b, &b)) != 0) return rc;
        if (strata_expr__vtype(a) != XV_N || strata_expr__vtype(b) != XV_N)
            return uerr(u, "an operand of '%s' is not a number", n->kind == XN_PLUS ? "+" : "-");
        rc = strata_doc__number_add(&buf, a, b, n->kind == XN_MINUS);
        if (rc == STRATA_EINVALID) {
            strata_buf__free(&buf);
            return uerr(u, "%s", strata_error_last()->message);
        }
        break;
    case XN_LIST_APPEND:
        if ((rc = value(u, n->a, &a)) != 0 || (rc = value(u, n->b, &b)) != 0) return rc;
        if (strata_expr__vtype(a) != XV_L || strata_expr__vtype(b) != XV_L)
            return uerr(u, "an operand of list_append is not a list%s", NULL);
        rc = strata_doc__list_concat(&buf, a, b);
        break;
    default:
        return strata_err__set(STRATA_EINVALID, "update expression: node %d is not a value", (int)n->kind);
    }
    if (rc) {
        strata_buf__free(&buf);
        return rc;
    }
    return keep(u, &buf, out);
}

static int set_type_matches(xtype set, xtype other)
{
    return set == other;
}

/* ADD: number + number, set ∪ set, or the value itself when the attribute is missing. */
static int add_value(xupd *u, const xaction *act, strata_slice *out)
{
    strata_slice cur;
    int present, rc = lookup(u, act->path, &cur, &present);
    if (rc) return rc;
    strata_slice v = act->value->value;
    if (!present) {
        *out = v;
        return 0;
    }
    xtype tc = strata_expr__vtype(cur), tv = strata_expr__vtype(v);
    strata_buf buf = {0};
    if (tv == XV_N) {
        if (tc != XV_N)
            return uerr(u, "ADD of a number to an attribute of type %s (it must be a number)", strata_expr__type_name(tc));
        rc = strata_doc__number_add(&buf, cur, v, 0);
        if (rc == STRATA_EINVALID) {
            strata_buf__free(&buf);
            return uerr(u, "%s", strata_error_last()->message);
        }
    } else {
        if (!set_type_matches(tc, tv))
            return uerr(u, "ADD of a set to an attribute of another type (%s)", strata_expr__type_name(tc));
        rc = strata_doc__set_union(&buf, cur, v);
    }
    if (rc) {
        strata_buf__free(&buf);
        return rc;
    }
    return keep(u, &buf, out);
}

/* DELETE: set \ set. *skip when the attribute is missing, *empty when the result is empty. */
static int delete_value(xupd *u, const xaction *act, strata_slice *out, int *skip, int *empty)
{
    strata_slice cur;
    int present, rc = lookup(u, act->path, &cur, &present);
    *skip = *empty = 0;
    if (rc) return rc;
    if (!present) {
        *skip = 1;
        return 0;
    }
    xtype tc = strata_expr__vtype(cur), tv = strata_expr__vtype(act->value->value);
    if (!set_type_matches(tc, tv))
        return uerr(u, "DELETE of a set from an attribute of another type (%s)", strata_expr__type_name(tc));
    strata_buf buf = {0};
    rc = strata_doc__set_difference(&buf, cur, act->value->value, empty);
    if (rc || *empty) {
        strata_buf__free(&buf);
        return rc;
    }
    return keep(u, &buf, out);
}

/* Order paths for removal: descending, list indexes numerically (so higher indexes of one list
 * are removed first). */
static int path_cmp_desc(const void *x, const void *y)
{
    const xpath *a = *(const xpath *const *)x, *b = *(const xpath *const *)y;
    uint32_t n = a->n < b->n ? a->n : b->n;
    for (uint32_t i = 0; i < n; i++) {
        const strata_doc_step *s = &a->seg[i], *t = &b->seg[i];
        int c;
        if (!s->name != !t->name) c = s->name ? 1 : -1;
        else if (s->name) {
            size_t m = s->len < t->len ? s->len : t->len;
            c = memcmp(s->name, t->name, m);
            if (!c) c = s->len < t->len ? -1 : s->len > t->len;
        } else c = s->index < t->index ? -1 : s->index > t->index;
        if (c) return -c;
    }
    return a->n < b->n ? 1 : a->n > b->n ? -1 : 0;
}

/* Replace *cur (held in *hold) by the result of one edit. */
static int apply_set(xupd *u, strata_buf *hold, strata_slice *cur, const xpath *p, strata_slice v)
{
    strata_buf next = {0};
    int rc = strata_doc__edit_set(&next, *cur, p->seg, p->n, v);
    if (rc) {
        strata_buf__free(&next);
        if (rc == STRATA_ENOTFOUND || rc == STRATA_EINVALID)
            return uerr(u, "the document path is invalid for update (%s)", strata_error_last()->message);
        return rc;
    }
    strata_buf__free(hold);
    *hold = next;
    cur->data = hold->data;
    cur->len = hold->len;
    return 0;
}

int strata_expr__update(strata_buf *out, const strata_expr *e, strata_slice item)
{
    if (!out || !e || e->kind != STRATA_EXPR_UPDATE)
        return strata_err__set(STRATA_EINVALID, "update: need an output buffer and an update expression");
    if (item.len && !item.data) return strata_err__set(STRATA_EINVALID, "update: item data is NULL");
    xupd u = {.item = item};
    strata_buf hold = {0};
    strata_slice *vals = NULL;
    const xpath **removes = NULL;
    uint8_t *skip = NULL;
    strata_doc_builder *b = NULL;
    int rc = 0;
    if (item.len == 0) {
        strata_slice empty;
        if ((rc = strata_doc__builder_new(&b)) != 0 || (rc = strata_doc__b_begin(b, STRATA_DOC_MAP)) != 0 ||
            (rc = strata_doc__b_end(b)) != 0 || (rc = strata_doc__builder_finish(b, &empty)) != 0)
            goto done;
        u.item = empty;
    } else if (strata_doc__type(item) != STRATA_DOC_MAP) {
        rc = strata_err__set(STRATA_EINVALID, "update: the item is not a map");
        goto done;
    }
    uint32_t n = e->nactions, nrem = 0;
    vals = strata_mem__calloc(n ? n : 1, sizeof *vals);
    removes = strata_mem__calloc(n ? n : 1, sizeof *removes);
    skip = strata_mem__calloc(n ? n : 1, 1);
    if (!vals || !removes || !skip) {
        rc = STRATA_ENOMEM;
        goto done;
    }
    /* 1. right-hand sides against the original item */
    for (uint32_t i = 0; i < n; i++) {
        const xaction *a = &e->actions[i];
        u.act = a;
        int empty = 0, sk = 0;
        switch (a->kind) {
        case XA_SET: rc = value(&u, a->value, &vals[i]); break;
        case XA_ADD: rc = add_value(&u, a, &vals[i]); break;
        case XA_DELETE:
            rc = delete_value(&u, a, &vals[i], &sk, &empty);
            if (empty) removes[nrem++] = a->path;
            skip[i] = (uint8_t)(sk || empty);
            break;
        default:
            removes[nrem++] = a->path;
            skip[i] = 1;
            break;
        }
        if (rc) goto done;
    }
    /* 2. writes in text order */
    strata_slice cur = u.item;
    for (uint32_t i = 0; i < n; i++) {
        if (skip[i]) continue;
        u.act = &e->actions[i];
        if ((rc = apply_set(&u, &hold, &cur, e->actions[i].path, vals[i])) != 0) goto done;
    }
    /* 3. removals, highest list index first */
    qsort(removes, nrem, sizeof *removes, path_cmp_desc);
    for (uint32_t i = 0; i < nrem; i++) {
        strata_buf next = {0};
        int removed = 0;
        if ((rc = strata_doc__edit_remove(&next, cur, removes[i]->seg, removes[i]->n, &removed)) != 0) {
            strata_buf__free(&next);
            goto done;
        }
        strata_buf__free(&hold);
        hold = next;
        cur.data = hold.data;
        cur.len = hold.len;
    }
    rc = strata_buf__append(out, cur.data, cur.len);
done:
    strata_buf__free(&hold);
    strata_mem__free(vals);
    strata_mem__free(removes);
    strata_mem__free(skip);
    strata_doc__builder_free(b);
    strata_expr__arena_free(&u.scratch);
    return rc;
}

int strata_expr__update_touches(const strata_expr *e, const char *name, size_t name_len)
{
    if (!e || e->kind != STRATA_EXPR_UPDATE) return 0;
    for (uint32_t i = 0; i < e->nactions; i++) {
        const strata_doc_step *s = &e->actions[i].path->seg[0];
        if (s->name && s->len == name_len && memcmp(s->name, name, name_len) == 0) return 1;
    }
    return 0;
}
