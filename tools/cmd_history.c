/* The strata CLI's history commands, with git's habits: log (one entry's or the whole tenant's,
 * --oneline, --since/--until, --author/--grep, -p), show (a commit's metadata and its change),
 * diff (the last change, or between two revisions) and restore. Revisions are resolved by
 * cli_rev.c. */
#include "cli.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- changes ---------------------------------------------------------------------------- */

/* Append the commit's time as an ISO 8601 JSON string. */
static void add_time(cli_buf *b, const strata_commit *cm)
{
    char t[40] = "";
    if (strata_commit_format_time(t, cm, STRATA_TIME_ISO) < 0) t[0] = '\0';
    cli_add_str(b, t);
}

/* Called once per change: key_json is the changed key as JSON (NULL for a document), old/nv the
 * values before/after (NULL when added/removed). Returns 0 or an exit code. */
typedef int (*change_fn)(const cli *c, void *payload, const char *key_json, const strata_value *old,
                         const strata_value *nv);

/* The JSON of a change: {["key",] "change": added|removed|modified[, "old"][, "new"]}. */
static int json_change(const cli *c, void *payload, const char *key_json, const strata_value *ov,
                       const strata_value *nv)
{
    cli_buf *b = payload;
    int rc = 0;
    if (b->len && b->data[b->len - 1] == '}') cli_buf_putc(b, ',');
    cli_buf_putc(b, '{');
    if (key_json) {
        cli_buf_puts(b, "\"key\":");
        cli_buf_puts(b, key_json);
        cli_buf_putc(b, ',');
    }
    cli_buf_puts(b, "\"change\":");
    cli_buf_puts(b, !ov ? "\"added\"" : !nv ? "\"removed\"" : "\"modified\"");
    if (ov && !rc) {
        cli_buf_puts(b, ",\"old\":");
        rc = cli_add_value(c, b, ov, cli_json_flags(c, 0));
    }
    if (nv && !rc) {
        cli_buf_puts(b, ",\"new\":");
        rc = cli_add_value(c, b, nv, cli_json_flags(c, 0));
    }
    cli_buf_putc(b, '}');
    return rc;
}

/* A change as a text line for log --oneline -p: "    + KEY NEW", "    - KEY OLD" or
 * "    ~ KEY OLD -> NEW" (values as compact JSON; a document has no KEY). */
static int text_change(const cli *c, void *payload, const char *key_json, const strata_value *ov,
                       const strata_value *nv)
{
    cli_buf *b = payload;
    cli_buf_puts(b, !ov ? "    + " : !nv ? "    - " : "    ~ ");
    if (key_json) {
        cli_buf_puts(b, key_json);
        cli_buf_putc(b, ' ');
    }
    int rc = 0;
    if (ov) rc = cli_add_value(c, b, ov, cli_json_flags(c, 0));
    if (ov && nv) cli_buf_puts(b, " -> ");
    if (nv && !rc) rc = cli_add_value(c, b, nv, cli_json_flags(c, 0));
    cli_buf_putc(b, '\n');
    return rc;
}

/* Feed every change of a diff iterator to fn; frees it. */
static int each_diff_item(const cli *c, strata_iter *it, change_fn fn, void *payload)
{
    int r, rc = 0;
    cli_buf key = {0};
    while (!rc && (r = strata_iter_next(it)) == 0) {
        strata_slice k = strata_iter_key(it);
        const strata_value *kv = strata_iter_key_value(it);
        key.len = 0;
        if (k.len) cli_buf_json_string(&key, k.data, k.len);
        else if (kv) rc = cli_add_value(c, &key, kv, cli_json_flags(c, 1));
        cli_buf_putc(&key, '\0');
        if (!rc) rc = fn(c, payload, (k.len || kv) ? key.data : NULL, strata_iter_old_value(it), strata_iter_value(it));
    }
    if (!rc && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, NULL);
    cli_buf_free(&key);
    strata_iter_free(it);
    return rc;
}

