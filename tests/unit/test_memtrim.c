/* test_memtrim.c - when the trimmer trims: only after min_sessions ended, only once the ends
 * thin out to a trickle for a quiet period, at most once per interval, and never for a few
 * ends; memory freed by a burst of allocations is given back (RSS falls), also what another
 * thread freed in its own arena (through each_thread). Real libevent
 * timers with short periods (tens of milliseconds). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>

#include "server/replicas/memtrim.h"

static const struct memtrim_opts OPTS = {.quiet_ms = 40, .min_interval_ms = 600, .min_sessions = 10};

/* Run base for ms milliseconds of wall time. */
static void run_for(struct event_base *b, unsigned ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    event_base_loopexit(b, &tv);
    event_base_dispatch(b);
}

static uint64_t trims(struct memtrim *mt)
{
    struct memtrim_stats st;
    memtrim_stats_get(mt, &st);
    return st.trims;
}

/* Run base until mt has made n trims or max_ms passed (a loaded machine delays timers). */
static void run_until_trims(struct event_base *b, struct memtrim *mt, uint64_t n, unsigned max_ms)
{
    for (unsigned waited = 0; trims(mt) < n && waited < max_ms; waited += 10) run_for(b, 10);
}

static void ends(struct memtrim *mt, unsigned n)
{
    for (unsigned i = 0; i < n; i++) memtrim_note_session_end(mt);
}

static void test_few_ends_no_trim(void **state)
{
    (void)state;
    struct event_base *b = event_base_new();
    struct memtrim *mt = memtrim_new(b, &OPTS);
    assert_non_null(mt);
    ends(mt, 9);
    run_for(b, 150);
    assert_int_equal(trims(mt), 0);
    ends(mt, 1);   /* the tenth: now it is worth it */
    run_until_trims(b, mt, 1, 3000);
    assert_int_equal(trims(mt), 1);
    memtrim_free(mt);
    event_base_free(b);
}

/* Ends keep coming faster than a trickle: no trim until they thin out. */
static void test_waits_for_burst_end(void **state)
{
    (void)state;
    struct event_base *b = event_base_new();
    struct memtrim *mt = memtrim_new(b, &OPTS);
    for (int round = 0; round < 8; round++) {   /* 8 x 20 ms with 10 ends each */
        ends(mt, 10);
        run_for(b, 20);
    }
    assert_int_equal(trims(mt), 0);
    run_until_trims(b, mt, 1, 3000);   /* quiet */
    assert_int_equal(trims(mt), 1);
    memtrim_free(mt);
    event_base_free(b);
}

/* A trickle (a health check now and then) does not hold a trim back. */
static void test_trickle_does_not_block(void **state)
{
    (void)state;
    struct event_base *b = event_base_new();
    struct memtrim *mt = memtrim_new(b, &OPTS);
    ends(mt, 50);
    for (int i = 0; i < 60 && !trims(mt); i++) {   /* one end per 30 ms: at most 2 per quiet period */
        ends(mt, 1);
        run_for(b, 30);
    }
    assert_int_equal(trims(mt), 1);
    memtrim_free(mt);
    event_base_free(b);
}

static void test_min_interval(void **state)
{
    (void)state;
    struct event_base *b = event_base_new();
    struct memtrim *mt = memtrim_new(b, &OPTS);
    ends(mt, 20);
    run_until_trims(b, mt, 1, 3000);
    assert_int_equal(trims(mt), 1);
    ends(mt, 20);
    run_for(b, 150);   /* quiet, but within min_interval of the first */
    assert_int_equal(trims(mt), 1);
    run_until_trims(b, mt, 2, 3000);   /* the interval passed: the deferred one runs */
    assert_int_equal(trims(mt), 2);
    memtrim_free(mt);
    event_base_free(b);
}

static long __attribute__((unused)) rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (!f) return -1;
    int n = fscanf(f, "%lu %lu", &size, &res);
    fclose(f);
    return n == 2 ? (long)(res * (unsigned long)sysconf(_SC_PAGESIZE) / 1024) : -1;
}

/* What a burst freed is given back: 64 MiB in 100 KiB blocks, touched, freed; with binlogd's
 * malloc settings (server/main.c: free() never trims) only the trim after the ends drops RSS. */
