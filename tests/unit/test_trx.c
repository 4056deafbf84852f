/*
 * test_trx.c - the transaction-boundary state machine: synthetic sequences for every rule
 * (MariaDB, MySQL, files without GTIDs, TRX_BAD cases), then whole real binlogs walked
 * event by event with every check the codec offers (header, log_pos chain, CRC, FDE, body
 * parsers, boundaries): MySQL/MariaDB files from mariadb-test-data (BINLOGD_STD_DATA) and
 * MariaDB 10.11 files written during this run (BINLOGD_FIXTURES).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/trx.h"
#include "protocol/wire.h"
#include "tests/unit/evgen.h"

/* ---------------------------------------------------------------- synthetic sequences */

static struct evgen gen;
static struct ev_fmt fmt;
static struct trx_parser tp;
static const char *last_why;

static int setup(void **state)
{
    (void)state;
    evgen_init(&gen);
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    trx_init(&tp);
    last_why = NULL;
    return 0;
}

static enum trx_verdict feed(const uint8_t *ev, size_t len)
{
    assert_true(len > 0);
    last_why = NULL;
    enum trx_verdict v = trx_feed(&tp, ev, len, &fmt, &last_why);
    if (v == TRX_BAD) {
        assert_non_null(last_why);
        assert_int_equal(tp.state, TRX_STATE_OUTSIDE);
    }
    return v;
}

static enum trx_verdict q(const char *sql)
{
    uint8_t b[512];
    return feed(b, evgen_query(&gen, b, sizeof(b), "test", sql));
}
static enum trx_verdict mg(uint8_t flags2)
{
    uint8_t b[128];
    return feed(b, evgen_gtid(&gen, b, sizeof(b), 0, 1, flags2));
}
static enum trx_verdict ty(uint8_t type)
{
    uint8_t b[512];
    if (type == EV_XID) return feed(b, evgen_xid(&gen, b, sizeof(b), 5));
    if (type == EV_ROTATE) return feed(b, evgen_rotate(&gen, b, sizeof(b), "x.000002", 4));
    if (type == EV_FORMAT_DESCRIPTION) return feed(b, evgen_fde(&gen, b, sizeof(b)));
    if (type == EV_GTID_LIST) return feed(b, evgen_event(&gen, b, sizeof(b), type, 0, (const uint8_t *)"\0\0\0\0", 4));
    if (type == EV_HEARTBEAT) return feed(b, evgen_event(&gen, b, sizeof(b), type, 0, (const uint8_t *)"x.000001", 8));
    return feed(b, evgen_event(&gen, b, sizeof(b), type, 0, NULL, 20));
}
/* MySQL GTID (33) / ANONYMOUS (34) with the 42-byte body. */
static enum trx_verdict yg(uint8_t type)
{
    uint8_t body[42] = {0}, b[128];
    body[0] = 1;
    memset(body + 1, 0x5A, 16);
    wire_put_u64(body + 17, type == EV_ANONYMOUS_GTID ? 0 : 7);
    body[25] = 2;
    return feed(b, evgen_event(&gen, b, sizeof(b), type, 0, body, sizeof(body)));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(trx_state_name(TRX_STATE_OUTSIDE), "OUTSIDE");
    assert_string_equal(trx_state_name(TRX_STATE_AFTER_GTID), "AFTER_GTID");
    assert_string_equal(trx_state_name(TRX_STATE_IN_TRX), "IN_TRX");
    assert_string_equal(trx_state_name(TRX_STATE_IN_STANDALONE), "IN_STANDALONE");
    assert_string_equal(trx_verdict_name(TRX_INSIDE), "INSIDE");
    assert_string_equal(trx_verdict_name(TRX_GROUP_END), "GROUP_END");
    assert_string_equal(trx_verdict_name(TRX_OUTSIDE), "OUTSIDE");
    assert_string_equal(trx_verdict_name(TRX_BAD), "BAD");
}

