/* strata_iter: every iterator of the public API is one struct with one vtable. The struct holds
 * the current item, which the public accessors return; each kind (tenant and entry names,
 * keyed data, history, diff, a value's members) keeps its own state behind `state` and fills
 * the current item in its `next`. Calls only value.c. */
#include <string.h>

#include "db/db_int.h"
#include "util/error.h"
#include "util/mem.h"

int strata_db__iter_new(strata_iter **out, const strata_db_iter_type *type, void *state)
{
    *out = NULL;
    strata_iter *it = strata_mem__calloc(1, sizeof *it);
    if (!it) {
        if (state && type->free) type->free(state);
        return STRATA_ENOMEM;
    }
    it->type = type;
    it->state = state;
    *out = it;
    return 0;
}

static void clear_current(strata_iter *it)
{
    strata_value_free(it->value);
    strata_value_free(it->old);
    strata_value_free(it->keyval);
    strata_commit_free(it->commit);
    it->value = it->old = it->keyval = NULL;
    it->commit = NULL;
    it->key.len = 0;
}

void strata_iter_free(strata_iter *it)
{
    if (!it) return;
    clear_current(it);
    if (it->state && it->type->free) it->type->free(it->state);
    strata_value_free(it->last_key);
    strata_buf__free(&it->key);
    strata_mem__free(it);
}

int strata_iter_next(strata_iter *it)
{
    if (!it) return strata_err__set(STRATA_EINVALID, "strata_iter_next: iterator is NULL");
    clear_current(it);
    return it->type->next(it, it->state);
}

strata_slice strata_iter_key(const strata_iter *it)
{
    strata_slice s = {it ? it->key.data : NULL, it ? it->key.len : 0};
    if (!s.data) s.data = "";
    return s;
}

const strata_value *strata_iter_value(const strata_iter *it) { return it ? it->value : NULL; }
const strata_value *strata_iter_old_value(const strata_iter *it) { return it ? it->old : NULL; }
const strata_commit *strata_iter_commit(const strata_iter *it) { return it ? it->commit : NULL; }
const strata_value *strata_iter_key_value(const strata_iter *it) { return it ? it->keyval : NULL; }
uint64_t strata_iter_count(const strata_iter *it) { return it ? it->count : 0; }
uint64_t strata_iter_scanned_count(const strata_iter *it) { return it ? it->scanned : 0; }

int strata_iter_last_key(strata_value **out, const strata_iter *it)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_iter_last_key: out is NULL");
    *out = NULL;
    if (!it) return strata_err__set(STRATA_EINVALID, "strata_iter_last_key: iterator is NULL");
    if (!it->last_key) return STRATA_ENOTFOUND;
    strata_slice s = strata_db__value_slice(it->last_key);
    return strata_db__value_new(out, s.data, s.len);
}
