/* test_binlog_file.c - atomic create, IN_USE, truncation, and the tail scan on synthetic files. */
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

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "storage/binlog_file.h"
#include "storage/fsio.h"
#include "tests/unit/tmpdir.h"
#include "tests/unit/evgen.h"

struct tdir {
    char path[64];
    int fd;
};

/* A file image built in memory: magic + FDE + events. */
struct img {
    uint8_t *buf;
    size_t len, cap;
    struct evgen g;
};

static int setup(void **state)
{
    struct tdir *d = calloc(1, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/tmp/binlogd-bf-XXXXXX");
    if (!mkdtemp(d->path)) return -1;
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
    fsio_clear_faults();
    *state = d;
    return d->fd == -1 ? -1 : 0;
}

static int teardown(void **state)
{
    struct tdir *d = *state;
    fsio_clear_faults();
    close(d->fd);
    tmpdir_remove(d->path);
    free(d);
    return 0;
}

static void img_reserve(struct img *m, size_t more)
{
    if (m->len + more <= m->cap) return;
    m->cap = (m->len + more) * 2;
    m->buf = realloc(m->buf, m->cap);
    assert_non_null(m->buf);
}

static void img_init(struct img *m, int crc)
{
    memset(m, 0, sizeof(*m));
    evgen_init(&m->g);
    m->g.crc = crc;
    img_reserve(m, 4096);
    memcpy(m->buf, BINLOG_MAGIC, BINLOG_MAGIC_LEN);
    m->len = BINLOG_MAGIC_LEN;
    m->len += evgen_fde(&m->g, m->buf + m->len, m->cap - m->len);
}

static size_t img_trx(struct img *m, uint64_t seq)
{
    img_reserve(m, 4096);
    size_t n = evgen_trx(&m->g, m->buf + m->len, m->cap - m->len, seq, "INSERT INTO t VALUES (1)");
    assert_true(n > 0);
    m->len += n;
    return n;
}

static int img_write(struct tdir *d, const char *name, const struct img *m, size_t len)
{
    int fd = openat(d->fd, name, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_int_not_equal(fd, -1);
    assert_int_equal(write(fd, m->buf, len), (ssize_t)len);
    return fd;
}

static void test_create_is_atomic_and_in_use(void **state)
{
    struct tdir *d = *state;
    struct evgen g;
    uint8_t fde[512];
    evgen_init(&g);
    size_t fl = evgen_fde(&g, fde, sizeof(fde));
    enum fsio_op op;
    int fd = binlog_file_create(d->fd, "b.000001", fde, fl, &op);
    assert_int_not_equal(fd, -1);
    uint8_t back[600];
    assert_int_equal(pread(fd, back, sizeof(back), 0), (ssize_t)(4 + fl));
    assert_memory_equal(back, BINLOG_MAGIC, 4);
    assert_int_equal(back[BINLOG_IN_USE_OFFSET] & 1, 1);
    /* only byte 21 differs from what the primary sent, and the CRC still verifies */
    assert_memory_equal(back + 4, fde, EV_FLAGS_OFFSET);
    assert_memory_equal(back + 4 + EV_FLAGS_OFFSET + 1, fde + EV_FLAGS_OFFSET + 1, fl - EV_FLAGS_OFFSET - 1);
    assert_int_equal(ev_crc32_verify(back + 4, fl), 0);
    assert_int_equal(faccessat(d->fd, ".binlogd-tmp.b.000001", F_OK, 0), -1);

    assert_int_equal(binlog_file_set_in_use(fd, 0, 1, &op), 0);
    assert_int_equal(pread(fd, back, 1, BINLOG_IN_USE_OFFSET), 1);
    assert_int_equal(back[0] & 1, 0);
    assert_int_equal(pread(fd, back, fl, 4), (ssize_t)fl);
    assert_memory_equal(back, fde, fl);   /* sealed: byte-identical to the primary's FDE */
    assert_int_equal(binlog_file_set_in_use(fd, 1, 0, &op), 0);
    assert_int_equal(pread(fd, back, 1, BINLOG_IN_USE_OFFSET), 1);
    assert_int_equal(back[0] & 1, 1);
    close(fd);

    /* never replaces an existing file */
    assert_int_equal(binlog_file_create(d->fd, "b.000001", fde, fl, &op), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(faccessat(d->fd, ".binlogd-tmp.b.000001", F_OK, 0), -1);
}

static void test_create_failures_leave_nothing(void **state)
{
    struct tdir *d = *state;
    struct evgen g;
    uint8_t fde[512];
    evgen_init(&g);
    size_t fl = evgen_fde(&g, fde, sizeof(fde));
    enum fsio_op op;
    const struct { enum fsio_op op; unsigned long nth; int err; } faults[] = {
        {FSIO_OP_OPEN, 1, ENOSPC}, {FSIO_OP_WRITE, 1, ENOSPC}, {FSIO_OP_FSYNC, 1, EIO}, {FSIO_OP_RENAME, 1, EIO},
    };
    for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
        fsio_set_fault(faults[i].op, faults[i].nth, faults[i].err);
        assert_int_equal(binlog_file_create(d->fd, "b.000002", fde, fl, &op), -1);
        assert_int_equal(errno, faults[i].err);
        assert_int_equal(op, faults[i].op);
        assert_int_equal(faccessat(d->fd, "b.000002", F_OK, 0), -1);
        assert_int_equal(faccessat(d->fd, ".binlogd-tmp.b.000002", F_OK, 0), -1);
    }
    /* the directory fsync fails after the rename: reported as an fsync failure */
    fsio_set_fault(FSIO_OP_FSYNC, 2, EIO);
    assert_int_equal(binlog_file_create(d->fd, "b.000002", fde, fl, &op), -1);
    assert_int_equal(op, FSIO_OP_FSYNC);
}

static void test_scan_clean_file(void **state)
{
    struct tdir *d = *state;
    struct img m;
    img_init(&m, 1);
    size_t after_fde = m.len;
    for (int i = 1; i <= 5; i++) img_trx(&m, (uint64_t)i);
    int fd = img_write(d, "b.000001", &m, m.len);
    struct binlog_scan sc;
    char err[256];
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.file_size, m.len);
    assert_int_equal(sc.safe_end, m.len);
    assert_int_equal(sc.events_end, m.len);
    assert_int_equal(sc.problem_offset, m.len);
    assert_string_equal(sc.problem, "");
    assert_int_equal(sc.events, 16);
    assert_int_equal(sc.fde_len, after_fde - 4);
    assert_int_equal(sc.fmt.checksum, EV_CHECKSUM_CRC32);
    assert_int_equal(sc.in_use, 0);
    assert_int_equal(sc.end_type, 0);
    close(fd);
    free(m.buf);
}

static void test_scan_stops_at_partial_transaction(void **state)
{
    struct tdir *d = *state;
    struct img m;
    char err[256];
    struct binlog_scan sc;
    img_init(&m, 1);
    img_trx(&m, 1);
    size_t good = m.len;
    size_t n = img_trx(&m, 2);
    /* Cut the second transaction at every offset: the safe end is always the first one's end. */
    for (size_t cut = 1; cut < n; cut += 7) {
        int fd = img_write(d, "b.000001", &m, good + cut);
        assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
        assert_int_equal(sc.safe_end, good);
        assert_int_equal(sc.problem_offset >= good, 1);
        assert_true(sc.problem[0] != 0);
        close(fd);
    }
    /* whole events but no XID: "incomplete transaction" at the group start */
    int fd = img_write(d, "b.000001", &m, m.len - 31);   /* XID = 19 + 8 + 4 bytes */
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.safe_end, good);
    assert_int_equal(sc.events_end, m.len - 31);
    assert_int_equal(sc.problem_offset, good);
    assert_non_null(strstr(sc.problem, "incomplete transaction"));
    close(fd);
    free(m.buf);
}

