/*
 * test_gtidpos.c - the GTID position index (storage/gtidpos.h): a GTID start that jumps by the
 * index sends exactly what the full scan sends, at every transaction boundary of a multi-domain
 * fixture (several servers per domain, standalone groups, seq_no out of order, a mid-file
 * BINLOG_CHECKPOINT), strict mode and not; damaged sidecars (truncated, flipped bytes, wrong
 * offsets, an entry pointing mid-event) are refused and the store falls back and rebuilds;
 * malformed input for the parser; BINLOG_GTID_POS-style states from an entry equal the scan's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/checksum.h"
#include "protocol/gtid_start.h"
#include "protocol/trx.h"
#include "protocol/wire.h"
#include "storage/cursor.h"
#include "storage/fsio.h"
#include "storage/gtidpos.h"
#include "storage/store.h"
#include "tests/unit/evgen.h"
#include "tests/unit/tmpdir.h"

#define CAP (1 << 20)
#define MAXEV 4096
#define HB ((uint64_t)1 << 63)   /* in out.sent: a heartbeat announcing skipped groups up to */

/* The fixture: one file's bytes and its events. */
struct fixture {
    uint8_t *buf;
    size_t len;
    uint64_t off[MAXEV];
    uint32_t elen[MAXEV];
    int n;                 /* events after the FDE */
    char start[256];       /* the file's GTID_LIST as a binlog state */
    char dir[64];
    int fd;
};

static void put(struct fixture *fx, const uint8_t *ev, size_t n)
{
    assert_true(n > 0 && fx->len + n <= CAP);
    memcpy(fx->buf + fx->len, ev, n);
    fx->off[fx->n] = fx->len;   /* recorded; counted only by add() */
    fx->elen[fx->n] = (uint32_t)n;
    fx->len += n;
}

static void add(struct fixture *fx, const uint8_t *ev, size_t n)
{
    put(fx, ev, n);
    fx->n++;
}

static void gtid_list(struct evgen *g, struct fixture *fx, uint8_t *ev)
{
    /* 0-1-100, 1-2-50, 1-3-60 (domain 1's most recent: 1-3-60) */
    static const uint32_t d[] = {0, 1, 1}, s[] = {1, 2, 3};
    static const uint64_t q[] = {100, 50, 60};
    uint8_t body[4 + 16 * 3];
    wire_put_u32(body, 3);
    for (int i = 0; i < 3; i++) {
        wire_put_u32(body + 4 + 16 * i, d[i]);
        wire_put_u32(body + 8 + 16 * i, s[i]);
        wire_put_u64(body + 12 + 16 * i, q[i]);
    }
    add(fx, ev, evgen_event(g, ev, CAP, EV_GTID_LIST, 0, body, sizeof(body)));
    snprintf(fx->start, sizeof(fx->start), "0-1-100,1-2-50,1-3-60");
}

static void checkpoint(struct evgen *g, struct fixture *fx, uint8_t *ev)
{
    uint8_t body[4 + 10];
    wire_put_u32(body, 10);
    memcpy(body + 4, "b.00000001", 10);
    add(fx, ev, evgen_event(g, ev, CAP, EV_BINLOG_CHECKPOINT, 0, body, sizeof(body)));
}

static void group(struct evgen *g, struct fixture *fx, uint8_t *ev, uint32_t server, uint32_t domain, uint64_t seq,
                  int standalone, size_t pad)
{
    g->server_id = server;
    add(fx, ev, evgen_gtid(g, ev, CAP, domain, seq, standalone ? EV_MGTID_STANDALONE : EV_MGTID_TRANSACTIONAL));
    char sql[512];
    memset(sql, 0, sizeof(sql));
    if (standalone) {
        snprintf(sql, sizeof(sql), "CREATE TABLE t%llu (a INT) /*%.*s*/", (unsigned long long)seq, (int)(pad % 300),
                 "................................................................................................"
                 "................................................................................................"
                 "................................................................................................"
                 "............................");
        add(fx, ev, evgen_query(g, ev, CAP, "w", sql));
        return;
    }
    snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%llu) /*%.*s*/", (unsigned long long)seq, (int)(pad % 300),
             "................................................................................................"
             "................................................................................................"
             "................................................................................................"
             "............................");
    add(fx, ev, evgen_query(g, ev, CAP, "w", sql));
    add(fx, ev, evgen_xid(g, ev, CAP, seq));
}

/* Three domains, two or three servers each, seq_no out of order in domain 2 (server 5 writes
 * 7 after 9), standalone groups, BINLOG_CHECKPOINT at the start and in the middle. */
static void fixture_build(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    fx->buf = malloc(CAP);
    uint8_t *ev = malloc(CAP);
    struct evgen g;
    evgen_init(&g);
    memcpy(fx->buf, "\xfe" "bin", 4);
    fx->len = 4;
    put(fx, ev, evgen_fde(&g, ev, CAP));   /* not in the event list */
    gtid_list(&g, fx, ev);
    checkpoint(&g, fx, ev);
    uint64_t s0 = 100, s1 = 60, s2 = 0;
    for (int i = 0; i < 60; i++) {
        switch (i % 5) {
        case 0: group(&g, fx, ev, 1, 0, ++s0, i % 10 == 0, (size_t)i * 37); break;
        case 1: group(&g, fx, ev, i % 3 == 0 ? 2 : 3, 1, ++s1, 0, (size_t)i * 11); break;
        case 2: group(&g, fx, ev, 5, 2, i == 22 ? 9 : i == 27 ? 7 : ++s2 + (i > 27 ? 9 : 0), i % 4 == 2, (size_t)i * 5); break;
        case 3: group(&g, fx, ev, 1, 0, ++s0, 0, (size_t)i * 3); break;
        case 4: group(&g, fx, ev, 4, 0, ++s0, 0, 7); break;
        }
        if (i == 31) checkpoint(&g, fx, ev);
    }
    free(ev);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/binlogd-gpos-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/b.000001", fx->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, fx->buf, fx->len), (ssize_t)fx->len);
    fx->fd = fd;
}

