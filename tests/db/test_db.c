/* Tests of the versioned-entries API (include/strata.h): tenants, documents, keyed records,
 * commits and their metadata, history, diff, restore, transactions, read points, isolation and
 * every error case. Each test opens a fresh database in its own directory. */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strata.h"

typedef struct fx {
    char *dir;
    strata_db *db;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("db");
    char *p = tu_path(f->dir, "db");
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    assert_int_equal(strata_db_open(&f->db, p, &o), 0);
    free(p);
    assert_int_equal(strata_tenant_init(f->db, "acme", NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    strata_db_close(f->db);
    tu_rmdir_free(f->dir);
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

/* JSON text of v (static buffer, for assertions). */
static const char *S(const strata_value *v)
{
    static char buf[4][4096];
    static int k;
    char *out = NULL;
    assert_int_equal(strata_value_to_json(&out, NULL, v, 0), 0);
    char *b = buf[k++ % 4];
    snprintf(b, 4096, "%s", out);
    strata_free(out);
    return b;
}

static strata_write_options W(const char *user, const char *msg)
{
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    w.user = user;
    w.message = msg;
    return w;
}

static void test_db_save_load_and_history_like_the_seeds(void **state)
{
    fx *f = *state;
    /* seeds: digest = db.save(tenant, user, entry, data); db.load(tenant, entry) */
    strata_write_options w = W("john_doe", "first");
    strata_value *v1 = J("{\"name\":\"John\",\"age\":30}");
    strata_oid d1, d2;
    assert_int_equal(strata_document_save(&d1, f->db, "acme", "users", v1, &w), 0);
    strata_value *got = NULL;
    assert_int_equal(strata_document_load(&got, f->db, "acme", "users", NULL), 0);
    assert_string_equal(S(got), "{\"age\":30,\"name\":\"John\"}");
    strata_value_free(got);
    /* saving the same value again makes no commit */
    strata_oid same;
    assert_int_equal(strata_document_save(&same, f->db, "acme", "users", v1, &w), STRATA_UNCHANGED);
    assert_memory_equal(same.id, d1.id, 32);
    strata_value *v2 = J("{\"name\":\"John\",\"age\":31}");
    w.message = "birthday";
    assert_int_equal(strata_document_save(&d2, f->db, "acme", "users", v2, &w), 0);
    /* exists, get_digest */
    assert_int_equal(strata_entry_exists(f->db, "acme", "users", NULL), 1);
    assert_int_equal(strata_entry_exists(f->db, "acme", "nope", NULL), 0);
    strata_oid head;
    assert_int_equal(strata_entry_head(&head, f->db, "acme", "users", NULL), 0);
    assert_memory_equal(head.id, d2.id, 32);
    /* history newest first; load(history[1]) gives the old version */
    strata_iter *it;
    assert_int_equal(strata_entry_history(&it, f->db, "acme", "users", NULL, 10), 0);
    assert_int_equal(strata_iter_next(it), 0);
    const strata_commit *c = strata_iter_commit(it);
    assert_memory_equal(strata_commit_digest(c)->id, d2.id, 32);
    assert_string_equal(strata_commit_message(c), "birthday");
    assert_string_equal(strata_commit_user(c), "john_doe");
    assert_int_equal(strata_commit_generation(c), 2);
    assert_int_equal(strata_commit_parent_count(c), 1);
    assert_memory_equal(strata_commit_parent(c, 0)->id, d1.id, 32);
    assert_int_equal(strata_iter_next(it), 0);
    strata_oid h1 = *strata_commit_digest(strata_iter_commit(it));
    assert_memory_equal(h1.id, d1.id, 32);
    assert_int_equal(strata_commit_parent_count(strata_iter_commit(it)), 0);
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &h1;
    assert_int_equal(strata_document_load(&got, f->db, "acme", "users", &ro), 0);
    assert_string_equal(S(got), "{\"age\":30,\"name\":\"John\"}");
    strata_value_free(got);
    strata_value_free(v1);
    strata_value_free(v2);
}

static void test_db_records_put_get_put_many_delete(void **state)
{
    fx *f = *state;
    strata_write_options w = W("u", NULL);
    strata_value *john = J("{\"name\":\"John\",\"age\":30}");
    strata_value *jane = J("{\"name\":\"Jane\",\"age\":25}");
    strata_oid c1, c2;
    assert_int_equal(strata_records_put(&c1, f->db, "acme", "people", "john", john, &w), 0);
    /* an identical put changes nothing and says so */
    assert_int_equal(strata_records_put(&c2, f->db, "acme", "people", "john", john, &w), STRATA_UNCHANGED);
    assert_memory_equal(c1.id, c2.id, 32);
    const char *keys[] = {"jane", "john", "zed"};
    strata_value *zed = J("\"dark\"");
    const strata_value *vals[] = {jane, john, zed};
    assert_int_equal(strata_records_put_many(&c2, f->db, "acme", "people", keys, vals, 3, &w), 0);
    strata_value *got;
    assert_int_equal(strata_records_get(&got, f->db, "acme", "people", "jane", NULL), 0);
    assert_string_equal(S(got), "{\"age\":25,\"name\":\"Jane\"}");
    strata_value_free(got);
    assert_int_equal(strata_records_get(&got, f->db, "acme", "people", "nobody", NULL), STRATA_ENOTFOUND);
    assert_non_null(strstr(strata_error_last()->message, "nobody"));
    /* get all: a map that keeps the keys */
    assert_int_equal(strata_records_get_all(&got, f->db, "acme", "people", NULL), 0);
    assert_string_equal(S(got), "{\"jane\":{\"age\":25,\"name\":\"Jane\"},\"john\":{\"age\":30,\"name\":\"John\"},\"zed\":\"dark\"}");
    strata_value_free(got);
    /* records iterator in key order */
    strata_iter *it;
    assert_int_equal(strata_records_list(&it, f->db, "acme", "people", NULL), 0);
    const char *want[] = {"jane", "john", "zed"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(strata_iter_next(it), 0);
        strata_slice k = strata_iter_key(it);
        assert_int_equal(k.len, strlen(want[i]));
        assert_memory_equal(k.data, want[i], k.len);
    }
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    /* a range [from, to) seeks and stops by key order */
    struct { const char *from, *to, *want; } rg[] = {
        {"jane", "zed", "jane,john,"}, {"jb", NULL, "john,zed,"}, {NULL, "john", "jane,"},
        {"john", "john", ""}, {"zzz", NULL, ""}, {"a", "janf", "jane,"},
    };
    for (size_t r = 0; r < sizeof rg / sizeof *rg; r++) {
        assert_int_equal(strata_records_range(&it, f->db, "acme", "people", rg[r].from, rg[r].to, NULL), 0);
        char seen[64] = "";
        while (strata_iter_next(it) == 0) {
            strncat(seen, strata_iter_key(it).data, strata_iter_key(it).len);
            strcat(seen, ",");
        }
        strata_iter_free(it);
        assert_string_equal(seen, rg[r].want);
    }
    assert_int_equal(strata_records_range(&it, f->db, "acme", "people", "", NULL, NULL), STRATA_EINVALID);
    /* delete: one commit; deleting a missing key is unchanged */
    assert_int_equal(strata_records_delete(NULL, f->db, "acme", "people", "zed", &w), 0);
    assert_int_equal(strata_records_delete(NULL, f->db, "acme", "people", "zed", &w), STRATA_UNCHANGED);
    const char *dk[] = {"jane", "john"};
    assert_int_equal(strata_records_delete_many(NULL, f->db, "acme", "people", dk, 2, &w), 0);
    assert_int_equal(strata_records_get_all(&got, f->db, "acme", "people", NULL), 0);
    assert_string_equal(S(got), "{}");
    strata_value_free(got);
    /* the history holds every step: put, put_many, delete, delete_many */
    assert_int_equal(strata_entry_history(&it, f->db, "acme", "people", NULL, 0), 0);
    const char *ops[] = {"delete 2", "delete 1", "put 3", "put 1"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(strata_iter_next(it), 0);
        assert_string_equal(strata_commit_operation(strata_iter_commit(it)), ops[i]);
    }
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    strata_value_free(john);
    strata_value_free(jane);
    strata_value_free(zed);
}

static void test_db_put_many_later_duplicate_wins(void **state)
{
    fx *f = *state;
    const char *keys[] = {"a", "b", "a"};
    strata_value *x = J("1"), *y = J("2"), *z = J("3");
    const strata_value *vals[] = {x, y, z};
    assert_int_equal(strata_records_put_many(NULL, f->db, "acme", "r", keys, vals, 3, NULL), 0);
    strata_value *got;
    assert_int_equal(strata_records_get(&got, f->db, "acme", "r", "a", NULL), 0);
    assert_string_equal(S(got), "3");
    strata_value_free(got);
    strata_value_free(x);
    strata_value_free(y);
    strata_value_free(z);
}

static void test_db_mixing_documents_and_records_is_an_error(void **state)
{
    fx *f = *state;
    strata_value *v = J("{\"a\":1}");
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "doc", v, NULL), 0);
    assert_int_equal(strata_records_put(NULL, f->db, "acme", "doc", "k", v, NULL), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "document"));
    strata_value *got;
    assert_int_equal(strata_records_get(&got, f->db, "acme", "doc", "k", NULL), STRATA_EINVALID);
    assert_int_equal(strata_records_put(NULL, f->db, "acme", "rec", "k", v, NULL), 0);
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "rec", v, NULL), STRATA_EINVALID);
    assert_int_equal(strata_document_load(&got, f->db, "acme", "rec", NULL), STRATA_EINVALID);
    /* nothing changed */
    assert_int_equal(strata_entry_kind_of(f->db, "acme", "doc", NULL), STRATA_ENTRY_DOCUMENT);
    assert_int_equal(strata_entry_kind_of(f->db, "acme", "rec", NULL), STRATA_ENTRY_RECORDS);
    assert_int_equal(strata_document_load(&got, f->db, "acme", "doc", NULL), 0);
    assert_string_equal(S(got), "{\"a\":1}");
    strata_value_free(got);
    strata_value_free(v);
}

