/*
 * binlog_archive.h - SHOW BINLOG ARCHIVE, binlogd's own statement: one row per binlog file
 * (those purged after archiving first, then the index), with what the archive command did
 * for it. SHOW BINARY LOGS keeps MariaDB's columns; this is where archiving shows.
 *
 * Thread: the caller's (the loop thread for sessions).
 */
#ifndef BINLOGD_SERVER_ADMIN_BINLOG_ARCHIVE_H
#define BINLOGD_SERVER_ADMIN_BINLOG_ARCHIVE_H

#include "server/admin/stmt.h"

/* Fill r (initialised by the caller) from ctx->store's index and ctx->archive (NULL: every
 * file shows as not archived, state "off"). Columns: Log_name, File_size, Archived (Yes/No),
 * State (off | active | waiting | archiving | failing | archived | purged), Attempts (in this
 * process), Last_attempt, Last_error, Archived_at (local time, NULL when none). */
void binlog_archive_show(const struct stmt_ctx *ctx, struct stmt_result *r);

#endif
