/*
 * dump_info.h - one streaming replica as monitoring sees it: a copy taken on the loop
 * thread by listener_dumps() (session_dump_info fills it), so server/ops never touches a
 * session. Plain data, no pointers into the session.
 */
#ifndef BINLOGD_SERVER_REPLICAS_DUMP_INFO_H
#define BINLOGD_SERVER_REPLICAS_DUMP_INFO_H

#include <stdint.h>

#include "protocol/event.h"

enum dump_mode { DUMP_MODE_FILE = 0, DUMP_MODE_GTID };

enum dump_activity {
    DUMP_ACT_WAITING = 0,   /* at the committed watermark, waiting for more */
    DUMP_ACT_STREAMING,     /* sending a backlog */
    DUMP_ACT_BLOCKED        /* its socket buffer is full: the replica reads slower than we send */
};

struct dump_info {
    uint32_t conn_id;
    uint32_t server_id;              /* from COM_REGISTER_SLAVE or the dump command (0: a tool) */
    char     host[256];              /* report_host from COM_REGISTER_SLAVE, else the peer's address */
    uint16_t port;                   /* report_port (0 when not registered) */
    char     user[257];              /* the account it logged in with */
    enum dump_mode mode;             /* file/position, or GTID (MariaDB slave_connect_state, MySQL auto-position) */
    int      semi_sync;
    enum dump_activity activity;
    uint64_t events_sent, bytes_sent;   /* event bytes handed to its socket by this dump */
    uint64_t semi_sync_acks;
    char     file[EV_MAX_NAME_LEN + 1];  /* where it is: end of the last event sent */
    uint64_t pos;
    uint64_t dump_age_s;             /* seconds since the dump began */
    uint64_t behind_s;               /* 0 while waiting; else seconds since it last waited at the
                                        committed watermark (since the dump began if never) */
};

const char *dump_mode_name(enum dump_mode m);
const char *dump_activity_name(enum dump_activity a);

#endif
