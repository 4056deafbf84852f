/* sync_stats.c - see sync_stats.h. */
#include "storage/sync_stats.h"

#include <stdatomic.h>
#include <stddef.h>

/* From 100 us (a journal overwrite on a fast disk) to 2.5 s (a stalled device): the range
 * where a binlog server's sync latency lives, roughly x2.5 per step. */
const double sync_stats_bounds[SYNC_STATS_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,    1.0,  2.5};

static atomic_uint_least64_t g_calls[SYNC_KIND__COUNT], g_errors[SYNC_KIND__COUNT];
static atomic_uint_least64_t g_bucket[SYNC_STATS_BUCKETS + 1], g_sum_ns;

void sync_stats_record(enum sync_kind kind, uint64_t ns, int failed)
{
    if ((unsigned)kind >= SYNC_KIND__COUNT) return;
    size_t b = 0;
    while (b < SYNC_STATS_BUCKETS && (double)ns > sync_stats_bounds[b] * 1e9) b++;
    atomic_fetch_add_explicit(&g_bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_sum_ns, ns, memory_order_relaxed);
    if (failed) atomic_fetch_add_explicit(&g_errors[kind], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g_calls[kind], 1, memory_order_relaxed);
}

void sync_stats_get(struct sync_stats *out)
{
    for (int k = 0; k < SYNC_KIND__COUNT; k++) {
        out->calls[k] = atomic_load_explicit(&g_calls[k], memory_order_relaxed);
        out->errors[k] = atomic_load_explicit(&g_errors[k], memory_order_relaxed);
    }
    for (int b = 0; b <= SYNC_STATS_BUCKETS; b++) out->bucket[b] = atomic_load_explicit(&g_bucket[b], memory_order_relaxed);
    out->sum_ns = atomic_load_explicit(&g_sum_ns, memory_order_relaxed);
}

const char *sync_kind_name(enum sync_kind k)
{
    switch (k) {
    case SYNC_KIND_FSYNC: return "fsync";
    case SYNC_KIND_FDATASYNC: return "fdatasync";
    case SYNC_KIND__COUNT: break;
    }
    return "?";
}
