/*
 * gtidstorm.c - a GTID reconnect storm, for `make bench` (tests/bench/gtidstorm.sh).
 *
 *   gtidstorm gen DIR MB FILE_MB
 *       Write a binlogd data directory (through the store, as ingest would) holding MB MB of
 *       MariaDB transactions in files of FILE_MB MB: three domains (0, 1, 2) written in turn
 *       by server 1, group g (from 0) is domain g % 3 with seq_no g / 3 + 1, each group
 *       GTID + QUERY (~400 bytes) + XID. Prints "groups=G bytes=B files=F".
 *   gtidstorm run HOST PORT USER PASS K G
 *       K MariaDB GTID replicas (one thread each, strict mode) connect, set their
 *       @slave_connect_state to K positions spread evenly over the G groups (each the state
 *       after group g), then send COM_BINLOG_DUMP at once; each is timed until the first GTID
 *       event after its position (the group after g). Prints
 *       "k=K ok=N errors=E p50_ms p99_ms max_ms wall_s error=..."
 *
 * Uses tests/unit/evgen.c to build the events (a test tool, not part of binlogd).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <mysql.h>

#include "protocol/event.h"
#include "protocol/wire.h"
#include "storage/store.h"
#include "tests/unit/evgen.c"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int gen(const char *dir, uint64_t mb, uint64_t file_mb)
{
    struct store_opts o = {.dir = dir, .sync = STORE_SYNC_NONE};
    struct store *s;
    char err[1024];
    if (store_open(&o, &s, err, sizeof(err)) != STORE_OK) {
        fprintf(stderr, "gtidstorm: %s\n", err);
        return 1;
    }
    uint8_t *ev = malloc(1 << 16);
    uint64_t total = 0, groups = 0;
    int files = 0;
    char sql[512];
    memset(sql, 0, sizeof(sql));
    while (total < mb * 1000000) {
        struct evgen g;
        evgen_init(&g);
        char name[64];
        snprintf(name, sizeof(name), "gs-bin.%06d", ++files);
        size_t n = evgen_fde(&g, ev, 1 << 16);
        if (store_file_begin(s, name, ev, n, err, sizeof(err)) != STORE_OK) goto fail;
        /* the GTID_LIST: the state after every group so far */
        uint8_t body[4 + 16 * 3];
        uint32_t cnt = 0;
        for (uint32_t d = 0; d < 3; d++) {
            uint64_t seq = groups > d ? (groups - d + 2) / 3 : 0;
            if (!seq) continue;
            wire_put_u32(body + 4 + 16 * cnt, d);
            wire_put_u32(body + 8 + 16 * cnt, 1);
            wire_put_u64(body + 12 + 16 * cnt, seq);
            cnt++;
        }
        wire_put_u32(body, cnt);
        n = evgen_event(&g, ev, 1 << 16, EV_GTID_LIST, 0, body, 4 + 16 * cnt);
        if (store_append(s, ev, n, err, sizeof(err)) != STORE_OK) goto fail;
        while (g.pos < file_mb * 1000000 && total + g.pos < mb * 1000000) {
            uint32_t d = (uint32_t)(groups % 3);
            n = evgen_gtid(&g, ev, 1 << 16, d, groups / 3 + 1, EV_MGTID_TRANSACTIONAL);
            if (store_append(s, ev, n, err, sizeof(err)) != STORE_OK) goto fail;
            snprintf(sql, sizeof(sql), "INSERT INTO sbtest.t%u VALUES (%llu, '%0360llu')", d,
                     (unsigned long long)groups, (unsigned long long)groups);
            n = evgen_query(&g, ev, 1 << 16, "sbtest", sql);
            if (store_append(s, ev, n, err, sizeof(err)) != STORE_OK) goto fail;
            n = evgen_xid(&g, ev, 1 << 16, groups);
            if (store_append(s, ev, n, err, sizeof(err)) != STORE_OK) goto fail;
            groups++;
            if (groups % 256 == 0 && store_sync(s, err, sizeof(err)) != STORE_OK) goto fail;
        }
        if (store_sync(s, err, sizeof(err)) != STORE_OK) goto fail;
        total += g.pos;
    }
    store_free(s);
    free(ev);
    printf("groups=%llu bytes=%llu files=%d\n", (unsigned long long)groups, (unsigned long long)total, files);
    return 0;
fail:
    fprintf(stderr, "gtidstorm: %s\n", err);
    store_free(s);
    free(ev);
    return 1;
}

struct rep {
    pthread_t th;
    const char *host, *user, *pass;
    unsigned port;
    int idx;
    uint64_t g;            /* GTID replica: the state after group g */
    char file[64];         /* file/position replica: start here (a GTID event's offset) */
    uint64_t pos;
    double ms;
    double sent;           /* when the dump command went out (now_s) */
    int ok;
    char err[256];
};

static pthread_barrier_t go;

