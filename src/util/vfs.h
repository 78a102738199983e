/* The one internal file-I/O layer. Every byte strata reads or writes on disk goes through here,
 * so tests can inject failures: the N-th write or sync fails, the N-th write is short, or a
 * simulated power loss at the N-th sync drops or garbles everything not yet synced (in the
 * spirit of SQLite's crash-test VFS; docs/testing.md).
 *
 * Crash model: files are append-mostly. For every file (tracked by inode, whether open or
 * closed since) the vfs remembers the size at its last sync. A simulated crash keeps a random
 * prefix of each file's unsynced tail, optionally garbles bytes inside the kept part, cuts the
 * rest, and then fails every later write/sync/read with STRATA_EIO ("the process is dead")
 * until strata_vfs__faults_clear(). Creations, renames and deletions are treated as durable. */
#ifndef STRATA_UTIL_VFS_H
#define STRATA_UTIL_VFS_H

#include <stddef.h>
#include <stdint.h>

typedef struct strata_file strata_file;

enum {
    STRATA_VFS_RDONLY = 0,
    STRATA_VFS_RDWR = 1,   /* open for writing too */
    STRATA_VFS_CREATE = 2, /* create if missing */
    STRATA_VFS_EXCL = 4,   /* with CREATE: fail with STRATA_EEXISTS if it exists */
    STRATA_VFS_TRUNC = 8   /* truncate to 0 on open */
};

/* Open `path`. Errors: STRATA_ENOTFOUND, STRATA_EEXISTS, STRATA_EIO (message names the path). */
int strata_vfs__open(strata_file **out, const char *path, int flags);
/* Close (NULL is fine). Never fails in a way callers must handle; unsynced data stays unsynced. */
void strata_vfs__close(strata_file *f);
const char *strata_vfs__path(const strata_file *f);

/* Read up to n bytes at `off`; *got receives the count (less than n only at end of file). */
int strata_vfs__read(strata_file *f, uint64_t off, void *buf, size_t n, size_t *got);
/* Read exactly n bytes at `off`; a short read is STRATA_ECORRUPT ("truncated"). */
int strata_vfs__read_exact(strata_file *f, uint64_t off, void *buf, size_t n);
/* Write all n bytes at `off` (retrying partial writes). 0 or STRATA_EIO. */
int strata_vfs__write(strata_file *f, uint64_t off, const void *buf, size_t n);
/* Make the file's data durable (fdatasync). 0 or STRATA_EIO. */
int strata_vfs__sync(strata_file *f);
int strata_vfs__size(strata_file *f, uint64_t *out);
int strata_vfs__truncate(strata_file *f, uint64_t size);

/* Advisory whole-file lock between processes (and between handles). exclusive=0 takes a shared
 * lock. wait_ms: 0 = fail at once with STRATA_EBUSY, >0 = retry up to that long, <0 = forever. */
int strata_vfs__lock(strata_file *f, int exclusive, int wait_ms);
void strata_vfs__unlock(strata_file *f);

/* Map `len` bytes of the file from offset 0 read-only. Release with strata_vfs__unmap. */
int strata_vfs__map(strata_file *f, size_t len, const void **out);
void strata_vfs__unmap(const void *p, size_t len);

/* Paths. remove/rename/mkdir/sync_dir return 0 or a STRATA_E… code with a message. */
int strata_vfs__remove(const char *path);
int strata_vfs__rename(const char *from, const char *to);
int strata_vfs__mkdir(const char *path); /* STRATA_EEXISTS when it exists */
int strata_vfs__sync_dir(const char *path);
int strata_vfs__exists(const char *path); /* 1 exists, 0 not */
/* Replace the file `name` in directory `dir` with the `len` bytes at `data`, atomically: write
 * "<name>.tmp", sync it, rename it over `name`, sync the directory. A crash leaves either the
 * old file or the new one (and perhaps a stale "<name>.tmp", which the caller may remove at its
 * next open). On a failure before the rename the temporary is removed and `name` is untouched.
 * 0, STRATA_EIO (the failing step's message), STRATA_ENOMEM. */
int strata_vfs__write_atomic(const char *dir, const char *name, const void *data, size_t len);
/* Call cb(name, payload) for each entry of `dir` except . and ..; a nonzero return stops and is
 * returned. */
int strata_vfs__list(const char *dir, int (*cb)(const char *name, void *payload), void *payload);

/* ---- the in-memory namespace -------------------------------------------------------------
 * Every function above also accepts paths that start with ":memory:": they live in one
 * process-wide in-memory table instead of the file system (a directory ":memory:" always
 * exists; files keep POSIX semantics for open handles, rename and remove; sync does nothing;
 * faults and the crash model do not apply; maps are private copies). A rename between the two
 * namespaces is STRATA_EINVALID. */

/* Remove `root` and everything under it from the in-memory namespace (handles still open keep
 * their files' bytes until closed). STRATA_EINVALID when `root` is not a ":memory:" path. */
int strata_vfs__mem_drop(const char *root);

/* ---- fault injection (tests) ------------------------------------------------------------ */

typedef struct strata_vfs_faults {
    long fail_write_at;  /* the n-th write from now fails with EIO (0 = never) */
    long short_write_at; /* the n-th write writes half its bytes, then fails with EIO */
    long fail_sync_at;   /* the n-th sync fails with EIO */
    long crash_at_sync;  /* the n-th sync simulates a power loss instead of syncing */
    unsigned seed;       /* drives how much unsynced data a crash keeps and garbles */
    int garble;          /* nonzero: a crash may also garble kept unsynced bytes */
} strata_vfs_faults;

/* Arm faults (counters restart from zero). */
void strata_vfs__faults_set(const strata_vfs_faults *f);
/* Disarm all faults and clear the crashed state. */
void strata_vfs__faults_clear(void);
/* Nonzero after a simulated crash (until faults_clear). */
int strata_vfs__crashed(void);
/* Syncs and writes since the last faults_set/clear (for sizing crash loops). */
long strata_vfs__sync_count(void);
long strata_vfs__write_count(void);

#endif
