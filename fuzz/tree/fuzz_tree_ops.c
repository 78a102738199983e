/* Fuzz target: prolly-tree edits. The input is an edit script (batches of puts and deletes with
 * arbitrary keys and values); it is applied to a tree in a scratch store and the result is
 * checked against a simple sorted-array model: count, every get, a full cursor walk in both
 * directions, and the diff against the previous version. Any mismatch aborts.
 *
 * Script: repeated records  [op] [klen] key[klen & 15] ([vlen_lo] [vlen_hi] for puts)
 *   op & 3 == 0: end the current batch; 1, 2: put; 3: delete.
 * A put's value is vlen bytes (at most 1500, so blobs happen) of a pattern derived from op. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "tree/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct ent {
    uint8_t k[16];
    size_t kl;
    uint8_t *v;
    size_t vl;
} ent;

typedef struct model {
    ent e[512];
    size_t n;
} model;

static int cmpk(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (al < bl ? -1 : al > bl);
}

static size_t lower(const model *m, const uint8_t *k, size_t kl)
{
    size_t i = 0;
    while (i < m->n && cmpk(m->e[i].k, m->e[i].kl, k, kl) < 0) i++;
    return i;
}

static void model_apply(model *m, const strata_tree_edit *ed)
{
    size_t i = lower(m, ed->key, ed->klen);
    int found = i < m->n && cmpk(m->e[i].k, m->e[i].kl, ed->key, ed->klen) == 0;
    if (ed->del) {
        if (!found) return;
        free(m->e[i].v);
        memmove(m->e + i, m->e + i + 1, (m->n - i - 1) * sizeof *m->e);
        m->n--;
        return;
    }
    if (!found) {
        if (m->n == 512) return; /* the script generator keeps below this */
        memmove(m->e + i + 1, m->e + i, (m->n - i) * sizeof *m->e);
        m->n++;
        memcpy(m->e[i].k, ed->key, ed->klen);
        m->e[i].kl = ed->klen;
    } else {
        free(m->e[i].v);
    }
    m->e[i].v = malloc(ed->vlen ? ed->vlen : 1);
    if (ed->vlen) memcpy(m->e[i].v, ed->val, ed->vlen);
    m->e[i].vl = ed->vlen;
}

static strata_store *store;
static strata_tree_ctx *ctx;
static char dir[] = "/tmp/fuzz_tree_ops.XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

/* At exit: close the scratch store and remove its directory. */
static void teardown(void)
{
    strata_tree__ctx_free(ctx);
    strata_store__close(store);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
    if (ctx) return;
    if (!mkdtemp(dir)) abort();
    atexit(teardown);
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    o.durability = STRATA_DURABILITY_OFF;
    if (strata_store__open(&store, dir, &o) != 0) abort();
    if (strata_tree__ctx_new(&ctx, store, 1 << 20) != 0) abort();
}

typedef struct dstate {
    const model *a, *b;
    size_t i, j;
} dstate;

/* Each reported difference must be the next one of the models' merge. */
static int diff_check(const void *k, size_t kl, const void *o, size_t ol, const void *nv, size_t nl, void *p)
{
    dstate *d = p;
    for (;;) {
        const ent *x = d->i < d->a->n ? &d->a->e[d->i] : NULL, *y = d->j < d->b->n ? &d->b->e[d->j] : NULL;
        if (!x && !y) abort();
        int c = !x ? 1 : !y ? -1 : cmpk(x->k, x->kl, y->k, y->kl);
        if (c == 0 && x->vl == y->vl && (x->vl == 0 || memcmp(x->v, y->v, x->vl) == 0)) {
            d->i++, d->j++;
            continue;
        }
        const ent *w = c <= 0 ? x : y;
        if (cmpk(w->k, w->kl, k, kl) != 0) abort();
        if ((c <= 0) != (o != NULL) || (c >= 0) != (nv != NULL)) abort();
        if (o && (ol != x->vl || (ol && memcmp(o, x->v, ol)))) abort();
        if (nv && (nl != y->vl || (nl && memcmp(nv, y->v, nl)))) abort();
        if (c <= 0) d->i++;
        if (c >= 0) d->j++;
        return 0;
    }
}

