/* Tests of tables: key schemas, put/get/delete/update items with conditions and return values,
 * query (every sort-key condition, begins_with on string and binary sort keys, reverse, limits,
 * paging that visits every item once), scan (filters, projection, parallel segments covering the
 * table once), batch writes in order, TTL, listeners (also failing ones), the change feed, and a
 * differential test against an in-memory model. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

typedef struct fx {
    char *dir;
    strata_db *db;
} fx;

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    if (strata_value_from_json(&v, json, strlen(json), 0)) fail_msg("bad test JSON %s: %s", json, strata_error_last()->message);
    return v;
}

static strata_value *D(const char *json) /* DynamoDB item JSON */
{
    strata_value *v = NULL;
    if (strata_value_from_json(&v, json, strlen(json), STRATA_JSON_DYNAMODB | STRATA_JSON_ITEM))
        fail_msg("bad test DDB JSON %s: %s", json, strata_error_last()->message);
    return v;
}

static const char *S(const strata_value *v)
{
    static char buf[8][4096];
    static int k;
    if (!v) return "(null)";
    char *out = NULL;
    assert_int_equal(strata_value_to_json(&out, NULL, v, 0), 0);
    char *b = buf[k++ % 8];
    snprintf(b, 4096, "%s", out);
    strata_free(out);
    return b;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("table");
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.durability = STRATA_DURABILITY_NORMAL;
    assert_int_equal(strata_db_open(&f->db, f->dir, &o), 0);
    assert_int_equal(strata_tenant_init(f->db, "t", NULL), 0);
    strata_table_schema s = STRATA_TABLE_SCHEMA_INIT;
    s.pk = "pk";
    s.sk = "sk";
    s.ttl = "expires";
    assert_int_equal(strata_table_create(NULL, f->db, "t", "items", &s, NULL), 0);
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

static void put(fx *f, const char *json)
{
    strata_value *v = J(json);
    int rc = strata_table_put_item(NULL, f->db, "t", "items", v, NULL, NULL);
    if (rc < 0) fail_msg("put_item %s: %s", json, strata_error_last()->message);
    strata_value_free(v);
}

/* Run a query/scan and return the JSON of the items joined by ' ' (static buffer). */
static const char *run(fx *f, int is_query, const strata_query_options *q, uint64_t *scanned, strata_value **last)
{
    static char out[16384];
    out[0] = 0;
    strata_iter *it;
    int rc = is_query ? strata_table_query(&it, f->db, "t", "items", q, NULL) : strata_table_scan(&it, f->db, "t", "items", q, NULL);
    if (rc) fail_msg("query: %s", strata_error_last()->message);
    while ((rc = strata_iter_next(it)) == 0) {
        if (out[0]) strcat(out, " ");
        strcat(out, S(strata_iter_value(it)));
    }
    assert_int_equal(rc, STRATA_ITEROVER);
    if (scanned) *scanned = strata_iter_scanned_count(it);
    if (last) {
        *last = NULL;
        strata_error_clear();
        rc = strata_iter_last_key(last, it);
        assert_true(rc == 0 || rc == STRATA_ENOTFOUND);
        /* an ENOTFOUND says why, not whatever failed earlier on this thread */
        if (rc == STRATA_ENOTFOUND) assert_non_null(strstr(strata_error_last()->message, "last evaluated key"));
    }
    strata_iter_free(it);
    return out;
}

static void test_table_items_put_get_delete_and_key_errors(void **state)
{
    fx *f = *state;
    put(f, "{\"pk\":\"u1\",\"sk\":1,\"name\":\"Ann\"}");
    strata_value *k = J("{\"pk\":\"u1\",\"sk\":1}"), *got = NULL;
    assert_int_equal(strata_table_get_item(&got, f->db, "t", "items", k, NULL, NULL, NULL), 0);
    assert_string_equal(S(got), "{\"name\":\"Ann\",\"pk\":\"u1\",\"sk\":1}");
    strata_value_free(got);
    /* projection */
    strata_value *names = J("{\"#n\":\"name\"}");
    assert_int_equal(strata_table_get_item(&got, f->db, "t", "items", k, "#n", names, NULL), 0);
    assert_string_equal(S(got), "{\"name\":\"Ann\"}");
    strata_value_free(got);
    strata_value_free(names);
    /* an identical put changes nothing */
    strata_value *same = J("{\"pk\":\"u1\",\"sk\":1,\"name\":\"Ann\"}");
    assert_int_equal(strata_table_put_item(NULL, f->db, "t", "items", same, NULL, NULL), STRATA_UNCHANGED);
    /* key errors */
    const char *bad[] = {"{\"sk\":1}", "{\"pk\":\"u\"}", "{\"pk\":true,\"sk\":1}", "{\"pk\":\"u\",\"sk\":[1]}", "[1,2]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strata_value *b = J(bad[i]);
        assert_int_equal(strata_table_put_item(NULL, f->db, "t", "items", b, NULL, NULL), STRATA_EINVALID);
        strata_value_free(b);
    }
    strata_value *extra = J("{\"pk\":\"u1\",\"sk\":1,\"x\":2}");
    assert_int_equal(strata_table_get_item(&got, f->db, "t", "items", extra, NULL, NULL, NULL), STRATA_EINVALID);
    /* delete returns the old item; deleting a missing item is not an error */
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    io.return_values = STRATA_RETURN_ALL_OLD;
    assert_int_equal(strata_table_delete_item(&got, f->db, "t", "items", k, &io, NULL), 0);
    assert_string_equal(S(got), "{\"name\":\"Ann\",\"pk\":\"u1\",\"sk\":1}");
    strata_value_free(got);
    assert_int_equal(strata_table_delete_item(&got, f->db, "t", "items", k, &io, NULL), STRATA_UNCHANGED);
    assert_null(got);
    assert_int_equal(strata_table_get_item(&got, f->db, "t", "items", k, NULL, NULL, NULL), STRATA_ENOTFOUND);
    /* not a table / missing table / table exists */
    assert_int_equal(strata_table_put_item(NULL, f->db, "t", "nope", same, NULL, NULL), STRATA_ENOTFOUND);
    assert_int_equal(strata_document_save(NULL, f->db, "t", "doc", same, NULL), 0);
    assert_int_equal(strata_table_put_item(NULL, f->db, "t", "doc", same, NULL, NULL), STRATA_EINVALID);
    strata_table_schema s = STRATA_TABLE_SCHEMA_INIT;
    s.pk = "pk";
    assert_int_equal(strata_table_create(NULL, f->db, "t", "items", &s, NULL), STRATA_EEXISTS);
    s.pk = "";
    assert_int_equal(strata_table_create(NULL, f->db, "t", "t2", &s, NULL), STRATA_EINVALID);
    assert_int_equal(strata_records_put(NULL, f->db, "t", "items", "k", same, NULL), STRATA_EINVALID);
    strata_value_free(k);
    strata_value_free(same);
    strata_value_free(extra);
}

static void test_table_conditions_and_updates(void **state)
{
    fx *f = *state;
    strata_value *item = J("{\"pk\":\"a\",\"sk\":1,\"n\":5,\"tags\":[\"x\"]}");
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    io.condition = "attribute_not_exists(pk)";
    assert_int_equal(strata_table_put_item(NULL, f->db, "t", "items", item, &io, NULL), 0);
    /* the same conditional put now fails and changes nothing */
    strata_value *item2 = J("{\"pk\":\"a\",\"sk\":1,\"n\":6}");
    assert_int_equal(strata_table_put_item(NULL, f->db, "t", "items", item2, &io, NULL), STRATA_ECONDITION);
    strata_value *k = J("{\"pk\":\"a\",\"sk\":1}"), *got = NULL;
    assert_int_equal(strata_table_get_item(&got, f->db, "t", "items", k, NULL, NULL, NULL), 0);
    assert_string_equal(S(got), "{\"n\":5,\"pk\":\"a\",\"sk\":1,\"tags\":[\"x\"]}");
    strata_value_free(got);
    /* update with values, return the new item */
    strata_item_options uo = STRATA_ITEM_OPTIONS_INIT;
    strata_value *vals = J("{\":inc\":10,\":t\":[\"y\"],\":min\":3}");
    uo.values = vals;
    uo.condition = "n >= :min";
    uo.return_values = STRATA_RETURN_ALL_NEW;
    assert_int_equal(strata_table_update_item(&got, f->db, "t", "items", k,
                                        "SET n = n + :inc, tags = list_append(tags, :t) REMOVE missing", &uo, NULL), 0);
    assert_string_equal(S(got), "{\"n\":15,\"pk\":\"a\",\"sk\":1,\"tags\":[\"x\",\"y\"]}");
    strata_value_free(got);
    /* a failing condition on update */
    uo.condition = "n < :min";
    uo.return_values = STRATA_RETURN_NONE;
    assert_int_equal(strata_table_update_item(NULL, f->db, "t", "items", k, "SET n = n + :inc, tags = :t", &uo, NULL), STRATA_ECONDITION);
    /* updating a key attribute is refused */
    assert_int_equal(strata_table_update_item(NULL, f->db, "t", "items", k, "SET pk = \"b\"", NULL, NULL), STRATA_EINVALID);
    /* update creates a missing item from its key */
    strata_value *k2 = J("{\"pk\":\"new\",\"sk\":7}");
    strata_value *v2 = J("{\":one\":1}");
    strata_item_options o2 = STRATA_ITEM_OPTIONS_INIT;
    o2.values = v2;
    o2.return_values = STRATA_RETURN_ALL_NEW;
    assert_int_equal(strata_table_update_item(&got, f->db, "t", "items", k2, "ADD visits :one", &o2, NULL), 0);
    assert_string_equal(S(got), "{\"pk\":\"new\",\"sk\":7,\"visits\":1}");
    strata_value_free(got);
    /* a bad expression points at its position; an unused placeholder is an error */
    assert_int_equal(strata_table_update_item(NULL, f->db, "t", "items", k, "SET n = = 1", NULL, NULL), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "offset"));
    o2.return_values = 0;
    assert_int_equal(strata_table_update_item(NULL, f->db, "t", "items", k, "SET n = 1", &o2, NULL), STRATA_EINVALID);
    /* a runtime type error changes nothing */
    strata_value *sv = J("{\":s\":\"str\"}");
    strata_item_options o3 = STRATA_ITEM_OPTIONS_INIT;
    o3.values = sv;
    assert_int_equal(strata_table_update_item(NULL, f->db, "t", "items", k, "SET n = n + :s", &o3, NULL), STRATA_EINVALID);
    assert_int_equal(strata_table_get_item(&got, f->db, "t", "items", k, NULL, NULL, NULL), 0);
    assert_string_equal(S(got), "{\"n\":15,\"pk\":\"a\",\"sk\":1,\"tags\":[\"x\",\"y\"]}");
    strata_value_free(got);
    strata_value_free(item);
    strata_value_free(item2);
    strata_value_free(k);
    strata_value_free(k2);
    strata_value_free(v2);
    strata_value_free(vals);
    strata_value_free(sv);
}

