/*
 * purge_plan.h - which binlog files to purge, and why the rest are kept: a pure function of
 * the file list (sizes, last-event times, archive verdicts), the readers' positions and the
 * policy. No I/O, no clock: the caller passes `now`. storage/purge.c carries a plan out.
 *
 * Rules (README "Retention"):
 *   - Purges are always a prefix of the index (oldest first); the last file (the one being
 *     written, "active") is never purged.
 *   - A file the caller's keep predicate holds back (e.g. "not archived yet") is never
 *     purged, nor any later file: nothing may be purged before it is archived.
 *   - Automatic mode: the newest min_files files are kept. Age: a file whose last event is
 *     older than expire_s, stopping at the first younger file and at the first file a
 *     connected reader is on. Size: while the files take more than max_disk bytes on disk
 *     (a compressed file counts at its compressed size, `disk`), the oldest go, readers or not
 *     (the plan names the readers it overrides). Free space: while want_free bytes are still
 *     to be reclaimed (on disk, `disk` again), the oldest go, but never a reader's file.
 *   - Statement mode (PURGE BINARY LOGS TO / BEFORE): the target decides; readers, the
 *     active file and the keep predicate stop it (mysqld's semantics; min_files does not
 *     apply, as mysqld has none).
 *
 * Threads: any (pure).
 */
#ifndef BINLOGD_STORAGE_PURGE_PLAN_H
#define BINLOGD_STORAGE_PURGE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"

/* Asked for each closed file, oldest first, before it may be purged: 1 = keep it, with a
 * reason in why (e.g. "it is not archived yet"), 0 = purgeable. The archive supplies it; with
 * no predicate every file is purgeable. Called on the thread that plans (the loop thread). */
typedef int (*purge_keep_fn)(void *arg, const char *name, char *why, size_t whylen);

/* Told after a file was unlinked by a purge (name, its size). Same thread as the purge. */
typedef void (*purge_done_fn)(void *arg, const char *name, uint64_t size);

#define PURGE_WHY_MAX 160

struct purge_file {
    char     name[EV_MAX_NAME_LEN + 1];
    uint64_t size;               /* original bytes (what the index and SHOW BINARY LOGS say) */
    uint64_t disk;               /* bytes it takes on disk: size, or NAME.z's size when compressed */
    int64_t  last_time;          /* time of its last event (unix seconds); 0 = unknown */
    int      keep;               /* the keep predicate's verdict (1 = keep) */
    char     keep_why[PURGE_WHY_MAX];
};

enum purge_mode { PURGE_AUTO = 0, PURGE_TO, PURGE_BEFORE };

/* Why a file is purged, or why the plan stopped before the next one. */
enum purge_cause {
    PURGE_CAUSE_NONE = 0,
    PURGE_CAUSE_AGE,             /* older than expire_s */
    PURGE_CAUSE_SIZE,            /* the files took more than max_disk */
    PURGE_CAUSE_FREE,            /* the filesystem had less free space than wanted */
    PURGE_CAUSE_STATEMENT,       /* PURGE BINARY LOGS */
    /* reasons to stop */
    PURGE_STOP_ACTIVE,           /* the next file is the one being written */
    PURGE_STOP_MIN_FILES,        /* the next file is one of the newest min_files */
    PURGE_STOP_READER,           /* a connected replica is on the next file */
    PURGE_STOP_KEEP,             /* the keep predicate holds the next file (keep_why) */
    PURGE_STOP_YOUNG,            /* the next file's last event is not old enough (or unknown) */
    PURGE_STOP_TARGET            /* reached what was asked */
};

struct purge_input {
    const struct purge_file *files;   /* the index, oldest first; files[n-1] is the active file */
    size_t n;
    size_t reader_first;         /* index of the oldest file a connected reader is on; n = none */
    enum purge_mode mode;
    /* PURGE_AUTO */
    int64_t  now;
    uint64_t expire_s;           /* 0 = no age rule */
    uint64_t max_disk;           /* 0 = no size rule */
    uint32_t min_files;          /* < 1 counts as 1 */
    uint64_t want_free;          /* bytes to reclaim for storage.min_free_bytes (0 = none) */
    /* PURGE_TO: purge files before files[to_index] (to_index <= n-1); PURGE_BEFORE: files whose
     * last event is older than `before` */
    size_t   to_index;
    int64_t  before;
};

struct purge_plan {
    size_t count;                /* purge files[0, count) */
    enum purge_cause cause;      /* the strongest cause among them (SIZE > FREE > AGE) */
    enum purge_cause stop;       /* why files[count] was kept although more was wanted
                                    (PURGE_CAUSE_NONE: nothing more was wanted) */
    size_t overridden;           /* files at or after reader_first purged by the size rule
                                    (their readers get ERR 1236 when they reach the gap) */
    uint64_t bytes;              /* total size of the purged files (original bytes) */
    uint64_t disk_bytes;         /* what they take on disk (the space a purge gives back) */
};

const char *purge_cause_name(enum purge_cause c);
const char *purge_mode_name(enum purge_mode m);

/* Plan a purge. in->files[0..n) must be the index oldest first. Pure; any thread. */
void purge_plan_make(const struct purge_input *in, struct purge_plan *out);

#endif
