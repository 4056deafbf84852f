/* test_gtid_start.c - serving a MariaDB GTID replica (resolve + per-event skipping + the fake
 * GTID_LIST), the continuity rule for a new primary, and the stored upstream settings. All on
 * byte arrays and texts, malformed inputs included. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/checksum.h"
#include "protocol/errmsg.h"
#include "protocol/event.h"
#include "protocol/gtid_start.h"
#include "protocol/wire.h"
#include "server/upstream/continuity.h"
#include "server/upstream/upstream_conf.h"
#include "tests/unit/evgen.h"

#define CAP (1u << 16)

static const struct gtid_start_file files3[] = {
    {"b.000001", 1, GTID_TRACK_MARIA, ""},
    {"b.000002", 1, GTID_TRACK_MARIA, "0-1-10"},
    {"b.000003", 1, GTID_TRACK_MARIA, "0-1-20,1-2-5"},
};

static int resolve(struct gtid_start *gs, const char *req, int strict, const char *state, size_t *at, struct myerr *e)
{
    gtid_start_init(gs);
    return gtid_start_resolve(gs, req, strlen(req), strict, 0, state, files3, 3, at, e);
}

static void test_resolve_files(void **state)
{
    (void)state;
    struct gtid_start gs;
    struct myerr e;
    size_t at = 99;
    const char *bl = "0-1-30,1-2-9";
    /* mid-file of b.000002 */
    /* b.000003 starts past 0-1-15; b.000002's list (0-1-10) is contained, domain 1 unconstrained */
    assert_int_equal(resolve(&gs, "0-1-15,1-2-1", 0, bl, &at, &e), 0);
    assert_int_equal(at, 1);
    gtid_start_free(&gs);
    assert_int_equal(resolve(&gs, "0-1-15", 0, bl, &at, &e), 0);
    /* domain 1 is in b.000003's list but not requested: the replica needs it from its start */
    assert_int_equal(at, 1);
    assert_int_equal(gs.want.n, 1);
    gtid_start_free(&gs);
    /* exactly a file's list: nothing left to skip in that domain */
    assert_int_equal(resolve(&gs, "0-1-20,1-2-5", 0, bl, &at, &e), 0);
    assert_int_equal(at, 2);
    assert_int_equal(gs.want.n, 0);
    assert_true(gtid_start_idle(&gs));
    gtid_start_free(&gs);
    /* empty state: from the very beginning */
    assert_int_equal(resolve(&gs, "", 0, bl, &at, &e), 0);
    assert_int_equal(at, 0);
    gtid_start_free(&gs);
    /* a domain the binlog never had is accepted (checked if it shows up) */
    assert_int_equal(resolve(&gs, "0-1-25,1-2-7,7-1-3", 0, bl, &at, &e), 0);
    assert_int_equal(at, 2);
    assert_false(gtid_start_reached(&gs));
    gtid_start_free(&gs);
}

static void test_resolve_errors(void **state)
{
    (void)state;
    struct gtid_start gs;
    struct myerr e;
    size_t at;
    const char *bl = "0-1-30,1-2-9";
    assert_int_equal(resolve(&gs, "0-1-31", 0, bl, &at, &e), -1);
    assert_int_equal(e.code, 1236);
    assert_non_null(strstr(e.msg, "GTID 0-1-31, which is not in the master's binlog"));
    assert_null(strstr(e.msg, "diverged"));
    gtid_start_free(&gs);
    assert_int_equal(resolve(&gs, "0-5-12", 0, bl, &at, &e), -1);
    assert_non_null(strstr(e.msg, "diverged"));
    gtid_start_free(&gs);
    static const char *bad[] = {"0-1", "x", "0-1-5,", "0-1-5,,1-1-1", "0-1-5;1-1-1", "4294967296-1-1", "0-1-99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(resolve(&gs, bad[i], 0, bl, &at, &e), -1);
        assert_int_equal(e.code, 1941);
        gtid_start_free(&gs);
    }
    assert_int_equal(resolve(&gs, "0-1-5,0-2-6", 0, bl, &at, &e), -1);
    assert_int_equal(e.code, 1943);
    assert_string_equal(e.msg, "GTID 0-2-6 and 0-1-5 conflict (duplicate domain id 0)");
    gtid_start_free(&gs);
    /* history purged: the first stored file already starts past the request */
    static const struct gtid_start_file purged[] = {{"b.000002", 1, GTID_TRACK_MARIA, "0-1-10"}, {"b.000003", 1, GTID_TRACK_MARIA, "0-1-20"}};
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve(&gs, "0-1-5", 5, 0, 0, "0-1-30", purged, 2, &at, &e), -1);
    assert_non_null(strstr(e.msg, "Could not find GTID state requested by slave in any binlog files"));
    gtid_start_free(&gs);
    /* a file whose GTIDs could not be read is never guessed over */
    static const struct gtid_start_file unk[] = {{"b.000001", 1, GTID_TRACK_MARIA, ""}, {"b.000002", 0, GTID_TRACK_NONE, ""}};
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve(&gs, "0-1-5", 5, 0, 0, "0-1-30", unk, 2, &at, &e), -1);
    assert_non_null(strstr(e.msg, "Could not read GTID list"));
    gtid_start_free(&gs);
    /* damaged cached list */
    static const struct gtid_start_file dmg[] = {{"b.000001", 1, GTID_TRACK_MARIA, "0-1-x"}};
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve(&gs, "0-1-5", 5, 0, 0, "0-1-30", dmg, 1, &at, &e), -1);
    gtid_start_free(&gs);
}

