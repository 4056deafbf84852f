/*
 * session_priv.h - the session struct and what session.c and session_dump.c share. Only
 * those two files include it.
 * Thread: the loop thread, except where session.h says a pump may run on a helper.
 */
#ifndef BINLOGD_SERVER_REPLICAS_SESSION_PRIV_H
#define BINLOGD_SERVER_REPLICAS_SESSION_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "conf/config.h"
#include "protocol/bbuf.h"
#include "protocol/command.h"
#include "protocol/errmsg.h"
#include "protocol/gtid_start.h"
#include "protocol/handshake.h"
#include "server/admin/stmt.h"
#include "server/admin/uservars.h"
#include "server/replicas/dump.h"
#include "server/replicas/session.h"

/* The socket buffer: a streaming dump pulls more below the low mark, stops at the high. */
#define OUT_LOW_WATERMARK (64u * 1024)
#define OUT_HIGH_WATERMARK (256u * 1024)
/* What all dumps together may hold in output buffers and read-ahead windows: each gets an
 * equal share, between a floor that keeps the syscalls per byte low and the single-reader
 * maximum (256 KiB out up to 256 dumps, 128 KiB read-ahead up to 192; 64 + 24 KiB at 1000).
 * A dump that is caught up holds neither (its window is dropped, its buffer drains). A refill
 * reserves at most the room left under its share (dump.c, stage_room), so a dump holds about
 * its share, not its share plus a chunk. */
#define DUMPS_OUT_BUDGET (64u << 20)
#define DUMPS_WINDOW_BUDGET (24u << 20)
#define OUT_HIGH_FLOOR (32u * 1024)

/* A dump of s began (+1) or ended (-1): recompute every dump's share of the buffer budget
 * (replicas_counters.dump_high / dump_window, which the dumps read live). Loop thread. */
void session_dumps_changed(struct session *s, int delta);

struct session {
    const struct replicas_ctx *ctx;
    struct bufferevent *bev;
    struct event *closer;        /* deferred free, so no callback frees its own caller */
    struct event *hb;            /* heartbeat timer while dumping */
    struct event *later;         /* polls a statement that answers later; input waits meanwhile */
    struct stmt_later later_what;
    char *later_sql;               /* the statement that answers later (PROCESSLIST's Info) */
    size_t later_sql_len;
    uint64_t later_waited_ms;
    uint32_t id;
    size_t slot;
    enum session_state state;
    uint8_t seq;
    uint8_t scramble[HS_SCRAMBLE_LEN];
    char user[HS_USER_MAX + 1];
    char peer[80], peer_host[64];
    /* The account's role, copied when the login succeeded. No pointer into the config's
     * account table is kept across loop turns: a reload (SIGHUP) replaces that table, and
     * a session already logged in keeps the role it logged in with. */
    enum config_role role;
    int authenticated;           /* got past authentication (else, when it ends: an aborted connect) */
    struct bbuf out;             /* reply being built */
    struct uservars vars;        /* grown on demand: an idle replica keeps a few */
    struct session_replica_info rep;
    struct dump *dump;
    uint64_t counted_events, counted_bytes;
    enum dump_state wake_result;   /* set by session_*_pump, read by session_*_finish */
    int pump_pending;              /* queued in the listener's flush list */
    int stream_skipped;            /* the last streaming round ran out of time before this one */
    int in_park;                   /* handed to the writer thread (park.h): session_claim first */
    uint32_t dump_id;              /* the server_id counted in the listener (listener_dump_id) */
    int dump_id_on;                /* ... while this is set: from the dump start to its end */
    int in_command;                /* a command is being executed (Threads_running) */
    uint64_t since_ms;             /* when the current command / state began (PROCESSLIST Time) */
    /* for monitoring (session_dump_info): set when a dump starts */
    int dump_gtid, dump_semi;
    uint64_t dump_acks;            /* semi-sync ACKs this replica sent */
    uint64_t caught_up_ms;         /* last time the dump waited at the committed watermark */
    /* TLS (tls.h): tls_ctx is the reference taken when the greeting offered CLIENT_SSL (NULL:
     * not offered); tls is set once the SSLRequest switched the socket to TLS, after which
     * every byte goes through the OpenSSL bufferevent (no sendfile, no direct writes). */
    SSL_CTX *tls_ctx;
    int tls;
    int stream_prio;               /* the socket runs at REPLICAS_PRIO_STREAM (first event sent) */
    int tls_handshake_done;
    uint32_t ssl_caps;             /* the SSLRequest's capability flags, kept as mariadbd does */
    /* login (session_auth.c) and limits */
    uint32_t max_packet;           /* binlogd.max_allowed_packet when the session began */
    int admin_only;                /* let in on the extra slot: must log in as an admin account */
    int auth_wait;                 /* SESSION_AUTH_SWITCH: what the next packet is (session_auth.c) */
    int deny_had_password;         /* a throttled failure: what its ERR 1045 says */
    struct event *login_timer;     /* connect_timeout: from accept to a finished login */
    struct event *deny_timer;      /* a failed login's ERR waits on this (auth_throttle.h) */
    /* the last statement's notes (SHOW WARNINGS); NULL while there are none, so an idle
     * replica pays nothing */
    struct stmt_warning *warn;
    size_t nwarn;
};


