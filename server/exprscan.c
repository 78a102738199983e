/* DynamoDB's expression rules that strata's expression parser leaves to its callers
 * (docs/expressions.md: the library reserves only the words its grammar uses): the ~570
 * reserved words, which may not appear as bare attribute names in any expression, and the key
 * rules of Query (a key condition compares each key attribute with a value of its declared type;
 * a filter may not name a key attribute). A small scanner walks an expression's tokens; the
 * expression's grammar is left to the library, which parses it afterwards. */
#include "server.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html, sorted
 * (byte order of the upper-case words, as bsearch below compares) */
static const char *const reserved[] = {
    "ABORT", "ABSOLUTE", "ACTION", "ADD", "AFTER", "AGENT", "AGGREGATE", "ALL",
    "ALLOCATE", "ALTER", "ANALYZE", "AND", "ANY", "ARCHIVE", "ARE", "ARRAY",
    "AS", "ASC", "ASCII", "ASENSITIVE", "ASSERTION", "ASYMMETRIC", "AT", "ATOMIC",
    "ATTACH", "ATTRIBUTE", "AUTH", "AUTHORIZATION", "AUTHORIZE", "AUTO", "AVG", "BACK",
    "BACKUP", "BASE", "BATCH", "BEFORE", "BEGIN", "BETWEEN", "BIGINT", "BINARY",
    "BIT", "BLOB", "BLOCK", "BOOLEAN", "BOTH", "BREADTH", "BUCKET", "BULK",
    "BY", "BYTE", "CALL", "CALLED", "CALLING", "CAPACITY", "CASCADE", "CASCADED",
    "CASE", "CAST", "CATALOG", "CHAR", "CHARACTER", "CHECK", "CLASS", "CLOB",
    "CLOSE", "CLUSTER", "CLUSTERED", "CLUSTERING", "CLUSTERS", "COALESCE", "COLLATE", "COLLATION",
    "COLLECTION", "COLUMN", "COLUMNS", "COMBINE", "COMMENT", "COMMIT", "COMPACT", "COMPILE",
    "COMPRESS", "CONDITION", "CONFLICT", "CONNECT", "CONNECTION", "CONSISTENCY", "CONSISTENT", "CONSTRAINT",
    "CONSTRAINTS", "CONSTRUCTOR", "CONSUMED", "CONTINUE", "CONVERT", "COPY", "CORRESPONDING", "COUNT",
    "COUNTER", "CREATE", "CROSS", "CUBE", "CURRENT", "CURSOR", "CYCLE", "DATA",
    "DATABASE", "DATE", "DATETIME", "DAY", "DEALLOCATE", "DEC", "DECIMAL", "DECLARE",
    "DEFAULT", "DEFERRABLE", "DEFERRED", "DEFINE", "DEFINED", "DEFINITION", "DELETE", "DELIMITED",
    "DEPTH", "DEREF", "DESC", "DESCRIBE", "DESCRIPTOR", "DETACH", "DETERMINISTIC", "DIAGNOSTICS",
    "DIRECTORIES", "DISABLE", "DISCONNECT", "DISTINCT", "DISTRIBUTE", "DO", "DOMAIN", "DOUBLE",
    "DROP", "DUMP", "DURATION", "DYNAMIC", "EACH", "ELEMENT", "ELSE", "ELSEIF",
    "EMPTY", "ENABLE", "END", "EQUAL", "EQUALS", "ERROR", "ESCAPE", "ESCAPED",
    "EVAL", "EVALUATE", "EXCEEDED", "EXCEPT", "EXCEPTION", "EXCEPTIONS", "EXCLUSIVE", "EXEC",
    "EXECUTE", "EXISTS", "EXIT", "EXPLAIN", "EXPLODE", "EXPORT", "EXPRESSION", "EXTENDED",
    "EXTERNAL", "EXTRACT", "FAIL", "FALSE", "FAMILY", "FETCH", "FIELDS", "FILE",
    "FILTER", "FILTERING", "FINAL", "FINISH", "FIRST", "FIXED", "FLATTERN", "FLOAT",
    "FOR", "FORCE", "FOREIGN", "FORMAT", "FORWARD", "FOUND", "FREE", "FROM",
    "FULL", "FUNCTION", "FUNCTIONS", "GENERAL", "GENERATE", "GET", "GLOB", "GLOBAL",
    "GO", "GOTO", "GRANT", "GREATER", "GROUP", "GROUPING", "HANDLER", "HASH",
    "HAVE", "HAVING", "HEAP", "HIDDEN", "HOLD", "HOUR", "IDENTIFIED", "IDENTITY",
    "IF", "IGNORE", "IMMEDIATE", "IMPORT", "IN", "INCLUDING", "INCLUSIVE", "INCREMENT",
    "INCREMENTAL", "INDEX", "INDEXED", "INDEXES", "INDICATOR", "INFINITE", "INITIALLY", "INLINE",
    "INNER", "INNTER", "INOUT", "INPUT", "INSENSITIVE", "INSERT", "INSTEAD", "INT",
    "INTEGER", "INTERSECT", "INTERVAL", "INTO", "INVALIDATE", "IS", "ISOLATION", "ITEM",
    "ITEMS", "ITERATE", "JOIN", "KEY", "KEYS", "LAG", "LANGUAGE", "LARGE",
    "LAST", "LATERAL", "LEAD", "LEADING", "LEAVE", "LEFT", "LENGTH", "LESS",
    "LEVEL", "LIKE", "LIMIT", "LIMITED", "LINES", "LIST", "LOAD", "LOCAL",
    "LOCALTIME", "LOCALTIMESTAMP", "LOCATION", "LOCATOR", "LOCK", "LOCKS", "LOG", "LOGED",
    "LONG", "LOOP", "LOWER", "MAP", "MATCH", "MATERIALIZED", "MAX", "MAXLEN",
    "MEMBER", "MERGE", "METHOD", "METRICS", "MIN", "MINUS", "MINUTE", "MISSING",
    "MOD", "MODE", "MODIFIES", "MODIFY", "MODULE", "MONTH", "MULTI", "MULTISET",
    "NAME", "NAMES", "NATIONAL", "NATURAL", "NCHAR", "NCLOB", "NEW", "NEXT",
    "NO", "NONE", "NOT", "NULL", "NULLIF", "NUMBER", "NUMERIC", "OBJECT",
    "OF", "OFFLINE", "OFFSET", "OLD", "ON", "ONLINE", "ONLY", "OPAQUE",
    "OPEN", "OPERATOR", "OPTION", "OR", "ORDER", "ORDINALITY", "OTHER", "OTHERS",
    "OUT", "OUTER", "OUTPUT", "OVER", "OVERLAPS", "OVERRIDE", "OWNER", "PAD",
    "PARALLEL", "PARAMETER", "PARAMETERS", "PARTIAL", "PARTITION", "PARTITIONED", "PARTITIONS", "PATH",
    "PERCENT", "PERCENTILE", "PERMISSION", "PERMISSIONS", "PIPE", "PIPELINED", "PLAN", "POOL",
    "POSITION", "PRECISION", "PREPARE", "PRESERVE", "PRIMARY", "PRIOR", "PRIVATE", "PRIVILEGES",
    "PROCEDURE", "PROCESSED", "PROJECT", "PROJECTION", "PROPERTY", "PROVISIONING", "PUBLIC", "PUT",
    "QUERY", "QUIT", "QUORUM", "RAISE", "RANDOM", "RANGE", "RANK", "RAW",
    "READ", "READS", "REAL", "REBUILD", "RECORD", "RECURSIVE", "REDUCE", "REF",
    "REFERENCE", "REFERENCES", "REFERENCING", "REGEXP", "REGION", "REINDEX", "RELATIVE", "RELEASE",
    "REMAINDER", "RENAME", "REPEAT", "REPLACE", "REQUEST", "RESET", "RESIGNAL", "RESOURCE",
    "RESPONSE", "RESTORE", "RESTRICT", "RESULT", "RETURN", "RETURNING", "RETURNS", "REVERSE",
    "REVOKE", "RIGHT", "ROLE", "ROLES", "ROLLBACK", "ROLLUP", "ROUTINE", "ROW",
    "ROWS", "RULE", "RULES", "SAMPLE", "SATISFIES", "SAVE", "SAVEPOINT", "SCAN",
    "SCHEMA", "SCOPE", "SCROLL", "SEARCH", "SECOND", "SECTION", "SEGMENT", "SEGMENTS",
    "SELECT", "SELF", "SEMI", "SENSITIVE", "SEPARATE", "SEQUENCE", "SERIALIZABLE", "SESSION",
    "SET", "SETS", "SHARD", "SHARE", "SHARED", "SHORT", "SHOW", "SIGNAL",
    "SIMILAR", "SIZE", "SKEWED", "SMALLINT", "SNAPSHOT", "SOME", "SOURCE", "SPACE",
    "SPACES", "SPARSE", "SPECIFIC", "SPECIFICTYPE", "SPLIT", "SQL", "SQLCODE", "SQLERROR",
    "SQLEXCEPTION", "SQLSTATE", "SQLWARNING", "START", "STATE", "STATIC", "STATUS", "STORAGE",
    "STORE", "STORED", "STREAM", "STRING", "STRUCT", "STYLE", "SUB", "SUBMULTISET",
    "SUBPARTITION", "SUBSTRING", "SUBTYPE", "SUM", "SUPER", "SYMMETRIC", "SYNONYM", "SYSTEM",
    "TABLE", "TABLESAMPLE", "TEMP", "TEMPORARY", "TERMINATED", "TEXT", "THAN", "THEN",
    "THROUGHPUT", "TIME", "TIMESTAMP", "TIMEZONE", "TINYINT", "TO", "TOKEN", "TOTAL",
    "TOUCH", "TRAILING", "TRANSACTION", "TRANSFORM", "TRANSLATE", "TRANSLATION", "TREAT", "TRIGGER",
    "TRIM", "TRUE", "TRUNCATE", "TTL", "TUPLE", "TYPE", "UNDER", "UNDO",
    "UNION", "UNIQUE", "UNIT", "UNKNOWN", "UNLOGGED", "UNNEST", "UNPROCESSED", "UNSIGNED",
    "UNTIL", "UPDATE", "UPPER", "URL", "USAGE", "USE", "USER", "USERS",
    "USING", "UUID", "VACUUM", "VALUE", "VALUED", "VALUES", "VARCHAR", "VARIABLE",
    "VARIANCE", "VARINT", "VARYING", "VIEW", "VIEWS", "VIRTUAL", "VOID", "WAIT",
    "WHEN", "WHENEVER", "WHERE", "WHILE", "WINDOW", "WITH", "WITHIN", "WITHOUT",
    "WORK", "WRAPPED", "WRITE", "YEAR", "ZONE",
};

