/* status_page.c - see status_page.h. */
#include "server/ops/status_page.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/ops/textbuf.h"

#define CHART_W 560
#define CHART_H 130
#define CHART_SPAN_S 3600

const char *page_bytes(char *buf, size_t len, double v)
{
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    while (fabs(v) >= 1024 && i < 5) {
        v /= 1024;
        i++;
    }
    if (i == 0) snprintf(buf, len, "%.0f %s", v, u[i]);
    else snprintf(buf, len, "%.*f %s", v < 10 ? 2 : v < 100 ? 1 : 0, v, u[i]);
    return buf;
}

static const char *duration(char *buf, size_t len, double s)
{
    if (isnan(s)) snprintf(buf, len, "-");
    else if (s < 120) snprintf(buf, len, "%.0f s", s);
    else if (s < 7200) snprintf(buf, len, "%.0f min", s / 60);
    else if (s < 172800) snprintf(buf, len, "%.1f h", s / 3600);
    else snprintf(buf, len, "%.1f d", s / 86400);
    return buf;
}

static const char CSS[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f4f6f8;color:#1d2733}"
    "header{background:#1f3b57;color:#fff;padding:10px 20px;display:flex;align-items:center;gap:16px}"
    "header h1{font-size:20px;margin:0;font-weight:600}header .sub{opacity:.8;font-size:13px}"
    ".badge{padding:3px 10px;border-radius:10px;font-weight:600;font-size:13px}"
    ".ok{background:#2e9d5b;color:#fff}.bad{background:#c8372d;color:#fff}"
    "main{padding:16px 20px;display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}"
    "section{background:#fff;border:1px solid #d5dbe1;border-radius:6px;padding:10px 14px}"
    "section.wide{grid-column:1/-1}h2{font-size:15px;margin:2px 0 8px;color:#1f3b57}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #e6eaee;"
    "font-variant-numeric:tabular-nums}th{background:#eef2f5;font-weight:600;font-size:13px}"
    "table.kv th{width:38%;background:none;font-weight:500;color:#5a6877}"
    "td.num,th.num{text-align:right}tr.behind td{background:#fff6d6}tr.laggard td{background:#fbe0dd}"
    ".st-streaming{color:#2e9d5b;font-weight:600}.st-down{color:#c8372d;font-weight:600}.muted{color:#7b8794}"
    ".empty{color:#7b8794;font-style:italic;padding:8px 0}.mono{font-family:ui-monospace,Menlo,monospace;"
    "font-size:12.5px;word-break:break-all}svg text{font-size:11px;fill:#5a6877}"
    ".legend span{display:inline-block;margin-right:14px;font-size:12px}.sw{display:inline-block;width:10px;height:10px;"
    "margin-right:4px;border-radius:2px;vertical-align:middle}"
    ".bar{height:8px;background:#e6eaee;border-radius:4px;overflow:hidden}.bar div{height:8px;background:#3a7bd5}"
    "h3{font-size:13.5px;margin:12px 0 6px;color:#1f3b57}td.nw{white-space:nowrap;word-break:normal}"
    ".alarm{background:#c8372d;color:#fff;padding:7px 12px;border-radius:4px;font-weight:600;margin:4px 0 10px}"
    ".warn{background:#fff6d6;border:1px solid #f0d68a;padding:6px 10px;border-radius:4px}"
    "tr.split td{background:#fbe0dd}tr.unreachable td{background:#eef0f2;color:#5a6877}"
    ".v-split-brain{color:#c8372d;font-weight:700}.v-unreachable{color:#b26b00;font-weight:600}"
    ".v-error{color:#b26b00}.v-ok,.v-behind{color:#2e9d5b}"
    "footer{padding:4px 20px 16px;color:#7b8794;font-size:12px}";

static void kv(struct bbuf *o, const char *k, const char *v, const char *cls)
{
    text_printf(o, "<tr><th>%s</th><td%s%s%s>", k, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    html_escape(o, v);
    text_puts(o, "</td></tr>");
}

static void upstream_section(struct bbuf *o, const struct ops_snapshot *s)
{
    char b[1200], d[64];
    text_puts(o, "<section id=\"upstream\"><h2>Upstream</h2><table class=\"kv\">");
    if (!s->up_host[0]) {
        kv(o, "Primary", "none configured: serving the stored files", "muted");
    } else {
        snprintf(b, sizeof(b), "%s:%u", s->up_host, s->up_port);
        kv(o, "Primary", b, "mono");
        kv(o, "State", ingest_state_name(s->in.state), s->connected ? "st-streaming" : "st-down");
        snprintf(b, sizeof(b), "%s:%" PRIu64, s->in.upstream_file[0] ? s->in.upstream_file : "-", s->in.upstream_pos);
        kv(o, "Received up to", b, "mono");
        kv(o, "Seconds behind", duration(d, sizeof(d), s->behind_s), NULL);
        kv(o, "Last heard from", isnan(s->since_recv_s) ? "never" : duration(d, sizeof(d), s->since_recv_s), NULL);
        snprintf(b, sizeof(b), "%s in %" PRIu64 " events, %" PRIu64 " reconnects",
                 page_bytes(d, sizeof(d), (double)s->in.bytes), s->in.events, s->in.reconnects);
        kv(o, "Received", b, NULL);
        if (s->in.last_error[0]) {
            if (s->in.last_errno) snprintf(b, sizeof(b), "%u: %s", s->in.last_errno, s->in.last_error);
            else snprintf(b, sizeof(b), "%s", s->in.last_error);
            kv(o, "Last error", b, "mono");
        }
    }
    snprintf(b, sizeof(b), "%s:%" PRIu64, s->wm.file[0] ? s->wm.file : "(nothing stored)", s->wm.offset);
    kv(o, "Committed", b, "mono");
    kv(o, "GTID state", s->gtid[0] ? s->gtid : "-", "mono");
    text_puts(o, "</table></section>");
}

static void disk_section(struct bbuf *o, const struct ops_snapshot *s)
{
    char b[2 * EV_MAX_NAME_LEN + 16], x[64], y[64];
    text_puts(o, "<section id=\"disk\"><h2>Disk</h2><table class=\"kv\">");
    snprintf(b, sizeof(b), "%zu (%s)", s->nfiles, page_bytes(x, sizeof(x), (double)s->binlog_bytes));
    kv(o, "Binlog files", b, NULL);
    if (s->nfiles) {
        snprintf(b, sizeof(b), "%s .. %s", s->files[0].name, s->files[s->nfiles - 1].name);
        kv(o, "Oldest .. newest", b, "mono");
    }
    if (s->fs_ok) {
        snprintf(b, sizeof(b), "%s free of %s", page_bytes(x, sizeof(x), (double)s->fs_avail),
                 page_bytes(y, sizeof(y), (double)s->fs_size));
        kv(o, "Filesystem", b, NULL);
        double used = s->fs_size ? 100.0 * (double)(s->fs_size - s->fs_free) / (double)s->fs_size : 0;
        text_printf(o, "<tr><th>Used</th><td><div class=\"bar\"><div style=\"width:%.0f%%\"></div></div></td></tr>", used);
    }
    if (s->journal_on) {
        snprintf(b, sizeof(b), "%s of %s, %" PRIu64 " laps", page_bytes(x, sizeof(x), (double)s->journal_used),
                 page_bytes(y, sizeof(y), (double)s->journal_size), s->journal_laps);
        kv(o, "Commit journal", b, NULL);
    }
    uint64_t syncs = s->sync.calls[0] + s->sync.calls[1];
    snprintf(b, sizeof(b), "%" PRIu64 " (avg %.2f ms, %" PRIu64 " errors)", syncs,
             syncs ? (double)s->sync.sum_ns / 1e6 / (double)syncs : 0.0, s->sync.errors[0] + s->sync.errors[1]);
    kv(o, "fsync/fdatasync", b, NULL);
    text_puts(o, "</table></section>");
}

/* One chart: series idx[0..ns) of the ring, scaled to their maximum, over the last hour (or
 * the time the ring covers, at least a minute, while it fills). */
static void chart(struct bbuf *o, const char *id, const char *title, const struct ring *r, int64_t now, const int *idx,
                  const char *const *names, const char *const *colors, size_t ns, int bytes)
{
    enum { L = 74 };   /* room for the y labels */
    double max = 0;
    size_t n = ring_count(r);
    int64_t span = n ? now - ring_get(r, 0)->t : 0;
    if (span < 60) span = 60;
    if (span > CHART_SPAN_S) span = CHART_SPAN_S;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < ns; k++) {
            double v = ring_get(r, i)->v[idx[k]];
            if (!isnan(v) && v > max) max = v;
        }
    if (!bytes && max < 1) max = 1;
    char span_txt[32], ago[32];
    if (span >= 120) snprintf(ago, sizeof(ago), "-%d min", (int)(span / 60));
    else snprintf(ago, sizeof(ago), "-%d s", (int)span);
    if (span >= CHART_SPAN_S) snprintf(span_txt, sizeof(span_txt), "last hour");
    else if (span >= 120) snprintf(span_txt, sizeof(span_txt), "last %d min", (int)(span / 60));
    else snprintf(span_txt, sizeof(span_txt), "last %d s", (int)span);
    text_printf(o, "<section id=\"%s\"><h2>%s <span class=\"muted\">(%s)</span></h2>", id, title, span_txt);
    text_printf(o, "<svg viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\" aria-label=\"%s\">", CHART_W + L + 4,
                CHART_H + 20, title);
    text_printf(o, "<rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fafbfc\" stroke=\"#d5dbe1\"/>", L,
                CHART_W, CHART_H);
    char lab[64];
    if (bytes) {
        page_bytes(lab, sizeof(lab), max);
        strncat(lab, "/s", sizeof(lab) - strlen(lab) - 1);
    } else {
        snprintf(lab, sizeof(lab), "%.0f s", max);
    }
    text_printf(o, "<text x=\"%d\" y=\"10\" text-anchor=\"end\">%s</text><text x=\"%d\" y=\"%d\" "
                "text-anchor=\"end\">0</text><text x=\"%d\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
                "text-anchor=\"end\">now</text>",
                L - 4, lab, L - 4, CHART_H, L, CHART_H + 14, ago, CHART_W + L, CHART_H + 14);
    for (int g = 1; g < 4; g++)
        text_printf(o, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#e6eaee\"/>", L, CHART_W + L,
                    CHART_H * g / 4, CHART_H * g / 4);
    for (size_t k = 0; k < ns; k++) {
        text_printf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" stroke-linejoin=\"round\" "
                    "points=\"", colors[k]);
        for (size_t i = 0; i < n; i++) {
            const struct ring_sample *x = ring_get(r, i);
            double v = x->v[idx[k]];
            if (isnan(v) || x->t < now - span) continue;
            double px = L + (double)CHART_W * (double)(x->t - (now - span)) / (double)span;
            double py = CHART_H - (max > 0 ? (double)(CHART_H - 2) * v / max : 0);
            text_printf(o, "%.1f,%.1f ", px, py);
        }
        text_puts(o, "\"/>");
    }
    text_puts(o, "</svg><div class=\"legend\">");
    for (size_t k = 0; k < ns; k++)
        text_printf(o, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>", colors[k], names[k]);
    if (n < 2) text_puts(o, "<span class=\"muted\">collecting samples (one every 10 s)</span>");
    text_puts(o, "</div></section>");
}

static void replicas_section(struct bbuf *o, struct ops_snapshot *s, uint32_t max_lag_s)
{
    struct ops_replica other;
    size_t shown = ops_replica_select(s->reps, s->nreps, PAGE_MAX_REPLICA_ROWS, &other);
    text_printf(o, "<section id=\"replicas\" class=\"wide\"><h2>Replicas <span class=\"muted\">(%zu streaming, %zu "
                "registered)</span></h2>", s->nreps, s->registered);
    if (!s->nreps) {
        text_puts(o, "<p class=\"empty\">No replica is streaming.</p></section>");
        return;
    }
    text_puts(o, "<table><tr><th>Conn</th><th>Server id</th><th>Host</th><th>User</th><th>Mode</th><th>Position</th>"
                 "<th class=\"num\">Behind</th><th class=\"num\">Seconds behind</th><th class=\"num\">Sent</th>"
                 "<th class=\"num\">Throughput</th><th>State</th></tr>");
    char x[64], y[64], z[64], t[64];
    for (size_t i = 0; i < shown; i++) {
        const struct ops_replica *r = &s->reps[i];
        const char *cls = r->d.behind_s > max_lag_s ? "laggard" : r->bytes_behind ? "behind" : "";
        text_printf(o, "<tr id=\"replica-%u\" class=\"%s\" data-server-id=\"%u\" data-file=\"", r->d.conn_id, cls,
                    r->d.server_id);
        html_escape(o, r->d.file);
        text_printf(o, "\" data-pos=\"%" PRIu64 "\" data-lag-bytes=\"%" PRIu64 "\"><td>%u</td><td>%u</td><td class=\"mono\">",
                    r->d.pos, r->bytes_behind, r->d.conn_id, r->d.server_id);
        html_escape(o, r->d.host);
        if (r->d.port) text_printf(o, ":%u", r->d.port);
        text_puts(o, "</td><td>");
        html_escape(o, r->d.user);
        text_printf(o, "</td><td>%s%s</td><td class=\"mono\">", dump_mode_name(r->d.mode), r->d.semi_sync ? " (semi-sync)" : "");
        html_escape(o, r->d.file);
        double rate = r->d.dump_age_s ? (double)r->d.bytes_sent / (double)r->d.dump_age_s : (double)r->d.bytes_sent;
        text_printf(o, ":%" PRIu64 "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
                    "<td class=\"num\">%s/s</td><td>%s</td></tr>",
                    r->d.pos, page_bytes(x, sizeof(x), (double)r->bytes_behind),
                    duration(z, sizeof(z), (double)r->d.behind_s), page_bytes(y, sizeof(y), (double)r->d.bytes_sent),
                    page_bytes(t, sizeof(t), rate), dump_activity_name(r->d.activity));
    }
    text_puts(o, "</table>");
    if (other.others)
        text_printf(o, "<p class=\"muted\">and %u more replicas (%s behind in all)</p>", other.others,
                    page_bytes(x, sizeof(x), (double)other.bytes_behind));
    text_puts(o, "<p class=\"muted\">Throughput: bytes sent over the dump's lifetime. Highlighted: yellow = behind the "
                 "committed position, red = behind for longer than metrics.health_max_lag_seconds.</p></section>");
}

void status_page_write(struct bbuf *o, struct ops_snapshot *s, const struct ring *r, const struct page_health *h,
                       const struct page_section *sections, size_t n)
{
    char when[64];
    struct tm tm;
    time_t now = (time_t)s->now_unix;
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    text_puts(o, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" "
                 "content=\"10\"><meta name=\"viewport\" content=\"width=device-width\"><title>binlogd status</title><style>");
    text_puts(o, CSS);
    text_puts(o, "</style></head><body><header><h1>binlogd</h1><span class=\"sub\">");
    if (s->up_host[0]) {
        text_puts(o, "mirroring ");
        html_escape(o, s->up_host);
        text_printf(o, ":%u", s->up_port);
    } else {
        text_puts(o, "serving stored files");
    }
    text_printf(o, " &middot; up %" PRIu64 " s &middot; %s</span><span id=\"health\" class=\"badge %s\" title=\"/healthz\">",
                s->lc.uptime_s, when, h->healthy ? "ok" : "bad");
    html_escape(o, h->healthy ? "healthy" : h->reason);
    text_puts(o, "</span></header><main>");
    upstream_section(o, s);
    disk_section(o, s);
    static const int in_idx[] = {PAGE_V_INGEST_BPS, PAGE_V_SENT_BPS}, lag_idx[] = {PAGE_V_LAG_S};
    static const char *const in_names[] = {"received from the primary", "sent to replicas"},
                             *const in_colors[] = {"#3a7bd5", "#2e9d5b"}, *const lag_names[] = {"seconds behind the primary"},
                             *const lag_colors[] = {"#d9822b"};
    chart(o, "chart-ingest", "Ingest rate", r, s->now_unix, in_idx, in_names, in_colors, 2, 1);
    chart(o, "chart-lag", "Lag", r, s->now_unix, lag_idx, lag_names, lag_colors, 1, 0);
    replicas_section(o, s, h->max_lag_s);
    for (size_t i = 0; i < n; i++) {
        text_printf(o, "<section id=\"%s\" class=\"wide\"><h2>", sections[i].id);
        html_escape(o, sections[i].title);
        text_puts(o, "</h2>");
        if (sections[i].render) sections[i].render(sections[i].arg, s, o);
        else text_printf(o, "<p class=\"empty\">%s</p>", sections[i].empty ? sections[i].empty : "Nothing yet.");
        text_puts(o, "</section>");
    }
    text_puts(o, "</main><footer>Refreshes every 10 s &middot; <a href=\"/metrics\">/metrics</a> &middot; "
                 "<a href=\"/healthz\">/healthz</a> &middot; <a href=\"/readyz\">/readyz</a></footer></body></html>\n");
}
