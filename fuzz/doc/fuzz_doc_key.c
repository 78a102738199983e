/* Fuzz target: the key decoder. Arbitrary bytes must not crash it; a key it accepts must
 * re-encode to exactly the same bytes (one encoding per key). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strata_buf pk = {0}, sk = {0}, re = {0};
    int has_sk = 0;
    if (strata_doc__key_decode(data, size, &pk, &sk, &has_sk) == 0) {
        if (strata_doc__validate(pk.data, pk.len) != 0) abort();
        strata_slice s = {sk.data, sk.len};
        if (has_sk && strata_doc__validate(sk.data, sk.len) != 0) abort();
        if (strata_doc__key_encode(&re, (strata_slice){pk.data, pk.len}, has_sk ? &s : NULL) != 0) abort();
        if (re.len != size || memcmp(re.data, data, size) != 0) abort();
    }
    strata_buf__free(&pk);
    strata_buf__free(&sk);
    strata_buf__free(&re);
    return 0;
}
