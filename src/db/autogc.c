/* The automatic GC thread (strata_db_auto_gc): every check_ms it reads the space statistics and
 * runs a collection when the dead share of the segment bytes reaches the threshold (or, before
 * any run measured the live bytes, runs once to measure them). */
#include <limits.h>
#include <math.h>
#include <time.h>

#include "db/db_int.h"
#include "util/error.h"

static void *auto_thread(void *arg)
{
    strata_db *db = arg;
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    while (!st->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += st->auto_ms / 1000;
        ts.tv_nsec += (long)(st->auto_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&st->cond, &st->mu, &ts);
        if (st->stop) break;
        double share = st->auto_share;
        strata_gc_options o = st->auto_opt;
        pthread_mutex_unlock(&st->mu);
        strata_space_stats s = {STRATA_SPACE_STATS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0};
        int rc = strata_db_stats(&s, db);
        if (rc == 0 && s.file_bytes && (double)s.dead_bytes >= share * (double)s.file_bytes) {
            rc = strata_db_gc(NULL, db, &o);
        } else if (rc == 0) {
            /* never measured: a first run measures (it costs a mark; later checks are free) */
            pthread_mutex_lock(&st->mu);
            int never = st->runs == 0;
            pthread_mutex_unlock(&st->mu);
            if (never) rc = strata_db_gc(NULL, db, &o);
        }
        if (rc) strata_error_clear();
        pthread_mutex_lock(&st->mu);
        st->auto_last_rc = rc;
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

void strata_db__autogc_stop(strata_db *db)
{
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    int on = st->thread_on;
    st->stop = 1;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->mu);
    if (on) pthread_join(st->thread, NULL);
    pthread_mutex_lock(&st->mu);
    st->thread_on = 0;
    st->stop = 0;
    pthread_mutex_unlock(&st->mu);
}

/* Every argument is checked before the running thread (if any) is touched: a bad call changes
 * nothing. A NaN share would start a thread that never collects (every comparison with NaN is
 * false) and a NaN min_dead_share one whose every run fails unseen, so both are refused here. */
int strata_db_auto_gc(strata_db *db, double dead_share, unsigned check_ms, const strata_gc_options *opt)
{
    strata_gc_options o;
    int rc = strata_db__gc_options(&o, db, opt, "strata_db_auto_gc");
    if (rc) return rc;
    if (!isfinite(dead_share) || dead_share > 1)
        return strata_err__set(STRATA_EINVALID,
                               "strata_db_auto_gc: dead share %g is not a finite number <= 1 "
                               "(<= 0 stops the automatic GC)", dead_share);
    if (check_ms > INT_MAX)
        return strata_err__set(STRATA_EINVALID,
                               "strata_db_auto_gc: check_ms %u is above %d (a negative number "
                               "converted to unsigned?); 0 = every second", check_ms, INT_MAX);
    if (!(o.min_dead_share >= 0 && o.min_dead_share <= 1))
        return strata_err__set(STRATA_EINVALID, "strata_db_auto_gc: min_dead_share %g is outside [0, 1]",
                               o.min_dead_share);
    strata_db__autogc_stop(db);
    if (dead_share <= 0) return 0;
    strata_db_gcstate *st = db->gc;
    pthread_mutex_lock(&st->mu);
    st->auto_share = dead_share;
    st->auto_ms = check_ms ? check_ms : 1000;
    st->auto_opt = o;
    if (pthread_create(&st->thread, NULL, auto_thread, db) != 0)
        rc = strata_err__set(STRATA_ENOMEM, "cannot start the automatic GC thread");
    else
        st->thread_on = 1;
    pthread_mutex_unlock(&st->mu);
    return rc;
}
