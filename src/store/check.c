/* Offline checking of the object store: verify (read every segment end to end, re-hash every
 * object, check indexes and roots) and repair (salvage every record that verifies into a fresh
 * segment and drop the damaged ones). */
#include "store/store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/array.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/path.h"

/* ---- verify ----------------------------------------------------------------------------- */

typedef struct vctx {
    strata_store *s;
    store_seg *g;        /* segment being read */
    int active;          /* g is the active segment */
    strata_store_verify_report rep;
    void (*problem)(const char *msg, void *payload);
    void *payload;
    int first_code;      /* first problem's code (for the last error) */
    char first[512];     /* first problem's message */
    uint64_t indexed;    /* records of g found in its index */
} vctx;

static void report(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(vctx *v, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!v->rep.problems++) snprintf(v->first, sizeof v->first, "%s", msg);
    if (v->problem) v->problem(msg, v->payload);
}

/* Replayed roots: a small list is enough here (verify is an offline tool). */
typedef struct rp {
    char name[256];
    strata_oid oid;
    uint64_t seq;
} rp;
typedef STRATA_ARRAY(rp) rplist;

static int rplist_set(rplist *l, const uint8_t *name, size_t n, const strata_oid *oid, uint64_t seq)
{
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->v[i].name) == n && memcmp(l->v[i].name, name, n) == 0) {
            if (seq >= l->v[i].seq) {
                l->v[i].oid = *oid;
                l->v[i].seq = seq;
            }
            return 0;
        }
    rp *e = strata_array__add(l);
    if (!e) return STRATA_ENOMEM;
    memcpy(e->name, name, n);
    e->name[n] = 0;
    e->oid = *oid;
    e->seq = seq;
    return 0;
}

typedef struct vscan {
    vctx *v;
    rplist *roots;
} vscan;

static int verify_cb(const store_rec *r, uint64_t off, const uint8_t *bytes, void *payload)
{
    vscan *vs = payload;
    vctx *v = vs->v;
    const char *path = strata_vfs__path(v->g->f);
    if (r->kind == 'R') return rplist_set(vs->roots, r->name, r->name_len, &r->oid, r->seq);
    if (r->kind != 'O') return 0;
    v->rep.objects++;
    uint8_t *obj = NULL;
    int rc = strata_store__decode_payload(r, bytes + OBJ_HDR_SIZE, &obj);
    strata_mem__free(obj);
    if (rc == STRATA_ENOMEM) return rc;
    if (rc) report(v, "%s: object record at offset %llu: %s", path, (unsigned long long)off,
                   strata_error_last()->message);
    uint64_t io = 0;
    int found;
    if (v->active) found = strata_store__otab_find(&v->s->act, &r->oid, &io);
    else if (v->g->map) found = strata_store__idx_find(&v->g->idx, &r->oid, &io);
    else found = strata_store__otab_find(&v->g->ram, &r->oid, &io);
    if (!found) {
        store_seg *og;
        uint64_t oo;
        if (!strata_store__lookup_locked(v->s, &r->oid, &og, &oo))
            report(v, "%s: object record at offset %llu is not indexed", path, (unsigned long long)off);
    } else if (io == off) {
        v->indexed++;
    }
    return 0;
}

