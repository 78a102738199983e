/* Shared by the expression fuzz targets: a fixed set of placeholders and a fixed item with
 * every value type, so fuzzed expressions exercise placeholder resolution, type checks and
 * evaluation as well as the grammar. */
#ifndef STRATA_FUZZ_EXPR_COMMON_H
#define STRATA_FUZZ_EXPR_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "expr/expr.h"

static const char fz_names[] =
    "{\"#a\":\"a\",\"#b\":\"b\",\"#n\":\"name\",\"#l\":\"list\",\"#m\":\"map\",\"#d\":\"a.b\",\"#pk\":\"pk\",\"#sk\":\"sk\"}";
static const char fz_values[] =
    "{\":n\":{\"N\":\"5\"},\":n2\":{\"N\":\"-1.5\"},\":s\":{\"S\":\"x\"},\":b\":{\"B\":\"AQI=\"},"
    "\":t\":{\"BOOL\":true},\":z\":{\"NULL\":true},\":l\":{\"L\":[{\"N\":\"1\"}]},"
    "\":m\":{\"M\":{\"k\":{\"S\":\"v\"}}},\":ss\":{\"SS\":[\"a\",\"b\"]},\":ns\":{\"NS\":[\"1\",\"2\"]},"
    "\":bs\":{\"BS\":[\"AQ==\"]},\":p\":{\"S\":\"^a.*\"},\":ty\":{\"S\":\"N\"}}";
static const char fz_item[] =
    "{\"pk\":{\"S\":\"user\"},\"sk\":{\"N\":\"3\"},\"a\":{\"N\":\"1\"},\"b\":{\"S\":\"abc\"},"
    "\"name\":{\"S\":\"Jo\"},\"bin\":{\"B\":\"AQID\"},\"ok\":{\"BOOL\":false},\"nul\":{\"NULL\":true},"
    "\"list\":{\"L\":[{\"N\":\"1\"},{\"S\":\"two\"},{\"L\":[{\"N\":\"3\"}]},{\"M\":{\"x\":{\"S\":\"deep\"}}}]},"
    "\"map\":{\"M\":{\"a\":{\"N\":\"1\"},\"b\":{\"M\":{\"c\":{\"SS\":[\"p\",\"q\"]}}}}},"
    "\"ss\":{\"SS\":[\"a\",\"b\"]},\"ns\":{\"NS\":[\"1\",\"2\"]},\"bs\":{\"BS\":[\"AQ==\"]},"
    "\"a.b\":{\"S\":\"dotted\"}}";

/* Encode the fixed maps once; returns 0 when they are ready. */
static inline int fz_setup(strata_buf *names, strata_buf *values, strata_buf *item)
{
    if (names->len) return 0;
    if (strata_doc__from_json(names, fz_names, sizeof fz_names - 1)) abort();
    if (strata_doc__from_ddb_json(values, fz_values, sizeof fz_values - 1, STRATA_DOC_DDB_ITEM)) abort();
    if (strata_doc__from_ddb_json(item, fz_item, sizeof fz_item - 1, STRATA_DOC_DDB_ITEM)) abort();
    return 0;
}

/* Parse data as an expression of `kind` with the fixed placeholders; NULL when it is refused
 * (then the last error must carry a message). */
static inline strata_expr *fz_parse(strata_expr_kind kind, const uint8_t *data, size_t size,
                                    const strata_buf *names, const strata_buf *values)
{
    strata_expr_params *pp = NULL;
    strata_slice n = {names->data, names->len}, v = {values->data, values->len};
    if (strata_expr__params_new(&pp, n, v)) abort();
    strata_expr *e = NULL;
    int rc = strata_expr__parse(&e, kind, (const char *)data, size, pp);
    if (rc && (e || !strata_error_last()->message[0])) abort(); /* errors always explain */
    if (!rc) (void)strata_expr__params_check_unused(pp);
    strata_expr__params_free(pp);
    return e;
}

#endif
