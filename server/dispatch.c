/* strata-server's dispatcher: one request in, one response out. It checks the envelope
 * (method, content type, X-Amz-Target, a JSON object body), finds the tenant from the SigV4
 * Authorization header's access key id, runs the operation and renders errors the way
 * DynamoDB does ({"__type": "…#Name", "message": "…"}, HTTP 400; 500 only for the server's own
 * failures). Nothing here knows HTTP beyond the strings of srv_request. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the server ------------------------------------------------------------------------- */

int srv_init(srv *s, strata_db *db, const srv_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->db = db;
    s->cfg = *cfg;
    if (!s->cfg.region) s->cfg.region = "us-east-1";
    if (pthread_mutex_init(&s->mu, NULL)) return -1;
    if (pthread_mutex_init(&s->txn_mu, NULL)) {
        pthread_mutex_destroy(&s->mu);
        return -1;
    }
    return 0;
}

void srv_destroy(srv *s)
{
    for (size_t i = 0; i < s->ntenants; i++) free(s->tenants[i]);
    free(s->tenants);
    free(s->tokens);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->txn_mu);
}

void srv_response_free(srv_response *rs) { sbuf_free(&rs->body); }

/* Make sure `tenant` exists (created on first use by a writer). Caches what it learned. */
static int tenant_ready(srv *s, const char *tenant)
{
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    size_t lo = 0, hi = s->ntenants;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(s->tenants[mid], tenant);
        if (cmp == 0) goto done;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    if (s->cfg.read_only) {
        rc = strata_tenant_exists(s->db, tenant);
        if (rc != 1) goto done; /* not cached: it may appear later */
        rc = 0;
    } else {
        strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
        wo.user = "strata-server";
        wo.message = "first request of this access key";
        rc = strata_tenant_init(s->db, tenant, &wo);
        if (rc < 0) goto done;
        rc = 0;
    }
    char **grown = realloc(s->tenants, (s->ntenants + 1) * sizeof *grown);
    char *copy = strdup(tenant);
    if (!grown || !copy) {
        free(copy);
        if (grown) s->tenants = grown;
        rc = STRATA_ENOMEM;
        goto done;
    }
    s->tenants = grown;
    memmove(s->tenants + lo + 1, s->tenants + lo, (s->ntenants - lo) * sizeof *grown);
    s->tenants[lo] = copy;
    s->ntenants++;
done:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- errors ----------------------------------------------------------------------------- */

static void fail_v(srv_call *c, int status, const char *type, const char *fmt, va_list ap)
{
    srv_response *rs = c->rs;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    sbuf_free(&rs->body);
    rs->status = status;
    rs->content_type = "application/x-amz-json-1.0";
    const char *hash = strchr(type, '#');
    snprintf(rs->error_type, sizeof rs->error_type, "%s", hash ? hash + 1 : type);
    sbuf_cstr(&rs->body, "{\"__type\":");
    if (hash) {
        sbuf_jstr(&rs->body, type, strlen(type));
    } else {
        char full[160];
        snprintf(full, sizeof full, "%s%s", SRV_DDB, type);
        sbuf_jstr(&rs->body, full, strlen(full));
    }
    /* DynamoDB spells it "message" for most errors and "Message" for a few; botocore and the
     * JS SDK read either */
    sbuf_cstr(&rs->body, ",\"message\":");
    sbuf_jstr(&rs->body, msg, strlen(msg));
    sbuf_cstr(&rs->body, "}");
}

int srv_fail(srv_call *c, int status, const char *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(c, status, type, fmt, ap);
    va_end(ap);
    return -1;
}

int srv_invalid(srv_call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(c, 400, SRV_VALIDATION, fmt, ap);
    va_end(ap);
    return -1;
}

int srv_lib_fail(srv_call *c, int code, const char *what)
{
    const strata_error *e = strata_error_last();
    const char *msg = (e->code == code && e->message && *e->message) ? e->message
                                                                      : strata_strerror(code);
    switch (code) {
    case STRATA_EINVALID:
    case STRATA_ELIMIT:
        if (what && *what) return srv_invalid(c, "Invalid %s: %s", what, msg);
        return srv_invalid(c, "%s", msg);
    case STRATA_ECONDITION:
        return srv_fail(c, 400, "ConditionalCheckFailedException", "The conditional request failed");
    case STRATA_ENOTFOUND:
        return srv_fail(c, 400, "ResourceNotFoundException", "Requested resource not found");
    case STRATA_EEXISTS:
        return srv_fail(c, 400, "ResourceInUseException", "Resource in use: %s", msg);
    case STRATA_ECONFLICT:
    case STRATA_EBUSY:
        return srv_fail(c, 400, "TransactionConflictException",
                        "Transaction is ongoing for the item: %s", msg);
    default:
        return srv_fail(c, 500, "InternalServerError", "Internal server error: %s", msg);
    }
}

/* ---- body accessors --------------------------------------------------------------------- */

static json_t *member(srv_call *c, json_t *o, const char *name, int type, const char *tname,
                      int *bad)
{
    json_t *m = o ? json_object_get(o, name) : NULL;
    if (!m || json_is_null(m)) return NULL;
    if ((int)json_typeof(m) != type) {
        srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: %s must be %s",
                 name, tname);
        *bad = 1;
        return NULL;
    }
    return m;
}

