/* test_stmt.c - statements answered without a session: sql_execute() over a real store
 * (a temporary data directory with two binlog files), a real (not started) ingest, and a
 * context whose replica table, counters and KILL are the test's. Every test asserts the
 * kind of answer, its columns and its values, as a client would see them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "protocol/event.h"
#include "protocol/query.h"
#include "server/admin/privilege.h"
#include "server/admin/processlist.h"
#include "server/admin/sql.h"
#include "server/admin/stmt.h"
#include "server/admin/uservars.h"
#include "server/log.h"
#include "server/upstream/ingest.h"
#include "server/upstream/upstream_conf.h"
#include "server/upstream/watch.h"
#include "storage/archive_state.h"
#include "storage/store.h"
#include "tests/unit/evgen.h"
#include "tests/unit/stmtfx.h"

#define EVCAP 65536

struct fx {
    struct stmtfx s;             /* first (stmtfx_new): store, ingest, context, answer */
    uint64_t end1, end2;         /* sizes of the two files */
    /* what the fake upper wing reports */
    size_t n_replicas;
    uint32_t kill_target;
    enum stmt_kill_outcome kill_says;
    uint32_t killed_by;
    int with_waiting;            /* fake_threads adds connection 7, waiting in STOP SLAVE */
};

static void append(struct store *s, const uint8_t *ev, size_t n)
{
    char err[512];
    enum store_result r = store_append(s, ev, n, err, sizeof(err));
    if (r != STORE_OK) fail_msg("append: %s: %s", store_result_name(r), err);
}

static void begin(struct store *s, struct evgen *g, uint8_t *ev, const char *name)
{
    char err[512];
    evgen_init(g);
    size_t n = evgen_fde(g, ev, EVCAP);
    if (store_file_begin(s, name, ev, n, err, sizeof(err)) != STORE_OK) fail_msg("file_begin %s: %s", name, err);
}

/* One transaction, event by event (the store takes one event per append). */
static void trx(struct store *s, struct evgen *g, uint8_t *ev, uint64_t seq)
{
    append(s, ev, evgen_gtid(g, ev, EVCAP, 0, seq, EV_MGTID_TRANSACTIONAL));
    append(s, ev, evgen_query(g, ev, EVCAP, "test", "INSERT INTO t VALUES (1)"));
    append(s, ev, evgen_xid(g, ev, EVCAP, seq));
}

static size_t fake_replicas(void *up, struct stmt_replica *out, size_t cap)
{
    struct fx *f = up;
    for (size_t i = 0; i < f->n_replicas && i < cap; i++) {
        out[i].server_id = (uint32_t)(100 + i);
        out[i].port = (uint16_t)(3300 + i);
        snprintf(out[i].host, sizeof(out[i].host), "replica-%zu", i);
    }
    return f->n_replicas;
}

static size_t fake_counters(void *up, struct stmt_counter *out, size_t cap)
{
    (void)up;
    const struct stmt_counter k[] = {{"Threads_connected", 7}, {"Binlogd_dumps", 5}, {"Binlogd_dumps_total", 9}};
    for (size_t i = 0; i < 3 && i < cap; i++) out[i] = k[i];
    return 3;
}

/* Four connections besides the caller (11): a dump, a login in progress, an idle monitor
 * and the caller itself, handed out of id order. */
static size_t fake_threads(void *up, struct stmt_thread *out, size_t cap)
{
    const struct fx *f = up;
    static const char stop[] = "STOP SLAVE /* a comment long enough to be cut at one hundred characters in SHOW PROCESSLIST, and then some more of it ..... */";
    const struct stmt_thread t[] = {
        {5, "", "10.0.0.9:5000", "Connect", "Reading from net", 1, NULL, 0},
        {11, "admin", "127.0.0.1:4000", "Sleep", "", 99, NULL, 0},
        {3, "repl", "10.0.0.2:3000", "Binlog Dump", "Master has sent all binlog to slave; waiting for more updates", 120,
         NULL, 0},
        {2, "mon", "10.0.0.3:2000", "Sleep", "", 7, NULL, 0},
        {7, "admin", "127.0.0.1:4001", "Query", "starting", 4, stop, sizeof(stop) - 1},
    };
    size_t n = f && f->with_waiting ? 5 : 4;
    for (size_t i = 0; i < n && i < cap; i++) out[i] = t[i];
    return n;
}

static enum stmt_kill_outcome fake_kill(void *up, uint32_t id, const struct stmt_ctx *by)
{
    struct fx *f = up;
    f->kill_target = id;
    f->killed_by = by->conn_id;
    return f->kill_says;
}

static int setup(void **state)
{
    struct fx *f = stmtfx_new(sizeof(*f), "stmt", 1);
    if (!f) return -1;
    snprintf(f->s.cfg.server_version, sizeof(f->s.cfg.server_version), "10.11.99-binlogd");

    /* mariadb-bin.000001: trx 1, 2, rotate; mariadb-bin.000002: trx 3 */
    char err[512];
    uint8_t *ev = malloc(EVCAP);
    struct evgen g;
    begin(f->s.store, &g, ev, "mariadb-bin.000001");
    for (uint64_t seq = 1; seq <= 2; seq++) trx(f->s.store, &g, ev, seq);
    append(f->s.store, ev, evgen_rotate(&g, ev, EVCAP, "mariadb-bin.000002", 4));
    f->end1 = g.pos;
    if (store_sync(f->s.store, err, sizeof(err)) != STORE_OK) return -1;
    begin(f->s.store, &g, ev, "mariadb-bin.000002");
    trx(f->s.store, &g, ev, 3);
    f->end2 = g.pos;
    if (store_sync(f->s.store, err, sizeof(err)) != STORE_OK) return -1;
    free(ev);

    /* The upstream is configured and not stopped (stmtfx): CHANGE MASTER must be refused.
     * The upper wing is the test's. */
    f->s.ctx.up = f;
    f->s.ctx.replicas = fake_replicas;
    f->s.ctx.counters = fake_counters;
    f->s.ctx.threads = fake_threads;
    f->s.ctx.kill = fake_kill;
    *state = f;
    return 0;
}