/* The key attributes of a table item (schema pk/sk) as JSON into key. */
static int table_key_json(const cli *c, cli_buf *key, const strata_value *schema, const strata_value *item)
{
    strata_builder *bl = NULL;
    strata_value *k = NULL;
    int r = strata_builder_new(&bl);
    if (!r) r = strata_builder_begin(bl, STRATA_TYPE_MAP);
    static const char *const ATTRS[] = {"pk", "sk"};
    for (int i = 0; i < 2 && !r; i++) {
        strata_value *name = NULL, *v = NULL;
        strata_slice s;
        if (strata_value_get(&name, schema, ATTRS[i]) < 0) {
            strata_error_clear();
            continue;
        }
        r = strata_value_string(&s, name);
        char attr[256];
        if (!r && s.len < sizeof attr) {
            memcpy(attr, s.data, s.len);
            attr[s.len] = '\0';
            if (strata_value_get(&v, item, attr) == 0) {
                r = strata_builder_key(bl, s.data, s.len);
                if (!r) r = strata_builder_value(bl, v);
            } else {
                strata_error_clear();
            }
        }
        strata_value_free(v);
        strata_value_free(name);
    }
    if (!r) r = strata_builder_end(bl);
    if (!r) r = strata_builder_finish(&k, bl);
    strata_builder_free(bl);
    int rc = r < 0 ? cli_lib_fail(c, r, "table key") : cli_add_value(c, key, k, cli_json_flags(c, 1));
    strata_value_free(k);
    return rc;
}

/* The first commit of an entry: everything it holds was added. */
static int each_first_change(cli *c, const strata_commit *cm, change_fn fn, void *payload)
{
    const char *entry = strata_commit_entry(cm);
    strata_read_options ro;
    strata_read_options_init(&ro, STRATA_READ_OPTIONS_VERSION);
    ro.at = strata_commit_digest(cm);
    int kind = strata_commit_kind(cm), r, rc = 0;
    if (kind == STRATA_ENTRY_DOCUMENT) {
        strata_value *v = NULL;
        r = strata_document_load(&v, c->db, c->tenant, entry, &ro);
        if (r < 0) return cli_lib_fail(c, r, entry);
        rc = fn(c, payload, NULL, NULL, v);
        strata_value_free(v);
        return rc;
    }
    strata_iter *it = NULL;
    strata_value *schema = NULL;
    if (kind == STRATA_ENTRY_TABLE) {
        r = strata_table_describe(&schema, c->db, c->tenant, entry, &ro);
        if (r == 0) r = strata_table_scan(&it, c->db, c->tenant, entry, NULL, &ro);
    } else {
        r = strata_records_list(&it, c->db, c->tenant, entry, &ro);
    }
    if (r < 0) {
        strata_value_free(schema);
        return cli_lib_fail(c, r, entry);
    }
    cli_buf key = {0};
    while (!rc && (r = strata_iter_next(it)) == 0) {
        key.len = 0;
        if (schema) {
            rc = table_key_json(c, &key, schema, strata_iter_value(it));
        } else {
            strata_slice k = strata_iter_key(it);
            cli_buf_json_string(&key, k.data, k.len);
        }
        cli_buf_putc(&key, '\0');
        if (!rc) rc = fn(c, payload, key.data, NULL, strata_iter_value(it));
    }
    if (!rc && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, entry);
    cli_buf_free(&key);
    strata_iter_free(it);
    strata_value_free(schema);
    return rc;
}

/* each_change's answer when cm's parent is gone (retention cut the history there): what cm
 * changed is not known. */
#define PARENT_GONE 1

/* Feed what commit cm changed (from its first parent; a first commit: all it holds) to fn. */
static int each_change(cli *c, const strata_commit *cm, change_fn fn, void *payload)
{
    if (strata_commit_parent_count(cm) == 0) return each_first_change(c, cm, fn, payload);
    strata_commit *parent = NULL;
    int pr = strata_commit_lookup(&parent, c->db, c->tenant, strata_commit_parent(cm, 0));
    strata_commit_free(parent);
    if (pr == STRATA_ENOTFOUND) return PARENT_GONE;
    strata_iter *it = NULL;
    int r = strata_entry_diff(&it, c->db, c->tenant, strata_commit_entry(cm), strata_commit_parent(cm, 0),
                              strata_commit_digest(cm));
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return each_diff_item(c, it, fn, payload);
}

