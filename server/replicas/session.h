/*
 * session.h - one client connection: HANDSHAKE -> AUTH -> COMMAND <-> DUMP -> CLOSING.
 * Thread: the loop thread.
 */
#ifndef BINLOGD_SERVER_REPLICAS_SESSION_H
#define BINLOGD_SERVER_REPLICAS_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <event2/util.h>

#include "conf/config.h"
#include "server/admin/stmt.h"
#include "server/replicas/replicas_ctx.h"

struct session;

enum session_state {
    SESSION_HANDSHAKE = 0,   /* greeting sent, waiting for HandshakeResponse */
    SESSION_AUTH_SWITCH,     /* AuthSwitchRequest sent, waiting for the scramble */
    SESSION_COMMAND,         /* authenticated, reading commands */
    SESSION_DUMP,            /* streaming binlog events */
    SESSION_CLOSING          /* flushing the last bytes, then free */
};

/* Take ownership of an accepted socket and send the greeting. ctx (the listener's; must
 * outlive the session) gives it everything it reads; conn_id is its connection id.
 * NULL on failure (fd closed). */
struct session *session_new(const struct replicas_ctx *ctx, uint32_t conn_id, evutil_socket_t fd,
                            const struct sockaddr *addr, int socklen);

/* Close at once and free. */
void session_free(struct session *s);

/* The store's watermark moved. A waiting dump pulls what is new in two steps so that many
 * sessions can be pumped in parallel (listener.c, wake_pool.h):
 * session_wake_wanted: is this a dump waiting at the end of the log? (loop thread)
 * session_wake_pump:   pull and send what is new; touches only this session's dump and
 *                      socket buffer, so any one thread may run it while the loop thread
 *                      waits (arg: struct session *)
 * session_wake_finish: counters and state changes (finished, failed: closing); loop thread,
 *                      after the pump. Never frees the session. */
int session_wake_wanted(const struct session *s);
void session_wake_pump(void *arg);
void session_wake_finish(struct session *s);

/* A streaming dump, queued by listener_queue_pump, pumped at the end of the loop turn:
 * session_stream_pump: pump and write to the socket directly, a bounded number of rounds,
 *                      until the socket is full or the dump waits/ends; same thread rules as
 *                      session_wake_pump (arg: struct session *)
 * session_stream_finish: outcomes on the loop thread; queues the dump again when it stopped
 *                      at the burst bound with its buffer drained (no write event would come).
 * session_pump_pending / session_set_pump_pending: the server's "queued" mark (loop thread).
 * session_stream_skipped: session_stream_pump did nothing because the round's deadline
 *                      (listener_flush_deadline_ms) had passed: queue it again, first, and
 *                      do not call session_stream_finish (loop thread). */
void session_stream_pump(void *arg);
/* Direct wake-ups (park.h):
 * session_park_eligible: a plaintext dump waiting at the end of the log, nothing queued, not
 *                      parked (loop thread).
 * session_set_parked:  the listener parked it (loop thread).
 * session_direct_pump: pump and write to the socket (the writer thread, park_run; arg:
 *                      struct session *).
 * session_direct_finish: after the writer pumped it: what the socket did not take goes to the
 *                      socket buffer, then as session_wake_finish (loop thread; the session
 *                      is no longer parked).
 * session_claim:       take a parked session back before the loop touches its dump or its
 *                      socket; finishes it when the writer had pumped it. Every loop entry
 *                      into a dumping session calls it first (loop thread). */
int session_park_eligible(const struct session *s);
void session_set_parked(struct session *s);
void session_direct_pump(void *arg);
void session_direct_finish(struct session *s);
void session_claim(struct session *s);
void session_stream_finish(struct session *s);
int session_stream_skipped(const struct session *s);
int session_pump_pending(const struct session *s);
void session_set_pump_pending(struct session *s, int on);

/* End the session with an ERR packet (flushed first, then closed). */
void session_kill(struct session *s, uint16_t code, const char *msg);

uint32_t session_conn_id(const struct session *s);
/* The authenticated user name ("" before authentication). */
const char *session_user(const struct session *s);
enum session_state session_get_state(const struct session *s);
/* server_id from COM_REGISTER_SLAVE or the dump command (0 if none). */
uint32_t session_replica_server_id(const struct session *s);

/* Registration data for SHOW SLAVE HOSTS (valid while the session lives). */
struct session_replica_info {
    uint32_t server_id;
    char host[256];
    uint16_t port;
    int registered;
};
void session_replica_info(const struct session *s, struct session_replica_info *out);

/* This connection as SHOW PROCESSLIST shows it (mariadbd's command and state names; time
 * = seconds since its current command/state began, now_ms on session_now_ms's clock).
 * The strings stay valid while the session lives and does not change state. */
void session_thread_info(const struct session *s, uint64_t now_ms, struct stmt_thread *out);
/* The dump this session runs, for monitoring (now_ms on session_now_ms's clock). 0 and
 * *out filled, or -1 when the session is not dumping. */
struct dump_info;
int session_dump_info(const struct session *s, uint64_t now_ms, struct dump_info *out);
/* The file a dumping session reads (end of its last event sent) and its replica's server_id
 * and host, cheaper than session_dump_info. 0, or -1 when the session is not dumping. */
int session_dump_file(const struct session *s, char *file, size_t cap, uint32_t *server_id, char *host,
                      size_t hcap);
/* The role the session logged in with: 0 and *role, or -1 before authentication. */
int session_role(const struct session *s, enum config_role *role);
/* Is it running something (a command, a statement answering later, or a dump)? */
int session_busy(const struct session *s);
/* The clock session times are taken on (monotonic milliseconds). */
uint64_t session_now_ms(void);

/* The server's slot for this session (O(1) removal). */
void session_set_slot(struct session *s, size_t slot);
/* Let in on the extra slot over binlogd.max_connections: only an admin account may log in
 * (others get ERR 1040 after authenticating, as in mariadbd). Right after session_new. */
void session_set_admin_only(struct session *s);
size_t session_get_slot(const struct session *s);

const char *session_state_name(enum session_state st);

#endif
