/* Private to src/doc: the encoding's constants and byte layout, the writer shared by the builder
 * and the parsers, container header parsing and base64 helpers (UTF-8 is src/util/utf8.h).
 *
 * Encoded value layout (docs/format.md, "Values"):
 *
 *   tag 0x00 null | 0x01 false | 0x02 true            1 byte
 *   tag 0x03 number                                   tag, number encoding (1..21 bytes, num.c)
 *   tag 0x04 string | 0x05 binary                     tag, varint len, len bytes
 *   tag 0x06 list | 0x07 map | 0x08 SS | 0x09 NS | 0x0A BS
 *       offset  size          meaning
 *       0       1             tag
 *       1       varint        D: bytes of the members area
 *       .       varint        n: number of members
 *       .       (n-1) x w     end offset of members 0..n-2 within the members area, LE,
 *                             w = 1 if D < 2^8, 2 if D < 2^16, else 4
 *       .       D             members, back to back. A list/set member is an encoded value;
 *                             a map member is varint klen, key bytes, encoded value.
 */
#ifndef STRATA_DOC_INT_H
#define STRATA_DOC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "doc/doc.h"
#include "util/array.h"
#include "util/buf.h"

enum {
    TAG_NULL = 0x00,
    TAG_FALSE = 0x01,
    TAG_TRUE = 0x02,
    TAG_NUMBER = 0x03,
    TAG_STRING = 0x04,
    TAG_BINARY = 0x05,
    TAG_LIST = 0x06,
    TAG_MAP = 0x07,
    TAG_SSET = 0x08,
    TAG_NSET = 0x09,
    TAG_BSET = 0x0A
};

#define DOC_MAX_SIZE 0xFFFFFFF0u /* members area limit (offsets are at most 32 bits) */

static inline int doc_is_container(uint8_t tag) { return tag >= TAG_LIST && tag <= TAG_BSET; }
static inline int doc_is_set(uint8_t tag) { return tag >= TAG_SSET && tag <= TAG_BSET; }
/* The member tag of a set tag (SSET -> STRING, NSET -> NUMBER, BSET -> BINARY), 0 for others. */
static inline uint8_t doc_set_member_tag(uint8_t tag)
{
    return tag == TAG_SSET ? TAG_STRING : tag == TAG_NSET ? TAG_NUMBER : tag == TAG_BSET ? TAG_BINARY : 0;
}
static inline uint8_t doc_offset_width(size_t d) { return d < 0x100 ? 1 : d < 0x10000 ? 2 : 4; }
static inline size_t doc_rd_off(const uint8_t *t, uint8_t w)
{
    return w == 1 ? t[0] : w == 2 ? (size_t)(t[0] | t[1] << 8) : (size_t)strata_le32(t);
}

/* A parsed container header. */
typedef struct doc_cont {
    uint8_t tag;
    size_t n;              /* members */
    size_t size;           /* D: bytes of the members area */
    uint8_t w;             /* offset width */
    const uint8_t *table;  /* (n-1) offsets */
    const uint8_t *data;   /* members area */
    size_t total;          /* whole encoded container */
} doc_cont;

/* Parse the container header at p (len bytes available); checks that the whole container fits
 * and the offset width is canonical. 0 or STRATA_ECORRUPT. */
int strata_doc__cont_parse(doc_cont *c, const uint8_t *p, size_t len);

/* Bounds [*start, *end) of member i of c (i < c->n) within c->data; STRATA_ECORRUPT when the
 * offsets are out of order or outside the area. */
int strata_doc__cont_member(const doc_cont *c, size_t i, size_t *start, size_t *end);

/* Split the map member [p, p+len) into key and value. 0 or STRATA_ECORRUPT. */
int strata_doc__map_split(const uint8_t *p, size_t len, strata_slice *key, strata_slice *val);

/* Nesting depth of a valid encoded value (scalars 0, [] 1, [[1]] 2). */
int strata_doc__depth(const void *data, size_t len);

/* Name of a strata_doc_type / tag for messages ("map", "string set"). */
const char *strata_doc__type_name(int tag);

/* ---- the writer (struct of strata_doc_builder) ---------------------------------------------- */

