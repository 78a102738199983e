/* Damaged files under the public API: a database holding a document, keyed records and a table
 * is closed, then one byte of one of its segment files is flipped (many times, each on a fresh
 * copy). Opening, verifying and reading every entry must never crash, read out of bounds or
 * return wrong data: each call either returns exactly what was stored or a negative error, and
 * strata_db_verify reports STRATA_ECORRUPT for any flip inside a stored record. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strata.h"

#define TRIALS_DEFAULT 150

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    if (strata_value_from_json(&v, json, strlen(json), 0) != 0) fail_msg("bad JSON %s", json);
    return v;
}

static char *to_json(const strata_value *v)
{
    char *out = NULL;
    assert_int_equal(strata_value_to_json(&out, NULL, v, 0), 0);
    return out;
}

/* The reference content, read from the undamaged database. */
typedef struct content {
    char *doc, *records, *items;
    size_t history;
} content;

/* Read everything; a negative return is the first error (no assertion on it). Any successful
 * read is compared with `want` (when given) and must be equal. */
static int read_all(strata_db *db, content *got, const content *want)
{
    int rc;
    strata_value *v = NULL;
    memset(got, 0, sizeof *got);
    if ((rc = strata_document_load(&v, db, "t", "doc", NULL)) < 0) return rc;
    got->doc = to_json(v);
    strata_value_free(v);
    if (want && strcmp(got->doc, want->doc) != 0) fail_msg("document read back wrong: %s", got->doc);
    if ((rc = strata_records_get_all(&v, db, "t", "rec", NULL)) < 0) return rc;
    got->records = to_json(v);
    strata_value_free(v);
    if (want && strcmp(got->records, want->records) != 0) fail_msg("records read back wrong");
    strata_iter *it = NULL;
    if ((rc = strata_table_scan(&it, db, "t", "tab", NULL, NULL)) < 0) return rc;
    size_t cap = 1 << 16, len = 0;
    char *items = malloc(cap);
    items[0] = 0;
    while ((rc = strata_iter_next(it)) == 0) {
        char *js = to_json(strata_iter_value(it));
        size_t n = strlen(js);
        if (len + n + 2 > cap) items = realloc(items, cap = (len + n + 2) * 2);
        memcpy(items + len, js, n);
        len += n;
        items[len++] = '\n';
        items[len] = 0;
        strata_free(js);
    }
    strata_iter_free(it);
    got->items = items;
    if (rc != STRATA_ITEROVER) return rc;
    if (want && strcmp(got->items, want->items) != 0) fail_msg("table items read back wrong");
    if ((rc = strata_entry_history(&it, db, "t", "rec", NULL, 0)) < 0) return rc;
    while ((rc = strata_iter_next(it)) == 0) got->history++;
    strata_iter_free(it);
    if (rc != STRATA_ITEROVER) return rc;
    if (want && got->history != want->history) fail_msg("history length %zu, want %zu", got->history, want->history);
    return 0;
}

static void content_free(content *c)
{
    strata_free(c->doc);
    strata_free(c->records);
    free(c->items);
    memset(c, 0, sizeof *c);
}

static void build(const char *path)
{
    strata_db *db = NULL;
    assert_int_equal(strata_db_open(&db, path, NULL), 0);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    strata_table_schema sc = STRATA_TABLE_SCHEMA_INIT;
    sc.pk = "id";
    sc.sk = "n";
    assert_int_equal(strata_table_create(NULL, db, "t", "tab", &sc, NULL), 0);
    char js[2048];
    for (int i = 0; i < 40; i++) {
        /* some values long enough to be stored out of line, some compressible */
        snprintf(js, sizeof js, "{\"i\":%d,\"pad\":\"%0*d\"}", i, i % 5 == 0 ? 1500 : 10, i);
        strata_value *v = J(js);
        char key[16];
        snprintf(key, sizeof key, "k%02d", i);
        assert_int_equal(strata_records_put(NULL, db, "t", "rec", key, v, NULL), 0);
        strata_value_free(v);
        snprintf(js, sizeof js, "{\"id\":\"p%d\",\"n\":%d,\"v\":\"%0*d\"}", i % 3, i, i % 7 == 0 ? 1200 : 4, i);
        v = J(js);
        assert_int_equal(strata_table_put_item(NULL, db, "t", "tab", v, NULL, NULL), 0);
        strata_value_free(v);
        if (i % 10 == 0) {
            snprintf(js, sizeof js, "{\"version\":%d,\"list\":[1,2,3,{\"x\":\"y\"}]}", i);
            v = J(js);
            assert_int_equal(strata_document_save(NULL, db, "t", "doc", v, NULL), 0);
            strata_value_free(v);
        }
    }
    strata_db_close(db);
}

