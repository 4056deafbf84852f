/* test_journal.c - the commit journal: records on bytes (round trip, every malformed form
 * ends the lap), and the store with sync=trx + journal under a simulated power loss: bytes the
 * cut takes from the binlog file come back from the journal, withdrawn bytes never do, the
 * ring wraps, and records that cannot be trusted refuse the start. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/wire.h"
#include "storage/fsio.h"
#include "storage/journal.h"
#include "storage/store.h"
#include "tests/unit/evgen.h"
#include "tests/unit/plcut.h"
#include "tests/unit/tmpdir.h"

#define EVCAP (1u << 20)

/* ---- records on bytes ---- */

struct seen { long n; uint64_t seq[16], off[16]; uint32_t len[16]; char name[16][32]; };

static int collect(void *arg, const struct journal_rec *r)
{
    struct seen *s = arg;
    if (s->n < 16) {
        s->seq[s->n] = r->seq;
        s->off[s->n] = r->offset;
        s->len[s->n] = r->len;
        snprintf(s->name[s->n], sizeof(s->name[0]), "%.*s", (int)r->name_len, r->name);
    }
    s->n++;
    return 0;
}

/* Three records of generation 7, seq 1..3; returns the length, lens[] the record sizes. */
static size_t three(uint8_t *buf, size_t cap, size_t lens[3])
{
    uint8_t data[300];
    for (size_t i = 0; i < sizeof(data); i++) data[i] = (uint8_t)(i * 7);
    size_t at = 0;
    for (int i = 0; i < 3; i++) {
        lens[i] = journal_build(buf + at, cap - at, 7, (uint64_t)i + 1, i == 2 ? "m.000002" : "m.000001",
                                1000 + 300 * (uint64_t)i, data, 100 + 100 * (uint32_t)i);
        assert_true(lens[i] > 0);
        at += lens[i];
    }
    return at;
}

static void test_roundtrip(void **state)
{
    (void)state;
    uint8_t buf[4096] = {0};
    size_t lens[3], n = three(buf, sizeof(buf), lens);
    struct seen s = {0};
    assert_int_equal(journal_scan(buf, sizeof(buf), collect, &s), 3);
    assert_int_equal(s.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s.seq[i], (uint64_t)i + 1);
        assert_int_equal(s.off[i], 1000 + 300 * (uint64_t)i);
        assert_int_equal(s.len[i], 100 + 100 * (uint32_t)i);
    }
    assert_string_equal(s.name[2], "m.000002");
    assert_int_equal(journal_scan(buf, n, NULL, NULL), 3);
    assert_int_equal(journal_scan(buf, 0, NULL, NULL), 0);
    /* A zeroed journal holds nothing. */
    uint8_t z[512] = {0};
    assert_int_equal(journal_scan(z, sizeof(z), NULL, NULL), 0);
    /* Argument checks of the builder. */
    assert_int_equal(journal_build(buf, sizeof(buf), 1, 1, "", 4, NULL, 0), 0);
    assert_int_equal(journal_build(buf, 40, 1, 1, "m.000001", 4, NULL, 10), 0);
}

