/*
 * binlog_watch.c - see binlog_watch.h.
 */
#include "server/admin/binlog_watch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "server/upstream/watch.h"

void binlog_watch_show(const struct stmt_ctx *ctx, struct stmt_result *r)
{
    static const char *const names[] = {"Server", "Server_id", "Reachable", "Last_poll_seconds_ago",
                                        "Gtid_state", "Verdict", "Reason"};
    if (stmt_columns(r, names, 7) == -1) return;
    stmt_column_type(r, 1, STMT_COL_LONGLONG);
    stmt_column_type(r, 3, STMT_COL_DOUBLE);
    if (!ctx->watch) return;
    struct watch_server_status *st = calloc(WATCH_MAX_SERVERS, sizeof(*st));
    if (!st) { r->oom = 1; return; }
    size_t n = watch_status_get(ctx->watch, st, WATCH_MAX_SERVERS);
    if (n > WATCH_MAX_SERVERS) n = WATCH_MAX_SERVERS;
    for (size_t i = 0; i < n; i++) {
        char sid[16], age[32];
        snprintf(sid, sizeof(sid), "%" PRIu32, st[i].server_id);
        if (st[i].last_poll_age_ms != UINT64_MAX)
            snprintf(age, sizeof(age), "%" PRIu64 ".%01" PRIu64, st[i].last_poll_age_ms / 1000,
                     st[i].last_poll_age_ms % 1000 / 100);
        const char *cells[] = {st[i].server, st[i].server_id ? sid : NULL, st[i].reachable ? "Yes" : "No",
                               st[i].last_poll_age_ms != UINT64_MAX ? age : NULL,
                               st[i].reachable ? st[i].gtid_state : NULL, splitbrain_verdict_name(st[i].verdict),
                               st[i].reason};
        if (stmt_row(r, cells) == -1) break;
    }
    free(st);
}
