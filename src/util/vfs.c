/* POSIX implementation of the internal vfs, with fault injection and a simulated power loss
 * (see vfs.h for the crash model). */
#include "util/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/mem.h"
#include "util/path.h"

struct strata_file {
    int fd;
    char *path; /* owned copy of the path it was opened with */
};

/* ---- crash tracking: one record per inode written through the vfs -----------------------
 * Test machinery: it uses the C allocator directly so that injected allocation failures never
 * disturb the crash model itself. */

typedef struct tracked {
    dev_t dev;
    ino_t ino;
    char *path;       /* last known path (for files closed before the crash) */
    uint64_t synced;  /* size at the last sync (or at first sight) */
} tracked;

static pthread_mutex_t track_mu = PTHREAD_MUTEX_INITIALIZER;
static tracked *track;
static size_t ntrack, captrack;

static strata_vfs_faults faults;
static atomic_long nwrites, nsyncs;
static atomic_int crashed;

static tracked *track_find(dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < ntrack; i++)
        if (track[i].dev == dev && track[i].ino == ino) return &track[i];
    return NULL;
}

/* Remember `fd`'s inode with `synced` as its durable size, unless already known. Tracking is
 * best-effort: when memory is short the file is simply not modelled. */
static void track_note(int fd, const char *path, int sync_now)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    pthread_mutex_lock(&track_mu);
    tracked *t = track_find(st.st_dev, st.st_ino);
    if (!t) {
        if (ntrack == captrack) {
            size_t nc = captrack ? captrack * 2 : 16;
            tracked *nt = realloc(track, nc * sizeof *nt);
            if (!nt) goto done;
            track = nt;
            captrack = nc;
        }
        char *p = strdup(path);
        if (!p) goto done;
        t = &track[ntrack++];
        t->dev = st.st_dev;
        t->ino = st.st_ino;
        t->path = p;
        t->synced = (uint64_t)st.st_size;
    }
    if (sync_now) t->synced = (uint64_t)st.st_size;
done:
    pthread_mutex_unlock(&track_mu);
}

static void track_forget_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return;
    pthread_mutex_lock(&track_mu);
    tracked *t = track_find(st.st_dev, st.st_ino);
    if (t) {
        free(t->path);
        *t = track[--ntrack];
    }
    pthread_mutex_unlock(&track_mu);
}

static void track_rename(const char *from, const char *to)
{
    struct stat st;
    if (stat(to, &st) != 0) return;
    (void)from;
    pthread_mutex_lock(&track_mu);
    tracked *t = track_find(st.st_dev, st.st_ino);
    if (t) {
        char *p = strdup(to);
        if (p) { free(t->path); t->path = p; }
    }
    pthread_mutex_unlock(&track_mu);
}

static uint32_t rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xffffff;
}

/* Simulate a power loss: cut or garble every tracked file's unsynced tail. */
static void crash_now(void)
{
    unsigned s = faults.seed * 2654435761u + 1;
    pthread_mutex_lock(&track_mu);
    for (size_t i = 0; i < ntrack; i++) {
        tracked *t = &track[i];
        int fd = open(t->path, O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino &&
            (uint64_t)st.st_size > t->synced) {
            uint64_t tail = (uint64_t)st.st_size - t->synced;
            uint64_t keep;
            switch (rnd(&s) % 4) {
            case 0: keep = 0; break;
            case 1: keep = tail; break;
            default: keep = rnd(&s) % (tail + 1); break;
            }
            if (faults.garble && keep > 0 && rnd(&s) % 2) {
                /* garble up to 16 bytes somewhere inside the kept unsynced part */
                uint64_t at = t->synced + rnd(&s) % keep;
                unsigned char junk[16];
                size_t n = (size_t)(keep - (at - t->synced));
                if (n > sizeof junk) n = sizeof junk;
                for (size_t k = 0; k < n; k++) junk[k] = (unsigned char)rnd(&s);
                if (pwrite(fd, junk, n, (off_t)at) < 0) { /* best effort */ }
            }
            if (ftruncate(fd, (off_t)(t->synced + keep)) != 0) { /* best effort */ }
        }
        close(fd);
    }
    pthread_mutex_unlock(&track_mu);
    atomic_store(&crashed, 1);
}

void strata_vfs__faults_set(const strata_vfs_faults *f)
{
    faults = *f;
    atomic_store(&nwrites, 0);
    atomic_store(&nsyncs, 0);
    atomic_store(&crashed, 0);
}

void strata_vfs__faults_clear(void)
{
    memset(&faults, 0, sizeof faults);
    atomic_store(&nwrites, 0);
    atomic_store(&nsyncs, 0);
    atomic_store(&crashed, 0);
    pthread_mutex_lock(&track_mu);
    for (size_t i = 0; i < ntrack; i++) free(track[i].path);
    free(track);
    track = NULL;
    ntrack = captrack = 0;
    pthread_mutex_unlock(&track_mu);
}

