/*
 * purge.h - removing the oldest binlog files from the data directory, crash-safely, and the
 * recovery of what an interrupted purge left.
 *
 * Order (each step durable before the next):
 *   1. the purge intent `.binlogd-purge` (atomic replace) names every file about to go, with
 *      its size: it is how a later start knows which unlisted files binlogd itself removed
 *      from the index, as opposed to files an operator put there;
 *   2. the index without them (atomic replace): from here on they are purged;
 *   3. the GTID index without them (a cache: best effort);
 *   4. unlink each file, fsync the directory;
 *   5. remove the intent.
 * A crash before 2 leaves every file listed (the intent is dropped at the next start); after
 * 2, the next start unlinks the intent's files that the index no longer lists and whose size
 * still matches, and logs it. A binlog-looking file that is not in the index and not in an
 * intent is foreign: reported (store.h's warning), never deleted.
 *
 * Threads: store_purge on any one thread at a time (the loop thread); it serialises with the
 * writer (store_file_begin, GTID index writes) through the store's directory lock.
 */
#ifndef BINLOGD_STORAGE_PURGE_H
#define BINLOGD_STORAGE_PURGE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/purge_plan.h"
#include "storage/store.h"

#define PURGE_INTENT_NAME ".binlogd-purge"

/* The steps of a purge, for the tests' crash injection (store_purge_hooks.step). */
enum purge_step {
    PURGE_STEP_INTENT = 0,   /* the intent is durable; index untouched */
    PURGE_STEP_INDEX,        /* the index no longer lists the files */
    PURGE_STEP_GTID_INDEX,   /* the GTID index was rewritten */
    PURGE_STEP_UNLINK,       /* file number i (0-based) was unlinked */
    PURGE_STEP_DONE          /* the intent is gone */
};

const char *purge_step_name(enum purge_step st);

struct store_purge_hooks {
    void (*step)(void *arg, enum purge_step st, size_t i);   /* NULL: none */
    purge_done_fn done;                                      /* NULL: none */
    void *arg;
};

struct store_purge_result {
    size_t   files;          /* removed from the index */
    uint64_t bytes;          /* their sizes */
    size_t   unlink_errors;  /* files left on disk (recovered at the next start) */
};

/* Purge every file of the index from the first up to and including `last`, which must be in
 * the index and not its last entry (the file being written). STORE_REFUSED (nothing done)
 * when it is not; STORE_FATAL-free: a failure to write the intent or the index leaves every
 * file listed and returns STORE_REFUSED with err; a failed unlink is counted and logged through
 * the store's warn hook (the intent keeps it for the next start). *res filled. */
enum store_result store_purge(struct store *s, const char *last, const struct store_purge_hooks *h,
                              struct store_purge_result *res, char *err, size_t errlen);

/* The time of the last complete event of dirfd/name whose committed size is `size` (unix
 * seconds, from its header): looked for at the end of the file (an event ending exactly at
 * `size` with log_pos == size), else by walking the headers from the start. 0 and *t, or -1
 * with errno. Any thread (reads only). */
int purge_file_last_time(int dirfd, const char *name, uint64_t size, int64_t *t);

#endif
