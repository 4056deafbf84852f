/*
 * upstream_tls.c - see upstream_tls.h.
 */
#include "server/upstream/upstream_tls.h"

#include <stdio.h>
#include <string.h>

static int set_str(MYSQL *m, enum mysql_option o, const char *v, const char *what, char *err, size_t errlen)
{
    if (!v[0]) return 0;
    if (mysql_options(m, o, v)) {
        snprintf(err, errlen, "the client library refused %s", what);
        return -1;
    }
    return 0;
}

int upstream_tls_apply(MYSQL *m, const struct upstream_conf *c, char *err, size_t errlen)
{
    if (!c->ssl) return 0;
    my_bool on = 1, verify = c->ssl_verify_server_cert ? 1 : 0;
    if (mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on) ||
        mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify) ||
        mysql_options(m, MARIADB_OPT_TLS_VERSION, UPSTREAM_TLS_VERSIONS)) {
        snprintf(err, errlen, "the client library refused the TLS options");
        return -1;
    }
    if (set_str(m, MYSQL_OPT_SSL_CA, c->ssl_ca, "ssl_ca", err, errlen) ||
        set_str(m, MYSQL_OPT_SSL_CAPATH, c->ssl_capath, "ssl_capath", err, errlen) ||
        set_str(m, MYSQL_OPT_SSL_CERT, c->ssl_cert, "ssl_cert", err, errlen) ||
        set_str(m, MYSQL_OPT_SSL_KEY, c->ssl_key, "ssl_key", err, errlen) ||
        set_str(m, MYSQL_OPT_SSL_CIPHER, c->ssl_cipher, "ssl_cipher", err, errlen) ||
        set_str(m, MYSQL_OPT_SSL_CRL, c->ssl_crl, "ssl_crl", err, errlen) ||
        set_str(m, MYSQL_OPT_SSL_CRLPATH, c->ssl_crlpath, "ssl_crlpath", err, errlen))
        return -1;
    return 0;
}

int upstream_tls_check(MYSQL *m, const struct upstream_conf *c, unsigned *errno_out, char *err, size_t errlen)
{
    if (!c->ssl || mysql_get_ssl_cipher(m)) return 0;
    /* Only reachable without the name check: the library fell back to plaintext. */
    *errno_out = UPSTREAM_TLS_ERRNO;
    snprintf(err, errlen, "TLS/SSL error: SSL is required, but the server does not support it");
    return -1;
}

const char *upstream_tls_describe(MYSQL *m, const struct upstream_conf *c, char *out, size_t cap)
{
    const char *cipher = mysql_get_ssl_cipher(m);
    if (!cipher) {
        snprintf(out, cap, "plaintext");
        return out;
    }
    const char *ver = NULL;
    if (mariadb_get_infov(m, MARIADB_CONNECTION_TLS_VERSION, &ver) || !ver) ver = "TLS";
    snprintf(out, cap, "TLS (%s, %s, %s)", ver, cipher,
             c->ssl_verify_server_cert ? "certificate and name verified"
             : c->ssl_ca[0] || c->ssl_capath[0] ? "certificate verified, name not checked"
                                                : "certificate NOT verified");
    return out;
}
