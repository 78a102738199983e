/* The expression parser: one recursive-descent parser for the four grammars (condition, key
 * condition, update, projection; EBNF in docs/expressions.md). It resolves placeholders as it
 * goes, checks operand types that are known at parse time, enforces the limits (length,
 * operator count, nesting depth, path length, IN list length) and builds the tree in the
 * expression's arena.
 *
 * Linear time: every token is lexed once (plus one token of lookahead to tell a function call
 * from a path), every production consumes at least one token, and recursion depth is bounded by
 * STRATA_EXPR_MAX_DEPTH. The only super-linear step is the pairwise overlap check of update and
 * projection paths, bounded by the operator limit (at most 300 actions) and the 4 KB length. */
#include "expr/expr_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/error.h"
#include "util/mem.h"

typedef struct xparser {
    const char *src;            /* expression text */
    size_t len;                 /* its length */
    xtok tok;                   /* current token */
    strata_expr *e;             /* expression being built */
    strata_expr_params *params; /* placeholders (may be NULL) */
    unsigned ops;               /* operators and functions so far */
    unsigned depth;             /* current nesting */
} xparser;

const char *strata_expr__kind_name(strata_expr_kind k)
{
    switch (k) {
    case STRATA_EXPR_CONDITION: return "condition";
    case STRATA_EXPR_KEY_CONDITION: return "key condition";
    case STRATA_EXPR_UPDATE: return "update";
    case STRATA_EXPR_PROJECTION: return "projection";
    }
    return "unknown";
}

/* Set the last error to "<kind> expression: at offset <off>: <message>" and return code. */
static int perr(xparser *p, int code, uint32_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(xparser *p, int code, uint32_t off, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return strata_err__set(code, "%s expression: at offset %u: %s", strata_expr__kind_name(p->e->kind),
                           (unsigned)off, msg);
}

/* Describe the current token for messages: "name 'foo'", "')'", "end of expression". */
static const char *tokdesc(xparser *p, char *buf, size_t cap)
{
    xtok *t = &p->tok;
    switch (t->type) {
    case XT_IDENT: case XT_NAME: case XT_VALUE: case XT_NUMBER: case XT_STRING: {
        int n = t->len > 40 ? 40 : (int)t->len;
        snprintf(buf, cap, "%s '%.*s%s'", strata_expr__tok_name(t->type), n, p->src + t->off,
                 t->len > 40 ? "..." : "");
        return buf;
    }
    default:
        return strata_expr__tok_name(t->type);
    }
}

/* Move to the next token. 0 or STRATA_EINVALID. */
static int advance(xparser *p)
{
    const char *why = NULL;
    size_t pos = (size_t)p->tok.off + p->tok.len;
    if (strata_expr__lex(&p->tok, p->src, p->len, pos, &why) != 0)
        return perr(p, STRATA_EINVALID, p->tok.off, "%s", why);
    return 0;
}

/* The token after the current one (lookahead without consuming). */
static int peek(xparser *p, xtok *out)
{
    const char *why = NULL;
    if (strata_expr__lex(out, p->src, p->len, (size_t)p->tok.off + p->tok.len, &why) != 0)
        return perr(p, STRATA_EINVALID, out->off, "%s", why);
    return 0;
}

static int tok_is(xparser *p, const char *word)
{
    return p->tok.type == XT_IDENT && strlen(word) == p->tok.len &&
           strncasecmp(p->src + p->tok.off, word, p->tok.len) == 0;
}

static const char *const reserved[] = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE",
                                       "ADD", "DELETE", "TRUE", "FALSE", "NULL"};

static int is_reserved(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
        if (strlen(reserved[i]) == n && strncasecmp(s, reserved[i], n) == 0) return 1;
    return 0;
}

static int expect(xparser *p, xtok_type t, const char *context)
{
    if (p->tok.type != t) {
        char b[80];
        return perr(p, STRATA_EINVALID, p->tok.off, "expected %s %s, found %s", strata_expr__tok_name(t),
                    context, tokdesc(p, b, sizeof b));
    }
    return advance(p);
}

static int count_op(xparser *p, uint32_t off)
{
    if (++p->ops > STRATA_EXPR_MAX_OPS)
        return perr(p, STRATA_ELIMIT, off, "more than %d operators and functions", STRATA_EXPR_MAX_OPS);
    return 0;
}

static int enter(xparser *p, uint32_t off)
{
    if (++p->depth > STRATA_EXPR_MAX_DEPTH)
        return perr(p, STRATA_ELIMIT, off, "nesting deeper than %d levels", STRATA_EXPR_MAX_DEPTH);
    return 0;
}

static xnode *node(xparser *p, xnode_kind k, uint32_t off)
{
    xnode *n = strata_expr__arena_alloc(&p->e->arena, sizeof *n);
    if (n) { n->kind = k; n->off = off; }
    return n;
}

/* ---- paths ------------------------------------------------------------------------------- */

