/* POSIX implementation of the internal vfs, with fault injection and a simulated power loss
 * (see vfs.h for the crash model), and the in-memory namespace of ":memory:" paths. */
#include "util/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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

typedef struct memnode memnode;

struct strata_file {
    int fd;          /* -1 for a file of the in-memory namespace */
    char *path;      /* owned copy of the path it was opened with */
    memnode *mem;    /* the in-memory file, or NULL */
    int mem_lock;    /* in-memory lock held by this handle: 0, 1 shared, 2 exclusive */
};

/* ---- the in-memory namespace ------------------------------------------------------------
 * Paths that start with ":memory:" never reach the disk: they name the nodes (directories and
 * files) of one process-wide table, so a whole store can live in memory (strata_db_open with
 * ":memory:"). The files keep the POSIX behaviour the store relies on: a removed or
 * renamed-over file stays readable through the handles that have it open; rename replaces
 * atomically; a read sees every write at once. Nothing is durable, so sync does nothing and
 * fault injection and the crash model do not apply. A map is a private copy of the file's
 * first `len` bytes (a growing file's buffer may move), freed by strata_vfs__unmap. Locks are
 * between the handles of this process. The bare ":memory:" directory always exists. Node
 * bookkeeping uses the C allocator like the crash tracking; file bytes use strata's. */

#define MEM_PREFIX ":memory:"

struct memnode {
    char *path;          /* NULL once unlinked from the namespace */
    int dir;             /* a directory (no bytes) */
    unsigned char *data; /* file bytes (strata allocator) */
    size_t len, cap;
    int refs;            /* 1 while linked + one per open handle */
    int sh_locks;        /* shared locks held */
    int ex_lock;         /* an exclusive lock is held */
};

static pthread_mutex_t mem_mu = PTHREAD_MUTEX_INITIALIZER;
static memnode **mem_nodes; /* linked nodes */
static size_t mem_n, mem_cap;
static const void **mem_maps; /* live map copies, so that unmap knows them from mmap's */
static size_t maps_n, maps_cap;

static int is_mem(const char *path)
{
    return path && strncmp(path, MEM_PREFIX, sizeof MEM_PREFIX - 1) == 0;
}

/* The linked node named `path` (mem_mu held), or NULL. */
static memnode *mem_find(const char *path, size_t *index)
{
    for (size_t i = 0; i < mem_n; i++)
        if (strcmp(mem_nodes[i]->path, path) == 0) {
            if (index) *index = i;
            return mem_nodes[i];
        }
    return NULL;
}

/* The directory part of `path` exists (mem_mu held). */
static int mem_parent_exists(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return 1; /* ":memory:" itself, or a name directly under it without a slash */
    size_t n = (size_t)(slash - path);
    if (n == sizeof MEM_PREFIX - 1 && strncmp(path, MEM_PREFIX, n) == 0) return 1;
    for (size_t i = 0; i < mem_n; i++)
        if (mem_nodes[i]->dir && strlen(mem_nodes[i]->path) == n &&
            strncmp(mem_nodes[i]->path, path, n) == 0)
            return 1;
    return 0;
}

static void mem_unref(memnode *m) /* mem_mu held */
{
    if (--m->refs > 0) return;
    strata_mem__free(m->data);
    free(m->path);
    free(m);
}

/* Unlink node `i` from the namespace (mem_mu held); open handles keep the bytes. */
static void mem_unlink_at(size_t i)
{
    memnode *m = mem_nodes[i];
    mem_nodes[i] = mem_nodes[--mem_n];
    free(m->path);
    m->path = NULL;
    mem_unref(m);
}

/* A new linked node (mem_mu held); NULL when out of memory. */
static memnode *mem_link(const char *path, int dir)
{
    if (mem_n == mem_cap) {
        size_t nc = mem_cap ? mem_cap * 2 : 32;
        memnode **nn = realloc(mem_nodes, nc * sizeof *nn);
        if (!nn) return NULL;
        mem_nodes = nn;
        mem_cap = nc;
    }
    memnode *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    if (!(m->path = strdup(path))) {
        free(m);
        return NULL;
    }
    m->dir = dir;
    m->refs = 1;
    mem_nodes[mem_n++] = m;
    return m;
}

