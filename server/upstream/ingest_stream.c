/*
 * ingest_stream.c - one upstream session on the ingest thread (see ingest.h):
 *
 *   CONNECTING -> (queries, COM_REGISTER_SLAVE, COM_BINLOG_DUMP) -> STREAMING
 *   STREAMING  -> on any error: roll back the partial transaction, sync what is complete,
 *                 return SESS_RETRY (ingest.c backs off and reconnects)
 *   any        -> STORE_FATAL -> SESS_FATAL (on_fatal: the process exits non-zero)
 *
 * Every byte from the upstream is hostile until checked: packet framing, header sanity,
 * size == packet length, CRC (all once, in ev_view_parse; the view is what goes down to the
 * store and its trackers), and (in the store) log_pos continuity, before anything is
 * written. Wire-only events (artificial flag, log_pos 0, fake ROTATE, heartbeats) are
 * dropped before the store. Group commit: complete transactions are synced (and ACKed to a
 * semi-sync primary) when the burst ends or a bound is reached.
 */
#include "server/upstream/ingest.h"
#include "server/upstream/ingest_priv.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mysql.h>
#include <ma_pvio.h>
#include <openssl/ssl.h>

#include "protocol/dump_stream.h"
#include "protocol/event.h"
#include "protocol/trx.h"
#include "protocol/wire.h"
#include "server/log.h"
#include "server/upstream/upstream_tls.h"
#include "storage/index.h"

#define TAG "ingest"
/* COM_BINLOG_DUMP flag: MariaDB's BINLOG_SEND_ANNOTATE_ROWS_EVENT. Without it a session with
 * @mariadb_slave_capability=4 silently loses ANNOTATE_ROWS events: holes, not a mirror. */
#define DUMP_FLAG_SEND_ANNOTATE_ROWS 0x02

/* Is another packet already here (in libmariadb's read-ahead cache, OpenSSL's buffer of a
 * TLS record already read, or the socket)? If so the read burst is not over and the
 * fdatasync can wait for more transactions. Bytes held by OpenSSL do not make the socket
 * readable: missing them would make the caller wait for the socket with data in hand. */
static int more_data_ready(MYSQL *m)
{
    MARIADB_PVIO *pvio = m->net.pvio;
    if (pvio && pvio->cache && pvio->cache_pos < pvio->cache + pvio->cache_size) return 1;
    const char *lib = NULL;
    if (pvio && pvio->ctls && !mariadb_get_infov(m, MARIADB_TLS_LIBRARY, &lib) && lib && !strncmp(lib, "OpenSSL", 7)) {
        /* ma_pvio.h leaves MARIADB_TLS opaque; its layout (ma_tls.h, unchanged since 3.0) is
         * three pointers, the OpenSSL backend's SSL * last. */
        struct pvio_tls_view { void *data; void *pvio; void *ssl; };
        SSL *ssl = ((struct pvio_tls_view *)pvio->ctls)->ssl;
        if (ssl && SSL_pending(ssl) > 0) return 1;
    }
    struct pollfd pfd = {.fd = (int)mysql_get_socket(m), .events = POLLIN};
    return pfd.fd >= 0 && poll(&pfd, 1, 0) == 1;
}

/* Semi-sync: acknowledge (ack_file, ack_pos) once the committed watermark covers it, i.e.
 * once the sync policy has made it durable. The ACK is a packet of its own, sequence 0:
 * 0xEF | u64 position | file name (no NUL). Never sent for bytes readers cannot see yet. */
static int send_ack_if_durable(struct ingest *in, struct stream *ss, enum sess_result *res)
{
    struct store_watermark wm;
    store_watermark_get(in->store, &wm);
    if (strcmp(wm.file, ss->ack_file) || wm.offset < ss->ack_pos) return 0;
    uint8_t pkt[8 + EV_MAX_NAME_LEN];
    size_t fl = strlen(ss->ack_file);
    wire_put_u64(pkt, ss->ack_pos);
    memcpy(pkt + 8, ss->ack_file, fl);
    ss->ack_pending = 0;
    if (ss->m->methods->db_command(ss->m, (enum enum_server_command)0xEF, (const char *)pkt, 8 + fl, 1, NULL)) {
        ingest_set_error(in, LOG_WARN, mysql_errno(ss->m), "upstream: semi-sync ACK for %s:%llu failed: %s", ss->ack_file,
                  (unsigned long long)ss->ack_pos, mysql_error(ss->m));
        *res = SESS_RETRY;
        return -1;
    }
    pthread_mutex_lock(&in->mu);
    in->st.acks++;
    pthread_mutex_unlock(&in->mu);
    return 0;
}

