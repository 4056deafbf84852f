/*
 * log.h - levelled logging, one line per call written with a single write(2), so the ingest
 * and loop threads never interleave within a line.
 *
 * Where it goes: stderr, or binlogd.log_file. A log file is put in place of fd 2 (dup2), so
 * whatever a library prints to stderr lands there too; the original stderr is kept aside
 * for the write-error fallback. log_reopen() (SIGHUP, FLUSH LOGS) opens the path again: a
 * file renamed by logrotate is closed and new lines go to a new file at the configured path.
 * The swap is one dup2, atomic with respect to writers on other threads.
 *
 * Write-error policy (ENOSPC, EIO, a short write): the line is written once more to the
 * original stderr (under systemd: the journal), the failure is counted (log_write_errors),
 * and the caller goes on. Never retried, never fatal: the log must not stop replication.
 * The level is process-wide; log_set_level may be called again on reload (atomic).
 */
#ifndef BINLOGD_SERVER_LOG_H
#define BINLOGD_SERVER_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the minimum level printed. Any thread (atomic). */
void log_set_level(enum log_level level);

/* Send the log to `path` (appended; created with mode 0640), or back to the original stderr
 * when path is NULL or "". 0, or -1 with err filled (the log stays where it was). Loop
 * thread (or before threads start): not to be called concurrently with itself. */
int log_set_file(const char *path, char *err, size_t errlen);

/* Reopen the current log file at its path (after logrotate renamed it). No-op (0) when
 * logging to stderr. -1 with err when the path cannot be opened: the log keeps going to the
 * file it had. Same thread rule as log_set_file. */
int log_reopen(char *err, size_t errlen);

/* Lines that could not be written completely to the log since start. Any thread. */
uint64_t log_write_errors(void);

/* Print one line "TIMESTAMP LEVEL [tag] message". Any thread. Preserves errno. */
void log_msg(enum log_level level, const char *tag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Rate limiter for messages that can repeat in a loop (reconnect errors, refused
 * clients): allows at most `burst` lines per `period_ms`, then counts what it suppressed. */
struct log_ratelimit {
    uint64_t window_start_ms;
    unsigned period_ms, burst, used, suppressed;
};

/* Returns 1 when the caller may log now; *suppressed (if non-NULL) gets how many lines were
 * dropped since the last allowed one. Not thread-safe: one limiter per thread/site. */
int log_ratelimit_allow(struct log_ratelimit *rl, unsigned *suppressed);

const char *log_level_name(enum log_level level);

#define log_debug(tag, ...) log_msg(LOG_DEBUG, tag, __VA_ARGS__)
#define log_info(tag, ...)  log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_warn(tag, ...)  log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_error(tag, ...) log_msg(LOG_ERROR, tag, __VA_ARGS__)

#endif
