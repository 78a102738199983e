/* Write transactions: gather edits to several entries of one tenant in memory, then, under the
 * database's write mutex, apply them to the current heads, write the new trees, entry commits
 * and the tenant manifest, and publish the manifest as the tenant's root (one atomic swap).
 *
 * Conflicts: optimistic checks (expect_head) are evaluated against the heads current at commit
 * time, under the mutex; a failed check aborts the whole transaction with STRATA_ECONFLICT and
 * nothing is published (objects already written are unreachable garbage for GC). */
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "expr/expr.h"
#include "util/error.h"
#include "util/mem.h"

enum { OP_NONE = 0, OP_SAVE = 1, OP_RECORDS = 2, OP_RESTORE = 3, OP_CREATE = 4, OP_TABLE = 5 };

typedef struct txn_edit {
    size_t koff, klen, voff, vlen; /* into the op's arena */
    int del;
} txn_edit;

/* One item write of a table op, evaluated at commit time against the then-current item. */
typedef struct item_op {
    int kind;             /* STRATA_DB_ITEM_PUT / _DELETE / _UPDATE */
    size_t koff, klen;    /* the tree key, in the op's arena */
    size_t voff, vlen;    /* PUT: the item; DELETE/UPDATE: the key map */
    strata_expr *cond;    /* owned, or NULL */
    strata_expr *upd;     /* UPDATE: owned */
    int ret;              /* STRATA_RETURN_* */
    int64_t only_expired_before; /* TTL sweep: DELETE only when expired before this (s) */
    strata_value *result; /* what `ret` asked for, after commit (owned until taken) */
} item_op;

typedef struct txn_op {
    char *entry;
    int mode;                /* OP_* (OP_NONE: only an expectation) */
    strata_value *doc;       /* OP_SAVE: the new value (owned) */
    strata_buf arena;        /* OP_RECORDS: key and value bytes */
    txn_edit *edits;
    size_t nedits, capedits;
    size_t nput, ndel;
    strata_oid restore;      /* OP_RESTORE: the commit whose content to restore */
    int has_expect;
    strata_oid expect;       /* all-zero: the entry must not exist */
    strata_oid result;       /* the new entry commit (or the unchanged head) */
    int changed;
    char *pk, *sk, *ttl;     /* OP_CREATE: the schema; OP_TABLE: the schema the keys were built for */
    item_op *items;          /* OP_TABLE */
    size_t nitems, capitems;
    strata_oid old_data, new_data; /* for listeners: data before and after */
    int had_head;
    uint8_t kind_after;
    size_t items_deleted;    /* OP_TABLE: items its deletes removed */
    char *opdesc;            /* owned: the commit's operation text when not the usual one */
} txn_op;

struct strata_txn {
    strata_db *db;
    char *tenant;
    char *user, *message, *origin;
    int64_t time_us;
    int tz;
    int poisoned;
    txn_op *ops;
    size_t nops, capops;
};

static int poison(strata_txn *t, int rc)
{
    if (rc < 0) t->poisoned = 1;
    return rc;
}

static int check_text(const char *s, const char *what)
{
    if (!s) return 0;
    size_t n = strlen(s);
    if (n > 65535) return strata_err__set(STRATA_EINVALID, "%s is longer than 65535 bytes", what);
    if (!strata_doc__utf8_valid(s, n)) return strata_err__set(STRATA_EINVALID, "%s is not valid UTF-8", what);
    return 0;
}

int strata_db__write_options(strata_write_options *out, const strata_write_options *wo)
{
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    if (wo) {
        if (wo->version != STRATA_WRITE_OPTIONS_VERSION)
            return strata_err__set(STRATA_EINVALID, "unknown write options version %u", wo->version);
        w = *wo;
    }
    int rc;
    if ((rc = check_text(w.user, "user")) || (rc = check_text(w.message, "message")) ||
        (rc = check_text(w.origin, "origin")))
        return rc;
    if (w.tz_offset_min != STRATA_TZ_LOCAL && (w.tz_offset_min < -24 * 60 || w.tz_offset_min > 24 * 60))
        return strata_err__set(STRATA_EINVALID, "time zone offset %d minutes is out of range", w.tz_offset_min);
    *out = w;
    return 0;
}

static void txn_free(strata_txn *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nops; i++) {
        txn_op *op = &t->ops[i];
        strata_mem__free(op->entry);
        strata_value_free(op->doc);
        strata_buf__free(&op->arena);
        strata_mem__free(op->edits);
        strata_mem__free(op->pk);
        strata_mem__free(op->sk);
        strata_mem__free(op->ttl);
        strata_mem__free(op->opdesc);
        for (size_t k = 0; k < op->nitems; k++) {
            strata_expr__free(op->items[k].cond);
            strata_expr__free(op->items[k].upd);
            strata_value_free(op->items[k].result);
        }
        strata_mem__free(op->items);
    }
    strata_mem__free(t->ops);
    strata_mem__free(t->tenant);
    strata_mem__free(t->user);
    strata_mem__free(t->message);
    strata_mem__free(t->origin);
    strata_mem__free(t);
}

