/* test_query.c - the statement recogniser: every statement replicas send (PROTOCOL.md
 * 1.1/1.2, captured from MariaDB 10.11 where possible), admin statements, and hostile
 * input; plus the LIKE matcher. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/query.h"

static int setup(void **state)
{
    *state = query_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    query_free(*state);
    return 0;
}

/* Parse from an exact-size heap copy, so ASan sees any read past the end. */
static enum query_kind parse(struct query *q, const char *sql)
{
    size_t n = strlen(sql);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, sql, n);
    enum query_kind k = query_parse(q, copy, n);
    /* The result must not point into the input. */
    free(copy);
    return k;
}

static int eq(const char *s, size_t len, const char *lit) { return len == strlen(lit) && memcmp(s, lit, len) == 0; }

static void test_mariadb_replica_statements(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "SELECT UNIX_TIMESTAMP()"), QUERY_SELECT);
    assert_int_equal(q->nitems, 1);
    assert_int_equal(q->items[0].val.kind, QVAL_FUNC);
    assert_true(query_name_eq(q->items[0].val.s, q->items[0].val.len, "unix_timestamp"));
    assert_int_equal(q->items[0].val.nargs, 0);
    assert_string_equal(query_item_name(&q->items[0]), "UNIX_TIMESTAMP()");

    assert_int_equal(parse(q, "SHOW VARIABLES LIKE 'SERVER_ID'"), QUERY_SHOW_VARIABLES);
    assert_int_equal(q->scope, QSCOPE_DEFAULT);
    assert_true(eq(q->like, q->like_len, "SERVER_ID"));

    assert_int_equal(parse(q, "SET @master_heartbeat_period= 30000001024"), QUERY_SET);
    assert_int_equal(q->nassign, 1);
    assert_int_equal(q->assign[0].kind, QA_USERVAR);
    assert_string_equal(q->assign[0].name, "master_heartbeat_period");
    assert_int_equal(q->assign[0].val.kind, QVAL_NUMBER);
    assert_true(q->assign[0].val.is_int);
    assert_int_equal(q->assign[0].val.u, 30000001024ull);
    assert_int_equal(parse(q, "SET @master_heartbeat_period= 30000000000"), QUERY_SET);
    assert_int_equal(q->assign[0].val.u, 30000000000ull);

    assert_int_equal(parse(q, "SET @master_binlog_checksum= @@global.binlog_checksum"), QUERY_SET);
    assert_int_equal(q->assign[0].val.kind, QVAL_SYSVAR);
    assert_int_equal(q->assign[0].val.scope, QSCOPE_GLOBAL);
    assert_string_equal(q->assign[0].val.s, "binlog_checksum");

    assert_int_equal(parse(q, "SELECT @master_binlog_checksum"), QUERY_SELECT);
    assert_int_equal(q->items[0].val.kind, QVAL_USERVAR);
    assert_string_equal(q->items[0].val.s, "master_binlog_checksum");
    assert_string_equal(query_item_name(&q->items[0]), "@master_binlog_checksum");

    assert_int_equal(parse(q, "SET skip_replication=1"), QUERY_SET);
    assert_int_equal(q->assign[0].kind, QA_SYSVAR);
    assert_int_equal(q->assign[0].scope, QSCOPE_DEFAULT);
    assert_string_equal(q->assign[0].name, "skip_replication");

    assert_int_equal(parse(q, "SET @mariadb_slave_capability=4"), QUERY_SET);
    assert_int_equal(q->assign[0].val.u, 4);

    assert_int_equal(parse(q, "SELECT @@GLOBAL.gtid_domain_id"), QUERY_SELECT);
    assert_int_equal(q->items[0].val.kind, QVAL_SYSVAR);
    assert_int_equal(q->items[0].val.scope, QSCOPE_GLOBAL);
    assert_string_equal(q->items[0].val.s, "gtid_domain_id");
    assert_string_equal(query_item_name(&q->items[0]), "@@GLOBAL.gtid_domain_id");

    assert_int_equal(parse(q, "SET @slave_connect_state='0-1-100,1-2-50'"), QUERY_SET);
    assert_int_equal(q->assign[0].val.kind, QVAL_STRING);
    assert_string_equal(q->assign[0].val.s, "0-1-100,1-2-50");
    assert_int_equal(parse(q, "SET @slave_connect_state=''"), QUERY_SET);
    assert_int_equal(q->assign[0].val.len, 0);
    assert_int_equal(parse(q, "SET @slave_gtid_strict_mode=0"), QUERY_SET);
    assert_int_equal(parse(q, "SET @slave_gtid_strict_mode=1"), QUERY_SET);
    assert_int_equal(parse(q, "SET @slave_gtid_ignore_duplicates=0"), QUERY_SET);
    assert_int_equal(parse(q, "SET @slave_until_gtid='0-1-5'"), QUERY_SET);

    assert_int_equal(parse(q, "SELECT binlog_gtid_pos('mb.000001',1461)"), QUERY_SELECT);
    const struct qval *f = &q->items[0].val;
    assert_int_equal(f->kind, QVAL_FUNC);
    assert_string_equal(f->s, "binlog_gtid_pos");
    assert_int_equal(f->nargs, 2);
    assert_int_equal(q->args[f->first_arg].kind, QVAL_STRING);
    assert_string_equal(q->args[f->first_arg].s, "mb.000001");
    assert_int_equal(q->args[f->first_arg + 1].u, 1461);
    assert_string_equal(query_item_name(&q->items[0]), "binlog_gtid_pos('mb.000001',1461)");

    assert_int_equal(parse(q, "SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'"), QUERY_SHOW_VARIABLES);
    assert_int_equal(parse(q, "SET @rpl_semi_sync_slave= 1"), QUERY_SET);
    int b = 0;
    assert_int_equal(qval_to_bool(&q->assign[0].val, &b), 0);
    assert_true(b);

    assert_int_equal(parse(q, "KILL 8"), QUERY_KILL);
    assert_int_equal(q->id, 8);
    assert_false(q->kill_query);

    /* mariadb-binlog --read-from-remote-server */
    assert_int_equal(parse(q, "SELECT VERSION()"), QUERY_SELECT);
    assert_int_equal(parse(q, "SET @master_binlog_checksum='NONE'"), QUERY_SET);
    assert_string_equal(q->assign[0].val.s, "NONE");
}

