/* Write transactions: gather edits to several entries of one tenant in memory, then, under the
 * database's write mutex, apply them to the current heads, write the new trees, entry commits
 * and the tenant manifest, and publish the manifest as the tenant's root (one atomic swap);
 * after the commit is durable, tell the listeners.
 *
 * An entry takes one kind of op per transaction: a document save, a restore, a table creation,
 * or item writes (tables and keyed records alike; item.c applies them).
 *
 * Conflicts: optimistic checks (expect_head, item conditions) are evaluated against the heads
 * current at commit time, under the write lock; a failed check aborts the whole transaction with
 * STRATA_ECONFLICT (or STRATA_ECONDITION) and nothing is published (objects already written are
 * unreachable garbage for GC).
 *
 * Many writers (docs/concurrency.md): the write lock is the process's write_mu plus the store's
 * write lock (flock between processes), which first brings the store up to date with what other
 * handles and processes appended. A commit is "read the root → build on it → publish only if
 * the root is still the one read, else rebase and retry", all in strata_db__txn_commit_locked:
 * the ops are kept, not their results, so a rebase re-applies them to the new heads and re-checks
 * every condition. Under the local write lock the root cannot move between the read and the
 * publish, so the retry is never taken here; a store that publishes by compare-and-swap without
 * a lock (a later issue) takes it.
 * Calls view.c, item.c, listen.c, cache.c, kv.c and commit.c. */
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/utf8.h"

enum { OP_NONE = 0, OP_SAVE, OP_RESTORE, OP_CREATE, OP_ITEMS };

typedef struct txn_op {
    char *entry;
    int mode;                /* OP_* (OP_NONE: only an expectation) */
    strata_value *doc;       /* OP_SAVE: the new value (owned) */
    char *opdesc;            /* OP_SAVE: the commit's operation text when not "save" (owned) */
    strata_oid restore;      /* OP_RESTORE: the commit whose content to restore */
    char *pk, *sk, *ttl;     /* OP_CREATE: the schema */
    strata_db_items items;   /* OP_ITEMS: the item writes */
    size_t items_deleted;    /* OP_ITEMS: items its deletes removed */
    int has_expect;
    strata_oid expect;       /* all-zero: the entry must not exist */
    strata_oid result;       /* the new entry commit (or the unchanged head) */
    int changed;
    strata_db_change change; /* for listeners, when changed (pk/sk owned below) */
    char *change_pk, *change_sk;
} txn_op;

