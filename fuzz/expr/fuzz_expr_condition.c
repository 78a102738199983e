/* Fuzz target: condition expressions — parse arbitrary text, and evaluate whatever parses on a
 * fixed item with every value type and on an empty item. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strata_buf names, values, item;
    fz_setup(&names, &values, &item);
    strata_expr *e = fz_parse(STRATA_EXPR_CONDITION, data, size, &names, &values);
    if (!e) return 0;
    int res = 0;
    strata_slice it = {item.data, item.len}, none = {NULL, 0};
    (void)strata_expr__eval(&res, e, it);
    (void)strata_expr__eval(&res, e, none);
    strata_expr__free(e);
    return 0;
}
