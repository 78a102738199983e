/* Fuzz target: the DynamoDB JSON parser, as one AttributeValue and as an item (first byte picks).
 * Accepted input must give a valid value whose DynamoDB JSON re-parses to identical bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int flags = data[0] & 1 ? STRATA_DOC_DDB_ITEM : 0;
    data++;
    size--;
    strata_buf v = {0}, t = {0}, back = {0};
    if (strata_doc__from_ddb_json(&v, (const char *)data, size, flags) == 0) {
        if (strata_doc__validate(v.data, v.len) != 0) abort();
        if (strata_doc__to_ddb_json(&t, (strata_slice){v.data, v.len}, flags) != 0) abort();
        if (strata_doc__from_ddb_json(&back, (const char *)t.data, t.len, flags) != 0) abort();
        if (back.len != v.len || memcmp(back.data, v.data, v.len) != 0) abort();
    } else if (v.len != 0) {
        abort();
    }
    strata_buf__free(&v);
    strata_buf__free(&t);
    strata_buf__free(&back);
    return 0;
}
