/*
 * test_event.c - the event codec: every parser and builder on synthetic bytes (valid,
 * truncated at every length, lying sizes, corrupted bytes, random events). Whole real
 * binlogs are walked in test_trx.c, where the boundary parser joins in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/trx.h"
#include "protocol/wire.h"
#include "tests/unit/evgen.h"

static volatile unsigned sink;

/* Read every byte of a range the parser handed back: ASan flags any pointer outside the input. */
static void touch(const void *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++) s += ((const uint8_t *)p)[i];
    sink += s;
}

/* One event: header (log_pos = 4 + size, as if first in a file) + body [+ CRC]. */
static size_t mk(uint8_t *out, uint8_t type, uint32_t server_id, const void *body, size_t blen, int crc)
{
    size_t len = EV_HEADER_LEN + blen + (crc ? EV_CRC_LEN : 0);
    wire_put_u32(out, 1700000000);
    out[4] = type;
    wire_put_u32(out + 5, server_id);
    wire_put_u32(out + 9, (uint32_t)len);
    wire_put_u32(out + 13, (uint32_t)(4 + len));
    wire_put_u16(out + EV_FLAGS_OFFSET, 0);
    if (blen) memcpy(out + EV_HEADER_LEN, body, blen);
    if (crc) ev_crc32_store(out, len);
    return len;
}

/* FORMAT_DESCRIPTION with a chosen version, table, trailer and header fields. */
static size_t mk_fde(uint8_t *out, const char *version, const uint8_t *ph, size_t n_ph, int trailer, uint8_t alg,
                     uint16_t binlog_version, uint8_t header_len)
{
    uint8_t body[2 + 50 + 4 + 1 + 300 + 1];
    memset(body, 0, sizeof(body));
    wire_put_u16(body, binlog_version);
    memcpy(body + 2, version, strlen(version) < 50 ? strlen(version) : 50);
    wire_put_u32(body + 52, 12345);
    body[56] = header_len;
    memcpy(body + 57, ph, n_ph);
    size_t blen = 57 + n_ph;
    if (trailer) body[blen++] = alg;
    return mk(out, EV_FORMAT_DESCRIPTION, 1, body, blen, trailer);
}

/* A 5.7-like table: 38 types, the lengths that matter set. */
static void ph_mysql57(uint8_t *t)
{
    memset(t, 0, 38);
    t[EV_START_V3 - 1] = 56;
    t[EV_QUERY - 1] = 13;
    t[EV_ROTATE - 1] = 8;
    t[EV_FORMAT_DESCRIPTION - 1] = 98;
    t[EV_TABLE_MAP - 1] = 8;
    t[EV_MYSQL_GTID - 1] = 42;
    t[EV_ANONYMOUS_GTID - 1] = 42;
}

static struct ev_fmt fmt_crc, fmt_off;

static int setup(void **state)
{
    (void)state;
    ev_fmt_default(&fmt_crc, EV_CHECKSUM_CRC32);
    ev_fmt_default(&fmt_off, EV_CHECKSUM_OFF);
    return 0;
}

/* ---------------------------------------------------------------- uniform adapters */

typedef int (*parse_fn)(const uint8_t *ev, size_t len, const struct ev_fmt *f, const char **why);

static int p_header(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    (void)f;
    struct ev_header h;
    return ev_header_parse(e, l, &h, w);
}
static int p_body(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    const uint8_t *b;
    size_t n;
    int r = ev_body(e, l, f, &b, &n);
    if (r == EV_OK) touch(b, n);
    if (r == EV_ERROR) *w = "ev_body";
    return r;
}
static int p_fde(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    (void)f;
    struct ev_fde d;
    int r = ev_fde_parse(e, l, &d, w);
    if (r == EV_OK) {
        touch(d.post_header_len, d.n_post_header);
        struct ev_fmt x;
        ev_fmt_from_fde(&x, &d);
    }
    return r;
}
static int p_rotate(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_rotate r;
    int rc = ev_rotate_parse(e, l, f, &r, w);
    if (rc == EV_OK) touch(r.name, r.name_len);
    return rc;
}
static int p_query(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_query q;
    int rc = ev_query_parse(e, l, f, &q, w);
    if (rc == EV_OK) {
        touch(q.db, q.db_len);
        touch(q.sql, q.sql_len);
    }
    return rc;
}
static int p_xid(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_xid x;
    return ev_xid_parse(e, l, f, &x, w);
}
static int p_mgtid(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_maria_gtid g;
    return ev_maria_gtid_parse(e, l, f, &g, w);
}
static int p_glist(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_gtid_list gl;
    int rc = ev_gtid_list_parse(e, l, f, &gl, w);
    if (rc == EV_OK)
        for (uint32_t i = 0; i < gl.count; i++) {
            uint32_t d, s;
            uint64_t q;
            ev_gtid_list_get(&gl, i, &d, &s, &q);
            sink += d + s + (unsigned)q;
        }
    return rc;
}
static int p_ygtid(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_mysql_gtid g;
    return ev_mysql_gtid_parse(e, l, f, &g, w);
}
static int p_prev(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_previous_gtids p;
    int rc = ev_previous_gtids_parse(e, l, f, &p, w);
    if (rc == EV_OK) {
        touch(p.data, p.len);
        struct gtid_mysql_set *s = gtid_mysql_set_new();
        assert_non_null(s);
        (void)gtid_mysql_set_decode(s, p.data, p.len, NULL);
        gtid_mysql_set_free(s);
    }
    return rc;
}
static int p_ckpt(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct ev_checkpoint c;
    int rc = ev_checkpoint_parse(e, l, f, &c, w);
    if (rc == EV_OK) touch(c.name, c.name_len);
    return rc;
}
static int p_hb(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    const char *n;
    size_t nl;
    uint64_t pos;
    int rc = ev_heartbeat_parse(e, l, f, &n, &nl, &pos, w);
    if (rc == EV_OK) touch(n, nl);
    return rc;
}
static int p_trx(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    struct trx_parser tp;
    trx_init(&tp);
    return trx_feed(&tp, e, l, f, w) == TRX_BAD ? EV_ERROR : EV_OK;
}
static int p_rewrite(const uint8_t *e, size_t l, const struct ev_fmt *f, const char **w)
{
    (void)f;
    uint8_t *c = malloc(l ? l : 1);
    assert_non_null(c);
    if (l) memcpy(c, e, l);
    int r = ev_fde_rewrite_for_resume(c, l, w);
    free(c);
    return r;
}

