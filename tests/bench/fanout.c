/*
 * fanout.c - N concurrent binlog readers in one process (epoll), for `make bench`.
 *
 * Dump mode (default): N libmariadb connections, each sends COM_BINLOG_DUMP with
 * BINLOG_DUMP_NON_BLOCK | BINLOG_SEND_ANNOTATE_ROWS_EVENT (so MariaDB sends every event, as
 * to a default replica and to mariadb-binlog) and server_id 0 from FILE:POS, and reads
 * packets until the EOF packet.
 * TLS (-S CA_FILE, dump mode): the same over TLS (SSLRequest, server certificate verified
 * against CA_FILE), decrypted on the same epoll loop (tests/bench/benchtls.h).
 * Raw mode (-R): N plain TCP connections to tests/bench/ceiling, each sends one byte and
 * reads the raw binlog bytes until the server closes (-o 0: the stream starts with a file's
 * magic, else with an event).
 * With -E K (dump mode) each reader stops after K events and the wall time is the time until
 * every reader is streaming: the cost of opening N dumps at FILE:POS.
 * Both modes frame what they read (packets, or binlog events) so the client does the same
 * work per event whatever the server; the stream itself is never copied out of the read
 * buffer. Connections are set up first; the clock starts when the requests go out.
 *
 * Prints one line of key=value figures:
 *   n ok errors bytes_min bytes_max bytes_total wall_s mbps srv_cpu_s srv_rss_before_kib
 *   srv_rss_peak_kib cli_cpu_s connect_s error="first error"
 * mbps is binlog event bytes (packet payloads without the 0x00 status byte, or raw bytes)
 * of all readers divided by the wall time, in 10^6 bytes/s.
 * Exit status 0 when every reader reached its end normally, 1 otherwise, 2 on bad usage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "tests/bench/benchlib.h"
#include "tests/bench/benchtls.h"

static uint64_t max_events;  /* -E: a reader stops after this many events (0: read to EOF) */

struct conn {
    MYSQL *m;
    SSL *ssl;                /* -S: the connection's TLS (NULL: plaintext) */
    int fd;
    int done;
    int cont;                /* the previous packet had a 16 MiB - 1 payload: this one continues it */
    struct bl_stream st;
    uint64_t bytes;
    uint64_t events;
    unsigned err;
    char msg[128];
};

static int on_packet(struct bl_stream *s, const uint8_t *pfx, size_t pl, uint64_t len, void *arg)
{
    (void)s;
    struct conn *c = arg;
    uint64_t payload = len - 4;
    if (c->cont) {
        c->bytes += payload;
        c->cont = payload == 0xFFFFFF;
        return 0;
    }
    c->cont = payload == 0xFFFFFF;
    if (bl_pkt_is_eof(pfx, pl, len)) return 1;
    if (bl_pkt_is_err(pfx, pl)) {
        c->err = bl_pkt_err(pfx, pl, c->msg, sizeof(c->msg));
        if (!c->err) c->err = 1;
        return 1;
    }
    if (payload) c->bytes += payload - 1;
    c->events++;
    return max_events && c->events >= max_events;
}

static int on_raw(struct bl_stream *s, const uint8_t *pfx, size_t pl, uint64_t len, void *arg)
{
    (void)s; (void)pfx; (void)pl;
    struct conn *c = arg;
    c->bytes += len;
    c->events++;
    return 0;
}