static void test_db_bad_names_and_arguments_are_rejected(void **state)
{
    fx *f = *state;
    strata_value *v = J("1");
    char longname[300];
    memset(longname, 'x', 299);
    longname[299] = 0;
    const char *bad[] = {"", "a\nb", longname, "\xff\xfe", "tab\there"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(strata_document_save(NULL, f->db, "acme", bad[i], v, NULL), STRATA_EINVALID);
        assert_int_equal(strata_records_put(NULL, f->db, "acme", "e", bad[i], v, NULL), STRATA_EINVALID);
        assert_int_equal(strata_tenant_init(f->db, bad[i], NULL), STRATA_EINVALID);
    }
    /* bad audit fields are refused by every write, tenant creation included */
    strata_write_options bw = STRATA_WRITE_OPTIONS_INIT;
    bw.message = "\xff";
    assert_int_equal(strata_tenant_init(f->db, "other", &bw), STRATA_EINVALID);
    assert_int_equal(strata_tenant_exists(f->db, "other"), 0);
    bw.message = NULL;
    bw.tz_offset_min = 5000;
    assert_int_equal(strata_tenant_drop(f->db, "acme", &bw), STRATA_EINVALID);
    assert_int_equal(strata_tenant_exists(f->db, "acme"), 1);
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "e", v, &bw), STRATA_EINVALID);
    /* names are data, not paths */
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "../../etc/passwd", v, NULL), 0);
    assert_int_equal(strata_entry_exists(f->db, "acme", "../../etc/passwd", NULL), 1);
    /* NULLs never crash */
    assert_int_equal(strata_document_save(NULL, NULL, "acme", "e", v, NULL), STRATA_EINVALID);
    assert_int_equal(strata_document_save(NULL, f->db, NULL, "e", v, NULL), STRATA_EINVALID);
    assert_int_equal(strata_document_save(NULL, f->db, "acme", NULL, v, NULL), STRATA_EINVALID);
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "e", NULL, NULL), STRATA_EINVALID);
    assert_int_equal(strata_document_load(NULL, f->db, "acme", "e", NULL), STRATA_EINVALID);
    assert_int_equal(strata_iter_next(NULL), STRATA_EINVALID);
    strata_value *out;
    assert_int_equal(strata_value_from_json(&out, "{\"a\":", 5, 0), STRATA_EINVALID);
    assert_null(out);
    /* a tenant that was never initialised */
    assert_int_equal(strata_document_save(NULL, f->db, "ghost", "e", v, NULL), STRATA_ENOTFOUND);
    assert_non_null(strstr(strata_error_last()->message, "ghost"));
    /* read options: at most one read point */
    strata_oid h;
    assert_int_equal(strata_entry_head(&h, f->db, "acme", "../../etc/passwd", NULL), 0);
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &h;
    ro.as_of_us = 5;
    strata_value *got;
    assert_int_equal(strata_document_load(&got, f->db, "acme", "../../etc/passwd", &ro), STRATA_EINVALID);
    strata_value_free(v);
}