static void fixture_free(struct fixture *fx)
{
    close(fx->fd);
    if (!getenv("KEEP")) tmpdir_remove(fx->dir);
    free(fx->buf);
}

static int dirfd_of(const struct fixture *fx) { return open(fx->dir, O_RDONLY | O_DIRECTORY); }

/* What a dump sends: offsets of sent events, fake lists (position + bytes), the error. */
struct out {
    uint64_t sent[MAXEV];
    int nsent;
    uint8_t fake[8][512];
    size_t fake_len[8];
    int nfake;
    int err;
    char msg[512];
    int jumped;
};

struct jarg {
    const struct gtid_start *gs;
    uint64_t from;
};

static int jump_ok(void *arg, const struct gpos_entry *e)
{
    const struct jarg *j = arg;
    return e->seg <= j->from && gtid_start_jump_ok(j->gs, e->state, e->max);
}

static int index_of(const struct fixture *fx, uint64_t off)
{
    for (int i = 0; i < fx->n; i++)
        if (fx->off[i] == off) return i;
    return -1;
}

/* As dump.c's pump does, over the fixture's events; idx NULL: the full scan. */
static void run(const struct fixture *fx, struct gtid_start *gs, const struct gpos_file *idx, struct out *o)
{
    memset(o, 0, sizeof(*o));
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    int tried = 0;
    for (int i = 0; i < fx->n; i++) {
        const uint8_t *ev = fx->buf + fx->off[i];
        uint8_t type = ev[EV_TYPE_OFFSET];
        if (idx && !tried && !gtid_start_idle(gs) && (type == EV_MARIA_GTID || type == EV_MYSQL_GTID)) {
            tried = 1;
            struct jarg j = {gs, fx->off[i]};
            long k = gtid_start_jump_ready(gs) ? gpos_search(idx, fx->off[i], jump_ok, &j) : -1;
            const char *why;
            if (k >= 0 && gpos_entry_check(fx->fd, fx->len, idx->crc, &idx->v[k], &why) == 0 &&
                gtid_start_jump(gs, idx->v[k].state) == 0) {
                if (gs->mysql) gs->exclude_end = idx->v[k].off;   /* as dump.c does */
                int at = index_of(fx, idx->v[k].off);
                if (at < 0) {   /* the end of the file */
                    if (gs->exclude_end) o->sent[o->nsent++] = HB | gs->exclude_end;
                    assert_int_equal(idx->v[k].off, fx->len);
                    o->jumped = 1;
                    return;
                }
                i = at - 1;
                o->jumped = 1;
                continue;
            }
        }
        int fake = 0;
        struct myerr e;
        enum gtid_start_verdict v = gtid_start_event(gs, ev, fx->elen[i], fx->elen[i], &fmt, &fake, &e);
        if (v == GTID_START_ERROR) {
            o->err = e.code;
            snprintf(o->msg, sizeof(o->msg), "%s", e.msg);
            return;
        }
        if (v == GTID_START_SKIP && gs->mysql) gs->exclude_end = fx->off[i] + fx->elen[i];
        if (v == GTID_START_SEND && gs->exclude_end) {   /* the skipped run's heartbeat */
            o->sent[o->nsent++] = HB | gs->exclude_end;
            gs->exclude_end = 0;
        }
        if (v == GTID_START_SEND) o->sent[o->nsent++] = fx->off[i];
        if (fake && o->nfake < 8) {
            o->fake_len[o->nfake] = gtid_start_fake_list(gs, o->fake[o->nfake], 512, 9, (uint32_t)(fx->off[i] + fx->elen[i]),
                                                         EV_CHECKSUM_CRC32);
            o->nfake++;
        }
    }
    if (gs->exclude_end) o->sent[o->nsent++] = HB | gs->exclude_end;   /* at the end of the log */
}

static void same(const struct out *a, const struct out *b, const char *req)
{
    if (a->nsent != b->nsent || a->nfake != b->nfake || a->err != b->err || strcmp(a->msg, b->msg))
        fail_msg("request %s: scan sent %d fakes %d err %d / indexed %d %d %d", req, a->nsent, a->nfake, a->err,
                 b->nsent, b->nfake, b->err);
    for (int i = 0; i < a->nsent; i++) assert_int_equal(a->sent[i], b->sent[i]);
    for (int i = 0; i < a->nfake; i++) {
        assert_int_equal(a->fake_len[i], b->fake_len[i]);
        assert_memory_equal(a->fake[i], b->fake[i], a->fake_len[i]);
    }
}

