/* test_zombie_state.c - binlogd's last dump on the primary, kept for a restart
 * (.binlogd-upstream-dump, server/upstream/zombie_state.h): format/parse round trip, every
 * kind of malformed file, the age across restarts (same boot, another boot, clocks that went
 * back), and save/load through a real directory, with an injected fsync failure that must
 * leave the previous file whole. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/upstream/zombie_state.h"
#include "storage/fsio.h"
#include "tests/unit/tmpdir.h"

#define BOOT "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

static void fill(struct zombie_state *z)
{
    memset(z, 0, sizeof(*z));
    z->conn_id = 4242;
    snprintf(z->host, sizeof(z->host), "db1.example");
    z->port = 3307;
    snprintf(z->user, sizeof(z->user), "repl user");   /* a space is allowed in an account */
    z->started_unix_ms = 1764806400123;
    snprintf(z->boot_id, sizeof(z->boot_id), BOOT);
    z->started_boot_ms = 987654321;
}

static const char good[] = "# comment\n"
                           "host db1.example\n"
                           "port 3307\n"
                           "\n"
                           "user repl user\n"
                           "connection_id 4242\n"
                           "started_unix_ms 1764806400123\n"
                           "boot_id " BOOT "\n"
                           "started_boot_ms 987654321";   /* no final newline: still fine */

static void test_round_trip(void **state)
{
    (void)state;
    struct zombie_state a, b;
    char buf[1024], err[128];
    fill(&a);
    size_t n = zombie_state_format(&a, buf, sizeof(buf));
    assert_true(n > 0 && n < sizeof(buf));
    assert_int_equal(zombie_state_parse(&b, buf, n, err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));

    assert_int_equal(zombie_state_parse(&b, good, sizeof(good) - 1, err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));

    /* unknown boot: written as "-", read back as "" */
    memset(a.boot_id, 0, sizeof(a.boot_id));
    n = zombie_state_format(&a, buf, sizeof(buf));
    assert_non_null(strstr(buf, "\nboot_id -\n"));
    assert_int_equal(zombie_state_parse(&b, buf, n, err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));

    /* a key of a newer binlogd is skipped; order does not matter */
    static const char newer[] = "started_boot_ms 1\nboot_id -\nstarted_unix_ms 2\nconnection_id 3\nuser u\n"
                                "future_key whatever it is\nport 1\nhost h\n";
    assert_int_equal(zombie_state_parse(&b, newer, sizeof(newer) - 1, err, sizeof(err)), 0);
    assert_int_equal(b.conn_id, 3);
    assert_int_equal(b.port, 1);
    assert_string_equal(b.host, "h");
    assert_string_equal(b.boot_id, "");
}

/* Replace the line starting with key in good by repl ("" drops it). */
static size_t with_line(char *out, size_t cap, const char *key, const char *repl)
{
    size_t o = 0;
    const char *p = good, *end = good + sizeof(good) - 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *line = p;
        p += ll + (nl ? 1 : 0);
        if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ') {
            if (!*repl) continue;
            size_t rl = strlen(repl);
            assert_true(o + rl + 1 < cap);
            memcpy(out + o, repl, rl);
            o += rl;
        } else {
            assert_true(o + ll + 1 < cap);
            memcpy(out + o, line, ll);
            o += ll;
        }
        out[o++] = '\n';
    }
    return o;
}

