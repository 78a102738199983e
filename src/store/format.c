/* The object store's on-disk formats: encoders and verifying decoders for the STORE file,
 * segment headers, object and root records and index files, plus the segment scanner that
 * implements recovery (the essay is above strata_store__scan). Everything here works on byte
 * buffers or an abstract byte source, so the fuzz target can drive it without files. */
#include "store/store_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"
#include "util/mem.h"

/* ---- small helpers ---------------------------------------------------------------------- */

uint64_t strata_store__chain_next(uint64_t chain, uint64_t rec_sum)
{
    uint8_t b[8];
    strata_put_le64(b, rec_sum);
    return strata_hash__sum64(b, 8, chain);
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* ---- STORE file and segment header ------------------------------------------------------- */

static void encode_file_header(uint8_t *out, const char *magic, uint64_t v16)
{
    memcpy(out, magic, 8);
    strata_put_le32(out + 8, STORE_VERSION);
    strata_put_le32(out + 12, 0);
    strata_put_le64(out + 16, v16);
    strata_put_le64(out + 24, strata_hash__sum64(out, 24, 0));
}

/* Check a 32-byte header: magic, version, flags, checksum; *v16 receives bytes [16, 24). */
static int decode_file_header(const uint8_t *p, size_t avail, const char *magic, const char *what,
                              uint64_t *v16)
{
    if (avail < 32)
        return strata_err__set(STRATA_ECORRUPT, "%s: header truncated (%zu of 32 bytes)", what, avail);
    if (memcmp(p, magic, 8) != 0)
        return strata_err__set(STRATA_ECORRUPT, "%s: bad magic number (not a strata %s file)", what,
                               !strcmp(magic, SEG_MAGIC) ? "segment" : "store");
    if (strata_hash__sum64(p, 24, 0) != strata_le64(p + 24))
        return strata_err__set(STRATA_ECORRUPT, "%s: header checksum mismatch", what);
    uint32_t v = strata_le32(p + 8);
    if (v != STORE_VERSION)
        return strata_err__set(STRATA_EVERSION, "%s: unknown format version %u (this build reads %u)",
                               what, v, STORE_VERSION);
    if (strata_le32(p + 12) != 0)
        return strata_err__set(STRATA_EVERSION, "%s: unknown header flags 0x%x", what,
                               strata_le32(p + 12));
    if (v16) *v16 = strata_le64(p + 16);
    return 0;
}

void strata_store__encode_seg_header(uint8_t out[SEG_HDR_SIZE], uint64_t segno)
{
    encode_file_header(out, SEG_MAGIC, segno);
}

int strata_store__decode_seg_header(const uint8_t *p, size_t avail, const char *what,
                                    uint64_t *segno)
{
    return decode_file_header(p, avail, SEG_MAGIC, what, segno);
}

void strata_store__encode_store_file(uint8_t out[STORE_FILE_SIZE], uint64_t now)
{
    encode_file_header(out, STORE_MAGIC, now);
}

int strata_store__decode_store_file(const uint8_t *p, size_t avail, const char *what)
{
    return decode_file_header(p, avail, STORE_MAGIC, what, NULL);
}

/* ---- records ---------------------------------------------------------------------------- */

static uint32_t obj_header_check(const uint8_t *p)
{
    return (uint32_t)strata_hash__sum64(p + 8, 48, strata_le32(p));
}

void strata_store__encode_obj(uint8_t hdr[OBJ_HDR_SIZE], uint8_t type, uint8_t flags,
                              const strata_oid *oid, const void *payload, uint64_t stored_len,
                              uint64_t raw_len, uint64_t *sum)
{
    hdr[0] = 'O';
    hdr[1] = type;
    hdr[2] = flags;
    hdr[3] = 0;
    strata_put_le64(hdr + 8, stored_len);
    strata_put_le64(hdr + 16, raw_len);
    memcpy(hdr + 24, oid->id, STRATA_OID_SIZE);
    strata_put_le32(hdr + 4, obj_header_check(hdr));
    uint64_t s = strata_hash__sum64(payload, (size_t)stored_len, strata_hash__sum64(hdr, 56, 0));
    strata_put_le64(hdr + 56, s);
    if (sum) *sum = s;
}

int strata_store__decode_obj_header(const uint8_t *p, size_t avail, store_rec *out)
{
    memset(out, 0, sizeof *out);
    if (avail < OBJ_HDR_SIZE)
        return strata_err__set(STRATA_ECORRUPT, "object record header truncated (%zu of %d bytes)",
                               avail, OBJ_HDR_SIZE);
    if (p[0] != 'O') return strata_err__set(STRATA_ECORRUPT, "not an object record (kind 0x%02x)", p[0]);
    if (obj_header_check(p) != strata_le32(p + 4))
        return strata_err__set(STRATA_ECORRUPT, "object record header check mismatch");
    uint8_t flags = p[2];
    uint64_t stored = strata_le64(p + 8), raw = strata_le64(p + 16);
    if ((flags & ~OBJ_FLAG_ZSTD) || p[3] != 0)
        return strata_err__set(STRATA_ECORRUPT, "object record has unknown flags 0x%02x", flags);
    if (stored > STORE_MAX_OBJECT || raw > STORE_MAX_OBJECT)
        return strata_err__set(STRATA_ECORRUPT, "object record length %llu too large",
                               (unsigned long long)(stored > raw ? stored : raw));
    if (!(flags & OBJ_FLAG_ZSTD) && stored != raw)
        return strata_err__set(STRATA_ECORRUPT, "uncompressed object record with stored length %llu "
                               "!= raw length %llu", (unsigned long long)stored, (unsigned long long)raw);
    if ((flags & OBJ_FLAG_ZSTD) && (stored == 0 || stored >= raw))
        return strata_err__set(STRATA_ECORRUPT, "compressed object record does not shrink "
                               "(%llu -> %llu)", (unsigned long long)raw, (unsigned long long)stored);
    out->kind = 'O';
    out->type = p[1];
    out->flags = flags;
    out->stored_len = stored;
    out->raw_len = raw;
    out->size = OBJ_HDR_SIZE + stored;
    out->sum = strata_le64(p + 56);
    memcpy(out->oid.id, p + 24, STRATA_OID_SIZE);
    return 0;
}

int strata_store__check_obj_payload(const uint8_t *hdr, const uint8_t *payload,
                                    const store_rec *rec)
{
    uint64_t s = strata_hash__sum64(payload, (size_t)rec->stored_len, strata_hash__sum64(hdr, 56, 0));
    if (s != rec->sum) return strata_err__set(STRATA_ECORRUPT, "object record checksum mismatch");
    return 0;
}

size_t strata_store__encode_root(uint8_t *out, const char *name, size_t name_len,
                                 const strata_oid *root, uint64_t batch_start, uint64_t synced_upto,
                                 uint64_t batch_sum, uint64_t seq)
{
    memset(out, 0, ROOT_FIXED);
    out[0] = name_len ? 'R' : 'C';
    out[1] = (uint8_t)name_len;
    strata_put_le64(out + 8, batch_start);
    strata_put_le64(out + 16, synced_upto);
    strata_put_le64(out + 24, batch_sum);
    strata_put_le64(out + 32, seq);
    memcpy(out + 40, root->id, STRATA_OID_SIZE);
    memcpy(out + 72, name, name_len);
    strata_put_le64(out + 72 + name_len, strata_hash__sum64(out, 72 + name_len, 0));
    return ROOT_FIXED + name_len;
}

int strata_store__decode_root(const uint8_t *p, size_t avail, store_rec *out)
{
    memset(out, 0, sizeof *out);
    if (avail < 2) return strata_err__set(STRATA_ECORRUPT, "root record truncated");
    if (p[0] != 'R' && p[0] != 'C')
        return strata_err__set(STRATA_ECORRUPT, "not a root record (kind 0x%02x)", p[0]);
    size_t n = p[1];
    if (p[0] == 'R' && n == 0) return strata_err__set(STRATA_ECORRUPT, "root record with an empty name");
    if (p[0] == 'C' && n != 0) return strata_err__set(STRATA_ECORRUPT, "checkpoint record with a name");
    if (avail < ROOT_FIXED + n)
        return strata_err__set(STRATA_ECORRUPT, "root record truncated (%zu of %zu bytes)", avail,
                               ROOT_FIXED + n);
    if (strata_hash__sum64(p, 72 + n, 0) != strata_le64(p + 72 + n))
        return strata_err__set(STRATA_ECORRUPT, "root record checksum mismatch");
    if (!all_zero(p + 2, 6)) return strata_err__set(STRATA_ECORRUPT, "root record reserved bytes set");
    if (memchr(p + 72, 0, n)) return strata_err__set(STRATA_ECORRUPT, "root record name contains NUL");
    out->kind = p[0];
    out->name_len = (uint8_t)n;
    out->name = p + 72;
    out->batch_start = strata_le64(p + 8);
    out->synced_upto = strata_le64(p + 16);
    out->batch_sum = strata_le64(p + 24);
    out->seq = strata_le64(p + 32);
    memcpy(out->oid.id, p + 40, STRATA_OID_SIZE);
    out->size = ROOT_FIXED + n;
    out->sum = strata_le64(p + 72 + n);
    return 0;
}

int strata_store__decode_record(const uint8_t *p, size_t avail, store_rec *out)
{
    if (avail == 0) return strata_err__set(STRATA_ECORRUPT, "empty record");
    if (p[0] == 'R' || p[0] == 'C') return strata_store__decode_root(p, avail, out);
    int rc = strata_store__decode_obj_header(p, avail, out);
    if (rc) return rc;
    if (avail - OBJ_HDR_SIZE < out->stored_len)
        return strata_err__set(STRATA_ECORRUPT, "object record payload truncated");
    return strata_store__check_obj_payload(p, p + OBJ_HDR_SIZE, out);
}

/* ---- payloads: zstd through the strata allocator ----------------------------------------- */

void *strata_store__zalloc(void *opaque, size_t n)
{
    (void)opaque;
    return strata_mem__alloc(n);
}

void strata_store__zfree(void *opaque, void *p)
{
    (void)opaque;
    strata_mem__free(p);
}

static const ZSTD_customMem zmem = {strata_store__zalloc, strata_store__zfree, NULL};

/* A small pool of decompression contexts shared by all stores (creating one costs ~100 KiB). */
#define DCTX_POOL 8
static pthread_mutex_t dpool_mu = PTHREAD_MUTEX_INITIALIZER;
static ZSTD_DCtx *dpool[DCTX_POOL];
static int ndpool;

static ZSTD_DCtx *dctx_take(void)
{
    ZSTD_DCtx *d = NULL;
    pthread_mutex_lock(&dpool_mu);
    if (ndpool) d = dpool[--ndpool];
    pthread_mutex_unlock(&dpool_mu);
    if (!d) d = ZSTD_createDCtx_advanced(zmem);
    return d;
}

static void dctx_give(ZSTD_DCtx *d)
{
    pthread_mutex_lock(&dpool_mu);
    if (ndpool < DCTX_POOL) {
        dpool[ndpool++] = d;
        d = NULL;
    }
    pthread_mutex_unlock(&dpool_mu);
    ZSTD_freeDCtx(d);
}

int strata_store__inflate_payload(const store_rec *rec, const uint8_t *payload, uint8_t **out)
{
    *out = NULL;
    uint8_t *buf = strata_mem__alloc((size_t)rec->raw_len);
    if (!buf) return STRATA_ENOMEM;
    int rc = 0;
    if (rec->flags & OBJ_FLAG_ZSTD) {
        ZSTD_DCtx *d = dctx_take();
        if (!d) {
            rc = strata_err__set(STRATA_ENOMEM, "cannot allocate a zstd decompression context");
            goto done;
        }
        size_t r = ZSTD_decompressDCtx(d, buf, (size_t)rec->raw_len, payload, (size_t)rec->stored_len);
        dctx_give(d);
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
                rc = strata_err__set(STRATA_ENOMEM, "zstd: out of memory decompressing an object");
            else
                rc = strata_err__set(STRATA_ECORRUPT, "compressed object does not decompress: %s",
                                     ZSTD_getErrorName(r));
            goto done;
        }
        if (r != rec->raw_len) {
            rc = strata_err__set(STRATA_ECORRUPT, "compressed object decompresses to %zu bytes, "
                                 "record says %llu", r, (unsigned long long)rec->raw_len);
            goto done;
        }
    } else if (rec->raw_len) {
        memcpy(buf, payload, (size_t)rec->raw_len);
    }
done:
    if (rc) strata_mem__free(buf);
    else *out = buf;
    return rc;
}

