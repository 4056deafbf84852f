/* test_store.c - the data directory: append/sync/publish, refusals, rotation and sealing,
 * crash recovery, and the error policy under injected ENOSPC / EIO. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/event.h"
#include "storage/fsio.h"
#include "storage/store.h"
#include "tests/unit/tmpdir.h"
#include "tests/unit/evgen.h"

#define EVCAP ((18u << 20) + 4096)

struct fx {
    char path[64];
    struct store *s;
    struct evgen g;
    uint8_t *ev;                 /* scratch for one event */
    char err[1024];
    int warns;
    char last_warn[1024];
    char all_warns[8192];
    int notified;
    uint8_t *tap;                /* when set, every accepted event is copied here */
    size_t tap_len;
};

static void on_warn(void *arg, const char *msg)
{
    struct fx *f = arg;
    f->warns++;
    snprintf(f->last_warn, sizeof(f->last_warn), "%s", msg);
    size_t l = strlen(f->all_warns);
    snprintf(f->all_warns + l, sizeof(f->all_warns) - l, "%s\n", msg);
}

static void on_notify(void *arg) { ((struct fx *)arg)->notified++; }

static enum store_result open_mode(struct fx *f, enum store_sync_mode mode, unsigned interval_ms)
{
    struct store_opts o = {.dir = f->path, .sync = mode, .sync_interval_ms = interval_ms, .warn = on_warn,
                           .warn_arg = f};
    f->warns = 0;
    f->all_warns[0] = 0;
    enum store_result r = store_open(&o, &f->s, f->err, sizeof(f->err));
    if (r == STORE_OK) store_set_notify(f->s, on_notify, f);
    return r;
}

static void reopen(struct fx *f)
{
    store_free(f->s);
    f->s = NULL;
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-store-XXXXXX");
    if (!mkdtemp(f->path)) return -1;
    f->ev = malloc(EVCAP);
    fsio_clear_faults();
    *state = f;
    return open_mode(f, STORE_SYNC_TRX, 0) == STORE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    fsio_clear_faults();
    store_free(f->s);
    tmpdir_remove(f->path);
    free(f->ev);
    free(f);
    return 0;
}

static enum store_result app(struct fx *f, size_t len)
{
    assert_true(len > 0);
    enum store_result r = store_append(f->s, f->ev, len, f->err, sizeof(f->err));
    if (r == STORE_OK && f->tap) {
        memcpy(f->tap + f->tap_len, f->ev, len);
        f->tap_len += len;
    }
    return r;
}

static void app_ok(struct fx *f, size_t len)
{
    enum store_result r = app(f, len);
    if (r != STORE_OK) fail_msg("append: %s: %s", store_result_name(r), f->err);
}

static void begin(struct fx *f, const char *name)
{
    evgen_init(&f->g);
    size_t n = evgen_fde(&f->g, f->ev, EVCAP);
    enum store_result r = store_file_begin(f->s, name, f->ev, n, f->err, sizeof(f->err));
    if (r != STORE_OK) fail_msg("file_begin %s: %s: %s", name, store_result_name(r), f->err);
}

static void gtid_query(struct fx *f, uint64_t seq)
{
    app_ok(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, seq, EV_MGTID_TRANSACTIONAL));
    app_ok(f, evgen_query(&f->g, f->ev, EVCAP, "test", "INSERT INTO t VALUES (1)"));
}

static void trx(struct fx *f, uint64_t seq)
{
    gtid_query(f, seq);
    app_ok(f, evgen_xid(&f->g, f->ev, EVCAP, seq));
}

static void sync_ok(struct fx *f)
{
    enum store_result r = store_sync(f->s, f->err, sizeof(f->err));
    if (r != STORE_OK) fail_msg("sync: %s: %s", store_result_name(r), f->err);
}

static const char *fpath(struct fx *f, const char *name)
{
    static char p[4][256];   /* rotating: two calls may share one expression */
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", f->path, name);
    return p[i];
}

static int64_t fsize(struct fx *f, const char *name)
{
    struct stat st;
    return stat(fpath(f, name), &st) == -1 ? -1 : (int64_t)st.st_size;
}

static int in_use(struct fx *f, const char *name)
{
    int fd = open(fpath(f, name), O_RDONLY);
    uint8_t b = 0;
    assert_int_equal(pread(fd, &b, 1, BINLOG_IN_USE_OFFSET), 1);
    close(fd);
    return b & 1;
}

