/*
 * session.c - one client connection (see session.h).
 *
 *   HANDSHAKE --response ok--> COMMAND          (the login itself: session_auth.c)
 *   HANDSHAKE --plugin the account cannot check--> AUTH_SWITCH --reply ok--> COMMAND
 *   COMMAND --COM_BINLOG_DUMP--> DUMP --non-blocking EOF--> COMMAND
 *   any --error / COM_QUIT / KILL--> CLOSING (flush) -> freed
 *
 * Replies are built in a per-session bbuf and handed to the bufferevent in one piece.
 * Statements are answered by server/admin/ (sql_execute fills a struct stmt_result that
 * this file serialises); the DUMP state lives in session_dump.c.
 * Input is bounded: a command longer than binlogd.max_allowed_packet is refused and the
 * connection closed, and the read watermark stops reading while a command is pending.
 * Time is bounded: the login by binlogd.connect_timeout (session_auth.c), an idle command
 * session by binlogd.idle_timeout (the bufferevent's read timeout, see on_event).
 */
#include "server/replicas/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "protocol/auth.h"
#include "protocol/command.h"
#include "protocol/errmsg.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/reply.h"
#include "protocol/wire.h"
#include "conf/config.h"
#include "server/admin/privilege.h"
#include "server/admin/sql.h"
#include "server/admin/stmt.h"
#include "server/admin/uservars.h"
#include "server/log.h"
#include "server/replicas/dump.h"
#include "server/replicas/listener.h"
#include "server/replicas/session_priv.h"
#include "server/replicas/tls.h"
#include "storage/store.h"

#define TAG "session"
/* The largest command: binlogd.max_allowed_packet, fixed when the session begins. */
#define SESSION_MAX_COMMAND (s->max_packet)
/* An SSLRequest on the wire: header + the 32-byte fixed part of HandshakeResponse41. While
 * TLS is offered and not yet started, the socket is read at most this far, so that the
 * ClientHello a client sends right behind its SSLRequest stays in the kernel for OpenSSL. */
#define SSL_REQUEST_PACKET (PKT_HEADER_LEN + 32)

static void on_read(struct bufferevent *bev, void *arg);

const char *session_state_name(enum session_state st)
{
    switch (st) {
    case SESSION_HANDSHAKE: return "handshake";
    case SESSION_AUTH_SWITCH: return "auth_switch";
    case SESSION_COMMAND: return "command";
    case SESSION_DUMP: return "dump";
    case SESSION_CLOSING: return "closing";
    }
    return "?";
}

uint32_t session_conn_id(const struct session *s) { return s->id; }
const char *session_user(const struct session *s) { return s->user; }
enum session_state session_get_state(const struct session *s) { return s->state; }
uint32_t session_replica_server_id(const struct session *s) { return s->rep.server_id; }
void session_set_slot(struct session *s, size_t slot) { s->slot = slot; }
void session_set_admin_only(struct session *s) { s->admin_only = 1; }
size_t session_get_slot(const struct session *s) { return s->slot; }
void session_replica_info(const struct session *s, struct session_replica_info *out) { *out = s->rep; }

uint64_t session_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);   /* seconds matter here; the coarse clock is a read */
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void session_mark(struct session *s) { s->since_ms = session_now_ms(); }

int session_role(const struct session *s, enum config_role *role)
{
    if (!s->authenticated) return -1;
    *role = s->role;
    return 0;
}

int session_busy(const struct session *s)
{
    return s->state == SESSION_DUMP || (s->state == SESSION_COMMAND && (s->in_command || s->later));
}

/* mariadbd's stage texts for a dump thread (sql_repl.cc), picked by what the dump does. */
static const char *dump_state_text(const struct session *s)
{
    if (!s->dump) return "Waiting to finalize termination";
    switch (dump_get_state(s->dump)) {
    case DUMP_WAITING: return "Master has sent all binlog to slave; waiting for more updates";
    case DUMP_STREAMING:
        /* A full socket buffer is mariadbd's "blocked in a socket write". */
        return evbuffer_get_length(bufferevent_get_output(s->bev)) >= s->ctx->counters->dump_high
                   ? "Writing to net" : "Sending binlog event to slave";
    case DUMP_FINISHED: case DUMP_FAILED: return "Waiting to finalize termination";
    case DUMP_RESTORING: return "Waiting for a purged binlog file to be restored from the archive";
    }
    return NULL;
}