int strata_store__decode_payload(const store_rec *rec, const uint8_t *payload, uint8_t **out)
{
    int rc = strata_store__inflate_payload(rec, payload, out);
    if (rc) return rc;
    strata_oid got;
    rc = strata_hash__object(&got, rec->type, *out, (size_t)rec->raw_len);
    if (rc == 0 && strata_oid__cmp(&got, &rec->oid) != 0) {
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, &rec->oid);
        rc = strata_err__set(STRATA_ECORRUPT, "object %s does not hash to its digest", hex);
    }
    if (rc) {
        strata_mem__free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- index files ------------------------------------------------------------------------ */

static int ent_cmp(const void *a, const void *b)
{
    return memcmp(((const store_ent *)a)->oid.id, ((const store_ent *)b)->oid.id, STRATA_OID_SIZE);
}

int strata_store__build_index(uint8_t **out, size_t *out_len, uint64_t segno, uint64_t seg_len,
                              store_ent *ents, size_t n, const store_root_ent *roots, size_t nroots,
                              uint64_t seq, uint64_t dead, uint64_t raw_bytes)
{
    *out = NULL;
    *out_len = 0;
    size_t rlen = 0;
    for (size_t i = 0; i < nroots; i++) rlen += 1 + roots[i].len + 32 + 8 + 4;
    size_t blen = strata_store__bloom_bytes(n);
    size_t total = IDX_DIGESTS_OFF + 40 * n + rlen + blen + 8;
    uint8_t *p = strata_mem__calloc(1, total);
    if (!p) return STRATA_ENOMEM;
    if (n) qsort(ents, n, sizeof *ents, ent_cmp);
    memcpy(p, IDX_MAGIC, 8);
    strata_put_le32(p + 8, STORE_VERSION);
    strata_put_le64(p + 16, segno);
    strata_put_le64(p + 24, seg_len);
    strata_put_le64(p + 32, n);
    strata_put_le64(p + 40, nroots);
    strata_put_le64(p + 48, rlen);
    strata_put_le64(p + 56, seq);
    strata_put_le64(p + 64, dead);
    strata_put_le64(p + 72, raw_bytes);
    strata_put_le64(p + 80, blen);
    uint32_t counts[256] = {0};
    for (size_t i = 0; i < n; i++) counts[ents[i].oid.id[0]]++;
    uint32_t cum = 0;
    for (int b = 0; b < 256; b++) {
        cum += counts[b];
        strata_put_le32(p + IDX_FANOUT_OFF + 4 * b, cum);
    }
    uint8_t *dg = p + IDX_DIGESTS_OFF, *of = dg + 32 * n, *r = of + 8 * n;
    for (size_t i = 0; i < n; i++) {
        memcpy(dg + 32 * i, ents[i].oid.id, 32);
        strata_put_le64(of + 8 * i, ents[i].off);
    }
    for (size_t i = 0; i < nroots; i++) {
        *r++ = (uint8_t)roots[i].len;
        memcpy(r, roots[i].name, roots[i].len);
        r += roots[i].len;
        memcpy(r, roots[i].oid.id, 32);
        r += 32;
        strata_put_le64(r, roots[i].seq);
        r += 8;
        strata_put_le32(r, roots[i].rec_size);
        r += 4;
    }
    for (size_t i = 0; i < n; i++) strata_store__bloom_add(r, blen, &ents[i].oid);
    r += blen;
    strata_put_le64(r, strata_hash__sum64(p, total - 8, 0));
    *out = p;
    *out_len = total;
    return 0;
}

int strata_store__decode_index(const uint8_t *p, size_t len, const char *what, store_idx *out)
{
    memset(out, 0, sizeof *out);
    if (len < IDX_DIGESTS_OFF + 8)
        return strata_err__set(STRATA_ECORRUPT, "%s: index truncated (%zu bytes)", what, len);
    if (memcmp(p, IDX_MAGIC, 8) != 0)
        return strata_err__set(STRATA_ECORRUPT, "%s: bad magic number (not a strata index)", what);
    uint32_t v = strata_le32(p + 8);
    if (v != STORE_VERSION)
        return strata_err__set(STRATA_EVERSION, "%s: unknown index format version %u", what, v);
    if (strata_le32(p + 12) != 0 || !all_zero(p + 88, 8))
        return strata_err__set(STRATA_ECORRUPT, "%s: reserved index header bytes set", what);
    uint64_t n = strata_le64(p + 32), nroots = strata_le64(p + 40), rlen = strata_le64(p + 48);
    uint64_t blen = strata_le64(p + 80);
    if (n > len / 40 || rlen > len || nroots > rlen || blen > len ||
        (blen && blen != strata_store__bloom_bytes((size_t)n)) ||
        (uint64_t)IDX_DIGESTS_OFF + 40 * n + rlen + blen + 8 != len)
        return strata_err__set(STRATA_ECORRUPT, "%s: index sizes do not match the file length", what);
    if (strata_hash__sum64(p, len - 8, 0) != strata_le64(p + len - 8))
        return strata_err__set(STRATA_ECORRUPT, "%s: index checksum mismatch", what);
    out->base = p;
    out->len = len;
    out->segno = strata_le64(p + 16);
    out->seg_len = strata_le64(p + 24);
    out->count = n;
    out->nroots = nroots;
    out->roots_len = rlen;
    out->seq = strata_le64(p + 56);
    out->dead = strata_le64(p + 64);
    out->raw_bytes = strata_le64(p + 72);
    out->fanout = p + IDX_FANOUT_OFF;
    out->digests = p + IDX_DIGESTS_OFF;
    out->offsets = out->digests + 32 * n;
    out->roots = out->offsets + 8 * n;
    out->bloom = out->roots + rlen;
    out->bloom_len = (size_t)blen;
    /* fan-out is cumulative and agrees with the digests' first bytes */
    uint64_t prev = 0;
    for (int b = 0; b < 256; b++) {
        uint64_t c = strata_le32(out->fanout + 4 * b);
        if (c < prev || c > n) return strata_err__set(STRATA_ECORRUPT, "%s: bad fan-out table", what);
        for (uint64_t i = prev; i < c; i++)
            if (out->digests[32 * i] != b)
                return strata_err__set(STRATA_ECORRUPT, "%s: fan-out disagrees with digest %llu", what,
                                       (unsigned long long)i);
        prev = c;
    }
    if (prev != n) return strata_err__set(STRATA_ECORRUPT, "%s: fan-out total != object count", what);
    for (uint64_t i = 1; i < n; i++)
        if (memcmp(out->digests + 32 * (i - 1), out->digests + 32 * i, 32) >= 0)
            return strata_err__set(STRATA_ECORRUPT, "%s: digests not strictly ascending at %llu", what,
                                   (unsigned long long)i);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t o = strata_le64(out->offsets + 8 * i);
        if (o < SEG_HDR_SIZE || out->seg_len < OBJ_HDR_SIZE || o > out->seg_len - OBJ_HDR_SIZE)
            return strata_err__set(STRATA_ECORRUPT, "%s: object offset %llu outside the segment", what,
                                   (unsigned long long)o);
    }
    const uint8_t *r = out->roots, *end = out->roots + rlen;
    for (uint64_t i = 0; i < nroots; i++) {
        if (r >= end || *r == 0 || (size_t)(end - r) < (size_t)1 + *r + 44u)
            return strata_err__set(STRATA_ECORRUPT, "%s: malformed roots table", what);
        if (memchr(r + 1, 0, *r)) return strata_err__set(STRATA_ECORRUPT, "%s: root name has NUL", what);
        r += 1 + *r + 44;
    }
    if (r != end) return strata_err__set(STRATA_ECORRUPT, "%s: roots table length mismatch", what);
    return 0;
}

