/* test_tls.c - the listener's TLS material (server/replicas/tls.c): loading, refusing broken
 * files while keeping the running context, reload with sessions holding the old context, and
 * who may log in without TLS. Certificates are made here with OpenSSL's API. */
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

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "conf/config.h"
#include "server/replicas/tls.h"
#include "tests/unit/tmpdir.h"

static char dir[64];

static const char *path(const char *name)
{
    static char p[32][256];
    static int i;
    i = (i + 1) % 32;
    snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
    return p[i];
}

/* A self-signed P-256 certificate with the given serial, valid until valid_s seconds from
 * now (negative: expired), into NAME.pem / NAME.key. */
static void make_cert(const char *name, long serial, long valid_s)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(k);
    assert_non_null(x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -7200);
    X509_gmtime_adj(X509_getm_notAfter(x), valid_s);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    char f[96];
    snprintf(f, sizeof(f), "%s.pem", name);
    FILE *o = fopen(path(f), "w");
    assert_non_null(o);
    assert_int_equal(PEM_write_X509(o, x), 1);
    fclose(o);
    snprintf(f, sizeof(f), "%s.key", name);
    o = fopen(path(f), "w");
    assert_non_null(o);
    assert_int_equal(PEM_write_PrivateKey(o, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(o);
    X509_free(x);
    EVP_PKEY_free(k);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/binlogd-tls-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    make_cert("one", 0x1111, 3600);
    make_cert("two", 0x2222, 3600);
    make_cert("old", 0x3333, -60);
    FILE *o = fopen(path("junk.pem"), "w");
    fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", o);
    fclose(o);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmpdir_remove(dir);
    return 0;
}

static void test_load_and_refuse(void **state)
{
    (void)state;
    struct tls_server *t = tls_server_new();
    char err[512];
    assert_false(tls_server_enabled(t));
    assert_null(tls_server_ctx_ref(t));
    assert_string_equal(tls_server_describe(t), "");
    /* empty cert: TLS off, not an error */
    struct tls_paths off = {.cert = "", .key = "", .ca = ""};
    assert_int_equal(tls_server_load(t, &off, err, sizeof(err)), 0);
    assert_false(tls_server_enabled(t));
    /* every broken input is refused, naming what and where; nothing gets loaded */
    struct tls_paths bad[] = {
        {path("missing.pem"), path("one.key"), ""},
        {path("junk.pem"), path("one.key"), ""},
        {path("one.pem"), path("missing.key"), ""},
        {path("one.pem"), path("two.key"), ""},   /* key of another certificate */
        {path("one.pem"), path("one.pem"), ""},   /* a certificate is no key */
        {path("one.pem"), path("one.key"), path("missing-ca.pem")},
        {path("one.pem"), path("one.key"), path("junk.pem")},
    };
    const char *want[] = {"tls.cert", "tls.cert", "tls.key", "mismatch", "tls.key", "tls.ca", "tls.ca"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(tls_server_load(t, &bad[i], err, sizeof(err)), -1);
        if (!strstr(err, want[i])) fail_msg("case %zu: '%s' lacks '%s'", i, err, want[i]);
        assert_false(tls_server_enabled(t));
    }
    struct tls_paths one = {path("one.pem"), path("one.key"), ""};
    assert_int_equal(tls_server_load(t, &one, err, sizeof(err)), 0);
    assert_true(tls_server_enabled(t));
    assert_false(tls_server_verifies_clients(t));
    assert_non_null(strstr(tls_server_describe(t), "serial 1111"));
    assert_non_null(strstr(tls_server_describe(t), "CN=one"));
    assert_non_null(strstr(tls_server_describe(t), ", valid until "));
    assert_null(strstr(tls_server_describe(t), "NOT VALID"));
    assert_false(tls_server_not_valid_now(t));
    /* a key others may read is served, and flagged */
    assert_int_equal(chmod(path("one.key"), 0644), 0);
    assert_int_equal(tls_server_load(t, &one, err, sizeof(err)), 0);
    assert_int_equal(tls_server_key_exposed(t), 0644);
    assert_int_equal(chmod(path("one.key"), 0600), 0);
    assert_int_equal(tls_server_load(t, &one, err, sizeof(err)), 0);
    assert_int_equal(tls_server_key_exposed(t), 0);
    /* an expired certificate is served, but the description says so */
    struct tls_paths old = {path("old.pem"), path("old.key"), ""};
    assert_int_equal(tls_server_load(t, &old, err, sizeof(err)), 0);
    assert_non_null(strstr(tls_server_describe(t), "serial 3333"));
    assert_non_null(strstr(tls_server_describe(t), "NOT VALID NOW"));
    assert_true(tls_server_not_valid_now(t));
    assert_int_equal(tls_server_load(t, &one, err, sizeof(err)), 0);
    /* a broken reload keeps the running context */
    assert_int_equal(tls_server_load(t, &bad[3], err, sizeof(err)), -1);
    assert_true(tls_server_enabled(t));
    assert_non_null(strstr(tls_server_describe(t), "serial 1111"));
    tls_server_free(t);
}

/* A session's reference outlives a reload and the holder itself. */
static void test_reload_keeps_sessions_context(void **state)
{
    (void)state;
    struct tls_server *t = tls_server_new();
    char err[512];
    struct tls_paths one = {path("one.pem"), path("one.key"), ""}, two = {path("two.pem"), path("two.key"), path("one.pem")};
    assert_int_equal(tls_server_load(t, &one, err, sizeof(err)), 0);
    SSL_CTX *old = tls_server_ctx_ref(t);   /* a greeting that offered TLS */
    assert_non_null(old);
    assert_int_equal(tls_server_load(t, &two, err, sizeof(err)), 0);
    assert_non_null(strstr(tls_server_describe(t), "serial 2222"));
    assert_true(tls_server_verifies_clients(t));
    SSL_CTX *cur = tls_server_ctx_ref(t);
    assert_ptr_not_equal(old, cur);
    tls_server_free(t);                      /* the holder goes; both references stay usable */
    SSL *s = tls_ssl_new(old);
    assert_non_null(s);
    X509 *x = SSL_get_certificate(s);
    assert_non_null(x);
    assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(x)), 0x1111);
    assert_int_equal(SSL_get_min_proto_version(s), TLS1_2_VERSION);
    SSL_free(s);
    SSL_CTX_free(old);
    s = tls_ssl_new(cur);
    assert_non_null(s);
    assert_int_equal(ASN1_INTEGER_get(X509_get0_serialNumber(SSL_get_certificate(s))), 0x2222);
    assert_true(SSL_get_verify_mode(s) & SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    SSL_free(s);
    SSL_CTX_free(cur);
    assert_null(tls_ssl_new(NULL));
}

