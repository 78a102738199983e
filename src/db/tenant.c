/* Tenants: init (a first manifest, a new incarnation), drop (a dropped marker), exists,
 * snapshot (the manifest in force at a time) and the sorted list of names. Calls view.c,
 * cache.c, iter.c, kv.c and commit.c. */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "util/error.h"
#include "util/mem.h"

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

/* Publish a first manifest for `tenant` (empty entries), or a dropped marker when `drop`. */
static int publish_manifest(strata_db *db, const char *tenant, const strata_write_options *wo, int drop)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_write_options w;
    int rc = strata_db__write_check(&w, db, tenant, wo);
    if (rc) return rc;
    strata_manifest m;
    memset(&m, 0, sizeof m);
    m.flags = drop ? STRATA_MANIFEST_DROPPED : 0;
    m.tenant = (char *)tenant;
    m.generation = 1;
    m.time_us = w.time_us ? w.time_us : strata_db__now_us();
    m.tz_offset_min = w.tz_offset_min == STRATA_TZ_LOCAL ? strata_db__local_offset_min(m.time_us) : w.tz_offset_min;
    m.user = (char *)(w.user ? w.user : "");
    m.message = (char *)(w.message ? w.message : "");
    m.origin = (char *)(w.origin ? w.origin : "");
    m.operation = drop ? "drop tenant" : "init tenant";
    strata_db__new_incarnation(m.incarnation); /* a new life: earlier commits stay unreachable */
    strata_buf enc = {0};
    strata_oid moid;
    if ((rc = strata_db__write_lock(db))) return rc;
    uint64_t ticket = 0;
    int exists = strata_tenant_exists(db, tenant);
    if (exists < 0) { rc = exists; goto done; }
    if (!drop && exists) { rc = STRATA_UNCHANGED; goto done; }
    if (drop && !exists) { rc = strata_err__set(STRATA_ENOTFOUND, "tenant '%s' does not exist", tenant); goto done; }
    if ((rc = strata_db__tree_empty(db, &m.entries))) goto done;
    if ((rc = strata_db__manifest_encode(&enc, &m))) goto done;
    if ((rc = strata_store__put(db->store, STRATA_OBJ_MANIFEST, enc.data, enc.len, &moid))) goto done;
    /* over the root read above (none, or a dropped life's): the same compare-and-swap a commit
     * ends with; under the write lock it cannot have moved */
    strata_oid old;
    int had = strata_store__root(db->store, tenant, &old) == 0;
    strata_error_clear();
    rc = strata_store__publish_cas(db->store, tenant, had ? &old : NULL, &moid, &ticket);
    if (rc == STRATA_STORE_MOVED) rc = strata_err__set(STRATA_ECONFLICT, "tenant '%s' changed during its init or drop", tenant);
done:
    strata_db__write_unlock(db);
    strata_buf__free(&enc);
    if (rc == 0) rc = strata_store__wait_durable(db->store, ticket);
    return rc;
}

int strata_tenant_init(strata_db *db, const char *tenant, const strata_write_options *wo)
{
    return publish_manifest(db, tenant, wo, 0);
}

int strata_tenant_drop(strata_db *db, const char *tenant, const strata_write_options *wo)
{
    return publish_manifest(db, tenant, wo, 1);
}

/* ---- the list of tenants -------------------------------------------------------------------- */

/* A list of names, NUL-separated in `names`, walked by `pos`. */
typedef struct names_iter {
    strata_buf names;
    size_t pos;
} names_iter;

static int names_next(strata_iter *it, void *state)
{
    names_iter *n = state;
    if (n->pos >= n->names.len) return STRATA_ITEROVER;
    const char *s = (const char *)n->names.data + n->pos;
    size_t len = strlen(s);
    n->pos += len + 1;
    return strata_buf__append(&it->key, s, len);
}

static void names_free(void *state)
{
    names_iter *n = state;
    strata_buf__free(&n->names);
    strata_mem__free(n);
}

static const strata_db_iter_type names_type = {names_next, names_free};

typedef struct tenants_ctx {
    strata_db *db;
    strata_buf *names;
} tenants_ctx;

static int add_tenant(const char *name, const strata_oid *root, void *payload)
{
    tenants_ctx *t = payload;
    strata_manifest m;
    int rc = strata_db__load_manifest(t->db, root, &m);
    if (rc) return rc;
    int dropped = (m.flags & STRATA_MANIFEST_DROPPED) != 0;
    strata_db__manifest_clear(&m);
    if (dropped) return 0;
    return strata_buf__append(t->names, name, strlen(name) + 1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int strata_tenant_list(strata_iter **out, strata_db *db)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_tenant_list: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    names_iter *ni = strata_mem__calloc(1, sizeof *ni);
    if (!ni) return STRATA_ENOMEM;
    strata_buf raw = {0};
    tenants_ctx tc = {db, &raw};
    STRATA_ARRAY(char *) v = STRATA_ARRAY_INIT; /* the names in raw, to sort */
    int rc = 0;
    if ((rc = strata_store__refresh(db->store))) goto done;
    if ((rc = strata_store__roots(db->store, add_tenant, &tc))) goto done;
    /* sort the names bytewise */
    for (size_t i = 0; i < raw.len; i += strlen((char *)raw.data + i) + 1)
        if ((rc = strata_array__push(&v, (char *)raw.data + i))) goto done;
    if (v.n > 1) qsort(v.v, v.n, sizeof *v.v, cmp_str);
    for (size_t k = 0; k < v.n && rc == 0; k++) rc = strata_buf__append(&ni->names, v.v[k], strlen(v.v[k]) + 1);
done:
    strata_array__free(&v);
    strata_buf__free(&raw);
    if (rc) {
        names_free(ni);
        return rc;
    }
    return strata_db__iter_new(out, &names_type, ni);
}
