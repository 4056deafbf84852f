/* test_hostile.c - the hostile-input matrix of docs/testing.md that the codec suites did not
 * already hold: client packets (oversized auth data, packets at and over max_allowed_packet,
 * queries at the size limit and with NULs, hostile dump positions and GTID sets, replies to
 * auth exchanges of any size) and upstream bytes (event_length 0 / 18 / 19 / 0xFFFFFFFF,
 * FDEs with a short header length, GTID lists and PREVIOUS_GTIDS with absurd counts, a packet
 * split in the middle of its header). Each input is copied into a buffer of its exact size
 * so ASan (make unit-san) catches a read one byte past it; each must get a clean refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/auth.h"
#include "protocol/bbuf.h"
#include "protocol/command.h"
#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/query.h"
#include "protocol/wire.h"

/* An exact-size heap copy (ASan sees one byte past it). */
static uint8_t *dup_exact(const void *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, p, n);
    return c;
}

static void response(struct bbuf *b, const uint8_t *auth, size_t alen)
{
    uint32_t caps = CAP_PROTOCOL_41 | CAP_SECURE_CONNECTION | CAP_PLUGIN_AUTH | CAP_PLUGIN_AUTH_LENENC_DATA;
    bbuf_put_u32(b, caps);
    bbuf_put_u32(b, 1 << 24);
    bbuf_put_u8(b, 45);
    uint8_t *z = bbuf_extend(b, 23);
    memset(z, 0, 23);
    bbuf_put_cstr(b, "repl");
    bbuf_put_lenenc_str(b, auth, alen);
    bbuf_put_cstr(b, HS_PLUGIN_NATIVE);
}

/* Oversized auth data (300 bytes, then 16 KiB) is parsed as data and refused by every
 * verifier: only 20 (native), 32 (sha2 fast) or a password (full) can pass. */
static void test_oversized_auth_data(void **state)
{
    (void)state;
    uint8_t scramble[AUTH_SCRAMBLE_LEN] = {1, 2, 3};
    uint8_t h2[AUTH_NATIVE_HASH_LEN], s2[AUTH_SHA2_HASH_LEN];
    auth_native_hash("pw", 2, h2);
    auth_sha2_hash("pw", 2, s2);
    static const size_t sizes[] = {21, 33, 255, 300, 16384};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint8_t *auth = calloc(1, sizes[i]);
        struct bbuf b = {0};
        response(&b, auth, sizes[i]);
        uint8_t *p = dup_exact(b.p, b.len);
        struct hs_response r;
        const char *why = NULL;
        enum hs_result hr = hs_parse_response(p, b.len, &r, &why);
        if (hr == HS_RESPONSE_OK) {
            assert_int_equal(r.auth_len, sizes[i]);
            assert_int_equal(auth_native_verify(scramble, r.auth, r.auth_len, h2), -1);
            assert_int_equal(auth_sha2_fast_verify(scramble, r.auth, r.auth_len, s2), -1);
        } else {
            assert_int_equal(hr, HS_RESPONSE_ERROR);
        }
        /* the same bytes as an AuthSwitch reply / a full-auth reply */
        assert_int_equal(auth_native_verify(scramble, auth, sizes[i], h2), -1);
        assert_int_equal(auth_native_verify(scramble, auth, sizes[i], NULL), -1);   /* no-password account */
        struct auth_stored st;
        auth_stored_parse("pw", 2, &st);
        assert_int_equal(auth_plain_verify(&st, auth, sizes[i]), -1);
        free(p);
        free(auth);
        bbuf_free(&b);
    }
}

