/* test_packet.c - packet framing: incremental reads, 16 MiB split/join, writers, bbuf. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/bbuf.h"
#include "protocol/compress.h"
#include "protocol/dump_stream.h"
#include "protocol/event.h"
#include "protocol/packet.h"
#include "protocol/wire.h"

#define BIG (size_t)PKT_MAX_CHUNK

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void test_small_packet(void **state)
{
    (void)state;
    const uint8_t in[] = { 0x03, 0x00, 0x00, 0x07, 'a', 'b', 'c', 0x01, 0x00 };
    struct pkt p;
    assert_int_equal(pkt_read(in, sizeof(in), 1024, &p, NULL), PKT_OK);
    assert_int_equal(p.len, 3);
    assert_int_equal(p.consumed, 7);
    assert_int_equal(p.seq, 7);
    assert_int_equal(p.next_seq, 8);
    assert_int_equal(p.nchunks, 1);
    assert_ptr_equal(p.payload, in + 4);
    /* Every shorter prefix waits, and says how much it needs. */
    for (size_t n = 0; n < 7; n++) {
        assert_int_equal(pkt_read(in, n, 1024, &p, NULL), PKT_AGAIN);
        assert_int_equal(p.want, n < 4 ? 4 : 7);
    }
}

static void test_empty_packet(void **state)
{
    (void)state;
    const uint8_t in[] = { 0, 0, 0, 255 };
    struct pkt p;
    assert_int_equal(pkt_read(in, sizeof(in), 0, &p, NULL), PKT_OK);
    assert_int_equal(p.len, 0);
    assert_int_equal(p.consumed, 4);
    assert_int_equal(p.next_seq, 0);   /* wraps */
}

static void test_too_big_refused_early(void **state)
{
    (void)state;
    const char *why = NULL;
    uint8_t hdr[4];
    struct pkt p;
    pkt_header_put(hdr, 1000, 0);
    /* Only the header has arrived: refused at once, not after 1000 bytes. */
    assert_int_equal(pkt_read(hdr, 4, 999, &p, &why), PKT_ERROR);
    assert_non_null(why);
    assert_int_equal(pkt_read(hdr, 4, 1000, &p, NULL), PKT_AGAIN);
    /* A 16 MiB chunk when the limit is 1 MiB. */
    pkt_header_put(hdr, PKT_MAX_CHUNK, 0);
    assert_int_equal(pkt_read(hdr, 4, 1 << 20, &p, NULL), PKT_ERROR);
}

/* Build a framed logical payload of n bytes at seq into b; return the payload. */
static uint8_t *framed(struct bbuf *b, size_t n, uint8_t seq, uint8_t *next)
{
    uint8_t *payload = malloc(n ? n : 1);
    assert_non_null(payload);
    fill(payload, n, (uint32_t)n);
    assert_int_equal(pkt_write(b, &seq, payload, n), 0);
    *next = seq;
    return payload;
}

static void check_big(size_t n, size_t chunks)
{
    struct bbuf b = { 0 };
    uint8_t next;
    uint8_t *payload = framed(&b, n, 250, &next);
    assert_int_equal(b.len, n + 4 * chunks);
    assert_int_equal(pkt_wire_len(n), b.len);
    assert_int_equal(pkt_nchunks(n), chunks);
    assert_int_equal(next, (uint8_t)(250 + chunks));

    struct pkt p;
    assert_int_equal(pkt_read(b.p, b.len, 64u << 20, &p, NULL), PKT_OK);
    assert_int_equal(p.len, n);
    assert_int_equal(p.nchunks, chunks);
    assert_int_equal(p.consumed, b.len);
    assert_int_equal(p.seq, 250);
    assert_int_equal(p.next_seq, next);
    if (chunks > 1) assert_null(p.payload);
    else assert_ptr_equal(p.payload, b.p + 4);

    uint8_t *copy = malloc(n);
    pkt_join_copy(b.p, &p, copy);
    assert_memory_equal(copy, payload, n);
    pkt_join_inplace(b.p, &p);
    assert_ptr_equal(p.payload, b.p + 4);
    assert_memory_equal(p.payload, payload, n);

    /* The limit is on the logical length, across chunks. */
    struct bbuf b2 = { 0 };
    uint8_t *again = framed(&b2, n, 0, &next);
    assert_int_equal(pkt_read(b2.p, b2.len, n - 1, &p, NULL), PKT_ERROR);
    assert_int_equal(pkt_read(b2.p, b2.len, n, &p, NULL), PKT_OK);
    /* Prefixes: each chunk boundary and a sample in between all wait. */
    size_t cuts[] = { 0, 3, 4, 5, BIG, BIG + 3, BIG + 4, BIG + 7, BIG + 8, 2 * BIG + 8, b2.len - 1 };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        if (cuts[i] >= b2.len) continue;
        assert_int_equal(pkt_read(b2.p, cuts[i], 64u << 20, &p, NULL), PKT_AGAIN);
        assert_true(p.want > cuts[i]);
        assert_true(p.want <= b2.len);
    }
    for (size_t cut = 0; cut < b2.len; cut += 1000003) {
        assert_int_equal(pkt_read(b2.p, cut, 64u << 20, &p, NULL), PKT_AGAIN);
    }
    free(again);
    bbuf_free(&b2);
    free(copy);
    free(payload);
    bbuf_free(&b);
}

