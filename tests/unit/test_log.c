/* test_log.c - the log's file handling: lines on the file, reopen after a rename (logrotate),
 * a failed reopen keeps the old file, and the write-error policy (count, then the line goes
 * to the original stderr). fd 2 is moved around: the original is restored at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/log.h"
#include "tests/unit/tmpdir.h"

static int file_has(const char *path, const char *needle)
{
    char buf[65536];
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

static void test_file_reopen(void **state)
{
    (void)state;
    char dir[64] = "/tmp/binlogd-log-XXXXXX", path[128], rotated[140], moved[80], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/binlogd.log", dir);
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    snprintf(moved, sizeof(moved), "%s/gone", dir);
    int saved = dup(2);
    assert_int_equal(log_set_file(path, err, sizeof(err)), -1);   /* no such directory */
    assert_non_null(strstr(err, "cannot open log file"));
    snprintf(rotated, sizeof(rotated), "%s/sub", dir);
    assert_int_equal(mkdir(rotated, 0700), 0);
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    assert_int_equal(log_set_file(path, err, sizeof(err)), 0);
    log_warn("t", "first line");
    assert_true(file_has(path, "WARN  [t] first line\n"));
    assert_int_equal(rename(path, rotated), 0);
    log_warn("t", "second line");                 /* still the renamed file */
    assert_int_equal(log_reopen(err, sizeof(err)), 0);
    log_warn("t", "third line");
    assert_true(file_has(rotated, "second line"));
    assert_false(file_has(rotated, "third line"));
    assert_true(file_has(path, "third line"));
    /* The directory goes away: the reopen fails and the log stays on the file it had. */
    snprintf(rotated, sizeof(rotated), "%s/sub", dir);
    assert_int_equal(rename(rotated, moved), 0);
    assert_int_equal(log_reopen(err, sizeof(err)), -1);
    log_warn("t", "fourth line");
    snprintf(rotated, sizeof(rotated), "%s/binlogd.log", moved);
    assert_true(file_has(rotated, "fourth line"));
    assert_int_equal(log_set_file(NULL, err, sizeof(err)), 0);
    dup2(saved, 2);
    close(saved);
    tmpdir_remove(dir);
}

static void test_write_error_policy(void **state)
{
    (void)state;
    char err[256];
    int p[2];
    assert_int_equal(pipe(p), 0);
    int saved = dup(2);
    dup2(p[1], 2);   /* the "original stderr" for this test is the pipe */
    uint64_t before = log_write_errors();
    assert_int_equal(log_set_file("/dev/full", err, sizeof(err)), 0);   /* every write: ENOSPC */
    log_error("t", "a line the disk has no room for");
    assert_int_equal(log_write_errors(), before + 1);
    assert_int_equal(log_set_file(NULL, err, sizeof(err)), 0);   /* back to the pipe */
    log_info("t", "after");
    assert_int_equal(log_write_errors(), before + 1);
    dup2(saved, 2);
    close(saved);
    close(p[1]);
    char buf[4096];
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    close(p[0]);
    assert_true(n > 0);
    buf[n] = 0;
    assert_non_null(strstr(buf, "ERROR [t] a line the disk has no room for\n"));   /* the fallback */
    assert_non_null(strstr(buf, "INFO  [t] after\n"));
}

static void test_long_line_stays_one_line(void **state)
{
    (void)state;
    char dir[64] = "/tmp/binlogd-log-XXXXXX", path[128], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/l.log", dir);
    int saved = dup(2);
    assert_int_equal(log_set_file(path, err, sizeof(err)), 0);
    char big[5000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    log_info("t", "%s", big);
    log_info("t", "next");
    assert_int_equal(log_set_file(NULL, err, sizeof(err)), 0);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    assert_non_null(fgets(line, sizeof(line), f));
    assert_true(strlen(line) < 2400 && line[strlen(line) - 1] == '\n');
    assert_non_null(fgets(line, sizeof(line), f));
    assert_non_null(strstr(line, "[t] next"));
    fclose(f);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First: the original stderr is the fd 2 of the first log_set_file (kept for good,
         * never closed, so a concurrent writer can never hit a reused descriptor). */
        cmocka_unit_test(test_write_error_policy),
        cmocka_unit_test(test_file_reopen),
        cmocka_unit_test(test_long_line_stays_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
