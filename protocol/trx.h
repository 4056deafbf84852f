/*
 * trx.h - transaction-boundary state machine over an event sequence, for MariaDB and MySQL.
 * Fed every event of a file (or stream) in order; says after which events a reader,
 * a truncation or a resume may safely stand (PROTOCOL.md section 4 rules).
 * Pure code. One parser per stream; not thread-safe.
 */
#ifndef BINLOGD_PROTOCOL_TRX_H
#define BINLOGD_PROTOCOL_TRX_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"

enum trx_state {
    TRX_STATE_OUTSIDE = 0,   /* between groups: the position after the last event is safe */
    TRX_STATE_AFTER_GTID,    /* saw a GTID, waiting for the first statement */
    TRX_STATE_IN_TRX,        /* inside a multi-statement (transactional) group */
    TRX_STATE_IN_STANDALONE  /* inside a standalone (DDL / non-transactional) group */
};

enum trx_verdict {
    TRX_INSIDE = 0,      /* the event is inside a group: the position after it is NOT safe */
    TRX_GROUP_END,       /* the event ends a group: the position after it is safe */
    TRX_OUTSIDE,         /* the event stands outside any group (FDE, ROTATE, GTID_LIST, ...): safe */
    TRX_BAD = -1         /* the sequence is impossible (e.g. GTID inside an open group) */
};

struct trx_parser {
    enum trx_state state;
    uint8_t gtid_flags2;        /* MariaDB flags2 of the open group */
    int     mysql_payload_seen; /* MySQL: GTID followed by TRANSACTION_PAYLOAD */
    uint8_t opener;             /* internal: what opened the group (MariaDB GTID, MySQL GTID, BEGIN) */
};

/* Reset to TRX_STATE_OUTSIDE (start of a file or of a stream). */
void trx_init(struct trx_parser *p);

/* Feed one whole event, already framed (ev_view_parse / ev_view_frame): the header is taken
 * from the view, not parsed again. fmt is the context of the current file (checksum alg).
 * On TRX_BAD, *why says which rule broke; the parser is left in TRX_STATE_OUTSIDE. */
enum trx_verdict trx_feed_view(struct trx_parser *p, const struct ev_view *ev, const struct ev_fmt *fmt,
                               const char **why);

/* trx_feed_view for raw bytes (tests, callers without a view): frames ev/len first; a prefix
 * or a bad header is TRX_BAD with the framing reason. */
enum trx_verdict trx_feed(struct trx_parser *p, const uint8_t *ev, size_t len,
                          const struct ev_fmt *fmt, const char **why);

const char *trx_state_name(enum trx_state s);
const char *trx_verdict_name(enum trx_verdict v);

#endif
