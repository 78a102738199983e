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
 * the tenant's history and one root swap publishes changes to many entries at once.
 *
 * Two entry kinds hold keyed data, and they share one code path: a table (kind 3) has a key
 * schema, its items are maps holding their key attributes; keyed records (kind 2) are a table
 * with an implicit key schema — one string key given beside the value, which may be any value.
 * Both are prolly trees from the key codec's encoding of the key to the stored value (a record
 * key "k" encodes exactly as a table key whose partition key is the string "k"). Their writes
 * are item ops applied by item.c, their reads go through query.c.
 *
 * The files of src/db, from the floor up. A file calls only files listed before it, never one
 * after it (no call cycles: the CTest layering_db_calls checks it from the object files; "→"
 * lists the db files each calls, besides src/util, store, doc, expr and — through kv.c only —
 * tree).
 *
 *   commit.c    codecs: commits, manifests, manifest entries; incarnations; time;
 *               the public accessors of strata_commit                            → nothing
 *   kv.c        the db layer's view of the prolly tree (the one db file that
 *               includes tree/tree.h): gets, edits, cursors, diffs, walks        → nothing
 *   iter.c      strata_iter: one vtable, private state per kind, public
 *               accessors; a value's member iterator                             → commit
 *   cache.c     loading commits, manifests and document values; summary caches  → commit
 *   view.c      names, read points (views), the one head resolver                → cache, commit, kv
 *   item.c      keyed data (tables and records): item keys, key values, TTL,
 *               request expressions, applying item writes at commit time         → view, kv
 *   listen.c    listeners: registration; notification after a commit            → cache, item, kv
 *   txn.c       the transaction lifecycle, applying ops to heads, manifest swap → view, item, listen, cache, commit, kv
 *   query.c     the keyed-data iterator: table query and scan, records range     → item, iter, commit, kv
 *   the GC family (its own map further down, at "The GC family"):
 *   pins.c      snapshot pins                                                    → view, cache, commit
 *   space.c     space statistics, tenant usage                                   → view, commit
 *   retention.c retention policies, truncation marks, audit trail               → txn, view, cache, commit, kv
 *   gc.c        a GC run: mark, record cuts, drive the store's sweep             → txn, pins, space, retention, view, cache, commit, kv
 *   autogc.c    the automatic GC thread                                          → gc, space
 *   gc_state.c  the GC family's per-handle state                                 → autogc, pins, space
 *   verify.c    everything reachable re-read and checked                         → retention, cache, commit, kv
 *   the API by entry kind, and the handle:
 *   document.c  documents: save, load                                            → txn, item, view, cache
 *   records.c   keyed records (a table with an implicit key): writes, get, range → txn, query, item, iter, view, kv
 *   table.c     tables: create, describe, item writes, get_item, TTL sweeps      → txn, item, view, commit, kv
 *   history.c   commit lookup, history, diff, restore                            → txn, retention, item, iter, view, cache, commit, kv
 *   entry.c     entries of any kind: exists, head, kind, list                    → view, iter, kv
 *   tenant.c    tenants: init, drop, exists, snapshot, list                      → txn, view, iter, cache, commit, kv
 *   db.c        options, open and close (of every layer above), verify           → gc_state, verify, listen, cache, kv
 */
#ifndef STRATA_DB_INT_H
#define STRATA_DB_INT_H

#include <pthread.h>
#include <stdint.h>

#include "strata.h"
#include "store/store.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/hash.h"

#define STRATA_OBJ_COMMIT 'C'
#define STRATA_OBJ_MANIFEST 'M'
#define STRATA_OBJ_VALUE 'V'

#define STRATA_COMMIT_FORMAT 1
#define STRATA_MANIFEST_FORMAT 1
#define STRATA_MANIFEST_DROPPED 1u
#define STRATA_INCARNATION_SIZE 16 /* random id of one life of a tenant (init to drop) */

