/*
 * hcheck.c - the two health-check shapes, COUNT times in a row, against a MySQL-protocol
 * server on 127.0.0.1:PORT (tests/integration/t_health.sh):
 *   bare   connect, read the greeting, close (HAProxy's mysql-check without a user, a TCP
 *          check, a load balancer's probe);
 *   login  exactly HAProxy 2.6's `option mysql-check user USER post-41`: the login packet
 *          (caps 0x00008200, no plugin, empty password) and COM_QUIT sent at once right after
 *          connect, before the greeting is read; then the greeting and the reply are read and
 *          the reply must not be an ERR packet; then close with FIN.
 * usage: hcheck bare|login PORT COUNT [USER]
 * Prints "SHAPE: N ok, N failed in MS ms"; exit 0 only if every check passed, 2 on bad usage.
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
#include <time.h>
#include <unistd.h>

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

/* One packet: its first payload byte in *first. 0, or -1 (cut short / too large). */
static int read_packet(int fd, int *first)
{
    uint8_t h[4], body[65536];
    if (read_full(fd, h, 4) == -1) return -1;
    size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    if (len == 0 || len > sizeof(body) || read_full(fd, body, len) == -1) return -1;
    *first = body[0];
    return 0;
}

static int one_check(uint16_t port, int login, const char *user)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) return -1;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = -1, first = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) goto out;
    if (login) {
        uint8_t pk[512];
        size_t ul = strlen(user), plen = ul + 34;
        if (ul > 400) goto out;
        memset(pk, 0, sizeof(pk));
        pk[0] = (uint8_t)plen; pk[3] = 1;                               /* header, seq 1 */
        pk[4] = 0x00; pk[5] = 0x82; pk[6] = 0x00; pk[7] = 0x00;          /* caps 0x00008200 */
        pk[8] = 0x00; pk[9] = 0x80; pk[10] = 0x00; pk[11] = 0x01;        /* max packet */
        pk[12] = 0x21;                                                  /* utf8_general_ci */
        memcpy(pk + 36, user, ul + 1);                                  /* after 23 zero bytes */
        pk[36 + ul + 1] = 0;                                            /* empty auth response */
        size_t n = 4 + plen;
        const uint8_t quit[5] = {1, 0, 0, 0, 1};                        /* COM_QUIT, seq 0 */
        memcpy(pk + n, quit, 5);
        if (write(fd, pk, n + 5) != (ssize_t)(n + 5)) goto out;
    }
    if (read_packet(fd, &first) == -1 || first == 0xFF) goto out;       /* greeting */
    if (login && (read_packet(fd, &first) == -1 || first == 0xFF)) goto out;
    ok = 0;
out:
    shutdown(fd, SHUT_WR);   /* HAProxy's "linger": a FIN, not a RST */
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 4 || (strcmp(argv[1], "bare") && strcmp(argv[1], "login"))) {
        fprintf(stderr, "usage: hcheck bare|login PORT COUNT [USER]\n");
        return 2;
    }
    int login = !strcmp(argv[1], "login");
    uint16_t port = (uint16_t)atoi(argv[2]);
    long count = atol(argv[3]), good = 0, bad = 0;
    const char *user = argc > 4 ? argv[4] : "haproxy";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < count; i++) {
        if (one_check(port, login, user) == 0) good++;
        else bad++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("%s: %ld ok, %ld failed in %ld ms\n", argv[1], good, bad, ms);
    return bad ? 1 : 0;
}
