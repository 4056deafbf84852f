/* errmsg.c - error codes, SQLSTATEs and the servers' exact wordings. */
#include "protocol/errmsg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char same_id_text[] =
    "A slave with the same server_uuid/server_id as this slave has connected to the master";

struct myerr_def {
    uint16_t code;
    const char *name;
    const char *sqlstate;
    const char *text;      /* MariaDB's format string, for reference and myerr_plain() */
};

static const struct myerr_def defs[] = {
    { MYERR_CON_COUNT, "ER_CON_COUNT_ERROR", "08004", "Too many connections" },
    { MYERR_HANDSHAKE, "ER_HANDSHAKE_ERROR", "08S01", "Bad handshake" },
    { MYERR_DBACCESS_DENIED, "ER_DBACCESS_DENIED_ERROR", "42000",
      "Access denied for user '%s'@'%s' to database '%-.192s'" },
    { MYERR_ACCESS_DENIED, "ER_ACCESS_DENIED_ERROR", "28000",
      "Access denied for user '%s'@'%s' (using password: %s)" },
    { MYERR_UNKNOWN_COM, "ER_UNKNOWN_COM_ERROR", "08S01", "Unknown command" },
    { MYERR_SERVER_SHUTDOWN, "ER_SERVER_SHUTDOWN", "08S01", "Server shutdown in progress" },
    { MYERR_PARSE, "ER_PARSE_ERROR", "42000", "%s near '%-.80T' at line %d" },
    { MYERR_EMPTY_QUERY, "ER_EMPTY_QUERY", "42000", "Query was empty" },
    { MYERR_NO_SUCH_THREAD, "ER_NO_SUCH_THREAD", "HY000", "Unknown thread id: %lu" },
    { MYERR_UNKNOWN, "ER_UNKNOWN_ERROR", "HY000", "Unknown error" },
    { MYERR_NET_PACKET_TOO_LARGE, "ER_NET_PACKET_TOO_LARGE", "08S01",
      "Got a packet bigger than 'max_allowed_packet' bytes" },
    { MYERR_UNKNOWN_SYSTEM_VARIABLE, "ER_UNKNOWN_SYSTEM_VARIABLE", "HY000",
      "Unknown system variable '%-.*s'" },
    { MYERR_SPECIFIC_ACCESS_DENIED, "ER_SPECIFIC_ACCESS_DENIED_ERROR", "42000",
      "Access denied; you need (at least one of) the %-.128s privilege(s) for this operation" },
    { MYERR_NOT_SUPPORTED_YET, "ER_NOT_SUPPORTED_YET", "42000",
      "This version of MariaDB doesn't yet support '%s'" },
    { MYERR_MASTER_FATAL_READING_BINLOG, "ER_MASTER_FATAL_ERROR_READING_BINLOG", "HY000",
      "Got fatal error %d from master when reading data from binary log: '%-.320s'" },
    { MYERR_NOT_SUPPORTED_AUTH_MODE, "ER_NOT_SUPPORTED_AUTH_MODE", "08004",
      "Client does not support authentication protocol requested by server; "
      "consider upgrading MariaDB client" },
    { MYERR_NO_BINARY_LOGGING, "ER_NO_BINARY_LOGGING", "HY000", "You are not using binary logging" },
    { MYERR_MALFORMED_PACKET, "ER_MALFORMED_PACKET", "HY000", "Malformed communication packet" },
    /* MariaDB 11.x (MDEV-30178) and MySQL: sent before authentication. SQLSTATE as clients
     * see it (MDEV-30178's test result, MySQL's clients): HY000. */
    { MYERR_SECURE_TRANSPORT_REQUIRED, "ER_SECURE_TRANSPORT_REQUIRED", "HY000",
      "Connections using insecure transport are prohibited while --require_secure_transport=ON." },
    { MYERR_SLAVE_SAME_ID, "ER_SLAVE_SAME_ID", "HY000", same_id_text },
};

/* ER_SYNTAX_ERROR's text, which ER_PARSE_ERROR's %s receives. */
static const char syntax_text[] =
    "You have an error in your SQL syntax; check the manual that corresponds to your "
    "MariaDB server version for the right syntax to use";

static const struct myerr_def *find(uint16_t code)
{
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        if (defs[i].code == code) return &defs[i];
    return NULL;
}

const char *myerr_name(uint16_t code)
{
    const struct myerr_def *d = find(code);
    return d ? d->name : "ER_?";
}

const char *myerr_sqlstate(uint16_t code)
{
    const struct myerr_def *d = find(code);
    return d ? d->sqlstate : "HY000";
}

static void start(struct myerr *e, uint16_t code)
{
    e->code = code;
    memcpy(e->sqlstate, myerr_sqlstate(code), 6);
    e->msg[0] = 0;
}

static void vfill(struct myerr *e, const char *fmt, va_list ap)
{
    /* Truncation is wanted: the wire message is bounded like the server's. */
    int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    if (n < 0) e->msg[0] = 0;
}

__attribute__((format(printf, 2, 3)))
static void fill(struct myerr *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfill(e, fmt, ap);
    va_end(ap);
}

void myerr_plain(struct myerr *e, uint16_t code)
{
    const struct myerr_def *d = find(code);
    start(e, code);
    fill(e, "%s", d ? d->text : "Unknown error");
}

void myerr_custom(struct myerr *e, uint16_t code, const char *fmt, ...)
{
    va_list ap;
    start(e, code);
    va_start(ap, fmt);
    vfill(e, fmt, ap);
    va_end(ap);
}

