/*
 * archive_state.h - which binlog files the archive command has archived, kept in
 * `.binlogd-archive` in the data directory, and the progress of the archiver (attempts,
 * last error, counters) for SHOW BINLOG ARCHIVE, /metrics and /healthz.
 *
 * This is the source of truth purge asks before it removes a file: a file is archived only
 * once its command exited 0 and that fact is durable here (atomic replace with fsync). A crash
 * between the command's exit and the replace makes the command run again for that file at the
 * next start, which the README tells archive commands to tolerate (PostgreSQL's rule).
 *
 * File format (text, one line per archived file, oldest first, tab-separated):
 *   # binlogd archive state v1
 *   NAME <TAB> SIZE <TAB> ARCHIVED_AT (unix seconds) <TAB> local|purged <TAB> none|mariadb|mysql
 *        <TAB> GTID STATE AT ITS START <TAB> GTID STATE AT ITS END
 * "purged": the local copy was removed after archiving (the archive holds the only copy). The
 * GTID states (as the GTID index has them, storage/gtid_index.h) stay here when purge drops the
 * file's GTID index entry: they say which archived file a GTID replica needs, and a copy fetched
 * back from the archive must have exactly these.
 * A damaged file is reported and ignored (nothing counts as archived): the commands run again,
 * and purge keeps every file until they have; never the other way round.
 *
 * Threads: any; every call takes the object's mutex (the archive runner on the loop thread
 * writes, purge may ask from another thread).
 */
#ifndef BINLOGD_STORAGE_ARCHIVE_STATE_H
#define BINLOGD_STORAGE_ARCHIVE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"

#define ARCHIVE_STATE_FILE ".binlogd-archive"
#define ARCHIVE_ERR_MAX 256

/* One file the archiver knows about: archived, or attempted in this process. */
struct archive_file_status {
    char     name[EV_MAX_NAME_LEN + 1];
    uint64_t size;                   /* bytes the command was given (archived: the archived size) */
    int      archived;
    int      purged;                 /* archived, and the local copy was removed since */
    int64_t  archived_at;            /* unix seconds (0: not archived) */
    uint32_t attempts;               /* commands run for this file in this process */
    int64_t  last_attempt;           /* unix seconds of the last start (0: none in this process) */
    char     last_error[ARCHIVE_ERR_MAX];   /* "" when the last attempt succeeded or none failed */
};

/* The archiver's figures (this process, except `archived_total_files` which counts the state). */
struct archive_stats {
    int      enabled;                /* an archive command is configured */
    uint64_t archived_files;         /* commands that succeeded in this process */
    uint64_t archived_bytes;
    uint64_t failures;               /* commands that failed (exit status, signal, timeout) */
    uint64_t archived_total_files;   /* files recorded as archived (the state file) */
    uint32_t pending_files;          /* closed files not archived yet */
    int64_t  lag_seconds;            /* since the oldest of them was closed (0: none) */
    int      running;                /* a command runs now */
    char     current[EV_MAX_NAME_LEN + 1];   /* for that file ("" when none) */
    char     last_error[ARCHIVE_ERR_MAX];    /* the newest failure's text ("" after a success) */
};

struct archive_state;

/* An empty state writing to dirfd/ARCHIVE_STATE_FILE (dirfd < 0: never persisted, tests).
 * NULL on ENOMEM. */
struct archive_state *archive_state_new(int dirfd);
void archive_state_free(struct archive_state *st);

/* Load dirfd/ARCHIVE_STATE_FILE into st (replacing what it holds). 0 loaded, 1 no such file
 * (empty), -1 damaged or unreadable: st is left empty and err says why ("line N: reason"), the
 * caller logs it (the safe side: nothing counts as archived). Any thread, before the others. */
int archive_state_load(struct archive_state *st, char *err, size_t errlen);

/* Replace st's archived set with the text form text/len. 0, or -1 with err "line N: reason"
 * (st then empty). Every name passes index_name_check. */
int archive_state_parse(struct archive_state *st, const char *text, size_t len, char *err, size_t errlen);

