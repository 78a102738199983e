/* The object store (src/store): immutable byte strings addressed by SHA-256(type ‖ payload),
 * appended to checksummed segment files, plus named roots published durably. It knows bytes
 * only: the type byte is chosen by the layers above and stored opaquely.
 *
 * Threading: one strata_store handle may be used by many threads at once. Writers (put,
 * publish) are serialised inside; get/has/root never wait for a writer's sync. Any number of
 * handles, in any processes, may open a store read-write: every append happens under the write
 * lock (flock on LOCK, strata_store__lock), which first brings the handle up to date with what
 * the others appended (docs/concurrency.md). */
#ifndef STRATA_STORE_H
#define STRATA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct strata_store strata_store;

typedef struct strata_store_options {
    unsigned int version;     /* 1 */
    int create;               /* create the directory and files when missing */
    int read_only;            /* open as a reader: no lock, no writes; see roots via refresh */
    strata_durability durability; /* default STRATA_DURABILITY_FULL */
    int lock_wait_ms;         /* the write lock, taken per write: 0 or <0 wait for it, >0 wait at
                                 most that long (then STRATA_EBUSY) */
    uint64_t segment_size;    /* rotate the active segment past this many bytes (0 = default) */
    int compress_level;       /* zstd level for records that shrink: 0 = default (zstd's fast
                                 level -1), 1..19 = that level, < 0 = off */
    unsigned normal_sync_ms;  /* NORMAL mode: sync at least this often (0 = default) */
} strata_store_options;

#define STRATA_STORE_OPTIONS_INIT {1, 0, 0, STRATA_DURABILITY_FULL, 0, 0, 0, 0}

/* Open (or with opt->create, create) the store in directory `dir`. Recovery runs here: a torn
 * tail is cut; damage followed by valid data refuses with STRATA_ECORRUPT naming file and
 * offset. Errors: STRATA_ENOTFOUND (no store and not create), STRATA_EBUSY (another writer),
 * STRATA_ECORRUPT, STRATA_EVERSION, STRATA_EIO, STRATA_ENOMEM, STRATA_EINVALID. */
int strata_store__open(strata_store **out, const char *dir, const strata_store_options *opt);

/* Flush (per durability), release the lock and free the handle. NULL is fine. */
void strata_store__close(strata_store *s);

/* Store `len` bytes of object type `type`; *out receives SHA-256(type ‖ data). Writing an object
 * that already exists writes nothing. Not durable until a later publish or sync. */
int strata_store__put(strata_store *s, uint8_t type, const void *data, size_t len, strata_oid *out);

/* Read an object: *data (owned, free with strata_mem__free; never NULL on success, even for an
 * empty object), *len and, when type is not NULL, *type. The record's checksum and the digest
 * are verified. Errors: STRATA_ENOTFOUND, STRATA_ECORRUPT, STRATA_EIO, STRATA_ENOMEM. */
int strata_store__get(strata_store *s, const strata_oid *oid, uint8_t *type, uint8_t **data, size_t *len);

/* 1 if the object exists, 0 if not, or a negative error code. */
int strata_store__has(strata_store *s, const strata_oid *oid);

/* Make `root` the current root of `name` (1–255 bytes, any bytes). Under FULL durability it
 * returns only after the root and every object written before it are synced; concurrent
 * publishers share one sync (group commit). */
int strata_store__publish(strata_store *s, const char *name, const strata_oid *root);

/* Group commit for callers that serialise their own publishes: append the root record now (it
 * becomes visible to readers of this handle at once) and return a ticket; wait_durable(ticket)
 * returns once the record and everything before it are durable (under FULL durability; a
 * ticket of 0 — other modes — returns at once). A caller may publish under its own lock and wait
 * outside it, so that concurrent committers share one sync. */
int strata_store__publish_nowait(strata_store *s, const char *name, const strata_oid *root, uint64_t *ticket);
int strata_store__wait_durable(strata_store *s, uint64_t ticket);

/* The current root of `name` (O(1)). STRATA_ENOTFOUND when never published. */
int strata_store__root(strata_store *s, const char *name, strata_oid *out);