/* Append "[change, …]" of commit cm, or null when its parent is beyond retention. */
static int add_changes(cli *c, cli_buf *b, const strata_commit *cm)
{
    cli_buf items = {0};
    int rc = each_change(c, cm, json_change, &items);
    if (rc == PARENT_GONE) {
        cli_buf_puts(b, "null");
        rc = 0;
    } else {
        cli_buf_putc(b, '[');
        if (items.len) cli_buf_add(b, items.data, items.len);
        cli_buf_putc(b, ']');
    }
    cli_buf_free(&items);
    return rc;
}

/* ---- log -------------------------------------------------------------------------------- */

/* What log prints and which commits it keeps. */
typedef struct log_view {
    int with_entry;          /* the tenant log: say which entry */
    int64_t since, until;    /* 0: unbounded */
    regex_t author, grep;    /* valid when have_* */
    int have_author, have_grep;
    long long left;          /* -n: commits still to print (-1: no limit) */
    size_t printed;
    cli_buf out;             /* JSON array, or lines */
} log_view;

static int keeps(const log_view *v, const strata_commit *cm)
{
    int64_t t = strata_commit_time_us(cm);
    if (v->since && t < v->since) return 0;
    if (v->until && t > v->until) return 0;
    if (v->have_author && regexec(&v->author, strata_commit_user(cm), 0, NULL, 0) != 0) return 0;
    if (v->have_grep && regexec(&v->grep, strata_commit_message(cm), 0, NULL, 0) != 0) return 0;
    return 1;
}

/* One commit of a log: {"digest", ["entry",] "user", "date", "message", "operation"[,
 * "changes"]}, or with --oneline "SHORT [ENTRY: ]SUBJECT" (the message, else the operation in
 * parentheses) followed by -p's change lines. */
static int add_log_commit(cli *c, log_view *v, const strata_commit *cm)
{
    cli_buf *b = &v->out;
    int rc = 0;
    if (c->oneline) {
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, strata_commit_digest(cm));
        cli_buf_add(b, hex, 12);
        cli_buf_putc(b, ' ');
        if (v->with_entry) {
            cli_buf_puts(b, strata_commit_entry(cm));
            cli_buf_puts(b, ": ");
        }
        const char *msg = strata_commit_message(cm);
        if (msg && msg[0]) {
            cli_buf_puts(b, msg);
        } else {
            cli_buf_putc(b, '(');
            cli_buf_puts(b, strata_commit_operation(cm));
            cli_buf_putc(b, ')');
        }
        cli_buf_putc(b, '\n');
        if (c->patch && (rc = each_change(c, cm, text_change, b)) == PARENT_GONE) {
            cli_buf_puts(b, "    (changes unknown: the parent commit is beyond retention)\n");
            rc = 0;
        }
        return rc;
    }
    if (v->printed) cli_buf_putc(b, ',');
    cli_buf_puts(b, "{\"digest\":");
    cli_add_oid(b, strata_commit_digest(cm));
    if (v->with_entry) {
        cli_buf_puts(b, ",\"entry\":");
        cli_add_str(b, strata_commit_entry(cm));
    }
    cli_buf_puts(b, ",\"user\":");
    cli_add_str(b, strata_commit_user(cm));
    cli_buf_puts(b, ",\"date\":");
    add_time(b, cm);
    cli_buf_puts(b, ",\"message\":");
    cli_add_str(b, strata_commit_message(cm));
    cli_buf_puts(b, ",\"operation\":");
    cli_add_str(b, strata_commit_operation(cm));
    if (c->patch) {
        cli_buf_puts(b, ",\"changes\":");
        rc = add_changes(c, b, cm);
    }
    cli_buf_putc(b, '}');
    return rc;
}

