/* strata — the command-line tool: every command of docs/cli.md on top of the public API
 * (include/strata.h) and nothing else. main() parses global and per-command options, looks the
 * command up in one table (add table commands there when the tables API lands), opens the
 * database as a reader or the writer, runs the command and maps the outcome to an exit code:
 * 0 ok, 1 not found / false, 2 bad usage or input, 3 condition failed / conflict, 4 database
 * error. JSON goes to stdout, one-line messages to stderr. */
#include "strata.h"
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_NOTFOUND = 1, EXIT_USAGE = 2, EXIT_CONFLICT = 3, EXIT_DBERROR = 4 };

/* Options a command may accept besides the global ones. */
enum {
    OPT_MESSAGE = 1u << 0, /* -m/--message MSG */
    OPT_AT = 1u << 1,      /* --at DIGEST */
    OPT_N = 1u << 2,       /* -n N */
    OPT_DDB = 1u << 3,     /* --dynamodb-json */
    OPT_EXPECT = 1u << 4,  /* --expect-head DIGEST|none */
    OPT_SCHEMA = 1u << 5,  /* --pk ATTR --sk ATTR --ttl ATTR */
    OPT_COND = 1u << 6,    /* --condition EXPR */
    OPT_PH = 1u << 7,      /* --names JSON --values JSON */
    OPT_RETURN = 1u << 8,  /* --return none|old|new */
    OPT_PROJ = 1u << 9,    /* --projection EXPR */
    OPT_FILTER = 1u << 10, /* --filter EXPR */
    OPT_PAGE = 1u << 11,   /* --limit N --start-key JSON */
    OPT_REVERSE = 1u << 12,/* --reverse */
    OPT_SEGMENT = 1u << 13,/* --segment I --segments N */
    OPT_KEYCOND = 1u << 14,/* --key-condition EXPR */
    OPT_UPDATE = 1u << 15, /* --update EXPR */
    OPT_GC = 1u << 16,     /* --min-dead-share F */
    OPT_RETAIN = 1u << 17, /* --keep N --keep-age S --audit */
    OPT_GLOBAL = 1u << 30  /* accepted by every command */
};

/* How a command uses the database. */
enum { DB_NONE, DB_READ, DB_WRITE };

typedef struct cli cli;

static int parse_int(const char *s, long long lo, long long hi, long long *out);

typedef struct command {
    const char *name;
    const char *args;    /* positional synopsis, e.g. "ENTRY [KEY]" */
    int min_args, max_args;
    unsigned opts;       /* OPT_* accepted besides the global ones */
    int access;          /* DB_NONE / DB_READ / DB_WRITE */
    int (*run)(cli *c);  /* returns an exit code */
    const char *summary; /* one line for `strata help` */
    const char *help;    /* the rest of `strata help CMD` */
} command;

/* Everything one invocation knows. */
struct cli {
    const command *cmd;
    const char *db_path;  /* --db, $STRATA_DB, ./.strata */
    const char *tenant;   /* --tenant, "default" */
    const char *user;     /* --user, $STRATA_USER, $USER */
    const char *message;  /* -m */
    const char *at;       /* --at */
    const char *expect;   /* --expect-head */
    const char *pk, *sk, *ttl;          /* create-table */
    const char *condition, *filter, *projection; /* expressions */
    const char *key_condition, *update; /* --key-condition / --update (or their positional forms) */
    const char *gc_dead_share;          /* gc --min-dead-share */
    const char *keep, *keep_age;        /* retention --keep / --keep-age */
    int audit;                          /* retention --audit */
    const char *names, *values;         /* placeholder maps (JSON text) */
    const char *ret;                    /* --return */
    const char *start_key;              /* --start-key (JSON text) */
    size_t limit;                       /* --limit */
    int reverse;                        /* --reverse */
    unsigned segment, segments;         /* --segment / --segments */
    strata_oid expect_oid; /* its digest, once resolved */
    int have_expect;      /* expect_oid is set */
    size_t max_items;     /* -n (0: all) */
    int pretty;           /* 1: indented JSON */
    int dynamodb;         /* --dynamodb-json */
    int lock_wait_ms;     /* --lock-wait */
    int progress;         /* stderr is a terminal */
    int64_t time_us;      /* $STRATA_TIME or 0 (now) */
    int tz_offset_min;    /* from $STRATA_TIME or STRATA_TZ_LOCAL */
    char **args;          /* positional arguments after the command name */
    int nargs;
    strata_db *db;
};

/* ---- messages and exit codes ------------------------------------------------------------ */

static const char *cmd_name(const cli *c) { return c->cmd ? c->cmd->name : NULL; }

/* Print "strata: CMD: message" on stderr. */
static void say(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("strata: ", stderr);
    if (cmd_name(c)) fprintf(stderr, "%s: ", cmd_name(c));
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The exit code for a negative strata error code. */
static int exit_for(int rc)
{
    switch (rc) {
    case STRATA_ENOTFOUND: return EXIT_NOTFOUND;
    case STRATA_EINVALID:
    case STRATA_ELIMIT: return EXIT_USAGE;
    case STRATA_ECONFLICT:
    case STRATA_ECONDITION:
    case STRATA_EEXISTS: return EXIT_CONFLICT;
    default: return EXIT_DBERROR;
    }
}

/* Report a failed library call (its thread-local message, else the code's description) and
 * return the matching exit code. `context` (optional) is prefixed to the message. */
static int lib_fail(const cli *c, int rc, const char *context)
{
    const strata_error *e = strata_error_last();
    const char *msg = (e->code == rc && e->message && e->message[0]) ? e->message
                                                                      : strata_strerror(rc);
    if (context) say(c, "%s: %s", context, msg);
    else say(c, "%s", msg);
    return exit_for(rc);
}

static int usage_fail(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_fail(const cli *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->cmd)
        say(c, "%s (usage: strata %s%s%s; see 'strata %s --help')", msg, c->cmd->name,
            c->cmd->args[0] ? " " : "", c->cmd->args, c->cmd->name);
    else
        say(c, "%s (see 'strata help')", msg);
    return EXIT_USAGE;
}

/* Report bad input (not a usage mistake): one line, exit code 2. */
static int bad_input(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_input(const cli *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    say(c, "%s", msg);
    return EXIT_USAGE;
}

/* ---- output ----------------------------------------------------------------------------- */

/* Write JSON text (compact, as built) to stdout, re-indented when pretty, plus a newline. */
static void emit(const cli *c, const cli_buf *json)
{
    if (!json->data) return;
    if (c->pretty) {
        cli_buf p = {0};
        cli_json_pretty(&p, json->data, json->len, 0);
        fwrite(p.data, 1, p.len, stdout);
        cli_buf_free(&p);
    } else {
        fwrite(json->data, 1, json->len, stdout);
    }
    fputc('\n', stdout);
}

/* JSON flags for values; `item` asks for DynamoDB's item form (a map of name → AttributeValue). */
static unsigned json_flags(const cli *c, int item)
{
    if (!c->dynamodb) return 0;
    return STRATA_JSON_DYNAMODB | (item ? STRATA_JSON_ITEM : 0);
}

/* Append value v as compact JSON. Returns 0 or an exit code (after a message). */
static int add_value(const cli *c, cli_buf *b, const strata_value *v, unsigned flags)
{
    char *s = NULL;
    size_t n = 0;
    int rc = strata_value_to_json(&s, &n, v, flags);
    if (rc < 0) return lib_fail(c, rc, "rendering a value as JSON");
    cli_buf_add(b, s, n);
    strata_free(s);
    return 0;
}

static void add_oid(cli_buf *b, const strata_oid *oid)
{
    char hex[STRATA_OID_HEXSIZE + 1];
    strata_oid_fmt(hex, oid);
    cli_buf_json_string(b, hex, STRATA_OID_HEXSIZE);
}

static void add_str(cli_buf *b, const char *s) { cli_buf_json_string(b, s ? s : "", s ? strlen(s) : 0); }

static const char *kind_name(int kind)
{
    switch (kind) {
    case STRATA_ENTRY_DOCUMENT: return "document";
    case STRATA_ENTRY_RECORDS: return "records";
    case STRATA_ENTRY_TABLE: return "table";
    default: return "unknown";
    }
}

/* Print the outcome of a write: {"digest": …, "changed": true|false[, "records": n]}. */
static int print_write(const cli *c, int rc, const strata_oid *oid, long records)
{
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"digest\":");
    add_oid(&b, oid);
    cli_buf_puts(&b, rc == STRATA_UNCHANGED ? ",\"changed\":false" : ",\"changed\":true");
    if (records >= 0) {
        char num[32];
        snprintf(num, sizeof num, ",\"records\":%ld", records);
        cli_buf_puts(&b, num);
    }
    cli_buf_putc(&b, '}');
    emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* ---- progress on a terminal ------------------------------------------------------------- */

typedef struct progress {
    int on;            /* drawing at all (stderr is a terminal) */
    int drawn;         /* something is on the line now */
    const char *label; /* "import", … */
    double last;       /* monotonic seconds of the last draw */
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Redraw at most 10 times a second: a bar when total > 0, else a counter. `what` names the
 * counted things ("records"). */
static void progress_show(progress *p, uint64_t done, uint64_t total, uint64_t count,
                          const char *what, int force)
{
    if (!p->on) return;
    double t = now_s();
    if (!force && p->drawn && t - p->last < 0.1) return;
    p->last = t;
    p->drawn = 1;
    if (total > 0) {
        int width = 30, fill = (int)((double)done / (double)total * width);
        if (fill > width) fill = width;
        char bar[31];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(width - fill));
        bar[width] = '\0';
        fprintf(stderr, "\r%s [%s] %3d%%  %llu %s\033[K", p->label, bar,
                (int)((double)done * 100.0 / (double)total), (unsigned long long)count, what);
    } else {
        fprintf(stderr, "\r%s: %llu %s\033[K", p->label, (unsigned long long)count, what);
    }
    fflush(stderr);
}

/* Say what is happening now (a phase without a measurable amount). */
static void progress_note(progress *p, const char *text)
{
    if (!p->on) return;
    fprintf(stderr, "\r%s: %s\033[K", p->label, text);
    fflush(stderr);
    p->drawn = 1;
}

static void progress_end(progress *p)
{
    if (p->on && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}

/* ---- input ------------------------------------------------------------------------------ */

/* Read all of `path` ("-" or NULL: stdin) into out. Returns 0 or EXIT_USAGE after a message. */
static int read_input(const cli *c, const char *path, cli_buf *out)
{
    int use_stdin = !path || strcmp(path, "-") == 0;
    FILE *f = use_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        say(c, "cannot read '%s': %s", path, strerror(errno));
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
        say(c, "cannot read '%s': %s", use_stdin ? "stdin" : path, strerror(err));
        return EXIT_USAGE;
    }
    return 0;
}

/* Parse JSON text into a value with the CLI's JSON flags; `what` names the input in the
 * message. Returns 0 or an exit code. */
static int parse_value(const cli *c, strata_value **out, const char *s, size_t n, const char *what)
{
    int rc = strata_value_from_json(out, s, n, json_flags(c, 0));
    if (rc < 0) return lib_fail(c, rc, what);
    return 0;
}

/* The name rule of strata.h: 1–255 bytes of UTF-8 without control characters. Returns NULL
 * when `name` follows it, else a description of the problem written into buf. Checked before
 * the database is touched so that bad input changes nothing (not even a new tenant). */
static const char *name_problem(const char *what, const char *name, char *buf, size_t n)
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

/* name_problem as a command check: 0, or EXIT_USAGE after a message. */
static int check_name(const cli *c, const char *what, const char *name)
{
    char buf[160];
    const char *problem = name_problem(what, name, buf, sizeof buf);
    return problem ? bad_input(c, "%s", problem) : 0;
}

/* ---- records input: JSON Lines and key → value maps ------------------------------------- */

typedef struct recs {
    char **keys;
    strata_value **vals;
    size_t n, cap;
} recs;

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->keys[i]);
        strata_value_free(r->vals[i]);
    }
    free(r->keys);
    free(r->vals);
    memset(r, 0, sizeof *r);
}

