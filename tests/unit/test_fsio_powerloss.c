/* test_fsio_powerloss.c - the power-loss recorder: after a cut a directory holds exactly what
 * was synced (file bytes at their last fsync/fdatasync, overwrites and truncations of synced
 * bytes undone, creations and renames undone unless the directory was fsync'ed since). Each
 * case runs in a forked child, because a cut leaves fsio blocked for good. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "storage/fsio.h"
#include "tests/unit/plcut.h"
#include "tests/unit/tmpdir.h"

struct tdir {
    char path[64];
    int fd;
};

static int setup(void **state)
{
    struct tdir *d = calloc(1, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/tmp/binlogd-pl-XXXXXX");
    if (!mkdtemp(d->path)) return -1;
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
    *state = d;
    return d->fd == -1 ? -1 : 0;
}

static int teardown(void **state)
{
    struct tdir *d = *state;
    close(d->fd);
    tmpdir_remove(d->path);
    free(d);
    return 0;
}

/* A file written and synced before the recorder starts: it counts as durable. */
static void put_file(int dirfd, const char *name, const char *text)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_not_equal(fd, -1);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fsync(fd), 0);
    close(fd);
    assert_int_equal(fsync(dirfd), 0);
}

static int file_is(int dirfd, const char *name, const char *want)
{
    char buf[256];
    int fd = openat(dirfd, name, O_RDONLY);
    if (fd == -1) return 0;
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    return n == (ssize_t)strlen(want) && !memcmp(buf, want, (size_t)n);
}

