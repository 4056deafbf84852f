/*
 * ingest_priv.h - the ingest struct and helpers shared by the ingest_*.c files (ingest.c the
 * thread, ingest_stream.c the upstream session, ingest_switch.c changing primaries,
 * ingest_lost.c a primary's lost tail, ingest_zombie.c ending a previous dump). No one else
 * includes this.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_INGEST_PRIV_H
#define BINLOGD_SERVER_UPSTREAM_INGEST_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "protocol/event.h"
#include "server/upstream/ingest.h"
#include "server/log.h"
#include "server/upstream/upstream_conf.h"
#include "server/upstream/upstream_history.h"
#include "server/upstream/zombie_state.h"

enum sess_result { SESS_RETRY = 0, SESS_STOP, SESS_FATAL };

struct ingest {
    struct ingest_opts o;            /* o.up is the initial copy only: in->up is current */
    atomic_uint heartbeat_ms;        /* o.heartbeat_ms as a reload may change it (next session) */
    char *candidates;                /* owned copy of o.candidates (NULL = no failover) */
    struct store *store;
    void (*on_fatal)(void *);
    void *fatal_arg;
    void (*on_nospace)(void *);      /* ingest_set_on_nospace; set before ingest_start */
    void *nospace_arg;

    pthread_t thread;
    int started;
    atomic_int stopping;
    pthread_mutex_t mu;              /* guards up, paused, st, sock and the wait conditions */
    pthread_cond_t cv;
    struct upstream_conf up;         /* CHANGE MASTER replaces it while paused */
    int paused;                      /* STOP SLAVE asked; the thread idles until START SLAVE */
    int idle;                        /* the thread is parked (no session, store settled) */
    uint64_t up_since_ms;            /* last moment the upstream was streaming (failover clock) */
    int sock;                        /* live upstream socket, -1 if none (to interrupt it) */
    struct ingest_status st;
    char sid_of[300];                /* "host:port" st.upstream_server_id was read from */
    struct upstream_history hist;    /* primaries followed before (persisted; the watch polls them) */
    struct log_ratelimit rl;
    /* The last dump asked for (ingest thread only; ingest_zombie.c): its connection id on the
     * primary, host:port, account and when it began, to end it there if it outlives its
     * session or binlogd itself. Loaded from ZOMBIE_STATE_FILE by ingest_new, saved at every
     * dump. zs_from_file: zs came from the file (a previous run of binlogd). */
    struct zombie_state zs;
    int zs_from_file;
    int zs_save_failing;             /* the last save failed (warned once until one succeeds) */
    char boot_id[ZOMBIE_BOOT_ID_MAX];
};

/* Per-connection stream state: what the last fake ROTATE announced, and the format of the
 * events that follow. */
struct stream {
    MYSQL *m;
    char file[EV_MAX_NAME_LEN + 1];
    int  pending_new_file;           /* fake ROTATE named a file we do not have: its FDE creates it */
    int  switching;                  /* this session continues on a new primary (continuity passed) */
    int  seen_fde;
    enum ev_checksum_alg wire_alg;   /* from @master_binlog_checksum, until the first FDE */
    struct ev_fmt fmt;
    uint64_t first_pending_ms;       /* when the oldest unsynced complete trx arrived */
    int streamed;                    /* stored at least one event this session */
    int semi;                        /* semi-sync negotiated: packets carry 0xEF <flag> */
    int ack_pending;                 /* the primary waits for an ACK of (ack_file, ack_pos) */
    char ack_file[EV_MAX_NAME_LEN + 1];
    uint64_t ack_pos;
};