/* ==== commit.c: the codecs ===================================================================
 *
 * One type per object: strata_commit_rec is a decoded entry commit and strata_manifest a
 * decoded tenant manifest. Two views of them exist for speed, not as other shapes:
 * strata_db_head (cache.c) is what readers need of a commit, copied out of the summary cache
 * with no ownership (fixed-size names, so a read needs no allocation); struct strata_commit
 * (commit.c) is the public handle: a record and its digest. A manifest handed out by the
 * cache is a strata_manifest whose strings are NULL. */

/* A decoded entry commit. Strings are owned, NUL-terminated copies ("" when empty). */
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
    strata_oid entries;         /* tree root: entry name → manifest entry (kind ‖ head digest) */
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

/* A manifest entry's value: kind byte ‖ head commit digest. Every reader and writer of one goes
 * through these two. Decode (kind may be NULL) returns STRATA_ECORRUPT (no message: the caller
 * names the entry) when `len` is not STRATA_DB_MENTRY_SIZE. */
#define STRATA_DB_MENTRY_SIZE (1 + STRATA_OID_SIZE)
void strata_db__mentry_encode(uint8_t out[STRATA_DB_MENTRY_SIZE], uint8_t kind, const strata_oid *head);
int strata_db__mentry_decode(uint8_t *kind, strata_oid *head, const void *val, size_t len);

/* The public commit (strata_commit_*: commit.c; lookup and history: history.c): a decoded
 * commit and its digest. */
struct strata_commit {
    strata_oid digest;
    strata_commit_rec rec;
};

/* Fill an incarnation id with random bytes (getrandom; a time/pid hash if that fails). */
void strata_db__new_incarnation(uint8_t out[STRATA_INCARNATION_SIZE]);

/* Current time as UTC µs and the machine's local UTC offset in minutes at that time. */
int64_t strata_db__now_us(void);
int strata_db__local_offset_min(int64_t time_us);
/* Format time_us at offset tz (minutes) in the compact or ISO style into out[40]. */
int strata_db__format_time(char out[40], int64_t time_us, int tz_offset_min, int style);

/* ==== the database handle ==================================================================== */

struct strata_tree_ctx;
struct strata_db {
    strata_store *store;
    struct strata_tree_ctx *tree;
    char *path;
    int memory;    /* opened as ":memory:": path names its files in the vfs's memory namespace */
    int read_only;
    strata_durability durability;
    pthread_mutex_t write_mu; /* serialises commits (one writer at a time inside the process) */
    struct strata_db_listeners *listeners; /* listen.c */
    struct strata_db_cache *cache; /* decoded commit/manifest summaries (cache.c) */
    struct strata_db_gcstate *gc;  /* gc.c: pins, GC statistics, the automatic GC thread */
};

/* ==== kv.c: the db layer's view of the prolly tree ========================================== */

int strata_db__tree_open(strata_db *db, size_t cache_bytes);
void strata_db__tree_close(strata_db *db);

/* A tree edit as the db layer hands it to src/tree (kv.c adapts). val NULL = delete. */
typedef struct strata_db_edit {
    const uint8_t *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
    int del;
} strata_db_edit;

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

/* Positioned moves for the keyed-data iterators (query.c): each puts the cursor on an item and
 * returns 0, or STRATA_ITEROVER when there is none. Reading the item: cursor_item (borrowed
 * until the next move) and cursor_index (its position in key order). */
enum { STRATA_DB_FIRST, STRATA_DB_LAST, STRATA_DB_SEEK, STRATA_DB_SEEK_BEFORE, STRATA_DB_NEXT, STRATA_DB_PREV };
int strata_db__cursor_move(strata_db_cursor *c, int how, const void *key, size_t klen);
int strata_db__cursor_seek_index(strata_db_cursor *c, uint64_t index);
void strata_db__cursor_key(const strata_db_cursor *c, strata_slice *key);
int strata_db__cursor_value(strata_db_cursor *c, strata_slice *val);
int strata_db__cursor_index(const strata_db_cursor *c, uint64_t *out);

