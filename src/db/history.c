/* History: commit lookup (the accessors are commit.c's), an entry's history (its commit
 * chain, newest first, ending where GC's retention cut it), the diff of two versions of an
 * entry, and restoring an old version as a new commit. Calls txn.c, gc.c (the retention cut),
 * view.c, cache.c, item.c, iter.c and kv.c. */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

/* ---- commits: lookup --------------------------------------------------------------- */

int strata_commit_lookup(strata_commit **out, strata_db *db, const char *tenant, const strata_oid *digest)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_commit_lookup: out is NULL");
    *out = NULL;
    if (!db || !digest) return strata_err__set(STRATA_EINVALID, "strata_commit_lookup: NULL argument");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_oid moid;
    strata_manifest m;
    if ((rc = strata_db__current_manifest(db, tenant, &moid, &m))) return rc;
    strata_commit *c = strata_mem__calloc(1, sizeof *c);
    if (!c) return STRATA_ENOMEM;
    rc = strata_db__load_commit(db, digest, &c->rec);
    if (rc == 0 && (strcmp(c->rec.tenant, tenant) != 0 ||
                    memcmp(c->rec.incarnation, m.incarnation, STRATA_INCARNATION_SIZE) != 0)) {
        strata_db__commit_clear(&c->rec);
        char hex[65];
        strata_oid_fmt(hex, digest);
        rc = strata_err__set(STRATA_ENOTFOUND, "no commit %s in tenant '%s'", hex, tenant);
    }
    if (rc) {
        strata_mem__free(c);
        return rc;
    }
    c->digest = *digest;
    *out = c;
    return 0;
}

/* ---- restore -------------------------------------------------------------------------------- */

static int fill_restore(strata_txn *t, const char *entry, void *arg) { return strata_db__txn_restore(t, entry, arg); }

int strata_entry_restore(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                         const strata_oid *digest, const strata_write_options *wo)
{
    if (!digest) return strata_err__set(STRATA_EINVALID, "strata_entry_restore: digest is NULL");
    return strata_db__txn_one(out, db, tenant, entry, wo, fill_restore, (void *)digest);
}

/* ---- history -------------------------------------------------------------------------------- */

typedef struct history_iter {
    strata_db *db;
    char *tenant, *entry;
    strata_oid next;
    int has_next;
    size_t left;              /* commits still to return (SIZE_MAX: unlimited) */
    uint64_t gc_cut;          /* history ends at this generation (retention); 0 = none */
    int gc_cut_known;         /* gc_cut loaded */
} history_iter;

static void history_free(void *state)
{
    history_iter *h = state;
    strata_mem__free(h->tenant);
    strata_mem__free(h->entry);
    strata_mem__free(h);
}

static int history_next(strata_iter *it, void *state)
{
    history_iter *h = state;
    if (!h->has_next || h->left == 0) return STRATA_ITEROVER;
    strata_commit *c = strata_mem__calloc(1, sizeof *c);
    if (!c) return STRATA_ENOMEM;
    int rc = strata_db__load_commit(h->db, &h->next, &c->rec);
    if (rc) {
        strata_mem__free(c);
        return rc;
    }
    if (strcmp(c->rec.tenant, h->tenant) != 0 || strcmp(c->rec.entry, h->entry) != 0) {
        strata_commit_free(c);
        return strata_err__set(STRATA_ECORRUPT, "history of '%s' leads to a commit of another entry", h->entry);
    }
    c->digest = h->next;
    h->has_next = c->rec.nparents > 0;
    if (h->has_next) h->next = c->rec.parents[0];
    /* history ends where GC cut it by retention (the parent may be gone) */
    if (h->has_next && !h->gc_cut_known) {
        h->gc_cut = strata_db__gc_cut(h->db, h->tenant, h->entry);
        h->gc_cut_known = 1;
    }
    if (h->has_next && c->rec.generation <= h->gc_cut) h->has_next = 0;
    if (h->left != SIZE_MAX) h->left--;
    it->commit = c;
    return 0;
}

static const strata_db_iter_type history_type = {history_next, history_free};

int strata_entry_history(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_oid *from,
                         size_t max_items)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_entry_history: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = from;
    strata_db_head start;
    int rc = strata_db__head(db, tenant, entry, &ro, &start);
    if (rc) return rc;
    history_iter *h = strata_mem__calloc(1, sizeof *h);
    if (!h) return STRATA_ENOMEM;
    h->db = db;
    h->tenant = strata_mem__strdup(tenant);
    h->entry = strata_mem__strdup(entry);
    if (!h->tenant || !h->entry) {
        history_free(h);
        return STRATA_ENOMEM;
    }
    h->next = start.commit;
    h->has_next = 1;
    h->left = max_items ? max_items : SIZE_MAX;
    return strata_db__iter_new(out, &history_type, h);
}

/* ---- diff ----------------------------------------------------------------------------------- */

