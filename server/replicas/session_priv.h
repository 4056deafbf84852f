/*
 * session_priv.h - the session struct and the reply helpers the statement executor
 * (sql.c) and the admin statements (admin.c) use. Only those files include this.
 */
#ifndef BINLOGD_SERVER_REPLICAS_SESSION_PRIV_H
#define BINLOGD_SERVER_REPLICAS_SESSION_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "protocol/bbuf.h"
#include "protocol/errmsg.h"
#include "protocol/handshake.h"
#include "server/replicas/dump.h"
#include "server/replicas/session.h"

#define SESSION_MAX_VARS   32
/* @slave_connect_state lists one GTID per domain: 256 domains need ~11 KB. */
#define SESSION_VAR_MAX    65536

struct session_var {
    char name[64];
    char *value;        /* owned, NUL-terminated */
    int is_null;
};

struct session {
    struct listener *srv;
    struct bufferevent *bev;
    struct event *closer;        /* deferred free, so no callback frees its own caller */
    struct event *hb;            /* heartbeat timer while dumping */
    uint32_t id;
    size_t slot;
    enum session_state state;
    uint8_t seq;
    uint8_t scramble[HS_SCRAMBLE_LEN];
    char user[HS_USER_MAX + 1];
    char peer[80], peer_host[64];
    const struct config_user *acct;
    struct bbuf out;             /* reply being built */
    struct session_var *vars;    /* grown on demand: an idle replica keeps a few */
    size_t n_vars, cap_vars;
    struct session_replica_info rep;
    struct dump *dump;
    uint64_t counted_events, counted_bytes;
    enum dump_state wake_result;   /* set by session_*_pump, read by session_*_finish */
    int pump_pending;              /* queued in the server's flush list */
};

/* Queue what is in s->out on the socket. */
void session_flush(struct session *s);
void session_send_ok(struct session *s);
void session_send_err(struct session *s, uint16_t code, const char *msg);
void session_send_myerr(struct session *s, const struct myerr *e);
/* A text resultset: ncols names, nrows rows of ncols cells (NULL cell = SQL NULL). */
void session_send_rows(struct session *s, const char *const *names, size_t ncols, const char *const *cells, size_t nrows);
/* Flush what is queued, then close. */
void session_close(struct session *s);

/* User variables: name without the '@'. get returns NULL for unset or NULL. */
const char *session_var_get(const struct session *s, const char *name);
int session_var_exists(const struct session *s, const char *name);
int session_var_set(struct session *s, const char *name, size_t nlen, const char *value, size_t vlen, int is_null);

#endif
