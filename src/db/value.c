/* The public value type: an owned copy of a canonical encoded value, and its JSON and
 * DynamoDB-JSON conversions (through src/doc). */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

struct strata_value {
    size_t len;
    uint8_t bytes[]; /* canonical encoding */
};

int strata_db__value_new(strata_value **out, const void *bytes, size_t len)
{
    strata_value *v = strata_mem__alloc(sizeof *v + len);
    if (!v) return STRATA_ENOMEM;
    v->len = len;
    if (len) memcpy(v->bytes, bytes, len);
    *out = v;
    return 0;
}

strata_slice strata_db__value_slice(const strata_value *v)
{
    strata_slice s = {v ? v->bytes : NULL, v ? v->len : 0};
    return s;
}

void strata_free(void *p) { strata_mem__free(p); }

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
    if (rc == 0) rc = strata_db__value_new(out, b.data, b.len);
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
    return strata_db__value_new(out, data, len);
}

strata_slice strata_value_bytes(const strata_value *v) { return strata_db__value_slice(v); }

int strata_value_to_json(char **out, size_t *len, const strata_value *v, unsigned int flags)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_to_json: out is NULL");
    *out = NULL;
    if (!v) return strata_err__set(STRATA_EINVALID, "strata_value_to_json: value is NULL");
    if (flags & ~(STRATA_JSON_PRETTY | STRATA_JSON_DYNAMODB | STRATA_JSON_ITEM))
        return strata_err__set(STRATA_EINVALID, "strata_value_to_json: unknown flags 0x%x", flags);
    strata_buf b = {0};
    strata_slice s = strata_db__value_slice(v);
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
    return strata_doc__type(strata_db__value_slice(v));
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
    rc = strata_doc__lookup(strata_db__value_slice(v), p.steps, p.n, &sub);
    strata_doc__path_free(&p);
    if (rc == STRATA_ENOTFOUND) return strata_err__set(STRATA_ENOTFOUND, "no value at path '%s'", path);
    if (rc) return rc;
    return strata_db__value_new(out, sub.data, sub.len);
}

int strata_value_equal(const strata_value *a, const strata_value *b)
{
    if (!a || !b) return a == b;
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

void strata_value_free(strata_value *v) { strata_mem__free(v); }
