/* The strata CLI's database-wide commands: init, tenants, entries, verify, stats, gc and
 * retention, plus drop-tenant and sweep-ttl. */
#include "cli.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>

int cmd_init(cli *c)
{
    struct stat st;
    int existed = stat(c->db_path, &st) == 0;
    int rc = cli_open_db(c, 1);
    if (rc) return rc;
    strata_write_options wo;
    cli_write_opts(c, &wo);
    rc = strata_tenant_init(c->db, c->tenant, &wo);
    if (rc < 0) return cli_lib_fail(c, rc, NULL);
    if (existed && rc == STRATA_UNCHANGED)
        fprintf(stderr, "strata: database '%s' already initialized (tenant '%s' exists)\n",
                c->db_path, c->tenant);
    else if (existed)
        fprintf(stderr, "strata: created tenant '%s' in database '%s'\n", c->tenant, c->db_path);
    else
        fprintf(stderr, "strata: initialized empty database '%s' with tenant '%s'\n", c->db_path,
                c->tenant);
    return EXIT_OK;
}

int cmd_tenants(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_tenant_list(&it, c->db);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return cli_print_array(c, it, cli_item_name);
}

int cmd_entries(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_entry_list(&it, c->db, c->tenant, &c->ro);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return cli_print_array(c, it, cli_item_name);
}

int cmd_verify(cli *c)
{
    cli_progress pg = {c->progress, 0, "verify", 0};
    cli_progress_note(&pg, "re-hashing every object…");
    uint64_t problems = 0;
    int r = strata_db_verify(&problems, c->db);
    cli_progress_end(&pg);
    cli_buf b = {0};
    char num[96];
    snprintf(num, sizeof num, "{\"ok\":%s,\"problems\":%llu}", r == 0 ? "true" : "false",
             (unsigned long long)problems);
    cli_buf_puts(&b, num);
    cli_emit(c, &b);
    cli_buf_free(&b);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return EXIT_OK;
}

/* Count an iterator's items. Returns the count or a negative error. */
static int64_t count_items(strata_iter *it)
{
    int64_t n = 0;
    int r;
    while ((r = strata_iter_next(it)) == 0) n++;
    strata_iter_free(it);
    return r == STRATA_ITEROVER ? n : r;
}

/* Per-entry figures for stats: kind, versions (commits in its history), records. */
static int stats_entry(cli *c, cli_buf *b, const char *tenant, const char *entry,
                       int64_t *versions, int64_t *records)
{
    int kind = strata_entry_kind_of(c->db, tenant, entry, NULL);
    if (kind < 0) return cli_lib_fail(c, kind, entry);
    strata_iter *it = NULL;
    int r = strata_entry_history(&it, c->db, tenant, entry, NULL, 0);
    if (r < 0) return cli_lib_fail(c, r, entry);
    int64_t v = count_items(it), n = -1;
    if (v < 0) return cli_lib_fail(c, (int)v, entry);
    if (kind == STRATA_ENTRY_RECORDS) {
        r = strata_records_list(&it, c->db, tenant, entry, NULL);
        if (r < 0) return cli_lib_fail(c, r, entry);
        n = count_items(it);
        if (n < 0) return cli_lib_fail(c, (int)n, entry);
    }
    char num[96];
    cli_buf_puts(b, "{\"name\":");
    cli_add_str(b, entry);
    cli_buf_puts(b, ",\"kind\":");
    cli_add_str(b, cli_kind_name(kind));
    snprintf(num, sizeof num, ",\"versions\":%lld", (long long)v);
    cli_buf_puts(b, num);
    if (n >= 0) {
        snprintf(num, sizeof num, ",\"records\":%lld", (long long)n);
        cli_buf_puts(b, num);
        *records += n;
    }
    cli_buf_putc(b, '}');
    *versions += v;
    return 0;
}

