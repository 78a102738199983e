/* The strata CLI's revision names and times, the way git users type them: HEAD, HEAD~N, HEAD^,
 * unique digest prefixes, @{TIME}; times as ISO 8601, strata's compact "YYYYMMDD HH:MM:SS
 * +zzzz" or "N units ago"; and the tenant log (every entry's commits merged newest first),
 * built from strata_entry_list and strata_entry_history because the library has no tenant log.
 *
 * A revision is a base followed by any number of steps:
 *   base  := HEAD | @ | HEX (4..64 digits, a unique prefix) | @{TIME} | HEAD@{TIME}
 *   step  := ~[N] (N first parents back, default 1) | ^[N] (the N-th parent, default 1; ^0 is
 *            the commit itself)
 * With an entry, HEAD is the entry's head and @{TIME} its latest commit at or before TIME
 * (strata_read_options.as_of_us); without one (show), HEAD is the tenant's newest commit and
 * @{TIME} the tenant's newest commit at or before TIME. Steps follow a commit's parents, which
 * are always commits of the same entry. */
#include "cli.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

/* ---- times ------------------------------------------------------------------------------ */

/* Read exactly n digits at *p into *out and advance; -1 when they are not there. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t cli_now_us(const cli *c)
{
    if (c->time_us) return c->time_us;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* "N unit(s) ago" and "now". Returns 0 or -1. */
static int parse_relative(const cli *c, const char *s, int64_t *out)
{
    if (strcmp(s, "now") == 0) {
        *out = cli_now_us(c);
        return 0;
    }
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n < 0 || *end != ' ') return -1;
    while (*end == ' ') end++;
    static const struct { const char *name; int64_t us; } UNITS[] = {
        {"second", 1000000LL}, {"minute", 60000000LL}, {"hour", 3600000000LL},
        {"day", 86400000000LL}, {"week", 604800000000LL},
    };
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        size_t l = strlen(UNITS[i].name);
        if (strncmp(end, UNITS[i].name, l) != 0) continue;
        const char *r = end + l;
        if (*r == 's') r++;
        if (strcmp(r, " ago") != 0) return -1;
        if (n > INT64_MAX / UNITS[i].us) return -1;
        *out = cli_now_us(c) - n * UNITS[i].us;
        return 0;
    }
    return -1;
}

/* Parse a time: ISO 8601 "YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]]][Z|±HH:MM|±HHMM]", strata's compact
 * "YYYYMMDD[ HH:MM[:SS]][ ±HHMM]", "now" or "N seconds|minutes|hours|days|weeks ago". Without a
 * zone the time is local ($TZ). Returns 0 or -1 (no message). */
int cli_parse_time(const cli *c, const char *text, int64_t *out)
{
    if (parse_relative(c, text, out) == 0) return 0;
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    if (digits(&p, 4, &y)) return -1;
    int compact = *p != '-';
    if (!compact) p++;
    if (digits(&p, 2, &mo)) return -1;
    if (!compact && *p++ != '-') return -1;
    if (digits(&p, 2, &d)) return -1;
    if ((*p == 'T' && !compact) || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec)) return -1;
            if (*p == '.' || *p == ',') {
                int n = 0;
                p++;
                while (isdigit((unsigned char)*p)) {
                    if (n++ < 6) frac = frac * 10 + (*p - '0');
                    p++;
                }
                if (n == 0) return -1;
                for (; n < 6; n++) frac *= 10;
            }
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
    int has_zone = 0, off_min = 0;
    if (*p == ' ' && (p[1] == '+' || p[1] == '-' || p[1] == 'Z')) p++;
    if (*p == 'Z') {
        has_zone = 1;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, zh, zm;
        if (digits(&p, 2, &zh)) return -1;
        if (*p == ':') p++;
        if (digits(&p, 2, &zm) || zh > 23 || zm > 59) return -1;
        has_zone = 1;
        off_min = sign * (zh * 60 + zm);
    }
    if (*p) return -1;
    int64_t secs;
    if (has_zone) {
        secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off_min * 60;
    } else {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t)-1) return -1;
        secs = (int64_t)t;
    }
    *out = secs * 1000000 + frac;
    return 0;
}

int cli_time_option(const cli *c, const char *opt, const char *text, int64_t *out)
{
    if (cli_parse_time(c, text, out) == 0) return 0;
    return cli_bad_input(c, "%s '%s' is not a time (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], "
                            "'YYYYMMDD HH:MM:SS [+HHMM]', 'now' or 'N hours ago')", opt, text);
}

/* ---- the tenant log --------------------------------------------------------------------- */

