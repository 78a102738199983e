/* Tests of src/util: errors, allocator fault injection, buffers, varints, hashing, the vfs and
 * its crash simulation. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/vfs.h"

static void test_error_last_keeps_code_and_message(void **state)
{
    (void)state;
    strata_error_clear();
    assert_int_equal(strata_error_last()->code, 0);
    assert_int_equal(strata_err__set(STRATA_EINVALID, "bad name '%s'", "x/y"), STRATA_EINVALID);
    assert_int_equal(strata_error_last()->code, STRATA_EINVALID);
    assert_string_equal(strata_error_last()->message, "bad name 'x/y'");
    strata_err__wrap(STRATA_EINVALID, "entry %d", 3);
    assert_string_equal(strata_error_last()->message, "entry 3: bad name 'x/y'");
    assert_string_equal(strata_strerror(STRATA_ENOTFOUND), "not found");
    assert_string_equal(strata_version(), STRATA_VERSION_STRING);
}

static void test_mem_fail_at_nth_allocation(void **state)
{
    (void)state;
    strata_mem__fail_at(3, 0);
    void *a = strata_mem__alloc(8), *b = strata_mem__alloc(8), *c = strata_mem__alloc(8);
    void *d = strata_mem__alloc(8);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c);
    assert_int_equal(strata_error_last()->code, STRATA_ENOMEM);
    assert_non_null(d); /* not sticky */
    assert_true(strata_mem__failed());
    strata_mem__fail_at(0, 0);
    strata_mem__free(a);
    strata_mem__free(b);
    strata_mem__free(d);
}