static void test_login_policy(void **state)
{
    (void)state;
    static struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "user.a.password=x", "t", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "user.b.password=y", "t", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "user.b.require_tls=on", "t", err, sizeof(err)), 0);
    assert_int_equal(tls_login_check(&c, 0, "a"), TLS_LOGIN_OK);
    assert_int_equal(tls_login_check(&c, 0, "b"), TLS_LOGIN_ACCOUNT);
    assert_int_equal(tls_login_check(&c, 1, "b"), TLS_LOGIN_OK);
    assert_int_equal(tls_login_check(&c, 0, "nobody"), TLS_LOGIN_OK);   /* the password check refuses it */
    assert_int_equal(tls_login_check(&c, 0, ""), TLS_LOGIN_OK);
    c.tls_require = 1;
    assert_int_equal(tls_login_check(&c, 0, "a"), TLS_LOGIN_REQUIRED);
    assert_int_equal(tls_login_check(&c, 0, "nobody"), TLS_LOGIN_REQUIRED);   /* before any account lookup */
    assert_int_equal(tls_login_check(&c, 0, "b"), TLS_LOGIN_REQUIRED);
    assert_int_equal(tls_login_check(&c, 1, "a"), TLS_LOGIN_OK);
    struct myerr e;
    tls_login_error(TLS_LOGIN_REQUIRED, "a", "10.0.0.1", 1, &e);
    assert_int_equal(e.code, 3159);
    assert_string_equal(e.sqlstate, "HY000");
    assert_string_equal(e.msg, "Connections using insecure transport are prohibited while --require_secure_transport=ON.");
    tls_login_error(TLS_LOGIN_ACCOUNT, "b", "10.0.0.1", 1, &e);
    assert_int_equal(e.code, 1045);
    assert_string_equal(e.sqlstate, "28000");
    assert_string_equal(e.msg, "Access denied for user 'b'@'10.0.0.1' (using password: YES)");
    tls_login_error(TLS_LOGIN_ACCOUNT, "b", "10.0.0.1", 0, &e);
    assert_non_null(strstr(e.msg, "(using password: NO)"));
    assert_string_equal(tls_login_name(TLS_LOGIN_REQUIRED), "tls.require");
    assert_string_equal(tls_login_name((enum tls_login)42), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_and_refuse),
        cmocka_unit_test(test_reload_keeps_sessions_context),
        cmocka_unit_test(test_login_policy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
