/*
 * test_rows.c - TABLE_MAP (protocol/table_map.c) and rows events (protocol/rows.c): column
 * metadata, optional metadata TLVs and the primary-key verdict, exact row counts over every
 * common column type, NULLs, UPDATE before/after images, v2 and compressed forms; then
 * malformed input: every truncation, lying lengths, column counts beyond the body, widths
 * beyond the map, unknown types (counted as unknown, never a crash or an over-read: the
 * ASan build runs this too).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "protocol/event.h"
#include "protocol/rows.h"
#include "protocol/table_map.h"
#include "protocol/wire.h"
#include "tests/unit/evgen.h"

static struct evgen gen;
static struct ev_fmt fmt;
static uint8_t ev[1 << 20];

/* INT, VARCHAR(20), BLOB, DECIMAL(10,2), DATETIME(3), CHAR(100) utf8mb4 (400 bytes), ENUM, BIT(10) */
static const uint8_t types[8] = {TM_LONG, TM_VARCHAR, TM_BLOB, TM_NEWDECIMAL, TM_DATETIME2, TM_STRING, TM_STRING, TM_BIT};
static const uint8_t meta[12] = {20, 0, 2, 10, 2, 3, 0xEE, 0x90, 0xF7, 0x01, 2, 1};

static int setup(void **state)
{
    (void)state;
    evgen_init(&gen);
    size_t n = evgen_fde(&gen, ev, sizeof(ev));
    struct ev_fde fde;
    const char *why;
    assert_int_equal(ev_fde_parse(ev, n, &fde, &why), EV_OK);
    ev_fmt_from_fde(&fmt, &fde);
    return 0;
}

static void view(struct ev_view *v, size_t n)
{
    const char *why = NULL;
    assert_true(n > 0);
    assert_int_equal(ev_view_parse(v, ev, n, &fmt, &why), EV_OK);
}

/* A full row (37 bytes) and one with VARCHAR and BLOB NULL (26 bytes). */
static size_t row_full(uint8_t *p)
{
    size_t n = 0;
    p[n++] = 0;                                   /* null bitmap */
    wire_put_u32(p + n, 42); n += 4;
    p[n++] = 3; memcpy(p + n, "abc", 3); n += 3;  /* VARCHAR: 1-byte length */
    wire_put_u16(p + n, 5); n += 2; memcpy(p + n, "hello", 5); n += 5;
    memset(p + n, 0x80, 5); n += 5;               /* DECIMAL(10,2): 4 + 1 bytes */
    memset(p + n, 0x99, 7); n += 7;               /* DATETIME2(3): 5 + 2 */
    wire_put_u16(p + n, 4); n += 2; memcpy(p + n, "\xc3\xa9\xc3\xa9", 4); n += 4;  /* CHAR(400 bytes): 2-byte length */
    p[n++] = 1;                                   /* ENUM: pack length 1 */
    p[n++] = 0x03; p[n++] = 0xff;                 /* BIT(10): 2 bytes */
    return n;
}

static size_t row_nulls(uint8_t *p)
{
    uint8_t full[64];
    size_t n = 0, f = row_full(full);
    assert_int_equal(f, 37);
    p[n++] = 0x06;
    memcpy(p + n, full + 1, 4); n += 4;
    memcpy(p + n, full + 1 + 4 + 4 + 7, f - 16); n += f - 16;
    return n;
}

static size_t map_event(const uint8_t *opt, size_t opt_len)
{
    return evgen_table_map(&gen, ev, sizeof(ev), 77, "shop", "orders", types, 8, meta, sizeof(meta), opt, opt_len);
}

