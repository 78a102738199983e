/* Benchmark of the expression engine: a DynamoDB-style filter evaluated on N encoded items
 * (strata, evaluated on the canonical bytes) against the same filter in SQLite's JSON functions
 * over JSON text in an in-memory table, and against jansson (parse each JSON item, then test by
 * hand). Also times update (SET n = n + 1) and projection on the encoded items, and parsing.
 * Prints medians of 3 runs and ratios to the peers. `--smoke`: tiny sizes for CTest. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef STRATA_HAVE_JANSSON
#include <jansson.h>
#endif

#include "doc/doc.h"
#include "expr/expr.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median3(double r[3])
{
    qsort(r, 3, sizeof *r, dcmp);
    return r[1];
}

static const char *cities[] = {"Paris", "Lyon", "Oslo", "Rome", "Lima"};

/* The JSON text of item i. */
static int item_json(char *out, size_t cap, int i)
{
    return snprintf(out, cap,
                    "{\"id\":\"user%06d\",\"age\":%d,\"name\":\"Name %d\",\"score\":%d.%02d,"
                    "\"tags\":[\"t%d\",\"t%d\",\"x%d\"],\"address\":{\"city\":\"%s\",\"zip\":\"%05d\"},"
                    "\"active\":%s}",
                    i, 18 + i % 60, i, i % 1000, i % 100, i % 7, i % 11, i % 3, cities[i % 5], i % 99999,
                    i % 2 ? "true" : "false");
}

#define FILTER "age BETWEEN 30 AND 40 AND address.city = \"Paris\" AND contains(tags, \"x0\")"

int main(int argc, char **argv)
{
    int smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
    int n = smoke ? 500 : 200000;
    char js[512];
    char **texts = malloc((size_t)n * sizeof *texts);
    strata_buf *enc = calloc((size_t)n, sizeof *enc);
    for (int i = 0; i < n; i++) {
        int len = item_json(js, sizeof js, i);
        texts[i] = strdup(js);
        if (strata_doc__from_json(&enc[i], js, (size_t)len)) { fprintf(stderr, "encode failed\n"); return 1; }
    }
    printf("bench_expr: %d items, filter: %s\n", n, FILTER);
    double r[3];
    long matches = 0;

    /* strata: parse once, evaluate on encoded bytes */
    strata_expr *e;
    if (strata_expr__parse(&e, STRATA_EXPR_CONDITION, FILTER, strlen(FILTER), NULL)) return 1;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        matches = 0;
        for (int i = 0; i < n; i++) {
            int ok;
            strata_slice s = {enc[i].data, enc[i].len};
            if (strata_expr__eval(&ok, e, s)) return 1;
            matches += ok;
        }
        r[run] = now() - t0;
    }
    double t_strata = median3(r);
    printf("  strata eval on encoded items   %8.1f ns/item  (%ld matches)\n", t_strata * 1e9 / n, matches);

    /* SQLite JSON1 over JSON text */
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, "CREATE TABLE t(doc TEXT)", NULL, NULL, NULL);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?)", -1, &ins, NULL);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(ins, 1, texts[i], -1, SQLITE_STATIC);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db,
                       "SELECT count(*) FROM t WHERE json_extract(doc,'$.age') BETWEEN 30 AND 40 AND "
                       "json_extract(doc,'$.address.city') = 'Paris' AND "
                       "EXISTS (SELECT 1 FROM json_each(doc,'$.tags') WHERE value = 'x0')",
                       -1, &q, NULL);
    long sq = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        sqlite3_step(q);
        sq = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
        r[run] = now() - t0;
    }
    double t_sqlite = median3(r);
    printf("  sqlite json_extract on text    %8.1f ns/item  (%ld matches)  strata is %.1fx faster\n",
           t_sqlite * 1e9 / n, sq, t_sqlite / t_strata);
    sqlite3_finalize(q);
    sqlite3_close(db);

#ifdef STRATA_HAVE_JANSSON
    long jm = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        jm = 0;
        for (int i = 0; i < n; i++) {
            json_t *root = json_loads(texts[i], 0, NULL);
            json_t *age = json_object_get(root, "age");
            json_t *city = json_object_get(json_object_get(root, "address"), "city");
            int ok = json_is_integer(age) && json_integer_value(age) >= 30 && json_integer_value(age) <= 40 &&
                     json_is_string(city) && strcmp(json_string_value(city), "Paris") == 0;
            if (ok) {
                ok = 0;
                json_t *tags = json_object_get(root, "tags");
                for (size_t k = 0; k < json_array_size(tags); k++) {
                    json_t *t = json_array_get(tags, k);
                    if (json_is_string(t) && strcmp(json_string_value(t), "x0") == 0) ok = 1;
                }
            }
            jm += ok;
            json_decref(root);
        }
        r[run] = now() - t0;
    }
    double t_jansson = median3(r);
    printf("  jansson parse + hand-coded     %8.1f ns/item  (%ld matches)  strata is %.1fx faster\n",
           t_jansson * 1e9 / n, jm, t_jansson / t_strata);
#endif

    /* update and projection on encoded items */
    strata_expr *u, *p;
    const char *ut = "SET score = score + 1, seen = if_not_exists(seen, 0) + 1 REMOVE active";
    const char *pt = "id, address.city, tags[1]";
    if (strata_expr__parse(&u, STRATA_EXPR_UPDATE, ut, strlen(ut), NULL)) return 1;
    if (strata_expr__parse(&p, STRATA_EXPR_PROJECTION, pt, strlen(pt), NULL)) return 1;
    strata_buf out = {0};
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            out.len = 0;
            strata_slice s = {enc[i].data, enc[i].len};
            if (strata_expr__update(&out, u, s)) return 1;
        }
        r[run] = now() - t0;
    }
    printf("  strata update (%s)  %8.1f ns/item\n", ut, median3(r) * 1e9 / n);
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            out.len = 0;
            strata_slice s = {enc[i].data, enc[i].len};
            if (strata_expr__project(&out, p, s)) return 1;
        }
        r[run] = now() - t0;
    }
    printf("  strata projection (%s)  %8.1f ns/item\n", pt, median3(r) * 1e9 / n);
    int np = smoke ? 1000 : 100000;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        for (int i = 0; i < np; i++) {
            strata_expr *x;
            if (strata_expr__parse(&x, STRATA_EXPR_CONDITION, FILTER, strlen(FILTER), NULL)) return 1;
            strata_expr__free(x);
        }
        r[run] = now() - t0;
    }
    printf("  strata parse of the filter     %8.1f ns/parse\n", median3(r) * 1e9 / np);

    strata_buf__free(&out);
    strata_expr__free(e);
    strata_expr__free(u);
    strata_expr__free(p);
    for (int i = 0; i < n; i++) {
        free(texts[i]);
        strata_buf__free(&enc[i]);
    }
    free(texts);
    free(enc);
    return 0;
}
