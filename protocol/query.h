/*
 * query.h - a tiny recogniser for the statements replicas, mariadb-binlog and admins send
 * to a primary (PROTOCOL.md 1.1-1.3, 6). A tokenizer with a few fixed statement shapes,
 * not a database: no expressions beyond single values and f(literal, ...) calls.
 *
 * Recognised:
 *   SELECT v [[AS] alias], ... [FROM DUAL] [LIMIT n]
 *       v = @@[global.|session.|local.]var | @uservar | 'str' | [-]number | NULL | word
 *           | func([value, ...])        e.g. UNIX_TIMESTAMP(), binlog_gtid_pos('f', 4)
 *   SET a, ...    a = @var {=|:=} v | @@[scope.]var = v | [GLOBAL|SESSION|LOCAL] var = v
 *                     | NAMES cs [COLLATE co] | CHARACTER SET cs | CHARSET cs
 *   SHOW [GLOBAL|SESSION] VARIABLES|STATUS [LIKE 'pat'], SHOW MASTER STATUS,
 *   SHOW BINARY LOG STATUS, SHOW BINLOG STATUS, SHOW BINARY LOGS, SHOW MASTER LOGS,
 *   SHOW SLAVE HOSTS, SHOW REPLICAS, SHOW REPLICA HOSTS, SHOW [ALL] SLAVE[S] STATUS,
 *   SHOW [ALL] REPLICA[S] STATUS, SHOW WARNINGS, SHOW [FULL] PROCESSLIST,
 *   SHOW BINLOG EVENTS [IN 'file'] [FROM n] [LIMIT n | LIMIT off, n | LIMIT n OFFSET off]
 *   binlogd's own: SHOW BINLOG STATISTICS [BY TABLE | BY SERVER | BY KIND] [LIKE 'pat'],
 *   SHOW BINLOG TOP TRANSACTIONS [LIMIT n], SHOW BINLOG LAG DOCTOR
 *   SHOW BINLOG WATCH (binlogd's own: the split-brain watch)
 *   SHOW BINLOG ARCHIVE (binlogd's own: the archive command's progress per file)
 *   KILL [HARD|SOFT] [CONNECTION|QUERY] [ID] n
 *   START|STOP SLAVE|REPLICA [IO_THREAD|SQL_THREAD, ...], START|STOP ALL SLAVES|REPLICAS
 *   CHANGE MASTER TO k = v, ...   /  CHANGE REPLICATION SOURCE TO k = v, ...
 *   PURGE BINARY|MASTER LOGS TO 'file' | BEFORE 'datetime'
 *   FLUSH ...  (recognised only; the rest is handed back as text)
 * Keywords are case-insensitive; whitespace, comments (slash-star, "-- ", '#'),
 * executable comments (slash-star-bang [NNNNN[N]] ... star-slash, or MariaDB's slash-star-M-bang:
 * their content counts, as in mariadbd, unless the version is newer than
 * QUERY_SERVER_VERSION_ID or, without the M, in MySQL 5.7's range 50700-99999: then the
 * whole comment is a comment), and trailing ';' are allowed. Anything else is QUERY_UNKNOWN with a reason and the byte offset where
 * recognition stopped, for a 1064-style "near '...'" error.
 *
 * All names and string values are copied, unescaped and NUL-terminated, into the
 * struct's own arena: a parsed query does not point into the input and must not be
 * copied by value (its pointers refer to its own arena).
 */
#ifndef BINLOGD_PROTOCOL_QUERY_H
#define BINLOGD_PROTOCOL_QUERY_H

#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX_ITEMS   32      /* select items, SET / CHANGE MASTER assignments */
#define QUERY_MAX_ARGS    32      /* function arguments, all functions together */
#define QUERY_ARENA_SIZE  32768   /* names and unescaped strings of one statement */
/* The MariaDB version whose dialect binlogd speaks (10.11.6, its default server_version):
 * versioned comments newer than this are skipped, as that mariadbd skips them. */
#define QUERY_SERVER_VERSION_ID 101106

