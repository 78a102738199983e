/* The object store at run time: opening (with recovery), put/get/has, publishing roots with
 * group commit, segment rotation with sealed on-disk indexes, read-only refresh, statistics
 * and iteration. Formats and the recovery scanner are in format.c; verify/repair in check.c.
 *
 * Locking: `wmu` serialises everything that appends (put, publish, rotation) and a reader's
 * refresh; `rw` guards the lookup structures (tables, segment list, roots) and is held only
 * for memory operations, never across I/O, so get/has/root never wait behind a sync; `smu`
 * guards the group-commit state. Order: wmu, then rw or smu; never the reverse. */
#include "store/store_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

#define DEFAULT_SEGMENT_SIZE ((uint64_t)64 << 20)
#define MAX_SEGMENT_SIZE ((uint64_t)1 << 36)
#define MIN_SEGMENT_SIZE ((uint64_t)1024)
/* zstd's fast level -1: on tree nodes it keeps nearly level 3's ratio (~300 vs ~290 MB for the
 * bench's 300k-record load with full history) at two thirds of its CPU (docs/benchmarks.md). */
#define DEFAULT_COMPRESS_LEVEL (-1)
#define DEFAULT_NORMAL_SYNC_MS 1000
#define MIN_COMPRESS_LEN 64
#define WBUF_KEEP ((size_t)4 << 20)

/* ---- the object table ------------------------------------------------------------------- */

static size_t slot_of(const strata_oid *oid, size_t cap)
{
    return (size_t)strata_le64(oid->id) & (cap - 1);
}

int store_otab_find(const store_otab *t, const strata_oid *oid, uint64_t *off)
{
    if (!t->cap) return 0;
    for (size_t i = slot_of(oid, t->cap);; i = (i + 1) & (t->cap - 1)) {
        if (t->e[i].off == 0) return 0;
        if (memcmp(t->e[i].oid.id, oid->id, STRATA_OID_SIZE) == 0) {
            *off = t->e[i].off;
            return 1;
        }
    }
}

void store_otab_put(store_otab *t, const strata_oid *oid, uint64_t off)
{
    size_t i = slot_of(oid, t->cap);
    while (t->e[i].off != 0) i = (i + 1) & (t->cap - 1);
    t->e[i].oid = *oid;
    t->e[i].off = off;
    t->n++;
}

/* Make room for one more entry (load factor <= 5/8). Caller holds rw for writing when the table
 * is shared. 0 or STRATA_ENOMEM (table unchanged). */
int store_otab_reserve(store_otab *t)
{
    if ((t->n + 1) * 8 <= t->cap * 5) return 0;
    size_t nc = t->cap ? t->cap * 2 : 64;
    store_ent *ne = strata_mem__calloc(nc, sizeof *ne);
    if (!ne) return STRATA_ENOMEM;
    store_otab nt = {ne, nc, 0};
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].off) store_otab_put(&nt, &t->e[i].oid, t->e[i].off);
    strata_mem__free(t->e);
    *t = nt;
    return 0;
}

void store_otab_free(store_otab *t)
{
    strata_mem__free(t->e);
    memset(t, 0, sizeof *t);
}

/* ---- the roots map ---------------------------------------------------------------------- */

static store_rootent *rmap_find(const store_rmap *m, const char *name, size_t len)
{
    if (!m->cap) return NULL;
    size_t i = (size_t)strata_hash__sum64(name, len, 0) & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        store_rootent *e = &m->e[i];
        if (!e->name) return NULL;
        if (e->len == len && memcmp(e->name, name, len) == 0) return e;
    }
}

static store_rootent *rmap_slot(store_rmap *m, const char *name, size_t len)
{
    size_t i = (size_t)strata_hash__sum64(name, len, 0) & (m->cap - 1);
    while (m->e[i].name && !(m->e[i].len == len && memcmp(m->e[i].name, name, len) == 0))
        i = (i + 1) & (m->cap - 1);
    return &m->e[i];
}

static int rmap_reserve(store_rmap *m)
{
    if ((m->n + 1) * 4 <= m->cap * 3) return 0;
    size_t nc = m->cap ? m->cap * 2 : 16;
    store_rootent *ne = strata_mem__calloc(nc, sizeof *ne);
    if (!ne) return STRATA_ENOMEM;
    store_rmap nm = {ne, nc, m->n};
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].name) *rmap_slot(&nm, m->e[i].name, m->e[i].len) = m->e[i];
    strata_mem__free(m->e);
    *m = nm;
    return 0;
}

/* Set name -> root. The map must have room (rmap_reserve). *owned is a heap copy of the name,
 * taken (set to NULL) when the name is new. Returns the superseded record's size, or 0. */
static uint32_t rmap_set(store_rmap *m, char **owned, size_t len, const strata_oid *oid,
                         uint64_t seq, uint32_t rec_size)
{
    store_rootent *e = rmap_slot(m, *owned, len);
    uint32_t old = 0;
    if (e->name) {
        if (e->seq > seq) return rec_size; /* an older record: itself dead */
        old = e->rec_size;
    } else {
        e->name = *owned;
        e->len = len;
        *owned = NULL;
        m->n++;
    }
    e->oid = *oid;
    e->seq = seq;
    e->rec_size = rec_size;
    return old;
}

static void rmap_free(store_rmap *m)
{
    for (size_t i = 0; i < m->cap; i++) strata_mem__free(m->e[i].name);
    strata_mem__free(m->e);
    memset(m, 0, sizeof *m);
}

/* ---- paths and listing ------------------------------------------------------------------ */

char *store_seg_path(const char *dir, uint64_t no, const char *ext)
{
    strata_buf b = {0};
    if (strata_buf__printf(&b, "%s/%016llx.%s", dir, (unsigned long long)no, ext) ||
        strata_buf__putc(&b, 0)) {
        strata_buf__free(&b);
        return NULL;
    }
    return (char *)b.data;
}

