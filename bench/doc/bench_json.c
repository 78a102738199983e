/* Benchmark of the value model: JSON parse (straight to the canonical encoding) and print,
 * against jansson on the same bytes in the same run, on small ~100-byte records and on a ~1 MB
 * nested document; and path lookup ns/op on the encoded document. Medians of 5 runs (3 with
 * --smoke, which uses tiny sizes). Ratios > 1 mean strata is faster. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc/doc.h"
#include "util/buf.h"

#ifdef STRATA_HAVE_JANSSON
#include <jansson.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return v[n / 2];
}

static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *names[] = {"Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov",
                              "Donald Knuth", "Frances Allen", "Ken Thompson"};
static const char *cities[] = {"London", "Paris", "Z\\u00fcrich", "New York", "Tokyo", "S\xc3\xa3o Paulo"};

/* One ~100-byte record. */
static void small_record(strata_buf *b, int i)
{
    strata_buf__printf(b, "{\"id\":\"user-%05d\",\"name\":\"%s\",\"age\":%u,\"active\":%s,\"score\":%u.%02u,"
                          "\"tags\":[\"t%u\",\"t%u\"]}",
                       i, names[rnd(8)], 18 + rnd(60), rnd(2) ? "true" : "false", rnd(1000), rnd(100), rnd(9), rnd(9));
}

/* A nested document of about `target` bytes: an object holding an array of orders. */
static void big_document(strata_buf *b, size_t target)
{
    strata_buf__printf(b, "{\"version\":3,\"generated\":\"2024-05-01T12:00:00Z\",\"orders\":[");
    int i = 0;
    while (b->len < target) {
        if (i) strata_buf__putc(b, ',');
        strata_buf__printf(b,
                           "{\"order_id\":%d,\"customer\":{\"name\":\"%s\",\"address\":{\"city\":\"%s\",\"zip\":\"%05u\"}},"
                           "\"total\":%u.%02u,\"paid\":%s,\"items\":[",
                           i, names[rnd(8)], cities[rnd(6)], rnd(99999), rnd(10000), rnd(100), rnd(2) ? "true" : "false");
        unsigned n = 1 + rnd(4);
        for (unsigned k = 0; k < n; k++)
            strata_buf__printf(b, "%s{\"sku\":\"SKU-%06u\",\"qty\":%u,\"price\":%u.%02u,\"note\":%s}", k ? "," : "",
                               rnd(1000000), 1 + rnd(5), rnd(500), rnd(100), rnd(3) ? "null" : "\"gift \\\"wrap\\\"\"");
        strata_buf__printf(b, "]}");
        i++;
    }
    strata_buf__printf(b, "]}");
}

typedef struct result { double strata_parse, jansson_parse, strata_print, jansson_print; } result;