static void expect_bad(const char *text, size_t len, const char *what)
{
    struct zombie_state z;
    char err[160] = "";
    memset(&z, 0x5a, sizeof(z));
    int rc = zombie_state_parse(&z, text, len, err, sizeof(err));
    if (rc != -1) fail_msg("accepted (%s): %.*s", what, (int)len, text);
    assert_int_equal(z.conn_id, 0);   /* nothing to end */
    assert_non_null(strstr(err, ZOMBIE_STATE_FILE));
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct { const char *key, *line; } bad[] = {
        {"host", ""},                          /* missing keys, one by one */
        {"port", ""},
        {"user", ""},
        {"connection_id", ""},
        {"started_unix_ms", ""},
        {"boot_id", ""},
        {"started_boot_ms", ""},
        {"host", "host"},                      /* no value */
        {"host", "host "},                     /* empty value */
        {"host", "host db 1"},                 /* whitespace in a host */
        {"host", "host db\t1"},
        {"host", "host db1\r"},                /* a CRLF file */
        {"port", "port 0"},
        {"port", "port 65536"},
        {"port", "port -1"},
        {"port", "port +3307"},
        {"port", "port 3307 "},
        {"port", "port 33o7"},
        {"port", "port 99999999999999999999999"},
        {"user", "user "},
        {"user", "user r\x01pl"},              /* control character */
        {"user", "user r\x7fpl"},
        {"connection_id", "connection_id 0"},
        {"connection_id", "connection_id 18446744073709551616"},   /* 2^64 */
        {"connection_id", "connection_id 0x10"},
        {"connection_id", "connection_id"},
        {"started_unix_ms", "started_unix_ms 9223372036854775808"}, /* past INT64_MAX */
        {"started_unix_ms", "started_unix_ms -5"},
        {"started_unix_ms", "started_unix_ms "},
        {"boot_id", "boot_id 0F1E"},           /* upper case is not what the kernel writes */
        {"boot_id", "boot_id x"},
        {"boot_id", "boot_id --"},             /* only "-" alone means unknown */
        {"boot_id", "boot_id 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f"},   /* 35 characters */
        {"boot_id", "boot_id 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f00"}, /* 37 */
        {"boot_id", "boot_id 0f1e2d3c4b5a-6978-8796-a5b4c3d2e1f0-"},  /* a dash misplaced */
        {"boot_id", "boot_id 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
        {"started_boot_ms", "started_boot_ms 1.5"},
        {"host", "host db1.example\nhost db2.example"},            /* a key twice */
        {"connection_id", "connection_id 1\nconnection_id 1"},
        {"host", "host db1.example\nHOST x"},                      /* keys are lower case */
        {"host", "host db1.example\n-port 1"},
        {"host", "host db1.example\n key 1"},                      /* a line starting with a space */
        {"host", "host db1.example\nportless"},                    /* a line without a value */
    };
    char buf[2048];
    int checked = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = with_line(buf, sizeof(buf), bad[i].key, bad[i].line);
        expect_bad(buf, n, bad[i].line[0] ? bad[i].line : bad[i].key);
        checked++;
    }
    /* a lone "-" is accepted: the boot was unknown */
    size_t n = with_line(buf, sizeof(buf), "boot_id", "boot_id -");
    struct zombie_state z;
    char err[160];
    assert_int_equal(zombie_state_parse(&z, buf, n, err, sizeof(err)), 0);

    /* a NUL inside a line */
    static const char nul[] = "host db1\0x\nport 1\nuser u\nconnection_id 1\nstarted_unix_ms 1\nboot_id -\n"
                              "started_boot_ms 1\n";
    expect_bad(nul, sizeof(nul) - 1, "NUL");
    /* a line longer than any real one */
    char longl[1200];
    memset(longl, 'a', sizeof(longl));
    memcpy(longl, "user ", 5);
    n = with_line(buf, sizeof(buf), "user", "");
    memcpy(buf + n, longl, sizeof(longl));
    expect_bad(buf, n + sizeof(longl), "long line");
    /* a user name of 127 bytes fits, 128 does not */
    char u[160] = "user ";
    memset(u + 5, 'u', 127);
    u[5 + 127] = 0;
    n = with_line(buf, sizeof(buf), "user", u);
    assert_int_equal(zombie_state_parse(&z, buf, n, err, sizeof(err)), 0);
    assert_int_equal(strlen(z.user), 127);
    strcat(u, "u");
    n = with_line(buf, sizeof(buf), "user", u);
    expect_bad(buf, n, "user of 128 bytes");
    /* empty, comments only, binary garbage, a torn file (cut in every place) */
    expect_bad("", 0, "empty");
    expect_bad("# nothing\n\n", 11, "comments");
    static const unsigned char junk[] = {0xff, 0xfe, 0x00, 0x01, 0x0a, 0x80, 0x20, 0x0a};
    expect_bad((const char *)junk, sizeof(junk), "junk");
    for (size_t cut = 0; cut < sizeof(good) - 1; cut++) {
        /* a prefix parses only when it ends after the last key's first digit */
        int rc = zombie_state_parse(&z, good, cut, err, sizeof(err));
        if (rc == 0) assert_true(cut >= sizeof(good) - 1 - strlen("87654321"));
        else assert_int_equal(z.conn_id, 0);
        checked++;
    }
    assert_true(checked > 60);
}

