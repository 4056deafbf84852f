/*
 * test_restore_plan.c - the restore fetcher's book (server/ops/restore_plan.c), without
 * processes: the oldest request starts first and is never overtaken; at most `jobs` fetches
 * run; a fetch in flight reserves its size, so two fetches starting together never count the
 * same free room (the second waits, or makes room by removing unread copies); a fetch alone
 * starts even when readers hold the whole spool; the least recently used unread copy goes
 * first, a pinned, queued or fetching one never; a failed fetch gives its room back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "server/ops/restore_plan.h"

static void drain(struct rplan *p)
{
    while (p->copies) rplan_remove(p, p->copies);
    assert_int_equal(p->used, 0);
    assert_int_equal(p->reserved, 0);
    assert_int_equal(p->running, 0);
}

/* Start what the plan allows, removing its victims; the number started. */
static unsigned start_all(struct rplan *p)
{
    unsigned n = 0;
    struct rplan_copy *c, *v;
    while ((c = rplan_next(p))) {
        while ((v = rplan_victim(p, c->size))) rplan_remove(p, v);
        rplan_started(p, c);
        n++;
    }
    return n;
}

static void test_order_and_jobs(void **state)
{
    (void)state;
    struct rplan p;
    rplan_init(&p, 1000, 2);
    assert_null(rplan_next(&p));
    struct rplan_copy *a = rplan_add(&p, "m.000003", 10), *b = rplan_add(&p, "m.000001", 10),
                      *c = rplan_add(&p, "m.000002", 10);
    assert_ptr_equal(rplan_find(&p, "m.000001"), b);
    assert_null(rplan_find(&p, "m.000009"));
    assert_int_equal(rplan_queued(&p), 3);
    /* the oldest request first, whatever the names */
    assert_ptr_equal(rplan_next(&p), a);
    rplan_started(&p, a);
    assert_ptr_equal(rplan_next(&p), b);
    rplan_started(&p, b);
    assert_string_equal(rplan_state_name(b->state), "fetching");
    /* two jobs: the third waits for one */
    assert_int_equal(p.running, 2);
    assert_int_equal(p.reserved, 20);
    assert_null(rplan_next(&p));
    assert_int_equal(rplan_queued(&p), 1);
    rplan_fetched(&p, b, 1);
    assert_string_equal(rplan_state_name(b->state), "ready");
    assert_int_equal(p.used, 10);
    assert_int_equal(p.reserved, 10);
    assert_ptr_equal(rplan_next(&p), c);
    rplan_started(&p, c);
    assert_null(rplan_next(&p));
    /* a failed fetch gives back its job and its room, and is forgotten */
    rplan_fetched(&p, a, 0);
    assert_null(rplan_find(&p, "m.000003"));
    assert_int_equal(p.running, 1);
    assert_int_equal(p.reserved, 10);
    /* one job: strictly one at a time */
    drain(&p);
    rplan_init(&p, 1000, 1);
    a = rplan_add(&p, "a", 1);
    b = rplan_add(&p, "b", 1);
    assert_int_equal(start_all(&p), 1);
    assert_int_equal(a->state, RPLAN_FETCHING);
    assert_int_equal(b->state, RPLAN_QUEUED);
    rplan_fetched(&p, a, 1);
    assert_ptr_equal(rplan_next(&p), b);
    drain(&p);
    /* jobs 0 counts as 1 */
    rplan_init(&p, 1000, 0);
    assert_int_equal(p.jobs, 1);
    assert_string_equal(rplan_state_name(RPLAN_QUEUED), "queued");
}

