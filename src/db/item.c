/* Keyed data — tables and keyed records, one code path: tree keys of items and records, keys
 * as values, TTL expiry, the expressions of a request, and applying a transaction's item
 * writes to a tree at commit time (conditions, update expressions, TTL-guarded deletes, return
 * values). docs/tables.md describes the semantics. Calls view.c and kv.c (values: src/doc).
 *
 * Applying a batch: writes are applied in order, so a write sees every earlier write of the
 * same transaction to the same key. Each write becomes one tree edit; a write that must read
 * its item (a condition, an update, ALL_OLD, a TTL sweep) looks first at the earlier edits of
 * the batch, newest first, then at the tree. Edit values point into the batch's arena (puts)
 * or into one buffer of computed values (updates, kept items), addressed by offset until the
 * end, when the buffer no longer moves and the pointers are set once. */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "expr/expr.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- kinds and heads ------------------------------------------------------------------------ */

const char *strata_db__kind_name(int kind)
{
    switch (kind) {
    case STRATA_ENTRY_DOCUMENT: return "a document";
    case STRATA_ENTRY_RECORDS: return "keyed records";
    case STRATA_ENTRY_TABLE: return "a table";
    default: return "unknown data";
    }
}

int strata_db__wrong_kind(const char *entry, int have, int want)
{
    return strata_err__set(STRATA_EINVALID, "entry '%s' holds %s, not %s", entry, strata_db__kind_name(have),
                           strata_db__kind_name(want));
}

int strata_db__keyed_head(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                          int kind, strata_db_head *out)
{
    int rc = strata_db__head(db, tenant, entry, ro, out);
    if (rc || out->kind == kind) return rc;
    if (kind == STRATA_ENTRY_TABLE) return strata_err__set(STRATA_EINVALID, "entry '%s' is not a table", entry);
    return strata_db__wrong_kind(entry, out->kind, kind);
}

/* ---- keys ----------------------------------------------------------------------------------- */

int strata_db__record_key(strata_buf *out, const char *key)
{
    int rc = strata_db__check_name(key, "record key");
    if (rc) return rc;
    return strata_doc__key_encode_string(out, key, strlen(key));
}

int strata_db__record_name(strata_slice *out, const void *key, size_t klen, strata_buf *scratch)
{
    /* the common case needs no decoding: a valid name holds no 0x00 byte, so its key is the
     * string tag, the name's bytes as they are and the terminator 0x00 0x01 (key codec, src/doc) */
    const uint8_t *k = key;
    if (klen >= 3 && k[0] == (uint8_t)STRATA_DOC_STRING && k[klen - 2] == 0 && k[klen - 1] == 1 &&
        !memchr(k + 1, 0, klen - 3)) {
        out->data = k + 1;
        out->len = klen - 3;
        return 0;
    }
    scratch->len = 0;
    int rc = strata_doc__key_decode(key, klen, scratch, NULL, NULL);
    if (rc) return rc;
    strata_slice pk = {scratch->data, scratch->len};
    return strata_doc__get_string(pk, out);
}

int strata_db__item_key(strata_buf *out, strata_slice item, const char *pk, const char *sk, int exact)
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

int strata_db__key_value(strata_value **out, int kind, const char *pk, const char *sk, const void *key, size_t klen)
{
    strata_buf pb = {0}, sb = {0};
    strata_doc_builder *b = NULL;
    int has_sk = 0, rc;
    strata_slice res;
    if ((rc = strata_doc__key_decode(key, klen, &pb, &sb, &has_sk))) goto done;
    if (kind != STRATA_ENTRY_TABLE) { /* a record: the key string itself */
        rc = strata_doc__value_new(out, pb.data, pb.len);
        goto done;
    }
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__b_begin(b, STRATA_DOC_MAP))) goto done;
    strata_slice ps = {pb.data, pb.len}, ss = {sb.data, sb.len};
    if ((rc = strata_doc__b_key(b, pk, strlen(pk))) || (rc = strata_doc__b_value(b, ps))) goto done;
    if (has_sk && sk && *sk && ((rc = strata_doc__b_key(b, sk, strlen(sk))) || (rc = strata_doc__b_value(b, ss)))) goto done;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &res))) goto done;
    rc = strata_doc__value_new(out, res.data, res.len);
