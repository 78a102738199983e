"""The C declarations of include/strata.h that the binding uses, and the loader of libstrata.

ABI mode (``cffi.FFI().dlopen``): no C compiler is needed at import time. CDEF restates every
declaration of the public header, in its order and with its sections; nothing internal to the
library is used; the header's integer #defines are restated as #defines (cffi reads those),
without their ``u`` suffixes and parentheses. tests/test_cdef.py fails when CDEF and
include/strata.h disagree. Every integer constant is also a module name without the
``STRATA_`` prefix (``_ffi.ENOTFOUND``), set at the end of this file. cffi releases
the GIL around every call into the library, so long C calls (a commit waiting for fsync, a
writer waiting for the lock) do not block other Python threads.

The library is searched, in order, at:

1. ``$STRATA_LIB`` (a path to ``libstrata.so``);
2. next to this package (``strata/libstrata.so``, as a wheel that bundles it would place it);
3. the build trees of the source checkout (``../../build/libstrata.so``, then ``build-*``);
4. the system (``ctypes.util.find_library("strata")``).
"""

import ctypes.util
import glob
import os

import cffi

CDEF = r"""
/* version */
#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0
const char *strata_version(void);

/* errors */
enum {
    STRATA_OK = 0, STRATA_ENOTFOUND = -1, STRATA_EEXISTS = -2, STRATA_ECONFLICT = -3,
    STRATA_EINVALID = -4, STRATA_EBUSY = -5, STRATA_ECORRUPT = -6, STRATA_EVERSION = -7,
    STRATA_ENOMEM = -8, STRATA_EIO = -9, STRATA_ECONDITION = -10, STRATA_ITEROVER = -11,
    STRATA_ELIMIT = -12, STRATA_EPOISONED = -13
};
typedef struct strata_error {
    int code;
    const char *message;
} strata_error;
const strata_error *strata_error_last(void);
void strata_error_clear(void);
const char *strata_strerror(int code);

/* plain values */
typedef struct strata_slice {
    const void *data;
    size_t len;
} strata_slice;
#define STRATA_OID_SIZE 32
#define STRATA_OID_HEXSIZE 64
typedef struct strata_oid {
    unsigned char id[32];
} strata_oid;
void strata_oid_fmt(char out[65], const strata_oid *oid);
int strata_oid_parse(strata_oid *out, const char *hex);

/* durability */
typedef enum strata_durability {
    STRATA_DURABILITY_FULL = 0, STRATA_DURABILITY_NORMAL = 1, STRATA_DURABILITY_OFF = 2
} strata_durability;
#define STRATA_UNCHANGED 1
void strata_free(void *p);

/* values */
typedef struct strata_value strata_value;
typedef struct strata_iter strata_iter;
#define STRATA_JSON_PRETTY 1
#define STRATA_JSON_DYNAMODB 2
#define STRATA_JSON_ITEM 4
int strata_value_from_json(strata_value **out, const char *json, size_t len, unsigned int flags);
int strata_value_from_bytes(strata_value **out, const void *data, size_t len);
strata_slice strata_value_bytes(const strata_value *v);
int strata_value_to_json(char **out, size_t *len, const strata_value *v, unsigned int flags);
typedef enum strata_type {
    STRATA_TYPE_NULL = 0, STRATA_TYPE_BOOL = 1, STRATA_TYPE_NUMBER = 3, STRATA_TYPE_STRING = 4,
    STRATA_TYPE_BINARY = 5, STRATA_TYPE_LIST = 6, STRATA_TYPE_MAP = 7, STRATA_TYPE_STRING_SET = 8,
    STRATA_TYPE_NUMBER_SET = 9, STRATA_TYPE_BINARY_SET = 10
} strata_type;
int strata_value_type(const strata_value *v);
int strata_value_get(strata_value **out, const strata_value *v, const char *path);
int strata_value_equal(const strata_value *a, const strata_value *b);
void strata_value_free(strata_value *v);
int strata_value_count(size_t *out, const strata_value *v);
int strata_value_members(strata_iter **out, const strata_value *v);
int strata_value_bool(int *out, const strata_value *v);
int strata_value_string(strata_slice *out, const strata_value *v);
int strata_value_binary(strata_slice *out, const strata_value *v);
#define STRATA_NUMBER_TEXT_MAX 96
int strata_value_number_text(char out[96], const strata_value *v);
int strata_value_int64(int64_t *out, const strata_value *v);
int strata_value_double(double *out, const strata_value *v);
typedef struct strata_builder strata_builder;
int strata_builder_new(strata_builder **out);
void strata_builder_free(strata_builder *b);
int strata_builder_key(strata_builder *b, const char *name, size_t len);
int strata_builder_null(strata_builder *b);
int strata_builder_bool(strata_builder *b, int v);
int strata_builder_int64(strata_builder *b, int64_t v);
int strata_builder_number(strata_builder *b, const char *text, size_t len);
int strata_builder_string(strata_builder *b, const char *s, size_t len);
int strata_builder_binary(strata_builder *b, const void *p, size_t len);
int strata_builder_value(strata_builder *b, const strata_value *v);
int strata_builder_begin(strata_builder *b, int type);
int strata_builder_end(strata_builder *b);
int strata_builder_finish(strata_value **out, strata_builder *b);

/* database */
typedef struct strata_db strata_db;
typedef struct strata_commit strata_commit;
typedef struct strata_db_options {
    unsigned int version;
    int create;
    int read_only;
    strata_durability durability;
    size_t cache_bytes;
    int lock_wait_ms;
    int compress_level;
} strata_db_options;
#define STRATA_DB_OPTIONS_VERSION 2
int strata_db_options_init(strata_db_options *opt, unsigned int version);
int strata_db_open(strata_db **out, const char *path, const strata_db_options *opt);
void strata_db_close(strata_db *db);
int strata_db_verify(uint64_t *problems, strata_db *db);

/* who, when, why: write options */
#define STRATA_TZ_LOCAL -32768
typedef struct strata_write_options {
    unsigned int version;
    const char *user;
    const char *message;
    const char *origin;
    int64_t time_us;
    int tz_offset_min;
    const strata_oid *expect_head;
} strata_write_options;
#define STRATA_WRITE_OPTIONS_VERSION 1
int strata_write_options_init(strata_write_options *opt, unsigned int version);
typedef struct strata_read_options {
    unsigned int version;
    const strata_oid *at;
    int64_t as_of_us;
    const strata_oid *snapshot;
} strata_read_options;
#define STRATA_READ_OPTIONS_VERSION 1
int strata_read_options_init(strata_read_options *opt, unsigned int version);

/* tenants */
int strata_name_check(const char *name);
int strata_tenant_init(strata_db *db, const char *tenant, const strata_write_options *wo);
int strata_tenant_exists(strata_db *db, const char *tenant);
int strata_tenant_drop(strata_db *db, const char *tenant, const strata_write_options *wo);
int strata_tenant_list(strata_iter **out, strata_db *db);
int strata_tenant_snapshot(strata_oid *out, strata_db *db, const char *tenant, int64_t as_of_us);

/* iterators */
int strata_iter_next(strata_iter *it);
strata_slice strata_iter_key(const strata_iter *it);
const strata_value *strata_iter_value(const strata_iter *it);
const strata_value *strata_iter_old_value(const strata_iter *it);
const strata_commit *strata_iter_commit(const strata_iter *it);
void strata_iter_free(strata_iter *it);

/* entries */
typedef enum strata_entry_kind {
    STRATA_ENTRY_DOCUMENT = 1, STRATA_ENTRY_RECORDS = 2, STRATA_ENTRY_TABLE = 3
} strata_entry_kind;
int strata_entry_exists(strata_db *db, const char *tenant, const char *entry,
    const strata_read_options *ro);
int strata_entry_head(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
    const strata_read_options *ro);
int strata_entry_kind_of(strata_db *db, const char *tenant, const char *entry,
    const strata_read_options *ro);
int strata_entry_list(strata_iter **out, strata_db *db, const char *tenant,
    const strata_read_options *ro);

/* documents */
int strata_document_save(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
    const strata_value *value, const strata_write_options *wo);
int strata_document_load(strata_value **out, strata_db *db, const char *tenant, const char *entry,
    const strata_read_options *ro);

/* keyed records */
int strata_records_put(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
    const char *key, const strata_value *value, const strata_write_options *wo);
int strata_records_put_many(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
    const char *const *keys, const strata_value *const *values, size_t n,
    const strata_write_options *wo);
int strata_records_delete(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
    const char *key, const strata_write_options *wo);
int strata_records_delete_many(strata_oid *out, strata_db *db, const char *tenant,
    const char *entry, const char *const *keys, size_t n, const strata_write_options *wo);
int strata_records_get(strata_value **out, strata_db *db, const char *tenant, const char *entry,
    const char *key, const strata_read_options *ro);
int strata_records_get_all(strata_value **out, strata_db *db, const char *tenant,
    const char *entry, const strata_read_options *ro);
int strata_records_list(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
    const strata_read_options *ro);
int strata_records_range(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
    const char *from, const char *to, const strata_read_options *ro);

/* commits, history, diff, restore */
int strata_commit_lookup(strata_commit **out, strata_db *db, const char *tenant,
    const strata_oid *digest);
void strata_commit_free(strata_commit *c);
const strata_oid *strata_commit_digest(const strata_commit *c);
const char *strata_commit_entry(const strata_commit *c);
int strata_commit_kind(const strata_commit *c);
const char *strata_commit_user(const strata_commit *c);
const char *strata_commit_message(const strata_commit *c);
const char *strata_commit_origin(const strata_commit *c);
const char *strata_commit_operation(const strata_commit *c);
int64_t strata_commit_time_us(const strata_commit *c);
int strata_commit_tz_offset_min(const strata_commit *c);
uint64_t strata_commit_generation(const strata_commit *c);
size_t strata_commit_parent_count(const strata_commit *c);
const strata_oid *strata_commit_parent(const strata_commit *c, size_t i);
const strata_oid *strata_commit_data(const strata_commit *c);
#define STRATA_TIME_COMPACT 0
#define STRATA_TIME_ISO 1
int strata_commit_format_time(char out[40], const strata_commit *c, int style);
int strata_entry_history(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
    const strata_oid *from, size_t max_items);
int strata_entry_diff(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
    const strata_oid *a, const strata_oid *b);
int strata_entry_restore(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
    const strata_oid *digest, const strata_write_options *wo);

/* transactions */
typedef struct strata_txn strata_txn;
int strata_txn_begin(strata_txn **out, strata_db *db, const char *tenant,
    const strata_write_options *wo);
int strata_txn_save(strata_txn *txn, const char *entry, const strata_value *value);
int strata_txn_put(strata_txn *txn, const char *entry, const char *key, const strata_value *value);
int strata_txn_delete(strata_txn *txn, const char *entry, const char *key);
int strata_txn_expect_head(strata_txn *txn, const char *entry, const strata_oid *head);
int strata_txn_commit(strata_oid *out, strata_txn *txn);
void strata_txn_abort(strata_txn *txn);

/* tables */
typedef struct strata_table_schema {
    unsigned int version;
    const char *pk;
    const char *sk;
    const char *ttl;
} strata_table_schema;
#define STRATA_TABLE_SCHEMA_VERSION 1
int strata_table_schema_init(strata_table_schema *schema, unsigned int version);
int strata_table_create(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
    const strata_table_schema *schema, const strata_write_options *wo);
int strata_table_describe(strata_value **out, strata_db *db, const char *tenant, const char *entry,
    const strata_read_options *ro);
#define STRATA_RETURN_NONE 0
#define STRATA_RETURN_ALL_OLD 1
#define STRATA_RETURN_ALL_NEW 2
typedef struct strata_item_options {
    unsigned int version;
    const char *condition;
    const strata_value *names;
    const strata_value *values;
    int return_values;
} strata_item_options;
#define STRATA_ITEM_OPTIONS_VERSION 1
int strata_item_options_init(strata_item_options *opt, unsigned int version);
int strata_table_put_item(strata_value **out, strata_db *db, const char *tenant, const char *entry,
    const strata_value *item, const strata_item_options *io, const strata_write_options *wo);
int strata_table_delete_item(strata_value **out, strata_db *db, const char *tenant,
    const char *entry, const strata_value *key, const strata_item_options *io,
    const strata_write_options *wo);
int strata_table_update_item(strata_value **out, strata_db *db, const char *tenant,
    const char *entry, const strata_value *key, const char *update, const strata_item_options *io,
    const strata_write_options *wo);
int strata_table_get_item(strata_value **out, strata_db *db, const char *tenant, const char *entry,
    const strata_value *key, const char *projection, const strata_value *names,
    const strata_read_options *ro);
typedef struct strata_query_options {
    unsigned int version;
    const char *key_condition;
    const char *filter;
    const char *projection;
    const strata_value *names;
    const strata_value *values;
    int reverse;
    size_t limit;
    const strata_value *start_key;
    unsigned int segment;
    unsigned int total_segments;
} strata_query_options;
#define STRATA_QUERY_OPTIONS_VERSION 1
int strata_query_options_init(strata_query_options *opt, unsigned int version);
int strata_table_query(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
    const strata_query_options *q, const strata_read_options *ro);
int strata_table_scan(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
    const strata_query_options *q, const strata_read_options *ro);
int strata_iter_last_key(strata_value **out, const strata_iter *it);
uint64_t strata_iter_count(const strata_iter *it);
uint64_t strata_iter_scanned_count(const strata_iter *it);
int strata_txn_put_item(strata_txn *txn, const char *entry, const strata_value *item);
int strata_txn_delete_item(strata_txn *txn, const char *entry, const strata_value *key);
int strata_table_sweep_ttl(uint64_t *removed, strata_db *db, const char *tenant, const char *entry,
    int64_t now_s);

/* change listeners */
typedef int (*strata_listener_fn)(const char *tenant, const char *entry, const strata_value *key,
    const strata_value *old_value, const strata_value *new_value, void *payload);
int strata_listener_add(uint64_t *out, strata_db *db, strata_listener_fn fn, void *payload);
int strata_listener_remove(strata_db *db, uint64_t id);
uint64_t strata_listener_failures(strata_db *db);
const strata_value *strata_iter_key_value(const strata_iter *it);

/* space: GC and retention */
typedef struct strata_gc_progress {
    const char *phase;
    uint64_t done;
    uint64_t total;
} strata_gc_progress;
typedef struct strata_gc_options {
    unsigned int version;
    double min_dead_share;
    int compress_level;
    int (*progress)(const strata_gc_progress *p, void *payload);
    void *payload;
} strata_gc_options;
#define STRATA_GC_OPTIONS_VERSION 1
int strata_gc_options_init(strata_gc_options *opt, unsigned int version);
typedef struct strata_gc_report {
    uint64_t live_objects;
    uint64_t live_bytes;
    uint64_t segments_before;
    uint64_t segments_swept;
    uint64_t objects_copied;
    uint64_t bytes_copied;
    uint64_t bytes_before;
    uint64_t bytes_after;
    uint64_t pinned;
    uint64_t truncated;
    int64_t duration_us;
    int64_t blocked_us;
} strata_gc_report;
int strata_db_gc(strata_gc_report *out, strata_db *db, const strata_gc_options *opt);
int strata_snapshot_pin(strata_db *db, const char *tenant, const strata_oid *snapshot);
int strata_snapshot_unpin(strata_db *db, const strata_oid *snapshot);
int strata_retention_set(strata_db *db, const char *tenant, const char *entry,
    uint64_t keep_commits, int64_t keep_age_s, int audit, const strata_write_options *wo);
int strata_retention_get(uint64_t *keep_commits, int64_t *keep_age_s, int *audit, strata_db *db,
    const char *tenant, const char *entry);
int strata_retention_truncated(uint64_t *oldest_generation, strata_db *db, const char *tenant,
    const char *entry);
int strata_retention_audit(strata_value **out, strata_db *db, const char *tenant,
    const char *entry);
int strata_db_auto_gc(strata_db *db, double dead_share, unsigned check_ms,
    const strata_gc_options *opt);
typedef struct strata_space_stats {
    unsigned int version;
    uint64_t file_bytes;
    uint64_t segments;
    uint64_t objects;
    uint64_t live_bytes;
    uint64_t dead_bytes;
    uint64_t gc_runs;
    int64_t last_gc_us;
    uint64_t last_gc_freed;
} strata_space_stats;
#define STRATA_SPACE_STATS_VERSION 1
int strata_db_stats(strata_space_stats *out, strata_db *db);
int strata_tenant_usage(uint64_t *bytes, uint64_t *objects, strata_db *db, const char *tenant);
"""

