/*
 * restore_plan.c - see restore_plan.h.
 */
#include "server/ops/restore_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rplan_state_name(enum rplan_state s)
{
    switch (s) {
    case RPLAN_QUEUED: return "queued";
    case RPLAN_FETCHING: return "fetching";
    case RPLAN_READY: return "ready";
    }
    return "?";
}

void rplan_init(struct rplan *p, uint64_t bound, unsigned jobs)
{
    memset(p, 0, sizeof(*p));
    p->bound = bound;
    p->jobs = jobs ? jobs : 1;
}

struct rplan_copy *rplan_find(const struct rplan *p, const char *name)
{
    for (struct rplan_copy *c = p->copies; c; c = c->next)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

struct rplan_copy *rplan_add(struct rplan *p, const char *name, uint64_t size)
{
    struct rplan_copy *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->size = size;
    c->state = RPLAN_QUEUED;
    c->asked = ++p->clock;
    c->next = p->copies;
    p->copies = c;
    return c;
}

void rplan_remove(struct rplan *p, struct rplan_copy *c)
{
    for (struct rplan_copy **x = &p->copies; *x; x = &(*x)->next)
        if (*x == c) {
            *x = c->next;
            break;
        }
    if (c->state == RPLAN_READY) p->used -= c->size;
    if (c->state == RPLAN_FETCHING) {
        p->reserved -= c->size;
        p->running--;
    }
    free(c);
}

/* Would the spool hold used + reserved + room? (no overflow: sizes are file sizes) */
static int fits(const struct rplan *p, uint64_t used, uint64_t room)
{
    return used + p->reserved + room <= p->bound;
}

struct rplan_copy *rplan_victim(const struct rplan *p, uint64_t room)
{
    if (fits(p, p->used, room)) return NULL;
    struct rplan_copy *lru = NULL;
    for (struct rplan_copy *c = p->copies; c; c = c->next)
        if (c->state == RPLAN_READY && !c->pins && (!lru || c->last_used < lru->last_used)) lru = c;
    return lru;
}

struct rplan_copy *rplan_next(const struct rplan *p)
{
    if (p->running >= p->jobs) return NULL;
    struct rplan_copy *oldest = NULL;
    uint64_t removable = 0;
    for (struct rplan_copy *c = p->copies; c; c = c->next) {
        if (c->state == RPLAN_QUEUED && (!oldest || c->asked < oldest->asked)) oldest = c;
        if (c->state == RPLAN_READY && !c->pins) removable += c->size;
    }
    if (!oldest) return NULL;
    /* Alone, it starts whatever readers hold (as one command at a time did); beside others,
     * only when its room can be made: the running fetches' reservations are not free room. */
    if (p->running && !fits(p, p->used - removable, oldest->size)) return NULL;
    return oldest;
}

void rplan_started(struct rplan *p, struct rplan_copy *c)
{
    c->state = RPLAN_FETCHING;
    p->reserved += c->size;
    p->running++;
}

void rplan_fetched(struct rplan *p, struct rplan_copy *c, int ok)
{
    if (!ok) {
        rplan_remove(p, c);
        return;
    }
    p->reserved -= c->size;
    p->running--;
    c->state = RPLAN_READY;
    p->used += c->size;
    c->last_used = ++p->clock;
}

void rplan_pin(struct rplan *p, struct rplan_copy *c)
{
    c->pins++;
    c->last_used = ++p->clock;
}

void rplan_unpin(struct rplan *p, struct rplan_copy *c)
{
    (void)p;
    if (c->pins) c->pins--;
}

unsigned rplan_queued(const struct rplan *p)
{
    unsigned n = 0;
    for (const struct rplan_copy *c = p->copies; c; c = c->next) n += c->state == RPLAN_QUEUED;
    return n;
}
