/*
 * benchlib.h - shared by the benchmark programs in tests/bench (header-only: every .c file
 * in tests/bench becomes its own binary, so shared code cannot live in a .c file there).
 *
 *   clocks           bl_now_ns (CLOCK_MONOTONIC), bl_wall_ns (CLOCK_REALTIME)
 *   /proc sampling   CPU seconds (utime+stime) and VmRSS / VmHWM of another process
 *   limits           bl_raise_nofile: soft RLIMIT_NOFILE up to the hard limit
 *   dump clients     connect with libmariadb, set what a replica sets, send COM_BINLOG_DUMP
 *                    on the raw socket (the stream is then read without libmariadb)
 *   stream parser    frames a byte stream into MySQL packets or raw binlog events and
 *                    hands each unit's first bytes to a callback, cheaply, with no copy of
 *                    the rest (the readers only count bytes and look at headers)
 */
#ifndef BINLOGD_TESTS_BENCH_BENCHLIB_H
#define BINLOGD_TESTS_BENCH_BENCHLIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "protocol/wire.h"

#define BL_EV_ROTATE 4
#define BL_EV_FDE 15
#define BL_EV_GTID 162
#define BL_EV_HEADER 19

/* Monotonic nanoseconds: comparable between processes on this machine. */
static inline uint64_t bl_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Wall-clock nanoseconds since the epoch: comparable with `date +%s%N` in the shell. */
static inline uint64_t bl_wall_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* CPU seconds (user + system, all threads) that process pid has used; -1 if unreadable. */
static inline double bl_proc_cpu_s(int pid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* comm may hold spaces and parentheses: fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long ut = 0, st = 0;
    /* after ')': state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
    long hz = sysconf(_SC_CLK_TCK);
    return (double)(ut + st) / (double)(hz > 0 ? hz : 100);
}

/* A "Vm...:" field of /proc/pid/status in KiB (key e.g. "VmRSS:"); -1 if unreadable. */
static inline long bl_proc_status_kib(int pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, kl)) { v = strtol(line + kl, NULL, 10); break; }
    fclose(f);
    return v;
}

/* Open descriptors of process pid: sockets and regular files (the rest: pipes, epoll,
 * eventfd...). 0 on success. */
static inline int bl_proc_fds(int pid, long *sockets, long *files, long *other)
{
    char dir[64], path[384], target[256];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
    DIR *d = opendir(dir);
    if (!d) return -1;
    *sockets = *files = *other = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n == -1) continue;
        target[n] = 0;
        if (!strncmp(target, "socket:", 7)) (*sockets)++;
        else if (target[0] == '/') (*files)++;
        else (*other)++;
    }
    closedir(d);
    return 0;
}

/* Samples a process's RSS; keeps the peak. */
struct bl_rss {
    int pid;
    long before_kib, peak_kib, last_kib;
    uint64_t last_ns;
};

static inline void bl_rss_start(struct bl_rss *r, int pid)
{
    r->pid = pid;
    r->before_kib = r->peak_kib = r->last_kib = pid > 0 ? bl_proc_status_kib(pid, "VmRSS:") : -1;
    r->last_ns = bl_now_ns();
}

/* Sample when at least every_ns have passed since the last sample (0: now). */
static inline void bl_rss_tick(struct bl_rss *r, uint64_t every_ns)
{
    if (r->pid <= 0) return;
    uint64_t t = bl_now_ns();
    if (every_ns && t - r->last_ns < every_ns) return;
    r->last_ns = t;
    long v = bl_proc_status_kib(r->pid, "VmRSS:");
    if (v >= 0) {
        r->last_kib = v;
        if (v > r->peak_kib) r->peak_kib = v;
    }
}

/* Raise the soft open-file limit to the hard limit; returns the new soft limit. */
static inline long bl_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == -1) return -1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == -1) return -1;
    return (long)rl.rlim_cur;
}

static inline int bl_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl == -1) return -1;
    return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Connect with libmariadb and set the session variables a MariaDB replica sets, so that
 * MariaDB and binlogd send checksummed events and MariaDB-style GTID events. NULL on
 * failure with the reason in err. */
