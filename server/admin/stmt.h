/*
 * stmt.h - what a statement answers and what it may see.
 *
 * Statements (sql.c, replctl.c) never write to a socket: they fill a struct stmt_result
 * (OK, ERR, a text result set, or "answer later") that the caller serialises, so a
 * statement can be run by a session, by the metrics code, or by a cmocka test alike.
 * What a statement needs from the wings above it (the replica table, KILL, the listener's
 * counters) comes in through struct stmt_ctx as function pointers the caller fills, so
 * server/admin/ includes nothing from server/replicas/.
 *
 * Thread: whoever owns the result (the loop thread for sessions).
 */
#ifndef BINLOGD_SERVER_ADMIN_STMT_H
#define BINLOGD_SERVER_ADMIN_STMT_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "protocol/errmsg.h"

struct store;
struct ingest;
struct traffic;
struct uservars;
struct watch;
struct archive_state;

/* A result set has at most this many columns (protocol/reply.c's limit). */
#define STMT_MAX_COLS 64

enum stmt_kind {
    STMT_OK = 0,     /* OK packet with affected_rows */
    STMT_ERR,        /* ERR packet: err */
    STMT_ROWS,       /* text result set: names, rows */
    STMT_LATER       /* not answered yet: poll `later`, then OK (or its timeout error) */
};

/* "Answer later": a statement whose effect happens on another thread (STOP SLAVE waits
 * for the ingest thread to park) must not block the event loop. The caller polls
 * ready(arg) every interval_ms; at 1 it answers OK, after timeout_ms it answers
 * timeout_err. ready() is called on the caller's thread and must not block. */
struct stmt_later {
    int (*ready)(void *arg);
    void *arg;
    uint32_t interval_ms, timeout_ms;
    struct myerr timeout_err;
};

/* How a column is typed on the wire (text unless a statement says otherwise): mariadbd
 * types some columns as numbers (PROCESSLIST's Id, Time, Progress), and clients that map
 * types (connectors, exporters) then get numbers too. */
enum stmt_col_type { STMT_COL_TEXT = 0, STMT_COL_LONGLONG, STMT_COL_LONG, STMT_COL_DOUBLE };

struct stmt_result {
    enum stmt_kind kind;
    int close_after;             /* end the connection once the answer is out (KILL of itself) */
    int com;                     /* which statement ran (protocol's enum query_kind), for Com_* */
    int oom;                     /* building the rows ran out of memory: answer 1037 instead */
    int err_after_columns;       /* STMT_ERR sent after the column definitions (stmt_late_err) */
    uint64_t affected_rows;
    struct myerr err;
    struct stmt_later later;
    /* STMT_ROWS: column names and ncols * nrows cells, row by row, all in `text` */
    size_t ncols, nrows;
    size_t name_off[STMT_MAX_COLS];
    uint8_t col_type[STMT_MAX_COLS];   /* enum stmt_col_type; all text after stmt_columns */
    size_t *cell_off;            /* SIZE_MAX = SQL NULL */
    size_t cap_cells;
    char *text;
    size_t text_len, text_cap;
    /* Notes and warnings (SHOW WARNINGS after it; the OK packet counts them): owned. */
    struct stmt_warning *warn;
    size_t nwarn;
};

/* One row of SHOW WARNINGS. */
struct stmt_warning {
    const char *level;           /* "Note" | "Warning" | "Error" (static) */
    uint16_t code;
    char msg[MYERR_MSG_MAX];
};

/* The statement kinds of PURGE BINARY LOGS, for struct stmt_ctx's purge. */
enum stmt_purge_kind { STMT_PURGE_TO = 0, STMT_PURGE_BEFORE };

/* A registered replica, for SHOW SLAVE HOSTS. */
struct stmt_replica {
    uint32_t server_id;
    uint16_t port;
    char host[256];
};

/* A named counter for SHOW STATUS (name: a static string). */
struct stmt_counter {
    const char *name;
    uint64_t value;
};

/* A connection, for SHOW PROCESSLIST. The strings belong to the wing above and stay valid
 * until the statement returns (sessions live on the loop thread that runs it). */
struct stmt_thread {
    uint32_t id;
    const char *user;            /* "" before authentication */
    const char *host;            /* "ip:port" of the peer */
    const char *command;         /* mariadbd's command name: Sleep, Connect, Query, Binlog Dump */
    const char *state;           /* its state text; NULL = SQL NULL */
    uint64_t time;               /* seconds in the current command / state */
    const char *info;            /* the statement it runs (Info), info_len bytes; NULL = SQL NULL */
    size_t info_len;
};

