/*
 * retention.c - see retention.h.
 *
 * Policy for errors: a purge the store refuses (cannot write the intent or the index) is
 * logged and counted, and retried at the next check; nothing else depends on it. Log lines:
 * every purge (files, bytes, cause), every reader a size purge overrides (by name, loudly),
 * every early purge for free space (loudly), and a kept file that blocks a limit (once per
 * file and reason, not every second).
 */
#include "server/ops/retention.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/config.h"
#include "server/log.h"
#include "server/ops/prom.h"
#include "server/ops/textbuf.h"
#include "server/replicas/listener.h"
#include "storage/purge.h"
#include "storage/store.h"
#include "storage/zfile.h"

#define TAG "retention"
#define TICK_MS 1000

/* ER_* codes of PURGE, MariaDB 10.11 sql/share/errmsg-utf8.txt */
#define ER_UNKNOWN_TARGET_BINLOG 1373      /* "Target log not found in binlog index" */
#define ER_BINLOG_PURGE_PROHIBITED 1375    /* the code of mariadbd's "is not purged because" notes */
#define ER_BINLOG_PURGE_FATAL_ERR 1377     /* "Fatal error during log purge" */

struct lt_entry {
    char name[EV_MAX_NAME_LEN + 1];
    uint64_t size;
    int64_t t;
};

struct reader {
    char file[EV_MAX_NAME_LEN + 1];
    uint32_t server_id;
    char host[256];
};

struct retention {
    struct event_base *base;
    struct store *store;
    struct listener *lis;
    char *dir;
    struct retention_opts o;
    purge_keep_fn keep;
    void *keep_arg;
    purge_done_fn done;
    void *done_arg;
    struct event *timer, *kick;
    char writing[EV_MAX_NAME_LEN + 1];   /* writer thread only (retention_notify) */
    struct retention_stats st;
    struct lt_entry *lt;                 /* last-event times by file */
    size_t nlt, caplt;
    struct reader *rd;                   /* connected readers of the current check */
    size_t nrd, caprd;
    char blocked[EV_MAX_NAME_LEN + 48];  /* last "kept file blocks a limit" logged */
    atomic_int disk_full;                /* set by retention_disk_full (ingest thread) */
    int crash_step;                      /* -1: none */
    size_t crash_n;
};

void retention_opts_from_config(struct retention_opts *o, const struct config *cfg)
{
    o->expire_s = cfg->expire_logs_seconds;
    o->max_disk = cfg->max_disk_bytes;
    o->min_files = cfg->min_files ? cfg->min_files : 1;
    o->min_free = cfg->min_free_bytes;
}

/* ---- inputs ---- */

static int64_t last_time(struct retention *r, const char *name, uint64_t size)
{
    for (size_t i = 0; i < r->nlt; i++)
        if (!strcmp(r->lt[i].name, name)) {
            if (r->lt[i].size == size) return r->lt[i].t;
            int64_t t = 0;
            if (purge_file_last_time(store_dir_fd(r->store), name, size, &t) == -1) t = 0;
            r->lt[i].size = size;
            r->lt[i].t = t;
            return t;
        }
    int64_t t = 0;
    if (purge_file_last_time(store_dir_fd(r->store), name, size, &t) == -1) {
        log_warn(TAG, "%s: cannot tell the time of its last event: %s; retention by age skips it", name,
                 strerror(errno));
        t = 0;
    }
    if (r->nlt == r->caplt) {
        size_t nc = r->caplt ? r->caplt * 2 : 64;
        struct lt_entry *nv = realloc(r->lt, nc * sizeof(*nv));
        if (!nv) return t;
        r->lt = nv;
        r->caplt = nc;
    }
    struct lt_entry *e = &r->lt[r->nlt++];
    snprintf(e->name, sizeof(e->name), "%s", name);
    e->size = size;
    e->t = t;
    return t;
}

