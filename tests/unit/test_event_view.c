/*
 * test_event_view.c - ev_view_parse / ev_view_frame: the one parse and check of an event
 * where it arrives (header, event_size against the packet, CRC when the event carries one),
 * and the view-taking trx/GTID/store entry points agreeing with their byte wrappers.
 * Malformed input gets its own fault code and reason; the view never points outside
 * the bytes it was given (inputs are exact-size heap copies, so ASan sees any overread).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "protocol/gtid_track.h"
#include "protocol/trx.h"
#include "protocol/wire.h"
#include "tests/unit/evgen.h"

#define CAP 4096

static struct ev_fmt fmt_crc, fmt_off;

static int setup(void **state)
{
    (void)state;
    ev_fmt_default(&fmt_crc, EV_CHECKSUM_CRC32);
    ev_fmt_default(&fmt_off, EV_CHECKSUM_OFF);
    return 0;
}

/* ev_view_parse on an exact-size heap copy of ev[0..len); *out gets the view's header. */
static int parse_copy(const uint8_t *ev, size_t len, const struct ev_fmt *fmt, struct ev_header *out,
                      const char **why)
{
    uint8_t *c = malloc(len ? len : 1);
    assert_non_null(c);
    if (len) memcpy(c, ev, len);
    struct ev_view v;
    *why = NULL;
    int r = ev_view_parse(&v, c, len, fmt, why);
    if (r == EV_OK) {
        assert_ptr_equal(v.buf, c);
        assert_int_equal(v.len, len);
        assert_int_equal(v.h.event_size, len);
    } else {
        assert_null(v.buf);
        assert_int_equal(v.len, 0);
        assert_non_null(*why);
    }
    if (out) *out = v.h;
    free(c);
    return r;
}

static void test_valid(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    g.pos = 1000;
    size_t n = evgen_xid(&g, ev, sizeof(ev), 77);
    struct ev_view v;
    const char *why = NULL;
    assert_int_equal(ev_view_parse(&v, ev, n, &fmt_crc, &why), EV_OK);
    assert_ptr_equal(v.buf, ev);
    assert_int_equal(v.len, n);
    assert_int_equal(v.h.type, EV_XID);
    assert_int_equal(v.h.event_size, n);
    assert_int_equal(v.h.log_pos, 1000 + n);
    assert_int_equal(v.h.server_id, 1);
    /* the header the view carries is the one ev_header_parse reads */
    struct ev_header h;
    assert_int_equal(ev_header_parse(ev, n, &h, &why), EV_OK);
    assert_int_equal(h.timestamp, v.h.timestamp);
    assert_int_equal(h.flags, v.h.flags);
    /* no CRC expected / not checked: fine too */
    assert_int_equal(ev_view_parse(&v, ev, n, &fmt_off, &why), EV_OK);
    assert_int_equal(ev_view_parse(&v, ev, n, NULL, &why), EV_OK);
}

static void test_short(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_xid(&g, ev, sizeof(ev), 1);
    const char *why;
    for (size_t l = 0; l < EV_HEADER_LEN; l++) {
        assert_int_equal(parse_copy(ev, l, &fmt_crc, NULL, &why), EV_VIEW_BAD_HEADER);
        assert_string_equal(why, "event header incomplete");
    }
    struct ev_view v;
    why = NULL;
    assert_int_equal(ev_view_parse(&v, NULL, n, &fmt_crc, &why), EV_VIEW_BAD_HEADER);
    assert_string_equal(why, "event header incomplete");
    /* a NULL why is allowed */
    assert_int_equal(ev_view_parse(&v, ev, 3, &fmt_crc, NULL), EV_VIEW_BAD_HEADER);
}

static void test_event_size_below_header(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_xid(&g, ev, sizeof(ev), 1);
    for (uint32_t s = 0; s < EV_HEADER_LEN; s++) {
        wire_put_u32(ev + 9, s);
        struct ev_header h;
        const char *why;
        assert_int_equal(parse_copy(ev, n, &fmt_crc, &h, &why), EV_VIEW_BAD_HEADER);
        assert_string_equal(why, "event_size smaller than the 19-byte header");
        assert_int_equal(h.event_size, s);   /* kept for the caller's message */
        assert_int_equal(parse_copy(ev, EV_HEADER_LEN, NULL, NULL, &why), EV_VIEW_BAD_HEADER);
    }
}