/* Diff of two trees: cb(key, old (NULL if added), new (NULL if deleted)) in key order. */
typedef int (*strata_db_diff_cb)(strata_slice key, const strata_slice *old, const strata_slice *nw, void *payload);
int strata_db__tree_diff(strata_db *db, const strata_oid *a, const strata_oid *b, strata_db_diff_cb cb, void *payload);

/* ==== iter.c: iterators (values are src/doc's: strata_doc__value_new/_slice) ================ */

/* One kind of iterator: `next` fills the current item of `it` (key, value, …) from the kind's
 * private `state` and returns 0, STRATA_ITEROVER at the end or an error; `free` releases the
 * state. */
typedef struct strata_db_iter_type {
    int (*next)(strata_iter *it, void *state);
    void (*free)(void *state);
} strata_db_iter_type;

/* Every iterator of the public API: the current item (what the public accessors return, owned
 * by the iterator and cleared before each step) and its kind's vtable and state. */
struct strata_iter {
    const strata_db_iter_type *type;
    void *state;              /* the kind's own, freed by type->free */
    strata_buf key;           /* current key / name */
    strata_value *value, *old;
    strata_value *keyval;     /* current key as a value (diffs) */
    strata_commit *commit;    /* current commit (history) */
    uint64_t count, scanned;  /* keyed data: items returned / read */
    strata_value *last_key;   /* keyed data: LastEvaluatedKey once a limit stopped the walk */
};

/* A new iterator of `type` owning `state` (freed with type->free on failure too). */
int strata_db__iter_new(strata_iter **out, const strata_db_iter_type *type, void *state);

/* ==== cache.c: loading objects, summary caches ============================================== */

int strata_db__cache_new(strata_db *db);
void strata_db__cache_free(strata_db *db);
/* Forget every cached summary (after GC removed objects). */
void strata_db__cache_clear(strata_db *db);

/* Read and decode an object; STRATA_ENOTFOUND ("no commit/snapshot <hex>") when absent or of
 * another type. */
int strata_db__load_commit(strata_db *db, const strata_oid *oid, strata_commit_rec *out);
int strata_db__load_manifest(strata_db *db, const strata_oid *oid, strata_manifest *out);
/* A document's 'V' object as a new value. */
int strata_db__load_value(strata_db *db, const strata_oid *oid, strata_value **out);

/* An entry's head as readers need it: copied out, no ownership. */
typedef struct strata_db_head {
    uint8_t incarnation[STRATA_INCARNATION_SIZE];
    strata_oid commit;
    uint8_t kind;
    strata_oid data;
    uint64_t generation;
    char pk[256], sk[256], ttl[256]; /* tables: the key schema ("" when none) */
} strata_db_head;

/* The summary of commit `oid`, which must belong to tenant/entry when those are not NULL
 * (else STRATA_ENOTFOUND). Served from the cache or loaded and cached. */
int strata_db__commit_summary(strata_db *db, const strata_oid *oid, const char *tenant, const char *entry,
                              strata_db_head *out);
/* The summary of manifest `oid` (strings NULL), which must belong to `tenant` (else STRATA_ENOTFOUND). */
int strata_db__manifest_summary(strata_db *db, const strata_oid *oid, const char *tenant, strata_manifest *out);

/* ==== view.c: names and read points ========================================================= */

/* 0 when `name` is a valid tenant/entry/key name, else STRATA_EINVALID naming `what`. */
int strata_db__check_name(const char *name, const char *what);

/* A resolved read point of one tenant: the manifest in force. */
typedef struct strata_db_view {
    strata_oid moid;
    strata_manifest m;  /* strings NULL: a cache copy */
} strata_db_view;

/* The tenant's current manifest (not dropped; strings NULL). STRATA_ENOTFOUND with a message otherwise. */
int strata_db__current_manifest(strata_db *db, const char *tenant, strata_oid *moid, strata_manifest *m);
/* The manifest in force for `ro` (head, snapshot or time; not `at`). Checks the tenant name. */
int strata_db__view_open(strata_db_view *v, strata_db *db, const char *tenant, const strata_read_options *ro);
/* The kind and head commit of `entry` in manifest `m`. STRATA_ENOTFOUND (no message) when absent. */
int strata_db__manifest_lookup(strata_db *db, const strata_manifest *m, const char *entry, uint8_t *kind,
                               strata_oid *commit);
