/* strata — an embedded, versioned, content-addressed document database.
 *
 * This is the one public header. Conventions (shared/STYLE.md, docs/errors.md):
 *  - fallible functions return int: 0 on success, a negative STRATA_E… code on failure;
 *  - the out-parameter comes first and is named `out`;
 *  - details of the last failure on this thread: strata_error_last();
 *  - every function that returns memory says who owns it.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(STRATA_BUILDING) && defined(__GNUC__)
#define STRATA_API __attribute__((visibility("default")))
#else
#define STRATA_API
#endif

/* ---- version ---------------------------------------------------------------------------- */

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0
#define STRATA_VERSION_STRING "0.1.0"

/* The library's version string at run time (static storage). */
STRATA_API const char *strata_version(void);

/* ---- errors ----------------------------------------------------------------------------- */

enum {
    STRATA_OK = 0,
    STRATA_ENOTFOUND = -1,  /* no such entry, key, object, digest, tenant */
    STRATA_EEXISTS = -2,    /* already exists */
    STRATA_ECONFLICT = -3,  /* optimistic check failed: a head moved */
    STRATA_EINVALID = -4,   /* bad argument, bad input (JSON, name, expression), misuse */
    STRATA_EBUSY = -5,      /* locked: the write lock past lock_wait_ms, a GC running, repair under an open handle */
    STRATA_ECORRUPT = -6,   /* data on disk fails a checksum or a structural check */
    STRATA_EVERSION = -7,   /* file written by an unknown format version */
    STRATA_ENOMEM = -8,     /* out of memory */
    STRATA_EIO = -9,        /* operating-system I/O failure */
    STRATA_ECONDITION = -10,/* a condition expression evaluated to false */
    STRATA_ITEROVER = -11,  /* an iterator has no more items (not a failure) */
    STRATA_ELIMIT = -12,    /* a size or depth limit was exceeded */
    STRATA_EPOISONED = -13  /* the transaction hit an error earlier; only abort works */
};

/* Details of the last failure on the calling thread. `message` is a one-line description
 * that names what was wrong; both stay valid until the next failing call on this thread. */
typedef struct strata_error {
    int code;
    const char *message;
} strata_error;

/* The calling thread's last error (never NULL; code 0 and "" when none was recorded). */
STRATA_API const strata_error *strata_error_last(void);

/* Forget the calling thread's last error. */
STRATA_API void strata_error_clear(void);

/* A short static description of an error code ("not found", …). */
STRATA_API const char *strata_strerror(int code);

/* ---- plain values ----------------------------------------------------------------------- */

/* A borrowed byte range. */
typedef struct strata_slice {
    const void *data;
    size_t len;
} strata_slice;

/* A SHA-256 object digest. */
#define STRATA_OID_SIZE 32
#define STRATA_OID_HEXSIZE 64
typedef struct strata_oid {
    unsigned char id[STRATA_OID_SIZE];
} strata_oid;

/* Write the 64 lowercase hex characters of `oid` and a NUL into `out` (65 bytes). */
STRATA_API void strata_oid_fmt(char out[STRATA_OID_HEXSIZE + 1], const strata_oid *oid);

/* Parse exactly 64 hex characters (either case) from `hex` into `out`.
 * Returns 0 or STRATA_EINVALID (with a message) when `hex` is not a digest. */
STRATA_API int strata_oid_parse(strata_oid *out, const char *hex);

/* ---- durability ------------------------------------------------------------------------- */

/* What a successful commit promises (docs/durability.md). */
typedef enum strata_durability {
    STRATA_DURABILITY_FULL = 0,   /* synced before the commit returns; survives power loss */
    STRATA_DURABILITY_NORMAL = 1, /* synced at intervals: never corrupt, may lose the last commits */
    STRATA_DURABILITY_OFF = 2     /* never synced by strata: survives a process crash only */
} strata_durability;


/* A successful write that changed nothing (a put of an identical value, a delete of a missing
 * key, an init of an existing tenant): no commit was made. Not an error. */
#define STRATA_UNCHANGED 1

/* Free memory that strata returned as owned (strings such as JSON output). NULL is fine. */
STRATA_API void strata_free(void *p);

/* ---- values ----------------------------------------------------------------------------- */

/* An immutable value (null, bool, number, string, binary, list, map, string/number/binary set)
 * held in strata's canonical binary encoding (docs/format.md). Owned by the caller: free with
 * strata_value_free. Equal values have equal bytes. */
typedef struct strata_value strata_value;
typedef struct strata_iter strata_iter; /* see "iterators" below */

/* Flags for JSON input and output. */
#define STRATA_JSON_PRETTY 1u   /* output: indented, one member per line */
#define STRATA_JSON_DYNAMODB 2u /* DynamoDB's typed JSON ({"S": "x"}, {"N": "1"}, …) */
#define STRATA_JSON_ITEM 4u     /* with DYNAMODB: a top-level map of name → AttributeValue */

/* Parse `len` bytes of JSON (plain RFC 8259, or DynamoDB JSON with STRATA_JSON_DYNAMODB).
 * Numbers are exact decimals (up to 38 significant digits). Errors: STRATA_EINVALID with
 * "line:column: what was expected", STRATA_ELIMIT (depth or size), STRATA_ENOMEM. */
STRATA_API int strata_value_from_json(strata_value **out, const char *json, size_t len,
                                      unsigned int flags);

/* Adopt canonical binary bytes (validated; copied). STRATA_EINVALID when not canonical. */
STRATA_API int strata_value_from_bytes(strata_value **out, const void *data, size_t len);