static void test_maria_transactional(void **state)
{
    (void)state;
    assert_int_equal(ty(EV_FORMAT_DESCRIPTION), TRX_OUTSIDE);
    assert_int_equal(ty(EV_GTID_LIST), TRX_OUTSIDE);
    assert_int_equal(ty(EV_BINLOG_CHECKPOINT), TRX_OUTSIDE);
    /* Implicit BEGIN: GTID, rows, XID. */
    assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_INSIDE);
    assert_int_equal(tp.state, TRX_STATE_IN_TRX);
    assert_int_equal(tp.gtid_flags2, EV_MGTID_TRANSACTIONAL);
    assert_int_equal(ty(EV_ANNOTATE_ROWS), TRX_INSIDE);
    assert_int_equal(ty(EV_TABLE_MAP), TRX_INSIDE);
    assert_int_equal(ty(23), TRX_INSIDE);
    assert_int_equal(ty(EV_XID), TRX_GROUP_END);
    assert_int_equal(tp.state, TRX_STATE_OUTSIDE);
    /* Statement-based with pre-statements and a savepoint rollback inside. */
    assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_INSIDE);
    assert_int_equal(ty(EV_INTVAR), TRX_INSIDE);
    assert_int_equal(ty(EV_RAND), TRX_INSIDE);
    assert_int_equal(q("INSERT INTO t VALUES (RAND())"), TRX_INSIDE);
    assert_int_equal(q("SAVEPOINT `s1`"), TRX_INSIDE);
    assert_int_equal(q("ROLLBACK TO `s1`"), TRX_INSIDE);
    assert_int_equal(q("commit"), TRX_INSIDE);       /* MariaDB compares the exact text */
    assert_int_equal(q("COMMIT /* x */"), TRX_INSIDE);
    assert_int_equal(q("COMMIT"), TRX_GROUP_END);
    /* Non-transactional engine: ends with QUERY ROLLBACK or COMMIT. */
    assert_int_equal(mg(EV_MGTID_ALLOW_PARALLEL), TRX_INSIDE);
    assert_int_equal(ty(23), TRX_INSIDE);
    assert_int_equal(q("ROLLBACK"), TRX_GROUP_END);
    /* Heartbeats are ignored anywhere; unknown types pass. */
    assert_int_equal(ty(EV_HEARTBEAT), TRX_OUTSIDE);
    assert_int_equal(ty(200), TRX_OUTSIDE);
    assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_INSIDE);
    assert_int_equal(ty(EV_HEARTBEAT), TRX_INSIDE);
    assert_int_equal(ty(200), TRX_INSIDE);
    assert_int_equal(ty(EV_QUERY_COMPRESSED), TRX_INSIDE);
    assert_int_equal(ty(EV_XID), TRX_GROUP_END);
    assert_int_equal(ty(EV_STOP), TRX_OUTSIDE);
}

