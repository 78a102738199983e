/* Tables: key schemas, item writes (put/delete/update with conditions and return values, batched
 * in transactions), get_item with projection, query and scan iterators (range scans of the
 * prolly tree with filters, projection, limits, paging and parallel segments), TTL sweeps, and
 * the key helpers shared with listeners and diffs. docs/tables.md describes the semantics. */
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "expr/expr.h"
#include "tree/tree.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- schema ------------------------------------------------------------------------------ */

/* The table's head commit at the read point (kind checked). */
static int table_commit(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                        strata_db_head *c)
{
    int rc = strata_db__head(db, tenant, entry, ro, c);
    if (rc) return rc;
    if (c->kind != STRATA_ENTRY_TABLE) return strata_err__set(STRATA_EINVALID, "entry '%s' is not a table", entry);
    return 0;
}

static int check_attr_name(const char *name, const char *what)
{
    if (!name) return strata_err__set(STRATA_EINVALID, "%s is NULL", what);
    return strata_doc__check_name(name, strlen(name), what);
}

int strata_table_create(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                        const strata_table_schema *schema, const strata_write_options *wo)
{
    if (!db || !schema) return strata_err__set(STRATA_EINVALID, "strata_table_create: NULL argument");
    if (schema->version != STRATA_TABLE_SCHEMA_VERSION)
        return strata_err__set(STRATA_EINVALID, "unknown table schema version %u", schema->version);
    int rc;
    if ((rc = check_attr_name(schema->pk, "partition key attribute")) ||
        (schema->sk && (rc = check_attr_name(schema->sk, "sort key attribute"))) ||
        (schema->ttl && (rc = check_attr_name(schema->ttl, "TTL attribute"))))
        return rc;
    if (schema->sk && strcmp(schema->sk, schema->pk) == 0)
        return strata_err__set(STRATA_EINVALID, "the sort key attribute must differ from the partition key");
    if ((rc = strata_db__check_name(entry, "entry name"))) return rc;
    strata_write_options w;
    if ((rc = strata_db__write_options(&w, wo))) return rc;
    w.expect_head = NULL;
    strata_txn *t;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) return rc;
    rc = strata_db__txn_create_table(t, entry, schema->pk, schema->sk, schema->ttl);
    if (rc == 0) {
        rc = strata_db__txn_commit(t, NULL);
        if (rc >= 0 && out) *out = *strata_db__txn_result(t, 0);
    }
    strata_txn_abort(t);
    return rc;
}

/* ---- keys -------------------------------------------------------------------------------- */

/* The tree key of an item or key map: key codec of (pk value, sk value). With exact, `item`
 * must hold exactly the key attributes (a Key argument); else it may hold more (an Item). */
static int item_key(strata_buf *out, strata_slice item, const char *pk, const char *sk, int exact)
{
    int t = strata_doc__type(item);
    if (t < 0) return t;
    if (t != STRATA_DOC_MAP) return strata_err__set(STRATA_EINVALID, exact ? "a key must be a map of the key attributes" : "an item must be a map");
    strata_slice pv, sv;
    int has_sk = sk && *sk;
    if (strata_doc__map_get(item, pk, strlen(pk), &pv) != 0)
        return strata_err__set(STRATA_EINVALID, "%s is missing the partition key attribute '%s'", exact ? "the key" : "the item", pk);
    if (has_sk && strata_doc__map_get(item, sk, strlen(sk), &sv) != 0)
        return strata_err__set(STRATA_EINVALID, "%s is missing the sort key attribute '%s'", exact ? "the key" : "the item", sk);
    const char *names[2] = {pk, sk};
    strata_slice vals[2] = {pv, has_sk ? sv : pv};
    for (int i = 0; i < 1 + has_sk; i++) {
        int vt = strata_doc__type(vals[i]);
        if (vt != STRATA_DOC_STRING && vt != STRATA_DOC_NUMBER && vt != STRATA_DOC_BINARY)
            return strata_err__set(STRATA_EINVALID, "key attribute '%s' must be a string, number or binary", names[i]);
    }
    if (exact) {
        size_t n = 0;
        strata_doc__count(item, &n);
        if (n != (size_t)(1 + has_sk))
            return strata_err__set(STRATA_EINVALID, "the key must hold only the key attributes (%s%s%s)", pk,
                                   has_sk ? ", " : "", has_sk ? sk : "");
    }
    return strata_doc__key_encode(out, pv, has_sk ? &sv : NULL);
}

