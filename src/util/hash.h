/* Hashing: SHA-256 object digests (OpenSSL libcrypto) and fast non-cryptographic checksums
 * (xxHash) for records and chunk boundaries. */
#ifndef STRATA_UTIL_HASH_H
#define STRATA_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* out = SHA-256(type ‖ data[0..len)). The digest of every stored object. 0 or STRATA_ENOMEM. */
int strata_hash__object(strata_oid *out, uint8_t type, const void *data, size_t len);

/* out = SHA-256 over the concatenation of `n` slices (no type byte). 0 or STRATA_ENOMEM. */
int strata_hash__sha256v(strata_oid *out, const strata_slice *parts, size_t n);

/* 64-bit checksum (XXH3-64) of data, continuing from `seed`. */
uint64_t strata_hash__sum64(const void *data, size_t len, uint64_t seed);

/* Seeded 32-bit hash (XXH32) used by the prolly-tree chunker; stable across platforms. */
uint32_t strata_hash__h32(const void *data, size_t len, uint32_t seed);

/* Compare two digests like memcmp. */
static inline int strata_oid__cmp(const strata_oid *a, const strata_oid *b)
{
    for (int i = 0; i < STRATA_OID_SIZE; i++)
        if (a->id[i] != b->id[i]) return a->id[i] < b->id[i] ? -1 : 1;
    return 0;
}

#endif
