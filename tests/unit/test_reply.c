/* test_reply.c - OK / ERR / EOF, text resultsets, and the error table's exact wordings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/bbuf.h"
#include "protocol/errmsg.h"
#include "protocol/packet.h"
#include "protocol/reply.h"
#include "protocol/wire.h"

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Packet number `idx` of a framed stream: payload, length, seq. */
static const uint8_t *nth(const struct bbuf *b, size_t idx, size_t *len, uint8_t *seq)
{
    size_t off = 0;
    struct pkt p;
    for (size_t i = 0;; i++) {
        assert_int_equal(pkt_read(b->p + off, b->len - off, 1 << 20, &p, NULL), PKT_OK);
        if (i == idx) break;
        off += p.consumed;
    }
    *len = p.len;
    *seq = p.seq;
    return p.payload;
}

static size_t count_packets(const struct bbuf *b)
{
    size_t off = 0, n = 0;
    struct pkt p;
    while (off < b->len) {
        assert_int_equal(pkt_read(b->p + off, b->len - off, 1 << 20, &p, NULL), PKT_OK);
        off += p.consumed;
        n++;
    }
    return n;
}

/* Captured from MariaDB 10.11 (Debian 12) through a byte-logging proxy. */
static void test_ok_eof_match_mariadb(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    uint8_t seq = 2;
    assert_int_equal(reply_ok(&b, &seq, 0, 0, REPLY_STATUS_AUTOCOMMIT, 0), 0);
    assert_int_equal(seq, 3);
    const uint8_t ok[] = { 7, 0, 0, 2, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00 };
    assert_int_equal(b.len, sizeof(ok));
    assert_memory_equal(b.p, ok, sizeof(ok));
    bbuf_reset(&b);
    seq = 3;
    assert_int_equal(reply_eof(&b, &seq, 0, REPLY_STATUS_AUTOCOMMIT), 0);
    const uint8_t eof[] = { 5, 0, 0, 3, 0xFE, 0x00, 0x00, 0x02, 0x00 };
    assert_memory_equal(b.p, eof, sizeof(eof));
    /* Larger counts go lenenc. */
    bbuf_reset(&b);
    seq = 1;
    reply_ok(&b, &seq, 300, 1, 0, 1);
    const uint8_t ok2[] = { 9, 0, 0, 1, 0x00, 0xFC, 0x2C, 0x01, 0x01, 0, 0, 1, 0 };
    assert_memory_equal(b.p, ok2, sizeof(ok2));
    bbuf_free(&b);
}

static void test_err_matches_mariadb(void **state)
{
    (void)state;
    uint8_t expect[256];
    size_t n = unhex("ff15042332383030304163636573732064656e69656420666f72207573657220277265706c"
                     "2740276c6f63616c686f73742720287573696e672070617373776f72643a2059455329", expect);
    struct myerr e;
    myerr_access_denied(&e, "repl", "localhost", 1);
    struct bbuf b = { 0 };
    uint8_t seq = 2;
    assert_int_equal(reply_err_myerr(&b, &seq, &e), 0);
    assert_int_equal(b.len, n + 4);
    assert_int_equal(wire_u24(b.p), n);
    assert_int_equal(b.p[3], 2);
    assert_memory_equal(b.p + 4, expect, n);
    /* NULL sqlstate comes from the table, a malformed one is replaced. */
    bbuf_reset(&b);
    seq = 0;
    reply_err(&b, &seq, MYERR_UNKNOWN_COM, NULL, "Unknown command");
    assert_memory_equal(b.p + 4, "\xff\x17\x04#08S01Unknown command", 24);
    bbuf_reset(&b);
    seq = 0;
    reply_err(&b, &seq, 1105, "X", NULL);
    assert_int_equal(b.len, 4 + 9);
    assert_memory_equal(b.p + 4, "\xff\x51\x04#HY000", 9);
    bbuf_free(&b);
}

static void test_column_def_layout(void **state)
{
    (void)state;
    /* MariaDB's definition of UNIX_TIMESTAMP(): same layout, our numbers for the rest. */
    uint8_t maria[64];
    size_t mn = unhex("0364656600000010554e49585f54494d455354414d502829000c3f0011000000088000000000", maria);
    struct bbuf b = { 0 };
    uint8_t seq = 2;
    struct reply_col c = reply_col_int("UNIX_TIMESTAMP()");
    c.length = 17;   /* what MariaDB reports for this function */
    assert_int_equal(reply_column_def(&b, &seq, &c), 0);
    assert_int_equal(b.len - 4, mn);
    assert_memory_equal(b.p + 4, maria, mn);
    bbuf_free(&b);
    /* PROCESSLIST's Time and Progress as mariadbd types them */
    c = reply_col_long("Time");
    assert_int_equal(c.type, COL_TYPE_LONG);
    assert_int_equal(c.length, 7);
    assert_int_equal(c.charset, CHARSET_BINARY);
    c = reply_col_double("Progress", 3);
    assert_int_equal(c.type, COL_TYPE_DOUBLE);
    assert_int_equal(c.decimals, 3);
    assert_true(c.flags & COL_FLAG_NOT_NULL);
}

