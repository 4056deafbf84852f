/*
 * benchtls.h - a minimal MySQL-protocol client over OpenSSL for the benchmarks: the TLS
 * fan-out readers must decrypt on the client's own epoll loop, which libmariadb (it owns its
 * SSL object) does not allow. Blocking setup, then the caller reads with bl_tls_read.
 *
 * Setup = what a replica does: greeting (seq 0), SSLRequest (seq 1), TLS handshake with the
 * server certificate verified against a CA (name 127.0.0.1 / host), HandshakeResponse41 with
 * mysql_native_password (seq 2), OK (seq 3), then the two SETs bl_connect sends.
 * Header-only like benchlib.h; needs libssl/libcrypto and protocol/auth.h (libcore).
 */
#ifndef BINLOGD_TESTS_BENCH_BENCHTLS_H
#define BINLOGD_TESTS_BENCH_BENCHTLS_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "protocol/auth.h"
#include "tests/bench/benchlib.h"

/* A client context that verifies the server against ca_file. NULL on failure (err filled). */
static inline SSL_CTX *bl_tls_ctx(const char *ca_file, char *err, size_t errlen)
{
    SSL_CTX *c = SSL_CTX_new(TLS_client_method());
    if (!c || SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
        SSL_CTX_load_verify_locations(c, ca_file, NULL) != 1) {
        snprintf(err, errlen, "TLS context / CA %s: %s", ca_file, ERR_reason_error_string(ERR_get_error()));
        SSL_CTX_free(c);
        return NULL;
    }
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
    return c;
}

static inline int bl_tls_read_full(SSL *s, uint8_t *buf, size_t n)
{
    for (size_t got = 0, r; got < n; got += r)
        if (SSL_read_ex(s, buf + got, n - got, &r) != 1) return -1;
    return 0;
}

/* Read one packet (blocking) into buf; its payload length, or -1. */
static inline long bl_tls_read_packet(SSL *s, uint8_t *buf, size_t cap, uint8_t *seq)
{
    uint8_t h[4];
    if (bl_tls_read_full(s, h, 4) == -1) return -1;
    size_t len = wire_u24(h);
    if (len > cap || bl_tls_read_full(s, buf, len) == -1) return -1;
    *seq = (uint8_t)(h[3] + 1);
    return (long)len;
}

static inline int bl_tls_write_all(SSL *s, const void *buf, size_t n)
{
    size_t w = 0;
    return SSL_write_ex(s, buf, n, &w) == 1 && w == n ? 0 : -1;
}

/* The 32-byte HandshakeResponse41 prefix (CLIENT_MYSQL set: no MariaDB extended caps). */
static inline void bl_tls_prefix(uint8_t p[32])
{
    memset(p, 0, 32);
    wire_put_u32(p, 0x00000001u | 0x00000200u | 0x00000800u | 0x00008000u | 0x00080000u);
    wire_put_u32(p + 4, 1u << 24);
    p[8] = 33;
}

/* COM_QUERY q, expecting OK. 0 or -1 (err filled). */
static inline int bl_tls_query(SSL *s, const char *q, char *err, size_t errlen)
{
    uint8_t pkt[512], buf[1024], seq;
    size_t ql = strlen(q);
    if (ql + 5 > sizeof(pkt)) return -1;
    wire_put_u24(pkt, (uint32_t)(ql + 1));
    pkt[3] = 0;
    pkt[4] = 0x03;
    memcpy(pkt + 5, q, ql);
    long n;
    if (bl_tls_write_all(s, pkt, ql + 5) == -1 || (n = bl_tls_read_packet(s, buf, sizeof(buf), &seq)) < 1 ||
        buf[0] != 0x00) {
        snprintf(err, errlen, "%s: no OK", q);
        return -1;
    }
    return 0;
}

/* Connect, upgrade to TLS, log in. The socket is blocking on return (the caller may make it
 * non-blocking). NULL on failure with err. */
