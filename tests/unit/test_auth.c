/* test_auth.c - stored password forms and their checks (protocol/auth.c), where secrets come
 * from (conf/secret.c), the failed-login throttle (server/replicas/auth_throttle.c) and the
 * connection limit (server/replicas/limits.c), on bytes and plain values. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/config.h"
#include "conf/secret.h"
#include "protocol/auth.h"
#include "protocol/bbuf.h"
#include "server/replicas/auth_throttle.h"
#include "server/replicas/limits.h"
#include "tests/unit/tmpdir.h"

/* SELECT PASSWORD('secret') on MariaDB 10.11 */
#define PW_NATIVE "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"

static void sha2_text(const char *pw, char out[AUTH_SHA2_TEXT_LEN + 1])
{
    uint8_t h[AUTH_SHA2_HASH_LEN];
    auth_sha2_hash(pw, strlen(pw), h);
    auth_sha2_hash_to_text(h, out);
}

static void test_stored_forms(void **state)
{
    (void)state;
    struct auth_stored st, plain;
    char s2[AUTH_SHA2_TEXT_LEN + 1], both[128];
    auth_stored_parse("secret", 6, &plain);
    assert_true(plain.has_native && plain.has_sha2 && !plain.empty);

    auth_stored_parse(PW_NATIVE, strlen(PW_NATIVE), &st);
    assert_true(st.has_native && !st.has_sha2);
    assert_memory_equal(st.native, plain.native, AUTH_NATIVE_HASH_LEN);

    sha2_text("secret", s2);
    assert_int_equal(strlen(s2), AUTH_SHA2_TEXT_LEN);
    assert_int_equal(strncmp(s2, "$sha2$", 6), 0);
    auth_stored_parse(s2, strlen(s2), &st);
    assert_true(!st.has_native && st.has_sha2);
    assert_memory_equal(st.sha2, plain.sha2, AUTH_SHA2_HASH_LEN);

    snprintf(both, sizeof(both), "%s %s", PW_NATIVE, s2);
    auth_stored_parse(both, strlen(both), &st);
    assert_true(st.has_native && st.has_sha2);
    assert_memory_equal(st.native, plain.native, AUTH_NATIVE_HASH_LEN);
    assert_memory_equal(st.sha2, plain.sha2, AUTH_SHA2_HASH_LEN);
    snprintf(both, sizeof(both), "%s %s", s2, PW_NATIVE);   /* either order */
    auth_stored_parse(both, strlen(both), &st);
    assert_true(st.has_native && st.has_sha2);
    assert_int_equal(secret_form_of(both), SECRET_BOTH);

    /* near misses are plaintext: both hashes derived from the text itself */
    const char *plainish[] = {"*14E65567ABDB5135D0CFD9A70B3032C179A49EE", "*14E65567ABDB5135D0CFD9A70B3032C179A49EEZ",
                              "$sha2$abc", "$sha2$", "* $sha2$", PW_NATIVE " " PW_NATIVE};
    for (size_t i = 0; i < sizeof(plainish) / sizeof(plainish[0]); i++) {
        auth_stored_parse(plainish[i], strlen(plainish[i]), &st);
        assert_true(st.has_native && st.has_sha2);
        uint8_t h[AUTH_NATIVE_HASH_LEN];
        auth_native_hash(plainish[i], strlen(plainish[i]), h);
        assert_memory_equal(st.native, h, sizeof(h));
        assert_int_equal(secret_form_of(plainish[i]), SECRET_PLAINTEXT);
    }
    auth_stored_parse("", 0, &st);
    assert_true(st.empty && !st.has_native && !st.has_sha2);
    assert_int_equal(secret_form_of(""), SECRET_EMPTY);
    assert_int_equal(secret_form_of(PW_NATIVE), SECRET_NATIVE);
    assert_int_equal(secret_form_of(s2), SECRET_SHA2);
    assert_string_equal(secret_form_name(SECRET_BOTH), "mysql_native and caching_sha2 hashes");
}

