/* Adversarial tests of the public API (include/strata.h, src/db): NULL for every pointer
 * argument, wrong option versions, hostile names, values at the limits, misuse of transactions
 * and iterators, tenant isolation through every read path, tenants dropped under open handles,
 * read-only handles beside a writer, and damaged segment files. Every test asserts the correct
 * behaviour: a clear error code with a message naming the problem, and nothing changed. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strata.h"

typedef struct fx {
    char *dir;
    char *path;
    strata_db *db;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("dbadv");
    f->path = tu_path(f->dir, "db");
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.durability = STRATA_DURABILITY_OFF;
    assert_int_equal(strata_db_open(&f->db, f->path, &o), 0);
    assert_int_equal(strata_tenant_init(f->db, "acme", NULL), 0);
    assert_int_equal(strata_tenant_init(f->db, "evil", NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    strata_db_close(f->db);
    tu_rmdir_free(f->dir);
    free(f->path);
    free(f);
    return 0;
}

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    int rc = strata_value_from_json(&v, json, strlen(json), 0);
    if (rc) fail_msg("bad test JSON %s: %s", json, strata_error_last()->message);
    return v;
}

static strata_value *D(const char *json)
{
    strata_value *v = NULL;
    int rc = strata_value_from_json(&v, json, strlen(json), STRATA_JSON_DYNAMODB | STRATA_JSON_ITEM);
    if (rc) fail_msg("bad test DynamoDB JSON %s: %s", json, strata_error_last()->message);
    return v;
}

/* JSON text of v (rotating static buffers, for assertions). */
static const char *S(const strata_value *v)
{
    static char buf[4][8192];
    static int k;
    char *out = NULL;
    assert_int_equal(strata_value_to_json(&out, NULL, v, 0), 0);
    char *b = buf[k++ % 4];
    snprintf(b, 8192, "%s", out);
    strata_free(out);
    return b;
}

/* The call returned `code` and the thread's last error has that code and a message containing
 * `needle` (any non-empty message when needle is NULL). */
static void expect_err_(int rc, int want, const char *needle, const char *call)
{
    const strata_error *e = strata_error_last();
    if (rc != want) fail_msg("%s: expected %d, got %d (%s)", call, want, rc, e->message);
    if (e->code != want) fail_msg("%s: last error code %d, want %d", call, e->code, want);
    if (!e->message[0]) fail_msg("%s: empty error message", call);
    if (needle && !strstr(e->message, needle))
        fail_msg("%s: message '%s' does not mention '%s'", call, e->message, needle);
}

