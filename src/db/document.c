/* Document entries: one value, replaced whole — save (alone or in a transaction) and load.
 * Calls txn.c, view.c and cache.c. */
#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"

int strata_txn_save(strata_txn *t, const char *entry, const strata_value *value)
{
    int rc = strata_db__txn_usable(t);
    if (rc) return rc;
    if (!value) return strata_db__txn_poison(t, strata_err__set(STRATA_EINVALID, "strata_txn_save: value is NULL"));
    return strata_db__txn_save(t, entry, strata_doc__value_slice(value), NULL, 0);
}

static int fill_save(strata_txn *t, const char *entry, void *arg) { return strata_txn_save(t, entry, arg); }

int strata_document_save(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                         const strata_value *value, const strata_write_options *wo)
{
    if (!value) return strata_err__set(STRATA_EINVALID, "strata_document_save: value is NULL");
    return strata_db__txn_one(out, db, tenant, entry, wo, fill_save, (void *)value);
}

int strata_document_load(strata_value **out, strata_db *db, const char *tenant, const char *entry,
                         const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_document_load: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    if (rc) return rc;
    if (h.kind != STRATA_ENTRY_DOCUMENT) return strata_db__wrong_kind(entry, h.kind, STRATA_ENTRY_DOCUMENT);
    return strata_db__load_value(db, &h.data, out);
}