int strata_store__verify(strata_store *s, strata_store_verify_report *out,
                         void (*problem)(const char *msg, void *payload), void *payload)
{
    if (!s) return strata_err__set(STRATA_EINVALID, "strata_store__verify: store is NULL");
    vctx v;
    memset(&v, 0, sizeof v);
    v.s = s;
    v.problem = problem;
    v.payload = payload;
    rplist roots = STRATA_ARRAY_INIT;
    store_filesrc fs = {0};
    int rc = strata_store__refresh(s); /* what every process published so far */
    if (rc) return rc;
    pthread_mutex_lock(&s->wmu); /* a stable view: writers wait, readers do not */
    pthread_rwlock_rdlock(&s->rw);
    for (size_t i = 0; i <= s->sealed.n && !rc; i++) {
        int act = i == s->sealed.n;
        store_seg *g = act ? s->active : s->sealed.v[i];
        if (!g) continue;
        uint64_t size = g->size;
        if (act) {
            if (s->read_only) size = s->rstate.off;
            else size = s->end;
        }
        v.g = g;
        v.active = act;
        v.indexed = 0;
        v.rep.segments++;
        fs.f = g->f;
        fs.woff = 0;
        fs.buf.len = 0;
        store_src src = {strata_store__filesrc_read, &fs, size, strata_vfs__path(g->f)};
        store_scan_state st = strata_store__scan_start();
        vscan vs = {&v, &roots};
        int torn = 0;
        rc = strata_store__scan(&src, &st, SCAN_SEALED, verify_cb, &vs, &torn);
        if (rc == STRATA_ECORRUPT) {
            report(&v, "%s", strata_error_last()->message);
            rc = 0;
            continue;
        }
        if (rc) break;
        uint64_t want = act ? s->act.n : g->map ? g->idx.count : g->ram.n;
        if (v.indexed != want)
            report(&v, "%s: index lists %llu objects, %llu records match it",
                   strata_vfs__path(g->f), (unsigned long long)want, (unsigned long long)v.indexed);
    }
    if (!rc) {
        /* roots: replayed from the segments = the ones in memory; each names a stored object */
        for (size_t i = 0; i < roots.n; i++) {
            size_t n = strlen(roots.v[i].name);
            int found = 0;
            for (size_t k = 0; k < s->roots.cap; k++) {
                store_rootent *e = &s->roots.e[k];
                if (e->name && e->len == n && memcmp(e->name, roots.v[i].name, n) == 0) {
                    found = 1;
                    if (memcmp(&e->oid, &roots.v[i].oid, sizeof e->oid) != 0)
                        report(&v, "root '%s': the segments say a different digest than the index",
                               roots.v[i].name);
                }
            }
            if (!found) report(&v, "root '%s' is in the segments but not in the roots table", roots.v[i].name);
        }
        for (size_t k = 0; k < s->roots.cap; k++) {
            store_rootent *e = &s->roots.e[k];
            if (!e->name) continue;
            v.rep.roots++;
            store_seg *og;
            uint64_t oo;
            if (!strata_store__lookup_locked(s, &e->oid, &og, &oo)) {
                char hex[STRATA_OID_HEXSIZE + 1];
                strata_oid_fmt(hex, &e->oid);
                report(&v, "root '%s' names object %s, which is not stored", e->name, hex);
            }
        }
    }
    pthread_rwlock_unlock(&s->rw);
    pthread_mutex_unlock(&s->wmu);
    strata_buf__free(&fs.buf);
    strata_array__free(&roots);
    if (out) *out = v.rep;
    if (rc) return rc;
    if (v.rep.problems)
        return strata_err__set(STRATA_ECORRUPT, "verify found %llu problem(s); first: %s",
                               (unsigned long long)v.rep.problems, v.first);
    return 0;
}

/* ---- repair ------------------------------------------------------------------------------ *
 * Repair never edits a damaged file. It writes one new segment, numbered above every existing
 * one, holding every object record that verifies (checksum and digest; the record bytes are
 * copied verbatim, first copy wins) followed by the latest verifying root record of every name
 * (by sequence number, so the original order is kept) and a checkpoint; syncs it; and only then
 * deletes the old segments and indexes. A crash before the deletions leaves old and new side by
 * side: the next open may refuse again, and repair run again gives the same result. */

typedef struct salvage {
    strata_file *out;       /* the new segment */
    uint64_t end;           /* its length so far */
    uint64_t chain;         /* batch chain over the copied objects */
    store_otab seen;        /* digests copied */
    rplist roots;           /* latest root per name */
    strata_store_repair_report rep;
} salvage;

