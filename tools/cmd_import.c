/* The strata CLI's bulk commands: put-many and import read records (put-many: one JSON object of
 * key → value, or with --jsonl JSON Lines {"key", "value"}; import: JSON Lines; a table takes
 * one item per line), check every
 * one and write them all in one commit; export prints them back as JSON Lines. */
#include "cli.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    cli_say(p->c, "%s:%zu:%zu: %s", p->src, line, col, msg);
    p->exit_code = EXIT_USAGE;
    return -2;
}

/* Parse s[vs, ve) as a value for record `key`; push it. Returns 0 or -2 after a message. */
static int add_record(recparse *p, char *key, size_t vs, size_t ve)
{
    const cli *c = p->c;
    strata_value *v = NULL;
    int rc = strata_value_from_json(&v, p->text + vs, ve - vs, cli_json_flags(c, 0));
    if (rc < 0) {
        const strata_error *e = strata_error_last();
        const char *m = (e->code == rc && e->message && e->message[0]) ? e->message
                                                                        : strata_strerror(rc);
        size_t line, col;
        cli_json_linecol(p->text, p->len, vs, &line, &col);
        cli_say(c, "%s:%zu: value of record '%s': %s", p->src, line, key, m);
        free(key);
        p->exit_code = cli_exit_for(rc);
        return -2;
    }
    recs_push(p->out, key, v);
    return 0;
}

/* Decode the string literal p->text[a, b) (quotes included, already checked by the scanner) into
 * a new C string (free with free()). Without escapes its bytes are the string; otherwise
 * strata_value_from_json decodes it. NULL after a message when that fails. */
static char *decode_string(recparse *p, size_t a, size_t b)
{
    const char *s = p->text + a + 1;
    size_t n = b - a - 2;
    strata_value *v = NULL;
    strata_slice str = {s, n};
    if (memchr(s, '\\', n)) {
        int rc = strata_value_from_json(&v, p->text + a, b - a, 0);
        if (rc == 0) rc = strata_value_string(&str, v);
        if (rc < 0) {
            at_fail(p, a, "%s", strata_error_last()->message);
            strata_value_free(v);
            return NULL;
        }
    }
    char *out = malloc(str.len + 1);
    if (!out) {
        fputs("strata: out of memory\n", stderr);
        exit(EXIT_DBERROR);
    }
    memcpy(out, str.data, str.len);
    out[str.len] = '\0';
    strata_value_free(v);
    return out;
}

/* Member callback for the key → value map form. */
static int map_member(void *payload, size_t ks, size_t ke, size_t vs, size_t ve)
{
    recparse *p = payload;
    char *k = decode_string(p, ks, ke);
    if (!k) return -2;
    char buf[160];
    const char *problem = cli_name_problem("record key", k, buf, sizeof buf);
    if (problem) {
        free(k);
        return at_fail(p, vs, "%s", problem);
    }
    return add_record(p, k, vs, ve);
}

/* Member callback for one JSON Lines record {"key": "...", "value": ...}. */
static int line_member(void *payload, size_t ks, size_t ke, size_t vs, size_t ve)
{
    recparse *p = payload;
    char *name = decode_string(p, ks, ke);
    if (!name) return -2;
    int rc = 0;
    if (strcmp(name, "key") == 0) {
        size_t e;
        cli_json_err err;
        if (p->have_key) rc = at_fail(p, vs, "member \"key\" appears twice");
        else if (p->text[vs] != '"') rc = at_fail(p, vs, "\"key\" must be a string");
        else if (cli_json_name_end(&e, p->text, ve, vs, &err) != 0) rc = at_fail(p, err.offset, "%s", err.msg);
        else if (!(p->key = decode_string(p, vs, ve))) rc = -2;
        p->key_off = vs;
        p->have_key = 1;
    } else if (strcmp(name, "value") == 0) {
        if (p->have_val) rc = at_fail(p, vs, "member \"value\" appears twice");
        p->val_start = vs;
        p->val_end = ve;
        p->have_val = 1;
    } else {
        rc = at_fail(p, vs, "unexpected member \"%s\" (a record is {\"key\": …, \"value\": …})", name);
    }
    free(name);
    return rc;
}

/* Parse JSON Lines records: one object per line, blank lines skipped. Returns 0 or an exit code
 * (after a message). `pg` (optional) shows progress by bytes. */
static int parse_lines(recparse *p, cli_progress *pg)
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
        const char *problem = rc == 0 ? cli_name_problem("record key", p->key, buf, sizeof buf) : NULL;
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
        if (pg) cli_progress_show(pg, i, p->len, p->out->n, "records", 0);
    }
    return 0;
}