/* A lenenc auth length claiming 2^64-1 bytes, 0xFB (NULL) and 0xFF (undefined): refused. */
static void test_lenenc_lies(void **state)
{
    (void)state;
    static const uint8_t heads[][9] = {
        {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, {0xFB}, {0xFF}, {0xFD, 0xFF, 0xFF, 0xFF},
        {0xFC, 0x00, 0x01},
    };
    static const size_t hlen[] = {9, 1, 1, 4, 3};
    for (size_t i = 0; i < 5; i++) {
        struct bbuf b = {0};
        response(&b, (const uint8_t *)"", 0);
        /* replace the empty lenenc auth (one 0x00 after "repl\0") with the lying head */
        size_t at = 4 + 4 + 1 + 23 + 5;
        struct bbuf c = {0};
        bbuf_append(&c, b.p, at);
        bbuf_append(&c, heads[i], hlen[i]);
        bbuf_append(&c, "xy", 2);
        uint8_t *p = dup_exact(c.p, c.len);
        struct hs_response r;
        const char *why = NULL;
        assert_int_equal(hs_parse_response(p, c.len, &r, &why), HS_RESPONSE_ERROR);
        assert_non_null(why);
        free(p);
        bbuf_free(&b);
        bbuf_free(&c);
    }
}

/* Client packets at the limit: exactly max_allowed_packet is read, one byte more is refused
 * as soon as its header arrives, and a 16 MiB multi-chunk header is refused likewise. */
static void test_packet_at_max(void **state)
{
    (void)state;
    const size_t max = 4096;
    uint8_t *buf = calloc(1, 4 + max + 1);
    struct pkt pk;
    const char *why = NULL;
    pkt_header_put(buf, (uint32_t)max, 0);
    buf[4] = 0x03;
    assert_int_equal(pkt_read(buf, 4 + max, max, &pk, &why), PKT_OK);
    assert_int_equal(pk.len, max);
    pkt_header_put(buf, (uint32_t)max + 1, 0);
    assert_int_equal(pkt_read(buf, 4, max, &pk, &why), PKT_ERROR);   /* header alone suffices */
    pkt_header_put(buf, PKT_MAX_CHUNK, 0);
    assert_int_equal(pkt_read(buf, 4, 1u << 20, &pk, &why), PKT_ERROR);
    /* split mid-header: 0..3 bytes are a prefix, never a packet */
    pkt_header_put(buf, 10, 0);
    for (size_t n = 0; n < 4; n++) assert_int_equal(pkt_read(buf, n, max, &pk, &why), PKT_AGAIN);
    free(buf);
}

/* A query of max_allowed_packet bytes (1 MiB): a string literal larger than the parser's
 * arena, a run of 1 MiB of '(' and garbage with NULs are refused cleanly. */
static void test_query_at_max(void **state)
{
    (void)state;
    const size_t n = 1u << 20;
    char *sql = malloc(n);
    struct query *q = query_new();
    assert_non_null(q);
    memcpy(sql, "SELECT '", 8);
    memset(sql + 8, 'a', n - 9);
    sql[n - 1] = '\'';
    enum query_kind k = query_parse(q, sql, n);
    assert_true(k == QUERY_UNKNOWN || k == QUERY_SELECT);
    if (k == QUERY_UNKNOWN) assert_non_null(q->why);
    memcpy(sql, "SELECT f", 8);
    memset(sql + 8, '(', n - 8);
    assert_int_equal(query_parse(q, sql, n), QUERY_UNKNOWN);
    for (size_t i = 0; i < n; i++) sql[i] = (char)(i * 131 % 251);
    k = query_parse(q, sql, n);
    assert_true(k >= QUERY_UNKNOWN && k < QUERY_KIND_COUNT);
    static const char nul[] = "SELECT 1\0; DROP TABLE t";
    assert_int_equal(query_parse(q, nul, sizeof(nul) - 1), QUERY_UNKNOWN);
    query_free(q);
    free(sql);
}

/* COM_BINLOG_DUMP: hostile positions are carried as numbers (the store refuses them with
 * 1236), hostile names are refused by the name check; COM_BINLOG_DUMP_GTID: absurd sid and
 * interval counts are refused before any allocation. */
static void test_dump_hostile(void **state)
{
    (void)state;
    uint8_t p[64];
    p[0] = CMD_CODE_BINLOG_DUMP;
    wire_put_u32(p + 1, 0xFFFFFFFFu);   /* position */
    p[5] = 0; p[6] = 0;                 /* flags */
    wire_put_u32(p + 7, 0xFFFFFFFFu);   /* server_id */
    memcpy(p + 11, "f.000001", 8);
    struct cmd c;
    const char *why;
    uint8_t *x = dup_exact(p, 19);
    assert_int_equal(cmd_parse(x, 19, &c, &why), 0);
    assert_int_equal(c.u.dump.pos, 0xFFFFFFFFu);
    free(x);
    static const char *const names[] = {"../f.000001", "/etc/passwd", "f/../../x", ".", "..", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!names[i][0]) continue;   /* "" means "the first file": legal */
        assert_int_equal(cmd_binlog_name_check(names[i], strlen(names[i]), &why), -1);
    }
    /* GTID set with 2^63 sids / a sid with 2^40 intervals, in a few bytes */
    struct gtid_mysql_set *s = gtid_mysql_set_new();
    uint8_t set[8 + 16 + 8];
    wire_put_u64(set, 1ull << 63);
    memset(set + 8, 0xAB, 16);
    wire_put_u64(set + 24, 1ull << 40);
    x = dup_exact(set, 8);
    assert_int_equal(gtid_mysql_set_decode(s, x, 8, &why), -1);
    free(x);
    wire_put_u64(set, 1);
    x = dup_exact(set, sizeof(set));
    assert_int_equal(gtid_mysql_set_decode(s, x, sizeof(set), &why), -1);
    free(x);
    gtid_mysql_set_free(s);
}