/* Apply the sync policy now. 0, or -1 with *res set (the session must end). */
static int do_sync(struct ingest *in, struct stream *ss, enum sess_result *res)
{
    char err[512];
    enum store_result r = store_sync(in->store, err, sizeof(err));
    ss->first_pending_ms = 0;
    if (r == STORE_OK) {
        pthread_mutex_lock(&in->mu);
        in->st.syncs++;
        pthread_mutex_unlock(&in->mu);
        return ss->ack_pending ? send_ack_if_durable(in, ss, res) : 0;
    }
    if (r == STORE_NOSPACE) {
        if (in->on_nospace) in->on_nospace(in->nospace_arg);
        ingest_set_error(in, LOG_WARN, 0, "disk full: ingest paused, retrying with backoff (readers keep being "
                         "served): %s", err);
    } else {
        ingest_set_error(in, LOG_ERROR, 0, "store sync failed (%s): %s", store_result_name(r), err);
    }
    *res = r == STORE_FATAL ? SESS_FATAL : SESS_RETRY;
    return -1;
}

/* Group commit: sync when the burst is over, or the oldest complete trx waited too long, or
 * too many complete bytes are pending. Returns -1 (with *res) on a failed sync. */
static int maybe_sync(struct ingest *in, struct stream *ss, enum sess_result *res)
{
    uint64_t complete = store_pending_complete(in->store);
    if (complete == 0) return 0;
    uint64_t now = ingest_now_ms();
    if (!ss->first_pending_ms) ss->first_pending_ms = now;
    if (more_data_ready(ss->m) && complete < in->o.group_commit_max_bytes &&
        now - ss->first_pending_ms < in->o.group_commit_max_ms)
        return 0;
    return do_sync(in, ss, res);
}

static enum sess_result store_error(struct ingest *in, enum store_result r, const char *what, const char *err)
{
    if (r == STORE_NOSPACE) {   /* not the event's fault: say what the operator must fix */
        if (in->on_nospace) in->on_nospace(in->nospace_arg);
        ingest_set_error(in, LOG_WARN, 0, "disk full: ingest paused, retrying with backoff (readers keep being "
                         "served): %s", err);
    } else {
        ingest_set_error(in, r == STORE_FATAL ? LOG_ERROR : LOG_WARN, 0, "%s: %s: %s", what, store_result_name(r), err);
    }
    return r == STORE_FATAL ? SESS_FATAL : SESS_RETRY;
}

/* One event from the wire (ev/len is exactly one whole event). Returns -1 to end the
 * session with *res set. */
