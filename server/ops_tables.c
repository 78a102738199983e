/* strata-server's table operations: CreateTable, DeleteTable, DescribeTable, ListTables,
 * UpdateTable, the TTL settings, tags, and the table metadata they share.
 *
 * DynamoDB knows things about a table that a strata table schema does not hold (attribute
 * types of the key, billing mode, TTL attribute, tags, creation time), and a strata entry can
 * never be removed (its history stays). So each tenant has one records entry, META_ENTRY, with
 * one record per live table: name → {"entry", "pk", "pkt", "sk", "skt", "created", "billing",
 * "rcu", "wcu", "ttl", "ttl_on", "tags"}. The items live in the table entry `entry`: the table's
 * name the first time, "name#2", "name#3", … when a table of that name is created again after a
 * DeleteTable ('#' is not allowed in DynamoDB table names, so these never clash). ListTables
 * lists META_ENTRY's records, which are in byte order as DynamoDB's names are. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define META_ENTRY "~strata-server/tables"

static double now_seconds(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The metadata record of table `name` as JSON (owned), or NULL with *rc set. */
static json_t *meta_load(srv_call *c, const char *name, int *rc)
{
    strata_value *v = NULL;
    *rc = strata_records_get(&v, c->s->db, c->tenant, META_ENTRY, name, NULL);
    if (*rc < 0) return NULL;
    char *text = NULL;
    size_t len = 0;
    *rc = strata_value_to_json(&text, &len, v, 0);
    strata_value_free(v);
    if (*rc < 0) return NULL;
    json_t *j = json_loadb(text, len, 0, NULL);
    strata_free(text);
    if (!j) *rc = STRATA_ECORRUPT;
    return j;
}

static int meta_store(srv_call *c, const char *name, json_t *meta)
{
    char *text = json_dumps(meta, JSON_COMPACT);
    if (!text) return STRATA_ENOMEM;
    strata_value *v = NULL;
    int rc = strata_value_from_json(&v, text, strlen(text), 0);
    free(text);
    if (rc < 0) return rc;
    rc = strata_records_put(NULL, c->s->db, c->tenant, META_ENTRY, name, v, &c->wo);
    strata_value_free(v);
    return rc;
}