/* One name segment from the current IDENT or #name token into *st (bytes copied). */
static int name_segment(xparser *p, strata_doc_step *st)
{
    const char *s = p->src + p->tok.off;
    size_t n = p->tok.len;
    if (p->tok.type == XT_NAME) {
        strata_slice v;
        if (!p->params || strata_expr__params_name(p->params, &v, s, n) != 0)
            return perr(p, STRATA_EINVALID, p->tok.off,
                        "expression attribute name '%.*s' is not defined", (int)n, s);
        s = v.data;
        n = v.len;
    } else if (p->tok.type == XT_IDENT) {
        if (is_reserved(s, n))
            return perr(p, STRATA_EINVALID, p->tok.off,
                        "'%.*s' is a reserved word; write the attribute name as a #name placeholder",
                        (int)n, s);
    } else {
        char b[80];
        return perr(p, STRATA_EINVALID, p->tok.off, "expected an attribute name or #name, found %s",
                    tokdesc(p, b, sizeof b));
    }
    char *copy = strata_expr__arena_dup(&p->e->arena, s, n);
    if (!copy) return STRATA_ENOMEM;
    st->name = copy;
    st->len = n;
    st->index = 0;
    return advance(p);
}

/* path := name ( '.' name | '[' digits ']' )* ; name := IDENT | #name */
static int parse_path(xparser *p, xpath **out)
{
    strata_doc_step tmp[STRATA_EXPR_MAX_PATH];
    uint32_t n = 0, off = p->tok.off;
    int rc = name_segment(p, &tmp[n++]);
    if (rc) return rc;
    for (;;) {
        if (p->tok.type != XT_DOT && p->tok.type != XT_LBRACK) break;
        if (n == STRATA_EXPR_MAX_PATH)
            return perr(p, STRATA_ELIMIT, p->tok.off, "document path longer than %d segments",
                        STRATA_EXPR_MAX_PATH);
        if (p->tok.type == XT_DOT) {
            if ((rc = advance(p)) != 0) return rc;
            if ((rc = name_segment(p, &tmp[n++])) != 0) return rc;
            continue;
        }
        if ((rc = advance(p)) != 0) return rc;
        if (p->tok.type != XT_NUMBER) {
            char b[80];
            return perr(p, STRATA_EINVALID, p->tok.off, "expected a list index (a non-negative integer), found %s",
                        tokdesc(p, b, sizeof b));
        }
        uint64_t v = 0;
        for (uint32_t i = 0; i < p->tok.len; i++) {
            char c = p->src[p->tok.off + i];
            if (c < '0' || c > '9')
                return perr(p, STRATA_EINVALID, p->tok.off, "a list index must be a non-negative integer");
            v = v * 10 + (uint64_t)(c - '0');
            if (v > 0x7fffffffu)
                return perr(p, STRATA_ELIMIT, p->tok.off, "list index too large");
        }
        tmp[n].name = NULL;
        tmp[n].len = 0;
        tmp[n].index = (size_t)v;
        n++;
        if ((rc = advance(p)) != 0) return rc;
        if ((rc = expect(p, XT_RBRACK, "after list index")) != 0) return rc;
    }
    xpath *path = strata_expr__arena_alloc(&p->e->arena, sizeof *path);
    strata_doc_step *seg = path ? strata_expr__arena_alloc(&p->e->arena, n * sizeof *seg) : NULL;
    if (!seg) return STRATA_ENOMEM;
    memcpy(seg, tmp, n * sizeof *seg);
    path->seg = seg;
    path->n = n;
    path->off = off;
    *out = path;
    return 0;
}

/* ---- operands ---------------------------------------------------------------------------- */

/* A constant from the current token (:value, number, -number, string, true/false/null), or
 * *out = NULL (nothing consumed) when the token starts no constant. */
static int parse_const(xparser *p, xnode **out)
{
    *out = NULL;
    uint32_t off = p->tok.off;
    strata_slice v = {0};
    int rc = 0;
    const char *s = p->src + p->tok.off;
    strata_expr_arena *a = &p->e->arena;
    switch (p->tok.type) {
    case XT_VALUE: {
        strata_slice pv;
        if (!p->params || strata_expr__params_value(p->params, &pv, s, p->tok.len) != 0)
            return perr(p, STRATA_EINVALID, off, "expression attribute value '%.*s' is not defined",
                        (int)p->tok.len, s);
        void *copy = strata_expr__arena_dup(a, pv.data, pv.len);
        if (!copy) return STRATA_ENOMEM;
        v.data = copy;
        v.len = pv.len;
        break;
    }
    case XT_NUMBER:
        rc = strata_expr__val_number(a, &v, s, p->tok.len);
        break;
    case XT_MINUS: {
        xtok nx;
        if ((rc = peek(p, &nx)) != 0) return rc;
        if (nx.type != XT_NUMBER || nx.off != off + 1) return 0;
        if ((rc = advance(p)) != 0) return rc;
        rc = strata_expr__val_number(a, &v, s, p->tok.len + 1);
        break;
    }
    case XT_STRING: {
        char *buf = strata_expr__arena_alloc(a, p->tok.len);
        size_t n = 0;
        if (!buf) return STRATA_ENOMEM;
        if (strata_expr__unescape(buf, &n, s + 1, p->tok.len - 2) != 0)
            return perr(p, STRATA_EINVALID, off, "unpaired surrogate escape in string literal");
        rc = strata_expr__val_string(a, &v, buf, n);
        break;
    }
    case XT_IDENT:
        if (tok_is(p, "true")) rc = strata_expr__val_bool(a, &v, 1);
        else if (tok_is(p, "false")) rc = strata_expr__val_bool(a, &v, 0);
        else if (tok_is(p, "null")) rc = strata_expr__val_null(a, &v);
        else return 0;
        break;
    default:
        return 0;
    }
    if (rc == STRATA_EINVALID || rc == STRATA_ELIMIT)
        return perr(p, rc, off, "bad literal: %s", strata_error_last()->message);
    if (rc) return rc;
    xnode *n = node(p, XN_CONST, off);
    if (!n) return STRATA_ENOMEM;
    n->value = v;
    *out = n;
    return advance(p);
}

