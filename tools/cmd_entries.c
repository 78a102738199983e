/* The strata CLI's entry commands: documents (save, load), records (put, get, delete) and an
 * entry's history (exists, digest, log, show, diff, restore). */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_save(cli *c)
{
    const char *entry = c->args[0];
    int rc = cli_check_name(c, "entry name", entry);
    if (rc) return rc;
    cli_buf in = {0};
    strata_value *v = NULL;
    rc = cli_read_input(c, c->nargs > 1 ? c->args[1] : NULL, &in);
    if (!rc) rc = cli_parse_value(c, &v, in.data, in.len, "input");
    strata_write_options wo;
    if (!rc) rc = cli_open_for_write(c, entry, &wo);
    if (!rc) {
        strata_oid oid;
        int r = strata_document_save(&oid, c->db, c->tenant, entry, v, &wo);
        rc = r < 0 ? cli_lib_fail(c, r, NULL) : cli_print_write(c, r, &oid, -1);
    }
    strata_value_free(v);
    cli_buf_free(&in);
    return rc;
}

int cmd_load(cli *c)
{
    const char *entry = c->args[0];
    strata_value *v = NULL;
    int r = strata_document_load(&v, c->db, c->tenant, entry, &c->ro);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    int rc = cli_print_value(c, v, cli_json_flags(c, 0));
    strata_value_free(v);
    return rc;
}

int cmd_put(cli *c)
{
    const char *entry = c->args[0], *key = c->args[1], *json = c->args[2];
    int rc = cli_check_name(c, "entry name", entry);
    if (!rc) rc = cli_check_name(c, "record key", key);
    if (rc) return rc;
    strata_value *v = NULL;
    rc = cli_parse_value(c, &v, json, strlen(json), "value");
    strata_write_options wo;
    if (!rc) rc = cli_open_for_write(c, entry, &wo);
    if (!rc) {
        strata_oid oid;
        int r = strata_records_put(&oid, c->db, c->tenant, entry, key, v, &wo);
        rc = r < 0 ? cli_lib_fail(c, r, NULL) : cli_print_write(c, r, &oid, -1);
    }
    strata_value_free(v);
    return rc;
}

int cmd_get(cli *c)
{
    const char *entry = c->args[0];
    strata_value *v = NULL;
    int r;
    if (c->nargs > 1) r = strata_records_get(&v, c->db, c->tenant, entry, c->args[1], &c->ro);
    else r = strata_records_get_all(&v, c->db, c->tenant, entry, &c->ro);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    int rc = cli_print_value(c, v, cli_json_flags(c, c->nargs == 1));
    strata_value_free(v);
    return rc;
}

int cmd_delete(cli *c)
{
    const char *entry = c->args[0], *key = c->args[1];
    int rc = cli_resolve_expect(c, entry);
    if (rc) return rc;
    strata_write_options wo;
    cli_write_opts(c, &wo);
    strata_oid oid;
    int r = strata_records_delete(&oid, c->db, c->tenant, entry, key, &wo);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    if (r == STRATA_UNCHANGED) {
        cli_say(c, "no record '%s' in entry '%s'", key, entry);
        return EXIT_NOTFOUND;
    }
    return cli_print_write(c, r, &oid, -1);
}

int cmd_exists(cli *c)
{
    int r = strata_entry_exists(c->db, c->tenant, c->args[0], NULL);
    if (r < 0 && r != STRATA_ENOTFOUND) return cli_lib_fail(c, r, NULL);
    fputs(r == 1 ? "true\n" : "false\n", stdout);
    return r == 1 ? EXIT_OK : EXIT_NOTFOUND;
}

int cmd_digest(cli *c)
{
    const char *entry = c->args[0];
    strata_oid head;
    int r = strata_entry_head(&head, c->db, c->tenant, entry, &c->ro);
    if (r < 0) return cli_lib_fail(c, r, NULL);
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
    cli_add_str(b, t);
}

/* One commit of a log: {"digest", "user", "date", "message", "operation"}. */
static int item_commit(const cli *c, cli_buf *b, strata_iter *it)
{
    (void)c;
    const strata_commit *cm = strata_iter_commit(it);
    cli_buf_puts(b, "{\"digest\":");
    cli_add_oid(b, strata_commit_digest(cm));
    cli_buf_puts(b, ",\"user\":");
    cli_add_str(b, strata_commit_user(cm));
    cli_buf_puts(b, ",\"date\":");
    add_time(b, cm);
    cli_buf_puts(b, ",\"message\":");
    cli_add_str(b, strata_commit_message(cm));
    cli_buf_puts(b, ",\"operation\":");
    cli_add_str(b, strata_commit_operation(cm));
    cli_buf_putc(b, '}');
    return 0;
}

int cmd_log(cli *c)
{
    strata_iter *it = NULL;
    int r = strata_entry_history(&it, c->db, c->tenant, c->args[0], NULL, (size_t)c->max_items);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return cli_print_array(c, it, item_commit);
}

int cmd_show(cli *c)
{
    strata_oid oid;
    int rc = cli_resolve_commit(c, NULL, c->args[0], &oid);
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
    snprintf(num, sizeof num, ",\"generation\":%llu",
             (unsigned long long)strata_commit_generation(cm));
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
    cli_buf_putc(&b, '}');
    cli_emit(c, &b);
    cli_buf_free(&b);
    strata_commit_free(cm);
    return EXIT_OK;
}

/* One change of a diff: {["key",] "change": added|removed|modified[, "old"][, "new"]}; the key
 * is a record's key, a table item's key attributes, or absent for a document. */
static int item_change(const cli *c, cli_buf *b, strata_iter *it)
{
    strata_slice k = strata_iter_key(it);
    const strata_value *ov = strata_iter_old_value(it), *nv = strata_iter_value(it);
    const strata_value *kv = strata_iter_key_value(it);
    int rc = 0;
    cli_buf_putc(b, '{');
    if (k.len) {
        cli_buf_puts(b, "\"key\":");
        cli_buf_json_string(b, k.data, k.len);
        cli_buf_putc(b, ',');
    } else if (kv) { /* tables: the key attributes as a map */
        cli_buf_puts(b, "\"key\":");
        rc = cli_add_value(c, b, kv, cli_json_flags(c, 1));
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

int cmd_diff(cli *c)
{
    const char *entry = c->args[0];
    strata_oid a, b;
    int rc = cli_resolve_commit(c, entry, c->args[1], &a);
    if (!rc && c->nargs > 2) rc = cli_resolve_commit(c, entry, c->args[2], &b);
    if (rc) return rc;
    strata_iter *it = NULL;
    int r = strata_entry_diff(&it, c->db, c->tenant, entry, &a, c->nargs > 2 ? &b : NULL);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return cli_print_array(c, it, item_change);
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
