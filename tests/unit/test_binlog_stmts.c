/* test_binlog_stmts.c - SHOW BINLOG EVENTS and BINLOG_GTID_POS through sql_execute() over a real
 * store in a temporary directory: two files with GTID_LIST events, as a MariaDB primary writes
 * them; the recogniser's SHOW BINLOG EVENTS forms and its malformed ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "protocol/event.h"
#include "protocol/query.h"
#include "protocol/wire.h"
#include "server/admin/binlog_events.h"
#include "server/admin/sql.h"
#include "storage/store.h"
#include "tests/unit/evgen.h"
#include "tests/unit/stmtfx.h"

#define EVCAP 65536

struct fx {
    struct stmtfx s;   /* first (stmtfx_new): store (no ingest), context, answer */
    uint64_t end1, end2, trx_end[4], gtid2_at;   /* boundaries of file 1 */
};

static void append(struct store *s, const uint8_t *ev, size_t n)
{
    char err[512];
    if (store_append(s, ev, n, err, sizeof(err)) != STORE_OK) fail_msg("append: %s", err);
}

static void begin(struct store *s, struct evgen *g, uint8_t *ev, const char *name, uint32_t ngtid, uint64_t seq)
{
    char err[512];
    uint8_t body[4 + 16];
    evgen_init(g);
    size_t n = evgen_fde(g, ev, EVCAP);
    if (store_file_begin(s, name, ev, n, err, sizeof(err)) != STORE_OK) fail_msg("file_begin %s: %s", name, err);
    wire_put_u32(body, ngtid);
    wire_put_u32(body + 4, 0);
    wire_put_u32(body + 8, 1);
    wire_put_u64(body + 12, seq);
    append(s, ev, evgen_event(g, ev, EVCAP, EV_GTID_LIST, 0, body, 4 + 16 * ngtid));
}

static void trx(struct store *s, struct evgen *g, uint8_t *ev, uint64_t seq)
{
    append(s, ev, evgen_gtid(g, ev, EVCAP, 0, seq, EV_MGTID_TRANSACTIONAL));
    append(s, ev, evgen_query(g, ev, EVCAP, "test", "INSERT INTO t VALUES (1)"));
    append(s, ev, evgen_xid(g, ev, EVCAP, seq));
}

static int setup(void **state)
{
    struct fx *f = stmtfx_new(sizeof(*f), "bstmt", 0);
    if (!f) return -1;
    char err[512];
    uint8_t *ev = malloc(EVCAP);
    struct evgen g;
    /* m-bin.000001: FDE, GTID_LIST [], trx 1..3, ROTATE; m-bin.000002: FDE, GTID_LIST [0-1-3], trx 4 */
    begin(f->s.store, &g, ev, "m-bin.000001", 0, 0);
    f->trx_end[0] = g.pos;
    for (uint64_t seq = 1; seq <= 3; seq++) {
        if (seq == 2) f->gtid2_at = g.pos;
        trx(f->s.store, &g, ev, seq);
        f->trx_end[seq] = g.pos;
    }
    append(f->s.store, ev, evgen_rotate(&g, ev, EVCAP, "m-bin.000002", 4));
    f->end1 = g.pos;
    if (store_sync(f->s.store, err, sizeof(err)) != STORE_OK) return -1;
    begin(f->s.store, &g, ev, "m-bin.000002", 1, 3);
    trx(f->s.store, &g, ev, 4);
    f->end2 = g.pos;
    if (store_sync(f->s.store, err, sizeof(err)) != STORE_OK) return -1;
    free(ev);
    /* A replica's session, without user variables. */
    f->s.ctx = (struct stmt_ctx){.cfg = &f->s.cfg, .store = f->s.store, .conn_id = 1, .user = "ops", .peer_host = "h"};
    *state = f;
    return 0;
}

static struct stmt_result *run(struct fx *f, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return stmtfx_run(&f->s, sql);
}

static void assert_err(const struct stmt_result *r, uint16_t code, const char *text)
{
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, code);
    if (text) assert_string_equal(r->err.msg, text);
}

