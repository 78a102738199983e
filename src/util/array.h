/* Typed growable arrays (in the manner of libgit2's git_array_t): a struct of a pointer, a
 * count and a capacity, grown through the internal allocator with every size computation
 * checked for overflow. The macros keep the common case (room left) inline, so pushing in a
 * loop costs a compare and a store; only growth calls a function.
 *
 *     typedef STRATA_ARRAY(strata_oid) oid_array;
 *     oid_array a = STRATA_ARRAY_INIT;
 *     if (strata_array__push(&a, oid)) goto fail;          // 0 or STRATA_ENOMEM
 *     strata_oid *slot = strata_array__add(&a);            // NULL on STRATA_ENOMEM
 *     for (size_t i = 0; i < a.n; i++) use(a.v[i]);
 *     strata_array__free(&a);
 *
 * The array argument `a` of every macro is evaluated more than once: pass a plain variable or
 * member access (`&x`, `&s->items`), never an expression with side effects. On failure an
 * array is left as it was and STRATA_ENOMEM is the last error. */
#ifndef STRATA_UTIL_ARRAY_H
#define STRATA_UTIL_ARRAY_H

#include <stddef.h>

#include "strata.h"
#include "util/mem.h"

/* An array of `type`: v[0..n) are in use, v[0..cap) allocated (v is NULL while cap is 0). */
#define STRATA_ARRAY(type) \
    struct {               \
        type *v;           \
        size_t n, cap;     \
    }

#define STRATA_ARRAY_INIT {NULL, 0, 0}

/* Grow the allocation *vp (a pointer to the array's `v` member, of any element type) of *cap
 * elements of `elem` bytes, `n` of them in use, so that it holds at least n + extra elements:
 * the capacity doubles (starting at 8) until it is large enough. 0, or STRATA_ENOMEM when the
 * size overflows or the allocation fails (*vp and *cap unchanged). */
int strata_array__grow(void *vp, size_t *cap, size_t n, size_t extra, size_t elem);

/* Make room for `extra` more elements. 0 or STRATA_ENOMEM (array unchanged). */
#define strata_array__reserve(a, extra)                                                     \
    ((size_t)(extra) <= (a)->cap - (a)->n                                                   \
         ? 0                                                                                \
         : strata_array__grow(&(a)->v, &(a)->cap, (a)->n, (size_t)(extra), sizeof *(a)->v))

/* Append one element; the new slot is returned uninitialised, or NULL on STRATA_ENOMEM. */
#define strata_array__add(a)                                                              \
    ((a)->n < (a)->cap || strata_array__grow(&(a)->v, &(a)->cap, (a)->n, 1, sizeof *(a)->v) == 0 \
         ? &(a)->v[(a)->n++]                                                              \
         : NULL)

/* Append the value `x` (evaluated once, after the room is made; wrap a compound literal in
 * parentheses). 0 or STRATA_ENOMEM. */
#define strata_array__push(a, x)                                                          \
    ((a)->n < (a)->cap || strata_array__grow(&(a)->v, &(a)->cap, (a)->n, 1, sizeof *(a)->v) == 0 \
         ? ((a)->v[(a)->n++] = (x), 0)                                                    \
         : STRATA_ENOMEM)

/* Forget the elements, keeping the allocation. */
#define strata_array__clear(a) ((void)((a)->n = 0))

/* Release the allocation and reset to empty. */
#define strata_array__free(a)        \
    do {                             \
        strata_mem__free((a)->v);    \
        (a)->v = NULL;               \
        (a)->n = (a)->cap = 0;       \
    } while (0)

#endif
