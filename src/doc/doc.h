/* The value model (src/doc): strata's values — null, bool, exact decimal numbers, UTF-8 strings,
 * binary, lists, maps and string/number/binary sets — in one canonical binary encoding, with a
 * zero-copy reader, a builder, path lookup and "edit at path" helpers, comparison with
 * DynamoDB's rules, the JSON and DynamoDB-JSON codecs, the order-preserving key codec, the
 * name check, and the public value type over all of it (strata_value, value.c). The byte formats are in docs/format.md ("Values"); the semantics in docs/values.md.
 *
 * Conventions of this module:
 *  - An *encoded value* is a strata_slice over canonical bytes (docs/format.md). Equal values
 *    have equal bytes, so deep equality is memcmp and a digest of the bytes identifies a value.
 *  - Reader functions never allocate and never read outside the slice: on malformed bytes they
 *    return STRATA_ECORRUPT (with a message) instead of crashing. They do not re-check canonical
 *    order or UTF-8; strata_doc__validate does (run it on bytes from untrusted sources).
 *  - Returned slices are borrowed: they point into the input and live as long as it does.
 *  - Writers append to a caller's strata_buf. On failure the buffer is restored to its length
 *    before the call (its capacity may have grown): nothing half-written is left behind.
 *  - Text inputs (JSON, numbers, paths, names) that are wrong give STRATA_EINVALID with a message
 *    naming what was wrong (JSON: "line:column: ..."); limits give STRATA_ELIMIT; malformed
 *    encoded bytes give STRATA_ECORRUPT; allocation failure STRATA_ENOMEM.
 */
#ifndef STRATA_DOC_H
#define STRATA_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"
#include "util/buf.h"

/* ---- limits --------------------------------------------------------------------------------- */

#define STRATA_DOC_MAX_DEPTH 64          /* nesting of lists/maps/sets (a scalar top value is depth 0) */
#define STRATA_NUM_MAX_DIGITS 38         /* significant decimal digits of a number */
#define STRATA_NUM_MIN_EXP (-129)        /* smallest magnitude 1E-130 = 0.1 x 10^-129 */
#define STRATA_NUM_MAX_EXP 126           /* largest magnitude 9.99..9E+125 = 0.99..9 x 10^126 */
#define STRATA_NUM_ENC_MAX 21            /* bytes of the order-preserving number encoding, at most */
#define STRATA_NUM_TEXT_MAX 96           /* bytes strata_num__format writes, NUL included, at most */
#define STRATA_NAME_MAX 255              /* strata_doc__check_name: longest name in bytes */

/* ---- types ---------------------------------------------------------------------------------- */

/* The type of a value. The numbers are the tag bytes of the encoding (docs/format.md). */
typedef enum strata_doc_type {
    STRATA_DOC_NULL = 0x00,
    STRATA_DOC_BOOL = 0x01,   /* encoded as tag 0x01 (false) or 0x02 (true); reported as BOOL */
    STRATA_DOC_NUMBER = 0x03,
    STRATA_DOC_STRING = 0x04,
    STRATA_DOC_BINARY = 0x05,
    STRATA_DOC_LIST = 0x06,
    STRATA_DOC_MAP = 0x07,
    STRATA_DOC_SSET = 0x08,   /* string set */
    STRATA_DOC_NSET = 0x09,   /* number set */
    STRATA_DOC_BSET = 0x0A    /* binary set */
} strata_doc_type;

/* ---- numbers -------------------------------------------------------------------------------- */

/* An exact decimal number: value = sign x 0.d[0]d[1]..d[ndigits-1] x 10^exp.
 * Normalised: sign 0 means zero (then ndigits = 0, exp = 0); otherwise 1 <= ndigits <= 38,
 * d[0] != 0, d[ndigits-1] != 0, each digit 0..9, STRATA_NUM_MIN_EXP <= exp <= STRATA_NUM_MAX_EXP.
 * Every function below produces normalised numbers and may assume its inputs are. */
typedef struct strata_num {
    int8_t sign;       /* -1, 0 or +1 */
    uint8_t ndigits;   /* significant digits in digits[] */
    int16_t exp;       /* decimal exponent of the 0.ddd form */
    uint8_t digits[STRATA_NUM_MAX_DIGITS]; /* decimal digits, most significant first; zero
                                              past ndigits (equal numbers are equal bytes) */
} strata_num;

