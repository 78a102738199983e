/* The object store at run time: put/get/has, publishing roots with group commit (and the
 * NORMAL-mode background syncer), roots, statistics and iteration. Opening, recovery, refresh
 * and close are in open.c; segment files, indexes and rotation in segment.c; the in-memory hash
 * tables in maps.c; formats and the recovery scanner in format.c; verify/repair in check.c;
 * garbage collection in gc.c.
 *
 * Locking: the write lock (strata_store__lock: `fmu` in the process, flock(LOCK) between
 * processes) is held by every append; `wmu` serialises everything that appends (put, publish,
 * rotation) and a refresh; `rw` guards the lookup structures (tables, segment list, roots) and is held only
 * for memory operations, never across I/O, so get/has/root never wait behind a sync; `smu`
 * guards the group-commit state. Order: fmu, wmu, then rw or smu; never the reverse. */
#include "store/store_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

#define WBUF_KEEP ((size_t)4 << 20)

/* ---- syncing: group commit ---------------------------------------------------------------- */

int strata_store__poisoned_err(void)
{
    return strata_err__set(STRATA_EIO, "store is unusable after a failed sync or write; reopen it");
}

int strata_store__group_sync(strata_store *s, uint64_t target)
{
    int rc = 0;
    pthread_mutex_lock(&s->smu);
    while (s->synced_lsn < target) {
        if (s->poisoned) {
            rc = strata_store__poisoned_err();
            break;
        }
        if (s->syncing) {
            pthread_cond_wait(&s->scond, &s->smu);
            continue;
        }
        s->syncing = 1;
        pthread_mutex_unlock(&s->smu);
        pthread_mutex_lock(&s->wmu);
        /* (no active segment only after a failed refresh: the next write lock retries it) */
        strata_file *f = s->active ? s->active->f : NULL;
        uint64_t now = s->active ? STORE_LSN(s->active->no, s->end) : 0;
        pthread_mutex_unlock(&s->wmu);
        rc = f ? strata_vfs__sync(f) : strata_err__set(STRATA_EIO, "%s: no active segment", s->dir);
        pthread_mutex_lock(&s->smu);
        s->syncing = 0;
        s->nsyncs++;
        if (rc) {
            s->poisoned = rc;
            pthread_cond_broadcast(&s->scond);
            break;
        }
        if (now > s->synced_lsn) s->synced_lsn = now;
        pthread_cond_broadcast(&s->scond);
    }
    pthread_mutex_unlock(&s->smu);
    return rc;
}

int strata_store__is_poisoned(strata_store *s)
{
    pthread_mutex_lock(&s->smu);
    int p = s->poisoned;
    pthread_mutex_unlock(&s->smu);
    return p;
}

/* The NORMAL-mode syncer: every normal_sync_ms, make what was written durable. */
static void *syncer(void *arg)
{
    strata_store *s = arg;
    pthread_mutex_lock(&s->tmu);
    while (!s->thread_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += s->opt.normal_sync_ms / 1000;
        ts.tv_nsec += (long)(s->opt.normal_sync_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->tcond, &s->tmu, &ts);
        if (s->thread_stop) break;
        pthread_mutex_unlock(&s->tmu);
        pthread_mutex_lock(&s->wmu);
        uint64_t target = s->active ? STORE_LSN(s->active->no, s->end) : 0;
        pthread_mutex_unlock(&s->wmu);
        if (target && !strata_store__is_poisoned(s)) strata_store__group_sync(s, target);
        pthread_mutex_lock(&s->tmu);
    }
    pthread_mutex_unlock(&s->tmu);
    return NULL;
}

int strata_store__syncer_start(strata_store *s)
{
    if (pthread_create(&s->thread, NULL, syncer, s) != 0)
        return strata_err__set(STRATA_ENOMEM, "cannot start the NORMAL-mode sync thread");
    s->thread_on = 1;
    return 0;
}

void strata_store__syncer_stop(strata_store *s)
{
    if (!s->thread_on) return;
    pthread_mutex_lock(&s->tmu);
    s->thread_stop = 1;
    pthread_cond_signal(&s->tcond);
    pthread_mutex_unlock(&s->tmu);
    pthread_join(s->thread, NULL);
    s->thread_on = 0;
}

/* ---- appending -------------------------------------------------------------------------- */

/* Rotate first when a record of `reclen` bytes would push a non-empty segment past the size
 * threshold (caller holds wmu). */