/* Time parsing and printing the `n` documents docs[i] (lengths lens[i]) `reps` times. */
static result run_parse_print(char **docs, size_t *lens, int n, int reps, int runs)
{
    result r = {0, 0, 0, 0};
    double t[4][9];
    size_t total = 0;
    for (int i = 0; i < n; i++) total += lens[i];
    strata_buf out = {0}, txt = {0};
    /* pre-parse for printing */
    strata_buf *enc = calloc((size_t)n, sizeof *enc);
    for (int i = 0; i < n; i++)
        if (strata_doc__from_json(&enc[i], docs[i], lens[i])) {
            fprintf(stderr, "bench: parse failed\n");
            exit(1);
        }
    for (int run = 0; run < runs; run++) {
        double t0 = now();
        for (int rep = 0; rep < reps; rep++)
            for (int i = 0; i < n; i++) {
                out.len = 0;
                if (strata_doc__from_json(&out, docs[i], lens[i])) exit(1);
            }
        t[0][run] = now() - t0;
        t0 = now();
        for (int rep = 0; rep < reps; rep++)
            for (int i = 0; i < n; i++) {
                txt.len = 0;
                if (strata_doc__to_json(&txt, (strata_slice){enc[i].data, enc[i].len}, 0)) exit(1);
            }
        t[2][run] = now() - t0;
#ifdef STRATA_HAVE_JANSSON
        json_t **js = calloc((size_t)n, sizeof *js);
        t0 = now();
        for (int rep = 0; rep < reps; rep++)
            for (int i = 0; i < n; i++) {
                json_error_t err;
                json_t *j = json_loadb(docs[i], lens[i], JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
                if (!j) exit(1);
                if (rep == reps - 1) js[i] = j;
                else json_decref(j);
            }
        t[1][run] = now() - t0;
        char *buf = malloc(lens[0] * 4 + 1024);
        size_t cap = lens[0] * 4 + 1024;
        for (int i = 1; i < n; i++)
            if (lens[i] * 4 + 1024 > cap) cap = lens[i] * 4 + 1024;
        buf = realloc(buf, cap);
        t0 = now();
        for (int rep = 0; rep < reps; rep++)
            for (int i = 0; i < n; i++)
                if (!json_dumpb(js[i], buf, cap, JSON_COMPACT | JSON_SORT_KEYS)) exit(1);
        t[3][run] = now() - t0;
        for (int i = 0; i < n; i++) json_decref(js[i]);
        free(js);
        free(buf);
#else
        t[1][run] = t[3][run] = 0;
#endif
    }
    double mb = (double)total * reps / 1e6;
    r.strata_parse = mb / median(t[0], runs);
    r.strata_print = mb / median(t[2], runs);
    r.jansson_parse = t[1][0] > 0 ? mb / median(t[1], runs) : 0;
    r.jansson_print = t[3][0] > 0 ? mb / median(t[3], runs) : 0;
    for (int i = 0; i < n; i++) strata_buf__free(&enc[i]);
    free(enc);
    strata_buf__free(&out);
    strata_buf__free(&txt);
    return r;
}

static void report(const char *name, result r)
{
    printf("%-22s parse: strata %8.1f MB/s  jansson %8.1f MB/s  ratio %5.2fx | print: strata %8.1f MB/s  "
           "jansson %8.1f MB/s  ratio %5.2fx\n",
           name, r.strata_parse, r.jansson_parse, r.jansson_parse > 0 ? r.strata_parse / r.jansson_parse : 0,
           r.strata_print, r.jansson_print, r.jansson_print > 0 ? r.strata_print / r.jansson_print : 0);
}

int main(int argc, char **argv)
{
    int smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
    int runs = smoke ? 3 : 5;
    int nsmall = smoke ? 200 : 20000;
    size_t bigsize = smoke ? 20000 : 1000000;

    /* small records */
    char **docs = malloc((size_t)nsmall * sizeof *docs);
    size_t *lens = malloc((size_t)nsmall * sizeof *lens);
    size_t avg = 0;
    for (int i = 0; i < nsmall; i++) {
        strata_buf b = {0};
        small_record(&b, i);
        lens[i] = b.len;
        avg += b.len;
        docs[i] = (char *)strata_buf__detach(&b, NULL);
    }
    printf("bench_json (%s): medians of %d runs; ratio = strata / jansson (higher is better for strata)\n",
           smoke ? "smoke" : "full", runs);
    printf("small records: %d x ~%zu bytes\n", nsmall, avg / (size_t)nsmall);
    report("small records", run_parse_print(docs, lens, nsmall, smoke ? 1 : 5, runs));
    for (int i = 0; i < nsmall; i++) strata_buf__free(&(strata_buf){(uint8_t *)docs[i], 0, 0});

    /* big nested document */
    strata_buf big = {0};
    big_document(&big, bigsize);
    char *bd = (char *)big.data;
    size_t bl = big.len;
    printf("large document: %zu bytes\n", bl);
    report("large document", run_parse_print(&bd, &bl, 1, smoke ? 2 : 20, runs));

    /* path lookup on the encoded big document */
    strata_buf enc = {0};
    if (strata_doc__from_json(&enc, bd, bl)) return 1;
    size_t norders;
    strata_slice orders;
    strata_slice root = {enc.data, enc.len};
    if (strata_doc__map_get(root, "orders", 6, &orders) || strata_doc__count(orders, &norders)) return 1;
    char paths[64][64];
    size_t plen[64];
    for (int i = 0; i < 64; i++)
        plen[i] = (size_t)snprintf(paths[i], sizeof paths[i], "orders[%u].customer.address.city", rnd((unsigned)norders));
    strata_doc_path pp[64];
    for (int i = 0; i < 64; i++)
        if (strata_doc__path_parse(&pp[i], paths[i], plen[i])) return 1;
    long iters = smoke ? 20000 : 2000000;
    double tl[9], tt[9], tj[9];
    volatile size_t sink = 0;
    for (int run = 0; run < runs; run++) {
        double t0 = now();
        for (long k = 0; k < iters; k++) {
            strata_slice out;
            if (strata_doc__lookup(root, pp[k & 63].steps, pp[k & 63].n, &out)) return 1;
            sink += out.len;
        }
        tl[run] = (now() - t0) / (double)iters * 1e9;
        t0 = now();
        for (long k = 0; k < iters; k++) {
            strata_slice out;
            if (strata_doc__lookup_text(root, paths[k & 63], plen[k & 63], &out)) return 1;
            sink += out.len;
        }
        tt[run] = (now() - t0) / (double)iters * 1e9;
        tj[run] = 0;
#ifdef STRATA_HAVE_JANSSON
        json_error_t err;
        json_t *j = json_loadb(bd, bl, 0, &err);
        json_t *jo = json_object_get(j, "orders");
        unsigned idx[64];
        for (int i = 0; i < 64; i++) idx[i] = (unsigned)atoi(paths[i] + 7);
        t0 = now();
        for (long k = 0; k < iters; k++) {
            json_t *o = json_array_get(jo, idx[k & 63]);
            json_t *c = json_object_get(json_object_get(json_object_get(o, "customer"), "address"), "city");
            sink += json_string_length(c);
        }
        tj[run] = (now() - t0) / (double)iters * 1e9;
        json_decref(j);
#endif
    }
    printf("path lookup 'orders[i].customer.address.city' on the %zu-byte encoding (%zu orders):\n", enc.len, norders);
    printf("  strata lookup (parsed path)   %7.1f ns/op\n", median(tl, runs));
    printf("  strata lookup_text            %7.1f ns/op\n", median(tt, runs));
    printf("  jansson tree walk (reference) %7.1f ns/op  (needs the whole document parsed first)\n", median(tj, runs));
    for (int i = 0; i < 64; i++) strata_doc__path_free(&pp[i]);
    strata_buf__free(&enc);
    strata_buf__free(&big);
    free(docs);
    free(lens);
    (void)sink;
    return 0;
}
