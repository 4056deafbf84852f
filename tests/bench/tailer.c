/*
 * tailer.c - stamps the arrival of every GTID event on several binlog streams in one
 * process, for the hop-latency benchmark of `make bench`.
 *
 * Each target LABEL=HOST:PORT gets one connection: SHOW MASTER STATUS, then a blocking
 * COM_BINLOG_DUMP (server_id 50000 + index) from that position. All sockets are read by one
 * epoll loop; every GTID event (type 162: seq_no u64, domain u32 after the header, plus the
 * header's server_id) is stamped with CLOCK_MONOTONIC at the return of the epoll_wait that
 * reported its bytes, so stamps of different streams are comparable.
 * The first target is the reference (the primary read directly). Once every stream has
 * delivered its FORMAT_DESCRIPTION the file given by -r is created (the writer may start).
 * SIGUSR1 or SIGTERM ends the run: the tailer waits until every stream has delivered the
 * last GTID the reference saw (at most 10 s), then prints per other target the added
 * latency (its stamp minus the reference's stamp, matched per domain/server_id/seq):
 *   hop label=L matched=N missing=N min_us p50_us p99_us max_us mean_us
 * usage: tailer [-u user] [-p pass] [-r readyfile] [-T timeout_s] LABEL=HOST:PORT...
 */
#include <signal.h>
#include <sys/epoll.h>

#include "tests/bench/benchlib.h"

#define MAX_TARGETS 8

struct stamp { uint32_t domain, server_id; uint64_t seq, t; };

struct tail {
    const char *label;
    MYSQL *m;
    int fd, ready, closed, cont;
    struct bl_stream st;
    struct stamp *v;
    size_t n, cap;
    uint64_t now;            /* stamp for the bytes being fed */
    char err[160];
};

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) { (void)sig; stop_requested = 1; }

static int on_packet(struct bl_stream *s, const uint8_t *pfx, size_t pl, uint64_t len, void *arg)
{
    (void)s;
    struct tail *t = arg;
    uint64_t payload = len - 4;
    int was_cont = t->cont;
    t->cont = payload == 0xFFFFFF;
    if (was_cont) return 0;
    if (bl_pkt_is_eof(pfx, pl, len)) { snprintf(t->err, sizeof(t->err), "unexpected EOF packet"); return 1; }
    if (bl_pkt_is_err(pfx, pl)) {
        char msg[100];
        unsigned code = bl_pkt_err(pfx, pl, msg, sizeof(msg));
        snprintf(t->err, sizeof(t->err), "ERR %u %s", code, msg);
        return 1;
    }
    if (pl < 5 + BL_EV_HEADER) return 0;
    const uint8_t *ev = pfx + 5;
    uint8_t type = ev[4];
    if (type == BL_EV_FDE) t->ready = 1;
    if (type != BL_EV_GTID || pl < 5 + BL_EV_HEADER + 12) return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        struct stamp *v = realloc(t->v, cap * sizeof(*v));
        if (!v) { snprintf(t->err, sizeof(t->err), "out of memory"); return 1; }
        t->v = v;
        t->cap = cap;
    }
    struct stamp *x = &t->v[t->n++];
    x->server_id = wire_u32(ev + 5);
    x->seq = wire_u64(ev + BL_EV_HEADER);
    x->domain = wire_u32(ev + BL_EV_HEADER + 8);
    x->t = t->now;
    return 0;
}

static int cmp_stamp(const void *a, const void *b)
{
    const struct stamp *x = a, *y = b;
    if (x->domain != y->domain) return x->domain < y->domain ? -1 : 1;
    if (x->server_id != y->server_id) return x->server_id < y->server_id ? -1 : 1;
    if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
    return 0;
}

static int has_reached(const struct tail *t, const struct stamp *last)
{
    for (size_t i = t->n; i-- > 0;) {
        const struct stamp *x = &t->v[i];
        if (x->domain == last->domain && x->server_id == last->server_id) return x->seq >= last->seq;
    }
    return 0;
}

static void report(struct tail *ref, struct tail *t)
{
    int64_t *d = malloc((ref->n ? ref->n : 1) * sizeof(*d));
    if (!d) return;
    size_t i = 0, j = 0, m = 0, missing = 0;
    double sum = 0;
    while (i < ref->n) {
        int c = j < t->n ? cmp_stamp(&ref->v[i], &t->v[j]) : -1;
        if (c == 0) {
            d[m] = (int64_t)t->v[j].t - (int64_t)ref->v[i].t;
            sum += (double)d[m++];
            i++;
            j++;
        } else if (c < 0) {
            missing++;
            i++;
        } else {
            j++;
        }
    }
    qsort(d, m, sizeof(*d), bl_cmp_i64);
    printf("hop label=%s matched=%zu missing=%zu min_us=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f mean_us=%.0f err=\"%s\"\n",
           t->label, m, missing, m ? (double)d[0] / 1e3 : 0.0, (double)bl_pct(d, m, 50) / 1e3,
           (double)bl_pct(d, m, 99) / 1e3, m ? (double)d[m - 1] / 1e3 : 0.0, m ? sum / (double)m / 1e3 : 0.0, t->err);
    free(d);
}