static const struct { const char *name; parse_fn fn; } parsers[] = {
    {"header", p_header}, {"body", p_body}, {"fde", p_fde}, {"rotate", p_rotate}, {"query", p_query},
    {"xid", p_xid}, {"maria_gtid", p_mgtid}, {"gtid_list", p_glist}, {"mysql_gtid", p_ygtid},
    {"previous_gtids", p_prev}, {"checkpoint", p_ckpt}, {"heartbeat", p_hb}, {"trx", p_trx},
    {"fde_rewrite", p_rewrite},
};
#define N_PARSERS (sizeof(parsers) / sizeof(parsers[0]))

/* Run fn on an exact-size heap copy of ev[0..len) so ASan sees any over-read. */
static int run_copy(parse_fn fn, const uint8_t *ev, size_t len, const struct ev_fmt *f)
{
    uint8_t *c = malloc(len ? len : 1);
    assert_non_null(c);
    if (len) memcpy(c, ev, len);
    const char *why = NULL;
    int r = fn(c, len, f, &why);
    if (r == EV_ERROR) assert_non_null(why);
    free(c);
    return r;
}

/* The valid event must parse; every shorter prefix must be AGAIN (never OK, never a crash). */
static void check_prefixes(parse_fn fn, const uint8_t *ev, size_t len, const struct ev_fmt *f)
{
    assert_int_equal(run_copy(fn, ev, len, f), EV_OK);
    for (size_t l = 0; l < len; l++) assert_int_equal(run_copy(fn, ev, l, f), EV_AGAIN);
}

/* ---------------------------------------------------------------- samples */

struct sample { uint8_t buf[700]; size_t len; };
enum { S_ROTATE, S_QUERY, S_XID, S_MGTID, S_MGTID_CID, S_GLIST, S_YGTID, S_ANON25, S_PREV, S_CKPT, S_HB,
       S_FDE_MARIA, S_FDE_57, S_FDE_50, N_SAMPLES };
static struct sample samples[N_SAMPLES];

static void build_samples(void)
{
    uint8_t b[400];
    struct evgen g;
    evgen_init(&g);
    samples[S_ROTATE].len = evgen_rotate(&g, samples[S_ROTATE].buf, 700, "mb.000002", 4);
    samples[S_QUERY].len = evgen_query(&g, samples[S_QUERY].buf, 700, "test", "INSERT INTO t VALUES (1)");
    samples[S_XID].len = evgen_xid(&g, samples[S_XID].buf, 700, 77);
    samples[S_MGTID].len = evgen_gtid(&g, samples[S_MGTID].buf, 700, 3, 1000, EV_MGTID_TRANSACTIONAL);
    memset(b, 0, sizeof(b));
    wire_put_u64(b, 9);
    wire_put_u32(b + 8, 1);
    b[12] = EV_MGTID_GROUP_COMMIT_ID;
    wire_put_u64(b + 13, 0x1122334455667788ull);
    samples[S_MGTID_CID].len = mk(samples[S_MGTID_CID].buf, EV_MARIA_GTID, 5, b, 21, 1);
    memset(b, 0, sizeof(b));
    wire_put_u32(b, 2 | (1u << 28));
    wire_put_u32(b + 4, 0); wire_put_u32(b + 8, 1); wire_put_u64(b + 12, 10);
    wire_put_u32(b + 20, 7); wire_put_u32(b + 24, 2); wire_put_u64(b + 28, 20);
    samples[S_GLIST].len = mk(samples[S_GLIST].buf, EV_GTID_LIST, 1, b, 36, 1);
    memset(b, 0, sizeof(b));
    b[0] = 1;
    for (int i = 0; i < 16; i++) b[1 + i] = (uint8_t)(0xA0 + i);
    wire_put_u64(b + 17, 42);
    b[25] = 2;
    wire_put_u64(b + 26, 5);
    wire_put_u64(b + 34, 6);
    samples[S_YGTID].len = mk(samples[S_YGTID].buf, EV_MYSQL_GTID, 1, b, 42 + 17, 1);  /* + optional tail */
    samples[S_ANON25].len = mk(samples[S_ANON25].buf, EV_ANONYMOUS_GTID, 1, b, 25, 1);
    memset(b, 0, sizeof(b));
    wire_put_u64(b, 1);
    for (int i = 0; i < 16; i++) b[8 + i] = (uint8_t)i;
    wire_put_u64(b + 24, 1);
    wire_put_u64(b + 32, 1);
    wire_put_u64(b + 40, 11);
    samples[S_PREV].len = mk(samples[S_PREV].buf, EV_PREVIOUS_GTIDS, 1, b, 48, 1);
    memset(b, 0, sizeof(b));
    wire_put_u32(b, 9);
    memcpy(b + 4, "mb.000001", 9);
    samples[S_CKPT].len = mk(samples[S_CKPT].buf, EV_BINLOG_CHECKPOINT, 1, b, 13, 1);
    samples[S_HB].len = ev_build_heartbeat(samples[S_HB].buf, 700, 1, 1234, "mb.000003", 9, EV_CHECKSUM_CRC32);
    evgen_init(&g);
    samples[S_FDE_MARIA].len = evgen_fde(&g, samples[S_FDE_MARIA].buf, 700);
    uint8_t t[38];
    ph_mysql57(t);
    samples[S_FDE_57].len = mk_fde(samples[S_FDE_57].buf, "5.7.44-log", t, 38, 1, EV_CHECKSUM_CRC32, 4, 19);
    t[EV_QUERY - 1] = 13;
    samples[S_FDE_50].len = mk_fde(samples[S_FDE_50].buf, "5.0.96-log", t, 27, 0, 0, 4, 19);
    for (int i = 0; i < N_SAMPLES; i++) assert_true(samples[i].len > 0);
}

/* ---------------------------------------------------------------- tests: basics */

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(ev_type_name(EV_QUERY), "QUERY");
    assert_string_equal(ev_type_name(EV_FORMAT_DESCRIPTION), "FORMAT_DESCRIPTION");
    assert_string_equal(ev_type_name(EV_MARIA_GTID), "GTID");
    assert_string_equal(ev_type_name(EV_MYSQL_GTID), "MYSQL_GTID");
    assert_string_equal(ev_type_name(EV_GTID_TAGGED), "GTID_TAGGED");
    assert_string_equal(ev_type_name(171), "DELETE_ROWS_COMPRESSED");
    assert_string_equal(ev_type_name(99), "type_99");
    assert_string_equal(ev_type_name(255), "type_255");
    assert_string_equal(ev_type_name(43), "type_43");
    assert_string_equal(ev_type_name(172), "type_172");
}

