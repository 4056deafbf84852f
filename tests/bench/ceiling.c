/*
 * ceiling.c - the bare sendfile server of `make bench`: the physical limit a binlog server
 * could reach on this machine. Listens on 127.0.0.1:PORT; each connection sends one byte
 * (the "go", so that the clock of tests/bench/fanout -R starts with the request, as for a
 * dump), then gets FILE1 from OFFSET and every further FILE whole, back to back, by
 * sendfile(2) only, and is closed. No framing, no parsing, no user-space copy.
 * Connections are spread over THREADS epoll loops (default: online CPUs); each writable
 * socket gets at most 2 MiB per turn so no reader monopolises a loop.
 * usage: ceiling -p PORT [-t THREADS] [-o OFFSET] FILE...
 * Runs until killed; prints "ready" on stdout once listening.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tests/bench/benchlib.h"

#define TURN_BYTES (2u << 20)

struct file { int fd; off_t size; };

static struct file *files;
static int nfiles;
static off_t first_offset;

struct conn {
    int fd;
    int sending;            /* the go byte arrived */
    int idx;                /* current file */
    off_t off;              /* offset in it */
};

static void conn_close(struct conn *c)
{
    close(c->fd);           /* also removes it from the epoll set */
    free(c);
}

/* Send until the socket is full, the turn is used up or everything is sent.
 * Returns 1 when the connection is finished (sent or failed), else 0. */
static int pump(struct conn *c)
{
    size_t turn = TURN_BYTES;
    while (turn) {
        if (c->idx == nfiles) return 1;
        struct file *f = &files[c->idx];
        if (c->off >= f->size) { c->idx++; c->off = 0; continue; }
        size_t want = (size_t)(f->size - c->off) < turn ? (size_t)(f->size - c->off) : turn;
        ssize_t w = sendfile(c->fd, f->fd, &c->off, want);
        if (w == -1) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return 0;
            return 1;
        }
        if (w == 0) { c->idx++; c->off = 0; continue; }   /* file shorter than at start */
        turn -= (size_t)w;
    }
    return 0;
}

static void *worker(void *arg)
{
    int ep = (int)(intptr_t)arg;
    struct epoll_event evs[256];
    for (;;) {
        int k = epoll_wait(ep, evs, 256, -1);
        if (k == -1) {
            if (errno == EINTR) continue;
            perror("ceiling: epoll_wait");
            exit(1);
        }
        for (int j = 0; j < k; j++) {
            struct conn *c = evs[j].data.ptr;
            if (!c->sending) {
                char b;
                ssize_t r = read(c->fd, &b, 1);
                if (r == -1 && (errno == EAGAIN || errno == EINTR)) continue;
                if (r != 1) { conn_close(c); continue; }
                c->sending = 1;
                struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
                if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == -1) { conn_close(c); continue; }
            }
            if (pump(c)) conn_close(c);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    unsigned port = 0;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc) break;
        if (!strcmp(argv[i], "-p")) port = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-t")) threads = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "-o")) first_offset = (off_t)strtoll(argv[i + 1], NULL, 10);
        else break;
    }
    if (!port || i >= argc || threads < 1) {
        fprintf(stderr, "usage: ceiling -p PORT [-t THREADS] [-o OFFSET] FILE...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    bl_raise_nofile();
    nfiles = argc - i;
    files = calloc((size_t)nfiles, sizeof(*files));
    if (!files) return 1;
    for (int k = 0; k < nfiles; k++) {
        struct stat sb;
        files[k].fd = open(argv[i + k], O_RDONLY | O_CLOEXEC);
        if (files[k].fd == -1 || fstat(files[k].fd, &sb) == -1) {
            fprintf(stderr, "ceiling: %s: %s\n", argv[i + k], strerror(errno));
            return 1;
        }
        files[k].size = sb.st_size;
    }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (ls == -1) { perror("ceiling: socket"); return 1; }
    if (setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1) perror("ceiling: SO_REUSEADDR");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 || listen(ls, 4096) == -1) {
        perror("ceiling: bind/listen");
        return 1;
    }
    int *eps = calloc((size_t)threads, sizeof(int));
    if (!eps) return 1;
    for (long t = 0; t < threads; t++) {
        pthread_t th;
        if ((eps[t] = epoll_create1(EPOLL_CLOEXEC)) == -1) { perror("ceiling: epoll_create1"); return 1; }
        if (pthread_create(&th, NULL, worker, (void *)(intptr_t)eps[t]) != 0) { fprintf(stderr, "ceiling: pthread_create failed\n"); return 1; }
        pthread_detach(th);
    }
    printf("ready\n");
    fflush(stdout);
    for (unsigned long next = 0;; next++) {
        int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno != EINTR && errno != ECONNABORTED) perror("ceiling: accept4");
            continue;
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) { close(fd); continue; }
        c->fd = fd;
        c->off = nfiles ? first_offset : 0;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(eps[next % (unsigned long)threads], EPOLL_CTL_ADD, fd, &ev) == -1) {
            perror("ceiling: epoll_ctl");
            conn_close(c);
        }
    }
}
