/* DynamoDB JSON <-> canonical value. Parsing is two steps: the strict JSON parser turns the text
 * into a plain value (so syntax errors get line:column), then each AttributeValue object is
 * checked against DynamoDB's rules and converted into the typed value; those errors name the
 * attribute path ("at a.b[2]: NULL must be true"). Printing is direct and lossless. */
#include <stdio.h>
#include <string.h>

#include "doc/doc.h"
#include "doc/doc_int.h"
#include "util/error.h"
#include "util/mem.h"

typedef struct dctx {
    strata_doc_builder w; /* typed output */
    strata_buf path;      /* attribute path for messages */
    strata_buf scratch;   /* base64 decoding */
} dctx;

static int dfail(dctx *c, const char *fmt, const char *a, const char *b)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    if (c->path.len == 0) return strata_err__set(STRATA_EINVALID, "at top level: %s", msg);
    return strata_err__set(STRATA_EINVALID, "at %.*s: %s", (int)(c->path.len > 200 ? 200 : c->path.len),
                           (const char *)c->path.data, msg);
}

static int wrap_fail(dctx *c, int rc)
{
    if (rc == STRATA_ENOMEM) return rc;
    char msg[300];
    snprintf(msg, sizeof msg, "%s", strata_error_last()->message);
    int code = dfail(c, "%s", msg, NULL);
    return rc == STRATA_ELIMIT ? strata_err__set(STRATA_ELIMIT, "%s", strata_error_last()->message) : code;
}

static int path_key(dctx *c, strata_slice k)
{
    if (c->path.len && strata_buf__putc(&c->path, '.')) return STRATA_ENOMEM;
    return strata_buf__append(&c->path, k.data, k.len);
}

static int path_index(dctx *c, size_t i)
{
    return strata_buf__printf(&c->path, "[%zu]", i);
}

static int is_tag(strata_slice k, const char *t)
{
    size_t n = strlen(t);
    return k.len == n && memcmp(k.data, t, n) == 0;
}

static int conv_av(dctx *c, strata_slice av);

/* The members of a set value (JSON array) `arr` as set `tag`. */
static int conv_set(dctx *c, strata_slice arr, uint8_t tag, const char *name)
{
    int rc;
    if (strata_doc__type(arr) != STRATA_DOC_LIST) return dfail(c, "%s must be an array", name, NULL);
    size_t n;
    if ((rc = strata_doc__count(arr, &n))) return rc;
    if (n == 0) return dfail(c, "%s must not be empty", name, NULL);
    if ((rc = strata_doc__w_begin(&c->w, tag, 0))) return wrap_fail(c, rc);
    strata_doc_iter it;
    strata_slice m;
    if ((rc = strata_doc__iter_init(&it, arr))) return rc;
    size_t i = 0;
    while ((rc = strata_doc__iter_next(&it, NULL, &m)) == 0) {
        strata_slice s;
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", i++);
        if (strata_doc__get_string(m, &s))
            return dfail(c, "%s member %s must be a string", name, idx);
        if ((rc = strata_doc__w_prep(&c->w, 0))) return rc;
        strata_buf *out = c->w.out;
        if (tag == TAG_SSET) {
            if ((rc = strata_buf__putc(out, TAG_STRING)) || (rc = strata_buf__put_varint(out, s.len)) ||
                (rc = strata_buf__append(out, s.data, s.len)))
                return rc;
        } else if (tag == TAG_NSET) {
            strata_num num;
            if ((rc = strata_num__parse(&num, s.data, s.len))) return wrap_fail(c, rc);
            uint8_t enc[STRATA_NUM_ENC_MAX];
            size_t el = strata_num__encode(&num, enc);
            if ((rc = strata_buf__putc(out, TAG_NUMBER)) || (rc = strata_buf__append(out, enc, el))) return rc;
        } else {
            c->scratch.len = 0;
            if ((rc = strata_doc__b64_decode(&c->scratch, s.data, s.len))) return wrap_fail(c, rc);
            if ((rc = strata_buf__putc(out, TAG_BINARY)) ||
                (rc = strata_buf__put_varint(out, c->scratch.len)) ||
                (rc = strata_buf__append(out, c->scratch.data, c->scratch.len)))
                return rc;
        }
        strata_doc__w_after(&c->w);
    }
    if (rc != STRATA_ITEROVER) return rc;
    rc = strata_doc__w_end(&c->w);
    if (rc) {
        if (rc == STRATA_ENOMEM) return rc;
        return dfail(c, "%s contains duplicates", name, NULL);
    }
    return 0;
}