static int is_fn(xparser *p, const char *name)
{
    return p->tok.type == XT_IDENT && strlen(name) == p->tok.len &&
           memcmp(p->src + p->tok.off, name, p->tok.len) == 0;
}

/* Is the current token an identifier immediately used as a function (followed by '(')? */
static int at_call(xparser *p, int *yes)
{
    *yes = 0;
    if (p->tok.type != XT_IDENT) return 0;
    xtok nx;
    int rc = peek(p, &nx);
    if (rc) return rc;
    *yes = nx.type == XT_LPAREN;
    return 0;
}

static int parse_path_node(xparser *p, xnode **out)
{
    xnode *n = node(p, XN_PATH, p->tok.off);
    if (!n) return STRATA_ENOMEM;
    int rc = parse_path(p, &n->path);
    if (rc) return rc;
    *out = n;
    return 0;
}

/* Function call prologue: consume name and '(' (counting the function and one nesting level). */
static int call_open(xparser *p)
{
    int rc = count_op(p, p->tok.off);
    if (!rc) rc = enter(p, p->tok.off);
    if (!rc) rc = advance(p);
    if (!rc) rc = expect(p, XT_LPAREN, "after function name");
    return rc;
}

static int call_close(xparser *p, const char *fn)
{
    p->depth--;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "to close %s(", fn);
    return expect(p, XT_RPAREN, ctx);
}

static int call_comma(xparser *p, const char *fn)
{
    char ctx[64];
    snprintf(ctx, sizeof ctx, "between the arguments of %s", fn);
    return expect(p, XT_COMMA, ctx);
}

/* operand := path | size '(' path ')' | constant   (condition grammar) */
static int parse_operand(xparser *p, xnode **out)
{
    int rc, call;
    char b[80];
    if ((rc = at_call(p, &call)) != 0) return rc;
    if (call) {
        uint32_t off = p->tok.off;
        if (is_fn(p, "size")) {
            xnode *n = node(p, XN_SIZE, off);
            if (!n) return STRATA_ENOMEM;
            if ((rc = call_open(p)) != 0) return rc;
            if ((rc = parse_path_node(p, &n->a)) != 0) return rc;
            if ((rc = call_close(p, "size")) != 0) return rc;
            *out = n;
            return 0;
        }
        return perr(p, STRATA_EINVALID, off, "function '%.*s' cannot be used as an operand here",
                    (int)p->tok.len, p->src + off);
    }
    if ((rc = parse_const(p, out)) != 0 || *out) return rc;
    if (p->tok.type == XT_IDENT || p->tok.type == XT_NAME) return parse_path_node(p, out);
    return perr(p, STRATA_EINVALID, p->tok.off,
                "expected an operand (a path, #name, :value or literal), found %s", tokdesc(p, b, sizeof b));
}

/* A constant operand must have one of the types in mask (1 << xtype); "what" names the use. */
static int check_const_type(xparser *p, const xnode *n, unsigned mask, const char *what)
{
    if (n->kind != XN_CONST) return 0;
    xtype t = strata_expr__vtype(n->value);
    if (!t) return perr(p, STRATA_EINVALID, n->off, "malformed encoded value");
    if (!(mask & (1u << t)))
        return perr(p, STRATA_EINVALID, n->off, "incorrect operand type for %s: %s", what,
                    strata_expr__type_name(t));
    return 0;
}

#define ORDERED ((1u << XV_N) | (1u << XV_S) | (1u << XV_B))
#define SETS ((1u << XV_SS) | (1u << XV_NS) | (1u << XV_BS))

/* A string constant (":v" or literal) for a function argument: pattern, search text, type. */
static int parse_string_const(xparser *p, xnode **out, const char *fn)
{
    int rc = parse_const(p, out);
    if (rc) return rc;
    char b[80];
    if (!*out)
        return perr(p, STRATA_EINVALID, p->tok.off, "%s needs a string :value or literal, found %s", fn,
                    tokdesc(p, b, sizeof b));
    return check_const_type(p, *out, 1u << XV_S, fn);
}

/* Compile the string constant n as a regex into *re. */
static int compile_regex(xparser *p, xnode *n, struct xregex **re)
{
    strata_slice s;
    int rc = strata_doc__get_string(n->value, &s);
    if (rc) return perr(p, STRATA_EINVALID, n->off, "pattern is not a string");
    if (s.len > STRATA_EXPR_MAX_PATTERN)
        return perr(p, STRATA_ELIMIT, n->off, "regex pattern longer than %d bytes", STRATA_EXPR_MAX_PATTERN);
    size_t eoff = 0;
    rc = strata_expr__regex_compile(p->e, re, s.data, s.len, &eoff);
    if (rc == STRATA_EINVALID)
        return perr(p, rc, n->off, "bad regex pattern at pattern offset %zu: %s", eoff,
                    strata_error_last()->message);
    return rc;
}

