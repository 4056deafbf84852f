/*
 * restore.c - see restore.h.
 */
#include "server/ops/restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "storage/archive_state.h"
#include "storage/restore_check.h"

#define TAG "restore"
#define TICK_MS 100

enum copy_state { COPY_QUEUED = 0, COPY_FETCHING, COPY_READY };

struct waiter {
    restore_done_fn fn;
    void *arg;
    struct waiter *next;
};

struct copy {
    char name[EV_MAX_NAME_LEN + 1];
    uint64_t size;
    enum copy_state state;
    unsigned pins;
    uint64_t last_used;              /* a use counter: the smallest is the least recently used */
    struct waiter *waiters;
    struct copy *next;
};

struct restore {
    struct event_base *base;
    struct archive_state *st;
    char dir[PATH_MAX], spool[PATH_MAX + 32];
    int spool_fd;
    char command[8192];
    uint32_t timeout_s;
    uint64_t spool_bytes, used, clock;
    struct restore_stats stats;
    struct copy *copies;
    struct copy *cur;                /* being fetched */
    struct ops_child child;
    struct timespec started;
    int timed_out;
    struct event *tick;
};

static struct copy *find(struct restore *r, const char *name)
{
    for (struct copy *c = r->copies; c; c = c->next)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

static void drop(struct restore *r, struct copy *c)
{
    for (struct copy **p = &r->copies; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    while (c->waiters) {
        struct waiter *w = c->waiters;
        c->waiters = w->next;
        free(w);
    }
    free(c);
}

static void part_name(const struct copy *c, char *buf, size_t cap) { snprintf(buf, cap, ".%s.part", c->name); }

/* Remove unpinned verified copies, least recently used first, until the spool fits with
 * room bytes more (a copy about to be fetched). */
static void evict(struct restore *r, uint64_t room)
{
    while (r->used + room > r->spool_bytes) {
        struct copy *lru = NULL;
        for (struct copy *c = r->copies; c; c = c->next)
            if (c->state == COPY_READY && !c->pins && (!lru || c->last_used < lru->last_used)) lru = c;
        if (!lru) return;   /* everything left is being read */
        if (unlinkat(r->spool_fd, lru->name, 0) == -1 && errno != ENOENT)
            log_warn(TAG, "cannot remove %s/%s from the spool: %s", r->spool, lru->name, strerror(errno));
        log_info(TAG, "spool over %llu bytes: removed %s (%llu bytes, least recently used)",
                 (unsigned long long)r->spool_bytes, lru->name, (unsigned long long)lru->size);
        r->used -= lru->size;
        r->stats.evicted++;
        drop(r, lru);
    }
}

/* Answer every waiter of c: with its path (pinning it for each) or with why. */
static void answer(struct restore *r, struct copy *c, const char *why)
{
    char path[sizeof(r->spool) + EV_MAX_NAME_LEN + 2];
    snprintf(path, sizeof(path), "%s/%s", r->spool, c->name);
    struct waiter *w = c->waiters;
    c->waiters = NULL;
    char name[EV_MAX_NAME_LEN + 1];
    snprintf(name, sizeof(name), "%s", c->name);
    if (why) {
        drop(r, c);   /* a later request fetches again */
    } else {
        /* Pin for every waiter before calling any: a callback may put its pin back at once. */
        for (struct waiter *x = w; x; x = x->next) c->pins++;
        c->last_used = ++r->clock;
    }
    while (w) {
        struct waiter *next = w->next;
        w->fn(w->arg, name, why ? NULL : path, why);
        free(w);
        w = next;
    }
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

/* The fetch of r->cur ended with wait status `status`. */
static void fetched(struct restore *r, int status)
{
    struct copy *c = r->cur;
    r->cur = NULL;
    char part[EV_MAX_NAME_LEN + 8], why[6144];
    part_name(c, part, sizeof(part));
    int ok = !r->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        char st[128], out[256];
        if (r->timed_out) snprintf(st, sizeof(st), "timed out after %us", r->timeout_s);
        else child_status_text(status, st, sizeof(st));
        child_output_summary(&r->child, out, sizeof(out));
        snprintf(why, sizeof(why), "%s: restore_command failed: %s%s%s", c->name, st, out[0] ? ": " : "", out);
    } else {
        int flavor = 0;
        char *gs = NULL, *ge = NULL;
        if (archive_state_gtid(r->st, c->name, &flavor, &gs, &ge) == -1) flavor = 0;
        ok = restore_check_file(r->spool_fd, part, c->name, c->size, flavor, gs, ge, why, sizeof(why)) == 0;
        free(gs);
        free(ge);
        if (ok && renameat(r->spool_fd, part, r->spool_fd, c->name) == -1) {
            snprintf(why, sizeof(why), "%s: cannot rename the restored copy in %s: %s", c->name, r->spool, strerror(errno));
            ok = 0;
        }
    }
    if (!ok) {
        (void)unlinkat(r->spool_fd, part, 0);
        log_error(TAG, "restore of %s refused: %s", c->name, why);
        r->stats.refused++;
        answer(r, c, why);
        return;
    }
    c->state = COPY_READY;
    r->used += c->size;
    r->stats.restored_files++;
    r->stats.restored_bytes += c->size;
    log_info(TAG, "restored %s from the archive (%llu bytes, checked) in %lld ms", c->name,
             (unsigned long long)c->size, (long long)ms_since(r->started));
    answer(r, c, NULL);
    evict(r, 0);
}

static void start_next(struct restore *r)
{
    struct copy *c = NULL;
    for (struct copy *x = r->copies; x; x = x->next)
        if (x->state == COPY_QUEUED) c = x;   /* the list is newest first: the last is the oldest request */
    if (!c) return;
    char part[EV_MAX_NAME_LEN + 8], path[sizeof(r->spool) + sizeof(part) + 2], cmd[8192];
    part_name(c, part, sizeof(part));
    snprintf(path, sizeof(path), "%s/%s", r->spool, part);
    (void)unlinkat(r->spool_fd, part, 0);
    evict(r, c->size);   /* make room first: the spool stays within its bound while fetching */
    const char *why;
    if (archive_expand(r->command, path, c->name, cmd, sizeof(cmd), &why) == -1) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s: storage.restore_command: %s", c->name, why);
        log_error(TAG, "%s", msg);
        answer(r, c, msg);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &r->started);
    r->timed_out = 0;
    if (child_spawn(&r->child, r->base, r->dir, cmd) == -1) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s: could not start /bin/sh: %s", c->name, strerror(errno));
        log_error(TAG, "%s", msg);
        answer(r, c, msg);
        return;
    }
    c->state = COPY_FETCHING;
    r->cur = c;
    log_info(TAG, "fetching %s from the archive (pid %d)", c->name, (int)r->child.pid);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct restore *r = arg;
    if (r->cur) {
        int status = 0, rc = child_poll(&r->child, &status);
        if (rc == 1) fetched(r, status);
        else if (rc == -1) fetched(r, 255 << 8);
        else if (r->timeout_s && !r->timed_out && ms_since(r->started) >= (int64_t)r->timeout_s * 1000) {
            log_warn(TAG, "restore_command for %s still runs after %us: killing process group %d", r->cur->name,
                     r->timeout_s, (int)r->child.pid);
            r->timed_out = 1;
            child_kill(&r->child);
        }
    }
    if (!r->cur) start_next(r);
    int more = r->cur != NULL;
    for (struct copy *c = r->copies; c && !more; c = c->next) more = c->state == COPY_QUEUED;
    if (more) arm(r, TICK_MS);
}

