/* test_event_info.c - SHOW BINLOG EVENTS' Event_type names and Info texts (protocol/event_info.c)
 * for events built byte by byte, and malformed events: truncated, lying lengths, bodies that
 * overrun, every prefix of a valid event. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/event.h"
#include "protocol/event_info.h"
#include "protocol/wire.h"
#include "tests/unit/evgen.h"

#define CAP 4096

static struct ev_fmt fmt;   /* the context of evgen's 10.11-style FDE */

static int setup(void **state)
{
    (void)state;
    uint8_t fde[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, fde, sizeof(fde));
    struct ev_fde f;
    const char *why;
    if (ev_fde_parse(fde, n, &f, &why) != EV_OK) return -1;
    ev_fmt_from_fde(&fmt, &f);
    return 0;
}

/* Info of ev[0..n) as a string (static buffer); NULL when the formatter refuses. */
static const char *info(const uint8_t *ev, size_t n)
{
    static char out[CAP];
    struct bbuf b;
    bbuf_init(&b);
    const char *why = NULL;
    int r = ev_info_format(ev, n, &fmt, &b, &why);
    if (r != EV_OK) {
        bbuf_free(&b);
        return NULL;
    }
    assert_true(bbuf_ok(&b));
    assert_true(b.len < sizeof(out));
    if (b.len) memcpy(out, b.p, b.len);
    out[b.len] = 0;
    bbuf_free(&b);
    return out;
}

static size_t ev_of(uint8_t *out, uint8_t type, uint16_t flags, const uint8_t *body, size_t blen)
{
    struct evgen g;
    evgen_init(&g);
    g.pos = 1000;
    return evgen_event(&g, out, CAP, type, flags, body, blen);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(ev_info_type_name(EV_FORMAT_DESCRIPTION), "Format_desc");
    assert_string_equal(ev_info_type_name(EV_MARIA_GTID), "Gtid");
    assert_string_equal(ev_info_type_name(EV_GTID_LIST), "Gtid_list");
    assert_string_equal(ev_info_type_name(EV_BINLOG_CHECKPOINT), "Binlog_checkpoint");
    assert_string_equal(ev_info_type_name(23), "Write_rows_v1");
    assert_string_equal(ev_info_type_name(24), "Update_rows_v1");
    assert_string_equal(ev_info_type_name(25), "Delete_rows_v1");
    assert_string_equal(ev_info_type_name(30), "Write_rows");
    assert_string_equal(ev_info_type_name(EV_XID), "Xid");
    assert_string_equal(ev_info_type_name(EV_ANNOTATE_ROWS), "Annotate_rows");
    assert_string_equal(ev_info_type_name(EV_USER_VAR), "User var");
    assert_string_equal(ev_info_type_name(168), "Delete_rows_compressed_v1");
    assert_string_equal(ev_info_type_name(200), "Unknown");
}

static void test_common_events(void **state)
{
    (void)state;
    uint8_t ev[CAP];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, ev, CAP);
    const char *s = info(ev, n);
    assert_non_null(s);
    assert_true(strncmp(s, "Server ver: ", 12) == 0);
    assert_non_null(strstr(s, ", Binlog ver: 4"));

    n = evgen_gtid(&g, ev, CAP, 0, 18, EV_MGTID_TRANSACTIONAL);
    assert_string_equal(info(ev, n), "BEGIN GTID 0-1-18");
    n = evgen_gtid(&g, ev, CAP, 7, 1000, EV_MGTID_STANDALONE);
    assert_string_equal(info(ev, n), "GTID 7-1-1000");
    n = evgen_query(&g, ev, CAP, "w", "INSERT INTO t VALUES (1)");
    assert_string_equal(info(ev, n), "use `w`; INSERT INTO t VALUES (1)");
    n = evgen_query(&g, ev, CAP, "a`b", "DROP TABLE x");
    assert_string_equal(info(ev, n), "use `a``b`; DROP TABLE x");
    n = evgen_query(&g, ev, CAP, "", "COMMIT");
    assert_string_equal(info(ev, n), "COMMIT");
    n = evgen_xid(&g, ev, CAP, 77);
    assert_string_equal(info(ev, n), "COMMIT /* xid=77 */");
    n = evgen_rotate(&g, ev, CAP, "mariadb-bin.000002", 4);
    assert_string_equal(info(ev, n), "mariadb-bin.000002;pos=4");
    n = evgen_stop(&g, ev, CAP);
    assert_string_equal(info(ev, n), "");
}

