/*
 * journal.h - the commit journal: a preallocated ring file in the data directory
 * (.binlogd-journal) that makes a small committed batch durable with one fdatasync of an
 * overwrite instead of an fdatasync of an append.
 *
 * Why: with storage.sync=trx every batch must be durable before a replica or a semi-sync ACK
 * sees it. fdatasync after an append also has to commit the file's new size through the
 * filesystem journal (a second ordered write on ext4/xfs); an overwrite inside an allocated,
 * already-sized file does not. The batch's bytes still go to the binlog file at once (page
 * cache, so readers see them); the binlog file itself is fdatasync'ed when it is finished,
 * when the ring is full, and when a batch is too big for a record. Recovery writes every
 * record of the current lap back into its file before it scans anything.
 *
 * Record (little-endian): magic "BLJ1" | u32 total length | u64 generation | u64 seq |
 *   u64 file offset | u32 data length | u16 name length | name | data | u32 CRC32 of all before.
 * A lap starts at offset 0; seq grows by one per record; a new generation (random) starts at
 * every open and every invalidation, so records of older laps or generations are never
 * taken for current ones. Invariant kept by the store: when a record is written, its file is
 * durable up to the record's offset or covered by the records before it in the lap.
 *
 * Thread: the store's writer thread (journal_*), any (journal_scan: pure).
 */
#ifndef BINLOGD_STORAGE_JOURNAL_H
#define BINLOGD_STORAGE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "storage/fsio.h"

#define JOURNAL_NAME ".binlogd-journal"
#define JOURNAL_SIZE (8u << 20)          /* the ring */
#define JOURNAL_MAX_DATA (256u << 10)    /* bigger batches are made durable by the file's own fdatasync */
#define JOURNAL_HDR 38u

struct journal;

struct journal_rec {
    uint64_t generation, seq, offset;
    const char *name;         /* not NUL-terminated: name_len bytes, inside the scanned buffer */
    size_t name_len;
    const uint8_t *data;
    uint32_t len;
    uint64_t at;              /* where the record starts in the journal */
};

/* Records of the current lap in buf (the journal file's bytes): from offset 0, while each
 * record is whole, CRC-valid, of the first record's generation, with seq one more than the
 * one before. Calls cb for each, in order; cb returns 0 to go on, -1 to stop (then -1 is
 * returned). Returns the number of records. Pure. */
long journal_scan(const uint8_t *buf, size_t len, int (*cb)(void *arg, const struct journal_rec *r), void *arg);

/* Serialize one record into out (cap bytes). Returns its length, 0 if it does not fit or the
 * arguments are out of range. Pure (tests build journals with it). */
size_t journal_build(uint8_t *out, size_t cap, uint64_t generation, uint64_t seq, const char *name, uint64_t offset,
                     const uint8_t *data, uint32_t len);

/* Open dirfd/JOURNAL_NAME for writing, creating it (zero-filled, durable: temp file, fsync,
 * rename, directory fsync) when missing or of another size. Starts a new generation at
 * offset 0. Returns NULL with err filled (and *op the failed step) on failure. */
struct journal *journal_open(int dirfd, enum fsio_op *op, char *err, size_t errlen);

/* Space for a record of len data bytes: the caller fills it, then calls journal_commit.
 * NULL when len > JOURNAL_MAX_DATA. */
uint8_t *journal_data_buf(struct journal *j, size_t len);

/* Write the record (name, offset, the len bytes put in journal_data_buf) and fdatasync the
 * journal. Returns 0 (durable), 1 when the ring has no room left for it (nothing written: the
 * caller makes its binlog file durable by itself and calls journal_restart), or -1 with errno
 * and *op (the journal may hold a torn record; the caller must treat the batch as not
 * durable). */
int journal_commit(struct journal *j, const char *name, uint64_t offset, size_t len, enum fsio_op *op);

/* Every byte the records describe is durable in its file now: the next record starts a new
 * lap at offset 0 (same generation, seq goes on). No I/O. */
void journal_restart(struct journal *j);
/* Bytes of the ring used by the current lap (writer thread). */
size_t journal_used(const struct journal *j);

/* Make the records unusable for good before bytes they describe are removed from a file:
 * zero the first header, fdatasync, new generation. 0, or -1 with errno and *op. */
int journal_invalidate(struct journal *j, enum fsio_op *op);

/* 1 when fd holds r's bytes at r's offset, 0 when it does not (shorter, different, or
 * unreadable). Recovery writes back only the records a file lacks; verify reports them. */
int journal_rec_in_file(int fd, const struct journal_rec *r);

void journal_free(struct journal *j);

#endif
