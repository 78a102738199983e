/* The public entry operations: single-entry writes as one-op transactions (save, put, delete,
 * restore, tenant init/drop), reads (load, get, get_all, exists, head, kind), and the iterators
 * (tenants, entries, records, history, diff). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"


/* ---- single-entry writes ---------------------------------------------------------------- */

typedef int (*fill_fn)(strata_txn *t, const char *entry, void *arg);

/* Run one transaction on `entry` filled by `fill`; *out receives the entry's new commit (or its
 * unchanged head with STRATA_UNCHANGED). wo->expect_head becomes the transaction's check. */
static int one_entry_write(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                           const strata_write_options *wo, fill_fn fill, void *arg)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_write_options w;
    int rc = strata_db__write_options(&w, wo);
    if (rc) return rc;
    const strata_oid *expect = w.expect_head;
    w.expect_head = NULL;
    strata_txn *t;
    if ((rc = strata_txn_begin(&t, db, tenant, &w))) return rc;
    if (expect) {
        strata_oid zero;
        memset(&zero, 0, sizeof zero);
        rc = strata_txn_expect_head(t, entry, expect);
    }
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

static int fill_save(strata_txn *t, const char *entry, void *arg)
{
    return strata_txn_save(t, entry, arg);
}

int strata_document_save(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                const strata_value *value, const strata_write_options *wo)
{
    if (!value) return strata_err__set(STRATA_EINVALID, "strata_document_save: value is NULL");
    return one_entry_write(out, db, tenant, entry, wo, fill_save, (void *)value);
}

typedef struct many_args {
    const char *const *keys;
    const strata_value *const *values; /* NULL: deletes */
    size_t n;
} many_args;

static int fill_many(strata_txn *t, const char *entry, void *arg)
{
    many_args *a = arg;
    int rc = 0;
    if (a->n && !a->keys) return strata_err__set(STRATA_EINVALID, "keys is NULL");
    for (size_t i = 0; i < a->n && rc == 0; i++)
        rc = a->values ? strata_txn_put(t, entry, a->keys[i], a->values[i]) : strata_txn_delete(t, entry, a->keys[i]);
    return rc;
}

int strata_records_put_many(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                    const char *const *keys, const strata_value *const *values, size_t n,
                    const strata_write_options *wo)
{
    if (n && !values) return strata_err__set(STRATA_EINVALID, "strata_records_put_many: values is NULL");
    many_args a = {keys, values, n};
    return one_entry_write(out, db, tenant, entry, wo, fill_many, &a);
}

int strata_records_put(strata_oid *out, strata_db *db, const char *tenant, const char *entry, const char *key,
               const strata_value *value, const strata_write_options *wo)
{
    if (!value) return strata_err__set(STRATA_EINVALID, "strata_records_put: value is NULL");
    many_args a = {&key, &value, 1};
    return one_entry_write(out, db, tenant, entry, wo, fill_many, &a);
}

int strata_records_delete_many(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                       const char *const *keys, size_t n, const strata_write_options *wo)
{
    many_args a = {keys, NULL, n};
    return one_entry_write(out, db, tenant, entry, wo, fill_many, &a);
}

int strata_records_delete(strata_oid *out, strata_db *db, const char *tenant, const char *entry, const char *key,
                  const strata_write_options *wo)
{
    many_args a = {&key, NULL, 1};
    return one_entry_write(out, db, tenant, entry, wo, fill_many, &a);
}

static int fill_restore(strata_txn *t, const char *entry, void *arg)
{
    return strata_db__txn_restore(t, entry, arg);
}

int strata_entry_restore(strata_oid *out, strata_db *db, const char *tenant, const char *entry,
                   const strata_oid *digest, const strata_write_options *wo)
{
    if (!digest) return strata_err__set(STRATA_EINVALID, "strata_entry_restore: digest is NULL");
    return one_entry_write(out, db, tenant, entry, wo, fill_restore, (void *)digest);
}

/* ---- tenants ---------------------------------------------------------------------------- */

