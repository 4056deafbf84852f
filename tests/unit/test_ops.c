/*
 * test_ops.c - server/ops pieces without a server: the Prometheus text writer (label
 * escaping, HELP/TYPE once per family, cumulative histogram buckets ending at +Inf with _sum
 * and _count), the HTML escaper, the history ring, bytes behind, and the label-cardinality
 * bound (25 replicas, 20 labelled + one "other" holding the sums); the traffic, lag doctor
 * and split-brain families (the table/server bound, sticky series, sums, label escaping), the
 * status page's traffic, doctor and split-brain sections (HTML escaping of table names with
 * quotes, newlines and '<'; the alarm line; unreachable never shown as healthy) and
 * /healthz's split-brain verdict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/ops/health.h"
#include "server/ops/page_traffic.h"
#include "server/ops/page_watch.h"
#include "server/ops/prom.h"
#include "server/ops/ring.h"
#include "server/ops/snapshot.h"
#include "server/ops/textbuf.h"
#include "server/ops/traffic_metrics.h"
#include "server/ops/watch_metrics.h"

static void test_prom_labels_escaped(void **st)
{
    (void)st;
    struct bbuf b = {0};
    struct prom p;
    prom_init(&p, &b);
    assert_int_equal(prom_family(&p, "binlogd_x_info", PROM_GAUGE, "a \\ back\nslash"), 0);
    struct prom_label l[] = {{"file", "a\"b\\c\nd"}, {"host", ""}};
    prom_sample(&p, "", l, 2, 1);
    assert_string_equal(text_cstr(&b), "# HELP binlogd_x_info a \\\\ back\\nslash\n# TYPE binlogd_x_info gauge\n"
                                       "binlogd_x_info{file=\"a\\\"b\\\\c\\nd\",host=\"\"} 1\n");
    assert_int_equal(p.bad, 0);
    prom_free(&p);
    bbuf_free(&b);
}

static void test_prom_family_once(void **st)
{
    (void)st;
    struct bbuf b = {0};
    struct prom p;
    prom_init(&p, &b);
    assert_int_equal(prom_family(&p, "binlogd_a_total", PROM_COUNTER, "h"), 0);
    prom_sample_u64(&p, "", NULL, 0, 18446744073709551615ULL);
    assert_int_equal(prom_family(&p, "binlogd_a_total", PROM_COUNTER, "h"), -1);   /* twice: refused */
    prom_sample_u64(&p, "", NULL, 0, 1);                                          /* no open family */
    assert_int_equal(prom_family(&p, "bad name", PROM_GAUGE, "h"), -1);
    const char *t = text_cstr(&b);
    assert_string_equal(t, "# HELP binlogd_a_total h\n# TYPE binlogd_a_total counter\nbinlogd_a_total 18446744073709551615\n");
    assert_int_equal(p.bad, 1);
    prom_free(&p);
    bbuf_free(&b);
}

static void test_prom_values(void **st)
{
    (void)st;
    struct bbuf b = {0};
    struct prom p;
    prom_init(&p, &b);
    prom_family(&p, "binlogd_v", PROM_GAUGE, "h");
    prom_sample(&p, "", NULL, 0, 0.25);
    prom_sample(&p, "", NULL, 0, 0.0 / 0.0);
    prom_sample(&p, "", NULL, 0, 1.0 / 0.0);
    assert_non_null(strstr(text_cstr(&b), "binlogd_v 0.25\nbinlogd_v NaN\nbinlogd_v +Inf\n"));
    prom_free(&p);
    bbuf_free(&b);
}

static void test_prom_histogram(void **st)
{
    (void)st;
    struct bbuf b = {0};
    struct prom p;
    prom_init(&p, &b);
    static const double bounds[] = {0.001, 0.01, 0.1};
    static const uint64_t counts[] = {2, 0, 3, 1};   /* per bucket; the last is above 0.1 */
    assert_int_equal(prom_family(&p, "binlogd_d_seconds", PROM_HISTOGRAM, "h"), 0);
    struct prom_label l[] = {{"call", "fsync"}};
    prom_histogram(&p, l, 1, bounds, 3, counts, 1.5);
    assert_string_equal(text_cstr(&b),
                        "# HELP binlogd_d_seconds h\n# TYPE binlogd_d_seconds histogram\n"
                        "binlogd_d_seconds_bucket{call=\"fsync\",le=\"0.001\"} 2\n"
                        "binlogd_d_seconds_bucket{call=\"fsync\",le=\"0.01\"} 2\n"
                        "binlogd_d_seconds_bucket{call=\"fsync\",le=\"0.1\"} 5\n"
                        "binlogd_d_seconds_bucket{call=\"fsync\",le=\"+Inf\"} 6\n"
                        "binlogd_d_seconds_sum{call=\"fsync\"} 1.5\n"
                        "binlogd_d_seconds_count{call=\"fsync\"} 6\n");
    prom_free(&p);
    bbuf_free(&b);
}

