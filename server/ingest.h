/*
 * ingest.h - the upstream session: binlogd as a replica of the primary. Runs on its own
 * thread with blocking libmysqlclient (the C API has no non-blocking binlog fetch) and is
 * the store's only writer. Reconnects with exponential backoff from the store's resume
 * point; a transaction in flight at a disconnect is rolled back, never left for readers.
 */
#ifndef BINLOGD_SERVER_INGEST_H
#define BINLOGD_SERVER_INGEST_H

#include <stdint.h>
#include "storage/store.h"

struct ingest_opts {
    const char *host;
    uint16_t port;
    const char *user;
    const char *password;
    const char *start_file;          /* first file when the store is empty; NULL/"" = oldest */
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
};

enum ingest_state {
    INGEST_IDLE = 0, INGEST_CONNECTING, INGEST_STREAMING, INGEST_BACKOFF, INGEST_STOPPED, INGEST_FAILED
};

struct ingest_status {
    enum ingest_state state;
    char     last_error[512];
    uint32_t last_errno;
    char     upstream_file[EV_MAX_NAME_LEN + 1];
    uint64_t upstream_pos;           /* end of the last event received */
    uint32_t upstream_server_id;
    uint64_t events, bytes, syncs, reconnects;
    int      semi_sync_active;       /* the primary accepted us as a semi-sync replica */
    uint64_t acks;                   /* semi-sync ACKs sent (each after its fdatasync) */
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

/* Snapshot of the session state for status output. Any thread. */
void ingest_status_get(struct ingest *in, struct ingest_status *st);

const char *ingest_state_name(enum ingest_state s);

#endif