static void test_db_tenants_are_isolated(void **state)
{
    fx *f = *state;
    assert_int_equal(strata_tenant_init(f->db, "acme", NULL), STRATA_UNCHANGED);
    assert_int_equal(strata_tenant_init(f->db, "globex", NULL), 0);
    strata_value *v = J("{\"secret\":42}");
    strata_oid d;
    assert_int_equal(strata_document_save(&d, f->db, "acme", "vault", v, NULL), 0);
    /* the same content in another tenant is stored once but is its own entry */
    assert_int_equal(strata_entry_exists(f->db, "globex", "vault", NULL), 0);
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &d;
    strata_value *got;
    assert_int_equal(strata_document_load(&got, f->db, "globex", "vault", &ro), STRATA_ENOTFOUND);
    strata_commit *c;
    assert_int_equal(strata_commit_lookup(&c, f->db, "globex", &d), STRATA_ENOTFOUND);
    assert_int_equal(strata_commit_lookup(&c, f->db, "acme", &d), 0);
    assert_string_equal(strata_commit_entry(c), "vault");
    strata_commit_free(c);
    /* a snapshot of acme is not a snapshot of globex */
    strata_oid snap;
    assert_int_equal(strata_tenant_snapshot(&snap, f->db, "acme", 0), 0);
    strata_read_options rs = STRATA_READ_OPTIONS_INIT;
    rs.snapshot = &snap;
    assert_int_equal(strata_document_load(&got, f->db, "globex", "vault", &rs), STRATA_ENOTFOUND);
    assert_int_equal(strata_document_load(&got, f->db, "acme", "vault", &rs), 0);
    strata_value_free(got);
    /* list and drop */
    strata_iter *it;
    assert_int_equal(strata_tenant_list(&it, f->db), 0);
    assert_int_equal(strata_iter_next(it), 0);
    assert_memory_equal(strata_iter_key(it).data, "acme", 4);
    assert_int_equal(strata_iter_next(it), 0);
    assert_memory_equal(strata_iter_key(it).data, "globex", 6);
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    assert_int_equal(strata_tenant_drop(f->db, "globex", NULL), 0);
    assert_int_equal(strata_tenant_exists(f->db, "globex"), 0);
    assert_int_equal(strata_tenant_drop(f->db, "globex", NULL), STRATA_ENOTFOUND);
    assert_int_equal(strata_tenant_list(&it, f->db), 0);
    assert_int_equal(strata_iter_next(it), 0);
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    strata_value_free(v);
}