static void test_buf_grows_and_varints_round_trip(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("varint"), rs = seed;
    strata_buf b = {0};
    uint64_t vals[1000];
    for (int i = 0; i < 1000; i++) {
        vals[i] = tu_rand(&rs) >> tu_below(&rs, 64);
        assert_int_equal(strata_buf__put_varint(&b, vals[i]), 0);
    }
    const uint8_t *p = b.data, *end = b.data + b.len;
    for (int i = 0; i < 1000; i++) {
        uint64_t v;
        size_t n = strata_varint__decode(p, end, &v);
        assert_true(n > 0);
        assert_int_equal(n, strata_varint__size(vals[i]));
        assert_true(v == vals[i]);
        p += n;
    }
    assert_ptr_equal(p, end);
    /* truncated and overlong encodings are rejected */
    uint8_t trunc[] = {0x80, 0x80};
    uint64_t v;
    assert_int_equal(strata_varint__decode(trunc, trunc + 2, &v), 0);
    uint8_t overlong[] = {0x81, 0x00};
    assert_int_equal(strata_varint__decode(overlong, overlong + 2, &v), 0);
    uint8_t toobig[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    assert_int_equal(strata_varint__decode(toobig, toobig + 10, &v), 0);
    strata_buf__free(&b);
}

static void test_sha256_known_vector_and_hex(void **state)
{
    (void)state;
    strata_oid o;
    char hex[65];
    strata_slice s = {"abc", 3};
    assert_int_equal(strata_hash__sha256v(&o, &s, 1), 0);
    strata_oid_fmt(hex, &o);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* object digest = SHA-256(type ‖ payload): "a" ‖ "bc" equals type 'a' with payload "bc" */
    strata_oid o2;
    assert_int_equal(strata_hash__object(&o2, 'a', "bc", 2), 0);
    assert_memory_equal(o.id, o2.id, 32);
    strata_oid back;
    assert_int_equal(strata_oid_parse(&back, hex), 0);
    assert_memory_equal(back.id, o.id, 32);
    assert_int_equal(strata_oid_parse(&back, "abc"), STRATA_EINVALID);
    char bad[66];
    memcpy(bad, hex, 65);
    bad[10] = 'g';
    assert_int_equal(strata_oid_parse(&back, bad), STRATA_EINVALID);
    memcpy(bad, hex, 64);
    bad[64] = 'a';
    bad[65] = 0;
    assert_int_equal(strata_oid_parse(&back, bad), STRATA_EINVALID);
}

static void test_vfs_write_read_and_injected_failures(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("vfs");
    char *path = tu_path(dir, "f");
    strata_file *f;
    assert_int_equal(strata_vfs__open(&f, path, STRATA_VFS_RDWR), STRATA_ENOTFOUND);
    assert_int_equal(strata_vfs__open(&f, path, STRATA_VFS_RDWR | STRATA_VFS_CREATE), 0);
    assert_int_equal(strata_vfs__write(f, 0, "hello world", 11), 0);
    char got[16];
    assert_int_equal(strata_vfs__read_exact(f, 0, got, 11), 0);
    assert_memory_equal(got, "hello world", 11);
    assert_int_equal(strata_vfs__read_exact(f, 5, got, 11), STRATA_ECORRUPT);

    strata_vfs_faults fl = {0};
    fl.fail_write_at = 2;
    strata_vfs__faults_set(&fl);
    assert_int_equal(strata_vfs__write(f, 11, "A", 1), 0);
    assert_int_equal(strata_vfs__write(f, 12, "B", 1), STRATA_EIO);
    fl.fail_write_at = 0;
    fl.short_write_at = 1;
    strata_vfs__faults_set(&fl);
    assert_int_equal(strata_vfs__write(f, 12, "0123456789", 10), STRATA_EIO);
    uint64_t sz;
    assert_int_equal(strata_vfs__size(f, &sz), 0);
    assert_int_equal(sz, 17); /* half of the 10 bytes landed */
    fl.short_write_at = 0;
    fl.fail_sync_at = 1;
    strata_vfs__faults_set(&fl);
    assert_int_equal(strata_vfs__sync(f), STRATA_EIO);
    assert_int_equal(strata_vfs__sync(f), 0);
    strata_vfs__faults_clear();
    strata_vfs__close(f);
    free(path);
    tu_rmdir_free(dir);
}

static void test_vfs_crash_drops_only_unsynced_tail(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("vfscrash");
    char *path = tu_path(dir, "log");
    for (unsigned seed = 1; seed <= 40; seed++) {
        strata_vfs__faults_clear();
        strata_file *f;
        assert_int_equal(strata_vfs__open(&f, path, STRATA_VFS_RDWR | STRATA_VFS_CREATE | STRATA_VFS_TRUNC), 0);
        strata_vfs_faults fl = {0};
        fl.crash_at_sync = 2;
        fl.seed = seed;
        fl.garble = 1;
        strata_vfs__faults_set(&fl);
        char synced[100], unsynced[100];
        memset(synced, 'S', sizeof synced);
        memset(unsynced, 'U', sizeof unsynced);
        assert_int_equal(strata_vfs__write(f, 0, synced, 100), 0);
        assert_int_equal(strata_vfs__sync(f), 0);
        assert_int_equal(strata_vfs__write(f, 100, unsynced, 100), 0);
        assert_int_equal(strata_vfs__sync(f), STRATA_EIO); /* the crash */
        assert_true(strata_vfs__crashed());
        assert_int_equal(strata_vfs__write(f, 200, "x", 1), STRATA_EIO);
        strata_vfs__close(f);
        strata_vfs__faults_clear();
        assert_int_equal(strata_vfs__open(&f, path, STRATA_VFS_RDONLY), 0);
        uint64_t sz;
        assert_int_equal(strata_vfs__size(f, &sz), 0);
        assert_true(sz >= 100 && sz <= 200);
        char got[200];
        assert_int_equal(strata_vfs__read_exact(f, 0, got, (size_t)sz), 0);
        assert_memory_equal(got, synced, 100); /* synced bytes always survive intact */
        strata_vfs__close(f);
    }
    free(path);
    tu_rmdir_free(dir);
}

static void test_vfs_lock_is_exclusive_between_handles(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("vfslock");
    char *path = tu_path(dir, "lock");
    strata_file *a, *b;
    assert_int_equal(strata_vfs__open(&a, path, STRATA_VFS_RDWR | STRATA_VFS_CREATE), 0);
    assert_int_equal(strata_vfs__open(&b, path, STRATA_VFS_RDWR), 0);
    assert_int_equal(strata_vfs__lock(a, 1, 0), 0);
    assert_int_equal(strata_vfs__lock(b, 1, 0), STRATA_EBUSY);
    assert_int_equal(strata_vfs__lock(b, 1, 30), STRATA_EBUSY);
    strata_vfs__unlock(a);
    assert_int_equal(strata_vfs__lock(b, 1, 0), 0);
    strata_vfs__close(a);
    strata_vfs__close(b);
    free(path);
    tu_rmdir_free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_last_keeps_code_and_message),
        cmocka_unit_test(test_mem_fail_at_nth_allocation),
        cmocka_unit_test(test_buf_grows_and_varints_round_trip),
        cmocka_unit_test(test_sha256_known_vector_and_hex),
        cmocka_unit_test(test_vfs_write_read_and_injected_failures),
        cmocka_unit_test(test_vfs_crash_drops_only_unsynced_tail),
        cmocka_unit_test(test_vfs_lock_is_exclusive_between_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