static void test_table_map(void **state)
{
    (void)state;
    /* FULL: SIGNEDNESS, COLUMN_NAME (8 names), SIMPLE_PRIMARY_KEY (column 0) */
    uint8_t opt[64];
    size_t o = 0;
    opt[o++] = TM_OPT_SIGNEDNESS; opt[o++] = 1; opt[o++] = 0;
    opt[o++] = TM_OPT_COLUMN_NAME; opt[o++] = 16;
    for (int i = 0; i < 8; i++) { opt[o++] = 1; opt[o++] = (uint8_t)('a' + i); }
    opt[o++] = 99; opt[o++] = 2; opt[o++] = 0; opt[o++] = 0;   /* unknown TLV: skipped */
    opt[o++] = TM_OPT_SIMPLE_PRIMARY_KEY; opt[o++] = 1; opt[o++] = 0;
    struct ev_view v;
    struct tm_view tm;
    const char *why = NULL;
    view(&v, map_event(opt, o));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_OK);
    assert_int_equal(tm.table_id, 77);
    assert_memory_equal(tm.db, "shop", 4);
    assert_int_equal(tm.db_len, 4);
    assert_memory_equal(tm.table, "orders", 6);
    assert_int_equal(tm.ncols, 8);
    assert_int_equal(tm.pk, TM_PK_PRESENT);
    assert_true(tm.opt_seen & (1u << TM_OPT_COLUMN_NAME));
    struct tm_col cols[8];
    assert_int_equal(tm_columns(&tm, cols, 8, &why), EV_OK);
    assert_int_equal(cols[1].meta, 20);
    assert_int_equal(cols[3].meta, (10 << 8) | 2);
    assert_int_equal(cols[5].meta, 0xEE90);
    assert_int_equal(cols[7].meta, 2 | (1 << 8));
    assert_int_equal(tm_columns(&tm, cols, 7, &why), EV_ERROR);   /* caller's array too small */

    /* COLUMN_NAME but no primary-key TLV: no primary key */
    view(&v, map_event(opt, 3 + 2 + 16));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_OK);
    assert_int_equal(tm.pk, TM_PK_NONE);
    /* MINIMAL (SIGNEDNESS only) and no TLVs at all: cannot tell */
    view(&v, map_event(opt, 3));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_OK);
    assert_int_equal(tm.pk, TM_PK_UNKNOWN);
    view(&v, map_event(NULL, 0));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_OK);
    assert_int_equal(tm.pk, TM_PK_UNKNOWN);
    assert_string_equal(tm_pk_name(TM_PK_NONE), "none");
    assert_string_equal(tm_type_name(TM_NEWDECIMAL), "NEWDECIMAL");
    assert_string_equal(tm_type_name(200), "unknown");
}

/* Every prefix of the body must fail cleanly (or, for cuts inside the TLV area, parse with
 * fewer TLVs only when the cut falls on a TLV boundary). */
static void test_table_map_malformed(void **state)
{
    (void)state;
    uint8_t opt[] = {TM_OPT_SIMPLE_PRIMARY_KEY, 1, 0};
    size_t n = map_event(opt, sizeof(opt));
    size_t body = n - EV_HEADER_LEN - EV_CRC_LEN;
    static uint8_t copy[4096];
    memcpy(copy, ev + EV_HEADER_LEN, body);
    size_t fixed = body - sizeof(opt);
    for (size_t cut = 0; cut < body; cut++) {
        evgen_init(&gen);
        size_t m = evgen_event(&gen, ev, sizeof(ev), EV_TABLE_MAP, 0, copy, cut);
        struct ev_view v;
        struct tm_view tm;
        const char *why = NULL;
        view(&v, m);
        int r = tm_parse(&v, &fmt, &tm, &why);
        if (cut < fixed) {
            assert_int_equal(r, EV_ERROR);
            assert_non_null(why);
        } else if (cut == fixed) {
            assert_int_equal(r, EV_OK);
            assert_int_equal(tm.pk, TM_PK_UNKNOWN);
        } else {
            assert_int_equal(r, EV_ERROR);   /* a TLV cut short */
        }
    }
    struct ev_view v;
    struct tm_view tm;
    const char *why = NULL;
    /* lying db name length */
    memcpy(ev, copy, 0);
    uint8_t b[4096];
    memcpy(b, copy, body);
    b[8] = 200;
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), EV_TABLE_MAP, 0, b, body));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_ERROR);
    /* column count beyond the body, zero, above 4096 */
    memcpy(b, copy, body);
    size_t cc = 8 + 1 + 5 + 1 + 6 + 1;
    assert_int_equal(b[cc], 8);
    b[cc] = 250;
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), EV_TABLE_MAP, 0, b, body));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_ERROR);
    b[cc] = 0;
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), EV_TABLE_MAP, 0, b, body));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_ERROR);
    b[cc] = 0xFC;   /* 2-byte packed int follows: 0x0808 = 2056 columns, beyond the body */
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), EV_TABLE_MAP, 0, b, body));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_ERROR);
    /* metadata length lying */
    memcpy(b, copy, body);
    b[cc + 1 + 8] = 200;
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), EV_TABLE_MAP, 0, b, body));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_ERROR);
    /* metadata shorter than the types need: parses, but the columns cannot be decoded */
    evgen_init(&gen);
    view(&v, evgen_table_map(&gen, ev, sizeof(ev), 1, "d", "t", types, 8, meta, 5, NULL, 0));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_OK);
    struct tm_col cols[8];
    assert_int_equal(tm_columns(&tm, cols, 8, &why), EV_ERROR);
    /* wrong type */
    evgen_init(&gen);
    view(&v, evgen_xid(&gen, ev, sizeof(ev), 1));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_ERROR);
}