/* Convert the members of plain map `m` (attribute name -> AttributeValue) into a typed map. */
static int conv_map(dctx *c, strata_slice m)
{
    int rc = strata_doc__w_begin(&c->w, TAG_MAP, 0);
    if (rc) return wrap_fail(c, rc);
    strata_doc_iter it;
    strata_slice k, v;
    if ((rc = strata_doc__iter_init(&it, m))) return rc;
    while ((rc = strata_doc__iter_next(&it, &k, &v)) == 0) {
        size_t plen = c->path.len;
        if ((rc = path_key(c, k))) return rc;
        if ((rc = strata_doc__w_key_prep(&c->w, 0)) || (rc = strata_buf__put_varint(c->w.out, k.len)) ||
            (rc = strata_buf__append(c->w.out, k.data, k.len)) || (rc = strata_doc__w_key_done(&c->w)))
            return rc;
        if ((rc = conv_av(c, v))) return rc;
        c->path.len = plen;
    }
    if (rc != STRATA_ITEROVER) return rc;
    return strata_doc__w_end(&c->w);
}

static int conv_av(dctx *c, strata_slice av)
{
    int rc, t = strata_doc__type(av);
    if (t < 0) return t;
    if (t != STRATA_DOC_MAP)
        return dfail(c, "expected an AttributeValue object such as {\"S\": \"text\"}, got a %s",
                     strata_doc__type_name(t), NULL);
    size_t n;
    if ((rc = strata_doc__count(av, &n))) return rc;
    if (n == 0)
        return dfail(c, "AttributeValue has no type (expected one of S, N, B, BOOL, NULL, M, L, SS, NS, BS)",
                     NULL, NULL);
    strata_slice k, v;
    if ((rc = strata_doc__map_entry(av, 0, &k, &v))) return rc;
    if (n > 1) {
        strata_slice k2;
        char a[40], b[40];
        if ((rc = strata_doc__map_entry(av, 1, &k2, NULL))) return rc;
        snprintf(a, sizeof a, "%.*s", (int)(k.len > 30 ? 30 : k.len), (const char *)k.data);
        snprintf(b, sizeof b, "%.*s", (int)(k2.len > 30 ? 30 : k2.len), (const char *)k2.data);
        return dfail(c, "AttributeValue has more than one type (\"%s\" and \"%s\"); exactly one is allowed", a, b);
    }
    strata_buf *out = c->w.out;
    if (is_tag(k, "S")) {
        strata_slice s;
        if (strata_doc__get_string(v, &s)) return dfail(c, "S must be a string", NULL, NULL);
        if ((rc = strata_doc__w_prep(&c->w, 0)) || (rc = strata_buf__putc(out, TAG_STRING)) ||
            (rc = strata_buf__put_varint(out, s.len)) || (rc = strata_buf__append(out, s.data, s.len)))
            return rc;
    } else if (is_tag(k, "N")) {
        strata_slice s;
        if (strata_doc__get_string(v, &s))
            return dfail(c, "N must be a string holding a number (for example {\"N\": \"42\"})", NULL, NULL);
        strata_num num;
        if ((rc = strata_num__parse(&num, s.data, s.len))) return wrap_fail(c, rc);
        uint8_t enc[STRATA_NUM_ENC_MAX];
        size_t el = strata_num__encode(&num, enc);
        if ((rc = strata_doc__w_prep(&c->w, 0)) || (rc = strata_buf__putc(out, TAG_NUMBER)) ||
            (rc = strata_buf__append(out, enc, el)))
            return rc;
    } else if (is_tag(k, "B")) {
        strata_slice s;
        if (strata_doc__get_string(v, &s)) return dfail(c, "B must be a base64 string", NULL, NULL);
        c->scratch.len = 0;
        if ((rc = strata_doc__b64_decode(&c->scratch, s.data, s.len))) return wrap_fail(c, rc);
        if ((rc = strata_doc__w_prep(&c->w, 0)) || (rc = strata_buf__putc(out, TAG_BINARY)) ||
            (rc = strata_buf__put_varint(out, c->scratch.len)) ||
            (rc = strata_buf__append(out, c->scratch.data, c->scratch.len)))
            return rc;
    } else if (is_tag(k, "BOOL")) {
        int b;
        if (strata_doc__get_bool(v, &b)) return dfail(c, "BOOL must be true or false", NULL, NULL);
        if ((rc = strata_doc__w_prep(&c->w, 0)) || (rc = strata_buf__putc(out, b ? TAG_TRUE : TAG_FALSE)))
            return rc;
    } else if (is_tag(k, "NULL")) {
        int b;
        if (strata_doc__get_bool(v, &b) || !b) return dfail(c, "NULL must be true", NULL, NULL);
        if ((rc = strata_doc__w_prep(&c->w, 0)) || (rc = strata_buf__putc(out, TAG_NULL))) return rc;
    } else if (is_tag(k, "M")) {
        if (strata_doc__type(v) != STRATA_DOC_MAP) return dfail(c, "M must be an object", NULL, NULL);
        return conv_map(c, v);
    } else if (is_tag(k, "L")) {
        if (strata_doc__type(v) != STRATA_DOC_LIST) return dfail(c, "L must be an array", NULL, NULL);
        if ((rc = strata_doc__w_begin(&c->w, TAG_LIST, 0))) return wrap_fail(c, rc);
        strata_doc_iter it;
        strata_slice m;
        if ((rc = strata_doc__iter_init(&it, v))) return rc;
        size_t i = 0;
        while ((rc = strata_doc__iter_next(&it, NULL, &m)) == 0) {
            size_t plen = c->path.len;
            if ((rc = path_index(c, i++))) return rc;
            if ((rc = conv_av(c, m))) return rc;
            c->path.len = plen;
        }
        if (rc != STRATA_ITEROVER) return rc;
        return strata_doc__w_end(&c->w);
    } else if (is_tag(k, "SS")) {
        return conv_set(c, v, TAG_SSET, "SS");
    } else if (is_tag(k, "NS")) {
        return conv_set(c, v, TAG_NSET, "NS");
    } else if (is_tag(k, "BS")) {
        return conv_set(c, v, TAG_BSET, "BS");
    } else {
        char a[40];
        snprintf(a, sizeof a, "%.*s", (int)(k.len > 30 ? 30 : k.len), (const char *)k.data);
        return dfail(c, "unknown AttributeValue type \"%s\" (expected one of S, N, B, BOOL, NULL, M, L, SS, NS, BS)",
                     a, NULL);
    }
    strata_doc__w_after(&c->w);
    return 0;
}

