/* strata-server's history operations, beyond DynamoDB, under the target prefix
 * StrataHistory_1: a table's commit log, one item's versions, GetItem/Query/Scan at a past
 * commit or time, the diff between two commits, and restoring a table or one item to a past
 * state (a new commit: history is never rewritten). A read point is "AtCommit" (a commit digest
 * of the table, 64 hex digits) or "AsOf" (seconds since 1970, fractions allowed, or an ISO 8601
 * UTC time "2024-01-31T12:00:00Z"). */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_WALK_MAX 100000 /* commits ItemHistory reads at most */

/* Read the request's read point into ro (with *oid as storage). 1 when one was given, 0 when
 * none, -1 on a bad one (error set). */
static int read_point(srv_call *c, strata_read_options *ro, strata_oid *oid)
{
    strata_read_options_init(ro, STRATA_READ_OPTIONS_VERSION);
    int bad = 0;
    const char *at = srv_get_str(c, c->in, "AtCommit", &bad);
    json_t *asof = json_object_get(c->in, "AsOf");
    if (bad) return -1;
    if (at && asof) return srv_invalid(c, "Give AtCommit or AsOf, not both");
    if (at) {
        if (strata_oid_parse(oid, at) < 0) return srv_invalid(c, "AtCommit must be a commit digest (64 hex digits)");
        ro->at = oid;
        return 1;
    }
    if (!asof) return 0;
    if (json_is_number(asof)) {
        ro->as_of_us = (int64_t)(json_number_value(asof) * 1e6);
    } else if (json_is_string(asof)) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(json_string_value(asof), "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end) return srv_invalid(c, "AsOf must be seconds since 1970 or an ISO 8601 UTC time");
        double frac = 0;
        if (*end == '.') frac = strtod(end, (char **)&end);
        if (*end && strcmp(end, "Z") != 0) return srv_invalid(c, "AsOf must be a UTC time ending in Z");
        ro->as_of_us = (int64_t)timegm(&tm) * 1000000 + (int64_t)(frac * 1e6);
    } else {
        return srv_fail(c, 400, SRV_SERIALIZATION, "Unexpected value type in payload: AsOf must be a number or a string");
    }
    if (ro->as_of_us <= 0) return srv_invalid(c, "AsOf must lie after 1970");
    return 1;
}

static void commit_json(sbuf *b, const strata_commit *cm)
{
    char hex[STRATA_OID_HEXSIZE + 1], when[40];
    strata_oid_fmt(hex, strata_commit_digest(cm));
    strata_commit_format_time(when, cm, STRATA_TIME_ISO);
    sbuf_cstr(b, "{\"Commit\":");
    sbuf_jstr(b, hex, strlen(hex));
    sbuf_cstr(b, ",\"Time\":");
    sbuf_jstr(b, when, strlen(when));
    sbuf_fmt(b, ",\"TimeUs\":%lld,\"Generation\":%llu", (long long)strata_commit_time_us(cm),
             (unsigned long long)strata_commit_generation(cm));
    const char *fields[][2] = {{"User", strata_commit_user(cm)}, {"Message", strata_commit_message(cm)},
                               {"Origin", strata_commit_origin(cm)}, {"Operation", strata_commit_operation(cm)}};
    for (size_t i = 0; i < 4; i++) {
        sbuf_fmt(b, ",\"%s\":", fields[i][0]);
        const char *v = fields[i][1] ? fields[i][1] : "";
        sbuf_jstr(b, v, strlen(v));
    }
}

static long long limit_of(srv_call *c, long long dflt)
{
    long long limit = dflt;
    if (srv_get_int(c, c->in, "Limit", &limit) < 0) return -1;
    if (limit < 1) {
        srv_invalid(c, "Limit must be at least 1");
        return -1;
    }
    return limit;
}

int op_hist_table_log(srv_call *c)
{
    int bad = 0;
    srv_table t;
    long long limit = limit_of(c, 100);
    if (limit < 0 || srv_table_open(c, &t, srv_get_str(c, c->in, "TableName", &bad))) return -1;
    strata_iter *it = NULL;
    int rc = strata_entry_history(&it, c->s->db, c->tenant, t.entry, NULL, (size_t)limit);
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{\"Commits\":[");
    int n = 0;
    while (rc >= 0 && (rc = strata_iter_next(it)) == 0) {
        if (n++) sbuf_cstr(b, ",");
        commit_json(b, strata_iter_commit(it));
        sbuf_cstr(b, "}");
    }
    strata_iter_free(it);
    srv_table_close(&t);
    if (rc != STRATA_ITEROVER) return srv_lib_fail(c, rc, "history");
    sbuf_cstr(b, "]}");
    return 0;
}

