/* Private to src/store: the on-disk formats (byte tables below and in docs/format.md), the
 * decoders that work on byte buffers (also used by the fuzz target), the segment scanner that
 * implements recovery (format.c), and the open store's structures and the functions its files
 * share (the second half). */
#ifndef STRATA_STORE_INT_H
#define STRATA_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- files in a store directory ---------------------------------------------------------
 *   LOCK                     the write lock: flock'd exclusively for each write (a commit, a
 *                            GC step, open's recovery, close's checkpoint) — docs/concurrency.md
 *   OPEN                     flock'd shared by every read-write handle for its life; repair
 *                            takes it exclusively (so it never runs under an open handle)
 *   GC                       flock'd exclusively by a GC run from begin to free (one per store)
 *   STORE                    store marker: magic + version (32 bytes)
 *   <16 hex digits>.seg      segment number n: header + records, append-only
 *   <16 hex digits>.idx      immutable index of sealed segment n
 * Segment numbers only grow; the highest-numbered segment is the active one. */

#define STORE_MAGIC "STRATSTO"
#define SEG_MAGIC "STRATSEG"
#define IDX_MAGIC "STRATIDX"
#define STORE_VERSION 1u

/* STORE file (32 bytes)
 *   0  8  magic "STRATSTO"
 *   8  4  format version (1)
 *  12  4  flags (0)
 *  16  8  creation time, seconds since 1970
 *  24  8  XXH3-64 of bytes [0, 24) */
#define STORE_FILE_SIZE 32

/* Segment header (32 bytes)
 *   0  8  magic "STRATSEG"
 *   8  4  format version (1)
 *  12  4  flags (0)
 *  16  8  segment number
 *  24  8  XXH3-64 of bytes [0, 24) */
#define SEG_HDR_SIZE 32

/* Object record (64-byte header + payload)
 *   0  1  kind 'O'
 *   1  1  object type (opaque)
 *   2  1  flags: bit 0 = payload is zstd-compressed; other bits 0
 *   3  1  0
 *   4  4  header check: low 32 bits of XXH3-64(bytes [8, 56), seed = LE32 of bytes [0, 4))
 *   8  8  stored payload length
 *  16  8  raw (uncompressed) length
 *  24 32  digest SHA-256(type ‖ raw payload)
 *  56  8  record checksum: XXH3-64(payload, seed = XXH3-64(bytes [0, 56), seed 0))
 *  64  …  payload (stored length bytes) */
#define OBJ_HDR_SIZE 64
#define OBJ_FLAG_ZSTD 1u
/* Largest object payload accepted (raw or stored). */
#define STORE_MAX_OBJECT ((uint64_t)1 << 32)

/* Root record (80 + name length bytes)
 *   0  1  kind 'R'
 *   1  1  name length n (1..255)
 *   2  6  0
 *   8  8  batch start: segment offset where this record's batch begins
 *  16  8  synced-up-to: bytes of this segment known durable when the record was written
 *  24  8  batch checksum: chain over the record checksums of the batch (see batch_chain)
 *  32  8  sequence number (grows by one per root record, across segments)
 *  40 32  root digest
 *  72  n  name
 *  72+n 8 record checksum: XXH3-64(bytes [0, 72+n), seed 0)
 * A checkpoint record is a root record with kind 'C', name length 0 and a zero digest: written
 * at a clean close, it closes the last batch and claims the whole segment durable. */
#define ROOT_FIXED 80
#define ROOT_MAX (ROOT_FIXED + 255)