static void test_maria_standalone_and_xa(void **state)
{
    (void)state;
    /* DDL: standalone, ends at the first QUERY. */
    assert_int_equal(mg(EV_MGTID_STANDALONE | EV_MGTID_DDL), TRX_INSIDE);
    assert_int_equal(tp.state, TRX_STATE_IN_STANDALONE);
    assert_int_equal(q("CREATE TABLE t (a INT)"), TRX_GROUP_END);
    /* Pre-statements before the statement, compressed query. */
    assert_int_equal(mg(EV_MGTID_STANDALONE), TRX_INSIDE);
    assert_int_equal(ty(EV_USER_VAR), TRX_INSIDE);
    assert_int_equal(ty(EV_QUERY_COMPRESSED), TRX_GROUP_END);
    assert_int_equal(mg(EV_MGTID_STANDALONE), TRX_INSIDE);
    assert_int_equal(ty(EV_INCIDENT), TRX_GROUP_END);
    /* XA as MariaDB 10.11 writes it: prepare group ends at XA_PREPARE (38) ... */
    assert_int_equal(mg(EV_MGTID_PREPARED_XA | EV_MGTID_TRANSACTIONAL | EV_MGTID_ALLOW_PARALLEL), TRX_INSIDE);
    assert_int_equal(ty(EV_ANNOTATE_ROWS), TRX_INSIDE);
    assert_int_equal(ty(EV_TABLE_MAP), TRX_INSIDE);
    assert_int_equal(ty(23), TRX_INSIDE);
    assert_int_equal(q("XA END X'7831',X'',1"), TRX_INSIDE);
    assert_int_equal(ty(EV_XA_PREPARE), TRX_GROUP_END);
    /* ... and XA COMMIT / ROLLBACK are standalone groups (flags2 0x8d) of one QUERY. */
    assert_int_equal(mg(0x8d), TRX_INSIDE);
    assert_int_equal(q("XA COMMIT X'7831',X'',1"), TRX_GROUP_END);
    assert_int_equal(mg(0x8d), TRX_INSIDE);
    assert_int_equal(q("XA ROLLBACK X'7832',X'',1"), TRX_GROUP_END);
    assert_int_equal(tp.state, TRX_STATE_OUTSIDE);
}

static void test_maria_bad(void **state)
{
    (void)state;
    assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_INSIDE);
    assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_BAD);   /* GTID inside an open group */
    assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_INSIDE); /* the parser restarted outside */
    assert_int_equal(ty(EV_ROTATE), TRX_BAD);
    assert_int_equal(mg(EV_MGTID_STANDALONE), TRX_INSIDE);
    assert_int_equal(ty(EV_STOP), TRX_BAD);
    static const uint8_t between[] = {EV_FORMAT_DESCRIPTION, EV_GTID_LIST, EV_BINLOG_CHECKPOINT, EV_PREVIOUS_GTIDS,
                                      EV_START_ENCRYPTION};
    for (size_t i = 0; i < sizeof(between); i++) {
        assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_INSIDE);
        assert_int_equal(ty(between[i]), TRX_BAD);
    }
    assert_int_equal(mg(EV_MGTID_STANDALONE), TRX_INSIDE);
    assert_int_equal(q("BEGIN"), TRX_BAD);
    assert_int_equal(mg(EV_MGTID_TRANSACTIONAL), TRX_INSIDE);
    assert_int_equal(ty(EV_TRANSACTION_PAYLOAD), TRX_BAD);
    /* Outside a group: row events and group ends are impossible. */
    assert_int_equal(ty(EV_TABLE_MAP), TRX_BAD);
    assert_int_equal(ty(23), TRX_BAD);
    assert_int_equal(ty(170), TRX_BAD);
    assert_int_equal(ty(EV_XID), TRX_BAD);
    assert_int_equal(ty(EV_XA_PREPARE), TRX_BAD);
    assert_int_equal(ty(EV_TRANSACTION_PAYLOAD), TRX_BAD);
    /* A GTID too short to parse, a truncated event, a QUERY whose lengths overrun. */
    uint8_t b[128];
    assert_int_equal(feed(b, evgen_event(&gen, b, sizeof(b), EV_MARIA_GTID, 0, NULL, 10)), TRX_BAD);
    size_t n = evgen_xid(&gen, b, sizeof(b), 1);
    assert_int_equal(trx_feed(&tp, b, n - 1, &fmt, &last_why), TRX_BAD);
    assert_int_equal(trx_feed(&tp, b, 10, &fmt, &last_why), TRX_BAD);
    n = evgen_query(&gen, b, sizeof(b), "db", "COMMIT");
    b[EV_HEADER_LEN + 8] = 200;   /* db_len past the body */
    evgen_fix_crc(b, n);
    assert_int_equal(feed(b, n), TRX_BAD);
}

