/* Garbage collection of the object store: the sweep half of mark-and-sweep (the caller marks),
 * copying the live records of sparse sealed segments into new sealed segments and switching the
 * segment list atomically, crash-safe at every step.
 *
 * Essay. Objects are immutable and addressed by digest, and segments are append-only, so the
 * store cannot free bytes in place: it rewrites. A run works on the segments that were sealed
 * when it began (the candidates). The active segment and every segment sealed later are never
 * swept — the grace rule — so an object written while the run goes on is safe without being
 * marked. Only deduplication can hand a racing writer an old object: a put of bytes that already
 * exist in a candidate writes nothing and returns the old digest. Every lookup that lands in a
 * candidate therefore records the object in the run's hit set, and hit objects are copied like
 * marked ones; the switch happens under the exclusive lookup lock after the last hit was copied,
 * so a lookup either found the object before the switch (and it was copied) or misses it after
 * (and the put writes it anew).
 *
 * The copy goes through the ordinary append path, one record per hold of the writer mutex, so
 * commits interleave with it; records that were stored uncompressed are recompressed with zstd
 * when that saves at least 1/16. Then finish seals the active segment: the rotation syncs the
 * copies and writes an index whose roots table holds every root, in a segment numbered above
 * every swept one — recovery reads roots from the newest sealed index plus the active segment,
 * so deleting older segments never loses a root. Only after that does the switch drop the swept
 * segments from the list, and their files are unlinked when the last in-flight read lets go of
 * them (readers hold a reference on the segment they read from).
 *
 * Crash safety: until the rotation completes, the old segments are intact and authoritative;
 * copies in the active segment are either durable duplicates or a torn tail that recovery cuts.
 * After it, the copies are durable and indexed, and deletion is the only step left; a crash in
 * the middle of deletion leaves files a later run sweeps again (an index whose segment is gone
 * is removed at open). A run that fails or is aborted deletes nothing.
 *
 * Memory: the mark set holds one digest per live object (it is sized by the live objects, not by
 * all objects); choosing and copying a segment needs its index's offsets (8 bytes per object of
 * that one segment). */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "util/array.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/oidset.h"
#include "util/path.h"

#define DEFAULT_DEAD_SHARE 0.25
#define DEFAULT_GC_LEVEL 9

/* ---- the run ------------------------------------------------------------------------------ */

typedef STRATA_ARRAY(strata_oid) oid_array;

typedef struct gc_cand {
    store_seg *seg;   /* referenced by the run */
    int swept;        /* chosen: its live records are copied and it is removed at finish */
} gc_cand;

/* The running GC as the store sees it (s->gc): the hit set. Guarded by s->gcmu. */
typedef struct store_gc {
    strata_oidset hits;
    oid_array hitlog;   /* hits in arrival order, for finish */
    int overflow;       /* a hit could not be recorded: keep every candidate */
} store_gc;

struct strata_store_gc {
    strata_store *s;
    strata_file *gclock;  /* the GC file, flock'd for the run: one run per store, in any process */
    strata_store_gc_options opt;
    store_gc shared;      /* lives in the store while the run is registered */
    int registered;       /* s->gc == &shared */
    int copying;          /* copy has begun: later marks go to `late` too */
    int finished;
    gc_cand *cands;
    size_t ncands;
    size_t nsmall;        /* candidates smaller than 1/8 of the segment size */
    strata_oidset marked;
    oid_array late;       /* marked after copy began */
    ZSTD_CCtx *cctx;
    strata_buf rbuf, cbuf; /* a record read / recompressed */
    uint64_t copied_since_seal; /* copies appended since the last rotation */
    strata_store_gc_report rep;
};

void strata_store__gc_note_hit(strata_store *s, store_seg *g, const strata_oid *oid)
{
    (void)g;
    pthread_mutex_lock(&s->gcmu);
    store_gc *h = s->gc;
    if (h && !h->overflow) {
        int rc = strata_oidset__add(&h->hits, oid);
        if (rc == 1 && strata_array__push(&h->hitlog, *oid)) rc = STRATA_ENOMEM;
        if (rc < 0) {
            h->overflow = 1; /* the run will sweep nothing */
            strata_error_clear();
        }
    }
    pthread_mutex_unlock(&s->gcmu);
}

