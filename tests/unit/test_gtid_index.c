/* test_gtid_index.c - the MariaDB binlog-state list, the per-file GTID tracker (synthetic
 * events, real MariaDB fixture files, MySQL files from mariadb-test-data), the GTID index
 * text format with hostile lines, and the store keeping and repairing it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/event.h"
#include "protocol/gtid_track.h"
#include "protocol/trx.h"
#include "protocol/wire.h"
#include "storage/gtid_index.h"
#include "storage/verify.h"
#include "storage/store.h"
#include "tests/unit/tmpdir.h"
#include "tests/unit/evgen.h"

#define CAP (1u << 16)

static char *blist_text(const struct gtid_blist *l)
{
    static char buf[4096];
    gtid_blist_format(l, buf, sizeof(buf));
    return buf;
}

static void test_blist_update_order(void **state)
{
    (void)state;
    struct gtid_blist l;
    gtid_blist_init(&l);
    struct gtid_maria g[] = {{0, 1, 5}, {0, 2, 3}, {1, 1, 7}, {0, 1, 6}, {2, 9, 1}, {1, 1, 8}};
    for (size_t i = 0; i < 6; i++) assert_int_equal(gtid_blist_update(&l, &g[i]), 0);
    /* each domain one run, most recent last */
    assert_string_equal(blist_text(&l), "0-2-3,0-1-6,1-1-8,2-9-1");
    assert_int_equal(gtid_blist_last(&l, 0)->server, 1);
    assert_int_equal(gtid_blist_find(&l, 0, 2)->seq, 3);
    assert_null(gtid_blist_find(&l, 1, 2));
    assert_null(gtid_blist_last(&l, 5));
    struct gtid_maria_state st;
    assert_int_equal(gtid_blist_to_state(&l, &st), 0);
    char out[256];
    gtid_maria_state_format(&st, out, sizeof(out));
    assert_string_equal(out, "0-1-6,1-1-8,2-9-1");
    /* a seq from server 2 in domain 0 makes it the domain's most recent */
    struct gtid_maria x = {0, 2, 9};
    assert_int_equal(gtid_blist_update(&l, &x), 0);
    assert_string_equal(blist_text(&l), "0-1-6,0-2-9,1-1-8,2-9-1");
    struct gtid_blist c;
    gtid_blist_init(&c);
    assert_int_equal(gtid_blist_copy(&c, &l), 0);
    assert_string_equal(blist_text(&c), "0-1-6,0-2-9,1-1-8,2-9-1");
    gtid_blist_free(&c);
    gtid_blist_free(&l);
}

static void test_blist_parse(void **state)
{
    (void)state;
    struct gtid_blist l;
    gtid_blist_init(&l);
    const char *why = NULL;
    const char *ok = "0-1-5, 0-2-3 ,1-1-18446744073709551615";
    assert_int_equal(gtid_blist_parse(&l, ok, strlen(ok), &why), 0);
    assert_string_equal(blist_text(&l), "0-1-5,0-2-3,1-1-18446744073709551615");
    assert_int_equal(gtid_blist_parse(&l, "", 0, &why), 0);
    assert_int_equal(l.n, 0);
    static const char *bad[] = {"0-1", "0-1-x", "0-1-1,", ",", "0-1-1,0-1-2", "4294967296-1-1", "0-1-18446744073709551616",
                                "-1-1", "0--1-1", "0-1-1;1-1-1", " , 0-1-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_int_equal(gtid_blist_parse(&l, bad[i], strlen(bad[i]), &why), -1);
        assert_non_null(why);
        assert_int_equal(l.n, 0);
    }
    gtid_blist_free(&l);
}

/* A GTID_LIST event body: count, then (domain, server, seq) entries. */
static size_t gen_gtid_list(struct evgen *g, uint8_t *out, const struct gtid_maria *v, uint32_t n)
{
    uint8_t body[4 + 16 * 8];
    wire_put_u32(body, n);
    for (uint32_t i = 0; i < n; i++) {
        wire_put_u32(body + 4 + 16 * i, v[i].domain);
        wire_put_u32(body + 8 + 16 * i, v[i].server);
        wire_put_u64(body + 12 + 16 * i, v[i].seq);
    }
    return evgen_event(g, out, CAP, EV_GTID_LIST, 0, body, 4 + 16 * (size_t)n);
}

struct feeder {
    struct trx_parser trx;
    struct ev_fmt fmt;
    struct gtid_track t;
};

