/* http.c - see http.h. */
#include "server/ops/http.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "server/log.h"
#include "server/ops/metrics.h"
#include "server/ops/page_traffic.h"
#include "server/ops/page_watch.h"
#include "server/ops/snapshot.h"
#include "server/ops/textbuf.h"
#include "server/ops/traffic_metrics.h"
#include "server/ops/watch_metrics.h"
#include "server/replicas/listener.h"

#define TAG "http"
#define MAX_COLLECTORS 8
#define MAX_SECTIONS 8
#define WHY_MAX 1200   /* a health reason: the split-brain watch's names the server and GTIDs */

struct ops_http {
    struct event_base *base;
    const struct config *cfg;
    struct ops_sources src;
    struct evhttp *http;
    struct evhttp_connection *conns[HTTP_MAX_CONNECTIONS];   /* connections being served */
    int ready;
    struct health *health;
    struct { ops_collector_fn fn; void *arg; } coll[MAX_COLLECTORS];
    size_t ncoll;
    struct page_section sec[MAX_SECTIONS];
    size_t nsec;
    struct ring hist;
    struct event *ev_sample;
    uint64_t last_bytes_in, last_bytes_out, last_sample_ms;
    int have_last;
    uint64_t refused;             /* connections answered 503: over HTTP_MAX_CONNECTIONS */
    struct ops_series table_series, server_series;   /* traffic names with their own series */
};

static void on_conn_close(struct evhttp_connection *c, void *arg)
{
    struct ops_http *h = arg;
    for (size_t i = 0; i < HTTP_MAX_CONNECTIONS; i++)
        if (h->conns[i] == c) h->conns[i] = NULL;
}

