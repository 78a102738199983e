/* Tests of src/tree: the chunking rule, the node codec, batch edits against an in-memory
 * reference map (get, cursors both ways, ranges, prefixes, counts, offset seeks, diff), history
 * independence, golden root digests, structural sharing, blobs, and bad or corrupt input. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tree/tree.h"
#include "tree/tree_int.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"


/* ---- environment ---------------------------------------------------------------------------- */

typedef struct env {
    char *dir;
    strata_store *store;
    strata_tree_ctx *ctx;
} env;

static void env_open(env *e, const char *tag, size_t cache)
{
    e->dir = tu_mkdtemp(tag);
    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    o.durability = STRATA_DURABILITY_OFF;
    assert_int_equal(strata_store__open(&e->store, e->dir, &o), 0);
    assert_int_equal(strata_tree__ctx_new(&e->ctx, e->store, cache), 0);
}

static void env_close(env *e)
{
    strata_tree__ctx_free(e->ctx);
    strata_store__close(e->store);
    tu_rmdir_free(e->dir);
}

static int slow_tests_scaled_down(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 1;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    return 1;
#endif
#endif
    const char *s = getenv("STRATA_SLOW_TESTS");
    return s && *s == '0';
}

/* ---- reference map ---------------------------------------------------------------------------- */

typedef struct rent {
    uint8_t *k, *v;
    size_t kl, vl;
} rent;

typedef struct rmap {
    rent *e;
    size_t n, cap;
} rmap;

static int bcmp_keys(const void *a, size_t al, const void *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

/* Index of the first entry with key >= k. */
static size_t rmap_lower(const rmap *m, const void *k, size_t kl)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bcmp_keys(m->e[mid].k, m->e[mid].kl, k, kl) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static rent *rmap_find(const rmap *m, const void *k, size_t kl)
{
    size_t i = rmap_lower(m, k, kl);
    return i < m->n && bcmp_keys(m->e[i].k, m->e[i].kl, k, kl) == 0 ? &m->e[i] : NULL;
}

static uint8_t *dup(const void *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    if (n) memcpy(q, p, n);
    return q;
}

static void rmap_put(rmap *m, const void *k, size_t kl, const void *v, size_t vl)
{
    size_t i = rmap_lower(m, k, kl);
    if (i < m->n && bcmp_keys(m->e[i].k, m->e[i].kl, k, kl) == 0) {
        free(m->e[i].v);
        m->e[i].v = dup(v, vl);
        m->e[i].vl = vl;
        return;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
    }
    memmove(m->e + i + 1, m->e + i, (m->n - i) * sizeof *m->e);
    m->e[i].k = dup(k, kl);
    m->e[i].kl = kl;
    m->e[i].v = dup(v, vl);
    m->e[i].vl = vl;
    m->n++;
}

static void rmap_del(rmap *m, const void *k, size_t kl)
{
    size_t i = rmap_lower(m, k, kl);
    if (i < m->n && bcmp_keys(m->e[i].k, m->e[i].kl, k, kl) == 0) {
        free(m->e[i].k);
        free(m->e[i].v);
        memmove(m->e + i, m->e + i + 1, (m->n - i - 1) * sizeof *m->e);
        m->n--;
    }
}

static void rmap_copy(rmap *dst, const rmap *src)
{
    dst->n = dst->cap = src->n;
    dst->e = malloc((src->n ? src->n : 1) * sizeof *dst->e);
    for (size_t i = 0; i < src->n; i++) {
        dst->e[i].k = dup(src->e[i].k, src->e[i].kl);
        dst->e[i].kl = src->e[i].kl;
        dst->e[i].v = dup(src->e[i].v, src->e[i].vl);
        dst->e[i].vl = src->e[i].vl;
    }
}

static void rmap_free(rmap *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].k);
        free(m->e[i].v);
    }
    free(m->e);
    memset(m, 0, sizeof *m);
}

/* ---- random keys and values ------------------------------------------------------------------ */

/* Keys over a small alphabet (shared prefixes, the empty key, 0x00 and 0xff bytes). */
static size_t rand_key(uint64_t *rs, uint8_t *k)
{
    static const uint8_t alpha[] = {'a', 'b', 'c', 'd', 0x00, 0xff, 'm'};
    size_t n = tu_below(rs, 13);
    for (size_t i = 0; i < n; i++) k[i] = alpha[tu_below(rs, sizeof alpha)];
    return n;
}

static size_t rand_val(uint64_t *rs, uint8_t *v)
{
    size_t n = tu_below(rs, 100) == 0 ? 1025 + tu_below(rs, 3000) : tu_below(rs, 300);
    uint8_t b = (uint8_t)tu_rand(rs);
    for (size_t i = 0; i < n; i++) v[i] = (uint8_t)(b + i * 7);
    return n;
}

/* ---- checking a tree against the reference ------------------------------------------------------ */

typedef struct collect {
    rmap got;
} collect;

static int collect_cb(const void *k, size_t kl, const void *v, size_t vl, void *payload)
{
    rmap *m = payload;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
    }
    m->e[m->n].k = dup(k, kl);
    m->e[m->n].kl = kl;
    m->e[m->n].v = dup(v, vl);
    m->e[m->n].vl = vl;
    m->n++;
    return 0;
}

static void expect_entry(const rent *want, const void *k, size_t kl, const void *v, size_t vl)
{
    assert_int_equal(kl, want->kl);
    assert_true(kl == 0 || memcmp(k, want->k, kl) == 0);
    assert_int_equal(vl, want->vl);
    assert_true(vl == 0 || memcmp(v, want->v, vl) == 0);
}

/* Compare a scan result with ref[from..to) (ascending) or reversed. */
static void expect_span(const rmap *got, const rmap *ref, size_t from, size_t to, int reverse)
{
    assert_int_equal(got->n, to - from);
    for (size_t i = 0; i < got->n; i++) {
        const rent *w = &ref->e[reverse ? to - 1 - i : from + i];
        expect_entry(w, got->e[i].k, got->e[i].kl, got->e[i].v, got->e[i].vl);
    }
}