/* Offer one commit to the view: printed when the filters keep it. 1 when -n is used up. */
static int offer(cli *c, log_view *v, const strata_commit *cm, int *rc)
{
    if (!keeps(v, cm)) return 0;
    if (v->left == 0) return 1;
    *rc = add_log_commit(c, v, cm);
    v->printed++;
    if (v->left > 0) v->left--;
    return *rc != 0;
}

static int compile(cli *c, regex_t *re, const char *opt, const char *pattern)
{
    int e = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
    if (e == 0) return 0;
    char msg[160];
    regerror(e, re, msg, sizeof msg);
    return cli_bad_input(c, "%s '%s' is not a regular expression: %s", opt, pattern, msg);
}

int cmd_log(cli *c)
{
    log_view v;
    memset(&v, 0, sizeof v);
    v.left = c->max_items > 0 ? c->max_items : -1;
    v.with_entry = c->nargs == 0;
    int rc = 0;
    if (c->since) rc = cli_time_option(c, "--since", c->since, &v.since);
    if (!rc && c->until) rc = cli_time_option(c, "--until", c->until, &v.until);
    if (!rc && c->author && !(rc = compile(c, &v.author, "--author", c->author))) v.have_author = 1;
    if (!rc && c->grep && !(rc = compile(c, &v.grep, "--grep", c->grep))) v.have_grep = 1;
    if (!c->oneline) cli_buf_putc(&v.out, '[');
    if (!rc && c->nargs == 0) {
        cli_log log = {0};
        rc = cli_tenant_log(c, &log);
        for (size_t i = 0; !rc && i < log.n; i++)
            if (offer(c, &v, log.commits[i], &rc)) break;
        cli_log_free(&log);
    } else if (!rc) {
        const char *entry = c->args[0];
        strata_oid from;
        if (c->nargs > 1) rc = cli_resolve_commit(c, entry, c->args[1], &from);
        strata_iter *it = NULL;
        int r = 0;
        if (!rc) {
            r = strata_entry_history(&it, c->db, c->tenant, entry, c->nargs > 1 ? &from : NULL, 0);
            if (r < 0) rc = cli_lib_fail(c, r, NULL);
        }
        while (!rc && (r = strata_iter_next(it)) == 0)
            if (offer(c, &v, strata_iter_commit(it), &rc)) break;
        if (!rc && r < 0 && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, NULL);
        strata_iter_free(it);
    }
    if (!rc) {
        if (c->oneline) {
            fwrite(v.out.data, 1, v.out.len, stdout);
        } else {
            cli_buf_putc(&v.out, ']');
            cli_emit(c, &v.out);
        }
    }
    if (v.have_author) regfree(&v.author);
    if (v.have_grep) regfree(&v.grep);
    cli_buf_free(&v.out);
    return rc;
}

/* ---- show, diff, restore ---------------------------------------------------------------- */

/* show [ENTRY] [REV]: REV defaults to HEAD; one argument is a revision when it looks like one
 * (cli_looks_like_revision), else an entry (its head). */
