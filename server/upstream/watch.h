/*
 * watch.h - the split-brain watch: a thread that polls the servers binlogd knows besides its
 * current upstream (upstream.candidates and the primaries it followed before, see
 * upstream_history.h) and judges each one's GTID state against binlogd's own committed
 * history with the rule of splitbrain.h. A server holding transactions of a second writer
 * is logged once per new finding at ERROR, with a WARN line when it clears, and shown in
 * SHOW BINLOG WATCH and through watch_status_get()/watch_summary_get() (metrics, /healthz).
 *
 * Every round (watch.interval_ms) the thread connects to each watched server in turn with
 * the replication account (upstream.user/password) and the upstream's TLS settings, fail
 * closed as the ingest (upstream_tls.h), short timeouts (watch.connect_timeout_ms,
 * rounded up to the client library's whole seconds), one SELECT of its GTID variables (and
 * @@version_comment: a binlogd is a mirror, see splitbrain.h's upstream_writers), and
 * closes the connection: one connection per server per round is cheap at this rate, needs no
 * liveness logic for idle links, and an unreachable server shows as unreachable at the next
 * round instead of as a stale "ok". The current upstream is polled last (its server_id,
 * @@gtid_domain_id and state), so a GTID a sibling got from it before the round cannot look
 * foreign; binlogd's own state is read after that.
 *
 * Thread: its own (blocking libmysqlclient, no libevent). The getters and setters may be
 * called from any thread.
 */
#ifndef BINLOGD_SERVER_UPSTREAM_WATCH_H
#define BINLOGD_SERVER_UPSTREAM_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "server/upstream/splitbrain.h"

struct ingest;
struct store;
struct watch;

#define WATCH_MAX_SERVERS 32      /* watched servers plus the current upstream */
#define WATCH_STATE_MAX   1024    /* GTID state text kept per server (cut with "...") */
#define WATCH_REASON_MAX  1024

/* watch.enabled: auto = poll when upstream.candidates is set or previous upstreams are known. */
enum watch_mode { WATCH_AUTO = -1, WATCH_OFF = 0, WATCH_ON = 1 };

struct watch_opts {
    enum watch_mode mode;
    uint32_t interval_ms;          /* between the starts of two rounds */
    uint32_t connect_timeout_ms;   /* connect, read and write timeouts of each poll */
    const char *candidates;        /* upstream.candidates ("host:port,..."), copied */
};

/* One watched server (or the current upstream, is_upstream = 1) as of its last poll. */
struct watch_server_status {
    char server[300];              /* "host:port" */
    int is_upstream;               /* binlogd's current upstream: polled, never judged */
    int reachable;                 /* the last poll connected and read its state */
    uint32_t server_id;            /* its @@server_id; 0 = unknown */
    uint64_t last_poll_unix_ms;    /* wall clock of the last poll; 0 = not polled yet */
    uint64_t last_poll_age_ms;     /* since then, at the time of the snapshot; UINT64_MAX = never */
    char gtid_state[WATCH_STATE_MAX];   /* @@gtid_binlog_pos (MariaDB) / @@gtid_executed (MySQL) */
    enum splitbrain_verdict verdict;
    char reason[WATCH_REASON_MAX];      /* one sentence: why this verdict */
    uint64_t split_since_unix_ms;  /* verdict split-brain: when this finding was first seen; else 0 */
};

struct watch_summary {
    int enabled;                   /* polling (watch.enabled on, or auto with something to watch) */
    size_t servers;                /* rows in watch_status_get, the upstream's included */
    size_t split_brain;            /* rows with verdict split-brain (the alarm: > 0) */
    size_t unreachable;            /* rows with verdict unreachable */
    uint64_t rounds;               /* rounds completed since start */
    char reason[WATCH_REASON_MAX]; /* the first split-brain row's reason; "" when none (for /healthz) */
};

/* Copy o (strings included). ingest gives the current upstream, its account and the previous
 * upstreams; store gives binlogd's committed GTID state. Both must outlive the watch.
 * NULL on ENOMEM. Caller's thread (main). */
struct watch *watch_new(const struct watch_opts *o, struct ingest *in, struct store *st);
/* Start the thread. 0 or -1 (errno). */
int watch_start(struct watch *w);
/* Stop and join the thread (a poll in progress ends within its timeouts). Idempotent. */
void watch_stop(struct watch *w);
/* Stop, then free. NULL is fine. */
void watch_free(struct watch *w);

/* Reload: new mode, interval and timeout, from the next round (a wait in progress is cut
 * short so a shorter interval applies at once). Any thread. */
void watch_set_options(struct watch *w, enum watch_mode mode, uint32_t interval_ms, uint32_t connect_timeout_ms);

/* Snapshot of the table (thread-safe copy): fills out[0..cap) in watch order (candidates,
 * then previous upstreams, then the current upstream) and returns how many rows there are
 * in all. Empty while disabled. Any thread; does not wait on a poll in progress. */
size_t watch_status_get(struct watch *w, struct watch_server_status *out, size_t cap);
/* Counts and the first split-brain reason, for metrics and /healthz. Any thread. */
void watch_summary_get(struct watch *w, struct watch_summary *out);

const char *watch_mode_name(enum watch_mode m);

#endif