static struct stmt_result *run(struct fx *f, const char *sql) { return stmtfx_run(&f->s, sql); }

static void assert_columns(const struct stmt_result *r, const char *const *names, size_t n)
{
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->ncols, n);
    for (size_t i = 0; i < n; i++) assert_string_equal(stmt_name(r, i), names[i]);
}

static void test_show_master_status(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "SHOW MASTER STATUS");
    static const char *const cols[] = {"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"};
    assert_columns(r, cols, 4);
    assert_int_equal(r->nrows, 1);
    char pos[24];
    snprintf(pos, sizeof(pos), "%" PRIu64, f->end2);
    assert_string_equal(stmt_cell(r, 0, 0), "mariadb-bin.000002");
    assert_string_equal(stmt_cell(r, 0, 1), pos);
    assert_string_equal(stmt_cell(r, 0, 2), "");
    assert_string_equal(stmt_cell(r, 0, 3), "");
}

static void test_show_binary_logs(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "show binary logs");
    static const char *const cols[] = {"Log_name", "File_size"};
    assert_columns(r, cols, 2);
    assert_int_equal(r->nrows, 2);
    char s1[24], s2[24];
    snprintf(s1, sizeof(s1), "%" PRIu64, f->end1);
    snprintf(s2, sizeof(s2), "%" PRIu64, f->end2);
    assert_string_equal(stmt_cell(r, 0, 0), "mariadb-bin.000001");
    assert_string_equal(stmt_cell(r, 0, 1), s1);
    assert_string_equal(stmt_cell(r, 1, 0), "mariadb-bin.000002");
    assert_string_equal(stmt_cell(r, 1, 1), s2);
    /* The sizes are the files' own. */
    char p[128];
    struct stat st;
    snprintf(p, sizeof(p), "%s/mariadb-bin.000001", f->s.path);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal((uint64_t)st.st_size, f->end1);
    /* SHOW MASTER LOGS is the same statement. */
    r = run(f, "SHOW MASTER LOGS");
    assert_int_equal(r->nrows, 2);
}

static void test_show_variables_like(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "SHOW VARIABLES LIKE 'server%'");
    static const char *const cols[] = {"Variable_name", "Value"};
    assert_columns(r, cols, 2);
    assert_int_equal(r->nrows, 2);
    assert_string_equal(stmt_cell(r, 0, 0), "server_id");
    assert_string_equal(stmt_cell(r, 0, 1), "42");
    assert_string_equal(stmt_cell(r, 1, 0), "server_uuid");
    assert_string_equal(stmt_cell(r, 1, 1), "b1d0b1d0-0000-4000-8000-00000000002a");

    /* GTID state comes from the stored files: the last transaction is 0-1-3. */
    r = run(f, "SHOW GLOBAL VARIABLES LIKE 'gtid_binlog_pos'");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_cell(r, 0, 0), "gtid_binlog_pos");
    assert_string_equal(stmt_cell(r, 0, 1), "0-1-3");

    r = run(f, "SHOW VARIABLES LIKE 'no_such_thing'");
    assert_columns(r, cols, 2);
    assert_int_equal(r->nrows, 0);
}

static void test_unknown_statement(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "FROBNICATE THE BINLOG");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1064);
    assert_string_equal(r->err.sqlstate, "42000");
    assert_non_null(strstr(r->err.msg, "You have an error in your SQL syntax"));
    assert_non_null(strstr(r->err.msg, "near 'FROBNICATE THE BINLOG' at line 1"));

    r = run(f, "");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1065);
    assert_string_equal(r->err.msg, "Query was empty");
}

static void test_change_master_while_running(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "CHANGE MASTER TO MASTER_HOST='db2', MASTER_PORT=3307");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1198);
    assert_string_equal(r->err.sqlstate, "HY000");
    assert_string_equal(r->err.msg,
                        "This operation cannot be performed as you have a running slave ''; run STOP SLAVE '' first");
    /* Nothing changed. */
    struct upstream_conf c;
    ingest_get_conf(f->s.ingest, &c);
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.port, 3306);

    /* Without the admin role: access denied before anything else. */
    f->s.ctx.is_admin = 0;
    r = run(f, "CHANGE MASTER TO MASTER_HOST='db2'");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1227);
}

static void test_show_slave_status(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "SHOW SLAVE STATUS");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->ncols, 28);
    assert_string_equal(stmt_name(r, 0), "Slave_IO_State");
    assert_string_equal(stmt_name(r, 1), "Master_Host");
    assert_string_equal(stmt_name(r, 21), "Gtid_IO_Pos");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_cell(r, 0, 1), "127.0.0.1");
    assert_string_equal(stmt_cell(r, 0, 2), "repl");
    assert_string_equal(stmt_cell(r, 0, 3), "3306");
    assert_string_equal(stmt_cell(r, 0, 21), "0-1-3");
    /* TLS not configured */
    assert_int_equal(stmtfx_col(r, "Master_SSL_Allowed"), 8);
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Allowed"), "No");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_CA_File"), "");
}