const char *srv_get_str(srv_call *c, json_t *o, const char *name, int *bad)
{
    json_t *m = member(c, o, name, JSON_STRING, "a string", bad);
    return m ? json_string_value(m) : NULL;
}

json_t *srv_get_obj(srv_call *c, json_t *o, const char *name, int *bad)
{
    return member(c, o, name, JSON_OBJECT, "an object", bad);
}

json_t *srv_get_arr(srv_call *c, json_t *o, const char *name, int *bad)
{
    return member(c, o, name, JSON_ARRAY, "an array", bad);
}

int srv_get_int(srv_call *c, json_t *o, const char *name, long long *out)
{
    json_t *m = o ? json_object_get(o, name) : NULL;
    if (!m || json_is_null(m)) return 0;
    if (!json_is_integer(m)) {
        srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: %s must be an integer",
                 name);
        return -1;
    }
    *out = (long long)json_integer_value(m);
    return 1;
}

int srv_get_bool(srv_call *c, json_t *o, const char *name, int dflt)
{
    json_t *m = o ? json_object_get(o, name) : NULL;
    if (!m || json_is_null(m)) return dflt;
    if (!json_is_boolean(m)) {
        srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: %s must be a boolean",
                 name);
        return -1;
    }
    return json_is_true(m);
}

static int convert(srv_call *c, strata_value **out, json_t *node, unsigned flags, const char *what)
{
    *out = NULL;
    if (!node) return 0;
    char *text = json_dumps(node, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) return srv_fail(c, 500, "InternalServerError", "out of memory");
    int rc = strata_value_from_json(out, text, strlen(text), flags);
    free(text);
    if (rc < 0) {
        const strata_error *e = strata_error_last();
        return srv_invalid(c, "One or more parameter values were invalid: %s: %s", what,
                           e->code == rc && e->message[0] ? e->message : strata_strerror(rc));
    }
    return 0;
}

int srv_to_value(srv_call *c, strata_value **out, json_t *node, int item, const char *what)
{
    if (node && item && !json_is_object(node))
        return srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: %s must be an object", what);
    return convert(c, out, node, STRATA_JSON_DYNAMODB | (item ? STRATA_JSON_ITEM : 0u), what);
}

int srv_to_plain(srv_call *c, strata_value **out, json_t *node, const char *what)
{
    return convert(c, out, node, 0, what);
}

/* ---- the envelope ----------------------------------------------------------------------- */

typedef int (*op_fn)(srv_call *c);
typedef struct op_entry {
    const char *name;
    op_fn fn;
    int writes; /* refused by --read-only */
} op_entry;

static const op_entry ddb_ops[] = {
    {"BatchGetItem", op_batch_get, 0},
    {"BatchWriteItem", op_batch_write, 1},
    {"CreateTable", op_create_table, 1},
    {"DeleteItem", op_delete_item, 1},
    {"DeleteTable", op_delete_table, 1},
    {"DescribeEndpoints", op_describe_endpoints, 0},
    {"DescribeLimits", op_describe_limits, 0},
    {"DescribeTable", op_describe_table, 0},
    {"DescribeTimeToLive", op_describe_ttl, 0},
    {"GetItem", op_get_item, 0},
    {"ListTables", op_list_tables, 0},
    {"ListTagsOfResource", op_list_tags, 0},
    {"PutItem", op_put_item, 1},
    {"Query", op_query, 0},
    {"Scan", op_scan, 0},
    {"TagResource", op_tag_resource, 1},
    {"TransactGetItems", op_transact_get, 0},
    {"TransactWriteItems", op_transact_write, 1},
    {"UntagResource", op_untag_resource, 1},
    {"UpdateItem", op_update_item, 1},
    {"UpdateTable", op_update_table, 1},
    {"UpdateTimeToLive", op_update_ttl, 1},
};

static const op_entry hist_ops[] = {
    {"Diff", op_hist_diff, 0},
    {"GetItem", op_hist_get_item, 0},
    {"ItemHistory", op_hist_item_history, 0},
    {"Query", op_hist_query, 0},
    {"RestoreItem", op_hist_restore_item, 1},
    {"RestoreTable", op_hist_restore_table, 1},
    {"Scan", op_hist_scan, 0},
    {"TableLog", op_hist_table_log, 0},
};

static const op_entry *find_op(const op_entry *ops, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ops[i].name, name) == 0) return &ops[i];
    return NULL;
}

/* Parse "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/dynamodb/aws4_request, …" into
 * the access key id and the region. Returns 1 when a credential was found. */
