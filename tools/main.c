/* strata — the command-line tool: every command of docs/cli.md on top of the public API
 * (include/strata.h) and nothing else. main() parses global and per-command options with one
 * table (OPTIONS below), looks the command up in the command table (commands.c), opens the
 * database as a reader or the writer, runs the command and maps the outcome to an exit code:
 * 0 ok, 1 not found / false, 2 bad usage or input, 3 condition failed / conflict, 4 database
 * error. JSON goes to stdout, one-line messages to stderr. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the option table ------------------------------------------------------------------- */

/* What an option does with its value. */
enum {
    ARG_FLAG,   /* no value: sets the int field to `lo` */
    ARG_TEXT,   /* a value: stored as a const char * (borrowed from argv) */
    ARG_NUMBER  /* a value: a decimal integer in [lo, hi], stored as a long long */
};

typedef struct option {
    const char *name; /* long name */
    char letter;      /* short name or 0 */
    unsigned bit;     /* OPT_*: which commands accept it */
    int kind;         /* ARG_* */
    size_t field;     /* where it goes: offsetof(cli, …) */
    long long lo, hi; /* ARG_FLAG: the value set; ARG_NUMBER: the range */
    const char *what; /* ARG_NUMBER: what the value must be, for the message */
} option;

#define FLAG(name, letter, bit, field, value) {name, letter, bit, ARG_FLAG, offsetof(cli, field), value, 0, NULL}
#define TEXT(name, letter, bit, field) {name, letter, bit, ARG_TEXT, offsetof(cli, field), 0, 0, NULL}
#define NUMBER(name, letter, bit, field, lo, hi, what) \
    {name, letter, bit, ARG_NUMBER, offsetof(cli, field), lo, hi, what}

static const option OPTIONS[] = {
    TEXT("db", 0, OPT_GLOBAL, db_path),
    TEXT("tenant", 0, OPT_GLOBAL, tenant),
    TEXT("user", 0, OPT_GLOBAL, user),
    FLAG("pretty", 0, OPT_GLOBAL, pretty, 1),
    FLAG("compact", 0, OPT_GLOBAL, pretty, 0),
    NUMBER("lock-wait", 0, OPT_GLOBAL, lock_wait_ms, -1, INT_MAX, "a number of milliseconds (or -1)"),
    FLAG("help", 'h', OPT_GLOBAL, help, 1),
    FLAG("version", 0, OPT_GLOBAL, version, 1),
    TEXT("message", 'm', OPT_MESSAGE, message),
    TEXT("at", 0, OPT_AT, at),
    NUMBER("max-count", 'n', OPT_N, max_items, 1, LLONG_MAX, "a positive number"),
    FLAG("dynamodb-json", 0, OPT_DDB, dynamodb, 1),
    TEXT("expect-head", 0, OPT_EXPECT, expect),
    TEXT("pk", 0, OPT_SCHEMA, pk),
    TEXT("sk", 0, OPT_SCHEMA, sk),
    TEXT("ttl", 0, OPT_SCHEMA, ttl),
    TEXT("condition", 0, OPT_COND, condition),
    TEXT("names", 0, OPT_PH, names),
    TEXT("values", 0, OPT_PH, values),
    TEXT("return", 0, OPT_RETURN, ret),
    TEXT("projection", 0, OPT_PROJ, projection),
    TEXT("filter", 0, OPT_FILTER, filter),
    NUMBER("limit", 0, OPT_PAGE, limit, 1, LLONG_MAX, "a positive number"),
    TEXT("start-key", 0, OPT_PAGE, start_key),
    FLAG("reverse", 0, OPT_REVERSE, reverse, 1),
    NUMBER("segment", 0, OPT_SEGMENT, segment, 0, 1000000, "a non-negative number"),
    NUMBER("segments", 0, OPT_SEGMENT, segments, 1, 1000000, "a positive number"),
    TEXT("key-condition", 0, OPT_KEYCOND, key_condition),
    TEXT("update", 0, OPT_UPDATE, update),
    TEXT("min-dead-share", 0, OPT_GC, gc_dead_share),
    TEXT("keep", 0, OPT_RETAIN, keep),
    TEXT("keep-age", 0, OPT_RETAIN, keep_age),
    FLAG("audit", 0, OPT_RETAIN, audit, 1),
    TEXT("as-of", 0, OPT_ASOF, as_of),
    TEXT("origin", 0, OPT_ORIGIN, origin),
    FLAG("jsonl", 0, OPT_JSONL, jsonl, 1),
    FLAG("oneline", 0, OPT_LOG, oneline, 1),
    TEXT("since", 0, OPT_LOG, since),
    TEXT("until", 0, OPT_LOG, until),
    TEXT("author", 0, OPT_LOG, author),
    TEXT("grep", 0, OPT_LOG, grep),
    FLAG("patch", 'p', OPT_LOG, patch, 1),
    TEXT("now", 0, OPT_NOW, now),
};
#define NOPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