/* Index file of a sealed segment
 *    0    8  magic "STRATIDX"
 *    8    4  format version (1)
 *   12    4  flags (0)
 *   16    8  segment number
 *   24    8  segment length in bytes (the sealed file's exact size)
 *   32    8  object count N
 *   40    8  root count R
 *   48    8  roots section length B
 *   56    8  last sequence number written up to the segment's end
 *   64    8  dead bytes in the segment (duplicates, superseded roots) at sealing
 *   72    8  raw payload bytes of the N objects
 *   80    8  Bloom filter length M in bytes: ceil(10 N / 8), or 0 (no filter)
 *   88    8  0
 *   96 1024  fan-out: 256 × u32, entry b = number of digests whose first byte is <= b
 * 1120  32N  digests, strictly ascending
 *  …     8N  record offsets in the segment, in digest order
 *  …      B  roots: R × { u8 n (1..255), n name bytes, 32 digest, u64 seq, u32 record size }
 *  …      M  Bloom filter of the digests: 7 probes (h1 + i·h2) mod 8M, h1 = LE64(digest[8..16]),
 *            h2 = LE64(digest[16..24]) | 1; bit b is bit (b mod 8) of byte b / 8
 *  …      8  XXH3-64 of every preceding byte of the file */
#define IDX_HDR_SIZE 96
#define IDX_FANOUT_OFF 96
#define IDX_DIGESTS_OFF (96 + 1024)

/* A decoded record. Borrowed pointers point into the buffer given to the decoder. */
typedef struct store_rec {
    uint8_t kind;         /* 'O', 'R' or 'C' (checkpoint) */
    uint64_t size;        /* total bytes of the record */
    uint64_t sum;         /* the record checksum */
    strata_oid oid;       /* object digest ('O') or root digest ('R') */
    /* 'O' */
    uint8_t type;         /* object type */
    uint8_t flags;        /* OBJ_FLAG_* */
    uint64_t stored_len;  /* payload bytes on disk */
    uint64_t raw_len;     /* payload bytes after decompression */
    /* 'R' */
    uint8_t name_len;     /* 1..255 */
    const uint8_t *name;  /* borrowed, not NUL-terminated */
    uint64_t batch_start; /* see the root record table */
    uint64_t synced_upto;
    uint64_t batch_sum;
    uint64_t seq;
} store_rec;

/* Decode and check the 64-byte header of an object record at p (avail bytes readable).
 * Verifies kind, flags, lengths and the header check; not the payload. 0 or STRATA_ECORRUPT. */
int strata_store__decode_obj_header(const uint8_t *p, size_t avail, store_rec *out);
/* Verify the record checksum of an object record whose header is `hdr` and payload `payload`
 * (rec from strata_store__decode_obj_header). 0 or STRATA_ECORRUPT. */
int strata_store__check_obj_payload(const uint8_t *hdr, const uint8_t *payload,
                                    const store_rec *rec);
/* Decode and fully verify a root or checkpoint record at p (avail bytes readable). 0 or STRATA_ECORRUPT. */
int strata_store__decode_root(const uint8_t *p, size_t avail, store_rec *out);
/* Decode and fully verify any record (object or root) held entirely in [p, p+avail).
 * 0, or STRATA_ECORRUPT (message says what is wrong). */
int strata_store__decode_record(const uint8_t *p, size_t avail, store_rec *out);

/* Turn a verified object record's stored payload into the object's bytes: decompress when
 * flagged and check SHA-256(type ‖ bytes) equals the digest. *out is owned (strata_mem__free),
 * never NULL on success. 0, STRATA_ECORRUPT or STRATA_ENOMEM. */
int strata_store__decode_payload(const store_rec *rec, const uint8_t *payload, uint8_t **out);
/* The same without re-hashing the object against its digest: the read path, where the record
 * checksum (over header and stored bytes) already vouches for the bytes; verify, repair and GC
 * use strata_store__decode_payload. */
int strata_store__inflate_payload(const store_rec *rec, const uint8_t *payload, uint8_t **out);

/* zstd allocation hooks: every zstd context allocates through strata_mem__*. */
void *strata_store__zalloc(void *opaque, size_t n);
void strata_store__zfree(void *opaque, void *p);

/* Encode headers. obj: fills hdr[64] (computes header check and record checksum over payload).
 * root: writes the whole record into out (ROOT_FIXED + name_len bytes). */
void strata_store__encode_obj(uint8_t hdr[OBJ_HDR_SIZE], uint8_t type, uint8_t flags,
                              const strata_oid *oid, const void *payload, uint64_t stored_len,
                              uint64_t raw_len, uint64_t *sum);