static void load_people(fx *f)
{
    /* partition "p": sk 1..9 and strings in partition "s" */
    for (int i = 1; i <= 9; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "{\"pk\":\"p\",\"sk\":%d,\"age\":%d}", i, 20 + i * 5);
        put(f, buf);
    }
    put(f, "{\"pk\":\"s\",\"sk\":\"apple\"}");
    put(f, "{\"pk\":\"s\",\"sk\":\"apricot\"}");
    put(f, "{\"pk\":\"s\",\"sk\":\"banana\"}");
    put(f, "{\"pk\":\"s\",\"sk\":\"ap\"}");
    put(f, "{\"pk\":\"q\",\"sk\":1}");
}

static void test_table_query_every_sort_key_condition(void **state)
{
    fx *f = *state;
    load_people(f);
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    strata_value *v = J("{\":p\":\"p\",\":a\":3,\":b\":5}");
    strata_value *va = J("{\":p\":\"p\",\":a\":3}"), *vb = J("{\":p\":\"p\",\":b\":5}");
    struct {
        const char *kc;
        const char *want;
        strata_value *vals;
    } cases[] = {
        {"pk = :p AND sk = :a", "3", va},
        {"pk = :p AND sk < :a", "1 2", va},
        {"pk = :p AND sk <= :a", "1 2 3", va},
        {"pk = :p AND sk > :b", "6 7 8 9", vb},
        {"pk = :p AND sk >= :b", "5 6 7 8 9", vb},
        {"pk = :p AND sk BETWEEN :a AND :b", "3 4 5", v},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        q.values = cases[i].vals;
        q.key_condition = cases[i].kc;
        q.projection = "sk";
        const char *got = run(f, 1, &q, NULL, NULL);
        char want[256] = "";
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", cases[i].want);
        for (char *tok = strtok(tmp, " "); tok; tok = strtok(NULL, " ")) {
            if (want[0]) strcat(want, " ");
            strcat(want, "{\"sk\":");
            strcat(want, tok);
            strcat(want, "}");
        }
        if (strcmp(got, want) != 0) fail_msg("%s: got %s want %s", cases[i].kc, got, want);
    }
    /* reverse, and a filter on the result (ScannedCount counts before the filter) */
    strata_value_free(va);
    strata_value_free(vb);
    q.values = v;
    q.key_condition = "pk = :p AND sk BETWEEN :a AND :b";
    q.reverse = 1;
    assert_string_equal(run(f, 1, &q, NULL, NULL), "{\"sk\":5} {\"sk\":4} {\"sk\":3}");
    q.reverse = 0;
    q.projection = NULL;
    q.key_condition = "pk = :p";
    q.filter = "age > 40";
    strata_value_free(v);
    v = J("{\":p\":\"p\"}");
    q.values = v;
    uint64_t scanned;
    const char *got = run(f, 1, &q, &scanned, NULL);
    assert_int_equal(scanned, 9);
    assert_string_equal(got, "{\"age\":45,\"pk\":\"p\",\"sk\":5} {\"age\":50,\"pk\":\"p\",\"sk\":6} {\"age\":55,\"pk\":\"p\",\"sk\":7} "
                             "{\"age\":60,\"pk\":\"p\",\"sk\":8} {\"age\":65,\"pk\":\"p\",\"sk\":9}");
    /* begins_with on a string sort key never leaks into other partitions or keys */
    q.filter = NULL;
    q.projection = "sk";
    strata_value_free(v);
    v = J("{\":s\":\"s\",\":x\":\"ap\"}");
    q.values = v;
    q.key_condition = "pk = :s AND begins_with(sk, :x)";
    assert_string_equal(run(f, 1, &q, NULL, NULL), "{\"sk\":\"ap\"} {\"sk\":\"apple\"} {\"sk\":\"apricot\"}");
    q.reverse = 1;
    assert_string_equal(run(f, 1, &q, NULL, NULL), "{\"sk\":\"apricot\"} {\"sk\":\"apple\"} {\"sk\":\"ap\"}");
    q.reverse = 0;
    /* a start key from another partition is refused, as in DynamoDB */
    q.reverse = 0;
    strata_value *other = J("{\"pk\":\"p\",\"sk\":1}");
    q.start_key = other;
    strata_iter *it0;
    assert_int_equal(strata_table_query(&it0, f->db, "t", "items", &q, NULL), STRATA_EINVALID);
    assert_non_null(strstr(strata_error_last()->message, "partition"));
    q.start_key = NULL;
    strata_value_free(other);
    /* a key condition must name the partition key */
    q.key_condition = "sk = :x";
    strata_iter *it;
    strata_value_free(v);
    v = J("{\":x\":\"ap\"}");
    q.values = v;
    assert_int_equal(strata_table_query(&it, f->db, "t", "items", &q, NULL), STRATA_EINVALID);
    strata_value_free(v);
}

