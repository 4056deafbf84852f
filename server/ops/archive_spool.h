/*
 * archive_spool.h - plain copies of compressed binlog files for the archive command.
 *
 * A closed file compressed to NAME.z while no storage.archive_command was set (compression
 * waits for archiving only while a command is set) must still be archived once a command is
 * configured, and the command must read the primary's bytes under the name NAME. The spool
 * inflates NAME.z (storage/zfile.h zfile_inflate_to: every block's length and CRC32, the
 * original size against the index's, the binlog magic) into DATA_DIR/.binlogd-archive-spool/NAME,
 * a directory of binlogd's own (never beside the operator's files), on a thread of its own so
 * that the event loop never inflates; the runner then hands that path to the command as %p
 * and removes the copy when the command has ended. The directory is made when a first copy
 * is needed, and emptied at every start and stop (a copy is made again when needed).
 *
 * One copy at a time (the archive runs one command at a time).
 *
 * Thread: the loop thread for every function here; the inflation runs on a thread started by
 * archive_spool_start and joined by archive_spool_poll or archive_spool_free.
 */
#ifndef BINLOGD_SERVER_OPS_ARCHIVE_SPOOL_H
#define BINLOGD_SERVER_OPS_ARCHIVE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define ARCHIVE_SPOOL_DIR ".binlogd-archive-spool"

struct archive_spool;

/* Empty data_dir/ARCHIVE_SPOOL_DIR when it exists (made by archive_spool_start); data_dir is absolute, src_dirfd the store's
 * directory (borrowed: must outlive the spool). NULL with err. */
struct archive_spool *archive_spool_new(const char *data_dir, int src_dirfd, char *err, size_t errlen);

/* Stop an inflation that runs (it ends at its next block), join it, empty the spool. NULL ok. */
void archive_spool_free(struct archive_spool *s);

/* Start inflating src_dirfd/name.z, `size` original bytes (the index's), into the spool.
 * 0, or -1 with err (one runs already, or no thread could be started). */
int archive_spool_start(struct archive_spool *s, const char *name, uint64_t size, char *err, size_t errlen);

/* 1 while an inflation runs. */
int archive_spool_busy(const struct archive_spool *s);

/* Has the inflation started last ended? 0: still running (or none started). 1: the copy is at
 * path (absolute). -1: it failed, why says where (file, block, original offsets); no copy is
 * left. The thread is joined in both last cases. */
int archive_spool_poll(struct archive_spool *s, char *path, size_t pathcap, char *why, size_t whylen);

/* Remove name's copy (after its command ended). */
void archive_spool_remove(struct archive_spool *s, const char *name);

#endif
