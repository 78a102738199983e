/* The public value type: an owned copy of a canonical encoded value, its JSON and
 * DynamoDB-JSON conversions, reading, building and the public name check. It lives with the
 * value model it wraps and knows nothing of the database. */
#include <string.h>

#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

struct strata_value {
    size_t len;
    uint8_t bytes[]; /* canonical encoding */
};

int strata_doc__value_new(strata_value **out, const void *bytes, size_t len)
{
    strata_value *v = strata_mem__alloc(sizeof *v + len);
    if (!v) return STRATA_ENOMEM;
    v->len = len;
    if (len) memcpy(v->bytes, bytes, len);
    *out = v;
    return 0;
}

strata_slice strata_doc__value_slice(const strata_value *v)
{
    strata_slice s = {v ? v->bytes : NULL, v ? v->len : 0};
    return s;
}

int strata_value_from_json(strata_value **out, const char *json, size_t len, unsigned int flags)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_from_json: out is NULL");
    *out = NULL;
    if (!json) return strata_err__set(STRATA_EINVALID, "strata_value_from_json: json is NULL");
    if (flags & ~(STRATA_JSON_DYNAMODB | STRATA_JSON_ITEM))
        return strata_err__set(STRATA_EINVALID, "strata_value_from_json: unknown flags 0x%x", flags);
    if ((flags & STRATA_JSON_ITEM) && !(flags & STRATA_JSON_DYNAMODB))
        return strata_err__set(STRATA_EINVALID, "STRATA_JSON_ITEM needs STRATA_JSON_DYNAMODB");
    strata_buf b = {0};
    int rc = (flags & STRATA_JSON_DYNAMODB)
                 ? strata_doc__from_ddb_json(&b, json, len, (flags & STRATA_JSON_ITEM) ? STRATA_DOC_DDB_ITEM : 0)
                 : strata_doc__from_json(&b, json, len);
    if (rc == 0) rc = strata_doc__value_new(out, b.data, b.len);
    strata_buf__free(&b);
    return rc;
}

int strata_value_from_bytes(strata_value **out, const void *data, size_t len)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_from_bytes: out is NULL");
    *out = NULL;
    if (!data && len) return strata_err__set(STRATA_EINVALID, "strata_value_from_bytes: data is NULL");
    int rc = strata_doc__validate(data, len);
    if (rc) return rc == STRATA_ECORRUPT ? strata_err__wrap(STRATA_EINVALID, "not a canonical value") : rc;
    return strata_doc__value_new(out, data, len);
}

strata_slice strata_value_bytes(const strata_value *v) { return strata_doc__value_slice(v); }

int strata_value_to_json(char **out, size_t *len, const strata_value *v, unsigned int flags)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_to_json: out is NULL");
    *out = NULL;
    if (!v) return strata_err__set(STRATA_EINVALID, "strata_value_to_json: value is NULL");
    if (flags & ~(STRATA_JSON_PRETTY | STRATA_JSON_DYNAMODB | STRATA_JSON_ITEM))
        return strata_err__set(STRATA_EINVALID, "strata_value_to_json: unknown flags 0x%x", flags);
    strata_buf b = {0};
    strata_slice s = strata_doc__value_slice(v);
    int rc;
    if (flags & STRATA_JSON_DYNAMODB)
        rc = strata_doc__to_ddb_json(&b, s, ((flags & STRATA_JSON_ITEM) ? STRATA_DOC_DDB_ITEM : 0) |
                                                ((flags & STRATA_JSON_PRETTY) ? STRATA_DOC_DDB_PRETTY : 0));
    else
        rc = strata_doc__to_json(&b, s, (flags & STRATA_JSON_PRETTY) ? STRATA_DOC_JSON_PRETTY : 0);
    if (rc == 0) rc = strata_buf__putc(&b, 0);
    if (rc) {
        strata_buf__free(&b);
        return rc;
    }
    size_t n;
    *out = (char *)strata_buf__detach(&b, &n);
    if (len) *len = n - 1;
    return 0;
}

