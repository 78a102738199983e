/* Loading entry commits and tenant manifests from the store, and the caches of their decoded
 * summaries, keyed by digest. Objects are immutable, so a cached summary never goes stale; the
 * caches only bound memory. Each is direct-mapped (the slot is chosen by the digest's first
 * bytes; a new entry replaces the old) under one mutex, so a hit costs a hash, a lock and a
 * compare — this is what makes a point read skip the two object reads (manifest and commit)
 * that sit above every data tree. This file calls only commit.c (the codecs) and the store. */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

#define CACHE_SLOTS 4096u /* per cache; a power of two */

/* A cached commit: its head summary, and the tenant and entry it belongs to (the isolation
 * check), NUL-separated in `names` (owned by the slot). */
typedef struct commit_slot {
    strata_oid oid;
    int used;
    strata_db_head head;
    char *tenant, *entry; /* into `names` */
    char *names;
} commit_slot;

/* A cached manifest: its decoded form with every string NULL except `tenant` (owned). */
typedef struct manifest_slot {
    strata_oid oid;
    int used;
    strata_manifest m;
} manifest_slot;

struct strata_db_cache {
    pthread_mutex_t mu;
    commit_slot *commits;
    manifest_slot *manifests;
};

/* ---- loading objects ------------------------------------------------------------------------ */

/* Read object `oid` of type `type` and decode it with `decode`; `what` names it in the
 * "no … <hex>" message when it is absent or of another type. */
static int load_object(strata_db *db, const strata_oid *oid, uint8_t want, const char *what,
                       int (*decode)(void *out, const uint8_t *p, size_t len), void *out)
{
    uint8_t type, *data = NULL;
    size_t len;
    int rc = strata_store__get(db->store, oid, &type, &data, &len);
    if (rc == STRATA_ENOTFOUND || (rc == 0 && type != want)) {
        char hex[65];
        strata_oid_fmt(hex, oid);
        rc = strata_err__set(STRATA_ENOTFOUND, "no %s %s", what, hex);
    } else if (rc == 0) {
        rc = decode(out, data, len);
    }
    strata_mem__free(data);
    return rc;
}

static int decode_commit(void *out, const uint8_t *p, size_t len) { return strata_db__commit_decode(out, p, len); }
static int decode_manifest(void *out, const uint8_t *p, size_t len) { return strata_db__manifest_decode(out, p, len); }

int strata_db__load_commit(strata_db *db, const strata_oid *oid, strata_commit_rec *out)
{
    return load_object(db, oid, STRATA_OBJ_COMMIT, "commit", decode_commit, out);
}

int strata_db__load_manifest(strata_db *db, const strata_oid *oid, strata_manifest *out)
{
    return load_object(db, oid, STRATA_OBJ_MANIFEST, "snapshot", decode_manifest, out);
}

/* ---- the caches ----------------------------------------------------------------------------- */

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

static void slots_clear(struct strata_db_cache *c)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        strata_mem__free(c->commits[i].names);
        c->commits[i].names = NULL;
        c->commits[i].used = 0;
        strata_db__manifest_clear(&c->manifests[i].m);
        c->manifests[i].used = 0;
    }
}

void strata_db__cache_clear(strata_db *db)
{
    struct strata_db_cache *c = db->cache;
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    slots_clear(c);
    pthread_mutex_unlock(&c->mu);
}

void strata_db__cache_free(strata_db *db)
{
    struct strata_db_cache *c = db->cache;
    if (!c) return;
    slots_clear(c);
    strata_mem__free(c->commits);
    strata_mem__free(c->manifests);
    pthread_mutex_destroy(&c->mu);
    strata_mem__free(c);
    db->cache = NULL;
}

static int not_in_entry(const strata_oid *oid, const char *entry)
{
    char hex[65];
    strata_oid_fmt(hex, oid);
    return strata_err__set(STRATA_ENOTFOUND, "no commit %s in the history of entry '%s'", hex, entry ? entry : "");
}

/* The head summary of commit record `rec` (digest `oid`). STRATA_ECORRUPT when a schema name
 * is longer than names may be (255 bytes, checked on write), as only a damaged object has. */
