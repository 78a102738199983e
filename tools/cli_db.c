/* The strata CLI's input and database access: reading a file or stdin, parsing JSON input,
 * the name rule, opening the database as a reader or the writer, write and read options, and
 * resolving commit digests (a unique prefix is found by walking histories). */
#include "cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- input ------------------------------------------------------------------------------ */

/* Read all of `path` ("-" or NULL: stdin) into out. Returns 0 or EXIT_USAGE after a message. */
int cli_read_input(const cli *c, const char *path, cli_buf *out)
{
    int use_stdin = !path || strcmp(path, "-") == 0;
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        cli_say(c, "cannot read '%s': %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    char chunk[65536];
    size_t n;
    cli_buf_add(out, "", 0);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) cli_buf_add(out, chunk, n);
    int bad = ferror(f);
    int err = errno;
    if (!use_stdin) fclose(f);
    if (bad) {
        cli_say(c, "cannot read '%s': %s", use_stdin ? "stdin" : path, strerror(err));
        return EXIT_USAGE;
    }
    return 0;
}

/* Parse JSON text into a value with the CLI's JSON flags; `what` names the input in the
 * message. Returns 0 or an exit code. */
int cli_parse_value(const cli *c, strata_value **out, const char *s, size_t n, const char *what)
{
    int rc = strata_value_from_json(out, s, n, cli_json_flags(c, 0));
    if (rc < 0) return cli_lib_fail(c, rc, what);
    return 0;
}

/* The name rule of strata.h: 1–255 bytes of UTF-8 without control characters. Returns NULL
 * when `name` follows it, else a description of the problem written into buf. Checked before
 * the database is touched so that bad input changes nothing (not even a new tenant). */