static int parse_credential(const char *auth, char *akid, size_t akid_n, char *region,
                            size_t region_n)
{
    if (!auth) return 0;
    const char *p = strstr(auth, "Credential=");
    if (!p) return 0;
    p += strlen("Credential=");
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strcspn(p, ", ");
    if (n == 0 || n >= akid_n) return 0;
    memcpy(akid, p, n);
    akid[n] = 0;
    if (slash) {
        const char *date_end = strchr(slash + 1, '/');
        if (date_end) {
            const char *r = date_end + 1;
            size_t rn = strcspn(r, "/, ");
            if (rn > 0 && rn < region_n) {
                memcpy(region, r, rn);
                region[rn] = 0;
            }
        }
    }
    return 1;
}

static int content_type_ok(const char *ct)
{
    if (!ct) return 0;
    size_t n = strcspn(ct, "; ");
    return (n == strlen("application/x-amz-json-1.0") &&
            strncasecmp(ct, "application/x-amz-json-1.0", n) == 0) ||
           (n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0);
}

void srv_dispatch(srv *s, const srv_request *rq, srv_response *rs)
{
    memset(rs, 0, sizeof *rs);
    rs->status = 200;
    rs->content_type = "application/x-amz-json-1.0";
    srv_call call;
    memset(&call, 0, sizeof call);
    call.s = s;
    call.rq = rq;
    call.rs = rs;
    srv_call *c = &call;
    strata_error_clear();

    if (rq->method && strcmp(rq->method, "GET") == 0) {
        rs->content_type = "text/plain";
        sbuf_fmt(&rs->body, "healthy: strata-server %s\n", strata_version());
        return;
    }
    if (!rq->method || strcmp(rq->method, "POST") != 0) {
        srv_fail(c, 405, SRV_SERIALIZATION, "Only POST is supported (and GET / for health)");
        return;
    }
    const char *target = rq->target;
    if (!target || !*target) {
        srv_fail(c, 400, SRV_UNKNOWN_OP, "Missing X-Amz-Target header");
        return;
    }
    if (!content_type_ok(rq->content_type)) {
        srv_fail(c, 400, SRV_SERIALIZATION,
                 "Content-Type must be application/x-amz-json-1.0 or application/json");
        return;
    }
    const op_entry *op = NULL;
    static const char ddb_prefix[] = "DynamoDB_20120810.", hist_prefix[] = "StrataHistory_1.";
    if (strncmp(target, ddb_prefix, sizeof ddb_prefix - 1) == 0)
        op = find_op(ddb_ops, sizeof ddb_ops / sizeof *ddb_ops, target + sizeof ddb_prefix - 1);
    else if (strncmp(target, hist_prefix, sizeof hist_prefix - 1) == 0)
        op = find_op(hist_ops, sizeof hist_ops / sizeof *hist_ops, target + sizeof hist_prefix - 1);
    if (!op) {
        srv_fail(c, 400, SRV_UNKNOWN_OP, "Unknown operation: %.100s", target);
        return;
    }

    json_error_t jerr;
    json_t *in = json_loadb(rq->body ? rq->body : "", rq->body_len,
                            JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!in) {
        srv_fail(c, 400, SRV_SERIALIZATION, "Malformed JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return;
    }
    if (!json_is_object(in)) {
        json_decref(in);
        srv_fail(c, 400, SRV_SERIALIZATION, "The request body must be a JSON object");
        return;
    }
    call.in = in;

    char akid[128] = "";
    snprintf(call.region, sizeof call.region, "%s", s->cfg.region);
    int have_cred = parse_credential(rq->authorization, akid, sizeof akid, call.region,
                                     sizeof call.region);
    if (s->cfg.tenant) {
        call.tenant = s->cfg.tenant;
    } else if (have_cred) {
        if (strata_name_check(akid) != 0) {
            srv_fail(c, 400, "UnrecognizedClientException",
                     "The security token included in the request is invalid.");
            goto done;
        }
        call.tenant = akid;
    } else {
        call.tenant = "default";
    }
    if (op->writes && s->cfg.read_only) {
        srv_fail(c, 400, SRV_VALIDATION, "This server is read-only (--read-only)");
        goto done;
    }
    int rc = tenant_ready(s, call.tenant);
    if (rc < 0 && !(s->cfg.read_only && rc == 0)) {
        srv_lib_fail(c, rc, "tenant");
        goto done;
    }

    strata_write_options_init(&call.wo, STRATA_WRITE_OPTIONS_VERSION);
    call.wo.user = rq->user && *rq->user ? rq->user : (have_cred ? akid : "anonymous");
    call.wo.message = rq->message && *rq->message ? rq->message : target + strcspn(target, ".") + 1;
    if (rq->origin && *rq->origin) {
        snprintf(call.origin, sizeof call.origin, "%s", rq->origin);
    } else {
        snprintf(call.origin, sizeof call.origin, "strata-server %s", rq->request_id ? rq->request_id : "");
    }
    call.wo.origin = call.origin;

    if (op->fn(c) == 0 && rs->status == 200 && rs->body.len == 0) sbuf_cstr(&rs->body, "{}");
    if (rs->body.failed) {
        sbuf_free(&rs->body);
        rs->body.failed = 0;
        srv_fail(c, 500, "InternalServerError", "out of memory");
    }
done:
    json_decref(in);
}