static void test_mysql(void **state)
{
    (void)state;
    for (int anon = 0; anon < 2; anon++) {
        uint8_t t = anon ? EV_ANONYMOUS_GTID : EV_MYSQL_GTID;
        assert_int_equal(ty(EV_PREVIOUS_GTIDS), TRX_OUTSIDE);
        /* DML: GTID, BEGIN, rows, XID. */
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(tp.state, TRX_STATE_AFTER_GTID);
        assert_int_equal(q("BEGIN"), TRX_INSIDE);
        assert_int_equal(tp.state, TRX_STATE_IN_TRX);
        assert_int_equal(ty(EV_ROWS_QUERY), TRX_INSIDE);
        assert_int_equal(ty(EV_TABLE_MAP), TRX_INSIDE);
        assert_int_equal(ty(30), TRX_INSIDE);
        assert_int_equal(ty(EV_XID), TRX_GROUP_END);
        /* DDL ends by itself, also after pre-statements. */
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(q("CREATE TABLE t1 (a INT)"), TRX_GROUP_END);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(ty(EV_USER_VAR), TRX_INSIDE);
        assert_int_equal(q("CREATE TABLE t2 AS SELECT @a"), TRX_GROUP_END);
        /* Compressed transaction. */
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(tp.mysql_payload_seen, 0);
        assert_int_equal(ty(EV_TRANSACTION_PAYLOAD), TRX_GROUP_END);
        assert_int_equal(tp.mysql_payload_seen, 1);
        /* COMMIT / ROLLBACK (case-insensitive, not ROLLBACK TO), XA ROLLBACK. */
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(tp.mysql_payload_seen, 0);
        assert_int_equal(q("BEGIN"), TRX_INSIDE);
        assert_int_equal(q("INSERT INTO t1 VALUES (1)"), TRX_INSIDE);
        assert_int_equal(q("ROLLBACK TO sp1"), TRX_INSIDE);
        assert_int_equal(q("rollback"), TRX_GROUP_END);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(q("BEGIN"), TRX_INSIDE);
        assert_int_equal(q("COMMIT"), TRX_GROUP_END);
        /* XA: START..END + XA_PREPARE; XA COMMIT later as its own group; XA ROLLBACK inside. */
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(q("XA START X'78',X'',1"), TRX_INSIDE);
        assert_int_equal(ty(30), TRX_INSIDE);
        assert_int_equal(q("XA END X'78',X'',1"), TRX_INSIDE);
        assert_int_equal(ty(EV_XA_PREPARE), TRX_GROUP_END);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(q("XA COMMIT X'78',X'',1"), TRX_GROUP_END);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(q("XA START X'79',X'',1"), TRX_INSIDE);
        assert_int_equal(q("XA ROLLBACK X'79',X'',1"), TRX_GROUP_END);
        /* Incident ends a group; ignored types inside; FD/ROTATE outside. */
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(ty(EV_INCIDENT), TRX_GROUP_END);
        assert_int_equal(ty(EV_INCIDENT), TRX_GROUP_END);
        assert_int_equal(ty(EV_ROTATE), TRX_OUTSIDE);
        /* Impossible: XID or rows right after a GTID, BEGIN inside BEGIN, GTID inside. */
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(ty(EV_XID), TRX_BAD);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(ty(EV_TABLE_MAP), TRX_BAD);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(q("BEGIN"), TRX_INSIDE);
        assert_int_equal(q("BEGIN"), TRX_BAD);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(yg(t), TRX_BAD);
        assert_int_equal(yg(t), TRX_INSIDE);
        assert_int_equal(q("BEGIN"), TRX_INSIDE);
        assert_int_equal(ty(EV_TRANSACTION_PAYLOAD), TRX_BAD);
    }
    /* Tagged GTIDs (8.3+) open a group without being decoded. */
    uint8_t b[128];
    assert_int_equal(feed(b, evgen_event(&gen, b, sizeof(b), EV_GTID_TAGGED, 0, NULL, 60)), TRX_INSIDE);
    assert_int_equal(q("DROP TABLE t1"), TRX_GROUP_END);
    /* A MySQL GTID with a broken logical-clock type. */
    uint8_t body[42] = {0};
    body[25] = 9;
    assert_int_equal(feed(b, evgen_event(&gen, b, sizeof(b), EV_MYSQL_GTID, 0, body, 42)), TRX_BAD);
}

