/* strata_iter: every iterator of the public API is one struct with one vtable. The struct holds
 * the current item, which the public accessors return; each kind (tenant and entry names,
 * keyed data, history, diff, a value's members) keeps its own state behind `state` and fills
 * the current item in its `next`. A value's member iterator is one of those kinds. Calls
 * commit.c (and src/doc for values). */
#include <string.h>

#include "db/db_int.h"
#include "doc/doc.h"
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
    if (!it->last_key) return strata_err__set(STRATA_ENOTFOUND, "no last evaluated key: the iterator did not stop at a limit");
    strata_slice s = strata_doc__value_slice(it->last_key);
    return strata_doc__value_new(out, s.data, s.len);
}

/* ---- a value's members ---------------------------------------------------------------------- */

/* Each member is handed out as its own small owned value (the iterator frees it at the next
 * step), so strata_iter_value works as for every other iterator. */
static int members_next(strata_iter *it, void *state)
{
    strata_slice k, val;
    int rc = strata_doc__iter_next(state, &k, &val);
    if (rc) return rc;
    if ((rc = strata_buf__append(&it->key, k.data ? k.data : "", k.len))) return rc;
    return strata_doc__value_new(&it->value, val.data, val.len);
}

static const strata_db_iter_type members_type = {members_next, strata_mem__free};

int strata_value_members(strata_iter **out, const strata_value *v)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "strata_value_members: out is NULL");
    *out = NULL;
    if (!v) return strata_err__set(STRATA_EINVALID, "strata_value_members: value is NULL");
    int t = strata_value_type(v);
    if (t < 0) return t;
    if (t != STRATA_TYPE_LIST && t != STRATA_TYPE_MAP && t != STRATA_TYPE_STRING_SET && t != STRATA_TYPE_NUMBER_SET &&
        t != STRATA_TYPE_BINARY_SET)
        return strata_err__set(STRATA_EINVALID, "strata_value_members: the value is not a list, map or set");
    strata_doc_iter *m = strata_mem__calloc(1, sizeof *m);
    if (!m) return STRATA_ENOMEM;
    int rc = strata_doc__iter_init(m, strata_doc__value_slice(v));
    if (rc) {
        strata_mem__free(m);
        return rc;
    }
    return strata_db__iter_new(out, &members_type, m);
}
