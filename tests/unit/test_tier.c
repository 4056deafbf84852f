/* test_tier.c - the sibling rule (server/upstream/tier.c): when may binlogd continue on a
 * sibling binlogd at its own file and position? Every verdict from the answers a sibling
 * gives: streaming from nothing or from binlogd itself, not listed, behind, NULL position, another GTID state (behind, ahead, diverged),
 * another last event (bytes, length, refused dump), a failed probe, unasked stages, and
 * bounded messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "server/upstream/tier.h"

static char msg[4096];

/* A 23-byte "event" whose last 4 bytes are its CRC field. */
static const uint8_t ev_a[23] = {1, 2, 3, 4, 16, 10, 0, 0, 0, 23, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};

/* Everything a qualifying sibling answers. */
static struct tier_answers good(void)
{
    return (struct tier_answers){.who = "a2:3307", .file = "p-bin.000002", .pos = 9854, .state = "0-10-40",
                                 .upstream_asked = 1, .sibling_upstream_id = 10, .our_server_id = 1014, .listed = 1, .listed_size = 21942, .state_asked = 1, .state_at = "0-10-40",
                                 .event_asked = 1, .event_at = 9831, .ours = ev_a, .ours_len = sizeof(ev_a),
                                 .theirs = ev_a, .theirs_len = sizeof(ev_a)};
}

static void test_qualifies(void **state)
{
    (void)state;
    struct tier_answers a = good();
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_OK);
    assert_non_null(strstr(msg, "a2:3307"));
    assert_non_null(strstr(msg, "0xefbeadde"));   /* the CRC field, little-endian */
    /* exactly at our position (the sibling is level with us) */
    a.listed_size = a.pos;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_OK);
    /* the same state written in another order of domains */
    a.state = "0-10-40,1-12-7";
    a.state_at = "1-12-7,0-10-40";
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_OK);
}

static void test_sibling_upstream(void **state)
{
    (void)state;
    struct tier_answers a = good();
    a.sibling_upstream_id = 0;   /* its upstream is down too: it holds our stream still */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_NOT_STREAMING);
    assert_non_null(strstr(msg, "streams from no upstream"));
    a.sibling_upstream_id = 1014;   /* it follows us: a loop with no primary in it */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_FOLLOWS_US);
    assert_non_null(strstr(msg, "server_id 1014"));
    /* judged before the file (a looping sibling holds our file too) */
    a.listed = 0;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_FOLLOWS_US);
    /* it follows another binlogd of our tier, or the primary: fine */
    a = good();
    a.sibling_upstream_id = 1013;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_OK);
    /* not asked: never OK */
    a.upstream_asked = 0;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_PROBE_FAILED);
    /* our server_id unknown (0): only the streaming check applies */
    a = good();
    a.our_server_id = 0;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_OK);
}

static void test_not_listed_or_behind(void **state)
{
    (void)state;
    struct tier_answers a = good();
    a.listed = 0;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_NO_FILE);
    assert_non_null(strstr(msg, "does not hold p-bin.000002"));
    assert_non_null(strstr(msg, "another primary"));
    a = good();
    a.listed_size = a.pos - 1;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_BEHIND);
    assert_non_null(strstr(msg, "is behind: it holds p-bin.000002 up to 9853, binlogd up to 9854"));
    /* behind is judged before anything else was asked */
    a.state_asked = 0;
    a.event_asked = 0;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_BEHIND);
}

static void test_position_and_state(void **state)
{
    (void)state;
    struct tier_answers a = good();
    a.state_at = NULL;   /* BINLOG_GTID_POS answered NULL: pos is mid-event there */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_NOT_POSITION);
    assert_non_null(strstr(msg, "BINLOG_GTID_POS('p-bin.000002', 9854)"));
    a = good();
    a.state_at = "0-10-39";   /* fewer transactions before pos: another history */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_STATE_DIFFERS);
    assert_non_null(strstr(msg, "upstream behind"));
    a.state_at = "0-10-41";
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_STATE_DIFFERS);
    assert_non_null(strstr(msg, "upstream ahead"));
    a.state_at = "0-11-40";   /* same sequence number from another server */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_STATE_DIFFERS);
    assert_non_null(strstr(msg, "diverged"));
    a.state_at = "0-10-40,1-5-3";   /* an extra domain */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_STATE_DIFFERS);
    a.state_at = "not a state";
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_STATE_DIFFERS);
    assert_non_null(strstr(msg, "bad state"));
    a = good();
    a.state = "";   /* an empty state on both sides is equal */
    a.state_at = "";
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_OK);
}

