/*
 * ingest.c - upstream session state machine (see ingest.h).
 *
 *   CONNECTING -> (queries, COM_REGISTER_SLAVE, COM_BINLOG_DUMP) -> STREAMING
 *   STREAMING  -> on any error: roll back the partial transaction, sync what is complete,
 *                 BACKOFF (1 s doubling to 30 s by default) -> CONNECTING
 *   any        -> STORE_FATAL -> FAILED (on_fatal: the process exits non-zero)
 *
 * Every byte from the upstream is hostile until checked: packet framing, header sanity,
 * size == packet length, CRC, and (in the store) log_pos continuity, before anything is
 * written. Wire-only events (artificial flag, log_pos 0, fake ROTATE, heartbeats) are
 * dropped before the store.
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
#include <time.h>

#include <mysql.h>
#include <ma_pvio.h>

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "protocol/wire.h"
#include "server/log.h"
#include "storage/index.h"

#define TAG "ingest"
/* COM_BINLOG_DUMP flag: MariaDB's BINLOG_SEND_ANNOTATE_ROWS_EVENT. Without it a session with
 * @mariadb_slave_capability=4 silently loses ANNOTATE_ROWS events: holes, not a mirror. */
#define DUMP_FLAG_SEND_ANNOTATE_ROWS 0x02

const char *ingest_state_name(enum ingest_state s)
{
    switch (s) {
    case INGEST_IDLE: return "idle";
    case INGEST_CONNECTING: return "connecting";
    case INGEST_STREAMING: return "streaming";
    case INGEST_BACKOFF: return "backoff";
    case INGEST_STOPPED: return "stopped";
    case INGEST_FAILED: return "failed";
    case INGEST_PAUSED: return "paused";
    }
    return "?";
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ingest_set_state(struct ingest *in, enum ingest_state s)
{
    pthread_mutex_lock(&in->mu);
    in->st.state = s;
    pthread_mutex_unlock(&in->mu);
}

void ingest_set_error(struct ingest *in, enum log_level lvl, uint32_t code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&in->mu);
    snprintf(in->st.last_error, sizeof(in->st.last_error), "%s", msg);
    in->st.last_errno = code;
    pthread_mutex_unlock(&in->mu);
    unsigned suppressed = 0;
    if (lvl >= LOG_ERROR || log_ratelimit_allow(&in->rl, &suppressed)) {
        if (suppressed) log_msg(lvl, TAG, "%s (%u similar messages suppressed)", msg, suppressed);
        else log_msg(lvl, TAG, "%s", msg);
    }
}

struct ingest *ingest_new(const struct ingest_opts *opts, struct store *store,
                          void (*on_fatal)(void *arg), void *arg)
{
    struct ingest *in = calloc(1, sizeof(*in));
    if (!in) return NULL;
    in->o = *opts;
    atomic_init(&in->heartbeat_ms, opts->heartbeat_ms);
    in->up = opts->up;
    in->o.candidates = NULL;
    if (opts->candidates && *opts->candidates && !(in->candidates = strdup(opts->candidates))) {
        free(in);
        return NULL;
    }
    in->store = store;
    in->on_fatal = on_fatal;
    in->fatal_arg = arg;
    in->sock = -1;
    in->rl.period_ms = 60000;
    in->rl.burst = 5;
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->cv, NULL);
    return in;
}

/* Sleep up to ms, returning early when stopping. */
static void backoff_wait(struct ingest *in, uint32_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&in->mu);
    while (!atomic_load(&in->stopping) && !in->paused)
        if (pthread_cond_timedwait(&in->cv, &in->mu, &ts) == ETIMEDOUT) break;
    pthread_mutex_unlock(&in->mu);
}

/* Run a statement that returns at most one interesting value (first column of the first
 * row) into out. Returns 0, or the server's error number (or -1 with no number). */
int ingest_query_value(MYSQL *m, const char *sql, char *out, size_t cap, int *has_row)
{
    if (has_row) *has_row = 0;
    if (out && cap) out[0] = 0;
    if (mysql_real_query(m, sql, strlen(sql))) return mysql_errno(m) ? (int)mysql_errno(m) : -1;
    MYSQL_RES *res = mysql_store_result(m);
    if (!res) return mysql_field_count(m) == 0 ? 0 : (mysql_errno(m) ? (int)mysql_errno(m) : -1);
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && has_row) *has_row = 1;
    if (row && row[0] && out) snprintf(out, cap, "%s", row[0]);
    mysql_free_result(res);
    return 0;
}

/* Is another packet already here (in libmariadb's read-ahead cache or the socket)? If so
 * the read burst is not over and the fdatasync can wait for more transactions. */
