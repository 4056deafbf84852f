/*
 * test_traffic.c - the traffic accumulator (server/upstream/traffic.c) fed synthetic events
 * with an injected clock: exact per-table / per-kind / per-server counts, transactions held
 * back until they end (a stream reset drops a cut one), the minute and hour rings rolling
 * over, top transactions, the lag doctor (no primary key, cannot tell, large transactions),
 * the max_tables bound folding into "(other)", and the statements over it (stmt_ctx); the
 * TABLE_MAP cache (identical maps reused, a table_id mapped to another table re-read) and
 * traffic_feed_verdict (the caller's verdicts) giving exactly traffic_feed's figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/event.h"
#include "protocol/table_map.h"
#include "protocol/wire.h"
#include "server/admin/sql.h"
#include "server/upstream/ingest.h"
#include "server/upstream/traffic.h"
#include "tests/unit/evgen.h"

static struct evgen gen;
static struct ev_fmt fmt;
static uint8_t ev[1 << 16];
static uint64_t now_ms;
static struct traffic *T;

static struct traffic *T2;          /* when set: fed the same events by traffic_feed_verdict */
static struct trx_parser tp2;

static void feed(size_t n)
{
    struct ev_view v;
    const char *why = NULL;
    assert_true(n > 0);
    assert_int_equal(ev_view_parse(&v, ev, n, &fmt, &why), EV_OK);
    traffic_feed(T, &v, &fmt, now_ms);
    if (T2) traffic_feed_verdict(T2, &v, &fmt, trx_feed_view(&tp2, &v, &fmt, &why), now_ms);
}

static int setup(void **state)
{
    (void)state;
    evgen_init(&gen);
    size_t n = evgen_fde(&gen, ev, sizeof(ev));
    struct ev_fde fde;
    const char *why;
    assert_int_equal(ev_fde_parse(ev, n, &fde, &why), EV_OK);
    ev_fmt_from_fde(&fmt, &fde);
    struct traffic_opts o = {.max_tables = 3, .large_trx_bytes = 200};
    T = traffic_new(&o);
    assert_non_null(T);
    now_ms = 10ULL * 3600 * 1000;   /* an arbitrary monotonic start */
    feed(n);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    traffic_free(T);
    return 0;
}

/* pk: 0 none (COLUMN_NAME only), 1 simple primary key, 2 no TLVs (cannot tell) */
static void table_map(uint64_t id, const char *db, const char *table, int pk)
{
    static const uint8_t types[1] = {TM_LONG};
    uint8_t opt[16];
    size_t o = 0;
    if (pk != 2) { opt[o++] = TM_OPT_COLUMN_NAME; opt[o++] = 2; opt[o++] = 1; opt[o++] = 'a'; }
    if (pk == 1) { opt[o++] = TM_OPT_SIMPLE_PRIMARY_KEY; opt[o++] = 1; opt[o++] = 0; }
    feed(evgen_table_map(&gen, ev, sizeof(ev), id, db, table, types, 1, NULL, 0, opt, o));
}

/* A rows event of `rows` one-INT rows (UPDATE: rows before/after pairs). */
static size_t rows_event(uint8_t type, uint64_t id, unsigned rows, int stmt_end)
{
    uint8_t img[4096];
    size_t n = 0;
    unsigned images = rows * (type == 24 ? 2 : 1);
    for (unsigned i = 0; i < images; i++) {
        img[n++] = 0;
        wire_put_u32(img + n, i);
        n += 4;
    }
    size_t len = evgen_rows(&gen, ev, sizeof(ev), type, id, stmt_end ? 1 : 0, 1, img, n);
    feed(len);
    return len;
}

static const struct traffic_row *row(const struct traffic_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->ntables; i++)
        if (!strcmp(s->tables[i].name, name)) return &s->tables[i];
    return NULL;
}