static void test_table_begins_with_on_binary_sort_keys(void **state)
{
    fx *f = *state;
    strata_table_schema s = STRATA_TABLE_SCHEMA_INIT;
    s.pk = "id";
    s.sk = "blob";
    assert_int_equal(strata_table_create(NULL, f->db, "t", "bin", &s, NULL), 0);
    /* binary keys 00, 00 ff, 01, 01 00, ff (base64: AA==, AP8=, AQ==, AQA=, /w==) */
    const char *b64[] = {"AA==", "AP8=", "AQ==", "AQA=", "/w=="};
    for (int i = 0; i < 5; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "{\"id\":{\"S\":\"x\"},\"blob\":{\"B\":\"%s\"},\"i\":{\"N\":\"%d\"}}", b64[i], i);
        strata_value *v = D(buf);
        assert_int_equal(strata_table_put_item(NULL, f->db, "t", "bin", v, NULL, NULL), 0);
        strata_value_free(v);
    }
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    strata_value *vals = NULL;
    const char *vj = "{\":x\":{\"S\":\"x\"},\":p\":{\"B\":\"AQ==\"}}";
    assert_int_equal(strata_value_from_json(&vals, vj, strlen(vj), STRATA_JSON_DYNAMODB | STRATA_JSON_ITEM), 0);
    q.values = vals;
    q.key_condition = "id = :x AND begins_with(blob, :p)";
    q.projection = "i";
    strata_iter *it;
    assert_int_equal(strata_table_query(&it, f->db, "t", "bin", &q, NULL), 0);
    char got[256] = "";
    while (strata_iter_next(it) == 0) strcat(got, S(strata_iter_value(it)));
    strata_iter_free(it);
    assert_string_equal(got, "{\"i\":2}{\"i\":3}");
    strata_value_free(vals);
}

