/*
 * listener.h - the downstream side: the listener, the set of client sessions, and the
 * "watermark moved" wake-up that lets every waiting dump pull what was just committed
 * (one wake-up per committed batch for all replicas, not one per event per replica).
 *
 * Thread: the loop thread, except listener_notify_watermark() which the ingest thread calls.
 */
#ifndef BINLOGD_SERVER_REPLICAS_LISTENER_H
#define BINLOGD_SERVER_REPLICAS_LISTENER_H

#include <stdint.h>
#include <event2/event.h>

#include "conf/config.h"
#include "server/upstream/ingest.h"
#include "storage/store.h"

struct listener;
struct session;

struct listener_stats {
    uint64_t connections_total, connections_now, dumps_now, auth_failures;
    uint64_t events_sent, bytes_sent, semi_sync_acks;
    uint64_t wakeups;            /* "watermark moved" rounds that found waiting dumps */
    uint64_t wakeups_parallel;   /* of those, rounds shared with the wake helper threads */
    uint64_t wake_threads;       /* helper threads running */
    uint64_t stream_rounds;      /* loop turns that pumped streaming dumps through the helpers' path */
    uint64_t stream_rounds_parallel;   /* of those, turns with more than one dump (shared) */
};

/* Create the listener on cfg->listen_host:listen_port (if set). ingest may be NULL (no
 * upstream). Returns NULL with err filled. The server keeps pointers to cfg, store, ingest:
 * they must outlive it. */
struct listener *listener_new(struct event_base *base, const struct config *cfg, struct store *store,
                          struct ingest *ingest, char *err, size_t errlen);

/* Attach the upstream session once it exists (for status statements). */
void listener_set_ingest(struct listener *srv, struct ingest *ingest);

/* Close the listener and every session. */
void listener_free(struct listener *srv);

/* Wake the loop: the store's watermark moved. Safe from any thread (hook for store_set_notify). */
void listener_notify_watermark(void *srv);

void listener_stats_get(const struct listener *srv, struct listener_stats *st);

/* ---- used by sessions (loop thread) ---- */
const struct config *listener_config(const struct listener *srv);
struct store *listener_store(const struct listener *srv);
struct ingest *listener_ingest(const struct listener *srv);
struct event_base *listener_base(const struct listener *srv);
uint32_t listener_next_conn_id(struct listener *srv);
void listener_session_closed(struct listener *srv, struct session *s);
/* Find a live session by connection id (KILL), NULL if none. */
struct session *listener_find_session(struct listener *srv, uint32_t conn_id);
/* End other dumps registered with the same replica server_id (mysqld's zombie-dump rule). */
void listener_kill_dumps_with_server_id(struct listener *srv, struct session *except, uint32_t server_id);
/* Counters. */
void listener_count_events(struct listener *srv, uint64_t events, uint64_t bytes);
void listener_count_auth_failure(struct listener *srv);
void listener_count_ack(struct listener *srv);
/* Iterate sessions (for SHOW SLAVE HOSTS / PROCESSLIST): calls fn for each. */
/* A streaming dump's socket buffer drained: queue its pump for the end of this loop turn,
 * where all queued pumps run together (in parallel with binlogd.wake_threads helpers).
 * Returns -1 when there are no helpers: the caller pumps at once. */
int listener_queue_pump(struct listener *srv, struct session *s);
void listener_foreach_session(struct listener *srv, void (*fn)(struct session *s, void *arg), void *arg);

#endif