static int make_room(strata_store *s, uint64_t reclen)
{
    if (s->end > SEG_HDR_SIZE && s->end + reclen > s->opt.segment_size)
        return strata_store__rotate_locked(s);
    return 0;
}

int strata_store__append_copy_locked(strata_store *s, const uint8_t *rec, size_t len,
                                     const store_rec *r)
{
    if (strata_store__is_poisoned(s)) return strata_store__poisoned_err();
    uint64_t o;
    if (strata_store__otab_find(&s->act, &r->oid, &o)) return 0; /* already in the active segment */
    int rc = make_room(s, len);
    if (rc) return rc;
    pthread_rwlock_wrlock(&s->rw);
    rc = strata_store__otab_reserve(&s->act);
    pthread_rwlock_unlock(&s->rw);
    if (rc) return rc;
    rc = strata_vfs__write(s->active->f, s->end, rec, len);
    if (rc) return rc;
    pthread_rwlock_wrlock(&s->rw);
    strata_store__otab_put(&s->act, &r->oid, s->end);
    s->act_raw += r->raw_len;
    pthread_rwlock_unlock(&s->rw);
    s->end += len;
    s->chain = strata_store__chain_next(s->chain, r->sum);
    return 0;
}

static int writable(strata_store *s, const char *what)
{
    if (!s) return strata_err__set(STRATA_EINVALID, "%s: store is NULL", what);
    if (s->read_only) return strata_err__set(STRATA_EINVALID, "%s: store is open read-only", what);
    return 0;
}

int strata_store__put(strata_store *s, uint8_t type, const void *data, size_t len, strata_oid *out)
{
    int rc = writable(s, "strata_store__put");
    if (rc) return rc;
    if (!out || (!data && len)) return strata_err__set(STRATA_EINVALID, "strata_store__put: NULL argument");
    if ((uint64_t)len > STORE_MAX_OBJECT)
        return strata_err__set(STRATA_ELIMIT, "object of %zu bytes exceeds the %llu-byte limit", len,
                               (unsigned long long)STORE_MAX_OBJECT);
    strata_oid oid;
    rc = strata_hash__object(&oid, type, data, len);
    if (rc) return rc;
    /* Deduplication is decided under the write lock, against the segment list as it is now:
     * another process's GC may have swept an object this handle still holds. */
    if ((rc = strata_store__lock(s)) != 0) return rc;
    store_seg *g;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = strata_store__lookup_live_locked(s, &oid, &g, &off);
    if (found && g->gc_cand) strata_store__gc_note_hit(s, g, &oid); /* deduplicated against GC's input */
    pthread_rwlock_unlock(&s->rw);
    if (found) {
        strata_store__unlock(s);
        *out = oid;
        return 0;
    }
    pthread_mutex_lock(&s->wmu);
    if (strata_store__is_poisoned(s)) {
        rc = strata_store__poisoned_err();
        goto done;
    }
    pthread_rwlock_rdlock(&s->rw);
    found = strata_store__lookup_live_locked(s, &oid, &g, &off);
    if (found && g->gc_cand) strata_store__gc_note_hit(s, g, &oid);
    pthread_rwlock_unlock(&s->rw);
    if (found) goto done;

    /* compress when it saves at least 1/16 */
    const uint8_t *payload = data;
    uint64_t stored = len;
    uint8_t flags = 0;
    s->wbuf.len = 0;
    if (s->opt.compress_level != INT_MIN && len >= STORE_MIN_COMPRESS_LEN) {
        if (!s->cctx) {
            s->cctx = ZSTD_createCCtx_advanced(
                (ZSTD_customMem){strata_store__zalloc, strata_store__zfree, NULL});
            if (!s->cctx) {
                rc = strata_err__set(STRATA_ENOMEM, "cannot allocate a zstd compression context");
                goto done;
            }
        }
        size_t bound = ZSTD_compressBound(len);
        rc = strata_buf__reserve(&s->wbuf, OBJ_HDR_SIZE + bound);
        if (rc) goto done;
        size_t r = ZSTD_compressCCtx(s->cctx, s->wbuf.data + OBJ_HDR_SIZE, bound, data, len,
                                     s->opt.compress_level);
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation) {
                rc = strata_err__set(STRATA_ENOMEM, "zstd: out of memory compressing an object");
                goto done;
            }
        } else if (r < len - len / 16) {
            payload = s->wbuf.data + OBJ_HDR_SIZE;
            stored = r;
            flags = OBJ_FLAG_ZSTD;
        }
    }
    uint64_t reclen = OBJ_HDR_SIZE + stored;
    rc = make_room(s, reclen);
    if (rc) goto done;
    pthread_rwlock_wrlock(&s->rw);
    rc = strata_store__otab_reserve(&s->act);
    pthread_rwlock_unlock(&s->rw);
    if (rc) goto done;
    uint8_t hdr[OBJ_HDR_SIZE];
    uint64_t sum;
    strata_store__encode_obj(hdr, type, flags, &oid, payload, stored, len, &sum);
    if (flags || stored <= ((size_t)1 << 20)) {
        if (!flags) {
            rc = strata_buf__reserve(&s->wbuf, OBJ_HDR_SIZE + stored);
            if (rc) goto done;
            if (stored) memcpy(s->wbuf.data + OBJ_HDR_SIZE, data, stored);
        }
        memcpy(s->wbuf.data, hdr, OBJ_HDR_SIZE);
        rc = strata_vfs__write(s->active->f, s->end, s->wbuf.data, (size_t)reclen);
    } else {
        rc = strata_vfs__write(s->active->f, s->end, hdr, OBJ_HDR_SIZE);
        if (!rc) rc = strata_vfs__write(s->active->f, s->end + OBJ_HDR_SIZE, data, (size_t)stored);
    }
    if (rc) goto done;
    pthread_rwlock_wrlock(&s->rw);
    strata_store__otab_put(&s->act, &oid, s->end);
    s->act_raw += len;
    pthread_rwlock_unlock(&s->rw);
    s->end += reclen;
    s->chain = strata_store__chain_next(s->chain, sum);