static char *dup_or_empty(const char *s) { return strata_mem__strdup(s ? s : ""); }

int strata_txn_begin(strata_txn **out, strata_db *db, const char *tenant, const strata_write_options *wo)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_txn_begin: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_txn_begin: db is NULL");
    if (db->read_only) return strata_err__set(STRATA_EINVALID, "the database is open read-only");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_write_options w;
    if ((rc = strata_db__write_options(&w, wo))) return rc;
    if (w.expect_head)
        return strata_err__set(STRATA_EINVALID, "expect_head applies to single-entry writes; use strata_txn_expect_head");
    strata_txn *t = strata_mem__calloc(1, sizeof *t);
    if (!t) return STRATA_ENOMEM;
    t->db = db;
    t->time_us = w.time_us;
    t->tz = w.tz_offset_min;
    if (!(t->tenant = strata_mem__strdup(tenant)) || !(t->user = dup_or_empty(w.user)) ||
        !(t->message = dup_or_empty(w.message)) || !(t->origin = dup_or_empty(w.origin))) {
        txn_free(t);
        return STRATA_ENOMEM;
    }
    *out = t;
    return 0;
}

void strata_txn_abort(strata_txn *txn) { txn_free(txn); }

/* The op for `entry`, created when missing. */
static int op_lookup(strata_txn *t, const char *entry, txn_op **out);

static int op_for(strata_txn *t, const char *entry, txn_op **out)
{
    int rc = strata_db__check_name(entry, "entry name");
    if (rc) return rc;
    return op_lookup(t, entry, out);
}

/* The op for `entry` (any name: hidden entries too), created when missing. */
static int op_lookup(strata_txn *t, const char *entry, txn_op **out)
{
    for (size_t i = 0; i < t->nops; i++)
        if (strcmp(t->ops[i].entry, entry) == 0) {
            *out = &t->ops[i];
            return 0;
        }
    if (t->nops == t->capops) {
        size_t nc = t->capops ? t->capops * 2 : 4;
        txn_op *n = strata_mem__realloc(t->ops, nc * sizeof *n);
        if (!n) return STRATA_ENOMEM;
        t->ops = n;
        t->capops = nc;
    }
    txn_op *op = &t->ops[t->nops];
    memset(op, 0, sizeof *op);
    if (!(op->entry = strata_mem__strdup(entry))) return STRATA_ENOMEM;
    t->nops++;
    *out = op;
    return 0;
}

static int usable(strata_txn *t)
{
    if (!t) return strata_err__set(STRATA_EINVALID, "transaction is NULL");
    if (t->poisoned) return strata_err__set(STRATA_EPOISONED, "the transaction failed earlier; abort it");
    return 0;
}

static int mixed(const char *entry)
{
    return strata_err__set(STRATA_EINVALID, "entry '%s': cannot mix whole-document saves and record edits in one transaction", entry);
}

int strata_db__txn_save_internal(strata_txn *t, const char *entry, strata_slice value, const char *opdesc)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_lookup(t, entry, &op))) return poison(t, rc);
    if (op->mode != OP_NONE && op->mode != OP_SAVE) return poison(t, mixed(entry));
    strata_value *copy;
    if ((rc = strata_db__value_new(&copy, value.data, value.len))) return poison(t, rc);
    char *d = strata_mem__strdup(opdesc);
    if (!d) {
        strata_value_free(copy);
        return poison(t, STRATA_ENOMEM);
    }
    strata_value_free(op->doc);
    strata_mem__free(op->opdesc);
    op->doc = copy;
    op->opdesc = d;
    op->mode = OP_SAVE;
    return 0;
}

int strata_txn_save(strata_txn *t, const char *entry, const strata_value *value)
{
    int rc = usable(t);
    if (rc) return rc;
    if (!value) return poison(t, strata_err__set(STRATA_EINVALID, "strata_txn_save: value is NULL"));
    txn_op *op;
    if ((rc = op_for(t, entry, &op))) return poison(t, rc);
    if (op->mode != OP_NONE && op->mode != OP_SAVE) return poison(t, mixed(entry));
    strata_slice s = strata_db__value_slice(value);
    strata_value *copy;
    if ((rc = strata_db__value_new(&copy, s.data, s.len))) return poison(t, rc);
    strata_value_free(op->doc);
    op->doc = copy;
    op->mode = OP_SAVE;
    return 0;
}

/* Encode a record key (a string) with the key codec into `out`. */
int strata_db__record_key(strata_buf *out, const char *key)
{
    int rc = strata_db__check_name(key, "record key");
    if (rc) return rc;
    return strata_doc__key_encode_string(out, key, strlen(key));
}