/* Upstream events whose event_length lies: 0, 18 (shorter than a header), 19 with a body
 * the type needs, 0xFFFFFFFF (more than the packet). */
static void test_event_length_lies(void **state)
{
    (void)state;
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_OFF);
    uint8_t ev[64];
    size_t n = ev_build_event(ev, sizeof(ev), EV_QUERY, 1, 100, 0, (const uint8_t *)"0123456789012345678901234567", 28,
                              EV_CHECKSUM_OFF);
    assert_true(n > EV_HEADER_LEN);
    static const uint32_t lies[] = {0, 18, 0xFFFFFFFFu, 0x80000000u};
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        wire_put_u32(ev + 9, lies[i]);
        uint8_t *x = dup_exact(ev, n);
        struct ev_view v;
        const char *why = NULL;
        assert_true(ev_view_parse(&v, x, n, &fmt, &why) != EV_OK);
        assert_non_null(why);
        assert_null(v.buf);
        int fr = ev_view_frame(&v, x, n, &why);
        assert_true(fr == EV_ERROR || fr == EV_AGAIN);
        free(x);
    }
    /* exactly 19 bytes: a header alone; the QUERY body parser refuses it */
    wire_put_u32(ev + 9, EV_HEADER_LEN);
    uint8_t *x = dup_exact(ev, EV_HEADER_LEN);
    struct ev_view v;
    const char *why = NULL;
    assert_int_equal(ev_view_parse(&v, x, EV_HEADER_LEN, &fmt, &why), EV_OK);
    struct ev_query qy;
    assert_int_equal(ev_query_parse(x, EV_HEADER_LEN, &fmt, &qy, &why), EV_ERROR);
    struct ev_rotate rot;
    x[4] = EV_ROTATE;
    assert_int_equal(ev_rotate_parse(x, EV_HEADER_LEN, &fmt, &rot, &why), EV_ERROR);
    free(x);
}

/* A FORMAT_DESCRIPTION whose common-header length is below 19 or whose post-header table is
 * cut short: refused (the reader must not index the table past its end). */
