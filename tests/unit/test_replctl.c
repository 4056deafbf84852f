/*
 * test_replctl.c - binlogd's own upstream managed with the stock client's statements
 * (server/admin/replctl.c) through sql_execute(): CHANGE MASTER's TLS keys (accepted forms,
 * SHOW SLAVE STATUS, the 0600 settings file, malformed values refused with mariadbd's codes
 * and nothing stored), and CHANGE REPLICATION SOURCE TO with MySQL 8.0.23's SOURCE_* names.
 * A real store (empty) and a real ingest that is never started (tests/unit/stmtfx.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/admin/stmt.h"
#include "server/upstream/ingest.h"
#include "server/upstream/upstream_conf.h"
#include "tests/unit/stmtfx.h"

static int setup(void **state)
{
    *state = stmtfx_new(sizeof(struct stmtfx), "replctl", 1);
    return *state ? 0 : -1;
}

/* Stop the upstream with stop_sql (STOP SLAVE or STOP REPLICA: answered later, and ready at
 * once, as the ingest thread never ran), then run change_sql, which must be accepted. Fills
 * *c, when not NULL, with the upstream settings it left. */
static void stop_and_change(struct stmtfx *f, const char *stop_sql, const char *change_sql, struct upstream_conf *c)
{
    struct stmt_result *r = stmtfx_run(f, stop_sql);
    assert_int_equal(r->later.ready(r->later.arg), 1);
    r = stmtfx_run(f, change_sql);
    if (r->kind != STMT_OK) fail_msg("%s: kind %d: %u %s", change_sql, r->kind, r->err.code, r->err.msg);
    if (c) ingest_get_conf(f->ingest, c);
}

/* CHANGE MASTER's TLS keys: accepted forms, what SHOW SLAVE STATUS shows, what is stored. */
static void test_change_master_tls(void **state)
{
    struct stmtfx *f = *state;
    struct upstream_conf c;
    stop_and_change(f, "STOP SLAVE",
                    "CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA='/etc/ca.pem', MASTER_SSL_CAPATH='/etc/cas', "
                    "MASTER_SSL_CERT='/etc/c.pem', master_ssl_key='/etc/k.pem', "
                    "MASTER_SSL_CIPHER='ECDHE-RSA-AES256-GCM-SHA384', MASTER_SSL_CRL='/etc/crl.pem', "
                    "MASTER_SSL_CRLPATH='/etc/crls', MASTER_SSL_VERIFY_SERVER_CERT=0", &c);
    assert_int_equal(c.ssl, 1);
    assert_int_equal(c.ssl_verify_server_cert, 0);
    assert_string_equal(c.ssl_ca, "/etc/ca.pem");
    assert_string_equal(c.ssl_key, "/etc/k.pem");
    assert_int_equal(c.switch_pending, 0);   /* the same primary: no continuity check needed */

    struct stmt_result *r = stmtfx_run(f, "SHOW SLAVE STATUS");
    assert_int_equal(r->nrows, 1);
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Allowed"), "Yes");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_CA_File"), "/etc/ca.pem");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_CA_Path"), "/etc/cas");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Cert"), "/etc/c.pem");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Cipher"), "ECDHE-RSA-AES256-GCM-SHA384");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Key"), "/etc/k.pem");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Verify_Server_Cert"), "No");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Crl"), "/etc/crl.pem");
    assert_string_equal(stmtfx_cell(r, "Master_SSL_Crlpath"), "/etc/crls");
    /* mariadbd's relative order: the SSL group after Slave_SQL_Running, the verify flag just
     * before Last_IO_Errno, the CRL pair after Master_Server_Id. */
    assert_true(stmtfx_col(r, "Slave_SQL_Running") + 1 == stmtfx_col(r, "Master_SSL_Allowed"));
    assert_true(stmtfx_col(r, "Master_SSL_Verify_Server_Cert") + 1 == stmtfx_col(r, "Last_IO_Errno"));
    assert_true(stmtfx_col(r, "Master_Server_Id") + 1 == stmtfx_col(r, "Master_SSL_Crl"));

    /* Stored with the other settings, owner-only. */
    char path[128];
    snprintf(path, sizeof(path), "%s/.binlogd-upstream", f->path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char text[8192];
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    fclose(fp);
    text[n] = 0;
    assert_non_null(strstr(text, "\nssl=1\n"));
    assert_non_null(strstr(text, "\nssl_ca=/etc/ca.pem\n"));
    assert_non_null(strstr(text, "\nssl_verify_server_cert=0\n"));

    /* Any non-zero number is on, as mariadbd's ulong_num; '' clears a path. */
    r = stmtfx_run(f, "CHANGE MASTER TO MASTER_SSL=0, MASTER_SSL_VERIFY_SERVER_CERT=2, MASTER_SSL_CA='', "
                      "MASTER_SSL_CERT='', MASTER_SSL_KEY=''");
    assert_int_equal(r->kind, STMT_OK);
    ingest_get_conf(f->ingest, &c);
    assert_int_equal(c.ssl, 0);
    assert_int_equal(c.ssl_verify_server_cert, 1);
    assert_string_equal(c.ssl_ca, "");
    assert_string_equal(c.ssl_capath, "/etc/cas");   /* not named: kept */
}

