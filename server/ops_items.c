/* strata-server's item operations: PutItem, GetItem, DeleteItem, UpdateItem, Query and Scan,
 * each one call of strata's table API (conditions are evaluated by the library at commit time,
 * under its write lock, so they never race another writer). What DynamoDB asks beyond the
 * library is done here: the key schema's attribute types, ReturnValues UPDATED_OLD/UPDATED_NEW,
 * Select, the 1 MB page, ConsumedCapacity, and the legacy parameters (translated to
 * expressions by legacy.c). */
#include "server.h"
#include "legacy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ITEM_MAX_BYTES (400u * 1024u)
#define PAGE_MAX_BYTES (1024u * 1024u)

/* The expression parameters of one request, with legacy parameters already translated. */
typedef struct exprs {
    strata_value *names, *values;
    legacy lg;
} exprs;

static void exprs_free(exprs *e)
{
    strata_value_free(e->names);
    strata_value_free(e->values);
    legacy_free(&e->lg);
}

/* Read ExpressionAttributeNames / ExpressionAttributeValues, merged with what the legacy
 * translation added (e->lg). 0 or -1. */
static int exprs_load(srv_call *c, exprs *e)
{
    int bad = 0;
    json_t *names = srv_get_obj(c, c->in, "ExpressionAttributeNames", &bad);
    json_t *values = srv_get_obj(c, c->in, "ExpressionAttributeValues", &bad);
    if (bad) return -1;
    if (names && json_object_size(names) == 0)
        return srv_invalid(c, "ExpressionAttributeNames must not be empty");
    if (values && json_object_size(values) == 0)
        return srv_invalid(c, "ExpressionAttributeValues must not be empty");
    if (e->lg.used && (names || values))
        return srv_invalid(c, "Can not use both expression and non-expression parameters in the same request");
    if (e->lg.used) {
        names = json_object_size(e->lg.names) ? e->lg.names : NULL;
        values = json_object_size(e->lg.values) ? e->lg.values : NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(names, k, v) {
        if (!json_is_string(v))
            return srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: ExpressionAttributeNames values must be strings");
    }
    if (srv_to_plain(c, &e->names, names, "ExpressionAttributeNames")) return -1;
    if (srv_to_value(c, &e->values, values, 1, "ExpressionAttributeValues")) return -1;
    return 0;
}

/* An expression member, refused when a legacy parameter said the same. */
static const char *expr_str(srv_call *c, const char *name, int *bad)
{
    const char *s = srv_get_str(c, c->in, name, bad);
    if (s && !*s) {
        srv_invalid(c, "Invalid %s: The expression can not be empty;", name);
        *bad = 1;
        return NULL;
    }
    if (s && strlen(s) > 4096) {
        srv_invalid(c, "Invalid %s: Expression size has exceeded the maximum allowed size", name);
        *bad = 1;
        return NULL;
    }
    if (srv_check_reserved(c, name, s)) {
        *bad = 1;
        return NULL;
    }
    return s;
}

/* ReturnConsumedCapacity: TOTAL and INDEXES get a plausible ConsumedCapacity. */
static void consumed(srv_call *c, const char *table, double units, int first)
{
    int bad = 0;
    const char *rcc = srv_get_str(c, c->in, "ReturnConsumedCapacity", &bad);
    if (!rcc || strcmp(rcc, "NONE") == 0) return;
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, first ? "\"ConsumedCapacity\":{\"TableName\":" : ",\"ConsumedCapacity\":{\"TableName\":");
    sbuf_jstr(b, table, strlen(table));
    sbuf_fmt(b, ",\"CapacityUnits\":%.1f}", units);
}

/* Record the entry's head after a write in x-strata-commit. */
static void note_commit(srv_call *c, const char *entry)
{
    strata_oid head;
    if (strata_entry_head(&head, c->s->db, c->tenant, entry, NULL) == 0)
        strata_oid_fmt(c->rs->commit, &head);
}

static int check_item_size(srv_call *c, const strata_value *item)
{
    if (strata_value_bytes(item).len > ITEM_MAX_BYTES)
        return srv_invalid(c, "Item size has exceeded the maximum allowed size");
    return 0;
}

