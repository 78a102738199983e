/* The life of a store handle: opening (creating a new store, recovering the active segment:
 * a writer cuts a torn tail), a reader's refresh (picking up what the writer published since,
 * racing its GC), and closing (a checkpoint record after a clean run). */
#include "store/store_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "util/array.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/path.h"

#define DEFAULT_SEGMENT_SIZE ((uint64_t)64 << 20)
#define MAX_SEGMENT_SIZE ((uint64_t)1 << 36)
#define MIN_SEGMENT_SIZE ((uint64_t)1024)
/* zstd's fast level -1: on tree nodes it keeps nearly level 3's ratio (~300 vs ~290 MB for the
 * bench's 300k-record load with full history) at two thirds of its CPU (docs/benchmarks.md). */
#define DEFAULT_COMPRESS_LEVEL (-1)
#define DEFAULT_NORMAL_SYNC_MS 1000

/* ---- opening ---------------------------------------------------------------------------- */

/* A brand-new store: segment 1, then the STORE marker (its presence means "created"). */
static int create_store(strata_store *s)
{
    strata_file *f = NULL;
    int rc = strata_store__create_segment(s, 1, &f);
    strata_vfs__close(f);
    if (rc) return rc;
    uint8_t h[STORE_FILE_SIZE];
    strata_store__encode_store_file(h, (uint64_t)time(NULL));
    return strata_vfs__write_atomic(s->dir, "STORE", h, sizeof h);
}

/* Check the STORE marker and the segment list; create the store when allowed. */
static int check_or_create(strata_store *s, uint64_t **segs, size_t *nsegs)
{
    char *sp = strata_path__join(s->dir, "STORE");
    if (!sp) return STRATA_ENOMEM;
    int rc = strata_store__list_segments(s->dir, segs, nsegs);
    if (rc) goto done;
    if (strata_vfs__exists(sp)) {
        strata_file *f;
        rc = strata_vfs__open(&f, sp, STRATA_VFS_RDONLY);
        if (rc) goto done;
        uint8_t h[STORE_FILE_SIZE];
        size_t got;
        rc = strata_vfs__read(f, 0, h, sizeof h, &got);
        strata_vfs__close(f);
        if (!rc) rc = strata_store__decode_store_file(h, got, sp);
        if (!rc && *nsegs == 0)
            rc = strata_err__set(STRATA_ECORRUPT, "%s: store has no segment files", s->dir);
        goto done;
    }
    /* no STORE marker: a fresh directory, or a creation interrupted before the marker (only
     * an empty first segment), which a writer that may create starts over and anyone else
     * treats as no store */
    int fresh = *nsegs == 0;
    if (*nsegs == 1 && (*segs)[0] == 1) {
        char *p = strata_store__seg_path(s->dir, 1, "seg");
        strata_file *f = NULL;
        uint64_t sz = 0;
        if (!p) { rc = STRATA_ENOMEM; goto done; }
        fresh = strata_vfs__open(&f, p, STRATA_VFS_RDONLY) == 0 && strata_vfs__size(f, &sz) == 0 &&
                sz <= SEG_HDR_SIZE;
        strata_vfs__close(f);
        if (fresh && s->opt.create && !s->read_only) {
            rc = strata_vfs__remove(p);
            if (!rc) *nsegs = 0;
        }
        strata_mem__free(p);
        if (rc) goto done;
    }
    if (!fresh) {
        rc = strata_err__set(STRATA_ECORRUPT, "%s: STORE file missing but segments exist; run "
                             "repair", s->dir);
        goto done;
    }
    if (!s->opt.create || s->read_only) {
        rc = strata_err__set(STRATA_ENOTFOUND, "%s: no strata store here", s->dir);
        goto done;
    }
    rc = create_store(s);
    if (rc) goto done;
    strata_mem__free(*segs);
    *segs = NULL;
    rc = strata_store__list_segments(s->dir, segs, nsegs);
done:
    strata_mem__free(sp);
    return rc;
}

/* Take the scan position as a read-write handle's append position (caller holds wmu; the
 * handle does not hold the write lock, or has just brought itself up to date under it).
 * last_c_end: where the last checkpoint record the scan saw ends (0: none). */
