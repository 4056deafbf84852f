/*
 * ingest_tier.c - failing over to a sibling binlogd (issue #15): the questions the sibling
 * rule (tier.h) needs, asked on the ingest thread during ingest_try_candidates.
 *
 * Why the last event is read with a COM_BINLOG_DUMP: SHOW BINLOG EVENTS shows types and
 * positions, not bytes or checksums. A dump from that event's start, with server_id 0 (a
 * non-blocking dump: binlogd ends it with EOF at its watermark and does not take it for a
 * replica that replaces another of the same server_id), brings the fake ROTATE, the file's
 * FORMAT_DESCRIPTION re-sent with log_pos 0, then the event exactly as the sibling stores
 * it; we read that one and close. Where the event starts comes from binlogd's own copy: the
 * GTID position index gives a transaction boundary at or before it, so at most one index
 * interval of the local file is read (the whole file only when the index is disabled).
 *
 * Thread: the ingest thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "protocol/dump_stream.h"
#include "protocol/event.h"
#include "protocol/gtid_track.h"
#include "protocol/wire.h"
#include "server/upstream/continuity.h"
#include "server/upstream/ingest_priv.h"
#include "server/upstream/tier.h"
#include "storage/cursor.h"
#include "storage/gtidpos.h"

#define TAG "ingest"
#define DUMP_FLAG_NON_BLOCK 0x01
#define PROBE_MAX_PACKETS 16       /* fake ROTATE, FDE, maybe heartbeats: the event comes early */
#define STATE_CAP 8192

int ingest_is_binlogd(MYSQL *m)
{
    char v[128];
    int has_row = 0;
    if (ingest_query_value(m, "SELECT @@version_comment", v, sizeof(v), &has_row) || !has_row) return 0;
    return !strncmp(v, "binlogd", 7);
}

static int before_pos(void *arg, const struct gpos_entry *e) { return e->off < *(const uint64_t *)arg; }

/* binlogd's own last event before pos in file: its start and a copy of its bytes (*ev,
 * caller frees). 0, or -1 with err. */
static int last_event(struct store *st, const char *file, uint64_t pos, uint64_t *at, uint8_t **ev, size_t *len,
                      char *err, size_t errlen)
{
    *ev = NULL;
    *len = 0;
    struct cursor *cur = cursor_new(st);
    if (!cur) { snprintf(err, errlen, "out of memory"); return -1; }
    int rc = -1;
    if (cursor_open(cur, file, BINLOG_MAGIC_LEN, err, errlen) != CURSOR_OPEN_OK) goto out;
    struct gpos_entry e;
    int flavor;
    if (store_gtidpos_find(st, file, 0, before_pos, &pos, &flavor, &e) == 1) {
        if (e.off > BINLOG_MAGIC_LEN) (void)cursor_seek(cur, e.off);   /* else read from the start */
        gpos_entry_free(&e);
    }
    for (;;) {
        struct cursor_item it;
        enum cursor_result r = cursor_next(cur, &it, err, errlen);
        if (r == CURSOR_ERROR) goto out;
        if (r != CURSOR_EVENT || it.offset + it.len > pos) {
            snprintf(err, errlen, "binlogd's copy of %s has no event ending at %" PRIu64, file, pos);
            goto out;
        }
        if (it.offset + it.len < pos) continue;
        uint8_t *b = malloc(it.len);
        if (!b) { snprintf(err, errlen, "out of memory"); goto out; }
        if (it.data) memcpy(b, it.data, it.len);
        else if (cursor_pread(cur, b, it.len, it.offset, err, errlen) == -1) { free(b); goto out; }
        *ev = b;
        *len = it.len;
        *at = it.offset;
        rc = 0;
        break;
    }
out:
    cursor_free(cur);
    return rc;
}

/* The sibling's event at file:at as it stores it (*ev, caller frees), read with a short
 * non-blocking dump. 0; 1 when the sibling refused or sent none (err says what it said);
 * -1 when the link failed (err). The connection is spent afterwards. */
