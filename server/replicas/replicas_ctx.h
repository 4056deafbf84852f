/*
 * replicas_ctx.h - what the listener hands every session at birth: the loop, the config,
 * the store, the upstream session and the counters, so a session never calls back into
 * the listener for them. The listener owns the struct (one per listener) and keeps it
 * current (ingest is attached after the listener starts); sessions only read it, except
 * the counters, which they bump on the loop thread.
 */
#ifndef BINLOGD_SERVER_REPLICAS_REPLICAS_CTX_H
#define BINLOGD_SERVER_REPLICAS_REPLICAS_CTX_H

#include <stdint.h>

#include "protocol/query.h"
#include "server/admin/stmt.h"

struct event_base;
struct config;
struct store;
struct ingest;
struct traffic;
struct listener;
struct watch;
struct tls_server;
struct auth_throttle;
struct archive_state;
struct dump_restore;

/* Event priorities of the loop (main: event_base_priority_init(base, REPLICAS_PRIORITIES)).
 * Everything runs at libevent's default, the middle one, except streaming: a dump that has
 * sent its first event moves its socket to REPLICAS_PRIO_STREAM, and so does the queue of
 * streaming pumps. In a reconnect storm new logins, commands and dump starts (and the wake-up
 * of caught-up replicas) then go before refilling the buffers of replicas already streaming a
 * backlog, so every replica's first event leaves before anyone's second buffer. */
#define REPLICAS_PRIORITIES 3
#define REPLICAS_PRIO_STREAM 2

struct replicas_counters {
    uint64_t connections_total, connections_now, dumps_now, auth_failures;
    /* Buffer budget shared by the dumps (session_dump.c: dumps_live changes it): each dump's
     * output high watermark and cursor read-ahead bound, read live at every pump/refill. */
    uint64_t dumps_live;
    uint32_t dump_high, dump_window;
    uint64_t events_sent, bytes_sent, semi_sync_acks;
    uint64_t wakeups;            /* "watermark moved" rounds that found waiting dumps */
    uint64_t wakeups_parallel;   /* of those, rounds shared with the wake helper threads */
    uint64_t wake_threads;       /* helper threads running */
    uint64_t direct_wakes;       /* commits the writer thread sent to a parked dump itself (park.h) */
    uint64_t stream_rounds;      /* loop turns that pumped streaming dumps through the helpers' path */
    uint64_t stream_rounds_parallel;   /* of those, turns with more than one dump (shared) */
    /* mariadbd's status names (SHOW GLOBAL STATUS, COM_STATISTICS), same meaning: */
    uint64_t questions;          /* commands from clients except COM_PING / COM_STATISTICS */
    uint64_t bytes_received;     /* every packet read from clients, headers included */
    uint64_t bytes_replies;      /* replies other than dump events (Bytes_sent = this + bytes_sent) */
    uint64_t aborted_connects;   /* connections that ended before authenticating */
    uint64_t aborted_clients;    /* logged-in sessions closed for idling past idle_timeout */
    uint64_t access_denied;      /* ERR 1045 and 1227 sent (mariadbd's Access_denied_errors) */
    uint64_t connections_refused;   /* ERR 1040: over max_connections */
    uint64_t max_used_connections;
    uint64_t ssl_accepts;        /* SSLRequests answered with a TLS handshake (mariadbd's name) */
    uint64_t ssl_finished_accepts;   /* of those, handshakes that completed */
    uint64_t tls_refused;        /* plaintext logins refused: tls.require or user.NAME.require_tls */
    uint64_t com[QUERY_KIND_COUNT];    /* statements by kind (Com_*) */
    /* gauges, filled by listener_stats_get */
    uint64_t uptime_s;
    uint64_t threads_running;    /* sessions in a command or dumping */
    uint64_t auth_delayed;       /* failed logins whose ERR was slowed (auth_throttle.h) */
    uint64_t auth_throttled_hosts;   /* hosts with failures remembered */
};

struct replicas_ctx {
    struct event_base *base;
    const struct config *cfg;
    struct store *store;
    struct ingest *ingest;               /* NULL until main attaches the upstream session */
    struct traffic *traffic;             /* traffic statistics; NULL when stats.enabled is off */
    struct watch *watch;                 /* the split-brain watch; NULL until main attaches it */
    struct tls_server *tls;              /* the listener's TLS context holder (TLS may be off) */
    struct archive_state *archive;       /* the archiver's state (SHOW BINLOG ARCHIVE); NULL: none */
    struct replicas_counters *counters;  /* the listener's; loop thread only */
    struct listener *lis;                /* registry: closed, zombie dumps, pump queue, KILL */
    struct auth_throttle *throttle;      /* failed logins per host (the listener's); NULL: none */
    /* PURGE BINARY LOGS (struct stmt_ctx's purge), from the retention above; NULL: none */
    void (*purge)(void *purge_arg, enum stmt_purge_kind kind, const char *to, int64_t before, struct stmt_result *r);
    void *purge_arg;
    /* History purged here but archived, restored on demand (storage.restore_command; see
     * dump.h): dumps start in or reach such files through it. NULL: off (the replica gets the
     * primary's ERR 1236). */
    const struct dump_restore *restore;
};

#endif