static int add_edit(strata_txn *t, const char *entry, const char *key, const strata_value *value, int del)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_for(t, entry, &op))) return poison(t, rc);
    if (op->mode != OP_NONE && op->mode != OP_RECORDS) return poison(t, mixed(entry));
    if (op->nedits == op->capedits) {
        size_t nc = op->capedits ? op->capedits * 2 : 8;
        txn_edit *n = strata_mem__realloc(op->edits, nc * sizeof *n);
        if (!n) return poison(t, STRATA_ENOMEM);
        op->edits = n;
        op->capedits = nc;
    }
    txn_edit *e = &op->edits[op->nedits];
    size_t mark = op->arena.len;
    e->koff = op->arena.len;
    if ((rc = strata_db__record_key(&op->arena, key))) {
        op->arena.len = mark;
        return poison(t, rc);
    }
    e->klen = op->arena.len - e->koff;
    e->voff = op->arena.len;
    e->vlen = 0;
    e->del = del;
    if (!del) {
        strata_slice s = strata_db__value_slice(value);
        if ((rc = strata_buf__append(&op->arena, s.data, s.len))) {
            op->arena.len = mark;
            return poison(t, rc);
        }
        e->vlen = s.len;
        op->nput++;
    } else {
        op->ndel++;
    }
    op->nedits++;
    op->mode = OP_RECORDS;
    return 0;
}

int strata_txn_put(strata_txn *t, const char *entry, const char *key, const strata_value *value)
{
    if (t && !t->poisoned && !value)
        return poison(t, strata_err__set(STRATA_EINVALID, "strata_txn_put: value is NULL"));
    return add_edit(t, entry, key, value, 0);
}

int strata_txn_delete(strata_txn *t, const char *entry, const char *key)
{
    return add_edit(t, entry, key, NULL, 1);
}

int strata_txn_expect_head(strata_txn *t, const char *entry, const strata_oid *head)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_for(t, entry, &op))) return poison(t, rc);
    op->has_expect = 1;
    if (head) op->expect = *head;
    else memset(&op->expect, 0, sizeof op->expect);
    return 0;
}

int strata_db__txn_restore(strata_txn *t, const char *entry, const strata_oid *commit)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_for(t, entry, &op))) return poison(t, rc);
    if (op->mode != OP_NONE) return poison(t, mixed(entry));
    op->mode = OP_RESTORE;
    op->restore = *commit;
    return 0;
}

strata_db *strata_db__txn_db(strata_txn *t) { return t->db; }
const char *strata_db__txn_tenant(strata_txn *t) { return t->tenant; }
int strata_db__txn_poison(strata_txn *t, int rc) { return poison(t, rc); }
int strata_db__txn_usable(strata_txn *t) { return usable(t); }
size_t strata_db__txn_items_deleted(const strata_txn *t) { return t->nops ? t->ops[0].items_deleted : 0; }

static char *dup_opt(const char *s) { return s ? strata_mem__strdup(s) : strata_mem__strdup(""); }

int strata_db__txn_create_table(strata_txn *t, const char *entry, const char *pk, const char *sk, const char *ttl)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_for(t, entry, &op))) return poison(t, rc);
    if (op->mode != OP_NONE) return poison(t, mixed(entry));
    if (!(op->pk = dup_opt(pk)) || !(op->sk = dup_opt(sk)) || !(op->ttl = dup_opt(ttl))) return poison(t, STRATA_ENOMEM);
    op->mode = OP_CREATE;
    return 0;
}

int strata_db__txn_item(strata_txn *t, const char *entry, const strata_db_item *it, size_t *index)
{
    int rc = usable(t);
    if (rc) goto fail;
    txn_op *op;
    if ((rc = op_for(t, entry, &op))) goto fail;
    if (op->mode != OP_NONE && op->mode != OP_TABLE) {
        rc = mixed(entry);
        goto fail;
    }
    if (op->mode == OP_NONE) {
        if (!(op->pk = dup_opt(it->pk)) || !(op->sk = dup_opt(it->sk)) || !(op->ttl = dup_opt(it->ttl))) {
            rc = STRATA_ENOMEM;
            goto fail;
        }
        op->mode = OP_TABLE;
    }
    if (op->nitems == op->capitems) {
        size_t nc = op->capitems ? op->capitems * 2 : 8;
        item_op *n = strata_mem__realloc(op->items, nc * sizeof *n);
        if (!n) { rc = STRATA_ENOMEM; goto fail; }
        op->items = n;
        op->capitems = nc;
    }
    item_op *io = &op->items[op->nitems];
    memset(io, 0, sizeof *io);
    size_t mark = op->arena.len;
    io->koff = op->arena.len;
    io->klen = it->klen;
    if ((rc = strata_buf__append(&op->arena, it->key, it->klen))) goto fail;
    io->voff = op->arena.len;
    io->vlen = it->vlen;
    if ((rc = strata_buf__append(&op->arena, it->val, it->vlen))) {
        op->arena.len = mark;
        goto fail;
    }
    io->kind = it->kind;
    io->cond = it->cond;
    io->upd = it->upd;
    io->ret = it->ret;
    io->only_expired_before = it->only_expired_before;
    if (index) *index = op->nitems;
    op->nitems++;
    return 0;
fail:
    strata_expr__free(it->cond);
    strata_expr__free(it->upd);
    return t ? poison(t, rc) : rc;
}

