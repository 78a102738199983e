/* Database verification: walk everything reachable from every tenant root — the manifest
 * chain, each manifest's entries tree, every entry's commit chain, and each commit's data (a
 * document value or a records tree) — and re-read each object through the store, which checks
 * its record checksum and re-hashes it against its digest. Each object is checked once. Before
 * the walk, the store's verify reads every segment end to end (unreachable records too). */
#include <stdio.h>
#include <string.h>

#include "db/db_int.h"
#include "util/error.h"
#include "util/mem.h"
#include "util/oidset.h"

/* An open-addressing set of digests (the seen-set of the walk). */
typedef struct vctx {
    strata_db *db;
    strata_oidset seen;  /* objects checked */
    strata_oidset trees; /* tree roots walked */
    uint64_t problems;
    int first_rc;
    char first_msg[512];
} vctx;

static void problem(vctx *v, int rc)
{
    v->problems++;
    if (!v->first_rc) {
        v->first_rc = rc;
        snprintf(v->first_msg, sizeof v->first_msg, "%s", strata_error_last()->message);
    }
}

/* Check one object (once). Returns 1 when newly checked and fine, 0 when seen before, <0 on a
 * hard error (ENOMEM); problems are counted, not returned. */
static int check_obj(vctx *v, const strata_oid *o)
{
    int rc = strata_oidset__add(&v->seen, o);
    if (rc <= 0) return rc;
    uint8_t *data = NULL;
    size_t len;
    rc = strata_store__get(v->db->store, o, NULL, &data, &len);
    strata_mem__free(data);
    if (rc == STRATA_ENOMEM) return rc;
    if (rc) {
        problem(v, rc);
        return 0;
    }
    return 1;
}

static int tree_cb(const strata_oid *oid, uint8_t type, void *payload)
{
    (void)type;
    int rc = check_obj(payload, oid);
    return rc < 0 ? rc : 0;
}

static int check_tree(vctx *v, const strata_oid *root)
{
    /* a tree root walked before needs no second walk (its nodes were all checked) */
    int rc = strata_oidset__add(&v->trees, root);
    if (rc <= 0) return rc;
    rc = strata_db__tree_walk(v->db, root, tree_cb, v);
    if (rc < 0 && rc != STRATA_ENOMEM) {
        problem(v, rc);
        rc = 0;
    }
    return rc;
}

static int check_commit_chain(vctx *v, const char *tenant, const char *entry, strata_oid oid)
{
    /* retention.c: commits below a retention cut are beyond history; GC may have removed them */
    uint64_t cut = strata_db__gc_cut(v->db, tenant, entry);
    for (;;) {
        if (cut && strata_store__has(v->db->store, &oid) == 0) return 0;
        int rc = check_obj(v, &oid);
        if (rc <= 0) return rc; /* seen: the rest of the chain was checked */
        strata_commit_rec c;
        if ((rc = strata_db__load_commit(v->db, &oid, &c))) {
            problem(v, rc);
            return 0;
        }
        if (cut && c.generation < cut) { /* beyond retention, not checked */
            strata_db__commit_clear(&c);
            return 0;
        }
        if (strcmp(c.tenant, tenant) != 0 || strcmp(c.entry, entry) != 0) {
            problem(v, strata_err__set(STRATA_ECORRUPT, "commit of entry '%s' names '%s'/'%s'", entry, c.tenant, c.entry));
        }
        if (c.kind == STRATA_ENTRY_DOCUMENT) rc = check_obj(v, &c.data);
        else rc = check_tree(v, &c.data);
        int more = c.nparents > 0;
        strata_oid parent = c.parents[0];
        /* history ends where a retention policy cut it (the parent may be gone) */
        if (more && cut && c.generation <= cut) more = 0;
        strata_db__commit_clear(&c);
        if (rc < 0) return rc;
        if (!more) return 0;
        oid = parent;
    }
}

static int check_tenant(const char *tenant, const strata_oid *root, void *payload)
{
    vctx *v = payload;
    strata_oid moid = *root;
    for (;;) {
        int rc = check_obj(v, &moid);
        if (rc <= 0) return rc;
        strata_manifest m;
        if ((rc = strata_db__load_manifest(v->db, &moid, &m))) {
            problem(v, rc);
            return 0;
        }
        rc = check_tree(v, &m.entries);
        strata_db_cursor *cur = NULL;
        if (rc == 0 && (rc = strata_db__cursor_open(&cur, v->db, &m.entries)) == 0 &&
            (rc = strata_db__cursor_seek(cur, NULL, 0)) == 0) {
            strata_slice k, val;
            while ((rc = strata_db__cursor_next(cur, &k, &val)) == 0) {
                strata_oid head;
                if (strata_db__mentry_decode(NULL, &head, val.data, val.len) != 0) {
                    problem(v, strata_err__set(STRATA_ECORRUPT, "tenant '%s': malformed manifest entry", tenant));
                    continue;
                }
                char name[STRATA_DB_TREE_MAX_KEY + 1];
                size_t n = k.len < STRATA_DB_TREE_MAX_KEY ? k.len : STRATA_DB_TREE_MAX_KEY;
                memcpy(name, k.data, n);
                name[n] = 0;
                if ((rc = check_commit_chain(v, tenant, name, head)) < 0) break;
            }
            if (rc == STRATA_ITEROVER) rc = 0;
        }
        strata_db__cursor_free(cur);
        if (rc < 0 && rc != STRATA_ENOMEM) {
            problem(v, rc);
            rc = 0;
        }
        int more = m.nparents > 0;
        strata_oid parent = m.parent;
        if (more && strata_db__gc_manifest_truncated(v->db, tenant, m.generation))
            more = 0; /* the manifest chain cut by the tenant's retention */
        strata_db__manifest_clear(&m);
        if (rc < 0) return rc;
        if (!more) return 0;
        moid = parent;
    }
}

/* A problem the store's own pass found (its message names file and offset). */
static void store_problem(const char *msg, void *payload)
{
    vctx *v = payload;
    v->problems++;
    if (!v->first_rc) {
        v->first_rc = STRATA_ECORRUPT;
        snprintf(v->first_msg, sizeof v->first_msg, "%s", msg);
    }
}

int strata_db__verify(strata_db *db, uint64_t *problems)
{
    vctx v;
    memset(&v, 0, sizeof v);
    v.db = db;
    /* First the store's pass: every record of every segment end to end (dead objects and
     * superseded root records included), every index and the roots table. The walk below reads
     * only what is reachable, so without this a damaged record nothing reaches any more — e.g.
     * an old root record in the active segment, written after open — would go unnoticed until
     * the next open refused the store. */
    int rc = strata_store__verify(db->store, NULL, store_problem, &v);
    if (rc == STRATA_ECORRUPT) rc = 0;
    if (!rc) rc = strata_store__roots(db->store, check_tenant, &v);
    strata_oidset__free(&v.seen);
    strata_oidset__free(&v.trees);
    if (problems) *problems = v.problems;
    if (rc) return rc;
    if (v.problems) return strata_err__set(v.first_rc ? v.first_rc : STRATA_ECORRUPT, "%llu problem(s); first: %s",
                                           (unsigned long long)v.problems, v.first_msg);
    return 0;
}
