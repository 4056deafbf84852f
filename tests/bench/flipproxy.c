/*
 * flipproxy.c - a TCP proxy for fault tests: forwards 127.0.0.1:LISTEN <-> 127.0.0.1:UPSTREAM,
 * one connection at a time, and flips one bit of the byte at offset FLIP of the
 * upstream->client direction (the binlog stream) of the first connection that gets that far.
 * It does so once: later connections pass through untouched, so a client that reconnects
 * recovers. Prints "flipped" to stderr when it did.
 * MODE (optional): flip (one bit, the default), garble (overwrite 8 bytes with 0xff: absurd
 * packet or event lengths), cut (close both sides right there: a packet cut in the middle).
 * usage: flipproxy LISTEN UPSTREAM FLIP [MODE]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int dial(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1 || connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) { if (fd != -1) close(fd); return -1; }
    return fd;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w; n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: flipproxy LISTEN UPSTREAM FLIP [flip|garble|cut]\n"); return 2; }
    const char *mode = argc == 5 ? argv[4] : "flip";
    if (strcmp(mode, "flip") && strcmp(mode, "garble") && strcmp(mode, "cut")) { fprintf(stderr, "bad mode %s\n", mode); return 2; }
    int lport = atoi(argv[1]), uport = atoi(argv[2]);
    unsigned long long flip = strtoull(argv[3], NULL, 10);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lport)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(ls, 8) == -1) { perror("listen"); return 1; }
    int done = 0;
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c == -1) continue;
        int u = dial(uport);
        if (u == -1) { close(c); continue; }
        unsigned long long down = 0;
        uint8_t buf[65536];
        for (;;) {
            struct pollfd p[2] = {{.fd = c, .events = POLLIN}, {.fd = u, .events = POLLIN}};
            if (poll(p, 2, -1) == -1) break;
            if (p[0].revents) {
                ssize_t n = read(c, buf, sizeof(buf));
                if (n <= 0 || write_all(u, buf, (size_t)n) == -1) break;
            }
            if (p[1].revents) {
                ssize_t n = read(u, buf, sizeof(buf));
                if (n <= 0) break;
                if (!done && flip >= down && flip < down + (unsigned long long)n) {
                    size_t at = (size_t)(flip - down);
                    done = 1;
                    if (!strcmp(mode, "cut")) {   /* forward up to the cut, then drop the link */
                        (void)write_all(c, buf, at);
                        fprintf(stderr, "flipped: cut the stream at byte %llu\n", flip);
                        break;
                    }
                    if (!strcmp(mode, "garble"))
                        for (size_t k = at; k < at + 8 && k < (size_t)n; k++) buf[k] = 0xff;
                    else
                        buf[at] ^= 0x10;
                    fprintf(stderr, "flipped (%s) byte %llu\n", mode, flip);
                }
                down += (unsigned long long)n;
                if (write_all(c, buf, (size_t)n) == -1) break;
            }
        }
        close(c);
        close(u);
    }
}
