/* Tables: key schemas (create, describe), item writes (put/delete/update with conditions and
 * return values, alone or batched in transactions), get_item with projection and TTL sweeps.
 * Query and scan are query.c's; the item writes are applied at commit time by item.c.
 * docs/tables.md describes the semantics. Calls txn.c, item.c, view.c and kv.c. */
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "expr/expr.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- schema ------------------------------------------------------------------------------ */

static int table_head(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                      strata_db_head *c)
{
    return strata_db__keyed_head(db, tenant, entry, ro, STRATA_ENTRY_TABLE, c);
}

static int check_attr_name(const char *name, const char *what)
{
    if (!name) return strata_err__set(STRATA_EINVALID, "%s is NULL", what);
    return strata_doc__check_name(name, strlen(name), what);
}

int strata_table_create(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                        const strata_table_schema *schema, const strata_write_options *wo)
{
    if (!db || !schema) return strata_err__set(STRATA_EINVALID, "strata_table_create: NULL argument");
    if (schema->version != STRATA_TABLE_SCHEMA_VERSION)
        return strata_err__set(STRATA_EINVALID, "unknown table schema version %u", schema->version);
    int rc;
    if ((rc = check_attr_name(schema->pk, "partition key attribute")) ||
        (schema->sk && (rc = check_attr_name(schema->sk, "sort key attribute"))) ||
        (schema->ttl && (rc = check_attr_name(schema->ttl, "TTL attribute"))))
        return rc;
    if (schema->sk && strcmp(schema->sk, schema->pk) == 0)
        return strata_err__set(STRATA_EINVALID, "the sort key attribute must differ from the partition key");
    if ((rc = strata_db__check_name(entry, "entry name"))) return rc;
    strata_write_options w;
    if ((rc = strata_db__write_options(&w, wo))) return rc;
    w.expect_head = NULL;
    strata_txn *t;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) return rc;
    rc = strata_db__txn_create_table(t, entry, schema->pk, schema->sk, schema->ttl);
    if (rc == 0) {
        rc = strata_db__txn_commit(t, NULL);
        if (rc >= 0 && out) *out = *strata_db__txn_result(t, 0);
    }
    strata_txn_abort(t);
    return rc;
}

int strata_table_describe(strata_value **out, strata_db *db, const char *tenant, const char *entry,
                          const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_table_describe: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head c;
    int rc = table_head(db, tenant, entry, ro, &c);
    if (rc) return rc;
    uint64_t n = 0;
    strata_doc_builder *b = NULL;
    strata_slice res;
    strata_num num;
    if ((rc = strata_db__tree_count(db, &c.data, &n))) goto done;
    strata_num__from_i64(&num, (int64_t)n);
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__b_begin(b, STRATA_DOC_MAP)) ||
        (rc = strata_doc__b_key(b, "count", 5)) || (rc = strata_doc__b_number(b, &num)) ||
        (rc = strata_doc__b_key(b, "pk", 2)) || (rc = strata_doc__b_string(b, c.pk, strlen(c.pk))))
        goto done;
    if (*c.sk && ((rc = strata_doc__b_key(b, "sk", 2)) || (rc = strata_doc__b_string(b, c.sk, strlen(c.sk))))) goto done;
    if (*c.ttl && ((rc = strata_doc__b_key(b, "ttl", 3)) || (rc = strata_doc__b_string(b, c.ttl, strlen(c.ttl))))) goto done;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &res))) goto done;
    rc = strata_doc__value_new(out, res.data, res.len);
done:
    strata_doc__builder_free(b);
    return rc;
}

/* ---- item writes ------------------------------------------------------------------------- */

static int check_io(const strata_item_options *io)
{
    if (!io) return 0;
    if (io->version != STRATA_ITEM_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "unknown item options version %u", io->version);
    if (io->return_values < STRATA_RETURN_NONE || io->return_values > STRATA_RETURN_ALL_NEW)
        return strata_err__set(STRATA_EINVALID, "unknown return_values %d", io->return_values);
    return 0;
}

/* Add item write `it` to table `entry` (schema of head c) in the transaction. */
static int add_item(strata_txn *t, const char *entry, const strata_db_head *c, const strata_db_item *it)
{
    return strata_db__txn_item(t, entry, STRATA_ENTRY_TABLE, c->pk, c->sk, c->ttl, it, NULL);
}