size_t strata_store__encode_root(uint8_t *out, const char *name, size_t name_len,
                                 const strata_oid *root, uint64_t batch_start, uint64_t synced_upto,
                                 uint64_t batch_sum, uint64_t seq);

/* Segment header and STORE file: encode; decode checks magic (STRATA_ECORRUPT), version
 * (STRATA_EVERSION) and checksum. `what` names the file in messages. */
void strata_store__encode_seg_header(uint8_t out[SEG_HDR_SIZE], uint64_t segno);
int strata_store__decode_seg_header(const uint8_t *p, size_t avail, const char *what,
                                    uint64_t *segno);
void strata_store__encode_store_file(uint8_t out[STORE_FILE_SIZE], uint64_t now);
int strata_store__decode_store_file(const uint8_t *p, size_t avail, const char *what);

/* The batch chain: start with the batch's start offset, fold in each object record's checksum. */
static inline uint64_t strata_store__chain_init(uint64_t batch_start) { return batch_start; }
uint64_t strata_store__chain_next(uint64_t chain, uint64_t rec_sum);

/* ---- index files ------------------------------------------------------------------------ */

/* A parsed, verified index image (borrowed from the mapped file). */
typedef struct store_idx {
    const uint8_t *base; /* the whole image */
    size_t len;
    uint64_t segno, seg_len, count, nroots, roots_len, seq, dead, raw_bytes;
    const uint8_t *fanout, *digests, *offsets, *roots;
    const uint8_t *bloom;  /* Bloom filter of the digests (bloom_len bytes; 0: none) */
    size_t bloom_len;
} store_idx;

/* Parse and verify an index image: magic, version, sizes, checksum, fan-out consistency, strictly
 * ascending digests, offsets inside the segment, well-formed roots. 0, STRATA_ECORRUPT or
 * STRATA_EVERSION; `what` names the file in messages. */
int strata_store__decode_index(const uint8_t *p, size_t len, const char *what, store_idx *out);
/* Bloom filter helpers: its size for n objects, and setting an object's bits. */
size_t strata_store__bloom_bytes(size_t n);
void strata_store__bloom_add(uint8_t *bits, size_t len, const strata_oid *oid);
/* Find `oid` in a verified index (the Bloom filter first): 1 and *off, or 0. */
int strata_store__idx_find(const store_idx *ix, const strata_oid *oid, uint64_t *off);
/* Call cb for each root entry of a verified index; a nonzero return stops and is returned. */
int strata_store__idx_roots(const store_idx *ix,
                            int (*cb)(const uint8_t *name, size_t n, const strata_oid *oid, uint64_t seq, uint32_t rec_size, void *payload),
                            void *payload);

/* One entry of an index being built. */
typedef struct store_ent {
    strata_oid oid;
    uint64_t off;
} store_ent;
/* One root entry for an index being built. */
typedef struct store_root_ent {
    const char *name;
    size_t len;
    strata_oid oid;
    uint64_t seq;
    uint32_t rec_size;
} store_root_ent;
/* Build an index image from entries (sorted here, in place; duplicates must not occur) and
 * roots. *out is owned (strata_mem__free). 0 or STRATA_ENOMEM. */
int strata_store__build_index(uint8_t **out, size_t *out_len, uint64_t segno, uint64_t seg_len,
                              store_ent *ents, size_t n, const store_root_ent *roots, size_t nroots,
                              uint64_t seq, uint64_t dead, uint64_t raw_bytes);

/* ---- segment scanning (recovery) --------------------------------------------------------- */

/* A readable byte source: read returns a borrowed pointer to up to `want` bytes at `off`
 * (*got < want only at the end of the source), valid until the next read. */
typedef struct store_src {
    int (*read)(void *ctx, uint64_t off, size_t want, const uint8_t **out, size_t *got);
    void *ctx;
    uint64_t size; /* bytes in the source */
    const char *what; /* file name for messages */
} store_src;