static void check_tree(strata_tree_ctx *ctx, const strata_oid *root, const rmap *ref, uint64_t *rs)
{
    uint64_t cnt;
    assert_int_equal(strata_tree__count(ctx, root, &cnt), 0);
    assert_int_equal(cnt, ref->n);
    /* get every key; and a few random (mostly missing) keys */
    for (size_t i = 0; i < ref->n; i++) {
        strata_tree_value v;
        assert_int_equal(strata_tree__get(ctx, root, ref->e[i].k, ref->e[i].kl, &v), 0);
        expect_entry(&ref->e[i], ref->e[i].k, ref->e[i].kl, v.data, v.len);
        strata_tree__value_release(ctx, &v);
    }
    for (int t = 0; t < 50; t++) {
        uint8_t k[16];
        size_t kl = rand_key(rs, k);
        strata_tree_value v;
        int rc = strata_tree__get(ctx, root, k, kl, &v);
        rent *w = rmap_find(ref, k, kl);
        if (w) {
            assert_int_equal(rc, 0);
            expect_entry(w, k, kl, v.data, v.len);
            strata_tree__value_release(ctx, &v);
        } else {
            assert_int_equal(rc, STRATA_ENOTFOUND);
        }
    }
    /* full cursor walks, both ways, with positions */
    strata_tree_cursor *c;
    assert_int_equal(strata_tree__cursor_open(&c, ctx, root), 0);
    size_t i = 0;
    int rc = strata_tree__cursor_first(c);
    for (; rc == 0; rc = strata_tree__cursor_next(c), i++) {
        const void *k, *v;
        size_t kl, vl;
        uint64_t pos;
        assert_true(i < ref->n);
        strata_tree__cursor_key(c, &k, &kl);
        assert_int_equal(strata_tree__cursor_value(c, &v, &vl), 0);
        expect_entry(&ref->e[i], k, kl, v, vl);
        assert_int_equal(strata_tree__cursor_index(c, &pos), 0);
        assert_int_equal(pos, i);
    }
    assert_int_equal(rc, STRATA_ITEROVER);
    assert_int_equal(i, ref->n);
    assert_false(strata_tree__cursor_valid(c));
    i = ref->n;
    rc = strata_tree__cursor_last(c);
    for (; rc == 0; rc = strata_tree__cursor_prev(c)) {
        const void *k, *v;
        size_t kl, vl;
        assert_true(i > 0);
        i--;
        strata_tree__cursor_key(c, &k, &kl);
        assert_int_equal(strata_tree__cursor_value(c, &v, &vl), 0);
        expect_entry(&ref->e[i], k, kl, v, vl);
    }
    assert_int_equal(rc, STRATA_ITEROVER);
    assert_int_equal(i, 0);
    /* offset seeks */
    for (int t = 0; t < 30; t++) {
        uint64_t at = tu_below(rs, ref->n + 2);
        rc = strata_tree__cursor_seek_index(c, at);
        if (at >= ref->n) {
            assert_int_equal(rc, STRATA_ITEROVER);
            continue;
        }
        assert_int_equal(rc, 0);
        const void *k;
        size_t kl;
        strata_tree__cursor_key(c, &k, &kl);
        assert_int_equal(kl, ref->e[at].kl);
        assert_true(kl == 0 || memcmp(k, ref->e[at].k, kl) == 0);
        if (tu_below(rs, 2)) { /* and step from there */
            rc = strata_tree__cursor_prev(c);
            if (at == 0) assert_int_equal(rc, STRATA_ITEROVER);
            else {
                assert_int_equal(rc, 0);
                uint64_t pos;
                assert_int_equal(strata_tree__cursor_index(c, &pos), 0);
                assert_int_equal(pos, at - 1);
            }
        }
    }
    /* seeks */
    for (int t = 0; t < 30; t++) {
        uint8_t k[16];
        size_t kl = rand_key(rs, k), at = rmap_lower(ref, k, kl);
        rc = strata_tree__cursor_seek(c, k, kl);
        if (at == ref->n) assert_int_equal(rc, STRATA_ITEROVER);
        else {
            assert_int_equal(rc, 0);
            const void *ck;
            size_t ckl;
            strata_tree__cursor_key(c, &ck, &ckl);
            assert_int_equal(ckl, ref->e[at].kl);
            assert_true(ckl == 0 || memcmp(ck, ref->e[at].k, ckl) == 0);
        }
        rc = strata_tree__cursor_seek_before(c, k, kl);
        if (at == 0) assert_int_equal(rc, STRATA_ITEROVER);
        else {
            assert_int_equal(rc, 0);
            const void *ck;
            size_t ckl;
            strata_tree__cursor_key(c, &ck, &ckl);
            assert_int_equal(ckl, ref->e[at - 1].kl);
            assert_true(ckl == 0 || memcmp(ck, ref->e[at - 1].k, ckl) == 0);
        }
    }
    strata_tree__cursor_free(c);
    /* ranges and prefixes, both directions */
    for (int t = 0; t < 12; t++) {
        uint8_t lo[16], hi[16];
        size_t lol = rand_key(rs, lo), hil = rand_key(rs, hi);
        int nolo = tu_below(rs, 5) == 0, nohi = tu_below(rs, 5) == 0;
        size_t from = nolo ? 0 : rmap_lower(ref, lo, lol), to = nohi ? ref->n : rmap_lower(ref, hi, hil);
        if (to < from) to = from;
        for (int rev = 0; rev < 2; rev++) {
            rmap got = {0};
            assert_int_equal(strata_tree__scan(ctx, root, nolo ? NULL : lo, lol, nohi ? NULL : hi, hil,
                                               rev, collect_cb, &got), 0);
            expect_span(&got, ref, from, to, rev);
            rmap_free(&got);
        }
        size_t pl = lol < 3 ? lol : tu_below(rs, 3);
        size_t pf = rmap_lower(ref, lo, pl), pt = pf;
        while (pt < ref->n && ref->e[pt].kl >= pl && (pl == 0 || memcmp(ref->e[pt].k, lo, pl) == 0)) pt++;
        for (int rev = 0; rev < 2; rev++) {
            rmap got = {0};
            assert_int_equal(strata_tree__scan_prefix(ctx, root, lo, pl, rev, collect_cb, &got), 0);
            expect_span(&got, ref, pf, pt, rev);
            rmap_free(&got);
        }
    }
}

/* ---- diff checking ------------------------------------------------------------------------------- */

typedef struct drec {
    uint8_t *k, *o, *n;
    size_t kl, ol, nl;
    int has_o, has_n;
} drec;

typedef struct dlist {
    drec *r;
    size_t n, cap;
} dlist;

static void dlist_add(dlist *d, const void *k, size_t kl, const void *o, size_t ol, int ho,
                      const void *nv, size_t nl, int hn)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->r = realloc(d->r, d->cap * sizeof *d->r);
    }
    drec *r = &d->r[d->n++];
    r->k = dup(k, kl);
    r->kl = kl;
    r->o = ho ? dup(o, ol) : NULL;
    r->ol = ol;
    r->has_o = ho;
    r->n = hn ? dup(nv, nl) : NULL;
    r->nl = nl;
    r->has_n = hn;
}

static void dlist_free(dlist *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->r[i].k);
        free(d->r[i].o);
        free(d->r[i].n);
    }
    free(d->r);
    memset(d, 0, sizeof *d);
}

static int diff_cb(const void *k, size_t kl, const void *o, size_t ol, const void *nv, size_t nl, void *payload)
{
    dlist_add(payload, k, kl, o, ol, o != NULL, nv, nl, nv != NULL);
    return 0;
}

