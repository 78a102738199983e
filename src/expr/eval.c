/* Condition evaluation directly on an encoded item: paths are looked up with src/doc's
 * zero-copy reader, values are compared on their canonical bytes, nothing is decoded or copied.
 * DynamoDB's rules for missing attributes and mismatched types: a comparison with a missing
 * operand or with operands of incomparable types is false (never an error); '<>' is true
 * exactly when '=' is false; functions on the wrong type are false. */
#include "expr/expr_int.h"

#include <string.h>

#include "util/error.h"

typedef struct xeval {
    strata_slice item;  /* the encoded item (a map), or {NULL, 0}: no item */
    xregex_scratch sc;  /* regex match data, created on first use */
} xeval;

/* An evaluated operand: absent (missing attribute, or size() of a type without a size), an
 * encoded value, or a number computed by size(). */
typedef struct xval {
    int present;
    int is_num;      /* num holds the value (size()) */
    strata_num num;
    strata_slice v;  /* encoded value when !is_num */
} xval;

/* Look a path up in the item: 0 with *present = 0/1, or a negative error (damaged item). */
static int lookup(xeval *ev, const xpath *p, strata_slice *out, int *present)
{
    *present = 0;
    if (ev->item.len == 0) return 0;
    int rc = strata_doc__lookup(ev->item, p->seg, p->n, out);
    if (rc == STRATA_ENOTFOUND) return 0;
    if (rc) return rc;
    *present = 1;
    return 0;
}

/* size(): a string's length in UTF-8 bytes (DynamoDB documents size in bytes), a binary's
 * length, the member count of a list, map or set. *has = 0 for types without a size. */
static int value_size(strata_slice v, size_t *out, int *has)
{
    *has = 1;
    strata_slice s;
    switch ((int)strata_expr__vtype(v)) {
    case XV_S:
        if (strata_doc__get_string(v, &s) != 0) return STRATA_ECORRUPT;
        *out = s.len;
        return 0;
    case XV_B:
        if (strata_doc__get_binary(v, &s) != 0) return STRATA_ECORRUPT;
        *out = s.len;
        return 0;
    case XV_L: case XV_M: case XV_SS: case XV_NS: case XV_BS:
        return strata_doc__count(v, out);
    case 0:
        return strata_err__set(STRATA_ECORRUPT, "expression: damaged value in item");
    default:
        *has = 0; /* N, BOOL, NULL have no size: the comparison is false */
        return 0;
    }
}

static int operand(xeval *ev, const xnode *n, xval *out)
{
    memset(out, 0, sizeof *out);
    int rc;
    switch (n->kind) {
    case XN_CONST:
        out->present = 1;
        out->v = n->value;
        return 0;
    case XN_PATH:
        return lookup(ev, n->path, &out->v, &out->present);
    case XN_SIZE: {
        strata_slice v;
        int present, has;
        size_t sz = 0;
        if ((rc = lookup(ev, n->a->path, &v, &present)) != 0 || !present) return rc;
        if ((rc = value_size(v, &sz, &has)) != 0 || !has) return rc;
        out->present = 1;
        out->is_num = 1;
        strata_num__from_i64(&out->num, (int64_t)sz);
        return 0;
    }
    default:
        return strata_err__set(STRATA_EINVALID, "expression: node %d is not an operand", (int)n->kind);
    }
}

/* Compare two present operands: -1/0/1 when ordered (same type N, S or B), 0 also for deeply
 * equal values of other types, STRATA_DOC_INCOMPARABLE otherwise, negative on damage.
 * *ordered is set when the pair is of an orderable type. */
static int compare(const xval *a, const xval *b, int *ordered)
{
    *ordered = 0;
    if (a->is_num || b->is_num) {
        strata_num x, y;
        if (a->is_num) x = a->num;
        else if (strata_expr__vtype(a->v) != XV_N || strata_doc__get_number(a->v, &x) != 0)
            return STRATA_DOC_INCOMPARABLE;
        if (b->is_num) y = b->num;
        else if (strata_expr__vtype(b->v) != XV_N || strata_doc__get_number(b->v, &y) != 0)
            return STRATA_DOC_INCOMPARABLE;
        *ordered = 1;
        return strata_num__cmp(&x, &y);
    }
    xtype ta = strata_expr__vtype(a->v), tb = strata_expr__vtype(b->v);
    if (!ta || !tb) return strata_err__set(STRATA_ECORRUPT, "expression: damaged value in item");
    if (ta != tb) return STRATA_DOC_INCOMPARABLE;
    *ordered = ta == XV_N || ta == XV_S || ta == XV_B;
    if (!*ordered) return strata_doc__equal(a->v, b->v) ? 0 : STRATA_DOC_INCOMPARABLE;
    return strata_expr__vcompare(a->v, b->v);
}