int strata_vfs__crashed(void) { return atomic_load(&crashed); }
long strata_vfs__sync_count(void) { return atomic_load(&nsyncs); }
long strata_vfs__write_count(void) { return atomic_load(&nwrites); }

static int dead(const strata_file *f, const char *op)
{
    return strata_err__set(STRATA_EIO, "%s %s: simulated crash: process is down", op,
                           f ? f->path : "");
}

/* ---- files ------------------------------------------------------------------------------ */

int strata_vfs__open(strata_file **out, const char *path, int flags)
{
    *out = NULL;
    int oflags = O_CLOEXEC | ((flags & STRATA_VFS_RDWR) ? O_RDWR : O_RDONLY);
    if (flags & STRATA_VFS_CREATE) oflags |= O_CREAT;
    if (flags & STRATA_VFS_EXCL) oflags |= O_EXCL;
    if (flags & STRATA_VFS_TRUNC) oflags |= O_TRUNC;
    if (atomic_load(&crashed) && (flags & STRATA_VFS_RDWR)) return dead(NULL, "open");
    strata_file *f = strata_mem__alloc(sizeof *f);
    if (!f) return STRATA_ENOMEM;
    f->path = strata_mem__strdup(path);
    if (!f->path) {
        strata_mem__free(f);
        return STRATA_ENOMEM;
    }
    int fd;
    do fd = open(path, oflags, 0644); while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        int e = errno;
        strata_mem__free(f->path);
        strata_mem__free(f);
        return strata_err__errno(e, path);
    }
    f->fd = fd;
    if (flags & STRATA_VFS_RDWR) track_note(fd, path, 0);
    *out = f;
    return 0;
}

void strata_vfs__close(strata_file *f)
{
    if (!f) return;
    close(f->fd);
    strata_mem__free(f->path);
    strata_mem__free(f);
}

const char *strata_vfs__path(const strata_file *f) { return f ? f->path : ""; }