static int mem_open(strata_file *f, const char *path, int flags)
{
    int rc = 0;
    pthread_mutex_lock(&mem_mu);
    memnode *m = mem_find(path, NULL);
    if (m && m->dir) {
        rc = strata_err__set(STRATA_EINVALID, "%s: is a directory", path);
    } else if (m && (flags & STRATA_VFS_CREATE) && (flags & STRATA_VFS_EXCL)) {
        rc = strata_err__set(STRATA_EEXISTS, "%s: exists", path);
    } else if (!m && !(flags & STRATA_VFS_CREATE)) {
        rc = strata_err__set(STRATA_ENOTFOUND, "%s: no such file", path);
    } else if (!m && !mem_parent_exists(path)) {
        rc = strata_err__set(STRATA_ENOTFOUND, "%s: no such directory", path);
    } else if (!m && !(m = mem_link(path, 0))) {
        rc = STRATA_ENOMEM;
    }
    if (!rc) {
        if (flags & STRATA_VFS_TRUNC) m->len = 0;
        m->refs++;
        f->mem = m;
        f->fd = -1;
    }
    pthread_mutex_unlock(&mem_mu);
    return rc;
}

static int mem_read(strata_file *f, uint64_t off, void *buf, size_t n, size_t *got)
{
    pthread_mutex_lock(&mem_mu);
    memnode *m = f->mem;
    size_t k = 0;
    if (off < m->len) {
        k = m->len - (size_t)off;
        if (k > n) k = n;
        memcpy(buf, m->data + off, k);
    }
    pthread_mutex_unlock(&mem_mu);
    *got = k;
    return 0;
}

static int mem_write(strata_file *f, uint64_t off, const void *buf, size_t n)
{
    int rc = 0;
    pthread_mutex_lock(&mem_mu);
    memnode *m = f->mem;
    if (off > SIZE_MAX - n) {
        rc = strata_err__set(STRATA_EIO, "%s: write beyond the addressable size", f->path);
        goto done;
    }
    size_t end = (size_t)off + n;
    if (end > m->cap) {
        size_t nc = m->cap ? m->cap : 4096;
        while (nc < end) nc = nc > SIZE_MAX / 2 ? end : nc * 2;
        unsigned char *nd = strata_mem__realloc(m->data, nc);
        if (!nd) {
            rc = STRATA_ENOMEM;
            goto done;
        }
        m->data = nd;
        m->cap = nc;
    }
    if (off > m->len) memset(m->data + m->len, 0, (size_t)off - m->len);
    memcpy(m->data + off, buf, n);
    if (end > m->len) m->len = end;
done:
    pthread_mutex_unlock(&mem_mu);
    return rc;
}

