/* Binary encoding of entry commits ('C'), tenant manifests ('M') and manifest entries (kind ‖
 * head digest), incarnation ids and commit times. The floor of src/db: calls nothing above it.
 * Byte tables: docs/format.md, "Commits" and "Manifests". Decoders treat their input as
 * untrusted: every length is checked against the end of the buffer. */
#include "db/db_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/mem.h"

/* ---- encoding --------------------------------------------------------------------------- */

static int put_str(strata_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    int rc = strata_buf__put_varint(b, n);
    return rc ? rc : strata_buf__append(b, s, n);
}

static int put_time(strata_buf *b, int64_t t, int tz)
{
    int rc = strata_buf__put_u64le(b, (uint64_t)t);
    if (rc) return rc;
    uint8_t z[2] = {(uint8_t)((uint16_t)(int16_t)tz), (uint8_t)((uint16_t)(int16_t)tz >> 8)};
    return strata_buf__append(b, z, 2);
}

int strata_db__commit_encode(strata_buf *b, const strata_commit_rec *c)
{
    int rc;
    if ((rc = strata_buf__putc(b, STRATA_COMMIT_FORMAT)) || (rc = strata_buf__putc(b, c->kind)) ||
        (rc = put_str(b, c->tenant)) || (rc = strata_buf__append(b, c->incarnation, STRATA_INCARNATION_SIZE)) ||
        (rc = put_str(b, c->entry)) ||
        (rc = strata_buf__append(b, c->data.id, 32)) || (rc = strata_buf__put_varint(b, c->nparents)))
        return rc;
    for (size_t i = 0; i < c->nparents; i++)
        if ((rc = strata_buf__append(b, c->parents[i].id, 32))) return rc;
    if ((rc = strata_buf__put_varint(b, c->generation)) || (rc = put_time(b, c->time_us, c->tz_offset_min)) ||
        (rc = put_str(b, c->user)) || (rc = put_str(b, c->message)) || (rc = put_str(b, c->origin)) ||
        (rc = put_str(b, c->operation)) || (rc = put_str(b, c->pk)) || (rc = put_str(b, c->sk)) ||
        (rc = put_str(b, c->ttl)))
        return rc;
    return 0;
}

int strata_db__manifest_encode(strata_buf *b, const strata_manifest *m)
{
    int rc;
    if ((rc = strata_buf__putc(b, STRATA_MANIFEST_FORMAT)) || (rc = strata_buf__put_varint(b, m->flags)) ||
        (rc = put_str(b, m->tenant)) || (rc = strata_buf__append(b, m->incarnation, STRATA_INCARNATION_SIZE)) ||
        (rc = strata_buf__put_varint(b, m->nparents)))
        return rc;
    if (m->nparents && (rc = strata_buf__append(b, m->parent.id, 32))) return rc;
    if ((rc = strata_buf__append(b, m->entries.id, 32)) || (rc = strata_buf__put_varint(b, m->generation)) ||
        (rc = put_time(b, m->time_us, m->tz_offset_min)) || (rc = put_str(b, m->user)) ||
        (rc = put_str(b, m->message)) || (rc = put_str(b, m->origin)) || (rc = put_str(b, m->operation)))
        return rc;
    return 0;
}

/* ---- decoding --------------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p, *end;
    const char *what; /* "commit" / "manifest", for messages */
} rd;

static int bad(rd *r, const char *field)
{
    return strata_err__set(STRATA_ECORRUPT, "malformed %s object: bad %s", r->what, field);
}

static int get_byte(rd *r, uint8_t *v, const char *field)
{
    if (r->p >= r->end) return bad(r, field);
    *v = *r->p++;
    return 0;
}

static int get_varint(rd *r, uint64_t *v, const char *field)
{
    size_t n = strata_varint__decode(r->p, r->end, v);
    if (!n) return bad(r, field);
    r->p += n;
    return 0;
}

static int get_bytes(rd *r, void *out, size_t n, const char *field)
{
    if ((size_t)(r->end - r->p) < n) return bad(r, field);
    memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

static int get_str(rd *r, char **out, const char *field)
{
    uint64_t n;
    int rc = get_varint(r, &n, field);
    if (rc) return rc;
    if (n > (uint64_t)(r->end - r->p)) return bad(r, field);
    if (memchr(r->p, 0, (size_t)n)) return bad(r, field);
    *out = strata_mem__strndup((const char *)r->p, (size_t)n);
    if (!*out) return STRATA_ENOMEM;
    r->p += n;
    return 0;
}

static int get_time(rd *r, int64_t *t, int *tz)
{
    uint8_t b[10] = {0};
    int rc = get_bytes(r, b, 10, "time");
    if (rc) return rc;
    *t = (int64_t)strata_le64(b);
    *tz = (int16_t)(uint16_t)(b[8] | b[9] << 8);
    if (*tz < -24 * 60 || *tz > 24 * 60) return bad(r, "time zone offset");
    return 0;
}

void strata_db__commit_clear(strata_commit_rec *c)
{
    char **s[] = {&c->tenant, &c->entry, &c->user, &c->message, &c->origin, &c->operation,
                  &c->pk, &c->sk, &c->ttl};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        strata_mem__free(*s[i]);
        *s[i] = NULL;
    }
}

