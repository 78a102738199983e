/* strata-server's internal face: DynamoDB's JSON protocol (API 20120810) over strata tables.
 *
 * Layers, top to bottom, each calling only down:
 *   main.c      options, signals, the libmicrohttpd daemon, access log (the only file that
 *               knows HTTP);
 *   dispatch.c  one request in, one response out: the target, the content type, the JSON body,
 *               the tenant (from SigV4's access key id), the error envelope, the operation
 *               table — a pure function of (request, database), which is what the fuzz target
 *               drives;
 *   ops_*.c     the DynamoDB operations and the StrataHistory_1 operations, on include/strata.h
 *               only;
 *   sbuf.c      a growable output buffer that writes JSON.
 *
 * Threads: srv_dispatch may run on any number of threads at once on one srv (libmicrohttpd's
 * thread pool calls it); the strata_db handle is shared (docs/threading.md); what srv itself
 * holds that changes (the set of tenants known to exist, the transaction lock) is guarded by
 * srv.mu. A request's memory belongs to that request alone.
 */
#ifndef STRATA_SERVER_H
#define STRATA_SERVER_H

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* ---- output buffer ---------------------------------------------------------------------- */

/* A growable byte buffer. `failed` is set on the first allocation failure; later appends are
 * ignored, so callers check once at the end. */
typedef struct sbuf {
    char *data;
    size_t len, cap;
    int failed;
} sbuf;

void sbuf_free(sbuf *b);
void sbuf_add(sbuf *b, const void *p, size_t n);
void sbuf_cstr(sbuf *b, const char *s);
void sbuf_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append `s` (n bytes of UTF-8) as a JSON string literal, quotes included. */
void sbuf_jstr(sbuf *b, const char *s, size_t n);
/* Append `v` as DynamoDB JSON: an item ({"name": {"S": …}}) when item is nonzero, else one
 * AttributeValue. Returns 0 or a strata error. */
int sbuf_value(sbuf *b, const strata_value *v, int item);

/* ---- the server ------------------------------------------------------------------------- */

typedef struct srv_config {
    const char *tenant;       /* pin every request to this tenant (NULL: one per access key id) */
    const char *region;       /* region in ARNs when the request names none ("us-east-1") */
    int read_only;            /* refuse every write */
    unsigned ttl_interval_ms; /* TTL sweep period (0: no sweeper) */
} srv_config;

typedef struct srv {
    strata_db *db;
    srv_config cfg;
    pthread_mutex_t mu;     /* guards known tenants and serialises transactions and DDL */
    char **tenants;         /* tenants known to exist (strata_tenant_init done), sorted */
    size_t ntenants;
    pthread_mutex_t txn_mu; /* one TransactWriteItems at a time (they share the scratch tables) */
    struct srv_token *tokens; /* ClientRequestToken idempotency (guarded by txn_mu) */
    size_t ntokens;
} srv;

/* One request, as the HTTP layer saw it. Strings are NUL-terminated or NULL when absent. */
typedef struct srv_request {
    const char *method;        /* "POST", "GET", … */
    const char *target;        /* X-Amz-Target */
    const char *content_type;  /* Content-Type */
    const char *authorization; /* Authorization (SigV4) */
    const char *user, *message, *origin; /* x-strata-user / -message / -origin */
    const char *body;          /* the body (not NUL-terminated) */
    size_t body_len;
    const char *request_id;    /* for the reply header and commit origins */
} srv_request;

/* One response. `body` is owned by the response (srv_response_free). */
typedef struct srv_response {
    int status;                /* HTTP status */
    const char *content_type;  /* static */
    sbuf body;
    char error_type[64];       /* the error's short name for the access log ("" on success) */
    char commit[STRATA_OID_HEXSIZE + 1]; /* x-strata-commit: the commit a write made ("" none) */
} srv_response;

int srv_init(srv *s, strata_db *db, const srv_config *cfg);
void srv_destroy(srv *s);

/* Answer one request. Never fails: every problem becomes an error response. */
void srv_dispatch(srv *s, const srv_request *rq, srv_response *rs);
void srv_response_free(srv_response *rs);

/* One TTL sweep over every tenant's tables with TTL enabled: deletes the items whose TTL
 * attribute lies before now. Returns the number of items deleted. */
uint64_t srv_sweep_ttl(srv *s);

/* ---- what the operations share (dispatch.c) --------------------------------------------- */

/* The context of one operation: the request, its parsed body, the tenant, write options. */
typedef struct srv_call {
    srv *s;
    const srv_request *rq;
    srv_response *rs;
    json_t *in;                /* the request body (an object) */
    const char *tenant;
    char region[32];
    strata_write_options wo;
    char origin[160];
} srv_call;

/* The error names of the protocol. */
#define SRV_VALIDATION "com.amazon.coral.validate#ValidationException"
#define SRV_SERIALIZATION "com.amazon.coral.service#SerializationException"
#define SRV_UNKNOWN_OP "com.amazon.coral.service#UnknownOperationException"
#define SRV_DDB "com.amazonaws.dynamodb.v20120810#"

