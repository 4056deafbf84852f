/*
 * binlog_events.h - SHOW BINLOG EVENTS [IN 'file'] [FROM pos] [LIMIT [offset,] n] answered
 * from the stored files, with mariadbd's columns, Info texts (protocol/event_info.h),
 * defaults and errors (facts file section 2):
 *   - no IN: the FIRST file of the index; no files at all: an empty result;
 *   - a name not in the index: 1220 "... Could not find target log";
 *   - FROM 0..3 acts as 4; FROM = committed size: no rows; FROM beyond it: 1220 "Invalid pos
 *     specified. Requested from pos:N is greater than actual file size:M"; FROM inside an
 *     event: 1220 "Wrong offset or I/O error" (CRC32 files) or "Invalid input pos specified
 *     please provide valid one." (files without checksums);
 *   - LIMIT counts events from FROM; LIMIT 0 (offset + count = 0) still gives one row, as
 *     mariadbd's loop sends an event before it checks the count;
 *   - only committed bytes are shown (the active file stops at the watermark).
 *
 * The cap (mariadbd has none): a result keeps at most BINLOG_EVENTS_MAX_ROWS rows and
 * BINLOG_EVENTS_MAX_BYTES bytes of cells; a statement that would return more gets 1220
 * "... result over binlogd's cap of 100000 rows / 64 MiB: narrow it with FROM and LIMIT"
 * rather than a silently shortened list. Skipped events (LIMIT's offset) cost reading time
 * only.
 */
#ifndef BINLOGD_SERVER_ADMIN_BINLOG_EVENTS_H
#define BINLOGD_SERVER_ADMIN_BINLOG_EVENTS_H

#include "protocol/query.h"
#include "server/admin/stmt.h"

#define BINLOG_EVENTS_MAX_ROWS 100000
#define BINLOG_EVENTS_MAX_BYTES ((size_t)64 << 20)

/* Answer q (kind QUERY_SHOW_BINLOG_EVENTS) into r (already initialised) from c->store, with
 * the given caps (the statement passes the defines above; tests pass small ones). Reads the
 * stored files through a cursor of its own; blocks its thread while it reads (bounded by the
 * caps). Thread: the caller's (the loop thread for sessions). */
void binlog_events_show(const struct stmt_ctx *c, const struct query *q, struct stmt_result *r, size_t max_rows,
                        size_t max_bytes);

#endif