/* ---- parsing the command line ----------------------------------------------------------- */

/* What parsing found besides the option values (stored in the cli). Mistakes are kept, not
 * reported, until the command is known: messages name its synopsis. */
typedef struct parsed {
    char **pos;           /* positional arguments, the command name first */
    int npos;
    unsigned used;        /* OPT_* bits of the options given */
    const char *seen[32]; /* the first option given of each OPT_* bit, as typed */
    const char *bad_opt;  /* the first unknown option */
    char opt_err[256];    /* the first bad option value */
} parsed;

/* An argument that is an option (not "-", not a negative number such as -5 or -.5). */
static int looks_like_option(const char *a)
{
    if (a[0] != '-' || a[1] == '\0') return 0;
    if ((a[1] >= '0' && a[1] <= '9') || a[1] == '.') return 0;
    return 1;
}

static void opt_error(parsed *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void opt_error(parsed *p, const char *fmt, ...)
{
    if (p->opt_err[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->opt_err, sizeof p->opt_err, fmt, ap);
    va_end(ap);
}

/* The option `a` names ("--name", "--name=value", "-x", "-xVALUE"), or NULL. *val gets an
 * attached value; p->opt_err is set when a flag has one. */
static const option *find_option(const char *a, const char **val, parsed *p)
{
    *val = NULL;
    if (a[1] == '-') {
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        for (size_t k = 0; k < NOPTIONS; k++) {
            const option *o = &OPTIONS[k];
            if (strlen(o->name) != nl || strncmp(o->name, name, nl) != 0) continue;
            if (eq && o->kind == ARG_FLAG) {
                opt_error(p, "option --%s takes no value", o->name);
                return NULL;
            }
            if (eq) *val = eq + 1;
            return o;
        }
        p->bad_opt = p->bad_opt ? p->bad_opt : a;
        return NULL;
    }
    for (size_t k = 0; k < NOPTIONS; k++) {
        const option *o = &OPTIONS[k];
        if (o->letter != a[1]) continue;
        if (a[2] && o->kind == ARG_FLAG) break; /* "-hx": unknown */
        if (a[2]) *val = a + 2;
        return o;
    }
    p->bad_opt = p->bad_opt ? p->bad_opt : a;
    return NULL;
}

/* Store option o's value (NULL for a flag) into the cli. */
static void set_option(cli *c, parsed *p, const option *o, const char *val)
{
    char *field = (char *)c + o->field;
    if (o->kind == ARG_FLAG) {
        *(int *)(void *)field = (int)o->lo;
    } else if (o->kind == ARG_TEXT) {
        *(const char **)(void *)field = val;
    } else {
        long long v;
        char shown[40];
        if (o->letter) snprintf(shown, sizeof shown, "-%c", o->letter);
        else snprintf(shown, sizeof shown, "--%s", o->name);
        if (cli_parse_int(val, o->lo, o->hi, &v) != 0) opt_error(p, "%s '%s' is not %s", shown, val, o->what);
        else *(long long *)(void *)field = v;
    }
}

/* Sort argv[1..] into options (stored in c) and positional arguments (p->pos). Options may come
 * before or after the command; "--" ends them. */
static void parse_args(cli *c, parsed *p, int argc, char **argv)
{
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || !looks_like_option(a)) {
            p->pos[p->npos++] = argv[i];
            if (p->npos == 1 && strcmp(a, "serve") == 0) only_pos = 1; /* the rest is strata-server's */
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        const char *val;
        const option *o = find_option(a, &val, p);
        if (!o) continue;
        if (o->kind != ARG_FLAG && !val) {
            if (i + 1 >= argc) {
                opt_error(p, "option %s needs a value", a);
                continue;
            }
            val = argv[++i];
        }
        p->used |= o->bit;
        for (int b = 0; b < 31; b++)
            if ((o->bit >> b) & 1u && !p->seen[b]) p->seen[b] = a;
        set_option(c, p, o, val);
    }
}

/* ---- checking the invocation ------------------------------------------------------------- */

/* The first mistake of an invocation whose command is known, reported; or 0. */
static int check_invocation(cli *c, const parsed *p)
{
    const command *cmd = c->cmd;
    unsigned extra = p->used & ~(OPT_GLOBAL | cmd->opts);
    if (p->opt_err[0]) return cli_usage_fail(c, "%s", p->opt_err);
    if (p->bad_opt) return cli_usage_fail(c, "unknown option '%s'", p->bad_opt);
    if (extra) {
        const char *which = "?";
        for (int b = 0; b < 31; b++)
            if ((extra >> b) & 1u && p->seen[b]) {
                which = p->seen[b];
                break;
            }
        return cli_usage_fail(c, "option %s does not apply to '%s'", which, cmd->name);
    }
    if (c->version) return cli_usage_fail(c, "--version takes no command");
    if (c->nargs < cmd->min_args) return cli_usage_fail(c, "missing arguments");
    if (c->nargs > cmd->max_args) return cli_usage_fail(c, "too many arguments");
    if (!c->db_path[0]) return cli_usage_fail(c, "--db is empty");
    /* query's key condition and update-item's update: an option or a trailing argument */
    if (cmd->opts & (OPT_KEYCOND | OPT_UPDATE)) {
        int keycond = (cmd->opts & OPT_KEYCOND) != 0;
        int pos_at = keycond ? 1 : 2;
        const char **slot = keycond ? &c->key_condition : &c->update;
        const char *opt = keycond ? "--key-condition" : "--update";
        if (c->nargs > pos_at && *slot)
            return cli_usage_fail(c, "give the expression once: as %s or as an argument", opt);
        if (c->nargs > pos_at) *slot = c->args[pos_at];
        else if (!*slot) return cli_usage_fail(c, "missing %s EXPR", opt);
    }
    /* every command that reads or writes a tenant checks its name first */
    if ((cmd->access != DB_NONE || (cmd->opts & OPT_WRITE)) && cli_check_name(c, "tenant name", c->tenant) != 0)
        return EXIT_USAGE;
    return 0;
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

/* Defaults from the environment. Returns 0 or an exit code (a bad $STRATA_TIME). */
static int set_defaults(cli *c)
{
    memset(c, 0, sizeof *c);
    c->tenant = "default";
    c->db_path = getenv("STRATA_DB");
    if (!c->db_path || !c->db_path[0]) c->db_path = ".strata";
    c->user = getenv("STRATA_USER");
    if (!c->user || !c->user[0]) c->user = getenv("USER");
    if (!c->user || !c->user[0]) {
        struct passwd *pw = getpwuid(getuid());
        c->user = pw ? pw->pw_name : "";
    }
    c->pretty = isatty(STDOUT_FILENO);
    c->progress = isatty(STDERR_FILENO);
    c->tz_offset_min = STRATA_TZ_LOCAL;
    const char *tenv = getenv("STRATA_TIME");
    if (tenv && tenv[0] && parse_time_env(tenv, &c->time_us, &c->tz_offset_min) != 0)
        return cli_bad_input(c, "STRATA_TIME '%s' is not SECONDS[.FRACTION][+HHMM]", tenv);
    return 0;
}

/* No command given: --version, --help, or a mistake. */
static int run_without_command(cli *c, const parsed *p)
{
    int rc = EXIT_OK;
    if (c->version) printf("strata %s\n", strata_version());
    else if (c->help) cli_print_main_help();
    else rc = cli_usage_fail(c, "no command given");
    if (!rc && p->opt_err[0]) rc = cli_usage_fail(c, "%s", p->opt_err);
    if (!rc && p->bad_opt) rc = cli_usage_fail(c, "unknown option '%s'", p->bad_opt);
    return rc;
}

static int run(cli *c, parsed *p)
{
    if (p->npos == 0) return run_without_command(c, p);
    c->cmd = cli_find_command(p->pos[0]);
    if (!c->cmd) return cli_usage_fail(c, "unknown command '%s'", p->pos[0]);
    if (c->help) {
        cli_print_command_help(c->cmd);
        return EXIT_OK;
    }
    c->args = p->pos + 1;
    c->nargs = p->npos - 1;
    int rc = check_invocation(c, p);
    if (!rc && c->cmd->access != DB_NONE) rc = cli_open_db(c, c->cmd->access == DB_WRITE);
    if (!rc && (c->cmd->opts & OPT_READ)) rc = cli_read_opts(c, c->args[0]);
    if (!rc) rc = c->cmd->run(c);
    return rc;
}

int cli_main(int argc, char **argv)
{
    cli c;
    int rc = set_defaults(&c);
    if (rc) return rc;
    parsed p;
    memset(&p, 0, sizeof p);
    p.pos = calloc((size_t)argc + 1, sizeof *p.pos);
    if (!p.pos) {
        fputs("strata: out of memory\n", stderr);
        return EXIT_DBERROR;
    }
    c.argc = argc;
    c.argv = argv;
    parse_args(&c, &p, argc, argv);
    c.cmd_word = p.npos ? p.pos[0] : NULL;
    rc = run(&c, &p);
    int ran = c.args != NULL; /* got as far as the command */
    strata_db_close(c.db);
    free(p.pos);
    if (ran && (fflush(stdout) != 0 || ferror(stdout))) {
        fprintf(stderr, "strata: writing the output failed: %s\n", strerror(errno));
        if (!rc) rc = EXIT_DBERROR;
    }
    return rc;
}

const char *cli_option_name(size_t i) { return i < NOPTIONS ? OPTIONS[i].name : NULL; }

int main(int argc, char **argv) { return cli_main(argc, argv); }