ffi = cffi.FFI()
ffi.cdef(CDEF)

_HERE = os.path.dirname(os.path.abspath(__file__))


def candidate_paths():
    """Return the library paths to try, in order (see the module docstring)."""
    paths = []
    env = os.environ.get("STRATA_LIB")
    if env:
        paths.append(env)
    paths.append(os.path.join(_HERE, "libstrata.so"))
    repo = os.path.normpath(os.path.join(_HERE, "..", "..", ".."))
    paths.append(os.path.join(repo, "build", "libstrata.so"))
    paths.extend(sorted(glob.glob(os.path.join(repo, "build-*", "libstrata.so"))))
    found = ctypes.util.find_library("strata")
    if found:
        paths.append(found)
    return paths


def load_library():
    """Open libstrata with cffi. When STRATA_LIB is set it must work (no silent fallback);
    otherwise the first candidate that exists is used. Raises OSError naming what was tried."""
    env = os.environ.get("STRATA_LIB")
    if env:
        return ffi.dlopen(env)
    tried = []
    for path in candidate_paths():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            return ffi.dlopen(path)
        except OSError as exc:  # a broken candidate: keep looking, report at the end
            tried.append("%s (%s)" % (path, exc))
    raise OSError("strata: libstrata.so not found; set STRATA_LIB to its path. Tried: "
                  + "; ".join(tried))


lib = load_library()

# The integer constants of the cdef (its enums and #defines) as module names without the
# prefix: ENOTFOUND is STRATA_ENOTFOUND, JSON_DYNAMODB is STRATA_JSON_DYNAMODB, ...
globals().update({name[len("STRATA_"):]: getattr(lib, name) for name in dir(lib)
                  if name.startswith("STRATA_") and name.isupper()})