static void test_mysql_replica_statements(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "SELECT @@GLOBAL.SERVER_ID"), QUERY_SELECT);
    assert_string_equal(q->items[0].val.s, "SERVER_ID");
    assert_string_equal(query_item_name(&q->items[0]), "@@GLOBAL.SERVER_ID");

    assert_int_equal(parse(q, "SET @master_heartbeat_period = 30000000000, @source_heartbeat_period = 30000000000"),
                     QUERY_SET);
    assert_int_equal(q->nassign, 2);
    assert_string_equal(q->assign[1].name, "source_heartbeat_period");
    assert_int_equal(q->assign[1].val.u, 30000000000ull);

    assert_int_equal(parse(q, "SET @master_binlog_checksum = @@global.binlog_checksum, "
                              "@source_binlog_checksum = @@global.binlog_checksum"), QUERY_SET);
    assert_int_equal(q->nassign, 2);
    assert_int_equal(q->assign[1].val.kind, QVAL_SYSVAR);

    assert_int_equal(parse(q, "SELECT @source_binlog_checksum"), QUERY_SELECT);
    assert_int_equal(parse(q, "SELECT @@GLOBAL.GTID_MODE"), QUERY_SELECT);
    assert_int_equal(parse(q, "SELECT @@GLOBAL.SERVER_UUID"), QUERY_SELECT);
    assert_int_equal(parse(q, "SHOW VARIABLES LIKE 'SERVER_UUID'"), QUERY_SHOW_VARIABLES);

    assert_int_equal(parse(q, "SET @slave_uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562', "
                              "@replica_uuid = '3e11fa47-71ca-11e1-9e33-c80aa9429562'"), QUERY_SET);
    assert_int_equal(q->nassign, 2);
    assert_string_equal(q->assign[0].val.s, "3e11fa47-71ca-11e1-9e33-c80aa9429562");
    assert_int_equal(parse(q, "SET @slave_uuid= '3e11fa47-71ca-11e1-9e33-c80aa9429562'"), QUERY_SET);

    assert_int_equal(parse(q, "SELECT @@global.rpl_semi_sync_source_enabled"), QUERY_SELECT);
    assert_int_equal(parse(q, "SELECT @@global.rpl_semi_sync_master_enabled"), QUERY_SELECT);
    assert_int_equal(parse(q, "SET @rpl_semi_sync_replica = 1, @rpl_semi_sync_slave = 1"), QUERY_SET);
    assert_int_equal(q->nassign, 2);
}