static void adopt_scan(strata_store *s, uint64_t last_c_end)
{
    if (s->read_only) return;
    if (s->rstate.off != s->end) s->ckpt_end = last_c_end == s->rstate.off ? s->rstate.off : 0;
    s->end = s->rstate.off;
    s->batch_start = s->rstate.batch_start;
    s->chain = s->rstate.chain;
}

/* Open the active segment `no` and scan it. With `cut` (the caller holds the write lock) a torn
 * tail is cut and what remains synced, as recovery does at open; otherwise the scan stops there. */
static int open_active(strata_store *s, uint64_t no, int cut)
{
    store_seg *g = strata_mem__calloc(1, sizeof *g);
    char *path = strata_store__seg_path(s->dir, no, "seg");
    int rc = STRATA_ENOMEM;
    if (!g || !path) goto done;
    g->no = no;
    g->refs = 1;
    rc = strata_vfs__open(&g->f, path, s->read_only ? STRATA_VFS_RDONLY : STRATA_VFS_RDWR);
    if (rc) goto done;
    uint64_t size;
    rc = strata_vfs__size(g->f, &size);
    if (rc) goto done;
    if (size <= SEG_HDR_SIZE && strata_store__check_seg_header(g->f, path, no) == STRATA_ECORRUPT) {
        /* the header of a segment created just before a crash never reached the disk */
        strata_error_clear();
        if (cut) {
            uint8_t h[SEG_HDR_SIZE];
            strata_store__encode_seg_header(h, no);
            rc = strata_vfs__write(g->f, 0, h, sizeof h);
            if (!rc) rc = strata_vfs__truncate(g->f, SEG_HDR_SIZE);
            if (!rc) rc = strata_vfs__sync(g->f);
            if (rc) goto done;
        }
        size = SEG_HDR_SIZE;
    } else {
        rc = strata_store__check_seg_header(g->f, path, no);
        if (rc) goto done;
    }
    pthread_rwlock_wrlock(&s->rw);
    s->active = g;
    pthread_rwlock_unlock(&s->rw);
    store_scan_state st = strata_store__scan_start();
    store_scan_sums c;
    int torn = 0;
    rc = strata_store__scan_segment(s, g->f, size, &s->act, 0, &st, &torn, &c);
    if (rc) goto done;
    pthread_rwlock_wrlock(&s->rw);
    s->act_raw = c.raw;
    s->act_dead = c.dead;
    pthread_rwlock_unlock(&s->rw);
    s->rstate = st;
    if (!s->read_only) {
        if (cut) {
            if (torn) rc = strata_vfs__truncate(g->f, st.off);
            /* Make what is on disk durable, so later root records may claim it. */
            if (!rc) rc = strata_vfs__sync(g->f);
            if (rc) goto done;
        }
        s->end = st.off;
        s->ckpt_end = c.last_c_end == st.off ? st.off : 0;
        s->batch_start = st.batch_start;
        s->chain = st.chain;
        pthread_mutex_lock(&s->smu);
        if (cut) s->nsyncs++;
        /* every older segment is sealed, and sealing syncs a segment whole */
        uint64_t known = STORE_LSN(no, cut ? s->end : SEG_HDR_SIZE);
        if (known > s->synced_lsn) s->synced_lsn = known;
        pthread_mutex_unlock(&s->smu);
    }
done:
    strata_mem__free(path);
    if (rc) {
        pthread_rwlock_wrlock(&s->rw);
        store_otab t = s->act;
        memset(&s->act, 0, sizeof s->act);
        s->active = NULL;
        pthread_rwlock_unlock(&s->rw);
        strata_store__otab_free(&t);
        strata_store__seg_free(g);
    }
    return rc;
}

