/* test_purge.c - the purge planner (pure: ages, sizes, readers, min_files, keep verdicts ->
 * what goes and why), the store's crash-safe purge (a child killed after each step, then
 * recovery), a file's last-event time, foreign tails kept in a side file, and PURGE's date. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "protocol/event.h"
#include "server/admin/purge_stmt.h"
#include "server/admin/sql.h"
#include "storage/fsio.h"
#include "storage/purge.h"
#include "storage/purge_plan.h"
#include "storage/store.h"
#include "storage/verify.h"
#include "tests/unit/evgen.h"
#include "tests/unit/tmpdir.h"

/* ---- planner ---- */

#define NOW 1000000

struct pfx {
    struct purge_file f[16];
    struct purge_input in;
    struct purge_plan p;
};

/* n files of 100 bytes, file i's last event at NOW - (n - i) * 100 (oldest first). */
static void files(struct pfx *x, size_t n)
{
    memset(x, 0, sizeof(*x));
    for (size_t i = 0; i < n; i++) {
        snprintf(x->f[i].name, sizeof(x->f[i].name), "b.%06zu", i + 1);
        x->f[i].size = x->f[i].disk = 100;
        x->f[i].last_time = NOW - (int64_t)(n - i) * 100;
    }
    x->in.files = x->f;
    x->in.n = n;
    x->in.reader_first = n;
    x->in.now = NOW;
    x->in.min_files = 1;
}

static void plan(struct pfx *x) { purge_plan_make(&x->in, &x->p); }

static void test_plan_age(void **state)
{
    (void)state;
    struct pfx x;
    files(&x, 6);   /* ages 600 500 400 300 200 100 */
    x.in.expire_s = 350;
    plan(&x);
    assert_int_equal(x.p.count, 3);   /* 600, 500, 400 */
    assert_int_equal(x.p.cause, PURGE_CAUSE_AGE);
    assert_int_equal(x.p.bytes, 300);
    assert_int_equal(x.p.stop, PURGE_CAUSE_NONE);
    /* everything old: the active file stays */
    x.in.expire_s = 1;
    plan(&x);
    assert_int_equal(x.p.count, 5);
    assert_int_equal(x.p.stop, PURGE_STOP_ACTIVE);
    /* off */
    x.in.expire_s = 0;
    plan(&x);
    assert_int_equal(x.p.count, 0);
    assert_int_equal(x.p.cause, PURGE_CAUSE_NONE);
    /* an unknown time stops the age rule there */
    x.in.expire_s = 1;
    x.f[2].last_time = 0;
    plan(&x);
    assert_int_equal(x.p.count, 2);
    /* a file from the future (clock skew) is young */
    x.f[2].last_time = NOW + 50;
    plan(&x);
    assert_int_equal(x.p.count, 2);
}

static void test_plan_min_files(void **state)
{
    (void)state;
    struct pfx x;
    files(&x, 6);
    x.in.expire_s = 1;
    x.in.min_files = 4;
    plan(&x);
    assert_int_equal(x.p.count, 2);
    assert_int_equal(x.p.stop, PURGE_STOP_MIN_FILES);
    x.in.min_files = 0;   /* counts as 1: the active file */
    plan(&x);
    assert_int_equal(x.p.count, 5);
    x.in.min_files = 100;
    plan(&x);
    assert_int_equal(x.p.count, 0);
    /* a single file is the active one */
    files(&x, 1);
    x.in.expire_s = 1;
    plan(&x);
    assert_int_equal(x.p.count, 0);
    assert_int_equal(x.p.stop, PURGE_STOP_ACTIVE);
    files(&x, 0);
    plan(&x);
    assert_int_equal(x.p.count, 0);
}