/* Parse number text: optional '-' or '+', digits with an optional '.' fraction (at least one
 * digit overall; leading zeros allowed), optional exponent [eE][+-]digits. No spaces.
 * Normalises (1.0 = 1, -0 = 0, 1e3 = 1000). Errors (STRATA_EINVALID, message says which):
 * not a number, more than 38 significant digits, magnitude above 9.99..E+125 or below 1E-130. */
int strata_num__parse(strata_num *out, const char *text, size_t len);

/* Format `n` as the shortest exact text in JSON number syntax into out (NUL-terminated, at most
 * STRATA_NUM_TEXT_MAX bytes including the NUL); returns the length without the NUL.
 * Plain notation when 10^-6 <= |n| < 10^40 ("1000", "-0.25"), otherwise "d.dddE+x" / "dE-x". */
size_t strata_num__format(const strata_num *n, char out[STRATA_NUM_TEXT_MAX]);

/* Numeric comparison: -1, 0 or 1. */
int strata_num__cmp(const strata_num *a, const strata_num *b);

/* Exact out = a + b / out = a - b. Errors: STRATA_EINVALID when the exact result needs more than
 * 38 significant digits or lies outside the magnitude range (message says which); out is
 * untouched then. out may alias a or b. */
int strata_num__add(strata_num *out, const strata_num *a, const strata_num *b);
int strata_num__sub(strata_num *out, const strata_num *a, const strata_num *b);

/* Exact conversion from an integer (always succeeds). */
void strata_num__from_i64(strata_num *out, int64_t v);

/* To an integer: 0, or STRATA_EINVALID when n has a fraction or does not fit in int64. */
int strata_num__to_i64(const strata_num *n, int64_t *out);

/* Nearest double (for display or statistics only; never used for storage or arithmetic). */
double strata_num__to_double(const strata_num *n);

/* The order-preserving encoding: out receives 1..STRATA_NUM_ENC_MAX bytes (returned) such that
 * memcmp order of two encodings equals numeric order, and the encoding is self-delimiting (no
 * encoding is a proper prefix of another). Used inside values and keys. */
size_t strata_num__encode(const strata_num *n, uint8_t out[STRATA_NUM_ENC_MAX]);

/* Decode one number encoding from [p, p+len): *used receives its size. STRATA_ECORRUPT when the
 * bytes are not a canonical number encoding. */
int strata_num__decode(strata_num *out, const uint8_t *p, size_t len, size_t *used);

/* ---- reading encoded values (zero-copy) --------------------------------------------------- */

/* Check that [data, data+len) is exactly one canonical encoded value: structure, sizes and
 * offsets, nesting depth <= STRATA_DOC_MAX_DEPTH, minimal varints, normalised numbers, valid
 * UTF-8 strings and map keys, map keys strictly ascending (bytewise, so unique), sets non-empty,
 * of their member type, strictly ascending (unique). 0 or STRATA_ECORRUPT with a message
 * naming the offset and what was wrong. */
int strata_doc__validate(const void *data, size_t len);

/* The type of the encoded value v (a strata_doc_type >= 0), or STRATA_ECORRUPT. */
int strata_doc__type(strata_slice v);

/* Size in bytes of the encoded value starting at p (which may be followed by other bytes),
 * without decoding its members: O(1). STRATA_ECORRUPT when it does not fit in len. */
int strata_doc__value_size(const void *p, size_t len, size_t *out);

/* Scalar access. Each returns 0, or STRATA_EINVALID ("expected a string, got a map") when v has
 * another type, or STRATA_ECORRUPT. get_string/get_binary return the borrowed content bytes. */
int strata_doc__get_bool(strata_slice v, int *out);
int strata_doc__get_number(strata_slice v, strata_num *out);
int strata_doc__get_string(strata_slice v, strata_slice *out);
int strata_doc__get_binary(strata_slice v, strata_slice *out);

/* Number of members of a list, map or set (O(1)). STRATA_EINVALID for scalars. */
int strata_doc__count(strata_slice v, size_t *out);

/* Member i of a list or set (sets iterate in canonical order), O(1). STRATA_ENOTFOUND when i is
 * out of range (no message is set: absence is a normal outcome), STRATA_EINVALID for other types. */
int strata_doc__index(strata_slice v, size_t i, strata_slice *out);

/* Entry i of a map (keys ascending bytewise), O(1): *key receives the key bytes (UTF-8, not
 * NUL-terminated), *val the encoded value. Either may be NULL. STRATA_ENOTFOUND past the end. */
