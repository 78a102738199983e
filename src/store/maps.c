/* The store's two in-memory hash tables, both open addressing with linear probing over a
 * power-of-two number of slots: the object table (digest -> record offset, one per active
 * segment and per sealed segment without a usable index) and the roots map (name -> current
 * root). Neither locks: the callers hold the store's `rw` lock as store_int.h says. */
#include "store/store_int.h"

#include <string.h>

#include "util/hash.h"
#include "util/mem.h"

/* ---- the object table ------------------------------------------------------------------- */

static size_t slot_of(const strata_oid *oid, size_t cap)
{
    return (size_t)strata_le64(oid->id) & (cap - 1);
}

int strata_store__otab_find(const store_otab *t, const strata_oid *oid, uint64_t *off)
{
    if (!t->cap) return 0;
    for (size_t i = slot_of(oid, t->cap);; i = (i + 1) & (t->cap - 1)) {
        if (t->e[i].off == 0) return 0;
        if (memcmp(t->e[i].oid.id, oid->id, STRATA_OID_SIZE) == 0) {
            *off = t->e[i].off;
            return 1;
        }
    }
}

void strata_store__otab_put(store_otab *t, const strata_oid *oid, uint64_t off)
{
    size_t i = slot_of(oid, t->cap);
    while (t->e[i].off != 0) i = (i + 1) & (t->cap - 1);
    t->e[i].oid = *oid;
    t->e[i].off = off;
    t->n++;
}

int strata_store__otab_reserve(store_otab *t)
{
    if ((t->n + 1) * 8 <= t->cap * 5) return 0;
    size_t nc = t->cap ? t->cap * 2 : 64;
    store_ent *ne = strata_mem__calloc(nc, sizeof *ne);
    if (!ne) return STRATA_ENOMEM;
    store_otab nt = {ne, nc, 0};
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].off) strata_store__otab_put(&nt, &t->e[i].oid, t->e[i].off);
    strata_mem__free(t->e);
    *t = nt;
    return 0;
}

void strata_store__otab_free(store_otab *t)
{
    strata_mem__free(t->e);
    memset(t, 0, sizeof *t);
}

/* ---- the roots map ---------------------------------------------------------------------- */

store_rootent *strata_store__rmap_find(const store_rmap *m, const char *name, size_t len)
{
    if (!m->cap) return NULL;
    size_t i = (size_t)strata_hash__sum64(name, len, 0) & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        store_rootent *e = &m->e[i];
        if (!e->name) return NULL;
        if (e->len == len && memcmp(e->name, name, len) == 0) return e;
    }
}

static store_rootent *rmap_slot(store_rmap *m, const char *name, size_t len)
{
    size_t i = (size_t)strata_hash__sum64(name, len, 0) & (m->cap - 1);
    while (m->e[i].name && !(m->e[i].len == len && memcmp(m->e[i].name, name, len) == 0))
        i = (i + 1) & (m->cap - 1);
    return &m->e[i];
}

int strata_store__rmap_reserve(store_rmap *m)
{
    if ((m->n + 1) * 4 <= m->cap * 3) return 0;
    size_t nc = m->cap ? m->cap * 2 : 16;
    store_rootent *ne = strata_mem__calloc(nc, sizeof *ne);
    if (!ne) return STRATA_ENOMEM;
    store_rmap nm = {ne, nc, m->n};
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].name) *rmap_slot(&nm, m->e[i].name, m->e[i].len) = m->e[i];
    strata_mem__free(m->e);
    *m = nm;
    return 0;
}

uint32_t strata_store__rmap_set(store_rmap *m, char **owned, size_t len, const strata_oid *oid,
                                uint64_t seq, uint32_t rec_size)
{
    store_rootent *e = rmap_slot(m, *owned, len);
    uint32_t old = 0;
    if (e->name) {
        if (e->seq > seq) return rec_size; /* an older record: itself dead */
        old = e->rec_size;
    } else {
        e->name = *owned;
        e->len = len;
        *owned = NULL;
        m->n++;
    }
    e->oid = *oid;
    e->seq = seq;
    e->rec_size = rec_size;
    return old;
}

void strata_store__rmap_free(store_rmap *m)
{
    for (size_t i = 0; i < m->cap; i++) strata_mem__free(m->e[i].name);
    strata_mem__free(m->e);
    memset(m, 0, sizeof *m);
}