static void test_client_and_connector_statements(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "select @@version_comment limit 1"), QUERY_SELECT);
    assert_true(q->has_limit);
    assert_int_equal(q->limit, 1);
    assert_int_equal(q->items[0].val.scope, QSCOPE_DEFAULT);
    assert_int_equal(parse(q, "SELECT DATABASE(), USER() limit 1"), QUERY_SELECT);
    assert_int_equal(q->nitems, 2);
    assert_int_equal(parse(q, "SELECT 1"), QUERY_SELECT);
    assert_int_equal(q->items[0].val.kind, QVAL_NUMBER);
    assert_int_equal(parse(q, "SELECT 1 FROM DUAL"), QUERY_SELECT);

    assert_int_equal(parse(q, "/* mysql-connector-java-8.0.33 (Revision: 7d6b0800528b6b25c68b52dc10d6c1c8429c100c) */"
                              "SELECT  @@session.auto_increment_increment AS auto_increment_increment, "
                              "@@character_set_client AS character_set_client, @@max_allowed_packet AS "
                              "max_allowed_packet, @@`net_write_timeout` AS `net_write_timeout`"), QUERY_SELECT);
    assert_int_equal(q->nitems, 4);
    assert_int_equal(q->items[0].val.scope, QSCOPE_SESSION);
    assert_string_equal(query_item_name(&q->items[0]), "auto_increment_increment");
    assert_string_equal(q->items[3].val.s, "net_write_timeout");
    assert_string_equal(query_item_name(&q->items[3]), "net_write_timeout");

    assert_int_equal(parse(q, "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci"), QUERY_SET);
    assert_int_equal(q->assign[0].kind, QA_NAMES);
    assert_string_equal(q->assign[0].val.s, "utf8mb4");
    assert_string_equal(q->assign[0].collate, "utf8mb4_general_ci");
    assert_int_equal(parse(q, "SET NAMES 'utf8'"), QUERY_SET);
    assert_int_equal(q->assign[0].val.kind, QVAL_STRING);
    assert_null(q->assign[0].collate);
    assert_int_equal(parse(q, "SET CHARACTER SET utf8"), QUERY_SET);
    assert_int_equal(q->assign[0].kind, QA_CHARSET);
    assert_int_equal(parse(q, "SET CHARSET DEFAULT"), QUERY_SET);
    assert_int_equal(parse(q, "SET character_set_results = NULL, autocommit=1, sql_mode='STRICT_TRANS_TABLES'"),
                     QUERY_SET);
    assert_int_equal(q->nassign, 3);
    assert_int_equal(q->assign[0].val.kind, QVAL_NULL);

    /* A scope keyword carries over to the assignments after it. */
    assert_int_equal(parse(q, "SET GLOBAL a=1, b=ON, SESSION c=OFF, @@global.d=2, @u=3"), QUERY_SET);
    assert_int_equal(q->nassign, 5);
    assert_int_equal(q->assign[0].scope, QSCOPE_GLOBAL);
    assert_int_equal(q->assign[1].scope, QSCOPE_GLOBAL);
    assert_int_equal(q->assign[1].val.kind, QVAL_WORD);
    assert_int_equal(q->assign[2].scope, QSCOPE_SESSION);
    assert_int_equal(q->assign[3].scope, QSCOPE_GLOBAL);
    assert_int_equal(q->assign[3].kind, QA_SYSVAR);
    assert_int_equal(q->assign[4].kind, QA_USERVAR);
    int b = 1;
    assert_int_equal(qval_to_bool(&q->assign[2].val, &b), 0);
    assert_false(b);
    assert_int_equal(parse(q, "SET @@session.sql_log_bin = 0, LOCAL x = 1"), QUERY_SET);
    assert_int_equal(q->assign[0].scope, QSCOPE_SESSION);
    assert_int_equal(q->assign[1].scope, QSCOPE_SESSION);
    assert_int_equal(parse(q, "SET @a := 5"), QUERY_SET);
    assert_int_equal(q->assign[0].val.u, 5);
    assert_int_equal(parse(q, "SET @x = UNIX_TIMESTAMP()"), QUERY_SET);
    assert_int_equal(q->assign[0].val.kind, QVAL_FUNC);
    assert_int_equal(parse(q, "SET @`quoted name` = 1, @'q2' = 2, @a.b$c = 3"), QUERY_SET);
    assert_string_equal(q->assign[0].name, "quoted name");
    assert_string_equal(q->assign[1].name, "q2");
    assert_string_equal(q->assign[2].name, "a.b$c");

    /* Executable comments (mysqldump / mysqlbinlog output style): their body counts. */
    assert_int_equal(parse(q, "/*!40101 SET NAMES utf8 */;"), QUERY_SET);
    assert_int_equal(q->assign[0].kind, QA_NAMES);
    assert_int_equal(parse(q, "/*!40103 SET TIME_ZONE='+00:00' */"), QUERY_SET);
    assert_string_equal(q->assign[0].val.s, "+00:00");
    assert_int_equal(parse(q, "/*M!100100 SET @x=1 */"), QUERY_SET);
    assert_int_equal(parse(q, "/*!40101 SET NAMES utf8"), QUERY_UNKNOWN);

    /* mariadb-admin extended-status / variables send these exact texts. */
    assert_int_equal(parse(q, "show /*!50002 GLOBAL */ status"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_GLOBAL);
    assert_int_equal(parse(q, "show /*!40003 GLOBAL */ variables"), QUERY_SHOW_VARIABLES);
    assert_int_equal(q->scope, QSCOPE_GLOBAL);
    /* mariadbd's version rule: newer than us, or MySQL 5.7+ without the M: a plain comment. */
    assert_int_equal(parse(q, "SHOW /*!50700 GLOBAL */ STATUS"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_DEFAULT);
    assert_int_equal(parse(q, "SHOW /*!99999 GLOBAL */ STATUS"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_DEFAULT);
    assert_int_equal(parse(q, "SHOW /*M!50700 GLOBAL */ STATUS"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_GLOBAL);
    assert_int_equal(parse(q, "SHOW /*!101106 GLOBAL */ STATUS"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_GLOBAL);
    assert_int_equal(parse(q, "SHOW /*!101107 GLOBAL */ STATUS"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_DEFAULT);
    assert_int_equal(parse(q, "SHOW /*M!999999 GLOBAL */ STATUS"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_DEFAULT);
    /* No version (fewer than 5 digits): the digits are code. */
    assert_int_equal(parse(q, "/*! SHOW STATUS */"), QUERY_SHOW_STATUS);
    assert_int_equal(parse(q, "SELECT /*!12 */"), QUERY_SELECT);
    assert_string_equal(q->items[0].val.s, "12");
    /* Six digits are the version, a seventh is code. */
    assert_int_equal(parse(q, "SELECT /*!1000007*/"), QUERY_SELECT);
    assert_string_equal(q->items[0].val.s, "7");
    /* Malformed: unterminated, executed or skipped. */
    assert_int_equal(parse(q, "show /*!50002 GLOBAL status"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "show /*!99999 GLOBAL status"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "show /*!50002 GLOBAL */ */ status"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "show /*!"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "show /*M!5000"), QUERY_UNKNOWN);
}

static void test_binlog_statistics(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "SHOW BINLOG STATISTICS"), QUERY_SHOW_BINLOG_STATISTICS);
    assert_int_equal(q->stats_by, QSTATS_BY_TABLE);
    assert_null(q->like);
    assert_int_equal(parse(q, "show binlog statistics like 'shop.%';"), QUERY_SHOW_BINLOG_STATISTICS);
    assert_string_equal(q->like, "shop.%");
    assert_int_equal(parse(q, "SHOW BINLOG STATISTICS BY SERVER"), QUERY_SHOW_BINLOG_STATISTICS);
    assert_int_equal(q->stats_by, QSTATS_BY_SERVER);
    assert_int_equal(parse(q, "SHOW BINLOG STATISTICS BY KIND LIKE '%rows'"), QUERY_SHOW_BINLOG_STATISTICS);
    assert_int_equal(q->stats_by, QSTATS_BY_KIND);
    assert_string_equal(q->like, "%rows");
    assert_int_equal(parse(q, "SHOW BINLOG STATISTICS BY TABLE"), QUERY_SHOW_BINLOG_STATISTICS);
    assert_string_equal(query_stats_by_name(QSTATS_BY_KIND), "kind");
    assert_int_equal(parse(q, "SHOW BINLOG TOP TRANSACTIONS"), QUERY_SHOW_BINLOG_TOP_TRX);
    assert_false(q->has_limit);
    assert_int_equal(parse(q, "SHOW BINLOG TOP TRANSACTIONS LIMIT 3"), QUERY_SHOW_BINLOG_TOP_TRX);
    assert_true(q->has_limit);
    assert_int_equal(q->limit, 3);
    assert_int_equal(parse(q, "SHOW /* c */ BINLOG LAG DOCTOR ;"), QUERY_SHOW_BINLOG_LAG_DOCTOR);
    /* malformed */
    static const char *const bad[] = {
        "SHOW BINLOG STATISTICS BY", "SHOW BINLOG STATISTICS BY NOTHING", "SHOW BINLOG STATISTICS LIKE",
        "SHOW BINLOG STATISTICS LIKE shop", "SHOW BINLOG STATISTICS LIKE 'a' LIKE 'b'", "SHOW BINLOG STATISTICS x",
        "SHOW BINLOG TOP", "SHOW BINLOG TOP TRANSACTION", "SHOW BINLOG TOP TRANSACTIONS LIMIT",
        "SHOW BINLOG TOP TRANSACTIONS LIMIT -1", "SHOW BINLOG TOP TRANSACTIONS LIMIT 1.5",
        "SHOW BINLOG LAG", "SHOW BINLOG LAG DOCTORS", "SHOW BINLOG LAG DOCTOR now",
        "SHOW BINLOG STATISTICS LIKE 'unterminated",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(q, bad[i]), QUERY_UNKNOWN);
        assert_non_null(q->why);
        assert_true(q->error_pos <= strlen(bad[i]));
    }
    /* every prefix of a valid statement: recognised or refused, never past the input */
    const char *full = "SHOW BINLOG STATISTICS BY KIND LIKE 'x%'";
    for (size_t n = 0; n <= strlen(full); n++) {
        char buf[64];
        memcpy(buf, full, n);
        enum query_kind k = query_parse(q, buf, n);
        if (k == QUERY_UNKNOWN) assert_true(q->error_pos <= n);
    }
}

static void test_show_binlog_watch(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "SHOW BINLOG WATCH"), QUERY_SHOW_BINLOG_WATCH);
    assert_int_equal(parse(q, "show binlog watch;"), QUERY_SHOW_BINLOG_WATCH);
    assert_int_equal(parse(q, "SHOW BINLOG WATCH x"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW BINLOG WATCHES"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW BINLOG STATUS"), QUERY_SHOW_MASTER_STATUS);
    assert_string_equal(query_kind_name(QUERY_SHOW_BINLOG_WATCH), "SHOW BINLOG WATCH");
}

static void test_show_binlog_archive(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "SHOW BINLOG ARCHIVE"), QUERY_SHOW_BINLOG_ARCHIVE);
    assert_int_equal(parse(q, "show /* c */ binlog archive ;"), QUERY_SHOW_BINLOG_ARCHIVE);
    assert_int_equal(parse(q, "SHOW BINLOG ARCHIVE x"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW BINLOG ARCHIVES"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW BINLOG ARCHIVE LIKE 'a%'"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW ARCHIVE"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW BINLOG ARCH"), QUERY_UNKNOWN);
    assert_string_equal(query_kind_name(QUERY_SHOW_BINLOG_ARCHIVE), "SHOW BINLOG ARCHIVE");
}