static void test_plan_readers(void **state)
{
    (void)state;
    struct pfx x;
    files(&x, 6);
    x.in.expire_s = 1;
    x.in.reader_first = 2;   /* a replica reads b.000003: it and later files stay */
    plan(&x);
    assert_int_equal(x.p.count, 2);
    assert_int_equal(x.p.stop, PURGE_STOP_READER);
    assert_int_equal(x.p.overridden, 0);
    /* the size rule overrides readers, and says how many of their files it took */
    x.in.expire_s = 0;
    x.in.max_disk = 250;   /* 600 bytes: 4 files must go */
    plan(&x);
    assert_int_equal(x.p.count, 4);
    assert_int_equal(x.p.cause, PURGE_CAUSE_SIZE);
    assert_int_equal(x.p.overridden, 2);
    /* the free-space rule does not */
    x.in.max_disk = 0;
    x.in.want_free = 350;
    plan(&x);
    assert_int_equal(x.p.count, 2);
    assert_int_equal(x.p.cause, PURGE_CAUSE_FREE);
    assert_int_equal(x.p.stop, PURGE_STOP_READER);
    /* a reader on the first file: nothing by age */
    x.in.want_free = 0;
    x.in.expire_s = 1;
    x.in.reader_first = 0;
    plan(&x);
    assert_int_equal(x.p.count, 0);
    assert_int_equal(x.p.stop, PURGE_STOP_READER);
}

static void test_plan_size_and_keep(void **state)
{
    (void)state;
    struct pfx x;
    files(&x, 6);
    x.in.max_disk = 600;   /* exactly at the limit: nothing */
    plan(&x);
    assert_int_equal(x.p.count, 0);
    x.in.max_disk = 599;
    plan(&x);
    assert_int_equal(x.p.count, 1);
    x.in.max_disk = 1;   /* only the active file may stay */
    plan(&x);
    assert_int_equal(x.p.count, 5);
    assert_int_equal(x.p.stop, PURGE_STOP_ACTIVE);
    /* not archived yet: never purged, nor anything after it, whatever the rule */
    x.f[3].keep = 1;
    snprintf(x.f[3].keep_why, sizeof(x.f[3].keep_why), "it is not archived yet");
    plan(&x);
    assert_int_equal(x.p.count, 3);
    assert_int_equal(x.p.stop, PURGE_STOP_KEEP);
    x.f[0].keep = 1;
    x.in.max_disk = 0;
    x.in.expire_s = 1;
    plan(&x);
    assert_int_equal(x.p.count, 0);
    assert_int_equal(x.p.stop, PURGE_STOP_KEEP);
    /* a keep verdict on the active file changes nothing */
    files(&x, 3);
    x.f[2].keep = 1;
    x.in.expire_s = 1;
    plan(&x);
    assert_int_equal(x.p.count, 2);
    /* the strongest cause is named */
    files(&x, 6);
    x.in.expire_s = 450;   /* 2 files */
    x.in.max_disk = 350;   /* 3 files */
    plan(&x);
    assert_int_equal(x.p.count, 3);
    assert_int_equal(x.p.cause, PURGE_CAUSE_SIZE);
    /* sizes over 4 GiB add up in 64 bits */
    files(&x, 3);
    x.f[0].size = x.f[1].size = x.f[0].disk = x.f[1].disk = 5ULL << 30;
    x.in.max_disk = 6ULL << 30;
    plan(&x);
    assert_int_equal(x.p.count, 1);
    assert_int_equal(x.p.bytes, 5ULL << 30);
    assert_int_equal(x.p.disk_bytes, 5ULL << 30);
}

/* Compressed files count at their size on disk for storage.max_disk_bytes and for the space a
 * free-space purge reclaims, not at their original size. */