static void test_fde_short_tables(void **state)
{
    (void)state;
    uint8_t body[2 + 50 + 4 + 1 + 8];
    memset(body, 0, sizeof(body));
    wire_put_u16(body, 4);
    memcpy(body + 2, "10.11.6-MariaDB", 15);
    body[56] = 12;   /* header length 12: shorter than a v4 header */
    uint8_t ev[128];
    size_t n = ev_build_event(ev, sizeof(ev), EV_FORMAT_DESCRIPTION, 1, 0, 0, body, sizeof(body), EV_CHECKSUM_OFF);
    struct ev_fde fde;
    const char *why = NULL;
    uint8_t *x = dup_exact(ev, n);
    assert_int_equal(ev_fde_parse(x, n, &fde, &why), EV_ERROR);
    free(x);
    for (size_t cut = 2 + 50 + 4; cut < sizeof(body); cut++) {   /* table cut to 0..7 entries */
        n = ev_build_event(ev, sizeof(ev), EV_FORMAT_DESCRIPTION, 1, 0, 0, body, cut, EV_CHECKSUM_OFF);
        x = dup_exact(ev, n);
        body[56] = 19;
        int r = ev_fde_parse(x, n, &fde, &why);
        assert_true(r == EV_OK || r == EV_ERROR);
        free(x);
    }
}

/* GTID_LIST with count 0x0FFFFFFF in a 32-byte body; PREVIOUS_GTIDS with 2^62 sids. */
static void test_huge_gtid_counts(void **state)
{
    (void)state;
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_OFF);
    uint8_t body[4 + 16];
    memset(body, 0, sizeof(body));
    wire_put_u32(body, 0x0FFFFFFFu);
    uint8_t ev[128];
    size_t n = ev_build_event(ev, sizeof(ev), EV_GTID_LIST, 1, 100, 0, body, sizeof(body), EV_CHECKSUM_OFF);
    struct ev_gtid_list gl;
    const char *why = NULL;
    uint8_t *x = dup_exact(ev, n);
    assert_int_equal(ev_gtid_list_parse(x, n, &fmt, &gl, &why), EV_ERROR);
    free(x);
    uint8_t pb[8 + 16 + 8 + 16];
    memset(pb, 0, sizeof(pb));
    wire_put_u64(pb, 1ull << 62);
    n = ev_build_event(ev, sizeof(ev), EV_PREVIOUS_GTIDS, 1, 100, 0, pb, sizeof(pb), EV_CHECKSUM_OFF);
    struct ev_previous_gtids pg;
    x = dup_exact(ev, n);
    int r = ev_previous_gtids_parse(x, n, &fmt, &pg, &why);
    if (r == EV_OK) {   /* the event parser only frames the set: decoding it must refuse */
        struct gtid_mysql_set *s = gtid_mysql_set_new();
        assert_int_equal(gtid_mysql_set_decode(s, pg.data, pg.len, &why), -1);
        gtid_mysql_set_free(s);
    }
    free(x);
}

/* Every byte of a CRC32-carrying event flipped: refused with BAD_CRC or a header fault. */
static void test_bad_crc_anywhere(void **state)
{
    (void)state;
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    uint8_t ev[128];
    size_t n = ev_build_event(ev, sizeof(ev), EV_XID, 1, 100, 0, (const uint8_t *)"\x01\0\0\0\0\0\0\0", 8,
                              EV_CHECKSUM_CRC32);
    for (size_t i = 0; i < n; i++) {
        uint8_t *x = dup_exact(ev, n);
        x[i] ^= 0x10;
        struct ev_view v;
        const char *why = NULL;
        assert_true(ev_view_parse(&v, x, n, &fmt, &why) != EV_OK);
        free(x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_auth_data),
        cmocka_unit_test(test_lenenc_lies),
        cmocka_unit_test(test_packet_at_max),
        cmocka_unit_test(test_query_at_max),
        cmocka_unit_test(test_dump_hostile),
        cmocka_unit_test(test_event_length_lies),
        cmocka_unit_test(test_fde_short_tables),
        cmocka_unit_test(test_huge_gtid_counts),
        cmocka_unit_test(test_bad_crc_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