static void test_header(void **state)
{
    (void)state;
    uint8_t ev[64];
    size_t len = mk(ev, EV_XID, 0xAABBCCDD, "\x01\x02\x03\x04\x05\x06\x07\x08", 8, 1);
    wire_put_u16(ev + EV_FLAGS_OFFSET, 0x8004);
    struct ev_header h;
    const char *why = NULL;
    assert_int_equal(ev_header_parse(ev, len, &h, &why), EV_OK);
    assert_int_equal(h.timestamp, 1700000000);
    assert_int_equal(h.type, EV_XID);
    assert_int_equal(h.server_id, 0xAABBCCDDu);
    assert_int_equal(h.event_size, len);
    assert_int_equal(h.log_pos, 4 + len);
    assert_int_equal(h.flags, 0x8004);
    /* Only the 19 header bytes are needed. */
    assert_int_equal(ev_header_parse(ev, EV_HEADER_LEN, &h, &why), EV_OK);
    for (size_t l = 0; l < EV_HEADER_LEN; l++) assert_int_equal(run_copy(p_header, ev, l, NULL), EV_AGAIN);
    for (uint32_t s = 0; s < EV_HEADER_LEN; s++) {
        wire_put_u32(ev + 9, s);
        why = NULL;
        assert_int_equal(ev_header_parse(ev, len, &h, &why), EV_ERROR);
        assert_non_null(why);
    }
    /* Large events are legal (up to 4 GiB - 1): no cap beyond the 19-byte minimum. */
    wire_put_u32(ev + 9, 0xFFFFFFFFu);
    assert_int_equal(ev_header_parse(ev, len, &h, &why), EV_OK);
    assert_int_equal(h.event_size, 0xFFFFFFFFu);
    /* ... and a parser handed only part of such an event waits for the rest. */
    ev[4] = EV_XID;
    assert_int_equal(run_copy(p_xid, ev, len, &fmt_crc), EV_AGAIN);
    wire_put_u32(ev + 9, 17u << 20);
    assert_int_equal(run_copy(p_body, ev, len, &fmt_crc), EV_AGAIN);
}

static void test_fmt_default(void **state)
{
    (void)state;
    struct ev_fmt f;
    ev_fmt_default(&f, EV_CHECKSUM_CRC32);
    assert_int_equal(f.checksum, EV_CHECKSUM_CRC32);
    assert_int_equal(f.flavor, EV_FLAVOR_UNKNOWN);
    assert_int_equal(f.post_header_len[EV_QUERY - 1], 13);
    assert_int_equal(f.post_header_len[EV_ROTATE - 1], 8);
    assert_int_equal(f.post_header_len[EV_XID - 1], 0);
    assert_int_equal(f.post_header_len[EV_MARIA_GTID - 1], 19);
    assert_int_equal(f.post_header_len[EV_GTID_LIST - 1], 4);
    assert_int_equal(f.post_header_len[EV_BINLOG_CHECKPOINT - 1], 4);
    assert_int_equal(f.post_header_len[EV_MYSQL_GTID - 1], 42);
    assert_int_equal(f.post_header_len[EV_HEARTBEAT - 1], 0);
    assert_true(f.n_post_header >= EV_QUERY_COMPRESSED);
    ev_fmt_default(&f, EV_CHECKSUM_OFF);
    assert_int_equal(f.checksum, EV_CHECKSUM_OFF);
    ev_fmt_default(&f, EV_CHECKSUM_UNDEF);
    assert_int_equal(f.checksum, EV_CHECKSUM_OFF);
}

static void test_body(void **state)
{
    (void)state;
    uint8_t ev[64];
    const uint8_t *b;
    size_t n;
    size_t len = mk(ev, EV_XID, 1, "12345678", 8, 1);
    assert_int_equal(ev_body(ev, len, &fmt_crc, &b, &n), EV_OK);
    assert_ptr_equal(b, ev + EV_HEADER_LEN);
    assert_int_equal(n, 8);
    assert_int_equal(ev_body(ev, len, &fmt_off, &b, &n), EV_OK);
    assert_int_equal(n, 12);
    /* 19..22 bytes cannot hold header + CRC. */
    for (uint32_t s = EV_HEADER_LEN; s < EV_HEADER_LEN + EV_CRC_LEN; s++) {
        mk(ev, EV_STOP, 1, NULL, 0, 0);
        wire_put_u32(ev + 9, s);
        assert_int_equal(ev_body(ev, s, &fmt_crc, &b, &n), EV_ERROR);
        assert_int_equal(ev_body(ev, s, &fmt_off, &b, &n), EV_OK);
        assert_int_equal(n, s - EV_HEADER_LEN);
    }
    check_prefixes(p_body, ev, mk(ev, EV_XID, 1, "12345678", 8, 1), &fmt_crc);
}

/* ---------------------------------------------------------------- FORMAT_DESCRIPTION */

static void test_fde_mariadb(void **state)
{
    (void)state;
    const struct sample *s = &samples[S_FDE_MARIA];
    assert_int_equal(s->len, 252);
    struct ev_fde f;
    const char *why = NULL;
    assert_int_equal(ev_fde_parse(s->buf, s->len, &f, &why), EV_OK);
    assert_int_equal(f.binlog_version, 4);
    assert_string_equal(f.server_version, "10.11.6-MariaDB-log");
    assert_int_equal(f.header_len, 19);
    assert_int_equal(f.n_post_header, 171);
    assert_int_equal(f.has_checksum_alg, 1);
    assert_int_equal(f.checksum, EV_CHECKSUM_CRC32);
    assert_int_equal(f.flavor, EV_FLAVOR_MARIADB);
    struct ev_fmt fm;
    ev_fmt_from_fde(&fm, &f);
    assert_int_equal(fm.checksum, EV_CHECKSUM_CRC32);
    assert_int_equal(fm.n_post_header, 171);
    assert_int_equal(fm.post_header_len[EV_MARIA_GTID - 1], 19);
    assert_int_equal(fm.post_header_len[EV_QUERY_COMPRESSED - 1], 13);
    assert_int_equal(fm.post_header_len[171], 0);
    check_prefixes(p_fde, s->buf, s->len, NULL);
    /* Not an FDE. */
    assert_int_equal(run_copy(p_fde, samples[S_QUERY].buf, samples[S_QUERY].len, NULL), EV_ERROR);
}

