/* test_rot.c - corruption at rest: the verified horizon (bytes this process wrote or scanned
 * are trusted; older files are CRC-checked by the first reader, once), damaged events refused
 * by the cursor with a fault the dump turns into ERR 1236, files without checksums checked by
 * their headers, and recovery refusing to truncate damage that intact events follow. */
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
#include "storage/binlog_file.h"
#include "storage/cursor.h"
#include "storage/store.h"
#include "tests/unit/tmpdir.h"
#include "tests/unit/evgen.h"

#define EVCAP (256u * 1024)

struct fx {
    char path[64];
    struct store *s;
    struct evgen g;
    uint8_t *ev;
    char err[2048];
    uint64_t starts[64];    /* offsets of the events written by write_file, in order */
    size_t nev;
};

static enum store_result open_store(struct fx *f)
{
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX};
    return store_open(&o, &f->s, f->err, sizeof(f->err));
}

/* A new process: what this one verified is forgotten. */
static void restart(struct fx *f)
{
    store_free(f->s);
    f->s = NULL;
    if (open_store(f) != STORE_OK) fail_msg("reopen: %s", f->err);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-rot-XXXXXX");
    if (!mkdtemp(f->path)) return -1;
    f->ev = malloc(EVCAP);
    *state = f;
    return open_store(f) == STORE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_free(f->s);
    tmpdir_remove(f->path);
    free(f->ev);
    free(f);
    return 0;
}

static void app(struct fx *f, size_t len)
{
    f->starts[f->nev++] = f->g.pos - len;
    if (store_append(f->s, f->ev, len, f->err, sizeof(f->err)) != STORE_OK) fail_msg("append: %s", f->err);
}

/* File `name`: n transactions (GTID, QUERY of sql_len bytes, XID), synced, then a ROTATE to
 * `next` when given. crc: events carry CRC32. */
static void write_file(struct fx *f, const char *name, int n, size_t sql_len, const char *next, int crc)
{
    evgen_init(&f->g);
    f->g.crc = crc;
    f->nev = 0;
    size_t l = evgen_fde(&f->g, f->ev, EVCAP);
    if (store_file_begin(f->s, name, f->ev, l, f->err, sizeof(f->err)) != STORE_OK) fail_msg("begin: %s", f->err);
    char *sql = malloc(sql_len + 32);
    snprintf(sql, sql_len + 32, "INSERT INTO t VALUES ('");
    size_t k = strlen(sql);
    for (size_t i = 0; i < sql_len; i++) sql[k + i] = (char)('a' + i % 26);
    snprintf(sql + k + sql_len, 32, "')");
    for (int i = 0; i < n; i++) {
        app(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, (uint64_t)i + 1, EV_MGTID_TRANSACTIONAL));
        app(f, evgen_query(&f->g, f->ev, EVCAP, "d", sql));
        app(f, evgen_xid(&f->g, f->ev, EVCAP, (uint64_t)i));
    }
    free(sql);
    if (next) app(f, evgen_rotate(&f->g, f->ev, EVCAP, next, 4));
    if (store_sync(f->s, f->err, sizeof(f->err)) != STORE_OK) fail_msg("sync: %s", f->err);
}

static void flip(struct fx *f, const char *name, uint64_t off)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", f->path, name);
    int fd = open(p, O_RDWR);
    assert_int_not_equal(fd, -1);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

static uint64_t verified(struct fx *f, const char *name)
{
    struct store_file_info fi;
    assert_int_equal(store_file_lookup(f->s, name, &fi), 0);
    return fi.verified;
}

static uint64_t size_of(struct fx *f, const char *name)
{
    struct store_file_info fi;
    assert_int_equal(store_file_lookup(f->s, name, &fi), 0);
    return fi.size;
}

/* Read events from (name, pos) until WAIT or ERROR; returns the last result, *events counts
 * the events handed out (CURSOR_EVENT). The cursor is left open in *out when out != NULL. */
static enum cursor_result read_all(struct fx *f, const char *name, uint64_t pos, int *events, struct cursor **out)
{
    struct cursor *c = cursor_new(f->s);
    assert_non_null(c);
    assert_int_equal(cursor_open(c, name, pos, f->err, sizeof(f->err)), CURSOR_OPEN_OK);
    enum cursor_result r;
    struct cursor_item it;
    *events = 0;
    while ((r = cursor_next(c, &it, f->err, sizeof(f->err))) == CURSOR_EVENT || r == CURSOR_NEXT_FILE)
        if (r == CURSOR_EVENT) (*events)++;
    if (out) *out = c;
    else cursor_free(c);
    return r;
}

/* ---- the horizon ---- */

static void test_bytes_written_by_this_process_are_verified(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 3, 20, "b.000002", 1);
    assert_int_equal(verified(f, "b.000001"), size_of(f, "b.000001"));
    write_file(f, "b.000002", 1, 20, NULL, 1);
    assert_int_equal(verified(f, "b.000002"), size_of(f, "b.000002"));
    restart(f);
    /* Recovery scanned the last file only: the earlier one is checked by its first reader. */
    assert_int_equal(verified(f, "b.000001"), 0);
    assert_int_equal(verified(f, "b.000002"), size_of(f, "b.000002"));
}

