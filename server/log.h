/*
 * log.h - levelled logging to stderr (one line per call, atomic under stdio's lock, so
 * the ingest and loop threads never interleave within a line).
 * The level is process-wide and set once at start-up.
 */
#ifndef BINLOGD_SERVER_LOG_H
#define BINLOGD_SERVER_LOG_H

#include <stdint.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Set the minimum level printed. Call before starting threads. */
void log_set_level(enum log_level level);

/* Print one line "TIMESTAMP LEVEL [tag] message". Any thread. */
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