static void test_gtid_variants(void **state)
{
    (void)state;
    uint8_t body[64], ev[CAP];
    /* group commit id */
    memset(body, 0, sizeof(body));
    wire_put_u64(body, 25);
    wire_put_u32(body + 8, 0);
    body[12] = EV_MGTID_TRANSACTIONAL | EV_MGTID_GROUP_COMMIT_ID;
    wire_put_u64(body + 13, 128);
    size_t n = ev_of(ev, EV_MARIA_GTID, 0, body, 21);
    assert_string_equal(info(ev, n), "BEGIN GTID 0-1-25 cid=128");
    /* XA prepare: formatID 1, gtrid "x1", no bqual, packed from offset 13 */
    memset(body, 0, sizeof(body));
    wire_put_u64(body, 18);
    body[12] = EV_MGTID_PREPARED_XA;
    wire_put_u32(body + 13, 1);
    body[17] = 2;
    body[18] = 0;
    memcpy(body + 19, "x1", 2);
    n = ev_of(ev, EV_MARIA_GTID, 0, body, 21);
    assert_string_equal(info(ev, n), "XA START X'7831',X'',1 GTID 0-1-18");
    /* an XID longer than its body */
    body[17] = 60;
    n = ev_of(ev, EV_MARIA_GTID, 0, body, 21);
    assert_null(info(ev, n));
    /* START ALTER / COMMIT ALTER id= (flags_extra after the fixed part) */
    memset(body, 0, sizeof(body));
    wire_put_u64(body, 40);
    body[12] = EV_MGTID_STANDALONE;
    body[13] = 0x02;
    n = ev_of(ev, EV_MARIA_GTID, 0, body, 19);
    assert_string_equal(info(ev, n), "GTID 0-1-40 START ALTER");
    body[13] = 0x04;
    wire_put_u64(body + 14, 40);
    n = ev_of(ev, EV_MARIA_GTID, 0, body, 22);
    assert_string_equal(info(ev, n), "GTID 0-1-40 COMMIT ALTER id=40");
    n = ev_of(ev, EV_MARIA_GTID, 0, body, 19);   /* the id would run past the body */
    assert_null(info(ev, n));
}

static void test_gtid_list_and_checkpoint(void **state)
{
    (void)state;
    uint8_t body[128], ev[CAP];
    uint32_t d[3] = {5, 0, 0}, s[3] = {77, 2, 1};
    uint64_t q[3] = {1000, 43, 40};
    wire_put_u32(body, 3);
    for (int i = 0; i < 3; i++) {
        wire_put_u32(body + 4 + 16 * i, d[i]);
        wire_put_u32(body + 8 + 16 * i, s[i]);
        wire_put_u64(body + 12 + 16 * i, q[i]);
    }
    size_t n = ev_of(ev, EV_GTID_LIST, 0, body, 4 + 48);
    assert_string_equal(info(ev, n), "[0-1-40,0-2-43,5-77-1000]");
    wire_put_u32(body, 0);
    n = ev_of(ev, EV_GTID_LIST, 0, body, 4);
    assert_string_equal(info(ev, n), "[]");
    wire_put_u32(body, 4);   /* count says more than the body holds */
    n = ev_of(ev, EV_GTID_LIST, 0, body, 4 + 48);
    assert_null(info(ev, n));

    wire_put_u32(body, 17);
    memcpy(body + 4, "master-bin.000001", 17);
    n = ev_of(ev, EV_BINLOG_CHECKPOINT, 0, body, 21);
    assert_string_equal(info(ev, n), "master-bin.000001");
    wire_put_u32(body, 300);
    n = ev_of(ev, EV_BINLOG_CHECKPOINT, 0, body, 21);
    assert_null(info(ev, n));
}