enum stmt_kill_outcome {
    STMT_KILL_NOT_FOUND = 0,     /* no such connection, or one the caller may not see */
    STMT_KILL_DONE,              /* another connection was killed */
    STMT_KILL_SELF               /* the caller named itself: the statement ends it */
};

/* What a statement may see. The caller fills every field; function pointers may be NULL
 * (then the statement answers as if the table were empty / nothing matched). */
struct stmt_ctx {
    const struct config *cfg;
    struct store *store;
    struct ingest *ingest;               /* NULL: no upstream session */
    struct traffic *traffic;             /* traffic statistics (server/upstream/traffic.h); NULL: off */
    struct watch *watch;                 /* the split-brain watch (SHOW BINLOG WATCH); NULL: none */
    struct archive_state *archive;       /* the archiver's state (SHOW BINLOG ARCHIVE); NULL: none */
    /* the client that runs the statement */
    uint32_t conn_id;
    const char *user;
    const char *peer_host;
    int is_admin;                        /* account role admin */
    int is_monitor;                      /* account role monitor: reads only */
    const char *ssl_cipher, *ssl_version;   /* the connection's TLS (NULL or "": plaintext) */
    struct uservars *vars;               /* its @variables (SET @x / SELECT @x) */
    /* from the wing above; `up` is passed back to each */
    void *up;
    /* Fill out[0..cap) with registered replicas; return how many there are in all. */
    size_t (*replicas)(void *up, struct stmt_replica *out, size_t cap);
    /* Fill out[0..cap) with counters; return how many there are in all. */
    size_t (*counters)(void *up, struct stmt_counter *out, size_t cap);
    /* Fill out[0..cap) with every connection (the caller's included); return how many
     * there are in all. */
    size_t (*threads)(void *up, struct stmt_thread *out, size_t cap);
    /* Kill connection conn_id on behalf of the client `by` describes (an admin may kill
     * any connection, others only their own user's). Never kills `by` itself: it returns
     * STMT_KILL_SELF and the statement ends the connection through its answer. */
    enum stmt_kill_outcome (*kill)(void *up, uint32_t conn_id, const struct stmt_ctx *by);
    /* The last statement's notes and warnings, for SHOW WARNINGS (NULL / 0: none). */
    const struct stmt_warning *last_warn;
    size_t last_nwarn;
    /* PURGE BINARY LOGS TO `to` / BEFORE `before` (unix seconds), for an admin: fills r (OK
     * with notes for the files kept, or ERR). NULL: retention is not available here. The
     * retention (server/ops/retention.c) supplies it through the wing above. */
    void (*purge)(void *purge_arg, enum stmt_purge_kind kind, const char *to, int64_t before, struct stmt_result *r);
    void *purge_arg;
};

/* An empty result (kind OK, no rows). Owns nothing until rows are added. */
void stmt_result_init(struct stmt_result *r);

/* Free what the result owns and make it empty again. */
void stmt_result_free(struct stmt_result *r);

/* OK with `affected` rows. */
void stmt_ok(struct stmt_result *r, uint64_t affected);

/* Add a note/warning row (level "Note" or "Warning"); on ENOMEM it is dropped. */
void stmt_warnf(struct stmt_result *r, const char *level, uint16_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ERR from a formatted error. */
void stmt_err(struct stmt_result *r, const struct myerr *e);

/* ERR `code` with a caller-written message (SQLSTATE from the table). */
void stmt_errf(struct stmt_result *r, uint16_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A result set that fails once its columns are known: the ERR follows the column
 * definitions on the wire, as mariadbd sends it when a statement fails after its metadata
 * went out (SHOW BINLOG EVENTS). Rows added so far are dropped. */
void stmt_late_errf(struct stmt_result *r, uint16_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Start a result set with ncols columns (names copied). 0, or -1 (too many columns or
 * out of memory: r->oom set). */
int stmt_columns(struct stmt_result *r, const char *const *names, size_t ncols);

/* Type column col of the result set (after stmt_columns; ignored out of range). */
void stmt_column_type(struct stmt_result *r, size_t col, enum stmt_col_type t);

/* Append one row of ncols cells (copied; NULL = SQL NULL). 0, or -1 with r->oom set. */
int stmt_row(struct stmt_result *r, const char *const *cells);

/* Answer later (see struct stmt_later). */
void stmt_later(struct stmt_result *r, int (*ready)(void *arg), void *arg, uint32_t interval_ms,
                uint32_t timeout_ms, const struct myerr *timeout_err);

/* Read back a result set: column name / cell (NULL for SQL NULL). */
const char *stmt_name(const struct stmt_result *r, size_t col);
const char *stmt_cell(const struct stmt_result *r, size_t row, size_t col);

const char *stmt_kind_name(enum stmt_kind k);
const char *stmt_col_type_name(enum stmt_col_type t);

#endif
