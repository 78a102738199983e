/* Entries of a tenant, whatever their kind: exists, head, kind, and the list of names at a
 * read point. Calls view.c, iter.c and kv.c. */
#include "db/db_int.h"
#include "util/error.h"
#include "util/mem.h"

int strata_entry_exists(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    if (rc == STRATA_ENOTFOUND) return 0; /* no such entry (or tenant, or commit) */
    if (rc) return rc;
    return 1;
}

int strata_entry_head(strata_oid *out, strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!out || !db) return strata_err__set(STRATA_EINVALID, "strata_entry_head: NULL argument");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    if (rc == 0) *out = h.commit;
    return rc;
}

int strata_entry_kind_of(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    return rc ? rc : h.kind;
}

/* The names of a manifest's entries tree, in order, without the hidden ones. */
static int entries_next(strata_iter *it, void *state)
{
    strata_slice k, v;
    int rc = strata_db__cursor_next(state, &k, &v);
    if (rc) return rc;
    /* skip the hidden retention entry of gc.c (no API name can start with a control byte) */
    if (k.len && ((const uint8_t *)k.data)[0] == 0x01 && (rc = strata_db__cursor_next(state, &k, &v))) return rc;
    return strata_buf__append(&it->key, k.data, k.len);
}

static void entries_free(void *state) { strata_db__cursor_free(state); }

static const strata_db_iter_type entries_type = {entries_next, entries_free};

int strata_entry_list(strata_iter **out, strata_db *db, const char *tenant, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_entry_list: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    if (ro && ro->at) return strata_err__set(STRATA_EINVALID, "strata_entry_list: 'at' names one entry's commit; use snapshot or as_of_us");
    strata_db_view v;
    int rc = strata_db__view_open(&v, db, tenant, ro);
    if (rc) return rc;
    strata_db_cursor *cur = NULL;
    if ((rc = strata_db__cursor_open(&cur, db, &v.m.entries)) || (rc = strata_db__cursor_seek(cur, NULL, 0))) {
        strata_db__cursor_free(cur);
        return rc;
    }
    return strata_db__iter_new(out, &entries_type, cur);
}