static void test_rows_and_table_map(void **state)
{
    (void)state;
    uint8_t body[64], ev[CAP];
    memset(body, 0, sizeof(body));
    body[0] = 24;   /* table id 24 (6 bytes), flags STMT_END_F */
    wire_put_u16(body + 6, 1);
    memset(body + 8, 0xab, 20);
    size_t n = ev_of(ev, 23, 0, body, 28);
    assert_string_equal(info(ev, n), "table_id: 24 flags: STMT_END_F");
    /* The post-header alone is enough (no row images read). */
    struct ev_header h;
    assert_int_equal(ev_header_parse(ev, n, &h, NULL), EV_OK);
    size_t need = ev_info_need(&h, &fmt);
    assert_true(need < n);
    assert_string_equal(info(ev, need), "table_id: 24 flags: STMT_END_F");
    assert_null(info(ev, need - 1));
    wire_put_u16(body + 6, 0);
    n = ev_of(ev, 25, 0, body, 28);
    assert_string_equal(info(ev, n), "table_id: 24");
    n = ev_of(ev, 24, 0, body, 3);   /* shorter than its post-header */
    assert_null(info(ev, n));

    /* Table_map: id, flags, db "w", table "t" */
    memset(body, 0, sizeof(body));
    body[0] = 24;
    size_t p = 8;
    body[p++] = 1; body[p++] = 'w'; body[p++] = 0;
    body[p++] = 1; body[p++] = 't'; body[p++] = 0;
    body[p++] = 1; body[p++] = 3;   /* one INT column */
    n = ev_of(ev, EV_TABLE_MAP, 0, body, p);
    assert_string_equal(info(ev, n), "table_id: 24 (w.t)");
    body[8] = 40;   /* the db name runs past the body */
    n = ev_of(ev, EV_TABLE_MAP, 0, body, p);
    assert_null(info(ev, n));
    body[8] = 1;
    body[10] = 'x';   /* not NUL-terminated */
    n = ev_of(ev, EV_TABLE_MAP, 0, body, p);
    assert_null(info(ev, n));
}

static void test_query_flags_and_misc(void **state)
{
    (void)state;
    uint8_t body[256], ev[CAP];
    /* QUERY: thread 1, time 0, db_len 1, error 0, status_len 5: Q_FLAGS2 = no FK checks */
    memset(body, 0, sizeof(body));
    body[8] = 1;
    wire_put_u16(body + 11, 5);
    body[13] = 0;
    wire_put_u32(body + 14, 1u << 26);
    memcpy(body + 18, "w\0CREATE TABLE f (a INT)", 25);
    size_t n = ev_of(ev, EV_QUERY, 0, body, 18 + 25 - 1);
    assert_string_equal(info(ev, n), "use `w`; set foreign_key_checks=0; CREATE TABLE f (a INT)");
    n = ev_of(ev, EV_QUERY, EV_F_SUPPRESS_USE, body, 18 + 25 - 1);
    assert_string_equal(info(ev, n), "set foreign_key_checks=0; CREATE TABLE f (a INT)");
    wire_put_u16(body + 11, 200);   /* status vars past the body */
    n = ev_of(ev, EV_QUERY, 0, body, 18 + 25 - 1);
    assert_null(info(ev, n));

    n = ev_of(ev, EV_ANNOTATE_ROWS, 0, (const uint8_t *)"INSERT INTO t VALUES (1)", 24);
    assert_string_equal(info(ev, n), "INSERT INTO t VALUES (1)");
    memset(body, 0, sizeof(body));
    body[0] = 2;
    wire_put_u64(body + 1, 5);
    n = ev_of(ev, EV_INTVAR, 0, body, 9);
    assert_string_equal(info(ev, n), "INSERT_ID=5");
    n = ev_of(ev, EV_INTVAR, 0, body, 8);
    assert_null(info(ev, n));
    wire_put_u64(body, 3);
    wire_put_u64(body + 8, 4);
    n = ev_of(ev, EV_RAND, 0, body, 16);
    assert_string_equal(info(ev, n), "rand_seed1=3,rand_seed2=4");
    /* XA_prepare: one_phase 0, formatID 1, gtrid 2, bqual 1 */
    memset(body, 0, sizeof(body));
    wire_put_u32(body + 1, 1);
    wire_put_u32(body + 5, 2);
    wire_put_u32(body + 9, 1);
    memcpy(body + 13, "x1b", 3);
    n = ev_of(ev, EV_XA_PREPARE, 0, body, 16);
    assert_string_equal(info(ev, n), "XA PREPARE X'7831',X'62',1");
    body[0] = 1;
    n = ev_of(ev, EV_XA_PREPARE, 0, body, 16);
    assert_string_equal(info(ev, n), "XA COMMIT X'7831',X'62',1 ONE PHASE");
    wire_put_u32(body + 5, 0xffffffffu);
    n = ev_of(ev, EV_XA_PREPARE, 0, body, 16);
    assert_null(info(ev, n));
    n = ev_of(ev, EV_START_ENCRYPTION, 0, body, 17);
    assert_string_equal(info(ev, n), "");
}