static void test_html_escape(void **st)
{
    (void)st;
    struct bbuf b = {0};
    html_escape(&b, "<script>alert('x&y')</script>\"\x01ok");
    assert_string_equal(text_cstr(&b), "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;\xef\xbf\xbdok");
    bbuf_free(&b);
}

static void test_ring(void **st)
{
    (void)st;
    struct ring r;
    assert_int_equal(ring_init(&r, 360), 0);
    assert_int_equal(ring_count(&r), 0);
    assert_null(ring_get(&r, 0));
    for (int i = 0; i < 1000; i++) {
        struct ring_sample x = {.t = i, .v = {i, 0, 0, 0}};
        ring_push(&r, &x);
    }
    assert_int_equal(ring_count(&r), 360);
    assert_int_equal(ring_get(&r, 0)->t, 640);     /* the oldest kept */
    assert_int_equal(ring_get(&r, 359)->t, 999);   /* the newest */
    assert_null(ring_get(&r, 360));
    ring_free(&r);
}

static void test_bytes_behind(void **st)
{
    (void)st;
    struct store_file_info f[3] = {{.name = "b.1", .size = 1000}, {.name = "b.2", .size = 500}, {.name = "b.3", .size = 300}};
    assert_int_equal(ops_bytes_behind(f, 3, "b.3", 120), 180);          /* same file */
    assert_int_equal(ops_bytes_behind(f, 3, "b.1", 900), 100 + 500 + 300);
    assert_int_equal(ops_bytes_behind(f, 3, "b.3", 300), 0);
    assert_int_equal(ops_bytes_behind(f, 3, "nope", 4), 0);
}

static void test_cardinality_bound(void **st)
{
    (void)st;
    struct ops_replica r[25];
    memset(r, 0, sizeof(r));
    uint64_t sent = 0, behind = 0, acks = 0;
    for (int i = 0; i < 25; i++) {
        r[i].d.server_id = 100 + (uint32_t)i;
        r[i].d.conn_id = (uint32_t)i + 1;
        snprintf(r[i].d.host, sizeof(r[i].d.host), "10.0.0.%d", i);
        r[i].bytes_behind = (uint64_t)((i * 7) % 25) * 1000;   /* a permutation of 0..24 thousands */
        r[i].d.bytes_sent = 10 + (uint64_t)i;
        r[i].d.semi_sync_acks = (uint64_t)i;
        r[i].d.behind_s = (uint64_t)i;
    }
    struct ops_replica other;
    size_t keep = ops_replica_select(r, 25, 20, &other);
    assert_int_equal(keep, 20);
    for (size_t i = 0; i < 20; i++) assert_int_equal(r[i].bytes_behind, (24 - i) * 1000);   /* most behind first */
    for (size_t i = 20; i < 25; i++) {
        sent += r[i].d.bytes_sent;
        behind += r[i].bytes_behind;
        acks += r[i].d.semi_sync_acks;
    }
    assert_int_equal(other.others, 5);
    assert_int_equal(other.bytes_behind, behind);
    assert_int_equal(behind, (4 + 3 + 2 + 1 + 0) * 1000);
    assert_int_equal(other.d.bytes_sent, sent);
    assert_int_equal(other.d.semi_sync_acks, acks);
    /* fewer than the bound: all labelled, no "other" */
    keep = ops_replica_select(r, 3, 20, &other);
    assert_int_equal(keep, 3);
    assert_int_equal(other.others, 0);
}

