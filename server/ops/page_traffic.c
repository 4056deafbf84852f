/* page_traffic.c - see page_traffic.h. */
#include "server/ops/page_traffic.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "server/ops/status_page.h"
#include "server/ops/textbuf.h"

static const char *utc(char *b, size_t cap, uint32_t ts)
{
    time_t t = (time_t)ts;
    struct tm tm;
    if (!ts || !gmtime_r(&t, &tm)) snprintf(b, cap, "-");
    else strftime(b, cap, "%Y-%m-%d %H:%M:%S", &tm);
    return b;
}

static void td_num(struct bbuf *o, uint64_t v) { text_printf(o, "<td class=\"num\">%" PRIu64 "</td>", v); }

static void td_bytes(struct bbuf *o, uint64_t v)
{
    char b[32];
    text_printf(o, "<td class=\"num\">%s</td>", page_bytes(b, sizeof(b), (double)v));
}

static void top_tables(struct bbuf *o, const struct traffic_snapshot *t)
{
    uint64_t all = 0;
    for (size_t i = 0; i < t->ntables; i++) all += t->tables[i].bytes;
    size_t shown = t->ntables < PAGE_TRAFFIC_ROWS ? t->ntables : PAGE_TRAFFIC_ROWS;
    text_puts(o, "<table id=\"traffic-tables\"><tr><th>Table</th><th class=\"num\">Events</th><th class=\"num\">"
                 "Inserted</th><th class=\"num\">Updated</th><th class=\"num\">Deleted</th><th class=\"num\">Bytes"
                 "</th><th>Share</th><th class=\"num\">Transactions</th><th class=\"num\">Bytes last minute</th>"
                 "<th class=\"num\">Bytes last hour</th></tr>");
    for (size_t i = 0; i < shown; i++) {
        const struct traffic_row *r = &t->tables[i];
        text_puts(o, "<tr data-table=\"");
        html_escape(o, r->name);
        text_printf(o, "\" data-bytes=\"%" PRIu64 "\"><td class=\"mono\">", r->bytes);
        html_escape(o, r->name);
        text_puts(o, "</td>");
        td_num(o, r->events);
        td_num(o, r->rows_ins);
        td_num(o, r->rows_upd);
        td_num(o, r->rows_del);
        td_bytes(o, r->bytes);
        text_printf(o, "<td><div class=\"bar\"><div style=\"width:%.0f%%\"></div></div></td>",
                    all ? 100.0 * (double)r->bytes / (double)all : 0.0);
        td_num(o, r->trx);
        td_bytes(o, r->minute.bytes);
        td_bytes(o, r->hour.bytes);
        text_puts(o, "</tr>");
    }
    text_puts(o, "</table>");
    if (shown < t->ntables) {
        uint64_t rest = 0;
        for (size_t i = shown; i < t->ntables; i++) rest += t->tables[i].bytes;
        char b[32];
        text_printf(o, "<p class=\"muted\">and %zu more tables (%s)</p>", t->ntables - shown,
                    page_bytes(b, sizeof(b), (double)rest));
    }
}

static void by_kind(struct bbuf *o, const struct traffic_snapshot *t)
{
    if (!t->c.events) return;
    text_puts(o, "<p class=\"muted\">By kind: ");
    int first = 1;
    for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) {
        const struct traffic_row *r = &t->kinds[k];
        if (!r->events) continue;
        char b[32];
        text_printf(o, "%s<span data-kind=\"%s\">%s %" PRIu64 " (%s)</span>", first ? "" : " &middot; ", r->name,
                    r->name, r->events, page_bytes(b, sizeof(b), (double)r->bytes));
        first = 0;
    }
    text_puts(o, "</p>");
}

static void top_trx(struct bbuf *o, const struct traffic_snapshot *t)
{
    if (!t->ntop) return;
    size_t n = t->ntop < PAGE_TRAFFIC_TRX ? t->ntop : PAGE_TRAFFIC_TRX;
    text_puts(o, "<h3>Largest transactions of the last hour</h3><table id=\"traffic-top\"><tr><th>GTID</th><th>"
                 "Server id</th><th class=\"num\">Bytes</th><th class=\"num\">Rows</th><th class=\"num\">Tables</th>"
                 "<th class=\"num\">Seconds on the primary</th><th>Started (UTC)</th></tr>");
    for (size_t i = 0; i < n; i++) {
        const struct traffic_trx *x = &t->top[i];
        char when[32];
        text_puts(o, "<tr data-gtid=\"");
        html_escape(o, x->gtid);
        text_puts(o, "\"><td class=\"mono\">");
        html_escape(o, x->gtid[0] ? x->gtid : "(no GTID)");
        text_printf(o, "</td><td>%" PRIu32 "</td>", x->server_id);
        td_bytes(o, x->bytes);
        td_num(o, x->rows);
        td_num(o, x->tables);
        td_num(o, x->last_ts >= x->first_ts ? x->last_ts - x->first_ts : 0);
        text_printf(o, "<td>%s</td></tr>", utc(when, sizeof(when), x->first_ts));
    }
    text_puts(o, "</table>");
}