static void test_show_processlist(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "SHOW PROCESSLIST"), QUERY_SHOW_PROCESSLIST);
    assert_int_equal(q->full, 0);
    assert_int_equal(parse(q, "show full processlist;"), QUERY_SHOW_PROCESSLIST);
    assert_int_equal(q->full, 1);
    assert_int_equal(parse(q, "SHOW /*!50000 FULL */ PROCESSLIST"), QUERY_SHOW_PROCESSLIST);
    assert_int_equal(q->full, 1);
    assert_int_equal(parse(q, "SHOW FULL"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW FULL TABLES"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW GLOBAL PROCESSLIST"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW PROCESSLIST x"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW PROCESSLIST LIKE 'x'"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SHOW FULL FULL PROCESSLIST"), QUERY_UNKNOWN);
}

static void test_show_statements(void **state)
{
    struct query *q = *state;
    struct { const char *sql; enum query_kind kind; int all; } cases[] = {
        { "SHOW MASTER STATUS", QUERY_SHOW_MASTER_STATUS, 0 },
        { "show binary log status", QUERY_SHOW_MASTER_STATUS, 0 },
        { "SHOW BINLOG STATUS", QUERY_SHOW_MASTER_STATUS, 0 },
        { "SHOW BINARY LOGS", QUERY_SHOW_BINARY_LOGS, 0 },
        { "SHOW MASTER LOGS;", QUERY_SHOW_BINARY_LOGS, 0 },
        { "SHOW SLAVE HOSTS", QUERY_SHOW_SLAVE_HOSTS, 0 },
        { "SHOW REPLICAS", QUERY_SHOW_SLAVE_HOSTS, 0 },
        { "SHOW REPLICA HOSTS", QUERY_SHOW_SLAVE_HOSTS, 0 },
        { "SHOW SLAVE STATUS", QUERY_SHOW_SLAVE_STATUS, 0 },
        { "SHOW REPLICA STATUS", QUERY_SHOW_SLAVE_STATUS, 0 },
        { "SHOW ALL SLAVES STATUS", QUERY_SHOW_SLAVE_STATUS, 1 },
        { "SHOW ALL REPLICAS STATUS", QUERY_SHOW_SLAVE_STATUS, 1 },
        { "SHOW WARNINGS", QUERY_SHOW_WARNINGS, 0 },
        { "SHOW STATUS", QUERY_SHOW_STATUS, 0 },
        { "SHOW VARIABLES", QUERY_SHOW_VARIABLES, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(q, cases[i].sql), cases[i].kind);
        assert_int_equal(q->all, cases[i].all);
        assert_null(q->like);
    }
    assert_int_equal(parse(q, "SHOW GLOBAL VARIABLES LIKE 'gtid\\_%'"), QUERY_SHOW_VARIABLES);
    assert_int_equal(q->scope, QSCOPE_GLOBAL);
    assert_true(eq(q->like, q->like_len, "gtid\\_%"));
    assert_int_equal(parse(q, "SHOW SESSION STATUS LIKE 'Rpl%'"), QUERY_SHOW_STATUS);
    assert_int_equal(q->scope, QSCOPE_SESSION);
    assert_int_equal(parse(q, "SHOW LOCAL VARIABLES"), QUERY_SHOW_VARIABLES);
    assert_int_equal(q->scope, QSCOPE_SESSION);
    const char *bad[] = {
        "SHOW", "SHOW GLOBAL MASTER STATUS", "SHOW VARIABLES LIKE", "SHOW VARIABLES LIKE x",
        "SHOW VARIABLES WHERE Variable_name='x'", "SHOW VARIABLES LIKE 'x' extra", "SHOW PROCESSLISTS",
        "SHOW MASTER", "SHOW BINARY", "SHOW BINARY LOG", "SHOW SLAVE", "SHOW ALL SLAVES",
        "SHOW REPLICA STATUS FOR CHANNEL 'x'", "SHOW TABLES",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(q, bad[i]), QUERY_UNKNOWN);
        assert_non_null(q->why);
    }
}

