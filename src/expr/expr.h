/* The expression engine (src/expr): DynamoDB's condition/filter, key-condition, update and
 * projection expressions, extended with inline literals, a regex function and any-field search
 * (docs/expressions.md). Expressions are parsed once into a small tree held in an arena and
 * evaluated directly on canonical encoded values (src/doc). This is the module's face to src/db.
 *
 * Typical use for one request:
 *   strata_expr_params *pp;  strata_expr *cond, *upd;
 *   strata_expr__params_new(&pp, names_map, values_map);      // encoded doc maps (or empty)
 *   strata_expr__parse(&cond, STRATA_EXPR_CONDITION, text, len, pp);
 *   strata_expr__parse(&upd, STRATA_EXPR_UPDATE, text2, len2, pp);
 *   strata_expr__params_check_unused(pp);                     // DynamoDB: unused = error
 *   strata_expr__eval(&ok, cond, item);  strata_expr__update(&newitem, upd, item);
 * A parsed expression owns copies of everything it refers to (the params may be freed). It is
 * immutable, so several threads may evaluate it at once. */
#ifndef STRATA_EXPR_H
#define STRATA_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"
#include "util/buf.h"

/* Limits (DynamoDB's where it has one). Exceeding one is STRATA_ELIMIT with a message. */
#define STRATA_EXPR_MAX_LEN 4096       /* bytes of expression text */
#define STRATA_EXPR_MAX_OPS 300        /* operators + functions + update actions per expression */
#define STRATA_EXPR_MAX_DEPTH 32       /* nesting of parentheses, NOT and function calls */
#define STRATA_EXPR_MAX_PATH 32        /* segments in one document path */
#define STRATA_EXPR_MAX_IN 100         /* operands in the list of one IN */
#define STRATA_EXPR_REGEX_MATCH_LIMIT 1000000u /* PCRE2 match limit per regex match */
#define STRATA_EXPR_REGEX_DEPTH_LIMIT 10000u   /* PCRE2 depth limit (interpreter) */
#define STRATA_EXPR_MAX_PATTERN 1024   /* bytes of one regex pattern */

/* Which grammar an expression text is parsed with. */
typedef enum strata_expr_kind {
    STRATA_EXPR_CONDITION = 1,     /* ConditionExpression / FilterExpression */
    STRATA_EXPR_KEY_CONDITION = 2, /* KeyConditionExpression */
    STRATA_EXPR_UPDATE = 3,        /* UpdateExpression */
    STRATA_EXPR_PROJECTION = 4     /* ProjectionExpression */
} strata_expr_kind;

/* The placeholders of one request: ExpressionAttributeNames ("#n" -> string) and
 * ExpressionAttributeValues (":v" -> any value), both given as canonical encoded doc maps.
 * Parsing marks the placeholders it uses, so after all of a request's expressions are parsed,
 * strata_expr__params_check_unused reports the ones no expression used. Not thread-safe. */
typedef struct strata_expr_params strata_expr_params;

/* Make a placeholder set from encoded maps `names` and `values` (either may be an empty slice:
 * no placeholders of that kind). Keys of `names` must be "#" followed by letters, digits or
 * '_' and their values non-empty strings; keys of `values` must be ":" followed by the same.
 * The bytes are copied. 0, STRATA_EINVALID (what was wrong) or STRATA_ENOMEM. */
int strata_expr__params_new(strata_expr_params **out, strata_slice names, strata_slice values);

/* STRATA_EINVALID naming the first unused "#name" and ":value" placeholders, else 0. */
int strata_expr__params_check_unused(const strata_expr_params *p);

/* Release a placeholder set (NULL is fine). */
void strata_expr__params_free(strata_expr_params *p);

/* A parsed expression (any kind). */
typedef struct strata_expr strata_expr;

