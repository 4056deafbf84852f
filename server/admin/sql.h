/*
 * sql.h - answers to the statements replicas, tools and admins send (COM_QUERY), as the
 * primary would answer them. A recogniser, not a database: anything it does not know gets
 * a clear ERR, never a hang.
 */
#ifndef BINLOGD_SERVER_ADMIN_SQL_H
#define BINLOGD_SERVER_ADMIN_SQL_H

#include <stddef.h>

#include "server/admin/stmt.h"

/* Execute one COM_QUERY text (sql, len bytes, not NUL-terminated) as the client that ctx
 * describes, and answer in r (initialised here; the caller frees it with
 * stmt_result_free). Side effects go through ctx (user variables, KILL, the ingest
 * thread). Thread: the loop thread (it may call the ctx's functions). */
void sql_execute(const struct stmt_ctx *ctx, const char *sql, size_t len, struct stmt_result *r);

/* The mariadbd status name counting a statement kind (sql_execute's stmt_result.com),
 * e.g. "Com_select"; NULL for kinds mariadbd does not count (empty, unparsable). */
const char *sql_com_name(int kind);

#endif