done:
    if (s->wbuf.cap > WBUF_KEEP) strata_buf__free(&s->wbuf);
    pthread_mutex_unlock(&s->wmu);
    strata_store__unlock(s);
    if (!rc) *out = oid;
    return rc;
}

static int check_name(const char *name, size_t *len, const char *what)
{
    if (!name) return strata_err__set(STRATA_EINVALID, "%s: root name is NULL", what);
    size_t n = strnlen(name, 256);
    if (n == 0 || n > 255)
        return strata_err__set(STRATA_EINVALID, "%s: root name must be 1-255 bytes", what);
    *len = n;
    return 0;
}

/* Append the root record of `name` (the visible switch) and return the log position that must
 * be durable for it in *target. With `cas`, only if the current root is *expect (NULL: none);
 * else STRATA_STORE_MOVED and nothing is written. */
static int publish_append(strata_store *s, const char *name, int cas, const strata_oid *expect,
                          const strata_oid *root, uint64_t *out_target)
{
    int rc = writable(s, "strata_store__publish");
    if (rc) return rc;
    size_t n;
    if ((rc = check_name(name, &n, "strata_store__publish")) != 0) return rc;
    if (!root) return strata_err__set(STRATA_EINVALID, "strata_store__publish: root is NULL");
    char *copy = strata_mem__strndup(name, n);
    if (!copy) return STRATA_ENOMEM;
    uint64_t target = 0;
    if ((rc = strata_store__lock(s)) != 0) {
        strata_mem__free(copy);
        return rc;
    }
    pthread_mutex_lock(&s->wmu);
    if (strata_store__is_poisoned(s)) {
        rc = strata_store__poisoned_err();
        goto done;
    }
    if (cas) {
        pthread_rwlock_rdlock(&s->rw);
        store_rootent *e = strata_store__rmap_find(&s->roots, name, n);
        int same = expect ? e && strata_oid__cmp(&e->oid, expect) == 0 : e == NULL;
        pthread_rwlock_unlock(&s->rw);
        if (!same) {
            rc = STRATA_STORE_MOVED;
            goto done;
        }
    }
    rc = make_room(s, ROOT_FIXED + n);
    if (rc) goto done;
    pthread_rwlock_wrlock(&s->rw);
    rc = strata_store__rmap_reserve(&s->roots);
    pthread_rwlock_unlock(&s->rw);
    if (rc) goto done;
    pthread_mutex_lock(&s->smu);
    uint64_t synced = STORE_LSN_SEGNO(s->synced_lsn) == s->active->no ? STORE_LSN_OFF(s->synced_lsn)
                                                                      : SEG_HDR_SIZE;
    pthread_mutex_unlock(&s->smu);
    uint8_t rec[ROOT_MAX];
    size_t rl = strata_store__encode_root(rec, name, n, root, s->batch_start, synced, s->chain, s->seq + 1);
    rc = strata_vfs__write(s->active->f, s->end, rec, rl);
    if (rc) goto done;
    s->seq++;
    s->end += rl;
    s->batch_start = s->end;
    s->chain = strata_store__chain_init(s->end);
    pthread_rwlock_wrlock(&s->rw);
    s->act_dead += strata_store__rmap_set(&s->roots, &copy, n, root, s->seq, (uint32_t)rl);
    pthread_rwlock_unlock(&s->rw);
    target = STORE_LSN(s->active->no, s->end);
done:
    pthread_mutex_unlock(&s->wmu);
    strata_store__unlock(s);
    strata_mem__free(copy);
    if (rc) return rc;
    pthread_mutex_lock(&s->smu);
    s->npublish++;
    pthread_mutex_unlock(&s->smu);
    *out_target = target;
    return 0;
}

