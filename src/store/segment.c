/* Segment files: their names and listing, opening and mapping their index files, loading a
 * sealed segment (from its index, or by scanning it when the index is missing or damaged),
 * scanning a segment into the in-memory tables, the sealed-segment list and the lookup over it,
 * creating a segment, and rotation (sealing the active segment behind a fresh one). */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/path.h"

/* ---- names and listing -------------------------------------------------------------------- */

/* "<16 hex digits>.<ext>" of segment number `no` into out. */
static void seg_name(char out[32], uint64_t no, const char *ext)
{
    snprintf(out, 32, "%016llx.%s", (unsigned long long)no, ext);
}

char *strata_store__seg_path(const char *dir, uint64_t no, const char *ext)
{
    char name[32];
    seg_name(name, no, ext);
    return strata_path__join(dir, name);
}

static int parse_segname(const char *name, const char *ext, uint64_t *no)
{
    size_t el = strlen(ext);
    if (strlen(name) != 17 + el || name[16] != '.' || strcmp(name + 17, ext) != 0) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = name[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint64_t)d;
    }
    *no = v;
    return 1;
}

typedef STRATA_ARRAY(uint64_t) seglist;

static int list_cb(const char *name, void *payload)
{
    uint64_t no;
    if (!parse_segname(name, "seg", &no) || no == 0) return 0;
    return strata_array__push((seglist *)payload, no);
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int strata_store__list_segments(const char *dir, uint64_t **out, size_t *n)
{
    seglist l = STRATA_ARRAY_INIT;
    int rc = strata_vfs__list(dir, list_cb, &l);
    if (rc) {
        strata_array__free(&l);
        return rc;
    }
    if (l.n) qsort(l.v, l.n, sizeof *l.v, u64_cmp);
    *out = l.v;
    *n = l.n;
    return 0;
}

static int leftover_cb(const char *name, void *payload)
{
    const char *dir = payload;
    size_t n = strlen(name);
    uint64_t no;
    char *p = NULL, *sp = NULL;
    int rc = 0;
    if (n > 4 && strcmp(name + n - 4, ".tmp") == 0) {
        if (!(p = strata_path__join(dir, name))) return STRATA_ENOMEM;
        strata_vfs__remove(p);
    } else if (parse_segname(name, "idx", &no)) {
        if (!(sp = strata_store__seg_path(dir, no, "seg"))) return STRATA_ENOMEM;
        if (!strata_vfs__exists(sp)) {
            if ((p = strata_path__join(dir, name))) strata_vfs__remove(p);
            else rc = STRATA_ENOMEM;
        }
    }
    strata_mem__free(p);
    strata_mem__free(sp);
    return rc;
}

int strata_store__remove_leftovers(const char *dir)
{
    return strata_vfs__list(dir, leftover_cb, (void *)dir);
}

/* ---- scanning a segment into the tables ---------------------------------------------------- */

int strata_store__filesrc_read(void *ctx, uint64_t off, size_t want, const uint8_t **out,
                               size_t *got)
{
    store_filesrc *fs = ctx;
    if (off >= fs->woff && off - fs->woff <= fs->buf.len && want <= fs->buf.len - (off - fs->woff)) {
        *out = fs->buf.data + (off - fs->woff);
        *got = want;
        return 0;
    }
    size_t n = want > ((size_t)1 << 20) ? want : ((size_t)1 << 20);
    fs->buf.len = 0;
    fs->woff = off;
    int rc = strata_buf__reserve(&fs->buf, n);
    if (rc) return rc;
    size_t r;
    rc = strata_vfs__read(fs->f, off, fs->buf.data, n, &r);
    if (rc) return rc;
    fs->buf.len = r;
    *out = fs->buf.data;
    *got = r < want ? r : want;
    return 0;
}

typedef struct scanctx {
    strata_store *s;
    store_otab *t;        /* table receiving objects */
    store_scan_sums sums; /* what was found */
} scanctx;

/* One verified record: an object goes into the table unless it is known already (then its
 * bytes are dead), a root into the roots map (a superseded record is dead), a checkpoint is
 * dead. Each under rw for writing: the tables are visible to other threads. */
static int scan_cb(const store_rec *r, uint64_t off, const uint8_t *bytes, void *payload)
{
    (void)bytes;
    scanctx *c = payload;
    strata_store *s = c->s;
    int rc = 0;
    pthread_rwlock_wrlock(&s->rw);
    if (r->kind == 'O') {
        uint64_t o;
        store_seg *sg;
        if (strata_store__otab_find(c->t, &r->oid, &o)) {
            c->sums.dead += r->size;
        } else if ((rc = strata_store__otab_reserve(c->t)) == 0) {
            /* A copy in the active segment of an object a sealed segment holds (a GC's copy,
             * or a write after another process's GC swept the older one) is indexed all the
             * same: the active segment's index, written when it is sealed, must name every
             * object the segment holds, since the sealed copy may be swept. One of the two
             * copies is dead. */
            if (c->t == &s->act && strata_store__lookup_locked(s, &r->oid, &sg, &o)) {
                c->sums.dead += r->size;
            } else {
                c->sums.raw += r->raw_len;
                c->sums.count++;
            }
            strata_store__otab_put(c->t, &r->oid, off);
        }
    } else if (r->kind == 'C') {
        c->sums.dead += r->size;
        c->sums.last_c_end = off + r->size;
    } else {
        char *name = strata_mem__strndup((const char *)r->name, r->name_len);
        if (!name || (rc = strata_store__rmap_reserve(&s->roots)) != 0) {
            rc = STRATA_ENOMEM;
        } else {
            c->sums.dead += strata_store__rmap_set(&s->roots, &name, r->name_len, &r->oid, r->seq,
                                                   (uint32_t)r->size);
            if (r->seq > s->seq) s->seq = r->seq;
        }
        strata_mem__free(name);
    }
    pthread_rwlock_unlock(&s->rw);
    return rc;
}

int strata_store__scan_segment(strata_store *s, strata_file *f, uint64_t size, store_otab *t,
                               int flags, store_scan_state *st, int *torn, store_scan_sums *sums)
{
    store_filesrc fs = {f, 0, {0}};
    store_src src = {strata_store__filesrc_read, &fs, size, strata_vfs__path(f)};
    scanctx c = {s, t, {0, 0, 0, 0}};
    *torn = 0;
    int rc = strata_store__scan(&src, st, flags, scan_cb, &c, torn);
    strata_buf__free(&fs.buf);
    *sums = c.sums;
    return rc;
}

/* ---- segments and their index files -------------------------------------------------------- */

void strata_store__seg_free(store_seg *g)
{
    if (!g) return;
    strata_vfs__close(g->f);
    strata_vfs__unmap(g->map, g->map_len);
    strata_store__otab_free(&g->ram);
    strata_mem__free(g);
}

void strata_store__seg_ref(store_seg *g) { __atomic_add_fetch(&g->refs, 1, __ATOMIC_ACQ_REL); }

void strata_store__seg_unref(strata_store *s, store_seg *g)
{
    if (!g || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (g->doomed) {
        /* swept by GC and no reader holds it any more: its live objects were copied into newer,
         * sealed segments before it left the list. Best effort: a file left behind is only
         * space (a later GC sweeps it again); an orphan index is removed at the next open. */
        char *sp = strata_store__seg_path(s->dir, g->no, "seg");
        char *ip = strata_store__seg_path(s->dir, g->no, "idx");
        /* normally unlinked already by the run's finish, under the write lock */
        if (sp && strata_vfs__exists(sp)) strata_vfs__remove(sp);
        if (ip && strata_vfs__exists(ip)) strata_vfs__remove(ip);
        strata_mem__free(sp);
        strata_mem__free(ip);
        strata_error_clear();
    }
    strata_store__seg_free(g);
}

/* Map and parse index file `path` for segment g. 0, STRATA_ENOTFOUND, STRATA_ECORRUPT,
 * STRATA_EVERSION or an I/O error. */
static int map_index(store_seg *g, const char *path)
{
    strata_file *f = NULL;
    int rc = strata_vfs__open(&f, path, STRATA_VFS_RDONLY);
    if (rc) return rc;
    uint64_t sz;
    rc = strata_vfs__size(f, &sz);
    if (rc) goto done;
    if (sz < IDX_DIGESTS_OFF + 8 || sz > SIZE_MAX / 2) {
        rc = strata_err__set(STRATA_ECORRUPT, "%s: index truncated (%llu bytes)", path,
                             (unsigned long long)sz);
        goto done;
    }
    const void *m;
    rc = strata_vfs__map(f, (size_t)sz, &m);
    if (rc) goto done;
    store_idx ix;
    rc = strata_store__decode_index(m, (size_t)sz, path, &ix);
    if (!rc && (ix.segno != g->no || ix.seg_len != g->size))
        rc = strata_err__set(STRATA_ECORRUPT, "%s: index describes segment %llu of %llu bytes, file "
                             "is segment %llu of %llu bytes", path, (unsigned long long)ix.segno,
                             (unsigned long long)ix.seg_len, (unsigned long long)g->no,
                             (unsigned long long)g->size);
    if (rc) {
        strata_vfs__unmap(m, (size_t)sz);
        goto done;
    }
    g->map = m;
    g->map_len = (size_t)sz;
    g->idx = ix;
done:
    strata_vfs__close(f);
    return rc;
}

/* Replace the roots map with an index's roots table. */
typedef struct idxroots {
    store_rmap m;
    uint64_t seq;
} idxroots;

static int idxroot_cb(const uint8_t *name, size_t n, const strata_oid *oid, uint64_t seq,
                      uint32_t rec_size, void *payload)
{
    idxroots *ir = payload;
    char *nm = strata_mem__strndup((const char *)name, n);
    if (!nm || strata_store__rmap_reserve(&ir->m)) {
        strata_mem__free(nm);
        return STRATA_ENOMEM;
    }
    strata_store__rmap_set(&ir->m, &nm, n, oid, seq, rec_size);
    strata_mem__free(nm);
    if (seq > ir->seq) ir->seq = seq;
    return 0;
}

/* Write an index image to "<no>.idx" atomically. */
static int write_index_file(strata_store *s, uint64_t no, const uint8_t *img, size_t len)
{
    char name[32];
    seg_name(name, no, "idx");
    return strata_vfs__write_atomic(s->dir, name, img, len);
}

/* Build an index image for a sealed segment from table t and the current roots. */
static int build_index_from(strata_store *s, uint64_t no, uint64_t seg_len, const store_otab *t,
                            uint64_t dead, uint64_t raw, uint8_t **img, size_t *len)
{
    store_ent *ents = strata_mem__alloc((t->n ? t->n : 1) * sizeof *ents);
    store_root_ent *rs = strata_mem__alloc((s->roots.n ? s->roots.n : 1) * sizeof *rs);
    int rc = STRATA_ENOMEM;
    if (!ents || !rs) goto done;
    size_t n = 0, nr = 0;
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].off) ents[n++] = t->e[i];
    for (size_t i = 0; i < s->roots.cap; i++) {
        store_rootent *e = &s->roots.e[i];
        if (!e->name) continue;
        rs[nr].name = e->name;
        rs[nr].len = e->len;
        rs[nr].oid = e->oid;
        rs[nr].seq = e->seq;
        rs[nr].rec_size = e->rec_size;
        nr++;
    }
    rc = strata_store__build_index(img, len, no, seg_len, ents, n, rs, nr, s->seq, dead, raw);
done:
    strata_mem__free(ents);
    strata_mem__free(rs);
    return rc;
}

