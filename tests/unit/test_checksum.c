/* test_checksum.c - event CRC32: zlib agreement, the FDE IN_USE rule, every-byte corruption, short
 * inputs, a real FDE, and events larger than 16 MiB. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "protocol/wire.h"

/* A plain event: header + body + room for the CRC. */
static size_t make_event(uint8_t *out, uint8_t type, size_t body_len)
{
    size_t len = EV_HEADER_LEN + body_len + EV_CRC_LEN;
    memset(out, 0, len);
    wire_put_u32(out, 1700000000);
    out[4] = type;
    wire_put_u32(out + 5, 7);
    wire_put_u32(out + 9, (uint32_t)len);
    wire_put_u32(out + 13, (uint32_t)(100 + len));
    for (size_t i = 0; i < body_len; i++) out[EV_HEADER_LEN + i] = (uint8_t)(i * 13 + 5);
    return len;
}

static void test_matches_zlib(void **state)
{
    (void)state;
    uint8_t ev[256];
    size_t len = make_event(ev, EV_QUERY, 100);
    uLong z = crc32(crc32(0L, Z_NULL, 0), ev, (uInt)(len - 4));
    assert_int_equal(ev_crc32_compute(ev, len), (uint32_t)z);
    /* The classic check value, placed as the covered bytes of a 23+ byte buffer. */
    uint8_t v[9 + 19 + 4];
    memset(v, 0, sizeof(v));
    memcpy(v, "123456789", 9);
    v[4] = EV_QUERY;   /* '5' would be type 53: keep it non-FDE either way */
    uLong z2 = crc32(crc32(0L, Z_NULL, 0), v, (uInt)(sizeof(v) - 4));
    assert_int_equal(ev_crc32_compute(v, sizeof(v)), (uint32_t)z2);
}

static void test_store_verify(void **state)
{
    (void)state;
    uint8_t ev[128];
    size_t len = make_event(ev, EV_XID, 8);
    assert_int_equal(ev_crc32_verify(ev, len), -1);   /* CRC bytes still zero */
    ev_crc32_store(ev, len);
    assert_int_equal(ev_crc32_verify(ev, len), 0);
    assert_int_equal(wire_u32(ev + len - 4), ev_crc32_compute(ev, len));
}

static void test_every_byte_flip_fails(void **state)
{
    (void)state;
    uint8_t ev[128];
    size_t len = make_event(ev, EV_ROTATE, 40);
    ev_crc32_store(ev, len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            ev[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(ev_crc32_verify(ev, len), -1);
            ev[i] ^= (uint8_t)(1u << bit);
        }
    }
    assert_int_equal(ev_crc32_verify(ev, len), 0);
}

static void test_fde_in_use_rule(void **state)
{
    (void)state;
    uint8_t ev[128];
    size_t len = make_event(ev, EV_FORMAT_DESCRIPTION, 80);
    ev_crc32_store(ev, len);
    assert_int_equal(ev_crc32_verify(ev, len), 0);
    /* Sealing a file flips only IN_USE: the FDE's CRC must not care. */
    ev[EV_FLAGS_OFFSET] |= EV_F_BINLOG_IN_USE;
    assert_int_equal(ev_crc32_verify(ev, len), 0);
    uint32_t with_flag = ev_crc32_compute(ev, len);
    ev[EV_FLAGS_OFFSET] &= (uint8_t)~EV_F_BINLOG_IN_USE;
    assert_int_equal(ev_crc32_compute(ev, len), with_flag);
    /* Storing with the flag set gives the flag-clear CRC, and the event is not modified. */
    ev[EV_FLAGS_OFFSET] |= EV_F_BINLOG_IN_USE;
    ev_crc32_store(ev, len);
    assert_int_equal(ev[EV_FLAGS_OFFSET] & EV_F_BINLOG_IN_USE, EV_F_BINLOG_IN_USE);
    ev[EV_FLAGS_OFFSET] &= (uint8_t)~EV_F_BINLOG_IN_USE;
    assert_int_equal(ev_crc32_verify(ev, len), 0);
    /* Any other flag bit still counts. */
    ev[EV_FLAGS_OFFSET] ^= 0x02;
    assert_int_equal(ev_crc32_verify(ev, len), -1);
    ev[EV_FLAGS_OFFSET] ^= 0x02;
    /* The rule is for FDEs only: IN_USE on another event breaks its CRC. */
    uint8_t q[128];
    size_t ql = make_event(q, EV_QUERY, 80);
    ev_crc32_store(q, ql);
    q[EV_FLAGS_OFFSET] |= EV_F_BINLOG_IN_USE;
    assert_int_equal(ev_crc32_verify(q, ql), -1);
}

