/*
 * metrics.h - GET /metrics: binlogd's families in the Prometheus text format, from one
 * snapshot (server/ops/snapshot.h). Every family and its meaning is listed in README
 * "Monitoring"; the writer API for more families is server/ops/prom.h.
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_OPS_METRICS_H
#define BINLOGD_SERVER_OPS_METRICS_H

#include <stddef.h>

#include "server/ops/prom.h"
#include "server/ops/snapshot.h"

/* Write every built-in family of s into p. replica_series: metrics.replica_series, how many
 * replicas get their own labelled series (the most bytes behind); the others are summed
 * under server_id="other". s->reps is reordered. */
void metrics_write(struct prom *p, struct ops_snapshot *s, size_t replica_series);

#endif
