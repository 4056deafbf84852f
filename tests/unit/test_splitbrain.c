/* test_splitbrain.c - the split-brain rule (server/upstream/splitbrain.c) over MariaDB binlog
 * states and MySQL GTID sets: equal, prefix, lag of a sibling, the old primary written to
 * after a failover, several domains, one domain per server, an unreachable upstream, bounded
 * reasons, stable findings; and the persisted list of previous upstreams. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "server/upstream/splitbrain.h"
#include "server/upstream/upstream_history.h"

static char reason[1024], finding[512];

static enum splitbrain_verdict maria(const struct splitbrain_ctx *c, const char *theirs)
{
    return splitbrain_judge_maria(c, theirs, "db1:3306", reason, sizeof(reason), finding, sizeof(finding));
}

/* binlogd followed A (server_id 10) and then failed over to B (11), both writing domain 0. */
static const uint32_t prev_a[] = {10};
static struct splitbrain_ctx after_failover(void)
{
    return (struct splitbrain_ctx){.ours = "0-10-100,0-11-105", .upstream = "0-10-100,0-11-105",
                                   .upstream_reachable = 1, .upstream_server_id = 11, .has_upstream_domain = 1,
                                   .upstream_domain = 0, .previous_ids = prev_a, .n_previous_ids = 1};
}

static void test_equal_and_prefix(void **state)
{
    (void)state;
    struct splitbrain_ctx c = after_failover();
    assert_int_equal(maria(&c, "0-10-100,0-11-105"), SPLITBRAIN_OK);
    assert_string_equal(finding, "");
    /* the per-domain position alone is enough to be "ok" */
    assert_int_equal(maria(&c, "0-11-105"), SPLITBRAIN_OK);
    assert_int_equal(maria(&c, "0-10-90"), SPLITBRAIN_BEHIND);           /* a replica stopped before the failover */
    assert_int_equal(maria(&c, "0-10-100,0-11-103"), SPLITBRAIN_BEHIND); /* one stopped after it */
    assert_int_equal(maria(&c, ""), SPLITBRAIN_BEHIND);                  /* an empty binlog */
    assert_non_null(strstr(reason, "binlogd has"));
}

static void test_old_primary_written_again(void **state)
{
    (void)state;
    struct splitbrain_ctx c = after_failover();
    /* A came back writable and took a write: 0-10-101 is in nobody's history but its own,
     * although its sequence number is below binlogd's position in domain 0 (105). */
    assert_int_equal(maria(&c, "0-10-101"), SPLITBRAIN_SPLIT);
    assert_string_equal(finding, "0-10");
    assert_non_null(strstr(reason, "db1:3306"));
    assert_non_null(strstr(reason, "0-10-101 (binlogd has up to 0-10-100)"));
    /* More writes by the same server: the same finding (logged once). */
    assert_int_equal(maria(&c, "0-10-107"), SPLITBRAIN_SPLIT);
    assert_string_equal(finding, "0-10");
    /* The same sequence number as binlogd's, from another server. */
    c.ours = "0-10-100,0-11-101";
    c.upstream = c.ours;
    assert_int_equal(maria(&c, "0-10-101"), SPLITBRAIN_SPLIT);
}

static void test_right_after_switch(void **state)
{
    (void)state;
    /* B has not written yet: binlogd's history is all A's. */
    struct splitbrain_ctx c = {.ours = "0-10-100", .upstream = "0-10-100", .upstream_reachable = 1,
                               .upstream_server_id = 11, .has_upstream_domain = 1, .upstream_domain = 0};
    assert_int_equal(maria(&c, "0-10-100"), SPLITBRAIN_OK);
    assert_int_equal(maria(&c, "0-10-101"), SPLITBRAIN_SPLIT);   /* B's gtid_domain_id makes domain 0 primary */
    c.has_upstream_domain = 0;
    c.previous_ids = prev_a;
    c.n_previous_ids = 1;
    assert_int_equal(maria(&c, "0-10-101"), SPLITBRAIN_SPLIT);   /* A was a primary of this stream */
    /* Knowing neither, domain 0 is not known to be written by the upstream: no alarm. */
    c.n_previous_ids = 0;
    assert_int_equal(maria(&c, "0-10-101"), SPLITBRAIN_AHEAD);
}