/* The value's canonical bytes, borrowed from `v` (valid until strata_value_free). */
STRATA_API strata_slice strata_value_bytes(const strata_value *v);

/* Render as JSON (STRATA_JSON_PRETTY / STRATA_JSON_DYNAMODB / STRATA_JSON_ITEM). *out is owned
 * and NUL-terminated (free with strata_free); *len (optional) excludes the NUL. Plain JSON renders
 * binary as base64 strings and sets as arrays (docs/values.md). */
STRATA_API int strata_value_to_json(char **out, size_t *len, const strata_value *v,
                                    unsigned int flags);

/* The kinds of values (strata_value_type). */
typedef enum strata_type {
    STRATA_TYPE_NULL = 0,
    STRATA_TYPE_BOOL = 1,
    STRATA_TYPE_NUMBER = 3,
    STRATA_TYPE_STRING = 4,
    STRATA_TYPE_BINARY = 5,
    STRATA_TYPE_LIST = 6,
    STRATA_TYPE_MAP = 7,
    STRATA_TYPE_STRING_SET = 8,
    STRATA_TYPE_NUMBER_SET = 9,
    STRATA_TYPE_BINARY_SET = 10
} strata_type;

/* The value's type (a strata_type), or STRATA_EINVALID for NULL. */
STRATA_API int strata_value_type(const strata_value *v);

/* The sub-value at document path `path` (`name`, `a.b[2].c`, `[0]`; a `\` escapes the next
 * character of a key) as a new owned value, found without decoding the rest of `v`.
 * STRATA_ENOTFOUND when the path does not exist in v; STRATA_EINVALID for a malformed path. */
STRATA_API int strata_value_get(strata_value **out, const strata_value *v, const char *path);

/* 1 when a and b are the same value, else 0. */
STRATA_API int strata_value_equal(const strata_value *a, const strata_value *b);

STRATA_API void strata_value_free(strata_value *v);

/* Reading a value's parts. Each fails with STRATA_EINVALID (with a message) when v is NULL or of
 * another type; what they return is borrowed from v (valid until strata_value_free). */

/* The number of members of a list, map or set. */
STRATA_API int strata_value_count(size_t *out, const strata_value *v);
/* Iterate over the members of a list, map or set in stored order (lists: by index; maps and
 * sets: by key/member bytes). strata_iter_key gives a map member's name (empty for lists and
 * sets), strata_iter_value the member; both borrowed until the next strata_iter_next. The
 * iterator borrows v: free it before v. */
STRATA_API int strata_value_members(strata_iter **out, const strata_value *v);
STRATA_API int strata_value_bool(int *out, const strata_value *v);
/* A string's UTF-8 bytes or a binary's bytes (not NUL-terminated). */
STRATA_API int strata_value_string(strata_slice *out, const strata_value *v);
STRATA_API int strata_value_binary(strata_slice *out, const strata_value *v);
/* A number as its shortest exact text in JSON number syntax, NUL-terminated (at most
 * STRATA_NUMBER_TEXT_MAX bytes with the NUL): plain notation when 1e-6 <= |n| < 1e40 ("1000",
 * "-0.25"), otherwise "d.dddE+x". */
#define STRATA_NUMBER_TEXT_MAX 96
STRATA_API int strata_value_number_text(char out[STRATA_NUMBER_TEXT_MAX], const strata_value *v);
/* A number as int64 (STRATA_EINVALID when it has a fraction or lies outside int64's range), or
 * as the nearest double (for display: doubles are never used for storage or arithmetic). */
STRATA_API int strata_value_int64(int64_t *out, const strata_value *v);
STRATA_API int strata_value_double(double *out, const strata_value *v);

/* Building values without JSON: calls in document order, e.g. for {"n": 1, "tags": ["a"]}:
 *     strata_builder_begin(b, STRATA_TYPE_MAP);
 *     strata_builder_key(b, "n", 1);    strata_builder_int64(b, 1);
 *     strata_builder_key(b, "tags", 4); strata_builder_begin(b, STRATA_TYPE_LIST);
 *     strata_builder_string(b, "a", 1); strata_builder_end(b);
 *     strata_builder_end(b);            strata_builder_finish(&value, b);
 * Map members may come in any order (a duplicate name fails, at the latest at the map's end); set members in
 * any order (duplicates and empty sets fail). Strings and names must be UTF-8. After any error
 * the builder refuses everything (STRATA_EINVALID) until strata_builder_finish or _free. */
typedef struct strata_builder strata_builder;

STRATA_API int strata_builder_new(strata_builder **out);
STRATA_API void strata_builder_free(strata_builder *b);
/* Inside a map: the name of the next member. */
STRATA_API int strata_builder_key(strata_builder *b, const char *name, size_t len);
STRATA_API int strata_builder_null(strata_builder *b);
STRATA_API int strata_builder_bool(strata_builder *b, int v);
STRATA_API int strata_builder_int64(strata_builder *b, int64_t v);
/* An exact decimal number from text: an optional sign, digits with an optional '.' fraction (at
 * least one digit; leading zeros, "1." and ".5" are accepted), an optional exponent; up to 38
 * significant digits ("12", "-0.5", "1e3"). */