static void test_plan_size_on_disk(void **state)
{
    (void)state;
    struct pfx x;
    files(&x, 6);
    for (int i = 0; i < 3; i++) x.f[i].disk = 10;   /* the three oldest compressed 10:1 */
    x.in.max_disk = 350;   /* 600 original bytes, but 330 on disk: nothing to purge */
    plan(&x);
    assert_int_equal(x.p.count, 0);
    assert_int_equal(x.p.stop, PURGE_CAUSE_NONE);
    x.in.max_disk = 330;   /* exactly at the limit */
    plan(&x);
    assert_int_equal(x.p.count, 0);
    x.in.max_disk = 300;   /* 30 over: the three compressed files (10 each) must all go */
    plan(&x);
    assert_int_equal(x.p.count, 3);
    assert_int_equal(x.p.cause, PURGE_CAUSE_SIZE);
    assert_int_equal(x.p.bytes, 300);       /* original bytes purged */
    assert_int_equal(x.p.disk_bytes, 30);   /* bytes given back on disk */
    x.in.max_disk = 229;   /* 101 over: the compressed three and one plain file */
    plan(&x);
    assert_int_equal(x.p.count, 4);
    assert_int_equal(x.p.disk_bytes, 130);
    /* the free-space rule counts what a purge gives back on disk */
    x.in.max_disk = 0;
    x.in.want_free = 25;
    plan(&x);
    assert_int_equal(x.p.count, 3);
    assert_int_equal(x.p.cause, PURGE_CAUSE_FREE);
    x.in.want_free = 20;
    plan(&x);
    assert_int_equal(x.p.count, 2);
    /* a compressed file is still kept when it is not archived, whatever its size */
    x.in.want_free = 0;
    x.in.max_disk = 1;
    x.f[1].keep = 1;
    plan(&x);
    assert_int_equal(x.p.count, 1);
    assert_int_equal(x.p.stop, PURGE_STOP_KEEP);
    /* large compressed files add up in 64 bits */
    files(&x, 3);
    x.f[0].size = x.f[1].size = 9ULL << 30;
    x.f[0].disk = x.f[1].disk = 3ULL << 30;
    x.in.max_disk = 6ULL << 30;   /* 6 GiB + 100 on disk */
    plan(&x);
    assert_int_equal(x.p.count, 1);
    assert_int_equal(x.p.bytes, 9ULL << 30);
    assert_int_equal(x.p.disk_bytes, 3ULL << 30);
}

static void test_plan_statement(void **state)
{
    (void)state;
    struct pfx x;
    files(&x, 6);
    x.in.mode = PURGE_TO;
    x.in.to_index = 3;   /* TO 'b.000004': b.000001..3 go */
    plan(&x);
    assert_int_equal(x.p.count, 3);
    assert_int_equal(x.p.cause, PURGE_CAUSE_STATEMENT);
    assert_int_equal(x.p.stop, PURGE_CAUSE_NONE);
    x.in.to_index = 0;   /* TO the first file: nothing, no note */
    plan(&x);
    assert_int_equal(x.p.count, 0);
    assert_int_equal(x.p.stop, PURGE_CAUSE_NONE);
    x.in.to_index = 5;   /* TO the active file: everything before it */
    plan(&x);
    assert_int_equal(x.p.count, 5);
    /* min_files does not apply to the statement (mysqld has none) */
    x.in.min_files = 6;
    plan(&x);
    assert_int_equal(x.p.count, 5);
    /* a reader keeps its file, with a note */
    x.in.reader_first = 1;
    plan(&x);
    assert_int_equal(x.p.count, 1);
    assert_int_equal(x.p.stop, PURGE_STOP_READER);
    /* a kept file */
    x.in.reader_first = 6;
    x.f[2].keep = 1;
    plan(&x);
    assert_int_equal(x.p.count, 2);
    assert_int_equal(x.p.stop, PURGE_STOP_KEEP);
    /* BEFORE: files whose last event is older than the date */
    files(&x, 6);
    x.in.mode = PURGE_BEFORE;
    x.in.before = NOW - 350;   /* 600, 500, 400 are older */
    plan(&x);
    assert_int_equal(x.p.count, 3);
    assert_int_equal(x.p.stop, PURGE_CAUSE_NONE);
    x.in.before = NOW + 1000;   /* all older, the active one included: it is kept with a note */
    plan(&x);
    assert_int_equal(x.p.count, 5);
    assert_int_equal(x.p.stop, PURGE_STOP_ACTIVE);
    x.in.before = 0;
    plan(&x);
    assert_int_equal(x.p.count, 0);
    assert_string_equal(purge_cause_name(PURGE_STOP_KEEP), "kept");
}