static void decode_map(struct tm_col *cols)
{
    struct ev_view v;
    struct tm_view tm;
    const char *why = NULL;
    view(&v, map_event(NULL, 0));
    assert_int_equal(tm_parse(&v, &fmt, &tm, &why), EV_OK);
    assert_int_equal(tm_columns(&tm, cols, 8, &why), EV_OK);
}

static uint64_t count_event(uint8_t type, const uint8_t *img, size_t len, const struct tm_col *cols, uint32_t ncols,
                            enum rows_count_result want)
{
    struct ev_view v;
    struct rows_view rv;
    const char *why = NULL;
    uint64_t rows = 99;
    evgen_init(&gen);
    view(&v, evgen_rows(&gen, ev, sizeof(ev), type, 77, ROWS_F_STMT_END, 8, img, len));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_OK);
    assert_int_equal(rv.table_id, 77);
    assert_int_equal(rv.flags, ROWS_F_STMT_END);
    assert_int_equal(rv.width, 8);
    assert_int_equal(rows_count(&rv, cols, ncols, rv.rows, rv.rows_len, &rows, &why), want);
    return rows;
}

static void test_rows_count(void **state)
{
    (void)state;
    struct tm_col cols[8];
    decode_map(cols);
    uint8_t img[4096];
    size_t n = 0;
    for (int i = 0; i < 3; i++) n += row_full(img + n);
    n += row_nulls(img + n);
    assert_int_equal(n, 3 * 37 + 26);
    assert_int_equal(count_event(23, img, n, cols, 8, ROWS_COUNT_OK), 4);   /* WRITE v1 */
    assert_int_equal(count_event(32, img, n, cols, 8, ROWS_COUNT_OK), 4);   /* DELETE v2 */
    assert_int_equal(count_event(24, img, n, cols, 8, ROWS_COUNT_OK), 2);   /* UPDATE: before + after = 1 row */
    /* An UPDATE with an odd image count ends inside a row: bad */
    assert_int_equal(count_event(24, img, 3 * 37, cols, 8, ROWS_COUNT_BAD), 1);
    /* every truncation: never OK with more rows than whole rows, never a crash */
    for (size_t cut = 1; cut < n; cut++) {
        uint64_t r = count_event(23, img, cut, cols, 8, cut == 37 || cut == 74 || cut == 111 ? ROWS_COUNT_OK : ROWS_COUNT_BAD);
        assert_true(r <= cut / 26);
    }
    /* a width beyond the map */
    assert_int_equal(count_event(23, img, n, cols, 7, ROWS_COUNT_BAD), 0);
    /* an unknown column type: counted as unknown */
    cols[2].type = 200;
    assert_int_equal(count_event(23, img, n, cols, 8, ROWS_COUNT_UNKNOWN), 0);
    decode_map(cols);
    cols[4].meta = 9;   /* fsp above 6 */
    assert_int_equal(count_event(23, img, n, cols, 8, ROWS_COUNT_UNKNOWN), 0);
    decode_map(cols);
    /* a lying VARCHAR length */
    img[5] = 250;
    assert_int_equal(count_event(23, img, 37, cols, 8, ROWS_COUNT_BAD), 0);
    /* an event without rows */
    assert_int_equal(count_event(23, img, 0, cols, 8, ROWS_COUNT_BAD), 0);
}