static int sibling_event(MYSQL *m, const char *file, uint64_t at, uint8_t **ev, size_t *len, char *err, size_t errlen)
{
    *ev = NULL;
    *len = 0;
    if (at > UINT32_MAX) { snprintf(err, errlen, "%s:%" PRIu64 " is beyond a file/position dump's 4 GiB", file, at); return 1; }
    if (ingest_query_value(m, "SET @master_binlog_checksum= @@global.binlog_checksum", NULL, 0, NULL)) {
        snprintf(err, errlen, "SET @master_binlog_checksum failed: %s", mysql_error(m));
        return -1;
    }
    size_t fl = strlen(file);
    uint8_t pkt[10 + EV_MAX_NAME_LEN];
    if (fl > EV_MAX_NAME_LEN) { snprintf(err, errlen, "file name too long"); return -1; }
    wire_put_u32(pkt, (uint32_t)at);
    wire_put_u16(pkt + 4, DUMP_FLAG_NON_BLOCK);
    wire_put_u32(pkt + 6, 0);   /* server_id 0: a reader, not a replica (see above) */
    memcpy(pkt + 10, file, fl);
    if (m->methods->db_command(m, COM_BINLOG_DUMP, (const char *)pkt, 10 + fl, 1, NULL)) {
        snprintf(err, errlen, "COM_BINLOG_DUMP failed: %s", mysql_error(m));
        return -1;
    }
    for (int i = 0; i < PROBE_MAX_PACKETS; i++) {
        unsigned long n = mysql_net_read_packet(m);
        if (n == packet_error || n == 0) {
            snprintf(err, errlen, "%s (error %u)", mysql_errno(m) ? mysql_error(m) : "empty packet", mysql_errno(m));
            return mysql_errno(m) == 1236 ? 1 : -1;
        }
        struct dstream_pkt dp;
        enum dstream_kind k = dstream_classify(m->net.read_pos, n, 0, &dp);
        if (k == DSTREAM_EOF) { snprintf(err, errlen, "the dump ended before the event at %" PRIu64, at); return 1; }
        if (k != DSTREAM_EVENT || dp.ev_len < EV_HEADER_LEN) {
            snprintf(err, errlen, "unexpected packet (first byte 0x%02x)", dp.first);
            return -1;
        }
        uint8_t type = dp.ev[EV_TYPE_OFFSET];
        uint32_t log_pos = wire_u32(dp.ev + EV_LOG_POS_OFFSET);
        uint16_t flags = wire_u16(dp.ev + EV_FLAGS_OFFSET);
        if ((flags & EV_F_ARTIFICIAL) || log_pos == 0 || type == EV_HEARTBEAT || type == EV_HEARTBEAT_V2) continue;
        if (!(*ev = malloc(dp.ev_len))) { snprintf(err, errlen, "out of memory"); return -1; }
        memcpy(*ev, dp.ev, dp.ev_len);
        *len = dp.ev_len;
        return 0;
    }
    snprintf(err, errlen, "no event among the first %d packets", PROBE_MAX_PACKETS);
    return 1;
}

/* SHOW BINARY LOGS: is file listed, with which size. 0, or -1 (query failed). */
static int listed(MYSQL *m, const char *file, int *found, uint64_t *size)
{
    *found = 0;
    *size = 0;
    if (mysql_real_query(m, "SHOW BINARY LOGS", 16)) return -1;
    MYSQL_RES *res = mysql_store_result(m);
    if (!res) return -1;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)))
        if (row[0] && !strcmp(row[0], file)) {
            *found = 1;
            *size = row[1] ? strtoull(row[1], NULL, 10) : 0;
        }
    mysql_free_result(res);
    return 0;
}

