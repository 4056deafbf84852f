/*
 * notifylisten.c - plays systemd's side of the notify protocol for tests/integration/
 * t_service.sh: binds a unix datagram socket (a path, or @name for an abstract one) and
 * prints every line of every datagram as
 *     MONOTONIC_MS SEQ KEY=VALUE
 * (MONOTONIC_MS: CLOCK_MONOTONIC in milliseconds, SEQ: the datagram's number from 1), one
 * line at a time, flushed, so a test can poll the output file.
 * With -p PORT, on every READY=1 it tries a TCP connection to 127.0.0.1:PORT at once and
 * prints "X_PORT_OPEN=1" or "X_PORT_OPEN=0" under the same SEQ: READY must come after listen.
 * Runs until killed. usage: notifylisten SOCKET [-p PORT]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int port_open(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd == -1) return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "-p"))) {
        fprintf(stderr, "usage: notifylisten SOCKET [-p PORT]\n");
        return 2;
    }
    const char *path = argv[1];
    unsigned port = argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if (len >= sizeof(a.sun_path)) { fprintf(stderr, "notifylisten: path too long\n"); return 2; }
    memcpy(a.sun_path, path, len);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (path[0] == '@') a.sun_path[0] = 0;
    else { unlink(path); alen++; }
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd == -1 || bind(fd, (struct sockaddr *)&a, alen) == -1) { perror("notifylisten: bind"); return 1; }
    printf("%.3f 0 X_BOUND=%s\n", now_ms(), path);
    fflush(stdout);
    char buf[65536];
    for (unsigned long seq = 1;; seq++) {
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0) { perror("notifylisten: recv"); return 1; }
        double t = now_ms();
        buf[n] = 0;
        int ready = 0;
        for (char *line = buf, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next) *next++ = 0;
            printf("%.3f %lu %s\n", t, seq, line);
            if (!strcmp(line, "READY=1")) ready = 1;
        }
        if (ready && port) printf("%.3f %lu X_PORT_OPEN=%d\n", t, seq, port_open(port));
        fflush(stdout);
    }
}
