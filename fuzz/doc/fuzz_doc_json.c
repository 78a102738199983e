/* Fuzz target: the strict JSON parser. Whatever the input, parsing must not crash; an accepted
 * input must give a valid canonical value that prints and re-parses to identical bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strata_buf v = {0}, t = {0}, back = {0};
    if (strata_doc__from_json(&v, (const char *)data, size) == 0) {
        if (strata_doc__validate(v.data, v.len) != 0) abort();
        for (int pretty = 0; pretty < 2; pretty++) {
            t.len = back.len = 0;
            if (strata_doc__to_json(&t, (strata_slice){v.data, v.len}, pretty) != 0) abort();
            if (strata_doc__from_json(&back, (const char *)t.data, t.len) != 0) abort();
            if (back.len != v.len || memcmp(back.data, v.data, v.len) != 0) abort();
        }
    } else if (v.len != 0) {
        abort(); /* failure leaves the output untouched */
    }
    strata_buf__free(&v);
    strata_buf__free(&t);
    strata_buf__free(&back);
    return 0;
}
