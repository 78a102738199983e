/* The expression lexer: turns expression text into tokens (names, #name and :value placeholders,
 * number and string literals, punctuation and comparators), each carrying its byte offset so
 * every parse error can point at the offending position. One pass, constant work per byte. */
#include "expr/expr_int.h"

#include <string.h>

#include "util/utf8.h"

static int is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_alpha(c) || is_digit(c); }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

const char *strata_expr__tok_name(xtok_type t)
{
    switch (t) {
    case XT_EOF: return "end of expression";
    case XT_IDENT: return "name";
    case XT_NAME: return "#name placeholder";
    case XT_VALUE: return ":value placeholder";
    case XT_NUMBER: return "number";
    case XT_STRING: return "string";
    case XT_LPAREN: return "'('";
    case XT_RPAREN: return "')'";
    case XT_LBRACK: return "'['";
    case XT_RBRACK: return "']'";
    case XT_COMMA: return "','";
    case XT_DOT: return "'.'";
    case XT_EQ: return "'='";
    case XT_NE: return "'<>'";
    case XT_LT: return "'<'";
    case XT_LE: return "'<='";
    case XT_GT: return "'>'";
    case XT_GE: return "'>='";
    case XT_PLUS: return "'+'";
    case XT_MINUS: return "'-'";
    }
    return "token";
}

/* Scan a double-quoted string literal starting at the quote at `pos`. On success sets *end to
 * the offset just past the closing quote. Escapes are JSON's; raw control characters and
 * malformed UTF-8 are errors (offset of the bad byte in *bad, message in *why). */
static int scan_string(const char *src, size_t len, size_t pos, size_t *end, size_t *bad,
                       const char **why)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t i = pos + 1;
    while (i < len) {
        unsigned c = s[i];
        if (c == '"') { *end = i + 1; return 0; }
        if (c < 0x20) { *bad = i; *why = "control character in string literal (use an escape)"; return -1; }
        if (c == '\\') {
            if (i + 1 >= len) break;
            unsigned e = s[i + 1];
            if (e == 'u') {
                for (int k = 0; k < 4; k++)
                    if (i + 2 + (size_t)k >= len || hexval(s[i + 2 + k]) < 0) {
                        *bad = i; *why = "\\u needs four hex digits"; return -1;
                    }
                i += 6;
            } else if (strchr("\"\\/bfnrt", (int)e) && e) {
                i += 2;
            } else {
                *bad = i; *why = "unknown escape in string literal"; return -1;
            }
            continue;
        }
        uint32_t cp;
        size_t n = strata_utf8__decode(s + i, s + len, &cp);
        if (!n) { *bad = i; *why = "malformed UTF-8 in string literal"; return -1; }
        i += n;
    }
    *bad = pos;
    *why = "unterminated string literal";
    return -1;
}

int strata_expr__lex(xtok *out, const char *src, size_t len, size_t pos, const char **why)
{
    const unsigned char *s = (const unsigned char *)src;
    while (pos < len && is_space(s[pos])) pos++;
    out->off = (uint32_t)pos;
    out->len = 0;
    if (pos >= len) { out->type = XT_EOF; return 0; }
    unsigned c = s[pos];
    size_t i = pos + 1;
    xtok_type t;
    if (is_alpha((int)c)) {
        while (i < len && is_alnum(s[i])) i++;
        t = XT_IDENT;
    } else if (c == '#' || c == ':') {
        while (i < len && is_alnum(s[i])) i++;
        if (i == pos + 1) {
            *why = c == '#' ? "'#' must be followed by a placeholder name (letters, digits, '_')"
                            : "':' must be followed by a placeholder name (letters, digits, '_')";
            return -1;
        }
        t = c == '#' ? XT_NAME : XT_VALUE;
    } else if (is_digit((int)c)) {
        /* JSON number syntax without the sign (the parser handles a leading '-') */
        if (c == '0' && i < len && is_digit(s[i])) { *why = "leading zeros are not allowed in a number"; return -1; }
        while (i < len && is_digit(s[i])) i++;
        if (i < len && s[i] == '.') {
            i++;
            if (i >= len || !is_digit(s[i])) { out->off = (uint32_t)i; *why = "expected a digit after '.' in number"; return -1; }
            while (i < len && is_digit(s[i])) i++;
        }
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            if (i < len && (s[i] == '+' || s[i] == '-')) i++;
            if (i >= len || !is_digit(s[i])) { out->off = (uint32_t)i; *why = "expected a digit in the exponent of number"; return -1; }
            while (i < len && is_digit(s[i])) i++;
        }
        if (i < len && is_alpha(s[i])) { out->off = (uint32_t)i; *why = "unexpected letter after number"; return -1; }
        t = XT_NUMBER;
    } else if (c == '"') {
        size_t end = 0, bad = pos;
        if (scan_string(src, len, pos, &end, &bad, why) != 0) { out->off = (uint32_t)bad; return -1; }
        i = end;
        t = XT_STRING;
    } else {
        switch (c) {
        case '(': t = XT_LPAREN; break;
        case ')': t = XT_RPAREN; break;
        case '[': t = XT_LBRACK; break;
        case ']': t = XT_RBRACK; break;
        case ',': t = XT_COMMA; break;
        case '.': t = XT_DOT; break;
        case '=': t = XT_EQ; break;
        case '+': t = XT_PLUS; break;
        case '-': t = XT_MINUS; break;
        case '<':
            if (i < len && s[i] == '=') { t = XT_LE; i++; }
            else if (i < len && s[i] == '>') { t = XT_NE; i++; }
            else t = XT_LT;
            break;
        case '>':
            if (i < len && s[i] == '=') { t = XT_GE; i++; }
            else t = XT_GT;
            break;
        case '!':
            if (i < len && s[i] == '=') { *why = "'!=' is not an operator; use '<>'"; return -1; }
            /* fall through */
        default:
            *why = c >= 0x80 ? "non-ASCII character outside a string literal (use a #name placeholder)"
                             : "unexpected character";
            return -1;
        }
    }
    out->type = t;
    out->len = (uint32_t)(i - pos);
    return 0;
}

int strata_expr__unescape(char *dst, size_t *dst_len, const char *src, size_t len)
{
    /* src is the literal without its quotes, already validated by scan_string */
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] != '\\') { dst[o++] = (char)s[i++]; continue; }
        unsigned e = s[i + 1];
        if (e != 'u') {
            char r;
            switch (e) {
            case 'b': r = '\b'; break;
            case 'f': r = '\f'; break;
            case 'n': r = '\n'; break;
            case 'r': r = '\r'; break;
            case 't': r = '\t'; break;
            default: r = (char)e; break;
            }
            dst[o++] = r;
            i += 2;
            continue;
        }
        unsigned cp = 0;
        for (int k = 0; k < 4; k++) cp = cp << 4 | (unsigned)hexval(s[i + 2 + k]);
        i += 6;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            unsigned lo = 0;
            int ok = i + 6 <= len && s[i] == '\\' && s[i + 1] == 'u';
            for (int k = 0; ok && k < 4; k++) {
                int h = hexval(s[i + 2 + k]);
                if (h < 0) ok = 0;
                else lo = lo << 4 | (unsigned)h;
            }
            if (!ok || lo < 0xdc00 || lo > 0xdfff) return -1;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            return -1;
        }
        o += strata_utf8__encode((uint8_t *)dst + o, cp);
    }
    *dst_len = o;
    return 0;
}