void ingest_set_state(struct ingest *in, enum ingest_state s);
/* Record (status) and log an error. Repeated warnings in a reconnect loop are rate-limited. */
void ingest_set_error(struct ingest *in, enum log_level lvl, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Run a statement; first column of the first row into out. 0, or the server's error number
 * (-1 when there is none). */
int ingest_query_value(MYSQL *m, const char *sql, char *out, size_t cap, int *has_row);


/* One upstream session (ingest_stream.c): connect, check continuity, register, dump, and
 * stream into the store until an error, STOP SLAVE or shutdown. *streamed is set once
 * events arrived. Ingest thread. */
enum sess_result ingest_session_run(struct ingest *in, int *streamed);
/* mysql_init + options + mysql_real_connect with the ingest's timeouts. NULL with *errno_out
 * and err filled on failure. Ingest thread. */
MYSQL *ingest_connect(struct ingest *in, const struct upstream_conf *up, unsigned *errno_out, char *err,
                      size_t errlen);

/* ---- ingest_zombie.c (ingest thread) ---- */

/* At ingest_new: read what the previous run of binlogd left in ZOMBIE_STATE_FILE (a missing
 * or damaged file only means there is nothing to end; logged at debug/info). */
void ingest_zombie_load(struct ingest *in);
/* The dump was asked for on m: remember its connection id, host:port, account and start, in
 * memory and in ZOMBIE_STATE_FILE (a failed save is a warning: see ingest_zombie.c). */
void ingest_zombie_note(struct ingest *in, MYSQL *m, const struct upstream_conf *up);
/* Before asking for a dump on m (a new session to up): if binlogd's previous dump to the
 * same host:port is still on the primary's processlist (same account, at least as old as
 * ours), KILL CONNECTION it, so the primary's same-server_id rule does not wait for its
 * net_write_timeout. Failures are logged; the session goes on either way. */
void ingest_zombie_end(struct ingest *in, MYSQL *m, const struct upstream_conf *up);

/* ---- ingest_switch.c (ingest thread) ---- */

/* On a new primary (up->switch_pending): the file to continue from, by the continuity rule:
 * up->log_file when given, else (GTID) the newest file of the primary whose start state
 * (BINLOG_GTID_POS(file, 4)) equals binlogd's committed state. 0 with file (pos is 4), or
 * -1 with the refusal recorded (log + SHOW SLAVE STATUS); nothing is written either way. */
int ingest_locate_switch(struct ingest *in, MYSQL *m, const struct upstream_conf *up, char *file, size_t cap);

/* Before resuming (file, pos) on the same primary: does it still continue our copy? A file
 * the primary lists shorter than our committed bytes means it lost its binlog tail in a crash
 * (refused: binlogd never splices the primary's new history onto bytes it no longer has);
 * with use_gtid on a MariaDB primary, BINLOG_GTID_POS(file, pos) must also equal our state.
 * 0 to go on, -1 with the refusal recorded. */
int ingest_check_resume(struct ingest *in, MYSQL *m, const struct upstream_conf *up, const char *file, uint64_t pos);

/* ingest_lost.c: the primary lists `file` with primary_size < held (binlogd's committed
 * bytes). Compare the primary's copy with ours: if it is a byte-for-byte prefix, withdraw our
 * bytes after the last common transaction boundary (kept in a side file, never served again)
 * and return 0 (the next session resumes there); else record the refusal and return -1. */
int ingest_lost_tail(struct ingest *in, const struct upstream_conf *up, const char *file, uint64_t primary_size,
                     uint64_t held);

/* binlogd moves away from upstream `old` (failover or CHANGE MASTER to another host:port):
 * remember it, with its server_id when binlogd learnt it, in the persisted history. Takes
 * in->mu itself (call without it). A failed save is a warning: the list is a hint. */
void ingest_history_note(struct ingest *in, const struct upstream_conf *old);

/* The switch took effect (the new file exists in the store): clear switch_pending, persist. */
void ingest_switch_done(struct ingest *in, const char *file);

/* Automatic failover: probe each candidate (a sibling binlogd: the sibling rule of tier.h;
 * a primary: read_only off, not replicating, and the continuity rule holds); switch the
 * upstream settings to the first that qualifies. 1 when switched, 0 otherwise (reasons
 * logged; *soon set when a sibling was merely behind: worth asking again after the shortest
 * backoff, not the doubled one). */
int ingest_try_candidates(struct ingest *in, int *soon);

/* ---- ingest_tier.c (ingest thread) ---- */

/* Is the server at m a binlogd (its @@version_comment says so)? 1 or 0. */
int ingest_is_binlogd(MYSQL *m);
/* May binlogd continue on the sibling binlogd at m (settings c) where its own copy ends?
 * Asks the sibling rule's questions (tier.h); the connection is spent afterwards. 0 with
 * where = "file:pos", or -1 with the refusal recorded (log + SHOW SLAVE STATUS) and *behind
 * set when the sibling only lacked some of binlogd's bytes (it will have them shortly). */
int ingest_tier_check(struct ingest *in, MYSQL *m, const struct upstream_conf *c, char *where, size_t wcap, int *behind);

#endif