/* Unregister the run from the store and clear the candidates' flags (caller holds wmu). */
static void unregister_locked(strata_store_gc *g)
{
    strata_store *s = g->s;
    pthread_rwlock_wrlock(&s->rw);
    for (size_t i = 0; i < g->ncands; i++) g->cands[i].seg->gc_cand = 0;
    pthread_mutex_lock(&s->gcmu);
    if (s->gc == &g->shared) s->gc = NULL;
    pthread_mutex_unlock(&s->gcmu);
    pthread_rwlock_unlock(&s->rw);
    g->registered = 0;
}

int strata_store__gc_begin(strata_store_gc **out, strata_store *s,
                           const strata_store_gc_options *opt)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_store__gc_begin: out is NULL");
    *out = NULL;
    if (!s) return strata_err__set(STRATA_EINVALID, "strata_store__gc_begin: store is NULL");
    if (s->read_only) return strata_err__set(STRATA_EINVALID, "garbage collection needs the store open for writing");
    strata_store_gc_options o = STRATA_STORE_GC_OPTIONS_INIT;
    if (opt) {
        if (opt->version != 1)
            return strata_err__set(STRATA_EINVALID, "store GC options version %u unknown", opt->version);
        o = *opt;
    }
    if (!(o.min_dead_share >= 0 && o.min_dead_share <= 1))
        return strata_err__set(STRATA_EINVALID, "GC dead share %g outside [0, 1]", o.min_dead_share);
    if (o.min_dead_share == 0) o.min_dead_share = DEFAULT_DEAD_SHARE;
    if (o.compress_level == 0) o.compress_level = DEFAULT_GC_LEVEL;
    if (o.compress_level > ZSTD_maxCLevel()) o.compress_level = ZSTD_maxCLevel();
    strata_store_gc *g = strata_mem__calloc(1, sizeof *g);
    if (!g) return STRATA_ENOMEM;
    g->s = s;
    g->opt = o;
    char *gp = strata_path__join(s->dir, "GC");
    int rc = gp ? strata_vfs__open(&g->gclock, gp, STRATA_VFS_RDWR | STRATA_VFS_CREATE) : STRATA_ENOMEM;
    strata_mem__free(gp);
    if (!rc && (rc = strata_vfs__lock(g->gclock, 1, 0)) == STRATA_EBUSY)
        strata_err__set(STRATA_EBUSY, "a garbage collection is already running on this store (in this or another process)");
    /* the candidates are fixed under the write lock, after its refresh: every segment any
     * process sealed so far, none that another process's GC swept already */
    if (!rc) rc = strata_store__lock(s);
    if (rc) {
        strata_vfs__close(g->gclock);
        strata_mem__free(g);
        return rc;
    }
    pthread_mutex_lock(&s->wmu);
    /* seal the active segment first, so that everything written before the run is a candidate
     * (the grace rule then protects exactly what is written during the run) */
    if (s->end > SEG_HDR_SIZE && !s->gc) rc = strata_store__rotate_locked(s);
    pthread_rwlock_wrlock(&s->rw);
    if (rc) {
        /* rotation failed: nothing changed */
    } else if (s->gc) {
        rc = strata_err__set(STRATA_EBUSY, "a garbage collection is already running on this store");
    } else if (!(g->cands = strata_mem__calloc(s->sealed.n ? s->sealed.n : 1, sizeof *g->cands))) {
        rc = STRATA_ENOMEM;
    } else {
        for (size_t i = 0; i < s->sealed.n; i++) {
            store_seg *sg = s->sealed.v[i];
            if (!sg->map || sg->gone) continue; /* no index (seen without the lock), or swept: never a candidate */
            strata_store__seg_ref(sg);
            sg->gc_cand = 1;
            g->cands[g->ncands++].seg = sg;
        }
        pthread_mutex_lock(&s->gcmu);
        s->gc = &g->shared;
        pthread_mutex_unlock(&s->gcmu);
        g->registered = 1;
    }
    pthread_rwlock_unlock(&s->rw);
    pthread_mutex_unlock(&s->wmu);
    strata_store__unlock(s);
    if (rc) {
        strata_vfs__close(g->gclock);
        strata_mem__free(g->cands);
        strata_mem__free(g);
        return rc;
    }
    g->rep.candidates = g->ncands;
    for (size_t i = 0; i < g->ncands; i++) g->nsmall += g->cands[i].seg->size < s->opt.segment_size / 8;
    *out = g;
    return 0;
}

