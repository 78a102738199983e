/* Fuzz target: the binary decoder and validator. Every reader must survive arbitrary bytes;
 * bytes the validator accepts must be canonical (DynamoDB JSON round trip gives them back) and
 * fully walkable by the iterator, map lookup and path lookup. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(strata_slice v, int depth)
{
    strata_doc_iter it;
    strata_slice k, m, got;
    if (depth > 70 || strata_doc__iter_init(&it, v) != 0) return;
    int t = strata_doc__type(v);
    while (strata_doc__iter_next(&it, &k, &m) == 0) {
        if (t == STRATA_DOC_MAP) (void)strata_doc__map_get(v, k.data, k.len, &got);
        if (t >= STRATA_DOC_SSET) (void)strata_doc__set_has(v, m);
        (void)strata_doc__compare(m, v);
        walk(m, depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strata_slice v = {data, size}, o;
    strata_buf t = {0}, back = {0};
    size_t sz;
    (void)strata_doc__value_size(data, size, &sz);
    (void)strata_doc__lookup_text(v, "a.b[1]", 6, &o);
    (void)strata_doc__to_json(&t, v, 0);
    walk(v, 0);
    t.len = 0;
    if (strata_doc__validate(data, size) == 0) {
        if (strata_doc__to_ddb_json(&t, v, 0) != 0) abort();
        if (strata_doc__from_ddb_json(&back, (const char *)t.data, t.len, 0) != 0) abort();
        if (back.len != size || memcmp(back.data, data, size) != 0) abort();
    }
    strata_buf__free(&t);
    strata_buf__free(&back);
    return 0;
}