static int salvage_segment(salvage *sv, const char *path)
{
    strata_file *f = NULL;
    uint8_t *img = NULL;
    int rc = strata_vfs__open(&f, path, STRATA_VFS_RDONLY);
    if (rc) return rc;
    uint64_t size;
    rc = strata_vfs__size(f, &size);
    if (rc) goto done;
    if (size > SIZE_MAX / 2) {
        rc = strata_err__set(STRATA_ELIMIT, "%s: too large to repair", path);
        goto done;
    }
    img = strata_mem__alloc((size_t)size);
    if (!img) { rc = STRATA_ENOMEM; goto done; }
    rc = strata_vfs__read_exact(f, 0, img, (size_t)size);
    if (rc) goto done;
    uint64_t off = SEG_HDR_SIZE;
    if (size < SEG_HDR_SIZE || strata_store__decode_seg_header(img, (size_t)size, path, NULL) != 0) {
        off = 0; /* salvage records even behind a damaged header */
        strata_error_clear();
    }
    while (off < size) {
        store_rec r;
        if (strata_store__decode_record(img + off, (size_t)(size - off), &r) != 0) {
            sv->rep.skipped_bytes++;
            off++;
            continue;
        }
        if (r.kind == 'O') {
            uint8_t *obj = NULL;
            int drc = strata_store__decode_payload(&r, img + off + OBJ_HDR_SIZE, &obj);
            strata_mem__free(obj);
            if (drc == STRATA_ENOMEM) { rc = drc; goto done; }
            if (drc) {
                sv->rep.skipped_bytes++;
                off++;
                continue;
            }
            uint64_t o;
            if (!strata_store__otab_find(&sv->seen, &r.oid, &o)) {
                rc = strata_store__otab_reserve(&sv->seen);
                if (rc) goto done;
                rc = strata_vfs__write(sv->out, sv->end, img + off, (size_t)r.size);
                if (rc) goto done;
                strata_store__otab_put(&sv->seen, &r.oid, sv->end);
                sv->end += r.size;
                sv->chain = strata_store__chain_next(sv->chain, r.sum);
                sv->rep.objects++;
            }
        } else if (r.kind == 'R') {
            rc = rplist_set(&sv->roots, r.name, r.name_len, &r.oid, r.seq);
            if (rc) goto done;
        }
        off += r.size;
    }
done:
    strata_mem__free(img);
    strata_vfs__close(f);
    return rc;
}

static int seq_cmp(const void *a, const void *b)
{
    uint64_t x = ((const rp *)a)->seq, y = ((const rp *)b)->seq;
    return x < y ? -1 : x > y;
}

