/*
 * restore_check.h - is a copy fetched back from the archive (storage.restore_command) the file
 * binlogd archived? The complete check the issue asks for before such a copy is served:
 * size, magic and FORMAT_DESCRIPTION, every event's CRC32 and the log_pos chain, complete
 * transactions to the end, closed (ROTATE/STOP, IN_USE clear), and the GTID states at its
 * start and end equal to the ones recorded when it was archived (storage/archive_state.h).
 *
 * Used by the restore (server/ops/restore.h) before it hands a copy to a dump, on a worker
 * thread of its own: it reads the whole copy, seconds for a 1 GiB file.
 *
 * Threads: any (reads the file only; no shared state: everything it uses is its arguments).
 */
#ifndef BINLOGD_STORAGE_RESTORE_CHECK_H
#define BINLOGD_STORAGE_RESTORE_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Check dirfd/path (a restored copy) against what was archived under `name`: size bytes,
 * GTID flavor (enum gtid_track_flavor) and states start/end (NULL or flavor none: not compared).
 * 0 when everything holds; -1 with why ("name: reason", naming the offset where it applies),
 * meant for the ERR 1236 a replica gets and the log line. */
int restore_check_file(int dirfd, const char *path, const char *name, uint64_t size, int flavor, const char *start,
                       const char *end, char *why, size_t cap);

#endif
