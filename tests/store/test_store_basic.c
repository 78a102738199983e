/* Tests of the object store's everyday behaviour: round trips, deduplication, roots, reopen,
 * rotation with sealed indexes, compression, argument checking and format versions. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "store/store_int.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/vfs.h"

static strata_store *open_store(const char *dir, int create, uint64_t segsize)
{
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = create;
    o.segment_size = segsize;
    strata_store *s = NULL;
    int rc = strata_store__open(&s, dir, &o);
    if (rc) fprintf(stderr, "open: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    return s;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void fill(uint8_t *p, size_t n, uint64_t *rs, int compressible)
{
    for (size_t i = 0; i < n; i++) p[i] = compressible ? (uint8_t)("abcdefgh"[i % 8] + (i / 512) % 3) : (uint8_t)tu_rand(rs);
}

static void expect_object(strata_store *s, const strata_oid *oid, uint8_t type, const void *data, size_t len)
{
    uint8_t *got = NULL, t = 0;
    size_t gl = 0;
    int rc = strata_store__get(s, oid, &t, &got, &gl);
    if (rc) fprintf(stderr, "get: %s\n", strata_error_last()->message);
    assert_int_equal(rc, 0);
    assert_non_null(got);
    assert_int_equal(t, type);
    assert_int_equal(gl, len);
    if (len) assert_memory_equal(got, data, len);
    strata_mem__free(got);
}

static void test_store_round_trips_many_objects_including_empty(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_rt");
    uint64_t rs = tu_seed("store_rt");
    strata_store *s = open_store(dir, 1, 0);
    enum { N = 300 };
    strata_oid oids[N];
    uint8_t *datas[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        lens[i] = i == 0 ? 0 : 4 + (size_t)tu_below(&rs, i % 10 == 0 ? 200000 : 5000);
        datas[i] = malloc(lens[i] + 1);
        fill(datas[i], lens[i], &rs, i % 2);
        if (i) memcpy(datas[i], &i, sizeof i); /* distinct objects */
        assert_int_equal(strata_store__put(s, (uint8_t)('A' + i % 3), datas[i], lens[i], &oids[i]), 0);
        strata_oid want;
        strata_hash__object(&want, (uint8_t)('A' + i % 3), datas[i], lens[i]);
        assert_memory_equal(&want, &oids[i], sizeof want);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(strata_store__has(s, &oids[i]), 1);
        expect_object(s, &oids[i], (uint8_t)('A' + i % 3), datas[i], lens[i]);
    }
    strata_oid missing;
    memset(&missing, 0x5a, sizeof missing);
    assert_int_equal(strata_store__has(s, &missing), 0);
    uint8_t *d;
    size_t l;
    assert_int_equal(strata_store__get(s, &missing, NULL, &d, &l), STRATA_ENOTFOUND);
    strata_store_stats st;
    assert_int_equal(strata_store__stats(s, &st), 0);
    assert_int_equal(st.objects, N);
    assert_int_equal(st.segments, 1);
    strata_store__close(s);
    /* everything is still there after a clean close (no publish: close syncs) */
    s = open_store(dir, 0, 0);
    for (int i = 0; i < N; i++) expect_object(s, &oids[i], (uint8_t)('A' + i % 3), datas[i], lens[i]);
    strata_store__close(s);
    for (int i = 0; i < N; i++) free(datas[i]);
    tu_rmdir_free(dir);
}