static void test_rows_compressed(void **state)
{
    (void)state;
    struct tm_col cols[8];
    decode_map(cols);
    uint8_t img[4096], blob[4096];
    size_t n = 0;
    for (int i = 0; i < 5; i++) n += row_full(img + n);
    uLongf zl = sizeof(blob) - 3;
    assert_int_equal(compress(blob + 3, &zl, img, n), Z_OK);
    blob[0] = 0x82;   /* two length bytes, big-endian */
    blob[1] = (uint8_t)(n >> 8);
    blob[2] = (uint8_t)n;
    struct ev_view v;
    struct rows_view rv;
    const char *why = NULL;
    evgen_init(&gen);
    view(&v, evgen_rows(&gen, ev, sizeof(ev), 166, 77, 0, 8, blob, zl + 3));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_OK);
    assert_true(rv.compressed);
    size_t want, got;
    assert_int_equal(rows_inflated_len(&rv, &want, &why), EV_OK);
    assert_int_equal(want, n);
    uint8_t out[4096];
    assert_int_equal(rows_inflate(&rv, out, sizeof(out), &got, &why), EV_OK);
    uint64_t rows;
    assert_int_equal(rows_count(&rv, cols, 8, out, got, &rows, &why), ROWS_COUNT_OK);
    assert_int_equal(rows, 5);
    assert_int_equal(rows_inflate(&rv, out, n - 1, &got, &why), EV_ERROR);   /* buffer too small */
    blob[2] ^= 1;   /* announced length wrong */
    evgen_init(&gen);
    view(&v, evgen_rows(&gen, ev, sizeof(ev), 166, 77, 0, 8, blob, zl + 3));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_OK);
    assert_int_equal(rows_inflate(&rv, out, sizeof(out), &got, &why), EV_ERROR);
    blob[0] = 0x02;   /* no compressed-header bit */
    evgen_init(&gen);
    view(&v, evgen_rows(&gen, ev, sizeof(ev), 166, 77, 0, 8, blob, zl + 3));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_OK);
    assert_int_equal(rows_inflated_len(&rv, &want, &why), EV_ERROR);
}

static void test_rows_malformed(void **state)
{
    (void)state;
    uint8_t img[64];
    size_t n = row_full(img);
    struct ev_view v;
    struct rows_view rv;
    const char *why = NULL;
    evgen_init(&gen);
    size_t m = evgen_rows(&gen, ev, sizeof(ev), 31, 77, 0, 8, img, n);
    static uint8_t body[4096];
    size_t blen = m - EV_HEADER_LEN - EV_CRC_LEN;
    memcpy(body, ev + EV_HEADER_LEN, blen);
    size_t fixed = 10 + 1 + 2;   /* post-header, width, two bitmaps */
    for (size_t cut = 0; cut < fixed; cut++) {
        evgen_init(&gen);
        view(&v, evgen_event(&gen, ev, sizeof(ev), 31, 0, body, cut));
        assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_ERROR);
    }
    body[8] = 200;   /* v2 extra data length beyond the body */
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), 31, 0, body, blen));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_ERROR);
    body[8] = 1;     /* below its own two bytes */
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), 31, 0, body, blen));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_ERROR);
    body[8] = 2;
    body[10] = 0;    /* width 0 */
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), 31, 0, body, blen));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_ERROR);
    body[10] = 0xFE;   /* 8-byte width, beyond the body */
    evgen_init(&gen);
    view(&v, evgen_event(&gen, ev, sizeof(ev), 31, 0, body, blen));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_ERROR);
    /* not a rows event */
    evgen_init(&gen);
    view(&v, evgen_xid(&gen, ev, sizeof(ev), 1));
    assert_int_equal(rows_parse(&v, &fmt, &rv, &why), EV_ERROR);
    assert_false(rows_event_type(19, NULL, NULL, NULL));
    enum rows_kind k;
    int v2, comp;
    assert_true(rows_event_type(170, &k, &v2, &comp));
    assert_int_equal(k, ROWS_UPDATE);
    assert_true(v2 && comp);
    assert_string_equal(rows_kind_name(ROWS_DELETE), "delete");
    assert_string_equal(rows_count_result_name(ROWS_COUNT_UNKNOWN), "unknown");
}