static int eval_cmp(xeval *ev, const xnode *n, int *out)
{
    xval a, b;
    int rc = operand(ev, n->a, &a);
    if (!rc) rc = operand(ev, n->b, &b);
    if (rc) return rc;
    int ne = n->op == XT_NE;
    if (!a.present || !b.present) {
        *out = ne; /* '=' and orderings are false; '<>' is its negation */
        return 0;
    }
    int ordered, c = compare(&a, &b, &ordered);
    if (c < -1) return c;
    switch (n->op) {
    case XT_EQ: *out = c == 0; break;
    case XT_NE: *out = c != 0; break;
    case XT_LT: *out = ordered && c == -1; break;
    case XT_LE: *out = ordered && (c == -1 || c == 0); break;
    case XT_GT: *out = ordered && c == 1; break;
    default: *out = ordered && (c == 1 || c == 0); break;
    }
    return 0;
}

static int eval_between(xeval *ev, const xnode *n, int *out)
{
    xval a, lo, hi;
    int rc = operand(ev, n->a, &a);
    if (!rc) rc = operand(ev, n->b, &lo);
    if (!rc) rc = operand(ev, n->c, &hi);
    if (rc) return rc;
    *out = 0;
    if (!a.present || !lo.present || !hi.present) return 0;
    int o1, o2;
    int c1 = compare(&a, &lo, &o1);
    if (c1 < -1) return c1;
    int c2 = compare(&a, &hi, &o2);
    if (c2 < -1) return c2;
    *out = o1 && o2 && (c1 == 0 || c1 == 1) && (c2 == 0 || c2 == -1);
    return 0;
}

static int eval_in(xeval *ev, const xnode *n, int *out)
{
    xval a;
    int rc = operand(ev, n->a, &a);
    *out = 0;
    if (rc || !a.present) return rc;
    for (uint32_t i = 0; i < n->nargs; i++) {
        xval b;
        if ((rc = operand(ev, n->args[i], &b)) != 0) return rc;
        if (!b.present) continue;
        int ordered, c = compare(&a, &b, &ordered);
        if (c < -1) return c;
        if (c == 0) { *out = 1; return 0; }
    }
    return 0;
}

/* The bytes of a string or binary value, with its type; 0 type when it is neither. */
static xtype str_or_bin(strata_slice v, strata_slice *bytes)
{
    xtype t = strata_expr__vtype(v);
    if (t == XV_S && strata_doc__get_string(v, bytes) == 0) return t;
    if (t == XV_B && strata_doc__get_binary(v, bytes) == 0) return t;
    return 0;
}

static int eval_begins(xeval *ev, const xnode *n, int *out)
{
    xval a, b;
    int rc = operand(ev, n->a, &a);
    if (!rc) rc = operand(ev, n->b, &b);
    *out = 0;
    if (rc || !a.present || !b.present || a.is_num || b.is_num) return rc;
    strata_slice x, y;
    xtype ta = str_or_bin(a.v, &x), tb = str_or_bin(b.v, &y);
    *out = ta && ta == tb && y.len <= x.len && memcmp(x.data, y.data, y.len) == 0;
    return 0;
}

static int eval_contains(xeval *ev, const xnode *n, int *out)
{
    xval a, b;
    int rc = operand(ev, n->a, &a);
    if (!rc) rc = operand(ev, n->b, &b);
    *out = 0;
    if (rc || !a.present || !b.present || a.is_num || b.is_num) return rc;
    xtype ta = strata_expr__vtype(a.v), tb = strata_expr__vtype(b.v);
    strata_slice x, y;
    switch (ta) {
    case XV_S: case XV_B:
        /* a malformed string or binary (a damaged item) contains nothing */
        if (str_or_bin(b.v, &y) != ta || str_or_bin(a.v, &x) != ta) return 0;
        *out = y.len == 0 || (y.len <= x.len && memmem(x.data, x.len, y.data, y.len) != NULL);
        return 0;
    case XV_SS: case XV_NS: case XV_BS:
        if ((ta == XV_SS && tb != XV_S) || (ta == XV_NS && tb != XV_N) || (ta == XV_BS && tb != XV_B)) return 0;
        rc = strata_doc__set_has(a.v, b.v);
        if (rc < 0) return rc;
        *out = rc;
        return 0;
    case XV_L: {
        strata_doc_iter it;
        strata_slice v;
        if ((rc = strata_doc__iter_init(&it, a.v)) != 0) return rc;
        while ((rc = strata_doc__iter_next(&it, NULL, &v)) == 0)
            if (strata_doc__equal(v, b.v)) { *out = 1; return 0; }
        return rc == STRATA_ITEROVER ? 0 : rc;
    }
    default:
        return 0;
    }
}

