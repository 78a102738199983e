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
#include "util/error.h"
#include "util/mem.h"

enum { OP_NONE = 0, OP_SAVE = 1, OP_RECORDS = 2, OP_RESTORE = 3 };

typedef struct txn_edit {
    size_t koff, klen, voff, vlen; /* into the op's arena */
    int del;
} txn_edit;

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
    strata_doc_builder *kb; /* builds record keys */
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

static void txn_free(strata_txn *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nops; i++) {
        strata_mem__free(t->ops[i].entry);
        strata_value_free(t->ops[i].doc);
        strata_buf__free(&t->ops[i].arena);
        strata_mem__free(t->ops[i].edits);
    }
    strata_mem__free(t->ops);
    strata_doc__builder_free(t->kb);
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
    strata_write_options w = STRATA_WRITE_OPTIONS_INIT;
    if (wo) {
        if (wo->version != STRATA_WRITE_OPTIONS_VERSION)
            return strata_err__set(STRATA_EINVALID, "unknown write options version %u", wo->version);
        w = *wo;
    }
    if ((rc = check_text(w.user, "user")) || (rc = check_text(w.message, "message")) ||
        (rc = check_text(w.origin, "origin")))
        return rc;
    if (w.tz_offset_min != STRATA_TZ_LOCAL && (w.tz_offset_min < -24 * 60 || w.tz_offset_min > 24 * 60))
        return strata_err__set(STRATA_EINVALID, "time zone offset %d minutes is out of range", w.tz_offset_min);
    if (w.expect_head)
        return strata_err__set(STRATA_EINVALID, "expect_head applies to single-entry writes; use strata_txn_expect_head");
    strata_txn *t = strata_mem__calloc(1, sizeof *t);
    if (!t) return STRATA_ENOMEM;
    t->db = db;
    t->time_us = w.time_us;
    t->tz = w.tz_offset_min;
    if (!(t->tenant = strata_mem__strdup(tenant)) || !(t->user = dup_or_empty(w.user)) ||
        !(t->message = dup_or_empty(w.message)) || !(t->origin = dup_or_empty(w.origin)) ||
        (rc = strata_doc__builder_new(&t->kb)) != 0) {
        txn_free(t);
        return STRATA_ENOMEM;
    }
    *out = t;
    return 0;
}

void strata_txn_abort(strata_txn *txn) { txn_free(txn); }

