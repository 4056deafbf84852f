/*
 * health.h - /healthz and /readyz: is binlogd doing its job, and is it up yet.
 *
 * Healthy (200 "ok") when the upstream session streams and the primary was heard from (an
 * event or a heartbeat) within metrics.health_max_lag_seconds, binlogd is no further behind
 * than that, and no registered condition fails. Otherwise 503 with one line saying why:
 * storage failed (fsync error: binlogd exits), the split-brain watch sees a server in
 * split-brain (its reason names the server and the GTIDs), the upstream is down (and its
 * last error), stopped by STOP SLAVE, disk full (the error says so), silent, or behind.
 * With no upstream configured binlogd serves what it stores, which is healthy.
 *
 * Conditions: other modules (the archive runner, the split-brain watch) set a named
 * condition while something is wrong and clear it when it is not; /healthz reports the
 * first one set. The registry is mutex-protected, so any thread may set or clear.
 */
#ifndef BINLOGD_SERVER_OPS_HEALTH_H
#define BINLOGD_SERVER_OPS_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "server/ops/snapshot.h"

#define HEALTH_MAX_CONDITIONS 16

struct health;

/* NULL on ENOMEM. Owned by the caller (health_free). */
struct health *health_new(void);
void health_free(struct health *h);

/* Mark condition `name` (a short static-like word: "archive", "split_brain") as failing with
 * a one-line reason (copied, cut at 255 bytes). Replaces an earlier reason of that name.
 * 0, or -1 when HEALTH_MAX_CONDITIONS names are taken. Any thread. */
int health_set(struct health *h, const char *name, const char *reason);
/* The condition holds again (no-op when not set). Any thread. */
void health_clear(struct health *h, const char *name);
/* How many conditions fail now; the first one's "name: reason" into buf. Any thread. */
size_t health_failing(struct health *h, char *buf, size_t len);

/* The verdict for /healthz from a snapshot: 1 healthy (buf "ok"), 0 not (buf the reason,
 * one line). max_lag_s: metrics.health_max_lag_seconds. h may be NULL. Loop thread. */
int health_eval(const struct ops_snapshot *s, uint32_t max_lag_s, struct health *h, char *buf, size_t len);

#endif