static void naive_diff(const rmap *a, const rmap *b, dlist *out)
{
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : bcmp_keys(a->e[i].k, a->e[i].kl, b->e[j].k, b->e[j].kl);
        if (c < 0) {
            dlist_add(out, a->e[i].k, a->e[i].kl, a->e[i].v, a->e[i].vl, 1, NULL, 0, 0);
            i++;
        } else if (c > 0) {
            dlist_add(out, b->e[j].k, b->e[j].kl, NULL, 0, 0, b->e[j].v, b->e[j].vl, 1);
            j++;
        } else {
            if (a->e[i].vl != b->e[j].vl || (a->e[i].vl && memcmp(a->e[i].v, b->e[j].v, a->e[i].vl)))
                dlist_add(out, a->e[i].k, a->e[i].kl, a->e[i].v, a->e[i].vl, 1, b->e[j].v, b->e[j].vl, 1);
            i++;
            j++;
        }
    }
}

static void check_diff(strata_tree_ctx *ctx, const strata_oid *ra, const strata_oid *rb, const rmap *a,
                       const rmap *b)
{
    dlist got = {0}, want = {0};
    assert_int_equal(strata_tree__diff(ctx, ra, rb, diff_cb, &got), 0);
    naive_diff(a, b, &want);
    assert_int_equal(got.n, want.n);
    for (size_t i = 0; i < got.n; i++) {
        drec *g = &got.r[i], *w = &want.r[i];
        assert_int_equal(g->kl, w->kl);
        assert_true(g->kl == 0 || memcmp(g->k, w->k, g->kl) == 0);
        assert_int_equal(g->has_o, w->has_o);
        assert_int_equal(g->has_n, w->has_n);
        if (g->has_o) {
            assert_int_equal(g->ol, w->ol);
            assert_true(g->ol == 0 || memcmp(g->o, w->o, g->ol) == 0);
        }
        if (g->has_n) {
            assert_int_equal(g->nl, w->nl);
            assert_true(g->nl == 0 || memcmp(g->n, w->n, g->nl) == 0);
        }
    }
    dlist_free(&got);
    dlist_free(&want);
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void test_tree_chunk_rule_respects_min_and_max(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("chunk_rule"), rs = seed;
    for (int t = 0; t < 200000; t++) {
        uint8_t k[8];
        for (int i = 0; i < 8; i++) k[i] = (uint8_t)tu_rand(&rs);
        size_t sz = 1 + tu_below(&rs, 600), before = tu_below(&rs, 20000);
        int level = (int)tu_below(&rs, 4);
        int b = strata_tree__chunk_boundary(level, before, sz, k, 8);
        if (before + sz < CHUNK_MIN) assert_int_equal(b, 0);
        if (before + sz >= CHUNK_MAX) assert_int_equal(b, 1);
    }
    /* The distribution of node sizes for 100-byte items: median near 4 KiB. */
    size_t sizes[4000], ns = 0, cur = 0;
    for (uint32_t i = 0; ns < 4000; i++) {
        char k[32];
        int kl = snprintf(k, sizeof k, "user#%08u", i);
        size_t before = cur;
        cur += 120;
        if (strata_tree__chunk_boundary(0, before, 120, k, (size_t)kl)) {
            sizes[ns++] = cur;
            cur = 0;
        }
    }
    size_t lo = 1 << 30, hi = 0, below2k = 0, below8k = 0;
    for (size_t i = 0; i < ns; i++) {
        if (sizes[i] < lo) lo = sizes[i];
        if (sizes[i] > hi) hi = sizes[i];
        below2k += sizes[i] < 2048;
        below8k += sizes[i] < 8192;
    }
    assert_true(lo >= CHUNK_MIN);
    assert_true(hi < CHUNK_MAX + 120);
    assert_true(below2k < ns / 5);     /* few small nodes */
    assert_true(below8k > ns * 9 / 10); /* few large ones */
    /* seeds differ per level */
    assert_true(strata_tree__chunk_seed(0) != strata_tree__chunk_seed(1) && strata_tree__chunk_seed(1) != strata_tree__chunk_seed(2));
}

static void test_tree_node_codec_round_trips(void **state)
{
    (void)state;
    strata_buf b = {0};
    uint8_t hdr[3] = {TNODE_FORMAT, 0, 3};
    assert_int_equal(strata_buf__append(&b, hdr, 3), 0);
    uint8_t blob[32];
    memset(blob, 0xab, sizeof blob);
    titem items[3] = {
        {(const uint8_t *)"", 0, 0, (const uint8_t *)"empty-key", 9, 1},
        {(const uint8_t *)"apple", 5, 0, (const uint8_t *)"", 0, 1},
        {(const uint8_t *)"banana", 6, 1, blob, 5000, 1},
    };
    for (int i = 0; i < 3; i++) assert_int_equal(strata_tree__item_encode(&b, &items[i], 0), 0);
    size_t len = b.len;
    uint8_t *raw = strata_buf__detach(&b, &len);
    tnode *nd;
    assert_int_equal(strata_tree__node_decode(&nd, NULL, raw, len), 0);
    assert_int_equal(nd->n, 3);
    assert_int_equal(nd->level, 0);
    assert_int_equal(nd->total, 3);
    assert_int_equal(nd->kx[0].len, 0);
    assert_int_equal(nd->vlen[0], 9);
    assert_memory_equal(tnode_val(nd, 0), "empty-key", 9);
    assert_memory_equal(tnode_key(nd, 1), "apple", 5);
    assert_int_equal(nd->vlen[1], 0);
    assert_int_equal(nd->vkind[2], 1);
    assert_int_equal(nd->vlen[2], 5000);
    assert_memory_equal(tnode_val(nd, 2), blob, 32);
    assert_int_equal(strata_tree__node_search(nd, "apple", 5), 1);
    assert_int_equal(strata_tree__node_search(nd, "b", 1), 2);
    assert_int_equal(strata_tree__node_search(nd, "c", 1), 3);
    assert_int_equal(strata_tree__node_search(nd, "", 0), 0);
    for (int i = 0; i < 3; i++) assert_int_equal(nd->ioff[i + 1] - nd->ioff[i], strata_tree__item_size(&items[i], 0));
    strata_tree__node_free(nd);

    /* an internal node: counts become prefix sums */
    strata_buf c = {0};
    uint8_t h2[3] = {TNODE_FORMAT, 2, 2};
    assert_int_equal(strata_buf__append(&c, h2, 3), 0);
    titem kids[2] = {{(const uint8_t *)"m", 1, 0, blob, 0, 700}, {(const uint8_t *)"z", 1, 0, blob, 0, 300000}};
    for (int i = 0; i < 2; i++) assert_int_equal(strata_tree__item_encode(&c, &kids[i], 2), 0);
    len = c.len;
    raw = strata_buf__detach(&c, &len);
    assert_int_equal(strata_tree__node_decode(&nd, NULL, raw, len), 0);
    assert_int_equal(nd->total, 300700);
    assert_int_equal(nd->cum[1], 700);
    assert_int_equal(tnode_count(nd, 1), 300000);
    strata_tree__node_free(nd);
}

/* Decode a copy of `bytes` and return the code. */
static int decode_copy(const uint8_t *bytes, size_t len)
{
    uint8_t *raw = strata_mem__alloc(len ? len : 1);
    if (len) memcpy(raw, bytes, len);
    tnode *nd = NULL;
    int rc = strata_tree__node_decode(&nd, NULL, raw, len);
    strata_tree__node_free(nd);
    return rc;
}

static void test_tree_node_decode_rejects_corruption(void **state)
{
    (void)state;
    /* a valid leaf: "a"->"x", "b"->"yy" */
    const uint8_t good[] = {1, 0, 2, 1, 'a', 0, 1, 'x', 1, 'b', 0, 2, 'y', 'y'};
    assert_int_equal(decode_copy(good, sizeof good), 0);
    /* every truncation fails cleanly */
    for (size_t n = 0; n < sizeof good; n++) assert_int_equal(decode_copy(good, n), STRATA_ECORRUPT);
    uint8_t bad[sizeof good + 1];
    memcpy(bad, good, sizeof good);
    bad[sizeof good] = 0;
    assert_int_equal(decode_copy(bad, sizeof good + 1), STRATA_ECORRUPT); /* trailing byte */
    memcpy(bad, good, sizeof good);
    bad[0] = 9;
    assert_int_equal(decode_copy(bad, sizeof good), STRATA_EVERSION);
    memcpy(bad, good, sizeof good);
    bad[9] = 'a'; /* keys not ascending */
    assert_int_equal(decode_copy(bad, sizeof good), STRATA_ECORRUPT);
    assert_true(strstr(strata_error_last()->message, "ascending") != NULL);
    memcpy(bad, good, sizeof good);
    bad[5] = 7; /* unknown value kind */
    assert_int_equal(decode_copy(bad, sizeof good), STRATA_ECORRUPT);
    memcpy(bad, good, sizeof good);
    bad[2] = 200; /* count larger than the payload can hold */
    assert_int_equal(decode_copy(bad, sizeof good), STRATA_ECORRUPT);
    memcpy(bad, good, sizeof good);
    bad[1] = 99; /* level too high */
    assert_int_equal(decode_copy(bad, sizeof good), STRATA_ECORRUPT);
    /* an internal node with no items, or a zero child count */
    const uint8_t noitems[] = {1, 1, 0};
    assert_int_equal(decode_copy(noitems, sizeof noitems), STRATA_ECORRUPT);
    uint8_t zero[3 + 2 + 32 + 1] = {1, 1, 1, 1, 'k'};
    zero[sizeof zero - 1] = 0;
    assert_int_equal(decode_copy(zero, sizeof zero), STRATA_ECORRUPT);
    zero[sizeof zero - 1] = 5;
    assert_int_equal(decode_copy(zero, sizeof zero), 0);
    /* inline value longer than the inline limit */
    uint8_t *big = calloc(1, 2000);
    big[0] = 1; big[1] = 0; big[2] = 1; big[3] = 1; big[4] = 'k'; big[5] = 0;
    size_t vl = strata_varint__encode(big + 6, STRATA_TREE_INLINE_MAX + 1);
    assert_int_equal(decode_copy(big, 6 + vl + STRATA_TREE_INLINE_MAX + 1), STRATA_ECORRUPT);
    free(big);
}

static void test_tree_empty_root_is_defined(void **state)
{
    (void)state;
    env e;
    env_open(&e, "tree_empty", 1 << 20);
    strata_oid r, want;
    assert_int_equal(strata_tree__empty(e.ctx, &r), 0);
    const uint8_t empty_leaf[3] = {1, 0, 0};
    assert_int_equal(strata_hash__object(&want, 'N', empty_leaf, 3), 0);
    assert_int_equal(strata_oid__cmp(&r, &want), 0);
    uint64_t n = 7;
    assert_int_equal(strata_tree__count(e.ctx, &r, &n), 0);
    assert_int_equal(n, 0);
    strata_tree_value v;
    assert_int_equal(strata_tree__get(e.ctx, &r, "x", 1, &v), STRATA_ENOTFOUND);
    strata_tree_cursor *c;
    assert_int_equal(strata_tree__cursor_open(&c, e.ctx, &r), 0);
    assert_int_equal(strata_tree__cursor_first(c), STRATA_ITEROVER);
    assert_int_equal(strata_tree__cursor_last(c), STRATA_ITEROVER);
    assert_int_equal(strata_tree__cursor_seek(c, "", 0), STRATA_ITEROVER);
    assert_int_equal(strata_tree__cursor_seek_index(c, 0), STRATA_ITEROVER);
    strata_tree__cursor_free(c);
    /* delete-only edits of an empty tree give the empty tree; put+delete too */
    strata_tree_edit ed[2] = {{"k", 1, "v", 1, 0}, {"k", 1, NULL, 0, 1}};
    strata_oid r2;
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed + 1, 1, &r2), 0);
    assert_int_equal(strata_oid__cmp(&r, &r2), 0);
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, 2, &r2), 0);
    assert_int_equal(strata_oid__cmp(&r, &r2), 0);
    env_close(&e);
}

