/*
 * purge_stmt.h - PURGE BINARY|MASTER LOGS TO 'file' | BEFORE 'datetime', and SHOW WARNINGS
 * (which shows the notes PURGE leaves).
 *
 * PURGE is for the admin role (1227 naming BINLOG ADMIN otherwise, as mariadbd 10.11); the
 * purge itself (which files, which notes, the crash-safe removal) is the retention's, reached
 * through ctx->purge (server/ops/retention.c). BEFORE takes 'YYYY-MM-DD[ hh:mm:ss]' in the
 * server's local time, as mariadbd's UNIX_TIMESTAMP() of it does; a value that is not a date
 * purges nothing (mariadbd's UNIX_TIMESTAMP gives NULL, i.e. 0) and adds warning 1292.
 *
 * Thread: the caller's (the loop thread for sessions).
 */
#ifndef BINLOGD_SERVER_ADMIN_PURGE_STMT_H
#define BINLOGD_SERVER_ADMIN_PURGE_STMT_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/query.h"
#include "server/admin/stmt.h"

/* Run a parsed PURGE (q->kind QUERY_PURGE_BINARY_LOGS) into r (initialised by the caller). */
void purge_stmt_run(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r);

/* 'YYYY-MM-DD[ hh:mm:ss[.frac]]' (also 'T' between) in local time -> unix seconds. 0 and *t, or
 * -1 when it is not such a date. Pure apart from the time zone. */
int purge_stmt_parse_datetime(const char *s, size_t len, int64_t *t);

/* SHOW WARNINGS: ctx->last_warn as Level, Code, Message rows. */
void purge_stmt_show_warnings(const struct stmt_ctx *c, struct stmt_result *r);

#endif