static void test_db_diff_and_restore(void **state)
{
    fx *f = *state;
    strata_value *a = J("1"), *b = J("2"), *c = J("3");
    strata_oid v1, v2, v3;
    const char *k1[] = {"a", "b"};
    const strata_value *x1[] = {a, b};
    assert_int_equal(strata_records_put_many(&v1, f->db, "acme", "r", k1, x1, 2, NULL), 0);
    assert_int_equal(strata_records_put(&v2, f->db, "acme", "r", "b", c, NULL), 0);
    assert_int_equal(strata_records_put(NULL, f->db, "acme", "r", "c", a, NULL), 0);
    assert_int_equal(strata_records_delete(&v3, f->db, "acme", "r", "a", NULL), 0);
    strata_iter *it;
    assert_int_equal(strata_entry_diff(&it, f->db, "acme", "r", &v1, &v3), 0);
    /* a deleted, b 2→3, c added */
    assert_int_equal(strata_iter_next(it), 0);
    assert_memory_equal(strata_iter_key(it).data, "a", 1);
    assert_string_equal(S(strata_iter_old_value(it)), "1");
    assert_null(strata_iter_value(it));
    assert_int_equal(strata_iter_next(it), 0);
    assert_memory_equal(strata_iter_key(it).data, "b", 1);
    assert_string_equal(S(strata_iter_old_value(it)), "2");
    assert_string_equal(S(strata_iter_value(it)), "3");
    assert_int_equal(strata_iter_next(it), 0);
    assert_memory_equal(strata_iter_key(it).data, "c", 1);
    assert_null(strata_iter_old_value(it));
    assert_string_equal(S(strata_iter_value(it)), "1");
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    /* restore v1: a new commit with v1's content; history is kept */
    strata_oid r;
    assert_int_equal(strata_entry_restore(&r, f->db, "acme", "r", &v1, NULL), 0);
    strata_value *all;
    assert_int_equal(strata_records_get_all(&all, f->db, "acme", "r", NULL), 0);
    assert_string_equal(S(all), "{\"a\":1,\"b\":2}");
    strata_value_free(all);
    strata_commit *cm;
    assert_int_equal(strata_commit_lookup(&cm, f->db, "acme", &r), 0);
    assert_int_equal(strata_commit_generation(cm), 5);
    assert_non_null(strstr(strata_commit_operation(cm), "restore"));
    assert_memory_equal(strata_commit_data(cm)->id, strata_commit_data(cm)->id, 32);
    strata_commit_free(cm);
    assert_int_equal(strata_entry_restore(&r, f->db, "acme", "r", &v1, NULL), STRATA_UNCHANGED);
    /* diff to the head (b = NULL) after restore is empty from v1 */
    assert_int_equal(strata_entry_diff(&it, f->db, "acme", "r", &v1, NULL), 0);
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    /* a digest from another entry cannot be restored */
    strata_oid d;
    assert_int_equal(strata_document_save(&d, f->db, "acme", "doc", a, NULL), 0);
    assert_int_equal(strata_entry_restore(NULL, f->db, "acme", "r", &d, NULL), STRATA_ENOTFOUND);
    /* documents diff as one item */
    strata_oid d2;
    assert_int_equal(strata_document_save(&d2, f->db, "acme", "doc", b, NULL), 0);
    assert_int_equal(strata_entry_diff(&it, f->db, "acme", "doc", &d, &d2), 0);
    assert_int_equal(strata_iter_next(it), 0);
    assert_int_equal(strata_iter_key(it).len, 0);
    assert_string_equal(S(strata_iter_old_value(it)), "1");
    assert_string_equal(S(strata_iter_value(it)), "2");
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    strata_value_free(a);
    strata_value_free(b);
    strata_value_free(c);
}

