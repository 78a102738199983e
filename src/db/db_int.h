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
#define STRATA_INCARNATION_SIZE 16 /* random id of one life of a tenant (init to drop) */

/* A decoded entry commit. Strings point into `raw` or are "" and are NUL-terminated copies. */
typedef struct strata_commit_rec {
    uint8_t kind;               /* strata_entry_kind */
    char *tenant;               /* tenant the commit belongs to (isolation check) */
    uint8_t incarnation[STRATA_INCARNATION_SIZE]; /* which life of that tenant (isolation check) */
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
    uint8_t incarnation[STRATA_INCARNATION_SIZE]; /* drawn at init, copied by every later manifest */
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

/* A manifest entry's value: kind byte ‖ head commit digest. Decode returns STRATA_ECORRUPT
 * (no message: the caller names the entry) when `len` is not STRATA_DB_MENTRY_SIZE. */
#define STRATA_DB_MENTRY_SIZE (1 + STRATA_OID_SIZE)
void strata_db__mentry_encode(uint8_t out[STRATA_DB_MENTRY_SIZE], uint8_t kind, const strata_oid *head);
int strata_db__mentry_decode(uint8_t *kind, strata_oid *head, const void *val, size_t len);

/* Fill an incarnation id with random bytes (getrandom; a time/pid hash if that fails). */
void strata_db__new_incarnation(uint8_t out[STRATA_INCARNATION_SIZE]);

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
    pthread_mutex_t listen_mu;/* guards the listeners; held while they are called */
    struct strata_db_listener *listeners;
    size_t nlisteners, caplisteners;
    uint64_t next_listener_id;
    uint64_t listener_failures;
    struct strata_db_cache *cache; /* decoded commit/manifest summaries (cache.c) */
    struct strata_db_gcstate *gc;  /* gc.c: pins, GC statistics, the automatic GC thread */
};

typedef struct strata_db_listener {
    uint64_t id;
    strata_listener_fn fn;
    void *payload;
} strata_db_listener;

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

/* ---- cache.c: summaries of immutable commits and manifests ---- */

/* An entry's head as readers need it: copied out, no ownership. */
typedef struct strata_db_head {
    uint8_t incarnation[STRATA_INCARNATION_SIZE];
    strata_oid commit;
    uint8_t kind;
    strata_oid data;
    uint64_t generation;
    char pk[256], sk[256], ttl[256]; /* tables: the key schema ("" when none) */
} strata_db_head;

/* A resolved read point of one tenant: the manifest in force. */
typedef struct strata_db_view {
    strata_oid moid;
    strata_manifest m;  /* strings NULL: a cache copy */
} strata_db_view;

/* db.c */
int strata_db__tree_open(strata_db *db, size_t cache_bytes);  /* kv.c */
void strata_db__tree_close(strata_db *db);                    /* kv.c */
int strata_db__check_name(const char *name, const char *what);
int strata_db__load_commit(strata_db *db, const strata_oid *oid, strata_commit_rec *out);
int strata_db__load_manifest(strata_db *db, const strata_oid *oid, strata_manifest *out);
/* The tenant's current manifest (not dropped; strings NULL). STRATA_ENOTFOUND with a message otherwise. */
int strata_db__current_manifest(strata_db *db, const char *tenant, strata_oid *moid, strata_manifest *m);
int strata_db__view_open(strata_db_view *v, strata_db *db, const char *tenant, const strata_read_options *ro);
/* The kind and head commit of `entry` in manifest `m`. STRATA_ENOTFOUND (no message) when absent. */
int strata_db__manifest_lookup(strata_db *db, const strata_manifest *m, const char *entry, uint8_t *kind,
                               strata_oid *commit);

/* txn.c: internals shared with ops.c. */
int strata_db__txn_commit(strata_txn *t, strata_oid *manifest_out);
/* The commit's work under the write mutex, which the caller holds; wait for *ticket with
 * strata_store__wait_durable before treating the commit as durable. */
int strata_db__txn_commit_locked(strata_txn *t, strata_oid *manifest_out, uint64_t *ticket);
/* Save `value` as document entry `entry` — any name, hidden entries included — with `opdesc` as
 * the commit's operation text. */
int strata_db__txn_save_internal(strata_txn *t, const char *entry, strata_slice value, const char *opdesc);
int strata_db__txn_restore(strata_txn *t, const char *entry, const strata_oid *commit);
/* The result of op i: the entry's new commit, or its unchanged head. */
const strata_oid *strata_db__txn_result(const strata_txn *t, size_t i);
/* Encode a record key (a name) with the key codec, appended to out. */
int strata_db__record_key(strata_buf *out, const char *key);

/* ---- iterators (ops.c) ---- */
enum { IT_NAMES = 1, IT_RECORDS, IT_HISTORY, IT_DIFF, IT_ENTRIES, IT_ITEMS };

typedef struct diff_item {
    size_t koff, klen;
    strata_value *old, *nw;
    strata_value *keyval; /* the key as a value (records: string; tables: key map) */
} diff_item;

/* Every iterator of the public API. Kinds implemented outside ops.c (IT_ITEMS in table.c)
 * supply next/release hooks and their own state in `impl`. */
