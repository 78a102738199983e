/* Fuzz target: update expressions — parse arbitrary text and apply whatever parses to a fixed
 * item and to an empty item; every result must be a valid canonical value. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strata_buf names, values, item;
    fz_setup(&names, &values, &item);
    strata_expr *e = fz_parse(STRATA_EXPR_UPDATE, data, size, &names, &values);
    if (!e) return 0;
    strata_slice items[2] = {{item.data, item.len}, {NULL, 0}};
    for (int i = 0; i < 2; i++) {
        strata_buf out = {0};
        if (strata_expr__update(&out, e, items[i]) == 0 && strata_doc__validate(out.data, out.len) != 0) abort();
        strata_buf__free(&out);
    }
    (void)strata_expr__update_touches(e, "a", 1);
    strata_expr__free(e);
    return 0;
}
