/* The internal allocator: thin wrappers over the C library with an injectable failure point. */
#include "util/mem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"
#include "util/error.h"

/* Allocations are counted only while a failure is armed, so the disarmed fast path is one
 * relaxed load (no shared counter bouncing between threads' caches). */
static atomic_int armed;
static atomic_long alloc_count;  /* allocations since arming */
static atomic_long fail_target;  /* allocation number that fails */
static atomic_int fail_sticky;
static atomic_int fail_fired;

void strata_mem__fail_at(long n, int sticky)
{
    atomic_store(&armed, 0);
    atomic_store(&fail_fired, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&alloc_count, 0);
    atomic_store(&fail_target, n > 0 ? n : 0);
    atomic_store(&armed, n > 0);
}

int strata_mem__failed(void) { return atomic_load(&fail_fired); }

static int should_fail(void)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed)) return 0;
    long n = atomic_fetch_add(&alloc_count, 1) + 1;
    long t = atomic_load(&fail_target);
    if (t == 0) return 0;
    if (n == t || (atomic_load(&fail_sticky) && n > t)) {
        atomic_store(&fail_fired, 1);
        return 1;
    }
    return 0;
}

static void *oom(size_t n)
{
    strata_err__set(STRATA_ENOMEM, "out of memory allocating %zu bytes", n);
    return NULL;
}

void *strata_mem__alloc(size_t n)
{
    if (should_fail()) return oom(n);
    void *p = malloc(n ? n : 1);
    return p ? p : oom(n);
}

void *strata_mem__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return oom(SIZE_MAX);
    if (should_fail()) return oom(count * size);
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : oom(count * size);
}

void *strata_mem__realloc(void *p, size_t n)
{
    if (should_fail()) return oom(n);
    void *q = realloc(p, n ? n : 1);
    return q ? q : oom(n);
}

void strata_mem__free(void *p) { free(p); }

/* The public face of the allocator: frees what strata returned as owned (strata.h). */
void strata_free(void *p) { strata_mem__free(p); }

char *strata_mem__strndup(const char *s, size_t len)
{
    char *d = strata_mem__alloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *strata_mem__strdup(const char *s) { return strata_mem__strndup(s, strlen(s)); }