/* Build the key map {pk: …, sk: …} of a tree key. */
int strata_db__table_key_value(strata_value **out, const char *pk, const char *sk, const void *key, size_t klen)
{
    strata_buf pb = {0}, sb = {0};
    strata_doc_builder *b = NULL;
    int has_sk = 0, rc;
    strata_slice res;
    if ((rc = strata_doc__key_decode(key, klen, &pb, &sb, &has_sk))) goto done;
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__b_begin(b, STRATA_DOC_MAP))) goto done;
    strata_slice ps = {pb.data, pb.len}, ss = {sb.data, sb.len};
    if ((rc = strata_doc__b_key(b, pk, strlen(pk))) || (rc = strata_doc__b_value(b, ps))) goto done;
    if (has_sk && sk && *sk && ((rc = strata_doc__b_key(b, sk, strlen(sk))) || (rc = strata_doc__b_value(b, ss)))) goto done;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &res))) goto done;
    rc = strata_db__value_new(out, res.data, res.len);
done:
    strata_doc__builder_free(b);
    strata_buf__free(&pb);
    strata_buf__free(&sb);
    return rc;
}

/* ---- expressions ------------------------------------------------------------------------- */

static strata_slice opt_slice(const strata_value *v)
{
    strata_slice s = {NULL, 0};
    return v ? strata_db__value_slice(v) : s;
}

/* Parse the expressions of one request. Any of the out pointers may be NULL when its text is. */
typedef struct req_exprs {
    strata_expr *cond, *upd, *filter, *proj, *keycond;
} req_exprs;

static void req_free(req_exprs *r)
{
    strata_expr__free(r->cond);
    strata_expr__free(r->upd);
    strata_expr__free(r->filter);
    strata_expr__free(r->proj);
    strata_expr__free(r->keycond);
    memset(r, 0, sizeof *r);
}

static int parse_one(strata_expr **out, strata_expr_kind kind, const char *text, strata_expr_params *pp)
{
    if (!text) return 0;
    return strata_expr__parse(out, kind, text, strlen(text), pp);
}

static int req_parse(req_exprs *r, const strata_value *names, const strata_value *values, const char *cond,
                     const char *upd, const char *filter, const char *proj, const char *keycond)
{
    memset(r, 0, sizeof *r);
    strata_expr_params *pp = NULL;
    int rc = strata_expr__params_new(&pp, opt_slice(names), opt_slice(values));
    if (rc) return rc;
    if ((rc = parse_one(&r->keycond, STRATA_EXPR_KEY_CONDITION, keycond, pp)) ||
        (rc = parse_one(&r->cond, STRATA_EXPR_CONDITION, cond, pp)) ||
        (rc = parse_one(&r->upd, STRATA_EXPR_UPDATE, upd, pp)) ||
        (rc = parse_one(&r->filter, STRATA_EXPR_CONDITION, filter, pp)) ||
        (rc = parse_one(&r->proj, STRATA_EXPR_PROJECTION, proj, pp)) ||
        (rc = strata_expr__params_check_unused(pp)))
        req_free(r);
    strata_expr__params_free(pp);
    return rc;
}

/* ---- item writes ------------------------------------------------------------------------- */

static int check_io(const strata_item_options *io)
{
    if (!io) return 0;
    if (io->version != STRATA_ITEM_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "unknown item options version %u", io->version);
    if (io->return_values < STRATA_RETURN_NONE || io->return_values > STRATA_RETURN_ALL_NEW)
        return strata_err__set(STRATA_EINVALID, "unknown return_values %d", io->return_values);
    return 0;
}