static void test_table_paging_visits_every_item_exactly_once(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 57; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "{\"pk\":\"p\",\"sk\":%d}", i);
        put(f, buf);
    }
    for (int reverse = 0; reverse < 2; reverse++) {
        for (size_t limit = 1; limit <= 20; limit += 6) {
            int seen[57] = {0};
            strata_value *start = NULL;
            int pages = 0;
            for (;;) {
                strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
                strata_value *v = J("{\":p\":\"p\"}");
                q.values = v;
                q.key_condition = "pk = :p";
                q.limit = limit;
                q.reverse = reverse;
                q.start_key = start;
                strata_iter *it;
                assert_int_equal(strata_table_query(&it, f->db, "t", "items", &q, NULL), 0);
                int prev = reverse ? 1000 : -1, n = 0;
                while (strata_iter_next(it) == 0) {
                    const char *js = S(strata_iter_value(it));
                    int sk = atoi(strstr(js, "\"sk\":") + 5);
                    assert_true(reverse ? sk < prev : sk > prev);
                    prev = sk;
                    seen[sk]++;
                    n++;
                }
                assert_true((size_t)n <= limit);
                strata_value *last = NULL;
                int rc = strata_iter_last_key(&last, it);
                strata_iter_free(it);
                strata_value_free(v);
                strata_value_free(start);
                start = last;
                pages++;
                if (rc == STRATA_ENOTFOUND) break;
                assert_int_equal(rc, 0);
            }
            for (int i = 0; i < 57; i++)
                if (seen[i] != 1) fail_msg("limit %zu reverse %d: item %d seen %d times", limit, reverse, i, seen[i]);
            assert_int_equal(pages, (57 + (int)limit - 1) / (int)limit); /* no empty last page */
        }
    }
}

