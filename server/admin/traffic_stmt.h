/*
 * traffic_stmt.h - binlogd's own statements over the traffic statistics
 * (server/upstream/traffic.h): SHOW BINLOG STATISTICS [BY TABLE|SERVER|KIND] [LIKE 'p'],
 * SHOW BINLOG TOP TRANSACTIONS [LIMIT n] and SHOW BINLOG LAG DOCTOR. Each takes one
 * snapshot through ctx->traffic and answers rows; with stats.enabled off (ctx->traffic
 * NULL) the answer is ERR 1105 saying so. Thread: the caller's (the loop thread).
 */
#ifndef BINLOGD_SERVER_ADMIN_TRAFFIC_STMT_H
#define BINLOGD_SERVER_ADMIN_TRAFFIC_STMT_H

#include "protocol/query.h"
#include "server/admin/stmt.h"

/* SHOW BINLOG STATISTICS: one row per table (db.table, db.* for statements, (other)),
 * server_id or event kind, largest bytes first; LIKE filters the first column. */
void traffic_stmt_statistics(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r);

/* SHOW BINLOG TOP TRANSACTIONS: the largest transactions of the last hour, largest first. */
void traffic_stmt_top(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r);

/* SHOW BINLOG LAG DOCTOR: findings (tables without a primary key receiving UPDATE/DELETE
 * rows, large transactions, and "cannot_tell" when the primary's TABLE_MAPs lack FULL
 * metadata). */
void traffic_stmt_doctor(const struct stmt_ctx *c, struct stmt_result *r);

#endif
