/*
 * gtid_start.h - serving a MariaDB replica that connects with @slave_connect_state
 * (MASTER_USE_GTID=slave_pos|current_pos), as a MariaDB 10.11 primary does (sql_repl.cc:
 * check_slave_start_position, gtid_find_binlog_file, send_event_to_slave):
 *
 *   1. resolve: parse the state (1941 / 1943 like mariadbd), check every requested GTID
 *      against the binlog state (1236 "...which is not in the master's binlog" and its
 *      "diverged" variant), pick the newest file whose GTID_LIST the state contains;
 *   2. per event: skip whole groups until each requested domain is reached, then send; a
 *      fake GTID_LIST (artificial, log_pos = end of the reached group) tells the replica
 *      where it stands; strict mode refuses a start in a hole.
 *
 * Pure code over texts and event bytes; one object per dump. Not thread-safe.
 */
#ifndef BINLOGD_PROTOCOL_GTID_START_H
#define BINLOGD_PROTOCOL_GTID_START_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/errmsg.h"
#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/gtid_track.h"

/* One stored file as the resolvers see it (oldest first). */
struct gtid_start_file {
    const char *name;
    int known;                       /* 0: the file's GTIDs could not be read */
    enum gtid_track_flavor flavor;   /* MARIA: starts with a GTID_LIST; MYSQL: with PREVIOUS_GTIDS */
    const char *start;               /* that list ("d-s-n,..." / GTID set text) */
};

struct gtid_start {
    int mysql;                      /* COM_BINLOG_DUMP_GTID: skip what `exclude` holds */
    struct gtid_mysql_set *exclude; /* MySQL: the replica's executed + retrieved GTIDs (owned) */
    int in_group;                   /* MySQL: inside a group the replica already has */
    uint64_t exclude_end;           /* MySQL: end of the last skipped event not yet announced */
    struct gtid_maria_state want;   /* requested GTIDs of domains not reached yet */
    uint32_t empty_domain[GTID_MARIA_MAX_DOMAINS];   /* requested domains the binlog never had */
    uint32_t n_empty;
    int strict;
    int skip;                       /* 0 no, 1 standalone group, 2 transactional group */
    int fake_pending;               /* send the fake GTID_LIST once the current group is over */
    struct gtid_blist seen;         /* GTIDs seen from the start file up to the reached one */
    struct gtid_blist binlog;       /* the binlog state (for late checks of empty domains) */
};

void gtid_start_init(struct gtid_start *gs);
void gtid_start_free(struct gtid_start *gs);

/* Resolve a request. req/req_len: @slave_connect_state. binlog_state: the binlog state at the
 * end of the stored files ("d-s-n,..." in binlog-state order). Returns 0 with *file_index (into
 * files) or -1 with *e (1941, 1943 or 1236, with the text a MariaDB primary sends). */
int gtid_start_resolve(struct gtid_start *gs, const char *req, size_t req_len, int strict, int ignore_duplicates,
                       const char *binlog_state, const struct gtid_start_file *files, size_t n, size_t *file_index,
                       struct myerr *e);

/* Nothing left to skip or announce: every event is sent as it is. */
int gtid_start_idle(const struct gtid_start *gs);

/* Resolve a COM_BINLOG_DUMP_GTID (MySQL 8.0 Binlog_sender::check_start_file): data/len is the
 * replica's encoded GTID set; executed is the stored history's gtid_executed text ("" when the
 * files carry no GTIDs: GTID_MODE is then OFF and the dump is refused). Refuses a replica that
 * has GTIDs of a known server which binlogd lacks (1885's text) and one that needs purged
 * history (1789's text), both under 1236 as MySQL sends them; picks the newest file whose
 * PREVIOUS_GTIDS the replica's set contains. 0 with *file_index, or -1 with *e. */
int gtid_start_resolve_mysql(struct gtid_start *gs, const uint8_t *data, size_t len, const char *executed,
                             const struct gtid_start_file *files, size_t n, size_t *file_index, struct myerr *e);

/* 1 when every GTID of a is in b (both canonical sets). */
int gtid_mysql_set_subset(const struct gtid_mysql_set *a, const struct gtid_mysql_set *b);

/* Every requested domain is reached (the FDE's `created` may be sent). */
int gtid_start_reached(const struct gtid_start *gs);

enum gtid_start_verdict { GTID_START_SEND = 0, GTID_START_SKIP, GTID_START_ERROR };

/* One event after a file's FDE: send it or skip it. ev holds `avail` bytes of an event of
 * `len` bytes: the whole event is needed only for GTID events and QUERY events of at most
 * GTID_START_PEEK bytes (a longer QUERY is never a bare COMMIT). *fake_after: send the fake
 * GTID_LIST right after this event. On GTID_START_ERROR *e is set (1236). */
#define GTID_START_PEEK 4096
enum gtid_start_verdict gtid_start_event(struct gtid_start *gs, const uint8_t *ev, size_t avail, size_t len,
                                         const struct ev_fmt *fmt, int *fake_after, struct myerr *e);

/* GTID position index (storage/gtidpos.h): may a dump standing at the first GTID event of a
 * file (P) continue at a later boundary B instead of reading [P, B)? state/max: the index
 * entry's texts for B (the GTIDs of the file's groups before B; highest seq_no per pair where
 * it differs from the last). Returns 1 when gtid_start_event would skip every group in
 * [P, B) without reaching a requested GTID, raising an error or sending anything (the caller
 * also checks that [P, B) holds nothing but GTID groups), 0 otherwise (also on bad texts).
 * Monotone in B. Call only when gtid_start_jump_ready. */
int gtid_start_jump_ready(const struct gtid_start *gs);
int gtid_start_jump_ok(const struct gtid_start *gs, const char *state, const char *max);
/* Continue as if [P, B) had been read: the GTIDs it would have noted are noted. 0, or -1
 * (ENOMEM: the dump then reads [P, B) instead; gs is unchanged). */
int gtid_start_jump(struct gtid_start *gs, const char *state);

/* The fake GTID_LIST (type 163, ARTIFICIAL, timestamp 0) listing the GTIDs seen since the
 * start file. Length, or 0 when cap is too small. */
size_t gtid_start_fake_list(const struct gtid_start *gs, uint8_t *out, size_t cap, uint32_t server_id,
                            uint32_t log_pos, enum ev_checksum_alg alg);

#endif