void cli_log_free(cli_log *log)
{
    for (size_t i = 0; i < log->n; i++) strata_commit_free(log->commits[i]);
    free(log->commits);
    memset(log, 0, sizeof *log);
}

static int log_push(cli_log *log, strata_commit *cm)
{
    if (log->n == log->cap) {
        size_t cap = log->cap ? log->cap * 2 : 64;
        strata_commit **v = realloc(log->commits, cap * sizeof *v);
        if (!v) return -1;
        log->commits = v;
        log->cap = cap;
    }
    log->commits[log->n++] = cm;
    return 0;
}

/* Newest first; equal times: entries in byte order, then the newer generation first. */
static int log_order(const void *pa, const void *pb)
{
    const strata_commit *a = *(strata_commit *const *)pa, *b = *(strata_commit *const *)pb;
    int64_t ta = strata_commit_time_us(a), tb = strata_commit_time_us(b);
    if (ta != tb) return ta > tb ? -1 : 1;
    int e = strcmp(strata_commit_entry(a), strata_commit_entry(b));
    if (e) return e;
    uint64_t ga = strata_commit_generation(a), gb = strata_commit_generation(b);
    return ga == gb ? 0 : ga > gb ? -1 : 1;
}

/* Copy an iterator's current name into a NUL-terminated buffer; 0, or -1 when too long. */
static int iter_name(char *buf, size_t n, strata_iter *it)
{
    strata_slice k = strata_iter_key(it);
    if (k.len >= n) return -1;
    memcpy(buf, k.data, k.len);
    buf[k.len] = '\0';
    return 0;
}

int cli_tenant_log(cli *c, cli_log *out)
{
    memset(out, 0, sizeof *out);
    strata_iter *names = NULL;
    int r = strata_entry_list(&names, c->db, c->tenant, NULL);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    int rc = 0;
    while (!rc && (r = strata_iter_next(names)) == 0) {
        char entry[256];
        if (iter_name(entry, sizeof entry, names)) continue;
        strata_iter *h = NULL;
        r = strata_entry_history(&h, c->db, c->tenant, entry, NULL, 0);
        if (r < 0) {
            rc = cli_lib_fail(c, r, entry);
            break;
        }
        while ((r = strata_iter_next(h)) == 0) {
            strata_commit *cm = NULL;
            int l = strata_commit_lookup(&cm, c->db, c->tenant, strata_commit_digest(strata_iter_commit(h)));
            if (l < 0) {
                rc = cli_lib_fail(c, l, entry);
                break;
            }
            if (log_push(out, cm)) {
                strata_commit_free(cm);
                cli_say(c, "out of memory");
                rc = EXIT_DBERROR;
                break;
            }
        }
        if (!rc && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, entry);
        strata_iter_free(h);
        r = 0;
    }
    if (!rc && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, NULL);
    strata_iter_free(names);
    if (rc) {
        cli_log_free(out);
        return rc;
    }
    if (out->n) qsort(out->commits, out->n, sizeof *out->commits, log_order);
    return 0;
}

/* ---- digest prefixes -------------------------------------------------------------------- */

#define MAX_SHOWN 6 /* candidates an ambiguity message lists */

typedef struct matches {
    strata_oid oid[MAX_SHOWN];
    char entry[MAX_SHOWN][256];
    int found;
} matches;

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* Walk the history of `entry` collecting commits whose hex digest starts with `prefix`
 * (lowercase). Returns 0 or an exit code. */
static int match_prefix_in(cli *c, const char *entry, const char *prefix, matches *m)
{
    strata_iter *it = NULL;
    int rc = strata_entry_history(&it, c->db, c->tenant, entry, NULL, 0);
    if (rc < 0) return cli_lib_fail(c, rc, NULL);
    size_t n = strlen(prefix);
    while ((rc = strata_iter_next(it)) == 0) {
        const strata_oid *d = strata_commit_digest(strata_iter_commit(it));
        char hex[STRATA_OID_HEXSIZE + 1];
        strata_oid_fmt(hex, d);
        if (strncmp(hex, prefix, n) != 0) continue;
        int dup = 0;
        for (int i = 0; i < m->found && i < MAX_SHOWN; i++) dup |= memcmp(&m->oid[i], d, sizeof *d) == 0;
        if (dup) continue;
        if (m->found < MAX_SHOWN) {
            m->oid[m->found] = *d;
            snprintf(m->entry[m->found], sizeof m->entry[0], "%s", entry);
        }
        m->found++;
    }
    strata_iter_free(it);
    if (rc != STRATA_ITEROVER) return cli_lib_fail(c, rc, NULL);
    return 0;
}