int strata_store__gc_mark(strata_store_gc *g, const strata_oid *oid)
{
    if (!g || !oid) return strata_err__set(STRATA_EINVALID, "strata_store__gc_mark: NULL argument");
    if (g->finished) return strata_err__set(STRATA_EINVALID, "strata_store__gc_mark: the run has finished");
    int rc = strata_oidset__add(&g->marked, oid);
    /* on ENOMEM the object stays marked but may not be copied: callers never finish after an
     * error */
    if (rc == 1 && g->copying && strata_array__push(&g->late, *oid)) return STRATA_ENOMEM;
    return rc;
}

int strata_store__gc_is_marked(strata_store_gc *g, const strata_oid *oid)
{
    if (!g || !oid) return 0;
    return strata_oidset__has(&g->marked, oid);
}

/* Live for the sweep: marked, or found by a lookup during the run. */
static int is_live(strata_store_gc *g, const strata_oid *oid)
{
    if (strata_oidset__has(&g->marked, oid)) return 1;
    pthread_mutex_lock(&g->s->gcmu);
    int h = strata_oidset__has(&g->shared.hits, oid);
    pthread_mutex_unlock(&g->s->gcmu);
    return h;
}

/* ---- copying one record ------------------------------------------------------------------- */

/* 1 when the newest copy of `oid` is record `off` of `seg` (so it still needs copying). */
static int resolves_here(strata_store *s, const strata_oid *oid, store_seg *seg, uint64_t off)
{
    store_seg *g;
    uint64_t o;
    pthread_rwlock_rdlock(&s->rw);
    int here = strata_store__lookup_locked(s, oid, &g, &o) && g == seg && o == off;
    pthread_rwlock_unlock(&s->rw);
    return here;
}

/* Read and verify the object record at (seg, off) into g->rbuf, recompressing it into g->cbuf
 * when it was stored raw and shrinks. rec, len and r describe the record to append. */
static int read_record(strata_store_gc *g, store_seg *seg, uint64_t off, const uint8_t **rec,
                       size_t *len, store_rec *r)
{
    const char *path = strata_vfs__path(seg->f);
    g->rbuf.len = 0;
    int rc = strata_buf__reserve(&g->rbuf, OBJ_HDR_SIZE);
    if (rc) return rc;
    rc = strata_vfs__read_exact(seg->f, off, g->rbuf.data, OBJ_HDR_SIZE);
    if (!rc) rc = strata_store__decode_obj_header(g->rbuf.data, OBJ_HDR_SIZE, r);
    if (rc) return strata_err__wrap(rc, "%s: GC reading the record at offset %llu", path, (unsigned long long)off);
    if ((rc = strata_buf__reserve(&g->rbuf, (size_t)r->size))) return rc;
    rc = strata_vfs__read_exact(seg->f, off + OBJ_HDR_SIZE, g->rbuf.data + OBJ_HDR_SIZE, (size_t)r->stored_len);
    if (!rc) rc = strata_store__check_obj_payload(g->rbuf.data, g->rbuf.data + OBJ_HDR_SIZE, r);
    if (rc) return strata_err__wrap(rc, "%s: GC reading the record at offset %llu", path, (unsigned long long)off);
    g->rbuf.len = (size_t)r->size;
    *rec = g->rbuf.data;
    *len = g->rbuf.len;
    if (g->opt.compress_level < 0 || (r->flags & OBJ_FLAG_ZSTD) || r->raw_len < STORE_MIN_COMPRESS_LEN) return 0;
    /* the digest is checked before the copy is made from the bytes */
    strata_oid got;
    if ((rc = strata_hash__object(&got, r->type, g->rbuf.data + OBJ_HDR_SIZE, (size_t)r->raw_len))) return rc;
    if (strata_oid__cmp(&got, &r->oid) != 0)
        return strata_err__set(STRATA_ECORRUPT, "%s: object at offset %llu does not hash to its digest", path,
                               (unsigned long long)off);
    if (!g->cctx) {
        g->cctx = ZSTD_createCCtx_advanced((ZSTD_customMem){strata_store__zalloc, strata_store__zfree, NULL});
        if (!g->cctx) return strata_err__set(STRATA_ENOMEM, "cannot allocate a zstd compression context");
    }
    size_t bound = ZSTD_compressBound((size_t)r->raw_len);
    g->cbuf.len = 0;
    if ((rc = strata_buf__reserve(&g->cbuf, OBJ_HDR_SIZE + bound))) return rc;
    size_t n = ZSTD_compressCCtx(g->cctx, g->cbuf.data + OBJ_HDR_SIZE, bound, g->rbuf.data + OBJ_HDR_SIZE,
                                 (size_t)r->raw_len, g->opt.compress_level);
    if (ZSTD_isError(n) || n >= r->raw_len - r->raw_len / 16) return 0; /* keep it raw */
    uint64_t sum;
    strata_store__encode_obj(g->cbuf.data, r->type, OBJ_FLAG_ZSTD, &r->oid, g->cbuf.data + OBJ_HDR_SIZE, n, r->raw_len, &sum);
    store_rec nr;
    if ((rc = strata_store__decode_obj_header(g->cbuf.data, OBJ_HDR_SIZE, &nr))) return rc;
    nr.sum = sum;
    *r = nr;
    g->cbuf.len = OBJ_HDR_SIZE + n;
    *rec = g->cbuf.data;
    *len = g->cbuf.len;
    g->rep.recompressed++;
    return 0;
}