static void test_size_mismatch(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_query(&g, ev, sizeof(ev), "db", "INSERT INTO t VALUES (1)");
    const char *why;
    struct ev_header h;
    /* every prefix with a whole header, and trailing bytes: not exactly one event */
    for (size_t l = EV_HEADER_LEN; l < n; l++) {
        assert_int_equal(parse_copy(ev, l, &fmt_crc, &h, &why), EV_VIEW_BAD_SIZE);
        assert_string_equal(why, "event_size does not match the length");
        assert_int_equal(h.event_size, n);
        assert_int_equal(h.type, EV_QUERY);
    }
    for (size_t extra = 1; extra < 8; extra++) {
        assert_int_equal(parse_copy(ev, n + extra, &fmt_crc, &h, &why), EV_VIEW_BAD_SIZE);
        assert_int_equal(parse_copy(ev, n + extra, NULL, &h, &why), EV_VIEW_BAD_SIZE);
    }
    /* a header claiming 4 GiB - 1 in a small packet */
    wire_put_u32(ev + 9, 0xFFFFFFFFu);
    assert_int_equal(parse_copy(ev, n, &fmt_crc, &h, &why), EV_VIEW_BAD_SIZE);
    assert_int_equal(h.event_size, 0xFFFFFFFFu);
}

static void test_bad_crc(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_query(&g, ev, sizeof(ev), "db", "COMMIT");
    const char *why;
    /* any flipped bit, header, body or the CRC itself, is caught */
    for (size_t i = 0; i < n; i++) {
        if (i >= 9 && i < 13) continue;   /* event_size: that is a size fault, tested above */
        ev[i] ^= 0x10;
        struct ev_header h;
        assert_int_equal(parse_copy(ev, n, &fmt_crc, &h, &why), EV_VIEW_BAD_CRC);
        assert_string_equal(why, "CRC32 mismatch");
        /* events without CRC, or bytes verified before: not checked */
        assert_int_equal(parse_copy(ev, n, &fmt_off, NULL, &why), EV_OK);
        assert_int_equal(parse_copy(ev, n, NULL, NULL, &why), EV_OK);
        ev[i] ^= 0x10;
    }
    assert_int_equal(parse_copy(ev, n, &fmt_crc, NULL, &why), EV_OK);
    /* a CRC32 stream cannot carry an event too short to hold its CRC */
    uint8_t tiny[EV_HEADER_LEN + 3];
    size_t tn = ev_build_event(tiny, sizeof(tiny), EV_XID, 1, 100, 0, (const uint8_t *)"abc", 3, EV_CHECKSUM_OFF);
    assert_int_equal(tn, sizeof(tiny));
    assert_int_equal(parse_copy(tiny, tn, &fmt_crc, NULL, &why), EV_VIEW_BAD_CRC);
    assert_int_equal(parse_copy(tiny, tn, &fmt_off, NULL, &why), EV_OK);
}

/* A pre-checksum (MySQL 5.0) FDE: no alg byte, no CRC. */
static size_t old_fde(uint8_t *out, size_t cap)
{
    uint8_t body[2 + 50 + 4 + 1 + 27];
    memset(body, 0, sizeof(body));
    wire_put_u16(body, 4);
    memcpy(body + 2, "5.0.96-log", 10);
    body[56] = EV_HEADER_LEN;
    memset(body + 57, 8, 27);
    body[57 + EV_QUERY - 1] = 13;
    return ev_build_event(out, cap, EV_FORMAT_DESCRIPTION, 1, 0, 0, body, sizeof(body), EV_CHECKSUM_OFF);
}

static void test_fde(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, ev, sizeof(ev));
    const char *why;
    /* the FDE says itself that it carries a CRC, whatever the stream said before it */
    assert_int_equal(parse_copy(ev, n, &fmt_crc, NULL, &why), EV_OK);
    assert_int_equal(parse_copy(ev, n, &fmt_off, NULL, &why), EV_OK);
    /* IN_USE is outside its CRC (the FDE rule) */
    ev[EV_FLAGS_OFFSET] |= EV_F_BINLOG_IN_USE;
    assert_int_equal(parse_copy(ev, n, &fmt_off, NULL, &why), EV_OK);
    ev[EV_FLAGS_OFFSET] &= (uint8_t)~EV_F_BINLOG_IN_USE;
    ev[EV_HEADER_LEN + 10] ^= 1;   /* server version byte */
    assert_int_equal(parse_copy(ev, n, &fmt_off, NULL, &why), EV_VIEW_BAD_CRC);
    assert_int_equal(parse_copy(ev, n, &fmt_crc, NULL, &why), EV_VIEW_BAD_CRC);
    ev[EV_HEADER_LEN + 10] ^= 1;
    /* an unreadable body comes before the CRC, as in the ingest before */
    wire_put_u16(ev + EV_HEADER_LEN, 3);
    assert_int_equal(parse_copy(ev, n, &fmt_crc, NULL, &why), EV_VIEW_BAD_FDE);
    assert_string_equal(why, "binlog version is not 4");
    /* fmt NULL: the body is not read */
    assert_int_equal(parse_copy(ev, n, NULL, NULL, &why), EV_OK);
    /* a server without checksums: nothing to verify even in a CRC32 context */
    n = old_fde(ev, sizeof(ev));
    assert_true(n > 0);
    ev[n - 1] ^= 0xFF;   /* would be a CRC byte if there were one */
    assert_int_equal(parse_copy(ev, n, &fmt_crc, NULL, &why), EV_OK);
}