/* Value lengths of every type binlogd sizes, against MariaDB's calc_field_size. */
static void test_field_len(void **state)
{
    (void)state;
    uint8_t p[16] = {3, 1, 0, 0, 0};
    size_t len;
    struct { uint8_t type; uint16_t meta; size_t want; } c[] = {
        {TM_TINY, 0, 1}, {TM_YEAR, 0, 1}, {TM_SHORT, 0, 2}, {TM_INT24, 0, 3}, {TM_LONG, 0, 4}, {TM_LONGLONG, 0, 8},
        {TM_FLOAT, 4, 4}, {TM_DOUBLE, 8, 8}, {TM_NULL, 0, 0}, {TM_DATE, 0, 3}, {TM_NEWDATE, 0, 3}, {TM_TIME, 0, 3},
        {TM_TIMESTAMP, 0, 4}, {TM_DATETIME, 0, 8}, {TM_TIME2, 0, 3}, {TM_TIME2, 6, 6}, {TM_TIMESTAMP2, 1, 5},
        {TM_DATETIME2, 4, 7}, {TM_NEWDECIMAL, (18 << 8) | 9, 8}, {TM_NEWDECIMAL, (65 << 8) | 30, 30},
        {TM_NEWDECIMAL, (1 << 8) | 0, 1}, {TM_BIT, (1 << 8) | 0, 1}, {TM_BIT, (8 << 8) | 7, 9},
        {TM_VARCHAR, 100, 1 + 3}, {TM_VARCHAR, 300, 2 + 259}, {TM_BLOB, 1, 1 + 3}, {TM_BLOB, 2, 2 + 259},
        {TM_BLOB, 3, 3 + 259}, {TM_BLOB, 4, 4 + 259}, {TM_GEOMETRY, 4, 4 + 259}, {TM_JSON, 1, 4},
        {TM_STRING, (TM_ENUM << 8) | 2, 2}, {TM_STRING, (TM_SET << 8) | 8, 8}, {TM_STRING, (TM_STRING << 8) | 10, 4},
        {TM_STRING, 0xEE90, 2 + 259},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct tm_col col = {c[i].type, c[i].meta};
        int r = rows_field_len(&col, p, 4096, &len);
        assert_int_equal(r, 0);
        assert_int_equal(len, c[i].want);
    }
    struct tm_col bad[] = {{TM_DECIMAL, 0}, {TM_VAR_STRING, 0}, {200, 0}, {TM_FLOAT, 3}, {TM_BLOB, 5},
                           {TM_NEWDECIMAL, (66 << 8) | 0}, {TM_NEWDECIMAL, (5 << 8) | 6}, {TM_BIT, 8},
                           {TM_STRING, (TM_VARCHAR << 8) | 4}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) assert_int_equal(rows_field_len(&bad[i], p, 4096, &len), 1);
    struct tm_col vc = {TM_VARCHAR, 300};
    assert_int_equal(rows_field_len(&vc, p, 1, &len), -1);     /* length bytes cut */
    assert_int_equal(rows_field_len(&vc, p, 100, &len), -1);   /* value beyond avail */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_table_map, setup),
        cmocka_unit_test_setup(test_table_map_malformed, setup),
        cmocka_unit_test_setup(test_rows_count, setup),
        cmocka_unit_test_setup(test_rows_compressed, setup),
        cmocka_unit_test_setup(test_rows_malformed, setup),
        cmocka_unit_test_setup(test_field_len, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
