/*
 * memtrim.c - see memtrim.h. One libevent timer, armed by a session end; when it fires it
 * waits for the burst to end (more than a trickle of sessions ended during the last
 * quiet_ms), for the interval, or trims. Loop thread only.
 */
#include "server/replicas/memtrim.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>

#include "server/log.h"

#define TAG "memory"
/* At most this many session ends in one quiet period and the burst is over. */
#define MEMTRIM_TRICKLE 4
/* The malloc policy (memtrim_process_init) and the threshold used while trimming. */
#define MMAP_THRESHOLD (4 << 20)
#define TRIM_THRESHOLD_KEEP (512 << 20)
#define TRIM_THRESHOLD_NOW (1 << 20)

void memtrim_process_init(void)
{
#ifdef __GLIBC__
    /* Socket buffers come and go by the tens of kilobytes per replica per loop turn. Left to
     * its defaults glibc gives freed arena tops back to the kernel, and every new chunk then
     * costs page faults and zeroing (a fifth of the CPU at 128 streaming replicas in perf).
     * What binlogd holds is bounded by the per-replica watermarks anyway, so keep it, and let
     * memtrim give it back once a burst of sessions is over. (One arena for every thread
     * instead would let malloc_trim reach everything, but the loop thread and the wake
     * helpers then contend for its lock: 0.64-1.0x MB/s, up to 1.9x server CPU at 16 and
     * 128 streaming readers in a noisy A/B, docs/benchmarks.md.) */
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_KEEP);
#endif
}

#ifdef __GLIBC__
/* On a thread with its own arena: free a block of 256 KiB (at least 64 KiB, so that free()
 * runs heap_trim on the arena's top; below MMAP_THRESHOLD, so that it comes from the arena)
 * while the trim threshold is low: the arena's free top goes back to the system. */
static void trim_own_arena(void)
{
    void *volatile p = malloc(256 << 10);
    free(p);
}
#endif

struct memtrim {
    struct memtrim_opts o;
    struct event *ev;
    int armed;
    uint32_t ended;             /* sessions ended since the last trim */
    uint32_t window;            /* sessions ended since the timer was armed */
    uint64_t last_trim_ms;
    struct memtrim_stats st;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Resident bytes from /proc/self/statm (second field, pages); -1 when unreadable. */
static int64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    unsigned long size = 0, res = 0;
    int n = fscanf(f, "%lu %lu", &size, &res);
    fclose(f);
    return n == 2 ? (int64_t)res * sysconf(_SC_PAGESIZE) : -1;
}

static void arm(struct memtrim *mt, uint64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(mt->ev, &tv);
    mt->armed = 1;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct memtrim *mt = arg;
    mt->armed = 0;
    uint64_t now = now_ms();
    /* Still a burst? A trickle (a health check every second or two) is not one. */
    uint32_t w = mt->window;
    mt->window = 0;
    if (w > MEMTRIM_TRICKLE) { arm(mt, mt->o.quiet_ms); return; }
    if (mt->last_trim_ms && now - mt->last_trim_ms < mt->o.min_interval_ms) {
        arm(mt, mt->o.min_interval_ms - (now - mt->last_trim_ms));
        return;
    }
    if (mt->ended < mt->o.min_sessions) return;   /* a few sessions: not worth it; the next end re-arms */
    mt->ended = 0;
    mt->last_trim_ms = now;
#ifdef __GLIBC__
    int64_t before = rss_bytes();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    malloc_trim(0);
    if (mt->o.each_thread) {
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_NOW);
        mt->o.each_thread(mt->o.each_thread_arg, trim_own_arena);
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_KEEP);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t after = rss_bytes();
    mt->st.trims++;
    mt->st.last_us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    mt->st.last_released = before >= 0 && after >= 0 ? before - after : 0;
    log_msg(mt->st.last_released >= 8 << 20 ? LOG_INFO : LOG_DEBUG, TAG,
            "sessions ended: returned %lld KiB of freed memory to the system in %llu us (RSS now %lld KiB)",
            (long long)(mt->st.last_released / 1024), (unsigned long long)mt->st.last_us, (long long)(after / 1024));
#endif
}

struct memtrim *memtrim_new(struct event_base *base, const struct memtrim_opts *o)
{
    struct memtrim *mt = calloc(1, sizeof(*mt));
    if (!mt) return NULL;
    mt->o = *o;
    if (!(mt->ev = evtimer_new(base, on_timer, mt))) {
        free(mt);
        return NULL;
    }
    return mt;
}

void memtrim_free(struct memtrim *mt)
{
    if (!mt) return;
    event_free(mt->ev);
    free(mt);
}

void memtrim_note_session_end(struct memtrim *mt)
{
    mt->ended++;
    mt->window++;
    if (!mt->armed) arm(mt, mt->o.quiet_ms);
}

void memtrim_stats_get(const struct memtrim *mt, struct memtrim_stats *out) { *out = mt->st; }

static void fd_map_noop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what; (void)arg;
}

unsigned memtrim_presize_fd_map(struct event_base *base, unsigned upto)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < upto)
        upto = (unsigned)rl.rlim_cur;
    /* A few microseconds per number: beyond this the start would take seconds; the numbers
     * above it get their entries at first use, as before. */
    if (upto > MEMTRIM_PRESIZE_MAX) upto = MEMTRIM_PRESIZE_MAX;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) return 0;
    unsigned made = 0;
    struct event *e = NULL;
    for (int want = 0; want >= 0 && (unsigned)want < upto;) {
        /* the lowest free number >= want: never one another thread holds */
        int fd = fcntl(sv[0], F_DUPFD_CLOEXEC, want);
        if (fd == -1 || (unsigned)fd >= upto) {
            if (fd != -1) close(fd);
            break;
        }
        if (!e) e = event_new(base, fd, EV_READ, fd_map_noop, NULL);
        else event_assign(e, base, fd, EV_READ, fd_map_noop, NULL);
        if (e && event_add(e, NULL) == 0) {
            event_del(e);
            made++;
        }
        close(fd);
        want = fd + 1;
    }
    event_free(e);
    close(sv[0]);
    close(sv[1]);
    return made;
}