/* Random edit scripts in batches of varied sizes, checked against the reference map. */
static void test_tree_matches_reference_map_over_random_edits(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("tree_reference"), rs = seed;
    env e;
    env_open(&e, "tree_ref", 4 << 20);
    rmap ref = {0};
    strata_oid root;
    assert_int_equal(strata_tree__empty(e.ctx, &root), 0);
    int steps = slow_tests_scaled_down() ? 25 : 60;
    static uint8_t vals[64][4096];
    static uint8_t keys[4096][16];
    for (int step = 0; step < steps; step++) {
        /* batch size: mostly small, sometimes large; phases that mostly insert or mostly delete */
        size_t nb = tu_below(&rs, 4) == 0 ? 1 + tu_below(&rs, 4) : 1 + tu_below(&rs, 1500);
        int del_pct = (step / 10) % 3 == 2 ? 70 : 25;
        strata_tree_edit *ed = calloc(nb, sizeof *ed);
        rmap before = {0};
        rmap_copy(&before, &ref);
        for (size_t i = 0; i < nb; i++) {
            size_t kl;
            uint8_t *k = keys[i % 4096];
            if (ref.n && tu_below(&rs, 3) == 0) { /* an existing key */
                rent *x = &ref.e[tu_below(&rs, ref.n)];
                kl = x->kl;
                memcpy(k, x->k, kl);
            } else {
                kl = rand_key(&rs, k);
            }
            ed[i].key = k;
            ed[i].klen = kl;
            if ((int)tu_below(&rs, 100) < del_pct) {
                ed[i].del = 1;
            } else {
                uint8_t *v = vals[i % 64];
                ed[i].val = v;
                ed[i].vlen = rand_val(&rs, v);
            }
        }
        /* value buffers are shared modulo 64: tree and reference both see the final bytes */
        strata_oid next;
        assert_int_equal(strata_tree__apply(e.ctx, &root, ed, nb > 4096 ? 4096 : nb, &next), 0);
        for (size_t i = 0; i < nb && i < 4096; i++) {
            if (ed[i].del) rmap_del(&ref, ed[i].key, ed[i].klen);
            else rmap_put(&ref, ed[i].key, ed[i].klen, ed[i].val, ed[i].vlen);
        }
        check_tree(e.ctx, &next, &ref, &rs);
        check_diff(e.ctx, &root, &next, &before, &ref);
        check_diff(e.ctx, &next, &root, &ref, &before);
        rmap_free(&before);
        free(ed);
        root = next;
    }
    rmap_free(&ref);
    env_close(&e);
}

