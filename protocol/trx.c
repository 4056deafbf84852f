/*
 * trx.c - transaction-boundary state machine (PROTOCOL.md section 4), both flavours.
 *
 * The flavour of a group is taken from the event that opened it, not from the FDE: a
 * MariaDB GTID (162) opens an implicit-BEGIN or a standalone group; a MySQL GTID (33/34/42)
 * waits for BEGIN / a DDL / a TRANSACTION_PAYLOAD; in files without GTIDs a QUERY "BEGIN"
 * opens a group and INTVAR/RAND/USER_VAR open a pre-statement group ended by its QUERY.
 *
 * Decisions beyond the servers' own parsers (which are lenient because they only track):
 *  - TABLE_MAP and row events outside any group are TRX_BAD: a row event always sits inside a
 *    group (BEGIN..COMMIT or GTID..XID/COMMIT), so a position just after one is never safe
 *    and the sequence cannot have come from a sane primary.
 *  - XID / XA_PREPARE outside a group, or right after a MySQL GTID without BEGIN, are TRX_BAD
 *    (MySQL's parser reports the same as an error).
 *  - FDE, ROTATE, STOP, GTID_LIST, BINLOG_CHECKPOINT, PREVIOUS_GTIDS, START_ENCRYPTION inside an
 *    open group are TRX_BAD: servers write them only between groups. Heartbeats carry no data
 *    and are ignored anywhere (TRX_INSIDE when a group is open).
 *  - Unknown types: TRX_INSIDE in a group, TRX_OUTSIDE (pass-through) outside one.
 */
#include "protocol/trx.h"

#include <string.h>
#include <strings.h>

/* What opened the group (trx_parser.opener): the rules for its QUERY texts depend on it. */
enum { OPEN_NONE = 0, OPEN_MARIA = 1, OPEN_MYSQL = 2, OPEN_PLAIN = 3 };

/* Also used after every group end and TRX_BAD: nothing of a closed group survives. */
void trx_init(struct trx_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->state = TRX_STATE_OUTSIDE;
}

const char *trx_state_name(enum trx_state s)
{
    switch (s) {
    case TRX_STATE_OUTSIDE: return "OUTSIDE";
    case TRX_STATE_AFTER_GTID: return "AFTER_GTID";
    case TRX_STATE_IN_TRX: return "IN_TRX";
    case TRX_STATE_IN_STANDALONE: return "IN_STANDALONE";
    }
    return "?";
}

const char *trx_verdict_name(enum trx_verdict v)
{
    switch (v) {
    case TRX_INSIDE: return "INSIDE";
    case TRX_GROUP_END: return "GROUP_END";
    case TRX_OUTSIDE: return "OUTSIDE";
    case TRX_BAD: return "BAD";
    }
    return "?";
}

static int text_is(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n == wl && memcmp(s, w, wl) == 0;
}

static int text_starts_ci(const char *s, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n >= wl && strncasecmp(s, w, wl) == 0;
}

/* QUERY text kinds that move the state machine. */
enum qkind { Q_OTHER, Q_BEGIN, Q_COMMIT, Q_ROLLBACK };

/* MariaDB's peek_is_commit_rollback compares the exact texts; MySQL's boundary parser also
 * takes "ROLLBACK..." case-insensitively (but not "ROLLBACK TO ") and "XA ROLLBACK...". */
static enum qkind query_kind(const char *s, size_t n, int mysql_rules)
{
    if (text_is(s, n, "BEGIN")) return Q_BEGIN;
    if (mysql_rules && text_starts_ci(s, n, "XA START")) return Q_BEGIN;
    if (text_is(s, n, "COMMIT")) return Q_COMMIT;
    if (text_is(s, n, "ROLLBACK")) return Q_ROLLBACK;
    if (mysql_rules) {
        if (text_starts_ci(s, n, "ROLLBACK") && !text_starts_ci(s, n, "ROLLBACK TO ")) return Q_ROLLBACK;
        if (text_starts_ci(s, n, "XA ROLLBACK")) return Q_ROLLBACK;
    }
    return Q_OTHER;
}

static int is_row_event(uint8_t t)
{
    return t == EV_TABLE_MAP || (t >= 20 && t <= 25) || (t >= 30 && t <= 32) || t == 39 || (t >= 166 && t <= 171);
}

/* Events that servers write only between groups. */
static int is_between_groups(uint8_t t)
{
    return t == EV_FORMAT_DESCRIPTION || t == EV_ROTATE || t == EV_STOP || t == EV_GTID_LIST ||
           t == EV_BINLOG_CHECKPOINT || t == EV_PREVIOUS_GTIDS || t == EV_START_ENCRYPTION || t == EV_START_V3;
}

static enum trx_verdict bad(struct trx_parser *p, const char **why, const char *msg)
{
    trx_init(p);
    if (why) *why = msg;
    return TRX_BAD;
}

static enum trx_verdict end_group(struct trx_parser *p)
{
    trx_init(p);
    return TRX_GROUP_END;
}

static void open_group(struct trx_parser *p, enum trx_state s, uint8_t opener)
{
    p->state = s;
    p->opener = opener;
    p->gtid_flags2 = 0;
    p->mysql_payload_seen = 0;
}