static void test_db_transaction_is_atomic_and_checks_heads(void **state)
{
    fx *f = *state;
    strata_value *a = J("\"A\""), *b = J("\"B\"");
    strata_write_options w = W("tx", "two entries at once");
    strata_txn *t;
    assert_int_equal(strata_txn_begin(&t, f->db, "acme", &w), 0);
    assert_int_equal(strata_txn_save(t, "doc", a), 0);
    assert_int_equal(strata_txn_put(t, "recs", "k", b), 0);
    assert_int_equal(strata_txn_expect_head(t, "doc", NULL), 0); /* must not exist yet */
    strata_oid m1;
    assert_int_equal(strata_txn_commit(&m1, t), 0);
    assert_int_equal(strata_entry_exists(f->db, "acme", "doc", NULL), 1);
    assert_int_equal(strata_entry_exists(f->db, "acme", "recs", NULL), 1);
    strata_oid dh;
    assert_int_equal(strata_entry_head(&dh, f->db, "acme", "doc", NULL), 0);
    /* a stale expectation fails the whole transaction and changes nothing */
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "doc", b, NULL), 0);
    assert_int_equal(strata_txn_begin(&t, f->db, "acme", &w), 0);
    assert_int_equal(strata_txn_put(t, "recs", "k2", a), 0);
    assert_int_equal(strata_txn_expect_head(t, "doc", &dh), 0);
    assert_int_equal(strata_txn_commit(NULL, t), STRATA_ECONFLICT);
    strata_value *got;
    assert_int_equal(strata_records_get(&got, f->db, "acme", "recs", "k2", NULL), STRATA_ENOTFOUND);
    /* single-entry writes take expect_head in the write options */
    strata_write_options we = W("tx", NULL);
    we.expect_head = &dh;
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "doc", a, &we), STRATA_ECONFLICT);
    assert_int_equal(strata_document_load(&got, f->db, "acme", "doc", NULL), 0);
    assert_string_equal(S(got), "\"B\"");
    strata_value_free(got);
    /* a failed operation poisons the transaction */
    assert_int_equal(strata_txn_begin(&t, f->db, "acme", &w), 0);
    assert_int_equal(strata_txn_put(t, "recs", "", a), STRATA_EINVALID);
    assert_int_equal(strata_txn_put(t, "recs", "ok", a), STRATA_EPOISONED);
    assert_int_equal(strata_txn_commit(NULL, t), STRATA_EPOISONED);
    /* an empty transaction changes nothing */
    assert_int_equal(strata_txn_begin(&t, f->db, "acme", &w), 0);
    assert_int_equal(strata_txn_commit(NULL, t), STRATA_UNCHANGED);
    /* the manifest chain: tenant snapshots see the tenant as it was */
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.snapshot = &m1;
    assert_int_equal(strata_document_load(&got, f->db, "acme", "doc", &ro), 0);
    assert_string_equal(S(got), "\"A\"");
    strata_value_free(got);
    strata_value_free(a);
    strata_value_free(b);
}

static void test_db_commit_metadata_and_as_of_time(void **state)
{
    fx *f = *state;
    strata_value *a = J("1"), *b = J("2");
    strata_write_options w = W("alice", "why");
    w.origin = "app@host";
    w.time_us = 1700000000000000LL; /* 2023-11-14 22:13:20 UTC */
    w.tz_offset_min = 120;
    strata_oid d1;
    assert_int_equal(strata_document_save(&d1, f->db, "acme", "doc", a, &w), 0);
    w.time_us += 60 * 1000000LL;
    assert_int_equal(strata_document_save(NULL, f->db, "acme", "doc", b, &w), 0);
    strata_commit *c;
    assert_int_equal(strata_commit_lookup(&c, f->db, "acme", &d1), 0);
    assert_string_equal(strata_commit_user(c), "alice");
    assert_string_equal(strata_commit_message(c), "why");
    assert_string_equal(strata_commit_origin(c), "app@host");
    assert_string_equal(strata_commit_operation(c), "save");
    assert_int_equal(strata_commit_kind(c), STRATA_ENTRY_DOCUMENT);
    assert_true(strata_commit_time_us(c) == 1700000000000000LL);
    char t[40];
    assert_int_equal(strata_commit_format_time(t, c, STRATA_TIME_COMPACT), 0);
    assert_string_equal(t, "20231115 00:13:20 +0200");
    assert_int_equal(strata_commit_format_time(t, c, STRATA_TIME_ISO), 0);
    assert_string_equal(t, "2023-11-15T00:13:20.000000+02:00");
    strata_commit_free(c);
    /* as of a time between the two commits: the first value */
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.as_of_us = 1700000000000000LL + 30 * 1000000LL;
    strata_value *got;
    assert_int_equal(strata_document_load(&got, f->db, "acme", "doc", &ro), 0);
    assert_string_equal(S(got), "1");
    strata_value_free(got);
    strata_value_free(a);
    strata_value_free(b);
}

