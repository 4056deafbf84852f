/*
 * dumpcli.c - a minimal binlog dump client for tests and benchmarks.
 *
 * Connects with libmariadb, optionally sets the session variables a replica sets, sends
 * COM_BINLOG_DUMP with exactly the file/position/flags/server_id given (including hostile
 * values the stock tools refuse to send), reads the stream and prints one summary line:
 *   events=N bytes=N files=N end=eof|error|limit errno=E error="..."
 * Exit status: 0 when the stream ended as expected (EOF, or the error given by --expect-error),
 * 1 otherwise, 2 on bad usage.
 *
 * -w DIR writes what arrives as binlog files in DIR (magic + every event, named by each fake
 * ROTATE; heartbeats and fake ROTATEs left out), each event with its own write(2) as soon as
 * it is read, so the files hold exactly what was received, even if the server dies mid-stream.
 * Only for dumps that start at position 4.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mysql.h>

#include "protocol/checksum.h"
#include "protocol/gtid.h"
#include "protocol/wire.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w == -1 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* -w: keep one received event (ev/len); *fd is the file being written, -1 before the first
 * fake ROTATE. -1 on a write error. */
static int save_event(const char *dir, int *fd, const uint8_t *ev, size_t len)
{
    if (len < 19) return 0;
    uint8_t type = ev[4];
    uint16_t flags = wire_u16(ev + 17);
    if (type == 27 /* HEARTBEAT */) return 0;
    if (type == 4 /* ROTATE */ && ((flags & 0x20) || wire_u32(ev + 13) == 0)) {
        size_t end = len >= 19 + 8 + 4 && ev_crc32_verify(ev, len) == 0 ? len - 4 : len;
        if (end < 19 + 8 || end - 27 > 512 || memchr(ev + 27, '/', end - 27)) return -1;   /* stay in dir */
        char path[1024];
        snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(end - 27), (const char *)ev + 27);
        if (*fd != -1) close(*fd);
        *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        return *fd == -1 ? -1 : write_all(*fd, (const uint8_t *)"\xfe" "bin", 4);
    }
    return *fd == -1 ? 0 : write_all(*fd, ev, len);
}

