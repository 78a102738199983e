/* The strata CLI's table commands: create-table, describe-table, put-item, get-item,
 * update-item, delete-item, query and scan (DynamoDB's request and response shapes). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        return cli_lib_fail(c, rc, "--names");
    if (c->values &&
        (rc = strata_value_from_json(&t->values, c->values, strlen(c->values), cli_json_flags(c, 1))) < 0)
        return cli_lib_fail(c, rc, "--values");
    if (c->start_key && (rc = strata_value_from_json(&t->start_key, c->start_key,
                                                     strlen(c->start_key), cli_json_flags(c, 1))) < 0)
        return cli_lib_fail(c, rc, "--start-key");
    if (arg_json &&
        (rc = strata_value_from_json(&t->arg, arg_json, strlen(arg_json), cli_json_flags(c, 1))) < 0)
        return cli_lib_fail(c, rc, arg_what);
    return 0;
}

/* --return none|old|new as STRATA_RETURN_*, or -1 after a message. */
static int return_mode(const cli *c, int allow_new)
{
    if (!c->ret || strcmp(c->ret, "none") == 0) return STRATA_RETURN_NONE;
    if (strcmp(c->ret, "old") == 0) return STRATA_RETURN_ALL_OLD;
    if (allow_new && strcmp(c->ret, "new") == 0) return STRATA_RETURN_ALL_NEW;
    cli_bad_input(c, "--return '%s' is not %s", c->ret, allow_new ? "none, old or new" : "none or old");
    return -1;
}

/* Print the outcome of an item write: the table's new head, whether it changed and, when
 * --return asked for it, the item ("item": null when there is none). */
static int print_item_write(cli *c, const char *table, int w, const strata_value *item, int mode)
{
    strata_oid head;
    int r = strata_entry_head(&head, c->db, c->tenant, table, NULL);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    cli_buf b = {0};
    cli_buf_puts(&b, "{\"digest\":");
    cli_add_oid(&b, &head);
    cli_buf_puts(&b, w == STRATA_UNCHANGED ? ",\"changed\":false" : ",\"changed\":true");
    int rc = 0;
    if (mode != STRATA_RETURN_NONE) {
        cli_buf_puts(&b, ",\"item\":");
        if (item) rc = cli_add_value(c, &b, item, cli_json_flags(c, 1));
        else cli_buf_puts(&b, "null");
    }
    cli_buf_putc(&b, '}');
    if (!rc) cli_emit(c, &b);
    cli_buf_free(&b);
    return rc;
}

int cmd_create_table(cli *c)
{
    const char *table = c->args[0];
    int rc = cli_check_name(c, "table name", table);
    if (rc) return rc;
    if (!c->pk) return cli_usage_fail(c, "--pk ATTR is required");
    if ((rc = cli_check_name(c, "--pk", c->pk)) || (c->sk && (rc = cli_check_name(c, "--sk", c->sk))) ||
        (c->ttl && (rc = cli_check_name(c, "--ttl", c->ttl))))
        return rc;
    strata_write_options wo;
    rc = cli_open_for_write(c, NULL, &wo);
    if (rc) return rc;
    strata_table_schema schema = STRATA_TABLE_SCHEMA_INIT;
    schema.pk = c->pk;
    schema.sk = c->sk;
    schema.ttl = c->ttl;
    strata_oid oid;
    int r = strata_table_create(&oid, c->db, c->tenant, table, &schema, &wo);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return cli_print_write(c, r, &oid, -1);
}