static void test_store_second_put_of_same_object_writes_nothing(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_dedup");
    strata_store *s = open_store(dir, 1, 0);
    strata_oid a, b;
    const char *text = "the same bytes twice";
    assert_int_equal(strata_store__put(s, 'B', text, strlen(text), &a), 0);
    strata_store_stats st1, st2;
    strata_store__stats(s, &st1);
    strata_vfs_faults f = {0};
    strata_vfs__faults_set(&f); /* resets the write counter */
    assert_int_equal(strata_store__put(s, 'B', text, strlen(text), &b), 0);
    assert_int_equal(strata_vfs__write_count(), 0);
    strata_vfs__faults_clear();
    strata_store__stats(s, &st2);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(st1.file_bytes, st2.file_bytes);
    assert_int_equal(st2.objects, 1);
    /* a different type is a different object */
    assert_int_equal(strata_store__put(s, 'N', text, strlen(text), &b), 0);
    assert_memory_not_equal(&a, &b, sizeof a);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_roots_latest_wins_and_survive_reopen(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_roots");
    strata_store *s = open_store(dir, 1, 0);
    strata_oid o1, o2, got;
    assert_int_equal(strata_store__put(s, 'N', "one", 3, &o1), 0);
    assert_int_equal(strata_store__put(s, 'N', "two", 3, &o2), 0);
    assert_int_equal(strata_store__root(s, "main", &got), STRATA_ENOTFOUND);
    assert_int_equal(strata_store__publish(s, "main", &o1), 0);
    assert_int_equal(strata_store__publish(s, "other", &o1), 0);
    assert_int_equal(strata_store__publish(s, "main", &o2), 0);
    assert_int_equal(strata_store__root(s, "main", &got), 0);
    assert_memory_equal(&got, &o2, sizeof got);
    strata_store_stats st;
    strata_store__stats(s, &st);
    assert_int_equal(st.roots, 2);
    assert_true(st.dead_bytes >= ROOT_FIXED + 4); /* the first "main" record is superseded */
    assert_true(st.syncs >= 3);
    strata_store__close(s);
    s = open_store(dir, 0, 0);
    assert_int_equal(strata_store__root(s, "main", &got), 0);
    assert_memory_equal(&got, &o2, sizeof got);
    assert_int_equal(strata_store__root(s, "other", &got), 0);
    assert_memory_equal(&got, &o1, sizeof got);
    strata_store__stats(s, &st);
    assert_true(st.dead_bytes >= ROOT_FIXED + 4);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_missing_store_is_notfound_unless_creating(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_missing");
    char *sub = tu_path(dir, "nothing");
    strata_store *s = NULL;
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    assert_int_equal(strata_store__open(&s, sub, &o), STRATA_ENOTFOUND);
    assert_null(s);
    assert_int_equal(strata_store__open(&s, dir, &o), STRATA_ENOTFOUND); /* empty directory */
    o.read_only = 1;
    assert_int_equal(strata_store__open(&s, dir, &o), STRATA_ENOTFOUND);
    o.create = 1;
    assert_int_equal(strata_store__open(&s, dir, &o), STRATA_EINVALID);
    /* a store whose segments were deleted is not silently empty */
    s = open_store(sub, 1, 0);
    strata_store__close(s);
    char *seg = tu_path(sub, "0000000000000001.seg");
    assert_int_equal(remove(seg), 0);
    o.read_only = 0;
    assert_int_equal(strata_store__open(&s, sub, &o), STRATA_ECORRUPT);
    free(seg);
    free(sub);
    tu_rmdir_free(dir);
}

static void test_store_bad_arguments_are_einvalid(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_args");
    strata_store *s = open_store(dir, 1, 0);
    strata_oid o;
    uint8_t *d;
    size_t l;
    assert_int_equal(strata_store__put(NULL, 'B', "x", 1, &o), STRATA_EINVALID);
    assert_int_equal(strata_store__put(s, 'B', NULL, 1, &o), STRATA_EINVALID);
    assert_int_equal(strata_store__put(s, 'B', "x", 1, NULL), STRATA_EINVALID);
    assert_int_equal(strata_store__get(s, NULL, NULL, &d, &l), STRATA_EINVALID);
    assert_int_equal(strata_store__has(NULL, &o), STRATA_EINVALID);
    assert_int_equal(strata_store__put(s, 'B', "x", 1, &o), 0);
    assert_int_equal(strata_store__publish(s, "", &o), STRATA_EINVALID);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[299] = 0;
    assert_int_equal(strata_store__publish(s, longname, &o), STRATA_EINVALID);
    longname[255] = 0;
    assert_int_equal(strata_store__publish(s, longname, &o), 0);
    assert_int_equal(strata_store__publish(s, NULL, &o), STRATA_EINVALID);
    assert_int_equal(strata_store__publish(s, "x", NULL), STRATA_EINVALID);
    assert_int_equal(strata_store__root(s, NULL, &o), STRATA_EINVALID);
    assert_int_equal(strata_store__open(NULL, dir, NULL), STRATA_EINVALID);
    strata_store_options bad = STRATA_STORE_OPTIONS_INIT;
    bad.segment_size = 10;
    strata_store *s2 = NULL;
    assert_int_equal(strata_store__open(&s2, dir, &bad), STRATA_EINVALID);
    strata_store__close(s);
    strata_store__close(NULL);
    tu_rmdir_free(dir);
}

static void test_store_rotation_seals_segments_with_indexes(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_rot");
    uint64_t rs = tu_seed("store_rot");
    strata_store *s = open_store(dir, 1, 16384);
    enum { N = 200 };
    strata_oid oids[N];
    uint8_t buf[N][600];
    for (int i = 0; i < N; i++) {
        fill(buf[i], sizeof buf[i], &rs, 0);
        assert_int_equal(strata_store__put(s, 'B', buf[i], sizeof buf[i], &oids[i]), 0);
        if (i % 20 == 19) assert_int_equal(strata_store__publish(s, "main", &oids[i]), 0);
    }
    strata_store_stats st;
    strata_store__stats(s, &st);
    assert_true(st.segments >= 7);
    assert_int_equal(st.objects, N);
    for (int i = 0; i < N; i++) expect_object(s, &oids[i], 'B', buf[i], sizeof buf[i]);
    strata_store__close(s);
    char *idx1 = tu_path(dir, "0000000000000001.idx"), *idx2 = tu_path(dir, "0000000000000002.idx");
    assert_true(file_size(idx1) > IDX_DIGESTS_OFF);
    /* a missing and a damaged index are rebuilt from their segments */
    assert_int_equal(remove(idx1), 0);
    FILE *f = fopen(idx2, "r+b");
    fseek(f, IDX_DIGESTS_OFF + 5, SEEK_SET);
    fputc(0xff, f);
    fclose(f);
    s = open_store(dir, 0, 16384);
    strata_store__stats(s, &st);
    assert_int_equal(st.objects, N);
    for (int i = 0; i < N; i++) expect_object(s, &oids[i], 'B', buf[i], sizeof buf[i]);
    strata_oid got;
    assert_int_equal(strata_store__root(s, "main", &got), 0);
    assert_memory_equal(&got, &oids[N - 1], sizeof got);
    strata_store__close(s);
    assert_true(file_size(idx1) > IDX_DIGESTS_OFF);
    free(idx1);
    free(idx2);
    tu_rmdir_free(dir);
}

static int count_cb(const strata_oid *oid, uint8_t type, uint64_t len, void *payload)
{
    (void)oid;
    (void)type;
    (void)len;
    (*(int *)payload)++;
    return 0;
}

static void test_store_foreach_visits_every_object_once(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_iter");
    strata_store *s = open_store(dir, 1, 4096);
    for (int i = 0; i < 100; i++) {
        char b[64];
        snprintf(b, sizeof b, "object number %d with some padding to fill space", i);
        strata_oid o;
        assert_int_equal(strata_store__put(s, 'B', b, strlen(b), &o), 0);
    }
    int n = 0;
    assert_int_equal(strata_store__foreach(s, count_cb, &n), 0);
    assert_int_equal(n, 100);
    strata_store__close(s);
    tu_rmdir_free(dir);
}

static void test_store_compressible_objects_are_stored_smaller(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_zstd");
    strata_store *s = open_store(dir, 1, 0);
    size_t n = 100000;
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i % 7);
    strata_oid o;
    assert_int_equal(strata_store__put(s, 'B', p, n, &o), 0);
    strata_store_stats st;
    strata_store__stats(s, &st);
    assert_true(st.file_bytes < n / 10);
    assert_int_equal(st.object_bytes, n);
    expect_object(s, &o, 'B', p, n);
    strata_store__close(s);
    /* with compression off the record is stored raw */
    char *dir2 = tu_mkdtemp("store_zstd_off");
    strata_store_options opt = STRATA_STORE_OPTIONS_INIT;
    opt.create = 1;
    opt.compress_level = -1;
    assert_int_equal(strata_store__open(&s, dir2, &opt), 0);
    assert_int_equal(strata_store__put(s, 'B', p, n, &o), 0);
    strata_store__stats(s, &st);
    assert_true(st.file_bytes > n);
    expect_object(s, &o, 'B', p, n);
    strata_store__close(s);
    free(p);
    tu_rmdir_free(dir);
    tu_rmdir_free(dir2);
}

static void test_store_object_of_64_mib_round_trips(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_big");
    uint64_t rs = tu_seed("store_big");
    strata_store *s = open_store(dir, 1, 0);
    size_t n = (size_t)64 << 20;
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = tu_rand(&rs);
        memcpy(p + i, &v, 8);
    }
    strata_oid o, small;
    assert_int_equal(strata_store__put(s, 'B', "x", 1, &small), 0);
    assert_int_equal(strata_store__put(s, 'B', p, n, &o), 0);
    assert_int_equal(strata_store__publish(s, "big", &o), 0);
    strata_store__close(s);
    s = open_store(dir, 0, 0);
    expect_object(s, &o, 'B', p, n);
    expect_object(s, &small, 'B', "x", 1);
    strata_store__close(s);
    free(p);
    tu_rmdir_free(dir);
}