void session_thread_info(const struct session *s, uint64_t now_ms, struct stmt_thread *out)
{
    *out = (struct stmt_thread){.id = s->id, .user = s->authenticated ? s->user : "", .host = s->peer,
                                .time = now_ms > s->since_ms ? (now_ms - s->since_ms) / 1000 : 0};
    switch (s->state) {
    case SESSION_HANDSHAKE: case SESSION_AUTH_SWITCH:
        out->command = "Connect";   /* observed: "unauthenticated user", Connect, Reading from net */
        out->state = "Reading from net";
        return;
    case SESSION_COMMAND:
        out->command = session_busy(s) ? "Query" : "Sleep";
        out->state = session_busy(s) ? "starting" : "";
        if (s->later && s->later_sql) {   /* waiting for its answer: mariadbd shows the statement */
            out->info = s->later_sql;
            out->info_len = s->later_sql_len;
        }
        return;
    case SESSION_DUMP:
        out->command = "Binlog Dump";
        out->state = dump_state_text(s);
        return;
    case SESSION_CLOSING:
        out->command = "Quit";
        out->state = NULL;
        return;
    }
}

/* ---- output ---- */

void session_flush(struct session *s)
{
    if (!bbuf_ok(&s->out)) {
        log_error(TAG, "connection %u: out of memory building a reply", s->id);
        bbuf_reset(&s->out);
        session_close(s);
        return;
    }
    if (s->out.len) evbuffer_add(bufferevent_get_output(s->bev), s->out.p, s->out.len);
    s->ctx->counters->bytes_replies += s->out.len;
    bbuf_reset(&s->out);
}

void session_send_ok(struct session *s)
{
    reply_ok(&s->out, &s->seq, 0, 0, REPLY_STATUS_AUTOCOMMIT, 0);
    session_flush(s);
}

void session_send_myerr(struct session *s, const struct myerr *e)
{
    reply_err_myerr(&s->out, &s->seq, e);
    session_flush(s);
}

void session_send_err(struct session *s, uint16_t code, const char *msg)
{
    reply_err(&s->out, &s->seq, code, NULL, msg);
    session_flush(s);
}

/* Close after what is queued has been written. */
void session_dump_id_on(struct session *s, uint32_t server_id)
{
    session_dump_id_off(s);
    if (!server_id) return;
    s->dump_id = server_id;
    s->dump_id_on = 1;
    listener_dump_id(s->ctx->lis, server_id, +1);
}

void session_dump_id_off(struct session *s)
{
    if (!s->dump_id_on) return;
    s->dump_id_on = 0;
    listener_dump_id(s->ctx->lis, s->dump_id, -1);
}

void session_close(struct session *s)
{
    session_claim(s);   /* first: finishing a parked dump may close it itself */
    if (s->state == SESSION_CLOSING) return;
    session_dump_id_off(s);
    s->state = SESSION_CLOSING;
    if (s->hb) event_del(s->hb);
    bufferevent_disable(s->bev, EV_READ);
    /* A peer that never reads must not pin the session: give the flush 10 seconds. */
    struct timeval tv = {.tv_sec = 10, .tv_usec = 0};
    bufferevent_set_timeouts(s->bev, NULL, &tv);
    if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
        /* Nothing to flush: free from the loop, not from inside a caller's callback. */
        event_active(s->closer, EV_WRITE, 0);
    }
}

void session_kill(struct session *s, uint16_t code, const char *msg)
{
    session_claim(s);   /* a partly written packet of a parked dump goes first */
    if (s->state == SESSION_CLOSING) return;
    /* The dump queues whole packets only, so an ERR appended now is well framed. */
    reply_err(&s->out, &s->seq, code, NULL, msg);
    session_flush(s);
    session_close(s);
}