static void test_stop_slave_answers_later(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "STOP SLAVE");
    assert_int_equal(r->kind, STMT_LATER);
    assert_non_null(r->later.ready);
    assert_int_equal(r->later.interval_ms, 20);
    assert_int_equal(r->later.timeout_ms, 30000);
    assert_int_equal(r->later.timeout_err.code, 1205);
    /* The ingest thread never ran: it is parked at once, and the statement is then done. */
    assert_int_equal(r->later.ready(r->later.arg), 1);
    /* Stopped now: CHANGE MASTER is accepted. */
    r = run(f, "CHANGE MASTER TO MASTER_HOST='127.0.0.2', MASTER_PORT=3307");
    assert_int_equal(r->kind, STMT_OK);
    struct upstream_conf c;
    ingest_get_conf(f->s.ingest, &c);
    assert_string_equal(c.host, "127.0.0.2");
    assert_int_equal(c.port, 3307);
}

static void test_set_and_select_user_variable(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "SET @master_binlog_checksum = 'CRC32', @slave_connect_state = '0-1-2'");
    assert_int_equal(r->kind, STMT_OK);
    assert_string_equal(uservars_get(&f->s.vars, "master_binlog_checksum"), "CRC32");
    r = run(f, "SELECT @slave_connect_state, @unset, @@server_id, CONNECTION_ID()");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->ncols, 4);
    assert_string_equal(stmt_name(r, 0), "@slave_connect_state");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_cell(r, 0, 0), "0-1-2");
    assert_null(stmt_cell(r, 0, 1));
    assert_string_equal(stmt_cell(r, 0, 2), "42");
    assert_string_equal(stmt_cell(r, 0, 3), "11");
    r = run(f, "SELECT @@no_such_variable");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1193);
    /* What a follower asks a sibling before failing over to it: a binlogd (version_comment),
     * and whom it streams from (0: its session is not streaming; here it never started). */
    r = run(f, "SELECT @@version_comment, @@binlogd_upstream_server_id, @@global.binlogd_upstream_server_id");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_string_equal(stmt_cell(r, 0, 0), "binlogd binlog server");
    assert_string_equal(stmt_cell(r, 0, 1), "0");
    assert_string_equal(stmt_cell(r, 0, 2), "0");
}

static void test_show_slave_hosts_all_rows(void **state)
{
    struct fx *f = *state;
    f->n_replicas = 300;   /* more than one screenful: every registered replica is listed */
    struct stmt_result *r = run(f, "SHOW SLAVE HOSTS");
    static const char *const cols[] = {"Server_id", "Host", "Port", "Master_id"};
    assert_columns(r, cols, 4);
    assert_int_equal(r->nrows, 300);
    assert_string_equal(stmt_cell(r, 299, 0), "399");
    assert_string_equal(stmt_cell(r, 299, 1), "replica-299");
    assert_string_equal(stmt_cell(r, 299, 2), "3599");
    assert_string_equal(stmt_cell(r, 299, 3), "42");
}

static void test_show_status_like(void **state)
{
    struct fx *f = *state;
    struct stmt_result *r = run(f, "SHOW STATUS LIKE 'Binlogd_dumps'");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_cell(r, 0, 0), "Binlogd_dumps");
    assert_string_equal(stmt_cell(r, 0, 1), "5");
    r = run(f, "SHOW GLOBAL STATUS");
    assert_int_equal(r->nrows, 7);
    /* sorted by name, as mariadbd lists them; the session's TLS text values merged in
     * (empty: this client is not on TLS); the store's block cache counters */
    assert_string_equal(stmt_cell(r, 0, 0), "Binlogd_block_cache_decompressions");
    assert_string_equal(stmt_cell(r, 0, 1), "0");
    assert_string_equal(stmt_cell(r, 1, 0), "Binlogd_block_cache_hits");
    assert_string_equal(stmt_cell(r, 2, 0), "Binlogd_dumps");
    assert_string_equal(stmt_cell(r, 3, 0), "Binlogd_dumps_total");
    assert_string_equal(stmt_cell(r, 4, 0), "Ssl_cipher");
    assert_string_equal(stmt_cell(r, 4, 1), "");
    assert_string_equal(stmt_cell(r, 5, 0), "Ssl_version");
    assert_string_equal(stmt_cell(r, 6, 0), "Threads_connected");
    /* mariadb-admin extended-status / variables: the versioned comment holds GLOBAL */
    r = run(f, "show /*!50002 GLOBAL */ status");
    assert_int_equal(r->nrows, 7);
    r = run(f, "SHOW STATUS LIKE 'ssl%'");
    assert_int_equal(r->nrows, 2);
    r = run(f, "show /*!40003 GLOBAL */ variables");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_true(r->nrows > 10);
}

/* Every statement says what it was, for the Com_* counters. */
static void test_com_names(void **state)
{
    struct fx *f = *state;
    assert_int_equal(run(f, "SELECT 1")->com, QUERY_SELECT);
    assert_int_equal(run(f, "SHOW PROCESSLIST")->com, QUERY_SHOW_PROCESSLIST);
    assert_int_equal(run(f, "bogus")->com, QUERY_UNKNOWN);
    assert_string_equal(sql_com_name(QUERY_SELECT), "Com_select");
    assert_string_equal(sql_com_name(QUERY_SET), "Com_set_option");
    assert_string_equal(sql_com_name(QUERY_SHOW_MASTER_STATUS), "Com_show_binlog_status");
    assert_string_equal(sql_com_name(QUERY_SHOW_PROCESSLIST), "Com_show_processlist");
    assert_null(sql_com_name(QUERY_UNKNOWN));
    assert_null(sql_com_name(QUERY_EMPTY));
    assert_null(sql_com_name(-1));
    assert_null(sql_com_name(QUERY_KIND_COUNT));
    for (int k = QUERY_SELECT; k < QUERY_KIND_COUNT; k++) assert_memory_equal(sql_com_name(k), "Com_", 4);
}