/* Call cb for every named root (in no particular order); a nonzero return stops and is returned. */
int strata_store__roots(strata_store *s,
                        int (*cb)(const char *name, const strata_oid *root, void *payload),
                        void *payload);

/* Pick up records, segments and roots other handles or processes published since open or the
 * last refresh (read-only and read-write handles alike; a no-op while this handle holds the
 * write lock, which is current by construction). */
int strata_store__refresh(strata_store *s);

/* The write lock. lock: take it (recursive for the thread that holds it: this process's other
 * writers queue on a mutex, other processes on flock(LOCK)) and bring the store up to date —
 * cutting a torn tail a killed writer left; unlock: release it. put, publish, GC and close take
 * it themselves for each call; a caller that must read roots, build objects and publish as one
 * step (a database commit) holds it across them. Errors: STRATA_EBUSY (lock_wait_ms passed),
 * STRATA_ECORRUPT, STRATA_EIO, STRATA_ENOMEM, STRATA_EINVALID (read-only handle). */
int strata_store__lock(strata_store *s);
void strata_store__unlock(strata_store *s);

/* Publish `root` as the root of `name` only if its current root is `expect` (NULL: only if it
 * has none): the compare-and-swap every commit ends with. STRATA_STORE_MOVED when the root is
 * another (nothing written; the caller rebases and retries), else as publish_nowait. */
#define STRATA_STORE_MOVED 2
int strata_store__publish_cas(strata_store *s, const char *name, const strata_oid *expect,
                              const strata_oid *root, uint64_t *ticket);

/* Make everything written so far durable, whatever the durability mode. */
int strata_store__sync(strata_store *s);

/* ---- statistics, iteration, verify and repair --------------------------------------------- */

/* Statistics of an open store (a consistent snapshot). */
typedef struct strata_store_stats {
    uint64_t objects;      /* object records indexed (sealed segments + active segment) */
    uint64_t object_bytes; /* their uncompressed payload bytes */
    uint64_t file_bytes;   /* bytes in segment files */
    uint64_t segments;     /* segment files, the active one included */
    uint64_t dead_bytes;   /* bytes GC could reclaim: duplicate objects, superseded roots */
    uint64_t roots;        /* named roots */
    uint64_t syncs;        /* data syncs (fdatasync) issued by this handle since open */
    uint64_t publishes;    /* publishes made through this handle since open */
} strata_store_stats;

int strata_store__stats(strata_store *s, strata_store_stats *out);

/* Call cb for every stored object: digest, type and uncompressed length (each once, in no
 * particular order; objects put while iterating may or may not be seen). A nonzero return
 * from cb stops and is returned. Errors: STRATA_ECORRUPT, STRATA_EIO, STRATA_ENOMEM. */
int strata_store__foreach(strata_store *s,
                          int (*cb)(const strata_oid *oid, uint8_t type, uint64_t len, void *payload),
                          void *payload);

/* What verify found. */
typedef struct strata_store_verify_report {
    uint64_t objects;  /* object records re-hashed */
    uint64_t roots;    /* named roots checked */
    uint64_t segments; /* segments read end to end */
    uint64_t problems; /* problems found (each reported through the callback) */
} strata_store_verify_report;

/* Read every segment end to end: re-hash every object, check every record checksum, check each
 * index against its segment (every record indexed, every entry pointing at its record, roots
 * table as replayed) and that every named root names a stored object. Each problem is passed to
 * `problem` (may be NULL) as a one-line message. 0 when clean, STRATA_ECORRUPT when problems
 * were found (the last error names the first), or an I/O / memory error. `out` may be NULL. */
int strata_store__verify(strata_store *s, strata_store_verify_report *out,
                         void (*problem)(const char *msg, void *payload), void *payload);

/* What repair did. */
typedef struct strata_store_repair_report {
    uint64_t objects;       /* objects salvaged (verified and copied) */
    uint64_t roots;         /* named roots salvaged (latest verifying record of each name) */
    uint64_t skipped_bytes; /* bytes that did not verify and were dropped */
    uint64_t segments;      /* old segments replaced */
} strata_store_repair_report;