static void test_lag_is_not_split_brain(void **state)
{
    (void)state;
    /* binlogd follows A (10); a sibling replica of A is ahead of binlogd. */
    struct splitbrain_ctx c = {.ours = "0-10-100", .upstream = "0-10-100", .upstream_reachable = 1,
                               .upstream_server_id = 10, .has_upstream_domain = 1, .upstream_domain = 0};
    assert_int_equal(maria(&c, "0-10-104"), SPLITBRAIN_AHEAD);   /* the upstream's own GTIDs: on their way */
    assert_non_null(strstr(reason, "lag"));
    assert_string_equal(finding, "");
    /* binlogd follows an intermediate B (11) that relays A's (10) writes: a GTID the upstream
     * already has (polled after the sibling) is lag too. */
    struct splitbrain_ctx r = {.ours = "0-10-100", .upstream = "0-10-103", .upstream_reachable = 1,
                               .upstream_server_id = 11, .has_upstream_domain = 1, .upstream_domain = 0};
    assert_int_equal(maria(&r, "0-10-103"), SPLITBRAIN_AHEAD);
    assert_int_equal(maria(&r, "0-10-104"), SPLITBRAIN_SPLIT);   /* beyond what the upstream has */
}

static void test_several_domains(void **state)
{
    (void)state;
    /* The upstream (10) writes domain 0; domain 1 comes from server 20 (another source). */
    struct splitbrain_ctx c = {.ours = "0-10-100,1-20-50", .upstream = "0-10-100,1-20-50", .upstream_reachable = 1,
                               .upstream_server_id = 10, .has_upstream_domain = 1, .upstream_domain = 0};
    assert_int_equal(maria(&c, "0-10-100,1-20-50"), SPLITBRAIN_OK);
    assert_int_equal(maria(&c, "0-10-100"), SPLITBRAIN_BEHIND);          /* lacks a domain we have */
    assert_int_equal(maria(&c, "0-10-100,1-20-60"), SPLITBRAIN_AHEAD);   /* ahead in a domain the upstream does not write */
    assert_non_null(strstr(reason, "does not write"));
    assert_int_equal(maria(&c, "0-10-100,1-20-50,7-30-3"), SPLITBRAIN_AHEAD);   /* a domain new to binlogd */
    /* foreign in domain 0 (server 30) and in domain 1: split-brain, domain 1 also listed */
    assert_int_equal(maria(&c, "0-10-100,0-30-101,1-20-60"), SPLITBRAIN_SPLIT);
    assert_string_equal(finding, "0-30");
    assert_non_null(strstr(reason, "in other domains: 1-20-60"));
}

static void test_domain_per_server(void **state)
{
    (void)state;
    /* A (10) wrote domain 1, B (11, current) writes domain 2: A writing again is still two
     * primaries, caught through the previous upstream's server_id. */
    struct splitbrain_ctx c = {.ours = "1-10-100,2-11-5", .upstream = "1-10-100,2-11-5", .upstream_reachable = 1,
                               .upstream_server_id = 11, .has_upstream_domain = 1, .upstream_domain = 2,
                               .previous_ids = prev_a, .n_previous_ids = 1};
    assert_int_equal(maria(&c, "1-10-100"), SPLITBRAIN_BEHIND);
    assert_int_equal(maria(&c, "1-10-101"), SPLITBRAIN_SPLIT);
    assert_string_equal(finding, "1-10");
}

static void test_upstream_unreachable(void **state)
{
    (void)state;
    /* A failover in progress: B was promoted and writes while binlogd's upstream is down. */
    struct splitbrain_ctx c = after_failover();
    c.upstream_reachable = 0;
    assert_int_equal(maria(&c, "0-10-101"), SPLITBRAIN_AHEAD);
    assert_non_null(strstr(reason, "did not answer"));
    /* with no upstream state at all, nothing is exempted, still no alarm */
    c.upstream = NULL;
    assert_int_equal(maria(&c, "0-10-101"), SPLITBRAIN_AHEAD);
}

static void test_bounds_and_errors(void **state)
{
    (void)state;
    struct splitbrain_ctx c = after_failover();
    char theirs[2048] = "";
    size_t len = 0;
    for (int i = 0; i < 20; i++) len += (size_t)snprintf(theirs + len, sizeof(theirs) - len, "%s0-%d-200", i ? "," : "", 30 + i);
    char small[200];
    assert_int_equal(splitbrain_judge_maria(&c, theirs, "db1:3306", small, sizeof(small), finding, sizeof(finding)),
                     SPLITBRAIN_SPLIT);
    assert_true(strlen(small) < sizeof(small));
    assert_int_equal(maria(&c, theirs), SPLITBRAIN_SPLIT);
    assert_non_null(strstr(reason, "and 12 more"));
    assert_int_equal(maria(&c, "garbage"), SPLITBRAIN_ERROR);
    assert_non_null(strstr(reason, "does not parse"));
    c.ours = "0-1";
    assert_int_equal(maria(&c, "0-10-1"), SPLITBRAIN_ERROR);
    assert_int_equal(splitbrain_judge_maria(&c, "0-10-1", "x", NULL, 0, NULL, 0), SPLITBRAIN_ERROR);
}