void myerr_access_denied(struct myerr *e, const char *user, const char *host, int using_password)
{
    start(e, MYERR_ACCESS_DENIED);
    fill(e, "Access denied for user '%s'@'%s' (using password: %s)", user, host,
         using_password ? "YES" : "NO");
}

void myerr_dbaccess_denied(struct myerr *e, const char *user, const char *host, const char *db)
{
    start(e, MYERR_DBACCESS_DENIED);
    fill(e, "Access denied for user '%s'@'%s' to database '%.192s'", user, host, db);
}

void myerr_parse(struct myerr *e, const char *near, size_t near_len, unsigned line)
{
    /* MariaDB's %-.80T: at most 80 bytes, the last three replaced by "..." when cut;
     * never split a UTF-8 sequence. */
    char buf[81];
    size_t n = near_len;
    if (n > 80) {
        n = 77;
        while (n > 0 && ((unsigned char)near[n] & 0xC0) == 0x80) n--;
        memcpy(buf, near, n);
        memcpy(buf + n, "...", 4);
    } else {
        memcpy(buf, near, n);
        buf[n] = 0;
    }
    start(e, MYERR_PARSE);
    fill(e, "%s near '%s' at line %u", syntax_text, buf, line);
}

void myerr_unknown_sysvar(struct myerr *e, const char *name, size_t name_len)
{
    start(e, MYERR_UNKNOWN_SYSTEM_VARIABLE);
    if (name_len > 256) name_len = 256;
    fill(e, "Unknown system variable '%.*s'", (int)name_len, name);
}

void myerr_no_such_thread(struct myerr *e, unsigned long id)
{
    start(e, MYERR_NO_SUCH_THREAD);
    fill(e, "Unknown thread id: %lu", id);
}

void myerr_specific_access_denied(struct myerr *e, const char *privs)
{
    start(e, MYERR_SPECIFIC_ACCESS_DENIED);
    fill(e, "Access denied; you need (at least one of) the %.128s privilege(s) for this operation",
         privs);
}

void myerr_not_supported_yet(struct myerr *e, const char *what)
{
    start(e, MYERR_NOT_SUPPORTED_YET);
    fill(e, "This version of MariaDB doesn't yet support '%s'", what);
}

static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path ? path : "";
}

void myerr_binlog_impossible_position(struct myerr *e, const char *file, uint64_t pos)
{
    const char *f = base_name(file);
    start(e, MYERR_MASTER_FATAL_READING_BINLOG);
    /* check_start_offset() reports 4 as both "last" positions: nothing was read yet. */
    fill(e, "Client requested master to start replication from impossible position; "
            "the first event '%s' at %" PRIu64 ", the last event read from '%s' at 4, "
            "the last byte read from '%s' at 4.", f, pos, f, f);
}

void myerr_binlog_read_failed(struct myerr *e, uint16_t code, const char *what,
                              const char *start_file, uint64_t start_pos,
                              const char *cur_file, uint64_t last_pos, uint64_t byte_pos)
{
    const char *cf = base_name(cur_file);
    start(e, code);
    if (!what) what = code == MYERR_SLAVE_SAME_ID ? same_id_text : "Unknown error";
    fill(e, "%s; the first event '%s' at %" PRIu64 ", the last event read from '%s' at %" PRIu64
            ", the last byte read from '%s' at %" PRIu64 ".",
         what, base_name(start_file), start_pos, cf, last_pos, cf, byte_pos);
}

const char *myerr_read_error_text(enum myerr_read_error why)
{
    switch (why) {
    case MYERR_READ_BOGUS: return "bogus data in log event";
    case MYERR_READ_IO: return "I/O error reading log event";
    case MYERR_READ_TRUNC: return "binlog truncated in the middle of event; consider out of disk space on master";
    case MYERR_READ_CHECKSUM: return "event read from binlog did not pass crc check";
    }
    return "unknown error reading log event on the master";
}

void myerr_binlog_first_file_missing(struct myerr *e)
{
    start(e, MYERR_MASTER_FATAL_READING_BINLOG);
    fill(e, "Could not find first log file name in binary log index file");
}

void myerr_binlog_not_open(struct myerr *e)
{
    start(e, MYERR_MASTER_FATAL_READING_BINLOG);
    fill(e, "Binary log is not open");
}

void myerr_gtid_not_in_binlog(struct myerr *e, uint32_t domain, uint32_t server, uint64_t seq,
                              int diverged)
{
    start(e, MYERR_MASTER_FATAL_READING_BINLOG);
    fill(e, "Error: connecting slave requested to start from GTID %" PRIu32 "-%" PRIu32 "-%" PRIu64
            ", which is not in the master's binlog%s", domain, server, seq,
         diverged ? ". Since the master's binlog contains GTIDs with higher sequence numbers, "
                    "it probably means that the slave has diverged due to executing extra "
                    "erroneous transactions" : "");
}

void myerr_gtid_binlog_hole(struct myerr *e, uint32_t domain, uint32_t server, uint64_t seq)
{
    start(e, MYERR_MASTER_FATAL_READING_BINLOG);
    fill(e, "The binlog on the master is missing the GTID %" PRIu32 "-%" PRIu32 "-%" PRIu64
            " requested by the slave (even though both a prior and a subsequent sequence number "
            "does exist), and GTID strict mode is enabled", domain, server, seq);
}

void myerr_slave_same_id(struct myerr *e)
{
    myerr_plain(e, MYERR_SLAVE_SAME_ID);
}