static void test_big_packets(void **state)
{
    (void)state;
    check_big(BIG - 1, 1);
    check_big(BIG, 2);            /* exact multiple: trailing empty chunk */
    check_big(BIG + 1, 2);
    check_big(2 * BIG, 3);
    check_big(2 * BIG + 77, 3);
}

static void test_out_of_order_continuation(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    uint8_t next;
    uint8_t *payload = framed(&b, BIG + 5, 3, &next);
    struct pkt p;
    b.p[BIG + 4 + 3] = 9;   /* second chunk should carry 4 */
    const char *why = NULL;
    assert_int_equal(pkt_read(b.p, b.len, 64u << 20, &p, &why), PKT_ERROR);
    assert_string_equal(why, "packets out of order");
    free(payload);
    bbuf_free(&b);
}

static void test_split_iterator(void **state)
{
    (void)state;
    struct { uint64_t total; uint32_t lens[4]; size_t n; } cases[] = {
        { 0, { 0 }, 1 },
        { 5, { 5 }, 1 },
        { BIG - 1, { PKT_MAX_CHUNK - 1 }, 1 },
        { BIG, { PKT_MAX_CHUNK, 0 }, 2 },
        { 2 * (uint64_t)BIG + 1, { PKT_MAX_CHUNK, PKT_MAX_CHUNK, 1 }, 3 },
        { 3 * (uint64_t)BIG, { PKT_MAX_CHUNK, PKT_MAX_CHUNK, PKT_MAX_CHUNK, 0 }, 4 },
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct pkt_split s;
        uint8_t hdr[4];
        uint64_t off, expect_off = 0;
        uint32_t n;
        size_t i = 0;
        pkt_split_init(&s, cases[c].total, 254);
        while (pkt_split_next(&s, hdr, &off, &n)) {
            assert_true(i < cases[c].n);
            assert_int_equal(n, cases[c].lens[i]);
            assert_int_equal(off, expect_off);
            assert_int_equal(wire_u24(hdr), n);
            assert_int_equal(hdr[3], (uint8_t)(254 + i));
            expect_off += n;
            i++;
        }
        assert_int_equal(i, cases[c].n);
        assert_int_equal(expect_off, cases[c].total);
        assert_int_equal(s.seq, (uint8_t)(254 + i));
        assert_int_equal(pkt_nchunks(cases[c].total), i);
        assert_int_equal(pkt_split_next(&s, hdr, &off, &n), 0);
    }
}

/* What a dump does: payload = 0x00 prefix + an event kept elsewhere, sent chunk by chunk
 * without joining; the reader must see exactly prefix + event. */