/* The binlog state at the start of event k (groups ended before it), per domain and whole. */
static void state_at(const struct fixture *fx, int k, struct gtid_blist *l)
{
    const char *why;
    assert_int_equal(gtid_blist_parse(l, fx->start, strlen(fx->start), &why), 0);
    struct trx_parser p;
    trx_init(&p);
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    struct gtid_maria pend = {0};
    int has = 0;
    for (int i = 0; i < k; i++) {
        const uint8_t *ev = fx->buf + fx->off[i];
        if (ev[EV_TYPE_OFFSET] == EV_MARIA_GTID) {
            struct ev_maria_gtid g;
            assert_int_equal(ev_maria_gtid_parse(ev, fx->elen[i], &fmt, &g, &why), EV_OK);
            pend = (struct gtid_maria){g.domain_id, g.server_id, g.seq_no};
            has = 1;
        }
        enum trx_verdict v = trx_feed(&p, ev, fx->elen[i], &fmt, &why);
        if (v == TRX_GROUP_END && has) {
            assert_int_equal(gtid_blist_update(l, &pend), 0);
            has = 0;
        }
    }
}

static int is_boundary(const struct fixture *fx, int k)
{
    struct trx_parser p;
    trx_init(&p);
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    const char *why;
    enum trx_verdict v = TRX_OUTSIDE;
    for (int i = 0; i < k; i++) v = trx_feed(&p, fx->buf + fx->off[i], fx->elen[i], &fmt, &why);
    return v == TRX_GROUP_END || v == TRX_OUTSIDE;
}

static void compare_at_every_boundary(uint32_t interval)
{
    struct fixture fx;
    fixture_build(&fx);
    int dfd = dirfd_of(&fx);
    struct gpos_file idx;
    gpos_file_init(&idx);
    char err[512];
    uint64_t size;
    assert_int_equal(gpos_scan_file(dfd, "b.000001", NULL, &idx, interval, NULL, &size, err, sizeof(err)), 0);
    assert_int_equal(size, fx.len);
    assert_true(idx.n > 0);
    assert_int_equal(idx.flavor, GTID_TRACK_MARIA);
    struct gtid_blist end, l;
    gtid_blist_init(&end);
    gtid_blist_init(&l);
    state_at(&fx, fx.n, &end);
    char endtxt[1024];
    gtid_blist_format(&end, endtxt, sizeof(endtxt));
    struct gtid_start_file file = {"b.000001", 1, GTID_TRACK_MARIA, fx.start};
    int checked = 0, jumped = 0;
    struct out *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    for (int k = 1; k <= fx.n; k++) {
        if (!is_boundary(&fx, k)) continue;
        state_at(&fx, k, &l);
        struct gtid_maria_state st;
        assert_int_equal(gtid_blist_to_state(&l, &st), 0);
        char req[512];
        gtid_maria_state_format(&st, req, sizeof(req));
        /* variants: as is; one domain a step back; a server the binlog lacks; domain 2 ahead;
         * domain 2 not asked for (its groups are all sent); domain 1 at the file's start (its
         * groups are all sent: the start is reached by the GTID_LIST) */
        for (int var = 0; var < 6; var++) {
            char r2[600];
            snprintf(r2, sizeof(r2), "%s", req);
            struct gtid_maria_state s2 = st;
            for (uint32_t i = 0; i < s2.n; i++) {
                if (var == 1 && s2.v[i].domain == 0 && s2.v[i].seq > 101) s2.v[i].seq--;
                if (var == 2 && s2.v[i].domain == 1) s2.v[i].server = 3;
                if (var == 3 && s2.v[i].domain == 2) s2.v[i].seq += 1;
                if (var == 5 && s2.v[i].domain == 1) s2.v[i] = (struct gtid_maria){1, 3, 60};
            }
            if (var == 4) {
                struct gtid_maria_state s3;
                gtid_maria_state_init(&s3);
                for (uint32_t i = 0; i < s2.n; i++)
                    if (s2.v[i].domain != 2) assert_int_equal(gtid_maria_state_update(&s3, &s2.v[i]), 0);
                s2 = s3;
            }
            gtid_maria_state_format(&s2, r2, sizeof(r2));
            for (int strict = 0; strict <= 1; strict++) {
                for (int ign = 0; ign <= (var == 3); ign++) {
                    struct gtid_start g1, g2;
                    struct myerr e1, e2;
                    size_t at1, at2;
                    gtid_start_init(&g1);
                    gtid_start_init(&g2);
                    int r1 = gtid_start_resolve(&g1, r2, strlen(r2), strict, ign, endtxt, &file, 1, &at1, &e1);
                    int rr = gtid_start_resolve(&g2, r2, strlen(r2), strict, ign, endtxt, &file, 1, &at2, &e2);
                    assert_int_equal(r1, rr);
                    if (r1 == 0) {
                        run(&fx, &g1, NULL, a);
                        run(&fx, &g2, &idx, b);
                        same(a, b, r2);
                        checked++;
                        jumped += b->jumped;
                    }
                    gtid_start_free(&g1);
                    gtid_start_free(&g2);
                }
            }
        }
    }
    if (getenv("GPOS_VERBOSE")) fprintf(stderr, "interval %u: %d starts compared, %d jumped\n", interval, checked, jumped);
    assert_true(checked > 100);
    assert_true(jumped > checked / 4);   /* the index was really used */
    free(a);
    free(b);
    gtid_blist_free(&end);
    gtid_blist_free(&l);
    gpos_file_free(&idx);
    close(dfd);
    fixture_free(&fx);
}

static void test_every_boundary_dense(void **state)
{
    (void)state;
    compare_at_every_boundary(1);   /* an entry at every boundary */
}

static void test_every_boundary_sparse(void **state)
{
    (void)state;
    compare_at_every_boundary(700);
}