/* Publish a first manifest for `tenant` (empty entries), or a dropped marker when `drop`. */
static int publish_manifest(strata_db *db, const char *tenant, const strata_write_options *wo, int drop)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    if (db->read_only) return strata_err__set(STRATA_EINVALID, "the database is open read-only");
    int rc = strata_db__check_name(tenant, "tenant name");
    if (rc) return rc;
    strata_write_options w;
    if ((rc = strata_db__write_options(&w, wo))) return rc;
    strata_manifest m;
    memset(&m, 0, sizeof m);
    m.flags = drop ? STRATA_MANIFEST_DROPPED : 0;
    m.tenant = (char *)tenant;
    m.generation = 1;
    m.time_us = w.time_us ? w.time_us : strata_db__now_us();
    m.tz_offset_min = w.tz_offset_min == STRATA_TZ_LOCAL ? strata_db__local_offset_min(m.time_us) : w.tz_offset_min;
    m.user = (char *)(w.user ? w.user : "");
    m.message = (char *)(w.message ? w.message : "");
    m.origin = (char *)(w.origin ? w.origin : "");
    m.operation = drop ? "drop tenant" : "init tenant";
    strata_db__new_incarnation(m.incarnation); /* a new life: earlier commits stay unreachable */
    strata_buf enc = {0};
    strata_oid moid;
    pthread_mutex_lock(&db->write_mu);
    int exists = strata_tenant_exists(db, tenant);
    if (exists < 0) { rc = exists; goto done; }
    if (!drop && exists) { rc = STRATA_UNCHANGED; goto done; }
    if (drop && !exists) { rc = strata_err__set(STRATA_ENOTFOUND, "tenant '%s' does not exist", tenant); goto done; }
    if ((rc = strata_db__tree_empty(db, &m.entries))) goto done;
    if ((rc = strata_db__manifest_encode(&enc, &m))) goto done;
    if ((rc = strata_store__put(db->store, STRATA_OBJ_MANIFEST, enc.data, enc.len, &moid))) goto done;
    rc = strata_store__publish(db->store, tenant, &moid);
done:
    pthread_mutex_unlock(&db->write_mu);
    strata_buf__free(&enc);
    return rc;
}

int strata_tenant_init(strata_db *db, const char *tenant, const strata_write_options *wo)
{
    return publish_manifest(db, tenant, wo, 0);
}

int strata_tenant_drop(strata_db *db, const char *tenant, const strata_write_options *wo)
{
    return publish_manifest(db, tenant, wo, 1);
}

/* ---- reads ------------------------------------------------------------------------------ */

int strata_entry_exists(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    if (rc == STRATA_ENOTFOUND) return 0; /* no such entry (or tenant, or commit) */
    if (rc) return rc;
    return 1;
}

int strata_entry_head(strata_oid *out, strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!out || !db) return strata_err__set(STRATA_EINVALID, "strata_entry_head: NULL argument");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    if (rc == 0) *out = h.commit;
    return rc;
}

int strata_entry_kind_of(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    return rc ? rc : h.kind;
}

static int wrong_kind(const char *entry, int have, const char *want)
{
    static const char *names[] = {"", "a document", "keyed records", "a table"};
    return strata_err__set(STRATA_EINVALID, "entry '%s' holds %s, not %s", entry,
                           have >= 1 && have <= 3 ? names[have] : "unknown data", want);
}

/* Read the 'V' object of a document commit into a new value. */
static int load_value(strata_db *db, const strata_oid *oid, strata_value **out)
{
    uint8_t type, *data = NULL;
    size_t len;
    int rc = strata_store__get(db->store, oid, &type, &data, &len);
    if (rc == 0 && type != STRATA_OBJ_VALUE) rc = strata_err__set(STRATA_ECORRUPT, "document value has object type %u", type);
    if (rc == 0) rc = strata_db__value_new(out, data, len);
    strata_mem__free(data);
    return rc;
}

int strata_document_load(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_document_load: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    if (rc) return rc;
    if (h.kind != STRATA_ENTRY_DOCUMENT) return wrong_kind(entry, h.kind, "a document");
    return load_value(db, &h.data, out);
}