/* ---- Bloom filter of an index: 10 bits per object, 7 probes (about 1 % false positives), by
 * double hashing on two words of the digest (digests are uniformly random, so no rehash is
 * needed). It lets a put of a new object skip the binary search in every sealed index. */

#define BLOOM_PROBES 7

size_t strata_store__bloom_bytes(size_t n) { return n ? (n * 10 + 7) / 8 : 0; }

static void bloom_hashes(const strata_oid *oid, uint64_t *h1, uint64_t *h2)
{
    *h1 = strata_le64(oid->id + 8);
    *h2 = strata_le64(oid->id + 16) | 1;
}

void strata_store__bloom_add(uint8_t *bits, size_t len, const strata_oid *oid)
{
    if (!len) return;
    uint64_t h1, h2, m = (uint64_t)len * 8;
    bloom_hashes(oid, &h1, &h2);
    for (int i = 0; i < BLOOM_PROBES; i++) {
        uint64_t b = (h1 + (uint64_t)i * h2) % m;
        bits[b >> 3] |= (uint8_t)(1u << (b & 7));
    }
}

static int bloom_may_have(const uint8_t *bits, size_t len, const strata_oid *oid)
{
    if (!len) return 1;
    uint64_t h1, h2, m = (uint64_t)len * 8;
    bloom_hashes(oid, &h1, &h2);
    for (int i = 0; i < BLOOM_PROBES; i++) {
        uint64_t b = (h1 + (uint64_t)i * h2) % m;
        if (!(bits[b >> 3] & (1u << (b & 7)))) return 0;
    }
    return 1;
}

