/* Value glue between expressions and src/doc: placeholder sets (ExpressionAttributeNames and
 * ExpressionAttributeValues as encoded maps, with "used" marks), encoded literals, type names
 * and DynamoDB comparison. */
#include "expr/expr_int.h"

#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/mem.h"

struct strata_expr_params {
    uint8_t *names;       /* copy of the encoded names map (NULL: none) */
    size_t names_len;
    uint8_t *values;      /* copy of the encoded values map (NULL: none) */
    size_t values_len;
    size_t nnames, nvalues;   /* entries in each map */
    uint8_t *names_used;  /* one flag per names entry */
    uint8_t *values_used; /* one flag per values entry */
};

static const char *const type_names[] = {
    [XV_NULL] = "NULL", [XV_BOOL] = "BOOL", [XV_N] = "N", [XV_S] = "S", [XV_B] = "B",
    [XV_L] = "L", [XV_M] = "M", [XV_SS] = "SS", [XV_NS] = "NS", [XV_BS] = "BS",
};

const char *strata_expr__type_name(xtype t)
{
    return t >= XV_NULL && t <= XV_BS ? type_names[t] : "?";
}

xtype strata_expr__type_parse(const char *s, size_t len)
{
    for (int t = XV_NULL; t <= XV_BS; t++)
        if (strlen(type_names[t]) == len && memcmp(type_names[t], s, len) == 0) return (xtype)t;
    return 0;
}

xtype strata_expr__vtype(strata_slice v)
{
    switch (strata_doc__type(v)) {
    case STRATA_DOC_NULL: return XV_NULL;
    case STRATA_DOC_BOOL: return XV_BOOL;
    case STRATA_DOC_NUMBER: return XV_N;
    case STRATA_DOC_STRING: return XV_S;
    case STRATA_DOC_BINARY: return XV_B;
    case STRATA_DOC_LIST: return XV_L;
    case STRATA_DOC_MAP: return XV_M;
    case STRATA_DOC_SSET: return XV_SS;
    case STRATA_DOC_NSET: return XV_NS;
    case STRATA_DOC_BSET: return XV_BS;
    default: return 0;
    }
}

int strata_expr__vcompare(strata_slice a, strata_slice b)
{
    return strata_doc__compare(a, b);
}

/* ---- literals ------------------------------------------------------------------------------ */

enum { LIT_NUMBER, LIT_STRING, LIT_BOOL, LIT_NULL };

/* Build one scalar with a doc builder and copy its encoding into the arena. */
static int literal(strata_expr_arena *a, strata_slice *out, int kind, const char *s, size_t len, int b)
{
    strata_doc_builder *bld = NULL;
    int rc = strata_doc__builder_new(&bld);
    if (rc) return rc;
    switch (kind) {
    case LIT_NUMBER: rc = strata_doc__b_number_text(bld, s, len); break;
    case LIT_STRING: rc = strata_doc__b_string(bld, s, len); break;
    case LIT_BOOL: rc = strata_doc__b_bool(bld, b); break;
    default: rc = strata_doc__b_null(bld); break;
    }
    strata_slice v;
    if (!rc) rc = strata_doc__builder_finish(bld, &v);
    if (!rc) {
        void *copy = strata_expr__arena_dup(a, v.data, v.len);
        if (!copy) rc = STRATA_ENOMEM;
        else {
            out->data = copy;
            out->len = v.len;
        }
    }
    strata_doc__builder_free(bld);
    return rc;
}

int strata_expr__val_number(strata_expr_arena *a, strata_slice *out, const char *text, size_t len)
{
    return literal(a, out, LIT_NUMBER, text, len, 0);
}

int strata_expr__val_string(strata_expr_arena *a, strata_slice *out, const char *s, size_t len)
{
    return literal(a, out, LIT_STRING, s, len, 0);
}

int strata_expr__val_bool(strata_expr_arena *a, strata_slice *out, int b)
{
    return literal(a, out, LIT_BOOL, NULL, 0, b);
}

int strata_expr__val_null(strata_expr_arena *a, strata_slice *out)
{
    return literal(a, out, LIT_NULL, NULL, 0, 0);
}

/* ---- placeholder sets ---------------------------------------------------------------------- */