/* Boolean functions of the condition grammar. The current token is the name, followed by '('. */
static int parse_bool_function(xparser *p, xnode **out, int *matched)
{
    uint32_t off = p->tok.off;
    xnode *n = NULL;
    int rc = 0;
    *matched = 1;
    if (is_fn(p, "attribute_exists") || is_fn(p, "attribute_not_exists")) {
        int ex = is_fn(p, "attribute_exists");
        if (!(n = node(p, ex ? XN_EXISTS : XN_NOT_EXISTS, off))) return STRATA_ENOMEM;
        if ((rc = call_open(p)) != 0) return rc;
        if ((rc = parse_path(p, &n->path)) != 0) return rc;
        rc = call_close(p, ex ? "attribute_exists" : "attribute_not_exists");
    } else if (is_fn(p, "attribute_type")) {
        if (!(n = node(p, XN_TYPE, off))) return STRATA_ENOMEM;
        if ((rc = call_open(p)) != 0) return rc;
        if ((rc = parse_path(p, &n->path)) != 0) return rc;
        if ((rc = call_comma(p, "attribute_type")) != 0) return rc;
        xnode *t;
        if ((rc = parse_string_const(p, &t, "attribute_type")) != 0) return rc;
        strata_slice s;
        if ((rc = strata_doc__get_string(t->value, &s)) != 0) return rc;
        n->vtype = strata_expr__type_parse(s.data, s.len);
        if (!n->vtype)
            return perr(p, STRATA_EINVALID, t->off,
                        "invalid type '%.*s' for attribute_type; valid types: S SS N NS B BS BOOL NULL L M",
                        (int)(s.len > 20 ? 20 : s.len), (const char *)s.data);
        rc = call_close(p, "attribute_type");
    } else if (is_fn(p, "begins_with") || is_fn(p, "contains")) {
        int bw = is_fn(p, "begins_with");
        const char *fn = bw ? "begins_with" : "contains";
        if (!(n = node(p, bw ? XN_BEGINS : XN_CONTAINS, off))) return STRATA_ENOMEM;
        if ((rc = call_open(p)) != 0) return rc;
        if ((rc = parse_operand(p, &n->a)) != 0) return rc;
        if ((rc = call_comma(p, fn)) != 0) return rc;
        if ((rc = parse_operand(p, &n->b)) != 0) return rc;
        if (bw) {
            if ((rc = check_const_type(p, n->a, (1u << XV_S) | (1u << XV_B), fn)) != 0) return rc;
            if ((rc = check_const_type(p, n->b, (1u << XV_S) | (1u << XV_B), fn)) != 0) return rc;
        } else {
            unsigned hay = (1u << XV_S) | (1u << XV_B) | (1u << XV_L) | SETS;
            if ((rc = check_const_type(p, n->a, hay, fn)) != 0) return rc;
        }
        rc = call_close(p, fn);
    } else if (is_fn(p, "regex")) {
        if (!(n = node(p, XN_REGEX, off))) return STRATA_ENOMEM;
        if ((rc = call_open(p)) != 0) return rc;
        if ((rc = parse_operand(p, &n->a)) != 0) return rc;
        if ((rc = check_const_type(p, n->a, 1u << XV_S, "regex")) != 0) return rc;
        if ((rc = call_comma(p, "regex")) != 0) return rc;
        if ((rc = parse_string_const(p, &n->b, "regex")) != 0) return rc;
        if ((rc = compile_regex(p, n->b, &n->re)) != 0) return rc;
        rc = call_close(p, "regex");
    } else if (is_fn(p, "search") || is_fn(p, "search_regex")) {
        int re = is_fn(p, "search_regex");
        const char *fn = re ? "search_regex" : "search";
        if (!(n = node(p, re ? XN_SEARCH_RE : XN_SEARCH, off))) return STRATA_ENOMEM;
        if ((rc = call_open(p)) != 0) return rc;
        if ((rc = parse_string_const(p, &n->b, fn)) != 0) return rc;
        if (re) {
            if ((rc = compile_regex(p, n->b, &n->re)) != 0) return rc;
        } else {
            strata_slice s;
            if ((rc = strata_doc__get_string(n->b->value, &s)) != 0) return rc;
            n->value = s;
        }
        rc = call_close(p, fn);
    } else {
        *matched = 0;
        return 0;
    }
    if (rc) return rc;
    *out = n;
    return 0;
}

static int parse_or(xparser *p, xnode **out);

static int is_comparator(xtok_type t)
{
    return t == XT_EQ || t == XT_NE || t == XT_LT || t == XT_LE || t == XT_GT || t == XT_GE;
}

/* primary := '(' condition ')' | function | operand comparator operand
 *          | operand BETWEEN operand AND operand | operand IN '(' operand (',' operand)* ')' */
