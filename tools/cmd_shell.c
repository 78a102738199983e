/* `strata shell`: an interactive shell for sqlite3 users. Every line is split into words like a
 * POSIX shell would ('…', "…", \) and run through the same command table and option parser as a
 * command line (cli_main), after the global options the shell was started with — so
 * `strata --db d shell` then `get users u1` runs `strata --db d get users u1`. Each command
 * opens and closes the database, so the shell never holds the writer lock between commands.
 * On a terminal it uses libedit (BSD-licensed, Debian's libedit-dev) for line editing, history
 * (~/.strata-history or $STRATA_HISTORY) and completion of commands, options and entry names;
 * without a terminal it reads commands from stdin line by line, with no prompt. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef STRATA_HAVE_LIBEDIT
#include <editline/readline.h>
#endif

/* ---- words ------------------------------------------------------------------------------ */

typedef struct words {
    char **v; /* owned strings, NULL-terminated */
    int n, cap;
} words;

static void words_free(words *w)
{
    for (int i = 0; i < w->n; i++) free(w->v[i]);
    free(w->v);
    memset(w, 0, sizeof *w);
}

static void words_push(words *w, const char *s, size_t len)
{
    if (w->n + 2 > w->cap) {
        int cap = w->cap ? w->cap * 2 : 16;
        char **v = realloc(w->v, (size_t)cap * sizeof *v);
        if (!v) {
            fputs("strata: out of memory\n", stderr);
            exit(EXIT_DBERROR);
        }
        w->v = v;
        w->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        fputs("strata: out of memory\n", stderr);
        exit(EXIT_DBERROR);
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    w->v[w->n++] = copy;
    w->v[w->n] = NULL;
}

/* Split a line into words: blanks separate, '…' keeps everything, "…" keeps everything but \"
 * \\ \$ \`, a backslash outside quotes keeps the next character, '#' at a word's start begins a
 * comment. Returns NULL, or a description of the mistake (an unterminated quote). */
static const char *split_words(const char *line, words *out)
{
    cli_buf word = {0};
    const char *p = line, *err = NULL;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p || *p == '#') break;
        word.len = 0;
        cli_buf_add(&word, "", 0);
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            if (*p == '\'') {
                const char *q = strchr(p + 1, '\'');
                if (!q) {
                    err = "unterminated '";
                    break;
                }
                cli_buf_add(&word, p + 1, (size_t)(q - p - 1));
                p = q + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && p[1] && strchr("\"\\$`", p[1])) p++;
                    cli_buf_putc(&word, *p++);
                }
                if (!*p) {
                    err = "unterminated \"";
                    break;
                }
                p++;
            } else if (*p == '\\' && p[1]) {
                cli_buf_putc(&word, p[1]);
                p += 2;
            } else {
                cli_buf_putc(&word, *p++);
            }
        }
        if (err) break;
        words_push(out, word.data ? word.data : "", word.len);
    }
    cli_buf_free(&word);
    return err;
}

/* ---- the shell -------------------------------------------------------------------------- */

typedef struct shell {
    cli *c;           /* the shell's own invocation */
    words prefix;     /* argv[0] and the global options the shell was started with */
    char *tenant;     /* .tenant T (owned), else NULL */
    int interactive;  /* stdin is a terminal */
    int last_failure; /* exit code of the last command that failed */
} shell;

static void shell_help(void)
{
    printf("Enter strata commands without 'strata', e.g.\n"
           "  put users u1 '{\"name\":\"Ada\"}' -m \"first\"\n"
           "  log --oneline -n 5\n"
           "'help' lists the commands, 'help COMMAND' shows one.\n"
           "dot commands:\n"
           "  .help          this text\n"
           "  .tenant [T]    show or switch the tenant for the following commands\n"
           "  .quit, .exit   leave the shell (so does end of input, Ctrl-D)\n");
}

/* Run one line. Returns 1 when the shell should end. */
static int shell_line(shell *sh, const char *line)
{
    words w = {0};
    const char *err = split_words(line, &w);
    if (err) {
        fprintf(stderr, "strata: shell: %s\n", err);
        sh->last_failure = EXIT_USAGE;
        words_free(&w);
        return 0;
    }
    int done = 0;
    if (w.n == 0) {
    } else if (strcmp(w.v[0], ".quit") == 0 || strcmp(w.v[0], ".exit") == 0 || strcmp(w.v[0], "quit") == 0 ||
               strcmp(w.v[0], "exit") == 0) {
        done = 1;
    } else if (strcmp(w.v[0], ".help") == 0) {
        shell_help();
    } else if (strcmp(w.v[0], ".tenant") == 0) {
        if (w.n > 2) {
            fprintf(stderr, "strata: shell: usage: .tenant [TENANT]\n");
            sh->last_failure = EXIT_USAGE;
        } else if (w.n == 2) {
            if (cli_check_name(sh->c, "tenant name", w.v[1]) != 0) {
                sh->last_failure = EXIT_USAGE;
            } else {
                free(sh->tenant);
                sh->tenant = strdup(w.v[1]);
            }
        } else {
            printf("%s\n", sh->tenant ? sh->tenant : sh->c->tenant);
        }
    } else if (w.v[0][0] == '.') {
        fprintf(stderr, "strata: shell: unknown dot command '%s' (try .help)\n", w.v[0]);
        sh->last_failure = EXIT_USAGE;
    } else if (strcmp(w.v[0], "shell") == 0) {
        fprintf(stderr, "strata: shell: already in the shell\n");
        sh->last_failure = EXIT_USAGE;
    } else {
        /* strata [the shell's global options] [--tenant T] WORDS… */
        words argv = {0};
        for (int i = 0; i < sh->prefix.n; i++) words_push(&argv, sh->prefix.v[i], strlen(sh->prefix.v[i]));
        if (sh->tenant) {
            words_push(&argv, "--tenant", 8);
            words_push(&argv, sh->tenant, strlen(sh->tenant));
        }
        for (int i = 0; i < w.n; i++) words_push(&argv, w.v[i], strlen(w.v[i]));
        int rc = cli_main(argv.n, argv.v);
        fflush(stdout);
        if (rc) sh->last_failure = rc;
        words_free(&argv);
    }
    words_free(&w);
    return done;
}