/* The first packet (or, after TLS started, the second): an SSLRequest returns 1 and the
 * caller switches the socket to TLS once the packet is drained; anything else returns 0. */
static int on_handshake_response(struct session *s, const uint8_t *p, size_t len)
{
    struct hs_response r;
    const char *why = NULL;
    enum hs_result hr = hs_parse_response(p, len, &r, &why);
    if (hr == HS_RESPONSE_SSL_REQUEST) {
        if (s->tls_ctx && !s->tls) {
            s->ssl_caps = r.caps;
            return 1;
        }
        /* Not offered (no certificate), or a second one inside TLS: mariadbd masks CLIENT_SSL
         * away and reads the 32 bytes as a login packet, which is truncated: Bad handshake. */
        log_debug(TAG, "connection %u from %s: SSLRequest %s: bad handshake", s->id, s->peer,
                  s->tls ? "inside TLS" : "but TLS is not configured");
        session_send_err(s, MYERR_HANDSHAKE, "Bad handshake");
        session_close(s);
        return 0;
    }
    if (hr != HS_RESPONSE_OK) {
        /* Port scanners and misconfigured health checks land here: debug only (it is
         * counted in Aborted_connects), as mariadbd keeps aborted connects out of its log. */
        log_debug(TAG, "connection %u from %s: bad handshake response: %s", s->id, s->peer, why ? why : "?");
        session_send_err(s, MYERR_HANDSHAKE, "Bad handshake");
        session_close(s);
        return 0;
    }
    /* mariadbd keeps the SSLRequest's capabilities; the response inside TLS repeats them
     * (Connector/C rewrites the same 32 bytes). */
    if (s->tls) r.caps = s->ssl_caps;
    /* TLS required (tls.require, or this account's require_tls) and this login is plaintext:
     * refused before its password is looked at, so a wrong and a right password get the same
     * answer and no password check runs over plaintext (tls.h says which error). */
    enum tls_login tl = tls_login_check(s->ctx->cfg, s->tls, r.user);
    if (tl != TLS_LOGIN_OK) {
        struct myerr e;
        s->ctx->counters->tls_refused++;
        if (tl == TLS_LOGIN_ACCOUNT) s->ctx->counters->auth_failures++;
        log_info(TAG, "connection %u from %s: plaintext login of user '%.64s' refused (%s)", s->id, s->peer, r.user,
                 tls_login_name(tl));
        tls_login_error(tl, r.user, s->peer_host, r.auth_len != 0, &e);
        session_send_myerr(s, &e);
        session_close(s);
        return 0;
    }
    snprintf(s->user, sizeof(s->user), "%s", r.user);
    session_auth_response(s, &r);
    return 0;
}

static void on_auth_switch_response(struct session *s, const uint8_t *p, size_t len)
{
    session_auth_more(s, p, len);
}

/* ---- commands ---- */

static void on_register_slave(struct session *s, const struct cmd_register_slave *r)
{
    s->rep.server_id = r->server_id;
    s->rep.port = r->port;
    s->rep.registered = 1;
    snprintf(s->rep.host, sizeof(s->rep.host), "%s", r->host[0] ? r->host : s->peer_host);
    session_send_ok(s);
}

/* ---- statements: run with a context, answer what they return ---- */