static int more_data_ready(MYSQL *m)
{
    MARIADB_PVIO *pvio = m->net.pvio;
    if (pvio && pvio->cache && pvio->cache_pos < pvio->cache + pvio->cache_size) return 1;
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
    if (r == STORE_NOSPACE)
        ingest_set_error(in, LOG_WARN, 0, "disk full: ingest paused, retrying with backoff (readers keep being "
                         "served): %s", err);
    else
        ingest_set_error(in, LOG_ERROR, 0, "store sync failed (%s): %s", store_result_name(r), err);
    *res = r == STORE_FATAL ? SESS_FATAL : SESS_RETRY;
    return -1;
}

/* Group commit: sync when the burst is over, or the oldest complete trx waited too long, or
 * too many complete bytes are pending. Returns -1 (with *res) on a failed sync. */
static int maybe_sync(struct ingest *in, struct stream *ss, enum sess_result *res)
{
    uint64_t complete = store_pending_complete(in->store);
    if (complete == 0) return 0;
    uint64_t now = now_ms();
    if (!ss->first_pending_ms) ss->first_pending_ms = now;
    if (more_data_ready(ss->m) && complete < in->o.group_commit_max_bytes &&
        now - ss->first_pending_ms < in->o.group_commit_max_ms)
        return 0;
    return do_sync(in, ss, res);
}

static enum sess_result store_error(struct ingest *in, enum store_result r, const char *what, const char *err)
{
    if (r == STORE_NOSPACE)   /* not the event's fault: say what the operator must fix */
        ingest_set_error(in, LOG_WARN, 0, "disk full: ingest paused, retrying with backoff (readers keep being "
                         "served): %s", err);
    else
        ingest_set_error(in, r == STORE_FATAL ? LOG_ERROR : LOG_WARN, 0, "%s: %s: %s", what, store_result_name(r), err);
    return r == STORE_FATAL ? SESS_FATAL : SESS_RETRY;
}

/* One event from the wire (ev/len is exactly one whole event). Returns -1 to end the
 * session with *res set. */
static int handle_event(struct ingest *in, struct stream *ss, const uint8_t *ev, size_t len,
                        enum sess_result *res)
{
    struct ev_header h;
    const char *why = NULL;
    char err[512];
    *res = SESS_RETRY;
    if (ev_header_parse(ev, len, &h, &why) != EV_OK || h.event_size != len) {
        ingest_set_error(in, LOG_ERROR, 0, "corrupt event from upstream after %s:%llu: %s (size %u, packet %zu)",
                  ss->file, (unsigned long long)store_write_offset(in->store), why ? why : "size mismatch",
                  h.event_size, len);
        return -1;
    }
    /* CRC first: nothing unverified is interpreted further, let alone stored. */
    if (h.type == EV_FORMAT_DESCRIPTION) {
        struct ev_fde fde;
        if (ev_fde_parse(ev, len, &fde, &why) != EV_OK) {
            ingest_set_error(in, LOG_ERROR, 0, "bad FORMAT_DESCRIPTION from upstream for %s: %s", ss->file, why);
            return -1;
        }
        if (fde.has_checksum_alg && ev_crc32_verify(ev, len) != 0) {
            ingest_set_error(in, LOG_ERROR, 0, "CRC mismatch in FORMAT_DESCRIPTION from upstream for %s", ss->file);
            return -1;
        }
        ev_fmt_from_fde(&ss->fmt, &fde);
        ss->seen_fde = 1;
    } else {
        enum ev_checksum_alg alg = ss->seen_fde ? ss->fmt.checksum : ss->wire_alg;
        if (alg == EV_CHECKSUM_CRC32 && ev_crc32_verify(ev, len) != 0) {
            ingest_set_error(in, LOG_ERROR, 0, "CRC mismatch in %s event from upstream at %s:%u (dropped, reconnecting)",
                      ev_type_name(h.type), ss->file, h.log_pos);
            return -1;
        }
    }

    if (h.type == EV_HEARTBEAT || h.type == EV_HEARTBEAT_V2) return 0;

