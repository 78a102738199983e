/* Snapshot pins: a pinned manifest keeps every entry's head in it (and what they reach) through
 * GC runs, past any retention horizon, until it is unpinned. Pins live in memory, per handle;
 * the mark phase (gc.c) marks from a copy of the table. */
#include <string.h>

#include "db/db_int.h"
#include "util/error.h"
#include "util/mem.h"

int strata_snapshot_pin(strata_db *db, const char *tenant, const strata_oid *snapshot)
{
    if (!db || !snapshot) return strata_err__set(STRATA_EINVALID, "strata_snapshot_pin: NULL argument");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_manifest mf;
    if ((rc = strata_db__load_manifest(db, snapshot, &mf))) return rc;
    int ok = strcmp(mf.tenant, tenant) == 0;
    strata_db__manifest_clear(&mf);
    if (!ok) {
        char hex[65];
        strata_oid_fmt(hex, snapshot);
        return strata_err__set(STRATA_ENOTFOUND, "no snapshot %s in tenant '%s'", hex, tenant);
    }
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->pins.n; i++)
        if (strata_oid__cmp(&st->pins.v[i].moid, snapshot) == 0) {
            st->pins.v[i].count++;
            goto done;
        }
    char *t = strata_mem__strdup(tenant);
    if (!t || (rc = strata_array__push(&st->pins, ((strata_db_gc_pin){*snapshot, t, 1})))) {
        strata_mem__free(t);
        rc = STRATA_ENOMEM;
        goto done;
    }
done:
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int strata_snapshot_unpin(strata_db *db, const strata_oid *snapshot)
{
    if (!db || !snapshot) return strata_err__set(STRATA_EINVALID, "strata_snapshot_unpin: NULL argument");
    strata_db_gcstate *st = db->gc;
    int rc = 0;
    pthread_mutex_lock(&st->mu);
    size_t i = 0;
    for (; i < st->pins.n; i++)
        if (strata_oid__cmp(&st->pins.v[i].moid, snapshot) == 0) break;
    if (i == st->pins.n) {
        rc = strata_err__set(STRATA_ENOTFOUND, "snapshot is not pinned");
    } else if (--st->pins.v[i].count == 0) {
        strata_mem__free(st->pins.v[i].tenant);
        st->pins.v[i] = st->pins.v[--st->pins.n];
    }
    pthread_mutex_unlock(&st->mu);
    return rc;
}

int strata_db__pins_copy(strata_db *db, strata_db_gc_pin **out, size_t *n)
{
    strata_db_gcstate *st = db->gc;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&st->mu);
    size_t np = st->pins.n;
    strata_db_gc_pin *copy = strata_mem__alloc((np ? np : 1) * sizeof *copy);
    size_t k = 0;
    if (copy)
        for (; k < np; k++) {
            copy[k] = st->pins.v[k];
            copy[k].tenant = strata_mem__strdup(st->pins.v[k].tenant);
            if (!copy[k].tenant) break;
        }
    pthread_mutex_unlock(&st->mu);
    if (!copy || k < np) {
        strata_db__pins_free(copy, k);
        return STRATA_ENOMEM;
    }
    *out = copy;
    *n = np;
    return 0;
}

void strata_db__pins_free(strata_db_gc_pin *pins, size_t n)
{
    for (size_t i = 0; i < n; i++) strata_mem__free(pins[i].tenant);
    strata_mem__free(pins);
}
