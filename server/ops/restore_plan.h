/*
 * restore_plan.h - the restore fetcher's book (server/ops/restore.c): which copies are queued,
 * being fetched or in the spool, the spool's accounting and the choice of what to fetch next
 * and what to remove for it. Pure: no files, no processes, no clock; restore.c removes the
 * files and runs the commands the plan names.
 *
 * Rules (README "Restore on demand"):
 *   - Order: the oldest request first. The oldest queued copy starts when fewer than `jobs`
 *     fetches run and its room can be made; a younger one never overtakes it (a small file
 *     does not starve a large one).
 *   - Room: a fetch in flight reserves its recorded size from the moment it starts (its
 *     partial copy grows in the spool), so two fetches starting together never count the
 *     same free bytes: a fetch may start beside others only when used + reserved + its size
 *     fit the bound after removing copies nobody reads (least recently used first). When that
 *     cannot be, it waits for a running fetch to end (or a reader to let a copy go). A fetch
 *     that would run alone starts anyway, removing what it can: the spool then exceeds its
 *     bound only while readers hold more than it (as with one command at a time).
 *   - A copy being read (pinned) is never removed; neither is one queued or being fetched.
 *
 * Thread: the caller's (the loop thread in restore.c); no locking.
 */
#ifndef BINLOGD_SERVER_OPS_RESTORE_PLAN_H
#define BINLOGD_SERVER_OPS_RESTORE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"

enum rplan_state { RPLAN_QUEUED = 0, RPLAN_FETCHING, RPLAN_READY };

/* "queued", "fetching", "ready". */
const char *rplan_state_name(enum rplan_state s);

struct rplan_copy {
    char name[EV_MAX_NAME_LEN + 1];
    uint64_t size;                   /* as recorded when archived: the bytes it takes in the spool */
    enum rplan_state state;
    unsigned pins;                   /* readers holding the ready copy */
    uint64_t asked;                  /* order of the first request: the smallest is the oldest */
    uint64_t last_used;              /* a use counter: the smallest is the least recently used */
    void *data;                      /* the caller's (restore.c: its waiters) */
    struct rplan_copy *next;
};

struct rplan {
    uint64_t bound;                  /* storage.restore_spool_bytes */
    uint64_t used;                   /* bytes of ready copies */
    uint64_t reserved;               /* bytes of copies being fetched */
    unsigned running, jobs;          /* fetches running; at most this many (>= 1) */
    uint64_t clock;
    struct rplan_copy *copies;
};

/* An empty book. */
void rplan_init(struct rplan *p, uint64_t bound, unsigned jobs);

/* The copy of name, or NULL. */
struct rplan_copy *rplan_find(const struct rplan *p, const char *name);

/* Queue a request for name (size bytes). The new copy (owned by p), or NULL (no memory). */
struct rplan_copy *rplan_add(struct rplan *p, const char *name, uint64_t size);

/* Forget c (any state; its accounting is undone; c->data is the caller's to free first). */
void rplan_remove(struct rplan *p, struct rplan_copy *c);

/* The copy to remove from the spool (ready, unpinned, least recently used) so that
 * used + reserved + room fit the bound, or NULL when they fit or nothing may go. The caller
 * removes the file, then calls rplan_remove. */
struct rplan_copy *rplan_victim(const struct rplan *p, uint64_t room);

/* The copy to fetch now: the oldest queued one, if a job is free and its room can be made
 * (see the rules above); NULL when nothing may start. The caller removes the victims
 * rplan_victim(p, c->size) names, then starts it and calls rplan_started. */
struct rplan_copy *rplan_next(const struct rplan *p);

/* c (queued) is being fetched: it reserves its size and takes a job. */
void rplan_started(struct rplan *p, struct rplan_copy *c);

/* c's fetch ended: its job and reservation are released; ok: c is ready (counted in used,
 * marked used now), else c is removed and freed (a later request fetches again; take
 * c->data first). */
void rplan_fetched(struct rplan *p, struct rplan_copy *c, int ok);

/* A reader takes / lets go of ready copy c. */
void rplan_pin(struct rplan *p, struct rplan_copy *c);
void rplan_unpin(struct rplan *p, struct rplan_copy *c);

/* Copies queued (waiting for a job or for room). */
unsigned rplan_queued(const struct rplan *p);

#endif
