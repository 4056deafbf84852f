/*
 * park.h - direct wake-ups: the writer thread sends a commit to a few caught-up replicas
 * itself, before the event loop even wakes.
 *
 * Through the loop a commit reaches a waiting replica after two thread wake-ups: the ingest
 * thread's (the primary's packet) and the loop's (the "watermark moved" eventfd), plus the
 * eventfd's own write and read. On this kind of host each costs tens of microseconds, and
 * together they were most of binlogd's hop (143 us p50 with storage.sync=none, against a
 * MariaDB intermediate master's 266 us). A parked session is one the loop has handed over:
 * a dump waiting at the end of the log with nothing queued, plaintext. Until the loop claims
 * it back, only the thread that runs park_run touches its dump and writes to its socket;
 * the loop touches neither (session_claim at every loop entry into a session).
 *
 *   loop:   park_add (after a wake-up round)          -> PARKED
 *   writer: park_run after each commit: pump + write   -> HANDED (never touched again by it)
 *   loop:   park_take_handed (next wake-up round)      -> the loop's again: finish, re-park
 *   loop:   park_claim (a session callback, a close)   -> the loop's again at once
 *
 * A wake-up round that began before a commit must not park a session that commit's run
 * would then miss: park_add refuses when park_run ran since park_generation() was read (the
 * event_active that run made brings the round again, which pumps the session itself).
 *
 * Thread: park_run from the writer thread (the store's notify hook); everything else from
 * the loop thread. One mutex; park_run holds it while it writes, so a claim waits for at
 * most one round of at most `cap` sends.
 */
#ifndef BINLOGD_SERVER_REPLICAS_PARK_H
#define BINLOGD_SERVER_REPLICAS_PARK_H

#include <stddef.h>
#include <stdint.h>

struct park;

/* A park for at most cap sessions (0: parking off, park_add always refuses). NULL on out of
 * memory. Loop thread. */
struct park *park_new(unsigned cap);
/* Free it; nothing may run park_run any more. Loop thread. */
void park_free(struct park *p);

/* How many park_run calls so far: read at the start of a wake-up round, passed to park_add.
 * Any thread. */
uint64_t park_generation(const struct park *p);

/* Park item (the park does not own it). 0: parked; -1: full, off, or a park_run started
 * since gen was read. Loop thread. */
int park_add(struct park *p, void *item, uint64_t gen);

/* Take item back. 1: the writer had pumped it (HANDED: the caller finishes it now); 0: it
 * was parked and never pumped, or not in the park. Loop thread. */
int park_claim(struct park *p, void *item);

/* Writer thread, after the watermark moved: pump(item) for every parked item, in the order
 * parked, then all of them are HANDED. Returns how many were pumped. */
size_t park_run(struct park *p, void (*pump)(void *item));

/* Move up to cap HANDED items to out (the loop's again). Returns how many. Loop thread. */
size_t park_take_handed(struct park *p, void **out, size_t cap);

/* Hold off park_run while the loop reads parked sessions' dumps (SHOW PROCESSLIST, metrics).
 * Loop thread; keep it short. */
void park_lock(struct park *p);
void park_unlock(struct park *p);

#endif