/* The head resolver: (tenant, entry, read options) to the entry's commit summary. Checks names,
 * the read point, that tenant and entry exist, and isolation (tenant, entry, incarnation). */
int strata_db__head(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                    strata_db_head *out);

/* ==== item.c: keyed data ===================================================================== */

/* The head of a keyed entry of `kind` (STRATA_ENTRY_TABLE or _RECORDS) at the read point; an
 * entry of another kind is STRATA_EINVALID ("… is not a table" / "… holds …, not keyed records"). */
int strata_db__keyed_head(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                          int kind, strata_db_head *out);
/* "entry '<entry>' holds <have>, not <want>" (STRATA_EINVALID); kind names: "a document", … */
int strata_db__wrong_kind(const char *entry, int have, int want);
const char *strata_db__kind_name(int kind);

/* The tree key of a record (a name, checked), appended to out. */
int strata_db__record_key(strata_buf *out, const char *key);
/* The tree key of an item (exact = 0: it may hold more attributes) or a key map (exact = 1:
 * exactly the key attributes) under key schema (pk, sk; sk "" when none), appended to out. */
int strata_db__item_key(strata_buf *out, strata_slice item, const char *pk, const char *sk, int exact);
/* The key of tree key `key` as a value: records (kind STRATA_ENTRY_RECORDS) the key string,
 * tables the key map {pk: …, sk: …}. */
int strata_db__key_value(strata_value **out, int kind, const char *pk, const char *sk, const void *key, size_t klen);
/* A record's name inside its tree key, as a slice into `scratch` (overwritten). */
int strata_db__record_name(strata_slice *out, const void *key, size_t klen, strata_buf *scratch);
/* 1 when `item` has TTL attribute `ttl` holding a number before now_s. */
int strata_db__item_expired(strata_slice item, const char *ttl, int64_t now_s);

/* The parsed expressions of one request; any may be NULL. */
typedef struct strata_db_exprs {
    struct strata_expr *cond, *upd, *filter, *proj, *keycond;
} strata_db_exprs;
/* Parse the texts given (NULL: none) with placeholders `names`/`values`; every placeholder given
 * must be used. On failure nothing is left to free. */
int strata_db__exprs_parse(strata_db_exprs *r, const strata_value *names, const strata_value *values,
                           const char *cond, const char *upd, const char *filter, const char *proj,
                           const char *keycond);
void strata_db__exprs_free(strata_db_exprs *r);

/* Item writes as a transaction gathers them and applies them at commit time. */
enum { STRATA_DB_ITEM_PUT = 1, STRATA_DB_ITEM_DELETE = 2, STRATA_DB_ITEM_UPDATE = 3 };

/* One item write handed to a transaction (by table.c or records.c). The expressions' ownership
 * passes to the transaction, even on failure. */
typedef struct strata_db_item {
    int kind;            /* STRATA_DB_ITEM_* */
    const uint8_t *key;  /* tree key (key codec) */
    size_t klen;
    const uint8_t *val;  /* PUT: the item or record; DELETE/UPDATE: the key map */
    size_t vlen;
    struct strata_expr *cond, *upd;
    int ret;             /* STRATA_RETURN_* */
    int64_t only_expired_before; /* DELETE (TTL sweep): only when the item's TTL is before this
                                    time (seconds) at commit time; 0 = unconditional */
} strata_db_item;

/* One gathered item write: strata_db_item with its bytes in the batch's arena. */
typedef struct strata_db_item_op {
    int kind;
    size_t koff, klen;    /* the tree key, in the arena */
    size_t voff, vlen;    /* PUT: the item; DELETE/UPDATE: the key map */
    struct strata_expr *cond;  /* owned, or NULL */
    struct strata_expr *upd;   /* UPDATE: owned */
    int ret;
    int64_t only_expired_before;
    strata_value *result; /* what `ret` asked for, after commit (owned until taken) */
} strata_db_item_op;

