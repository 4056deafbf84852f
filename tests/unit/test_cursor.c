/* test_cursor.c - a reader's cursor over the store: start-position checks (the ERR 1236
 * cases), never past the watermark, hops to the next file, window data, and the verified
 * horizon (lean header reads below it give the same events; above it, every check). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "storage/cursor.h"
#include "storage/purge.h"
#include "storage/store.h"
#include "tests/unit/evgen.h"

struct fx {
    char path[64];
    struct store *s;
    struct evgen g;
    char err[512];
    uint8_t buf[1 << 16];
    uint64_t trx_ends[16];
    size_t ntrx;
};

static void append_ok(struct fx *f, const uint8_t *ev, size_t len)
{
    assert_int_equal(store_append(f->s, ev, len, f->err, sizeof(f->err)), STORE_OK);
}

/* File `name` with n transactions (synced) and optionally a ROTATE to `next`. */
static void write_file(struct fx *f, const char *name, int n, const char *next)
{
    evgen_init(&f->g);
    size_t l = evgen_fde(&f->g, f->buf, sizeof(f->buf));
    assert_int_equal(store_file_begin(f->s, name, f->buf, l, f->err, sizeof(f->err)), STORE_OK);
    f->ntrx = 0;
    for (int i = 0; i < n; i++) {
        uint8_t *p = f->buf;
        l = evgen_gtid(&f->g, p, 256, 0, (uint64_t)i + 1, EV_MGTID_TRANSACTIONAL);
        append_ok(f, p, l);
        l = evgen_query(&f->g, p, 512, "d", "INSERT INTO t VALUES (1)");
        append_ok(f, p, l);
        l = evgen_xid(&f->g, p, 256, (uint64_t)i);
        append_ok(f, p, l);
        f->trx_ends[f->ntrx++] = f->g.pos;
    }
    if (next) {
        l = evgen_rotate(&f->g, f->buf, sizeof(f->buf), next, 4);
        append_ok(f, f->buf, l);
    }
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-cursor-XXXXXX");
    if (!mkdtemp(f->path)) return -1;
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX};
    if (store_open(&o, &f->s, f->err, sizeof(f->err)) != STORE_OK) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_free(f->s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->path);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static void test_open_checks(void **state)
{
    struct fx *f = *state;
    write_file(f, "m.000001", 3, NULL);
    struct cursor *c = cursor_new(f->s);
    char err[256];
    assert_int_equal(cursor_open(c, "nosuch.000001", 4, err, sizeof(err)), CURSOR_OPEN_NO_FILE);
    assert_non_null(strstr(err, "Could not find first log file name"));
    assert_int_equal(cursor_open(c, "../m.000001", 4, err, sizeof(err)), CURSOR_OPEN_BAD_NAME);
    assert_int_equal(cursor_open(c, "/etc/passwd", 4, err, sizeof(err)), CURSOR_OPEN_BAD_NAME);
    assert_int_equal(cursor_open(c, "..", 4, err, sizeof(err)), CURSOR_OPEN_BAD_NAME);
    assert_int_equal(cursor_open(c, "m.000001", 0, err, sizeof(err)), CURSOR_OPEN_POS_LOW);
    assert_int_equal(cursor_open(c, "m.000001", 3, err, sizeof(err)), CURSOR_OPEN_POS_LOW);
    assert_int_equal(cursor_open(c, "m.000001", f->g.pos + 1, err, sizeof(err)), CURSOR_OPEN_POS_HIGH);
    assert_int_equal(cursor_open(c, "m.000001", 4 + 1, err, sizeof(err)), CURSOR_OPEN_POS_MIDEVENT);
    assert_int_equal(cursor_open(c, "m.000001", f->trx_ends[0] - 1, err, sizeof(err)), CURSOR_OPEN_POS_MIDEVENT);
    /* Valid starts: 4, an event boundary, the end. */
    assert_int_equal(cursor_open(c, "m.000001", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(cursor_open(c, "m.000001", f->trx_ends[1], err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(cursor_pos(c), f->trx_ends[1]);
    assert_int_equal(cursor_open(c, "m.000001", f->g.pos, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(cursor_open(c, "", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_string_equal(cursor_file(c), "m.000001");
    cursor_free(c);
}

static void test_stream_and_hop(void **state)
{
    struct fx *f = *state;
    write_file(f, "m.000001", 2, "m.000002");
    uint64_t end1 = f->g.pos;
    write_file(f, "m.000002", 1, NULL);
    struct cursor *c = cursor_new(f->s);
    char err[256];
    assert_int_equal(cursor_open(c, "m.000001", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    struct cursor_item it;
    int events = 0, hops = 0;
    uint64_t last_end = 0;
    enum cursor_result r;
    while ((r = cursor_next(c, &it, err, sizeof(err))) != CURSOR_WAIT) {
        assert_int_not_equal(r, CURSOR_ERROR);
        if (r == CURSOR_NEXT_FILE) {
            hops++;
            assert_int_equal(last_end, end1);
            assert_string_equal(cursor_file(c), "m.000002");
            continue;
        }
        events++;
        assert_int_equal(it.h.log_pos, it.offset + it.len);
        assert_non_null(it.data);  /* small events come from the window */
        assert_int_equal(it.data[4], it.h.type);
        last_end = it.offset + it.len;
    }
    /* file 1: FDE + 2*3 + ROTATE; file 2: 1*3 (its FDE is skipped by the hop) */
    assert_int_equal(events, 1 + 6 + 1 + 3);
    assert_int_equal(hops, 1);
    /* More data arrives; before the sync nothing is visible, after it the cursor moves on. */
    uint8_t *p = f->buf;
    size_t l = evgen_trx(&f->g, p, sizeof(f->buf), 9, "INSERT INTO t VALUES (2)");
    size_t off = 0;
    while (off < l) {
        struct ev_header h;
        const char *why;
        assert_int_equal(ev_header_parse(p + off, l - off, &h, &why), EV_OK);
        append_ok(f, p + off, h.event_size);
        off += h.event_size;
    }
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_WAIT);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_EVENT);
    assert_int_equal(it.h.type, EV_MARIA_GTID);
    cursor_idle(c);   /* dropping the window must not lose the position */
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_EVENT);
    assert_int_equal(it.h.type, EV_QUERY);
    cursor_free(c);
}

/* With the smallest window (many readers share the budget) events straddle its end all the
 * time: each one that fits a window still comes from the window (read again from the event's
 * start: one read, not the event alone and then the window), with the file's bytes. */
static void test_straddling_events_from_window(void **state)
{
    struct fx *f = *state;
    evgen_init(&f->g);
    size_t l = evgen_fde(&f->g, f->buf, sizeof(f->buf));
    assert_int_equal(store_file_begin(f->s, "m.000001", f->buf, l, f->err, sizeof(f->err)), STORE_OK);
    for (int i = 0; i < 600; i++) {
        l = evgen_gtid(&f->g, f->buf, 256, 0, (uint64_t)i + 1, EV_MGTID_TRANSACTIONAL);
        append_ok(f, f->buf, l);
        l = evgen_query(&f->g, f->buf, 512, "d", i % 7 ? "INSERT INTO t VALUES (1)" : "INSERT INTO t VALUES (1), (2), (3), (4)");
        append_ok(f, f->buf, l);
        l = evgen_xid(&f->g, f->buf, 256, (uint64_t)i);
        append_ok(f, f->buf, l);
    }
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
    assert_true(f->g.pos > 3 * 16384);   /* several windows' worth */
    static const uint32_t small = 16384;
    struct cursor *c = cursor_new(f->s);
    cursor_set_window_max(c, &small);
    char err[256];
    assert_int_equal(cursor_open(c, "m.000001", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    struct cursor_item it;
    uint8_t copy[1024];
    int events = 0;
    enum cursor_result r;
    while ((r = cursor_next(c, &it, err, sizeof(err))) == CURSOR_EVENT) {
        events++;
        assert_non_null(it.data);
        assert_true(it.len <= sizeof(copy));
        memcpy(copy, it.data, it.len);   /* the window's bytes, before cursor_pread */
        uint8_t disk[1024];
        assert_int_equal(cursor_pread(c, disk, it.len, it.offset, err, sizeof(err)), 0);
        assert_memory_equal(copy, disk, it.len);
    }
    assert_int_equal(r, CURSOR_WAIT);
    assert_int_equal(events, 1 + 600 * 3);
    cursor_free(c);
}

/* A file outside the store (a copy restored from the archive): the same start checks, every
 * event, then CURSOR_FILE_END instead of a hop; the cursor goes back to the store after. */
static void test_open_path(void **state)
{
    struct fx *f = *state;
    write_file(f, "m.000001", 3, "m.000002");
    uint64_t end = f->g.pos;
    char src[128], dst[128], cmd[300], err[256];
    snprintf(src, sizeof(src), "%s/m.000001", f->path);
    snprintf(dst, sizeof(dst), "%s/restored-copy", f->path);
    snprintf(cmd, sizeof(cmd), "cp %s %s", src, dst);
    assert_int_equal(system(cmd), 0);
    struct cursor *c = cursor_new(f->s);
    assert_int_equal(cursor_open_path(c, "../x", dst, 4, err, sizeof(err)), CURSOR_OPEN_BAD_NAME);
    assert_int_equal(cursor_open_path(c, "old.000001", dst, 3, err, sizeof(err)), CURSOR_OPEN_POS_LOW);
    assert_int_equal(cursor_open_path(c, "old.000001", "/nonexistent/x", 4, err, sizeof(err)), CURSOR_OPEN_IO);
    assert_int_equal(cursor_open_path(c, "old.000001", dst, end + 1, err, sizeof(err)), CURSOR_OPEN_POS_HIGH);
    assert_int_equal(cursor_open_path(c, "old.000001", dst, f->trx_ends[0] - 1, err, sizeof(err)),
                     CURSOR_OPEN_POS_MIDEVENT);
    assert_int_equal(cursor_open_path(c, "old.000001", dst, f->trx_ends[1], err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(cursor_pos(c), f->trx_ends[1]);
    assert_int_equal(cursor_open_path(c, "old.000001", dst, 4, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_string_equal(cursor_file(c), "old.000001");
    uint8_t fde[4096];
    assert_true(cursor_read_fde(c, fde, sizeof(fde), err, sizeof(err)) > 0);
    struct cursor_item it;
    enum cursor_result r;
    int events = 0;
    uint64_t last_end = 0;
    while ((r = cursor_next(c, &it, err, sizeof(err))) == CURSOR_EVENT) {
        events++;
        assert_int_equal(it.h.log_pos, it.offset + it.len);
        last_end = it.offset + it.len;
    }
    assert_int_equal(r, CURSOR_FILE_END);
    assert_int_equal(events, 1 + 9 + 1);   /* FDE, 3 transactions, ROTATE */
    assert_int_equal(last_end, end);
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_FILE_END);   /* stays there */
    /* The copy may go while it is open (the spool evicts it): the cursor keeps its descriptor. */
    assert_int_equal(unlink(dst), 0);
    assert_int_equal(cursor_open(c, "m.000001", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_string_equal(cursor_file(c), "m.000001");
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_EVENT);
    assert_int_equal(it.h.type, EV_FORMAT_DESCRIPTION);
    cursor_free(c);
}

static void test_fde_read(void **state)
{
    struct fx *f = *state;
    write_file(f, "m.000001", 1, NULL);
    struct cursor *c = cursor_new(f->s);
    char err[256];
    uint8_t fde[4096];
    assert_int_equal(cursor_open(c, "m.000001", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    size_t n = cursor_read_fde(c, fde, sizeof(fde), err, sizeof(err));
    assert_true(n > 19);
    assert_int_equal(fde[4], EV_FORMAT_DESCRIPTION);
    assert_int_equal(cursor_read_fde(c, fde, 10, err, sizeof(err)), 0);  /* too small a buffer */
    cursor_free(c);
}

/* Close the store and open it again: m.000001 (not the last file) then starts with a
 * verified horizon of 0, as an archive does after a restart (store_recover.c). */
static void reopen(struct fx *f)
{
    store_free(f->s);
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX};
    assert_int_equal(store_open(&o, &f->s, f->err, sizeof(f->err)), STORE_OK);
}

static uint64_t horizon(struct fx *f, const char *name)
{
    struct store_file_info fi;
    assert_int_equal(store_file_lookup(f->s, name, &fi), 0);
    return fi.verified;
}

/* Overwrite 4 bytes (little-endian v) at off in file `name`, behind the store's back. */
static void poke_u32(struct fx *f, const char *name, uint64_t off, uint32_t v)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", f->path, name);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    assert_int_equal(pwrite(fd, b, sizeof(b), (off_t)off), 4);
    close(fd);
}

#define MAX_ITEMS 64
struct seen {
    size_t n;
    struct cursor_item it[MAX_ITEMS];
    uint8_t first[MAX_ITEMS][EV_HEADER_LEN];   /* the header bytes each item pointed at */
};

/* Read m.000001 from 4 until the cursor leaves it, waits, or (upto) reaches upto; the
 * cursor goes idle so that its horizon reaches the store. */
static enum cursor_result read_file1(struct fx *f, struct seen *sn, uint64_t upto, char *err, size_t errlen)
{
    struct cursor *c = cursor_new(f->s);
    assert_int_equal(cursor_open(c, "m.000001", 4, err, errlen), CURSOR_OPEN_OK);
    enum cursor_result r;
    sn->n = 0;
    while ((!upto || cursor_pos(c) < upto) && (r = cursor_next(c, &sn->it[sn->n], err, errlen)) == CURSOR_EVENT) {
        assert_true(sn->n < MAX_ITEMS);
        assert_non_null(sn->it[sn->n].data);
        memcpy(sn->first[sn->n], sn->it[sn->n].data, EV_HEADER_LEN);
        sn->it[sn->n].data = NULL;   /* the window is gone after cursor_free */
        sn->n++;
    }
    if (upto && cursor_pos(c) >= upto) r = CURSOR_EVENT;
    cursor_idle(c);
    cursor_free(c);
    return r;
}

static void assert_same_items(const struct seen *a, const struct seen *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const struct cursor_item *x = &a->it[i], *y = &b->it[i];
        assert_int_equal(x->offset, y->offset);
        assert_int_equal(x->len, y->len);
        assert_int_equal(x->h.timestamp, y->h.timestamp);
        assert_int_equal(x->h.type, y->h.type);
        assert_int_equal(x->h.server_id, y->h.server_id);
        assert_int_equal(x->h.event_size, y->h.event_size);
        assert_int_equal(x->h.log_pos, y->h.log_pos);
        assert_int_equal(x->h.flags, y->h.flags);
        assert_memory_equal(a->first[i], b->first[i], EV_HEADER_LEN);
    }
}

/* Below the horizon the cursor reads headers lean; it must hand out exactly the events the
 * full checks handed out, and a position inside the checked bytes still opens the same. */
static void test_below_horizon_same_events(void **state)
{
    struct fx *f = *state;
    write_file(f, "m.000001", 5, "m.000002");
    uint64_t end1 = f->g.pos;
    write_file(f, "m.000002", 1, NULL);
    reopen(f);
    assert_int_equal(horizon(f, "m.000001"), 0);
    static struct seen checked, lean;
    char err[256];
    assert_int_equal(read_file1(f, &checked, 0, err, sizeof(err)), CURSOR_NEXT_FILE);
    assert_int_equal(checked.n, 1 + 5 * 3 + 1);
    assert_int_equal(horizon(f, "m.000001"), end1);   /* the first reader checked it all */
    assert_int_equal(read_file1(f, &lean, 0, err, sizeof(err)), CURSOR_NEXT_FILE);
    assert_same_items(&checked, &lean);
    for (size_t i = 0; i < lean.n; i++) assert_int_equal(lean.it[i].h.log_pos, lean.it[i].offset + lean.it[i].len);
    struct cursor *c = cursor_new(f->s);
    assert_int_equal(cursor_open(c, "m.000001", f->trx_ends[2], err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(cursor_pos(c), f->trx_ends[2]);
    assert_int_equal(cursor_open(c, "m.000001", f->trx_ends[2] + 1, err, sizeof(err)), CURSOR_OPEN_POS_MIDEVENT);
    cursor_free(c);
}

/* What a fresh reader of m.000001 gets at `at`: the error text and the fault. */
static void expect_refusal(struct fx *f, uint64_t at, const char *want)
{
    static struct seen sn;
    char err[256];
    assert_int_equal(read_file1(f, &sn, 0, err, sizeof(err)), CURSOR_ERROR);
    assert_string_equal(err, want);
    assert_true(sn.n > 0);
    assert_int_equal(sn.it[sn.n - 1].offset + sn.it[sn.n - 1].len, at);
}

/* A damaged header at or above the horizon is refused exactly as before (the lean path only
 * serves bytes strictly below it); below the horizon a broken chain falls back to the full
 * check and gets the same words. */
static void test_corrupt_header_refused(void **state)
{
    struct fx *f = *state;
    write_file(f, "m.000001", 4, "m.000002");
    uint64_t t1 = f->trx_ends[1], t2 = f->trx_ends[2];
    write_file(f, "m.000002", 1, NULL);
    reopen(f);
    static struct seen sn;
    char err[256], want[256];
    /* Horizon at the end of trx 2; the GTID after it gets a log_pos off by one. */
    assert_int_equal(read_file1(f, &sn, t1, err, sizeof(err)), CURSOR_EVENT);
    assert_int_equal(horizon(f, "m.000001"), t1);
    uint32_t gtid_len = sn.it[sn.n - 3].len;   /* trx 2 is GTID, QUERY, XID like trx 3 */
    poke_u32(f, "m.000001", t1 + 13, (uint32_t)(t1 + gtid_len + 1));
    snprintf(want, sizeof(want), "m.000001:%llu: %s event with log_pos %llu does not continue the file (expected %llu)",
             (unsigned long long)t1, ev_type_name(EV_MARIA_GTID), (unsigned long long)(t1 + gtid_len + 1),
             (unsigned long long)(t1 + gtid_len));
    expect_refusal(f, t1, want);
    struct cursor *c = cursor_new(f->s);
    struct cursor_item it;
    uint64_t at, upto;
    assert_int_equal(cursor_open(c, "m.000001", t1, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_ERROR);
    assert_int_equal(cursor_fault(c, &at, &upto), CURSOR_FAULT_BOGUS);
    assert_int_equal(at, t1);
    assert_int_equal(upto, t1 + EV_HEADER_LEN);
    /* event_size below the header size, past the horizon: the parser's words. */
    poke_u32(f, "m.000001", t1 + 13, (uint32_t)(t1 + gtid_len));
    poke_u32(f, "m.000001", t1 + 9, 7);
    assert_int_equal(cursor_open(c, "m.000001", t1, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_ERROR);
    snprintf(want, sizeof(want), "m.000001:%llu: bad event header: event_size smaller than the 19-byte header",
             (unsigned long long)t1);
    assert_string_equal(err, want);
    assert_int_equal(cursor_fault(c, &at, &upto), CURSOR_FAULT_BOGUS);
    cursor_free(c);
    /* Repaired, read to the end: the horizon covers the file. Then a header below it breaks
     * the chain: the lean path declines and the full check refuses it with the same text. */
    poke_u32(f, "m.000001", t1 + 9, gtid_len);
    assert_int_equal(read_file1(f, &sn, 0, err, sizeof(err)), CURSOR_NEXT_FILE);
    assert_true(horizon(f, "m.000001") > t2);
    poke_u32(f, "m.000001", t2 + 13, (uint32_t)(t2 + gtid_len + 1));
    snprintf(want, sizeof(want), "m.000001:%llu: %s event with log_pos %llu does not continue the file (expected %llu)",
             (unsigned long long)t2, ev_type_name(EV_MARIA_GTID), (unsigned long long)(t2 + gtid_len + 1),
             (unsigned long long)(t2 + gtid_len));
    expect_refusal(f, t2, want);
}

/* Read to the first CURSOR_WAIT / CURSOR_ERROR / CURSOR_FILE_END: events, hops (the name of
 * each file entered, space separated), and the result that ended it. */
static enum cursor_result read_all(struct cursor *c, int *events, char *hops, size_t cap)
{
    struct cursor_item it;
    char err[256];
    enum cursor_result r;
    while ((r = cursor_next(c, &it, err, sizeof(err))) == CURSOR_EVENT || r == CURSOR_NEXT_FILE) {
        if (r == CURSOR_EVENT) {
            (*events)++;
            assert_int_equal(it.h.log_pos, it.offset + it.len);
        } else {
            size_t at = strlen(hops);
            snprintf(hops + at, cap - at, "%s%s", at ? " " : "", cursor_file(c));
        }
    }
    return r;
}

static void append_trx(struct fx *f, uint64_t seq)
{
    size_t l = evgen_trx(&f->g, f->buf, sizeof(f->buf), seq, "INSERT INTO t VALUES (5)");
    for (size_t off = 0; off < l;) {
        struct ev_header h;
        const char *why;
        assert_int_equal(ev_header_parse(f->buf + off, l - off, &h, &why), EV_OK);
        append_ok(f, f->buf + off, h.event_size);
        off += h.event_size;
    }
}

/* Retention purges the file a reader is in (storage.max_disk_bytes overrides readers): the
 * reader reads the file on to its real end (also when the size it last saw was short of it:
 * the file grew and closed meanwhile), then goes on with the file its ROTATE names while that
 * one is still here. When that one was purged too, CURSOR_FILE_END with the PURGED fault
 * naming it (the dump then asks the archive, or answers 1236 "could not find next log"). */
static void test_purged_under_reader(void **state)
{
    struct fx *f = *state;
    write_file(f, "m.000001", 1, NULL);   /* active while the reader starts */
    struct cursor *c = cursor_new(f->s);
    char err[256], hops[128] = "";
    int events = 0;
    assert_int_equal(cursor_open(c, "m.000001", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    assert_int_equal(read_all(c, &events, hops, sizeof(hops)), CURSOR_WAIT);
    assert_int_equal(events, 1 + 3);
    /* the file grows and closes; the next two begin; the first is purged under the reader */
    append_trx(f, 2);
    size_t l = evgen_rotate(&f->g, f->buf, sizeof(f->buf), "m.000002", 4);
    append_ok(f, f->buf, l);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
    write_file(f, "m.000002", 2, "m.000003");
    write_file(f, "m.000003", 1, NULL);
    struct store_purge_result res;
    assert_int_equal(store_purge(f->s, "m.000001", NULL, &res, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(res.files, 1);
    events = 0;
    assert_int_equal(read_all(c, &events, hops, sizeof(hops)), CURSOR_WAIT);
    assert_string_equal(hops, "m.000002 m.000003");
    assert_int_equal(events, (3 + 1) + (6 + 1) + 3);   /* m.000001's rest, m.000002, m.000003 */

    /* a gap: the reader in m.000002 when m.000002 and m.000003 are purged... */
    write_file(f, "m.000004", 1, NULL);   /* (m.000003 had no ROTATE: a switch closed it) */
    assert_int_equal(cursor_open(c, "m.000002", 4, err, sizeof(err)), CURSOR_OPEN_OK);
    struct cursor_item it;
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_EVENT);   /* its FDE */
    assert_int_equal(store_purge(f->s, "m.000003", NULL, &res, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(res.files, 2);
    events = 0;
    hops[0] = 0;
    assert_int_equal(read_all(c, &events, hops, sizeof(hops)), CURSOR_FILE_END);
    assert_int_equal(events, 6 + 1);   /* ...reads it to its end, ROTATE included */
    assert_string_equal(hops, "");
    assert_int_equal(cursor_fault(c, NULL, NULL), CURSOR_FAULT_PURGED);
    assert_string_equal(cursor_file(c), "m.000002");
    assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_FILE_END);
    assert_non_null(strstr(err, "m.000003"));   /* the file after it, named by its ROTATE */
    cursor_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_and_hop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_straddling_events_from_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fde_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_below_horizon_same_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_header_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purged_under_reader, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