/* BINLOG_GTID_POS: the start list plus an entry's state equals the scan's state at its offset. */
static void test_state_at_entries(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_build(&fx);
    int dfd = dirfd_of(&fx);
    struct gpos_file idx;
    gpos_file_init(&idx);
    char err[512];
    assert_int_equal(gpos_scan_file(dfd, "b.000001", NULL, &idx, 1, NULL, NULL, err, sizeof(err)), 0);
    struct gtid_blist l, e;
    gtid_blist_init(&l);
    gtid_blist_init(&e);
    const char *why;
    for (size_t i = 0; i < idx.n; i++) {
        int k = index_of(&fx, idx.v[i].off);
        state_at(&fx, k < 0 ? fx.n : k, &l);
        struct gtid_maria_state want, got;
        assert_int_equal(gtid_blist_to_state(&l, &want), 0);
        assert_int_equal(gtid_blist_parse(&e, fx.start, strlen(fx.start), &why), 0);
        assert_int_equal(gtid_blist_to_state(&e, &got), 0);
        assert_int_equal(gtid_blist_parse(&e, idx.v[i].state, strlen(idx.v[i].state), &why), 0);
        for (uint32_t j = 0; j < e.n; j++) assert_int_equal(gtid_maria_state_update(&got, &e.v[j]), 0);
        char a[512], b[512];
        gtid_maria_state_format(&want, a, sizeof(a));
        gtid_maria_state_format(&got, b, sizeof(b));
        assert_string_equal(a, b);
        /* and every entry is a real boundary that passes its check */
        assert_true(k < 0 || is_boundary(&fx, k));
        assert_int_equal(gpos_entry_check(fx.fd, fx.len, idx.crc, &idx.v[i], &why), 0);
    }
    /* seq_no out of order in domain 2: the max field says so while 7 is the pair's last */
    int seen_max = 0;
    for (size_t i = 0; i < idx.n; i++) seen_max += strstr(idx.v[i].max, "2-5-9") != NULL;
    assert_true(seen_max > 0);
    gtid_blist_free(&l);
    gtid_blist_free(&e);
    gpos_file_free(&idx);
    close(dfd);
    fixture_free(&fx);
}

/* Damaged entries are refused by the check: wrong offset, mid-event, changed header, CRC. */
static void test_entry_check(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_build(&fx);
    int dfd = dirfd_of(&fx);
    struct gpos_file idx;
    gpos_file_init(&idx);
    char err[512];
    assert_int_equal(gpos_scan_file(dfd, "b.000001", NULL, &idx, 500, NULL, NULL, err, sizeof(err)), 0);
    assert_true(idx.n >= 3);
    const char *why;
    struct gpos_entry e = idx.v[1];
    assert_int_equal(gpos_entry_check(fx.fd, fx.len, 1, &e, &why), 0);
    e.off = idx.v[2].off;   /* another boundary's offset with this entry's event */
    assert_int_equal(gpos_entry_check(fx.fd, fx.len, 1, &e, &why), -1);
    e = idx.v[1];
    e.off -= 7;             /* mid-event */
    assert_int_equal(gpos_entry_check(fx.fd, fx.len, 1, &e, &why), -1);
    e = idx.v[1];
    e.ev_crc ^= 1;
    assert_int_equal(gpos_entry_check(fx.fd, fx.len, 1, &e, &why), -1);
    e = idx.v[1];
    e.ev_ts ^= 1;
    assert_int_equal(gpos_entry_check(fx.fd, fx.len, 1, &e, &why), -1);
    e = idx.v[1];
    assert_int_equal(gpos_entry_check(fx.fd, e.off - 1, 1, &e, &why), -1);   /* beyond the committed bytes */
    e.ev_len = 3;
    assert_int_equal(gpos_entry_check(fx.fd, fx.len, 1, &e, &why), -1);
    /* the file's bytes changed under the entry: its CRC no longer matches */
    e = idx.v[1];
    uint8_t b;
    assert_int_equal(pread(fx.fd, &b, 1, (off_t)(e.off - 6)), 1);
    b ^= 0x40;
    assert_int_equal(pwrite(fx.fd, &b, 1, (off_t)(e.off - 6)), 1);
    assert_int_equal(gpos_entry_check(fx.fd, fx.len, 1, &e, &why), -1);
    gpos_file_free(&idx);
    close(dfd);
    fixture_free(&fx);
}