static int parse_primary(xparser *p, xnode **out)
{
    int rc, call;
    char b[80];
    if (p->tok.type == XT_LPAREN) {
        uint32_t off = p->tok.off;
        if ((rc = enter(p, off)) != 0) return rc;
        if ((rc = advance(p)) != 0) return rc;
        if ((rc = parse_or(p, out)) != 0) return rc;
        if (p->tok.type != XT_RPAREN)
            return perr(p, STRATA_EINVALID, p->tok.off, "expected ')' to close '(' at offset %u, found %s",
                        (unsigned)off, tokdesc(p, b, sizeof b));
        p->depth--;
        return advance(p);
    }
    if ((rc = at_call(p, &call)) != 0) return rc;
    if (call) {
        int matched;
        if ((rc = parse_bool_function(p, out, &matched)) != 0 || matched) return rc;
        if (!is_fn(p, "size"))
            return perr(p, STRATA_EINVALID, p->tok.off,
                        "unknown function '%.*s' (functions: attribute_exists, attribute_not_exists, "
                        "attribute_type, begins_with, contains, size, regex, search, search_regex)",
                        (int)(p->tok.len > 40 ? 40 : p->tok.len), p->src + p->tok.off);
    }
    xnode *left;
    if ((rc = parse_operand(p, &left)) != 0) return rc;
    uint32_t off = p->tok.off;
    xnode *n;
    if (is_comparator(p->tok.type)) {
        if ((rc = count_op(p, off)) != 0) return rc;
        if (!(n = node(p, XN_CMP, off))) return STRATA_ENOMEM;
        n->op = p->tok.type;
        n->a = left;
        if ((rc = advance(p)) != 0) return rc;
        if ((rc = parse_operand(p, &n->b)) != 0) return rc;
        if (n->op != XT_EQ && n->op != XT_NE) {
            const char *opn = strata_expr__tok_name(n->op);
            if ((rc = check_const_type(p, n->a, ORDERED, opn)) != 0) return rc;
            if ((rc = check_const_type(p, n->b, ORDERED, opn)) != 0) return rc;
        }
    } else if (tok_is(p, "BETWEEN")) {
        if ((rc = count_op(p, off)) != 0) return rc;
        if (!(n = node(p, XN_BETWEEN, off))) return STRATA_ENOMEM;
        n->a = left;
        if ((rc = advance(p)) != 0) return rc;
        if ((rc = parse_operand(p, &n->b)) != 0) return rc;
        if (!tok_is(p, "AND"))
            return perr(p, STRATA_EINVALID, p->tok.off, "expected AND in BETWEEN ... AND ..., found %s",
                        tokdesc(p, b, sizeof b));
        if ((rc = advance(p)) != 0) return rc;
        if ((rc = parse_operand(p, &n->c)) != 0) return rc;
        for (int i = 0; i < 3; i++) {
            xnode *x = i == 0 ? n->a : i == 1 ? n->b : n->c;
            if ((rc = check_const_type(p, x, ORDERED, "BETWEEN")) != 0) return rc;
        }
        if (n->b->kind == XN_CONST && n->c->kind == XN_CONST) {
            int c = strata_expr__vcompare(n->b->value, n->c->value);
            if (c == STRATA_DOC_INCOMPARABLE)
                return perr(p, STRATA_EINVALID, n->b->off, "the bounds of BETWEEN have different types");
            if (c > 0 && c != STRATA_DOC_INCOMPARABLE)
                return perr(p, STRATA_EINVALID, n->b->off,
                            "BETWEEN requires the upper bound to be greater than or equal to the lower bound");
        }
    } else if (tok_is(p, "IN")) {
        if ((rc = count_op(p, off)) != 0) return rc;
        if (!(n = node(p, XN_IN, off))) return STRATA_ENOMEM;
        n->a = left;
        if ((rc = advance(p)) != 0) return rc;
        uint32_t lp = p->tok.off;
        if ((rc = expect(p, XT_LPAREN, "after IN")) != 0) return rc;
        xnode *tmp[STRATA_EXPR_MAX_IN];
        uint32_t k = 0;
        for (;;) {
            if (k == STRATA_EXPR_MAX_IN)
                return perr(p, STRATA_ELIMIT, p->tok.off, "more than %d operands in IN list", STRATA_EXPR_MAX_IN);
            if ((rc = parse_operand(p, &tmp[k++])) != 0) return rc;
            if (p->tok.type == XT_COMMA) {
                if ((rc = advance(p)) != 0) return rc;
                continue;
            }
            if (p->tok.type != XT_RPAREN)
                return perr(p, STRATA_EINVALID, p->tok.off,
                            "expected ',' or ')' to close IN list at offset %u, found %s", (unsigned)lp,
                            tokdesc(p, b, sizeof b));
            break;
        }
        if ((rc = advance(p)) != 0) return rc;
        n->args = strata_expr__arena_alloc(&p->e->arena, k * sizeof *n->args);
        if (!n->args) return STRATA_ENOMEM;
        memcpy(n->args, tmp, k * sizeof *tmp);
        n->nargs = k;
    } else {
        return perr(p, STRATA_EINVALID, off,
                    "expected a comparator (=, <>, <, <=, >, >=), BETWEEN or IN after the operand, found %s",
                    tokdesc(p, b, sizeof b));
    }
    *out = n;
    return 0;
}

/* not := NOT not | primary */
static int parse_not(xparser *p, xnode **out)
{
    if (!tok_is(p, "NOT")) return parse_primary(p, out);
    uint32_t off = p->tok.off;
    int rc = count_op(p, off);
    if (!rc) rc = enter(p, off);
    if (!rc) rc = advance(p);
    xnode *n = rc ? NULL : node(p, XN_NOT, off);
    if (!rc && !n) rc = STRATA_ENOMEM;
    if (!rc) rc = parse_not(p, &n->a);
    if (rc) return rc;
    p->depth--;
    *out = n;
    return 0;
}