/* Forget cached times of files no longer listed. */
static void lt_prune(struct retention *r, const struct purge_file *f, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < r->nlt; i++) {
        int listed = 0;
        for (size_t k = 0; k < n && !listed; k++) listed = !strcmp(f[k].name, r->lt[i].name);
        if (listed) r->lt[out++] = r->lt[i];
    }
    r->nlt = out;
}

static void on_reader(void *arg, const char *file, uint32_t server_id, const char *host)
{
    struct retention *r = arg;
    if (r->nrd == r->caprd) {
        size_t nc = r->caprd ? r->caprd * 2 : 16;
        struct reader *nv = realloc(r->rd, nc * sizeof(*nv));
        if (!nv) return;   /* a reader we cannot record: the size rule may then not name it */
        r->rd = nv;
        r->caprd = nc;
    }
    struct reader *x = &r->rd[r->nrd++];
    snprintf(x->file, sizeof(x->file), "%s", file);
    x->server_id = server_id;
    snprintf(x->host, sizeof(x->host), "%s", host);
}

/* The planner's input: files (malloc'd into *out), reader_first, keep verdicts. -1 on ENOMEM.
 * Last-event times are read (once per file and size, then cached) only as far as they can
 * matter: the oldest file's (the age gauge), then while the files are older than `cutoff`;
 * the first younger file stops the age rule anyway, and the rest stay 0 (unknown). So a start
 * with thousands of files and no age rule reads one file's tail, not all of them. */
static int build(struct retention *r, struct purge_input *in, struct purge_file **out, int64_t now, int64_t cutoff)
{
    memset(in, 0, sizeof(*in));
    *out = NULL;
    size_t n = store_files(r->store, NULL, 0);
    struct store_file_info *info = NULL;
    for (;;) {
        size_t cap = n + 8;
        struct store_file_info *ni = realloc(info, cap * sizeof(*ni));
        if (!ni) {
            free(info);
            return -1;
        }
        info = ni;
        n = store_files(r->store, info, cap);
        if (n <= cap) break;
    }
    struct purge_file *f = calloc(n ? n : 1, sizeof(*f));
    if (!f) {
        free(info);
        return -1;
    }
    int timed = 1;
    for (size_t i = 0; i < n; i++) {
        snprintf(f[i].name, sizeof(f[i].name), "%s", info[i].name);
        f[i].size = info[i].size;
        /* What it takes on disk, as storage.max_disk_bytes counts it: a compressed file its
         * NAME.z's size; a plain one its committed size (the active file's tail beyond the
         * watermark is not counted yet). */
        int compressed = 0;
        uint64_t stored = 0;
        f[i].disk = zfile_stored_bytes(store_dir_fd(r->store), info[i].name, &compressed, &stored) == 0 && compressed
                        ? stored : info[i].size;
        /* The file being written is never purged: its age does not matter (and moves). */
        if (i + 1 == n) f[i].last_time = now;
        else if (timed) f[i].last_time = last_time(r, info[i].name, info[i].size);
        timed = timed && f[i].last_time > 0 && f[i].last_time < cutoff;
        if (i + 1 < n && r->keep) f[i].keep = r->keep(r->keep_arg, f[i].name, f[i].keep_why, sizeof(f[i].keep_why)) != 0;
    }
    free(info);
    if (r->nlt > n) lt_prune(r, f, n);   /* purged files leave the cache */
    r->nrd = 0;
    if (r->lis) listener_reader_files(r->lis, on_reader, r);
    in->reader_first = n;
    for (size_t k = 0; k < r->nrd; k++) {
        size_t i = 0;
        while (i < n && strcmp(f[i].name, r->rd[k].file)) i++;
        /* A file the index does not list is older than all it lists: a copy restored from
         * the archive (or one a size purge took): every local file is still ahead of it. */
        if (i == n) i = 0;
        if (i < in->reader_first) in->reader_first = i;
    }
    in->files = f;
    in->n = n;
    in->now = now;
    *out = f;
    return 0;
}