static void test_no_gtid_files(void **state)
{
    (void)state;
    assert_int_equal(q("CREATE TABLE t (a INT)"), TRX_GROUP_END);
    assert_int_equal(q("BEGIN"), TRX_INSIDE);
    assert_int_equal(tp.state, TRX_STATE_IN_TRX);
    assert_int_equal(ty(EV_INTVAR), TRX_INSIDE);
    assert_int_equal(q("INSERT INTO t VALUES (NULL)"), TRX_INSIDE);
    assert_int_equal(ty(EV_XID), TRX_GROUP_END);
    /* Pre-statements outside a group belong to the statement that follows. */
    assert_int_equal(ty(EV_INTVAR), TRX_INSIDE);
    assert_int_equal(tp.state, TRX_STATE_IN_STANDALONE);
    assert_int_equal(ty(EV_RAND), TRX_INSIDE);
    assert_int_equal(q("INSERT INTO m VALUES (RAND())"), TRX_GROUP_END);
    assert_int_equal(q("BEGIN"), TRX_INSIDE);
    assert_int_equal(q("Rollback"), TRX_GROUP_END);
    assert_int_equal(ty(EV_QUERY_COMPRESSED), TRX_GROUP_END);
    assert_int_equal(ty(EV_STOP), TRX_OUTSIDE);
    assert_int_equal(ty(EV_START_V3), TRX_OUTSIDE);
    assert_int_equal(ty(EV_HEARTBEAT_V2), TRX_OUTSIDE);
    assert_int_equal(ty(EV_IGNORABLE), TRX_OUTSIDE);
}

/* ---------------------------------------------------------------- real binlogs */

struct walk {
    char path[1024];
    size_t size;
    uint32_t fde_end;
    struct ev_fde fde;
    char version[51];
    struct ev_fmt fmt;
    int events, groups, gtids, in_use, torn_tail;
    uint8_t type_at_fde_end, last_type;
    enum trx_state final;
    int has_glist;
    struct gtid_maria_state start, end;   /* GTID_LIST of the file; + every GTID in it */
    char rotate_to[EV_MAX_NAME_LEN + 1];
};

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n >= 0);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return b;
}

#define WFAIL(w, off, ...) do { \
        char m_[256]; snprintf(m_, sizeof(m_), __VA_ARGS__); \
        fail_msg("%s @%zu: %s", (w)->path, (size_t)(off), m_); } while (0)