enum query_kind {
    QUERY_UNKNOWN = 0,
    QUERY_EMPTY,                  /* only whitespace/comments/';': answer 1065 */
    QUERY_SELECT,
    QUERY_SET,
    QUERY_SHOW_VARIABLES,
    QUERY_SHOW_STATUS,
    QUERY_SHOW_MASTER_STATUS,
    QUERY_SHOW_BINARY_LOGS,
    QUERY_SHOW_SLAVE_HOSTS,
    QUERY_SHOW_SLAVE_STATUS,
    QUERY_SHOW_WARNINGS,
    QUERY_KILL,
    QUERY_START_SLAVE,
    QUERY_STOP_SLAVE,
    QUERY_CHANGE_MASTER,
    QUERY_PURGE_BINARY_LOGS,
    QUERY_FLUSH,
    QUERY_SHOW_BINLOG_EVENTS,     /* SHOW BINLOG EVENTS [IN 'f'] [FROM n] [LIMIT [off,] n] */
    QUERY_SHOW_BINLOG_STATISTICS, /* binlogd's: SHOW BINLOG STATISTICS [BY TABLE|SERVER|KIND] [LIKE 'p'] */
    QUERY_SHOW_BINLOG_TOP_TRX,    /* binlogd's: SHOW BINLOG TOP TRANSACTIONS [LIMIT n] */
    QUERY_SHOW_BINLOG_LAG_DOCTOR, /* binlogd's: SHOW BINLOG LAG DOCTOR */
    QUERY_SHOW_BINLOG_WATCH,      /* SHOW BINLOG WATCH: binlogd's own (the split-brain watch) */
    QUERY_SHOW_BINLOG_ARCHIVE,    /* SHOW BINLOG ARCHIVE: binlogd's own (the archive command's progress) */
    QUERY_SHOW_PROCESSLIST        /* full: SHOW FULL PROCESSLIST; keep last (QUERY_KIND_COUNT) */
};
/* How many kinds there are (arrays indexed by kind, e.g. Com_* counters). */
#define QUERY_KIND_COUNT (QUERY_SHOW_PROCESSLIST + 1)

/* SHOW BINLOG STATISTICS: which breakdown. */
enum query_stats_by { QSTATS_BY_TABLE = 0, QSTATS_BY_SERVER, QSTATS_BY_KIND };

enum query_scope {
    QSCOPE_DEFAULT = 0,           /* not given: session for SET/SHOW, either for @@var */
    QSCOPE_SESSION,               /* SESSION, LOCAL, @@session., @@local. */
    QSCOPE_GLOBAL
};

enum qval_kind {
    QVAL_NONE = 0,
    QVAL_STRING,                  /* 'text' or "text", unescaped */
    QVAL_NUMBER,                  /* as written, sign included; see is_int/u/negative */
    QVAL_NULL,
    QVAL_WORD,                    /* bare word: ON, OFF, DEFAULT, slave_pos, utf8mb4, ... */
    QVAL_SYSVAR,                  /* @@var: name without @@ and scope */
    QVAL_USERVAR,                 /* @var: name without @ */
    QVAL_FUNC                     /* name(args): args in query.args[first_arg ...] */
};

struct qval {
    enum qval_kind kind;
    enum query_scope scope;       /* QVAL_SYSVAR */
    const char *s;                /* NUL-terminated, in the arena (may hold NULs if STRING) */
    size_t len;
    int is_int;                   /* NUMBER: a whole number that fits 64 bits */
    int negative;
    uint64_t u;                   /* magnitude when is_int */
    size_t first_arg, nargs;      /* QVAL_FUNC */
};

struct query_item {               /* one SELECT list entry */
    struct qval val;
    const char *text;             /* the expression as written: the default column name */
    size_t text_len;
    const char *alias;            /* NULL if none */
    size_t alias_len;
};

enum query_assign_kind {
    QA_USERVAR = 0,               /* SET @name = val */
    QA_SYSVAR,                    /* SET [scope] name = val / @@[scope.]name = val */
    QA_NAMES,                     /* SET NAMES val [COLLATE collate] */
    QA_CHARSET,                   /* SET CHARACTER SET val */
    QA_OPTION                     /* CHANGE MASTER TO name = val */
};

struct query_assign {
    enum query_assign_kind kind;
    enum query_scope scope;
    const char *name;
    size_t name_len;
    struct qval val;
    const char *collate;          /* QA_NAMES, NULL if none */
    size_t collate_len;
};