/* Where a scan is: carried across refreshes of a reader. */
typedef struct store_scan_state {
    uint64_t off;         /* next record offset */
    uint64_t batch_start; /* start of the open batch */
    uint64_t chain;       /* batch chain so far */
} store_scan_state;

/* Called for each verified record in order: off is its segment offset, hdr/payload are the
 * record bytes (borrowed; payload only for objects). A nonzero return stops the scan. */
typedef int (*store_rec_cb)(const store_rec *r, uint64_t off, const uint8_t *rec_bytes,
                            void *payload);

enum { SCAN_SEALED = 1 /* damage anywhere is corruption: the whole segment was synced */ };

/* Scan records from st->off to the end of src, verifying each record and each root's batch
 * chain, calling cb for the good ones and advancing *st past them. At the first bad byte X:
 *  - sealed scans fail with STRATA_ECORRUPT naming the file and X;
 *  - otherwise the rest of the source is searched for a verifying root record whose
 *    synced-up-to exceeds X; if one exists, the damaged bytes had been synced, so this is real
 *    corruption: STRATA_ECORRUPT naming the file, X and the later record's offset;
 *  - else the bytes from X on are a torn tail: *torn = 1, st->off = X, return 0.
 * Returns 0 (with *torn 0 when the source ended cleanly), the callback's nonzero value,
 * STRATA_ECORRUPT, or the source's read error. */
int strata_store__scan(const store_src *src, store_scan_state *st, int flags, store_rec_cb cb,
                       void *payload, int *torn);

/* A memory source over [p, p+len) for decoders and fuzzing. */
typedef struct store_memsrc {
    const uint8_t *p;
    size_t len;
} store_memsrc;
int strata_store__memsrc_read(void *ctx, uint64_t off, size_t want, const uint8_t **out,
                              size_t *got);

/* Decode a whole segment image held in memory: header then records (the fuzz entry point).
 * Returns 0 and fills *st / *torn as strata_store__scan does, or the error. */
int strata_store__decode_segment(const uint8_t *p, size_t len, int flags, store_rec_cb cb,
                                 void *payload, store_scan_state *st, int *torn);

/* ---- the open store ----------------------------------------------------------------------
 * Shared by the files of src/store: store.c (put, publish, get, group commit), open.c (open,
 * recovery, refresh, close), segment.c (segment files, indexes, rotation), maps.c (the two hash
 * tables), check.c (verify, repair) and gc.c. */

#include <pthread.h>

#include "util/array.h"
#include "util/buf.h"
#include "util/vfs.h"

/* Records shorter than this are stored uncompressed (put and GC's recompression). */
#define STORE_MIN_COMPRESS_LEN 64

/* Open-addressing table digest -> record offset for the active segment (off 0 = empty slot). */
typedef struct store_otab {
    store_ent *e; /* cap slots */
    size_t cap;   /* power of two, or 0 */
    size_t n;     /* used slots */
} store_otab;

/* One named root. */
typedef struct store_rootent {
    char *name;        /* owned, NUL-terminated; NULL = empty slot */
    size_t len;        /* name length */
    strata_oid oid;    /* current root */
    uint64_t seq;      /* sequence number of its record */
    uint32_t rec_size; /* bytes of its record (becomes dead when superseded) */
} store_rootent;

/* Open-addressing map name -> root. */
typedef struct store_rmap {
    store_rootent *e;
    size_t cap, n;
} store_rmap;

/* One segment file. The segment list holds one reference, every in-flight read of the segment
 * another (strata_store__seg_ref/unref); a segment swept by GC leaves the list and is freed, and
 * its files deleted, when the last reference goes. */
typedef struct store_seg {
    uint64_t no;           /* segment number */
    int refs;              /* references (atomic): the list's one + in-flight reads */
    int gc_cand;           /* a candidate of the running GC: lookups that find it record a hit (rw) */
    int doomed;            /* swept by GC: delete its files when the last reference goes */
    uint64_t scan_off;     /* active segment: where the handle's scan of it stands (atomic; 0
                              until published): the quick refresh check reads it without wmu */
    int gone;              /* swept by another process's GC (its files are gone): still readable
                              through the open descriptor, never a deduplication target (rw) */
    strata_file *f;        /* open for reading (the active one of a writer: read-write) */
    uint64_t size;         /* sealed: exact length */
    const uint8_t *map;    /* mapped index file, or NULL */
    size_t map_len;
    store_idx idx;         /* parsed index when map != NULL */
    store_otab ram;        /* sealed segment without a usable index (readers only) */
} store_seg;