int strata_doc__from_ddb_json(strata_buf *out, const char *json, size_t len, int flags)
{
    if (!out || (!json && len)) return strata_err__set(STRATA_EINVALID, "from_ddb_json: NULL argument");
    strata_buf plain = {0};
    dctx c;
    memset(&c, 0, sizeof c);
    size_t save = out->len;
    int rc = strata_doc__from_json_depth(&plain, json, len, 2 * STRATA_DOC_MAX_DEPTH + 1);
    if (rc) goto done;
    strata_slice v = {plain.data, plain.len};
    strata_doc__w_init(&c.w, out);
    if (flags & STRATA_DOC_DDB_ITEM) {
        if (strata_doc__type(v) != STRATA_DOC_MAP) {
            rc = strata_err__set(STRATA_EINVALID, "an item must be a JSON object of attribute name -> AttributeValue");
            goto done;
        }
        rc = conv_map(&c, v);
    } else {
        rc = conv_av(&c, v);
    }
done:
    strata_doc__w_release(&c.w);
    strata_buf__free(&c.path);
    strata_buf__free(&c.scratch);
    strata_buf__free(&plain);
    if (rc) out->len = save;
    return rc;
}

/* ---- printer ---------------------------------------------------------------------------------- */

static int indent(strata_buf *out, int pretty, int level)
{
    if (!pretty) return 0;
    int rc = strata_buf__putc(out, '\n');
    for (int i = 0; i < level && !rc; i++) rc = strata_buf__append(out, "  ", 2);
    return rc;
}

static int put_tag(strata_buf *out, const char *tag, int pretty)
{
    int rc = strata_buf__putc(out, '{');
    if (!rc) rc = strata_buf__printf(out, "\"%s\":%s", tag, pretty ? " " : "");
    return rc;
}

static int ddb_value(strata_buf *out, strata_slice v, int pretty, int level);