typedef struct doc_member {
    size_t start; /* offset in out of the member (map: of its key) */
    size_t src;   /* source position (parsers), for error messages */
} doc_member;

typedef struct doc_frame {
    uint8_t tag;      /* container tag */
    uint8_t sorted;   /* members so far strictly ascending */
    size_t start;     /* offset in out where the container (and, until its end, its members) starts */
    size_t mem_base;  /* index in mem[] of its first member */
} doc_frame;

typedef struct doc_sortitem {
    const uint8_t *k; /* comparison bytes */
    size_t klen;
    size_t start, end, src;
} doc_sortitem;

struct strata_doc_builder {
    strata_buf *out;      /* where the value is written */
    strata_buf own;       /* out == &own for builders made by strata_doc__builder_new */
    size_t base;          /* out->len when writing began */
    doc_frame frames[2 * STRATA_DOC_MAX_DEPTH + 2];
    int depth;            /* open containers */
    int max_depth;        /* limit on depth (STRATA_DOC_MAX_DEPTH unless a parser raises it) */
    STRATA_ARRAY(doc_member) mem;     /* members of the open containers, innermost last */
    STRATA_ARRAY(doc_sortitem) items; /* scratch for sorting one container's members (cap only) */
    STRATA_ARRAY(uint8_t) tmp;        /* scratch copy of a members area (cap only) */
    int have_key;         /* in a map: a key was written, its value is due */
    int done;             /* the top-level value is complete */
    int poisoned;
    size_t err_src;       /* source position of the member an error is about */
};

/* Start writing one value, appended to out. */
void strata_doc__w_init(strata_doc_builder *w, strata_buf *out);
/* Release the writer's scratch memory (not out). */
void strata_doc__w_release(strata_doc_builder *w);
/* Before a value: bookkeeping of the enclosing container (src = source position). */
int strata_doc__w_prep(strata_doc_builder *w, size_t src);
/* Before a map key is appended by the caller: records the member. */
int strata_doc__w_key_prep(strata_doc_builder *w, size_t src);
/* After the key (varint len + bytes) has been appended: order/duplicate check against the
 * previous key. STRATA_EINVALID "duplicate key" with w->err_src set. */
int strata_doc__w_key_done(strata_doc_builder *w);
int strata_doc__w_begin(strata_doc_builder *w, uint8_t tag, size_t src);
/* Close the innermost container: sort, check, write header. Errors set w->err_src. */
int strata_doc__w_end(strata_doc_builder *w);
/* A value has been appended (scalars): marks completion at top level. */
static inline void strata_doc__w_after(strata_doc_builder *w)
{
    if (w->depth == 0) w->done = 1;
    else if (w->frames[w->depth - 1].tag == TAG_MAP) w->have_key = 0;
}

/* ---- JSON (json.c) ---------------------------------------------------------------------------- */

/* strata_doc__from_json with another nesting limit (<= 2 x STRATA_DOC_MAX_DEPTH + 1). */
int strata_doc__from_json_depth(strata_buf *out, const char *json, size_t len, int max_depth);
/* Append s as a JSON string literal (quoted, escaped). */
int strata_doc__json_string(strata_buf *out, const uint8_t *s, size_t n);

/* ---- numbers (num.c) ----------------------------------------------------------------------- */

/* Match number syntax at s: json=1 strict JSON grammar, json=0 also '+', ".5", "5." and leading
 * zeros. 0 and *used, or -1 (no digits), -2 (leading zero), -3 (no digit after '.'), -4 (no
 * digit in exponent). */
int strata_doc__num_scan(const char *s, size_t len, int json, size_t *used);
/* Convert text that matched strata_doc__num_scan. 0 or STRATA_EINVALID (precision / range). */
int strata_doc__num_from_text(strata_num *out, const char *s, size_t len);

/* ---- base64 ---------------------------------------------------------------------------------- */


size_t strata_doc__b64_len(size_t n);
/* Append the standard base64 (with padding) of p to out. */
int strata_doc__b64_encode(strata_buf *out, const uint8_t *p, size_t n);
/* Decode standard base64 (padding required, no whitespace) and append to out. STRATA_EINVALID. */
int strata_doc__b64_decode(strata_buf *out, const char *s, size_t n);

#endif