static void test_db_reopen_keeps_everything_and_verifies(void **state)
{
    fx *f = *state;
    strata_value *a = J("{\"x\":[1,2,3]}");
    for (int i = 0; i < 20; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%02d", i);
        assert_int_equal(strata_records_put(NULL, f->db, "acme", "r", key, a, NULL), 0);
    }
    strata_db_close(f->db);
    char *p = tu_path(f->dir, "db");
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.create = 0;
    assert_int_equal(strata_db_open(&f->db, p, &o), 0);
    uint64_t problems = 1;
    assert_int_equal(strata_db_verify(&problems, f->db), 0);
    assert_int_equal(problems, 0);
    strata_value *all;
    assert_int_equal(strata_records_get_all(&all, f->db, "acme", "r", NULL), 0);
    assert_non_null(strstr(S(all), "\"k19\":{\"x\":[1,2,3]}"));
    strata_value_free(all);
    /* a second read-write handle shares the database (issue 15): both write, both see */
    strata_db *second;
    assert_int_equal(strata_db_open(&second, p, &o), 0);
    assert_int_equal(strata_records_put(NULL, second, "acme", "r", "from-second", a, NULL), 0);
    assert_int_equal(strata_records_put(NULL, f->db, "acme", "r", "from-first", a, NULL), 0);
    strata_value *one;
    assert_int_equal(strata_records_get(&one, f->db, "acme", "r", "from-second", NULL), 0);
    strata_value_free(one);
    assert_int_equal(strata_records_get(&one, second, "acme", "r", "from-first", NULL), 0);
    strata_value_free(one);
    strata_db_close(second);
    /* a missing database is not created unless asked */
    char *q = tu_path(f->dir, "missing");
    assert_int_equal(strata_db_open(&second, q, &o), STRATA_ENOTFOUND);
    free(q);
    free(p);
    strata_value_free(a);
}

/* The seeds' README (DbEngine), step by step, in C: init, save, load, load by digest, put,
 * put_many, get one, get all, exists, history, load(history[1]), get_digest. */
static void test_db_seed_readme_examples(void **state)
{
    fx *f = *state;
    const char *tenant_id = "my_company", *user_id = "john_doe";
    assert_int_equal(strata_tenant_init(f->db, tenant_id, NULL), 0);
    strata_write_options w = W(user_id, NULL);
    /* digest = db.save(tenant_id, user_id, entry, data) */
    strata_value *data = J("{\"name\": \"John\", \"age\": 30}");
    strata_oid digest;
    assert_int_equal(strata_document_save(&digest, f->db, tenant_id, "users", data, &w), 0);
    /* data = db.load(tenant_id, entry="users"); db.load(..., digest=...) */
    strata_value *got;
    assert_int_equal(strata_document_load(&got, f->db, tenant_id, "users", NULL), 0);
    assert_true(strata_value_equal(got, data));
    strata_value_free(got);
    strata_read_options at = STRATA_READ_OPTIONS_INIT;
    at.at = &digest;
    assert_int_equal(strata_document_load(&got, f->db, tenant_id, "users", &at), 0);
    assert_true(strata_value_equal(got, data));
    strata_value_free(got);
    /* db.put(tenant_id, user_id, entry="people", key="john", value=...) — the seed's example uses
     * the "users" entry for both patterns, which the seed itself says not to mix; strata refuses
     * the mix, so the records go to their own entry. */
    assert_int_equal(strata_records_put(NULL, f->db, tenant_id, "users", "john", data, &w), STRATA_EINVALID);
    assert_int_equal(strata_records_put(NULL, f->db, tenant_id, "people", "john", data, &w), 0);
    /* db.put_many(..., items={"john": ..., "jane": ...}) */
    strata_value *jane = J("{\"name\": \"Jane\", \"age\": 25}");
    const char *keys[] = {"john", "jane"};
    const strata_value *vals[] = {data, jane};
    assert_int_equal(strata_records_put_many(NULL, f->db, tenant_id, "people", keys, vals, 2, &w), 0);
    /* user = db.get(tenant_id, entry="people", key="john") */
    assert_int_equal(strata_records_get(&got, f->db, tenant_id, "people", "john", NULL), 0);
    assert_true(strata_value_equal(got, data));
    strata_value_free(got);
    /* all_users = db.get(tenant_id, entry="people") — a map that keeps the keys */
    assert_int_equal(strata_records_get_all(&got, f->db, tenant_id, "people", NULL), 0);
    assert_string_equal(S(got), "{\"jane\":{\"age\":25,\"name\":\"Jane\"},\"john\":{\"age\":30,\"name\":\"John\"}}");
    strata_value_free(got);
    /* db.exists(tenant_id, entry="users") */
    assert_int_equal(strata_entry_exists(f->db, tenant_id, "users", NULL), 1);
    /* history = db.history(tenant_id, entry="users", max_items=10); db.load(..., digest=history[1]) */
    strata_value *data2 = J("{\"name\": \"John\", \"age\": 31}");
    assert_int_equal(strata_document_save(NULL, f->db, tenant_id, "users", data2, &w), 0);
    strata_iter *it;
    assert_int_equal(strata_entry_history(&it, f->db, tenant_id, "users", NULL, 10), 0);
    strata_oid history[10];
    int n = 0;
    while (strata_iter_next(it) == 0) history[n++] = *strata_commit_digest(strata_iter_commit(it));
    strata_iter_free(it);
    assert_int_equal(n, 2);
    at.at = &history[1];
    assert_int_equal(strata_document_load(&got, f->db, tenant_id, "users", &at), 0);
    assert_true(strata_value_equal(got, data));
    strata_value_free(got);
    /* db.get_digest(tenant_id, "users") is the newest history item */
    strata_oid head;
    assert_int_equal(strata_entry_head(&head, f->db, tenant_id, "users", NULL), 0);
    assert_memory_equal(head.id, history[0].id, 32);
    strata_value_free(data);
    strata_value_free(data2);
    strata_value_free(jane);
}