/* Resolve a records entry: its data tree root. */
static int records_root(strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro,
                        strata_oid *root)
{
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, ro, &h);
    if (rc) return rc;
    if (h.kind != STRATA_ENTRY_RECORDS) return wrong_kind(entry, h.kind, "keyed records");
    *root = h.data;
    return 0;
}

int strata_records_get(strata_value **out, strata_db *db, const char *tenant, const char *entry, const char *key,
               const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_records_get: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_oid root;
    strata_buf k = {0}, v = {0};
    int rc = strata_db__check_name(key, "record key");
    if (rc) return rc;
    if ((rc = records_root(db, tenant, entry, ro, &root))) goto done;
    if ((rc = strata_db__record_key(&k, key))) goto done;
    rc = strata_db__tree_get(db, &root, k.data, k.len, &v);
    if (rc == STRATA_ENOTFOUND) rc = strata_err__set(STRATA_ENOTFOUND, "no record '%s' in entry '%s'", key, entry);
    if (rc == 0) rc = strata_db__value_new(out, v.data, v.len);
done:
    strata_buf__free(&k);
    strata_buf__free(&v);
    return rc;
}

/* The record key (a string) inside an encoded tree key, as a slice into `scratch`. */
static int decode_record_key(const void *key, size_t klen, strata_buf *scratch, strata_slice *out)
{
    scratch->len = 0;
    int rc = strata_doc__key_decode(key, klen, scratch, NULL, NULL);
    if (rc) return rc;
    strata_slice pk = {scratch->data, scratch->len};
    return strata_doc__get_string(pk, out);
}

int strata_records_get_all(strata_value **out, strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_records_get_all: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_oid root;
    strata_doc_builder *b = NULL;
    strata_db_cursor *cur = NULL;
    strata_buf scratch = {0};
    int rc = records_root(db, tenant, entry, ro, &root);
    if (rc) return rc;
    if ((rc = strata_doc__builder_new(&b)) || (rc = strata_doc__b_begin(b, STRATA_DOC_MAP))) goto done;
    if ((rc = strata_db__cursor_open(&cur, db, &root)) || (rc = strata_db__cursor_seek(cur, NULL, 0))) goto done;
    strata_slice k, v, name;
    while ((rc = strata_db__cursor_next(cur, &k, &v)) == 0) {
        if ((rc = decode_record_key(k.data, k.len, &scratch, &name)) || (rc = strata_doc__b_key(b, name.data, name.len)) ||
            (rc = strata_doc__b_value(b, v)))
            goto done;
    }
    if (rc != STRATA_ITEROVER) goto done;
    strata_slice res;
    if ((rc = strata_doc__b_end(b)) || (rc = strata_doc__builder_finish(b, &res))) goto done;
    rc = strata_db__value_new(out, res.data, res.len);
done:
    strata_db__cursor_free(cur);
    strata_doc__builder_free(b);
    strata_buf__free(&scratch);
    return rc;
}

/* ---- iterators -------------------------------------------------------------------------- */

int strata_db__iter_new(strata_iter **out, strata_db *db, int kind)
{
    strata_iter *it = strata_mem__calloc(1, sizeof *it);
    if (!it) return STRATA_ENOMEM;
    it->kind = kind;
    it->db = db;
    *out = it;
    return 0;
}

static void iter_clear_current(strata_iter *it)
{
    strata_value_free(it->value);
    strata_value_free(it->old);
    strata_value_free(it->keyval);
    it->keyval = NULL;
    strata_commit_free(it->commit);
    it->value = it->old = NULL;
    it->commit = NULL;
    it->key.len = 0;
}

void strata_iter_free(strata_iter *it)
{
    if (!it) return;
    iter_clear_current(it);
    if (it->impl_free) it->impl_free(it);
    strata_value_free(it->last_key);
    strata_buf__free(&it->key);
    strata_buf__free(&it->names);
    strata_buf__free(&it->hi);
    strata_db__cursor_free(it->cur);
    strata_buf__free(&it->scratch);
    strata_mem__free(it->tenant);
    strata_mem__free(it->entry);
    for (size_t i = it->idx; i < it->nitems; i++) {
        strata_value_free(it->items[i].old);
        strata_value_free(it->items[i].nw);
        strata_value_free(it->items[i].keyval);
    }
    strata_mem__free(it->items);
    strata_buf__free(&it->keys);
    strata_mem__free(it);
}