static void test_fde_mysql(void **state)
{
    (void)state;
    struct ev_fde f;
    const char *why;
    const struct sample *s = &samples[S_FDE_57];
    assert_int_equal(s->len, 119);   /* the 5.7 FDE ends at 4 + 119 = 123 */
    assert_int_equal(ev_fde_parse(s->buf, s->len, &f, &why), EV_OK);
    assert_int_equal(f.n_post_header, 38);
    assert_int_equal(f.flavor, EV_FLAVOR_MYSQL);
    assert_int_equal(f.has_checksum_alg, 1);
    check_prefixes(p_fde, s->buf, s->len, NULL);
    /* Pre-checksum server: no trailer, everything after the fixed part is the table. */
    s = &samples[S_FDE_50];
    assert_int_equal(ev_fde_parse(s->buf, s->len, &f, &why), EV_OK);
    assert_int_equal(f.has_checksum_alg, 0);
    assert_int_equal(f.checksum, EV_CHECKSUM_OFF);
    assert_int_equal(f.n_post_header, 27);
    struct ev_fmt fm;
    ev_fmt_from_fde(&fm, &f);
    assert_int_equal(fm.checksum, EV_CHECKSUM_OFF);
    /* Types past a short table: fixed post-headers still resolve, e.g. a MariaDB GTID. */
    uint8_t ev[64], b[19] = {0};
    b[12] = EV_MGTID_STANDALONE;
    size_t len = mk(ev, EV_MARIA_GTID, 1, b, 19, 0);
    struct ev_maria_gtid g;
    assert_int_equal(ev_maria_gtid_parse(ev, len, &fm, &g, &why), EV_OK);
}

static void test_fde_versions(void **state)
{
    (void)state;
    static const struct { const char *v; int has_alg; int flavor; } cases[] = {
        {"5.6.1-log", 1, EV_FLAVOR_MYSQL},      {"5.6.0", 0, EV_FLAVOR_MYSQL},
        {"5.5.62-log", 0, EV_FLAVOR_MYSQL},     {"8.0.36", 1, EV_FLAVOR_MYSQL},
        {"5.7.44-debug-log", 1, EV_FLAVOR_MYSQL}, {"5.3.0-MariaDB", 1, EV_FLAVOR_MARIADB},
        {"5.2.14-MariaDB", 0, EV_FLAVOR_MARIADB}, {"10.11.6-MariaDB-log", 1, EV_FLAVOR_MARIADB},
        {"5.5.5-10.6.1-MariaDB", 1, EV_FLAVOR_MARIADB}, {"garbage", 0, EV_FLAVOR_MYSQL},
        {"", 0, EV_FLAVOR_MYSQL},               {"999.1.1", 0, EV_FLAVOR_MYSQL},
        {"5.6", 0, EV_FLAVOR_MYSQL},            {"6", 0, EV_FLAVOR_MYSQL},
        {"01234567890123456789012345678901234567890123456789", 0, EV_FLAVOR_MYSQL},
    };
    uint8_t t[38], ev[256];
    ph_mysql57(t);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = mk_fde(ev, cases[i].v, t, 38, cases[i].has_alg, EV_CHECKSUM_CRC32, 4, 19);
        struct ev_fde f;
        const char *why = NULL;
        int r = ev_fde_parse(ev, len, &f, &why);
        if (r != EV_OK) fail_msg("version '%s': %s", cases[i].v, why);
        assert_int_equal(f.has_checksum_alg, cases[i].has_alg);
        assert_int_equal(f.n_post_header, 38);
        assert_int_equal(f.flavor, cases[i].flavor);
        assert_int_equal(strlen(f.server_version), strlen(cases[i].v));
    }
}

static void test_fde_hostile(void **state)
{
    (void)state;
    uint8_t t[300], ev[512];
    struct ev_fde f;
    const char *why;
    ph_mysql57(t);
    /* Tables too short to cover QUERY and ROTATE (MySQL bug #120777 territory). */
    for (size_t n = 0; n < 4; n++)
        assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, n, 1, 1, 4, 19), NULL), EV_ERROR);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 4, 1, 1, 4, 19), NULL), EV_OK);
    /* Trailer claimed by the version but the body too short for it (N would underflow). */
    size_t len = mk_fde(ev, "8.0.36", t, 2, 0, 0, 4, 19);
    assert_int_equal(ev_fde_parse(ev, len, &f, &why), EV_ERROR);
    /* Wrong binlog version / header length / alg byte. */
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 1, 3, 19), NULL), EV_ERROR);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 1, 1, 19), NULL), EV_ERROR);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 1, 4, 13), NULL), EV_ERROR);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 1, 4, 27), NULL), EV_ERROR);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 7, 4, 19), NULL), EV_ERROR);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 0, 4, 19), NULL), EV_OK);
    /* QUERY post-header below the v3 minimum, ROTATE post-header neither 0 nor >= 8. */
    t[EV_QUERY - 1] = 10;
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 1, 4, 19), NULL), EV_ERROR);
    t[EV_QUERY - 1] = 13;
    t[EV_ROTATE - 1] = 4;
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 38, 1, 1, 4, 19), NULL), EV_ERROR);
    t[EV_ROTATE - 1] = 8;
    /* More than 255 table entries cannot describe u8 type codes. */
    memset(t + 38, 0, sizeof(t) - 38);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 256, 1, 1, 4, 19), NULL), EV_ERROR);
    assert_int_equal(run_copy(p_fde, ev, mk_fde(ev, "8.0.36", t, 255, 1, 1, 4, 19), NULL), EV_OK);
    /* Body shorter than the fixed 57 bytes. */
    uint8_t small[40] = {4, 0};
    for (size_t b = 0; b < 40; b++) assert_int_equal(run_copy(p_fde, ev, mk(ev, 15, 1, small, b, 0), NULL), EV_ERROR);
}

