/* test_command.c - command packet decoding, with packets captured from MariaDB 10.11
 * replicas and mariadb-binlog (byte-logging proxy), plus hostile variants. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/bbuf.h"
#include "protocol/command.h"
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

/* Replica without --report-host: three empty strings. */
static const char reg_plain[] = "15020000000000000b5b0000000000000000";
/* Replica with report-host/user/password/port. */
static const char reg_report[] =
    "1502000000147265706c6963612d686f73742e6578616d706c65027275027270470d0000000000000000";
/* GTID-mode replica (empty name), position-mode replica, mariadb-binlog (server_id 0, flags 3). */
static const char dump_gtid_mode[] = "1204000000000002000000";
static const char dump_pos_mode[] = "12b50500000200020000006d622e303030303031";
static const char dump_binlog_tool[] = "12040000000300000000006d622e303030303031";
/* Semi-sync ACK after the flagged event that ended at 1622. */
static const char semi_ack[] = "ef56060000000000006d622e303030303031";

static void test_captured_register_slave(void **state)
{
    (void)state;
    uint8_t p[128];
    struct cmd c;
    size_t n = unhex(reg_plain, p);
    assert_int_equal(cmd_parse(p, n, &c, NULL), 0);
    assert_int_equal(c.type, CMD_REGISTER_SLAVE);
    assert_int_equal(c.u.reg.server_id, 2);
    assert_string_equal(c.u.reg.host, "");
    assert_int_equal(c.u.reg.port, 23307);
    assert_int_equal(c.u.reg.master_id, 0);

    n = unhex(reg_report, p);
    assert_int_equal(cmd_parse(p, n, &c, NULL), 0);
    assert_string_equal(c.u.reg.host, "replica-host.example");
    assert_string_equal(c.u.reg.user, "ru");
    assert_string_equal(c.u.reg.password, "rp");
    assert_int_equal(c.u.reg.port, 3399);
    assert_int_equal(c.u.reg.rank, 0);

    /* Every truncation is refused with MariaDB's message. */
    for (size_t len = 1; len < n; len++) {
        const char *why = NULL;
        uint8_t *copy = malloc(len);
        memcpy(copy, p, len);
        assert_int_equal(cmd_parse(copy, len, &c, &why), -1);
        assert_string_equal(why, "Wrong parameters to function register_slave");
        free(copy);
    }
    /* Extra trailing bytes are ignored, as the servers do. */
    p[n] = 0x99;
    assert_int_equal(cmd_parse(p, n + 1, &c, NULL), 0);
}

static void test_register_slave_long_strings(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    char host[300];
    memset(host, 'h', sizeof(host));
    struct cmd c;
    const char *why;
    /* 252 bytes: lenenc (FC FC 00) as clients write it; accepted. */
    bbuf_put_u8(&b, 0x15);
    bbuf_put_u32(&b, 7);
    bbuf_put_lenenc_str(&b, host, 252);
    bbuf_put_lenenc_str(&b, "", 0);
    bbuf_put_lenenc_str(&b, "", 0);
    bbuf_put_u16(&b, 1);
    bbuf_put_u32(&b, 0);
    bbuf_put_u32(&b, 9);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), 0);
    assert_int_equal(strlen(c.u.reg.host), 252);
    assert_int_equal(c.u.reg.master_id, 9);
    /* 256 bytes: over the limit, with the server's message. */
    bbuf_reset(&b);
    bbuf_put_u8(&b, 0x15);
    bbuf_put_u32(&b, 7);
    bbuf_put_lenenc_str(&b, "h", 1);
    bbuf_put_lenenc_str(&b, host, 256);
    bbuf_put_lenenc_str(&b, "", 0);
    bbuf_append(&b, "0123456789", 10);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), -1);
    assert_string_equal(why, "Failed to register slave: too long 'report-user'");
    /* A length byte claiming more than the packet holds. */
    bbuf_reset(&b);
    bbuf_put_u8(&b, 0x15);
    bbuf_put_u32(&b, 7);
    bbuf_put_u8(&b, 200);
    bbuf_append(&b, "short", 5);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), -1);
    bbuf_free(&b);
}