struct strata_txn {
    strata_db *db;
    char *tenant;
    char *user, *message, *origin;
    int64_t time_us;
    int tz;
    int poisoned;
    STRATA_ARRAY(txn_op) ops;  /* one per entry touched, in first-touch order */
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
    if (!strata_utf8__valid(s, n)) return strata_err__set(STRATA_EINVALID, "%s is not valid UTF-8", what);
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

int strata_db__write_check(strata_write_options *out, strata_db *db, const char *tenant,
                           const strata_write_options *wo)
{
    if (db->read_only) return strata_err__set(STRATA_EINVALID, "the database is open read-only");
    int rc = strata_db__check_name(tenant, "tenant name");
    return rc ? rc : strata_db__write_options(out, wo);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static void txn_free(strata_txn *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->ops.n; i++) {
        txn_op *op = &t->ops.v[i];
        strata_mem__free(op->entry);
        strata_value_free(op->doc);
        strata_mem__free(op->opdesc);
        strata_mem__free(op->pk);
        strata_mem__free(op->sk);
        strata_mem__free(op->ttl);
        strata_db__items_clear(&op->items);
        strata_mem__free(op->change_pk);
        strata_mem__free(op->change_sk);
    }
    strata_array__free(&t->ops);
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
    strata_write_options w;
    int rc = strata_db__write_check(&w, db, tenant, wo);
    if (rc) return rc;
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

static int usable(strata_txn *t)
{
    if (!t) return strata_err__set(STRATA_EINVALID, "transaction is NULL");
    if (t->poisoned) return strata_err__set(STRATA_EPOISONED, "the transaction failed earlier; abort it");
    return 0;
}

strata_db *strata_db__txn_db(strata_txn *t) { return t->db; }
const char *strata_db__txn_tenant(strata_txn *t) { return t->tenant; }
int strata_db__txn_poison(strata_txn *t, int rc) { return poison(t, rc); }
int strata_db__txn_usable(strata_txn *t) { return usable(t); }

/* ---- gathering ops -------------------------------------------------------------------------- */

/* The op for `entry` (checked unless `hidden`), created when missing. */
static int op_for(strata_txn *t, const char *entry, int hidden, txn_op **out)
{
    int rc = hidden ? 0 : strata_db__check_name(entry, "entry name");
    if (rc) return rc;
    for (size_t i = 0; i < t->ops.n; i++)
        if (strcmp(t->ops.v[i].entry, entry) == 0) {
            *out = &t->ops.v[i];
            return 0;
        }
    if ((rc = strata_array__reserve(&t->ops, 1))) return rc;
    txn_op *op = &t->ops.v[t->ops.n];
    memset(op, 0, sizeof *op);
    if (!(op->entry = strata_mem__strdup(entry))) return STRATA_ENOMEM;
    t->ops.n++;
    *out = op;
    return 0;
}

static int mixed(const char *entry)
{
    return strata_err__set(STRATA_EINVALID, "entry '%s': cannot mix whole-document saves and record edits in one transaction", entry);
}

int strata_db__txn_save(strata_txn *t, const char *entry, strata_slice value, const char *opdesc, int hidden)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_for(t, entry, hidden, &op))) return poison(t, rc);
    if (op->mode != OP_NONE && op->mode != OP_SAVE) return poison(t, mixed(entry));
    strata_value *copy;
    if ((rc = strata_doc__value_new(&copy, value.data, value.len))) return poison(t, rc);
    char *d = NULL;
    if (opdesc && !(d = strata_mem__strdup(opdesc))) {
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

int strata_db__txn_save_internal(strata_txn *t, const char *entry, strata_slice value, const char *opdesc)
{
    return strata_db__txn_save(t, entry, value, opdesc, 1);
}

int strata_txn_expect_head(strata_txn *t, const char *entry, const strata_oid *head)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_for(t, entry, 0, &op))) return poison(t, rc);
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
    if ((rc = op_for(t, entry, 0, &op))) return poison(t, rc);
    if (op->mode != OP_NONE) return poison(t, mixed(entry));
    op->mode = OP_RESTORE;
    op->restore = *commit;
    return 0;
}

int strata_db__txn_create_table(strata_txn *t, const char *entry, const char *pk, const char *sk, const char *ttl)
{
    int rc = usable(t);
    if (rc) return rc;
    txn_op *op;
    if ((rc = op_for(t, entry, 0, &op))) return poison(t, rc);
    if (op->mode != OP_NONE) return poison(t, mixed(entry));
    if (!(op->pk = dup_or_empty(pk)) || !(op->sk = dup_or_empty(sk)) || !(op->ttl = dup_or_empty(ttl)))
        return poison(t, STRATA_ENOMEM);
    op->mode = OP_CREATE;
    return 0;
}

int strata_db__txn_item(strata_txn *t, const char *entry, int kind, const char *pk, const char *sk, const char *ttl,
                        const strata_db_item *it, size_t *index)
{
    int rc = usable(t);
    txn_op *op = NULL;
    if (rc == 0) rc = op_for(t, entry, 0, &op);
    if (rc == 0 && op->mode != OP_NONE && (op->mode != OP_ITEMS || op->items.kind != kind)) rc = mixed(entry);
    if (rc == 0 && op->mode == OP_NONE) {
        strata_db_items *b = &op->items;
        b->kind = kind;
        if (!(b->pk = dup_or_empty(pk)) || !(b->sk = dup_or_empty(sk)) || !(b->ttl = dup_or_empty(ttl))) rc = STRATA_ENOMEM;
        else op->mode = OP_ITEMS;
    }
    if (rc) {
        strata_db__item_release(it);
        return t ? poison(t, rc) : rc;
    }
    if ((rc = strata_db__items_add(&op->items, it, index))) return poison(t, rc);
    return 0;
}