int cmd_describe_table(cli *c)
{
    strata_value *v = NULL;
    int r = strata_table_describe(&v, c->db, c->tenant, c->args[0], &c->ro);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    int rc = cli_print_value(c, v, 0);
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
    if (!rc) rc = cli_open_db(c, 1);
    if (!rc) {
        strata_item_options io = STRATA_ITEM_OPTIONS_INIT;
        io.condition = c->condition;
        io.names = t.names;
        io.values = t.values;
        io.return_values = mode;
        strata_write_options wo;
        cli_write_opts(c, &wo);
        strata_value *out = NULL;
        int w;
        if (kind == 'p') w = strata_table_put_item(&out, c->db, c->tenant, table, t.arg, &io, &wo);
        else if (kind == 'u')
            w = strata_table_update_item(&out, c->db, c->tenant, table, t.arg, c->update, &io, &wo);
        else w = strata_table_delete_item(&out, c->db, c->tenant, table, t.arg, &io, &wo);
        if (w < 0) rc = cli_lib_fail(c, w, NULL);
        else if (kind == 'd' && w == STRATA_UNCHANGED) {
            cli_say(c, "no item with that key in table '%s'", table);
            rc = EXIT_NOTFOUND;
        } else rc = print_item_write(c, table, w, out, mode);
        strata_value_free(out);
    }
    table_req_free(&t);
    return rc;
}

int cmd_put_item(cli *c) { return item_write(c, 'p'); }
int cmd_update_item(cli *c) { return item_write(c, 'u'); }
int cmd_delete_item(cli *c) { return item_write(c, 'd'); }

int cmd_get_item(cli *c)
{
    const char *table = c->args[0];
    table_req t;
    int rc = table_parse(c, &t, c->args[1], "key");
    if (!rc) {
        strata_value *v = NULL;
        int r = strata_table_get_item(&v, c->db, c->tenant, table, t.arg, c->projection, t.names, &c->ro);
        if (r < 0) rc = cli_lib_fail(c, r, NULL);
        else rc = cli_print_value(c, v, cli_json_flags(c, 1));
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
    table_req t;
    if (!is_query && c->segments == 0 && c->segment != 0)
        return cli_usage_fail(c, "--segment needs --segments");
    int rc = table_parse(c, &t, NULL, NULL);
    strata_iter *it = NULL;
    if (!rc) {
        strata_query_options q = STRATA_QUERY_OPTIONS_INIT;
        q.key_condition = is_query ? c->key_condition : NULL;
        q.filter = c->filter;
        q.projection = c->projection;
        q.names = t.names;
        q.values = t.values;
        q.reverse = c->reverse;
        q.limit = (size_t)c->limit;
        q.start_key = t.start_key;
        q.segment = (unsigned)c->segment;
        q.total_segments = (unsigned)c->segments;
        int r = is_query ? strata_table_query(&it, c->db, c->tenant, table, &q, &c->ro)
                         : strata_table_scan(&it, c->db, c->tenant, table, &q, &c->ro);
        if (r < 0) rc = cli_lib_fail(c, r, NULL);
    }
    if (!rc) {
        cli_buf b = {0};
        cli_buf_puts(&b, "{\"Items\":");
        rc = cli_add_array(c, &b, it, cli_item_table_item);
        if (!rc) {
            char num[96];
            snprintf(num, sizeof num, ",\"Count\":%llu,\"ScannedCount\":%llu",
                     (unsigned long long)strata_iter_count(it),
                     (unsigned long long)strata_iter_scanned_count(it));
            cli_buf_puts(&b, num);
            strata_value *last = NULL;
            int lr = strata_iter_last_key(&last, it);
            if (lr == 0 && last) {
                cli_buf_puts(&b, ",\"LastEvaluatedKey\":");
                rc = cli_add_value(c, &b, last, cli_json_flags(c, 1));
            } else if (lr < 0 && lr != STRATA_ENOTFOUND) {
                rc = cli_lib_fail(c, lr, NULL);
            }
            strata_value_free(last);
            cli_buf_putc(&b, '}');
            if (!rc) cli_emit(c, &b);
        }
        cli_buf_free(&b);
    }
    strata_iter_free(it);
    table_req_free(&t);
    return rc;
}

int cmd_query(cli *c) { return query_or_scan(c, 1); }
int cmd_scan(cli *c) { return query_or_scan(c, 0); }