static void test_text_result_stream(void **state)
{
    (void)state;
    const char *names[] = { "Variable_name", "Value" };
    const char *cells[] = { "server_id", "1", "gtid", NULL, "empty", "" };
    struct bbuf b = { 0 };
    int next = reply_text_result(&b, 1, names, 2, cells, 3);
    /* count, 2 defs, EOF, 3 rows, EOF = 8 packets, seq 1..8 */
    assert_int_equal(next, 9);
    assert_int_equal(count_packets(&b), 8);
    size_t len;
    uint8_t seq;
    const uint8_t *p = nth(&b, 0, &len, &seq);
    assert_int_equal(seq, 1);
    assert_int_equal(len, 1);
    assert_int_equal(p[0], 2);
    for (size_t i = 0; i < 2; i++) {
        p = nth(&b, 1 + i, &len, &seq);
        assert_int_equal(seq, 2 + i);
        const uint8_t *q = p, *end = p + len;
        const uint8_t *s;
        size_t sl;
        assert_int_equal(wire_lenenc_str_get(&q, end, &s, &sl), 0);
        assert_memory_equal(s, "def", 3);
        for (int k = 0; k < 3; k++) assert_int_equal(wire_lenenc_str_get(&q, end, &s, &sl), 0);
        assert_int_equal(wire_lenenc_str_get(&q, end, &s, &sl), 0);
        assert_int_equal(sl, strlen(names[i]));
        assert_memory_equal(s, names[i], sl);
        assert_int_equal(wire_lenenc_str_get(&q, end, &s, &sl), 0);
        assert_int_equal(end - q, 13);
        assert_int_equal(q[0], 0x0c);
        assert_int_equal(wire_u16(q + 1), CHARSET_UTF8MB4_GENERAL_CI);
        assert_int_equal(q[7], COL_TYPE_VAR_STRING);
    }
    p = nth(&b, 3, &len, &seq);
    assert_int_equal(len, 5);
    assert_int_equal(p[0], 0xFE);
    p = nth(&b, 4, &len, &seq);
    assert_int_equal(len, 12);
    assert_memory_equal(p, "\x09server_id\x01" "1", 12);
    p = nth(&b, 5, &len, &seq);
    assert_int_equal(len, 6);
    assert_memory_equal(p, "\x04gtid\xfb", 6);
    p = nth(&b, 6, &len, &seq);
    assert_memory_equal(p, "\x05" "empty\x00", 7);
    p = nth(&b, 7, &len, &seq);
    assert_int_equal(seq, 8);
    assert_int_equal(p[0], 0xFE);
    bbuf_free(&b);

    /* Empty result (unknown SHOW VARIABLES LIKE name): count, defs, EOF, EOF. */
    struct bbuf e = { 0 };
    assert_int_equal(reply_text_result(&e, 1, names, 2, NULL, 0), 6);
    assert_int_equal(count_packets(&e), 5);
    /* Wrap-around of the sequence id. */
    bbuf_reset(&e);
    assert_int_equal(reply_text_result(&e, 254, names, 1, cells, 1), (254 + 5) % 256);
    bbuf_reset(&e);
    assert_int_equal(reply_text_result(&e, 1, names, 0, cells, 1), -1);
    bbuf_free(&e);
}

static void test_row_lengths_and_big_cell(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    uint8_t seq = 0;
    const char *cells[] = { "a\0b", "xyz" };
    size_t lens[] = { 3, 1 };
    reply_row(&b, &seq, cells, lens, 2);
    assert_memory_equal(b.p + 4, "\x03" "a\0b" "\x01" "x", 6);
    /* A cell of 300 bytes needs a 3-byte lenenc length. */
    char *big = malloc(300);
    memset(big, 'q', 299);
    big[299] = 0;
    bbuf_reset(&b);
    const char *one[] = { big };
    reply_row(&b, &seq, one, NULL, 1);
    assert_int_equal(b.p[4], 0xFC);
    assert_int_equal(wire_u16(b.p + 5), 299);
    free(big);
    bbuf_free(&b);
}

