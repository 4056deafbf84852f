/*
 * auth_throttle.h - failed logins from one host are slowed, never locked out.
 *
 * Each host (the peer address as text) has a score: +1 per failed login, -1 per
 * AUTH_THROTTLE_DECAY_MS without a failure. The ERR 1045 of a failure waits
 *   score 1..2: 0 ms, 3: 100 ms, then doubling, capped at AUTH_THROTTLE_MAX_MS (2 s).
 * Only failures wait: a correct password answers at once whatever the host's score, and
 * other hosts are not affected. The table has a fixed number of slots; when it is full the
 * least recently failing host is forgotten (LRU), so memory is bounded whatever an attacker
 * does (spreading over many addresses only makes it forget them, never slows anyone else).
 * The caller does the waiting (a libevent timer in the session); this file only counts.
 *
 * Thread: the loop thread (one table per listener). No clock inside: times come in.
 */
#ifndef BINLOGD_SERVER_REPLICAS_AUTH_THROTTLE_H
#define BINLOGD_SERVER_REPLICAS_AUTH_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_THROTTLE_SLOTS    1024
#define AUTH_THROTTLE_FREE     2        /* failures answered at once */
#define AUTH_THROTTLE_FIRST_MS 100
#define AUTH_THROTTLE_MAX_MS   2000
#define AUTH_THROTTLE_DECAY_MS 10000    /* one failure forgotten per this much quiet */
#define AUTH_THROTTLE_HOST_MAX 63

struct auth_throttle;

struct auth_throttle_stats {
    uint64_t failures;        /* failed logins counted */
    uint64_t delayed;         /* of those, answered after a delay */
    uint64_t delay_ms_total;  /* sum of the delays */
    uint64_t evictions;       /* hosts forgotten because the table was full */
    uint64_t hosts;           /* hosts with a score now (slots in use) */
};

/* A table of `slots` hosts (0: AUTH_THROTTLE_SLOTS). NULL when out of memory. */
struct auth_throttle *auth_throttle_new(size_t slots);
void auth_throttle_free(struct auth_throttle *t);

/* A login from `host` failed at now_ms: count it; returns how long (ms) the ERR waits. */
uint32_t auth_throttle_failure(struct auth_throttle *t, const char *host, uint64_t now_ms);

/* The delay a failure from host would get now, without counting one (tests, SHOW). */
uint32_t auth_throttle_peek(const struct auth_throttle *t, const char *host, uint64_t now_ms);

/* Counters, for SHOW STATUS and the metrics (server/ops). */
void auth_throttle_stats_get(const struct auth_throttle *t, struct auth_throttle_stats *out);

#endif