/* Count the request's connection among those served: 0, or -1 when the table is full. */
static int admit(struct ops_http *h, struct evhttp_request *req)
{
    struct evhttp_connection *c = evhttp_request_get_connection(req);
    size_t freeslot = HTTP_MAX_CONNECTIONS;
    for (size_t i = 0; i < HTTP_MAX_CONNECTIONS; i++) {
        if (h->conns[i] == c) return 0;
        if (!h->conns[i] && freeslot == HTTP_MAX_CONNECTIONS) freeslot = i;
    }
    if (freeslot == HTTP_MAX_CONNECTIONS) return -1;
    h->conns[freeslot] = c;
    evhttp_connection_set_closecb(c, on_conn_close, h);
    return 0;
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *ctype, struct bbuf *body)
{
    struct evkeyvalq *hd = evhttp_request_get_output_headers(req);
    evhttp_add_header(hd, "Content-Type", ctype);
    evhttp_add_header(hd, "Cache-Control", "no-store");
    evhttp_add_header(hd, "X-Content-Type-Options", "nosniff");
    struct evbuffer *out = evbuffer_new();
    if (!out || !bbuf_ok(body)) {
        if (out) evbuffer_free(out);
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    if (body->len) evbuffer_add(out, body->p, body->len);
    evhttp_send_reply(req, code, reason, out);
    evbuffer_free(out);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    struct bbuf b = {0};
    text_printf(&b, "%s\n", text);
    reply(req, code, reason, "text/plain; charset=utf-8", &b);
    bbuf_free(&b);
}

static int take(struct ops_http *h, struct evhttp_request *req, unsigned what, struct ops_snapshot *s)
{
    if (ops_snapshot_take(&h->src, what, s) == 0) return 0;
    evhttp_send_error(req, 500, "out of memory");
    return -1;
}

static void serve_metrics(struct ops_http *h, struct evhttp_request *req)
{
    struct ops_snapshot s;
    if (take(h, req, OPS_SNAP_DETAIL, &s) == -1) return;
    char why[WHY_MAX];
    int healthy = health_eval(&s, h->cfg->metrics_health_max_lag, h->health, why, sizeof(why));
    struct bbuf b = {0};
    struct prom p;
    prom_init(&p, &b);
    metrics_write(&p, &s, h->cfg->metrics_replica_series);
    traffic_metrics_write(&p, s.has_traffic ? s.traffic : NULL, h->cfg->metrics_traffic_series, &h->table_series,
                          &h->server_series);
    watch_metrics_write(&p, s.has_watch ? &s.watch : NULL, s.wrows, s.nwrows);
    if (prom_family(&p, "binlogd_healthy", PROM_GAUGE, "1 when /healthz answers 200, else 0") == 0)
        prom_sample(&p, "", NULL, 0, healthy);
    if (prom_family(&p, "binlogd_ready", PROM_GAUGE, "1 when /readyz answers 200, else 0") == 0)
        prom_sample(&p, "", NULL, 0, h->ready);
    if (prom_family(&p, "binlogd_http_refused_total", PROM_COUNTER,
                    "monitoring HTTP connections answered 503 because HTTP_MAX_CONNECTIONS were open") == 0)
        prom_sample_u64(&p, "", NULL, 0, h->refused);
    for (size_t i = 0; i < h->ncoll; i++) h->coll[i].fn(h->coll[i].arg, &p);
    prom_free(&p);
    reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", &b);
    bbuf_free(&b);
    ops_snapshot_free(&s);
}

static void serve_healthz(struct ops_http *h, struct evhttp_request *req)
{
    struct ops_snapshot s;
    if (take(h, req, 0, &s) == -1) return;
    char why[WHY_MAX];
    int ok = health_eval(&s, h->cfg->metrics_health_max_lag, h->health, why, sizeof(why));
    ops_snapshot_free(&s);
    if (ok) reply_text(req, 200, "OK", why);
    else reply_text(req, 503, "Service Unavailable", why);
}

static void serve_page(struct ops_http *h, struct evhttp_request *req)
{
    struct ops_snapshot s;
    if (take(h, req, OPS_SNAP_DETAIL, &s) == -1) return;
    char why[WHY_MAX];
    struct page_health ph = {.max_lag_s = h->cfg->metrics_health_max_lag};
    ph.healthy = health_eval(&s, ph.max_lag_s, h->health, why, sizeof(why));
    ph.reason = why;
    struct bbuf b = {0};
    status_page_write(&b, &s, &h->hist, &ph, h->sec, h->nsec);
    reply(req, 200, "OK", "text/html; charset=utf-8", &b);
    bbuf_free(&b);
    ops_snapshot_free(&s);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct ops_http *h = arg;
    if (admit(h, req) == -1) {
        h->refused++;
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        reply_text(req, 503, "Service Unavailable", "too many monitoring connections");
        return;
    }
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path) path = "/";
    if (!strcmp(path, "/metrics")) serve_metrics(h, req);
    else if (!strcmp(path, "/healthz")) serve_healthz(h, req);
    else if (!strcmp(path, "/readyz"))
        h->ready ? reply_text(req, 200, "OK", "ready") : reply_text(req, 503, "Service Unavailable", "starting");
    else if (!strcmp(path, "/") || !strcmp(path, "/index.html")) serve_page(h, req);
    else reply_text(req, 404, "Not Found", "not found: try /, /metrics, /healthz or /readyz");
}

/* Every HTTP_SAMPLE_MS: rates since the last sample, and the lag, into the history. */
static void on_sample(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct ops_http *h = arg;
    struct ops_snapshot s;
    if (ops_snapshot_take(&h->src, 0, &s) == -1) return;
    struct ring_sample x = {.t = s.now_unix};
    for (int i = 0; i < RING_VALUES; i++) x.v[i] = NAN;
    double dt = h->have_last ? (double)(s.now_mono_ms - h->last_sample_ms) / 1000.0 : 0;
    if (dt > 0) {
        x.v[PAGE_V_INGEST_BPS] = (double)(s.in.bytes - h->last_bytes_in) / dt;
        x.v[PAGE_V_SENT_BPS] = (double)(s.lc.bytes_sent - h->last_bytes_out) / dt;
    }
    x.v[PAGE_V_LAG_S] = s.behind_s;
    x.v[PAGE_V_REPLICAS] = (double)s.nreps;
    h->last_bytes_in = s.in.bytes;
    h->last_bytes_out = s.lc.bytes_sent;
    h->last_sample_ms = s.now_mono_ms;
    if (h->have_last) ring_push(&h->hist, &x);
    h->have_last = 1;
    ops_snapshot_free(&s);
}

static void reserve_section(struct ops_http *h, const char *id, const char *title, const char *empty)
{
    struct page_section *p = &h->sec[h->nsec++];
    snprintf(p->id, sizeof(p->id), "%s", id);
    snprintf(p->title, sizeof(p->title), "%s", title);
    p->empty = empty;
}

