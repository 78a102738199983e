/* The strata CLI's entry commands: documents (save, load), records (put, get, delete) and an
 * entry's head (exists, digest); the history commands live in cmd_history.c. */
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
    int r = strata_entry_exists(c->db, c->tenant, c->args[0], &c->ro);
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