/* Two fetches starting together: the second sees the first's reservation. */
static void test_room_in_flight(void **state)
{
    (void)state;
    struct rplan p;
    rplan_init(&p, 100, 4);
    struct rplan_copy *x = rplan_add(&p, "x", 40), *y = rplan_add(&p, "y", 40), *z = rplan_add(&p, "z", 40);
    /* x and y fit together (80 <= 100); z would make 120: it waits, though a job is free */
    assert_int_equal(start_all(&p), 2);
    assert_int_equal(p.reserved, 80);
    assert_int_equal(z->state, RPLAN_QUEUED);
    assert_null(rplan_next(&p));
    /* x arrives and is read: still no room for z (40 read + 40 in flight + 40) */
    rplan_fetched(&p, x, 1);
    rplan_pin(&p, x);
    assert_null(rplan_next(&p));
    /* its reader lets it go: z may start, removing x for its room */
    rplan_unpin(&p, x);
    assert_ptr_equal(rplan_next(&p), z);
    assert_ptr_equal(rplan_victim(&p, z->size), x);
    assert_int_equal(start_all(&p), 1);
    assert_null(rplan_find(&p, "x"));
    assert_int_equal(p.used, 0);
    assert_int_equal(p.reserved, 80);
    assert_true(p.used + p.reserved <= p.bound);
    /* y and z arrive: 80 ready, within the bound; nothing to remove */
    rplan_fetched(&p, y, 1);
    rplan_fetched(&p, z, 1);
    assert_null(rplan_victim(&p, 0));
    drain(&p);

    /* Readers hold the whole spool: a fetch alone still starts (over the bound, as one
     * command at a time did), a second one beside it waits. */
    rplan_init(&p, 100, 2);
    struct rplan_copy *r1 = rplan_add(&p, "r1", 50), *r2 = rplan_add(&p, "r2", 50);
    assert_int_equal(start_all(&p), 2);
    rplan_fetched(&p, r1, 1);
    rplan_fetched(&p, r2, 1);
    rplan_pin(&p, r1);
    rplan_pin(&p, r2);
    struct rplan_copy *n1 = rplan_add(&p, "n1", 30), *n2 = rplan_add(&p, "n2", 30);
    assert_ptr_equal(rplan_next(&p), n1);
    assert_null(rplan_victim(&p, n1->size));   /* nothing may go */
    rplan_started(&p, n1);
    assert_null(rplan_next(&p));                /* n2 waits for n1, a job is free */
    rplan_fetched(&p, n1, 1);
    assert_ptr_equal(rplan_next(&p), n2);       /* alone again */
    drain(&p);
}

/* The oldest request is never overtaken by a younger one that would fit. */
static void test_no_overtaking(void **state)
{
    (void)state;
    struct rplan p;
    rplan_init(&p, 100, 3);
    struct rplan_copy *a = rplan_add(&p, "a", 60), *big = rplan_add(&p, "big", 60);
    struct rplan_copy *small = rplan_add(&p, "small", 10);
    assert_int_equal(start_all(&p), 1);
    assert_int_equal(a->state, RPLAN_FETCHING);
    assert_int_equal(big->state, RPLAN_QUEUED);
    assert_int_equal(small->state, RPLAN_QUEUED);   /* would fit (70), but big asked first */
    rplan_fetched(&p, a, 1);
    assert_int_equal(start_all(&p), 2);             /* a unread: big removes it, small fits beside */
    assert_null(rplan_find(&p, "a"));
    assert_int_equal(p.reserved, 70);
    drain(&p);
}

/* The least recently used unread copy goes first; pinned, queued and fetching ones never. */
static void test_victims(void **state)
{
    (void)state;
    struct rplan p;
    rplan_init(&p, 30, 4);
    struct rplan_copy *a = rplan_add(&p, "a", 10), *b = rplan_add(&p, "b", 10), *c = rplan_add(&p, "c", 10);
    assert_int_equal(start_all(&p), 3);
    rplan_fetched(&p, a, 1);
    rplan_fetched(&p, b, 1);
    rplan_fetched(&p, c, 1);
    rplan_pin(&p, a);    /* a used last */
    rplan_unpin(&p, a);
    assert_null(rplan_victim(&p, 0));
    assert_ptr_equal(rplan_victim(&p, 10), b);
    rplan_pin(&p, b);
    assert_ptr_equal(rplan_victim(&p, 10), c);
    rplan_pin(&p, c);
    assert_ptr_equal(rplan_victim(&p, 10), a);
    rplan_pin(&p, a);
    assert_null(rplan_victim(&p, 10));    /* everything is read */
    rplan_unpin(&p, a);
    rplan_unpin(&p, a);                   /* one put too many is harmless */
    assert_int_equal(a->pins, 0);
    /* queued and fetching copies take no room in used and are never victims */
    struct rplan_copy *q = rplan_add(&p, "q", 10);
    assert_ptr_equal(rplan_next(&p), q);
    assert_ptr_equal(rplan_victim(&p, q->size), a);
    rplan_remove(&p, a);
    rplan_started(&p, q);
    assert_int_equal(p.used + p.reserved, 30);
    assert_null(rplan_victim(&p, 10));    /* b, c read; q in flight */
    /* a fetching copy forgotten (shutdown) gives back its job and room */
    rplan_remove(&p, q);
    assert_int_equal(p.running, 0);
    assert_int_equal(p.reserved, 0);
    drain(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_jobs),
        cmocka_unit_test(test_room_in_flight),
        cmocka_unit_test(test_no_overtaking),
        cmocka_unit_test(test_victims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
