/* strata-server's multi-item operations: BatchGetItem, BatchWriteItem, TransactGetItems and
 * TransactWriteItems.
 *
 * Batch writes and transactional writes are one strata transaction each: one commit of the
 * tenant, atomic and durable together, with the writes applied in order. A transaction's
 * conditions and update expressions need an item's state *before* the commit, and strata's
 * transactions hold only puts and deletes of whole items. So TransactWriteItems reads every
 * item it touches at the heads of their tables, evaluates each condition / update with the
 * library's own evaluator on a scratch copy (a table of the same key schema in the hidden
 * tenant SCRATCH_TENANT: put the current item, run the conditional delete or update there,
 * take the result, delete the copy), and commits the resulting puts and deletes with
 * strata_txn_expect_head on every table it read. Another writer that changed one of those
 * tables meanwhile makes the commit fail with STRATA_ECONFLICT, and the whole evaluation is
 * done again (a few times, then TransactionConflictException). Conditions therefore hold at
 * the commit, as DynamoDB promises. TransactGetItems reads every item at one tenant snapshot. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCRATCH_TENANT "~strata-server/scratch"
#define TXN_MAX 100
#define BATCH_WRITE_MAX 25
#define BATCH_GET_MAX 100
#define TOKEN_TTL_S 600

struct srv_token {
    char token[40];
    unsigned long long hash;
    time_t when;
};

/* ---- helpers ---------------------------------------------------------------------------- */

/* Names and values of one request part (an action of a transaction, a table of a batch). */
static int part_exprs(srv_call *c, json_t *o, strata_value **names, strata_value **values)
{
    int bad = 0;
    json_t *n = srv_get_obj(c, o, "ExpressionAttributeNames", &bad);
    json_t *v = srv_get_obj(c, o, "ExpressionAttributeValues", &bad);
    if (bad) return -1;
    if (n && json_object_size(n) == 0) return srv_invalid(c, "ExpressionAttributeNames must not be empty");
    if (v && json_object_size(v) == 0) return srv_invalid(c, "ExpressionAttributeValues must not be empty");
    if (srv_to_plain(c, names, n, "ExpressionAttributeNames")) return -1;
    if (srv_to_value(c, values, v, 1, "ExpressionAttributeValues")) return -1;
    return 0;
}

/* A table opened once per request. */
typedef struct tables {
    srv_table t[TXN_MAX];
    size_t n;
} tables;

static srv_table *tables_open(srv_call *c, tables *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (name && strcmp(ts->t[i].name, name) == 0) return &ts->t[i];
    if (ts->n == TXN_MAX) {
        srv_invalid(c, "Too many tables in one request");
        return NULL;
    }
    if (srv_table_open(c, &ts->t[ts->n], name)) return NULL;
    return &ts->t[ts->n++];
}

static void tables_close(tables *ts)
{
    for (size_t i = 0; i < ts->n; i++) srv_table_close(&ts->t[i]);
    ts->n = 0;
}

/* Close and free a request's tables (NULL is fine). */
static void tables_free(tables *ts)
{
    if (ts) tables_close(ts);
    free(ts);
}

/* Move `out` into the reply body. */
static void reply_body(srv_call *c, sbuf *out)
{
    sbuf_free(&c->rs->body);
    c->rs->body = *out;
    *out = (sbuf){0};
}

/* What one key of a get holds while it is read: its part's names and values, the key, the item. */
typedef struct get_part {
    strata_value *names, *values, *key, *item;
} get_part;

static void get_part_free_key(get_part *p)
{
    strata_value_free(p->item);
    strata_value_free(p->key);
    p->item = p->key = NULL;
}

static void get_part_free(get_part *p)
{
    get_part_free_key(p);
    strata_value_free(p->names);
    strata_value_free(p->values);
    p->names = p->values = NULL;
}

static int same_key(const srv_table *ta, const strata_value *a, const srv_table *tb, const strata_value *b)
{
    return ta == tb && strata_value_equal(a, b);
}

/* ---- BatchGetItem ----------------------------------------------------------------------- */