static void test_gives_memory_back(void **state)
{
    (void)state;
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)   /* ASan's heap is not glibc's */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    struct event_base *b = event_base_new();
    struct memtrim *mt = memtrim_new(b, &OPTS);
    enum { N = 640 };
    char **blocks = calloc(N, sizeof(*blocks));
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(100 * 1024);
        assert_non_null(blocks[i]);
        memset(blocks[i], i, 100 * 1024);
    }
    long high = rss_kib();
    for (int i = 0; i < N; i++) free(blocks[i]);
    assert_true(high - rss_kib() < 8 * 1024);   /* kept by free() */
    ends(mt, 20);
    run_until_trims(b, mt, 1, 3000);
    assert_int_equal(trims(mt), 1);
    long low = rss_kib();
    struct memtrim_stats st;
    memtrim_stats_get(mt, &st);
    assert_true(high - low > 40 * 1024);
    assert_true(st.last_released > 40L * 1024 * 1024);
    free(blocks);
    memtrim_free(mt);
    event_base_free(b);
#endif
}

#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
/* A thread with an arena of its own (as a wake helper has): it fills and frees 64 MiB, then
 * runs what it is handed (each_thread) until told to stop. */
struct worker {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*job)(void);
    int filled, done_job, stop;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    enum { N = 640 };
    char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = malloc(100 * 1024);
        memset(blocks[i], i, 100 * 1024);
    }
    for (int i = 0; i < N; i++) free(blocks[i]);
    pthread_mutex_lock(&w->mu);
    w->filled = 1;
    pthread_cond_broadcast(&w->cv);
    while (!w->stop) {
        if (w->job) {
            w->job();
            w->job = NULL;
            w->done_job = 1;
            pthread_cond_broadcast(&w->cv);
        }
        pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void run_on_worker(void *arg, void (*fn)(void))
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->mu);
    w->done_job = 0;
    w->job = fn;
    pthread_cond_broadcast(&w->cv);
    while (!w->done_job) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* What another thread freed in its own arena: malloc_trim alone leaves it (glibc never trims
 * a thread arena's top from there); with each_thread it goes back. */
static void thread_arena_case(int with_hook, long *released_kib)
{
    struct worker w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker_main, &w), 0);
    pthread_mutex_lock(&w.mu);
    while (!w.filled) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    struct memtrim_opts o = OPTS;
    if (with_hook) {
        o.each_thread = run_on_worker;
        o.each_thread_arg = &w;
    }
    struct event_base *b = event_base_new();
    struct memtrim *mt = memtrim_new(b, &o);
    long before = rss_kib();
    ends(mt, 20);
    run_until_trims(b, mt, 1, 3000);
    assert_int_equal(trims(mt), 1);
    *released_kib = before - rss_kib();
    memtrim_free(mt);
    event_base_free(b);
    pthread_mutex_lock(&w.mu);
    w.stop = 1;
    pthread_cond_broadcast(&w.cv);
    pthread_mutex_unlock(&w.mu);
    pthread_join(t, NULL);
}
#endif

static void test_thread_arena(void **state)
{
    (void)state;
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
    memtrim_process_init();
    long without = 0, with = 0;
    thread_arena_case(0, &without);
    thread_arena_case(1, &with);
    assert_true(without < 16 * 1024);
    assert_true(with > 40 * 1024);
#endif
}

/* The descriptor map is sized for numbers up to the bound without touching descriptors in
 * use (a pipe opened before still carries bytes both ways), leaves no descriptor behind, and
 * the loop still watches new descriptors afterwards. */
static void fd_read_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    char c;
    if (read(fd, &c, 1) == 1) *(int *)arg = c;
}

static void test_presize_fd_map(void **state)
{
    (void)state;
    struct event_base *base = event_base_new();
    assert_non_null(base);
    int p[2];
    assert_int_equal(pipe(p), 0);
    int free_before = dup(0);   /* the lowest free number now */
    assert_true(free_before >= 0);
    close(free_before);
    unsigned made = memtrim_presize_fd_map(base, (unsigned)free_before + 200);
    assert_true(made >= 190 && made <= 200);   /* the free numbers in [0, bound) */
    int after = dup(0);
    assert_int_equal(after, free_before);      /* none left open */
    close(after);
    assert_int_equal(write(p[1], "x", 1), 1);  /* the pipe is still ours */
    int got = 0;
    struct event *ev = event_new(base, p[0], EV_READ, fd_read_cb, &got);
    assert_non_null(ev);
    assert_int_equal(event_add(ev, NULL), 0);
    assert_int_equal(event_base_loop(base, EVLOOP_ONCE), 0);
    assert_int_equal(got, 'x');
    event_free(ev);
    close(p[0]);
    close(p[1]);
    event_base_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_few_ends_no_trim),
        cmocka_unit_test(test_waits_for_burst_end),
        cmocka_unit_test(test_trickle_does_not_block),
        cmocka_unit_test(test_min_interval),
        cmocka_unit_test(test_gives_memory_back),
        cmocka_unit_test(test_thread_arena),
        cmocka_unit_test(test_presize_fd_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