/* strata_type restates the doc module's type tags for the public header. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(STRATA_TYPE_NULL, STRATA_DOC_NULL) && SAME(STRATA_TYPE_BOOL, STRATA_DOC_BOOL) &&
                   SAME(STRATA_TYPE_NUMBER, STRATA_DOC_NUMBER) && SAME(STRATA_TYPE_STRING, STRATA_DOC_STRING) &&
                   SAME(STRATA_TYPE_BINARY, STRATA_DOC_BINARY) && SAME(STRATA_TYPE_LIST, STRATA_DOC_LIST) &&
                   SAME(STRATA_TYPE_MAP, STRATA_DOC_MAP) && SAME(STRATA_TYPE_STRING_SET, STRATA_DOC_SSET) &&
                   SAME(STRATA_TYPE_NUMBER_SET, STRATA_DOC_NSET) && SAME(STRATA_TYPE_BINARY_SET, STRATA_DOC_BSET),
               "strata_type and strata_doc_type differ");
#undef SAME

int strata_value_type(const strata_value *v)
{
    if (!v) return strata_err__set(STRATA_EINVALID, "strata_value_type: value is NULL");
    return strata_doc__type(strata_doc__value_slice(v));
}

int strata_value_get(strata_value **out, const strata_value *v, const char *path)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_get: out is NULL");
    *out = NULL;
    if (!v || !path) return strata_err__set(STRATA_EINVALID, "strata_value_get: NULL argument");
    strata_doc_path p;
    int rc = strata_doc__path_parse(&p, path, strlen(path));
    if (rc) return rc;
    strata_slice sub;
    rc = strata_doc__lookup(strata_doc__value_slice(v), p.steps, p.n, &sub);
    strata_doc__path_free(&p);
    if (rc == STRATA_ENOTFOUND) return strata_err__set(STRATA_ENOTFOUND, "no value at path '%s'", path);
    if (rc) return rc;
    return strata_doc__value_new(out, sub.data, sub.len);
}

int strata_value_equal(const strata_value *a, const strata_value *b)
{
    if (!a || !b) return a == b;
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

void strata_value_free(strata_value *v) { strata_mem__free(v); }

/* ---- reading a value's parts ---------------------------------------------------------------- */

static int want(const strata_value *v, const char *fn, int type, const char *what)
{
    if (!v) return strata_err__set(STRATA_EINVALID, "%s: value is NULL", fn);
    int t = strata_doc__type(strata_doc__value_slice(v));
    if (t < 0) return t;
    if (type >= 0 && t != type) return strata_err__set(STRATA_EINVALID, "%s: the value is not %s", fn, what);
    return t;
}

static int is_container(int t)
{
    return t == STRATA_TYPE_LIST || t == STRATA_TYPE_MAP || t == STRATA_TYPE_STRING_SET ||
           t == STRATA_TYPE_NUMBER_SET || t == STRATA_TYPE_BINARY_SET;
}

int strata_value_count(size_t *out, const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_count: out is NULL");
    int t = want(v, "strata_value_count", -1, NULL);
    if (t < 0) return t;
    if (!is_container(t)) return strata_err__set(STRATA_EINVALID, "strata_value_count: the value is not a list, map or set");
    return strata_doc__count(strata_doc__value_slice(v), out);
}

int strata_value_bool(int *out, const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_bool: out is NULL");
    int t = want(v, "strata_value_bool", STRATA_TYPE_BOOL, "a boolean");
    return t < 0 ? t : strata_doc__get_bool(strata_doc__value_slice(v), out);
}

int strata_value_string(strata_slice *out, const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_string: out is NULL");
    int t = want(v, "strata_value_string", STRATA_TYPE_STRING, "a string");
    return t < 0 ? t : strata_doc__get_string(strata_doc__value_slice(v), out);
}

int strata_value_binary(strata_slice *out, const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_binary: out is NULL");
    int t = want(v, "strata_value_binary", STRATA_TYPE_BINARY, "binary");
    return t < 0 ? t : strata_doc__get_binary(strata_doc__value_slice(v), out);
}

static int get_num(strata_num *n, const strata_value *v, const char *fn)
{
    int t = want(v, fn, STRATA_TYPE_NUMBER, "a number");
    return t < 0 ? t : strata_doc__get_number(strata_doc__value_slice(v), n);
}

_Static_assert(STRATA_NUMBER_TEXT_MAX >= STRATA_NUM_TEXT_MAX, "number text buffer too small");

int strata_value_number_text(char out[STRATA_NUMBER_TEXT_MAX], const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_number_text: out is NULL");
    strata_num n;
    int rc = get_num(&n, v, "strata_value_number_text");
    if (rc == 0) strata_num__format(&n, out);
    return rc;
}

int strata_value_int64(int64_t *out, const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_int64: out is NULL");
    strata_num n;
    int rc = get_num(&n, v, "strata_value_int64");
    if (rc == 0 && strata_num__to_i64(&n, out))
        rc = strata_err__set(STRATA_EINVALID, "strata_value_int64: the number is not an integer in int64's range");
    return rc;
}

