/*
 * upstream_tls.h - TLS on binlogd's client connections to MySQL/MariaDB servers (the ingest
 * session, failover probes and the split-brain watch), from the settings of upstream_conf.
 *
 * Fail closed: with ssl on, a connection is either TLS or refused. Connector/C alone does not
 * guarantee that: with MYSQL_OPT_SSL_ENFORCE but without MYSQL_OPT_SSL_VERIFY_SERVER_CERT it
 * silently continues in plaintext when the server's greeting lacks CLIENT_SSL. With the name
 * check on (the default) the library refuses before sending the login; in every case
 * upstream_tls_check() refuses a session that has no cipher, before anything else is sent on
 * it. Errors carry the code a MariaDB replica shows (2026 CR_SSL_CONNECTION_ERROR) and the
 * library's text.
 *
 * Thread: whichever thread owns the MYSQL handle; no shared state.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_UPSTREAM_TLS_H
#define BINLOGD_SERVER_UPSTREAM_UPSTREAM_TLS_H

#include <stddef.h>

#include <mysql.h>

#include "server/upstream/upstream_conf.h"

#define UPSTREAM_TLS_ERRNO 2026          /* CR_SSL_CONNECTION_ERROR */
#define UPSTREAM_TLS_VERSIONS "TLSv1.2,TLSv1.3"

/* Before mysql_real_connect: set the TLS options of c on m (nothing when c->ssl is 0).
 * 0, or -1 with err filled (an option the library refused). */
int upstream_tls_apply(MYSQL *m, const struct upstream_conf *c, char *err, size_t errlen);

/* After a successful mysql_real_connect: with c->ssl, 0 only if the session is encrypted
 * (mysql_get_ssl_cipher non-NULL); else -1, *errno_out = 2026 and err = the library's
 * "TLS/SSL error: SSL is required, but the server does not support it". The caller closes m. */
int upstream_tls_check(MYSQL *m, const struct upstream_conf *c, unsigned *errno_out, char *err, size_t errlen);

/* One phrase for logs: "TLS (TLSv1.3, TLS_AES_256_GCM_SHA384, certificate verified)" or
 * "plaintext". Returns out. */
const char *upstream_tls_describe(MYSQL *m, const struct upstream_conf *c, char *out, size_t cap);

#endif