static void test_fde_rewrite(void **state)
{
    (void)state;
    uint8_t ev[512];
    memcpy(ev, samples[S_FDE_MARIA].buf, samples[S_FDE_MARIA].len);
    size_t len = samples[S_FDE_MARIA].len;
    ev[EV_FLAGS_OFFSET] |= EV_F_BINLOG_IN_USE;
    wire_put_u32(ev + EV_HEADER_LEN + 52, 999);
    ev_crc32_store(ev, len);
    const char *why;
    assert_int_equal(ev_fde_rewrite_for_resume(ev, len, &why), EV_OK);
    assert_int_equal(ev[EV_FLAGS_OFFSET] & EV_F_BINLOG_IN_USE, 0);
    assert_int_equal(wire_u32(ev + 13), 0);
    assert_int_equal(wire_u32(ev + EV_HEADER_LEN + 2 + 50), 0);
    assert_int_equal(ev_crc32_verify(ev, len), 0);
    struct ev_fde f;
    assert_int_equal(ev_fde_parse(ev, len, &f, &why), EV_OK);
    assert_int_equal(f.created, 0);
    /* alg OFF still has a CRC in the FDE: it is recomputed too. */
    uint8_t t[38];
    ph_mysql57(t);
    len = mk_fde(ev, "8.0.36", t, 38, 1, EV_CHECKSUM_OFF, 4, 19);
    assert_int_equal(ev_fde_rewrite_for_resume(ev, len, &why), EV_OK);
    assert_int_equal(ev_crc32_verify(ev, len), 0);
    /* No trailer: nothing past the table is touched. */
    memcpy(ev, samples[S_FDE_50].buf, samples[S_FDE_50].len);
    len = samples[S_FDE_50].len;
    uint8_t tail = ev[len - 1];
    assert_int_equal(ev_fde_rewrite_for_resume(ev, len, &why), EV_OK);
    assert_int_equal(ev[len - 1], tail);
    assert_int_equal(wire_u32(ev + 13), 0);
    /* Not an FDE / broken FDE: refused and left untouched. */
    uint8_t q[700];
    memcpy(q, samples[S_QUERY].buf, samples[S_QUERY].len);
    assert_int_equal(ev_fde_rewrite_for_resume(q, samples[S_QUERY].len, &why), EV_ERROR);
    assert_memory_equal(q, samples[S_QUERY].buf, samples[S_QUERY].len);
    assert_int_equal(ev_fde_rewrite_for_resume(ev, 10, &why), EV_AGAIN);
}


/* ---------------------------------------------------------------- bodies */

static void test_rotate(void **state)
{
    (void)state;
    const struct sample *s = &samples[S_ROTATE];
    struct ev_rotate r;
    const char *why;
    assert_int_equal(ev_rotate_parse(s->buf, s->len, &fmt_crc, &r, &why), EV_OK);
    assert_int_equal(r.position, 4);
    assert_int_equal(r.name_len, 9);
    assert_memory_equal(r.name, "mb.000002", 9);
    check_prefixes(p_rotate, s->buf, s->len, &fmt_crc);
    /* Empty name, 511 (ok) and 512 (too long). */
    uint8_t b[600], ev[700];
    memset(b, 'a', sizeof(b));
    wire_put_u64(b, 77);
    assert_int_equal(run_copy(p_rotate, ev, mk(ev, EV_ROTATE, 1, b, 8, 1), &fmt_crc), EV_ERROR);
    assert_int_equal(run_copy(p_rotate, ev, mk(ev, EV_ROTATE, 1, b, 8 + 511, 1), &fmt_crc), EV_OK);
    assert_int_equal(run_copy(p_rotate, ev, mk(ev, EV_ROTATE, 1, b, 8 + 512, 1), &fmt_crc), EV_ERROR);
    /* Shorter than the u64 position. */
    for (size_t n = 0; n < 8; n++) assert_int_equal(run_copy(p_rotate, ev, mk(ev, EV_ROTATE, 1, b, n, 1), &fmt_crc), EV_ERROR);
    /* Without CRC the same bytes read as a longer name. */
    size_t len = mk(ev, EV_ROTATE, 1, b, 8 + 3, 0);
    assert_int_equal(ev_rotate_parse(ev, len, &fmt_off, &r, &why), EV_OK);
    assert_int_equal(r.position, 77);
    assert_int_equal(r.name_len, 3);
    /* Binlog-v1 style context: no post-header, position 4, whole body is the name. */
    struct ev_fmt f = fmt_off;
    f.post_header_len[EV_ROTATE - 1] = 0;
    assert_int_equal(ev_rotate_parse(ev, len, &f, &r, &why), EV_OK);
    assert_int_equal(r.position, 4);
    assert_int_equal(r.name_len, 11);
    f.post_header_len[EV_ROTATE - 1] = 5;
    assert_int_equal(ev_rotate_parse(ev, len, &f, &r, &why), EV_ERROR);
    /* A zeroed context does not cover ROTATE at all. */
    memset(&f, 0, sizeof(f));
    assert_int_equal(ev_rotate_parse(ev, len, &f, &r, &why), EV_ERROR);
    assert_int_equal(ev_rotate_parse(ev, len, NULL, &r, &why), EV_ERROR);
    /* Wrong type. */
    assert_int_equal(run_copy(p_rotate, samples[S_XID].buf, samples[S_XID].len, &fmt_crc), EV_ERROR);
}

/* QUERY body: post-header 13, status vars, db, NUL, sql. */
static size_t mk_query(uint8_t *ev, size_t status_len, size_t db_len_field, const char *db, const char *sql,
                       size_t declared_status)
{
    uint8_t b[600];
    memset(b, 0, sizeof(b));
    wire_put_u32(b, 11);
    wire_put_u32(b + 4, 2);
    b[8] = (uint8_t)db_len_field;
    wire_put_u16(b + 9, 1062);
    wire_put_u16(b + 11, (uint16_t)declared_status);
    size_t p = 13;
    for (size_t i = 0; i < status_len; i++) b[p++] = (uint8_t)(0x10 + i);
    memcpy(b + p, db, strlen(db));
    p += strlen(db);
    b[p++] = 0;
    memcpy(b + p, sql, strlen(sql));
    p += strlen(sql);
    return mk(ev, EV_QUERY, 1, b, p, 1);
}