/* Walk one file with every check; the caller compares the summary with what it expects. */
static void walk_file(const char *path, struct walk *w)
{
    memset(w, 0, sizeof(*w));
    snprintf(w->path, sizeof(w->path), "%s", path);
    uint8_t *buf = slurp(path, &w->size);
    if (w->size < BINLOG_MAGIC_LEN || memcmp(buf, BINLOG_MAGIC, BINLOG_MAGIC_LEN) != 0) WFAIL(w, 0, "no binlog magic");
    struct trx_parser p;
    trx_init(&p);
    struct gtid_mysql_set *set = gtid_mysql_set_new();
    assert_non_null(set);
    size_t off = BINLOG_MAGIC_LEN;
    const char *why = NULL;
    while (off < w->size) {
        const uint8_t *e = buf + off;
        struct ev_header h;
        if (w->size - off < EV_HEADER_LEN && w->in_use) {
            w->torn_tail = 1;
            break;
        }
        if (ev_header_parse(e, w->size - off, &h, &why) != EV_OK) WFAIL(w, off, "header: %s", why);
        if (h.event_size > w->size - off) {
            /* Only a file still flagged IN_USE (active or crashed) may end in a torn event. */
            if (!w->in_use) WFAIL(w, off, "event of %u bytes runs past the end", h.event_size);
            w->torn_tail = 1;
            break;
        }
        size_t n = h.event_size;
        if (h.log_pos != off + n) WFAIL(w, off, "%s log_pos %u, want %zu", ev_type_name(h.type), h.log_pos, off + n);
        if (h.flags & EV_F_ARTIFICIAL) WFAIL(w, off, "artificial event in a file");
        if (off == BINLOG_MAGIC_LEN) {
            if (h.type != EV_FORMAT_DESCRIPTION) WFAIL(w, off, "first event is %s", ev_type_name(h.type));
            if (ev_fde_parse(e, n, &w->fde, &why) != EV_OK) WFAIL(w, off, "FDE: %s", why);
            if (w->fde.has_checksum_alg && ev_crc32_verify(e, n) != 0) WFAIL(w, off, "FDE CRC");
            memcpy(w->version, w->fde.server_version, sizeof(w->version));
            ev_fmt_from_fde(&w->fmt, &w->fde);
            w->fde_end = h.log_pos;
            w->in_use = h.flags & EV_F_BINLOG_IN_USE;
        } else {
            if (h.type == EV_FORMAT_DESCRIPTION) WFAIL(w, off, "second FDE");
            if (w->fmt.checksum == EV_CHECKSUM_CRC32 && ev_crc32_verify(e, n) != 0)
                WFAIL(w, off, "CRC of %s", ev_type_name(h.type));
        }
        if (off == w->fde_end) w->type_at_fde_end = h.type;
        int r = EV_OK;
        switch (h.type) {
        case EV_QUERY: { struct ev_query x; r = ev_query_parse(e, n, &w->fmt, &x, &why); break; }
        case EV_XID: { struct ev_xid x; r = ev_xid_parse(e, n, &w->fmt, &x, &why); break; }
        case EV_ROTATE: {
            struct ev_rotate x;
            r = ev_rotate_parse(e, n, &w->fmt, &x, &why);
            if (r == EV_OK) {
                memcpy(w->rotate_to, x.name, x.name_len);
                w->rotate_to[x.name_len] = '\0';
                if (x.position != BINLOG_MAGIC_LEN) WFAIL(w, off, "ROTATE to position %llu", (unsigned long long)x.position);
            }
            break;
        }
        case EV_MARIA_GTID: {
            struct ev_maria_gtid x;
            r = ev_maria_gtid_parse(e, n, &w->fmt, &x, &why);
            struct gtid_maria g = {x.domain_id, x.server_id, x.seq_no};
            if (r == EV_OK && gtid_maria_state_update(&w->end, &g) != 0) WFAIL(w, off, "too many domains");
            w->gtids++;
            break;
        }
        case EV_MYSQL_GTID: case EV_ANONYMOUS_GTID: {
            struct ev_mysql_gtid x;
            r = ev_mysql_gtid_parse(e, n, &w->fmt, &x, &why);
            w->gtids++;
            break;
        }
        case EV_GTID_LIST: {
            struct ev_gtid_list x;
            r = ev_gtid_list_parse(e, n, &w->fmt, &x, &why);
            if (r == EV_OK && (gtid_maria_state_from_list(&w->start, &x, &why) != 0)) WFAIL(w, off, "%s", why);
            w->end = w->start;
            w->has_glist = 1;
            break;
        }
        case EV_BINLOG_CHECKPOINT: { struct ev_checkpoint x; r = ev_checkpoint_parse(e, n, &w->fmt, &x, &why); break; }
        case EV_PREVIOUS_GTIDS: {
            struct ev_previous_gtids x;
            r = ev_previous_gtids_parse(e, n, &w->fmt, &x, &why);
            if (r == EV_OK && gtid_mysql_set_decode(set, x.data, x.len, &why) != 0) WFAIL(w, off, "PREVIOUS_GTIDS: %s", why);
            break;
        }
        default: break;
        }
        if (r != EV_OK) WFAIL(w, off, "%s: %s", ev_type_name(h.type), why);
        enum trx_verdict v = trx_feed(&p, e, n, &w->fmt, &why);
        if (v == TRX_BAD) WFAIL(w, off, "trx BAD at %s: %s", ev_type_name(h.type), why);
        if (v == TRX_GROUP_END) w->groups++;
        w->events++;
        w->last_type = h.type;
        off += n;
    }
    w->final = p.state;
    gtid_mysql_set_free(set);
    free(buf);
}