/* The item writes to one keyed entry in one transaction, in order. */
typedef struct strata_db_items {
    int kind;                 /* STRATA_ENTRY_TABLE or STRATA_ENTRY_RECORDS */
    char *pk, *sk, *ttl;      /* the key schema the keys were built for (records: "") */
    strata_buf arena;         /* keys and values */
    STRATA_ARRAY(strata_db_item_op) ops; /* the writes, in order */
} strata_db_items;

/* Add a copy of `it` (taking its expressions, freed on failure too); *index receives its place. */
int strata_db__items_add(strata_db_items *b, const strata_db_item *it, size_t *index);
void strata_db__items_clear(strata_db_items *b);
/* Free the expressions of an item write that will not be added. */
void strata_db__item_release(const strata_db_item *it);

/* What applying a batch did, for the commit's operation text. */
typedef struct strata_db_items_done {
    size_t put, deleted, updated;
} strata_db_items_done;

/* Apply the batch in order to the tree `base` at time now_s (seconds): check conditions,
 * compute updates and return values, and write the new tree to *root. `entry` names the table
 * in messages. STRATA_ECONDITION when a condition is false (nothing is written). */
int strata_db__items_apply(strata_db *db, strata_db_items *b, const char *entry, const strata_oid *base,
                           int64_t now_s, strata_oid *root, strata_db_items_done *done);

/* ==== listen.c: listeners ==================================================================== */

int strata_db__listeners_new(strata_db *db);
void strata_db__listeners_free(strata_db *db);

/* One entry a commit changed, as listeners hear of it. */
typedef struct strata_db_change {
    const char *entry;
    uint8_t kind;             /* the entry's kind after the commit */
    const char *pk, *sk;      /* tables: the key schema */
    int had_head;             /* 0: the entry is new (old_data means nothing) */
    strata_oid old_data, new_data;
} strata_db_change;

/* After a durable commit: tell every listener about every changed item of the n changes (from
 * the tree diff of each; documents: one call with a NULL key). Failures are counted, never
 * returned: the commit stands. */
void strata_db__listeners_notify(strata_db *db, const char *tenant, const strata_db_change *changes, size_t n);

/* ==== txn.c: transactions ==================================================================== */

/* Copy *wo (NULL: the defaults) into *out after checking it: the version, that user, message
 * and origin are UTF-8 of at most 65,535 bytes, the time zone offset. 0 or STRATA_EINVALID. */
int strata_db__write_options(strata_write_options *out, const strata_write_options *wo);
/* What every write of a tenant checks first: the handle is writable (else STRATA_EINVALID "the
 * database is open read-only"), `tenant` is a valid name, and *wo as strata_db__write_options
 * does (copied into *out). db must not be NULL. */
int strata_db__write_check(strata_write_options *out, strata_db *db, const char *tenant,
                           const strata_write_options *wo);
strata_db *strata_db__txn_db(strata_txn *t);
const char *strata_db__txn_tenant(strata_txn *t);
/* 0 when the transaction can take operations, else STRATA_EPOISONED / STRATA_EINVALID. */
int strata_db__txn_usable(strata_txn *t);
/* Mark the transaction failed (rc < 0) and return rc. */
int strata_db__txn_poison(strata_txn *t, int rc);

/* Save `value` as document entry `entry` (checked unless `hidden`: then any name, hidden
 * entries included) with `opdesc` (NULL: "save") as the commit's operation text. */
int strata_db__txn_save(strata_txn *t, const char *entry, strata_slice value, const char *opdesc, int hidden);
/* strata_db__txn_save of a hidden entry (gc.c's name for it). */
int strata_db__txn_save_internal(strata_txn *t, const char *entry, strata_slice value, const char *opdesc);
int strata_db__txn_restore(strata_txn *t, const char *entry, const strata_oid *commit);
int strata_db__txn_create_table(strata_txn *t, const char *entry, const char *pk, const char *sk, const char *ttl);
/* Add an item write to keyed entry `entry` of `kind` (STRATA_ENTRY_TABLE: schema pk/sk/ttl;
 * STRATA_ENTRY_RECORDS: pk/sk/ttl NULL). Takes the item's expressions. */
