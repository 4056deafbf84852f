/* test_wake_pool.c - the fork-join pool that shares a commit's wake-up sends: every item is
 * visited exactly once per run, all visits have returned when run returns, across many runs
 * and pool sizes (including none), and a pool can be freed idle or after work. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "server/replicas/wake_pool.h"

struct item {
    unsigned visits;              /* only ever touched by the one thread that got the item */
    pthread_t by;
};

static _Atomic unsigned running;  /* fn calls in progress: must be 0 once run returns */
static _Atomic int other_thread;  /* some item was visited by a helper */

static void visit(void *arg)
{
    struct item *it = arg;
    atomic_fetch_add(&running, 1);
    it->visits++;
    it->by = pthread_self();
    atomic_fetch_sub(&running, 1);
}

static void run_sizes(unsigned helpers)
{
    char err[128];
    struct wake_pool *p = wake_pool_new(helpers, err, sizeof(err));
    if (helpers) assert_non_null(p);
    else assert_null(p);
    assert_int_equal(wake_pool_helpers(p), helpers);
    static const size_t sizes[] = {0, 1, 15, 16, 17, 255, 256, 1000, 10007};
    struct item *items = calloc(10007, sizeof(*items));
    void **v = calloc(10007, sizeof(*v));
    assert_non_null(items);
    assert_non_null(v);
    pthread_t self = pthread_self();
    for (unsigned round = 0; round < 20; round++) {
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            size_t n = sizes[k];
            for (size_t i = 0; i < n; i++) {
                items[i].visits = 0;
                v[i] = &items[i];
            }
            wake_pool_run(p, v, n, visit);
            assert_int_equal(atomic_load(&running), 0);
            for (size_t i = 0; i < n; i++) {
                assert_int_equal(items[i].visits, 1);
                if (!pthread_equal(items[i].by, self)) atomic_store(&other_thread, 1);
            }
        }
    }
    wake_pool_free(p);
    free(items);
    free(v);
}

static void test_no_pool(void **state)
{
    (void)state;
    atomic_store(&other_thread, 0);
    run_sizes(0);
    assert_int_equal(atomic_load(&other_thread), 0);   /* NULL pool: all on the caller */
}

static void test_one_helper(void **state) { (void)state; run_sizes(1); }

static void test_three_helpers(void **state)
{
    (void)state;
    atomic_store(&other_thread, 0);
    run_sizes(3);
    /* 20 rounds of 10007 items with three helpers woken each time: some land on a helper. */
    assert_int_equal(atomic_load(&other_thread), 1);
}

static _Atomic unsigned each_calls;
static _Atomic int each_on_caller;
static pthread_t caller;

static void each_fn(void)
{
    atomic_fetch_add(&each_calls, 1);
    if (pthread_equal(pthread_self(), caller)) atomic_store(&each_on_caller, 1);
}

/* wake_pool_each_helper: every helper once, never the caller, all done on return; the pool
 * still runs items afterwards. */
static void test_each_helper(void **state)
{
    (void)state;
    char err[128];
    caller = pthread_self();
    for (unsigned helpers = 1; helpers <= 3; helpers++) {
        struct wake_pool *p = wake_pool_new(helpers, err, sizeof(err));
        assert_non_null(p);
        for (int round = 0; round < 20; round++) {
            atomic_store(&each_calls, 0);
            wake_pool_each_helper(p, each_fn);
            assert_int_equal(atomic_load(&each_calls), helpers);
        }
        assert_int_equal(atomic_load(&each_on_caller), 0);
        struct item *items = calloc(1000, sizeof(*items));
        void **ptrs = calloc(1000, sizeof(*ptrs));
        for (int i = 0; i < 1000; i++) ptrs[i] = &items[i];
        wake_pool_run(p, ptrs, 1000, visit);
        for (int i = 0; i < 1000; i++) assert_int_equal(items[i].visits, 1);
        free(ptrs);
        free(items);
        wake_pool_free(p);
    }
    wake_pool_each_helper(NULL, each_fn);   /* no pool: nothing */
}

static void test_free_idle(void **state)
{
    (void)state;
    char err[128];
    for (int i = 0; i < 50; i++) wake_pool_free(wake_pool_new(2, err, sizeof(err)));
    wake_pool_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_pool),
        cmocka_unit_test(test_one_helper),
        cmocka_unit_test(test_three_helpers),
        cmocka_unit_test(test_free_idle),
        cmocka_unit_test(test_each_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