/* Feed a synthetic file (after its FDE) through the filter; record what is sent. */
struct run {
    char sent[64][16];
    int nsent, fakes;
    uint32_t fake_pos[4];
};

static enum gtid_start_verdict one(struct gtid_start *gs, struct run *r, const uint8_t *ev, size_t len, const char *tag)
{
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    int fake = 0;
    struct myerr e;
    enum gtid_start_verdict v = gtid_start_event(gs, ev, len, len, &fmt, &fake, &e);
    if (v == GTID_START_SEND) snprintf(r->sent[r->nsent++], 16, "%s", tag);
    if (fake) r->fake_pos[r->fakes++] = wire_u32(ev + 13);
    return v;
}

static void group(struct gtid_start *gs, struct run *r, struct evgen *g, uint8_t *buf, uint64_t seq, int standalone)
{
    char tag[16];
    snprintf(tag, sizeof(tag), "g%llu", (unsigned long long)seq);
    size_t n = evgen_gtid(g, buf, CAP, 0, seq, standalone ? EV_MGTID_STANDALONE : EV_MGTID_TRANSACTIONAL);
    assert_int_not_equal(one(gs, r, buf, n, tag), GTID_START_ERROR);
    snprintf(tag, sizeof(tag), "q%llu", (unsigned long long)seq);
    n = evgen_query(g, buf, CAP, "w", standalone ? "CREATE TABLE t (a INT)" : "INSERT INTO t VALUES (1)");
    assert_int_not_equal(one(gs, r, buf, n, tag), GTID_START_ERROR);
    if (!standalone) {
        snprintf(tag, sizeof(tag), "x%llu", (unsigned long long)seq);
        n = evgen_xid(g, buf, CAP, seq);
        assert_int_not_equal(one(gs, r, buf, n, tag), GTID_START_ERROR);
    }
}

static void test_skip_and_fake_list(void **state)
{
    (void)state;
    uint8_t *buf = malloc(CAP);
    struct gtid_start gs;
    struct myerr e;
    size_t at;
    static const struct gtid_start_file one_file[] = {{"b.000001", 1, GTID_TRACK_MARIA, ""}};
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve(&gs, "0-1-2", 5, 0, 0, "0-1-5", one_file, 1, &at, &e), 0);
    struct evgen g;
    evgen_init(&g);
    g.pos = 300;
    struct run r = {0};
    group(&gs, &r, &g, buf, 1, 0);
    group(&gs, &r, &g, buf, 2, 1);   /* the requested GTID, standalone: skipped, then the fake list */
    uint64_t reached_end = g.pos;
    group(&gs, &r, &g, buf, 3, 0);
    assert_int_equal(r.nsent, 3);
    assert_string_equal(r.sent[0], "g3");
    assert_string_equal(r.sent[2], "x3");
    assert_int_equal(r.fakes, 1);
    assert_int_equal(r.fake_pos[0], (uint32_t)reached_end);
    assert_true(gtid_start_idle(&gs));
    /* the fake GTID_LIST: artificial, log_pos given, lists what was seen, CRC valid */
    uint8_t fl[256];
    size_t n = gtid_start_fake_list(&gs, fl, sizeof(fl), 77, (uint32_t)reached_end, EV_CHECKSUM_CRC32);
    assert_int_equal(n, EV_HEADER_LEN + 4 + 16 * 1 + 4);   /* one (domain, server) pair */
    assert_int_equal(fl[4], EV_GTID_LIST);
    assert_int_equal(wire_u16(fl + EV_FLAGS_OFFSET) & EV_F_ARTIFICIAL, EV_F_ARTIFICIAL);
    assert_int_equal(wire_u32(fl + 5), 77);
    assert_int_equal(ev_crc32_verify(fl, n), 0);
    struct ev_gtid_list gl;
    const char *why;
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    assert_int_equal(ev_gtid_list_parse(fl, n, &fmt, &gl, &why), EV_OK);
    assert_int_equal(gl.count, 1);   /* one (domain, server) pair: its most recent GTID */
    uint32_t d, sv;
    uint64_t seq;
    ev_gtid_list_get(&gl, 0, &d, &sv, &seq);
    assert_int_equal(seq, 2);   /* up to the reached GTID */
    gtid_start_free(&gs);
    free(buf);
}