static void test_malformed_ends_the_lap(void **state)
{
    (void)state;
    uint8_t buf[4096] = {0}, w[4096];
    size_t lens[3], n = three(buf, sizeof(buf), lens);
    /* Every truncation inside the second record keeps exactly the first. */
    for (size_t cut = lens[0]; cut < lens[0] + lens[1]; cut++) assert_int_equal(journal_scan(buf, cut, NULL, NULL), 1);
    /* Every single bit flip in the second record ends the lap after the first. */
    for (size_t i = lens[0]; i < lens[0] + lens[1]; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(w, buf, n);
            w[i] ^= (uint8_t)(1u << bit);
            long k = journal_scan(w, n, NULL, NULL);
            if (k != 1) fail_msg("flip of bit %d at %zu: %ld records", bit, i, k);
        }
    }
    /* Valid CRC but another generation, or a seq gap, or a name with a slash: not this lap. */
    memcpy(w, buf, n);
    uint8_t d[200] = {0};
    size_t l = journal_build(w + lens[0], sizeof(w) - lens[0], 8, 2, "m.000001", 1300, d, 200);
    assert_int_equal(l, lens[1]);
    assert_int_equal(journal_scan(w, n, NULL, NULL), 1);
    l = journal_build(w + lens[0], sizeof(w) - lens[0], 7, 3, "m.000001", 1300, d, 200);
    assert_int_equal(journal_scan(w, n, NULL, NULL), 1);
    l = journal_build(w + lens[0], sizeof(w) - lens[0], 7, 2, "../etc/x", 1300, d, 200);
    assert_int_equal(journal_scan(w, n, NULL, NULL), 1);
    /* Hostile lengths with a recomputed CRC: data length over the limit, total that lies. */
    memcpy(w, buf, n);
    wire_put_u32(w + lens[0] + 32, JOURNAL_MAX_DATA + 1);
    assert_int_equal(journal_scan(w, n, NULL, NULL), 1);
    memcpy(w, buf, n);
    wire_put_u32(w + lens[0] + 4, 0xFFFFFFFFu);
    assert_int_equal(journal_scan(w, n, NULL, NULL), 1);
    memcpy(w, buf, n);
    wire_put_u16(w + lens[0] + 36, 0);
    assert_int_equal(journal_scan(w, n, NULL, NULL), 1);
    (void)l;
}

/* ---- the store with the journal, under a simulated power loss ---- */

struct fx {
    char path[64], expect[96];
    uint8_t *ev;
    char err[1024];
    int warns;
    char warn_text[4096];
};

static void on_warn(void *arg, const char *msg)
{
    struct fx *f = arg;
    f->warns++;
    size_t l = strlen(f->warn_text);
    snprintf(f->warn_text + l, sizeof(f->warn_text) - l, "%s\n", msg);
}

static enum store_result open_store(struct fx *f, struct store **s)
{
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX, .journal = 1, .warn = on_warn, .warn_arg = f};
    f->warns = 0;
    f->warn_text[0] = 0;
    return store_open(&o, s, f->err, sizeof(f->err));
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-journal-XXXXXX");
    if (!mkdtemp(f->path)) return -1;
    snprintf(f->expect, sizeof(f->expect), "%s.expected", f->path);
    f->ev = malloc(EVCAP);
    fsio_clear_faults();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tmpdir_remove(f->path);
    unlink(f->expect);
    free(f->ev);
    free(f);
    return 0;
}

/* Append every event of a concatenation (evgen_trx output). 0 or -1. */
static int put_all(struct store *s, const uint8_t *p, size_t n)
{
    char err[512];
    while (n) {
        uint32_t len = wire_u32(p + 9);
        if (len > n || store_append(s, p, len, err, sizeof(err)) != STORE_OK) return -1;
        p += len;
        n -= len;
    }
    return 0;
}

/* Open the store and begin j.000001 with generator g. NULL (f->err says why) on failure. */
static struct store *begin_store(struct fx *f, struct evgen *g)
{
    struct store *s = NULL;
    if (open_store(f, &s) != STORE_OK) return NULL;
    evgen_init(g);
    size_t n = evgen_fde(g, f->ev, EVCAP);
    if (store_file_begin(s, "j.000001", f->ev, n, f->err, sizeof(f->err)) != STORE_OK) {
        store_free(s);
        return NULL;
    }
    return s;
}

/* Append transaction seq (sql, or a one-row INSERT when NULL), not yet synced. 0 or -1. */
static int add_trx(struct fx *f, struct store *s, struct evgen *g, uint64_t seq, const char *sql)
{
    char q[64];
    if (!sql) {
        snprintf(q, sizeof(q), "INSERT INTO t VALUES (%llu)", (unsigned long long)seq);
        sql = q;
    }
    return put_all(s, f->ev, evgen_trx(g, f->ev, EVCAP, seq, sql));
}

