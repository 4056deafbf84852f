/*
 * memtrim.h - give the memory of ended sessions back to the system once the loop is quiet.
 *
 * glibc keeps what free() returns in its arenas (memtrim_process_init: on purpose, see there):
 * after a storm of dumps (each with an output buffer up to the watermark and a read-ahead)
 * that then disconnect, an idle binlogd stayed at several times its size before the storm.
 * malloc_trim(0) hands the free pages back: MADV_DONTNEED on whole free pages in every arena's
 * bins and the main arena's top. The free top of a thread's own arena it never touches
 * (glibc trims that only from free(), heap_trim, above M_TRIM_THRESHOLD), so each such thread
 * frees a block of its own with the threshold lowered for the moment. It walks
 * every arena under its lock and the pages it returns must be faulted in (zeroed) again when
 * reused, so it runs only after a burst: enough sessions ended, then no more than a trickle
 * (health checks) for a quiet period, and not more often than a minimum interval. Never on
 * a session's path.
 */
#ifndef BINLOGD_SERVER_REPLICAS_MEMTRIM_H
#define BINLOGD_SERVER_REPLICAS_MEMTRIM_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct memtrim;

struct memtrim_opts {
    uint32_t quiet_ms;          /* at most a trickle of session ends for this long: the burst is over */
    uint32_t min_interval_ms;   /* at most one trim per interval */
    uint32_t min_sessions;      /* sessions ended since the last trim before one is worth it */
    /* Other threads that allocate for sessions (the wake helpers): run fn once on each of
     * them and return when all have (NULL: none). malloc_trim cannot reach the free top of
     * their own arenas; fn, run there, can. */
    void (*each_thread)(void *arg, void (*fn)(void));
    void *each_thread_arg;
};

struct memtrim_stats {
    uint64_t trims;             /* malloc_trim calls made */
    uint64_t last_us;           /* how long the last one took */
    int64_t  last_released;     /* RSS bytes before minus after the last one */
};

/* binlogd's malloc policy, once at start before any thread: keep freed memory while replicas
 * come and go (no trimming from free(), no mmap below 4 MiB); memtrim gives it back when a
 * burst is over. */
void memtrim_process_init(void);

/* A trimmer on base (loop thread). NULL on ENOMEM. */
struct memtrim *memtrim_new(struct event_base *base, const struct memtrim_opts *o);
void memtrim_free(struct memtrim *mt);
/* A session ended. O(1): counts and arms the timer if it is not armed. Loop thread. */
void memtrim_note_session_end(struct memtrim *mt);
void memtrim_stats_get(const struct memtrim *mt, struct memtrim_stats *out);

/* Give the loop's per-descriptor map (libevent keeps one small entry per descriptor number
 * ever watched, allocated at first use and never freed) an entry for every number below
 * upto (bounded by RLIMIT_NOFILE), now, while the heap is small. Allocated during a storm
 * instead, thousands of those entries lie scattered between the sessions' buffers and keep
 * their pages from going back to the system after the sessions end: an idle binlogd stayed
 * at ~3x its size before its first 2000-replica storm (1.4x with this). Costs a few
 * syscalls per descriptor number once, and about 50 bytes each. Loop thread, at startup;
 * safe with other threads (F_DUPFD takes only free numbers). Returns how many were made. */
#define MEMTRIM_PRESIZE_MAX 65536u   /* at most this many numbers (about 0.5 s) */
unsigned memtrim_presize_fd_map(struct event_base *base, unsigned upto);

#endif