static void test_captured_binlog_dump(void **state)
{
    (void)state;
    uint8_t p[64];
    struct cmd c;
    size_t n = unhex(dump_gtid_mode, p);
    assert_int_equal(cmd_parse(p, n, &c, NULL), 0);
    assert_int_equal(c.type, CMD_BINLOG_DUMP);
    assert_int_equal(c.u.dump.pos, 4);
    assert_int_equal(c.u.dump.flags, 0);
    assert_int_equal(c.u.dump.server_id, 2);
    assert_int_equal(c.u.dump.name_len, 0);
    assert_int_equal(cmd_binlog_name_check(c.u.dump.name, c.u.dump.name_len, NULL), 0);

    n = unhex(dump_pos_mode, p);
    assert_int_equal(cmd_parse(p, n, &c, NULL), 0);
    assert_int_equal(c.u.dump.pos, 1461);
    assert_int_equal(c.u.dump.flags, CMD_DUMP_SEND_ANNOTATE);
    assert_int_equal(c.u.dump.name_len, 9);
    assert_memory_equal(c.u.dump.name, "mb.000001", 9);

    n = unhex(dump_binlog_tool, p);
    assert_int_equal(cmd_parse(p, n, &c, NULL), 0);
    assert_int_equal(c.u.dump.flags, CMD_DUMP_NON_BLOCK | CMD_DUMP_SEND_ANNOTATE);
    assert_int_equal(c.u.dump.server_id, 0);
    assert_int_equal(cmd_binlog_name_check(c.u.dump.name, c.u.dump.name_len, NULL), 0);

    for (size_t len = 1; len < 11; len++) {
        const char *why = NULL;
        uint8_t *copy = malloc(len);
        memcpy(copy, p, len);
        assert_int_equal(cmd_parse(copy, len, &c, &why), -1);
        assert_non_null(why);
        free(copy);
    }
    /* The name is a C string on the servers: a NUL ends it. */
    p[14] = 0;
    assert_int_equal(cmd_parse(p, n, &c, NULL), 0);
    assert_int_equal(c.u.dump.name_len, 3);
}

static void test_binlog_dump_name_too_long(void **state)
{
    (void)state;
    uint8_t p[11 + CMD_NAME_MAX + 1];
    memset(p, 'a', sizeof(p));
    p[0] = 0x12;
    struct cmd c;
    assert_int_equal(cmd_parse(p, sizeof(p) - 1, &c, NULL), 0);
    assert_int_equal(c.u.dump.name_len, CMD_NAME_MAX);
    assert_int_equal(cmd_parse(p, sizeof(p), &c, NULL), -1);
}

static void test_name_check(void **state)
{
    (void)state;
    const char *why;
    assert_int_equal(cmd_binlog_name_check("mysql-bin.000123", 16, &why), 0);
    assert_int_equal(cmd_binlog_name_check("", 0, &why), 0);
    assert_int_equal(cmd_binlog_name_check("a..b", 4, &why), -1);
    assert_int_equal(cmd_binlog_name_check("..", 2, &why), -1);
    assert_int_equal(cmd_binlog_name_check(".", 1, &why), -1);
    assert_int_equal(cmd_binlog_name_check("a.b.c", 5, &why), 0);
    assert_int_equal(cmd_binlog_name_check("/etc/passwd", 11, &why), -1);
    assert_int_equal(cmd_binlog_name_check("dir/x", 5, &why), -1);
    assert_int_equal(cmd_binlog_name_check("a\0b", 3, &why), -1);
    assert_int_equal(cmd_binlog_name_check("a\nb", 3, &why), -1);
    assert_int_equal(cmd_binlog_name_check("a\x7f", 2, &why), -1);
    char big[CMD_NAME_MAX + 1];
    memset(big, 'b', sizeof(big));
    assert_int_equal(cmd_binlog_name_check(big, CMD_NAME_MAX, &why), 0);
    assert_int_equal(cmd_binlog_name_check(big, CMD_NAME_MAX + 1, &why), -1);
    /* UTF-8 names are allowed bytes. */
    assert_int_equal(cmd_binlog_name_check("b\xc3\xa9.000001", 10, &why), 0);
}

