/*
 * test_dump_restore.c - a dump over history restored on demand (server/replicas/dump.c with a
 * fake struct dump_restore): a start in a purged file waits (DUMP_RESTORING, nothing sent)
 * until the copy's path comes, then streams it with the same fake ROTATE + FDE as a local
 * file, hops to the next archived file (a copy already there: answered at once) and on into
 * the oldest local file, releasing each copy once it has moved on; a refused copy ends the
 * dump with ERR 1236 naming the file and the reason; a dump freed while waiting cancels its
 * request; a purged file the archive does not hold is refused as before. Also a start in the
 * file the newest file's ROTATE announced before it exists here (it waits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "protocol/gtid_track.h"
#include "protocol/wire.h"
#include "server/replicas/dump.h"
#include "storage/archive_state.h"
#include "storage/purge.h"
#include "storage/store.h"
#include "tests/unit/evgen.h"
#include "tests/unit/tmpdir.h"

/* The fake restore: records what the dump asks; answers at once (sync) or when told. */
struct fake {
    int sync;
    char arch[256];
    char asked[8][64];
    int n_asked, n_cancel;
    char put[8][64];
    int n_put;
    dump_restored_fn fn;
    void *fn_arg;
};

struct fx {
    char dir[64], arch[64];
    struct store *s;
    struct archive_state *st;
    struct event_base *base;
    struct bufferevent *pair[2];
    struct fake fk;
    struct dump_restore ri;
    struct dump_opts o;
    uint8_t seq;
    int resumed;
    char err[512];
};

static int fake_get(void *arg, const char *name, dump_restored_fn fn, void *fn_arg)
{
    struct fake *f = arg;
    snprintf(f->asked[f->n_asked++], sizeof(f->asked[0]), "%s", name);
    if (f->sync) {
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", f->arch, name);
        fn(fn_arg, name, p, NULL);
        return 0;
    }
    f->fn = fn;
    f->fn_arg = fn_arg;
    return 0;
}

static void fake_put(void *arg, const char *name)
{
    struct fake *f = arg;
    snprintf(f->put[f->n_put++], sizeof(f->put[0]), "%s", name);
}

static void fake_cancel(void *arg, dump_restored_fn fn, void *fn_arg)
{
    struct fake *f = arg;
    if (fn == f->fn && fn_arg == f->fn_arg) f->n_cancel++;
}

static void on_resume(void *arg) { ((struct fx *)arg)->resumed++; }