static int cmp_word(const void *key, const void *elem)
{
    const char *k = key, *w = *(const char *const *)elem;
    return strcasecmp(k, w);
}

int srv_reserved_word(const char *s, size_t n)
{
    char word[32];
    if (n == 0 || n >= sizeof word) return 0;
    memcpy(word, s, n);
    word[n] = 0;
    return bsearch(word, reserved, sizeof reserved / sizeof *reserved, sizeof *reserved, cmp_word) != NULL;
}

/* ---- the scanner ------------------------------------------------------------------------ */

enum { T_END, T_NAME, T_HASH, T_COLON, T_FUNC, T_KEYWORD, T_OTHER };

typedef struct tok {
    int kind;
    const char *s; /* the token (T_HASH/T_COLON include the sigil) */
    size_t n;
    int after_dot; /* a path element after '.', not an attribute at the top */
} tok;

/* The words the grammar uses: keywords, not attribute names (the library refuses them as
 * names itself). */
static int grammar_word(const char *s, size_t n)
{
    static const char *const kw[] = {"AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"};
    for (size_t i = 0; i < sizeof kw / sizeof *kw; i++)
        if (strlen(kw[i]) == n && strncasecmp(kw[i], s, n) == 0) return 1;
    return 0;
}

static int ident_char(int ch) { return isalnum(ch) || ch == '_'; }