static int mem_lock(strata_file *f, int exclusive, int wait_ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pthread_mutex_lock(&mem_mu);
        memnode *m = f->mem;
        int ok = exclusive ? (!m->ex_lock && m->sh_locks == (f->mem_lock == 1)) : !m->ex_lock;
        if (f->mem_lock == 2) ok = 1; /* already held exclusively */
        if (ok) {
            if (f->mem_lock == 1) m->sh_locks--;
            if (f->mem_lock == 2) m->ex_lock = 0;
            if (exclusive) m->ex_lock = 1;
            else m->sh_locks++;
            f->mem_lock = exclusive ? 2 : 1;
        }
        pthread_mutex_unlock(&mem_mu);
        if (ok) return 0;
        if (wait_ms == 0) break;
        if (wait_ms > 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long el = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
            if (el >= wait_ms) break;
        }
        struct timespec nap = {0, 5 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    return strata_err__set(STRATA_EBUSY, "%s: locked by another handle", f->path);
}

static void mem_unlock(strata_file *f) /* mem_mu held */
{
    if (f->mem_lock == 1) f->mem->sh_locks--;
    if (f->mem_lock == 2) f->mem->ex_lock = 0;
    f->mem_lock = 0;
}

static int mem_map(strata_file *f, size_t len, const void **out)
{
    int rc = 0;
    void *p = strata_mem__alloc(len);
    if (!p) return STRATA_ENOMEM;
    pthread_mutex_lock(&mem_mu);
    memnode *m = f->mem;
    size_t k = m->len < len ? m->len : len;
    memcpy(p, m->data, k);
    memset((char *)p + k, 0, len - k);
    if (maps_n == maps_cap) {
        size_t nc = maps_cap ? maps_cap * 2 : 16;
        const void **nm = realloc(mem_maps, nc * sizeof *nm);
        if (!nm) {
            rc = STRATA_ENOMEM;
            goto done;
        }
        mem_maps = nm;
        maps_cap = nc;
    }
    mem_maps[maps_n++] = p;
done:
    pthread_mutex_unlock(&mem_mu);
    if (rc) strata_mem__free(p);
    else *out = p;
    return rc;
}

/* 1 when `p` is a live in-memory map copy, which is then forgotten and freed. */
static int mem_unmap(const void *p)
{
    int found = 0;
    pthread_mutex_lock(&mem_mu);
    for (size_t i = 0; i < maps_n; i++)
        if (mem_maps[i] == p) {
            mem_maps[i] = mem_maps[--maps_n];
            found = 1;
            break;
        }
    pthread_mutex_unlock(&mem_mu);
    if (found) strata_mem__free((void *)p);
    return found;
}

static int mem_remove(const char *path)
{
    size_t i;
    pthread_mutex_lock(&mem_mu);
    memnode *m = mem_find(path, &i);
    if (m) mem_unlink_at(i);
    pthread_mutex_unlock(&mem_mu);
    return m ? 0 : strata_err__set(STRATA_ENOTFOUND, "%s: no such file", path);
}

static int mem_rename(const char *from, const char *to)
{
    int rc = 0;
    size_t i, j;
    pthread_mutex_lock(&mem_mu);
    memnode *m = mem_find(from, &i);
    char *np = NULL;
    if (!m) {
        rc = strata_err__set(STRATA_ENOTFOUND, "%s: no such file", from);
    } else if (!mem_parent_exists(to)) {
        rc = strata_err__set(STRATA_ENOTFOUND, "%s: no such directory", to);
    } else if (!(np = strdup(to))) {
        rc = STRATA_ENOMEM;
    } else if (strcmp(from, to) != 0) {
        if (mem_find(to, &j)) {
            mem_unlink_at(j);
            mem_find(from, &i); /* the unlink may have moved it */
        }
        free(m->path);
        m->path = np;
        np = NULL;
    }
    free(np);
    pthread_mutex_unlock(&mem_mu);
    return rc;
}

static int mem_mkdir(const char *path)
{
    int rc = 0;
    pthread_mutex_lock(&mem_mu);
    if (strcmp(path, MEM_PREFIX) == 0 || mem_find(path, NULL))
        rc = strata_err__set(STRATA_EEXISTS, "%s: exists", path);
    else if (!mem_parent_exists(path))
        rc = strata_err__set(STRATA_ENOTFOUND, "%s: no such directory", path);
    else if (!mem_link(path, 1))
        rc = STRATA_ENOMEM;
    pthread_mutex_unlock(&mem_mu);
    return rc;
}

static int mem_exists(const char *path)
{
    pthread_mutex_lock(&mem_mu);
    int r = strcmp(path, MEM_PREFIX) == 0 || mem_find(path, NULL) != NULL;
    pthread_mutex_unlock(&mem_mu);
    return r;
}

/* The names directly under `dir`, copied (the callback may change the namespace). */
static int mem_list(const char *dir, int (*cb)(const char *name, void *payload), void *payload)
{
    size_t dl = strlen(dir), n = 0;
    char **names = NULL;
    int rc = 0;
    pthread_mutex_lock(&mem_mu);
    int is_dir = strcmp(dir, MEM_PREFIX) == 0;
    memnode *d = mem_find(dir, NULL);
    if (d && d->dir) is_dir = 1;
    if (!is_dir) {
        rc = strata_err__set(STRATA_ENOTFOUND, "%s: no such directory", dir);
    } else if (mem_n && !(names = calloc(mem_n, sizeof *names))) {
        rc = STRATA_ENOMEM;
    } else {
        for (size_t i = 0; i < mem_n && !rc; i++) {
            const char *p = mem_nodes[i]->path;
            if (strncmp(p, dir, dl) != 0 || p[dl] != '/' || strchr(p + dl + 1, '/')) continue;
            if (!(names[n] = strdup(p + dl + 1))) rc = STRATA_ENOMEM;
            else n++;
        }
    }
    pthread_mutex_unlock(&mem_mu);
    for (size_t i = 0; i < n && !rc; i++) rc = cb(names[i], payload);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int strata_vfs__mem_drop(const char *root)
{
    if (!is_mem(root)) return strata_err__set(STRATA_EINVALID, "%s: not an in-memory path", root);
    size_t rl = strlen(root);
    pthread_mutex_lock(&mem_mu);
    for (size_t i = mem_n; i-- > 0;) {
        const char *p = mem_nodes[i]->path;
        if (strncmp(p, root, rl) == 0 && (p[rl] == '\0' || p[rl] == '/')) mem_unlink_at(i);
    }
    pthread_mutex_unlock(&mem_mu);
    return 0;
}

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
    if (atomic_load(&crashed) && (flags & STRATA_VFS_RDWR) && !is_mem(path))
        return dead(NULL, "open");
    strata_file *f = strata_mem__alloc(sizeof *f);
    if (!f) return STRATA_ENOMEM;
    f->path = strata_mem__strdup(path);
    if (!f->path) {
        strata_mem__free(f);
        return STRATA_ENOMEM;
    }
    f->mem = NULL;
    f->mem_lock = 0;
    if (is_mem(path)) {
        int rc = mem_open(f, path, flags);
        if (rc) {
            strata_mem__free(f->path);
            strata_mem__free(f);
            return rc;
        }
        *out = f;
        return 0;
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
    if (f->mem) {
        pthread_mutex_lock(&mem_mu);
        mem_unlock(f);
        mem_unref(f->mem);
        pthread_mutex_unlock(&mem_mu);
    } else {
        close(f->fd);
    }
    strata_mem__free(f->path);
    strata_mem__free(f);
}

const char *strata_vfs__path(const strata_file *f) { return f ? f->path : ""; }

int strata_vfs__read(strata_file *f, uint64_t off, void *buf, size_t n, size_t *got)
{
    size_t done = 0;
    *got = 0;
    if (f->mem) return mem_read(f, off, buf, n, got);
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
    if (f->mem) return mem_write(f, off, buf, n);
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
    if (f->mem) return 0;
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
    if (f->mem) {
        pthread_mutex_lock(&mem_mu);
        *out = f->mem->len;
        pthread_mutex_unlock(&mem_mu);
        return 0;
    }
    struct stat st;
    if (fstat(f->fd, &st) != 0) return strata_err__errno(errno, f->path);
    *out = (uint64_t)st.st_size;
    return 0;
}

int strata_vfs__truncate(strata_file *f, uint64_t size)
{
    if (f->mem) {
        pthread_mutex_lock(&mem_mu);
        if (size < f->mem->len) f->mem->len = (size_t)size;
        pthread_mutex_unlock(&mem_mu);
        if (size > f->mem->len) {
            uint64_t len;
            strata_vfs__size(f, &len);
            if (size > len) {
                static const unsigned char zeros[4096];
                for (uint64_t at = len; at < size;) {
                    size_t k = size - at < sizeof zeros ? (size_t)(size - at) : sizeof zeros;
                    int rc = mem_write(f, at, zeros, k);
                    if (rc) return rc;
                    at += k;
                }
            }
        }
        return 0;
    }
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
    if (f->mem) return mem_lock(f, exclusive, wait_ms);
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
    if (f && f->mem) {
        pthread_mutex_lock(&mem_mu);
        mem_unlock(f);
        pthread_mutex_unlock(&mem_mu);
    } else if (f) {
        flock(f->fd, LOCK_UN);
    }
}

int strata_vfs__map(strata_file *f, size_t len, const void **out)
{
    *out = NULL;
    if (len == 0) return strata_err__set(STRATA_EINVALID, "%s: cannot map 0 bytes", f->path);
    if (f->mem) return mem_map(f, len, out);
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, f->fd, 0);
    if (p == MAP_FAILED) return strata_err__errno(errno, f->path);
    *out = p;
    return 0;
}

void strata_vfs__unmap(const void *p, size_t len)
{
    if (p && !mem_unmap(p)) munmap((void *)p, len);
}

/* ---- paths ------------------------------------------------------------------------------ */

int strata_vfs__remove(const char *path)
{
    if (is_mem(path)) return mem_remove(path);
    if (atomic_load(&crashed)) return dead(NULL, "remove");
    track_forget_path(path);
    if (unlink(path) != 0) return strata_err__errno(errno, path);
    return 0;
}

int strata_vfs__rename(const char *from, const char *to)
{
    if (is_mem(from) || is_mem(to)) {
        if (!is_mem(from) || !is_mem(to))
            return strata_err__set(STRATA_EINVALID, "rename %s to %s: across the in-memory "
                                   "namespace", from, to);
        return mem_rename(from, to);
    }
    if (atomic_load(&crashed)) return dead(NULL, "rename");
    if (rename(from, to) != 0) return strata_err__errno(errno, from);
    track_rename(from, to);
    return 0;
}

int strata_vfs__mkdir(const char *path)
{
    if (is_mem(path)) return mem_mkdir(path);
    if (mkdir(path, 0755) != 0) return strata_err__errno(errno, path);
    return 0;
}

int strata_vfs__sync_dir(const char *path)
{
    if (is_mem(path)) return mem_exists(path) ? 0 : strata_err__set(STRATA_ENOTFOUND,
                                                                     "%s: no such directory", path);
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
    if (is_mem(path)) return mem_exists(path);
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
    if (is_mem(dir)) return mem_list(dir, cb, payload);
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
