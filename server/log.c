/* log.c - see log.h. */
#include "server/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int min_level = LOG_INFO;
static atomic_ullong write_errors;
/* The original stderr while a log file sits on fd 2 (-1: fd 2 is the original). Set and
 * read by log_set_file on its one thread; log_msg reads it racily, which at worst sends a
 * fallback line to the wrong one of two valid descriptors. */
static _Atomic int saved_stderr = -1;
static char log_path[4096];   /* "" = stderr; log_set_file's thread only */

void log_set_level(enum log_level level) { atomic_store(&min_level, (int)level); }

uint64_t log_write_errors(void) { return atomic_load(&write_errors); }

const char *log_level_name(enum log_level level)
{
    switch (level) {
    case LOG_DEBUG: return "DEBUG";
    case LOG_INFO: return "INFO";
    case LOG_WARN: return "WARN";
    case LOG_ERROR: return "ERROR";
    }
    return "?";
}

int log_set_file(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        int saved = atomic_load(&saved_stderr);
        if (saved >= 0 && dup2(saved, STDERR_FILENO) == -1) {
            snprintf(err, errlen, "cannot restore stderr: %s", strerror(errno));
            return -1;
        }
        log_path[0] = 0;
        return 0;
    }
    if (strlen(path) >= sizeof(log_path)) {
        snprintf(err, errlen, "log file name too long");
        return -1;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd == -1) {
        snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(errno));
        return -1;
    }
    if (atomic_load(&saved_stderr) < 0) {
        int saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        if (saved == -1) {
            snprintf(err, errlen, "cannot keep stderr aside: %s", strerror(errno));
            close(fd);
            return -1;
        }
        atomic_store(&saved_stderr, saved);
    }
    /* One dup2: a writer on another thread writes whole lines to the old file or the new. */
    if (dup2(fd, STDERR_FILENO) == -1) {
        snprintf(err, errlen, "cannot redirect the log to %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    if (log_path != path) snprintf(log_path, sizeof(log_path), "%s", path);
    return 0;
}

int log_reopen(char *err, size_t errlen)
{
    if (!log_path[0]) return 0;
    return log_set_file(log_path, err, errlen);
}

void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
{
    if ((int)level < atomic_load(&min_level)) return;
    int saved_errno = errno;
    char msg[2048], line[2304];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s [%s] %s\n", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     log_level_name(level), tag ? tag : "-", msg);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof(line)) {   /* cut: keep it one line */
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    /* One write per line: O_APPEND (a log file) or a pipe keeps concurrent lines whole. */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    if (w != n) {
        atomic_fetch_add(&write_errors, 1);
        int saved = atomic_load(&saved_stderr);
        if (saved >= 0) {
            ssize_t ignored = write(saved, line, (size_t)n);   /* best effort, by policy */
            (void)ignored;
        }
    }
    errno = saved_errno;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int log_ratelimit_allow(struct log_ratelimit *rl, unsigned *suppressed)
{
    uint64_t now = now_ms();
    if (now - rl->window_start_ms >= rl->period_ms) {
        rl->window_start_ms = now;
        rl->used = 0;
    }
    if (rl->used < rl->burst) {
        rl->used++;
        if (suppressed) *suppressed = rl->suppressed;
        rl->suppressed = 0;
        return 1;
    }
    rl->suppressed++;
    return 0;
}