/* Free the handle and everything it holds (after a failed open too). */
static void store_free(strata_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->sealed.n; i++) strata_store__seg_free(s->sealed.v[i]);
    strata_array__free(&s->sealed);
    strata_store__seg_free(s->active);
    strata_store__otab_free(&s->act);
    strata_store__rmap_free(&s->roots);
    strata_buf__free(&s->wbuf);
    ZSTD_freeCCtx(s->cctx);
    /* closing (not unlocking) the lock files: a forked child closing its copy of a handle must
     * not release a lock its parent holds through the same open file */
    strata_vfs__close(s->lock);
    strata_vfs__close(s->open_lock);
    strata_mem__free(s->next_path);
    pthread_mutex_destroy(&s->fmu);
    pthread_mutex_destroy(&s->wmu);
    pthread_rwlock_destroy(&s->rw);
    pthread_mutex_destroy(&s->smu);
    pthread_cond_destroy(&s->scond);
    pthread_mutex_destroy(&s->tmu);
    pthread_cond_destroy(&s->tcond);
    pthread_mutex_destroy(&s->gcmu);
    strata_mem__free(s->dir);
    strata_mem__free(s);
}

/* Append a loaded sealed segment (list reserved) and account for it. */
static void add_sealed(strata_store *s, store_seg *g)
{
    pthread_rwlock_wrlock(&s->rw);
    strata_store__sealed_push_locked(s, g);
    pthread_rwlock_unlock(&s->rw);
}

#define OPEN_RETRIES 20

/* Drop every loaded segment and the roots (a read-only open starting over). */
static void unload_segments(strata_store *s)
{
    pthread_rwlock_wrlock(&s->rw);
    for (size_t i = 0; i < s->sealed.n; i++) strata_store__seg_free(s->sealed.v[i]);
    strata_array__clear(&s->sealed);
    s->sealed_count = s->sealed_raw = s->sealed_dead = s->sealed_bytes = 0;
    strata_store__rmap_free(&s->roots);
    s->seq = 0;
    pthread_rwlock_unlock(&s->rw);
}