/* Collect the names an iterator yields (owned strings, NULL-terminated array). */
static char **collect_names(strata_iter *it, int *err)
{
    size_t n = 0, cap = 8;
    char **v = malloc(cap * sizeof *v);
    int r;
    while (v && (r = strata_iter_next(it)) == 0) {
        strata_slice k = strata_iter_key(it);
        if (n + 2 > cap) {
            char **nv = realloc(v, (cap *= 2) * sizeof *v);
            if (!nv) break;
            v = nv;
        }
        v[n] = malloc(k.len + 1);
        if (!v[n]) break;
        memcpy(v[n], k.data, k.len);
        v[n][k.len] = '\0';
        n++;
    }
    strata_iter_free(it);
    if (!v) {
        fputs("strata: out of memory\n", stderr);
        exit(EXIT_DBERROR);
    }
    v[n] = NULL;
    *err = (r == STRATA_ITEROVER) ? 0 : r;
    return v;
}

static void free_names(char **v)
{
    if (!v) return;
    for (char **p = v; *p; p++) free(*p);
    free(v);
}

int cmd_stats(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_tenant_list(&it, c->db);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    int err = 0;
    char **tenants = collect_names(it, &err);
    if (err) {
        free_names(tenants);
        return cli_lib_fail(c, err, NULL);
    }
    cli_buf body = {0};
    int64_t ntenants = 0, nentries = 0, versions = 0, records = 0;
    int rc = 0;
    cli_buf_puts(&body, ",\"by_tenant\":[");
    for (char **t = tenants; *t && !rc; t++) {
        if (ntenants++) cli_buf_putc(&body, ',');
        cli_buf_puts(&body, "{\"tenant\":");
        cli_add_str(&body, *t);
        cli_buf_puts(&body, ",\"entries\":[");
        r = strata_entry_list(&it, c->db, *t, NULL);
        if (r < 0) {
            rc = cli_lib_fail(c, r, *t);
            break;
        }
        char **entries = collect_names(it, &err);
        if (err) rc = cli_lib_fail(c, err, *t);
        for (char **e = entries; *e && !rc; e++) {
            if (e != entries) cli_buf_putc(&body, ',');
            rc = stats_entry(c, &body, *t, *e, &versions, &records);
            nentries++;
        }
        free_names(entries);
        cli_buf_puts(&body, "]}");
    }
    cli_buf_puts(&body, "]}");
    free_names(tenants);
    if (!rc) {
        cli_buf b = {0};
        char num[256];
        cli_buf_puts(&b, "{\"database\":");
        cli_add_str(&b, c->db_path);
        snprintf(num, sizeof num, ",\"tenants\":%lld,\"entries\":%lld,\"versions\":%lld,\"records\":%lld",
                 (long long)ntenants, (long long)nentries, (long long)versions, (long long)records);
        cli_buf_puts(&b, num);
        strata_space_stats sp;
        memset(&sp, 0, sizeof sp);
        sp.version = STRATA_SPACE_STATS_VERSION;
        r = strata_db_stats(&sp, c->db);
        if (r < 0) {
            cli_buf_free(&b);
            cli_buf_free(&body);
            return cli_lib_fail(c, r, NULL);
        }
        char space[512];
        snprintf(space, sizeof space,
                 ",\"space\":{\"file_bytes\":%llu,\"segments\":%llu,\"objects\":%llu,\"live_bytes\":%llu,"
                 "\"dead_bytes\":%llu,\"gc_runs\":%llu,\"last_gc_us\":%lld,\"last_gc_freed\":%llu}",
                 (unsigned long long)sp.file_bytes, (unsigned long long)sp.segments, (unsigned long long)sp.objects,
                 (unsigned long long)sp.live_bytes, (unsigned long long)sp.dead_bytes, (unsigned long long)sp.gc_runs,
                 (long long)sp.last_gc_us, (unsigned long long)sp.last_gc_freed);
        cli_buf_puts(&b, space);
        cli_buf_add(&b, body.data, body.len);
        cli_emit(c, &b);
        cli_buf_free(&b);
    }
    cli_buf_free(&body);
    return rc;
}