/* One changed item (or the document), gathered when the diff is opened. */
typedef struct diff_item {
    size_t koff, klen;         /* records: the key, in the iterator's `keys` */
    strata_value *old, *nw;    /* NULL: added / deleted */
    strata_value *keyval;      /* the key as a value (records: string; tables: key map) */
} diff_item;

typedef struct diff_iter {
    STRATA_ARRAY(diff_item) items;
    size_t idx;                /* the next item to hand out */
    strata_buf keys;
    strata_buf scratch;
    const strata_db_head *head; /* while collecting: the key schema */
} diff_iter;

static void diff_free(void *state)
{
    diff_iter *d = state;
    for (size_t i = d->idx; i < d->items.n; i++) {
        strata_value_free(d->items.v[i].old);
        strata_value_free(d->items.v[i].nw);
        strata_value_free(d->items.v[i].keyval);
    }
    strata_array__free(&d->items);
    strata_buf__free(&d->keys);
    strata_buf__free(&d->scratch);
    strata_mem__free(d);
}

static int diff_next(strata_iter *it, void *state)
{
    diff_iter *d = state;
    if (d->idx >= d->items.n) return STRATA_ITEROVER;
    diff_item *x = &d->items.v[d->idx++];
    it->old = x->old;
    it->value = x->nw;
    it->keyval = x->keyval;
    x->old = x->nw = x->keyval = NULL;
    if (x->klen == 0) return 0; /* a document's one change: keys.data may be NULL, and NULL + 0 is UB */
    return strata_buf__append(&it->key, d->keys.data + x->koff, x->klen);
}

static const strata_db_iter_type diff_type = {diff_next, diff_free};

/* A zeroed slot just past the gathered items, not yet counted: the caller counts it once it is
 * filled. NULL on STRATA_ENOMEM. */
static diff_item *diff_add(diff_iter *d)
{
    if (strata_array__reserve(&d->items, 1)) return NULL;
    diff_item *x = &d->items.v[d->items.n];
    memset(x, 0, sizeof *x);
    return x;
}

static int diff_collect(strata_slice key, const strata_slice *old, const strata_slice *nw, void *payload)
{
    diff_iter *d = payload;
    const strata_db_head *h = d->head;
    diff_item *x = diff_add(d);
    if (!x) return STRATA_ENOMEM;
    int rc;
    x->koff = d->keys.len;
    if ((rc = strata_db__key_value(&x->keyval, h->kind, h->pk, h->sk, key.data, key.len))) return rc;
    if (h->kind == STRATA_ENTRY_RECORDS) {
        strata_slice name;
        if ((rc = strata_db__record_name(&name, key.data, key.len, &d->scratch)) ||
            (rc = strata_buf__append(&d->keys, name.data, name.len))) {
            strata_value_free(x->keyval);
            return rc;
        }
        x->klen = name.len;
    }
    if ((old && (rc = strata_doc__value_new(&x->old, old->data, old->len))) ||
        (nw && (rc = strata_doc__value_new(&x->nw, nw->data, nw->len)))) {
        strata_value_free(x->old);
        strata_value_free(x->keyval);
        return rc;
    }
    d->items.n++;
    return 0;
}

int strata_entry_diff(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_oid *a,
                      const strata_oid *b)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_entry_diff: out is NULL");
    *out = NULL;
    if (!db || !a) return strata_err__set(STRATA_EINVALID, "strata_entry_diff: NULL argument");
    strata_read_options ra = STRATA_READ_OPTIONS_INIT, rb = STRATA_READ_OPTIONS_INIT;
    ra.at = a;
    rb.at = b;
    strata_db_head ca, cb;
    int rc = strata_db__head(db, tenant, entry, &ra, &ca);
    if (rc) return rc;
    if ((rc = strata_db__head(db, tenant, entry, &rb, &cb))) return rc;
    diff_iter *d = strata_mem__calloc(1, sizeof *d);
    if (!d) return STRATA_ENOMEM;
    if (ca.kind != cb.kind) {
        rc = strata_err__set(STRATA_EINVALID, "cannot diff commits of different kinds");
    } else if (ca.kind == STRATA_ENTRY_DOCUMENT) {
        diff_item *x;
        if (strata_oid__cmp(&ca.data, &cb.data) == 0) {
            /* no change */
        } else if (!(x = diff_add(d))) {
            rc = STRATA_ENOMEM;
        } else if ((rc = strata_db__load_value(db, &ca.data, &x->old)) || (rc = strata_db__load_value(db, &cb.data, &x->nw))) {
            strata_value_free(x->old);
            strata_value_free(x->nw);
        } else {
            d->items.n = 1;
        }
    } else {
        d->head = &ca;
        rc = strata_db__tree_diff(db, &ca.data, &cb.data, diff_collect, d);
        d->head = NULL;
    }
    if (rc) {
        diff_free(d);
        return rc;
    }
    return strata_db__iter_new(out, &diff_type, d);
}
