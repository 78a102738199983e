/* Fuzz target: projection expressions — parse arbitrary text and project whatever parses from
 * a fixed item; the result must be a valid canonical map. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strata_buf names, values, item;
    fz_setup(&names, &values, &item);
    strata_expr *e = fz_parse(STRATA_EXPR_PROJECTION, data, size, &names, &values);
    if (!e) return 0;
    strata_buf out = {0};
    strata_slice it = {item.data, item.len};
    if (strata_expr__project(&out, e, it) == 0 && strata_doc__validate(out.data, out.len) != 0) abort();
    strata_buf__free(&out);
    strata_expr__free(e);
    return 0;
}