static void test_show_binlog_events(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "SHOW BINLOG EVENTS");
    static const char *const cols[] = {"Log_name", "Pos", "Event_type", "Server_id", "End_log_pos", "Info"};
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->ncols, 6);
    for (size_t i = 0; i < 6; i++) assert_string_equal(stmt_name(r, i), cols[i]);
    assert_int_equal(r->nrows, 2 + 3 * 3 + 1);   /* the FIRST file: FDE, list, 3 trx, rotate */
    assert_string_equal(stmt_cell(r, 0, 0), "m-bin.000001");
    assert_string_equal(stmt_cell(r, 0, 1), "4");
    assert_string_equal(stmt_cell(r, 0, 2), "Format_desc");
    assert_string_equal(stmt_cell(r, 0, 3), "1");
    assert_string_equal(stmt_cell(r, 1, 2), "Gtid_list");
    assert_string_equal(stmt_cell(r, 1, 5), "[]");
    assert_string_equal(stmt_cell(r, 2, 2), "Gtid");
    assert_string_equal(stmt_cell(r, 2, 5), "BEGIN GTID 0-1-1");
    assert_string_equal(stmt_cell(r, 3, 5), "use `test`; INSERT INTO t VALUES (1)");
    assert_string_equal(stmt_cell(r, 4, 5), "COMMIT /* xid=1 */");
    char end[24];
    snprintf(end, sizeof(end), "%" PRIu64, f->trx_end[1]);
    assert_string_equal(stmt_cell(r, 4, 4), end);
    assert_string_equal(stmt_cell(r, 11, 2), "Rotate");
    assert_string_equal(stmt_cell(r, 11, 5), "m-bin.000002;pos=4");

    r = run(f, "SHOW BINLOG EVENTS IN 'm-bin.000001' FROM %" PRIu64, f->trx_end[0]);
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->nrows, 3 * 3 + 1);
    r = run(f, "SHOW BINLOG EVENTS IN 'm-bin.000001' FROM %" PRIu64 " LIMIT 1, 2", f->gtid2_at);
    assert_int_equal(r->nrows, 2);
    assert_string_equal(stmt_cell(r, 0, 2), "Query");
    assert_string_equal(stmt_cell(r, 1, 5), "COMMIT /* xid=2 */");
    r = run(f, "SHOW BINLOG EVENTS LIMIT 0");
    assert_int_equal(r->nrows, 1);
    r = run(f, "SHOW BINLOG EVENTS LIMIT 5, 0");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_cell(r, 0, 2), "Format_desc");
    r = run(f, "SHOW BINLOG EVENTS LIMIT 2 OFFSET 10");
    assert_int_equal(r->nrows, 2);
    r = run(f, "SHOW BINLOG EVENTS FROM 2 LIMIT 1");
    assert_string_equal(stmt_cell(r, 0, 1), "4");
    r = run(f, "SHOW BINLOG EVENTS IN 'm-bin.000001' FROM %" PRIu64, f->end1);
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->nrows, 0);

    assert_err(run(f, "SHOW BINLOG EVENTS IN 'nosuch'"), 1220,
               "Error when executing command SHOW BINLOG EVENTS: Could not find target log");
    /* As mariadbd: the six column definitions go out first, then the ERR. */
    assert_true(f->s.r.err_after_columns);
    assert_int_equal(f->s.r.ncols, 6);
    assert_int_equal(f->s.r.nrows, 0);
    assert_string_equal(stmt_name(&f->s.r, 5), "Info");
    assert_err(run(f, "SHOW BINLOG EVENTS IN '../m-bin.000001'"), 1220, NULL);
    assert_err(run(f, "SHOW BINLOG EVENTS FROM %" PRIu64, f->gtid2_at + 1), 1220,
               "Error when executing command SHOW BINLOG EVENTS: Wrong offset or I/O error");
    char want[256];
    snprintf(want, sizeof(want), "Error when executing command SHOW BINLOG EVENTS: Invalid pos specified. Requested "
             "from pos:%" PRIu64 " is greater than actual file size:%" PRIu64, f->end1 + 1, f->end1);
    assert_err(run(f, "SHOW BINLOG EVENTS FROM %" PRIu64, f->end1 + 1), 1220, want);
}

static void test_cap(void **state)
{
    struct fx *f = *state;
    struct query *q = query_new();
    assert_int_equal(query_parse(q, "SHOW BINLOG EVENTS", 18), QUERY_SHOW_BINLOG_EVENTS);
    stmt_result_free(&f->s.r);
    binlog_events_show(&f->s.ctx, q, &f->s.r, 5, BINLOG_EVENTS_MAX_BYTES);
    assert_err(&f->s.r, 1220, NULL);
    assert_non_null(strstr(f->s.r.err.msg, "cap of 5 rows"));
    stmt_result_free(&f->s.r);
    binlog_events_show(&f->s.ctx, q, &f->s.r, 1000, 600);
    assert_err(&f->s.r, 1220, NULL);
    assert_int_equal(query_parse(q, "SHOW BINLOG EVENTS LIMIT 5", 26), QUERY_SHOW_BINLOG_EVENTS);
    stmt_result_free(&f->s.r);
    binlog_events_show(&f->s.ctx, q, &f->s.r, 5, BINLOG_EVENTS_MAX_BYTES);
    assert_int_equal(f->s.r.kind, STMT_ROWS);
    assert_int_equal(f->s.r.nrows, 5);
    query_free(q);
}

