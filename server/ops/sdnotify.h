/*
 * sdnotify.h - systemd's notify protocol without libsystemd: one datagram of KEY=VALUE
 * lines per message on the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or '@' for an
 * abstract name), and the watchdog keep-alive (WATCHDOG=1 every WATCHDOG_USEC/2 from the
 * event loop, so a loop that hangs stops the pings and systemd restarts the service).
 *
 * Without NOTIFY_SOCKET every call is a no-op: the same binary runs under systemd, under
 * another supervisor, or in a terminal.
 *
 * Send-error policy: messages are sent with MSG_DONTWAIT, never retried and never fatal
 * (a full or vanished socket must not stall the loop or stop replication); failures are
 * counted and logged at most once a minute.
 *
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_OPS_SDNOTIFY_H
#define BINLOGD_SERVER_OPS_SDNOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sdnotify;

/* Read NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment and open the
 * datagram socket. Returns the handle (NULL only on ENOMEM); a malformed NOTIFY_SOCKET is
 * logged and the handle stays silent. Caller owns it (sdnotify_free). */
struct sdnotify *sdnotify_new(void);

/* Stop the watchdog timer, close the socket, free. NULL is fine. */
void sdnotify_free(struct sdnotify *sd);

/* 1 when NOTIFY_SOCKET named a usable socket. */
int sdnotify_enabled(const struct sdnotify *sd);

/* Send `text` (newline-separated KEY=VALUE lines) as one datagram. 0 when sent or when
 * disabled; -1 when the send failed (counted and logged by policy). */
int sdnotify_send(struct sdnotify *sd, const char *text);

/* "RELOADING=1" with MONOTONIC_USEC=now (what Type=notify-reload expects; older systemd
 * ignores the key). Follow with a READY=1 when the reload is done. */
int sdnotify_reloading(struct sdnotify *sd);

/* The watchdog interval systemd asked for in microseconds: WATCHDOG_USEC when set, non-zero
 * and WATCHDOG_PID is unset or ours; else 0. */
uint64_t sdnotify_watchdog_usec(const struct sdnotify *sd);

/* Start sending WATCHDOG=1 every watchdog_usec/2 from a timer on `base` (no-op without a
 * watchdog). 0, or -1 when the timer cannot be created. */
int sdnotify_watchdog_start(struct sdnotify *sd, struct event_base *base);

/* Failed sends since start. */
uint64_t sdnotify_send_errors(const struct sdnotify *sd);

#endif