#define EXPECT_ERR(call, want, needle)                                                            \
    do {                                                                                          \
        strata_error_clear();                                                                     \
        int rc_ = (call);                                                                         \
        expect_err_(rc_, (want), (needle), #call);                                                \
    } while (0)

static strata_oid tenant_snapshot(strata_db *db, const char *tenant)
{
    strata_oid s;
    assert_int_equal(strata_tenant_snapshot(&s, db, tenant, 0), 0);
    return s;
}

static void make_table(strata_db *db, const char *tenant, const char *entry, const char *pk, const char *sk,
                       const char *ttl)
{
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    sc.pk = pk;
    sc.sk = sk;
    sc.ttl = ttl;
    if (strata_table_create(NULL, db, tenant, entry, &sc, NULL) != 0)
        fail_msg("table_create: %s", strata_error_last()->message);
}

static void put_item_json(strata_db *db, const char *tenant, const char *entry, const char *json)
{
    strata_value *v = J(json);
    int rc = strata_table_put_item(NULL, db, tenant, entry, v, NULL, NULL);
    if (rc < 0) fail_msg("put_item %s: %s", json, strata_error_last()->message);
    strata_value_free(v);
}

/* Count the items an iterator yields (asserting it ends cleanly). */
static size_t drain(strata_iter *it)
{
    size_t n = 0;
    int rc;
    while ((rc = strata_iter_next(it)) == 0) n++;
    if (rc != STRATA_ITEROVER) fail_msg("iterator failed: %d %s", rc, strata_error_last()->message);
    return n;
}

/* ---- NULL arguments --------------------------------------------------------------------- */

static void test_adv_null_for_every_pointer_argument_is_einvalid(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v = J("{\"a\":1}");
    strata_value *out = NULL;
    strata_oid oid;
    memset(&oid, 0, sizeof oid);
    strata_iter *it = NULL;
    strata_txn *txn = NULL;
    strata_commit *c = NULL;
    strata_db *dbo = NULL;

    /* options and handles */
    EXPECT_ERR(strata_db_options_init(NULL, STRATA_DB_OPTIONS_VERSION), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_write_options_init(NULL, STRATA_WRITE_OPTIONS_VERSION), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_read_options_init(NULL, STRATA_READ_OPTIONS_VERSION), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_db_open(NULL, f->path, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_db_verify(NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_oid_parse(NULL, "00"), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_oid_parse(&oid, NULL), STRATA_EINVALID, NULL);
    (void)dbo;

    /* tenants */
    EXPECT_ERR(strata_tenant_init(NULL, "t", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_tenant_init(db, NULL, NULL), STRATA_EINVALID, "tenant");
    EXPECT_ERR(strata_tenant_exists(NULL, "acme"), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_tenant_exists(db, NULL), STRATA_EINVALID, "tenant");
    EXPECT_ERR(strata_tenant_drop(NULL, "acme", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_tenant_drop(db, NULL, NULL), STRATA_EINVALID, "tenant");
    EXPECT_ERR(strata_tenant_list(NULL, db), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_tenant_list(&it, NULL), STRATA_EINVALID, NULL);
    assert_null(it);
    EXPECT_ERR(strata_tenant_snapshot(NULL, db, "acme", 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_tenant_snapshot(&oid, NULL, "acme", 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_tenant_snapshot(&oid, db, NULL, 0), STRATA_EINVALID, "tenant");

    /* entries and documents */
    EXPECT_ERR(strata_entry_exists(NULL, "acme", "e", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_exists(db, NULL, "e", NULL), STRATA_EINVALID, "tenant");
    EXPECT_ERR(strata_entry_exists(db, "acme", NULL, NULL), STRATA_EINVALID, "entry");
    EXPECT_ERR(strata_entry_head(NULL, db, "acme", "e", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_head(&oid, db, "acme", NULL, NULL), STRATA_EINVALID, "entry");
    EXPECT_ERR(strata_entry_kind_of(NULL, "acme", "e", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_kind_of(db, "acme", NULL, NULL), STRATA_EINVALID, "entry");
    EXPECT_ERR(strata_entry_list(NULL, db, "acme", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_list(&it, NULL, "acme", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_list(&it, db, NULL, NULL), STRATA_EINVALID, "tenant");
    assert_null(it);
    EXPECT_ERR(strata_document_save(NULL, NULL, "acme", "d", v, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_document_save(NULL, db, NULL, "d", v, NULL), STRATA_EINVALID, "tenant");
    EXPECT_ERR(strata_document_save(NULL, db, "acme", NULL, v, NULL), STRATA_EINVALID, "entry");
    EXPECT_ERR(strata_document_save(NULL, db, "acme", "d", NULL, NULL), STRATA_EINVALID, "value");
    EXPECT_ERR(strata_document_load(NULL, db, "acme", "d", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_document_load(&out, NULL, "acme", "d", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_document_load(&out, db, "acme", NULL, NULL), STRATA_EINVALID, "entry");

    /* records */
    EXPECT_ERR(strata_records_put(NULL, NULL, "acme", "r", "k", v, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_records_put(NULL, db, "acme", "r", NULL, v, NULL), STRATA_EINVALID, "key");
    EXPECT_ERR(strata_records_put(NULL, db, "acme", "r", "k", NULL, NULL), STRATA_EINVALID, "value");
    EXPECT_ERR(strata_records_put_many(NULL, db, "acme", "r", NULL, (const strata_value *const *)&v, 1, NULL), STRATA_EINVALID,
               "keys");
    const char *keys[] = {"k"};
    EXPECT_ERR(strata_records_put_many(NULL, db, "acme", "r", keys, NULL, 1, NULL), STRATA_EINVALID, "values");
    const char *nullkeys[] = {"a", NULL};
    const strata_value *vals2[] = {v, v};
    EXPECT_ERR(strata_records_put_many(NULL, db, "acme", "r", nullkeys, vals2, 2, NULL), STRATA_EINVALID, "key");
    const strata_value *nullvals[] = {v, NULL};
    const char *keys2[] = {"a", "b"};
    EXPECT_ERR(strata_records_put_many(NULL, db, "acme", "r", keys2, nullvals, 2, NULL), STRATA_EINVALID, "value");
    EXPECT_ERR(strata_records_delete(NULL, db, "acme", "r", NULL, NULL), STRATA_EINVALID, "key");
    EXPECT_ERR(strata_records_delete_many(NULL, db, "acme", "r", NULL, 2, NULL), STRATA_EINVALID, "keys");
    EXPECT_ERR(strata_records_get(NULL, db, "acme", "r", "k", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_records_get(&out, db, "acme", "r", NULL, NULL), STRATA_EINVALID, "key");
    EXPECT_ERR(strata_records_get_all(NULL, db, "acme", "r", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_records_get_all(&out, NULL, "acme", "r", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_records_list(NULL, db, "acme", "r", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_records_list(&it, db, "acme", NULL, NULL), STRATA_EINVALID, "entry");
    /* nothing above created anything */
    assert_int_equal(strata_entry_exists(db, "acme", "r", NULL), 0);
    assert_int_equal(strata_entry_exists(db, "acme", "d", NULL), 0);

    /* commits, history, diff, restore */
    EXPECT_ERR(strata_commit_lookup(NULL, db, "acme", &oid), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_commit_lookup(&c, NULL, "acme", &oid), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_commit_lookup(&c, db, NULL, &oid), STRATA_EINVALID, "tenant");
    EXPECT_ERR(strata_commit_lookup(&c, db, "acme", NULL), STRATA_EINVALID, NULL);
    assert_null(c);
    EXPECT_ERR(strata_commit_format_time(NULL, NULL, 0), STRATA_EINVALID, NULL);
    assert_null(strata_commit_digest(NULL));
    assert_null(strata_commit_parent(NULL, 0));
    assert_null(strata_commit_data(NULL));
    assert_string_equal(strata_commit_user(NULL), "");
    strata_commit_free(NULL);
    EXPECT_ERR(strata_entry_history(NULL, db, "acme", "d", NULL, 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_history(&it, NULL, "acme", "d", NULL, 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_history(&it, db, "acme", NULL, NULL, 0), STRATA_EINVALID, "entry");
    EXPECT_ERR(strata_entry_diff(NULL, db, "acme", "d", &oid, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_diff(&it, db, "acme", "d", NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_entry_restore(NULL, db, "acme", "d", NULL, NULL), STRATA_EINVALID, "digest");
    EXPECT_ERR(strata_entry_restore(NULL, NULL, "acme", "d", &oid, NULL), STRATA_EINVALID, NULL);

    /* transactions */
    EXPECT_ERR(strata_txn_begin(NULL, db, "acme", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_begin(&txn, NULL, "acme", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_begin(&txn, db, NULL, NULL), STRATA_EINVALID, "tenant");
    assert_null(txn);
    EXPECT_ERR(strata_txn_save(NULL, "d", v), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_put(NULL, "r", "k", v), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_delete(NULL, "r", "k"), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_expect_head(NULL, "r", &oid), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_put_item(NULL, "t", v), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_delete_item(NULL, "t", v), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_txn_commit(NULL, NULL), STRATA_EINVALID, NULL);
    strata_txn_abort(NULL);

    /* tables */
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    EXPECT_ERR(strata_table_create(NULL, db, "acme", "t", NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_create(NULL, db, "acme", "t", &sc, NULL), STRATA_EINVALID, "partition key");
    sc.pk = "id";
    EXPECT_ERR(strata_table_create(NULL, NULL, "acme", "t", &sc, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_create(NULL, db, NULL, "t", &sc, NULL), STRATA_EINVALID, "tenant");
    EXPECT_ERR(strata_table_create(NULL, db, "acme", NULL, &sc, NULL), STRATA_EINVALID, "entry");
    assert_int_equal(strata_table_create(NULL, db, "acme", "t", &sc, NULL), 0);
    EXPECT_ERR(strata_table_describe(NULL, db, "acme", "t", NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", NULL, NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_put_item(NULL, NULL, "acme", "t", v, NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_delete_item(NULL, db, "acme", "t", NULL, NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", NULL, "SET a = 1", NULL, NULL), STRATA_EINVALID, NULL);
    strata_value *key = J("{\"id\":\"k\"}");
    EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", key, NULL, NULL, NULL), STRATA_EINVALID, "update");
    EXPECT_ERR(strata_table_get_item(NULL, db, "acme", "t", key, NULL, NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_get_item(&out, db, "acme", "t", NULL, NULL, NULL, NULL), STRATA_EINVALID, NULL);
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    EXPECT_ERR(strata_table_query(NULL, db, "acme", "t", &q, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, "key condition");
    EXPECT_ERR(strata_table_scan(NULL, db, "acme", "t", NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_scan(&it, NULL, "acme", "t", NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_sweep_ttl(NULL, NULL, "acme", "t", 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_sweep_ttl(NULL, db, "acme", "t", 0), STRATA_EINVALID, "TTL");
    assert_null(it);

    /* iterators and listeners */
    EXPECT_ERR(strata_iter_next(NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_iter_last_key(NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_iter_last_key(&out, NULL), STRATA_EINVALID, NULL);
    assert_null(strata_iter_value(NULL));
    assert_null(strata_iter_old_value(NULL));
    assert_null(strata_iter_commit(NULL));
    assert_null(strata_iter_key_value(NULL));
    assert_int_equal(strata_iter_key(NULL).len, 0);
    assert_int_equal(strata_iter_count(NULL), 0);
    strata_iter_free(NULL);
    uint64_t id;
    EXPECT_ERR(strata_listener_add(&id, NULL, NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_listener_add(&id, db, NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_listener_remove(NULL, 1), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_listener_remove(db, 12345), STRATA_ENOTFOUND, "12345");
    assert_int_equal(strata_listener_failures(NULL), 0);

    /* values */
    EXPECT_ERR(strata_value_from_json(NULL, "1", 1, 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_value_from_json(&out, NULL, 1, 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_value_from_bytes(NULL, "x", 1), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_value_from_bytes(&out, NULL, 1), STRATA_EINVALID, NULL);
    char *js = NULL;
    EXPECT_ERR(strata_value_to_json(NULL, NULL, v, 0), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_value_to_json(&js, NULL, NULL, 0), STRATA_EINVALID, NULL);
    strata_value_free(NULL);
    strata_free(NULL);

    /* the table is still empty and nothing else appeared */
    strata_value *desc = NULL;
    assert_int_equal(strata_table_describe(&desc, db, "acme", "t", NULL), 0);
    assert_string_equal(S(desc), "{\"count\":0,\"pk\":\"id\"}");
    strata_value_free(desc);
    assert_int_equal(strata_entry_list(&it, db, "acme", NULL), 0);
    assert_int_equal(drain(it), 1);
    strata_iter_free(it);
    strata_value_free(key);
    strata_value_free(v);
}

/* ---- option versions -------------------------------------------------------------------- */

static void test_adv_unknown_option_versions_are_refused_and_change_nothing(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v = J("{\"a\":1}");
    strata_db_options dopt;
    EXPECT_ERR(strata_db_options_init(&dopt, 3), STRATA_EINVALID, "version");
    strata_write_options wopt;
    EXPECT_ERR(strata_write_options_init(&wopt, 0), STRATA_EINVALID, "version");
    strata_read_options ropt;
    EXPECT_ERR(strata_read_options_init(&ropt, 7), STRATA_EINVALID, "version");
    strata_db_options bad = STRATA_DB_OPTIONS_INIT;
    bad.version = 99;
    strata_db *other = NULL;
    EXPECT_ERR(strata_db_open(&other, f->path, &bad), STRATA_EINVALID, "version");
    assert_null(other);
    bad.version = STRATA_DB_OPTIONS_VERSION;
    bad.durability = (strata_durability)7;
    EXPECT_ERR(strata_db_open(&other, f->path, &bad), STRATA_EINVALID, "durability");

    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    w.version = 0;
    EXPECT_ERR(strata_document_save(NULL, db, "acme", "d", v, &w), STRATA_EINVALID, "version");
    EXPECT_ERR(strata_records_put(NULL, db, "acme", "r", "k", v, &w), STRATA_EINVALID, "version");
    EXPECT_ERR(strata_tenant_init(db, "newt", &w), STRATA_EINVALID, "version");
    EXPECT_ERR(strata_tenant_drop(db, "acme", &w), STRATA_EINVALID, "version");
    strata_txn *t = NULL;
    EXPECT_ERR(strata_txn_begin(&t, db, "acme", &w), STRATA_EINVALID, "version");
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    sc.pk = "id";
    EXPECT_ERR(strata_table_create(NULL, db, "acme", "t", &sc, &w), STRATA_EINVALID, "version");
    sc.version = 2;
    EXPECT_ERR(strata_table_create(NULL, db, "acme", "t", &sc, NULL), STRATA_EINVALID, "version");
    sc.version = STRATA_TABLE_SCHEMA_VERSION;
    assert_int_equal(strata_table_create(NULL, db, "acme", "t", &sc, NULL), 0);
    strata_value *item = J("{\"id\":\"a\",\"x\":1}");
    EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", item, NULL, &w), STRATA_EINVALID, "version");
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    io.version = 3;
    EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", item, &io, NULL), STRATA_EINVALID, "version");
    io.version = STRATA_ITEM_OPTIONS_VERSION;
    io.return_values = 9;
    EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", item, &io, NULL), STRATA_EINVALID, "return_values");
    io.return_values = -1;
    EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", item, &io, NULL), STRATA_EINVALID, "return_values");

    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.version = 5;
    strata_value *out = NULL;
    EXPECT_ERR(strata_document_load(&out, db, "acme", "d", &ro), STRATA_EINVALID, "version");
    EXPECT_ERR(strata_records_get(&out, db, "acme", "r", "k", &ro), STRATA_EINVALID, "version");
    EXPECT_ERR(strata_entry_exists(db, "acme", "d", &ro), STRATA_EINVALID, "version");
    strata_iter *it = NULL;
    EXPECT_ERR(strata_entry_list(&it, db, "acme", &ro), STRATA_EINVALID, "version");
    EXPECT_ERR(strata_table_scan(&it, db, "acme", "t", NULL, &ro), STRATA_EINVALID, "version");
    /* two read points at once */
    strata_oid snap = tenant_snapshot(db, "acme");
    strata_read_options two = STRATA_READ_OPTIONS_INIT;
    two.snapshot = &snap;
    two.as_of_us = 1;
    EXPECT_ERR(strata_table_scan(&it, db, "acme", "t", NULL, &two), STRATA_EINVALID, "at most one");
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    q.version = 0;
    EXPECT_ERR(strata_table_scan(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, "version");
    assert_null(it);

    /* nothing was written */
    strata_value *desc = NULL;
    assert_int_equal(strata_table_describe(&desc, db, "acme", "t", NULL), 0);
    assert_string_equal(S(desc), "{\"count\":0,\"pk\":\"id\"}");
    strata_value_free(desc);
    assert_int_equal(strata_entry_exists(db, "acme", "d", NULL), 0);
    assert_int_equal(strata_entry_exists(db, "acme", "r", NULL), 0);
    assert_int_equal(strata_tenant_exists(db, "newt"), 0);
    assert_int_equal(strata_tenant_exists(db, "acme"), 1);
    strata_value_free(item);
    strata_value_free(v);
}

/* ---- names ------------------------------------------------------------------------------ */

static void test_adv_hostile_names_are_refused_everywhere(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v = J("1");
    char long256[257], long255[256];
    memset(long256, 'n', 256);
    long256[256] = 0;
    memset(long255, 'n', 255);
    long255[255] = 0;
    const struct {
        const char *name, *why;
    } bad[] = {
        {"", "empty"},
        {long256, "256"},
        {"a\tb", "control"},
        {"a\nb", "control"},
        {"\x01gc", "control"},
        {"a\x7f", "control"},
        {"a\xc2\x85", "control"},    /* U+0085 NEL, a C1 control */
        {"bad\xff", "UTF-8"},
        {"\xc0\xaf", "UTF-8"},       /* overlong '/' */
        {"\xed\xa0\x80", "UTF-8"},   /* a UTF-16 surrogate */
        {"\xe2\x82", "UTF-8"},       /* truncated sequence */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *n = bad[i].name, *why = bad[i].why;
        EXPECT_ERR(strata_tenant_init(db, n, NULL), STRATA_EINVALID, why);
        EXPECT_ERR(strata_tenant_exists(db, n), STRATA_EINVALID, why);
        EXPECT_ERR(strata_document_save(NULL, db, n, "d", v, NULL), STRATA_EINVALID, why);
        EXPECT_ERR(strata_document_save(NULL, db, "acme", n, v, NULL), STRATA_EINVALID, why);
        EXPECT_ERR(strata_records_put(NULL, db, "acme", "r", n, v, NULL), STRATA_EINVALID, why);
        EXPECT_ERR(strata_records_delete(NULL, db, "acme", "r", n, NULL), STRATA_EINVALID, why);
        strata_value *out = NULL;
        EXPECT_ERR(strata_records_get(&out, db, "acme", "r", n, NULL), STRATA_EINVALID, why);
        EXPECT_ERR(strata_document_load(&out, db, "acme", n, NULL), STRATA_EINVALID, why);
        strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
        sc.pk = n;
        EXPECT_ERR(strata_table_create(NULL, db, "acme", "t", &sc, NULL), STRATA_EINVALID, why);
        sc.pk = "id";
        sc.sk = n;
        EXPECT_ERR(strata_table_create(NULL, db, "acme", "t", &sc, NULL), STRATA_EINVALID, why);
        strata_txn *t = NULL;
        assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
        EXPECT_ERR(strata_txn_put(t, "r", n, v), STRATA_EINVALID, why);
        /* a bad name poisons the transaction */
        EXPECT_ERR(strata_txn_put(t, "r", "fine", v), STRATA_EPOISONED, NULL);
        EXPECT_ERR(strata_txn_commit(NULL, t), STRATA_EPOISONED, NULL);
    }
    /* 255 bytes and non-ASCII printable names are fine */
    assert_int_equal(strata_tenant_init(db, long255, NULL), 0);
    assert_int_equal(strata_document_save(NULL, db, long255, long255, v, NULL), 0);
    assert_int_equal(strata_records_put(NULL, db, "acme", "r", long255, v, NULL), 0);
    assert_int_equal(strata_records_put(NULL, db, "acme", "r", "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 / .. \\", v, NULL), 0);
    assert_int_equal(strata_tenant_init(db, "../../etc", NULL), 0);
    assert_int_equal(strata_document_save(NULL, db, "../../etc", "/passwd", v, NULL), 0);
    strata_value *out = NULL;
    assert_int_equal(strata_document_load(&out, db, "../../etc", "/passwd", NULL), 0);
    strata_value_free(out);
    /* nothing came of the bad names */
    strata_iter *it;
    assert_int_equal(strata_tenant_list(&it, db), 0);
    assert_int_equal(drain(it), 4); /* acme, evil, long255, ../../etc */
    strata_iter_free(it);
    assert_int_equal(strata_entry_list(&it, db, "acme", NULL), 0);
    assert_int_equal(strata_iter_next(it), 0);
    assert_int_equal(strata_iter_key(it).len, 1);
    assert_memory_equal(strata_iter_key(it).data, "r", 1);
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    strata_value_free(v);
    uint64_t problems = 1;
    assert_int_equal(strata_db_verify(&problems, db), 0);
    assert_int_equal(problems, 0);
}

static void test_adv_write_options_text_is_checked(void **state)
{
    fx *f = *state;
    strata_value *v = J("1");
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    w.user = "bad\xff";
    EXPECT_ERR(strata_document_save(NULL, f->db, "acme", "d", v, &w), STRATA_EINVALID, "user");
    w.user = NULL;
    w.message = "\xc3";
    EXPECT_ERR(strata_document_save(NULL, f->db, "acme", "d", v, &w), STRATA_EINVALID, "message");
    w.message = NULL;
    char *big = malloc(70000);
    memset(big, 'o', 69999);
    big[69999] = 0;
    w.origin = big;
    EXPECT_ERR(strata_document_save(NULL, f->db, "acme", "d", v, &w), STRATA_EINVALID, "origin");
    w.origin = NULL;
    w.tz_offset_min = 24 * 60 + 1;
    EXPECT_ERR(strata_document_save(NULL, f->db, "acme", "d", v, &w), STRATA_EINVALID, "offset");
    w.tz_offset_min = STRATA_TZ_LOCAL;
    assert_int_equal(strata_entry_exists(f->db, "acme", "d", NULL), 0);
    /* multi-line messages and any printable text are data */
    w.message = "line1\nline2\t\"quoted\" \\";
    w.user = "";
    strata_oid c;
    assert_int_equal(strata_document_save(&c, f->db, "acme", "d", v, &w), 0);
    strata_commit *cm = NULL;
    assert_int_equal(strata_commit_lookup(&cm, f->db, "acme", &c), 0);
    assert_string_equal(strata_commit_message(cm), "line1\nline2\t\"quoted\" \\");
    strata_commit_free(cm);
    free(big);
    strata_value_free(v);
}

/* ---- isolation -------------------------------------------------------------------------- */

/* Every read path that takes a digest refuses a digest of another tenant or entry. */
static void test_adv_digests_of_other_tenants_and_entries_are_invisible_on_every_read_path(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    /* the victim: tenant acme with a document, records and a table; the same names in evil */
    strata_value *secret = J("{\"secret\":\"acme-only\"}");
    strata_value *mine = J("{\"mine\":1}");
    strata_oid a_doc, a_rec, a_tab, e_doc, e_rec, e_tab, a_other;
    assert_int_equal(strata_document_save(&a_doc, db, "acme", "doc", secret, NULL), 0);
    assert_int_equal(strata_records_put(&a_rec, db, "acme", "rec", "k", secret, NULL), 0);
    make_table(db, "acme", "tab", "id", NULL, NULL);
    put_item_json(db, "acme", "tab", "{\"id\":\"k\",\"secret\":\"acme-only\"}");
    assert_int_equal(strata_entry_head(&a_tab, db, "acme", "tab", NULL), 0);
    assert_int_equal(strata_document_save(&a_other, db, "acme", "other", secret, NULL), 0);
    assert_int_equal(strata_document_save(&e_doc, db, "evil", "doc", mine, NULL), 0);
    assert_int_equal(strata_records_put(&e_rec, db, "evil", "rec", "k", mine, NULL), 0);
    make_table(db, "evil", "tab", "id", NULL, NULL);
    put_item_json(db, "evil", "tab", "{\"id\":\"k\",\"mine\":1}");
    assert_int_equal(strata_entry_head(&e_tab, db, "evil", "tab", NULL), 0);
    strata_oid a_snap = tenant_snapshot(db, "acme");

    const strata_oid *foreign[] = {&a_doc, &a_rec, &a_tab, &a_other};
    strata_value *key = J("{\"id\":\"k\"}");
    for (size_t i = 0; i < 4; i++) {
        const strata_oid *d = foreign[i];
        strata_read_options ro = STRATA_READ_OPTIONS_INIT;
        ro.at = d;
        strata_value *out = NULL;
        strata_iter *it = NULL;
        strata_oid o;
        EXPECT_ERR(strata_document_load(&out, db, "evil", "doc", &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_records_get(&out, db, "evil", "rec", "k", &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_records_get_all(&out, db, "evil", "rec", &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_records_list(&it, db, "evil", "rec", &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_table_get_item(&out, db, "evil", "tab", key, NULL, NULL, &ro), STRATA_ENOTFOUND, NULL);
        strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
        q.key_condition = "id = \"k\"";
        EXPECT_ERR(strata_table_query(&it, db, "evil", "tab", &q, &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_table_scan(&it, db, "evil", "tab", NULL, &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_table_describe(&out, db, "evil", "tab", &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_head(&o, db, "evil", "doc", &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_kind_of(db, "evil", "doc", &ro), STRATA_ENOTFOUND, NULL);
        assert_int_equal(strata_entry_exists(db, "evil", "doc", &ro), 0);
        EXPECT_ERR(strata_entry_history(&it, db, "evil", "doc", d, 0), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_diff(&it, db, "evil", "doc", d, NULL), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_diff(&it, db, "evil", "doc", &e_doc, d), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_diff(&it, db, "evil", "rec", &e_rec, d), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_diff(&it, db, "evil", "tab", &e_tab, d), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_restore(&o, db, "evil", "doc", d, NULL), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_restore(&o, db, "evil", "rec", d, NULL), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_restore(&o, db, "evil", "tab", d, NULL), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_entry_restore(&o, db, "evil", "newentry", d, NULL), STRATA_ENOTFOUND, NULL);
        strata_commit *c = NULL;
        EXPECT_ERR(strata_commit_lookup(&c, db, "evil", d), STRATA_ENOTFOUND, NULL);
        assert_null(c);
        strata_txn *t = NULL;
        assert_int_equal(strata_txn_begin(&t, db, "evil", NULL), 0);
        assert_int_equal(strata_txn_expect_head(t, "doc", d), 0);
        assert_int_equal(strata_txn_save(t, "doc", secret), 0);
        EXPECT_ERR(strata_txn_commit(NULL, t), STRATA_ECONFLICT, NULL);
        assert_null(it);
        assert_null(out);
    }
    /* an entry's read point cannot be another entry's commit in the same tenant */
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &a_other;
    strata_value *out = NULL;
    EXPECT_ERR(strata_document_load(&out, db, "acme", "doc", &ro), STRATA_ENOTFOUND, NULL);
    strata_oid o;
    EXPECT_ERR(strata_entry_restore(&o, db, "acme", "doc", &a_other, NULL), STRATA_ENOTFOUND, NULL);
    strata_iter *it = NULL;
    EXPECT_ERR(strata_entry_history(&it, db, "acme", "doc", &a_other, 0), STRATA_ENOTFOUND, NULL);
    /* a manifest of acme is not a snapshot of evil, nor is a commit digest a snapshot */
    strata_read_options rs = STRATA_READ_OPTIONS_INIT;
    rs.snapshot = &a_snap;
    EXPECT_ERR(strata_document_load(&out, db, "evil", "doc", &rs), STRATA_ENOTFOUND, NULL);
    EXPECT_ERR(strata_entry_list(&it, db, "evil", &rs), STRATA_ENOTFOUND, NULL);
    EXPECT_ERR(strata_table_scan(&it, db, "evil", "tab", NULL, &rs), STRATA_ENOTFOUND, NULL);
    rs.snapshot = &a_doc;
    EXPECT_ERR(strata_document_load(&out, db, "acme", "doc", &rs), STRATA_ENOTFOUND, NULL);
    /* random digests */
    strata_oid junk;
    memset(junk.id, 0xab, sizeof junk.id);
    ro.at = &junk;
    EXPECT_ERR(strata_document_load(&out, db, "acme", "doc", &ro), STRATA_ENOTFOUND, NULL);
    rs.snapshot = &junk;
    EXPECT_ERR(strata_document_load(&out, db, "acme", "doc", &rs), STRATA_ENOTFOUND, NULL);
    /* evil's data is untouched and acme's secret never showed up in evil */
    assert_int_equal(strata_document_load(&out, db, "evil", "doc", NULL), 0);
    assert_string_equal(S(out), "{\"mine\":1}");
    strata_value_free(out);
    assert_int_equal(strata_entry_exists(db, "evil", "newentry", NULL), 0);
    strata_value_free(key);
    strata_value_free(secret);
    strata_value_free(mine);
}

/* The same digest read twice (cached the second time) is refused both times. */
static void test_adv_isolation_holds_with_a_warm_cache(void **state)
{
    fx *f = *state;
    strata_value *v = J("\"s\"");
    strata_oid a;
    assert_int_equal(strata_document_save(&a, f->db, "acme", "doc", v, NULL), 0);
    strata_value *out = NULL;
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &a;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(strata_document_load(&out, f->db, "acme", "doc", &ro), 0); /* warms the cache */
        strata_value_free(out);
        EXPECT_ERR(strata_document_load(&out, f->db, "evil", "doc", &ro), STRATA_ENOTFOUND, NULL);
        EXPECT_ERR(strata_document_load(&out, f->db, "acme", "doc2", &ro), STRATA_ENOTFOUND, NULL);
    }
    strata_oid snap = tenant_snapshot(f->db, "acme");
    strata_read_options rs = STRATA_READ_OPTIONS_INIT;
    rs.snapshot = &snap;
    assert_int_equal(strata_document_load(&out, f->db, "acme", "doc", &rs), 0);
    strata_value_free(out);
    EXPECT_ERR(strata_document_load(&out, f->db, "evil", "doc", &rs), STRATA_ENOTFOUND, NULL);
    strata_value_free(v);
}

/* ---- transactions ----------------------------------------------------------------------- */

static void test_adv_poisoned_transaction_refuses_everything_and_commits_nothing(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v = J("{\"x\":1}");
    make_table(db, "acme", "tab", "id", NULL, NULL);
    strata_txn *t = NULL;
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    assert_int_equal(strata_txn_put(t, "rec", "a", v), 0);
    assert_int_equal(strata_txn_save(t, "doc", v), 0);
    /* mixing a save into a records entry fails and poisons */
    EXPECT_ERR(strata_txn_save(t, "rec", v), STRATA_EINVALID, "rec");
    EXPECT_ERR(strata_txn_put(t, "rec", "b", v), STRATA_EPOISONED, NULL);
    EXPECT_ERR(strata_txn_delete(t, "rec", "a"), STRATA_EPOISONED, NULL);
    EXPECT_ERR(strata_txn_save(t, "doc2", v), STRATA_EPOISONED, NULL);
    EXPECT_ERR(strata_txn_expect_head(t, "doc", NULL), STRATA_EPOISONED, NULL);
    strata_value *item = J("{\"id\":\"z\"}");
    EXPECT_ERR(strata_txn_put_item(t, "tab", item), STRATA_EPOISONED, NULL);
    EXPECT_ERR(strata_txn_delete_item(t, "tab", item), STRATA_EPOISONED, NULL);
    strata_oid m;
    EXPECT_ERR(strata_txn_commit(&m, t), STRATA_EPOISONED, NULL);
    assert_int_equal(strata_entry_exists(db, "acme", "rec", NULL), 0);
    assert_int_equal(strata_entry_exists(db, "acme", "doc", NULL), 0);

    /* a failing item write (bad key) poisons too */
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    assert_int_equal(strata_txn_put_item(t, "tab", item), 0);
    strata_value *nokey = J("{\"other\":1}");
    EXPECT_ERR(strata_txn_put_item(t, "tab", nokey), STRATA_EINVALID, "id");
    EXPECT_ERR(strata_txn_put(t, "rec", "a", v), STRATA_EPOISONED, NULL);
    EXPECT_ERR(strata_txn_commit(NULL, t), STRATA_EPOISONED, NULL);
    /* an item write to a records entry, and a put to a table */
    assert_int_equal(strata_records_put(NULL, db, "acme", "rec", "a", v, NULL), 0);
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    EXPECT_ERR(strata_txn_put_item(t, "rec", item), STRATA_EINVALID, "not a table");
    strata_txn_abort(t);
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    assert_int_equal(strata_txn_put(t, "tab", "k", v), 0); /* checked at commit */
    assert_int_equal(strata_txn_put(t, "rec", "b", v), 0);
    EXPECT_ERR(strata_txn_commit(NULL, t), STRATA_EINVALID, "tab");
    strata_value *out = NULL;
    EXPECT_ERR(strata_records_get(&out, db, "acme", "rec", "b", NULL), STRATA_ENOTFOUND, NULL);
    strata_value *desc = NULL;
    assert_int_equal(strata_table_describe(&desc, db, "acme", "tab", NULL), 0);
    assert_string_equal(S(desc), "{\"count\":0,\"pk\":\"id\"}");
    strata_value_free(desc);
    /* an empty transaction changes nothing */
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    strata_oid before = tenant_snapshot(db, "acme");
    assert_int_equal(strata_txn_commit(&m, t), STRATA_UNCHANGED);
    assert_memory_equal(m.id, before.id, 32);
    /* expect_head in write options of a transaction is refused (it has its own call) */
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    w.expect_head = &before;
    EXPECT_ERR(strata_txn_begin(&t, db, "acme", &w), STRATA_EINVALID, "expect_head");
    strata_value_free(nokey);
    strata_value_free(item);
    strata_value_free(v);
}

static void test_adv_multi_entry_transaction_with_one_stale_head_changes_nothing(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v1 = J("1"), *v2 = J("2");
    strata_oid h;
    assert_int_equal(strata_document_save(&h, db, "acme", "a", v1, NULL), 0);
    make_table(db, "acme", "tab", "id", NULL, NULL);
    strata_oid before = tenant_snapshot(db, "acme");
    strata_txn *t = NULL;
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    assert_int_equal(strata_txn_save(t, "a", v2), 0);
    assert_int_equal(strata_txn_put(t, "r", "k", v2), 0);
    strata_value *item = J("{\"id\":\"x\"}");
    assert_int_equal(strata_txn_put_item(t, "tab", item), 0);
    assert_int_equal(strata_txn_expect_head(t, "a", &h), 0);
    /* someone else moves "a" before the commit */
    strata_value *v3 = J("3");
    assert_int_equal(strata_document_save(NULL, db, "acme", "a", v3, NULL), 0);
    strata_value_free(v3);
    strata_oid mid = tenant_snapshot(db, "acme");
    assert_memory_not_equal(mid.id, before.id, 32);
    EXPECT_ERR(strata_txn_commit(NULL, t), STRATA_ECONFLICT, "'a'");
    strata_oid after = tenant_snapshot(db, "acme");
    assert_memory_equal(after.id, mid.id, 32);
    assert_int_equal(strata_entry_exists(db, "acme", "r", NULL), 0);
    strata_value *out = NULL;
    assert_int_equal(strata_table_get_item(&out, db, "acme", "tab", item, NULL, NULL, NULL), STRATA_ENOTFOUND);
    /* an expectation that the entry does not exist, when it does */
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    assert_int_equal(strata_txn_expect_head(t, "tab", NULL), 0);
    assert_int_equal(strata_txn_put(t, "r", "k", v2), 0);
    EXPECT_ERR(strata_txn_commit(NULL, t), STRATA_ECONFLICT, "tab");
    assert_int_equal(strata_entry_exists(db, "acme", "r", NULL), 0);
    strata_value_free(item);
    strata_value_free(v1);
    strata_value_free(v2);
}

static void test_adv_transaction_of_100k_edits_commits_once_and_reads_back(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_txn *t = NULL;
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    enum { N = 100000 };
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%06d", i);
        strata_value *v = NULL;
        char js[32];
        int n = snprintf(js, sizeof js, "%d", i);
        assert_int_equal(strata_value_from_json(&v, js, (size_t)n, 0), 0);
        assert_int_equal(strata_txn_put(t, "big", key, v), 0);
        strata_value_free(v);
    }
    /* delete every 10th again and re-put the first with a new value: later edits win */
    for (int i = 0; i < N; i += 10) {
        snprintf(key, sizeof key, "k%06d", i);
        assert_int_equal(strata_txn_delete(t, "big", key), 0);
    }
    strata_value *last = J("\"last\"");
    assert_int_equal(strata_txn_put(t, "big", "k000000", last), 0);
    strata_value_free(last);
    assert_int_equal(strata_txn_commit(NULL, t), 0);
    strata_iter *it;
    assert_int_equal(strata_entry_history(&it, db, "acme", "big", NULL, 0), 0);
    assert_int_equal(drain(it), 1);
    strata_iter_free(it);
    assert_int_equal(strata_records_list(&it, db, "acme", "big", NULL), 0);
    size_t n = 0;
    while (strata_iter_next(it) == 0) n++;
    strata_iter_free(it);
    assert_int_equal(n, N - N / 10 + 1);
    strata_value *out = NULL;
    assert_int_equal(strata_records_get(&out, db, "acme", "big", "k000000", NULL), 0);
    assert_string_equal(S(out), "\"last\"");
    strata_value_free(out);
    assert_int_equal(strata_records_get(&out, db, "acme", "big", "k000010", NULL), STRATA_ENOTFOUND);
    assert_int_equal(strata_records_get(&out, db, "acme", "big", "k099999", NULL), 0);
    assert_string_equal(S(out), "99999");
    strata_value_free(out);
}

/* ---- tenants dropped under open handles ------------------------------------------------- */

static void test_adv_drop_tenant_under_open_iterator_and_transaction(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v = J("{\"v\":1}");
    const char *keys[] = {"a", "b", "c"};
    const strata_value *vals[] = {v, v, v};
    assert_int_equal(strata_records_put_many(NULL, db, "acme", "r", keys, vals, 3, NULL), 0);
    strata_iter *it = NULL;
    assert_int_equal(strata_records_list(&it, db, "acme", "r", NULL), 0);
    assert_int_equal(strata_iter_next(it), 0);
    strata_txn *t = NULL;
    assert_int_equal(strata_txn_begin(&t, db, "acme", NULL), 0);
    assert_int_equal(strata_txn_put(t, "r", "d", v), 0);
    strata_oid snap = tenant_snapshot(db, "acme");
    assert_int_equal(strata_tenant_drop(db, "acme", NULL), 0);
    /* the iterator finishes over its immutable snapshot */
    assert_int_equal(drain(it), 2);
    strata_iter_free(it);
    /* the transaction cannot resurrect the tenant */
    EXPECT_ERR(strata_txn_commit(NULL, t), STRATA_ENOTFOUND, "acme");
    assert_int_equal(strata_tenant_exists(db, "acme"), 0);
    strata_value *out = NULL;
    EXPECT_ERR(strata_records_get(&out, db, "acme", "r", "a", NULL), STRATA_ENOTFOUND, "acme");
    strata_read_options rs = STRATA_READ_OPTIONS_INIT;
    rs.snapshot = &snap;
    EXPECT_ERR(strata_records_get(&out, db, "acme", "r", "a", &rs), STRATA_ENOTFOUND, "acme");
    EXPECT_ERR(strata_records_put(NULL, db, "acme", "r", "a", v, NULL), STRATA_ENOTFOUND, "acme");
    EXPECT_ERR(strata_tenant_drop(db, "acme", NULL), STRATA_ENOTFOUND, "acme");
    EXPECT_ERR(strata_tenant_snapshot(&snap, db, "acme", 0), STRATA_ENOTFOUND, "acme");
    strata_iter *ts;
    assert_int_equal(strata_tenant_list(&ts, db), 0);
    assert_int_equal(strata_iter_next(ts), 0);
    assert_memory_equal(strata_iter_key(ts).data, "evil", 4);
    assert_int_equal(strata_iter_next(ts), STRATA_ITEROVER);
    strata_iter_free(ts);
    /* re-created, the tenant starts empty */
    assert_int_equal(strata_tenant_init(db, "acme", NULL), 0);
    assert_int_equal(strata_entry_exists(db, "acme", "r", NULL), 0);
    EXPECT_ERR(strata_records_get(&out, db, "acme", "r", "a", NULL), STRATA_ENOTFOUND, NULL);
    strata_value_free(v);
}

/* ---- tables ----------------------------------------------------------------------------- */

static void test_adv_table_key_attributes_of_wrong_types_are_refused(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    make_table(db, "acme", "t", "pk", "sk", NULL);
    const char *bad_items[] = {
        "{\"pk\":true,\"sk\":1}",       "{\"pk\":null,\"sk\":1}",     "{\"pk\":[1],\"sk\":1}",
        "{\"pk\":{\"a\":1},\"sk\":1}",  "{\"pk\":\"a\",\"sk\":false}", "{\"pk\":\"a\"}",
        "{\"sk\":1}",                    "[1,2]",                        "\"pk\"",
    };
    for (size_t i = 0; i < sizeof bad_items / sizeof bad_items[0]; i++) {
        strata_value *v = J(bad_items[i]);
        EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", v, NULL, NULL), STRATA_EINVALID, NULL);
        strata_value *out = NULL;
        EXPECT_ERR(strata_table_get_item(&out, db, "acme", "t", v, NULL, NULL, NULL), STRATA_EINVALID, NULL);
        EXPECT_ERR(strata_table_delete_item(NULL, db, "acme", "t", v, NULL, NULL), STRATA_EINVALID, NULL);
        EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", v, "SET x = 1", NULL, NULL), STRATA_EINVALID, NULL);
        strata_value_free(v);
    }
    /* sets as keys are refused too (DynamoDB JSON can express them) */
    strata_value *ss = D("{\"pk\":{\"SS\":[\"a\"]},\"sk\":{\"N\":\"1\"}}");
    EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", ss, NULL, NULL), STRATA_EINVALID, "'pk'");
    strata_value_free(ss);
    /* a key with extra attributes is not a key */
    strata_value *extra = J("{\"pk\":\"a\",\"sk\":1,\"x\":2}");
    strata_value *out = NULL;
    EXPECT_ERR(strata_table_get_item(&out, db, "acme", "t", extra, NULL, NULL, NULL), STRATA_EINVALID, "only the key");
    EXPECT_ERR(strata_table_delete_item(NULL, db, "acme", "t", extra, NULL, NULL), STRATA_EINVALID, "only the key");
    strata_value_free(extra);
    strata_value *desc = NULL;
    assert_int_equal(strata_table_describe(&desc, db, "acme", "t", NULL), 0);
    assert_string_equal(S(desc), "{\"count\":0,\"pk\":\"pk\",\"sk\":\"sk\"}");
    strata_value_free(desc);
    /* a key longer than the tree allows: a clear limit error, nothing written */
    size_t big = 5000;
    char *js = malloc(big + 64);
    int n = snprintf(js, big + 64, "{\"pk\":\"%0*d\",\"sk\":1}", (int)big, 0);
    strata_value *huge = NULL;
    assert_int_equal(strata_value_from_json(&huge, js, (size_t)n, 0), 0);
    strata_error_clear();
    int rc = strata_table_put_item(NULL, db, "acme", "t", huge, NULL, NULL);
    assert_true(rc == STRATA_ELIMIT || rc == STRATA_EINVALID);
    assert_true(strata_error_last()->message[0] != 0);
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", huge, NULL, NULL, NULL) < 0, 1);
    strata_value_free(huge);
    free(js);
    assert_int_equal(strata_table_describe(&desc, db, "acme", "t", NULL), 0);
    assert_string_equal(S(desc), "{\"count\":0,\"pk\":\"pk\",\"sk\":\"sk\"}");
    strata_value_free(desc);
}

/* Keys with embedded NULs (possible through DynamoDB JSON) stay distinct and ordered. */
static void test_adv_table_binary_and_nul_keys_are_distinct(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    make_table(db, "acme", "t", "pk", "sk", NULL);
    const char *items[] = {
        "{\"pk\":{\"S\":\"a\\u0000b\"},\"sk\":{\"B\":\"AA==\"},\"n\":{\"N\":\"1\"}}",
        "{\"pk\":{\"S\":\"a\"},\"sk\":{\"B\":\"AA==\"},\"n\":{\"N\":\"2\"}}",
        "{\"pk\":{\"S\":\"a\\u0000\"},\"sk\":{\"B\":\"AAA=\"},\"n\":{\"N\":\"3\"}}",
        "{\"pk\":{\"S\":\"a\"},\"sk\":{\"B\":\"AAA=\"},\"n\":{\"N\":\"4\"}}",
        "{\"pk\":{\"S\":\"a\"},\"sk\":{\"B\":\"\"},\"n\":{\"N\":\"5\"}}",
        "{\"pk\":{\"B\":\"YQ==\"},\"sk\":{\"S\":\"\"},\"n\":{\"N\":\"6\"}}",
    };
    for (size_t i = 0; i < 6; i++) {
        strata_value *v = D(items[i]);
        assert_int_equal(strata_table_put_item(NULL, db, "acme", "t", v, NULL, NULL), 0);
        strata_value_free(v);
    }
    for (size_t i = 0; i < 6; i++) {
        strata_value *v = D(items[i]), *key = NULL, *out = NULL;
        /* the key is the item without "n" */
        char kj[256];
        snprintf(kj, sizeof kj, "%s", items[i]);
        char *cut = strstr(kj, ",\"n\"");
        strcpy(cut, "}");
        key = D(kj);
        assert_int_equal(strata_table_get_item(&out, db, "acme", "t", key, NULL, NULL, NULL), 0);
        assert_true(strata_value_equal(out, v));
        strata_value_free(out);
        strata_value_free(key);
        strata_value_free(v);
    }
    /* partition "a" holds exactly its three items in sort-key order: "", 00, 0000 */
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    q.key_condition = "pk = :p";
    strata_value *vals = D("{\":p\":{\"S\":\"a\"}}");
    q.values = vals;
    strata_iter *it;
    assert_int_equal(strata_table_query(&it, db, "acme", "t", &q, NULL), 0);
    const char *want[] = {"5", "2", "4"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(strata_iter_next(it), 0);
        strata_value *nv = NULL;
        char *js = NULL;
        assert_int_equal(strata_value_to_json(&js, NULL, strata_iter_value(it), 0), 0);
        char exp[16];
        snprintf(exp, sizeof exp, "\"n\":%s", want[i]);
        assert_non_null(strstr(js, exp));
        strata_free(js);
        strata_value_free(nv);
    }
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    /* begins_with on the binary sort key with an empty prefix covers the partition */
    strata_value_free(vals);
    vals = D("{\":p\":{\"S\":\"a\\u0000\"},\":e\":{\"B\":\"\"}}");
    q.values = vals;
    q.key_condition = "pk = :p AND begins_with(sk, :e)";
    assert_int_equal(strata_table_query(&it, db, "acme", "t", &q, NULL), 0);
    assert_int_equal(drain(it), 1);
    strata_iter_free(it);
    strata_value_free(vals);
    strata_value *desc = NULL;
    assert_int_equal(strata_table_describe(&desc, db, "acme", "t", NULL), 0);
    assert_non_null(strstr(S(desc), "\"count\":6"));
    strata_value_free(desc);
}

static void test_adv_update_expressions_cannot_touch_key_attributes(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    make_table(db, "acme", "t", "id", "ts", NULL);
    put_item_json(db, "acme", "t", "{\"id\":\"a\",\"ts\":1,\"x\":1}");
    strata_oid before;
    assert_int_equal(strata_entry_head(&before, db, "acme", "t", NULL), 0);
    strata_value *key = J("{\"id\":\"a\",\"ts\":1}");
    struct {
        const char *upd, *names, *values;
    } cases[] = {
        {"SET #k = :v", "{\"#k\":\"id\"}", "{\":v\":\"b\"}"},
        {"SET id = :v", NULL, "{\":v\":\"b\"}"},
        {"REMOVE #k", "{\"#k\":\"id\"}", NULL},
        {"REMOVE ts", NULL, NULL},
        {"ADD #s :n", "{\"#s\":\"ts\"}", "{\":n\":5}"},
        {"SET #s = #s + :n", "{\"#s\":\"ts\"}", "{\":n\":5}"},
        {"SET x = :n, #s = :n", "{\"#s\":\"ts\"}", "{\":n\":5}"},
        {"SET #k = #k", "{\"#k\":\"id\"}", NULL},
        {"SET #k = :v", "{\"#k\":\"id\"}", "{\":v\":\"a\"}"}, /* the same value: still refused */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
        strata_value *n1 = cases[i].names ? J(cases[i].names) : NULL;
        strata_value *v1 = cases[i].values ? J(cases[i].values) : NULL;
        io.names = n1;
        io.values = v1;
        EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", key, cases[i].upd, &io, NULL), STRATA_EINVALID, "key attribute");
        strata_value_free(n1);
        strata_value_free(v1);
    }
    strata_oid after;
    assert_int_equal(strata_entry_head(&after, db, "acme", "t", NULL), 0);
    assert_memory_equal(after.id, before.id, 32);
    /* a #name holding a dotted path is one attribute: "id.x" is not the key */
    strata_value *dn = J("{\"#d\":\"id.x\"}");
    strata_value *dv = J("{\":v\":1}");
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    io.names = dn;
    io.values = dv;
    assert_int_equal(strata_table_update_item(NULL, db, "acme", "t", key, "SET #d = :v", &io, NULL), 0);
    strata_value *out = NULL;
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", key, NULL, NULL, NULL), 0);
    assert_string_equal(S(out), "{\"id\":\"a\",\"id.x\":1,\"ts\":1,\"x\":1}");
    strata_value_free(out);
    strata_value_free(dn);
    strata_value_free(dv);
    strata_value_free(key);
}

static void test_adv_update_semantics_match_dynamodb(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    make_table(db, "acme", "t", "id", NULL, NULL);
    strata_value *key = J("{\"id\":\"a\"}");
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    strata_value *vals = J("{\":n\":5}");
    io.values = vals;
    /* ADD to a missing number creates it (and the item) */
    assert_int_equal(strata_table_update_item(NULL, db, "acme", "t", key, "ADD cnt :n", &io, NULL), 0);
    strata_value *out = NULL;
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", key, NULL, NULL, NULL), 0);
    assert_string_equal(S(out), "{\"cnt\":5,\"id\":\"a\"}");
    strata_value_free(out);
    assert_int_equal(strata_table_update_item(NULL, db, "acme", "t", key, "ADD cnt :n", &io, NULL), 0);
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", key, NULL, NULL, NULL), 0);
    assert_string_equal(S(out), "{\"cnt\":10,\"id\":\"a\"}");
    strata_value_free(out);
    strata_oid h;
    assert_int_equal(strata_entry_head(&h, db, "acme", "t", NULL), 0);
    /* SET x = missing + 1 is an error, not a silent change */
    strata_value_free(vals);
    vals = J("{\":one\":1}");
    io.values = vals;
    strata_error_clear();
    int rc = strata_table_update_item(NULL, db, "acme", "t", key, "SET y = nothere + :one", &io, NULL);
    assert_int_equal(rc, STRATA_EINVALID);
    assert_true(strata_error_last()->message[0] != 0);
    /* ADD a number to a string attribute */
    put_item_json(db, "acme", "t", "{\"id\":\"s\",\"cnt\":\"str\",\"tags\":[\"x\"]}");
    strata_value *skey = J("{\"id\":\"s\"}");
    strata_oid h2;
    assert_int_equal(strata_entry_head(&h2, db, "acme", "t", NULL), 0);
    EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", skey, "ADD cnt :one", &io, NULL), STRATA_EINVALID, NULL);
    strata_oid h3;
    assert_int_equal(strata_entry_head(&h3, db, "acme", "t", NULL), 0);
    assert_memory_equal(h2.id, h3.id, 32);
    strata_value_free(vals);
    /* DELETE the last members of a set removes the attribute (DynamoDB never stores empty sets) */
    strata_value *set_item = D("{\"id\":{\"S\":\"set\"},\"tags\":{\"SS\":[\"a\",\"b\"]}}");
    assert_int_equal(strata_table_put_item(NULL, db, "acme", "t", set_item, NULL, NULL), 0);
    strata_value_free(set_item);
    strata_value *setkey = J("{\"id\":\"set\"}");
    vals = D("{\":d\":{\"SS\":[\"a\",\"b\",\"zz\"]}}");
    io.values = vals;
    assert_int_equal(strata_table_update_item(NULL, db, "acme", "t", setkey, "DELETE tags :d", &io, NULL), 0);
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", setkey, NULL, NULL, NULL), 0);
    assert_string_equal(S(out), "{\"id\":\"set\"}");
    strata_value_free(out);
    /* DELETE from a missing set changes nothing */
    assert_int_equal(strata_table_update_item(NULL, db, "acme", "t", setkey, "DELETE tags :d", &io, NULL), STRATA_UNCHANGED);
    strata_value_free(vals);
    /* conditions on missing attributes: comparisons are false, <> is true */
    strata_value *cv = J("{\":v\":1}");
    io.values = cv;
    io.condition = "missing = :v";
    vals = NULL;
    EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", key, "SET z = :v", &io, NULL), STRATA_ECONDITION, NULL);
    io.condition = "missing < :v";
    EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", key, "SET z = :v", &io, NULL), STRATA_ECONDITION, NULL);
    io.condition = "attribute_exists(missing.deep[3])";
    EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", key, "SET z = :v", &io, NULL), STRATA_ECONDITION, NULL);
    io.condition = "missing <> :v AND attribute_not_exists(missing)";
    assert_int_equal(strata_table_update_item(NULL, db, "acme", "t", key, "SET z = :v", &io, NULL), 0);
    /* a condition on a missing item: attribute_not_exists(id) is the put-if-absent idiom */
    io.condition = "attribute_not_exists(id)";
    io.values = NULL;
    strata_value *newitem = J("{\"id\":\"a\",\"replaced\":true}");
    EXPECT_ERR(strata_table_put_item(NULL, db, "acme", "t", newitem, &io, NULL), STRATA_ECONDITION, NULL);
    strata_value_free(newitem);
    strata_value_free(cv);
    /* unused placeholders are an error and change nothing */
    strata_item_options io2 = STRATA_ITEM_OPTIONS_INIT;
    strata_value *unused = J("{\":v\":1,\":w\":2}");
    io2.values = unused;
    EXPECT_ERR(strata_table_update_item(NULL, db, "acme", "t", key, "SET q = :v", &io2, NULL), STRATA_EINVALID, ":w");
    strata_value_free(unused);
    strata_value_free(skey);
    strata_value_free(setkey);
    strata_value_free(key);
}

static void test_adv_projection_of_missing_paths_and_query_edges(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    make_table(db, "acme", "t", "p", "s", NULL);
    for (int p = 0; p < 3; p++)
        for (int s = 0; s < 5; s++) {
            char js[128];
            snprintf(js, sizeof js, "{\"p\":\"p%d\",\"s\":%d,\"a\":{\"b\":[%d,%d]}}", p, s, p, s);
            put_item_json(db, "acme", "t", js);
        }
    strata_value *key = J("{\"p\":\"p1\",\"s\":2}");
    strata_value *out = NULL;
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", key, "nothere, a.zz, a.b[7]", NULL, NULL), 0);
    assert_string_equal(S(out), "{}");
    strata_value_free(out);
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", key, "a.b[1], nothere", NULL, NULL), 0);
    assert_string_equal(S(out), "{\"a\":{\"b\":[2]}}");
    strata_value_free(out);
    EXPECT_ERR(strata_table_get_item(&out, db, "acme", "t", key, "a..b", NULL, NULL), STRATA_EINVALID, NULL);
    EXPECT_ERR(strata_table_get_item(&out, db, "acme", "t", key, "", NULL, NULL), STRATA_EINVALID, NULL);
    strata_value *nm = J("{\"#x\":\"a\"}");
    EXPECT_ERR(strata_table_get_item(&out, db, "acme", "t", key, NULL, nm, NULL), STRATA_EINVALID, "#x");
    strata_value_free(nm);

    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    strata_iter *it;
    /* limit 0 means all */
    q.key_condition = "p = \"p1\"";
    assert_int_equal(strata_table_query(&it, db, "acme", "t", &q, NULL), 0);
    assert_int_equal(drain(it), 5);
    assert_int_equal(strata_iter_last_key(&out, it), STRATA_ENOTFOUND);
    strata_iter_free(it);
    /* a limit that ends exactly at the partition's end gives no LastEvaluatedKey */
    q.limit = 5;
    assert_int_equal(strata_table_query(&it, db, "acme", "t", &q, NULL), 0);
    assert_int_equal(drain(it), 5);
    assert_int_equal(strata_iter_last_key(&out, it), STRATA_ENOTFOUND);
    strata_iter_free(it);
    q.limit = 0;
    /* start_key from another partition never leaks items of that partition */
    strata_value *other = J("{\"p\":\"p0\",\"s\":3}");
    q.start_key = other;
    strata_error_clear();
    int rc = strata_table_query(&it, db, "acme", "t", &q, NULL);
    if (rc == 0) {
        while ((rc = strata_iter_next(it)) == 0) {
            char *js = NULL;
            assert_int_equal(strata_value_to_json(&js, NULL, strata_iter_value(it), 0), 0);
            assert_non_null(strstr(js, "\"p\":\"p1\""));
            strata_free(js);
        }
        assert_int_equal(rc, STRATA_ITEROVER);
        strata_iter_free(it);
    } else {
        assert_int_equal(rc, STRATA_EINVALID);
    }
    strata_value_free(other);
    /* a start key that is not a key */
    strata_value *badstart = J("{\"p\":\"p1\"}");
    q.start_key = badstart;
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, "'s'");
    strata_value_free(badstart);
    q.start_key = NULL;
    /* key conditions that are not key conditions */
    q.key_condition = "s = 1";
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, NULL);
    q.key_condition = "p = \"p1\" OR p = \"p2\"";
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, NULL);
    q.key_condition = "p = \"p1\" AND a = 1";
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, NULL);
    q.key_condition = "p > \"p1\"";
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, NULL);
    q.key_condition = "p = \"p1\" AND s BETWEEN 4 AND 1"; /* empty range */
    strata_error_clear();
    rc = strata_table_query(&it, db, "acme", "t", &q, NULL);
    if (rc == 0) {
        assert_int_equal(drain(it), 0);
        strata_iter_free(it);
    } else {
        assert_int_equal(rc, STRATA_EINVALID);
    }
    /* segments beyond the item count: every item exactly once */
    strata_query_options sq = STRATA_QUERY_OPTIONS_INIT;
    sq.total_segments = 40;
    size_t total = 0;
    for (unsigned s = 0; s < 40; s++) {
        sq.segment = s;
        assert_int_equal(strata_table_scan(&it, db, "acme", "t", &sq, NULL), 0);
        total += drain(it);
        strata_iter_free(it);
    }
    assert_int_equal(total, 15);
    sq.segment = 40;
    EXPECT_ERR(strata_table_scan(&it, db, "acme", "t", &sq, NULL), STRATA_EINVALID, "segment");
    sq.segment = 0;
    sq.total_segments = 2;
    q.key_condition = "p = \"p1\"";
    q.total_segments = 2;
    EXPECT_ERR(strata_table_query(&it, db, "acme", "t", &q, NULL), STRATA_EINVALID, "segments");
    /* a scan with a key condition or reverse is refused */
    sq.key_condition = "p = \"p1\"";
    EXPECT_ERR(strata_table_scan(&it, db, "acme", "t", &sq, NULL), STRATA_EINVALID, "key condition");
    sq.key_condition = NULL;
    sq.reverse = 1;
    EXPECT_ERR(strata_table_scan(&it, db, "acme", "t", &sq, NULL), STRATA_EINVALID, "key order");
    /* a filter that errors on some items? comparisons never error: a filter on a missing path */
    strata_query_options fq = STRATA_QUERY_OPTIONS_INIT;
    fq.filter = "nothere.x[2] > 3 OR size(a.b) = 2";
    fq.limit = 4;
    assert_int_equal(strata_table_scan(&it, db, "acme", "t", &fq, NULL), 0);
    assert_int_equal(drain(it), 4);
    assert_int_equal(strata_iter_scanned_count(it), 4);
    assert_int_equal(strata_iter_last_key(&out, it), 0);
    assert_string_equal(S(out), "{\"p\":\"p0\",\"s\":3}");
    strata_value_free(out);
    strata_iter_free(it);
    strata_value_free(key);
}

static void test_adv_ttl_attribute_of_odd_types(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    make_table(db, "acme", "t", "id", NULL, "exp");
    const char *items[] = {
        "{\"id\":\"past\",\"exp\":1}",
        "{\"id\":\"neg\",\"exp\":-5}",
        "{\"id\":\"frac\",\"exp\":1.5}",
        "{\"id\":\"future\",\"exp\":99999999999}",
        "{\"id\":\"huge\",\"exp\":1e37}",
        "{\"id\":\"string\",\"exp\":\"1\"}",
        "{\"id\":\"null\",\"exp\":null}",
        "{\"id\":\"list\",\"exp\":[1]}",
        "{\"id\":\"map\",\"exp\":{\"N\":1}}",
        "{\"id\":\"none\"}",
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) put_item_json(db, "acme", "t", items[i]);
    /* the expired (past numbers) are invisible; every odd type never expires */
    strata_iter *it;
    assert_int_equal(strata_table_scan(&it, db, "acme", "t", NULL, NULL), 0);
    assert_int_equal(drain(it), 7);
    strata_iter_free(it);
    strata_value *k = J("{\"id\":\"past\"}"), *out = NULL;
    EXPECT_ERR(strata_table_get_item(&out, db, "acme", "t", k, NULL, NULL, NULL), STRATA_ENOTFOUND, NULL);
    /* an expired item counts as absent for conditions */
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    io.condition = "attribute_not_exists(id)";
    strata_value *renew = J("{\"id\":\"past\",\"exp\":99999999999}");
    assert_int_equal(strata_table_put_item(NULL, db, "acme", "t", renew, &io, NULL), 0);
    strata_value_free(renew);
    assert_int_equal(strata_table_get_item(&out, db, "acme", "t", k, NULL, NULL, NULL), 0);
    strata_value_free(out);
    /* the sweep removes exactly the two still expired */
    uint64_t removed = 0;
    assert_int_equal(strata_table_sweep_ttl(&removed, db, "acme", "t", 0), 0);
    assert_int_equal(removed, 2);
    strata_value *desc = NULL;
    assert_int_equal(strata_table_describe(&desc, db, "acme", "t", NULL), 0);
    assert_non_null(strstr(S(desc), "\"count\":8"));
    strata_value_free(desc);
    assert_int_equal(strata_table_sweep_ttl(&removed, db, "acme", "t", 0), STRATA_UNCHANGED);
    assert_int_equal(removed, 0);
    /* a sweep told a later time deletes what has expired by then (here "future" and the renewed
     * "past", both 99999999999), rechecking against that same time at commit */
    removed = 77;
    assert_int_equal(strata_table_sweep_ttl(&removed, db, "acme", "t", 999999999999LL), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(strata_table_describe(&desc, db, "acme", "t", NULL), 0);
    assert_non_null(strstr(S(desc), "\"count\":6"));
    strata_value_free(desc);
    strata_value_free(k);
}

/* ---- read-only handles ------------------------------------------------------------------ */

static void test_adv_read_only_handle_refuses_every_write_while_a_writer_works(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v = J("{\"v\":1}");
    assert_int_equal(strata_document_save(NULL, db, "acme", "doc", v, NULL), 0);
    make_table(db, "acme", "tab", "id", NULL, "exp");
    put_item_json(db, "acme", "tab", "{\"id\":\"a\",\"exp\":1}");
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.read_only = 1;
    strata_db *ro = NULL;
    assert_int_equal(strata_db_open(&ro, f->path, &o), 0);
    strata_oid h;
    assert_int_equal(strata_entry_head(&h, ro, "acme", "doc", NULL), 0);
    EXPECT_ERR(strata_document_save(NULL, ro, "acme", "doc", v, NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_records_put(NULL, ro, "acme", "r", "k", v, NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_records_delete(NULL, ro, "acme", "r", "k", NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_entry_restore(NULL, ro, "acme", "doc", &h, NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_tenant_init(ro, "new", NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_tenant_drop(ro, "acme", NULL), STRATA_EINVALID, "read-only");
    strata_txn *t = NULL;
    EXPECT_ERR(strata_txn_begin(&t, ro, "acme", NULL), STRATA_EINVALID, "read-only");
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    sc.pk = "id";
    EXPECT_ERR(strata_table_create(NULL, ro, "acme", "t2", &sc, NULL), STRATA_EINVALID, "read-only");
    strata_value *item = J("{\"id\":\"b\"}");
    EXPECT_ERR(strata_table_put_item(NULL, ro, "acme", "tab", item, NULL, NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_table_update_item(NULL, ro, "acme", "tab", item, "SET x = 1", NULL, NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_table_delete_item(NULL, ro, "acme", "tab", item, NULL, NULL), STRATA_EINVALID, "read-only");
    EXPECT_ERR(strata_table_sweep_ttl(NULL, ro, "acme", "tab", 0), STRATA_EINVALID, "read-only");
    /* the writer keeps working and the reader sees its commits */
    strata_value *v2 = J("{\"v\":2}");
    assert_int_equal(strata_document_save(NULL, db, "acme", "doc", v2, NULL), 0);
    strata_value *out = NULL;
    assert_int_equal(strata_document_load(&out, ro, "acme", "doc", NULL), 0);
    assert_string_equal(S(out), "{\"v\":2}");
    strata_value_free(out);
    assert_int_equal(strata_tenant_exists(ro, "new"), 0);
    uint64_t problems = 9;
    assert_int_equal(strata_db_verify(&problems, ro), 0);
    strata_db_close(ro);
    /* a read-only open never creates a database */
    char *missing = tu_path(f->dir, "missing");
    EXPECT_ERR(strata_db_open(&ro, missing, &o), STRATA_ENOTFOUND, NULL);
    assert_null(ro);
    struct stat st;
    assert_int_not_equal(stat(missing, &st), 0);
    free(missing);
    strata_value_free(item);
    strata_value_free(v);
    strata_value_free(v2);
}

/* ---- snapshot iterators while writers commit ------------------------------------------- */

typedef struct writer_arg {
    strata_db *db;
    volatile int stop;
    int commits;
} writer_arg;

static void *writer_main(void *p)
{
    writer_arg *a = p;
    int i = 0;
    while (!a->stop && i < 2000) {
        char key[16];
        snprintf(key, sizeof key, "k%03d", i % 300);
        strata_value *v = NULL;
        char js[32];
        int n = snprintf(js, sizeof js, "{\"gen\":%d}", i);
        strata_value_from_json(&v, js, (size_t)n, 0);
        if (i % 3 == 2) strata_records_delete(NULL, a->db, "acme", "r", key, NULL);
        else strata_records_put(NULL, a->db, "acme", "r", key, v, NULL);
        strata_value_free(v);
        i++;
        __atomic_add_fetch(&a->commits, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_adv_snapshot_iterators_stay_consistent_while_writers_commit(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    strata_value *v0 = J("{\"gen\":-1}");
    for (int i = 0; i < 200; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%03d", i);
        assert_int_equal(strata_records_put(NULL, db, "acme", "r", key, v0, NULL), 0);
    }
    strata_value_free(v0);
    writer_arg a = {db, 0, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &a), 0);
    /* at least 30 rounds, and on until the writer has made 100 commits (it makes 2000 at most) */
    for (int round = 0; round < 30 || __atomic_load_n(&a.commits, __ATOMIC_RELAXED) < 100; round++) {
        strata_oid snap = tenant_snapshot(db, "acme");
        strata_read_options ro = STRATA_READ_OPTIONS_INIT;
        ro.snapshot = &snap;
        /* the same snapshot read twice through two paths gives the same content */
        strata_value *all = NULL;
        assert_int_equal(strata_records_get_all(&all, db, "acme", "r", &ro), 0);
        strata_iter *it;
        assert_int_equal(strata_records_list(&it, db, "acme", "r", &ro), 0);
        char *js = NULL;
        assert_int_equal(strata_value_to_json(&js, NULL, all, 0), 0);
        size_t n = 0;
        int rc;
        char prev[64] = "";
        while ((rc = strata_iter_next(it)) == 0) {
            strata_slice k = strata_iter_key(it);
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)k.len, (const char *)k.data);
            assert_true(strcmp(prev, name) < 0);
            snprintf(prev, sizeof prev, "%s", name);
            char needle[160];
            char *vj = NULL;
            assert_int_equal(strata_value_to_json(&vj, NULL, strata_iter_value(it), 0), 0);
            snprintf(needle, sizeof needle, "\"%s\":%s", name, vj);
            assert_non_null(strstr(js, needle));
            strata_free(vj);
            n++;
        }
        assert_int_equal(rc, STRATA_ITEROVER);
        strata_iter_free(it);
        /* the map holds exactly n members */
        size_t members = 0;
        for (const char *p = js; (p = strstr(p, "\"k")); p++) members++;
        assert_int_equal(members, n);
        strata_free(js);
        strata_value_free(all);
    }
    a.stop = 1;
    pthread_join(th, NULL);
    assert_true(a.commits > 0);
}

/* ---- listeners -------------------------------------------------------------------------- */

typedef struct lctx {
    strata_db *db;
    uint64_t id;
    int calls;
} lctx;

static int one_shot_listener(const char *tenant, const char *entry, const strata_value *key, const strata_value *old,
                             const strata_value *nw, void *payload)
{
    (void)tenant, (void)entry, (void)key, (void)old, (void)nw;
    lctx *c = payload;
    c->calls++;
    strata_listener_remove(c->db, c->id); /* a one-shot listener removes itself */
    return 0;
}

typedef struct listen_run {
    strata_db *db;
    int rc;
    volatile int done;
} listen_run;

static void *listen_commit_main(void *p)
{
    listen_run *r = p;
    strata_value *v = NULL;
    strata_value_from_json(&v, "1", 1, 0);
    r->rc = strata_records_put(NULL, r->db, "acme", "r", "k", v, NULL);
    strata_value_free(v);
    r->done = 1;
    return NULL;
}

/* A listener may unregister itself from inside its callback (must not deadlock). */
static void test_adv_listener_can_unlisten_itself(void **state)
{
    fx *f = *state;
    lctx c = {f->db, 0, 0};
    assert_int_equal(strata_listener_add(&c.id, f->db, one_shot_listener, &c), 0);
    listen_run r = {f->db, -99, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, listen_commit_main, &r), 0);
    for (int i = 0; i < 500 && !r.done; i++) usleep(10000);
    if (!r.done) {
        fprintf(stderr, "listener deadlocked: leaving the thread behind\n");
        pthread_detach(th);
        fail_msg("a commit whose listener calls strata_listener_remove deadlocked");
    }
    pthread_join(th, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(c.calls, 1);
    strata_value *v = J("2");
    assert_int_equal(strata_records_put(NULL, f->db, "acme", "r", "k", v, NULL), 0);
    strata_value_free(v);
    assert_int_equal(c.calls, 1);
    EXPECT_ERR(strata_listener_remove(f->db, c.id), STRATA_ENOTFOUND, NULL);
}

/* ---- values at the limits --------------------------------------------------------------- */

static void test_adv_deep_and_huge_values(void **state)
{
    fx *f = *state;
    strata_db *db = f->db;
    /* 64 levels are fine, 65 are a limit error, 100000 never overflow the stack */
    const int depths[] = {64, 65, 100000};
    for (int di = 0; di < 3; di++) {
        int depth = depths[di];
        size_t len = (size_t)depth * 2 + 1;
        char *js = malloc(len + 1);
        for (int i = 0; i < depth; i++) js[i] = '[';
        js[depth] = '1';
        for (int i = 0; i < depth; i++) js[depth + 1 + i] = ']';
        js[len] = 0;
        strata_value *v = NULL;
        strata_error_clear();
        int rc = strata_value_from_json(&v, js, len, 0);
        if (depth == 64) {
            assert_int_equal(rc, 0);
            assert_int_equal(strata_document_save(NULL, db, "acme", "deep", v, NULL), 0);
            strata_value *out = NULL;
            assert_int_equal(strata_document_load(&out, db, "acme", "deep", NULL), 0);
            assert_true(strata_value_equal(out, v));
            strata_value_free(out);
        } else {
            assert_int_equal(rc, STRATA_ELIMIT);
            assert_non_null(strstr(strata_error_last()->message, "64"));
            assert_null(v);
        }
        strata_value_free(v);
        free(js);
    }
    /* a 65 MiB string value round-trips through save/load and a record */
    size_t big = (size_t)65 << 20;
    char *js = malloc(big + 3);
    js[0] = '"';
    memset(js + 1, 'x', big);
    js[big + 1] = '"';
    js[big + 2] = 0;
    strata_value *v = NULL;
    assert_int_equal(strata_value_from_json(&v, js, big + 2, 0), 0);
    free(js);
    assert_int_equal(strata_document_save(NULL, db, "acme", "huge", v, NULL), 0);
    assert_int_equal(strata_records_put(NULL, db, "acme", "hr", "k", v, NULL), 0);
    strata_value *out = NULL;
    assert_int_equal(strata_document_load(&out, db, "acme", "huge", NULL), 0);
    assert_true(strata_value_equal(out, v));
    strata_value_free(out);
    assert_int_equal(strata_records_get(&out, db, "acme", "hr", "k", NULL), 0);
    assert_true(strata_value_equal(out, v));
    strata_value_free(out);
    strata_value_free(v);
    uint64_t problems = 1;
    assert_int_equal(strata_db_verify(&problems, db), 0);
}

static void test_adv_value_from_bytes_rejects_garbage(void **state)
{
    (void)state;
    uint64_t rs = tu_seed("adv_value_bytes");
    unsigned char buf[64];
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)tu_below(&rs, sizeof buf + 1);
        for (size_t k = 0; k < n; k++) buf[k] = (unsigned char)tu_rand(&rs);
        strata_value *v = NULL;
        int rc = strata_value_from_bytes(&v, buf, n);
        if (rc == 0) {
            /* accepted bytes are canonical: they render and re-encode to themselves */
            char *js = NULL;
            assert_int_equal(strata_value_to_json(&js, NULL, v, STRATA_JSON_DYNAMODB), 0);
            strata_value *back = NULL;
            assert_int_equal(strata_value_from_json(&back, js, strlen(js), STRATA_JSON_DYNAMODB), 0);
            assert_true(strata_value_equal(back, v));
            strata_value_free(back);
            strata_free(js);
            strata_value_free(v);
        } else {
            assert_true(rc == STRATA_EINVALID || rc == STRATA_ELIMIT);
            assert_null(v);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_adv_null_for_every_pointer_argument_is_einvalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_unknown_option_versions_are_refused_and_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_hostile_names_are_refused_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_write_options_text_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_digests_of_other_tenants_and_entries_are_invisible_on_every_read_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_isolation_holds_with_a_warm_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_poisoned_transaction_refuses_everything_and_commits_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_multi_entry_transaction_with_one_stale_head_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_transaction_of_100k_edits_commits_once_and_reads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_drop_tenant_under_open_iterator_and_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_table_key_attributes_of_wrong_types_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_table_binary_and_nul_keys_are_distinct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_update_expressions_cannot_touch_key_attributes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_update_semantics_match_dynamodb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_projection_of_missing_paths_and_query_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_ttl_attribute_of_odd_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_read_only_handle_refuses_every_write_while_a_writer_works, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_snapshot_iterators_stay_consistent_while_writers_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_listener_can_unlisten_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adv_deep_and_huge_values, setup, teardown),
        cmocka_unit_test(test_adv_value_from_bytes_rejects_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