static void test_merge_same_identity(void **st)
{
    (void)st;
    struct ops_replica r[4];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 4; i++) {
        snprintf(r[i].d.host, sizeof(r[i].d.host), "127.0.0.1");
        r[i].d.bytes_sent = 100;
        r[i].bytes_behind = 10;
    }
    r[3].d.server_id = 7;   /* three tools as server_id 0 from one host, one replica */
    size_t n = ops_replica_merge(r, 4);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].d.server_id, 0);
    assert_int_equal(r[0].others, 3);
    assert_int_equal(r[0].d.bytes_sent, 300);
    assert_int_equal(r[0].bytes_behind, 30);
    assert_int_equal(r[1].d.server_id, 7);
    assert_int_equal(r[1].others, 0);
}

/* rows[i] = "db<i>.t<i>" with bytes falling with i. */
static struct traffic_row *table_rows(size_t n, char names[][32])
{
    struct traffic_row *r = calloc(n, sizeof(*r));
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], 32, "db%zu.t%zu", i, i);
        r[i].name = names[i];
        r[i].db_len = (size_t)(strchr(names[i], '.') - names[i]);
        r[i].bytes = 1000 * (n - i);
        r[i].events = 10 + i;
        r[i].rows_ins = i;
        r[i].rows_upd = 2 * i;
        r[i].rows_del = 3 * i;
        r[i].trx = 1;
    }
    return r;
}

/* Sum of the values of every sample line of family `name` (whole lines "name{" or "name "). */
static double family_sum(const char *text, const char *name, size_t *lines)
{
    double sum = 0;
    size_t nl = strlen(name);
    *lines = 0;
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, name, nl) || (l[nl] != '{' && l[nl] != ' ')) continue;
        const char *sp = strchr(l, ' ');
        if (l[nl] == '{') {   /* the value follows the closing brace */
            const char *e = strstr(l, "} ");
            sp = e ? e + 1 : sp;
        }
        sum += atof(sp + 1);
        (*lines)++;
    }
    return sum;
}

static void test_traffic_series_bound(void **st)
{
    (void)st;
    char names[31][32];
    struct traffic_row *r = table_rows(31, names);
    r[30].name = "(other)";   /* the statistics' own fold (stats.max_tables) */
    r[30].db_len = 0;
    struct traffic_snapshot t;
    memset(&t, 0, sizeof(t));
    t.tables = r;
    t.ntables = 31;
    uint64_t bytes = 0, events = 0, upd = 0;
    for (size_t i = 0; i < 31; i++) bytes += r[i].bytes, events += r[i].events, upd += r[i].rows_upd;

    struct ops_series tables = {0}, servers = {0};
    struct bbuf b = {0};
    struct prom p;
    prom_init(&p, &b);
    traffic_metrics_write(&p, &t, 20, &tables, &servers);
    assert_int_equal(p.bad, 0);
    const char *txt = text_cstr(&b);
    size_t lines;
    /* 20 labelled + one "(other)" holding the other 10 and the statistics' (other) row */
    assert_true(family_sum(txt, "binlogd_traffic_table_bytes_total", &lines) == (double)bytes);
    assert_int_equal(lines, 21);
    assert_true(family_sum(txt, "binlogd_traffic_table_events_total", &lines) == (double)events);
    assert_int_equal(lines, 21);
    assert_int_equal(family_sum(txt, "binlogd_traffic_table_rows_total", &lines) > 0, 1);
    assert_int_equal(lines, 21 * 3);
    assert_int_equal((int)family_sum(txt, "binlogd_traffic_table_series_folded", &lines), 11);
    assert_non_null(strstr(txt, "binlogd_traffic_table_bytes_total{db=\"db0\",table=\"t0\"} 31000\n"));
    assert_non_null(strstr(txt, "binlogd_traffic_table_rows_total{db=\"db3\",table=\"t3\",op=\"update\"} 6\n"));
    assert_null(strstr(txt, "db=\"db20\""));   /* the 21st largest is folded */
    uint64_t other = 0;
    for (size_t i = 20; i < 31; i++) other += r[i].bytes;
    char want[128];
    snprintf(want, sizeof(want), "binlogd_traffic_table_bytes_total{db=\"(other)\",table=\"(other)\"} %llu\n",
             (unsigned long long)other);
    assert_non_null(strstr(txt, want));
    prom_free(&p);
    bbuf_free(&b);

    /* Sticky: a new table larger than all comes in; the 20 keep their series, it is folded. */
    r[29].name = "big.new";
    r[29].db_len = 3;
    r[29].bytes = 1000000;
    unsigned char marks[31];
    struct traffic_row big = r[29];
    memmove(&r[1], &r[0], 29 * sizeof(*r));
    r[0] = big;   /* largest first, as snapshots are sorted */
    assert_int_equal(ops_series_pick(&tables, 20, r, 31, marks), 11);
    assert_int_equal(marks[0], 0);
    for (size_t i = 1; i <= 20; i++) assert_int_equal(marks[i], 1);
    /* A lower bound (reload) picks again: the largest first. */
    assert_int_equal(ops_series_pick(&tables, 5, r, 31, marks), 26);
    assert_int_equal(marks[0], 1);
    assert_int_equal(tables.n, 5);
    ops_series_free(&tables);
    ops_series_free(&servers);
    free(r);
}