/* Members of container v printed as a JSON object (maps) or array, each through `each`. */
static int ddb_members(strata_buf *out, strata_slice v, int pretty, int level, int as_obj)
{
    strata_doc_iter it;
    strata_slice k, m;
    int rc = strata_doc__iter_init(&it, v);
    if (rc) return rc;
    if ((rc = strata_buf__putc(out, as_obj ? '{' : '['))) return rc;
    size_t i = 0;
    while ((rc = strata_doc__iter_next(&it, &k, &m)) == 0) {
        if (i++ && (rc = strata_buf__putc(out, ','))) return rc;
        if ((rc = indent(out, pretty, level + 1))) return rc;
        if (as_obj) {
            if ((rc = strata_doc__json_string(out, k.data, k.len))) return rc;
            if ((rc = pretty ? strata_buf__append(out, ": ", 2) : strata_buf__putc(out, ':'))) return rc;
        }
        int t = strata_doc__type(m);
        if (t < 0) return t;
        if (it.type == TAG_SSET || it.type == TAG_BSET) {
            strata_slice s;
            if (t == STRATA_DOC_STRING) {
                if ((rc = strata_doc__get_string(m, &s)) || (rc = strata_doc__json_string(out, s.data, s.len)))
                    return rc;
            } else {
                if ((rc = strata_doc__get_binary(m, &s)) || (rc = strata_buf__putc(out, '"')) ||
                    (rc = strata_doc__b64_encode(out, s.data, s.len)) || (rc = strata_buf__putc(out, '"')))
                    return rc;
            }
        } else if (it.type == TAG_NSET) {
            strata_num n;
            char txt[STRATA_NUM_TEXT_MAX];
            if ((rc = strata_doc__get_number(m, &n))) return rc;
            size_t tl = strata_num__format(&n, txt);
            if ((rc = strata_doc__json_string(out, (const uint8_t *)txt, tl))) return rc;
        } else {
            if ((rc = ddb_value(out, m, pretty, level + 1))) return rc;
        }
    }
    if (rc != STRATA_ITEROVER) return rc;
    if (i && (rc = indent(out, pretty, level))) return rc;
    return strata_buf__putc(out, as_obj ? '}' : ']');
}

static int ddb_value(strata_buf *out, strata_slice v, int pretty, int level)
{
    int rc, t = strata_doc__type(v);
    if (t < 0) return t;
    if (level > 2 * STRATA_DOC_MAX_DEPTH)
        return strata_err__set(STRATA_ECORRUPT, "value nested deeper than 64 levels");
    strata_slice s;
    switch (t) {
    case STRATA_DOC_NULL:
        rc = put_tag(out, "NULL", pretty);
        if (!rc) rc = strata_buf__append(out, "true", 4);
        break;
    case STRATA_DOC_BOOL:
        rc = put_tag(out, "BOOL", pretty);
        if (!rc) rc = ((const uint8_t *)v.data)[0] == TAG_TRUE ? strata_buf__append(out, "true", 4)
                                                               : strata_buf__append(out, "false", 5);
        break;
    case STRATA_DOC_NUMBER: {
        strata_num n;
        char txt[STRATA_NUM_TEXT_MAX];
        if ((rc = strata_doc__get_number(v, &n))) return rc;
        size_t tl = strata_num__format(&n, txt);
        rc = put_tag(out, "N", pretty);
        if (!rc) rc = strata_doc__json_string(out, (const uint8_t *)txt, tl);
        break;
    }
    case STRATA_DOC_STRING:
        if ((rc = strata_doc__get_string(v, &s))) return rc;
        rc = put_tag(out, "S", pretty);
        if (!rc) rc = strata_doc__json_string(out, s.data, s.len);
        break;
    case STRATA_DOC_BINARY:
        if ((rc = strata_doc__get_binary(v, &s))) return rc;
        rc = put_tag(out, "B", pretty);
        if (!rc) rc = strata_buf__putc(out, '"');
        if (!rc) rc = strata_doc__b64_encode(out, s.data, s.len);
        if (!rc) rc = strata_buf__putc(out, '"');
        break;
    default: {
        static const char *const tags[] = {"L", "M", "SS", "NS", "BS"};
        rc = put_tag(out, tags[t - STRATA_DOC_LIST], pretty);
        if (!rc) rc = ddb_members(out, v, pretty, level + 1, t == STRATA_DOC_MAP);
    }
    }
    if (!rc) rc = strata_buf__putc(out, '}');
    return rc;
}

int strata_doc__to_ddb_json(strata_buf *out, strata_slice v, int flags)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "to_ddb_json: NULL buffer");
    size_t save = out->len;
    int rc, pretty = (flags & STRATA_DOC_DDB_PRETTY) != 0;
    if (flags & STRATA_DOC_DDB_ITEM) {
        int t = strata_doc__type(v);
        if (t >= 0 && t != STRATA_DOC_MAP)
            rc = strata_err__set(STRATA_EINVALID, "an item must be a map, got a %s", strata_doc__type_name(t));
        else
            rc = t < 0 ? t : ddb_members(out, v, pretty, 0, 1);
    } else {
        rc = ddb_value(out, v, pretty, 0);
    }
    if (rc) out->len = save;
    return rc;
}
