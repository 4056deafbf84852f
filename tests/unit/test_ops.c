/*
 * test_ops.c - server/ops pieces without a server: the Prometheus text writer (label
 * escaping, HELP/TYPE once per family, cumulative histogram buckets ending at +Inf with _sum
 * and _count), the HTML escaper, the history ring, bytes behind, and the label-cardinality
 * bound (25 replicas, 20 labelled + one "other" holding the sums).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "server/ops/prom.h"
#include "server/ops/ring.h"
#include "server/ops/snapshot.h"
#include "server/ops/textbuf.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prom_labels_escaped), cmocka_unit_test(test_prom_family_once),
        cmocka_unit_test(test_prom_values),         cmocka_unit_test(test_prom_histogram),
        cmocka_unit_test(test_html_escape),         cmocka_unit_test(test_ring),
        cmocka_unit_test(test_bytes_behind),        cmocka_unit_test(test_cardinality_bound),
        cmocka_unit_test(test_merge_same_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