/* ---- history independence ----------------------------------------------------------------------- */

typedef struct op {
    uint32_t key;   /* key id */
    uint32_t val;   /* value id; UINT32_MAX = delete */
} op;

static size_t hi_key(uint32_t id, char *k) { return (size_t)sprintf(k, "key/%u/%05u", id % 7, id); }
static size_t hi_val(uint32_t id, uint32_t v, char *out)
{
    size_t n = 20 + (id * 37u + v) % 400;
    if (v % 50 == 49) n = 1500; /* some blobs */
    for (size_t i = 0; i < n; i++) out[i] = (char)('a' + (id + v + i) % 26);
    return n;
}

/* Apply ops in random batches starting from the empty tree; return the root. */
static void hi_build(env *e, const op *ops, size_t nops, uint64_t *rs, int mode, strata_oid *out)
{
    assert_int_equal(strata_tree__empty(e->ctx, out), 0);
    size_t i = 0;
    static char kbuf[4000][32];
    static char vbuf[4000][1600];
    strata_tree_edit *ed = calloc(4000, sizeof *ed);
    while (i < nops) {
        size_t nb = mode == 0 ? nops - i : mode == 1 ? 1 + tu_below(rs, 40) : 1 + tu_below(rs, 3000);
        if (nb > 4000) nb = 4000;
        if (nb > nops - i) nb = nops - i;
        for (size_t j = 0; j < nb; j++) {
            const op *o = &ops[i + j];
            ed[j].key = kbuf[j];
            ed[j].klen = hi_key(o->key, kbuf[j]);
            ed[j].del = o->val == UINT32_MAX;
            if (!ed[j].del) {
                ed[j].val = vbuf[j];
                ed[j].vlen = hi_val(o->key, o->val, vbuf[j]);
            }
        }
        strata_oid next;
        assert_int_equal(strata_tree__apply(e->ctx, out, ed, nb, &next), 0);
        *out = next;
        i += nb;
    }
    free(ed);
}

static void test_tree_same_items_any_order_same_root(void **state)
{
    (void)state;
    uint64_t seed = tu_seed("tree_history_independence"), rs = seed;
    env e;
    env_open(&e, "tree_hi", 16 << 20);
    const uint32_t nkeys = slow_tests_scaled_down() ? 1500 : 3000;
    /* Per key: final keys get (maybe a wrong value, then) their final value; noise keys get a
     * put and later a delete; some final keys are deleted and put again. */
    size_t maxops = (size_t)nkeys * 4;
    op *script = malloc(maxops * sizeof *script);
    uint32_t *pending = malloc(nkeys * sizeof *pending); /* ops left per key, emitted in order */
    op (*per)[4] = malloc(nkeys * sizeof *per);
    for (uint32_t k = 0; k < nkeys; k++) {
        uint32_t kind = k % 4;
        uint32_t finalv = k * 3 + 1;
        if (kind == 0) { per[k][0] = (op){k, finalv}; pending[k] = 1; }
        else if (kind == 1) { per[k][0] = (op){k, finalv + 1}; per[k][1] = (op){k, finalv}; pending[k] = 2; }
        else if (kind == 2) { per[k][0] = (op){k, 7}; per[k][1] = (op){k, UINT32_MAX}; pending[k] = 2; }
        else { per[k][0] = (op){k, 9}; per[k][1] = (op){k, UINT32_MAX}; per[k][2] = (op){k, finalv}; pending[k] = 3; }
    }
    strata_oid first;
    int trials = slow_tests_scaled_down() ? 30 : 100;
    for (int t = 0; t < trials; t++) {
        /* interleave the per-key sequences randomly */
        uint32_t *left = malloc(nkeys * sizeof *left), *live = malloc(nkeys * sizeof *live);
        uint32_t nlive = nkeys;
        for (uint32_t k = 0; k < nkeys; k++) { left[k] = 0; live[k] = k; }
        size_t n = 0;
        while (nlive) {
            uint32_t pick = (uint32_t)tu_below(&rs, nlive), k = live[pick];
            script[n++] = per[k][left[k]++];
            if (left[k] == pending[k]) live[pick] = live[--nlive];
        }
        free(left);
        free(live);
        strata_oid r;
        hi_build(&e, script, n, &rs, t == 0 ? 0 : (t % 3 == 1 ? 1 : 2), &r);
        if (t == 0) first = r;
        else {
            if (strata_oid__cmp(&first, &r) != 0) fail_msg("trial %d gave a different root", t);
        }
    }
    /* and the tree holds exactly the final items */
    uint64_t cnt;
    assert_int_equal(strata_tree__count(e.ctx, &first, &cnt), 0);
    assert_int_equal(cnt, nkeys - (nkeys / 4 + (nkeys % 4 > 2)));
    free(script);
    free(pending);
    free(per);
    env_close(&e);
}

/* ---- golden vectors ---------------------------------------------------------------------------- */

static void golden_root(env *e, int which, char hex[65])
{
    strata_oid r;
    assert_int_equal(strata_tree__empty(e->ctx, &r), 0);
    enum { N = 20000 };
    strata_tree_edit *ed = calloc(N, sizeof *ed);
    char (*kb)[16] = malloc(N * sizeof *kb);
    char (*vb)[1200] = malloc(N * sizeof *vb);
    size_t n = 0;
    for (uint32_t i = 0; i < N; i++) {
        if (which == 1 && i % 3 == 0) continue;
        ed[n].key = kb[n];
        ed[n].klen = (size_t)sprintf(kb[n], "user#%08u", i);
        size_t vl = which == 2 && i % 10 == 0 ? 1100 : 10 + i % 90;
        for (size_t j = 0; j < vl; j++) vb[n][j] = (char)('0' + (i + j) % 10);
        ed[n].val = vb[n];
        ed[n].vlen = vl;
        n++;
    }
    strata_oid out;
    assert_int_equal(strata_tree__apply(e->ctx, &r, ed, n, &out), 0);
    strata_oid_fmt(hex, &out);
    free(ed);
    free(kb);
    free(vb);
}

/* Fixed inputs give fixed root digests on every platform: the chunking rule and the node
 * format are frozen. Changing either breaks these on purpose. */
