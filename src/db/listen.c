/* Change listeners: registration, and the notification that follows every durable commit — one
 * call per changed item, found by diffing each changed entry's old and new tree (documents: one
 * call with a NULL key). Calls cache.c (document values), item.c (key values) and kv.c (diffs). */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
#include "util/error.h"
#include "util/mem.h"

typedef struct listener {
    uint64_t id;
    strata_listener_fn fn;
    void *payload;
} listener;

struct strata_db_listeners {
    pthread_mutex_t mu;  /* guards the list; held while listeners are called (recursive) */
    STRATA_ARRAY(listener) list; /* in registration order */
    uint64_t next_id;
    uint64_t failures;
};

int strata_db__listeners_new(strata_db *db)
{
    struct strata_db_listeners *l = strata_mem__calloc(1, sizeof *l);
    if (!l) return STRATA_ENOMEM;
    /* recursive: a listener runs with mu held and may call strata_listener_add/_remove or commit
     * (which notifies again) on the same thread */
    pthread_mutexattr_t ma;
    int mrc = pthread_mutexattr_init(&ma);
    if (mrc == 0) {
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
        mrc = pthread_mutex_init(&l->mu, &ma);
        pthread_mutexattr_destroy(&ma);
    }
    if (mrc != 0) {
        strata_mem__free(l);
        return strata_err__set(STRATA_ENOMEM, "cannot create a mutex");
    }
    l->next_id = 1;
    db->listeners = l;
    return 0;
}

void strata_db__listeners_free(strata_db *db)
{
    struct strata_db_listeners *l = db->listeners;
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    strata_array__free(&l->list);
    strata_mem__free(l);
    db->listeners = NULL;
}

int strata_listener_add(uint64_t *out, strata_db *db, strata_listener_fn fn, void *payload)
{
    if (!db || !fn) return strata_err__set(STRATA_EINVALID, "strata_listener_add: NULL argument");
    struct strata_db_listeners *ls = db->listeners;
    int rc = 0;
    pthread_mutex_lock(&ls->mu);
    listener *l = strata_array__add(&ls->list);
    if (!l) {
        rc = STRATA_ENOMEM;
        goto done;
    }
    l->id = ls->next_id++;
    l->fn = fn;
    l->payload = payload;
    if (out) *out = l->id;
done:
    pthread_mutex_unlock(&ls->mu);
    return rc;
}

int strata_listener_remove(strata_db *db, uint64_t id)
{
    if (!db) return strata_err__set(STRATA_EINVALID, "strata_listener_remove: db is NULL");
    struct strata_db_listeners *ls = db->listeners;
    int found = 0;
    pthread_mutex_lock(&ls->mu);
    for (size_t i = 0; i < ls->list.n; i++)
        if (ls->list.v[i].id == id) {
            memmove(&ls->list.v[i], &ls->list.v[i + 1], (ls->list.n - i - 1) * sizeof *ls->list.v);
            ls->list.n--;
            found = 1;
            break;
        }
    pthread_mutex_unlock(&ls->mu);
    return found ? 0 : strata_err__set(STRATA_ENOTFOUND, "no listener %llu", (unsigned long long)id);
}

uint64_t strata_listener_failures(strata_db *db)
{
    if (!db) return 0;
    pthread_mutex_lock(&db->listeners->mu);
    uint64_t n = db->listeners->failures;
    pthread_mutex_unlock(&db->listeners->mu);
    return n;
}

typedef struct notify_ctx {
    struct strata_db_listeners *ls;
    const char *tenant;
    const strata_db_change *c;
} notify_ctx;

/* Call every listener for one changed item (under mu, which is recursive: a listener may
 * register or remove listeners, itself included). Listeners registered during the walk are not
 * called for this item; after a removal the walk continues with the listener that followed. */
static void notify_one(notify_ctx *n, const strata_value *key, const strata_value *old, const strata_value *nw)
{
    struct strata_db_listeners *ls = n->ls;
    uint64_t newest = ls->next_id; /* ids at or above this were added during the walk */
    for (size_t i = 0; i < ls->list.n;) {
        listener l = ls->list.v[i];
        if (l.id >= newest) {
            i++;
            continue;
        }
        if (l.fn(n->tenant, n->c->entry, key, old, nw, l.payload) != 0) ls->failures++;
        /* step on unless the list shifted under us (this listener or an earlier one was removed) */
        if (i < ls->list.n && ls->list.v[i].id == l.id) i++;
    }
}

static int notify_item(strata_slice key, const strata_slice *old, const strata_slice *nw, void *payload)
{
    notify_ctx *n = payload;
    strata_value *k = NULL, *o = NULL, *v = NULL;
    int rc = strata_db__key_value(&k, n->c->kind, n->c->pk, n->c->sk, key.data, key.len);
    if (rc == 0 && old) rc = strata_doc__value_new(&o, old->data, old->len);
    if (rc == 0 && nw) rc = strata_doc__value_new(&v, nw->data, nw->len);
    if (rc == 0) notify_one(n, k, o, v);
    else n->ls->failures++;
    strata_value_free(k);
    strata_value_free(o);
    strata_value_free(v);
    return 0; /* a failure to notify one item never stops the others */
}

void strata_db__listeners_notify(strata_db *db, const char *tenant, const strata_db_change *changes, size_t n)
{
    struct strata_db_listeners *ls = db->listeners;
    pthread_mutex_lock(&ls->mu);
    for (size_t i = 0; i < n && ls->list.n; i++) {
        const strata_db_change *c = &changes[i];
        notify_ctx nc = {ls, tenant, c};
        if (c->kind == STRATA_ENTRY_DOCUMENT) {
            strata_value *o = NULL, *v = NULL;
            if ((c->had_head && strata_db__load_value(db, &c->old_data, &o) != 0) ||
                strata_db__load_value(db, &c->new_data, &v) != 0)
                ls->failures++;
            else
                notify_one(&nc, NULL, o, v);
            strata_value_free(o);
            strata_value_free(v);
        } else {
            strata_oid from = c->old_data;
            int ok = 1;
            if (!c->had_head) ok = strata_db__tree_empty(db, &from) == 0;
            if (!ok || strata_db__tree_diff(db, &from, &c->new_data, notify_item, &nc) != 0) ls->failures++;
        }
    }
    pthread_mutex_unlock(&ls->mu);
    strata_error_clear();
}