/* The text form of the archived set, malloc'd into *out, *len. 0, or -1 on ENOMEM. */
int archive_state_format(struct archive_state *st, char **out, size_t *len);

/* Whether an archive command is configured (purge waits for archiving only then). */
void archive_state_set_enabled(struct archive_state *st, int on);

/* 1 when name is recorded as archived, else 0. */
int archive_state_is_archived(struct archive_state *st, const char *name);

/* Purge's question, as the one function pointer purge takes (arg = the archive_state):
 * 1 = keep the file, it is not archived yet (and archiving is enabled); 0 = may go.
 * NULL arg: 0. */
int archive_state_must_keep(void *arg, const char *name);

/* Purge's notification after it removed name's local copy (arg = the archive_state): an
 * archived file stays listed, marked purged (persisted); others are forgotten. */
void archive_state_purged(void *arg, const char *name);

/* At start, after the load: every archived file that is_local(arg, name) says the data
 * directory no longer holds is marked purged (persisted), so that restore on demand serves it.
 * A purge that a crash interrupted after its index change (recovery finished it) never got to
 * archive_state_purged. Returns how many were marked. */
size_t archive_state_mark_absent_purged(struct archive_state *st, int (*is_local)(void *arg, const char *name),
                                       void *arg);

/* The runner starts a command for name (size bytes) at `now`: attempts++. */
void archive_state_attempt(struct archive_state *st, const char *name, uint64_t size, int64_t now);

/* That command failed: failures++, why (one line) becomes the file's last error. */
void archive_state_failed(struct archive_state *st, const char *name, const char *why);

/* That command exited 0: record name as archived at `now` with its GTID states (flavor: enum
 * gtid_track_flavor; start/end as the GTID index has them; NULL = unknown, recorded as none)
 * and persist the state (atomic replace, fsync). 0, or -1 with err when the state could not be
 * written: the file still counts as archived in this process; after a restart its command
 * runs again. */
int archive_state_done(struct archive_state *st, const char *name, uint64_t size, int64_t now, int flavor,
                       const char *gtid_start, const char *gtid_end, char *err, size_t errlen);

/* The GTID states name was archived with: 0 with *flavor and malloc'd *start, *end (free
 * them), or -1 when name is not archived (or ENOMEM). */
int archive_state_gtid(struct archive_state *st, const char *name, int *flavor, char **start, char **end);

/* A purged file (archived, local copy removed) as restore on demand needs it. */
struct archive_purged_file {
    char     name[EV_MAX_NAME_LEN + 1];
    uint64_t size;
    int      flavor;                 /* enum gtid_track_flavor (0: none recorded) */
    char    *start, *end;            /* GTID states at its start and end (owned; "" when none) */
};

/* The purged files, oldest first (the state's order: the archive runner archives oldest
 * first), with the GTID states they were archived with: the GTID lookups of restore on demand
 * take them from here, since purge drops the files' GTID index entries. 0 with *out (free with
 * archive_state_purged_free) and *n, or -1 on ENOMEM. */
int archive_state_purged_files(struct archive_state *st, struct archive_purged_file **out, size_t *n);
void archive_state_purged_free(struct archive_purged_file *v, size_t n);

/* The file archived after name, in the state's (oldest first) order: 0 with its name copied
 * into next, 1 when name is the newest file the state lists, -1 when name is not listed. */
int archive_state_next(struct archive_state *st, const char *name, char *next, size_t cap);

/* 1 when name is archived and its local copy was purged (only the archive holds it), else 0. */
int archive_state_is_purged(struct archive_state *st, const char *name);

/* The runner's view of the backlog and what runs, for the stats. */
void archive_state_set_progress(struct archive_state *st, uint32_t pending, int64_t lag_seconds, const char *running);

/* Copy name's entry. 0, or -1 when the state knows nothing of it. */
int archive_state_get(struct archive_state *st, const char *name, struct archive_file_status *out);

/* Copy up to cap entries, in the order they were first seen; returns how many there are. */
size_t archive_state_list(struct archive_state *st, struct archive_file_status *out, size_t cap);

void archive_state_stats(struct archive_state *st, struct archive_stats *out);

#endif