static void test_tree_golden_root_digests(void **state)
{
    (void)state;
    static const char *want[3] = {
        /* 20,000 items user#%08u -> 10..99 digit bytes */
        "a6b69a29407f3f80ff6d64d9c72c2321712e8b6f1fe04f8fe41ab8e368625bc0",
        /* the same without every third item */
        "d7fdac9befb8f771ab2208cdb3a273d06c78c0a1b00206a885c2ca4071c1725d",
        /* every tenth value 1,100 bytes (a blob) */
        "071a78ea3822d90581fa2cebdd76127f3d3f4d58206a1888a2296ee86a575006",
    };
    env e;
    env_open(&e, "tree_golden", 8 << 20);
    for (int w = 0; w < 3; w++) {
        char hex[65];
        golden_root(&e, w, hex);
        fprintf(stderr, "golden %d: %s\n", w, hex);
        assert_string_equal(hex, want[w]);
    }
    env_close(&e);
}

/* ---- structural sharing -------------------------------------------------------------------------- */

static void test_tree_single_change_rewrites_only_its_path(void **state)
{
    (void)state;
    env e;
    env_open(&e, "tree_share", 64 << 20);
    uint32_t total = slow_tests_scaled_down() ? 100000 : 1000000, batch = 250000;
    strata_oid r;
    assert_int_equal(strata_tree__empty(e.ctx, &r), 0);
    strata_tree_edit *ed = calloc(batch, sizeof *ed);
    char (*kb)[16] = malloc((size_t)batch * sizeof *kb);
    char val[100];
    memset(val, 'v', sizeof val);
    for (uint32_t base = 0; base < total; base += batch) {
        uint32_t nb = total - base < batch ? total - base : batch;
        for (uint32_t i = 0; i < nb; i++) {
            ed[i].key = kb[i];
            ed[i].klen = (size_t)sprintf(kb[i], "user#%08u", base + i);
            ed[i].val = val;
            ed[i].vlen = sizeof val;
        }
        strata_oid next;
        assert_int_equal(strata_tree__apply(e.ctx, &r, ed, nb, &next), 0);
        r = next;
    }
    uint64_t cnt;
    assert_int_equal(strata_tree__count(e.ctx, &r, &cnt), 0);
    assert_int_equal(cnt, total);
    tnode *root;
    assert_int_equal(strata_tree__node_load(e.ctx, &r, &root), 0);
    int height = root->level + 1;
    strata_tree__node_unpin(root);

    strata_tree_stats s0, s1;
    strata_tree__stats(e.ctx, &s0);
    char key[16];
    strata_tree_edit one = {key, (size_t)sprintf(key, "user#%08u", total / 3), "changed", 7, 0};
    strata_oid r2;
    assert_int_equal(strata_tree__apply(e.ctx, &r, &one, 1, &r2), 0);
    strata_tree__stats(e.ctx, &s1);
    uint64_t bytes = s1.node_bytes_written - s0.node_bytes_written;
    uint64_t nodes = s1.nodes_written - s0.nodes_written;
    fprintf(stderr, "[share] %u items, height %d: one change wrote %llu nodes, %llu bytes (limit %d)\n",
            total, height, (unsigned long long)nodes, (unsigned long long)bytes, height * 16384);
    assert_true(bytes <= (uint64_t)height * 16384);
    assert_int_equal(nodes, height);
    /* and the change is there, the rest shared */
    strata_tree_value v;
    assert_int_equal(strata_tree__get(e.ctx, &r2, key, one.klen, &v), 0);
    assert_int_equal(v.len, 7);
    strata_tree__value_release(e.ctx, &v);
    dlist d = {0};
    assert_int_equal(strata_tree__diff(e.ctx, &r, &r2, diff_cb, &d), 0);
    assert_int_equal(d.n, 1);
    dlist_free(&d);
    /* history independence on the tall tree: undoing the change, or deleting a run of items
     * and putting them back in another batching, gives the original root again */
    strata_oid r3, r4;
    one.val = val;
    one.vlen = sizeof val;
    assert_int_equal(strata_tree__apply(e.ctx, &r2, &one, 1, &r3), 0);
    assert_int_equal(strata_oid__cmp(&r3, &r), 0);
    uint32_t from = total / 2, run = 5000;
    for (uint32_t i = 0; i < run; i++) {
        ed[i].key = kb[i];
        ed[i].klen = (size_t)sprintf(kb[i], "user#%08u", from + i);
        ed[i].val = val;
        ed[i].vlen = sizeof val;
        ed[i].del = 1;
    }
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, run, &r3), 0);
    assert_int_equal(strata_tree__count(e.ctx, &r3, &cnt), 0);
    assert_int_equal(cnt, total - run);
    for (uint32_t i = 0; i < run; i++) ed[i].del = 0;
    assert_int_equal(strata_tree__apply(e.ctx, &r3, ed + run / 2, run - run / 2, &r4), 0);
    assert_int_equal(strata_tree__apply(e.ctx, &r4, ed, run / 2, &r4), 0);
    assert_int_equal(strata_oid__cmp(&r4, &r), 0);
    /* scattered edits over the whole tall tree (many regions on every level), then undone */
    static char chg[64];
    memset(chg, 'c', sizeof chg);
    uint64_t rs = 7;
    for (uint32_t i = 0; i < 200; i++) {
        ed[i].key = kb[i];
        ed[i].klen = (size_t)sprintf(kb[i], "user#%08u", (uint32_t)tu_below(&rs, total));
        ed[i].val = chg;
        ed[i].vlen = sizeof chg;
        ed[i].del = (i % 3) == 0;
    }
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, 200, &r3), 0);
    d = (dlist){0};
    assert_int_equal(strata_tree__diff(e.ctx, &r, &r3, diff_cb, &d), 0);
    for (size_t i = 1; i < d.n; i++) assert_true(bcmp_keys(d.r[i - 1].k, d.r[i - 1].kl, d.r[i].k, d.r[i].kl) < 0);
    size_t changed = d.n;
    assert_true(changed > 150 && changed <= 200);
    dlist_free(&d);
    for (uint32_t i = 0; i < 200; i++) {
        strata_tree_value gv;
        int grc = strata_tree__get(e.ctx, &r3, kb[i], ed[i].klen, &gv);
        if (ed[i].del) assert_int_equal(grc, STRATA_ENOTFOUND);
        else {
            assert_int_equal(grc, 0);
            assert_int_equal(gv.len, sizeof chg);
            strata_tree__value_release(e.ctx, &gv);
        }
        ed[i].val = val;
        ed[i].vlen = sizeof val;
        ed[i].del = 0;
    }
    assert_int_equal(strata_tree__apply(e.ctx, &r3, ed, 200, &r4), 0);
    assert_int_equal(strata_oid__cmp(&r4, &r), 0);
    free(ed);
    free(kb);
    env_close(&e);
}

/* ---- bad input and corruption ------------------------------------------------------------------- */