/* Malformed TLS options: refused with mariadbd's codes, nothing changed or stored. */
static void test_change_master_tls_malformed(void **state)
{
    struct stmtfx *f = *state;
    stop_and_change(f, "STOP SLAVE", "CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA='/ok.pem'", NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/.binlogd-upstream", f->path);
    struct stat before;
    assert_int_equal(stat(path, &before), 0);

    char longpath[700];
    memset(longpath, 'a', sizeof(longpath));
    memcpy(longpath, "CHANGE MASTER TO MASTER_SSL_CA='", 32);
    memcpy(longpath + sizeof(longpath) - 3, "'", 2);   /* a 634-byte path: over 511 */
    static const struct { const char *sql; unsigned code; } bad[] = {
        {"CHANGE MASTER TO MASTER_SSL='1'", 1064},                 /* quoted: not a number */
        {"CHANGE MASTER TO MASTER_SSL=-1", 1064},
        {"CHANGE MASTER TO MASTER_SSL=1.5", 1064},
        {"CHANGE MASTER TO MASTER_SSL=ON", 1064},                  /* a word */
        {"CHANGE MASTER TO MASTER_SSL=NULL", 1064},
        {"CHANGE MASTER TO MASTER_SSL", 1064},                     /* no value */
        {"CHANGE MASTER TO MASTER_SSL=", 1064},
        {"CHANGE MASTER TO MASTER_SSL_VERIFY_SERVER_CERT='yes'", 1064},
        {"CHANGE MASTER TO MASTER_SSL_CA=/etc/ca.pem", 1064},      /* unquoted path */
        {"CHANGE MASTER TO MASTER_SSL_CA=42", 1064},
        {"CHANGE MASTER TO MASTER_SSL_CA='a\nb'", 1470},           /* a newline would forge a key */
        {"CHANGE MASTER TO MASTER_SSL_KEY='a\\0b'", 1470},        /* an escaped NUL */
        {"CHANGE MASTER TO MASTER_SSL_CERT='/c.pem'", 1064},       /* a certificate without its key */
        {"CHANGE MASTER TO MASTER_SSL_KEY='/k.pem'", 1064},
        {"CHANGE MASTER TO MASTER_SSL_CA='/x.pem' MASTER_SSL=1", 1064},   /* missing comma */
        {"CHANGE MASTER TO MASTER_SSL_CA='/x.pem', MASTER_SSL_FOO=1", 1235},
        {"CHANGE MASTER TO MASTER_SSL_VERIFY=1", 1235},
        {"CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA='/x.pem', MASTER_SSL=x", 1064},  /* all or nothing */
    };
    struct stmt_result *r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = stmtfx_run(f, bad[i].sql);
        if (r->kind != STMT_ERR || r->err.code != bad[i].code)
            fail_msg("%s: kind %d code %u, want ERR %u", bad[i].sql, r->kind, r->err.code, bad[i].code);
    }
    r = stmtfx_run(f, longpath);
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1470);

    struct upstream_conf c;
    ingest_get_conf(f->ingest, &c);
    assert_int_equal(c.ssl, 1);
    assert_string_equal(c.ssl_ca, "/ok.pem");
    assert_string_equal(c.ssl_cert, "");
    struct stat after;
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);   /* not rewritten */
}

