/*
 * fsio_pl.h - the power-loss recorder behind fsio_powerloss_* (fsio.h). Private to
 * storage/fsio.c and storage/fsio_powerloss.c: nothing else may include it.
 *
 * fsio.c calls the hooks around each data-dir changing syscall, with the recorder's lock
 * held for the whole call, so a cut (fsio_powerloss_cut) falls between two operations,
 * never inside one. Every hook keeps errno as it found it.
 */
#ifndef BINLOGD_STORAGE_FSIO_PL_H
#define BINLOGD_STORAGE_FSIO_PL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

extern atomic_int fsio_pl_on;

/* 1 once fsio_powerloss_enable() ran: fsio.c then takes the slow, recorded path. */
static inline int fsio_pl_active(void) { return atomic_load_explicit(&fsio_pl_on, memory_order_relaxed); }

void fsio_pl_lock(void);
void fsio_pl_unlock(void);

/* A write of len bytes at off is about to happen on fd: remember what it overwrites of the
 * durable bytes. */
void fsio_pl_before_write(int fd, uint64_t off, size_t len);
/* fd is about to be cut to len: remember the durable bytes it drops. */
void fsio_pl_before_truncate(int fd, uint64_t len);
/* fsync/fdatasync of fd succeeded: a file's bytes, or a directory's entries, are durable. */
void fsio_pl_after_sync(int fd);
/* dirfd/name did not exist and fd is the file just created there. */
void fsio_pl_after_create(int dirfd, const char *name, int fd);
/* dirfd/to may be replaced by a rename: returns what it is now (NULL when there is nothing)
 * for fsio_pl_after_rename, which takes ownership. */
void *fsio_pl_before_rename(int dirfd, const char *to);
/* dirfd/from was renamed to dirfd/to, replacing `old` (from fsio_pl_before_rename). ok == 0:
 * the rename failed; nothing is recorded and old is freed. */
void fsio_pl_after_rename(int dirfd, const char *from, const char *to, void *old, int ok);

/* dirfd/name is about to be unlinked: a creation of it not yet durable is forgotten (created
 * and removed between two directory fsyncs: neither reaches the disk). Unlinking a durable
 * file is not modelled. */
void fsio_pl_before_unlink(int dirfd, const char *name);

#endif
