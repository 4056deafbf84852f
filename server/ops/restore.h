/*
 * restore.h - history restored on demand: fetch an archived file whose local copy was purged
 * with storage.restore_command (PostgreSQL's restore_command: %f the name, %p the destination
 * path, %% a percent sign) into a spool directory in the data directory, check it completely
 * (storage/restore_check.h: size, magic, every CRC and the log_pos chain, complete and closed,
 * GTID states equal to the ones recorded when it was archived) and hand its path to every
 * reader that asked for it.
 *
 * Up to `jobs` commands at once, each supervised like the archive runner (server/ops/child.h:
 * its own process group, killed after timeout_s): the loop never waits. Requests for a file
 * already being fetched join that fetch; the oldest request starts first. The spool
 * (DATA_DIR/.binlogd-restore, emptied at start) is bounded by spool_bytes, counting the
 * fetches in flight at their recorded sizes: before a fetch starts, and whenever a reader
 * lets a copy go, the least recently used copies nobody reads are removed until the new copy
 * fits; a copy being read (pinned between restore_get's answer and restore_put) is never
 * removed. A fetch starts beside running ones only when its room can be made, else it waits
 * for them; alone it starts anyway, so the spool can stay over its bound while readers hold
 * more than it (server/ops/restore_plan.h has the rules).
 *
 * The dump (server/replicas/dump.h, struct dump_restore, wired in main.c) calls restore_get
 * for a file purged here but archived, when a replica starts in it (by name, or by a GTID
 * state the archive state places in it) or reaches it from the restored file before; the
 * dump waits (no loop blocking) and then reads the copy at the path it gets.
 *
 * The check of a fetched copy reads all of it (seconds for a 1 GiB file), so it runs on a
 * thread of its own, one per job whose command has ended (so at most `jobs` at once): the
 * loop goes on serving replicas, logins and /metrics meanwhile, and applies the result (the
 * rename into place, the waiters' answers, the counters, the log line) when the worker wakes
 * it through an event on its base. The job stays busy (and counted as running) until then,
 * so what readers, the log and /metrics see is what a check on the loop would give.
 *
 * Thread: the loop thread, for every function here. The check workers touch nothing of the
 * struct restore: only their own copies of what they check (see struct check in restore.c).
 * They wake the loop with event_active from their thread, so the base must have been made
 * after evthread_use_pthreads() (main.c does it first thing).
 */
#ifndef BINLOGD_SERVER_OPS_RESTORE_H
#define BINLOGD_SERVER_OPS_RESTORE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct archive_state;

#define RESTORE_SPOOL_DIR ".binlogd-restore"
#define RESTORE_JOBS_MAX 16

struct restore_opts {
    const char *data_dir;        /* made absolute here */
    const char *command;         /* "" = restoring off */
    uint32_t timeout_s;          /* a command running longer is killed (0 = no limit) */
    uint64_t spool_bytes;        /* bound of the spool */
    unsigned jobs;               /* commands at most at once (1..RESTORE_JOBS_MAX; 0 = 1) */
};

/* The answer to restore_get: path (absolute, valid until restore_put) of the verified copy,
 * or why (one line naming the file and the reason) when it could not be restored. */
typedef void (*restore_done_fn)(void *arg, const char *name, const char *path, const char *why);

struct restore;

/* Create (and empty) the spool; st tells which files are archived, with their sizes and GTID
 * states. NULL with err. */
struct restore *restore_new(struct event_base *base, struct archive_state *st, const struct restore_opts *o,
                            char *err, size_t errlen);

/* Kill a running command, remove the spool's files; waiting requests are dropped silently.
 * A check in flight is abandoned, not waited for: its worker ends alone, frees what it owns
 * and never touches r or the base afterwards; its copy is removed with the spool. */
void restore_free(struct restore *r);

/* Ask for the copy of `name`. fn(arg, ...) is called once: at once (before this returns) when
 * the copy is already in the spool, else when the fetch ends. On success the copy is pinned
 * for this reader until restore_put. -1 (fn not called) when there is no restore command or
 * name is not recorded as archived. */
int restore_get(struct restore *r, const char *name, restore_done_fn fn, void *arg);

/* A reader that got `name`'s path is done with it. */
void restore_put(struct restore *r, const char *name);

/* A waiting reader went away (fn/arg as given to restore_get): it will not be called. A
 * fetch not started yet that no reader waits for any more is dropped. */
void restore_cancel(struct restore *r, restore_done_fn fn, void *arg);

/* Bytes of verified copies in the spool. */
uint64_t restore_spool_used(const struct restore *r);

/* Commands running now; files requested and waiting for a job or for room. */
unsigned restore_running(const struct restore *r);
unsigned restore_queued(const struct restore *r);

/* Of the running jobs, those whose command has ended and whose copy is being checked on a
 * worker thread now (for tests and status; not a metric). */
unsigned restore_checking(const struct restore *r);

/* Counters since start, for /metrics. */
struct restore_stats {
    uint64_t restored_files, restored_bytes;   /* copies fetched and checked */
    uint64_t refused;                          /* fetches that failed: command or check */
    uint64_t evicted;                          /* copies removed to keep the spool bound */
};
void restore_get_stats(const struct restore *r, struct restore_stats *out);

/* /metrics collector (ops_http_add_collector): binlogd_restore_*. arg = the restore. */
struct prom;
void restore_collect(void *arg, struct prom *p);

#endif
