/* test_fsio.c - full-I/O loops, fault injection, atomic replace, directory creation, lock. */
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

#include "storage/fsio.h"
#include "tests/unit/tmpdir.h"

struct tdir {
    char path[64];
    int fd;
};

static int setup(void **state)
{
    struct tdir *d = calloc(1, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/tmp/binlogd-fsio-XXXXXX");
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

static size_t slurp(int dirfd, const char *name, char *buf, size_t cap)
{
    int fd = openat(dirfd, name, O_RDONLY);
    if (fd == -1) return (size_t)-1;
    ssize_t n = read(fd, buf, cap);
    close(fd);
    return n == -1 ? (size_t)-1 : (size_t)n;
}

static void test_short_writes_and_eintr_are_retried(void **state)
{
    struct tdir *d = *state;
    int fd = fsio_open(d->fd, "f", O_RDWR | O_CREAT, 0644);
    assert_int_not_equal(fd, -1);
    uint8_t data[10000], back[10000];
    for (size_t i = 0; i < sizeof(data); i++) data[i] = (uint8_t)(i * 7);
    unsigned long before = fsio_calls(FSIO_OP_WRITE);
    fsio_set_fault_repeat(FSIO_OP_WRITE, 1, FSIO_FAULT_SHORT, 3);   /* 3 half-writes */
    fsio_set_fault_repeat(FSIO_OP_READ, 1, EINTR, 2);
    assert_int_equal(fsio_pwrite_all(fd, data, sizeof(data), 100), 0);
    assert_true(fsio_calls(FSIO_OP_WRITE) - before >= 4);
    size_t got = 0;
    assert_int_equal(fsio_pread_all(fd, back, sizeof(back), 100, &got), 0);
    assert_int_equal(got, sizeof(back));
    assert_memory_equal(back, data, sizeof(data));
    /* Reading past the end stops at EOF without an error. */
    assert_int_equal(fsio_pread_all(fd, back, sizeof(back), 5100, &got), 0);
    assert_int_equal(got, 5000);
    close(fd);
}

static void test_fault_hits_the_nth_call_only(void **state)
{
    struct tdir *d = *state;
    int fd = fsio_open(d->fd, "f", O_RDWR | O_CREAT, 0644);
    uint8_t b = 1;
    fsio_set_fault(FSIO_OP_WRITE, 2, EIO);
    assert_int_equal(fsio_pwrite_all(fd, &b, 1, 0), 0);
    errno = 0;
    assert_int_equal(fsio_pwrite_all(fd, &b, 1, 1), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(fsio_pwrite_all(fd, &b, 1, 2), 0);
    /* times == 0: every call until cleared. */
    fsio_set_fault_repeat(FSIO_OP_FDATASYNC, 1, EIO, 0);
    assert_int_equal(fsio_fdatasync(fd), -1);
    assert_int_equal(fsio_fdatasync(fd), -1);
    fsio_clear_faults();
    assert_int_equal(fsio_fdatasync(fd), 0);
    fsio_set_fault(FSIO_OP_FSYNC, 1, EIO);
    fsio_set_fault(FSIO_OP_FSYNC, 0, EIO);   /* nth 0 disarms */
    assert_int_equal(fsio_fsync(fd), 0);
    /* torn write: half the bytes land, then the retry fails */
    uint8_t big[1000];
    memset(big, 0xab, sizeof(big));
    fsio_set_fault_partial(FSIO_OP_WRITE, 1, ENOSPC);
    assert_int_equal(fsio_pwrite_all(fd, big, sizeof(big), 0), -1);
    assert_int_equal(errno, ENOSPC);
    struct stat tst;
    assert_int_equal(fstat(fd, &tst), 0);
    assert_int_equal(tst.st_size, 500);
    assert_int_equal(fsio_pwrite_all(fd, big, sizeof(big), 0), 0);
    fsio_set_fault(FSIO_OP_FTRUNCATE, 1, EIO);
    assert_int_equal(fsio_ftruncate(fd, 1), -1);
    assert_int_equal(fsio_ftruncate(fd, 1), 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 1);
    fsio_set_fault(FSIO_OP_OPEN, 1, ENOSPC);
    assert_int_equal(fsio_open(d->fd, "g", O_RDWR | O_CREAT, 0644), -1);
    assert_int_equal(errno, ENOSPC);
    close(fd);
}

static void test_faults_parse(void **state)
{
    struct tdir *d = *state;
    char err[256];
    assert_int_equal(fsio_faults_parse("write:1:ENOSPC,fsync:2:5:1", err, sizeof(err)), 0);
    int fd = fsio_open(d->fd, "f", O_RDWR | O_CREAT, 0644);
    uint8_t b = 0;
    assert_int_equal(fsio_pwrite_all(fd, &b, 1, 0), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(fsio_fsync(fd), 0);
    assert_int_equal(fsio_fsync(fd), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(fsio_faults_parse("bogus:1:EIO", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bogus"));
    assert_int_equal(fsio_faults_parse("write:0:EIO", err, sizeof(err)), -1);
    assert_int_equal(fsio_faults_parse("write:1:ENOTANERRNO", err, sizeof(err)), -1);
    assert_string_equal(fsio_op_name(FSIO_OP_FDATASYNC), "fdatasync");
    close(fd);
}

/* fsio_replace_private: 0600 whatever the umask, even over a world-readable temp file a
 * crash left behind (O_CREAT keeps an existing file's mode). */
static void test_replace_private_mode(void **state)
{
    struct tdir *d = *state;
    mode_t old = umask(0);
    int fd = openat(d->fd, ".binlogd-tmp.secret", O_WRONLY | O_CREAT, 0666);
    assert_true(fd >= 0);
    close(fd);
    enum fsio_op op;
    assert_int_equal(fsio_replace_private(d->fd, "secret", "pw\n", 3, &op), 0);
    struct stat sb;
    assert_int_equal(fstatat(d->fd, "secret", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* fsio_replace keeps its mode for the files replicas and tools read */
    assert_int_equal(fsio_replace(d->fd, "x.index", "one\n", 4, &op), 0);
    assert_int_equal(fstatat(d->fd, "x.index", &sb, 0), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    umask(old);
}

static void test_replace_is_atomic(void **state)
{
    struct tdir *d = *state;
    char buf[64];
    enum fsio_op op;
    assert_int_equal(fsio_replace(d->fd, "x.index", "one\n", 4, &op), 0);
    assert_int_equal(slurp(d->fd, "x.index", buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "one\n", 4);
    const enum fsio_op fail_at[] = {FSIO_OP_OPEN, FSIO_OP_WRITE, FSIO_OP_FSYNC, FSIO_OP_RENAME};
    for (size_t i = 0; i < sizeof(fail_at) / sizeof(fail_at[0]); i++) {
        fsio_set_fault(fail_at[i], 1, fail_at[i] == FSIO_OP_WRITE ? ENOSPC : EIO);
        assert_int_equal(fsio_replace(d->fd, "x.index", "two two\n", 8, &op), -1);
        assert_int_equal(op, fail_at[i]);
        /* the old content is intact and no temp file is left behind */
        assert_int_equal(slurp(d->fd, "x.index", buf, sizeof(buf)), 4);
        assert_int_equal(faccessat(d->fd, ".binlogd-tmp.x.index", F_OK, 0), -1);
    }
    /* the directory fsync comes after the rename: new content, error reported */
    fsio_set_fault(FSIO_OP_FSYNC, 2, EIO);
    assert_int_equal(fsio_replace(d->fd, "x.index", "two two\n", 8, &op), -1);
    assert_int_equal(op, FSIO_OP_FSYNC);
    assert_int_equal(slurp(d->fd, "x.index", buf, sizeof(buf)), 8);
}

static void test_rename_noreplace(void **state)
{
    struct tdir *d = *state;
    close(fsio_open(d->fd, "a", O_RDWR | O_CREAT, 0644));
    close(fsio_open(d->fd, "b", O_RDWR | O_CREAT, 0644));
    assert_int_equal(fsio_rename_noreplace(d->fd, "a", "b"), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(fsio_rename_noreplace(d->fd, "a", "c"), 0);
    assert_int_equal(faccessat(d->fd, "a", F_OK, 0), -1);
    assert_int_equal(fsio_unlink(d->fd, "c"), 0);
    assert_int_equal(fsio_unlink(d->fd, "c"), -1);
    assert_int_equal(errno, ENOENT);
}

static void test_mkdirs(void **state)
{
    struct tdir *d = *state;
    char p[128];
    snprintf(p, sizeof(p), "%s/a/b//c/", d->path);
    assert_int_equal(fsio_mkdirs(p, 0750), 0);
    assert_int_equal(fsio_mkdirs(p, 0750), 0);   /* existing is fine */
    struct stat st;
    snprintf(p, sizeof(p), "%s/a/b/c", d->path);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    close(fsio_open(d->fd, "file", O_RDWR | O_CREAT, 0644));
    snprintf(p, sizeof(p), "%s/file/sub", d->path);
    assert_int_equal(fsio_mkdirs(p, 0750), -1);
    assert_int_equal(errno, ENOTDIR);
    fsio_set_fault(FSIO_OP_MKDIR, 1, EROFS);
    snprintf(p, sizeof(p), "%s/new", d->path);
    assert_int_equal(fsio_mkdirs(p, 0750), -1);
    assert_int_equal(errno, EROFS);
}

static void test_lock_is_exclusive(void **state)
{
    struct tdir *d = *state;
    int a = fsio_lock(d->fd, FSIO_LOCK_NAME);
    assert_int_not_equal(a, -1);
    assert_int_equal(fsio_lock(d->fd, FSIO_LOCK_NAME), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    close(a);
    int b = fsio_lock(d->fd, FSIO_LOCK_NAME);
    assert_int_not_equal(b, -1);
    close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_short_writes_and_eintr_are_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_hits_the_nth_call_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_is_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_private_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_noreplace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_is_exclusive, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
