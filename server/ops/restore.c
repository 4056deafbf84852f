/*
 * restore.c - see restore.h.
 */
#include "server/ops/restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "protocol/event.h"
#include "server/log.h"
#include "server/ops/archive.h"
#include "server/ops/child.h"
#include "server/ops/prom.h"
#include "server/ops/restore_plan.h"
#include "storage/archive_state.h"
#include "storage/restore_check.h"

#define TAG "restore"
#define TICK_MS 100

struct waiter {
    restore_done_fn fn;
    void *arg;
    struct waiter *next;
};

/*
 * The check of one fetched copy (restore_check_file reads all of it: a second or more for a
 * 1 GiB file), run on a thread of its own so the loop keeps serving replicas, logins and
 * /metrics meanwhile. Shared by the loop and that worker, each holding a reference; the last
 * to let go frees it. The worker reads only what it owns here (its own descriptor of the
 * spool, copies of the name and the archived states), writes rc/why/finished under mu
 * and then wakes the loop with event_active(ev) (thread-safe: libevent threading is on, see
 * restore.h); the loop reads the result under mu in on_checked. restore_free abandons a
 * check in flight instead of waiting for it: under mu it sets abandoned, after which the
 * worker never touches ev (the loop frees it) and its result is dropped.
 */
struct check {
    pthread_mutex_t mu;
    int refs;                        /* under mu: the loop's and the worker's */
    int abandoned;                   /* under mu: the loop gave it up (restore_free) */
    int finished;                    /* under mu: rc and why are set */
    struct event *ev;                /* the loop's; activated under mu unless abandoned */
    /* the worker's inputs, set before it starts and read only by it afterwards */
    int dirfd;                       /* the spool, opened for it: stays open when the loop closes its own */
    char part[EV_MAX_NAME_LEN + 8], name[EV_MAX_NAME_LEN + 1];
    uint64_t size;
    int flavor;
    char *gtid_start, *gtid_end;     /* archived GTID states (owned copies, NULL: not compared) */
    /* the result */
    int rc;
    char why[6144];
};

/* One command slot: the fetch of c (NULL: free), then the check of its copy (check set). */
struct job {
    struct rplan_copy *c;
    struct ops_child child;
    struct timespec started;
    int timed_out;
    struct check *check;             /* the check running (the command has ended), else NULL */
};

struct restore {
    struct event_base *base;
    struct archive_state *st;
    char dir[PATH_MAX], spool[PATH_MAX + 32];
    int spool_fd;
    char command[8192];
    uint32_t timeout_s;
    struct rplan plan;               /* the copies (data: their waiters) and the spool's accounting */
    struct restore_stats stats;
    unsigned njobs;
    struct job jobs[RESTORE_JOBS_MAX];
    struct event *tick;
    struct event *checked;           /* activated by a check's worker when it is done */
};

static void free_waiters(struct waiter *w)
{
    while (w) {
        struct waiter *next = w->next;
        free(w);
        w = next;
    }
}

static void part_name(const char *name, char *buf, size_t cap) { snprintf(buf, cap, ".%s.part", name); }

/* Remove unpinned verified copies, least recently used first, until the spool fits with
 * room bytes more (a copy about to be fetched) beside the fetches in flight. */
static void evict(struct restore *r, uint64_t room)
{
    struct rplan_copy *lru;
    while ((lru = rplan_victim(&r->plan, room))) {
        if (unlinkat(r->spool_fd, lru->name, 0) == -1 && errno != ENOENT)
            log_warn(TAG, "cannot remove %s/%s from the spool: %s", r->spool, lru->name, strerror(errno));
        log_info(TAG, "spool over %llu bytes: removed %s (%llu bytes, least recently used)",
                 (unsigned long long)r->plan.bound, lru->name, (unsigned long long)lru->size);
        r->stats.evicted++;
        free_waiters(lru->data);
        rplan_remove(&r->plan, lru);
    }
}

/* Answer the waiters w (taken from the copy of name_): with the path of the ready copy c
 * (pinned for each) or with why (c NULL: already forgotten). A callback may free c (its put
 * lets the spool evict it): nothing of c is read after the first. */