size_t strata_db__txn_items_deleted(const strata_txn *t) { return t->ops.n ? t->ops.v[0].items_deleted : 0; }

strata_value *strata_db__txn_take_item_result(strata_txn *t, size_t item)
{
    if (t->ops.n == 0 || item >= t->ops.v[0].items.ops.n) return NULL;
    strata_value *v = t->ops.v[0].items.ops.v[item].result;
    t->ops.v[0].items.ops.v[item].result = NULL;
    return v;
}

/* ---- commit --------------------------------------------------------------------------------- */

static int is_zero(const strata_oid *o)
{
    for (int i = 0; i < STRATA_OID_SIZE; i++)
        if (o->id[i]) return 0;
    return 1;
}

/* The operation text of an item batch: "put 2, delete 1" (records) or "put_item 2, …" (tables). */
static void items_opdesc(char *out, size_t cap, int kind, const strata_db_items_done *d)
{
    int w = 0;
    out[0] = 0;
    if (kind == STRATA_ENTRY_RECORDS) {
        if (d->deleted == 0) snprintf(out, cap, "put %zu", d->put);
        else if (d->put == 0) snprintf(out, cap, "delete %zu", d->deleted);
        else snprintf(out, cap, "put %zu, delete %zu", d->put, d->deleted);
        return;
    }
    if (d->put) w += snprintf(out + w, cap - (size_t)w, "put_item %zu", d->put);
    if (d->updated) w += snprintf(out + w, cap - (size_t)w, "%supdate_item %zu", w ? ", " : "", d->updated);
    if (d->deleted) snprintf(out + w, cap - (size_t)w, "%sdelete_item %zu", w ? ", " : "", d->deleted);
}

/* Compute one op against the current manifest: on a change, write its commit and set
 * op->changed, op->change and op->result. */
static int apply_op(strata_txn *t, const strata_manifest *m, txn_op *op)
{
    strata_db *db = t->db;
    uint8_t kind = 0;
    strata_oid head;
    strata_db_head hc;         /* the head commit's summary (cached: no object read when warm) */
    strata_commit_rec src;     /* OP_RESTORE: the commit restored */
    int have_head = 0, rc;
    memset(&hc, 0, sizeof hc);
    memset(&src, 0, sizeof src);
    strata_buf enc = {0};

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
    char opdesc[128] = "";
    memset(&data, 0, sizeof data);
    const char *pk = "", *sk = "", *ttl = ""; /* the schema the new commit carries (tables) */
    switch (op->mode) {
    case OP_SAVE: {
        newkind = STRATA_ENTRY_DOCUMENT;
        strata_slice s = strata_doc__value_slice(op->doc);
        if ((rc = strata_store__put(db->store, STRATA_OBJ_VALUE, s.data, s.len, &data))) goto done;
        snprintf(opdesc, sizeof opdesc, "%s", op->opdesc ? op->opdesc : "save");
        break;
    }
    case OP_RESTORE: {
        if ((rc = strata_db__load_commit(db, &op->restore, &src))) goto done;
        if (strcmp(src.tenant, t->tenant) != 0 || strcmp(src.entry, op->entry) != 0 ||
            memcmp(src.incarnation, m->incarnation, STRATA_INCARNATION_SIZE) != 0) {
            char hex[65];
            strata_oid_fmt(hex, &op->restore);
            rc = strata_err__set(STRATA_ENOTFOUND, "no commit %s in the history of entry '%s'", hex, op->entry);
            goto done;
        }
        newkind = src.kind;
        data = src.data;
        pk = src.pk, sk = src.sk, ttl = src.ttl;
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
        pk = op->pk, sk = op->sk, ttl = op->ttl;
        if ((rc = strata_db__tree_empty(db, &data))) goto done;
        snprintf(opdesc, sizeof opdesc, "create table");
        break;
    }
    case OP_ITEMS: {
        strata_db_items *b = &op->items;
        newkind = (uint8_t)b->kind;
        strata_oid base;
        if (have_head) {
            if (hc.kind != newkind) break; /* reported below */
            if (newkind == STRATA_ENTRY_TABLE && (strcmp(hc.pk, b->pk) != 0 || strcmp(hc.sk, b->sk) != 0)) {
                rc = strata_err__set(STRATA_ECONFLICT, "table '%s': its key schema changed during the transaction", op->entry);
                goto done;
            }
            base = hc.data;
            pk = hc.pk, sk = hc.sk, ttl = hc.ttl;
        } else if (newkind == STRATA_ENTRY_TABLE) {
            rc = strata_err__set(STRATA_ENOTFOUND, "table '%s' does not exist in tenant '%s'", op->entry, t->tenant);
            goto done;
        } else if ((rc = strata_db__tree_empty(db, &base))) { /* records: the first put creates the entry */
            goto done;
        }
        strata_db_items_done d;
        if ((rc = strata_db__items_apply(db, b, op->entry, &base, t->time_us / 1000000, &data, &d))) goto done;
        op->items_deleted = d.deleted;
        items_opdesc(opdesc, sizeof opdesc, b->kind, &d);
        if (!have_head && strata_oid__cmp(&base, &data) == 0) goto done; /* deletes in a missing entry */
        break;
    }
    default:
        rc = strata_err__set(STRATA_EINVALID, "internal: unknown op");
        goto done;
    }
    if (have_head && hc.kind != newkind) {
        rc = strata_db__wrong_kind(op->entry, hc.kind, newkind);
        goto done;
    }
    if (have_head && strata_oid__cmp(&hc.data, &data) == 0) {
        op->result = head; /* nothing changed */
        goto done;
    }
    if (newkind != STRATA_ENTRY_TABLE) pk = sk = ttl = "";
    strata_db_change *ch = &op->change;
    ch->entry = op->entry;
    ch->kind = newkind;
    ch->had_head = have_head;
    if (have_head) ch->old_data = hc.data;
    ch->new_data = data;
    if (!(op->change_pk = strata_mem__strdup(pk)) || !(op->change_sk = strata_mem__strdup(sk))) {
        rc = STRATA_ENOMEM;
        goto done;
    }
    ch->pk = op->change_pk;
    ch->sk = op->change_sk;

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
done:
    strata_db__commit_clear(&src);
    strata_buf__free(&enc);
    return rc;
}