static void test_bytes(void **state)
{
    (void)state;
    uint8_t other[sizeof(ev_a)];
    memcpy(other, ev_a, sizeof(other));
    other[22] ^= 0x01;   /* another CRC: another event */
    struct tier_answers a = good();
    a.theirs = other;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_BYTES_DIFFER);
    assert_non_null(strstr(msg, "another event at p-bin.000002:9831"));
    assert_non_null(strstr(msg, "CRC32 0xeebeadde"));
    memcpy(other, ev_a, sizeof(other));
    other[10] ^= 0x80;   /* a body byte, same CRC field (a CRC the sibling would have refused) */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_BYTES_DIFFER);
    a = good();
    a.theirs_len = sizeof(ev_a) - 1;   /* a shorter event */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_BYTES_DIFFER);
    a = good();
    a.theirs = NULL;
    a.theirs_len = 0;
    a.dump_error = "Client requested master to start replication from impossible position (error 1236)";
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_BYTES_DIFFER);
    assert_non_null(strstr(msg, "refused to send p-bin.000002 from 9831"));
    assert_non_null(strstr(msg, "impossible position"));
    a.dump_error = NULL;   /* no event and no error */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_BYTES_DIFFER);
    assert_non_null(strstr(msg, "sent no event"));
    /* a tiny "event" shorter than a header: no CRC to show, still compared */
    static const uint8_t tiny[3] = {1, 2, 3};
    a = good();
    a.ours = a.theirs = tiny;
    a.ours_len = a.theirs_len = sizeof(tiny);
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_OK);
    assert_non_null(strstr(msg, "0x00000000"));
}

static void test_probe_failed_and_unasked(void **state)
{
    (void)state;
    struct tier_answers a = good();
    a.probe_error = "SHOW BINARY LOGS failed: Access denied";
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_PROBE_FAILED);
    assert_non_null(strstr(msg, "could not be checked: SHOW BINARY LOGS failed"));
    /* A stage not asked never passes as OK. */
    a = good();
    a.state_asked = 0;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_PROBE_FAILED);
    a = good();
    a.event_asked = 0;
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_PROBE_FAILED);
    assert_non_null(strstr(msg, "not compared"));
    /* NULL texts do not crash */
    struct tier_answers z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(tier_qualify(&z, msg, sizeof(msg)), TIER_PROBE_FAILED);
    z.upstream_asked = 1;
    z.sibling_upstream_id = 10;
    assert_int_equal(tier_qualify(&z, msg, sizeof(msg)), TIER_NO_FILE);
    z.listed = 1;
    z.state_asked = 1;
    z.state_at = "";
    z.event_asked = 1;
    assert_int_equal(tier_qualify(&z, msg, sizeof(msg)), TIER_BYTES_DIFFER);
}

static void test_bounded_messages(void **state)
{
    (void)state;
    char small[40];
    struct tier_answers a = good();
    memset(small, 'x', sizeof(small));
    assert_int_equal(tier_qualify(&a, small, sizeof(small)), TIER_OK);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    char big_state[6000];
    memset(big_state, '9', sizeof(big_state) - 1);
    big_state[sizeof(big_state) - 1] = 0;
    a.state_at = big_state;   /* does not parse; the message stays bounded */
    assert_int_equal(tier_qualify(&a, msg, sizeof(msg)), TIER_STATE_DIFFERS);
    assert_true(strlen(msg) < sizeof(msg));
    assert_int_equal(tier_qualify(&a, NULL, 0), TIER_STATE_DIFFERS);
    for (int v = TIER_OK; v <= TIER_PROBE_FAILED; v++) assert_string_not_equal(tier_verdict_name((enum tier_verdict)v), "?");
    assert_string_equal(tier_verdict_name((enum tier_verdict)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qualifies),
        cmocka_unit_test(test_sibling_upstream),
        cmocka_unit_test(test_not_listed_or_behind),
        cmocka_unit_test(test_position_and_state),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_probe_failed_and_unasked),
        cmocka_unit_test(test_bounded_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
