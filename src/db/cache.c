/* Caches of decoded commit and manifest summaries, keyed by digest. Objects are immutable, so a
 * cached summary never goes stale; the caches only bound memory. Each is direct-mapped (the slot
 * is chosen by the digest's first bytes; a new entry replaces the old) under one mutex, so a hit
 * costs a hash, a lock and a compare — this is what makes a point read skip the two object reads
 * (manifest and commit) that sit above every data tree. */
#include <string.h>

#include "db/db_int.h"
#include "util/error.h"
#include "util/mem.h"

#define CACHE_SLOTS 4096u /* per cache; a power of two */

typedef struct commit_slot {
    strata_oid oid;
    int used;
    strata_db_commit_sum sum; /* strings owned by the slot */
} commit_slot;

typedef struct manifest_slot {
    strata_oid oid;
    int used;
    strata_db_manifest_sum sum;
} manifest_slot;

struct strata_db_cache {
    pthread_mutex_t mu;
    commit_slot *commits;
    manifest_slot *manifests;
};

static size_t slot_of(const strata_oid *o)
{
    uint32_t h;
    memcpy(&h, o->id, sizeof h);
    return h & (CACHE_SLOTS - 1);
}

int strata_db__cache_new(strata_db *db)
{
    struct strata_db_cache *c = strata_mem__calloc(1, sizeof *c);
    if (!c) return STRATA_ENOMEM;
    c->commits = strata_mem__calloc(CACHE_SLOTS, sizeof *c->commits);
    c->manifests = strata_mem__calloc(CACHE_SLOTS, sizeof *c->manifests);
    if (!c->commits || !c->manifests || pthread_mutex_init(&c->mu, NULL) != 0) {
        strata_mem__free(c->commits);
        strata_mem__free(c->manifests);
        strata_mem__free(c);
        return STRATA_ENOMEM;
    }
    db->cache = c;
    return 0;
}

static void commit_sum_clear(strata_db_commit_sum *s)
{
    strata_mem__free(s->strings);
    memset(s, 0, sizeof *s);
}

void strata_db__cache_clear(strata_db *db)
{
    struct strata_db_cache *c = db->cache;
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        commit_sum_clear(&c->commits[i].sum);
        c->commits[i].used = 0;
        strata_mem__free(c->manifests[i].sum.tenant);
        c->manifests[i].sum.tenant = NULL;
        c->manifests[i].used = 0;
    }
    pthread_mutex_unlock(&c->mu);
}

void strata_db__cache_free(strata_db *db)
{
    struct strata_db_cache *c = db->cache;
    if (!c) return;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        commit_sum_clear(&c->commits[i].sum);
        strata_mem__free(c->manifests[i].sum.tenant);
    }
    strata_mem__free(c->commits);
    strata_mem__free(c->manifests);
    pthread_mutex_destroy(&c->mu);
    strata_mem__free(c);
    db->cache = NULL;
}

/* Copy `s` (owned strings) into a slot-owned summary. */
static int sum_from_commit(strata_db_commit_sum *out, const strata_commit_rec *c)
{
    const char *src[5] = {c->tenant, c->entry, c->pk, c->sk, c->ttl};
    size_t len[5], total = 0;
    for (int i = 0; i < 5; i++) total += (len[i] = strlen(src[i] ? src[i] : "")) + 1;
    char *buf = strata_mem__alloc(total);
    if (!buf) return STRATA_ENOMEM;
    memset(out, 0, sizeof *out);
    out->strings = buf;
    char **dst[5] = {&out->tenant, &out->entry, &out->pk, &out->sk, &out->ttl};
    for (int i = 0; i < 5; i++) {
        memcpy(buf, src[i] ? src[i] : "", len[i] + 1);
        *dst[i] = buf;
        buf += len[i] + 1;
    }
    out->kind = c->kind;
    out->data = c->data;
    out->generation = c->generation;
    memcpy(out->incarnation, c->incarnation, STRATA_INCARNATION_SIZE);
    return 0;
}

/* Fill `out` from a cached or freshly loaded summary; `tenant`/`entry` (when not NULL) must
 * match the commit's, else STRATA_ENOTFOUND. The schema strings are copied into out. */