int strata_store__open(strata_store **out, const char *dir, const strata_store_options *opt)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_store__open: out is NULL");
    *out = NULL;
    if (!dir || !*dir) return strata_err__set(STRATA_EINVALID, "strata_store__open: no directory");
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    if (opt) {
        if (opt->version != 1)
            return strata_err__set(STRATA_EINVALID, "store options version %u unknown", opt->version);
        o = *opt;
    }
    if (o.read_only && o.create)
        return strata_err__set(STRATA_EINVALID, "a read-only open cannot create a store");
    if (o.durability != STRATA_DURABILITY_FULL && o.durability != STRATA_DURABILITY_NORMAL &&
        o.durability != STRATA_DURABILITY_OFF)
        return strata_err__set(STRATA_EINVALID, "unknown durability mode %d", (int)o.durability);
    if (o.segment_size == 0) o.segment_size = DEFAULT_SEGMENT_SIZE;
    if (o.segment_size < MIN_SEGMENT_SIZE || o.segment_size > MAX_SEGMENT_SIZE)
        return strata_err__set(STRATA_EINVALID, "segment size %llu outside [%llu, %llu]",
                               (unsigned long long)o.segment_size,
                               (unsigned long long)MIN_SEGMENT_SIZE,
                               (unsigned long long)MAX_SEGMENT_SIZE);
    /* compress_level: 0 = the default (a fast level), > 0 = that zstd level, < 0 = off. Off is
     * kept as INT_MIN inside so that the default may itself be a negative (fast) level. */
    if (o.compress_level < 0) o.compress_level = INT_MIN;
    else if (o.compress_level == 0) o.compress_level = DEFAULT_COMPRESS_LEVEL;
    else if (o.compress_level > ZSTD_maxCLevel()) o.compress_level = ZSTD_maxCLevel();
    if (o.normal_sync_ms == 0) o.normal_sync_ms = DEFAULT_NORMAL_SYNC_MS;

    strata_store *s = strata_mem__calloc(1, sizeof *s);
    if (!s) return STRATA_ENOMEM;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->fmu, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_mutex_init(&s->wmu, NULL);
    pthread_rwlock_init(&s->rw, NULL);
    pthread_mutex_init(&s->smu, NULL);
    pthread_cond_init(&s->scond, NULL);
    pthread_mutex_init(&s->tmu, NULL);
    pthread_cond_init(&s->tcond, NULL);
    pthread_mutex_init(&s->gcmu, NULL);
    s->opt = o;
    s->read_only = o.read_only;
    uint64_t *segs = NULL;
    size_t nsegs = 0;
    char *lp = NULL;
    int rc = STRATA_ENOMEM, have_lock = 0;
    s->dir = strata_mem__strdup(dir);
    if (!s->dir) goto done;

    if (!strata_vfs__exists(dir)) {
        if (!o.create) {
            rc = strata_err__set(STRATA_ENOTFOUND, "%s: no strata store here (directory missing)", dir);
            goto done;
        }
        rc = strata_vfs__mkdir(dir);
        if (rc && rc != STRATA_EEXISTS) goto done;
    }
    if (!o.read_only) {
        /* OPEN, shared for the handle's life (repair takes it exclusively) */
        lp = strata_path__join(dir, "OPEN");
        rc = STRATA_ENOMEM;
        if (!lp) goto done;
        rc = strata_vfs__open(&s->open_lock, lp, STRATA_VFS_RDWR | STRATA_VFS_CREATE);
        if (rc) goto done;
        rc = strata_vfs__lock(s->open_lock, 0, o.lock_wait_ms > 0 ? o.lock_wait_ms : 0);
        if (rc) {
            if (rc == STRATA_EBUSY) strata_err__set(STRATA_EBUSY, "%s: store is being repaired", dir);
            goto done;
        }
        strata_mem__free(lp);
        lp = strata_path__join(dir, "LOCK");
        rc = STRATA_ENOMEM;
        if (!lp) goto done;
        rc = strata_vfs__open(&s->lock, lp, STRATA_VFS_RDWR | STRATA_VFS_CREATE);
        if (rc) goto done;
        /* recovery is a write: it runs under the write lock, like every append */
        pthread_mutex_lock(&s->fmu);
        rc = strata_vfs__lock(s->lock, 1, o.lock_wait_ms > 0 ? o.lock_wait_ms : -1);
        if (rc) {
            pthread_mutex_unlock(&s->fmu);
            if (rc == STRATA_EBUSY)
                strata_err__set(STRATA_EBUSY, "%s: the write lock stayed busy for %d ms", dir, o.lock_wait_ms);
            goto done;
        }
        have_lock = 1;
        s->ldepth = 1;
        __atomic_store_n(&s->locked, 1, __ATOMIC_RELEASE);
        rc = strata_store__remove_leftovers(s->dir);
        if (rc) goto done;
    }
    for (int attempt = 0;; attempt++) {
        rc = check_or_create(s, &segs, &nsegs);
        if (rc) goto done;
        for (size_t i = 0; !rc && i + 1 < nsegs; i++) {
            store_seg *g;
            rc = strata_store__sealed_reserve(s);
            if (!rc) rc = strata_store__load_sealed(s, segs[i], NULL, &g);
            if (!rc) add_sealed(s, g);
        }
        if (!rc) rc = open_active(s, segs[nsegs - 1], !o.read_only);
        /* A reader racing the writer's GC: a listed segment was deleted before we opened it.
         * Forget what was loaded and list again (the writer holds the lock, so GC is the only
         * thing that deletes segments). */
        if (rc != STRATA_ENOTFOUND || !o.read_only || attempt >= OPEN_RETRIES) break;
        strata_error_clear();
        unload_segments(s);
        strata_mem__free(segs);
        segs = NULL;
        nsegs = 0;
    }
    if (rc) goto done;
    if (!o.read_only && o.durability == STRATA_DURABILITY_NORMAL) rc = strata_store__syncer_start(s);
done:
    if (have_lock) strata_store__unlock(s);
    strata_mem__free(segs);
    strata_mem__free(lp);
    if (rc) store_free(s);
    else *out = s;
    return rc;
}

/* ---- closing ---------------------------------------------------------------------------- */

/* Clean close: sync, then append a checkpoint record claiming everything before it and sync
 * again, so that damage anywhere in the segment is later recognised as corruption, not as a
 * torn tail. Skipped when nothing was written since the last checkpoint or root. */