STRATA_API int strata_builder_number(strata_builder *b, const char *text, size_t len);
STRATA_API int strata_builder_string(strata_builder *b, const char *s, size_t len);
STRATA_API int strata_builder_binary(strata_builder *b, const void *p, size_t len);
/* A copy of an existing value as the next member. */
STRATA_API int strata_builder_value(strata_builder *b, const strata_value *v);
/* Open a container: STRATA_TYPE_LIST, _MAP, _STRING_SET, _NUMBER_SET or _BINARY_SET. */
STRATA_API int strata_builder_begin(strata_builder *b, int type);
STRATA_API int strata_builder_end(strata_builder *b);
/* The finished value (owned; exactly one top-level value, every container closed). The builder
 * is then empty and may be reused; on failure it is emptied too. */
STRATA_API int strata_builder_finish(strata_value **out, strata_builder *b);

/* ---- database --------------------------------------------------------------------------- */

typedef struct strata_db strata_db;
typedef struct strata_commit strata_commit; /* see "commits" below */

typedef struct strata_db_options {
    unsigned int version;          /* STRATA_DB_OPTIONS_VERSION */
    int create;                    /* create the database when missing (default 1) */
    int read_only;                 /* open as a reader: never writes, never blocks the writer */
    strata_durability durability;  /* default STRATA_DURABILITY_FULL */
    size_t cache_bytes;            /* decoded-node cache budget; 0 = 256 MiB */
    int lock_wait_ms;              /* the write lock, taken per commit: 0 or <0 wait for it, >0 wait
                                      at most that long, then STRATA_EBUSY (docs/concurrency.md) */
    /* version 2: */
    int compress_level;            /* zstd level for new objects that shrink (1..19); 0 = the
                                      default (zstd's fast level -1); < 0 = store new objects
                                      uncompressed (GC still compresses what it rewrites);
                                      > 19: STRATA_EINVALID */
} strata_db_options;

/* Version 1 ends at lock_wait_ms; callers built against it keep working (the library reads and
 * writes only the fields their version has). */
#define STRATA_DB_OPTIONS_VERSION 2
#define STRATA_DB_OPTIONS_INIT {STRATA_DB_OPTIONS_VERSION, 1, 0, STRATA_DURABILITY_FULL, 0, 0, 0}

/* Fill `opt` with defaults. STRATA_EINVALID for an unknown version. */
STRATA_API int strata_db_options_init(strata_db_options *opt, unsigned int version);

/* The path that opens an in-memory database (SQLite's ":memory:"): each open makes a new, empty
 * database with the same engine on the vfs's in-memory namespace — no files, never durable —
 * that is gone at strata_db_close. It cannot be read-only; other handles cannot open it. */
#define STRATA_MEMORY ":memory:"

/* Open the database in directory `path` (NULL: "./.strata"; STRATA_MEMORY: a new in-memory
 * database). opt may be NULL (defaults).
 * Any number of handles, in any processes, may open it read-write: a commit takes the write lock
 * only for its own duration (docs/concurrency.md). The handle is safe to share between threads.
 * Errors: STRATA_ENOTFOUND (missing and not
 * create), STRATA_EBUSY, STRATA_ECORRUPT, STRATA_EVERSION, STRATA_EIO, STRATA_ENOMEM. */
STRATA_API int strata_db_open(strata_db **out, const char *path, const strata_db_options *opt);

/* Close the handle (NULL is fine). Every iterator and transaction must be freed first. */
STRATA_API void strata_db_close(strata_db *db);

/* Re-hash every stored object and check every index and root. 0 when clean, else
 * STRATA_ECORRUPT with the first problem in the message; `problems` (optional) gets the count. */
STRATA_API int strata_db_verify(uint64_t *problems, strata_db *db);

/* ---- who, when, why: write options ------------------------------------------------------ */

#define STRATA_TZ_LOCAL (-32768) /* tz_offset_min: use the machine's local offset */

typedef struct strata_write_options {
    unsigned int version;          /* STRATA_WRITE_OPTIONS_VERSION */
    const char *user;              /* who (NULL: "") */
    const char *message;           /* why (NULL: "") */
    const char *origin;            /* from where: an application, host, request id (NULL: "") */
    int64_t time_us;               /* when, UTC microseconds since 1970; 0 = now */
    int tz_offset_min;             /* the writer's UTC offset in minutes, or STRATA_TZ_LOCAL */
    const strata_oid *expect_head; /* optimistic check: commit only if the entry's head is this
                                      digest (an all-zero digest: only if the entry does not
                                      exist); else STRATA_ECONFLICT. NULL: no check. */
} strata_write_options;

#define STRATA_WRITE_OPTIONS_VERSION 1
#define STRATA_WRITE_OPTIONS_INIT {STRATA_WRITE_OPTIONS_VERSION, NULL, NULL, NULL, 0, STRATA_TZ_LOCAL, NULL}

STRATA_API int strata_write_options_init(strata_write_options *opt, unsigned int version);

/* What to read: the head (all fields zero/NULL), a past commit of the entry (`at`), the state at
 * a time (`as_of_us`), or a tenant snapshot (a manifest digest). At most one may be set. */
typedef struct strata_read_options {
    unsigned int version;        /* STRATA_READ_OPTIONS_VERSION */
    const strata_oid *at;        /* a commit digest from this entry's history */
    int64_t as_of_us;            /* the latest commit at or before this UTC time (µs) */
    const strata_oid *snapshot;  /* a manifest digest of this tenant (strata_tenant_snapshot) */
} strata_read_options;

#define STRATA_READ_OPTIONS_VERSION 1
#define STRATA_READ_OPTIONS_INIT {STRATA_READ_OPTIONS_VERSION, NULL, 0, NULL}

STRATA_API int strata_read_options_init(strata_read_options *opt, unsigned int version);