static void test_show_processlist(void **state)
{
    struct fx *f = *state;
    static const char *const cols[] = {"Id", "User", "Host", "db", "Command", "Time", "State", "Info", "Progress"};
    struct stmt_result *r = run(f, "SHOW PROCESSLIST");
    assert_columns(r, cols, 9);
    assert_int_equal(r->nrows, 4);
    /* mariadbd's types: Id LONGLONG, Time LONG, Progress DOUBLE; the rest text */
    assert_int_equal(r->col_type[0], STMT_COL_LONGLONG);
    assert_int_equal(r->col_type[1], STMT_COL_TEXT);
    assert_int_equal(r->col_type[5], STMT_COL_LONG);
    assert_int_equal(r->col_type[8], STMT_COL_DOUBLE);
    assert_string_equal(stmt_col_type_name(STMT_COL_DOUBLE), "double");
    /* a result set started afresh is text again */
    assert_int_equal(run(f, "SHOW GLOBAL STATUS")->col_type[0], STMT_COL_TEXT);
    r = run(f, "SHOW PROCESSLIST");
    /* id order; admin sees everyone */
    assert_string_equal(stmt_cell(r, 0, 0), "2");
    assert_string_equal(stmt_cell(r, 1, 0), "3");
    assert_string_equal(stmt_cell(r, 1, 1), "repl");
    assert_string_equal(stmt_cell(r, 1, 2), "10.0.0.2:3000");
    assert_null(stmt_cell(r, 1, 3));
    assert_string_equal(stmt_cell(r, 1, 4), "Binlog Dump");
    assert_string_equal(stmt_cell(r, 1, 5), "120");
    assert_string_equal(stmt_cell(r, 1, 6), "Master has sent all binlog to slave; waiting for more updates");
    assert_null(stmt_cell(r, 1, 7));
    assert_string_equal(stmt_cell(r, 1, 8), "0.000");
    assert_string_equal(stmt_cell(r, 2, 1), "unauthenticated user");
    assert_string_equal(stmt_cell(r, 2, 4), "Connect");
    /* the caller: Query, starting, its own statement, Time 0 */
    assert_string_equal(stmt_cell(r, 3, 0), "11");
    assert_string_equal(stmt_cell(r, 3, 4), "Query");
    assert_string_equal(stmt_cell(r, 3, 5), "0");
    assert_string_equal(stmt_cell(r, 3, 6), "starting");
    assert_string_equal(stmt_cell(r, 3, 7), "SHOW PROCESSLIST");
    assert_string_equal(stmt_cell(r, 0, 6), "");   /* Sleep: empty state */

    /* Info: the first 100 characters, all of them with FULL */
    char sql[400];
    snprintf(sql, sizeof(sql), "SHOW /* %0250d */ PROCESSLIST", 0);
    r = run(f, sql);
    assert_int_equal(strlen(stmt_cell(r, 3, 7)), PROCESSLIST_INFO_WIDTH);
    assert_memory_equal(stmt_cell(r, 3, 7), sql, PROCESSLIST_INFO_WIDTH);
    snprintf(sql, sizeof(sql), "SHOW FULL /* %0250d */ PROCESSLIST", 0);
    r = run(f, sql);
    assert_string_equal(stmt_cell(r, 3, 7), sql);

    /* Without admin: only the caller's user (as mariadbd without PROCESS) */
    f->s.ctx.is_admin = 0;
    f->s.ctx.is_monitor = 1;
    f->s.ctx.user = "mon";
    r = run(f, "show full processlist");
    assert_int_equal(r->nrows, 2);
    assert_string_equal(stmt_cell(r, 0, 1), "mon");
    assert_string_equal(stmt_cell(r, 0, 4), "Sleep");
    assert_string_equal(stmt_cell(r, 1, 0), "11");
    assert_string_equal(stmt_cell(r, 1, 4), "Query");

    /* Another connection waiting in a statement (STOP SLAVE on a hung primary): its Info is
     * the statement, cut at 100 characters, whole with FULL */
    f->s.ctx.is_admin = 1;
    f->s.ctx.is_monitor = 0;
    f->s.ctx.user = "admin";
    f->with_waiting = 1;
    r = run(f, "SHOW PROCESSLIST");
    assert_int_equal(r->nrows, 5);
    assert_string_equal(stmt_cell(r, 3, 0), "7");
    assert_string_equal(stmt_cell(r, 3, 4), "Query");
    assert_int_equal(strlen(stmt_cell(r, 3, 7)), PROCESSLIST_INFO_WIDTH);
    assert_memory_equal(stmt_cell(r, 3, 7), "STOP SLAVE /* a comment", 23);
    r = run(f, "SHOW FULL PROCESSLIST");
    assert_true(strlen(stmt_cell(r, 3, 7)) > PROCESSLIST_INFO_WIDTH);
    assert_null(stmt_cell(r, 1, 7));   /* the dump: no statement */
    f->with_waiting = 0;

    /* No wing above: the caller alone */
    f->s.ctx.threads = NULL;
    r = run(f, "SHOW PROCESSLIST");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmt_cell(r, 0, 0), "11");
    assert_string_equal(stmt_cell(r, 0, 7), "SHOW PROCESSLIST");
}