static void test_admin_statements(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "KILL CONNECTION 5"), QUERY_KILL);
    assert_int_equal(q->id, 5);
    assert_int_equal(parse(q, "kill query 6;"), QUERY_KILL);
    assert_true(q->kill_query);
    assert_int_equal(parse(q, "KILL HARD CONNECTION 18446744073709551615"), QUERY_KILL);
    assert_int_equal(q->id, UINT64_MAX);
    const char *bad_kill[] = { "KILL", "KILL -1", "KILL 18446744073709551616", "KILL 1.5", "KILL 'x'",
                               "KILL USER bob", "KILL QUERY ID 5", "KILL 1 2" };
    for (size_t i = 0; i < sizeof(bad_kill) / sizeof(bad_kill[0]); i++)
        assert_int_equal(parse(q, bad_kill[i]), QUERY_UNKNOWN);

    assert_int_equal(parse(q, "START SLAVE"), QUERY_START_SLAVE);
    assert_int_equal(q->threads, 0);
    assert_int_equal(parse(q, "STOP REPLICA IO_THREAD"), QUERY_STOP_SLAVE);
    assert_int_equal(q->threads, QUERY_THREAD_IO);
    assert_int_equal(parse(q, "start slave io_thread, sql_thread"), QUERY_START_SLAVE);
    assert_int_equal(q->threads, QUERY_THREAD_IO | QUERY_THREAD_SQL);
    assert_int_equal(parse(q, "STOP ALL SLAVES"), QUERY_STOP_SLAVE);
    assert_true(q->all);
    assert_int_equal(parse(q, "START SLAVE UNTIL MASTER_LOG_POS=4"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "START TRANSACTION"), QUERY_UNKNOWN);

    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_HOST='db1.example', MASTER_PORT=3306, "
                              "MASTER_USER='repl', MASTER_PASSWORD='p''w\\'d', MASTER_USE_GTID=slave_pos, "
                              "MASTER_LOG_FILE='mb.000001', MASTER_LOG_POS=4"), QUERY_CHANGE_MASTER);
    assert_int_equal(q->nassign, 7);
    assert_int_equal(q->assign[0].kind, QA_OPTION);
    assert_string_equal(q->assign[0].name, "MASTER_HOST");
    assert_string_equal(q->assign[0].val.s, "db1.example");
    assert_int_equal(q->assign[1].val.u, 3306);
    assert_string_equal(q->assign[3].val.s, "p'w'd");
    assert_int_equal(q->assign[4].val.kind, QVAL_WORD);
    assert_string_equal(q->assign[4].val.s, "slave_pos");
    /* The TLS keys: any name is taken here (replctl.c decides which it knows); values keep
     * their kind so MASTER_SSL='1' or MASTER_SSL=ON can be refused there. */
    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA='/etc/ca.pem', "
                              "master_ssl_verify_server_cert=0, MASTER_SSL_CIPHER='A:B', MASTER_SSL=-1, "
                              "MASTER_SSL='1', MASTER_SSL=ON"), QUERY_CHANGE_MASTER);
    assert_int_equal(q->nassign, 7);
    assert_string_equal(q->assign[0].name, "MASTER_SSL");
    assert_int_equal(q->assign[0].val.kind, QVAL_NUMBER);
    assert_true(q->assign[0].val.is_int);
    assert_int_equal(q->assign[0].val.u, 1);
    assert_int_equal(q->assign[1].val.kind, QVAL_STRING);
    assert_string_equal(q->assign[1].val.s, "/etc/ca.pem");
    assert_string_equal(q->assign[2].name, "master_ssl_verify_server_cert");
    assert_int_equal(q->assign[2].val.u, 0);
    assert_string_equal(q->assign[3].val.s, "A:B");
    assert_true(q->assign[4].val.negative);
    assert_int_equal(q->assign[5].val.kind, QVAL_STRING);
    assert_int_equal(q->assign[6].val.kind, QVAL_WORD);
    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_SSL_CA"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_SSL_CA='a' MASTER_SSL=1"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_SSL=1,"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER TO 'MASTER_SSL'=1"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_SSL_CA='unterminated"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE REPLICATION SOURCE TO SOURCE_HOST='x', SOURCE_PORT=1"), QUERY_CHANGE_MASTER);
    assert_int_equal(q->nassign, 2);
    /* MySQL 8.0.23's option names and the MASTER_* name each is an alias of */
    static const char *const alias[][2] = {
        {"SOURCE_HOST", "MASTER_HOST"}, {"source_port", "MASTER_PORT"}, {"Source_User", "MASTER_USER"},
        {"SOURCE_PASSWORD", "MASTER_PASSWORD"}, {"SOURCE_LOG_FILE", "MASTER_LOG_FILE"},
        {"SOURCE_LOG_POS", "MASTER_LOG_POS"}, {"SOURCE_SSL", "MASTER_SSL"}, {"SOURCE_SSL_CA", "MASTER_SSL_CA"},
        {"SOURCE_SSL_CAPATH", "MASTER_SSL_CAPATH"}, {"SOURCE_SSL_CERT", "MASTER_SSL_CERT"},
        {"SOURCE_SSL_KEY", "MASTER_SSL_KEY"}, {"SOURCE_SSL_CIPHER", "MASTER_SSL_CIPHER"},
        {"SOURCE_SSL_CRL", "MASTER_SSL_CRL"}, {"SOURCE_SSL_CRLPATH", "MASTER_SSL_CRLPATH"},
        {"SOURCE_SSL_VERIFY_SERVER_CERT", "MASTER_SSL_VERIFY_SERVER_CERT"},
        {"SOURCE_AUTO_POSITION", "MASTER_AUTO_POSITION"}, {"SOURCE_HEARTBEAT_PERIOD", "MASTER_HEARTBEAT_PERIOD"},
        {"SOURCE_CONNECT_RETRY", "MASTER_CONNECT_RETRY"}, {"SOURCE_RETRY_COUNT", "MASTER_RETRY_COUNT"},
        {"SOURCE_DELAY", "MASTER_DELAY"}, {"SOURCE_BIND", "MASTER_BIND"},
        {"SOURCE_TLS_VERSION", "MASTER_TLS_VERSION"}, {"SOURCE_TLS_CIPHERSUITES", "MASTER_TLS_CIPHERSUITES"},
        {"SOURCE_PUBLIC_KEY_PATH", "MASTER_PUBLIC_KEY_PATH"}, {"GET_SOURCE_PUBLIC_KEY", "GET_MASTER_PUBLIC_KEY"},
        {"SOURCE_COMPRESSION_ALGORITHMS", "MASTER_COMPRESSION_ALGORITHMS"},
        {"SOURCE_ZSTD_COMPRESSION_LEVEL", "MASTER_ZSTD_COMPRESSION_LEVEL"},
    };
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
        const char *got = query_source_option_alias(alias[i][0], strlen(alias[i][0]));
        assert_non_null(got);
        assert_string_equal(got, alias[i][1]);
    }
    /* not aliases: MASTER_* names, near misses, prefixes, a name cut short, empty */
    static const char *const not_alias[] = {
        "MASTER_HOST", "SOURCE", "SOURCE_", "SOURCE_HOS", "SOURCE_HOSTS", "XSOURCE_HOST", "SOURCE HOST",
        "SOURCE_USE_GTID", "MASTER_USE_GTID", "SOURCE_COMPRESSION_ALGORITHM", "GET_SOURCE_PUBLIC", "REPLICA_HOST", "",
    };
    for (size_t i = 0; i < sizeof(not_alias) / sizeof(not_alias[0]); i++)
        assert_null(query_source_option_alias(not_alias[i], strlen(not_alias[i])));
    assert_string_equal(query_source_option_alias("SOURCE_HOST=x", 11), "MASTER_HOST");   /* a length, not a NUL */
    assert_null(query_source_option_alias("SOURCE_HOST", 10));
    /* a mix of spellings parses (replctl.c maps them) */
    assert_int_equal(parse(q, "CHANGE MASTER TO SOURCE_HOST='x', MASTER_PORT=1, source_user='u'"), QUERY_CHANGE_MASTER);
    assert_int_equal(q->nassign, 3);
    assert_int_equal(parse(q, "CHANGE MASTER TO IGNORE_SERVER_IDS=(1,2)"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER 'conn' TO MASTER_HOST='x'"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER TO"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_HOST="), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "CHANGE MASTER TO MASTER_HOST=UNIX_TIMESTAMP()"), QUERY_UNKNOWN);

    assert_int_equal(parse(q, "PURGE BINARY LOGS TO 'mb.000002'"), QUERY_PURGE_BINARY_LOGS);
    assert_false(q->purge_before);
    assert_true(eq(q->arg, q->arg_len, "mb.000002"));
    assert_int_equal(parse(q, "PURGE MASTER LOGS BEFORE '2024-01-01 00:00:00'"), QUERY_PURGE_BINARY_LOGS);
    assert_true(q->purge_before);
    assert_int_equal(parse(q, "PURGE BINARY LOGS BEFORE NOW()"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "PURGE LOGS TO 'x'"), QUERY_UNKNOWN);

    assert_int_equal(parse(q, "FLUSH BINARY LOGS ;"), QUERY_FLUSH);
    assert_true(eq(q->rest, q->rest_len, "BINARY LOGS"));
    assert_int_equal(parse(q, "flush no_write_to_binlog logs"), QUERY_FLUSH);
    assert_int_equal(parse(q, "FLUSH"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "FLUSH LOGS; SELECT 1"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "FLUSH 'x"), QUERY_UNKNOWN);
}

static void test_values_and_escapes(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "SET @a='it''s', @b=\"say \\\"hi\\\"\", @c='a\\nb\\tc\\\\d', @d='x\\%y\\_z', "
                              "@e='\\0', @f=\"dq\"\"x\", @g='\\q'"), QUERY_SET);
    assert_string_equal(q->assign[0].val.s, "it's");
    assert_string_equal(q->assign[1].val.s, "say \"hi\"");
    assert_string_equal(q->assign[2].val.s, "a\nb\tc\\d");
    assert_string_equal(q->assign[3].val.s, "x\\%y\\_z");
    assert_int_equal(q->assign[4].val.len, 1);
    assert_int_equal(q->assign[4].val.s[0], 0);
    assert_string_equal(q->assign[5].val.s, "dq\"x");
    assert_string_equal(q->assign[6].val.s, "q");

    assert_int_equal(parse(q, "SET @a=-1, @b=+7, @c=18446744073709551615, @d=18446744073709551616, @e=1.5, "
                              "@f=0x1F, @g=1e3, @h=-9223372036854775808, @i=-9223372036854775809, @j=- 3, @k=.5"),
                     QUERY_SET);
    const struct query_assign *a = q->assign;
    assert_true(a[0].val.is_int && a[0].val.negative && a[0].val.u == 1);
    assert_string_equal(a[0].val.s, "-1");
    assert_true(a[1].val.is_int && !a[1].val.negative && a[1].val.u == 7);
    assert_true(a[2].val.is_int && a[2].val.u == UINT64_MAX);
    assert_false(a[3].val.is_int);
    assert_string_equal(a[3].val.s, "18446744073709551616");
    assert_false(a[4].val.is_int);
    assert_true(a[5].val.is_int && a[5].val.u == 31);
    assert_false(a[6].val.is_int);
    assert_true(a[7].val.is_int && a[7].val.negative);
    assert_false(a[8].val.is_int);
    assert_true(a[9].val.is_int && a[9].val.negative && a[9].val.u == 3);
    assert_string_equal(a[9].val.s, "-3");
    assert_false(a[10].val.is_int);
    uint64_t u = 0;
    assert_int_equal(qval_to_u64(&a[2].val, &u), 0);
    assert_int_equal(u, UINT64_MAX);
    assert_int_equal(qval_to_u64(&a[0].val, &u), -1);
    assert_int_equal(qval_to_u64(&a[4].val, &u), -1);

    assert_int_equal(parse(q, "SET @s='30000000000', @t='abc', @y='ON', @n=NULL"), QUERY_SET);
    assert_int_equal(qval_to_u64(&q->assign[0].val, &u), 0);
    assert_int_equal(u, 30000000000ull);
    assert_int_equal(qval_to_u64(&q->assign[1].val, &u), -1);
    int b = 0;
    assert_int_equal(qval_to_bool(&q->assign[2].val, &b), 0);
    assert_true(b);
    assert_int_equal(qval_to_bool(&q->assign[1].val, &b), -1);
    assert_int_equal(qval_to_bool(&q->assign[3].val, &b), -1);
    assert_int_equal(qval_to_bool(&q->assign[0].val, &b), 0);
    assert_true(b);

    /* Aliases: AS word, bare word, quoted. */
    assert_int_equal(parse(q, "SELECT @@server_id AS sid, @@port p, 1 AS `one two`, 2 'two', @@x LIMIT 1"), QUERY_SELECT);
    assert_int_equal(q->nitems, 5);
    assert_string_equal(query_item_name(&q->items[0]), "sid");
    assert_string_equal(query_item_name(&q->items[1]), "p");
    assert_string_equal(query_item_name(&q->items[2]), "one two");
    assert_string_equal(query_item_name(&q->items[3]), "two");
    assert_string_equal(query_item_name(&q->items[4]), "@@x");
    assert_int_equal(parse(q, "SELECT 'a' , NULL, -5, f('x', 2, @v, @@w)"), QUERY_SELECT);
    assert_int_equal(q->items[1].val.kind, QVAL_NULL);
    assert_string_equal(query_item_name(&q->items[2]), "-5");
    assert_int_equal(q->items[3].val.nargs, 4);
    assert_int_equal(q->args[q->items[3].val.first_arg + 3].kind, QVAL_SYSVAR);
}

