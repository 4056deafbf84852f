/*
 * binlog_watch.h - SHOW BINLOG WATCH, binlogd's own statement: one row per server the
 * split-brain watch polls (server/upstream/watch.h), the current upstream last.
 * Columns: Server, Server_id, Reachable, Last_poll_seconds_ago, Gtid_state, Verdict, Reason.
 * Any role may run it (it only reads). No rows while the watch is off.
 * Thread: the caller's (the loop thread for sessions); reads a snapshot, never waits on a poll.
 */
#ifndef BINLOGD_SERVER_ADMIN_BINLOG_WATCH_H
#define BINLOGD_SERVER_ADMIN_BINLOG_WATCH_H

#include "server/admin/stmt.h"

/* Fill r (initialised by the caller) from ctx->watch (NULL: an empty result set). */
void binlog_watch_show(const struct stmt_ctx *ctx, struct stmt_result *r);

#endif