/* ---- tenants ---------------------------------------------------------------------------- */

/* Names of tenants, entries and record keys are data, never paths: any UTF-8 string of 1–255
 * bytes without control characters. Anything else is STRATA_EINVALID with a message. */

/* 0 when `name` is a valid tenant, entry or record-key name, else STRATA_EINVALID with a message
 * that says why. */
STRATA_API int strata_name_check(const char *name);

/* Create tenant `tenant`. 0 when created, STRATA_UNCHANGED when it already exists. */
STRATA_API int strata_tenant_init(strata_db *db, const char *tenant, const strata_write_options *wo);

/* 1 when the tenant exists (and is not dropped), 0 when not, or a negative error. */
STRATA_API int strata_tenant_exists(strata_db *db, const char *tenant);

/* Drop a tenant: it disappears from the API at once; its bytes are reclaimed by GC later.
 * STRATA_ENOTFOUND when it does not exist. */
STRATA_API int strata_tenant_drop(strata_db *db, const char *tenant, const strata_write_options *wo);

/* Iterate over the tenants' names in byte order (dropped tenants are left out). */
STRATA_API int strata_tenant_list(strata_iter **out, strata_db *db);

/* The tenant's manifest digest now (as_of_us = 0) or at a past time: a snapshot usable in
 * strata_read_options.snapshot. STRATA_ENOTFOUND when the tenant did not exist then. */
STRATA_API int strata_tenant_snapshot(strata_oid *out, strata_db *db, const char *tenant,
                                      int64_t as_of_us);

/* ---- iterators -------------------------------------------------------------------------- */

/* One iterator type for every listing: tenants and entries (key = name), records (key, value),
 * history (commit), diffs (key, old value, new value). Call strata_iter_next before reading the
 * first item. What the accessors return is borrowed until the next strata_iter_next/free. */

/* 0: positioned on the next item; STRATA_ITEROVER: no more; < 0: an error. */
STRATA_API int strata_iter_next(strata_iter *it);
/* The current item's key or name (records: the record key; diffs: the changed key). */
STRATA_API strata_slice strata_iter_key(const strata_iter *it);
/* The current value (diffs: the new value, NULL when deleted). */
STRATA_API const strata_value *strata_iter_value(const strata_iter *it);
/* Diffs: the old value (NULL when added). Other iterators: NULL. */
STRATA_API const strata_value *strata_iter_old_value(const strata_iter *it);
/* History: the current commit. Other iterators: NULL. */
STRATA_API const strata_commit *strata_iter_commit(const strata_iter *it);
STRATA_API void strata_iter_free(strata_iter *it);

/* ---- entries ---------------------------------------------------------------------------- */

typedef enum strata_entry_kind {
    STRATA_ENTRY_DOCUMENT = 1, /* one value, replaced whole (save / load) */
    STRATA_ENTRY_RECORDS = 2,  /* keyed records: put / get / delete with a string key */
    STRATA_ENTRY_TABLE = 3     /* items with a key schema (tables) */
} strata_entry_kind;

/* 1 when the entry exists in the tenant (at the read point), 0 when not, or a negative error. */
STRATA_API int strata_entry_exists(strata_db *db, const char *tenant, const char *entry,
                             const strata_read_options *ro);

/* The entry's commit digest at the read point. STRATA_ENOTFOUND. */
STRATA_API int strata_entry_head(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                           const strata_read_options *ro);

/* The entry's kind (strata_entry_kind) or a negative error. */
STRATA_API int strata_entry_kind_of(strata_db *db, const char *tenant, const char *entry,
                                    const strata_read_options *ro);

/* Iterate over the tenant's entry names in byte order. */
STRATA_API int strata_entry_list(strata_iter **out, strata_db *db, const char *tenant,
                              const strata_read_options *ro);

/* ---- documents -------------------------------------------------------------------------- */

/* Save `value` as the new version of document entry `entry`; *out (optional) receives the new
 * commit digest. Saving the value the entry already holds makes no commit: STRATA_UNCHANGED and
 * *out is the current head. STRATA_EINVALID when the entry holds records or a table. */
STRATA_API int strata_document_save(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                           const strata_value *value, const strata_write_options *wo);

/* Load the document at the read point. *out is owned (strata_value_free). */
STRATA_API int strata_document_load(strata_value **out, strata_db *db, const char *tenant,
                           const char *entry, const strata_read_options *ro);

/* ---- keyed records ---------------------------------------------------------------------- */

/* Set record `key` of records entry `entry` (created on first put) in one commit. *out
 * (optional): the new commit digest, or the unchanged head with STRATA_UNCHANGED when the record
 * already held that value. STRATA_EINVALID when the entry is a document or a table. */
STRATA_API int strata_records_put(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                          const char *key, const strata_value *value,
                          const strata_write_options *wo);

/* Set n records in one commit; later duplicates of a key win. STRATA_UNCHANGED when no record
 * changed. */
STRATA_API int strata_records_put_many(strata_oid *out, strata_db *db, const char *tenant,
                               const char *entry, const char *const *keys,
                               const strata_value *const *values, size_t n,
                               const strata_write_options *wo);

/* Delete records in one commit. STRATA_UNCHANGED when none existed. */
STRATA_API int strata_records_delete(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                             const char *key, const strata_write_options *wo);
STRATA_API int strata_records_delete_many(strata_oid *out, strata_db *db, const char *tenant,
                                  const char *entry, const char *const *keys, size_t n,
                                  const strata_write_options *wo);

