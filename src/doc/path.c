/* Document paths (`a.b[2].c`): parsing, lookup on encoded bytes, and the "edit at path"
 * operations the update-expression engine needs (set, remove, list append, number add, set
 * union and difference). Edits rebuild only the containers on the path; every other member is
 * copied as raw bytes, so an edit costs O(size of the containers on the path). */
#include <stdio.h>
#include <string.h>

#include "doc/doc.h"
#include "doc/doc_int.h"
#include "util/error.h"
#include "util/mem.h"

#define PATH_MAX_STEPS 64

/* ---- parsing ---------------------------------------------------------------------------- */

/* Parse into steps[] (capacity cap) with keys unescaped into keybuf (at least len bytes). */
static int parse_steps(const char *text, size_t len, strata_doc_step *steps, size_t cap, size_t *nout,
                       char *keybuf)
{
    size_t i = 0, n = 0, ko = 0;
    if (len == 0) return strata_err__set(STRATA_EINVALID, "path is empty");
    int need_key = text[0] != '[';
    for (;;) {
        if (n == cap)
            return strata_err__set(STRATA_ELIMIT, "path has more than %d steps", PATH_MAX_STEPS);
        if (i < len && text[i] == '[') {
            size_t col = i + 1;
            i++;
            size_t v = 0, digits = 0;
            while (i < len && text[i] >= '0' && text[i] <= '9') {
                if (v > (SIZE_MAX - 9) / 10)
                    return strata_err__set(STRATA_EINVALID, "path column %zu: list index too large", col);
                v = v * 10 + (size_t)(text[i] - '0');
                i++;
                digits++;
            }
            if (!digits || i >= len || text[i] != ']')
                return strata_err__set(STRATA_EINVALID, "path column %zu: expected digits and ']' after '['", col);
            i++;
            steps[n].name = NULL;
            steps[n].len = 0;
            steps[n].index = v;
            n++;
        } else if (need_key) {
            size_t start = ko, col = i + 1;
            while (i < len && text[i] != '.' && text[i] != '[') {
                if (text[i] == ']')
                    return strata_err__set(STRATA_EINVALID, "path column %zu: unexpected ']'", i + 1);
                if (text[i] == '\\') {
                    if (++i >= len) return strata_err__set(STRATA_EINVALID, "path ends after '\\'");
                }
                keybuf[ko++] = text[i++];
            }
            if (ko == start) return strata_err__set(STRATA_EINVALID, "path column %zu: expected a key", col);
            steps[n].name = keybuf + start;
            steps[n].len = ko - start;
            steps[n].index = 0;
            n++;
        } else {
            return strata_err__set(STRATA_EINVALID, "path column %zu: expected '.' or '['", i + 1);
        }
        if (i >= len) break;
        if (text[i] == '.') {
            i++;
            need_key = 1;
            if (i >= len) return strata_err__set(STRATA_EINVALID, "path ends after '.'");
            if (text[i] == '[' || text[i] == '.')
                return strata_err__set(STRATA_EINVALID, "path column %zu: expected a key after '.'", i + 1);
        } else if (text[i] == '[') {
            need_key = 0;
        } else {
            return strata_err__set(STRATA_EINVALID, "path column %zu: expected '.' or '['", i + 1);
        }
    }
    *nout = n;
    return 0;
}

int strata_doc__path_parse(strata_doc_path *out, const char *text, size_t len)
{
    if (!out || (!text && len)) return strata_err__set(STRATA_EINVALID, "path_parse: NULL argument");
    memset(out, 0, sizeof *out);
    char *kb = strata_mem__alloc(len + 1);
    strata_doc_step *st = strata_mem__alloc(PATH_MAX_STEPS * sizeof *st);
    int rc = (!kb || !st) ? STRATA_ENOMEM : parse_steps(text, len, st, PATH_MAX_STEPS, &out->n, kb);
    if (rc) {
        strata_mem__free(kb);
        strata_mem__free(st);
        out->n = 0;
        return rc;
    }
    out->steps = st;
    out->text = kb;
    return 0;
}

void strata_doc__path_free(strata_doc_path *p)
{
    if (!p) return;
    strata_mem__free(p->steps);
    strata_mem__free(p->text);
    memset(p, 0, sizeof *p);
}

/* ---- lookup ------------------------------------------------------------------------------- */

int strata_doc__lookup(strata_slice v, const strata_doc_step *steps, size_t n, strata_slice *out)
{
    strata_slice cur = v;
    for (size_t i = 0; i < n; i++) {
        int t = strata_doc__type(cur);
        if (t < 0) return t;
        int rc;
        if (steps[i].name) {
            if (t != STRATA_DOC_MAP) return STRATA_ENOTFOUND;
            rc = strata_doc__map_get(cur, steps[i].name, steps[i].len, &cur);
        } else {
            if (t != STRATA_DOC_LIST) return STRATA_ENOTFOUND;
            rc = strata_doc__index(cur, steps[i].index, &cur);
        }
        if (rc) return rc;
    }
    if (out) *out = cur;
    return 0;
}