static void checkpoint(strata_store *s)
{
    pthread_mutex_lock(&s->wmu);
    uint64_t target = STORE_LSN(s->active->no, s->end);
    int need = s->end > s->ckpt_end;
    pthread_mutex_unlock(&s->wmu);
    if (!need || strata_store__group_sync(s, target)) return;
    pthread_mutex_lock(&s->wmu);
    uint8_t rec[ROOT_FIXED];
    strata_oid zero;
    memset(&zero, 0, sizeof zero);
    size_t rl = strata_store__encode_root(rec, "", 0, &zero, s->batch_start, s->end, s->chain, 0);
    int rc = strata_vfs__write(s->active->f, s->end, rec, rl);
    if (!rc) {
        s->end += rl;
        s->batch_start = s->end;
        s->chain = strata_store__chain_init(s->end);
        s->ckpt_end = s->end;
        target = STORE_LSN(s->active->no, s->end);
    }
    pthread_mutex_unlock(&s->wmu);
    if (!rc) strata_store__group_sync(s, target);
}

void strata_store__close(strata_store *s)
{
    if (!s) return;
    strata_store__syncer_stop(s);
    if (!s->read_only && s->active && !strata_vfs__crashed() && !strata_store__is_poisoned(s)) {
        /* under the write lock, whose refresh also cuts the bytes of a failed write beyond the
         * last good record; OFF never syncs, so it writes no checkpoint (the next writer cuts) */
        if (s->opt.durability != STRATA_DURABILITY_OFF && strata_store__lock(s) == 0) {
            checkpoint(s);
            strata_store__unlock(s);
        }
        strata_error_clear();
    }
    store_free(s);
}

/* ---- refresh and the write lock ----------------------------------------------------------- */

/* Continue scanning the active segment from where the last scan stopped; with `cut`, a torn
 * tail (left by a writer killed while it held the write lock) is cut. */
static int rescan_active(strata_store *s, int cut)
{
    uint64_t size;
    int rc = strata_vfs__size(s->active->f, &size);
    if (rc) return rc;
    if (s->rstate.off < SEG_HDR_SIZE) s->rstate.off = SEG_HDR_SIZE; /* header was missing */
    store_scan_sums c;
    int torn;
    store_scan_state st = s->rstate;
    rc = strata_store__scan_segment(s, s->active->f, size, &s->act, 0, &st, &torn, &c);
    pthread_rwlock_wrlock(&s->rw);
    s->act_raw += c.raw;
    s->act_dead += c.dead;
    pthread_rwlock_unlock(&s->rw);
    if (rc) return rc;
    if (cut && torn) rc = strata_vfs__truncate(s->active->f, st.off);
    if (rc) return rc;
    s->rstate = st;
    adopt_scan(s, c.last_c_end);
    return 0;
}

/* Move the handle's active segment g into the sealed list in one step (caller holds wmu and has
 * reserved the list), so that a concurrent lookup always finds its objects somewhere. With
 * keep_table the scanned records table becomes g's own (g has no index). */
static void retire_active(strata_store *s, store_seg *g, int keep_table)
{
    pthread_rwlock_wrlock(&s->rw);
    store_otab t = s->act;
    memset(&s->act, 0, sizeof s->act);
    if (keep_table) {
        g->ram = t;
        memset(&t, 0, sizeof t);
        g->idx.count = g->ram.n;
        g->idx.raw_bytes = s->act_raw;
        g->idx.dead = s->act_dead;
        g->idx.seg_len = g->size = s->rstate.off;
    }
    s->act_raw = s->act_dead = 0;
    s->active = NULL;
    strata_store__sealed_push_locked(s, g);
    pthread_rwlock_unlock(&s->rw);
    strata_store__otab_free(&t);
}

/* Sealed segments that are no longer listed were swept by another process's GC, whose live
 * records are in newer segments: keep them readable (in-flight reads, old snapshots) but never
 * deduplicate against them, and leave them out of the statistics. */
static void mark_gone(strata_store *s, const uint64_t *segs, size_t n)
{
    pthread_rwlock_wrlock(&s->rw);
    size_t j = 0;
    for (size_t i = 0; i < s->sealed.n; i++) {
        store_seg *g = s->sealed.v[i];
        while (j < n && segs[j] < g->no) j++;
        if (g->gone || (j < n && segs[j] == g->no)) continue;
        g->gone = 1;
        s->sealed_count -= g->map ? g->idx.count : g->ram.n;
        s->sealed_raw -= g->idx.raw_bytes;
        s->sealed_dead -= g->idx.dead;
        s->sealed_bytes -= g->size;
    }
    pthread_rwlock_unlock(&s->rw);
}

