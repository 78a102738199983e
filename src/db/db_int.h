/* Private to src/db: the database handle, tenant manifests, entry commits and transactions.
 *
 * Object types written by this layer (the store treats them as opaque bytes):
 *   'C'  entry commit      (commit.c, byte table in docs/format.md "Commits")
 *   'M'  tenant manifest   (commit.c, byte table in docs/format.md "Manifests")
 *   'V'  document value    (the value's canonical encoding, src/doc)
 * The tree layer writes 'N' (nodes) and 'B' (out-of-line values).
 *
 * The store keeps one named root per tenant (the root name is the tenant name); it points at
 * the tenant's newest manifest. A manifest holds the root of a prolly tree mapping entry name →
 * (kind, head commit digest) and the digest of the previous manifest, so the manifest chain is
 * the tenant's history and one root swap publishes changes to many entries at once. */
#ifndef STRATA_DB_INT_H
#define STRATA_DB_INT_H

#include <pthread.h>
#include <stdint.h>

#include "strata.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/hash.h"

#define STRATA_OBJ_COMMIT 'C'
#define STRATA_OBJ_MANIFEST 'M'
#define STRATA_OBJ_VALUE 'V'

#define STRATA_COMMIT_FORMAT 1
#define STRATA_MANIFEST_FORMAT 1
#define STRATA_MANIFEST_DROPPED 1u

/* A decoded entry commit. Strings point into `raw` or are "" and are NUL-terminated copies. */
typedef struct strata_commit_rec {
    uint8_t kind;               /* strata_entry_kind */
    char *tenant;               /* tenant the commit belongs to (isolation check) */
    char *entry;                /* entry name */
    strata_oid data;            /* 'V' value digest or tree root */
    size_t nparents;
    strata_oid parents[2];      /* at most 2 (merges later) */
    uint64_t generation;        /* 1 + parent's generation */
    int64_t time_us;            /* UTC µs */
    int tz_offset_min;          /* writer's UTC offset */
    char *user, *message, *origin, *operation;
    char *pk, *sk, *ttl;        /* key schema of tables ("" when none) */
} strata_commit_rec;

/* A decoded tenant manifest. */
typedef struct strata_manifest {
    uint32_t flags;             /* STRATA_MANIFEST_DROPPED */
    char *tenant;
    size_t nparents;
    strata_oid parent;          /* previous manifest (when nparents == 1) */
    strata_oid entries;         /* tree root: entry name → kind byte ‖ head commit digest */
    uint64_t generation;
    int64_t time_us;
    int tz_offset_min;
    char *user, *message, *origin, *operation;
} strata_manifest;

/* Encode into `out` (appended). 0 or STRATA_ENOMEM. */
int strata_db__commit_encode(strata_buf *out, const strata_commit_rec *c);
int strata_db__manifest_encode(strata_buf *out, const strata_manifest *m);
/* Decode untrusted bytes; strings become owned copies. STRATA_ECORRUPT on any malformation. */
int strata_db__commit_decode(strata_commit_rec *out, const uint8_t *p, size_t len);
int strata_db__manifest_decode(strata_manifest *out, const uint8_t *p, size_t len);
void strata_db__commit_clear(strata_commit_rec *c);
void strata_db__manifest_clear(strata_manifest *m);

/* Current time as UTC µs and the machine's local UTC offset in minutes at that time. */
int64_t strata_db__now_us(void);
int strata_db__local_offset_min(int64_t time_us);
/* Format time_us at offset tz (minutes) in the seeds' or ISO style into out[40]. */
int strata_db__format_time(char out[40], int64_t time_us, int tz_offset_min, int style);

/* The database handle. */
struct strata_tree_ctx;
struct strata_db {
    strata_store *store;
    struct strata_tree_ctx *tree;
    char *path;
    int read_only;
    strata_durability durability;
    pthread_mutex_t write_mu; /* serialises commits (one writer at a time inside the process) */
};

/* A tree edit as the db layer hands it to src/tree (kv.c adapts). val NULL = delete. */
typedef struct strata_db_edit {
    const uint8_t *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
    int del;
} strata_db_edit;