/* The texts a real MariaDB 10.11 sent (captured), byte for byte. */
static void test_error_texts(void **state)
{
    (void)state;
    struct myerr e;
    myerr_binlog_impossible_position(&e, "mb.000001", 999999);
    assert_int_equal(e.code, 1236);
    assert_string_equal(e.sqlstate, "HY000");
    assert_string_equal(e.msg, "Client requested master to start replication from impossible position; "
                               "the first event 'mb.000001' at 999999, the last event read from "
                               "'mb.000001' at 4, the last byte read from 'mb.000001' at 4.");
    myerr_binlog_impossible_position(&e, "/var/lib/mysql/mb.000001", 2);
    assert_non_null(strstr(e.msg, "the first event 'mb.000001' at 2,"));
    myerr_binlog_first_file_missing(&e);
    assert_int_equal(e.code, 1236);
    assert_string_equal(e.msg, "Could not find first log file name in binary log index file");
    myerr_unknown_sysvar(&e, "nosuch_var", 10);
    assert_int_equal(e.code, 1193);
    assert_string_equal(e.sqlstate, "HY000");
    assert_string_equal(e.msg, "Unknown system variable 'nosuch_var'");
    myerr_no_such_thread(&e, 99999);
    assert_int_equal(e.code, 1094);
    assert_string_equal(e.msg, "Unknown thread id: 99999");
    myerr_parse(&e, "SELEC 1", 7, 1);
    assert_int_equal(e.code, 1064);
    assert_string_equal(e.sqlstate, "42000");
    assert_string_equal(e.msg, "You have an error in your SQL syntax; check the manual that corresponds "
                               "to your MariaDB server version for the right syntax to use near "
                               "'SELEC 1' at line 1");
    const char *longtail = "WHERE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbb";
    myerr_parse(&e, longtail, strlen(longtail), 3);
    assert_non_null(strstr(e.msg, "near 'WHERE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' at line 3"));
    myerr_specific_access_denied(&e, "REPLICATION MASTER ADMIN");
    assert_int_equal(e.code, 1227);
    assert_string_equal(e.sqlstate, "42000");
    assert_string_equal(e.msg, "Access denied; you need (at least one of) the REPLICATION MASTER ADMIN "
                               "privilege(s) for this operation");
    myerr_dbaccess_denied(&e, "repl", "%", "t");
    assert_int_equal(e.code, 1044);
    assert_string_equal(e.msg, "Access denied for user 'repl'@'%' to database 't'");
    myerr_access_denied(&e, "", "localhost", 0);
    assert_string_equal(e.msg, "Access denied for user ''@'localhost' (using password: NO)");
    assert_string_equal(e.sqlstate, "28000");
}