int strata_db__commit_summary(strata_db *db, const strata_oid *oid, const char *tenant, const char *entry,
                              strata_db_head *out)
{
    struct strata_db_cache *c = db->cache;
    size_t i = slot_of(oid);
    int hit = 0, match = 1;
    pthread_mutex_lock(&c->mu);
    commit_slot *s = &c->commits[i];
    if (s->used && strata_oid__cmp(&s->oid, oid) == 0) {
        hit = 1;
        if ((tenant && strcmp(s->sum.tenant, tenant) != 0) || (entry && strcmp(s->sum.entry, entry) != 0)) match = 0;
        else {
            out->commit = *oid;
            memcpy(out->incarnation, s->sum.incarnation, STRATA_INCARNATION_SIZE);
            out->kind = s->sum.kind;
            out->data = s->sum.data;
            out->generation = s->sum.generation;
            strcpy(out->pk, s->sum.pk);
            strcpy(out->sk, s->sum.sk);
            strcpy(out->ttl, s->sum.ttl);
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (hit) {
        if (match) return 0;
        char hex[65];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ENOTFOUND, "no commit %s in the history of entry '%s'", hex, entry ? entry : "");
    }
    strata_commit_rec rec;
    int rc = strata_db__load_commit(db, oid, &rec);
    if (rc) return rc;
    if ((tenant && strcmp(rec.tenant, tenant) != 0) || (entry && strcmp(rec.entry, entry) != 0)) {
        strata_db__commit_clear(&rec);
        char hex[65];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ENOTFOUND, "no commit %s in the history of entry '%s'", hex, entry ? entry : "");
    }
    out->commit = *oid;
    memcpy(out->incarnation, rec.incarnation, STRATA_INCARNATION_SIZE);
    out->kind = rec.kind;
    out->data = rec.data;
    out->generation = rec.generation;
    /* names are at most 255 bytes (checked on write); a longer one in a damaged object is refused */
    if (strlen(rec.pk) > 255 || strlen(rec.sk) > 255 || strlen(rec.ttl) > 255) {
        strata_db__commit_clear(&rec);
        return strata_err__set(STRATA_ECORRUPT, "commit has an over-long key schema");
    }
    strcpy(out->pk, rec.pk);
    strcpy(out->sk, rec.sk);
    strcpy(out->ttl, rec.ttl);
    strata_db_commit_sum sum;
    if (sum_from_commit(&sum, &rec) == 0) {
        pthread_mutex_lock(&c->mu);
        commit_slot *t = &c->commits[i];
        commit_sum_clear(&t->sum);
        t->sum = sum;
        t->oid = *oid;
        t->used = 1;
        pthread_mutex_unlock(&c->mu);
    }
    strata_db__commit_clear(&rec);
    return 0;
}

int strata_db__manifest_summary(strata_db *db, const strata_oid *oid, const char *tenant, strata_db_manifest_sum *out)
{
    struct strata_db_cache *c = db->cache;
    size_t i = slot_of(oid);
    int hit = 0, match = 1;
    pthread_mutex_lock(&c->mu);
    manifest_slot *s = &c->manifests[i];
    if (s->used && strata_oid__cmp(&s->oid, oid) == 0) {
        hit = 1;
        if (strcmp(s->sum.tenant, tenant) != 0) match = 0;
        else {
            *out = s->sum;
            out->tenant = NULL; /* not handed out: the slot owns it */
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (hit) {
        if (match) return 0;
        char hex[65];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ENOTFOUND, "no snapshot %s in tenant '%s'", hex, tenant);
    }
    strata_manifest m;
    int rc = strata_db__load_manifest(db, oid, &m);
    if (rc) return rc;
    if (strcmp(m.tenant, tenant) != 0) {
        strata_db__manifest_clear(&m);
        char hex[65];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ENOTFOUND, "no snapshot %s in tenant '%s'", hex, tenant);
    }
    strata_db_manifest_sum sum;
    memcpy(sum.incarnation, m.incarnation, STRATA_INCARNATION_SIZE);
    sum.flags = m.flags;
    sum.nparents = m.nparents;
    sum.parent = m.parent;
    sum.entries = m.entries;
    sum.generation = m.generation;
    sum.time_us = m.time_us;
    sum.tenant = NULL;
    *out = sum;
    sum.tenant = m.tenant; /* the slot takes the string */
    m.tenant = NULL;
    strata_db__manifest_clear(&m);
    pthread_mutex_lock(&c->mu);
    manifest_slot *t = &c->manifests[i];
    strata_mem__free(t->sum.tenant);
    t->sum = sum;
    t->oid = *oid;
    t->used = 1;
    pthread_mutex_unlock(&c->mu);
    return 0;
}
