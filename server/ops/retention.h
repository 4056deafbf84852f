/*
 * retention.h - the retention policy (README "Retention"): storage.expire_logs_seconds,
 * storage.max_disk_bytes, storage.min_files and storage.min_free_bytes, checked on a timer
 * (every second) and right after every rotation, plus PURGE BINARY LOGS. It decides with the
 * pure planner (storage/purge_plan.h) and carries the decision out with the store's
 * crash-safe purge (storage/purge.h).
 *
 * Inputs: the store's file list; the time of each file's last event (read once per file and
 * size, cached); the files connected replicas read (the listener: a disconnected replica
 * protects nothing); the keep predicate (the archive's "not archived yet"; none = every
 * closed file is purgeable); free space of the data directory's filesystem (statvfs).
 *
 * Threads: the loop thread, except retention_notify (the store's writer thread).
 */
#ifndef BINLOGD_SERVER_OPS_RETENTION_H
#define BINLOGD_SERVER_OPS_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "server/admin/stmt.h"
#include "storage/purge_plan.h"

struct event_base;
struct store;
struct listener;
struct config;
struct prom;
struct bbuf;
struct ops_snapshot;
struct retention;

struct retention_opts {
    uint64_t expire_s;       /* 0 = off */
    uint64_t max_disk;       /* 0 = off */
    uint32_t min_files;      /* >= 1 */
    uint64_t min_free;       /* 0 = off */
};

struct retention_stats {
    uint64_t runs;                   /* checks done */
    uint64_t files_purged, bytes_purged;
    uint64_t purge_errors;           /* purges refused by the store, unlinks that failed */
    uint64_t readers_overridden;     /* files a connected replica was on, purged by max_disk_bytes */
    uint64_t files;                  /* what the index lists now */
    uint64_t disk_bytes;             /* ... on disk (compressed files at NAME.z's size): what
                                        storage.max_disk_bytes counts */
    uint64_t orig_bytes;             /* ... their original bytes (SHOW BINARY LOGS sizes) */
    int64_t  oldest_age_s;           /* age of the oldest file's last event; -1 unknown / none */
    char     oldest[EV_MAX_NAME_LEN + 1];   /* its name ("" when none) */
};

/* The options from the configuration. Pure. */
void retention_opts_from_config(struct retention_opts *o, const struct config *cfg);

/* Start the timer. data_dir is statvfs'ed for storage.min_free_bytes; lis may be NULL (no
 * readers). NULL on ENOMEM. Loop thread. */
struct retention *retention_new(struct event_base *base, struct store *store, struct listener *lis,
                                const char *data_dir, const struct retention_opts *o);
void retention_free(struct retention *r);

/* New options (a reload); applied at the next check, which is scheduled at once. */
void retention_set_opts(struct retention *r, const struct retention_opts *o);

/* The archive's seam: keep(arg, name, why) holds a file back ("not archived yet"); done(arg,
 * name, size) hears of every file unlinked by a purge. NULL: none. Loop thread. */
void retention_set_keep(struct retention *r, purge_keep_fn keep, void *arg);
void retention_set_done(struct retention *r, purge_done_fn done, void *arg);

/* Tests only: kill -9 the process at a purge step ("intent", "index", "gtid_index",
 * "unlink[:N]" = after the N-th unlink (1-based), "done"). 0, or -1 for a bad spec. */
int retention_set_crash(struct retention *r, const char *spec);

/* The store's watermark moved (store_set_notify chain, writer thread): a new file starts a
 * check on the loop at once. Cheap: one name comparison per call. */
void retention_notify(struct retention *r, const char *writing_file);

/* Ingest's disk-full hook (ingest_set_on_nospace; arg = the retention; ingest thread): with
 * storage.min_free_bytes set, run a check at once that frees at least min_free_bytes of the
 * oldest archived files no reader is on, so ingest's next retry finds room instead of
 * waiting for the timer. Without min_free_bytes nothing is purged early (ingest just pauses). */
void retention_disk_full(void *arg);

/* Run one check now (loop thread). */
void retention_check(struct retention *r);

/* PURGE BINARY LOGS (struct stmt_ctx's purge; arg = the retention). */
void retention_purge_stmt(void *arg, enum stmt_purge_kind kind, const char *to, int64_t before, struct stmt_result *res);

/* A copy of the counters (loop thread). */
void retention_stats_get(struct retention *r, struct retention_stats *out);

/* /metrics families binlogd_purge_* and binlogd_binlog_* (ops_http_add_collector). */
void retention_collect(void *arg, struct prom *p);

/* Status page section "retention" (ops_http_add_section). */
void retention_render(void *arg, const struct ops_snapshot *snap, struct bbuf *out);

#endif