/* One item write as a one-op transaction. */
static int item_write(strata_value **out, strata_db *db, const char *tenant, const char *entry, int kind,
                      const strata_value *arg, const char *update, const strata_item_options *io,
                      const strata_write_options *wo)
{
    if (out) *out = NULL;
    if (!db || !arg) return strata_err__set(STRATA_EINVALID, "%s: NULL argument",
                                            kind == STRATA_DB_ITEM_PUT ? "strata_table_put_item" :
                                            kind == STRATA_DB_ITEM_DELETE ? "strata_table_delete_item" : "strata_table_update_item");
    if (kind == STRATA_DB_ITEM_UPDATE && !update) return strata_err__set(STRATA_EINVALID, "strata_table_update_item: update expression is NULL");
    int rc = check_io(io);
    if (rc) return rc;
    strata_db_head c;
    if ((rc = table_commit(db, tenant, entry, NULL, &c))) return rc;
    req_exprs r;
    memset(&r, 0, sizeof r);
    strata_buf key = {0};
    strata_txn *t = NULL;
    strata_write_options w;
    if ((rc = strata_db__write_options(&w, wo))) goto done;
    const strata_oid *expect = w.expect_head;
    w.expect_head = NULL;
    if ((rc = req_parse(&r, io ? io->names : NULL, io ? io->values : NULL, io ? io->condition : NULL,
                        update, NULL, NULL, NULL)))
        goto done;
    if (r.upd && (strata_expr__update_touches(r.upd, c.pk, strlen(c.pk)) ||
                  (*c.sk && strata_expr__update_touches(r.upd, c.sk, strlen(c.sk))))) {
        rc = strata_err__set(STRATA_EINVALID, "update expression: cannot update key attribute '%s'",
                             strata_expr__update_touches(r.upd, c.pk, strlen(c.pk)) ? c.pk : c.sk);
        goto done;
    }
    strata_slice a = strata_db__value_slice(arg);
    if ((rc = item_key(&key, a, c.pk, c.sk, kind != STRATA_DB_ITEM_PUT))) goto done;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) goto done;
    if (expect && (rc = strata_txn_expect_head(t, entry, expect))) goto done;
    strata_db_item it = {kind, key.data, key.len, a.data, a.len, r.cond, r.upd, io ? io->return_values : 0, c.pk, c.sk, c.ttl, 0};
    r.cond = r.upd = NULL; /* owned by the transaction now */
    if ((rc = strata_db__txn_item(t, entry, &it, NULL))) goto done;
    rc = strata_db__txn_commit(t, NULL);
    if (rc >= 0 && out) *out = strata_db__txn_take_item_result(t, 0);
done:
    strata_txn_abort(t);
    req_free(&r);
    strata_buf__free(&key);
    return rc;
}

int strata_table_put_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *item,
                    const strata_item_options *io, const strata_write_options *wo)
{
    return item_write(out, db, tenant, entry, STRATA_DB_ITEM_PUT, item, NULL, io, wo);
}

int strata_table_delete_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *key,
                       const strata_item_options *io, const strata_write_options *wo)
{
    return item_write(out, db, tenant, entry, STRATA_DB_ITEM_DELETE, key, NULL, io, wo);
}

int strata_table_update_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *key,
                       const char *update, const strata_item_options *io, const strata_write_options *wo)
{
    return item_write(out, db, tenant, entry, STRATA_DB_ITEM_UPDATE, key, update, io, wo);
}

/* Batch writes inside a transaction: the schema is read from the table's current head. */
static int txn_item(strata_txn *t, const char *entry, const strata_value *arg, int kind)
{
    if (!t) return strata_err__set(STRATA_EINVALID, "transaction is NULL");
    int rc0 = strata_db__txn_usable(t);
    if (rc0) return rc0;
    if (!arg)
        return strata_db__txn_poison(t, strata_err__set(STRATA_EINVALID, "%s: NULL argument",
                                                       kind == STRATA_DB_ITEM_PUT ? "strata_txn_put_item" : "strata_txn_delete_item"));
    strata_db_head c;
    int rc = table_commit(strata_db__txn_db(t), strata_db__txn_tenant(t), entry, NULL, &c);
    if (rc) return strata_db__txn_poison(t, rc);
    strata_buf key = {0};
    strata_slice a = strata_db__value_slice(arg);
    if ((rc = item_key(&key, a, c.pk, c.sk, kind != STRATA_DB_ITEM_PUT)) == 0) {
        strata_db_item it = {kind, key.data, key.len, a.data, a.len, NULL, NULL, 0, c.pk, c.sk, c.ttl, 0};
        rc = strata_db__txn_item(t, entry, &it, NULL);
    } else {
        rc = strata_db__txn_poison(t, rc);
    }
    strata_buf__free(&key);
    return rc;
}