/* One record at the read point (owned). STRATA_ENOTFOUND when the entry or the key is missing. */
STRATA_API int strata_records_get(strata_value **out, strata_db *db, const char *tenant, const char *entry,
                          const char *key, const strata_read_options *ro);

/* All records at the read point as one map value key → value (owned). */
STRATA_API int strata_records_get_all(strata_value **out, strata_db *db, const char *tenant,
                              const char *entry, const strata_read_options *ro);

/* Iterate over the records in key order (key, value). */
STRATA_API int strata_records_list(strata_iter **out, strata_db *db, const char *tenant,
                              const char *entry, const strata_read_options *ro);

/* Iterate over the records whose keys k satisfy from <= k < to (bytewise order of the UTF-8
 * keys; either bound may be NULL: unbounded). Seeking to `from` costs O(log n). */
STRATA_API int strata_records_range(strata_iter **out, strata_db *db, const char *tenant,
                                    const char *entry, const char *from, const char *to,
                                    const strata_read_options *ro);

/* ---- commits, history, diff, restore ---------------------------------------------------- */

/* Read a commit of this tenant by digest (owned, strata_commit_free). STRATA_ENOTFOUND when no
 * such commit exists in this tenant (commits of other tenants are not visible). */
STRATA_API int strata_commit_lookup(strata_commit **out, strata_db *db, const char *tenant,
                                    const strata_oid *digest);
STRATA_API void strata_commit_free(strata_commit *c);

/* Accessors: strings are borrowed from the commit and NUL-terminated. */
STRATA_API const strata_oid *strata_commit_digest(const strata_commit *c);
STRATA_API const char *strata_commit_entry(const strata_commit *c);
STRATA_API int strata_commit_kind(const strata_commit *c);            /* strata_entry_kind */
STRATA_API const char *strata_commit_user(const strata_commit *c);
STRATA_API const char *strata_commit_message(const strata_commit *c);
STRATA_API const char *strata_commit_origin(const strata_commit *c);
/* What the commit did, e.g. "save", "put 3, delete 1", "restore <digest>". */
STRATA_API const char *strata_commit_operation(const strata_commit *c);
STRATA_API int64_t strata_commit_time_us(const strata_commit *c);      /* UTC µs since 1970 */
STRATA_API int strata_commit_tz_offset_min(const strata_commit *c);
STRATA_API uint64_t strata_commit_generation(const strata_commit *c);  /* 1 for the first */
STRATA_API size_t strata_commit_parent_count(const strata_commit *c);
STRATA_API const strata_oid *strata_commit_parent(const strata_commit *c, size_t i);
/* The digest of the commit's content: the document's value object or the records' tree root. */
STRATA_API const strata_oid *strata_commit_data(const strata_commit *c);

/* Format the commit time in the writer's offset: "YYYYMMDD HH:MM:SS +zzzz" (compact,
 * STRATA_TIME_COMPACT) or ISO 8601 "YYYY-MM-DDTHH:MM:SS.ffffff+zz:zz" (STRATA_TIME_ISO). */
#define STRATA_TIME_COMPACT 0
#define STRATA_TIME_ISO 1
STRATA_API int strata_commit_format_time(char out[40], const strata_commit *c, int style);

/* The entry's commits newest first, starting at `from` (NULL: the head) — at most max_items
 * (0: no limit). Costs what it walks. */
STRATA_API int strata_entry_history(strata_iter **out, strata_db *db, const char *tenant,
                              const char *entry, const strata_oid *from, size_t max_items);

/* What changed in `entry` from commit `a` to commit `b` (b NULL: the head): records/tables give
 * one item per changed key in key order (key, old, new); documents give one item with an empty
 * key when the value changed. Costs what changed, not the size of the entry. */
STRATA_API int strata_entry_diff(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
                           const strata_oid *a, const strata_oid *b);

/* Make a new commit whose content equals commit `digest` of this entry; history is kept.
 * STRATA_UNCHANGED when the head already has that content. */
STRATA_API int strata_entry_restore(strata_oid *out, strata_db *db, const char *tenant,
                              const char *entry, const strata_oid *digest,
                              const strata_write_options *wo);

/* ---- transactions ----------------------------------------------------------------------- */

/* Changes to several entries of one tenant, committed atomically (one manifest swap) with one
 * set of write options. Operations that fail poison the transaction: later calls return
 * STRATA_EPOISONED. strata_txn_commit and strata_txn_abort both free the transaction. */
typedef struct strata_txn strata_txn;

STRATA_API int strata_txn_begin(strata_txn **out, strata_db *db, const char *tenant,
                                const strata_write_options *wo);
STRATA_API int strata_txn_save(strata_txn *txn, const char *entry, const strata_value *value);
STRATA_API int strata_txn_put(strata_txn *txn, const char *entry, const char *key,
                              const strata_value *value);
STRATA_API int strata_txn_delete(strata_txn *txn, const char *entry, const char *key);
/* Optimistic check: commit only if `entry`'s head is still `head` at commit time (NULL or an
 * all-zero digest: only if the entry does not exist), else STRATA_ECONFLICT. */
STRATA_API int strata_txn_expect_head(strata_txn *txn, const char *entry, const strata_oid *head);
/* Commit: *out (optional) receives the tenant's new manifest digest. STRATA_UNCHANGED when
 * nothing changed. Frees txn whatever the outcome. */
STRATA_API int strata_txn_commit(strata_oid *out, strata_txn *txn);
STRATA_API void strata_txn_abort(strata_txn *txn);

/* ---- tables ----------------------------------------------------------------------------- */