static void test_counts(void **state)
{
    (void)state;
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 1, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "nopk", 0);
    table_map(6, "d", "pk", 1);
    size_t b1 = rows_event(23, 5, 3, 0);
    size_t b2 = rows_event(24, 5, 2, 0);
    size_t b3 = rows_event(25, 6, 4, 1);
    /* Not applied before the transaction ends */
    struct traffic_snapshot *s = traffic_snapshot_take(T, now_ms, NULL, 0);
    assert_int_equal(s->ntables, 0);
    assert_int_equal(s->c.trx, 0);
    traffic_snapshot_free(s);
    feed(evgen_xid(&gen, ev, sizeof(ev), 9));
    s = traffic_snapshot_take(T, now_ms, NULL, 0);
    const struct traffic_row *r = row(s, "d.nopk");
    assert_non_null(r);
    assert_int_equal(r->rows_ins, 3);
    assert_int_equal(r->rows_upd, 2);
    assert_int_equal(r->rows_del, 0);
    assert_int_equal(r->events, 2);
    assert_int_equal(r->bytes, b1 + b2);
    assert_int_equal(r->trx, 1);
    assert_int_equal(r->minute.rows, 5);
    assert_int_equal(r->hour.bytes, b1 + b2);
    assert_int_equal(r->undecoded, 0);
    r = row(s, "d.pk");
    assert_int_equal(r->rows_del, 4);
    assert_int_equal(r->bytes, b3);
    assert_int_equal(s->kinds[TRAFFIC_WRITE_ROWS].rows_ins, 3);
    assert_int_equal(s->kinds[TRAFFIC_UPDATE_ROWS].events, 1);
    assert_int_equal(s->kinds[TRAFFIC_DELETE_ROWS].minute.rows, 4);
    assert_int_equal(s->kinds[TRAFFIC_TABLE_MAP].events, 2);
    assert_int_equal(s->kinds[TRAFFIC_TRX_CONTROL].events, 2);
    assert_int_equal(s->kinds[TRAFFIC_OTHER].events, 1);   /* the FDE */
    assert_int_equal(s->c.trx, 1);
    uint64_t kb = 0;
    for (int k = 0; k < TRAFFIC_KIND_COUNT; k++) kb += s->kinds[k].bytes;
    assert_int_equal(kb, gen.pos - 4);   /* every byte of the file but the magic, once */
    assert_int_equal(s->nservers, 1);
    assert_string_equal(s->servers[0].name, "1");
    assert_int_equal(s->servers[0].trx, 1);
    /* the doctor: d.nopk (no PK, got an UPDATE) only */
    assert_int_equal(s->nnopk, 1);
    assert_string_equal(s->nopk[0].table, "d.nopk");
    assert_int_equal(s->nopk[0].rows, 2);
    assert_int_equal(s->c.nopk_tables, 1);
    assert_int_equal(s->c.maps_without_pk_info, 0);
    /* top: the one transaction, with its GTID; it is over 400 bytes: flagged */
    assert_int_equal(s->ntop, 1);
    assert_string_equal(s->top[0].gtid, "0-1-1");
    assert_int_equal(s->top[0].rows, 9);
    assert_int_equal(s->top[0].tables, 2);
    assert_int_equal(s->nlarge, 1);
    assert_int_equal(s->c.large_trx, 1);
    traffic_snapshot_free(s);
    /* LIKE */
    s = traffic_snapshot_take(T, now_ms, "d.n%", 4);
    assert_int_equal(s->ntables, 1);
    traffic_snapshot_free(s);
}