static void update_gauges(struct retention *r, const struct purge_file *f, size_t n, int64_t now)
{
    r->st.files = n;
    r->st.disk_bytes = r->st.orig_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        r->st.disk_bytes += f[i].disk;
        r->st.orig_bytes += f[i].size;
    }
    r->st.oldest_age_s = n > 1 && f[0].last_time > 0 && now >= f[0].last_time ? now - f[0].last_time : -1;
    snprintf(r->st.oldest, sizeof(r->st.oldest), "%s", n ? f[0].name : "");
}

/* ---- carrying a plan out ---- */

static void on_step(void *arg, enum purge_step st, size_t i)
{
    struct retention *r = arg;
    if (r->crash_step != (int)st) return;
    if (st == PURGE_STEP_UNLINK && i + 1 != r->crash_n) return;
    log_warn(TAG, "test hook: killing binlogd after purge step %s%s", purge_step_name(st),
             st == PURGE_STEP_UNLINK ? " (as asked)" : "");
    raise(SIGKILL);
}

static void on_done(void *arg, const char *name, uint64_t size)
{
    struct retention *r = arg;
    if (r->done) r->done(r->done_arg, name, size);
}

/* Purge files[0, count). 0, or -1 with err. */
static int execute(struct retention *r, const struct purge_file *f, size_t count, const char *why, char *err,
                   size_t errlen)
{
    struct store_purge_hooks h = {.step = on_step, .done = on_done, .arg = r};
    struct store_purge_result res;
    if (store_purge(r->store, f[count - 1].name, &h, &res, err, errlen) != STORE_OK) {
        r->st.purge_errors++;
        log_error(TAG, "purge up to %s failed: %s", f[count - 1].name, err);
        return -1;
    }
    r->st.files_purged += res.files;
    r->st.bytes_purged += res.bytes;
    r->st.purge_errors += res.unlink_errors;
    log_info(TAG, "purged %zu file(s) %s .. %s (%" PRIu64 " bytes): %s", res.files, f[0].name, f[count - 1].name,
             res.bytes, why);
    return 0;
}

/* Name every connected replica whose file the size rule purged. */
static void log_overridden(struct retention *r, const struct purge_file *f, size_t count)
{
    for (size_t k = 0; k < r->nrd; k++)
        for (size_t i = 0; i < count; i++)
            if (!strcmp(f[i].name, r->rd[k].file)) {
                r->st.readers_overridden++;
                log_warn(TAG, "storage.max_disk_bytes (%" PRIu64 ") purged %s although replica server_id %u (%s) "
                         "is reading it: it reads on to that file's end, then gets the next file if it is still "
                         "here or the archive can restore it, else ERR 1236", r->o.max_disk,
                         f[i].name, r->rd[k].server_id, r->rd[k].host);
            }
}

static const char *stop_text(const struct purge_file *f, size_t i, enum purge_cause c, char *buf, size_t cap)
{
    switch (c) {
    case PURGE_STOP_ACTIVE: return "it is the current active binlog";
    case PURGE_STOP_MIN_FILES: return "it is one of the newest storage.min_files files";
    case PURGE_STOP_READER: return "it is in use by a connected replica";
    case PURGE_STOP_KEEP:
        snprintf(buf, cap, "%s", f[i].keep_why[0] ? f[i].keep_why : "the archive keeps it");
        return buf;
    default: return purge_cause_name(c);
    }
}

