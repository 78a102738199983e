/* Private to src/expr: the arena, tokens, the parse tree and the value glue over src/doc. */
#ifndef STRATA_EXPR_INT_H
#define STRATA_EXPR_INT_H

#include <stddef.h>
#include <stdint.h>

#include "doc/doc.h"
#include "expr/expr.h"

/* ---- arena (arena.c) ------------------------------------------------------------------- */

typedef struct strata_expr_arena {
    struct arena_block *head; /* newest block, NULL when empty */
} strata_expr_arena;

/* Zeroed, max-aligned memory living until arena_free; NULL (STRATA_ENOMEM set) on failure. */
void *strata_expr__arena_alloc(strata_expr_arena *a, size_t n);
/* Copy n bytes into the arena, NUL-terminated. NULL on failure. */
void *strata_expr__arena_dup(strata_expr_arena *a, const void *p, size_t n);
void strata_expr__arena_free(strata_expr_arena *a);

/* ---- tokens (lex.c) -------------------------------------------------------------------- */

typedef enum xtok_type {
    XT_EOF, XT_IDENT, XT_NAME, XT_VALUE, XT_NUMBER, XT_STRING,
    XT_LPAREN, XT_RPAREN, XT_LBRACK, XT_RBRACK, XT_COMMA, XT_DOT,
    XT_EQ, XT_NE, XT_LT, XT_LE, XT_GT, XT_GE, XT_PLUS, XT_MINUS
} xtok_type;

typedef struct xtok {
    xtok_type type;
    uint32_t off; /* byte offset of the token (or of the bad byte on error) */
    uint32_t len; /* bytes of the token */
} xtok;

/* Lex the token at or after `pos` in src[0..len). 0, or -1 with *why set (and out->off at
 * the offending byte). */
int strata_expr__lex(xtok *out, const char *src, size_t len, size_t pos, const char **why);
/* A human name for a token type ("')'", "end of expression", ...). */
const char *strata_expr__tok_name(xtok_type t);
/* Decode the body of a validated string literal (without quotes) into dst (at least len
 * bytes). 0, or -1 on an unpaired surrogate escape. */
int strata_expr__unescape(char *dst, size_t *dst_len, const char *src, size_t len);

/* ---- values (value.c: the only file that knows src/doc) -------------------------------- */

/* Value types, DynamoDB's names. */
typedef enum xtype {
    XV_NULL = 1, XV_BOOL, XV_N, XV_S, XV_B, XV_L, XV_M, XV_SS, XV_NS, XV_BS
} xtype;

/* "S", "N", "BOOL", ... for messages and attribute_type. */
const char *strata_expr__type_name(xtype t);
/* Parse a DynamoDB type name ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M");
 * 0 when it is not one. */
xtype strata_expr__type_parse(const char *s, size_t len);

/* The type of the encoded value v, or 0 if it is damaged. */
xtype strata_expr__vtype(strata_slice v);

/* DynamoDB comparison of encoded values: -1/0/1 for ordered pairs (N, S, B of one type) and
 * deeply equal values (0), STRATA_DOC_INCOMPARABLE otherwise, negative on damaged bytes. */
int strata_expr__vcompare(strata_slice a, strata_slice b);

/* Make encoded literals in the arena. 0, STRATA_EINVALID (bad number) or STRATA_ENOMEM. */
int strata_expr__val_number(strata_expr_arena *a, strata_slice *out, const char *text, size_t len);
int strata_expr__val_string(strata_expr_arena *a, strata_slice *out, const char *s, size_t len);
int strata_expr__val_bool(strata_expr_arena *a, strata_slice *out, int b);
int strata_expr__val_null(strata_expr_arena *a, strata_slice *out);

/* Look a placeholder up ("#n" in names, ":v" in values) and mark it used. 0 with *out set
 * (a name's string bytes, or a value's encoding, borrowed from params) or STRATA_ENOTFOUND. */
int strata_expr__params_name(strata_expr_params *p, strata_slice *out, const char *ph, size_t len);
int strata_expr__params_value(strata_expr_params *p, strata_slice *out, const char *ph, size_t len);

/* ---- parse tree ------------------------------------------------------------------------ */

/* A document path: steps are src/doc's (name != NULL: map key; NULL: list index). Key bytes
 * live in the expression's arena. */
typedef struct xpath {
    strata_doc_step *seg;
    uint32_t n;   /* segments, 1..STRATA_EXPR_MAX_PATH */
    uint32_t off; /* offset of the path in the text */
} xpath;