struct strata_store {
    char *dir;                  /* owned copy of the directory path */
    strata_store_options opt;   /* with defaults filled in */
    int read_only;
    strata_file *lock;          /* LOCK file (read-write handles): the write lock */
    strata_file *open_lock;     /* OPEN file (read-write handles): held shared for the handle's life */

    /* The write lock, in one process and between processes (docs/concurrency.md): `fmu` (a
     * recursive mutex) queues this process's writers, the holder takes flock(LOCK) and brings the
     * store up to date (strata_store__lock). Order: fmu, then wmu. */
    pthread_mutex_t fmu;
    int ldepth;                 /* lock depth of the holding thread (fmu) */
    int locked;                 /* this handle holds flock(LOCK) and is current (wmu) */
    int relist;                 /* a refresh without the lock saw a new segment: the next one
                                   under it lists the directory again (wmu) */
    char *next_path;            /* the name of segment next_no, tested by every refresh (wmu) */
    uint64_t next_no;
    uint64_t nlocks, nrefresh;  /* statistics: write locks taken, refreshes that found news (wmu) */

    pthread_mutex_t wmu;        /* serialises writers (put, publish, rotation, refresh) */
    pthread_rwlock_t rw;        /* guards the lookup structures below for readers */
    STRATA_ARRAY(store_seg *) sealed; /* sealed segments, ascending (rw) */
    store_seg *active;          /* the active segment (rw) */
    store_otab act;             /* its index (rw) */
    store_rmap roots;           /* named roots (rw) */
    uint64_t act_raw, act_dead; /* active segment: raw payload bytes, dead bytes (rw) */
    uint64_t sealed_count, sealed_raw, sealed_dead, sealed_bytes; /* sums over sealed (rw) */

    uint64_t end;               /* writer: end of the active segment's valid bytes (wmu) */
    uint64_t batch_start;       /* writer: start of the open batch (wmu) */
    uint64_t chain;             /* writer: batch chain so far (wmu) */
    uint64_t seq;               /* last root sequence number (wmu) */
    uint64_t ckpt_end;          /* end of the last checkpoint record, if it ends the file (wmu) */
    store_scan_state rstate;    /* reader: where the active segment's scan stopped (wmu) */
    strata_buf wbuf;            /* writer: record scratch (wmu) */
    void *cctx;                 /* zstd compression context, created on first use (wmu) */

    pthread_mutex_t smu;        /* group commit */
    pthread_cond_t scond;
    uint64_t synced_lsn;        /* everything before this log position is durable (smu) */
    int syncing;                /* a leader is syncing (smu) */
    int poisoned;               /* a sync failed: writes refused until reopen (smu) */
    uint64_t nsyncs, npublish;  /* statistics (smu) */

    struct store_gc *gc;        /* the running GC, or NULL (rw; set/cleared under wmu too) */
    pthread_mutex_t gcmu;       /* guards the running GC's hit set */

    pthread_mutex_t tmu;        /* NORMAL-mode background syncer */
    pthread_cond_t tcond;
    pthread_t thread;
    int thread_on, thread_stop;
};

/* Log position: segment number and offset in one ordered integer. */
#define STORE_LSN(segno, off) (((uint64_t)(segno) << 40) | (uint64_t)(off))
#define STORE_LSN_SEGNO(lsn) ((uint64_t)(lsn) >> 40)
#define STORE_LSN_OFF(lsn) ((uint64_t)(lsn) & (((uint64_t)1 << 40) - 1))

/* ---- the hash tables (maps.c); callers hold rw for writing when a table is shared ---------- */