int strata_value_double(double *out, const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_double: out is NULL");
    strata_num n;
    int rc = get_num(&n, v, "strata_value_double");
    if (rc == 0) *out = strata_num__to_double(&n);
    return rc;
}

/* ---- building values ------------------------------------------------------------------------ */

/* The public builder is the doc module's builder under another name. */
struct strata_builder {
    strata_doc_builder *b;
};

int strata_builder_new(strata_builder **out)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_builder_new: out is NULL");
    *out = NULL;
    strata_builder *b = strata_mem__calloc(1, sizeof *b);
    if (!b) return STRATA_ENOMEM;
    int rc = strata_doc__builder_new(&b->b);
    if (rc) {
        strata_mem__free(b);
        return rc;
    }
    *out = b;
    return 0;
}

void strata_builder_free(strata_builder *b)
{
    if (!b) return;
    strata_doc__builder_free(b->b);
    strata_mem__free(b);
}

#define BUILDER(b, fn)                                                                          \
    do {                                                                                        \
        if (!(b)) return strata_err__set(STRATA_EINVALID, fn ": builder is NULL");              \
    } while (0)

int strata_builder_key(strata_builder *b, const char *name, size_t len)
{
    BUILDER(b, "strata_builder_key");
    if (!name && len) return strata_err__set(STRATA_EINVALID, "strata_builder_key: name is NULL");
    return strata_doc__b_key(b->b, name ? name : "", len);
}

int strata_builder_null(strata_builder *b)
{
    BUILDER(b, "strata_builder_null");
    return strata_doc__b_null(b->b);
}

int strata_builder_bool(strata_builder *b, int v)
{
    BUILDER(b, "strata_builder_bool");
    return strata_doc__b_bool(b->b, v != 0);
}

int strata_builder_int64(strata_builder *b, int64_t v)
{
    BUILDER(b, "strata_builder_int64");
    strata_num n;
    strata_num__from_i64(&n, v);
    return strata_doc__b_number(b->b, &n);
}

int strata_builder_number(strata_builder *b, const char *text, size_t len)
{
    BUILDER(b, "strata_builder_number");
    if (!text) return strata_err__set(STRATA_EINVALID, "strata_builder_number: text is NULL");
    return strata_doc__b_number_text(b->b, text, len);
}

int strata_builder_string(strata_builder *b, const char *s, size_t len)
{
    BUILDER(b, "strata_builder_string");
    if (!s && len) return strata_err__set(STRATA_EINVALID, "strata_builder_string: s is NULL");
    return strata_doc__b_string(b->b, s ? s : "", len);
}

int strata_builder_binary(strata_builder *b, const void *p, size_t len)
{
    BUILDER(b, "strata_builder_binary");
    if (!p && len) return strata_err__set(STRATA_EINVALID, "strata_builder_binary: p is NULL");
    return strata_doc__b_binary(b->b, p ? p : "", len);
}

int strata_builder_value(strata_builder *b, const strata_value *v)
{
    BUILDER(b, "strata_builder_value");
    if (!v) return strata_err__set(STRATA_EINVALID, "strata_builder_value: value is NULL");
    return strata_doc__b_value(b->b, strata_doc__value_slice(v));
}

int strata_builder_begin(strata_builder *b, int type)
{
    BUILDER(b, "strata_builder_begin");
    if (!is_container(type))
        return strata_err__set(STRATA_EINVALID, "strata_builder_begin: type %d is not a list, map or set", type);
    return strata_doc__b_begin(b->b, (strata_doc_type)type);
}

int strata_builder_end(strata_builder *b)
{
    BUILDER(b, "strata_builder_end");
    return strata_doc__b_end(b->b);
}

int strata_builder_finish(strata_value **out, strata_builder *b)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_builder_finish: out is NULL");
    *out = NULL;
    BUILDER(b, "strata_builder_finish");
    strata_slice s;
    int rc = strata_doc__builder_finish(b->b, &s);
    if (rc == 0) rc = strata_doc__value_new(out, s.data, s.len);
    strata_doc__builder_reset(b->b);
    return rc;
}

/* ---- names ---------------------------------------------------------------------------------- */

int strata_name_check(const char *name)
{
    if (!name) return strata_err__set(STRATA_EINVALID, "name is NULL");
    return strata_doc__check_name(name, strlen(name), "name");
}