/* Serialise a statement's answer (anything but STMT_LATER) and flush it. */
static void send_result(struct session *s, const struct stmt_result *r)
{
    if (r->oom) {
        session_send_err(s, 1037, "Out of memory");
        return;
    }
    switch (r->kind) {
    case STMT_OK:
        reply_ok(&s->out, &s->seq, r->affected_rows, 0, REPLY_STATUS_AUTOCOMMIT,
                 (uint16_t)(s->nwarn > 65535 ? 65535 : s->nwarn));
        break;
    case STMT_ERR:
        if (r->err_after_columns) {   /* metadata first, then the error, as mariadbd */
            reply_column_count(&s->out, &s->seq, r->ncols);
            for (size_t i = 0; i < r->ncols; i++) {
                struct reply_col col = reply_col_text(stmt_name(r, i));
                reply_column_def(&s->out, &s->seq, &col);
            }
            reply_eof(&s->out, &s->seq, 0, REPLY_STATUS_AUTOCOMMIT);
        }
        reply_err_myerr(&s->out, &s->seq, &r->err);
        if (r->err.code == MYERR_SPECIFIC_ACCESS_DENIED) s->ctx->counters->access_denied++;
        break;
    case STMT_ROWS: {
        const char *names[STMT_MAX_COLS];
        size_t n = r->ncols * r->nrows;
        const char **cells = n ? malloc(n * sizeof(*cells)) : NULL;
        if (n && !cells) {
            session_send_err(s, 1037, "Out of memory");
            return;
        }
        for (size_t i = 0; i < r->ncols; i++) names[i] = stmt_name(r, i);
        for (size_t i = 0; i < r->nrows; i++)
            for (size_t j = 0; j < r->ncols; j++) cells[i * r->ncols + j] = stmt_cell(r, i, j);
        int typed = 0;
        for (size_t i = 0; i < r->ncols; i++) typed |= r->col_type[i] != STMT_COL_TEXT;
        if (typed) {
            struct reply_col cols[STMT_MAX_COLS];
            for (size_t i = 0; i < r->ncols; i++) {
                switch ((enum stmt_col_type)r->col_type[i]) {
                case STMT_COL_LONGLONG: cols[i] = reply_col_int(names[i]); break;
                case STMT_COL_LONG: cols[i] = reply_col_long(names[i]); break;
                case STMT_COL_DOUBLE: cols[i] = reply_col_double(names[i], 3); break;
                case STMT_COL_TEXT: default: cols[i] = reply_col_text(names[i]); break;
                }
            }
            reply_resultset(&s->out, &s->seq, cols, r->ncols, cells, r->nrows, REPLY_STATUS_AUTOCOMMIT);
        } else {
            int next = reply_text_result(&s->out, s->seq, names, r->ncols, cells, r->nrows);
            if (next >= 0) s->seq = (uint8_t)next;
        }
        free(cells);
        break;
    }
    case STMT_LATER:
        return;
    }
    session_flush(s);
    if (r->close_after) session_close(s);
}

/* A statement that answers later: poll its condition; input waits until it has answered,
 * then whatever arrived meanwhile is read. */
static void later_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct session *s = arg;
    struct stmt_later *w = &s->later_what;
    struct stmt_result r;
    stmt_result_init(&r);
    if (w->ready(w->arg)) {
        stmt_ok(&r, 0);
    } else if (s->later_waited_ms >= w->timeout_ms) {
        stmt_err(&r, &w->timeout_err);
    } else {
        struct timeval tv = {.tv_sec = w->interval_ms / 1000, .tv_usec = (suseconds_t)(w->interval_ms % 1000) * 1000};
        s->later_waited_ms += w->interval_ms;
        event_add(s->later, &tv);
        return;
    }
    event_free(s->later);
    s->later = NULL;
    free(s->later_sql);
    s->later_sql = NULL;
    session_mark(s);
    send_result(s, &r);
    /* From the timer, read what arrived meanwhile. Called from on_query (what == 0) the
     * caller is inside on_read with the statement's own packet not yet drained: its loop
     * goes on by itself, and reading here would run that packet again. */
    if ((what & EV_TIMEOUT) && s->state != SESSION_CLOSING && evbuffer_get_length(bufferevent_get_input(s->bev)))
        on_read(s->bev, s);
}

static size_t stmt_replicas(void *up, struct stmt_replica *out, size_t cap) { return listener_replicas(up, out, cap); }
static size_t stmt_counters(void *up, struct stmt_counter *out, size_t cap) { return listener_counters(up, out, cap); }
static size_t stmt_threads(void *up, struct stmt_thread *out, size_t cap) { return listener_threads(up, out, cap); }
static enum stmt_kill_outcome stmt_kill(void *up, uint32_t id, const struct stmt_ctx *by)
{
    return listener_kill(up, id, by->conn_id, by->user, by->is_admin);
}