#define QUERY_THREAD_IO  1
#define QUERY_THREAD_SQL 2

struct query {
    enum query_kind kind;
    enum query_scope scope;       /* SHOW VARIABLES/STATUS */
    const char *like;             /* SHOW ... LIKE pattern (NULL if none) */
    size_t like_len;
    int has_limit;
    uint64_t limit;               /* SELECT / SHOW BINLOG EVENTS ... LIMIT n */
    uint64_t limit_offset;        /* SHOW BINLOG EVENTS ... LIMIT off, n (0 if not given) */
    int has_from;
    uint64_t from;                /* SHOW BINLOG EVENTS ... FROM n */
    uint64_t id;                  /* KILL id */
    int kill_query;               /* KILL QUERY: stop the statement, keep the connection */
    unsigned threads;             /* START/STOP: QUERY_THREAD_* named (0 = both) */
    int all;                      /* SHOW ALL SLAVES STATUS, START/STOP ALL SLAVES */
    int full;                     /* SHOW FULL PROCESSLIST */
    enum query_stats_by stats_by; /* SHOW BINLOG STATISTICS BY ... */
    int purge_before;             /* PURGE ... BEFORE (arg = datetime) vs TO (arg = file) */
    const char *arg;              /* PURGE argument; SHOW BINLOG EVENTS IN 'file' (NULL if none) */
    size_t arg_len;
    const char *rest;             /* FLUSH: the words after FLUSH, as written */
    size_t rest_len;

    size_t nitems;
    struct query_item items[QUERY_MAX_ITEMS];
    size_t nassign;
    struct query_assign assign[QUERY_MAX_ITEMS];
    size_t nargs;
    struct qval args[QUERY_MAX_ARGS];

    const char *why;              /* QUERY_UNKNOWN: static reason */
    size_t error_pos;             /* QUERY_UNKNOWN: offset where recognition stopped */
    unsigned error_line;          /* 1-based line of error_pos */

    size_t arena_used;
    char arena[QUERY_ARENA_SIZE];
};

/* A zeroed query on the heap (about 40 KiB), or NULL. */
struct query *query_new(void);
void query_free(struct query *q);

/* Names of the enums, for logs. */
const char *query_kind_name(enum query_kind k);
const char *query_scope_name(enum query_scope s);
const char *qval_kind_name(enum qval_kind k);
const char *query_assign_kind_name(enum query_assign_kind k);
const char *query_stats_by_name(enum query_stats_by b);

/* Recognise sql[0..len) into q (previous contents discarded). Returns q->kind. */
enum query_kind query_parse(struct query *q, const char *sql, size_t len);

/* SQL LIKE: '%' any run, '_' one character (a whole UTF-8 sequence), '\' escapes the next
 * byte; ASCII letters compare case-insensitively. 1 on match, 0 otherwise. */
int query_like_match(const char *pat, size_t plen, const char *s, size_t slen);

/* ASCII case-insensitive equality of s[0..len) and the NUL-terminated lit. */
int query_name_eq(const char *s, size_t len, const char *lit);

/* CHANGE MASTER / CHANGE REPLICATION SOURCE option names: the MASTER_* name (upper case,
 * static) an option spelled the MySQL 8.0.23+ way is an alias of (SOURCE_HOST ->
 * MASTER_HOST, GET_SOURCE_PUBLIC_KEY -> GET_MASTER_PUBLIC_KEY, ...: every pair of MySQL's
 * sql_yacc.yy change_replication_source_* rules), or NULL for any other name. Case-
 * insensitive. As in MySQL 8.0, either spelling may be used with either statement and both
 * may be mixed in one. Pure. */
const char *query_source_option_alias(const char *name, size_t len);

/* A value as a boolean: numbers (non-zero), ON/OFF, TRUE/FALSE, YES/NO as words or
 * strings. 0 with *out set, or -1 if it is none of those. */
int qval_to_bool(const struct qval *v, int *out);

/* A value as an unsigned integer: a non-negative whole number, or a string holding one.
 * 0 with *out set, or -1. */
int qval_to_u64(const struct qval *v, uint64_t *out);

/* The column name a SELECT item gets: its alias, else the expression text. */
const char *query_item_name(const struct query_item *it);

#endif