int strata_doc__map_entry(strata_slice map, size_t i, strata_slice *key, strata_slice *val);

/* Look up a map key by binary search (O(log n), decodes nothing else). STRATA_ENOTFOUND (no
 * message) when absent, STRATA_EINVALID when map is not a map. */
int strata_doc__map_get(strata_slice map, const void *key, size_t klen, strata_slice *out);

/* Is `member` (an encoded string/number/binary value) in `set`? 1, 0, or a negative error
 * (STRATA_EINVALID when set is not a set). Binary search. */
int strata_doc__set_has(strata_slice set, strata_slice member);

/* In-place iteration over a list, map or set:
 *     strata_doc_iter it; strata_slice k, v;
 *     if ((rc = strata_doc__iter_init(&it, value)) != 0) ...;
 *     while ((rc = strata_doc__iter_next(&it, &k, &v)) == 0) { ... }
 *     if (rc != STRATA_ITEROVER) ...error...
 * For maps *key receives the key bytes; for lists and sets it is set to {NULL, 0}. key may be
 * NULL. The iterator holds no resources (nothing to free). */
typedef struct strata_doc_iter {
    const uint8_t *data;  /* start of the members area */
    const uint8_t *table; /* member end offsets */
    size_t size;          /* bytes of the members area */
    size_t count;         /* members */
    size_t next;          /* index of the next member */
    uint8_t width;        /* bytes per offset in table */
    uint8_t type;         /* strata_doc_type of the container */
} strata_doc_iter;

int strata_doc__iter_init(strata_doc_iter *it, strata_slice container);
int strata_doc__iter_next(strata_doc_iter *it, strata_slice *key, strata_slice *val);

/* ---- document paths ------------------------------------------------------------------------- */

/* One step of a document path: a map key (name != NULL) or a list index (name == NULL). */
typedef struct strata_doc_step {
    const char *name; /* key bytes (not NUL-terminated), or NULL for a list index */
    size_t len;       /* key length in bytes */
    size_t index;     /* list index when name == NULL */
} strata_doc_step;

/* A parsed path (owned; free with strata_doc__path_free). Steps' names point into `text`. */
typedef struct strata_doc_path {
    strata_doc_step *steps;
    size_t n;
    char *text; /* unescaped key bytes the steps point into */
} strata_doc_path;

/* Parse path text such as `a.b[2].c` or `[0]`: keys separated by '.', list indexes in brackets
 * (decimal, no sign). In keys, '\' escapes the next byte (so `a\.b` is the key "a.b"); keys are
 * non-empty. STRATA_EINVALID with the column of the problem; STRATA_ELIMIT past 64 steps. */
int strata_doc__path_parse(strata_doc_path *out, const char *text, size_t len);
void strata_doc__path_free(strata_doc_path *p);

/* Follow `n` steps from `v` and return the borrowed sub-value. Each step costs O(log members)
 * (map) or O(1) (list). STRATA_ENOTFOUND (no message) when a key is absent, an index is past the
 * end, or a step does not match the type (a key on a list, an index on a map or scalar). */
int strata_doc__lookup(strata_slice v, const strata_doc_step *steps, size_t n, strata_slice *out);

/* strata_doc__lookup with path text (parsed on the stack when it has <= 16 steps). */
int strata_doc__lookup_text(strata_slice v, const char *path, size_t len, strata_slice *out);

/* ---- building canonical values ------------------------------------------------------------- */

/* A builder writes one canonical value from calls in document order. Map members may be added in
 * any order (sorted at end); a duplicate key fails at map end with STRATA_EINVALID naming it.
 * Set members may come in any order; duplicates fail (STRATA_EINVALID), an empty set fails.
 * Usage: builder_new; begin_map; key; string; key; number; ...; end; finish; builder_free.
 * After any error the builder is poisoned: every later call returns STRATA_EINVALID until reset. */
typedef struct strata_doc_builder strata_doc_builder;

int strata_doc__builder_new(strata_doc_builder **out);
void strata_doc__builder_free(strata_doc_builder *b);    /* NULL is fine */
void strata_doc__builder_reset(strata_doc_builder *b);   /* forget everything, reuse memory */