void page_traffic_section(void *arg, const struct ops_snapshot *s, struct bbuf *o)
{
    (void)arg;
    if (!s->has_traffic) {
        text_puts(o, "<p class=\"empty\">Traffic statistics are off (stats.enabled = off).</p>");
        return;
    }
    const struct traffic_snapshot *t = s->traffic;
    if (!t || !t->ntables) {
        text_puts(o, "<p class=\"empty\">No table traffic yet.</p>");
        if (t) by_kind(o, t);
        return;
    }
    uint64_t mb = 0, hb = 0;
    for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) {
        mb += t->kinds[k].minute.bytes;
        hb += t->kinds[k].hour.bytes;
    }
    char a[32], b[32], c[32];
    text_printf(o, "<p>%" PRIu64 " tables tracked; since start %" PRIu64 " events, %s, %" PRIu64 " transactions; "
                "last minute %s, last hour %s.</p>", t->c.tables, t->c.events, page_bytes(a, sizeof(a), (double)t->c.bytes),
                t->c.trx, page_bytes(b, sizeof(b), (double)mb), page_bytes(c, sizeof(c), (double)hb));
    top_tables(o, t);
    by_kind(o, t);
    top_trx(o, t);
}

void page_doctor_section(void *arg, const struct ops_snapshot *s, struct bbuf *o)
{
    (void)arg;
    if (!s->has_traffic) {
        text_puts(o, "<p class=\"empty\">Traffic statistics are off (stats.enabled = off): the lag doctor does not "
                     "run.</p>");
        return;
    }
    const struct traffic_snapshot *t = s->traffic;
    if (!t) return;
    char b[32], f[32], l[32];
    if (t->c.maps_without_pk_info)
        text_printf(o, "<p class=\"warn\" id=\"doctor-cannot-tell\">Cannot tell tables without a primary key: %" PRIu64
                    " TABLE_MAP events carried no primary-key information. Set <code>binlog_row_metadata=FULL</code> "
                    "on the primary.</p>", t->c.maps_without_pk_info);
    if (t->nnopk) {
        text_puts(o, "<h3>Tables without a primary key receiving UPDATE/DELETE rows</h3><table id=\"doctor-nopk\"><tr>"
                     "<th>Table</th><th class=\"num\">Rows changed</th><th class=\"num\">Events</th><th class=\"num\">"
                     "Bytes</th><th>First seen (UTC)</th><th>Last seen (UTC)</th></tr>");
        for (size_t i = 0; i < t->nnopk; i++) {
            const struct traffic_nopk *x = &t->nopk[i];
            text_puts(o, "<tr class=\"behind\" data-table=\"");
            html_escape(o, x->table);
            text_puts(o, "\"><td class=\"mono\">");
            html_escape(o, x->table);
            text_puts(o, "</td>");
            td_num(o, x->rows);
            td_num(o, x->events);
            td_bytes(o, x->bytes);
            text_printf(o, "<td>%s</td><td>%s</td></tr>", utc(f, sizeof(f), x->first_ts), utc(l, sizeof(l), x->last_ts));
        }
        text_puts(o, "</table><p class=\"muted\">A row-based replica finds every changed row of such a table by "
                     "scanning it: add a primary key.</p>");
    }
    if (t->nlarge) {
        text_printf(o, "<h3>Large transactions (%s or more)</h3><table id=\"doctor-large\"><tr><th>GTID</th><th>Server "
                    "id</th><th class=\"num\">Bytes</th><th class=\"num\">Rows</th><th class=\"num\">Tables</th>"
                    "<th>Started (UTC)</th></tr>", page_bytes(b, sizeof(b), (double)t->large_trx_bytes));
        for (size_t i = 0; i < t->nlarge; i++) {
            const struct traffic_trx *x = &t->large[i];
            text_puts(o, "<tr data-gtid=\"");
            html_escape(o, x->gtid);
            text_puts(o, "\"><td class=\"mono\">");
            html_escape(o, x->gtid[0] ? x->gtid : "(no GTID)");
            text_printf(o, "</td><td>%" PRIu32 "</td>", x->server_id);
            td_bytes(o, x->bytes);
            td_num(o, x->rows);
            td_num(o, x->tables);
            text_printf(o, "<td>%s</td></tr>", utc(f, sizeof(f), x->first_ts));
        }
        text_puts(o, "</table>");
    }
    if (!t->c.maps_without_pk_info && !t->nnopk && !t->nlarge)
        text_printf(o, "<p class=\"empty\">No findings: no table without a primary key received UPDATE/DELETE rows, "
                    "and no transaction reached %s.</p>", page_bytes(b, sizeof(b), (double)t->large_trx_bytes));
}