void strata_db__manifest_clear(strata_manifest *m)
{
    char **s[] = {&m->tenant, &m->user, &m->message, &m->origin, &m->operation};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        strata_mem__free(*s[i]);
        *s[i] = NULL;
    }
}

int strata_db__commit_decode(strata_commit_rec *c, const uint8_t *p, size_t len)
{
    rd r = {p, p + len, "commit"};
    uint8_t ver = 0;
    uint64_t np = 0;
    int rc;
    memset(c, 0, sizeof *c);
    if ((rc = get_byte(&r, &ver, "format version"))) goto fail;
    if (ver != STRATA_COMMIT_FORMAT) {
        rc = strata_err__set(STRATA_EVERSION, "commit object of unknown format version %u", ver);
        goto fail;
    }
    if ((rc = get_byte(&r, &c->kind, "kind"))) goto fail;
    if (c->kind < STRATA_ENTRY_DOCUMENT || c->kind > STRATA_ENTRY_TABLE) { rc = bad(&r, "kind"); goto fail; }
    if ((rc = get_str(&r, &c->tenant, "tenant")) ||
        (rc = get_bytes(&r, c->incarnation, STRATA_INCARNATION_SIZE, "incarnation")) ||
        (rc = get_str(&r, &c->entry, "entry")) ||
        (rc = get_bytes(&r, c->data.id, 32, "data digest")) || (rc = get_varint(&r, &np, "parent count")))
        goto fail;
    if (np > 2) { rc = bad(&r, "parent count"); goto fail; }
    c->nparents = (size_t)np;
    for (size_t i = 0; i < c->nparents; i++)
        if ((rc = get_bytes(&r, c->parents[i].id, 32, "parent digest"))) goto fail;
    if ((rc = get_varint(&r, &c->generation, "generation")) || (rc = get_time(&r, &c->time_us, &c->tz_offset_min)) ||
        (rc = get_str(&r, &c->user, "user")) || (rc = get_str(&r, &c->message, "message")) ||
        (rc = get_str(&r, &c->origin, "origin")) || (rc = get_str(&r, &c->operation, "operation")) ||
        (rc = get_str(&r, &c->pk, "partition key")) || (rc = get_str(&r, &c->sk, "sort key")) ||
        (rc = get_str(&r, &c->ttl, "ttl attribute")))
        goto fail;
    if (c->generation == 0 || (c->nparents == 0) != (c->generation == 1)) { rc = bad(&r, "generation"); goto fail; }
    if (r.p != r.end) { rc = bad(&r, "length (trailing bytes)"); goto fail; }
    return 0;
fail:
    strata_db__commit_clear(c);
    return rc;
}

int strata_db__manifest_decode(strata_manifest *m, const uint8_t *p, size_t len)
{
    rd r = {p, p + len, "manifest"};
    uint8_t ver = 0;
    uint64_t flags = 0, np = 0;
    int rc;
    memset(m, 0, sizeof *m);
    if ((rc = get_byte(&r, &ver, "format version"))) goto fail;
    if (ver != STRATA_MANIFEST_FORMAT) {
        rc = strata_err__set(STRATA_EVERSION, "manifest object of unknown format version %u", ver);
        goto fail;
    }
    if ((rc = get_varint(&r, &flags, "flags"))) goto fail;
    if (flags & ~(uint64_t)STRATA_MANIFEST_DROPPED) { rc = bad(&r, "flags"); goto fail; }
    m->flags = (uint32_t)flags;
    if ((rc = get_str(&r, &m->tenant, "tenant")) ||
        (rc = get_bytes(&r, m->incarnation, STRATA_INCARNATION_SIZE, "incarnation")) ||
        (rc = get_varint(&r, &np, "parent count")))
        goto fail;
    if (np > 1) { rc = bad(&r, "parent count"); goto fail; }
    m->nparents = (size_t)np;
    if (np && (rc = get_bytes(&r, m->parent.id, 32, "parent digest"))) goto fail;
    if ((rc = get_bytes(&r, m->entries.id, 32, "entries root")) ||
        (rc = get_varint(&r, &m->generation, "generation")) || (rc = get_time(&r, &m->time_us, &m->tz_offset_min)) ||
        (rc = get_str(&r, &m->user, "user")) || (rc = get_str(&r, &m->message, "message")) ||
        (rc = get_str(&r, &m->origin, "origin")) || (rc = get_str(&r, &m->operation, "operation")))
        goto fail;
    if (m->generation == 0 || (m->nparents == 0) != (m->generation == 1)) { rc = bad(&r, "generation"); goto fail; }
    if (r.p != r.end) { rc = bad(&r, "length (trailing bytes)"); goto fail; }
    return 0;
fail:
    strata_db__manifest_clear(m);
    return rc;
}