strata_value *strata_db__txn_take_item_result(strata_txn *t, size_t item)
{
    if (t->nops == 0 || item >= t->ops[0].nitems) return NULL;
    strata_value *v = t->ops[0].items[item].result;
    t->ops[0].items[item].result = NULL;
    return v;
}

/* ---- commit ----------------------------------------------------------------------------- */

/* The item's expiry state: 1 when `item` has the TTL attribute as a number before now_s. */
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

/* The current item of `key` for item op k of `op`: the latest earlier write of the same key in
 * this op (edits[0..k)), else the tree. *found = 0 when absent (or expired). val gets a copy. */
static int current_item(strata_txn *t, txn_op *op, const strata_oid *base, strata_db_edit *edits, size_t k,
                        const uint8_t *key, size_t klen, strata_buf *val, int *found)
{
    val->len = 0;
    *found = 0;
    for (size_t j = k; j-- > 0;) {
        if (edits[j].klen == klen && memcmp(edits[j].key, key, klen) == 0) {
            if (edits[j].del) return 0;
            *found = 1;
            return strata_buf__append(val, edits[j].val, edits[j].vlen);
        }
    }
    int rc = strata_db__tree_get(t->db, base, key, klen, val);
    if (rc == STRATA_ENOTFOUND) return 0;
    if (rc) return rc;
    strata_slice s = {val->data, val->len};
    if (strata_db__item_expired(s, op->ttl, t->time_us / 1000000)) {
        val->len = 0;
        return 0;
    }
    *found = 1;
    return 0;
}

/* Evaluate the item ops of a table op in order into tree edits (stored in `edits`, values in
 * `vals`), checking conditions and computing updates and return values. */
static int table_edits(strata_txn *t, txn_op *op, const strata_oid *base, strata_db_edit *edits, strata_buf *vals,
                       size_t *nput, size_t *ndel, size_t *nupd)
{
    int rc = 0;
    strata_buf cur = {0}, out = {0};
    /* values of earlier edits must stay addressable: keep offsets, fix pointers at the end */
    size_t *voffs = strata_mem__calloc(op->nitems ? op->nitems : 1, sizeof *voffs);
    if (!voffs) return STRATA_ENOMEM;
    for (size_t k = 0; k < op->nitems; k++) {
        item_op *io = &op->items[k];
        const uint8_t *key = op->arena.data + io->koff;
        strata_slice arg = {op->arena.data + io->voff, io->vlen};
        int found = 0;
        /* pointers of earlier edits into `vals` may have moved: refresh before reading them */
        for (size_t j = 0; j < k; j++)
            if (!edits[j].del) edits[j].val = vals->data + voffs[j];
        if (io->only_expired_before) {
            /* TTL sweep: delete only what is still expired now; keep anything renewed since */
            int still = 1;
            strata_buf raw = {0};
            int present = 0;
            for (size_t j = k; j-- > 0;)
                if (edits[j].klen == io->klen && memcmp(edits[j].key, key, io->klen) == 0) {
                    present = !edits[j].del;
                    if (present && (rc = strata_buf__append(&raw, edits[j].val, edits[j].vlen))) goto done;
                    goto have_raw;
                }
            rc = strata_db__tree_get(t->db, base, key, io->klen, &raw);
            present = rc == 0;
            if (rc == STRATA_ENOTFOUND) rc = 0;
            if (rc) { strata_buf__free(&raw); goto done; }
        have_raw:;
            strata_slice rs = {raw.data, raw.len};
            still = present && strata_db__item_expired(rs, op->ttl, io->only_expired_before);
            edits[k].key = key;
            edits[k].klen = io->klen;
            edits[k].del = !present || still;
            edits[k].val = NULL;
            edits[k].vlen = 0;
            if (!edits[k].del) {
                voffs[k] = vals->len;
                rc = strata_buf__append(vals, raw.data, raw.len);
                edits[k].vlen = raw.len;
            } else if (present) {
                (*ndel)++;
            }
            strata_buf__free(&raw);
            if (rc) goto done;
            continue;
        }
        int need = io->cond || io->kind == STRATA_DB_ITEM_UPDATE || io->ret == STRATA_RETURN_ALL_OLD;
        if (need && (rc = current_item(t, op, base, edits, k, key, io->klen, &cur, &found))) goto done;
        strata_slice curs = {found ? cur.data : NULL, found ? cur.len : 0};
        if (io->cond) {
            int ok = 0;
            if ((rc = strata_expr__eval(&ok, io->cond, curs))) goto done;
            if (!ok) {
                rc = strata_err__set(STRATA_ECONDITION, "table '%s': the condition expression is false for the item", op->entry);
                goto done;
            }
        }
        edits[k].key = key;
        edits[k].klen = io->klen;
        edits[k].del = 0;
        edits[k].val = NULL;
        edits[k].vlen = 0;
        out.len = 0;
        strata_slice newitem = {NULL, 0};
        switch (io->kind) {
        case STRATA_DB_ITEM_PUT:
            newitem = arg;
            (*nput)++;
            break;
        case STRATA_DB_ITEM_DELETE:
            edits[k].del = 1;
            (*ndel)++;
            break;
        case STRATA_DB_ITEM_UPDATE: {
            /* a new item starts from its key attributes */
            strata_slice start = found ? curs : arg;
            if ((rc = strata_expr__update(&out, io->upd, start))) goto done;
            newitem.data = out.data;
            newitem.len = out.len;
            /* the key attributes must be intact */
            const char *names[2] = {op->pk, op->sk};
            for (int a = 0; a < 2; a++) {
                if (!names[a] || !*names[a]) continue;
                strata_slice want, got;
                if (strata_doc__map_get(arg, names[a], strlen(names[a]), &want) != 0 ||
                    strata_doc__map_get(newitem, names[a], strlen(names[a]), &got) != 0 ||
                    !strata_doc__equal(want, got)) {
                    rc = strata_err__set(STRATA_EINVALID, "table '%s': an update cannot change key attribute '%s'",
                                         op->entry, names[a]);
                    goto done;
                }
            }
            (*nupd)++;
            break;
        }
        default:
            rc = strata_err__set(STRATA_EINVALID, "internal: unknown item op");
            goto done;
        }
        if (!edits[k].del) {
            voffs[k] = vals->len;
            if ((rc = strata_buf__append(vals, newitem.data, newitem.len))) goto done;
            edits[k].vlen = newitem.len;
        }
        strata_value_free(io->result);
        io->result = NULL;
        if (io->ret == STRATA_RETURN_ALL_OLD && found) rc = strata_db__value_new(&io->result, curs.data, curs.len);
        else if (io->ret == STRATA_RETURN_ALL_NEW && !edits[k].del) rc = strata_db__value_new(&io->result, newitem.data, newitem.len);
        if (rc) goto done;
    }
    for (size_t j = 0; j < op->nitems; j++)
        if (!edits[j].del) edits[j].val = vals->data + voffs[j];
done:
    strata_mem__free(voffs);
    strata_buf__free(&cur);
    strata_buf__free(&out);
    return rc;
}