static void test_whitespace_and_comments(void **state)
{
    struct query *q = *state;
    assert_int_equal(parse(q, "  select\n-- comment\n @@server_id # trailing\n;"), QUERY_SELECT);
    assert_string_equal(q->items[0].val.s, "server_id");
    assert_int_equal(parse(q, "\t/* lead */SELECT/* mid */1/* tail */;;"), QUERY_SELECT);
    assert_int_equal(parse(q, "SELECT 1 --"), QUERY_SELECT);
    assert_int_equal(parse(q, "SELECT 1 -- x"), QUERY_SELECT);
    assert_int_equal(parse(q, "SELECT 1 --x"), QUERY_UNKNOWN);
    assert_int_equal(parse(q, "SeLeCt UnIx_TiMeStAmP ( )"), QUERY_SELECT);
    assert_int_equal(parse(q, ""), QUERY_EMPTY);
    assert_int_equal(parse(q, ";"), QUERY_EMPTY);
    assert_int_equal(parse(q, "  /* only a comment */ ; -- and another"), QUERY_EMPTY);
    assert_int_equal(parse(q, "# nothing"), QUERY_EMPTY);
}

static void test_hostile(void **state)
{
    struct query *q = *state;
    const char *bad[] = {
        "SELECT", "SELECT 1,", "SELECT 'abc", "SELECT \"abc", "SELECT 1 /* open", "SET @x", "SET @x =",
        "SET = 1", "SET", "SET @x = 1,", "SET @x = 1 2", "SELECT 1; SELECT 2", "DROP TABLE x",
        "SELECT @", "SELECT @@", "SELECT @@global.", "SELECT @@global.`", "SELECT 123abc", "SELECT *",
        "SELECT f(g(1))", "SELECT f(1", "SELECT f(1,)", "SELECT 1 FROM t", "SELECT 1 LIMIT", "SELECT 1 LIMIT x",
        "SELECT `unterminated", "SET @'' = 1", "SELECT 1 \x01", "SELECT 1 <> 2", "SET NAMES", "SET CHARACTER utf8",
        "SET NAMES utf8 COLLATE", "INSERT INTO t VALUES (1)", "SELECT -", "SELECT - 'x'", "SET @x = @",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(q, bad[i]), QUERY_UNKNOWN);
        assert_non_null(q->why);
        assert_true(q->error_pos <= strlen(bad[i]));
    }
    /* Embedded NUL bytes are just bytes. */
    assert_int_equal(query_parse(q, "SELECT 1\0", 9), QUERY_UNKNOWN);
    assert_int_equal(query_parse(q, "SET @a='x\0y'", 12), QUERY_SET);
    assert_int_equal(q->assign[0].val.len, 3);

    /* Where and on which line recognition stopped, for a 1064 "near ..." message. */
    const char *sql = "SELECT 1\nFROM\n WHERE x";
    assert_int_equal(parse(q, sql), QUERY_UNKNOWN);
    assert_string_equal(sql + q->error_pos, "WHERE x");
    assert_int_equal(q->error_line, 3);
    assert_int_equal(parse(q, "SELEC 1"), QUERY_UNKNOWN);
    assert_int_equal(q->error_pos, 0);
    assert_int_equal(q->error_line, 1);

    /* Bounded counts. */
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "SELECT 1");
    for (int i = 1; i < QUERY_MAX_ITEMS; i++) n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",%d", i);
    assert_int_equal(parse(q, buf), QUERY_SELECT);
    assert_int_equal(q->nitems, QUERY_MAX_ITEMS);
    snprintf(buf + n, sizeof(buf) - n, ",99");
    assert_int_equal(parse(q, buf), QUERY_UNKNOWN);
    n = (size_t)snprintf(buf, sizeof(buf), "SET @a0=0");
    for (int i = 1; i <= QUERY_MAX_ITEMS; i++) n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",@a%d=%d", i, i);
    assert_int_equal(parse(q, buf), QUERY_UNKNOWN);
    n = (size_t)snprintf(buf, sizeof(buf), "SELECT f(0");
    for (int i = 1; i <= QUERY_MAX_ARGS; i++) n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",%d", i);
    snprintf(buf + n, sizeof(buf) - n, ")");
    assert_int_equal(parse(q, buf), QUERY_UNKNOWN);

    /* Strings that do not fit the arena are refused, not truncated. */
    size_t big = QUERY_ARENA_SIZE + 100;
    char *s = malloc(big + 32);
    memcpy(s, "SET @x='", 8);
    memset(s + 8, 'y', big);
    memcpy(s + 8 + big, "'", 2);
    assert_int_equal(parse(q, s), QUERY_UNKNOWN);
    assert_string_equal(q->why, "statement too long");
    /* Just under the limit fits. */
    memset(s + 8, 'y', QUERY_ARENA_SIZE - 100);
    memcpy(s + 8 + QUERY_ARENA_SIZE - 100, "'", 2);
    assert_int_equal(parse(q, s), QUERY_SET);
    assert_int_equal(q->assign[0].val.len, QUERY_ARENA_SIZE - 100);
    free(s);
}

