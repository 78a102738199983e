/* Shared helpers for the doc tests: random value generation (seeded) through the builder. */
#ifndef STRATA_TEST_SUPPORT_DOC_H
#define STRATA_TEST_SUPPORT_DOC_H

#include <string.h>

#include "testutil.h"
#include "doc/doc.h"
#include "doc/doc_int.h"
#include "util/utf8.h"

/* Random UTF-8 text of up to maxlen code points: ASCII, escapes-worthy characters, NUL,
 * 2/3/4-byte sequences. Returns its byte length (buf holds at least 4 * maxlen bytes). */
static inline size_t rnd_text(uint64_t *rs, char *buf, size_t maxlen)
{
    size_t n = tu_below(rs, maxlen + 1), o = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        switch (tu_below(rs, 8)) {
        case 0: cp = (uint32_t)tu_below(rs, 0x20); break;
        case 1: cp = "\"\\/\x7f"[tu_below(rs, 4)]; break;
        case 2: cp = 0x80 + (uint32_t)tu_below(rs, 0x780); break;
        case 3: cp = 0x800 + (uint32_t)tu_below(rs, 0xD000); if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xE000; break;
        case 4: cp = 0x10000 + (uint32_t)tu_below(rs, 0x100000); break;
        default: cp = 'a' + (uint32_t)tu_below(rs, 26); break;
        }
        o += strata_utf8__encode((uint8_t *)buf + o, cp);
    }
    return o;
}

static inline void rnd_num(uint64_t *rs, strata_num *n)
{
    memset(n, 0, sizeof *n);
    if (tu_below(rs, 10) == 0) return;
    n->sign = tu_below(rs, 2) ? 1 : -1;
    n->ndigits = (uint8_t)(1 + tu_below(rs, tu_below(rs, 3) ? 5 : 38));
    for (int i = 0; i < n->ndigits; i++) n->digits[i] = (uint8_t)tu_below(rs, 10);
    if (!n->digits[0]) n->digits[0] = 9;
    if (!n->digits[n->ndigits - 1]) n->digits[n->ndigits - 1] = 1;
    n->exp = (int16_t)(tu_below(rs, 4) == 0 ? STRATA_NUM_MIN_EXP + (int)tu_below(rs, 256) : (int)tu_below(rs, 12) - 3);
}

/* Add one random value to b. full: also binary and sets (not representable in plain JSON). */
static inline void rnd_value(uint64_t *rs, strata_doc_builder *b, int depth, int full)
{
    char txt[400];
    int kinds = full ? 10 : 7;
    int k = (int)tu_below(rs, depth >= 4 ? 4 : (uint64_t)kinds);
    switch (k) {
    case 0: assert_int_equal(strata_doc__b_null(b), 0); return;
    case 1: assert_int_equal(strata_doc__b_bool(b, (int)tu_below(rs, 2)), 0); return;
    case 2: {
        strata_num n;
        rnd_num(rs, &n);
        assert_int_equal(strata_doc__b_number(b, &n), 0);
        return;
    }
    case 3: {
        size_t l = rnd_text(rs, txt, 40);
        assert_int_equal(strata_doc__b_string(b, txt, l), 0);
        return;
    }
    case 4: { /* list */
        assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_LIST), 0);
        size_t n = tu_below(rs, 6);
        for (size_t i = 0; i < n; i++) rnd_value(rs, b, depth + 1, full);
        assert_int_equal(strata_doc__b_end(b), 0);
        return;
    }
    case 5: case 6: { /* map with unique random keys, added in random order */
        assert_int_equal(strata_doc__b_begin(b, STRATA_DOC_MAP), 0);
        size_t n = tu_below(rs, 7);
        char keys[8][200];
        size_t kl[8], got = 0;
        while (got < n) {
            kl[got] = rnd_text(rs, keys[got], 12);
            int dup = 0;
            for (size_t j = 0; j < got; j++) dup |= kl[j] == kl[got] && memcmp(keys[j], keys[got], kl[got]) == 0;
            if (!dup) got++;
        }
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(strata_doc__b_key(b, keys[i], kl[i]), 0);
            rnd_value(rs, b, depth + 1, full);
        }
        assert_int_equal(strata_doc__b_end(b), 0);
        return;
    }
    case 7: {
        size_t l = tu_below(rs, 30);
        for (size_t i = 0; i < l; i++) txt[i] = (char)tu_below(rs, 256);
        assert_int_equal(strata_doc__b_binary(b, txt, l), 0);
        return;
    }
    default: { /* a set of 1..6 distinct members */
        strata_doc_type t = k == 8 ? STRATA_DOC_SSET : STRATA_DOC_NSET;
        if (tu_below(rs, 3) == 0) t = STRATA_DOC_BSET;
        size_t n = 1 + tu_below(rs, 6);
        /* distinct by construction: a unique prefix byte/digit per member */
        assert_int_equal(strata_doc__b_begin(b, t), 0);
        for (size_t i = 0; i < n; i++) {
            if (t == STRATA_DOC_NSET) {
                strata_num v;
                rnd_num(rs, &v);
                strata_num idx;
                strata_num__from_i64(&idx, (int64_t)i * 1000003);
                /* i-th member: random small value + distinct offset */
                v.exp = (int16_t)(v.exp > 3 ? 3 : v.exp < -3 ? -3 : v.exp);
                v.sign = 1;
                if (v.ndigits == 0) { v.ndigits = 1; v.digits[0] = 5; }
                strata_num r;
                if (strata_num__add(&r, &idx, &v) != 0) r = idx;
                assert_int_equal(strata_doc__b_number(b, &r), 0);
            } else {
                size_t l = rnd_text(rs, txt + 1, 8) + 1;
                txt[0] = (char)('A' + i);
                if (t == STRATA_DOC_SSET) assert_int_equal(strata_doc__b_string(b, txt, l), 0);
                else assert_int_equal(strata_doc__b_binary(b, txt, l), 0);
            }
        }
        assert_int_equal(strata_doc__b_end(b), 0);
        return;
    }
    }
}

#endif