/* ---- the store's purge ---- */

#define EVCAP 65536

struct sfx {
    char path[64];
    struct store *s;
    struct evgen g;
    uint8_t ev[EVCAP];
    char err[1024];
    char warns[8192];
    int purged;
};

static void on_warn(void *arg, const char *msg)
{
    struct sfx *f = arg;
    size_t l = strlen(f->warns);
    snprintf(f->warns + l, sizeof(f->warns) - l, "%s\n", msg);
}

static void sopen(struct sfx *f)
{
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX, .warn = on_warn, .warn_arg = f};
    f->warns[0] = 0;
    enum store_result r = store_open(&o, &f->s, f->err, sizeof(f->err));
    if (r != STORE_OK) fail_msg("store_open: %s", f->err);
}

static void app(struct sfx *f, size_t n)
{
    if (store_append(f->s, f->ev, n, f->err, sizeof(f->err)) != STORE_OK) fail_msg("append: %s", f->err);
}

/* Files b.000001..n, each with two transactions and a ROTATE (the last one open). */
static void fill(struct sfx *f, int n)
{
    for (int i = 1; i <= n; i++) {
        char name[32], next[32];
        snprintf(name, sizeof(name), "b.%06d", i);
        snprintf(next, sizeof(next), "b.%06d", i + 1);
        evgen_init(&f->g);
        f->g.timestamp = (uint32_t)(1700000000 + i * 10);
        size_t n1 = evgen_fde(&f->g, f->ev, EVCAP);
        if (store_file_begin(f->s, name, f->ev, n1, f->err, sizeof(f->err)) != STORE_OK) fail_msg("%s", f->err);
        for (uint64_t seq = (uint64_t)i * 2; seq < (uint64_t)i * 2 + 2; seq++) {
            app(f, evgen_gtid(&f->g, f->ev, EVCAP, 0, seq, EV_MGTID_TRANSACTIONAL));
            app(f, evgen_query(&f->g, f->ev, EVCAP, "test", "INSERT INTO t VALUES (1)"));
            app(f, evgen_xid(&f->g, f->ev, EVCAP, seq));
        }
        if (i < n) app(f, evgen_rotate(&f->g, f->ev, EVCAP, next, 4));
        if (store_sync(f->s, f->err, sizeof(f->err)) != STORE_OK) fail_msg("%s", f->err);
    }
}

static int sfx_setup(void **state)
{
    struct sfx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-purge-XXXXXX");
    if (!mkdtemp(f->path)) return -1;
    fsio_clear_faults();
    sopen(f);
    *state = f;
    return 0;
}

static int sfx_teardown(void **state)
{
    struct sfx *f = *state;
    fsio_clear_faults();
    store_free(f->s);
    tmpdir_remove(f->path);
    free(f);
    return 0;
}

static int exists(struct sfx *f, const char *name)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", f->path, name);
    return stat(p, &st) == 0;
}

static void on_done(void *arg, const char *name, uint64_t size)
{
    (void)name;
    assert_true(size > 0);
    ((struct sfx *)arg)->purged++;
}

