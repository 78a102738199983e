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

const char *cli_name_problem(const char *what, const char *name, char *buf, size_t n)
{
    if (strata_name_check(name) == 0) return NULL;
    /* the library says "name is empty", "name contains …": say what the name is instead */
    const char *msg = strata_error_last()->message;
    if (strncmp(msg, "name ", 5) == 0) snprintf(buf, n, "%s %s", what, msg + 5);
    else snprintf(buf, n, "%s: %s", what, msg);
    strata_error_clear();
    return buf;
}

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
    /* --db :memory: is a new, empty in-memory database for this one command (reads included) */
    int memory = strcmp(c->db_path, STRATA_MEMORY) == 0;
    o.create = write || memory;
    o.read_only = !write && !memory;
    o.lock_wait_ms = (int)c->lock_wait_ms;
    if (!write && !memory) {
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