done:
    strata_doc__builder_free(b);
    strata_buf__free(&pb);
    strata_buf__free(&sb);
    return rc;
}

int strata_db__item_expired(strata_slice item, const char *ttl, int64_t now_s)
{
    if (!ttl || !*ttl || item.len == 0) return 0;
    strata_slice v;
    strata_num n, now;
    if (strata_doc__map_get(item, ttl, strlen(ttl), &v) != 0) return 0;
    if (strata_doc__get_number(v, &n) != 0) return 0;
    strata_num__from_i64(&now, now_s);
    return strata_num__cmp(&n, &now) < 0;
}

/* ---- expressions ---------------------------------------------------------------------------- */

void strata_db__exprs_free(strata_db_exprs *r)
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

static strata_slice opt_slice(const strata_value *v)
{
    strata_slice s = {NULL, 0};
    return v ? strata_doc__value_slice(v) : s;
}

int strata_db__exprs_parse(strata_db_exprs *r, const strata_value *names, const strata_value *values,
                           const char *cond, const char *upd, const char *filter, const char *proj,
                           const char *keycond)
{
    memset(r, 0, sizeof *r);
    if (!names && !values && !cond && !upd && !filter && !proj && !keycond) return 0; /* nothing to parse */
    strata_expr_params *pp = NULL;
    int rc = strata_expr__params_new(&pp, opt_slice(names), opt_slice(values));
    if (rc) return rc;
    if ((rc = parse_one(&r->keycond, STRATA_EXPR_KEY_CONDITION, keycond, pp)) ||
        (rc = parse_one(&r->cond, STRATA_EXPR_CONDITION, cond, pp)) ||
        (rc = parse_one(&r->upd, STRATA_EXPR_UPDATE, upd, pp)) ||
        (rc = parse_one(&r->filter, STRATA_EXPR_CONDITION, filter, pp)) ||
        (rc = parse_one(&r->proj, STRATA_EXPR_PROJECTION, proj, pp)) ||
        (rc = strata_expr__params_check_unused(pp)))
        strata_db__exprs_free(r);
    strata_expr__params_free(pp);
    return rc;
}

/* ---- gathering item writes ------------------------------------------------------------------ */

void strata_db__item_release(const strata_db_item *it)
{
    strata_expr__free(it->cond);
    strata_expr__free(it->upd);
}

int strata_db__items_add(strata_db_items *b, const strata_db_item *it, size_t *index)
{
    int rc = strata_array__reserve(&b->ops, 1);
    if (rc) goto fail;
    strata_db_item_op *io = &b->ops.v[b->ops.n];
    memset(io, 0, sizeof *io);
    size_t mark = b->arena.len;
    io->koff = b->arena.len;
    io->klen = it->klen;
    if ((rc = strata_buf__append(&b->arena, it->key, it->klen))) goto fail;
    io->voff = b->arena.len;
    io->vlen = it->vlen;
    if ((rc = strata_buf__append(&b->arena, it->val, it->vlen))) {
        b->arena.len = mark;
        goto fail;
    }
    io->kind = it->kind;
    io->cond = it->cond;
    io->upd = it->upd;
    io->ret = it->ret;
    io->only_expired_before = it->only_expired_before;
    if (index) *index = b->ops.n;
    b->ops.n++;
    return 0;
fail:
    strata_db__item_release(it);
    return rc;
}

