/*
 * idlescale.c - N idle dump connections in one process, for the idle-scale benchmark of
 * `make bench`: memory per waiting replica and the time for one commit to reach them all.
 *
 * 1. VmRSS of the server (-x PID) is sampled; N connections are made one after the other
 *    (libmariadb, the replica's SET statements), each sends a blocking COM_BINLOG_DUMP
 *    (server_id 200000 + i) from the server's SHOW MASTER STATUS, i.e. the end of the log.
 * 2. Once every connection has received its FORMAT_DESCRIPTION (it is now waiting at the
 *    end of the log), the server's VmRSS is sampled again: per connection = delta / N.
 * 3. R rounds: an autocommit INSERT into TABLE on the writer connection (-W host:port, the
 *    primary); from the moment that COMMIT returns, the time until every connection has
 *    received the transaction's GTID event. Stamps are taken at the return of the
 *    epoll_wait that reported the bytes (one process, one clock).
 *    With -s BYTES each round's row also carries BYTES in a column `pad`: events larger
 *    than a socket buffer, so that the server has to keep sending after the wake-up.
 * A connection that cannot be made stops the ramp: the figures are then for the ones made,
 * and the error says which connection failed and why.
 * Prints: n connected ready rss_before_kib rss_after_kib per_conn_kib connect_s rounds
 *   commit_us fan_max_ms (median over rounds of the slowest connection) fan_max_worst_ms
 *   fan_p50_ms received srv_fd_sockets srv_fd_files srv_fd_other (the server's open descriptors
 *   once all are waiting) error="..."
 * usage: idlescale -n N [-H host] [-P port] [-u user] [-p pass] -x server_pid
 *                  -W writer_host:port [-w writer_user] [-q writer_pass] -t db.table [-r rounds] [-s pad_bytes]
 */
#include <sys/epoll.h>

#include "tests/bench/benchlib.h"

struct conn {
    MYSQL *m;
    int fd, ready, dead, cont;
    unsigned gtids;
    struct bl_stream st;
    uint64_t now, arrived;   /* stamp of the current read; arrival of the round's GTID */
    unsigned round;          /* GTIDs expected by the end of the current round */
};

static int on_packet(struct bl_stream *s, const uint8_t *pfx, size_t pl, uint64_t len, void *arg)
{
    (void)s;
    struct conn *c = arg;
    uint64_t payload = len - 4;
    int was_cont = c->cont;
    c->cont = payload == 0xFFFFFF;
    if (was_cont) return 0;
    if (bl_pkt_is_eof(pfx, pl, len) || bl_pkt_is_err(pfx, pl)) { c->dead = 1; return 1; }
    if (pl < 5 + BL_EV_HEADER) return 0;
    uint8_t type = pfx[5 + 4];
    if (type == BL_EV_FDE) c->ready = 1;
    if (type == BL_EV_GTID) {
        c->gtids++;
        if (c->gtids == c->round) c->arrived = c->now;
    }
    return 0;
}