static void test_fast_path_against_stored_hash(void **state)
{
    (void)state;
    uint8_t nonce[AUTH_SCRAMBLE_LEN], reply[AUTH_SHA2_HASH_LEN];
    for (size_t i = 0; i < sizeof(nonce); i++) nonce[i] = (uint8_t)(0x21 + i);
    char s2[AUTH_SHA2_TEXT_LEN + 1];
    sha2_text("secret", s2);
    struct auth_stored st;
    auth_stored_parse(s2, strlen(s2), &st);
    auth_sha2_scramble(nonce, "secret", 6, reply);
    assert_int_equal(auth_sha2_fast_verify(nonce, reply, sizeof(reply), st.sha2), 0);
    auth_sha2_scramble(nonce, "Secret", 6, reply);
    assert_int_equal(auth_sha2_fast_verify(nonce, reply, sizeof(reply), st.sha2), -1);
    assert_int_equal(auth_sha2_fast_verify(nonce, reply, 31, st.sha2), -1);   /* short reply */
}

static void test_full_auth_plaintext(void **state)
{
    (void)state;
    struct auth_stored st;
    char s2[AUTH_SHA2_TEXT_LEN + 1];
    sha2_text("secret", s2);
    auth_stored_parse(s2, strlen(s2), &st);
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"secret", 7), 0);   /* NUL-terminated */
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"secret", 6), 0);
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"secreT", 7), -1);
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"sec\0ret", 8), -1);   /* embedded NUL */
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"", 1), -1);
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"", 0), -1);
    auth_stored_parse(PW_NATIVE, strlen(PW_NATIVE), &st);   /* native only: checked too */
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"secret", 7), 0);
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"nope", 5), -1);
    auth_stored_parse("", 0, &st);   /* no password */
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"", 1), 0);
    assert_int_equal(auth_plain_verify(&st, (const uint8_t *)"x", 2), -1);
    /* a hostile 64 KiB "password" is just wrong */
    uint8_t *big = malloc(65536);
    memset(big, 'a', 65536);
    auth_stored_parse(s2, strlen(s2), &st);
    assert_int_equal(auth_plain_verify(&st, big, 65536), -1);
    free(big);
}

static void test_secret_sources(void **state)
{
    (void)state;
    char dir[64] = "/tmp/binlogd-auth-XXXXXX", path[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pw", dir);
    FILE *f = fopen(path, "w");
    fputs("from-a-file\r\n", f);
    fclose(f);
    chmod(path, 0600);
    struct config c;
    config_defaults(&c);
    assert_int_equal(config_set(&c, "user.a.password_file=/nonexistent/x", "t", err, sizeof(err)), 0);
    assert_int_equal(secret_resolve(&c, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "user.a.password_file: cannot open /nonexistent/x"));

    config_defaults(&c);
    char a[256];
    snprintf(a, sizeof(a), "upstream.password_file=%s", path);
    assert_int_equal(config_set(&c, a, "t", err, sizeof(err)), 0);
    snprintf(a, sizeof(a), "user.r.password_file=%s", path);
    assert_int_equal(config_set(&c, a, "t", err, sizeof(err)), 0);
    setenv("BINLOGD_TEST_PW", "from-the-env", 1);
    assert_int_equal(config_set(&c, "user.e.password_env=BINLOGD_TEST_PW", "t", err, sizeof(err)), 0);
    assert_int_equal(secret_resolve(&c, NULL, NULL, err, sizeof(err)), 0);
    assert_string_equal(c.up_password, "from-a-file");   /* "\r\n" stripped */
    assert_string_equal(config_user_find(&c, "r")->password, "from-a-file");
    assert_string_equal(config_user_find(&c, "e")->password, "from-the-env");
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);   /* no server_id: unrelated, but runs */

    /* two sources: refused, naming keys, never the value */
    config_defaults(&c);
    assert_int_equal(config_set(&c, "upstream.password=visible-secret", "t", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "upstream.password_env=BINLOGD_TEST_PW", "t", err, sizeof(err)), 0);
    assert_int_equal(secret_resolve(&c, NULL, NULL, err, sizeof(err)), -1);
    assert_null(strstr(err, "visible-secret"));
    assert_non_null(strstr(err, "give only one of"));

    /* an unset variable, an empty file, a two-line file, a directory */
    config_defaults(&c);
    assert_int_equal(config_set(&c, "user.x.password_env=BINLOGD_NO_SUCH_VAR", "t", err, sizeof(err)), 0);
    assert_int_equal(secret_resolve(&c, NULL, NULL, err, sizeof(err)), -1);
    f = fopen(path, "w");
    fclose(f);
    config_defaults(&c);
    snprintf(a, sizeof(a), "user.r.password_file=%s", path);
    config_set(&c, a, "t", err, sizeof(err));
    assert_int_equal(secret_resolve(&c, NULL, NULL, err, sizeof(err)), -1);
    f = fopen(path, "w");
    fputs("line1\nline2\n", f);
    fclose(f);
    assert_int_equal(secret_resolve(&c, NULL, NULL, err, sizeof(err)), -1);
    assert_null(strstr(err, "line1"));
    config_defaults(&c);
    snprintf(a, sizeof(a), "user.r.password_file=%s", dir);
    config_set(&c, a, "t", err, sizeof(err));
    assert_int_equal(secret_resolve(&c, NULL, NULL, err, sizeof(err)), -1);
    unsetenv("BINLOGD_TEST_PW");
    tmpdir_remove(dir);
}