/* The text form: round trip, and malformed input refused with the line. */
static void test_parse(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_build(&fx);
    int dfd = dirfd_of(&fx);
    struct gpos_file idx, back;
    gpos_file_init(&idx);
    gpos_file_init(&back);
    char err[512];
    assert_int_equal(gpos_scan_file(dfd, "b.000001", NULL, &idx, 400, NULL, NULL, err, sizeof(err)), 0);
    char *t1, *t2;
    size_t l1, l2;
    assert_int_equal(gpos_format(&idx, &t1, &l1), 0);
    assert_int_equal(gpos_parse(&back, t1, l1, err, sizeof(err)), 0);
    assert_int_equal(back.n, idx.n);
    assert_int_equal(gpos_format(&back, &t2, &l2), 0);
    assert_int_equal(l1, l2);
    assert_memory_equal(t1, t2, l1);
    free(t2);
    /* every truncation and every single flipped byte is refused (or, for a cut at a line end,
     * gives fewer entries) */
    for (size_t cut = 0; cut < l1; cut++) {
        int rc = gpos_parse(&back, t1, cut, err, sizeof(err));
        if (rc == 0) assert_true(cut > 0 && t1[cut - 1] == '\n' && back.n < idx.n + 1);
    }
    char *m = malloc(l1);
    for (size_t i = 0; i < l1; i += 3) {
        memcpy(m, t1, l1);
        m[i] ^= 0x01;
        if (gpos_parse(&back, m, l1, err, sizeof(err)) == 0) {
            /* only the header's decimal interval/CRC flag may still parse; never an entry line */
            assert_true(memchr(t1, '\n', l1) > (void *)(t1 + i));
        }
    }
    free(m);
    static const char *bad[] = {
        "",
        "# binlogd gtidpos v2 mariadb 00000000 1 65536\n",
        "# binlogd gtidpos v1 oracle 00000000 1 65536\n",
        "# binlogd gtidpos v1 mariadb 0000000 1 65536\n",
        "# binlogd gtidpos v1 mariadb 00000000 2 65536\n",
        "# binlogd gtidpos v1 mariadb 00000000 1 0\n",
        "# binlogd gtidpos v1 mariadb 00000000 1 65536",
        "# binlogd gtidpos v1 mariadb 00000000 1 65536\n1\t2\n",
        "# binlogd gtidpos v1 mariadb 00000000 1 65536\n\n",
        "# binlogd gtidpos v1 none 00000000 1 65536\n500\t4\t16\t31\t0\t1\t00000000\t\t\t00000000\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(gpos_parse(&back, bad[i], strlen(bad[i]), err, sizeof(err)), -1);
    /* well-formed lines (right line CRC) with impossible contents */
    static const char *lines[] = {
        "500\t600\t16\t31\t0\t1\t00000000\t0-1-5\t",   /* seg beyond off */
        "500\t4\t16\t10\t0\t1\t00000000\t0-1-5\t",     /* event shorter than a header */
        "20\t4\t16\t31\t0\t1\t00000000\t0-1-5\t",      /* event before the magic */
        "500\t4\t16\t31\t0\t1\t00000000\t0-1-x\t",     /* bad state */
        "500\t4\t16\t31\t0\t1\t00000000\t0-1-5,0-1-6\t",   /* a pair twice */
        "500\t4\t999\t31\t0\t1\t00000000\t0-1-5\t",    /* type beyond 255 */
        "500\t4\t16\t31\t0\t1\t0000000g\t0-1-5\t",     /* bad hex */
        "500\t4\t16\t31\t0\t1\t00000000\t0-1-5",       /* a field short */
        "500\t4\t16\t31\t0\t1\t00000000\t0-1-5\t\t",   /* a field too many */
        "-5\t4\t16\t31\t0\t1\t00000000\t0-1-5\t",
        "99999999999999999999999\t4\t16\t31\t0\t1\t00000000\t0-1-5\t",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        char text[512];
        int n = snprintf(text, sizeof(text), "# binlogd gtidpos v1 mariadb 00000000 1 65536\n%s", lines[i]);
        uint32_t c = ev_crc32_extend(0, (const uint8_t *)text + 46, strlen(lines[i]));
        snprintf(text + n, sizeof(text) - (size_t)n, "\t%08x\n", c);
        if (gpos_parse(&back, text, strlen(text), err, sizeof(err)) != -1) fail_msg("accepted: %s", lines[i]);
    }
    /* offsets must increase */
    {
        char text[512];
        int n = snprintf(text, sizeof(text), "# binlogd gtidpos v1 mariadb 00000000 1 65536\n");
        for (int k = 0; k < 2; k++) {
            char line[128];
            int ll = snprintf(line, sizeof(line), "500\t4\t16\t31\t0\t1\t00000000\t0-1-5\t");
            n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\t%08x\n", line,
                          ev_crc32_extend(0, (const uint8_t *)line, (size_t)ll));
        }
        assert_int_equal(gpos_parse(&back, text, strlen(text), err, sizeof(err)), -1);
        assert_non_null(strstr(err, "line 3"));
    }
    free(t1);
    gpos_file_free(&idx);
    gpos_file_free(&back);
    close(dfd);
    fixture_free(&fx);
}

/* ---- through the store: written while ingesting, loaded, damaged, rebuilt ---- */

static int warns;
static char all_warns[16384];
static void on_warn(void *arg, const char *msg)
{
    (void)arg;
    warns++;
    size_t l = strlen(all_warns);
    snprintf(all_warns + l, sizeof(all_warns) - l, "%s\n", msg);
}

static struct store *open_store(const char *dir)
{
    struct store_opts o = {.dir = dir, .sync = STORE_SYNC_TRX, .warn = on_warn};
    struct store *s = NULL;
    char err[512];
    warns = 0;
    all_warns[0] = 0;
    assert_int_equal(store_open(&o, &s, err, sizeof(err)), STORE_OK);
    return s;
}

static int take_first(void *arg, const struct gpos_entry *e) { return e->off <= *(uint64_t *)arg; }