/* and := not (AND not)* ; or := and (OR and)*  — built left-deep, iteratively. */
static int parse_and(xparser *p, xnode **out)
{
    int rc = parse_not(p, out);
    while (!rc && tok_is(p, "AND")) {
        xnode *n = node(p, XN_AND, p->tok.off);
        if (!n) return STRATA_ENOMEM;
        if ((rc = count_op(p, p->tok.off)) != 0 || (rc = advance(p)) != 0) return rc;
        n->a = *out;
        rc = parse_not(p, &n->b);
        *out = n;
    }
    return rc;
}

static int parse_or(xparser *p, xnode **out)
{
    int rc = parse_and(p, out);
    while (!rc && tok_is(p, "OR")) {
        xnode *n = node(p, XN_OR, p->tok.off);
        if (!n) return STRATA_ENOMEM;
        if ((rc = count_op(p, p->tok.off)) != 0 || (rc = advance(p)) != 0) return rc;
        n->a = *out;
        rc = parse_and(p, &n->b);
        *out = n;
    }
    return rc;
}

/* ---- key condition ------------------------------------------------------------------------ */

/* One key-condition term: name = v | name op v | name BETWEEN v AND v | begins_with(name, v). */
static int check_key_term(xparser *p, const xnode *n)
{
    const xnode *path = NULL;
    switch (n->kind) {
    case XN_CMP:
        if (n->op == XT_NE)
            return perr(p, STRATA_EINVALID, n->off, "'<>' is not allowed in a key condition");
        path = n->a;
        if (path->kind != XN_PATH || n->b->kind != XN_CONST)
            return perr(p, STRATA_EINVALID, n->off,
                        "a key condition compares a key attribute (left) with a value (right)");
        break;
    case XN_BETWEEN:
        path = n->a;
        if (path->kind != XN_PATH || n->b->kind != XN_CONST || n->c->kind != XN_CONST)
            return perr(p, STRATA_EINVALID, n->off, "a key condition BETWEEN needs a key attribute and two values");
        break;
    case XN_BEGINS:
        path = n->a;
        if (path->kind != XN_PATH || n->b->kind != XN_CONST)
            return perr(p, STRATA_EINVALID, n->off, "begins_with in a key condition needs a key attribute and a value");
        break;
    case XN_AND:
        return perr(p, STRATA_EINVALID, n->off, "a key condition has at most two conditions joined by one AND");
    case XN_OR:
        return perr(p, STRATA_EINVALID, n->off, "OR is not allowed in a key condition");
    case XN_NOT:
        return perr(p, STRATA_EINVALID, n->off, "NOT is not allowed in a key condition");
    case XN_IN:
        return perr(p, STRATA_EINVALID, n->off, "IN is not allowed in a key condition");
    default:
        return perr(p, STRATA_EINVALID, n->off,
                    "only =, <, <=, >, >=, BETWEEN and begins_with are allowed in a key condition");
    }
    if (path->path->n != 1 || !path->path->seg[0].name)
        return perr(p, STRATA_EINVALID, path->off, "a key attribute must be a top-level attribute name");
    const xnode *vals[2] = {n->b, n->kind == XN_BETWEEN ? n->c : NULL};
    for (int i = 0; i < 2; i++)
        if (vals[i] && !(vals[i]->kind == XN_CONST && (ORDERED & (1u << strata_expr__vtype(vals[i]->value)))))
            return perr(p, STRATA_EINVALID, vals[i]->off, "a key value must be a string, number or binary");
    return 0;
}

static int check_key_condition(xparser *p, const xnode *root)
{
    if (root->kind != XN_AND) return check_key_term(p, root);
    int rc = check_key_term(p, root->a);
    if (!rc) rc = check_key_term(p, root->b);
    if (rc) return rc;
    const strata_doc_step *x = &root->a->a->path->seg[0], *y = &root->b->a->path->seg[0];
    if (x->len == y->len && memcmp(x->name, y->name, x->len) == 0)
        return perr(p, STRATA_EINVALID, root->b->a->off, "the key condition constrains attribute '%.*s' twice",
                    (int)(x->len > 40 ? 40 : x->len), x->name);
    return 0;
}

/* ---- update ------------------------------------------------------------------------------- */

static int parse_set_operand(xparser *p, xnode **out);

/* The right-hand side of SET: operand [('+' | '-') operand]. */
static int parse_set_value(xparser *p, xnode **out)
{
    int rc = parse_set_operand(p, out);
    if (rc) return rc;
    if (p->tok.type != XT_PLUS && p->tok.type != XT_MINUS) return 0;
    uint32_t off = p->tok.off;
    xnode *n = node(p, p->tok.type == XT_PLUS ? XN_PLUS : XN_MINUS, off);
    if (!n) return STRATA_ENOMEM;
    if ((rc = count_op(p, off)) != 0 || (rc = advance(p)) != 0) return rc;
    n->a = *out;
    if ((rc = parse_set_operand(p, &n->b)) != 0) return rc;
    const char *opn = n->kind == XN_PLUS ? "'+'" : "'-'";
    if ((rc = check_const_type(p, n->a, 1u << XV_N, opn)) != 0) return rc;
    if ((rc = check_const_type(p, n->b, 1u << XV_N, opn)) != 0) return rc;
    *out = n;
    return 0;
}