static void test_utf8_prefix(void **state)
{
    (void)state;
    assert_int_equal(processlist_utf8_prefix("abc", 3, 2), 2);
    assert_int_equal(processlist_utf8_prefix("abc", 3, 10), 3);
    assert_int_equal(processlist_utf8_prefix("\xc3\xa9t\xc3\xa9", 5, 2), 3);     /* é t */
    assert_int_equal(processlist_utf8_prefix("\xf0\x9f\x98\x80x", 5, 1), 4);     /* one emoji */
    /* malformed: a lead byte without its continuation, a cut sequence, stray bytes */
    assert_int_equal(processlist_utf8_prefix("\xc3x", 2, 1), 1);
    assert_int_equal(processlist_utf8_prefix("\xe2\x82", 2, 1), 1);
    assert_int_equal(processlist_utf8_prefix("\x80\xff", 2, 2), 2);
    assert_int_equal(processlist_utf8_prefix("", 0, 5), 0);
}

/* SHOW BINLOG ARCHIVE: without an archive state every file is "off"; with one, the states
 * follow what the runner recorded, and a purged archived file comes first. */
static void test_show_binlog_archive(void **state)
{
    struct fx *f = *state;
    static const char *const names[] = {"Log_name", "File_size", "Archived", "State", "Attempts",
                                        "Last_attempt", "Last_error", "Archived_at", "Compressed", "Stored_size"};
    struct stmt_result *r = run(f, "SHOW BINLOG ARCHIVE");
    assert_columns(r, names, 10);
    assert_int_equal(r->com, QUERY_SHOW_BINLOG_ARCHIVE);
    assert_string_equal(sql_com_name(QUERY_SHOW_BINLOG_ARCHIVE), "Com_show_binlog_archive");
    assert_int_equal(r->nrows, 2);
    assert_string_equal(stmt_cell(r, 0, 0), "mariadb-bin.000001");
    assert_string_equal(stmt_cell(r, 0, 2), "No");
    assert_string_equal(stmt_cell(r, 0, 3), "off");
    assert_int_equal(r->col_type[1], STMT_COL_LONGLONG);
    assert_string_equal(stmt_cell(r, 0, 8), "No");   /* the local copy: plain, its bytes on disk */
    char sz[24];
    snprintf(sz, sizeof(sz), "%llu", (unsigned long long)f->end1);
    assert_string_equal(stmt_cell(r, 0, 9), sz);

    struct archive_state *st = archive_state_new(-1);
    assert_non_null(st);
    f->s.ctx.archive = st;
    archive_state_set_enabled(st, 1);
    r = run(f, "SHOW BINLOG ARCHIVE");
    assert_string_equal(stmt_cell(r, 0, 3), "waiting");
    assert_string_equal(stmt_cell(r, 1, 3), "active");
    assert_string_equal(stmt_cell(r, 0, 4), "0");
    assert_null(stmt_cell(r, 0, 5));
    archive_state_attempt(st, "mariadb-bin.000001", f->end1, 1700000000);
    r = run(f, "SHOW BINLOG ARCHIVE");
    assert_string_equal(stmt_cell(r, 0, 3), "archiving");
    archive_state_failed(st, "mariadb-bin.000001", "exit status 3: boom");
    r = run(f, "SHOW BINLOG ARCHIVE");
    assert_string_equal(stmt_cell(r, 0, 3), "failing");
    assert_string_equal(stmt_cell(r, 0, 4), "1");
    assert_non_null(stmt_cell(r, 0, 5));
    assert_string_equal(stmt_cell(r, 0, 6), "exit status 3: boom");
    char err[256];
    archive_state_attempt(st, "mariadb-bin.000001", f->end1, 1700000001);
    assert_int_equal(archive_state_done(st, "mariadb-bin.000001", f->end1, 1700000002, 1, "", "0-1-2", err, sizeof(err)), 0);
    /* an older file archived and purged since: listed first */
    const char *text = "# binlogd archive state v1\nmariadb-bin.000000\t999\t1600000000\tpurged\tnone\t\t\n";
    assert_int_equal(archive_state_parse(st, text, strlen(text), err, sizeof(err)), 0);
    archive_state_attempt(st, "mariadb-bin.000001", f->end1, 1700000001);
    assert_int_equal(archive_state_done(st, "mariadb-bin.000001", f->end1, 1700000002, 1, "", "0-1-2", err, sizeof(err)), 0);
    f->s.ctx.is_admin = 0;
    f->s.ctx.is_monitor = 1;   /* a read: monitor accounts may run it */
    r = run(f, "show binlog archive");
    assert_int_equal(r->nrows, 3);
    assert_string_equal(stmt_cell(r, 0, 0), "mariadb-bin.000000");
    assert_string_equal(stmt_cell(r, 0, 1), "999");
    assert_string_equal(stmt_cell(r, 0, 3), "purged");
    assert_null(stmt_cell(r, 0, 8));   /* no local copy */
    assert_null(stmt_cell(r, 0, 9));
    assert_string_equal(stmt_cell(r, 1, 2), "Yes");
    assert_string_equal(stmt_cell(r, 1, 3), "archived");
    assert_string_equal(stmt_cell(r, 1, 6), "");
    assert_non_null(stmt_cell(r, 1, 7));
    assert_string_equal(stmt_cell(r, 2, 3), "active");
    archive_state_set_progress(st, 3, 42, "");
    r = run(f, "SHOW STATUS LIKE 'Binlogd_archive%'");
    assert_int_equal(r->nrows, 5);
    assert_string_equal(stmt_cell(r, 0, 0), "Binlogd_archive_archived_bytes");
    assert_string_equal(stmt_cell(r, 2, 0), "Binlogd_archive_failures");
    assert_string_equal(stmt_cell(r, 2, 1), "1");
    assert_string_equal(stmt_cell(r, 3, 0), "Binlogd_archive_lag_seconds");
    assert_string_equal(stmt_cell(r, 3, 1), "42");
    assert_string_equal(stmt_cell(r, 4, 1), "3");
    f->s.ctx.archive = NULL;
    archive_state_free(st);
}

