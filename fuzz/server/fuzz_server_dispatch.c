/* Fuzz target for strata-server's dispatcher (server/dispatch.c and the operations behind it):
 * any target and body must give a well-formed response — a status, and a body that is valid
 * JSON — without crashing, reading out of bounds or leaking. Input: the X-Amz-Target up to the
 * first newline, then the body. One database (in a temporary directory, durability off) with
 * one table "Fuzz" (pk "id" S, sk "n" N) serves every input, so later inputs see earlier
 * writes. */
#include "server.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static srv g_srv;
static strata_db *g_db;
static char g_dir[256];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    srv_destroy(&g_srv);
    strata_db_close(g_db);
    if (g_dir[0]) nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void answer(const char *target, const char *body, size_t len, srv_response *rs)
{
    srv_request rq;
    memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.target = target;
    rq.content_type = "application/x-amz-json-1.0";
    rq.authorization = "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20240101/us-east-1/dynamodb/aws4_request";
    rq.body = body;
    rq.body_len = len;
    rq.request_id = "fuzz";
    srv_dispatch(&g_srv, &rq, rs);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/fuzz-server-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(g_dir)) abort();
    strata_db_options o = STRATA_DB_OPTIONS_INIT;
    o.durability = STRATA_DURABILITY_OFF;
    if (strata_db_open(&g_db, g_dir, &o) < 0) abort();
    srv_config cfg = {NULL, NULL, 0, 0};
    if (srv_init(&g_srv, g_db, &cfg) < 0) abort();
    atexit(cleanup);
    static const char create[] =
        "{\"TableName\":\"Fuzz\",\"BillingMode\":\"PAY_PER_REQUEST\","
        "\"AttributeDefinitions\":[{\"AttributeName\":\"id\",\"AttributeType\":\"S\"},"
        "{\"AttributeName\":\"n\",\"AttributeType\":\"N\"}],"
        "\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":\"HASH\"},"
        "{\"AttributeName\":\"n\",\"KeyType\":\"RANGE\"}]}";
    srv_response rs;
    answer("DynamoDB_20120810.CreateTable", create, sizeof create - 1, &rs);
    if (rs.status != 200) abort();
    srv_response_free(&rs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_db) setup();
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t tlen = nl ? (size_t)(nl - s) : size;
    if (tlen > 200) return 0;
    char target[256];
    memcpy(target, s, tlen);
    target[tlen] = 0;
    if (strlen(target) != tlen) return 0; /* a NUL in a header cannot arrive over HTTP */
    const char *body = nl ? nl + 1 : s + size;
    size_t blen = (size_t)(s + size - body);
    srv_response rs;
    answer(target, body, blen, &rs);
    if (rs.status < 200 || rs.status > 599) abort();
    json_error_t err;
    json_t *out = json_loadb(rs.body.data ? rs.body.data : "", rs.body.len, 0, &err);
    if (!out) {
        fprintf(stderr, "invalid JSON response (%d): %.*s\n", rs.status, (int)rs.body.len, rs.body.data);
        abort();
    }
    if (rs.status != 200 && !json_is_string(json_object_get(out, "__type"))) abort();
    json_decref(out);
    srv_response_free(&rs);
    return 0;
}