static void test_traffic_metrics_labels(void **st)
{
    (void)st;
    struct traffic_row tr[2] = {
        {.name = "we\"ird.db.t\\a\nb", .db_len = 9, .bytes = 5, .events = 1},   /* db "we\"ird.db": a dot in it */
        {.name = "shop.*", .db_len = 4, .bytes = 3, .events = 2},
    };
    struct traffic_row sv[1] = {{.name = "12", .bytes = 8, .events = 3, .trx = 1}};
    struct traffic_snapshot t;
    memset(&t, 0, sizeof(t));
    t.tables = tr;
    t.ntables = 2;
    t.servers = sv;
    t.nservers = 1;
    for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) t.kinds[k].name = traffic_kind_name((enum traffic_kind)k);
    t.kinds[TRAFFIC_DELETE_ROWS].rows_del = 7;
    t.c.trx = 4;
    t.c.nopk_tables = 2;
    t.c.maps_without_pk_info = 1;
    struct ops_series a = {0}, c = {0};
    struct bbuf b = {0};
    struct prom p;
    prom_init(&p, &b);
    traffic_metrics_write(&p, &t, 20, &a, &c);
    assert_int_equal(p.bad, 0);
    const char *txt = text_cstr(&b);
    assert_non_null(strstr(txt, "binlogd_traffic_table_bytes_total{db=\"we\\\"ird.db\",table=\"t\\\\a\\nb\"} 5\n"));
    assert_non_null(strstr(txt, "binlogd_traffic_table_events_total{db=\"shop\",table=\"*\"} 2\n"));
    assert_non_null(strstr(txt, "binlogd_traffic_server_bytes_total{server_id=\"12\"} 8\n"));
    assert_non_null(strstr(txt, "binlogd_traffic_rows_total{op=\"delete\"} 7\n"));
    assert_non_null(strstr(txt, "binlogd_traffic_transactions_total 4\n"));
    assert_non_null(strstr(txt, "binlogd_lag_doctor_tables_without_primary_key 2\n"));
    assert_non_null(strstr(txt, "binlogd_lag_doctor_cannot_tell 1\n"));
    assert_non_null(strstr(txt, "# TYPE binlogd_lag_doctor_rows_without_primary_key_total counter\n"));
    assert_null(strstr(txt, "{db=\"(other)\""));   /* nothing folded: no "(other)" series */
    assert_null(strstr(txt, "{server_id=\"(other)\""));
    prom_free(&p);
    bbuf_free(&b);
    /* statistics off: one gauge */
    prom_init(&p, &b);
    traffic_metrics_write(&p, NULL, 20, &a, &c);
    assert_string_equal(text_cstr(&b), "# HELP binlogd_traffic_enabled 1 when traffic statistics and the lag doctor "
                                       "run (stats.enabled)\n# TYPE binlogd_traffic_enabled gauge\n"
                                       "binlogd_traffic_enabled 0\n");
    prom_free(&p);
    bbuf_free(&b);
    ops_series_free(&a);
    ops_series_free(&c);
}