/* After the diff: nothing may remain but equal entries. */
static void diff_done(dstate *d)
{
    while (d->i < d->a->n || d->j < d->b->n) {
        const ent *x = d->i < d->a->n ? &d->a->e[d->i] : NULL, *y = d->j < d->b->n ? &d->b->e[d->j] : NULL;
        if (!x || !y || cmpk(x->k, x->kl, y->k, y->kl) != 0 || x->vl != y->vl ||
            (x->vl && memcmp(x->v, y->v, x->vl) != 0))
            abort();
        d->i++, d->j++;
    }
}

static void check(const strata_oid *root, const model *m)
{
    uint64_t n;
    if (strata_tree__count(ctx, root, &n) != 0 || n != m->n) abort();
    for (size_t i = 0; i < m->n; i++) {
        strata_tree_value v;
        if (strata_tree__get(ctx, root, m->e[i].k, m->e[i].kl, &v) != 0) abort();
        if (v.len != m->e[i].vl || (v.len && memcmp(v.data, m->e[i].v, v.len))) abort();
        strata_tree__value_release(ctx, &v);
    }
    strata_tree_cursor *c;
    if (strata_tree__cursor_open(&c, ctx, root) != 0) abort();
    size_t i = 0;
    for (int rc = strata_tree__cursor_first(c); rc == 0; rc = strata_tree__cursor_next(c), i++) {
        const void *k;
        size_t kl;
        strata_tree__cursor_key(c, &k, &kl);
        if (i >= m->n || cmpk(k, kl, m->e[i].k, m->e[i].kl) != 0) abort();
    }
    if (i != m->n) abort();
    for (int rc = strata_tree__cursor_last(c); rc == 0; rc = strata_tree__cursor_prev(c)) {
        const void *k;
        size_t kl;
        strata_tree__cursor_key(c, &k, &kl);
        if (i == 0 || cmpk(k, kl, m->e[i - 1].k, m->e[i - 1].kl) != 0) abort();
        i--;
    }
    if (i != 0) abort();
    strata_tree__cursor_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    static model a, b; /* a: before the batch, b: after */
    static uint8_t vals[64][1500];
    strata_tree_edit ed[64];
    size_t ne = 0, p = 0;
    strata_oid root;
    if (strata_tree__empty(ctx, &root) != 0) abort();
    for (size_t i = 0; i < b.n; i++) free(b.e[i].v);
    b.n = 0;
    while (p < size) {
        uint8_t op = data[p++];
        int flush = (op & 3) == 0 || ne == 64 || p >= size;
        if ((op & 3) != 0 && p < size) {
            size_t kl = data[p++] & 15;
            if (p + kl > size) kl = size - p;
            strata_tree_edit *e = &ed[ne];
            e->key = data + p;
            e->klen = kl;
            p += kl;
            e->del = (op & 3) == 3;
            e->val = NULL;
            e->vlen = 0;
            if (!e->del) {
                size_t vl = 0;
                if (p < size) vl = data[p++];
                if (p < size) vl |= (size_t)(data[p++] & 7) << 8;
                if (vl > 1500) vl = 1500;
                for (size_t j = 0; j < vl; j++) vals[ne][j] = (uint8_t)(op + j * 13);
                e->val = vals[ne];
                e->vlen = vl;
            }
            if (b.n + ne < 500) ne++;
            flush = ne == 64 || p >= size;
        }
        if (flush && ne) {
            /* a = b; apply to the model b and to the tree */
            for (size_t i = 0; i < a.n; i++) free(a.e[i].v);
            a.n = b.n;
            for (size_t i = 0; i < b.n; i++) {
                a.e[i] = b.e[i];
                a.e[i].v = malloc(b.e[i].vl ? b.e[i].vl : 1);
                if (b.e[i].vl) memcpy(a.e[i].v, b.e[i].v, b.e[i].vl);
            }
            for (size_t i = 0; i < ne; i++) model_apply(&b, &ed[i]);
            strata_oid next;
            if (strata_tree__apply(ctx, &root, ed, ne, &next) != 0) abort();
            check(&next, &b);
            dstate d = {&a, &b, 0, 0};
            if (strata_tree__diff(ctx, &root, &next, diff_check, &d) != 0) abort();
            diff_done(&d);
            root = next;
            ne = 0;
        }
    }
    return 0;
}