/* set operand := path | constant | if_not_exists(path, set operand)
 *              | list_append(set operand, set operand) */
static int parse_set_operand(xparser *p, xnode **out)
{
    int rc, call;
    char b[80];
    if ((rc = at_call(p, &call)) != 0) return rc;
    if (call) {
        uint32_t off = p->tok.off;
        xnode *n;
        if (is_fn(p, "if_not_exists")) {
            if (!(n = node(p, XN_IF_NOT_EXISTS, off))) return STRATA_ENOMEM;
            if ((rc = call_open(p)) != 0) return rc;
            if ((rc = parse_path(p, &n->path)) != 0) return rc;
            if ((rc = call_comma(p, "if_not_exists")) != 0) return rc;
            if ((rc = parse_set_operand(p, &n->b)) != 0) return rc;
            rc = call_close(p, "if_not_exists");
        } else if (is_fn(p, "list_append")) {
            if (!(n = node(p, XN_LIST_APPEND, off))) return STRATA_ENOMEM;
            if ((rc = call_open(p)) != 0) return rc;
            if ((rc = parse_set_operand(p, &n->a)) != 0) return rc;
            if ((rc = call_comma(p, "list_append")) != 0) return rc;
            if ((rc = parse_set_operand(p, &n->b)) != 0) return rc;
            if ((rc = check_const_type(p, n->a, 1u << XV_L, "list_append")) != 0) return rc;
            if ((rc = check_const_type(p, n->b, 1u << XV_L, "list_append")) != 0) return rc;
            rc = call_close(p, "list_append");
        } else {
            return perr(p, STRATA_EINVALID, off,
                        "function '%.*s' is not allowed in an update expression (use if_not_exists or list_append)",
                        (int)(p->tok.len > 40 ? 40 : p->tok.len), p->src + off);
        }
        if (rc) return rc;
        *out = n;
        return 0;
    }
    if ((rc = parse_const(p, out)) != 0 || *out) return rc;
    if (p->tok.type == XT_IDENT || p->tok.type == XT_NAME) return parse_path_node(p, out);
    return perr(p, STRATA_EINVALID, p->tok.off,
                "expected a value (a path, #name, :value, literal, if_not_exists or list_append), found %s",
                tokdesc(p, b, sizeof b));
}

