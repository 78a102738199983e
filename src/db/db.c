/* The database handle and the read path: open/close, options, tenants, resolving a read point
 * (head, past commit, time, snapshot) to a manifest and an entry head, commits' public view. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- options ---------------------------------------------------------------------------- */

/* Bytes of strata_db_options that a caller of `version` has (0: unknown version). */
static size_t db_options_size(unsigned int version)
{
    switch (version) {
    case 1: return offsetof(strata_db_options, lock_wait_ms) + sizeof(int);
    case 2: return sizeof(strata_db_options);
    default: return 0;
    }
}

int strata_db_options_init(strata_db_options *opt, unsigned int version)
{
    if (!opt) return strata_err__set(STRATA_EINVALID, "strata_db_options_init: opt is NULL");
    size_t n = db_options_size(version);
    if (!n) return strata_err__set(STRATA_EINVALID, "strata_db_options_init: unknown version %u", version);
    strata_db_options d = STRATA_DB_OPTIONS_INIT;
    d.version = version;
    memcpy(opt, &d, n); /* only the fields a caller of that version has */
    return 0;
}

int strata_write_options_init(strata_write_options *opt, unsigned int version)
{
    if (!opt) return strata_err__set(STRATA_EINVALID, "strata_write_options_init: opt is NULL");
    if (version != STRATA_WRITE_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "strata_write_options_init: unknown version %u", version);
    strata_write_options d = STRATA_WRITE_OPTIONS_INIT;
    *opt = d;
    return 0;
}

int strata_read_options_init(strata_read_options *opt, unsigned int version)
{
    if (!opt) return strata_err__set(STRATA_EINVALID, "strata_read_options_init: opt is NULL");
    if (version != STRATA_READ_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "strata_read_options_init: unknown version %u", version);
    strata_read_options d = STRATA_READ_OPTIONS_INIT;
    *opt = d;
    return 0;
}

/* ---- open / close ----------------------------------------------------------------------- */

int strata_db_open(strata_db **out, const char *path, const strata_db_options *opt)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_db_open: out is NULL");
    *out = NULL;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    if (opt) {
        size_t n = db_options_size(opt->version);
        if (!n) return strata_err__set(STRATA_EINVALID, "strata_db_open: unknown options version %u", opt->version);
        memcpy(&o, opt, n); /* fields of later versions keep their defaults */
    }
    if (o.durability != STRATA_DURABILITY_FULL && o.durability != STRATA_DURABILITY_NORMAL &&
        o.durability != STRATA_DURABILITY_OFF)
        return strata_err__set(STRATA_EINVALID, "strata_db_open: unknown durability %d", (int)o.durability);
    if (!path) path = "./.strata";
    if (!*path) return strata_err__set(STRATA_EINVALID, "strata_db_open: empty path");

    strata_db *db = strata_mem__calloc(1, sizeof *db);
    if (!db) return STRATA_ENOMEM;
    int rc = STRATA_ENOMEM;
    db->path = strata_mem__strdup(path);
    if (!db->path) goto fail;
    if (pthread_mutex_init(&db->write_mu, NULL) != 0) {
        rc = strata_err__set(STRATA_ENOMEM, "cannot create a mutex");
        strata_mem__free(db->path);
        strata_mem__free(db);
        return rc;
    }
    /* recursive: a listener runs with listen_mu held and may call strata_listener_add/strata_listener_remove
     * or commit (which notifies again) on the same thread */
    pthread_mutexattr_t ma;
    int mrc = pthread_mutexattr_init(&ma);
    if (mrc == 0) {
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
        mrc = pthread_mutex_init(&db->listen_mu, &ma);
        pthread_mutexattr_destroy(&ma);
    }
    if (mrc != 0) {
        rc = strata_err__set(STRATA_ENOMEM, "cannot create a mutex");
        pthread_mutex_destroy(&db->write_mu);
        strata_mem__free(db->path);
        strata_mem__free(db);
        return rc;
    }
    db->next_listener_id = 1;
    db->read_only = o.read_only;
    db->durability = o.durability;

    strata_store_options so = STRATA_STORE_OPTIONS_INIT;
    so.create = o.create && !o.read_only;
    so.read_only = o.read_only;
    so.durability = o.durability;
    so.lock_wait_ms = o.lock_wait_ms;
    so.compress_level = o.compress_level;
    rc = strata_store__open(&db->store, path, &so);
    if (rc) goto fail;
    rc = strata_db__tree_open(db, o.cache_bytes ? o.cache_bytes : (size_t)256 << 20);
    if (rc) goto fail;
    if ((rc = strata_db__cache_new(db))) goto fail;
    if ((rc = strata_db__gc_open(db))) goto fail; /* gc.c: pins, GC statistics */
    *out = db;
    return 0;
fail:
    strata_db_close(db);
    return rc;
}

void strata_db_close(strata_db *db)
{
    if (!db) return;
    strata_db__gc_close(db); /* gc.c: stops the automatic GC thread first */
    strata_db__cache_free(db);
    strata_db__tree_close(db);
    strata_store__close(db->store);
    pthread_mutex_destroy(&db->write_mu);
    pthread_mutex_destroy(&db->listen_mu);
    strata_mem__free(db->listeners);
    strata_mem__free(db->path);
    strata_mem__free(db);
}

/* ---- listeners ---------------------------------------------------------------------------- */