int strata_doc__lookup_text(strata_slice v, const char *path, size_t len, strata_slice *out)
{
    strata_doc_step steps[16];
    char kb[256];
    size_t n;
    int rc;
    if (len < sizeof kb) {
        rc = parse_steps(path, len, steps, 16, &n, kb);
        if (rc == 0) return strata_doc__lookup(v, steps, n, out);
        if (rc != STRATA_ELIMIT) return rc;
    }
    strata_doc_path p;
    if ((rc = strata_doc__path_parse(&p, path, len))) return rc;
    rc = strata_doc__lookup(v, p.steps, p.n, out);
    strata_doc__path_free(&p);
    return rc;
}

/* ---- edits ----------------------------------------------------------------------------------- */

/* Copy a member value verbatim (trusted: it comes from a valid document). */
static int raw_value(strata_doc_builder *w, strata_slice v)
{
    int rc = strata_doc__w_prep(w, 0);
    if (!rc) rc = strata_buf__append(w->out, v.data, v.len);
    if (!rc) strata_doc__w_after(w);
    return rc;
}

static int raw_key(strata_doc_builder *w, const void *k, size_t len)
{
    int rc = strata_doc__w_key_prep(w, 0);
    if (!rc) rc = strata_buf__put_varint(w->out, len);
    if (!rc) rc = strata_buf__append(w->out, k, len);
    if (!rc) rc = strata_doc__w_key_done(w);
    return rc;
}

static int step_text(const strata_doc_step *s, char *buf, size_t cap)
{
    if (s->name) return snprintf(buf, cap, "'%.*s'", (int)(s->len > 60 ? 60 : s->len), s->name);
    return snprintf(buf, cap, "[%zu]", s->index);
}

/* Write `doc` with the edit applied at steps[0..n) (set val, or remove when val is NULL). */
static int edit(strata_doc_builder *w, strata_slice doc, const strata_doc_step *steps, size_t n,
                const strata_slice *val, int *changed)
{
    if (n == 0) {
        *changed = 1;
        return raw_value(w, *val);
    }
    int t = strata_doc__type(doc), rc;
    if (t < 0) return t;
    const strata_doc_step *s = steps;
    char st[80];
    if ((s->name && t != STRATA_DOC_MAP) || (!s->name && t != STRATA_DOC_LIST)) {
        if (!val) return raw_value(w, doc); /* remove: absent */
        step_text(s, st, sizeof st);
        return strata_err__set(STRATA_ENOTFOUND, "the document path is invalid for update: step %s applied to a %s",
                               st, strata_doc__type_name(t));
    }
    strata_doc_iter it;
    strata_slice k, m;
    if ((rc = strata_doc__iter_init(&it, doc))) return rc;
    if ((rc = strata_doc__w_begin(w, (uint8_t)t, 0))) return rc;
    int found = 0;
    size_t i = 0;
    while ((rc = strata_doc__iter_next(&it, &k, &m)) == 0) {
        int hit = s->name ? (k.len == s->len && memcmp(k.data, s->name, s->len) == 0) : i == s->index;
        i++;
        if (hit) {
            found = 1;
            if (n == 1 && !val) { /* remove this member */
                *changed = 1;
                continue;
            }
            if (s->name && (rc = raw_key(w, k.data, k.len))) return rc;
            if ((rc = edit(w, m, steps + 1, n - 1, val, changed))) return rc;
            continue;
        }
        if (s->name && (rc = raw_key(w, k.data, k.len))) return rc;
        if ((rc = raw_value(w, m))) return rc;
    }
    if (rc != STRATA_ITEROVER) return rc;
    if (!found && val) {
        if (n > 1) {
            step_text(s, st, sizeof st);
            return strata_err__set(STRATA_ENOTFOUND, "the document path is invalid for update: %s does not exist", st);
        }
        if (s->name && (rc = raw_key(w, s->name, s->len))) return rc;
        if ((rc = raw_value(w, *val))) return rc;
        *changed = 1;
    }
    return strata_doc__w_end(w);
}

static int run_edit(strata_buf *out, strata_slice doc, const strata_doc_step *steps, size_t n,
                    const strata_slice *val, int *changed)
{
    if (!out || !doc.data || (n && !steps)) return strata_err__set(STRATA_EINVALID, "edit: NULL argument");
    strata_doc_builder w;
    memset(&w, 0, sizeof w);
    size_t save = out->len;
    strata_doc__w_init(&w, out);
    int rc = edit(&w, doc, steps, n, val, changed);
    strata_doc__w_release(&w);
    if (rc) out->len = save;
    return rc;
}

int strata_doc__edit_set(strata_buf *out, strata_slice doc, const strata_doc_step *steps, size_t n,
                         strata_slice val)
{
    int changed = 0;
    if (!val.data || val.len == 0) return strata_err__set(STRATA_EINVALID, "edit_set: no value");
    if (n + (size_t)strata_doc__depth(val.data, val.len) > STRATA_DOC_MAX_DEPTH)
        return strata_err__set(STRATA_ELIMIT, "nesting deeper than %d levels", STRATA_DOC_MAX_DEPTH);
    return run_edit(out, doc, steps, n, &val, &changed);
}