/* Object table: find (1 and *off, or 0); put (room must be reserved; no duplicates); reserve
 * room for one more entry, keeping the load factor <= 5/8 (0 or STRATA_ENOMEM, table
 * unchanged); free. */
int strata_store__otab_find(const store_otab *t, const strata_oid *oid, uint64_t *off);
void strata_store__otab_put(store_otab *t, const strata_oid *oid, uint64_t off);
int strata_store__otab_reserve(store_otab *t);
void strata_store__otab_free(store_otab *t);

/* Roots map: find (NULL when absent); reserve room for one more name, load factor <= 3/4
 * (0 or STRATA_ENOMEM, map unchanged); free (names included). */
store_rootent *strata_store__rmap_find(const store_rmap *m, const char *name, size_t len);
int strata_store__rmap_reserve(store_rmap *m);
void strata_store__rmap_free(store_rmap *m);
/* Set name -> root unless the map holds a newer record (higher seq) for the name. The map must
 * have room. *owned is a heap copy of the name, taken (set to NULL) when the name is new.
 * Returns the bytes that became dead: the superseded record's size, this record's own when it
 * is the older one, or 0. */
uint32_t strata_store__rmap_set(store_rmap *m, char **owned, size_t len, const strata_oid *oid,
                                uint64_t seq, uint32_t rec_size);

/* ---- segment files (segment.c) ----------------------------------------------------------- */

/* "<dir>/<16 hex>.<ext>" (owned) or NULL on ENOMEM. */
char *strata_store__seg_path(const char *dir, uint64_t no, const char *ext);
/* Sorted list of segment numbers in dir. *out owned. 0 or an error. */
int strata_store__list_segments(const char *dir, uint64_t **out, size_t *n);
/* Remove leftover "*.tmp" files of an interrupted atomic write, and index files whose segment
 * is gone (GC deletes a swept segment before its index; a crash in between leaves the index).
 * Writers only, at open. */
int strata_store__remove_leftovers(const char *dir);
/* Check the header of segment file f (`path` for messages) names segment `no`. */
int strata_store__check_seg_header(strata_file *f, const char *path, uint64_t no);
/* Create segment `no` with its header, synced, and the directory entry synced. *out is the file
 * open read-write (NULL on failure, when the file is removed again). */
int strata_store__create_segment(strata_store *s, uint64_t no, strata_file **out);

/* A buffered reader over a file for strata_store__scan. */
typedef struct store_filesrc {
    strata_file *f;
    uint64_t woff;  /* file offset of buf.data[0] */
    strata_buf buf; /* window */
} store_filesrc;
int strata_store__filesrc_read(void *ctx, uint64_t off, size_t want, const uint8_t **out,
                               size_t *got);

/* The state of a scan that starts at a segment's first record. */
static inline store_scan_state strata_store__scan_start(void)
{
    store_scan_state st = {SEG_HDR_SIZE, SEG_HDR_SIZE, strata_store__chain_init(SEG_HDR_SIZE)};
    return st;
}

/* What a scan of one segment into the tables found. */
typedef struct store_scan_sums {
    uint64_t raw, dead;  /* payload bytes of the objects added; dead bytes */
    uint64_t count;      /* objects added */
    uint64_t last_c_end; /* end of the last checkpoint record seen, or 0 */
} store_scan_sums;

/* Scan segment file f (`size` bytes) from *st with strata_store__scan (flags as there): each
 * object not known yet goes into table t — for the active table, an object a sealed segment
 * holds is a duplicate too, and its bytes are dead — and each root into s->roots (s->seq
 * follows), each record under rw for writing. *st advances past the verified records; *torn
 * and *sums say what was found. 0, or as strata_store__scan. */
int strata_store__scan_segment(strata_store *s, strata_file *f, uint64_t size, store_otab *t,
                               int flags, store_scan_state *st, int *torn, store_scan_sums *sums);

/* Load sealed segment `no` (into `reuse` when given: the reader's former active segment): use
 * its index when it verifies; otherwise scan the segment (any damage is corruption) and, for a
 * writer, write a fresh index. Replaces/extends s->roots so that afterwards they are the roots
 * as of this segment's end. On success *out is the segment and the caller owns it. */