/* Child side: copy what the file holds now (the page cache: what readers were served) to
 * the expected image, outside the data directory and without fsio. */
static int save_expected(struct fx *f, const char *name)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/%s", f->path, name);
    int in = open(p, O_RDONLY), out = open(f->expect, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in == -1 || out == -1) return -1;
    static uint8_t b[1 << 16];
    ssize_t r;
    while ((r = read(in, b, sizeof(b))) > 0)
        if (write(out, b, (size_t)r) != r) return -1;
    close(in);
    close(out);
    return 0;
}

static int same_as_expected(struct fx *f, const char *name)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/%s", f->path, name);
    FILE *a = fopen(p, "rb"), *b = fopen(f->expect, "rb");
    int same = a && b;
    while (same) {
        int x = fgetc(a), y = fgetc(b);
        if (x != y) same = 0;
        if (x == EOF || y == EOF) break;
    }
    if (a) fclose(a);
    if (b) fclose(b);
    return same;
}

enum scenario { SC_SMALL, SC_WITHDRAW, SC_WRAP };

struct child { struct fx *f; enum scenario sc; };

/* The child's part (plcut.h): run the scenario, save the expected image; the power is cut
 * right after, without store_free. */
static int child_main(void *arg)
{
    struct child *c = arg;
    struct fx *f = c->f;
    enum scenario sc = c->sc;
    struct evgen g;
    struct store *s = begin_store(f, &g);
    if (!s) return 10;
    int rc = 0;
    char err[512];
    char *sql = malloc(200 * 1024);
    memset(sql, 'x', 200 * 1024 - 1);
    sql[200 * 1024 - 1] = 0;
    memcpy(sql, "INSERT /* ", 10);
    /* Withdraw: 30, back to 20, 5 more: the withdrawn records reach past the new end. */
    int count = sc == SC_WRAP ? 60 : sc == SC_WITHDRAW ? 35 : 40;
    uint64_t withdraw_at = 0;
    for (int i = 1; i <= count && !rc; i++) {
        if (add_trx(f, s, &g, (uint64_t)i, sc == SC_WRAP ? sql : NULL) == -1 || store_sync(s, err, sizeof(err)) != STORE_OK)
            rc = 12;
        if (sc == SC_WITHDRAW && i == 20) withdraw_at = store_write_offset(s);
        if (sc == SC_WITHDRAW && i == 30) {
            char keep[64];
            snprintf(keep, sizeof(keep), "j.000001.withdrawn-%llu", (unsigned long long)withdraw_at);
            if (store_withdraw_tail(s, withdraw_at, keep, err, sizeof(err)) != STORE_OK) rc = 13;
            g.pos = withdraw_at;   /* the primary's history goes on from there */
        }
    }
    free(sql);
    if (!rc && save_expected(f, "j.000001") == -1) rc = 14;
    return rc;
}

static struct fsio_powerloss_report run_child(struct fx *f, enum scenario sc)
{
    struct child c = {f, sc};
    return plcut_run(child_main, &c);
}

static void check_recovered(struct fx *f, const struct fsio_powerloss_report *r)
{
    /* The cut took bytes away from the binlog file: only the journal can bring them back. */
    assert_true(r->bytes_dropped > 0);
    struct store *s = NULL;
    if (open_store(f, &s) != STORE_OK) fail_msg("reopen: %s", f->err);
    assert_non_null(strstr(f->warn_text, "restored journaled bytes"));
    store_free(s);
    assert_true(same_as_expected(f, "j.000001"));
    /* A second start has nothing left to write back. */
    assert_int_equal(open_store(f, &s), STORE_OK);
    assert_null(strstr(f->warn_text, "restored journaled bytes"));
    store_free(s);
    assert_true(same_as_expected(f, "j.000001"));
}