int strata_store__repair(const char *dir, strata_store_repair_report *out)
{
    if (!dir) return strata_err__set(STRATA_EINVALID, "strata_store__repair: no directory");
    if (!strata_vfs__exists(dir)) return strata_err__set(STRATA_ENOTFOUND, "%s: no store here", dir);
    salvage sv;
    memset(&sv, 0, sizeof sv);
    strata_file *lock = NULL, *open_lock = NULL;
    uint64_t *segs = NULL;
    size_t n = 0;
    char *lp = strata_path__join(dir, "LOCK"), *op = strata_path__join(dir, "OPEN"), *np = NULL;
    int rc = STRATA_ENOMEM;
    if (!lp || !op) goto done;
    /* OPEN exclusively: no read-write handle is open (each holds it shared); then the write lock */
    rc = strata_vfs__open(&open_lock, op, STRATA_VFS_RDWR | STRATA_VFS_CREATE);
    if (!rc) rc = strata_vfs__lock(open_lock, 1, 0);
    if (rc == STRATA_EBUSY) strata_err__set(STRATA_EBUSY, "%s: the store is open for writing; close it first", dir);
    if (rc) goto done;
    rc = strata_vfs__open(&lock, lp, STRATA_VFS_RDWR | STRATA_VFS_CREATE);
    if (!rc) rc = strata_vfs__lock(lock, 1, 0);
    if (rc) goto done;
    rc = strata_store__list_segments(dir, &segs, &n);
    if (rc) goto done;
    uint64_t newno = n ? segs[n - 1] + 1 : 1;
    np = strata_store__seg_path(dir, newno, "seg");
    if (!np) { rc = STRATA_ENOMEM; goto done; }
    rc = strata_vfs__open(&sv.out, np, STRATA_VFS_RDWR | STRATA_VFS_CREATE | STRATA_VFS_TRUNC);
    if (rc) goto done;
    uint8_t h[SEG_HDR_SIZE];
    strata_store__encode_seg_header(h, newno);
    rc = strata_vfs__write(sv.out, 0, h, sizeof h);
    if (rc) goto done;
    sv.end = SEG_HDR_SIZE;
    sv.chain = strata_store__chain_init(SEG_HDR_SIZE);
    for (size_t i = 0; i < n; i++) {
        char *p = strata_store__seg_path(dir, segs[i], "seg");
        if (!p) { rc = STRATA_ENOMEM; goto done; }
        rc = salvage_segment(&sv, p);
        strata_mem__free(p);
        if (rc) goto done;
    }
    /* roots in their original order, then a checkpoint claiming the whole file */
    if (sv.roots.n) qsort(sv.roots.v, sv.roots.n, sizeof *sv.roots.v, seq_cmp);
    uint64_t batch_start = SEG_HDR_SIZE;
    for (size_t i = 0; i < sv.roots.n; i++) {
        uint8_t rec[ROOT_MAX];
        size_t rl = strata_store__encode_root(rec, sv.roots.v[i].name, strlen(sv.roots.v[i].name),
                                      &sv.roots.v[i].oid, batch_start, SEG_HDR_SIZE, sv.chain,
                                      sv.roots.v[i].seq);
        rc = strata_vfs__write(sv.out, sv.end, rec, rl);
        if (rc) goto done;
        sv.end += rl;
        batch_start = sv.end;
        sv.chain = strata_store__chain_init(sv.end);
        sv.rep.roots++;
    }
    rc = strata_vfs__sync(sv.out);
    if (rc) goto done;
    {
        uint8_t rec[ROOT_FIXED];
        strata_oid zero;
        memset(&zero, 0, sizeof zero);
        size_t rl = strata_store__encode_root(rec, "", 0, &zero, batch_start, sv.end, sv.chain, 0);
        rc = strata_vfs__write(sv.out, sv.end, rec, rl);
        if (!rc) rc = strata_vfs__sync(sv.out);
        if (rc) goto done;
    }
    rc = strata_vfs__sync_dir(dir);
    if (rc) goto done;
    /* the marker, then the old files */
    {
        uint8_t m[STORE_FILE_SIZE];
        strata_store__encode_store_file(m, (uint64_t)time(NULL));
        rc = strata_vfs__write_atomic(dir, "STORE", m, sizeof m);
        if (rc) goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char *p = strata_store__seg_path(dir, segs[i], "seg"), *q = strata_store__seg_path(dir, segs[i], "idx");
        if (!p || !q) rc = STRATA_ENOMEM;
        else {
            rc = strata_vfs__remove(p);
            if (strata_vfs__exists(q) && !rc) rc = strata_vfs__remove(q);
        }
        strata_mem__free(p);
        strata_mem__free(q);
        if (rc) goto done;
        sv.rep.segments++;
    }
    rc = strata_vfs__sync_dir(dir);
done:
    if (rc && sv.out) {
        strata_vfs__close(sv.out);
        sv.out = NULL;
        if (np) strata_vfs__remove(np);
    }
    strata_vfs__close(sv.out);
    strata_store__otab_free(&sv.seen);
    strata_array__free(&sv.roots);
    strata_vfs__close(lock);
    strata_vfs__close(open_lock);
    strata_mem__free(segs);
    strata_mem__free(lp);
    strata_mem__free(op);
    strata_mem__free(np);
    if (out) *out = sv.rep;
    return rc;
}