/* Salvage a damaged store in `dir` (no handle may have it open for writing: every read-write
 * handle holds OPEN shared): copy every object
 * record that verifies (checksum and digest) and the latest verifying root record of every
 * name into a fresh segment, then delete the old segments and indexes. Objects a root needs
 * may be missing afterwards if they were damaged: run verify. `out` may be NULL.
 * Errors: STRATA_ENOTFOUND, STRATA_EBUSY, STRATA_EIO, STRATA_ENOMEM. */
int strata_store__repair(const char *dir, strata_store_repair_report *out);

/* ---- garbage collection (gc.c) ------------------------------------------------------------
 * A GC run reclaims the space of objects nothing needs any more. The caller marks every live
 * object; the store copies the marked objects out of sparse sealed segments into new sealed
 * segments and deletes the old files. Essay: the top of src/store/gc.c; docs/gc.md.
 *
 *   begin   seals the active segment and fixes the candidates: the segments sealed now. Everything
 *           written later is never swept (the grace rule: a commit racing the GC keeps its
 *           objects). From here until finish/free, any put or has that finds an object in a
 *           candidate segment marks it live by itself (a deduplicated put is never lost). A get
 *           does not: a caller that names an object it only read (without a put) during the run
 *           must mark it (the database does: its final step re-marks under its write mutex).
 *   mark    the caller marks live objects (any order; 1 = newly marked, 0 = marked before).
 *   copy    picks the candidates whose dead share reaches the threshold and copies their live
 *           records into the active segment stream (one record per writer-lock hold: writers
 *           interleave). May be followed by more marks.
 *   finish  copies what was marked or found after copy began, seals the active segment (sync
 *           + index: the copies and the roots table are durable in a segment numbered above
 *           every swept one), switches the segment list atomically and deletes the swept files
 *           once no in-flight read holds them.
 * A crash at any point leaves the old segments in place until the switch, so nothing is lost;
 * duplicates left by an interrupted run are swept by the next one. One run at a time. */

typedef struct strata_store_gc strata_store_gc;

typedef struct strata_store_gc_options {
    unsigned int version;   /* 1 */
    double min_dead_share;  /* sweep a candidate when at least this share of its bytes is dead
                               (0 = default 0.25; tiny values sweep anything with dead bytes) */
    int compress_level;     /* zstd level for copied records stored uncompressed (0 = default 9,
                               < 0 = copy records verbatim) */
    /* progress: called after each candidate examined; nonzero stops the run (returned) */
    int (*progress)(uint64_t done, uint64_t total, void *payload);
    void *payload;
} strata_store_gc_options;

#define STRATA_STORE_GC_OPTIONS_INIT {1, 0, 0, NULL, NULL}

typedef struct strata_store_gc_report {
    uint64_t candidates;     /* sealed segments when the run began */
    uint64_t swept;          /* segments rewritten and removed */
    uint64_t marked;         /* objects marked live */
    uint64_t hits;           /* objects kept because a lookup found them during the run */
    uint64_t objects_copied; /* records copied out of swept segments */
    uint64_t bytes_copied;   /* bytes of those copies (after recompression) */
    uint64_t bytes_removed;  /* file bytes of the swept segments */
    uint64_t recompressed;   /* copies stored compressed that were not before */
} strata_store_gc_report;

int strata_store__gc_begin(strata_store_gc **out, strata_store *s, const strata_store_gc_options *opt);
/* 1 when newly marked, 0 when marked before, STRATA_ENOMEM. */
int strata_store__gc_mark(strata_store_gc *g, const strata_oid *oid);
/* 1 when marked by strata_store__gc_mark, else 0 (objects kept by a lookup hit do not count:
 * a walk must still enter them). */
int strata_store__gc_is_marked(strata_store_gc *g, const strata_oid *oid);
int strata_store__gc_copy(strata_store_gc *g);
/* `out` (may be NULL) receives the run's report. After finish, only free is allowed. */
int strata_store__gc_finish(strata_store_gc *g, strata_store_gc_report *out);
/* End the run (aborting it when not finished: nothing is deleted). NULL is fine. */
void strata_store__gc_free(strata_store_gc *g);

/* Bytes the object's record takes on disk (header + stored payload). STRATA_ENOTFOUND. */
int strata_store__object_size(strata_store *s, const strata_oid *oid, uint64_t *out);

#endif