static void test_powerloss_small_batches(void **state)
{
    struct fx *f = *state;
    struct fsio_powerloss_report r = run_child(f, SC_SMALL);
    check_recovered(f, &r);
}

static void test_powerloss_after_withdraw(void **state)
{
    struct fx *f = *state;
    struct fsio_powerloss_report r = run_child(f, SC_WITHDRAW);
    /* The expected image is the file after the withdrawal plus 5 more transactions: the
     * withdrawn bytes (still in the journal's older records) must not come back. */
    check_recovered(f, &r);
}

static void test_powerloss_ring_wraps(void **state)
{
    struct fx *f = *state;
    /* 60 records of 200 kB: the 8 MiB ring wraps after about 40. */
    struct fsio_powerloss_report r = run_child(f, SC_WRAP);
    check_recovered(f, &r);
}

/* Records that cannot be trusted refuse the start rather than guess. */
static void test_untrusted_records_refuse(void **state)
{
    struct fx *f = *state;
    struct evgen g;
    struct store *s = begin_store(f, &g);
    if (!s) fail_msg("open: %s", f->err);
    char err[512];
    assert_int_equal(add_trx(f, s, &g, 1, NULL), 0);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    uint64_t size = store_write_offset(s);
    store_free(s);

    uint8_t rec[256], d[16] = {0};
    char jp[128];
    snprintf(jp, sizeof(jp), "%s/%s", f->path, JOURNAL_NAME);
    /* A file that is not in the index. */
    size_t l = journal_build(rec, sizeof(rec), 5, 1, "j.000009", size, d, sizeof(d));
    int fd = open(jp, O_WRONLY);
    assert_true(fd != -1);
    assert_int_equal(pwrite(fd, rec, l, 0), (ssize_t)l);
    assert_int_equal(open_store(f, &s), STORE_REFUSED);
    assert_non_null(strstr(f->err, "not in the index"));
    /* A record past the end of its file: a gap nobody has the bytes of. */
    l = journal_build(rec, sizeof(rec), 5, 1, "j.000001", size + 100, d, sizeof(d));
    assert_int_equal(pwrite(fd, rec, l, 0), (ssize_t)l);
    assert_int_equal(open_store(f, &s), STORE_REFUSED);
    assert_non_null(strstr(f->err, "refusing to start"));
    /* A record inside the file that matches it: nothing to write back, the start goes on. */
    uint8_t have[16];
    char bp[128];
    snprintf(bp, sizeof(bp), "%s/j.000001", f->path);
    int bfd = open(bp, O_RDONLY);
    assert_int_equal(pread(bfd, have, sizeof(have), (off_t)size - 16), 16);
    close(bfd);
    l = journal_build(rec, sizeof(rec), 5, 1, "j.000001", size - 16, have, sizeof(have));
    assert_int_equal(pwrite(fd, rec, l, 0), (ssize_t)l);
    close(fd);
    assert_int_equal(open_store(f, &s), STORE_OK);
    assert_int_equal(f->warns, 0);
    assert_int_equal(store_write_offset(s), size);
    store_free(s);
}


/* A journal that cannot be created (here: a directory in its place; on a full disk: no room
 * for 8 MiB) costs only speed: the store opens, says so, and syncs the binlog file itself. */
static void test_no_journal_is_not_fatal(void **state)
{
    struct fx *f = *state;
    char jp[128];
    snprintf(jp, sizeof(jp), "%s/%s", f->path, JOURNAL_NAME);
    assert_int_equal(mkdir(jp, 0700), 0);
    struct evgen g;
    struct store *s = begin_store(f, &g);
    if (!s) fail_msg("open: %s", f->err);
    assert_null(strstr(f->warn_text, "commit journal"));   /* opened at the first batch */
    char err[512];
    assert_int_equal(add_trx(f, s, &g, 1, NULL), 0);
    unsigned long syncs = fsio_calls(FSIO_OP_FDATASYNC);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    assert_true(fsio_calls(FSIO_OP_FDATASYNC) > syncs);
    assert_non_null(strstr(f->warn_text, "continuing without the commit journal"));
    struct store_watermark wm;
    store_watermark_get(s, &wm);
    assert_int_equal(wm.offset, g.pos);
    store_free(s);
    rmdir(jp);
}


