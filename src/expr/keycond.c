/* Key-condition compilation: turns a parsed key condition (partition-key equality, optionally
 * AND one sort-key condition) into the bounds of a range scan over a table's ordered keys. */
#include "expr/expr_int.h"

#include <string.h>

#include "util/error.h"

static int name_is(const xnode *term, const char *name)
{
    const strata_doc_step *s = &term->a->path->seg[0];
    return name && strlen(name) == s->len && memcmp(s->name, name, s->len) == 0;
}

static int term_name_err(const xnode *t, const char *why)
{
    const strata_doc_step *s = &t->a->path->seg[0];
    return strata_err__set(STRATA_EINVALID, "key condition expression: at offset %u: %s '%.*s'", (unsigned)t->off,
                           why, (int)(s->len > 60 ? 60 : s->len), s->name);
}

/* Fill the sort-key part of out from term t. */
static void sort_term(strata_expr_keycond *out, const xnode *t)
{
    if (t->kind == XN_BEGINS) {
        out->sk_kind = STRATA_EXPR_SK_PREFIX;
        out->prefix = t->b->value;
        return;
    }
    out->sk_kind = STRATA_EXPR_SK_RANGE;
    if (t->kind == XN_BETWEEN) {
        out->has_lower = out->has_upper = 1;
        out->lower_inclusive = out->upper_inclusive = 1;
        out->lower = t->b->value;
        out->upper = t->c->value;
        return;
    }
    strata_slice v = t->b->value;
    switch (t->op) {
    case XT_EQ:
        out->has_lower = out->has_upper = out->lower_inclusive = out->upper_inclusive = 1;
        out->lower = out->upper = v;
        break;
    case XT_LT:
    case XT_LE:
        out->has_upper = 1;
        out->upper_inclusive = t->op == XT_LE;
        out->upper = v;
        break;
    default:
        out->has_lower = 1;
        out->lower_inclusive = t->op == XT_GE;
        out->lower = v;
        break;
    }
}

int strata_expr__keycond(strata_expr_keycond *out, const strata_expr *e, const char *pk_name, const char *sk_name)
{
    if (!out || !e || e->kind != STRATA_EXPR_KEY_CONDITION || !pk_name)
        return strata_err__set(STRATA_EINVALID, "key condition: need an output, a key condition and a partition key name");
    memset(out, 0, sizeof *out);
    const xnode *terms[2] = {e->root, NULL};
    if (e->root->kind == XN_AND) {
        terms[0] = e->root->a;
        terms[1] = e->root->b;
    }
    const xnode *pk = NULL, *sk = NULL;
    for (int i = 0; i < 2 && terms[i]; i++) {
        const xnode *t = terms[i];
        if (name_is(t, pk_name)) pk = t;
        else if (name_is(t, sk_name)) sk = t;
        else if (sk_name) return term_name_err(t, "a key condition may only use the key attributes; not a key:");
        else return term_name_err(t, "the table has no sort key; not a key:");
    }
    if (!pk)
        return strata_err__set(STRATA_EINVALID, "key condition expression: no equality condition on the partition key '%s'",
                               pk_name);
    if (pk->kind != XN_CMP || pk->op != XT_EQ)
        return term_name_err(pk, "the partition key must be compared with '=':");
    out->pk_value = pk->b->value;
    out->sk_kind = STRATA_EXPR_SK_NONE;
    if (sk) sort_term(out, sk);
    return 0;
}