/* Feed every event in buf[0..len) (builders may write a whole group). */
static void feed(struct feeder *f, const uint8_t *buf, size_t len)
{
    while (len) {
        size_t n = wire_u32(buf + 9);
        assert_true(n >= EV_HEADER_LEN && n <= len);
        const char *why = NULL;
        enum trx_verdict v = trx_feed(&f->trx, buf, n, &f->fmt, &why);
        if (v == TRX_BAD) fail_msg("trx: %s", why);
        assert_int_equal(gtid_track_feed(&f->t, buf, n, &f->fmt, v, &why), 0);
        buf += n;
        len -= n;
    }
}

static void feeder_init(struct feeder *f, uint8_t *buf, struct evgen *g)
{
    evgen_init(g);
    size_t n = evgen_fde(g, buf, CAP);
    struct ev_fde fde;
    const char *why;
    assert_int_equal(ev_fde_parse(buf, n, &fde, &why), EV_OK);
    ev_fmt_from_fde(&f->fmt, &fde);
    trx_init(&f->trx);
    gtid_track_init(&f->t);
}

static void test_track_synthetic(void **state)
{
    (void)state;
    uint8_t *buf = malloc(CAP);
    struct evgen g;
    struct feeder f;
    feeder_init(&f, buf, &g);
    struct gtid_maria start[] = {{0, 1, 4}, {1, 2, 10}};
    feed(&f, buf, gen_gtid_list(&g, buf, start, 2));
    assert_int_equal(f.t.flavor, GTID_TRACK_MARIA);
    for (uint64_t seq = 5; seq <= 7; seq++) feed(&f, buf, evgen_trx(&g, buf, CAP, seq, "INSERT INTO t VALUES (1)"));
    /* a standalone DDL group in domain 1 from server 1 */
    g.server_id = 1;
    feed(&f, buf, evgen_gtid(&g, buf, CAP, 1, 11, EV_MGTID_STANDALONE));
    feed(&f, buf, evgen_query(&g, buf, CAP, "test", "CREATE TABLE x (a INT)"));
    /* an unfinished group: not part of the end state */
    feed(&f, buf, evgen_gtid(&g, buf, CAP, 0, 8, EV_MGTID_TRANSACTIONAL));
    feed(&f, buf, evgen_query(&g, buf, CAP, "test", "INSERT INTO t VALUES (8)"));
    char s[256], e[256];
    gtid_track_format_start(&f.t, s, sizeof(s));
    gtid_track_format_end(&f.t, e, sizeof(e));
    assert_string_equal(s, "0-1-4,1-2-10");
    assert_string_equal(e, "0-1-7,1-2-10,1-1-11");
    assert_int_equal(f.t.groups, 4);
    char *te = gtid_track_end_text(&f.t);
    assert_string_equal(te, e);
    free(te);
    gtid_track_reset(&f.t);
    gtid_track_format_end(&f.t, e, sizeof(e));
    assert_string_equal(e, "");
    gtid_track_free(&f.t);
    free(buf);
}

static void test_track_hostile(void **state)
{
    (void)state;
    uint8_t *buf = malloc(CAP);
    struct evgen g;
    struct feeder f;
    feeder_init(&f, buf, &g);
    /* GTID_LIST claiming more entries than its body holds */
    uint8_t body[4 + 16];
    memset(body, 0, sizeof(body));
    wire_put_u32(body, 3);
    size_t n = evgen_event(&g, buf, CAP, EV_GTID_LIST, 0, body, sizeof(body));
    const char *why = NULL;
    assert_int_equal(gtid_track_feed(&f.t, buf, n, &f.fmt, TRX_OUTSIDE, &why), -1);
    assert_non_null(why);
    /* a GTID event cut short */
    gtid_track_reset(&f.t);
    n = evgen_event(&g, buf, CAP, EV_MARIA_GTID, 0, body, 5);
    why = NULL;
    assert_int_equal(gtid_track_feed(&f.t, buf, n, &f.fmt, TRX_INSIDE, &why), -1);
    assert_non_null(why);
    gtid_track_free(&f.t);
    free(buf);
}

static const char *fixtures(void)
{
    const char *d = getenv("BINLOGD_FIXTURES");
    return d && *d ? d : "build/fixtures";
}

static const char *std_data(void)
{
    const char *d = getenv("BINLOGD_STD_DATA");
    return d && *d ? d : "/usr/share/mysql/mysql-test/std_data";
}