static void put(struct fx *f, const char *name, const void *data, size_t len, int append)
{
    int fd = open(fpath(f, name), O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
    assert_int_not_equal(fd, -1);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static size_t slurp(struct fx *f, const char *name, char *buf, size_t cap)
{
    int fd = open(fpath(f, name), O_RDONLY);
    if (fd == -1) return 0;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return n > 0 ? (size_t)n : 0;
}

static uint64_t wm_offset(struct fx *f)
{
    struct store_watermark wm;
    store_watermark_get(f->s, &wm);
    return wm.offset;
}

/* ---- tests ---- */

static void test_empty_store(void **state)
{
    struct fx *f = *state;
    struct store_watermark wm;
    char file[64];
    uint64_t pos;
    store_watermark_get(f->s, &wm);
    assert_string_equal(wm.file, "");
    assert_int_equal(store_files(f->s, NULL, 0), 0);
    assert_int_equal(store_resume_point(f->s, file, sizeof(file), &pos), -1);
    assert_string_equal(store_write_file(f->s), "");
    assert_int_equal(store_write_offset(f->s), 0);
    assert_null(store_write_fmt(f->s));
    evgen_init(&f->g);
    f->g.pos = 256;
    assert_int_equal(app(f, evgen_xid(&f->g, f->ev, EVCAP, 1)), STORE_REFUSED);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
    assert_true(store_dir_fd(f->s) >= 0);
    assert_string_equal(store_result_name(STORE_NOSPACE), "no_space");
}

static void test_append_sync_publish(void **state)
{
    struct fx *f = *state;
    char buf[256];
    begin(f, "mysql-bin.000001");
    uint64_t after_fde = f->g.pos;
    struct store_watermark wm;
    store_watermark_get(f->s, &wm);
    assert_string_equal(wm.file, "mysql-bin.000001");
    assert_int_equal(wm.offset, after_fde);
    uint64_t gen = wm.generation;
    assert_int_equal(f->notified, 1);
    assert_int_equal(slurp(f, "mysql-bin.index", buf, sizeof(buf)), 19);
    assert_string_equal(buf, "./mysql-bin.000001\n");
    assert_int_equal(in_use(f, "mysql-bin.000001"), 1);
    assert_non_null(store_write_fmt(f->s));
    assert_int_equal(store_write_fmt(f->s)->checksum, EV_CHECKSUM_CRC32);

    trx(f, 1);
    trx(f, 2);
    assert_int_equal(store_pending_complete(f->s), f->g.pos - after_fde);
    assert_int_equal(store_pending_partial(f->s), 0);
    assert_int_equal(wm_offset(f), after_fde);   /* nothing visible before the sync */
    assert_int_equal(store_write_offset(f->s), f->g.pos);
    sync_ok(f);
    store_watermark_get(f->s, &wm);
    assert_int_equal(wm.offset, f->g.pos);
    assert_int_equal(wm.generation, gen + 1);
    assert_int_equal(f->notified, 2);
    assert_int_equal(fsize(f, "mysql-bin.000001"), (int64_t)f->g.pos);
    assert_int_equal(store_pending_complete(f->s), 0);
    sync_ok(f);   /* nothing pending: no move, no notify */
    assert_int_equal(f->notified, 2);
    struct store_file_info fi;
    assert_int_equal(store_file_lookup(f->s, "mysql-bin.000001", &fi), 0);
    assert_int_equal(fi.size, f->g.pos);
    assert_int_equal(fi.sealed, 0);
    assert_int_equal(store_file_lookup(f->s, "mysql-bin.000002", &fi), -1);
}

static void test_watermark_only_at_boundaries(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    uint64_t b1 = f->g.pos;
    gtid_query(f, 2);
    assert_int_equal(store_pending_partial(f->s), f->g.pos - b1);
    sync_ok(f);
    assert_int_equal(wm_offset(f), b1);   /* the open group stays invisible */
    struct store_file_info fi;
    assert_int_equal(store_file_lookup(f->s, "b.000001", &fi), 0);
    assert_int_equal(fi.size, b1);
    sync_ok(f);
    assert_int_equal(wm_offset(f), b1);
    app_ok(f, evgen_xid(&f->g, f->ev, EVCAP, 2));
    assert_int_equal(wm_offset(f), b1);
    sync_ok(f);
    assert_int_equal(wm_offset(f), f->g.pos);
    /* a standalone group ends at its statement */
    app_ok(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, 3, EV_MGTID_STANDALONE));
    app_ok(f, evgen_query(&f->g, f->ev, EVCAP, "test", "CREATE TABLE t2 (a INT)"));
    assert_int_equal(store_pending_partial(f->s), 0);
    sync_ok(f);
    assert_int_equal(wm_offset(f), f->g.pos);
}

static void test_group_commit_one_fdatasync(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    for (int i = 1; i <= 5; i++) trx(f, (uint64_t)i);
    unsigned long before = fsio_calls(FSIO_OP_FDATASYNC);
    sync_ok(f);
    assert_int_equal(fsio_calls(FSIO_OP_FDATASYNC) - before, 1);
}

static void test_refusals_write_nothing(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    uint64_t end = f->g.pos;
    struct evgen saved = f->g;

    f->g.pos += 10;   /* a gap: log_pos does not continue the file */
    assert_int_equal(app(f, evgen_xid(&f->g, f->ev, EVCAP, 9)), STORE_REFUSED);
    assert_non_null(strstr(f->err, "b.000001:"));
    assert_non_null(strstr(f->err, "expected log_pos"));
    f->g = saved;
    size_t n = evgen_event(&f->g, f->ev, EVCAP, EV_GTID_LIST, EV_F_ARTIFICIAL, (const uint8_t *)"\0\0\0\0", 4);
    assert_int_equal(app(f, n), STORE_REFUSED);
    f->g = saved;
    n = evgen_fde(&f->g, f->ev, EVCAP);
    assert_int_equal(app(f, n), STORE_REFUSED);
    f->g = saved;
    n = evgen_xid(&f->g, f->ev, EVCAP, 9);
    assert_int_equal(store_append(f->s, f->ev, n - 1, f->err, sizeof(f->err)), STORE_REFUSED);
    assert_int_equal(store_append(f->s, f->ev, 10, f->err, sizeof(f->err)), STORE_REFUSED);
    memset(f->ev, 0, 40);
    assert_int_equal(store_append(f->s, f->ev, 40, f->err, sizeof(f->err)), STORE_REFUSED);
    f->g = saved;
    /* a GTID inside an open group is an impossible sequence */
    gtid_query(f, 2);
    struct evgen mid = f->g;
    assert_int_equal(app(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, 3, EV_MGTID_TRANSACTIONAL)), STORE_REFUSED);
    f->g = mid;
    app_ok(f, evgen_xid(&f->g, f->ev, EVCAP, 2));   /* the parser state survived the refusal */
    sync_ok(f);
    assert_int_equal(wm_offset(f), f->g.pos);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)f->g.pos);
    assert_true(f->g.pos > end);
}