static void test_store_purge(void **state)
{
    struct sfx *f = *state;
    fill(f, 5);
    struct store_purge_hooks h = {.done = on_done, .arg = f};
    struct store_purge_result res;
    /* refusals: unknown, the active file */
    assert_int_equal(store_purge(f->s, "b.000009", &h, &res, f->err, sizeof(f->err)), STORE_REFUSED);
    assert_int_equal(store_purge(f->s, "b.000005", &h, &res, f->err, sizeof(f->err)), STORE_REFUSED);
    assert_non_null(strstr(f->err, "never purged"));
    assert_int_equal(store_purge(f->s, "b.000002", &h, &res, f->err, sizeof(f->err)), STORE_OK);
    assert_int_equal(res.files, 2);
    assert_int_equal(f->purged, 2);
    assert_false(exists(f, "b.000001"));
    assert_false(exists(f, "b.000002"));
    assert_true(exists(f, "b.000003"));
    assert_false(exists(f, PURGE_INTENT_NAME));
    struct store_file_info fi[8];
    assert_int_equal(store_files(f->s, fi, 8), 3);
    assert_string_equal(fi[0].name, "b.000003");
    /* the GTID view follows */
    struct store_gtid_file *g;
    size_t ng;
    assert_int_equal(store_gtid_files(f->s, &g, &ng), 0);
    assert_int_equal(ng, 3);
    assert_string_equal(g[0].name, "b.000003");
    store_gtid_files_free(g, ng);
    /* the writer goes on, and a reopen sees the same */
    store_free(f->s);
    sopen(f);
    assert_int_equal(store_files(f->s, fi, 8), 3);
    assert_null(strstr(f->warns, "dropping"));
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(verify_data_dir(f->path, out), 0);
    fclose(out);
    /* a failed index write purges nothing */
    fsio_set_fault(FSIO_OP_RENAME, 2, EIO);   /* 1: the intent, 2: the index */
    assert_int_equal(store_purge(f->s, "b.000003", &h, &res, f->err, sizeof(f->err)), STORE_REFUSED);
    fsio_clear_faults();
    assert_true(exists(f, "b.000003"));
    assert_int_equal(store_files(f->s, fi, 8), 3);
    assert_false(exists(f, PURGE_INTENT_NAME));
}

/* A child purges b.000001..3 and dies right after `step` (file `nth` for unlinks). */
static int crash_step, crash_nth;
static void crash_hook(void *arg, enum purge_step st, size_t i)
{
    (void)arg;
    if ((int)st == crash_step && (st != PURGE_STEP_UNLINK || (int)i == crash_nth)) _exit(0);
}

static void crash_at(struct sfx *f, enum purge_step st, int nth, int purged)
{
    fill(f, 5);
    store_free(f->s);
    f->s = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        struct sfx c = *f;
        struct store_opts o = {.dir = c.path, .sync = STORE_SYNC_TRX};
        char err[512];
        struct store_purge_result res;
        if (store_open(&o, &c.s, err, sizeof(err)) != STORE_OK) _exit(2);
        crash_step = (int)st;
        crash_nth = nth;
        struct store_purge_hooks h = {.step = crash_hook};
        store_purge(c.s, "b.000003", &h, &res, err, sizeof(err));
        _exit(3);   /* the hook did not fire */
    }
    int wst = 0;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst));
    assert_int_equal(WEXITSTATUS(wst), 0);
    sopen(f);
    struct store_file_info fi[8];
    size_t n = store_files(f->s, fi, 8);
    assert_int_equal(n, purged ? 2 : 5);
    assert_string_equal(fi[0].name, purged ? "b.000004" : "b.000001");
    for (int i = 1; i <= 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "b.%06d", i);
        assert_int_equal(exists(f, name), !purged);
    }
    assert_false(exists(f, PURGE_INTENT_NAME));
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(verify_data_dir(f->path, out), 0);
    fclose(out);
    if (purged && st != PURGE_STEP_DONE && !(st == PURGE_STEP_UNLINK && nth == 2))
        assert_non_null(strstr(f->warns, "interrupted purge"));
}

static void test_crash_after_intent(void **state) { crash_at(*state, PURGE_STEP_INTENT, 0, 0); }
static void test_crash_after_index(void **state) { crash_at(*state, PURGE_STEP_INDEX, 0, 1); }
static void test_crash_after_gtid_index(void **state) { crash_at(*state, PURGE_STEP_GTID_INDEX, 0, 1); }
static void test_crash_between_unlinks(void **state) { crash_at(*state, PURGE_STEP_UNLINK, 0, 1); }
static void test_crash_after_unlinks(void **state) { crash_at(*state, PURGE_STEP_UNLINK, 2, 1); }

/* A foreign file (not in an intent) before the first listed is reported, never deleted; an
 * intent naming a file whose size changed leaves it. */