int op_hist_item_history(srv_call *c)
{
    int bad = 0, rc = -1;
    srv_table t;
    memset(&t, 0, sizeof t);
    strata_value *key = NULL, *newer = NULL, *older = NULL;
    strata_commit *newer_c = NULL;
    strata_iter *it = NULL;
    long long limit = limit_of(c, 100);
    if (limit < 0 || srv_table_open(c, &t, srv_get_str(c, c->in, "TableName", &bad)) ||
        srv_to_value(c, &key, srv_get_obj(c, c->in, "Key", &bad), 1, "Key") || srv_table_check_key(c, &t, key, 1))
        goto done;
    int lib = strata_entry_history(&it, c->s->db, c->tenant, t.entry, NULL, HISTORY_WALK_MAX);
    if (lib < 0) {
        srv_lib_fail(c, lib, "history");
        goto done;
    }
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{\"Versions\":[");
    long long n = 0;
    int have_newer = 0;
    /* walk newest to oldest: a commit is a version of the item when the item there differs
     * from the item at the next older commit */
    for (;;) {
        lib = strata_iter_next(it);
        if (lib < 0 && lib != STRATA_ITEROVER) {
            srv_lib_fail(c, lib, "history");
            goto done;
        }
        older = NULL;
        strata_commit *cur = NULL;
        if (lib == 0) {
            const strata_commit *cm = strata_iter_commit(it);
            strata_read_options ro = STRATA_READ_OPTIONS_INIT;
            ro.at = strata_commit_digest(cm);
            int g = strata_table_get_item(&older, c->s->db, c->tenant, t.entry, key, NULL, NULL, &ro);
            if (g < 0 && g != STRATA_ENOTFOUND) {
                srv_lib_fail(c, g, "history");
                goto done;
            }
            if (strata_commit_lookup(&cur, c->s->db, c->tenant, strata_commit_digest(cm)) < 0) cur = NULL;
        }
        if (have_newer) {
            int same = (!newer && !older) || (newer && older && strata_value_equal(newer, older));
            if (!same && n < limit) {
                if (n++) sbuf_cstr(b, ",");
                commit_json(b, newer_c);
                if (newer) {
                    sbuf_cstr(b, ",\"Item\":");
                    sbuf_value(b, newer, 1);
                } else {
                    sbuf_cstr(b, ",\"Deleted\":true");
                }
                sbuf_cstr(b, "}");
            }
        }
        strata_value_free(newer);
        strata_commit_free(newer_c);
        newer = older;
        newer_c = cur;
        older = NULL;
        have_newer = 1;
        if (lib == STRATA_ITEROVER || n >= limit) break;
    }
    sbuf_cstr(b, "]}");
    rc = 0;
done:
    strata_iter_free(it);
    strata_value_free(key);
    strata_value_free(newer);
    strata_value_free(older);
    strata_commit_free(newer_c);
    srv_table_close(&t);
    return rc;
}

int op_hist_get_item(srv_call *c)
{
    strata_read_options ro;
    strata_oid oid;
    if (read_point(c, &ro, &oid) < 0) return -1;
    return srv_item_get_at(c, &ro);
}

int op_hist_query(srv_call *c)
{
    strata_read_options ro;
    strata_oid oid;
    if (read_point(c, &ro, &oid) < 0) return -1;
    return srv_query_at(c, 0, &ro);
}

int op_hist_scan(srv_call *c)
{
    strata_read_options ro;
    strata_oid oid;
    if (read_point(c, &ro, &oid) < 0) return -1;
    return srv_query_at(c, 1, &ro);
}

