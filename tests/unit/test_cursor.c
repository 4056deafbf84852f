/* test_cursor.c - a reader's cursor over the store: start-position checks (the ERR 1236
 * cases), never past the watermark, hops to the next file, window data. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/cursor.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_and_hop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fde_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