int strata_vfs__read(strata_file *f, uint64_t off, void *buf, size_t n, size_t *got)
{
    size_t done = 0;
    *got = 0;
    while (done < n) {
        ssize_t r = pread(f->fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (r < 0) {
            if (errno == EINTR) continue;
            return strata_err__errno(errno, f->path);
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    *got = done;
    return 0;
}

int strata_vfs__read_exact(strata_file *f, uint64_t off, void *buf, size_t n)
{
    size_t got;
    int rc = strata_vfs__read(f, off, buf, n, &got);
    if (rc) return rc;
    if (got != n)
        return strata_err__set(STRATA_ECORRUPT, "%s: truncated: wanted %zu bytes at offset %llu, "
                               "file ends after %zu", f->path, n, (unsigned long long)off, got);
    return 0;
}

int strata_vfs__write(strata_file *f, uint64_t off, const void *buf, size_t n)
{
    if (atomic_load(&crashed)) return dead(f, "write");
    long k = atomic_fetch_add(&nwrites, 1) + 1;
    if (faults.fail_write_at && k == faults.fail_write_at)
        return strata_err__set(STRATA_EIO, "%s: injected write failure", f->path);
    size_t limit = n;
    int short_write = faults.short_write_at && k == faults.short_write_at;
    if (short_write) limit = n / 2;
    size_t done = 0;
    while (done < limit) {
        ssize_t w = pwrite(f->fd, (const char *)buf + done, limit - done, (off_t)(off + done));
        if (w < 0) {
            if (errno == EINTR) continue;
            return strata_err__errno(errno, f->path);
        }
        done += (size_t)w;
    }
    if (short_write)
        return strata_err__set(STRATA_EIO, "%s: injected short write (%zu of %zu bytes)", f->path,
                               limit, n);
    return 0;
}

int strata_vfs__sync(strata_file *f)
{
    if (atomic_load(&crashed)) return dead(f, "sync");
    long k = atomic_fetch_add(&nsyncs, 1) + 1;
    if (faults.crash_at_sync && k == faults.crash_at_sync) {
        crash_now();
        return dead(f, "sync");
    }
    if (faults.fail_sync_at && k == faults.fail_sync_at)
        return strata_err__set(STRATA_EIO, "%s: injected sync failure", f->path);
    int r;
    do r = fdatasync(f->fd); while (r != 0 && errno == EINTR);
    if (r != 0) return strata_err__errno(errno, f->path);
    track_note(f->fd, f->path, 1);
    return 0;
}

int strata_vfs__size(strata_file *f, uint64_t *out)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0) return strata_err__errno(errno, f->path);
    *out = (uint64_t)st.st_size;
    return 0;
}

int strata_vfs__truncate(strata_file *f, uint64_t size)
{
    if (atomic_load(&crashed)) return dead(f, "truncate");
    if (ftruncate(f->fd, (off_t)size) != 0) return strata_err__errno(errno, f->path);
    pthread_mutex_lock(&track_mu);
    struct stat st;
    if (fstat(f->fd, &st) == 0) {
        tracked *t = track_find(st.st_dev, st.st_ino);
        if (t && t->synced > size) t->synced = size;
    }
    pthread_mutex_unlock(&track_mu);
    return 0;
}

int strata_vfs__lock(strata_file *f, int exclusive, int wait_ms)
{
    int op = (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    if (wait_ms < 0) { /* forever: block in the kernel (woken at once when the holder lets go) */
        while (flock(f->fd, op & ~LOCK_NB) != 0)
            if (errno != EINTR) return strata_err__errno(errno, f->path);
        return 0;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long nap_us = 50;
    for (;;) {
        if (flock(f->fd, op) == 0) return 0;
        if (errno == EINTR) continue;
        if (errno != EWOULDBLOCK) return strata_err__errno(errno, f->path);
        if (wait_ms == 0) break;
        if (wait_ms > 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long el = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            if (el >= wait_ms) break;
        }
        struct timespec nap = {0, nap_us * 1000};
        nanosleep(&nap, NULL);
        if (nap_us < 5000) nap_us *= 2;
    }
    return strata_err__set(STRATA_EBUSY, "%s: locked by another process", f->path);
}

void strata_vfs__unlock(strata_file *f)
{
    if (f) flock(f->fd, LOCK_UN);
}

int strata_vfs__map(strata_file *f, size_t len, const void **out)
{
    *out = NULL;
    if (len == 0) return strata_err__set(STRATA_EINVALID, "%s: cannot map 0 bytes", f->path);
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, f->fd, 0);
    if (p == MAP_FAILED) return strata_err__errno(errno, f->path);
    *out = p;
    return 0;
}

void strata_vfs__unmap(const void *p, size_t len)
{
    if (p) munmap((void *)p, len);
}

/* ---- paths ------------------------------------------------------------------------------ */

int strata_vfs__remove(const char *path)
{
    if (atomic_load(&crashed)) return dead(NULL, "remove");
    track_forget_path(path);
    if (unlink(path) != 0) return strata_err__errno(errno, path);
    return 0;
}

int strata_vfs__rename(const char *from, const char *to)
{
    if (atomic_load(&crashed)) return dead(NULL, "rename");
    if (rename(from, to) != 0) return strata_err__errno(errno, from);
    track_rename(from, to);
    return 0;
}

int strata_vfs__mkdir(const char *path)
{
    if (mkdir(path, 0755) != 0) return strata_err__errno(errno, path);
    return 0;
}

int strata_vfs__sync_dir(const char *path)
{
    if (atomic_load(&crashed)) return dead(NULL, "sync_dir");
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return strata_err__errno(errno, path);
    int r = fsync(fd);
    int e = errno;
    close(fd);
    if (r != 0) return strata_err__errno(e, path);
    return 0;
}

int strata_vfs__exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int strata_vfs__write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = strata_path__join(dir, name), *tmp = NULL;
    int rc = STRATA_ENOMEM, renamed = 0;
    if (!path) goto done;
    size_t pl = strlen(path);
    tmp = strata_mem__alloc(pl + sizeof ".tmp");
    if (!tmp) goto done;
    memcpy(tmp, path, pl);
    memcpy(tmp + pl, ".tmp", sizeof ".tmp");
    strata_file *f;
    rc = strata_vfs__open(&f, tmp, STRATA_VFS_RDWR | STRATA_VFS_CREATE | STRATA_VFS_TRUNC);
    if (rc) goto done;
    rc = strata_vfs__write(f, 0, data, len);
    if (!rc) rc = strata_vfs__sync(f);
    strata_vfs__close(f);
    if (!rc) rc = strata_vfs__rename(tmp, path);
    renamed = rc == 0;
    if (!rc) rc = strata_vfs__sync_dir(dir);
    if (rc && !renamed) strata_vfs__remove(tmp);
done:
    strata_mem__free(path);
    strata_mem__free(tmp);
    return rc;
}

int strata_vfs__list(const char *dir, int (*cb)(const char *name, void *payload), void *payload)
{
    DIR *d = opendir(dir);
    if (!d) return strata_err__errno(errno, dir);
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        rc = cb(e->d_name, payload);
        if (rc) break;
    }
    closedir(d);
    return rc;
}