static struct ops_snapshot *traffic_page_snapshot(struct traffic_snapshot *t, struct traffic_row *tr,
                                                  struct traffic_nopk *np)
{
    static struct ops_snapshot s;
    memset(&s, 0, sizeof(s));
    memset(t, 0, sizeof(*t));
    tr[0] = (struct traffic_row){.name = "sh<o>p.\"t\"\n<script>x", .db_len = 6, .bytes = 100, .events = 3, .rows_ins = 2};
    tr[1] = (struct traffic_row){.name = "a.b", .db_len = 1, .bytes = 50, .events = 1, .rows_upd = 4};
    np[0] = (struct traffic_nopk){.table = "n<o>pk.'t'", .rows = 9, .events = 2, .bytes = 77, .first_ts = 1700000000,
                                  .last_ts = 1700000060};
    t->tables = tr;
    t->ntables = 2;
    t->nopk = np;
    t->nnopk = 1;
    t->nlarge = 1;
    snprintf(t->large[0].gtid, sizeof(t->large[0].gtid), "0-1-<99>");
    t->large[0].bytes = 3u << 20;
    t->large_trx_bytes = 1u << 20;
    t->c.maps_without_pk_info = 1;
    t->c.maps_with_pk_info = 5;
    for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) t->kinds[k].name = traffic_kind_name((enum traffic_kind)k);
    s.has_traffic = 1;
    s.traffic = t;
    return &s;
}

static void test_page_traffic_escaped(void **st)
{
    (void)st;
    struct traffic_snapshot t;
    struct traffic_row tr[2];
    struct traffic_nopk np[1];
    struct ops_snapshot *s = traffic_page_snapshot(&t, tr, np);
    struct bbuf b = {0};
    page_traffic_section(NULL, s, &b);
    page_doctor_section(NULL, s, &b);
    const char *h = text_cstr(&b);
    assert_null(strstr(h, "<script"));
    assert_null(strstr(h, "<o>"));
    assert_null(strstr(h, "<99>"));
    assert_non_null(strstr(h, "data-table=\"sh&lt;o&gt;p.&quot;t&quot;\n&lt;script&gt;x\""));
    assert_non_null(strstr(h, "data-table=\"a.b\" data-bytes=\"50\""));
    assert_non_null(strstr(h, "data-table=\"n&lt;o&gt;pk.&#39;t&#39;\""));
    assert_non_null(strstr(h, "id=\"doctor-cannot-tell\""));
    assert_non_null(strstr(h, "0-1-&lt;99&gt;"));
    assert_non_null(strstr(h, "2023-11-14 22:13:20"));   /* first seen, UTC */
    bbuf_free(&b);
    /* statistics off: both sections say so */
    s->has_traffic = 0;
    s->traffic = NULL;
    page_traffic_section(NULL, s, &b);
    page_doctor_section(NULL, s, &b);
    assert_non_null(strstr(text_cstr(&b), "stats.enabled = off"));
    bbuf_free(&b);
}

static void watch_rows(struct watch_server_status *w)
{
    memset(w, 0, 3 * sizeof(*w));
    snprintf(w[0].server, sizeof(w[0].server), "db<1>:3306");
    w[0].verdict = SPLITBRAIN_SPLIT;
    w[0].reachable = 1;
    w[0].server_id = 10;
    snprintf(w[0].reason, sizeof(w[0].reason), "db<1>:3306 has transactions neither binlogd nor its upstream has: 0-10-101");
    snprintf(w[1].server, sizeof(w[1].server), "db2:3306");
    w[1].verdict = SPLITBRAIN_UNREACHABLE;
    w[1].last_poll_age_ms = UINT64_MAX;
    snprintf(w[1].reason, sizeof(w[1].reason), "cannot connect");
    snprintf(w[2].server, sizeof(w[2].server), "db3:3306");
    w[2].verdict = SPLITBRAIN_UPSTREAM;
    w[2].is_upstream = 1;
    w[2].reachable = 1;
    w[2].last_poll_age_ms = 1500;
}

