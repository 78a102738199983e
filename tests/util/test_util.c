/* Tests of src/util: errors, allocator fault injection, buffers, varints, growable arrays,
 * UTF-8, paths, hashing, the vfs (with its atomic file write), its crash simulation and its
 * in-memory namespace. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "util/array.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/path.h"
#include "util/utf8.h"
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

typedef STRATA_ARRAY(uint64_t) u64_array;
typedef struct pair {
    uint32_t a;
    char b[20];
} pair;
typedef STRATA_ARRAY(pair) pair_array;

/* push/add/reserve keep every element in order across growth; clear keeps the allocation. */
static void test_array_grows_and_keeps_elements_in_order(void **state)
{
    (void)state;
    u64_array a = STRATA_ARRAY_INIT;
    for (uint64_t i = 0; i < 10000; i++) assert_int_equal(strata_array__push(&a, i * 3), 0);
    assert_int_equal(a.n, 10000);
    assert_true(a.cap >= a.n);
    for (size_t i = 0; i < a.n; i++) assert_int_equal(a.v[i], i * 3);
    size_t cap = a.cap;
    strata_array__clear(&a);
    assert_int_equal(a.n, 0);
    assert_int_equal(a.cap, cap);
    assert_int_equal(strata_array__reserve(&a, cap + 1), 0);
    assert_true(a.cap >= cap + 1);
    strata_array__free(&a);
    assert_null(a.v);
    assert_int_equal(a.cap, 0);

    pair_array p = STRATA_ARRAY_INIT;
    for (uint32_t i = 0; i < 100; i++) {
        pair *slot = strata_array__add(&p);
        assert_non_null(slot);
        slot->a = i;
        snprintf(slot->b, sizeof slot->b, "p%u", i);
    }
    assert_int_equal(strata_array__push(&p, ((pair){7, "seven"})), 0);
    assert_int_equal(p.n, 101);
    assert_int_equal(p.v[42].a, 42);
    assert_string_equal(p.v[42].b, "p42");
    assert_string_equal(p.v[100].b, "seven");
    strata_array__free(&p);
}

/* A failed allocation or an overflowing size leaves the array as it was and says ENOMEM. */
static void test_array_growth_failure_and_overflow_leave_array_unchanged(void **state)
{
    (void)state;
    u64_array a = STRATA_ARRAY_INIT;
    for (uint64_t i = 0; i < 8; i++) assert_int_equal(strata_array__push(&a, i), 0);
    assert_int_equal(a.cap, 8);
    uint64_t *v = a.v;
    strata_mem__fail_at(1, 0);
    assert_int_equal(strata_array__push(&a, 99), STRATA_ENOMEM);
    assert_int_equal(strata_error_last()->code, STRATA_ENOMEM);
    strata_mem__fail_at(0, 0);
    assert_ptr_equal(a.v, v);
    assert_int_equal(a.n, 8);
    assert_int_equal(a.cap, 8);
    strata_mem__fail_at(1, 0);
    assert_null(strata_array__add(&a));
    strata_mem__fail_at(0, 0);
    assert_int_equal(a.n, 8);
    /* count * size beyond SIZE_MAX, and count + extra beyond SIZE_MAX */
    assert_int_equal(strata_array__reserve(&a, SIZE_MAX / sizeof(uint64_t)), STRATA_ENOMEM);
    assert_int_equal(strata_array__reserve(&a, SIZE_MAX - 3), STRATA_ENOMEM);
    assert_int_equal(strata_array__reserve(&a, SIZE_MAX), STRATA_ENOMEM);
    assert_int_equal(a.n, 8);
    assert_int_equal(a.cap, 8);
    for (size_t i = 0; i < a.n; i++) assert_int_equal(a.v[i], i);
    pair_array p = STRATA_ARRAY_INIT;
    assert_int_equal(strata_array__reserve(&p, SIZE_MAX / sizeof(pair) + 1), STRATA_ENOMEM);
    assert_null(p.v);
    strata_array__free(&a);
}