static int parse_update(xparser *p)
{
    xaction tmp[STRATA_EXPR_MAX_OPS];
    uint32_t n = 0;
    int seen[5] = {0};
    int rc;
    char b[80];
    static const char *const names[5] = {"", "SET", "REMOVE", "ADD", "DELETE"};
    if (p->tok.type == XT_EOF) return perr(p, STRATA_EINVALID, 0, "empty update expression");
    while (p->tok.type != XT_EOF) {
        xaction_kind k;
        if (tok_is(p, "SET")) k = XA_SET;
        else if (tok_is(p, "REMOVE")) k = XA_REMOVE;
        else if (tok_is(p, "ADD")) k = XA_ADD;
        else if (tok_is(p, "DELETE")) k = XA_DELETE;
        else
            return perr(p, STRATA_EINVALID, p->tok.off, "expected %sSET, REMOVE, ADD or DELETE, found %s",
                        n ? "',' or " : "", tokdesc(p, b, sizeof b));
        if (seen[k])
            return perr(p, STRATA_EINVALID, p->tok.off,
                        "the %s section can only be used once in an update expression", names[k]);
        seen[k] = 1;
        if ((rc = advance(p)) != 0) return rc;
        for (;;) {
            if ((rc = count_op(p, p->tok.off)) != 0) return rc;
            xaction *a = &tmp[n++];
            memset(a, 0, sizeof *a);
            a->kind = k;
            if ((rc = parse_path(p, &a->path)) != 0) return rc;
            if (k == XA_SET) {
                if ((rc = expect(p, XT_EQ, "after the path in SET")) != 0) return rc;
                if ((rc = parse_set_value(p, &a->value)) != 0) return rc;
            } else if (k == XA_ADD || k == XA_DELETE) {
                if ((rc = parse_const(p, &a->value)) != 0) return rc;
                if (!a->value)
                    return perr(p, STRATA_EINVALID, p->tok.off, "%s needs a :value or literal after the path, found %s",
                                names[k], tokdesc(p, b, sizeof b));
                unsigned mask = k == XA_ADD ? (SETS | (1u << XV_N)) : SETS;
                if ((rc = check_const_type(p, a->value, mask, names[k])) != 0) return rc;
            }
            if (p->tok.type != XT_COMMA) break;
            if ((rc = advance(p)) != 0) return rc;
        }
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (strata_expr__paths_overlap(tmp[i].path, tmp[j].path)) {
                char x[128], y[128];
                strata_expr__path_fmt(x, sizeof x, tmp[i].path);
                strata_expr__path_fmt(y, sizeof y, tmp[j].path);
                return perr(p, STRATA_EINVALID, tmp[j].path->off,
                            "two document paths overlap: %s and %s (an update may touch each path once)", x, y);
            }
    p->e->actions = strata_expr__arena_alloc(&p->e->arena, n * sizeof *tmp);
    if (!p->e->actions) return STRATA_ENOMEM;
    memcpy(p->e->actions, tmp, n * sizeof *tmp);
    p->e->nactions = n;
    return 0;
}

/* ---- projection ---------------------------------------------------------------------------- */

static int parse_projection(xparser *p)
{
    xpath *tmp[STRATA_EXPR_MAX_LEN / 2];
    uint32_t n = 0;
    int rc;
    if (p->tok.type == XT_EOF) return perr(p, STRATA_EINVALID, 0, "empty projection expression");
    for (;;) {
        if ((rc = parse_path(p, &tmp[n])) != 0) return rc;
        for (uint32_t i = 0; i < n; i++)
            if (strata_expr__paths_overlap(tmp[i], tmp[n])) {
                char x[128], y[128];
                strata_expr__path_fmt(x, sizeof x, tmp[i]);
                strata_expr__path_fmt(y, sizeof y, tmp[n]);
                return perr(p, STRATA_EINVALID, tmp[n]->off, "two document paths overlap: %s and %s", x, y);
            }
        n++;
        if (p->tok.type != XT_COMMA) break;
        if ((rc = advance(p)) != 0) return rc;
    }
    p->e->paths = strata_expr__arena_alloc(&p->e->arena, n * sizeof *tmp);
    if (!p->e->paths) return STRATA_ENOMEM;
    memcpy(p->e->paths, tmp, n * sizeof *tmp);
    p->e->npaths = n;
    return strata_expr__proj_build(p->e);
}

/* ---- entry points -------------------------------------------------------------------------- */

int strata_expr__parse(strata_expr **out, strata_expr_kind kind, const char *text, size_t len,
                       strata_expr_params *params)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "expression: out is NULL");
    *out = NULL;
    if (kind < STRATA_EXPR_CONDITION || kind > STRATA_EXPR_PROJECTION)
        return strata_err__set(STRATA_EINVALID, "expression: unknown kind %d", (int)kind);
    if (!text && len) return strata_err__set(STRATA_EINVALID, "expression: text is NULL");
    if (len > STRATA_EXPR_MAX_LEN)
        return strata_err__set(STRATA_ELIMIT, "%s expression: longer than %d bytes (%zu)",
                               strata_expr__kind_name(kind), STRATA_EXPR_MAX_LEN, len);
    strata_expr *e = strata_mem__calloc(1, sizeof *e);
    if (!e) return STRATA_ENOMEM;
    e->kind = kind;
    xparser p = {.src = text ? text : "", .len = len, .e = e, .params = params};
    p.tok.off = 0;
    p.tok.len = 0;
    const char *why = NULL;
    int rc;
    char b[80];
    if (strata_expr__lex(&p.tok, p.src, len, 0, &why) != 0) {
        rc = perr(&p, STRATA_EINVALID, p.tok.off, "%s", why);
        goto done;
    }
    switch (kind) {
    case STRATA_EXPR_CONDITION:
    case STRATA_EXPR_KEY_CONDITION:
        if (p.tok.type == XT_EOF) {
            rc = perr(&p, STRATA_EINVALID, 0, "empty %s expression", strata_expr__kind_name(kind));
            goto done;
        }
        rc = parse_or(&p, &e->root);
        break;
    case STRATA_EXPR_UPDATE:
        rc = parse_update(&p);
        break;
    default:
        rc = parse_projection(&p);
        break;
    }
    if (!rc && p.tok.type != XT_EOF)
        rc = perr(&p, STRATA_EINVALID, p.tok.off, "unexpected %s after the end of the expression",
                  tokdesc(&p, b, sizeof b));
    if (!rc && kind == STRATA_EXPR_KEY_CONDITION) rc = check_key_condition(&p, e->root);
done:
    if (rc) {
        strata_expr__free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void strata_expr__free(strata_expr *e)
{
    if (!e) return;
    strata_expr__regex_free_all(e);
    strata_expr__arena_free(&e->arena);
    strata_mem__free(e);
}

strata_expr_kind strata_expr__kind(const strata_expr *e)
{
    return e->kind;
}

int strata_expr__paths_overlap(const xpath *a, const xpath *b)
{
    uint32_t n = a->n < b->n ? a->n : b->n;
    for (uint32_t i = 0; i < n; i++) {
        const strata_doc_step *x = &a->seg[i], *y = &b->seg[i];
        if (!x->name != !y->name) return 0;
        if (x->name ? (x->len != y->len || memcmp(x->name, y->name, x->len) != 0) : x->index != y->index)
            return 0;
    }
    return 1;
}

void strata_expr__path_fmt(char *dst, size_t cap, const xpath *p)
{
    size_t o = 0;
    dst[0] = 0;
    for (uint32_t i = 0; i < p->n && o + 1 < cap; i++) {
        const strata_doc_step *s = &p->seg[i];
        int w;
        if (s->name)
            w = snprintf(dst + o, cap - o, "%s%.*s", i ? "." : "", (int)(s->len > 40 ? 40 : s->len), s->name);
        else
            w = snprintf(dst + o, cap - o, "[%zu]", s->index);
        if (w < 0) break;
        o += (size_t)w;
        if (o >= cap) { o = cap - 1; break; }
    }
}
