/* The GC family's per-handle state (db->gc, struct in db_int.h): created when the handle opens,
 * torn down when it closes — the automatic GC thread is stopped before anything is freed. */
#include "db/db_int.h"
#include "util/mem.h"

int strata_db__gc_open(strata_db *db)
{
    strata_db_gcstate *st = strata_mem__calloc(1, sizeof *st);
    if (!st) return STRATA_ENOMEM;
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cond, NULL);
    db->gc = st;
    return 0;
}

void strata_db__gc_close(strata_db *db)
{
    strata_db_gcstate *st = db->gc;
    if (!st) return;
    strata_db__autogc_stop(db);
    strata_db__pins_free(st->pins.v, st->pins.n);
    strata_db__space_clear(st);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cond);
    strata_mem__free(st);
    db->gc = NULL;
}