/* Queue what is in s->out on the socket (closes the session when building it ran out of
 * memory). */
void session_flush(struct session *s);
/* OK / ERR replies, flushed. */
void session_send_ok(struct session *s);
void session_send_myerr(struct session *s, const struct myerr *e);
void session_send_err(struct session *s, uint16_t code, const char *msg);
/* A new command / state begins now: PROCESSLIST's Time counts from here. */
void session_mark(struct session *s);
/* Flush what is queued, then close (freed from the loop, never from the caller's stack). */
void session_close(struct session *s);

/* ---- session_auth.c ---- */

/* Arm the login deadline (binlogd.connect_timeout). 0, or -1 (out of memory). */
int session_auth_start(struct session *s);
/* The parsed handshake response (user already copied into s->user): verify, ask for more
 * (AuthSwitch / AuthMoreData), or deny. */
void session_auth_response(struct session *s, const struct hs_response *r);
/* The next auth packet in SESSION_AUTH_SWITCH. */
void session_auth_more(struct session *s, const uint8_t *p, size_t len);
/* Free the login timers (from session_free). */
void session_auth_free(struct session *s);
/* Is the connection encrypted? caching_sha2 full authentication (the password in clear)
 * is offered only then. The TLS listener makes this true for its sessions. */
int session_is_secure(const struct session *s);

/* ---- session_dump.c ---- */

/* Count (on) / uncount (off, idempotent) the session's dump server_id in the listener. */
void session_dump_id_on(struct session *s, uint32_t server_id);
void session_dump_id_off(struct session *s);
/* COM_BINLOG_DUMP, or a resolved COM_BINLOG_DUMP_GTID (mysql_gs: owned from here on, NULL
 * for a plain dump): start streaming, or answer the error a primary would. replica_coords:
 * d's file and position are the replica's own (heartbeats while its first file is restored
 * name them); 0 for a MySQL auto-position dump, which names no file. Loop thread. */
void session_dump_start(struct session *s, const struct cmd_binlog_dump *d, struct gtid_start *mysql_gs,
                        int replica_coords);
/* COM_BINLOG_DUMP_GTID (MySQL MASTER_AUTO_POSITION=1): resolve the GTID set, then start. */
void session_dump_start_gtid(struct session *s, const struct cmd_binlog_dump_gtid *g);
/* A packet from a replica while it dumps: semi-sync ACK or COM_QUIT; anything else closes. */
void session_dump_input(struct session *s, const uint8_t *p, size_t len);
/* Pump the dump on this thread and react to its state (the socket drained). */
void session_dump_step(struct session *s);

#endif