static void test_frame(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_xid(&g, ev, sizeof(ev), 5);
    struct ev_view v;
    const char *why = NULL;
    /* bytes past event_size are ignored: the view covers the event only */
    assert_int_equal(ev_view_frame(&v, ev, n + 30, &why), EV_OK);
    assert_int_equal(v.len, n);
    for (size_t l = 0; l < EV_HEADER_LEN; l++) {
        assert_int_equal(ev_view_frame(&v, ev, l, &why), EV_AGAIN);
        assert_string_equal(why, "event header incomplete");
    }
    for (size_t l = EV_HEADER_LEN; l < n; l++) {
        assert_int_equal(ev_view_frame(&v, ev, l, &why), EV_AGAIN);
        assert_string_equal(why, "event incomplete");
        assert_int_equal(v.h.event_size, n);
    }
    wire_put_u32(ev + 9, 5);
    assert_int_equal(ev_view_frame(&v, ev, n, &why), EV_ERROR);
    assert_string_equal(why, "event_size smaller than the 19-byte header");
}

/* The view entry points and the byte wrappers give the same verdicts on a real sequence. */
static void test_consumers_agree(void **state)
{
    (void)state;
    uint8_t *buf = malloc(CAP);
    assert_non_null(buf);
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, buf, CAP);
    size_t total = n;
    total += evgen_trx(&g, buf + total, CAP - total, 10, "INSERT INTO t VALUES (1)");
    total += evgen_gtid(&g, buf + total, CAP - total, 0, 11, EV_MGTID_STANDALONE);
    total += evgen_query(&g, buf + total, CAP - total, "db", "CREATE TABLE u (a INT)");
    total += evgen_rotate(&g, buf + total, CAP - total, "b.000002", 4);
    struct trx_parser pa, pb;
    trx_init(&pa);
    trx_init(&pb);
    struct gtid_track ta, tb;
    gtid_track_init(&ta);
    gtid_track_init(&tb);
    for (size_t off = n; off < total;) {
        size_t len = wire_u32(buf + off + 9);
        struct ev_view v;
        const char *why = NULL, *wa = NULL, *wb = NULL;
        assert_int_equal(ev_view_parse(&v, buf + off, len, &fmt_crc, &why), EV_OK);
        enum trx_verdict va = trx_feed_view(&pa, &v, &fmt_crc, &wa);
        enum trx_verdict vb = trx_feed(&pb, buf + off, len, &fmt_crc, &wb);
        assert_int_equal(va, vb);
        assert_int_not_equal(va, TRX_BAD);
        assert_int_equal(gtid_track_feed_view(&ta, &v, &fmt_crc, va, &wa), 0);
        assert_int_equal(gtid_track_feed(&tb, buf + off, len, &fmt_crc, vb, &wb), 0);
        off += len;
    }
    char sa[128], sb[128];
    gtid_track_format_end(&ta, sa, sizeof(sa));
    gtid_track_format_end(&tb, sb, sizeof(sb));
    assert_string_equal(sa, "0-1-11");
    assert_string_equal(sa, sb);
    assert_int_equal(ta.groups, 2);
    /* the wrappers still refuse a prefix with the framing reason */
    const char *why = NULL;
    assert_int_equal(trx_feed(&pb, buf + n, 10, &fmt_crc, &why), TRX_BAD);
    assert_string_equal(why, "event header incomplete");
    assert_int_equal(gtid_track_feed(&tb, buf + n, 25, &fmt_crc, TRX_INSIDE, &why), -1);
    assert_string_equal(why, "event incomplete");
    gtid_track_free(&ta);
    gtid_track_free(&tb);
    free(buf);
}