static void put_dump_gtid(struct bbuf *b, const char *name, uint32_t name_size, uint64_t pos,
                          const uint8_t *data, uint32_t data_size, uint32_t claimed_data)
{
    bbuf_put_u8(b, 0x1E);
    bbuf_put_u16(b, 0x0002);
    bbuf_put_u32(b, 55);
    bbuf_put_u32(b, name_size);
    bbuf_append(b, name, name_size);
    bbuf_put_u64(b, pos);
    bbuf_put_u32(b, claimed_data);
    bbuf_append(b, data, data_size);
}

static void test_binlog_dump_gtid(void **state)
{
    (void)state;
    /* One sid, one interval [1, 6): uuid:1-5 (PROTOCOL.md 2.3). */
    uint8_t set[8 + 16 + 8 + 16];
    memset(set, 0, sizeof(set));
    wire_put_u64(set, 1);
    memset(set + 8, 0xAB, 16);
    wire_put_u64(set + 24, 1);
    wire_put_u64(set + 32, 1);
    wire_put_u64(set + 40, 6);
    struct bbuf b = { 0 };
    struct cmd c;
    const char *why;
    put_dump_gtid(&b, "", 0, 4, set, sizeof(set), sizeof(set));
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), 0);
    assert_int_equal(c.type, CMD_BINLOG_DUMP_GTID);
    assert_int_equal(c.u.dump_gtid.flags, 2);
    assert_int_equal(c.u.dump_gtid.server_id, 55);
    assert_int_equal(c.u.dump_gtid.name_len, 0);
    assert_int_equal(c.u.dump_gtid.pos, 4);
    assert_int_equal(c.u.dump_gtid.gtid_data_len, sizeof(set));
    assert_memory_equal(c.u.dump_gtid.gtid_data, set, sizeof(set));
    /* Every prefix is refused. */
    for (size_t len = 1; len < b.len; len++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, b.p, len);
        assert_int_equal(cmd_parse(copy, len, &c, &why), -1);
        free(copy);
    }
    /* A name with its NUL counted in name_size (5.6 style). */
    bbuf_reset(&b);
    put_dump_gtid(&b, "bin.000002\0", 11, 120, set, 0, 0);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), 0);
    assert_int_equal(c.u.dump_gtid.name_len, 10);
    assert_int_equal(c.u.dump_gtid.pos, 120);
    assert_int_equal(c.u.dump_gtid.gtid_data_len, 0);
    /* data_size beyond the packet; name_size beyond the packet or the limit. */
    bbuf_reset(&b);
    put_dump_gtid(&b, "", 0, 4, set, sizeof(set), sizeof(set) + 1);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), -1);
    bbuf_reset(&b);
    put_dump_gtid(&b, "", 0, 4, set, sizeof(set), 0xFFFFFFFFu);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), -1);
    bbuf_reset(&b);
    put_dump_gtid(&b, "abc", 3, 4, set, 0, 0);
    wire_put_u32(b.p + 7, 0xFFFFFFF0u);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), -1);
    wire_put_u32(b.p + 7, 200);
    assert_int_equal(cmd_parse(b.p, b.len, &c, &why), -1);
    bbuf_free(&b);
}

static void test_semi_sync_ack(void **state)
{
    (void)state;
    uint8_t p[64];
    struct cmd c;
    size_t n = unhex(semi_ack, p);
    assert_int_equal(cmd_parse(p, n, &c, NULL), 0);
    assert_int_equal(c.type, CMD_SEMI_SYNC_ACK);
    assert_int_equal(c.u.ack.pos, 1622);
    assert_int_equal(c.u.ack.name_len, 9);
    assert_memory_equal(c.u.ack.name, "mb.000001", 9);
    for (size_t len = 1; len < 9; len++) assert_int_equal(cmd_parse(p, len, &c, NULL), -1);
    assert_int_equal(cmd_parse(p, 9, &c, NULL), 0);   /* empty name: the caller judges */
    assert_int_equal(c.u.ack.name_len, 0);
}