/* Make rs an error response (400 unless `status` says otherwise) with __type `type` (a full
 * name, or a short one that gets the SRV_DDB prefix) and a formatted message. Returns -1, so an
 * operation can `return srv_fail(…)`. */
int srv_fail(srv_call *c, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A validation error (400, ValidationException). Returns -1. */
int srv_invalid(srv_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Map a strata error code (with strata_error_last's message) to a protocol error. Returns -1. */
int srv_lib_fail(srv_call *c, int code, const char *what);

/* Body accessors: the member `name` of object `o` when it has the type wanted; NULL when absent;
 * a wrong type sets a SerializationException and sets *bad. */
const char *srv_get_str(srv_call *c, json_t *o, const char *name, int *bad);
json_t *srv_get_obj(srv_call *c, json_t *o, const char *name, int *bad);
json_t *srv_get_arr(srv_call *c, json_t *o, const char *name, int *bad);
/* An integer member: 1 when present (stored in *out), 0 when absent, -1 on a wrong type. */
int srv_get_int(srv_call *c, json_t *o, const char *name, long long *out);
/* A boolean member: 1/0, `dflt` when absent, -1 on a wrong type. */
int srv_get_bool(srv_call *c, json_t *o, const char *name, int dflt);

/* Convert a JSON node to a strata value: DynamoDB JSON (an item when `item`, else one
 * AttributeValue) or plain JSON (`plain`). NULL node: *out = NULL, 0. On failure a
 * ValidationException naming `what`. Returns 0 or -1. */
int srv_to_value(srv_call *c, strata_value **out, json_t *node, int item, const char *what);
int srv_to_plain(srv_call *c, strata_value **out, json_t *node, const char *what);

/* ---- tables (ops_tables.c) -------------------------------------------------------------- */

/* What the server knows about one table, from its metadata record. */
typedef struct srv_table {
    char name[256];   /* the DynamoDB table name */
    char entry[300];  /* the strata table entry holding its items */
    char pk[256], sk[256];   /* key attribute names (sk "" when none) */
    char pkt, skt;    /* 'S', 'N' or 'B' */
    json_t *meta;     /* the metadata record (owned) */
} srv_table;

/* Load table `name` of the call's tenant. 0, or -1 with ResourceNotFoundException set. */
int srv_table_open(srv_call *c, srv_table *t, const char *name);
void srv_table_close(srv_table *t);
/* Check that `v` (a map) has the table's key attributes with the declared types: `key_only`
 * asks for exactly the key (GetItem's Key), else an item holding them. 0 or -1 (validation). */
int srv_table_check_key(srv_call *c, const srv_table *t, const strata_value *v, int key_only);
/* The key of item `v` as a new map value (owned), or NULL on failure. */
strata_value *srv_table_key_of(const srv_table *t, const strata_value *v);

int op_create_table(srv_call *c);
int op_delete_table(srv_call *c);
int op_describe_table(srv_call *c);
int op_list_tables(srv_call *c);
int op_update_table(srv_call *c);
int op_update_ttl(srv_call *c);
int op_describe_ttl(srv_call *c);
int op_tag_resource(srv_call *c);
int op_untag_resource(srv_call *c);
int op_list_tags(srv_call *c);
int op_describe_endpoints(srv_call *c);
int op_describe_limits(srv_call *c);

/* ---- DynamoDB's expression rules beyond strata's parser (exprscan.c) --------------------- */

/* 1 when `s` (n bytes) is one of DynamoDB's reserved words (any case). */
int srv_reserved_word(const char *s, size_t n);
/* 0, or -1 with DynamoDB's ValidationException when expression `x` (request member `param`)
 * uses a reserved word as a bare attribute name. NULL x: 0. */
int srv_check_reserved(srv_call *c, const char *param, const char *x);
/* Query's key rules: each key attribute in `keycond` compared with values (the request's
 * ExpressionAttributeValues JSON) of its declared type; `filter` naming no key attribute
 * (`names`: ExpressionAttributeNames JSON). 0 or -1 (ValidationException). */
int srv_check_query_keys(srv_call *c, const srv_table *t, const char *keycond, const char *filter,
                         json_t *names, json_t *values);

/* ---- items (ops_items.c) ---------------------------------------------------------------- */

int op_put_item(srv_call *c);
int op_get_item(srv_call *c);
int op_delete_item(srv_call *c);
int op_update_item(srv_call *c);
int op_query(srv_call *c);
int op_scan(srv_call *c);
int op_batch_get(srv_call *c);
int op_batch_write(srv_call *c);
int op_transact_write(srv_call *c);
int op_transact_get(srv_call *c);

/* Reads at a past point (history): the read options an item/query/scan operation uses. */
int srv_item_get_at(srv_call *c, const strata_read_options *ro);
int srv_query_at(srv_call *c, int scan, const strata_read_options *ro);

/* ---- history (ops_history.c) ------------------------------------------------------------ */

int op_hist_table_log(srv_call *c);
int op_hist_item_history(srv_call *c);
int op_hist_get_item(srv_call *c);
int op_hist_query(srv_call *c);
int op_hist_scan(srv_call *c);
int op_hist_diff(srv_call *c);
int op_hist_restore_table(srv_call *c);
int op_hist_restore_item(srv_call *c);

#endif