/* A table entry holds items (maps) addressed by a partition-key attribute and an optional
 * sort-key attribute, queried like DynamoDB (docs/tables.md). Key attribute values are strings,
 * numbers or binary. Expressions use DynamoDB's grammar (docs/expressions.md): names and values
 * placeholders come as map values ({"#n": "attr"}, {":v": value}) or NULL. */

typedef struct strata_table_schema {
    unsigned int version; /* STRATA_TABLE_SCHEMA_VERSION */
    const char *pk;       /* partition-key attribute name (required) */
    const char *sk;       /* sort-key attribute name, or NULL */
    const char *ttl;      /* TTL attribute (a number: expiry in seconds since 1970), or NULL */
} strata_table_schema;

#define STRATA_TABLE_SCHEMA_VERSION 1
#define STRATA_TABLE_SCHEMA_INIT {STRATA_TABLE_SCHEMA_VERSION, NULL, NULL, NULL}

STRATA_API int strata_table_schema_init(strata_table_schema *schema, unsigned int version);

/* Create table `entry`. STRATA_EEXISTS when the entry exists. *out: the table's first commit. */
STRATA_API int strata_table_create(strata_oid *out, strata_db *db, const char *tenant,
                                   const char *entry, const strata_table_schema *schema,
                                   const strata_write_options *wo);

/* The table's schema as a map value {"pk": "...", "sk": "...", "ttl": "...", "count": n}
 * (sk/ttl only when set; count is the number of stored items, expired ones included). */
STRATA_API int strata_table_describe(strata_value **out, strata_db *db, const char *tenant,
                                     const char *entry, const strata_read_options *ro);

#define STRATA_RETURN_NONE 0    /* return nothing */
#define STRATA_RETURN_ALL_OLD 1 /* the item as it was before the write (NULL when absent) */
#define STRATA_RETURN_ALL_NEW 2 /* the item as it is after the write (NULL when deleted) */

/* Options of one item write. */
typedef struct strata_item_options {
    unsigned int version;       /* STRATA_ITEM_OPTIONS_VERSION */
    const char *condition;      /* must hold on the current item, else STRATA_ECONDITION */
    const strata_value *names;  /* {"#n": "attr", …} or NULL */
    const strata_value *values; /* {":v": value, …} or NULL */
    int return_values;          /* STRATA_RETURN_* */
} strata_item_options;

#define STRATA_ITEM_OPTIONS_VERSION 1
#define STRATA_ITEM_OPTIONS_INIT {STRATA_ITEM_OPTIONS_VERSION, NULL, NULL, NULL, STRATA_RETURN_NONE}

STRATA_API int strata_item_options_init(strata_item_options *opt, unsigned int version);

/* Replace (or create) the item with item's key; `item` is a map holding the key attributes.
 * *out (optional) receives what io->return_values asks for (NULL when there is none; owned).
 * STRATA_UNCHANGED when the item already was exactly this. STRATA_ECONDITION when the condition
 * does not hold (nothing changes). */
STRATA_API int strata_table_put_item(strata_value **out, strata_db *db, const char *tenant,
                               const char *entry, const strata_value *item,
                               const strata_item_options *io, const strata_write_options *wo);

/* Delete the item with `key` (a map of the key attributes). Deleting a missing item is not an
 * error: STRATA_UNCHANGED. With STRATA_RETURN_ALL_OLD, *out receives the deleted item. */
STRATA_API int strata_table_delete_item(strata_value **out, strata_db *db, const char *tenant,
                                  const char *entry, const strata_value *key,
                                  const strata_item_options *io, const strata_write_options *wo);

/* Apply update expression `update` (SET, REMOVE, ADD, DELETE) to the item with `key`, creating
 * it when absent. Key attributes cannot be updated (STRATA_EINVALID). With ALL_OLD/ALL_NEW, *out
 * receives the item before/after. STRATA_UNCHANGED when the item did not change. */
STRATA_API int strata_table_update_item(strata_value **out, strata_db *db, const char *tenant,
                                  const char *entry, const strata_value *key, const char *update,
                                  const strata_item_options *io, const strata_write_options *wo);

/* The item with `key` at the read point (owned). `projection` (optional) keeps only the listed
 * paths, with `names` for its #placeholders. STRATA_ENOTFOUND when absent or expired. */
STRATA_API int strata_table_get_item(strata_value **out, strata_db *db, const char *tenant,
                               const char *entry, const strata_value *key, const char *projection,
                               const strata_value *names, const strata_read_options *ro);

/* A query or a scan. */
typedef struct strata_query_options {
    unsigned int version;          /* STRATA_QUERY_OPTIONS_VERSION */
    const char *key_condition;     /* query: partition key equality [AND sort key condition] */
    const char *filter;            /* applied after reading; items failing it are not returned */
    const char *projection;        /* keep only these paths */
    const strata_value *names;     /* {"#n": "attr"} or NULL */
    const strata_value *values;    /* {":v": value} or NULL */
    int reverse;                   /* query: descending sort key */
    size_t limit;                  /* items to read (before the filter, like DynamoDB); 0 = all */
    const strata_value *start_key; /* continue after this key (a LastEvaluatedKey) or NULL */
    unsigned int segment;          /* scan: this segment of total_segments */
    unsigned int total_segments;   /* scan: 0 or 1 = the whole table */
} strata_query_options;

#define STRATA_QUERY_OPTIONS_VERSION 1
#define STRATA_QUERY_OPTIONS_INIT {STRATA_QUERY_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0}