strata_slice strata_iter_key(const strata_iter *it)
{
    strata_slice s = {it ? it->key.data : NULL, it ? it->key.len : 0};
    if (!s.data) s.data = "";
    return s;
}
const strata_value *strata_iter_value(const strata_iter *it) { return it ? it->value : NULL; }
const strata_value *strata_iter_old_value(const strata_iter *it) { return it ? it->old : NULL; }
const strata_commit *strata_iter_commit(const strata_iter *it) { return it ? it->commit : NULL; }
const strata_value *strata_iter_key_value(const strata_iter *it) { return it ? it->keyval : NULL; }

int strata_iter_next(strata_iter *it)
{
    if (!it) return strata_err__set(STRATA_EINVALID, "strata_iter_next: iterator is NULL");
    iter_clear_current(it);
    int rc;
    if (it->impl_next) return it->impl_next(it);
    switch (it->kind) {
    case IT_NAMES: {
        if (it->pos >= it->names.len) return STRATA_ITEROVER;
        const char *s = (const char *)it->names.data + it->pos;
        size_t n = strlen(s);
        it->pos += n + 1;
        return strata_buf__append(&it->key, s, n);
    }
    case IT_ENTRIES: {
        strata_slice k, v;
        if ((rc = strata_db__cursor_next(it->cur, &k, &v))) return rc;
        /* gc.c: skip the hidden retention entry (no API name can start with a control byte) */
        if (k.len && ((const uint8_t *)k.data)[0] == 0x01 && (rc = strata_db__cursor_next(it->cur, &k, &v)))
            return rc;
        return strata_buf__append(&it->key, k.data, k.len);
    }
    case IT_RECORDS: {
        strata_slice k, v, name;
        if ((rc = strata_db__cursor_next(it->cur, &k, &v))) return rc;
        if (it->has_hi) {
            size_t n = k.len < it->hi.len ? k.len : it->hi.len;
            int c = memcmp(k.data, it->hi.data, n);
            if (c > 0 || (c == 0 && k.len >= it->hi.len)) return STRATA_ITEROVER;
        }
        if ((rc = decode_record_key(k.data, k.len, &it->scratch, &name))) return rc;
        if ((rc = strata_buf__append(&it->key, name.data, name.len))) return rc;
        return strata_db__value_new(&it->value, v.data, v.len);
    }
    case IT_HISTORY: {
        if (!it->has_next || it->left == 0) return STRATA_ITEROVER;
        strata_commit *c = strata_mem__calloc(1, sizeof *c);
        if (!c) return STRATA_ENOMEM;
        if ((rc = strata_db__load_commit(it->db, &it->next, &c->rec))) {
            strata_mem__free(c);
            return rc;
        }
        if (strcmp(c->rec.tenant, it->tenant) != 0 || strcmp(c->rec.entry, it->entry) != 0) {
            strata_commit_free(c);
            return strata_err__set(STRATA_ECORRUPT, "history of '%s' leads to a commit of another entry", it->entry);
        }
        c->digest = it->next;
        it->has_next = c->rec.nparents > 0;
        if (it->has_next) it->next = c->rec.parents[0];
        /* gc.c: history ends where GC cut it by retention (the parent may be gone) */
        if (it->has_next && !it->gc_cut_known) {
            it->gc_cut = strata_db__gc_cut(it->db, it->tenant, it->entry);
            it->gc_cut_known = 1;
        }
        if (it->has_next && c->rec.generation <= it->gc_cut) it->has_next = 0;
        if (it->left != SIZE_MAX) it->left--;
        it->commit = c;
        return 0;
    }
    case IT_DIFF: {
        if (it->idx >= it->nitems) return STRATA_ITEROVER;
        diff_item *d = &it->items[it->idx++];
        it->old = d->old;
        it->value = d->nw;
        it->keyval = d->keyval;
        d->old = d->nw = d->keyval = NULL;
        return strata_buf__append(&it->key, it->keys.data + d->koff, d->klen);
    }
    default:
        return strata_err__set(STRATA_EINVALID, "strata_iter_next: unknown iterator");
    }
}