int restore_get(struct restore *r, const char *name, restore_done_fn fn, void *arg)
{
    struct archive_file_status a;
    if (!r->command[0] || archive_state_get(r->st, name, &a) == -1 || !a.archived) return -1;
    struct copy *c = find(r, name);
    if (c && c->state == COPY_READY) {
        char path[sizeof(r->spool) + EV_MAX_NAME_LEN + 2];
        snprintf(path, sizeof(path), "%s/%s", r->spool, c->name);
        c->pins++;
        c->last_used = ++r->clock;
        fn(arg, c->name, path, NULL);
        return 0;
    }
    struct waiter *w = calloc(1, sizeof(*w));
    if (!w) return -1;
    if (!c) {
        if (!(c = calloc(1, sizeof(*c)))) {
            free(w);
            return -1;
        }
        snprintf(c->name, sizeof(c->name), "%s", name);
        c->size = a.size;
        c->state = COPY_QUEUED;
        c->next = r->copies;
        r->copies = c;
    }
    w->fn = fn;
    w->arg = arg;
    w->next = c->waiters;
    c->waiters = w;
    arm(r, 0);
    return 0;
}

void restore_put(struct restore *r, const char *name)
{
    struct copy *c = find(r, name);
    if (c && c->pins) c->pins--;
    evict(r, 0);
}

void restore_cancel(struct restore *r, restore_done_fn fn, void *arg)
{
    for (struct copy *c = r->copies; c; c = c->next)
        for (struct waiter **p = &c->waiters; *p;) {
            if ((*p)->fn == fn && (*p)->arg == arg) {
                struct waiter *w = *p;
                *p = w->next;
                free(w);
            } else {
                p = &(*p)->next;
            }
        }
}

uint64_t restore_spool_used(const struct restore *r) { return r->used; }

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
    prom_scalar_u64(p, "binlogd_restore_spool_bytes", PROM_GAUGE, "bytes of checked copies in the spool", r->used);
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
    child_init(&r->child);
    snprintf(r->command, sizeof(r->command), "%s", o->command);
    r->timeout_s = o->timeout_s;
    r->spool_bytes = o->spool_bytes;
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
    if (!(r->tick = event_new(base, -1, 0, on_tick, r))) {
        snprintf(err, errlen, "out of memory");
        close(r->spool_fd);
        free(r);
        return NULL;
    }
    return r;
}

void restore_free(struct restore *r)
{
    if (!r) return;
    child_kill_wait(&r->child);
    while (r->copies) drop(r, r->copies);
    if (r->spool_fd >= 0) {
        empty_spool(r);
        close(r->spool_fd);
    }
    if (r->tick) event_free(r->tick);
    free(r);
}
