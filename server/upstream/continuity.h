/*
 * continuity.h - the rule for continuing on a new upstream (issue #4): binlogd appends a new
 * primary's file only when that file starts exactly at binlogd's committed GTID state and its
 * name collides with nothing stored. Anything else is refused before a byte is written, with
 * a message that lists what each side lacks and what the operator can do.
 *
 * Pure decisions over texts (no sockets, no clock), so every case is unit-tested.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_CONTINUITY_H
#define BINLOGD_SERVER_UPSTREAM_CONTINUITY_H

#include <stddef.h>

enum cont_verdict {
    CONT_OK = 0,
    CONT_NAME_CLASH,      /* the file is stored already, or same basename with a number not higher */
    CONT_UPSTREAM_BEHIND, /* the new primary lacks transactions binlogd has */
    CONT_UPSTREAM_AHEAD,  /* the new primary has transactions binlogd lacks (errant, or binlogd lagged) */
    CONT_DIVERGED,        /* both: each side has transactions the other lacks */
    CONT_BAD_STATE        /* a state text does not parse */
};

const char *cont_verdict_name(enum cont_verdict v);

/* Compare binlogd's committed state `ours` with the state `theirs` at which the candidate
 * file starts (MariaDB "domain-server-seq,..." per-domain lists, e.g. BINLOG_GTID_POS(f, 4)).
 * who names the upstream in the message (e.g. "db2:3306"). msg gets a sentence for the log
 * and SHOW SLAVE STATUS. */
enum cont_verdict continuity_compare(const char *ours, const char *theirs, const char *who, char *msg, size_t cap);

/* May `cand` follow the stored files? stored[0..n) in index order (the last is ours).
 * CONT_OK or CONT_NAME_CLASH with msg (saying how many FLUSH BINARY LOGS would make it fit). */
enum cont_verdict continuity_name(const char *const *stored, size_t n, const char *cand, char *msg, size_t cap);

#endif