void retention_check(struct retention *r)
{
    r->st.runs++;
    int64_t now = (int64_t)time(NULL);
    struct purge_input in;
    struct purge_file *f;
    int64_t cutoff = r->o.expire_s && (uint64_t)now >= r->o.expire_s ? now - (int64_t)r->o.expire_s + 1 : INT64_MIN;
    if (build(r, &in, &f, now, cutoff) == -1) {
        log_warn(TAG, "out of memory planning a purge");
        return;
    }
    update_gauges(r, f, in.n, now);
    in.mode = PURGE_AUTO;
    in.expire_s = r->o.expire_s;
    in.max_disk = r->o.max_disk;
    in.min_files = r->o.min_files;
    uint64_t avail = 0;
    int full = atomic_exchange(&r->disk_full, 0);
    if (r->o.min_free) {
        struct statvfs sv;
        if (statvfs(r->dir, &sv) == 0) {
            avail = (uint64_t)sv.f_bavail * sv.f_frsize;
            if (avail < r->o.min_free) in.want_free = r->o.min_free - avail;
        }
        /* A write failed for want of space although statvfs may still show room (a quota,
         * reserved blocks, the space went between two looks): free a whole min_free_bytes
         * so the paused ingest's next retry fits. */
        if (full && in.want_free < r->o.min_free) in.want_free = r->o.min_free;
    }
    struct purge_plan p;
    purge_plan_make(&in, &p);
    if (p.count) {
        char why[256], err[1024];
        if (p.cause == PURGE_CAUSE_FREE && full)
            log_warn(TAG, "ingest paused on a full disk (%" PRIu64 " bytes free, storage.min_free_bytes = %" PRIu64
                     "): purging the oldest archived files early", avail, r->o.min_free);
        else if (p.cause == PURGE_CAUSE_FREE)
            log_warn(TAG, "only %" PRIu64 " bytes free on the data directory's filesystem (storage.min_free_bytes = "
                     "%" PRIu64 "): purging the oldest files early", avail, r->o.min_free);
        snprintf(why, sizeof(why), "%s", p.cause == PURGE_CAUSE_AGE ? "last event older than storage.expire_logs_seconds"
                 : p.cause == PURGE_CAUSE_SIZE ? "files above storage.max_disk_bytes"
                                               : "free space below storage.min_free_bytes");
        if (p.overridden) log_overridden(r, f, p.count);
        if (execute(r, f, p.count, why, err, sizeof(err)) == 0) {
            update_gauges(r, f + p.count, in.n - p.count, now);
        }
    }
    /* A limit that cannot be met: say which file blocks it, once per file and reason. */
    if (p.stop != PURGE_CAUSE_NONE && p.stop != PURGE_STOP_ACTIVE && p.count < in.n &&
        (in.max_disk || in.want_free)) {
        char buf[PURGE_WHY_MAX], key[sizeof(r->blocked)];
        snprintf(key, sizeof(key), "%s/%s", f[p.count].name, purge_cause_name(p.stop));
        if (strcmp(key, r->blocked)) {
            snprintf(r->blocked, sizeof(r->blocked), "%s", key);
            log_warn(TAG, "%s keeps the binlog files above %s: %s is not purged because %s", in.want_free
                     ? "storage.min_free_bytes" : "storage.max_disk_bytes", in.want_free ? "the free-space floor" :
                     "the size limit", f[p.count].name, stop_text(f, p.count, p.stop, buf, sizeof(buf)));
        }
    } else {
        r->blocked[0] = 0;
    }
    free(f);
}

/* ---- PURGE BINARY LOGS ---- */