/* Parse put-many input without --jsonl: exactly one JSON object of key → value. More than one
 * value is refused (JSON Lines need --jsonl), so that what is read never depends on how many
 * lines the input happens to have. Returns 0 or an exit code. */
static int parse_records_object(recparse *p)
{
    size_t i = cli_json_skip_ws(p->text, p->len, 0);
    if (i >= p->len) {
        cli_say(p->c, "%s: no records in the input", p->src);
        return EXIT_USAGE;
    }
    size_t end;
    cli_json_err err;
    if (p->text[i] != '{')
        return at_fail(p, i, "expected a JSON object of key → value (for JSON Lines records use --jsonl)"),
               p->exit_code;
    if (cli_json_value_end(&end, p->text, p->len, i, &err) != 0)
        return at_fail(p, err.offset, "%s", err.msg), p->exit_code;
    size_t after = cli_json_skip_ws(p->text, p->len, end);
    if (after < p->len)
        return at_fail(p, after, "more than one JSON value: put-many reads one object of key → value "
                                 "(for JSON Lines records use --jsonl)"),
               p->exit_code;
    int rc = cli_json_object(&end, p->text, p->len, i, map_member, p, &err);
    if (rc == -1) return at_fail(p, err.offset, "%s", err.msg), p->exit_code;
    if (rc != 0) return p->exit_code ? p->exit_code : EXIT_USAGE;
    return 0;
}

/* put-many and import: parse every record first (bad input changes nothing), then write them
 * all in one commit. `lines_only`: the input is JSON Lines, else one key → value object; put-many
 * (`say_format`) says on stderr which it read. */
static int put_records(cli *c, const char *path, int lines_only, int say_format)
{
    const char *entry = c->args[0];
    int rc = cli_check_name(c, "entry name", entry);
    if (rc) return rc;
    cli_progress pg = {c->progress && lines_only, 0, c->cmd->name, 0};
    cli_buf in = {0};
    recs r = {0};
    strata_write_options wo;
    rc = cli_read_input(c, path, &in);
    if (!rc) {
        recparse p = {0};
        p.c = c;
        p.src = (!path || strcmp(path, "-") == 0) ? "stdin" : path;
        p.text = in.data;
        p.len = in.len;
        p.out = &r;
        rc = lines_only ? parse_lines(&p, &pg) : parse_records_object(&p);
        if (!rc && r.n == 0) {
            cli_say(c, "%s: no records in the input", p.src);
            rc = EXIT_USAGE;
        }
        if (!rc && say_format) {
            if (lines_only)
                cli_say(c, "read %zu record%s as JSON Lines from %s", r.n, r.n == 1 ? "" : "s", p.src);
            else if (r.n == 2 && ((strcmp(r.keys[0], "key") == 0 && strcmp(r.keys[1], "value") == 0) ||
                                  (strcmp(r.keys[0], "value") == 0 && strcmp(r.keys[1], "key") == 0)))
                cli_say(c, "read one JSON object of 2 records ('key' and 'value') from %s; "
                           "for one JSON Lines record use --jsonl", p.src);
            else
                cli_say(c, "read one JSON object of %zu record%s from %s", r.n, r.n == 1 ? "" : "s", p.src);
        }
    }
    if (!rc) {
        cli_progress_show(&pg, in.len, in.len, r.n, "records", 1);
        cli_progress_note(&pg, "committing…");
        rc = cli_open_for_write(c, entry, &wo);
    }
    if (!rc) {
        strata_oid oid;
        int w = strata_records_put_many(&oid, c->db, c->tenant, entry, (const char *const *)r.keys,
                                (const strata_value *const *)r.vals, r.n, &wo);
        cli_progress_end(&pg);
        rc = w < 0 ? cli_lib_fail(c, w, NULL) : cli_print_write(c, w, &oid, (long)r.n);
    }
    cli_progress_end(&pg);
    recs_free(&r);
    cli_buf_free(&in);
    return rc;
}

int cmd_put_many(cli *c) { return put_records(c, c->nargs > 1 ? c->args[1] : NULL, c->jsonl, 1); }

/* Import into a table: every non-blank line of the input is one item (a JSON object; DynamoDB
 * item JSON with --dynamodb-json). All lines are parsed first; then one commit writes them. */