static void test_scan_detects_corruption(void **state)
{
    struct tdir *d = *state;
    struct img m;
    char err[256];
    struct binlog_scan sc;
    img_init(&m, 1);
    img_trx(&m, 1);
    size_t good = m.len;
    img_trx(&m, 2);
    size_t query_off = good + 19 + 19 + 4;   /* GTID is 42 bytes */

    uint8_t saved = m.buf[query_off + 30];
    m.buf[query_off + 30] ^= 0x55;           /* body byte: CRC mismatch */
    int fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.safe_end, good);
    assert_int_equal(sc.problem_offset, query_off);
    assert_non_null(strstr(sc.problem, "CRC32"));
    close(fd);
    m.buf[query_off + 30] = saved;

    m.buf[query_off + 13] ^= 0x01;           /* log_pos */
    evgen_fix_crc(m.buf + query_off, m.len - 31 - query_off);
    fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.safe_end, good);
    assert_non_null(strstr(sc.problem, "log_pos"));
    close(fd);
    m.buf[query_off + 13] ^= 0x01;

    memset(m.buf + good, 0, m.len - good);   /* zeroed tail (lost page) */
    fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.safe_end, good);
    assert_int_equal(sc.problem_offset, good);
    close(fd);

    fd = img_write(d, "b.000001", &m, good + 10);   /* partial header */
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.safe_end, good);
    assert_non_null(strstr(sc.problem, "partial event header"));
    close(fd);
    free(m.buf);
}