static void test_split_brain_wired(void **st)
{
    (void)st;
    static struct ops_snapshot s;
    struct watch_server_status w[3];
    memset(&s, 0, sizeof(s));
    watch_rows(w);
    s.has_watch = 1;
    s.watch.enabled = 1;
    s.watch.split_brain = 1;
    s.watch.unreachable = 1;
    s.watch.rounds = 7;
    snprintf(s.watch.reason, sizeof(s.watch.reason), "%s", w[0].reason);
    s.wrows = w;
    s.nwrows = 3;

    /* /healthz: 503 naming the server, whatever the upstream does */
    char why[1200];
    assert_int_equal(health_eval(&s, 60, NULL, why, sizeof(why)), 0);
    assert_string_equal(why, "split-brain: db<1>:3306 has transactions neither binlogd nor its upstream has: 0-10-101");
    s.watch.split_brain = 2;
    assert_int_equal(health_eval(&s, 60, NULL, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "(and 1 more servers in split-brain"));
    s.watch.split_brain = 1;

    /* the page: a red line, the row red, the unreachable one grey and named so */
    struct bbuf b = {0};
    page_watch_section(NULL, &s, &b);
    const char *h = text_cstr(&b);
    assert_non_null(strstr(h, "<p class=\"alarm\" id=\"split-brain-alarm\">SPLIT-BRAIN: db&lt;1&gt;:3306 has"));
    assert_non_null(strstr(h, "<tr class=\"split\" data-verdict=\"split-brain\" data-server=\"db&lt;1&gt;:3306\">"));
    assert_non_null(strstr(h, "<tr class=\"unreachable\" data-verdict=\"unreachable\" data-server=\"db2:3306\">"));
    assert_non_null(strstr(h, "<td class=\"v-unreachable\">unreachable</td><td class=\"num\">never</td>"));
    assert_null(strstr(h, "<1>"));
    bbuf_free(&b);

    /* the metrics */
    struct prom p;
    prom_init(&p, &b);
    watch_metrics_write(&p, &s.watch, w, 3);
    assert_int_equal(p.bad, 0);
    const char *m = text_cstr(&b);
    assert_non_null(strstr(m, "\nbinlogd_split_brain 1\n"));
    assert_non_null(strstr(m, "binlogd_split_brain_watch_enabled 1\n"));
    assert_non_null(strstr(m, "binlogd_split_brain_servers{verdict=\"unreachable\"} 1\n"));
    assert_non_null(strstr(m, "binlogd_split_brain_server_info{server=\"db<1>:3306\",server_id=\"10\",verdict=\"split-brain\",upstream=\"0\"} 1\n"));
    assert_non_null(strstr(m, "binlogd_split_brain_server_reachable{server=\"db2:3306\"} 0\n"));
    assert_non_null(strstr(m, "binlogd_split_brain_server_last_poll_age_seconds{server=\"db3:3306\"} 1.5\n"));
    assert_null(strstr(m, "last_poll_age_seconds{server=\"db2:3306\"}"));   /* never polled: absent */
    prom_free(&p);
    bbuf_free(&b);

    /* cleared: healthy again, no alarm line, metric 0 */
    w[0].verdict = SPLITBRAIN_BEHIND;
    s.watch.split_brain = 0;
    s.watch.reason[0] = 0;
    assert_int_equal(health_eval(&s, 60, NULL, why, sizeof(why)), 1);
    assert_string_equal(why, "ok");
    page_watch_section(NULL, &s, &b);
    assert_null(strstr(text_cstr(&b), "split-brain-alarm"));
    bbuf_free(&b);
    prom_init(&p, &b);
    watch_metrics_write(&p, &s.watch, w, 3);
    assert_non_null(strstr(text_cstr(&b), "\nbinlogd_split_brain 0\n"));
    prom_free(&p);
    bbuf_free(&b);
    /* no watch: nothing written, the page says it is not watching */
    prom_init(&p, &b);
    watch_metrics_write(&p, NULL, NULL, 0);
    assert_int_equal(b.len, 0);
    prom_free(&p);
    s.has_watch = 0;
    page_watch_section(NULL, &s, &b);
    assert_non_null(strstr(text_cstr(&b), "Not watching"));
    bbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prom_labels_escaped), cmocka_unit_test(test_prom_family_once),
        cmocka_unit_test(test_prom_values),         cmocka_unit_test(test_prom_histogram),
        cmocka_unit_test(test_html_escape),         cmocka_unit_test(test_ring),
        cmocka_unit_test(test_bytes_behind),        cmocka_unit_test(test_cardinality_bound),
        cmocka_unit_test(test_merge_same_identity), cmocka_unit_test(test_traffic_series_bound),
        cmocka_unit_test(test_traffic_metrics_labels), cmocka_unit_test(test_page_traffic_escaped),
        cmocka_unit_test(test_split_brain_wired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
