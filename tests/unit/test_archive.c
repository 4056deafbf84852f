/*
 * test_archive.c - the archive command's pure helpers (placeholder expansion, shell-safe
 * words, retry backoff) and the archive state (text form, malformed and truncated files,
 * persistence by atomic replace, purge's predicate and notification).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/ops/archive.h"
#include "storage/archive_state.h"
#include "storage/gtid_index.h"
#include "protocol/gtid_track.h"
#include "storage/fsio.h"
#include "storage/restore_check.h"
#include "tests/unit/evgen.h"
#include "tests/unit/tmpdir.h"

#define HDR "# binlogd archive state v1\n"

static void test_expand(void **state)
{
    (void)state;
    char out[256];
    const char *why = NULL;
    assert_int_equal(archive_expand("cp %p /a/%f", "/d/m.000001", "m.000001", out, sizeof(out), &why), 0);
    assert_string_equal(out, "cp /d/m.000001 /a/m.000001");
    assert_int_equal(archive_expand("echo 100%% %f%f", "/p", "n", out, sizeof(out), &why), 0);
    assert_string_equal(out, "echo 100% nn");
    assert_int_equal(archive_expand("", "/p", "n", out, sizeof(out), &why), 0);
    assert_string_equal(out, "");
    assert_int_equal(archive_expand("%%%%", "/p", "n", out, sizeof(out), &why), 0);
    assert_string_equal(out, "%%");
    /* malformed templates */
    assert_int_equal(archive_expand("cp %p %", "/p", "n", out, sizeof(out), &why), -1);
    assert_non_null(strstr(why, "at the end"));
    assert_int_equal(archive_expand("cp %P x", "/p", "n", out, sizeof(out), &why), -1);
    assert_non_null(strstr(why, "unknown placeholder"));
    assert_int_equal(archive_expand("%r", "/p", "n", out, sizeof(out), &why), -1);
    assert_int_equal(archive_expand("a %", "/p", "n", out, sizeof(out), &why), -1);
    /* too long: exactly fitting works, one more byte does not */
    char small[8];
    assert_int_equal(archive_expand("ab%fcd", "/p", "xyz", small, sizeof(small), &why), 0);
    assert_string_equal(small, "abxyzcd");
    assert_int_equal(archive_expand("ab%fcde", "/p", "xyz", small, sizeof(small), &why), -1);
    assert_non_null(strstr(why, "too long"));
    assert_int_equal(archive_expand("x", "/p", "n", small, 0, &why), -1);
    /* a long name (511 bytes) and path */
    char name[512], path[600], big[2048];
    memset(name, 'b', 511);
    name[511] = '\0';
    snprintf(path, sizeof(path), "/data/%s", name);
    assert_int_equal(archive_expand("cp %p /arch/%f", path, name, big, sizeof(big), &why), 0);
    assert_int_equal(strlen(big), 3 + strlen(path) + 7 + 511);
    assert_int_equal(archive_expand("cp %p /arch/%f", path, name, big, 600, &why), -1);
}

static void test_shell_safe(void **state)
{
    (void)state;
    assert_int_equal(archive_shell_safe("mysql-bin.000001"), 1);
    assert_int_equal(archive_shell_safe("/var/lib/binlogd"), 1);
    assert_int_equal(archive_shell_safe("a_b+c,d:e=f@g"), 1);
    assert_int_equal(archive_shell_safe(""), 0);
    assert_int_equal(archive_shell_safe("a b"), 0);
    assert_int_equal(archive_shell_safe("a;rm -rf x"), 0);
    assert_int_equal(archive_shell_safe("$(id)"), 0);
    assert_int_equal(archive_shell_safe("a'b"), 0);
    assert_int_equal(archive_shell_safe("a\nb"), 0);
    assert_int_equal(archive_shell_safe("a*"), 0);
    assert_int_equal(archive_shell_safe("\xc3\xa9"), 0);
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(archive_backoff_ms(1, 60000), 1000);
    assert_int_equal(archive_backoff_ms(2, 60000), 2000);
    assert_int_equal(archive_backoff_ms(3, 60000), 4000);
    assert_int_equal(archive_backoff_ms(6, 60000), 32000);
    assert_int_equal(archive_backoff_ms(7, 60000), 60000);
    assert_int_equal(archive_backoff_ms(1000000, 60000), 60000);
    assert_int_equal(archive_backoff_ms(0, 60000), 1000);
    assert_int_equal(archive_backoff_ms(5, 1000), 1000);
    assert_int_equal(archive_backoff_ms(5, 10), 1000);          /* never below the minimum */
    assert_int_equal(archive_backoff_ms(40, UINT32_MAX), UINT32_MAX);   /* no overflow */
}

