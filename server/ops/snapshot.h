/*
 * snapshot.h - everything monitoring shows, copied at one moment: the upstream session
 * (ingest_status_get, ingest_get_conf: the same getters SHOW SLAVE STATUS answers from),
 * the committed position and GTID state (store_watermark_get, store_gtid_state: SHOW MASTER
 * STATUS, @@gtid_binlog_pos), the stored files (store_files: SHOW BINARY LOGS), the
 * streaming replicas (listener_dumps), the listener's counters (SHOW STATUS), fsync stats,
 * the filesystem and the process; with OPS_SNAP_DETAIL also the traffic statistics
 * (traffic_snapshot_take: SHOW BINLOG STATISTICS, LAG DOCTOR) and the split-brain watch's
 * rows (watch_status_get: SHOW BINLOG WATCH). /metrics, /healthz and the status page all
 * render one snapshot, so they agree with each other and with the SQL answers.
 *
 * Cost: every getter copies under a short mutex that no thread holds across I/O (the
 * ingest thread's and the store's are taken only around field copies), or reads atomics;
 * statvfs and /proc are read here, at scrape time only. Nothing waits on the ingest thread
 * or the disk.
 *
 * Thread: the loop thread (listener_dumps walks the sessions).
 */
#ifndef BINLOGD_SERVER_OPS_SNAPSHOT_H
#define BINLOGD_SERVER_OPS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "server/replicas/dump_info.h"
#include "server/replicas/replicas_ctx.h"
#include "server/upstream/ingest.h"
#include "server/upstream/traffic.h"
#include "server/upstream/watch.h"
#include "storage/store.h"
#include "storage/sync_stats.h"

struct listener;

/* Where a snapshot reads from (none owned; ingest, lis, traffic and watch may be NULL). */
struct ops_sources {
    struct store *store;
    struct ingest *ingest;
    struct listener *lis;
    struct traffic *traffic;      /* stats.enabled; NULL when off */
    struct watch *watch;          /* the split-brain watch */
    const char *data_dir;         /* statvfs() of the filesystem holding it */
};

struct ops_replica {
    struct dump_info d;
    uint64_t bytes_behind;        /* committed bytes it has not been sent yet */
    uint32_t others;              /* connections this entry sums (ops_replica_merge, the "other" row
                                     of ops_replica_select); 0 = just itself */
};

struct ops_snapshot {
    int64_t  now_unix;            /* CLOCK_REALTIME seconds */
    uint64_t now_mono_ms;         /* ingest_now_ms() */
    /* upstream */
    int      has_ingest;
    char     up_host[256];        /* "" = no upstream configured */
    uint16_t up_port;
    char     up_user[128];
    int      up_use_gtid;
    struct ingest_status in;
    int      connected;           /* streaming from the primary */
    double   behind_s;            /* seconds behind the primary (see README "Monitoring"); NaN = unknown */
    double   since_recv_s;        /* seconds since the primary was last heard from; NaN = never */
    /* committed position */
    struct store_watermark wm;
    char     gtid[2048];          /* @@gtid_binlog_pos (MariaDB) or the executed set (MySQL); "" */
    /* storage */
    struct store_file_info *files;
    size_t   nfiles;
    uint64_t binlog_bytes;        /* committed bytes of every stored file */
    int      journal_on;
    uint64_t journal_used, journal_size, journal_laps;
    int      fs_ok;               /* statvfs worked */
    uint64_t fs_size, fs_free, fs_avail;   /* bytes: total, free, free for unprivileged users */
    struct sync_stats sync;
    /* replicas */
    struct ops_replica *reps;     /* streaming dumps, in listener order */
    size_t   nreps;
    size_t   registered;          /* SHOW SLAVE HOSTS rows */
    struct replicas_counters lc;  /* SHOW STATUS counters */
    uint64_t conn_role[3], conn_unauth;    /* connections now by enum config_role, not logged in */
    /* process */
    uint64_t open_fds, rss_bytes, vsz_bytes;
    int64_t  start_unix;
    /* traffic statistics and the lag doctor (OPS_SNAP_DETAIL) */
    int      has_traffic;         /* stats.enabled */
    struct traffic_snapshot *traffic;      /* owned; NULL without OPS_SNAP_DETAIL or statistics */
    /* the split-brain watch: the summary always, the rows with OPS_SNAP_DETAIL */
    int      has_watch;
    struct watch_summary watch;
    struct watch_server_status *wrows;     /* owned */
    size_t   nwrows;
};

/* What ops_snapshot_take copies besides the basics (what /healthz needs). */
#define OPS_SNAP_DETAIL 1u        /* the traffic statistics and the watch's rows: /metrics, the page */

/* Take a snapshot; what: 0 or OPS_SNAP_DETAIL. 0, or -1 on ENOMEM (nothing to free then).
 * Loop thread. */
int ops_snapshot_take(const struct ops_sources *src, unsigned what, struct ops_snapshot *s);
/* Free what the snapshot owns. */
void ops_snapshot_free(struct ops_snapshot *s);

/* Committed bytes a reader at (file, pos) has yet to receive, from the file list (committed
 * sizes, oldest first): in the same file, size - pos; files after it count whole. 0 when
 * the file is unknown or the reader is at or past the end. Pure. */
uint64_t ops_bytes_behind(const struct store_file_info *files, size_t n, const char *file, uint64_t pos);

/* Dumps with the same identity (server_id, host, mode: e.g. tools that all dump as server_id
 * 0 from one host) become one entry: bytes, events and ACKs summed, the largest lag kept,
 * `others` counting the connections merged (0 for a single one). Reorders reps; returns the
 * new count. Pure. */
size_t ops_replica_merge(struct ops_replica *reps, size_t n);

/* The label-cardinality bound of the per-replica metrics: sort reps (n of them) most
 * bytes-behind first (ties: lower server_id, then connection id), keep `max` of them and sum
 * the rest into *other (bytes, events and ACKs summed; behind_s the largest; others = how
 * many). Returns how many stay labelled (min(n, max)); other->others is 0 when none were
 * folded. Pure. */
size_t ops_replica_select(struct ops_replica *reps, size_t n, size_t max, struct ops_replica *other);

#endif