/* Inside a map, every value must be preceded by strata_doc__b_key (UTF-8, checked). */
int strata_doc__b_key(strata_doc_builder *b, const void *key, size_t len);
int strata_doc__b_null(strata_doc_builder *b);
int strata_doc__b_bool(strata_doc_builder *b, int v);
int strata_doc__b_number(strata_doc_builder *b, const strata_num *n);
int strata_doc__b_number_text(strata_doc_builder *b, const char *text, size_t len); /* strata_num__parse rules */
int strata_doc__b_string(strata_doc_builder *b, const void *s, size_t len); /* UTF-8 checked */
int strata_doc__b_binary(strata_doc_builder *b, const void *p, size_t len);
/* Copy an already encoded value (validated with strata_doc__validate first). */
int strata_doc__b_value(strata_doc_builder *b, strata_slice v);
/* type: STRATA_DOC_LIST, MAP, SSET, NSET or BSET. Depth is limited to STRATA_DOC_MAX_DEPTH. */
int strata_doc__b_begin(strata_doc_builder *b, strata_doc_type type);
int strata_doc__b_end(strata_doc_builder *b);
/* The finished value (exactly one top-level value, all containers closed), borrowed until the
 * next reset or free. STRATA_EINVALID when incomplete. */
int strata_doc__builder_finish(strata_doc_builder *b, strata_slice *out);

/* ---- comparison ------------------------------------------------------------------------------- */

#define STRATA_DOC_INCOMPARABLE 2

/* DynamoDB's comparison: numbers numerically, strings by UTF-8 bytes, binary by unsigned bytes
 * give -1/0/1. Any other pair of equal types gives 0 when deeply equal (lists in order, maps by
 * keys, sets as sets) and STRATA_DOC_INCOMPARABLE otherwise; different types are always
 * STRATA_DOC_INCOMPARABLE (never equal, never ordered). Negative return: STRATA_ECORRUPT. */
int strata_doc__compare(strata_slice a, strata_slice b);

/* Deep equality of two encoded values: 1 or 0 (canonical bytes make it a memcmp). */
int strata_doc__equal(strata_slice a, strata_slice b);

/* ---- editing (for update expressions) ------------------------------------------------------ */

/* Append to out a copy of `doc` with the value at `steps` replaced by (or set to) `val`.
 * n == 0 replaces the whole value. The parent of the last step must exist: for a key step it
 * must be a map (the key is added or replaced); for an index step it must be a list (an index at
 * or past the end appends). STRATA_ENOTFOUND with a message when the parent path does not exist
 * or has the wrong type (DynamoDB: "document path provided ... is invalid for update").
 * `val` must be a valid encoded value. */
int strata_doc__edit_set(strata_buf *out, strata_slice doc, const strata_doc_step *steps, size_t n,
                         strata_slice val);

/* Append to out a copy of `doc` without the value at `steps` (n >= 1). When it does not exist the
 * copy is unchanged and *removed (if not NULL) is 0, else 1. Never an error for absence. */
int strata_doc__edit_remove(strata_buf *out, strata_slice doc, const strata_doc_step *steps,
                            size_t n, int *removed);

/* Append to out the list a ++ b (DynamoDB list_append). STRATA_EINVALID unless both are lists. */
int strata_doc__list_concat(strata_buf *out, strata_slice a, strata_slice b);

/* Append to out the number a + b (or a - b when subtract), exact. STRATA_EINVALID unless both
 * are numbers or when the result is out of range/precision. */
int strata_doc__number_add(strata_buf *out, strata_slice a, strata_slice b, int subtract);

/* Append to out the union a ∪ b of two sets of the same type (DynamoDB ADD). */
int strata_doc__set_union(strata_buf *out, strata_slice a, strata_slice b);

/* Append to out the difference a \ b (DynamoDB DELETE). b must be a set of a's type. When the
 * result is empty nothing is appended and *empty is 1 (DynamoDB then removes the attribute). */
int strata_doc__set_difference(strata_buf *out, strata_slice a, strata_slice b, int *empty);

/* ---- JSON ------------------------------------------------------------------------------------ */

enum {
    STRATA_DOC_JSON_PRETTY = 1 /* indent by two spaces, one member per line */
};

/* Parse strict RFC 8259 JSON text (exactly one value, surrounding whitespace allowed) straight
 * into the canonical encoding, appended to out. UTF-8 is validated, all escapes including
 * surrogate pairs are decoded (lone surrogates rejected), numbers are exact (strata_num limits),
 * nesting is limited to STRATA_DOC_MAX_DEPTH, duplicate object keys are rejected. Errors:
 * STRATA_EINVALID "line:column: expected ..." (line and column 1-based, column in characters),
 * STRATA_ELIMIT for depth or size, STRATA_ENOMEM. On error out is unchanged. */
