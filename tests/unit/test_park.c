/* test_park.c - the hand-over of waiting dumps between the loop and the writer thread
 * (server/replicas/park.h): who may touch an item when. The writer pumps exactly the items
 * parked when its run starts, in order, once; a claimed item is never pumped after the claim
 * returns; a round that began before a run cannot park (the lost wake-up); the capacity
 * counts parked and handed items together. The last test runs a real writer thread against
 * a loop that parks and claims, and checks the ownership rule on every pump. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "server/replicas/park.h"

struct item {
    int id;
    int pumps;
    atomic_int owner;   /* 0: the loop's, 1: parked (the writer may pump it) */
    atomic_int bad;     /* pumped while the loop owned it */
};

static int order[16], n_order;

static void pump_record(void *arg)
{
    struct item *it = arg;
    it->pumps++;
    if (n_order < 16) order[n_order++] = it->id;
}

static void test_off_refuses(void **state)
{
    (void)state;
    struct park *p = park_new(0);
    assert_non_null(p);
    struct item a = {.id = 1};
    assert_int_equal(park_add(p, &a, park_generation(p)), -1);
    assert_int_equal(park_run(p, pump_record), 0);
    assert_int_equal(a.pumps, 0);
    park_free(p);
}

static void test_run_pumps_parked_in_order_once(void **state)
{
    (void)state;
    struct park *p = park_new(4);
    struct item it[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    uint64_t g = park_generation(p);
    for (int i = 0; i < 3; i++) assert_int_equal(park_add(p, &it[i], g), 0);
    n_order = 0;
    assert_int_equal(park_run(p, pump_record), 3);
    assert_int_equal(n_order, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(order[i], i + 1);
    /* Handed now: the next run pumps nothing, the loop takes them back in the same order. */
    assert_int_equal(park_run(p, pump_record), 0);
    for (int i = 0; i < 3; i++) assert_int_equal(it[i].pumps, 1);
    void *out[4];
    assert_int_equal(park_take_handed(p, out, 2), 2);   /* bounded by cap */
    assert_ptr_equal(out[0], &it[0]);
    assert_ptr_equal(out[1], &it[1]);
    assert_int_equal(park_take_handed(p, out, 4), 1);
    assert_ptr_equal(out[0], &it[2]);
    assert_int_equal(park_take_handed(p, out, 4), 0);
    park_free(p);
}

static void test_capacity_counts_handed(void **state)
{
    (void)state;
    struct park *p = park_new(2);
    struct item a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
    uint64_t g = park_generation(p);
    assert_int_equal(park_add(p, &a, g), 0);
    assert_int_equal(park_add(p, &b, g), 0);
    assert_int_equal(park_add(p, &c, g), -1);   /* full */
    park_run(p, pump_record);
    g = park_generation(p);
    assert_int_equal(park_add(p, &c, g), -1);   /* a and b handed, not yet taken: still full */
    void *out[2];
    assert_int_equal(park_take_handed(p, out, 2), 2);
    assert_int_equal(park_add(p, &c, g), 0);
    park_free(p);
}

static void test_run_since_round_start_refuses(void **state)
{
    (void)state;
    struct park *p = park_new(4);
    struct item a = {.id = 1};
    uint64_t g = park_generation(p);
    park_run(p, pump_record);   /* a commit while the round pumped: a would miss it */
    assert_int_equal(park_add(p, &a, g), -1);
    assert_int_equal(park_add(p, &a, park_generation(p)), 0);   /* the next round may */
    park_free(p);
}

static void test_claim(void **state)
{
    (void)state;
    struct park *p = park_new(4);
    struct item a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
    uint64_t g = park_generation(p);
    assert_int_equal(park_add(p, &a, g), 0);
    assert_int_equal(park_claim(p, &a), 0);   /* parked, never pumped */
    assert_int_equal(park_run(p, pump_record), 0);
    assert_int_equal(a.pumps, 0);
    g = park_generation(p);
    assert_int_equal(park_add(p, &b, g), 0);
    assert_int_equal(park_add(p, &c, g), 0);
    assert_int_equal(park_run(p, pump_record), 2);
    assert_int_equal(park_claim(p, &b), 1);   /* pumped: the caller finishes it */
    assert_int_equal(park_claim(p, &b), 0);   /* once */
    assert_int_equal(park_claim(p, &a), 0);   /* not in the park */
    void *out[4];
    assert_int_equal(park_take_handed(p, out, 4), 1);
    assert_ptr_equal(out[0], &c);
    park_free(p);
}

/* ---- a real writer thread ---- */

static atomic_int stop_writer;
static atomic_uint_fast64_t total_pumps;

static void pump_check(void *arg)
{
    struct item *it = arg;
    if (atomic_load(&it->owner) != 1) atomic_store(&it->bad, 1);
    it->pumps++;
    atomic_fetch_add(&total_pumps, 1);
}

/* Commits every few microseconds (a writer that ran back to back would refuse every park:
 * each run since a round began does). */
static void *writer(void *arg)
{
    struct park *p = arg;
    const struct timespec pace = {0, 20000};
    while (!atomic_load(&stop_writer)) {
        park_run(p, pump_check);
        nanosleep(&pace, NULL);
    }
    return NULL;
}

static void test_threads_never_pump_claimed(void **state)
{
    (void)state;
    enum { N = 6, ROUNDS = 20000, MIN_PUMPS = 500 };
    struct park *p = park_new(4);
    struct item it[N];
    for (int i = 0; i < N; i++) {
        it[i] = (struct item){.id = i};
        atomic_init(&it[i].owner, 0);
        atomic_init(&it[i].bad, 0);
    }
    int parked[N] = {0};
    atomic_store(&stop_writer, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer, p), 0);
    uint64_t taken = 0, claimed_handed = 0;
    unsigned seed = 7;
    atomic_store(&total_pumps, 0);
    /* At least ROUNDS rounds and MIN_PUMPS hand-overs (a slow sanitizer build takes longer). */
    for (int r = 0; r < ROUNDS || atomic_load(&total_pumps) < MIN_PUMPS; r++) {
        /* The loop's round: take back what the writer pumped, then park some. */
        void *out[4];
        size_t n = park_take_handed(p, out, 4);
        for (size_t k = 0; k < n; k++) {
            struct item *x = out[k];
            atomic_store(&x->owner, 0);
            parked[x->id] = 0;
        }
        taken += n;
        uint64_t g = park_generation(p);
        for (int i = 0; i < N; i++) {
            if (parked[i] || rand_r(&seed) % 2) continue;
            atomic_store(&it[i].owner, 1);   /* before the add: the writer may pump at once */
            if (park_add(p, &it[i], g) == 0) parked[i] = 1;
            else atomic_store(&it[i].owner, 0);
        }
        /* A callback on a random item: claim it; after this the writer must not pump it. */
        int c = (int)(rand_r(&seed) % N);
        if (parked[c]) {
            claimed_handed += (uint64_t)park_claim(p, &it[c]);
            atomic_store(&it[c].owner, 0);
            parked[c] = 0;
        }
    }
    atomic_store(&stop_writer, 1);
    pthread_join(th, NULL);
    uint64_t pumps = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&it[i].bad), 0);
        pumps += (uint64_t)it[i].pumps;
    }
    /* Every pump is accounted for: taken back by a round, claimed after it, or still handed. */
    void *out[4];
    uint64_t left = park_take_handed(p, out, 4);
    assert_int_equal(pumps, taken + claimed_handed + left);
    assert_true(pumps >= MIN_PUMPS);
    park_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_refuses),
        cmocka_unit_test(test_run_pumps_parked_in_order_once),
        cmocka_unit_test(test_capacity_counts_handed),
        cmocka_unit_test(test_run_since_round_start_refuses),
        cmocka_unit_test(test_claim),
        cmocka_unit_test(test_threads_never_pump_claimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