/* Start the response object and write the result of a write: Attributes when there are any. */
static int write_result(srv_call *c, const srv_table *t, const strata_value *attrs, double units)
{
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{");
    size_t n = 0;
    int first = 1;
    if (attrs && strata_value_count(&n, attrs) == 0 && n > 0) {
        sbuf_cstr(b, "\"Attributes\":");
        if (sbuf_value(b, attrs, 1) < 0) return srv_lib_fail(c, STRATA_ENOMEM, "");
        first = 0;
    }
    consumed(c, t->name, units, first);
    sbuf_cstr(b, "}");
    return 0;
}

static int return_values(srv_call *c, int allow_updated, int *out, int *updated)
{
    int bad = 0;
    const char *rv = srv_get_str(c, c->in, "ReturnValues", &bad);
    if (bad) return -1;
    *out = STRATA_RETURN_NONE;
    *updated = 0;
    if (!rv || strcmp(rv, "NONE") == 0) return 0;
    if (strcmp(rv, "ALL_OLD") == 0) *out = STRATA_RETURN_ALL_OLD;
    else if (allow_updated && strcmp(rv, "ALL_NEW") == 0) *out = STRATA_RETURN_ALL_NEW;
    else if (allow_updated && strcmp(rv, "UPDATED_OLD") == 0) *out = STRATA_RETURN_ALL_OLD, *updated = 1;
    else if (allow_updated && strcmp(rv, "UPDATED_NEW") == 0) *out = STRATA_RETURN_ALL_NEW, *updated = 1;
    else if (!allow_updated && (!strcmp(rv, "ALL_NEW") || !strcmp(rv, "UPDATED_OLD") || !strcmp(rv, "UPDATED_NEW")))
        return srv_invalid(c, "ReturnValues can only be ALL_OLD or NONE");
    else
        return srv_invalid(c, "1 validation error detected: Value '%s' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]", rv);
    return 0;
}

/* ---- PutItem, GetItem, DeleteItem ------------------------------------------------------- */

/* One PutItem, DeleteItem or UpdateItem request: its table, its Item or Key, its expressions
 * and ReturnValues, read and checked alike by the three. */
typedef struct write_req {
    exprs e;
    srv_table t;
    strata_value *v; /* the Item (PutItem) or the Key */
    const char *cond, *update;
    int rv, upd;
    strata_item_options io;
} write_req;

/* Read the request's TableName, `member` ("Item" or "Key", whose lower-case name `field`
 * the null message uses), ConditionExpression and, when `with_update`, UpdateExpression and
 * the full set of ReturnValues; translate the legacy parameters; open the table and check the
 * key. w->io is ready for the library call. 0 or -1 (the reply written); write_req_free after
 * either. */
static int write_req_load(srv_call *c, write_req *w, const char *member, const char *field,
                          int with_update)
{
    int bad = 0;
    memset(w, 0, sizeof *w);
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    json_t *jv = srv_get_obj(c, c->in, member, &bad);
    w->cond = expr_str(c, "ConditionExpression", &bad);
    if (with_update) w->update = expr_str(c, "UpdateExpression", &bad);
    if (bad || return_values(c, with_update, &w->rv, &w->upd)) return -1;
    if (legacy_expected(c, &w->e.lg, w->cond) ||
        (with_update && legacy_attribute_updates(c, &w->e.lg, w->update)))
        return -1;
    if (w->e.lg.used) {
        w->cond = w->e.lg.condition;
        if (with_update) w->update = w->e.lg.update;
    }
    if (!jv)
        return srv_invalid(c, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field);
    int key_only = strcmp(member, "Key") == 0;
    if (srv_table_open(c, &w->t, name) || srv_to_value(c, &w->v, jv, 1, member) ||
        exprs_load(c, &w->e) || srv_table_check_key(c, &w->t, w->v, key_only))
        return -1;
    w->io = (strata_item_options)STRATA_ITEM_OPTIONS_INIT;
    w->io.condition = w->cond;
    w->io.names = w->e.names;
    w->io.values = w->e.values;
    w->io.return_values = w->rv;
    return 0;
}

/* Answer a write the library returned `lib` for: the error (about `what`), or the commit and
 * `attrs`. 0 or -1. */
static int write_req_reply(srv_call *c, write_req *w, int lib, const char *what, const strata_value *attrs)
{
    if (lib < 0) return srv_lib_fail(c, lib, what);
    note_commit(c, w->t.entry);
    return write_result(c, &w->t, attrs, 1.0);
}

static void write_req_free(write_req *w)
{
    strata_value_free(w->v);
    exprs_free(&w->e);
    srv_table_close(&w->t);
}

int op_put_item(srv_call *c)
{
    int rc = -1;
    write_req w;
    strata_value *old = NULL;
    if (write_req_load(c, &w, "Item", "item", 0) == 0 && check_item_size(c, w.v) == 0) {
        int lib = strata_table_put_item(&old, c->s->db, c->tenant, w.t.entry, w.v, &w.io, &c->wo);
        rc = write_req_reply(c, &w, lib, "ConditionExpression", old);
    }
    strata_value_free(old);
    write_req_free(&w);
    return rc;
}

int srv_item_get_at(srv_call *c, const strata_read_options *ro)
{
    int bad = 0, rc = -1;
    exprs e;
    memset(&e, 0, sizeof e);
    srv_table t;
    memset(&t, 0, sizeof t);
    strata_value *key = NULL, *item = NULL;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    json_t *jkey = srv_get_obj(c, c->in, "Key", &bad);
    const char *proj = expr_str(c, "ProjectionExpression", &bad);
    int consistent = srv_get_bool(c, c->in, "ConsistentRead", 0);
    if (bad || consistent < 0) goto done;
    if (legacy_attributes_to_get(c, &e.lg, proj)) goto done;
    if (e.lg.used) proj = e.lg.projection;
    if (!jkey) {
        srv_invalid(c, "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null");
        goto done;
    }
    if (srv_table_open(c, &t, name) || srv_to_value(c, &key, jkey, 1, "Key") || exprs_load(c, &e) ||
        srv_table_check_key(c, &t, key, 1))
        goto done;
    if (e.values) {
        srv_invalid(c, "ExpressionAttributeValues can only be specified when using expressions: ExpressionAttributeValues is not used by GetItem");
        goto done;
    }
    int lib = strata_table_get_item(&item, c->s->db, c->tenant, t.entry, key, proj, e.names, ro);
    if (lib < 0 && lib != STRATA_ENOTFOUND) {
        srv_lib_fail(c, lib, "ProjectionExpression");
        goto done;
    }
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{");
    if (item) {
        sbuf_cstr(b, "\"Item\":");
        if (sbuf_value(b, item, 1) < 0) {
            srv_lib_fail(c, STRATA_ENOMEM, "");
            goto done;
        }
    }
    consumed(c, t.name, consistent ? 1.0 : 0.5, !item);
    sbuf_cstr(b, "}");
    rc = 0;
done:
    strata_value_free(key);
    strata_value_free(item);
    exprs_free(&e);
    srv_table_close(&t);
    return rc;
}

int op_get_item(srv_call *c) { return srv_item_get_at(c, NULL); }

int op_delete_item(srv_call *c)
{
    int rc = -1;
    write_req w;
    strata_value *old = NULL;
    if (write_req_load(c, &w, "Key", "key", 0) == 0) {
        int lib = strata_table_delete_item(&old, c->s->db, c->tenant, w.t.entry, w.v, &w.io, &c->wo);
        rc = write_req_reply(c, &w, lib, "ConditionExpression", old);
    }
    strata_value_free(old);
    write_req_free(&w);
    return rc;
}

/* ---- UpdateItem ------------------------------------------------------------------------- */

/* The top-level attribute names an update expression writes (SET's left sides, REMOVE's
 * paths, ADD's and DELETE's paths), with #placeholders resolved through `names` (plain JSON).
 * A valid expression is assumed (the library parsed it first). Returns a JSON array (owned). */
static json_t *updated_names(const char *x, json_t *names)
{
    json_t *out = json_array();
    enum { NONE, SET, REMOVE, ADD, DELETE } clause = NONE;
    int depth = 0, want_path = 0;
    const char *p = x;
    while (out && *p) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        if (*p == '(' || *p == '[') depth++, p++;
        else if (*p == ')' || *p == ']') depth--, p++;
        else if (*p == ',' && depth == 0) want_path = 1, p++;
        else if (isalpha((unsigned char)*p) || *p == '_' || *p == '#' || *p == ':') {
            const char *s = p++;
            while (isalnum((unsigned char)*p) || *p == '_') p++;
            size_t n = (size_t)(p - s);
            int kw = -1;
            if (depth == 0 && *s != '#' && *s != ':') {
                if (n == 3 && strncasecmp(s, "SET", 3) == 0) kw = SET;
                else if (n == 6 && strncasecmp(s, "REMOVE", 6) == 0) kw = REMOVE;
                else if (n == 3 && strncasecmp(s, "ADD", 3) == 0) kw = ADD;
                else if (n == 6 && strncasecmp(s, "DELETE", 6) == 0) kw = DELETE;
            }
            if (kw >= 0) {
                clause = kw;
                want_path = 1;
                continue;
            }
            if (want_path && depth == 0 && clause != NONE && *s != ':') {
                char name[512];
                snprintf(name, sizeof name, "%.*s", (int)n, s);
                const char *resolved = name;
                if (*s == '#') {
                    const char *r = json_string_value(json_object_get(names, name));
                    if (r) resolved = r;
                }
                json_array_append_new(out, json_string(resolved));
                want_path = 0;
            }
        } else {
            p++;
        }
    }
    return out;
}

/* The members of map `v` named in `names` (a JSON array) as a new map (owned). */
static strata_value *pick(const strata_value *v, json_t *names)
{
    strata_builder *b = NULL;
    strata_iter *it = NULL;
    strata_value *out = NULL;
    if (!v || strata_builder_new(&b) < 0 || strata_value_members(&it, v) < 0) goto done;
    strata_builder_begin(b, STRATA_TYPE_MAP);
    while (strata_iter_next(it) == 0) {
        strata_slice k = strata_iter_key(it);
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n) {
            if (json_string_length(n) == k.len && memcmp(json_string_value(n), k.data, k.len) == 0) {
                strata_builder_key(b, k.data, k.len);
                strata_builder_value(b, strata_iter_value(it));
                break;
            }
        }
    }
    strata_builder_end(b);
    if (strata_builder_finish(&out, b) < 0) out = NULL;
done:
    strata_iter_free(it);
    strata_builder_free(b);
    return out;
}