int strata_listener_add(uint64_t *out, strata_db *db, strata_listener_fn fn, void *payload)
{
    if (!db || !fn) return strata_err__set(STRATA_EINVALID, "strata_listener_add: NULL argument");
    int rc = 0;
    pthread_mutex_lock(&db->listen_mu);
    if (db->nlisteners == db->caplisteners) {
        size_t nc = db->caplisteners ? db->caplisteners * 2 : 4;
        strata_db_listener *n = strata_mem__realloc(db->listeners, nc * sizeof *n);
        if (!n) {
            rc = STRATA_ENOMEM;
            goto done;
        }
        db->listeners = n;
        db->caplisteners = nc;
    }
    strata_db_listener *l = &db->listeners[db->nlisteners++];
    l->id = db->next_listener_id++;
    l->fn = fn;
    l->payload = payload;
    if (out) *out = l->id;
done:
    pthread_mutex_unlock(&db->listen_mu);
    return rc;
}

int strata_listener_remove(strata_db *db, uint64_t id)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_listener_remove: db is NULL");
    int found = 0;
    pthread_mutex_lock(&db->listen_mu);
    for (size_t i = 0; i < db->nlisteners; i++)
        if (db->listeners[i].id == id) {
            memmove(&db->listeners[i], &db->listeners[i + 1], (db->nlisteners - i - 1) * sizeof *db->listeners);
            db->nlisteners--;
            found = 1;
            break;
        }
    pthread_mutex_unlock(&db->listen_mu);
    return found ? 0 : strata_err__set(STRATA_ENOTFOUND, "no listener %llu", (unsigned long long)id);
}

uint64_t strata_listener_failures(strata_db *db)
{
    if (!db) return 0;
    pthread_mutex_lock(&db->listen_mu);
    uint64_t n = db->listener_failures;
    pthread_mutex_unlock(&db->listen_mu);
    return n;
}

/* ---- tenants ---------------------------------------------------------------------------- */

int strata_tenant_exists(strata_db *db, const char *tenant)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_tenant_exists: db is NULL");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_oid moid;
    strata_manifest m;
    rc = strata_db__current_manifest(db, tenant, &moid, &m);
    if (rc == STRATA_ENOTFOUND) return 0;
    if (rc) return rc;
    return 1;
}

int strata_tenant_snapshot(strata_oid *out, strata_db *db, const char *tenant, int64_t as_of_us)
{
    if (!out || !db) return strata_err__set(STRATA_EINVALID, "strata_tenant_snapshot: NULL argument");
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.as_of_us = as_of_us;
    strata_db_view v;
    int rc = strata_db__view_open(&v, db, tenant, &ro);
    if (rc) return rc;
    *out = v.moid;
    return 0;
}

/* ---- commits: the public view ----------------------------------------------------------- */

int strata_commit_lookup(strata_commit **out, strata_db *db, const char *tenant, const strata_oid *digest)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_commit_lookup: out is NULL");
    *out = NULL;
    if (!db || !digest) return strata_err__set(STRATA_EINVALID, "strata_commit_lookup: NULL argument");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_oid moid;
    strata_manifest m;
    if ((rc = strata_db__current_manifest(db, tenant, &moid, &m))) return rc;
    strata_commit *c = strata_mem__calloc(1, sizeof *c);
    if (!c) return STRATA_ENOMEM;
    rc = strata_db__load_commit(db, digest, &c->rec);
    if (rc == 0 && (strcmp(c->rec.tenant, tenant) != 0 ||
                    memcmp(c->rec.incarnation, m.incarnation, STRATA_INCARNATION_SIZE) != 0)) {
        strata_db__commit_clear(&c->rec);
        char hex[65];
        strata_oid_fmt(hex, digest);
        rc = strata_err__set(STRATA_ENOTFOUND, "no commit %s in tenant '%s'", hex, tenant);
    }
    if (rc) {
        strata_mem__free(c);
        return rc;
    }
    c->digest = *digest;
    *out = c;
    return 0;
}

void strata_commit_free(strata_commit *c)
{
    if (!c) return;
    strata_db__commit_clear(&c->rec);
    strata_mem__free(c);
}

static const char *nz(const char *s) { return s ? s : ""; }

const strata_oid *strata_commit_digest(const strata_commit *c) { return c ? &c->digest : NULL; }
const char *strata_commit_entry(const strata_commit *c) { return c ? nz(c->rec.entry) : ""; }
int strata_commit_kind(const strata_commit *c) { return c ? c->rec.kind : STRATA_EINVALID; }
const char *strata_commit_user(const strata_commit *c) { return c ? nz(c->rec.user) : ""; }
const char *strata_commit_message(const strata_commit *c) { return c ? nz(c->rec.message) : ""; }
const char *strata_commit_origin(const strata_commit *c) { return c ? nz(c->rec.origin) : ""; }
const char *strata_commit_operation(const strata_commit *c) { return c ? nz(c->rec.operation) : ""; }
int64_t strata_commit_time_us(const strata_commit *c) { return c ? c->rec.time_us : 0; }
int strata_commit_tz_offset_min(const strata_commit *c) { return c ? c->rec.tz_offset_min : 0; }
uint64_t strata_commit_generation(const strata_commit *c) { return c ? c->rec.generation : 0; }
size_t strata_commit_parent_count(const strata_commit *c) { return c ? c->rec.nparents : 0; }
const strata_oid *strata_commit_parent(const strata_commit *c, size_t i)
{
    return c && i < c->rec.nparents ? &c->rec.parents[i] : NULL;
}
const strata_oid *strata_commit_data(const strata_commit *c) { return c ? &c->rec.data : NULL; }

int strata_commit_format_time(char out[40], const strata_commit *c, int style)
{
    if (!out || !c) return strata_err__set(STRATA_EINVALID, "strata_commit_format_time: NULL argument");
    if (style != STRATA_TIME_COMPACT && style != STRATA_TIME_ISO)
        return strata_err__set(STRATA_EINVALID, "strata_commit_format_time: unknown style %d", style);
    return strata_db__format_time(out, c->rec.time_us, c->rec.tz_offset_min, style);
}