static void test_store_cycle(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_build(&fx);   /* its events are ingested into a store in another directory */
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/binlogd-gpstore-XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv("BINLOGD_GTIDPOS_INTERVAL", "600", 1);
    struct store *s = open_store(dir);
    char err[512];
    uint32_t fde_len = (uint32_t)(fx.off[0] - 4);
    for (int file = 1; file <= 2; file++) {
        char name[32];
        snprintf(name, sizeof(name), "b.00000%d", file);
        assert_int_equal(store_file_begin(s, name, fx.buf + 4, fde_len, err, sizeof(err)), STORE_OK);
        for (int i = 0; i < fx.n; i++)
            assert_int_equal(store_append(s, fx.buf + fx.off[i], fx.elen[i], err, sizeof(err)), STORE_OK);
        assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    }
    /* readers see the writer's entries (the second file is being written) */
    struct gpos_entry e;
    int flavor;
    uint64_t lim = UINT64_MAX;
    assert_int_equal(store_gtidpos_find(s, "b.000002", 0, take_first, &lim, &flavor, &e), 1);
    assert_int_equal(flavor, GTID_TRACK_MARIA);
    assert_true(e.off > 4000);
    gpos_entry_free(&e);
    store_free(s);
    /* the finished file's sidecar was written and is used as it is */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    struct gpos_file f, scan;
    gpos_file_init(&f);
    gpos_file_init(&scan);
    assert_int_equal(gpos_load(&f, dfd, "b.000001", err, sizeof(err)), 0);
    assert_int_equal(gpos_scan_file(dfd, "b.000001", NULL, &scan, 600, NULL, NULL, err, sizeof(err)), 0);
    char *t1, *t2;
    size_t l1, l2;
    assert_int_equal(gpos_format(&f, &t1, &l1), 0);
    assert_int_equal(gpos_format(&scan, &t2, &l2), 0);
    assert_int_equal(l1, l2);   /* what the writer built is what a scan builds */
    assert_memory_equal(t1, t2, l1);
    free(t2);
    s = open_store(dir);
    assert_null(strstr(all_warns, "binlogd-gtidpos"));
    store_free(s);
    /* damaged sidecars: truncated, a flipped byte, missing: rebuilt at open, with a warning */
    for (int k = 0; k < 3; k++) {
        if (k == 2) {
            assert_int_equal(unlinkat(dfd, ".binlogd-gtidpos/b.000001", 0), 0);
        } else {
            int fd = openat(dfd, ".binlogd-gtidpos/b.000001", O_WRONLY | O_TRUNC);
            size_t n = k == 0 ? l1 / 2 : l1;
            if (k == 1) t1[l1 / 2] ^= 0x04;
            assert_int_equal(write(fd, t1, n), (ssize_t)n);
            if (k == 1) t1[l1 / 2] ^= 0x04;
            close(fd);
        }
        s = open_store(dir);
        if (!strstr(all_warns, "rebuilt the GTID positions of 1 file")) fail_msg("case %d: %s", k, all_warns);
        store_free(s);
        char *t3;
        size_t l3;
        assert_int_equal(gpos_load(&f, dfd, "b.000001", err, sizeof(err)), 0);
        assert_int_equal(gpos_format(&f, &t3, &l3), 0);
        assert_int_equal(l3, l1);
        assert_memory_equal(t3, t1, l1);
        free(t3);
    }
    /* a lying entry (right line CRC, wrong offset) passes the load; the reader's check refuses
     * it, the file's entries are rebuilt and the next lookup finds a good one */
    assert_int_equal(gpos_load(&f, dfd, "b.000001", err, sizeof(err)), 0);
    assert_true(f.n > 3);
    uint64_t good = f.v[1].off;
    f.v[1].off = f.v[1].off - 9;
    assert_int_equal(gpos_save(&f, dfd, "b.000001", err, sizeof(err)), 0);
    s = open_store(dir);
    lim = good;
    assert_int_equal(store_gtidpos_find(s, "b.000001", 0, take_first, &lim, &flavor, &e), 0);
    assert_non_null(strstr(all_warns, "does not match the binlog file"));
    assert_int_equal(store_gtidpos_find(s, "b.000001", 0, take_first, &lim, &flavor, &e), 1);
    assert_int_equal(e.off, good);
    gpos_entry_free(&e);
    /* purge: the sidecar goes */
    assert_int_equal(store_gtidpos_drop_file(s, "b.000001", err, sizeof(err)), 0);
    assert_int_equal(faccessat(dfd, ".binlogd-gtidpos/b.000001", F_OK, 0), -1);
    assert_int_equal(store_gtidpos_find(s, "b.000001", 0, take_first, &lim, &flavor, &e), 0);
    store_free(s);
    /* disabled: readers get nothing */
    setenv("BINLOGD_GTIDPOS", "off", 1);
    s = open_store(dir);
    assert_int_equal(store_gtidpos_find(s, "b.000002", 0, take_first, &lim, &flavor, &e), 0);
    store_free(s);
    unsetenv("BINLOGD_GTIDPOS");
    unsetenv("BINLOGD_GTIDPOS_INTERVAL");
    free(t1);
    gpos_file_free(&f);
    gpos_file_free(&scan);
    close(dfd);
    tmpdir_remove(dir);
    fixture_free(&fx);
}

/* cursor_open (a file/position start) walks headers from the index's last boundary at or
 * before the position, not from the file's start: every boundary opens and reads its own
 * event, a position inside an event is still refused, and bytes before the last entry are
 * never walked (a damaged early header does not stop a start after the entry; with the
 * index off the walk from the start hits it). */
