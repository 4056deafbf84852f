/*
 * session_dump.c - a session while it streams the binlog: starting a dump (file/position,
 * MariaDB GTID via @slave_connect_state, MySQL COM_BINLOG_DUMP_GTID), heartbeats, what a
 * replica may send during a dump (semi-sync ACKs, COM_QUIT), and the pumps the listener
 * runs on wake-ups and streaming rounds (see session.h).
 *
 * Thread: the loop thread; session_wake_pump / session_stream_pump may run on a wake
 * helper, touching only this session's dump and socket buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "protocol/wire.h"
#include "server/log.h"
#include "server/replicas/dump_info.h"
#include "server/replicas/listener.h"
#include "server/replicas/session_priv.h"
#include "storage/store.h"

#define TAG "session"

static void hb_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct session *s = arg;
    session_claim(s);
    if (s->state == SESSION_DUMP && s->dump) dump_heartbeat(s->dump);
}

/* React to the state a pump left the dump in (loop thread). */
static void session_dump_resume(void *arg);

static void dump_after_pump(struct session *s, enum dump_state st)
{
    struct dump_stats ds;
    dump_get_stats(s->dump, &ds);
    s->ctx->counters->events_sent += ds.events - s->counted_events;
    s->ctx->counters->bytes_sent += ds.bytes - s->counted_bytes;
    s->counted_events = ds.events;
    s->counted_bytes = ds.bytes;
    if (!s->stream_prio && !s->tls && dump_reached(s->dump)) {   /* TLS: a filter bufferevent; left as it is */
        s->stream_prio = 1;
        (void)bufferevent_priority_set(s->bev, REPLICAS_PRIO_STREAM);
    }
    if (st == DUMP_WAITING) s->caught_up_ms = session_now_ms();
    /* Streaming with nothing queued (dump_pump wrote a first pump straight to the socket):
     * no write callback will come, so the streaming queue pumps it on, after the loop's
     * other work (logins and dump starts first). */
    if (st == DUMP_STREAMING && evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
        listener_queue_pump(s->ctx->lis, s);
    if (st == DUMP_RESTORING) {   /* here, on the loop thread: the restore is not thread-safe */
        st = dump_restore_step(s->dump);
        if (st == DUMP_STREAMING) {   /* the copy was in the spool already, or the file is local */
            session_dump_resume(s);
            return;
        }
    }
    if (st == DUMP_FINISHED) {
        dump_free(s->dump);
        s->dump = NULL;
        session_dumps_changed(s, -1);
        if (s->hb) event_del(s->hb);
        session_dump_id_off(s);
        s->state = SESSION_COMMAND;
        session_mark(s);
    } else if (st == DUMP_FAILED) {
        session_close(s);
    }
}

/* Pump the dump and react to its state. */
void session_dump_step(struct session *s)
{
    dump_after_pump(s, dump_pump(s->dump));
}

/* A dump left DUMP_RESTORING (dump_opts.resume): pump it again, through the streaming queue
 * (the write callback's way) when it streams, else at once. Loop thread. */
static void session_dump_resume(void *arg)
{
    struct session *s = arg;
    session_claim(s);
    if (s->state != SESSION_DUMP || !s->dump) return;
    if (dump_get_state(s->dump) == DUMP_STREAMING) listener_queue_pump(s->ctx->lis, s);
    else session_dump_step(s);
}

/* COM_BINLOG_DUMP, or a resolved COM_BINLOG_DUMP_GTID (mysql_gs, owned from here on).
 * replica_coords: dp's file and position are the replica's own (what it asked for). */
void session_dump_start(struct session *s, const struct cmd_binlog_dump *dp, struct gtid_start *mysql_gs,
                        int replica_coords)
{
    struct cmd_binlog_dump d = *dp;
    struct myerr e;
    /* The name is validated where files are opened (cursor_open); cmd_parse bounded it. */
    char file[EV_MAX_NAME_LEN + 1];
    memcpy(file, d.name, d.name_len);
    file[d.name_len] = 0;
    char asked[EV_MAX_NAME_LEN + 1];   /* kept: a GTID start replaces file */
    memcpy(asked, file, sizeof(asked));

    struct store *st = s->ctx->store;
    struct store_watermark wm;
    store_watermark_get(st, &wm);
    if (!wm.file[0]) {
        if (mysql_gs) { gtid_start_free(mysql_gs); free(mysql_gs); }
        myerr_binlog_not_open(&e);
        session_send_myerr(s, &e);
        return;
    }
    /* A replica that never said it understands checksums cannot read CRC32 files. */
    struct dump_opts o = {
        .server_id = s->ctx->cfg->server_id,
        .replica_server_id = d.server_id,
        .flags = d.flags,
        .nonblock = (d.flags & DUMP_FLAG_NON_BLOCK) || d.server_id == 0,
        .semi_sync = uservars_get(&s->vars, "rpl_semi_sync_slave") && atoi(uservars_get(&s->vars, "rpl_semi_sync_slave")) == 1,
        .alg = uservars_exists(&s->vars, "master_binlog_checksum") || uservars_exists(&s->vars, "source_binlog_checksum")
                   ? EV_CHECKSUM_CRC32 : EV_CHECKSUM_OFF,
        .high_watermark = OUT_HIGH_WATERMARK,
        .live_high = &s->ctx->counters->dump_high,
        .live_window = &s->ctx->counters->dump_window,
        .in_memory = s->tls,
        .restore = s->ctx->restore,
        .resume = session_dump_resume,
        .resume_arg = s,
        /* an empty name only from MariaDB, whose heartbeat check compares 0 bytes of it
         * (MySQL refuses an empty heartbeat name): see dump_heartbeat */
        .replica_file = replica_coords && (asked[0] || uservars_exists(&s->vars, "mariadb_slave_capability")) ? asked
                                                                                                          : NULL,
        .replica_pos = d.pos,
    };
    const char *mc = uservars_get(&s->vars, "master_binlog_checksum");
    if (!mc) mc = uservars_get(&s->vars, "source_binlog_checksum");
    if (mc && !strcasecmp(mc, "NONE")) o.alg = EV_CHECKSUM_OFF;
    if (d.server_id) {
        s->rep.server_id = d.server_id;
        listener_kill_dumps_with_server_id(s->ctx->lis, s, d.server_id);
    }
    /* MASTER_USE_GTID replicas: @slave_connect_state decides the start; file and position
     * of the request are ignored, as by mariadbd. */
    struct gtid_start *gs = mysql_gs;
    const char *scs = mysql_gs ? NULL : uservars_get(&s->vars, "slave_connect_state");
    if (scs) {
        const char *sm = uservars_get(&s->vars, "slave_gtid_strict_mode"), *ig = uservars_get(&s->vars, "slave_gtid_ignore_duplicates");
        gs = dump_gtid_resolve(st, s->ctx->restore ? s->ctx->restore->archive : NULL, scs, sm && atoi(sm) != 0,
                               ig && atoi(ig) != 0, file, sizeof(file), &e);
        if (!gs) {
            log_info(TAG, "connection %u: GTID dump from '%.200s' refused: %s", s->id, scs, e.msg);
            session_send_myerr(s, &e);
            return;
        }
        d.pos = BINLOG_MAGIC_LEN;
    }
    enum cursor_open_error oe;
    char err[512];
    s->dump = dump_start(st, s->bev, &s->seq, &o, file, d.pos, gs, &oe, err, sizeof(err));
    if (s->dump) session_dumps_changed(s, +1);
    if (!s->dump) {
        if (oe == CURSOR_OPEN_POS_LOW || oe == CURSOR_OPEN_POS_HIGH)
            myerr_binlog_impossible_position(&e, file, d.pos);
        else if (oe == CURSOR_OPEN_NO_FILE || oe == CURSOR_OPEN_BAD_NAME) {
            myerr_binlog_first_file_missing(&e);
        }
        else
            myerr_custom(&e, MYERR_MASTER_FATAL_READING_BINLOG, "%s", err);
        if (oe != CURSOR_OPEN_BAD_NAME)   /* hostile names are answered, not echoed into the log */
            log_info(TAG, "connection %u: dump of '%s' at %llu refused: %s", s->id, file, (unsigned long long)d.pos, e.msg);
        session_send_myerr(s, &e);
        return;
    }
    log_info(TAG, "connection %u from %s: binlog dump for server_id %u from %s:%llu%s%s%s%.200s", s->id, s->peer,
             d.server_id, file[0] ? file : "(first)", (unsigned long long)d.pos, o.nonblock ? " (non-blocking)" : "",
             o.semi_sync ? " (semi-sync)" : "", scs ? " GTID " : "", scs ? scs : "");
    s->state = SESSION_DUMP;
    session_dump_id_on(s, d.server_id);
    session_mark(s);   /* PROCESSLIST's Time: since the dump began, as mariadbd's start_time */
    s->dump_gtid = gs != NULL;
    s->dump_semi = o.semi_sync;
    s->dump_acks = 0;
    s->caught_up_ms = s->since_ms;
    bbuf_free(&s->out);   /* the dump writes straight into the socket buffer */
    const char *hbs = uservars_get(&s->vars, "master_heartbeat_period");
    if (!hbs) hbs = uservars_get(&s->vars, "source_heartbeat_period");
    unsigned long long hb_ns = hbs ? strtoull(hbs, NULL, 10) : 0;
    if (hb_ns >= 1000000ULL) {
        struct timeval tv = {.tv_sec = (time_t)(hb_ns / 1000000000ULL), .tv_usec = (suseconds_t)(hb_ns % 1000000000ULL / 1000)};
        if (!s->hb) s->hb = event_new(s->ctx->base, -1, EV_PERSIST, hb_fire, s);
        if (s->hb) event_add(s->hb, &tv);
    }
    session_dump_step(s);
}

/* MySQL MASTER_AUTO_POSITION=1: resolve the replica's GTID set, then stream as a dump that
 * skips what the replica has. A file name in the request disables the GTID checks, as in
 * MySQL (the position is then used as given). */
void session_dump_start_gtid(struct session *s, const struct cmd_binlog_dump_gtid *g)
{
    struct myerr e;
    char file[EV_MAX_NAME_LEN + 1];
    struct gtid_start *gs = dump_gtid_resolve_mysql(s->ctx->store, s->ctx->restore ? s->ctx->restore->archive : NULL,
                                                    g->gtid_data, g->gtid_data_len, file, sizeof(file), &e);
    if (!gs) {
        log_info(TAG, "connection %u: COM_BINLOG_DUMP_GTID refused: %s", s->id, e.msg);
        session_send_myerr(s, &e);
        return;
    }
    struct cmd_binlog_dump d = {.pos = BINLOG_MAGIC_LEN, .flags = g->flags, .server_id = g->server_id,
                                .name = file, .name_len = strlen(file)};
    if (g->name_len) {
        if (g->pos > UINT32_MAX) {
            gtid_start_free(gs);
            free(gs);
            myerr_binlog_impossible_position(&e, "", g->pos);
            session_send_myerr(s, &e);
            return;
        }
        d.name = g->name;
        d.name_len = g->name_len;
        d.pos = (uint32_t)g->pos;
    }
    session_dump_start(s, &d, gs, g->name_len != 0);
}

/* Semi-sync ACKs and COM_QUIT arrive on the dump socket; any sequence id is fine there. */
void session_dump_input(struct session *s, const uint8_t *p, size_t len)
{
    struct cmd c;
    if (cmd_parse(p, len, &c, NULL) == 0 && c.type == CMD_SEMI_SYNC_ACK) {
        s->ctx->counters->semi_sync_acks++;
        s->dump_acks++;
        return;
    }
    if (len >= 1 && p[0] == CMD_CODE_QUIT) {
        session_close(s);
        return;
    }
    log_warn(TAG, "connection %u: unexpected command 0x%02x during a binlog dump; closing", s->id, len ? p[0] : 0);
    session_close(s);
}

int session_wake_wanted(const struct session *s)
{
    return !s->in_park && s->state == SESSION_DUMP && s->dump && dump_get_state(s->dump) == DUMP_WAITING;
}

int session_park_eligible(const struct session *s)
{
    return !s->in_park && !s->tls && s->state == SESSION_DUMP && s->dump && dump_direct_ok(s->dump);
}

void session_set_parked(struct session *s) { s->in_park = 1; }

void session_direct_pump(void *arg)
{
    struct session *s = arg;
    s->wake_result = dump_pump_direct(s->dump);
}

void session_direct_finish(struct session *s)
{
    s->in_park = 0;
    if (s->state != SESSION_DUMP || !s->dump) return;
    dump_flush(s->dump);
    dump_after_pump(s, s->wake_result);
}

void session_claim(struct session *s)
{
    if (!s->in_park) return;
    if (listener_unpark(s->ctx->lis, s)) session_direct_finish(s);
    else s->in_park = 0;   /* parked, never pumped: nothing to apply */
}

void session_wake_pump(void *arg)
{
    struct session *s = arg;
    s->wake_result = dump_pump(s->dump);
}

void session_wake_finish(struct session *s)
{
    dump_after_pump(s, s->wake_result);
}

void session_dumps_changed(struct session *s, int delta)
{
    struct replicas_counters *c = s->ctx->counters;
    if (delta < 0 && c->dumps_live) c->dumps_live--;
    else if (delta > 0) c->dumps_live++;
    uint64_t n = c->dumps_live ? c->dumps_live : 1;
    uint64_t high = DUMPS_OUT_BUDGET / n, win = DUMPS_WINDOW_BUDGET / n;
    /* Atomic stores: parked dumps read both on the writer thread (park.h). */
    __atomic_store_n(&c->dump_high,
                     (uint32_t)(high > OUT_HIGH_WATERMARK ? OUT_HIGH_WATERMARK : high < OUT_HIGH_FLOOR ? OUT_HIGH_FLOOR : high),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&c->dump_window, (uint32_t)(win > UINT32_MAX ? UINT32_MAX : win), __ATOMIC_RELAXED);   /* the cursor clamps it */
}

/* Writes per streaming pump before the dump yields to the others, when the kernel keeps
 * taking everything: bounded bursts, as in the bufferevent path (one high watermark each). */
#define STREAM_ROUNDS 4

/* A quarter of the dump's live high watermark (64 KiB at the full 256 KiB): below it the socket
 * took what was queued, so a refill is due. Relative, not fixed: with a small share (many
 * dumps) a fixed 64 KiB would sit above the high watermark, and a dump whose socket is full
 * would be queued for another pump every loop turn. */
static size_t low_mark(const struct session *s)
{
    uint32_t h = s->ctx->counters->dump_high ? s->ctx->counters->dump_high : OUT_HIGH_WATERMARK;
    return h / 4;
}

void session_stream_pump(void *arg)
{
    struct session *s = arg;
    enum dump_state st = dump_get_state(s->dump);
    s->wake_result = st;
    s->stream_skipped = session_now_ms() > listener_flush_deadline_ms(s->ctx->lis);
    if (s->stream_skipped) return;
    struct evbuffer *out = bufferevent_get_output(s->bev);
    evutil_socket_t fd = bufferevent_getfd(s->bev);
    for (int round = 0; round < STREAM_ROUNDS && st == DUMP_STREAMING; round++) {
        st = s->tls ? dump_pump(s->dump) : dump_pump_write(s->dump);
        /* TLS: OpenSSL encrypts from the bufferevent's output on the loop thread; a write
         * here would put plaintext on the wire. One pump fills to the high watermark. */
        if (s->tls) break;
        /* The write happens here, on this thread: it is the kernel's TCP path that costs.
         * An error leaves the bytes to the bufferevent, whose write reports it. A direct write
         * that the kernel cut short means the socket is full: no second try (EAGAIN). */
        if (dump_socket_full(s->dump)) break;
        if (evbuffer_get_length(out) && evbuffer_write(out, fd) == -1) break;
        if (evbuffer_get_length(out) > low_mark(s)) break;   /* socket full: its write event goes on */
    }
    s->wake_result = st;
}

void session_stream_finish(struct session *s)
{
    enum dump_state st = s->wake_result;
    dump_after_pump(s, st);
    /* Stopped by the burst bound with nothing left queued: no write event will call back,
     * so queue the next pump ourselves. */
    if (st == DUMP_STREAMING && s->state == SESSION_DUMP &&
        evbuffer_get_length(bufferevent_get_output(s->bev)) <= low_mark(s))
        listener_queue_pump(s->ctx->lis, s);
}

int session_pump_pending(const struct session *s) { return s->pump_pending; }
int session_stream_skipped(const struct session *s) { return s->stream_skipped; }
void session_set_pump_pending(struct session *s, int on) { s->pump_pending = on; }

int session_dump_info(const struct session *s, uint64_t now_ms, struct dump_info *out)
{
    if (s->state != SESSION_DUMP || !s->dump) return -1;
    struct dump_stats ds;
    dump_get_stats(s->dump, &ds);
    memset(out, 0, sizeof(*out));
    out->conn_id = s->id;
    out->server_id = s->rep.server_id;
    snprintf(out->host, sizeof(out->host), "%s", s->rep.registered && s->rep.host[0] ? s->rep.host : s->peer_host);
    out->port = s->rep.registered ? s->rep.port : 0;
    snprintf(out->user, sizeof(out->user), "%s", s->user);
    out->mode = s->dump_gtid ? DUMP_MODE_GTID : DUMP_MODE_FILE;
    out->semi_sync = s->dump_semi;
    enum dump_state st = dump_get_state(s->dump);
    out->activity = st == DUMP_WAITING ? DUMP_ACT_WAITING
                    : evbuffer_get_length(bufferevent_get_output(s->bev)) >= s->ctx->counters->dump_high ? DUMP_ACT_BLOCKED
                                                                                               : DUMP_ACT_STREAMING;
    out->events_sent = ds.events;
    out->bytes_sent = ds.bytes;
    out->semi_sync_acks = s->dump_acks;
    snprintf(out->file, sizeof(out->file), "%s", ds.file);
    out->pos = ds.pos;
    out->dump_age_s = now_ms > s->since_ms ? (now_ms - s->since_ms) / 1000 : 0;
    out->behind_s = st == DUMP_WAITING || now_ms < s->caught_up_ms ? 0 : (now_ms - s->caught_up_ms) / 1000;
    return 0;
}

const char *dump_mode_name(enum dump_mode m) { return m == DUMP_MODE_GTID ? "gtid" : "file"; }

const char *dump_activity_name(enum dump_activity a)
{
    switch (a) {
    case DUMP_ACT_WAITING: return "waiting";
    case DUMP_ACT_STREAMING: return "streaming";
    case DUMP_ACT_BLOCKED: return "blocked";
    }
    return "?";
}

int session_dump_file(const struct session *s, char *file, size_t cap, uint32_t *server_id, char *host, size_t hcap)
{
    if (s->state != SESSION_DUMP || !s->dump) return -1;
    struct dump_stats ds;
    dump_get_stats(s->dump, &ds);
    snprintf(file, cap, "%s", ds.file);
    *server_id = s->rep.server_id;
    snprintf(host, hcap, "%s", s->rep.registered && s->rep.host[0] ? s->rep.host : s->peer_host);
    return 0;
}