static int handle_event(struct ingest *in, struct stream *ss, const uint8_t *ev, size_t len,
                        enum sess_result *res)
{
    struct ev_view v;
    const char *why = NULL;
    char err[512];
    *res = SESS_RETRY;
    /* The one parse and the one CRC check of this event: the view goes down to the store,
     * the transaction and the GTID trackers, which read its header instead of parsing it.
     * Nothing unverified is interpreted further, let alone stored. Before this file's FDE
     * the CRC is what @master_binlog_checksum said; the FDE speaks for itself. */
    struct ev_fmt wire_fmt;
    const struct ev_fmt *fmt = &ss->fmt;
    if (!ss->seen_fde) {
        ev_fmt_default(&wire_fmt, ss->wire_alg);
        fmt = &wire_fmt;
    }
    int vr = ev_view_parse(&v, ev, len, fmt, &why);
    const struct ev_header h = v.h;
    if (vr == EV_VIEW_BAD_HEADER || vr == EV_VIEW_BAD_SIZE) {
        ingest_set_error(in, LOG_ERROR, 0, "corrupt event from upstream after %s:%llu: %s (size %u, packet %zu)",
                  ss->file, (unsigned long long)store_write_offset(in->store),
                  vr == EV_VIEW_BAD_SIZE ? "size mismatch" : why, h.event_size, len);
        return -1;
    }
    if (vr == EV_VIEW_BAD_FDE) {
        ingest_set_error(in, LOG_ERROR, 0, "bad FORMAT_DESCRIPTION from upstream for %s: %s", ss->file, why);
        return -1;
    }
    if (vr == EV_VIEW_BAD_CRC && h.type == EV_FORMAT_DESCRIPTION) {
        ingest_set_error(in, LOG_ERROR, 0, "CRC mismatch in FORMAT_DESCRIPTION from upstream for %s", ss->file);
        return -1;
    }
    if (vr != EV_OK) {
        ingest_set_error(in, LOG_ERROR, 0, "CRC mismatch in %s event from upstream at %s:%u (dropped, reconnecting)",
                  ev_type_name(h.type), ss->file, h.log_pos);
        return -1;
    }
    if (h.type == EV_FORMAT_DESCRIPTION) {
        /* Read again for its table only: ev_view_parse accepted it, so this cannot fail
         * (once per file, not per event). */
        struct ev_fde fde;
        if (ev_fde_parse(ev, len, &fde, &why) != EV_OK) {
            ingest_set_error(in, LOG_ERROR, 0, "bad FORMAT_DESCRIPTION from upstream for %s: %s", ss->file, why);
            return -1;
        }
        ev_fmt_from_fde(&ss->fmt, &fde);
        ss->seen_fde = 1;
    }

    if (h.type == EV_HEARTBEAT || h.type == EV_HEARTBEAT_V2) {
        uint64_t now = ingest_now_ms();
        pthread_mutex_lock(&in->mu);
        in->st.heartbeats++;
        in->st.last_recv_ms = now;
        pthread_mutex_unlock(&in->mu);
        return 0;
    }

    if (h.type == EV_ROTATE && ((h.flags & EV_F_ARTIFICIAL) || h.log_pos == 0)) {
        struct ev_rotate rot;
        struct ev_fmt f = ss->fmt;
        if (!ss->seen_fde) ev_fmt_default(&f, ss->wire_alg);
        if (ev_view_rotate(&v, &f, &rot, &why) != EV_OK || index_name_check(rot.name, rot.name_len, &why) == -1) {
            ingest_set_error(in, LOG_ERROR, 0, "bad fake ROTATE from upstream: %s", why ? why : "bad file name");
            return -1;
        }
        memcpy(ss->file, rot.name, rot.name_len);
        ss->file[rot.name_len] = 0;
        ss->seen_fde = 0;
        if (!strcmp(ss->file, store_write_file(in->store))) {
            ss->pending_new_file = 0;
            if (rot.position != store_write_offset(in->store)) {
                ingest_set_error(in, LOG_ERROR, 0, "upstream resumes %s at %llu but binlogd's copy ends at %llu",
                          ss->file, (unsigned long long)rot.position,
                          (unsigned long long)store_write_offset(in->store));
                return -1;
            }
        } else {
            if (rot.position != 4) {
                ingest_set_error(in, LOG_ERROR, 0, "upstream offers %s from position %llu, but binlogd does not have that "
                          "file; refusing to start a copy mid-file", ss->file, (unsigned long long)rot.position);
                return -1;
            }
            ss->pending_new_file = 1;
        }
        pthread_mutex_lock(&in->mu);
        snprintf(in->st.upstream_file, sizeof(in->st.upstream_file), "%s", ss->file);
        in->st.upstream_pos = rot.position;
        pthread_mutex_unlock(&in->mu);
        return 0;
    }