const char *cli_name_problem(const char *what, const char *name, char *buf, size_t n)
{
    size_t len = strlen(name);
    if (len == 0) {
        snprintf(buf, n, "%s is empty", what);
        return buf;
    }
    if (len > 255) {
        snprintf(buf, n, "%s is %zu bytes long (at most 255)", what, len);
        return buf;
    }
    const unsigned char *p = (const unsigned char *)name;
    size_t i = 0;
    while (i < len) {
        unsigned ch = p[i];
        uint32_t cp = 0;
        size_t k = 0;
        if (ch < 0x80) { cp = ch; k = 1; }
        else if (ch >= 0xC2 && ch <= 0xDF) { cp = ch & 0x1F; k = 2; }
        else if (ch >= 0xE0 && ch <= 0xEF) { cp = ch & 0x0F; k = 3; }
        else if (ch >= 0xF0 && ch <= 0xF4) { cp = ch & 0x07; k = 4; }
        int ok = k > 0 && len - i >= k;
        for (size_t j = 1; ok && j < k; j++) {
            if ((p[i + j] & 0xC0) != 0x80) ok = 0;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (ok && (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = 0;
        if (!ok) {
            snprintf(buf, n, "%s is not valid UTF-8 (at byte %zu)", what, i);
            return buf;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            snprintf(buf, n, "%s contains control character U+%04X (at byte %zu)", what,
                     (unsigned)cp, i);
            return buf;
        }
        i += k;
    }
    return NULL;
}

/* cli_name_problem as a command check: 0, or EXIT_USAGE after a message. */
int cli_check_name(const cli *c, const char *what, const char *name)
{
    char buf[160];
    const char *problem = cli_name_problem(what, name, buf, sizeof buf);
    return problem ? cli_bad_input(c, "%s", problem) : 0;
}

/* ---- database access -------------------------------------------------------------------- */

int cli_open_db(cli *c, int write)
{
    strata_db_options o;
    strata_db_options_init(&o, STRATA_DB_OPTIONS_VERSION);
    o.create = write;
    o.read_only = !write;
    o.lock_wait_ms = (int)c->lock_wait_ms;
    if (!write) {
        struct stat st;
        if (stat(c->db_path, &st) != 0) {
            cli_say(c, "no strata database at '%s' (create one with 'strata init')", c->db_path);
            return EXIT_NOTFOUND;
        }
    }
    int rc = strata_db_open(&c->db, c->db_path, &o);
    if (rc == STRATA_EBUSY) {
        cli_say(c, "database '%s' is locked by another writer (retry later, or wait with --lock-wait MS)",
            c->db_path);
        return EXIT_DBERROR;
    }
    if (rc == STRATA_ENOTFOUND && !write) {
        cli_say(c, "no strata database at '%s' (create one with 'strata init')", c->db_path);
        return EXIT_NOTFOUND;
    }
    if (rc < 0) return cli_lib_fail(c, rc, c->db_path);
    return 0;
}

void cli_write_opts(const cli *c, strata_write_options *wo)
{
    strata_write_options_init(wo, STRATA_WRITE_OPTIONS_VERSION);
    wo->user = c->user;
    wo->message = c->message;
    wo->origin = "strata-cli";
    wo->time_us = c->time_us;
    wo->tz_offset_min = c->tz_offset_min;
    wo->expect_head = c->have_expect ? &c->expect_oid : NULL;
}

/* Resolve --expect-head against `entry` once the database is open. "none" (or 64 zeros) means
 * the entry must not exist yet. Returns 0 or an exit code. */
int cli_resolve_expect(cli *c, const char *entry)
{
    if (!c->expect) return 0;
    memset(&c->expect_oid, 0, sizeof c->expect_oid);
    c->have_expect = 1;
    if (strcmp(c->expect, "none") == 0) return 0;
    return cli_resolve_commit(c, entry, c->expect, &c->expect_oid);
}

/* Create the tenant on first write (strata_tenant_init is idempotent). */
int cli_ensure_tenant(cli *c)
{
    int rc = strata_tenant_exists(c->db, c->tenant);
    if (rc < 0) return cli_lib_fail(c, rc, NULL);
    if (rc == 1) return 0;
    strata_write_options wo;
    cli_write_opts(c, &wo);
    rc = strata_tenant_init(c->db, c->tenant, &wo);
    if (rc < 0) return cli_lib_fail(c, rc, NULL);
    return 0;
}

int cli_open_for_write(cli *c, const char *entry, strata_write_options *wo)
{
    int rc = cli_open_db(c, 1);
    if (!rc) rc = cli_ensure_tenant(c);
    if (!rc && entry) rc = cli_resolve_expect(c, entry);
    cli_write_opts(c, wo);
    return rc;
}

static int is_hex(const char *s)
{
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
            return 0;
    return 1;
}

/* Walk the history of `entry` looking for commits whose hex digest starts with `prefix`
 * (lowercase). Counts matches into *found and keeps the first in *out. Returns 0 or an exit
 * code. */
static int match_prefix_in(cli *c, const char *entry, const char *prefix, strata_oid *out,
                           int *found)
{
    strata_iter *it = NULL;
    int rc = strata_entry_history(&it, c->db, c->tenant, entry, NULL, 0);
    if (rc < 0) return cli_lib_fail(c, rc, NULL);
    size_t n = strlen(prefix);
    while ((rc = strata_iter_next(it)) == 0) {
        const strata_commit *cm = strata_iter_commit(it);
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, strata_commit_digest(cm));
        if (strncmp(hex, prefix, n) == 0) {
            if (*found == 0) *out = *strata_commit_digest(cm);
            else if (memcmp(out, strata_commit_digest(cm), sizeof *out) == 0) continue;
            (*found)++;
        }
    }
    strata_iter_free(it);
    if (rc != STRATA_ITEROVER) return cli_lib_fail(c, rc, NULL);
    return 0;
}

/* Resolve a commit given as 64 hex digits, or as a unique prefix of at least 4 hex digits
 * among the commits of `entry` (NULL: of every entry of the tenant). Returns 0 or an exit code. */
int cli_resolve_commit(cli *c, const char *entry, const char *text, strata_oid *out)
{
    size_t n = strlen(text);
    if (n == STRATA_OID_HEXSIZE) {
        int rc = strata_oid_parse(out, text);
        if (rc < 0) return cli_lib_fail(c, rc, NULL);
        return 0;
    }
    if (n < 4 || n > STRATA_OID_HEXSIZE || !is_hex(text))
        return cli_bad_input(c, "'%s' is not a commit digest (64 hex digits, or a unique prefix of at least 4)", text);
    char prefix[STRATA_OID_HEXSIZE + 1];
    for (size_t i = 0; i <= n; i++) prefix[i] = (char)((text[i] >= 'A' && text[i] <= 'F') ? text[i] + 32 : text[i]);
    int found = 0, rc;
    if (entry) {
        rc = match_prefix_in(c, entry, prefix, out, &found);
        if (rc) return rc;
    } else {
        strata_iter *it = NULL;
        rc = strata_entry_list(&it, c->db, c->tenant, NULL);
        if (rc < 0) return cli_lib_fail(c, rc, NULL);
        while ((rc = strata_iter_next(it)) == 0) {
            strata_slice k = strata_iter_key(it);
            char name[256];
            if (k.len >= sizeof name) continue;
            memcpy(name, k.data, k.len);
            name[k.len] = '\0';
            int e = match_prefix_in(c, name, prefix, out, &found);
            if (e) {
                strata_iter_free(it);
                return e;
            }
        }
        strata_iter_free(it);
        if (rc != STRATA_ITEROVER) return cli_lib_fail(c, rc, NULL);
    }
    if (found == 0) {
        if (entry) cli_say(c, "no commit of entry '%s' starts with '%s'", entry, text);
        else cli_say(c, "no commit in tenant '%s' starts with '%s'", c->tenant, text);
        return EXIT_NOTFOUND;
    }
    if (found > 1)
        return cli_bad_input(c, "digest prefix '%s' is ambiguous (%d commits match)", text, found);
    return 0;
}

/* Read options for --at (resolved against `entry`). `oid` holds the digest. */
int cli_read_opts(cli *c, const char *entry)
{
    strata_read_options *ro = &c->ro;
    strata_read_options_init(ro, STRATA_READ_OPTIONS_VERSION);
    if (!c->at) return 0;
    int rc = cli_resolve_commit(c, entry, c->at, &c->at_oid);
    if (rc) return rc;
    ro->at = &c->at_oid;
    return 0;
}

int cli_parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
