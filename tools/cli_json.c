/* The strata CLI's JSON helpers: a growable buffer, a structural scanner that finds value
 * boundaries and object members (so JSON Lines records and key → value maps can be split into
 * pieces that strata_value_from_json then parses exactly), string escaping and re-indenting.
 * The scanner never reads past `len` and bounds its nesting depth; fuzz/cli fuzzes it. */
#include "cli_json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ------------------------------------------------------------------------------ */

static void grow(cli_buf *b, size_t need)
{
    if (b->cap - b->len > need && b->data) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= need) {
        if (cap > SIZE_MAX / 2) goto oom;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) goto oom;
    b->data = p;
    b->cap = cap;
    return;
oom:
    fputs("strata: out of memory\n", stderr);
    exit(4);
}

void cli_buf_add(cli_buf *b, const void *p, size_t n)
{
    grow(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cli_buf_puts(cli_buf *b, const char *s) { cli_buf_add(b, s, strlen(s)); }

void cli_buf_putc(cli_buf *b, char ch) { cli_buf_add(b, &ch, 1); }

void cli_buf_free(cli_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0, n), or 0 when it is not valid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). The CLI's one UTF-8 decoder: the
 * scanner needs it to report bad bytes inside a string at their offset, and the escaper to
 * replace them by U+FFFD (the public API validates whole values and names, not byte runs). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    if (n == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t k;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) { k = 2; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { k = 3; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { k = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return k;
}

void cli_buf_json_string(cli_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    cli_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') {
            cli_buf_putc(b, '\\');
            cli_buf_putc(b, (char)c);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            char esc[8];
            switch (c) {
            case '\n': cli_buf_puts(b, "\\n"); break;
            case '\t': cli_buf_puts(b, "\\t"); break;
            case '\r': cli_buf_puts(b, "\\r"); break;
            default:
                snprintf(esc, sizeof esc, "\\u%04x", c);
                cli_buf_puts(b, esc);
            }
            i++;
        } else if (c < 0x80) {
            cli_buf_putc(b, (char)c);
            i++;
        } else {
            size_t k = utf8_len(p + i, n - i);
            if (k == 0) {
                cli_buf_puts(b, "\xEF\xBF\xBD"); /* U+FFFD */
                i++;
            } else {
                cli_buf_add(b, p + i, k);
                i += k;
            }
        }
    }
    cli_buf_putc(b, '"');
}

/* ---- scanner ----------------------------------------------------------------------------- */

static int fail(cli_json_err *err, size_t off, const char *msg)
{
    if (err) {
        err->offset = off;
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    }
    return -1;
}

size_t cli_json_skip_ws(const char *s, size_t len, size_t pos)
{
    while (pos < len && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r'))
        pos++;
    return pos;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Read 4 hex digits at s[pos]; -1 when they are not there. */
static long hex4(const char *s, size_t len, size_t pos)
{
    if (pos > len || len - pos < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[pos + (size_t)i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Check the string literal at s[pos] == '"' (escapes, surrogate pairs, UTF-8, no raw control
 * characters); with `name`, \u0000 is refused too. Decoding is left to strata_value_from_json. */
static int scan_string(int name, size_t *end, const char *s, size_t len, size_t pos,
                       cli_json_err *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = pos + 1;
    while (i < len) {
        unsigned c = p[i];
        if (c == '"') {
            *end = i + 1;
            return 0;
        }
        if (c < 0x20) return fail(err, i, "control character inside a string");
        if (c == '\\') {
            if (i + 1 >= len) break;
            char e = s[i + 1];
            if (e != 'u') {
                if (e == '\0' || !strchr("\"\\/bfnrt", e)) return fail(err, i, "invalid escape in a string");
                i += 2;
                continue;
            }
            long u = hex4(s, len, i + 2);
            if (u < 0) return fail(err, i, "\\u must be followed by 4 hex digits");
            uint32_t cp = (uint32_t)u;
            size_t next = i + 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = (next + 1 < len && s[next] == '\\' && s[next + 1] == 'u')
                              ? hex4(s, len, next + 2) : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(err, i, "unpaired UTF-16 surrogate in a string");
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                next += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(err, i, "unpaired UTF-16 surrogate in a string");
            }
            if (name && cp == 0) return fail(err, i, "\\u0000 is not allowed in a name");
            i = next;
            continue;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_len(p + i, len - i);
        if (k == 0) return fail(err, i, "invalid UTF-8 inside a string");
        i += k;
    }
    return fail(err, len, "unterminated string");
}

int cli_json_name_end(size_t *end, const char *s, size_t len, size_t pos, cli_json_err *err)
{
    if (pos >= len || s[pos] != '"') return fail(err, pos, "expected a string");
    return scan_string(1, end, s, len, pos, err);
}

static int is_scalar_char(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           ch == '+' || ch == '-' || ch == '.';
}

int cli_json_value_end(size_t *end, const char *s, size_t len, size_t pos, cli_json_err *err)
{
    /* Iterative walk with an explicit stack of open brackets. `want_value` is 1 where a value
     * must come next; inside objects `want_key` marks where a member name must come. */
    char stack[CLI_JSON_MAX_DEPTH];
    int depth = 0;
    size_t i = pos;
    int want_value = 1, want_key = 0;
    for (;;) {
        i = cli_json_skip_ws(s, len, i);
        if (i >= len) return fail(err, len, "unexpected end of input");
        char ch = s[i];
        if (want_key) {
            if (ch != '"') return fail(err, i, "expected a member name (a string)");
            size_t e;
            if (scan_string(0, &e, s, len, i, err) != 0) return -1;
            i = cli_json_skip_ws(s, len, e);
            if (i >= len || s[i] != ':') return fail(err, i, "expected ':' after a member name");
            i++;
            want_key = 0;
            want_value = 1;
            continue;
        }
        if (want_value) {
            if (ch == '{' || ch == '[') {
                if (depth >= CLI_JSON_MAX_DEPTH) return fail(err, i, "nesting too deep");
                stack[depth++] = ch;
                i = cli_json_skip_ws(s, len, i + 1);
                if (i < len && s[i] == (ch == '{' ? '}' : ']')) {
                    depth--;
                    i++;
                    want_value = 0;
                } else if (ch == '{') {
                    want_key = 1;
                    want_value = 0;
                }
                if (depth == 0 && !want_value && !want_key) {
                    *end = i;
                    return 0;
                }
                continue;
            }
            if (ch == '"') {
                size_t e;
                if (scan_string(0, &e, s, len, i, err) != 0) return -1;
                i = e;
            } else if (is_scalar_char(ch)) {
                while (i < len && is_scalar_char(s[i])) i++;
            } else {
                return fail(err, i, "expected a value");
            }
            want_value = 0;
            if (depth == 0) {
                *end = i;
                return 0;
            }
            continue;
        }
        /* after a value inside a container: ',' or the closing bracket */
        char open = stack[depth - 1];
        if (ch == ',') {
            i++;
            if (open == '{') want_key = 1;
            else want_value = 1;
            continue;
        }
        if ((open == '{' && ch == '}') || (open == '[' && ch == ']')) {
            depth--;
            i++;
            if (depth == 0) {
                *end = i;
                return 0;
            }
            continue;
        }
        return fail(err, i, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

int cli_json_object(size_t *end, const char *s, size_t len, size_t pos, cli_json_member_fn fn,
                    void *payload, cli_json_err *err)
{
    if (pos >= len || s[pos] != '{') return fail(err, pos, "expected an object");
    size_t i = cli_json_skip_ws(s, len, pos + 1);
    if (i < len && s[i] == '}') {
        *end = i + 1;
        return 0;
    }
    for (;;) {
        i = cli_json_skip_ws(s, len, i);
        size_t ks = i, ke;
        if (i >= len || s[i] != '"') return fail(err, i, "expected a member name (a string)");
        if (scan_string(1, &ke, s, len, i, err) != 0) return -1;
        i = cli_json_skip_ws(s, len, ke);
        if (i >= len || s[i] != ':') return fail(err, i, "expected ':' after a member name");
        size_t vs = cli_json_skip_ws(s, len, i + 1), ve;
        if (cli_json_value_end(&ve, s, len, vs, err) != 0) return -1;
        int rc = fn ? fn(payload, ks, ke, vs, ve) : 0;
        if (rc != 0) return rc;
        i = cli_json_skip_ws(s, len, ve);
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (i < len && s[i] == '}') {
            *end = i + 1;
            return 0;
        }
        return fail(err, i, "expected ',' or '}'");
    }
}

void cli_json_linecol(const char *s, size_t len, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (s[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

/* ---- pretty printer ---------------------------------------------------------------------- */

static void newline(cli_buf *out, int level)
{
    cli_buf_putc(out, '\n');
    for (int i = 0; i < level; i++) cli_buf_puts(out, "  ");
}

/* Append s[0, len) on one line with a space after ',' and ':' (outside strings). */
static void inline_json(cli_buf *out, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        char ch = s[i];
        if (ch == '"') {
            size_t j = i + 1;
            while (j < len && s[j] != '"') j += (s[j] == '\\') ? 2 : 1;
            size_t stop = j < len ? j + 1 : len;
            cli_buf_add(out, s + i, stop - i);
            i = stop;
            continue;
        }
        i++;
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
        cli_buf_putc(out, ch);
        if (ch == ',' || ch == ':') cli_buf_putc(out, ' ');
    }
}

void cli_json_pretty(cli_buf *out, const char *s, size_t len, int indent)
{
    int level = indent;
    size_t i = 0, line_start = out->len;
    while (i < len) {
        char ch = s[i];
        if (ch == '"') {
            /* copy the string literal verbatim, honouring escapes */
            size_t j = i + 1;
            while (j < len && s[j] != '"') j += (s[j] == '\\') ? 2 : 1;
            if (j > len) j = len;
            size_t stop = j < len ? j + 1 : len;
            cli_buf_add(out, s + i, stop - i);
            i = stop;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            i++;
            continue;
        }
        if (ch == '{' || ch == '[') {
            /* a container that fits on the current line (with spaces) stays on one line */
            /* only look as far as the line could reach: each check costs O(width) */
            size_t end, col = out->len - line_start;
            size_t room = col < CLI_JSON_LINE_WIDTH ? CLI_JSON_LINE_WIDTH - col : 0;
            size_t window = len - i > room ? i + room : len;
            if (room > 0 && cli_json_value_end(&end, s, window, i, NULL) == 0) {
                size_t n = end - i, extra = 0;
                for (size_t k = i; k < end; k++) extra += (s[k] == ',' || s[k] == ':');
                if (col + n + extra <= CLI_JSON_LINE_WIDTH) {
                    inline_json(out, s + i, end - i);
                    i = end;
                    continue;
                }
            }
            cli_buf_putc(out, ch);
            level++;
            newline(out, level);
            line_start = out->len - (size_t)(2 * level);
            i++;
            continue;
        }
        if (ch == '}' || ch == ']') {
            if (level > indent) level--;
            newline(out, level);
            line_start = out->len - (size_t)(2 * level);
            cli_buf_putc(out, ch);
            i++;
            continue;
        }
        if (ch == ',') {
            cli_buf_putc(out, ',');
            newline(out, level);
            line_start = out->len - (size_t)(2 * level);
            i++;
            continue;
        }
        if (ch == ':') {
            cli_buf_puts(out, ": ");
            i++;
            continue;
        }
        cli_buf_putc(out, ch);
        i++;
    }
}