int strata_store__publish(strata_store *s, const char *name, const strata_oid *root)
{
    uint64_t target;
    int rc = publish_append(s, name, 0, NULL, root, &target);
    if (rc == 0 && s->opt.durability == STRATA_DURABILITY_FULL) rc = strata_store__group_sync(s, target);
    return rc;
}

int strata_store__publish_cas(strata_store *s, const char *name, const strata_oid *expect,
                              const strata_oid *root, uint64_t *ticket)
{
    uint64_t target = 0;
    int rc = publish_append(s, name, 1, expect, root, &target);
    if (ticket) *ticket = rc == 0 && s->opt.durability == STRATA_DURABILITY_FULL ? target : 0;
    return rc;
}

int strata_store__publish_nowait(strata_store *s, const char *name, const strata_oid *root,
                                 uint64_t *ticket)
{
    uint64_t target = 0;
    int rc = publish_append(s, name, 0, NULL, root, &target);
    if (ticket) *ticket = rc == 0 && s->opt.durability == STRATA_DURABILITY_FULL ? target : 0;
    return rc;
}

int strata_store__wait_durable(strata_store *s, uint64_t ticket)
{
    if (!s) return strata_err__set(STRATA_EINVALID, "strata_store__wait_durable: store is NULL");
    if (ticket == 0) return 0;
    return strata_store__group_sync(s, ticket);
}

int strata_store__sync(strata_store *s)
{
    int rc = writable(s, "strata_store__sync");
    if (rc) return rc;
    pthread_mutex_lock(&s->wmu);
    uint64_t target = STORE_LSN(s->active->no, s->end);
    pthread_mutex_unlock(&s->wmu);
    return strata_store__group_sync(s, target);
}

/* ---- reading ---------------------------------------------------------------------------- */

/* Read the object record at `off` of segment g: one pread for the header and, for most objects,
 * the whole payload; the record checksum (header and stored bytes) is checked, compressed
 * payloads are inflated. The digest is not recomputed here (verify, repair and GC do that). */
int strata_store__read_object(strata_store *s, store_seg *g, uint64_t off, const strata_oid *oid,
                              uint8_t *type, uint8_t **data, size_t *len)
{
    (void)s;
    enum { FIRST = 8192 };
    uint8_t first[OBJ_HDR_SIZE + FIRST];
    store_rec r;
    uint8_t *buf = NULL, *obj = NULL;
    const uint8_t *payload;
    const char *path = strata_vfs__path(g->f);
    size_t got = 0;
    int rc = strata_vfs__read(g->f, off, first, sizeof first, &got);
    if (rc) goto done;
    if (got < OBJ_HDR_SIZE) {
        rc = strata_err__set(STRATA_ECORRUPT, "truncated object record header");
        goto wrap;
    }
    rc = strata_store__decode_obj_header(first, OBJ_HDR_SIZE, &r);
    if (!rc && oid && strata_oid__cmp(&r.oid, oid) != 0)
        rc = strata_err__set(STRATA_ECORRUPT, "record holds a different object");
    if (rc) goto wrap;
    if (r.stored_len <= got - OBJ_HDR_SIZE) {
        payload = first + OBJ_HDR_SIZE;
    } else {
        buf = strata_mem__alloc((size_t)r.stored_len);
        if (!buf) { rc = STRATA_ENOMEM; goto done; }
        size_t have = got - OBJ_HDR_SIZE;
        memcpy(buf, first + OBJ_HDR_SIZE, have);
        rc = strata_vfs__read_exact(g->f, off + OBJ_HDR_SIZE + have, buf + have, (size_t)r.stored_len - have);
        if (rc) goto done;
        payload = buf;
    }
    rc = strata_store__check_obj_payload(first, payload, &r);
    if (rc) goto wrap;
    rc = strata_store__inflate_payload(&r, payload, &obj);
    if (rc == STRATA_ECORRUPT) goto wrap;
    if (rc) goto done;
    *data = obj;
    *len = (size_t)r.raw_len;
    if (type) *type = r.type;
    goto done;
wrap:
    strata_err__wrap(rc, "%s: object record at offset %llu", path, (unsigned long long)off);
done:
    strata_mem__free(buf);
    return rc;
}

