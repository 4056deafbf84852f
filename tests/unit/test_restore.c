/*
 * test_restore.c - the restore fetcher (server/ops/restore.c) on a real event loop with a real
 * shell command: a copy fetched with restore_command, checked and handed to every reader;
 * a second request served from the spool; the spool bound (least recently used copies nobody
 * reads are removed, a copy being read never); copies refused for a flipped byte, other GTID
 * states or a failing command, with the file and the reason. Several commands at once
 * (storage.restore_jobs): with one job the second request waits for the first; with two they
 * run together, the oldest request first, and a hung command (killed at its timeout) holds
 * only its own job. The check of a big copy (several hundred MB) runs off the loop: a timer on
 * the same base keeps firing meanwhile (the longest gap is measured against the time the
 * same check takes on this thread, what the loop stalled for when it ran there), its result
 * arrives and answers the waiter; a check in flight at restore_free is abandoned (free does
 * not wait for it, the waiter is not called) and its worker ends alone.
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
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "protocol/gtid_track.h"
#include "server/ops/restore.h"
#include "storage/archive_state.h"
#include "storage/gtid_index.h"
#include "storage/restore_check.h"
#include "tests/unit/evgen.h"
#include "tests/unit/tmpdir.h"

struct answer {
    int done;
    char path[4096];
    char why[4096];
};

static void on_done(void *arg, const char *name, const char *path, const char *why)
{
    struct answer *a = arg;
    (void)name;
    a->done++;
    snprintf(a->path, sizeof(a->path), "%s", path ? path : "");
    snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
}

static size_t write_binlog(const char *dir, const char *name)
{
    static uint8_t buf[8192];
    struct evgen g;
    evgen_init(&g);
    memcpy(buf, "\xfe\x62\x69\x6e", 4);
    size_t n = 4;
    n += evgen_fde(&g, buf + n, sizeof(buf) - n);
    for (uint64_t seq = 1; seq <= 3; seq++) n += evgen_trx(&g, buf + n, sizeof(buf) - n, seq, "INSERT INTO t VALUES (1)");
    n += evgen_rotate(&g, buf + n, sizeof(buf) - n, "m.000009", 4);
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    return n;
}

/* Record name as archived and purged, with the states a scan of dir/name gives (or `end`). */
static void record(struct archive_state *st, const char *dir, const char *name, size_t size, const char *end)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct gtid_track t;
    gtid_track_init(&t);
    uint64_t upto;
    char err[256];
    assert_int_equal(gix_scan_file(dfd, name, &t, &upto, err, sizeof(err)), 0);
    char *s = gtid_track_start_text(&t), *e = gtid_track_end_text(&t);
    assert_int_equal(archive_state_done(st, name, size, 1700000000, (int)t.flavor, s, end ? end : e, err, sizeof(err)), 0);
    archive_state_purged(st, name);
    free(s);
    free(e);
    gtid_track_free(&t);
    close(dfd);
}

static void wait_answer(struct event_base *base, struct answer *a)
{
    for (int i = 0; i < 600 && !a->done; i++) event_base_loop(base, EVLOOP_ONCE);   /* 100 ms ticks: 60 s at most */
    assert_int_equal(a->done, 1);
}

