/* The strata CLI's command table (one row per command: name, synopsis, argument counts,
 * accepted options, database access, handler, summary and help text) and the help printers. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* ---- the command table ------------------------------------------------------------------
 * In the order `strata help` lists them; the comment above a run of rows names the file that
 * holds their handlers (the command families). */

static const command COMMANDS[] = {
    /* cmd_admin.c */
    {"init", "", 0, 0, OPT_WRITE, DB_NONE, cmd_init, "create the database (and the tenant)",
     "Creates the database directory when it is missing and the tenant (--tenant, default\n"
     "'default') when it does not exist. Running it again changes nothing.\n"},
    /* cmd_entries.c: documents, records, history */
    {"save", "ENTRY [FILE|-]", 1, 2, OPT_WRITE | OPT_DDB, DB_NONE, cmd_save,
     "save a JSON document as the new version of a document entry",
     "Reads one JSON value from FILE (default: stdin) and saves it as the new version of\n"
     "document entry ENTRY (created on first save). Prints {\"digest\", \"changed\"}; saving the\n"
     "value the entry already holds makes no commit (\"changed\": false).\n"},
    {"load", "ENTRY [--at REV | --as-of TIME]", 1, 1, OPT_READ | OPT_DDB, DB_READ, cmd_load,
     "print a document entry's value",
     "Prints the value of document entry ENTRY: its head, the version --at REV, or the version\n"
     "current at --as-of TIME.\n"},
    {"put", "ENTRY KEY JSON", 3, 3, OPT_WRITE | OPT_DDB, DB_NONE, cmd_put, "set one record",
     "Sets record KEY of records entry ENTRY (created on first put) to the JSON value, in one\n"
     "commit. Prints {\"digest\", \"changed\"}.\n"},
    /* cmd_import.c */
    {"put-many", "ENTRY [FILE|-] [--jsonl]", 1, 2, OPT_WRITE | OPT_JSONL | OPT_DDB, DB_NONE, cmd_put_many,
     "set many records in one commit",
     "Reads records from FILE (default: stdin): one JSON object of key -> value, or with --jsonl\n"
     "JSON Lines of {\"key\": ..., \"value\": ...}; without --jsonl more than one value is an\n"
     "error. Says on stderr which form it read. Every record is checked before anything is\n"
     "written; all are written in one commit. Later duplicates of a key win.\n"},
    /* cmd_entries.c */
    {"get", "ENTRY [KEY] [--at REV | --as-of TIME]", 1, 2, OPT_READ | OPT_DDB, DB_READ, cmd_get,
     "print one record, or all records as one object",
     "Prints record KEY of ENTRY, or without KEY all records as one JSON object key -> value\n"
     "(with --dynamodb-json: an item of key -> AttributeValue). --at and --as-of read a past\n"
     "version.\n"},
    {"delete", "ENTRY KEY", 2, 2, OPT_WRITE, DB_WRITE, cmd_delete, "delete one record",
     "Deletes record KEY of ENTRY in one commit. Exit 1 when there is no such record.\n"},
    {"exists", "ENTRY [--at REV | --as-of TIME]", 1, 1, OPT_READ, DB_READ, cmd_exists, "does the entry exist? (exit 0/1)",
     "Prints true (exit 0) when ENTRY exists in the tenant, else false (exit 1).\n"},
    {"digest", "ENTRY [--at REV | --as-of TIME]", 1, 1, OPT_READ, DB_READ, cmd_digest,
     "print the entry's head commit digest",
     "Prints the 64 hex digits of ENTRY's head commit (a bare line, handy in $(...)), or of\n"
     "the commit --at REV names (strata digest users --at HEAD~2), or of the commit current at\n"
     "--as-of TIME.\n"},
    {"log", "[ENTRY [FROM]] [-n N] [--oneline] [-p] [filters]", 0, 2, OPT_N | OPT_LOG, DB_READ, cmd_log,
     "list commits newest first (an entry's, or the tenant's)",
     "Prints a JSON array of ENTRY's commits newest first (from revision FROM when given):\n"
     "digest, user, date, message and operation. Without ENTRY: the tenant's log, every\n"
     "entry's commits merged newest first, each with \"entry\". --oneline prints one line per\n"
     "commit (12 hex digits and the message, else the operation); -p adds each commit's\n"
     "changes. --since/--until TIME, --author RE (the user) and --grep RE (the message; POSIX\n"
     "extended regular expressions) keep only matching commits; -n N then shows at most N.\n"},
    {"show", "[ENTRY] [REV]", 0, 2, OPT_DDB, DB_READ, cmd_show, "print one commit and its change",
     "Prints commit REV (default HEAD: the tenant's newest commit, or ENTRY's head): entry,\n"
     "kind, generation, user, date, time_us, message, origin, operation, parents, data digest\n"
     "and \"changes\", what it changed from its parent (a first commit: everything it holds,\n"
     "as added), in diff's form. A single argument is a revision when it looks like one\n"
     "(HEAD..., @..., 4 to 64 hex digits), else an entry name.\n"},
    {"diff", "ENTRY [A [B]]", 1, 3, OPT_DDB, DB_READ, cmd_diff, "what changed: the last change, or A to B",
     "Prints a JSON array of the changes in ENTRY: without A, the last change (the head\n"
     "against its parent); else from revision A to revision B (default: the head).\n"
     "{\"key\", \"change\": added|removed|modified, \"old\", \"new\"} in key order. A document\n"
     "gives one item without \"key\" when its value changed.\n"},
    {"restore", "ENTRY REV", 2, 2, OPT_WRITE, DB_WRITE, cmd_restore, "make an old version current again",
     "Makes a new commit of ENTRY whose content equals revision REV; history is kept.\n"},
    /* cmd_import.c: bulk input and output */
    {"import", "ENTRY FILE|-", 2, 2, OPT_WRITE | OPT_DDB, DB_NONE, cmd_import,
     "load JSON Lines records in one commit",
     "Reads JSON Lines records {\"key\": ..., \"value\": ...} from FILE (- for stdin), checks\n"
     "every line, then writes them all in one commit. Into a table, each line is one item\n"
     "(a JSON object holding the key attributes). A progress bar is shown on a terminal.\n"},
    {"export", "ENTRY [--at REV | --as-of TIME]", 1, 1, OPT_READ | OPT_DDB, DB_READ, cmd_export,
     "print records as JSON Lines",
     "Prints ENTRY's records in key order as JSON Lines {\"key\": ..., \"value\": ...} (a\n"
     "table: one item per line), the format 'import' reads. --at exports a past version.\n"},
    /* cmd_admin.c: the database and its tenants */
    {"tenants", "", 0, 0, 0, DB_READ, cmd_tenants, "list tenants",
     "Prints the tenants' names as a JSON array, in byte order.\n"},
    {"entries", "[--as-of TIME]", 0, 0, OPT_ASOF, DB_READ, cmd_entries, "list the tenant's entries",
     "Prints the names of the tenant's entries as a JSON array, in byte order (with --as-of:\n"
     "the entries that existed then).\n"},
    {"drop-tenant", "TENANT", 1, 1, OPT_MESSAGE | OPT_ORIGIN, DB_WRITE, cmd_drop_tenant, "drop a tenant",
     "Drops tenant TENANT (named as an argument, not with --tenant): it disappears at once;\n"
     "its bytes are reclaimed by the next gc. Prints {\"dropped\"}; exit 1 when there is none.\n"},
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
    {"retention", "[ENTRY] [--keep N] [--keep-age SECONDS] [--audit]", 0, 1, OPT_WRITE | OPT_RETAIN, DB_WRITE,
     cmd_retention, "show or set how much history GC keeps",
     "With --keep N (newest N commits) and/or --keep-age SECONDS, sets the tenant's policy\n"
     "(or ENTRY's, overriding it); --keep 0 --keep-age 0 removes it; --audit keeps who/when/why\n"
     "of dropped commits. Without them, prints the policy in force. For an ENTRY it also says\n"
     "whether GC has cut its history (and the audit trail). Policies act at the next gc.\n"},
    {"serve", "[SERVER OPTIONS]", 0, 4096, 0, DB_NONE, cmd_serve, "run strata-server (DynamoDB's protocol) on the database",
     "Runs strata-server, found beside this program, on the database (--db): DynamoDB's JSON\n"
     "protocol over its tenants' tables, one tenant per access key id (docs/server.md).\n"
     "Every argument after 'serve' goes to strata-server (--port 8000, --listen ADDR,\n"
     "--tenant T, --read-only, ...; 'strata serve --help' lists them). It runs until SIGTERM.\n"},
    /* cmd_tables.c */
    {"create-table", "TABLE --pk ATTR [--sk ATTR] [--ttl ATTR]", 1, 1, OPT_WRITE | OPT_SCHEMA, DB_NONE,
     cmd_create_table, "create a table (items addressed by partition/sort key)",
     "Creates table entry TABLE whose items are maps addressed by the partition-key attribute\n"
     "--pk and the optional sort-key attribute --sk (strings, numbers or binary). --ttl names\n"
     "an attribute holding an expiry time. Exit 3 when the entry already exists.\n"},
    {"describe-table", "TABLE [--at REV | --as-of TIME]", 1, 1, OPT_READ, DB_READ, cmd_describe_table,
     "print a table's key schema and item count",
     "Prints {\"pk\", \"sk\", \"ttl\", \"count\"} of TABLE (sk and ttl only when set).\n"},
    {"put-item", "TABLE ITEM", 2, 2, OPT_WRITE | OPT_COND | OPT_PH | OPT_RETURN | OPT_DDB, DB_NONE,
     cmd_put_item, "create or replace one item",
     "Writes ITEM (a JSON object holding the key attributes) to TABLE, replacing the item with\n"
     "the same key, in one commit. --condition EXPR must hold on the current item (DynamoDB's\n"
     "condition grammar, docs/expressions.md), else exit 3 and nothing changes. Prints\n"
     "{\"digest\", \"changed\"} and with --return old the replaced item as \"item\".\n"},
    {"get-item", "TABLE KEY", 2, 2, OPT_READ | OPT_PROJ | OPT_PH | OPT_DDB, DB_READ, cmd_get_item,
     "print one item",
     "Prints the item of TABLE whose key attributes are KEY (a JSON object), or exit 1.\n"},
    {"update-item", "TABLE KEY --update EXPR", 2, 3, OPT_WRITE | OPT_UPDATE | OPT_COND | OPT_PH | OPT_RETURN | OPT_DDB,
     DB_NONE, cmd_update_item, "apply an update expression to one item",
     "Applies update expression EXPR (SET, REMOVE, ADD, DELETE) to the item of TABLE with key\n"
     "KEY, creating it when absent. --return old|new also prints the item before/after. The\n"
     "expression may also be given as a third argument instead of --update.\n"},
    {"delete-item", "TABLE KEY", 2, 2, OPT_WRITE | OPT_COND | OPT_PH | OPT_RETURN | OPT_DDB, DB_NONE,
     cmd_delete_item, "delete one item",
     "Deletes the item of TABLE with key KEY in one commit; exit 1 when there is none.\n"},
    {"query", "TABLE --key-condition EXPR", 1, 2,
     OPT_KEYCOND | OPT_READ | OPT_FILTER | OPT_PROJ | OPT_PH | OPT_PAGE | OPT_REVERSE | OPT_DDB, DB_READ, cmd_query,
     "items of one partition, in sort-key order",
     "Prints DynamoDB's response shape {\"Items\": [...], \"Count\": n, \"ScannedCount\": m} for\n"
     "the items of TABLE matching the key condition EXPR (partition key equality [AND a\n"
     "sort-key condition]; it may also be given as a second argument). With --limit, a\n"
     "\"LastEvaluatedKey\" is printed when more items remain; pass it to --start-key.\n"},
    {"scan", "TABLE", 1, 1, OPT_READ | OPT_FILTER | OPT_PROJ | OPT_PH | OPT_PAGE | OPT_SEGMENT | OPT_DDB,
     DB_READ, cmd_scan, "every item of a table, in key order",
     "Prints {\"Items\": [...], \"Count\", \"ScannedCount\"} for the items of TABLE (all, or\n"
     "those passing --filter), in key order; paging (\"LastEvaluatedKey\") as for query.\n"},
    {"sweep-ttl", "TABLE [--now SECONDS]", 1, 1, OPT_NOW, DB_WRITE, cmd_sweep_ttl,
     "delete a table's expired items",
     "Deletes every item of TABLE whose TTL attribute (create-table --ttl) lies before now\n"
     "(--now SECONDS since 1970; default $STRATA_TIME, else the clock) in one commit made by\n"
     "user \"ttl\". Prints {\"digest\", \"changed\", \"removed\"}.\n"},
    /* cmd_shell.c */
    {"shell", "", 0, 0, 0, DB_NONE, cmd_shell, "an interactive shell running these commands",
     "Reads commands line by line and runs each as 'strata [global options] LINE' with the\n"
     "global options the shell was started with. On a terminal: a prompt, line editing, history\n"
     "(~/.strata-history, or $STRATA_HISTORY) and completion of commands, options and entry\n"
     "names. Quoting as in a POSIX shell ('...', \"...\", \\). Dot commands: .help, .tenant [T],\n"
     ".quit / .exit (or end of input). Without a terminal, no prompt: a script of commands.\n"},
    /* commands.c */
    {"help", "[COMMAND]", 0, 1, 0, DB_NONE, cmd_help, "show help", "Shows help for COMMAND, or the command list.\n"},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

const command *cli_find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(COMMANDS[i].name, name) == 0) return &COMMANDS[i];
    return NULL;
}

