/*
 * tls.c - see tls.h.
 */
#include "server/replicas/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

/* TLS 1.2 suites: ECDHE only (forward secrecy), AEAD only. TLS 1.3 suites are all AEAD
 * and keep OpenSSL's defaults. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"

struct tls_server {
    SSL_CTX *ctx;                /* NULL: TLS off */
    int verify_clients;
    int not_valid_now;           /* the certificate is expired or not yet valid */
    unsigned key_mode;           /* permission bits of tls.key when group or others may read it, else 0 */
    char desc[512];
};

const char *tls_last_error(char *buf, size_t len, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    if (!e) {
        snprintf(buf, len, "%s", fallback);
    } else {
        char tmp[256];
        ERR_error_string_n(e, tmp, sizeof(tmp));
        snprintf(buf, len, "%s", tmp);
    }
    ERR_clear_error();
    return buf;
}

/* An encrypted key would make OpenSSL prompt on the terminal: refuse it instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return 0;
}

static int describe(SSL_CTX *c, char *out, size_t len)
{
    X509 *x = SSL_CTX_get0_certificate(c);
    char subject[256] = "?", *serial = NULL;
    if (!x) { snprintf(out, len, "(no certificate)"); return 0; }
    X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    if (bn) serial = BN_bn2hex(bn);
    /* Validity as OpenSSL prints it ("Dec  4 10:00:00 2027 GMT"), and whether it is over:
     * an expired certificate is served (the operator may be renewing it) but said so. */
    char until[64] = "?";
    BIO *m = BIO_new(BIO_s_mem());
    if (m && ASN1_TIME_print(m, X509_get0_notAfter(x)) == 1) {
        int n = BIO_read(m, until, sizeof(until) - 1);
        until[n > 0 ? n : 0] = 0;
    }
    BIO_free(m);
    int expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0 || X509_cmp_current_time(X509_get0_notBefore(x)) > 0;
    snprintf(out, len, "subject %s, serial %s, valid until %s%s", subject, serial ? serial : "?", until,
             expired ? " (NOT VALID NOW: clients that verify it will refuse)" : "");
    OPENSSL_free(serial);
    BN_free(bn);
    return expired;
}

/* fail: the reason with OpenSSL's own words appended. */
static SSL_CTX *fail(SSL_CTX *c, char *err, size_t errlen, const char *what, const char *path)
{
    char why[256];
    tls_last_error(why, sizeof(why), "unknown error");
    snprintf(err, errlen, "%s%s%s: %s", what, path ? " " : "", path ? path : "", why);
    SSL_CTX_free(c);
    return NULL;
}

static SSL_CTX *build(const struct tls_paths *p, char *err, size_t errlen)
{
    ERR_clear_error();
    SSL_CTX *c = SSL_CTX_new(TLS_server_method());
    if (!c) return fail(NULL, err, errlen, "cannot create a TLS context", NULL);
    SSL_CTX_set_default_passwd_cb(c, no_passphrase);
    if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1)
        return fail(c, err, errlen, "cannot require TLS 1.2", NULL);
    SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_NO_TICKET);
    /* Replicas connect once and stay: resumption buys nothing, and no cache or ticket key
     * has to outlive a reload. Idle TLS replicas give their record buffers back. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(c, TLS12_CIPHERS) != 1) return fail(c, err, errlen, "bad cipher list", NULL);
    if (SSL_CTX_use_certificate_chain_file(c, p->cert) != 1) return fail(c, err, errlen, "tls.cert", p->cert);
    if (SSL_CTX_use_PrivateKey_file(c, p->key, SSL_FILETYPE_PEM) != 1) return fail(c, err, errlen, "tls.key", p->key);
    if (SSL_CTX_check_private_key(c) != 1)
        return fail(c, err, errlen, "tls.key does not match tls.cert", NULL);
    static const unsigned char sid[] = "binlogd";
    SSL_CTX_set_session_id_context(c, sid, sizeof(sid) - 1);
    if (p->ca && p->ca[0]) {
        if (SSL_CTX_load_verify_locations(c, p->ca, NULL) != 1) return fail(c, err, errlen, "tls.ca", p->ca);
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(p->ca);
        if (!names) return fail(c, err, errlen, "tls.ca: no CA certificate in", p->ca);
        SSL_CTX_set_client_CA_list(c, names);   /* the context owns names now */
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return c;
}

struct tls_server *tls_server_new(void)
{
    return calloc(1, sizeof(struct tls_server));
}

void tls_server_free(struct tls_server *t)
{
    if (!t) return;
    SSL_CTX_free(t->ctx);
    free(t);
}

