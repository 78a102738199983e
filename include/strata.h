/* strata — an embedded, versioned, content-addressed document database.
 *
 * This is the one public header. Conventions (shared/STYLE.md, docs/errors.md):
 *  - fallible functions return int: 0 on success, a negative STRATA_E… code on failure;
 *  - the out-parameter comes first and is named `out`;
 *  - details of the last failure on this thread: strata_error_last();
 *  - every function that returns memory says who owns it.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(STRATA_BUILDING) && defined(__GNUC__)
#define STRATA_API __attribute__((visibility("default")))
#else
#define STRATA_API
#endif

/* ---- version ---------------------------------------------------------------------------- */

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0
#define STRATA_VERSION_STRING "0.1.0"

/* The library's version string at run time (static storage). */
STRATA_API const char *strata_version(void);

/* ---- errors ----------------------------------------------------------------------------- */

enum {
    STRATA_OK = 0,
    STRATA_ENOTFOUND = -1,  /* no such entry, key, object, digest, tenant */
    STRATA_EEXISTS = -2,    /* already exists */
    STRATA_ECONFLICT = -3,  /* optimistic check failed: a head moved */
    STRATA_EINVALID = -4,   /* bad argument, bad input (JSON, name, expression), misuse */
    STRATA_EBUSY = -5,      /* locked by another writer */
    STRATA_ECORRUPT = -6,   /* data on disk fails a checksum or a structural check */
    STRATA_EVERSION = -7,   /* file written by an unknown format version */
    STRATA_ENOMEM = -8,     /* out of memory */
    STRATA_EIO = -9,        /* operating-system I/O failure */
    STRATA_ECONDITION = -10,/* a condition expression evaluated to false */
    STRATA_ITEROVER = -11,  /* an iterator has no more items (not a failure) */
    STRATA_ELIMIT = -12,    /* a size or depth limit was exceeded */
    STRATA_EPOISONED = -13  /* the transaction hit an error earlier; only abort works */
};

/* Details of the last failure on the calling thread. `message` is a one-line description
 * that names what was wrong; both stay valid until the next failing call on this thread. */
typedef struct strata_error {
    int code;
    const char *message;
} strata_error;

/* The calling thread's last error (never NULL; code 0 and "" when none was recorded). */
STRATA_API const strata_error *strata_error_last(void);

/* Forget the calling thread's last error. */
STRATA_API void strata_error_clear(void);

/* A short static description of an error code ("not found", …). */
STRATA_API const char *strata_strerror(int code);

/* ---- plain values ----------------------------------------------------------------------- */

/* A borrowed byte range. */
typedef struct strata_slice {
    const void *data;
    size_t len;
} strata_slice;

/* A SHA-256 object digest. */
#define STRATA_OID_SIZE 32
#define STRATA_OID_HEXSIZE 64
typedef struct strata_oid {
    unsigned char id[STRATA_OID_SIZE];
} strata_oid;

/* Write the 64 lowercase hex characters of `oid` and a NUL into `out` (65 bytes). */
STRATA_API void strata_oid_fmt(char out[STRATA_OID_HEXSIZE + 1], const strata_oid *oid);

/* Parse exactly 64 hex characters (either case) from `hex` into `out`.
 * Returns 0 or STRATA_EINVALID (with a message) when `hex` is not a digest. */
STRATA_API int strata_oid_parse(strata_oid *out, const char *hex);

/* ---- durability ------------------------------------------------------------------------- */

/* What a successful commit promises (docs/durability.md). */
typedef enum strata_durability {
    STRATA_DURABILITY_FULL = 0,   /* synced before the commit returns; survives power loss */
    STRATA_DURABILITY_NORMAL = 1, /* synced at intervals: never corrupt, may lose the last commits */
    STRATA_DURABILITY_OFF = 2     /* never synced by strata: survives a process crash only */
} strata_durability;

#ifdef __cplusplus
}
#endif

#endif /* STRATA_H */