int strata_store__check_seg_header(strata_file *f, const char *path, uint64_t no)
{
    uint8_t h[SEG_HDR_SIZE];
    size_t got;
    int rc = strata_vfs__read(f, 0, h, sizeof h, &got);
    if (rc) return rc;
    uint64_t hn;
    rc = strata_store__decode_seg_header(h, got, path, &hn);
    if (rc) return rc;
    if (hn != no)
        return strata_err__set(STRATA_ECORRUPT, "%s: header says segment %llu", path,
                               (unsigned long long)hn);
    return 0;
}

int strata_store__load_sealed(strata_store *s, uint64_t no, store_seg *reuse, store_seg **out)
{
    *out = NULL;
    store_seg *g = reuse ? reuse : strata_mem__calloc(1, sizeof *g);
    char *path = strata_store__seg_path(s->dir, no, "seg");
    char *ipath = strata_store__seg_path(s->dir, no, "idx");
    idxroots ir = {{0}, 0};
    uint8_t *img = NULL;
    int rc = STRATA_ENOMEM;
    if (!g || !path || !ipath) goto done;
    rc = 0;
    g->no = no;
    if (!reuse) g->refs = 1;
    if (!g->f) rc = strata_vfs__open(&g->f, path, STRATA_VFS_RDONLY);
    if (rc) goto done;
    rc = strata_vfs__size(g->f, &g->size);
    if (rc) goto done;
    rc = strata_store__check_seg_header(g->f, path, no);
    if (rc) goto done;
    rc = map_index(g, ipath);
    if (rc == STRATA_EVERSION || rc == STRATA_ENOMEM || rc == STRATA_EIO) goto done;
    if (rc == 0) {
        rc = strata_store__idx_roots(&g->idx, idxroot_cb, &ir);
        if (rc) goto done;
        pthread_rwlock_wrlock(&s->rw);
        store_rmap old = s->roots;
        s->roots = ir.m;
        if (ir.seq > s->seq) s->seq = ir.seq;
        pthread_rwlock_unlock(&s->rw);
        ir.m = old;
        goto done;
    }
    /* missing or damaged index: the segment is the truth */
    strata_error_clear();
    store_scan_state st = strata_store__scan_start();
    store_scan_sums c;
    int torn = 0;
    rc = strata_store__scan_segment(s, g->f, g->size, &g->ram, SCAN_SEALED, &st, &torn, &c);
    if (rc) goto done;
    if (__atomic_load_n(&s->locked, __ATOMIC_ACQUIRE)) { /* under the write lock: rebuild the index, as at open */
        size_t len;
        rc = build_index_from(s, no, g->size, &g->ram, c.dead, c.raw, &img, &len);
        if (!rc) rc = write_index_file(s, no, img, len);
        if (!rc) rc = map_index(g, ipath);
        if (rc) goto done;
        strata_store__otab_free(&g->ram);
    } else {
        g->idx.count = c.count;
        g->idx.raw_bytes = c.raw;
        g->idx.dead = c.dead;
        g->idx.seg_len = g->size;
    }
done:
    strata_store__rmap_free(&ir.m);
    strata_mem__free(img);
    strata_mem__free(path);
    strata_mem__free(ipath);
    if (rc && !reuse) strata_store__seg_free(g);
    else if (rc) strata_store__otab_free(&g->ram);
    else *out = g;
    return rc;
}