static int is_zero(const strata_oid *o)
{
    for (int i = 0; i < STRATA_OID_SIZE; i++)
        if (o->id[i]) return 0;
    return 1;
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case STRATA_ENTRY_DOCUMENT: return "a document";
    case STRATA_ENTRY_RECORDS: return "keyed records";
    case STRATA_ENTRY_TABLE: return "a table";
    default: return "unknown";
    }
}

/* Compute one op against the current manifest: on a change, write its commit and set
 * op->changed, *mkind and op->result. */
static int apply_op(strata_txn *t, const strata_manifest *m, txn_op *op, uint8_t *mkind)
{
    strata_db *db = t->db;
    uint8_t kind = 0;
    strata_oid head;
    strata_db_head hc;         /* the head commit's summary (cached: no object read when warm) */
    strata_commit_rec rc_src;  /* OP_RESTORE: the commit restored */
    int have_head = 0, rc;
    memset(&hc, 0, sizeof hc);
    memset(&rc_src, 0, sizeof rc_src);
    strata_db_edit *edits = NULL;
    strata_buf enc = {0}, tvals = {0};

    rc = strata_db__manifest_lookup(db, m, op->entry, &kind, &head);
    if (rc == 0) have_head = 1;
    else if (rc != STRATA_ENOTFOUND) goto done;
    rc = 0;

    if (op->has_expect) {
        int ok = is_zero(&op->expect) ? !have_head : (have_head && strata_oid__cmp(&head, &op->expect) == 0);
        if (!ok) {
            char want[65], got[65];
            strata_oid_fmt(want, &op->expect);
            if (have_head) strata_oid_fmt(got, &head);
            rc = strata_err__set(STRATA_ECONFLICT, "entry '%s': head is %s, expected %s", op->entry,
                                 have_head ? got : "(none)", is_zero(&op->expect) ? "(none)" : want);
            goto done;
        }
    }
    if (op->mode == OP_NONE) goto done;
    if (have_head && (rc = strata_db__commit_summary(db, &head, NULL, NULL, &hc))) goto done;

    uint8_t newkind;
    strata_oid data;
    char opdesc[128];
    switch (op->mode) {
    case OP_SAVE: {
        newkind = STRATA_ENTRY_DOCUMENT;
        strata_slice s = strata_db__value_slice(op->doc);
        if ((rc = strata_store__put(db->store, STRATA_OBJ_VALUE, s.data, s.len, &data))) goto done;
        snprintf(opdesc, sizeof opdesc, "%s", op->opdesc ? op->opdesc : "save");
        break;
    }
    case OP_RECORDS: {
        newkind = STRATA_ENTRY_RECORDS;
        strata_oid base;
        if (have_head && hc.kind == STRATA_ENTRY_RECORDS) base = hc.data;
        else if ((rc = strata_db__tree_empty(db, &base))) goto done;
        edits = strata_mem__alloc(op->nedits * sizeof *edits);
        if (!edits) { rc = STRATA_ENOMEM; goto done; }
        for (size_t i = 0; i < op->nedits; i++) {
            txn_edit *e = &op->edits[i];
            edits[i].key = op->arena.data + e->koff;
            edits[i].klen = e->klen;
            edits[i].val = e->del ? NULL : op->arena.data + e->voff;
            edits[i].vlen = e->vlen;
            edits[i].del = e->del;
        }
        if ((rc = strata_db__tree_apply(db, &base, edits, op->nedits, &data))) goto done;
        if (op->ndel == 0) snprintf(opdesc, sizeof opdesc, "put %zu", op->nput);
        else if (op->nput == 0) snprintf(opdesc, sizeof opdesc, "delete %zu", op->ndel);
        else snprintf(opdesc, sizeof opdesc, "put %zu, delete %zu", op->nput, op->ndel);
        if (!have_head) {
            strata_oid empty;
            if ((rc = strata_db__tree_empty(db, &empty))) goto done;
            if (strata_oid__cmp(&empty, &data) == 0) goto done; /* deletes in a missing entry */
        }
        break;
    }
    case OP_RESTORE: {
        if ((rc = strata_db__load_commit(db, &op->restore, &rc_src))) goto done;
        if (strcmp(rc_src.tenant, t->tenant) != 0 || strcmp(rc_src.entry, op->entry) != 0 ||
            memcmp(rc_src.incarnation, m->incarnation, STRATA_INCARNATION_SIZE) != 0) {
            char hex[65];
            strata_oid_fmt(hex, &op->restore);
            rc = strata_err__set(STRATA_ENOTFOUND, "no commit %s in the history of entry '%s'", hex, op->entry);
            goto done;
        }
        newkind = rc_src.kind;
        data = rc_src.data;
        char hex[65];
        strata_oid_fmt(hex, &op->restore);
        snprintf(opdesc, sizeof opdesc, "restore %.12s", hex);
        break;
    }
    case OP_CREATE: {
        if (have_head) {
            rc = strata_err__set(STRATA_EEXISTS, "entry '%s' already exists", op->entry);
            goto done;
        }
        newkind = STRATA_ENTRY_TABLE;
        if ((rc = strata_db__tree_empty(db, &data))) goto done;
        snprintf(opdesc, sizeof opdesc, "create table");
        break;
    }
    case OP_TABLE: {
        if (!have_head) {
            rc = strata_err__set(STRATA_ENOTFOUND, "table '%s' does not exist in tenant '%s'", op->entry, t->tenant);
            goto done;
        }
        newkind = STRATA_ENTRY_TABLE;
        if (hc.kind != STRATA_ENTRY_TABLE) break; /* reported below */
        if (strcmp(hc.pk, op->pk) != 0 || strcmp(hc.sk, op->sk) != 0) {
            rc = strata_err__set(STRATA_ECONFLICT, "table '%s': its key schema changed during the transaction", op->entry);
            goto done;
        }
        edits = strata_mem__calloc(op->nitems ? op->nitems : 1, sizeof *edits);
        if (!edits) { rc = STRATA_ENOMEM; goto done; }
        size_t np = 0, nd = 0, nu = 0;
        if ((rc = table_edits(t, op, &hc.data, edits, &tvals, &np, &nd, &nu))) goto done;
        op->items_deleted = nd;
        if ((rc = strata_db__tree_apply(db, &hc.data, edits, op->nitems, &data))) goto done;
        int w = 0;
        opdesc[0] = 0;
        if (np) w += snprintf(opdesc + w, sizeof opdesc - (size_t)w, "put_item %zu", np);
        if (nu) w += snprintf(opdesc + w, sizeof opdesc - (size_t)w, "%supdate_item %zu", w ? ", " : "", nu);
        if (nd) snprintf(opdesc + w, sizeof opdesc - (size_t)w, "%sdelete_item %zu", w ? ", " : "", nd);
        break;
    }
    default:
        rc = strata_err__set(STRATA_EINVALID, "internal: unknown op");
        goto done;
    }
    if (have_head && hc.kind != newkind) {
        rc = strata_err__set(STRATA_EINVALID, "entry '%s' holds %s, not %s", op->entry, kind_name(hc.kind),
                             kind_name(newkind));
        goto done;
    }
    if (have_head && strata_oid__cmp(&hc.data, &data) == 0) {
        op->result = head; /* nothing changed */
        goto done;
    }
    /* tables carry their schema in every commit */
    const char *pk = "", *sk = "", *ttl = "";
    if (newkind == STRATA_ENTRY_TABLE) {
        if (op->mode == OP_CREATE) { pk = op->pk; sk = op->sk; ttl = op->ttl; }
        else if (op->mode == OP_RESTORE) { pk = rc_src.pk; sk = rc_src.sk; ttl = rc_src.ttl; }
        else { pk = hc.pk; sk = hc.sk; ttl = hc.ttl; }
    }
    op->had_head = have_head;
    if (have_head) op->old_data = hc.data;
    op->new_data = data;
    op->kind_after = newkind;

    strata_commit_rec c;
    memset(&c, 0, sizeof c);
    c.kind = newkind;
    c.tenant = t->tenant;
    memcpy(c.incarnation, m->incarnation, STRATA_INCARNATION_SIZE);
    c.entry = op->entry;
    c.data = data;
    c.nparents = have_head ? 1 : 0;
    if (have_head) c.parents[0] = head;
    c.generation = have_head ? hc.generation + 1 : 1;
    c.time_us = t->time_us;
    c.tz_offset_min = t->tz;
    c.user = t->user;
    c.message = t->message;
    c.origin = t->origin;
    c.operation = opdesc;
    c.pk = (char *)pk;
    c.sk = (char *)sk;
    c.ttl = (char *)ttl;
    if ((rc = strata_db__commit_encode(&enc, &c))) goto done;
    if ((rc = strata_store__put(db->store, STRATA_OBJ_COMMIT, enc.data, enc.len, &op->result))) goto done;
    op->changed = 1;
    *mkind = newkind;
done:
    strata_db__commit_clear(&rc_src);
    strata_mem__free(edits);
    strata_buf__free(&enc);
    strata_buf__free(&tvals);
    return rc;
}