#define U1 "3e11fa47-71ca-11e1-9e33-c80aa9429562"
#define U2 "4e11fa47-71ca-11e1-9e33-c80aa9429562"
#define U3 "5e11fa47-71ca-11e1-9e33-c80aa9429562"

static enum splitbrain_verdict mysql(const struct splitbrain_ctx *c, const char *theirs)
{
    return splitbrain_judge_mysql(c, theirs, "db1:3306", reason, sizeof(reason), finding, sizeof(finding));
}

static void test_mysql_sets(void **state)
{
    (void)state;
    /* A (U1) was the primary, B (U2) is now. */
    struct splitbrain_ctx c = {.ours = U1 ":1-100," U2 ":1-5", .upstream = U1 ":1-100," U2 ":1-5",
                               .upstream_reachable = 1, .upstream_uuid = U2};
    assert_int_equal(mysql(&c, U1 ":1-100," U2 ":1-5"), SPLITBRAIN_OK);
    assert_int_equal(mysql(&c, U1 ":1-100"), SPLITBRAIN_BEHIND);
    assert_int_equal(mysql(&c, U1 ":1-100," U2 ":1-7"), SPLITBRAIN_AHEAD);   /* B's own: lag */
    assert_non_null(strstr(reason, "lag"));
    assert_int_equal(mysql(&c, U1 ":1-101"), SPLITBRAIN_SPLIT);             /* A written again */
    assert_string_equal(finding, U1);
    assert_non_null(strstr(reason, U1 ":101"));
    assert_int_equal(mysql(&c, U1 ":1-50:52-100"), SPLITBRAIN_BEHIND);       /* a hole is still a prefix */
    assert_int_equal(mysql(&c, U1 ":1-100," U3 ":1"), SPLITBRAIN_AHEAD);     /* errant write, new UUID */
    assert_non_null(strstr(reason, "errant"));
    c.upstream_reachable = 0;
    assert_int_equal(mysql(&c, U1 ":1-101"), SPLITBRAIN_AHEAD);
    assert_int_equal(mysql(&c, "nonsense"), SPLITBRAIN_ERROR);
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(splitbrain_verdict_name(SPLITBRAIN_SPLIT), "split-brain");
    assert_string_equal(splitbrain_verdict_name(SPLITBRAIN_UNREACHABLE), "unreachable");
    for (int v = SPLITBRAIN_OK; v <= SPLITBRAIN_UNKNOWN; v++)
        assert_string_not_equal(splitbrain_verdict_name((enum splitbrain_verdict)v), "?");
}

static void test_history(void **state)
{
    (void)state;
    struct upstream_history h = {0};
    assert_int_equal(upstream_history_add(&h, "db1", 3306, 10, 1000), 0);
    assert_int_equal(upstream_history_add(&h, "db2", 3306, 0, 1001), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.v[0].host, "db2");
    /* db1 again: moves to the front, keeps its server_id when the new one is unknown */
    assert_int_equal(upstream_history_add(&h, "db1", 3306, 0, 1002), 0);
    assert_int_equal(h.n, 2);
    assert_string_equal(h.v[0].host, "db1");
    assert_int_equal(h.v[0].server_id, 10);
    assert_int_equal(h.v[0].left_unix, 1002);
    assert_int_equal(upstream_history_add(&h, "bad host", 3306, 1, 1), -1);
    assert_int_equal(upstream_history_add(&h, "", 3306, 1, 1), -1);
    assert_int_equal(upstream_history_add(&h, "db3", 0, 1, 1), -1);
    /* bounded: the oldest falls off */
    for (int i = 0; i < 20; i++) {
        char host[16];
        snprintf(host, sizeof(host), "h%d", i);
        assert_int_equal(upstream_history_add(&h, host, 3306, (uint32_t)i, i), 0);
    }
    assert_int_equal(h.n, UPSTREAM_HISTORY_MAX);
    assert_string_equal(h.v[0].host, "h19");
    assert_string_equal(h.v[UPSTREAM_HISTORY_MAX - 1].host, "h12");
    /* round trip through the file text */
    char text[4096];
    size_t n = upstream_history_format(&h, text, sizeof(text));
    assert_true(n < sizeof(text));
    struct upstream_history back;
    assert_int_equal(upstream_history_parse(&back, text, n), 0);
    assert_int_equal(back.n, h.n);
    for (size_t i = 0; i < h.n; i++) {
        assert_string_equal(back.v[i].host, h.v[i].host);
        assert_int_equal(back.v[i].port, h.v[i].port);
        assert_int_equal(back.v[i].server_id, h.v[i].server_id);
        assert_int_equal(back.v[i].left_unix, h.v[i].left_unix);
    }
    /* damaged lines are skipped, not fatal */
    const char *bad = "db1\t3306\t10\t5\nnonsense\ndb2\t99999\t1\t1\ndb3\t3307\t4294967296\t1\ndb4\t3308\t7\t9\tx\n"
                      "db5\t3309\t8\t-3";
    assert_int_equal(upstream_history_parse(&back, bad, strlen(bad)), 4);
    assert_int_equal(back.n, 2);
    assert_string_equal(back.v[0].host, "db1");
    assert_int_equal(back.v[1].left_unix, -3);
}

