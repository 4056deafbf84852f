/*
 * handshake.h - the server side of connection setup (PROTOCOL.md 5.2): HandshakeV10
 * greeting, HandshakeResponse41 parsing, AuthSwitchRequest and AuthMoreData builders.
 * The password checks themselves are in auth.h.
 *
 * Pure code: the caller supplies the random bytes for the scramble and the connection id.
 * The response parser treats every byte as hostile: all strings it returns are bounded
 * copies or pointers inside the packet it was given.
 */
#ifndef BINLOGD_PROTOCOL_HANDSHAKE_H
#define BINLOGD_PROTOCOL_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"

/* Capability flags (CLIENT_* in mysql_com.h; renamed to stay clear of that header). */
#define CAP_LONG_PASSWORD            0x00000001u  /* MariaDB: CLIENT_MYSQL */
#define CAP_LONG_FLAG                0x00000004u
#define CAP_CONNECT_WITH_DB          0x00000008u
#define CAP_COMPRESS                 0x00000020u
#define CAP_PROTOCOL_41              0x00000200u
#define CAP_SSL                      0x00000800u
#define CAP_TRANSACTIONS             0x00002000u
#define CAP_SECURE_CONNECTION        0x00008000u
#define CAP_MULTI_STATEMENTS         0x00010000u
#define CAP_MULTI_RESULTS            0x00020000u
#define CAP_PLUGIN_AUTH              0x00080000u
#define CAP_CONNECT_ATTRS            0x00100000u
#define CAP_PLUGIN_AUTH_LENENC_DATA  0x00200000u
#define CAP_SESSION_TRACK            0x00800000u
#define CAP_DEPRECATE_EOF            0x01000000u
#define CAP_QUERY_ATTRIBUTES         0x08000000u

/* What binlogd advertises: classic text protocol (no DEPRECATE_EOF, SESSION_TRACK or
 * QUERY_ATTRIBUTES, which change reply/command layouts), bit 0 set so MariaDB clients
 * do not look for extended capabilities. */
#define CAP_SERVER_DEFAULT (CAP_LONG_PASSWORD | CAP_LONG_FLAG | CAP_CONNECT_WITH_DB | \
                            CAP_PROTOCOL_41 | CAP_TRANSACTIONS | CAP_SECURE_CONNECTION | \
                            CAP_MULTI_RESULTS | CAP_PLUGIN_AUTH | CAP_PLUGIN_AUTH_LENENC_DATA | \
                            CAP_CONNECT_ATTRS)

#define HS_SCRAMBLE_LEN   20
#define HS_USER_MAX       256   /* bytes; longer user names are refused */
#define HS_DB_MAX         256
#define HS_PLUGIN_MAX     64

#define HS_PLUGIN_NATIVE  "mysql_native_password"
#define HS_PLUGIN_SHA2    "caching_sha2_password"

struct hs_greeting {
    const char *server_version;   /* e.g. "10.11.6-MariaDB-log": must start with a digit >= 5 */
    uint32_t conn_id;
    const uint8_t *scramble;      /* HS_SCRAMBLE_LEN bytes from hs_scramble_from_random() */
    uint32_t caps;                /* CAP_SERVER_DEFAULT (| CAP_COMPRESS / CAP_SSL when implemented) */
    uint8_t charset;              /* 45 = utf8mb4_general_ci */
    uint16_t status;              /* REPLY_STATUS_AUTOCOMMIT */
    const char *auth_plugin;      /* HS_PLUGIN_NATIVE */
};

/* Map arbitrary random bytes onto a scramble clients accept: printable ASCII 33..126
 * without '$' (MySQL's generate_user_salt avoids NUL and '$'; printable bytes also
 * survive clients that treat the second part as a C string). */
void hs_scramble_from_random(uint8_t out[HS_SCRAMBLE_LEN], const uint8_t rnd[HS_SCRAMBLE_LEN]);

/* Append the HandshakeV10 greeting as one packet with sequence id 0. 0 or -1 (bbuf
 * failure, or a version string or plugin name over 255 bytes). */
int hs_build_greeting(struct bbuf *b, const struct hs_greeting *g);

enum hs_result {
    HS_RESPONSE_OK = 0,
    HS_RESPONSE_SSL_REQUEST,   /* the 32-byte SSLRequest: client wants TLS first */
    HS_RESPONSE_ERROR
};

struct hs_response {
    uint32_t caps;             /* as sent by the client */
    uint32_t max_packet;
    uint8_t charset;
    uint32_t ext_caps;         /* MariaDB extended capabilities (only if bit 0 is clear) */
    char user[HS_USER_MAX + 1];
    size_t user_len;
    const uint8_t *auth;       /* points into the packet; auth_len may be 0 */
    size_t auth_len;
    int has_db;
    char db[HS_DB_MAX + 1];
    int has_plugin;
    char plugin[HS_PLUGIN_MAX + 1];
    const uint8_t *attrs;      /* key/value block (validated), NULL if none */
    size_t attrs_len;
};

/* "ok" / "ssl-request" / "error", for logs. */
const char *hs_result_name(enum hs_result r);

/* Parse a HandshakeResponse41 payload (the packet with sequence id 1). Layout follows the
 * client's own capability bits: auth data is lenenc (PLUGIN_AUTH_LENENC_DATA), u8-length
 * (SECURE_CONNECTION) or NUL-terminated; db and plugin name are NUL-terminated or run to
 * the end of the packet (MariaDB tolerates a missing final NUL); connect attributes are
 * checked pair by pair. Pre-4.1 clients are refused. *why gets a static reason on
 * HS_RESPONSE_ERROR. */
enum hs_result hs_parse_response(const uint8_t *p, size_t len, struct hs_response *out,
                                 const char **why);

struct hs_attr_iter {
    const uint8_t *p, *end;
};

/* Iterate the connect attributes of a parsed response (already validated). */
void hs_attrs_begin(struct hs_attr_iter *it, const struct hs_response *r);

/* Next key/value (not NUL-terminated): 1, or 0 at the end. */
int hs_attrs_next(struct hs_attr_iter *it, const char **k, size_t *klen, const char **v, size_t *vlen);

/* AuthSwitchRequest: FE | plugin NUL | data. For mysql_native_password the data is the
 * 20-byte scramble followed by a NUL (hs_build_auth_switch_native). 0 or -1. */
int hs_build_auth_switch(struct bbuf *b, uint8_t *seq, const char *plugin,
                         const uint8_t *data, size_t len);
int hs_build_auth_switch_native(struct bbuf *b, uint8_t *seq, const uint8_t scramble[HS_SCRAMBLE_LEN]);

/* AuthMoreData: 01 | data. caching_sha2_password fast_auth_success is 01 03, sent just
 * before the OK. 0 or -1. */
int hs_build_auth_more_data(struct bbuf *b, uint8_t *seq, const uint8_t *data, size_t len);
int hs_build_fast_auth_success(struct bbuf *b, uint8_t *seq);

#endif
