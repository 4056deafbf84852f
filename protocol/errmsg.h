/*
 * errmsg.h - the MySQL/MariaDB errors binlogd sends, with the server's exact codes,
 * SQLSTATEs and wordings (MariaDB 10.11 sql/share/errmsg-utf8.txt and sql_repl.cc).
 *
 * Replicas act on the code (1236 stops them for good, most others make them reconnect,
 * 1193 puts them on a tolerant path), and people grep for the text, so both matter.
 * Each formatter fills a struct myerr that reply_err_myerr() (reply.h) sends.
 */
#ifndef BINLOGD_PROTOCOL_ERRMSG_H
#define BINLOGD_PROTOCOL_ERRMSG_H

#include <stddef.h>
#include <stdint.h>

/* MYSQL_ERRMSG_SIZE: servers never send a longer message. */
#define MYERR_MSG_MAX 512

enum myerr_code {
    MYERR_CON_COUNT = 1040,                 /* 08004 Too many connections */
    MYERR_HANDSHAKE = 1043,                 /* 08S01 Bad handshake */
    MYERR_DBACCESS_DENIED = 1044,           /* 42000 */
    MYERR_ACCESS_DENIED = 1045,             /* 28000 */
    MYERR_UNKNOWN_COM = 1047,               /* 08S01 Unknown command */
    MYERR_SERVER_SHUTDOWN = 1053,           /* 08S01 */
    MYERR_PARSE = 1064,                     /* 42000 syntax error */
    MYERR_EMPTY_QUERY = 1065,               /* 42000 */
    MYERR_NO_SUCH_THREAD = 1094,            /* HY000 */
    MYERR_UNKNOWN = 1105,                   /* HY000, carries a free-form message */
    MYERR_NET_PACKET_TOO_LARGE = 1153,      /* 08S01 */
    MYERR_UNKNOWN_SYSTEM_VARIABLE = 1193,   /* HY000 */
    MYERR_SPECIFIC_ACCESS_DENIED = 1227,    /* 42000 */
    MYERR_NOT_SUPPORTED_YET = 1235,         /* 42000 */
    MYERR_MASTER_FATAL_READING_BINLOG = 1236, /* HY000: replicas stop, no retry */
    MYERR_NOT_SUPPORTED_AUTH_MODE = 1251,   /* 08004 */
    MYERR_NO_BINARY_LOGGING = 1381,         /* HY000 */
    MYERR_MALFORMED_PACKET = 1835,          /* HY000 */
    MYERR_SECURE_TRANSPORT_REQUIRED = 3159, /* HY000 plaintext login while TLS is required */
    MYERR_SLAVE_SAME_ID = 4052              /* HY000 */
};

struct myerr {
    uint16_t code;
    char sqlstate[6];          /* 5 chars + NUL */
    char msg[MYERR_MSG_MAX];   /* NUL-terminated, truncated to fit */
};

/* Symbolic name for logs ("ER_ACCESS_DENIED_ERROR"), "ER_?" if not in the table. */
const char *myerr_name(uint16_t code);

/* SQLSTATE of a code: the table's, or "HY000" (the servers' default). */
const char *myerr_sqlstate(uint16_t code);

/* Any code with the server's own text for it (codes without % arguments only; others
 * get their format string verbatim, so use the typed formatters below for them). */
void myerr_plain(struct myerr *e, uint16_t code);

/* Any code with a caller-written message; the SQLSTATE comes from the table. */
void myerr_custom(struct myerr *e, uint16_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1045 "Access denied for user 'u'@'h' (using password: YES|NO)". */
void myerr_access_denied(struct myerr *e, const char *user, const char *host, int using_password);

/* 1044 "Access denied for user 'u'@'h' to database 'db'". */
void myerr_dbaccess_denied(struct myerr *e, const char *user, const char *host, const char *db);

/* 1064 with the statement text from the failing point (truncated to 80 bytes with
 * "..." as MariaDB's %T does) and its 1-based line. */
void myerr_parse(struct myerr *e, const char *near, size_t near_len, unsigned line);

/* 1193 "Unknown system variable 'name'". */
void myerr_unknown_sysvar(struct myerr *e, const char *name, size_t name_len);

/* 1094 "Unknown thread id: N". */
void myerr_no_such_thread(struct myerr *e, unsigned long id);

/* 1227 "Access denied; you need (at least one of) the PRIV privilege(s) for this operation". */
void myerr_specific_access_denied(struct myerr *e, const char *privs);

/* 1235 "This version of MariaDB doesn't yet support 'what'". */
void myerr_not_supported_yet(struct myerr *e, const char *what);

/* 1236, MariaDB check_start_offset(): pos < 4 or past the end of `file`. The file name
 * is reduced to its base name as the server does. */
void myerr_binlog_impossible_position(struct myerr *e, const char *file, uint64_t pos);

/* The MariaDB end-of-dump form used once a file is open: "<what>; the first event 'f' at
 * N, the last event read from 'f' at N, the last byte read from 'f' at N." with base
 * names. code is 1236, or 4052 when a newer dump of the same server_id replaced this one
 * (what = NULL then uses the server's 4052 text). */
void myerr_binlog_read_failed(struct myerr *e, uint16_t code, const char *what,
                              const char *start_file, uint64_t start_pos,
                              const char *cur_file, uint64_t last_pos, uint64_t byte_pos);

/* Why reading a stored event failed, in MariaDB's words (sql_repl.cc set_read_error(), the
 * LOG_READ_* cases); the text is the `what` of myerr_binlog_read_failed. */
enum myerr_read_error {
    MYERR_READ_BOGUS,      /* "bogus data in log event" */
    MYERR_READ_IO,         /* "I/O error reading log event" */
    MYERR_READ_TRUNC,      /* "binlog truncated in the middle of event; consider out of disk space on master" */
    MYERR_READ_CHECKSUM    /* "event read from binlog did not pass crc check" */
};

/* The server's text for why (a static string); any thread. */
const char *myerr_read_error_text(enum myerr_read_error why);

/* 1236 "Could not find first log file name in binary log index file". */
void myerr_binlog_first_file_missing(struct myerr *e);

/* 1236 "Binary log is not open". */
void myerr_binlog_not_open(struct myerr *e);

/* 1236, GTID start position not in the binlog (MariaDB sends these texts under 1236):
 * diverged = 0: "Error: connecting slave requested to start from GTID d-s-n, which is
 * not in the master's binlog"; diverged = 1 adds the "higher sequence numbers" sentence. */
void myerr_gtid_not_in_binlog(struct myerr *e, uint32_t domain, uint32_t server, uint64_t seq,
                              int diverged);

/* 1236, strict mode hole: "The binlog on the master is missing the GTID d-s-n requested
 * by the slave (even though both a prior and a subsequent sequence number does exist),
 * and GTID strict mode is enabled". */
void myerr_gtid_binlog_hole(struct myerr *e, uint32_t domain, uint32_t server, uint64_t seq);

/* 4052 before any file was opened: "A slave with the same server_uuid/server_id as this
 * slave has connected to the master" (MariaDB kill_zombie_dump_threads). */
void myerr_slave_same_id(struct myerr *e);

#endif