static int ph_name_ok(strata_slice k, char sigil)
{
    const char *s = k.data;
    if (k.len < 2 || s[0] != sigil) return 0;
    for (size_t i = 1; i < k.len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* Validate and copy one placeholder map. what: "names" or "values". */
static int load_map(strata_slice in, char sigil, uint8_t **data, size_t *len, size_t *count, uint8_t **used)
{
    const char *what = sigil == '#' ? "expression attribute names" : "expression attribute values";
    if (in.len == 0) return 0;
    if (!in.data) return strata_err__set(STRATA_EINVALID, "%s: data is NULL", what);
    int rc = strata_doc__validate(in.data, in.len);
    if (rc) return strata_err__wrap(STRATA_EINVALID, "%s", what);
    if (strata_doc__type(in) != STRATA_DOC_MAP)
        return strata_err__set(STRATA_EINVALID, "%s: expected a map", what);
    size_t n = 0;
    if ((rc = strata_doc__count(in, &n)) != 0) return rc;
    for (size_t i = 0; i < n; i++) {
        strata_slice k, v;
        if ((rc = strata_doc__map_entry(in, i, &k, &v)) != 0) return rc;
        if (!ph_name_ok(k, sigil))
            return strata_err__set(STRATA_EINVALID, "%s: key '%.*s' must be '%c' followed by letters, digits or '_'",
                                   what, (int)(k.len > 40 ? 40 : k.len), (const char *)k.data, sigil);
        if (sigil == '#') {
            strata_slice s;
            if (strata_doc__get_string(v, &s) != 0 || s.len == 0)
                return strata_err__set(STRATA_EINVALID, "%s: '%.*s' must map to a non-empty string", what,
                                       (int)(k.len > 40 ? 40 : k.len), (const char *)k.data);
        }
    }
    *data = strata_mem__alloc(in.len);
    *used = strata_mem__calloc(n ? n : 1, 1);
    if (!*data || !*used) return STRATA_ENOMEM;
    memcpy(*data, in.data, in.len);
    *len = in.len;
    *count = n;
    return 0;
}

int strata_expr__params_new(strata_expr_params **out, strata_slice names, strata_slice values)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "expression params: out is NULL");
    *out = NULL;
    strata_expr_params *p = strata_mem__calloc(1, sizeof *p);
    if (!p) return STRATA_ENOMEM;
    int rc = load_map(names, '#', &p->names, &p->names_len, &p->nnames, &p->names_used);
    if (!rc) rc = load_map(values, ':', &p->values, &p->values_len, &p->nvalues, &p->values_used);
    if (rc) {
        strata_expr__params_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void strata_expr__params_free(strata_expr_params *p)
{
    if (!p) return;
    strata_mem__free(p->names);
    strata_mem__free(p->values);
    strata_mem__free(p->names_used);
    strata_mem__free(p->values_used);
    strata_mem__free(p);
}

/* Binary search for key `k` in the map's entries (keys ascending bytewise); index or -1. */
static long find(const uint8_t *data, size_t len, size_t n, const char *k, size_t klen)
{
    strata_slice map = {data, len};
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        strata_slice key;
        if (strata_doc__map_entry(map, mid, &key, NULL) != 0) return -1;
        size_t m = key.len < klen ? key.len : klen;
        int c = memcmp(key.data, k, m);
        if (c == 0) c = key.len < klen ? -1 : key.len > klen ? 1 : 0;
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

int strata_expr__params_name(strata_expr_params *p, strata_slice *out, const char *ph, size_t len)
{
    if (!p->names) return STRATA_ENOTFOUND;
    long i = find(p->names, p->names_len, p->nnames, ph, len);
    if (i < 0) return STRATA_ENOTFOUND;
    strata_slice map = {p->names, p->names_len}, v;
    int rc = strata_doc__map_entry(map, (size_t)i, NULL, &v);
    if (!rc) rc = strata_doc__get_string(v, out);
    if (!rc) p->names_used[i] = 1;
    return rc;
}

int strata_expr__params_value(strata_expr_params *p, strata_slice *out, const char *ph, size_t len)
{
    if (!p->values) return STRATA_ENOTFOUND;
    long i = find(p->values, p->values_len, p->nvalues, ph, len);
    if (i < 0) return STRATA_ENOTFOUND;
    strata_slice map = {p->values, p->values_len};
    int rc = strata_doc__map_entry(map, (size_t)i, NULL, out);
    if (!rc) p->values_used[i] = 1;
    return rc;
}

/* Append up to 5 unused keys of one map to msg; returns how many were unused. */
static size_t unused_keys(char *msg, size_t cap, const uint8_t *data, size_t len, size_t n, const uint8_t *used)
{
    strata_slice map = {data, len};
    size_t count = 0, o = strlen(msg);
    for (size_t i = 0; i < n; i++) {
        if (used[i]) continue;
        if (count++ >= 5) continue;
        strata_slice k;
        if (strata_doc__map_entry(map, i, &k, NULL) != 0) continue;
        int w = snprintf(msg + o, cap - o, "%s%.*s", count > 1 ? ", " : "", (int)(k.len > 40 ? 40 : k.len),
                         (const char *)k.data);
        if (w > 0 && (size_t)w < cap - o) o += (size_t)w;
    }
    return count;
}

int strata_expr__params_check_unused(const strata_expr_params *p)
{
    if (!p) return 0;
    char a[400] = "", b[400] = "";
    size_t na = p->names ? unused_keys(a, sizeof a, p->names, p->names_len, p->nnames, p->names_used) : 0;
    size_t nb = p->values ? unused_keys(b, sizeof b, p->values, p->values_len, p->nvalues, p->values_used) : 0;
    if (na && nb)
        return strata_err__set(STRATA_EINVALID,
                               "expression attribute names unused in expressions: %s; values unused: %s", a, b);
    if (na) return strata_err__set(STRATA_EINVALID, "expression attribute names unused in expressions: %s", a);
    if (nb) return strata_err__set(STRATA_EINVALID, "expression attribute values unused in expressions: %s", b);
    return 0;
}