/* Copy record (seg, off) of object `oid` when it is still the newest copy. `locked`: the caller
 * holds wmu already. */
static int copy_one(strata_store_gc *g, store_seg *seg, uint64_t off, const strata_oid *oid, int locked)
{
    strata_store *s = g->s;
    if (!resolves_here(s, oid, seg, off)) return 0;
    const uint8_t *rec = NULL;
    size_t len = 0;
    store_rec r;
    int rc = read_record(g, seg, off, &rec, &len, &r);
    if (rc) return rc;
    if (memcmp(r.oid.id, oid->id, STRATA_OID_SIZE) != 0)
        return strata_err__set(STRATA_ECORRUPT, "%s: index entry at offset %llu names another object",
                               strata_vfs__path(seg->f), (unsigned long long)off);
    if (!locked) {
        /* every append is made under the write lock; one record per hold, so that commits of
         * this and other processes interleave with the copy */
        if ((rc = strata_store__lock(s)) != 0) return rc;
        pthread_mutex_lock(&s->wmu);
    }
    /* only this run copies out of candidates; re-check under the writer mutex all the same */
    if (resolves_here(s, oid, seg, off)) {
        rc = strata_store__append_copy_locked(s, rec, len, &r);
        if (!rc) {
            g->rep.objects_copied++;
            g->rep.bytes_copied += len;
            g->copied_since_seal++;
        }
    }
    if (!locked) {
        pthread_mutex_unlock(&s->wmu);
        strata_store__unlock(s);
    }
    return rc;
}

/* ---- choosing and copying segments ---------------------------------------------------------- */

typedef struct offent {
    uint64_t off;
    uint32_t idx;  /* index entry */
    uint32_t live;
} offent;

static int offent_cmp(const void *a, const void *b)
{
    uint64_t x = ((const offent *)a)->off, y = ((const offent *)b)->off;
    return x < y ? -1 : x > y;
}

/* Decide whether candidate c is swept (live bytes estimated from the gaps between its records'
 * offsets) and, when it is, copy its live records in file order. */
static int do_candidate(strata_store_gc *g, gc_cand *c)
{
    store_seg *seg = c->seg;
    const store_idx *ix = &seg->idx;
    if (ix->count > UINT32_MAX) return 0; /* never happens with a 64 GiB segment limit */
    size_t n = (size_t)ix->count;
    offent *v = strata_mem__alloc((n ? n : 1) * sizeof *v);
    if (!v) return STRATA_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        v[i].off = strata_le64(ix->offsets + 8 * i);
        v[i].idx = (uint32_t)i;
        strata_oid o;
        memcpy(o.id, ix->digests + 32 * i, 32);
        v[i].live = (uint32_t)is_live(g, &o);
    }
    qsort(v, n, sizeof *v, offent_cmp);
    uint64_t live = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t end = i + 1 < n ? v[i + 1].off : seg->size;
        if (v[i].live) live += end - v[i].off;
    }
    uint64_t body = seg->size > SEG_HDR_SIZE ? seg->size - SEG_HDR_SIZE : 0;
    uint64_t dead = body > live ? body - live : 0;
    int rc = 0;
    /* a small segment (GC leaves them behind: the seal at begin and at finish) is merged
     * whenever there is another one to merge it with */
    int small = seg->size < g->s->opt.segment_size / 8 && g->nsmall >= 2;
    if (body == 0 || (!small && (double)dead < g->opt.min_dead_share * (double)body)) goto done;
    c->swept = 1;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!v[i].live) continue;
        strata_oid o;
        memcpy(o.id, ix->digests + 32 * (size_t)v[i].idx, 32);
        rc = copy_one(g, seg, v[i].off, &o, 0);
    }