static void recs_push(recs *r, char *key, strata_value *v)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        char **k = realloc(r->keys, cap * sizeof *k);
        if (k) r->keys = k;
        strata_value **vv = k ? realloc(r->vals, cap * sizeof *vv) : NULL;
        if (!k || !vv) {
            fputs("strata: out of memory\n", stderr);
            exit(EXIT_DBERROR);
        }
        r->vals = vv;
        r->cap = cap;
    }
    r->keys[r->n] = key;
    r->vals[r->n] = v;
    r->n++;
}

/* State for parsing one input text into records. */
typedef struct recparse {
    const cli *c;
    const char *src;    /* input name for messages */
    const char *text;   /* the whole input */
    size_t len;
    recs *out;
    int exit_code;      /* set by callbacks on failure */
    /* one JSON Lines record being collected */
    char *key;
    size_t key_off, val_start, val_end;
    int have_key, have_val;
} recparse;

/* Report a problem at byte `off` of the input as SRC:LINE:COL. */
static int at_fail(recparse *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int at_fail(recparse *p, size_t off, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t line, col;
    cli_json_linecol(p->text, p->len, off, &line, &col);
    say(p->c, "%s:%zu:%zu: %s", p->src, line, col, msg);
    p->exit_code = EXIT_USAGE;
    return -2;
}

/* Parse s[vs, ve) as a value for record `key`; push it. Returns 0 or -2 after a message. */
static int add_record(recparse *p, char *key, size_t vs, size_t ve)
{
    const cli *c = p->c;
    strata_value *v = NULL;
    int rc = strata_value_from_json(&v, p->text + vs, ve - vs, json_flags(c, 0));
    if (rc < 0) {
        const strata_error *e = strata_error_last();
        const char *m = (e->code == rc && e->message && e->message[0]) ? e->message
                                                                        : strata_strerror(rc);
        size_t line, col;
        cli_json_linecol(p->text, p->len, vs, &line, &col);
        say(c, "%s:%zu: value of record '%s': %s", p->src, line, key, m);
        free(key);
        p->exit_code = exit_for(rc);
        return -2;
    }
    recs_push(p->out, key, v);
    return 0;
}

/* Member callback for the key → value map form. */
static int map_member(void *payload, const char *key, size_t vs, size_t ve)
{
    recparse *p = payload;
    char *k = strdup(key);
    if (!k) {
        fputs("strata: out of memory\n", stderr);
        exit(EXIT_DBERROR);
    }
    char buf[160];
    const char *problem = name_problem("record key", k, buf, sizeof buf);
    if (problem) {
        free(k);
        return at_fail(p, vs, "%s", problem);
    }
    return add_record(p, k, vs, ve);
}

/* Member callback for one JSON Lines record {"key": "...", "value": ...}. */
static int line_member(void *payload, const char *name, size_t vs, size_t ve)
{
    recparse *p = payload;
    if (strcmp(name, "key") == 0) {
        if (p->have_key) return at_fail(p, vs, "member \"key\" appears twice");
        size_t e;
        cli_json_err err;
        char *k = NULL;
        if (p->text[vs] != '"') return at_fail(p, vs, "\"key\" must be a string");
        if (cli_json_string(&k, NULL, &e, p->text, ve, vs, &err) != 0)
            return at_fail(p, err.offset, "%s", err.msg);
        p->key = k;
        p->key_off = vs;
        p->have_key = 1;
        return 0;
    }
    if (strcmp(name, "value") == 0) {
        if (p->have_val) return at_fail(p, vs, "member \"value\" appears twice");
        p->val_start = vs;
        p->val_end = ve;
        p->have_val = 1;
        return 0;
    }
    return at_fail(p, vs, "unexpected member \"%s\" (a record is {\"key\": …, \"value\": …})", name);
}

/* Parse JSON Lines records: one object per line, blank lines skipped. Returns 0 or an exit code
 * (after a message). `pg` (optional) shows progress by bytes. */
static int parse_lines(recparse *p, progress *pg)
{
    size_t i = 0;
    while (i < p->len) {
        i = cli_json_skip_ws(p->text, p->len, i);
        if (i >= p->len) break;
        if (p->text[i] != '{')
            return at_fail(p, i, "expected a record object {\"key\": …, \"value\": …}"), p->exit_code;
        p->have_key = p->have_val = 0;
        p->key = NULL;
        size_t end;
        cli_json_err err;
        int rc = cli_json_object(&end, p->text, p->len, i, line_member, p, &err);
        if (rc == -1) at_fail(p, err.offset, "%s", err.msg);
        if (rc == 0 && !p->have_key) rc = at_fail(p, i, "record has no \"key\"");
        if (rc == 0 && !p->have_val) rc = at_fail(p, i, "record has no \"value\"");
        char buf[160];
        const char *problem = rc == 0 ? name_problem("record key", p->key, buf, sizeof buf) : NULL;
        if (problem) rc = at_fail(p, p->key_off, "%s", problem);
        if (rc != 0) {
            free(p->key);
            p->key = NULL;
            return p->exit_code ? p->exit_code : EXIT_USAGE;
        }
        char *k = p->key;
        p->key = NULL;
        if (add_record(p, k, p->val_start, p->val_end) != 0) return p->exit_code;
        /* the rest of the line must be blank */
        size_t j = end;
        while (j < p->len && (p->text[j] == ' ' || p->text[j] == '\t' || p->text[j] == '\r')) j++;
        if (j < p->len && p->text[j] != '\n')
            return at_fail(p, j, "expected a new line after the record (JSON Lines: one record per line)"),
                   p->exit_code;
        i = j;
        if (pg) progress_show(pg, i, p->len, p->out->n, "records", 0);
    }
    return 0;
}

/* Parse put-many input: one JSON object of key → value, or JSON Lines records when the input
 * holds more than one value. Returns 0 or an exit code. */
static int parse_records_any(recparse *p)
{
    size_t i = cli_json_skip_ws(p->text, p->len, 0);
    if (i >= p->len) {
        say(p->c, "%s: no records in the input", p->src);
        return EXIT_USAGE;
    }
    size_t end;
    cli_json_err err;
    if (cli_json_value_end(&end, p->text, p->len, i, &err) != 0)
        return at_fail(p, err.offset, "%s", err.msg), p->exit_code;
    if (cli_json_skip_ws(p->text, p->len, end) < p->len) return parse_lines(p, NULL);
    if (p->text[i] != '{')
        return at_fail(p, i, "expected a JSON object of key → value, or JSON Lines records"),
               p->exit_code;
    int rc = cli_json_object(&end, p->text, p->len, i, map_member, p, &err);
    if (rc == -1) return at_fail(p, err.offset, "%s", err.msg), p->exit_code;
    if (rc != 0) return p->exit_code ? p->exit_code : EXIT_USAGE;
    return 0;
}

/* ---- database access -------------------------------------------------------------------- */

static int open_db(cli *c, int write)
{
    strata_db_options o;
    strata_db_options_init(&o, STRATA_DB_OPTIONS_VERSION);
    o.create = write;
    o.read_only = !write;
    o.lock_wait_ms = c->lock_wait_ms;
    if (!write) {
        struct stat st;
        if (stat(c->db_path, &st) != 0) {
            say(c, "no strata database at '%s' (create one with 'strata init')", c->db_path);
            return EXIT_NOTFOUND;
        }
    }
    int rc = strata_db_open(&c->db, c->db_path, &o);
    if (rc == STRATA_EBUSY) {
        say(c, "database '%s' is locked by another writer (retry later, or wait with --lock-wait MS)",
            c->db_path);
        return EXIT_DBERROR;
    }
    if (rc == STRATA_ENOTFOUND && !write) {
        say(c, "no strata database at '%s' (create one with 'strata init')", c->db_path);
        return EXIT_NOTFOUND;
    }
    if (rc < 0) return lib_fail(c, rc, c->db_path);
    return 0;
}

static void write_opts(const cli *c, strata_write_options *wo)
{
    strata_write_options_init(wo, STRATA_WRITE_OPTIONS_VERSION);
    wo->user = c->user;
    wo->message = c->message;
    wo->origin = "strata-cli";
    wo->time_us = c->time_us;
    wo->tz_offset_min = c->tz_offset_min;
    wo->expect_head = c->have_expect ? &c->expect_oid : NULL;
}

static int resolve_commit(cli *c, const char *entry, const char *text, strata_oid *out);

/* Resolve --expect-head against `entry` once the database is open. "none" (or 64 zeros) means
 * the entry must not exist yet. Returns 0 or an exit code. */
static int resolve_expect(cli *c, const char *entry)
{
    if (!c->expect) return 0;
    memset(&c->expect_oid, 0, sizeof c->expect_oid);
    c->have_expect = 1;
    if (strcmp(c->expect, "none") == 0) return 0;
    return resolve_commit(c, entry, c->expect, &c->expect_oid);
}

/* Create the tenant on first write (strata_tenant_init is idempotent). */
static int ensure_tenant(cli *c)
{
    int rc = strata_tenant_exists(c->db, c->tenant);
    if (rc < 0) return lib_fail(c, rc, NULL);
    if (rc == 1) return 0;
    strata_write_options wo;
    write_opts(c, &wo);
    rc = strata_tenant_init(c->db, c->tenant, &wo);
    if (rc < 0) return lib_fail(c, rc, NULL);
    return 0;
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
    if (rc < 0) return lib_fail(c, rc, NULL);
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
    if (rc != STRATA_ITEROVER) return lib_fail(c, rc, NULL);
    return 0;
}

/* Resolve a commit given as 64 hex digits, or as a unique prefix of at least 4 hex digits
 * among the commits of `entry` (NULL: of every entry of the tenant). Returns 0 or an exit code. */
static int resolve_commit(cli *c, const char *entry, const char *text, strata_oid *out)
{
    size_t n = strlen(text);
    if (n == STRATA_OID_HEXSIZE) {
        int rc = strata_oid_parse(out, text);
        if (rc < 0) return lib_fail(c, rc, NULL);
        return 0;
    }
    if (n < 4 || n > STRATA_OID_HEXSIZE || !is_hex(text))
        return bad_input(c, "'%s' is not a commit digest (64 hex digits, or a unique prefix of at least 4)", text);
    char prefix[STRATA_OID_HEXSIZE + 1];
    for (size_t i = 0; i <= n; i++) prefix[i] = (char)((text[i] >= 'A' && text[i] <= 'F') ? text[i] + 32 : text[i]);
    int found = 0, rc;
    if (entry) {
        rc = match_prefix_in(c, entry, prefix, out, &found);
        if (rc) return rc;
    } else {
        strata_iter *it = NULL;
        rc = strata_entry_list(&it, c->db, c->tenant, NULL);
        if (rc < 0) return lib_fail(c, rc, NULL);
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
        if (rc != STRATA_ITEROVER) return lib_fail(c, rc, NULL);
    }
    if (found == 0) {
        if (entry) say(c, "no commit of entry '%s' starts with '%s'", entry, text);
        else say(c, "no commit in tenant '%s' starts with '%s'", c->tenant, text);
        return EXIT_NOTFOUND;
    }
    if (found > 1)
        return bad_input(c, "digest prefix '%s' is ambiguous (%d commits match)", text, found);
    return 0;
}

/* Read options for --at (resolved against `entry`). `oid` holds the digest. */
static int read_opts(cli *c, const char *entry, strata_read_options *ro, strata_oid *oid)
{
    strata_read_options_init(ro, STRATA_READ_OPTIONS_VERSION);
    if (!c->at) return 0;
    int rc = resolve_commit(c, entry, c->at, oid);
    if (rc) return rc;
    ro->at = oid;
    return 0;
}

/* ---- commands --------------------------------------------------------------------------- */

static int cmd_init(cli *c)
{
    struct stat st;
    int existed = stat(c->db_path, &st) == 0;
    int rc = open_db(c, 1);
    if (rc) return rc;
    strata_write_options wo;
    write_opts(c, &wo);
    rc = strata_tenant_init(c->db, c->tenant, &wo);
    if (rc < 0) return lib_fail(c, rc, NULL);
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

static int cmd_save(cli *c)
{
    const char *entry = c->args[0];
    int rc = check_name(c, "entry name", entry);
    if (rc) return rc;
    cli_buf in = {0};
    strata_value *v = NULL;
    rc = read_input(c, c->nargs > 1 ? c->args[1] : NULL, &in);
    if (!rc) rc = parse_value(c, &v, in.data, in.len, "input");
    if (!rc) rc = open_db(c, 1);
    if (!rc) rc = ensure_tenant(c);
    if (!rc) rc = resolve_expect(c, entry);
    if (!rc) {
        strata_write_options wo;
        write_opts(c, &wo);
        strata_oid oid;
        int r = strata_document_save(&oid, c->db, c->tenant, entry, v, &wo);
        rc = r < 0 ? lib_fail(c, r, NULL) : print_write(c, r, &oid, -1);
    }
    strata_value_free(v);
    cli_buf_free(&in);
    return rc;
}

static int cmd_load(cli *c)
{
    const char *entry = c->args[0];
    strata_read_options ro;
    strata_oid at;
    int rc = read_opts(c, entry, &ro, &at);
    if (rc) return rc;
    strata_value *v = NULL;
    int r = strata_document_load(&v, c->db, c->tenant, entry, &ro);
    if (r < 0) return lib_fail(c, r, NULL);
    cli_buf b = {0};
    rc = add_value(c, &b, v, json_flags(c, 0));
    if (!rc) emit(c, &b);
    cli_buf_free(&b);
    strata_value_free(v);
    return rc;
}

static int cmd_put(cli *c)
{
    const char *entry = c->args[0], *key = c->args[1], *json = c->args[2];
    int rc = check_name(c, "entry name", entry);
    if (!rc) rc = check_name(c, "record key", key);
    if (rc) return rc;
    strata_value *v = NULL;
    rc = parse_value(c, &v, json, strlen(json), "value");
    if (!rc) rc = open_db(c, 1);
    if (!rc) rc = ensure_tenant(c);
    if (!rc) rc = resolve_expect(c, entry);
    if (!rc) {
        strata_write_options wo;
        write_opts(c, &wo);
        strata_oid oid;
        int r = strata_records_put(&oid, c->db, c->tenant, entry, key, v, &wo);
        rc = r < 0 ? lib_fail(c, r, NULL) : print_write(c, r, &oid, -1);
    }
    strata_value_free(v);
    return rc;
}

/* put-many and import: parse every record first (bad input changes nothing), then write them
 * all in one commit. */
static int put_records(cli *c, const char *path, int lines_only)
{
    const char *entry = c->args[0];
    int rc = check_name(c, "entry name", entry);
    if (rc) return rc;
    progress pg = {c->progress && lines_only, 0, c->cmd->name, 0};
    cli_buf in = {0};
    recs r = {0};
    rc = read_input(c, path, &in);
    if (!rc) {
        recparse p = {0};
        p.c = c;
        p.src = (!path || strcmp(path, "-") == 0) ? "stdin" : path;
        p.text = in.data;
        p.len = in.len;
        p.out = &r;
        rc = lines_only ? parse_lines(&p, &pg) : parse_records_any(&p);
        if (!rc && r.n == 0) {
            say(c, "%s: no records in the input", p.src);
            rc = EXIT_USAGE;
        }
    }
    if (!rc) {
        progress_show(&pg, in.len, in.len, r.n, "records", 1);
        progress_note(&pg, "committing…");
        rc = open_db(c, 1);
    }
    if (!rc) rc = ensure_tenant(c);
    if (!rc) rc = resolve_expect(c, entry);
    if (!rc) {
        strata_write_options wo;
        write_opts(c, &wo);
        strata_oid oid;
        int w = strata_records_put_many(&oid, c->db, c->tenant, entry, (const char *const *)r.keys,
                                (const strata_value *const *)r.vals, r.n, &wo);
        progress_end(&pg);
        rc = w < 0 ? lib_fail(c, w, NULL) : print_write(c, w, &oid, (long)r.n);
    }
    progress_end(&pg);
    recs_free(&r);
    cli_buf_free(&in);
    return rc;
}

static int cmd_put_many(cli *c) { return put_records(c, c->nargs > 1 ? c->args[1] : NULL, 0); }

/* Import into a table: every non-blank line of the input is one item (a JSON object; DynamoDB
 * item JSON with --dynamodb-json). All lines are parsed first; then one commit writes them. */
static int import_items(cli *c, const char *entry, const char *path)
{
    cli_buf in = {0};
    int rc = read_input(c, path, &in);
    if (rc) return rc;
    const char *src = (!path || strcmp(path, "-") == 0) ? "stdin" : path;
    strata_value **items = NULL;
    size_t *lines = NULL; /* input line of each item, for messages */
    size_t n = 0, cap = 0, line = 0;
    progress pg = {c->progress, 0, "import", 0};
    for (size_t i = 0; i < in.len && !rc;) {
        const char *p = (const char *)in.data + i;
        const char *nl = memchr(p, '\n', in.len - i);
        size_t len = nl ? (size_t)(nl - p) : in.len - i;
        i += len + (nl ? 1 : 0);
        line++;
        size_t a = 0;
        while (a < len && (p[a] == ' ' || p[a] == '\t' || p[a] == '\r')) a++;
        if (a == len) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            strata_value **ni = realloc(items, nc * sizeof *ni);
            if (ni) items = ni;
            size_t *nl2 = ni ? realloc(lines, nc * sizeof *nl2) : NULL;
            if (!ni || !nl2) {
                rc = bad_input(c, "out of memory");
                break;
            }
            lines = nl2;
            cap = nc;
        }
        int r = strata_value_from_json(&items[n], p, len, json_flags(c, 1));
        if (r < 0) {
            rc = bad_input(c, "%s:%zu: %s", src, line, strata_error_last()->message);
            break;
        }
        lines[n++] = line;
        progress_show(&pg, i, in.len, n, "items", 0);
    }
    if (!rc && n == 0) {
        say(c, "%s: no items in the input", src);
        rc = EXIT_USAGE;
    }
    strata_txn *t = NULL;
    if (!rc) {
        progress_note(&pg, "committing…");
        strata_write_options wo;
        write_opts(c, &wo);
        wo.expect_head = NULL;
        int r = strata_txn_begin(&t, c->db, c->tenant, &wo);
        if (r == 0 && c->have_expect) r = strata_txn_expect_head(t, entry, &c->expect_oid);
        size_t k = 0;
        for (; k < n && r == 0; k++) r = strata_txn_put_item(t, entry, items[k]);
        if (r == STRATA_EINVALID && k > 0) {
            progress_end(&pg);
            rc = bad_input(c, "%s:%zu: %s", src, lines[k - 1], strata_error_last()->message);
            r = 0; /* reported; the transaction is aborted below: nothing was written */
        }
        strata_oid m;
        if (r == 0 && !rc) {
            r = strata_txn_commit(&m, t);
            t = NULL;
        }
        progress_end(&pg);
        if (rc) {
        } else if (r < 0) rc = lib_fail(c, r, NULL);
        else {
            strata_oid head;
            int h = strata_entry_head(&head, c->db, c->tenant, entry, NULL);
            rc = h < 0 ? lib_fail(c, h, NULL) : print_write(c, r, &head, (long)n);
        }
    }
    strata_txn_abort(t);
    progress_end(&pg);
    for (size_t k = 0; k < n; k++) strata_value_free(items[k]);
    free(items);
    free(lines);
    cli_buf_free(&in);
    return rc;
}

static int cmd_import(cli *c)
{
    /* a table takes items; anything else (a records entry, or a new one) takes records */
    const char *entry = c->args[0];
    int rc = check_name(c, "entry name", entry);
    if (rc) return rc;
    struct stat st;
    if (stat(c->db_path, &st) == 0) {
        if ((rc = open_db(c, 1))) return rc;
        int kind = strata_entry_kind_of(c->db, c->tenant, entry, NULL);
        if (kind == STRATA_ENTRY_TABLE) {
            if ((rc = resolve_expect(c, entry))) return rc;
            return import_items(c, entry, c->args[1]);
        }
        strata_db_close(c->db); /* put_records parses the input before it opens the database */
        c->db = NULL;
        strata_error_clear();
    }
    return put_records(c, c->args[1], 1);
}

static int cmd_get(cli *c)
{
    const char *entry = c->args[0];
    strata_read_options ro;
    strata_oid at;
    int rc = read_opts(c, entry, &ro, &at);
    if (rc) return rc;
    strata_value *v = NULL;
    int r;
    if (c->nargs > 1) r = strata_records_get(&v, c->db, c->tenant, entry, c->args[1], &ro);
    else r = strata_records_get_all(&v, c->db, c->tenant, entry, &ro);
    if (r < 0) return lib_fail(c, r, NULL);
    cli_buf b = {0};
    rc = add_value(c, &b, v, json_flags(c, c->nargs == 1));
    if (!rc) emit(c, &b);
    cli_buf_free(&b);
    strata_value_free(v);
    return rc;
}

static int cmd_delete(cli *c)
{
    const char *entry = c->args[0], *key = c->args[1];
    int rc = resolve_expect(c, entry);
    if (rc) return rc;
    strata_write_options wo;
    write_opts(c, &wo);
    strata_oid oid;
    int r = strata_records_delete(&oid, c->db, c->tenant, entry, key, &wo);
    if (r < 0) return lib_fail(c, r, NULL);
    if (r == STRATA_UNCHANGED) {
        say(c, "no record '%s' in entry '%s'", key, entry);
        return EXIT_NOTFOUND;
    }
    return print_write(c, r, &oid, -1);
}

static int cmd_exists(cli *c)
{
    int r = strata_entry_exists(c->db, c->tenant, c->args[0], NULL);
    if (r < 0 && r != STRATA_ENOTFOUND) return lib_fail(c, r, NULL);
    fputs(r == 1 ? "true\n" : "false\n", stdout);
    return r == 1 ? EXIT_OK : EXIT_NOTFOUND;
}

static int cmd_digest(cli *c)
{
    const char *entry = c->args[0];
    strata_read_options ro;
    strata_oid at, head;
    int rc = read_opts(c, entry, &ro, &at);
    if (rc) return rc;
    int r = strata_entry_head(&head, c->db, c->tenant, entry, &ro);
    if (r < 0) return lib_fail(c, r, NULL);
    char hex[STRATA_OID_HEXSIZE + 1];
    strata_oid_fmt(hex, &head);
    printf("%s\n", hex);
    return EXIT_OK;
}

/* Append the commit's time as ISO 8601 JSON string. */
static void add_time(cli_buf *b, const strata_commit *cm)
{
    char t[40] = "";
    if (strata_commit_format_time(t, cm, STRATA_TIME_ISO) < 0) t[0] = '\0';
    add_str(b, t);
}

static int cmd_log(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_entry_history(&it, c->db, c->tenant, c->args[0], NULL, c->max_items);
    if (r < 0) return lib_fail(c, r, NULL);
    cli_buf b = {0};
    cli_buf_putc(&b, '[');
    int first = 1;
    while ((r = strata_iter_next(it)) == 0) {
        const strata_commit *cm = strata_iter_commit(it);
        cli_buf_puts(&b, first ? "{\"digest\":" : ",{\"digest\":");
        first = 0;
        add_oid(&b, strata_commit_digest(cm));
        cli_buf_puts(&b, ",\"user\":");
        add_str(&b, strata_commit_user(cm));
        cli_buf_puts(&b, ",\"date\":");
        add_time(&b, cm);
        cli_buf_puts(&b, ",\"message\":");
        add_str(&b, strata_commit_message(cm));
        cli_buf_puts(&b, ",\"operation\":");
        add_str(&b, strata_commit_operation(cm));
        cli_buf_putc(&b, '}');
    }
    strata_iter_free(it);
    int rc = EXIT_OK;
    if (r != STRATA_ITEROVER) rc = lib_fail(c, r, NULL);
    else {
        cli_buf_putc(&b, ']');
        emit(c, &b);
    }
    cli_buf_free(&b);
    return rc;
}

static int cmd_show(cli *c)
{
    strata_oid oid;
    int rc = resolve_commit(c, NULL, c->args[0], &oid);
    if (rc) return rc;
    strata_commit *cm = NULL;
    int r = strata_commit_lookup(&cm, c->db, c->tenant, &oid);
    if (r < 0) return lib_fail(c, r, NULL);
    cli_buf b = {0};
    char num[64];
    cli_buf_puts(&b, "{\"digest\":");
    add_oid(&b, strata_commit_digest(cm));
    cli_buf_puts(&b, ",\"entry\":");
    add_str(&b, strata_commit_entry(cm));
    cli_buf_puts(&b, ",\"kind\":");
    add_str(&b, kind_name(strata_commit_kind(cm)));
    snprintf(num, sizeof num, ",\"generation\":%llu",
             (unsigned long long)strata_commit_generation(cm));
    cli_buf_puts(&b, num);
    cli_buf_puts(&b, ",\"user\":");
    add_str(&b, strata_commit_user(cm));
    cli_buf_puts(&b, ",\"date\":");
    add_time(&b, cm);
    snprintf(num, sizeof num, ",\"time_us\":%lld", (long long)strata_commit_time_us(cm));
    cli_buf_puts(&b, num);
    cli_buf_puts(&b, ",\"message\":");
    add_str(&b, strata_commit_message(cm));
    cli_buf_puts(&b, ",\"origin\":");
    add_str(&b, strata_commit_origin(cm));
    cli_buf_puts(&b, ",\"operation\":");
    add_str(&b, strata_commit_operation(cm));
    cli_buf_puts(&b, ",\"parents\":[");
    size_t np = strata_commit_parent_count(cm);
    for (size_t i = 0; i < np; i++) {
        if (i) cli_buf_putc(&b, ',');
        add_oid(&b, strata_commit_parent(cm, i));
    }
    cli_buf_puts(&b, "],\"data\":");
    add_oid(&b, strata_commit_data(cm));
    cli_buf_putc(&b, '}');
    emit(c, &b);
    cli_buf_free(&b);
    strata_commit_free(cm);
    return EXIT_OK;
}

static int cmd_diff(cli *c)
{
    const char *entry = c->args[0];
    strata_oid a, b_oid;
    int rc = resolve_commit(c, entry, c->args[1], &a);
    if (!rc && c->nargs > 2) rc = resolve_commit(c, entry, c->args[2], &b_oid);
    if (rc) return rc;
    strata_iter *it = NULL;
    int r = strata_entry_diff(&it, c->db, c->tenant, entry, &a, c->nargs > 2 ? &b_oid : NULL);
    if (r < 0) return lib_fail(c, r, NULL);
    cli_buf b = {0};
    cli_buf_putc(&b, '[');
    int first = 1;
    while (rc == 0 && (r = strata_iter_next(it)) == 0) {
        strata_slice k = strata_iter_key(it);
        const strata_value *ov = strata_iter_old_value(it), *nv = strata_iter_value(it);
        cli_buf_puts(&b, first ? "{" : ",{");
        first = 0;
        const strata_value *kv = strata_iter_key_value(it);
        if (k.len) {
            cli_buf_puts(&b, "\"key\":");
            cli_buf_json_string(&b, k.data, k.len);
            cli_buf_putc(&b, ',');
        } else if (kv) { /* tables: the key attributes as a map */
            cli_buf_puts(&b, "\"key\":");
            rc = add_value(c, &b, kv, json_flags(c, 1));
            cli_buf_putc(&b, ',');
        }
        cli_buf_puts(&b, "\"change\":");
        cli_buf_puts(&b, !ov ? "\"added\"" : !nv ? "\"removed\"" : "\"modified\"");
        if (ov) {
            cli_buf_puts(&b, ",\"old\":");
            rc = add_value(c, &b, ov, json_flags(c, 0));
        }
        if (nv && !rc) {
            cli_buf_puts(&b, ",\"new\":");
            rc = add_value(c, &b, nv, json_flags(c, 0));
        }
        cli_buf_putc(&b, '}');
    }
    strata_iter_free(it);
    if (!rc && r != STRATA_ITEROVER) rc = lib_fail(c, r, NULL);
    if (!rc) {
        cli_buf_putc(&b, ']');
        emit(c, &b);
    }
    cli_buf_free(&b);
    return rc;
}

static int cmd_restore(cli *c)
{
    const char *entry = c->args[0];
    strata_oid target, oid;
    int rc = resolve_commit(c, entry, c->args[1], &target);
    if (!rc) rc = resolve_expect(c, entry);
    if (rc) return rc;
    strata_write_options wo;
    write_opts(c, &wo);
    int r = strata_entry_restore(&oid, c->db, c->tenant, entry, &target, &wo);
    if (r < 0) return lib_fail(c, r, NULL);
    return print_write(c, r, &oid, -1);
}

static int cmd_export(cli *c)
{
    const char *entry = c->args[0];
    strata_read_options ro;
    strata_oid at;
    int rc = read_opts(c, entry, &ro, &at);
    if (rc) return rc;
    strata_iter *it = NULL;
    int table = strata_entry_kind_of(c->db, c->tenant, entry, &ro) == STRATA_ENTRY_TABLE;
    int r = table ? strata_table_scan(&it, c->db, c->tenant, entry, NULL, &ro)
                  : strata_records_list(&it, c->db, c->tenant, entry, &ro);
    if (r < 0) return lib_fail(c, r, NULL);
    progress pg = {c->progress, 0, "export", 0};
    if (table) {
        /* one item per line, the form `import` reads back */
        cli_buf b = {0};
        uint64_t n = 0;
        while ((r = strata_iter_next(it)) == 0) {
            b.len = 0;
            if ((rc = add_value(c, &b, strata_iter_value(it), json_flags(c, 1)))) break;
            cli_buf_putc(&b, '\n');
            fwrite(b.data, 1, b.len, stdout);
            progress_show(&pg, 0, 0, ++n, "items", 0);
        }
        progress_end(&pg);
        strata_iter_free(it);
        cli_buf_free(&b);
        if (!rc && r != STRATA_ITEROVER) rc = lib_fail(c, r, NULL);
        return rc;
    }
    cli_buf b = {0};
    uint64_t n = 0;
    while ((r = strata_iter_next(it)) == 0) {
        strata_slice k = strata_iter_key(it);
        b.len = 0;
        cli_buf_puts(&b, "{\"key\":");
        cli_buf_json_string(&b, k.data, k.len);
        cli_buf_puts(&b, ",\"value\":");
        rc = add_value(c, &b, strata_iter_value(it), json_flags(c, 0));
        if (rc) break;
        cli_buf_puts(&b, "}\n");
        fwrite(b.data, 1, b.len, stdout);
        progress_show(&pg, 0, 0, ++n, "records", 0);
    }
    progress_end(&pg);
    strata_iter_free(it);
    cli_buf_free(&b);
    if (!rc && r != STRATA_ITEROVER) rc = lib_fail(c, r, NULL);
    return rc;
}

/* Print the names an iterator yields as a JSON array. */
static int print_names(cli *c, strata_iter *it)
{
    cli_buf b = {0};
    cli_buf_putc(&b, '[');
    int r, first = 1;
    while ((r = strata_iter_next(it)) == 0) {
        strata_slice k = strata_iter_key(it);
        if (!first) cli_buf_putc(&b, ',');
        first = 0;
        cli_buf_json_string(&b, k.data, k.len);
    }
    strata_iter_free(it);
    int rc = EXIT_OK;
    if (r != STRATA_ITEROVER) rc = lib_fail(c, r, NULL);
    else {
        cli_buf_putc(&b, ']');
        emit(c, &b);
    }
    cli_buf_free(&b);
    return rc;
}

static int cmd_tenants(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_tenant_list(&it, c->db);
    if (r < 0) return lib_fail(c, r, NULL);
    return print_names(c, it);
}

static int cmd_entries(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_entry_list(&it, c->db, c->tenant, NULL);
    if (r < 0) return lib_fail(c, r, NULL);
    return print_names(c, it);
}

static int cmd_verify(cli *c)
{
    progress pg = {c->progress, 0, "verify", 0};
    progress_note(&pg, "re-hashing every object…");
    uint64_t problems = 0;
    int r = strata_db_verify(&problems, c->db);
    progress_end(&pg);
    cli_buf b = {0};
    char num[96];
    snprintf(num, sizeof num, "{\"ok\":%s,\"problems\":%llu}", r == 0 ? "true" : "false",
             (unsigned long long)problems);
    cli_buf_puts(&b, num);
    emit(c, &b);
    cli_buf_free(&b);
    if (r < 0) return lib_fail(c, r, NULL);
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
    if (kind < 0) return lib_fail(c, kind, entry);
    strata_iter *it = NULL;
    int r = strata_entry_history(&it, c->db, tenant, entry, NULL, 0);
    if (r < 0) return lib_fail(c, r, entry);
    int64_t v = count_items(it), n = -1;
    if (v < 0) return lib_fail(c, (int)v, entry);
    if (kind == STRATA_ENTRY_RECORDS) {
        r = strata_records_list(&it, c->db, tenant, entry, NULL);
        if (r < 0) return lib_fail(c, r, entry);
        n = count_items(it);
        if (n < 0) return lib_fail(c, (int)n, entry);
    }
    char num[96];
    cli_buf_puts(b, "{\"name\":");
    add_str(b, entry);
    cli_buf_puts(b, ",\"kind\":");
    add_str(b, kind_name(kind));
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

static int cmd_stats(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_tenant_list(&it, c->db);
    if (r < 0) return lib_fail(c, r, NULL);
    int err = 0;
    char **tenants = collect_names(it, &err);
    if (err) {
        free_names(tenants);
        return lib_fail(c, err, NULL);
    }
    cli_buf body = {0};
    int64_t ntenants = 0, nentries = 0, versions = 0, records = 0;
    int rc = 0;
    cli_buf_puts(&body, ",\"by_tenant\":[");
    for (char **t = tenants; *t && !rc; t++) {
        if (ntenants++) cli_buf_putc(&body, ',');
        cli_buf_puts(&body, "{\"tenant\":");
        add_str(&body, *t);
        cli_buf_puts(&body, ",\"entries\":[");
        r = strata_entry_list(&it, c->db, *t, NULL);
        if (r < 0) {
            rc = lib_fail(c, r, *t);
            break;
        }
        char **entries = collect_names(it, &err);
        if (err) rc = lib_fail(c, err, *t);
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
        add_str(&b, c->db_path);
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
            return lib_fail(c, r, NULL);
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
        emit(c, &b);
        cli_buf_free(&b);
    }
    cli_buf_free(&body);
    return rc;
}

/* ---- space: gc and retention ----------------------------------------------------------- */

static int gc_progress(const strata_gc_progress *p, void *payload)
{
    progress *pg = payload;
    pg->label = p->phase;
    progress_show(pg, p->done, p->total, p->done, p->total ? "segments" : "objects", 0);
    return 0;
}

static int cmd_gc(cli *c)
{
    progress pg = {c->progress, 0, "gc", 0};
    strata_gc_options o = STRATA_GC_OPTIONS_INIT;
    o.progress = gc_progress;
    o.payload = &pg;
    if (c->gc_dead_share) {
        char *end;
        double d = strtod(c->gc_dead_share, &end);
        if (end == c->gc_dead_share || *end || d < 0 || d > 1)
            return usage_fail(c, "--min-dead-share '%s' is not a number between 0 and 1", c->gc_dead_share);
        o.min_dead_share = d;
    }
    strata_gc_report rep;
    memset(&rep, 0, sizeof rep);
    int r = strata_db_gc(&rep, c->db, &o);
    progress_end(&pg);
    if (r < 0) return lib_fail(c, r, NULL);
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
    emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* retention [ENTRY] [--keep N] [--keep-age SECONDS] [--audit]: set a policy when --keep or
 * --keep-age is given (0 and 0 removes it), then print the policy in force and, for an entry,
 * whether its history was cut. */
static int cmd_retention(cli *c)
{
    const char *entry = c->nargs > 0 ? c->args[0] : NULL;
    if (entry && check_name(c, "entry name", entry) != 0) return EXIT_USAGE;
    long long keep = 0, age = 0;
    if (c->keep && parse_int(c->keep, 0, LLONG_MAX, &keep) != 0)
        return usage_fail(c, "--keep '%s' is not a number of commits", c->keep);
    if (c->keep_age && parse_int(c->keep_age, 0, LLONG_MAX, &age) != 0)
        return usage_fail(c, "--keep-age '%s' is not a number of seconds", c->keep_age);
    if (c->keep || c->keep_age || c->audit) {
        strata_write_options wo;
        write_opts(c, &wo);
        int r = strata_retention_set(c->db, c->tenant, entry, (uint64_t)keep, (int64_t)age, c->audit, &wo);
        if (r < 0) return lib_fail(c, r, entry);
    }
    uint64_t kc = 0;
    int64_t ka = 0;
    int au = 0;
    int r = strata_retention_get(&kc, &ka, &au, c->db, c->tenant, entry);
    cli_buf b = {0};
    if (r == STRATA_ENOTFOUND) {
        cli_buf_puts(&b, "{\"policy\":null");
    } else if (r < 0) {
        return lib_fail(c, r, entry);
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
            return lib_fail(c, t, entry);
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
            int rc = add_value(c, &b, audit, json_flags(c, 1));
            strata_value_free(audit);
            if (rc) {
                cli_buf_free(&b);
                return rc;
            }
        }
    }
    cli_buf_putc(&b, '}');
    emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* ---- tables ---------------------------------------------------------------------------- */

/* Parsed inputs of one table request: placeholder maps and a key or item value. */
typedef struct table_req {
    strata_value *names, *values, *start_key, *arg; /* owned; NULL when not given */
} table_req;

static void table_req_free(table_req *t)
{
    strata_value_free(t->names);
    strata_value_free(t->values);
    strata_value_free(t->start_key);
    strata_value_free(t->arg);
}

/* Parse --names (plain JSON), --values and --start-key (items: DynamoDB item form with
 * --dynamodb-json) and the command's item/key argument `arg_json` (may be NULL). */
static int table_parse(const cli *c, table_req *t, const char *arg_json, const char *arg_what)
{
    memset(t, 0, sizeof *t);
    int rc;
    if (c->names && (rc = strata_value_from_json(&t->names, c->names, strlen(c->names), 0)) < 0)
        return lib_fail(c, rc, "--names");
    if (c->values &&
        (rc = strata_value_from_json(&t->values, c->values, strlen(c->values), json_flags(c, 1))) < 0)
        return lib_fail(c, rc, "--values");
    if (c->start_key && (rc = strata_value_from_json(&t->start_key, c->start_key,
                                                     strlen(c->start_key), json_flags(c, 1))) < 0)
        return lib_fail(c, rc, "--start-key");
    if (arg_json &&
        (rc = strata_value_from_json(&t->arg, arg_json, strlen(arg_json), json_flags(c, 1))) < 0)
        return lib_fail(c, rc, arg_what);
    return 0;
}

/* --return none|old|new as STRATA_RETURN_*, or -1 after a message. */
static int return_mode(const cli *c, int allow_new)
{
    if (!c->ret || strcmp(c->ret, "none") == 0) return STRATA_RETURN_NONE;
    if (strcmp(c->ret, "old") == 0) return STRATA_RETURN_ALL_OLD;
    if (allow_new && strcmp(c->ret, "new") == 0) return STRATA_RETURN_ALL_NEW;
    bad_input(c, "--return '%s' is not %s", c->ret, allow_new ? "none, old or new" : "none or old");
    return -1;
}

/* Print the outcome of an item write: the table's new head, whether it changed and, when
 * --return asked for it, the item ("item": null when there is none). */
static int print_item_write(cli *c, const char *table, int w, const strata_value *item, int mode)
{
    strata_oid head;
    int r = strata_entry_head(&head, c->db, c->tenant, table, NULL);
    if (r < 0) return lib_fail(c, r, NULL);
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"digest\":");
    add_oid(&b, &head);
    cli_buf_puts(&b, w == STRATA_UNCHANGED ? ",\"changed\":false" : ",\"changed\":true");
    int rc = 0;
    if (mode != STRATA_RETURN_NONE) {
        cli_buf_puts(&b, ",\"item\":");
        if (item) rc = add_value(c, &b, item, json_flags(c, 1));
        else cli_buf_puts(&b, "null");
    }
    cli_buf_putc(&b, '}');
    if (!rc) emit(c, &b);
    cli_buf_free(&b);
    return rc;
}

static int cmd_create_table(cli *c)
{
    const char *table = c->args[0];
    int rc = check_name(c, "table name", table);
    if (rc) return rc;
    if (!c->pk) return usage_fail(c, "--pk ATTR is required");
    if ((rc = check_name(c, "--pk", c->pk)) || (c->sk && (rc = check_name(c, "--sk", c->sk))) ||
        (c->ttl && (rc = check_name(c, "--ttl", c->ttl))))
        return rc;
    rc = open_db(c, 1);
    if (!rc) rc = ensure_tenant(c);
    if (rc) return rc;
    strata_table_schema schema = STRATA_TABLE_SCHEMA_INIT;
    schema.pk = c->pk;
    schema.sk = c->sk;
    schema.ttl = c->ttl;
    strata_write_options wo;
    write_opts(c, &wo);
    strata_oid oid;
    int r = strata_table_create(&oid, c->db, c->tenant, table, &schema, &wo);
    if (r < 0) return lib_fail(c, r, NULL);
    return print_write(c, r, &oid, -1);
}

static int cmd_describe_table(cli *c)
{
    strata_read_options ro;
    strata_oid at;
    int rc = read_opts(c, c->args[0], &ro, &at);
    if (rc) return rc;
    strata_value *v = NULL;
    int r = strata_table_describe(&v, c->db, c->tenant, c->args[0], &ro);
    if (r < 0) return lib_fail(c, r, NULL);
    cli_buf b = {0};
    rc = add_value(c, &b, v, 0);
    if (!rc) emit(c, &b);
    cli_buf_free(&b);
    strata_value_free(v);
    return rc;
}

/* put-item, update-item and delete-item: parse everything, open the database as the writer,
 * write, print. `kind` is 'p', 'u' or 'd'. */
static int item_write(cli *c, char kind)
{
    const char *table = c->args[0];
    table_req t;
    int mode = return_mode(c, kind != 'd');
    if (mode < 0) return EXIT_USAGE;
    int rc = table_parse(c, &t, c->args[1], kind == 'p' ? "item" : "key");
    if (!rc) rc = open_db(c, 1);
    if (!rc) {
        strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
        io.condition = c->condition;
        io.names = t.names;
        io.values = t.values;
        io.return_values = mode;
        strata_write_options wo;
        write_opts(c, &wo);
        strata_value *out = NULL;
        int w;
        if (kind == 'p') w = strata_table_put_item(&out, c->db, c->tenant, table, t.arg, &io, &wo);
        else if (kind == 'u')
            w = strata_table_update_item(&out, c->db, c->tenant, table, t.arg, c->update, &io, &wo);
        else w = strata_table_delete_item(&out, c->db, c->tenant, table, t.arg, &io, &wo);
        if (w < 0) rc = lib_fail(c, w, NULL);
        else if (kind == 'd' && w == STRATA_UNCHANGED) {
            say(c, "no item with that key in table '%s'", table);
            rc = EXIT_NOTFOUND;
        } else rc = print_item_write(c, table, w, out, mode);
        strata_value_free(out);
    }
    table_req_free(&t);
    return rc;
}

static int cmd_put_item(cli *c) { return item_write(c, 'p'); }
static int cmd_update_item(cli *c) { return item_write(c, 'u'); }
static int cmd_delete_item(cli *c) { return item_write(c, 'd'); }

static int cmd_get_item(cli *c)
{
    const char *table = c->args[0];
    strata_read_options ro;
    strata_oid at;
    table_req t;
    int rc = read_opts(c, table, &ro, &at);
    if (!rc) rc = table_parse(c, &t, c->args[1], "key");
    else return rc;
    if (!rc) {
        strata_value *v = NULL;
        int r = strata_table_get_item(&v, c->db, c->tenant, table, t.arg, c->projection, t.names, &ro);
        if (r < 0) rc = lib_fail(c, r, NULL);
        else {
            cli_buf b = {0};
            rc = add_value(c, &b, v, json_flags(c, 1));
            if (!rc) emit(c, &b);
            cli_buf_free(&b);
        }
        strata_value_free(v);
    }
    table_req_free(&t);
    return rc;
}

/* query and scan, in DynamoDB's response shape:
 * {"Items": [...], "Count": n, "ScannedCount": m[, "LastEvaluatedKey": key]}. */
static int query_or_scan(cli *c, int is_query)
{
    const char *table = c->args[0];
    strata_read_options ro;
    strata_oid at;
    table_req t;
    int rc = read_opts(c, table, &ro, &at);
    if (rc) return rc;
    if (!is_query && c->segments == 0 && c->segment != 0)
        return usage_fail(c, "--segment needs --segments");
    rc = table_parse(c, &t, NULL, NULL);
    strata_iter *it = NULL;
    if (!rc) {
        strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
        q.key_condition = is_query ? c->key_condition : NULL;
        q.filter = c->filter;
        q.projection = c->projection;
        q.names = t.names;
        q.values = t.values;
        q.reverse = c->reverse;
        q.limit = c->limit;
        q.start_key = t.start_key;
        q.segment = c->segment;
        q.total_segments = c->segments;
        int r = is_query ? strata_table_query(&it, c->db, c->tenant, table, &q, &ro)
                         : strata_table_scan(&it, c->db, c->tenant, table, &q, &ro);
        if (r < 0) rc = lib_fail(c, r, NULL);
    }
    if (!rc) {
        cli_buf b = {0};
        cli_buf_puts(&b, "{\"Items\":[");
        int r, first = 1;
        while (!rc && (r = strata_iter_next(it)) == 0) {
            if (!first) cli_buf_putc(&b, ',');
            first = 0;
            rc = add_value(c, &b, strata_iter_value(it), json_flags(c, 1));
        }
        if (!rc && r != STRATA_ITEROVER) rc = lib_fail(c, r, NULL);
        if (!rc) {
            char num[96];
            snprintf(num, sizeof num, "],\"Count\":%llu,\"ScannedCount\":%llu",
                     (unsigned long long)strata_iter_count(it),
                     (unsigned long long)strata_iter_scanned_count(it));
            cli_buf_puts(&b, num);
            strata_value *last = NULL;
            int lr = strata_iter_last_key(&last, it);
            if (lr == 0 && last) {
                cli_buf_puts(&b, ",\"LastEvaluatedKey\":");
                rc = add_value(c, &b, last, json_flags(c, 1));
            } else if (lr < 0 && lr != STRATA_ENOTFOUND) {
                rc = lib_fail(c, lr, NULL);
            }
            strata_value_free(last);
            cli_buf_putc(&b, '}');
            if (!rc) emit(c, &b);
        }
        cli_buf_free(&b);
    }
    strata_iter_free(it);
    table_req_free(&t);
    return rc;
}

static int cmd_query(cli *c) { return query_or_scan(c, 1); }
static int cmd_scan(cli *c) { return query_or_scan(c, 0); }

static int cmd_help(cli *c);

/* ---- the command table ------------------------------------------------------------------
 * One row per command: name, synopsis, argument counts, accepted options, database access,
 * handler, summary and help text. */

#define RW (OPT_MESSAGE | OPT_EXPECT)
static const command COMMANDS[] = {
    {"init", "", 0, 0, RW, DB_NONE, cmd_init, "create the database (and the tenant)",
     "Creates the database directory when it is missing and the tenant (--tenant, default\n"
     "'default') when it does not exist. Running it again changes nothing.\n"},
    {"save", "ENTRY [FILE|-]", 1, 2, RW | OPT_DDB, DB_NONE, cmd_save,
     "save a JSON document as the new version of a document entry",
     "Reads one JSON value from FILE (default: stdin) and saves it as the new version of\n"
     "document entry ENTRY (created on first save). Prints {\"digest\", \"changed\"}; saving the\n"
     "value the entry already holds makes no commit (\"changed\": false).\n"},
    {"load", "ENTRY [--at DIGEST]", 1, 1, OPT_AT | OPT_DDB, DB_READ, cmd_load,
     "print a document entry's value",
     "Prints the value of document entry ENTRY: its head, or the version --at DIGEST.\n"},
    {"put", "ENTRY KEY JSON", 3, 3, RW | OPT_DDB, DB_NONE, cmd_put, "set one record",
     "Sets record KEY of records entry ENTRY (created on first put) to the JSON value, in one\n"
     "commit. Prints {\"digest\", \"changed\"}.\n"},
    {"put-many", "ENTRY [FILE|-]", 1, 2, RW | OPT_DDB, DB_NONE, cmd_put_many,
     "set many records in one commit",
     "Reads records from FILE (default: stdin): either one JSON object of key -> value, or JSON\n"
     "Lines of {\"key\": ..., \"value\": ...} (recognised when the input holds more than one\n"
     "value; for a single record in JSON Lines use 'import'). Every record is checked before\n"
     "anything is written; all are written in one commit. Later duplicates of a key win.\n"},
    {"get", "ENTRY [KEY] [--at DIGEST]", 1, 2, OPT_AT | OPT_DDB, DB_READ, cmd_get,
     "print one record, or all records as one object",
     "Prints record KEY of ENTRY, or without KEY all records as one JSON object key -> value\n"
     "(with --dynamodb-json: an item of key -> AttributeValue). --at reads a past version.\n"},
    {"delete", "ENTRY KEY", 2, 2, RW, DB_WRITE, cmd_delete, "delete one record",
     "Deletes record KEY of ENTRY in one commit. Exit 1 when there is no such record.\n"},
    {"exists", "ENTRY", 1, 1, 0, DB_READ, cmd_exists, "does the entry exist? (exit 0/1)",
     "Prints true (exit 0) when ENTRY exists in the tenant, else false (exit 1).\n"},
    {"digest", "ENTRY [--at DIGEST]", 1, 1, OPT_AT, DB_READ, cmd_digest,
     "print the entry's head commit digest",
     "Prints the 64 hex digits of ENTRY's head commit (a bare line, handy in $(...)).\n"},
    {"log", "ENTRY [-n N]", 1, 1, OPT_N, DB_READ, cmd_log, "list the entry's commits, newest first",
     "Prints a JSON array of ENTRY's commits newest first: digest, user, date, message and\n"
     "operation. -n N shows at most N.\n"},
    {"show", "DIGEST", 1, 1, 0, DB_READ, cmd_show, "print one commit's metadata",
     "Prints the commit DIGEST of the tenant: entry, kind, generation, user, date, time_us,\n"
     "message, origin, operation, parents and data digest. DIGEST may be a unique prefix of\n"
     "at least 4 hex digits.\n"},
    {"diff", "ENTRY A [B]", 2, 3, OPT_DDB, DB_READ, cmd_diff, "what changed between two versions",
     "Prints a JSON array of the changes in ENTRY from commit A to commit B (default: the\n"
     "head): {\"key\", \"change\": added|removed|modified, \"old\", \"new\"} in key order. A\n"
     "document gives one item without \"key\" when its value changed.\n"},
    {"restore", "ENTRY DIGEST", 2, 2, RW, DB_WRITE, cmd_restore, "make an old version current again",
     "Makes a new commit of ENTRY whose content equals commit DIGEST; history is kept.\n"},
    {"import", "ENTRY FILE|-", 2, 2, RW | OPT_DDB, DB_NONE, cmd_import,
     "load JSON Lines records in one commit",
     "Reads JSON Lines records {\"key\": ..., \"value\": ...} from FILE (- for stdin), checks\n"
     "every line, then writes them all in one commit. Into a table, each line is one item\n"
     "(a JSON object holding the key attributes). A progress bar is shown on a terminal.\n"},
    {"export", "ENTRY [--at DIGEST]", 1, 1, OPT_AT | OPT_DDB, DB_READ, cmd_export,
     "print records as JSON Lines",
     "Prints ENTRY's records in key order as JSON Lines {\"key\": ..., \"value\": ...} (a\n"
     "table: one item per line), the format 'import' reads. --at exports a past version.\n"},
    {"tenants", "", 0, 0, 0, DB_READ, cmd_tenants, "list tenants",
     "Prints the tenants' names as a JSON array, in byte order.\n"},
    {"entries", "", 0, 0, 0, DB_READ, cmd_entries, "list the tenant's entries",
     "Prints the names of the tenant's entries as a JSON array, in byte order.\n"},
    {"verify", "", 0, 0, 0, DB_READ, cmd_verify, "re-hash and check every object",
     "Re-hashes every stored object and checks every index and root. Prints {\"ok\",\n"
     "\"problems\"}; exit 4 when the database is damaged (the first problem on stderr).\n"},
    {"stats", "", 0, 0, 0, DB_READ, cmd_stats, "tenants, entries, versions and records",
     "Prints what the public API can tell: per tenant its entries with kind, number of\n"
     "versions and (records entries) number of records, plus totals. Walks everything.\n"},
    {"gc", "", 0, 0, OPT_GC, DB_WRITE, cmd_gc, "reclaim space (garbage collection)",
     "Marks everything reachable from every tenant (within retention policies) and rewrites\n"
     "the segment files whose dead share passes --min-dead-share (default 0.25), deleting\n"
     "the old ones. Readers and writers may go on meanwhile. Prints what the run did; a\n"
     "progress line is shown on a terminal. See docs/gc.md.\n"},
    {"retention", "[ENTRY] [--keep N] [--keep-age SECONDS] [--audit]", 0, 1, RW | OPT_RETAIN, DB_WRITE,
     cmd_retention, "show or set how much history GC keeps",
     "With --keep N (newest N commits) and/or --keep-age SECONDS, sets the tenant's policy\n"
     "(or ENTRY's, overriding it); --keep 0 --keep-age 0 removes it; --audit keeps who/when/why\n"
     "of dropped commits. Without them, prints the policy in force. For an ENTRY it also says\n"
     "whether GC has cut its history (and the audit trail). Policies act at the next gc.\n"},
    {"create-table", "TABLE --pk ATTR [--sk ATTR] [--ttl ATTR]", 1, 1, RW | OPT_SCHEMA, DB_NONE,
     cmd_create_table, "create a table (items addressed by partition/sort key)",
     "Creates table entry TABLE whose items are maps addressed by the partition-key attribute\n"
     "--pk and the optional sort-key attribute --sk (strings, numbers or binary). --ttl names\n"
     "an attribute holding an expiry time. Exit 3 when the entry already exists.\n"},
    {"describe-table", "TABLE [--at DIGEST]", 1, 1, OPT_AT, DB_READ, cmd_describe_table,
     "print a table's key schema and item count",
     "Prints {\"pk\", \"sk\", \"ttl\", \"count\"} of TABLE (sk and ttl only when set).\n"},
    {"put-item", "TABLE ITEM", 2, 2, RW | OPT_COND | OPT_PH | OPT_RETURN | OPT_DDB, DB_NONE,
     cmd_put_item, "create or replace one item",
     "Writes ITEM (a JSON object holding the key attributes) to TABLE, replacing the item with\n"
     "the same key, in one commit. --condition EXPR must hold on the current item (DynamoDB's\n"
     "condition grammar, docs/expressions.md), else exit 3 and nothing changes. Prints\n"
     "{\"digest\", \"changed\"} and with --return old the replaced item as \"item\".\n"},
    {"get-item", "TABLE KEY", 2, 2, OPT_AT | OPT_PROJ | OPT_PH | OPT_DDB, DB_READ, cmd_get_item,
     "print one item",
     "Prints the item of TABLE whose key attributes are KEY (a JSON object), or exit 1.\n"},
    {"update-item", "TABLE KEY --update EXPR", 2, 3, RW | OPT_UPDATE | OPT_COND | OPT_PH | OPT_RETURN | OPT_DDB,
     DB_NONE, cmd_update_item, "apply an update expression to one item",
     "Applies update expression EXPR (SET, REMOVE, ADD, DELETE) to the item of TABLE with key\n"
     "KEY, creating it when absent. --return old|new also prints the item before/after. The\n"
     "expression may also be given as a third argument instead of --update.\n"},
    {"delete-item", "TABLE KEY", 2, 2, RW | OPT_COND | OPT_PH | OPT_RETURN | OPT_DDB, DB_NONE,
     cmd_delete_item, "delete one item",
     "Deletes the item of TABLE with key KEY in one commit; exit 1 when there is none.\n"},
    {"query", "TABLE --key-condition EXPR", 1, 2,
     OPT_KEYCOND | OPT_AT | OPT_FILTER | OPT_PROJ | OPT_PH | OPT_PAGE | OPT_REVERSE | OPT_DDB, DB_READ, cmd_query,
     "items of one partition, in sort-key order",
     "Prints DynamoDB's response shape {\"Items\": [...], \"Count\": n, \"ScannedCount\": m} for\n"
     "the items of TABLE matching the key condition EXPR (partition key equality [AND a\n"
     "sort-key condition]; it may also be given as a second argument). With --limit, a\n"
     "\"LastEvaluatedKey\" is printed when more items remain; pass it to --start-key.\n"},
    {"scan", "TABLE", 1, 1, OPT_AT | OPT_FILTER | OPT_PROJ | OPT_PH | OPT_PAGE | OPT_SEGMENT | OPT_DDB,
     DB_READ, cmd_scan, "every item of a table, in key order",
     "Prints {\"Items\": [...], \"Count\", \"ScannedCount\"} for the items of TABLE (all, or\n"
     "those passing --filter), in key order; paging (\"LastEvaluatedKey\") as for query.\n"},
    {"help", "[COMMAND]", 0, 1, 0, DB_NONE, cmd_help, "show help", "Shows help for COMMAND, or the command list.\n"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
    return NULL;
}

static const char GLOBAL_HELP[] =
    "global options:\n"
    "  --db DIR          the database directory (default: $STRATA_DB, else ./.strata)\n"
    "  --tenant T        the tenant (default: default; created on first write)\n"
    "  --user U          who makes the change (default: $STRATA_USER, else $USER)\n"
    "  --pretty          indented JSON (the default on a terminal)\n"
    "  --compact         one-line JSON (the default otherwise)\n"
    "  --lock-wait MS    wait up to MS milliseconds for another writer (-1: forever)\n"
    "  -h, --help        show help\n";

static void print_command_help(const command *cmd)
{
    printf("usage: strata %s%s%s\n\n%s", cmd->name, cmd->args[0] ? " " : "", cmd->args, cmd->help);
    if (cmd->opts) {
        printf("\noptions:\n");
        if (cmd->opts & OPT_MESSAGE) printf("  -m, --message MSG why the change is made (stored in the commit)\n");
        if (cmd->opts & OPT_EXPECT)
            printf("  --expect-head D   write only if the entry's head is still commit D ('none': only if\n"
                   "                    the entry does not exist yet); else exit 3, nothing written\n");
        if (cmd->opts & OPT_AT) printf("  --at DIGEST       read the version of this commit (unique prefix ok)\n");
        if (cmd->opts & OPT_N) printf("  -n N              show at most N commits\n");
        if (cmd->opts & OPT_SCHEMA)
            printf("  --pk ATTR         the partition-key attribute (required)\n"
                   "  --sk ATTR         the sort-key attribute (optional)\n"
                   "  --ttl ATTR        an attribute holding an expiry time (seconds since 1970)\n");
        if (cmd->opts & OPT_COND) printf("  --condition EXPR  write only if EXPR holds on the current item, else exit 3\n");
        if (cmd->opts & OPT_PH)
            printf("  --names JSON      name placeholders, e.g. '{\"#n\": \"name\"}'\n"
                   "  --values JSON     value placeholders, e.g. '{\":v\": 5}'\n");
        if (cmd->opts & OPT_RETURN) printf("  --return WHAT     none, old or new: also print the item before/after\n");
        if (cmd->opts & OPT_PROJ) printf("  --projection P    keep only these attribute paths\n");
        if (cmd->opts & OPT_FILTER) printf("  --filter EXPR     return only items for which EXPR holds\n");
        if (cmd->opts & OPT_PAGE)
            printf("  --limit N         read at most N items (before the filter)\n"
                   "  --start-key JSON  continue after this key (a previous \"last_key\")\n");
        if (cmd->opts & OPT_REVERSE) printf("  --reverse         descending sort-key order\n");
        if (cmd->opts & OPT_SEGMENT) printf("  --segment I --segments N  scan only segment I of N (parallel scans)\n");
        if (cmd->opts & OPT_GC) printf("  --min-dead-share F rewrite segments at least this share dead (0..1)\n");
        if (cmd->opts & OPT_RETAIN)
            printf("  --keep N          keep the newest N commits of each entry\n"
                   "  --keep-age S      keep commits younger than S seconds\n"
                   "  --audit           record who/when/why of the commits GC drops\n");
        if (cmd->opts & OPT_DDB) printf("  --dynamodb-json   values in and out are DynamoDB typed JSON\n");
    }
    printf("\n%s", GLOBAL_HELP);
}

static void print_main_help(void)
{
    printf("usage: strata [global options] COMMAND [arguments] [options]\n\n"
           "strata is an embedded, versioned document database: every change is a commit\n"
           "addressed by its SHA-256 digest, and every version stays readable.\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) printf("  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    printf("\n%s\nexit codes: 0 ok, 1 not found or false, 2 bad usage or input, 3 conflict or\n"
           "condition failed, 4 database error (corrupt, I/O, locked).\n"
           "'strata help COMMAND' or 'strata COMMAND --help' shows one command.\n", GLOBAL_HELP);
}

static int cmd_help(cli *c)
{
    if (c->nargs == 0) {
        print_main_help();
        return EXIT_OK;
    }
    const command *cmd = find_command(c->args[0]);
    if (!cmd) return usage_fail(c, "unknown command '%s'", c->args[0]);
    print_command_help(cmd);
    return EXIT_OK;
}

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

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo || v > hi) return -1;
    *out = v;
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
        return bad_input(&c, "STRATA_TIME '%s' is not SECONDS[.FRACTION][+HHMM]", tenv);

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
            if (parse_int(val, lo, strcmp(n, "limit") == 0 ? LLONG_MAX : 1000000, &v) != 0) {
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
            if (parse_int(val, -1, INT_MAX, &v) != 0 && !opt_err[0])
                snprintf(opt_err, sizeof opt_err, "--lock-wait '%s' is not a number of milliseconds (or -1)", val);
            else c.lock_wait_ms = (int)v;
        } else if (strcmp(n, "max-count") == 0) {
            long long v;
            if (parse_int(val, 1, LLONG_MAX, &v) != 0 && !opt_err[0])
                snprintf(opt_err, sizeof opt_err, "-n '%s' is not a positive number", val);
            else c.max_items = (size_t)v;
        }
    }

    int rc = EXIT_OK;
    if (npos == 0) {
        if (version) printf("strata %s\n", strata_version());
        else if (help) print_main_help();
        else rc = usage_fail(&c, "no command given");
        if (!rc && opt_err[0]) rc = usage_fail(&c, "%s", opt_err);
        if (!rc && bad_opt) rc = usage_fail(&c, "unknown option '%s'", bad_opt);
        free(pos);
        return rc;
    }
    c.cmd = find_command(pos[0]);
    if (!c.cmd) {
        rc = usage_fail(&c, "unknown command '%s'", pos[0]);
        free(pos);
        return rc;
    }
    if (help) {
        print_command_help(c.cmd);
        free(pos);
        return EXIT_OK;
    }
    c.args = pos + 1;
    c.nargs = npos - 1;
    unsigned extra = used & ~(OPT_GLOBAL | c.cmd->opts);
    if (opt_err[0]) rc = usage_fail(&c, "%s", opt_err);
    else if (bad_opt) rc = usage_fail(&c, "unknown option '%s'", bad_opt);
    else if (extra) {
        const char *which = "?";
        for (int b = 0; b < 31; b++)
            if ((extra >> b) & 1u && seen[b]) {
                which = seen[b];
                break;
            }
        rc = usage_fail(&c, "option %s does not apply to '%s'", which, c.cmd->name);
    } else if (version) rc = usage_fail(&c, "--version takes no command");
    else if (c.nargs < c.cmd->min_args) rc = usage_fail(&c, "missing arguments");
    else if (c.nargs > c.cmd->max_args) rc = usage_fail(&c, "too many arguments");
    else if (!c.db_path[0]) rc = usage_fail(&c, "--db is empty");
    /* query's key condition and update-item's update: an option or a trailing argument */
    if (!rc && (c.cmd->opts & (OPT_KEYCOND | OPT_UPDATE))) {
        int pos_at = (c.cmd->opts & OPT_KEYCOND) ? 1 : 2;
        const char **slot = (c.cmd->opts & OPT_KEYCOND) ? &c.key_condition : &c.update;
        const char *opt = (c.cmd->opts & OPT_KEYCOND) ? "--key-condition" : "--update";
        if (c.nargs > pos_at && *slot) rc = usage_fail(&c, "give the expression once: as %s or as an argument", opt);
        else if (c.nargs > pos_at) *slot = c.args[pos_at];
        else if (!*slot) rc = usage_fail(&c, "missing %s EXPR", opt);
    }
    if (rc) {
    } else if (c.cmd->access != DB_NONE && check_name(&c, "tenant name", c.tenant) != 0) rc = EXIT_USAGE;
    if (!rc && (c.cmd->opts & RW) && check_name(&c, "tenant name", c.tenant) != 0) rc = EXIT_USAGE;
    if (!rc && c.cmd->access != DB_NONE) rc = open_db(&c, c.cmd->access == DB_WRITE);
    if (!rc) rc = c.cmd->run(&c);
    strata_db_close(c.db);
    free(pos);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "strata: writing the output failed: %s\n", strerror(errno));
        if (!rc) rc = EXIT_DBERROR;
    }
    return rc;
}