static void test_simple_commands(void **state)
{
    (void)state;
    struct cmd c;
    const char *why = NULL;
    assert_int_equal(cmd_parse((const uint8_t *)"", 0, &c, &why), -1);
    assert_non_null(why);
    assert_int_equal(cmd_parse((const uint8_t *)"\x01", 1, &c, NULL), 0);
    assert_int_equal(c.type, CMD_QUIT);
    assert_int_equal(cmd_parse((const uint8_t *)"\x0e", 1, &c, NULL), 0);
    assert_int_equal(c.type, CMD_PING);
    /* COM_STATISTICS (mariadb-admin status): trailing bytes are ignored, as by mariadbd. */
    assert_int_equal(cmd_parse((const uint8_t *)"\x09", 1, &c, NULL), 0);
    assert_int_equal(c.type, CMD_STATISTICS);
    assert_string_equal(cmd_type_name(c.type), "COM_STATISTICS");
    assert_int_equal(cmd_parse((const uint8_t *)"\x09\xff\x00", 3, &c, NULL), 0);
    assert_int_equal(c.type, CMD_STATISTICS);
    const char q[] = "\x03SELECT UNIX_TIMESTAMP()";
    assert_int_equal(cmd_parse((const uint8_t *)q, sizeof(q) - 1, &c, NULL), 0);
    assert_int_equal(c.type, CMD_QUERY);
    assert_int_equal(c.u.query.len, 23);
    assert_memory_equal(c.u.query.text, "SELECT UNIX_TIMESTAMP()", 23);
    assert_int_equal(cmd_parse((const uint8_t *)"\x03", 1, &c, NULL), 0);
    assert_int_equal(c.u.query.len, 0);
    assert_int_equal(cmd_parse((const uint8_t *)"\x02test", 5, &c, NULL), 0);
    assert_int_equal(c.type, CMD_INIT_DB);
    assert_int_equal(c.u.init_db.len, 4);
    assert_int_equal(cmd_parse((const uint8_t *)"\x0c\x08\x00\x00\x00", 5, &c, NULL), 0);
    assert_int_equal(c.type, CMD_PROCESS_KILL);
    assert_int_equal(c.u.kill_id, 8);
    assert_int_equal(cmd_parse((const uint8_t *)"\x0c\x08", 2, &c, NULL), -1);
    /* Unknown commands decode (the caller answers 1047). */
    for (unsigned code = 0; code < 256; code++) {
        uint8_t one = (uint8_t)code;
        int rc = cmd_parse(&one, 1, &c, NULL);
        assert_int_equal(c.code, code);
        switch (code) {
        case 0x12: case 0x15: case 0x1E: case 0xEF: case 0x0C:
            assert_int_equal(rc, -1);
            break;
        case 0x01: case 0x02: case 0x03: case 0x09: case 0x0E:
            assert_int_equal(rc, 0);
            assert_int_not_equal(c.type, CMD_UNKNOWN);
            break;
        default:
            assert_int_equal(rc, 0);
            assert_int_equal(c.type, CMD_UNKNOWN);
        }
        assert_non_null(cmd_type_name(c.type));
    }
}

/* Byte flips over every captured packet: no crash, no read outside (ASan), and any
 * string handed back lies inside the packet. */
static void test_corruption_sweep(void **state)
{
    (void)state;
    const char *vectors[] = { reg_plain, reg_report, dump_gtid_mode, dump_pos_mode, dump_binlog_tool, semi_ack };
    static const uint8_t vals[] = { 0x00, 0x01, 0x7F, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF };
    for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
        uint8_t p[128];
        size_t n = unhex(vectors[v], p);
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < sizeof(vals); k++) {
                uint8_t *copy = malloc(n);
                memcpy(copy, p, n);
                copy[i] = vals[k];
                struct cmd c;
                if (cmd_parse(copy, n, &c, NULL) == 0) {
                    if (c.type == CMD_BINLOG_DUMP)
                        assert_true((const uint8_t *)c.u.dump.name + c.u.dump.name_len <= copy + n);
                    if (c.type == CMD_SEMI_SYNC_ACK)
                        assert_true((const uint8_t *)c.u.ack.name + c.u.ack.name_len <= copy + n);
                    if (c.type == CMD_REGISTER_SLAVE)
                        assert_true(strlen(c.u.reg.host) <= CMD_REPORT_MAX);
                }
                free(copy);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captured_register_slave),
        cmocka_unit_test(test_register_slave_long_strings),
        cmocka_unit_test(test_captured_binlog_dump),
        cmocka_unit_test(test_binlog_dump_name_too_long),
        cmocka_unit_test(test_name_check),
        cmocka_unit_test(test_binlog_dump_gtid),
        cmocka_unit_test(test_semi_sync_ack),
        cmocka_unit_test(test_simple_commands),
        cmocka_unit_test(test_corruption_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
