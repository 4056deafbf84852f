/*
 * ingest.h - the upstream session: binlogd as a replica of the primary. Runs on its own
 * thread with blocking libmysqlclient (the C API has no non-blocking binlog fetch) and is
 * the store's only writer. Reconnects with exponential backoff from the store's resume
 * point; a transaction in flight at a disconnect is rolled back, never left for readers.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_INGEST_H
#define BINLOGD_SERVER_UPSTREAM_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include "server/upstream/traffic.h"
#include "server/upstream/upstream_conf.h"
#include "server/upstream/upstream_history.h"
#include "storage/store.h"

struct ingest_opts {
    /* Where to replicate from: host "" = nowhere yet (CHANGE MASTER + START SLAVE later).
     * log_file is the first file when the store is empty ("" = the primary's oldest). */
    struct upstream_conf up;
    const char *candidates;          /* "host:port,..." for automatic failover; NULL/"" = off */
    uint32_t failover_after_s;       /* upstream gone this long -> look for a candidate */
    uint32_t server_id;              /* ours */
    uint32_t connect_timeout_s;
    uint32_t net_timeout_s;          /* read timeout; heartbeats keep an idle link under it */
    uint32_t heartbeat_ms;           /* 0 = net_timeout/2 */
    uint32_t retry_min_ms, retry_max_ms;
    uint64_t max_packet;
    uint32_t group_commit_max_ms;    /* longest a complete trx may wait for its burst to end */
    uint64_t group_commit_max_bytes;
    uint32_t sync_interval_ms;       /* storage.sync=interval:MS (0 otherwise) */
    int      semi_sync;              /* act as a semi-sync replica: ACK after fdatasync */
    struct traffic *traffic;         /* stats.enabled: fed every stored event (not owned); NULL = off */
};

enum ingest_state {
    INGEST_IDLE = 0, INGEST_CONNECTING, INGEST_STREAMING, INGEST_BACKOFF, INGEST_STOPPED, INGEST_FAILED,
    INGEST_PAUSED                    /* STOP SLAVE, or no upstream configured */
};

struct ingest_status {
    enum ingest_state state;
    char     last_error[512];
    uint32_t last_errno;
    char     upstream_file[EV_MAX_NAME_LEN + 1];
    uint64_t upstream_pos;           /* end of the last event received */
    uint32_t upstream_server_id;
    uint64_t events, bytes, syncs, reconnects;
    uint64_t trx;                    /* transactions received and stored (their last event appended) */
    int      semi_sync_active;       /* the primary accepted us as a semi-sync replica */
    uint64_t acks;                   /* semi-sync ACKs sent (each after its fdatasync) */
    /* For lag and health (server/ops): when the primary was last heard from, and the time
     * of the newest event it sent. */
    uint64_t last_recv_ms;           /* CLOCK_MONOTONIC ms (ingest_now_ms) of the last event or
                                        heartbeat received, or of the dump starting; 0 = never */
    uint32_t last_event_ts;          /* header timestamp (primary's clock, Unix seconds) of the
                                        last event stored; 0 = none yet */
    uint64_t heartbeats;             /* heartbeat events received */
};

struct ingest;

/* Copy opts (strings included). `on_fatal` is called once, from the ingest thread, when the
 * store reports STORE_FATAL (the process must exit non-zero). Returns NULL on ENOMEM. */
struct ingest *ingest_new(const struct ingest_opts *opts, struct store *store,
                          void (*on_fatal)(void *arg), void *arg);

/* Start the thread. 0 or -1 (errno). */
int ingest_start(struct ingest *in);

/* Ask the thread to stop (it interrupts a blocking read), wait for it, leave the store
 * synced at a transaction boundary. Any thread but the ingest thread. Idempotent. */
void ingest_stop(struct ingest *in);

/* Free (stops first if needed). */
void ingest_free(struct ingest *in);

/* STOP SLAVE: ask the thread to end the upstream session (a blocking read is cut at once; the
 * partial transaction is rolled back, the rest made durable) and park. Does not wait: the event
 * loop must not block; poll ingest_settled() until it says 1 (parked, store settled). */
void ingest_request_pause(struct ingest *in);
int ingest_settled(struct ingest *in);
/* START SLAVE. 0, or -1 when no upstream host is configured. */
int ingest_resume(struct ingest *in);
/* 1 while STOP SLAVE is in effect (or no host is configured). */
int ingest_paused(struct ingest *in);

/* CHANGE MASTER: replace the upstream settings (only while paused: else -1 with err). They
 * are stored in the data directory first (atomic replace), so they survive a restart. */
int ingest_set_conf(struct ingest *in, const struct upstream_conf *c, char *err, size_t errlen);
void ingest_get_conf(struct ingest *in, struct upstream_conf *c);

/* The primaries binlogd followed before the current one (newest first), as stored in the
 * data directory (UPSTREAM_HISTORY_FILE): loaded by ingest_new, extended on every failover and
 * every CHANGE MASTER to another host:port. Copied into *out. Any thread. */
void ingest_history_get(struct ingest *in, struct upstream_history *out);

/* Reload: the heartbeat period to ask of the primary (0 = net_timeout/2). It is a setting
 * of the replication session, so it applies from the next connection; the current session
 * keeps the period it asked for (no reconnect just for this). Any thread (atomic). */
void ingest_set_heartbeat_ms(struct ingest *in, uint32_t ms);

/* fn(arg) is called from the ingest thread each time a write or sync fails for want of
 * space (ENOSPC/EDQUOT), just before ingest pauses and retries with backoff: retention uses it
 * to purge archived files early (storage.min_free_bytes) so the retry finds room. fn must be
 * thread-safe and quick. Call before ingest_start. */
void ingest_set_on_nospace(struct ingest *in, void (*fn)(void *arg), void *arg);

/* Snapshot of the session state for status output. Any thread. */
void ingest_status_get(struct ingest *in, struct ingest_status *st);

const char *ingest_state_name(enum ingest_state s);

/* The clock of ingest_status.last_recv_ms (CLOCK_MONOTONIC milliseconds). Any thread. */
uint64_t ingest_now_ms(void);

#endif