static void test_split_prefix_and_body(void **state)
{
    (void)state;
    size_t body_len = BIG - 1;    /* prefix + body = exactly 16 MiB - 1 + 1 = one full chunk */
    uint8_t prefix[3] = { 0x00, 0xEF, 0x01 };
    for (size_t plen = 1; plen <= 3; plen += 2) {
        uint8_t *body = malloc(body_len);
        fill(body, body_len, 7);
        struct bbuf wire = { 0 };
        struct pkt_split s;
        uint8_t hdr[4];
        uint64_t off;
        uint32_t n;
        pkt_split_init(&s, plen + body_len, 0);
        while (pkt_split_next(&s, hdr, &off, &n)) {
            bbuf_append(&wire, hdr, 4);
            uint64_t end = off + n;
            for (uint64_t at = off; at < end;) {
                if (at < plen) { bbuf_append(&wire, prefix + at, 1); at++; continue; }
                bbuf_append(&wire, body + (at - plen), (size_t)(end - at));
                at = end;
            }
        }
        assert_true(bbuf_ok(&wire));
        struct pkt p;
        assert_int_equal(pkt_read(wire.p, wire.len, 64u << 20, &p, NULL), PKT_OK);
        assert_int_equal(p.len, plen + body_len);
        assert_int_equal(p.nchunks, 2);
        pkt_join_inplace(wire.p, &p);
        assert_memory_equal(p.payload, prefix, plen);
        assert_memory_equal(p.payload + plen, body, body_len);
        bbuf_free(&wire);
        free(body);
    }
}

static void test_begin_end_small_and_seq_wrap(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    uint8_t seq = 255;
    size_t at = pkt_begin(&b);
    bbuf_put_u8(&b, 0xAB);
    assert_int_equal(pkt_end(&b, at, &seq), 0);
    assert_int_equal(seq, 0);
    const uint8_t expect[] = { 1, 0, 0, 255, 0xAB };
    assert_int_equal(b.len, sizeof(expect));
    assert_memory_equal(b.p, expect, sizeof(expect));
    /* Two packets back to back parse one after the other. */
    assert_int_equal(pkt_write(&b, &seq, "xy", 2), 0);
    struct pkt p;
    assert_int_equal(pkt_read(b.p, b.len, 100, &p, NULL), PKT_OK);
    assert_int_equal(pkt_read(b.p + p.consumed, b.len - p.consumed, 100, &p, NULL), PKT_OK);
    assert_int_equal(p.seq, 0);
    assert_memory_equal(p.payload, "xy", 2);
    bbuf_free(&b);
}

static void test_bbuf_basics(void **state)
{
    (void)state;
    struct bbuf b;
    bbuf_init(&b);
    assert_int_equal(bbuf_put_lenenc(&b, 250), 0);
    assert_int_equal(bbuf_put_lenenc(&b, 251), 0);
    assert_int_equal(bbuf_put_lenenc(&b, 0x10000), 0);
    assert_int_equal(bbuf_put_lenenc(&b, 0x1000000), 0);
    const uint8_t expect[] = { 250, 0xFC, 251, 0, 0xFD, 0, 0, 1, 0xFE, 0, 0, 0, 1, 0, 0, 0, 0 };
    assert_int_equal(b.len, sizeof(expect));
    assert_memory_equal(b.p, expect, sizeof(expect));
    bbuf_consume(&b, 1);
    assert_int_equal(b.p[0], 0xFC);
    uint8_t *ins = bbuf_insert(&b, 1, 2);
    assert_non_null(ins);
    ins[0] = 'x'; ins[1] = 'y';
    assert_int_equal(b.p[3], 251);
    bbuf_remove(&b, 1, 2);
    assert_int_equal(b.p[1], 251);
    bbuf_reset(&b);
    assert_int_equal(b.len, 0);
    /* A failure is sticky until reset. */
    assert_int_equal(bbuf_reserve(&b, BBUF_MAX_LEN + 1), -1);
    assert_false(bbuf_ok(&b));
    assert_int_equal(bbuf_put_u8(&b, 1), -1);
    uint8_t seq = 0;
    assert_int_equal(pkt_end(&b, 0, &seq), -1);
    bbuf_reset(&b);
    assert_true(bbuf_ok(&b));
    assert_int_equal(bbuf_put_cstr(&b, "ab"), 0);
    assert_int_equal(b.len, 3);
    bbuf_free(&b);
    assert_null(b.p);
}


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

/* mariadb --compress against MariaDB 10.11: the client's raw frame holding
 * COM_QUERY "SELECT REPEAT('abc', 40) AS r, 1 AS one", and the server's deflated reply. */
static const char cli_frame[] =
    "2c0000000000002800000003" "53454c454354205245504541542827616263272c2034302920415320722c2031204153206f6e65";
static const char srv_frame[] =
    "55000001d10000789c63626060646294606060624e494d6300f28a181878141932181918fe3230a833304831303043e598"
    "f3f35281b2f60c8c204e23906060656060f907d4cd500d64572426250f08623404ba830dec0e00ae3e3812";