/* The monitor role reads and may not change anything. */
/* SHOW BINLOG WATCH: no watch -> the columns and no rows; a running watch whose candidate
 * and upstream refuse connections -> both rows, unreachable, never "ok". */
static void test_show_binlog_watch(void **state)
{
    struct fx *f = *state;
    static const char *const names[] = {"Server", "Server_id", "Reachable", "Last_poll_seconds_ago",
                                        "Gtid_state", "Verdict", "Reason"};
    struct stmt_result *r = run(f, "SHOW BINLOG WATCH");
    assert_columns(r, names, 7);
    assert_int_equal(r->nrows, 0);
    assert_int_equal(r->com, QUERY_SHOW_BINLOG_WATCH);
    assert_string_equal(sql_com_name(QUERY_SHOW_BINLOG_WATCH), "Com_show_binlog_watch");
    struct watch_opts wo = {.mode = WATCH_ON, .interval_ms = 100, .connect_timeout_ms = 1000, .candidates = "127.0.0.1:1"};
    struct watch *w = watch_new(&wo, f->s.ingest, f->s.store);
    assert_non_null(w);
    assert_int_equal(watch_start(w), 0);
    struct watch_summary sum;
    for (int i = 0; i < 300; i++) {   /* poll the condition, at most 30 s */
        watch_summary_get(w, &sum);
        if (sum.rounds > 0 && sum.servers == 2) break;
        usleep(100 * 1000);
    }
    assert_int_equal(sum.enabled, 1);
    assert_int_equal(sum.servers, 2);
    assert_int_equal(sum.unreachable, 2);
    assert_int_equal(sum.split_brain, 0);
    f->s.ctx.watch = w;
    f->s.ctx.is_admin = 0;
    f->s.ctx.is_monitor = 1;   /* a read: monitor accounts may run it */
    r = run(f, "show binlog watch");
    assert_int_equal(r->nrows, 2);
    assert_string_equal(stmt_cell(r, 0, 0), "127.0.0.1:1");
    assert_string_equal(stmt_cell(r, 0, 2), "No");
    assert_null(stmt_cell(r, 0, 4));
    assert_string_equal(stmt_cell(r, 0, 5), "unreachable");
    assert_non_null(strstr(stmt_cell(r, 0, 6), "cannot connect"));
    assert_string_equal(stmt_cell(r, 1, 0), "127.0.0.1:3306");
    assert_string_equal(stmt_cell(r, 1, 5), "unreachable");
    assert_non_null(strstr(stmt_cell(r, 1, 6), "current upstream"));
    assert_non_null(stmt_cell(r, 0, 3));
    assert_int_equal(r->col_type[3], STMT_COL_DOUBLE);
    /* off by reload: the table empties at the next round */
    watch_set_options(w, WATCH_OFF, 100, 1000);
    for (int i = 0; i < 300; i++) {
        watch_summary_get(w, &sum);
        if (!sum.enabled) break;
        usleep(100 * 1000);
    }
    assert_int_equal(sum.servers, 0);
    assert_int_equal(run(f, "SHOW BINLOG WATCH")->nrows, 0);
    watch_free(w);
    f->s.ctx.watch = NULL;
}

static void test_monitor_role(void **state)
{
    struct fx *f = *state;
    f->s.ctx.is_admin = 0;
    f->s.ctx.is_monitor = 1;
    f->s.ctx.user = "mon";
    struct stmt_result *r = run(f, "FLUSH LOGS");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1227);
    assert_string_equal(r->err.msg, "Access denied; you need (at least one of) the RELOAD privilege(s) for this operation");
    assert_int_equal(run(f, "FLUSH BINARY LOGS")->err.code, 1227);
    assert_int_equal(run(f, "CHANGE MASTER TO MASTER_HOST='x'")->err.code, 1227);
    assert_int_equal(run(f, "STOP SLAVE")->err.code, 1227);
    assert_int_equal(run(f, "START SLAVE")->err.code, 1227);
    assert_int_equal(run(f, "SET GLOBAL read_only = 0")->err.code, 1227);
    assert_int_equal(run(f, "PURGE BINARY LOGS TO 'mariadb-bin.000002'")->err.code, 1227);
    /* reads */
    assert_int_equal(run(f, "SHOW MASTER STATUS")->kind, STMT_ROWS);
    assert_int_equal(run(f, "SHOW SLAVE STATUS")->kind, STMT_ROWS);
    assert_int_equal(run(f, "SHOW GLOBAL STATUS")->kind, STMT_ROWS);
    assert_int_equal(run(f, "SHOW GLOBAL VARIABLES")->kind, STMT_ROWS);
    assert_int_equal(run(f, "SELECT @@version")->kind, STMT_ROWS);
    /* KILL: the wing decides (others' connections are invisible to a non-admin) */
    f->kill_says = STMT_KILL_NOT_FOUND;
    assert_int_equal(run(f, "KILL 3")->err.code, 1094);
    /* an admin may flush (a no-op) */
    f->s.ctx.is_admin = 1;
    f->s.ctx.is_monitor = 0;
    assert_int_equal(run(f, "FLUSH LOGS")->kind, STMT_OK);
}