/* Resolve a unique prefix of 4..63 hex digits (or 64 digits) among the commits of `entry` (NULL:
 * every entry of the tenant). Returns 0 or an exit code. */
static int resolve_prefix(cli *c, const char *entry, const char *text, size_t n, strata_oid *out)
{
    char prefix[STRATA_OID_HEXSIZE + 1];
    for (size_t i = 0; i < n; i++) prefix[i] = (char)tolower((unsigned char)text[i]);
    prefix[n] = '\0';
    if (n == STRATA_OID_HEXSIZE) {
        int rc = strata_oid_parse(out, prefix);
        return rc < 0 ? cli_lib_fail(c, rc, NULL) : 0;
    }
    matches m;
    m.found = 0;
    int rc = 0;
    if (entry) {
        rc = match_prefix_in(c, entry, prefix, &m);
    } else {
        strata_iter *it = NULL;
        int r = strata_entry_list(&it, c->db, c->tenant, NULL);
        if (r < 0) return cli_lib_fail(c, r, NULL);
        while (!rc && (r = strata_iter_next(it)) == 0) {
            char name[256];
            if (!iter_name(name, sizeof name, it)) rc = match_prefix_in(c, name, prefix, &m);
        }
        if (!rc && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, NULL);
        strata_iter_free(it);
    }
    if (rc) return rc;
    if (m.found == 0) {
        if (entry) cli_say(c, "no commit of entry '%s' starts with '%s'", entry, prefix);
        else cli_say(c, "no commit in tenant '%s' starts with '%s'", c->tenant, prefix);
        return EXIT_NOTFOUND;
    }
    if (m.found > 1) {
        char list[MAX_SHOWN * 340] = "";
        size_t len = 0;
        for (int i = 0; i < m.found && i < MAX_SHOWN; i++) {
            char hex[STRATA_OID_HEXSIZE + 1];
            strata_oid_fmt(hex, &m.oid[i]);
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s (%s)", i ? ", " : "", hex, m.entry[i]);
        }
        return cli_bad_input(c, "digest prefix '%s' is ambiguous: %d commits match: %s%s; give more digits",
                             prefix, m.found, list, m.found > MAX_SHOWN ? ", …" : "");
    }
    *out = m.oid[0];
    return 0;
}

/* ---- revisions -------------------------------------------------------------------------- */

/* The tenant's newest commit at or before as_of_us (0: now), into *out. Returns 0 or an exit
 * code. */
static int tenant_newest(cli *c, int64_t as_of_us, const char *shown, strata_oid *out)
{
    strata_read_options ro;
    strata_read_options_init(&ro, STRATA_READ_OPTIONS_VERSION);
    ro.as_of_us = as_of_us;
    strata_iter *it = NULL;
    int r = strata_entry_list(&it, c->db, c->tenant, NULL);
    if (r < 0) return cli_lib_fail(c, r, NULL);
    int found = 0, rc = 0;
    int64_t best_t = 0;
    while (!rc && (r = strata_iter_next(it)) == 0) {
        char name[256];
        if (iter_name(name, sizeof name, it)) continue;
        strata_oid head;
        int h = strata_entry_head(&head, c->db, c->tenant, name, &ro);
        if (h == STRATA_ENOTFOUND) continue; /* did not exist then */
        if (h < 0) {
            rc = cli_lib_fail(c, h, name);
            break;
        }
        strata_commit *cm = NULL;
        h = strata_commit_lookup(&cm, c->db, c->tenant, &head);
        if (h < 0) {
            rc = cli_lib_fail(c, h, name);
            break;
        }
        int64_t t = strata_commit_time_us(cm);
        /* the log's order: newest time; equal times: the first entry in byte order */
        if (!found || t > best_t) {
            found = 1;
            best_t = t;
            *out = head;
        }
        strata_commit_free(cm);
    }
    if (!rc && r != STRATA_ITEROVER) rc = cli_lib_fail(c, r, NULL);
    strata_iter_free(it);
    if (rc) return rc;
    if (!found) {
        if (as_of_us) cli_say(c, "'%s': tenant '%s' has no commit at or before that time", shown, c->tenant);
        else cli_say(c, "'%s': tenant '%s' has no commits", shown, c->tenant);
        return EXIT_NOTFOUND;
    }
    return 0;
}