static const char *std_data(void)
{
    const char *d = getenv("BINLOGD_STD_DATA");
    return d && *d ? d : "/usr/share/mysql/mysql-test/std_data";
}

/* Files from mariadb-test-data with what a careful reading of them shows. */
static const struct expect {
    const char *file;
    uint32_t fde_end;
    int flavor, n_ph, checksum, has_alg, groups, gtids;
    uint8_t last_type;
} expects[] = {
    {"rpl/mysql-5.7.11-stm-temporal-round-binlog.000001", 123, EV_FLAVOR_MYSQL, 38, 1, 1, 1, 1, EV_STOP},
    {"rpl/mysql-8.0.13-stm-temporal-round-binlog.000001", 124, EV_FLAVOR_MYSQL, 39, 1, 1, 2, 2, EV_STOP},
    {"mdev35643_mysql_80_binlog.000001", 126, EV_FLAVOR_MYSQL, 41, 1, 1, 9, 9, EV_ROTATE},
    {"rpl/master-bin-seq_10.3.36.000001", 256, EV_FLAVOR_MARIADB, 171, 1, 1, 4, 4, EV_QUERY},
    {"mdev29078-mysql-bin.000001", 256, EV_FLAVOR_MARIADB, 171, 1, 1, 3, 3, EV_STOP},
    {"mdev6020-mysql-bin.000001", 248, EV_FLAVOR_MARIADB, 163, 0, 1, 1381, 1381, EV_STOP},
    {"mariadb-5.5-binlog.000001", 245, EV_FLAVOR_MARIADB, 160, 0, 1, 4, 0, EV_STOP},
    {"binlog_transaction.000001", 98, EV_FLAVOR_MYSQL, 18, 0, 0, 9, 0, EV_ROTATE},
    {"bug16266.000001", 98, EV_FLAVOR_MYSQL, 18, 0, 0, 4, 0, EV_STOP},
    {"binlog-header.binlog", 256, EV_FLAVOR_MARIADB, 171, 1, 1, 0, 0, EV_FORMAT_DESCRIPTION},
};

static void test_std_data_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(expects) / sizeof(expects[0]); i++) {
        const struct expect *x = &expects[i];
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", std_data(), x->file);
        struct walk w;
        walk_file(path, &w);
        if (w.fde_end != x->fde_end || (int)w.fde.flavor != x->flavor || w.fde.n_post_header != x->n_ph ||
            (int)w.fmt.checksum != x->checksum || w.fde.has_checksum_alg != x->has_alg || w.groups != x->groups ||
            w.gtids != x->gtids || w.last_type != x->last_type || w.final != TRX_STATE_OUTSIDE)
            fail_msg("%s: fde_end %u flavor %d N %u alg %d/%d groups %d gtids %d last %s final %s", x->file, w.fde_end,
                     w.fde.flavor, w.fde.n_post_header, w.fmt.checksum, w.fde.has_checksum_alg, w.groups, w.gtids,
                     ev_type_name(w.last_type), trx_state_name(w.final));
        /* A file with GTIDs has one group per GTID. */
        if (x->gtids) assert_int_equal(w.groups, w.gtids);
    }
}

