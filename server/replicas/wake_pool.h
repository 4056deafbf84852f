/*
 * wake_pool.h - fork-join helpers for the "watermark moved" wake-up.
 *
 * When a commit wakes thousands of waiting replicas, nearly all of the work is the kernel's
 * TCP send path (on loopback it even runs the receiver's side in the sender's context). One
 * loop thread does that serially. The pool lets the loop thread hand out the per-replica
 * sends to helper threads and join them before it goes on, so no session is ever touched by
 * two threads at once and the loop's own state (session list, counters, closing) stays on
 * the loop thread.
 *
 * Thread: wake_pool_new/run/each_helper/free are called from the loop thread only. The
 * helpers run `fn` on items (or the each_helper function), nothing else.
 */
#ifndef BINLOGD_SERVER_REPLICAS_WAKE_POOL_H
#define BINLOGD_SERVER_REPLICAS_WAKE_POOL_H

#include <stddef.h>

struct wake_pool;

/* Start `helpers` threads (0 = no pool: returns NULL without error, and wake_pool_run then
 * runs everything on the caller). Returns NULL with err set when a thread cannot start. */
struct wake_pool *wake_pool_new(unsigned helpers, char *err, size_t errlen);

/* Call fn(items[i]) once for every i < n, spread over the caller and the helpers, and return
 * when all calls have returned. fn must only touch its item (and thread-safe shared state).
 * p may be NULL. Items are handed out in small chunks, in order. */
void wake_pool_run(struct wake_pool *p, void **items, size_t n, void (*fn)(void *item));

/* Make every helper thread call fn() once (not the caller); return when all have. For work
 * that must run on each thread itself (server/replicas/memtrim.c: trimming a thread's own
 * malloc arena). p may be NULL (nothing to do). Loop thread. */
void wake_pool_each_helper(struct wake_pool *p, void (*fn)(void));

/* Helpers in the pool (0 for NULL). */
unsigned wake_pool_helpers(const struct wake_pool *p);

/* Stop and join the helpers. NULL is fine. */
void wake_pool_free(struct wake_pool *p);

#endif
