/* test_gtid.c - MariaDB GTID states and MySQL GTID sets: round trips, compare, hostile text and bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/wire.h"

/* ---------------------------------------------------------------- MariaDB */

static void test_maria_one(void **state)
{
    (void)state;
    struct gtid_maria g;
    assert_int_equal(gtid_maria_parse("0-1-100", 7, &g), 0);
    assert_int_equal(g.domain, 0);
    assert_int_equal(g.server, 1);
    assert_int_equal(g.seq, 100);
    const char *max = "4294967295-4294967295-18446744073709551615";
    assert_int_equal(gtid_maria_parse(max, strlen(max), &g), 0);
    assert_int_equal(g.domain, UINT32_MAX);
    assert_int_equal(g.server, UINT32_MAX);
    assert_true(g.seq == UINT64_MAX);
    char out[GTID_MARIA_STR_MAX + 1];
    assert_int_equal(gtid_maria_format(&g, out, sizeof(out)), strlen(max));
    assert_string_equal(out, max);
    static const char *bad[] = {
        "", "0", "0-1", "0-1-", "-1-2", "0--2", "a-b-c", "0-1-2-3", "0-1-x", " 0-1-2", "0-1-2 ", "+0-1-2",
        "0-+1-2", "4294967296-1-1", "1-4294967296-1", "1-1-18446744073709551616", "1-1-99999999999999999999",
        "0-1-2,", "0x1-1-1", "1.0-1-1", "-", "--", "0-1--2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (gtid_maria_parse(bad[i], strlen(bad[i]), &g) == 0) fail_msg("accepted '%s'", bad[i]);
    /* Length bounds the parse: "0-1-23" read as 5 bytes is 0-1-2. */
    assert_int_equal(gtid_maria_parse("0-1-23", 5, &g), 0);
    assert_int_equal(g.seq, 2);
    /* Truncated output still counts what it needs. */
    g = (struct gtid_maria){1, 2, 12345};
    char small[4];
    assert_int_equal(gtid_maria_format(&g, small, sizeof(small)), 9);
    assert_string_equal(small, "1-2");
    assert_int_equal(gtid_maria_format(&g, NULL, 0), 9);
}

static void test_maria_state_parse_format(void **state)
{
    (void)state;
    struct gtid_maria_state *s = gtid_maria_state_new();
    assert_non_null(s);
    const char *why = NULL;
    const char *txt = "5-2-50, 0-1-100,4294967295-9-1";
    assert_int_equal(gtid_maria_state_parse(s, txt, strlen(txt), &why), 0);
    assert_int_equal(s->n, 3);
    char out[256];
    size_t n = gtid_maria_state_format(s, out, sizeof(out));
    assert_string_equal(out, "0-1-100,5-2-50,4294967295-9-1");
    assert_int_equal(n, strlen(out));
    /* Round trip through the canonical text. */
    struct gtid_maria_state *t = gtid_maria_state_new();
    assert_int_equal(gtid_maria_state_parse(t, out, n, &why), 0);
    assert_int_equal(gtid_maria_state_compare(s, t), GTID_CMP_EQUAL);
    /* Empty and blank mean "from the beginning". */
    assert_int_equal(gtid_maria_state_parse(t, "", 0, &why), 0);
    assert_int_equal(t->n, 0);
    assert_int_equal(gtid_maria_state_parse(t, "  ", 2, &why), 0);
    assert_int_equal(t->n, 0);
    assert_int_equal(gtid_maria_state_format(t, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    static const char *bad[] = {
        "0-1-1,0-2-2", "0-1-1,,1-1-1", ",", "0-1-1,", ",0-1-1", "0-1-", "a-b-c", "0-1-18446744073709551616",
        "0-1-1;1-1-1", "0-1-1 1-1-1", "0-1-1\n,x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(gtid_maria_state_parse(s, "1-1-1", 5, &why), 0);
        why = NULL;
        if (gtid_maria_state_parse(s, bad[i], strlen(bad[i]), &why) == 0) fail_msg("accepted '%s'", bad[i]);
        assert_non_null(why);
        assert_int_equal(s->n, 0);   /* left empty, never half-filled */
    }
    /* More domains than fit. */
    char *big = malloc(64 * (GTID_MARIA_MAX_DOMAINS + 1));
    size_t len = 0;
    for (int i = 0; i <= GTID_MARIA_MAX_DOMAINS; i++) len += (size_t)sprintf(big + len, "%s%d-1-1", i ? "," : "", i);
    assert_int_equal(gtid_maria_state_parse(s, big, len, &why), -1);
    /* Exactly the maximum is fine, and its text is counted exactly when the buffer is short. */
    len = 0;
    for (int i = 0; i < GTID_MARIA_MAX_DOMAINS; i++) len += (size_t)sprintf(big + len, "%s%d-1-1", i ? "," : "", i);
    assert_int_equal(gtid_maria_state_parse(s, big, len, &why), 0);
    assert_int_equal(s->n, GTID_MARIA_MAX_DOMAINS);
    assert_int_equal(gtid_maria_state_format(s, out, sizeof(out)), len);
    assert_int_equal(strlen(out), sizeof(out) - 1);
    struct gtid_maria extra = {100000, 1, 1};
    assert_int_equal(gtid_maria_state_update(s, &extra), -1);
    free(big);
    gtid_maria_state_free(s);
    gtid_maria_state_free(t);
    gtid_maria_state_free(NULL);
}

static void test_maria_state_ops(void **state)
{
    (void)state;
    struct gtid_maria_state a, b;
    gtid_maria_state_init(&a);
    gtid_maria_state_init(&b);
    struct gtid_maria g = {0, 1, 10};
    assert_int_equal(gtid_maria_state_update(&a, &g), 0);
    g = (struct gtid_maria){7, 1, 3};
    assert_int_equal(gtid_maria_state_update(&a, &g), 0);
    g = (struct gtid_maria){0, 2, 11};
    assert_int_equal(gtid_maria_state_update(&a, &g), 0);   /* replaces domain 0 */
    assert_int_equal(a.n, 2);
    const struct gtid_maria *f = gtid_maria_state_find(&a, 0);
    assert_non_null(f);
    assert_int_equal(f->server, 2);
    assert_int_equal(f->seq, 11);
    assert_null(gtid_maria_state_find(&a, 1));
    g = (struct gtid_maria){0, 9, 11};
    assert_true(gtid_maria_state_contains(&a, &g));
    g.seq = 12;
    assert_false(gtid_maria_state_contains(&a, &g));
    g = (struct gtid_maria){3, 1, 1};
    assert_false(gtid_maria_state_contains(&a, &g));

    const char *why;
    assert_int_equal(gtid_maria_state_parse(&a, "0-1-10,1-1-5", 12, &why), 0);
    assert_int_equal(gtid_maria_state_parse(&b, "0-1-10,1-1-5", 12, &why), 0);
    assert_int_equal(gtid_maria_state_compare(&a, &b), GTID_CMP_EQUAL);
    assert_int_equal(gtid_maria_state_parse(&b, "0-1-11,1-1-5", 12, &why), 0);
    assert_int_equal(gtid_maria_state_compare(&a, &b), GTID_CMP_BEHIND);
    assert_int_equal(gtid_maria_state_compare(&b, &a), GTID_CMP_AHEAD);
    assert_int_equal(gtid_maria_state_parse(&b, "0-1-10,1-1-5,2-1-1", 18, &why), 0);
    assert_int_equal(gtid_maria_state_compare(&a, &b), GTID_CMP_BEHIND);
    assert_int_equal(gtid_maria_state_parse(&b, "0-1-11,1-1-4", 12, &why), 0);
    assert_int_equal(gtid_maria_state_compare(&a, &b), GTID_CMP_DIVERGED);
    assert_int_equal(gtid_maria_state_parse(&b, "0-2-10,1-1-5", 12, &why), 0);
    assert_int_equal(gtid_maria_state_compare(&a, &b), GTID_CMP_DIVERGED);   /* same seq, other server */
    assert_int_equal(gtid_maria_state_parse(&b, "1-1-5", 5, &why), 0);
    assert_int_equal(gtid_maria_state_compare(&a, &b), GTID_CMP_AHEAD);
    gtid_maria_state_init(&b);
    assert_int_equal(gtid_maria_state_compare(&b, &b), GTID_CMP_EQUAL);
    assert_string_equal(gtid_cmp_name(GTID_CMP_DIVERGED), "DIVERGED");
    assert_string_equal(gtid_cmp_name(GTID_CMP_EQUAL), "EQUAL");
}

static void test_maria_from_list(void **state)
{
    (void)state;
    /* Domain 0 listed twice (two servers): the later entry is the domain's newest. */
    uint8_t ent[3 * 16];
    wire_put_u32(ent, 0); wire_put_u32(ent + 4, 1); wire_put_u64(ent + 8, 50);
    wire_put_u32(ent + 16, 3); wire_put_u32(ent + 20, 1); wire_put_u64(ent + 24, 7);
    wire_put_u32(ent + 32, 0); wire_put_u32(ent + 36, 2); wire_put_u64(ent + 40, 51);
    struct ev_gtid_list l = {3, 0, ent};
    struct gtid_maria_state s;
    const char *why;
    assert_int_equal(gtid_maria_state_from_list(&s, &l, &why), 0);
    char out[128];
    gtid_maria_state_format(&s, out, sizeof(out));
    assert_string_equal(out, "0-2-51,3-1-7");
    l.count = 0;
    assert_int_equal(gtid_maria_state_from_list(&s, &l, &why), 0);
    assert_int_equal(s.n, 0);
}

/* ---------------------------------------------------------------- MySQL */

static const char *U1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
static const char *U2 = "00000000-0000-0000-0000-000000000001";

static void test_uuid(void **state)
{
    (void)state;
    uint8_t u[16];
    char out[GTID_UUID_STR_LEN + 1];
    assert_int_equal(gtid_uuid_parse(U1, 36, u), 0);
    assert_int_equal(u[0], 0x3e);
    assert_int_equal(u[15], 0x62);
    gtid_uuid_format(u, out);
    assert_string_equal(out, U1);
    assert_int_equal(gtid_uuid_parse("3E11FA47-71CA-11E1-9E33-C80AA9429562", 36, u), 0);
    gtid_uuid_format(u, out);
    assert_string_equal(out, U1);
    assert_int_equal(gtid_uuid_parse("3e11fa4771ca11e19e33c80aa9429562", 32, u), 0);
    gtid_uuid_format(u, out);
    assert_string_equal(out, U1);
    static const char *bad[] = {
        "3e11fa47-71ca-11e1-9e33-c80aa942956", "3e11fa47-71ca-11e1-9e33-c80aa94295622", "3e11fa47071ca-11e1-9e33-c80aa9429562",
        "3e11fa47-71ca-11e1-9e33-c80aa942956g", "", "3e11fa47-71ca-11e1-9e33c-80aa9429562", "3e11fa4771ca11e19e33c80aa942956",
        "{3e11fa47-71ca-11e1-9e33-c80aa94295}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (gtid_uuid_parse(bad[i], strlen(bad[i]), u) == 0) fail_msg("accepted '%s'", bad[i]);
}

static void test_mysql_text(void **state)
{
    (void)state;
    struct gtid_mysql_set *s = gtid_mysql_set_new();
    assert_non_null(s);
    const char *why = NULL;
    char txt[512], out[512];
    snprintf(txt, sizeof(txt), "%s:7:1-5:6, \n %s:3-4:10-20:21", U1, U2);
    assert_int_equal(gtid_mysql_set_parse(s, txt, strlen(txt), &why), 0);
    size_t n = gtid_mysql_set_format(s, out, sizeof(out));
    char want[512];
    snprintf(want, sizeof(want), "%s:3-4:10-21,%s:1-7", U2, U1);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    uint8_t u1[16], u2[16];
    gtid_uuid_parse(U1, 36, u1);
    gtid_uuid_parse(U2, 36, u2);
    assert_true(gtid_mysql_set_contains(s, u1, 1));
    assert_true(gtid_mysql_set_contains(s, u1, 7));
    assert_false(gtid_mysql_set_contains(s, u1, 8));
    assert_false(gtid_mysql_set_contains(s, u1, 0));
    assert_false(gtid_mysql_set_contains(s, u2, 5));
    assert_true(gtid_mysql_set_contains(s, u2, 21));
    assert_false(gtid_mysql_set_contains(s, u2, 22));
    /* Union of single GTIDs: fill the hole 5..9 and merge everything. */
    for (int64_t g = 5; g <= 9; g++) assert_int_equal(gtid_mysql_set_add(s, u2, g), 0);
    gtid_mysql_set_format(s, out, sizeof(out));
    snprintf(want, sizeof(want), "%s:3-21,%s:1-7", U2, U1);
    assert_string_equal(out, want);
    assert_int_equal(s->n_intervals, 2);
    assert_int_equal(gtid_mysql_set_add(s, u2, 1), 0);
    assert_int_equal(gtid_mysql_set_add(s, u2, 1), 0);   /* idempotent */
    assert_int_equal(s->n_intervals, 3);
    assert_int_equal(gtid_mysql_set_add(s, u2, 0), -1);
    assert_int_equal(gtid_mysql_set_add(s, u2, -5), -1);
    assert_int_equal(gtid_mysql_set_add(s, u2, INT64_MAX), -1);
    assert_int_equal(gtid_mysql_set_add(s, u2, INT64_MAX - 1), 0);
    /* A big interval swallowing several. */
    assert_int_equal(gtid_mysql_set_add_interval(s, u2, 1, 100), 0);
    gtid_mysql_set_format(s, out, sizeof(out));
    snprintf(want, sizeof(want), "%s:1-99:9223372036854775806,%s:1-7", U2, U1);
    assert_string_equal(out, want);
    /* Empty text; hostile text leaves the set empty. */
    assert_int_equal(gtid_mysql_set_parse(s, " ", 1, &why), 0);
    assert_int_equal(gtid_mysql_set_format(s, out, sizeof(out)), 0);
    static const char *bad_iv[] = {":", ":0", ":5-3", ":1-", ":-1", ":a", ":1-2-3", ":9223372036854775807",
                                   ":1-9223372036854775807", ":18446744073709551616", ":1:", "", ":1,", ":1 2"};
    for (size_t i = 0; i < sizeof(bad_iv) / sizeof(bad_iv[0]); i++) {
        snprintf(txt, sizeof(txt), "%s%s", U1, bad_iv[i]);
        assert_int_equal(gtid_mysql_set_parse(s, "00000000-0000-0000-0000-000000000001:1", 38, &why), 0);
        why = NULL;
        if (gtid_mysql_set_parse(s, txt, strlen(txt), &why) == 0) fail_msg("accepted '%s'", txt);
        assert_non_null(why);
        assert_int_equal(s->n_intervals, 0);
        assert_int_equal(gtid_mysql_set_format(s, out, sizeof(out)), 0);
    }
    assert_int_equal(gtid_mysql_set_parse(s, "nope:1", 6, &why), -1);
    assert_int_equal(gtid_mysql_set_parse(s, "9223372036854775806", 19, &why), -1);
    snprintf(txt, sizeof(txt), "%s:9223372036854775806", U1);
    assert_int_equal(gtid_mysql_set_parse(s, txt, strlen(txt), &why), 0);
    gtid_mysql_set_free(s);
    gtid_mysql_set_free(NULL);
}

static void test_mysql_binary(void **state)
{
    (void)state;
    struct gtid_mysql_set *s = gtid_mysql_set_new(), *t = gtid_mysql_set_new();
    const char *why = NULL;
    char txt[256], a[256], b[256];
    snprintf(txt, sizeof(txt), "%s:1-5:7:9-12,%s:100", U1, U2);
    assert_int_equal(gtid_mysql_set_parse(s, txt, strlen(txt), &why), 0);
    size_t need = gtid_mysql_set_encoded_len(s);
    assert_int_equal(need, 8 + (24 + 3 * 16) + (24 + 16));
    uint8_t enc[512];
    assert_int_equal(gtid_mysql_set_encode(s, enc, need - 1), 0);
    assert_int_equal(gtid_mysql_set_encode(s, enc, sizeof(enc)), need);
    assert_int_equal(wire_u64(enc), 2);
    /* The documented example: uuid:1-5 is start 1, end 6 (exclusive). */
    assert_int_equal(wire_u64(enc + 8 + 24 + 40), 1);   /* U1's first interval (U2 sorts first) */
    assert_int_equal(wire_u64(enc + 8 + 24 + 40 + 8), 6);
    assert_int_equal(wire_u64(enc + 8 + 24 + 8), 101);     /* U2:100 is [100, 101) */
    assert_int_equal(gtid_mysql_set_decode(t, enc, need, &why), 0);
    gtid_mysql_set_format(s, a, sizeof(a));
    gtid_mysql_set_format(t, b, sizeof(b));
    assert_string_equal(a, b);
    /* Empty set: 8 zero bytes both ways. */
    gtid_mysql_set_clear(s);
    assert_int_equal(gtid_mysql_set_encode(s, enc, sizeof(enc)), 8);
    assert_int_equal(wire_u64(enc), 0);
    assert_int_equal(gtid_mysql_set_decode(t, enc, 8, &why), 0);
    assert_int_equal(t->n_intervals, 0);
    /* Every truncation of a valid encoding is refused. */
    snprintf(txt, sizeof(txt), "%s:1-5:7:9-12,%s:100", U1, U2);
    gtid_mysql_set_parse(s, txt, strlen(txt), &why);
    need = gtid_mysql_set_encode(s, enc, sizeof(enc));
    for (size_t l = 0; l < need; l++) {
        uint8_t *c = malloc(l ? l : 1);
        memcpy(c, enc, l);
        assert_int_equal(gtid_mysql_set_decode(t, c, l, &why), -1);
        assert_int_equal(t->n_intervals, 0);
        free(c);
    }
    /* Trailing garbage. */
    assert_int_equal(gtid_mysql_set_decode(t, enc, need + 1, &why), -1);
    gtid_mysql_set_free(s);
    gtid_mysql_set_free(t);
}

/* One sid with the given intervals, as raw bytes. */
static size_t enc1(uint8_t *p, uint64_t n_sids, uint64_t n_iv, const int64_t *iv, size_t n_pairs)
{
    wire_put_u64(p, n_sids);
    memset(p + 8, 0xAB, 16);
    wire_put_u64(p + 24, n_iv);
    for (size_t i = 0; i < n_pairs; i++) {
        wire_put_u64(p + 32 + i * 16, (uint64_t)iv[2 * i]);
        wire_put_u64(p + 40 + i * 16, (uint64_t)iv[2 * i + 1]);
    }
    return 32 + n_pairs * 16;
}

static void test_mysql_binary_hostile(void **state)
{
    (void)state;
    struct gtid_mysql_set *t = gtid_mysql_set_new();
    const char *why;
    uint8_t b[256];
    const int64_t ok[] = {1, 6, 8, 9};
    size_t n = enc1(b, 1, 2, ok, 2);
    assert_int_equal(gtid_mysql_set_decode(t, b, n, &why), 0);
    assert_int_equal(t->n_intervals, 2);
    /* Counts the bytes cannot hold. */
    static const uint64_t huge[] = {2, 0xFFFFFFFFull, 0x00FFFFFFFFFFFFFFull, 1ull << 55};
    for (size_t i = 0; i < 4; i++) {
        n = enc1(b, huge[i], 2, ok, 2);
        why = NULL;
        assert_int_equal(gtid_mysql_set_decode(t, b, n, &why), -1);
        assert_non_null(why);
        n = enc1(b, 1, huge[i] + 1, ok, 2);
        assert_int_equal(gtid_mysql_set_decode(t, b, n, &why), -1);
    }
    n = enc1(b, 1, UINT64_MAX, ok, 2);
    assert_int_equal(gtid_mysql_set_decode(t, b, n, &why), -1);
    /* Tagged (8.3+) format code in the top byte. */
    n = enc1(b, (1ull << 56) | 1, 2, ok, 2);
    assert_int_equal(gtid_mysql_set_decode(t, b, n, &why), -1);
    /* Bad intervals: reversed, empty, zero/negative start, overlapping, adjacent, unsorted. */
    static const int64_t bad[][4] = {
        {6, 1, 8, 9}, {1, 1, 8, 9}, {0, 5, 8, 9}, {-5, 5, 8, 9}, {1, 6, 5, 9}, {1, 6, 6, 9}, {8, 9, 1, 6},
        {1, 6, 8, 8}, {1, INT64_MIN, 8, 9}, {INT64_MIN, 6, 8, 9},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        n = enc1(b, 1, 2, bad[i], 2);
        if (gtid_mysql_set_decode(t, b, n, &why) == 0) fail_msg("accepted interval set %zu", i);
        assert_int_equal(t->n_intervals, 0);
    }
    /* The same UUID twice. */
    n = enc1(b, 2, 1, ok, 1);
    memcpy(b + n, b + 8, 24 + 16);
    assert_int_equal(gtid_mysql_set_decode(t, b, n + 40, &why), -1);
    /* A sid with no intervals is harmless. */
    n = enc1(b, 1, 0, ok, 0);
    assert_int_equal(gtid_mysql_set_decode(t, b, n, &why), 0);
    assert_int_equal(gtid_mysql_set_decode(t, NULL, 0, &why), -1);
    gtid_mysql_set_free(t);
}

/* Many sids and intervals: the bounds hold and memory is reused after clear. */
static void test_mysql_scale(void **state)
{
    (void)state;
    struct gtid_mysql_set *s = gtid_mysql_set_new(), *t = gtid_mysql_set_new();
    uint8_t u[16] = {0};
    for (int k = 0; k < 3; k++) {
        gtid_mysql_set_clear(s);
        for (uint32_t i = 0; i < 300; i++) {
            wire_put_u32(u, i * 2654435761u);
            for (int64_t g = 1; g < 40; g += 2) assert_int_equal(gtid_mysql_set_add(s, u, g), 0);
        }
        assert_int_equal(s->n, 300);
        assert_int_equal(s->n_intervals, 300 * 20);
    }
    size_t need = gtid_mysql_set_encoded_len(s);
    uint8_t *enc = malloc(need);
    assert_int_equal(gtid_mysql_set_encode(s, enc, need), need);
    const char *why;
    assert_int_equal(gtid_mysql_set_decode(t, enc, need, &why), 0);
    assert_int_equal(t->n_intervals, 300 * 20);
    size_t tl = gtid_mysql_set_format(s, NULL, 0);
    char *txt = malloc(tl + 1);
    assert_int_equal(gtid_mysql_set_format(s, txt, tl + 1), tl);
    assert_int_equal(gtid_mysql_set_parse(t, txt, tl, &why), 0);
    assert_int_equal(t->n_intervals, 300 * 20);
    /* Hostile order: 200k single GTIDs, descending, in one text. Must stay fast (sorted merge). */
    size_t cap = 40 + 200000 * 12;
    char *desc = malloc(cap);
    size_t dl = (size_t)snprintf(desc, cap, "%s", U1);
    for (int64_t g = 400000; g > 0; g -= 2) dl += (size_t)snprintf(desc + dl, cap - dl, ":%lld", (long long)g);
    assert_int_equal(gtid_mysql_set_parse(t, desc, dl, &why), 0);
    assert_int_equal(t->n_intervals, 200000);
    uint8_t u1[16];
    gtid_uuid_parse(U1, 36, u1);
    assert_true(gtid_mysql_set_contains(t, u1, 400000));
    assert_false(gtid_mysql_set_contains(t, u1, 399999));
    free(desc);
    /* The sid bound. */
    gtid_mysql_set_clear(s);
    int rc = 0;
    for (uint32_t i = 0; i <= GTID_MYSQL_MAX_SIDS && rc == 0; i++) {
        wire_put_u32(u, i);
        rc = gtid_mysql_set_add(s, u, 1);
    }
    assert_int_equal(rc, -1);
    assert_int_equal(s->n, GTID_MYSQL_MAX_SIDS);
    free(enc);
    free(txt);
    gtid_mysql_set_free(s);
    gtid_mysql_set_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maria_one),
        cmocka_unit_test(test_maria_state_parse_format),
        cmocka_unit_test(test_maria_state_ops),
        cmocka_unit_test(test_maria_from_list),
        cmocka_unit_test(test_uuid),
        cmocka_unit_test(test_mysql_text),
        cmocka_unit_test(test_mysql_binary),
        cmocka_unit_test(test_mysql_binary_hostile),
        cmocka_unit_test(test_mysql_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