static void test_short_inputs(void **state)
{
    (void)state;
    uint8_t ev[64];
    memset(ev, 0, sizeof(ev));
    for (size_t len = 0; len < EV_HEADER_LEN + EV_CRC_LEN; len++) {
        assert_int_equal(ev_crc32_verify(ev, len), -1);
        assert_int_equal(ev_crc32_compute(ev, len), 0);
        ev_crc32_store(ev, len);   /* no-op, must not write */
    }
    for (size_t i = 0; i < sizeof(ev); i++) assert_int_equal(ev[i], 0);
    assert_int_equal(ev_crc32_verify(NULL, 100), -1);
    /* Exactly header + CRC: the smallest checksummed event. */
    size_t len = make_event(ev, EV_STOP, 0);
    assert_int_equal(len, 23);
    ev_crc32_store(ev, len);
    assert_int_equal(ev_crc32_verify(ev, len), 0);
}

/* The first event of a real MySQL 5.7 binlog: an FDE with a CRC over IN_USE-clear bytes. */
static void test_real_fde(void **state)
{
    (void)state;
    const char *dir = getenv("BINLOGD_STD_DATA");
    if (!dir || !*dir) dir = "/usr/share/mysql/mysql-test/std_data";
    char path[1024];
    snprintf(path, sizeof(path), "%s/rpl/mysql-5.7.11-stm-temporal-round-binlog.000001", dir);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s (install mariadb-test-data or set BINLOGD_STD_DATA)", path);
    uint8_t buf[512];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_true(n > 4 + 119);
    uint8_t *fde = buf + 4;
    uint32_t size = wire_u32(fde + 9);
    assert_int_equal(size, 119);
    assert_int_equal(ev_crc32_verify(fde, size), 0);
    fde[EV_FLAGS_OFFSET] |= EV_F_BINLOG_IN_USE;
    assert_int_equal(ev_crc32_verify(fde, size), 0);
    fde[50] ^= 0x40;
    assert_int_equal(ev_crc32_verify(fde, size), -1);
}

/* Events past 16 MiB are legal (a 20 MB row event is routine): header, CRC and body parse. */
static void test_large_event(void **state)
{
    (void)state;
    size_t body = 20u << 20, len = EV_HEADER_LEN + 13 + 1 + body + EV_CRC_LEN;
    uint8_t *ev = calloc(1, len);
    assert_non_null(ev);
    ev[4] = EV_QUERY;
    wire_put_u32(ev + 9, (uint32_t)len);
    wire_put_u32(ev + 13, (uint32_t)(4 + len));
    memset(ev + EV_HEADER_LEN + 14, 'x', body);
    ev_crc32_store(ev, len);
    struct ev_header h;
    const char *why;
    assert_int_equal(ev_header_parse(ev, len, &h, &why), EV_OK);
    assert_int_equal(h.event_size, len);
    assert_int_equal(ev_crc32_verify(ev, len), 0);
    struct ev_fmt f;
    ev_fmt_default(&f, EV_CHECKSUM_CRC32);
    struct ev_query q;
    assert_int_equal(ev_query_parse(ev, len, &f, &q, &why), EV_OK);
    assert_int_equal(q.sql_len, body);
    ev[len / 2] ^= 1;
    assert_int_equal(ev_crc32_verify(ev, len), -1);
    assert_int_equal(ev_query_parse(ev, len - 1, &f, &q, &why), EV_AGAIN);
    free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_zlib),
        cmocka_unit_test(test_store_verify),
        cmocka_unit_test(test_every_byte_flip_fails),
        cmocka_unit_test(test_fde_in_use_rule),
        cmocka_unit_test(test_short_inputs),
        cmocka_unit_test(test_real_fde),
        cmocka_unit_test(test_large_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