/* ---- the sealed list --------------------------------------------------------------------- */

int strata_store__sealed_reserve(strata_store *s)
{
    if (s->sealed.n < s->sealed.cap) return 0;
    pthread_rwlock_wrlock(&s->rw); /* lookups walk the list under rw */
    int rc = strata_array__reserve(&s->sealed, 1);
    pthread_rwlock_unlock(&s->rw);
    return rc;
}

void strata_store__sealed_push_locked(strata_store *s, store_seg *g)
{
    s->sealed.v[s->sealed.n++] = g;
    s->sealed_count += g->map ? g->idx.count : g->ram.n;
    s->sealed_raw += g->idx.raw_bytes;
    s->sealed_dead += g->idx.dead;
    s->sealed_bytes += g->size;
}

int strata_store__lookup_locked(strata_store *s, const strata_oid *oid, store_seg **seg,
                                uint64_t *off)
{
    if (s->active && strata_store__otab_find(&s->act, oid, off)) {
        *seg = s->active;
        return 1;
    }
    for (size_t i = s->sealed.n; i-- > 0;) {
        store_seg *g = s->sealed.v[i];
        if (g->map ? strata_store__idx_find(&g->idx, oid, off)
                   : strata_store__otab_find(&g->ram, oid, off)) {
            *seg = g;
            return 1;
        }
    }
    return 0;
}

