/* JSON text helpers of the strata command-line tool (tools/): a growable byte buffer, a small
 * structural JSON scanner that finds value boundaries and object members with their offsets
 * (for JSON Lines and key → value input, whose mistakes are reported as FILE:LINE:COLUMN and
 * whose duplicate keys are records, which a parsed value could not keep), JSON string escaping
 * and a pretty-printer of the CLI's own output.
 * Uses plain malloc: this is an application of the public API, not part of the library. */
#ifndef STRATA_CLI_JSON_H
#define STRATA_CLI_JSON_H

#include <stddef.h>

/* A growable byte buffer; always NUL-terminated after the first append (data may be NULL
 * before). Allocation failure exits the process with code 4 and a message. */
typedef struct cli_buf {
    char *data; /* bytes, NUL-terminated when not NULL */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
} cli_buf;

void cli_buf_add(cli_buf *b, const void *p, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_putc(cli_buf *b, char ch);
void cli_buf_free(cli_buf *b);

/* Append `s` (n bytes) as a JSON string literal with quotes. Control characters, quote and
 * backslash are escaped; bytes that are not valid UTF-8 are replaced by U+FFFD, so the output
 * is always valid JSON whatever the input. */
void cli_buf_json_string(cli_buf *b, const char *s, size_t n);

/* Why a scan failed: the byte offset in the scanned text and a one-line reason. */
typedef struct cli_json_err {
    size_t offset;
    char msg[128];
} cli_json_err;

/* Nesting deeper than this is refused by the scanner (strata's own limit may be lower). */
#define CLI_JSON_MAX_DEPTH 512

/* The offset of the first byte at or after `pos` that is not JSON whitespace (len if none). */
size_t cli_json_skip_ws(const char *s, size_t len, size_t pos);

/* Find the end of the JSON value that starts exactly at s[pos]. Structural check only:
 * strings must be well formed (escapes, no raw control characters), brackets must balance and
 * nest at most CLI_JSON_MAX_DEPTH deep, scalars are runs of [A-Za-z0-9+-.]; the exact grammar
 * of numbers and literals is left to strata_value_from_json. Returns 0 and sets *end to the
 * offset just after the value, or -1 and fills *err. */
int cli_json_value_end(size_t *end, const char *s, size_t len, size_t pos, cli_json_err *err);

/* Check the JSON string literal starting at s[pos] (which must be '"') as a name: well formed
 * and without \u0000 (a name must be a C string). *end gets the offset after the closing quote.
 * Returns 0, or -1 and fills *err. Decoding is strata_value_from_json's (the CLI does not
 * decode JSON strings itself). */
int cli_json_name_end(size_t *end, const char *s, size_t len, size_t pos, cli_json_err *err);

/* Called once per member of an object, in input order: s[key_start, key_end) is the member
 * name's string literal (quotes included, checked as by cli_json_name_end), s[val_start,
 * val_end) the member's raw value text. A non-zero return stops the walk and is returned by
 * cli_json_object. */
typedef int (*cli_json_member_fn)(void *payload, size_t key_start, size_t key_end,
                                  size_t val_start, size_t val_end);

/* Walk the members of the JSON object starting at s[pos] (which must be '{'). Returns 0 and
 * sets *end after the closing brace; -1 with *err on malformed text; or the callback's
 * non-zero return. */
int cli_json_object(size_t *end, const char *s, size_t len, size_t pos, cli_json_member_fn fn,
                    void *payload, cli_json_err *err);

/* 1-based line and column of byte offset `off` in s (columns count bytes). */
void cli_json_linecol(const char *s, size_t len, size_t off, size_t *line, size_t *col);

/* Containers whose text fits in this many columns stay on one line when pretty-printed. */
#define CLI_JSON_LINE_WIDTH 80

/* Append the JSON text s[0, len) re-indented: two spaces per level, one member or element per
 * line, "key": value; a container that fits on its line within CLI_JSON_LINE_WIDTH columns
 * stays on that line. Text outside strings that is whitespace is dropped; anything else is
 * copied, so malformed input gives garbage out but never a crash. `indent` is the starting
 * level (for a value nested inside other output). */
void cli_json_pretty(cli_buf *out, const char *s, size_t len, int indent);

#endif