static void test_first_reader_checks_once(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 5, 20, "b.000002", 1);
    uint64_t q3 = f->starts[7];   /* QUERY of the third transaction */
    write_file(f, "b.000002", 1, 20, NULL, 1);
    restart(f);
    int n;
    assert_int_equal(read_all(f, "b.000001", 4, &n, NULL), CURSOR_WAIT);
    assert_int_equal(n, 1 + 16 + 3);   /* FDE, 5 x 3 + ROTATE of file 1, then file 2's events */
    assert_int_equal(verified(f, "b.000001"), size_of(f, "b.000001"));
    /* Checked once per process: a byte that changes below the horizon is not read again. */
    flip(f, "b.000001", q3 + 30);
    assert_int_equal(read_all(f, "b.000001", 4, &n, NULL), CURSOR_WAIT);
    /* The next process checks again, and finds it. */
    restart(f);
    assert_int_equal(read_all(f, "b.000001", 4, &n, NULL), CURSOR_ERROR);
    assert_non_null(strstr(f->err, "CRC32 mismatch"));
}

static void test_corrupt_event_is_not_served(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 5, 20, "b.000002", 1);
    uint64_t q3 = f->starts[7], x3 = f->starts[8];
    uint64_t q3_end = x3;
    write_file(f, "b.000002", 1, 20, NULL, 1);
    restart(f);
    flip(f, "b.000001", q3 + 30);
    int n;
    struct cursor *c;
    assert_int_equal(read_all(f, "b.000001", 4, &n, &c), CURSOR_ERROR);
    assert_int_equal(n, 1 + 6 + 1);   /* FDE, two transactions, the third one's GTID */
    uint64_t at, upto;
    assert_int_equal(cursor_fault(c, &at, &upto), CURSOR_FAULT_CHECKSUM);
    assert_int_equal(at, q3);
    assert_int_equal(upto, q3_end);
    char want[64];
    snprintf(want, sizeof(want), "b.000001:%llu: CRC32 mismatch in QUERY", (unsigned long long)q3);
    if (!strstr(f->err, want)) fail_msg("err '%s' lacks '%s'", f->err, want);
    /* It stays refused, and the horizon stops in front of it. */
    enum cursor_result r;
    struct cursor_item it;
    assert_int_equal(cursor_next(c, &it, f->err, sizeof(f->err)), CURSOR_ERROR);
    cursor_free(c);
    assert_int_equal(verified(f, "b.000001"), q3);
    /* A reader starting after the damage is served (each event checked), and cannot move a
     * horizon it did not reach. */
    c = cursor_new(f->s);
    assert_int_equal(cursor_open(c, "b.000001", x3, f->err, sizeof(f->err)), CURSOR_OPEN_OK);
    n = 0;
    while ((r = cursor_next(c, &it, f->err, sizeof(f->err))) == CURSOR_EVENT && !strcmp(cursor_file(c), "b.000001"))
        n++;
    assert_int_equal(n, 1 + 3 + 3 + 1);   /* XID 3, transactions 4 and 5, ROTATE */
    cursor_free(c);
    assert_int_equal(verified(f, "b.000001"), q3);
}

static void test_large_event_checked_in_pieces(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 2, 150000, "b.000002", 1);   /* QUERY events larger than the window */
    uint64_t q2 = f->starts[4];
    write_file(f, "b.000002", 1, 20, NULL, 1);
    restart(f);
    flip(f, "b.000001", q2 + 120000);
    int n;
    struct cursor *c;
    assert_int_equal(read_all(f, "b.000001", 4, &n, &c), CURSOR_ERROR);
    uint64_t at;
    assert_int_equal(cursor_fault(c, &at, NULL), CURSOR_FAULT_CHECKSUM);
    assert_int_equal(at, q2);
    cursor_free(c);
}

static void test_corrupt_fde_is_refused(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 1, 20, "b.000002", 1);
    write_file(f, "b.000002", 1, 20, NULL, 1);
    restart(f);
    /* The creation time. (Not the server version: a version that no longer parses means "a
     * server from before checksums", to the servers as to us, and the file then gets header
     * checks only; README limits.) */
    flip(f, "b.000001", BINLOG_MAGIC_LEN + EV_HEADER_LEN + 52);
    struct cursor *c = cursor_new(f->s);
    assert_int_equal(cursor_open(c, "b.000001", 4, f->err, sizeof(f->err)), CURSOR_OPEN_OK);
    uint8_t fde[4096];
    assert_int_equal(cursor_read_fde(c, fde, sizeof(fde), f->err, sizeof(f->err)), 0);
    assert_int_equal(cursor_fault(c, NULL, NULL), CURSOR_FAULT_CHECKSUM);
    assert_non_null(strstr(f->err, "b.000001:4:"));
    struct cursor_item it;
    assert_int_equal(cursor_next(c, &it, f->err, sizeof(f->err)), CURSOR_ERROR);
    cursor_free(c);
}