int strata_db__txn_item(strata_txn *t, const char *entry, int kind, const char *pk, const char *sk, const char *ttl,
                        const strata_db_item *it, size_t *index);

/* Commit; the transaction stays allocated (strata_txn_abort frees it). */
int strata_db__txn_commit(strata_txn *t, strata_oid *manifest_out);
/* The commit's work under the write lock, which the caller holds; wait for *ticket with
 * strata_store__wait_durable before treating the commit as durable. */
int strata_db__txn_commit_locked(strata_txn *t, strata_oid *manifest_out, uint64_t *ticket);
/* The database's write lock: write_mu, then the store's write lock (flock between processes,
 * and a refresh of the store: the caller sees every root any process published). Held by a
 * commit up to its publish, by tenant init and drop, strata_retention_set and GC's final step.
 * lock: 0 or the store's error (nothing held then). */
int strata_db__write_lock(strata_db *db);
void strata_db__write_unlock(strata_db *db);
/* The result of op i: the entry's new commit, or its unchanged head. */
const strata_oid *strata_db__txn_result(const strata_txn *t, size_t i);
/* Items the first (keyed) op of a committed transaction deleted. */
size_t strata_db__txn_items_deleted(const strata_txn *t);
/* Take the return value of item `item` of the transaction's first op (after commit). */
strata_value *strata_db__txn_take_item_result(strata_txn *t, size_t item);

/* Run one transaction on `entry` filled by fill(t, entry, arg); *out receives the entry's new
 * commit (or its unchanged head with STRATA_UNCHANGED). wo->expect_head becomes the
 * transaction's check. */
typedef int (*strata_db_fill_fn)(strata_txn *t, const char *entry, void *arg);
int strata_db__txn_one(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                       const strata_write_options *wo, strata_db_fill_fn fill, void *arg);

/* ==== query.c: the keyed-data iterator ====================================================== */

/* Records range [from, to) (either NULL: open) of the records entry whose head is `h`. */
int strata_db__records_iter(strata_iter **out, strata_db *db, const strata_db_head *h, const char *from, const char *to);

/* ==== The GC family: gc_state.c, autogc.c, gc.c, space.c, pins.c, retention.c, verify.c ====
 *
 * Garbage collection, snapshot pins, retention and the marks it leaves, space statistics and
 * verification. Each file calls only files listed below it (and the db layer's floor: view.c's
 * read points, commit.c, cache.c, kv.c, txn.c's locked commit), never one above it:
 *
 *   file          holds                                                  may call (family)
 *   gc_state.c    db->gc's lifetime: strata_db__gc_open/close            autogc, pins, space
 *   autogc.c      the automatic GC thread: strata_db_auto_gc             gc, space
 *   gc.c          a run: the mark phase, recording the cuts, the sweep;  pins, space, retention
 *                 strata_db_gc, strata_gc_options_init
 *   verify.c      strata_db__verify: every reachable object re-read      retention
 *   space.c       strata_db_stats, strata_tenant_usage, a run's figures  -
 *   pins.c        strata_snapshot_pin/unpin, the pin table               -
 *   retention.c   the hidden entry's codec (policies, truncation marks,  -
 *                 audit trail), strata_retention_*, the cut queries
 *
 * The hidden entry STRATA_DB_GC_ENTRY of a tenant holds its retention policies and the
 * truncation marks GC leaves (docs/gc.md "Retention", the settings value); entry names given to the
 * API can never be it (they may not contain control characters). */
#define STRATA_DB_GC_ENTRY "\x01gc"

/* gc_state.c: open creates db->gc, close stops the automatic GC thread first, then frees it. */
int strata_db__gc_open(strata_db *db);
void strata_db__gc_close(strata_db *db);

/* A pinned snapshot (pins.c). */
typedef struct strata_db_gc_pin {
    strata_oid moid;            /* the pinned manifest */
    char *tenant;               /* owned */
    uint64_t count;             /* pins taken and not yet released */
} strata_db_gc_pin;

