/*
 * processlist.h - SHOW [FULL] PROCESSLIST, answered as mariadbd 10.11 answers it: the
 * columns Id, User, Host, db, Command, Time, State, Info, Progress, one row per connection
 * in id order, the asking connection as Command "Query", State "starting", Info = its own
 * statement (FULL: all of it; otherwise its first 100 characters, mariadbd's
 * PROCESS_LIST_WIDTH). An account that is not admin sees only its own user's connections,
 * as a mariadbd account without the PROCESS privilege does.
 * Thread: the loop thread (it calls ctx->threads).
 */
#ifndef BINLOGD_SERVER_ADMIN_PROCESSLIST_H
#define BINLOGD_SERVER_ADMIN_PROCESSLIST_H

#include <stddef.h>

#include "server/admin/stmt.h"

/* mariadbd's PROCESS_LIST_WIDTH: characters of Info without FULL. */
#define PROCESSLIST_INFO_WIDTH 100

/* Answer SHOW [FULL] PROCESSLIST into r for the client c describes; sql/len is the text
 * of the statement itself (the caller's Info). Connections come from c->threads (none if
 * NULL: then only the caller's own row). */
void processlist_show(const struct stmt_ctx *c, int full, const char *sql, size_t len, struct stmt_result *r);

/* The first `chars` UTF-8 characters of s[0..len): their byte length (a cut never splits
 * a multi-byte sequence; bytes that are not UTF-8 count one each). */
size_t processlist_utf8_prefix(const char *s, size_t len, size_t chars);

#endif
