/* The one internal allocator. Every allocation in strata goes through here so tests can make
 * the N-th allocation fail (docs/testing.md). Failures set STRATA_ENOMEM as the last error. */
#ifndef STRATA_UTIL_MEM_H
#define STRATA_UTIL_MEM_H

#include <stddef.h>

/* malloc/calloc/realloc/free with fault injection. On failure they return NULL and record
 * STRATA_ENOMEM as the last error. strata_mem__alloc(0) returns a unique non-NULL pointer. */
void *strata_mem__alloc(size_t n);
void *strata_mem__calloc(size_t count, size_t size);
void *strata_mem__realloc(void *p, size_t n);
void strata_mem__free(void *p);

/* Duplicate `len` bytes (plus a NUL terminator) / a C string. NULL on failure. */
char *strata_mem__strndup(const char *s, size_t len);
char *strata_mem__strdup(const char *s);

/* Test hook: the n-th allocation from now fails (1 = the next one), and, when `sticky`, every
 * one after it too; fail_at(0) disarms. */
void strata_mem__fail_at(long n, int sticky);
/* Nonzero when an injected failure has fired since the last fail_at. */
int strata_mem__failed(void);

#endif