static void test_rotate_seals_and_next_file(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    /* keep the primary's bytes (as sent: IN_USE clear) to compare the closed file with */
    uint8_t *primary = malloc(1 << 16);
    memcpy(primary, BINLOG_MAGIC, 4);
    struct evgen g0;
    evgen_init(&g0);
    f->tap = primary;
    f->tap_len = 4 + evgen_fde(&g0, primary + 4, 4096);
    for (int i = 1; i <= 3; i++) trx(f, (uint64_t)i);
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    size_t plen = f->tap_len;
    f->tap = NULL;
    assert_int_equal(store_write_sealed(f->s), 1);
    assert_int_equal(in_use(f, "b.000001"), 1);   /* sealing waits for durability */
    sync_ok(f);
    assert_int_equal(in_use(f, "b.000001"), 0);
    char *copy = malloc(1 << 16);
    assert_int_equal(slurp(f, "b.000001", copy, 1 << 16), plen);
    assert_memory_equal(copy, primary, plen);   /* cmp-equal to the primary's closed file */
    struct evgen after = f->g;
    assert_int_equal(app(f, evgen_xid(&after, f->ev, EVCAP, 1)), STORE_REFUSED);
    assert_non_null(strstr(f->err, "after"));
    char file[64];
    uint64_t pos;
    assert_int_equal(store_resume_point(f->s, file, sizeof(file), &pos), 0);
    assert_string_equal(file, "b.000002");
    assert_int_equal(pos, 4);
    struct store_file_info fi[4];
    assert_int_equal(store_files(f->s, fi, 4), 1);
    assert_int_equal(fi[0].sealed, 1);

    begin(f, "b.000002");
    assert_int_equal(store_files(f->s, fi, 4), 2);
    assert_int_equal(fi[0].size, plen);
    assert_int_equal(fi[1].size, f->g.pos);
    assert_int_equal(fi[1].sealed, 0);
    assert_int_equal(store_files(f->s, fi, 1), 2);   /* total even when cap is smaller */
    assert_int_equal(slurp(f, "b.index", copy, 1 << 16), 22);
    assert_string_equal(copy, "./b.000001\n./b.000002\n");
    struct store_watermark wm;
    store_watermark_get(f->s, &wm);
    assert_string_equal(wm.file, "b.000002");
    assert_int_equal(wm.offset, f->g.pos);
    assert_int_equal(in_use(f, "b.000002"), 1);
    free(primary);
    free(copy);
}

