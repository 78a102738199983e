/* The database handle: options, open and close (which open and close every layer of src/db in
 * order, bottom first), and verify. The top of src/db: it may call every other file. */
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/vfs.h"

/* ---- options ---------------------------------------------------------------------------- */

/* The highest zstd level strata_db_options.compress_level takes (include/strata.h documents
 * 1..19: zstd's levels above are its "ultra" ones, which need far more memory to compress). */
#define STRATA_DB_MAX_COMPRESS_LEVEL 19

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
    if (o.compress_level > STRATA_DB_MAX_COMPRESS_LEVEL)
        return strata_err__set(STRATA_EINVALID,
                               "strata_db_open: compress_level %d is out of range (1..%d; 0 = the "
                               "default, < 0 = uncompressed)",
                               o.compress_level, STRATA_DB_MAX_COMPRESS_LEVEL);
    if (!path) path = "./.strata";
    if (!*path) return strata_err__set(STRATA_EINVALID, "strata_db_open: empty path");
    /* ":memory:" is a fresh database of its own in the vfs's in-memory namespace, like SQLite's:
     * no files, gone at close. */
    int memory = strcmp(path, STRATA_MEMORY) == 0;
    if (memory && o.read_only)
        return strata_err__set(STRATA_EINVALID, "strata_db_open: an in-memory database cannot "
                               "be read-only");
    char mem_path[64];
    if (memory) {
        static atomic_ulong next_memory_db;
        snprintf(mem_path, sizeof mem_path, STRATA_MEMORY "/db-%lu",
                 (unsigned long)atomic_fetch_add(&next_memory_db, 1) + 1);
        path = mem_path;
        o.create = 1;
    }

    strata_db *db = strata_mem__calloc(1, sizeof *db);
    if (!db) return STRATA_ENOMEM;
    /* the mutex first: from here on every failure closes the handle, which destroys it */
    if (pthread_mutex_init(&db->write_mu, NULL) != 0) {
        strata_mem__free(db);
        return strata_err__set(STRATA_ENOMEM, "cannot create a mutex");
    }
    int rc = STRATA_ENOMEM;
    db->memory = memory;
    db->path = strata_mem__strdup(path);
    if (!db->path) goto fail;
    db->read_only = o.read_only;
    db->durability = o.durability;

    strata_store_options so = STRATA_STORE_OPTIONS_INIT;
    so.create = o.create && !o.read_only;
    so.read_only = o.read_only;
    so.durability = o.durability;
    so.lock_wait_ms = o.lock_wait_ms;
    so.compress_level = o.compress_level;
    if ((rc = strata_db__listeners_new(db))) goto fail;
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
    if (db->memory && db->path) strata_vfs__mem_drop(db->path);
    pthread_mutex_destroy(&db->write_mu);
    strata_db__listeners_free(db);
    strata_mem__free(db->path);
    strata_mem__free(db);
}

/* ---- verify ----------------------------------------------------------------------------------- */

int strata_db_verify(uint64_t *problems, strata_db *db)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    return strata_db__verify(db, problems);
}
