/* The strata CLI's messages and output: one-line messages on stderr and the exit code that
 * goes with a library error, JSON built into a cli_buf and written to stdout (compact, or
 * re-indented with --pretty), and a progress line on a terminal. */
#include "cli.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- messages and exit codes ------------------------------------------------------------ */

static const char *cmd_name(const cli *c) { return c->cmd ? c->cmd->name : NULL; }

/* Print "strata: CMD: message" on stderr; with `usage`, the command's synopsis follows. */
static void vsay(const cli *c, int usage, const char *fmt, va_list ap)
{
    fputs("strata: ", stderr);
    if (cmd_name(c)) fprintf(stderr, "%s: ", cmd_name(c));
    vfprintf(stderr, fmt, ap);
    if (usage && c->cmd)
        fprintf(stderr, " (usage: strata %s%s%s; see 'strata %s --help')", c->cmd->name,
                c->cmd->args[0] ? " " : "", c->cmd->args, c->cmd->name);
    else if (usage)
        fputs(" (see 'strata help')", stderr);
    fputc('\n', stderr);
}

void cli_say(const cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(c, 0, fmt, ap);
    va_end(ap);
}

/* The exit code for a negative strata error code. */
int cli_exit_for(int rc)
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
int cli_lib_fail(const cli *c, int rc, const char *context)
{
    const strata_error *e = strata_error_last();
    const char *msg = (e->code == rc && e->message && e->message[0]) ? e->message
                                                                      : strata_strerror(rc);
    if (context) cli_say(c, "%s: %s", context, msg);
    else cli_say(c, "%s", msg);
    return cli_exit_for(rc);
}

int cli_usage_fail(const cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(c, 1, fmt, ap);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_bad_input(const cli *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(c, 0, fmt, ap);
    va_end(ap);
    return EXIT_USAGE;
}

/* ---- output ----------------------------------------------------------------------------- */

/* Write JSON text (compact, as built) to stdout, re-indented when pretty, plus a newline. */
void cli_emit(const cli *c, const cli_buf *json)
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
unsigned cli_json_flags(const cli *c, int item)
{
    if (!c->dynamodb) return 0;
    return STRATA_JSON_DYNAMODB | (item ? STRATA_JSON_ITEM : 0);
}

/* Append value v as compact JSON. Returns 0 or an exit code (after a message). */
int cli_add_value(const cli *c, cli_buf *b, const strata_value *v, unsigned flags)
{
    char *s = NULL;
    size_t n = 0;
    int rc = strata_value_to_json(&s, &n, v, flags);
    if (rc < 0) return cli_lib_fail(c, rc, "rendering a value as JSON");
    cli_buf_add(b, s, n);
    strata_free(s);
    return 0;
}

void cli_add_oid(cli_buf *b, const strata_oid *oid)
{
    char hex[STRATA_OID_HEXSIZE + 1];
    strata_oid_fmt(hex, oid);
    cli_buf_json_string(b, hex, STRATA_OID_HEXSIZE);
}

void cli_add_str(cli_buf *b, const char *s) { cli_buf_json_string(b, s ? s : "", s ? strlen(s) : 0); }

const char *cli_kind_name(int kind)
{
    switch (kind) {
    case STRATA_ENTRY_DOCUMENT: return "document";
    case STRATA_ENTRY_RECORDS: return "records";
    case STRATA_ENTRY_TABLE: return "table";
    default: return "unknown";
    }
}

/* Print the outcome of a write: {"digest": …, "changed": true|false[, "records": n]}. */
int cli_print_write(const cli *c, int rc, const strata_oid *oid, long records)
{
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"digest\":");
    cli_add_oid(&b, oid);
    cli_buf_puts(&b, rc == STRATA_UNCHANGED ? ",\"changed\":false" : ",\"changed\":true");
    if (records >= 0) {
        char num[32];
        snprintf(num, sizeof num, ",\"records\":%ld", records);
        cli_buf_puts(&b, num);
    }
    cli_buf_putc(&b, '}');
    cli_emit(c, &b);
    cli_buf_free(&b);
    return EXIT_OK;
}

/* ---- progress on a terminal ------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Redraw at most 10 times a second: a bar when total > 0, else a counter. `what` names the
 * counted things ("records"). */
void cli_progress_show(cli_progress *p, uint64_t done, uint64_t total, uint64_t count,
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
void cli_progress_note(cli_progress *p, const char *text)
{
    if (!p->on) return;
    fprintf(stderr, "\r%s: %s\033[K", p->label, text);
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_end(cli_progress *p)
{
    if (p->on && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}

/* ---- iterators as JSON ------------------------------------------------------------------ */

int cli_print_value(const cli *c, const strata_value *v, unsigned flags)
{
    cli_buf b = {0};
    int rc = cli_add_value(c, &b, v, flags);
    if (!rc) cli_emit(c, &b);
    cli_buf_free(&b);
    return rc;
}

int cli_add_array(const cli *c, cli_buf *b, strata_iter *it, cli_item_fn item)
{
    cli_buf_putc(b, '[');
    int r;
    size_t n = 0;
    while ((r = strata_iter_next(it)) == 0) {
        if (n++) cli_buf_putc(b, ',');
        int rc = item(c, b, it);
        if (rc) return rc;
    }
    if (r != STRATA_ITEROVER) return cli_lib_fail(c, r, NULL);
    cli_buf_putc(b, ']');
    return 0;
}

int cli_print_array(const cli *c, strata_iter *it, cli_item_fn item)
{
    cli_buf b = {0};
    int rc = cli_add_array(c, &b, it, item);
    strata_iter_free(it);
    if (!rc) cli_emit(c, &b);
    cli_buf_free(&b);
    return rc;
}

int cli_print_lines(const cli *c, strata_iter *it, cli_item_fn item, cli_progress *pg, const char *what)
{
    cli_buf b = {0};
    uint64_t n = 0;
    int r, rc = 0;
    while ((r = strata_iter_next(it)) == 0) {
        b.len = 0;
        if ((rc = item(c, &b, it))) break;
        cli_buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, stdout);
        cli_progress_show(pg, 0, 0, ++n, what, 0);
    }
    cli_progress_end(pg);
    strata_iter_free(it);
    cli_buf_free(&b);
    if (!rc && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, NULL);
    return rc;
}

int cli_item_name(const cli *c, cli_buf *b, strata_iter *it)
{
    (void)c;
    strata_slice k = strata_iter_key(it);
    cli_buf_json_string(b, k.data, k.len);
    return 0;
}

int cli_item_table_item(const cli *c, cli_buf *b, strata_iter *it)
{
    return cli_add_value(c, b, strata_iter_value(it), cli_json_flags(c, 1));
}