static void test_foreign_leftover_kept(void **state)
{
    struct sfx *f = *state;
    fill(f, 3);
    struct store_purge_result res;
    assert_int_equal(store_purge(f->s, "b.000001", NULL, &res, f->err, sizeof(f->err)), STORE_OK);
    store_free(f->s);
    f->s = NULL;
    /* an operator puts a binlog-looking file back, and an intent that names another size */
    char p[256];
    snprintf(p, sizeof(p), "%s/b.000001", f->path);
    FILE *w = fopen(p, "w");
    fputs("\xfe" "bin", w);
    fputs("not really", w);
    fclose(w);
    snprintf(p, sizeof(p), "%s/%s", f->path, PURGE_INTENT_NAME);
    w = fopen(p, "w");
    fputs("# binlogd purge intent v1\nb.000001\t999\n", w);
    fclose(w);
    sopen(f);
    assert_true(exists(f, "b.000001"));
    assert_non_null(strstr(f->warns, "left in place"));
    assert_non_null(strstr(f->warns, "not in"));
    assert_false(exists(f, PURGE_INTENT_NAME));
}

static long long index_size(struct sfx *f)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/b.index", f->path);
    return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* A damaged or hostile intent: lines that do not parse, names outside the directory, files
 * still listed: nothing is removed but leftovers it names correctly, and the intent goes. */
static void test_malformed_intent(void **state)
{
    struct sfx *f = *state;
    fill(f, 3);
    store_free(f->s);
    f->s = NULL;
    char p[256];
    snprintf(p, sizeof(p), "%s/../victim-%d", f->path, (int)getpid());
    FILE *w = fopen(p, "w");
    fputs("keep me", w);
    fclose(w);
    snprintf(p, sizeof(p), "%s/%s", f->path, PURGE_INTENT_NAME);
    w = fopen(p, "w");
    fprintf(w, "# binlogd purge intent v1\nno tab here\n\t5\n../victim-%d\t7\nb.000001\tnot-a-number\n"
               "b.000002\t99999999999999999999999\n.binlogd.lock\t0\nb.index\t%lld\nb.000001\t%d\n\xff\xfe\t1",
            (int)getpid(), index_size(f), 1);
    fclose(w);
    sopen(f);
    assert_true(exists(f, "b.000001"));   /* still in the index: not purged */
    assert_true(exists(f, "b.000002"));
    assert_true(exists(f, FSIO_LOCK_NAME));
    assert_true(exists(f, "b.index"));
    snprintf(p, sizeof(p), "%s/../victim-%d", f->path, (int)getpid());
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    unlink(p);
    assert_false(exists(f, PURGE_INTENT_NAME));
    struct store_file_info fi[4];
    assert_int_equal(store_files(f->s, fi, 4), 3);
}

/* ---- a file's last event time ---- */

static void test_last_time(void **state)
{
    struct sfx *f = *state;
    fill(f, 3);
    int64_t t = 0;
    struct store_file_info fi[4];
    store_files(f->s, fi, 4);
    /* b.000001 ends with its ROTATE, stamped 1700000010 by the generator */
    assert_int_equal(purge_file_last_time(store_dir_fd(f->s), "b.000001", fi[0].size, &t), 0);
    assert_int_equal(t, 1700000010);
    /* the open file ends with an XID (found at the tail too) */
    assert_int_equal(purge_file_last_time(store_dir_fd(f->s), "b.000003", fi[2].size, &t), 0);
    assert_int_equal(t, 1700000030);
    /* a size that is not an event's end: the header walk finds the last whole event */
    assert_int_equal(purge_file_last_time(store_dir_fd(f->s), "b.000001", fi[0].size - 3, &t), 0);
    assert_int_equal(t, 1700000010);
    assert_int_equal(purge_file_last_time(store_dir_fd(f->s), "nope", 100, &t), -1);
    assert_int_equal(purge_file_last_time(store_dir_fd(f->s), "b.000001", 10, &t), -1);
}

