/* sdnotify.c - see sdnotify.h. */
#include "server/ops/sdnotify.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "server/log.h"

#define TAG "sdnotify"

struct sdnotify {
    int fd;                          /* -1: disabled */
    struct sockaddr_un addr;
    socklen_t addr_len;
    uint64_t watchdog_usec;
    struct event *wd;
    uint64_t send_errors;
    struct log_ratelimit rl;
};

/* WATCHDOG_USEC/WATCHDOG_PID as sd_watchdog_enabled() reads them. */
static uint64_t watchdog_from_env(void)
{
    const char *u = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
    if (!u || !*u) return 0;
    char *end;
    errno = 0;
    unsigned long long usec = strtoull(u, &end, 10);
    if (errno || *end || usec == 0) {
        log_warn(TAG, "ignoring WATCHDOG_USEC='%s' (not a positive number)", u);
        return 0;
    }
    if (p && *p) {
        unsigned long long pid = strtoull(p, &end, 10);
        if (*end || pid != (unsigned long long)getpid()) return 0;   /* meant for another process */
    }
    return usec;
}

struct sdnotify *sdnotify_new(void)
{
    struct sdnotify *sd = calloc(1, sizeof(*sd));
    if (!sd) return NULL;
    sd->fd = -1;
    sd->rl.period_ms = 60000;
    sd->rl.burst = 1;
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path) return sd;
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sd->addr.sun_path)) {
        log_warn(TAG, "ignoring NOTIFY_SOCKET='%s' (expected an absolute path or @abstract name)", path);
        return sd;
    }
    sd->addr.sun_family = AF_UNIX;
    memcpy(sd->addr.sun_path, path, len);
    if (path[0] == '@') sd->addr.sun_path[0] = 0;   /* abstract: the name is exactly len bytes */
    sd->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/' ? 1 : 0));
    sd->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sd->fd == -1) {
        log_warn(TAG, "cannot create the notify socket: %s (systemd will not hear from binlogd)", strerror(errno));
        return sd;
    }
    sd->watchdog_usec = watchdog_from_env();
    log_info(TAG, "notifying %s%s", path, sd->watchdog_usec ? "" : " (no watchdog)");
    return sd;
}

void sdnotify_free(struct sdnotify *sd)
{
    if (!sd) return;
    if (sd->wd) event_free(sd->wd);
    if (sd->fd >= 0) close(sd->fd);
    free(sd);
}

int sdnotify_enabled(const struct sdnotify *sd) { return sd && sd->fd >= 0; }

uint64_t sdnotify_watchdog_usec(const struct sdnotify *sd) { return sd && sd->fd >= 0 ? sd->watchdog_usec : 0; }

uint64_t sdnotify_send_errors(const struct sdnotify *sd) { return sd ? sd->send_errors : 0; }

int sdnotify_send(struct sdnotify *sd, const char *text)
{
    if (!sdnotify_enabled(sd)) return 0;
    size_t len = strlen(text);
    ssize_t n = sendto(sd->fd, text, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&sd->addr, sd->addr_len);
    if (n == (ssize_t)len) return 0;
    sd->send_errors++;
    unsigned suppressed = 0;
    if (log_ratelimit_allow(&sd->rl, &suppressed))
        log_warn(TAG, "cannot notify the service manager: %s (%" PRIu64 " failed sends so far)",
                 n < 0 ? strerror(errno) : "short send", sd->send_errors);
    return -1;
}

int sdnotify_reloading(struct sdnotify *sd)
{
    if (!sdnotify_enabled(sd)) return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[96];
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
             (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
    return sdnotify_send(sd, msg);
}

static void watchdog_ping(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    sdnotify_send(arg, "WATCHDOG=1");
}

int sdnotify_watchdog_start(struct sdnotify *sd, struct event_base *base)
{
    uint64_t usec = sdnotify_watchdog_usec(sd);
    if (!usec || sd->wd) return 0;
    uint64_t half = usec / 2 ? usec / 2 : 1;
    struct timeval tv = {.tv_sec = (time_t)(half / 1000000u), .tv_usec = (suseconds_t)(half % 1000000u)};
    if (!(sd->wd = event_new(base, -1, EV_PERSIST, watchdog_ping, sd)) || event_add(sd->wd, &tv) == -1) return -1;
    log_info(TAG, "watchdog: WATCHDOG=1 every %" PRIu64 " ms", half / 1000);
    sdnotify_send(sd, "WATCHDOG=1");   /* the first at once: the timeout runs from the exec */
    return 0;
}
