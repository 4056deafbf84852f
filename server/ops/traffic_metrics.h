/*
 * traffic_metrics.h - the traffic statistics and the lag doctor in /metrics, from one traffic
 * snapshot (server/upstream/traffic.h: the numbers SHOW BINLOG STATISTICS and SHOW BINLOG
 * LAG DOCTOR answer with). README "Monitoring" lists every family.
 *
 * Label cardinality is bounded: metrics.traffic_series tables (labels db, table) and as many
 * originating server_ids (label server_id) get series of their own; everything else is
 * summed under db="(other)",table="(other)" / server_id="(other)". Kinds (8) and row
 * operations (3) are fixed sets.
 *
 * Which names get a series: the largest by bytes while there is room, and a name keeps its
 * series once given (struct ops_series remembers them across scrapes). A counter therefore
 * never moves between its own series and "(other)", which Prometheus would read as a counter
 * reset (a spike in rate()). A reload that lowers metrics.traffic_series picks again.
 *
 * Thread: the loop thread (the owner of the ops_series).
 */
#ifndef BINLOGD_SERVER_OPS_TRAFFIC_METRICS_H
#define BINLOGD_SERVER_OPS_TRAFFIC_METRICS_H

#include <stddef.h>

#include "server/ops/prom.h"
#include "server/upstream/traffic.h"

/* Names that own a labelled series (sorted, owned). Zero-initialised is empty. */
struct ops_series {
    char **names;
    size_t n, cap;
};

void ops_series_free(struct ops_series *set);

/* Decide, for rows[0..n) sorted largest first, which keep their own series: marks[i] = 1
 * for those, 0 for the folded ones. A row named "(other)" is always folded. Names are
 * added to set while it holds fewer than max (largest first); once there, a name stays
 * (unless max drops below the set's size: then it starts over). Returns how many rows are
 * folded. On ENOMEM a new name is folded instead. Loop thread. */
size_t ops_series_pick(struct ops_series *set, size_t max, const struct traffic_row *rows, size_t n, unsigned char *marks);

/* Write the traffic and lag doctor families into p. t NULL: statistics are off (only
 * binlogd_traffic_enabled 0 is written). max_series: metrics.traffic_series; tables and
 * servers: the remembered series (updated). Loop thread. */
void traffic_metrics_write(struct prom *p, const struct traffic_snapshot *t, size_t max_series,
                           struct ops_series *tables, struct ops_series *servers);

#endif