/* Every prefix and every single-byte corruption of real events: never a crash or an overread
 * (ASan in make unit-san), always a verdict. */
static void test_prefixes_and_flips(void **state)
{
    (void)state;
    uint8_t evs[8][CAP];
    size_t lens[8];
    struct evgen g;
    evgen_init(&g);
    lens[0] = evgen_fde(&g, evs[0], CAP);
    lens[1] = evgen_gtid(&g, evs[1], CAP, 3, 9, EV_MGTID_TRANSACTIONAL);
    lens[2] = evgen_query(&g, evs[2], CAP, "db", "UPDATE t SET a = 1");
    lens[3] = evgen_xid(&g, evs[3], CAP, 9);
    lens[4] = evgen_rotate(&g, evs[4], CAP, "x.000002", 4);
    uint8_t body[40] = {24, 0, 0, 0, 0, 0, 1, 0, 1, 'w', 0, 1, 't', 0, 1, 3};
    lens[5] = evgen_event(&g, evs[5], CAP, EV_TABLE_MAP, 0, body, 16);
    lens[6] = evgen_event(&g, evs[6], CAP, 23, 0, body, 30);
    uint8_t gl[20] = {1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 9};
    lens[7] = evgen_event(&g, evs[7], CAP, EV_GTID_LIST, 0, gl, 20);
    for (int e = 0; e < 8; e++) {
        assert_non_null(info(evs[e], lens[e]));
        for (size_t cut = 0; cut < lens[e]; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, evs[e], cut);
            struct bbuf b;
            bbuf_init(&b);
            (void)ev_info_format(copy, cut, &fmt, &b, NULL);
            bbuf_free(&b);
            free(copy);
        }
        for (size_t at = EV_HEADER_LEN; at < lens[e]; at++) {
            uint8_t *copy = malloc(lens[e]);
            memcpy(copy, evs[e], lens[e]);
            copy[at] ^= 0xff;
            struct bbuf b;
            bbuf_init(&b);
            (void)ev_info_format(copy, lens[e], &fmt, &b, NULL);
            bbuf_free(&b);
            free(copy);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_common_events),
        cmocka_unit_test(test_gtid_variants),
        cmocka_unit_test(test_gtid_list_and_checkpoint),
        cmocka_unit_test(test_rows_and_table_map),
        cmocka_unit_test(test_query_flags_and_misc),
        cmocka_unit_test(test_prefixes_and_flips),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