static void test_query(void **state)
{
    (void)state;
    uint8_t ev[700];
    struct ev_query q;
    const char *why;
    size_t len = mk_query(ev, 10, 2, "db", "COMMIT", 10);
    assert_int_equal(ev_query_parse(ev, len, &fmt_crc, &q, &why), EV_OK);
    assert_int_equal(q.thread_id, 11);
    assert_int_equal(q.exec_time, 2);
    assert_int_equal(q.error_code, 1062);
    assert_int_equal(q.db_len, 2);
    assert_memory_equal(q.db, "db", 2);
    assert_int_equal(q.sql_len, 6);
    assert_memory_equal(q.sql, "COMMIT", 6);
    check_prefixes(p_query, ev, len, &fmt_crc);
    check_prefixes(p_query, samples[S_QUERY].buf, samples[S_QUERY].len, &fmt_crc);
    /* Empty SQL is fine: the body ends right after the db NUL. */
    len = mk_query(ev, 0, 0, "", "", 0);
    assert_int_equal(ev_query_parse(ev, len, &fmt_crc, &q, &why), EV_OK);
    assert_int_equal(q.sql_len, 0);
    assert_int_equal(q.db_len, 0);
    /* status_vars_len / db_len that overrun the body: the classic underflow. */
    len = mk_query(ev, 0, 0, "", "", 1);
    assert_int_equal(run_copy(p_query, ev, len, &fmt_crc), EV_ERROR);
    len = mk_query(ev, 4, 0, "", "x", 65535);
    assert_int_equal(run_copy(p_query, ev, len, &fmt_crc), EV_ERROR);
    len = mk_query(ev, 4, 0, "", "xyz", 8);   /* status eats sql, then no room for the NUL */
    assert_int_equal(run_copy(p_query, ev, len, &fmt_crc), EV_ERROR);
    len = mk_query(ev, 0, 255, "d", "abc", 0);
    assert_int_equal(run_copy(p_query, ev, len, &fmt_crc), EV_ERROR);
    len = mk_query(ev, 0, 3, "abc", "", 0);    /* db_len + NUL == rest exactly: ok, sql empty */
    assert_int_equal(ev_query_parse(ev, len, &fmt_crc, &q, &why), EV_OK);
    assert_int_equal(q.sql_len, 0);
    len = mk_query(ev, 0, 4, "abc", "", 0);    /* one byte past */
    assert_int_equal(run_copy(p_query, ev, len, &fmt_crc), EV_ERROR);
    /* Every status_vars_len and db_len against a small body: never OK past the end, and the
     * db name must end in its NUL. */
    for (size_t st = 0; st < 40; st++)
        for (size_t dl = 0; dl < 40; dl++) {
            len = mk_query(ev, 0, dl, "dbname", "SELECT 1", st);
            int r = run_copy(p_query, ev, len, &fmt_crc);
            assert_int_equal(r, st + dl == 6 ? EV_OK : EV_ERROR);   /* only there is the NUL */
        }
    /* Body shorter than the post-header. */
    uint8_t b[13] = {0};
    for (size_t n = 0; n < 13; n++) assert_int_equal(run_copy(p_query, ev, mk(ev, EV_QUERY, 1, b, n, 1), &fmt_crc), EV_ERROR);
    /* v3 context (post-header 11, no status vars). */
    struct ev_fmt f = fmt_crc;
    f.post_header_len[EV_QUERY - 1] = 11;
    len = mk_query(ev, 0, 2, "db", "BEGIN", 0);   /* with ph 11, bytes 11..12 are db */
    assert_int_equal(ev_query_parse(ev, len, &f, &q, &why), EV_ERROR); /* db would be "\0\0", then 'd' not NUL */
    len = mk_query(ev, 0, 0, "", "BEGIN", 0);     /* bytes 11..12 are 0,0: db_len 0 + NUL at 11 */
    assert_int_equal(ev_query_parse(ev, len, &f, &q, &why), EV_OK);
    assert_int_equal(q.sql_len, 1 + 1 + 5);
    f.post_header_len[EV_QUERY - 1] = 10;
    assert_int_equal(ev_query_parse(ev, len, &f, &q, &why), EV_ERROR);
}

static void test_xid(void **state)
{
    (void)state;
    struct ev_xid x;
    const char *why;
    assert_int_equal(ev_xid_parse(samples[S_XID].buf, samples[S_XID].len, &fmt_crc, &x, &why), EV_OK);
    assert_int_equal(x.xid, 77);
    check_prefixes(p_xid, samples[S_XID].buf, samples[S_XID].len, &fmt_crc);
    uint8_t ev[64];
    for (size_t n = 0; n < 8; n++) assert_int_equal(run_copy(p_xid, ev, mk(ev, EV_XID, 1, "1234567", n, 1), &fmt_crc), EV_ERROR);
    /* The same event read without CRC has a 12-byte body: still fine. */
    assert_int_equal(ev_xid_parse(samples[S_XID].buf, samples[S_XID].len, &fmt_off, &x, &why), EV_OK);
}

static void test_maria_gtid(void **state)
{
    (void)state;
    struct ev_maria_gtid g;
    const char *why;
    const struct sample *s = &samples[S_MGTID];
    assert_int_equal(ev_maria_gtid_parse(s->buf, s->len, &fmt_crc, &g, &why), EV_OK);
    assert_int_equal(g.domain_id, 3);
    assert_int_equal(g.server_id, 1);
    assert_int_equal(g.seq_no, 1000);
    assert_int_equal(g.flags2, EV_MGTID_TRANSACTIONAL);
    check_prefixes(p_mgtid, s->buf, s->len, &fmt_crc);
    s = &samples[S_MGTID_CID];
    assert_int_equal(ev_maria_gtid_parse(s->buf, s->len, &fmt_crc, &g, &why), EV_OK);
    assert_int_equal(g.server_id, 5);
    assert_int_equal(g.seq_no, 9);
    assert_true(g.commit_id == 0x1122334455667788ull);
    check_prefixes(p_mgtid, s->buf, s->len, &fmt_crc);
    /* GROUP_COMMIT_ID flag but only the 19-byte body. */
    uint8_t b[32] = {0}, ev[64];
    b[12] = EV_MGTID_GROUP_COMMIT_ID;
    assert_int_equal(run_copy(p_mgtid, ev, mk(ev, EV_MARIA_GTID, 1, b, 19, 1), &fmt_crc), EV_ERROR);
    assert_int_equal(run_copy(p_mgtid, ev, mk(ev, EV_MARIA_GTID, 1, b, 20, 1), &fmt_crc), EV_ERROR);
    b[12] = 0;
    for (size_t n = 0; n < 19; n++) assert_int_equal(run_copy(p_mgtid, ev, mk(ev, EV_MARIA_GTID, 1, b, n, 1), &fmt_crc), EV_ERROR);
    /* A table that says GTID has a tiny post-header is refused. */
    struct ev_fmt f = fmt_crc;
    f.post_header_len[EV_MARIA_GTID - 1] = 13;
    assert_int_equal(ev_maria_gtid_parse(samples[S_MGTID].buf, samples[S_MGTID].len, &f, &g, &why), EV_ERROR);
    assert_int_equal(run_copy(p_mgtid, samples[S_XID].buf, samples[S_XID].len, &fmt_crc), EV_ERROR);
}

