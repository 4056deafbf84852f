/*
 * listener.h - the downstream side: the listener, the set of client sessions, and the
 * "watermark moved" wake-up that lets every waiting dump pull what was just committed
 * (one wake-up per committed batch for all replicas, not one per event per replica).
 *
 * Thread: the loop thread, except listener_notify_watermark() which the ingest thread calls
 * (and which sends to the parked dumps there: park.h).
 */
#ifndef BINLOGD_SERVER_REPLICAS_LISTENER_H
#define BINLOGD_SERVER_REPLICAS_LISTENER_H

#include <stdint.h>
#include <event2/event.h>

#include "conf/config.h"
#include "server/admin/stmt.h"
#include "server/replicas/replicas_ctx.h"
#include "server/upstream/ingest.h"
#include "storage/store.h"

struct listener;
struct session;

/* Create the listener on cfg->listen_host:listen_port (if set). ingest may be NULL (no
 * upstream yet). Returns NULL with err filled. The listener keeps pointers to cfg, store,
 * ingest: they must outlive it. Loop thread. */
struct listener *listener_new(struct event_base *base, const struct config *cfg, struct store *store,
                              struct ingest *ingest, char *err, size_t errlen);

/* Attach the upstream session once it exists (sessions see it through their ctx). */
void listener_set_ingest(struct listener *srv, struct ingest *ingest);
/* Attach the traffic statistics (NULL: off) that statements read. Loop thread, before
 * sessions run statements; the traffic outlives the listener. */
void listener_set_traffic(struct listener *srv, struct traffic *traffic);
/* Attach the split-brain watch (SHOW BINLOG WATCH reads it); it must outlive the listener's
 * sessions. Loop thread (or before the loop runs). */
void listener_set_watch(struct listener *srv, struct watch *w);
/* Attach the archiver's state for SHOW BINLOG ARCHIVE (may be NULL). Loop thread, before serving. */
struct archive_state;
void listener_set_archive_state(struct listener *srv, struct archive_state *st);

/* Reload hook (SIGHUP): read tls.cert / tls.key / tls.ca again into a new TLS context for
 * new connections; sessions keep the context they started with. A broken certificate or
 * key keeps the running context and logs why. Loop thread. */
void listener_reload_tls(void *srv, const struct config *cfg);

/* Attach the PURGE BINARY LOGS implementation (the retention's; NULL: the statement answers
 * that it is not available). Loop thread, before sessions run statements. */
void listener_set_purge(struct listener *srv,
                        void (*fn)(void *arg, enum stmt_purge_kind kind, const char *to, int64_t before,
                                   struct stmt_result *r),
                        void *arg);
/* Attach history restored on demand (see dump.h; r must outlive the listener); NULL: off.
 * Loop thread, before serving. */
struct dump_restore;
void listener_set_restore(struct listener *srv, const struct dump_restore *r);
/* Close the listener and every session. */
void listener_free(struct listener *srv);

/* Wake the loop: the store's watermark moved. Safe from any thread (hook for store_set_notify). */
void listener_notify_watermark(void *srv);

/* Take session s back from the writer thread (park.h). 1: the writer had sent to it, apply
 * the outcome (session_direct_finish). Loop thread; sessions call it through session_claim. */
int listener_unpark(struct listener *srv, struct session *s);

/* A copy of the counters, with the gauges (connections, dumps, helpers) filled in. */
void listener_stats_get(const struct listener *srv, struct replicas_counters *st);

/* ---- for sessions (loop thread) ---- */

/* A session is going away: forget it (and any queued pump of it). */
void listener_session_closed(struct listener *srv, struct session *s);
/* A dump with replica server_id began (delta +1) or ended (-1): the counts that let
 * listener_kill_dumps_with_server_id skip its scan. Sessions call it (session_dump_id_*). */
void listener_dump_id(struct listener *srv, uint32_t server_id, int delta);
/* End other dumps registered with the same replica server_id (mysqld's zombie-dump rule). */
void listener_kill_dumps_with_server_id(struct listener *srv, struct session *except, uint32_t server_id);
/* A streaming dump's socket buffer drained: queue its pump for the end of this loop turn,
 * where all queued pumps run together (in parallel with binlogd.wake_threads helpers).
 * Without helpers the queued pumps run on the loop thread alone. */
void listener_queue_pump(struct listener *srv, struct session *s);
/* When the current round of queued pumps stops starting new ones (session_now_ms clock): read
 * by session_stream_pump on the loop thread and the helpers during the round. */
uint64_t listener_flush_deadline_ms(const struct listener *srv);

/* ---- what statements see of the listener (struct stmt_ctx's functions; loop thread) ---- */

/* The registered replicas (SHOW SLAVE HOSTS): fills out[0..cap), returns how many in all. */
size_t listener_replicas(struct listener *srv, struct stmt_replica *out, size_t cap);
/* SHOW STATUS counters, in a fixed order: fills out[0..cap), returns how many in all. */
size_t listener_counters(struct listener *srv, struct stmt_counter *out, size_t cap);
/* Every connection as SHOW PROCESSLIST shows it: fills out[0..cap), returns how many in all. */
size_t listener_threads(struct listener *srv, struct stmt_thread *out, size_t cap);
/* ---- what monitoring sees (server/ops; loop thread) ---- */

/* Every session that is dumping, as copies: fills out[0..cap), returns how many in all. */
struct dump_info;
size_t listener_dumps(struct listener *srv, struct dump_info *out, size_t cap);
/* Every dumping session's file (what a connected replica reads protects that file and later
 * ones from retention): cb(arg, file, server_id, host) for each. Returns how many. */
size_t listener_reader_files(struct listener *srv,
                             void (*cb)(void *arg, const char *file, uint32_t server_id, const char *host), void *arg);
/* Connections now, by the role they logged in with (by_role[enum config_role]), and those
 * not logged in yet (*unauthenticated). */
void listener_connections_by_role(struct listener *srv, uint64_t by_role[3], uint64_t *unauthenticated);

/* KILL conn_id for the client caller_id/user: an admin may kill any connection, others
 * only their own user's (others' are invisible, as in mysqld). The caller itself is not
 * killed here (STMT_KILL_SELF). */
enum stmt_kill_outcome listener_kill(struct listener *srv, uint32_t conn_id, uint32_t caller_id, const char *user,
                                     int is_admin);

#endif