static inline SSL *bl_tls_connect(int fd, SSL_CTX *ctx, const char *host, const char *user, const char *pass,
                                  char *err, size_t errlen)
{
    uint8_t buf[1024], seq = 0, pkt[512], pre[32];
    size_t got = 0;
    uint8_t h[4];
    /* greeting, plaintext */
    while (got < 4) { ssize_t r = read(fd, h + got, 4 - got); if (r <= 0) goto io; got += (size_t)r; }
    size_t len = wire_u24(h);
    if (len > sizeof(buf)) goto io;
    for (got = 0; got < len;) { ssize_t r = read(fd, buf + got, len - got); if (r <= 0) goto io; got += (size_t)r; }
    const uint8_t *p = memchr(buf + 1, 0, len - 1);
    if (buf[0] != 10 || !p || (size_t)(p - buf) + 1 + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 + 12 > len) goto io;
    p++;
    uint8_t scramble[AUTH_SCRAMBLE_LEN];
    memcpy(scramble, p + 4, 8);
    uint32_t caps = wire_u16(p + 13) | (uint32_t)wire_u16(p + 18) << 16;
    if (!(caps & 0x800)) { snprintf(err, errlen, "server does not offer TLS"); return NULL; }
    memcpy(scramble + 8, p + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10, 12);
    /* SSLRequest, seq 1 */
    bl_tls_prefix(pre);
    wire_put_u24(pkt, 32);
    pkt[3] = 1;
    memcpy(pkt + 4, pre, 32);
    if (bl_write_all(fd, pkt, 36) == -1) goto io;
    SSL *s = SSL_new(ctx);
    if (!s) goto tls;
    SSL_set_fd(s, fd);
    SSL_set1_host(s, host);
    if (SSL_connect(s) != 1) { SSL_free(s); goto tls; }
    /* HandshakeResponse41, seq 2 */
    size_t ul = strlen(user), n = 4;
    if (ul > 128) { SSL_free(s); goto io; }
    memcpy(pkt + n, pre, 32); n += 32;
    memcpy(pkt + n, user, ul + 1); n += ul + 1;
    pkt[n++] = AUTH_SCRAMBLE_LEN;
    auth_native_scramble(scramble, pass, strlen(pass), pkt + n); n += AUTH_SCRAMBLE_LEN;
    memcpy(pkt + n, "mysql_native_password", 22); n += 22;
    wire_put_u24(pkt, (uint32_t)(n - 4));
    pkt[3] = 2;
    long r;
    if (bl_tls_write_all(s, pkt, n) == -1 || (r = bl_tls_read_packet(s, buf, sizeof(buf), &seq)) < 1) {
        SSL_free(s);
        goto io;
    }
    if (buf[0] != 0x00) {
        snprintf(err, errlen, "login refused: %u %.*s", buf[0] == 0xFF && r >= 3 ? wire_u16(buf + 1) : 0,
                 (int)(r > 9 ? r - 9 : 0), (const char *)buf + 9);
        SSL_free(s);
        return NULL;
    }
    if (bl_tls_query(s, "SET @master_binlog_checksum= @@global.binlog_checksum", err, errlen) == -1 ||
        bl_tls_query(s, "SET @mariadb_slave_capability=4", err, errlen) == -1) {
        SSL_free(s);
        return NULL;
    }
    return s;
io:
    snprintf(err, errlen, "handshake: I/O error or malformed packet");
    return NULL;
tls:
    snprintf(err, errlen, "TLS handshake: %s", ERR_reason_error_string(ERR_get_error()));
    return NULL;
}

/* COM_BINLOG_DUMP (seq 0) over TLS, as bl_send_dump. */
static inline int bl_tls_send_dump(SSL *s, const char *file, uint32_t pos, uint16_t flags, uint32_t server_id)
{
    size_t fl = strlen(file);
    uint8_t pkt[4 + 11 + 512];
    if (fl > 511) return -1;
    wire_put_u24(pkt, (uint32_t)(11 + fl));
    pkt[3] = 0;
    pkt[4] = 0x12;
    wire_put_u32(pkt + 5, pos);
    wire_put_u16(pkt + 9, flags);
    wire_put_u32(pkt + 11, server_id);
    memcpy(pkt + 15, file, fl);
    return bl_tls_write_all(s, pkt, 15 + fl);
}

#endif