int strata_txn_put_item(strata_txn *txn, const char *entry, const strata_value *item)
{
    return txn_item(txn, entry, item, STRATA_DB_ITEM_PUT);
}

int strata_txn_delete_item(strata_txn *txn, const char *entry, const strata_value *key)
{
    return txn_item(txn, entry, key, STRATA_DB_ITEM_DELETE);
}

/* ---- reads ------------------------------------------------------------------------------- */

static int64_t now_s(void) { return strata_db__now_us() / 1000000; }

int strata_table_get_item(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_value *key,
                    const char *projection, const strata_value *names, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_table_get_item: out is NULL");
    *out = NULL;
    if (!db || !key) return strata_err__set(STRATA_EINVALID, "strata_table_get_item: NULL argument");
    strata_db_head c;
    int rc = table_commit(db, tenant, entry, ro, &c);
    if (rc) return rc;
    req_exprs r;
    memset(&r, 0, sizeof r);
    strata_buf k = {0}, v = {0}, p = {0};
    if ((rc = req_parse(&r, names, NULL, NULL, NULL, NULL, projection, NULL))) goto done;
    if ((rc = item_key(&k, strata_db__value_slice(key), c.pk, c.sk, 1))) goto done;
    rc = strata_db__tree_get(db, &c.data, k.data, k.len, &v);
    strata_slice item = {v.data, v.len};
    if (rc == 0 && strata_db__item_expired(item, c.ttl, now_s())) rc = STRATA_ENOTFOUND;
    if (rc == STRATA_ENOTFOUND) {
        rc = strata_err__set(STRATA_ENOTFOUND, "no such item in table '%s'", entry);
        goto done;
    }
    if (rc) goto done;
    if (r.proj) {
        if ((rc = strata_expr__project(&p, r.proj, item))) goto done;
        rc = strata_db__value_new(out, p.data, p.len);
    } else {
        rc = strata_db__value_new(out, v.data, v.len);
    }
done:
    req_free(&r);
    strata_buf__free(&k);
    strata_buf__free(&v);
    strata_buf__free(&p);
    return rc;
}

int strata_table_describe(strata_value **out, strata_db *db, const char *tenant, const char *entry,
                          const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_table_describe: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head c;
    int rc = table_commit(db, tenant, entry, ro, &c);
    if (rc) return rc;
    uint64_t n = 0;
    strata_doc_builder *b = NULL;
    strata_slice res;
    strata_num num;
    if ((rc = strata_db__tree_count(db, &c.data, &n))) goto done;
    strata_num__from_i64(&num, (int64_t)n);
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__b_begin(b, STRATA_DOC_MAP)) ||
        (rc = strata_doc__b_key(b, "count", 5)) || (rc = strata_doc__b_number(b, &num)) ||
        (rc = strata_doc__b_key(b, "pk", 2)) || (rc = strata_doc__b_string(b, c.pk, strlen(c.pk))))
        goto done;
    if (*c.sk && ((rc = strata_doc__b_key(b, "sk", 2)) || (rc = strata_doc__b_string(b, c.sk, strlen(c.sk))))) goto done;
    if (*c.ttl && ((rc = strata_doc__b_key(b, "ttl", 3)) || (rc = strata_doc__b_string(b, c.ttl, strlen(c.ttl))))) goto done;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &res))) goto done;
    rc = strata_db__value_new(out, res.data, res.len);
done:
    strata_doc__builder_free(b);
    return rc;
}

/* ---- query and scan ---------------------------------------------------------------------- */

/* State of a query/scan iterator (strata_iter.impl). The cursor walks [lo, hi) forward or
 * backward; bounds come from the key condition, the scan segment or the start key. */
typedef struct items_state {
    strata_tree_cursor *cur;
    strata_tree_ctx *tree;
    req_exprs r;
    char *pk, *sk, *ttl;
    strata_buf lo, hi;        /* key bounds: lo inclusive (empty = none), hi exclusive (empty = none) */
    int has_lo, has_hi;
    int reverse;
    size_t limit;             /* 0 = none */
    uint64_t end_index;       /* scan segments: stop before this item index (UINT64_MAX: none) */
    int started, done;
    int64_t now_s;
    strata_buf proj;          /* projected item scratch */
    strata_buf lastkey;       /* last item read */
    int have_lastkey;
} items_state;