static void test_file_begin_refusals(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000005");
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, f->ev, EVCAP);
    const char *bad[] = {"b.000005", "b.000004", "../b.000006", "", "x/y", ".binlogd-x", "b.index"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(store_file_begin(f->s, bad[i], f->ev, n, f->err, sizeof(f->err)), STORE_REFUSED);
        assert_true(f->err[0] != 0);
    }
    put(f, "b.000006", "junk", 4, 0);   /* exists in the directory, not in the index */
    assert_int_equal(store_file_begin(f->s, "b.000006", f->ev, n, f->err, sizeof(f->err)), STORE_REFUSED);
    assert_non_null(strstr(f->err, "exists"));
    f->ev[13] ^= 1;   /* log_pos of the FDE */
    assert_int_equal(store_file_begin(f->s, "b.000007", f->ev, n, f->err, sizeof(f->err)), STORE_REFUSED);
    f->ev[13] ^= 1;
    f->ev[30] ^= 1;   /* CRC */
    assert_int_equal(store_file_begin(f->s, "b.000007", f->ev, n, f->err, sizeof(f->err)), STORE_REFUSED);
    f->ev[30] ^= 1;
    /* the refusals touched nothing: the current file still takes events */
    assert_string_equal(store_write_file(f->s), "b.000005");
    trx(f, 1);
    sync_ok(f);
    assert_int_equal(store_files(f->s, NULL, 0), 1);
}

static void test_switch_without_rotate(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    uint64_t b1 = f->g.pos;
    gtid_query(f, 2);   /* the primary crashed mid-group and came back with a new file */
    begin(f, "b.000002");
    struct store_file_info fi[2];
    assert_int_equal(store_files(f->s, fi, 2), 2);
    assert_int_equal(fi[0].size, b1);
    assert_int_equal(fi[0].sealed, 1);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)b1);
    assert_int_equal(in_use(f, "b.000001"), 1);   /* closed as it is, like the primary's */
    reopen(f);
    assert_int_equal(store_files(f->s, fi, 2), 2);
    assert_int_equal(fi[0].size, b1);
    assert_string_equal(store_write_file(f->s), "b.000002");
}