/* The token at *pp; advances *pp. */
static void next_tok(const char **pp, tok *t, int *dot)
{
    const char *p = *pp;
    while (isspace((unsigned char)*p)) p++;
    memset(t, 0, sizeof *t);
    t->s = p;
    if (!*p) {
        t->kind = T_END;
    } else if ((*p == '#' || *p == ':') && ident_char((unsigned char)p[1])) {
        t->kind = *p == '#' ? T_HASH : T_COLON;
        p++;
        while (ident_char((unsigned char)*p)) p++;
    } else if (isalpha((unsigned char)*p) || *p == '_') {
        while (ident_char((unsigned char)*p)) p++;
        const char *q = p;
        while (isspace((unsigned char)*q)) q++;
        t->kind = *q == '(' ? T_FUNC : grammar_word(t->s, (size_t)(p - t->s)) ? T_KEYWORD : T_NAME;
    } else if (isdigit((unsigned char)*p)) {
        while (ident_char((unsigned char)*p)) p++;
        t->kind = T_OTHER;
    } else {
        p++;
        t->kind = T_OTHER;
    }
    t->n = (size_t)(p - t->s);
    t->after_dot = *dot;
    *dot = t->kind == T_OTHER && t->n == 1 && *t->s == '.';
    *pp = p;
}