static void test_rings_roll_over(void **state)
{
    (void)state;
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 1, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "t", 1);
    rows_event(23, 5, 10, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 9));
    uint64_t t0 = now_ms;
    struct traffic_snapshot *s = traffic_snapshot_take(T, t0 + 59000, NULL, 0);
    assert_int_equal(row(s, "d.t")->minute.rows, 10);
    traffic_snapshot_free(s);
    s = traffic_snapshot_take(T, t0 + 60000, NULL, 0);   /* the second bucket is a minute old */
    assert_int_equal(row(s, "d.t")->minute.rows, 0);
    assert_int_equal(row(s, "d.t")->hour.rows, 10);
    assert_int_equal(row(s, "d.t")->rows_ins, 10);
    assert_int_equal(s->ntop, 1);
    traffic_snapshot_free(s);
    /* more a minute later: the minute holds the new, the hour both */
    now_ms = t0 + 61000;
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 2, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "t", 1);
    rows_event(23, 5, 7, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 10));
    s = traffic_snapshot_take(T, now_ms, NULL, 0);
    assert_int_equal(row(s, "d.t")->minute.rows, 7);
    assert_int_equal(row(s, "d.t")->hour.rows, 17);
    assert_int_equal(row(s, "d.t")->hour.trx, 2);
    assert_int_equal(s->ntop, 2);
    assert_true(s->top[0].bytes >= s->top[1].bytes);
    traffic_snapshot_free(s);
    /* an hour later: the windows are empty, the totals stay, the top list has aged out */
    s = traffic_snapshot_take(T, t0 + 3600000 + 61000, NULL, 0);
    assert_int_equal(row(s, "d.t")->hour.rows, 0);
    assert_int_equal(row(s, "d.t")->minute.rows, 0);
    assert_int_equal(row(s, "d.t")->rows_ins, 17);
    assert_int_equal(s->ntop, 0);
    traffic_snapshot_free(s);
    /* a bucket reused a minute later holds only the new second's figures */
    now_ms = t0 + 180000;
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 3, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "t", 1);
    rows_event(23, 5, 1, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 11));
    s = traffic_snapshot_take(T, now_ms, NULL, 0);
    assert_int_equal(row(s, "d.t")->minute.rows, 1);
    traffic_snapshot_free(s);
}

static void test_reset_and_bounds(void **state)
{
    (void)state;
    /* a transaction cut by a reconnect is dropped; it comes again whole */
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 1, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "a", 2);
    rows_event(23, 5, 3, 1);
    traffic_stream_reset(T);
    struct traffic_snapshot *s = traffic_snapshot_take(T, now_ms, NULL, 0);
    assert_null(row(s, "d.a") ? (void *)(uintptr_t)row(s, "d.a")->events : NULL);
    traffic_snapshot_free(s);
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 1, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "a", 2);
    rows_event(24, 5, 3, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 1));
    /* more tables than max_tables (3): folded into (other) */
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 2, EV_MGTID_TRANSACTIONAL));
    table_map(6, "d", "b", 1);
    table_map(7, "d", "c", 1);
    table_map(8, "d", "e", 1);
    rows_event(23, 6, 1, 0);
    rows_event(23, 7, 1, 0);
    rows_event(23, 8, 2, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 2));
    /* a rows event whose table map is gone, and one of an unknown column type */
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 3, EV_MGTID_TRANSACTIONAL));
    rows_event(23, 99, 1, 1);
    static const uint8_t odd[1] = {200};
    feed(evgen_table_map(&gen, ev, sizeof(ev), 9, "d", "b", odd, 1, NULL, 0, NULL, 0));
    rows_event(23, 9, 1, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 3));
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 4, EV_MGTID_STANDALONE | EV_MGTID_DDL));
    feed(evgen_query(&gen, ev, sizeof(ev), "d", "ALTER TABLE b ADD COLUMN x INT"));
    s = traffic_snapshot_take(T, now_ms, NULL, 0);
    const struct traffic_row *r = row(s, "d.a");
    assert_non_null(r);
    assert_int_equal(r->rows_ins, 0);
    assert_int_equal(r->rows_upd, 3);
    assert_int_equal(r->trx, 1);
    assert_non_null(row(s, "(other)"));
    assert_int_equal(row(s, "(other)")->rows_ins, 2);
    assert_int_equal(s->c.tables, 3);
    assert_true(s->c.folded_events >= 2);
    assert_int_equal(s->c.undecoded_rows_events, 2);
    assert_int_equal(row(s, "d.b")->undecoded, 1);
    assert_int_equal(s->kinds[TRAFFIC_DDL].events, 1);
    assert_int_equal(s->kinds[TRAFFIC_DDL].trx, 1);
    /* no FULL metadata for d.a: the doctor cannot tell, and flags nothing */
    assert_int_equal(s->nnopk, 0);
    assert_true(s->c.maps_without_pk_info >= 1);
    traffic_snapshot_free(s);
    assert_string_equal(traffic_kind_name(TRAFFIC_DDL), "ddl");
    assert_int_equal(traffic_query_kind("/* x */ ALTER TABLE t", 21), TRAFFIC_DDL);
    assert_int_equal(traffic_query_kind("  BEGIN", 7), TRAFFIC_TRX_CONTROL);
    assert_int_equal(traffic_query_kind("/*!40000 CREATE */", 18), TRAFFIC_DDL);
    assert_int_equal(traffic_query_kind("INSERT INTO t VALUES (1)", 24), TRAFFIC_STATEMENT);
    assert_int_equal(traffic_query_kind("CREATEX", 7), TRAFFIC_STATEMENT);
    assert_int_equal(traffic_query_kind("/* unterminated", 15), TRAFFIC_STATEMENT);
    assert_int_equal(traffic_query_kind("", 0), TRAFFIC_STATEMENT);
}