int main(int argc, char **argv)
{
    const char *user = "repl", *pass = "", *ready_file = NULL;
    unsigned timeout_s = 600;
    struct tail ts[MAX_TARGETS] = {0};
    size_t nt = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "-u")) user = v;
            else if (!strcmp(a, "-p")) pass = v;
            else if (!strcmp(a, "-r")) ready_file = v;
            else if (!strcmp(a, "-T")) timeout_s = (unsigned)strtoul(v, NULL, 10);
            else { nt = 0; break; }
        } else if (strchr(a, '=') && nt < MAX_TARGETS) {
            ts[nt++].label = a;
        } else {
            nt = 0;
            break;
        }
    }
    if (nt < 2) {
        fprintf(stderr, "usage: tailer [-u user] [-p pass] [-r readyfile] [-T timeout_s] LABEL=HOST:PORT LABEL=HOST:PORT...\n");
        return 2;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep == -1) { perror("tailer: epoll_create1"); return 1; }
    for (size_t i = 0; i < nt; i++) {
        struct tail *t = &ts[i];
        char host[128], err[256], file[512];
        unsigned port = 0;
        unsigned long long pos = 0;
        char *eq = strchr(t->label, '=');
        *eq = 0;
        if (sscanf(eq + 1, "%127[^:]:%u", host, &port) != 2) { fprintf(stderr, "tailer: bad target %s\n", eq + 1); return 2; }
        if (!(t->m = bl_connect(host, port, user, pass, err, sizeof(err)))) { fprintf(stderr, "tailer: %s: %s\n", t->label, err); return 1; }
        if (bl_master_status(t->m, file, sizeof(file), &pos)) {
            fprintf(stderr, "tailer: %s: SHOW MASTER STATUS: %s\n", t->label, mysql_error(t->m));
            return 1;
        }
        t->fd = mysql_get_socket(t->m);
        bl_stream_init(&t->st, BL_PACKETS, 0);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = t};
        if (bl_send_dump(t->fd, file, (uint32_t)pos, 0, 50000 + (uint32_t)i) == -1 || bl_set_nonblock(t->fd) == -1 ||
            epoll_ctl(ep, EPOLL_CTL_ADD, t->fd, &ev) == -1) {
            fprintf(stderr, "tailer: %s: %s\n", t->label, strerror(errno));
            return 1;
        }
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    static uint8_t buf[256 * 1024];
    struct epoll_event evs[MAX_TARGETS];
    int announced = 0;
    uint64_t end_deadline = bl_now_ns() + (uint64_t)timeout_s * 1000000000ull;
    struct stamp last = {0};
    int draining = 0;
    for (;;) {
        int k = epoll_wait(ep, evs, MAX_TARGETS, 10);
        uint64_t now = bl_now_ns();
        if (k == -1 && errno != EINTR) { perror("tailer: epoll_wait"); return 1; }
        for (int j = 0; j < k; j++) {
            struct tail *t = evs[j].data.ptr;
            ssize_t r = read(t->fd, buf, sizeof(buf));
            if (r == -1 && (errno == EAGAIN || errno == EINTR)) continue;
            t->now = now;
            int end = r <= 0;
            if (r > 0) end = bl_feed(&t->st, buf, (size_t)r, on_packet, t);
            else snprintf(t->err, sizeof(t->err), "%s", r == 0 ? "connection closed" : strerror(errno));
            if (end) {
                t->closed = 1;
                if (epoll_ctl(ep, EPOLL_CTL_DEL, t->fd, NULL) == -1) perror("tailer: epoll_ctl");
                fprintf(stderr, "tailer: %s: stream ended: %s\n", t->label, t->err);
            }
        }
        if (!announced) {
            int all = 1;
            for (size_t i = 0; i < nt; i++) all &= ts[i].ready || ts[i].closed;
            if (all) {
                announced = 1;
                if (ready_file) {
                    int fd = open(ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                    if (fd == -1) { perror("tailer: ready file"); return 1; }
                    close(fd);
                }
            }
        }
        if (stop_requested && !draining) {
            draining = 1;
            if (ts[0].n) last = ts[0].v[ts[0].n - 1];
            end_deadline = now + 10000000000ull;
        }
        if (draining) {
            int all = 1;
            for (size_t i = 1; i < nt && ts[0].n; i++) all &= ts[i].closed || has_reached(&ts[i], &last);
            if (all) break;
        }
        if (now > end_deadline) {
            fprintf(stderr, "tailer: %s\n", draining ? "gave up waiting for the last GTID on every stream" : "timeout");
            break;
        }
    }
    for (size_t i = 0; i < nt; i++) qsort(ts[i].v, ts[i].n, sizeof(struct stamp), cmp_stamp);
    printf("ref label=%s gtids=%zu err=\"%s\"\n", ts[0].label, ts[0].n, ts[0].err);
    for (size_t i = 1; i < nt; i++) report(&ts[0], &ts[i]);
    fflush(stdout);
    for (size_t i = 0; i < nt; i++) {
        mysql_close(ts[i].m);
        free(ts[i].v);
    }
    close(ep);
    return 0;
}