static void test_strict_hole(void **state)
{
    (void)state;
    uint8_t *buf = malloc(CAP);
    static const struct gtid_start_file one_file[] = {{"b.000001", 1, GTID_TRACK_MARIA, ""}};
    for (int strict = 0; strict <= 1; strict++) {
        struct gtid_start gs;
        struct myerr e;
        size_t at;
        gtid_start_init(&gs);
        /* the binlog has 0-1-1 and 0-1-3 (no 2); the replica asks for 2 */
        assert_int_equal(gtid_start_resolve(&gs, "0-1-2", 5, strict, 0, "0-1-3", one_file, 1, &at, &e), 0);
        struct evgen g;
        evgen_init(&g);
        g.pos = 300;
        struct run r = {0};
        group(&gs, &r, &g, buf, 1, 0);
        size_t n = evgen_gtid(&g, buf, CAP, 0, 3, EV_MGTID_TRANSACTIONAL);
        int fake = 0;
        struct ev_fmt fmt;
        ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
        enum gtid_start_verdict v = gtid_start_event(&gs, buf, n, n, &fmt, &fake, &e);
        if (strict) {
            assert_int_equal(v, GTID_START_ERROR);
            assert_int_equal(e.code, 1236);
            assert_non_null(strstr(e.msg, "missing the GTID 0-1-2"));
        } else {
            /* sent, and the fake list follows the GTID event itself */
            assert_int_equal(v, GTID_START_SEND);
            assert_int_equal(fake, 1);
        }
        gtid_start_free(&gs);
    }
    free(buf);
}

static void test_hostile_events(void **state)
{
    (void)state;
    struct gtid_start gs;
    struct myerr e;
    size_t at;
    static const struct gtid_start_file one_file[] = {{"b.000001", 1, GTID_TRACK_MARIA, ""}};
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve(&gs, "0-1-2", 5, 0, 0, "0-1-3", one_file, 1, &at, &e), 0);
    uint8_t buf[128];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_gtid(&g, buf, sizeof(buf), 0, 1, 0);
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    int fake;
    /* every truncation of a GTID event is refused (the caller must pass it whole) */
    for (size_t k = 0; k < n; k++) assert_int_equal(gtid_start_event(&gs, buf, k, n, &fmt, &fake, &e), GTID_START_ERROR);
    /* a GTID event whose body is too short for seq + domain + flags */
    uint8_t shortb[EV_HEADER_LEN + 6 + 4];
    evgen_init(&g);
    n = evgen_event(&g, shortb, sizeof(shortb), EV_MARIA_GTID, 0, NULL, 6);
    assert_int_equal(gtid_start_event(&gs, shortb, n, n, &fmt, &fake, &e), GTID_START_ERROR);
    gtid_start_free(&gs);
}