STRATA_API int strata_query_options_init(strata_query_options *opt, unsigned int version);

/* Open an iterator over the items of one partition (query) or of the table (scan), in key
 * order. strata_iter_value gives each returned item. A query is a range scan of the tree: it
 * never reads other partitions. Expired items are skipped. Errors in expressions are
 * STRATA_EINVALID with the offending position. */
STRATA_API int strata_table_query(strata_iter **out, strata_db *db, const char *tenant,
                            const char *entry, const strata_query_options *q, const strata_read_options *ro);
STRATA_API int strata_table_scan(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
                           const strata_query_options *q, const strata_read_options *ro);

/* After a query/scan iterator returned STRATA_ITEROVER: the key of the last item read when the
 * limit stopped it before the end (DynamoDB's LastEvaluatedKey; owned), else STRATA_ENOTFOUND. */
STRATA_API int strata_iter_last_key(strata_value **out, const strata_iter *it);
/* Items returned so far (Count) and items read so far (ScannedCount). */
STRATA_API uint64_t strata_iter_count(const strata_iter *it);
STRATA_API uint64_t strata_iter_scanned_count(const strata_iter *it);

/* Batch writes: table item puts and deletes inside a transaction (one commit for all, applied
 * in order; the last write to a key wins). */
STRATA_API int strata_txn_put_item(strata_txn *txn, const char *entry, const strata_value *item);
STRATA_API int strata_txn_delete_item(strata_txn *txn, const char *entry, const strata_value *key);

/* Delete every item of the table whose TTL attribute lies before `now_s` (seconds since 1970;
 * 0 = now) in one commit made by user "ttl". *removed (optional) gets the count;
 * STRATA_UNCHANGED when nothing expired. */
STRATA_API int strata_table_sweep_ttl(uint64_t *removed, strata_db *db, const char *tenant,
                                      const char *entry, int64_t now_s);

/* ---- change listeners ------------------------------------------------------------------- */

/* Called once per changed item after a commit is durable: key is the record key (records: a
 * string value; tables: a map of the key attributes; documents: NULL); old/new are NULL when the
 * item was created/deleted. Return nonzero to report a failure: it is counted and ignored — a
 * listener neither undoes nor blocks the commit. Listeners run on the committing thread. */
typedef int (*strata_listener_fn)(const char *tenant, const char *entry, const strata_value *key,
                                  const strata_value *old_value, const strata_value *new_value,
                                  void *payload);

/* Register a listener; *out receives an id for strata_listener_remove. */
STRATA_API int strata_listener_add(uint64_t *out, strata_db *db, strata_listener_fn fn, void *payload);
STRATA_API int strata_listener_remove(strata_db *db, uint64_t id);
/* Listener calls that reported failure since open. */
STRATA_API uint64_t strata_listener_failures(strata_db *db);

/* Diff iterators over tables: the changed item's key as a value (a map of the key attributes;
 * records: a string). NULL for other iterators. */
STRATA_API const strata_value *strata_iter_key_value(const strata_iter *it);

/* ---- space: GC and retention ------------------------------------------------------------ */

/* strata never rewrites history by itself: space is reclaimed only by a GC run (docs/gc.md).
 * A run marks every object reachable from every tenant's current manifest — the manifest
 * chain, entries trees, commit chains, data trees and values — within the retention policies,
 * plus everything reachable from pinned snapshots, then rewrites sealed segments whose dead
 * share passes a threshold and deletes the old files. Readers and writers keep working during a
 * run; a crash at any point loses nothing. Dropped tenants and superseded data become garbage
 * only through GC: until then nothing changes. */

/* Progress of a run, passed to strata_gc_options.progress. */
typedef struct strata_gc_progress {
    const char *phase; /* "mark", "copy" or "finish" */
    uint64_t done;     /* mark: objects marked so far; copy: segments examined */
    uint64_t total;    /* copy: candidate segments; otherwise 0 */
} strata_gc_progress;

typedef struct strata_gc_options {
    unsigned int version;  /* STRATA_GC_OPTIONS_VERSION */
    double min_dead_share; /* rewrite a sealed segment when at least this share of its bytes is
                              dead (0 = default 0.25; a tiny value rewrites anything with garbage) */
    int compress_level;    /* zstd level for rewritten objects stored uncompressed (0 = 9, <0 = off) */
    /* called now and then; a nonzero return stops the run, which then deletes nothing and
     * returns that value */
    int (*progress)(const strata_gc_progress *p, void *payload);
    void *payload;
} strata_gc_options;

#define STRATA_GC_OPTIONS_VERSION 1
#define STRATA_GC_OPTIONS_INIT {STRATA_GC_OPTIONS_VERSION, 0, 0, NULL, NULL}

STRATA_API int strata_gc_options_init(strata_gc_options *opt, unsigned int version);

/* What a run did. Bytes are bytes of segment files on disk. */
typedef struct strata_gc_report {
    uint64_t live_objects;    /* objects marked live */
    uint64_t live_bytes;      /* their records' bytes on disk */
    uint64_t segments_before; /* sealed segments when the run began */
    uint64_t segments_swept;  /* rewritten and deleted */
    uint64_t objects_copied;  /* live objects moved out of swept segments */
    uint64_t bytes_copied;
    uint64_t bytes_before;    /* segment file bytes before and after the run */
    uint64_t bytes_after;
    uint64_t pinned;          /* pinned snapshots honoured */
    uint64_t truncated;       /* entries (and tenant manifest chains) whose history retention cut */
    int64_t duration_us;      /* whole run */
    int64_t blocked_us;       /* the final step, during which commits wait */
} strata_gc_report;