/* The segment files of the store under `path` (names into a static list). */
static size_t list_segments(const char *path, char names[][300], size_t max)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".seg") == 0) snprintf(names[n++], 300, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

static void copy_dir(const char *from, const char *to)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", to, from, to);
    assert_int_equal(system(cmd), 0);
}

static void test_damage_adv_flipped_segment_byte_never_gives_wrong_data(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("dbdamage");
    char *orig = tu_path(dir, "orig"), *work = tu_path(dir, "work");
    build(orig);
    content want;
    {
        strata_db *db = NULL;
        assert_int_equal(strata_db_open(&db, orig, NULL), 0);
        assert_int_equal(read_all(db, &want, NULL), 0);
        uint64_t problems = 9;
        assert_int_equal(strata_db_verify(&problems, db), 0);
        strata_db_close(db);
    }
    char segs[16][300];
    size_t nseg = list_segments(orig, segs, 16);
    assert_true(nseg >= 1);
    uint64_t rs = tu_seed("damage_adv");
    const char *env = getenv("STRATA_DAMAGE_TRIALS");
    int trials = env ? atoi(env) : TRIALS_DEFAULT;
    int opened = 0, refused = 0, verified_corrupt = 0, reads_failed = 0;
    for (int t = 0; t < trials; t++) {
        copy_dir(orig, work);
        char *seg = tu_path(work, segs[tu_below(&rs, nseg)]);
        struct stat st;
        assert_int_equal(stat(seg, &st), 0);
        /* past the 32-byte segment header half of the time, anywhere otherwise */
        uint64_t off = tu_below(&rs, 2) ? 32 + tu_below(&rs, (uint64_t)st.st_size - 32) : tu_below(&rs, (uint64_t)st.st_size);
        unsigned char mask = (unsigned char)(1u << tu_below(&rs, 8));
        /* half the trials damage the file before open (recovery must catch it), half after
         * open, under a live handle (reads must catch it) */
        int after_open = (int)tu_below(&rs, 2);
        strata_db *db = NULL;
        strata_db_options o = STRATA_DB_OPTIONS_INIT;
        o.create = 0;
        o.cache_bytes = 4096; /* keep decoded nodes out of the way */
        int rc = 0;
        strata_error_clear();
        if (after_open) assert_int_equal(strata_db_open(&db, work, &o), 0);
        int fd = open(seg, O_RDWR);
        assert_true(fd >= 0);
        unsigned char b;
        assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
        b ^= mask;
        assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
        close(fd);
        if (!after_open) rc = strata_db_open(&db, work, &o);
        if (rc != 0) {
            assert_true(rc < 0);
            assert_null(db);
            assert_true(strata_error_last()->message[0] != 0);
            refused++;
            free(seg);
            continue;
        }
        opened++;
        /* reads: the right data or an error, never anything else */
        content got;
        rc = read_all(db, &got, &want);
        if (rc < 0) {
            assert_true(strata_error_last()->message[0] != 0);
            reads_failed++;
        }
        content_free(&got);
        uint64_t problems = 0;
        rc = strata_db_verify(&problems, db);
        if (rc != 0) {
            assert_int_equal(rc, STRATA_ECORRUPT);
            assert_true(problems > 0);
            assert_true(strata_error_last()->message[0] != 0);
            verified_corrupt++;
        } else {
            assert_int_equal(problems, 0);
            if (getenv("STRATA_DAMAGE_DEBUG"))
                fprintf(stderr, "undetected: %s offset %llu mask %02x (%s open)\n", seg, (unsigned long long)off, mask,
                        after_open ? "after" : "before");
            /* a flip verify cannot see must not have changed what reads return */
            assert_int_equal(read_all(db, &got, &want), 0);
            content_free(&got);
        }
        strata_db_close(db);
        free(seg);
    }
    fprintf(stderr, "%d trials: %d refused at open, %d opened (%d verify ECORRUPT, %d with failing reads)\n", trials,
            refused, opened, verified_corrupt, reads_failed);
    content_free(&want);
    free(orig);
    free(work);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_damage_adv_flipped_segment_byte_never_gives_wrong_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