int strata_store__get(strata_store *s, const strata_oid *oid, uint8_t *type, uint8_t **data,
                      size_t *len)
{
    if (!s || !oid || !data || !len)
        return strata_err__set(STRATA_EINVALID, "strata_store__get: NULL argument");
    *data = NULL;
    *len = 0;
    store_seg *g;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = strata_store__lookup_locked(s, oid, &g, &off);
    if (found) strata_store__seg_ref(g); /* a GC switch may drop the segment from the list meanwhile */
    pthread_rwlock_unlock(&s->rw);
    if (!found) {
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ENOTFOUND, "object %s not in the store", hex);
    }
    int rc = strata_store__read_object(s, g, off, oid, type, data, len);
    strata_store__seg_unref(s, g);
    return rc;
}

int strata_store__has(strata_store *s, const strata_oid *oid)
{
    if (!s || !oid) return strata_err__set(STRATA_EINVALID, "strata_store__has: NULL argument");
    store_seg *g;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = strata_store__lookup_locked(s, oid, &g, &off);
    if (found && g->gc_cand) strata_store__gc_note_hit(s, g, oid);
    pthread_rwlock_unlock(&s->rw);
    return found;
}

int strata_store__root(strata_store *s, const char *name, strata_oid *out)
{
    if (!s || !out) return strata_err__set(STRATA_EINVALID, "strata_store__root: NULL argument");
    size_t n;
    int rc = check_name(name, &n, "strata_store__root");
    if (rc) return rc;
    pthread_rwlock_rdlock(&s->rw);
    store_rootent *e = strata_store__rmap_find(&s->roots, name, n);
    if (e) *out = e->oid;
    pthread_rwlock_unlock(&s->rw);
    if (!e) return strata_err__set(STRATA_ENOTFOUND, "no root named '%s'", name);
    return 0;
}

int strata_store__roots(strata_store *s,
                        int (*cb)(const char *name, const strata_oid *root, void *payload),
                        void *payload)
{
    if (!s || !cb) return strata_err__set(STRATA_EINVALID, "strata_store__roots: NULL argument");
    /* copy first, so the callback may call back into the store */
    pthread_rwlock_rdlock(&s->rw);
    size_t n = s->roots.n, k = 0, bytes = 0;
    for (size_t i = 0; i < s->roots.cap; i++)
        if (s->roots.e[i].name) bytes += s->roots.e[i].len + 1;
    store_rootent *v = strata_mem__alloc((n ? n : 1) * sizeof *v);
    char *names = strata_mem__alloc(bytes ? bytes : 1);
    if (v && names) {
        char *p = names;
        for (size_t i = 0; i < s->roots.cap; i++) {
            store_rootent *e = &s->roots.e[i];
            if (!e->name) continue;
            v[k] = *e;
            memcpy(p, e->name, e->len + 1);
            v[k++].name = p;
            p += e->len + 1;
        }
    }
    pthread_rwlock_unlock(&s->rw);
    int rc = 0;
    if (!v || !names) rc = STRATA_ENOMEM;
    for (size_t i = 0; !rc && i < k; i++) rc = cb(v[i].name, &v[i].oid, payload);
    strata_mem__free(v);
    strata_mem__free(names);
    return rc;
}

/* ---- statistics and iteration ----------------------------------------------------------- */