static inline MYSQL *bl_connect_t(const char *host, unsigned port, const char *user, const char *pass,
                                  unsigned timeout, char *err, size_t errlen)
{
    MYSQL *m = mysql_init(NULL);
    if (!m) { snprintf(err, errlen, "mysql_init: out of memory"); return NULL; }
    unsigned long maxp = 1UL << 30;
    mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxp);
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    if (!mysql_real_connect(m, host, user, pass, NULL, port, NULL, 0)) {
        snprintf(err, errlen, "connect %s:%u: %u %s", host, port, mysql_errno(m), mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    static const char *const q[] = {"SET @master_binlog_checksum= @@global.binlog_checksum",
                                    "SET @mariadb_slave_capability=4"};
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
        if (mysql_query(m, q[i])) {
            snprintf(err, errlen, "%s: %u %s", q[i], mysql_errno(m), mysql_error(m));
            mysql_close(m);
            return NULL;
        }
    return m;
}

/* bl_connect_t with a 30 s connect timeout. */
static inline MYSQL *bl_connect(const char *host, unsigned port, const char *user, const char *pass, char *err,
                                size_t errlen)
{
    return bl_connect_t(host, port, user, pass, 30, err, errlen);
}

/* SHOW MASTER STATUS into file/pos; 0 on success. */
static inline int bl_master_status(MYSQL *m, char *file, size_t fl, unsigned long long *pos)
{
    if (mysql_query(m, "SHOW MASTER STATUS")) return -1;
    MYSQL_RES *r = mysql_store_result(m);
    if (!r) return -1;
    MYSQL_ROW row = mysql_fetch_row(r);
    int rc = -1;
    if (row && row[0] && row[1]) {
        snprintf(file, fl, "%s", row[0]);
        *pos = strtoull(row[1], NULL, 10);
        rc = 0;
    }
    mysql_free_result(r);
    return rc;
}

/* Write all of buf to a (possibly non-blocking) socket; 0 on success. */
static inline int bl_write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w == -1 && (errno == EINTR || errno == EAGAIN)) continue;
        if (w == -1) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* COM_BINLOG_DUMP flags. MariaDB sends ANNOTATE_ROWS events (the statement text of row
 * events) only to dumps that ask for them, as replicas with replicate_annotate_row_events
 * (default ON) and mariadb-binlog do. */
#define BL_DUMP_NON_BLOCK 0x01
#define BL_DUMP_ANNOTATE 0x02

/* Send COM_BINLOG_DUMP (seq 0) on the connection's socket. */
static inline int bl_send_dump(int fd, const char *file, uint32_t pos, uint16_t flags, uint32_t server_id)
{
    size_t fl = strlen(file);
    uint8_t pkt[4 + 11 + 512];
    if (fl > 511) return -1;
    wire_put_u24(pkt, (uint32_t)(11 + fl));
    pkt[3] = 0;
    pkt[4] = 0x12; /* COM_BINLOG_DUMP */
    wire_put_u32(pkt + 5, pos);
    wire_put_u16(pkt + 9, flags);
    wire_put_u32(pkt + 11, server_id);
    memcpy(pkt + 15, file, fl);
    return bl_write_all(fd, pkt, 15 + fl);
}

/* ---- stream parser ----
 * BL_PACKETS: MySQL packets (4-byte header); a unit is one packet.
 * BL_RAW:     the bytes of binlog files back to back; a unit is the 4-byte magic (at the
 *             start when the stream starts at offset 0, and after every ROTATE event) or
 *             one event (length at header offset 9).
 * For each unit the callback gets its first min(BL_PREFIX, unit length) bytes and the unit's
 * whole length; it returns non-zero to stop the stream (EOF / ERR seen). */
#define BL_PREFIX 64
enum bl_mode { BL_PACKETS, BL_RAW };

struct bl_stream;
typedef int (*bl_unit_fn)(struct bl_stream *s, const uint8_t *pfx, size_t pfx_len, uint64_t unit_len, void *arg);