int op_update_item(srv_call *c)
{
    int rc = -1;
    write_req w;
    strata_value *res = NULL, *picked = NULL;
    if (write_req_load(c, &w, "Key", "key", 1)) goto done;
    const char *cond = w.cond, *update = w.update;
    strata_value *key = w.v;
    int rv = w.rv, upd = w.upd;
    int lib;
    if (update) {
        lib = strata_table_update_item(&res, c->s->db, c->tenant, w.t.entry, key, update, &w.io, &c->wo);
    } else {
        /* no update at all: DynamoDB creates the item from its key when absent */
        strata_value *cur = NULL;
        lib = strata_table_get_item(&cur, c->s->db, c->tenant, w.t.entry, key, NULL, NULL, NULL);
        if (lib == STRATA_ENOTFOUND && !cond) {
            lib = strata_table_put_item(NULL, c->s->db, c->tenant, w.t.entry, key, &w.io, &c->wo);
            if (lib >= 0 && rv == STRATA_RETURN_ALL_NEW) res = key, w.v = NULL;
        } else if (lib >= 0 || lib == STRATA_ENOTFOUND) {
            if (cond) {
                /* check the condition without changing the item: put it back as it is */
                lib = strata_table_put_item(NULL, c->s->db, c->tenant, w.t.entry, cur ? cur : key, &w.io, &c->wo);
            } else {
                lib = 0;
            }
            if (lib >= 0 && rv != STRATA_RETURN_NONE && !upd) res = cur, cur = NULL;
        }
        strata_value_free(cur);
    }
    if (lib >= 0 && upd && res) {
        int bad = 0;
        json_t *jn = srv_get_obj(c, c->in, "ExpressionAttributeNames", &bad);
        json_t *names = updated_names(update ? update : "", w.e.lg.used ? w.e.lg.names : jn);
        picked = pick(res, names);
        json_decref(names);
    }
    rc = write_req_reply(c, &w, lib, update ? "UpdateExpression" : "ConditionExpression", upd ? picked : res);
done:
    strata_value_free(res);
    strata_value_free(picked);
    write_req_free(&w);
    return rc;
}