static void on_query(struct session *s, const char *sql, size_t len)
{
    const struct stmt_ctx c = {
        .cfg = s->ctx->cfg, .store = s->ctx->store, .ingest = s->ctx->ingest, .traffic = s->ctx->traffic,
        .watch = s->ctx->watch, .archive = s->ctx->archive,
        .conn_id = s->id, .user = s->user, .peer_host = s->peer_host,
        .is_admin = s->authenticated && s->role == CONFIG_ROLE_ADMIN,
        .is_monitor = s->authenticated && s->role == CONFIG_ROLE_MONITOR, .vars = &s->vars,
        .ssl_cipher = s->tls ? tls_bev_cipher(s->bev) : "", .ssl_version = s->tls ? tls_bev_version(s->bev) : "",
        .up = s->ctx->lis, .replicas = stmt_replicas, .counters = stmt_counters, .threads = stmt_threads,
        .kill = stmt_kill, .last_warn = s->warn, .last_nwarn = s->nwarn,
        .purge = s->ctx->purge, .purge_arg = s->ctx->purge_arg,
    };
    struct stmt_result r;
    sql_execute(&c, sql, len, &r);
    /* SHOW WARNINGS keeps the previous statement's notes (as mariadbd); others replace them. */
    if (r.com != QUERY_SHOW_WARNINGS) {
        free(s->warn);
        s->warn = r.warn;
        s->nwarn = r.nwarn;
        r.warn = NULL;
        r.nwarn = 0;
    }
    if (r.com >= 0 && r.com < QUERY_KIND_COUNT) s->ctx->counters->com[r.com]++;
    if (r.kind == STMT_LATER) {
        s->later_what = r.later;
        s->later_waited_ms = 0;
        free(s->later_sql);
        if ((s->later_sql = malloc(len + 1))) {   /* len: one packet, bounded by the session */
            memcpy(s->later_sql, sql, len);
            s->later_sql[len] = 0;
            s->later_sql_len = len;
        }
        if (!(s->later = event_new(s->ctx->base, -1, 0, later_poll, s))) {
            session_send_err(s, 1037, "Out of memory");
        } else {
            later_poll(-1, 0, s);   /* it may be ready at once */
        }
    } else {
        send_result(s, &r);
    }
    stmt_result_free(&r);
}

/* A replica's command (COM_BINLOG_DUMP[_GTID], COM_REGISTER_SLAVE) from an account whose
 * role may not replicate: mariadbd's 1227 REPLICATION SLAVE; the connection stays. 1 if refused. */
static int refuse_monitor(struct session *s)
{
    struct myerr e;
    if (privilege_cmd_allowed(PRIVILEGE_CMD_REPLICATION, s->role, &e)) return 0;
    s->ctx->counters->access_denied++;
    session_send_myerr(s, &e);
    return 1;
}

/* COM_STATISTICS (mariadb-admin status): one raw text packet, no OK after it. */
static void on_statistics(struct session *s)
{
    struct replicas_counters st;
    listener_stats_get(s->ctx->lis, &st);
    struct reply_stats rs = {.uptime = st.uptime_s, .threads = st.connections_now, .questions = st.questions};
    reply_statistics(&s->out, &s->seq, &rs);
    session_flush(s);
}