/* ---- foreign bytes ---- */

static void test_foreign_tail_side_file(void **state)
{
    struct sfx *f = *state;
    fill(f, 1);
    store_free(f->s);
    f->s = NULL;
    /* an operator's file: copied in, ending with GTID + BEGIN of an unfinished group */
    char src[256], dst[256];
    snprintf(src, sizeof(src), "%s/b.000001", f->path);
    snprintf(dst, sizeof(dst), "%s/b.000002", f->path);
    uint8_t buf[8192];
    FILE *r = fopen(src, "rb");
    size_t n = fread(buf, 1, sizeof(buf), r);
    fclose(r);
    struct evgen g;
    evgen_init(&g);
    g.pos = n;
    size_t good = n;
    n += evgen_gtid(&g, buf + n, sizeof(buf) - n, 0, 9, EV_MGTID_TRANSACTIONAL);
    n += evgen_query(&g, buf + n, sizeof(buf) - n, "test", "BEGIN");
    /* b.000001 ended without ROTATE: make b.000002 the next file by name */
    FILE *w = fopen(dst, "wb");
    fwrite(buf, 1, n, w);
    fclose(w);
    snprintf(src, sizeof(src), "%s/b.index", f->path);
    w = fopen(src, "w");
    fputs("./b.000001\n./b.000002\n", w);
    fclose(w);
    sopen(f);
    char side[256];
    snprintf(side, sizeof(side), "%s/b.000002.tail-%zu", f->path, good);
    struct stat st;
    assert_int_equal(stat(side, &st), 0);
    assert_int_equal((size_t)st.st_size, n - good);
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal((size_t)st.st_size, good);
    assert_non_null(strstr(f->warns, "did not write"));
    /* file + side file == the original, byte for byte */
    uint8_t back[8192];
    r = fopen(dst, "rb");
    size_t a = fread(back, 1, sizeof(back), r);
    fclose(r);
    r = fopen(side, "rb");
    a += fread(back + a, 1, sizeof(back) - a, r);
    fclose(r);
    assert_int_equal(a, n);
    assert_memory_equal(back, buf, n);
    /* binlogd owns it now: its own torn tail is cut without a side file */
    store_free(f->s);
    f->s = NULL;
    w = fopen(dst, "ab");
    fwrite(buf + good, 1, 10, w);
    fclose(w);
    sopen(f);
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal((size_t)st.st_size, good);
    assert_null(strstr(f->warns, "did not write"));
    char out[8192];
    FILE *m = fmemopen(out, sizeof(out), "w");
    assert_int_equal(verify_data_dir(f->path, m), 0);
    fclose(m);
    assert_non_null(strstr(out, "b.000002.tail-"));
}

/* ---- PURGE ... BEFORE 'date' ---- */

static void test_parse_datetime(void **state)
{
    (void)state;
    int64_t t;
    setenv("TZ", "UTC", 1);
    tzset();
    assert_int_equal(purge_stmt_parse_datetime("2024-01-02 03:04:05", 19, &t), 0);
    assert_int_equal(t, 1704164645);
    assert_int_equal(purge_stmt_parse_datetime("2024-01-02", 10, &t), 0);
    assert_int_equal(t, 1704153600);
    assert_int_equal(purge_stmt_parse_datetime("2024-01-02T03:04:05.123", 23, &t), 0);
    assert_int_equal(t, 1704164645);
    assert_int_equal(purge_stmt_parse_datetime("2024-02-31", 10, &t), -1);
    assert_int_equal(purge_stmt_parse_datetime("2024-01-02 25:00:00", 19, &t), -1);
    assert_int_equal(purge_stmt_parse_datetime("yesterday", 9, &t), -1);
    assert_int_equal(purge_stmt_parse_datetime("", 0, &t), -1);
    assert_int_equal(purge_stmt_parse_datetime("2024-01-02 03:04:05x", 20, &t), -1);
    assert_int_equal(purge_stmt_parse_datetime("1960-01-01", 10, &t), -1);
}