static void test_file_without_checksums_gets_header_checks(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 3, 20, "b.000002", 0);
    uint64_t q2 = f->starts[4], g3 = f->starts[6];
    write_file(f, "b.000002", 1, 20, NULL, 0);
    restart(f);
    int n;
    /* A flipped byte in a body cannot be seen without a CRC ... */
    flip(f, "b.000001", q2 + 30);
    assert_int_equal(read_all(f, "b.000001", 4, &n, NULL), CURSOR_WAIT);
    restart(f);
    /* ... but a damaged header can. */
    flip(f, "b.000001", g3 + 13);   /* log_pos */
    struct cursor *c;
    assert_int_equal(read_all(f, "b.000001", 4, &n, &c), CURSOR_ERROR);
    uint64_t at;
    assert_int_equal(cursor_fault(c, &at, NULL), CURSOR_FAULT_BOGUS);
    assert_int_equal(at, g3);
    cursor_free(c);
}

/* ---- recovery: torn tail vs damage in the middle ---- */

static void test_mid_file_damage_refuses_recovery(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 4, 20, NULL, 1);
    uint64_t q2 = f->starts[4], end = f->g.pos;
    store_free(f->s);
    f->s = NULL;
    flip(f, "b.000001", q2 + 30);
    assert_int_equal(open_store(f), STORE_REFUSED);
    char want[64];
    snprintf(want, sizeof(want), "b.000001:%llu: CRC32 mismatch", (unsigned long long)q2);
    if (!strstr(f->err, want)) fail_msg("err '%s' lacks '%s'", f->err, want);
    assert_non_null(strstr(f->err, "intact event follows"));
    assert_non_null(strstr(f->err, "truncate -s"));
    /* Nothing was cut. */
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/b.000001", f->path);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal((uint64_t)st.st_size, end);
    /* Once the byte is put back, recovery accepts the file whole. */
    flip(f, "b.000001", q2 + 30);
    assert_int_equal(open_store(f), STORE_OK);
    assert_int_equal(size_of(f, "b.000001"), end);
}

static void test_mid_file_damage_without_checksums(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 4, 20, NULL, 0);
    uint64_t g2 = f->starts[3];
    store_free(f->s);
    f->s = NULL;
    flip(f, "b.000001", g2 + 13);   /* a log_pos that no longer continues the chain */
    assert_int_equal(open_store(f), STORE_REFUSED);
    assert_non_null(strstr(f->err, "intact event follows"));
}

static void test_torn_tail_is_still_truncated(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 3, 20, NULL, 1);
    uint64_t good = f->g.pos;
    store_free(f->s);
    f->s = NULL;
    /* what a crash leaves: the next transaction's GTID, half a QUERY, then zeros */
    char p[256];
    snprintf(p, sizeof(p), "%s/b.000001", f->path);
    int fd = open(p, O_WRONLY | O_APPEND);
    size_t l = evgen_gtid(&f->g, f->ev, EVCAP, 0, 9, EV_MGTID_TRANSACTIONAL);
    assert_int_equal(write(fd, f->ev, l), (ssize_t)l);
    l = evgen_query(&f->g, f->ev, EVCAP, "d", "INSERT INTO t VALUES ('torn')");
    assert_int_equal(write(fd, f->ev, l / 2), (ssize_t)(l / 2));
    memset(f->ev, 0, 8192);
    assert_int_equal(write(fd, f->ev, 8192), 8192);
    close(fd);
    assert_int_equal(open_store(f), STORE_OK);
    assert_int_equal(size_of(f, "b.000001"), good);
}

static void test_find_intact_on_damage(void **state)
{
    struct fx *f = *state;
    write_file(f, "b.000001", 3, 20, NULL, 1);
    uint64_t g2 = f->starts[3], q2 = f->starts[4];
    store_free(f->s);
    f->s = NULL;
    flip(f, "b.000001", g2 + 9);   /* the GTID's size field: the chain is lost right there */
    char p[256];
    snprintf(p, sizeof(p), "%s/b.000001", f->path);
    int fd = open(p, O_RDONLY);
    struct binlog_scan *sc = malloc(sizeof(*sc));
    assert_int_equal(binlog_file_scan(fd, "b.000001", sc, f->err, sizeof(f->err)), 0);
    assert_int_equal(sc->events_end, g2);
    uint64_t at = 0;
    assert_int_equal(binlog_file_find_intact(fd, sc, &at), 1);
    assert_int_equal(at, q2);   /* found by its own log_pos and CRC, byte by byte */
    close(fd);
    free(sc);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bytes_written_by_this_process_are_verified),
        T(test_first_reader_checks_once),
        T(test_corrupt_event_is_not_served),
        T(test_large_event_checked_in_pieces),
        T(test_corrupt_fde_is_refused),
        T(test_file_without_checksums_gets_header_checks),
        T(test_mid_file_damage_refuses_recovery),
        T(test_mid_file_damage_without_checksums),
        T(test_torn_tail_is_still_truncated),
        T(test_find_intact_on_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
