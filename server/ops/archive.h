/*
 * archive.h - the archive runner: storage.archive_command run for every closed binlog file,
 * oldest first, one at a time, as PostgreSQL's archiver runs archive_command.
 *
 * The command runs as `/bin/sh -c COMMAND` in its own process group, cwd the data directory
 * (server/ops/child.h: posix_spawn, stderr captured, every other descriptor closed). The event
 * loop only supervises it: a timer polls waitpid(WNOHANG) and the deadline, so nothing waits,
 * and ingest (its own thread) and serving go on.
 *
 * Exit 0 = archived: the fact is made durable in the archive state (storage/archive_state.h)
 * and the next file follows at once. Anything else (exit status, a signal, the
 * storage.archive_timeout deadline, after which the whole process group gets SIGKILL) is a
 * failure: logged at WARN with the status and the first lines of stderr, counted, and retried
 * for the same file after 1 s, doubling up to storage.archive_retry_max_ms. Newer files wait.
 *
 * What the command reads is the closed file: sealed (ROTATE or STOP, or closed by a switch of
 * primaries), IN_USE cleared and fsync'ed by the store before the index shows it sealed.
 * A file stored compressed (NAME.z: compressed while no command was set) is read through a
 * plain copy that server/ops/archive_spool.h makes off the loop thread, every block checked;
 * a copy that cannot be made (a damaged block) is a failure like a command's, logged with the
 * file and block, so the file stays un-archived and retention keeps it.
 *
 * Thread: the loop thread, for every function here (the state it writes is thread-safe).
 */
#ifndef BINLOGD_SERVER_OPS_ARCHIVE_H
#define BINLOGD_SERVER_OPS_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;
struct archive_state;
struct health;
struct prom;

#define ARCHIVE_RETRY_MIN_MS 1000

struct archive_opts {
    const char *data_dir;            /* as configured (made absolute here) */
    const char *command;             /* "" = archiving off */
    uint32_t timeout_s;              /* 0 = no deadline */
    uint32_t retry_max_ms;           /* backoff cap */
    uint32_t max_lag_s;              /* /healthz fails beyond this lag (0 = never) */
};

struct archive;

/* Start supervising (idle when opts->command is ""): store and st must outlive the runner.
 * NULL with err on a data directory whose absolute path cannot be found or is unsafe for a
 * shell word, or on ENOMEM. Loop thread. */
struct archive *archive_new(struct event_base *base, struct store *store, struct archive_state *st,
                            const struct archive_opts *opts, char *err, size_t errlen);

/* Stop: a running command's process group gets SIGKILL and is reaped (the file is archived
 * again at the next start). NULL is fine. Loop thread. */
void archive_free(struct archive *a);

/* Reload: a new command, timeout, backoff cap and lag bound. A command that runs finishes
 * under the settings it started with. Loop thread. */
void archive_set_options(struct archive *a, const char *command, uint32_t timeout_s, uint32_t retry_max_ms,
                         uint32_t max_lag_s);

/* Report "archive" in /healthz while the archive lag is over max_lag_s (h may be NULL). */
void archive_set_health(struct archive *a, struct health *h);

/* The /metrics collector (ops_http_add_collector; arg = the struct archive). */
void archive_collect(void *arg, struct prom *p);

/* Expand a command template: %p -> path, %f -> name, %% -> '%'. Any other '%x', and a '%' at
 * the end, is refused (a typo would otherwise archive to a wrong place). 0 with out
 * NUL-terminated, or -1 with *why (static text): bad placeholder, or out too small. Pure. */
int archive_expand(const char *tmpl, const char *path, const char *name, char *out, size_t cap, const char **why);

/* 1 when s can stand unquoted in a shell command as one word (letters, digits and
 * "/._-+,:=@"; not empty), else 0. Binlog names and the data directory must, because %p and %f
 * are pasted into the command as they are. Pure. */
int archive_shell_safe(const char *s);

/* Delay before retry number `failures` (1 = after the first failure) of the same file:
 * ARCHIVE_RETRY_MIN_MS doubling, capped at max_ms (at least the minimum). Pure. */
uint32_t archive_backoff_ms(uint32_t failures, uint32_t max_ms);

#endif