static void items_free(strata_iter *it)
{
    items_state *st = it->impl;
    if (!st) return;
    strata_tree__cursor_free(st->cur);
    req_free(&st->r);
    strata_mem__free(st->pk);
    strata_mem__free(st->sk);
    strata_mem__free(st->ttl);
    strata_buf__free(&st->lo);
    strata_buf__free(&st->hi);
    strata_buf__free(&st->proj);
    strata_buf__free(&st->lastkey);
    strata_mem__free(st);
    it->impl = NULL;
}

static int key_cmp(const void *a, size_t al, const strata_buf *b)
{
    size_t n = al < b->len ? al : b->len;
    int c = memcmp(a, b->data, n);
    if (c) return c;
    return al < b->len ? -1 : al > b->len;
}

static int in_bounds(const items_state *st, const void *k, size_t kl)
{
    if (st->has_lo && key_cmp(k, kl, &st->lo) < 0) return 0;
    if (st->has_hi && key_cmp(k, kl, &st->hi) >= 0) return 0;
    return 1;
}

/* Position the cursor on the first item to read. */
static int items_start(items_state *st)
{
    int rc;
    if (!st->reverse) rc = st->has_lo ? strata_tree__cursor_seek(st->cur, st->lo.data, st->lo.len)
                                      : strata_tree__cursor_first(st->cur);
    else rc = st->has_hi ? strata_tree__cursor_seek_before(st->cur, st->hi.data, st->hi.len)
                         : strata_tree__cursor_last(st->cur);
    return rc;
}

static int items_next(strata_iter *it)
{
    items_state *st = it->impl;
    if (st->done) return STRATA_ITEROVER;
    int rc;
    for (;;) {
        if (!st->started) {
            st->started = 1;
            rc = items_start(st);
        } else {
            rc = st->reverse ? strata_tree__cursor_prev(st->cur) : strata_tree__cursor_next(st->cur);
        }
        if (rc == STRATA_ITEROVER) break;
        if (rc) return rc;
        const void *k;
        size_t kl;
        strata_tree__cursor_key(st->cur, &k, &kl);
        if (!in_bounds(st, k, kl)) break;
        if (st->end_index != UINT64_MAX) {
            uint64_t idx;
            if ((rc = strata_tree__cursor_index(st->cur, &idx))) return rc;
            if (idx >= st->end_index) break;
        }
        if (st->limit && it->scanned >= st->limit) {
            /* the limit stopped us before this item: the last read key continues the page */
            if (st->have_lastkey &&
                (rc = strata_db__table_key_value(&it->last_key, st->pk, st->sk, st->lastkey.data, st->lastkey.len)))
                return rc;
            st->done = 1;
            return STRATA_ITEROVER;
        }
        const void *v;
        size_t vl;
        if ((rc = strata_tree__cursor_value(st->cur, &v, &vl))) return rc;
        strata_slice item = {v, vl};
        if (strata_db__item_expired(item, st->ttl, st->now_s)) continue; /* invisible, not counted */
        it->scanned++;
        st->lastkey.len = 0;
        if ((rc = strata_buf__append(&st->lastkey, k, kl))) return rc;
        st->have_lastkey = 1;
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
            rc = strata_db__value_new(&it->value, st->proj.data, st->proj.len);
        } else {
            rc = strata_db__value_new(&it->value, v, vl);
        }
        if (rc) return rc;
        if ((rc = strata_buf__append(&it->key, k, kl))) return rc;
        it->count++;
        return 0;
    }
    st->done = 1;
    return STRATA_ITEROVER;
}

/* Set the bounds from a compiled key condition. */
static int keycond_bounds(items_state *st, const strata_expr_keycond *kc)
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