void strata_db__items_clear(strata_db_items *b)
{
    for (size_t k = 0; k < b->ops.n; k++) {
        strata_expr__free(b->ops.v[k].cond);
        strata_expr__free(b->ops.v[k].upd);
        strata_value_free(b->ops.v[k].result);
    }
    strata_array__free(&b->ops);
    strata_mem__free(b->pk);
    strata_mem__free(b->sk);
    strata_mem__free(b->ttl);
    strata_buf__free(&b->arena);
    memset(b, 0, sizeof *b);
}

/* ---- applying item writes ------------------------------------------------------------------- */

/* Where an edit's value lives while the batch is applied (the computed-values buffer moves as
 * it grows, so values in it are addressed by offset until the end). */
typedef struct edit_val {
    int computed;   /* 1: at vals + off, 0: at arena + off */
    size_t off;
} edit_val;

typedef struct apply_ctx {
    strata_db *db;
    strata_db_items *b;
    const strata_oid *base;
    strata_db_edit *edits;
    edit_val *where;
    strata_buf vals;   /* computed values: updates, items a TTL sweep keeps */
} apply_ctx;

static const uint8_t *edit_value(const apply_ctx *a, size_t j)
{
    return (a->where[j].computed ? a->vals.data : a->b->arena.data) + a->where[j].off;
}

/* The current item of `key` before write k: the latest earlier edit of the key in the batch,
 * else the tree. *found = 0 when absent; `ttl`/now_s: an expired item counts as absent (ttl
 * NULL: expiry not applied). val receives a copy. */
static int current_item(apply_ctx *a, size_t k, const uint8_t *key, size_t klen, const char *ttl, int64_t now_s,
                        strata_buf *val, int *found)
{
    val->len = 0;
    *found = 0;
    for (size_t j = k; j-- > 0;) {
        if (a->edits[j].klen == klen && memcmp(a->edits[j].key, key, klen) == 0) {
            if (a->edits[j].del) return 0;
            *found = 1;
            return strata_buf__append(val, edit_value(a, j), a->edits[j].vlen);
        }
    }
    int rc = strata_db__tree_get(a->db, a->base, key, klen, val);
    if (rc == STRATA_ENOTFOUND) return 0;
    if (rc) return rc;
    strata_slice s = {val->data, val->len};
    if (ttl && strata_db__item_expired(s, ttl, now_s)) {
        val->len = 0;
        return 0;
    }
    *found = 1;
    return 0;
}

/* Keep `v` as edit k's value in the computed-values buffer. */
static int keep_computed(apply_ctx *a, size_t k, strata_slice v)
{
    a->where[k].computed = 1;
    a->where[k].off = a->vals.len;
    a->edits[k].vlen = v.len;
    return strata_buf__append(&a->vals, v.data, v.len);
}

/* An update must leave the key attributes as the key map `arg` gives them. */
static int check_key_intact(const strata_db_items *b, const char *entry, strata_slice arg, strata_slice item)
{
    const char *names[2] = {b->pk, b->sk};
    for (int i = 0; i < 2; i++) {
        if (!names[i] || !*names[i]) continue;
        strata_slice want, got;
        if (strata_doc__map_get(arg, names[i], strlen(names[i]), &want) != 0 ||
            strata_doc__map_get(item, names[i], strlen(names[i]), &got) != 0 || !strata_doc__equal(want, got))
            return strata_err__set(STRATA_EINVALID, "table '%s': an update cannot change key attribute '%s'", entry,
                                   names[i]);
    }
    return 0;
}