static void test_table_scan_segments_cover_the_table_once(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 100; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "{\"pk\":\"p%d\",\"sk\":%d,\"even\":%s}", i % 7, i, i % 2 ? "false" : "true");
        put(f, buf);
    }
    for (unsigned total = 1; total <= 7; total += 2) {
        int seen[100] = {0};
        for (unsigned seg = 0; seg < total; seg++) {
            strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
            q.segment = seg;
            q.total_segments = total;
            strata_iter *it;
            assert_int_equal(strata_table_scan(&it, f->db, "t", "items", &q, NULL), 0);
            while (strata_iter_next(it) == 0) {
                const char *js = S(strata_iter_value(it));
                seen[atoi(strstr(js, "\"sk\":") + 5)]++;
            }
            strata_iter_free(it);
        }
        for (int i = 0; i < 100; i++)
            if (seen[i] != 1) fail_msg("%u segments: item %d seen %d times", total, i, seen[i]);
    }
    /* scan with a filter and projection */
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    q.filter = "even = true AND sk < 6";
    q.projection = "sk";
    uint64_t scanned;
    assert_string_equal(run(f, 0, &q, &scanned, NULL), "{\"sk\":0} {\"sk\":2} {\"sk\":4}"); /* key order: p0, p2, p4 */
    assert_int_equal(scanned, 100);
    strata_query_options bad = STRATA_QUERY_OPTIONS_INIT;
    bad.segment = 3;
    bad.total_segments = 2;
    strata_iter *it;
    assert_int_equal(strata_table_scan(&it, f->db, "t", "items", &bad, NULL), STRATA_EINVALID);
    bad.total_segments = 0;
    bad.segment = 0;
    bad.filter = "age >";
    assert_int_equal(strata_table_scan(&it, f->db, "t", "items", &bad, NULL), STRATA_EINVALID);
}

