/*
 * upstream_conf.h - where binlogd replicates from, as CHANGE MASTER last set it: kept in the
 * data directory (UPSTREAM_CONF_FILE, atomic replace, mode 0600 because it holds the
 * password) so a repoint survives a restart. When the file exists it overrides the
 * upstream.* settings of the configuration file, as master.info does for mariadbd.
 *
 * Text format, one "key=value" per line: host, port, user, password, log_file, use_gtid,
 * switch_pending, and the TLS settings ssl, ssl_ca, ssl_capath, ssl_cert, ssl_key, ssl_cipher,
 * ssl_crl, ssl_crlpath, ssl_verify_server_cert. Values never contain a newline (CHANGE MASTER
 * refuses them).
 *
 * Pure parse/format plus load/save through fsio; the caller owns the struct.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_UPSTREAM_CONF_H
#define BINLOGD_SERVER_UPSTREAM_UPSTREAM_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"

#define UPSTREAM_CONF_FILE ".binlogd-upstream"
#define UPSTREAM_PATH_MAX  512    /* a TLS file or directory name (mariadbd's FN_REFLEN) */

struct upstream_conf {
    char     host[256];                      /* "" = no upstream */
    uint16_t port;
    char     user[128];
    char     password[512];
    char     log_file[EV_MAX_NAME_LEN + 1];  /* CHANGE MASTER ... MASTER_LOG_FILE (pos is always 4) */
    int      use_gtid;                       /* locate the continuation on a new primary by GTID */
    /* The upstream changed and binlogd has not continued on it yet: the next connection must
     * pass the continuity rule (GTID state at the new file's start == ours, no name clash). */
    int      switch_pending;
    /* TLS to the upstream (upstream_tls.h). ssl = 1: the session must be TLS or not exist
     * (fail closed); the paths are read by the client library at each connection. */
    int      ssl;                            /* upstream.ssl / MASTER_SSL */
    int      ssl_verify_server_cert;         /* check the certificate's name against host */
    char     ssl_ca[UPSTREAM_PATH_MAX];      /* "" = the system's default CA store */
    char     ssl_capath[UPSTREAM_PATH_MAX];
    char     ssl_cert[UPSTREAM_PATH_MAX];    /* client certificate (optional) */
    char     ssl_key[UPSTREAM_PATH_MAX];
    char     ssl_cipher[UPSTREAM_PATH_MAX];  /* OpenSSL cipher list; "" = the library's */
    char     ssl_crl[UPSTREAM_PATH_MAX];
    char     ssl_crlpath[UPSTREAM_PATH_MAX];
};

/* Parse text into *c (fields not named keep their values). 0, or -1 with err "line N: ...". */
int upstream_conf_parse(struct upstream_conf *c, const char *text, size_t len, char *err, size_t errlen);
/* Format; snprintf-style return. */
size_t upstream_conf_format(const struct upstream_conf *c, char *out, size_t cap);
/* Load dirfd/UPSTREAM_CONF_FILE. 0 loaded, 1 no file, -1 with err. */
int upstream_conf_load(int dirfd, struct upstream_conf *c, char *err, size_t errlen);
/* Save by atomic replace (fsync'ed) and restrict it to the owner. 0, or -1 with err. */
int upstream_conf_save(int dirfd, const struct upstream_conf *c, char *err, size_t errlen);

#endif