/* Reference decoder for the property test: the same rules, written out per case. */
static size_t ref_utf8_len(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t k;
    uint32_t cp, min;
    if (c < 0x80) return 1;
    if (c >= 0xC0 && c < 0xE0) { k = 2; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c < 0xF0) { k = 3; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c < 0xF8) { k = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return k;
}

static int ref_utf8_valid(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = ref_utf8_len(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* Every scalar value round-trips; overlongs, surrogates, values past U+10FFFF and truncated or
 * stray bytes are refused; validation agrees with a plain reference on random byte strings. */
static void test_utf8_round_trips_and_rejects_what_rfc3629_forbids(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        uint8_t b[4];
        size_t n = strata_utf8__encode(b, cp);
        uint32_t back = 0;
        assert_int_equal(strata_utf8__decode(b, b + n, &back), n);
        assert_int_equal(back, cp);
        assert_int_equal(strata_utf8__valid(b, n), 1);
        if (n > 1) assert_int_equal(strata_utf8__decode(b, b + n - 1, &back), 0); /* truncated */
    }
    static const char *bad[] = {"\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xE0\x9F\xBF",
                                "\xED\xA0\x80", "\xED\xBF\xBF", "\xF0\x80\x80\x80",
                                "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80", "\xBF",
                                "\xE2\x82", "\xC3(", "\xFF"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t cp;
        const uint8_t *p = (const uint8_t *)bad[i];
        assert_int_equal(strata_utf8__decode(p, p + strlen(bad[i]), &cp), 0);
        assert_int_equal(strata_utf8__valid(bad[i], strlen(bad[i])), 0);
    }
    assert_int_equal(strata_utf8__valid("", 0), 1);
    assert_int_equal(strata_utf8__valid("plain ascii, longer than eight bytes", 36), 1);
    uint64_t seed = tu_seed("utf8"), rs = seed;
    uint8_t buf[64];
    for (int round = 0; round < 200000; round++) {
        size_t n = (size_t)tu_below(&rs, sizeof buf);
        for (size_t i = 0; i < n; i++) {
            uint64_t r = tu_rand(&rs);
            /* mostly ASCII (the fast path) with lead and continuation bytes mixed in */
            buf[i] = (uint8_t)(r % 4 ? (r >> 8) % 0x80 : 0x80 + (r >> 8) % 0x80);
        }
        if (strata_utf8__valid(buf, n) != ref_utf8_valid(buf, n))
            fail_msg("utf8 valid disagrees with the reference (seed %llu, round %d)",
                     (unsigned long long)seed, round);
    }
}

static void test_path_join_puts_one_separator(void **state)
{
    (void)state;
    char *p = strata_path__join("/tmp/db", "STORE");
    assert_string_equal(p, "/tmp/db/STORE");
    strata_mem__free(p);
    p = strata_path__join("db/", "LOCK");
    assert_string_equal(p, "db/LOCK");
    strata_mem__free(p);
    p = strata_path__join("", "x.seg");
    assert_string_equal(p, "x.seg");
    strata_mem__free(p);
    strata_mem__fail_at(1, 0);
    assert_null(strata_path__join("a", "b"));
    assert_int_equal(strata_error_last()->code, STRATA_ENOMEM);
    strata_mem__fail_at(0, 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[256];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

/* The atomic write replaces a file whole or not at all: a write failure, a sync failure or a
 * crash at the sync leaves the old content and no temporary behind (after a crash the
 * temporary may stay: the process is gone). */
static void test_vfs_write_atomic_replaces_whole_or_not_at_all(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp("vfsatomic");
    char *path = tu_path(dir, "M"), *tmp = tu_path(dir, "M.tmp");
    size_t len;
    assert_int_equal(strata_vfs__write_atomic(dir, "M", "first", 5), 0);
    char *got = slurp(path, &len);
    assert_non_null(got);
    assert_int_equal(len, 5);
    assert_memory_equal(got, "first", 5);
    assert_int_equal(strata_vfs__write_atomic(dir, "M", "second!", 7), 0);
    got = slurp(path, &len);
    assert_int_equal(len, 7);
    assert_memory_equal(got, "second!", 7);
    assert_false(strata_vfs__exists(tmp));

    strata_vfs_faults fl = {0};
    fl.fail_write_at = 1;
    strata_vfs__faults_set(&fl);
    assert_int_equal(strata_vfs__write_atomic(dir, "M", "third", 5), STRATA_EIO);
    memset(&fl, 0, sizeof fl);
    fl.fail_sync_at = 1;
    strata_vfs__faults_set(&fl);
    assert_int_equal(strata_vfs__write_atomic(dir, "M", "third", 5), STRATA_EIO);
    strata_vfs__faults_clear();
    got = slurp(path, &len);
    assert_int_equal(len, 7);
    assert_memory_equal(got, "second!", 7);
    assert_false(strata_vfs__exists(tmp));

    memset(&fl, 0, sizeof fl);
    fl.crash_at_sync = 1;
    fl.seed = 3;
    strata_vfs__faults_set(&fl);
    assert_int_equal(strata_vfs__write_atomic(dir, "M", "fourth", 6), STRATA_EIO);
    assert_true(strata_vfs__crashed());
    strata_vfs__faults_clear();
    got = slurp(path, &len);
    assert_int_equal(len, 7);
    assert_memory_equal(got, "second!", 7);

    strata_mem__fail_at(1, 0);
    assert_int_equal(strata_vfs__write_atomic(dir, "M", "fifth", 5), STRATA_ENOMEM);
    strata_mem__fail_at(0, 0);
    free(path);
    free(tmp);
    tu_rmdir_free(dir);
}

static int collect_name(const char *name, void *payload)
{
    char *names = payload;
    strcat(names, name);
    strcat(names, ";");
    return 0;
}

static void test_vfs_memory_namespace_keeps_posix_file_semantics(void **state)
{
    (void)state;
    strata_file *a, *b, *c;
    char got[64] = {0}, names[256] = "";
    size_t n;
    uint64_t sz;
    assert_true(strata_vfs__exists(":memory:"));
    assert_int_equal(strata_vfs__open(&a, ":memory:/t/x", STRATA_VFS_RDWR | STRATA_VFS_CREATE),
                     STRATA_ENOTFOUND); /* no such directory */
    assert_int_equal(strata_vfs__mkdir(":memory:/t"), 0);
    assert_int_equal(strata_vfs__mkdir(":memory:/t"), STRATA_EEXISTS);
    assert_int_equal(strata_vfs__open(&a, ":memory:/t/x", STRATA_VFS_RDWR), STRATA_ENOTFOUND);
    assert_int_equal(strata_vfs__open(&a, ":memory:/t/x", STRATA_VFS_RDWR | STRATA_VFS_CREATE), 0);
    assert_int_equal(strata_vfs__open(&b, ":memory:/t/x", STRATA_VFS_RDWR | STRATA_VFS_CREATE |
                                      STRATA_VFS_EXCL), STRATA_EEXISTS);
    assert_int_equal(strata_vfs__write(a, 0, "hello", 5), 0);
    assert_int_equal(strata_vfs__write(a, 10, "world", 5), 0); /* a hole reads as zeros */
    assert_int_equal(strata_vfs__size(a, &sz), 0);
    assert_int_equal(sz, 15);
    assert_int_equal(strata_vfs__read(a, 0, got, sizeof got, &n), 0);
    assert_int_equal(n, 15);
    assert_memory_equal(got, "hello\0\0\0\0\0world", 15);
    assert_int_equal(strata_vfs__read_exact(a, 12, got, 5), STRATA_ECORRUPT);
    assert_int_equal(strata_vfs__sync(a), 0);
    assert_int_equal(strata_vfs__truncate(a, 5), 0);
    assert_int_equal(strata_vfs__size(a, &sz), 0);
    assert_int_equal(sz, 5);

    /* a map is a copy; unmap frees it */
    const void *m;
    assert_int_equal(strata_vfs__map(a, 5, &m), 0);
    assert_int_equal(strata_vfs__write(a, 0, "HELLO", 5), 0);
    assert_memory_equal(m, "hello", 5);
    strata_vfs__unmap(m, 5);

    /* locks between handles */
    assert_int_equal(strata_vfs__open(&b, ":memory:/t/x", STRATA_VFS_RDONLY), 0);
    assert_int_equal(strata_vfs__lock(a, 1, 0), 0);
    assert_int_equal(strata_vfs__lock(b, 0, 0), STRATA_EBUSY);
    strata_vfs__unlock(a);
    assert_int_equal(strata_vfs__lock(b, 0, 0), 0);
    assert_int_equal(strata_vfs__lock(a, 1, 20), STRATA_EBUSY);
    strata_vfs__unlock(b);

    /* rename over an open file: the old handle keeps the old bytes */
    assert_int_equal(strata_vfs__open(&c, ":memory:/t/y", STRATA_VFS_RDWR | STRATA_VFS_CREATE), 0);
    assert_int_equal(strata_vfs__write(c, 0, "new", 3), 0);
    assert_int_equal(strata_vfs__rename(":memory:/t/y", ":memory:/t/x"), 0);
    assert_false(strata_vfs__exists(":memory:/t/y"));
    assert_int_equal(strata_vfs__read(b, 0, got, sizeof got, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(got, "HELLO", 5);
    strata_file *d;
    assert_int_equal(strata_vfs__open(&d, ":memory:/t/x", STRATA_VFS_RDONLY), 0);
    assert_int_equal(strata_vfs__read(d, 0, got, sizeof got, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(got, "new", 3);
    assert_int_equal(strata_vfs__rename(":memory:/t/x", "/tmp/x"), STRATA_EINVALID);

    /* write_atomic, list, remove while open, drop */
    assert_int_equal(strata_vfs__write_atomic(":memory:/t", "M", "manifest", 8), 0);
    assert_int_equal(strata_vfs__list(":memory:/t", collect_name, names), 0);
    assert_true(strstr(names, "x;") && strstr(names, "M;") && !strstr(names, "M.tmp"));
    assert_int_equal(strata_vfs__remove(":memory:/t/x"), 0);
    assert_int_equal(strata_vfs__remove(":memory:/t/x"), STRATA_ENOTFOUND);
    assert_int_equal(strata_vfs__read(d, 0, got, sizeof got, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(strata_vfs__mem_drop(":memory:/t"), 0);
    assert_false(strata_vfs__exists(":memory:/t"));
    assert_false(strata_vfs__exists(":memory:/t/M"));
    assert_int_equal(strata_vfs__mem_drop("/tmp"), STRATA_EINVALID);
    strata_vfs__close(a);
    strata_vfs__close(b);
    strata_vfs__close(c);
    strata_vfs__close(d);

    /* out of memory while growing a file: an error, the file unchanged */
    assert_int_equal(strata_vfs__mkdir(":memory:/u"), 0);
    assert_int_equal(strata_vfs__open(&a, ":memory:/u/z", STRATA_VFS_RDWR | STRATA_VFS_CREATE), 0);
    strata_mem__fail_at(1, 0);
    assert_int_equal(strata_vfs__write(a, 0, "x", 1), STRATA_ENOMEM);
    strata_mem__fail_at(0, 0);
    assert_int_equal(strata_vfs__size(a, &sz), 0);
    assert_int_equal(sz, 0);
    strata_vfs__close(a);
    strata_vfs__mem_drop(":memory:/u");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_last_keeps_code_and_message),
        cmocka_unit_test(test_mem_fail_at_nth_allocation),
        cmocka_unit_test(test_buf_grows_and_varints_round_trip),
        cmocka_unit_test(test_array_grows_and_keeps_elements_in_order),
        cmocka_unit_test(test_array_growth_failure_and_overflow_leave_array_unchanged),
        cmocka_unit_test(test_utf8_round_trips_and_rejects_what_rfc3629_forbids),
        cmocka_unit_test(test_path_join_puts_one_separator),
        cmocka_unit_test(test_sha256_known_vector_and_hex),
        cmocka_unit_test(test_vfs_write_read_and_injected_failures),
        cmocka_unit_test(test_vfs_crash_drops_only_unsynced_tail),
        cmocka_unit_test(test_vfs_lock_is_exclusive_between_handles),
        cmocka_unit_test(test_vfs_write_atomic_replaces_whole_or_not_at_all),
        cmocka_unit_test(test_vfs_memory_namespace_keeps_posix_file_semantics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
