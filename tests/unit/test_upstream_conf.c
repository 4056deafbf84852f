/* test_upstream_conf.c - the stored upstream settings (.binlogd-upstream): format/parse round
 * trip with the TLS keys, files written before the TLS keys existed, malformed lines, and
 * save/load through a real directory (mode 0600). */
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

#include "server/upstream/upstream_conf.h"
#include "tests/unit/tmpdir.h"

static void fill(struct upstream_conf *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->host, sizeof(c->host), "db1.example");
    c->port = 3307;
    snprintf(c->user, sizeof(c->user), "repl");
    snprintf(c->password, sizeof(c->password), "p=w#1");
    c->use_gtid = 1;
    c->ssl = 1;
    c->ssl_verify_server_cert = 1;
    snprintf(c->ssl_ca, sizeof(c->ssl_ca), "/etc/binlogd/ca.pem");
    snprintf(c->ssl_capath, sizeof(c->ssl_capath), "/etc/ssl/certs");
    snprintf(c->ssl_cert, sizeof(c->ssl_cert), "/etc/binlogd/client cert.pem");   /* a space */
    snprintf(c->ssl_key, sizeof(c->ssl_key), "/etc/binlogd/client=key.pem");       /* an '=' */
    snprintf(c->ssl_cipher, sizeof(c->ssl_cipher), "ECDHE-RSA-AES256-GCM-SHA384:!aNULL");
    snprintf(c->ssl_crl, sizeof(c->ssl_crl), "/etc/binlogd/crl.pem");
    snprintf(c->ssl_crlpath, sizeof(c->ssl_crlpath), "/etc/binlogd/crls");
}

static void test_round_trip(void **state)
{
    (void)state;
    struct upstream_conf a, b;
    fill(&a);
    char buf[8192], err[256];
    size_t n = upstream_conf_format(&a, buf, sizeof(buf));
    assert_true(n > 0 && n < sizeof(buf));
    memset(&b, 0, sizeof(b));
    assert_int_equal(upstream_conf_parse(&b, buf, n, err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));
}

/* A file written before the TLS keys existed names none of them: the values already in the
 * struct (from the configuration file) stay. */
static void test_old_file_keeps_config_tls(void **state)
{
    (void)state;
    struct upstream_conf c;
    fill(&c);
    const char *old = "host=db2\nport=3306\nuser=repl\npassword=x\nlog_file=\nuse_gtid=0\nswitch_pending=0\n";
    char err[256];
    assert_int_equal(upstream_conf_parse(&c, old, strlen(old), err, sizeof(err)), 0);
    assert_string_equal(c.host, "db2");
    assert_int_equal(c.ssl, 1);
    assert_string_equal(c.ssl_ca, "/etc/binlogd/ca.pem");
}

static void test_malformed(void **state)
{
    (void)state;
    char big[700];
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "ssl_ca=", 7);
    big[sizeof(big) - 1] = 0;   /* a 692-byte value: over UPSTREAM_PATH_MAX - 1 */
    static const struct { const char *text; const char *want; } bad[] = {
        {"ssl=2\n", "line 1: bad value for 'ssl'"},
        {"ssl=on\n", "line 1: bad value for 'ssl'"},
        {"ssl=\n", "line 1: bad value for 'ssl'"},
        {"ssl=-1\n", "line 1: bad value for 'ssl'"},
        {"host=a\nssl_verify_server_cert=yes\n", "line 2: bad value for 'ssl_verify_server_cert'"},
        {"ssl_verify_server_cert=01234567890\n", "line 1: bad value for 'ssl_verify_server_cert'"},
        {"ssl\n", "line 1: expected key=value"},
        {"ssl_cafile=/x\n", "line 1: unknown key 'ssl_cafile'"},
        {"SSL=1\n", "line 1: unknown key 'SSL'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct upstream_conf c;
        memset(&c, 0, sizeof(c));
        char err[256] = "";
        if (upstream_conf_parse(&c, bad[i].text, strlen(bad[i].text), err, sizeof(err)) != -1 ||
            strcmp(err, bad[i].want))
            fail_msg("'%s': got '%s', want '%s'", bad[i].text, err, bad[i].want);
    }
    struct upstream_conf c;
    memset(&c, 0, sizeof(c));
    char err[256];
    assert_int_equal(upstream_conf_parse(&c, big, strlen(big), err, sizeof(err)), -1);
    assert_string_equal(err, "line 1: bad value for 'ssl_ca'");
    /* A value with a NUL byte inside is not cut short silently: the rest is a bad line. */
    const char nul[] = "ssl_ca=/a\0b\nssl=1\n";
    memset(&c, 0, sizeof(c));
    int rc = upstream_conf_parse(&c, nul, sizeof(nul) - 1, err, sizeof(err));
    /* the NUL ends the C string of the path: whatever the parser does, the path it keeps
     * must not extend past it */
    if (rc == 0) assert_string_equal(c.ssl_ca, "/a");
}

static void test_save_load_mode(void **state)
{
    (void)state;
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/binlogd-upconf-XXXXXX");
    assert_non_null(mkdtemp(dir));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    struct upstream_conf a, b;
    fill(&a);
    char err[256];
    assert_int_equal(upstream_conf_load(dfd, &b, err, sizeof(err)), 1);   /* no file yet */
    assert_int_equal(upstream_conf_save(dfd, &a, err, sizeof(err)), 0);
    struct stat sb;
    assert_int_equal(fstatat(dfd, UPSTREAM_CONF_FILE, &sb, 0), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    memset(&b, 0, sizeof(b));
    assert_int_equal(upstream_conf_load(dfd, &b, err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));
    close(dfd);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_old_file_keeps_config_tls),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_save_load_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