static void test_continuity_compare(void **state)
{
    (void)state;
    char msg[2048];
    assert_int_equal(continuity_compare("0-1-100", "0-1-100", "c:1", msg, sizeof(msg)), CONT_OK);
    assert_int_equal(continuity_compare("0-1-100,1-2-5", "1-2-5,0-1-100", "c:1", msg, sizeof(msg)), CONT_OK);
    /* the new primary lacks binlogd's last transactions */
    assert_int_equal(continuity_compare("0-1-100", "0-1-97", "c:1", msg, sizeof(msg)), CONT_UPSTREAM_BEHIND);
    assert_non_null(strstr(msg, "missing on c:1: 0-1-98..0-1-100"));
    assert_non_null(strstr(msg, "FLUSH BINARY LOGS"));
    /* an errant transaction on the candidate */
    assert_int_equal(continuity_compare("0-1-100", "0-3-101", "c:1", msg, sizeof(msg)), CONT_UPSTREAM_AHEAD);
    assert_non_null(strstr(msg, "missing on binlogd: 0-3-101"));
    /* a domain only the candidate has */
    assert_int_equal(continuity_compare("0-1-100", "0-1-100,5-3-2", "c:1", msg, sizeof(msg)), CONT_UPSTREAM_AHEAD);
    assert_non_null(strstr(msg, "5-3-1..5-3-2"));
    /* each side ahead somewhere, or the same seq from two servers */
    assert_int_equal(continuity_compare("0-1-100,1-1-5", "0-1-99,1-1-6", "c:1", msg, sizeof(msg)), CONT_DIVERGED);
    assert_int_equal(continuity_compare("0-1-100", "0-2-100", "c:1", msg, sizeof(msg)), CONT_DIVERGED);
    assert_non_null(strstr(msg, "will not splice"));
    assert_int_equal(continuity_compare("0-1-x", "0-1-1", "c:1", msg, sizeof(msg)), CONT_BAD_STATE);
    assert_int_equal(continuity_compare("0-1-1", "garbage", "c:1", msg, sizeof(msg)), CONT_BAD_STATE);
    /* a tiny buffer is never overrun */
    char tiny[8];
    assert_int_equal(continuity_compare("0-1-100", "0-1-97", "c:1", tiny, sizeof(tiny)), CONT_UPSTREAM_BEHIND);
    assert_true(strlen(tiny) < sizeof(tiny));
}

static void test_continuity_name(void **state)
{
    (void)state;
    const char *stored[] = {"p-bin.000001", "p-bin.000009"};
    char msg[512];
    assert_int_equal(continuity_name(stored, 2, "c-bin.000002", msg, sizeof(msg)), CONT_OK);
    assert_int_equal(continuity_name(stored, 2, "p-bin.000010", msg, sizeof(msg)), CONT_OK);
    assert_int_equal(continuity_name(stored, 2, "p-bin.000009", msg, sizeof(msg)), CONT_NAME_CLASH);
    assert_int_equal(continuity_name(stored, 2, "p-bin.000004", msg, sizeof(msg)), CONT_NAME_CLASH);
    assert_non_null(strstr(msg, "6 more time(s)"));
    assert_int_equal(continuity_name(stored, 2, "p-bin.000001", msg, sizeof(msg)), CONT_NAME_CLASH);
    assert_int_equal(continuity_name(NULL, 0, "x.000001", msg, sizeof(msg)), CONT_OK);
}

static void test_upstream_conf(void **state)
{
    (void)state;
    struct upstream_conf c = {0}, back = {0};
    snprintf(c.host, sizeof(c.host), "db2");
    c.port = 3307;
    snprintf(c.user, sizeof(c.user), "repl");
    snprintf(c.password, sizeof(c.password), "p=a:s s");
    snprintf(c.log_file, sizeof(c.log_file), "c-bin.000002");
    c.use_gtid = 1;
    c.switch_pending = 1;
    char text[2048], err[256];
    size_t n = upstream_conf_format(&c, text, sizeof(text));
    assert_true(n < sizeof(text));
    assert_int_equal(upstream_conf_parse(&back, text, n, err, sizeof(err)), 0);
    assert_memory_equal(&c, &back, sizeof(c));
    static const char *bad[] = {"host", "port=70000", "port=x", "use_gtid=2", "what=1", "switch_pending=",
                                "port=99999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(upstream_conf_parse(&back, bad[i], strlen(bad[i]), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "line 1"));
    }
    char longhost[400];
    memset(longhost, 'h', sizeof(longhost));
    memcpy(longhost, "host=", 5);
    assert_int_equal(upstream_conf_parse(&back, longhost, sizeof(longhost), err, sizeof(err)), -1);
}