static char *dir_path(const char *dir, const char *name)
{
    strata_buf b = {0};
    if (strata_buf__printf(&b, "%s/%s", dir, name) || strata_buf__putc(&b, 0)) {
        strata_buf__free(&b);
        return NULL;
    }
    return (char *)b.data;
}

typedef struct seglist {
    uint64_t *v;
    size_t n, cap;
    int rc;
} seglist;

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

static int list_cb(const char *name, void *payload)
{
    seglist *l = payload;
    uint64_t no;
    if (!parse_segname(name, "seg", &no) || no == 0) return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        uint64_t *nv = strata_mem__realloc(l->v, nc * sizeof *nv);
        if (!nv) return l->rc = STRATA_ENOMEM;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = no;
    return 0;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int store_list_segments(const char *dir, uint64_t **out, size_t *n)
{
    seglist l = {0};
    int rc = strata_vfs__list(dir, list_cb, &l);
    if (rc) {
        strata_mem__free(l.v);
        return rc;
    }
    if (l.n) qsort(l.v, l.n, sizeof *l.v, u64_cmp);
    *out = l.v;
    *n = l.n;
    return 0;
}

/* Remove leftover "*.tmp" files of an interrupted rotation, and index files whose segment is
 * gone (GC deletes a swept segment before its index; a crash in between leaves the index). Writers
 * only. */
static int tmp_cb(const char *name, void *payload)
{
    const char *dir = payload;
    size_t n = strlen(name);
    uint64_t no;
    if (n > 4 && strcmp(name + n - 4, ".tmp") == 0) {
        char *p = dir_path(dir, name);
        if (!p) return STRATA_ENOMEM;
        strata_vfs__remove(p);
        strata_mem__free(p);
    } else if (parse_segname(name, "idx", &no)) {
        char *sp = store_seg_path(dir, no, "seg");
        if (!sp) return STRATA_ENOMEM;
        if (!strata_vfs__exists(sp)) {
            char *p = dir_path(dir, name);
            if (!p) {
                strata_mem__free(sp);
                return STRATA_ENOMEM;
            }
            strata_vfs__remove(p);
            strata_mem__free(p);
        }
        strata_mem__free(sp);
    }
    return 0;
}

/* ---- buffered file source for the scanner ------------------------------------------------ */

int store_filesrc_read(void *ctx, uint64_t off, size_t want, const uint8_t **out, size_t *got)
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

/* ---- scanning segments into tables -------------------------------------------------------- */

typedef struct scanctx {
    strata_store *s;
    store_otab *t;      /* table receiving objects */
    int shared;         /* t / roots are visible to other threads: take rw */
    uint64_t raw, dead; /* payload bytes, dead bytes found */
    uint64_t count;
    uint64_t last_c_end; /* end of the last checkpoint record seen */
} scanctx;

static int scan_cb(const store_rec *r, uint64_t off, const uint8_t *bytes, void *payload)
{
    (void)bytes;
    scanctx *c = payload;
    strata_store *s = c->s;
    int rc = 0;
    if (c->shared) pthread_rwlock_wrlock(&s->rw);
    if (r->kind == 'O') {
        uint64_t o;
        store_seg *sg;
        if (store_otab_find(c->t, &r->oid, &o) || (c->t == &s->act && store_lookup_locked(s, &r->oid, &sg, &o))) {
            c->dead += r->size;
        } else if ((rc = store_otab_reserve(c->t)) == 0) {
            store_otab_put(c->t, &r->oid, off);
            c->raw += r->raw_len;
            c->count++;
        }
    } else if (r->kind == 'C') {
        c->dead += r->size;
        c->last_c_end = off + r->size;
    } else {
        char *name = strata_mem__strndup((const char *)r->name, r->name_len);
        if (!name || (rc = rmap_reserve(&s->roots)) != 0) {
            rc = STRATA_ENOMEM;
        } else {
            c->dead += rmap_set(&s->roots, &name, r->name_len, &r->oid, r->seq, (uint32_t)r->size);
            if (r->seq > s->seq) s->seq = r->seq;
        }
        strata_mem__free(name);
    }
    if (c->shared) pthread_rwlock_unlock(&s->rw);
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
    if (!nm || rmap_reserve(&ir->m)) {
        strata_mem__free(nm);
        return STRATA_ENOMEM;
    }
    rmap_set(&ir->m, &nm, n, oid, seq, rec_size);
    strata_mem__free(nm);
    if (seq > ir->seq) ir->seq = seq;
    return 0;
}

static void seg_free(store_seg *g)
{
    if (!g) return;
    strata_vfs__close(g->f);
    strata_vfs__unmap(g->map, g->map_len);
    store_otab_free(&g->ram);
    strata_mem__free(g);
}

void store_seg_ref(store_seg *g) { __atomic_add_fetch(&g->refs, 1, __ATOMIC_ACQ_REL); }

void store_seg_unref(strata_store *s, store_seg *g)
{
    if (!g || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (g->doomed) {
        /* swept by GC and no reader holds it any more: its live objects were copied into newer,
         * sealed segments before it left the list. Best effort: a file left behind is only
         * space (a later GC sweeps it again); an orphan index is removed at the next open. */
        char *sp = store_seg_path(s->dir, g->no, "seg"), *ip = store_seg_path(s->dir, g->no, "idx");
        if (sp) strata_vfs__remove(sp);
        if (ip) strata_vfs__remove(ip);
        strata_mem__free(sp);
        strata_mem__free(ip);
        strata_error_clear();
    }
    seg_free(g);
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

/* Write an index image to "<no>.idx" atomically (tmp file, sync, rename, sync dir). */
static int write_index_file(strata_store *s, uint64_t no, const uint8_t *img, size_t len)
{
    char *path = store_seg_path(s->dir, no, "idx"), *tmp = store_seg_path(s->dir, no, "idx.tmp");
    strata_file *f = NULL;
    int rc = STRATA_ENOMEM;
    if (!path || !tmp) goto done;
    rc = strata_vfs__open(&f, tmp, STRATA_VFS_RDWR | STRATA_VFS_CREATE | STRATA_VFS_TRUNC);
    if (rc) goto done;
    rc = strata_vfs__write(f, 0, img, len);
    if (!rc) rc = strata_vfs__sync(f);
    strata_vfs__close(f);
    if (!rc) rc = strata_vfs__rename(tmp, path);
    if (!rc) rc = strata_vfs__sync_dir(s->dir);
    if (rc) strata_vfs__remove(tmp);
done:
    strata_mem__free(path);
    strata_mem__free(tmp);
    return rc;
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
    rc = store_build_index(img, len, no, seg_len, ents, n, rs, nr, s->seq, dead, raw);
done:
    strata_mem__free(ents);
    strata_mem__free(rs);
    return rc;
}

static int check_seg_header(strata_file *f, const char *path, uint64_t no)
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

/* Load sealed segment `no`: use its index when it verifies; otherwise scan the segment (any
 * damage is corruption) and, for a writer, write a fresh index. Replaces/extends s->roots so
 * that afterwards they are the roots as of this segment's end. On success *out is the segment
 * and the caller owns it. */
static int load_sealed(strata_store *s, uint64_t no, store_seg *reuse, store_seg **out)
{
    *out = NULL;
    store_seg *g = reuse ? reuse : strata_mem__calloc(1, sizeof *g);
    char *path = store_seg_path(s->dir, no, "seg"), *ipath = store_seg_path(s->dir, no, "idx");
    store_filesrc fs = {0};
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
    rc = check_seg_header(g->f, path, no);
    if (rc) goto done;
    rc = map_index(g, ipath);
    if (rc == STRATA_EVERSION || rc == STRATA_ENOMEM || rc == STRATA_EIO) goto done;
    if (rc == 0) {
        rc = store_idx_roots(&g->idx, idxroot_cb, &ir);
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
    fs.f = g->f;
    store_src src = {store_filesrc_read, &fs, g->size, path};
    store_scan_state st = {SEG_HDR_SIZE, SEG_HDR_SIZE, store_chain_init(SEG_HDR_SIZE)};
    scanctx c = {.s = s, .t = &g->ram, .shared = 1};
    int torn = 0;
    rc = store_scan(&src, &st, SCAN_SEALED, scan_cb, &c, &torn);
    if (rc) goto done;
    if (!s->read_only) {
        size_t len;
        rc = build_index_from(s, no, g->size, &g->ram, c.dead, c.raw, &img, &len);
        if (!rc) rc = write_index_file(s, no, img, len);
        if (!rc) rc = map_index(g, ipath);
        if (rc) goto done;
        store_otab_free(&g->ram);
    } else {
        g->idx.count = c.count;
        g->idx.raw_bytes = c.raw;
        g->idx.dead = c.dead;
        g->idx.seg_len = g->size;
    }
done:
    rmap_free(&ir.m);
    strata_buf__free(&fs.buf);
    strata_mem__free(img);
    strata_mem__free(path);
    strata_mem__free(ipath);
    if (rc && !reuse) seg_free(g);
    else if (rc) store_otab_free(&g->ram);
    else *out = g;
    return rc;
}

static int sealed_reserve(strata_store *s)
{
    if (s->nsealed < s->capsealed) return 0;
    size_t nc = s->capsealed ? s->capsealed * 2 : 8;
    pthread_rwlock_wrlock(&s->rw);
    store_seg **nv = strata_mem__realloc(s->sealed, nc * sizeof *nv);
    if (nv) {
        s->sealed = nv;
        s->capsealed = nc;
    }
    pthread_rwlock_unlock(&s->rw);
    return nv ? 0 : STRATA_ENOMEM;
}

/* Append a loaded sealed segment (list reserved) and account for it. */
static void add_sealed(strata_store *s, store_seg *g)
{
    pthread_rwlock_wrlock(&s->rw);
    s->sealed[s->nsealed++] = g;
    s->sealed_count += g->map ? g->idx.count : g->ram.n;
    s->sealed_raw += g->idx.raw_bytes;
    s->sealed_dead += g->idx.dead;
    s->sealed_bytes += g->size;
    pthread_rwlock_unlock(&s->rw);
}

int store_lookup_locked(strata_store *s, const strata_oid *oid, store_seg **seg, uint64_t *off)
{
    if (s->active && store_otab_find(&s->act, oid, off)) {
        *seg = s->active;
        return 1;
    }
    for (size_t i = s->nsealed; i-- > 0;) {
        store_seg *g = s->sealed[i];
        if (g->map ? store_idx_find(&g->idx, oid, off) : store_otab_find(&g->ram, oid, off)) {
            *seg = g;
            return 1;
        }
    }
    return 0;
}

/* ---- opening ---------------------------------------------------------------------------- */

static int write_file_atomic(const char *dir, const char *name, const void *p, size_t n)
{
    char *path = dir_path(dir, name), *tmp = NULL;
    strata_buf b = {0};
    int rc = STRATA_ENOMEM;
    if (!path || strata_buf__printf(&b, "%s.tmp", path) || strata_buf__putc(&b, 0)) goto done;
    tmp = (char *)b.data;
    strata_file *f;
    rc = strata_vfs__open(&f, tmp, STRATA_VFS_RDWR | STRATA_VFS_CREATE | STRATA_VFS_TRUNC);
    if (rc) goto done;
    rc = strata_vfs__write(f, 0, p, n);
    if (!rc) rc = strata_vfs__sync(f);
    strata_vfs__close(f);
    if (!rc) rc = strata_vfs__rename(tmp, path);
    if (!rc) rc = strata_vfs__sync_dir(dir);
    if (rc) strata_vfs__remove(tmp);
done:
    strata_mem__free(path);
    strata_mem__free(tmp);
    return rc;
}

/* Create segment `no` with its header, synced, and the directory entry synced. */
static int create_segment(strata_store *s, uint64_t no, strata_file **out)
{
    char *path = store_seg_path(s->dir, no, "seg");
    if (!path) return STRATA_ENOMEM;
    strata_file *f = NULL;
    int rc = strata_vfs__open(&f, path, STRATA_VFS_RDWR | STRATA_VFS_CREATE | STRATA_VFS_EXCL);
    if (rc) goto done;
    uint8_t h[SEG_HDR_SIZE];
    store_encode_seg_header(h, no);
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

/* A brand-new store: segment 1, then the STORE marker (its presence means "created"). */
static int create_store(strata_store *s)
{
    strata_file *f = NULL;
    int rc = create_segment(s, 1, &f);
    strata_vfs__close(f);
    if (rc) return rc;
    uint8_t h[STORE_FILE_SIZE];
    store_encode_store_file(h, (uint64_t)time(NULL));
    return write_file_atomic(s->dir, "STORE", h, sizeof h);
}

/* Check the STORE marker and the segment list; create the store when allowed. */
static int check_or_create(strata_store *s, uint64_t **segs, size_t *nsegs)
{
    char *sp = dir_path(s->dir, "STORE");
    if (!sp) return STRATA_ENOMEM;
    int rc = store_list_segments(s->dir, segs, nsegs);
    if (rc) goto done;
    if (strata_vfs__exists(sp)) {
        strata_file *f;
        rc = strata_vfs__open(&f, sp, STRATA_VFS_RDONLY);
        if (rc) goto done;
        uint8_t h[STORE_FILE_SIZE];
        size_t got;
        rc = strata_vfs__read(f, 0, h, sizeof h, &got);
        strata_vfs__close(f);
        if (!rc) rc = store_decode_store_file(h, got, sp);
        if (!rc && *nsegs == 0)
            rc = strata_err__set(STRATA_ECORRUPT, "%s: store has no segment files", s->dir);
        goto done;
    }
    /* no STORE marker */
    int fresh = *nsegs == 0;
    if (*nsegs == 1 && (*segs)[0] == 1) { /* creation interrupted before the marker? */
        char *p = store_seg_path(s->dir, 1, "seg");
        strata_file *f = NULL;
        uint64_t sz = 0;
        if (!p) { rc = STRATA_ENOMEM; goto done; }
        if (strata_vfs__open(&f, p, STRATA_VFS_RDONLY) == 0 && strata_vfs__size(f, &sz) == 0 &&
            sz <= SEG_HDR_SIZE && s->opt.create && !s->read_only) {
            strata_vfs__close(f);
            f = NULL;
            rc = strata_vfs__remove(p);
            fresh = 1;
        }
        strata_vfs__close(f);
        strata_mem__free(p);
        if (rc) goto done;
        if (fresh) *nsegs = 0;
    }
    if (!fresh && *nsegs == 1 && (*segs)[0] == 1 && (!s->opt.create || s->read_only)) {
        /* an interrupted creation (only an empty first segment): there is no store yet */
        char *p = store_seg_path(s->dir, 1, "seg");
        strata_file *f = NULL;
        uint64_t sz = 0;
        if (!p) { rc = STRATA_ENOMEM; goto done; }
        if (strata_vfs__open(&f, p, STRATA_VFS_RDONLY) == 0 && strata_vfs__size(f, &sz) == 0 && sz <= SEG_HDR_SIZE)
            fresh = 1;
        strata_vfs__close(f);
        strata_mem__free(p);
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
    rc = store_list_segments(s->dir, segs, nsegs);
done:
    strata_mem__free(sp);
    return rc;
}

/* Open the active segment `no` and scan it: a writer cuts a torn tail, a reader stops there. */
static int open_active(strata_store *s, uint64_t no)
{
    store_seg *g = strata_mem__calloc(1, sizeof *g);
    char *path = store_seg_path(s->dir, no, "seg");
    store_filesrc fs = {0};
    int rc = STRATA_ENOMEM;
    if (!g || !path) goto done;
    g->no = no;
    g->refs = 1;
    rc = strata_vfs__open(&g->f, path, s->read_only ? STRATA_VFS_RDONLY : STRATA_VFS_RDWR);
    if (rc) goto done;
    uint64_t size;
    rc = strata_vfs__size(g->f, &size);
    if (rc) goto done;
    if (size <= SEG_HDR_SIZE && check_seg_header(g->f, path, no) == STRATA_ECORRUPT) {
        /* the header of a segment created just before a crash never reached the disk */
        strata_error_clear();
        if (!s->read_only) {
            uint8_t h[SEG_HDR_SIZE];
            store_encode_seg_header(h, no);
            rc = strata_vfs__write(g->f, 0, h, sizeof h);
            if (!rc) rc = strata_vfs__truncate(g->f, SEG_HDR_SIZE);
            if (!rc) rc = strata_vfs__sync(g->f);
            if (rc) goto done;
        }
        size = SEG_HDR_SIZE;
    } else {
        rc = check_seg_header(g->f, path, no);
        if (rc) goto done;
    }
    pthread_rwlock_wrlock(&s->rw);
    s->active = g;
    pthread_rwlock_unlock(&s->rw);
    fs.f = g->f;
    store_src src = {store_filesrc_read, &fs, size, path};
    store_scan_state st = {SEG_HDR_SIZE, SEG_HDR_SIZE, store_chain_init(SEG_HDR_SIZE)};
    scanctx c = {.s = s, .t = &s->act, .shared = 1};
    int torn = 0;
    rc = store_scan(&src, &st, 0, scan_cb, &c, &torn);
    if (rc) goto done;
    pthread_rwlock_wrlock(&s->rw);
    s->act_raw = c.raw;
    s->act_dead = c.dead;
    pthread_rwlock_unlock(&s->rw);
    s->rstate = st;
    if (!s->read_only) {
        if (torn) rc = strata_vfs__truncate(g->f, st.off);
        /* Make what is on disk durable, so later root records may claim it. */
        if (!rc) rc = strata_vfs__sync(g->f);
        if (rc) goto done;
        s->nsyncs++;
        s->end = st.off;
        s->ckpt_end = c.last_c_end == st.off ? st.off : 0;
        s->batch_start = st.batch_start;
        s->chain = st.chain;
        s->synced_lsn = STORE_LSN(no, s->end);
    }
done:
    strata_buf__free(&fs.buf);
    strata_mem__free(path);
    if (rc) {
        pthread_rwlock_wrlock(&s->rw);
        store_otab t = s->act;
        memset(&s->act, 0, sizeof s->act);
        s->active = NULL;
        pthread_rwlock_unlock(&s->rw);
        store_otab_free(&t);
        seg_free(g);
    }
    return rc;
}

static void *normal_thread(void *arg);

static void store_free(strata_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nsealed; i++) seg_free(s->sealed[i]);
    strata_mem__free(s->sealed);
    seg_free(s->active);
    store_otab_free(&s->act);
    rmap_free(&s->roots);
    strata_buf__free(&s->wbuf);
    ZSTD_freeCCtx(s->cctx);
    if (s->lock) {
        strata_vfs__unlock(s->lock);
        strata_vfs__close(s->lock);
    }
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

#define OPEN_RETRIES 20

/* Drop every loaded segment and the roots (a read-only open starting over). */
static void unload_segments(strata_store *s)
{
    pthread_rwlock_wrlock(&s->rw);
    for (size_t i = 0; i < s->nsealed; i++) seg_free(s->sealed[i]);
    s->nsealed = 0;
    s->sealed_count = s->sealed_raw = s->sealed_dead = s->sealed_bytes = 0;
    rmap_free(&s->roots);
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
    int rc = STRATA_ENOMEM;
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
        lp = dir_path(dir, "LOCK");
        rc = STRATA_ENOMEM;
        if (!lp) goto done;
        rc = strata_vfs__open(&s->lock, lp, STRATA_VFS_RDWR | STRATA_VFS_CREATE);
        if (rc) goto done;
        rc = strata_vfs__lock(s->lock, 1, o.lock_wait_ms);
        if (rc) {
            if (rc == STRATA_EBUSY)
                strata_err__set(STRATA_EBUSY, "%s: store is open for writing by another handle or "
                                "process", dir);
            goto done;
        }
        rc = strata_vfs__list(dir, tmp_cb, s->dir);
        if (rc) goto done;
    }
    for (int attempt = 0;; attempt++) {
        rc = check_or_create(s, &segs, &nsegs);
        if (rc) goto done;
        for (size_t i = 0; !rc && i + 1 < nsegs; i++) {
            store_seg *g;
            rc = sealed_reserve(s);
            if (!rc) rc = load_sealed(s, segs[i], NULL, &g);
            if (!rc) add_sealed(s, g);
        }
        if (!rc) rc = open_active(s, segs[nsegs - 1]);
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
    if (!o.read_only && o.durability == STRATA_DURABILITY_NORMAL) {
        if (pthread_create(&s->thread, NULL, normal_thread, s) != 0) {
            rc = strata_err__set(STRATA_ENOMEM, "cannot start the NORMAL-mode sync thread");
            goto done;
        }
        s->thread_on = 1;
    }
done:
    strata_mem__free(segs);
    strata_mem__free(lp);
    if (rc) store_free(s);
    else *out = s;
    return rc;
}

/* ---- syncing: group commit ---------------------------------------------------------------- */

static int poisoned_err(void)
{
    return strata_err__set(STRATA_EIO, "store is unusable after a failed sync or write; reopen it");
}

/* Return once everything before log position `target` is durable. One caller (the leader)
 * syncs for all callers waiting meanwhile; callers arriving during a sync wait for the next
 * one unless the running sync already covers them. A failed sync poisons the store. */
static int group_sync(strata_store *s, uint64_t target)
{
    int rc = 0;
    pthread_mutex_lock(&s->smu);
    while (s->synced_lsn < target) {
        if (s->poisoned) {
            rc = poisoned_err();
            break;
        }
        if (s->syncing) {
            pthread_cond_wait(&s->scond, &s->smu);
            continue;
        }
        s->syncing = 1;
        pthread_mutex_unlock(&s->smu);
        pthread_mutex_lock(&s->wmu);
        strata_file *f = s->active->f;
        uint64_t now = STORE_LSN(s->active->no, s->end);
        pthread_mutex_unlock(&s->wmu);
        rc = strata_vfs__sync(f);
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

static int is_poisoned(strata_store *s)
{
    pthread_mutex_lock(&s->smu);
    int p = s->poisoned;
    pthread_mutex_unlock(&s->smu);
    return p;
}

static void *normal_thread(void *arg)
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
        uint64_t target = STORE_LSN(s->active->no, s->end);
        pthread_mutex_unlock(&s->wmu);
        if (!is_poisoned(s)) group_sync(s, target);
        pthread_mutex_lock(&s->tmu);
    }
    pthread_mutex_unlock(&s->tmu);
    return NULL;
}

/* ---- appending -------------------------------------------------------------------------- */

/* Seal the active segment and start the next one (caller holds wmu). On failure the active
 * segment stays active and nothing changes, except that a failed sync poisons the store. */
static int rotate(strata_store *s)
{
    store_seg *old = s->active, *ng = NULL;
    uint8_t *img = NULL;
    size_t len;
    char *ipath = store_seg_path(s->dir, old->no, "idx");
    char *npath = store_seg_path(s->dir, old->no + 1, "seg");
    int rc = STRATA_ENOMEM, created = 0;
    if (!ipath || !npath) goto done;
    rc = sealed_reserve(s);
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
    rc = create_segment(s, ng->no, &ng->f);
    if (rc) goto done;
    created = 1;
    rc = map_index(old, ipath);
    if (rc) goto done;
    /* 5. switch */
    pthread_rwlock_wrlock(&s->rw);
    store_otab t = s->act;
    memset(&s->act, 0, sizeof s->act);
    s->sealed[s->nsealed++] = old;
    s->sealed_count += old->idx.count;
    s->sealed_raw += old->idx.raw_bytes;
    s->sealed_dead += old->idx.dead;
    s->sealed_bytes += old->size;
    s->act_raw = s->act_dead = 0;
    s->active = ng;
    pthread_rwlock_unlock(&s->rw);
    store_otab_free(&t);
    s->end = SEG_HDR_SIZE;
    s->batch_start = SEG_HDR_SIZE;
    s->chain = store_chain_init(SEG_HDR_SIZE);
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
    if (ng) seg_free(ng);
    strata_mem__free(img);
    strata_mem__free(ipath);
    strata_mem__free(npath);
    return rc;
}

/* Rotate first when a record of `reclen` bytes would push a non-empty segment past the size
 * threshold (caller holds wmu). */
static int make_room(strata_store *s, uint64_t reclen)
{
    if (s->end > SEG_HDR_SIZE && s->end + reclen > s->opt.segment_size) return rotate(s);
    return 0;
}

int store_rotate_locked(strata_store *s) { return rotate(s); }

int store_is_poisoned(strata_store *s) { return is_poisoned(s); }

int store_append_copy_locked(strata_store *s, const uint8_t *rec, size_t len, const store_rec *r)
{
    if (is_poisoned(s)) return poisoned_err();
    uint64_t o;
    if (store_otab_find(&s->act, &r->oid, &o)) return 0; /* already in the active segment */
    int rc = make_room(s, len);
    if (rc) return rc;
    pthread_rwlock_wrlock(&s->rw);
    rc = store_otab_reserve(&s->act);
    pthread_rwlock_unlock(&s->rw);
    if (rc) return rc;
    rc = strata_vfs__write(s->active->f, s->end, rec, len);
    if (rc) return rc;
    pthread_rwlock_wrlock(&s->rw);
    store_otab_put(&s->act, &r->oid, s->end);
    s->act_raw += r->raw_len;
    pthread_rwlock_unlock(&s->rw);
    s->end += len;
    s->chain = store_chain_next(s->chain, r->sum);
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
    store_seg *g;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = store_lookup_locked(s, &oid, &g, &off);
    if (found && g->gc_cand) store_gc_note_hit(s, g, &oid); /* deduplicated against GC's input */
    pthread_rwlock_unlock(&s->rw);
    if (found) {
        *out = oid;
        return 0;
    }
    pthread_mutex_lock(&s->wmu);
    if (is_poisoned(s)) {
        rc = poisoned_err();
        goto done;
    }
    pthread_rwlock_rdlock(&s->rw);
    found = store_lookup_locked(s, &oid, &g, &off);
    if (found && g->gc_cand) store_gc_note_hit(s, g, &oid);
    pthread_rwlock_unlock(&s->rw);
    if (found) goto done;

    /* compress when it saves at least 1/16 */
    const uint8_t *payload = data;
    uint64_t stored = len;
    uint8_t flags = 0;
    s->wbuf.len = 0;
    if (s->opt.compress_level != INT_MIN && len >= MIN_COMPRESS_LEN) {
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
    rc = store_otab_reserve(&s->act);
    pthread_rwlock_unlock(&s->rw);
    if (rc) goto done;
    uint8_t hdr[OBJ_HDR_SIZE];
    uint64_t sum;
    store_encode_obj(hdr, type, flags, &oid, payload, stored, len, &sum);
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
    store_otab_put(&s->act, &oid, s->end);
    s->act_raw += len;
    pthread_rwlock_unlock(&s->rw);
    s->end += reclen;
    s->chain = store_chain_next(s->chain, sum);
done:
    if (s->wbuf.cap > WBUF_KEEP) strata_buf__free(&s->wbuf);
    pthread_mutex_unlock(&s->wmu);
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
 * be durable for it in *target. */
static int publish_append(strata_store *s, const char *name, const strata_oid *root, uint64_t *out_target)
{
    int rc = writable(s, "strata_store__publish");
    if (rc) return rc;
    size_t n;
    if ((rc = check_name(name, &n, "strata_store__publish")) != 0) return rc;
    if (!root) return strata_err__set(STRATA_EINVALID, "strata_store__publish: root is NULL");
    char *copy = strata_mem__strndup(name, n);
    if (!copy) return STRATA_ENOMEM;
    uint64_t target = 0;
    pthread_mutex_lock(&s->wmu);
    if (is_poisoned(s)) {
        rc = poisoned_err();
        goto done;
    }
    rc = make_room(s, ROOT_FIXED + n);
    if (rc) goto done;
    pthread_rwlock_wrlock(&s->rw);
    rc = rmap_reserve(&s->roots);
    pthread_rwlock_unlock(&s->rw);
    if (rc) goto done;
    pthread_mutex_lock(&s->smu);
    uint64_t synced = s->synced_lsn >> 40 == s->active->no ? s->synced_lsn & (((uint64_t)1 << 40) - 1)
                                                          : SEG_HDR_SIZE;
    pthread_mutex_unlock(&s->smu);
    uint8_t rec[ROOT_MAX];
    size_t rl = store_encode_root(rec, name, n, root, s->batch_start, synced, s->chain, s->seq + 1);
    rc = strata_vfs__write(s->active->f, s->end, rec, rl);
    if (rc) goto done;
    s->seq++;
    s->end += rl;
    s->batch_start = s->end;
    s->chain = store_chain_init(s->end);
    pthread_rwlock_wrlock(&s->rw);
    s->act_dead += rmap_set(&s->roots, &copy, n, root, s->seq, (uint32_t)rl);
    pthread_rwlock_unlock(&s->rw);
    target = STORE_LSN(s->active->no, s->end);
done:
    pthread_mutex_unlock(&s->wmu);
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
    int rc = publish_append(s, name, root, &target);
    if (rc == 0 && s->opt.durability == STRATA_DURABILITY_FULL) rc = group_sync(s, target);
    return rc;
}

int strata_store__publish_nowait(strata_store *s, const char *name, const strata_oid *root, uint64_t *ticket)
{
    uint64_t target = 0;
    int rc = publish_append(s, name, root, &target);
    if (ticket) *ticket = rc == 0 && s->opt.durability == STRATA_DURABILITY_FULL ? target : 0;
    return rc;
}

int strata_store__wait_durable(strata_store *s, uint64_t ticket)
{
    if (!s) return strata_err__set(STRATA_EINVALID, "strata_store__wait_durable: store is NULL");
    if (ticket == 0) return 0;
    return group_sync(s, ticket);
}

int strata_store__sync(strata_store *s)
{
    int rc = writable(s, "strata_store__sync");
    if (rc) return rc;
    pthread_mutex_lock(&s->wmu);
    uint64_t target = STORE_LSN(s->active->no, s->end);
    pthread_mutex_unlock(&s->wmu);
    return group_sync(s, target);
}

/* Clean close: sync, then append a checkpoint record claiming everything before it and sync
 * again, so that damage anywhere in the segment is later recognised as corruption, not as a
 * torn tail. Skipped when nothing was written since the last checkpoint or root. */
static void checkpoint(strata_store *s)
{
    pthread_mutex_lock(&s->wmu);
    uint64_t target = STORE_LSN(s->active->no, s->end);
    int need = s->end > s->ckpt_end;
    pthread_mutex_unlock(&s->wmu);
    if (!need || group_sync(s, target)) return;
    pthread_mutex_lock(&s->wmu);
    uint8_t rec[ROOT_FIXED];
    strata_oid zero;
    memset(&zero, 0, sizeof zero);
    size_t rl = store_encode_root(rec, "", 0, &zero, s->batch_start, s->end, s->chain, 0);
    int rc = strata_vfs__write(s->active->f, s->end, rec, rl);
    if (!rc) {
        s->end += rl;
        s->batch_start = s->end;
        s->chain = store_chain_init(s->end);
        s->ckpt_end = s->end;
        target = STORE_LSN(s->active->no, s->end);
    }
    pthread_mutex_unlock(&s->wmu);
    if (!rc) group_sync(s, target);
}

void strata_store__close(strata_store *s)
{
    if (!s) return;
    if (s->thread_on) {
        pthread_mutex_lock(&s->tmu);
        s->thread_stop = 1;
        pthread_cond_signal(&s->tcond);
        pthread_mutex_unlock(&s->tmu);
        pthread_join(s->thread, NULL);
    }
    if (!s->read_only && s->active && !strata_vfs__crashed()) {
        if (!is_poisoned(s)) {
            if (s->opt.durability != STRATA_DURABILITY_OFF) checkpoint(s);
            uint64_t sz;
            /* drop bytes of a failed write beyond the last good record */
            if (strata_vfs__size(s->active->f, &sz) == 0 && sz > s->end)
                strata_vfs__truncate(s->active->f, s->end);
        }
    }
    store_free(s);
}

/* ---- reading ---------------------------------------------------------------------------- */

/* Read the object record at `off` of segment g: one pread for the header and, for most objects,
 * the whole payload; the record checksum (header and stored bytes) is checked, compressed
 * payloads are inflated. The digest is not recomputed here (verify, repair and GC do that). */
int store_read_object(strata_store *s, store_seg *g, uint64_t off, const strata_oid *oid,
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
    rc = store_decode_obj_header(first, OBJ_HDR_SIZE, &r);
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
    rc = store_check_obj_payload(first, payload, &r);
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

int strata_store__get(strata_store *s, const strata_oid *oid, uint8_t *type, uint8_t **data, size_t *len)
{
    if (!s || !oid || !data || !len)
        return strata_err__set(STRATA_EINVALID, "strata_store__get: NULL argument");
    *data = NULL;
    *len = 0;
    store_seg *g;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = store_lookup_locked(s, oid, &g, &off);
    if (found) store_seg_ref(g); /* a GC switch may drop the segment from the list meanwhile */
    pthread_rwlock_unlock(&s->rw);
    if (!found) {
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, oid);
        return strata_err__set(STRATA_ENOTFOUND, "object %s not in the store", hex);
    }
    int rc = store_read_object(s, g, off, oid, type, data, len);
    store_seg_unref(s, g);
    return rc;
}

int strata_store__has(strata_store *s, const strata_oid *oid)
{
    if (!s || !oid) return strata_err__set(STRATA_EINVALID, "strata_store__has: NULL argument");
    store_seg *g;
    uint64_t off;
    pthread_rwlock_rdlock(&s->rw);
    int found = store_lookup_locked(s, oid, &g, &off);
    if (found && g->gc_cand) store_gc_note_hit(s, g, oid);
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
    store_rootent *e = rmap_find(&s->roots, name, n);
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

/* ---- readers: refresh ------------------------------------------------------------------- */

/* Continue scanning the active segment from where the last scan stopped. */
static int rescan_active(strata_store *s)
{
    store_filesrc fs = {s->active->f, 0, {0}};
    uint64_t size;
    int rc = strata_vfs__size(s->active->f, &size);
    if (rc) return rc;
    if (s->rstate.off < SEG_HDR_SIZE) s->rstate.off = SEG_HDR_SIZE; /* header was missing */
    store_src src = {store_filesrc_read, &fs, size, strata_vfs__path(s->active->f)};
    scanctx c = {.s = s, .t = &s->act, .shared = 1};
    int torn;
    store_scan_state st = s->rstate;
    rc = store_scan(&src, &st, 0, scan_cb, &c, &torn);
    strata_buf__free(&fs.buf);
    pthread_rwlock_wrlock(&s->rw);
    s->act_raw += c.raw;
    s->act_dead += c.dead;
    pthread_rwlock_unlock(&s->rw);
    if (!rc) s->rstate = st;
    return rc;
}

/* Move the reader's active segment g into the sealed list in one step (caller holds wmu and has
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
    s->sealed[s->nsealed++] = g;
    s->sealed_count += g->map ? g->idx.count : g->ram.n;
    s->sealed_raw += g->idx.raw_bytes;
    s->sealed_dead += g->idx.dead;
    s->sealed_bytes += g->size;
    pthread_rwlock_unlock(&s->rw);
    store_otab_free(&t);
}

/* One pass of refresh (caller holds wmu). STRATA_ENOTFOUND when a listed segment vanished
 * before it could be opened (the writer's GC deleted it): the caller lists again. */
static int refresh_once(strata_store *s)
{
    uint64_t *segs = NULL;
    size_t n = 0;
    int rc = store_list_segments(s->dir, &segs, &n);
    if (rc) goto done;
    if (n == 0) {
        rc = strata_err__set(STRATA_ECORRUPT, "%s: store has no segment files", s->dir);
        goto done;
    }
    if (s->active && s->active->no == segs[n - 1]) {
        rc = rescan_active(s);
        goto done;
    }
    if (s->active) {
        int listed = 0;
        for (size_t i = 0; i < n; i++) listed |= segs[i] == s->active->no;
        if (!listed) {
            /* The writer sealed our active segment and its GC swept and deleted it: every live
             * record in it was copied into a newer sealed segment (loaded below, with the roots
             * table). Keep what we scanned, readable through the open descriptor, as a sealed
             * segment older than the copies. */
            if ((rc = sealed_reserve(s)) != 0) goto done;
            retire_active(s, s->active, 1);
        }
    }
    /* The writer moved on: the old active segment and any newer but not last ones are sealed
     * now; load them (from their indexes), then take the newest as the active one. The old
     * active segment's struct stays alive (readers may hold it) and becomes the sealed one. */
    uint64_t lo = s->active ? s->active->no : 0;
    if (!s->active && s->nsealed) lo = s->sealed[s->nsealed - 1]->no + 1;
    for (size_t i = 0; i + 1 < n; i++) {
        if (segs[i] < lo) continue;
        store_seg *reuse = s->active && s->active->no == segs[i] ? s->active : NULL, *g;
        rc = sealed_reserve(s);
        if (!rc) rc = load_sealed(s, segs[i], reuse, &g);
        if (rc) goto done;
        if (reuse) retire_active(s, g, 0);
        else add_sealed(s, g);
    }
    if (s->active) { /* cannot happen: it was listed, so it was sealed or is the newest */
        rc = strata_err__set(STRATA_ECORRUPT, "%s: active segment %llu disappeared", s->dir,
                             (unsigned long long)s->active->no);
        goto done;
    }
    rc = open_active(s, segs[n - 1]);
done:
    strata_mem__free(segs);
    return rc;
}

/* A reader's refresh races the writer's GC, which may delete a listed segment before we open
 * it; each retry lists again and resumes where the last pass stopped. */
#define REFRESH_RETRIES 20

int strata_store__refresh(strata_store *s)
{
    if (!s) return strata_err__set(STRATA_EINVALID, "strata_store__refresh: store is NULL");
    if (!s->read_only) return 0; /* a writer always sees its own state */
    pthread_mutex_lock(&s->wmu);
    int rc = refresh_once(s);
    for (int i = 0; rc == STRATA_ENOTFOUND && i < REFRESH_RETRIES; i++) {
        strata_error_clear();
        rc = refresh_once(s);
    }
    pthread_mutex_unlock(&s->wmu);
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
    out->segments = s->nsealed + (s->active ? 1 : 0);
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
    if (!rc) rc = store_decode_obj_header(hdr, sizeof hdr, &r);
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
    size_t ns = s->nsealed;
    store_seg **segs = strata_mem__alloc((ns + 1) * sizeof *segs);
    store_ent *act = strata_mem__alloc((s->act.n ? s->act.n : 1) * sizeof *act);
    size_t na = 0;
    store_seg *ag = s->active;
    if (segs && act) {
        memcpy(segs, s->sealed, ns * sizeof *segs);
        for (size_t i = 0; i < ns; i++) store_seg_ref(segs[i]);
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
            int dup = store_lookup_locked(s, &oid, &ng, &o2) && ng != g;
            pthread_rwlock_unlock(&s->rw);
            if (dup) continue;
            uint8_t t;
            uint64_t l;
            rc = peek_object(g, off, &t, &l, NULL);
            if (!rc) rc = cb(&oid, t, l, payload);
        }
    }
done:
    for (size_t i = 0; i < ns; i++) store_seg_unref(s, segs[i]);
    strata_mem__free(segs);
    strata_mem__free(act);
    return rc;
}