static void answer(struct restore *r, struct rplan_copy *c, const char *name_, struct waiter *w, const char *why)
{
    char name[EV_MAX_NAME_LEN + 1], path[sizeof(r->spool) + EV_MAX_NAME_LEN + 2];
    snprintf(name, sizeof(name), "%s", name_);
    snprintf(path, sizeof(path), "%s/%s", r->spool, name);
    /* Pin for every waiter before calling any: a callback may put its pin back at once. */
    if (!why)
        for (struct waiter *x = w; x; x = x->next) rplan_pin(&r->plan, c);
    while (w) {
        struct waiter *next = w->next;
        w->fn(w->arg, name, why ? NULL : path, why);
        free(w);
        w = next;
    }
}

/* Refuse the copy c (not fetching, or its fetch ended): forget it, answer its waiters. */
static void refuse(struct restore *r, struct rplan_copy *c, int fetched, const char *why)
{
    char name[EV_MAX_NAME_LEN + 1];
    snprintf(name, sizeof(name), "%s", c->name);
    struct waiter *w = c->data;
    c->data = NULL;
    if (fetched) rplan_fetched(&r->plan, c, 0);
    else rplan_remove(&r->plan, c);
    answer(r, NULL, name, w, why);   /* a later request fetches again */
}

static void arm(struct restore *r, uint32_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    event_add(r->tick, &tv);
}

static int64_t ms_since(struct timespec t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - t.tv_sec) * 1000 + (now.tv_nsec - t.tv_nsec) / 1000000;
}

static void start_next(struct restore *r);

/* Let go of one reference to k (either thread); the last frees it. */
static void check_unref(struct check *k)
{
    pthread_mutex_lock(&k->mu);
    int last = --k->refs == 0;
    pthread_mutex_unlock(&k->mu);
    if (!last) return;
    if (k->dirfd >= 0) close(k->dirfd);
    free(k->gtid_start);
    free(k->gtid_end);
    pthread_mutex_destroy(&k->mu);
    free(k);
}

/* The worker: check the copy, hand the result to the loop. Touches only k. */
static void *check_main(void *arg)
{
    struct check *k = arg;
    char why[sizeof(k->why)];
    why[0] = 0;
    int rc = restore_check_file(k->dirfd, k->part, k->name, k->size, k->flavor, k->gtid_start, k->gtid_end, why,
                                sizeof(why));
    pthread_mutex_lock(&k->mu);
    k->rc = rc;
    memcpy(k->why, why, sizeof(why));
    k->finished = 1;
    if (!k->abandoned) event_active(k->ev, EV_TIMEOUT, 0);
    pthread_mutex_unlock(&k->mu);
    check_unref(k);
    return NULL;
}

/* The fetched copy c is refused (the command failed, or the check): remove it, answer why. */
static void refused(struct restore *r, struct rplan_copy *c, const char *why)
{
    char part[EV_MAX_NAME_LEN + 8];
    part_name(c->name, part, sizeof(part));
    (void)unlinkat(r->spool_fd, part, 0);
    log_error(TAG, "restore of %s refused: %s", c->name, why);
    r->stats.refused++;
    refuse(r, c, 1, why);
}

/* The copy of job j's file passed its check (ok) or not (why): serve it or refuse it. */
static void checked(struct restore *r, struct job *j, int ok, char *why, size_t cap)
{
    struct rplan_copy *c = j->c;
    j->c = NULL;
    char part[EV_MAX_NAME_LEN + 8];
    part_name(c->name, part, sizeof(part));
    if (ok && renameat(r->spool_fd, part, r->spool_fd, c->name) == -1) {
        snprintf(why, cap, "%s: cannot rename the restored copy in %s: %s", c->name, r->spool, strerror(errno));
        ok = 0;
    }
    if (!ok) {
        refused(r, c, why);
        return;
    }
    r->stats.restored_files++;
    r->stats.restored_bytes += c->size;
    log_info(TAG, "restored %s from the archive (%llu bytes, checked) in %lld ms", c->name,
             (unsigned long long)c->size, (long long)ms_since(j->started));
    rplan_fetched(&r->plan, c, 1);
    struct waiter *w = c->data;
    c->data = NULL;
    answer(r, c, c->name, w, NULL);
    evict(r, 0);
}

/* Start the check of job j's copy on a worker thread (the job stays busy until on_checked
 * applies its result). 0, or -1 with why when it cannot even be set up. */