static void usage(void)
{
    fprintf(stderr, "usage: dumpcli -H host -P port -u user [-p pass] [-f file] [-o pos] [-F flags] [-s server_id]\n"
                    "               [-c (no checksum vars)] [-m max_events] [-e expect_errno] [-q] [-t (timing)]\n"
                    "               [-w DIR (write the received files there)] [-G slave_connect_state]\n"
                    "               [-M mysql_gtid_set (COM_BINLOG_DUMP_GTID; -f/-o then name a start)]\n"
                    "               [-S N (after N events stop reading until SIGUSR1: a stalled replica)]\n");
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *user = "root", *pass = "", *file = "", *wdir = NULL, *gtid = NULL, *mset = NULL;
    unsigned port = 3306, flags = 0x01, server_id = 0;
    unsigned long long pos = 4, max_events = 0, stall_at = 0;
    int set_vars = 1, quiet = 0, timing = 0;
    long expect = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-c")) { set_vars = 0; continue; }
        if (!strcmp(a, "-q")) { quiet = 1; continue; }
        if (!strcmp(a, "-t")) { timing = 1; continue; }
        if (!v) { usage(); return 2; }
        i++;
        if (!strcmp(a, "-H")) host = v;
        else if (!strcmp(a, "-P")) port = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-u")) user = v;
        else if (!strcmp(a, "-p")) pass = v;
        else if (!strcmp(a, "-f")) file = v;
        else if (!strcmp(a, "-o")) pos = strtoull(v, NULL, 0);
        else if (!strcmp(a, "-F")) flags = (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(a, "-s")) server_id = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "-m")) max_events = strtoull(v, NULL, 10);
        else if (!strcmp(a, "-e")) expect = strtol(v, NULL, 10);
        else if (!strcmp(a, "-w")) wdir = v;
        else if (!strcmp(a, "-G")) gtid = v;
        else if (!strcmp(a, "-M")) mset = v;
        else if (!strcmp(a, "-S")) stall_at = strtoull(v, NULL, 10);
        else { usage(); return 2; }
    }
    /* -S: SIGUSR1 is waited for, never delivered as a signal (it would end the process) */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (stall_at) sigprocmask(SIG_BLOCK, &usr1, NULL);
    MYSQL *m = mysql_init(NULL);
    unsigned long maxp = 1UL << 30;
    mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxp);
    if (!mysql_real_connect(m, host, user, pass, NULL, port, NULL, 0)) {
        printf("events=0 bytes=0 files=0 end=connect errno=%u error=\"%s\"\n", mysql_errno(m), mysql_error(m));
        return expect >= 0 && (unsigned)expect == mysql_errno(m) ? 0 : 1;
    }
    if (set_vars) {
        const char *q[] = {"SET @master_binlog_checksum= @@global.binlog_checksum", "SET @mariadb_slave_capability=4"};
        for (size_t i = 0; i < 2; i++)
            if (mysql_query(m, q[i])) {
                printf("events=0 bytes=0 files=0 end=setup errno=%u error=\"%s\"\n", mysql_errno(m), mysql_error(m));
                return 1;
            }
    }
    if (gtid) {   /* a MariaDB GTID replica: the state decides the start, file/pos are ignored */
        char q[8192];
        snprintf(q, sizeof(q), "SET @slave_connect_state='%s'", gtid);
        if (mysql_query(m, q)) {
            printf("events=0 bytes=0 files=0 end=setup errno=%u error=\"%s\"\n", mysql_errno(m), mysql_error(m));
            return 1;
        }
    }
    unsigned long long fake_lists = 0, heartbeats = 0, mysql_gtids = 0;
    size_t fl = strlen(file), plen = 10 + fl;
    uint8_t *pkt;
    int cmd = COM_BINLOG_DUMP;
    if (mset) {   /* flags u16, server_id u32, name_size u32, name, pos u64, data_size u32, data */
        struct gtid_mysql_set *set = gtid_mysql_set_new();
        const char *why = "out of memory";
        if (!set || gtid_mysql_set_parse(set, mset, strlen(mset), &why) == -1) {
            fprintf(stderr, "dumpcli: bad -M set: %s\n", why);
            return 2;
        }
        size_t dl = gtid_mysql_set_encoded_len(set);
        plen = 2 + 4 + 4 + fl + 8 + 4 + dl;
        pkt = malloc(plen);
        wire_put_u16(pkt, (uint16_t)flags);
        wire_put_u32(pkt + 2, server_id);
        wire_put_u32(pkt + 6, (uint32_t)fl);
        memcpy(pkt + 10, file, fl);
        wire_put_u64(pkt + 10 + fl, pos);
        wire_put_u32(pkt + 18 + fl, (uint32_t)dl);
        gtid_mysql_set_encode(set, pkt + 22 + fl, dl);
        gtid_mysql_set_free(set);
        cmd = 0x1e;
    } else {
        pkt = malloc(plen);
        wire_put_u32(pkt, (uint32_t)pos);
        wire_put_u16(pkt + 4, (uint16_t)flags);
        wire_put_u32(pkt + 6, server_id);
        memcpy(pkt + 10, file, fl);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long events = 0, bytes = 0, files = 0;
    const char *end = "eof";
    unsigned err = 0;
    int wfd = -1;
    if (m->methods->db_command(m, (enum enum_server_command)cmd, (const char *)pkt, plen, 1, NULL)) {
        end = "error";
        err = mysql_errno(m);
    } else {
        for (;;) {
            unsigned long n = mysql_net_read_packet(m);
            if (n == packet_error) { end = "error"; err = mysql_errno(m); break; }
            const uint8_t *p = m->net.read_pos;
            if (n < 8 && p[0] == 0xFE) break;
            events++;
            bytes += n - 1;
            if (wdir && save_event(wdir, &wfd, p + 1, n - 1) == -1) {
                fprintf(stderr, "dumpcli: cannot write to %s: %s\n", wdir, strerror(errno));
                end = "write";
                break;
            }
            if (n > 5 && p[5] == 4 /* ROTATE */) files++;
            if (n > 19 && p[5] == 163 /* GTID_LIST */ && (wire_u16(p + 18) & 0x20)) fake_lists++;
            if (n > 19 && p[5] == 27 /* HEARTBEAT */) heartbeats++;
            if (n > 19 && p[5] == 33 /* MySQL GTID */) mysql_gtids++;
            if (max_events && events >= max_events) { end = "limit"; break; }
            if (stall_at && events == stall_at) {   /* a replica that stopped reading */
                fprintf(stderr, "dumpcli: stalled after %llu events\n", events);
                int sig;
                sigwait(&usr1, &sig);
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (!quiet || err) {
        printf("events=%llu bytes=%llu files=%llu end=%s errno=%u error=\"%s\"", events, bytes, files, end, err,
               err ? mysql_error(m) : "");
        if (timing) printf(" seconds=%.6f mbps=%.1f", secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
        if (gtid) printf(" fake_gtid_lists=%llu", fake_lists);
        if (mset) printf(" gtid_events=%llu heartbeats=%llu", mysql_gtids, heartbeats);
        printf("\n");
    }
    free(pkt);
    if (wfd != -1) close(wfd);
    mysql_close(m);
    if (expect >= 0) return (long)err == expect ? 0 : 1;
    return strcmp(end, "error") ? 0 : 1;
}