static void on_command(struct session *s, const uint8_t *p, size_t len)
{
    struct cmd c;
    const char *why = NULL;
    if (cmd_parse(p, len, &c, &why) == -1) {
        log_warn(TAG, "connection %u from %s: malformed command: %s", s->id, s->peer, why ? why : "?");
        if (p[0] == CMD_CODE_BINLOG_DUMP && len >= 11) {
            /* A well-framed dump whose file name we refuse (too long, NUL, ...): answer as a
             * primary does for a name not in its index. */
            struct myerr e;
            myerr_binlog_first_file_missing(&e);
            session_send_myerr(s, &e);
            return;
        }
        session_send_err(s, MYERR_MALFORMED_PACKET, "Malformed communication packet");
        return;
    }
    /* mariadbd counts every command but these in Questions (CF_SKIP_QUESTIONS). */
    if (c.type != CMD_PING && c.type != CMD_STATISTICS) s->ctx->counters->questions++;
    switch (c.type) {
    case CMD_QUIT:
        session_close(s);
        return;
    case CMD_PING:
    case CMD_INIT_DB:
        session_send_ok(s);
        return;
    case CMD_STATISTICS:
        on_statistics(s);
        return;
    case CMD_QUERY:
        on_query(s, c.u.query.text, c.u.query.len);
        return;
    case CMD_REGISTER_SLAVE:
        if (!refuse_monitor(s)) on_register_slave(s, &c.u.reg);
        return;
    case CMD_BINLOG_DUMP:
        if (!refuse_monitor(s)) session_dump_start(s, &c.u.dump, NULL, 1);
        return;
    case CMD_BINLOG_DUMP_GTID:
        if (!refuse_monitor(s)) session_dump_start_gtid(s, &c.u.dump_gtid);
        return;
    default:
        session_send_err(s, MYERR_UNKNOWN_COM, "Unknown command");
        return;
    }
}

/* ---- libevent callbacks ---- */