/* Write-path policy of the journal: a record write that finds the filesystem full falls back
 * to the binlog file's fdatasync (the batch is still durable and published); an I/O error on
 * the journal's fdatasync poisons the store like one on the file's. */
static void test_journal_write_faults(void **state)
{
    struct fx *f = *state;
    struct evgen g;
    struct store *s = begin_store(f, &g);
    if (!s) fail_msg("open: %s", f->err);
    char err[512];
    assert_int_equal(add_trx(f, s, &g, 1, NULL), 0);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);   /* the journal exists from here */
    assert_int_equal(add_trx(f, s, &g, 2, NULL), 0);
    /* The batch's write to the binlog file comes first, then the journal record's: ENOSPC
     * on the record. */
    fsio_set_fault(FSIO_OP_WRITE, 2, ENOSPC);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    struct store_watermark wm;
    store_watermark_get(s, &wm);
    assert_int_equal(wm.offset, g.pos);
    fsio_clear_faults();
    /* The next fdatasync is the journal's: EIO. */
    assert_int_equal(add_trx(f, s, &g, 3, NULL), 0);
    fsio_set_fault(FSIO_OP_FDATASYNC, 1, EIO);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_FATAL);
    assert_non_null(strstr(err, "commit journal"));
    store_watermark_get(s, &wm);
    assert_true(wm.offset < g.pos);   /* not published */
    fsio_clear_faults();
    store_free(s);
}


/* A binlogd that only serves (no batch ever synced) does not create the journal. */
static void test_no_batch_no_journal(void **state)
{
    struct fx *f = *state;
    struct store *s = NULL;
    assert_int_equal(open_store(f, &s), STORE_OK);
    store_free(s);
    char jp[128];
    struct stat st;
    snprintf(jp, sizeof(jp), "%s/%s", f->path, JOURNAL_NAME);
    assert_int_equal(stat(jp, &st), -1);
}


/* Disk full on the batch's own write: the batch is rolled back and no journal record was
 * written for it (a record written first could later bring back bytes that were cut). */
static void test_enospc_before_record(void **state)
{
    struct fx *f = *state;
    struct evgen g;
    struct store *s = begin_store(f, &g);
    if (!s) fail_msg("open: %s", f->err);
    char err[512];
    assert_int_equal(add_trx(f, s, &g, 1, NULL), 0);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    uint64_t committed = g.pos;
    assert_int_equal(add_trx(f, s, &g, 2, NULL), 0);
    unsigned long syncs = fsio_calls(FSIO_OP_FDATASYNC);
    fsio_set_fault(FSIO_OP_WRITE, 1, ENOSPC);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_NOSPACE);
    assert_int_equal(fsio_calls(FSIO_OP_FDATASYNC), syncs);   /* no record was made durable */
    assert_int_equal(store_write_offset(s), committed);
    fsio_clear_faults();
    store_free(s);
    /* The journal holds only the first batch's record: a start writes nothing back. */
    assert_int_equal(open_store(f, &s), STORE_OK);
    assert_int_equal(f->warns, 0);
    assert_int_equal(store_write_offset(s), committed);
    store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_malformed_ends_the_lap),
        cmocka_unit_test_setup_teardown(test_powerloss_small_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_powerloss_after_withdraw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_powerloss_ring_wraps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_records_refuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_journal_is_not_fatal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_write_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_batch_no_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_before_record, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
