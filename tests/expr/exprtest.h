/* Helpers shared by the expression tests: encode JSON (or DynamoDB JSON with a "ddb:" prefix)
 * items and placeholder maps, parse and evaluate in one call, and check errors. */
#ifndef STRATA_EXPRTEST_H
#define STRATA_EXPRTEST_H

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "expr/expr.h"
#include "util/mem.h"

/* Encode JSON text (NULL: empty slice). "ddb:" prefix: DynamoDB JSON item. Aborts on error. */
static inline strata_buf xt_enc(const char *json)
{
    strata_buf b = {0};
    if (!json) return b;
    int rc;
    if (strncmp(json, "ddb:", 4) == 0)
        rc = strata_doc__from_ddb_json(&b, json + 4, strlen(json + 4), STRATA_DOC_DDB_ITEM);
    else
        rc = strata_doc__from_json(&b, json, strlen(json));
    if (rc) fprintf(stderr, "bad test JSON %s: %s\n", json, strata_error_last()->message);
    assert_int_equal(rc, 0);
    return b;
}

static inline strata_slice xt_slice(const strata_buf *b)
{
    strata_slice s = {b->data, b->len};
    return s;
}

/* Parse text as kind with the given names/values JSON (either may be NULL). */
static inline int xt_parse(strata_expr **out, strata_expr_kind kind, const char *text, const char *names,
                           const char *values)
{
    strata_buf n = xt_enc(names), v = xt_enc(values);
    strata_expr_params *pp = NULL;
    int rc = strata_expr__params_new(&pp, xt_slice(&n), xt_slice(&v));
    if (!rc) rc = strata_expr__parse(out, kind, text, strlen(text), pp);
    strata_expr__params_free(pp);
    strata_buf__free(&n);
    strata_buf__free(&v);
    return rc;
}

/* Evaluate condition `text` on `item` (JSON, NULL: no item): 0/1, or a negative error. */
static inline int xt_cond(const char *text, const char *item, const char *names, const char *values)
{
    strata_expr *e = NULL;
    int rc = xt_parse(&e, STRATA_EXPR_CONDITION, text, names, values);
    if (rc) {
        fprintf(stderr, "parse failed: %s: %s\n", text, strata_error_last()->message);
        return rc;
    }
    strata_buf it = xt_enc(item);
    int res = 0;
    rc = strata_expr__eval(&res, e, xt_slice(&it));
    strata_buf__free(&it);
    strata_expr__free(e);
    return rc ? rc : res;
}

/* Assert that parsing fails with `code` and a message containing every '|'-separated part
 * of `want`. */
static inline void xt_parse_fails(strata_expr_kind kind, const char *text, const char *names, const char *values,
                                  int code, const char *want)
{
    strata_expr *e = NULL;
    int rc = xt_parse(&e, kind, text, names, values);
    if (rc != code) fprintf(stderr, "expected %d for <%s>, got %d (%s)\n", code, text, rc, strata_error_last()->message);
    assert_int_equal(rc, code);
    assert_null(e);
    const char *msg = strata_error_last()->message;
    char buf[256];
    for (const char *p = want; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        snprintf(buf, sizeof buf, "%.*s", (int)n, p);
        if (!strstr(msg, buf)) fprintf(stderr, "message of <%s> lacks '%s': %s\n", text, buf, msg);
        assert_non_null(strstr(msg, buf));
        p = bar ? bar + 1 : NULL;
    }
}

/* Apply update `text` to `item`; on success returns the new item as malloc'd JSON, else NULL
 * with *rc set. */
static inline char *xt_update(const char *text, const char *item, const char *names, const char *values, int *rc)
{
    strata_expr *e = NULL;
    *rc = xt_parse(&e, STRATA_EXPR_UPDATE, text, names, values);
    if (*rc) {
        fprintf(stderr, "parse failed: %s: %s\n", text, strata_error_last()->message);
        return NULL;
    }
    strata_buf it = xt_enc(item), out = {0}, js = {0};
    char *res = NULL;
    *rc = strata_expr__update(&out, e, xt_slice(&it));
    if (!*rc) {
        assert_int_equal(strata_doc__validate(out.data, out.len), 0);
        strata_slice o = {out.data, out.len};
        assert_int_equal(strata_doc__to_json(&js, o, 0), 0);
        res = strndup((const char *)js.data, js.len);
    }
    strata_buf__free(&it);
    strata_buf__free(&out);
    strata_buf__free(&js);
    strata_expr__free(e);
    return res;
}

/* Assert the update result is the encoding of `expected` (JSON or "ddb:" DynamoDB JSON). */
static inline void xt_update_is(const char *text, const char *item, const char *names, const char *values,
                                const char *expected)
{
    strata_expr *e = NULL;
    int rc = xt_parse(&e, STRATA_EXPR_UPDATE, text, names, values);
    if (rc) fprintf(stderr, "parse failed: %s: %s\n", text, strata_error_last()->message);
    assert_int_equal(rc, 0);
    strata_buf it = xt_enc(item), out = {0}, want = xt_enc(expected), js = {0};
    rc = strata_expr__update(&out, e, xt_slice(&it));
    if (rc) fprintf(stderr, "update <%s> failed: %s\n", text, strata_error_last()->message);
    assert_int_equal(rc, 0);
    assert_int_equal(strata_doc__validate(out.data, out.len), 0);
    if (out.len != want.len || memcmp(out.data, want.data, out.len) != 0) {
        strata_slice o = {out.data, out.len};
        strata_doc__to_ddb_json(&js, o, STRATA_DOC_DDB_ITEM);
        fprintf(stderr, "update <%s>: got %.*s, expected %s\n", text, (int)js.len, (const char *)js.data, expected);
    }
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.data, want.data, want.len);
    strata_buf__free(&it);
    strata_buf__free(&out);
    strata_buf__free(&want);
    strata_buf__free(&js);
    strata_expr__free(e);
}

/* Assert update fails at run time with code and message containing `want`. */
static inline void xt_update_fails(const char *text, const char *item, const char *names, const char *values,
                                   int code, const char *want)
{
    int rc;
    char *got = xt_update(text, item, names, values, &rc);
    if (rc != code) fprintf(stderr, "update <%s>: expected %d, got %d -> %s\n", text, code, rc, got ? got : "");
    assert_null(got);
    assert_int_equal(rc, code);
    if (!strstr(strata_error_last()->message, want))
        fprintf(stderr, "message lacks '%s': %s\n", want, strata_error_last()->message);
    assert_non_null(strstr(strata_error_last()->message, want));
}

#endif