static void test_rollback_partial(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    uint64_t b1 = f->g.pos;
    struct evgen at_b1 = f->g;
    gtid_query(f, 2);
    assert_int_equal(store_rollback_partial(f->s, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(store_write_offset(f->s), b1);
    assert_int_equal(store_pending_partial(f->s), 0);
    assert_int_equal(store_pending_complete(f->s), b1 - wm_offset(f));   /* complete trx kept */
    f->g = at_b1;
    trx(f, 2);
    sync_ok(f);
    /* also after the partial bytes reached the file (a big event bypasses the buffer) */
    struct evgen at_b2 = f->g;
    app_ok(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, 3, EV_MGTID_TRANSACTIONAL));
    app_ok(f, evgen_event(&f->g, f->ev, EVCAP, 23, 0, NULL, 2u << 20));
    assert_int_equal(store_rollback_partial(f->s, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)at_b2.pos);
    f->g = at_b2;
    trx(f, 3);
    sync_ok(f);
    reopen(f);
    assert_int_equal(wm_offset(f), f->g.pos);
    assert_int_equal(f->warns, 0);
}

static void test_reopen_resumes(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    sync_ok(f);
    uint64_t end = f->g.pos;
    reopen(f);
    struct store_watermark wm;
    store_watermark_get(f->s, &wm);
    assert_string_equal(wm.file, "b.000001");
    assert_int_equal(wm.offset, end);
    char file[64];
    uint64_t pos;
    assert_int_equal(store_resume_point(f->s, file, sizeof(file), &pos), 0);
    assert_string_equal(file, "b.000001");
    assert_int_equal(pos, end);
    assert_int_equal(store_write_offset(f->s), end);
    assert_int_equal(store_write_sealed(f->s), 0);
    trx(f, 2);
    sync_ok(f);
    assert_int_equal(wm_offset(f), f->g.pos);
    assert_int_equal(in_use(f, "b.000001"), 1);
}

static void test_crash_partial_tail_is_truncated(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    trx(f, 2);
    sync_ok(f);
    uint64_t good = f->g.pos;
    store_free(f->s);
    f->s = NULL;
    /* what a crash leaves: a whole GTID and QUERY, then half an XID */
    size_t n = evgen_gtid(&f->g, f->ev, EVCAP, 0, 3, EV_MGTID_TRANSACTIONAL);
    put(f, "b.000001", f->ev, n, 1);
    n = evgen_query(&f->g, f->ev, EVCAP, "test", "INSERT INTO t VALUES (3)");
    put(f, "b.000001", f->ev, n, 1);
    n = evgen_xid(&f->g, f->ev, EVCAP, 3);
    put(f, "b.000001", f->ev, n / 2, 1);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    assert_int_equal(f->warns, 1);
    assert_non_null(strstr(f->last_warn, "truncating"));
    assert_non_null(strstr(f->last_warn, "b.000001:"));
    assert_int_equal(fsize(f, "b.000001"), (int64_t)good);
    assert_int_equal(wm_offset(f), good);
    assert_int_equal(in_use(f, "b.000001"), 1);
    /* the writer resumes at the boundary, outside any group */
    f->g.pos = good;
    trx(f, 3);
    sync_ok(f);
    good = f->g.pos;
    /* corrupt the last event's CRC: recovery cuts its whole transaction */
    store_free(f->s);
    f->s = NULL;
    int fd = open(fpath(f, "b.000001"), O_RDWR);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, (off_t)good - 6), 1);
    b ^= 0xff;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)good - 6), 1);
    close(fd);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    assert_non_null(strstr(f->all_warns, "CRC32"));
    assert_true(wm_offset(f) < good);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)wm_offset(f));
}

static void test_crash_before_seal(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    sync_ok(f);
    store_free(f->s);
    f->s = NULL;
    int fd = open(fpath(f, "b.000001"), O_RDWR);
    uint8_t one = 1;   /* ROTATE durable, IN_USE not yet cleared */
    assert_int_equal(pwrite(fd, &one, 1, BINLOG_IN_USE_OFFSET), 1);
    close(fd);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    assert_int_equal(in_use(f, "b.000001"), 0);
    char file[64];
    uint64_t pos;
    assert_int_equal(store_resume_point(f->s, file, sizeof(file), &pos), 0);
    assert_string_equal(file, "b.000002");
    assert_int_equal(pos, 4);
    assert_int_equal(store_write_sealed(f->s), 1);
    begin(f, "b.000002");
}

static void test_crash_between_index_and_create(void **state)
{
    struct fx *f = *state;
    char buf[256];
    begin(f, "b.000001");
    trx(f, 1);
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    sync_ok(f);
    store_free(f->s);
    f->s = NULL;
    put(f, "b.index", "./b.000001\n./b.000002\n", 22, 0);
    put(f, ".binlogd-tmp.b.000002", "\xfe" "bin", 4, 0);   /* the temp file it was writing */
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    assert_non_null(strstr(f->all_warns, "dropping last entry b.000002"));
    assert_non_null(strstr(f->all_warns, "temporary"));
    assert_int_equal(access(fpath(f, ".binlogd-tmp.b.000002"), F_OK), -1);
    slurp(f, "b.index", buf, sizeof(buf));
    assert_string_equal(buf, "./b.000001\n");
    char file[64];
    uint64_t pos;
    assert_int_equal(store_resume_point(f->s, file, sizeof(file), &pos), 0);
    assert_string_equal(file, "b.000002");
    begin(f, "b.000002");
    slurp(f, "b.index", buf, sizeof(buf));
    assert_string_equal(buf, "./b.000001\n./b.000002\n");
}