/* A closed file of n transactions with a ROTATE to next, written as the archive holds it. */
static size_t write_archived(const char *dir, const char *name, int n, const char *next)
{
    static uint8_t buf[16384];
    struct evgen g;
    evgen_init(&g);
    memcpy(buf, "\xfe\x62\x69\x6e", 4);
    size_t len = 4;
    len += evgen_fde(&g, buf + len, sizeof(buf) - len);
    for (int i = 0; i < n; i++) len += evgen_trx(&g, buf + len, sizeof(buf) - len, (uint64_t)i + 1, "INSERT INTO t VALUES (1)");
    len += evgen_rotate(&g, buf + len, sizeof(buf) - len, next, 4);
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    return len;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/binlogd-dumprs-XXXXXX");
    snprintf(f->arch, sizeof(f->arch), "/tmp/binlogd-dumpra-XXXXXX");
    if (!mkdtemp(f->dir) || !mkdtemp(f->arch)) return -1;
    /* the archive: m.000001 and m.000002, purged here; the store: m.000003 (active) */
    size_t s1 = write_archived(f->arch, "m.000001", 2, "m.000002");
    size_t s2 = write_archived(f->arch, "m.000002", 3, "m.000003");
    struct store_opts so = {.dir = f->dir, .sync = STORE_SYNC_TRX};
    if (store_open(&so, &f->s, f->err, sizeof(f->err)) != STORE_OK) return -1;
    uint8_t buf[4096];
    struct evgen g;
    evgen_init(&g);
    size_t l = evgen_fde(&g, buf, sizeof(buf));
    assert_int_equal(store_file_begin(f->s, "m.000003", buf, l, f->err, sizeof(f->err)), STORE_OK);
    l = evgen_trx(&g, buf, sizeof(buf), 9, "INSERT INTO t VALUES (3)");
    for (size_t off = 0; off < l;) {
        uint32_t n = wire_u32(buf + off + EV_SIZE_OFFSET);
        assert_int_equal(store_append(f->s, buf + off, n, f->err, sizeof(f->err)), STORE_OK);
        off += n;
    }
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
    f->st = archive_state_new(-1);
    assert_int_equal(archive_state_done(f->st, "m.000001", s1, 1, 0, NULL, NULL, f->err, sizeof(f->err)), 0);
    assert_int_equal(archive_state_done(f->st, "m.000002", s2, 2, 0, NULL, NULL, f->err, sizeof(f->err)), 0);
    archive_state_purged(f->st, "m.000001");
    archive_state_purged(f->st, "m.000002");
    snprintf(f->fk.arch, sizeof(f->fk.arch), "%s", f->arch);
    f->ri = (struct dump_restore){.arg = &f->fk, .archive = f->st, .get = fake_get, .put = fake_put,
                                  .cancel = fake_cancel};
    f->base = event_base_new();
    if (bufferevent_pair_new(f->base, 0, f->pair) == -1) return -1;
    bufferevent_enable(f->pair[1], EV_READ);
    f->o = (struct dump_opts){.server_id = 1, .replica_server_id = 2, .alg = EV_CHECKSUM_OFF,
                              .high_watermark = 1 << 20, .in_memory = 1, .restore = &f->ri,
                              .resume = on_resume, .resume_arg = f};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    bufferevent_free(f->pair[0]);
    bufferevent_free(f->pair[1]);
    event_base_free(f->base);
    store_free(f->s);
    archive_state_free(f->st);
    tmpdir_remove(f->dir);
    tmpdir_remove(f->arch);
    free(f);
    return 0;
}

/* What reached the replica's end: fake ROTATEs (names joined by ' '), events, an ERR;
 * heartbeats apart (the last one's name and position), and the order of what came:
 * R fake ROTATE, r a file's ROTATE, F FORMAT_DESCRIPTION, H heartbeat, e anything else. */
struct seen {
    char rotates[256];
    int events;
    int heartbeats;
    char hb_name[64];
    uint32_t hb_pos;
    char order[256];
    int err_code;
    char err_msg[512];
};