int strata_store__idx_find(const store_idx *ix, const strata_oid *oid, uint64_t *off)
{
    if (!bloom_may_have(ix->bloom, ix->bloom_len, oid)) return 0;
    uint8_t b = oid->id[0];
    uint64_t lo = b ? strata_le32(ix->fanout + 4 * (b - 1)) : 0;
    uint64_t hi = strata_le32(ix->fanout + 4 * b);
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int c = memcmp(ix->digests + 32 * mid, oid->id, 32);
        if (c == 0) {
            *off = strata_le64(ix->offsets + 8 * mid);
            return 1;
        }
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

int strata_store__idx_roots(const store_idx *ix,
                            int (*cb)(const uint8_t *name, size_t n, const strata_oid *oid, uint64_t seq, uint32_t rec_size, void *payload),
                            void *payload)
{
    const uint8_t *r = ix->roots;
    for (uint64_t i = 0; i < ix->nroots; i++) {
        size_t n = *r;
        strata_oid oid;
        memcpy(oid.id, r + 1 + n, 32);
        int rc = cb(r + 1, n, &oid, strata_le64(r + 1 + n + 32), strata_le32(r + 1 + n + 40), payload);
        if (rc) return rc;
        r += 1 + n + 44;
    }
    return 0;
}

/* ---- segment scanning: recovery ---------------------------------------------------------
 *
 * The active segment is a log of batches. A batch is every object record written since the
 * previous root record, closed by a root record that carries (a) the offset where the batch
 * began, (b) a chain over the checksums of all its records and (c) how many bytes of the
 * segment the writer knew to be durable when it wrote the record. Under FULL durability a
 * publish syncs once, after its root record, so a root record is durable only together with
 * every byte before it.
 *
 * After a power loss the unsynced tail may be cut anywhere and, in the kept part, garbled.
 * Scanning from the front, every record is checked on its own (header check, record checksum)
 * and every root record also checks its batch. The first byte X that does not verify starts
 * one of two situations:
 *   - a torn tail: X lies in bytes that were never known durable. Nothing after X was promised
 *     to anyone, so recovery cuts the file at X. Verifying records after X may exist (a garbled
 *     record in the middle of an unsynced batch), and root records after X may even verify, but
 *     none of them claims that X was durable;
 *   - corruption: some verifying root record after X says the segment was durable beyond X
 *     (its synced-up-to field > X). Then bytes that had reached the disk changed afterwards:
 *     refuse, naming the file and both offsets, and leave the bytes alone for repair.
 * The claim is what separates the two: under FULL, the batch after a damaged acknowledged batch
 * always claims it (its publisher synced before returning), so "damage followed by a complete,
 * verifying later batch" is corruption; under NORMAL, batches written between syncs claim only
 * what was synced, so a power loss that reorders unsynced writes is still a torn tail.
 * Sealed segments were synced whole before their index was written: any damage is corruption. */

static int src_read(const store_src *src, uint64_t off, size_t want, const uint8_t **p, size_t *got)
{
    if (off >= src->size) {
        *p = NULL;
        *got = 0;
        return 0;
    }
    if (want > src->size - off) want = (size_t)(src->size - off);
    return src->read(src->ctx, off, want, p, got);
}

/* Search (x, size) for a verifying root record whose synced-up-to field exceeds x. Returns 1 and
 * its offset in *at, 0 when none, or a read error. */
static int find_claim(const store_src *src, uint64_t x, uint64_t *at, uint64_t *claim)
{
    const size_t chunk = 1 << 20;
    uint64_t pos = x + 1;
    while (pos + ROOT_FIXED <= src->size) {
        const uint8_t *p;
        size_t got;
        int rc = src_read(src, pos, chunk, &p, &got);
        if (rc) return rc;
        if (got < ROOT_FIXED) break;
        size_t i = 0;
        for (; i + ROOT_FIXED <= got; i++) {
            if (p[i] != 'R' && p[i] != 'C') continue;
            size_t need = ROOT_FIXED + p[i + 1];
            if (i + need > got) {
                if (pos + i + need > src->size) continue; /* cannot be complete */
                break; /* straddles the chunk: re-read from here */
            }
            store_rec r;
            if (strata_store__decode_root(p + i, need, &r) == 0 && r.synced_upto > x &&
                r.synced_upto <= pos + i) {
                *at = pos + i;
                *claim = r.synced_upto;
                return 1;
            }
        }
        if (i == 0) break; /* chunk smaller than one root record; nothing more fits */
        pos += i;
    }
    strata_error_clear();
    return 0;
}

int strata_store__scan(const store_src *src, store_scan_state *st, int flags, store_rec_cb cb,
                       void *payload, int *torn)
{
    *torn = 0;
    char why[160] = "";
    while (st->off < src->size) {
        uint64_t x = st->off;
        const uint8_t *p;
        size_t got;
        store_rec r;
        int rc = src_read(src, x, OBJ_HDR_SIZE, &p, &got);
        if (rc) return rc;
        if (got == 0) {
            strata_err__set(STRATA_ECORRUPT, "file shorter than expected");
            goto bad;
        }
        if (p[0] == 'O') {
            if (strata_store__decode_obj_header(p, got, &r)) goto bad;
            if (r.size > src->size - x) {
                strata_err__set(STRATA_ECORRUPT, "object record runs past the end of the file");
                goto bad;
            }
            rc = src_read(src, x, (size_t)r.size, &p, &got);
            if (rc) return rc;
            if (got < r.size || strata_store__check_obj_payload(p, p + OBJ_HDR_SIZE, &r)) goto bad;
            if (cb && (rc = cb(&r, x, p, payload)) != 0) return rc;
            st->chain = strata_store__chain_next(st->chain, r.sum);
            st->off = x + r.size;
        } else if (p[0] == 'R' || p[0] == 'C') {
            size_t need = got >= 2 ? ROOT_FIXED + p[1] : ROOT_FIXED;
            rc = src_read(src, x, need, &p, &got);
            if (rc) return rc;
            if (strata_store__decode_root(p, got, &r)) goto bad;
            if (r.batch_start != st->batch_start || r.batch_sum != st->chain) {
                strata_err__set(STRATA_ECORRUPT, "root record's batch (from offset %llu) does not "
                                "verify", (unsigned long long)r.batch_start);
                goto bad;
            }
            if (r.synced_upto > x) {
                strata_err__set(STRATA_ECORRUPT, "root record claims durability past itself");
                goto bad;
            }
            if (cb && (rc = cb(&r, x, p, payload)) != 0) return rc;
            st->off = x + r.size;
            st->batch_start = st->off;
            st->chain = strata_store__chain_init(st->off);
        } else {
            strata_err__set(STRATA_ECORRUPT, "unknown record kind 0x%02x", p[0]);
            goto bad;
        }
    }
    return 0;
bad:
    snprintf(why, sizeof why, "%s", strata_error_last()->message);
    if (flags & SCAN_SEALED)
        return strata_err__set(STRATA_ECORRUPT, "%s: damaged record at offset %llu in a sealed "
                               "segment: %s", src->what, (unsigned long long)st->off, why);
    uint64_t at = 0, claim = 0;
    int rc = find_claim(src, st->off, &at, &claim);
    if (rc < 0) return rc;
    if (rc == 1)
        return strata_err__set(STRATA_ECORRUPT, "%s: damaged record at offset %llu (%s), but the "
                               "root record at offset %llu shows the file was durable up to %llu; "
                               "run repair", src->what, (unsigned long long)st->off, why,
                               (unsigned long long)at, (unsigned long long)claim);
    *torn = 1;
    return 0;
}

int strata_store__memsrc_read(void *ctx, uint64_t off, size_t want, const uint8_t **out,
                              size_t *got)
{
    const store_memsrc *m = ctx;
    if (off >= m->len) {
        *out = NULL;
        *got = 0;
        return 0;
    }
    size_t avail = m->len - (size_t)off;
    *out = m->p + off;
    *got = want < avail ? want : avail;
    return 0;
}

int strata_store__decode_segment(const uint8_t *p, size_t len, int flags, store_rec_cb cb,
                                 void *payload, store_scan_state *st, int *torn)
{
    int rc = strata_store__decode_seg_header(p, len, "segment", NULL);
    if (rc) return rc;
    store_memsrc m = {p, len};
    store_src src = {strata_store__memsrc_read, &m, len, "segment"};
    st->off = SEG_HDR_SIZE;
    st->batch_start = SEG_HDR_SIZE;
    st->chain = strata_store__chain_init(SEG_HDR_SIZE);
    return strata_store__scan(&src, st, flags, cb, payload, torn);
}
