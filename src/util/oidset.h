/* A set of object digests: open addressing with linear probing over a power-of-two number of
 * slots, at most 70 % full. Digests are SHA-256 outputs, so eight of their bytes are the slot. */
#ifndef STRATA_UTIL_OIDSET_H
#define STRATA_UTIL_OIDSET_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct strata_oidset {
    strata_oid *v;  /* cap slots */
    uint8_t *used;  /* cap flags */
    size_t cap, n;  /* slots, members */
} strata_oidset;

#define STRATA_OIDSET_INIT {NULL, NULL, 0, 0}

/* 1 when added, 0 when already present, STRATA_ENOMEM (the set is unchanged). */
int strata_oidset__add(strata_oidset *s, const strata_oid *o);
/* 1 when present, else 0. */
int strata_oidset__has(const strata_oidset *s, const strata_oid *o);
/* Release the memory; the set is empty and reusable afterwards. */
void strata_oidset__free(strata_oidset *s);

#endif