/* The key of a changed item as a value: records → the key string; tables → the key map. */
static int key_value(strata_value **out, const strata_commit_rec *c, strata_slice key)
{
    if (c->kind == STRATA_ENTRY_TABLE) return strata_db__table_key_value(out, c->pk, c->sk, key.data, key.len);
    strata_buf pk = {0};
    int rc = strata_doc__key_decode(key.data, key.len, &pk, NULL, NULL);
    if (rc == 0) rc = strata_db__value_new(out, pk.data, pk.len);
    strata_buf__free(&pk);
    return rc;
}

typedef struct notify_ctx {
    strata_txn *t;
    const char *entry;
    const strata_commit_rec *c;
} notify_ctx;

/* Call every listener for one changed item (under listen_mu, which is recursive: a listener may
 * register or remove listeners, itself included). Listeners registered during the walk are not
 * called for this item; after a removal the walk continues with the listener that followed. */
static void notify_one(notify_ctx *n, const strata_value *key, const strata_value *old, const strata_value *nw)
{
    strata_db *db = n->t->db;
    uint64_t newest = db->next_listener_id; /* ids at or above this were added during the walk */
    for (size_t i = 0; i < db->nlisteners;) {
        strata_db_listener l = db->listeners[i];
        if (l.id >= newest) {
            i++;
            continue;
        }
        if (l.fn(n->t->tenant, n->entry, key, old, nw, l.payload) != 0) db->listener_failures++;
        /* step on unless the list shifted under us (this listener or an earlier one was removed) */
        if (i < db->nlisteners && db->listeners[i].id == l.id) i++;
    }
}

