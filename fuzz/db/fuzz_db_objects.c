/* Fuzz target: the decoders of the database layer's objects — entry commits ('C') and tenant
 * manifests ('M'). Any input must decode cleanly or fail with STRATA_ECORRUPT/EVERSION/ENOMEM;
 * a decoded object must re-encode to exactly the input (the encoding is canonical). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    strata_commit_rec c;
    if (strata_db__commit_decode(&c, data, size) == 0) {
        strata_buf b = {0};
        if (strata_db__commit_encode(&b, &c) == 0 && (b.len != size || memcmp(b.data, data, size) != 0)) abort();
        strata_buf__free(&b);
        strata_db__commit_clear(&c);
    }
    strata_manifest m;
    if (strata_db__manifest_decode(&m, data, size) == 0) {
        strata_buf b = {0};
        if (strata_db__manifest_encode(&b, &m) == 0 && (b.len != size || memcmp(b.data, data, size) != 0)) abort();
        strata_buf__free(&b);
        strata_db__manifest_clear(&m);
    }
    return 0;
}
