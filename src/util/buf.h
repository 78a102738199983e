/* Growable byte buffers, little-endian fixed-width integers and LEB128 varints. */
#ifndef STRATA_UTIL_BUF_H
#define STRATA_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable byte buffer. Zero-initialise ({0}) before use; release with strata_buf__free. */
typedef struct strata_buf {
    uint8_t *data; /* owned bytes; NULL until the first growth */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
} strata_buf;

/* Make room for `extra` more bytes. 0 or STRATA_ENOMEM (the buffer is unchanged). */
int strata_buf__reserve(strata_buf *b, size_t extra);
/* Append bytes / one byte / a varint / fixed little-endian integers. 0 or STRATA_ENOMEM. */
int strata_buf__append(strata_buf *b, const void *p, size_t n);
int strata_buf__putc(strata_buf *b, uint8_t c);
int strata_buf__put_varint(strata_buf *b, uint64_t v);
int strata_buf__put_u64le(strata_buf *b, uint64_t v);
/* Append a printf-formatted string (no NUL kept in len). 0 or STRATA_ENOMEM. */
int strata_buf__printf(strata_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the bytes to the caller (who frees them with strata_mem__free) and reset the buffer. */
uint8_t *strata_buf__detach(strata_buf *b, size_t *len);
void strata_buf__free(strata_buf *b);

/* Varints: unsigned LEB128, at most 10 bytes. encode writes into out[10] and returns the size;
 * decode reads from [p, end) and returns the bytes consumed, or 0 when truncated/overlong. */
size_t strata_varint__encode(uint8_t out[10], uint64_t v);
size_t strata_varint__decode(const uint8_t *p, const uint8_t *end, uint64_t *v);
size_t strata_varint__size(uint64_t v);

static inline uint32_t strata_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t strata_le64(const uint8_t *p)
{
    return (uint64_t)strata_le32(p) | (uint64_t)strata_le32(p + 4) << 32;
}
static inline void strata_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void strata_put_le64(uint8_t *p, uint64_t v)
{
    strata_put_le32(p, (uint32_t)v);
    strata_put_le32(p + 4, (uint32_t)(v >> 32));
}
static inline uint32_t strata_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void strata_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