int ingest_tier_check(struct ingest *in, MYSQL *m, const struct upstream_conf *c, char *where, size_t wcap, int *behind)
{
    char who[300], ours[STATE_CAP], theirs[STATE_CAP], perr[512], msg[3072], cmsg[2048];
    char esc[2 * EV_MAX_NAME_LEN + 1], sql[2 * EV_MAX_NAME_LEN + 80];
    snprintf(who, sizeof(who), "%.255s:%u", c->host, c->port);
    struct store_watermark wm;
    store_watermark_get(in->store, &wm);
    struct tier_answers a = {.who = who, .file = wm.file, .pos = wm.offset, .state = ours, .our_server_id = in->o.server_id};
    uint8_t *mine = NULL, *sib = NULL;
    int flavor, has_row = 0, r;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    perr[0] = 0;
    /* The questions in the rule's order; the first answer that decides ends them (the
     * verdict and its sentence are tier_qualify's). */
    if (!wm.file[0]) {
        snprintf(perr, sizeof(perr), "binlogd holds nothing yet");
        goto judge;
    }
    if (store_gtid_state(in->store, 0, &flavor, ours, sizeof(ours), NULL, 0) == -1 || flavor != GTID_TRACK_MARIA) {
        snprintf(perr, sizeof(perr), "binlogd's copy carries no MariaDB GTID state, so the position cannot be checked");
        goto judge;
    }
    if (ingest_query_value(m, "SELECT @@binlogd_upstream_server_id", theirs, sizeof(theirs), &has_row) || !has_row) {
        snprintf(perr, sizeof(perr), "SELECT @@binlogd_upstream_server_id failed (a binlogd too old to be a failover "
                 "sibling?): %s", mysql_error(m));
        goto judge;
    }
    a.upstream_asked = 1;
    a.sibling_upstream_id = (uint32_t)strtoul(theirs, NULL, 10);
    if (!a.sibling_upstream_id || a.sibling_upstream_id == in->o.server_id) goto judge;
    if (listed(m, wm.file, &a.listed, &a.listed_size) == -1) {
        snprintf(perr, sizeof(perr), "SHOW BINARY LOGS failed: %s", mysql_error(m));
        goto judge;
    }
    if (!a.listed || a.listed_size < wm.offset) goto judge;
    mysql_real_escape_string(m, esc, wm.file, (unsigned long)strlen(wm.file));
    snprintf(sql, sizeof(sql), "SELECT BINLOG_GTID_POS('%s', %" PRIu64 ")", esc, wm.offset);
    if (mysql_real_query(m, sql, strlen(sql)) || !(res = mysql_store_result(m))) {
        snprintf(perr, sizeof(perr), "%s failed: %s", sql, mysql_error(m));
        goto judge;
    }
    if (!(row = mysql_fetch_row(res))) {
        snprintf(perr, sizeof(perr), "%s returned no row", sql);
        goto judge;
    }
    a.state_asked = 1;
    if (row[0]) {
        snprintf(theirs, sizeof(theirs), "%s", row[0]);
        a.state_at = theirs;
    }
    mysql_free_result(res);
    res = NULL;
    if (!a.state_at || continuity_compare(ours, theirs, who, cmsg, sizeof(cmsg)) != CONT_OK) goto judge;
    /* Last, because it spends the connection: the event before our position, both copies. */
    if (last_event(in->store, wm.file, wm.offset, &a.event_at, &mine, &a.ours_len, perr, sizeof(perr)) == -1) goto judge;
    a.ours = mine;
    r = sibling_event(m, wm.file, a.event_at, &sib, &a.theirs_len, cmsg, sizeof(cmsg));
    if (r == -1) {
        snprintf(perr, sizeof(perr), "%.500s", cmsg);
        goto judge;
    }
    a.event_asked = 1;
    a.theirs = sib;
    if (r == 1) a.dump_error = cmsg;
judge:
    if (res) mysql_free_result(res);
    if (perr[0]) a.probe_error = perr;
    enum tier_verdict v = tier_qualify(&a, msg, sizeof(msg));
    *behind = v == TIER_BEHIND;
    free(mine);
    free(sib);
    if (v != TIER_OK) {
        /* Into SHOW SLAVE STATUS, and always into the log: the reconnect warnings before it
         * must not use up the rate limit of ingest_set_error and hide the one line that says
         * why no candidate was taken (a candidate is probed once per backoff, not more). */
        char line[sizeof(msg) + 400];
        snprintf(line, sizeof(line), "refusing failover candidate %s (%s): %s", who, tier_verdict_name(v), msg);
        pthread_mutex_lock(&in->mu);
        snprintf(in->st.last_error, sizeof(in->st.last_error), "%.*s", (int)sizeof(in->st.last_error) - 1, line);
        in->st.last_errno = 0;
        pthread_mutex_unlock(&in->mu);
        log_msg(v == TIER_BEHIND || v == TIER_NOT_STREAMING || v == TIER_PROBE_FAILED ? LOG_WARN : LOG_ERROR, TAG, "%s", line);
        return -1;
    }
    log_info(TAG, "failover candidate %s qualifies: %s", who, msg);
    snprintf(where, wcap, "%s:%" PRIu64, wm.file, wm.offset);
    return 0;
}