static void test_binlog_gtid_pos(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000001', 4)");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_string_equal(stmt_cell(r, 0, 0), "");
    static const char *const want[] = {"", "0-1-1", "0-1-2", "0-1-3"};
    for (int i = 0; i < 4; i++) {
        r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000001', %" PRIu64 ")", f->trx_end[i]);
        assert_string_equal(stmt_cell(r, 0, 0), want[i]);
    }
    /* inside trx 2 (after its GTID event): mariadbd counts it already */
    r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000001', %" PRIu64 ")", f->trx_end[2] - 31);
    assert_string_equal(stmt_cell(r, 0, 0), "0-1-2");
    r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000001', %" PRIu64 ")", f->gtid2_at + 1);
    assert_null(stmt_cell(r, 0, 0));
    r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000001', %" PRIu64 ")", f->end1);
    assert_string_equal(stmt_cell(r, 0, 0), "0-1-3");
    r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000001', %" PRIu64 ")", f->end1 + 1);
    assert_null(stmt_cell(r, 0, 0));
    r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000002', 0), BINLOG_GTID_POS('m-bin.000002', %" PRIu64 ")", f->end2);
    assert_string_equal(stmt_cell(r, 0, 0), "0-1-3");
    assert_string_equal(stmt_cell(r, 0, 1), "0-1-4");
    r = run(f, "SELECT BINLOG_GTID_POS('', '%" PRIu64 "')", f->trx_end[1]);
    assert_string_equal(stmt_cell(r, 0, 0), "0-1-1");
    r = run(f, "SELECT BINLOG_GTID_POS('nosuch', 4), BINLOG_GTID_POS(NULL, 4), BINLOG_GTID_POS('m-bin.000001', NULL)");
    for (int i = 0; i < 3; i++) assert_null(stmt_cell(r, 0, (size_t)i));
    r = run(f, "SELECT BINLOG_GTID_POS('m-bin.000001', -1), BINLOG_GTID_POS('m-bin.000001', 4294967296)");
    assert_null(stmt_cell(r, 0, 0));
    assert_null(stmt_cell(r, 0, 1));
    assert_err(run(f, "SELECT BINLOG_GTID_POS('m-bin.000001')"), 1582, NULL);
}

static void test_parse(void **state)
{
    (void)state;
    struct query *q = query_new();
    const char *s = "show binlog events in 'a-bin.000001' from 256 limit 3, 10;";
    assert_int_equal(query_parse(q, s, strlen(s)), QUERY_SHOW_BINLOG_EVENTS);
    assert_string_equal(q->arg, "a-bin.000001");
    assert_true(q->has_from);
    assert_int_equal(q->from, 256);
    assert_true(q->has_limit);
    assert_int_equal(q->limit_offset, 3);
    assert_int_equal(q->limit, 10);
    s = "SHOW BINLOG EVENTS LIMIT 10 OFFSET 3";
    assert_int_equal(query_parse(q, s, strlen(s)), QUERY_SHOW_BINLOG_EVENTS);
    assert_null(q->arg);
    assert_false(q->has_from);
    assert_int_equal(q->limit_offset, 3);
    assert_int_equal(q->limit, 10);
    assert_string_equal(query_kind_name(QUERY_SHOW_BINLOG_EVENTS), "SHOW BINLOG EVENTS");
    static const char *const bad[] = {
        "SHOW BINLOG EVENTS IN a-bin.000001", "SHOW BINLOG EVENTS FROM", "SHOW BINLOG EVENTS FROM -4",
        "SHOW BINLOG EVENTS FROM 4.5", "SHOW BINLOG EVENTS FROM 99999999999999999999999",
        "SHOW BINLOG EVENTS LIMIT", "SHOW BINLOG EVENTS LIMIT 1,", "SHOW BINLOG EVENTS LIMIT 1 OFFSET",
        "SHOW BINLOG EVENTS FROM 4 IN 'x'", "SHOW BINLOG EVENTS IN 'x' IN 'y'", "SHOW BINLOG EVENTS junk",
        "SHOW BINLOG EVENTS LIMIT 1, 2, 3", "SHOW BINLOG EVENTS IN 'unterminated",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(query_parse(q, bad[i], strlen(bad[i])), QUERY_UNKNOWN);
        assert_non_null(q->why);
        assert_true(q->error_pos <= strlen(bad[i]));
    }
    query_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_show_binlog_events, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_cap, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_binlog_gtid_pos, setup, stmtfx_teardown),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