/* One pass of refresh (caller holds wmu). STRATA_ENOTFOUND when a listed segment vanished
 * before it could be opened (another process's GC deleted it): the caller lists again. */
static int refresh_once(strata_store *s, int cut)
{
    uint64_t *segs = NULL;
    size_t n = 0;
    int rc = strata_store__list_segments(s->dir, &segs, &n);
    if (rc) goto done;
    if (n == 0) {
        rc = strata_err__set(STRATA_ECORRUPT, "%s: store has no segment files", s->dir);
        goto done;
    }
    mark_gone(s, segs, n);
    if (s->active && s->active->no == segs[n - 1]) {
        rc = rescan_active(s, cut);
        goto done;
    }
    /* a new active segment: deletions by a GC may follow it outside any lock we hold, so the
     * next refresh under the write lock lists the directory again */
    if (!cut) s->relist = 1;
    if (s->active) {
        int listed = 0;
        for (size_t i = 0; i < n; i++) listed |= segs[i] == s->active->no;
        if (!listed) {
            /* Another process sealed our active segment and its GC swept and deleted it: every
             * live record in it was copied into a newer sealed segment (loaded below, with the
             * roots table). Keep what we scanned, readable through the open descriptor, as a
             * sealed segment older than the copies (and gone: never a deduplication target). */
            if ((rc = strata_store__sealed_reserve(s)) != 0) goto done;
            store_seg *g = s->active;
            retire_active(s, g, 1);
            mark_gone(s, segs, n);
        }
    }
    /* Another writer moved on: the old active segment and any newer but not last ones are
     * sealed now; load them (from their indexes), then take the newest as the active one. The
     * old active segment's struct stays alive (readers may hold it) and becomes the sealed one. */
    uint64_t lo = s->active ? s->active->no : 0;
    if (!s->active && s->sealed.n) lo = s->sealed.v[s->sealed.n - 1]->no + 1;
    for (size_t i = 0; i + 1 < n; i++) {
        if (segs[i] < lo) continue;
        store_seg *reuse = s->active && s->active->no == segs[i] ? s->active : NULL, *g;
        rc = strata_store__sealed_reserve(s);
        if (!rc) rc = strata_store__load_sealed(s, segs[i], reuse, &g);
        if (rc) goto done;
        if (reuse) retire_active(s, g, 0);
        else add_sealed(s, g);
    }
    if (s->active) { /* cannot happen: it was listed, so it was sealed or is the newest */
        rc = strata_err__set(STRATA_ECORRUPT, "%s: active segment %llu disappeared", s->dir,
                             (unsigned long long)s->active->no);
        goto done;
    }
    rc = open_active(s, segs[n - 1], cut);
done:
    strata_mem__free(segs);
    return rc;
}

/* Publish where the scan of the active segment stands, for the quick check without wmu (caller
 * holds wmu). */
static void publish_scan(strata_store *s)
{
    if (s->active) __atomic_store_n(&s->active->scan_off, s->rstate.off, __ATOMIC_RELEASE);
}

/* 1 when no segment numbered no + 1 exists (0 also when the name does not fit: ask the slow way). */
static int next_absent(strata_store *s, uint64_t no)
{
    char p[4096];
    int n = snprintf(p, sizeof p, "%s/%016llx.seg", s->dir, (unsigned long long)(no + 1));
    if (n < 0 || (size_t)n >= sizeof p) return 0;
    return !strata_vfs__exists(p);
}

/* Nothing to pick up: the active segment ends where our scan did and no newer segment exists. */
static int unchanged(strata_store *s)
{
    uint64_t size;
    if (!s->active || strata_vfs__size(s->active->f, &size) != 0) {
        strata_error_clear();
        return 0;
    }
    if (size != s->rstate.off) return 0;
    if (!s->next_path || s->next_no != s->active->no + 1) { /* once per segment */
        strata_mem__free(s->next_path);
        s->next_no = s->active->no + 1;
        if (!(s->next_path = strata_store__seg_path(s->dir, s->next_no, "seg"))) return 0;
    }
    return !strata_vfs__exists(s->next_path);
}