int strata_store__load_sealed(strata_store *s, uint64_t no, store_seg *reuse, store_seg **out);
/* Free a segment that no list and no reader holds (NULL is fine). */
void strata_store__seg_free(store_seg *g);
/* Take / drop a reference to a segment. The last unref of a doomed segment deletes its files. */
void strata_store__seg_ref(store_seg *g);
void strata_store__seg_unref(strata_store *s, store_seg *g);

/* Make room in the sealed list for one more segment (takes rw when it grows). 0 or ENOMEM. */
int strata_store__sealed_reserve(strata_store *s);
/* Append g to the sealed list (room reserved) and add it to the sums (caller holds rw for
 * writing). */
void strata_store__sealed_push_locked(strata_store *s, store_seg *g);
/* Find the segment and offset of an object, newest segment first (caller holds s->rw for
 * reading). 1 found, 0 not. */
int strata_store__lookup_locked(strata_store *s, const strata_oid *oid, store_seg **seg,
                                uint64_t *off);
/* The same, skipping segments another process's GC swept (s->gone): the deduplication lookup,
 * made under the write lock against the refreshed segment list. */
int strata_store__lookup_live_locked(strata_store *s, const strata_oid *oid, store_seg **seg,
                                     uint64_t *off);
/* Seal the active segment and start the next one (caller holds wmu): sync it, write its index,
 * create the next segment, switch. On failure the active segment stays active and nothing
 * changes, except that a failed sync poisons the store. */
int strata_store__rotate_locked(strata_store *s);

/* ---- the write lock and refresh (open.c) --------------------------------------------------- */

/* Bring the handle up to date with the files (caller holds wmu): new records of the active
 * segment, segments sealed or created by other processes, segments their GC swept (marked
 * gone). With `cut` (the caller holds flock(LOCK)) a torn tail is cut and a missing index is
 * rebuilt, as at open; without it, refresh only reads. Cheap when nothing changed: one fstat of
 * the active segment and one stat of the next segment's name. */
int strata_store__refresh_wmu(strata_store *s, int cut);

/* ---- writing and group commit (store.c) ---------------------------------------------------- */

/* Return once everything before log position `target` is durable. One caller (the leader)
 * syncs for all callers waiting meanwhile; callers arriving during a sync wait for the next
 * one unless the running sync already covers them. A failed sync poisons the store. */
int strata_store__group_sync(strata_store *s, uint64_t target);
/* 1 when the store refuses writes after a failed sync. */
int strata_store__is_poisoned(strata_store *s);
/* Set and return the error a poisoned store answers writes with (STRATA_EIO). */
int strata_store__poisoned_err(void);
/* Start / stop the NORMAL-mode syncer thread (stop: a no-op when it is not running). */
int strata_store__syncer_start(strata_store *s);
void strata_store__syncer_stop(strata_store *s);
/* Append one complete, verified object record (header + payload, `len` bytes; r decoded from
 * it) to the active segment as a new copy of its object, rotating first when it does not fit.
 * Caller holds wmu. 0, STRATA_EIO (poisoned), STRATA_ENOMEM. */
int strata_store__append_copy_locked(strata_store *s, const uint8_t *rec, size_t len,
                                     const store_rec *r);
/* Read, verify and decode the object record at `off` of `seg`, expecting digest `oid` (NULL =
 * any). *data owned. 0, STRATA_ECORRUPT, STRATA_EIO, STRATA_ENOMEM. */
int strata_store__read_object(strata_store *s, store_seg *seg, uint64_t off, const strata_oid *oid,
                              uint8_t *type, uint8_t **data, size_t *len);

/* ---- GC support (gc.c) --------------------------------------------------------------------- */

/* A lookup found `oid` in candidate segment g of a running GC: remember it as live (the caller
 * holds rw for reading). Never fails: on ENOMEM the GC is told to keep every segment. */
void strata_store__gc_note_hit(strata_store *s, store_seg *g, const strata_oid *oid);

#endif