    if (h.type == EV_FORMAT_DESCRIPTION) {
        if (ss->pending_new_file) {
            if (h.log_pos != 4 + len) {
                ingest_set_error(in, LOG_ERROR, 0, "FORMAT_DESCRIPTION for new file %s has log_pos %u, expected %zu",
                          ss->file, h.log_pos, 4 + len);
                return -1;
            }
            if (store_pending_complete(in->store) && do_sync(in, ss, res) == -1) return -1;
            enum store_result r = store_file_begin(in->store, ss->file, ev, len, err, sizeof(err));
            if (r != STORE_OK) { *res = store_error(in, r, "cannot start file", err); return -1; }
            ss->pending_new_file = 0;
            ss->streamed = 1;
            if (in->o.traffic) traffic_feed_verdict(in->o.traffic, &v, &ss->fmt, TRX_OUTSIDE, ingest_now_ms());
            log_info(TAG, "mirroring %s", ss->file);
            if (ss->switching) {
                ss->switching = 0;
                ingest_switch_done(in, ss->file);
            }
        } else if (h.log_pos != 0) {
            ingest_set_error(in, LOG_ERROR, 0, "unexpected FORMAT_DESCRIPTION in the middle of %s", ss->file);
            return -1;
        }
        /* log_pos 0: the FDE re-sent for a mid-file resume; our file already has the original. */
        return 0;
    }

    if ((h.flags & EV_F_ARTIFICIAL) || h.log_pos == 0) return 0;   /* wire-only (e.g. fake GTID_LIST) */

    if (ss->pending_new_file || !store_write_file(in->store)[0]) {
        ingest_set_error(in, LOG_ERROR, 0, "upstream sent %s before the FORMAT_DESCRIPTION of %s", ev_type_name(h.type), ss->file);
        return -1;
    }
    enum store_result r = store_append_view(in->store, &v, err, sizeof(err));
    if (r != STORE_OK) { *res = store_error(in, r, "event refused", err); return -1; }
    ss->streamed = 1;
    uint64_t now = ingest_now_ms();
    enum trx_verdict verdict = (enum trx_verdict)store_last_verdict(in->store);
    int trx_end = verdict == TRX_GROUP_END;
    pthread_mutex_lock(&in->mu);
    in->st.events++;
    in->st.bytes += len;
    in->st.trx += (uint64_t)trx_end;
    in->st.upstream_pos = h.log_pos;
    in->st.last_recv_ms = now;
    in->st.last_event_ts = h.timestamp;
    pthread_mutex_unlock(&in->mu);
    /* Traffic statistics read the same view, after the store took the event, with the
     * store's transaction verdict (no second parser). */
    if (in->o.traffic) traffic_feed_verdict(in->o.traffic, &v, &ss->fmt, verdict, now);
    /* End of a file: make it durable and sealed now, before the next file is created. */
    if ((h.type == EV_ROTATE || h.type == EV_STOP) && do_sync(in, ss, res) == -1) return -1;
    return maybe_sync(in, ss, res);
}

static int send_register(struct ingest *in, MYSQL *m)
{
    uint8_t pkt[4 + 3 + 2 + 4 + 4];
    size_t n = 0;
    wire_put_u32(pkt, in->o.server_id); n += 4;
    pkt[n++] = 0; pkt[n++] = 0; pkt[n++] = 0;   /* report_host, user, password: empty */
    wire_put_u16(pkt + n, 0); n += 2;           /* report_port */
    wire_put_u32(pkt + n, 0); n += 4;           /* rpl_recovery_rank */
    wire_put_u32(pkt + n, 0); n += 4;           /* master_id: the primary fills in its own */
    return m->methods->db_command(m, COM_REGISTER_SLAVE, (const char *)pkt, n, 0, NULL);
}

static int send_dump(struct ingest *in, MYSQL *m, const char *file, uint32_t pos)
{
    size_t fl = strlen(file);
    uint8_t pkt[10 + EV_MAX_NAME_LEN];
    wire_put_u32(pkt, pos);
    wire_put_u16(pkt + 4, DUMP_FLAG_SEND_ANNOTATE_ROWS);
    wire_put_u32(pkt + 6, in->o.server_id);
    memcpy(pkt + 10, file, fl);
    return m->methods->db_command(m, COM_BINLOG_DUMP, (const char *)pkt, 10 + fl, 1, NULL);
}