static int check_start(struct restore *r, struct job *j, char *why, size_t cap)
{
    struct rplan_copy *c = j->c;
    struct check *k = calloc(1, sizeof(*k));
    if (!k) {
        snprintf(why, cap, "%s: out of memory for the check of the restored copy", c->name);
        return -1;
    }
    k->dirfd = openat(r->spool_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);   /* its own, independent of spool_fd */
    if (k->dirfd == -1 || pthread_mutex_init(&k->mu, NULL)) {
        snprintf(why, cap, "%s: cannot set up the check of the restored copy: %s", c->name, strerror(errno));
        if (k->dirfd >= 0) close(k->dirfd);
        free(k);
        return -1;
    }
    k->refs = 2;
    k->ev = r->checked;
    part_name(c->name, k->part, sizeof(k->part));
    snprintf(k->name, sizeof(k->name), "%s", c->name);
    k->size = c->size;
    if (archive_state_gtid(r->st, c->name, &k->flavor, &k->gtid_start, &k->gtid_end) == -1) {
        k->flavor = 0;
        k->gtid_start = k->gtid_end = NULL;
    }
    j->check = k;
    pthread_t t;
    pthread_attr_t at;
    int e = pthread_attr_init(&at);
    if (!e) {
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);   /* nobody joins: see struct check */
        e = pthread_create(&t, &at, check_main, k);
        pthread_attr_destroy(&at);
    }
    if (e) {
        /* No thread: check here, as before threads were used; the result still comes back
         * through the event, like a worker's. */
        log_warn(TAG, "cannot start a thread to check %s (%s): checking it on the event loop", c->name, strerror(e));
        check_main(k);
    }
    return 0;
}

/* The fetch in job j ended with wait status `status`: check the copy, or refuse it. */
static void fetched(struct restore *r, struct job *j, int status)
{
    struct rplan_copy *c = j->c;
    char why[6144];
    int ok = !j->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        char st[128], out[256];
        if (j->timed_out) snprintf(st, sizeof(st), "timed out after %us", r->timeout_s);
        else child_status_text(status, st, sizeof(st));
        child_output_summary(&j->child, out, sizeof(out));
        snprintf(why, sizeof(why), "%s: restore_command failed: %s%s%s", c->name, st, out[0] ? ": " : "", out);
    } else if (check_start(r, j, why, sizeof(why)) == 0) {
        return;   /* on_checked goes on */
    }
    j->c = NULL;
    refused(r, c, why);
}

/* A worker is done (checked activated): apply every finished check's result. */
static void on_checked(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct restore *r = arg;
    for (unsigned i = 0; i < r->njobs; i++) {
        struct job *j = &r->jobs[i];
        struct check *k = j->check;
        if (!k) continue;
        pthread_mutex_lock(&k->mu);
        int finished = k->finished;
        pthread_mutex_unlock(&k->mu);
        if (!finished) continue;
        j->check = NULL;
        checked(r, j, k->rc == 0, k->why, sizeof(k->why));   /* finished: the worker writes k no more */
        check_unref(k);
    }
    start_next(r);
    if (r->plan.running || rplan_queued(&r->plan)) arm(r, TICK_MS);
}