static void drain(struct fx *f, struct seen *sn)
{
    for (int i = 0; i < 5; i++) event_base_loop(f->base, EVLOOP_NONBLOCK);
    struct evbuffer *in = bufferevent_get_input(f->pair[1]);
    for (;;) {
        size_t have = evbuffer_get_length(in);
        if (have < 4) break;
        uint8_t h[4];
        evbuffer_copyout(in, h, 4);
        size_t len = wire_u24(h);
        if (have < 4 + len) break;
        uint8_t *p = malloc(len + 1);
        evbuffer_drain(in, 4);
        evbuffer_remove(in, p, len);
        if (p[0] == 0xff) {
            sn->err_code = wire_u16(p + 1);
            snprintf(sn->err_msg, sizeof(sn->err_msg), "%.*s", (int)(len > 9 ? len - 9 : 0), (const char *)p + 9);
        } else if (p[0] == 0x00 && len > 1 + EV_HEADER_LEN) {
            uint8_t type = p[1 + EV_TYPE_OFFSET];
            size_t o = strlen(sn->order);
            char c = type == EV_HEARTBEAT ? 'H' : type == EV_FORMAT_DESCRIPTION ? 'F'
                     : type == EV_ROTATE ? (wire_u32(p + 1 + EV_LOG_POS_OFFSET) ? 'r' : 'R') : 'e';
            if (o + 1 < sizeof(sn->order) && (c != 'e' || o == 0 || sn->order[o - 1] != 'e')) {
                sn->order[o] = c;   /* a run of other events is one 'e' */
                sn->order[o + 1] = '\0';
            }
            if (type == EV_HEARTBEAT) {   /* the names here are 8 bytes (or one NUL); a CRC32 may follow */
                sn->heartbeats++;
                sn->hb_pos = wire_u32(p + 1 + EV_LOG_POS_OFFSET);
                size_t nl = len - 1 - EV_HEADER_LEN;
                assert_true(nl == 8 || nl == 8 + EV_CRC_LEN || (nl == 1 && p[1 + EV_HEADER_LEN] == 0));
                snprintf(sn->hb_name, sizeof(sn->hb_name), "%.8s", (const char *)p + 1 + EV_HEADER_LEN);
                free(p);
                continue;
            }
            sn->events++;
            if (p[1 + EV_TYPE_OFFSET] == EV_ROTATE && wire_u32(p + 1 + EV_LOG_POS_OFFSET) == 0) {
                size_t nl = len - 1 - EV_HEADER_LEN - 8;
                if (nl > 8) nl = 8;   /* the names here are 8 bytes; a CRC32 may follow them */
                size_t at = strlen(sn->rotates);
                snprintf(sn->rotates + at, sizeof(sn->rotates) - at, "%s%.*s", at ? " " : "", (int)nl,
                         (const char *)p + 1 + EV_HEADER_LEN + 8);
            }
        }
        free(p);
    }
}

/* Pump as the session does: RESTORING goes through dump_restore_step. */
static enum dump_state run(struct dump *d)
{
    enum dump_state st = dump_pump(d);
    while (st == DUMP_RESTORING || st == DUMP_STREAMING) {
        if (st == DUMP_RESTORING) {
            st = dump_restore_step(d);
            if (st == DUMP_RESTORING) break;   /* waits for the answer */
        }
        st = dump_pump(d);
    }
    return st;
}

/* A dump started in purged file `file`, its fetch asked for (DUMP_RESTORING). */
static struct dump *start_restoring(struct fx *f, const char *file)
{
    enum cursor_open_error why;
    struct dump *d = dump_start(f->s, f->pair[0], &f->seq, &f->o, file, 4, NULL, &why, f->err, sizeof(f->err));
    assert_non_null(d);
    assert_int_equal(dump_restore_step(d), DUMP_RESTORING);
    return d;
}

static void test_start_in_purged_file(void **state)
{
    struct fx *f = *state;
    enum cursor_open_error why;
    struct dump *d = dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000001", 4, NULL, &why, f->err, sizeof(f->err));
    assert_non_null(d);
    assert_int_equal(why, CURSOR_OPEN_OK);
    assert_int_equal(dump_get_state(d), DUMP_RESTORING);
    struct dump_stats ds;
    dump_get_stats(d, &ds);
    assert_string_equal(ds.file, "m.000001");   /* where it stands, for PROCESSLIST and retention */
    assert_int_equal(dump_pump(d), DUMP_RESTORING);   /* a pump (maybe on a helper) does nothing */
    assert_int_equal(f->fk.n_asked, 0);
    assert_int_equal(dump_restore_step(d), DUMP_RESTORING);
    assert_int_equal(f->fk.n_asked, 1);
    assert_string_equal(f->fk.asked[0], "m.000001");
    assert_int_equal(dump_restore_step(d), DUMP_RESTORING);   /* no second request while it waits */
    assert_int_equal(f->fk.n_asked, 1);
    struct seen sn = {0};
    drain(f, &sn);
    assert_int_equal(sn.events, 0);   /* nothing before the copy is there */
    /* the copy arrives: the dump resumes, the rest is answered at once */
    char p[512];
    snprintf(p, sizeof(p), "%s/m.000001", f->arch);
    f->fk.sync = 1;
    f->fk.fn(f->fk.fn_arg, "m.000001", p, NULL);
    assert_int_equal(f->resumed, 1);
    assert_int_equal(dump_get_state(d), DUMP_STREAMING);
    assert_int_equal(run(d), DUMP_WAITING);
    assert_int_equal(f->fk.n_asked, 2);
    assert_string_equal(f->fk.asked[1], "m.000002");
    assert_int_equal(f->resumed, 1);   /* an answer inside the request does not resume */
    /* each copy is released once the dump has moved on */
    assert_int_equal(f->fk.n_put, 2);
    assert_string_equal(f->fk.put[0], "m.000001");
    assert_string_equal(f->fk.put[1], "m.000002");
    drain(f, &sn);
    assert_string_equal(sn.rotates, "m.000001 m.000002 m.000003");
    /* per file: fake ROTATE + FDE + transactions (3 events each) + its ROTATE; m.000003 has no ROTATE */
    assert_int_equal(sn.events, (2 + 2 * 3 + 1) + (2 + 3 * 3 + 1) + (2 + 1 * 3));
    assert_int_equal(sn.err_code, 0);
    dump_get_stats(d, &ds);
    assert_string_equal(ds.file, "m.000003");
    dump_free(d);
    assert_int_equal(f->fk.n_cancel, 0);
    assert_int_equal(f->fk.n_put, 2);
}