/* Run a GC now (one at a time per database: a second concurrent call gets STRATA_EBUSY).
 * opt and out may be NULL. A reachable object that is missing or damaged stops the run before
 * anything is deleted (STRATA_ECORRUPT / STRATA_ENOTFOUND naming it). Read-only handles get
 * STRATA_EINVALID. */
STRATA_API int strata_db_gc(strata_gc_report *out, strata_db *db, const strata_gc_options *opt);

/* Pin a tenant snapshot (a manifest digest of `tenant`, e.g. from strata_tenant_snapshot): until
 * unpinned (or the handle closes), GC keeps everything a read at that snapshot can reach — its
 * entries and every entry's head commit and data — even past retention or after the tenant was
 * dropped. Pins nest (count). Readers that read at the head need no pin: see docs/gc.md for the
 * exact promise. STRATA_ENOTFOUND when the snapshot is not a manifest of that tenant. */
STRATA_API int strata_snapshot_pin(strata_db *db, const char *tenant, const strata_oid *snapshot);
STRATA_API int strata_snapshot_unpin(strata_db *db, const strata_oid *snapshot);

/* Retention: how much history GC keeps, per tenant (entry NULL) or per entry (overriding the
 * tenant's). keep_commits > 0 keeps the newest keep_commits commits of an entry; keep_age_s > 0
 * keeps commits younger than that many seconds (at GC time); with both, a commit is kept when
 * either keeps it; the head is always kept; 0 and 0 removes the policy (keep everything).
 * A tenant policy also bounds the tenant's manifest chain (snapshots and as_of reads) the same
 * way. With `audit` nonzero, GC records who/when/why/what of every commit it drops (readable
 * with strata_retention_audit). Policies are stored durably in the tenant (a commit of its own,
 * made with `wo`'s who/why) and take effect at the next GC. Kept commits keep their digests:
 * the oldest kept commit's parent is simply gone, and history ends there (docs/gc.md). */
STRATA_API int strata_retention_set(strata_db *db, const char *tenant, const char *entry,
                                    uint64_t keep_commits, int64_t keep_age_s, int audit,
                                    const strata_write_options *wo);
/* The policy in force for (tenant, entry) — the entry's own, else the tenant's (entry NULL: the
 * tenant's). STRATA_ENOTFOUND when none. Any out pointer may be NULL. */
STRATA_API int strata_retention_get(uint64_t *keep_commits, int64_t *keep_age_s, int *audit,
                                    strata_db *db, const char *tenant, const char *entry);
/* 1 when GC has cut the history of `entry` (its oldest kept commit has generation > 1 and its
 * parent is gone), 0 when not; *oldest_generation (optional) receives the generation below
 * which commits may be missing. */
STRATA_API int strata_retention_truncated(uint64_t *oldest_generation, strata_db *db,
                                          const char *tenant, const char *entry);
/* The audit trail of commits GC dropped from `entry` as one value (owned): a list of maps
 * {"digest", "generation", "time_us", "user", "message", "origin", "operation"}, oldest first.
 * An empty list when nothing was recorded. */
STRATA_API int strata_retention_audit(strata_value **out, strata_db *db, const char *tenant,
                                      const char *entry);

/* Automatic GC: a background thread of this (writer) handle runs strata_db_gc whenever the dead
 * share of the store (estimated, see strata_db_stats) passes `dead_share`, checking every
 * `check_ms` milliseconds (0 = 1000; at most INT_MAX). dead_share <= 0 stops it. A NaN or
 * infinite share, a share > 1, a larger check_ms or options strata_db_gc would refuse are
 * STRATA_EINVALID and leave a running thread as it was. A commit waits for a run only during
 * the run's final step (strata_gc_report.blocked_us). */
STRATA_API int strata_db_auto_gc(strata_db *db, double dead_share, unsigned check_ms,
                                 const strata_gc_options *opt);

/* Space statistics. Live/dead bytes are estimates between runs: live = what the last run marked
 * plus everything written since; dead = the rest of the file bytes (0 before any run: then only
 * duplicates and superseded roots the store counts itself). */
typedef struct strata_space_stats {
    unsigned int version;   /* STRATA_SPACE_STATS_VERSION (set by the caller) */
    uint64_t file_bytes;    /* bytes in segment files */
    uint64_t segments;      /* segment files */
    uint64_t objects;       /* object records indexed */
    uint64_t live_bytes;    /* estimate, see above */
    uint64_t dead_bytes;    /* estimate, see above */
    uint64_t gc_runs;       /* completed GC runs by this handle */
    int64_t last_gc_us;     /* when the last run finished (UTC µs), 0 = never */
    uint64_t last_gc_freed; /* bytes the last run removed (net of copies) */
} strata_space_stats;

#define STRATA_SPACE_STATS_VERSION 1
#define STRATA_SPACE_STATS_INIT {STRATA_SPACE_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0}

STRATA_API int strata_db_stats(strata_space_stats *out, strata_db *db);

/* Per-tenant usage measured by the last GC run: bytes of the records first reached from the
 * tenant (an object shared by tenants is counted once, for the first tenant in byte order that
 * reaches it) and their number. STRATA_ENOTFOUND before any run or for an unknown tenant. */
STRATA_API int strata_tenant_usage(uint64_t *bytes, uint64_t *objects, strata_db *db,
                                   const char *tenant);

#ifdef __cplusplus
}
#endif

#endif /* STRATA_H */