const char *cli_command_name(size_t i) { return i < NCOMMANDS ? COMMANDS[i].name : NULL; }

static const char GLOBAL_HELP[] =
    "global options:\n"
    "  --db DIR          the database directory (default: $STRATA_DB, else ./.strata)\n"
    "  --tenant T        the tenant (default: default; created on first write)\n"
    "  --user U          who makes the change (default: $STRATA_USER, else $USER)\n"
    "  --pretty          indented JSON (the default on a terminal)\n"
    "  --compact         one-line JSON (the default otherwise)\n"
    "  --lock-wait MS    wait up to MS milliseconds for another writer (-1: forever)\n"
    "  -h, --help        show help\n";

/* The help lines of each option group, in the order `strata CMD --help` lists them. */
static const struct {
    unsigned bit;     /* OPT_* */
    const char *text; /* its lines */
} OPTION_HELP[] = {
    {OPT_MESSAGE, "  -m, --message MSG why the change is made (stored in the commit)\n"},
    {OPT_EXPECT, "  --expect-head D   write only if the entry's head is still commit D ('none': only if\n"
                 "                    the entry does not exist yet); else exit 3, nothing written\n"},
    {OPT_AT, "  --at REV          read the version of this revision: a digest, a unique prefix,\n"
             "                    HEAD, HEAD~N, HEAD^, @{TIME}\n"},
    {OPT_ASOF, "  --as-of TIME      read the version current at TIME (2023-11-14T22:13:20Z,\n"
               "                    '20231114 22:13:20', '2 hours ago'; local time without a zone)\n"},
    {OPT_ORIGIN, "  --origin TEXT     from where the change comes (default: strata-cli)\n"},
    {OPT_JSONL, "  --jsonl           the input is JSON Lines records {\"key\", \"value\"}\n"},
    {OPT_LOG, "  --oneline         one line per commit: short digest and message\n"
              "  -p, --patch       with each commit's changes\n"
              "  --since TIME      only commits at or after TIME\n"
              "  --until TIME      only commits at or before TIME\n"
              "  --author RE       only commits whose user matches RE\n"
              "  --grep RE         only commits whose message matches RE\n"},
    {OPT_NOW, "  --now SECONDS     the time the TTLs are compared with\n"},
    {OPT_N, "  -n N              show at most N commits\n"},
    {OPT_SCHEMA, "  --pk ATTR         the partition-key attribute (required)\n"
                 "  --sk ATTR         the sort-key attribute (optional)\n"
                 "  --ttl ATTR        an attribute holding an expiry time (seconds since 1970)\n"},
    {OPT_COND, "  --condition EXPR  write only if EXPR holds on the current item, else exit 3\n"},
    {OPT_PH, "  --names JSON      name placeholders, e.g. '{\"#n\": \"name\"}'\n"
             "  --values JSON     value placeholders, e.g. '{\":v\": 5}'\n"},
    {OPT_RETURN, "  --return WHAT     none, old or new: also print the item before/after\n"},
    {OPT_PROJ, "  --projection P    keep only these attribute paths\n"},
    {OPT_FILTER, "  --filter EXPR     return only items for which EXPR holds\n"},
    {OPT_PAGE, "  --limit N         read at most N items (before the filter)\n"
               "  --start-key JSON  continue after this key (a previous \"last_key\")\n"},
    {OPT_REVERSE, "  --reverse         descending sort-key order\n"},
    {OPT_SEGMENT, "  --segment I --segments N\n"
                  "                    scan only segment I of N (parallel scans)\n"},
    {OPT_GC, "  --min-dead-share F\n"
             "                    rewrite segments at least this share dead (0..1)\n"},
    {OPT_RETAIN, "  --keep N          keep the newest N commits of each entry\n"
                 "  --keep-age S      keep commits younger than S seconds\n"
                 "  --audit           record who/when/why of the commits GC drops\n"},
    {OPT_DDB, "  --dynamodb-json   values in and out are DynamoDB typed JSON\n"},
};