static int exists(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Run fn(dirfd) in a child with the recorder on, then cut (plcut.h). */
struct cut_call { int dirfd; int (*fn)(int dirfd); };

static int cut_call(void *arg)
{
    struct cut_call *c = arg;
    return c->fn(c->dirfd);
}

static struct fsio_powerloss_report run_cut(int dirfd, int (*fn)(int dirfd))
{
    struct cut_call c = {dirfd, fn};
    return plcut_run(cut_call, &c);
}

/* ---- appends: synced bytes stay, the rest goes ---- */
static int do_appends(int dirfd)
{
    int fd = fsio_open(dirfd, "bin.1", O_RDWR, 0);
    if (fd == -1) return 1;
    if (fsio_pwrite_all(fd, "BBBB", 4, 4) == -1 || fsio_fdatasync(fd) == -1) return 2;
    if (fsio_pwrite_all(fd, "CCCCCC", 6, 8) == -1) return 3;   /* never synced */
    return 0;
}

static void test_unsynced_appends_are_dropped(void **state)
{
    struct tdir *d = *state;
    put_file(d->fd, "bin.1", "AAAA");
    struct fsio_powerloss_report r = run_cut(d->fd, do_appends);
    assert_true(file_is(d->fd, "bin.1", "AAAABBBB"));
    assert_int_equal(r.files, 1);
    assert_int_equal(r.bytes_dropped, 6);
}

/* ---- an overwrite of synced bytes (the IN_USE flag) comes back undone ---- */
static int do_overwrite(int dirfd)
{
    int fd = fsio_open(dirfd, "bin.1", O_RDWR, 0);
    if (fd == -1) return 1;
    if (fsio_pwrite_all(fd, "x", 1, 2) == -1) return 2;
    if (fsio_pwrite_all(fd, "y", 1, 2) == -1) return 3;   /* the first pre-image must win */
    return 0;
}

static void test_overwrite_of_synced_bytes_is_undone(void **state)
{
    struct tdir *d = *state;
    put_file(d->fd, "bin.1", "ABCDEF");
    run_cut(d->fd, do_overwrite);
    assert_true(file_is(d->fd, "bin.1", "ABCDEF"));
}

/* ---- a truncate below the synced size, then new bytes: the synced bytes come back ---- */
static int do_truncate_rewrite(int dirfd)
{
    int fd = fsio_open(dirfd, "bin.1", O_RDWR, 0);
    if (fd == -1) return 1;
    if (fsio_ftruncate(fd, 2) == -1 || fsio_pwrite_all(fd, "zzzzzzzz", 8, 2) == -1) return 2;
    return 0;
}

static void test_truncate_of_synced_bytes_is_undone(void **state)
{
    struct tdir *d = *state;
    put_file(d->fd, "bin.1", "ABCDEF");
    run_cut(d->fd, do_truncate_rewrite);
    assert_true(file_is(d->fd, "bin.1", "ABCDEF"));
}

/* ---- a synced file whose directory was never fsync'ed does not exist ---- */
static int do_create_no_dirsync(int dirfd)
{
    int fd = fsio_open(dirfd, "new.1", O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd == -1) return 1;
    if (fsio_pwrite_all(fd, "data", 4, 0) == -1 || fsio_fsync(fd) == -1) return 2;
    return 0;
}

static int do_create_dirsync(int dirfd)
{
    if (do_create_no_dirsync(dirfd)) return 1;
    return fsio_fsync(dirfd) == -1 ? 3 : 0;
}

static void test_create_needs_directory_fsync(void **state)
{
    struct tdir *d = *state;
    struct fsio_powerloss_report r = run_cut(d->fd, do_create_no_dirsync);
    assert_false(exists(d->fd, "new.1"));
    assert_int_equal(r.entries_undone, 1);
    r = run_cut(d->fd, do_create_dirsync);
    assert_true(file_is(d->fd, "new.1", "data"));
    assert_int_equal(r.entries_undone, 0);
}

/* ---- atomic replace: complete (directory synced) it stays; a rename over a file without
 * the directory fsync brings the old file back and removes the temporary one ---- */
static int do_replace(int dirfd)
{
    return fsio_replace(dirfd, "x.index", "new\n", 4, NULL) == -1;
}

static int do_rename_over_no_dirsync(int dirfd)
{
    int fd = fsio_open(dirfd, ".binlogd-tmp.x.index", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1) return 1;
    if (fsio_pwrite_all(fd, "newer\n", 6, 0) == -1 || fsio_fsync(fd) == -1) return 2;
    close(fd);
    if (fsio_rename(dirfd, ".binlogd-tmp.x.index", "x.index") == -1) return 3;
    /* A second replace on top, still without a directory fsync in between. */
    fd = fsio_open(dirfd, ".binlogd-tmp.x.index", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd == -1 || fsio_pwrite_all(fd, "newest\n", 7, 0) == -1 || fsio_fsync(fd) == -1) return 4;
    close(fd);
    return fsio_rename(dirfd, ".binlogd-tmp.x.index", "x.index") == -1 ? 5 : 0;
}

static void test_rename_over_needs_directory_fsync(void **state)
{
    struct tdir *d = *state;
    put_file(d->fd, "x.index", "old\n");
    run_cut(d->fd, do_replace);
    assert_true(file_is(d->fd, "x.index", "new\n"));
    run_cut(d->fd, do_rename_over_no_dirsync);
    assert_true(file_is(d->fd, "x.index", "new\n"));
    assert_false(exists(d->fd, ".binlogd-tmp.x.index"));
}

/* ---- binlog_file_create's sequence: temp file, fsync, rename, directory fsync ---- */
static int do_create_then_fail_cleanup(int dirfd)
{
    /* created, then removed again before any directory fsync: nothing to undo */
    int fd = fsio_open(dirfd, ".binlogd-tmp.bin.2", O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd == -1) return 1;
    close(fd);
    if (fsio_unlink(dirfd, ".binlogd-tmp.bin.2") == -1) return 2;
    fd = fsio_open(dirfd, ".binlogd-tmp.bin.3", O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd == -1 || fsio_pwrite_all(fd, "head", 4, 0) == -1 || fsio_fsync(fd) == -1) return 3;
    if (fsio_rename_noreplace(dirfd, ".binlogd-tmp.bin.3", "bin.3") == -1) return 4;
    if (fsio_pwrite_all(fd, "more", 4, 4) == -1 || fsio_fdatasync(fd) == -1) return 5;
    return 0;   /* the power fails before the directory fsync */
}

static void test_new_file_without_directory_fsync_vanishes(void **state)
{
    struct tdir *d = *state;
    struct fsio_powerloss_report r = run_cut(d->fd, do_create_then_fail_cleanup);
    assert_false(exists(d->fd, "bin.3"));
    assert_false(exists(d->fd, ".binlogd-tmp.bin.3"));
    assert_false(exists(d->fd, ".binlogd-tmp.bin.2"));
    assert_int_equal(r.entries_undone, 2);   /* the rename, then the creation */
}

/* ---- the recorder is off unless enabled: nothing is recorded in this process ---- */
static void test_off_by_default(void **state)
{
    (void)state;
    assert_int_equal(fsio_powerloss_enabled(), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_unsynced_appends_are_dropped),
        T(test_overwrite_of_synced_bytes_is_undone),
        T(test_truncate_of_synced_bytes_is_undone),
        T(test_create_needs_directory_fsync),
        T(test_rename_over_needs_directory_fsync),
        T(test_new_file_without_directory_fsync_vanishes),
        T(test_off_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