static void test_gtid_list(void **state)
{
    (void)state;
    struct ev_gtid_list l;
    const char *why;
    const struct sample *s = &samples[S_GLIST];
    assert_int_equal(ev_gtid_list_parse(s->buf, s->len, &fmt_crc, &l, &why), EV_OK);
    assert_int_equal(l.count, 2);
    assert_int_equal(l.flags, 1u << 28);
    uint32_t d, sv;
    uint64_t q;
    ev_gtid_list_get(&l, 1, &d, &sv, &q);
    assert_int_equal(d, 7);
    assert_int_equal(sv, 2);
    assert_int_equal(q, 20);
    ev_gtid_list_get(&l, 2, &d, &sv, &q);   /* out of range: zeros, no read */
    assert_int_equal(d + sv, 0);
    check_prefixes(p_glist, s->buf, s->len, &fmt_crc);
    /* Counts the body cannot hold: 3 (one too many), 2^28-1, and 2^32/16 (wraps in 32 bits). */
    uint8_t b[40], ev[80];
    memcpy(b, s->buf + EV_HEADER_LEN, 36);
    static const uint32_t counts[] = {3, 0x0FFFFFFF, 0x10000000 | 3, 0x0FFFFFFF | 0xF0000000u};
    for (size_t i = 0; i < 4; i++) {
        wire_put_u32(b, counts[i]);
        assert_int_equal(run_copy(p_glist, ev, mk(ev, EV_GTID_LIST, 1, b, 36, 1), &fmt_crc), EV_ERROR);
    }
    wire_put_u32(b, 0);
    assert_int_equal(run_copy(p_glist, ev, mk(ev, EV_GTID_LIST, 1, b, 4, 1), &fmt_crc), EV_OK);
    for (size_t n = 0; n < 4; n++) assert_int_equal(run_copy(p_glist, ev, mk(ev, EV_GTID_LIST, 1, b, n, 1), &fmt_crc), EV_ERROR);
}

static void test_mysql_gtid(void **state)
{
    (void)state;
    struct ev_mysql_gtid g;
    const char *why;
    const struct sample *s = &samples[S_YGTID];
    assert_int_equal(ev_mysql_gtid_parse(s->buf, s->len, &fmt_crc, &g, &why), EV_OK);
    assert_int_equal(g.flags, 1);
    assert_int_equal(g.sid[0], 0xA0);
    assert_int_equal(g.sid[15], 0xAF);
    assert_int_equal(g.gno, 42);
    assert_int_equal(g.last_committed, 5);
    assert_int_equal(g.sequence_number, 6);
    check_prefixes(p_ygtid, s->buf, s->len, &fmt_crc);
    s = &samples[S_ANON25];
    assert_int_equal(ev_mysql_gtid_parse(s->buf, s->len, &fmt_crc, &g, &why), EV_OK);
    assert_int_equal(g.last_committed, -1);
    assert_int_equal(g.sequence_number, -1);
    check_prefixes(p_ygtid, s->buf, s->len, &fmt_crc);
    uint8_t b[64], ev[128];
    memcpy(b, samples[S_YGTID].buf + EV_HEADER_LEN, 42);
    for (size_t n = 0; n < 25; n++) assert_int_equal(run_copy(p_ygtid, ev, mk(ev, EV_MYSQL_GTID, 1, b, n, 1), &fmt_crc), EV_ERROR);
    b[25] = 3;   /* unknown logical timestamp type */
    assert_int_equal(run_copy(p_ygtid, ev, mk(ev, EV_MYSQL_GTID, 1, b, 42, 1), &fmt_crc), EV_ERROR);
    assert_int_equal(run_copy(p_ygtid, ev, mk(ev, EV_GTID_TAGGED, 1, b, 42, 1), &fmt_crc), EV_ERROR);
    assert_int_equal(run_copy(p_ygtid, samples[S_MGTID].buf, samples[S_MGTID].len, &fmt_crc), EV_ERROR);
}

static void test_small_bodies(void **state)
{
    (void)state;
    const char *why;
    struct ev_previous_gtids p;
    const struct sample *s = &samples[S_PREV];
    assert_int_equal(ev_previous_gtids_parse(s->buf, s->len, &fmt_crc, &p, &why), EV_OK);
    assert_int_equal(p.len, 48);
    assert_ptr_equal(p.data, s->buf + EV_HEADER_LEN);
    check_prefixes(p_prev, s->buf, s->len, &fmt_crc);

    struct ev_checkpoint c;
    s = &samples[S_CKPT];
    assert_int_equal(ev_checkpoint_parse(s->buf, s->len, &fmt_crc, &c, &why), EV_OK);
    assert_int_equal(c.name_len, 9);
    assert_memory_equal(c.name, "mb.000001", 9);
    check_prefixes(p_ckpt, s->buf, s->len, &fmt_crc);
    uint8_t b[32], ev[80];
    memcpy(b, s->buf + EV_HEADER_LEN, 13);
    static const uint32_t lens[] = {0, 10, 0xFFFFFFFFu, 0x80000000u};
    for (size_t i = 0; i < 4; i++) {
        wire_put_u32(b, lens[i]);
        assert_int_equal(run_copy(p_ckpt, ev, mk(ev, EV_BINLOG_CHECKPOINT, 1, b, 13, 1), &fmt_crc), EV_ERROR);
    }
    for (size_t n = 0; n < 4; n++) assert_int_equal(run_copy(p_ckpt, ev, mk(ev, EV_BINLOG_CHECKPOINT, 1, b, n, 1), &fmt_crc), EV_ERROR);

    const char *name;
    size_t nl;
    uint64_t pos;
    s = &samples[S_HB];
    assert_int_equal(ev_heartbeat_parse(s->buf, s->len, &fmt_crc, &name, &nl, &pos, &why), EV_OK);
    assert_int_equal(nl, 9);
    assert_memory_equal(name, "mb.000003", 9);
    assert_int_equal(pos, 1234);
    check_prefixes(p_hb, s->buf, s->len, &fmt_crc);
    assert_int_equal(run_copy(p_hb, ev, mk(ev, EV_HEARTBEAT, 1, NULL, 0, 1), &fmt_crc), EV_ERROR);
}