int op_batch_get(srv_call *c)
{
    int bad = 0, rc = -1;
    json_t *req = srv_get_obj(c, c->in, "RequestItems", &bad);
    tables *ts = calloc(1, sizeof *ts);
    get_part p = {0};
    if (!ts) return srv_fail(c, 500, "InternalServerError", "out of memory");
    if (bad) goto done;
    if (!req || json_object_size(req) == 0) {
        srv_invalid(c, "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
        goto done;
    }
    size_t total = 0;
    const char *name;
    json_t *spec;
    json_object_foreach(req, name, spec) {
        json_t *keys = srv_get_arr(c, spec, "Keys", &bad);
        if (bad) goto done;
        total += keys ? json_array_size(keys) : 0;
        if (!keys || json_array_size(keys) == 0) {
            srv_invalid(c, "1 validation error detected: Value null at 'requestItems.%s.member.keys' failed to satisfy constraint: Member must have length greater than or equal to 1", name);
            goto done;
        }
    }
    if (total > BATCH_GET_MAX) {
        srv_invalid(c, "Too many items requested for the BatchGetItem call");
        goto done;
    }
    strata_oid snap;
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    if (strata_tenant_snapshot(&snap, c->s->db, c->tenant, 0) == 0) ro.snapshot = &snap;
    sbuf out = {0};
    sbuf_cstr(&out, "{\"Responses\":{");
    int first_table = 1;
    json_object_foreach(req, name, spec) {
        srv_table *t = tables_open(c, ts, name);
        if (!t) goto fail_out;
        const char *proj = srv_get_str(c, spec, "ProjectionExpression", &bad);
        json_t *atg = srv_get_arr(c, spec, "AttributesToGet", &bad);
        if (bad || srv_check_reserved(c, "ProjectionExpression", proj) || part_exprs(c, spec, &p.names, &p.values))
            goto fail_out;
        if (atg) {
            srv_invalid(c, "strata serve: use ProjectionExpression instead of AttributesToGet in BatchGetItem");
            goto fail_out;
        }
        if (!first_table) sbuf_cstr(&out, ",");
        first_table = 0;
        sbuf_jstr(&out, name, strlen(name));
        sbuf_cstr(&out, ":[");
        size_t i;
        json_t *jk;
        int first = 1;
        json_t *keys = json_object_get(spec, "Keys");
        json_array_foreach(keys, i, jk) {
            for (size_t k = 0; k < i; k++)
                if (json_equal(jk, json_array_get(keys, k))) {
                    srv_invalid(c, "Provided list of item keys contains duplicates");
                    goto fail_out;
                }
            if (srv_to_value(c, &p.key, jk, 1, "Keys") || srv_table_check_key(c, t, p.key, 1)) goto fail_out;
            int lib = strata_table_get_item(&p.item, c->s->db, c->tenant, t->entry, p.key, proj, p.names, &ro);
            if (lib < 0 && lib != STRATA_ENOTFOUND) {
                srv_lib_fail(c, lib, "ProjectionExpression");
                goto fail_out;
            }
            if (p.item) {
                if (!first) sbuf_cstr(&out, ",");
                first = 0;
                sbuf_value(&out, p.item, 1);
            }
            get_part_free_key(&p);
        }
        sbuf_cstr(&out, "]");
        get_part_free(&p);
    }
    sbuf_cstr(&out, "},\"UnprocessedKeys\":{}}");
    reply_body(c, &out);
    rc = 0;
    goto done;
fail_out:
    sbuf_free(&out);
done:
    get_part_free(&p);
    tables_free(ts);
    return rc;
}

/* ---- BatchWriteItem --------------------------------------------------------------------- */

typedef struct write_op {
    srv_table *t;
    strata_value *item; /* the item to put, or NULL for a delete */
    strata_value *key;  /* the item's key */
} write_op;

int op_batch_write(srv_call *c)
{
    int bad = 0, rc = -1;
    json_t *req = srv_get_obj(c, c->in, "RequestItems", &bad);
    tables *ts = calloc(1, sizeof *ts);
    write_op ops[BATCH_WRITE_MAX];
    size_t n = 0;
    strata_txn *txn = NULL;
    if (!ts) return srv_fail(c, 500, "InternalServerError", "out of memory");
    if (bad) goto done;
    if (!req || json_object_size(req) == 0) {
        srv_invalid(c, "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1");
        goto done;
    }
    const char *name;
    json_t *list;
    json_object_foreach(req, name, list) {
        if (!json_is_array(list) || json_array_size(list) == 0) {
            srv_invalid(c, "1 validation error detected: Value at 'requestItems.%s.member' failed to satisfy constraint: Member must have length greater than or equal to 1", name);
            goto done;
        }
        srv_table *t = tables_open(c, ts, name);
        if (!t) goto done;
        size_t i;
        json_t *w;
        json_array_foreach(list, i, w) {
            if (n == BATCH_WRITE_MAX) {
                srv_invalid(c, "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]");
                goto done;
            }
            json_t *put = srv_get_obj(c, w, "PutRequest", &bad);
            json_t *del = srv_get_obj(c, w, "DeleteRequest", &bad);
            if (bad) goto done;
            if (!!put == !!del) {
                srv_invalid(c, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes");
                goto done;
            }
            write_op *op = &ops[n];
            memset(op, 0, sizeof *op);
            op->t = t;
            n++;
            if (put) {
                if (srv_to_value(c, &op->item, json_object_get(put, "Item"), 1, "Item") ||
                    srv_table_check_key(c, t, op->item, 0))
                    goto done;
                if (!op->item) {
                    srv_invalid(c, "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null");
                    goto done;
                }
                if (strata_value_bytes(op->item).len > 400u * 1024u) {
                    srv_invalid(c, "Item size has exceeded the maximum allowed size");
                    goto done;
                }
                op->key = srv_table_key_of(t, op->item);
            } else {
                if (srv_to_value(c, &op->key, json_object_get(del, "Key"), 1, "Key") ||
                    srv_table_check_key(c, t, op->key, 1))
                    goto done;
            }
            if (!op->key) {
                srv_invalid(c, "The provided key element does not match the schema");
                goto done;
            }
            for (size_t k = 0; k + 1 < n; k++)
                if (same_key(ops[k].t, ops[k].key, t, op->key)) {
                    srv_invalid(c, "Provided list of item keys contains duplicates");
                    goto done;
                }
        }
    }
    int lib = strata_txn_begin(&txn, c->s->db, c->tenant, &c->wo);
    for (size_t i = 0; lib >= 0 && i < n; i++)
        lib = ops[i].item ? strata_txn_put_item(txn, ops[i].t->entry, ops[i].item)
                          : strata_txn_delete_item(txn, ops[i].t->entry, ops[i].key);
    if (lib >= 0) {
        lib = strata_txn_commit(NULL, txn);
        txn = NULL;
    }
    if (lib < 0) {
        srv_lib_fail(c, lib, "BatchWriteItem");
        goto done;
    }
    if (n) {
        strata_oid head;
        if (strata_entry_head(&head, c->s->db, c->tenant, ops[0].t->entry, NULL) == 0)
            strata_oid_fmt(c->rs->commit, &head);
    }
    sbuf_cstr(&c->rs->body, "{\"UnprocessedItems\":{}}");
    rc = 0;
done:
    if (txn) strata_txn_abort(txn);
    for (size_t i = 0; i < n; i++) {
        strata_value_free(ops[i].item);
        strata_value_free(ops[i].key);
    }
    tables_free(ts);
    return rc;
}

/* ---- TransactGetItems ------------------------------------------------------------------- */

int op_transact_get(srv_call *c)
{
    int bad = 0, rc = -1;
    json_t *list = srv_get_arr(c, c->in, "TransactItems", &bad);
    tables *ts = calloc(1, sizeof *ts);
    get_part p = {0};
    sbuf out = {0};
    if (!ts) return srv_fail(c, 500, "InternalServerError", "out of memory");
    if (bad) goto done;
    if (!list || json_array_size(list) == 0 || json_array_size(list) > TXN_MAX) {
        srv_invalid(c, "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1");
        goto done;
    }
    strata_oid snap;
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    if (strata_tenant_snapshot(&snap, c->s->db, c->tenant, 0) == 0) ro.snapshot = &snap;
    sbuf_cstr(&out, "{\"Responses\":[");
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        json_t *get = srv_get_obj(c, a, "Get", &bad);
        if (bad) goto done;
        if (!get) {
            srv_invalid(c, "TransactGetItems supports only Get actions");
            goto done;
        }
        srv_table *t = tables_open(c, ts, srv_get_str(c, get, "TableName", &bad));
        const char *proj = srv_get_str(c, get, "ProjectionExpression", &bad);
        if (!t || bad || srv_check_reserved(c, "ProjectionExpression", proj) || part_exprs(c, get, &p.names, &p.values) ||
            srv_to_value(c, &p.key, json_object_get(get, "Key"), 1, "Key") || srv_table_check_key(c, t, p.key, 1))
            goto done;
        int lib = strata_table_get_item(&p.item, c->s->db, c->tenant, t->entry, p.key, proj, p.names, &ro);
        if (lib < 0 && lib != STRATA_ENOTFOUND) {
            srv_lib_fail(c, lib, "ProjectionExpression");
            goto done;
        }
        sbuf_cstr(&out, i ? ",{" : "{");
        if (p.item) {
            sbuf_cstr(&out, "\"Item\":");
            sbuf_value(&out, p.item, 1);
        }
        sbuf_cstr(&out, "}");
        get_part_free(&p);
    }
    sbuf_cstr(&out, "]}");
    reply_body(c, &out);
    rc = 0;
done:
    sbuf_free(&out);
    get_part_free(&p);
    tables_free(ts);
    return rc;
}

/* ---- TransactWriteItems ----------------------------------------------------------------- */

enum { ACT_PUT, ACT_UPDATE, ACT_DELETE, ACT_CHECK };

typedef struct action {
    int kind;
    srv_table *t;
    strata_value *item;     /* Put: the item */
    strata_value *key;
    const char *cond, *update;
    strata_value *names, *values;
    int return_old;         /* ReturnValuesOnConditionCheckFailure ALL_OLD */
    strata_value *cur;      /* the item at the read point (NULL: absent) */
    strata_value *result;   /* Update: the new item */
    int failed;             /* the condition did not hold */
} action;

/* The scratch table with `t`'s key schema (created on first use). */
static int scratch_entry(srv_call *c, const srv_table *t, char *out, size_t n)
{
    strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
    wo.user = "strata-server";
    wo.message = "transaction scratch";
    int rc = strata_tenant_init(c->s->db, SCRATCH_TENANT, &wo);
    if (rc < 0) return rc;
    for (int i = 0; i < 10000; i++) {
        snprintf(out, n, "k%d", i);
        strata_value *d = NULL;
        rc = strata_table_describe(&d, c->s->db, SCRATCH_TENANT, out, NULL);
        if (rc == STRATA_ENOTFOUND) {
            strata_table_schema schema = STRATA_TABLE_SCHEMA_INIT;
            schema.pk = t->pk;
            schema.sk = t->sk[0] ? t->sk : NULL;
            return strata_table_create(NULL, c->s->db, SCRATCH_TENANT, out, &schema, &wo);
        }
        if (rc < 0) return rc;
        strata_value *pk = NULL, *sk = NULL;
        strata_slice ps = {NULL, 0}, ss = {NULL, 0};
        int match = strata_value_get(&pk, d, "pk") == 0 && strata_value_string(&ps, pk) == 0 &&
                    ps.len == strlen(t->pk) && memcmp(ps.data, t->pk, ps.len) == 0;
        int has_sk = strata_value_get(&sk, d, "sk") == 0;
        if (match && t->sk[0])
            match = has_sk && strata_value_string(&ss, sk) == 0 && ss.len == strlen(t->sk) &&
                    memcmp(ss.data, t->sk, ss.len) == 0;
        else if (match)
            match = !has_sk;
        strata_value_free(pk);
        strata_value_free(sk);
        strata_value_free(d);
        if (match) return 0;
    }
    return STRATA_ELIMIT;
}

/* Evaluate action a's condition (and update) on a scratch copy of its current item. Returns 0
 * (a->failed set when the condition did not hold) or a strata error. */
static int evaluate(srv_call *c, action *a)
{
    if (!a->cond && a->kind != ACT_UPDATE) return 0;
    char entry[32];
    int rc = scratch_entry(c, a->t, entry, sizeof entry);
    if (rc < 0) return rc;
    strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
    wo.user = "strata-server";
    wo.message = "transaction scratch";
    if (a->cur) {
        rc = strata_table_put_item(NULL, c->s->db, SCRATCH_TENANT, entry, a->cur, NULL, &wo);
        if (rc < 0) return rc;
    }
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    io.condition = a->cond;
    io.names = a->names;
    io.values = a->values;
    if (a->kind == ACT_UPDATE) {
        io.return_values = STRATA_RETURN_ALL_NEW;
        rc = strata_table_update_item(&a->result, c->s->db, SCRATCH_TENANT, entry, a->key, a->update, &io, &wo);
    } else {
        rc = strata_table_delete_item(NULL, c->s->db, SCRATCH_TENANT, entry, a->key, &io, &wo);
    }
    const strata_error *e = strata_error_last();
    int saved_code = e->code;
    char saved[512];
    snprintf(saved, sizeof saved, "%s", e->message);
    int clean = strata_table_delete_item(NULL, c->s->db, SCRATCH_TENANT, entry, a->key, NULL, &wo);
    if (rc == STRATA_ECONDITION) {
        a->failed = 1;
        rc = 0;
    } else if (rc < 0 && saved_code == rc) {
        /* keep the evaluator's message for the caller */
        strata_error_clear();
        (void)saved;
    }
    if (rc >= 0 && clean < 0) rc = clean;
    return rc < 0 ? rc : 0;
}

static void actions_free(action *as, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        strata_value_free(as[i].item);
        strata_value_free(as[i].key);
        strata_value_free(as[i].names);
        strata_value_free(as[i].values);
        strata_value_free(as[i].cur);
        strata_value_free(as[i].result);
    }
}

