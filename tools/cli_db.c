/* The strata CLI's input and database access: reading a file or stdin, parsing JSON input,
 * the name rule, opening the database as a reader or the writer, write and read options, and
 * resolving --at and --as-of (revision names live in cli_rev.c). */
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
    wo->origin = c->origin ? c->origin : "strata-cli";
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

/* Read options for --at (resolved against `entry`; the digest is kept in c->at_oid) or
 * --as-of TIME. */
int cli_read_opts(cli *c, const char *entry)
{
    strata_read_options *ro = &c->ro;
    strata_read_options_init(ro, STRATA_READ_OPTIONS_VERSION);
    if (c->at && c->as_of) return cli_usage_fail(c, "give --at or --as-of, not both");
    if (c->as_of) {
        int rc = cli_time_option(c, "--as-of", c->as_of, &ro->as_of_us);
        if (rc) return rc;
        if (ro->as_of_us <= 0) return cli_bad_input(c, "--as-of '%s' lies before 1970", c->as_of);
        return 0;
    }
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