int strata_store__stats(strata_store *s, strata_store_stats *out)
{
    if (!s || !out) return strata_err__set(STRATA_EINVALID, "strata_store__stats: NULL argument");
    memset(out, 0, sizeof *out);
    uint64_t end = 0;
    if (!s->read_only) {
        pthread_mutex_lock(&s->wmu);
        end = s->end;
        pthread_mutex_unlock(&s->wmu);
    }
    pthread_rwlock_rdlock(&s->rw);
    out->objects = s->sealed_count + s->act.n;
    out->object_bytes = s->sealed_raw + s->act_raw;
    out->dead_bytes = s->sealed_dead + s->act_dead;
    out->segments = s->sealed.n + (s->active ? 1 : 0);
    out->roots = s->roots.n;
    out->file_bytes = s->sealed_bytes + (s->read_only ? s->rstate.off : end);
    pthread_rwlock_unlock(&s->rw);
    pthread_mutex_lock(&s->smu);
    out->syncs = s->nsyncs;
    out->publishes = s->npublish;
    pthread_mutex_unlock(&s->smu);
    return 0;
}

/* Type and length of the object record at (g, off). */
static int peek_object(store_seg *g, uint64_t off, uint8_t *type, uint64_t *len, strata_oid *oid)
{
    uint8_t hdr[OBJ_HDR_SIZE];
    store_rec r;
    int rc = strata_vfs__read_exact(g->f, off, hdr, sizeof hdr);
    if (!rc) rc = strata_store__decode_obj_header(hdr, sizeof hdr, &r);
    if (rc) return strata_err__wrap(rc, "%s: offset %llu", strata_vfs__path(g->f), (unsigned long long)off);
    *type = r.type;
    *len = r.raw_len;
    if (oid) *oid = r.oid;
    return 0;
}

int strata_store__foreach(strata_store *s,
                          int (*cb)(const strata_oid *oid, uint8_t type, uint64_t len, void *payload),
                          void *payload)
{
    if (!s || !cb) return strata_err__set(STRATA_EINVALID, "strata_store__foreach: NULL argument");
    /* Snapshot the segment list; sealed segments never change. Then each object is reported
     * from the newest segment holding it. The active table is copied. */
    pthread_rwlock_rdlock(&s->rw);
    size_t ns = s->sealed.n;
    store_seg **segs = strata_mem__alloc((ns + 1) * sizeof *segs);
    store_ent *act = strata_mem__alloc((s->act.n ? s->act.n : 1) * sizeof *act);
    size_t na = 0;
    store_seg *ag = s->active;
    if (segs && act) {
        memcpy(segs, s->sealed.v, ns * sizeof *segs);
        for (size_t i = 0; i < ns; i++) strata_store__seg_ref(segs[i]);
        for (size_t i = 0; i < s->act.cap; i++)
            if (s->act.e[i].off) act[na++] = s->act.e[i];
    }
    pthread_rwlock_unlock(&s->rw);
    int rc = 0;
    if (!segs || !act) {
        ns = 0;
        rc = STRATA_ENOMEM;
        goto done;
    }
    for (size_t i = 0; !rc && i < na; i++) {
        uint8_t t;
        uint64_t l;
        rc = peek_object(ag, act[i].off, &t, &l, NULL);
        if (!rc) rc = cb(&act[i].oid, t, l, payload);
    }
    for (size_t k = ns; !rc && k-- > 0;) {
        store_seg *g = segs[k];
        uint64_t cnt = g->map ? g->idx.count : g->ram.cap;
        for (uint64_t i = 0; !rc && i < cnt; i++) {
            strata_oid oid;
            uint64_t off;
            if (g->map) {
                memcpy(oid.id, g->idx.digests + 32 * i, 32);
                off = strata_le64(g->idx.offsets + 8 * i);
            } else {
                if (!g->ram.e[i].off) continue;
                oid = g->ram.e[i].oid;
                off = g->ram.e[i].off;
            }
            /* skip copies that a newer segment also holds */
            store_seg *ng;
            uint64_t o2;
            pthread_rwlock_rdlock(&s->rw);
            int dup = strata_store__lookup_locked(s, &oid, &ng, &o2) && ng != g;
            pthread_rwlock_unlock(&s->rw);
            if (dup) continue;
            uint8_t t;
            uint64_t l;
            rc = peek_object(g, off, &t, &l, NULL);
            if (!rc) rc = cb(&oid, t, l, payload);
        }
    }
done:
    for (size_t i = 0; i < ns; i++) strata_store__seg_unref(s, segs[i]);
    strata_mem__free(segs);
    strata_mem__free(act);
    return rc;
}