static int head_of(strata_db_head *out, const strata_oid *oid, const strata_commit_rec *rec)
{
    if (strlen(rec->pk) >= sizeof out->pk || strlen(rec->sk) >= sizeof out->sk || strlen(rec->ttl) >= sizeof out->ttl)
        return strata_err__set(STRATA_ECORRUPT, "commit has an over-long key schema");
    out->commit = *oid;
    memcpy(out->incarnation, rec->incarnation, STRATA_INCARNATION_SIZE);
    out->kind = rec->kind;
    out->data = rec->data;
    out->generation = rec->generation;
    strcpy(out->pk, rec->pk);
    strcpy(out->sk, rec->sk);
    strcpy(out->ttl, rec->ttl);
    return 0;
}

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
        if ((tenant && strcmp(s->tenant, tenant) != 0) || (entry && strcmp(s->entry, entry) != 0)) match = 0;
        else *out = s->head;
    }
    pthread_mutex_unlock(&c->mu);
    if (hit) return match ? 0 : not_in_entry(oid, entry);
    strata_commit_rec rec;
    int rc = strata_db__load_commit(db, oid, &rec);
    if (rc) return rc;
    if ((tenant && strcmp(rec.tenant, tenant) != 0) || (entry && strcmp(rec.entry, entry) != 0)) {
        strata_db__commit_clear(&rec);
        return not_in_entry(oid, entry);
    }
    if ((rc = head_of(out, oid, &rec))) {
        strata_db__commit_clear(&rec);
        return rc;
    }
    size_t tl = strlen(rec.tenant), el = strlen(rec.entry);
    char *names = strata_mem__alloc(tl + el + 2);
    if (names) { /* not caching is no failure */
        memcpy(names, rec.tenant, tl + 1);
        memcpy(names + tl + 1, rec.entry, el + 1);
        pthread_mutex_lock(&c->mu);
        commit_slot *t = &c->commits[i];
        strata_mem__free(t->names);
        t->names = names;
        t->tenant = names;
        t->entry = names + tl + 1;
        t->head = *out;
        t->oid = *oid;
        t->used = 1;
        pthread_mutex_unlock(&c->mu);
    }
    strata_db__commit_clear(&rec);
    return 0;
}

static int not_in_tenant(const strata_oid *oid, const char *tenant)
{
    char hex[65];
    strata_oid_fmt(hex, oid);
    return strata_err__set(STRATA_ENOTFOUND, "no snapshot %s in tenant '%s'", hex, tenant);
}

int strata_db__manifest_summary(strata_db *db, const strata_oid *oid, const char *tenant, strata_manifest *out)
{
    struct strata_db_cache *c = db->cache;
    size_t i = slot_of(oid);
    int hit = 0, match = 1;
    pthread_mutex_lock(&c->mu);
    manifest_slot *s = &c->manifests[i];
    if (s->used && strata_oid__cmp(&s->oid, oid) == 0) {
        hit = 1;
        if (strcmp(s->m.tenant, tenant) != 0) match = 0;
        else {
            *out = s->m;
            out->tenant = NULL; /* not handed out: the slot owns it */
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (hit) return match ? 0 : not_in_tenant(oid, tenant);
    strata_manifest m;
    int rc = strata_db__load_manifest(db, oid, &m);
    if (rc) return rc;
    if (strcmp(m.tenant, tenant) != 0) {
        strata_db__manifest_clear(&m);
        return not_in_tenant(oid, tenant);
    }
    char *name = m.tenant; /* the slot keeps the tenant, nothing else */
    m.tenant = NULL;
    strata_db__manifest_clear(&m);
    *out = m;
    m.tenant = name;
    pthread_mutex_lock(&c->mu);
    manifest_slot *t = &c->manifests[i];
    strata_db__manifest_clear(&t->m);
    t->m = m;
    t->oid = *oid;
    t->used = 1;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int strata_db__load_value(strata_db *db, const strata_oid *oid, strata_value **out)
{
    uint8_t type, *data = NULL;
    size_t len;
    int rc = strata_store__get(db->store, oid, &type, &data, &len);
    if (rc == 0 && type != STRATA_OBJ_VALUE) rc = strata_err__set(STRATA_ECORRUPT, "document value has object type %u", type);
    if (rc == 0) rc = strata_doc__value_new(out, data, len);
    strata_mem__free(data);
    return rc;
}