static struct stmt_result res;
static const struct stmt_result *run(struct traffic *t, const char *sql)
{
    static struct config cfg;
    config_defaults(&cfg);
    struct stmt_ctx c = {.cfg = &cfg, .traffic = t, .user = "u", .peer_host = "h", .is_monitor = 1};   /* binlogd's SHOW BINLOG statements: monitor or admin */
    stmt_result_free(&res);
    sql_execute(&c, sql, strlen(sql), &res);
    return &res;
}

static void test_statements(void **state)
{
    (void)state;
    now_ms = ingest_now_ms();   /* the statements read with the ingest clock */
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 1, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "nopk", 0);
    rows_event(25, 5, 40, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 9));
    const struct stmt_result *r = run(T, "SHOW BINLOG STATISTICS LIKE 'd.%'");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_name(r, 0), "Table");
    assert_string_equal(stmt_name(r, 4), "Rows_deleted");
    assert_string_equal(stmt_cell(r, 0, 0), "d.nopk");
    assert_string_equal(stmt_cell(r, 0, 4), "40");
    assert_string_equal(stmt_cell(r, 0, 9), "40");   /* Rows_last_hour */
    r = run(T, "SHOW BINLOG STATISTICS BY KIND LIKE 'delete%'");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_name(r, 0), "Kind");
    assert_string_equal(stmt_cell(r, 0, 1), "1");
    r = run(T, "SHOW BINLOG STATISTICS BY SERVER");
    assert_string_equal(stmt_cell(r, 0, 0), "1");
    r = run(T, "SHOW BINLOG TOP TRANSACTIONS LIMIT 1");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_cell(r, 0, 0), "0-1-1");
    r = run(T, "SHOW BINLOG LAG DOCTOR");
    assert_int_equal(r->nrows, 2);   /* the no-PK table and the transaction over 400 bytes */
    assert_string_equal(stmt_cell(r, 0, 0), "no_primary_key");
    assert_string_equal(stmt_cell(r, 0, 1), "d.nopk");
    assert_string_equal(stmt_cell(r, 0, 5), "40");
    assert_string_equal(stmt_cell(r, 1, 0), "large_transaction");
    r = run(NULL, "SHOW BINLOG STATISTICS");
    assert_int_equal(r->kind, STMT_ERR);
    r = run(NULL, "SHOW BINLOG LAG DOCTOR");
    assert_int_equal(r->kind, STMT_ERR);
    stmt_result_free(&res);
}