/* ---- the statement: roles, hook, notes ---- */

static int hook_calls;
static enum stmt_purge_kind hook_kind;
static char hook_to[64];
static int64_t hook_before;

static void purge_hook(void *arg, enum stmt_purge_kind kind, const char *to, int64_t before, struct stmt_result *r)
{
    (void)arg;
    hook_calls++;
    hook_kind = kind;
    snprintf(hook_to, sizeof(hook_to), "%s", to ? to : "");
    hook_before = before;
    stmt_warnf(r, "Note", 1375, "Binary log '%s' is not purged because it is the current active binlog", "b.000002");
    stmt_ok(r, 0);
}

static void run(const struct stmt_ctx *c, const char *sql, struct stmt_result *r)
{
    sql_execute(c, sql, strlen(sql), r);
}

static void test_statement(void **state)
{
    (void)state;
    struct config cfg;
    config_defaults(&cfg);
    struct stmt_ctx c = {.cfg = &cfg, .user = "repl", .peer_host = "127.0.0.1"};
    struct stmt_result r;
    run(&c, "PURGE BINARY LOGS TO 'b.000002'", &r);
    assert_int_equal(r.kind, STMT_ERR);
    assert_int_equal(r.err.code, 1227);
    assert_non_null(strstr(r.err.msg, "BINLOG ADMIN"));
    stmt_result_free(&r);
    c.is_admin = 1;
    run(&c, "PURGE MASTER LOGS TO 'b.000002'", &r);   /* no retention attached */
    assert_int_equal(r.kind, STMT_ERR);
    assert_int_equal(r.err.code, 1235);
    stmt_result_free(&r);
    c.purge = purge_hook;
    run(&c, "PURGE BINARY LOGS TO 'b.000002'", &r);
    assert_int_equal(r.kind, STMT_OK);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_kind, STMT_PURGE_TO);
    assert_string_equal(hook_to, "b.000002");
    assert_int_equal(r.nwarn, 1);
    /* SHOW WARNINGS shows what the session kept of it */
    struct stmt_result w;
    c.last_warn = r.warn;
    c.last_nwarn = r.nwarn;
    run(&c, "SHOW WARNINGS", &w);
    assert_int_equal(w.kind, STMT_ROWS);
    assert_int_equal(w.nrows, 1);
    assert_non_null(memmem(w.text, w.text_len, "is not purged because", 21));
    stmt_result_free(&w);
    stmt_result_free(&r);
    setenv("TZ", "UTC", 1);
    tzset();
    run(&c, "PURGE BINARY LOGS BEFORE '2024-01-02 03:04:05'", &r);
    assert_int_equal(hook_kind, STMT_PURGE_BEFORE);
    assert_int_equal(hook_before, 1704164645);
    stmt_result_free(&r);
    run(&c, "PURGE BINARY LOGS BEFORE 'soon'", &r);   /* not a date: nothing, a warning */
    assert_int_equal(r.kind, STMT_OK);
    assert_int_equal(hook_calls, 2);
    assert_int_equal(r.nwarn, 1);
    assert_int_equal(r.warn[0].code, 1292);
    stmt_result_free(&r);
    run(&c, "PURGE BINARY LOGS", &r);
    assert_int_equal(r.kind, STMT_ERR);
    assert_int_equal(r.err.code, 1064);
    stmt_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_age),
        cmocka_unit_test(test_plan_min_files),
        cmocka_unit_test(test_plan_readers),
        cmocka_unit_test(test_plan_size_and_keep),
        cmocka_unit_test(test_plan_size_on_disk),
        cmocka_unit_test(test_plan_statement),
        cmocka_unit_test_setup_teardown(test_store_purge, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_intent, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_index, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_gtid_index, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_between_unlinks, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_crash_after_unlinks, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_leftover_kept, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_intent, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_last_time, sfx_setup, sfx_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_tail_side_file, sfx_setup, sfx_teardown),
        cmocka_unit_test(test_parse_datetime),
        cmocka_unit_test(test_statement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
