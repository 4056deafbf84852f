/*
 * auth_throttle.c - see auth_throttle.h. A linear scan of a fixed array: it runs only on a
 * failed login, and 1024 short string compares cost microseconds.
 */
#include "server/replicas/auth_throttle.h"

#include <stdlib.h>
#include <string.h>

struct slot {
    char host[AUTH_THROTTLE_HOST_MAX + 1];
    uint32_t score;
    uint64_t last_ms;          /* last failure: decay and LRU */
    int used;
};

struct auth_throttle {
    struct slot *slots;
    size_t n;
    struct auth_throttle_stats st;
};

struct auth_throttle *auth_throttle_new(size_t slots)
{
    struct auth_throttle *t = calloc(1, sizeof(*t));
    if (!t) return NULL;
    t->n = slots ? slots : AUTH_THROTTLE_SLOTS;
    if (!(t->slots = calloc(t->n, sizeof(*t->slots)))) {
        free(t);
        return NULL;
    }
    return t;
}

void auth_throttle_free(struct auth_throttle *t)
{
    if (!t) return;
    free(t->slots);
    free(t);
}

/* The score after the quiet time since the last failure has been taken off. */
static uint32_t decayed(const struct slot *s, uint64_t now_ms)
{
    if (!s->used) return 0;
    uint64_t quiet = now_ms > s->last_ms ? now_ms - s->last_ms : 0;
    uint64_t off = quiet / AUTH_THROTTLE_DECAY_MS;
    return off >= s->score ? 0 : s->score - (uint32_t)off;
}

static uint32_t delay_for(uint32_t score)
{
    if (score <= AUTH_THROTTLE_FREE) return 0;
    uint32_t steps = score - AUTH_THROTTLE_FREE - 1;
    if (steps >= 16) return AUTH_THROTTLE_MAX_MS;
    uint64_t d = (uint64_t)AUTH_THROTTLE_FIRST_MS << steps;
    return d > AUTH_THROTTLE_MAX_MS ? AUTH_THROTTLE_MAX_MS : (uint32_t)d;
}

static const struct slot *find(const struct auth_throttle *t, const char *host)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->slots[i].used && !strcmp(t->slots[i].host, host)) return &t->slots[i];
    return NULL;
}

uint32_t auth_throttle_peek(const struct auth_throttle *t, const char *host, uint64_t now_ms)
{
    const struct slot *s = find(t, host);
    return delay_for((s ? decayed(s, now_ms) : 0) + 1);
}

uint32_t auth_throttle_failure(struct auth_throttle *t, const char *host, uint64_t now_ms)
{
    struct slot *s = (struct slot *)find(t, host), *victim = NULL;
    if (!s) {
        for (size_t i = 0; i < t->n && !victim; i++)
            if (!t->slots[i].used) victim = &t->slots[i];
        if (!victim) {   /* full: forget the host whose last failure is oldest */
            victim = &t->slots[0];
            for (size_t i = 1; i < t->n; i++)
                if (t->slots[i].last_ms < victim->last_ms) victim = &t->slots[i];
            t->st.evictions++;
        } else {
            t->st.hosts++;
        }
        memset(victim, 0, sizeof(*victim));
        victim->used = 1;
        size_t hl = strlen(host);
        if (hl > AUTH_THROTTLE_HOST_MAX) hl = AUTH_THROTTLE_HOST_MAX;
        memcpy(victim->host, host, hl);
        s = victim;
    }
    uint32_t score = decayed(s, now_ms);
    if (score < UINT32_MAX) score++;
    s->score = score;
    s->last_ms = now_ms;
    uint32_t d = delay_for(score);
    t->st.failures++;
    if (d) {
        t->st.delayed++;
        t->st.delay_ms_total += d;
    }
    return d;
}

void auth_throttle_stats_get(const struct auth_throttle *t, struct auth_throttle_stats *out) { *out = t->st; }
