/*
 * gtid_pos.h - BINLOG_GTID_POS('file', pos) answered from the stored files with mariadbd's
 * semantics (gtid_state_from_pos in sql_repl.cc; facts file section 3):
 *   - the file's GTID_LIST, then every GTID event that STARTS before pos, one GTID per
 *     domain (the last one): pos only has to be an event boundary (or the committed end),
 *     not a transaction boundary, exactly as mariadbd;
 *   - '' names the first file; pos 0..3 acts as 4;
 *   - SQL NULL for: a name not in the index, pos inside an event or past the committed end,
 *     a file that cannot be read to pos;
 *   - '' for a file without a GTID_LIST (an old-style binlog);
 *   - ERR 29 when the file is listed but cannot be opened.
 *   - nothing stored yet: NULL (mariadbd answers 1381 only with binary logging off, which
 *     binlogd never is; a replica's connect-time call must not fail on an empty mirror).
 * Divergence: with several domains mariadbd prints its hash table's order (not sorted, not
 * reproducible from the file alone); binlogd prints the domains sorted by id.
 */
#ifndef BINLOGD_SERVER_ADMIN_GTID_POS_H
#define BINLOGD_SERVER_ADMIN_GTID_POS_H

#include <stddef.h>
#include <stdint.h>

#include "server/admin/stmt.h"

/* Compute BINLOG_GTID_POS(name[0..name_len), pos) over c->store. Returns 0 with *out a
 * malloc'd NUL-terminated string (caller frees) or NULL for SQL NULL; -1 with the error in r.
 * Reads the file from its start up to pos through a cursor of its own. Thread: the caller's. */
int gtid_pos_compute(const struct stmt_ctx *c, const char *name, size_t name_len, uint64_t pos, char **out,
                     struct stmt_result *r);

#endif
