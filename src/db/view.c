/* Read points: names, the tenant's current manifest, a view (the manifest in force for a read
 * point: head, snapshot or time) and the one head resolver, which turns (tenant, entry, read
 * options) into the entry's commit summary. Calls only cache.c, kv.c and commit.c. */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"

int strata_db__check_name(const char *name, const char *what)
{
    if (!name) return strata_err__set(STRATA_EINVALID, "%s is NULL", what);
    return strata_doc__check_name(name, strlen(name), what);
}

static int check_ro(const strata_read_options *ro)
{
    if (!ro) return 0;
    if (ro->version != STRATA_READ_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "unknown read options version %u", ro->version);
    int set = (ro->at != NULL) + (ro->as_of_us != 0) + (ro->snapshot != NULL);
    if (set > 1)
        return strata_err__set(STRATA_EINVALID, "read options: set at most one of at, as_of_us, snapshot");
    return 0;
}

int strata_db__current_manifest(strata_db *db, const char *tenant, strata_oid *moid, strata_manifest *m)
{
    /* pick up what other handles and processes published since the last read (a no-op under
     * the write lock, which refreshed when it was taken; one fstat and one stat otherwise) */
    int rc = strata_store__refresh(db->store);
    if (rc) return rc;
    rc = strata_store__root(db->store, tenant, moid);
    if (rc == STRATA_ENOTFOUND)
        return strata_err__set(STRATA_ENOTFOUND, "tenant '%s' does not exist", tenant);
    if (rc) return rc;
    rc = strata_db__manifest_summary(db, moid, tenant, m);
    if (rc) return rc;
    if (m->flags & STRATA_MANIFEST_DROPPED)
        return strata_err__set(STRATA_ENOTFOUND, "tenant '%s' does not exist (dropped)", tenant);
    return 0;
}

int strata_db__view_open(strata_db_view *v, strata_db *db, const char *tenant, const strata_read_options *ro)
{
    memset(v, 0, sizeof *v);
    int rc = check_ro(ro);
    if (rc) return rc;
    if ((rc = strata_db__check_name(tenant, "tenant name"))) return rc;
    rc = strata_db__current_manifest(db, tenant, &v->moid, &v->m);
    if (rc) return rc;
    if (ro && ro->snapshot) {
        uint8_t life[STRATA_INCARNATION_SIZE];
        memcpy(life, v->m.incarnation, sizeof life);
        v->moid = *ro->snapshot;
        rc = strata_db__manifest_summary(db, &v->moid, tenant, &v->m);
        if (rc) return rc;
        if ((v->m.flags & STRATA_MANIFEST_DROPPED) || memcmp(life, v->m.incarnation, sizeof life) != 0) {
            char hex[65];
            strata_oid_fmt(hex, ro->snapshot);
            return strata_err__set(STRATA_ENOTFOUND, "no snapshot %s in tenant '%s'", hex, tenant);
        }
    } else if (ro && ro->as_of_us) {
        while (v->m.time_us > ro->as_of_us) {
            if (v->m.nparents == 0)
                return strata_err__set(STRATA_ENOTFOUND, "tenant '%s' did not exist at that time", tenant);
            v->moid = v->m.parent;
            if ((rc = strata_db__manifest_summary(db, &v->moid, tenant, &v->m))) return rc;
        }
    }
    return 0;
}

int strata_db__manifest_lookup(strata_db *db, const strata_manifest *m, const char *entry, uint8_t *kind,
                               strata_oid *commit)
{
    strata_buf val = {0};
    int rc = strata_db__tree_get(db, &m->entries, entry, strlen(entry), &val);
    if (rc == 0 && strata_db__mentry_decode(kind, commit, val.data, val.len) != 0)
        rc = strata_err__set(STRATA_ECORRUPT, "manifest entry '%s' is malformed", entry);
    strata_buf__free(&val);
    return rc;
}

int strata_db__head(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                    strata_db_head *out)
{
    int rc = strata_db__check_name(entry, "entry name");
    if (rc) return rc;
    strata_db_view v;
    strata_read_options head = STRATA_READ_OPTIONS_INIT;
    int at = ro && ro->at;
    if ((rc = check_ro(ro))) return rc;
    /* the tenant must exist now, whatever the read point */
    if ((rc = strata_db__view_open(&v, db, tenant, at ? &head : ro))) return rc;
    if (at) {
        if ((rc = strata_db__commit_summary(db, ro->at, tenant, entry, out))) return rc;
        if (memcmp(out->incarnation, v.m.incarnation, STRATA_INCARNATION_SIZE) != 0) {
            /* a commit of an earlier life of this tenant (dropped, then created again) */
            char hex[65];
            strata_oid_fmt(hex, ro->at);
            return strata_err__set(STRATA_ENOTFOUND, "no commit %s in the history of entry '%s'", hex, entry);
        }
        return 0;
    }
    uint8_t kind;
    strata_oid commit;
    rc = strata_db__manifest_lookup(db, &v.m, entry, &kind, &commit);
    if (rc == STRATA_ENOTFOUND)
        return strata_err__set(STRATA_ENOTFOUND, "entry '%s' does not exist in tenant '%s'", entry, tenant);
    if (rc) return rc;
    return strata_db__commit_summary(db, &commit, tenant, entry, out);
}