static void test_cursor_open_indexed(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_build(&fx);
    char dir[64], err[512];
    snprintf(dir, sizeof(dir), "/tmp/binlogd-gpopen-XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv("BINLOGD_GTIDPOS_INTERVAL", "600", 1);
    struct store *s = open_store(dir);
    uint32_t fde_len = (uint32_t)(fx.off[0] - 4);
    assert_int_equal(store_file_begin(s, "c.000001", fx.buf + 4, fde_len, err, sizeof(err)), STORE_OK);
    for (int i = 0; i < fx.n; i++)
        assert_int_equal(store_append(s, fx.buf + fx.off[i], fx.elen[i], err, sizeof(err)), STORE_OK);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    /* a second file, so that the first is closed (recovery rescans only the last one) */
    assert_int_equal(store_file_begin(s, "c.000002", fx.buf + 4, fde_len, err, sizeof(err)), STORE_OK);
    assert_int_equal(store_append(s, fx.buf + fx.off[0], fx.elen[0], err, sizeof(err)), STORE_OK);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    struct cursor *c = cursor_new(s);
    assert_non_null(c);
    for (int i = 0; i < fx.n; i++) {
        assert_int_equal(cursor_open(c, "c.000001", fx.off[i], err, sizeof(err)), CURSOR_OPEN_OK);
        struct cursor_item it;
        assert_int_equal(cursor_next(c, &it, err, sizeof(err)), CURSOR_EVENT);
        assert_int_equal(it.offset, fx.off[i]);
        assert_int_equal(it.len, fx.elen[i]);
        assert_int_equal(cursor_open(c, "c.000001", fx.off[i] + 1, err, sizeof(err)), CURSOR_OPEN_POS_MIDEVENT);
    }
    cursor_free(c);
    store_free(s);
    /* damage the first event's size field on disk, after the store is closed */
    uint64_t lim = UINT64_MAX;
    struct gpos_entry e;
    int flavor;
    s = open_store(dir);
    assert_int_equal(store_gtidpos_find(s, "c.000001", 0, take_first, &lim, &flavor, &e), 1);
    uint64_t last = e.off;
    gpos_entry_free(&e);
    store_free(s);
    assert_true(last > fx.off[1]);
    int fd = open(dir, O_RDONLY | O_DIRECTORY), bf = openat(fd, "c.000001", O_WRONLY);
    uint8_t bad[4];
    wire_put_u32(bad, fx.elen[0] + 3);
    assert_int_equal(pwrite(bf, bad, 4, (off_t)fx.off[0] + 9), 4);
    close(bf);
    close(fd);
    s = open_store(dir);
    c = cursor_new(s);
    assert_int_equal(cursor_open(c, "c.000001", last, err, sizeof(err)), CURSOR_OPEN_OK);
    cursor_free(c);
    store_free(s);
    setenv("BINLOGD_GTIDPOS", "off", 1);
    s = open_store(dir);
    c = cursor_new(s);
    assert_int_not_equal(cursor_open(c, "c.000001", last, err, sizeof(err)), CURSOR_OPEN_OK);
    cursor_free(c);
    store_free(s);
    unsetenv("BINLOGD_GTIDPOS");
    unsetenv("BINLOGD_GTIDPOS_INTERVAL");
    tmpdir_remove(dir);
    fixture_free(&fx);
}

/* ---- MySQL flavour: PREVIOUS_GTIDS, GTIDs of two source UUIDs, DDL, a BINLOG-less
 * anonymous group in the middle ---- */

static const uint8_t UA[16] = {0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t UB[16] = {0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static void ygroup(struct evgen *g, struct fixture *fx, uint8_t *ev, const uint8_t *uuid, int64_t gno, int ddl, size_t pad)
{
    uint8_t body[25];
    body[0] = 1;
    if (uuid) memcpy(body + 1, uuid, 16);
    else memset(body + 1, 0, 16);
    wire_put_u64(body + 17, (uint64_t)gno);
    add(fx, ev, evgen_event(g, ev, CAP, uuid ? EV_MYSQL_GTID : EV_ANONYMOUS_GTID, 0, body, sizeof(body)));
    char sql[512];
    snprintf(sql, sizeof(sql), "%s /*%.*s*/", ddl ? "CREATE TABLE t (a INT)" : "INSERT INTO t VALUES (1)", (int)(pad % 200),
             "........................................................................................................"
             "................................................................................................");
    if (ddl) {
        add(fx, ev, evgen_query(g, ev, CAP, "w", sql));
        return;
    }
    add(fx, ev, evgen_query(g, ev, CAP, "w", "BEGIN"));
    add(fx, ev, evgen_query(g, ev, CAP, "w", sql));
    add(fx, ev, evgen_xid(g, ev, CAP, (uint64_t)gno));
}

static void fixture_build_mysql(struct fixture *fx, struct gtid_mysql_set *start)
{
    memset(fx, 0, sizeof(*fx));
    fx->buf = malloc(CAP);
    uint8_t *ev = malloc(CAP);
    struct evgen g;
    evgen_init(&g);
    memcpy(fx->buf, "\xfe" "bin", 4);
    fx->len = 4;
    put(fx, ev, evgen_fde(&g, ev, CAP));
    const char *why;
    gtid_mysql_set_clear(start);
    assert_int_equal(gtid_mysql_set_add_interval(start, UA, 1, 10), 0);
    uint8_t enc[256];
    size_t el = gtid_mysql_set_encode(start, enc, sizeof(enc));
    assert_true(el > 0 && el < sizeof(enc));
    add(fx, ev, evgen_event(&g, ev, CAP, EV_PREVIOUS_GTIDS, 0, enc, el));
    (void)why;
    int64_t a = 10, b = 0;
    for (int i = 0; i < 50; i++) {
        if (i == 23) ygroup(&g, fx, ev, NULL, 0, 0, 5);   /* anonymous: always sent */
        if (i % 3 == 2) ygroup(&g, fx, ev, UB, ++b, i % 7 == 0, (size_t)i * 13);
        else ygroup(&g, fx, ev, UA, ++a, i % 5 == 0, (size_t)i * 29);
    }
    free(ev);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/binlogd-gpos-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/b.000001", fx->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, fx->buf, fx->len), (ssize_t)fx->len);
    fx->fd = fd;
}

/* The replica's set at boundary k: PREVIOUS_GTIDS plus the GTIDs of the groups before it,
 * minus `drop` (a gno of UA it lacks, 0 for none). */
static void yset_at(const struct fixture *fx, int k, struct gtid_mysql_set *s, int64_t drop)
{
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, EV_CHECKSUM_CRC32);
    const char *why;
    for (int i = 0; i < k; i++) {
        const uint8_t *ev = fx->buf + fx->off[i];
        if (ev[EV_TYPE_OFFSET] != EV_MYSQL_GTID) continue;
        struct ev_mysql_gtid g;
        assert_int_equal(ev_mysql_gtid_parse(ev, fx->elen[i], &fmt, &g, &why), EV_OK);
        if (!(g.gno == drop && !memcmp(g.sid, UA, 16))) assert_int_equal(gtid_mysql_set_add(s, g.sid, g.gno), 0);
    }
}

static void test_mysql_every_boundary(void **state)
{
    (void)state;
    struct gtid_mysql_set *start = gtid_mysql_set_new(), *set = gtid_mysql_set_new(), *end = gtid_mysql_set_new();
    struct fixture fx;
    fixture_build_mysql(&fx, start);
    int dfd = dirfd_of(&fx);
    char err[512];
    char stxt[256], etxt[512];
    gtid_mysql_set_format(start, stxt, sizeof(stxt));
    assert_int_equal(gtid_mysql_set_parse(end, stxt, strlen(stxt), (const char **)&(const char *){0}), 0);
    yset_at(&fx, fx.n, end, 0);
    gtid_mysql_set_format(end, etxt, sizeof(etxt));
    struct gtid_start_file file = {"b.000001", 1, GTID_TRACK_MYSQL, stxt};
    struct out *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    for (uint32_t interval = 1; interval <= 1000; interval += 999) {
        struct gpos_file idx;
        gpos_file_init(&idx);
        assert_int_equal(gpos_scan_file(dfd, "b.000001", NULL, &idx, interval, NULL, NULL, err, sizeof(err)), 0);
        assert_int_equal(idx.flavor, GTID_TRACK_MYSQL);
        assert_true(idx.n > 0);
        int checked = 0, jumped = 0;
        for (int k = 1; k <= fx.n; k++) {
            if (!is_boundary(&fx, k)) continue;
            for (int64_t drop = 0; drop <= 25; drop += 7) {   /* 0: none; else the replica lacks UA:drop */
                gtid_mysql_set_clear(set);
                assert_int_equal(gtid_mysql_set_add_interval(set, UA, 1, 10), 0);
                yset_at(&fx, k, set, drop);
                uint8_t enc[512];
                size_t el = gtid_mysql_set_encode(set, enc, sizeof(enc));
                struct gtid_start g1, g2;
                struct myerr e1, e2;
                size_t at1, at2;
                gtid_start_init(&g1);
                gtid_start_init(&g2);
                int r1 = gtid_start_resolve_mysql(&g1, enc, el, etxt, &file, 1, &at1, &e1);
                int r2 = gtid_start_resolve_mysql(&g2, enc, el, etxt, &file, 1, &at2, &e2);
                assert_int_equal(r1, r2);
                if (r1 == 0) {
                    run(&fx, &g1, NULL, a);
                    run(&fx, &g2, &idx, b);
                    same(a, b, "mysql");
                    checked++;
                    jumped += b->jumped;
                }
                gtid_start_free(&g1);
                gtid_start_free(&g2);
            }
        }
        if (getenv("GPOS_VERBOSE")) fprintf(stderr, "mysql interval %u: %d starts compared, %d jumped\n", interval, checked, jumped);
        assert_true(checked > 100);
        assert_true(jumped > checked / 4);
        gpos_file_free(&idx);
    }
    free(a);
    free(b);
    gtid_mysql_set_free(start);
    gtid_mysql_set_free(set);
    gtid_mysql_set_free(end);
    close(dfd);
    fixture_free(&fx);
}

/* In a later file the dump's "seen" list is not empty when it jumps: merging the entry's list
 * into it must give what updating it GTID by GTID gives (pairs move to their domain's end). */
static void test_seen_merge(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 2000; round++) {
        struct gtid_blist seq, local;
        gtid_blist_init(&seq);
        gtid_blist_init(&local);
        struct gtid_start gs;
        gtid_start_init(&gs);
        int pre = rand() % 8, post = 1 + rand() % 12;
        for (int i = 0; i < pre + post; i++) {
            struct gtid_maria g = {(uint32_t)(rand() % 4), (uint32_t)(1 + rand() % 3), (uint64_t)(1 + rand() % 50)};
            assert_int_equal(gtid_blist_update(&seq, &g), 0);
            if (i < pre) assert_int_equal(gtid_blist_update(&gs.seen, &g), 0);
            else assert_int_equal(gtid_blist_update(&local, &g), 0);
        }
        char lt[1024], a[1024], b[1024];
        gtid_blist_format(&local, lt, sizeof(lt));
        assert_int_equal(gtid_start_jump(&gs, lt), 0);
        gtid_blist_format(&seq, a, sizeof(a));
        gtid_blist_format(&gs.seen, b, sizeof(b));
        assert_string_equal(a, b);
        gtid_blist_free(&seq);
        gtid_blist_free(&local);
        gtid_start_free(&gs);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_boundary_dense),
        cmocka_unit_test(test_every_boundary_sparse),
        cmocka_unit_test(test_state_at_entries),
        cmocka_unit_test(test_mysql_every_boundary),
        cmocka_unit_test(test_seen_merge),
        cmocka_unit_test(test_entry_check),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_store_cycle),
        cmocka_unit_test(test_cursor_open_indexed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