    if (h.type == EV_ROTATE && ((h.flags & EV_F_ARTIFICIAL) || h.log_pos == 0)) {
        struct ev_rotate rot;
        struct ev_fmt f = ss->fmt;
        if (!ss->seen_fde) ev_fmt_default(&f, ss->wire_alg);
        if (ev_rotate_parse(ev, len, &f, &rot, &why) != EV_OK || index_name_check(rot.name, rot.name_len, &why) == -1) {
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
    enum store_result r = store_append(in->store, ev, len, err, sizeof(err));
    if (r != STORE_OK) { *res = store_error(in, r, "event refused", err); return -1; }
    ss->streamed = 1;
    pthread_mutex_lock(&in->mu);
    in->st.events++;
    in->st.bytes += len;
    in->st.upstream_pos = h.log_pos;
    pthread_mutex_unlock(&in->mu);
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
    if (!mysql_real_connect(m, up->host, up->user, up->password, NULL, up->port, NULL, 0)) {
        *errno_out = mysql_errno(m);
        snprintf(err, errlen, "upstream %s:%u: cannot connect: %s", up->host, up->port, mysql_error(m));
        mysql_close(m);
        return NULL;
    }
    return m;
}

/* Connect, prepare the session as a replica does, and dump until something ends it. */
static enum sess_result session_run(struct ingest *in, int *streamed)
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
    if (send_register(in, m)) {
        ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: COM_REGISTER_SLAVE failed: %s", mysql_error(m));
        goto out;
    }
    if (send_dump(in, m, file, (uint32_t)pos)) {
        ingest_set_error(in, LOG_WARN, mysql_errno(m), "upstream: COM_BINLOG_DUMP failed: %s", mysql_error(m));
        goto out;
    }
    log_info(TAG, "upstream %s:%u (server_id %lu, checksum %s): dumping from %s:%llu", up->host, up->port, up_id,
             ss.wire_alg == EV_CHECKSUM_CRC32 ? "CRC32" : "NONE", file, (unsigned long long)pos);
    snprintf(ss.file, sizeof(ss.file), "%s", file);
    ingest_set_state(in, INGEST_STREAMING);

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
        const uint8_t *p = m->net.read_pos;
        if (p[0] == 0xFE && n < 8) {
            ingest_set_error(in, LOG_WARN, 0, "upstream %s:%u closed the stream (EOF; primary shutting down?)", up->host, up->port);
            break;
        }
        if (p[0] != 0x00) {
            ingest_set_error(in, LOG_ERROR, 0, "upstream sent an unexpected packet (first byte 0x%02x, %lu bytes)", p[0], n);
            break;
        }
        size_t hdr = 1;
        int need_ack = 0;
        if (ss.semi) {
            /* Every packet of a semi-sync stream carries 0xEF <flag>; anything else is corrupt. */
            if (n < 3 || p[1] != 0xEF) {
                ingest_set_error(in, LOG_ERROR, 0, "upstream: missing magic number for semi-sync packet");
                break;
            }
            need_ack = p[2] & 0x01;
            hdr = 3;
        }
        if (handle_event(in, &ss, p + hdr, n - hdr, &res) == -1) break;
        if (need_ack && n - hdr >= EV_HEADER_LEN) {
            /* The primary's commit waits for this: make it durable now, then acknowledge. */
            snprintf(ss.ack_file, sizeof(ss.ack_file), "%s", ss.file);
            ss.ack_pos = wire_u32(p + hdr + 13);
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

/* Disconnect policy: complete transactions are kept (and made durable), the partial one in
 * flight is cut off, so readers and the next session start at a boundary. */
static enum sess_result settle_store(struct ingest *in)
{
    char err[512];
    enum store_result r = store_rollback_partial(in->store, err, sizeof(err));
    if (r == STORE_OK) r = store_sync(in->store, err, sizeof(err));
    if (r == STORE_OK) return SESS_RETRY;
    ingest_set_error(in, LOG_ERROR, 0, "store: %s: %s", store_result_name(r), err);
    return r == STORE_FATAL ? SESS_FATAL : SESS_RETRY;
}

/* Park while STOP SLAVE is in effect or no upstream is configured. 1 when stopping. */
static int wait_while_paused(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int parked = 0;
    while (!atomic_load(&in->stopping) && (in->paused || !in->up.host[0])) {
        if (!parked) {
            in->st.state = INGEST_PAUSED;
            in->idle = 1;
            parked = 1;
            pthread_cond_broadcast(&in->cv);
        }
        pthread_cond_wait(&in->cv, &in->mu);
    }
    in->idle = 0;
    if (parked) in->up_since_ms = now_ms();   /* the failover clock starts at START SLAVE */
    int stop = atomic_load(&in->stopping);
    pthread_mutex_unlock(&in->mu);
    return stop;
}

static void *ingest_main(void *arg)
{
    struct ingest *in = arg;
    uint32_t delay = in->o.retry_min_ms;
    pthread_mutex_lock(&in->mu);
    in->up_since_ms = now_ms();
    pthread_mutex_unlock(&in->mu);
    for (;;) {
        if (wait_while_paused(in)) break;
        int streamed = 0;
        enum sess_result r = session_run(in, &streamed);
        if (settle_store(in) == SESS_FATAL) r = SESS_FATAL;
        if (r == SESS_FATAL) {
            ingest_set_state(in, INGEST_FAILED);
            log_error(TAG, "storage failed: ingest stopped; binlogd must restart and re-verify the data directory");
            if (in->on_fatal) in->on_fatal(in->fatal_arg);
            return NULL;
        }
        if (atomic_load(&in->stopping)) break;
        pthread_mutex_lock(&in->mu);
        int paused = in->paused;
        if (streamed) in->up_since_ms = now_ms();
        uint64_t down_ms = now_ms() - in->up_since_ms;
        char host[sizeof(in->up.host)];
        snprintf(host, sizeof(host), "%s", in->up.host);
        unsigned port = in->up.port;
        pthread_mutex_unlock(&in->mu);
        if (paused) { delay = in->o.retry_min_ms; continue; }
        if (streamed) delay = in->o.retry_min_ms;
        if (in->candidates && down_ms >= (uint64_t)in->o.failover_after_s * 1000u && ingest_try_candidates(in)) {
            delay = in->o.retry_min_ms;
            continue;   /* connect to the new primary at once */
        }
        pthread_mutex_lock(&in->mu);
        in->st.reconnects++;
        pthread_mutex_unlock(&in->mu);
        ingest_set_state(in, INGEST_BACKOFF);
        log_info(TAG, "reconnecting to %s:%u in %u ms", host, port, delay);
        backoff_wait(in, delay);
        if (atomic_load(&in->stopping)) break;
        delay = delay * 2 > in->o.retry_max_ms ? in->o.retry_max_ms : delay * 2;
    }
    ingest_set_state(in, INGEST_STOPPED);
    return NULL;
}

int ingest_start(struct ingest *in)
{
    int e = pthread_create(&in->thread, NULL, ingest_main, in);
    if (e) { errno = e; return -1; }
    in->started = 1;
    return 0;
}

void ingest_stop(struct ingest *in)
{
    if (!in->started) return;
    pthread_mutex_lock(&in->mu);
    atomic_store(&in->stopping, 1);
    /* Unblock a read in progress: the blocking client call returns an error at once. */
    if (in->sock >= 0) shutdown(in->sock, SHUT_RDWR);
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
    pthread_join(in->thread, NULL);
    in->started = 0;
}

void ingest_free(struct ingest *in)
{
    if (!in) return;
    ingest_stop(in);
    free(in->candidates);
    pthread_mutex_destroy(&in->mu);
    pthread_cond_destroy(&in->cv);
    free(in);
}

void ingest_status_get(struct ingest *in, struct ingest_status *st)
{
    pthread_mutex_lock(&in->mu);
    *st = in->st;
    pthread_mutex_unlock(&in->mu);
}

void ingest_request_pause(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    in->paused = 1;
    if (in->sock >= 0) shutdown(in->sock, SHUT_RDWR);   /* end a blocking read at once */
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
}

int ingest_settled(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int done = !in->started || in->idle || atomic_load(&in->stopping) || in->st.state == INGEST_FAILED;
    pthread_mutex_unlock(&in->mu);
    return done;
}


int ingest_resume(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int rc = in->up.host[0] ? 0 : -1;
    if (rc == 0) {
        in->paused = 0;
        pthread_cond_broadcast(&in->cv);
    }
    pthread_mutex_unlock(&in->mu);
    return rc;
}

int ingest_paused(struct ingest *in)
{
    pthread_mutex_lock(&in->mu);
    int p = in->paused || !in->up.host[0];
    pthread_mutex_unlock(&in->mu);
    return p;
}

int ingest_set_conf(struct ingest *in, const struct upstream_conf *c, char *err, size_t errlen)
{
    pthread_mutex_lock(&in->mu);
    int rc = -1;
    if (in->started && !in->idle && in->up.host[0]) {
        snprintf(err, errlen, "the upstream session is running");
    } else if (upstream_conf_save(store_dir_fd(in->store), c, err, errlen) == 0) {
        in->up = *c;
        in->st.last_error[0] = 0;
        in->st.last_errno = 0;
        rc = 0;
    }
    pthread_mutex_unlock(&in->mu);
    return rc;
}

void ingest_get_conf(struct ingest *in, struct upstream_conf *c)
{
    pthread_mutex_lock(&in->mu);
    *c = in->up;
    pthread_mutex_unlock(&in->mu);
}

void ingest_set_heartbeat_ms(struct ingest *in, uint32_t ms)
{
    atomic_store(&in->heartbeat_ms, ms);
}