/* meta_store, a failure answered. 0 or -1. */
static int meta_save(srv_call *c, const char *name, json_t *meta)
{
    int lib = meta_store(c, name, meta);
    return lib < 0 ? srv_lib_fail(c, lib, "table metadata") : 0;
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int check_table_name(srv_call *c, const char *name);

/* DynamoDB names the missing table in the control plane's message only (DescribeTable,
 * DeleteTable, UpdateTable, the TTL operations); item operations say just "not found". */
static int control_plane(const srv_call *c)
{
    static const char *const ops[] = {".DescribeTable", ".DeleteTable", ".UpdateTable",
                                      ".DescribeTimeToLive", ".UpdateTimeToLive"};
    const char *target = c->rq && c->rq->target ? c->rq->target : "";
    const char *dot = strrchr(target, '.');
    for (size_t i = 0; dot && i < sizeof ops / sizeof *ops; i++)
        if (strcmp(dot, ops[i]) == 0) return 1;
    return 0;
}

int srv_table_open(srv_call *c, srv_table *t, const char *name)
{
    memset(t, 0, sizeof *t);
    if (check_table_name(c, name)) return -1;
    if (strlen(name) >= sizeof t->name || strata_name_check(name) != 0)
        return srv_fail(c, 400, "ResourceNotFoundException", "Requested resource not found");
    int rc;
    t->meta = meta_load(c, name, &rc);
    if (!t->meta) {
        if (rc == STRATA_ENOTFOUND && control_plane(c))
            return srv_fail(c, 400, "ResourceNotFoundException",
                            "Requested resource not found: Table: %s not found", name);
        if (rc == STRATA_ENOTFOUND)
            return srv_fail(c, 400, "ResourceNotFoundException", "Requested resource not found");
        return srv_lib_fail(c, rc, "table metadata");
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    snprintf(t->entry, sizeof t->entry, "%s", jstr(t->meta, "entry"));
    snprintf(t->pk, sizeof t->pk, "%s", jstr(t->meta, "pk"));
    snprintf(t->sk, sizeof t->sk, "%s", jstr(t->meta, "sk"));
    t->pkt = jstr(t->meta, "pkt")[0];
    t->skt = jstr(t->meta, "skt")[0];
    return 0;
}

void srv_table_close(srv_table *t)
{
    json_decref(t->meta);
    t->meta = NULL;
}

/* Member `name` of map v (borrowed from `it`'s lifetime: copied out), or NULL. */
static strata_value *map_member(const strata_value *v, const char *name)
{
    strata_iter *it = NULL;
    strata_value *out = NULL;
    if (strata_value_members(&it, v) < 0) return NULL;
    size_t n = strlen(name);
    while (strata_iter_next(it) == 0) {
        strata_slice k = strata_iter_key(it);
        if (k.len == n && memcmp(k.data, name, n) == 0) {
            strata_value_from_bytes(&out, strata_value_bytes(strata_iter_value(it)).data,
                                    strata_value_bytes(strata_iter_value(it)).len);
            break;
        }
    }
    strata_iter_free(it);
    return out;
}

static char type_letter(int type)
{
    switch (type) {
    case STRATA_TYPE_STRING: return 'S';
    case STRATA_TYPE_NUMBER: return 'N';
    case STRATA_TYPE_BINARY: return 'B';
    case STRATA_TYPE_BOOL: return 'O';
    default: return '?';
    }
}

static const char *type_name(int type)
{
    static const char *names[] = {"NULL", "?", "BOOL", "N", "S", "B", "L", "M", "SS", "NS", "BS"};
    return type >= 0 && type <= 10 ? names[type] : "?";
}

static int check_one(srv_call *c, const strata_value *v, const char *name, char want, int key_only)
{
    strata_value *a = map_member(v, name);
    int rc = 0;
    if (!a) {
        rc = key_only ? srv_invalid(c, "The provided key element does not match the schema")
                      : srv_invalid(c, "One or more parameter values were invalid: Missing the key %s in the item", name);
        goto done;
    }
    int type = strata_value_type(a);
    if (type_letter(type) != want) {
        rc = key_only ? srv_invalid(c, "The provided key element does not match the schema")
                      : srv_invalid(c, "One or more parameter values were invalid: Type mismatch for key %s expected: %c actual: %s",
                                    name, want, type_name(type));
        goto done;
    }
    strata_slice s = {NULL, 0};
    if (type == STRATA_TYPE_STRING) strata_value_string(&s, a);
    if (type == STRATA_TYPE_BINARY) strata_value_binary(&s, a);
    if ((type == STRATA_TYPE_STRING || type == STRATA_TYPE_BINARY) && s.len == 0) {
        rc = srv_invalid(c, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s",
                         type == STRATA_TYPE_STRING ? "string" : "binary", name);
        goto done;
    }
    if (s.len > (name == NULL ? 0u : 2048u)) {
        rc = srv_invalid(c, "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes");
        goto done;
    }
done:
    strata_value_free(a);
    return rc;
}

int srv_table_check_key(srv_call *c, const srv_table *t, const strata_value *v, int key_only)
{
    if (!v || strata_value_type(v) != STRATA_TYPE_MAP)
        return srv_invalid(c, "The provided key element does not match the schema");
    if (key_only) {
        size_t n = 0;
        strata_value_count(&n, v);
        if (n != (t->sk[0] ? 2u : 1u))
            return srv_invalid(c, "The provided key element does not match the schema");
    }
    if (check_one(c, v, t->pk, t->pkt, key_only)) return -1;
    if (t->sk[0] && check_one(c, v, t->sk, t->skt, key_only)) return -1;
    return 0;
}

strata_value *srv_table_key_of(const srv_table *t, const strata_value *v)
{
    strata_builder *b = NULL;
    strata_value *out = NULL, *pk = map_member(v, t->pk), *sk = t->sk[0] ? map_member(v, t->sk) : NULL;
    if (!pk || (t->sk[0] && !sk) || strata_builder_new(&b) < 0) goto done;
    strata_builder_begin(b, STRATA_TYPE_MAP);
    strata_builder_key(b, t->pk, strlen(t->pk));
    strata_builder_value(b, pk);
    if (sk) {
        strata_builder_key(b, t->sk, strlen(t->sk));
        strata_builder_value(b, sk);
    }
    strata_builder_end(b);
    if (strata_builder_finish(&out, b) < 0) out = NULL;
done:
    strata_builder_free(b);
    strata_value_free(pk);
    strata_value_free(sk);
    return out;
}

/* ---- table descriptions ----------------------------------------------------------------- */

static void table_arn(srv_call *c, sbuf *b, const char *name)
{
    char arn[400];
    snprintf(arn, sizeof arn, "arn:aws:dynamodb:%s:000000000000:table/%s", c->region, name);
    sbuf_jstr(b, arn, strlen(arn));
}

/* Append the TableDescription of `t` with status `status`. */
static void describe(srv_call *c, sbuf *b, const srv_table *t, const char *status)
{
    json_t *m = t->meta;
    sbuf_cstr(b, "{\"AttributeDefinitions\":[");
    sbuf_cstr(b, "{\"AttributeName\":");
    sbuf_jstr(b, t->pk, strlen(t->pk));
    sbuf_fmt(b, ",\"AttributeType\":\"%c\"}", t->pkt);
    if (t->sk[0]) {
        sbuf_cstr(b, ",{\"AttributeName\":");
        sbuf_jstr(b, t->sk, strlen(t->sk));
        sbuf_fmt(b, ",\"AttributeType\":\"%c\"}", t->skt);
    }
    sbuf_cstr(b, "],\"TableName\":");
    sbuf_jstr(b, t->name, strlen(t->name));
    sbuf_cstr(b, ",\"KeySchema\":[{\"AttributeName\":");
    sbuf_jstr(b, t->pk, strlen(t->pk));
    sbuf_cstr(b, ",\"KeyType\":\"HASH\"}");
    if (t->sk[0]) {
        sbuf_cstr(b, ",{\"AttributeName\":");
        sbuf_jstr(b, t->sk, strlen(t->sk));
        sbuf_cstr(b, ",\"KeyType\":\"RANGE\"}");
    }
    sbuf_fmt(b, "],\"TableStatus\":\"%s\",\"CreationDateTime\":%.3f", status,
             json_number_value(json_object_get(m, "created")));
    long long rcu = json_integer_value(json_object_get(m, "rcu"));
    long long wcu = json_integer_value(json_object_get(m, "wcu"));
    sbuf_fmt(b, ",\"ProvisionedThroughput\":{\"NumberOfDecreasesToday\":0,\"ReadCapacityUnits\":%lld,\"WriteCapacityUnits\":%lld}",
             rcu, wcu);
    uint64_t count = 0, bytes = 0;
    strata_value *d = NULL;
    if (strcmp(status, "DELETING") != 0 &&
        strata_table_describe(&d, c->s->db, c->tenant, t->entry, NULL) >= 0) {
        strata_value *n = map_member(d, "count");
        int64_t x = 0;
        if (n && strata_value_int64(&x, n) == 0 && x > 0) count = (uint64_t)x;
        strata_value_free(n);
        strata_value_free(d);
    }
    sbuf_fmt(b, ",\"TableSizeBytes\":%llu,\"ItemCount\":%llu,\"TableArn\":",
             (unsigned long long)bytes, (unsigned long long)count);
    table_arn(c, b, t->name);
    sbuf_cstr(b, ",\"TableId\":");
    const char *id = jstr(m, "id");
    sbuf_jstr(b, id, strlen(id));
    const char *billing = jstr(m, "billing");
    if (strcmp(billing, "PAY_PER_REQUEST") == 0)
        sbuf_fmt(b, ",\"BillingModeSummary\":{\"BillingMode\":\"PAY_PER_REQUEST\",\"LastUpdateToPayPerRequestDateTime\":%.3f}",
                 json_number_value(json_object_get(m, "created")));
    sbuf_cstr(b, "}");
}

/* ---- CreateTable ------------------------------------------------------------------------ */

/* DynamoDB's table name rule. 0 or -1 with its message. */
/* The reply {"<member>": the description of `t` with status `status`}. */
static void reply_description(srv_call *c, const char *member, const srv_table *t, const char *status)
{
    sbuf_fmt(&c->rs->body, "{\"%s\":", member);
    describe(c, &c->rs->body, t, status);
    sbuf_cstr(&c->rs->body, "}");
}

static int check_table_name(srv_call *c, const char *name)
{
    if (!name)
        return srv_invalid(c, "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
    size_t n = strlen(name);
    if (n < 3)
        return srv_invalid(c, "1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3", name);
    if (n > 255)
        return srv_invalid(c, "1 validation error detected: Value '%.40s…' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255", name);
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return srv_invalid(c, "1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name);
    }
    return 0;
}

/* The declared type of attribute `name` in AttributeDefinitions, or 0. */
static char defined_type(json_t *defs, const char *name)
{
    size_t i;
    json_t *d;
    json_array_foreach(defs, i, d) {
        if (strcmp(jstr(d, "AttributeName"), name) == 0) return jstr(d, "AttributeType")[0];
    }
    return 0;
}

int op_create_table(srv_call *c)
{
    int bad = 0, rc = -1;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    json_t *ks = srv_get_arr(c, c->in, "KeySchema", &bad);
    json_t *defs = srv_get_arr(c, c->in, "AttributeDefinitions", &bad);
    const char *billing = srv_get_str(c, c->in, "BillingMode", &bad);
    json_t *pt = srv_get_obj(c, c->in, "ProvisionedThroughput", &bad);
    json_t *tags = srv_get_arr(c, c->in, "Tags", &bad);
    json_t *meta = NULL;
    if (bad || check_table_name(c, name)) return -1;
    if (!ks || json_array_size(ks) == 0)
        return srv_invalid(c, "1 validation error detected: Value null at 'keySchema' failed to satisfy constraint: Member must not be null");
    if (!defs || json_array_size(defs) == 0)
        return srv_invalid(c, "1 validation error detected: Value null at 'attributeDefinitions' failed to satisfy constraint: Member must not be null");
    if (json_object_get(c->in, "GlobalSecondaryIndexes") || json_object_get(c->in, "LocalSecondaryIndexes"))
        return srv_invalid(c, "strata serve does not support secondary indexes (GlobalSecondaryIndexes, LocalSecondaryIndexes)");
    if (json_array_size(ks) > 2)
        return srv_invalid(c, "1 validation error detected: Value '[…]' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2");
    const char *pk = NULL, *sk = NULL;
    size_t i;
    json_t *k;
    json_array_foreach(ks, i, k) {
        const char *an = jstr(k, "AttributeName"), *kt = jstr(k, "KeyType");
        if (!*an || strlen(an) > 255)
            return srv_invalid(c, "1 validation error detected: Value '%s' at 'keySchema.%zu.member.attributeName' failed to satisfy constraint: Member must have length between 1 and 255", an, i + 1);
        if (strcmp(kt, "HASH") == 0 && i == 0) pk = an;
        else if (strcmp(kt, "RANGE") == 0 && i == 1) sk = an;
        else if (strcmp(kt, "HASH") != 0 && strcmp(kt, "RANGE") != 0)
            return srv_invalid(c, "1 validation error detected: Value '%s' at 'keySchema.%zu.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]", kt, i + 1);
        else if (i == 0)
            return srv_invalid(c, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
        else
            return srv_invalid(c, "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
    }
    if (sk && strcmp(pk, sk) == 0)
        return srv_invalid(c, "Invalid KeySchema: Some index key attribute have no definition");
    json_t *d;
    json_array_foreach(defs, i, d) {
        const char *at = jstr(d, "AttributeType");
        if (strcmp(at, "S") && strcmp(at, "N") && strcmp(at, "B"))
            return srv_invalid(c, "1 validation error detected: Value '%s' at 'attributeDefinitions.%zu.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", at, i + 1);
    }
    char pkt = defined_type(defs, pk), skt = sk ? defined_type(defs, sk) : 0;
    if (!pkt || (sk && !skt))
        return srv_invalid(c, "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s%s%s], AttributeDefinitions: [...]",
                           pk, sk ? ", " : "", sk ? sk : "");
    if (json_array_size(defs) != (sk ? 2u : 1u))
        return srv_invalid(c, "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions");
    long long rcu = 0, wcu = 0;
    if (billing && strcmp(billing, "PAY_PER_REQUEST") == 0) {
        if (pt)
            return srv_invalid(c, "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST");
    } else if (!billing || strcmp(billing, "PROVISIONED") == 0) {
        if (!pt)
            return srv_invalid(c, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
        if (srv_get_int(c, pt, "ReadCapacityUnits", &rcu) != 1 || srv_get_int(c, pt, "WriteCapacityUnits", &wcu) != 1) {
            if (c->rs->status != 200) return -1;
            return srv_invalid(c, "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED");
        }
        if (rcu < 1 || wcu < 1)
            return srv_invalid(c, "1 validation error detected: Value '%lld' at 'provisionedThroughput.%s' failed to satisfy constraint: Member must have value greater than or equal to 1",
                               rcu < 1 ? rcu : wcu, rcu < 1 ? "readCapacityUnits" : "writeCapacityUnits");
        billing = "PROVISIONED";
    } else {
        return srv_invalid(c, "1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", billing);
    }

    pthread_mutex_lock(&c->s->mu);
    int lrc;
    json_t *old = meta_load(c, name, &lrc);
    if (old) {
        json_decref(old);
        srv_fail(c, 400, "ResourceInUseException", "Table already exists: %s", name);
        goto done;
    }
    if (lrc != STRATA_ENOTFOUND) {
        srv_lib_fail(c, lrc, "table metadata");
        goto done;
    }
    /* the entry: the name itself, or name#N when earlier incarnations left their entries */
    char entry[300];
    snprintf(entry, sizeof entry, "%s", name);
    for (int n = 2; strata_entry_exists(c->s->db, c->tenant, entry, NULL) == 1; n++)
        snprintf(entry, sizeof entry, "%s#%d", name, n);
    strata_table_schema schema = STRATA_TABLE_SCHEMA_INIT;
    schema.pk = pk;
    schema.sk = sk;
    int lib = strata_table_create(NULL, c->s->db, c->tenant, entry, &schema, &c->wo);
    if (lib < 0) {
        srv_lib_fail(c, lib, "table");
        goto done;
    }
    double created = now_seconds();
    char id[64];
    snprintf(id, sizeof id, "%08llx-0000-4000-8000-%012llx", (unsigned long long)(created) & 0xffffffffULL,
             (unsigned long long)(created * 1e6) & 0xffffffffffffULL);
    meta = json_pack("{s:s, s:s, s:s, s:f, s:s, s:I, s:I, s:s, s:{}}", "entry", entry, "pk", pk,
                     "pkt", (char[]){pkt, 0}, "created", created, "billing", billing, "rcu",
                     (json_int_t)rcu, "wcu", (json_int_t)wcu, "id", id, "tags");
    if (!meta) {
        srv_fail(c, 500, "InternalServerError", "out of memory");
        goto done;
    }
    if (sk) {
        json_object_set_new(meta, "sk", json_string(sk));
        json_object_set_new(meta, "skt", json_string((char[]){skt, 0}));
    }
    json_array_foreach(tags, i, d) {
        json_object_set(json_object_get(meta, "tags"), jstr(d, "Key"), json_object_get(d, "Value"));
    }
    if (meta_save(c, name, meta)) goto done;
    srv_table t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "%s", name);
    snprintf(t.entry, sizeof t.entry, "%s", entry);
    snprintf(t.pk, sizeof t.pk, "%s", pk);
    snprintf(t.sk, sizeof t.sk, "%s", sk ? sk : "");
    t.pkt = pkt;
    t.skt = skt;
    t.meta = meta;
    reply_description(c, "TableDescription", &t, "ACTIVE");
    rc = 0;
done:
    pthread_mutex_unlock(&c->s->mu);
    json_decref(meta);
    return rc;
}

/* ---- DeleteTable, DescribeTable, UpdateTable, ListTables -------------------------------- */

/* Delete every item of the table's entry in one commit (history keeps them). */
static int empty_table(srv_call *c, const srv_table *t)
{
    strata_iter *it = NULL;
    strata_txn *txn = NULL;
    int rc = strata_table_scan(&it, c->s->db, c->tenant, t->entry, NULL, NULL);
    if (rc < 0) return rc;
    strata_write_options wo = c->wo;
    wo.message = "DeleteTable";
    rc = strata_txn_begin(&txn, c->s->db, c->tenant, &wo);
    while (rc >= 0 && (rc = strata_iter_next(it)) == 0) {
        strata_value *key = srv_table_key_of(t, strata_iter_value(it));
        rc = key ? strata_txn_delete_item(txn, t->entry, key) : STRATA_ENOMEM;
        strata_value_free(key);
    }
    strata_iter_free(it);
    if (rc == STRATA_ITEROVER) {
        rc = strata_txn_commit(NULL, txn);
        txn = NULL;
    }
    if (txn) strata_txn_abort(txn);
    return rc < 0 ? rc : 0;
}

int op_delete_table(srv_call *c)
{
    int bad = 0, rc = -1;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    if (bad) return -1;
    srv_table t;
    pthread_mutex_lock(&c->s->mu);
    if (srv_table_open(c, &t, name)) goto done;
    int lib = strata_records_delete(NULL, c->s->db, c->tenant, META_ENTRY, name, &c->wo);
    if (lib >= 0) lib = empty_table(c, &t);
    if (lib < 0) {
        srv_lib_fail(c, lib, "table");
        goto done;
    }
    reply_description(c, "TableDescription", &t, "DELETING");
    rc = 0;
done:
    pthread_mutex_unlock(&c->s->mu);
    srv_table_close(&t);
    return rc;
}

int op_describe_table(srv_call *c)
{
    int bad = 0;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    srv_table t;
    if (bad || srv_table_open(c, &t, name)) return -1;
    reply_description(c, "Table", &t, "ACTIVE");
    srv_table_close(&t);
    return 0;
}

int op_update_table(srv_call *c)
{
    int bad = 0, rc = -1;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    const char *billing = srv_get_str(c, c->in, "BillingMode", &bad);
    json_t *pt = srv_get_obj(c, c->in, "ProvisionedThroughput", &bad);
    if (bad) return -1;
    if (json_object_get(c->in, "GlobalSecondaryIndexUpdates") || json_object_get(c->in, "ReplicaUpdates"))
        return srv_invalid(c, "strata serve does not support secondary indexes or replicas");
    static const char *const others[] = {"StreamSpecification", "SSESpecification", "DeletionProtectionEnabled",
                                          "TableClass", "OnDemandThroughput", "WarmThroughput", "AttributeDefinitions"};
    int any = billing || pt;
    for (size_t i = 0; !any && i < sizeof others / sizeof *others; i++) any = json_object_get(c->in, others[i]) != NULL;
    if (!any)
        return srv_invalid(c, "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required");
    srv_table t;
    pthread_mutex_lock(&c->s->mu);
    if (srv_table_open(c, &t, name)) goto done;
    if (billing) {
        if (strcmp(billing, "PAY_PER_REQUEST") && strcmp(billing, "PROVISIONED")) {
            srv_invalid(c, "1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", billing);
            goto done;
        }
        json_object_set_new(t.meta, "billing", json_string(billing));
        if (strcmp(billing, "PAY_PER_REQUEST") == 0) {
            json_object_set_new(t.meta, "rcu", json_integer(0));
            json_object_set_new(t.meta, "wcu", json_integer(0));
        }
    }
    if (pt) {
        long long rcu = 0, wcu = 0;
        if (srv_get_int(c, pt, "ReadCapacityUnits", &rcu) < 0 || srv_get_int(c, pt, "WriteCapacityUnits", &wcu) < 0) goto done;
        json_object_set_new(t.meta, "rcu", json_integer(rcu));
        json_object_set_new(t.meta, "wcu", json_integer(wcu));
    }
    if (meta_save(c, name, t.meta)) goto done;
    reply_description(c, "TableDescription", &t, "ACTIVE");
    rc = 0;
done:
    pthread_mutex_unlock(&c->s->mu);
    srv_table_close(&t);
    return rc;
}

int op_list_tables(srv_call *c)
{
    int bad = 0;
    const char *start = srv_get_str(c, c->in, "ExclusiveStartTableName", &bad);
    long long limit = 100;
    if (bad || srv_get_int(c, c->in, "Limit", &limit) < 0) return -1;
    if (limit < 1 || limit > 100)
        return srv_invalid(c, "1 validation error detected: Value '%lld' at 'limit' failed to satisfy constraint: Member must have value %s", limit,
                           limit < 1 ? "greater than or equal to 1" : "less than or equal to 100");
    strata_iter *it = NULL;
    int rc = strata_records_range(&it, c->s->db, c->tenant, META_ENTRY, start, NULL, NULL);
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{\"TableNames\":[");
    long long n = 0;
    char last[256] = "";
    int more = 0;
    if (rc == STRATA_ENOTFOUND) rc = STRATA_ITEROVER;
    while (rc >= 0 && (rc = strata_iter_next(it)) == 0) {
        strata_slice k = strata_iter_key(it);
        if (start && k.len == strlen(start) && memcmp(k.data, start, k.len) == 0) continue;
        if (n == limit) {
            more = 1;
            break;
        }
        if (n) sbuf_cstr(b, ",");
        sbuf_jstr(b, k.data, k.len);
        snprintf(last, sizeof last, "%.*s", (int)k.len, (const char *)k.data);
        n++;
    }
    strata_iter_free(it);
    if (rc < 0 && rc != STRATA_ITEROVER) return srv_lib_fail(c, rc, "tables");
    sbuf_cstr(b, "]");
    if (more) {
        sbuf_cstr(b, ",\"LastEvaluatedTableName\":");
        sbuf_jstr(b, last, strlen(last));
    }
    sbuf_cstr(b, "}");
    return 0;
}

/* ---- TTL -------------------------------------------------------------------------------- */

int op_update_ttl(srv_call *c)
{
    int bad = 0, rc = -1;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    json_t *spec = srv_get_obj(c, c->in, "TimeToLiveSpecification", &bad);
    if (bad) return -1;
    if (!spec)
        return srv_invalid(c, "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null");
    const char *attr = srv_get_str(c, spec, "AttributeName", &bad);
    int enabled = srv_get_bool(c, spec, "Enabled", -2);
    if (bad || enabled == -1) return -1;
    if (!attr || !*attr || enabled == -2)
        return srv_invalid(c, "1 validation error detected: Value null at 'timeToLiveSpecification.%s' failed to satisfy constraint: Member must not be null",
                           !attr ? "attributeName" : "enabled");
    srv_table t;
    pthread_mutex_lock(&c->s->mu);
    if (srv_table_open(c, &t, name)) goto done;
    int on = json_is_true(json_object_get(t.meta, "ttl_on"));
    if (enabled && on) {
        srv_invalid(c, "TimeToLive is already enabled");
        goto done;
    }
    if (!enabled && !on) {
        srv_invalid(c, "TimeToLive is already disabled");
        goto done;
    }
    if (!enabled && strcmp(jstr(t.meta, "ttl"), attr) != 0) {
        srv_invalid(c, "TimeToLive is active on a different AttributeName: current AttributeName is %s", jstr(t.meta, "ttl"));
        goto done;
    }
    json_object_set_new(t.meta, "ttl", json_string(attr));
    json_object_set_new(t.meta, "ttl_on", json_boolean(enabled));
    if (meta_save(c, name, t.meta)) goto done;
    sbuf_cstr(&c->rs->body, "{\"TimeToLiveSpecification\":{\"AttributeName\":");
    sbuf_jstr(&c->rs->body, attr, strlen(attr));
    sbuf_fmt(&c->rs->body, ",\"Enabled\":%s}}", enabled ? "true" : "false");
    rc = 0;
done:
    pthread_mutex_unlock(&c->s->mu);
    srv_table_close(&t);
    return rc;
}

int op_describe_ttl(srv_call *c)
{
    int bad = 0;
    const char *name = srv_get_str(c, c->in, "TableName", &bad);
    srv_table t;
    if (bad || srv_table_open(c, &t, name)) return -1;
    sbuf *b = &c->rs->body;
    if (json_is_true(json_object_get(t.meta, "ttl_on"))) {
        const char *attr = jstr(t.meta, "ttl");
        sbuf_cstr(b, "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":\"ENABLED\",\"AttributeName\":");
        sbuf_jstr(b, attr, strlen(attr));
        sbuf_cstr(b, "}}");
    } else {
        sbuf_cstr(b, "{\"TimeToLiveDescription\":{\"TimeToLiveStatus\":\"DISABLED\"}}");
    }
    srv_table_close(&t);
    return 0;
}

/* Delete the expired items of one table in one commit made by user "ttl". The commit expects
 * the head the scan read, so an item renewed meanwhile is never deleted (the next sweep sees
 * it again). */
static uint64_t sweep_table(srv *s, const char *tenant, const char *name, json_t *meta)
{
    srv_table t;
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "%s", name);
    snprintf(t.entry, sizeof t.entry, "%s", jstr(meta, "entry"));
    snprintf(t.pk, sizeof t.pk, "%s", jstr(meta, "pk"));
    snprintf(t.sk, sizeof t.sk, "%s", jstr(meta, "sk"));
    strata_oid head;
    if (strata_entry_head(&head, s->db, tenant, t.entry, NULL) < 0) return 0;
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &head;
    char values_json[64];
    snprintf(values_json, sizeof values_json, "{\":now\":{\"N\":\"%lld\"}}", (long long)now_seconds());
    strata_value *names = NULL, *values = NULL;
    json_t *nj = json_pack("{s:s}", "#t", jstr(meta, "ttl"));
    char *ntext = nj ? json_dumps(nj, JSON_COMPACT) : NULL;
    json_decref(nj);
    uint64_t n = 0;
    strata_iter *it = NULL;
    strata_txn *txn = NULL;
    if (!ntext || strata_value_from_json(&names, ntext, strlen(ntext), 0) < 0 ||
        strata_value_from_json(&values, values_json, strlen(values_json),
                               STRATA_JSON_DYNAMODB | STRATA_JSON_ITEM) < 0)
        goto done;
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    q.filter = "#t < :now";
    q.names = names;
    q.values = values;
    if (strata_table_scan(&it, s->db, tenant, t.entry, &q, &ro) < 0) goto done;
    strata_write_options wo = STRATA_WRITE_OPTIONS_INIT;
    wo.user = "ttl";
    wo.message = "TTL expiry";
    wo.origin = "strata-server";
    if (strata_txn_begin(&txn, s->db, tenant, &wo) < 0) goto done;
    while (strata_iter_next(it) == 0) {
        strata_value *key = srv_table_key_of(&t, strata_iter_value(it));
        if (!key || strata_txn_delete_item(txn, t.entry, key) < 0) {
            strata_value_free(key);
            n = 0;
            goto done;
        }
        strata_value_free(key);
        n++;
    }
    if (n == 0) goto done;
    if (strata_txn_expect_head(txn, t.entry, &head) < 0 || strata_txn_commit(NULL, txn) < 0) n = 0;
    txn = NULL;
done:
    if (txn) strata_txn_abort(txn);
    strata_iter_free(it);
    free(ntext);
    strata_value_free(names);
    strata_value_free(values);
    strata_error_clear();
    return n;
}

uint64_t srv_sweep_ttl(srv *s)
{
    uint64_t total = 0;
    strata_iter *tenants = NULL;
    if (strata_tenant_list(&tenants, s->db) < 0) return 0;
    while (strata_iter_next(tenants) == 0) {
        strata_slice tk = strata_iter_key(tenants);
        char tenant[256];
        snprintf(tenant, sizeof tenant, "%.*s", (int)tk.len, (const char *)tk.data);
        strata_iter *tables = NULL;
        if (strata_records_list(&tables, s->db, tenant, META_ENTRY, NULL) < 0) continue;
        while (strata_iter_next(tables) == 0) {
            char *text = NULL;
            if (strata_value_to_json(&text, NULL, strata_iter_value(tables), 0) < 0) continue;
            json_t *meta = json_loads(text, 0, NULL);
            strata_free(text);
            if (meta && json_is_true(json_object_get(meta, "ttl_on"))) {
                strata_slice k = strata_iter_key(tables);
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)k.len, (const char *)k.data);
                total += sweep_table(s, tenant, name, meta);
            }
            json_decref(meta);
        }
        strata_iter_free(tables);
    }
    strata_iter_free(tenants);
    strata_error_clear();
    return total;
}

/* ---- tags ------------------------------------------------------------------------------- */

/* The table named by an ARN "arn:aws:dynamodb:region:account:table/NAME", with DynamoDB's
 * answers: something that is no ARN at all fails IAM's check (AccessDeniedException), an ARN
 * of something else is an invalid TableArn, a missing table's message names the ARN (but in
 * UntagResource; "ResourcArn" is DynamoDB's spelling). */
static int open_by_arn(srv_call *c, srv_table *t, int *bad)
{
    const char *arn = srv_get_str(c, c->in, "ResourceArn", bad);
    if (*bad) return -1;
    if (!arn) return srv_invalid(c, "Invalid TableArn");
    const char *op = strrchr(c->rq && c->rq->target ? c->rq->target : ".", '.') + 1;
    int colons = 0;
    for (const char *p = arn; *p; p++) colons += *p == ':';
    const char *slash = strrchr(arn, '/');
    if (colons < 5 || !slash || !slash[1])
        return srv_fail(c, 400, "com.amazon.coral.service#AccessDeniedException",
                        "User: arn:aws:iam::000000000000:user/%s is not authorized to perform: dynamodb:%s on resource: %s",
                        c->tenant, op, arn);
    const char *p = strstr(arn, ":table/");
    if (strncmp(arn, "arn:aws:dynamodb:", 17) != 0 || !p || strchr(p + 7, '/'))
        return srv_invalid(c, "Invalid TableArn: Invalid ResourceArn provided as input %s", arn);
    if (srv_table_open(c, t, p + strlen(":table/")) == 0) return 0;
    if (strcmp(op, "UntagResource") != 0 && strstr(c->rs->error_type, "ResourceNotFound"))
        srv_fail(c, 400, "ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn);
    return -1;
}

int op_tag_resource(srv_call *c)
{
    int bad = 0, rc = -1;
    srv_table t;
    memset(&t, 0, sizeof t);
    json_t *tags = srv_get_arr(c, c->in, "Tags", &bad);
    if (bad) return -1;
    pthread_mutex_lock(&c->s->mu);
    if (open_by_arn(c, &t, &bad)) goto done;
    if (!tags) {
        srv_invalid(c, "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
        goto done;
    }
    if (json_array_size(tags) == 0) {
        srv_invalid(c, "Atleast one Tag needs to be provided as Input.");
        goto done;
    }
    json_t *have = json_object_get(t.meta, "tags");
    if (!json_is_object(have)) {
        json_object_set_new(t.meta, "tags", json_object());
        have = json_object_get(t.meta, "tags");
    }
    size_t i;
    json_t *d;
    json_array_foreach(tags, i, d) {
        const char *k = jstr(d, "Key");
        if (!*k) {
            srv_invalid(c, "1 validation error detected: Value null at 'tags.%zu.member.key' failed to satisfy constraint: Member must not be null", i + 1);
            goto done;
        }
        json_object_set_new(have, k, json_string(jstr(d, "Value")));
    }
    if (meta_save(c, t.name, t.meta)) goto done;
    rc = 0;
done:
    pthread_mutex_unlock(&c->s->mu);
    srv_table_close(&t);
    return rc;
}

int op_untag_resource(srv_call *c)
{
    int bad = 0, rc = -1;
    srv_table t;
    memset(&t, 0, sizeof t);
    json_t *keys = srv_get_arr(c, c->in, "TagKeys", &bad);
    if (bad) return -1;
    pthread_mutex_lock(&c->s->mu);
    if (open_by_arn(c, &t, &bad)) goto done;
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
        if (json_is_string(k)) json_object_del(json_object_get(t.meta, "tags"), json_string_value(k));
    }
    if (meta_save(c, t.name, t.meta)) goto done;
    rc = 0;
done:
    pthread_mutex_unlock(&c->s->mu);
    srv_table_close(&t);
    return rc;
}

int op_list_tags(srv_call *c)
{
    int bad = 0;
    srv_table t;
    memset(&t, 0, sizeof t);
    if (open_by_arn(c, &t, &bad)) return -1;
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{\"Tags\":[");
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(json_object_get(t.meta, "tags"), k, v) {
        sbuf_cstr(b, first ? "{\"Key\":" : ",{\"Key\":");
        sbuf_jstr(b, k, strlen(k));
        sbuf_cstr(b, ",\"Value\":");
        const char *s = json_string_value(v) ? json_string_value(v) : "";
        sbuf_jstr(b, s, strlen(s));
        sbuf_cstr(b, "}");
        first = 0;
    }
    sbuf_cstr(b, "]}");
    srv_table_close(&t);
    return 0;
}

int op_describe_endpoints(srv_call *c)
{
    sbuf_cstr(&c->rs->body, "{\"Endpoints\":[{\"Address\":\"localhost\",\"CachePeriodInMinutes\":1440}]}");
    return 0;
}

int op_describe_limits(srv_call *c)
{
    sbuf_cstr(&c->rs->body, "{\"AccountMaxReadCapacityUnits\":80000,\"AccountMaxWriteCapacityUnits\":80000,"
                            "\"TableMaxReadCapacityUnits\":40000,\"TableMaxWriteCapacityUnits\":40000}");
    return 0;
}