int cmd_show(cli *c)
{
    const char *entry = NULL, *rev = "HEAD";
    if (c->nargs == 2) {
        entry = c->args[0];
        rev = c->args[1];
    } else if (c->nargs == 1) {
        if (cli_looks_like_revision(c->args[0])) rev = c->args[0];
        else entry = c->args[0];
    }
    if (entry && c->nargs == 1) {
        int e = strata_entry_exists(c->db, c->tenant, entry, NULL);
        if (e < 0) return cli_lib_fail(c, e, NULL);
        if (e == 0)
            return cli_bad_input(c, "'%s' is neither a revision (HEAD, HEAD~N, HEAD^, a digest or a unique prefix of "
                                    "at least 4 hex digits, @{TIME}) nor an entry of tenant '%s'",
                                 entry, c->tenant);
    }
    strata_oid oid;
    int rc = cli_resolve_commit(c, entry, rev, &oid);
    if (rc) return rc;
    strata_commit *cm = NULL;
    int r = strata_commit_lookup(&cm, c->db, c->tenant, &oid);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    cli_buf b = {0};
    char num[64];
    cli_buf_puts(&b, "{\"digest\":");
    cli_add_oid(&b, strata_commit_digest(cm));
    cli_buf_puts(&b, ",\"entry\":");
    cli_add_str(&b, strata_commit_entry(cm));
    cli_buf_puts(&b, ",\"kind\":");
    cli_add_str(&b, cli_kind_name(strata_commit_kind(cm)));
    snprintf(num, sizeof num, ",\"generation\":%llu", (unsigned long long)strata_commit_generation(cm));
    cli_buf_puts(&b, num);
    cli_buf_puts(&b, ",\"user\":");
    cli_add_str(&b, strata_commit_user(cm));
    cli_buf_puts(&b, ",\"date\":");
    add_time(&b, cm);
    snprintf(num, sizeof num, ",\"time_us\":%lld", (long long)strata_commit_time_us(cm));
    cli_buf_puts(&b, num);
    cli_buf_puts(&b, ",\"message\":");
    cli_add_str(&b, strata_commit_message(cm));
    cli_buf_puts(&b, ",\"origin\":");
    cli_add_str(&b, strata_commit_origin(cm));
    cli_buf_puts(&b, ",\"operation\":");
    cli_add_str(&b, strata_commit_operation(cm));
    cli_buf_puts(&b, ",\"parents\":[");
    size_t np = strata_commit_parent_count(cm);
    for (size_t i = 0; i < np; i++) {
        if (i) cli_buf_putc(&b, ',');
        cli_add_oid(&b, strata_commit_parent(cm, i));
    }
    cli_buf_puts(&b, "],\"data\":");
    cli_add_oid(&b, strata_commit_data(cm));
    cli_buf_puts(&b, ",\"changes\":");
    rc = add_changes(c, &b, cm);
    cli_buf_putc(&b, '}');
    if (!rc) cli_emit(c, &b);
    cli_buf_free(&b);
    strata_commit_free(cm);
    return rc;
}

/* diff ENTRY: the last change (head against its parent); diff ENTRY A [B]: from A to B
 * (default: the head). */
int cmd_diff(cli *c)
{
    const char *entry = c->args[0];
    cli_buf b = {0};
    int rc;
    if (c->nargs == 1) {
        strata_oid head;
        rc = cli_resolve_commit(c, entry, "HEAD", &head);
        strata_commit *cm = NULL;
        if (!rc) {
            int r = strata_commit_lookup(&cm, c->db, c->tenant, &head);
            if (r < 0) rc = cli_lib_fail(c, r, NULL);
        }
        if (!rc) rc = add_changes(c, &b, cm);
        strata_commit_free(cm);
    } else {
        strata_oid a, o;
        rc = cli_resolve_commit(c, entry, c->args[1], &a);
        if (!rc && c->nargs > 2) rc = cli_resolve_commit(c, entry, c->args[2], &o);
        strata_iter *it = NULL;
        if (!rc) {
            int r = strata_entry_diff(&it, c->db, c->tenant, entry, &a, c->nargs > 2 ? &o : NULL);
            if (r < 0) rc = cli_lib_fail(c, r, NULL);
        }
        if (!rc) {
            cli_buf items = {0};
            cli_buf_putc(&b, '[');
            rc = each_diff_item(c, it, json_change, &items);
            if (items.len) cli_buf_add(&b, items.data, items.len);
            cli_buf_free(&items);
            cli_buf_putc(&b, ']');
        }
    }
    if (!rc) cli_emit(c, &b);
    cli_buf_free(&b);
    return rc;
}

int cmd_restore(cli *c)
{
    const char *entry = c->args[0];
    strata_oid target, oid;
    int rc = cli_resolve_commit(c, entry, c->args[1], &target);
    if (!rc) rc = cli_resolve_expect(c, entry);
    if (rc) return rc;
    strata_write_options wo;
    cli_write_opts(c, &wo);
    int r = strata_entry_restore(&oid, c->db, c->tenant, entry, &target, &wo);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return cli_print_write(c, r, &oid, -1);
}
