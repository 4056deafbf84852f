/*
 * binlog_file.h - one mirrored binlog file on disk: atomic creation (magic + FDE), appends,
 * truncation, the IN_USE flag, and the scan that finds the last safe transaction boundary.
 *
 * Stateless helpers over a file descriptor: the store owns the fds and the bookkeeping.
 * Errors come back as -1 with errno (and, where several steps are involved, *failed_op) so
 * the store can apply its policy (ENOSPC on write -> roll back; fsync/rename/EIO -> fatal).
 *
 * Threads: whoever owns the fd (the store's writer, or recovery before it starts).
 */
#ifndef BINLOGD_STORAGE_BINLOG_FILE_H
#define BINLOGD_STORAGE_BINLOG_FILE_H

#include <stddef.h>
#include <stdint.h>
#include "protocol/event.h"
#include "protocol/trx.h"
#include "storage/fsio.h"

/* What a scan found. Offsets are 64-bit: files over 4 GiB exist (MXS-4691). */
struct binlog_scan {
    uint64_t file_size;
    uint64_t safe_end;        /* last offset where a reader/truncation may stand (a group end or
                                 an event outside any group); at least the end of the FDE */
    uint64_t events_end;      /* end of the last whole, valid event (>= safe_end) */
    uint64_t events;          /* valid events seen, FDE included */
    uint32_t fde_len;
    struct ev_fmt fmt;        /* reading context from the file's FDE */
    struct trx_parser trx;    /* parser state at safe_end (always OUTSIDE) */
    int      in_use;          /* IN_USE bit of the FDE as found on disk */
    uint8_t  end_type;        /* EV_ROTATE / EV_STOP when the file ends at safe_end with one, else 0 */
    char     rotate_name[EV_MAX_NAME_LEN + 1];   /* ROTATE target (when end_type == EV_ROTATE) */
    uint64_t rotate_pos;
    uint64_t problem_offset;  /* first byte that is not part of a complete transaction (== file_size
                                 when the file is clean to its end) */
    char     problem[200];    /* "" when clean; else why the tail from problem_offset is unusable */
};

/* Create dirfd/name atomically: write magic + fde (with its IN_USE bit set; the FDE CRC does
 * not cover that bit) to FSIO_TMP_PREFIX<name>, fsync, rename without replacing (EEXIST if
 * name exists), fsync the directory. fde/len is the whole FDE as received. Returns an
 * O_RDWR fd of the new file, or -1 with errno and *failed_op (the temp file is removed). */
int binlog_file_create(int dirfd, const char *name, const uint8_t *fde, size_t len, enum fsio_op *failed_op);

/* Open an existing binlog for reading and writing (no symlinks). fd or -1 with errno. */
int binlog_file_open(int dirfd, const char *name);

/* Write buf/len at off. 0, or -1 with errno (ENOSPC/EDQUOT = disk full). */
int binlog_file_append(int fd, uint64_t off, const void *buf, size_t len);

/* Cut the file back to len and (when do_sync) fsync it. 0, or -1 with errno and *failed_op. */
int binlog_file_truncate(int fd, uint64_t len, int do_sync, enum fsio_op *failed_op);

/* Set or clear IN_USE (bit 0 of the byte at offset 21) with a 1-byte pwrite, then (when
 * do_sync) fdatasync. Clearing it is "sealing": the file now compares equal to the
 * primary's closed file. 0, or -1 with errno and *failed_op. */
int binlog_file_set_in_use(int fd, int in_use, int do_sync, enum fsio_op *failed_op);

/* Scan the whole file: magic, FDE (header, log_pos, CRC when it carries alg + CRC), then
 * every event: sane header, fits in the file, log_pos == offset + size (mod 2^32, as the
 * field is 32 bits), CRC when the FDE says CRC32, transaction state. Stops at the first
 * problem and reports it; a clean file ending inside a transaction reports that too.
 * Returns 0 with *out filled, or -1 with err ("name:offset: reason") when the file cannot be
 * used at all: read error, no magic, no valid FDE. */
int binlog_file_scan(int fd, const char *name, struct binlog_scan *out, char *err, size_t errlen);

/* binlog_file_scan, calling cb (when not NULL) for every event it accepts after the FDE, in
 * file order, with the event as a view (framed and CRC-checked by the scan; its bytes are
 * valid during the call), its offset and the transaction verdict. Events after the first
 * problem are not passed. */
typedef void (*binlog_scan_cb)(void *arg, const struct ev_view *ev, uint64_t off, enum trx_verdict v);
int binlog_file_scan_cb(int fd, const char *name, binlog_scan_cb cb, void *cb_arg, struct binlog_scan *out,
                        char *err, size_t errlen);
/* binlog_file_scan_cb over a file's original bytes, plain or compressed (storage/zfile.h). */
struct bsrc;
int binlog_file_scan_src(const struct bsrc *src, const char *name, binlog_scan_cb cb, void *cb_arg,
                         struct binlog_scan *out, char *err, size_t errlen);

/* After a scan that stopped at damage (sc->events_end < sc->file_size), look for an intact
 * event further on: one whose header parses, that fits in the file, whose log_pos equals its
 * own end (so it sits exactly where it was written) and whose CRC32 matches (in a file
 * without checksums: that also ends at the end of the file or is followed by another such
 * header). A torn tail left by a crash has none; damage in the middle of durable data does.
 * Returns 1 with *at (the first such offset), 0 when there is none, -1 with errno on a read
 * error. Reads every byte from the damage to the end. */
int binlog_file_find_intact(int fd, const struct binlog_scan *sc, uint64_t *at);

/* Continue a scan from a known boundary: `start` must be an event boundary outside any
 * group, fmt/fde_len describe the file's FDE. Used by binlog_file_scan, and directly by
 * tests to check 64-bit offsets on sparse files without writing gigabytes. */
int binlog_file_scan_from(int fd, const char *name, uint64_t start, const struct ev_fmt *fmt,
                          uint32_t fde_len, struct binlog_scan *out, char *err, size_t errlen);

#endif
