/* SHA-256 through OpenSSL's EVP interface (it uses the CPU's SHA extensions), xxHash checksums,
 * and the public hex conversions of digests. */
#include "util/hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <xxhash.h>

#include "util/error.h"

/* One digest context per thread, created on first use and freed when the thread exits
 * (OpenSSL contexts are costly to create; reusing one makes small-object hashing faster). */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

/* The SHA-256 implementation, fetched once: passing EVP_sha256() to every EVP_DigestInit_ex
 * makes OpenSSL 3 look the algorithm up again on each call. */
static EVP_MD *sha256_md;

static void ctx_destroy(void *p) { EVP_MD_CTX_free(p); }
static void ctx_key_init(void)
{
    (void)pthread_key_create(&ctx_key, ctx_destroy);
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); /* NULL: fall back to EVP_sha256() */
}

static EVP_MD_CTX *ctx_get(void)
{
    pthread_once(&ctx_once, ctx_key_init);
    EVP_MD_CTX *c = pthread_getspecific(ctx_key);
    if (!c) {
        c = EVP_MD_CTX_new();
        if (c && pthread_setspecific(ctx_key, c) != 0) {
            EVP_MD_CTX_free(c);
            c = NULL;
        }
    }
    return c;
}

int strata_hash__sha256v(strata_oid *out, const strata_slice *parts, size_t n)
{
    EVP_MD_CTX *c = ctx_get();
    if (!c) return strata_err__set(STRATA_ENOMEM, "cannot allocate a SHA-256 context");
    unsigned int len = 0;
    if (EVP_DigestInit_ex(c, sha256_md ? sha256_md : EVP_sha256(), NULL) != 1) goto fail;
    for (size_t i = 0; i < n; i++)
        if (parts[i].len && EVP_DigestUpdate(c, parts[i].data, parts[i].len) != 1) goto fail;
    if (EVP_DigestFinal_ex(c, out->id, &len) != 1 || len != STRATA_OID_SIZE) goto fail;
    return 0;
fail:
    return strata_err__set(STRATA_ENOMEM, "SHA-256 failed inside libcrypto");
}

int strata_hash__object(strata_oid *out, uint8_t type, const void *data, size_t len)
{
    strata_slice parts[2] = {{&type, 1}, {data, len}};
    return strata_hash__sha256v(out, parts, 2);
}

uint64_t strata_hash__sum64(const void *data, size_t len, uint64_t seed)
{
    return XXH3_64bits_withSeed(data, len, seed);
}

uint32_t strata_hash__h32(const void *data, size_t len, uint32_t seed)
{
    return XXH32(data, len, seed);
}

void strata_oid_fmt(char out[STRATA_OID_HEXSIZE + 1], const strata_oid *oid)
{
    static const char hex[] = "0123456789abcdef";
    if (!out) return;
    if (!oid) { out[0] = '\0'; return; }
    for (int i = 0; i < STRATA_OID_SIZE; i++) {
        out[2 * i] = hex[oid->id[i] >> 4];
        out[2 * i + 1] = hex[oid->id[i] & 15];
    }
    out[STRATA_OID_HEXSIZE] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int strata_oid_parse(strata_oid *out, const char *hex)
{
    if (!out || !hex) return strata_err__set(STRATA_EINVALID, "strata_oid_parse: NULL argument");
    strata_oid tmp;
    for (int i = 0; i < STRATA_OID_SIZE; i++) {
        int hi = hexval(hex[2 * i]);
        int lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return strata_err__set(STRATA_EINVALID,
                                   "not a digest: expected 64 hex characters, bad character at %d",
                                   hi < 0 ? 2 * i : 2 * i + 1);
        tmp.id[i] = (unsigned char)(hi << 4 | lo);
    }
    if (hex[STRATA_OID_HEXSIZE] != '\0')
        return strata_err__set(STRATA_EINVALID, "not a digest: longer than 64 hex characters");
    *out = tmp;
    return 0;
}
