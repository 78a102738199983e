/* UTF-8: strict decoding and validation (no overlongs, no surrogates, nothing above U+10FFFF)
 * and encoding of one code point. Shared by the value model, names and every parser. */
#ifndef STRATA_UTIL_UTF8_H
#define STRATA_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the sequence at p (p < end): its length 1..4 with *cp its code point, or 0 when it is
 * not valid UTF-8 (truncated, overlong, a surrogate, beyond U+10FFFF or a stray byte). */
size_t strata_utf8__decode(const uint8_t *p, const uint8_t *end, uint32_t *cp);

/* Write the UTF-8 of cp (a Unicode scalar value) to out (room for 4 bytes); returns 1..4. */
size_t strata_utf8__encode(uint8_t *out, uint32_t cp);

/* 1 when [p, p+len) is valid UTF-8, else 0. ASCII runs are skipped eight bytes at a time. */
int strata_utf8__valid(const void *p, size_t len);

#endif
