/* store_demo DIR: a short tour of the object store (used by `make run` until the CLI exists).
 * Creates a fresh store in DIR (removing an old demo store there first), puts a few objects,
 * publishes a root, reopens the store, reads everything back and prints digests and statistics. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/mem.h"

static int fail(const char *what)
{
    fprintf(stderr, "store_demo: %s: %s\n", what, strata_error_last()->message);
    return 1;
}

/* Remove the files of an earlier demo store (only names a store writes), then the directory. */
static void remove_old_store(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        int ours = !strcmp(e->d_name, "LOCK") || !strcmp(e->d_name, "STORE") ||
                   (n > 4 && (!strcmp(e->d_name + n - 4, ".seg") || !strcmp(e->d_name + n - 4, ".idx") ||
                              !strcmp(e->d_name + n - 4, ".tmp")));
        if (!ours) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void print_stats(strata_store *s, const char *when)
{
    strata_store_stats st;
    if (strata_store__stats(s, &st)) return;
    printf("  statistics %s:\n", when);
    printf("    objects      %llu (%llu bytes of payload)\n", (unsigned long long)st.objects,
           (unsigned long long)st.object_bytes);
    printf("    on disk      %llu bytes in %llu segment(s)\n", (unsigned long long)st.file_bytes,
           (unsigned long long)st.segments);
    printf("    named roots  %llu\n", (unsigned long long)st.roots);
    printf("    dead bytes   %llu (reclaimable by GC)\n", (unsigned long long)st.dead_bytes);
    printf("    syncs        %llu for %llu publish(es)\n", (unsigned long long)st.syncs,
           (unsigned long long)st.publishes);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: store_demo DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    remove_old_store(dir);

    static const struct { char type; const char *text; } items[] = {
        {'B', "Hello, strata!"},
        {'B', "Every object is addressed by the SHA-256 of its type and bytes."},
        {'B', "Hello, strata!"}, /* a duplicate: stored once */
        {'N', ""},                /* an empty object is fine too */
    };
    enum { N = sizeof items / sizeof items[0] };
    strata_oid oids[N + 1];
    char hex[STRATA_OID_HEXSIZE + 1];

    strata_store_options o = STRATA_STORE_OPTIONS_INIT;
    o.create = 1;
    strata_store *s;
    if (strata_store__open(&s, dir, &o)) return fail("create");
    printf("created a store in %s\n", dir);
    for (int i = 0; i < N; i++) {
        if (strata_store__put(s, (uint8_t)items[i].type, items[i].text, strlen(items[i].text), &oids[i]))
            return fail("put");
        strata_oid_fmt(hex, &oids[i]);
        printf("  put %c %-64.64s -> %s\n", items[i].type, items[i].text, hex);
    }
    /* a larger, compressible object */
    size_t big = 256 * 1024;
    char *b = malloc(big);
    for (size_t i = 0; i < big; i++) b[i] = "strata "[i % 7];
    if (strata_store__put(s, 'B', b, big, &oids[N])) return fail("put");
    strata_oid_fmt(hex, &oids[N]);
    printf("  put B (%zu bytes of repeated text)  -> %s\n", big, hex);
    if (strata_store__publish(s, "demo", &oids[1])) return fail("publish");
    strata_oid_fmt(hex, &oids[1]);
    printf("  published root \"demo\" -> %s (durable: FULL)\n", hex);
    print_stats(s, "before close");
    strata_store__close(s);

    o.create = 0;
    if (strata_store__open(&s, dir, &o)) return fail("reopen");
    printf("reopened %s\n", dir);
    strata_oid root;
    if (strata_store__root(s, "demo", &root)) return fail("root");
    uint8_t *data;
    size_t len;
    uint8_t type;
    if (strata_store__get(s, &root, &type, &data, &len)) return fail("get");
    strata_oid_fmt(hex, &root);
    printf("  root \"demo\" = %s\n  its object (%c, %zu bytes): %.*s\n", hex, type, len, (int)len, data);
    strata_mem__free(data);
    for (int i = 0; i <= N; i++) {
        if (strata_store__get(s, &oids[i], &type, &data, &len)) return fail("get");
        strata_oid_fmt(hex, &oids[i]);
        printf("  get %s: %c, %zu bytes, verified\n", hex, type, len);
        strata_mem__free(data);
    }
    strata_store_verify_report rep;
    if (strata_store__verify(s, &rep, NULL, NULL)) return fail("verify");
    printf("  verify: %llu object record(s) re-hashed in %llu segment(s), %llu root(s): no problems\n",
           (unsigned long long)rep.objects, (unsigned long long)rep.segments, (unsigned long long)rep.roots);
    print_stats(s, "after reopen");
    strata_store__close(s);
    free(b);
    return 0;
}