int tls_server_load(struct tls_server *t, const struct tls_paths *p, char *err, size_t errlen)
{
    if (!p->cert || !p->cert[0]) {
        SSL_CTX_free(t->ctx);
        t->ctx = NULL;
        t->verify_clients = 0;
        t->desc[0] = 0;
        return 0;
    }
    SSL_CTX *c = build(p, err, errlen);
    if (!c) return -1;
    SSL_CTX_free(t->ctx);   /* sessions holding it keep it alive */
    t->ctx = c;
    t->verify_clients = p->ca && p->ca[0];
    t->not_valid_now = describe(c, t->desc, sizeof(t->desc));
    struct stat st;
    t->key_mode = stat(p->key, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) ? (unsigned)(st.st_mode & 07777) : 0;
    return 0;
}

SSL_CTX *tls_server_ctx_ref(struct tls_server *t)
{
    if (!t || !t->ctx || SSL_CTX_up_ref(t->ctx) != 1) return NULL;
    return t->ctx;
}

int tls_server_enabled(const struct tls_server *t) { return t && t->ctx; }
int tls_server_verifies_clients(const struct tls_server *t) { return t && t->ctx && t->verify_clients; }
const char *tls_server_describe(const struct tls_server *t) { return t && t->ctx ? t->desc : ""; }
int tls_server_not_valid_now(const struct tls_server *t) { return t && t->ctx && t->not_valid_now; }
unsigned tls_server_key_exposed(const struct tls_server *t) { return t && t->ctx ? t->key_mode : 0; }

SSL *tls_ssl_new(SSL_CTX *ctx)
{
    return ctx ? SSL_new(ctx) : NULL;
}

struct bufferevent *tls_accept_bev(struct event_base *base, struct bufferevent *plain, SSL_CTX *ctx)
{
    SSL *ssl = tls_ssl_new(ctx);
    if (!ssl) return NULL;
    evutil_socket_t fd = bufferevent_getfd(plain);
    /* CLOSE_ON_FREE: freeing it closes the socket and frees ssl at the right time (libevent
     * may still touch ssl after a callback that freed the session returns). Creation fails
     * only when memory runs out; libevent then frees ssl itself. */
    struct bufferevent *b = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                           BEV_OPT_CLOSE_ON_FREE);
    if (!b) return NULL;
    /* Clients close without close_notify (mariadb, Connector/C): an end of stream, not an
     * error worth a log line. */
    bufferevent_openssl_set_allow_dirty_shutdown(b, 1);
    bufferevent_setfd(plain, -1);   /* the socket is b's now: plain must not close it */
    bufferevent_free(plain);
    return b;
}

const char *tls_bev_cipher(struct bufferevent *bev)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    const char *c = ssl ? SSL_get_cipher_name(ssl) : NULL;
    return c && strcmp(c, "(NONE)") ? c : "";
}

const char *tls_bev_version(struct bufferevent *bev)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    return ssl ? SSL_get_version(ssl) : "";
}

const char *tls_bev_error(struct bufferevent *bev, char *buf, size_t len, const char *fallback)
{
    unsigned long e = bufferevent_get_openssl_error(bev);
    if (!e) {
        snprintf(buf, len, "%s", fallback);
        return buf;
    }
    char tmp[256];
    ERR_error_string_n(e, tmp, sizeof(tmp));
    snprintf(buf, len, "%s", tmp);
    while (bufferevent_get_openssl_error(bev)) {}   /* drop the rest */
    return buf;
}

enum tls_login tls_login_check(const struct config *cfg, int over_tls, const char *user)
{
    if (over_tls) return TLS_LOGIN_OK;
    if (cfg->tls_require) return TLS_LOGIN_REQUIRED;
    const struct config_user *u = config_user_find(cfg, user);
    return u && u->require_tls ? TLS_LOGIN_ACCOUNT : TLS_LOGIN_OK;
}

void tls_login_error(enum tls_login why, const char *user, const char *host, int using_password, struct myerr *e)
{
    if (why == TLS_LOGIN_REQUIRED) myerr_plain(e, MYERR_SECURE_TRANSPORT_REQUIRED);
    else myerr_access_denied(e, user, host, using_password);
}

const char *tls_login_name(enum tls_login why)
{
    switch (why) {
    case TLS_LOGIN_OK: return "ok";
    case TLS_LOGIN_REQUIRED: return "tls.require";
    case TLS_LOGIN_ACCOUNT: return "require_tls";
    }
    return "?";
}