done:
    strata_mem__free(v);
    return rc;
}

int strata_store__gc_copy(strata_store_gc *g)
{
    if (!g) return strata_err__set(STRATA_EINVALID, "strata_store__gc_copy: run is NULL");
    if (g->finished || g->copying)
        return strata_err__set(STRATA_EINVALID, "strata_store__gc_copy: called twice or after finish");
    g->copying = 1;
    pthread_mutex_lock(&g->s->gcmu);
    int overflow = g->shared.overflow;
    pthread_mutex_unlock(&g->s->gcmu);
    if (overflow) return 0; /* a hit was lost to ENOMEM: sweep nothing */
    for (size_t i = 0; i < g->ncands; i++) {
        int rc = do_candidate(g, &g->cands[i]);
        if (rc) return rc;
        if (g->opt.progress && (rc = g->opt.progress(i + 1, g->ncands, g->opt.payload)) != 0) return rc;
    }
    return 0;
}

/* Copy `oid` if its newest copy lies in a swept candidate (caller holds wmu). */
static int copy_if_swept(strata_store_gc *g, const strata_oid *oid)
{
    strata_store *s = g->s;
    store_seg *seg;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = strata_store__lookup_locked(s, oid, &seg, &off);
    pthread_rwlock_unlock(&s->rw);
    if (!found || !seg->gc_cand) return 0;
    for (size_t i = 0; i < g->ncands; i++)
        if (g->cands[i].seg == seg) return g->cands[i].swept ? copy_one(g, seg, off, oid, 1) : 0;
    return 0;
}