/* The op for `entry`, created when missing. */
static int op_for(strata_txn *t, const char *entry, txn_op **out)
{
    int rc = strata_db__check_name(entry, "entry name");
    if (rc) return rc;
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
int strata_db__record_key(strata_doc_builder *kb, strata_buf *out, const char *key)
{
    int rc = strata_db__check_name(key, "record key");
    if (rc) return rc;
    strata_doc__builder_reset(kb);
    strata_slice s;
    if ((rc = strata_doc__b_string(kb, key, strlen(key))) || (rc = strata_doc__builder_finish(kb, &s)))
        return rc;
    return strata_doc__key_encode(out, s, NULL);
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
    if ((rc = strata_db__record_key(t->kb, &op->arena, key))) {
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

/* ---- commit ----------------------------------------------------------------------------- */

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
    strata_commit_rec hc, rc_src;
    int have_head = 0, rc;
    memset(&hc, 0, sizeof hc);
    memset(&rc_src, 0, sizeof rc_src);
    strata_db_edit *edits = NULL;
    strata_buf enc = {0};

    strata_db_view v = {{{0}}, *m};
    rc = strata_db__view_head(db, &v, op->entry, &kind, &head);
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
    if (have_head && (rc = strata_db__load_commit(db, &head, &hc))) goto done;

    uint8_t newkind;
    strata_oid data;
    char opdesc[128];
    switch (op->mode) {
    case OP_SAVE: {
        newkind = STRATA_ENTRY_DOCUMENT;
        strata_slice s = strata_db__value_slice(op->doc);
        if ((rc = strata_store__put(db->store, STRATA_OBJ_VALUE, s.data, s.len, &data))) goto done;
        snprintf(opdesc, sizeof opdesc, "save");
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
        if (strcmp(rc_src.tenant, t->tenant) != 0 || strcmp(rc_src.entry, op->entry) != 0) {
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

    strata_commit_rec c;
    memset(&c, 0, sizeof c);
    c.kind = newkind;
    c.tenant = t->tenant;
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
    c.pk = c.sk = c.ttl = "";
    if ((rc = strata_db__commit_encode(&enc, &c))) goto done;
    if ((rc = strata_store__put(db->store, STRATA_OBJ_COMMIT, enc.data, enc.len, &op->result))) goto done;
    op->changed = 1;
    *mkind = newkind;
done:
    strata_db__commit_clear(&hc);
    strata_db__commit_clear(&rc_src);
    strata_mem__free(edits);
    strata_buf__free(&enc);
    return rc;
}

int strata_db__txn_commit(strata_txn *t, strata_oid *manifest_out)
{
    strata_db *db = t->db;
    strata_manifest m, nm;
    strata_oid moid, entries;
    strata_buf enc = {0}, mvals = {0};
    strata_db_edit *medits = NULL;
    int rc, locked = 0, have_m = 0;
    memset(&m, 0, sizeof m);

    if (t->time_us == 0) t->time_us = strata_db__now_us();
    if (t->tz == STRATA_TZ_LOCAL) t->tz = strata_db__local_offset_min(t->time_us);

    pthread_mutex_lock(&db->write_mu);
    locked = 1;
    if ((rc = strata_db__current_manifest(db, t->tenant, &moid, &m))) goto done;
    have_m = 1;
    medits = strata_mem__calloc(t->nops ? t->nops : 1, sizeof *medits);
    if (!medits) { rc = STRATA_ENOMEM; goto done; }
    if ((rc = strata_buf__reserve(&mvals, t->nops * (1 + STRATA_OID_SIZE) + 1))) goto done;
    size_t nchanged = 0;
    const char *first = NULL;
    for (size_t i = 0; i < t->nops; i++) {
        uint8_t kind = 0;
        if ((rc = apply_op(t, &m, &t->ops[i], &kind))) goto done;
        if (!t->ops[i].changed) continue;
        size_t off = mvals.len;
        mvals.data[mvals.len++] = kind;
        memcpy(mvals.data + mvals.len, t->ops[i].result.id, STRATA_OID_SIZE);
        mvals.len += STRATA_OID_SIZE;
        medits[nchanged].key = (const uint8_t *)t->ops[i].entry;
        medits[nchanged].klen = strlen(t->ops[i].entry);
        medits[nchanged].val = mvals.data + off;
        medits[nchanged].vlen = 1 + STRATA_OID_SIZE;
        nchanged++;
        if (!first) first = t->ops[i].entry;
    }
    if (nchanged == 0) {
        if (manifest_out) *manifest_out = moid;
        rc = STRATA_UNCHANGED;
        goto done;
    }
    if ((rc = strata_db__tree_apply(db, &m.entries, medits, nchanged, &entries))) goto done;
    char opdesc[300];
    if (nchanged == 1) snprintf(opdesc, sizeof opdesc, "commit '%s'", first);
    else snprintf(opdesc, sizeof opdesc, "commit %zu entries", nchanged);
    memset(&nm, 0, sizeof nm);
    nm.tenant = t->tenant;
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
    if ((rc = strata_store__publish(db->store, t->tenant, &newm))) goto done;
    if (manifest_out) *manifest_out = newm;
done:
    if (locked) pthread_mutex_unlock(&db->write_mu);
    if (have_m) strata_db__manifest_clear(&m);
    strata_mem__free(medits);
    strata_buf__free(&enc);
    strata_buf__free(&mvals);
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
