/*
 * park.c - see park.h. Both lists are tiny (cap is binlogd.direct_wakes, at most 64), so
 * they are plain arrays searched linearly.
 */
#include "server/replicas/park.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct park {
    pthread_mutex_t mu;
    atomic_uint_fast64_t gen;   /* park_run calls, bumped before each takes the mutex */
    unsigned cap;
    size_t n_parked, n_handed;
    void **parked;              /* cap long: waiting for the writer's next run */
    void **handed;              /* cap long: pumped by the writer, waiting for the loop */
};

struct park *park_new(unsigned cap)
{
    struct park *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->cap = cap;
    atomic_init(&p->gen, 0);
    if (cap && (!(p->parked = calloc(cap, sizeof(void *))) || !(p->handed = calloc(cap, sizeof(void *))))) {
        free(p->parked);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

void park_free(struct park *p)
{
    if (!p) return;
    pthread_mutex_destroy(&p->mu);
    free(p->parked);
    free(p->handed);
    free(p);
}

uint64_t park_generation(const struct park *p) { return atomic_load((atomic_uint_fast64_t *)&p->gen); }

int park_add(struct park *p, void *item, uint64_t gen)
{
    if (!p->cap) return -1;
    int rc = -1;
    pthread_mutex_lock(&p->mu);
    /* Under the mutex: a run that bumped gen after this check takes the mutex after us and
     * sees the item; one that bumped it before is refused here. */
    if (p->n_parked + p->n_handed < p->cap && atomic_load(&p->gen) == gen) {
        p->parked[p->n_parked++] = item;
        rc = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Remove item from list a[0..*n), keeping the order. 1 if it was there. */
static int list_remove(void **a, size_t *n, void *item)
{
    for (size_t i = 0; i < *n; i++) {
        if (a[i] != item) continue;
        for (size_t j = i + 1; j < *n; j++) a[j - 1] = a[j];
        (*n)--;
        return 1;
    }
    return 0;
}

int park_claim(struct park *p, void *item)
{
    pthread_mutex_lock(&p->mu);
    int handed = !list_remove(p->parked, &p->n_parked, item) && list_remove(p->handed, &p->n_handed, item);
    pthread_mutex_unlock(&p->mu);
    return handed;
}

size_t park_run(struct park *p, void (*pump)(void *item))
{
    atomic_fetch_add(&p->gen, 1);
    pthread_mutex_lock(&p->mu);
    size_t n = p->n_parked;
    for (size_t i = 0; i < n; i++) {
        pump(p->parked[i]);
        p->handed[p->n_handed++] = p->parked[i];   /* cap bounds parked + handed together */
    }
    p->n_parked = 0;
    pthread_mutex_unlock(&p->mu);
    return n;
}

size_t park_take_handed(struct park *p, void **out, size_t cap)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->n_handed < cap ? p->n_handed : cap;
    for (size_t i = 0; i < n; i++) out[i] = p->handed[i];
    for (size_t i = n; i < p->n_handed; i++) p->handed[i - n] = p->handed[i];
    p->n_handed -= n;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void park_lock(struct park *p) { pthread_mutex_lock(&p->mu); }
void park_unlock(struct park *p) { pthread_mutex_unlock(&p->mu); }