static void test_gap_in_the_middle_is_refused(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    sync_ok(f);
    begin(f, "b.000002");
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000003", 4));
    sync_ok(f);
    begin(f, "b.000003");
    store_free(f->s);
    f->s = NULL;
    assert_int_equal(rename(fpath(f, "b.000002"), fpath(f, "moved")), 0);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_REFUSED);
    assert_non_null(strstr(f->err, "b.000002"));
    assert_non_null(strstr(f->err, "gap"));
    assert_null(f->s);
    /* a missing head (files purged) is tolerated */
    assert_int_equal(rename(fpath(f, "moved"), fpath(f, "b.000002")), 0);
    assert_int_equal(unlink(fpath(f, "b.000001")), 0);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    if (!strstr(f->all_warns, "leading")) fail_msg("warnings: %s", f->all_warns);
    assert_int_equal(store_files(f->s, NULL, 0), 2);
}

static void test_index_rebuilt_and_strays_reported(void **state)
{
    struct fx *f = *state;
    char buf[256];
    begin(f, "b.000001");
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    sync_ok(f);
    begin(f, "b.000002");
    trx(f, 1);
    sync_ok(f);
    uint64_t end = f->g.pos;
    store_free(f->s);
    f->s = NULL;
    assert_int_equal(unlink(fpath(f, "b.index")), 0);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    assert_non_null(strstr(f->all_warns, "rebuilt b.index"));
    slurp(f, "b.index", buf, sizeof(buf));
    assert_string_equal(buf, "./b.000001\n./b.000002\n");
    assert_int_equal(wm_offset(f), end);
    store_free(f->s);
    f->s = NULL;
    put(f, "b.000009", "\xfe" "bin", 4, 0);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    assert_non_null(strstr(f->all_warns, "b.000009 looks like a binlog file but is not in b.index"));
    assert_int_equal(store_files(f->s, NULL, 0), 2);
}

static void test_second_open_is_locked_out(void **state)
{
    struct fx *f = *state;
    struct store *other = NULL;
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX};
    assert_int_equal(store_open(&o, &other, f->err, sizeof(f->err)), STORE_REFUSED);
    assert_non_null(strstr(f->err, "in use"));
    assert_null(other);
}

static void test_enospc_rolls_back_and_resumes(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    sync_ok(f);
    uint64_t c = f->g.pos;
    struct evgen at_c = f->g;
    trx(f, 2);
    gtid_query(f, 3);
    fsio_set_fault(FSIO_OP_WRITE, 1, ENOSPC);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_NOSPACE);
    assert_non_null(strstr(f->err, "b.000001:"));
    assert_int_equal(fsize(f, "b.000001"), (int64_t)c);
    assert_int_equal(store_write_offset(f->s), c);
    assert_int_equal(store_pending_complete(f->s), 0);
    assert_int_equal(store_pending_partial(f->s), 0);
    assert_int_equal(wm_offset(f), c);
    /* the upstream resends from the resume point */
    char file[64];
    uint64_t pos;
    assert_int_equal(store_resume_point(f->s, file, sizeof(file), &pos), 0);
    assert_int_equal(pos, c);
    f->g = at_c;
    trx(f, 2);
    gtid_query(f, 3);
    /* torn flush: part of the buffer reaches the file before the disk fills up */
    fsio_set_fault_partial(FSIO_OP_WRITE, 1, ENOSPC);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_NOSPACE);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)c);
    assert_int_equal(store_write_offset(f->s), c);
    f->g = at_c;
    trx(f, 2);
    sync_ok(f);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)f->g.pos);
    /* a big event goes straight to the file: ENOSPC there too */
    struct evgen at_d = f->g;
    app_ok(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, 3, EV_MGTID_TRANSACTIONAL));
    fsio_set_fault(FSIO_OP_WRITE, 2, ENOSPC);   /* the buffer flush passes, the big write fails */
    assert_int_equal(app(f, evgen_event(&f->g, f->ev, EVCAP, 23, 0, NULL, 3u << 20)), STORE_NOSPACE);
    assert_int_equal(store_write_offset(f->s), at_d.pos);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)at_d.pos);
    f->g = at_d;
    trx(f, 3);
    sync_ok(f);
    reopen(f);
    assert_int_equal(wm_offset(f), f->g.pos);
    assert_int_equal(f->warns, 0);
}

