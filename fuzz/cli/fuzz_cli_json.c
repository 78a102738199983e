/* Fuzz target for the strata CLI's JSON helpers (tools/cli_json.c): the structural scanner
 * (value boundaries, object members, name checks) and the output side (string escaping,
 * re-indenting) must accept any bytes without crashing, reading out of bounds or leaking, and
 * must keep their promises: ends lie inside the input, escaped output is valid UTF-8 JSON. */
#include "cli_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int member(void *payload, size_t ks, size_t ke, size_t vs, size_t ve)
{
    size_t *len = payload;
    if (ks >= ke || ke > vs || vs > ve || ve > *len) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    cli_json_err err;
    size_t pos = cli_json_skip_ws(s, size, 0), end = 0;
    if (cli_json_value_end(&end, s, size, pos, &err) == 0) {
        if (end > size || end <= pos) abort();
    } else if (err.offset > size) {
        abort();
    }
    if (pos < size && s[pos] == '{') {
        size_t len = size;
        int rc = cli_json_object(&end, s, size, pos, member, &len, &err);
        if (rc == 0 && end > size) abort();
    }
    if (pos < size && s[pos] == '"') {
        if (cli_json_name_end(&end, s, size, pos, &err) == 0 && (end > size || end <= pos)) abort();
    }
    cli_buf b = {0};
    cli_buf_json_string(&b, s, size);
    /* the escaped form must scan as exactly one string */
    if (cli_json_value_end(&end, b.data, b.len, 0, &err) != 0 || end != b.len) abort();
    b.len = 0;
    cli_json_pretty(&b, s, size, 0);
    cli_buf_free(&b);
    size_t line, col;
    cli_json_linecol(s, size, size, &line, &col);
    return 0;
}