/* A replica waiting for restores gets heartbeats it accepts, never one after a ROTATE:
 * before anything was sent they name its own coordinates (its request); between two copies
 * the first copy's ROTATE is held back and they name the copy and that ROTATE's offset. The
 * events and their order are the same as without the waits. */
static void test_heartbeats_while_restoring(void **state)
{
    struct fx *f = *state;
    f->o.replica_file = "m.000001";
    f->o.replica_pos = 4;
    struct dump *d = start_restoring(f, "m.000001");
    f->o.replica_file = NULL;   /* dump_start copied it */
    dump_heartbeat(d);
    dump_heartbeat(d);
    struct seen sn = {0};
    drain(f, &sn);
    assert_string_equal(sn.order, "HH");   /* no fake ROTATE before the copy is there */
    assert_string_equal(sn.hb_name, "m.000001");
    assert_int_equal(sn.hb_pos, 4);
    /* the first copy arrives; the second is being fetched when its ROTATE is reached */
    char p[512];
    snprintf(p, sizeof(p), "%s/m.000001", f->arch);
    f->fk.fn(f->fk.fn_arg, "m.000001", p, NULL);
    assert_int_equal(run(d), DUMP_RESTORING);
    assert_int_equal(f->fk.n_asked, 2);
    assert_string_equal(f->fk.asked[1], "m.000002");
    dump_heartbeat(d);
    drain(f, &sn);
    assert_string_equal(sn.order, "HHRFeH");   /* its transactions, then no ROTATE yet */
    assert_string_equal(sn.hb_name, "m.000001");
    long s1 = 0;
    FILE *fp = fopen(p, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    s1 = ftell(fp);
    fclose(fp);
    struct evgen g;
    uint8_t rot[128];
    evgen_init(&g);
    size_t rl = evgen_rotate(&g, rot, sizeof(rot), "m.000002", 4);
    assert_int_equal(sn.hb_pos, (uint32_t)(s1 - (long)rl));   /* where the held ROTATE starts */
    struct dump_stats ds;
    dump_get_stats(d, &ds);
    assert_int_equal(ds.pos, sn.hb_pos);   /* = the end of the last event sent */
    /* the second copy arrives: the held ROTATE, then that file's start, and on to the local one */
    snprintf(p, sizeof(p), "%s/m.000002", f->arch);
    f->fk.fn(f->fk.fn_arg, "m.000002", p, NULL);
    assert_int_equal(run(d), DUMP_WAITING);
    dump_heartbeat(d);
    drain(f, &sn);
    assert_string_equal(sn.order, "HHRFeHrRFerRFeH");
    assert_string_equal(sn.rotates, "m.000001 m.000002 m.000003");
    assert_int_equal(sn.events, (2 + 2 * 3 + 1) + (2 + 3 * 3 + 1) + (2 + 1 * 3));
    assert_string_equal(sn.hb_name, "m.000003");
    assert_int_equal(sn.heartbeats, 4);
    dump_free(d);
}

/* A MariaDB replica whose master_log_name is empty (CHANGE MASTER TO MASTER_HOST/PORT, then
 * GTID): heartbeats name it as its one NUL byte (an empty name is refused by the replica). */
static void test_heartbeat_empty_name(void **state)
{
    struct fx *f = *state;
    f->o.replica_file = "";
    f->o.replica_pos = 4;
    struct dump *d = start_restoring(f, "m.000001");
    dump_heartbeat(d);
    struct seen sn = {0};
    drain(f, &sn);
    assert_string_equal(sn.order, "H");
    assert_string_equal(sn.hb_name, "");
    assert_int_equal(sn.hb_pos, 4);
    dump_free(d);
}

/* No coordinates from the replica (MySQL auto-position): nothing until the copy is there. */
static void test_no_heartbeat_without_coordinates(void **state)
{
    struct fx *f = *state;
    struct dump *d = start_restoring(f, "m.000001");
    dump_heartbeat(d);
    struct seen sn = {0};
    drain(f, &sn);
    assert_int_equal(sn.heartbeats + sn.events, 0);
    dump_free(d);
}

static void test_refused_copy(void **state)
{
    struct fx *f = *state;
    struct dump *d = start_restoring(f, "m.000002");
    f->fk.fn(f->fk.fn_arg, "m.000002", NULL, "m.000002:120: CRC32 mismatch");
    assert_int_equal(f->resumed, 1);
    assert_int_equal(dump_get_state(d), DUMP_FAILED);
    struct seen sn = {0};
    drain(f, &sn);
    assert_int_equal(sn.err_code, 1236);
    assert_non_null(strstr(sn.err_msg, "Binary log 'm.000002' was purged here and could not be restored from the "
                                       "archive: m.000002:120: CRC32 mismatch"));
    dump_free(d);
    assert_int_equal(f->fk.n_put, 0);
    assert_int_equal(f->fk.n_cancel, 0);
}

static void test_freed_while_waiting(void **state)
{
    struct fx *f = *state;
    struct dump *d = start_restoring(f, "m.000001");
    dump_free(d);
    assert_int_equal(f->fk.n_cancel, 1);
}

static void test_not_restorable(void **state)
{
    struct fx *f = *state;
    enum cursor_open_error why;
    /* not in the archive state: refused as a primary refuses a purged file */
    assert_null(dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000000", 4, NULL, &why, f->err, sizeof(f->err)));
    assert_int_equal(why, CURSOR_OPEN_NO_FILE);
    /* restore off: the same for an archived file */
    f->o.restore = NULL;
    assert_null(dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000001", 4, NULL, &why, f->err, sizeof(f->err)));
    assert_int_equal(why, CURSOR_OPEN_NO_FILE);
    /* a position inside the restored copy: the usual refusal, from the copy */
    f->o.restore = &f->ri;
    f->fk.sync = 1;
    struct dump *d = dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000001", 5, NULL, &why, f->err, sizeof(f->err));
    assert_non_null(d);
    assert_int_equal(dump_restore_step(d), DUMP_FAILED);
    struct seen sn = {0};
    drain(f, &sn);
    assert_int_equal(sn.err_code, 1236);
    assert_non_null(strstr(sn.err_msg, "impossible position"));
    assert_null(strstr(sn.err_msg, "could not be restored"));
    dump_free(d);
    assert_int_equal(f->fk.n_put, 1);   /* the copy it got is released */
}

/* GTID starts over purged history: the archive state's GTID lists count as files before the
 * oldest local one (only the newest run of them with known states). */
static void test_gtid_resolve(void **state)
{
    (void)state;
    char dir[] = "/tmp/binlogd-dumprg-XXXXXX", err[512];
    assert_non_null(mkdtemp(dir));
    struct store *s;
    struct store_opts so = {.dir = dir, .sync = STORE_SYNC_TRX};
    assert_int_equal(store_open(&so, &s, err, sizeof(err)), STORE_OK);
    uint8_t ev[4096], body[20];
    struct evgen g;
    evgen_init(&g);
    size_t l = evgen_fde(&g, ev, sizeof(ev));
    assert_int_equal(store_file_begin(s, "g.000003", ev, l, err, sizeof(err)), STORE_OK);
    wire_put_u32(body, 1);   /* GTID_LIST [0-1-5] */
    wire_put_u32(body + 4, 0);
    wire_put_u32(body + 8, 1);
    wire_put_u64(body + 12, 5);
    l = evgen_event(&g, ev, sizeof(ev), EV_GTID_LIST, 0, body, sizeof(body));
    assert_int_equal(store_append(s, ev, l, err, sizeof(err)), STORE_OK);
    l = evgen_gtid(&g, ev, sizeof(ev), 0, 6, EV_MGTID_TRANSACTIONAL);
    assert_int_equal(store_append(s, ev, l, err, sizeof(err)), STORE_OK);
    l = evgen_query(&g, ev, sizeof(ev), "d", "INSERT INTO t VALUES (1)");
    assert_int_equal(store_append(s, ev, l, err, sizeof(err)), STORE_OK);
    l = evgen_xid(&g, ev, sizeof(ev), 6);
    assert_int_equal(store_append(s, ev, l, err, sizeof(err)), STORE_OK);
    assert_int_equal(store_sync(s, err, sizeof(err)), STORE_OK);
    struct archive_state *st = archive_state_new(-1);
    assert_int_equal(archive_state_done(st, "g.000001", 100, 1, GTID_TRACK_MARIA, "", "0-1-2", err, sizeof(err)), 0);
    assert_int_equal(archive_state_done(st, "g.000002", 100, 2, GTID_TRACK_MARIA, "0-1-2", "0-1-5", err, sizeof(err)), 0);
    archive_state_purged(st, "g.000001");
    archive_state_purged(st, "g.000002");
    char file[64];
    struct myerr e;
    struct gtid_start *gs;
    struct { const char *req; const char *file; } ok[] = {
        {"0-1-3", "g.000002"}, {"0-1-1", "g.000001"}, {"0-1-2", "g.000002"}, {"0-1-5", "g.000003"}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        gs = dump_gtid_resolve(s, st, ok[i].req, 0, 0, file, sizeof(file), &e);
        assert_non_null(gs);
        assert_string_equal(file, ok[i].file);
        gtid_start_free(gs);
        free(gs);
    }
    /* without the archive: the primary's refusal */
    assert_null(dump_gtid_resolve(s, NULL, "0-1-3", 0, 0, file, sizeof(file), &e));
    assert_int_equal(e.code, 1236);
    assert_non_null(strstr(e.msg, "the slave state is too old"));
    /* an archived file whose states are unknown ends the run: older states are too old */
    assert_int_equal(archive_state_done(st, "g.000001", 100, 1, GTID_TRACK_NONE, NULL, NULL, err, sizeof(err)), 0);
    archive_state_purged(st, "g.000001");
    assert_int_equal(archive_state_is_purged(st, "g.000001"), 1);
    assert_null(dump_gtid_resolve(s, st, "0-1-1", 0, 0, file, sizeof(file), &e));
    assert_non_null(strstr(e.msg, "the slave state is too old"));
    gs = dump_gtid_resolve(s, st, "0-1-3", 0, 0, file, sizeof(file), &e);
    assert_non_null(gs);
    assert_string_equal(file, "g.000002");
    gtid_start_free(gs);
    free(gs);
    archive_state_free(st);
    store_free(s);
    tmpdir_remove(dir);
}

/* Append the events in buf (whole events, back to back) to the store and commit them. */
static void append_all(struct fx *f, const uint8_t *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        uint32_t n = wire_u32(buf + off + EV_SIZE_OFFSET);
        assert_int_equal(store_append(f->s, buf + off, n, f->err, sizeof(f->err)), STORE_OK);
        off += n;
    }
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
}

/* A replica that received the newest file's ROTATE and reconnected before the next file
 * arrived asks for that file at 4: it waits (not ERR 1236, which stops a MariaDB replica for
 * good), its heartbeats name its own coordinates, and when the file begins it gets the same
 * fake ROTATE + FDE + events as a dump started in it. Also after a restart (recovery finds
 * the ROTATE); anything but exactly the announced (file, pos) is refused as before. */
static void test_start_in_announced_file(void **state)
{
    struct fx *f = *state;
    struct evgen g;
    uint8_t buf[4096];
    evgen_init(&g);
    g.pos = store_write_offset(f->s);
    append_all(f, buf, evgen_rotate(&g, buf, sizeof(buf), "m.000004", 4));
    /* recovery knows it too */
    store_free(f->s);
    struct store_opts so = {.dir = f->dir, .sync = STORE_SYNC_TRX};
    assert_int_equal(store_open(&so, &f->s, f->err, sizeof(f->err)), STORE_OK);
    char next[64];
    uint64_t npos = 0;
    struct store_file_info last;
    assert_int_equal(store_announced_next(f->s, next, sizeof(next), &npos, &last), 0);
    assert_string_equal(next, "m.000004");
    assert_int_equal(npos, 4);
    assert_string_equal(last.name, "m.000003");

    enum cursor_open_error why;
    assert_null(dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000004", 5, NULL, &why, f->err, sizeof(f->err)));
    assert_int_equal(why, CURSOR_OPEN_NO_FILE);
    assert_null(dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000005", 4, NULL, &why, f->err, sizeof(f->err)));
    assert_int_equal(why, CURSOR_OPEN_NO_FILE);
    struct dump *d = dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000004", 4, NULL, &why, f->err, sizeof(f->err));
    assert_non_null(d);
    assert_int_equal(why, CURSOR_OPEN_OK);
    assert_int_equal(dump_get_state(d), DUMP_WAITING);
    struct dump_stats ds;
    dump_get_stats(d, &ds);
    assert_string_equal(ds.file, "m.000003");   /* for retention: the end of the newest file */
    assert_int_equal(ds.pos, last.size);
    assert_int_equal(dump_pump(d), DUMP_WAITING);
    dump_heartbeat(d);
    struct seen sn = {0};
    drain(f, &sn);
    assert_string_equal(sn.order, "H");   /* nothing of m.000003, not even its ROTATE again */
    assert_string_equal(sn.hb_name, "m.000004");
    assert_int_equal(sn.hb_pos, 4);

    /* the next file begins: the dump starts it as a dump started in it would */
    evgen_init(&g);
    size_t l = evgen_fde(&g, buf, sizeof(buf));
    assert_int_equal(store_file_begin(f->s, "m.000004", buf, l, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(store_announced_next(f->s, next, sizeof(next), &npos, &last), -1);
    append_all(f, buf, evgen_trx(&g, buf, sizeof(buf), 10, "INSERT INTO t VALUES (4)"));
    assert_int_equal(run(d), DUMP_WAITING);
    dump_heartbeat(d);
    drain(f, &sn);
    assert_string_equal(sn.order, "HRFeH");
    assert_string_equal(sn.rotates, "m.000004");
    assert_int_equal(sn.events, 2 + 3);
    assert_int_equal(sn.err_code, 0);
    dump_get_stats(d, &ds);
    assert_string_equal(ds.file, "m.000004");
    assert_string_equal(sn.hb_name, "m.000004");
    assert_int_equal(sn.hb_pos, ds.pos);
    dump_free(d);
}

/* Retention purges the file a dump is in, and the next one (storage.max_disk_bytes overrides
 * readers), both archived: the dump sends the rest of its file, then the next one restored from
 * the archive, then goes on in the oldest local file: no ERR 1236, nothing skipped. */
static void test_purged_under_dump(void **state)
{
    struct fx *f = *state;
    enum cursor_open_error why;
    struct dump *d = dump_start(f->s, f->pair[0], &f->seq, &f->o, "m.000003", 4, NULL, &why, f->err, sizeof(f->err));
    assert_non_null(d);
    assert_int_equal(run(d), DUMP_WAITING);
    struct seen sn = {0};
    drain(f, &sn);
    assert_string_equal(sn.order, "RFe");
    /* m.000003 closes, m.000004 and m.000005 follow; 3 and 4 are archived and purged */
    struct evgen g;
    uint8_t buf[4096];
    evgen_init(&g);
    g.pos = store_write_offset(f->s);
    append_all(f, buf, evgen_rotate(&g, buf, sizeof(buf), "m.000004", 4));
    evgen_init(&g);
    size_t l = evgen_fde(&g, buf, sizeof(buf));
    assert_int_equal(store_file_begin(f->s, "m.000004", buf, l, f->err, sizeof(f->err)), STORE_OK);
    append_all(f, buf, evgen_trx(&g, buf, sizeof(buf), 10, "INSERT INTO t VALUES (4)"));
    append_all(f, buf, evgen_rotate(&g, buf, sizeof(buf), "m.000005", 4));
    evgen_init(&g);
    l = evgen_fde(&g, buf, sizeof(buf));
    assert_int_equal(store_file_begin(f->s, "m.000005", buf, l, f->err, sizeof(f->err)), STORE_OK);
    append_all(f, buf, evgen_trx(&g, buf, sizeof(buf), 11, "INSERT INTO t VALUES (5)"));
    struct store_file_info i3, i4;
    assert_int_equal(store_file_lookup(f->s, "m.000003", &i3), 0);
    assert_int_equal(store_file_lookup(f->s, "m.000004", &i4), 0);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "cp %s/m.000004 %s/m.000004", f->dir, f->arch);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(archive_state_done(f->st, "m.000003", i3.size, 3, 0, NULL, NULL, f->err, sizeof(f->err)), 0);
    assert_int_equal(archive_state_done(f->st, "m.000004", i4.size, 4, 0, NULL, NULL, f->err, sizeof(f->err)), 0);
    struct store_purge_result res;
    assert_int_equal(store_purge(f->s, "m.000004", NULL, &res, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(res.files, 2);
    archive_state_purged(f->st, "m.000003");
    archive_state_purged(f->st, "m.000004");
    f->fk.sync = 1;
    assert_int_equal(run(d), DUMP_WAITING);
    drain(f, &sn);
    assert_int_equal(sn.err_code, 0);
    assert_int_equal(f->fk.n_asked, 1);
    assert_string_equal(f->fk.asked[0], "m.000004");
    /* m.000003's ROTATE; m.000004's copy (fake ROTATE, FDE, its transaction, its ROTATE); m.000005 */
    assert_string_equal(sn.order, "RFerRFerRFe");
    assert_string_equal(sn.rotates, "m.000003 m.000004 m.000005");
    assert_int_equal(sn.events, (2 + 3) + 1 + (2 + 3 + 1) + (2 + 3));
    dump_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_in_purged_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeats_while_restoring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_empty_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_heartbeat_without_coordinates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freed_while_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_restorable, setup, teardown),
        cmocka_unit_test(test_gtid_resolve),
        cmocka_unit_test_setup_teardown(test_start_in_announced_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purged_under_dump, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
