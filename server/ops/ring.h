/*
 * ring.h - a fixed-size history of samples (the status page's charts: the last hour at one
 * sample every 10 s is 360 points). Allocated once; pushing past the capacity overwrites
 * the oldest. Thread: the loop thread (the sampling timer and the page both run there).
 */
#ifndef BINLOGD_SERVER_OPS_RING_H
#define BINLOGD_SERVER_OPS_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_VALUES 4

struct ring_sample {
    int64_t t;                   /* Unix seconds */
    double v[RING_VALUES];       /* meaning chosen by the owner; NaN = unknown */
};

struct ring {
    struct ring_sample *s;
    size_t cap, n, head;         /* head: where the next sample goes */
};

/* cap samples (> 0). 0, or -1 on ENOMEM. */
int ring_init(struct ring *r, size_t cap);
void ring_free(struct ring *r);
void ring_push(struct ring *r, const struct ring_sample *x);
/* How many samples are held (<= cap). */
size_t ring_count(const struct ring *r);
/* Sample i, 0 = the oldest held, ring_count-1 = the newest; NULL out of range. */
const struct ring_sample *ring_get(const struct ring *r, size_t i);

#endif