/* Parse `len` bytes of `text` with the grammar of `kind`, resolving placeholders through
 * `params` (NULL: the expression may use none). On error returns STRATA_EINVALID (syntax,
 * undefined placeholder, wrong operand type, overlapping update/projection paths, ...) or
 * STRATA_ELIMIT (a limit above), with a message "<kind> expression: at offset N: <what>",
 * and *out is NULL. On success *out is owned by the caller (strata_expr__free). */
int strata_expr__parse(strata_expr **out, strata_expr_kind kind, const char *text, size_t len,
                       strata_expr_params *params);

/* Release a parsed expression (NULL is fine). */
void strata_expr__free(strata_expr *e);

/* The kind an expression was parsed as. */
strata_expr_kind strata_expr__kind(const strata_expr *e);

/* Evaluate a condition (or key-condition) expression on an encoded item (a map; an empty slice
 * means "no item": every attribute is missing). *out is 1 when it holds, 0 when not. Missing
 * attributes and mismatched types make a comparison false, never an error. Errors: a regex
 * exceeding its match limits (STRATA_ELIMIT), a damaged item (STRATA_ECORRUPT/EINVALID),
 * STRATA_ENOMEM; *out is then 0. */
int strata_expr__eval(int *out, const strata_expr *e, strata_slice item);

/* Apply an update expression to an encoded item (a map; an empty slice is an empty item) and
 * append the new encoded item to `out` (which the caller zero-initialises and frees). Every
 * right-hand side is evaluated against the original item. On a DynamoDB runtime error (an
 * operand refers to a missing attribute, ADD/DELETE/arithmetic on the wrong type, a path whose
 * parent is missing or not a container) returns STRATA_EINVALID with a message and leaves
 * `out` as it was. */
int strata_expr__update(strata_buf *out, const strata_expr *e, strata_slice item);

/* Nonzero when the update expression `e` writes (SET/REMOVE/ADD/DELETE) the top-level
 * attribute `name` or anything inside it (lets a table refuse updates of key attributes). */
int strata_expr__update_touches(const strata_expr *e, const char *name, size_t name_len);

/* Apply a projection expression: append to `out` an encoded map holding only the projected
 * paths of `item` (paths that do not exist are left out; list elements keep their relative
 * order). Errors: damaged item, STRATA_ENOMEM. */
int strata_expr__project(strata_buf *out, const strata_expr *e, strata_slice item);

/* Sort-key condition kinds of a compiled key condition. */
typedef enum strata_expr_sk_kind {
    STRATA_EXPR_SK_NONE = 0,  /* partition key only: the whole partition */
    STRATA_EXPR_SK_RANGE = 1, /* lower and/or upper bound (=, <, <=, >, >=, BETWEEN) */
    STRATA_EXPR_SK_PREFIX = 2 /* begins_with(sk, prefix): string or binary prefix */
} strata_expr_sk_kind;

/* A key condition compiled for a range scan. Slices borrow from the expression (valid until
 * strata_expr__free) and hold canonical encoded values (strings, numbers or binaries). */
typedef struct strata_expr_keycond {
    strata_slice pk_value;        /* the partition key must equal this */
    strata_expr_sk_kind sk_kind;  /* what constrains the sort key */
    int has_lower, has_upper;     /* SK_RANGE: which bounds exist */
    int lower_inclusive, upper_inclusive;
    strata_slice lower, upper;    /* SK_RANGE bounds (encoded values) */
    strata_slice prefix;          /* SK_PREFIX: encoded string or binary value */
} strata_expr_keycond;

/* Compile key condition `e` for a table whose partition key attribute is `pk_name` and sort
 * key `sk_name` (NULL when it has none). STRATA_EINVALID with a message when the expression
 * names other attributes, lacks the partition-key equality, or constrains the sort key of a
 * table without one. Equality on the sort key is an inclusive range [v, v]. */
int strata_expr__keycond(strata_expr_keycond *out, const strata_expr *e, const char *pk_name,
                         const char *sk_name);

#endif
