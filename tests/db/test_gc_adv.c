/* Adversarial tests of verify and GC under the public API: strata_db_verify on an open handle
 * sees damage to any record written after open (superseded root records and dead objects that
 * no walk reaches included), and a read-only handle keeps reading the newest data across a GC
 * run that sweeps and deletes the segment it had open as the active one. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strata.h"

static strata_value *J(const char *json)
{
    strata_value *v = NULL;
    if (strata_value_from_json(&v, json, strlen(json), 0) != 0) fail_msg("bad JSON %s", json);
    return v;
}

static void save(strata_db *db, const char *entry, int n)
{
    char js[96];
    snprintf(js, sizeof js, "{\"n\": %d, \"pad\": \"%0*d\"}", n, 40, n);
    strata_value *v = J(js);
    int rc = strata_document_save(NULL, db, "t", entry, v, NULL);
    if (rc) fprintf(stderr, "save: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    strata_value_free(v);
}

/* The "n" field of the document at `entry`, or a negative error. */
static int load_n(strata_db *db, const char *entry)
{
    strata_value *v = NULL;
    int rc = strata_document_load(&v, db, "t", entry, NULL);
    if (rc) {
        fprintf(stderr, "load: %s\n", strata_error_last()->message);
        return rc;
    }
    char *js = NULL;
    assert_int_equal(strata_value_to_json(&js, NULL, v, 0), 0);
    strata_value_free(v);
    int n = -1;
    const char *p = strstr(js, "\"n\":");
    if (p) n = atoi(p + 4);
    strata_free(js);
    return n;
}

/* The newest segment file of `dir` (a new string). */
static char *last_segment(const char *dir)
{
    char *best = NULL;
    for (unsigned long long no = 1; no < 4096; no++) {
        char name[40];
        snprintf(name, sizeof name, "%016llx.seg", no);
        char *p = tu_path(dir, name);
        struct stat st;
        if (stat(p, &st) == 0) {
            free(best);
            best = p;
        } else {
            free(p);
        }
    }
    assert_non_null(best);
    return best;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void flip(const char *path, uint64_t off, unsigned char mask)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b ^= mask;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

/* Every single-bit flip in the bytes of a commit that a later commit superseded (its commit
 * object, manifest, root record — written after open, in the active segment) is reported by
 * verify on the open handle, and never changes what reads return. Before the fix, verify only
 * walked reachable objects and missed damage to the superseded root record. */
static void test_gc_adv_verify_on_open_handle_reports_damage_to_superseded_records(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("gcadvverify");
    strata_db *db = NULL;
    assert_int_equal(strata_db_open(&db, dir, NULL), 0);
    assert_int_equal(strata_tenant_init(db, "t", NULL), 0);
    save(db, "doc", 1);
    char *seg = last_segment(dir);
    uint64_t s0 = file_size(seg);
    save(db, "doc", 2);
    uint64_t s1 = file_size(seg);
    save(db, "doc", 3);
    assert_true(s1 > s0);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    uint64_t missed = 0, tried = 0;
    for (uint64_t off = s0; off < s1; off++) {
        unsigned char mask = (unsigned char)(1u << (off % 8));
        flip(seg, off, mask);
        uint64_t problems = 0;
        int rc = strata_db_verify(&problems, db);
        tried++;
        if (rc == 0) {
            fprintf(stderr, "verify missed a flip at offset %llu (batch %llu..%llu)\n",
                    (unsigned long long)off, (unsigned long long)s0, (unsigned long long)s1);
            missed++;
        } else {
            assert_int_equal(rc, STRATA_ECORRUPT);
            assert_true(problems > 0);
        }
        assert_int_equal(load_n(db, "doc"), 3);
        flip(seg, off, mask);
    }
    assert_int_equal(missed, 0);
    assert_int_equal(strata_db_verify(NULL, db), 0);
    fprintf(stderr, "%llu flips, all reported\n", (unsigned long long)tried);
    strata_db_close(db);
    free(seg);
    tu_rmdir_free(dir);
}

/* A read-only handle loads, the writer runs GC (which seals the segment the reader holds as the
 * active one, sweeps it and deletes it) and commits again: the reader reads the newest version,
 * not STRATA_ECORRUPT. */
static void test_gc_adv_read_only_handle_reads_across_gc_deleting_its_active_segment(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("gcadvro");
    strata_db *w = NULL, *r = NULL;
    assert_int_equal(strata_db_open(&w, dir, NULL), 0);
    assert_int_equal(strata_tenant_init(w, "t", NULL), 0);
    assert_int_equal(strata_retention_set(w, "t", "doc", 1, 0, 0, NULL), 0);
    for (int i = 1; i <= 40; i++) save(w, "doc", i);
    strata_db_options ro = STRATA_DB_OPTIONS_INIT;
    ro.create = 0;
    ro.read_only = 1;
    assert_int_equal(strata_db_open(&r, dir, &ro), 0);
    assert_int_equal(load_n(r, "doc"), 40);
    for (int i = 41; i <= 45; i++) save(w, "doc", i);
    for (int run = 0; run < 3; run++) {
        strata_gc_options go = STRATA_GC_OPTIONS_INIT;
        go.min_dead_share = 0.0001;
        strata_gc_report rep;
        int rc = strata_db_gc(&rep, w, &go);
        if (rc) fprintf(stderr, "gc: %s\n", strata_error_last()->message);
        assert_int_equal(rc, 0);
        save(w, "doc", 46 + run);
        assert_int_equal(load_n(r, "doc"), 46 + run);
        assert_int_equal(strata_db_verify(NULL, r), 0);
    }
    assert_int_equal(strata_db_verify(NULL, w), 0);
    strata_db_close(r);
    strata_db_close(w);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gc_adv_verify_on_open_handle_reports_damage_to_superseded_records),
        cmocka_unit_test(test_gc_adv_read_only_handle_reads_across_gc_deleting_its_active_segment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