static void test_tree_bad_edits_are_rejected_and_change_nothing(void **state)
{
    (void)state;
    env e;
    env_open(&e, "tree_bad", 1 << 20);
    strata_oid r, out;
    assert_int_equal(strata_tree__empty(e.ctx, &r), 0);
    strata_tree_stats s0, s1;
    strata_tree__stats(e.ctx, &s0);
    static char longkey[STRATA_TREE_MAX_KEY + 1];
    strata_tree_edit ed[2] = {{"ok", 2, "v", 1, 0}, {longkey, sizeof longkey, "v", 1, 0}};
    out = r;
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, 2, &out), STRATA_ELIMIT);
    assert_true(strstr(strata_error_last()->message, "key") != NULL);
    ed[1] = (strata_tree_edit){NULL, 3, "v", 1, 0};
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, 2, &out), STRATA_EINVALID);
    ed[1] = (strata_tree_edit){"k", 1, NULL, 5, 0};
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, 2, &out), STRATA_EINVALID);
    assert_int_equal(strata_tree__apply(e.ctx, &r, NULL, 2, &out), STRATA_EINVALID);
    assert_int_equal(strata_tree__apply(NULL, &r, ed, 1, &out), STRATA_EINVALID);
    strata_tree__stats(e.ctx, &s1);
    assert_int_equal(s1.nodes_written, s0.nodes_written);
    assert_int_equal(strata_oid__cmp(&out, &r), 0);
    strata_tree_value v;
    assert_int_equal(strata_tree__get(e.ctx, &r, NULL, 1, &v), STRATA_EINVALID);
    assert_int_equal(strata_tree__get(NULL, &r, "k", 1, &v), STRATA_EINVALID);
    /* a root that is not in the store, and an object that is not a node */
    strata_oid missing;
    memset(missing.id, 0x5a, sizeof missing.id);
    assert_int_equal(strata_tree__get(e.ctx, &missing, "k", 1, &v), STRATA_ENOTFOUND);
    strata_oid blob;
    assert_int_equal(strata_store__put(e.store, 'B', "hello", 5, &blob), 0);
    assert_int_equal(strata_tree__get(e.ctx, &blob, "k", 1, &v), STRATA_ECORRUPT);
    env_close(&e);
}

static void test_tree_corrupt_child_is_detected(void **state)
{
    (void)state;
    env e;
    env_open(&e, "tree_corrupt", 1 << 20);
    /* a leaf with two items, and a parent that claims it holds 5 items */
    const uint8_t leaf[] = {1, 0, 2, 1, 'a', 0, 1, 'x', 1, 'b', 0, 1, 'y'};
    strata_oid lo;
    assert_int_equal(strata_store__put(e.store, 'N', leaf, sizeof leaf, &lo), 0);
    uint8_t parent[3 + 2 + 32 + 1] = {1, 1, 1, 1, 'b'};
    memcpy(parent + 5, lo.id, 32);
    parent[37] = 5;
    strata_oid po;
    assert_int_equal(strata_store__put(e.store, 'N', parent, sizeof parent, &po), 0);
    strata_tree_value v;
    assert_int_equal(strata_tree__get(e.ctx, &po, "a", 1, &v), STRATA_ECORRUPT);
    strata_tree_cursor *c;
    assert_int_equal(strata_tree__cursor_open(&c, e.ctx, &po), 0);
    assert_int_equal(strata_tree__cursor_first(c), STRATA_ECORRUPT);
    assert_false(strata_tree__cursor_valid(c));
    assert_int_equal(strata_tree__cursor_next(c), STRATA_ITEROVER);
    strata_tree__cursor_free(c);
    /* every other reader and apply refuse it too, writing nothing */
    strata_oid empty, out;
    assert_int_equal(strata_tree__empty(e.ctx, &empty), 0);
    dlist d = {0};
    assert_int_equal(strata_tree__diff(e.ctx, &empty, &po, diff_cb, &d), STRATA_ECORRUPT);
    dlist_free(&d);
    rmap got = {0};
    assert_int_equal(strata_tree__scan(e.ctx, &po, NULL, 0, NULL, 0, 0, collect_cb, &got), STRATA_ECORRUPT);
    rmap_free(&got);
    strata_tree_stats s0, s1;
    strata_tree__stats(e.ctx, &s0);
    strata_tree_edit ed1 = {"a", 1, "z", 1, 0};
    assert_int_equal(strata_tree__apply(e.ctx, &po, &ed1, 1, &out), STRATA_ECORRUPT);
    strata_tree__stats(e.ctx, &s1);
    assert_int_equal(s1.nodes_written, s0.nodes_written);
    /* with the right count it reads */
    parent[37] = 2;
    assert_int_equal(strata_store__put(e.store, 'N', parent, sizeof parent, &po), 0);
    assert_int_equal(strata_tree__get(e.ctx, &po, "a", 1, &v), 0);
    assert_memory_equal(v.data, "x", 1);
    strata_tree__value_release(e.ctx, &v);
    /* a parent key that is not the child's last key */
    parent[4] = 'c';
    assert_int_equal(strata_store__put(e.store, 'N', parent, sizeof parent, &po), 0);
    assert_int_equal(strata_tree__get(e.ctx, &po, "a", 1, &v), STRATA_ECORRUPT);
    env_close(&e);
}

/* Large values live in blobs, are fetched transparently, and survive cursors and diff. */
static void test_tree_large_values_are_blobs(void **state)
{
    (void)state;
    env e;
    env_open(&e, "tree_blob", 1 << 20);
    strata_oid r, r2;
    assert_int_equal(strata_tree__empty(e.ctx, &r), 0);
    static uint8_t big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 31);
    uint8_t edge[STRATA_TREE_INLINE_MAX + 1];
    memset(edge, 'e', sizeof edge);
    strata_tree_edit ed[3] = {{"big", 3, big, sizeof big, 0},
                              {"inline", 6, edge, STRATA_TREE_INLINE_MAX, 0},
                              {"just-over", 9, edge, STRATA_TREE_INLINE_MAX + 1, 0}};
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, 3, &r2), 0);
    strata_tree_value v;
    assert_int_equal(strata_tree__get(e.ctx, &r2, "big", 3, &v), 0);
    assert_int_equal(v.len, sizeof big);
    assert_memory_equal(v.data, big, sizeof big);
    strata_tree__value_release(e.ctx, &v);
    assert_int_equal(strata_tree__get(e.ctx, &r2, "just-over", 9, &v), 0);
    assert_int_equal(v.len, STRATA_TREE_INLINE_MAX + 1);
    strata_tree__value_release(e.ctx, &v);
    /* the leaf keeps a blob reference, not the bytes */
    tnode *nd;
    assert_int_equal(strata_tree__node_load(e.ctx, &r2, &nd), 0);
    assert_int_equal(nd->vkind[0], 1);
    assert_int_equal(nd->vkind[1], 0);
    assert_int_equal(nd->vkind[2], 1);
    assert_true(nd->rawlen < 1200 + 200);
    strata_tree__node_unpin(nd);
    assert_int_equal(strata_tree__walk(e.ctx, &r2, NULL, NULL), STRATA_EINVALID);
    strata_tree_cursor *c;
    assert_int_equal(strata_tree__cursor_open(&c, e.ctx, &r2), 0);
    assert_int_equal(strata_tree__cursor_first(c), 0);
    const void *cv;
    size_t cvl;
    assert_int_equal(strata_tree__cursor_value(c, &cv, &cvl), 0);
    assert_int_equal(cvl, sizeof big);
    assert_memory_equal(cv, big, sizeof big);
    strata_tree__cursor_free(c);
    /* diff reports the fetched values */
    big[5] ^= 1;
    strata_oid r3;
    assert_int_equal(strata_tree__apply(e.ctx, &r2, ed, 1, &r3), 0);
    dlist d = {0};
    assert_int_equal(strata_tree__diff(e.ctx, &r2, &r3, diff_cb, &d), 0);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.r[0].ol, sizeof big);
    assert_int_equal(d.r[0].nl, sizeof big);
    assert_memory_equal(d.r[0].n, big, sizeof big);
    assert_true(memcmp(d.r[0].o, big, sizeof big) != 0);
    dlist_free(&d);
    env_close(&e);
}