static enum trx_verdict start_gtid(struct trx_parser *p, const struct ev_view *ev, const struct ev_fmt *fmt,
                                   const char **why)
{
    const char *w = NULL;
    uint8_t type = ev->h.type;
    if (type == EV_MARIA_GTID) {
        struct ev_maria_gtid g;
        if (ev_view_maria_gtid(ev, fmt, &g, &w) != EV_OK) return bad(p, why, w ? w : "bad GTID event");
        open_group(p, (g.flags2 & EV_MGTID_STANDALONE) ? TRX_STATE_IN_STANDALONE : TRX_STATE_IN_TRX, OPEN_MARIA);
        p->gtid_flags2 = g.flags2;
    } else {
        if (type != EV_GTID_TAGGED) {
            struct ev_mysql_gtid g;
            if (ev_view_mysql_gtid(ev, fmt, &g, &w) != EV_OK) return bad(p, why, w ? w : "bad GTID event");
        }
        open_group(p, TRX_STATE_AFTER_GTID, OPEN_MYSQL);
    }
    return TRX_INSIDE;
}

enum trx_verdict trx_feed(struct trx_parser *p, const uint8_t *ev, size_t len, const struct ev_fmt *fmt,
                          const char **why)
{
    struct ev_view v;
    const char *w = NULL;
    if (ev_view_frame(&v, ev, len, &w) != EV_OK) return bad(p, why, w ? w : "event incomplete");
    return trx_feed_view(p, &v, fmt, why);
}

/* One whole event in; the verdict says whether the position after it is safe. QUERY texts
 * and GTIDs are parsed with fmt, so a malformed one is TRX_BAD rather than guessed at. */
enum trx_verdict trx_feed_view(struct trx_parser *p, const struct ev_view *v, const struct ev_fmt *fmt,
                               const char **why)
{
    const char *w = NULL;
    uint8_t t = v->h.type;
    int open = p->state != TRX_STATE_OUTSIDE;
    int mysql_rules = p->opener != OPEN_MARIA;

    if (t == EV_HEARTBEAT || t == EV_HEARTBEAT_V2) return open ? TRX_INSIDE : TRX_OUTSIDE;
    if (is_between_groups(t)) {
        if (open) return bad(p, why, "event that only appears between groups inside an open group");
        return TRX_OUTSIDE;
    }
    if (t == EV_MARIA_GTID || t == EV_MYSQL_GTID || t == EV_ANONYMOUS_GTID || t == EV_GTID_TAGGED) {
        if (open) return bad(p, why, "GTID inside an open group");
        return start_gtid(p, v, fmt, why);
    }
    if (t == EV_INCIDENT) return open ? end_group(p) : TRX_GROUP_END;

    struct ev_query q;
    enum qkind k = Q_OTHER;
    if (t == EV_QUERY) {
        if (ev_view_query(v, fmt, &q, &w) != EV_OK) return bad(p, why, w ? w : "bad QUERY event");
        k = query_kind(q.sql, q.sql_len, mysql_rules);
    }

    switch (p->state) {
    case TRX_STATE_OUTSIDE:
        if (t == EV_QUERY) {
            if (k == Q_BEGIN) {
                open_group(p, TRX_STATE_IN_TRX, OPEN_PLAIN);
                return TRX_INSIDE;
            }
            return TRX_GROUP_END;   /* a statement logged on its own (files without GTIDs) */
        }
        if (t == EV_QUERY_COMPRESSED) return TRX_GROUP_END;
        if (t == EV_INTVAR || t == EV_RAND || t == EV_USER_VAR) {
            open_group(p, TRX_STATE_IN_STANDALONE, OPEN_PLAIN);
            return TRX_INSIDE;
        }
        if (t == EV_XID || t == EV_XA_PREPARE) return bad(p, why, "transaction end outside any group");
        if (t == EV_TRANSACTION_PAYLOAD) return bad(p, why, "TRANSACTION_PAYLOAD without a GTID");
        if (is_row_event(t)) return bad(p, why, "row event outside any group");
        return TRX_OUTSIDE;

    case TRX_STATE_AFTER_GTID:   /* MySQL: GTID seen, nothing else yet */
        if (t == EV_QUERY) {
            if (k == Q_BEGIN) {
                p->state = TRX_STATE_IN_TRX;
                return TRX_INSIDE;
            }
            return end_group(p);  /* DDL, or XA COMMIT/ROLLBACK of a prepared XA */
        }
        if (t == EV_QUERY_COMPRESSED) return end_group(p);
        if (t == EV_TRANSACTION_PAYLOAD) {
            end_group(p);
            p->mysql_payload_seen = 1;   /* tells the caller the group just closed was compressed */
            return TRX_GROUP_END;
        }
        if (t == EV_INTVAR || t == EV_RAND || t == EV_USER_VAR) {
            p->state = TRX_STATE_IN_STANDALONE;
            return TRX_INSIDE;
        }
        if (t == EV_XID || t == EV_XA_PREPARE) return bad(p, why, "transaction end right after a GTID");
        if (is_row_event(t)) return bad(p, why, "row event after a GTID without BEGIN");
        return TRX_INSIDE;

    case TRX_STATE_IN_TRX:
        if (t == EV_XID || t == EV_XA_PREPARE) return end_group(p);
        if (t == EV_TRANSACTION_PAYLOAD) return bad(p, why, "TRANSACTION_PAYLOAD inside a transaction");
        if (t == EV_QUERY) {
            if (k == Q_COMMIT || k == Q_ROLLBACK) return end_group(p);
            if (k == Q_BEGIN) return bad(p, why, "BEGIN inside an open transaction");
        }
        return TRX_INSIDE;

    case TRX_STATE_IN_STANDALONE:
        if (t == EV_QUERY || t == EV_QUERY_COMPRESSED || t == EV_XID || t == EV_XA_PREPARE) {
            if (t == EV_QUERY && k == Q_BEGIN) return bad(p, why, "BEGIN inside a standalone group");
            return end_group(p);
        }
        if (t == EV_TRANSACTION_PAYLOAD) return bad(p, why, "TRANSACTION_PAYLOAD inside a group");
        return TRX_INSIDE;
    }
    return bad(p, why, "corrupt parser state");
}