/* Read what is there on the ready sockets; stamps at the epoll_wait return. */
static void poll_once(int ep, struct epoll_event *evs, int maxev, uint8_t *buf, size_t bufsz, int timeout_ms)
{
    int k = epoll_wait(ep, evs, maxev, timeout_ms);
    uint64_t now = bl_now_ns();
    if (k == -1 && errno != EINTR) { perror("idlescale: epoll_wait"); exit(1); }
    for (int j = 0; j < k; j++) {
        struct conn *c = evs[j].data.ptr;
        ssize_t r = read(c->fd, buf, bufsz);
        if (r == -1 && (errno == EAGAIN || errno == EINTR)) continue;
        c->now = now;
        if (r <= 0 || bl_feed(&c->st, buf, (size_t)r, on_packet, c)) {
            c->dead = 1;
            if (epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL) == -1) perror("idlescale: epoll_ctl DEL");
        }
    }
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *user = "repl", *pass = "", *wuser = "root", *wpass = "", *table = NULL;
    const char *whost_port = NULL;
    unsigned port = 3306, n = 0, rounds = 5;
    unsigned long pad = 0;
    int pid = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "-n")) n = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-P")) port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-u")) user = v;
        else if (!strcmp(a, "-p")) pass = v;
        else if (!strcmp(a, "-x")) pid = atoi(v);
        else if (!strcmp(a, "-W")) whost_port = v;
        else if (!strcmp(a, "-w")) wuser = v;
        else if (!strcmp(a, "-q")) wpass = v;
        else if (!strcmp(a, "-t")) table = v;
        else if (!strcmp(a, "-r")) rounds = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-s")) pad = strtoul(v, NULL, 10);
        else { n = 0; break; }
    }
    char whost[128];
    unsigned wport = 0;
    if (!n || !pid || !table || !whost_port || sscanf(whost_port, "%127[^:]:%u", whost, &wport) != 2 || !rounds ||
        argc % 2 == 0) {
        fprintf(stderr, "usage: idlescale -n N [-H host] [-P port] [-u user] [-p pass] -x server_pid\n"
                        "                 -W writer_host:port [-w writer_user] [-q writer_pass] -t db.table [-r rounds] [-s pad_bytes]\n");
        return 2;
    }
    long lim = bl_raise_nofile();
    char err[300] = "";
    if (lim != -1 && (long)n + 32 > lim) {
        snprintf(err, sizeof(err), "open-file limit %ld of this client is below %u connections", lim, n + 32);
        n = (unsigned)(lim - 32);
    }
    struct conn *cs = calloc(n, sizeof(*cs));
    size_t bufsz = 64 * 1024;
    uint8_t *buf = malloc(bufsz);
    int maxev = 4096;
    struct epoll_event *evs = calloc((size_t)maxev, sizeof(*evs));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int64_t *lat = calloc(n, sizeof(*lat)), *rmax = calloc(rounds, sizeof(*rmax)), *rp50 = calloc(rounds, sizeof(*rp50));
    if (!cs || !buf || !evs || ep == -1 || !lat || !rmax || !rp50) { fprintf(stderr, "idlescale: out of memory\n"); return 1; }

    MYSQL *w = mysql_init(NULL);
    if (!w || !mysql_real_connect(w, whost, wuser, wpass, NULL, wport, NULL, 0)) {
        fprintf(stderr, "idlescale: writer %s: %s\n", whost_port, w ? mysql_error(w) : "out of memory");
        return 1;
    }
    char file[512];
    unsigned long long pos = 0;
    {
        MYSQL *ctl = bl_connect(host, port, user, pass, err, sizeof(err));
        if (!ctl || bl_master_status(ctl, file, sizeof(file), &pos)) {
            fprintf(stderr, "idlescale: SHOW MASTER STATUS on %s:%u: %s\n", host, port, ctl ? mysql_error(ctl) : err);
            return 1;
        }
        mysql_close(ctl);
    }
    long rss_before = bl_proc_status_kib(pid, "VmRSS:");
    uint64_t c0 = bl_now_ns();
    unsigned connected = 0;
    for (unsigned i = 0; i < n; i++) {
        struct conn *c = &cs[i];
        char e[256];
        /* A server out of descriptors leaves the connection in its backlog: give up after 5 s. */
        if (!(c->m = bl_connect_t(host, port, user, pass, 5, e, sizeof(e)))) {
            snprintf(err, sizeof(err), "connection %u of %u: %s", i + 1, n, e);
            break;
        }
        c->fd = mysql_get_socket(c->m);
        bl_stream_init(&c->st, BL_PACKETS, 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (bl_send_dump(c->fd, file, (uint32_t)pos, 0, 200000 + i) == -1 || bl_set_nonblock(c->fd) == -1 ||
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
            snprintf(err, sizeof(err), "connection %u of %u: dump request: %s", i + 1, n, strerror(errno));
            mysql_close(c->m);
            c->m = NULL;
            break;
        }
        connected++;
        if (connected % 1000 == 0)
            fprintf(stderr, "idlescale: %u connections after %.2f s\n", connected, (double)(bl_now_ns() - c0) / 1e9);
        /* Drain what has arrived so far, so that socket buffers never pile up. */
        if (connected % 256 == 0) poll_once(ep, evs, maxev, buf, bufsz, 0);
    }
    uint64_t c1 = bl_now_ns();
    /* Everybody waiting at the end of the log: each has received its FORMAT_DESCRIPTION. */
    unsigned ready = 0;
    uint64_t deadline = bl_now_ns() + 120000000000ull;
    for (;;) {
        ready = 0;
        unsigned dead = 0;
        for (unsigned i = 0; i < connected; i++) { ready += cs[i].ready && !cs[i].dead; dead += cs[i].dead; }
        if (ready + dead == connected || bl_now_ns() > deadline) break;
        poll_once(ep, evs, maxev, buf, bufsz, 10);
    }
    long rss_after = bl_proc_status_kib(pid, "VmRSS:");
    long fd_sock = -1, fd_file = -1, fd_other = -1;
    bl_proc_fds(pid, &fd_sock, &fd_file, &fd_other);

    unsigned done_rounds = 0, received = 0;
    double commit_us = 0;
    for (unsigned r = 1; r <= rounds && ready; r++) {
        for (unsigned i = 0; i < connected; i++) cs[i].round = r;
        char q[256];
        if (pad) snprintf(q, sizeof(q), "INSERT INTO %s (v, pad) VALUES (%u, REPEAT('x', %lu))", table, r, pad);
        else snprintf(q, sizeof(q), "INSERT INTO %s (v) VALUES (%u)", table, r);
        uint64_t q0 = bl_now_ns();
        if (mysql_query(w, q)) { snprintf(err, sizeof(err), "writer: %s", mysql_error(w)); break; }
        uint64_t tret = bl_now_ns();
        commit_us += (double)(tret - q0) / 1e3;
        deadline = tret + 60000000000ull;
        for (;;) {
            received = 0;
            for (unsigned i = 0; i < connected; i++) received += cs[i].gtids >= r;
            if (received >= ready || bl_now_ns() > deadline) break;
            poll_once(ep, evs, maxev, buf, bufsz, 10);
        }
        size_t m = 0;
        for (unsigned i = 0; i < connected; i++)
            if (cs[i].gtids >= r) lat[m++] = (int64_t)cs[i].arrived - (int64_t)tret;
        qsort(lat, m, sizeof(*lat), bl_cmp_i64);
        rmax[done_rounds] = m ? lat[m - 1] : 0;
        rp50[done_rounds] = bl_pct(lat, m, 50);
        done_rounds++;
        if (received < ready) {
            snprintf(err, sizeof(err), "round %u: only %u of %u connections received the transaction within 60 s", r,
                     received, ready);
            break;
        }
    }
    qsort(rmax, done_rounds, sizeof(*rmax), bl_cmp_i64);
    qsort(rp50, done_rounds, sizeof(*rp50), bl_cmp_i64);
    printf("n=%u connected=%u ready=%u rss_before_kib=%ld rss_after_kib=%ld per_conn_kib=%.1f connect_s=%.2f rounds=%u "
           "commit_us=%.0f fan_max_ms=%.2f fan_max_worst_ms=%.2f fan_p50_ms=%.2f received=%u srv_fd_sockets=%ld srv_fd_files=%ld "
           "srv_fd_other=%ld error=\"%s\"\n",
           n, connected, ready, rss_before, rss_after, ready ? (double)(rss_after - rss_before) / ready : 0.0,
           (double)(c1 - c0) / 1e9, done_rounds, done_rounds ? commit_us / done_rounds : 0.0,
           (double)bl_pct(rmax, done_rounds, 50) / 1e6, done_rounds ? (double)rmax[done_rounds - 1] / 1e6 : 0.0,
           (double)bl_pct(rp50, done_rounds, 50) / 1e6, received, fd_sock, fd_file, fd_other, err);
    fflush(stdout);
    for (unsigned i = 0; i < connected; i++) mysql_close(cs[i].m);
    mysql_close(w);
    free(cs); free(buf); free(evs); free(lat); free(rmax); free(rp50);
    close(ep);
    return err[0] ? 1 : 0;
}
