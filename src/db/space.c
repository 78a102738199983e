/* Space statistics: strata_db_stats (the store's figures with the live share the last GC run
 * measured, plus what was written since) and strata_tenant_usage (what the last run found
 * reachable from each tenant). gc.c publishes a finished run's figures here. */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "util/error.h"
#include "util/mem.h"

static int usage_cmp(const void *a, const void *b)
{
    return strcmp(((const strata_db_gc_usage *)a)->tenant, ((const strata_db_gc_usage *)b)->tenant);
}

void strata_db__space_record(strata_db *db, strata_db_gc_usage *usage, size_t n, uint64_t freed,
                             uint64_t live_bytes, uint64_t file_bytes_after)
{
    if (n) qsort(usage, n, sizeof *usage, usage_cmp);
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    strata_db__space_clear(st);
    st->usage = usage;
    st->nusage = n;
    st->runs++;
    st->last_us = strata_db__now_us();
    st->last_freed = freed;
    st->live_bytes = live_bytes;
    st->file_bytes_after = file_bytes_after;
    pthread_mutex_unlock(&st->mu);
}

void strata_db__space_clear(strata_db_gcstate *st)
{
    for (size_t i = 0; i < st->nusage; i++) strata_mem__free(st->usage[i].tenant);
    strata_mem__free(st->usage);
    st->usage = NULL;
    st->nusage = 0;
}

int strata_db_stats(strata_space_stats *out, strata_db *db)
{
    if (!db || !out) return strata_err__set(STRATA_EINVALID, "strata_db_stats: NULL argument");
    if (out->version != STRATA_SPACE_STATS_VERSION)
        return strata_err__set(STRATA_EINVALID, "strata_db_stats: unknown version %u (set out->version)", out->version);
    strata_store_stats ss;
    int rc = strata_store__stats(db->store, &ss);
    if (rc) return rc;
    strata_db_gcstate *st = db->gc;
    memset(out, 0, sizeof *out);
    out->version = STRATA_SPACE_STATS_VERSION;
    out->file_bytes = ss.file_bytes;
    out->segments = ss.segments;
    out->objects = ss.objects;
    pthread_mutex_lock(&st->mu);
    out->gc_runs = st->runs;
    out->last_gc_us = st->last_us;
    out->last_gc_freed = st->last_freed;
    if (st->runs) {
        uint64_t since = ss.file_bytes > st->file_bytes_after ? ss.file_bytes - st->file_bytes_after : 0;
        out->live_bytes = st->live_bytes + since;
        if (out->live_bytes > ss.file_bytes) out->live_bytes = ss.file_bytes;
    } else {
        out->live_bytes = ss.file_bytes > ss.dead_bytes ? ss.file_bytes - ss.dead_bytes : 0;
    }
    pthread_mutex_unlock(&st->mu);
    out->dead_bytes = ss.file_bytes - out->live_bytes;
    return 0;
}

int strata_tenant_usage(uint64_t *bytes, uint64_t *objects, strata_db *db, const char *tenant)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_tenant_usage: db is NULL");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_db_gcstate *st = db->gc;
    rc = strata_err__set(STRATA_ENOTFOUND, "no usage measured for tenant '%s' (run GC first)", tenant);
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; i < st->nusage; i++)
        if (strcmp(st->usage[i].tenant, tenant) == 0) {
            if (bytes) *bytes = st->usage[i].bytes;
            if (objects) *objects = st->usage[i].objects;
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&st->mu);
    if (rc == 0) strata_error_clear();
    return rc;
}
