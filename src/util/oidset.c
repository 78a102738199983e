/* The digest set of oidset.h (GC's mark and hit sets, verify's seen sets). */
#include "util/oidset.h"

#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

static size_t slot(const strata_oid *o, size_t cap) { return (size_t)strata_le64(o->id + 8) & (cap - 1); }

int strata_oidset__has(const strata_oidset *s, const strata_oid *o)
{
    if (!s->cap) return 0;
    for (size_t i = slot(o, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (!s->used[i]) return 0;
        if (memcmp(s->v[i].id, o->id, STRATA_OID_SIZE) == 0) return 1;
    }
}

static int grow(strata_oidset *s)
{
    size_t nc = s->cap ? s->cap * 2 : 1024;
    if (nc < s->cap || nc > SIZE_MAX / sizeof *s->v) return STRATA_ENOMEM;
    strata_oid *nv = strata_mem__alloc(nc * sizeof *nv);
    uint8_t *nu = strata_mem__calloc(nc, 1);
    if (!nv || !nu) {
        strata_mem__free(nv);
        strata_mem__free(nu);
        return STRATA_ENOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->used[i]) continue;
        size_t j = slot(&s->v[i], nc);
        while (nu[j]) j = (j + 1) & (nc - 1);
        nu[j] = 1;
        nv[j] = s->v[i];
    }
    strata_mem__free(s->v);
    strata_mem__free(s->used);
    s->v = nv;
    s->used = nu;
    s->cap = nc;
    return 0;
}

int strata_oidset__add(strata_oidset *s, const strata_oid *o)
{
    if ((s->n + 1) * 10 > s->cap * 7) {
        int rc = grow(s);
        if (rc) return rc;
    }
    size_t i = slot(o, s->cap);
    for (; s->used[i]; i = (i + 1) & (s->cap - 1))
        if (memcmp(s->v[i].id, o->id, STRATA_OID_SIZE) == 0) return 0;
    s->used[i] = 1;
    s->v[i] = *o;
    s->n++;
    return 1;
}

void strata_oidset__free(strata_oidset *s)
{
    strata_mem__free(s->v);
    strata_mem__free(s->used);
    memset(s, 0, sizeof *s);
}