typedef enum xnode_kind {
    XN_PATH,        /* path */
    XN_CONST,       /* value */
    XN_SIZE,        /* size(a) */
    XN_CMP,         /* a op b */
    XN_BETWEEN,     /* a BETWEEN b AND c */
    XN_IN,          /* a IN (args) */
    XN_AND, XN_OR,  /* a, b */
    XN_NOT,         /* a */
    XN_EXISTS,      /* attribute_exists(path) */
    XN_NOT_EXISTS,  /* attribute_not_exists(path) */
    XN_TYPE,        /* attribute_type(path, vtype) */
    XN_BEGINS,      /* begins_with(a, b) */
    XN_CONTAINS,    /* contains(a, b) */
    XN_REGEX,       /* regex(a, re) */
    XN_SEARCH,      /* search(value) */
    XN_SEARCH_RE,   /* search_regex(re) */
    XN_PLUS, XN_MINUS,   /* update: a + b, a - b */
    XN_IF_NOT_EXISTS,    /* update: if_not_exists(path, b) */
    XN_LIST_APPEND       /* update: list_append(a, b) */
} xnode_kind;

struct xregex;

typedef struct xnode {
    xnode_kind kind;
    xtok_type op;          /* XN_CMP: XT_EQ .. XT_GE */
    uint32_t off;          /* offset in the text (for messages) */
    struct xnode *a, *b, *c;
    struct xnode **args;   /* XN_IN */
    uint32_t nargs;
    xpath *path;           /* XN_PATH, XN_EXISTS, XN_NOT_EXISTS, XN_TYPE, XN_IF_NOT_EXISTS */
    strata_slice value;    /* XN_CONST: encoded value; XN_SEARCH: the string bytes */
    xtype vtype;           /* XN_TYPE */
    struct xregex *re;     /* XN_REGEX, XN_SEARCH_RE */
} xnode;

typedef enum xaction_kind { XA_SET = 1, XA_REMOVE, XA_ADD, XA_DELETE } xaction_kind;

typedef struct xaction {
    xaction_kind kind;
    xpath *path;   /* target */
    xnode *value;  /* SET: value expression; ADD/DELETE: XN_CONST; REMOVE: NULL */
} xaction;

struct strata_expr {
    strata_expr_arena arena;
    strata_expr_kind kind;
    xnode *root;           /* condition / key condition */
    xaction *actions;      /* update, in text order */
    uint32_t nactions;
    xpath **paths;         /* projection, in text order */
    uint32_t npaths;
    struct xproj *proj;    /* projection: the paths merged into a trie */
    struct xregex *regexes; /* every compiled pattern, freed with the expression */
};

/* Build e->proj from e->paths (project.c). 0 or STRATA_ENOMEM. */
int strata_expr__proj_build(strata_expr *e);

/* ---- regex (regex.c) ------------------------------------------------------------------- */

/* Compile `pattern` (UTF-8) into e's regex list; *out borrows from e. On a bad pattern returns
 * STRATA_EINVALID with *err_off set to the offset inside the pattern and the message set to
 * PCRE2's description. */
int strata_expr__regex_compile(strata_expr *e, struct xregex **out, const char *pattern,
                               size_t len, size_t *err_off);
/* Free every pattern compiled for e. */
void strata_expr__regex_free_all(strata_expr *e);

/* Per-evaluation regex scratch (match data), created lazily. */
typedef struct xregex_scratch {
    void *match_data; /* pcre2_match_data *, sized for the largest pattern used */
} xregex_scratch;

/* Match subject s[0..len) against re. 1 match, 0 no match, STRATA_ELIMIT when the match or
 * depth limit (or the JIT stack) is exhausted, STRATA_ENOMEM. */
int strata_expr__regex_match(const struct xregex *re, xregex_scratch *sc, const char *s, size_t len);
void strata_expr__regex_scratch_free(xregex_scratch *sc);

/* ---- shared helpers -------------------------------------------------------------------- */

/* Name of an expression kind for messages ("condition", "update", ...). */
const char *strata_expr__kind_name(strata_expr_kind k);

/* Nonzero when path a is a prefix of path b or b of a (they overlap: DynamoDB refuses two
 * such paths in one update or projection). */
int strata_expr__paths_overlap(const xpath *a, const xpath *b);

/* Append a readable form of a path ("a.b[2]") to a buffer (for messages). */
void strata_expr__path_fmt(char *dst, size_t cap, const xpath *p);

#endif
