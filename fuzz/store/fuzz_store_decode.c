/* Fuzz target for the object store's decoders: the first byte picks what the rest is decoded
 * as — a whole segment image (recovery scan, sealed or not), one record (object payloads are
 * also decompressed and digest-checked), or an index file image (then every lookup and the
 * roots table are walked). Nothing may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_cb(const store_rec *r, uint64_t off, const uint8_t *bytes, void *payload)
{
    (void)off;
    if (r->kind == 'O') {
        uint8_t *obj = NULL;
        if (strata_store__decode_payload(r, bytes + OBJ_HDR_SIZE, &obj) == 0) strata_mem__free(obj);
    }
    (*(size_t *)payload)++;
    return 0;
}

static int root_cb(const uint8_t *name, size_t n, const strata_oid *oid, uint64_t seq,
                   uint32_t rec_size, void *payload)
{
    (void)oid; (void)seq; (void)rec_size;
    *(size_t *)payload += n + (name[0] & 1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t mode = data[0];
    /* copy so that reads past the end are caught by ASan */
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) return 0;
    memcpy(p, data + 1, n);
    size_t count = 0;
    switch (mode % 4) {
    case 0:
    case 1: {
        store_scan_state st;
        int torn = 0;
        strata_store__decode_segment(p, n, mode % 4 == 1 ? SCAN_SEALED : 0, count_cb, &count, &st, &torn);
        break;
    }
    case 2: {
        store_rec r;
        if (strata_store__decode_record(p, n, &r) == 0 && r.kind == 'O') {
            uint8_t *obj = NULL;
            if (strata_store__decode_payload(&r, p + OBJ_HDR_SIZE, &obj) == 0) strata_mem__free(obj);
        }
        break;
    }
    case 3: {
        store_idx ix;
        if (strata_store__decode_index(p, n, "fuzz", &ix) == 0) {
            for (uint64_t i = 0; i < ix.count; i++) {
                strata_oid o;
                uint64_t off;
                memcpy(o.id, ix.digests + 32 * i, 32);
                if (!strata_store__idx_find(&ix, &o, &off)) abort(); /* every listed digest is found */
            }
            strata_store__idx_roots(&ix, root_cb, &count);
        }
        break;
    }
    }
    free(p);
    return 0;
}
