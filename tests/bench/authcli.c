/*
 * authcli.c - log in the way a MySQL 8 client or replica does, which the MariaDB client
 * cannot show: the first response already carries the scramble of the client's own plugin
 * (caching_sha2_password: 32 bytes computed on the greeting's nonce), whatever plugin the
 * greeting named. Then it follows the server: AuthSwitchRequest (answers for the plugin
 * asked), AuthMoreData 01 03 (fast_auth_success), 01 04 (full authentication: stops there,
 * this tool has no TLS), OK or ERR.
 * usage: authcli PORT USER PASSWORD PLUGIN
 * Prints the exchange, e.g. "caching_sha2_password(32) > fast_auth_success > OK", and exits
 * 0 on OK, 1 on ERR (the code printed), 3 when full authentication was asked, 2 otherwise.
 * For tests/integration/t_auth.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "protocol/auth.h"

static int read_full(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One packet into body (cap bytes): its length, or -1. *seq gets its sequence id. */
static long read_packet(int fd, uint8_t *body, size_t cap, uint8_t *seq)
{
    uint8_t h[4];
    if (read_full(fd, h, 4) == -1) return -1;
    size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    *seq = h[3];
    if (len > cap || read_full(fd, body, len) == -1) return -1;
    return (long)len;
}

static int write_packet(int fd, uint8_t seq, const uint8_t *p, size_t n)
{
    uint8_t buf[1024];
    if (n + 4 > sizeof(buf)) return -1;
    buf[0] = (uint8_t)n; buf[1] = (uint8_t)(n >> 8); buf[2] = (uint8_t)(n >> 16); buf[3] = seq;
    memcpy(buf + 4, p, n);
    return write(fd, buf, n + 4) == (ssize_t)(n + 4) ? 0 : -1;
}

/* The reply for plugin under nonce: 20 bytes (native), 32 (caching_sha2), or 0 (unknown). */
static size_t scramble_for(const char *plugin, const uint8_t nonce[AUTH_SCRAMBLE_LEN], const char *pw, uint8_t *out)
{
    if (!*pw) return 0;
    if (!strcmp(plugin, "mysql_native_password")) {
        auth_native_scramble(nonce, pw, strlen(pw), out);
        return AUTH_NATIVE_HASH_LEN;
    }
    if (!strcmp(plugin, "caching_sha2_password")) {
        auth_sha2_scramble(nonce, pw, strlen(pw), out);
        return AUTH_SHA2_HASH_LEN;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: authcli PORT USER PASSWORD PLUGIN\n");
        return 2;
    }
    const char *user = argv[2], *pw = argv[3], *plugin = argv[4];
    if (strlen(user) > 64 || strlen(plugin) > 64) return 2;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) { perror("connect"); return 2; }

    uint8_t body[65536], seq, nonce[AUTH_SCRAMBLE_LEN];
    long n = read_packet(fd, body, sizeof(body), &seq);
    if (n < 1 || body[0] != 0x0A) { fprintf(stderr, "no greeting\n"); return 2; }
    /* HandshakeV10: version NUL, id(4), nonce part 1 (8), filler, caps(2), charset, status(2),
     * caps(2), auth length, reserved(10), nonce part 2 (12 + NUL) */
    const uint8_t *p = memchr(body + 1, 0, (size_t)n - 1);
    if (!p || (size_t)(p - body) + 1 + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 + 12 > (size_t)n) return 2;
    p += 1 + 4;
    memcpy(nonce, p, 8);
    p += 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10;
    memcpy(nonce + 8, p, 12);

    uint8_t resp[512], auth[64];
    size_t r = 0, al = scramble_for(plugin, nonce, pw, auth);
    uint32_t caps = 0x00000200u | 0x00008000u | 0x00080000u | 0x00200000u;   /* 41, secure, plugin auth, lenenc */
    resp[r++] = (uint8_t)caps; resp[r++] = (uint8_t)(caps >> 8); resp[r++] = (uint8_t)(caps >> 16);
    resp[r++] = (uint8_t)(caps >> 24);
    memcpy(resp + r, "\0\0\0\1", 4); r += 4;   /* max packet 16 MiB */
    resp[r++] = 45;                           /* utf8mb4_general_ci */
    memset(resp + r, 0, 23); r += 23;
    memcpy(resp + r, user, strlen(user) + 1); r += strlen(user) + 1;
    resp[r++] = (uint8_t)al;
    memcpy(resp + r, auth, al); r += al;
    memcpy(resp + r, plugin, strlen(plugin) + 1); r += strlen(plugin) + 1;
    if (write_packet(fd, (uint8_t)(seq + 1), resp, r) == -1) return 2;
    printf("%s(%zu)", plugin, al);

    for (int round = 0; round < 4; round++) {
        n = read_packet(fd, body, sizeof(body), &seq);
        if (n < 1) { printf(" > closed\n"); return 2; }
        if (body[0] == 0x00) { printf(" > OK\n"); return 0; }
        if (body[0] == 0xFF) {
            printf(" > ERR %u\n", n >= 3 ? (unsigned)(body[1] | body[2] << 8) : 0);
            return 1;
        }
        if (body[0] == 0x01 && n == 2 && body[1] == 0x03) { printf(" > fast_auth_success"); continue; }
        if (body[0] == 0x01 && n == 2 && body[1] == 0x04) { printf(" > perform_full_authentication\n"); return 3; }
        if (body[0] == 0xFE) {   /* AuthSwitchRequest: plugin NUL, nonce (20) NUL */
            const uint8_t *e = memchr(body + 1, 0, (size_t)n - 1);
            if (!e || (size_t)(e - body) + 1 + AUTH_SCRAMBLE_LEN > (size_t)n) return 2;
            char asked[80];
            snprintf(asked, sizeof(asked), "%.*s", (int)(e - body - 1), (const char *)body + 1);
            memcpy(nonce, e + 1, AUTH_SCRAMBLE_LEN);
            al = scramble_for(asked, nonce, pw, auth);
            printf(" > switch to %s(%zu)", asked, al);
            if (write_packet(fd, (uint8_t)(seq + 1), auth, al) == -1) return 2;
            continue;
        }
        printf(" > unexpected 0x%02x\n", body[0]);
        return 2;
    }
    printf(" > too many rounds\n");
    return 2;
}
