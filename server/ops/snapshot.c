/* snapshot.c - see snapshot.h. */
#include "server/ops/snapshot.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "server/replicas/listener.h"

uint64_t ops_bytes_behind(const struct store_file_info *files, size_t n, const char *file, uint64_t pos)
{
    size_t i = 0;
    while (i < n && strcmp(files[i].name, file)) i++;
    if (i == n) return 0;
    uint64_t b = files[i].size > pos ? files[i].size - pos : 0;
    for (i++; i < n; i++) b += files[i].size;
    return b;
}

static int rep_cmp(const void *a, const void *b)
{
    const struct ops_replica *x = a, *y = b;
    if (x->bytes_behind != y->bytes_behind) return x->bytes_behind > y->bytes_behind ? -1 : 1;
    if (x->d.server_id != y->d.server_id) return x->d.server_id < y->d.server_id ? -1 : 1;
    return x->d.conn_id < y->d.conn_id ? -1 : x->d.conn_id > y->d.conn_id;
}

size_t ops_replica_select(struct ops_replica *reps, size_t n, size_t max, struct ops_replica *other)
{
    memset(other, 0, sizeof(*other));
    if (n) qsort(reps, n, sizeof(*reps), rep_cmp);
    size_t keep = n < max ? n : max;
    for (size_t i = keep; i < n; i++) {
        const struct ops_replica *r = &reps[i];
        other->others += r->others ? r->others : 1;
        other->bytes_behind += r->bytes_behind;
        other->d.bytes_sent += r->d.bytes_sent;
        other->d.events_sent += r->d.events_sent;
        other->d.semi_sync_acks += r->d.semi_sync_acks;
        if (r->d.behind_s > other->d.behind_s) other->d.behind_s = r->d.behind_s;
    }
    return keep;
}

static int ident_cmp(const void *a, const void *b)
{
    const struct ops_replica *x = a, *y = b;
    if (x->d.server_id != y->d.server_id) return x->d.server_id < y->d.server_id ? -1 : 1;
    if (x->d.mode != y->d.mode) return x->d.mode < y->d.mode ? -1 : 1;
    return strcmp(x->d.host, y->d.host);
}

size_t ops_replica_merge(struct ops_replica *reps, size_t n)
{
    if (n < 2) return n;
    qsort(reps, n, sizeof(*reps), ident_cmp);
    size_t w = 0;
    for (size_t i = 1; i < n; i++) {
        struct ops_replica *k = &reps[w], *r = &reps[i];
        if (ident_cmp(k, r)) {
            reps[++w] = *r;
            continue;
        }
        k->others = (k->others ? k->others : 1) + 1;
        k->bytes_behind += r->bytes_behind;
        k->d.bytes_sent += r->d.bytes_sent;
        k->d.events_sent += r->d.events_sent;
        k->d.semi_sync_acks += r->d.semi_sync_acks;
        if (r->d.behind_s > k->d.behind_s) k->d.behind_s = r->d.behind_s;
        if (r->d.activity > k->d.activity) k->d.activity = r->d.activity;
    }
    return w + 1;
}

/* Entries of /proc/self/fd, without the one opendir itself holds. */
static uint64_t count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 0;
    uint64_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n ? n - 1 : 0;
}

static void read_statm(uint64_t *vsz, uint64_t *rss)
{
    *vsz = *rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return;
    unsigned long long size = 0, res = 0;
    if (fscanf(f, "%llu %llu", &size, &res) == 2) {
        long pg = sysconf(_SC_PAGESIZE);
        *vsz = size * (uint64_t)pg;
        *rss = res * (uint64_t)pg;
    }
    fclose(f);
}

/* Seconds behind the primary, as mariadbd's Seconds_Behind_Master but for a server that
 * only receives: NaN when not streaming; 0 when everything received is committed (binlogd
 * waits for the primary, as a replica whose SQL thread caught up with its IO thread);
 * otherwise now - the timestamp of the last event received (never negative). */
static double seconds_behind(const struct ops_snapshot *s)
{
    if (!s->connected) return NAN;
    const struct ingest_status *in = &s->in;
    if (!strcmp(s->wm.file, in->upstream_file) && s->wm.offset >= in->upstream_pos) return 0;
    if (!in->last_event_ts) return 0;
    double d = (double)s->now_unix - (double)in->last_event_ts;
    return d > 0 ? d : 0;
}

