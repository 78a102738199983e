/* strata-server: DynamoDB's JSON protocol over a strata database, on libmicrohttpd.
 *
 * libmicrohttpd runs a pool of threads, each with its own epoll loop; a request's handler runs
 * on its thread to the end (a strata call may wait for a sync), so the pool size is the limit
 * on concurrent requests and --max-connections the limit on open connections. The main thread
 * waits for SIGTERM/SIGINT and runs the TTL sweeps in between. Shutdown: stop accepting, let
 * the requests in flight finish (bounded), stop the daemon, close the database. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef struct options {
    const char *db_path, *listen, *port_file, *access_log;
    unsigned port, threads, max_connections, timeout_s;
    size_t max_body;
    strata_durability durability;
    srv_config cfg;
} options;

static srv g_srv;
static options g_opt;
static FILE *g_log;
static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint_fast64_t g_in_flight, g_requests;
static unsigned g_id_seed;

/* What one request accumulates while its body arrives. */
typedef struct request_ctx {
    sbuf body;
    int too_large;
    int64_t start_us;
} request_ctx;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static enum MHD_Result send_plain(struct MHD_Connection *conn, int status, const char *ctype,
                                  char *body, size_t len, const char *request_id,
                                  const char *commit)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    if (request_id) MHD_add_response_header(r, "x-amzn-RequestId", request_id);
    if (commit && *commit) MHD_add_response_header(r, "x-strata-commit", commit);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result too_large(struct MHD_Connection *conn, const char *request_id)
{
    char msg[200];
    int n = snprintf(msg, sizeof msg,
                     "{\"__type\":\"com.amazon.coral.service#SerializationException\","
                     "\"message\":\"Request body exceeds the limit of %zu bytes\"}",
                     g_opt.max_body);
    return send_plain(conn, 413, "application/x-amz-json-1.0", strndup(msg, (size_t)n),
                      (size_t)n, request_id, NULL);
}