static void test_compressed_captured(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct cpkt c;
    struct bbuf plain = { 0 };
    struct pkt p;
    size_t n = unhex(cli_frame, buf);
    assert_int_equal(cpkt_read(buf, n, 1 << 20, &c, NULL), PKT_OK);
    assert_int_equal(c.ulen, 0);
    assert_int_equal(c.seq, 0);
    assert_int_equal(c.consumed, n);
    assert_int_equal(cpkt_unpack(&c, &plain, NULL), 0);
    assert_int_equal(pkt_read(plain.p, plain.len, 1 << 20, &p, NULL), PKT_OK);
    assert_int_equal(p.len, 40);
    assert_memory_equal(p.payload, "\x03SELECT REPEAT", 14);

    bbuf_reset(&plain);
    n = unhex(srv_frame, buf);
    assert_int_equal(cpkt_read(buf, n, 1 << 20, &c, NULL), PKT_OK);
    assert_int_equal(c.seq, 1);
    assert_int_equal(c.ulen, 0xd1);
    assert_int_equal(cpkt_unpack(&c, &plain, NULL), 0);
    assert_int_equal(plain.len, 0xd1);
    /* Inside: column count 2, two definitions, EOF, the row, EOF (seq 1..6). */
    size_t off = 0, count = 0;
    while (off < plain.len) {
        assert_int_equal(pkt_read(plain.p + off, plain.len - off, 1 << 20, &p, NULL), PKT_OK);
        assert_int_equal(p.seq, count + 1);
        if (count == 0) assert_int_equal(p.payload[0], 2);
        if (count == 4) {
            assert_int_equal(p.payload[0], 120);
            assert_memory_equal(p.payload + 1, "abcabc", 6);
        }
        off += p.consumed;
        count++;
    }
    assert_int_equal(count, 6);
    /* Every prefix waits; a corrupted stream or a lying length fails cleanly. */
    for (size_t cut = 0; cut < n; cut++) assert_int_equal(cpkt_read(buf, cut, 1 << 20, &c, NULL), PKT_AGAIN);
    assert_int_equal(cpkt_read(buf, n, 0xd0, &c, NULL), PKT_ERROR);
    const char *why = NULL;
    for (size_t i = CPKT_HEADER_LEN; i < n; i += 7) {
        uint8_t bad[256];
        memcpy(bad, buf, n);
        bad[i] ^= 0x55;
        bbuf_reset(&plain);
        assert_int_equal(cpkt_read(bad, n, 1 << 20, &c, NULL), PKT_OK);
        if (cpkt_unpack(&c, &plain, &why) == 0) assert_int_equal(plain.len, 0xd1);
    }
    buf[4] = 0xd2;   /* announced inflated size one too big */
    assert_int_equal(cpkt_read(buf, n, 1 << 20, &c, NULL), PKT_OK);
    bbuf_reset(&plain);
    assert_int_equal(cpkt_unpack(&c, &plain, &why), -1);
    assert_int_equal(plain.len, 0);
    bbuf_free(&plain);
}

static void roundtrip(const uint8_t *data, size_t len, size_t frames, int expect_compressed)
{
    struct bbuf wire = { 0 }, plain = { 0 };
    uint8_t seq = 7;
    assert_int_equal(cpkt_write(&wire, &seq, data, len, -1), 0);
    assert_int_equal(seq, (uint8_t)(7 + frames));
    size_t off = 0, nf = 0;
    while (off < wire.len) {
        struct cpkt c;
        assert_int_equal(cpkt_read(wire.p + off, wire.len - off, PKT_MAX_CHUNK, &c, NULL), PKT_OK);
        assert_int_equal(c.seq, (uint8_t)(7 + nf));
        if (nf == 0) assert_int_equal(c.ulen != 0, expect_compressed);
        assert_int_equal(cpkt_unpack(&c, &plain, NULL), 0);
        off += c.consumed;
        nf++;
    }
    assert_int_equal(nf, frames);
    assert_int_equal(plain.len, len);
    if (len) assert_memory_equal(plain.p, data, len);
    bbuf_free(&wire);
    bbuf_free(&plain);
}