static void test_scan_unusable_files(void **state)
{
    struct tdir *d = *state;
    struct img m;
    char err[256];
    struct binlog_scan sc;
    img_init(&m, 1);
    int fd = img_write(d, "b.000001", &m, 10);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "b.000001:0:"));
    close(fd);
    m.buf[0] = 'x';
    fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "magic"));
    close(fd);
    m.buf[0] = 0xfe;
    m.buf[4 + 30] ^= 1;   /* FDE body: its CRC no longer matches */
    fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "b.000001:4:"));
    close(fd);
    m.buf[4 + 30] ^= 1;
    fd = img_write(d, "b.000001", &m, m.len - 1);   /* FDE cut short */
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), -1);
    close(fd);
    /* IN_USE set: the FDE CRC ignores it */
    m.buf[BINLOG_IN_USE_OFFSET] |= 1;
    fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.in_use, 1);
    close(fd);
    free(m.buf);
}

static void test_scan_rotate_and_stop(void **state)
{
    struct tdir *d = *state;
    struct img m;
    char err[256];
    struct binlog_scan sc;
    img_init(&m, 1);
    img_trx(&m, 1);
    img_reserve(&m, 4096);
    m.len += evgen_rotate(&m.g, m.buf + m.len, m.cap - m.len, "b.000002", 4);
    int fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.safe_end, m.len);
    assert_int_equal(sc.end_type, EV_ROTATE);
    assert_string_equal(sc.rotate_name, "b.000002");
    assert_int_equal(sc.rotate_pos, 4);
    close(fd);
    size_t rot_end = m.len;
    img_trx(&m, 2);   /* nothing may follow a ROTATE */
    fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.safe_end, rot_end);
    assert_int_equal(sc.problem_offset, rot_end);
    assert_non_null(strstr(sc.problem, "after"));
    close(fd);
    free(m.buf);

    img_init(&m, 1);
    img_trx(&m, 1);
    img_reserve(&m, 4096);
    m.len += evgen_stop(&m.g, m.buf + m.len, m.cap - m.len);
    fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.end_type, EV_STOP);
    assert_int_equal(sc.safe_end, m.len);
    close(fd);
    free(m.buf);
}