/* One item write as a one-op transaction. */
static int item_write(strata_value **out, strata_db *db, const char *tenant, const char *entry, int kind,
                      const strata_value *arg, const char *update, const strata_item_options *io,
                      const strata_write_options *wo)
{
    if (out) *out = NULL;
    if (!db || !arg) return strata_err__set(STRATA_EINVALID, "%s: NULL argument",
                                            kind == STRATA_DB_ITEM_PUT ? "strata_table_put_item" :
                                            kind == STRATA_DB_ITEM_DELETE ? "strata_table_delete_item" : "strata_table_update_item");
    if (kind == STRATA_DB_ITEM_UPDATE && !update) return strata_err__set(STRATA_EINVALID, "strata_table_update_item: update expression is NULL");
    int rc = check_io(io);
    if (rc) return rc;
    strata_db_head c;
    if ((rc = table_head(db, tenant, entry, NULL, &c))) return rc;
    strata_db_exprs r;
    memset(&r, 0, sizeof r);
    strata_buf key = {0};
    strata_txn *t = NULL;
    strata_write_options w;
    if ((rc = strata_db__write_options(&w, wo))) goto done;
    const strata_oid *expect = w.expect_head;
    w.expect_head = NULL;
    if ((rc = strata_db__exprs_parse(&r, io ? io->names : NULL, io ? io->values : NULL, io ? io->condition : NULL,
                                     update, NULL, NULL, NULL)))
        goto done;
    if (r.upd && (strata_expr__update_touches(r.upd, c.pk, strlen(c.pk)) ||
                  (*c.sk && strata_expr__update_touches(r.upd, c.sk, strlen(c.sk))))) {
        rc = strata_err__set(STRATA_EINVALID, "update expression: cannot update key attribute '%s'",
                             strata_expr__update_touches(r.upd, c.pk, strlen(c.pk)) ? c.pk : c.sk);
        goto done;
    }
    strata_slice a = strata_doc__value_slice(arg);
    if ((rc = strata_db__item_key(&key, a, c.pk, c.sk, kind != STRATA_DB_ITEM_PUT))) goto done;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) goto done;
    if (expect && (rc = strata_txn_expect_head(t, entry, expect))) goto done;
    strata_db_item it = {kind, key.data, key.len, a.data, a.len, r.cond, r.upd, io ? io->return_values : 0, 0};
    r.cond = r.upd = NULL; /* owned by the transaction now */
    if ((rc = add_item(t, entry, &c, &it))) goto done;
    rc = strata_db__txn_commit(t, NULL);
    if (rc >= 0 && out) *out = strata_db__txn_take_item_result(t, 0);
done:
    strata_txn_abort(t);
    strata_db__exprs_free(&r);
    strata_buf__free(&key);
    return rc;
}

int strata_table_put_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *item,
                          const strata_item_options *io, const strata_write_options *wo)
{
    return item_write(out, db, tenant, entry, STRATA_DB_ITEM_PUT, item, NULL, io, wo);
}

int strata_table_delete_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *key,
                             const strata_item_options *io, const strata_write_options *wo)
{
    return item_write(out, db, tenant, entry, STRATA_DB_ITEM_DELETE, key, NULL, io, wo);
}

int strata_table_update_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *key,
                             const char *update, const strata_item_options *io, const strata_write_options *wo)
{
    return item_write(out, db, tenant, entry, STRATA_DB_ITEM_UPDATE, key, update, io, wo);
}

/* Batch writes inside a transaction: the schema is read from the table's current head. */
static int txn_item(strata_txn *t, const char *entry, const strata_value *arg, int kind)
{
    if (!t) return strata_err__set(STRATA_EINVALID, "transaction is NULL");
    int rc = strata_db__txn_usable(t);
    if (rc) return rc;
    if (!arg)
        return strata_db__txn_poison(t, strata_err__set(STRATA_EINVALID, "%s: NULL argument",
                                                       kind == STRATA_DB_ITEM_PUT ? "strata_txn_put_item" : "strata_txn_delete_item"));
    strata_db_head c;
    if ((rc = table_head(strata_db__txn_db(t), strata_db__txn_tenant(t), entry, NULL, &c))) return strata_db__txn_poison(t, rc);
    strata_buf key = {0};
    strata_slice a = strata_doc__value_slice(arg);
    if ((rc = strata_db__item_key(&key, a, c.pk, c.sk, kind != STRATA_DB_ITEM_PUT)) == 0) {
        strata_db_item it = {kind, key.data, key.len, a.data, a.len, NULL, NULL, 0, 0};
        rc = add_item(t, entry, &c, &it);
    } else {
        rc = strata_db__txn_poison(t, rc);
    }
    strata_buf__free(&key);
    return rc;
}

int strata_txn_put_item(strata_txn *txn, const char *entry, const strata_value *item)
{
    return txn_item(txn, entry, item, STRATA_DB_ITEM_PUT);
}

int strata_txn_delete_item(strata_txn *txn, const char *entry, const strata_value *key)
{
    return txn_item(txn, entry, key, STRATA_DB_ITEM_DELETE);
}