/* Every statement kind x every role, through sql_execute: the roles allowed (R replica,
 * M monitor, A admin) and, for the others, mariadbd 10.11's exact 1227 text (observed on a
 * real server for the accounts with and without the privilege). Every kind of the
 * recogniser must have a line (a kind added later without one fails here). */
static void test_role_matrix(void **state)
{
    struct fx *f = *state;
    static const struct {
        enum query_kind kind;
        const char *sql;
        const char *roles;
        const char *needs;
    } m[] = {
        {QUERY_UNKNOWN, "DROP DATABASE x", "RMA", NULL},
        {QUERY_EMPTY, ";", "RMA", NULL},
        {QUERY_SELECT, "SELECT @@server_id", "RMA", NULL},
        {QUERY_SET, "SET @a = 1", "RMA", NULL},
        {QUERY_SHOW_VARIABLES, "SHOW VARIABLES LIKE 'server_id'", "RMA", NULL},
        {QUERY_SHOW_STATUS, "SHOW GLOBAL STATUS", "RMA", NULL},
        {QUERY_SHOW_MASTER_STATUS, "SHOW MASTER STATUS", "RMA", NULL},
        {QUERY_SHOW_BINARY_LOGS, "SHOW BINARY LOGS", "RMA", NULL},
        {QUERY_SHOW_SLAVE_HOSTS, "SHOW SLAVE HOSTS", "MA", "REPLICATION MASTER ADMIN"},
        {QUERY_SHOW_SLAVE_STATUS, "SHOW SLAVE STATUS", "MA", "SUPER, SLAVE MONITOR"},
        {QUERY_SHOW_WARNINGS, "SHOW WARNINGS", "RMA", NULL},
        {QUERY_KILL, "KILL 3", "RMA", NULL},
        {QUERY_START_SLAVE, "START SLAVE", "A", "SUPER, REPLICATION SLAVE ADMIN"},
        {QUERY_STOP_SLAVE, "STOP SLAVE", "A", "SUPER, REPLICATION SLAVE ADMIN"},
        {QUERY_CHANGE_MASTER, "CHANGE MASTER TO MASTER_HOST='x', MASTER_PASSWORD='pw'", "A",
         "SUPER, REPLICATION SLAVE ADMIN"},
        {QUERY_PURGE_BINARY_LOGS, "PURGE BINARY LOGS TO 'mariadb-bin.000002'", "A", "SUPER, BINLOG ADMIN"},
        {QUERY_FLUSH, "FLUSH TABLES", "A", "RELOAD"},
        {QUERY_SHOW_BINLOG_EVENTS, "SHOW BINLOG EVENTS LIMIT 1", "RMA", NULL},
        {QUERY_SHOW_BINLOG_STATISTICS, "SHOW BINLOG STATISTICS", "MA", "SUPER, SLAVE MONITOR"},
        {QUERY_SHOW_BINLOG_TOP_TRX, "SHOW BINLOG TOP TRANSACTIONS", "MA", "SUPER, SLAVE MONITOR"},
        {QUERY_SHOW_BINLOG_LAG_DOCTOR, "SHOW BINLOG LAG DOCTOR", "MA", "SUPER, SLAVE MONITOR"},
        {QUERY_SHOW_BINLOG_WATCH, "SHOW BINLOG WATCH", "MA", "SUPER, SLAVE MONITOR"},
        {QUERY_SHOW_BINLOG_ARCHIVE, "SHOW BINLOG ARCHIVE", "MA", "SUPER, SLAVE MONITOR"},
        {QUERY_SHOW_PROCESSLIST, "SHOW FULL PROCESSLIST", "RMA", NULL},
    };
    int covered[QUERY_KIND_COUNT] = {0};
    struct query *q = query_new();
    assert_non_null(q);
    f->kill_says = STMT_KILL_NOT_FOUND;
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        assert_int_equal(query_parse(q, m[i].sql, strlen(m[i].sql)), m[i].kind);
        covered[m[i].kind] = 1;
        static const char letters[] = "RMA";
        for (int role = 0; role < 3; role++) {
            f->s.ctx.is_admin = letters[role] == 'A';
            f->s.ctx.is_monitor = letters[role] == 'M';
            enum config_role cr = letters[role] == 'A' ? CONFIG_ROLE_ADMIN
                                  : letters[role] == 'M' ? CONFIG_ROLE_MONITOR : CONFIG_ROLE_REPLICA;
            int want = strchr(m[i].roles, letters[role]) != NULL;
            struct myerr e;
            assert_int_equal(privilege_query_allowed(m[i].kind, cr, &e), want);
            struct stmt_result *r = run(f, m[i].sql);
            if (r->kind == STMT_LATER) {   /* STOP SLAVE: answered later, so not refused */
                assert_true(want);
                continue;
            }
            if (want) {
                if (r->kind == STMT_ERR && r->err.code == 1227)
                    fail_msg("%s as %c: refused: %s", m[i].sql, letters[role], r->err.msg);
                continue;
            }
            if (r->kind != STMT_ERR || r->err.code != 1227) fail_msg("%s as %c: not refused", m[i].sql, letters[role]);
            char want_msg[256];
            snprintf(want_msg, sizeof(want_msg),
                     "Access denied; you need (at least one of) the %s privilege(s) for this operation", m[i].needs);
            assert_string_equal(r->err.msg, want_msg);
            assert_string_equal(myerr_sqlstate(r->err.code), "42000");
            assert_int_equal(r->com, m[i].kind);   /* still counted in Com_* */
        }
    }
    query_free(q);
    for (int k = 0; k < QUERY_KIND_COUNT; k++)
        if (!covered[k]) fail_msg("query kind %s has no line in the role matrix", query_kind_name((enum query_kind)k));
    /* the replica's commands: COM_BINLOG_DUMP[_GTID], COM_REGISTER_SLAVE */
    struct myerr e;
    assert_int_equal(privilege_cmd_allowed(PRIVILEGE_CMD_REPLICATION, CONFIG_ROLE_REPLICA, &e), 1);
    assert_int_equal(privilege_cmd_allowed(PRIVILEGE_CMD_REPLICATION, CONFIG_ROLE_ADMIN, &e), 1);
    assert_int_equal(privilege_cmd_allowed(PRIVILEGE_CMD_REPLICATION, CONFIG_ROLE_MONITOR, &e), 0);
    assert_string_equal(e.msg, "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s) for this operation");
    for (int role = 0; role < 3; role++)
        assert_int_equal(privilege_cmd_allowed(PRIVILEGE_CMD_ANY, (enum config_role)role, &e), 1);
    /* a role value out of range is refused everything but the unprivileged kinds */
    assert_int_equal(privilege_query_allowed(QUERY_FLUSH, (enum config_role)7, &e), 0);
}