int op_hist_diff(srv_call *c)
{
    int bad = 0;
    srv_table t;
    const char *from = srv_get_str(c, c->in, "From", &bad);
    const char *to = srv_get_str(c, c->in, "To", &bad);
    if (bad || srv_table_open(c, &t, srv_get_str(c, c->in, "TableName", &bad))) return -1;
    strata_oid a, b2;
    if (!from || strata_oid_parse(&a, from) < 0 || (to && strata_oid_parse(&b2, to) < 0)) {
        srv_table_close(&t);
        return srv_invalid(c, "From (and To, when given) must be commit digests (64 hex digits)");
    }
    strata_iter *it = NULL;
    int rc = strata_entry_diff(&it, c->s->db, c->tenant, t.entry, &a, to ? &b2 : NULL);
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{\"Changes\":[");
    int n = 0;
    while (rc >= 0 && (rc = strata_iter_next(it)) == 0) {
        sbuf_cstr(b, n++ ? ",{\"Key\":" : "{\"Key\":");
        const strata_value *k = strata_iter_key_value(it);
        if (k) sbuf_value(b, k, 1);
        else sbuf_cstr(b, "null");
        if (strata_iter_old_value(it)) {
            sbuf_cstr(b, ",\"Old\":");
            sbuf_value(b, strata_iter_old_value(it), 1);
        }
        if (strata_iter_value(it)) {
            sbuf_cstr(b, ",\"New\":");
            sbuf_value(b, strata_iter_value(it), 1);
        }
        sbuf_cstr(b, "}");
    }
    strata_iter_free(it);
    srv_table_close(&t);
    if (rc != STRATA_ITEROVER) return srv_lib_fail(c, rc, "diff");
    sbuf_cstr(b, "]}");
    return 0;
}

int op_hist_restore_table(srv_call *c)
{
    int bad = 0;
    srv_table t;
    strata_read_options ro;
    strata_oid oid, target, made;
    int have = read_point(c, &ro, &oid);
    if (have < 0) return -1;
    if (!have) return srv_invalid(c, "RestoreTable needs AtCommit or AsOf");
    if (srv_table_open(c, &t, srv_get_str(c, c->in, "TableName", &bad))) return -1;
    int rc = strata_entry_head(&target, c->s->db, c->tenant, t.entry, &ro);
    if (rc >= 0) rc = strata_entry_restore(&made, c->s->db, c->tenant, t.entry, &target, &c->wo);
    srv_table_close(&t);
    if (rc < 0) return srv_lib_fail(c, rc, "restore");
    char hex[STRATA_OID_HEXSIZE + 1], from[STRATA_OID_HEXSIZE + 1];
    strata_oid_fmt(hex, &made);
    strata_oid_fmt(from, &target);
    snprintf(c->rs->commit, sizeof c->rs->commit, "%s", hex);
    sbuf_fmt(&c->rs->body, "{\"Commit\":\"%s\",\"RestoredFrom\":\"%s\",\"Unchanged\":%s}", hex, from,
             rc == STRATA_UNCHANGED ? "true" : "false");
    return 0;
}

int op_hist_restore_item(srv_call *c)
{
    int bad = 0, rc = -1;
    srv_table t;
    memset(&t, 0, sizeof t);
    strata_read_options ro;
    strata_oid oid;
    strata_value *key = NULL, *item = NULL;
    int have = read_point(c, &ro, &oid);
    if (have < 0) return -1;
    if (!have) return srv_invalid(c, "RestoreItem needs AtCommit or AsOf");
    if (srv_table_open(c, &t, srv_get_str(c, c->in, "TableName", &bad)) ||
        srv_to_value(c, &key, srv_get_obj(c, c->in, "Key", &bad), 1, "Key") || srv_table_check_key(c, &t, key, 1))
        goto done;
    int lib = strata_table_get_item(&item, c->s->db, c->tenant, t.entry, key, NULL, NULL, &ro);
    if (lib < 0 && lib != STRATA_ENOTFOUND) {
        srv_lib_fail(c, lib, "restore");
        goto done;
    }
    lib = item ? strata_table_put_item(NULL, c->s->db, c->tenant, t.entry, item, NULL, &c->wo)
               : strata_table_delete_item(NULL, c->s->db, c->tenant, t.entry, key, NULL, &c->wo);
    if (lib < 0) {
        srv_lib_fail(c, lib, "restore");
        goto done;
    }
    strata_oid head;
    if (strata_entry_head(&head, c->s->db, c->tenant, t.entry, NULL) == 0) strata_oid_fmt(c->rs->commit, &head);
    sbuf *b = &c->rs->body;
    sbuf_cstr(b, "{");
    if (item) {
        sbuf_cstr(b, "\"Item\":");
        sbuf_value(b, item, 1);
    }
    sbuf_cstr(b, "}");
    rc = 0;
done:
    strata_value_free(key);
    strata_value_free(item);
    srv_table_close(&t);
    return rc;
}
