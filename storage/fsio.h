/*
 * fsio.h - the one place that changes the data directory: full writes and reads with EINTR
 * and short-I/O loops, fsync of files and directories, truncation, atomic replace, and the
 * file lock. Every function returns 0 (or an fd) on success and -1 with errno set on failure,
 * so callers can classify the error (ENOSPC vs EIO) by the store's written policy.
 *
 * Fault injection: a process-wide table (the only global mutable state in storage/) lets
 * tests and the torture mode make the n-th call of an operation fail with a chosen errno, or
 * do only part of its I/O. It is always compiled in; when nothing is armed a call costs one
 * relaxed atomic load and one relaxed atomic increment.
 *
 * Threads: any. The fault table uses atomics; arming it while another thread does I/O is
 * safe but which call is "n-th" is then racy by nature.
 */
#ifndef BINLOGD_STORAGE_FSIO_H
#define BINLOGD_STORAGE_FSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Our own files all start with this prefix, so they never collide with a binlog name. */
#define FSIO_OWN_PREFIX   ".binlogd"
#define FSIO_TMP_PREFIX   ".binlogd-tmp."
#define FSIO_LOCK_NAME    ".binlogd.lock"

enum fsio_op {
    FSIO_OP_OPEN = 0,   /* openat (also mkdir of the data dir counts as FSIO_OP_MKDIR) */
    FSIO_OP_WRITE,      /* pwrite of data (all writes are positional) */
    FSIO_OP_READ,       /* pread */
    FSIO_OP_FSYNC,      /* fsync of a file or directory */
    FSIO_OP_FDATASYNC,
    FSIO_OP_FTRUNCATE,
    FSIO_OP_RENAME,
    FSIO_OP_UNLINK,
    FSIO_OP_MKDIR,
    FSIO_OP__COUNT
};

/* Special "errno" for fsio_set_fault: the call transfers only part of its bytes (at least
 * one) and succeeds, to exercise short-I/O loops. Only meaningful for WRITE and READ. */
#define FSIO_FAULT_SHORT (-1)

const char *fsio_op_name(enum fsio_op op);

/* Arm a fault: the nth call of op from now (1 = the next call) fails with err (or is short
 * when err == FSIO_FAULT_SHORT), and so do the following times-1 calls (times == 0: every
 * call from then on, until cleared). nth == 0 disarms op. Any thread. */
void fsio_set_fault_repeat(enum fsio_op op, unsigned long nth, int err, unsigned long times);

/* A torn write/read: the nth call of op transfers only part of its bytes (at least one),
 * and the call after it (the loop's retry) fails with err. For WRITE this is what a disk
 * filling up mid-write looks like. */
void fsio_set_fault_partial(enum fsio_op op, unsigned long nth, int err);

/* One-shot form of fsio_set_fault_repeat (times = 1). */
void fsio_set_fault(enum fsio_op op, unsigned long nth, int err);

/* Disarm every fault. */
void fsio_clear_faults(void);

/* How many calls of op were made since the process started (faulted ones included). */
unsigned long fsio_calls(enum fsio_op op);

/* Arm faults from text, for the torture mode: comma-separated "op:nth:errno[:times]", where
 * op is an fsio_op_name ("write", "fdatasync", ...) and errno a name ("EIO", "ENOSPC",
 * "EDQUOT", "EINTR", "short") or a number. 0, or -1 with err filled. */
int fsio_faults_parse(const char *spec, char *err, size_t errlen);

/* openat(dirfd, name, flags | O_CLOEXEC, mode), retried on EINTR. Returns the fd or -1. */
int fsio_open(int dirfd, const char *name, int flags, mode_t mode);

/* Write all len bytes at off (pwrite loop over short writes and EINTR). 0 or -1. */
int fsio_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);

/* Read up to len bytes at off, stopping early only at end of file. *got = bytes read.
 * 0, or -1 on a read error. */