static int items_open(strata_iter **out, strata_db *db, const char *tenant, const char *entry,
                      const strata_query_options *q, const strata_read_options *ro, int is_query)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "%s: out is NULL", is_query ? "strata_table_query" : "strata_table_scan");
    *out = NULL;
    if (!db || !q) return strata_err__set(STRATA_EINVALID, "%s: NULL argument", is_query ? "strata_table_query" : "strata_table_scan");
    if (q->version != STRATA_QUERY_OPTIONS_VERSION)
        return strata_err__set(STRATA_EINVALID, "unknown query options version %u", q->version);
    if (is_query && !q->key_condition) return strata_err__set(STRATA_EINVALID, "strata_table_query: a key condition is required");
    if (!is_query && q->key_condition) return strata_err__set(STRATA_EINVALID, "strata_table_scan: a scan takes no key condition (use strata_table_query)");
    if (!is_query && q->reverse) return strata_err__set(STRATA_EINVALID, "strata_table_scan: a scan reads in key order only");
    if (q->total_segments > 1 && q->segment >= q->total_segments)
        return strata_err__set(STRATA_EINVALID, "segment %u is not below total_segments %u", q->segment, q->total_segments);
    if (is_query && q->total_segments > 1) return strata_err__set(STRATA_EINVALID, "strata_table_query: segments apply to scans");
    strata_db_head c;
    int rc = table_commit(db, tenant, entry, ro, &c);
    if (rc) return rc;
    strata_iter *it = NULL;
    items_state *st = NULL;
    strata_buf sk = {0};
    if ((rc = strata_db__iter_new(&it, db, IT_ITEMS))) goto done;
    st = strata_mem__calloc(1, sizeof *st);
    if (!st) { rc = STRATA_ENOMEM; goto done; }
    it->impl = st;
    it->impl_next = items_next;
    it->impl_free = items_free;
    st->end_index = UINT64_MAX;
    st->tree = db->tree;
    st->reverse = q->reverse;
    st->limit = q->limit;
    st->now_s = now_s();
    if (!(st->pk = strata_mem__strdup(c.pk)) || !(st->sk = strata_mem__strdup(c.sk)) || !(st->ttl = strata_mem__strdup(c.ttl))) {
        rc = STRATA_ENOMEM;
        goto done;
    }
    if ((rc = req_parse(&st->r, q->names, q->values, NULL, NULL, q->filter, q->projection, q->key_condition))) goto done;
    if (st->r.keycond) {
        strata_expr_keycond kc;
        if ((rc = strata_expr__keycond(&kc, st->r.keycond, c.pk, *c.sk ? c.sk : NULL))) goto done;
        if ((rc = keycond_bounds(st, &kc))) goto done;
    }
    if ((rc = strata_tree__cursor_open(&st->cur, db->tree, &c.data))) goto done;
    if (q->total_segments > 1) {
        uint64_t n, a, b;
        if ((rc = strata_db__tree_count(db, &c.data, &n))) goto done;
        a = n * q->segment / q->total_segments;
        b = n * (q->segment + 1) / q->total_segments;
        st->end_index = b;
        if (a >= b) {
            st->done = 1;
        } else {
            if ((rc = strata_tree__cursor_seek_index(st->cur, a))) goto done;
            const void *k;
            size_t kl;
            strata_tree__cursor_key(st->cur, &k, &kl);
            if ((rc = strata_buf__append(&st->lo, k, kl))) goto done;
            st->has_lo = 1;
        }
    }
    if (q->start_key) {
        /* continue strictly after (forward) or before (reverse) the start key */
        if ((rc = item_key(&sk, strata_db__value_slice(q->start_key), c.pk, c.sk, 1))) goto done;
        if (st->r.keycond) {
            /* DynamoDB: the start key must lie in the queried partition */
            strata_slice pkv;
            int same = strata_doc__map_get(strata_db__value_slice(q->start_key), c.pk, strlen(c.pk), &pkv) == 0;
            strata_expr_keycond kc;
            if (same && strata_expr__keycond(&kc, st->r.keycond, c.pk, *c.sk ? c.sk : NULL) == 0)
                same = strata_doc__equal(pkv, kc.pk_value);
            if (!same) {
                rc = strata_err__set(STRATA_EINVALID, "the start key is not in the queried partition");
                goto done;
            }
        }
        if (!st->reverse) {
            strata_buf__putc(&sk, 0);
            if (!st->has_lo || key_cmp(sk.data, sk.len, &st->lo) > 0) {
                st->lo.len = 0;
                if ((rc = strata_buf__append(&st->lo, sk.data, sk.len))) goto done;
                st->has_lo = 1;
            }
        } else {
            if (!st->has_hi || key_cmp(sk.data, sk.len, &st->hi) < 0) {
                st->hi.len = 0;
                if ((rc = strata_buf__append(&st->hi, sk.data, sk.len))) goto done;
                st->has_hi = 1;
            }
        }
    }