void retention_purge_stmt(void *arg, enum stmt_purge_kind kind, const char *to, int64_t before, struct stmt_result *res)
{
    struct retention *r = arg;
    int64_t now = (int64_t)time(NULL);
    struct purge_input in;
    struct purge_file *f;
    if (build(r, &in, &f, now, kind == STMT_PURGE_BEFORE ? before : INT64_MIN) == -1) {
        stmt_errf(res, 1037, "Out of memory");
        return;
    }
    in.mode = kind == STMT_PURGE_TO ? PURGE_TO : PURGE_BEFORE;
    in.before = before;
    if (kind == STMT_PURGE_TO) {
        size_t i = 0;
        while (i < in.n && strcmp(f[i].name, to)) i++;
        if (i == in.n) {
            /* mariadbd: LOG_INFO_EOF -> ER_UNKNOWN_TARGET_BINLOG */
            stmt_errf(res, ER_UNKNOWN_TARGET_BINLOG, "Target log not found in binlog index");
            free(f);
            return;
        }
        in.to_index = i;
    }
    struct purge_plan p;
    purge_plan_make(&in, &p);
    if (p.count) {
        char err[1024];
        if (execute(r, f, p.count, "PURGE BINARY LOGS", err, sizeof(err)) == -1) {
            stmt_errf(res, ER_BINLOG_PURGE_FATAL_ERR, "Fatal error during log purge");
            free(f);
            return;
        }
        update_gauges(r, f + p.count, in.n - p.count, now);
    }
    if (p.stop != PURGE_CAUSE_NONE && p.count < in.n) {
        char buf[PURGE_WHY_MAX];
        const char *name = f[p.count].name;
        /* mariadbd (11.4+) leaves Note 1375 "Binary log '%s' is not purged because ..."; a file
         * the archive holds gets a Warning, so it shows without looking for notes. */
        stmt_warnf(res, p.stop == PURGE_STOP_KEEP ? "Warning" : "Note", ER_BINLOG_PURGE_PROHIBITED,
                   "Binary log '%s' is not purged because %s", name, stop_text(f, p.count, p.stop, buf, sizeof(buf)));
        log_info(TAG, "PURGE BINARY LOGS: %s is not purged because %s", name,
                 stop_text(f, p.count, p.stop, buf, sizeof(buf)));
    }
    stmt_ok(res, 0);
    free(f);
}

/* ---- lifecycle ---- */

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd; (void)what;
    retention_check(arg);
}

struct retention *retention_new(struct event_base *base, struct store *store, struct listener *lis,
                                const char *data_dir, const struct retention_opts *o)
{
    struct retention *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->base = base;
    r->store = store;
    r->lis = lis;
    r->o = *o;
    r->crash_step = -1;
    r->dir = strdup(data_dir);
    r->timer = event_new(base, -1, EV_PERSIST, on_timer, r);
    r->kick = event_new(base, -1, 0, on_timer, r);
    struct timeval tv = {.tv_sec = TICK_MS / 1000, .tv_usec = (TICK_MS % 1000) * 1000};
    if (!r->dir || !r->timer || !r->kick || event_add(r->timer, &tv) == -1) {
        retention_free(r);
        return NULL;
    }
    snprintf(r->writing, sizeof(r->writing), "%s", store_write_file(store));
    return r;
}

void retention_free(struct retention *r)
{
    if (!r) return;
    if (r->timer) event_free(r->timer);
    if (r->kick) event_free(r->kick);
    free(r->lt);
    free(r->rd);
    free(r->dir);
    free(r);
}

void retention_set_opts(struct retention *r, const struct retention_opts *o)
{
    r->o = *o;
    r->blocked[0] = 0;
    event_active(r->kick, EV_TIMEOUT, 0);
}

void retention_set_keep(struct retention *r, purge_keep_fn keep, void *arg)
{
    r->keep = keep;
    r->keep_arg = arg;
}

void retention_set_done(struct retention *r, purge_done_fn done, void *arg)
{
    r->done = done;
    r->done_arg = arg;
}

int retention_set_crash(struct retention *r, const char *spec)
{
    static const enum purge_step steps[] = {PURGE_STEP_INTENT, PURGE_STEP_INDEX, PURGE_STEP_GTID_INDEX,
                                            PURGE_STEP_UNLINK, PURGE_STEP_DONE};
    const char *colon = strchr(spec, ':');
    size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        const char *nm = purge_step_name(steps[i]);
        if (strlen(nm) != nl || strncmp(spec, nm, nl)) continue;
        r->crash_step = (int)steps[i];
        r->crash_n = colon ? strtoul(colon + 1, NULL, 10) : 1;
        if (!r->crash_n) r->crash_n = 1;
        return 0;
    }
    return -1;
}