/* binlogd B follows binlogd A1 (server_id 1012, a mirror: it writes nothing); both A1 and the
 * sibling binlogd A2 mirror the primary P (server_id 10). */
static void test_binlogd_upstream_and_sibling(void **state)
{
    (void)state;
    struct splitbrain_ctx c = {.ours = "0-10-100", .upstream = "0-10-101", .upstream_reachable = 1,
                               .upstream_server_id = 1012, .has_upstream_domain = 1, .upstream_domain = 0};
    /* A2 ahead of A1 (polled after A2 but slower): without knowing whom A1 mirrors, P's GTIDs
     * look foreign: the false alarm this rule exists to avoid. */
    assert_int_equal(maria(&c, "0-10-105"), SPLITBRAIN_SPLIT);
    c.upstream_writers = "0-10-101";   /* A1 is a binlogd: its @@gtid_binlog_pos names the writer */
    assert_int_equal(maria(&c, "0-10-105"), SPLITBRAIN_AHEAD);
    assert_non_null(strstr(reason, "lag"));
    assert_string_equal(finding, "");
    /* The writer of another domain exempts nothing here. */
    c.upstream_writers = "1-10-7";
    assert_int_equal(maria(&c, "0-10-105"), SPLITBRAIN_SPLIT);
    /* The old primary written to again after the root failed over to P2 (11): 10 is no longer
     * the writer, so its new GTID is still a split brain, also on a mirror. */
    c.ours = "0-10-100,0-11-120";
    c.upstream = "0-10-100,0-11-121";
    c.upstream_writers = "0-11-121";
    c.target_mirror = 1;
    assert_int_equal(maria(&c, "0-10-101,0-11-121"), SPLITBRAIN_SPLIT);
    assert_string_equal(finding, "0-10");
    /* A mirror that reached a new primary (12) before binlogd's upstream did: ahead, named. */
    assert_int_equal(maria(&c, "0-10-100,0-11-121,0-12-122"), SPLITBRAIN_AHEAD);
    assert_non_null(strstr(reason, "0-12-122"));
    assert_non_null(strstr(reason, "new primary"));
    assert_string_equal(finding, "");
    /* The same on a MariaDB server (not a mirror: it could have written it itself): the alarm. */
    c.target_mirror = 0;
    assert_int_equal(maria(&c, "0-10-100,0-11-121,0-12-122"), SPLITBRAIN_SPLIT);
    assert_string_equal(finding, "0-12");
    /* A writers text that does not parse exempts nothing (and is no error). */
    c.upstream_writers = "garbage";
    c.ours = "0-10-100";
    c.upstream = "0-10-101";
    assert_int_equal(maria(&c, "0-10-105"), SPLITBRAIN_SPLIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_and_prefix),
        cmocka_unit_test(test_old_primary_written_again),
        cmocka_unit_test(test_right_after_switch),
        cmocka_unit_test(test_lag_is_not_split_brain),
        cmocka_unit_test(test_binlogd_upstream_and_sibling),
        cmocka_unit_test(test_several_domains),
        cmocka_unit_test(test_domain_per_server),
        cmocka_unit_test(test_upstream_unreachable),
        cmocka_unit_test(test_bounds_and_errors),
        cmocka_unit_test(test_mysql_sets),
        cmocka_unit_test(test_verdict_names),
        cmocka_unit_test(test_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