/* kv.c: the db layer's narrow view of the prolly tree. */
int strata_db__tree_empty(strata_db *db, strata_oid *out);
/* Copy the value of `key` into `val` (appended). STRATA_ENOTFOUND (no message) when absent. */
int strata_db__tree_get(strata_db *db, const strata_oid *root, const void *key, size_t klen, strata_buf *val);
int strata_db__tree_apply(strata_db *db, const strata_oid *root, strata_db_edit *edits, size_t n, strata_oid *out);
int strata_db__tree_count(strata_db *db, const strata_oid *root, uint64_t *out);

/* An ordered walk over a tree (all items or those with keys in [lo, hi)). */
typedef struct strata_db_cursor strata_db_cursor;
int strata_db__cursor_open(strata_db_cursor **out, strata_db *db, const strata_oid *root);
/* Position at the first key >= key (or the first key when key is NULL). */
int strata_db__cursor_seek(strata_db_cursor *c, const void *key, size_t klen);
/* 0 and the current item (borrowed until the next call), then advance; STRATA_ITEROVER at end. */
int strata_db__cursor_next(strata_db_cursor *c, strata_slice *key, strata_slice *val);
void strata_db__cursor_free(strata_db_cursor *c);

/* Diff of two trees: cb(key, old (NULL if added), new (NULL if deleted)) in key order. */
typedef int (*strata_db_diff_cb)(strata_slice key, const strata_slice *old, const strata_slice *nw, void *payload);
int strata_db__tree_diff(strata_db *db, const strata_oid *a, const strata_oid *b, strata_db_diff_cb cb, void *payload);

/* The public commit: a decoded commit and its digest. */
struct strata_commit {
    strata_oid digest;
    strata_commit_rec rec;
};

/* A resolved read point of one tenant: the manifest in force. */
typedef struct strata_db_view {
    strata_oid moid;
    strata_manifest m;
} strata_db_view;

/* db.c */
int strata_db__tree_open(strata_db *db, size_t cache_bytes);  /* kv.c */
void strata_db__tree_close(strata_db *db);                    /* kv.c */
int strata_db__check_name(const char *name, const char *what);
int strata_db__load_commit(strata_db *db, const strata_oid *oid, strata_commit_rec *out);
int strata_db__load_manifest(strata_db *db, const strata_oid *oid, strata_manifest *out);
int strata_db__current_manifest(strata_db *db, const char *tenant, strata_oid *moid, strata_manifest *m);
int strata_db__view_open(strata_db_view *v, strata_db *db, const char *tenant, const strata_read_options *ro);
void strata_db__view_close(strata_db_view *v);
/* The entry's kind and head commit in the view. STRATA_ENOTFOUND (no message) when absent. */
int strata_db__view_head(strata_db *db, const strata_db_view *v, const char *entry, uint8_t *kind, strata_oid *commit);
/* Resolve (tenant, entry, read options) to a commit of that entry. Checks names and isolation. */
int strata_db__resolve(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                       strata_oid *commit_oid, strata_commit_rec *commit);

/* txn.c: internals shared with ops.c. */
struct strata_doc_builder;
int strata_db__txn_commit(strata_txn *t, strata_oid *manifest_out);
int strata_db__txn_restore(strata_txn *t, const char *entry, const strata_oid *commit);
/* The result of op i: the entry's new commit, or its unchanged head. */
const strata_oid *strata_db__txn_result(const strata_txn *t, size_t i);
/* Encode a record key (a name) with the key codec, appended to out. */
int strata_db__record_key(struct strata_doc_builder *kb, strata_buf *out, const char *key);

/* verify.c: check every object reachable from every tenant root. */
int strata_db__verify(strata_db *db, uint64_t *problems);

/* Values (value.c): a new owned strata_value holding a copy of `bytes` (not validated: only
 * for bytes this library encoded or validated), and a borrowed view of one. */
int strata_db__value_new(strata_value **out, const void *bytes, size_t len);
strata_slice strata_db__value_slice(const strata_value *v);

#endif