static void test_kill(void **state)
{
    struct fx *f = *state;
    f->kill_says = STMT_KILL_NOT_FOUND;
    struct stmt_result *r = run(f, "KILL 77");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1094);
    assert_string_equal(r->err.msg, "Unknown thread id: 77");
    assert_int_equal(f->kill_target, 77);
    assert_int_equal(f->killed_by, 11);

    f->kill_says = STMT_KILL_DONE;
    r = run(f, "KILL CONNECTION 78");
    assert_int_equal(r->kind, STMT_OK);
    assert_false(r->close_after);

    f->kill_says = STMT_KILL_SELF;
    r = run(f, "KILL 11");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1927);
    assert_true(r->close_after);
}

static void test_result_building(void **state)
{
    (void)state;
    struct stmt_result r;
    stmt_result_init(&r);
    static const char *const cols[] = {"a", "b"};
    assert_int_equal(stmt_columns(&r, cols, 2), 0);
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    for (int i = 0; i < 1000; i++) {
        const char *cells[2] = {i % 2 ? NULL : "even", big};
        assert_int_equal(stmt_row(&r, cells), 0);
    }
    assert_int_equal(r.nrows, 1000);
    assert_null(stmt_cell(&r, 999, 0));
    assert_string_equal(stmt_cell(&r, 998, 0), "even");
    assert_int_equal(strlen(stmt_cell(&r, 500, 1)), sizeof(big) - 1);
    assert_null(stmt_cell(&r, 1000, 0));   /* out of range */
    assert_null(stmt_name(&r, 2));
    const char *many[STMT_MAX_COLS + 1];
    for (size_t i = 0; i <= STMT_MAX_COLS; i++) many[i] = "c";
    assert_int_equal(stmt_columns(&r, many, STMT_MAX_COLS + 1), -1);
    assert_true(r.oom);
    stmt_result_free(&r);
    assert_int_equal(r.kind, STMT_OK);
    assert_string_equal(stmt_kind_name(STMT_LATER), "later");
}

/* FLUSH: LOGS / ERROR LOGS reopen the log (admin only), BINARY LOGS is refused, the rest OK. */
static void test_flush(void **state)
{
    struct fx *f = *state;
    char log[128], rotated[140], err[256];
    snprintf(log, sizeof(log), "%s/binlogd.log", f->s.path);
    snprintf(rotated, sizeof(rotated), "%s.1", log);
    assert_int_equal(log_set_file(log, err, sizeof(err)), 0);
    assert_int_equal(rename(log, rotated), 0);
    assert_int_equal(run(f, "FLUSH LOGS")->kind, STMT_OK);
    assert_int_equal(access(log, F_OK), 0);   /* reopened at the configured path */
    assert_int_equal(log_set_file(NULL, err, sizeof(err)), 0);
    assert_int_equal(run(f, "flush no_write_to_binlog error logs")->kind, STMT_OK);
    assert_int_equal(run(f, "FLUSH TABLES")->kind, STMT_OK);
    assert_int_equal(run(f, "FLUSH PRIVILEGES, STATUS")->kind, STMT_OK);
    assert_int_equal(run(f, "FLUSH SLOW LOGS")->kind, STMT_OK);
    const char *binary[] = {"FLUSH BINARY LOGS", "FLUSH LOCAL ERROR LOGS, BINARY LOGS",
                            "FLUSH BINARY LOGS DELETE_DOMAIN_ID=(1,2)"};
    for (size_t i = 0; i < 3; i++) {
        struct stmt_result *r = run(f, binary[i]);
        assert_int_equal(r->kind, STMT_ERR);
        assert_int_equal(r->err.code, 1235);
        assert_non_null(strstr(r->err.msg, "primary"));
    }
    f->s.ctx.is_admin = 0;
    struct stmt_result *r = run(f, "FLUSH LOGS");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1227);
    /* every FLUSH needs RELOAD in mariadbd, even those binlogd has nothing to do for */
    assert_int_equal(run(f, "FLUSH TABLES")->err.code, 1227);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_show_master_status, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_binary_logs, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_variables_like, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_statement, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_change_master_while_running, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_slave_status, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_stop_slave_answers_later, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_set_and_select_user_variable, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_slave_hosts_all_rows, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_status_like, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_kill, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_flush, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_com_names, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_processlist, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_monitor_role, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_role_matrix, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_binlog_watch, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_show_binlog_archive, setup, stmtfx_teardown),
        cmocka_unit_test(test_utf8_prefix),
        cmocka_unit_test(test_result_building),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