int strata_doc__from_json(strata_buf *out, const char *json, size_t len);

/* Append the JSON text of encoded value v to out (no NUL). Keys in canonical (bytewise) order.
 * Lossy only as documented: binary becomes a base64 string, sets become arrays. */
int strata_doc__to_json(strata_buf *out, strata_slice v, int flags);

/* ---- DynamoDB JSON -------------------------------------------------------------------------- */

enum {
    STRATA_DOC_DDB_ITEM = 1,  /* the text/value is an item: a map of attribute name -> value */
    STRATA_DOC_DDB_PRETTY = 2 /* output only: indent like STRATA_DOC_JSON_PRETTY */
};

/* Parse DynamoDB JSON: one AttributeValue ({"S": "x"}, {"N": "1"}, {"B": base64}, {"BOOL": b},
 * {"NULL": true}, {"M": {...}}, {"L": [...]}, {"SS"|"NS"|"BS": [...]}), or with
 * STRATA_DOC_DDB_ITEM an item {"name": AttributeValue, ...} (encoded as a map). DynamoDB's
 * validation: exactly one type per value, NULL only true, sets non-empty without duplicates,
 * N a valid number, B valid base64. Errors like strata_doc__from_json. */
int strata_doc__from_ddb_json(strata_buf *out, const char *json, size_t len, int flags);

/* Append the DynamoDB JSON of v (with STRATA_DOC_DDB_ITEM v must be a map, written as an item).
 * Lossless. */
int strata_doc__to_ddb_json(strata_buf *out, strata_slice v, int flags);

/* ---- key codec ------------------------------------------------------------------------------- */

/* Append to out the key of one or two parts (partition key, optional sort key), each an encoded
 * string, number or binary value. memcmp order of keys equals tuple order: first part, then
 * second; strings by UTF-8 bytes, numbers numerically, binary by unsigned bytes; a key without
 * a sort key sorts before every key with one and the same partition key. Parts of different
 * types are ordered by type (number < string < binary). sk may be NULL. STRATA_EINVALID for a
 * part of another type. */
int strata_doc__key_encode(strata_buf *out, strata_slice pk, const strata_slice *sk);

/* Append the key bytes of a one-part key whose part is the string s (UTF-8, checked): the same
 * bytes as strata_doc__key_encode of the encoded string, without building the value first. */
int strata_doc__key_encode_string(strata_buf *out, const void *s, size_t len);

/* Append one part's key bytes to out (for building range bounds by hand). */
int strata_doc__key_encode_part(strata_buf *out, strata_slice part);

/* Decode a key: the parts are appended to pk_out and sk_out as encoded values (sk_out may be NULL
 * when the caller does not want it); *has_sk (may be NULL) receives 1 when the key has a sort
 * key. STRATA_ECORRUPT on malformed keys. */
int strata_doc__key_decode(const void *key, size_t len, strata_buf *pk_out, strata_buf *sk_out,
                           int *has_sk);

/* The key range [lo, hi) of all keys with partition key pk and a sort key that begins with
 * `prefix` (an encoded string or binary value; the sort key type must match it). lo and hi are
 * appended to their buffers. Every key k of such an item satisfies lo <= k < hi (memcmp), and no
 * other key of that partition does. */
int strata_doc__key_prefix_range(strata_buf *lo, strata_buf *hi, strata_slice pk, strata_slice prefix);

/* The key range [lo, hi) of all keys with partition key pk (with or without a sort key). */
int strata_doc__key_partition_range(strata_buf *lo, strata_buf *hi, strata_slice pk);

/* ---- the public value type (value.c) -------------------------------------------------------- */

/* A new owned strata_value (strata.h; free with strata_value_free) holding a copy of `bytes`,
 * not validated: only for bytes this library encoded or validated. 0 or STRATA_ENOMEM. */
int strata_doc__value_new(strata_value **out, const void *bytes, size_t len);
/* A borrowed view of v's canonical bytes (valid while v lives); {NULL, 0} for NULL. */
strata_slice strata_doc__value_slice(const strata_value *v);

/* ---- names --------------------------------------------------------------------------------- */

/* Validate a name (tenant, entry, key): 1..255 bytes of valid UTF-8 without control characters
 * (U+0000-U+001F, U+007F-U+009F). `what` names the kind in the message ("tenant name"). 0 or
 * STRATA_EINVALID. */
int strata_doc__check_name(const char *name, size_t len, const char *what);

#endif
