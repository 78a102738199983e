/* A bump allocator for parse trees: every node, path and copied value of one parsed expression
 * lives in one arena and is released at once by strata_expr__arena_free. */
#include "expr/expr_int.h"

#include <string.h>

#include "util/mem.h"

/* One block of arena memory; blocks form a singly linked list, newest first. */
typedef struct arena_block {
    struct arena_block *next; /* older block */
    size_t used;              /* bytes handed out from data */
    size_t cap;               /* bytes in data */
    max_align_t data[];       /* the memory (aligned for any type) */
} arena_block;

#define ARENA_BLOCK_MIN 2048

void *strata_expr__arena_alloc(strata_expr_arena *a, size_t n)
{
    size_t align = sizeof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    if (n == 0) n = align;
    arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK_MIN ? n : ARENA_BLOCK_MIN;
        if (a->head && cap < a->head->cap * 2 && a->head->cap < 65536) cap = a->head->cap * 2;
        if (cap < n) cap = n;
        b = strata_mem__alloc(sizeof(arena_block) + cap);
        if (!b) return NULL;
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

void *strata_expr__arena_dup(strata_expr_arena *a, const void *p, size_t n)
{
    void *q = strata_expr__arena_alloc(a, n + 1);
    if (!q) return NULL;
    if (n) memcpy(q, p, n);
    ((char *)q)[n] = 0;
    return q;
}

void strata_expr__arena_free(strata_expr_arena *a)
{
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        strata_mem__free(b);
        b = next;
    }
    a->head = NULL;
}
