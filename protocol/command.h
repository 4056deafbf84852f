/*
 * command.h - decoding the command packets a client sends once authenticated
 * (PROTOCOL.md 2.1-2.3, 3, 5.3): COM_QUERY, COM_PING, COM_STATISTICS, COM_QUIT, COM_INIT_DB,
 * COM_PROCESS_KILL, COM_REGISTER_SLAVE, COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID and the
 * semi-sync ACK (0xEF) a replica sends on its dump connection.
 *
 * Every length inside a packet is hostile; nothing is read outside (p, len). Strings are
 * returned as pointers into the packet (not NUL-terminated) unless a struct says it
 * holds a copy. Unknown command bytes decode to CMD_UNKNOWN (the caller answers ERR 1047).
 */
#ifndef BINLOGD_PROTOCOL_COMMAND_H
#define BINLOGD_PROTOCOL_COMMAND_H

#include <stddef.h>
#include <stdint.h>

/* Command bytes (COM_* in mysql_com.h, renamed to stay clear of that header's enum). */
#define CMD_CODE_QUIT             0x01
#define CMD_CODE_INIT_DB          0x02
#define CMD_CODE_QUERY            0x03
#define CMD_CODE_STATISTICS       0x09
#define CMD_CODE_PROCESS_KILL     0x0C
#define CMD_CODE_PING             0x0E
#define CMD_CODE_BINLOG_DUMP      0x12
#define CMD_CODE_REGISTER_SLAVE   0x15
#define CMD_CODE_BINLOG_DUMP_GTID 0x1E
#define CMD_CODE_SEMI_SYNC_ACK    0xEF

/* COM_BINLOG_DUMP flags. 0x02 means ANNOTATE_ROWS to a MariaDB replica (one that set
 * @mariadb_slave_capability) and USE_HEARTBEAT_EVENT_V2 to a MySQL one. */
#define CMD_DUMP_NON_BLOCK        0x0001
#define CMD_DUMP_SEND_ANNOTATE    0x0002
#define CMD_DUMP_HEARTBEAT_V2     0x0002
#define CMD_DUMP_THROUGH_GTID     0x0004

/* Longest binlog file name accepted anywhere (mysqld's FN_REFLEN - 1). */
#define CMD_NAME_MAX 511
/* COM_REGISTER_SLAVE strings (MariaDB's Slave_info buffers are of this order). */
#define CMD_REPORT_MAX 255

enum cmd_type {
    CMD_UNKNOWN = 0,
    CMD_QUIT,
    CMD_INIT_DB,
    CMD_QUERY,
    CMD_PROCESS_KILL,
    CMD_PING,
    CMD_BINLOG_DUMP,
    CMD_REGISTER_SLAVE,
    CMD_BINLOG_DUMP_GTID,
    CMD_SEMI_SYNC_ACK,
    CMD_STATISTICS                        /* mariadb-admin status: one raw text packet back */
};

struct cmd_register_slave {
    uint32_t server_id;
    char host[CMD_REPORT_MAX + 1];       /* copies, NUL-terminated; empty if not reported */
    char user[CMD_REPORT_MAX + 1];
    char password[CMD_REPORT_MAX + 1];
    uint16_t port;
    uint32_t rank;                        /* obsolete rpl_recovery_rank */
    uint32_t master_id;                   /* 0: the primary fills in its own server_id */
};

struct cmd_binlog_dump {
    uint32_t pos;
    uint16_t flags;
    uint32_t server_id;                   /* 0 behaves like CMD_DUMP_NON_BLOCK */
    const char *name;                     /* up to the first NUL; may be empty = first file */
    size_t name_len;
};

struct cmd_binlog_dump_gtid {
    uint16_t flags;
    uint32_t server_id;
    const char *name;                     /* usually empty with auto-position */
    size_t name_len;
    uint64_t pos;
    const uint8_t *gtid_data;             /* encoded GTID set (gtid_mysql_set_decode) */
    size_t gtid_data_len;
};

struct cmd_semi_sync_ack {
    uint64_t pos;                         /* end of the acknowledged event */
    const char *name;
    size_t name_len;
};

struct cmd {
    enum cmd_type type;
    uint8_t code;                         /* the command byte as received */
    union {
        struct { const char *text; size_t len; } query;    /* CMD_QUERY */
        struct { const char *name; size_t len; } init_db;  /* CMD_INIT_DB */
        uint32_t kill_id;                                   /* CMD_PROCESS_KILL */
        struct cmd_register_slave reg;
        struct cmd_binlog_dump dump;
        struct cmd_binlog_dump_gtid dump_gtid;
        struct cmd_semi_sync_ack ack;
    } u;
};

/* "COM_QUERY", ..., for logs. */
const char *cmd_type_name(enum cmd_type t);

/* Decode one command payload. 0 on success (CMD_UNKNOWN included), -1 if the packet is
 * empty or a known command is malformed; *why (may be NULL) then gets a static message
 * fit for the ERR packet (MariaDB's wording where it has one). */
int cmd_parse(const uint8_t *p, size_t len, struct cmd *out, const char **why);

/* Check a requested binlog file name: at most CMD_NAME_MAX bytes, no '/', no NUL, no
 * control bytes, not "." and no "..". An empty name passes (it means the first file; the
 * caller decides). 0 or -1 with *why. */
int cmd_binlog_name_check(const char *name, size_t len, const char **why);

#endif