/* A tenant dropped and created again is a new life: nothing of the old one is readable through
 * any read path, even by digest. */
static void test_db_recreated_tenant_cannot_read_its_former_life(void **state)
{
    fx *f = *state;
    strata_value *v = J("{\"secret\":1}");
    strata_oid old, snap;
    assert_int_equal(strata_records_put(&old, f->db, "acme", "r", "k", v, NULL), 0);
    assert_int_equal(strata_tenant_snapshot(&snap, f->db, "acme", 0), 0);
    assert_int_equal(strata_tenant_drop(f->db, "acme", NULL), 0);
    assert_int_equal(strata_tenant_init(f->db, "acme", NULL), 0);
    strata_value *w = J("2");
    assert_int_equal(strata_records_put(NULL, f->db, "acme", "r", "k", w, NULL), 0);
    strata_read_options at = STRATA_READ_OPTIONS_INIT;
    at.at = &old;
    strata_value *got;
    assert_int_equal(strata_records_get(&got, f->db, "acme", "r", "k", &at), STRATA_ENOTFOUND);
    assert_int_equal(strata_records_get_all(&got, f->db, "acme", "r", &at), STRATA_ENOTFOUND);
    strata_commit *c;
    assert_int_equal(strata_commit_lookup(&c, f->db, "acme", &old), STRATA_ENOTFOUND);
    strata_read_options rs = STRATA_READ_OPTIONS_INIT;
    rs.snapshot = &snap;
    assert_int_equal(strata_records_get(&got, f->db, "acme", "r", "k", &rs), STRATA_ENOTFOUND);
    assert_int_equal(strata_entry_restore(NULL, f->db, "acme", "r", &old, NULL), STRATA_ENOTFOUND);
    strata_iter *it;
    assert_int_equal(strata_entry_history(&it, f->db, "acme", "r", &old, 0), STRATA_ENOTFOUND);
    assert_int_equal(strata_entry_diff(&it, f->db, "acme", "r", &old, NULL), STRATA_ENOTFOUND);
    assert_int_equal(strata_records_get(&got, f->db, "acme", "r", "k", NULL), 0);
    assert_string_equal(S(got), "2");
    strata_value_free(got);
    strata_value_free(v);
    strata_value_free(w);
}

/* A caller built against version 1 of strata_db_options (a shorter struct) keeps working:
 * init writes only its fields and open reads only them. */
static void test_db_options_of_an_older_version_are_honoured(void **state)
{
    fx *f = *state;
    struct { strata_db_options o; int guard; } v1;
    memset(&v1, 0x5a, sizeof v1);
    assert_int_equal(strata_db_options_init(&v1.o, 1), 0);
    /* nothing past lock_wait_ms was written */
    assert_int_equal(v1.o.compress_level, 0x5a5a5a5a);
    assert_int_equal(v1.o.version, 1);
    assert_int_equal(v1.o.create, 1);
    char *p = tu_path(f->dir, "v1db");
    strata_db *db;
    assert_int_equal(strata_db_open(&db, p, &v1.o), 0); /* garbage past v1 is not read */
    assert_int_equal(strata_tenant_init(db, "x", NULL), 0);
    strata_db_close(db);
    free(p);
    strata_db_options bad = STRATA_DB_OPTIONS_INIT;
    bad.version = 99;
    assert_int_equal(strata_db_open(&db, f->dir, &bad), STRATA_EINVALID);
    assert_int_equal(strata_db_options_init(&bad, 0), STRATA_EINVALID);
}

/* compress_level outside its documented range (1..19; 0 the default, < 0 uncompressed) is
 * EINVALID with the range in the message, and opening creates nothing. */
static void test_db_open_refuses_a_compress_level_outside_its_range(void **state)
{
    fx *f = *state;
    char *p = tu_path(f->dir, "levels");
    strata_db *db = (strata_db *)1;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    const int bad[] = {20, 22, 1000, INT_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o.compress_level = bad[i];
        assert_int_equal(strata_db_open(&db, p, &o), STRATA_EINVALID);
        assert_null(db);
        assert_non_null(strstr(strata_error_last()->message, "compress_level"));
        assert_non_null(strstr(strata_error_last()->message, "1..19"));
        struct stat sb;
        assert_int_not_equal(stat(p, &sb), 0); /* nothing was created */
    }
    const int good[] = {INT_MIN, -1, 0, 1, 19};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        o.compress_level = good[i];
        assert_int_equal(strata_db_open(&db, p, &o), 0);
        assert_int_equal(strata_tenant_init(db, "x", NULL), i == 0 ? 0 : STRATA_UNCHANGED);
        strata_db_close(db);
    }
    free(p);
}