int strata_store__lookup_live_locked(strata_store *s, const strata_oid *oid, store_seg **seg,
                                     uint64_t *off)
{
    if (s->active && strata_store__otab_find(&s->act, oid, off)) {
        *seg = s->active;
        return 1;
    }
    for (size_t i = s->sealed.n; i-- > 0;) {
        store_seg *g = s->sealed.v[i];
        if (g->gone) continue;
        if (g->map ? strata_store__idx_find(&g->idx, oid, off)
                   : strata_store__otab_find(&g->ram, oid, off)) {
            *seg = g;
            return 1;
        }
    }
    return 0;
}

/* ---- creation and rotation ---------------------------------------------------------------- */

int strata_store__create_segment(strata_store *s, uint64_t no, strata_file **out)
{
    char *path = strata_store__seg_path(s->dir, no, "seg");
    if (!path) return STRATA_ENOMEM;
    strata_file *f = NULL;
    int rc = strata_vfs__open(&f, path, STRATA_VFS_RDWR | STRATA_VFS_CREATE | STRATA_VFS_EXCL);
    if (rc) goto done;
    uint8_t h[SEG_HDR_SIZE];
    strata_store__encode_seg_header(h, no);
    rc = strata_vfs__write(f, 0, h, sizeof h);
    if (!rc) rc = strata_vfs__sync(f);
    if (!rc) rc = strata_vfs__sync_dir(s->dir);
    if (rc) {
        strata_vfs__close(f);
        strata_vfs__remove(path);
        f = NULL;
    }
done:
    strata_mem__free(path);
    *out = f;
    return rc;
}

