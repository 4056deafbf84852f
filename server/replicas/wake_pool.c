/*
 * wake_pool.c - see wake_pool.h.
 *
 * A job is (items, n, fn, generation). Workers sleep on a condition variable until the
 * generation changes, then take chunks by an atomic index until it passes n; the last one
 * to finish signals the caller, which has been taking chunks too. Chunks keep the atomic
 * traffic low and still balance replicas whose sends cost very different amounts.
 */
#include "server/replicas/wake_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 16

struct wake_pool {
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    unsigned helpers, started;
    unsigned long gen;      /* bumped per job, under mu */
    unsigned busy;          /* helpers still inside the current job, under mu */
    int stop;
    void **items;
    size_t n;
    void (*fn)(void *);
    void (*each)(void);     /* wake_pool_each_helper's job: every helper calls it once */
    _Atomic size_t next;
    pthread_t *tid;
};

static void drain(struct wake_pool *p, void **items, size_t n, void (*fn)(void *))
{
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&p->next, CHUNK, memory_order_relaxed);
        if (i >= n) return;
        size_t end = i + CHUNK < n ? i + CHUNK : n;
        for (; i < end; i++) fn(items[i]);
    }
}

static void *helper_main(void *arg)
{
    struct wake_pool *p = arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->gen == seen) pthread_cond_wait(&p->start, &p->mu);
        if (p->stop) break;
        seen = p->gen;
        void **items = p->items;
        size_t n = p->n;
        void (*fn)(void *) = p->fn;
        void (*each)(void) = p->each;
        pthread_mutex_unlock(&p->mu);
        if (each) each();
        else drain(p, items, n, fn);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct wake_pool *wake_pool_new(unsigned helpers, char *err, size_t errlen)
{
    if (!helpers) return NULL;
    struct wake_pool *p = calloc(1, sizeof(*p));
    if (!p || !(p->tid = calloc(helpers, sizeof(*p->tid)))) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->helpers = helpers;
    for (; p->started < helpers; p->started++) {
        int rc = pthread_create(&p->tid[p->started], NULL, helper_main, p);
        if (rc) {
            snprintf(err, errlen, "cannot start wake helper thread: %s", strerror(rc));
            wake_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void wake_pool_run(struct wake_pool *p, void **items, size_t n, void (*fn)(void *))
{
    if (!p || n <= CHUNK) {
        for (size_t i = 0; i < n; i++) fn(items[i]);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->items = items;
    p->n = n;
    p->fn = fn;
    p->each = NULL;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->busy = p->started;
    p->gen++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    drain(p, items, n, fn);
    /* Every item is taken, but helpers may still be running theirs: the mutex hand-off
     * orders their writes before ours. */
    pthread_mutex_lock(&p->mu);
    while (p->busy) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void wake_pool_each_helper(struct wake_pool *p, void (*fn)(void))
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->each = fn;
    p->busy = p->started;
    p->gen++;
    pthread_cond_broadcast(&p->start);
    while (p->busy) pthread_cond_wait(&p->done, &p->mu);
    p->each = NULL;
    pthread_mutex_unlock(&p->mu);
}

unsigned wake_pool_helpers(const struct wake_pool *p) { return p ? p->started : 0; }

void wake_pool_free(struct wake_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++) pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->tid);
    free(p);
}