int srv_check_reserved(srv_call *c, const char *param, const char *x)
{
    if (!x) return 0;
    tok t;
    int dot = 0;
    for (next_tok(&x, &t, &dot); t.kind != T_END; next_tok(&x, &t, &dot))
        if (t.kind == T_NAME && srv_reserved_word(t.s, t.n))
            return srv_invalid(c, "Invalid %s: Attribute name is a reserved keyword; reserved keyword: %.*s",
                               param, (int)t.n, t.s);
    return 0;
}

/* The attribute a name token stands for (NULL when a placeholder is undefined: the library
 * reports that). */
static const char *resolve(const tok *t, json_t *names, char *buf, size_t cap)
{
    if (t->kind == T_HASH) {
        snprintf(buf, cap, "%.*s", (int)t->n, t->s);
        return json_string_value(json_object_get(names, buf));
    }
    snprintf(buf, cap, "%.*s", (int)t->n, t->s);
    return buf;
}

int srv_check_query_keys(srv_call *c, const srv_table *tb, const char *keycond, const char *filter,
                         json_t *names, json_t *values)
{
    tok t;
    int dot = 0, between = 0;
    char buf[300], cur[300] = "";
    const char *x = keycond ? keycond : "";
    /* each key attribute is compared with values of its declared type */
    for (next_tok(&x, &t, &dot); t.kind != T_END; next_tok(&x, &t, &dot)) {
        if ((t.kind == T_NAME || t.kind == T_HASH) && !t.after_dot) {
            const char *a = resolve(&t, names, buf, sizeof buf);
            snprintf(cur, sizeof cur, "%s", a ? a : "");
        } else if (t.kind == T_KEYWORD && t.n == 7 && strncasecmp(t.s, "BETWEEN", 7) == 0) {
            between = 1;
        } else if (t.kind == T_KEYWORD && t.n == 3 && strncasecmp(t.s, "AND", 3) == 0) {
            if (between) between = 0;
            else cur[0] = 0;
        } else if (t.kind == T_COLON && cur[0]) {
            char want = strcmp(cur, tb->pk) == 0 ? tb->pkt : (tb->sk[0] && strcmp(cur, tb->sk) == 0) ? tb->skt : 0;
            snprintf(buf, sizeof buf, "%.*s", (int)t.n, t.s);
            json_t *v = json_object_get(values, buf);
            const char *type = json_is_object(v) && json_object_size(v) == 1 ? json_object_iter_key(json_object_iter(v)) : NULL;
            if (want && type && !(type[0] == want && type[1] == 0))
                return srv_invalid(c, "One or more parameter values were invalid: Condition parameter type does not match schema type");
        }
    }
    /* a Query's filter may not name a key attribute */
    x = filter ? filter : "";
    dot = 0;
    for (next_tok(&x, &t, &dot); t.kind != T_END; next_tok(&x, &t, &dot)) {
        if ((t.kind != T_NAME && t.kind != T_HASH) || t.after_dot) continue;
        const char *a = resolve(&t, names, buf, sizeof buf);
        if (a && (strcmp(a, tb->pk) == 0 || (tb->sk[0] && strcmp(a, tb->sk) == 0)))
            return srv_invalid(c, "Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", a);
    }
    return 0;
}