static void test_state_roundtrip(void **state)
{
    (void)state;
    struct archive_state *st = archive_state_new(-1);
    char err[256], *text;
    size_t len;
    const char *in = HDR "m.000001\t100\t1700000000\tlocal\tnone\t\t\nm.000002\t2000\t1700000100\tpurged\tmariadb\t0-1-1\t0-1-7,1-2-3\n";
    assert_int_equal(archive_state_parse(st, in, strlen(in), err, sizeof(err)), 0);
    assert_int_equal(archive_state_is_archived(st, "m.000001"), 1);
    assert_int_equal(archive_state_is_archived(st, "m.000003"), 0);
    struct archive_file_status a;
    assert_int_equal(archive_state_get(st, "m.000002", &a), 0);
    assert_int_equal(a.size, 2000);
    assert_int_equal(a.purged, 1);
    assert_int_equal(a.archived_at, 1700000100);
    int flavor = -1;
    char *gs, *ge;
    assert_int_equal(archive_state_gtid(st, "m.000002", &flavor, &gs, &ge), 0);
    assert_int_equal(flavor, 1);
    assert_string_equal(gs, "0-1-1");
    assert_string_equal(ge, "0-1-7,1-2-3");
    free(gs);
    free(ge);
    assert_int_equal(archive_state_gtid(st, "m.000001", &flavor, &gs, &ge), 0);
    assert_int_equal(flavor, 0);
    assert_string_equal(gs, "");
    free(gs);
    free(ge);
    assert_int_equal(archive_state_gtid(st, "m.000003", &flavor, &gs, &ge), -1);
    assert_int_equal(archive_state_format(st, &text, &len), 0);
    assert_int_equal(len, strlen(in));
    assert_memory_equal(text, in, len);
    free(text);
    struct archive_stats s;
    archive_state_stats(st, &s);
    assert_int_equal(s.archived_total_files, 2);
    /* an empty state is just the header */
    assert_int_equal(archive_state_parse(st, HDR, strlen(HDR), err, sizeof(err)), 0);
    assert_int_equal(archive_state_format(st, &text, &len), 0);
    assert_string_equal(text, HDR);
    free(text);
    archive_state_free(st);
}

/* What restore on demand asks: the purged files with their GTID states, oldest first; the file
 * after a given one; whether a file is purged here but archived. */