static int n_warn;
static char last_warn[1024];
static void on_warn(void *arg, const char *text)
{
    (void)arg;
    n_warn++;
    snprintf(last_warn, sizeof(last_warn), "%s", text);
}

static void test_secret_warnings(void **state)
{
    (void)state;
    char dir[64] = "/tmp/binlogd-auth-XXXXXX", path[128], err[512], a[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/pw", dir);
    FILE *f = fopen(path, "w");
    fputs("pw-in-a-0644-file\n", f);
    fclose(f);
    chmod(path, 0644);
    struct config c;
    config_defaults(&c);
    snprintf(a, sizeof(a), "user.r.password_file=%s", path);
    config_set(&c, a, "t", err, sizeof(err));
    config_set(&c, "user.h.password=" PW_NATIVE, "t", err, sizeof(err));
    n_warn = 0;
    assert_int_equal(secret_resolve(&c, on_warn, NULL, err, sizeof(err)), 0);
    assert_int_equal(n_warn, 1);   /* the file is readable by every user */
    assert_non_null(strstr(last_warn, "readable by every user"));
    assert_null(strstr(last_warn, "pw-in-a-0644-file"));
    n_warn = 0;
    secret_warnings(&c, path, on_warn, NULL);   /* r is plaintext (h is a hash); path is 0644 */
    assert_int_equal(n_warn, 2);
    assert_non_null(strstr(last_warn, "holds passwords and is readable by every user"));
    chmod(path, 0600);
    n_warn = 0;
    secret_warnings(&c, path, on_warn, NULL);
    assert_int_equal(n_warn, 1);
    assert_non_null(strstr(last_warn, "user.r: the password is stored in plaintext"));

    assert_true(secret_is_password_assignment("upstream.password=x"));
    assert_true(secret_is_password_assignment("user.repl.password=x"));
    assert_false(secret_is_password_assignment("user.repl.password="));   /* empty: nothing to hide */
    assert_false(secret_is_password_assignment("user.repl.password_file=/x"));
    assert_false(secret_is_password_assignment("upstream.password_env=V"));
    assert_false(secret_is_password_assignment("upstream.user=password"));
    assert_false(secret_is_password_assignment("user..password"));
    tmpdir_remove(dir);
}

static void test_throttle_delays(void **state)
{
    (void)state;
    struct auth_throttle *t = auth_throttle_new(0);
    assert_non_null(t);
    static const uint32_t want[] = {0, 0, 100, 200, 400, 800, 1600, 2000, 2000, 2000};
    uint64_t now = 1000000;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_int_equal(auth_throttle_failure(t, "10.0.0.1", now + i), want[i]);
    /* another host starts at zero */
    assert_int_equal(auth_throttle_failure(t, "10.0.0.2", now), 0);
    assert_int_equal(auth_throttle_peek(t, "10.0.0.9", now), 0);
    /* decay: one failure forgotten per 10 s of quiet; a minute of quiet forgives 6 */
    assert_int_equal(auth_throttle_peek(t, "10.0.0.1", now + 9 + 60000), 400);   /* score 10-6 = 4, +1: the 5th step */
    assert_int_equal(auth_throttle_peek(t, "10.0.0.1", now + 200000), 0);
    struct auth_throttle_stats st;
    auth_throttle_stats_get(t, &st);
    assert_int_equal(st.failures, 11);
    assert_int_equal(st.delayed, 8);
    assert_int_equal(st.hosts, 2);
    /* a clock that goes backwards does not underflow */
    assert_int_equal(auth_throttle_failure(t, "10.0.0.2", 5), 0);
    auth_throttle_free(t);
}

static void test_throttle_bounded(void **state)
{
    (void)state;
    struct auth_throttle *t = auth_throttle_new(8);
    char host[64];
    /* a host that fails a lot, then 100 others one failure each: the table keeps 8 hosts,
     * forgets the least recently failing first, and never slows the others */
    for (int i = 0; i < 6; i++) auth_throttle_failure(t, "attacker", (uint64_t)i);
    for (int i = 0; i < 100; i++) {
        snprintf(host, sizeof(host), "192.0.2.%d", i);
        assert_int_equal(auth_throttle_failure(t, host, 100 + (uint64_t)i), 0);
    }
    struct auth_throttle_stats st;
    auth_throttle_stats_get(t, &st);
    assert_int_equal(st.hosts, 8);
    assert_int_equal(st.evictions, 100 + 1 - 8);
    assert_int_equal(auth_throttle_peek(t, "attacker", 300), 0);   /* forgotten (LRU) */
    /* a host name longer than a slot is cut, not overflowed */
    char longhost[300];
    memset(longhost, 'h', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = 0;
    auth_throttle_failure(t, longhost, 400);
    auth_throttle_free(t);
}

static void test_limits(void **state)
{
    (void)state;
    struct config c;
    config_defaults(&c);
    c.max_connections = 3;
    assert_int_equal(limits_admit(&c, 0), LIMITS_ADMIT);
    assert_int_equal(limits_admit(&c, 2), LIMITS_ADMIT);
    assert_int_equal(limits_admit(&c, 3), LIMITS_ADMIT_ADMIN_ONLY);
    assert_int_equal(limits_admit(&c, 4), LIMITS_REFUSE);
    assert_int_equal(limits_admit(&c, 100000), LIMITS_REFUSE);
    assert_string_equal(limits_admit_name(LIMITS_ADMIT_ADMIN_ONLY), "admin_only");
    /* ERR 1040 as the first packet: seq 0, 0xFF, 1040, '#08004', mariadbd's text */
    struct bbuf b;
    bbuf_init(&b);
    assert_int_equal(limits_build_too_many(&b), 0);
    static const char msg[] = "Too many connections";
    assert_int_equal(b.len, 4 + 1 + 2 + 6 + strlen(msg));
    assert_int_equal(b.p[3], 0);
    assert_int_equal(b.p[4], 0xFF);
    assert_int_equal(b.p[5] | b.p[6] << 8, 1040);
    assert_memory_equal(b.p + 7, "#08004", 6);
    assert_memory_equal(b.p + 13, msg, strlen(msg));
    bbuf_free(&b);
    /* defaults and bounds of the options */
    config_defaults(&c);
    assert_int_equal(c.connect_timeout, 10);
    assert_int_equal(c.idle_timeout, 28800);
    assert_int_equal(c.max_allowed_packet, 1u << 20);
    char err[256];
    assert_int_equal(config_set(&c, "binlogd.max_allowed_packet=16777216", "t", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "binlogd.max_allowed_packet=1023", "t", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "binlogd.max_connections=0", "t", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "binlogd.connect_timeout=0", "t", err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stored_forms),
        cmocka_unit_test(test_fast_path_against_stored_hash),
        cmocka_unit_test(test_full_auth_plaintext),
        cmocka_unit_test(test_secret_sources),
        cmocka_unit_test(test_secret_warnings),
        cmocka_unit_test(test_throttle_delays),
        cmocka_unit_test(test_throttle_bounded),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
