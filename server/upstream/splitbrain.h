/*
 * splitbrain.h - the split-brain rule: does a server binlogd watches (a failover candidate,
 * or a primary it followed before) hold transactions of a second writer? Pure decisions
 * over GTID texts (no sockets, no clock), so every case is unit-tested; watch.c polls the
 * servers and calls it.
 *
 * MariaDB. Inputs are binlog states ("d-s-n,...", the last GTID of every (domain, server)
 * pair, as @@gtid_binlog_state lists them; a @@gtid_binlog_pos works too, with less to see).
 * A GTID d-s-n of the watched server X is
 *   - known:   binlogd's history holds it (binlogd has (d, s) with a seq >= n);
 *   - lag:     not known, but the current upstream has it (its polled state has (d, s) with
 *              seq >= n) or s is the upstream's own server_id, or (the upstream being a
 *              binlogd) the server_id of the upstream's last GTID in domain d: it is on its
 *              way to binlogd, X is merely ahead of binlogd (a sibling replica or a sibling
 *              binlogd does that all the time);
 *   - fresh:   (X a binlogd) from a (d, s) pair neither binlogd nor the upstream has: a new
 *              primary X's own upstream failed over to first; counted as ahead;
 *   - foreign: neither: a transaction that binlogd's primary never had.
 * The primary domains are the domains the current upstream writes: its @@gtid_domain_id,
 * and every domain in which binlogd's history or the upstream's state has a GTID whose
 * server_id is the current upstream's or that of a primary binlogd followed before (so a
 * setup with one domain per server still counts the old primary's domain as written).
 *   split-brain  X has a foreign GTID in a primary domain and the upstream answered this
 *                round (two servers take writes for the same stream: e.g. the old primary
 *                writing again after a failover, or a candidate written to behind its back);
 *   ahead        X has GTIDs binlogd lacks, but none of them foreign in a primary domain: lag,
 *                or foreign only in domains the upstream does not write (another source's
 *                domain, local writes with their own gtid_domain_id), or foreign while the
 *                upstream is unreachable (a failover in progress cannot be told from a split
 *                brain: judged again once it answers). Not an alarm; a failover to X would
 *                still be refused by the continuity rule;
 *   ok           X's per-domain position equals binlogd's;
 *   behind       everything X has, binlogd has (X's state is a prefix of binlogd's history).
 *
 * MySQL. Inputs are GTID sets (@@gtid_executed). A GTID of X is known when binlogd's set
 * holds it, lag when the upstream's set holds it or its UUID is the upstream's server_uuid,
 * foreign otherwise. MySQL has no domains: a foreign GTID is split-brain when its UUID is one
 * binlogd's history already holds (a writer of this stream, e.g. the old primary), ahead
 * when the UUID is new to binlogd (an errant local write on X).
 */
#ifndef BINLOGD_SERVER_UPSTREAM_SPLITBRAIN_H
#define BINLOGD_SERVER_UPSTREAM_SPLITBRAIN_H

#include <stddef.h>
#include <stdint.h>

enum splitbrain_verdict {
    SPLITBRAIN_OK = 0,       /* same position as binlogd */
    SPLITBRAIN_BEHIND,       /* a prefix of binlogd's history */
    SPLITBRAIN_AHEAD,        /* has more, not an alarm (lag, other domains, upstream down) */
    SPLITBRAIN_SPLIT,        /* the alarm */
    SPLITBRAIN_UNREACHABLE,  /* the watch could not connect or query it (never "healthy") */
    SPLITBRAIN_ERROR,        /* it answered, but not with a state that can be judged */
    SPLITBRAIN_UPSTREAM,     /* binlogd's current upstream: ahead of binlogd is lag, not judged */
    SPLITBRAIN_UNKNOWN       /* not polled yet */
};

const char *splitbrain_verdict_name(enum splitbrain_verdict v);

/* What the verdict needs besides the watched server's state. */
struct splitbrain_ctx {
    const char *ours;              /* binlogd's committed binlog state / executed set */
    const char *upstream;          /* the current upstream's state as last polled; NULL or "" = unknown */
    int upstream_reachable;        /* the upstream answered in this round */
    uint32_t upstream_server_id;   /* 0 = unknown */
    int has_upstream_domain;
    uint32_t upstream_domain;      /* its @@gtid_domain_id (MariaDB) */
    const uint32_t *previous_ids;  /* server_ids of the primaries binlogd followed before */
    size_t n_previous_ids;
    const char *upstream_uuid;     /* MySQL: the upstream's @@server_uuid; NULL = unknown */
    /* MariaDB, the upstream is itself a binlogd (a mirror, whose own server_id writes nothing):
     * its @@gtid_binlog_pos. The server of each domain's GTID there is the writer the upstream
     * is mirroring; GTIDs of that (domain, server) are lag, as the upstream's own are for a
     * primary. NULL or "" = not a binlogd / unknown. */
    const char *upstream_writers;
    /* The judged server is a binlogd (a mirror: it takes no writes). A GTID of a (domain,
     * server) pair that neither binlogd's history nor the upstream's state holds is then a
     * primary the mirror reached first (its upstream failed over before binlogd's did):
     * ahead, not split-brain. Set per judged server. */
    int target_mirror;
};

/* Judge the MariaDB binlog state `theirs` of server `who` ("host:port", for the text).
 * reason gets one bounded sentence (the GTIDs it has that binlogd lacks, at most 8 listed);
 * finding (optional) gets the foreign (domain, server) pairs in canonical order ("0-10,1-12"),
 * stable while the same writers keep writing: the watch logs once per new finding.
 * Returns OK, BEHIND, AHEAD, SPLIT, or ERROR when a state does not parse. */
enum splitbrain_verdict splitbrain_judge_maria(const struct splitbrain_ctx *c, const char *theirs, const char *who,
                                               char *reason, size_t cap, char *finding, size_t fcap);

/* The same over MySQL GTID sets (see above); finding gets the foreign UUIDs. */
enum splitbrain_verdict splitbrain_judge_mysql(const struct splitbrain_ctx *c, const char *theirs, const char *who,
                                               char *reason, size_t cap, char *finding, size_t fcap);

#endif