void retention_notify(struct retention *r, const char *writing_file)
{
    if (!r || !writing_file || !strcmp(writing_file, r->writing)) return;
    snprintf(r->writing, sizeof(r->writing), "%s", writing_file);
    event_active(r->kick, EV_TIMEOUT, 0);   /* a rotation: check now (thread-safe: evthread) */
}

void retention_disk_full(void *arg)
{
    struct retention *r = arg;   /* r->o belongs to the loop thread: the check looks at min_free */
    if (atomic_exchange(&r->disk_full, 1)) return;   /* a check is already on its way */
    event_active(r->kick, EV_TIMEOUT, 0);
}

void retention_stats_get(struct retention *r, struct retention_stats *out) { *out = r->st; }

/* ---- monitoring ---- */

void retention_collect(void *arg, struct prom *p)
{
    struct retention *r = arg;
    const struct retention_stats *s = &r->st;
    /* binlogd_storage_binlog_files / _bytes (metrics.c) already give what the index holds */
    static const struct { const char *name, *help; size_t off; } c[] = {
        {"binlogd_purge_files_total", "binlog files purged (retention and PURGE BINARY LOGS)",
         offsetof(struct retention_stats, files_purged)},
        {"binlogd_purge_bytes_total", "bytes of binlog files purged", offsetof(struct retention_stats, bytes_purged)},
        {"binlogd_purge_errors_total", "purges the store refused and unlinks that failed",
         offsetof(struct retention_stats, purge_errors)},
        {"binlogd_purge_readers_overridden_total",
         "files a connected replica was reading, purged by storage.max_disk_bytes",
         offsetof(struct retention_stats, readers_overridden)},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        if (prom_family(p, c[i].name, PROM_COUNTER, c[i].help) == 0)
            prom_sample_u64(p, "", NULL, 0, *(const uint64_t *)((const char *)s + c[i].off));
    if (prom_family(p, "binlogd_storage_binlog_disk_bytes", PROM_GAUGE,
                    "bytes the binlog files take on disk, a compressed file at its compressed size: what "
                    "storage.max_disk_bytes counts (binlogd_storage_binlog_bytes counts original bytes)") == 0)
        prom_sample_u64(p, "", NULL, 0, s->disk_bytes);
    if (s->oldest_age_s >= 0 && prom_family(p, "binlogd_storage_binlog_oldest_age_seconds", PROM_GAUGE,
                                            "age of the last event of the oldest closed binlog file") == 0)
        prom_sample_u64(p, "", NULL, 0, (uint64_t)s->oldest_age_s);
}

void retention_render(void *arg, const struct ops_snapshot *snap, struct bbuf *out)
{
    (void)snap;   /* the retention's figures are its own, read on the loop thread */
    struct retention *r = arg;
    const struct retention_stats *s = &r->st;
    text_printf(out, "<p>%" PRIu64 " file(s), %" PRIu64 " bytes on disk (what storage.max_disk_bytes counts; %" PRIu64
                " bytes uncompressed); oldest ", s->files, s->disk_bytes, s->orig_bytes);
    html_escape(out, s->oldest[0] ? s->oldest : "-");
    if (s->oldest_age_s >= 0) text_printf(out, " (last event %" PRId64 " s ago)", s->oldest_age_s);
    text_printf(out, ". Purged %" PRIu64 " file(s), %" PRIu64 " bytes; %" PRIu64 " error(s); %" PRIu64
                " replica file(s) overridden by max_disk_bytes.</p>", s->files_purged, s->bytes_purged,
                s->purge_errors, s->readers_overridden);
    text_printf(out, "<p>expire_logs_seconds %" PRIu64 ", max_disk_bytes %" PRIu64 ", min_files %u, "
                "min_free_bytes %" PRIu64 " (0 = off).</p>", r->o.expire_s, r->o.max_disk, r->o.min_files,
                r->o.min_free);
}
