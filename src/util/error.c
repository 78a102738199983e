/* Thread-local last error (code + one-line message) and the public error functions. */
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_MAX 512

static _Thread_local char last_msg[MSG_MAX];
static _Thread_local strata_error last = {0, ""};

int strata_err__set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    last.code = code;
    last.message = last_msg;
    return code;
}

int strata_err__wrap(int code, const char *fmt, ...)
{
    char prefix[MSG_MAX], old[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(old, sizeof old, "%s", last.code ? last_msg : strata_strerror(code));
    size_t n = strlen(prefix);
    if (n > MSG_MAX - 3) n = MSG_MAX - 3;
    memcpy(last_msg, prefix, n);
    memcpy(last_msg + n, ": ", 2);
    size_t rest = MSG_MAX - n - 3;
    size_t m = strlen(old);
    if (m > rest) m = rest;
    memcpy(last_msg + n + 2, old, m);
    last_msg[n + 2 + m] = '\0';
    last.code = code;
    last.message = last_msg;
    return code;
}

int strata_err__errno(int errnum, const char *what)
{
    int code;
    switch (errnum) {
    case ENOMEM: code = STRATA_ENOMEM; break;
    case ENOENT: code = STRATA_ENOTFOUND; break;
    case EEXIST: code = STRATA_EEXISTS; break;
    case EWOULDBLOCK: code = STRATA_EBUSY; break;
    case EINVAL: code = STRATA_EINVALID; break;
    default: code = STRATA_EIO; break;
    }
    return strata_err__set(code, "%s: %s", what, strerror(errnum));
}

const strata_error *strata_error_last(void)
{
    if (!last.message) last.message = "";
    return &last;
}

void strata_error_clear(void)
{
    last.code = 0;
    last_msg[0] = '\0';
    last.message = last_msg;
}

const char *strata_strerror(int code)
{
    switch (code) {
    case STRATA_OK: return "ok";
    case STRATA_ENOTFOUND: return "not found";
    case STRATA_EEXISTS: return "already exists";
    case STRATA_ECONFLICT: return "conflict";
    case STRATA_EINVALID: return "invalid argument";
    case STRATA_EBUSY: return "busy (locked)";
    case STRATA_ECORRUPT: return "corrupt data";
    case STRATA_EVERSION: return "unsupported format version";
    case STRATA_ENOMEM: return "out of memory";
    case STRATA_EIO: return "I/O error";
    case STRATA_ECONDITION: return "condition failed";
    case STRATA_ITEROVER: return "iteration over";
    case STRATA_ELIMIT: return "limit exceeded";
    case STRATA_EPOISONED: return "transaction poisoned by an earlier error";
    default: return "unknown error";
    }
}

const char *strata_version(void)
{
    return STRATA_VERSION_STRING;
}
