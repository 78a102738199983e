/* Keyed records: a table with an implicit key schema — one string key given beside the value,
 * which may be any value. Writes are item writes of a transaction and reads walk the tree
 * through query.c, exactly as for tables; only the key (a name, not attributes inside the
 * value) and the entry kind (STRATA_ENTRY_RECORDS, kept so existing databases read as
 * before) differ. Calls txn.c, item.c, view.c and query.c. */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- writes --------------------------------------------------------------------------------- */

/* Add the write of record `key` (value NULL: its deletion) to the transaction. */
static int record_write(strata_txn *t, const char *entry, const char *key, const strata_value *value)
{
    int rc = strata_db__txn_usable(t);
    if (rc) return rc;
    if ((rc = strata_db__check_name(entry, "entry name"))) return strata_db__txn_poison(t, rc);
    strata_buf k = {0};
    if ((rc = strata_db__record_key(&k, key))) return strata_db__txn_poison(t, rc);
    strata_slice v = value ? strata_doc__value_slice(value) : (strata_slice){"", 0};
    strata_db_item it = {value ? STRATA_DB_ITEM_PUT : STRATA_DB_ITEM_DELETE, k.data, k.len, v.data, v.len,
                         NULL, NULL, 0, 0};
    rc = strata_db__txn_item(t, entry, STRATA_ENTRY_RECORDS, NULL, NULL, NULL, &it, NULL);
    strata_buf__free(&k);
    return rc;
}

int strata_txn_put(strata_txn *t, const char *entry, const char *key, const strata_value *value)
{
    if (t && !value && strata_db__txn_usable(t) == 0)
        return strata_db__txn_poison(t, strata_err__set(STRATA_EINVALID, "strata_txn_put: value is NULL"));
    return record_write(t, entry, key, value);
}

int strata_txn_delete(strata_txn *t, const char *entry, const char *key) { return record_write(t, entry, key, NULL); }

typedef struct many_args {
    const char *const *keys;
    const strata_value *const *values; /* NULL: deletes */
    size_t n;
} many_args;

static int fill_many(strata_txn *t, const char *entry, void *arg)
{
    many_args *a = arg;
    int rc = 0;
    if (a->n && !a->keys) return strata_err__set(STRATA_EINVALID, "keys is NULL");
    for (size_t i = 0; i < a->n && rc == 0; i++)
        rc = a->values ? strata_txn_put(t, entry, a->keys[i], a->values[i]) : strata_txn_delete(t, entry, a->keys[i]);
    return rc;
}

int strata_records_put_many(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                            const char *const *keys, const strata_value *const *values, size_t n,
                            const strata_write_options *wo)
{
    if (n && !values) return strata_err__set(STRATA_EINVALID, "strata_records_put_many: values is NULL");
    many_args a = {keys, values, n};
    return strata_db__txn_one(out, db, tenant, entry, wo, fill_many, &a);
}

int strata_records_put(strata_oid *out, strata_db *db, const char *tenant, const char *entry, const char *key,
                       const strata_value *value, const strata_write_options *wo)
{
    if (!value) return strata_err__set(STRATA_EINVALID, "strata_records_put: value is NULL");
    many_args a = {&key, &value, 1};
    return strata_db__txn_one(out, db, tenant, entry, wo, fill_many, &a);
}

int strata_records_delete_many(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                               const char *const *keys, size_t n, const strata_write_options *wo)
{
    many_args a = {keys, NULL, n};
    return strata_db__txn_one(out, db, tenant, entry, wo, fill_many, &a);
}

int strata_records_delete(strata_oid *out, strata_db *db, const char *tenant, const char *entry, const char *key,
                          const strata_write_options *wo)
{
    many_args a = {&key, NULL, 1};
    return strata_db__txn_one(out, db, tenant, entry, wo, fill_many, &a);
}

/* ---- reads ---------------------------------------------------------------------------------- */

int strata_records_get(strata_value **out, strata_db *db, const char *tenant, const char *entry, const char *key,
                       const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_records_get: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    strata_buf k = {0}, v = {0};
    int rc = strata_db__check_name(key, "record key");
    if (rc) return rc;
    if ((rc = strata_db__keyed_head(db, tenant, entry, ro, STRATA_ENTRY_RECORDS, &h))) goto done;
    if ((rc = strata_db__record_key(&k, key))) goto done;
    rc = strata_db__tree_get(db, &h.data, k.data, k.len, &v);
    if (rc == STRATA_ENOTFOUND) rc = strata_err__set(STRATA_ENOTFOUND, "no record '%s' in entry '%s'", key, entry);
    if (rc == 0) rc = strata_doc__value_new(out, v.data, v.len);
done:
    strata_buf__free(&k);
    strata_buf__free(&v);
    return rc;
}

int strata_records_range(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const char *from,
                         const char *to, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_records_list: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    int rc;
    if ((from && (rc = strata_db__check_name(from, "range start key"))) || (to && (rc = strata_db__check_name(to, "range end key"))))
        return rc;
    strata_db_head h;
    if ((rc = strata_db__keyed_head(db, tenant, entry, ro, STRATA_ENTRY_RECORDS, &h))) return rc;
    return strata_db__records_iter(out, db, &h, from, to);
}

int strata_records_list(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    return strata_records_range(out, db, tenant, entry, NULL, NULL, ro);
}

int strata_records_get_all(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_records_get_all: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    int rc = strata_db__keyed_head(db, tenant, entry, ro, STRATA_ENTRY_RECORDS, &h);
    if (rc) return rc;
    strata_doc_builder *b = NULL;
    strata_iter *it = NULL;
    if ((rc = strata_db__records_iter(&it, db, &h, NULL, NULL))) return rc;
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__b_begin(b, STRATA_DOC_MAP))) goto done;
    while ((rc = strata_iter_next(it)) == 0) {
        strata_slice k = strata_iter_key(it);
        if ((rc = strata_doc__b_key(b, k.data, k.len)) || (rc = strata_doc__b_value(b, strata_doc__value_slice(it->value))))
            goto done;
    }
    if (rc != STRATA_ITEROVER) goto done;
    strata_slice res;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &res))) goto done;
    rc = strata_doc__value_new(out, res.data, res.len);
done:
    strata_iter_free(it);
    strata_doc__builder_free(b);
    return rc;
}