int ops_snapshot_take(const struct ops_sources *src, unsigned what, struct ops_snapshot *s)
{
    memset(s, 0, sizeof(*s));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->now_unix = ts.tv_sec;
    s->now_mono_ms = ingest_now_ms();

    /* committed position, files, GTID state */
    store_watermark_get(src->store, &s->wm);
    for (int tries = 0; tries < 3; tries++) {   /* the writer may add a file between the calls */
        size_t n = store_files(src->store, NULL, 0);
        free(s->files);
        if (!(s->files = calloc(n + 1, sizeof(*s->files)))) return -1;
        size_t got = store_files(src->store, s->files, n + 1);
        s->nfiles = got <= n + 1 ? got : n + 1;
        if (got <= n + 1) break;
    }
    for (size_t i = 0; i < s->nfiles; i++) s->binlog_bytes += s->files[i].size;
    int flavor;
    if (store_gtid_state(src->store, 0, &flavor, s->gtid, sizeof(s->gtid), NULL, 0) == -1) s->gtid[0] = 0;
    s->journal_on = store_journal_use(src->store, &s->journal_used, &s->journal_size, &s->journal_laps) == 0;
    sync_stats_get(&s->sync);
    struct statvfs vfs;
    if (src->data_dir && statvfs(src->data_dir, &vfs) == 0) {
        s->fs_ok = 1;
        s->fs_size = (uint64_t)vfs.f_blocks * vfs.f_frsize;
        s->fs_free = (uint64_t)vfs.f_bfree * vfs.f_frsize;
        s->fs_avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    }

    /* upstream */
    if (src->ingest) {
        struct upstream_conf c;
        s->has_ingest = 1;
        ingest_get_conf(src->ingest, &c);
        ingest_status_get(src->ingest, &s->in);
        snprintf(s->up_host, sizeof(s->up_host), "%s", c.host);
        s->up_port = c.port;
        snprintf(s->up_user, sizeof(s->up_user), "%s", c.user);
        s->up_use_gtid = c.use_gtid;
        memset(&c, 0, sizeof(c));   /* the password does not linger on the stack */
        s->connected = s->in.state == INGEST_STREAMING;
    }
    s->behind_s = seconds_behind(s);
    s->since_recv_s = s->in.last_recv_ms && s->now_mono_ms >= s->in.last_recv_ms
                          ? (double)(s->now_mono_ms - s->in.last_recv_ms) / 1000.0 : NAN;

    /* replicas */
    if (src->lis) {
        listener_stats_get(src->lis, &s->lc);
        listener_connections_by_role(src->lis, s->conn_role, &s->conn_unauth);
        s->registered = listener_replicas(src->lis, NULL, 0);
        size_t n = listener_dumps(src->lis, NULL, 0);
        struct dump_info *d = calloc(n + 1, sizeof(*d));
        if (!(s->reps = calloc(n + 1, sizeof(*s->reps))) || !d) {
            free(d);
            ops_snapshot_free(s);
            return -1;
        }
        size_t got = listener_dumps(src->lis, d, n + 1);   /* same loop turn: the same sessions */
        n = got < n + 1 ? got : n + 1;
        for (size_t i = 0; i < n; i++) {
            s->reps[i].d = d[i];
            s->reps[i].bytes_behind = ops_bytes_behind(s->files, s->nfiles, d[i].file, d[i].pos);
        }
        s->nreps = n;
        free(d);
    }

    /* traffic and the watch: each getter copies under its own short lock */
    s->has_traffic = src->traffic != NULL;
    if (src->traffic && (what & OPS_SNAP_DETAIL) &&
        !(s->traffic = traffic_snapshot_take(src->traffic, s->now_mono_ms, NULL, 0))) {
        ops_snapshot_free(s);
        return -1;
    }
    if (src->watch) {
        s->has_watch = 1;
        watch_summary_get(src->watch, &s->watch);
        if (what & OPS_SNAP_DETAIL) {
            if (!(s->wrows = calloc(WATCH_MAX_SERVERS, sizeof(*s->wrows)))) {
                ops_snapshot_free(s);
                return -1;
            }
            size_t n = watch_status_get(src->watch, s->wrows, WATCH_MAX_SERVERS);
            s->nwrows = n < WATCH_MAX_SERVERS ? n : WATCH_MAX_SERVERS;
            /* A round may have ended between the two getters: the counts follow the rows,
             * so the page's table, its alarm line and the metrics say the same. */
            s->watch.servers = s->nwrows;
            s->watch.split_brain = s->watch.unreachable = 0;
            s->watch.reason[0] = 0;
            for (size_t i = 0; i < s->nwrows; i++) {
                const struct watch_server_status *w = &s->wrows[i];
                if (w->verdict == SPLITBRAIN_SPLIT && !s->watch.split_brain++)
                    snprintf(s->watch.reason, sizeof(s->watch.reason), "%s", w->reason);
                if (w->verdict == SPLITBRAIN_UNREACHABLE) s->watch.unreachable++;
            }
        }
    }

    /* process */
    s->open_fds = count_fds();
    read_statm(&s->vsz_bytes, &s->rss_bytes);
    s->start_unix = s->now_unix - (int64_t)s->lc.uptime_s;
    return 0;
}

void ops_snapshot_free(struct ops_snapshot *s)
{
    free(s->files);
    free(s->reps);
    traffic_snapshot_free(s->traffic);
    free(s->wrows);
    s->files = NULL;
    s->reps = NULL;
    s->traffic = NULL;
    s->wrows = NULL;
    s->nfiles = s->nreps = s->nwrows = 0;
}