/* MySQL 8.0.23's names: CHANGE REPLICATION SOURCE TO SOURCE_HOST=... (or either spelling with
 * either statement, mixed as MySQL 8.0 allows) sets what the MASTER_* names set; an unknown or
 * unsupported name keeps its own spelling in the refusal; malformed values are refused as
 * under their MASTER_* names. */
static void test_change_replication_source(void **state)
{
    struct stmtfx *f = *state;
    struct upstream_conf c;
    stop_and_change(f, "STOP REPLICA",
                    "CHANGE REPLICATION SOURCE TO SOURCE_HOST='db2', SOURCE_PORT=3307, SOURCE_USER='r2', "
                    "SOURCE_PASSWORD='pw2', SOURCE_LOG_FILE='mb.000007', SOURCE_LOG_POS=4, SOURCE_SSL=1, "
                    "SOURCE_SSL_CA='/ca.pem', SOURCE_SSL_CAPATH='/cas', SOURCE_SSL_CERT='/c.pem', "
                    "source_ssl_key='/k.pem', SOURCE_SSL_CIPHER='AES256-SHA', SOURCE_SSL_CRL='/crl.pem', "
                    "SOURCE_SSL_CRLPATH='/crls', Source_Ssl_Verify_Server_Cert=1", &c);
    assert_string_equal(c.host, "db2");
    assert_int_equal(c.port, 3307);
    assert_string_equal(c.user, "r2");
    assert_string_equal(c.password, "pw2");
    assert_string_equal(c.log_file, "mb.000007");
    assert_int_equal(c.switch_pending, 1);
    assert_int_equal(c.ssl, 1);
    assert_int_equal(c.ssl_verify_server_cert, 1);
    assert_string_equal(c.ssl_ca, "/ca.pem");
    assert_string_equal(c.ssl_capath, "/cas");
    assert_string_equal(c.ssl_cert, "/c.pem");
    assert_string_equal(c.ssl_key, "/k.pem");
    assert_string_equal(c.ssl_cipher, "AES256-SHA");
    assert_string_equal(c.ssl_crl, "/crl.pem");
    assert_string_equal(c.ssl_crlpath, "/crls");

    /* both spellings, with either statement, in one statement */
    struct stmt_result *r = stmtfx_run(f, "CHANGE MASTER TO SOURCE_HOST='db3', MASTER_PORT=3308, SOURCE_SSL=0");
    assert_int_equal(r->kind, STMT_OK);
    r = stmtfx_run(f, "CHANGE REPLICATION SOURCE TO MASTER_USER='u3', SOURCE_PASSWORD='p3', MASTER_USE_GTID=slave_pos");
    assert_int_equal(r->kind, STMT_OK);
    ingest_get_conf(f->ingest, &c);
    assert_string_equal(c.host, "db3");
    assert_int_equal(c.port, 3308);
    assert_int_equal(c.ssl, 0);
    assert_string_equal(c.user, "u3");
    assert_string_equal(c.password, "p3");
    assert_int_equal(c.use_gtid, 1);
    assert_string_equal(c.log_file, "");
    r = stmtfx_run(f, "SHOW REPLICA STATUS");
    assert_int_equal(r->kind, STMT_ROWS);
    assert_string_equal(stmtfx_cell(r, "Master_Host"), "db3");
    assert_string_equal(stmtfx_cell(r, "Master_Port"), "3308");

    static const struct { const char *sql; unsigned code; const char *says; } bad[] = {
        /* MySQL names binlogd does not support, as their MASTER_* names are not: the user's spelling */
        {"CHANGE REPLICATION SOURCE TO SOURCE_DELAY=5", 1235, "CHANGE MASTER option SOURCE_DELAY"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_HEARTBEAT_PERIOD=1.5", 1235, "SOURCE_HEARTBEAT_PERIOD"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_CONNECT_RETRY=10", 1235, "SOURCE_CONNECT_RETRY"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1", 1235, "SOURCE_AUTO_POSITION"},
        {"CHANGE REPLICATION SOURCE TO GET_SOURCE_PUBLIC_KEY=1", 1235, "GET_SOURCE_PUBLIC_KEY"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOST='db9', SOURCE_RETRY_COUNT=3", 1235, "SOURCE_RETRY_COUNT"},
        {"CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD=1", 1235, "MASTER_HEARTBEAT_PERIOD"},
        /* unknown names: near misses of the aliases */
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOSTNAME='x'", 1235, "SOURCE_HOSTNAME"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_='x'", 1235, "SOURCE_"},
        {"CHANGE REPLICATION SOURCE TO SOURCE='x'", 1235, "option SOURCE"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_USE_GTID=slave_pos", 1235, "SOURCE_USE_GTID"},
        {"CHANGE REPLICATION SOURCE TO REPLICA_HOST='x'", 1235, "REPLICA_HOST"},
        /* malformed values under the SOURCE_* names: refused as under MASTER_* */
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOST=db9", 1064, "quoted string"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_PORT='3306'", 1064, "number in range"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_PORT=65536", 1064, "number in range"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_PORT=-1", 1064, "number in range"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_LOG_POS=5", 1235, "MASTER_LOG_POS other than 4"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='../etc/passwd'", 1236, "not a binlog file name"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='mb.000002', MASTER_USE_GTID=slave_pos", 1064, "cannot be combined"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_SSL='1'", 1064, "0 or 1"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_SSL_CERT='/c2.pem', SOURCE_SSL_KEY=''", 1064, "go together"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_SSL_CA='a\nb'", 1470, "not valid"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOST='db9', SOURCE_PORT=x", 1064, "number in range"},  /* all or nothing */
        /* malformed statements */
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOST", 1064, "syntax"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOST=", 1064, "syntax"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOST='db9',", 1064, "syntax"},
        {"CHANGE REPLICATION SOURCE TO SOURCE_HOST='db9' SOURCE_PORT=1", 1064, "syntax"},
        {"CHANGE REPLICATION SOURCE SOURCE_HOST='db9'", 1064, "syntax"},
        {"CHANGE REPLICATION TO SOURCE_HOST='db9'", 1064, "syntax"},
        {"CHANGE SOURCE TO SOURCE_HOST='db9'", 1064, "syntax"},
        {"CHANGE REPLICATION SOURCE TO", 1064, "syntax"},
        {"CHANGE REPLICATION SOURCE TO 'SOURCE_HOST'='db9'", 1064, "syntax"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = stmtfx_run(f, bad[i].sql);
        if (r->kind != STMT_ERR || r->err.code != bad[i].code || !strstr(r->err.msg, bad[i].says))
            fail_msg("%s: kind %d code %u '%s', want ERR %u with '%s'", bad[i].sql, r->kind, r->err.code,
                     r->kind == STMT_ERR ? r->err.msg : "", bad[i].code, bad[i].says);
    }
    ingest_get_conf(f->ingest, &c);   /* nothing changed */
    assert_string_equal(c.host, "db3");
    assert_int_equal(c.port, 3308);
    assert_string_equal(c.ssl_cert, "/c.pem");
    assert_string_equal(c.ssl_key, "/k.pem");

    /* without the admin role, whatever the spelling */
    f->ctx.is_admin = 0;
    r = stmtfx_run(f, "CHANGE REPLICATION SOURCE TO SOURCE_HOST='db4'");
    assert_int_equal(r->kind, STMT_ERR);
    assert_int_equal(r->err.code, 1227);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_change_master_tls, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_change_master_tls_malformed, setup, stmtfx_teardown),
        cmocka_unit_test_setup_teardown(test_change_replication_source, setup, stmtfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