static void test_table_batch_writes_apply_in_order(void **state)
{
    fx *f = *state;
    strata_txn *t;
    assert_int_equal(strata_txn_begin(&t, f->db, "t", NULL), 0);
    strata_value *a1 = J("{\"pk\":\"a\",\"sk\":1,\"v\":1}"), *a2 = J("{\"pk\":\"a\",\"sk\":1,\"v\":2}");
    strata_value *b = J("{\"pk\":\"b\",\"sk\":1}"), *bk = J("{\"pk\":\"b\",\"sk\":1}");
    assert_int_equal(strata_txn_put_item(t, "items", a1), 0);
    assert_int_equal(strata_txn_put_item(t, "items", b), 0);
    assert_int_equal(strata_txn_put_item(t, "items", a2), 0);
    assert_int_equal(strata_txn_delete_item(t, "items", bk), 0);
    assert_int_equal(strata_txn_commit(NULL, t), 0);
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    assert_string_equal(run(f, 0, &q, NULL, NULL), "{\"pk\":\"a\",\"sk\":1,\"v\":2}");
    /* one commit for the whole batch */
    strata_iter *h;
    assert_int_equal(strata_entry_history(&h, f->db, "t", "items", NULL, 0), 0);
    assert_int_equal(strata_iter_next(h), 0);
    assert_string_equal(strata_commit_operation(strata_iter_commit(h)), "put_item 3, delete_item 1");
    assert_int_equal(strata_iter_next(h), 0);
    assert_string_equal(strata_commit_operation(strata_iter_commit(h)), "create table");
    assert_int_equal(strata_iter_next(h), STRATA_ITEROVER);
    strata_iter_free(h);
    /* a bad item poisons the batch: nothing is written */
    assert_int_equal(strata_txn_begin(&t, f->db, "t", NULL), 0);
    strata_value *c = J("{\"pk\":\"c\",\"sk\":1}"), *bad = J("{\"pk\":\"c\"}");
    assert_int_equal(strata_txn_put_item(t, "items", c), 0);
    assert_int_equal(strata_txn_put_item(t, "items", bad), STRATA_EINVALID);
    assert_int_equal(strata_txn_put_item(t, "nosuchtable", c), STRATA_EPOISONED);
    assert_int_equal(strata_txn_delete_item(t, "items", NULL), STRATA_EPOISONED);
    assert_int_equal(strata_txn_commit(NULL, t), STRATA_EPOISONED);
    assert_string_equal(run(f, 0, &q, NULL, NULL), "{\"pk\":\"a\",\"sk\":1,\"v\":2}");
    strata_value_free(a1);
    strata_value_free(a2);
    strata_value_free(b);
    strata_value_free(bk);
    strata_value_free(c);
    strata_value_free(bad);
}