int fsio_pread_all(int fd, void *buf, size_t len, uint64_t off, size_t *got);

int fsio_fsync(int fd);
int fsio_fdatasync(int fd);
int fsio_ftruncate(int fd, uint64_t len);
int fsio_rename(int dirfd, const char *from, const char *to);
/* Like fsio_rename but fails with EEXIST instead of replacing an existing `to`
 * (renameat2 RENAME_NOREPLACE; link + unlink where the filesystem lacks it). */
int fsio_rename_noreplace(int dirfd, const char *from, const char *to);
/* unlinkat(dirfd, name, 0); ENOENT is reported, callers decide whether it matters. */
int fsio_unlink(int dirfd, const char *name);

/* Create path and its missing parents (mode for new ones); an existing directory is fine. */
int fsio_mkdirs(const char *path, mode_t mode);

/* Atomically replace dirfd/name with data: write FSIO_TMP_PREFIX<name>, fsync it, rename it
 * over name, fsync the directory. On failure the temp file is removed (best effort) and -1
 * returned with errno of the failed step; *failed_op (if not NULL) names that step, because
 * the caller's policy differs for ENOSPC on write and for a failed fsync or rename. */
int fsio_replace(int dirfd, const char *name, const void *data, size_t len, enum fsio_op *failed_op);
/* fsio_replace for files holding secrets: the temp file is mode 0600 from its creation (and
 * made so before any byte is written if a crash left one behind), so the data is never
 * readable by others, not even for the moment before a chmod. */
int fsio_replace_private(int dirfd, const char *name, const void *data, size_t len, enum fsio_op *failed_op);

/* Read a whole small regular file dirfd/name (no symlinks) into a malloc'd, NUL-terminated
 * buffer. 0 with *out and *len, or -1 with errno (ENOENT, EINVAL not a regular file, EFBIG over
 * max bytes, ENOMEM, read errors). */
int fsio_read_small(int dirfd, const char *name, size_t max, char **out, size_t *len);

/* Open (creating) dirfd/name and take an exclusive, non-blocking flock on it. Returns the fd
 * (keep it open to hold the lock) or -1; errno EWOULDBLOCK means another process holds it. */
int fsio_lock(int dirfd, const char *name);

/* ---- power-loss simulation (tests and torture only) ----
 * Once enabled, fsio records what a power failure would take away: for each file, the bytes
 * its last fsync/fdatasync made durable (a write or truncate below that size keeps the
 * pre-image), and each creation or rename whose directory has not been fsync'ed since. A cut
 * leaves exactly the durable state: files back to their synced bytes, those directory entries
 * undone (a file renamed over another brings the old one back). Files and bytes that existed
 * when it was enabled count as durable. Not modelled: unlink (binlogd unlinks only its own
 * temporary files, which recovery removes anyway) and mkdir (store_open makes the data
 * directory's entry durable itself). While enabled each changing call costs a mutex and an
 * fstat; while not, one relaxed atomic load. */

/* Start recording (for good). Any thread, before the I/O it must cover. */
void fsio_powerloss_enable(void);

/* 1 when recording. */
int fsio_powerloss_enabled(void);

struct fsio_powerloss_report {
    unsigned files;            /* files with changes since their last sync */
    uint64_t bytes_dropped;    /* bytes past the durable sizes, cut off */
    uint64_t bytes_restored;   /* durable bytes overwritten or truncated since, put back */
    unsigned entries_undone;   /* creations and renames whose directory was never fsync'ed */
    unsigned errors;           /* bookkeeping or undo steps that failed: the cut is not exact */
};

/* Simulate the power failing now: wait for the storage call in flight, cut, fill *r, and
 * return with every later fsio call blocked for good. The caller must _exit() right away
 * (after reporting): nothing may touch the data directory any more. Any thread. */
void fsio_powerloss_cut(struct fsio_powerloss_report *r);

#endif