static void flip_byte(const char *path, uint64_t off)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, (long)off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, (long)off, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
}

static void test_store_unknown_format_version_is_eversion(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_ver");
    strata_store *s = open_store(dir, 1, 0);
    strata_store__close(s);
    /* rewrite the segment header with version 2 and a valid checksum */
    char *seg = tu_path(dir, "0000000000000001.seg");
    uint8_t h[SEG_HDR_SIZE];
    strata_store__encode_seg_header(h, 1);
    h[8] = 2;
    uint64_t sum = strata_hash__sum64(h, 24, 0);
    for (int i = 0; i < 8; i++) h[24 + i] = (uint8_t)(sum >> (8 * i));
    FILE *f = fopen(seg, "r+b");
    fwrite(h, 1, sizeof h, f);
    fclose(f);
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    assert_int_equal(strata_store__open(&s, dir, &o), STRATA_EVERSION);
    free(seg);
    tu_rmdir_free(dir);
}

static void test_store_flipped_bit_in_sealed_segment_detected_on_read(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_flip");
    uint64_t rs = tu_seed("store_flip");
    strata_store *s = open_store(dir, 1, 4096);
    strata_oid oids[40];
    uint8_t b[40][1000];
    for (int i = 0; i < 40; i++) {
        fill(b[i], sizeof b[i], &rs, 0);
        assert_int_equal(strata_store__put(s, 'B', b[i], sizeof b[i], &oids[i]), 0);
    }
    assert_int_equal(strata_store__publish(s, "main", &oids[39]), 0);
    strata_store__close(s);
    /* object 0 is the first record of sealed segment 1 */
    char *seg = tu_path(dir, "0000000000000001.seg");
    flip_byte(seg, SEG_HDR_SIZE + OBJ_HDR_SIZE + 3);
    s = open_store(dir, 0, 4096); /* opening does not scan sealed segments */
    uint8_t *d = NULL;
    size_t l;
    assert_int_equal(strata_store__get(s, &oids[0], NULL, &d, &l), STRATA_ECORRUPT);
    assert_non_null(strstr(strata_error_last()->message, "0000000000000001.seg"));
    assert_null(d);
    expect_object(s, &oids[1], 'B', b[1], sizeof b[1]);
    strata_store__close(s);
    free(seg);
    tu_rmdir_free(dir);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(*n + 1);
    assert_int_equal(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void test_store_torn_tail_cut_at_every_byte_of_last_records(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_torn");
    strata_store *s = open_store(dir, 1, 0);
    strata_oid a, x, got;
    assert_int_equal(strata_store__put(s, 'B', "first object", 12, &a), 0);
    assert_int_equal(strata_store__publish(s, "main", &a), 0);
    char *seg = tu_path(dir, "0000000000000001.seg");
    size_t before;
    free(slurp(seg, &before)); /* end of the first batch */
    assert_int_equal(strata_store__put(s, 'B', "second object", 13, &x), 0);
    assert_int_equal(strata_store__publish(s, "main", &x), 0);
    size_t full;
    uint8_t *img = slurp(seg, &full); /* as a crash right after the publish would leave it */
    strata_store__close(s);
    for (size_t cut = before; cut <= full; cut++) {
        spit(seg, img, cut);
        s = open_store(dir, 0, 0);
        assert_int_equal(strata_store__root(s, "main", &got), 0);
        assert_memory_equal(&got, cut == full ? &x : &a, sizeof got);
        expect_object(s, &a, 'B', "first object", 12);
        /* the torn object record is gone or whole, never half */
        int h = strata_store__has(s, &x);
        if (h) expect_object(s, &x, 'B', "second object", 13);
        if (cut < before + OBJ_HDR_SIZE + 13) assert_int_equal(h, 0);
        strata_store__close(s);
        s = open_store(dir, 0, 0); /* and the repaired file opens again */
        strata_store__close(s);
    }
    free(img);
    free(seg);
    tu_rmdir_free(dir);
}

static void test_store_damage_followed_by_durable_batch_is_corrupt(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_dmg");
    strata_store *s = open_store(dir, 1, 0);
    strata_oid a, b;
    assert_int_equal(strata_store__put(s, 'B', "batch one object", 16, &a), 0);
    assert_int_equal(strata_store__publish(s, "main", &a), 0);
    assert_int_equal(strata_store__put(s, 'B', "batch two object", 16, &b), 0);
    assert_int_equal(strata_store__publish(s, "main", &b), 0);
    strata_store__close(s);
    char *seg = tu_path(dir, "0000000000000001.seg");
    size_t n;
    uint8_t *img = slurp(seg, &n);
    flip_byte(seg, SEG_HDR_SIZE + OBJ_HDR_SIZE + 2); /* inside the first batch's object */
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    assert_int_equal(strata_store__open(&s, dir, &o), STRATA_ECORRUPT);
    assert_non_null(strstr(strata_error_last()->message, "0000000000000001.seg"));
    assert_non_null(strstr(strata_error_last()->message, "offset 32"));
    /* nothing was cut: the damaged file is unchanged */
    size_t n2;
    uint8_t *img2 = slurp(seg, &n2);
    assert_int_equal(n, n2);
    free(img2);
    /* damage in the last batch of a cleanly closed store is caught by the close checkpoint */
    spit(seg, img, n);
    flip_byte(seg, n - ROOT_FIXED - 10);
    assert_int_equal(strata_store__open(&s, dir, &o), STRATA_ECORRUPT);
    free(img);
    free(seg);
    tu_rmdir_free(dir);
}

static void count_problem(const char *msg, void *payload)
{
    (void)msg;
    (*(int *)payload)++;
}

static void test_store_verify_reports_flipped_bit_and_repair_salvages_the_rest(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_repair");
    uint64_t rs = tu_seed("store_repair");
    strata_store *s = open_store(dir, 1, 4096);
    strata_oid oids[30];
    uint8_t b[30][900];
    for (int i = 0; i < 30; i++) {
        fill(b[i], sizeof b[i], &rs, 0);
        assert_int_equal(strata_store__put(s, 'B', b[i], sizeof b[i], &oids[i]), 0);
        if (i % 10 == 9) assert_int_equal(strata_store__publish(s, "main", &oids[i]), 0);
    }
    strata_store_verify_report rep;
    assert_int_equal(strata_store__verify(s, &rep, NULL, NULL), 0);
    assert_int_equal(rep.objects, 30);
    assert_int_equal(rep.problems, 0);
    strata_store__close(s);
    char *seg = tu_path(dir, "0000000000000001.seg");
    flip_byte(seg, SEG_HDR_SIZE + OBJ_HDR_SIZE + 100); /* object 0's payload */
    s = open_store(dir, 0, 4096);
    int problems = 0;
    assert_int_equal(strata_store__verify(s, &rep, count_problem, &problems), STRATA_ECORRUPT);
    assert_true(problems >= 1);
    assert_non_null(strstr(strata_error_last()->message, "0000000000000001.seg"));
    strata_store__close(s);
    /* repair drops the damaged record and keeps everything else */
    strata_store_repair_report rr;
    assert_int_equal(strata_store__repair(dir, &rr), 0);
    assert_int_equal(rr.objects, 29);
    assert_int_equal(rr.roots, 1);
    assert_true(rr.skipped_bytes > 0);
    s = open_store(dir, 0, 4096);
    assert_int_equal(strata_store__has(s, &oids[0]), 0);
    for (int i = 1; i < 30; i++) expect_object(s, &oids[i], 'B', b[i], sizeof b[i]);
    strata_oid got;
    assert_int_equal(strata_store__root(s, "main", &got), 0);
    assert_memory_equal(&got, &oids[29], sizeof got);
    assert_int_equal(strata_store__verify(s, &rep, NULL, NULL), 0);
    /* and it accepts new writes */
    assert_int_equal(strata_store__put(s, 'B', b[0], sizeof b[0], &got), 0);
    strata_store__close(s);
    free(seg);
    tu_rmdir_free(dir);
}

static void test_store_repair_of_corrupt_active_segment_makes_it_open(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("store_repair2");
    strata_store *s = open_store(dir, 1, 0);
    strata_oid a, b2;
    assert_int_equal(strata_store__put(s, 'B', "batch one object", 16, &a), 0);
    assert_int_equal(strata_store__publish(s, "one", &a), 0);
    assert_int_equal(strata_store__put(s, 'B', "batch two object", 16, &b2), 0);
    assert_int_equal(strata_store__publish(s, "two", &b2), 0);
    strata_store__close(s);
    char *seg = tu_path(dir, "0000000000000001.seg");
    flip_byte(seg, SEG_HDR_SIZE + 5);
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    assert_int_equal(strata_store__open(&s, dir, &o), STRATA_ECORRUPT);
    strata_store_repair_report rr;
    assert_int_equal(strata_store__repair(dir, &rr), 0);
    s = open_store(dir, 0, 0);
    strata_oid got;
    assert_int_equal(strata_store__root(s, "two", &got), 0);
    assert_memory_equal(&got, &b2, sizeof got);
    assert_int_equal(strata_store__root(s, "one", &got), 0);
    assert_int_equal(strata_store__has(s, &a), 0); /* its record was the damaged one */
    int problems = 0;
    assert_int_equal(strata_store__verify(s, NULL, count_problem, &problems), STRATA_ECORRUPT);
    assert_int_equal(problems, 1); /* root "one" names a missing object */
    /* repair refuses while a writer holds the store */
    assert_int_equal(strata_store__repair(dir, &rr), STRATA_EBUSY);
    strata_store__close(s);
    free(seg);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_round_trips_many_objects_including_empty),
        cmocka_unit_test(test_store_second_put_of_same_object_writes_nothing),
        cmocka_unit_test(test_store_roots_latest_wins_and_survive_reopen),
        cmocka_unit_test(test_store_missing_store_is_notfound_unless_creating),
        cmocka_unit_test(test_store_bad_arguments_are_einvalid),
        cmocka_unit_test(test_store_rotation_seals_segments_with_indexes),
        cmocka_unit_test(test_store_foreach_visits_every_object_once),
        cmocka_unit_test(test_store_compressible_objects_are_stored_smaller),
        cmocka_unit_test(test_store_object_of_64_mib_round_trips),
        cmocka_unit_test(test_store_unknown_format_version_is_eversion),
        cmocka_unit_test(test_store_flipped_bit_in_sealed_segment_detected_on_read),
        cmocka_unit_test(test_store_torn_tail_cut_at_every_byte_of_last_records),
        cmocka_unit_test(test_store_damage_followed_by_durable_batch_is_corrupt),
        cmocka_unit_test(test_store_verify_reports_flipped_bit_and_repair_salvages_the_rest),
        cmocka_unit_test(test_store_repair_of_corrupt_active_segment_makes_it_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