/* The typed parsers on a view give what their byte forms give, faults included. */
static void test_typed_views(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_gtid(&g, ev, sizeof(ev), 7, 99, EV_MGTID_TRANSACTIONAL);
    struct ev_view v;
    const char *why = NULL, *wb = NULL;
    assert_int_equal(ev_view_parse(&v, ev, n, &fmt_crc, &why), EV_OK);
    struct ev_maria_gtid ga, gb;
    assert_int_equal(ev_view_maria_gtid(&v, &fmt_crc, &ga, &why), EV_OK);
    assert_int_equal(ev_maria_gtid_parse(ev, n, &fmt_crc, &gb, &why), EV_OK);
    assert_int_equal(ga.domain_id, 7);
    assert_int_equal(ga.seq_no, 99);
    assert_int_equal(ga.server_id, gb.server_id);
    assert_int_equal(ga.flags2, gb.flags2);
    struct ev_query q;
    why = wb = NULL;
    assert_int_equal(ev_view_query(&v, &fmt_crc, &q, &why), EV_ERROR);
    assert_int_equal(ev_query_parse(ev, n, &fmt_crc, &q, &wb), EV_ERROR);
    assert_string_equal(why, "unexpected event type");
    assert_string_equal(why, wb);
    why = NULL;
    assert_int_equal(ev_view_maria_gtid(&v, NULL, &ga, &why), EV_ERROR);
    assert_string_equal(why, "no format context");

    n = evgen_query(&g, ev, sizeof(ev), "db", "BEGIN");
    assert_int_equal(ev_view_parse(&v, ev, n, &fmt_crc, &why), EV_OK);
    assert_int_equal(ev_view_query(&v, &fmt_crc, &q, &why), EV_OK);
    assert_int_equal(q.sql_len, 5);
    assert_memory_equal(q.sql, "BEGIN", 5);
    assert_true((const uint8_t *)q.db >= ev && (const uint8_t *)q.sql + q.sql_len <= ev + n);   /* into v.buf */

    n = evgen_rotate(&g, ev, sizeof(ev), "b.000002", 4);
    assert_int_equal(ev_view_parse(&v, ev, n, &fmt_crc, &why), EV_OK);
    struct ev_rotate ra;
    assert_int_equal(ev_view_rotate(&v, &fmt_crc, &ra, &why), EV_OK);
    assert_int_equal(ra.position, 4);
    assert_int_equal(ra.name_len, 8);
    assert_memory_equal(ra.name, "b.000002", 8);
    /* a body too short for its CRC, seen through the view and as bytes */
    uint8_t tiny[EV_HEADER_LEN + 2];
    size_t tn = ev_build_event(tiny, sizeof(tiny), EV_MARIA_GTID, 1, 100, 0, (const uint8_t *)"ab", 2,
                               EV_CHECKSUM_OFF);
    assert_int_equal(ev_view_frame(&v, tiny, tn, &why), EV_OK);
    why = wb = NULL;
    assert_int_equal(ev_view_maria_gtid(&v, &fmt_crc, &ga, &why), EV_ERROR);
    assert_int_equal(ev_maria_gtid_parse(tiny, tn, &fmt_crc, &gb, &wb), EV_ERROR);
    assert_string_equal(why, "event shorter than header + CRC");
    assert_string_equal(why, wb);
}

/* Random bytes and random damage to real events: a fault or a consistent view, never a read
 * outside the input. */
static void test_random(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t base = evgen_fde(&g, ev, sizeof(ev));
    base += evgen_trx(&g, ev + base, sizeof(ev) - base, 1, "INSERT INTO t VALUES (2)");
    unsigned x = 12345;
    for (int i = 0; i < 20000; i++) {
        uint8_t m[CAP];
        x = x * 1103515245u + 12345u;
        size_t start = (x >> 8) % 4 == 0 ? 0 : 252;   /* the FDE or the GTID after it */
        size_t len = wire_u32(ev + start + 9);
        memcpy(m, ev + start, len);
        for (int k = 0; k < 3; k++) {
            x = x * 1103515245u + 12345u;
            m[(x >> 4) % len] ^= (uint8_t)(x >> 20);
        }
        x = x * 1103515245u + 12345u;
        size_t l = (x >> 16) % 8 == 0 ? (x >> 3) % (len + 4) : len;
        const char *why;
        struct ev_header h;
        int r = parse_copy(m, l, (x & 1) ? &fmt_crc : &fmt_off, &h, &why);
        assert_true(r == EV_OK || r == EV_VIEW_BAD_HEADER || r == EV_VIEW_BAD_SIZE || r == EV_VIEW_BAD_FDE ||
                    r == EV_VIEW_BAD_CRC);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_short),
        cmocka_unit_test(test_event_size_below_header),
        cmocka_unit_test(test_size_mismatch),
        cmocka_unit_test(test_bad_crc),
        cmocka_unit_test(test_fde),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_consumers_agree),
        cmocka_unit_test(test_typed_views),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
