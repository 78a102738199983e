/* Regular expressions for regex() and search_regex(): PCRE2 (UTF-8 mode) compiled once per
 * expression, JIT-compiled when the platform allows, and matched with a match limit and a depth
 * limit so that a pathological pattern (catastrophic backtracking) ends with STRATA_ELIMIT
 * instead of running for minutes. PCRE2's memory comes from strata's allocator. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "expr/expr_int.h"

#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

struct xregex {
    struct xregex *next;        /* next pattern of the same expression */
    pcre2_code *code;           /* compiled pattern (JIT-compiled when jit is set) */
    pcre2_match_context *mctx;  /* match limits */
    pcre2_general_context *gctx;
    int jit;                    /* JIT compilation succeeded */
};

static void *re_malloc(PCRE2_SIZE n, void *data)
{
    (void)data;
    return strata_mem__alloc(n);
}

static void re_free(void *p, void *data)
{
    (void)data;
    strata_mem__free(p);
}

static void regex_free(struct xregex *r)
{
    if (r->mctx) pcre2_match_context_free(r->mctx);
    if (r->code) pcre2_code_free(r->code);
    if (r->gctx) pcre2_general_context_free(r->gctx);
}

int strata_expr__regex_compile(strata_expr *e, struct xregex **out, const char *pattern, size_t len,
                               size_t *err_off)
{
    struct xregex *r = strata_expr__arena_alloc(&e->arena, sizeof *r);
    if (!r) return STRATA_ENOMEM;
    r->gctx = pcre2_general_context_create(re_malloc, re_free, NULL);
    if (!r->gctx) return strata_err__set(STRATA_ENOMEM, "regex: out of memory");
    r->next = e->regexes; /* from here on the expression frees it */
    e->regexes = r;
    pcre2_compile_context *cctx = pcre2_compile_context_create(r->gctx);
    if (!cctx) return strata_err__set(STRATA_ENOMEM, "regex: out of memory");
    int errcode = 0;
    PCRE2_SIZE eoff = 0;
    /* UTF mode with validity checks at compile time; subjects are valid UTF-8 strings from
     * canonical values, but matching checks them again: an unvalidated item must not lead PCRE2 astray. */
    r->code = pcre2_compile((PCRE2_SPTR)pattern, len, PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &errcode, &eoff, cctx);
    pcre2_compile_context_free(cctx);
    if (!r->code) {
        if (errcode == PCRE2_ERROR_NOMEMORY) return strata_err__set(STRATA_ENOMEM, "regex: out of memory");
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", errcode);
        *err_off = eoff;
        return strata_err__set(STRATA_EINVALID, "%s", (const char *)msg);
    }
    r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
    r->mctx = pcre2_match_context_create(r->gctx);
    if (!r->mctx) return strata_err__set(STRATA_ENOMEM, "regex: out of memory");
    pcre2_set_match_limit(r->mctx, STRATA_EXPR_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(r->mctx, STRATA_EXPR_REGEX_DEPTH_LIMIT);
    *out = r;
    return 0;
}

void strata_expr__regex_free_all(strata_expr *e)
{
    for (struct xregex *r = e->regexes; r; r = r->next) regex_free(r);
    e->regexes = NULL;
}

int strata_expr__regex_match(const struct xregex *re, xregex_scratch *sc, const char *s, size_t len)
{
    if (!sc->match_data) {
        /* one ovector pair is enough: we only ask whether there is a match */
        sc->match_data = pcre2_match_data_create(1, re->gctx);
        if (!sc->match_data) return strata_err__set(STRATA_ENOMEM, "regex: out of memory");
    }
    int rc = pcre2_match(re->code, (PCRE2_SPTR)(s ? s : ""), len, 0, 0, sc->match_data, re->mctx);
    if (rc >= 0) return 1;
    switch (rc) {
    case PCRE2_ERROR_NOMATCH:
        return 0;
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_JIT_STACKLIMIT:
        return strata_err__set(STRATA_ELIMIT,
                               "regex: the pattern exceeded its match limit (%u steps) on a %zu-byte string; "
                               "simplify the pattern (nested quantifiers backtrack exponentially)",
                               STRATA_EXPR_REGEX_MATCH_LIMIT, len);
    case PCRE2_ERROR_NOMEMORY:
        return strata_err__set(STRATA_ENOMEM, "regex: out of memory");
    default: {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0) snprintf((char *)msg, sizeof msg, "error %d", rc);
        return strata_err__set(STRATA_EINVALID, "regex: match failed: %s", (const char *)msg);
    }
    }
}

void strata_expr__regex_scratch_free(xregex_scratch *sc)
{
    if (sc->match_data) pcre2_match_data_free(sc->match_data);
    sc->match_data = NULL;
}
