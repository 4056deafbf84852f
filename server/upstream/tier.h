/*
 * tier.h - the sibling rule (issue #15): may binlogd, whose upstream binlogd died, continue on
 * another binlogd (a sibling mirroring the same primary) at the very file and position where
 * its own copy ends? Only when the sibling provably holds the same bytes up to there:
 *
 *   0. it streams from an upstream of its own, and that upstream is not binlogd itself
 *      (@@binlogd_upstream_server_id, binlogd's own variable: non-zero and not our server_id),
 *      so two followers never settle on each other when their common upstream dies;
 *   1. it lists binlogd's file (SHOW BINARY LOGS) with at least binlogd's committed bytes
 *      (else it is behind: asked again at the next try, it may catch up);
 *   2. BINLOG_GTID_POS(file, pos) on it is binlogd's GTID state: pos is an event start in
 *      its copy and the same transactions lie before it;
 *   3. the last event before pos is byte-identical in both copies (CRC32 included), read on
 *      the sibling with a short COM_BINLOG_DUMP from that event's start.
 *
 * Then the local file continues byte for byte: no rotation, no continuity rule (the stream
 * is the same primary's). Anything else is refused with one sentence naming the sibling,
 * what it answered and what binlogd holds. Pure decision over the answers (no sockets, no
 * clock), so every case is unit-tested; ingest_tier.c asks the questions.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_TIER_H
#define BINLOGD_SERVER_UPSTREAM_TIER_H

#include <stddef.h>
#include <stdint.h>

enum tier_verdict {
    TIER_OK = 0,
    TIER_NO_FILE,         /* the sibling does not list binlogd's file (another primary's history, or purged) */
    TIER_BEHIND,          /* it lists the file with fewer committed bytes than binlogd holds */
    TIER_NOT_POSITION,    /* BINLOG_GTID_POS(file, pos) is NULL there: pos is no event start in its copy */
    TIER_STATE_DIFFERS,   /* another GTID state at pos: another history */
    TIER_BYTES_DIFFER,    /* the last event before pos differs (or the sibling refused to send it) */
    TIER_NOT_STREAMING,   /* its own upstream session streams from nothing (its upstream is down too) */
    TIER_FOLLOWS_US,      /* it streams from binlogd itself: following it would close a loop */
    TIER_PROBE_FAILED     /* a question failed (connection, privilege): nothing known */
};

const char *tier_verdict_name(enum tier_verdict v);

/* What binlogd holds and what the sibling answered. A stage not asked (because an earlier one
 * already failed) is left zero; the checks run in the order above and stop at the first
 * failure. Strings are NUL-terminated; NULL means "no answer". */
struct tier_answers {
    const char *who;               /* "host:port" of the sibling, for the message */
    const char *file;              /* binlogd's committed position: its last file ... */
    uint64_t pos;                  /* ... and the bytes committed in it (a transaction boundary) */
    const char *state;             /* binlogd's GTID state there (MariaDB "d-s-n,...") */
    const char *probe_error;       /* a question failed: its text (then nothing else is judged) */
    int upstream_asked;
    uint32_t sibling_upstream_id;  /* its @@binlogd_upstream_server_id: 0 = streams from nothing */
    uint32_t our_server_id;
    int listed;                    /* SHOW BINARY LOGS names file */
    uint64_t listed_size;          /* its size there */
    int state_asked;
    const char *state_at;          /* BINLOG_GTID_POS(file, pos) on the sibling; NULL = SQL NULL */
    int event_asked;
    uint64_t event_at;             /* start of binlogd's last event before pos */
    const uint8_t *ours;           /* that event as binlogd stores it */
    size_t ours_len;
    const uint8_t *theirs;         /* the event the sibling sent from event_at; NULL = none */
    size_t theirs_len;
    const char *dump_error;        /* the sibling refused the dump: its error text */
};

/* Judge. Returns the verdict; msg gets one sentence (for the log and SHOW SLAVE STATUS's
 * Last_IO_Error) whatever the verdict. TIER_OK needs every stage asked and passed. */
enum tier_verdict tier_qualify(const struct tier_answers *a, char *msg, size_t cap);

#endif
