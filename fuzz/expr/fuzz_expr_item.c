/* Fuzz target: evaluation on damaged items. The input is an expression text, a NUL byte, then
 * arbitrary item bytes. Conditions are evaluated on the raw bytes (the reader must refuse damage
 * without reading out of bounds); update and projection run on bytes that validate. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strata_buf names, values, item;
    fz_setup(&names, &values, &item);
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul) return 0;
    size_t elen = (size_t)(nul - data);
    strata_slice raw = {nul + 1, size - elen - 1};
    int valid = raw.len > 0 && strata_doc__validate(raw.data, raw.len) == 0;
    static const strata_expr_kind kinds[] = {STRATA_EXPR_CONDITION, STRATA_EXPR_UPDATE, STRATA_EXPR_PROJECTION};
    for (int k = 0; k < 3; k++) {
        strata_expr *e = fz_parse(kinds[k], data, elen, &names, &values);
        if (!e) continue;
        strata_buf out = {0};
        int res;
        if (kinds[k] == STRATA_EXPR_CONDITION) (void)strata_expr__eval(&res, e, raw);
        else if (valid && kinds[k] == STRATA_EXPR_UPDATE) {
            if (strata_expr__update(&out, e, raw) == 0 && strata_doc__validate(out.data, out.len)) abort();
        } else if (valid) {
            if (strata_expr__project(&out, e, raw) == 0 && strata_doc__validate(out.data, out.len)) abort();
        }
        strata_buf__free(&out);
        strata_expr__free(e);
    }
    return 0;
}
