/*
 * upstream_conf.c - see upstream_conf.h.
 */
#include "server/upstream/upstream_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage/fsio.h"

static int set_str(char *dst, size_t cap, const char *v, size_t vl)
{
    if (vl >= cap) return -1;
    memcpy(dst, v, vl);
    dst[vl] = 0;
    return 0;
}

static int set_num(const char *v, size_t vl, unsigned long max, unsigned long *out)
{
    if (vl == 0 || vl > 10) return -1;
    unsigned long n = 0;
    for (size_t i = 0; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        n = n * 10 + (unsigned long)(v[i] - '0');
    }
    if (n > max) return -1;
    *out = n;
    return 0;
}

int upstream_conf_parse(struct upstream_conf *c, const char *text, size_t len, char *err, size_t errlen)
{
    size_t pos = 0, lineno = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + 1;
        lineno++;
        if (ll == 0 || line[0] == '#') continue;
        const char *eq = memchr(line, '=', ll);
        if (!eq) {
            snprintf(err, errlen, "line %zu: expected key=value", lineno);
            return -1;
        }
        size_t kl = (size_t)(eq - line), vl = ll - kl - 1;
        const char *v = eq + 1;
        unsigned long n = 0;
        int rc = 0;
#define KEY(k) (kl == strlen(k) && !memcmp(line, k, kl))
        if (KEY("host")) rc = set_str(c->host, sizeof(c->host), v, vl);
        else if (KEY("user")) rc = set_str(c->user, sizeof(c->user), v, vl);
        else if (KEY("password")) rc = set_str(c->password, sizeof(c->password), v, vl);
        else if (KEY("log_file")) rc = set_str(c->log_file, sizeof(c->log_file), v, vl);
        else if (KEY("port")) { rc = set_num(v, vl, 65535, &n); c->port = (uint16_t)n; }
        else if (KEY("use_gtid")) { rc = set_num(v, vl, 1, &n); c->use_gtid = (int)n; }
        else if (KEY("switch_pending")) { rc = set_num(v, vl, 1, &n); c->switch_pending = (int)n; }
        else if (KEY("ssl")) { rc = set_num(v, vl, 1, &n); c->ssl = (int)n; }
        else if (KEY("ssl_verify_server_cert")) { rc = set_num(v, vl, 1, &n); c->ssl_verify_server_cert = (int)n; }
        else if (KEY("ssl_ca")) rc = set_str(c->ssl_ca, sizeof(c->ssl_ca), v, vl);
        else if (KEY("ssl_capath")) rc = set_str(c->ssl_capath, sizeof(c->ssl_capath), v, vl);
        else if (KEY("ssl_cert")) rc = set_str(c->ssl_cert, sizeof(c->ssl_cert), v, vl);
        else if (KEY("ssl_key")) rc = set_str(c->ssl_key, sizeof(c->ssl_key), v, vl);
        else if (KEY("ssl_cipher")) rc = set_str(c->ssl_cipher, sizeof(c->ssl_cipher), v, vl);
        else if (KEY("ssl_crl")) rc = set_str(c->ssl_crl, sizeof(c->ssl_crl), v, vl);
        else if (KEY("ssl_crlpath")) rc = set_str(c->ssl_crlpath, sizeof(c->ssl_crlpath), v, vl);
        else {
            snprintf(err, errlen, "line %zu: unknown key '%.*s'", lineno, (int)(kl > 64 ? 64 : kl), line);
            return -1;
        }
#undef KEY
        if (rc == -1) {
            snprintf(err, errlen, "line %zu: bad value for '%.*s'", lineno, (int)(kl > 64 ? 64 : kl), line);
            return -1;
        }
    }
    return 0;
}

size_t upstream_conf_format(const struct upstream_conf *c, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "# written by binlogd on CHANGE MASTER; overrides upstream.* of the configuration file\n"
                     "host=%s\nport=%u\nuser=%s\npassword=%s\nlog_file=%s\nuse_gtid=%d\nswitch_pending=%d\n"
                     "ssl=%d\nssl_verify_server_cert=%d\nssl_ca=%s\nssl_capath=%s\nssl_cert=%s\nssl_key=%s\n"
                     "ssl_cipher=%s\nssl_crl=%s\nssl_crlpath=%s\n",
                     c->host, c->port, c->user, c->password, c->log_file, c->use_gtid ? 1 : 0,
                     c->switch_pending ? 1 : 0, c->ssl ? 1 : 0, c->ssl_verify_server_cert ? 1 : 0, c->ssl_ca,
                     c->ssl_capath, c->ssl_cert, c->ssl_key, c->ssl_cipher, c->ssl_crl, c->ssl_crlpath);
    return n < 0 ? 0 : (size_t)n;
}

int upstream_conf_load(int dirfd, struct upstream_conf *c, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    if (fsio_read_small(dirfd, UPSTREAM_CONF_FILE, 65536, &buf, &len) == -1) {
        if (errno == ENOENT) return 1;
        snprintf(err, errlen, "%s: cannot read: %s", UPSTREAM_CONF_FILE, strerror(errno));
        return -1;
    }
    char perr[256];
    int rc = upstream_conf_parse(c, buf, len, perr, sizeof(perr));
    free(buf);
    if (rc == -1) snprintf(err, errlen, "%s: %s", UPSTREAM_CONF_FILE, perr);
    return rc;
}

int upstream_conf_save(int dirfd, const struct upstream_conf *c, char *err, size_t errlen)
{
    char buf[8192];
    size_t n = upstream_conf_format(c, buf, sizeof(buf));
    if (n >= sizeof(buf)) {
        snprintf(err, errlen, "%s: settings too long", UPSTREAM_CONF_FILE);
        return -1;
    }
    enum fsio_op op = FSIO_OP_OPEN;
    /* It holds the replication password: 0600 from the first byte. */
    if (fsio_replace_private(dirfd, UPSTREAM_CONF_FILE, buf, n, &op) == -1) {
        snprintf(err, errlen, "%s: cannot write (%s): %s", UPSTREAM_CONF_FILE, fsio_op_name(op), strerror(errno));
        return -1;
    }
    /* A file written by an older binlogd (before fsio_replace_private) is replaced above; this
     * only repeats what the temp file already had. */
    if (fchmodat(dirfd, UPSTREAM_CONF_FILE, 0600, 0) == -1) {
        snprintf(err, errlen, "%s: cannot restrict to mode 0600: %s", UPSTREAM_CONF_FILE, strerror(errno));
        return -1;
    }
    return 0;
}