static void access_log(struct MHD_Connection *conn, const char *target, int status,
                       const char *error, size_t bytes, int64_t start_us)
{
    if (!g_log) return;
    char addr[64] = "-";
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr, sizeof addr);
    time_t t = (time_t)(start_us / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&g_log_mu);
    fprintf(g_log, "%s %s %s %d %s %zu %lldus\n", when, addr, target ? target : "-", status,
            error && *error ? error : "-", bytes, (long long)(now_us() - start_us));
    fflush(g_log);
    pthread_mutex_unlock(&g_log_mu);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    request_ctx *rc = *con_cls;
    if (!rc) {
        rc = calloc(1, sizeof *rc);
        if (!rc) return MHD_NO;
        rc->start_us = now_us();
        *con_cls = rc;
        atomic_fetch_add(&g_in_flight, 1);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > g_opt.max_body) rc->too_large = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rc->too_large) {
            if (rc->body.len + *upload_size > g_opt.max_body) {
                rc->too_large = 1;
                sbuf_free(&rc->body);
            } else {
                sbuf_add(&rc->body, upload, *upload_size);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    char request_id[40];
    uint64_t seq = atomic_fetch_add(&g_requests, 1);
    snprintf(request_id, sizeof request_id, "%08X%016llX", g_id_seed, (unsigned long long)seq);
    const char *target = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Amz-Target");
    if (rc->too_large) {
        access_log(conn, target, 413, "RequestTooLarge", 0, rc->start_us);
        return too_large(conn, request_id);
    }
    if (rc->body.failed) return MHD_NO;
    srv_request rq;
    memset(&rq, 0, sizeof rq);
    rq.method = method;
    rq.target = target;
    rq.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    rq.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    rq.user = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-strata-user");
    rq.message = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-strata-message");
    rq.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "x-strata-origin");
    rq.body = rc->body.data;
    rq.body_len = rc->body.len;
    rq.request_id = request_id;
    srv_response rs;
    srv_dispatch(&g_srv, &rq, &rs);
    char *body = rs.body.data ? rs.body.data : strdup("");
    size_t len = rs.body.len;
    rs.body.data = NULL;
    access_log(conn, target, rs.status, rs.error_type, len, rc->start_us);
    enum MHD_Result ret = send_plain(conn, rs.status, rs.content_type, body, len, request_id, rs.commit);
    srv_response_free(&rs);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    request_ctx *rc = *con_cls;
    if (!rc) return;
    sbuf_free(&rc->body);
    free(rc);
    *con_cls = NULL;
    atomic_fetch_sub(&g_in_flight, 1);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: strata-server [options]\n"
            "  --db PATH              database directory (default ./.strata; created when missing)\n"
            "  --listen ADDR          IPv4 address to listen on (default 127.0.0.1)\n"
            "  --port N               TCP port (default 8000; 0 picks a free one)\n"
            "  --port-file FILE       write the port listened on to FILE once ready\n"
            "  --tenant NAME          serve every request from this tenant (default: one per access key id)\n"
            "  --region NAME          region for ARNs when a request names none (default us-east-1)\n"
            "  --read-only            open the database as a reader; refuse every write\n"
            "  --durability MODE      full (default), normal or off (docs/durability.md)\n"
            "  --threads N            worker threads = concurrent requests (default 8)\n"
            "  --max-connections N    open connections (default 1024)\n"
            "  --max-body BYTES       request body limit, larger bodies get 413 (default 16777216)\n"
            "  --timeout S            idle connection timeout in seconds (default 30)\n"
            "  --ttl-interval MS      how often expired TTL items are deleted (default 1000; 0 off)\n"
            "  --access-log FILE      one line per request (- for stderr)\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1";
    o->port = 8000;
    o->threads = 8;
    o->max_connections = 1024;
    o->timeout_s = 30;
    o->max_body = 16u << 20;
    o->durability = STRATA_DURABILITY_FULL;
    o->cfg.ttl_interval_ms = 1000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                    \
    do {                                                           \
        if (!v) {                                                  \
            fprintf(stderr, "strata-server: %s needs a value\n", a); \
            return 2;                                              \
        }                                                          \
        i++;                                                       \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--db")) { NEEDV(); o->db_path = v; }
        else if (!strcmp(a, "--listen")) { NEEDV(); o->listen = v; }
        else if (!strcmp(a, "--port")) { NEEDV(); o->port = (unsigned)strtoul(v, NULL, 10); }
        else if (!strcmp(a, "--port-file")) { NEEDV(); o->port_file = v; }
        else if (!strcmp(a, "--tenant")) { NEEDV(); o->cfg.tenant = v; }
        else if (!strcmp(a, "--region")) { NEEDV(); o->cfg.region = v; }
        else if (!strcmp(a, "--read-only")) { o->cfg.read_only = 1; }
        else if (!strcmp(a, "--threads")) { NEEDV(); o->threads = (unsigned)strtoul(v, NULL, 10); }
        else if (!strcmp(a, "--max-connections")) { NEEDV(); o->max_connections = (unsigned)strtoul(v, NULL, 10); }
        else if (!strcmp(a, "--max-body")) { NEEDV(); o->max_body = (size_t)strtoull(v, NULL, 10); }
        else if (!strcmp(a, "--timeout")) { NEEDV(); o->timeout_s = (unsigned)strtoul(v, NULL, 10); }
        else if (!strcmp(a, "--ttl-interval")) { NEEDV(); o->cfg.ttl_interval_ms = (unsigned)strtoul(v, NULL, 10); }
        else if (!strcmp(a, "--access-log")) { NEEDV(); o->access_log = v; }
        else if (!strcmp(a, "--durability")) {
            NEEDV();
            if (!strcmp(v, "full")) o->durability = STRATA_DURABILITY_FULL;
            else if (!strcmp(v, "normal")) o->durability = STRATA_DURABILITY_NORMAL;
            else if (!strcmp(v, "off")) o->durability = STRATA_DURABILITY_OFF;
            else {
                fprintf(stderr, "strata-server: --durability is full, normal or off\n");
                return 2;
            }
        } else {
            fprintf(stderr, "strata-server: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
#undef NEEDV
    }
    if (o->threads < 1 || o->threads > 1024 || o->max_connections < 1) {
        fprintf(stderr, "strata-server: --threads must be 1..1024 and --max-connections at least 1\n");
        return 2;
    }
    if (o->cfg.tenant && strata_name_check(o->cfg.tenant) != 0) {
        fprintf(stderr, "strata-server: --tenant: %s\n", strata_error_last()->message);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv, &g_opt);
    if (rc) return rc;
    if (g_opt.access_log) {
        g_log = strcmp(g_opt.access_log, "-") == 0 ? stderr : fopen(g_opt.access_log, "a");
        if (!g_log) {
            fprintf(stderr, "strata-server: cannot open %s: %s\n", g_opt.access_log, strerror(errno));
            return 1;
        }
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    g_id_seed = (unsigned)(tv.tv_sec ^ (tv.tv_usec << 12) ^ (unsigned)getpid());

    strata_db_options dbo;
    strata_db_options_init(&dbo, STRATA_DB_OPTIONS_VERSION);
    dbo.read_only = g_opt.cfg.read_only;
    dbo.create = !g_opt.cfg.read_only;
    dbo.durability = g_opt.durability;
    strata_db *db = NULL;
    rc = strata_db_open(&db, g_opt.db_path, &dbo);
    if (rc < 0) {
        fprintf(stderr, "strata-server: cannot open database %s: %s\n",
                g_opt.db_path ? g_opt.db_path : "./.strata", strata_error_last()->message);
        return 1;
    }
    if (srv_init(&g_srv, db, &g_opt.cfg) < 0) {
        strata_db_close(db);
        return 1;
    }

    /* every thread (libmicrohttpd's too) inherits the blocked signals; main waits for them */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)g_opt.port);
    if (inet_pton(AF_INET, g_opt.listen, &addr.sin_addr) != 1) {
        fprintf(stderr, "strata-server: --listen needs an IPv4 address, not '%s'\n", g_opt.listen);
        rc = 2;
        goto out;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle,
        NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        g_opt.threads, MHD_OPTION_CONNECTION_LIMIT, g_opt.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, g_opt.timeout_s, MHD_OPTION_NOTIFY_COMPLETED, completed,
        NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "strata-server: cannot listen on %s:%u: %s\n", g_opt.listen, g_opt.port,
                strerror(errno));
        rc = 1;
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : g_opt.port;
    if (g_opt.port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", g_opt.port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, g_opt.port_file) != 0) {
            fprintf(stderr, "strata-server: cannot write %s\n", g_opt.port_file);
        }
    }
    fprintf(stderr, "strata-server: listening on http://%s:%u/ (%s)\n", g_opt.listen, port,
            g_opt.cfg.read_only ? "read-only" : "read-write");

    for (;;) {
        struct timespec wait = {1, 0};
        if (g_opt.cfg.ttl_interval_ms) {
            wait.tv_sec = g_opt.cfg.ttl_interval_ms / 1000;
            wait.tv_nsec = (long)(g_opt.cfg.ttl_interval_ms % 1000) * 1000000L;
        }
        int sig = sigtimedwait(&sigs, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) break;
        if (g_opt.cfg.ttl_interval_ms && !g_opt.cfg.read_only) srv_sweep_ttl(&g_srv);
    }
    fprintf(stderr, "strata-server: shutting down\n");
    MHD_quiesce_daemon(d);
    for (int i = 0; i < 1000 && atomic_load(&g_in_flight) > 0; i++) {
        /* requests in flight finish (bounded at 10 s); idle keep-alive connections are not
         * counted: they hold no request */
        struct timespec ms10 = {0, 10000000L};
        nanosleep(&ms10, NULL);
    }
    MHD_stop_daemon(d);
    rc = 0;
out:
    srv_destroy(&g_srv);
    strata_db_close(db);
    if (g_log && g_log != stderr) fclose(g_log);
    return rc;
}