/* ---- manifest entries --------------------------------------------------------------------- */

void strata_db__mentry_encode(uint8_t out[STRATA_DB_MENTRY_SIZE], uint8_t kind, const strata_oid *head)
{
    out[0] = kind;
    memcpy(out + 1, head->id, STRATA_OID_SIZE);
}

int strata_db__mentry_decode(uint8_t *kind, strata_oid *head, const void *val, size_t len)
{
    if (len != STRATA_DB_MENTRY_SIZE) return STRATA_ECORRUPT;
    if (kind) *kind = ((const uint8_t *)val)[0];
    memcpy(head->id, (const uint8_t *)val + 1, STRATA_OID_SIZE);
    return 0;
}

/* ---- incarnations ----------------------------------------------------------------------- */

void strata_db__new_incarnation(uint8_t out[STRATA_INCARNATION_SIZE])
{
    ssize_t got = getrandom(out, STRATA_INCARNATION_SIZE, 0);
    if (got == STRATA_INCARNATION_SIZE) return;
    /* no entropy source: still unique enough to tell lives of a tenant apart */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, b = (uint64_t)getpid();
    strata_oid h;
    strata_slice parts[2] = {{&a, sizeof a}, {&b, sizeof b}};
    if (strata_hash__sha256v(&h, parts, 2) == 0) memcpy(out, h.id, STRATA_INCARNATION_SIZE);
    else memcpy(out, &a, sizeof a), memcpy(out + 8, &b, sizeof b);
}

/* ---- the public view of a commit ---------------------------------------------------------- */

void strata_commit_free(strata_commit *c)
{
    if (!c) return;
    strata_db__commit_clear(&c->rec);
    strata_mem__free(c);
}

static const char *nz(const char *s) { return s ? s : ""; }

const strata_oid *strata_commit_digest(const strata_commit *c) { return c ? &c->digest : NULL; }
const char *strata_commit_entry(const strata_commit *c) { return c ? nz(c->rec.entry) : ""; }
int strata_commit_kind(const strata_commit *c) { return c ? c->rec.kind : STRATA_EINVALID; }
const char *strata_commit_user(const strata_commit *c) { return c ? nz(c->rec.user) : ""; }
const char *strata_commit_message(const strata_commit *c) { return c ? nz(c->rec.message) : ""; }
const char *strata_commit_origin(const strata_commit *c) { return c ? nz(c->rec.origin) : ""; }
const char *strata_commit_operation(const strata_commit *c) { return c ? nz(c->rec.operation) : ""; }
int64_t strata_commit_time_us(const strata_commit *c) { return c ? c->rec.time_us : 0; }
int strata_commit_tz_offset_min(const strata_commit *c) { return c ? c->rec.tz_offset_min : 0; }
uint64_t strata_commit_generation(const strata_commit *c) { return c ? c->rec.generation : 0; }
size_t strata_commit_parent_count(const strata_commit *c) { return c ? c->rec.nparents : 0; }
const strata_oid *strata_commit_parent(const strata_commit *c, size_t i)
{
    return c && i < c->rec.nparents ? &c->rec.parents[i] : NULL;
}
const strata_oid *strata_commit_data(const strata_commit *c) { return c ? &c->rec.data : NULL; }

int strata_commit_format_time(char out[40], const strata_commit *c, int style)
{
    if (!out || !c) return strata_err__set(STRATA_EINVALID, "strata_commit_format_time: NULL argument");
    if (style != STRATA_TIME_COMPACT && style != STRATA_TIME_ISO)
        return strata_err__set(STRATA_EINVALID, "strata_commit_format_time: unknown style %d", style);
    return strata_db__format_time(out, c->rec.time_us, c->rec.tz_offset_min, style);
}

/* ---- time ------------------------------------------------------------------------------- */

int64_t strata_db__now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int strata_db__local_offset_min(int64_t time_us)
{
    time_t t = (time_t)(time_us / 1000000);
    struct tm tm;
    if (!localtime_r(&t, &tm)) return 0;
    return (int)(tm.tm_gmtoff / 60);
}

int strata_db__format_time(char out[40], int64_t time_us, int tz, int style)
{
    int64_t secs = time_us / 1000000, us = time_us % 1000000;
    if (us < 0) { us += 1000000; secs -= 1; }
    time_t t = (time_t)(secs + (int64_t)tz * 60);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return strata_err__set(STRATA_EINVALID, "time out of range");
    char sign = tz < 0 ? '-' : '+';
    int a = tz < 0 ? -tz : tz;
    char tmp[96];
    if (style == STRATA_TIME_ISO)
        snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%06d%c%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)us, sign,
                 a / 60, a % 60);
    else
        snprintf(tmp, sizeof tmp, "%04d%02d%02d %02d:%02d:%02d %c%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, a / 60, a % 60);
    size_t n = strlen(tmp);
    if (n > 39) return strata_err__set(STRATA_EINVALID, "time out of range");
    memcpy(out, tmp, n + 1);
    return 0;
}
