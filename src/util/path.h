/* File-system paths as strata builds them: a directory and a name inside it. */
#ifndef STRATA_UTIL_PATH_H
#define STRATA_UTIL_PATH_H

/* "<dir>/<name>" as a new NUL-terminated string (owned: strata_mem__free), or NULL on
 * STRATA_ENOMEM. One '/' separates them: none is added when dir is empty or already ends in
 * '/'. */
char *strata_path__join(const char *dir, const char *name);

#endif
