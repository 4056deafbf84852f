/*
 * archive.c - see archive.h.
 */
#include "server/ops/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <event2/event.h>

#include "server/log.h"
#include "server/ops/archive_spool.h"
#include "server/ops/child.h"
#include "server/ops/health.h"
#include "server/ops/prom.h"
#include "storage/archive_state.h"
#include "storage/store.h"
#include "storage/zfile.h"

#define TAG "archive"
#define ARCHIVE_CMD_MAX 8192
#define TICK_IDLE_MS 1000
#define TICK_RUNNING_MS 100

struct archive {
    struct event_base *base;
    struct store *store;
    struct archive_state *st;
    struct health *health;
    int health_on;
    char dir[PATH_MAX];
    int dir_ok;                      /* dir is absolute and shell-safe */
    char command[ARCHIVE_CMD_MAX];
    uint32_t timeout_s, retry_max_ms, max_lag_s;
    struct event *tick;

    /* the command that runs (child.pid > 0) */
    struct ops_child child;
    struct timespec started;
    uint32_t run_timeout_s;
    int timed_out;
    char cur[EV_MAX_NAME_LEN + 1];
    uint64_t cur_size;

    /* cur is stored compressed: its plain copy is made in the spool (inflating), the command
     * reads that copy (spooled), which goes when the command has ended */
    struct archive_spool *spool;
    int inflating, spooled;

    /* retries of the file that failed last */
    char failing[EV_MAX_NAME_LEN + 1];
    uint32_t consecutive;
    struct timespec retry_at;
    char refused[EV_MAX_NAME_LEN + 1];   /* a file whose name is not shell-safe (logged once) */

    char hint[EV_MAX_NAME_LEN + 1];      /* newest file known archived: the search starts here */
};

/* ---- pure helpers ---- */