struct bl_stream {
    enum bl_mode mode;
    int expect_magic;        /* BL_RAW: the next unit is the file magic */
    int bad;                 /* BL_RAW: framing lost (length < 19); units no longer parsed */
    uint8_t pfx[BL_PREFIX];
    size_t have;             /* bytes of the current unit's prefix collected */
    uint64_t need;           /* current unit's length once known, else 0 */
    uint64_t skip;           /* bytes of the current unit still to pass over after its prefix */
    uint64_t wire_bytes;     /* every byte fed */
};

static inline void bl_stream_init(struct bl_stream *s, enum bl_mode mode, int starts_with_magic)
{
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->expect_magic = mode == BL_RAW && starts_with_magic;
}

/* Length of the current unit from its collected prefix, 0 while more bytes are needed. */
static inline uint64_t bl_unit_len(struct bl_stream *s)
{
    if (s->mode == BL_PACKETS) return s->have >= 4 ? 4 + (uint64_t)wire_u24(s->pfx) : 0;
    if (s->expect_magic) return 4;
    if (s->have < 13) return 0;
    uint64_t n = wire_u32(s->pfx + 9);
    if (n < BL_EV_HEADER) { s->bad = 1; return 0; }
    return n;
}

/* Feed n bytes; returns 1 when the callback asked to stop, else 0. */
static inline int bl_feed(struct bl_stream *s, const uint8_t *p, size_t n, bl_unit_fn fn, void *arg)
{
    s->wire_bytes += n;
    if (s->bad) return 0;
    for (;;) {
        if (s->skip) {
            if (!n) return 0;
            uint64_t k = s->skip < n ? s->skip : n;
            s->skip -= k;
            p += k;
            n -= (size_t)k;
            continue;
        }
        /* Collect the header, then the prefix. */
        size_t want = s->need ? (size_t)(s->need < BL_PREFIX ? s->need : BL_PREFIX)
                              : (s->mode == BL_PACKETS || s->expect_magic ? 4 : 13);
        if (s->have < want) {
            if (!n) return 0;
            size_t k = want - s->have < n ? want - s->have : n;
            memcpy(s->pfx + s->have, p, k);
            s->have += k;
            p += k;
            n -= k;
            if (s->have < want) return 0;
        }
        if (!s->need) {
            s->need = bl_unit_len(s);
            if (s->bad) return 0;
            continue; /* now collect up to the prefix */
        }
        uint64_t len = s->need;
        s->skip = len - s->have;
        int stop = fn(s, s->pfx, s->have, len, arg);
        if (s->mode == BL_RAW) {
            if (s->expect_magic) s->expect_magic = 0;
            else if (s->pfx[4] == BL_EV_ROTATE) s->expect_magic = 1;
        }
        s->have = 0;
        s->need = 0;
        if (stop) return 1;
    }
}

/* Packet helpers for BL_PACKETS callbacks (pfx includes the 4-byte header). */
static inline int bl_pkt_is_eof(const uint8_t *pfx, size_t pl, uint64_t len)
{
    return pl > 4 && pfx[4] == 0xFE && len - 4 < 9;
}
static inline int bl_pkt_is_err(const uint8_t *pfx, size_t pl) { return pl > 4 && pfx[4] == 0xFF; }

/* Copy an ERR packet's code and text (as far as the prefix holds it) into msg. */
static inline unsigned bl_pkt_err(const uint8_t *pfx, size_t pl, char *msg, size_t ml)
{
    if (pl < 7) { snprintf(msg, ml, "short ERR packet"); return 0; }
    unsigned code = wire_u16(pfx + 5);
    size_t off = pl > 8 && pfx[7] == '#' ? 13 : 7;
    if (off > pl) off = pl;
    snprintf(msg, ml, "%.*s", (int)(pl - off), (const char *)pfx + off);
    return code;
}

/* Percentile (0..100) of a sorted array, nearest rank. */
static inline int64_t bl_pct(const int64_t *v, size_t n, double pct)
{
    if (!n) return 0;
    size_t i = (size_t)((pct / 100.0) * (double)n + 0.999999);
    if (i < 1) i = 1;
    if (i > n) i = n;
    return v[i - 1];
}

static inline int bl_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

#endif