/* ---- Query and Scan --------------------------------------------------------------------- */

/* DynamoDB answers a page that its Limit ended with LastEvaluatedKey even when nothing follows
 * (the client's next request gets an empty page); strata's iterator looks ahead and gives no
 * last key then. So when the limit was reached exactly at the end, read the page again without
 * the filter's effect — the same placeholders used, `(f) OR NOT (f)` holds for every item — and
 * take the key of its last item (NULL when the projection dropped the key). */
static strata_value *limit_end_key(const srv_table *t, int scan, const strata_query_options *q0,
                                   const strata_read_options *ro, srv_call *c)
{
    strata_query_options q = *q0;
    char *filter = NULL;
    if (q0->filter) {
        size_t n = 2 * strlen(q0->filter) + 16;
        if (!(filter = malloc(n))) return NULL;
        snprintf(filter, n, "(%s) OR NOT (%s)", q0->filter, q0->filter);
        q.filter = filter;
    }
    strata_iter *it = NULL;
    strata_value *key = NULL;
    int lib = scan ? strata_table_scan(&it, c->s->db, c->tenant, t->entry, &q, ro)
                   : strata_table_query(&it, c->s->db, c->tenant, t->entry, &q, ro);
    while (lib >= 0 && strata_iter_next(it) == 0) {
        strata_value_free(key);
        key = srv_table_key_of(t, strata_iter_value(it));
    }
    strata_iter_free(it);
    free(filter);
    strata_error_clear();
    return key;
}

