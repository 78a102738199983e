/* What the files of the strata command-line tool share: the state of one invocation (struct
 * cli), the command table's row type, exit codes, and the helpers every command uses —
 * messages (cli_out.c), output (cli_out.c), input and database access (cli_db.c). Each command
 * family lives in its own file: cmd_entries.c (documents, records), cmd_history.c (log, show,
 * diff, restore), cmd_import.c (put-many, import, export), cmd_tables.c, cmd_admin.c (init,
 * tenants, stats, verify, gc, retention, drop-tenant), cmd_shell.c (the interactive shell);
 * commands.c holds the command table and help, main.c the option parser; cli_rev.c resolves
 * revision names and times and builds the tenant log.
 * Everything here is an application of the public API (include/strata.h) and nothing else. */
#ifndef STRATA_CLI_H
#define STRATA_CLI_H

#include "strata.h"
#include "cli_json.h"

#include <stddef.h>
#include <stdint.h>

/* Exit codes (docs/cli.md). */
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
    OPT_ASOF = 1u << 18,   /* --as-of TIME */
    OPT_ORIGIN = 1u << 19, /* --origin TEXT */
    OPT_JSONL = 1u << 20,  /* --jsonl */
    OPT_LOG = 1u << 21,    /* --oneline --since --until --author --grep -p */
    OPT_NOW = 1u << 22,    /* --now SECONDS */
    OPT_GLOBAL = 1u << 30  /* accepted by every command */
};

/* The options of every command that writes. */
#define OPT_WRITE (OPT_MESSAGE | OPT_EXPECT | OPT_ORIGIN)
/* The options of every command that reads an entry's state. */
#define OPT_READ (OPT_AT | OPT_ASOF)

/* How a command uses the database: main opens it as a reader or the writer before the handler
 * runs (DB_NONE: the handler opens it itself, after checking its input). */
enum { DB_NONE, DB_READ, DB_WRITE };

typedef struct cli cli;

/* One row of the command table (commands.c). */
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
    const char *as_of;    /* --as-of */
    const char *origin;   /* --origin (default "strata-cli") */
    int jsonl;            /* put-many --jsonl */
    int oneline, patch;   /* log --oneline / -p */
    const char *since, *until, *author, *grep; /* log filters */
    const char *now;      /* sweep-ttl --now */
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
    long long limit;                    /* --limit (0: no limit) */
    int reverse;                        /* --reverse */
    long long segment, segments;        /* --segment / --segments */
    strata_read_options ro; /* what a reading command reads (cli_read_opts) */
    strata_oid at_oid;     /* --at's digest, once resolved */
    strata_oid expect_oid; /* --expect-head's digest, once resolved */
    int have_expect;      /* expect_oid is set */
    long long max_items;  /* -n (0: all) */
    int pretty;           /* 1: indented JSON */
    int dynamodb;         /* --dynamodb-json */
    int help, version;    /* --help / --version */
    long long lock_wait_ms; /* --lock-wait */
    int progress;         /* stderr is a terminal */
    int64_t time_us;      /* $STRATA_TIME or 0 (now) */
    int tz_offset_min;    /* from $STRATA_TIME or STRATA_TZ_LOCAL */
    int argc;             /* the whole command line (the shell repeats its global options) */
    char **argv;
    const char *cmd_word; /* the command's word in argv (NULL: none) */
    char **args;          /* positional arguments after the command name */
    int nargs;
    strata_db *db;
};

/* ---- messages (cli_out.c) ---------------------------------------------------------------- */