#ifdef STRATA_HAVE_LIBEDIT
/* ---- completion (libedit's readline interface) ------------------------------------------ */

static shell *g_shell;    /* the shell completion works for (one per process) */
static words g_entries;   /* entry names, read once per completion */
static int g_mode;        /* what is completed: 0 commands, 1 dot commands, 2 options, 3 entries */

static const char *const DOT_COMMANDS[] = {".help", ".tenant", ".quit", ".exit", NULL};

/* The candidates for the word being completed: commands (first word), options (after '-'),
 * else the tenant's entry names. */
static char *complete_next(const char *text, int state)
{
    static size_t i;
    int mode = g_mode;
    size_t len = strlen(text);
    if (!state) i = 0;
    for (;;) {
        const char *cand = NULL;
        char opt[64];
        if (mode == 0) cand = cli_command_name(i);
        else if (mode == 1) cand = DOT_COMMANDS[i];
        else if (mode == 2) {
            const char *n = cli_option_name(i);
            if (n) {
                snprintf(opt, sizeof opt, "--%s", n);
                cand = opt;
            }
        } else {
            cand = i < (size_t)g_entries.n ? g_entries.v[i] : NULL;
        }
        if (!cand) return NULL;
        i++;
        if (strncmp(cand, text, len) == 0) return strdup(cand);
    }
}

/* Read the tenant's entry names (quietly: a missing database completes nothing). */
static void load_entries(shell *sh)
{
    words_free(&g_entries);
    strata_db_options o;
    strata_db_options_init(&o, STRATA_DB_OPTIONS_VERSION);
    o.create = 0;
    o.read_only = 1;
    strata_db *db = NULL;
    if (strata_db_open(&db, sh->c->db_path, &o) != 0) {
        strata_error_clear();
        return;
    }
    strata_iter *it = NULL;
    if (strata_entry_list(&it, db, sh->tenant ? sh->tenant : sh->c->tenant, NULL) == 0) {
        while (strata_iter_next(it) == 0) {
            strata_slice k = strata_iter_key(it);
            words_push(&g_entries, k.data, k.len);
        }
    }
    strata_iter_free(it);
    strata_db_close(db);
    strata_error_clear();
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    int first = (size_t)start == strspn(rl_line_buffer, " \t");
    g_mode = first ? (text[0] == '.' ? 1 : 0) : text[0] == '-' ? 2 : 3;
    if (g_mode == 3) load_entries(g_shell);
    return rl_completion_matches(text, complete_next);
}

/* The history file: $STRATA_HISTORY, else ~/.strata-history, else none. */
static const char *history_path(char *buf, size_t n)
{
    const char *h = getenv("STRATA_HISTORY");
    if (h) return h[0] ? h : NULL;
    const char *home = getenv("HOME");
    if (!home || !home[0]) return NULL;
    snprintf(buf, n, "%s/.strata-history", home);
    return buf;
}

static void interactive_loop(shell *sh)
{
    char hbuf[4096];
    const char *hist = history_path(hbuf, sizeof hbuf);
    g_shell = sh;
    rl_readline_name = "strata";
    rl_attempted_completion_function = complete;
    using_history();
    if (hist) read_history(hist);
    printf("strata %s shell on '%s' (tenant '%s'). Enter .help for help, .quit to leave.\n", strata_version(),
           sh->c->db_path, sh->c->tenant);
    for (;;) {
        char prompt[300];
        snprintf(prompt, sizeof prompt, "strata:%s> ", sh->tenant ? sh->tenant : sh->c->tenant);
        char *line = readline(prompt);
        if (!line) {
            putchar('\n');
            break;
        }
        if (line[strspn(line, " \t")]) {
            add_history(line);
            if (hist) write_history(hist);
        }
        int done = shell_line(sh, line);
        free(line);
        if (done) break;
    }
    words_free(&g_entries);
}
#else
static void interactive_loop(shell *sh)
{
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        printf("strata:%s> ", sh->tenant ? sh->tenant : sh->c->tenant);
        fflush(stdout);
        if (getline(&line, &cap, stdin) < 0) {
            putchar('\n');
            break;
        }
        if (shell_line(sh, line)) break;
    }
    free(line);
}
#endif

int cmd_shell(cli *c)
{
    shell sh;
    memset(&sh, 0, sizeof sh);
    sh.c = c;
    /* the shell's own command line without the word "shell" */
    for (int i = 0; i < c->argc; i++)
        if (c->argv[i] != c->cmd_word) words_push(&sh.prefix, c->argv[i], strlen(c->argv[i]));
    sh.interactive = isatty(STDIN_FILENO);
    if (sh.interactive) {
        interactive_loop(&sh);
    } else {
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, stdin) >= 0)
            if (shell_line(&sh, line)) break;
        free(line);
    }
    words_free(&sh.prefix);
    free(sh.tenant);
    return sh.interactive ? EXIT_OK : sh.last_failure;
}