static void test_table_ttl_hides_and_sweeps_expired_items(void **state)
{
    fx *f = *state;
    put(f, "{\"pk\":\"x\",\"sk\":1,\"expires\":1000}");       /* long expired */
    put(f, "{\"pk\":\"x\",\"sk\":2,\"expires\":99999999999}"); /* far future */
    put(f, "{\"pk\":\"x\",\"sk\":3}");                         /* never */
    put(f, "{\"pk\":\"x\",\"sk\":4,\"expires\":\"soon\"}");   /* not a number: never */
    strata_value *k = J("{\"pk\":\"x\",\"sk\":1}"), *got;
    assert_int_equal(strata_table_get_item(&got, f->db, "t", "items", k, NULL, NULL, NULL), STRATA_ENOTFOUND);
    strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
    q.projection = "sk";
    assert_string_equal(run(f, 0, &q, NULL, NULL), "{\"sk\":2} {\"sk\":3} {\"sk\":4}");
    /* a conditional put sees the expired item as absent */
    strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
    io.condition = "attribute_not_exists(pk)";
    strata_value *fresh = J("{\"pk\":\"x\",\"sk\":1,\"expires\":1000,\"again\":true}");
    assert_int_equal(strata_table_put_item(NULL, f->db, "t", "items", fresh, &io, NULL), 0);
    uint64_t removed = 0;
    assert_int_equal(strata_table_sweep_ttl(&removed, f->db, "t", "items", 0), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(strata_table_sweep_ttl(&removed, f->db, "t", "items", 0), STRATA_UNCHANGED);
    strata_iter *h;
    assert_int_equal(strata_entry_history(&h, f->db, "t", "items", NULL, 1), 0);
    assert_int_equal(strata_iter_next(h), 0);
    assert_string_equal(strata_commit_user(strata_iter_commit(h)), "ttl");
    strata_iter_free(h);
    strata_value *all;
    strata_query_options everything = STRATA_QUERY_OPTIONS_INIT;
    everything.projection = "sk";
    assert_string_equal(run(f, 0, &everything, NULL, NULL), "{\"sk\":2} {\"sk\":3} {\"sk\":4}");
    (void)all;
    strata_value_free(k);
    strata_value_free(fresh);
}

typedef struct seen_events {
    int calls, fail;
    char log[4096];
} seen_events;

static int listener(const char *tenant, const char *entry, const strata_value *key, const strata_value *old,
                    const strata_value *nw, void *payload)
{
    seen_events *s = payload;
    s->calls++;
    char line[512];
    snprintf(line, sizeof line, "%s/%s %s %s -> %s;", tenant, entry, S(key), S(old), S(nw));
    strncat(s->log, line, sizeof s->log - strlen(s->log) - 1);
    return s->fail;
}

static void test_table_listeners_and_change_feed(void **state)
{
    fx *f = *state;
    seen_events ok = {0}, failing = {0};
    failing.fail = 1;
    uint64_t id1, id2;
    assert_int_equal(strata_listener_add(&id1, f->db, listener, &ok), 0);
    assert_int_equal(strata_listener_add(&id2, f->db, listener, &failing), 0);
    strata_oid c1, c2;
    assert_int_equal(strata_entry_head(&c1, f->db, "t", "items", NULL), 0);
    put(f, "{\"pk\":\"a\",\"sk\":1,\"v\":1}");
    put(f, "{\"pk\":\"a\",\"sk\":1,\"v\":2}");
    strata_value *k = J("{\"pk\":\"a\",\"sk\":1}");
    assert_int_equal(strata_table_delete_item(NULL, f->db, "t", "items", k, NULL, NULL), 0);
    /* a failing listener neither undoes nor blocks the commit */
    assert_int_equal(failing.calls, 3);
    assert_int_equal(strata_listener_failures(f->db), 3);
    assert_string_equal(ok.log,
                        "t/items {\"pk\":\"a\",\"sk\":1} (null) -> {\"pk\":\"a\",\"sk\":1,\"v\":1};"
                        "t/items {\"pk\":\"a\",\"sk\":1} {\"pk\":\"a\",\"sk\":1,\"v\":1} -> {\"pk\":\"a\",\"sk\":1,\"v\":2};"
                        "t/items {\"pk\":\"a\",\"sk\":1} {\"pk\":\"a\",\"sk\":1,\"v\":2} -> (null);");
    /* records and documents notify too */
    ok.log[0] = 0;
    strata_value *one = J("1");
    assert_int_equal(strata_records_put(NULL, f->db, "t", "recs", "r1", one, NULL), 0);
    assert_int_equal(strata_document_save(NULL, f->db, "t", "doc", one, NULL), 0);
    assert_string_equal(ok.log, "t/recs \"r1\" (null) -> 1;t/doc (null) (null) -> 1;");
    assert_int_equal(strata_listener_remove(f->db, id2), 0);
    assert_int_equal(strata_listener_remove(f->db, id2), STRATA_ENOTFOUND);
    /* the change feed between two commits of the table */
    put(f, "{\"pk\":\"b\",\"sk\":2}");
    assert_int_equal(strata_entry_head(&c2, f->db, "t", "items", NULL), 0);
    strata_iter *it;
    assert_int_equal(strata_entry_diff(&it, f->db, "t", "items", &c1, &c2), 0);
    assert_int_equal(strata_iter_next(it), 0);
    assert_string_equal(S(strata_iter_key_value(it)), "{\"pk\":\"b\",\"sk\":2}");
    assert_null(strata_iter_old_value(it));
    assert_string_equal(S(strata_iter_value(it)), "{\"pk\":\"b\",\"sk\":2}");
    assert_int_equal(strata_iter_next(it), STRATA_ITEROVER);
    strata_iter_free(it);
    assert_int_equal(strata_listener_remove(f->db, id1), 0);
    strata_value_free(k);
    strata_value_free(one);
}

/* A random sequence of puts, conditional puts, updates and deletes, checked after every step
 * against a model: an array of (pk, sk) → counter. */
static void test_table_random_operations_match_a_model(void **state)
{
    fx *f = *state;
    uint64_t seed = tu_seed("table_model"), rs = seed;
    enum { P = 3, K = 8 };
    long model[P][K];
    for (int i = 0; i < P; i++)
        for (int j = 0; j < K; j++) model[i][j] = -1; /* absent */
    for (int step = 0; step < 400; step++) {
        int p = (int)tu_below(&rs, P), k = (int)tu_below(&rs, K), op = (int)tu_below(&rs, 4);
        long val = (long)tu_below(&rs, 100);
        char buf[256];
        int rc;
        if (op == 0) {
            snprintf(buf, sizeof buf, "{\"pk\":\"p%d\",\"sk\":%d,\"c\":%ld}", p, k, val);
            strata_value *v = J(buf);
            rc = strata_table_put_item(NULL, f->db, "t", "items", v, NULL, NULL);
            assert_true(rc >= 0);
            model[p][k] = val;
            strata_value_free(v);
        } else if (op == 1) { /* conditional put: only if absent */
            snprintf(buf, sizeof buf, "{\"pk\":\"p%d\",\"sk\":%d,\"c\":%ld}", p, k, val);
            strata_value *v = J(buf);
            strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
            io.condition = "attribute_not_exists(c)";
            rc = strata_table_put_item(NULL, f->db, "t", "items", v, &io, NULL);
            if (model[p][k] < 0) {
                assert_int_equal(rc, 0);
                model[p][k] = val;
            } else {
                assert_int_equal(rc, STRATA_ECONDITION);
            }
            strata_value_free(v);
        } else if (op == 2) { /* ADD c :n */
            snprintf(buf, sizeof buf, "{\"pk\":\"p%d\",\"sk\":%d}", p, k);
            strata_value *key = J(buf);
            snprintf(buf, sizeof buf, "{\":n\":%ld}", val);
            strata_value *vals = J(buf);
            strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
            io.values = vals;
            rc = strata_table_update_item(NULL, f->db, "t", "items", key, "ADD c :n", &io, NULL);
            assert_true(rc >= 0);
            model[p][k] = (model[p][k] < 0 ? 0 : model[p][k]) + val;
            strata_value_free(key);
            strata_value_free(vals);
        } else {
            snprintf(buf, sizeof buf, "{\"pk\":\"p%d\",\"sk\":%d}", p, k);
            strata_value *key = J(buf);
            rc = strata_table_delete_item(NULL, f->db, "t", "items", key, NULL, NULL);
            assert_int_equal(rc, model[p][k] < 0 ? STRATA_UNCHANGED : 0);
            model[p][k] = -1;
            strata_value_free(key);
        }
        if (step % 20 != 19) continue;
        /* compare every partition through a query */
        for (int pp = 0; pp < P; pp++) {
            char want[2048] = "";
            for (int kk = 0; kk < K; kk++) {
                if (model[pp][kk] < 0) continue;
                char item[128];
                snprintf(item, sizeof item, "%s{\"c\":%ld,\"sk\":%d}", want[0] ? " " : "", model[pp][kk], kk);
                strcat(want, item);
            }
            strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
            snprintf(buf, sizeof buf, "{\":p\":\"p%d\"}", pp);
            strata_value *v = J(buf);
            q.values = v;
            q.key_condition = "pk = :p";
            q.projection = "sk, c";
            const char *got = run(f, 1, &q, NULL, NULL);
            if (strcmp(got, want) != 0) fail_msg("seed %llu step %d partition %d: got %s want %s",
                                                 (unsigned long long)seed, step, pp, got, want);
            strata_value_free(v);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_table_items_put_get_delete_and_key_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_conditions_and_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_query_every_sort_key_condition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_begins_with_on_binary_sort_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_paging_visits_every_item_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_scan_segments_cover_the_table_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_batch_writes_apply_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_ttl_hides_and_sweeps_expired_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_listeners_and_change_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_random_operations_match_a_model, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