static void test_age(void **state)
{
    (void)state;
    struct zombie_state z;
    uint64_t age = 0;
    fill(&z);
    /* same boot: the boot clock, whatever the wall clock says */
    assert_int_equal(zombie_state_age_ms(&z, BOOT, z.started_boot_ms + 7500, 0, &age), 0);
    assert_int_equal(age, 7500);
    assert_int_equal(zombie_state_age_ms(&z, BOOT, z.started_boot_ms + 7500, z.started_unix_ms + 86400000, &age), 0);
    assert_int_equal(age, 7500);
    assert_int_equal(zombie_state_age_ms(&z, BOOT, z.started_boot_ms - 1, z.started_unix_ms + 5, &age), -1);
    /* another boot (the host rebooted): the wall clock */
    assert_int_equal(zombie_state_age_ms(&z, "ffff", 3, z.started_unix_ms + 61000, &age), 0);
    assert_int_equal(age, 61000);
    assert_int_equal(zombie_state_age_ms(&z, "ffff", 3, z.started_unix_ms, &age), 0);
    assert_int_equal(age, 0);
    /* a wall clock that says the dump began in the future: unknown, end nothing */
    assert_int_equal(zombie_state_age_ms(&z, "ffff", 3, z.started_unix_ms - 1, &age), -1);
    /* the boot id unknown now, or then: the wall clock */
    assert_int_equal(zombie_state_age_ms(&z, "", z.started_boot_ms + 1, z.started_unix_ms + 2000, &age), 0);
    assert_int_equal(age, 2000);
    z.boot_id[0] = 0;
    assert_int_equal(zombie_state_age_ms(&z, "", z.started_boot_ms + 1, z.started_unix_ms + 3000, &age), 0);
    assert_int_equal(age, 3000);
    assert_int_equal(zombie_state_age_ms(&z, NULL, 0, z.started_unix_ms + 4000, &age), 0);
    assert_int_equal(age, 4000);
}

static void test_boot(void **state)
{
    (void)state;
    char a[ZOMBIE_BOOT_ID_MAX], b[ZOMBIE_BOOT_ID_MAX];
    zombie_boot_id(a, sizeof(a));
    zombie_boot_id(b, sizeof(b));
    assert_string_equal(a, b);
    if (access("/proc/sys/kernel/random/boot_id", R_OK) == 0) assert_int_equal(strlen(a), 36);
    char tiny[8];
    zombie_boot_id(tiny, sizeof(tiny));   /* does not fit: unknown rather than cut */
    assert_string_equal(tiny, "");
    uint64_t t0 = zombie_boot_ms();
    assert_true(t0 > 0 && zombie_boot_ms() >= t0);
}

static void test_save_load(void **state)
{
    (void)state;
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/binlogd-zombie-XXXXXX");
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    struct zombie_state a, b;
    char err[256];
    fill(&a);
    assert_int_equal(zombie_state_load(dfd, &b, err, sizeof(err)), 1);   /* no file yet */
    assert_int_equal(b.conn_id, 0);
    assert_int_equal(zombie_state_save(dfd, &a, err, sizeof(err)), 0);
    memset(&b, 0, sizeof(b));
    assert_int_equal(zombie_state_load(dfd, &b, err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));

    /* a failed fsync: -1 naming the step, the previous file whole, no temp file left */
    struct zombie_state c = a;
    c.conn_id = 99;
    fsio_set_fault(FSIO_OP_FSYNC, 1, EIO);
    assert_int_equal(zombie_state_save(dfd, &c, err, sizeof(err)), -1);
    fsio_clear_faults();
    assert_non_null(strstr(err, "fsync"));
    assert_int_equal(zombie_state_load(dfd, &b, err, sizeof(err)), 0);
    assert_int_equal(b.conn_id, 4242);
    assert_int_equal(faccessat(dfd, FSIO_TMP_PREFIX ZOMBIE_STATE_FILE, F_OK, 0), -1);
    /* ENOSPC on the write: the same */
    fsio_set_fault(FSIO_OP_WRITE, 1, ENOSPC);
    assert_int_equal(zombie_state_save(dfd, &c, err, sizeof(err)), -1);
    fsio_clear_faults();
    assert_int_equal(zombie_state_load(dfd, &b, err, sizeof(err)), 0);
    assert_int_equal(b.conn_id, 4242);

    /* a damaged file: -1, nothing known */
    int fd = openat(dfd, ZOMBIE_STATE_FILE, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "host x\nport", 11), 11);
    close(fd);
    assert_int_equal(zombie_state_load(dfd, &b, err, sizeof(err)), -1);
    assert_int_equal(b.conn_id, 0);
    /* a directory in its place: unreadable, -1 */
    assert_int_equal(unlinkat(dfd, ZOMBIE_STATE_FILE, 0), 0);
    assert_int_equal(mkdirat(dfd, ZOMBIE_STATE_FILE, 0700), 0);
    assert_int_equal(zombie_state_load(dfd, &b, err, sizeof(err)), -1);
    assert_int_equal(b.conn_id, 0);
    close(dfd);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_boot),
        cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
