/*
 * compress.c - see compress.h.
 */
#include "server/ops/compress.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "server/log.h"
#include "server/ops/prom.h"
#include "storage/archive_state.h"
#include "storage/store.h"
#include "storage/zcache.h"

#define TAG "compress"
#define PASS_S 10

struct compressor {
    struct store *store;
    struct archive_state *st;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, kick;
    struct compress_opts o;
    struct compress_stats stats;
};

/* Asked by the compression between blocks: a shutdown abandons the file (it stays plain). */
static int stopping(void *arg)
{
    struct compressor *c = arg;
    pthread_mutex_lock(&c->mu);
    int stop = c->stop;
    pthread_mutex_unlock(&c->mu);
    return stop;
}

/* One pass: every candidate, oldest first. Returns how many were compressed. */
static int pass(struct compressor *c, const struct compress_opts *o)
{
    size_t n = store_files(c->store, NULL, 0);
    struct store_file_info *v = n ? calloc(n, sizeof(*v)) : NULL;
    if (!v) return 0;
    size_t total = store_files(c->store, v, n);
    if (total < n) n = total;
    int done = 0, dirfd = store_dir_fd(c->store);
    time_t now = time(NULL);
    for (size_t i = 0; i + 1 < n; i++) {
        pthread_mutex_lock(&c->mu);
        int stop = c->stop;
        pthread_mutex_unlock(&c->mu);
        if (stop) break;
        struct stat sb;
        if (!v[i].sealed || fstatat(dirfd, v[i].name, &sb, AT_SYMLINK_NOFOLLOW) == -1) continue;
        if ((uint64_t)(now - sb.st_mtime) < o->after_s) continue;
        if (c->st && archive_state_must_keep(c->st, v[i].name)) continue;   /* not archived yet */
        char err[768];
        uint64_t orig = 0, stored = 0;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = store_compress_file(c->store, v[i].name, o->block_bytes, o->level, stopping, c, &orig, &stored, err,
                                     sizeof(err));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        pthread_mutex_lock(&c->mu);
        if (rc == 0) {
            c->stats.files++;
            c->stats.orig_bytes += orig;
            c->stats.stored_bytes += stored;
            c->stats.last_error[0] = 0;
        } else if (rc == -1) {
            c->stats.failures++;
            snprintf(c->stats.last_error, sizeof(c->stats.last_error), "%.255s", err);
        }
        pthread_mutex_unlock(&c->mu);
        if (rc == 0) {
            done++;
            log_info(TAG, "%s: compressed %llu bytes to %llu (%.1f%%) in %.2f s", v[i].name, (unsigned long long)orig,
                     (unsigned long long)stored, orig ? 100.0 * (double)stored / (double)orig : 0.0,
                     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
        } else if (rc == -1 && stopping(c)) {
            log_info(TAG, "%s: compression abandoned for the shutdown (the file stays plain)", v[i].name);
            break;
        } else if (rc == -1) {
            log_warn(TAG, "%s: not compressed (retried at the next pass): %s", v[i].name, err);
        }
    }
    free(v);
    return done;
}

static void *compress_main(void *arg)
{
    struct compressor *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        struct compress_opts o = c->o;
        c->kick = 0;
        pthread_mutex_unlock(&c->mu);
        if (o.after_s) pass(c, &o);
        pthread_mutex_lock(&c->mu);
        /* The shortest useful wait: compress_after itself when it is short (tests), else a pass
         * every PASS_S seconds. */
        uint64_t wait_s = o.after_s && o.after_s < PASS_S ? o.after_s : PASS_S;
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += (time_t)wait_s;
        while (!c->stop && !c->kick)
            if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

struct compressor *compress_new(struct store *s, struct archive_state *st, const struct compress_opts *o, char *err,
                                size_t errlen)
{
    struct compressor *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->store = s;
    c->st = st;
    c->o = *o;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    int e = pthread_create(&c->thread, NULL, compress_main, c);
    if (e) {
        snprintf(err, errlen, "cannot start the compressor thread: %s", strerror(e));
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    return c;
}

void compress_free(struct compressor *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void compress_set_opts(struct compressor *c, const struct compress_opts *o)
{
    pthread_mutex_lock(&c->mu);
    c->o = *o;
    c->kick = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void compress_kick(struct compressor *c)
{
    pthread_mutex_lock(&c->mu);
    c->kick = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void compress_get_stats(struct compressor *c, struct compress_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}

void compress_collect(void *arg, struct prom *p)
{
    struct compressor *c = arg;
    struct compress_stats s;
    struct zcache_stats z;
    compress_get_stats(c, &s);
    store_block_cache_stats(c->store, &z);
    prom_scalar_u64(p, "binlogd_compress_files_total", PROM_COUNTER,
                    "binlog files replaced by their compressed form since start", s.files);
    prom_scalar_u64(p, "binlogd_compress_original_bytes_total", PROM_COUNTER,
                    "original bytes of the files compressed since start", s.orig_bytes);
    prom_scalar_u64(p, "binlogd_compress_stored_bytes_total", PROM_COUNTER,
                    "bytes those files take compressed", s.stored_bytes);
    prom_scalar_u64(p, "binlogd_compress_failures_total", PROM_COUNTER,
                    "compressions that failed (retried at the next pass) since start", s.failures);
    prom_scalar_u64(p, "binlogd_block_cache_decompressions_total", PROM_COUNTER,
                    "blocks of compressed binlog files inflated for readers (each cache miss)", z.decompressions);
    prom_scalar_u64(p, "binlogd_block_cache_hits_total", PROM_COUNTER,
                    "reads of compressed binlog files served by an already inflated block", z.hits);
    prom_scalar_u64(p, "binlogd_block_cache_evictions_total", PROM_COUNTER,
                    "inflated blocks evicted to keep storage.block_cache_bytes", z.evictions);
    prom_scalar_u64(p, "binlogd_block_cache_bytes", PROM_GAUGE, "inflated bytes the block cache holds", z.bytes);
    prom_scalar_u64(p, "binlogd_block_cache_capacity_bytes", PROM_GAUGE, "storage.block_cache_bytes", z.capacity);
}
