/* Fuzz target: key-condition expressions — parse arbitrary text, compile whatever parses for
 * tables with and without a sort key, and evaluate it as a condition. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static strata_buf names, values, item;
    fz_setup(&names, &values, &item);
    strata_expr *e = fz_parse(STRATA_EXPR_KEY_CONDITION, data, size, &names, &values);
    if (!e) return 0;
    strata_expr_keycond kc;
    if (strata_expr__keycond(&kc, e, "pk", "sk") == 0 && kc.pk_value.len == 0) abort();
    (void)strata_expr__keycond(&kc, e, "pk", NULL);
    int res;
    strata_slice it = {item.data, item.len};
    (void)strata_expr__eval(&res, e, it);
    strata_expr__free(e);
    return 0;
}