static void test_builders(void **state)
{
    (void)state;
    uint8_t out[700];
    char name[600];
    memset(name, 'x', sizeof(name));
    const char *why;
    for (int crc = 0; crc < 2; crc++) {
        enum ev_checksum_alg alg = crc ? EV_CHECKSUM_CRC32 : EV_CHECKSUM_OFF;
        const struct ev_fmt *f = crc ? &fmt_crc : &fmt_off;
        size_t n = ev_build_fake_rotate(out, sizeof(out), 42, 123456789012ull, "mb.000007", 9, alg);
        assert_int_equal(n, 19 + 8 + 9 + (crc ? 4 : 0));
        struct ev_header h;
        assert_int_equal(ev_header_parse(out, n, &h, &why), EV_OK);
        assert_int_equal(h.timestamp, 0);
        assert_int_equal(h.type, EV_ROTATE);
        assert_int_equal(h.server_id, 42);
        assert_int_equal(h.event_size, n);
        assert_int_equal(h.log_pos, 0);
        assert_int_equal(h.flags, EV_F_ARTIFICIAL);
        if (crc) assert_int_equal(ev_crc32_verify(out, n), 0);
        struct ev_rotate r;
        assert_int_equal(ev_rotate_parse(out, n, f, &r, &why), EV_OK);
        assert_true(r.position == 123456789012ull);
        assert_memory_equal(r.name, "mb.000007", 9);
        /* Capacity one short, bad names. */
        assert_int_equal(ev_build_fake_rotate(out, n - 1, 42, 4, "mb.000007", 9, alg), 0);
        assert_int_equal(ev_build_fake_rotate(out, n, 42, 4, "mb.000007", 9, alg), n);
        assert_int_equal(ev_build_fake_rotate(out, sizeof(out), 42, 4, "", 0, alg), 0);
        assert_int_equal(ev_build_fake_rotate(out, sizeof(out), 42, 4, name, 512, alg), 0);
        assert_int_equal(ev_build_fake_rotate(out, sizeof(out), 42, 4, name, 511, alg), 19 + 8 + 511 + (crc ? 4 : 0));

        n = ev_build_heartbeat(out, sizeof(out), 9, 0xFFFFFFF0u, "mb.000001", 9, alg);
        assert_int_equal(n, 19 + 9 + (crc ? 4 : 0));
        assert_int_equal(ev_header_parse(out, n, &h, &why), EV_OK);
        assert_int_equal(h.timestamp, 0);
        assert_int_equal(h.type, EV_HEARTBEAT);
        assert_int_equal(h.log_pos, 0xFFFFFFF0u);
        assert_int_equal(h.flags, 0);
        if (crc) assert_int_equal(ev_crc32_verify(out, n), 0);
        const char *nm;
        size_t nl;
        uint64_t pos;
        assert_int_equal(ev_heartbeat_parse(out, n, f, &nm, &nl, &pos, &why), EV_OK);
        assert_int_equal(pos, 0xFFFFFFF0u);
        assert_int_equal(nl, 9);
        assert_int_equal(ev_build_heartbeat(out, n - 1, 9, 4, "mb.000001", 9, alg), 0);
        assert_int_equal(ev_build_heartbeat(out, sizeof(out), 9, 4, name, 512, alg), 0);
        assert_int_equal(ev_build_heartbeat(out, sizeof(out), 9, 4, "", 0, alg), 0);
        assert_int_equal(ev_build_heartbeat(NULL, 100, 9, 4, "a", 1, alg), 0);
    }
}

/* Every parser on every sample: lying sizes, and every byte set to hostile values. */
static void test_hostile_all(void **state)
{
    (void)state;
    const struct ev_fmt *fmts[] = {&fmt_crc, &fmt_off};
    for (int si = 0; si < N_SAMPLES; si++) {
        const struct sample *s = &samples[si];
        uint8_t ev[700];
        for (size_t p = 0; p < N_PARSERS; p++)
            for (int fi = 0; fi < 2; fi++) {
                /* Declared size anywhere from 0 to past the buffer. */
                for (uint32_t sz = 0; sz <= s->len + 3; sz++) {
                    memcpy(ev, s->buf, s->len);
                    wire_put_u32(ev + 9, sz);
                    int r = run_copy(parsers[p].fn, ev, s->len, fmts[fi]);
                    if (sz < EV_HEADER_LEN && r == EV_OK) fail_msg("%s accepted size %u", parsers[p].name, sz);
                    else if (sz > s->len && parsers[p].fn != p_header && parsers[p].fn != p_trx)
                        assert_int_equal(r, EV_AGAIN);
                }
                /* Every byte of the body replaced by hostile values. */
                static const uint8_t vals[] = {0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF};
                for (size_t i = 0; i < s->len; i++) {
                    if (i >= 9 && i < 13) continue;   /* the size is covered above */
                    for (size_t v = 0; v < sizeof(vals); v++) {
                        memcpy(ev, s->buf, s->len);
                        ev[i] = vals[v];
                        (void)run_copy(parsers[p].fn, ev, s->len, fmts[fi]);
                    }
                }
            }
    }
}

/* Random events (fixed seed): any type, any body. Nothing may crash or read out of bounds. */
static void test_random_events(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    static const uint8_t types[] = {2, 3, 4, 15, 16, 27, 33, 34, 35, 38, 40, 161, 162, 163, 165, 19, 23, 0, 200};
    uint8_t ev[400];
    for (int iter = 0; iter < 20000; iter++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t len = EV_HEADER_LEN + (size_t)(x % 300);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            ev[i] = (uint8_t)(x >> 24);
        }
        ev[4] = types[x % sizeof(types)];
        wire_put_u32(ev + 9, (uint32_t)len);
        if (ev[4] == EV_FORMAT_DESCRIPTION) wire_put_u16(ev + EV_HEADER_LEN, 4);
        for (size_t p = 0; p < N_PARSERS; p++) {
            (void)run_copy(parsers[p].fn, ev, len, &fmt_crc);
            (void)run_copy(parsers[p].fn, ev, len, &fmt_off);
        }
    }
}

#define BODY_TESTS \
    cmocka_unit_test(test_rotate), cmocka_unit_test(test_query), cmocka_unit_test(test_xid), \
    cmocka_unit_test(test_maria_gtid), cmocka_unit_test(test_gtid_list), cmocka_unit_test(test_mysql_gtid), \
    cmocka_unit_test(test_small_bodies), cmocka_unit_test(test_builders), cmocka_unit_test(test_hostile_all), \
    cmocka_unit_test(test_random_events),

int main(void)
{
    build_samples();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_fmt_default),
        cmocka_unit_test(test_body),
        cmocka_unit_test(test_fde_mariadb),
        cmocka_unit_test(test_fde_mysql),
        cmocka_unit_test(test_fde_versions),
        cmocka_unit_test(test_fde_hostile),
        cmocka_unit_test(test_fde_rewrite),
        BODY_TESTS
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