static int same_bytes(const char *a, const char *b)
{
    char cmd[9000];
    snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void test_restore(void **state)
{
    (void)state;
    char data[] = "/tmp/binlogd-restore-d-XXXXXX", arch[] = "/tmp/binlogd-restore-a-XXXXXX";
    assert_non_null(mkdtemp(data));
    assert_non_null(mkdtemp(arch));
    size_t size = write_binlog(arch, "m.000001");
    assert_int_equal(write_binlog(arch, "m.000002"), size);
    assert_int_equal(write_binlog(arch, "m.000003"), size);
    assert_int_equal(write_binlog(arch, "m.000005"), size);
    struct archive_state *st = archive_state_new(-1);
    record(st, arch, "m.000001", size, NULL);
    record(st, arch, "m.000002", size, NULL);
    record(st, arch, "m.000003", size, NULL);
    record(st, arch, "m.000005", size, "0-1-99");   /* archived with other GTID states */
    char err[256];
    assert_int_equal(archive_state_done(st, "m.000004", size, 1, 0, NULL, NULL, err, sizeof(err)), 0);  /* not in the archive */
    /* a flipped byte in the archive's copy of m.000003 */
    char p[512];
    snprintf(p, sizeof(p), "%s/m.000003", arch);
    FILE *f = fopen(p, "r+b");
    fseek(f, (long)size - 50, SEEK_SET);
    int c = fgetc(f);
    fseek(f, (long)size - 50, SEEK_SET);
    fputc(c ^ 0x04, f);
    fclose(f);

    struct event_base *base = event_base_new();
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cp %s/%%f %%p", arch);
    struct restore_opts o = {.data_dir = data, .command = cmd, .timeout_s = 30, .spool_bytes = size + size / 2};
    struct restore *r = restore_new(base, st, &o, err, sizeof(err));
    assert_non_null(r);

    /* not archived, or no command: refused at once */
    struct answer a = {0}, b = {0};
    assert_int_equal(restore_get(r, "m.000077", on_done, &a), -1);
    /* two readers ask for m.000001: one fetch, both answered with the checked copy */
    assert_int_equal(restore_get(r, "m.000001", on_done, &a), 0);
    assert_int_equal(restore_get(r, "m.000001", on_done, &b), 0);
    wait_answer(base, &a);
    assert_int_equal(b.done, 1);
    assert_string_equal(a.why, "");
    snprintf(p, sizeof(p), "%s/m.000001", arch);
    assert_true(same_bytes(a.path, p));
    assert_non_null(strstr(a.path, "/" RESTORE_SPOOL_DIR "/m.000001"));
    assert_int_equal(restore_spool_used(r), size);
    /* a third reader: served from the spool at once */
    struct answer c3 = {0};
    assert_int_equal(restore_get(r, "m.000001", on_done, &c3), 0);
    assert_int_equal(c3.done, 1);
    assert_string_equal(c3.path, a.path);
    restore_put(r, "m.000001");
    restore_put(r, "m.000001");
    restore_put(r, "m.000001");
    /* m.000002 arrives: over the bound, the unread m.000001 goes */
    struct answer d = {0};
    assert_int_equal(restore_get(r, "m.000002", on_done, &d), 0);
    wait_answer(base, &d);
    assert_string_equal(d.why, "");
    assert_int_equal(restore_spool_used(r), size);
    assert_int_equal(access(a.path, F_OK), -1);
    /* m.000002 is being read: fetching m.000001 again keeps it (the spool goes over) */
    struct answer e = {0};
    assert_int_equal(restore_get(r, "m.000001", on_done, &e), 0);
    wait_answer(base, &e);
    assert_int_equal(restore_spool_used(r), 2 * size);
    assert_int_equal(access(d.path, F_OK), 0);
    restore_put(r, "m.000002");   /* now it may go: the least recently used unread copy */
    assert_int_equal(restore_spool_used(r), size);
    assert_int_equal(access(d.path, F_OK), -1);
    assert_int_equal(access(e.path, F_OK), 0);
    restore_put(r, "m.000001");

    /* refused copies: a flipped byte, other GTID states, a failing command */
    struct answer g = {0}, h = {0}, k = {0};
    assert_int_equal(restore_get(r, "m.000003", on_done, &g), 0);
    wait_answer(base, &g);
    assert_string_equal(g.path, "");
    assert_non_null(strstr(g.why, "m.000003"));
    assert_int_equal(restore_get(r, "m.000005", on_done, &h), 0);
    wait_answer(base, &h);
    assert_non_null(strstr(h.why, "m.000005: GTID states differ"));
    assert_int_equal(restore_get(r, "m.000004", on_done, &k), 0);
    wait_answer(base, &k);
    assert_non_null(strstr(k.why, "m.000004: restore_command failed: exit status 1: cp:"));
    /* nothing of them is left in the spool */
    char sp[600];
    snprintf(sp, sizeof(sp), "%s/%s/.m.000003.part", data, RESTORE_SPOOL_DIR);
    assert_int_equal(access(sp, F_OK), -1);
    snprintf(sp, sizeof(sp), "%s/%s/m.000003", data, RESTORE_SPOOL_DIR);
    assert_int_equal(access(sp, F_OK), -1);
    /* a reader that goes away before the answer is not called */
    struct answer m = {0};
    assert_int_equal(restore_get(r, "m.000002", on_done, &m), 0);
    restore_cancel(r, on_done, &m);
    for (int i = 0; i < 30; i++) event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(20000);
    assert_int_equal(m.done, 0);

    restore_free(r);
    event_base_free(base);
    archive_state_free(st);
    tmpdir_remove(data);
    tmpdir_remove(arch);
}

struct order {
    int n;
    char names[4][32];
};
struct ordered {
    struct answer a;
    struct order *o;
};
static void on_done_ordered(void *arg, const char *name, const char *path, const char *why)
{
    struct ordered *x = arg;
    on_done(&x->a, name, path, why);
    snprintf(x->o->names[x->o->n++ & 3], sizeof(x->o->names[0]), "%s", name);
}

static int exists(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* Run the loop until dir/name exists (10 s at most); whether it does. */
static int loop_until(struct event_base *base, const char *dir, const char *name)
{
    for (int i = 0; i < 1000 && !exists(dir, name); i++) {
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        usleep(10000);
    }
    return exists(dir, name);
}

static void touch(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
}

static void test_restore_jobs(void **state)
{
    (void)state;
    char data[] = "/tmp/binlogd-restore-d-XXXXXX", arch[] = "/tmp/binlogd-restore-a-XXXXXX",
         mark[] = "/tmp/binlogd-restore-m-XXXXXX";
    assert_non_null(mkdtemp(data));
    assert_non_null(mkdtemp(arch));
    assert_non_null(mkdtemp(mark));
    size_t size = write_binlog(arch, "m.000001");
    write_binlog(arch, "m.000002");
    write_binlog(arch, "m.000003");
    struct archive_state *st = archive_state_new(-1);
    record(st, arch, "m.000001", size, NULL);
    record(st, arch, "m.000002", size, NULL);
    record(st, arch, "m.000003", size, NULL);
    /* Each command says it started (MARK/NAME.started), waits for MARK/go, then copies;
     * m.000003's hangs until its timeout kills it. */
    char cmd[1024], err[256];
    snprintf(cmd, sizeof(cmd),
             "touch %s/%%f.started; while [ ! -e %s/go ]; do sleep 0.01; done; "
             "case %%f in m.000003) exec sleep 60;; esac; cp %s/%%f %%p",
             mark, mark, arch);
    struct event_base *base = event_base_new();

    /* one job: the second request waits for the first */
    struct restore_opts o = {.data_dir = data, .command = cmd, .timeout_s = 30, .spool_bytes = 10 * size, .jobs = 1};
    struct restore *r = restore_new(base, st, &o, err, sizeof(err));
    assert_non_null(r);
    struct order ord = {0};
    struct ordered a = {.o = &ord}, b = {.o = &ord};
    assert_int_equal(restore_get(r, "m.000002", on_done_ordered, &a), 0);
    assert_int_equal(restore_get(r, "m.000001", on_done_ordered, &b), 0);
    assert_true(loop_until(base, mark, "m.000002.started"));
    for (int i = 0; i < 30; i++) event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(10000);
    assert_false(exists(mark, "m.000001.started"));
    assert_int_equal(restore_running(r), 1);
    assert_int_equal(restore_queued(r), 1);
    /* a queued fetch whose only reader left is dropped before it starts */
    struct ordered c3 = {.o = &ord};
    assert_int_equal(restore_get(r, "m.000003", on_done_ordered, &c3), 0);
    assert_int_equal(restore_queued(r), 2);
    restore_cancel(r, on_done_ordered, &c3);
    assert_int_equal(restore_queued(r), 1);
    touch(mark, "go");
    wait_answer(base, &b.a);
    assert_int_equal(a.a.done, 1);
    assert_string_equal(ord.names[0], "m.000002");   /* the oldest request first */
    assert_string_equal(ord.names[1], "m.000001");
    assert_string_equal(b.a.why, "");
    assert_int_equal(restore_queued(r), 0);
    assert_int_equal(restore_running(r), 0);
    assert_false(exists(mark, "m.000003.started"));
    assert_int_equal(c3.a.done, 0);
    restore_put(r, "m.000002");
    restore_put(r, "m.000001");
    restore_free(r);
    char p[600];
    snprintf(p, sizeof(p), "%s/go", mark);
    unlink(p);
    snprintf(p, sizeof(p), "%s/m.000001.started", mark);
    unlink(p);
    snprintf(p, sizeof(p), "%s/m.000002.started", mark);
    unlink(p);

    /* two jobs: m.000003 (hangs) and m.000001 run together, m.000002 waits for a job and
     * gets m.000001's when it ends, while m.000003 still runs; then its timeout kills it */
    o.jobs = 2;
    o.timeout_s = 2;
    r = restore_new(base, st, &o, err, sizeof(err));
    assert_non_null(r);
    struct order ord2 = {0};
    struct ordered x = {.o = &ord2}, y = {.o = &ord2}, z = {.o = &ord2};
    assert_int_equal(restore_get(r, "m.000003", on_done_ordered, &x), 0);
    assert_int_equal(restore_get(r, "m.000001", on_done_ordered, &y), 0);
    assert_int_equal(restore_get(r, "m.000002", on_done_ordered, &z), 0);
    assert_true(loop_until(base, mark, "m.000003.started"));
    assert_true(loop_until(base, mark, "m.000001.started"));   /* both before either may end */
    assert_int_equal(restore_running(r), 2);
    assert_int_equal(restore_queued(r), 1);
    assert_false(exists(mark, "m.000002.started"));
    touch(mark, "go");
    wait_answer(base, &z.a);
    assert_int_equal(y.a.done, 1);
    assert_int_equal(x.a.done, 0);   /* still hung */
    assert_string_equal(y.a.why, "");
    assert_string_equal(z.a.why, "");
    assert_int_equal(restore_running(r), 1);
    assert_int_equal(restore_spool_used(r), 2 * size);
    wait_answer(base, &x.a);
    assert_non_null(strstr(x.a.why, "m.000003: restore_command failed: timed out after 2s"));
    assert_int_equal(restore_running(r), 0);
    assert_int_equal(restore_queued(r), 0);
    assert_false(exists(data, RESTORE_SPOOL_DIR "/.m.000003.part"));

    restore_free(r);
    event_base_free(base);
    archive_state_free(st);
    tmpdir_remove(data);
    tmpdir_remove(arch);
    tmpdir_remove(mark);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* A closed binlog of about `mb` MiB: FDE, 64 KiB transactions, ROTATE. Its size. */
static uint64_t write_big_binlog(const char *dir, const char *name, unsigned mb)
{
    enum { SQL = 64 * 1024 };
    static char sql[SQL + 1];
    static uint8_t buf[SQL + 4096];
    memcpy(sql, "INSERT INTO t VALUES ('", 23);
    memset(sql + 23, 'x', SQL - 25);
    memcpy(sql + SQL - 2, "')", 3);
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    struct evgen g;
    evgen_init(&g);
    memcpy(buf, "\xfe\x62\x69\x6e", 4);
    size_t n = 4 + evgen_fde(&g, buf + 4, sizeof(buf) - 4);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    for (uint64_t seq = 1; seq <= (uint64_t)mb * 16; seq++) {
        n = evgen_trx(&g, buf, sizeof(buf), seq, sql);
        assert_true(n > SQL);
        assert_int_equal(fwrite(buf, 1, n, f), n);
    }
    n = evgen_rotate(&g, buf, sizeof(buf), "m.000009", 4);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return g.pos;
}

/* Threads of this process now (the check workers are the only ones this test starts; a
 * sanitizer may run one of its own). */
static int threads(void)
{
    DIR *d = opendir("/proc/self/task");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

/* A 5 ms timer on the loop's base: how long the loop went without running it. */
struct pulse {
    struct restore *r;
    double last, max_gap, max_gap_checking;
    unsigned fired, fired_checking;
    int saw_checking;
};
static void on_pulse(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct pulse *p = arg;
    double t = now_ms(), gap = t - p->last;
    p->last = t;
    if (gap > p->max_gap) p->max_gap = gap;
    p->fired++;
    if (p->r && restore_checking(p->r)) {
        p->saw_checking = 1;
        p->fired_checking++;
        if (gap > p->max_gap_checking) p->max_gap_checking = gap;
    }
}

static void test_restore_check_off_loop(void **state)
{
    (void)state;
    char data[] = "/tmp/binlogd-restore-d-XXXXXX", arch[] = "/tmp/binlogd-restore-a-XXXXXX";
    assert_non_null(mkdtemp(data));
    assert_non_null(mkdtemp(arch));
    const unsigned mb = 320;
    int idle_threads = threads();   /* this one (and a sanitizer's own) */
    uint64_t size = write_big_binlog(arch, "m.000001", mb);
    struct archive_state *st = archive_state_new(-1);
    record(st, arch, "m.000001", size, NULL);

    /* What the loop stalled for when it checked the copy itself: the same check, here. */
    int flavor;
    char *gs, *ge, why[1024];
    assert_int_equal(archive_state_gtid(st, "m.000001", &flavor, &gs, &ge), 0);
    int afd = open(arch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    double t0 = now_ms();
    assert_int_equal(restore_check_file(afd, "m.000001", "m.000001", size, flavor, gs, ge, why, sizeof(why)), 0);
    double on_thread = now_ms() - t0;
    close(afd);
    free(gs);
    free(ge);

    struct event_base *base = event_base_new();
    char cmd[256], err[256];
    snprintf(cmd, sizeof(cmd), "cp %s/%%f %%p", arch);
    struct restore_opts o = {.data_dir = data, .command = cmd, .timeout_s = 60, .spool_bytes = 2 * size};
    struct restore *r = restore_new(base, st, &o, err, sizeof(err));
    assert_non_null(r);
    struct pulse p = {.r = r, .last = now_ms()};
    struct event *pulse = event_new(base, -1, EV_PERSIST, on_pulse, &p);
    struct timeval tv = {0, 5000};
    event_add(pulse, &tv);

    struct answer a = {0};
    assert_int_equal(restore_get(r, "m.000001", on_done, &a), 0);
    p.last = now_ms();
    for (int i = 0; i < 100000 && !a.done; i++) event_base_loop(base, EVLOOP_ONCE);
    /* up to the answer: a check on the loop thread would end in the callback that answers */
    double tail = now_ms() - p.last;
    if (tail > p.max_gap) p.max_gap = tail;
    if (tail > p.max_gap_checking) p.max_gap_checking = tail;
    assert_int_equal(a.done, 1);
    assert_string_equal(a.why, "");
    struct stat sb;
    assert_int_equal(stat(a.path, &sb), 0);
    assert_int_equal((uint64_t)sb.st_size, size);
    /* the result was applied: counted, in the spool, the job free again */
    struct restore_stats rs;
    restore_get_stats(r, &rs);
    assert_int_equal(rs.restored_files, 1);
    assert_int_equal(rs.restored_bytes, size);
    assert_int_equal(restore_spool_used(r), size);
    assert_int_equal(restore_running(r), 0);
    assert_int_equal(restore_checking(r), 0);
    print_message("check of a %u MiB copy: %.0f ms on the calling thread; run by restore: the loop's timer fired "
                  "%u times during it, longest gap %.1f ms up to the answer (%.1f ms over the whole restore)\n",
                  mb, on_thread, p.fired_checking, p.max_gap_checking, p.max_gap);
    /* The loop ran all along: its timer kept firing while the copy was checked, with no gap
     * near the length of the check (from the command's end to the answer: the gaps while the
     * command runs are the machine's, not the check's). */
    assert_true(p.saw_checking);
    assert_true(p.fired_checking >= 3);
    assert_true(p.max_gap_checking < on_thread / 2);
    restore_put(r, "m.000001");
    restore_free(r);

    /* A check in flight at restore_free: abandoned, not waited for; nobody is answered; the
     * worker ends alone (the base it would have woken is gone by then). */
    r = restore_new(base, st, &o, err, sizeof(err));
    assert_non_null(r);
    p = (struct pulse){.r = r, .last = now_ms()};
    struct answer b = {0};
    assert_int_equal(restore_get(r, "m.000001", on_done, &b), 0);
    for (int i = 0; i < 100000 && !restore_checking(r) && !b.done; i++) event_base_loop(base, EVLOOP_ONCE);
    assert_int_equal(restore_checking(r), 1);
    int during = threads();
    t0 = now_ms();
    restore_free(r);
    double freeing = now_ms() - t0;
    event_free(pulse);
    event_base_free(base);
    print_message("restore_free with a check in flight (%d threads): %.1f ms\n", during, freeing);
    assert_true(freeing < on_thread / 2);
    assert_int_equal(b.done, 0);
    assert_false(exists(data, RESTORE_SPOOL_DIR "/.m.000001.part"));
    /* wait (bounded) for the abandoned worker to end: under ASan a touch of what was freed shows */
    for (int i = 0; i < 60000 && threads() > idle_threads; i++) usleep(1000);
    assert_int_equal(threads(), idle_threads);

    archive_state_free(st);
    tmpdir_remove(data);
    tmpdir_remove(arch);
}

int main(void)
{
    /* The check workers wake the loop with event_active from their threads (as in main.c). */
    if (evthread_use_pthreads() == -1) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_restore_jobs),
        cmocka_unit_test(test_restore_check_off_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