/* Every prefix of every valid statement, and pseudo-random byte soup from SQL-ish
 * characters: no crash, no read past the end (ASan), sane error positions. */
static void test_prefixes_and_fuzz(void **state)
{
    struct query *q = *state;
    const char *valid[] = {
        "SELECT UNIX_TIMESTAMP()", "SHOW VARIABLES LIKE 'SERVER_ID'",
        "SET @master_binlog_checksum= @@global.binlog_checksum", "SELECT binlog_gtid_pos('mb.000001',4)",
        "SET @slave_connect_state='0-1-100,1-2-50'", "/*!40101 SET NAMES utf8 */;",
        "CHANGE MASTER TO MASTER_HOST='h', MASTER_PORT=3306", "KILL QUERY 12", "SET @a=\"x\\\"y\", b=-1",
        "SELECT @@`x`, @`y` AS `z` LIMIT 1 -- c", "PURGE BINARY LOGS TO 'mb.000002'", "FLUSH LOGS #x",
    };
    for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
        size_t n = strlen(valid[v]);
        assert_int_not_equal(parse(q, valid[v]), QUERY_UNKNOWN);
        for (size_t len = 0; len < n; len++) {
            char *copy = malloc(len ? len : 1);
            memcpy(copy, valid[v], len);
            enum query_kind k = query_parse(q, copy, len);
            if (k == QUERY_UNKNOWN) assert_true(q->error_pos <= len);
            free(copy);
        }
    }
    static const char alphabet[] = "SELECTsetSHOW@@.'\"`\\/*!-#;,()=: 0123456789xE\n\x80\xff";
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        char buf[64];
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % sizeof(buf);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
        }
        char *copy = malloc(len ? len : 1);
        memcpy(copy, buf, len);
        enum query_kind k = query_parse(q, copy, len);
        if (k == QUERY_UNKNOWN) assert_true(q->error_pos <= len);
        assert_true(q->arena_used <= QUERY_ARENA_SIZE);
        free(copy);
    }
}

