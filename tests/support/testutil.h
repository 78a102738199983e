/* Helpers shared by the unit tests: per-test temporary directories and seeded randomness. */
#ifndef STRATA_TESTUTIL_H
#define STRATA_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* Create a fresh empty directory for one test (under $STRATA_TEST_TMP or /tmp) and return its
 * path (static storage per call site is not needed: the string is owned by the caller, free it
 * with tu_rmdir_free which also removes the tree). */
char *tu_mkdtemp(const char *tag);
/* Remove the directory tree and free the path. NULL is fine. */
void tu_rmdir_free(char *dir);
/* Join dir and name into a new string (free with free()). */
char *tu_path(const char *dir, const char *name);

/* Seed for property tests: $STRATA_SEED if set, else time-based; printed to stderr so a failing
 * run can be replayed. */
uint64_t tu_seed(const char *test_name);
/* xorshift64* pseudo-random generator. */
uint64_t tu_rand(uint64_t *state);
/* Uniform in [0, n). */
uint64_t tu_below(uint64_t *state, uint64_t n);

#endif