void cli_print_command_help(const command *cmd)
{
    printf("usage: strata %s%s%s\n\n%s", cmd->name, cmd->args[0] ? " " : "", cmd->args, cmd->help);
    if (cmd->opts) {
        printf("\noptions:\n");
        for (size_t i = 0; i < sizeof OPTION_HELP / sizeof OPTION_HELP[0]; i++)
            if (cmd->opts & OPTION_HELP[i].bit) fputs(OPTION_HELP[i].text, stdout);
    }
    printf("\n%s", GLOBAL_HELP);
}

void cli_print_main_help(void)
{
    printf("usage: strata [global options] COMMAND [arguments] [options]\n\n"
           "strata is an embedded, versioned document database: every change is a commit\n"
           "addressed by its SHA-256 digest, and every version stays readable.\n\ncommands:\n");
    int width = 0;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if ((int)strlen(COMMANDS[i].name) > width) width = (int)strlen(COMMANDS[i].name);
    for (size_t i = 0; i < NCOMMANDS; i++) printf("  %-*s  %s\n", width, COMMANDS[i].name, COMMANDS[i].summary);
    printf("\n%s\nexit codes: 0 ok, 1 not found or false, 2 bad usage or input, 3 conflict or\n"
           "condition failed, 4 database error (corrupt, I/O, locked).\n"
           "'strata help COMMAND' or 'strata COMMAND --help' shows one command.\n", GLOBAL_HELP);
}

int cmd_help(cli *c)
{
    if (c->nargs == 0) {
        cli_print_main_help();
        return EXIT_OK;
    }
    const command *cmd = cli_find_command(c->args[0]);
    if (!cmd) return cli_usage_fail(c, "unknown command '%s'", c->args[0]);
    cli_print_command_help(cmd);
    return EXIT_OK;
}