static int notify_item(strata_slice key, const strata_slice *old, const strata_slice *nw, void *payload)
{
    notify_ctx *n = payload;
    strata_value *k = NULL, *o = NULL, *v = NULL;
    int rc = key_value(&k, n->c, key);
    if (rc == 0 && old) rc = strata_db__value_new(&o, old->data, old->len);
    if (rc == 0 && nw) rc = strata_db__value_new(&v, nw->data, nw->len);
    if (rc == 0) notify_one(n, k, o, v);
    else n->t->db->listener_failures++;
    strata_value_free(k);
    strata_value_free(o);
    strata_value_free(v);
    return 0; /* a failure to notify one item never stops the others */
}

static int load_doc(strata_db *db, const strata_oid *oid, strata_value **out)
{
    uint8_t type, *data = NULL;
    size_t len;
    int rc = strata_store__get(db->store, oid, &type, &data, &len);
    if (rc == 0) rc = strata_db__value_new(out, data, len);
    strata_mem__free(data);
    return rc;
}

/* After a durable commit: tell the listeners about every changed item, from the tree diff of
 * each changed entry (documents: one call with a NULL key). Failures are counted, never
 * returned: the commit stands. */
static void notify_listeners(strata_txn *t)
{
    strata_db *db = t->db;
    pthread_mutex_lock(&db->listen_mu);
    if (db->nlisteners == 0) goto done;
    for (size_t i = 0; i < t->nops; i++) {
        txn_op *op = &t->ops[i];
        if (!op->changed) continue;
        strata_commit_rec c;
        if (strata_db__load_commit(db, &op->result, &c) != 0) {
            db->listener_failures++;
            continue;
        }
        notify_ctx n = {t, op->entry, &c};
        if (c.kind == STRATA_ENTRY_DOCUMENT) {
            strata_value *o = NULL, *v = NULL;
            if ((op->had_head && load_doc(db, &op->old_data, &o) != 0) || load_doc(db, &op->new_data, &v) != 0)
                db->listener_failures++;
            else
                notify_one(&n, NULL, o, v);
            strata_value_free(o);
            strata_value_free(v);
        } else {
            strata_oid from = op->old_data;
            int ok = 1;
            if (!op->had_head) ok = strata_db__tree_empty(db, &from) == 0;
            if (!ok || strata_db__tree_diff(db, &from, &op->new_data, notify_item, &n) != 0) db->listener_failures++;
        }
        strata_db__commit_clear(&c);
    }
done:
    pthread_mutex_unlock(&db->listen_mu);
    strata_error_clear();
}