/* A Google-patched 5.1 file (27-byte headers) must be refused at its FDE, not misread. */
static void test_std_data_foreign(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/mdev-4645-binlog_checksum.binlog", std_data());
    size_t size;
    uint8_t *b = slurp(path, &size);
    struct ev_header h;
    const char *why;
    assert_int_equal(ev_header_parse(b + 4, size - 4, &h, &why), EV_OK);
    assert_int_equal(h.type, EV_FORMAT_DESCRIPTION);
    struct ev_fde f;
    assert_int_equal(ev_fde_parse(b + 4, h.event_size, &f, &why), EV_ERROR);
    free(b);
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* MariaDB 10.11 binlogs written during this run. */
static void test_fixture_files(void **state)
{
    (void)state;
    const char *dir = getenv("BINLOGD_FIXTURES");
    if (!dir || !*dir) fail_msg("BINLOGD_FIXTURES is not set (run through make, which writes the fixtures first)");
    DIR *d = opendir(dir);
    if (!d) fail_msg("BINLOGD_FIXTURES=%s: cannot open the directory", dir);
    char *names[512];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 512)
        if (fnmatch("*.[0-9][0-9][0-9][0-9][0-9][0-9]", de->d_name, 0) == 0) names[n++] = strdup(de->d_name);
    closedir(d);
    if (n == 0) fail_msg("BINLOGD_FIXTURES=%s holds no binlog files (*.NNNNNN)", dir);
    qsort(names, n, sizeof(names[0]), name_cmp);
    struct walk *w = calloc(n, sizeof(*w));
    assert_non_null(w);
    int total_gtids = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        walk_file(path, &w[i]);
        struct walk *x = &w[i];
        if (x->fde.flavor != EV_FLAVOR_MARIADB || !strstr(x->version, "MariaDB"))
            fail_msg("%s: not a MariaDB binlog (%s)", path, x->version);
        if (x->fde_end != 256) fail_msg("%s: FDE ends at %u, not 256", path, x->fde_end);
        if (x->type_at_fde_end != EV_GTID_LIST) fail_msg("%s: %s at 256, not GTID_LIST", path, ev_type_name(x->type_at_fde_end));
        int closed = x->last_type == EV_ROTATE || x->last_type == EV_STOP;
        if (closed && x->final != TRX_STATE_OUTSIDE) fail_msg("%s: ends inside a group (%s)", path, trx_state_name(x->final));
        if (closed && x->in_use) fail_msg("%s: closed file still flagged IN_USE", path);
        if (x->torn_tail) print_message("%s: ends in a torn event (file still IN_USE)\n", path);
        if (x->final == TRX_STATE_OUTSIDE && x->groups != x->gtids)
            fail_msg("%s: %d groups for %d GTIDs", path, x->groups, x->gtids);
        total_gtids += x->gtids;
    }
    /* Where a file rotates into the next one present, that file's GTID_LIST is exactly the
     * state at the end of this one. */
    for (size_t i = 0; i + 1 < n; i++) {
        if (w[i].last_type != EV_ROTATE || strcmp(w[i].rotate_to, names[i + 1]) != 0) continue;
        enum gtid_cmp c = gtid_maria_state_compare(&w[i].end, &w[i + 1].start);
        if (c != GTID_CMP_EQUAL) {
            char a[512], b[512];
            gtid_maria_state_format(&w[i].end, a, sizeof(a));
            gtid_maria_state_format(&w[i + 1].start, b, sizeof(b));
            fail_msg("%s ends at [%s] but %s starts from [%s] (%s)", names[i], a, names[i + 1], b, gtid_cmp_name(c));
        }
    }
    if (total_gtids == 0) fail_msg("BINLOGD_FIXTURES=%s: no GTID in any file", dir);
    print_message("fixtures: %zu files, %d GTIDs\n", n, total_gtids);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test_setup(test_maria_transactional, setup),
        cmocka_unit_test_setup(test_maria_standalone_and_xa, setup),
        cmocka_unit_test_setup(test_maria_bad, setup),
        cmocka_unit_test_setup(test_mysql, setup),
        cmocka_unit_test_setup(test_no_gtid_files, setup),
        cmocka_unit_test(test_std_data_files),
        cmocka_unit_test(test_std_data_foreign),
        cmocka_unit_test(test_fixture_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
