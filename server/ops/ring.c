/* ring.c - see ring.h. */
#include "server/ops/ring.h"

#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, size_t cap)
{
    memset(r, 0, sizeof(*r));
    if (!cap || !(r->s = calloc(cap, sizeof(*r->s)))) return -1;
    r->cap = cap;
    return 0;
}

void ring_free(struct ring *r)
{
    free(r->s);
    memset(r, 0, sizeof(*r));
}

void ring_push(struct ring *r, const struct ring_sample *x)
{
    if (!r->cap) return;
    r->s[r->head] = *x;
    r->head = (r->head + 1) % r->cap;
    if (r->n < r->cap) r->n++;
}

size_t ring_count(const struct ring *r) { return r->n; }

const struct ring_sample *ring_get(const struct ring *r, size_t i)
{
    if (i >= r->n) return NULL;
    size_t oldest = (r->head + r->cap - r->n) % r->cap;
    return &r->s[(oldest + i) % r->cap];
}