/* Same table_id, same body: the cached verdict; the table_id mapped to another table (a
 * different body): read again. Fed through both entry points, the figures are identical. */
static void test_map_cache_and_verdicts(void **state)
{
    (void)state;
    struct traffic_opts o = {.max_tables = 3, .large_trx_bytes = 200};
    T2 = traffic_new(&o);
    assert_non_null(T2);
    trx_init(&tp2);
    uint64_t seq = 18446744073709551615ULL;
    for (int i = 0; i < 2; i++) {   /* d.a twice: the second TABLE_MAP is a cache hit */
        feed(evgen_gtid(&gen, ev, sizeof(ev), 4294967295u, seq - 1 + (uint64_t)i, EV_MGTID_TRANSACTIONAL));
        table_map(5, "d", "a", 1);
        rows_event(23, 5, 3, 1);
        feed(evgen_xid(&gen, ev, sizeof(ev), 1));
    }
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 3, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "b", 0);          /* table_id 5 reused for another table, without a key */
    rows_event(25, 5, 4, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 2));
    feed(evgen_gtid(&gen, ev, sizeof(ev), 0, 4, EV_MGTID_TRANSACTIONAL));
    table_map(5, "d", "a", 1);          /* and back */
    rows_event(24, 5, 2, 1);
    feed(evgen_xid(&gen, ev, sizeof(ev), 3));
    struct traffic_snapshot *a = traffic_snapshot_take(T, now_ms, NULL, 0), *b = traffic_snapshot_take(T2, now_ms, NULL, 0);
    const struct traffic_row *ra = row(a, "d.a"), *rb = row(a, "d.b");
    assert_non_null(ra);
    assert_non_null(rb);
    assert_int_equal(ra->rows_ins, 6);
    assert_int_equal(ra->rows_upd, 2);
    assert_int_equal(ra->trx, 3);
    assert_int_equal(rb->rows_del, 4);
    assert_int_equal(rb->rows_ins, 0);
    assert_int_equal(a->c.maps_with_pk_info, 4);
    assert_int_equal(a->nnopk, 1);
    assert_string_equal(a->nopk[0].table, "d.b");
    /* the GTID text, written only for the kept transactions */
    int seen = 0;
    for (size_t i = 0; i < a->ntop; i++)
        seen += !strcmp(a->top[i].gtid, "4294967295-1-18446744073709551615") ||
                !strcmp(a->top[i].gtid, "4294967295-1-18446744073709551614");
    assert_int_equal(seen, 2);
    /* traffic_feed_verdict: the same figures */
    assert_int_equal(a->ntables, b->ntables);
    for (size_t i = 0; i < a->ntables; i++) {
        assert_string_equal(a->tables[i].name, b->tables[i].name);
        assert_int_equal(a->tables[i].bytes, b->tables[i].bytes);
        assert_int_equal(a->tables[i].rows_ins + a->tables[i].rows_upd + a->tables[i].rows_del,
                         b->tables[i].rows_ins + b->tables[i].rows_upd + b->tables[i].rows_del);
        assert_int_equal(a->tables[i].trx, b->tables[i].trx);
    }
    assert_int_equal(a->c.events, b->c.events + 1);   /* T also had setup's FORMAT_DESCRIPTION */
    b->c.events = a->c.events;
    b->c.bytes = a->c.bytes;
    assert_memory_equal(&a->c, &b->c, sizeof(a->c));
    assert_int_equal(a->ntop, b->ntop);
    for (size_t i = 0; i < a->ntop; i++) assert_string_equal(a->top[i].gtid, b->top[i].gtid);
    traffic_snapshot_free(a);
    traffic_snapshot_free(b);
    traffic_free(T2);
    T2 = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rings_roll_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_and_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_cache_and_verdicts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