static void test_enospc_on_new_file(void **state)
{
    struct fx *f = *state;
    char buf[256];
    begin(f, "b.000001");
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    sync_ok(f);
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, f->ev, EVCAP);
    /* 1st write = the index, 2nd = the new file */
    fsio_set_fault(FSIO_OP_WRITE, 1, ENOSPC);
    assert_int_equal(store_file_begin(f->s, "b.000002", f->ev, n, f->err, sizeof(f->err)), STORE_NOSPACE);
    slurp(f, "b.index", buf, sizeof(buf));
    assert_string_equal(buf, "./b.000001\n");
    fsio_set_fault(FSIO_OP_WRITE, 2, ENOSPC);
    assert_int_equal(store_file_begin(f->s, "b.000002", f->ev, n, f->err, sizeof(f->err)), STORE_NOSPACE);
    assert_int_equal(access(fpath(f, "b.000002"), F_OK), -1);
    slurp(f, "b.index", buf, sizeof(buf));
    assert_string_equal(buf, "./b.000001\n./b.000002\n");   /* entry first; recovery would drop it */
    assert_int_equal(store_files(f->s, NULL, 0), 1);           /* readers never see it */
    /* a retry with another name replaces the orphan entry */
    assert_int_equal(store_file_begin(f->s, "b.000003", f->ev, n, f->err, sizeof(f->err)), STORE_OK);
    slurp(f, "b.index", buf, sizeof(buf));
    assert_string_equal(buf, "./b.000001\n./b.000003\n");
    reopen(f);
    assert_int_equal(f->warns, 0);
    assert_int_equal(store_files(f->s, NULL, 0), 2);
}

static void test_fsync_error_poisons(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    sync_ok(f);
    uint64_t c = f->g.pos;
    trx(f, 2);
    int notified = f->notified;
    fsio_set_fault(FSIO_OP_FDATASYNC, 1, EIO);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_FATAL);
    assert_non_null(strstr(f->err, "fdatasync"));
    assert_int_equal(wm_offset(f), c);
    assert_int_equal(f->notified, notified);
    /* poisoned: every writer call refuses, even though fdatasync would work now */
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_FATAL);
    assert_int_equal(app(f, evgen_xid(&f->g, f->ev, EVCAP, 3)), STORE_FATAL);
    assert_int_equal(store_rollback_partial(f->s, f->err, sizeof(f->err)), STORE_FATAL);
    struct evgen g;
    evgen_init(&g);
    size_t n = evgen_fde(&g, f->ev, EVCAP);
    assert_int_equal(store_file_begin(f->s, "b.000002", f->ev, n, f->err, sizeof(f->err)), STORE_FATAL);
    assert_non_null(strstr(f->err, "fdatasync"));
    /* readers still see the durable data */
    assert_int_equal(store_files(f->s, NULL, 0), 1);
    reopen(f);   /* the restart re-verifies the tail */
    assert_true(wm_offset(f) >= c);
}

static void test_write_eio_poisons(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    fsio_set_fault(FSIO_OP_WRITE, 1, EIO);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_FATAL);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_FATAL);
    fsio_clear_faults();
    reopen(f);
    begin(f, "b.000002");
    /* a failed truncate is fatal too */
    trx(f, 1);
    gtid_query(f, 2);
    app_ok(f, evgen_event(&f->g, f->ev, EVCAP, 23, 0, NULL, 2u << 20));
    fsio_set_fault(FSIO_OP_FTRUNCATE, 1, EIO);
    assert_int_equal(store_rollback_partial(f->s, f->err, sizeof(f->err)), STORE_FATAL);
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_FATAL);
}