struct ops_http *ops_http_new(struct event_base *base, const struct config *cfg, struct store *store,
                              struct ingest *ingest, struct listener *lis, char *err, size_t errlen)
{
    struct ops_http *h = calloc(1, sizeof(*h));
    if (!h || ring_init(&h->hist, HTTP_HISTORY_POINTS) == -1 || !(h->health = health_new()) ||
        !(h->http = evhttp_new(base))) {
        snprintf(err, errlen, "out of memory");
        ops_http_free(h);
        return NULL;
    }
    h->base = base;
    h->cfg = cfg;
    h->src = (struct ops_sources){.store = store, .ingest = ingest, .lis = lis, .data_dir = cfg->data_dir};
    reserve_section(h, "traffic", "Traffic by table", "No traffic statistics yet.");
    reserve_section(h, "lag-doctor", "Lag doctor", "No findings.");
    reserve_section(h, "split-brain", "Split-brain watch", "Not watching: no split-brain watch is configured.");
    /* The renderers say "off" themselves until ops_http_set_traffic / _set_watch give them data. */
    ops_http_add_section(h, "traffic", "Traffic by table", page_traffic_section, NULL);
    ops_http_add_section(h, "lag-doctor", "Lag doctor", page_doctor_section, NULL);
    ops_http_add_section(h, "split-brain", "Split-brain watch", page_watch_section, NULL);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(h->http, 8192);
    evhttp_set_max_body_size(h->http, 0);
    evhttp_set_timeout(h->http, HTTP_TIMEOUT_S);
    evhttp_set_gencb(h->http, on_request, h);
    if (!evhttp_bind_socket_with_handle(h->http, cfg->metrics_host[0] ? cfg->metrics_host : "0.0.0.0",
                                        cfg->metrics_port)) {
        snprintf(err, errlen, "metrics.listen %s:%u: cannot listen", cfg->metrics_host, cfg->metrics_port);
        ops_http_free(h);
        return NULL;
    }
    /* BINLOGD_METRICS_SAMPLE_MS: a faster history for tests and demos (charts fill in seconds). */
    long ms = HTTP_SAMPLE_MS;
    const char *env = getenv("BINLOGD_METRICS_SAMPLE_MS");
    if (env && atol(env) >= 100) ms = atol(env);
    struct timeval every = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    if (!(h->ev_sample = event_new(base, -1, EV_PERSIST, on_sample, h)) || event_add(h->ev_sample, &every) == -1) {
        snprintf(err, errlen, "cannot start the sampling timer");
        ops_http_free(h);
        return NULL;
    }
    on_sample(-1, 0, h);   /* the baseline for the first rates */
    log_info(TAG, "monitoring on http://%s:%u/ (/metrics, /healthz, /readyz)", cfg->metrics_host, cfg->metrics_port);
    return h;
}

void ops_http_free(struct ops_http *h)
{
    if (!h) return;
    if (h->http) evhttp_free(h->http);   /* closes the connections (their close callbacks run) */
    if (h->ev_sample) event_free(h->ev_sample);
    health_free(h->health);
    ring_free(&h->hist);
    ops_series_free(&h->table_series);
    ops_series_free(&h->server_series);
    free(h);
}

void ops_http_set_ready(struct ops_http *h) { h->ready = 1; }

void ops_http_set_traffic(struct ops_http *h, struct traffic *t) { h->src.traffic = t; }

void ops_http_set_watch(struct ops_http *h, struct watch *w) { h->src.watch = w; }

struct health *ops_http_health(struct ops_http *h) { return h->health; }

int ops_http_add_collector(struct ops_http *h, ops_collector_fn fn, void *arg)
{
    if (h->ncoll == MAX_COLLECTORS) return -1;
    h->coll[h->ncoll].fn = fn;
    h->coll[h->ncoll++].arg = arg;
    return 0;
}

int ops_http_add_section(struct ops_http *h, const char *id, const char *title, page_section_fn fn, void *arg)
{
    struct page_section *p = NULL;
    for (size_t i = 0; i < h->nsec && !p; i++)
        if (!strcmp(h->sec[i].id, id)) p = &h->sec[i];
    if (!p) {
        if (h->nsec == MAX_SECTIONS) return -1;
        p = &h->sec[h->nsec++];
        snprintf(p->id, sizeof(p->id), "%s", id);
    }
    snprintf(p->title, sizeof(p->title), "%s", title);
    p->render = fn;
    p->arg = arg;
    return 0;
}