/* The part of a commit done under the write mutex (the caller holds it): apply the ops to the
 * current heads, write the commits and the manifest and publish it; *ticket receives what to
 * wait for before the commit is durable (0: nothing to wait for). STRATA_UNCHANGED when no
 * entry changed. */
int strata_db__txn_commit_locked(strata_txn *t, strata_oid *manifest_out, uint64_t *ticket)
{
    strata_db *db = t->db;
    strata_manifest m, nm;
    strata_oid moid, entries;
    strata_buf enc = {0}, mvals = {0};
    strata_db_edit *medits = NULL;
    int rc;
    *ticket = 0;
    memset(&m, 0, sizeof m);

    if (t->time_us == 0) t->time_us = strata_db__now_us();
    if (t->tz == STRATA_TZ_LOCAL) t->tz = strata_db__local_offset_min(t->time_us);

    if ((rc = strata_db__current_manifest(db, t->tenant, &moid, &m))) goto done;
    medits = strata_mem__calloc(t->nops ? t->nops : 1, sizeof *medits);
    if (!medits) { rc = STRATA_ENOMEM; goto done; }
    if ((rc = strata_buf__reserve(&mvals, t->nops * STRATA_DB_MENTRY_SIZE + 1))) goto done;
    size_t nchanged = 0;
    const txn_op *first = NULL;
    for (size_t i = 0; i < t->nops; i++) {
        uint8_t kind = 0;
        if ((rc = apply_op(t, &m, &t->ops[i], &kind))) goto done;
        if (!t->ops[i].changed) continue;
        strata_db__mentry_encode(mvals.data + mvals.len, kind, &t->ops[i].result);
        medits[nchanged].key = (const uint8_t *)t->ops[i].entry;
        medits[nchanged].klen = strlen(t->ops[i].entry);
        medits[nchanged].val = mvals.data + mvals.len;
        medits[nchanged].vlen = STRATA_DB_MENTRY_SIZE;
        mvals.len += STRATA_DB_MENTRY_SIZE;
        nchanged++;
        if (!first) first = &t->ops[i];
    }
    if (nchanged == 0) {
        if (manifest_out) *manifest_out = moid;
        rc = STRATA_UNCHANGED;
        goto done;
    }
    if ((rc = strata_db__tree_apply(db, &m.entries, medits, nchanged, &entries))) goto done;
    char opdesc[300];
    if (nchanged == 1 && first->opdesc) snprintf(opdesc, sizeof opdesc, "%s", first->opdesc);
    else if (nchanged == 1) snprintf(opdesc, sizeof opdesc, "commit '%s'", first->entry);
    else snprintf(opdesc, sizeof opdesc, "commit %zu entries", nchanged);
    memset(&nm, 0, sizeof nm);
    nm.tenant = t->tenant;
    memcpy(nm.incarnation, m.incarnation, STRATA_INCARNATION_SIZE);
    nm.nparents = 1;
    nm.parent = moid;
    nm.entries = entries;
    nm.generation = m.generation + 1;
    nm.time_us = t->time_us;
    nm.tz_offset_min = t->tz;
    nm.user = t->user;
    nm.message = t->message;
    nm.origin = t->origin;
    nm.operation = opdesc;
    strata_oid newm;
    if ((rc = strata_db__manifest_encode(&enc, &nm))) goto done;
    if ((rc = strata_store__put(db->store, STRATA_OBJ_MANIFEST, enc.data, enc.len, &newm))) goto done;
    /* published under the mutex: commit order = publish order */
    if ((rc = strata_store__publish_nowait(db->store, t->tenant, &newm, ticket))) goto done;
    if (manifest_out) *manifest_out = newm;
done:
    strata_mem__free(medits);
    strata_buf__free(&enc);
    strata_buf__free(&mvals);
    return rc;
}

int strata_db__txn_commit(strata_txn *t, strata_oid *manifest_out)
{
    strata_db *db = t->db;
    uint64_t ticket = 0;
    pthread_mutex_lock(&db->write_mu);
    int rc = strata_db__txn_commit_locked(t, manifest_out, &ticket);
    pthread_mutex_unlock(&db->write_mu);
    if (rc == 0) {
        /* waiting outside the mutex lets concurrent committers share one sync (group commit) */
        rc = strata_store__wait_durable(db->store, ticket);
        if (rc == 0) notify_listeners(t);
    }
    return rc;
}

int strata_txn_commit(strata_oid *out, strata_txn *t)
{
    int rc = usable(t);
    if (rc) {
        txn_free(t);
        return rc;
    }
    rc = strata_db__txn_commit(t, out);
    txn_free(t);
    return rc;
}

/* The result of op i (the entry's new commit, or its unchanged head). */
const strata_oid *strata_db__txn_result(const strata_txn *t, size_t i)
{
    return i < t->nops ? &t->ops[i].result : NULL;
}