struct strata_iter {
    int kind;
    strata_db *db;
    strata_buf key;           /* current key / name */
    strata_value *value, *old;
    strata_value *keyval;     /* current key as a value (diffs) */
    strata_commit *commit;
    int (*impl_next)(strata_iter *it);
    void (*impl_free)(strata_iter *it);
    void *impl;
    uint64_t count, scanned;  /* IT_ITEMS: returned / read */
    strata_value *last_key;   /* IT_ITEMS: LastEvaluatedKey */
    /* IT_NAMES: a list of names in `names` (NUL-separated), walked by `pos` */
    strata_buf names;
    size_t pos;
    /* IT_RECORDS / IT_ENTRIES */
    strata_db_cursor *cur;
    strata_buf hi;            /* IT_RECORDS: exclusive upper bound (encoded key) when has_hi */
    int has_hi;
    strata_buf scratch;
    /* IT_HISTORY */
    char *tenant, *entry;
    strata_oid next;
    int has_next;
    size_t left;              /* commits still to return (SIZE_MAX: unlimited) */
    uint64_t gc_cut;          /* gc.c: history ends at this generation (retention); 0 = none */
    int gc_cut_known;         /* gc_cut loaded */
    /* IT_DIFF */
    diff_item *items;
    size_t nitems, capitems, idx;
    strata_buf keys;
};

int strata_db__iter_new(strata_iter **out, strata_db *db, int kind);

/* Table item writes handed to a transaction (table.c builds them, txn.c evaluates them at
 * commit time). The expressions' ownership passes to the transaction, even on failure. */
enum { STRATA_DB_ITEM_PUT = 1, STRATA_DB_ITEM_DELETE = 2, STRATA_DB_ITEM_UPDATE = 3 };
typedef struct strata_db_item {
    int kind;
    const uint8_t *key;  /* tree key (key codec) */
    size_t klen;
    const uint8_t *val;  /* PUT: the item; DELETE/UPDATE: the key map */
    size_t vlen;
    struct strata_expr *cond, *upd;
    int ret;             /* STRATA_RETURN_* */
    const char *pk, *sk, *ttl; /* the schema the key was built for */
    int64_t only_expired_before; /* DELETE (TTL sweep): only when the item's TTL is before this
                                    time (seconds) at commit time; 0 = unconditional */
} strata_db_item;
strata_db *strata_db__txn_db(strata_txn *t);
const char *strata_db__txn_tenant(strata_txn *t);
/* Copy *wo (NULL: the defaults) into *out after checking it: the version, that user, message
 * and origin are UTF-8 of at most 65,535 bytes, the time zone offset. 0 or STRATA_EINVALID. */
int strata_db__write_options(strata_write_options *out, const strata_write_options *wo);
/* 0 when the transaction can take operations, else STRATA_EPOISONED / STRATA_EINVALID. */
int strata_db__txn_usable(strata_txn *t);
/* Items the first (table) op of a committed transaction deleted. */
size_t strata_db__txn_items_deleted(const strata_txn *t);
/* Mark the transaction failed (rc < 0) and return rc. */
int strata_db__txn_poison(strata_txn *t, int rc);
/* table.c: the key map {pk: …, sk: …} of a table's tree key. */
int strata_db__table_key_value(strata_value **out, const char *pk, const char *sk, const void *key, size_t klen);
int strata_db__txn_create_table(strata_txn *t, const char *entry, const char *pk, const char *sk, const char *ttl);
int strata_db__txn_item(strata_txn *t, const char *entry, const strata_db_item *it, size_t *index);
/* Take the return value of item `item` of the transaction's first op (after commit). */
strata_value *strata_db__txn_take_item_result(strata_txn *t, size_t item);
/* 1 when `item` has TTL attribute `ttl` holding a number before now_s. */
int strata_db__item_expired(strata_slice item, const char *ttl, int64_t now_s);

int strata_db__cache_new(strata_db *db);
void strata_db__cache_free(strata_db *db);
/* Forget every cached summary (after GC removed objects). */
void strata_db__cache_clear(strata_db *db);
/* The summary of commit `oid`, which must belong to tenant/entry when those are not NULL
 * (else STRATA_ENOTFOUND). Served from the cache or loaded and cached. */
int strata_db__commit_summary(strata_db *db, const strata_oid *oid, const char *tenant, const char *entry,
                              strata_db_head *out);
/* The summary of manifest `oid`, which must belong to `tenant` (else STRATA_ENOTFOUND). */
int strata_db__manifest_summary(strata_db *db, const strata_oid *oid, const char *tenant, strata_manifest *out);
/* Resolve (tenant, entry, read options) to the entry's commit summary: the fast read path. */
int strata_db__head(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                    strata_db_head *out);

/* gc.c: garbage collection and retention. open/close create and tear down db->gc (close stops
 * the automatic GC thread first). The hidden entry STRATA_DB_GC_ENTRY of a tenant holds its
 * retention policies and the truncation marks GC leaves (docs/format.md); entry names given to
 * the API can never be it (they may not contain control characters). */
#define STRATA_DB_GC_ENTRY "\x01gc"
int strata_db__gc_open(strata_db *db);
void strata_db__gc_close(strata_db *db);
/* 1 when the commit of `entry` at `generation` is the start of its history because GC cut the
 * entry's history there (the generation is at or below the recorded cut), else 0. */
int strata_db__gc_truncated(strata_db *db, const char *tenant, const char *entry, uint64_t generation);
/* The same for the tenant's manifest chain. */
int strata_db__gc_manifest_truncated(strata_db *db, const char *tenant, uint64_t generation);
/* The generation at which GC cut the history of `entry` (NULL: the tenant's manifest chain):
 * commits below it are beyond retention (they may or may not still be stored); 0 = never cut. */
uint64_t strata_db__gc_cut(strata_db *db, const char *tenant, const char *entry);

/* verify.c: check every object reachable from every tenant root. */
int strata_db__verify(strata_db *db, uint64_t *problems);

/* Values (value.c): a new owned strata_value holding a copy of `bytes` (not validated: only
 * for bytes this library encoded or validated), and a borrowed view of one. */
int strata_db__value_new(strata_value **out, const void *bytes, size_t len);
strata_slice strata_db__value_slice(const strata_value *v);

#endif