int strata_db__write_lock(strata_db *db)
{
    pthread_mutex_lock(&db->write_mu);
    int rc = strata_store__lock(db->store);
    if (rc) pthread_mutex_unlock(&db->write_mu);
    return rc;
}

void strata_db__write_unlock(strata_db *db)
{
    strata_store__unlock(db->store);
    pthread_mutex_unlock(&db->write_mu);
}

/* Forget what applying the ops computed (a rebase applies them again). */
static void ops_reset(strata_txn *t)
{
    for (size_t i = 0; i < t->ops.n; i++) {
        txn_op *op = &t->ops.v[i];
        strata_mem__free(op->change_pk);
        strata_mem__free(op->change_sk);
        op->change_pk = op->change_sk = NULL;
        memset(&op->change, 0, sizeof op->change);
        memset(&op->result, 0, sizeof op->result);
        op->changed = 0;
        op->items_deleted = 0;
    }
}

/* A rebase that keeps losing the race is reported as a conflict after this many attempts. */
#define COMMIT_ATTEMPTS 64

static int commit_once(strata_txn *t, strata_oid *manifest_out, uint64_t *ticket);

/* The part of a commit done under the write lock (the caller holds it: strata_db__write_lock):
 * read the tenant's root, apply the ops to its heads, write the commits and the manifest and
 * publish it if the root is still the one read, else rebase and retry; *ticket receives what to
 * wait for before the commit is durable (0: nothing to wait for). STRATA_UNCHANGED when no
 * entry changed. */
int strata_db__txn_commit_locked(strata_txn *t, strata_oid *manifest_out, uint64_t *ticket)
{
    for (int attempt = 1;; attempt++) {
        int rc = commit_once(t, manifest_out, ticket);
        if (rc != STRATA_STORE_MOVED) return rc;
        ops_reset(t);
        if (attempt == COMMIT_ATTEMPTS)
            return strata_err__set(STRATA_ECONFLICT, "tenant '%s': its root kept moving during the commit (%d attempts)",
                                   t->tenant, attempt);
        if ((rc = strata_store__refresh(t->db->store))) return rc;
    }
}