static void on_write(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

/* The socket's buffers and callbacks, for the plain bufferevent and again for the TLS one. */
static void setup_bev(struct session *s)
{
    bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
    bufferevent_setwatermark(s->bev, EV_WRITE, OUT_LOW_WATERMARK, 0);
    /* libevent writes at most 16 KiB per call by default: a streaming dump would make a
     * writev (and wake its reader) per 16 KiB. Let one call take the whole queued output. */
    bufferevent_set_max_single_write(s->bev, OUT_HIGH_WATERMARK * 2);
    bufferevent_setwatermark(s->bev, EV_READ, 0, SESSION_MAX_COMMAND + 8);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

/* The SSLRequest was drained: continue on a TLS bufferevent over the same socket. The
 * handshake runs inside libevent; on_event hears how it ended, on_read gets the full
 * handshake response (sequence id 2) decrypted. */
static void start_tls(struct session *s)
{
    if (evbuffer_get_length(bufferevent_get_input(s->bev)) || evbuffer_get_length(bufferevent_get_output(s->bev))) {
        /* Bytes after the SSLRequest were read as plaintext (the watermark should prevent
         * it) or a reply is still queued: the stream cannot be handed to OpenSSL intact. */
        log_debug(TAG, "connection %u from %s: bytes around the SSLRequest: bad handshake", s->id, s->peer);
        session_send_err(s, MYERR_HANDSHAKE, "Bad handshake");
        session_close(s);
        return;
    }
    struct bufferevent *b = tls_accept_bev(s->ctx->base, s->bev, s->tls_ctx);
    if (!b) {
        char why[256];
        log_warn(TAG, "connection %u from %s: cannot start TLS: %s", s->id, s->peer,
                 tls_last_error(why, sizeof(why), "out of memory"));
        session_close(s);
        return;
    }
    s->bev = b;   /* the plain one is freed (by libevent once its callback returns) */
    s->tls = 1;
    s->ctx->counters->ssl_accepts++;
    setup_bev(s);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct session *s = arg;
    session_claim(s);
    struct evbuffer *in = bufferevent_get_input(bev);
    while (s->state != SESSION_CLOSING && !s->later) {
        size_t avail = evbuffer_get_length(in);
        if (avail < PKT_HEADER_LEN) return;
        uint8_t *buf = evbuffer_pullup(in, (ev_ssize_t)(avail < SESSION_MAX_COMMAND + 8 ? avail : SESSION_MAX_COMMAND + 8));
        /* TLS offered, first packet: anything but a 32-byte packet (an SSLRequest) is a
         * plaintext login, which may be read in full. */
        if (s->state == SESSION_HANDSHAKE && s->tls_ctx && !s->tls && wire_u24(buf) != SSL_REQUEST_PACKET - PKT_HEADER_LEN)
            bufferevent_setwatermark(bev, EV_READ, 0, SESSION_MAX_COMMAND + 8);
        struct pkt pk;
        const char *why = NULL;
        size_t have = avail < SESSION_MAX_COMMAND + 8 ? avail : SESSION_MAX_COMMAND + 8;
        enum pkt_status ps = pkt_read(buf, have, SESSION_MAX_COMMAND, &pk, &why);
        if (ps == PKT_AGAIN) return;
        if (ps == PKT_ERROR || pk.nchunks != 1) {
            if (s->authenticated) log_warn(TAG, "connection %u from %s: bad packet: %s", s->id, s->peer, why ? why : "too large");
            else log_debug(TAG, "connection %u from %s: bad packet before login: %s", s->id, s->peer, why ? why : "too large");
            session_send_err(s, MYERR_NET_PACKET_TOO_LARGE, "Got a packet bigger than 'max_allowed_packet' bytes");
            session_close(s);
            return;
        }
        s->seq = pk.next_seq;
        s->ctx->counters->bytes_received += pk.consumed;
        switch (s->state) {
        case SESSION_HANDSHAKE:
            if (on_handshake_response(s, pk.payload, pk.len)) {
                evbuffer_drain(in, pk.consumed);
                start_tls(s);
                return;   /* bev and in are the plain socket's, going away */
            }
            break;
        case SESSION_AUTH_SWITCH: on_auth_switch_response(s, pk.payload, pk.len); break;
        case SESSION_COMMAND:
            session_mark(s);
            s->in_command = 1;
            on_command(s, pk.payload, pk.len);
            s->in_command = 0;
            if (s->state == SESSION_COMMAND && !s->later) session_mark(s);   /* Sleep from now */
            break;
        case SESSION_DUMP: session_dump_input(s, pk.payload, pk.len); break;
        case SESSION_CLOSING: break;
        }
        evbuffer_drain(in, pk.consumed);
    }
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct session *s = arg;
    session_claim(s);
    if (s->state == SESSION_CLOSING) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) session_free(s);
        return;
    }
    if (s->state == SESSION_DUMP && s->dump && dump_get_state(s->dump) == DUMP_STREAMING)
        listener_queue_pump(s->ctx->lis, s);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct session *s = arg;
    session_claim(s);
    if (what & BEV_EVENT_CONNECTED) {   /* only TLS bufferevents say so: the handshake ended */
        s->tls_handshake_done = 1;
        s->ctx->counters->ssl_finished_accepts++;
        log_debug(TAG, "connection %u from %s: TLS %s %s", s->id, s->peer, tls_bev_version(bev), tls_bev_cipher(bev));
        return;
    }
    if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_READING) && s->state != SESSION_CLOSING &&
        !(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) {
        /* binlogd.idle_timeout: an idle command session goes, silently, as mariadbd ends one
         * at wait_timeout (Aborted_clients). Dumps (they have heartbeats) and statements that
         * answer later are not idle: read on. */
        if (s->state == SESSION_COMMAND && !s->later && !s->in_command) {
            s->ctx->counters->aborted_clients++;
            log_debug(TAG, "connection %u from %s: idle for %u s (binlogd.idle_timeout): closed", s->id, s->peer,
                      s->ctx->cfg->idle_timeout);
            session_free(s);
            return;
        }
        bufferevent_enable(bev, EV_READ);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        if (s->tls && !s->tls_handshake_done) {
            /* A client without an acceptable certificate, a protocol or cipher mismatch, a
             * client that does not trust our certificate: say which, once, at info. */
            char why[256];
            log_info(TAG, "connection %u from %s: TLS handshake failed: %s", s->id, s->peer,
                     (what & BEV_EVENT_TIMEOUT) ? "timed out"
                                                : tls_bev_error(bev, why, sizeof(why), "connection closed"));
        } else if (s->state == SESSION_DUMP) log_info(TAG, "connection %u from %s: replica disconnected", s->id, s->peer);
        session_free(s);
    }
}