/* Sorted "d-s-n" triples, so lists in different orders compare. */
static void canon(const char *text, char *out, size_t cap)
{
    struct gtid_blist l;
    gtid_blist_init(&l);
    const char *why;
    assert_int_equal(gtid_blist_parse(&l, text, strlen(text), &why), 0);
    for (uint32_t i = 1; i < l.n; i++)
        for (uint32_t k = i; k > 0; k--) {
            struct gtid_maria *a = &l.v[k - 1], *b = &l.v[k];
            if (a->domain < b->domain || (a->domain == b->domain && a->server <= b->server)) break;
            struct gtid_maria t = *a;
            *a = *b;
            *b = t;
        }
    gtid_blist_format(&l, out, cap);
    gtid_blist_free(&l);
}

/* Real MariaDB files written by this run: each file's GTID_LIST is exactly the state the
 * previous file ended with. */
static void test_track_real_chain(void **state)
{
    (void)state;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s", fixtures());
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd == -1) skip();
    struct gtid_track t;
    gtid_track_init(&t);
    char prev_end[4096] = "", err[512];
    int files = 0;
    for (int i = 1; i <= 6; i++) {
        char name[64];
        snprintf(name, sizeof(name), "f-bin.%06d", i);
        uint64_t size = 0;
        if (faccessat(dfd, name, F_OK, 0) == -1) break;
        if (gix_scan_file(dfd, name, &t, &size, err, sizeof(err)) == -1) fail_msg("%s", err);
        assert_int_equal(t.flavor, GTID_TRACK_MARIA);
        char *s = gtid_track_start_text(&t), *e = gtid_track_end_text(&t);
        if (i > 1) {
            char a[4096], b[4096];
            canon(prev_end, a, sizeof(a));
            canon(s, b, sizeof(b));
            assert_string_equal(a, b);
        }
        snprintf(prev_end, sizeof(prev_end), "%s", e);
        free(s);
        free(e);
        files++;
    }
    assert_true(files >= 3);
    gtid_track_free(&t);
    close(dfd);
}

static void test_track_mysql_files(void **state)
{
    (void)state;
    int dfd = open(std_data(), O_RDONLY | O_DIRECTORY);
    if (dfd == -1) skip();
    struct gtid_track t;
    gtid_track_init(&t);
    char err[512];
    uint64_t size = 0;
    /* MySQL 8.0 with PREVIOUS_GTIDS and anonymous GTIDs only */
    if (gix_scan_file(dfd, "mdev35643_mysql_80_binlog.000001", &t, &size, err, sizeof(err)) == -1) fail_msg("%s", err);
    assert_int_equal(t.flavor, GTID_TRACK_MYSQL);
    char *e = gtid_track_end_text(&t);
    assert_string_equal(e, "");
    free(e);
    assert_int_equal(size, 4438);
    /* MySQL 5.0: no GTIDs at all */
    if (gix_scan_file(dfd, "binlog_transaction.000001", &t, &size, err, sizeof(err)) == -1) fail_msg("%s", err);
    assert_int_equal(t.flavor, GTID_TRACK_NONE);
    /* MariaDB 10.0 with 1381 GTIDs */
    if (gix_scan_file(dfd, "mdev6020-mysql-bin.000001", &t, &size, err, sizeof(err)) == -1) fail_msg("%s", err);
    assert_int_equal(t.flavor, GTID_TRACK_MARIA);
    assert_true(t.groups >= 1000);
    gtid_track_free(&t);
    close(dfd);
}