static void test_like(void **state)
{
    (void)state;
#define LIKE(p, s) query_like_match(p, strlen(p), s, strlen(s))
    assert_true(LIKE("SERVER_ID", "server_id"));
    assert_true(LIKE("server\\_id", "server_id"));
    assert_false(LIKE("server\\_id", "serverXid"));
    assert_true(LIKE("server_id", "serverXid"));
    assert_true(LIKE("%semi%", "rpl_semi_sync_master_enabled"));
    assert_true(LIKE("rpl%enabled", "rpl_semi_sync_master_enabled"));
    assert_false(LIKE("rpl%enable", "rpl_semi_sync_master_enabled"));
    assert_true(LIKE("rpl\\_semi\\_sync\\_%", "rpl_semi_sync_slave_enabled"));
    assert_true(LIKE("%", ""));
    assert_true(LIKE("", ""));
    assert_false(LIKE("", "a"));
    assert_false(LIKE("a%", ""));
    assert_false(LIKE("_", ""));
    assert_true(LIKE("_", "\xc3\xa9"));        /* one character, two bytes */
    assert_false(LIKE("__", "\xc3\xa9"));
    assert_true(LIKE("%%%a", "aaa"));
    assert_true(LIKE("a\\%", "a%"));
    assert_false(LIKE("a\\%", "ab"));
    assert_true(LIKE("a\\", "a\\"));          /* a trailing backslash is literal */
    assert_true(LIKE("%b%", "abc"));
    assert_true(LIKE("a%b%c", "aXXbYYc"));
    assert_false(LIKE("a%b%c", "aXXcYYb"));
    assert_true(LIKE("%_%", "x"));
    /* Pathological patterns stay polynomial. */
    char s[2001];
    memset(s, 'a', 2000);
    s[2000] = 0;
    assert_false(LIKE("%a%a%a%a%a%a%a%a%a%a%b", s));
    assert_true(LIKE("%a%a%a%a%a%a%a%a%a%a%", s));
#undef LIKE
    assert_true(query_name_eq("Server_Id", 9, "SERVER_ID"));
    assert_false(query_name_eq("Server_Id", 8, "SERVER_ID"));
    assert_false(query_name_eq("Server_Ie", 9, "SERVER_ID"));
}

static void test_kind_names(void **state)
{
    (void)state;
    for (int k = QUERY_UNKNOWN; k < QUERY_KIND_COUNT; k++) {
        assert_non_null(query_kind_name((enum query_kind)k));
        assert_string_not_equal(query_kind_name((enum query_kind)k), "?");
    }
    for (int k = QVAL_NONE; k <= QVAL_FUNC; k++) assert_string_not_equal(qval_kind_name((enum qval_kind)k), "?");
    for (int k = QA_USERVAR; k <= QA_OPTION; k++)
        assert_string_not_equal(query_assign_kind_name((enum query_assign_kind)k), "?");
    assert_string_equal(query_scope_name(QSCOPE_GLOBAL), "global");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mariadb_replica_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mysql_replica_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_and_connector_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_and_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whitespace_and_comments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_processlist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_binlog_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_binlog_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefixes_and_fuzz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binlog_statistics, setup, teardown),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