static int import_items(cli *c, const char *entry, const char *path)
{
    cli_buf in = {0};
    int rc = cli_read_input(c, path, &in);
    if (rc) return rc;
    const char *src = (!path || strcmp(path, "-") == 0) ? "stdin" : path;
    strata_value **items = NULL;
    size_t *lines = NULL; /* input line of each item, for messages */
    size_t n = 0, cap = 0, line = 0;
    cli_progress pg = {c->progress, 0, "import", 0};
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
                rc = cli_bad_input(c, "out of memory");
                break;
            }
            lines = nl2;
            cap = nc;
        }
        int r = strata_value_from_json(&items[n], p, len, cli_json_flags(c, 1));
        if (r < 0) {
            rc = cli_bad_input(c, "%s:%zu: %s", src, line, strata_error_last()->message);
            break;
        }
        lines[n++] = line;
        cli_progress_show(&pg, i, in.len, n, "items", 0);
    }
    if (!rc && n == 0) {
        cli_say(c, "%s: no items in the input", src);
        rc = EXIT_USAGE;
    }
    strata_txn *t = NULL;
    if (!rc) {
        cli_progress_note(&pg, "committing…");
        strata_write_options wo;
        cli_write_opts(c, &wo);
        wo.expect_head = NULL;
        int r = strata_txn_begin(&t, c->db, c->tenant, &wo);
        if (r == 0 && c->have_expect) r = strata_txn_expect_head(t, entry, &c->expect_oid);
        size_t k = 0;
        for (; k < n && r == 0; k++) r = strata_txn_put_item(t, entry, items[k]);
        if (r == STRATA_EINVALID && k > 0) {
            cli_progress_end(&pg);
            rc = cli_bad_input(c, "%s:%zu: %s", src, lines[k - 1], strata_error_last()->message);
            r = 0; /* reported; the transaction is aborted below: nothing was written */
        }
        strata_oid m;
        if (r == 0 && !rc) {
            r = strata_txn_commit(&m, t);
            t = NULL;
        }
        cli_progress_end(&pg);
        if (rc) {
        } else if (r < 0) rc = cli_lib_fail(c, r, NULL);
        else {
            strata_oid head;
            int h = strata_entry_head(&head, c->db, c->tenant, entry, NULL);
            rc = h < 0 ? cli_lib_fail(c, h, NULL) : cli_print_write(c, r, &head, (long)n);
        }
    }
    strata_txn_abort(t);
    cli_progress_end(&pg);
    for (size_t k = 0; k < n; k++) strata_value_free(items[k]);
    free(items);
    free(lines);
    cli_buf_free(&in);
    return rc;
}

int cmd_import(cli *c)
{
    /* a table takes items; anything else (a records entry, or a new one) takes records */
    const char *entry = c->args[0];
    int rc = cli_check_name(c, "entry name", entry);
    if (rc) return rc;
    struct stat st;
    if (stat(c->db_path, &st) == 0) {
        if ((rc = cli_open_db(c, 1))) return rc;
        int kind = strata_entry_kind_of(c->db, c->tenant, entry, NULL);
        if (kind == STRATA_ENTRY_TABLE) {
            if ((rc = cli_resolve_expect(c, entry))) return rc;
            return import_items(c, entry, c->args[1]);
        }
        strata_db_close(c->db); /* put_records parses the input before it opens the database */
        c->db = NULL;
        strata_error_clear();
    }
    return put_records(c, c->args[1], 1, 0);
}

/* One record of an export: {"key": …, "value": …}. */
static int item_record(const cli *c, cli_buf *b, strata_iter *it)
{
    strata_slice k = strata_iter_key(it);
    cli_buf_puts(b, "{\"key\":");
    cli_buf_json_string(b, k.data, k.len);
    cli_buf_puts(b, ",\"value\":");
    int rc = cli_add_value(c, b, strata_iter_value(it), cli_json_flags(c, 0));
    if (!rc) cli_buf_putc(b, '}');
    return rc;
}

int cmd_export(cli *c)
{
    const char *entry = c->args[0];
    strata_iter *it = NULL;
    int table = strata_entry_kind_of(c->db, c->tenant, entry, &c->ro) == STRATA_ENTRY_TABLE;
    int r = table ? strata_table_scan(&it, c->db, c->tenant, entry, NULL, &c->ro)
                  : strata_records_list(&it, c->db, c->tenant, entry, &c->ro);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    cli_progress pg = {c->progress, 0, "export", 0};
    /* a table: one item per line, the form `import` reads back */
    if (table) return cli_print_lines(c, it, cli_item_table_item, &pg, "items");
    return cli_print_lines(c, it, item_record, &pg, "records");
}

