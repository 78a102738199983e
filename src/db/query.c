/* The keyed-data iterator: one walk over a table's or a records entry's tree, used by table
 * query and scan and by records range/list. The cursor walks [lo, hi) forward or backward; the
 * bounds come from a key condition, a scan segment, a start key or a records range. Items whose
 * TTL has passed are invisible; filters, projections and limits apply to tables. Calls view.c,
 * item.c, iter.c and kv.c. */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "expr/expr.h"
#include "util/error.h"
#include "util/mem.h"

typedef struct keyed_iter {
    strata_db *db;
    strata_db_cursor *cur;
    int kind;                 /* STRATA_ENTRY_RECORDS: the key handed out is the record's name */
    strata_db_exprs r;
    char *pk, *sk, *ttl;      /* the key schema ("" when none) */
    strata_buf lo, hi;        /* key bounds: lo inclusive, hi exclusive (when has_lo / has_hi) */
    int has_lo, has_hi;
    int reverse;
    size_t limit;             /* 0 = none */
    uint64_t end_index;       /* scan segments: stop before this item index (UINT64_MAX: none) */
    int started, done;
    int64_t now_s;
    strata_buf proj;          /* projected item scratch */
    strata_buf lastkey;       /* the limit-th item read (a limit's LastEvaluatedKey) */
    int have_lastkey;
    strata_buf scratch;       /* records: the decoded key */
} keyed_iter;

static void keyed_free(void *state)
{
    keyed_iter *st = state;
    strata_db__cursor_free(st->cur);
    strata_db__exprs_free(&st->r);
    strata_mem__free(st->pk);
    strata_mem__free(st->sk);
    strata_mem__free(st->ttl);
    strata_buf__free(&st->lo);
    strata_buf__free(&st->hi);
    strata_buf__free(&st->proj);
    strata_buf__free(&st->lastkey);
    strata_buf__free(&st->scratch);
    strata_mem__free(st);
}

static int key_cmp(const void *a, size_t al, const strata_buf *b)
{
    size_t n = al < b->len ? al : b->len;
    int c = memcmp(a, b->data, n);
    if (c) return c;
    return al < b->len ? -1 : al > b->len;
}

/* Move to the next item to read: the first (seek to the bound) or the following one. */
static int step(keyed_iter *st)
{
    if (st->started) return strata_db__cursor_move(st->cur, st->reverse ? STRATA_DB_PREV : STRATA_DB_NEXT, NULL, 0);
    st->started = 1;
    if (!st->reverse)
        return st->has_lo ? strata_db__cursor_move(st->cur, STRATA_DB_SEEK, st->lo.data, st->lo.len)
                          : strata_db__cursor_move(st->cur, STRATA_DB_FIRST, NULL, 0);
    return st->has_hi ? strata_db__cursor_move(st->cur, STRATA_DB_SEEK_BEFORE, st->hi.data, st->hi.len)
                      : strata_db__cursor_move(st->cur, STRATA_DB_LAST, NULL, 0);
}