int strata_store__rotate_locked(strata_store *s)
{
    store_seg *old = s->active, *ng = NULL;
    uint8_t *img = NULL;
    size_t len;
    char *ipath = strata_store__seg_path(s->dir, old->no, "idx");
    char *npath = strata_store__seg_path(s->dir, old->no + 1, "seg");
    int rc = STRATA_ENOMEM, created = 0;
    if (!ipath || !npath) goto done;
    rc = strata_store__sealed_reserve(s);
    if (rc) goto done;
    ng = strata_mem__calloc(1, sizeof *ng);
    if (!ng) { rc = STRATA_ENOMEM; goto done; }
    ng->no = old->no + 1;
    ng->refs = 1;
    /* 1. the whole segment durable */
    rc = strata_vfs__sync(old->f);
    pthread_mutex_lock(&s->smu);
    s->nsyncs++;
    if (rc) s->poisoned = rc;
    else if (STORE_LSN(old->no, s->end) > s->synced_lsn) s->synced_lsn = STORE_LSN(old->no, s->end);
    pthread_cond_broadcast(&s->scond);
    pthread_mutex_unlock(&s->smu);
    if (rc) goto done;
    old->size = s->end;
    /* 2. its index, 3. the next segment, 4. map the index */
    rc = build_index_from(s, old->no, s->end, &s->act, s->act_dead, s->act_raw, &img, &len);
    if (!rc) rc = write_index_file(s, old->no, img, len);
    if (rc) goto done;
    rc = strata_store__create_segment(s, ng->no, &ng->f);
    if (rc) goto done;
    created = 1;
    rc = map_index(old, ipath);
    if (rc) goto done;
    /* 5. switch */
    pthread_rwlock_wrlock(&s->rw);
    store_otab t = s->act;
    memset(&s->act, 0, sizeof s->act);
    strata_store__sealed_push_locked(s, old);
    s->act_raw = s->act_dead = 0;
    s->active = ng;
    pthread_rwlock_unlock(&s->rw);
    strata_store__otab_free(&t);
    s->end = SEG_HDR_SIZE;
    s->batch_start = SEG_HDR_SIZE;
    s->chain = strata_store__chain_init(SEG_HDR_SIZE);
    pthread_mutex_lock(&s->smu);
    s->synced_lsn = STORE_LSN(ng->no, SEG_HDR_SIZE);
    pthread_cond_broadcast(&s->scond);
    pthread_mutex_unlock(&s->smu);
    ng = NULL;
done:
    if (rc && created) {
        strata_vfs__close(ng->f);
        ng->f = NULL;
        strata_vfs__remove(npath);
    }
    if (rc && ipath && old->map == NULL && strata_vfs__exists(ipath)) strata_vfs__remove(ipath);
    if (ng) strata_store__seg_free(ng);
    strata_mem__free(img);
    strata_mem__free(ipath);
    strata_mem__free(npath);
    return rc;
}