/* What the last run measured for one tenant (space.c). */
typedef struct strata_db_gc_usage {
    char *tenant;               /* owned */
    uint64_t bytes, objects;    /* live bytes and objects reachable from the tenant */
} strata_db_gc_usage;

/* The GC family's per-handle state (db->gc). One mutex guards every field; each group of fields
 * belongs to the file named beside it, the others only read them as stated. */
typedef struct strata_db_gcstate {
    pthread_mutex_t mu;         /* every field below */
    /* pins.c (gc.c reads npins for a run's report) */
    STRATA_ARRAY(strata_db_gc_pin) pins;
    /* gc.c */
    int running;                /* a run is in progress */
    /* space.c, set at the end of a run by strata_db__space_record (autogc.c reads runs) */
    uint64_t runs;
    int64_t last_us;            /* UTC µs at the end of the last run */
    uint64_t last_freed;        /* segment bytes the last run freed */
    uint64_t live_bytes;        /* marked by the last run */
    uint64_t file_bytes_after;  /* segment bytes right after the last run */
    strata_db_gc_usage *usage;  /* per tenant, sorted by name */
    size_t nusage;
    /* autogc.c */
    pthread_t thread;
    int thread_on, stop;
    pthread_cond_t cond;        /* wakes the thread early (stop) */
    double auto_share;          /* run when dead bytes reach this share of the file bytes */
    unsigned auto_ms;           /* check this often */
    strata_gc_options auto_opt;
    int auto_last_rc;
} strata_db_gcstate;

/* gc.c: check a GC call's handle (not NULL, writable) and options (NULL: the defaults) and copy
 * them into *out. 0 or STRATA_EINVALID with a message naming `fn`. */
int strata_db__gc_options(strata_gc_options *out, strata_db *db, const strata_gc_options *opt, const char *fn);

/* autogc.c: stop the automatic GC thread, if any, and wait for it to end. */
void strata_db__autogc_stop(strata_db *db);

/* pins.c: a copy of the pin table taken under db->gc->mu (the run marks from it without the
 * lock). 0 and *out (free with strata_db__pins_free; may be empty) or STRATA_ENOMEM. */
int strata_db__pins_copy(strata_db *db, strata_db_gc_pin **out, size_t *n);
void strata_db__pins_free(strata_db_gc_pin *pins, size_t n);

/* space.c: publish a finished run's figures for strata_db_stats and strata_tenant_usage. Takes
 * ownership of `usage` (n items, any order; NULL with n == 0 when it could not be built). */
void strata_db__space_record(strata_db *db, strata_db_gc_usage *usage, size_t n, uint64_t freed,
                             uint64_t live_bytes, uint64_t file_bytes_after);
/* space.c: free the usage table (for strata_db__gc_close). */
void strata_db__space_clear(strata_db_gcstate *st);

/* retention.c: a retention policy, decoded. */
typedef struct strata_db_policy {
    int set;                    /* a limit is set (keep or age_s) */
    uint64_t keep;              /* keep this many newest commits; 0 = no count limit */
    int64_t age_s;              /* keep commits younger than this; 0 = no age limit */
    int audit;                  /* record what is dropped in the audit trail */
} strata_db_policy;

/* A horizon one GC run found for an entry: commits below gmin are dropped. */
typedef struct strata_db_horizon {
    char *name;                 /* entry name, owned */
    uint64_t gmin;              /* oldest kept generation (1 = nothing cut) */
} strata_db_horizon;

/* A commit one GC run drops under an audited policy. */
typedef struct strata_db_dropped {
    size_t entry;               /* index of the entry's horizon */
    strata_oid digest;
    strata_commit_rec c;
} strata_db_dropped;

/* What one GC run found for one tenant, to be recorded in its hidden entry. */
typedef struct strata_db_cuts {
    const strata_db_horizon *hz;     /* entries' horizons */
    size_t nhz;
    uint64_t manifest_gmin;          /* the manifest chain's horizon; 0 = none */
    const strata_db_dropped *dropped;/* collected newest first per entry */
    size_t ndropped;
} strata_db_cuts;