/* Start the fetches the plan allows (oldest request first), each in a free job. */
static void start_next(struct restore *r)
{
    struct rplan_copy *c;
    while ((c = rplan_next(&r->plan))) {
        struct job *j = NULL;
        for (unsigned i = 0; i < r->njobs && !j; i++)
            if (!r->jobs[i].c) j = &r->jobs[i];
        if (!j) return;   /* cannot be: the plan counts the running jobs */
        char part[EV_MAX_NAME_LEN + 8], path[sizeof(r->spool) + sizeof(part) + 2], cmd[8192];
        part_name(c->name, part, sizeof(part));
        snprintf(path, sizeof(path), "%s/%s", r->spool, part);
        (void)unlinkat(r->spool_fd, part, 0);
        evict(r, c->size);   /* make room first: the spool stays within its bound while fetching */
        const char *why;
        if (archive_expand(r->command, path, c->name, cmd, sizeof(cmd), &why) == -1) {
            char msg[1024];
            snprintf(msg, sizeof(msg), "%s: storage.restore_command: %s", c->name, why);
            log_error(TAG, "%s", msg);
            refuse(r, c, 0, msg);
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &j->started);
        j->timed_out = 0;
        if (child_spawn(&j->child, r->base, r->dir, cmd) == -1) {
            char msg[1024];
            snprintf(msg, sizeof(msg), "%s: could not start /bin/sh: %s", c->name, strerror(errno));
            log_error(TAG, "%s", msg);
            refuse(r, c, 0, msg);
            continue;
        }
        rplan_started(&r->plan, c);
        j->c = c;
        log_info(TAG, "fetching %s from the archive (pid %d, %u of %u restore jobs running)", c->name,
                 (int)j->child.pid, r->plan.running, r->njobs);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct restore *r = arg;
    for (unsigned i = 0; i < r->njobs; i++) {
        struct job *j = &r->jobs[i];
        if (!j->c || j->check) continue;   /* free, or its command ended and its copy is being checked */
        int status = 0, rc = child_poll(&j->child, &status);
        if (rc == 1) fetched(r, j, status);
        else if (rc == -1) fetched(r, j, 255 << 8);
        else if (r->timeout_s && !j->timed_out && ms_since(j->started) >= (int64_t)r->timeout_s * 1000) {
            log_warn(TAG, "restore_command for %s still runs after %us: killing process group %d", j->c->name,
                     r->timeout_s, (int)j->child.pid);
            j->timed_out = 1;
            child_kill(&j->child);
        }
    }
    start_next(r);
    if (r->plan.running || rplan_queued(&r->plan)) arm(r, TICK_MS);
}

int restore_get(struct restore *r, const char *name, restore_done_fn fn, void *arg)
{
    struct archive_file_status a;
    if (!r->command[0] || archive_state_get(r->st, name, &a) == -1 || !a.archived) return -1;
    struct rplan_copy *c = rplan_find(&r->plan, name);
    if (c && c->state == RPLAN_READY) {
        char path[sizeof(r->spool) + EV_MAX_NAME_LEN + 2];
        snprintf(path, sizeof(path), "%s/%s", r->spool, c->name);
        rplan_pin(&r->plan, c);
        fn(arg, c->name, path, NULL);
        return 0;
    }
    struct waiter *w = calloc(1, sizeof(*w));
    if (!w) return -1;
    if (!c && !(c = rplan_add(&r->plan, name, a.size))) {
        free(w);
        return -1;
    }
    w->fn = fn;
    w->arg = arg;
    w->next = c->data;
    c->data = w;
    arm(r, 0);
    return 0;
}

void restore_put(struct restore *r, const char *name)
{
    struct rplan_copy *c = rplan_find(&r->plan, name);
    if (c && c->state == RPLAN_READY) rplan_unpin(&r->plan, c);
    evict(r, 0);
    if (rplan_queued(&r->plan)) arm(r, 0);   /* the room a queued fetch waited for */
}

void restore_cancel(struct restore *r, restore_done_fn fn, void *arg)
{
    for (struct rplan_copy *c = r->plan.copies, *cn; c; c = cn) {
        cn = c->next;
        struct waiter *keep = NULL, **tail = &keep, *next;
        for (struct waiter *w = c->data; w; w = next) {
            next = w->next;
            if (w->fn == fn && w->arg == arg) {
                free(w);
            } else {
                *tail = w;
                tail = &w->next;
            }
        }
        *tail = NULL;
        c->data = keep;
        /* A fetch nobody waits for any more is not started: it would only take a job and
         * spool room from the replicas that do wait. One already running goes on (its copy
         * may serve the next reader). */
        if (!keep && c->state == RPLAN_QUEUED) {
            log_info(TAG, "restore of %s dropped before it started: no replica waits for it", c->name);
            rplan_remove(&r->plan, c);
        }
    }
}

uint64_t restore_spool_used(const struct restore *r) { return r->plan.used; }

unsigned restore_running(const struct restore *r) { return r->plan.running; }

unsigned restore_queued(const struct restore *r) { return rplan_queued(&r->plan); }

unsigned restore_checking(const struct restore *r)
{
    unsigned n = 0;
    for (unsigned i = 0; i < r->njobs; i++) n += r->jobs[i].check != NULL;
    return n;
}

void restore_get_stats(const struct restore *r, struct restore_stats *out) { *out = r->stats; }

void restore_collect(void *arg, struct prom *p)
{
    const struct restore *r = arg;
    prom_scalar_u64(p, "binlogd_restore_files_total", PROM_COUNTER,
                    "binlog files fetched back with storage.restore_command and checked, since start",
                    r->stats.restored_files);
    prom_scalar_u64(p, "binlogd_restore_bytes_total", PROM_COUNTER, "bytes of those files", r->stats.restored_bytes);
    prom_scalar_u64(p, "binlogd_restore_refused_total", PROM_COUNTER,
                    "restores that failed (the command, its timeout, or the check of the copy), since start",
                    r->stats.refused);
    prom_scalar_u64(p, "binlogd_restore_evicted_total", PROM_COUNTER,
                    "copies removed from the spool to keep storage.restore_spool_bytes, since start", r->stats.evicted);
    prom_scalar_u64(p, "binlogd_restore_spool_bytes", PROM_GAUGE, "bytes of checked copies in the spool", r->plan.used);
    prom_scalar_u64(p, "binlogd_restore_running", PROM_GAUGE,
                    "restore commands running now (at most storage.restore_jobs)", r->plan.running);
    prom_scalar_u64(p, "binlogd_restore_queued", PROM_GAUGE,
                    "requested files waiting for a restore job or for room in the spool", rplan_queued(&r->plan));
    prom_scalar_u64(p, "binlogd_restore_reserved_bytes", PROM_GAUGE,
                    "spool bytes reserved by the fetches running (their recorded sizes)", r->plan.reserved);
}

/* Start with an empty spool: copies from an earlier run would have to be checked again. */
static void empty_spool(struct restore *r)
{
    int fd = dup(r->spool_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return;
    }
    rewinddir(d);   /* the dup shares spool_fd's position: at its end after the first call */
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) (void)unlinkat(r->spool_fd, e->d_name, 0);
    closedir(d);
}