int archive_expand(const char *tmpl, const char *path, const char *name, char *out, size_t cap, const char **why)
{
    size_t o = 0;
    if (!cap) { *why = "command too long"; return -1; }
    for (const char *p = tmpl; *p; p++) {
        const char *add = p;
        size_t n = 1;
        if (*p == '%') {
            switch (p[1]) {
            case 'p': add = path; n = strlen(path); break;
            case 'f': add = name; n = strlen(name); break;
            case '%': add = "%"; n = 1; break;
            case '\0': *why = "'%' at the end (write %% for a percent sign)"; return -1;
            default: *why = "unknown placeholder (only %p, %f and %% are known)"; return -1;
            }
            p++;
        }
        if (n >= cap - o) { *why = "command too long"; return -1; }
        memcpy(out + o, add, n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

int archive_shell_safe(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++) {
        char c = *s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
        if (!strchr("/._-+,:=@", c)) return 0;
    }
    return 1;
}

uint32_t archive_backoff_ms(uint32_t failures, uint32_t max_ms)
{
    if (max_ms < ARCHIVE_RETRY_MIN_MS) max_ms = ARCHIVE_RETRY_MIN_MS;
    uint64_t d = ARCHIVE_RETRY_MIN_MS;
    for (uint32_t i = 1; i < failures && d < max_ms; i++) d *= 2;
    return d > max_ms ? max_ms : (uint32_t)d;
}

/* ---- time ---- */

static struct timespec mono_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

static int64_t ms_between(struct timespec a, struct timespec b)
{
    return (int64_t)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static struct timespec plus_ms(struct timespec t, uint32_t ms)
{
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) { t.tv_sec++; t.tv_nsec -= 1000000000L; }
    return t;
}

static void arm(struct archive *a, uint32_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    event_add(a->tick, &tv);
}

/* ---- the backlog ---- */

/* The first closed file that is not archived (0 and *out), or -1 when every closed file is.
 * *pending gets how many closed files are not archived (may be NULL). */
static int find_pending(struct archive *a, struct store_file_info *out, uint32_t *pending)
{
    struct store_file_info f;
    int have = a->hint[0] && store_file_lookup(a->store, a->hint, &f) == 0;
    if (!have) {
        a->hint[0] = '\0';
        have = store_files(a->store, &f, 1) > 0;
    }
    int found = 0;
    uint32_t n = 0;
    while (have && f.sealed) {
        if (!archive_state_is_archived(a->st, f.name)) {
            if (!found) *out = f;
            found = 1;
            n++;
            if (!pending) break;
        } else if (!found) {
            snprintf(a->hint, sizeof(a->hint), "%s", f.name);
        }
        have = store_file_next(a->store, f.name, &f) == 0;
    }
    if (pending) *pending = n;
    return found ? 0 : -1;
}

/* Backlog figures for SHOW, /metrics and /healthz: the age of the oldest unarchived closed
 * file is taken from its mtime, which the seal (IN_USE cleared) set when the file closed. */
static void update_progress(struct archive *a)
{
    struct store_file_info f;
    uint32_t pending = 0;
    int64_t lag = 0;
    if (a->command[0] && find_pending(a, &f, &pending) == 0) {
        struct stat sb;
        char zname[EV_MAX_NAME_LEN + 8];
        /* A file compressed before archiving was on: NAME.z was written after NAME closed, so
         * its mtime gives a lag no larger than the true one. */
        if (fstatat(store_dir_fd(a->store), f.name, &sb, 0) == 0 ||
            (zfile_name(f.name, zname, sizeof(zname)) == 0 && fstatat(store_dir_fd(a->store), zname, &sb, 0) == 0)) {
            time_t now = time(NULL);
            lag = now > sb.st_mtime ? (int64_t)(now - sb.st_mtime) : 0;
        }
    }
    archive_state_set_progress(a->st, pending, lag, a->child.pid > 0 || a->inflating ? a->cur : "");
    if (!a->health) return;
    if (a->command[0] && a->max_lag_s && lag > (int64_t)a->max_lag_s) {
        struct archive_stats s;
        archive_state_stats(a->st, &s);
        char why[1200];
        snprintf(why, sizeof(why), "archive lag %llds over storage.archive_max_lag_seconds=%u: %u closed file(s) not "
                 "archived, oldest %s%s%.200s", (long long)lag, a->max_lag_s, pending, f.name,
                 s.last_error[0] ? "; last error: " : "", s.last_error);
        health_set(a->health, "archive", why);
        a->health_on = 1;
    } else if (a->health_on) {
        health_clear(a->health, "archive");
        a->health_on = 0;
    }
}

/* ---- the child ---- */

/* The attempt for a->cur failed before any command ran (msg): retry it with backoff. Returns
 * the delay. Also for a command that ran and failed (msg says how). */
static uint32_t retry_later(struct archive *a, struct timespec now, const char *msg)
{
    if (strcmp(a->failing, a->cur)) {
        snprintf(a->failing, sizeof(a->failing), "%s", a->cur);
        a->consecutive = 0;
    }
    a->consecutive++;
    uint32_t delay = archive_backoff_ms(a->consecutive, a->retry_max_ms);
    a->retry_at = plus_ms(now, delay);
    archive_state_failed(a->st, a->cur, msg);
    return delay;
}

/* The command for a->cur ended with wait status `status` (its output drained). */
static void finished(struct archive *a, int status)
{
    if (a->spooled) {
        archive_spool_remove(a->spool, a->cur);
        a->spooled = 0;
    }
    struct timespec now = mono_now();
    int64_t took = ms_between(a->started, now);
    if (!a->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        char err[512];
        /* The file's GTID states go into the archive state: they outlive its GTID index entry
         * once the file is purged (what a GTID replica needs, what a restored copy must have). */
        struct store_gtid_file *g = NULL, *mine = NULL;
        size_t ng = 0;
        if (store_gtid_files(a->store, &g, &ng) == 0)
            for (size_t i = 0; i < ng; i++)
                if (!strcmp(g[i].name, a->cur) && g[i].known && g[i].size == a->cur_size) mine = &g[i];
        int rc = archive_state_done(a->st, a->cur, a->cur_size, (int64_t)time(NULL), mine ? mine->flavor : 0,
                                    mine ? mine->start : NULL, mine ? mine->end : NULL, err, sizeof(err));
        if (g) store_gtid_files_free(g, ng);
        if (rc == -1)
            log_error(TAG, "%s archived, but the archive state could not be saved (%s): its archive_command runs "
                      "again after a restart", a->cur, err);
        log_info(TAG, "archived %s (%llu bytes) in %lld ms%s", a->cur, (unsigned long long)a->cur_size,
                 (long long)took, a->consecutive ? " after earlier failures" : "");
        snprintf(a->hint, sizeof(a->hint), "%s", a->cur);
        a->consecutive = 0;
        a->failing[0] = '\0';
        return;
    }
    char why[ARCHIVE_ERR_MAX], out[ARCHIVE_ERR_MAX];
    if (a->timed_out)
        snprintf(why, sizeof(why), "timed out after %us (storage.archive_timeout): process group killed",
                 a->run_timeout_s);
    else
        child_status_text(status, why, sizeof(why));
    child_output_summary(&a->child, out, sizeof(out));
    char full[2 * ARCHIVE_ERR_MAX + 8];
    snprintf(full, sizeof(full), "%s%s%s", why, out[0] ? ": " : "", out);
    uint32_t delay = retry_later(a, now, full);
    log_warn(TAG, "archive_command failed for %s (attempt %u, %lld ms): %s; stderr: %s; retrying in %u ms", a->cur,
             a->consecutive, (long long)took, why, out[0] ? out : "(empty)", delay);
}

static void supervise(struct archive *a)
{
    int status = 0;
    pid_t pid = a->child.pid;
    int r = child_poll(&a->child, &status);
    if (r == 1) {
        finished(a, status);
        return;
    }
    if (r == -1) {
        log_error(TAG, "waitpid(%d) for the archive_command of %s: %s", (int)pid, a->cur, strerror(errno));
        a->timed_out = 0;
        finished(a, 255 << 8);
        return;
    }
    if (a->run_timeout_s && !a->timed_out && ms_between(a->started, mono_now()) >= (int64_t)a->run_timeout_s * 1000) {
        log_warn(TAG, "archive_command for %s still runs after %us (storage.archive_timeout): killing process group %d",
                 a->cur, a->run_timeout_s, (int)a->child.pid);
        a->timed_out = 1;
        child_kill(&a->child);
    }
}


/* Run the command for a->cur (a->cur_size bytes) reading `path`: the file itself, or its
 * plain copy in the spool (spooled, removed when the command ends). */
static void run_command(struct archive *a, const char *path, int spooled)
{
    struct timespec now = mono_now();
    char cmd[ARCHIVE_CMD_MAX];
    const char *why;
    a->spooled = spooled;
    if (archive_expand(a->command, path, a->cur, cmd, sizeof(cmd), &why) == -1) {
        if (strcmp(a->refused, a->cur)) {
            snprintf(a->refused, sizeof(a->refused), "%s", a->cur);
            log_error(TAG, "storage.archive_command: %s", why);
        }
        if (spooled) archive_spool_remove(a->spool, a->cur);
        a->spooled = 0;
        return;
    }
    a->timed_out = 0;
    a->run_timeout_s = a->timeout_s;
    a->started = now;
    if (child_spawn(&a->child, a->base, a->dir, cmd) == -1) {
        int e = errno;
        char msg[256];
        snprintf(msg, sizeof(msg), "could not start /bin/sh: %s", strerror(e));
        uint32_t delay = retry_later(a, now, msg);
        log_error(TAG, "archive_command for %s: %s; retrying in %u ms", a->cur, msg, delay);
        if (spooled) archive_spool_remove(a->spool, a->cur);
        a->spooled = 0;
        return;
    }
    log_debug(TAG, "archiving %s (%llu bytes%s): pid %d", a->cur, (unsigned long long)a->cur_size,
              spooled ? ", from its decompressed copy" : "", (int)a->child.pid);
}

/* The copy of a compressed a->cur is made (or could not be): run the command on it. */
static void inflated(struct archive *a)
{
    char path[PATH_MAX + 64 + EV_MAX_NAME_LEN], why[2048];
    int r = archive_spool_poll(a->spool, path, sizeof(path), why, sizeof(why));
    if (r == 0) return;
    a->inflating = 0;
    if (r == 1 && !a->command[0]) {   /* archiving turned off meanwhile */
        archive_spool_remove(a->spool, a->cur);
        return;
    }
    if (r == 1) {
        log_info(TAG, "%s: decompressed its copy (%llu bytes, every block checked) for the archive command", a->cur,
                 (unsigned long long)a->cur_size);
        run_command(a, path, 1);
        return;
    }
    char msg[2200];
    snprintf(msg, sizeof(msg), "compressed copy not archivable: %s", why);
    uint32_t delay = retry_later(a, mono_now(), msg);
    log_error(TAG, "cannot archive %s: %s; it stays un-archived (so retention keeps it) and is tried again in %u ms",
              a->cur, why, delay);
}

static void maybe_start(struct archive *a)
{
    if (!a->command[0] || !a->dir_ok) return;
    struct timespec now = mono_now();
    struct store_file_info f;
    if (find_pending(a, &f, NULL) == -1) return;
    if (a->failing[0] && !strcmp(a->failing, f.name) && ms_between(now, a->retry_at) > 0) return;
    if (!archive_shell_safe(f.name)) {
        if (strcmp(a->refused, f.name)) {
            snprintf(a->refused, sizeof(a->refused), "%s", f.name);
            log_error(TAG, "cannot archive %s: its name has characters a shell would interpret; archiving stops here",
                      f.name);
            archive_state_failed(a->st, f.name, "name not safe for a shell command; not archived");
        }
        return;
    }
    snprintf(a->cur, sizeof(a->cur), "%s", f.name);
    a->cur_size = f.size;
    archive_state_attempt(a->st, f.name, f.size, (int64_t)time(NULL));
    /* Stored compressed (compressed while no archive command was set): the command gets a
     * plain copy, made off the loop thread. */
    struct stat sb;
    char zname[EV_MAX_NAME_LEN + 8];
    int dfd = store_dir_fd(a->store);
    if (fstatat(dfd, f.name, &sb, AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT &&
        zfile_name(f.name, zname, sizeof(zname)) == 0 && fstatat(dfd, zname, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
        char err[256];
        if (archive_spool_start(a->spool, f.name, f.size, err, sizeof(err)) == -1) {
            uint32_t delay = retry_later(a, now, err);
            log_error(TAG, "archive_command for %s: %s; retrying in %u ms", f.name, err, delay);
            return;
        }
        a->inflating = 1;
        log_info(TAG, "%s is stored compressed (%s): decompressing a copy into %s/%s for the archive command", f.name,
                 zname, a->dir, ARCHIVE_SPOOL_DIR);
        return;
    }
    char path[PATH_MAX + EV_MAX_NAME_LEN + 2];
    snprintf(path, sizeof(path), "%s/%s", a->dir, f.name);
    run_command(a, path, 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    struct archive *a = arg;
    if (a->child.pid > 0) supervise(a);
    if (a->inflating) inflated(a);
    /* A file just archived: the next one starts in this same turn. */
    if (a->child.pid <= 0 && !a->inflating) maybe_start(a);
    update_progress(a);
    arm(a, a->child.pid > 0 || a->inflating ? TICK_RUNNING_MS : TICK_IDLE_MS);
}

/* ---- life cycle ---- */

void archive_set_options(struct archive *a, const char *command, uint32_t timeout_s, uint32_t retry_max_ms,
                         uint32_t max_lag_s)
{
    if (strcmp(a->command, command)) {
        if (command[0]) log_info(TAG, "archive_command: %s", command);
        else if (a->command[0]) log_info(TAG, "archiving turned off");
        a->refused[0] = '\0';
    }
    snprintf(a->command, sizeof(a->command), "%s", command);
    a->timeout_s = timeout_s;
    a->retry_max_ms = retry_max_ms;
    a->max_lag_s = max_lag_s;
    archive_state_set_enabled(a->st, command[0] != 0);
    if (command[0] && !a->dir_ok)
        log_error(TAG, "archiving stays off: the data directory's path %s is not safe in a shell command", a->dir);
}

struct archive *archive_new(struct event_base *base, struct store *store, struct archive_state *st,
                            const struct archive_opts *o, char *err, size_t errlen)
{
    struct archive *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->base = base;
    a->store = store;
    a->st = st;
    child_init(&a->child);
    if (!realpath(o->data_dir, a->dir)) {
        snprintf(err, errlen, "%s: %s", o->data_dir, strerror(errno));
        free(a);
        return NULL;
    }
    a->dir_ok = archive_shell_safe(a->dir);
    if (o->command[0] && !a->dir_ok) {
        snprintf(err, errlen, "storage.archive_command: the data directory's path %s has characters a shell would "
                 "interpret (%%p is pasted unquoted)", a->dir);
        free(a);
        return NULL;
    }
    if (!(a->spool = archive_spool_new(a->dir, store_dir_fd(store), err, errlen))) {
        free(a);
        return NULL;
    }
    if (!(a->tick = event_new(base, -1, 0, on_tick, a))) {
        snprintf(err, errlen, "out of memory");
        archive_spool_free(a->spool);
        free(a);
        return NULL;
    }
    archive_set_options(a, o->command, o->timeout_s, o->retry_max_ms, o->max_lag_s);
    arm(a, 0);
    return a;
}

void archive_set_health(struct archive *a, struct health *h) { if (a) a->health = h; }

void archive_free(struct archive *a)
{
    if (!a) return;
    if (a->child.pid > 0)
        log_info(TAG, "stopping: archive_command for %s interrupted (killed); it runs again at the next start", a->cur);
    child_kill_wait(&a->child);
    archive_spool_free(a->spool);   /* an inflation that runs stops at its next block */
    if (a->tick) event_free(a->tick);
    free(a);
}

void archive_collect(void *arg, struct prom *p)
{
    struct archive *a = arg;
    struct archive_stats s;
    archive_state_stats(a->st, &s);
    prom_scalar_u64(p, "binlogd_archive_enabled", PROM_GAUGE,
                    "1 when storage.archive_command is set", (uint64_t)s.enabled);
    prom_scalar_u64(p, "binlogd_archive_archived_files_total", PROM_COUNTER,
                    "binlog files the archive command archived (exit 0) since start", s.archived_files);
    prom_scalar_u64(p, "binlogd_archive_archived_bytes_total", PROM_COUNTER,
                    "bytes of the binlog files archived since start", s.archived_bytes);
    prom_scalar_u64(p, "binlogd_archive_failures_total", PROM_COUNTER,
                    "archive commands that failed (exit status, signal or timeout) since start", s.failures);
    prom_scalar_u64(p, "binlogd_archive_pending_files", PROM_GAUGE,
                    "closed binlog files not archived yet", s.pending_files);
    if (prom_family(p, "binlogd_archive_lag_seconds", PROM_GAUGE,
                    "age of the oldest closed binlog file not archived yet (0 when none)") == 0)
        prom_sample(p, "", NULL, 0, (double)s.lag_seconds);
    prom_scalar_u64(p, "binlogd_archive_command_running", PROM_GAUGE,
                    "1 while an archive command runs", (uint64_t)s.running);
}