static void test_state_purged_order(void **state)
{
    (void)state;
    struct archive_state *st = archive_state_new(-1);
    char err[256], next[64];
    const char *in = HDR "m.000001\t100\t1700000000\tpurged\tmariadb\t\t0-1-3\n"
                         "m.000002\t200\t1700000100\tpurged\tmariadb\t0-1-3\t0-1-7\n"
                         "m.000003\t300\t1700000200\tlocal\tmariadb\t0-1-7\t0-1-9\n";
    assert_int_equal(archive_state_parse(st, in, strlen(in), err, sizeof(err)), 0);
    struct archive_purged_file *v;
    size_t n;
    assert_int_equal(archive_state_purged_files(st, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].name, "m.000001");
    assert_int_equal(v[0].size, 100);
    assert_int_equal(v[0].flavor, 1);
    assert_string_equal(v[0].start, "");
    assert_string_equal(v[0].end, "0-1-3");
    assert_string_equal(v[1].name, "m.000002");
    assert_string_equal(v[1].start, "0-1-3");
    assert_string_equal(v[1].end, "0-1-7");
    archive_state_purged_free(v, n);
    assert_int_equal(archive_state_is_purged(st, "m.000001"), 1);
    assert_int_equal(archive_state_is_purged(st, "m.000003"), 0);   /* archived, still local */
    assert_int_equal(archive_state_is_purged(st, "m.000009"), 0);
    assert_int_equal(archive_state_next(st, "m.000001", next, sizeof(next)), 0);
    assert_string_equal(next, "m.000002");
    assert_int_equal(archive_state_next(st, "m.000002", next, sizeof(next)), 0);
    assert_string_equal(next, "m.000003");
    assert_int_equal(archive_state_next(st, "m.000003", next, sizeof(next)), 1);   /* the newest */
    assert_int_equal(archive_state_next(st, "m.000009", next, sizeof(next)), -1);
    /* the purge notification marks a local archived file purged: it joins the list */
    archive_state_purged(st, "m.000003");
    assert_int_equal(archive_state_is_purged(st, "m.000003"), 1);
    assert_int_equal(archive_state_purged_files(st, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[2].name, "m.000003");
    archive_state_purged_free(v, n);
    /* an empty state: nothing purged */
    assert_int_equal(archive_state_parse(st, HDR, strlen(HDR), err, sizeof(err)), 0);
    assert_int_equal(archive_state_purged_files(st, &v, &n), 0);
    assert_int_equal(n, 0);
    assert_null(v);
    archive_state_free(st);
}

static int only_m3_local(void *arg, const char *name)
{
    (*(int *)arg)++;
    return !strcmp(name, "m.000003");
}

/* A purge a crash interrupted after its index change (recovery finished it) never told the
 * state: at start every archived file the index no longer lists is marked purged, so restore
 * on demand serves it; local and unarchived files are left as they are. */
static void test_state_mark_absent_purged(void **state)
{
    (void)state;
    struct archive_state *st = archive_state_new(-1);
    char err[256];
    const char *in = HDR "m.000001\t100\t1700000000\tpurged\tmariadb\t\t0-1-3\n"
                         "m.000002\t200\t1700000100\tlocal\tmariadb\t0-1-3\t0-1-7\n"
                         "m.000003\t300\t1700000200\tlocal\tmariadb\t0-1-7\t0-1-9\n";
    assert_int_equal(archive_state_parse(st, in, strlen(in), err, sizeof(err)), 0);
    archive_state_attempt(st, "m.000004", 50, 1700000300);   /* attempted, not archived */
    int asked = 0;
    assert_int_equal(archive_state_mark_absent_purged(st, only_m3_local, &asked), 1);
    assert_int_equal(asked, 2);   /* only the archived, unpurged ones are looked up */
    assert_int_equal(archive_state_is_purged(st, "m.000002"), 1);
    assert_int_equal(archive_state_is_purged(st, "m.000003"), 0);
    assert_int_equal(archive_state_is_archived(st, "m.000004"), 0);
    struct archive_purged_file *v;
    size_t n;
    assert_int_equal(archive_state_purged_files(st, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[1].name, "m.000002");
    archive_state_purged_free(v, n);
    asked = 0;
    assert_int_equal(archive_state_mark_absent_purged(st, only_m3_local, &asked), 0);   /* once */
    archive_state_free(st);
}

static void expect_bad(const char *in, size_t len, const char *what)
{
    struct archive_state *st = archive_state_new(-1);
    char err[256] = "";
    const char *good = HDR "m.000009\t1\t1\tlocal\tnone\t\t\n";
    assert_int_equal(archive_state_parse(st, good, strlen(good), err, sizeof(err)), 0);
    if (archive_state_parse(st, in, len, err, sizeof(err)) != -1) fail_msg("accepted: %.*s", (int)len, in);
    if (!strstr(err, what)) fail_msg("error '%s' lacks '%s'", err, what);
    assert_int_equal(archive_state_is_archived(st, "m.000001"), 0);   /* left empty */
    assert_int_equal(archive_state_is_archived(st, "m.000009"), 0);
    struct archive_stats s;
    archive_state_stats(st, &s);
    assert_int_equal(s.archived_total_files, 0);
    archive_state_free(st);
}

static void test_state_malformed(void **state)
{
    (void)state;
    const char *full = HDR "m.000001\t100\t1700000000\tlocal\tnone\t\t\n";
    expect_bad("", 0, "empty");
    expect_bad("# binlogd archive state v2\n", 27, "line 1: not a binlogd archive state");
    expect_bad("garbage\n", 8, "line 1");
    /* every truncation of a valid file is refused (no newline at the end), none accepted */
    for (size_t n = 1; n < strlen(full); n++) {
        if (n == strlen(HDR)) continue;   /* the header alone is a valid empty state */
        expect_bad(full, n, "line");
    }
#define BAD(text, what) expect_bad(text, strlen(text), what)
    BAD(HDR "m.000001\t100\t1700000000\n", "line 2: expected 7");
    BAD(HDR "m.000001\t100\t1700000000\tlocal\n", "line 2: expected 7");
    BAD(HDR "m.000001\t100\t1700000000\tlocal\tnone\t\t\textra\n", "line 2: expected 7");
    BAD(HDR "m.000001\t1x0\t1700000000\tlocal\tnone\t\t\n", "line 2: bad size");
    BAD(HDR "m.000001\t\t1700000000\tlocal\tnone\t\t\n", "bad size");
    BAD(HDR "m.000001\t99999999999999999999999\t1\tlocal\tnone\t\t\n", "bad size");
    BAD(HDR "m.000001\t1\t-5\tlocal\tnone\t\t\n", "bad time");
    BAD(HDR "m.000001\t1\t9223372036854775808\tlocal\tnone\t\t\n", "bad time");
    BAD(HDR "m.000001\t1\t1\tremote\tnone\t\t\n", "bad location");
    BAD(HDR "m.000001\t1\t1\tlocal\tpostgres\t\t\n", "bad GTID flavour");
    BAD(HDR "../etc/x\t1\t1\tlocal\tnone\t\t\n", "bad file name");
    BAD(HDR "\t1\t1\tlocal\tnone\t\t\n", "bad file name");
    BAD(HDR ".binlogd-archive\t1\t1\tlocal\tnone\t\t\n", "bad file name");
    BAD(HDR "m.000001\t1\t1\tlocal\tnone\t\t\nm.000001\t1\t1\tlocal\tnone\t\t\n", "line 3: file listed twice");
#undef BAD
    static const char nul[] = HDR "m.0\0001\t1\t1\tlocal\tnone\t\t\n";
    expect_bad(nul, sizeof(nul) - 1, "bad file name");
    char longname[700];
    int l = snprintf(longname, sizeof(longname), HDR "%0600d\t1\t1\tlocal\tnone\t\t\n", 7);
    expect_bad(longname, (size_t)l, "bad file name");
}

static void test_state_persist(void **state)
{
    (void)state;
    char dir[] = "/tmp/binlogd-archive-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    char err[256];
    struct archive_state *st = archive_state_new(dfd);
    assert_int_equal(archive_state_load(st, err, sizeof(err)), 1);   /* no file yet */
    /* purge's predicate: nothing to keep while archiving is off */
    assert_int_equal(archive_state_must_keep(st, "m.000001"), 0);
    assert_int_equal(archive_state_must_keep(NULL, "m.000001"), 0);
    archive_state_set_enabled(st, 1);
    assert_int_equal(archive_state_must_keep(st, "m.000001"), 1);
    archive_state_attempt(st, "m.000001", 500, 1700000000);
    archive_state_failed(st, "m.000001", "exit status 1");
    archive_state_attempt(st, "m.000001", 500, 1700000001);
    assert_int_equal(archive_state_done(st, "m.000001", 500, 1700000002, 1, "0-1-5", "0-1-9", err, sizeof(err)), 0);
    assert_int_equal(archive_state_must_keep(st, "m.000001"), 0);
    struct archive_file_status a;
    assert_int_equal(archive_state_get(st, "m.000001", &a), 0);
    assert_int_equal(a.attempts, 2);
    assert_string_equal(a.last_error, "");
    struct archive_stats s;
    archive_state_stats(st, &s);
    assert_int_equal(s.archived_files, 1);
    assert_int_equal(s.archived_bytes, 500);
    assert_int_equal(s.failures, 1);
    /* a failed attempt at the next file is not persisted */
    archive_state_attempt(st, "m.000002", 10, 1700000003);
    archive_state_failed(st, "m.000002", "timed out");
    archive_state_free(st);

    st = archive_state_new(dfd);
    assert_int_equal(archive_state_load(st, err, sizeof(err)), 0);
    archive_state_set_enabled(st, 1);
    assert_int_equal(archive_state_is_archived(st, "m.000001"), 1);
    int flavor;
    char *gs, *ge;
    assert_int_equal(archive_state_gtid(st, "m.000001", &flavor, &gs, &ge), 0);
    assert_int_equal(flavor, 1);
    assert_string_equal(gs, "0-1-5");
    assert_string_equal(ge, "0-1-9");
    free(gs);
    free(ge);
    /* a state text the file cannot hold (tab, newline) is recorded as unknown */
    assert_int_equal(archive_state_done(st, "m.000004", 7, 1, 1, "0-1-1\t", "x\ny", err, sizeof(err)), 0);
    assert_int_equal(archive_state_gtid(st, "m.000004", &flavor, &gs, &ge), 0);
    assert_int_equal(flavor, 0);
    assert_string_equal(ge, "");
    free(gs);
    free(ge);
    assert_int_equal(archive_state_must_keep(st, "m.000002"), 1);
    assert_int_equal(archive_state_get(st, "m.000002", &a), -1);
    /* purge notifications: archived stays listed as purged (persisted), others are forgotten */
    archive_state_attempt(st, "m.000002", 10, 1700000004);
    archive_state_purged(st, "m.000002");
    assert_int_equal(archive_state_get(st, "m.000002", &a), -1);
    archive_state_purged(st, "m.000001");
    archive_state_purged(st, "unknown.000001");
    archive_state_free(st);
    st = archive_state_new(dfd);
    assert_int_equal(archive_state_load(st, err, sizeof(err)), 0);
    assert_int_equal(archive_state_get(st, "m.000001", &a), 0);
    assert_int_equal(a.purged, 1);
    archive_state_free(st);

    /* a damaged file: reported, the state stays empty (the safe side) */
    int fd = openat(dfd, ARCHIVE_STATE_FILE, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, HDR "m.000001\t5", strlen(HDR) + 10), (ssize_t)(strlen(HDR) + 10));
    close(fd);
    st = archive_state_new(dfd);
    assert_int_equal(archive_state_load(st, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ARCHIVE_STATE_FILE ": line 2"));
    archive_state_set_enabled(st, 1);
    assert_int_equal(archive_state_must_keep(st, "m.000001"), 1);
    archive_state_free(st);

    /* a failed replace (injected fsync error): done reports it, the file still counts here */
    st = archive_state_new(dfd);
    fsio_set_fault(FSIO_OP_FSYNC, 1, 5 /* EIO */);
    assert_int_equal(archive_state_done(st, "m.000003", 1, 1, 0, NULL, NULL, err, sizeof(err)), -1);
    fsio_clear_faults();
    assert_non_null(strstr(err, "fsync"));
    assert_int_equal(archive_state_is_archived(st, "m.000003"), 1);
    archive_state_free(st);
    close(dfd);
    tmpdir_remove(dir);
}

/* Write a closed binlog: magic, FDE, GTID 0-1-1 and 0-1-2 transactions, ROTATE (or not).
 * Returns its size. */
static size_t write_binlog(int dfd, const char *name, int closed)
{
    static uint8_t buf[8192];
    struct evgen g;
    size_t n = 0;
    evgen_init(&g);
    memcpy(buf, "\xfe\x62\x69\x6e", 4);
    n = 4;
    n += evgen_fde(&g, buf + n, sizeof(buf) - n);
    for (uint64_t seq = 1; seq <= 2; seq++) n += evgen_trx(&g, buf + n, sizeof(buf) - n, seq, "INSERT INTO t VALUES (1)");
    if (closed) n += evgen_rotate(&g, buf + n, sizeof(buf) - n, "m.000002", 4);
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
    return n;
}

static void flip(int dfd, const char *name, off_t at)
{
    int fd = openat(dfd, name, O_RDWR | O_CLOEXEC);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

static void test_restore_check(void **state)
{
    (void)state;
    char dir[] = "/tmp/binlogd-restore-XXXXXX";
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char why[512];
    size_t size = write_binlog(dfd, "copy", 1);
    /* the states a scan of the original gives: what the archive state recorded */
    struct gtid_track t;
    gtid_track_init(&t);
    uint64_t upto;
    assert_int_equal(gix_scan_file(dfd, "copy", &t, &upto, why, sizeof(why)), 0);
    char *gs = gtid_track_start_text(&t), *ge = gtid_track_end_text(&t);
    assert_int_equal(t.flavor, GTID_TRACK_MARIA);
    assert_string_equal(ge, "0-1-2");
    assert_int_equal(restore_check_file(dfd, "copy", "m.000001", size, GTID_TRACK_MARIA, gs, ge, why, sizeof(why)), 0);
    assert_int_equal(restore_check_file(dfd, "copy", "m.000001", size, GTID_TRACK_NONE, NULL, NULL, why, sizeof(why)), 0);
    /* wrong size */
    assert_int_equal(restore_check_file(dfd, "copy", "m.000001", size + 1, GTID_TRACK_MARIA, gs, ge, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "m.000001: the restored copy has"));
    /* other GTID states than the archived file's */
    assert_int_equal(restore_check_file(dfd, "copy", "m.000001", size, GTID_TRACK_MARIA, gs, "0-1-3", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "GTID states differ"));
    /* a flipped byte inside the second transaction: CRC, with the offset */
    flip(dfd, "copy", (off_t)size - 60);
    assert_int_equal(restore_check_file(dfd, "copy", "m.000001", size, GTID_TRACK_MARIA, gs, ge, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "m.000001"));
    /* cut short: the size no longer matches; and checked at its own size it is incomplete */
    size = write_binlog(dfd, "copy", 1);
    char p[128];
    snprintf(p, sizeof(p), "%s/copy", dir);
    assert_int_equal(truncate(p, (off_t)size - 30), 0);
    assert_int_equal(restore_check_file(dfd, "copy", "m.000001", size, GTID_TRACK_MARIA, gs, ge, why, sizeof(why)), -1);
    assert_int_equal(restore_check_file(dfd, "copy", "m.000001", size - 30, GTID_TRACK_NONE, NULL, NULL, why, sizeof(why)), -1);
    /* not closed (no ROTATE at the end), a missing copy, not a binlog at all */
    size = write_binlog(dfd, "open", 0);
    assert_int_equal(restore_check_file(dfd, "open", "m.000001", size, GTID_TRACK_NONE, NULL, NULL, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not a closed file"));
    assert_int_equal(restore_check_file(dfd, "missing", "m.000001", size, GTID_TRACK_NONE, NULL, NULL, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "cannot be opened"));
    int fd = openat(dfd, "junk", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    assert_int_equal(write(fd, "not a binlog at all", 19), 19);
    close(fd);
    assert_int_equal(restore_check_file(dfd, "junk", "m.000001", 19, GTID_TRACK_NONE, NULL, NULL, why, sizeof(why)), -1);
    free(gs);
    free(ge);
    gtid_track_free(&t);
    close(dfd);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_shell_safe),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_state_roundtrip),
        cmocka_unit_test(test_state_purged_order),
        cmocka_unit_test(test_state_mark_absent_purged),
        cmocka_unit_test(test_state_malformed),
        cmocka_unit_test(test_state_persist),
        cmocka_unit_test(test_restore_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