static void test_scan_without_checksums(void **state)
{
    struct tdir *d = *state;
    struct img m;
    char err[256];
    struct binlog_scan sc;
    img_init(&m, 0);
    img_trx(&m, 1);
    size_t good = m.len;
    img_trx(&m, 2);
    int fd = img_write(d, "b.000001", &m, m.len - 3);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_int_equal(sc.fmt.checksum, EV_CHECKSUM_OFF);
    assert_int_equal(sc.safe_end, good);
    close(fd);
    free(m.buf);
}

static void test_scan_large_event(void **state)
{
    struct tdir *d = *state;
    struct img m;
    char err[256];
    struct binlog_scan sc;
    img_init(&m, 1);
    img_trx(&m, 1);
    size_t big = (17u << 20) + 123;   /* > 16 MiB: bigger than the scan buffer and a packet */
    img_reserve(&m, big + 4096);
    m.len += evgen_gtid(&m.g, m.buf + m.len, m.cap - m.len, 0, 2, EV_MGTID_TRANSACTIONAL);
    m.len += evgen_event(&m.g, m.buf + m.len, m.cap - m.len, 23 /* WRITE_ROWS_V1 */, 0, NULL, big);
    m.len += evgen_xid(&m.g, m.buf + m.len, m.cap - m.len, 2);
    int fd = img_write(d, "b.000001", &m, m.len);
    assert_int_equal(binlog_file_scan(fd, "b.000001", &sc, err, sizeof(err)), 0);
    assert_string_equal(sc.problem, "");
    assert_int_equal(sc.safe_end, m.len);
    close(fd);
    free(m.buf);
}

/* A sparse file: FDE at 4, then transactions past 4 GiB. log_pos is 32 bits and wraps. */
static void test_scan_past_4gib(void **state)
{
    struct tdir *d = *state;
    struct img m;
    char err[256];
    struct binlog_scan sc;
    img_init(&m, 1);
    int fd = img_write(d, "b.000001", &m, m.len);
    uint64_t start = (5ull << 30) + 100;
    struct evgen g = m.g;
    g.pos = start;
    uint8_t buf[4096];
    size_t n = evgen_trx(&g, buf, sizeof(buf), 7, "INSERT INTO t VALUES (7)");
    size_t n2 = evgen_trx(&g, buf + n, sizeof(buf) - n, 8, "INSERT INTO t VALUES (8)");
    if (pwrite(fd, buf, n + n2 - 5, (off_t)start) != (ssize_t)(n + n2 - 5)) {
        close(fd);
        free(m.buf);
        skip();   /* filesystem without large sparse files */
    }
    struct binlog_scan first;
    assert_int_equal(binlog_file_scan(fd, "b.000001", &first, err, sizeof(err)), 0);
    assert_int_equal(first.safe_end, m.len);   /* the hole is not a valid event */
    assert_int_equal(binlog_file_scan_from(fd, "b.000001", start, &first.fmt, first.fde_len, &sc, err, sizeof(err)),
                     0);
    assert_true(sc.file_size > (4ull << 30));
    assert_int_equal(sc.safe_end, start + n);
    assert_int_equal(sc.events_end, start + n + n2 - 31);
    assert_int_equal(sc.problem_offset, start + n + n2 - 31);   /* the cut XID */
    assert_non_null(strstr(sc.problem, "runs past the end"));
    /* truncation at a 64-bit offset */
    enum fsio_op op;
    assert_int_equal(binlog_file_truncate(fd, sc.safe_end, 0, &op), 0);
    assert_int_equal(binlog_file_scan_from(fd, "b.000001", start, &first.fmt, first.fde_len, &sc, err, sizeof(err)),
                     0);
    assert_int_equal(sc.file_size, start + n);
    assert_string_equal(sc.problem, "");
    close(fd);
    free(m.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_is_atomic_and_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_failures_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_clean_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_stops_at_partial_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_detects_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_unusable_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_rotate_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_without_checksums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_large_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_past_4gib, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