static int walk_count(const strata_oid *oid, uint8_t type, void *payload)
{
    (void)oid;
    int *c = payload;
    c[type == 'B']++;
    return 0;
}

static int pruned_leaf(const void *k, size_t kl, const void *v, size_t vl, int blob, void *payload)
{
    (void)k; (void)kl; (void)v;
    int *c = payload;
    c[2]++;
    if (blob && vl != STRATA_OID_SIZE) return -1;
    return 0;
}

static int walk_skip_internal(const strata_oid *oid, uint8_t type, void *payload)
{
    walk_count(oid, type, payload);
    return type == 'N' ? STRATA_TREE_SKIP : 0;
}

/* walk and walk_pruned report every node and blob once per reference, and can skip a subtree. */
static void test_tree_walk_visits_nodes_and_blobs_and_can_skip(void **state)
{
    (void)state;
    env e;
    env_open(&e, "tree_walk", 1 << 20);
    strata_oid r, r2;
    assert_int_equal(strata_tree__empty(e.ctx, &r), 0);
    enum { N = 4000 };
    strata_tree_edit *ed = calloc(N, sizeof *ed);
    char (*kb)[16] = malloc(N * sizeof *kb);
    static char big[2000];
    memset(big, 'b', sizeof big);
    for (int i = 0; i < N; i++) {
        ed[i].key = kb[i];
        ed[i].klen = (size_t)sprintf(kb[i], "w%06d", i);
        ed[i].val = i % 500 == 0 ? big : kb[i];
        ed[i].vlen = i % 500 == 0 ? sizeof big - (size_t)(i / 500) : ed[i].klen;
    }
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, N, &r2), 0);
    int counts[2] = {0, 0};
    assert_int_equal(strata_tree__walk(e.ctx, &r2, walk_count, counts), 0);
    strata_tree_stats st;
    strata_tree__stats(e.ctx, &st);
    assert_int_equal(counts[0], (int)st.nodes_written - 1); /* every node but the empty root */
    assert_int_equal(counts[1], N / 500);
    int skipped[2] = {0, 0};
    assert_int_equal(strata_tree__walk(e.ctx, &r2, walk_skip_internal, skipped), 0);
    assert_int_equal(skipped[0], 1);
    assert_int_equal(skipped[1], 0);
    /* the pruning walk (GC marking) sees the same objects and every leaf item */
    int pc[3] = {0, 0, 0};
    assert_int_equal(strata_tree__walk_pruned(e.ctx, &r2, walk_count, pruned_leaf, pc), 0);
    assert_int_equal(pc[0], counts[0]);
    assert_int_equal(pc[1], counts[1]);
    assert_int_equal(pc[2], N);
    int ps[3] = {0, 0, 0};
    assert_int_equal(strata_tree__walk_pruned(e.ctx, &r2, walk_skip_internal, pruned_leaf, ps), 0);
    assert_int_equal(ps[0], 1);
    assert_int_equal(ps[2], 0);
    assert_int_equal(strata_tree__walk_pruned(e.ctx, &r2, NULL, NULL, NULL), STRATA_EINVALID);
    free(ed);
    free(kb);
    env_close(&e);
}

/* A tiny cache keeps working (eviction under pins), and walk sees every node. */
static void test_tree_small_cache_evicts_and_still_reads(void **state)
{
    (void)state;
    env e;
    env_open(&e, "tree_cache", 64 * 1024);
    strata_oid r;
    assert_int_equal(strata_tree__empty(e.ctx, &r), 0);
    enum { N = 30000 };
    strata_tree_edit *ed = calloc(N, sizeof *ed);
    char (*kb)[16] = malloc(N * sizeof *kb);
    for (int i = 0; i < N; i++) {
        ed[i].key = kb[i];
        ed[i].klen = (size_t)sprintf(kb[i], "k%07d", i * 7 % N);
        ed[i].val = kb[i];
        ed[i].vlen = ed[i].klen;
    }
    strata_oid r2;
    assert_int_equal(strata_tree__apply(e.ctx, &r, ed, N, &r2), 0);
    for (int i = 0; i < N; i += 7) {
        strata_tree_value v;
        assert_int_equal(strata_tree__get(e.ctx, &r2, kb[i], ed[i].klen, &v), 0);
        assert_memory_equal(v.data, kb[i], ed[i].klen);
        strata_tree__value_release(e.ctx, &v);
    }
    strata_tree_stats st;
    strata_tree__stats(e.ctx, &st);
    assert_true(st.cached_bytes <= 64 * 1024 + 16 * 40 * 1024);
    assert_true(st.misses > 0);
    int counts[2] = {0, 0};
    assert_int_equal(strata_tree__walk(e.ctx, &r2, walk_count, counts), 0);
    assert_true(counts[0] > 10);
    assert_int_equal(counts[1], 0);
    /* cache disabled entirely */
    strata_tree_ctx *nc;
    assert_int_equal(strata_tree__ctx_new(&nc, e.store, 0), 0);
    uint64_t cnt;
    assert_int_equal(strata_tree__count(nc, &r2, &cnt), 0);
    assert_int_equal(cnt, N);
    strata_tree_value v;
    assert_int_equal(strata_tree__get(nc, &r2, "k0000007", 8, &v), 0);
    strata_tree__value_release(nc, &v);
    strata_tree__ctx_free(nc);
    free(ed);
    free(kb);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_chunk_rule_respects_min_and_max),
        cmocka_unit_test(test_tree_node_codec_round_trips),
        cmocka_unit_test(test_tree_node_decode_rejects_corruption),
        cmocka_unit_test(test_tree_empty_root_is_defined),
        cmocka_unit_test(test_tree_matches_reference_map_over_random_edits),
        cmocka_unit_test(test_tree_same_items_any_order_same_root),
        cmocka_unit_test(test_tree_golden_root_digests),
        cmocka_unit_test(test_tree_single_change_rewrites_only_its_path),
        cmocka_unit_test(test_tree_bad_edits_are_rejected_and_change_nothing),
        cmocka_unit_test(test_tree_corrupt_child_is_detected),
        cmocka_unit_test(test_tree_large_values_are_blobs),
        cmocka_unit_test(test_tree_small_cache_evicts_and_still_reads),
        cmocka_unit_test(test_tree_walk_visits_nodes_and_blobs_and_can_skip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