/* One attempt: read root → build → publish if unmoved (STRATA_STORE_MOVED when it moved). */
static int commit_once(strata_txn *t, strata_oid *manifest_out, uint64_t *ticket)
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
    medits = strata_mem__calloc(t->ops.n ? t->ops.n : 1, sizeof *medits);
    if (!medits) { rc = STRATA_ENOMEM; goto done; }
    if ((rc = strata_buf__reserve(&mvals, t->ops.n * STRATA_DB_MENTRY_SIZE + 1))) goto done;
    size_t nchanged = 0;
    const txn_op *first = NULL;
    for (size_t i = 0; i < t->ops.n; i++) {
        txn_op *op = &t->ops.v[i];
        if ((rc = apply_op(t, &m, op))) goto done;
        if (!op->changed) continue;
        strata_db__mentry_encode(mvals.data + mvals.len, op->change.kind, &op->result);
        medits[nchanged].key = (const uint8_t *)op->entry;
        medits[nchanged].klen = strlen(op->entry);
        medits[nchanged].val = mvals.data + mvals.len;
        medits[nchanged].vlen = STRATA_DB_MENTRY_SIZE;
        mvals.len += STRATA_DB_MENTRY_SIZE;
        nchanged++;
        if (!first) first = op;
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
    /* published under the write lock (commit order = publish order), only over the root the
     * ops were applied to */
    if ((rc = strata_store__publish_cas(db->store, t->tenant, &moid, &newm, ticket))) goto done;
    if (manifest_out) *manifest_out = newm;
done:
    strata_mem__free(medits);
    strata_buf__free(&enc);
    strata_buf__free(&mvals);
    return rc;
}

/* Tell the listeners about the entries the committed transaction changed. */
static void notify(strata_txn *t)
{
    strata_db_change small[8], *ch = t->ops.n <= 8 ? small : strata_mem__alloc(t->ops.n * sizeof *ch);
    if (!ch) return; /* counted as no failure: nothing was called */
    size_t n = 0;
    for (size_t i = 0; i < t->ops.n; i++)
        if (t->ops.v[i].changed) ch[n++] = t->ops.v[i].change;
    if (n) strata_db__listeners_notify(t->db, t->tenant, ch, n);
    if (ch != small) strata_mem__free(ch);
}

int strata_db__txn_commit(strata_txn *t, strata_oid *manifest_out)
{
    strata_db *db = t->db;
    uint64_t ticket = 0;
    int rc = strata_db__write_lock(db);
    if (rc) return rc;
    rc = strata_db__txn_commit_locked(t, manifest_out, &ticket);
    /* released before the sync: the next committer (of this or another process) appends while
     * this one waits, and concurrent committers of this process share one sync */
    strata_db__write_unlock(db);
    if (rc == 0) {
        /* waiting outside the mutex lets concurrent committers share one sync (group commit) */
        rc = strata_store__wait_durable(db->store, ticket);
        if (rc == 0) notify(t);
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

const strata_oid *strata_db__txn_result(const strata_txn *t, size_t i)
{
    return i < t->ops.n ? &t->ops.v[i].result : NULL;
}

int strata_db__txn_one(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                       const strata_write_options *wo, strata_db_fill_fn fill, void *arg)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_write_options w;
    int rc = strata_db__write_options(&w, wo);
    if (rc) return rc;
    const strata_oid *expect = w.expect_head;
    w.expect_head = NULL;
    strata_txn *t;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) return rc;
    if (expect) rc = strata_txn_expect_head(t, entry, expect);
    if (rc == 0) rc = fill(t, entry, arg);
    if (rc == 0) {
        rc = strata_db__txn_commit(t, NULL);
        if (rc >= 0 && out) {
            const strata_oid *r = strata_db__txn_result(t, 0);
            if (r) *out = *r;
        }
    }
    strata_txn_abort(t);
    return rc;
}
