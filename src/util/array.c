/* Growth of the typed arrays of array.h: the one place that computes an array's new size, with
 * every multiplication and addition checked for overflow. */
#include "util/array.h"

#include <stdint.h>
#include <string.h>

#include "util/error.h"

#define ARRAY_MIN_CAP 8

int strata_array__grow(void *vp, size_t *cap, size_t n, size_t extra, size_t elem)
{
    if (elem == 0) elem = 1;
    if (extra > SIZE_MAX - n) return strata_err__set(STRATA_ENOMEM, "array size overflow");
    size_t want = n + extra, nc = *cap ? *cap : ARRAY_MIN_CAP;
    while (nc < want) nc = nc > SIZE_MAX / 2 ? want : nc * 2;
    if (nc > SIZE_MAX / elem) return strata_err__set(STRATA_ENOMEM, "array size overflow");
    /* vp points at a `T *` of unknown T: read and write it as bytes (all object pointers share
     * one representation on the platforms strata supports, as POSIX requires) */
    void *old;
    memcpy(&old, vp, sizeof old);
    void *p = strata_mem__realloc(old, nc * elem);
    if (!p) return STRATA_ENOMEM;
    memcpy(vp, &p, sizeof p);
    *cap = nc;
    return 0;
}
