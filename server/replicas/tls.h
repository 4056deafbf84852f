/*
 * tls.h - the listener's TLS material: the certificate, key and optional client CA that
 * replicas and admins see when they send an SSLRequest (PROTOCOL.md 5.2), built into an
 * OpenSSL SSL_CTX.
 *
 * One SSL_CTX is current at a time. A session takes a reference when it greets a client
 * (tls_server_ctx_ref), so a reload (SIGHUP) that installs a new context never pulls one
 * from under a handshake or a running TLS session: OpenSSL's own reference count on SSL_CTX
 * (SSL_new takes one too) keeps the old context alive until its last user is gone.
 *
 * Policy, fixed: TLS 1.2 and newer only, no compression, no renegotiation, server cipher
 * preference, TLS 1.2 ciphers limited to ECDHE with AES-GCM or ChaCha20-Poly1305 (forward
 * secrecy, AEAD); TLS 1.3 keeps OpenSSL's default suites (all AEAD). With tls.ca set, a
 * client must present a certificate that chains to it (SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
 *
 * Thread: the loop thread (load, reload, ref). SSL objects made from a context are used by
 * whichever thread runs their session's I/O, one at a time.
 */
#ifndef BINLOGD_SERVER_REPLICAS_TLS_H
#define BINLOGD_SERVER_REPLICAS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "conf/config.h"
#include "protocol/errmsg.h"

struct tls_server;

/* TLS settings as the options give them: empty cert means TLS is off. */
struct tls_paths {
    const char *cert;   /* PEM certificate chain (leaf first) */
    const char *key;    /* PEM private key */
    const char *ca;     /* PEM CA bundle: verify client certificates ("" = do not ask) */
};

/* An empty holder (TLS off). NULL on ENOMEM. */
struct tls_server *tls_server_new(void);
/* Drop the holder's reference to its context (sessions keep theirs). NULL is fine. */
void tls_server_free(struct tls_server *t);

/* Build a context from p and make it current (0), or keep the current one and fill err
 * with the reason (-1: unreadable file, key that does not match the certificate, bad CA,
 * ...). An empty p->cert turns TLS off (0). Also used for the first load at start-up. */
int tls_server_load(struct tls_server *t, const struct tls_paths *p, char *err, size_t errlen);

/* The current context with a reference the caller owns (SSL_CTX_free it), or NULL when TLS
 * is off. A greeting that advertises CLIENT_SSL takes one. */
SSL_CTX *tls_server_ctx_ref(struct tls_server *t);

/* Is a certificate loaded? */
int tls_server_enabled(const struct tls_server *t);
/* Does the current context ask for client certificates (tls.ca)? */
int tls_server_verifies_clients(const struct tls_server *t);
/* Subject, serial and validity of the loaded certificate, for the log ("" when off). */
const char *tls_server_describe(const struct tls_server *t);
/* Is the loaded certificate expired or not yet valid (served anyway; log it louder)? */
int tls_server_not_valid_now(const struct tls_server *t);
/* The key file's permission bits when group or others may access it (a WARN: chmod 600),
 * else 0. */
unsigned tls_server_key_exposed(const struct tls_server *t);

/* A server-side SSL object for one connection from ctx (the caller's reference stays the
 * caller's). NULL on failure. */
SSL *tls_ssl_new(SSL_CTX *ctx);

struct bufferevent;
struct event_base;
/* The SSLRequest was read: hand plain's socket to a new OpenSSL bufferevent that accepts a
 * TLS handshake on it (SSL made from ctx; the caller's reference to ctx stays the caller's).
 * On success plain is freed (its socket is not closed: the new bufferevent owns it and
 * closes it when freed) and the new one is returned, with no callbacks set yet. NULL on
 * failure, plain untouched. Nothing may remain unread in plain's input: the read watermark
 * the session sets while TLS is offered makes sure the client's ClientHello stays in the
 * kernel's buffer. */
struct bufferevent *tls_accept_bev(struct event_base *base, struct bufferevent *plain, SSL_CTX *ctx);

/* The cipher and protocol a TLS bufferevent negotiated ("" before the handshake ends). */
const char *tls_bev_cipher(struct bufferevent *bev);
const char *tls_bev_version(struct bufferevent *bev);
/* Why a TLS bufferevent failed (the first OpenSSL error it recorded), or fallback. */
const char *tls_bev_error(struct bufferevent *bev, char *buf, size_t len, const char *fallback);

/* Who may log in without TLS (loop thread, at the first packet of a login, before any
 * password is looked at): tls.require refuses every plaintext login, user.NAME.require_tls
 * that account's. */
enum tls_login {
    TLS_LOGIN_OK = 0,
    TLS_LOGIN_REQUIRED,        /* tls.require = on: ERR 3159, as MariaDB 11.x before authentication */
    TLS_LOGIN_ACCOUNT          /* the account requires TLS: ERR 1045, as mariadbd's REQUIRE SSL */
};
enum tls_login tls_login_check(const struct config *cfg, int over_tls, const char *user);
/* The ERR a refused login gets (host: the client's address; using_password: it sent auth data). */
void tls_login_error(enum tls_login why, const char *user, const char *host, int using_password, struct myerr *e);
const char *tls_login_name(enum tls_login why);

/* The most recent OpenSSL error of this thread as text (for the log), or fallback. */
const char *tls_last_error(char *buf, size_t len, const char *fallback);

#endif
