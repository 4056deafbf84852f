/* test_index.c - the <basename>.index file: names, parse/format, load/save, rebuild. */
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
#include "protocol/zblocks.h"
#include "storage/index.h"
#include "tests/unit/tmpdir.h"

struct tdir {
    char path[64];
    int fd;
    struct binlog_index *ix;
};

static int setup(void **state)
{
    struct tdir *d = calloc(1, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/tmp/binlogd-index-XXXXXX");
    if (!mkdtemp(d->path)) return -1;
    d->fd = open(d->path, O_RDONLY | O_DIRECTORY);
    d->ix = index_new();
    fsio_clear_faults();
    *state = d;
    return d->fd == -1 || !d->ix ? -1 : 0;
}

static int teardown(void **state)
{
    struct tdir *d = *state;
    fsio_clear_faults();
    index_free(d->ix);
    close(d->fd);
    tmpdir_remove(d->path);
    free(d);
    return 0;
}

static void put_file(int dirfd, const char *name, const void *data, size_t len)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_not_equal(fd, -1);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void test_name_check(void **state)
{
    (void)state;
    const char *why;
    assert_int_equal(index_name_check("mysql-bin.000001", 16, &why), 0);
    assert_int_equal(index_name_check("a", 1, &why), 0);
    assert_int_equal(index_name_check("", 0, &why), -1);
    assert_int_equal(index_name_check(".", 1, &why), -1);
    assert_int_equal(index_name_check("..", 2, &why), -1);
    assert_int_equal(index_name_check("a..b", 4, &why), -1);
    assert_int_equal(index_name_check("a/b", 3, &why), -1);
    assert_non_null(strstr(why, "/"));
    assert_int_equal(index_name_check("a\0b", 3, &why), -1);
    assert_int_equal(index_name_check(".binlogd.lock", 13, &why), -1);
    /* Control bytes would not survive the index's line format: "a\r" was read back as "a",
     * "a\nb" as two files (fuzz_storage, tests/fuzz/regress/fuzz_storage/index-cr). */
    assert_int_equal(index_name_check("02\r", 3, &why), -1);
    assert_non_null(strstr(why, "control"));
    assert_int_equal(index_name_check("a\nb", 3, &why), -1);
    assert_int_equal(index_name_check("a\tb", 3, &why), -1);
    assert_int_equal(index_name_check("a\x7f", 2, &why), -1);
    struct binlog_index *ix = index_new();
    char err[128];
    assert_int_equal(index_parse(ix, "/02\r\r\n", 6, err, sizeof(err)), -1);
    assert_int_equal(ix->n, 0);
    index_free(ix);
    char longname[600];
    memset(longname, 'x', sizeof(longname));
    assert_int_equal(index_name_check(longname, EV_MAX_NAME_LEN, &why), 0);
    assert_int_equal(index_name_check(longname, EV_MAX_NAME_LEN + 1, &why), -1);
}

static void test_split_name(void **state)
{
    (void)state;
    char base[64];
    uint64_t n;
    assert_int_equal(index_split_name("mysql-bin.000042", base, sizeof(base), &n), 0);
    assert_string_equal(base, "mysql-bin");
    assert_int_equal(n, 42);
    assert_int_equal(index_split_name("a.b.1000000", base, sizeof(base), &n), 0);
    assert_string_equal(base, "a.b");
    assert_int_equal(n, 1000000);
    assert_int_equal(index_split_name("mysql-bin.index", base, sizeof(base), &n), -1);
    assert_int_equal(index_split_name("nodot", base, sizeof(base), &n), -1);
    assert_int_equal(index_split_name("trailing.", base, sizeof(base), &n), -1);
    assert_int_equal(index_split_name(".000001", base, sizeof(base), &n), -1);
    assert_int_equal(index_split_name("a.99999999999999999999999", base, sizeof(base), &n), -1);
}

static void test_parse_takes_basenames(void **state)
{
    struct tdir *d = *state;
    char err[256];
    const char text[] = "./mysql-bin.000001\n/var/lib/mysql/mysql-bin.000002\r\n\nmysql-bin.000003";
    assert_int_equal(index_parse(d->ix, text, strlen(text), err, sizeof(err)), 0);
    assert_int_equal(d->ix->n, 3);
    assert_string_equal(d->ix->names[0], "mysql-bin.000001");
    assert_string_equal(d->ix->names[1], "mysql-bin.000002");
    assert_string_equal(d->ix->names[2], "mysql-bin.000003");
    assert_int_equal(index_find(d->ix, "mysql-bin.000002"), 1);
    assert_int_equal(index_find(d->ix, "nope"), -1);
    char *out;
    size_t len;
    assert_int_equal(index_format(d->ix, &out, &len), 0);
    assert_string_equal(out, "./mysql-bin.000001\n./mysql-bin.000002\n./mysql-bin.000003\n");
    assert_int_equal(len, strlen(out));
    free(out);
    index_remove(d->ix, 0);
    assert_int_equal(d->ix->n, 2);
    assert_string_equal(d->ix->names[0], "mysql-bin.000002");
}

static void test_parse_rejects_bad_lines(void **state)
{
    struct tdir *d = *state;
    char err[256];
    const char *bad[] = {"./a.000001\n./a..000002\n", "./a.000001\n./dir/\n", "./a.000001\n./a.000001\n",
                         "./.binlogd.lock\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(index_parse(d->ix, bad[i], strlen(bad[i]), err, sizeof(err)), -1);
        assert_int_equal(d->ix->n, 0);
    }
    assert_int_equal(index_parse(d->ix, bad[2], strlen(bad[2]), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 2"));
    const char nul[] = "./a.000001\n./a\0b\n";
    assert_int_equal(index_parse(d->ix, nul, sizeof(nul) - 1, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NUL"));
    char *longline = malloc(700);
    memset(longline, 'y', 699);
    longline[699] = 0;
    assert_int_equal(index_parse(d->ix, longline, 699, err, sizeof(err)), -1);
    /* a long path is fine when its basename is short */
    memcpy(longline + 600, "/b.000001", 9);
    longline[609] = 0;
    assert_int_equal(index_parse(d->ix, longline, 609, err, sizeof(err)), 0);
    assert_string_equal(d->ix->names[0], "b.000001");
    free(longline);
}

static void test_save_and_load(void **state)
{
    struct tdir *d = *state;
    char err[256];
    enum fsio_op op;
    assert_int_equal(index_load(d->ix, d->fd, "m.index", err, sizeof(err)), 1);
    assert_int_equal(index_append(d->ix, "m.000001"), 0);
    assert_int_equal(index_append(d->ix, "m.000002"), 0);
    assert_int_equal(index_append(d->ix, "../evil"), -1);
    assert_int_equal(index_save(d->ix, d->fd, "m.index", &op, err, sizeof(err)), 0);
    struct binlog_index *ix2 = index_new();
    assert_int_equal(index_load(ix2, d->fd, "m.index", err, sizeof(err)), 0);
    assert_int_equal(ix2->n, 2);
    assert_string_equal(ix2->names[1], "m.000002");
    /* a failed save leaves the previous index on disk */
    assert_int_equal(index_append(d->ix, "m.000003"), 0);
    fsio_set_fault(FSIO_OP_WRITE, 1, ENOSPC);
    assert_int_equal(index_save(d->ix, d->fd, "m.index", &op, err, sizeof(err)), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(op, FSIO_OP_WRITE);
    assert_non_null(strstr(err, "m.index"));
    assert_int_equal(index_load(ix2, d->fd, "m.index", err, sizeof(err)), 0);
    assert_int_equal(ix2->n, 2);
    put_file(d->fd, "bad.index", "./ok.000001\n./x/..\n", 19);
    assert_int_equal(index_load(ix2, d->fd, "bad.index", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bad.index: line 2"));
    index_free(ix2);
}

static void test_rebuild_from_directory(void **state)
{
    struct tdir *d = *state;
    char err[256], base[64];
    put_file(d->fd, "m.000010", "\xfe" "bin....", 8);
    put_file(d->fd, "m.000002", "\xfe" "bin....", 8);
    put_file(d->fd, "m.000001", "\xfe" "bin", 4);
    put_file(d->fd, "m.000003", "notabinlog", 10);          /* no magic: ignored */
    put_file(d->fd, "m.index", "./m.000001\n", 11);
    put_file(d->fd, ".binlogd-tmp.m.000011", "\xfe" "bin", 4);  /* ours: ignored */
    put_file(d->fd, "m.0000x1", "\xfe" "bin", 4);           /* not all digits */
    assert_int_equal(mkdirat(d->fd, "m.000004", 0755), 0);  /* not a regular file */
    assert_int_equal(symlinkat("m.000001", d->fd, "m.000005"), 0);
    assert_int_equal(index_rebuild(d->ix, d->fd, NULL, base, sizeof(base), err, sizeof(err)), 0);
    assert_string_equal(base, "m");
    assert_int_equal(d->ix->n, 3);
    assert_string_equal(d->ix->names[0], "m.000001");
    assert_string_equal(d->ix->names[1], "m.000002");
    assert_string_equal(d->ix->names[2], "m.000010");
    /* a second basename: the order across them is unknowable */
    put_file(d->fd, "other.000001", "\xfe" "bin", 4);
    assert_int_equal(index_rebuild(d->ix, d->fd, NULL, base, sizeof(base), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "different basenames"));
    assert_int_equal(index_rebuild(d->ix, d->fd, "other", base, sizeof(base), err, sizeof(err)), 0);
    assert_int_equal(d->ix->n, 1);
    assert_string_equal(base, "other");
    assert_int_equal(index_rebuild(d->ix, d->fd, "none", base, sizeof(base), err, sizeof(err)), 0);
    assert_int_equal(d->ix->n, 0);
    assert_string_equal(base, "");
}

/* Compressed files (NAME.z, storage/zfile.h) stand for NAME: a lost index is rebuilt with
 * their original names, once when a crash left both forms; a ".z" file without the compressed
 * format's magic is not a binlog. */
static void test_rebuild_compressed(void **state)
{
    struct tdir *d = *state;
    char base[64], err[256];
    put_file(d->fd, "m.000001", "\xfe" "bin", 4);
    put_file(d->fd, "m.000002.z", ZB_MAGIC, strlen(ZB_MAGIC));
    put_file(d->fd, "m.000003", "\xfe" "bin", 4);
    put_file(d->fd, "m.000003.z", ZB_MAGIC, strlen(ZB_MAGIC));
    put_file(d->fd, "m.000004.z", "\xfe" "bin", 4);   /* plain bytes under a .z name */
    put_file(d->fd, "m.z", ZB_MAGIC, strlen(ZB_MAGIC));  /* no number */
    assert_int_equal(index_rebuild(d->ix, d->fd, NULL, base, sizeof(base), err, sizeof(err)), 0);
    assert_string_equal(base, "m");
    assert_int_equal(d->ix->n, 3);
    assert_string_equal(d->ix->names[0], "m.000001");
    assert_string_equal(d->ix->names[1], "m.000002");
    assert_string_equal(d->ix->names[2], "m.000003");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_check),
        cmocka_unit_test(test_split_name),
        cmocka_unit_test_setup_teardown(test_parse_takes_basenames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_rejects_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_and_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_from_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_compressed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