done:
    strata_buf__free(&sk);
    if (rc) strata_iter_free(it);
    else *out = it;
    return rc;
}

int strata_table_query(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_query_options *q,
                 const strata_read_options *ro)
{
    return items_open(out, db, tenant, entry, q, ro, 1);
}

int strata_table_scan(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_query_options *q,
                const strata_read_options *ro)
{
    strata_query_options all = STRATA_QUERY_OPTIONS_INIT;
    return items_open(out, db, tenant, entry, q ? q : &all, ro, 0);
}

int strata_iter_last_key(strata_value **out, const strata_iter *it)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_iter_last_key: out is NULL");
    *out = NULL;
    if (!it) return strata_err__set(STRATA_EINVALID, "strata_iter_last_key: iterator is NULL");
    if (!it->last_key) return STRATA_ENOTFOUND;
    strata_slice s = strata_db__value_slice(it->last_key);
    return strata_db__value_new(out, s.data, s.len);
}

uint64_t strata_iter_count(const strata_iter *it) { return it ? it->count : 0; }
uint64_t strata_iter_scanned_count(const strata_iter *it) { return it ? it->scanned : 0; }

/* ---- TTL --------------------------------------------------------------------------------- */

int strata_table_sweep_ttl(uint64_t *removed, strata_db *db, const char *tenant, const char *entry, int64_t when)
{
    if (removed) *removed = 0;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head c;
    int rc = table_commit(db, tenant, entry, NULL, &c);
    if (rc) return rc;
    if (!*c.ttl) {
        return strata_err__set(STRATA_EINVALID, "table '%s' has no TTL attribute", entry);
    }
    if (when == 0) when = now_s();
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    w.user = "ttl";
    w.message = "expired items";
    strata_txn *t = NULL;
    strata_tree_cursor *cur = NULL;
    uint64_t n = 0;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) goto done;
    if ((rc = strata_tree__cursor_open(&cur, db->tree, &c.data))) goto done;
    for (rc = strata_tree__cursor_first(cur); rc == 0; rc = strata_tree__cursor_next(cur)) {
        const void *k, *v;
        size_t kl, vl;
        strata_tree__cursor_key(cur, &k, &kl);
        if ((rc = strata_tree__cursor_value(cur, &v, &vl))) goto done;
        strata_slice item = {v, vl};
        if (!strata_db__item_expired(item, c.ttl, when)) continue;
        /* delete only if still expired at commit time: a condition on the TTL attribute */
        strata_db_item it = {STRATA_DB_ITEM_DELETE, k, kl, v, 0, NULL, NULL, 0, c.pk, c.sk, c.ttl, when};
        if ((rc = strata_db__txn_item(t, entry, &it, NULL))) goto done;
        n++;
    }
    if (rc != STRATA_ITEROVER) goto done;
    rc = n ? strata_db__txn_commit(t, NULL) : STRATA_UNCHANGED;
    /* STRATA_UNCHANGED: every candidate was renewed (or not yet expired at commit time) */
    if (rc == 0 && removed) *removed = strata_db__txn_items_deleted(t); /* renewed ones are kept */
done:
    strata_tree__cursor_free(cur);
    strata_txn_abort(t);
    return rc;
}

#define OPTIONS_INIT_FN(fn, type, VERSION, INIT)                                                    \
    int fn(type *opt, unsigned int version)                                                         \
    {                                                                                               \
        if (!opt) return strata_err__set(STRATA_EINVALID, #fn ": NULL argument");                   \
        if (version != VERSION) return strata_err__set(STRATA_EINVALID, #fn ": unknown version %u", version); \
        type d = INIT;                                                                              \
        *opt = d;                                                                                   \
        return 0;                                                                                   \
    }

OPTIONS_INIT_FN(strata_table_schema_init, strata_table_schema, STRATA_TABLE_SCHEMA_VERSION, STRATA_TABLE_SCHEMA_INIT)
OPTIONS_INIT_FN(strata_item_options_init, strata_item_options, STRATA_ITEM_OPTIONS_VERSION, STRATA_ITEM_OPTIONS_INIT)
OPTIONS_INIT_FN(strata_query_options_init, strata_query_options, STRATA_QUERY_OPTIONS_VERSION, STRATA_QUERY_OPTIONS_INIT)
