/* strata — the command-line tool: every command of docs/cli.md on top of the public API
 * (include/strata.h) and nothing else. main() parses global and per-command options, looks the
 * command up in the command table (commands.c), opens the database as a reader or the writer,
 * runs the command and maps the outcome to an exit code: 0 ok, 1 not found / false, 2 bad usage
 * or input, 3 condition failed / conflict, 4 database error. JSON goes to stdout, one-line
 * messages to stderr. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- argument parsing ------------------------------------------------------------------- */

typedef struct optdef {
    const char *name; /* long name */
    char letter;      /* short name or 0 */
    int has_arg;
    unsigned bit;     /* OPT_* */
} optdef;

static const optdef OPTIONS[] = {
    {"db", 0, 1, OPT_GLOBAL},       {"tenant", 0, 1, OPT_GLOBAL},
    {"user", 0, 1, OPT_GLOBAL},     {"pretty", 0, 0, OPT_GLOBAL},
    {"compact", 0, 0, OPT_GLOBAL},  {"lock-wait", 0, 1, OPT_GLOBAL},
    {"help", 'h', 0, OPT_GLOBAL},   {"version", 0, 0, OPT_GLOBAL},
    {"message", 'm', 1, OPT_MESSAGE}, {"at", 0, 1, OPT_AT},
    {"max-count", 'n', 1, OPT_N},   {"dynamodb-json", 0, 0, OPT_DDB},
    {"expect-head", 0, 1, OPT_EXPECT},
    {"pk", 0, 1, OPT_SCHEMA},       {"sk", 0, 1, OPT_SCHEMA},
    {"ttl", 0, 1, OPT_SCHEMA},      {"condition", 0, 1, OPT_COND},
    {"names", 0, 1, OPT_PH},        {"values", 0, 1, OPT_PH},
    {"return", 0, 1, OPT_RETURN},   {"projection", 0, 1, OPT_PROJ},
    {"filter", 0, 1, OPT_FILTER},   {"limit", 0, 1, OPT_PAGE},
    {"start-key", 0, 1, OPT_PAGE},  {"reverse", 0, 0, OPT_REVERSE},
    {"segment", 0, 1, OPT_SEGMENT}, {"segments", 0, 1, OPT_SEGMENT},
    {"key-condition", 0, 1, OPT_KEYCOND}, {"update", 0, 1, OPT_UPDATE},
    {"min-dead-share", 0, 1, OPT_GC},
    {"keep", 0, 1, OPT_RETAIN},     {"keep-age", 0, 1, OPT_RETAIN}, {"audit", 0, 0, OPT_RETAIN},
};

/* An argument that is an option (not "-", not a negative number such as -5 or -.5). */
static int looks_like_option(const char *a)
{
    if (a[0] != '-' || a[1] == '\0') return 0;
    if ((a[1] >= '0' && a[1] <= '9') || a[1] == '.') return 0;
    return 1;
}

/* Parse $STRATA_TIME: SECONDS[.FRACTION][+HHMM|-HHMM] (UTC seconds since 1970, an optional
 * fraction of up to 6 digits and an optional UTC offset). Returns 0 or -1. */