int strata_store__gc_finish(strata_store_gc *g, strata_store_gc_report *out)
{
    if (!g) return strata_err__set(STRATA_EINVALID, "strata_store__gc_finish: run is NULL");
    if (g->finished) return strata_err__set(STRATA_EINVALID, "strata_store__gc_finish: called twice");
    if (!g->copying) {
        int rc = strata_store__gc_copy(g);
        if (rc) return rc;
    }
    strata_store *s = g->s;
    size_t nswept = 0;
    for (size_t i = 0; i < g->ncands; i++) nswept += g->cands[i].swept;
    /* The whole final step holds the write lock: the seal, the switch and the deletion of the
     * swept files happen in one hold, so another process's next write (which refreshes under
     * the lock) sees either none of it or all of it. */
    int rc = strata_store__lock(s);
    if (rc) return rc;
    pthread_mutex_lock(&s->wmu);
    /* objects marked after the bulk copy began */
    for (size_t i = 0; i < g->late.n && !rc; i++) rc = copy_if_swept(g, &g->late.v[i]);
    size_t done_hits = 0;
    int sealed_once = 0;
    while (!rc) {
        /* objects found by lookups (a put that deduplicated against a candidate) */
        pthread_mutex_lock(&s->gcmu);
        size_t nh = g->shared.hitlog.n;
        int overflow = g->shared.overflow;
        pthread_mutex_unlock(&s->gcmu);
        if (overflow) {
            nswept = 0; /* a hit may be unrecorded: keep everything */
            for (size_t i = 0; i < g->ncands; i++) g->cands[i].swept = 0;
        }
        for (; done_hits < nh && !rc; done_hits++) {
            pthread_mutex_lock(&s->gcmu);
            strata_oid o = g->shared.hitlog.v[done_hits];
            pthread_mutex_unlock(&s->gcmu);
            rc = copy_if_swept(g, &o);
        }
        if (rc || nswept == 0) break;
        /* seal: the copies and the full roots table become durable in a segment numbered
         * above every swept one */
        if (!sealed_once || g->copied_since_seal) {
            if ((rc = strata_store__rotate_locked(s))) break;
            sealed_once = 1;
            g->copied_since_seal = 0;
        }
        pthread_rwlock_wrlock(&s->rw);
        pthread_mutex_lock(&s->gcmu);
        int quiet = g->shared.hitlog.n == done_hits && !g->shared.overflow;
        pthread_mutex_unlock(&s->gcmu);
        if (!quiet) { /* a lookup hit arrived meanwhile: copy it and seal again */
            pthread_rwlock_unlock(&s->rw);
            continue;
        }
        /* the switch: swept segments leave the list (lookups can no longer reach them) */
        size_t k = 0;
        for (size_t i = 0; i < s->sealed.n; i++) {
            store_seg *sg = s->sealed.v[i];
            int sw = 0;
            for (size_t j = 0; j < g->ncands; j++)
                if (g->cands[j].seg == sg && g->cands[j].swept) sw = 1;
            if (!sw) {
                s->sealed.v[k++] = sg;
                continue;
            }
            sg->doomed = 1;
            s->sealed_count -= sg->idx.count;
            s->sealed_raw -= sg->idx.raw_bytes;
            s->sealed_dead -= sg->idx.dead;
            s->sealed_bytes -= sg->size;
            g->rep.bytes_removed += sg->size;
            g->rep.swept++;
        }
        s->sealed.n = k;
        pthread_rwlock_unlock(&s->rw);
        break;
    }
    pthread_mutex_lock(&s->gcmu);
    g->rep.hits = g->shared.hits.n;
    pthread_mutex_unlock(&s->gcmu);
    if (g->registered) unregister_locked(g);
    pthread_mutex_unlock(&s->wmu);
    if (!rc) {
        /* unlink the swept files now, under the lock (this process's in-flight reads keep
         * their descriptors; the last reference only closes them): segment first, then index
         * (an index without its segment is removed at the next open) */
        for (size_t i = 0; i < g->ncands; i++) {
            if (!g->cands[i].swept || !g->cands[i].seg->doomed) continue;
            char *sp = strata_store__seg_path(s->dir, g->cands[i].seg->no, "seg");
            char *ip = strata_store__seg_path(s->dir, g->cands[i].seg->no, "idx");
            if (sp) strata_vfs__remove(sp);
            if (ip) strata_vfs__remove(ip);
            strata_mem__free(sp);
            strata_mem__free(ip);
            strata_error_clear();
        }
    }
    strata_store__unlock(s);
    if (rc) return rc;
    g->finished = 1;
    /* drop the list's reference of each swept segment (the run's own goes in gc_free) */
    for (size_t i = 0; i < g->ncands; i++)
        if (g->cands[i].swept && g->cands[i].seg->doomed) strata_store__seg_unref(s, g->cands[i].seg);
    g->rep.marked = g->marked.n;
    if (out) *out = g->rep;
    return 0;
}

void strata_store__gc_free(strata_store_gc *g)
{
    if (!g) return;
    strata_store *s = g->s;
    if (g->registered) {
        pthread_mutex_lock(&s->wmu);
        unregister_locked(g);
        pthread_mutex_unlock(&s->wmu);
    }
    for (size_t i = 0; i < g->ncands; i++) strata_store__seg_unref(s, g->cands[i].seg);
    strata_mem__free(g->cands);
    strata_oidset__free(&g->marked);
    strata_oidset__free(&g->shared.hits);
    strata_array__free(&g->shared.hitlog);
    strata_array__free(&g->late);
    ZSTD_freeCCtx(g->cctx);
    strata_buf__free(&g->rbuf);
    strata_buf__free(&g->cbuf);
    strata_vfs__close(g->gclock); /* releases the GC lock */
    strata_mem__free(g);
}

int strata_store__object_size(strata_store *s, const strata_oid *oid, uint64_t *out)
{
    if (!s || !oid || !out) return strata_err__set(STRATA_EINVALID, "strata_store__object_size: NULL argument");
    store_seg *g;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = strata_store__lookup_locked(s, oid, &g, &off);
    if (found) strata_store__seg_ref(g);
    pthread_rwlock_unlock(&s->rw);
    if (!found) return strata_err__set(STRATA_ENOTFOUND, "object not in the store");
    uint8_t hdr[OBJ_HDR_SIZE];
    store_rec r;
    int rc = strata_vfs__read_exact(g->f, off, hdr, sizeof hdr);
    if (!rc) rc = strata_store__decode_obj_header(hdr, sizeof hdr, &r);
    if (!rc) *out = r.size;
    strata_store__seg_unref(s, g);
    return rc;
}