static int keyed_next(strata_iter *it, void *state)
{
    keyed_iter *st = state;
    if (st->done) return STRATA_ITEROVER;
    int rc;
    for (;;) {
        if ((rc = step(st)) == STRATA_ITEROVER) break;
        if (rc) return rc;
        strata_slice k;
        strata_db__cursor_key(st->cur, &k);
        /* the walk starts inside the bounds: only the far one can be crossed */
        if (!st->reverse ? st->has_hi && key_cmp(k.data, k.len, &st->hi) >= 0
                         : st->has_lo && key_cmp(k.data, k.len, &st->lo) < 0)
            break;
        if (st->end_index != UINT64_MAX) {
            uint64_t idx;
            if ((rc = strata_db__cursor_index(st->cur, &idx))) return rc;
            if (idx >= st->end_index) break;
        }
        if (st->limit && it->scanned >= st->limit) {
            /* the limit stopped us before this item: the last read key continues the page */
            if (st->have_lastkey && (rc = strata_db__key_value(&it->last_key, st->kind, st->pk, st->sk,
                                                               st->lastkey.data, st->lastkey.len)))
                return rc;
            st->done = 1;
            return STRATA_ITEROVER;
        }
        strata_slice item;
        if ((rc = strata_db__cursor_value(st->cur, &item))) return rc;
        if (*st->ttl && strata_db__item_expired(item, st->ttl, st->now_s)) continue; /* invisible, not counted */
        if (++it->scanned == st->limit) {
            st->lastkey.len = 0;
            if ((rc = strata_buf__append(&st->lastkey, k.data, k.len))) return rc;
            st->have_lastkey = 1;
        }
        if (st->r.keycond) {
            /* the key range is exact for pk and the sort-key range; re-check for safety */
            int ok = 0;
            if ((rc = strata_expr__eval(&ok, st->r.keycond, item))) return rc;
            if (!ok) continue;
        }
        if (st->r.filter) {
            int ok = 0;
            if ((rc = strata_expr__eval(&ok, st->r.filter, item))) return rc;
            if (!ok) continue;
        }
        if (st->r.proj) {
            st->proj.len = 0;
            if ((rc = strata_expr__project(&st->proj, st->r.proj, item))) return rc;
            rc = strata_doc__value_new(&it->value, st->proj.data, st->proj.len);
        } else {
            rc = strata_doc__value_new(&it->value, item.data, item.len);
        }
        if (rc) return rc;
        if (st->kind == STRATA_ENTRY_RECORDS) {
            strata_slice name;
            if ((rc = strata_db__record_name(&name, k.data, k.len, &st->scratch))) return rc;
            k = name;
        }
        if ((rc = strata_buf__append(&it->key, k.data, k.len))) return rc;
        it->count++;
        return 0;
    }
    st->done = 1;
    return STRATA_ITEROVER;
}

static const strata_db_iter_type keyed_type = {keyed_next, keyed_free};

/* A new iterator over the tree of head `h`, positioned before its first item. */
static int keyed_open(strata_iter **out, keyed_iter **state, strata_db *db, const strata_db_head *h)
{
    keyed_iter *st = strata_mem__calloc(1, sizeof *st);
    if (!st) return STRATA_ENOMEM;
    st->db = db;
    st->kind = h->kind;
    st->end_index = UINT64_MAX;
    st->now_s = strata_db__now_us() / 1000000;
    int rc = STRATA_ENOMEM;
    if (!(st->pk = strata_mem__strdup(h->pk)) || !(st->sk = strata_mem__strdup(h->sk)) ||
        !(st->ttl = strata_mem__strdup(h->ttl)) || (rc = strata_db__cursor_open(&st->cur, db, &h->data))) {
        keyed_free(st);
        return rc;
    }
    *state = st;
    return strata_db__iter_new(out, &keyed_type, st);
}

/* ---- records -------------------------------------------------------------------------------- */