typedef struct tenants_ctx {
    strata_db *db;
    strata_buf *names;
} tenants_ctx;

static int add_tenant(const char *name, const strata_oid *root, void *payload)
{
    tenants_ctx *t = payload;
    strata_manifest m;
    int rc = strata_db__load_manifest(t->db, root, &m);
    if (rc) return rc;
    int dropped = (m.flags & STRATA_MANIFEST_DROPPED) != 0;
    strata_db__manifest_clear(&m);
    if (dropped) return 0;
    return strata_buf__append(t->names, name, strlen(name) + 1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int strata_tenant_list(strata_iter **out, strata_db *db)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_tenant_list: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_iter *it;
    int rc = strata_db__iter_new(&it, db, IT_NAMES);
    if (rc) return rc;
    strata_buf raw = {0};
    tenants_ctx tc = {db, &raw};
    char **v = NULL;
    if (db->read_only && (rc = strata_store__refresh(db->store))) goto done;
    if ((rc = strata_store__roots(db->store, add_tenant, &tc))) goto done;
    /* sort the names bytewise */
    size_t n = 0;
    for (size_t i = 0; i < raw.len; i++) n += raw.data[i] == 0;
    v = strata_mem__alloc((n ? n : 1) * sizeof *v);
    if (!v) { rc = STRATA_ENOMEM; goto done; }
    for (size_t i = 0, k = 0; i < raw.len; k++) {
        v[k] = (char *)raw.data + i;
        i += strlen(v[k]) + 1;
    }
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t k = 0; k < n && rc == 0; k++) rc = strata_buf__append(&it->names, v[k], strlen(v[k]) + 1);
done:
    strata_mem__free(v);
    strata_buf__free(&raw);
    if (rc) strata_iter_free(it);
    else *out = it;
    return rc;
}

int strata_entry_list(strata_iter **out, strata_db *db, const char *tenant, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_entry_list: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    if (ro && ro->at) return strata_err__set(STRATA_EINVALID, "strata_entry_list: 'at' names one entry's commit; use snapshot or as_of_us");
    strata_db_view v;
    int rc = strata_db__view_open(&v, db, tenant, ro);
    if (rc) return rc;
    strata_iter *it = NULL;
    if ((rc = strata_db__iter_new(&it, db, IT_ENTRIES)) == 0 && (rc = strata_db__cursor_open(&it->cur, db, &v.m.entries)) == 0)
        rc = strata_db__cursor_seek(it->cur, NULL, 0);
    if (rc) strata_iter_free(it);
    else *out = it;
    return rc;
}

int strata_records_range(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const char *from,
                         const char *to, const strata_read_options *ro)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_records_list: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    int rc;
    if ((from && (rc = strata_db__check_name(from, "range start key"))) || (to && (rc = strata_db__check_name(to, "range end key"))))
        return rc;
    strata_oid root;
    if ((rc = records_root(db, tenant, entry, ro, &root))) return rc;
    strata_iter *it = NULL;
    strata_buf lo = {0};
    if ((rc = strata_db__iter_new(&it, db, IT_RECORDS))) goto done;
    /* keys encode in string order, so bounds on encoded keys are bounds on the names */
    if (from && (rc = strata_db__record_key(&lo, from))) goto done;
    if (to) {
        if ((rc = strata_db__record_key(&it->hi, to))) goto done;
        it->has_hi = 1;
    }
    if ((rc = strata_db__cursor_open(&it->cur, db, &root))) goto done;
    rc = strata_db__cursor_seek(it->cur, from ? lo.data : NULL, lo.len);
done:
    strata_buf__free(&lo);
    if (rc) strata_iter_free(it);
    else *out = it;
    return rc;
}

int strata_records_list(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_read_options *ro)
{
    return strata_records_range(out, db, tenant, entry, NULL, NULL, ro);
}

