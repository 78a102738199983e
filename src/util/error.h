/* Internal error reporting: set the thread-local last error where a failure is detected and
 * return its code; upper layers propagate the code unchanged (docs/errors.md). */
#ifndef STRATA_UTIL_ERROR_H
#define STRATA_UTIL_ERROR_H

#include "strata.h"

/* Record `code` with a printf-style message as this thread's last error; returns `code`. */
int strata_err__set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record `code` with the message of errno `errnum` prefixed by `what`; maps ENOMEM, ENOSPC
 * and friends to the matching strata code and returns it. */
int strata_err__errno(int errnum, const char *what);

/* Prefix the current last-error message with `ctx: ` (for adding file names); returns `code`. */
int strata_err__wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