static void test_error_table(void **state)
{
    (void)state;
    struct myerr e;
    myerr_plain(&e, MYERR_UNKNOWN_COM);
    assert_int_equal(e.code, 1047);
    assert_string_equal(e.sqlstate, "08S01");
    assert_string_equal(e.msg, "Unknown command");
    myerr_plain(&e, MYERR_NO_BINARY_LOGGING);
    assert_int_equal(e.code, 1381);
    assert_string_equal(e.msg, "You are not using binary logging");
    myerr_plain(&e, MYERR_EMPTY_QUERY);
    assert_string_equal(e.sqlstate, "42000");
    assert_string_equal(e.msg, "Query was empty");
    myerr_plain(&e, MYERR_SERVER_SHUTDOWN);
    assert_string_equal(e.msg, "Server shutdown in progress");
    assert_string_equal(myerr_name(1236), "ER_MASTER_FATAL_ERROR_READING_BINLOG");
    assert_string_equal(myerr_name(1), "ER_?");
    assert_string_equal(myerr_sqlstate(1), "HY000");
    assert_string_equal(myerr_sqlstate(MYERR_CON_COUNT), "08004");
    assert_string_equal(myerr_name(3159), "ER_SECURE_TRANSPORT_REQUIRED");
    assert_string_equal(myerr_sqlstate(MYERR_SECURE_TRANSPORT_REQUIRED), "HY000");
    myerr_custom(&e, MYERR_UNKNOWN, "Wrong parameters to function %s", "register_slave");
    assert_int_equal(e.code, 1105);
    assert_string_equal(e.msg, "Wrong parameters to function register_slave");
    myerr_not_supported_yet(&e, "CHANGE MASTER 'name'");
    assert_string_equal(e.msg, "This version of MariaDB doesn't yet support 'CHANGE MASTER 'name''");
    /* Over-long arguments are cut to the wire limit, never overflow. */
    char huge[2000];
    memset(huge, 'u', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = 0;
    myerr_access_denied(&e, huge, huge, 1);
    assert_int_equal(strlen(e.msg), MYERR_MSG_MAX - 1);
    myerr_unknown_sysvar(&e, huge, sizeof(huge) - 1);
    assert_true(strlen(e.msg) < MYERR_MSG_MAX);
}

static void test_gtid_and_dump_errors(void **state)
{
    (void)state;
    struct myerr e;
    myerr_gtid_not_in_binlog(&e, 0, 1, 100, 0);
    assert_int_equal(e.code, 1236);
    assert_string_equal(e.msg, "Error: connecting slave requested to start from GTID 0-1-100, which is "
                               "not in the master's binlog");
    myerr_gtid_not_in_binlog(&e, 2, 3, 18446744073709551615ull, 1);
    assert_string_equal(e.msg, "Error: connecting slave requested to start from GTID 2-3-18446744073709551615, "
                               "which is not in the master's binlog. Since the master's binlog contains "
                               "GTIDs with higher sequence numbers, it probably means that the slave has "
                               "diverged due to executing extra erroneous transactions");
    myerr_gtid_binlog_hole(&e, 0, 1, 5);
    assert_string_equal(e.msg, "The binlog on the master is missing the GTID 0-1-5 requested by the slave "
                               "(even though both a prior and a subsequent sequence number does exist), "
                               "and GTID strict mode is enabled");
    myerr_binlog_read_failed(&e, MYERR_MASTER_FATAL_READING_BINLOG, "could not find next log",
                             "mb.000001", 4, "/d/mb.000002", 1234, 1300);
    assert_string_equal(e.msg, "could not find next log; the first event 'mb.000001' at 4, the last event "
                               "read from 'mb.000002' at 1234, the last byte read from 'mb.000002' at 1300.");
    myerr_binlog_read_failed(&e, MYERR_SLAVE_SAME_ID, NULL, "a.1", 4, "a.1", 4, 4);
    assert_int_equal(e.code, 4052);
    assert_string_equal(e.msg, "A slave with the same server_uuid/server_id as this slave has connected to "
                               "the master; the first event 'a.1' at 4, the last event read from 'a.1' at 4, "
                               "the last byte read from 'a.1' at 4.");
    myerr_slave_same_id(&e);
    assert_int_equal(e.code, 4052);
    myerr_binlog_not_open(&e);
    assert_string_equal(e.msg, "Binary log is not open");
}

/* COM_STATISTICS: mariadbd's text (observed from 10.11.19), one raw packet, no header byte. */
static void test_statistics(void **state)
{
    (void)state;
    char buf[300];
    struct reply_stats st = {.uptime = 633, .threads = 5, .questions = 440, .slow_queries = 1, .opens = 23,
                             .open_tables = 17};
    size_t n = reply_statistics_text(&st, buf, sizeof(buf));
    assert_string_equal(buf, "Uptime: 633  Threads: 5  Questions: 440  Slow queries: 1  Opens: 23  Open tables: 17  "
                             "Queries per second avg: 0.695");
    assert_int_equal(n, strlen(buf));
    /* uptime 0: no division; mariadb-admin version needs "Uptime: <n>  " first */
    struct reply_stats z = {0};
    reply_statistics_text(&z, buf, sizeof(buf));
    assert_string_equal(buf, "Uptime: 0  Threads: 0  Questions: 0  Slow queries: 0  Opens: 0  Open tables: 0  "
                             "Queries per second avg: 0.000");
    struct reply_stats big = {.uptime = 1, .questions = 12345678};
    reply_statistics_text(&big, buf, sizeof(buf));
    assert_non_null(strstr(buf, "Queries per second avg: 12345678.000"));
    /* huge values: never longer than mariadbd's 249 characters, and cut at cap */
    struct reply_stats huge = {UINT64_MAX / 1000, UINT64_MAX, UINT64_MAX / 1000, UINT64_MAX, UINT64_MAX, UINT64_MAX};
    assert_true(reply_statistics_text(&huge, buf, sizeof(buf)) <= 249);
    char small[10];
    assert_int_equal(reply_statistics_text(&st, small, sizeof(small)), 9);
    assert_string_equal(small, "Uptime: 6");
    assert_int_equal(reply_statistics_text(&st, small, 0), 0);

    struct bbuf b;
    bbuf_init(&b);
    uint8_t seq = 1;
    assert_int_equal(reply_statistics(&b, &seq, &st), 0);
    assert_int_equal(seq, 2);
    size_t len = strlen("Uptime: 633  Threads: 5  Questions: 440  Slow queries: 1  Opens: 23  Open tables: 17  "
                        "Queries per second avg: 0.695");
    assert_int_equal(b.len, 4 + len);
    assert_int_equal(b.p[0], len & 0xff);
    assert_int_equal(b.p[1], 0);
    assert_int_equal(b.p[3], 1);
    assert_memory_equal(b.p + 4, "Uptime: 633  ", 13);
    bbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_eof_match_mariadb),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_err_matches_mariadb),
        cmocka_unit_test(test_column_def_layout),
        cmocka_unit_test(test_text_result_stream),
        cmocka_unit_test(test_row_lengths_and_big_cell),
        cmocka_unit_test(test_error_texts),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_gtid_and_dump_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