/* Reading inside a value: its type and the sub-value at a document path. */
static void test_db_value_type_and_path_access(void **state)
{
    (void)state;
    strata_value *v = J("{\"a\":{\"b\":[10,{\"c\":\"x\"}]},\"n\":null,\"k.e\":true}");
    strata_value *sub = NULL;
    assert_int_equal(strata_value_type(v), STRATA_TYPE_MAP);
    assert_int_equal(strata_value_get(&sub, v, "a.b[1].c"), 0);
    assert_string_equal(S(sub), "\"x\"");
    assert_int_equal(strata_value_type(sub), STRATA_TYPE_STRING);
    strata_value_free(sub);
    assert_int_equal(strata_value_get(&sub, v, "a.b[0]"), 0);
    assert_int_equal(strata_value_type(sub), STRATA_TYPE_NUMBER);
    strata_value_free(sub);
    assert_int_equal(strata_value_get(&sub, v, "k\\.e"), 0);
    assert_string_equal(S(sub), "true");
    strata_value_free(sub);
    assert_int_equal(strata_value_get(&sub, v, "n"), 0);
    assert_int_equal(strata_value_type(sub), STRATA_TYPE_NULL);
    strata_value_free(sub);
    assert_int_equal(strata_value_get(&sub, v, "a.b[5]"), STRATA_ENOTFOUND);
    assert_null(sub);
    assert_int_equal(strata_value_get(&sub, v, "a.missing"), STRATA_ENOTFOUND);
    assert_int_equal(strata_value_get(&sub, v, "a..b"), STRATA_EINVALID);
    assert_int_equal(strata_value_get(&sub, v, "a[x]"), STRATA_EINVALID);
    assert_int_equal(strata_value_get(&sub, NULL, "a"), STRATA_EINVALID);
    assert_int_equal(strata_value_type(NULL), STRATA_EINVALID);
    strata_value_free(v);
}

/* STRATA_MEMORY: each open is a new private database on the in-memory vfs, with the same
 * engine (commits, history, GC, verify); nothing reaches the disk and it is gone at close. */
static void test_db_memory_is_private_and_gone_at_close(void **state)
{
    (void)state;
    strata_db *a, *b;
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    assert_int_equal(strata_db_open(&a, STRATA_MEMORY, &o), 0);
    assert_int_equal(strata_db_open(&b, STRATA_MEMORY, NULL), 0);
    assert_int_equal(strata_tenant_init(a, "acme", NULL), 0);
    assert_int_equal(strata_tenant_exists(b, "acme"), 0);
    strata_oid c1, c2;
    strata_value *v1 = J("{\"n\": 1}"), *v2 = J("{\"n\": 2}"), *got = NULL;
    assert_int_equal(strata_records_put(&c1, a, "acme", "r", "k", v1, NULL), 0);
    assert_int_equal(strata_records_put(&c2, a, "acme", "r", "k", v2, NULL), 0);
    assert_int_equal(strata_records_get(&got, a, "acme", "r", "k", NULL), 0);
    assert_string_equal(S(got), "{\"n\":2}");
    strata_value_free(got);
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = &c1;
    assert_int_equal(strata_records_get(&got, a, "acme", "r", "k", &ro), 0);
    assert_string_equal(S(got), "{\"n\":1}");
    strata_value_free(got);
    strata_gc_options go;
    assert_int_equal(strata_gc_options_init(&go, STRATA_GC_OPTIONS_VERSION), 0);
    strata_gc_report rep;
    assert_int_equal(strata_db_gc(&rep, a, &go), 0);
    uint64_t problems = 1;
    assert_int_equal(strata_db_verify(&problems, a), 0);
    assert_int_equal(problems, 0);
    strata_db_close(a);
    assert_int_equal(strata_db_open(&a, STRATA_MEMORY, &o), 0); /* a new, empty one */
    assert_int_equal(strata_tenant_exists(a, "acme"), 0);
    o.read_only = 1;
    strata_db *ro_db;
    assert_int_equal(strata_db_open(&ro_db, STRATA_MEMORY, &o), STRATA_EINVALID);
    strata_db_close(a);
    strata_db_close(b);
    strata_value_free(v1);
    strata_value_free(v2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_seed_readme_examples, setup, teardown),
        cmocka_unit_test(test_db_value_type_and_path_access),
        cmocka_unit_test_setup_teardown(test_db_options_of_an_older_version_are_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_open_refuses_a_compress_level_outside_its_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_recreated_tenant_cannot_read_its_former_life, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_save_load_and_history_like_the_seeds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_records_put_get_put_many_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_put_many_later_duplicate_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_mixing_documents_and_records_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_bad_names_and_arguments_are_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_tenants_are_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_diff_and_restore, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_transaction_is_atomic_and_checks_heads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_commit_metadata_and_as_of_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_reopen_keeps_everything_and_verifies, setup, teardown),
        cmocka_unit_test(test_db_memory_is_private_and_gone_at_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