static void test_compressed_roundtrip(void **state)
{
    (void)state;
    uint8_t small[49];
    memset(small, 'a', sizeof(small));
    roundtrip(small, sizeof(small), 1, 0);          /* under 50 bytes: raw */
    roundtrip(small, 0, 1, 0);
    uint8_t rep[5000];
    memset(rep, 'z', sizeof(rep));
    roundtrip(rep, sizeof(rep), 1, 1);              /* shrinks: deflated */
    uint8_t rnd[5000];
    fill(rnd, sizeof(rnd), 99);
    roundtrip(rnd, sizeof(rnd), 1, 0);              /* does not shrink: raw */
    size_t big = BIG + 1000;
    uint8_t *b = malloc(big);
    memset(b, 'q', big);
    roundtrip(b, big, 2, 1);                        /* over 16 MiB: two frames */
    free(b);
}

/* The dump packets a replica receives (ingest_stream.c): OK byte, semi-sync header, EOF. */
static void test_dump_stream_classify(void **state)
{
    (void)state;
    struct dstream_pkt d;
    uint64_t pos = 7;
    uint8_t ev[3 + EV_HEADER_LEN] = { 0x00, 0xEF, 0x01 };
    wire_put_u32(ev + 3 + EV_LOG_POS_OFFSET, 1234);
    /* Plain session: the event follows the OK byte; no ACK is ever due. */
    assert_int_equal(dstream_classify(ev, sizeof(ev), 0, &d), DSTREAM_EVENT);
    assert_ptr_equal(d.ev, ev + 1);
    assert_int_equal(d.ev_len, sizeof(ev) - 1);
    assert_int_equal(dstream_ack_pos(&d, &pos), -1);
    /* Semi-sync: 0xEF <flags> first; flag bit 0 asks for an ACK of the event's log_pos. */
    assert_int_equal(dstream_classify(ev, sizeof(ev), 1, &d), DSTREAM_EVENT);
    assert_ptr_equal(d.ev, ev + 3);
    assert_int_equal(d.need_ack, 1);
    assert_int_equal(dstream_ack_pos(&d, &pos), 0);
    assert_int_equal(pos, 1234);
    ev[2] = 0x00;
    assert_int_equal(dstream_classify(ev, sizeof(ev), 1, &d), DSTREAM_EVENT);
    assert_int_equal(dstream_ack_pos(&d, &pos), -1);
    /* An ACK request on a packet too short to hold an event header names no position. */
    ev[2] = 0x01;
    assert_int_equal(dstream_classify(ev, 3 + EV_HEADER_LEN - 1, 1, &d), DSTREAM_EVENT);
    assert_int_equal(dstream_ack_pos(&d, &pos), -1);
    /* Missing magic, too short for the semi-sync header. */
    ev[1] = 0x42;
    assert_int_equal(dstream_classify(ev, sizeof(ev), 1, &d), DSTREAM_BAD_SEMI);
    assert_int_equal(dstream_classify(ev, 2, 1, &d), DSTREAM_BAD_SEMI);
    /* EOF (0xFE, < 8 bytes); a long 0xFE packet or an ERR is unexpected, as is nothing. */
    const uint8_t eof[] = { 0xFE, 0, 0, 2, 0 }, err[] = { 0xFF, 0x48, 0x04 };
    assert_int_equal(dstream_classify(eof, sizeof(eof), 1, &d), DSTREAM_EOF);
    uint8_t longfe[8] = { 0xFE };
    assert_int_equal(dstream_classify(longfe, sizeof(longfe), 0, &d), DSTREAM_UNEXPECTED);
    assert_int_equal(dstream_classify(err, sizeof(err), 0, &d), DSTREAM_UNEXPECTED);
    assert_int_equal(d.first, 0xFF);
    assert_int_equal(dstream_classify(err, 0, 0, &d), DSTREAM_UNEXPECTED);
    assert_string_equal(dstream_kind_name(DSTREAM_BAD_SEMI), "bad-semi");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_packet),
        cmocka_unit_test(test_empty_packet),
        cmocka_unit_test(test_too_big_refused_early),
        cmocka_unit_test(test_big_packets),
        cmocka_unit_test(test_out_of_order_continuation),
        cmocka_unit_test(test_split_iterator),
        cmocka_unit_test(test_split_prefix_and_body),
        cmocka_unit_test(test_begin_end_small_and_seq_wrap),
        cmocka_unit_test(test_bbuf_basics),
        cmocka_unit_test(test_compressed_captured),
        cmocka_unit_test(test_compressed_roundtrip),
        cmocka_unit_test(test_dump_stream_classify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
