/*
 * reply.h - server replies in the classic text protocol (no CLIENT_DEPRECATE_EOF):
 * OK, ERR, EOF, and text resultsets (column count, ColumnDefinition41 x n, EOF, rows,
 * EOF), PROTOCOL.md 5.3/5.4.
 *
 * Every builder appends one or more complete framed packets to a bbuf, using *seq for the
 * first and advancing it, so a reply is a run of calls sharing one seq variable. They
 * return 0, or -1 once the bbuf has failed (nothing useful was appended then).
 */
#ifndef BINLOGD_PROTOCOL_REPLY_H
#define BINLOGD_PROTOCOL_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"
#include "protocol/errmsg.h"

/* Server status bits (u16 in OK and EOF). */
#define REPLY_STATUS_AUTOCOMMIT 0x0002

/* Column types and flags used in our resultsets. */
#define COL_TYPE_LONG       0x03
#define COL_TYPE_DOUBLE     0x05
#define COL_TYPE_LONGLONG   0x08
#define COL_TYPE_VAR_STRING 0xFD
#define COL_FLAG_NOT_NULL   0x0001
#define COL_FLAG_UNSIGNED   0x0020
#define COL_FLAG_BINARY     0x0080

/* Character set ids. */
#define CHARSET_UTF8MB4_GENERAL_CI 45
#define CHARSET_BINARY             63

struct reply_col {
    const char *name;
    uint8_t type;       /* COL_TYPE_* */
    uint16_t charset;
    uint32_t length;    /* display length in bytes */
    uint16_t flags;
    uint8_t decimals;
};

/* A text column (VAR_STRING, utf8mb4) / an integer column (LONGLONG, binary), named `name`
 * (the pointer is kept, not copied). Replicas read only the values, so this is enough. */
struct reply_col reply_col_text(const char *name);
struct reply_col reply_col_int(const char *name);
/* A 32-bit integer column (LONG, display length 7, as PROCESSLIST's Time) and a DOUBLE with
 * `decimals` decimals (as PROCESSLIST's Progress, 3), both binary charset. */
struct reply_col reply_col_long(const char *name);
struct reply_col reply_col_double(const char *name, uint8_t decimals);

/* OK: 00 | lenenc affected | lenenc insert_id | u16 status | u16 warnings. */
int reply_ok(struct bbuf *b, uint8_t *seq, uint64_t affected_rows, uint64_t last_insert_id,
             uint16_t status, uint16_t warnings);

/* ERR: FF | u16 code | '#' | sqlstate(5) | msg. sqlstate NULL means the table's
 * (myerr_sqlstate); a sqlstate not 5 characters long is replaced by HY000. */
int reply_err(struct bbuf *b, uint8_t *seq, uint16_t code, const char *sqlstate, const char *msg);

/* ERR from a formatted struct myerr. */
int reply_err_myerr(struct bbuf *b, uint8_t *seq, const struct myerr *e);

/* EOF: FE | u16 warnings | u16 status. Also ends a binlog dump (non-blocking mode). */
int reply_eof(struct bbuf *b, uint8_t *seq, uint16_t warnings, uint16_t status);

/* Resultset pieces: column count; one ColumnDefinition41; one text row whose cells are
 * strings (lens NULL: NUL-terminated; else lens[i] bytes) or NULL for SQL NULL. */
int reply_column_count(struct bbuf *b, uint8_t *seq, uint64_t ncols);
int reply_column_def(struct bbuf *b, uint8_t *seq, const struct reply_col *c);
int reply_row(struct bbuf *b, uint8_t *seq, const char *const *cells, const size_t *lens, size_t n);

/* A complete resultset: count, definitions, EOF, nrows rows of ncols cells taken row by
 * row from cells[] (NULL cell = SQL NULL), EOF with `status`. */
int reply_resultset(struct bbuf *b, uint8_t *seq, const struct reply_col *cols, size_t ncols,
                    const char *const *cells, size_t nrows, uint16_t status);

/* The common case: text columns named names[0..ncols), rows of strings, status
 * AUTOCOMMIT, starting at sequence id `seq`. Returns the sequence id that follows
 * (0..255), or -1 on failure. At most 64 columns. */
int reply_text_result(struct bbuf *b, uint8_t seq, const char *const *names, size_t ncols,
                      const char *const *cells, size_t nrows);

/* What COM_STATISTICS reports (mariadbd's fields; the caller fills what it tracks, 0 else). */
struct reply_stats {
    uint64_t uptime;          /* seconds */
    uint64_t threads;
    uint64_t questions;
    uint64_t slow_queries;
    uint64_t opens;
    uint64_t open_tables;
};

/* mariadbd's COM_STATISTICS text, two spaces between fields and no "Flush tables" (that is
 * MySQL's), e.g. "Uptime: 633  Threads: 5  Questions: 440  Slow queries: 1  Opens: 23  Open
 * tables: 17  Queries per second avg: 0.695" (questions * 1000 / uptime, truncated; 0 when
 * uptime is 0). mariadb-admin version splits it at the first blank after "Uptime:", so the
 * text always starts "Uptime: <n>  ". Written into buf (NUL-terminated, cut at cap - 1, and
 * never longer than mariadbd's 249 characters); returns its length. */
size_t reply_statistics_text(const struct reply_stats *st, char *buf, size_t cap);

/* The COM_STATISTICS reply: ONE raw packet holding that text, no OK/ERR header byte and
 * nothing after it (the client reads it as a bare string). */
int reply_statistics(struct bbuf *b, uint8_t *seq, const struct reply_stats *st);

#endif
