/*
 * sync_stats.h - how often the data directory is made durable and how long that takes:
 * every fsync/fdatasync made through fsio.c is counted here, with its latency in a fixed
 * histogram. Lock-free (relaxed atomics), so the writer thread pays two clock reads and a
 * few increments per sync, and a reader (the metrics scrape on the loop thread) never waits
 * on a thread that is in the middle of a sync.
 *
 * Process-wide, like fsio's fault table: there is one data directory per process.
 * Thread: any.
 */
#ifndef BINLOGD_STORAGE_SYNC_STATS_H
#define BINLOGD_STORAGE_SYNC_STATS_H

#include <stdint.h>

/* Upper bounds (seconds) of the latency buckets; a last, implicit bucket is +Inf. */
#define SYNC_STATS_BUCKETS 14
extern const double sync_stats_bounds[SYNC_STATS_BUCKETS];

enum sync_kind { SYNC_KIND_FSYNC = 0, SYNC_KIND_FDATASYNC, SYNC_KIND__COUNT };

struct sync_stats {
    uint64_t calls[SYNC_KIND__COUNT];    /* completed calls, failed ones included */
    uint64_t errors[SYNC_KIND__COUNT];   /* calls that returned an error */
    /* latency of every call of either kind: per bucket, NOT cumulative; [SYNC_STATS_BUCKETS]
     * counts the calls above the last bound */
    uint64_t bucket[SYNC_STATS_BUCKETS + 1];
    uint64_t sum_ns;
};

/* Record one call of `kind` that took ns nanoseconds (failed: it returned -1). Any thread. */
void sync_stats_record(enum sync_kind kind, uint64_t ns, int failed);

/* Copy the counters. The fields are read one by one (no snapshot lock): a concurrent sync
 * may be counted in calls but not yet in its bucket, which a scrape later sees. Any thread. */
void sync_stats_get(struct sync_stats *out);

const char *sync_kind_name(enum sync_kind k);

#endif
