/*
 * sql.h - answers to the statements replicas, tools and admins send (COM_QUERY), as the
 * primary would answer them. A recogniser, not a database: anything it does not know gets
 * a clear ERR, never a hang.
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_ADMIN_SQL_H
#define BINLOGD_SERVER_ADMIN_SQL_H

#include <stddef.h>

struct session;

/* Execute one COM_QUERY text; queues the complete response on the session. */
void sql_execute(struct session *s, const char *sql, size_t len);

#endif