static void test_mysql_resolve(void **state)
{
    (void)state;
    const char *U = "3e11fa47-71ca-11e1-9e33-c80aa9429562", *V = "4e11fa47-71ca-11e1-9e33-c80aa9429562";
    char prev2[128], exe[160], req[256];
    snprintf(prev2, sizeof(prev2), "%s:1-10", U);
    snprintf(exe, sizeof(exe), "%s:1-20", U);
    struct gtid_start_file files[] = {{"m.000001", 1, GTID_TRACK_MYSQL, ""}, {"m.000002", 1, GTID_TRACK_MYSQL, prev2}};
    struct gtid_mysql_set *set = gtid_mysql_set_new();
    uint8_t enc[4096];
    const char *why;
    struct gtid_start gs;
    struct myerr e;
    size_t at = 9;
    /* (replica set, expected file or -1, expected text) */
    struct { const char *set; int at; const char *err; } cases[] = {
        {"", 0, NULL},
        {"%U:1-5", 0, NULL},
        {"%U:1-10", 1, NULL},
        {"%U:1-15,%V:1-100", 1, NULL},           /* a server binlogd never saw: ignored */
        {"%U:1-21", -1, "Replica has more GTIDs"},
        {"%U:1-3:5-12", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* expand %U / %V */
        char *o = req;
        for (const char *c = cases[i].set; *c; c++) {
            if (c[0] == '%' && (c[1] == 'U' || c[1] == 'V')) { o += sprintf(o, "%s", c[1] == 'U' ? U : V); c++; }
            else *o++ = *c;
        }
        *o = 0;
        assert_int_equal(gtid_mysql_set_parse(set, req, strlen(req), &why), 0);
        size_t n = gtid_mysql_set_encode(set, enc, sizeof(enc));
        gtid_start_init(&gs);
        int rc = gtid_start_resolve_mysql(&gs, enc, n, exe, files, 2, &at, &e);
        if (cases[i].at < 0) {
            assert_int_equal(rc, -1);
            assert_int_equal(e.code, 1236);
            assert_non_null(strstr(e.msg, cases[i].err));
        } else {
            if (rc != 0) fail_msg("case %zu (%s): %s", i, req, e.msg);
            assert_int_equal(at, (size_t)cases[i].at);
        }
        gtid_start_free(&gs);
    }
    /* purged: the oldest stored file starts past what the replica has */
    struct gtid_start_file purged[] = {{"m.000002", 1, GTID_TRACK_MYSQL, prev2}};
    assert_int_equal(gtid_mysql_set_parse(set, "", 0, &why), 0);
    size_t n = gtid_mysql_set_encode(set, enc, sizeof(enc));
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve_mysql(&gs, enc, n, exe, purged, 1, &at, &e), -1);
    assert_non_null(strstr(e.msg, "purged required binary logs"));
    gtid_start_free(&gs);
    /* no GTIDs in the history: GTID_MODE OFF */
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve_mysql(&gs, enc, n, "", files, 2, &at, &e), -1);
    assert_non_null(strstr(e.msg, "GTID_MODE = OFF instead of ON"));
    gtid_start_free(&gs);
    /* hostile encodings: every truncation and a count larger than the bytes */
    snprintf(req, sizeof(req), "%s:1-5", U);
    assert_int_equal(gtid_mysql_set_parse(set, req, strlen(req), &why), 0);
    n = gtid_mysql_set_encode(set, enc, sizeof(enc));
    for (size_t k = 1; k < n; k++) {
        gtid_start_init(&gs);
        assert_int_equal(gtid_start_resolve_mysql(&gs, enc, k, exe, files, 2, &at, &e), -1);
        assert_int_equal(e.code, 1835);
        gtid_start_free(&gs);
    }
    wire_put_u64(enc, 1000000);
    gtid_start_init(&gs);
    assert_int_equal(gtid_start_resolve_mysql(&gs, enc, n, exe, files, 2, &at, &e), -1);
    gtid_start_free(&gs);
    gtid_mysql_set_free(set);
}

static void test_mysql_subset(void **state)
{
    (void)state;
    struct gtid_mysql_set *a = gtid_mysql_set_new(), *b = gtid_mysql_set_new();
    const char *why;
    const char *U = "3e11fa47-71ca-11e1-9e33-c80aa9429562:";
    char x[128], y[128];
    snprintf(x, sizeof(x), "%s2-4", U);
    snprintf(y, sizeof(y), "%s1-3:5-9", U);
    assert_int_equal(gtid_mysql_set_parse(a, x, strlen(x), &why), 0);
    assert_int_equal(gtid_mysql_set_parse(b, y, strlen(y), &why), 0);
    assert_false(gtid_mysql_set_subset(a, b));   /* 4 is missing */
    snprintf(y, sizeof(y), "%s1-9", U);
    assert_int_equal(gtid_mysql_set_parse(b, y, strlen(y), &why), 0);
    assert_true(gtid_mysql_set_subset(a, b));
    assert_false(gtid_mysql_set_subset(b, a));
    gtid_mysql_set_clear(a);
    assert_true(gtid_mysql_set_subset(a, b));   /* the empty set */
    gtid_mysql_set_free(a);
    gtid_mysql_set_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_files),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_skip_and_fake_list),
        cmocka_unit_test(test_strict_hole),
        cmocka_unit_test(test_hostile_events),
        cmocka_unit_test(test_continuity_compare),
        cmocka_unit_test(test_continuity_name),
        cmocka_unit_test(test_upstream_conf),
        cmocka_unit_test(test_mysql_resolve),
        cmocka_unit_test(test_mysql_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