static void on_closer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    session_free(arg);
}

struct session *session_new(const struct replicas_ctx *ctx, uint32_t conn_id, evutil_socket_t fd,
                            const struct sockaddr *addr, int socklen)
{
    (void)socklen;
    struct session *s = calloc(1, sizeof(*s));
    if (!s) {
        evutil_closesocket(fd);
        return NULL;
    }
    s->ctx = ctx;
    s->id = conn_id;
    s->max_packet = ctx->cfg->max_allowed_packet;
    s->slot = (size_t)-1;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &a->sin_addr, s->peer_host, sizeof(s->peer_host));
        snprintf(s->peer, sizeof(s->peer), "%s:%u", s->peer_host, ntohs(a->sin_port));
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &a->sin6_addr, s->peer_host, sizeof(s->peer_host));
        snprintf(s->peer, sizeof(s->peer), "[%s]:%u", s->peer_host, ntohs(a->sin6_port));
    } else {
        snprintf(s->peer_host, sizeof(s->peer_host), "localhost");
        snprintf(s->peer, sizeof(s->peer), "localhost");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    evutil_make_socket_nonblocking(fd);
    s->bev = bufferevent_socket_new(ctx->base, fd, BEV_OPT_CLOSE_ON_FREE);
    s->closer = event_new(ctx->base, -1, 0, on_closer, s);
    if (!s->bev || !s->closer) {
        if (!s->bev) evutil_closesocket(fd);
        session_free(s);
        return NULL;
    }
    setup_bev(s);
    /* TLS is offered with the context current now; a reload later does not change it. */
    s->tls_ctx = tls_server_ctx_ref(ctx->tls);
    if (s->tls_ctx) bufferevent_setwatermark(s->bev, EV_READ, 0, SSL_REQUEST_PACKET);
    if (session_auth_start(s) == -1) {   /* binlogd.connect_timeout: whole login, not per read */
        session_free(s);
        return NULL;
    }

    uint8_t rnd[HS_SCRAMBLE_LEN];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        log_error(TAG, "getrandom failed: %s", strerror(errno));
        session_free(s);
        return NULL;
    }
    hs_scramble_from_random(s->scramble, rnd);
    struct hs_greeting g = {
        .server_version = ctx->cfg->server_version, .conn_id = s->id, .scramble = s->scramble,
        .caps = CAP_SERVER_DEFAULT | (s->tls_ctx ? CAP_SSL : 0), .charset = CHARSET_UTF8MB4_GENERAL_CI, .status = REPLY_STATUS_AUTOCOMMIT,
        .auth_plugin = HS_PLUGIN_NATIVE,
    };
    s->seq = 1;
    session_mark(s);
    hs_build_greeting(&s->out, &g);
    session_flush(s);
    s->state = SESSION_HANDSHAKE;
    log_debug(TAG, "connection %u from %s", s->id, s->peer);
    return s;
}

void session_free(struct session *s)
{
    if (!s) return;
    /* Never free a session the writer thread may be sending to; finishing it here may
     * close it, which is moot now. */
    session_claim(s);
    if (s->slot != (size_t)-1) {
        /* Never authenticated (a bare-connect health check, a wrong password, a scanner):
         * mariadbd's Aborted_connects. */
        if (!s->authenticated) s->ctx->counters->aborted_connects++;
        listener_session_closed(s->ctx->lis, s);
    }
    if (s->dump) {
        dump_free(s->dump);
        session_dumps_changed(s, -1);
    }
    session_dump_id_off(s);
    if (s->hb) event_free(s->hb);
    if (s->closer) event_free(s->closer);
    if (s->bev) bufferevent_free(s->bev);
    bbuf_free(&s->out);
    uservars_free(&s->vars);
    free(s->warn);
    if (s->later) event_free(s->later);
    free(s->later_sql);
    SSL_CTX_free(s->tls_ctx);   /* the SSL object (freed with the bufferevent) held its own */
    session_auth_free(s);
    free(s);
}