MYSQL *ingest_connect(struct ingest *in, const struct upstream_conf *up, unsigned *errno_out, char *err,
                      size_t errlen)
{
    *errno_out = 0;
    MYSQL *m = mysql_init(NULL);
    if (!m) {
        snprintf(err, errlen, "mysql_init: out of memory");
        return NULL;
    }
    unsigned int ct = in->o.connect_timeout_s, rt = in->o.net_timeout_s;
    unsigned long maxp = (unsigned long)in->o.max_packet + 4096;
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rt);
    mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &maxp);
    char terr[256];
    if (upstream_tls_apply(m, up, terr, sizeof(terr)) == -1) {
        *errno_out = UPSTREAM_TLS_ERRNO;
        snprintf(err, errlen, "upstream %s:%u: cannot connect: TLS/SSL error: %s", up->host, up->port, terr);
        mysql_close(m);
        return NULL;
    }
    if (!mysql_real_connect(m, up->host, up->user, up->password, NULL, up->port, NULL, 0)) {
        *errno_out = mysql_errno(m);
        snprintf(err, errlen, "upstream %s:%u: cannot connect: %s", up->host, up->port, mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    /* Defence in depth: nothing is sent on a session that should be TLS and is not. */
    if (upstream_tls_check(m, up, errno_out, terr, sizeof(terr)) == -1) {
        snprintf(err, errlen, "upstream %s:%u: cannot connect: %s", up->host, up->port, terr);
        mysql_close(m);
        return NULL;
    }
    return m;
}

/* Connect, prepare the session as a replica does, and dump until something ends it. */
enum sess_result ingest_session_run(struct ingest *in, int *streamed)
{
    struct stream ss;
    memset(&ss, 0, sizeof(ss));
    enum sess_result res = SESS_RETRY;
    char val[256], file[EV_MAX_NAME_LEN + 1];
    uint64_t pos = 4;
    int has_row;
    struct upstream_conf upc;
    const struct upstream_conf *up = &upc;
    pthread_mutex_lock(&in->mu);
    upc = in->up;
    pthread_mutex_unlock(&in->mu);

    ingest_set_state(in, INGEST_CONNECTING);
    /* A new stream: a transaction cut at the last disconnect comes again from its start. */
    if (in->o.traffic) traffic_stream_reset(in->o.traffic);
    unsigned cerr;
    char cmsg[512];
    MYSQL *m = ingest_connect(in, up, &cerr, cmsg, sizeof(cmsg));
    if (!m) {
        ingest_set_error(in, LOG_WARN, cerr, "%s", cmsg);
        *streamed = 0;
        return SESS_RETRY;
    }
    ss.m = m;
    pthread_mutex_lock(&in->mu);
    in->sock = (int)mysql_get_socket(m);
    int stop_now = atomic_load(&in->stopping) || in->paused;
    pthread_mutex_unlock(&in->mu);
    if (stop_now) { res = SESS_STOP; goto out; }

    /* The primary's server_id must differ from ours, as a replica's IO thread insists. */
    if (ingest_query_value(m, "SELECT @@server_id", val, sizeof(val), &has_row) || !has_row) {
        ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream %s:%u: SELECT @@server_id failed: %s", up->host, up->port, mysql_error(m));
        goto out;
    }
    unsigned long up_id = strtoul(val, NULL, 10);
    if (up_id == in->o.server_id) {
        ingest_set_error(in, LOG_ERROR, 0, "upstream %s:%u has server_id %lu, the same as binlogd.server_id; "
                  "set a unique binlogd.server_id", up->host, up->port, up_id);
        goto out;
    }
    pthread_mutex_lock(&in->mu);
    in->st.upstream_server_id = (uint32_t)up_id;
    snprintf(in->sid_of, sizeof(in->sid_of), "%.255s:%u", up->host, up->port);
    pthread_mutex_unlock(&in->mu);

    /* Ask for events exactly as the primary stores them (its own checksum algorithm). */
    int e = ingest_query_value(m, "SET @master_binlog_checksum= @@global.binlog_checksum", NULL, 0, NULL);
    ss.wire_alg = EV_CHECKSUM_OFF;
    if (e == 0) {
        if (ingest_query_value(m, "SELECT @master_binlog_checksum", val, sizeof(val), &has_row) || !has_row) {
            ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: SELECT @master_binlog_checksum failed: %s", mysql_error(m));
            goto out;
        }
        if (!strcasecmp(val, "CRC32")) ss.wire_alg = EV_CHECKSUM_CRC32;
        else if (strcasecmp(val, "NONE")) {
            ingest_set_error(in, LOG_ERROR, 0, "upstream uses unknown binlog_checksum '%s'", val);
            goto out;
        }
    } else if (e != 1193) {
        ingest_set_error(in, LOG_WARN, (uint32_t)e, "upstream: SET @master_binlog_checksum failed: %s", mysql_error(m));
        goto out;
    }
    uint64_t hb_ms = atomic_load(&in->heartbeat_ms);
    if (!hb_ms) hb_ms = (uint64_t)in->o.net_timeout_s * 500;
    char sql[256];
    snprintf(sql, sizeof(sql), "SET @master_heartbeat_period= %llu", (unsigned long long)hb_ms * 1000000ULL);
    if (ingest_query_value(m, sql, NULL, 0, NULL) ||
        ingest_query_value(m, "SET @mariadb_slave_capability= 4", NULL, 0, NULL)) {
        ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: session setup failed: %s", mysql_error(m));
        goto out;
    }

    struct store_watermark wm;
    store_watermark_get(in->store, &wm);
    if (up->switch_pending && wm.file[0]) {
        /* A new primary: continue only where the continuity rule allows, or not at all. */
        if (ingest_locate_switch(in, m, up, file, sizeof(file)) == -1) goto out;
        pos = 4;
        ss.switching = 1;
    } else if (store_resume_point(in->store, file, sizeof(file), &pos) == -1) {
        ss.switching = up->switch_pending;   /* an empty store continues nothing: just record it */
        if (up->log_file[0]) {
            snprintf(file, sizeof(file), "%.*s", (int)sizeof(file) - 1, up->log_file);
        } else if (ingest_query_value(m, "SHOW BINARY LOGS", file, sizeof(file), &has_row) || !has_row) {
            ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: SHOW BINARY LOGS failed (is log_bin on? does the "
                      "account have BINLOG MONITOR / REPLICATION CLIENT?): %s", mysql_error(m));
            goto out;
        }
        pos = 4;
    } else if (!in->o.semi_sync && ingest_check_resume(in, m, up, file, pos) == -1) {
        /* Not with semi-sync: with rpl_semi_sync_master_wait_point=AFTER_SYNC a rotation on the
         * primary waits for our ACK while holding the binlog lock that SHOW BINARY LOGS needs,
         * and we would wait for it. There the check runs after the primary refuses the dump. */
        goto out;   /* the primary no longer continues our copy: refused, with the reason recorded */
    }
    if (pos > UINT32_MAX) {
        /* COM_BINLOG_DUMP carries a 4-byte position: a file/pos resume past 4 GiB is impossible. */
        ingest_set_error(in, LOG_ERROR, 0, "cannot resume %s at %llu: file/position dumps are limited to 4 GiB offsets",
                  file, (unsigned long long)pos);
        goto out;
    }
    if (in->o.semi_sync) {
        /* As a replica's IO thread does: probe, then ask. No row = the primary has no semi-sync. */
        if (ingest_query_value(m, "SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'", NULL, 0, &has_row)) {
            ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: semi-sync probe failed: %s", mysql_error(m));
            goto out;
        }
        if (!has_row) {
            ingest_set_error(in, LOG_WARN, 0, "upstream %s:%u does not support semi-sync; replicating asynchronously",
                      up->host, up->port);
        } else if (ingest_query_value(m, "SET @rpl_semi_sync_slave= 1", NULL, 0, NULL)) {
            ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: SET @rpl_semi_sync_slave failed: %s", mysql_error(m));
            goto out;
        } else {
            ss.semi = 1;
        }
    }
    pthread_mutex_lock(&in->mu);
    in->st.semi_sync_active = ss.semi;
    pthread_mutex_unlock(&in->mu);
    /* A silent link can leave our previous dump blocked in a write on the primary. */
    ingest_zombie_end(in, m, up);
    if (send_register(in, m)) {
        ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: COM_REGISTER_SLAVE failed: %s", mysql_error(m));
        goto out;
    }
    if (send_dump(in, m, file, (uint32_t)pos)) {
        ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: COM_BINLOG_DUMP failed: %s", mysql_error(m));
        goto out;
    }
    ingest_zombie_note(in, m, up);
    char tls[160];
    log_info(TAG, "upstream %s:%u (server_id %lu, checksum %s, %s): dumping from %s:%llu", up->host, up->port, up_id,
             ss.wire_alg == EV_CHECKSUM_CRC32 ? "CRC32" : "NONE", upstream_tls_describe(m, up, tls, sizeof(tls)), file,
             (unsigned long long)pos);
    snprintf(ss.file, sizeof(ss.file), "%s", file);
    ingest_set_state(in, INGEST_STREAMING);
    uint64_t started = ingest_now_ms();
    pthread_mutex_lock(&in->mu);
    in->st.last_recv_ms = started;   /* the dump began: the primary was heard from now */
    pthread_mutex_unlock(&in->mu);

    for (;;) {
        /* A sync the policy deferred (burst not over, or sync=interval) must not wait for the
         * next event: if the link stays quiet for a while, sync now. */
        if (store_pending_complete(in->store) && !more_data_ready(m)) {
            uint32_t wait_ms = in->o.sync_interval_ms > in->o.group_commit_max_ms ? in->o.sync_interval_ms
                                                                                 : in->o.group_commit_max_ms;
            struct pollfd pfd = {.fd = (int)mysql_get_socket(m), .events = POLLIN};
            if (poll(&pfd, 1, (int)wait_ms) == 0 && do_sync(in, &ss, &res) == -1) break;
        }
        unsigned long n = mysql_net_read_packet(m);
        pthread_mutex_lock(&in->mu);
        int halt = atomic_load(&in->stopping) || in->paused;   /* ingest_stop / STOP SLAVE cut the link */
        pthread_mutex_unlock(&in->mu);
        if (halt) { res = SESS_STOP; break; }
        if (n == packet_error || n == 0) {
            unsigned en = mysql_errno(m);
            ingest_set_error(in, en == 1236 ? LOG_ERROR : LOG_WARN, en, "upstream %s:%u: stream ended: %s%s", up->host,
                      up->port, en ? mysql_error(m) : "empty packet", en == 1236 ? " (will retry)" : "");
            /* The primary refused where we resume: say precisely why when its file got shorter. */
            if (en == 1236 && !ss.streamed && pos > BINLOG_MAGIC_LEN) {
                unsigned e2;
                char m2err[256];
                MYSQL *m2 = ingest_connect(in, up, &e2, m2err, sizeof(m2err));   /* this link is spent */
                if (m2) {
                    (void)ingest_check_resume(in, m2, up, file, pos);
                    mysql_close(m2);
                }
            }
            break;
        }
        struct dstream_pkt dp;
        switch (dstream_classify(m->net.read_pos, n, ss.semi, &dp)) {
        case DSTREAM_EOF:
            ingest_set_error(in, LOG_WARN, 0, "upstream %s:%u closed the stream (EOF; primary shutting down?)", up->host, up->port);
            break;
        case DSTREAM_UNEXPECTED:
            ingest_set_error(in, LOG_ERROR, 0, "upstream sent an unexpected packet (first byte 0x%02x, %lu bytes)", dp.first, n);
            break;
        case DSTREAM_BAD_SEMI:
            ingest_set_error(in, LOG_ERROR, 0, "upstream: missing magic number for semi-sync packet");
            break;
        case DSTREAM_EVENT:
            break;
        }
        if (dp.kind != DSTREAM_EVENT) break;
        if (handle_event(in, &ss, dp.ev, dp.ev_len, &res) == -1) break;
        if (dstream_ack_pos(&dp, &ss.ack_pos) == 0) {
            /* The primary's commit waits for this: make it durable now, then acknowledge. */
            snprintf(ss.ack_file, sizeof(ss.ack_file), "%s", ss.file);
            ss.ack_pending = 1;
            if (store_pending_complete(in->store) ? do_sync(in, &ss, &res) == -1
                                                  : send_ack_if_durable(in, &ss, &res) == -1)
                break;
        }
    }
out:
    pthread_mutex_lock(&in->mu);
    in->sock = -1;
    pthread_mutex_unlock(&in->mu);
    mysql_close(m);
    *streamed = ss.streamed;
    return res;
}