static unsigned long long fnv(const char *s, size_t n)
{
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* ClientRequestToken: 1 when this token was already used by the same request (answer success
 * again), 0 when new (remembered when `add`: after the transaction succeeded), -1 when used
 * with other parameters (error set). Called with txn_mu held. */
static int token_seen(srv_call *c, const char *token, int add)
{
    srv *s = c->s;
    time_t now = time(NULL);
    json_t *copy = json_deep_copy(c->in);
    json_object_del(copy, "ClientRequestToken");
    char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    unsigned long long h = text ? fnv(text, strlen(text)) : 0;
    free(text);
    size_t keep = 0;
    int found = 0;
    for (size_t i = 0; i < s->ntokens; i++) {
        if (now - s->tokens[i].when > TOKEN_TTL_S) continue;
        s->tokens[keep++] = s->tokens[i];
        if (strcmp(s->tokens[keep - 1].token, token) == 0) found = s->tokens[keep - 1].hash == h ? 1 : -1;
    }
    s->ntokens = keep;
    if (found < 0)
        return srv_fail(c, 400, "IdempotentParameterMismatchException",
                        "The request uses the same client token as a previous, but non-identical request.");
    if (found) return 1;
    if (!add) return 0;
    struct srv_token *grown = realloc(s->tokens, (s->ntokens + 1) * sizeof *grown);
    if (!grown) return 0;
    s->tokens = grown;
    snprintf(grown[s->ntokens].token, sizeof grown[s->ntokens].token, "%s", token);
    grown[s->ntokens].hash = h;
    grown[s->ntokens].when = now;
    s->ntokens++;
    return 0;
}

/* Parse one action of TransactItems into a. 0 or -1. */
static int parse_action(srv_call *c, tables *ts, json_t *j, action *a)
{
    int bad = 0;
    static const char *kinds[] = {"Put", "Update", "Delete", "ConditionCheck"};
    json_t *body = NULL;
    int count = 0;
    for (int k = 0; k < 4; k++) {
        json_t *o = srv_get_obj(c, j, kinds[k], &bad);
        if (bad) return -1;
        if (o) body = o, a->kind = k, count++;
    }
    if (count != 1)
        return srv_invalid(c, "TransactItems can only contain one of Check, Put, Update or Delete");
    a->t = tables_open(c, ts, srv_get_str(c, body, "TableName", &bad));
    if (!a->t || bad) return -1;
    a->cond = srv_get_str(c, body, "ConditionExpression", &bad);
    a->update = srv_get_str(c, body, "UpdateExpression", &bad);
    const char *rv = srv_get_str(c, body, "ReturnValuesOnConditionCheckFailure", &bad);
    if (bad || srv_check_reserved(c, "ConditionExpression", a->cond) ||
        srv_check_reserved(c, "UpdateExpression", a->update) || part_exprs(c, body, &a->names, &a->values))
        return -1;
    a->return_old = rv && strcmp(rv, "ALL_OLD") == 0;
    if (a->kind == ACT_PUT) {
        if (srv_to_value(c, &a->item, json_object_get(body, "Item"), 1, "Item") ||
            srv_table_check_key(c, a->t, a->item, 0))
            return -1;
        if (strata_value_bytes(a->item).len > 400u * 1024u)
            return srv_invalid(c, "Item size has exceeded the maximum allowed size");
        a->key = srv_table_key_of(a->t, a->item);
    } else {
        if (srv_to_value(c, &a->key, json_object_get(body, "Key"), 1, "Key") ||
            srv_table_check_key(c, a->t, a->key, 1))
            return -1;
    }
    if (!a->key) return srv_invalid(c, "The provided key element does not match the schema");
    if (a->kind == ACT_UPDATE && !a->update)
        return srv_invalid(c, "1 validation error detected: Value null at 'transactItems.member.update.updateExpression' failed to satisfy constraint: Member must not be null");
    if (a->kind == ACT_CHECK && !a->cond)
        return srv_invalid(c, "1 validation error detected: Value null at 'transactItems.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null");
    return 0;
}

int op_transact_write(srv_call *c)
{
    int bad = 0, rc = -1, locked = 0;
    json_t *list = srv_get_arr(c, c->in, "TransactItems", &bad);
    const char *token = srv_get_str(c, c->in, "ClientRequestToken", &bad);
    tables *ts = calloc(1, sizeof *ts);
    action *as = calloc(TXN_MAX, sizeof *as);
    size_t n = 0;
    strata_txn *txn = NULL;
    if (!ts || !as) {
        srv_fail(c, 500, "InternalServerError", "out of memory");
        goto done;
    }
    if (bad) goto done;
    if (!list || json_array_size(list) == 0 || json_array_size(list) > TXN_MAX) {
        srv_invalid(c, "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100 and greater than or equal to 1");
        goto done;
    }
    if (token && (strlen(token) < 1 || strlen(token) > 36)) {
        srv_invalid(c, "1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36");
        goto done;
    }
    size_t i;
    json_t *j;
    json_array_foreach(list, i, j) {
        if (parse_action(c, ts, j, &as[n++])) goto done;
        for (size_t k = 0; k + 1 < n; k++)
            if (same_key(as[k].t, as[k].key, as[n - 1].t, as[n - 1].key)) {
                srv_invalid(c, "Transaction request cannot include multiple operations on one item");
                goto done;
            }
    }
    pthread_mutex_lock(&c->s->txn_mu);
    locked = 1;
    if (token) {
        int seen = token_seen(c, token, 0);
        if (seen < 0) goto done;
        if (seen) {
            sbuf_cstr(&c->rs->body, "{}");
            rc = 0;
            goto done;
        }
    }
    for (int attempt = 0;; attempt++) {
        strata_oid heads[TXN_MAX];
        for (size_t t = 0; t < ts->n; t++) {
            int lib = strata_entry_head(&heads[t], c->s->db, c->tenant, ts->t[t].entry, NULL);
            if (lib < 0) {
                srv_lib_fail(c, lib, "table");
                goto done;
            }
        }
        int any_failed = 0;
        for (size_t k = 0; k < n; k++) {
            action *a = &as[k];
            strata_value_free(a->cur);
            strata_value_free(a->result);
            a->cur = a->result = NULL;
            a->failed = 0;
            strata_read_options ro = STRATA_READ_OPTIONS_INIT;
            ro.at = &heads[a->t - ts->t];
            int lib = strata_table_get_item(&a->cur, c->s->db, c->tenant, a->t->entry, a->key, NULL, NULL, &ro);
            if (lib < 0 && lib != STRATA_ENOTFOUND) {
                srv_lib_fail(c, lib, "item");
                goto done;
            }
            lib = evaluate(c, a);
            if (lib < 0) {
                srv_lib_fail(c, lib, a->kind == ACT_UPDATE ? "UpdateExpression" : "ConditionExpression");
                goto done;
            }
            any_failed |= a->failed;
        }
        if (any_failed) {
            sbuf reasons = {0}, names = {0};
            for (size_t k = 0; k < n; k++) {
                sbuf_cstr(&names, k ? ", " : "");
                sbuf_cstr(&names, as[k].failed ? "ConditionalCheckFailed" : "None");
                sbuf_cstr(&reasons, k ? "," : "");
                if (as[k].failed) {
                    sbuf_cstr(&reasons, "{\"Code\":\"ConditionalCheckFailed\",\"Message\":\"The conditional request failed\"");
                    if (as[k].return_old && as[k].cur) {
                        sbuf_cstr(&reasons, ",\"Item\":");
                        sbuf_value(&reasons, as[k].cur, 1);
                    }
                    sbuf_cstr(&reasons, "}");
                } else {
                    sbuf_cstr(&reasons, "{\"Code\":\"None\"}");
                }
            }
            srv_fail(c, 400, "TransactionCanceledException",
                     "Transaction cancelled, please refer cancellation reasons for specific reasons [%s]",
                     names.data ? names.data : "");
            sbuf *b = &c->rs->body;
            if (b->len) b->len--; /* reopen the error object */
            sbuf_cstr(b, ",\"CancellationReasons\":[");
            if (reasons.data) sbuf_add(b, reasons.data, reasons.len);
            sbuf_cstr(b, "]}");
            sbuf_free(&reasons);
            sbuf_free(&names);
            goto done;
        }
        int lib = strata_txn_begin(&txn, c->s->db, c->tenant, &c->wo);
        for (size_t t = 0; lib >= 0 && t < ts->n; t++) lib = strata_txn_expect_head(txn, ts->t[t].entry, &heads[t]);
        for (size_t k = 0; lib >= 0 && k < n; k++) {
            action *a = &as[k];
            if (a->kind == ACT_PUT) lib = strata_txn_put_item(txn, a->t->entry, a->item);
            else if (a->kind == ACT_DELETE) lib = strata_txn_delete_item(txn, a->t->entry, a->key);
            else if (a->kind == ACT_UPDATE && a->result) lib = strata_txn_put_item(txn, a->t->entry, a->result);
        }
        if (lib >= 0) {
            lib = strata_txn_commit(NULL, txn);
            txn = NULL;
        }
        if (lib == STRATA_ECONFLICT && attempt < 8) {
            if (txn) strata_txn_abort(txn);
            txn = NULL;
            continue;
        }
        if (lib < 0) {
            if (lib == STRATA_ECONFLICT)
                srv_fail(c, 400, "TransactionCanceledException",
                         "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]");
            else
                srv_lib_fail(c, lib, "TransactWriteItems");
            goto done;
        }
        break;
    }
    strata_oid head;
    if (strata_entry_head(&head, c->s->db, c->tenant, as[0].t->entry, NULL) == 0)
        strata_oid_fmt(c->rs->commit, &head);
    if (token) token_seen(c, token, 1);
    sbuf_cstr(&c->rs->body, "{}");
    rc = 0;
done:
    if (txn) strata_txn_abort(txn);
    if (locked) pthread_mutex_unlock(&c->s->txn_mu);
    if (as) actions_free(as, n);
    tables_free(ts);
    free(as);
    return rc;
}
