/*
 * http.h - the monitoring HTTP server (metrics.listen): GET /metrics, /healthz, /readyz and
 * / (the status page), served by libevent's evhttp on the main event loop.
 *
 * Bounded: at most HTTP_MAX_CONNECTIONS connections get answers (more get 503 and are
 * closed), requests are GET/HEAD with headers up to 8 KiB and no body, and a connection
 * idle or slow for HTTP_TIMEOUT_S seconds is closed. Answers never wait: each one renders
 * a snapshot (server/ops/snapshot.h) taken with non-blocking getters.
 *
 * History: a timer on the loop samples ingest and send rates and lag every 10 s into a
 * 360-point ring (the last hour) for the status page's charts.
 *
 * The traffic statistics and the split-brain watch (ops_http_set_traffic, _set_watch) are
 * read into the same snapshot: their families in /metrics (traffic_metrics.h,
 * watch_metrics.h), their sections on the page (page_traffic.h, page_watch.h), and a
 * split-brain makes /healthz answer 503 naming the server (health.h).
 *
 * Extension points for other modules: ops_http_add_collector (more /metrics families),
 * ops_http_add_section (a status page section), ops_http_health (named health conditions
 * that /healthz reports).
 *
 * Thread: the loop thread (except ops_http_health's registry, see health.h).
 */
#ifndef BINLOGD_SERVER_OPS_HTTP_H
#define BINLOGD_SERVER_OPS_HTTP_H

#include <stddef.h>

#include "conf/config.h"
#include "server/ops/health.h"
#include "server/ops/prom.h"
#include "server/ops/status_page.h"

#define HTTP_MAX_CONNECTIONS 64
#define HTTP_TIMEOUT_S 5
#define HTTP_HISTORY_POINTS 360
#define HTTP_SAMPLE_MS 10000

struct event_base;
struct store;
struct ingest;
struct listener;
struct traffic;
struct watch;
struct ops_http;

/* Start serving on cfg->metrics_host:metrics_port. cfg stays owned by the caller and is
 * read on each request (reload changes replica_series and health_max_lag_seconds in
 * place); store, ingest and lis must outlive the server (ingest, lis may be NULL).
 * Returns NULL with err filled (bind failure, ENOMEM). Loop thread. */
struct ops_http *ops_http_new(struct event_base *base, const struct config *cfg, struct store *store,
                              struct ingest *ingest, struct listener *lis, char *err, size_t errlen);
void ops_http_free(struct ops_http *h);

/* /readyz answers 200 from now on (main calls it once recovery is done, the listener
 * accepts and the ingest thread runs). */
void ops_http_set_ready(struct ops_http *h);

/* Read the traffic statistics (NULL: stats.enabled = off) and the split-brain watch from the
 * next request on; both must outlive h. Loop thread, before the loop runs. */
void ops_http_set_traffic(struct ops_http *h, struct traffic *t);
void ops_http_set_watch(struct ops_http *h, struct watch *w);

/* The health conditions registry (owned by h). */
struct health *ops_http_health(struct ops_http *h);

/* Add families to /metrics: fn is called on each scrape, after binlogd's own families, on
 * the loop thread; it must not block. 0, or -1 when full (8). */
typedef void (*ops_collector_fn)(void *arg, struct prom *p);
int ops_http_add_collector(struct ops_http *h, ops_collector_fn fn, void *arg);

/* Register the renderer of a status page section. An id already present (the reserved
 * ones) gets the renderer and title; a new id is appended. 0, or -1 when full (8). */
int ops_http_add_section(struct ops_http *h, const char *id, const char *title, page_section_fn fn, void *arg);

#endif