/* HEAD or @{TIME} of `entry` (NULL: of the tenant). as_of_us 0: the head. */
static int resolve_head(cli *c, const char *entry, int64_t as_of_us, const char *shown, strata_oid *out)
{
    if (!entry) return tenant_newest(c, as_of_us, shown, out);
    strata_read_options ro;
    strata_read_options_init(&ro, STRATA_READ_OPTIONS_VERSION);
    ro.as_of_us = as_of_us;
    int r = strata_entry_head(out, c->db, c->tenant, entry, &ro);
    if (r == STRATA_ENOTFOUND && as_of_us) {
        cli_say(c, "'%s': entry '%s' has no commit at or before that time", shown, entry);
        return EXIT_NOTFOUND;
    }
    if (r < 0) return cli_lib_fail(c, r, NULL);
    return 0;
}

/* Step from *cur to its parent number `which` (1: the first) `times` times. */
static int step_parents(cli *c, const char *shown, strata_oid *cur, size_t which, long long times)
{
    for (long long i = 0; i < times; i++) {
        strata_commit *cm = NULL;
        int r = strata_commit_lookup(&cm, c->db, c->tenant, cur);
        if (r < 0) return cli_lib_fail(c, r, shown);
        size_t np = strata_commit_parent_count(cm);
        if (which > np) {
            char hex[STRATA_OID_HEXSIZE + 1];
            strata_oid_fmt(hex, cur);
            if (np == 0)
                cli_say(c, "'%s' goes past the first commit: %s (generation %llu of '%s') has no parent",
                        shown, hex, (unsigned long long)strata_commit_generation(cm), strata_commit_entry(cm));
            else
                cli_say(c, "'%s': commit %s has %zu parent%s", shown, hex, np, np == 1 ? "" : "s");
            strata_commit_free(cm);
            return EXIT_NOTFOUND;
        }
        *cur = *strata_commit_parent(cm, which - 1);
        strata_commit_free(cm);
    }
    return 0;
}

static int not_a_revision(const cli *c, const char *text)
{
    return cli_bad_input(c, "'%s' is not a revision (HEAD, HEAD~N, HEAD^, a digest or a unique prefix of at "
                            "least 4 hex digits, @{TIME}; steps ~N and ^ may follow)", text);
}

int cli_looks_like_revision(const char *text)
{
    if (strncmp(text, "HEAD", 4) == 0 || text[0] == '@') return 1;
    size_t n = strcspn(text, "~^");
    return n >= 4 && n <= STRATA_OID_HEXSIZE && is_hex(text, n);
}

/* The "@{TIME}" at *p (within revision `text`): *t gets the time in µs and *p moves past the '}'. */
static int at_time(cli *c, const char *text, const char **p, int64_t *t)
{
    const char *close = strchr(*p, '}');
    if (!close) return not_a_revision(c, text);
    char tb[128];
    size_t tl = (size_t)(close - *p - 2);
    if (tl >= sizeof tb) return not_a_revision(c, text);
    memcpy(tb, *p + 2, tl);
    tb[tl] = '\0';
    int rc = cli_time_option(c, "@{…}", tb, t);
    if (rc == 0) *p = close + 1;
    return rc;
}

int cli_resolve_commit(cli *c, const char *entry, const char *text, strata_oid *out)
{
    const char *p = text;
    int rc;
    if (strncmp(p, "HEAD", 4) == 0 || (p[0] == '@' && p[1] != '{')) {
        p += p[0] == '@' ? 1 : 4;
        int64_t t = 0;
        if (p[0] == '@' && p[1] == '{' && (rc = at_time(c, text, &p, &t))) return rc; /* HEAD@{TIME} */
        rc = resolve_head(c, entry, t, text, out);
    } else if (p[0] == '@' && p[1] == '{') {
        int64_t t;
        if ((rc = at_time(c, text, &p, &t))) return rc;
        rc = resolve_head(c, entry, t, text, out);
    } else {
        size_t n = strcspn(p, "~^");
        if (n == 0 || !is_hex(p, n))
            return not_a_revision(c, text);
        if (n < 4 || n > STRATA_OID_HEXSIZE)
            return cli_bad_input(c, "'%.*s' is not a commit digest (64 hex digits, or a unique prefix of at least 4)",
                                 (int)n, p);
        rc = resolve_prefix(c, entry, p, n, out);
        p += n;
    }
    while (!rc && *p) {
        char op = *p++;
        if (op != '~' && op != '^') return not_a_revision(c, text);
        long long k = 1;
        if (isdigit((unsigned char)*p)) {
            char *end;
            k = strtoll(p, &end, 10);
            if (k > 1000000000LL) return not_a_revision(c, text);
            p = end;
        }
        if (op == '~') rc = step_parents(c, text, out, 1, k);
        else if (k > 0) rc = step_parents(c, text, out, (size_t)k, 1);
    }
    return rc;
}