int strata_db__records_iter(strata_iter **out, strata_db *db, const strata_db_head *h, const char *from, const char *to)
{
    keyed_iter *st;
    int rc = keyed_open(out, &st, db, h);
    if (rc) return rc;
    /* keys encode in string order, so bounds on encoded keys are bounds on the names */
    if (from && (rc = strata_db__record_key(&st->lo, from)) == 0) st->has_lo = 1;
    if (rc == 0 && to && (rc = strata_db__record_key(&st->hi, to)) == 0) st->has_hi = 1;
    if (rc) {
        strata_iter_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- tables --------------------------------------------------------------------------------- */

/* Set the bounds from a compiled key condition. */
static int keycond_bounds(keyed_iter *st, const strata_expr_keycond *kc)
{
    int rc;
    if (kc->sk_kind == STRATA_EXPR_SK_NONE) {
        if ((rc = strata_doc__key_partition_range(&st->lo, &st->hi, kc->pk_value))) return rc;
        st->has_lo = st->has_hi = 1;
        return 0;
    }
    if (kc->sk_kind == STRATA_EXPR_SK_PREFIX) {
        if ((rc = strata_doc__key_prefix_range(&st->lo, &st->hi, kc->pk_value, kc->prefix))) return rc;
        st->has_lo = st->has_hi = 1;
        return 0;
    }
    /* a sort-key range inside the partition */
    strata_buf plo = {0}, phi = {0}, tmp = {0};
    if ((rc = strata_doc__key_partition_range(&plo, &phi, kc->pk_value))) goto done;
    if (kc->has_lower) {
        if ((rc = strata_doc__key_encode(&tmp, kc->pk_value, &kc->lower))) goto done;
        if (kc->lower_inclusive) {
            if ((rc = strata_buf__append(&st->lo, tmp.data, tmp.len))) goto done;
        } else {
            /* first key after every key equal to (pk, lower): keys are self-delimiting, so the
             * only key with this prefix is the key itself */
            if ((rc = strata_buf__append(&st->lo, tmp.data, tmp.len)) || (rc = strata_buf__putc(&st->lo, 0))) goto done;
        }
    } else if ((rc = strata_buf__append(&st->lo, plo.data, plo.len))) goto done;
    st->has_lo = 1;
    tmp.len = 0;
    if (kc->has_upper) {
        if ((rc = strata_doc__key_encode(&tmp, kc->pk_value, &kc->upper))) goto done;
        if (kc->upper_inclusive) {
            if ((rc = strata_buf__append(&st->hi, tmp.data, tmp.len)) || (rc = strata_buf__putc(&st->hi, 0))) goto done;
        } else if ((rc = strata_buf__append(&st->hi, tmp.data, tmp.len))) goto done;
    } else if ((rc = strata_buf__append(&st->hi, phi.data, phi.len))) goto done;
    st->has_hi = 1;
    /* never leave the partition */
    if (key_cmp(st->lo.data, st->lo.len, &plo) < 0) {
        st->lo.len = 0;
        if ((rc = strata_buf__append(&st->lo, plo.data, plo.len))) goto done;
    }
    if (key_cmp(st->hi.data, st->hi.len, &phi) > 0) {
        st->hi.len = 0;
        if ((rc = strata_buf__append(&st->hi, phi.data, phi.len))) goto done;
    }
done:
    strata_buf__free(&plo);
    strata_buf__free(&phi);
    strata_buf__free(&tmp);
    return rc;
}

/* Narrow the bounds to start strictly after (forward) or before (reverse) `start_key`. */
static int start_after(keyed_iter *st, const strata_value *start_key, const strata_db_head *c)
{
    strata_buf sk = {0};
    int rc = strata_db__item_key(&sk, strata_doc__value_slice(start_key), c->pk, c->sk, 1);
    if (rc) goto done;
    if (st->r.keycond) {
        /* DynamoDB: the start key must lie in the queried partition */
        strata_slice pkv;
        int same = strata_doc__map_get(strata_doc__value_slice(start_key), c->pk, strlen(c->pk), &pkv) == 0;
        strata_expr_keycond kc;
        if (same && strata_expr__keycond(&kc, st->r.keycond, c->pk, *c->sk ? c->sk : NULL) == 0)
            same = strata_doc__equal(pkv, kc.pk_value);
        if (!same) {
            rc = strata_err__set(STRATA_EINVALID, "the start key is not in the queried partition");
            goto done;
        }
    }
    if (!st->reverse) {
        if ((rc = strata_buf__putc(&sk, 0))) goto done;
        if (!st->has_lo || key_cmp(sk.data, sk.len, &st->lo) > 0) {
            st->lo.len = 0;
            if ((rc = strata_buf__append(&st->lo, sk.data, sk.len))) goto done;
            st->has_lo = 1;
        }
    } else if (!st->has_hi || key_cmp(sk.data, sk.len, &st->hi) < 0) {
        st->hi.len = 0;
        if ((rc = strata_buf__append(&st->hi, sk.data, sk.len))) goto done;
        st->has_hi = 1;
    }
done:
    strata_buf__free(&sk);
    return rc;
}

/* Restrict a scan to segment `seg` of `total`: the items with index in [n·seg/total, n·(seg+1)/total). */
static int segment_bounds(keyed_iter *st, const strata_db_head *c, unsigned seg, unsigned total)
{
    uint64_t n, a, b;
    int rc = strata_db__tree_count(st->db, &c->data, &n);
    if (rc) return rc;
    a = n * seg / total;
    b = n * (seg + 1) / total;
    st->end_index = b;
    if (a >= b) {
        st->done = 1;
        return 0;
    }
    if ((rc = strata_db__cursor_seek_index(st->cur, a))) return rc;
    strata_slice k;
    strata_db__cursor_key(st->cur, &k);
    if ((rc = strata_buf__append(&st->lo, k.data, k.len))) return rc;
    st->has_lo = 1;
    return 0;
}

static int table_iter(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
                      const strata_query_options *q, const strata_read_options *ro, int is_query)
{
    const char *fn = is_query ? "strata_table_query" : "strata_table_scan";
    if (!out) return strata_err__set(STRATA_EINVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!db || !q) return strata_err__set(STRATA_EINVALID, "%s: NULL argument", fn);
    if (q->version != STRATA_QUERY_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "unknown query options version %u", q->version);
    if (is_query && !q->key_condition) return strata_err__set(STRATA_EINVALID, "strata_table_query: a key condition is required");
    if (!is_query && q->key_condition) return strata_err__set(STRATA_EINVALID, "strata_table_scan: a scan takes no key condition (use strata_table_query)");
    if (!is_query && q->reverse) return strata_err__set(STRATA_EINVALID, "strata_table_scan: a scan reads in key order only");
    if (q->total_segments > 1 && q->segment >= q->total_segments)
        return strata_err__set(STRATA_EINVALID, "segment %u is not below total_segments %u", q->segment, q->total_segments);
    if (is_query && q->total_segments > 1) return strata_err__set(STRATA_EINVALID, "strata_table_query: segments apply to scans");
    strata_db_head c;
    int rc = strata_db__keyed_head(db, tenant, entry, ro, STRATA_ENTRY_TABLE, &c);
    if (rc) return rc;
    strata_iter *it = NULL;
    keyed_iter *st;
    if ((rc = keyed_open(&it, &st, db, &c))) return rc;
    st->reverse = q->reverse;
    st->limit = q->limit;
    if ((rc = strata_db__exprs_parse(&st->r, q->names, q->values, NULL, NULL, q->filter, q->projection, q->key_condition)))
        goto done;
    if (st->r.keycond) {
        strata_expr_keycond kc;
        if ((rc = strata_expr__keycond(&kc, st->r.keycond, c.pk, *c.sk ? c.sk : NULL))) goto done;
        if ((rc = keycond_bounds(st, &kc))) goto done;
    }
    if (q->total_segments > 1 && (rc = segment_bounds(st, &c, q->segment, q->total_segments))) goto done;
    if (q->start_key) rc = start_after(st, q->start_key, &c);
done:
    if (rc) strata_iter_free(it);
    else *out = it;
    return rc;
}

int strata_table_query(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_query_options *q,
                       const strata_read_options *ro)
{
    return table_iter(out, db, tenant, entry, q, ro, 1);
}

int strata_table_scan(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_query_options *q,
                      const strata_read_options *ro)
{
    strata_query_options all = STRATA_QUERY_OPTIONS_INIT;
    return table_iter(out, db, tenant, entry, q ? q : &all, ro, 0);
}