/* Load the hidden entry's value in the entries tree `entries` of `tenant` into *out (owned
 * bytes, replacing its content). 0 with out->len == 0 when the tenant has no settings;
 * STRATA_ECORRUPT when the entry or its value is malformed. */
int strata_db__retention_load(strata_db *db, const char *tenant, const strata_oid *entries, strata_buf *out);
/* Write `value` as the new value of the hidden entry of `tenant` through an ordinary commit.
 * The caller holds write_mu; returns after the commit is durable. STRATA_UNCHANGED when the
 * settings already were `value`. */
int strata_db__retention_commit(strata_db *db, const char *tenant, strata_slice value, const char *user,
                                const char *message, const char *origin, int64_t time_us, int tz,
                                const char *opdesc);
/* The policy of entry `name` (its own, else the tenant's; name NULL: the tenant's) in
 * `settings` (an empty slice: none). */
strata_db_policy strata_db__retention_policy(strata_slice settings, const void *name, size_t nlen);
/* 1 when policy p keeps the commit at `rank` (0 = head) made at time_us, else 0. */
int strata_db__retention_keeps(const strata_db_policy *p, uint64_t rank, int64_t time_us, int64_t now_us);
/* The cut recorded in `settings` for entry `name` (NULL: the manifest chain); 0 = none. */
uint64_t strata_db__retention_recorded_cut(strata_slice settings, const void *name, size_t nlen);
/* The horizon of entry `name` in hz[0..n), or NULL. */
const strata_db_horizon *strata_db__horizon_find(const strata_db_horizon *hz, size_t n, const void *name,
                                                 size_t nlen);
/* The settings `cur` with the cuts and audit records of one run merged in (cuts only rise; audit
 * lists are appended, oldest first) into *out (owned bytes, replacing its content); `seen` are
 * the settings the run marked with. *changed = 0 when nothing new needs recording. */
int strata_db__retention_marks(strata_buf *out, int *changed, strata_slice seen, strata_slice cur,
                               const strata_db_cuts *cuts);
/* The generation at which GC cut the history of `entry` (NULL: the tenant's manifest chain):
 * commits below it are beyond retention (they may or may not still be stored); 0 = never cut. */
uint64_t strata_db__gc_cut(strata_db *db, const char *tenant, const char *entry);
/* 1 when the tenant's manifest at `generation` is the start of its history because GC cut the
 * manifest chain there (the generation is at or below the recorded cut), else 0. */
int strata_db__gc_manifest_truncated(strata_db *db, const char *tenant, uint64_t generation);

/* verify.c: check every object reachable from every tenant root. */
int strata_db__verify(strata_db *db, uint64_t *problems);

/* kv.c, for the GC family: reachability walks over a tree. visit(oid, type) returns 0 to go on,
 * STRATA_DB_TREE_SKIP on a node to skip its subtree, or anything else to stop (returned). */
#define STRATA_DB_TREE_SKIP 1
#define STRATA_DB_TREE_MAX_KEY 2048u /* longest tree key (part of the format) */
typedef int (*strata_db_visit_cb)(const strata_oid *oid, uint8_t type, void *payload);
/* leaf(key, value or blob digest, blob) for every item of every leaf descended into. */
typedef int (*strata_db_leaf_cb)(const void *key, size_t klen, const void *val, size_t vlen, int blob,
                                 void *payload);
/* Every object reachable from root, a node before its children, shared subtrees once per
 * reference, nodes through the node cache (verify). */
int strata_db__tree_walk(strata_db *db, const strata_oid *root, strata_db_visit_cb visit, void *payload);
/* A pruning walk (the mark phase): STRATA_DB_TREE_SKIP leaves a subtree unread; leaf may be
 * NULL; nodes are read from the store, not the node cache. */
int strata_db__tree_walk_pruned(strata_db *db, const strata_oid *root, strata_db_visit_cb visit,
                                strata_db_leaf_cb leaf, void *payload);

/* ==== end of the GC family ==== */

#endif