static void test_large_event_append_and_recover(void **state)
{
    struct fx *f = *state;
    begin(f, "b.000001");
    trx(f, 1);
    app_ok(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, 2, EV_MGTID_TRANSACTIONAL));
    app_ok(f, evgen_event(&f->g, f->ev, EVCAP, 23, 0, NULL, (17u << 20) + 5));
    app_ok(f, evgen_xid(&f->g, f->ev, EVCAP, 2));
    sync_ok(f);
    uint64_t end = f->g.pos;
    assert_true(end > (17u << 20));
    assert_int_equal(wm_offset(f), end);
    /* crash in the middle of another big event */
    app_ok(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, 3, EV_MGTID_TRANSACTIONAL));
    store_free(f->s);   /* drops the open group */
    f->s = NULL;
    assert_int_equal(fsize(f, "b.000001"), (int64_t)end);
    struct evgen g = f->g;
    g.pos = end;
    size_t n = evgen_event(&g, f->ev, EVCAP, 23, 0, NULL, 17u << 20);
    put(f, "b.000001", f->ev, n - 1000, 1);
    assert_int_equal(open_mode(f, STORE_SYNC_TRX, 0), STORE_OK);
    assert_non_null(strstr(f->last_warn, "runs past the end"));
    assert_int_equal(wm_offset(f), end);
    assert_int_equal(fsize(f, "b.000001"), (int64_t)end);
}

static void test_interval_mode_publishes_only_synced(void **state)
{
    struct fx *f = *state;
    store_free(f->s);
    f->s = NULL;
    assert_int_equal(open_mode(f, STORE_SYNC_INTERVAL, 3600 * 1000), STORE_OK);
    begin(f, "b.000001");
    trx(f, 1);
    sync_ok(f);   /* the first sync is never held back */
    uint64_t c = f->g.pos;
    assert_int_equal(wm_offset(f), c);
    trx(f, 2);
    unsigned long before = fsio_calls(FSIO_OP_FDATASYNC);
    sync_ok(f);
    assert_int_equal(fsio_calls(FSIO_OP_FDATASYNC), before);
    assert_int_equal(wm_offset(f), c);   /* not synced, so not visible */
    assert_true(store_pending_complete(f->s) > 0);
    char file[64];
    uint64_t pos;
    assert_int_equal(store_resume_point(f->s, file, sizeof(file), &pos), 0);
    assert_int_equal(pos, f->g.pos);   /* our copy continues after the unsynced trx */
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    sync_ok(f);
    assert_int_equal(in_use(f, "b.000001"), 1);
    uint64_t rot_end = f->g.pos;
    begin(f, "b.000002");   /* closing a file always syncs and seals it */
    assert_int_equal(in_use(f, "b.000001"), 0);
    struct store_file_info fi[2];
    assert_int_equal(store_files(f->s, fi, 2), 2);
    assert_int_equal(fi[0].size, rot_end);
}

static void test_none_mode_syncs_only_finished_files(void **state)
{
    struct fx *f = *state;
    store_free(f->s);
    f->s = NULL;
    assert_int_equal(open_mode(f, STORE_SYNC_NONE, 0), STORE_OK);
    begin(f, "b.000001");
    unsigned long before = fsio_calls(FSIO_OP_FDATASYNC);
    trx(f, 1);
    sync_ok(f);
    trx(f, 2);
    sync_ok(f);
    assert_int_equal(fsio_calls(FSIO_OP_FDATASYNC), before);
    assert_int_equal(wm_offset(f), f->g.pos);
    /* ... except once when a file is finished, so a power loss cannot empty closed files */
    app_ok(f, evgen_rotate(&f->g, f->ev, EVCAP, "b.000002", 4));
    sync_ok(f);
    assert_true(fsio_calls(FSIO_OP_FDATASYNC) > before);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_empty_store),
        T(test_append_sync_publish),
        T(test_watermark_only_at_boundaries),
        T(test_group_commit_one_fdatasync),
        T(test_refusals_write_nothing),
        T(test_rotate_seals_and_next_file),
        T(test_file_begin_refusals),
        T(test_switch_without_rotate),
        T(test_rollback_partial),
        T(test_reopen_resumes),
        T(test_crash_partial_tail_is_truncated),
        T(test_crash_before_seal),
        T(test_crash_between_index_and_create),
        T(test_gap_in_the_middle_is_refused),
        T(test_index_rebuilt_and_strays_reported),
        T(test_second_open_is_locked_out),
        T(test_enospc_rolls_back_and_resumes),
        T(test_enospc_on_new_file),
        T(test_fsync_error_poisons),
        T(test_write_eio_poisons),
        T(test_large_event_append_and_recover),
        T(test_interval_mode_publishes_only_synced),
        T(test_none_mode_syncs_only_finished_files),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