static void test_gix_text(void **state)
{
    (void)state;
    struct gtid_index *ix = gix_new();
    assert_int_equal(gix_set(ix, "a.000001", 1000, GTID_TRACK_MARIA, "0-1-4", "0-1-9,1-2-3"), 0);
    assert_int_equal(gix_set(ix, "a.000002", 256, GTID_TRACK_NONE, "", ""), 0);
    assert_int_equal(gix_set(ix, "b.000001", 77, GTID_TRACK_MYSQL, "",
                             "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"), 0);
    char *text;
    size_t len;
    assert_int_equal(gix_format(ix, &text, &len), 0);
    struct gtid_index *back = gix_new();
    char err[256];
    if (gix_parse(back, text, len, err, sizeof(err)) != 0) fail_msg("%s", err);
    assert_int_equal(back->n, 3);
    assert_string_equal(gix_find(back, "a.000001")->end, "0-1-9,1-2-3");
    assert_int_equal(gix_find(back, "b.000001")->size, 77);
    assert_int_equal(gix_find(back, "b.000001")->flavor, GTID_TRACK_MYSQL);
    /* retain keeps index order and drops the rest */
    char *keep[] = {"b.000001", "a.000001"};
    gix_retain(back, keep, 2);
    assert_int_equal(back->n, 2);
    assert_string_equal(back->v[0].name, "b.000001");
    /* hostile or damaged lines: the whole file is refused (and rebuilt by the store) */
    static const char *bad[] = {
        "",
        "# something else\n",
        "# binlogd gtid index v1\na.000001\t10\tmariadb\t0-1-1\n",
        "# binlogd gtid index v1\na.000001\t10\tmariadb\t0-1-1\t0-1-2\t\n",
        "# binlogd gtid index v1\n../etc/passwd\t10\tnone\t\t\n",
        "# binlogd gtid index v1\na.000001\t-1\tnone\t\t\n",
        "# binlogd gtid index v1\na.000001\t99999999999999999999\tnone\t\t\n",
        "# binlogd gtid index v1\na.000001\t10\tpostgres\t\t\n",
        "# binlogd gtid index v1\na.000001\t10\tnone\t0-1-1\t\n",
        "# binlogd gtid index v1\na.000001\t10\tmariadb\t0-1-x\t\n",
        "# binlogd gtid index v1\na.000001\t10\tmysql\t\tnot-a-uuid:1\n",
        "# binlogd gtid index v1\na.000001\t10\tnone\t\t\na.000001\t10\tnone\t\t\n",
        "# binlogd gtid index v1\na.000001\t10\tnone\t\t",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(gix_parse(back, bad[i], strlen(bad[i]), err, sizeof(err)), -1);
        assert_true(err[0] != 0);
        assert_int_equal(back->n, 0);
    }
    /* every prefix of a good text either parses or is refused, never crashes */
    for (size_t k = 0; k < len; k++) (void)gix_parse(back, text, k, err, sizeof(err));
    free(text);
    gix_free(back);
    gix_free(ix);
}

/* ---- the store keeps the index ---- */

static int warns;
static void on_warn(void *arg, const char *msg) { (void)arg; (void)msg; warns++; }

static struct store *open_store(const char *dir)
{
    struct store_opts o = {.dir = dir, .sync = STORE_SYNC_TRX, .warn = on_warn};
    struct store *s = NULL;
    char err[512];
    warns = 0;
    if (store_open(&o, &s, err, sizeof(err)) != STORE_OK) fail_msg("store_open: %s", err);
    return s;
}

static void put(struct store *s, const uint8_t *buf, size_t len)
{
    char err[512];
    while (len) {
        size_t n = wire_u32(buf + 9);
        if (store_append(s, buf, n, err, sizeof(err)) != STORE_OK) fail_msg("append: %s", err);
        buf += n;
        len -= n;
    }
}

static void files_end(struct store *s, size_t i, const char *want_start, const char *want_end)
{
    struct store_gtid_file *v;
    size_t n;
    assert_int_equal(store_gtid_files(s, &v, &n), 0);
    assert_true(i < n);
    assert_true(v[i].known);
    assert_string_equal(v[i].start, want_start);
    assert_string_equal(v[i].end, want_end);
    store_gtid_files_free(v, n);
}

static void test_store_keeps_index(void **state)
{
    (void)state;
    char dir[] = "/tmp/binlogd-gix-XXXXXX";
    assert_non_null(mkdtemp(dir));
    uint8_t *buf = malloc(CAP);
    struct store *s = open_store(dir);
    char err[512];
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, buf, CAP);
    assert_int_equal(store_file_begin(s, "m.000001", buf, n, err, sizeof(err)), STORE_OK);
    struct gtid_maria st0[] = {{0, 1, 2}};
    put(s, buf, gen_gtid_list(&g, buf, st0, 1));
    put(s, buf, evgen_trx(&g, buf, CAP, 3, "INSERT INTO t VALUES (3)"));
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    files_end(s, 0, "0-1-2", "0-1-3");
    /* a complete group not yet synced is not visible to readers */
    put(s, buf, evgen_trx(&g, buf, CAP, 4, "INSERT INTO t VALUES (4)"));
    files_end(s, 0, "0-1-2", "0-1-3");
    put(s, buf, evgen_rotate(&g, buf, CAP, "m.000002", 4));
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    files_end(s, 0, "0-1-2", "0-1-4");
    evgen_init(&g);
    n = evgen_fde(&g, buf, CAP);
    assert_int_equal(store_file_begin(s, "m.000002", buf, n, err, sizeof(err)), STORE_OK);
    struct gtid_maria st1[] = {{0, 1, 4}};
    put(s, buf, gen_gtid_list(&g, buf, st1, 1));
    put(s, buf, evgen_trx(&g, buf, CAP, 5, "INSERT INTO t VALUES (5)"));
    /* a partial group, then a rollback */
    put(s, buf, evgen_gtid(&g, buf, CAP, 0, 6, EV_MGTID_TRANSACTIONAL));
    assert_int_equal(store_rollback_partial(s, err, sizeof(err)), STORE_OK);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    files_end(s, 1, "0-1-4", "0-1-5");
    store_free(s);

    /* reopened cleanly: the saved index is used, nothing rebuilt */
    s = open_store(dir);
    assert_int_equal(warns, 0);
    files_end(s, 0, "0-1-2", "0-1-4");
    files_end(s, 1, "0-1-4", "0-1-5");
    store_free(s);

    /* damaged index: refused, rebuilt from the files with a warning, same content */
    char p[600];
    snprintf(p, sizeof(p), "%s/m.gtid_index", dir);
    int fd = open(p, O_WRONLY | O_TRUNC);
    assert_true(fd != -1);
    assert_int_equal(write(fd, "garbage\n", 8), 8);
    close(fd);
    s = open_store(dir);
    assert_true(warns >= 1);
    files_end(s, 0, "0-1-2", "0-1-4");
    files_end(s, 1, "0-1-4", "0-1-5");
    store_free(s);

    /* missing index: rebuilt */
    assert_int_equal(unlink(p), 0);
    s = open_store(dir);
    assert_true(warns >= 1);
    files_end(s, 1, "0-1-4", "0-1-5");
    store_free(s);
    assert_int_equal(access(p, F_OK), 0);

    tmpdir_remove(dir);
    free(buf);
}

