/*
 * watch_metrics.h - the split-brain watch in /metrics (server/upstream/watch.h: the table
 * SHOW BINLOG WATCH answers with). README "Monitoring" lists every family. The per-server
 * series are bounded by the watch itself (WATCH_MAX_SERVERS: candidates, the 8 previous
 * primaries and the current upstream).
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_OPS_WATCH_METRICS_H
#define BINLOGD_SERVER_OPS_WATCH_METRICS_H

#include <stddef.h>

#include "server/ops/prom.h"
#include "server/upstream/watch.h"

/* Write the watch's families: sum (counts, taken from rows[0..n) when rows is not NULL)
 * and one series per row. sum NULL: no watch at all (nothing is written). */
void watch_metrics_write(struct prom *p, const struct watch_summary *sum, const struct watch_server_status *rows,
                         size_t n);

#endif