int strata_doc__edit_remove(strata_buf *out, strata_slice doc, const strata_doc_step *steps, size_t n,
                            int *removed)
{
    int changed = 0;
    if (n == 0) return strata_err__set(STRATA_EINVALID, "edit_remove: cannot remove the whole value");
    int rc = run_edit(out, doc, steps, n, NULL, &changed);
    if (!rc && removed) *removed = changed;
    return rc;
}

int strata_doc__list_concat(strata_buf *out, strata_slice a, strata_slice b)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "list_concat: NULL buffer");
    if (strata_doc__type(a) != STRATA_DOC_LIST || strata_doc__type(b) != STRATA_DOC_LIST)
        return strata_err__set(STRATA_EINVALID, "list_append needs two lists");
    if (strata_doc__depth(a.data, a.len) > STRATA_DOC_MAX_DEPTH ||
        strata_doc__depth(b.data, b.len) > STRATA_DOC_MAX_DEPTH)
        return strata_err__set(STRATA_ELIMIT, "nesting deeper than %d levels", STRATA_DOC_MAX_DEPTH);
    strata_doc_builder w;
    memset(&w, 0, sizeof w);
    size_t save = out->len;
    strata_doc__w_init(&w, out);
    int rc = strata_doc__w_begin(&w, TAG_LIST, 0);
    for (int pass = 0; pass < 2 && !rc; pass++) {
        strata_doc_iter it;
        strata_slice m;
        rc = strata_doc__iter_init(&it, pass ? b : a);
        while (!rc && (rc = strata_doc__iter_next(&it, NULL, &m)) == 0) rc = raw_value(&w, m);
        if (rc == STRATA_ITEROVER) rc = 0;
    }
    if (!rc) rc = strata_doc__w_end(&w);
    strata_doc__w_release(&w);
    if (rc) out->len = save;
    return rc;
}

int strata_doc__number_add(strata_buf *out, strata_slice a, strata_slice b, int subtract)
{
    if (!out) return strata_err__set(STRATA_EINVALID, "number_add: NULL buffer");
    strata_num x, y, r;
    int rc = strata_doc__get_number(a, &x);
    if (!rc) rc = strata_doc__get_number(b, &y);
    if (!rc) rc = subtract ? strata_num__sub(&r, &x, &y) : strata_num__add(&r, &x, &y);
    if (rc) return rc;
    uint8_t enc[1 + STRATA_NUM_ENC_MAX];
    enc[0] = TAG_NUMBER;
    size_t n = 1 + strata_num__encode(&r, enc + 1);
    return strata_buf__append(out, enc, n);
}

/* Write the members of set x that are not in set `skip` (every member when skip is NULL) to w,
 * adding to *count. */
static int add_members(strata_doc_builder *w, strata_slice x, const strata_slice *skip, size_t *count)
{
    strata_doc_iter it;
    strata_slice m;
    int rc = strata_doc__iter_init(&it, x);
    while (!rc && (rc = strata_doc__iter_next(&it, NULL, &m)) == 0) {
        if (skip) {
            int has = strata_doc__set_has(*skip, m);
            if (has < 0) return has;
            if (has) continue;
        }
        rc = raw_value(w, m);
        (*count)++;
    }
    return rc == STRATA_ITEROVER ? 0 : rc;
}

/* Write a ∪ b (union_op) or a \ b as a set of a's type: a's members (less those in b for a
 * difference), then for a union b's members not in a. *count receives the members written;
 * nothing is appended when it is 0. */
static int set_op(strata_buf *out, strata_slice a, strata_slice b, int union_op, size_t *count)
{
    int ta = strata_doc__type(a), tb = strata_doc__type(b);
    if (ta < 0) return ta;
    if (tb < 0) return tb;
    if (!doc_is_set((uint8_t)ta) || ta != tb)
        return strata_err__set(STRATA_EINVALID, "set operation needs two sets of the same type, got a %s and a %s",
                               strata_doc__type_name(ta), strata_doc__type_name(tb));
    strata_doc_builder w;
    memset(&w, 0, sizeof w);
    size_t save = out->len;
    strata_doc__w_init(&w, out);
    *count = 0;
    int rc = strata_doc__w_begin(&w, (uint8_t)ta, 0);
    if (!rc) rc = add_members(&w, a, union_op ? NULL : &b, count);
    if (!rc && union_op) rc = add_members(&w, b, &a, count);
    if (!rc && *count > 0) rc = strata_doc__w_end(&w);
    strata_doc__w_release(&w);
    if (rc || *count == 0) out->len = save;
    return rc;
}

int strata_doc__set_union(strata_buf *out, strata_slice a, strata_slice b)
{
    size_t n;
    if (!out) return strata_err__set(STRATA_EINVALID, "set_union: NULL buffer");
    return set_op(out, a, b, 1, &n);
}

int strata_doc__set_difference(strata_buf *out, strata_slice a, strata_slice b, int *empty)
{
    size_t n;
    if (!out) return strata_err__set(STRATA_EINVALID, "set_difference: NULL buffer");
    int rc = set_op(out, a, b, 0, &n);
    if (!rc && empty) *empty = n == 0;
    return rc;
}