/* A last file that holds nothing but its FDE (the writer's new file before its GTID_LIST
 * arrived, or a kill -9 right after the FDE): it takes the previous file's end state, so the
 * binlog state stays whole and a GTID replica at the last GTID is served (t_crash saw 1236
 * "...which is not in the master's binlog" after such a kill). The same after a reopen, and
 * verify agrees; once the GTID_LIST arrives, the file's own states. */
static void test_store_fde_only_tail(void **state)
{
    (void)state;
    char dir[] = "/tmp/binlogd-gix-XXXXXX";
    assert_non_null(mkdtemp(dir));
    uint8_t *buf = malloc(CAP);
    struct store *s = open_store(dir);
    char err[512], st[256], file[64];
    int flavor;
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, buf, CAP);
    assert_int_equal(store_file_begin(s, "m.000001", buf, n, err, sizeof(err)), STORE_OK);
    struct gtid_maria st0[] = {{0, 1, 2}};
    put(s, buf, gen_gtid_list(&g, buf, st0, 1));
    put(s, buf, evgen_trx(&g, buf, CAP, 3, "INSERT INTO t VALUES (3)"));
    put(s, buf, evgen_trx(&g, buf, CAP, 4, "INSERT INTO t VALUES (4)"));
    put(s, buf, evgen_rotate(&g, buf, CAP, "m.000002", 4));
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    evgen_init(&g);
    n = evgen_fde(&g, buf, CAP);
    assert_int_equal(store_file_begin(s, "m.000002", buf, n, err, sizeof(err)), STORE_OK);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    files_end(s, 1, "0-1-4", "0-1-4");
    assert_int_equal(store_gtid_state(s, 0, &flavor, st, sizeof(st), file, sizeof(file)), 0);
    assert_int_equal(flavor, GTID_TRACK_MARIA);
    assert_string_equal(st, "0-1-4");
    store_free(s);

    s = open_store(dir);   /* the crash case: the FDE-only last file is rescanned at open */
    files_end(s, 0, "0-1-2", "0-1-4");
    files_end(s, 1, "0-1-4", "0-1-4");
    assert_int_equal(store_gtid_state(s, 0, &flavor, st, sizeof(st), file, sizeof(file)), 0);
    assert_string_equal(st, "0-1-4");
    assert_string_equal(file, "m.000002");
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(verify_data_dir(dir, out), 0);
    fclose(out);

    struct gtid_maria st1[] = {{0, 1, 4}};
    put(s, buf, gen_gtid_list(&g, buf, st1, 1));
    put(s, buf, evgen_trx(&g, buf, CAP, 5, "INSERT INTO t VALUES (5)"));
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    files_end(s, 1, "0-1-4", "0-1-5");
    store_free(s);
    tmpdir_remove(dir);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blist_update_order),
        cmocka_unit_test(test_blist_parse),
        cmocka_unit_test(test_track_synthetic),
        cmocka_unit_test(test_track_hostile),
        cmocka_unit_test(test_track_real_chain),
        cmocka_unit_test(test_track_mysql_files),
        cmocka_unit_test(test_gix_text),
        cmocka_unit_test(test_store_keeps_index),
        cmocka_unit_test(test_store_fde_only_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