int strata_entry_history(strata_iter **out, strata_db *db, const char *tenant, const char *entry, const strata_oid *from,
                   size_t max_items)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_entry_history: out is NULL");
    *out = NULL;
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    strata_read_options ro = STRATA_READ_OPTIONS_INIT;
    ro.at = from;
    strata_db_head h;
    int rc = strata_db__head(db, tenant, entry, &ro, &h);
    if (rc) return rc;
    strata_iter *it;
    if ((rc = strata_db__iter_new(&it, db, IT_HISTORY))) return rc;
    it->tenant = strata_mem__strdup(tenant);
    it->entry = strata_mem__strdup(entry);
    if (!it->tenant || !it->entry) {
        strata_iter_free(it);
        return STRATA_ENOMEM;
    }
    it->next = h.commit;
    it->has_next = 1;
    it->left = max_items ? max_items : SIZE_MAX;
    *out = it;
    return 0;
}

/* Set by strata_entry_diff for table diffs: the key schema to build key maps with. */
typedef struct diff_schema {
    const char *pk, *sk;
} diff_schema;

static int diff_collect(strata_slice key, const strata_slice *old, const strata_slice *nw, void *payload)
{
    strata_iter *it = payload;
    const diff_schema *ds = it->impl;
    if (it->nitems == it->capitems) {
        size_t nc = it->capitems ? it->capitems * 2 : 16;
        diff_item *n = strata_mem__realloc(it->items, nc * sizeof *n);
        if (!n) return STRATA_ENOMEM;
        it->items = n;
        it->capitems = nc;
    }
    diff_item *d = &it->items[it->nitems];
    memset(d, 0, sizeof *d);
    int rc;
    d->koff = it->keys.len;
    if (ds) {
        if ((rc = strata_db__table_key_value(&d->keyval, ds->pk, ds->sk, key.data, key.len))) return rc;
    } else {
        strata_slice name;
        if ((rc = decode_record_key(key.data, key.len, &it->scratch, &name))) return rc;
        d->klen = name.len;
        if ((rc = strata_buf__append(&it->keys, name.data, name.len))) return rc;
        strata_slice pk = {it->scratch.data, it->scratch.len};
        if ((rc = strata_db__value_new(&d->keyval, pk.data, pk.len))) return rc;
    }
    if ((old && (rc = strata_db__value_new(&d->old, old->data, old->len))) ||
        (nw && (rc = strata_db__value_new(&d->nw, nw->data, nw->len)))) {
        strata_value_free(d->old);
        strata_value_free(d->keyval);
        return rc;
    }
    it->nitems++;
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
    strata_iter *it = NULL;
    if ((rc = strata_db__iter_new(&it, db, IT_DIFF))) goto done;
    if (ca.kind != cb.kind) {
        rc = strata_err__set(STRATA_EINVALID, "cannot diff commits of different kinds");
        goto done;
    }
    if (ca.kind == STRATA_ENTRY_DOCUMENT) {
        if (strata_oid__cmp(&ca.data, &cb.data) != 0) {
            it->items = strata_mem__calloc(1, sizeof *it->items);
            if (!it->items) { rc = STRATA_ENOMEM; goto done; }
            it->capitems = 1;
            if ((rc = load_value(db, &ca.data, &it->items[0].old)) || (rc = load_value(db, &cb.data, &it->items[0].nw))) {
                strata_value_free(it->items[0].old);
                strata_value_free(it->items[0].nw);
                goto done;
            }
            it->nitems = 1;
        }
    } else {
        diff_schema ds = {ca.pk, ca.sk};
        if (ca.kind == STRATA_ENTRY_TABLE) it->impl = &ds;
        rc = strata_db__tree_diff(db, &ca.data, &cb.data, diff_collect, it);
        it->impl = NULL;
    }
done:
    if (rc) strata_iter_free(it);
    else *out = it;
    return rc;
}

int strata_db_verify(uint64_t *problems, strata_db *db)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "database handle is NULL");
    return strata_db__verify(db, problems);
}