static void *replica(void *arg)
{
    struct rep *r = arg;
    MYSQL *m = mysql_init(NULL);
    int ready = 0;
    char q[512];
    if (m && mysql_real_connect(m, r->host, r->user, r->pass, NULL, r->port, NULL, 0)) {
        ready = !mysql_query(m, "SET @master_binlog_checksum='CRC32'") && !mysql_query(m, "SET @mariadb_slave_capability=4");
        if (ready && !r->file[0]) {
            /* the state after group g: domain d's last seq among groups 0..g */
            char st[256] = "";
            size_t l = 0;
            for (uint32_t d = 0; d < 3; d++) {
                uint64_t seq = r->g + 1 > d ? (r->g + 1 - d + 2) / 3 : 0;
                if (seq) l += (size_t)snprintf(st + l, sizeof(st) - l, "%s%u-1-%llu", l ? "," : "", d, (unsigned long long)seq);
            }
            snprintf(q, sizeof(q), "SET @slave_connect_state='%s'", st);
            ready = !mysql_query(m, "SET @slave_gtid_strict_mode=1") && !mysql_query(m, q);
        }
    }
    if (!ready) snprintf(r->err, sizeof(r->err), "%s", m ? mysql_error(m) : "out of memory");
    pthread_barrier_wait(&go);
    if (!ready) goto out;
    uint8_t pkt[10 + sizeof(r->file)];
    size_t fl = strlen(r->file);
    wire_put_u32(pkt, r->file[0] ? (uint32_t)r->pos : 4);
    wire_put_u16(pkt + 4, 0);
    wire_put_u32(pkt + 6, (uint32_t)(100000 + r->idx));
    memcpy(pkt + 10, r->file, fl);
    double t0 = r->sent = now_s();
    if (m->methods->db_command(m, COM_BINLOG_DUMP, (const char *)pkt, 10 + fl, 1, NULL)) {
        snprintf(r->err, sizeof(r->err), "%s", mysql_error(m));
        goto out;
    }
    /* GTID: the first GTID after the fake GTID_LIST that says the position is reached;
     * file/position: the first GTID event (the dump starts at one; the fake ROTATE and the FDE
     * come first) */
    int reached = r->file[0] != 0;
    for (;;) {
        unsigned long n = mysql_net_read_packet(m);
        if (n == packet_error) {
            snprintf(r->err, sizeof(r->err), "%s", mysql_error(m));
            break;
        }
        const uint8_t *p = m->net.read_pos;
        if (n < 8 && p[0] == 0xFE) {
            snprintf(r->err, sizeof(r->err), "EOF before the position");
            break;
        }
        if (n < 20) continue;
        uint8_t type = p[5];
        if (type == EV_GTID_LIST && (wire_u16(p + 18) & EV_F_ARTIFICIAL)) reached = 1;
        else if (type == EV_MARIA_GTID && reached) {
            if (r->file[0] && wire_u32(p + 14) - wire_u32(p + 10) != r->pos) {
                snprintf(r->err, sizeof(r->err), "first GTID event not at %s:%llu", r->file, (unsigned long long)r->pos);
                break;
            }
            r->ms = (now_s() - t0) * 1000;
            r->ok = 1;
            break;
        }
    }
out:
    if (m) mysql_close(m);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* f file/position starts spread evenly over the bytes of DIR's files (its index, in order):
 * for each, the offset of the first GTID event at or after the target byte. One sequential
 * pass over the files (the targets are in increasing order). 0, or -1. */
static int pick_positions(const char *dir, struct rep *r, int f)
{
    char path[1024], names[256][64];
    uint64_t sizes[256], total = 0;
    int nf = 0;
    snprintf(path, sizeof(path), "%.900s/gs-bin.index", dir);
    FILE *ix = fopen(path, "r");
    if (!ix) return -1;
    char line[256];
    while (nf < 256 && fgets(line, sizeof(line), ix)) {
        line[strcspn(line, "\n")] = 0;
        const char *b = strrchr(line, '/');
        snprintf(names[nf], sizeof(names[nf]), "%.63s", b ? b + 1 : line);
        struct stat st;
        snprintf(path, sizeof(path), "%.900s/%.63s", dir, names[nf]);
        if (stat(path, &st) == -1) break;
        sizes[nf] = (uint64_t)st.st_size;
        total += sizes[nf++];
    }
    fclose(ix);
    size_t cap = 1 << 22;
    uint8_t *buf = malloc(cap);
    if (!buf) return -1;
    int i = 0;
    uint64_t acc = 0;
    for (int k = 0; k < nf && i < f; acc += sizes[k++]) {
        snprintf(path, sizeof(path), "%.900s/%.63s", dir, names[k]);
        FILE *fp = fopen(path, "rb");
        if (!fp) break;
        /* buf holds the file's bytes [base, base + have) */
        uint64_t base = 0, off = 4;
        size_t have = fread(buf, 1, cap, fp);
        while (i < f) {
            uint64_t want = total * (uint64_t)(2 * i + 1) / (uint64_t)(2 * f);
            if (want >= acc + sizes[k]) break;   /* in a later file */
            if (off + 19 > base + have) {        /* slide the buffer to off */
                if (fseeko(fp, (off_t)off, SEEK_SET) == -1) break;
                base = off;
                have = fread(buf, 1, cap, fp);
                if (have < 19) break;
            }
            const uint8_t *h = buf + (off - base);
            uint32_t len = wire_u32(h + 9);
            if (len < 19) break;
            if (h[4] == EV_MARIA_GTID && off >= want - acc) {
                snprintf(r[i].file, sizeof(r[i].file), "%.63s", names[k]);
                r[i].pos = off;
                i++;
                continue;   /* the next target may be at this very event */
            }
            off += len;
        }
        fclose(fp);
    }
    free(buf);
    return i == f ? 0 : -1;
}

static void report(const char *prefix, struct rep *r, int k)
{
    double *v = calloc((size_t)k + 1, sizeof(*v));
    int ok = 0;
    const char *first = "";
    for (int i = 0; i < k; i++) {
        if (getenv("GTIDSTORM_VERBOSE"))
            fprintf(stderr, "%sreplica %d %s:%llu after group %llu: %.1f ms %s\n", prefix, i, r[i].file,
                    (unsigned long long)r[i].pos, (unsigned long long)r[i].g, r[i].ms, r[i].err);
        if (r[i].ok) v[ok++] = r[i].ms;
        else if (!first[0]) first = r[i].err;
    }
    qsort(v, (size_t)ok, sizeof(*v), cmp);
    printf(" %smin_ms=%.1f", prefix, ok ? v[0] : 0);
    printf(" %sk=%d %sok=%d %serrors=%d %sp50_ms=%.1f %sp99_ms=%.1f %smax_ms=%.1f %serror=\"%s\"", prefix, k, prefix, ok,
           prefix, k - ok, prefix, ok ? v[ok / 2] : 0, prefix,
           ok ? v[(ok * 99) / 100 < ok ? (ok * 99) / 100 : ok - 1] : 0, prefix, ok ? v[ok - 1] : 0, prefix, first);
    free(v);
}

/* k GTID replicas and f file/position replicas (positions from dir) at once. */
static int run(const char *host, unsigned port, const char *user, const char *pass, int k, uint64_t groups, int f,
               const char *dir)
{
    int all = k + f;
    struct rep *r = calloc((size_t)all + 1, sizeof(*r));
    if (!r) return 2;
    for (int i = 0; i < all; i++) r[i] = (struct rep){.host = host, .user = user, .pass = pass, .port = port, .idx = i};
    if (f && pick_positions(dir, r + k, f) == -1) {
        fprintf(stderr, "gtidstorm: cannot pick %d file/position starts in %s\n", f, dir);
        return 2;
    }
    pthread_barrier_init(&go, NULL, (unsigned)all + 1);
    mysql_library_init(0, NULL, NULL);
    for (int i = 0; i < all; i++) {
        /* spread over the history, never the last group (there must be one after it) */
        if (i < k) r[i].g = (groups - 2) * (uint64_t)(2 * i + 1) / (uint64_t)(2 * k);
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 256 * 1024);
        if (pthread_create(&r[i].th, &a, replica, &r[i])) {
            fprintf(stderr, "gtidstorm: cannot start thread %d\n", i);
            return 2;
        }
        pthread_attr_destroy(&a);
    }
    pthread_barrier_wait(&go);
    double t0 = now_s();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    for (int i = 0; i < all; i++) pthread_join(r[i].th, NULL);
    double wall = now_s() - t0, last_sent = 0;
    int bad = 0;
    for (int i = 0; i < all; i++) {
        bad += !r[i].ok;
        if (r[i].sent - t0 > last_sent) last_sent = r[i].sent - t0;
    }
    /* how long the client's own threads took to send every dump command after the barrier:
     * on a small machine the storm's clients compete with the server for the cores */
    printf("wall_s=%.2f go_epoch=%lld.%03ld last_sent_ms=%.1f", wall, (long long)rt.tv_sec, rt.tv_nsec / 1000000, last_sent * 1000);
    report("", r, k);
    if (f) report("fp_", r + k, f);
    printf("\n");
    free(r);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "gen")) return gen(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
    if ((argc == 8 || argc == 10) && !strcmp(argv[1], "run"))
        return run(argv[2], (unsigned)atoi(argv[3]), argv[4], argv[5], atoi(argv[6]), strtoull(argv[7], NULL, 10),
                   argc == 10 ? atoi(argv[8]) : 0, argc == 10 ? argv[9] : NULL);
    fprintf(stderr, "usage: gtidstorm gen DIR MB FILE_MB | gtidstorm run HOST PORT USER PASS K GROUPS [F DIR]\n");
    return 2;
}