/* A refresh races other processes' GC, which may delete a listed segment before we open it;
 * each retry lists again and resumes where the last pass stopped. */
#define REFRESH_RETRIES 20

int strata_store__refresh_wmu(strata_store *s, int cut)
{
    if (!cut && __atomic_load_n(&s->locked, __ATOMIC_ACQUIRE)) return 0; /* the lock holder is current by construction */
    if (unchanged(s) && !(cut && s->relist)) {
        publish_scan(s);
        return 0;
    }
    int rc = refresh_once(s, cut);
    for (int i = 0; rc == STRATA_ENOTFOUND && i < REFRESH_RETRIES; i++) {
        strata_error_clear();
        rc = refresh_once(s, cut);
    }
    if (!rc && cut) s->relist = 0;
    if (!rc) s->nrefresh++;
    if (!rc) publish_scan(s);
    return rc;
}

int strata_store__refresh(strata_store *s)
{
    if (!s) return strata_err__set(STRATA_EINVALID, "strata_store__refresh: store is NULL");
    /* the quick check without wmu, so that reads do not queue behind this process's writers:
     * the lock holder is current; else compare the active segment's size with where its scan
     * stands (published with the segment, so the two always belong together) */
    if (__atomic_load_n(&s->locked, __ATOMIC_ACQUIRE)) return 0;
    pthread_rwlock_rdlock(&s->rw);
    store_seg *g = s->active;
    if (g) strata_store__seg_ref(g);
    pthread_rwlock_unlock(&s->rw);
    if (g) {
        uint64_t size, off = __atomic_load_n(&g->scan_off, __ATOMIC_ACQUIRE);
        int same = off && strata_vfs__size(g->f, &size) == 0 && size == off && next_absent(s, g->no);
        strata_error_clear();
        strata_store__seg_unref(s, g);
        if (same) return 0;
    }
    pthread_mutex_lock(&s->wmu);
    int rc = strata_store__refresh_wmu(s, 0);
    pthread_mutex_unlock(&s->wmu);
    return rc;
}

int strata_store__lock(strata_store *s)
{
    if (!s) return strata_err__set(STRATA_EINVALID, "strata_store__lock: store is NULL");
    if (s->read_only) return strata_err__set(STRATA_EINVALID, "store is open read-only");
    pthread_mutex_lock(&s->fmu);
    if (s->ldepth++ > 0) return 0;
    int w = s->opt.lock_wait_ms;
    int rc = strata_vfs__lock(s->lock, 1, w > 0 ? w : -1);
    if (rc) {
        if (rc == STRATA_EBUSY)
            strata_err__set(STRATA_EBUSY, "%s: the write lock stayed busy for %d ms", s->dir, w);
        goto fail;
    }
    pthread_mutex_lock(&s->wmu);
    s->nlocks++;
    __atomic_store_n(&s->locked, 1, __ATOMIC_RELEASE);
    rc = strata_store__refresh_wmu(s, 1);
    if (rc) __atomic_store_n(&s->locked, 0, __ATOMIC_RELEASE);
    else publish_scan(s);
    pthread_mutex_unlock(&s->wmu);
    if (!rc) return 0;
    strata_vfs__unlock(s->lock);
fail:
    s->ldepth--;
    pthread_mutex_unlock(&s->fmu);
    return rc;
}

void strata_store__unlock(strata_store *s)
{
    if (--s->ldepth == 0) {
        /* what we appended is ours already: the next refresh starts after it */
        pthread_mutex_lock(&s->wmu);
        s->rstate.off = s->end;
        s->rstate.batch_start = s->batch_start;
        s->rstate.chain = s->chain;
        publish_scan(s);
        __atomic_store_n(&s->locked, 0, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&s->wmu);
        strata_vfs__unlock(s->lock);
    }
    pthread_mutex_unlock(&s->fmu);
}