/* Print "strata: CMD: message" on stderr. */
void cli_say(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for a negative strata error code. */
int cli_exit_for(int rc);
/* Report a failed library call (its thread-local message, else the code's description) and
 * return the matching exit code. `context` (optional) is prefixed to the message. */
int cli_lib_fail(const cli *c, int rc, const char *context);
/* Report a usage mistake with the command's synopsis; returns EXIT_USAGE. */
int cli_usage_fail(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Report bad input (not a usage mistake): one line; returns EXIT_USAGE. */
int cli_bad_input(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- output (cli_out.c) ------------------------------------------------------------------ */

/* Write JSON text (compact, as built) to stdout, re-indented when pretty, plus a newline. */
void cli_emit(const cli *c, const cli_buf *json);
/* JSON flags for values; `item` asks for DynamoDB's item form (a map of name → AttributeValue). */
unsigned cli_json_flags(const cli *c, int item);
/* Append value v as compact JSON. Returns 0 or an exit code (after a message). */
int cli_add_value(const cli *c, cli_buf *b, const strata_value *v, unsigned flags);
/* Append a digest as a JSON string of 64 hex digits. */
void cli_add_oid(cli_buf *b, const strata_oid *oid);
/* Append a C string as a JSON string (NULL: ""). */
void cli_add_str(cli_buf *b, const char *s);
/* "document", "records", "table" for a STRATA_ENTRY_* kind. */
const char *cli_kind_name(int kind);
/* Print the outcome of a write: {"digest": …, "changed": true|false[, "records": n]}
 * (records < 0: no "records"). Returns EXIT_OK. */
int cli_print_write(const cli *c, int rc, const strata_oid *oid, long records);

/* Print value v as one JSON document (cli_emit). Returns 0 or an exit code. */
int cli_print_value(const cli *c, const strata_value *v, unsigned flags);

/* Appends the JSON of the item an iterator stands on (after strata_iter_next returned 0).
 * Returns 0 or an exit code (after a message). */
typedef int (*cli_item_fn)(const cli *c, cli_buf *b, strata_iter *it);
/* Append a JSON array of every item `it` yields, each rendered by `item`. Returns 0 or an exit
 * code (after a message; b then holds a partial array). The iterator stays the caller's. */
int cli_add_array(const cli *c, cli_buf *b, strata_iter *it, cli_item_fn item);
/* Print that array as one JSON document and free `it`. Returns 0 or an exit code. */
int cli_print_array(const cli *c, strata_iter *it, cli_item_fn item);
/* Element renderers: the item's key as a JSON string (names: tenants, entries); the item's value
 * as a DynamoDB item with --dynamodb-json (table items). */
int cli_item_name(const cli *c, cli_buf *b, strata_iter *it);
int cli_item_table_item(const cli *c, cli_buf *b, strata_iter *it);

/* A progress line on stderr (drawn only when stderr is a terminal). */
typedef struct cli_progress {
    int on;            /* drawing at all (stderr is a terminal) */
    int drawn;         /* something is on the line now */
    const char *label; /* "import", … */
    double last;       /* monotonic seconds of the last draw */
} cli_progress;

/* Redraw at most 10 times a second: a bar when total > 0, else a counter. `what` names the
 * counted things ("records"). */
void cli_progress_show(cli_progress *p, uint64_t done, uint64_t total, uint64_t count,
                       const char *what, int force);
/* Say what is happening now (a phase without a measurable amount). */
void cli_progress_note(cli_progress *p, const char *text);
/* Clear the line. */
void cli_progress_end(cli_progress *p);

/* Print every item `it` yields as one line of JSON (JSON Lines, never re-indented), each
 * rendered by `item`, counting them on `pg` as `what`; frees `it`. Returns 0 or an exit code. */
int cli_print_lines(const cli *c, strata_iter *it, cli_item_fn item, cli_progress *pg, const char *what);

/* ---- input and database access (cli_db.c) ------------------------------------------------ */

/* Read all of `path` ("-" or NULL: stdin) into out. Returns 0 or EXIT_USAGE after a message. */
int cli_read_input(const cli *c, const char *path, cli_buf *out);
/* Parse JSON text into a value with the CLI's JSON flags; `what` names the input in the
 * message. Returns 0 or an exit code. */
int cli_parse_value(const cli *c, strata_value **out, const char *s, size_t n, const char *what);
/* The name rule of strata.h as a command check: 0, or EXIT_USAGE after a message that calls
 * the name `what` ("entry name", "record key", …). Checked before the database is touched so
 * that bad input changes nothing (not even a new tenant). */
int cli_check_name(const cli *c, const char *what, const char *name);
/* The name rule as a description: NULL when `name` follows it, else the problem written into
 * buf (for messages that add a position). */
const char *cli_name_problem(const char *what, const char *name, char *buf, size_t n);
/* Parse a decimal integer in [lo, hi]. Returns 0 or -1. */
int cli_parse_int(const char *s, long long lo, long long hi, long long *out);

/* Open c->db_path as the writer (write) or a reader. Returns 0 or an exit code. */
int cli_open_db(cli *c, int write);
/* Write options from the invocation: user, message, origin, time, --expect-head. */
void cli_write_opts(const cli *c, strata_write_options *wo);
/* Resolve --expect-head against `entry` once the database is open. "none" means the entry must
 * not exist yet. Returns 0 or an exit code. */
int cli_resolve_expect(cli *c, const char *entry);
/* Create the tenant on first write. Returns 0 or an exit code. */
int cli_ensure_tenant(cli *c);
/* Get ready to write: open the database as the writer, create the tenant on first write,
 * resolve --expect-head against `entry` (NULL: not checked) and fill *wo. Returns 0 or an exit
 * code. Commands call it only once their input is checked, so bad input changes nothing. */
int cli_open_for_write(cli *c, const char *entry, strata_write_options *wo);
/* Fill c->ro: the head, with --at the commit it names (a revision, resolved against `entry`;
 * the digest is kept in c->at_oid), or with --as-of the state at that time. main does it for
 * every command that takes --at or --as-of, against its first argument. Returns 0 or an exit
 * code. */
int cli_read_opts(cli *c, const char *entry);

/* ---- revisions, times and the tenant log (cli_rev.c) ------------------------------------- */

/* Resolve a revision (HEAD, @, HEAD~N, HEAD^, HEAD^N, a digest or a unique prefix of at least 4
 * hex digits, @{TIME}, HEAD@{TIME}, each followed by any steps ~N / ^N) among the commits of
 * `entry` (NULL: of every entry of the tenant; HEAD is then the tenant's newest commit). An
 * unknown digest or a step past the first commit exits 1 (EXIT_NOTFOUND); an ambiguous prefix
 * exits 2 listing the candidates. Returns 0 or an exit code, after a message. */
int cli_resolve_commit(cli *c, const char *entry, const char *text, strata_oid *out);
/* 1 when `text` has the shape of a revision (HEAD…, @…, or 4..64 hex digits and steps). */
int cli_looks_like_revision(const char *text);
/* Parse a time (ISO 8601, "YYYYMMDD HH:MM:SS [+HHMM]", "now", "N units ago"; local time without
 * a zone) as UTC microseconds since 1970. Returns 0 or -1 (no message). */
int cli_parse_time(const cli *c, const char *text, int64_t *out);
/* The same for the value of option `opt`: 0, or EXIT_USAGE after a message. */
int cli_time_option(const cli *c, const char *opt, const char *text, int64_t *out);
/* Now: $STRATA_TIME when set, else the clock, in UTC microseconds. */
int64_t cli_now_us(const cli *c);

/* Every commit of the tenant's entries, owned, newest first (equal times: entries in byte
 * order, newer generations first). */
typedef struct cli_log {
    strata_commit **commits;
    size_t n, cap;
} cli_log;
/* Build the tenant log (strata_entry_list + strata_entry_history: the library has no tenant
 * log). Costs every commit of the tenant. Returns 0 or an exit code. */
int cli_tenant_log(cli *c, cli_log *out);
void cli_log_free(cli_log *log);

/* ---- running one command line (main.c) -------------------------------------------------- */

/* Run one command line (argv[0] is the program name) from parsing to exit code, as main does;
 * the shell calls it once per line. Everything it opens it closes. */
int cli_main(int argc, char **argv);
/* The long name of option i in table order, NULL past the end (completion). */
const char *cli_option_name(size_t i);

/* ---- the command table and help (commands.c) --------------------------------------------- */

const command *cli_find_command(const char *name);
/* The name of command i in table order, NULL past the end (completion). */
const char *cli_command_name(size_t i);
void cli_print_command_help(const command *cmd);
void cli_print_main_help(void);

/* ---- command handlers: each returns an exit code ----------------------------------------- */

/* cmd_entries.c */
int cmd_save(cli *c);
int cmd_load(cli *c);
int cmd_put(cli *c);
int cmd_get(cli *c);
int cmd_delete(cli *c);
int cmd_exists(cli *c);
int cmd_digest(cli *c);
/* cmd_history.c */
int cmd_log(cli *c);
int cmd_show(cli *c);
int cmd_diff(cli *c);
int cmd_restore(cli *c);
/* cmd_import.c */
int cmd_put_many(cli *c);
int cmd_import(cli *c);
int cmd_export(cli *c);
/* cmd_tables.c */
int cmd_create_table(cli *c);
int cmd_describe_table(cli *c);
int cmd_put_item(cli *c);
int cmd_get_item(cli *c);
int cmd_update_item(cli *c);
int cmd_delete_item(cli *c);
int cmd_query(cli *c);
int cmd_scan(cli *c);
/* cmd_admin.c */
int cmd_init(cli *c);
int cmd_tenants(cli *c);
int cmd_entries(cli *c);
int cmd_verify(cli *c);
int cmd_stats(cli *c);
int cmd_gc(cli *c);
int cmd_retention(cli *c);
int cmd_drop_tenant(cli *c);
int cmd_sweep_ttl(cli *c);
int cmd_serve(cli *c);
/* cmd_shell.c */
int cmd_shell(cli *c);
/* commands.c */
int cmd_help(cli *c);

#endif