struct restore *restore_new(struct event_base *base, struct archive_state *st, const struct restore_opts *o,
                            char *err, size_t errlen)
{
    struct restore *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->base = base;
    r->st = st;
    r->spool_fd = -1;
    r->njobs = o->jobs < 1 ? 1 : o->jobs > RESTORE_JOBS_MAX ? RESTORE_JOBS_MAX : o->jobs;
    for (unsigned i = 0; i < r->njobs; i++) child_init(&r->jobs[i].child);
    snprintf(r->command, sizeof(r->command), "%s", o->command);
    r->timeout_s = o->timeout_s;
    rplan_init(&r->plan, o->spool_bytes, r->njobs);
    if (!realpath(o->data_dir, r->dir)) {
        snprintf(err, errlen, "%s: %s", o->data_dir, strerror(errno));
        free(r);
        return NULL;
    }
    snprintf(r->spool, sizeof(r->spool), "%s/%s", r->dir, RESTORE_SPOOL_DIR);
    if (r->command[0] && !archive_shell_safe(r->spool)) {
        snprintf(err, errlen, "storage.restore_command: the spool's path %s has characters a shell would interpret",
                 r->spool);
        free(r);
        return NULL;
    }
    if ((mkdir(r->spool, 0750) == -1 && errno != EEXIST) ||
        (r->spool_fd = open(r->spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
        snprintf(err, errlen, "%s: %s", r->spool, strerror(errno));
        free(r);
        return NULL;
    }
    empty_spool(r);
    if (!(r->tick = event_new(base, -1, 0, on_tick, r)) || !(r->checked = event_new(base, -1, 0, on_checked, r))) {
        snprintf(err, errlen, "out of memory");
        if (r->tick) event_free(r->tick);
        close(r->spool_fd);
        free(r);
        return NULL;
    }
    return r;
}

void restore_free(struct restore *r)
{
    if (!r) return;
    for (unsigned i = 0; i < r->njobs; i++) {
        struct job *j = &r->jobs[i];
        if (j->check) {
            /* Abandon it rather than wait for it (a big copy takes seconds): the worker
             * finishes alone, never touches r->checked after this, and frees it. The copy
             * goes with the spool below (the worker's open descriptor keeps it readable). */
            pthread_mutex_lock(&j->check->mu);
            j->check->abandoned = 1;
            pthread_mutex_unlock(&j->check->mu);
            check_unref(j->check);
            j->check = NULL;
        } else if (j->c) {
            child_kill_wait(&j->child);
        }
    }
    while (r->plan.copies) {
        free_waiters(r->plan.copies->data);
        rplan_remove(&r->plan, r->plan.copies);
    }
    if (r->spool_fd >= 0) {
        empty_spool(r);
        close(r->spool_fd);
    }
    if (r->tick) event_free(r->tick);
    if (r->checked) event_free(r->checked);   /* no worker may activate it any more: all abandoned */
    free(r);
}