static int parse_time_env(const char *s, int64_t *us, int *tz)
{
    char *end;
    errno = 0;
    long long sec = strtoll(s, &end, 10);
    if (end == s || errno || sec < 0 || sec > 253402300799LL) return -1;
    int64_t frac = 0;
    if (*end == '.') {
        int digits = 0;
        end++;
        while (*end >= '0' && *end <= '9') {
            if (digits++ >= 6) return -1;
            frac = frac * 10 + (*end++ - '0');
        }
        if (digits == 0) return -1;
        while (digits++ < 6) frac *= 10;
    }
    *tz = STRATA_TZ_LOCAL;
    if (*end == '+' || *end == '-') {
        int sign = *end == '-' ? -1 : 1;
        const char *p = end + 1;
        for (int i = 0; i < 4; i++)
            if (p[i] < '0' || p[i] > '9') return -1;
        if (p[4] != '\0') return -1;
        int hh = (p[0] - '0') * 10 + (p[1] - '0'), mm = (p[2] - '0') * 10 + (p[3] - '0');
        if (hh > 23 || mm > 59) return -1;
        *tz = sign * (hh * 60 + mm);
        end = (char *)p + 4;
    }
    if (*end != '\0') return -1;
    *us = (int64_t)sec * 1000000 + frac;
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    c.tenant = "default";
    c.db_path = getenv("STRATA_DB");
    if (!c.db_path || !c.db_path[0]) c.db_path = ".strata";
    c.user = getenv("STRATA_USER");
    if (!c.user || !c.user[0]) c.user = getenv("USER");
    if (!c.user || !c.user[0]) {
        struct passwd *pw = getpwuid(getuid());
        c.user = pw ? pw->pw_name : "";
    }
    c.pretty = isatty(STDOUT_FILENO);
    c.progress = isatty(STDERR_FILENO);
    c.tz_offset_min = STRATA_TZ_LOCAL;
    const char *tenv = getenv("STRATA_TIME");
    if (tenv && tenv[0] && parse_time_env(tenv, &c.time_us, &c.tz_offset_min) != 0)
        return cli_bad_input(&c, "STRATA_TIME '%s' is not SECONDS[.FRACTION][+HHMM]", tenv);

    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) {
        fputs("strata: out of memory\n", stderr);
        return EXIT_DBERROR;
    }
    int npos = 0, help = 0, version = 0, only_pos = 0;
    unsigned used = 0;
    const char *bad_opt = NULL;
    char opt_err[256] = ""; /* a bad option value, reported once the command is known */
    const char *seen[32] = {0}; /* the first option given of each OPT_* bit */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || !looks_like_option(a)) {
            pos[npos++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        const optdef *o = NULL;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t nl = eq ? (size_t)(eq - name) : strlen(name);
            for (size_t k = 0; k < sizeof OPTIONS / sizeof OPTIONS[0]; k++)
                if (strlen(OPTIONS[k].name) == nl && strncmp(OPTIONS[k].name, name, nl) == 0) o = &OPTIONS[k];
            if (o && eq) {
                if (!o->has_arg) {
                    if (!opt_err[0]) snprintf(opt_err, sizeof opt_err, "option --%s takes no value", o->name);
                    continue;
                }
                val = eq + 1;
            }
        } else {
            for (size_t k = 0; k < sizeof OPTIONS / sizeof OPTIONS[0]; k++)
                if (OPTIONS[k].letter == a[1]) o = &OPTIONS[k];
            if (o && a[2]) {
                if (!o->has_arg) o = NULL;
                else val = a + 2;
            }
        }
        if (!o) {
            if (!bad_opt) bad_opt = a;
            continue;
        }
        if (o->has_arg && !val) {
            if (i + 1 >= argc) {
                if (!opt_err[0]) snprintf(opt_err, sizeof opt_err, "option %s needs a value", a);
                continue;
            }
            val = argv[++i];
        }
        used |= o->bit;
        for (int b = 0; b < 31; b++)
            if ((o->bit >> b) & 1u && !seen[b]) seen[b] = a;
        const char *n = o->name;
        if (strcmp(n, "db") == 0) c.db_path = val;
        else if (strcmp(n, "tenant") == 0) c.tenant = val;
        else if (strcmp(n, "user") == 0) c.user = val;
        else if (strcmp(n, "pretty") == 0) c.pretty = 1;
        else if (strcmp(n, "compact") == 0) c.pretty = 0;
        else if (strcmp(n, "help") == 0) help = 1;
        else if (strcmp(n, "version") == 0) version = 1;
        else if (strcmp(n, "message") == 0) c.message = val;
        else if (strcmp(n, "at") == 0) c.at = val;
        else if (strcmp(n, "expect-head") == 0) c.expect = val;
        else if (strcmp(n, "pk") == 0) c.pk = val;
        else if (strcmp(n, "sk") == 0) c.sk = val;
        else if (strcmp(n, "ttl") == 0) c.ttl = val;
        else if (strcmp(n, "condition") == 0) c.condition = val;
        else if (strcmp(n, "names") == 0) c.names = val;
        else if (strcmp(n, "values") == 0) c.values = val;
        else if (strcmp(n, "return") == 0) c.ret = val;
        else if (strcmp(n, "projection") == 0) c.projection = val;
        else if (strcmp(n, "filter") == 0) c.filter = val;
        else if (strcmp(n, "key-condition") == 0) c.key_condition = val;
        else if (strcmp(n, "update") == 0) c.update = val;
        else if (strcmp(n, "min-dead-share") == 0) c.gc_dead_share = val;
        else if (strcmp(n, "keep") == 0) c.keep = val;
        else if (strcmp(n, "keep-age") == 0) c.keep_age = val;
        else if (strcmp(n, "audit") == 0) c.audit = 1;
        else if (strcmp(n, "start-key") == 0) c.start_key = val;
        else if (strcmp(n, "reverse") == 0) c.reverse = 1;
        else if (strcmp(n, "limit") == 0 || strcmp(n, "segment") == 0 || strcmp(n, "segments") == 0) {
            long long v;
            long long lo = strcmp(n, "segment") == 0 ? 0 : 1;
            if (cli_parse_int(val, lo, strcmp(n, "limit") == 0 ? LLONG_MAX : 1000000, &v) != 0) {
                if (!opt_err[0])
                    snprintf(opt_err, sizeof opt_err, "--%s '%s' is not a %s number", n, val,
                             lo ? "positive" : "non-negative");
            } else if (n[1] == 'i') c.limit = (size_t)v;
            else if (strcmp(n, "segment") == 0) c.segment = (unsigned)v;
            else c.segments = (unsigned)v;
        }
        else if (strcmp(n, "dynamodb-json") == 0) c.dynamodb = 1;
        else if (strcmp(n, "lock-wait") == 0) {
            long long v;
            if (cli_parse_int(val, -1, INT_MAX, &v) != 0 && !opt_err[0])
                snprintf(opt_err, sizeof opt_err, "--lock-wait '%s' is not a number of milliseconds (or -1)", val);
            else c.lock_wait_ms = (int)v;
        } else if (strcmp(n, "max-count") == 0) {
            long long v;
            if (cli_parse_int(val, 1, LLONG_MAX, &v) != 0 && !opt_err[0])
                snprintf(opt_err, sizeof opt_err, "-n '%s' is not a positive number", val);
            else c.max_items = (size_t)v;
        }
    }

    int rc = EXIT_OK;
    if (npos == 0) {
        if (version) printf("strata %s\n", strata_version());
        else if (help) cli_print_main_help();
        else rc = cli_usage_fail(&c, "no command given");
        if (!rc && opt_err[0]) rc = cli_usage_fail(&c, "%s", opt_err);
        if (!rc && bad_opt) rc = cli_usage_fail(&c, "unknown option '%s'", bad_opt);
        free(pos);
        return rc;
    }
    c.cmd = cli_find_command(pos[0]);
    if (!c.cmd) {
        rc = cli_usage_fail(&c, "unknown command '%s'", pos[0]);
        free(pos);
        return rc;
    }
    if (help) {
        cli_print_command_help(c.cmd);
        free(pos);
        return EXIT_OK;
    }
    c.args = pos + 1;
    c.nargs = npos - 1;
    unsigned extra = used & ~(OPT_GLOBAL | c.cmd->opts);
    if (opt_err[0]) rc = cli_usage_fail(&c, "%s", opt_err);
    else if (bad_opt) rc = cli_usage_fail(&c, "unknown option '%s'", bad_opt);
    else if (extra) {
        const char *which = "?";
        for (int b = 0; b < 31; b++)
            if ((extra >> b) & 1u && seen[b]) {
                which = seen[b];
                break;
            }
        rc = cli_usage_fail(&c, "option %s does not apply to '%s'", which, c.cmd->name);
    } else if (version) rc = cli_usage_fail(&c, "--version takes no command");
    else if (c.nargs < c.cmd->min_args) rc = cli_usage_fail(&c, "missing arguments");
    else if (c.nargs > c.cmd->max_args) rc = cli_usage_fail(&c, "too many arguments");
    else if (!c.db_path[0]) rc = cli_usage_fail(&c, "--db is empty");
    /* query's key condition and update-item's update: an option or a trailing argument */
    if (!rc && (c.cmd->opts & (OPT_KEYCOND | OPT_UPDATE))) {
        int pos_at = (c.cmd->opts & OPT_KEYCOND) ? 1 : 2;
        const char **slot = (c.cmd->opts & OPT_KEYCOND) ? &c.key_condition : &c.update;
        const char *opt = (c.cmd->opts & OPT_KEYCOND) ? "--key-condition" : "--update";
        if (c.nargs > pos_at && *slot) rc = cli_usage_fail(&c, "give the expression once: as %s or as an argument", opt);
        else if (c.nargs > pos_at) *slot = c.args[pos_at];
        else if (!*slot) rc = cli_usage_fail(&c, "missing %s EXPR", opt);
    }
    if (rc) {
    } else if (c.cmd->access != DB_NONE && cli_check_name(&c, "tenant name", c.tenant) != 0) rc = EXIT_USAGE;
    if (!rc && (c.cmd->opts & OPT_WRITE) && cli_check_name(&c, "tenant name", c.tenant) != 0) rc = EXIT_USAGE;
    if (!rc && c.cmd->access != DB_NONE) rc = cli_open_db(&c, c.cmd->access == DB_WRITE);
    if (!rc) rc = c.cmd->run(&c);
    strata_db_close(c.db);
    free(pos);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "strata: writing the output failed: %s\n", strerror(errno));
        if (!rc) rc = EXIT_DBERROR;
    }
    return rc;
}