/* Write k: fill edit k, count it in *done and compute its return value. */
static int apply_one(apply_ctx *a, size_t k, const char *entry, int64_t now_s, strata_buf *cur, strata_buf *upd,
                     strata_db_items_done *done)
{
    strata_db_items *b = a->b;
    strata_db_item_op *io = &b->ops.v[k];
    strata_db_edit *e = &a->edits[k];
    const uint8_t *key = b->arena.data + io->koff;
    strata_slice arg = {b->arena.data + io->voff, io->vlen};
    int found = 0, rc;
    e->key = key;
    e->klen = io->klen;
    e->val = NULL;
    e->vlen = 0;
    e->del = 0;
    if (io->only_expired_before) {
        /* TTL sweep: delete only what is still expired now; keep anything renewed since */
        if ((rc = current_item(a, k, key, io->klen, NULL, 0, cur, &found))) return rc;
        strata_slice item = {cur->data, cur->len};
        e->del = !found || strata_db__item_expired(item, b->ttl, io->only_expired_before);
        if (!e->del) return keep_computed(a, k, item);
        if (found) done->deleted++;
        return 0;
    }
    int need = io->cond || io->kind == STRATA_DB_ITEM_UPDATE || io->ret == STRATA_RETURN_ALL_OLD;
    if (need && (rc = current_item(a, k, key, io->klen, b->ttl, now_s, cur, &found))) return rc;
    strata_slice curs = {found ? cur->data : NULL, found ? cur->len : 0};
    if (io->cond) {
        int ok = 0;
        if ((rc = strata_expr__eval(&ok, io->cond, curs))) return rc;
        if (!ok) return strata_err__set(STRATA_ECONDITION, "table '%s': the condition expression is false for the item", entry);
    }
    strata_slice newitem = {NULL, 0};
    switch (io->kind) {
    case STRATA_DB_ITEM_PUT:
        newitem = arg;
        a->where[k].off = io->voff; /* in the arena, which does not move */
        e->vlen = io->vlen;
        done->put++;
        break;
    case STRATA_DB_ITEM_DELETE:
        e->del = 1;
        done->deleted++;
        break;
    case STRATA_DB_ITEM_UPDATE: {
        upd->len = 0;
        /* a new item starts from its key attributes */
        if ((rc = strata_expr__update(upd, io->upd, found ? curs : arg))) return rc;
        newitem.data = upd->data;
        newitem.len = upd->len;
        if ((rc = check_key_intact(b, entry, arg, newitem))) return rc;
        if ((rc = keep_computed(a, k, newitem))) return rc;
        done->updated++;
        break;
    }
    default:
        return strata_err__set(STRATA_EINVALID, "internal: unknown item op");
    }
    strata_value_free(io->result);
    io->result = NULL;
    if (io->ret == STRATA_RETURN_ALL_OLD && found) return strata_doc__value_new(&io->result, curs.data, curs.len);
    if (io->ret == STRATA_RETURN_ALL_NEW && !e->del) return strata_doc__value_new(&io->result, newitem.data, newitem.len);
    return 0;
}

int strata_db__items_apply(strata_db *db, strata_db_items *b, const char *entry, const strata_oid *base,
                           int64_t now_s, strata_oid *root, strata_db_items_done *done)
{
    apply_ctx a = {db, b, base, NULL, NULL, {0}};
    strata_buf cur = {0}, upd = {0};
    int rc = STRATA_ENOMEM;
    memset(done, 0, sizeof *done);
    size_t n = b->ops.n ? b->ops.n : 1;
    a.edits = strata_mem__alloc(n * sizeof *a.edits);
    a.where = strata_mem__calloc(n, sizeof *a.where);
    if (!a.edits || !a.where) goto out;
    rc = 0;
    for (size_t k = 0; k < b->ops.n && rc == 0; k++) rc = apply_one(&a, k, entry, now_s, &cur, &upd, done);
    if (rc) goto out;
    for (size_t k = 0; k < b->ops.n; k++)
        if (!a.edits[k].del) a.edits[k].val = edit_value(&a, k);
    rc = strata_db__tree_apply(db, base, a.edits, b->ops.n, root);
out:
    strata_mem__free(a.edits);
    strata_mem__free(a.where);
    strata_buf__free(&a.vals);
    strata_buf__free(&cur);
    strata_buf__free(&upd);
    return rc;
}