static int tcp_connect(const char *host, unsigned port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { errno = EINVAL; return -1; }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static double cpu_self_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == -1) return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: fanout -n N [-H host] [-P port] [-u user] [-p pass] [-f file] [-o pos]\n"
                    "              [-R (raw: ceiling server)] [-x server_pid] [-b read_buffer_bytes] [-T timeout_s]\n"
                    "              [-E events (dump mode: each reader stops after this many events)]\n"
                    "              [-S ca_file (dump mode over TLS, server verified against ca_file)]\n");
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *user = "repl", *pass = "", *file = "", *ca = NULL;
    unsigned port = 3306, n = 1, raw = 0, timeout_s = 900;
    unsigned long long pos = 4;
    int srv_pid = 0;
    size_t bufsz = 256 * 1024;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-R")) { raw = 1; continue; }
        if (!v) { usage(); return 2; }
        i++;
        if (!strcmp(a, "-n")) n = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-P")) port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-u")) user = v;
        else if (!strcmp(a, "-p")) pass = v;
        else if (!strcmp(a, "-f")) file = v;
        else if (!strcmp(a, "-o")) pos = strtoull(v, NULL, 10);
        else if (!strcmp(a, "-x")) srv_pid = atoi(v);
        else if (!strcmp(a, "-b")) bufsz = (size_t)strtoull(v, NULL, 10);
        else if (!strcmp(a, "-T")) timeout_s = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-E")) max_events = strtoull(v, NULL, 10);
        else if (!strcmp(a, "-S")) ca = v;
        else { usage(); return 2; }
    }
    if (n == 0 || bufsz < 4096 || (!raw && !*file)) { usage(); return 2; }
    long lim = bl_raise_nofile();
    if (lim != -1 && (long)n + 16 > lim) {
        fprintf(stderr, "fanout: %u connections need more than the open-file limit %ld\n", n, lim);
        return 2;
    }
    struct conn *cs = calloc(n, sizeof(*cs));
    uint8_t *buf = malloc(bufsz);
    struct epoll_event *evs = calloc(1024, sizeof(*evs));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!cs || !buf || !evs || ep == -1) { fprintf(stderr, "fanout: out of memory\n"); return 1; }

    /* Connect everybody first (not timed). */
    uint64_t c0 = bl_now_ns();
    char err[256] = "";
    unsigned connected = 0;
    SSL_CTX *tctx = NULL;
    for (unsigned i = 0; i < n; i++) {
        struct conn *c = &cs[i];
        if (ca) {
            if (!tctx && !(tctx = bl_tls_ctx(ca, err, sizeof(err)))) break;
            c->fd = tcp_connect(host, port);
            if (c->fd == -1) { snprintf(err, sizeof(err), "connect %s:%u: %s", host, port, strerror(errno)); break; }
            if (!(c->ssl = bl_tls_connect(c->fd, tctx, host, user, pass, err, sizeof(err)))) break;
            bl_stream_init(&c->st, BL_PACKETS, 0);
        } else if (raw) {
            c->fd = tcp_connect(host, port);
            if (c->fd == -1) { snprintf(err, sizeof(err), "connect %s:%u: %s", host, port, strerror(errno)); break; }
            bl_stream_init(&c->st, BL_RAW, pos == 0);
        } else {
            if (!(c->m = bl_connect(host, port, user, pass, err, sizeof(err)))) break;
            c->fd = mysql_get_socket(c->m);
            bl_stream_init(&c->st, BL_PACKETS, 0);
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (bl_set_nonblock(c->fd) == -1 || epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
            snprintf(err, sizeof(err), "epoll/fcntl: %s", strerror(errno));
            break;
        }
        connected++;
    }
    uint64_t c1 = bl_now_ns();
    if (connected < n) {
        printf("n=%u ok=0 errors=%u connected=%u error=\"%s\"\n", n, n, connected, err);
        return 1;
    }

    struct bl_rss rss;
    bl_rss_start(&rss, srv_pid);
    double scpu0 = srv_pid > 0 ? bl_proc_cpu_s(srv_pid) : 0, ccpu0 = cpu_self_s();
    uint64_t t0 = bl_now_ns();
    for (unsigned i = 0; i < n; i++) {
        struct conn *c = &cs[i];
        int rc = raw ? bl_write_all(c->fd, "g", 1)
                 : c->ssl ? bl_tls_send_dump(c->ssl, file, (uint32_t)pos, BL_DUMP_NON_BLOCK | BL_DUMP_ANNOTATE, 0)
                          : bl_send_dump(c->fd, file, (uint32_t)pos, BL_DUMP_NON_BLOCK | BL_DUMP_ANNOTATE, 0);
        if (rc == -1) {
            c->done = 1;
            c->err = 1;
            snprintf(c->msg, sizeof(c->msg), "send request: %s", strerror(errno));
        }
    }
    unsigned left = 0;
    for (unsigned i = 0; i < n; i++) left += !cs[i].done;
    uint64_t deadline = t0 + (uint64_t)timeout_s * 1000000000ull;
    while (left) {
        int k = epoll_wait(ep, evs, 1024, 10);
        if (k == -1 && errno != EINTR) { perror("epoll_wait"); return 1; }
        for (int j = 0; j < k; j++) {
            struct conn *c = evs[j].data.ptr;
            if (c->done) continue;
            int end = 0;
            if (c->ssl) {   /* drain what OpenSSL has: epoll does not see its buffered records */
                for (;;) {
                    size_t got = 0;
                    if (SSL_read_ex(c->ssl, buf, bufsz, &got) == 1) {
                        if ((end = bl_feed(&c->st, buf, got, on_packet, c))) break;
                        continue;
                    }
                    int e = SSL_get_error(c->ssl, 0);
                    if (e == SSL_ERROR_WANT_READ) break;
                    end = 1;
                    c->err = e == SSL_ERROR_ZERO_RETURN ? 2 : 3;
                    snprintf(c->msg, sizeof(c->msg), "%s", e == SSL_ERROR_ZERO_RETURN ? "connection closed before EOF" : "TLS read error");
                    break;
                }
                if (end) {
                    c->done = 1;
                    left--;
                    if (epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL) == -1) perror("epoll_ctl DEL");
                }
                continue;
            }
            ssize_t r = read(c->fd, buf, bufsz);
            if (r > 0) {
                end = bl_feed(&c->st, buf, (size_t)r, raw ? on_raw : on_packet, c);
            } else if (r == 0) {
                end = 1;
                if (!raw) { c->err = 2; snprintf(c->msg, sizeof(c->msg), "connection closed before EOF"); }
            } else if (errno != EAGAIN && errno != EINTR) {
                end = 1;
                c->err = 3;
                snprintf(c->msg, sizeof(c->msg), "read: %s", strerror(errno));
            }
            if (end) {
                c->done = 1;
                left--;
                if (epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL) == -1) perror("epoll_ctl DEL");
                if (raw) { close(c->fd); c->fd = -1; }
            }
        }
        bl_rss_tick(&rss, 10000000ull);
        if (left && bl_now_ns() > deadline) {
            for (unsigned i = 0; i < n; i++)
                if (!cs[i].done) { cs[i].err = 4; snprintf(cs[i].msg, sizeof(cs[i].msg), "timeout"); }
            break;
        }
    }
    uint64_t t1 = bl_now_ns();
    bl_rss_tick(&rss, 0);
    double scpu1 = srv_pid > 0 ? bl_proc_cpu_s(srv_pid) : 0, ccpu1 = cpu_self_s();

    uint64_t total = 0, bmin = UINT64_MAX, bmax = 0;
    unsigned errors = 0;
    const char *first = "";
    for (unsigned i = 0; i < n; i++) {
        struct conn *c = &cs[i];
        total += c->bytes;
        if (c->bytes < bmin) bmin = c->bytes;
        if (c->bytes > bmax) bmax = c->bytes;
        if (c->err || c->st.bad) {
            if (!errors) first = c->st.bad ? "raw stream framing lost" : c->msg;
            errors++;
        }
    }
    double wall = (double)(t1 - t0) / 1e9;
    printf("n=%u ok=%u errors=%u bytes_min=%llu bytes_max=%llu bytes_total=%llu wall_s=%.4f mbps=%.1f "
           "srv_cpu_s=%.2f srv_rss_before_kib=%ld srv_rss_peak_kib=%ld cli_cpu_s=%.2f connect_s=%.3f error=\"%s\"\n",
           n, n - errors, errors, (unsigned long long)bmin, (unsigned long long)bmax, (unsigned long long)total, wall,
           wall > 0 ? (double)total / wall / 1e6 : 0.0, scpu1 - scpu0, rss.before_kib, rss.peak_kib, ccpu1 - ccpu0,
           (double)(c1 - c0) / 1e9, first);
    fflush(stdout);
    for (unsigned i = 0; i < n; i++) {
        if (cs[i].m) mysql_close(cs[i].m);
        if (cs[i].ssl) { SSL_free(cs[i].ssl); close(cs[i].fd); }
        else if (cs[i].fd > 0) close(cs[i].fd);
    }
    free(cs);
    free(buf);
    free(evs);
    close(ep);
    return errors ? 1 : 0;
}