int srv_query_at(srv_call *c, int scan, const strata_read_options *ro)
{
    int bad = 0, rc = -1;
    exprs e;
    memset(&e, 0, sizeof e);
    srv_table t;
    memset(&t, 0, sizeof t);
    strata_value *start = NULL, *last = NULL;
    strata_iter *it = NULL;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    const char *index = srv_get_str(c, c->in, "IndexName", &bad);
    const char *keycond = scan ? NULL : expr_str(c, "KeyConditionExpression", &bad);
    const char *filter = expr_str(c, "FilterExpression", &bad);
    const char *proj = expr_str(c, "ProjectionExpression", &bad);
    const char *select = srv_get_str(c, c->in, "Select", &bad);
    json_t *jstart = srv_get_obj(c, c->in, "ExclusiveStartKey", &bad);
    int forward = srv_get_bool(c, c->in, "ScanIndexForward", 1);
    int consistent = srv_get_bool(c, c->in, "ConsistentRead", 0);
    long long limit = 0, segment = -1, total = -1;
    int has_limit = srv_get_int(c, c->in, "Limit", &limit);
    int has_seg = scan ? srv_get_int(c, c->in, "Segment", &segment) : 0;
    int has_total = scan ? srv_get_int(c, c->in, "TotalSegments", &total) : 0;
    if (bad || forward < 0 || consistent < 0 || has_limit < 0 || has_seg < 0 || has_total < 0) goto done;
    if (index) {
        srv_invalid(c, "strata serve does not support secondary indexes: IndexName %s", index);
        goto done;
    }
    if (has_limit && limit < 1) {
        srv_invalid(c, "1 validation error detected: Value '%lld' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", limit);
        goto done;
    }
    if (scan && has_seg != has_total) {
        srv_invalid(c, has_seg ? "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"
                               : "The Segment parameter is required but was not present in the request when parameter TotalSegments is present");
        goto done;
    }
    if (has_total && (total < 1 || total > 1000000)) {
        srv_invalid(c, "1 validation error detected: Value '%lld' at 'totalSegments' failed to satisfy constraint: Member must have value %s", total,
                    total < 1 ? "greater than or equal to 1" : "less than or equal to 1000000");
        goto done;
    }
    if (has_seg && (segment < 0 || segment >= total)) {
        srv_invalid(c, segment < 0 ? "1 validation error detected: Value '%lld' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0"
                                   : "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %lld is not less than TotalSegments: %lld",
                    segment, total);
        goto done;
    }
    int count_only = 0;
    if (select) {
        if (strcmp(select, "COUNT") == 0) count_only = 1;
        else if (strcmp(select, "ALL_PROJECTED_ATTRIBUTES") == 0) {
            srv_invalid(c, "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries");
            goto done;
        } else if (strcmp(select, "SPECIFIC_ATTRIBUTES") != 0 && strcmp(select, "ALL_ATTRIBUTES") != 0) {
            srv_invalid(c, "1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", select);
            goto done;
        }
    }
    if (legacy_query(c, &e.lg, scan, keycond, filter, proj)) goto done;
    if (e.lg.used) {
        keycond = e.lg.key_condition;
        filter = e.lg.condition;
        proj = e.lg.projection;
    }
    if (select && proj && strcmp(select, "SPECIFIC_ATTRIBUTES") != 0) {
        srv_invalid(c, "One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get %s", select);
        goto done;
    }
    if (select && !proj && strcmp(select, "SPECIFIC_ATTRIBUTES") == 0) {
        srv_invalid(c, "One or more parameter values were invalid: SPECIFIC_ATTRIBUTES requires a ProjectionExpression or AttributesToGet");
        goto done;
    }
    if (!scan && !keycond) {
        srv_invalid(c, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
        goto done;
    }
    if (srv_table_open(c, &t, name) || srv_to_value(c, &start, jstart, 1, "ExclusiveStartKey") || exprs_load(c, &e))
        goto done;
    if (!scan) {
        json_t *jn = e.lg.used ? e.lg.names : json_object_get(c->in, "ExpressionAttributeNames");
        json_t *jv = e.lg.used ? e.lg.values : json_object_get(c->in, "ExpressionAttributeValues");
        if (srv_check_query_keys(c, &t, keycond, e.lg.used ? NULL : filter, jn, jv)) goto done;
    }
    if (start && srv_table_check_key(c, &t, start, 1)) {
        sbuf_free(&c->rs->body);
        srv_invalid(c, "The provided starting key is invalid: The provided key element does not match the schema");
        goto done;
    }
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    q.key_condition = keycond;
    q.filter = filter;
    q.projection = proj;
    q.names = e.names;
    q.values = e.values;
    q.reverse = !forward;
    q.limit = has_limit ? (size_t)limit : 0;
    q.start_key = start;
    if (has_total) {
        q.segment = (unsigned)segment;
        q.total_segments = (unsigned)total;
    }
    int lib = scan ? strata_table_scan(&it, c->s->db, c->tenant, t.entry, &q, ro)
                   : strata_table_query(&it, c->s->db, c->tenant, t.entry, &q, ro);
    if (lib < 0) {
        srv_lib_fail(c, lib, scan ? "FilterExpression" : "KeyConditionExpression");
        goto done;
    }
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, count_only ? "{" : "{\"Items\":[");
    size_t bytes = 0, n = 0;
    int stopped = 0;
    while ((lib = strata_iter_next(it)) == 0) {
        const strata_value *item = strata_iter_value(it);
        if (!count_only) {
            if (n) sbuf_cstr(b, ",");
            if (sbuf_value(b, item, 1) < 0) {
                lib = STRATA_ENOMEM;
                break;
            }
        }
        n++;
        bytes += strata_value_bytes(item).len;
        if (bytes >= PAGE_MAX_BYTES) {
            /* DynamoDB's 1 MB page: stop here when the item still holds its key */
            last = srv_table_key_of(&t, item);
            if (last) {
                stopped = 1;
                break;
            }
        }
    }
    if (lib < 0 && lib != STRATA_ITEROVER) {
        srv_lib_fail(c, lib, scan ? "FilterExpression" : "KeyConditionExpression");
        goto done;
    }
    if (!stopped && strata_iter_last_key(&last, it) < 0) last = NULL;
    if (!last && has_limit && strata_iter_scanned_count(it) == (uint64_t)limit)
        last = limit_end_key(&t, scan, &q, ro, c);
    sbuf_fmt(b, "%s\"Count\":%llu,\"ScannedCount\":%llu", count_only ? "" : "],",
             (unsigned long long)strata_iter_count(it), (unsigned long long)strata_iter_scanned_count(it));
    if (last) {
        sbuf_cstr(b, ",\"LastEvaluatedKey\":");
        sbuf_value(b, last, 1);
    }
    consumed(c, t.name, (consistent ? 1.0 : 0.5) * (double)(bytes / 4096 + 1), 0);
    sbuf_cstr(b, "}");
    rc = 0;
done:
    strata_iter_free(it);
    strata_value_free(start);
    strata_value_free(last);
    exprs_free(&e);
    srv_table_close(&t);
    return rc;
}

int op_query(srv_call *c) { return srv_query_at(c, 0, NULL); }
int op_scan(srv_call *c) { return srv_query_at(c, 1, NULL); }