/* ---- reads ------------------------------------------------------------------------------- */

static int64_t now_s(void) { return strata_db__now_us() / 1000000; }

int strata_table_get_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *key,
                          const char *projection, const strata_value *names, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_table_get_item: out is NULL");
    *out = NULL;
    if (!db || !key) return strata_err__set(STRATA_EINVALID, "strata_table_get_item: NULL argument");
    strata_db_head c;
    int rc = table_head(db, tenant, entry, ro, &c);
    if (rc) return rc;
    strata_db_exprs r;
    memset(&r, 0, sizeof r);
    strata_buf k = {0}, v = {0}, p = {0};
    if ((rc = strata_db__exprs_parse(&r, names, NULL, NULL, NULL, NULL, projection, NULL))) goto done;
    if ((rc = strata_db__item_key(&k, strata_doc__value_slice(key), c.pk, c.sk, 1))) goto done;
    rc = strata_db__tree_get(db, &c.data, k.data, k.len, &v);
    strata_slice item = {v.data, v.len};
    if (rc == 0 && strata_db__item_expired(item, c.ttl, now_s())) rc = STRATA_ENOTFOUND;
    if (rc == STRATA_ENOTFOUND) {
        rc = strata_err__set(STRATA_ENOTFOUND, "no such item in table '%s'", entry);
        goto done;
    }
    if (rc) goto done;
    if (r.proj) {
        if ((rc = strata_expr__project(&p, r.proj, item))) goto done;
        rc = strata_doc__value_new(out, p.data, p.len);
    } else {
        rc = strata_doc__value_new(out, v.data, v.len);
    }
done:
    strata_db__exprs_free(&r);
    strata_buf__free(&k);
    strata_buf__free(&v);
    strata_buf__free(&p);
    return rc;
}

/* ---- TTL --------------------------------------------------------------------------------- */

int strata_table_sweep_ttl(uint64_t *removed, strata_db *db, const char *tenant, const char *entry, int64_t when)
{
    if (removed) *removed = 0;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head c;
    int rc = table_head(db, tenant, entry, NULL, &c);
    if (rc) return rc;
    if (!*c.ttl) {
        return strata_err__set(STRATA_EINVALID, "table '%s' has no TTL attribute", entry);
    }
    if (when == 0) when = now_s();
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    w.user = "ttl";
    w.message = "expired items";
    strata_txn *t = NULL;
    strata_db_cursor *cur = NULL;
    uint64_t n = 0;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) goto done;
    if ((rc = strata_db__cursor_open(&cur, db, &c.data)) || (rc = strata_db__cursor_seek(cur, NULL, 0))) goto done;
    strata_slice k, item;
    while ((rc = strata_db__cursor_next(cur, &k, &item)) == 0) {
        if (!strata_db__item_expired(item, c.ttl, when)) continue;
        /* delete only if still expired at commit time: a condition on the TTL attribute */
        strata_db_item it = {STRATA_DB_ITEM_DELETE, k.data, k.len, item.data, 0, NULL, NULL, 0, when};
        if ((rc = add_item(t, entry, &c, &it))) goto done;
        n++;
    }
    if (rc != STRATA_ITEROVER) goto done;
    rc = n ? strata_db__txn_commit(t, NULL) : STRATA_UNCHANGED;
    /* STRATA_UNCHANGED: every candidate was renewed (or not yet expired at commit time) */
    if (rc == 0 && removed) *removed = strata_db__txn_items_deleted(t); /* renewed ones are kept */
done:
    strata_db__cursor_free(cur);
    strata_txn_abort(t);
    return rc;
}

#define OPTIONS_INIT_FN(fn, type, VERSION, INIT)                                                    \
    int fn(type *opt, unsigned int version)                                                         \
    {                                                                                               \
        if (!opt) return strata_err__set(STRATA_EINVALID, #fn ": NULL argument");                   \
        if (version != VERSION) return strata_err__set(STRATA_EINVALID, #fn ": unknown version %u", version); \
        type d = INIT;                                                                              \
        *opt = d;                                                                                   \
        return 0;                                                                                   \
    }

OPTIONS_INIT_FN(strata_table_schema_init, strata_table_schema, STRATA_TABLE_SCHEMA_VERSION, STRATA_TABLE_SCHEMA_INIT)
OPTIONS_INIT_FN(strata_item_options_init, strata_item_options, STRATA_ITEM_OPTIONS_VERSION, STRATA_ITEM_OPTIONS_INIT)
OPTIONS_INIT_FN(strata_query_options_init, strata_query_options, STRATA_QUERY_OPTIONS_VERSION, STRATA_QUERY_OPTIONS_INIT)