static int eval_regex(xeval *ev, const xnode *n, int *out)
{
    xval a;
    int rc = operand(ev, n->a, &a);
    *out = 0;
    if (rc || !a.present || a.is_num) return rc;
    strata_slice s;
    if (strata_expr__vtype(a.v) != XV_S || strata_doc__get_string(a.v, &s) != 0) return 0;
    rc = strata_expr__regex_match(n->re, &ev->sc, s.data, s.len);
    if (rc < 0) return rc;
    *out = rc;
    return 0;
}

/* Does any string at any depth of v (string values, string-set members, inside lists and
 * maps; not map keys) contain the needle / match the pattern? 1, 0 or a negative error. */
static int search_value(xeval *ev, const xnode *n, strata_slice v, unsigned depth)
{
    xtype t = strata_expr__vtype(v);
    if (t == XV_S) {
        strata_slice s;
        if (strata_doc__get_string(v, &s) != 0) return STRATA_ECORRUPT;
        if (n->re) return strata_expr__regex_match(n->re, &ev->sc, s.data, s.len);
        return n->value.len == 0 || (n->value.len <= s.len && memmem(s.data, s.len, n->value.data, n->value.len));
    }
    if (t != XV_L && t != XV_M && t != XV_SS) {
        if (!t) return strata_err__set(STRATA_ECORRUPT, "expression: damaged value in item");
        return 0;
    }
    if (depth > STRATA_DOC_MAX_DEPTH) return strata_err__set(STRATA_ECORRUPT, "expression: item nested too deeply");
    strata_doc_iter it;
    strata_slice m;
    int rc = strata_doc__iter_init(&it, v);
    if (rc) return rc;
    while ((rc = strata_doc__iter_next(&it, NULL, &m)) == 0) {
        int r = search_value(ev, n, m, depth + 1);
        if (r != 0) return r;
    }
    return rc == STRATA_ITEROVER ? 0 : rc;
}

static int eval_node(xeval *ev, const xnode *n, int *out)
{
    int rc;
    strata_slice v;
    int present;
    switch (n->kind) {
    case XN_AND:
        if ((rc = eval_node(ev, n->a, out)) != 0 || !*out) return rc;
        return eval_node(ev, n->b, out);
    case XN_OR:
        if ((rc = eval_node(ev, n->a, out)) != 0 || *out) return rc;
        return eval_node(ev, n->b, out);
    case XN_NOT:
        if ((rc = eval_node(ev, n->a, out)) != 0) return rc;
        *out = !*out;
        return 0;
    case XN_CMP: return eval_cmp(ev, n, out);
    case XN_BETWEEN: return eval_between(ev, n, out);
    case XN_IN: return eval_in(ev, n, out);
    case XN_EXISTS:
    case XN_NOT_EXISTS:
        if ((rc = lookup(ev, n->path, &v, &present)) != 0) return rc;
        *out = n->kind == XN_EXISTS ? present : !present;
        return 0;
    case XN_TYPE:
        if ((rc = lookup(ev, n->path, &v, &present)) != 0) return rc;
        *out = present && strata_expr__vtype(v) == n->vtype;
        return 0;
    case XN_BEGINS: return eval_begins(ev, n, out);
    case XN_CONTAINS: return eval_contains(ev, n, out);
    case XN_REGEX: return eval_regex(ev, n, out);
    case XN_SEARCH:
    case XN_SEARCH_RE:
        *out = 0;
        if (ev->item.len == 0) return 0;
        rc = search_value(ev, n, ev->item, 0);
        if (rc < 0) return rc;
        *out = rc;
        return 0;
    default:
        return strata_err__set(STRATA_EINVALID, "expression: node %d is not a condition", (int)n->kind);
    }
}

int strata_expr__eval(int *out, const strata_expr *e, strata_slice item)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "expression eval: out is NULL");
    *out = 0;
    if (!e || (e->kind != STRATA_EXPR_CONDITION && e->kind != STRATA_EXPR_KEY_CONDITION))
        return strata_err__set(STRATA_EINVALID, "expression eval: not a condition expression");
    if (item.len && !item.data) return strata_err__set(STRATA_EINVALID, "expression eval: item data is NULL");
    if (item.len && strata_doc__type(item) != STRATA_DOC_MAP)
        return strata_err__set(STRATA_EINVALID, "expression eval: the item is not a map");
    xeval ev = {.item = item};
    int r = 0, rc = eval_node(&ev, e->root, &r);
    strata_expr__regex_scratch_free(&ev.sc);
    if (rc) return rc;
    *out = r;
    return 0;
}