/* ---- space: gc and retention ----------------------------------------------------------- */

static int gc_progress(const strata_gc_progress *p, void *payload)
{
    cli_progress *pg = payload;
    pg->label = p->phase;
    cli_progress_show(pg, p->done, p->total, p->done, p->total ? "segments" : "objects", 0);
    return 0;
}

int cmd_gc(cli *c)
{
    cli_progress pg = {c->progress, 0, "gc", 0};
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    o.progress = gc_progress;
    o.payload = &pg;
    if (c->gc_dead_share) {
        char *end;
        double d = strtod(c->gc_dead_share, &end);
        if (end == c->gc_dead_share || *end || d < 0 || d > 1)
            return cli_usage_fail(c, "--min-dead-share '%s' is not a number between 0 and 1", c->gc_dead_share);
        o.min_dead_share = d;
    }
    strata_gc_report rep;
    memset(&rep, 0, sizeof rep);
    int r = strata_db_gc(&rep, c->db, &o);
    cli_progress_end(&pg);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    char out[640];
    snprintf(out, sizeof out,
             "{\"live_objects\":%llu,\"live_bytes\":%llu,\"segments_before\":%llu,\"segments_swept\":%llu,"
             "\"objects_copied\":%llu,\"bytes_before\":%llu,\"bytes_after\":%llu,\"truncated\":%llu,"
             "\"duration_us\":%lld,\"blocked_us\":%lld}",
             (unsigned long long)rep.live_objects, (unsigned long long)rep.live_bytes,
             (unsigned long long)rep.segments_before, (unsigned long long)rep.segments_swept,
             (unsigned long long)rep.objects_copied, (unsigned long long)rep.bytes_before,
             (unsigned long long)rep.bytes_after, (unsigned long long)rep.truncated, (long long)rep.duration_us,
             (long long)rep.blocked_us);
    cli_buf b = {0};
    cli_buf_puts(&b, out);
    cli_emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* retention [ENTRY] [--keep N] [--keep-age SECONDS] [--audit]: set a policy when --keep or
 * --keep-age is given (0 and 0 removes it), then print the policy in force and, for an entry,
 * whether its history was cut. */
int cmd_retention(cli *c)
{
    const char *entry = c->nargs > 0 ? c->args[0] : NULL;
    if (entry && cli_check_name(c, "entry name", entry) != 0) return EXIT_USAGE;
    long long keep = 0, age = 0;
    if (c->keep && cli_parse_int(c->keep, 0, LLONG_MAX, &keep) != 0)
        return cli_usage_fail(c, "--keep '%s' is not a number of commits", c->keep);
    if (c->keep_age && cli_parse_int(c->keep_age, 0, LLONG_MAX, &age) != 0)
        return cli_usage_fail(c, "--keep-age '%s' is not a number of seconds", c->keep_age);
    if (c->keep || c->keep_age || c->audit) {
        strata_write_options wo;
        cli_write_opts(c, &wo);
        int r = strata_retention_set(c->db, c->tenant, entry, (uint64_t)keep, (int64_t)age, c->audit, &wo);
        if (r < 0) return cli_lib_fail(c, r, entry);
    }
    uint64_t kc = 0;
    int64_t ka = 0;
    int au = 0;
    int r = strata_retention_get(&kc, &ka, &au, c->db, c->tenant, entry);
    cli_buf b = {0};
    if (r == STRATA_ENOTFOUND) {
        cli_buf_puts(&b, "{\"policy\":null");
    } else if (r < 0) {
        return cli_lib_fail(c, r, entry);
    } else {
        char num[160];
        snprintf(num, sizeof num, "{\"policy\":{\"keep_commits\":%llu,\"keep_age_s\":%lld,\"audit\":%s}",
                 (unsigned long long)kc, (long long)ka, au ? "true" : "false");
        cli_buf_puts(&b, num);
    }
    if (entry) {
        uint64_t oldest = 0;
        int t = strata_retention_truncated(&oldest, c->db, c->tenant, entry);
        if (t < 0 && t != STRATA_ENOTFOUND) {
            cli_buf_free(&b);
            return cli_lib_fail(c, t, entry);
        }
        char num[96];
        snprintf(num, sizeof num, ",\"truncated\":%s", t == 1 ? "true" : "false");
        cli_buf_puts(&b, num);
        if (t == 1) {
            snprintf(num, sizeof num, ",\"oldest_generation\":%llu", (unsigned long long)oldest);
            cli_buf_puts(&b, num);
        }
        strata_value *audit = NULL;
        t = strata_retention_audit(&audit, c->db, c->tenant, entry);
        if (t == 0 && audit) {
            cli_buf_puts(&b, ",\"audit\":");
            int rc = cli_add_value(c, &b, audit, cli_json_flags(c, 1));
            strata_value_free(audit);
            if (rc) {
                cli_buf_free(&b);
                return rc;
            }
        }
    }
    cli_buf_putc(&b, '}');
    cli_emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* drop-tenant TENANT: the tenant disappears at once (its bytes go at the next gc). The name is
 * an argument, not --tenant, so that a drop always names what it drops. */
int cmd_drop_tenant(cli *c)
{
    const char *tenant = c->args[0];
    int rc = cli_check_name(c, "tenant name", tenant);
    if (rc) return rc;
    strata_write_options wo;
    cli_write_opts(c, &wo);
    int r = strata_tenant_drop(c->db, tenant, &wo);
    if (r == STRATA_ENOTFOUND) {
        cli_say(c, "no tenant '%s'", tenant);
        return EXIT_NOTFOUND;
    }
    if (r < 0) return cli_lib_fail(c, r, NULL);
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"dropped\":");
    cli_add_str(&b, tenant);
    cli_buf_putc(&b, '}');
    cli_emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* sweep-ttl TABLE [--now SECONDS]: delete the expired items in one commit (made by user "ttl").
 * Now is --now, else $STRATA_TIME, else the clock. */
int cmd_sweep_ttl(cli *c)
{
    const char *table = c->args[0];
    long long now_s = cli_now_us(c) / 1000000;
    if (c->now && cli_parse_int(c->now, 1, 253402300799LL, &now_s) != 0)
        return cli_usage_fail(c, "--now '%s' is not a number of seconds since 1970", c->now);
    uint64_t removed = 0;
    int r = strata_table_sweep_ttl(&removed, c->db, c->tenant, table, (int64_t)now_s);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    strata_oid head;
    int h = strata_entry_head(&head, c->db, c->tenant, table, NULL);
    if (h < 0) return cli_lib_fail(c, h, NULL);
    cli_buf b = {0};
    char num[64];
    cli_buf_puts(&b, "{\"digest\":");
    cli_add_oid(&b, &head);
    cli_buf_puts(&b, r == STRATA_UNCHANGED ? ",\"changed\":false" : ",\"changed\":true");
    snprintf(num, sizeof num, ",\"removed\":%llu}", (unsigned long long)removed);
    cli_buf_puts(&b, num);
    cli_emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* serve: exec strata-server from this program's directory with --db and the rest of the
 * arguments (main.c stops parsing options at "serve"). Returns only when the exec failed. */
int cmd_serve(cli *c)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof "/strata-server");
    char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
    if (!slash) {
        cli_say(c, "cannot find this program's directory (/proc/self/exe)");
        return EXIT_DBERROR;
    }
    strcpy(slash, "/strata-server");
    char **argv = calloc((size_t)c->nargs + 4, sizeof *argv);
    if (!argv) return cli_lib_fail(c, STRATA_ENOMEM, NULL);
    argv[0] = path;
    argv[1] = "--db";
    argv[2] = (char *)c->db_path;
    for (int i = 0; i < c->nargs; i++) argv[3 + i] = c->args[i];
    fflush(stdout);
    execv(path, argv);
    cli_say(c, "cannot run %s: %s", path, strerror(errno));
    free(argv);
    return EXIT_DBERROR;
}
