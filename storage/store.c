/*
 * store.c - see store.h.
 *
 * Offsets of the file being written (all uint64_t, all in the same file):
 *
 *   4 ........ committed ........ boundary ........ disk_end ...... end
 *              (published         (last trx end     (written to     (appended; the bytes
 *               watermark)         appended)         the fd)         [disk_end, end) sit in wbuf)
 *
 * committed <= boundary <= end and disk_end + wlen == end. Readers only ever learn
 * `committed`; everything after it may be rolled back.
 *
 * Error policy (store.h): ENOSPC/EDQUOT while writing data or creating a file rolls the
 * file back to `committed` (every unpublished byte, complete or not: the upstream resends
 * them from the resume point) and returns STORE_NOSPACE; any other write error, any
 * fsync/fdatasync error and any failed truncate or rename poisons the store (STORE_FATAL
 * now and for every later writer call).
 *
 * Sync modes: TRX fdatasyncs at every store_sync that has complete bytes pending. INTERVAL
 * fdatasyncs only when sync_interval_ms have passed since the previous one and publishes
 * only what it synced: a store_sync before that is a no-op, so the caller must call it again
 * later (e.g. on a heartbeat or read timeout) or the tail stays invisible. NONE never
 * fdatasyncs data and publishes at transaction ends. Closing a file (store_file_begin)
 * syncs it whatever the interval (not in NONE), and new files are always created with
 * fsync + directory fsync in every mode: the file structure is never left to chance.
 */
#include "storage/store.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/checksum.h"
#include "protocol/trx.h"
#include "storage/binlog_file.h"
#include "storage/fsio.h"
#include "storage/index.h"
#include "storage/owned.h"
#include "storage/store_priv.h"

const char *store_result_name(enum store_result r)
{
    switch (r) {
    case STORE_OK: return "ok";
    case STORE_REFUSED: return "refused";
    case STORE_NOSPACE: return "no_space";
    case STORE_FATAL: return "fatal";
    }
    return "?";
}

void store_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void store_warnf(struct store *s, const char *fmt, ...)
{
    if (!s->warn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->warn(s->warn_arg, msg);
}

static int is_nospace(int e) { return e == ENOSPC || e == EDQUOT; }

enum store_result store_poisonf(struct store *s, char *err, size_t errlen, const char *fmt, ...)
{
    if (!s->poisoned) {
        s->poisoned = 1;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->poison, sizeof(s->poison), fmt, ap);
        va_end(ap);
    }
    store_seterr(err, errlen, "%s", s->poison);
    return STORE_FATAL;
}

static enum store_result check_poisoned(const struct store *s, char *err, size_t errlen)
{
    if (!s->poisoned) return STORE_OK;
    store_seterr(err, errlen, "store stopped after an I/O error: %s", s->poison);
    return STORE_FATAL;
}

/* ---- reader-visible state ---- */

int store_files_push(struct store *s, const char *name, uint64_t size, int sealed)
{
    if (s->nfiles == s->fcap) {
        size_t nc = s->fcap ? s->fcap * 2 : 16;
        struct store_file_info *nf = realloc(s->files, nc * sizeof(*nf));
        if (!nf) return -1;
        s->files = nf;
        s->fcap = nc;
    }
    struct store_file_info *f = &s->files[s->nfiles++];
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->size = size;
    f->sealed = sealed;
    f->verified = 0;   /* callers that checked the bytes say so */
    return 0;
}

/* Move the watermark to (cur, committed) and wake the readers. */
static void publish(struct store *s)
{
    pthread_mutex_lock(&s->mu);
    snprintf(s->wm.file, sizeof(s->wm.file), "%s", s->cur);
    s->wm.offset = s->committed;
    s->wm.generation++;
    if (s->end_type == EV_ROTATE && s->committed == s->end) {
        snprintf(s->wm_next, sizeof(s->wm_next), "%s", s->rot_name);
        s->wm_next_pos = s->rot_pos;
    } else {
        s->wm_next[0] = 0;
    }
    if (s->nfiles) {
        s->files[s->nfiles - 1].size = s->committed;
        s->files[s->nfiles - 1].sealed = s->end_type != 0 || s->closed;
        /* The writer's file is verified to its end: recovery scanned what was there, and
         * everything appended since was CRC-checked on arrival. */
        s->files[s->nfiles - 1].verified = s->committed;
    }
    store_gtid_publish_locked(s);
    pthread_mutex_unlock(&s->mu);
    if (s->notify) s->notify(s->notify_arg);
}

/* ---- writer internals ---- */

/* Forget everything after `to` (a boundary). torn: a write just failed part-way, so the
 * file may hold bytes past disk_end and must be truncated whatever disk_end says. */
static int cut_back(struct store *s, uint64_t to, int torn, char *err, size_t errlen)
{
    if (to >= s->disk_end && !torn) {
        s->wlen = (size_t)(to - s->disk_end);
    } else {
        enum fsio_op op;
        if (binlog_file_truncate(s->fd, to, 0, &op) == -1) {
            store_poisonf(s, err, errlen, "%s:%llu: cannot truncate the tail back (%s): %s", s->cur,
                          (unsigned long long)to, fsio_op_name(op), strerror(errno));
            return -1;
        }
        s->wlen = 0;
        s->disk_end = to;
    }
    if (to < s->end) {   /* a ROTATE/STOP is always the last event: if bytes go, it goes */
        s->end_type = 0;
        s->rot_name[0] = 0;
    }
    s->end = s->boundary = to;
    trx_init(&s->trx);
    store_gtid_rollback(s, torn);
    return 0;
}

/* A data write failed with errno e at off: roll back on disk-full, poison otherwise. */
static enum store_result write_failed(struct store *s, int e, uint64_t off, size_t len, char *err, size_t errlen)
{
    if (is_nospace(e)) {
        uint64_t had = s->end;
        if (cut_back(s, s->committed, 1, err, errlen) == -1) return STORE_FATAL;
        store_seterr(err, errlen,
                     "%s:%llu: disk full writing %zu bytes (%s); rolled back %llu unpublished bytes to %llu", s->cur,
                     (unsigned long long)off, len, strerror(e), (unsigned long long)(had - s->committed),
                     (unsigned long long)s->committed);
        return STORE_NOSPACE;
    }
    return store_poisonf(s, err, errlen, "%s:%llu: write of %zu bytes failed: %s", s->cur, (unsigned long long)off,
                         len, strerror(e));
}

enum store_result store_flush_buf(struct store *s, char *err, size_t errlen)
{
    if (!s->wlen) return STORE_OK;
    if (binlog_file_append(s->fd, s->disk_end, s->wbuf, s->wlen) == -1)
        return write_failed(s, errno, s->disk_end, s->wlen, err, errlen);
    s->disk_end += s->wlen;
    s->wlen = 0;
    return STORE_OK;
}

static enum store_result put_bytes(struct store *s, const uint8_t *ev, size_t len, char *err, size_t errlen)
{
    enum store_result r;
    if (s->wlen + len > STORE_WBUF && (r = store_flush_buf(s, err, errlen)) != STORE_OK) return r;
    if (len > STORE_WBUF) {   /* big event: straight to the file, no copy */
        if (binlog_file_append(s->fd, s->disk_end, ev, len) == -1)
            return write_failed(s, errno, s->disk_end, len, err, errlen);
        s->disk_end += len;
        return STORE_OK;
    }
    memcpy(s->wbuf + s->wlen, ev, len);
    s->wlen += len;
    return STORE_OK;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Make [committed, boundary) durable per the policy (force: whatever the interval), seal a
 * finished file, publish. */
static enum store_result sync_now(struct store *s, int force, char *err, size_t errlen)
{
    enum store_result r = check_poisoned(s, err, errlen);
    if (r != STORE_OK || s->fd == -1 || s->closed) return r;
    if (s->boundary == s->committed && (!s->end_type || s->sealed)) return STORE_OK;
    if (!force && s->sync_mode == STORE_SYNC_INTERVAL && s->synced_once &&
        now_ms() - s->last_sync_ms < s->interval_ms)
        return STORE_OK;
    /* sync=none still syncs a file once when it is finished: otherwise a power loss could empty
     * whole closed files, and recovery only scans the last one. */
    int finishing = s->end_type && s->boundary == s->end && !s->sealed;
    int do_sync = s->sync_mode != STORE_SYNC_NONE || finishing, was_sealed = s->sealed;
    /* The file write first: if it fails (disk full) the batch is rolled back before any
     * journal record describes it, so no record can ever bring back bytes that were cut. */
    /* The batch's bytes, when the write buffer holds all of them: they stay there after the
     * flush (until the next append), and the journal copies them from there. */
    const uint8_t *mem = s->disk_end <= s->committed && s->boundary <= s->disk_end + s->wlen
                             ? s->wbuf + (s->committed - s->disk_end) : NULL;
    if ((r = store_flush_buf(s, err, errlen)) != STORE_OK) return r;
    /* A small batch is made durable by the commit journal (an overwrite: no size change for
     * the filesystem to commit); a finished file always by its own fdatasync. */
    int journaled = do_sync && !finishing ? store_journal_try(s, mem, err, errlen) : 0;
    if (journaled == -1) return STORE_FATAL;
    if (do_sync && !journaled) {
        if (fsio_fdatasync(s->fd) == -1)
            return store_poisonf(s, err, errlen, "%s:%llu: fdatasync failed: %s (the kernel may have dropped the "
                                 "written pages; restart to re-verify the tail)", s->cur,
                                 (unsigned long long)s->committed, strerror(errno));
        store_journal_file_synced(s);
    }
    s->last_sync_ms = now_ms();
    s->synced_once = 1;
    /* The ROTATE/STOP is durable now: seal, so a crash leaves either an open file with its
     * last event or a closed one, never a closed file missing its ROTATE. */
    if (s->end_type && s->boundary == s->end && !s->sealed) {
        enum fsio_op op;
        if (binlog_file_set_in_use(s->fd, 0, do_sync, &op) == -1)
            return store_poisonf(s, err, errlen, "%s:%d: cannot clear IN_USE (%s): %s", s->cur,
                                 BINLOG_IN_USE_OFFSET, fsio_op_name(op), strerror(errno));
        s->sealed = 1;
    }
    s->committed = s->boundary;
    publish(s);
    if (s->sealed && !was_sealed) store_gtid_save(s);   /* a finished file's entry is final */
    return STORE_OK;
}

/* ---- writer API ---- */

enum store_result store_sync(struct store *s, char *err, size_t errlen)
{
    return sync_now(s, 0, err, errlen);
}

enum store_result store_rollback_partial(struct store *s, char *err, size_t errlen)
{
    enum store_result r = check_poisoned(s, err, errlen);
    if (r != STORE_OK || s->fd == -1 || s->closed || s->boundary == s->end) return r;
    return cut_back(s, s->boundary, 0, err, errlen) == -1 ? STORE_FATAL : STORE_OK;
}

/* Refusals that come before the event is looked at; STORE_OK to go on. */
static enum store_result writable(struct store *s, char *err, size_t errlen)
{
    enum store_result r = check_poisoned(s, err, errlen);
    if (r != STORE_OK) return r;
    if (s->fd == -1 || s->closed) {
        store_seterr(err, errlen, "%s:%llu: no file is open for writing (a new file must begin with its "
               "FORMAT_DESCRIPTION)", s->cur[0] ? s->cur : "(empty store)", (unsigned long long)s->end);
        return STORE_REFUSED;
    }
    return STORE_OK;
}

static enum store_result bad_event(struct store *s, size_t len, const char *why, char *err, size_t errlen)
{
    store_seterr(err, errlen, "%s:%llu: bad event (%zu bytes): %s", s->cur, (unsigned long long)s->end, len, why);
    return STORE_REFUSED;
}

enum store_result store_append(struct store *s, const uint8_t *ev, size_t len, char *err, size_t errlen)
{
    enum store_result r = writable(s, err, errlen);
    if (r != STORE_OK) return r;
    struct ev_view v;
    const char *why = NULL;
    int vr = ev_view_parse(&v, ev, len, NULL, &why);
    if (vr != EV_OK) return bad_event(s, len, vr == EV_VIEW_BAD_SIZE ? "event_size does not match the length" : why,
                                      err, errlen);
    return store_append_view(s, &v, err, errlen);
}

enum store_result store_append_view(struct store *s, const struct ev_view *ev, char *err, size_t errlen)
{
    enum store_result r = writable(s, err, errlen);
    if (r != STORE_OK) return r;
    size_t len = ev->len;
    const struct ev_header h = ev->h;
    const char *why = NULL;
    /* A guard on the view's invariant, not a second parse: a hand-made view must not put
     * bytes in the file that disagree with the header the checks below read. */
    if (!ev->buf || len < EV_HEADER_LEN || len != h.event_size)
        return bad_event(s, len, "event_size does not match the length", err, errlen);
    if (s->end_type) {
        store_seterr(err, errlen, "%s:%llu: %s event after the file's %s; nothing may follow it", s->cur,
               (unsigned long long)s->end, ev_type_name(h.type), ev_type_name(s->end_type));
        return STORE_REFUSED;
    }
    uint32_t want = (uint32_t)(s->end + len);   /* log_pos is 32 bits: wraps past 4 GiB */
    if (h.log_pos != want) {
        store_seterr(err, errlen, "%s:%llu: expected log_pos %u, got %u (%s event of %zu bytes)", s->cur,
               (unsigned long long)s->end, want, h.log_pos, ev_type_name(h.type), len);
        return STORE_REFUSED;
    }
    if ((h.flags & EV_F_ARTIFICIAL) || h.type == EV_FORMAT_DESCRIPTION) {
        store_seterr(err, errlen, "%s:%llu: %s%s event cannot be stored mid-file", s->cur, (unsigned long long)s->end,
               (h.flags & EV_F_ARTIFICIAL) ? "artificial " : "", ev_type_name(h.type));
        return STORE_REFUSED;
    }
    struct trx_parser next = s->trx;
    enum trx_verdict v = trx_feed_view(&next, ev, &s->fmt, &why);
    if (v == TRX_BAD) {
        store_seterr(err, errlen, "%s:%llu: %s event breaks the transaction sequence: %s", s->cur,
               (unsigned long long)s->end, ev_type_name(h.type), why ? why : "?");
        return STORE_REFUSED;
    }
    struct ev_rotate rot = {0};
    if (h.type == EV_ROTATE || h.type == EV_STOP) {
        const char *nwhy = "bad file name";
        why = NULL;
        if (v == TRX_INSIDE) {
            store_seterr(err, errlen, "%s:%llu: %s inside an open transaction", s->cur, (unsigned long long)s->end,
                   ev_type_name(h.type));
            return STORE_REFUSED;
        }
        if (h.type == EV_ROTATE && (ev_view_rotate(ev, &s->fmt, &rot, &why) != EV_OK ||
                                    index_name_check(rot.name, rot.name_len, &nwhy) == -1)) {
            store_seterr(err, errlen, "%s:%llu: bad ROTATE event: %s", s->cur, (unsigned long long)s->end,
                   why ? why : nwhy);
            return STORE_REFUSED;
        }
    }
    if ((r = put_bytes(s, ev->buf, len, err, errlen)) != STORE_OK) return r;
    store_gtid_append(s, ev, v);
    s->trx = next;
    s->last_verdict = v;
    s->end += len;
    if (v == TRX_GROUP_END || v == TRX_OUTSIDE) s->boundary = s->end;
    if (h.type == EV_ROTATE || h.type == EV_STOP) {
        s->end_type = h.type;
        if (h.type == EV_ROTATE) {
            memcpy(s->rot_name, rot.name, rot.name_len);
            s->rot_name[rot.name_len] = 0;
            s->rot_pos = rot.position;
        }
    }
    return STORE_OK;
}

uint64_t store_pending_partial(const struct store *s) { return s->end - s->boundary; }
int store_last_verdict(const struct store *s) { return s->last_verdict; }
uint64_t store_pending_complete(const struct store *s) { return s->boundary - s->committed; }
uint64_t store_write_offset(const struct store *s) { return s->cur[0] ? s->end : 0; }
const char *store_write_file(const struct store *s) { return s->cur; }
const struct ev_fmt *store_write_fmt(const struct store *s) { return s->have_fmt ? &s->fmt : NULL; }
int store_write_sealed(const struct store *s) { return s->end_type != 0; }

void store_set_notify(struct store *s, void (*fn)(void *arg), void *arg)
{
    s->notify = fn;
    s->notify_arg = arg;
}

int store_resume_point(struct store *s, char *file, size_t cap, uint64_t *pos)
{
    if (!s->cur[0]) return -1;
    if (s->end_type == EV_ROTATE) {
        snprintf(file, cap, "%s", s->rot_name);
        *pos = s->rot_pos;
    } else {
        /* Our copy ends here (after store_rollback_partial: at a boundary). Bytes past the
         * watermark that are complete but not yet synced are kept, so resume after them. */
        snprintf(file, cap, "%s", s->cur);
        *pos = s->end;
    }
    return 0;
}

/* Close the current file for good: drop a partial transaction (it can never complete now),
 * make the rest durable, seal it if it ended with ROTATE/STOP (else it keeps IN_USE, like a
 * primary's file after a crash). */
static enum store_result close_current(struct store *s, char *err, size_t errlen)
{
    if (s->fd == -1 || s->closed) return STORE_OK;
    int was_sealed = s->sealed;   /* sealing already wrote the GTID index */
    enum store_result r = store_rollback_partial(s, err, errlen);
    if (r == STORE_OK) r = sync_now(s, 1, err, errlen);
    if (r != STORE_OK) return r;
    /* See sync_now: once per file. With the journal, the file's last batches may be durable
     * only there, and the ring is restarted by the next file's fdatasync. */
    if ((s->sync_mode == STORE_SYNC_NONE || s->jr) && fsio_fdatasync(s->fd) == -1)
        return store_poisonf(s, err, errlen, "%s: fdatasync before closing failed: %s", s->cur, strerror(errno));
    close(s->fd);
    s->fd = -1;
    s->closed = 1;
    pthread_mutex_lock(&s->mu);
    if (s->nfiles) s->files[s->nfiles - 1].sealed = 1;
    pthread_mutex_unlock(&s->mu);
    if (!was_sealed) store_gtid_save(s);
    return STORE_OK;
}

/* Validate a new file's name and FDE; fill *fmt. */
static enum store_result check_new_file(struct store *s, const char *name, const uint8_t *fde, size_t len,
                                        struct ev_fmt *fmt, char *err, size_t errlen)
{
    const char *why = NULL;
    size_t nl = strlen(name);
    if (index_name_check(name, nl, &why) == -1) {
        store_seterr(err, errlen, "%.*s:4: refused file name: %s", EV_MAX_NAME_LEN, name, why);
        return STORE_REFUSED;
    }
    if (nl + strlen(FSIO_TMP_PREFIX) > NAME_MAX) {
        store_seterr(err, errlen, "%s:4: file name too long for the filesystem", name);
        return STORE_REFUSED;
    }
    if (nl >= strlen(INDEX_SUFFIX) && !strcmp(name + nl - strlen(INDEX_SUFFIX), INDEX_SUFFIX)) {
        store_seterr(err, errlen, "%s:4: a binlog name ending in %s would be confused with the index", name,
                     INDEX_SUFFIX);
        return STORE_REFUSED;
    }
    long at = index_find(s->index, name);
    int orphan_retry = s->orphan_tail && at == (long)s->index->n - 1;
    if (at != -1 && !orphan_retry) {
        store_seterr(err, errlen, "%s:4: already in the index; refusing to overwrite an existing file", name);
        return STORE_REFUSED;
    }
    struct stat st;
    if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
        store_seterr(err, errlen, "%s:4: a file of that name already exists in %s but is not in the index", name,
                     s->dir);
        return STORE_REFUSED;
    }
    char b1[EV_MAX_NAME_LEN + 1], b2[EV_MAX_NAME_LEN + 1];
    uint64_t n1, n2;
    if (s->cur[0] && index_split_name(s->cur, b1, sizeof(b1), &n1) == 0 &&
        index_split_name(name, b2, sizeof(b2), &n2) == 0 && !strcmp(b1, b2) && n2 <= n1) {
        store_seterr(err, errlen, "%s:4: file number goes backwards (after %s); refusing a different history", name,
               s->cur);
        return STORE_REFUSED;
    }
    struct ev_header h;
    struct ev_fde f;
    why = NULL;
    if (len < EV_HEADER_LEN || len > UINT32_MAX || ev_header_parse(fde, len, &h, &why) != EV_OK ||
        h.type != EV_FORMAT_DESCRIPTION || h.event_size != len) {
        store_seterr(err, errlen, "%s:4: not a FORMAT_DESCRIPTION event: %s", name, why ? why : "wrong type or size");
        return STORE_REFUSED;
    }
    if (h.log_pos != BINLOG_MAGIC_LEN + len) {
        store_seterr(err, errlen, "%s:4: expected log_pos %zu, got %u", name, BINLOG_MAGIC_LEN + len, h.log_pos);
        return STORE_REFUSED;
    }
    if (ev_fde_parse(fde, len, &f, &why) != EV_OK) {
        store_seterr(err, errlen, "%s:4: bad FORMAT_DESCRIPTION: %s", name, why ? why : "?");
        return STORE_REFUSED;
    }
    if (f.has_checksum_alg && ev_crc32_verify(fde, len) != 0) {
        store_seterr(err, errlen, "%s:4: CRC32 mismatch in FORMAT_DESCRIPTION", name);
        return STORE_REFUSED;
    }
    ev_fmt_from_fde(fmt, &f);
    return STORE_OK;
}

/* Put name at the end of the on-disk index (dropping an orphan entry left by a failed
 * create for another name). */
static enum store_result index_add(struct store *s, const char *name, char *err, size_t errlen)
{
    char orphan[EV_MAX_NAME_LEN + 1] = "";
    if (s->orphan_tail && s->index->n && !strcmp(s->index->names[s->index->n - 1], name)) return STORE_OK;
    if (!s->index_name[0]) {
        char base[EV_MAX_NAME_LEN + 1];
        uint64_t num;
        if (index_split_name(name, base, sizeof(base), &num) == -1) snprintf(base, sizeof(base), "%s", name);
        snprintf(s->index_name, sizeof(s->index_name), "%s%s", base, INDEX_SUFFIX);
    }
    if (s->orphan_tail && s->index->n) {
        snprintf(orphan, sizeof(orphan), "%s", s->index->names[s->index->n - 1]);
        index_remove(s->index, s->index->n - 1);
    }
    if (index_append(s->index, name) == -1) {
        if (orphan[0]) (void)index_append(s->index, orphan);
        store_seterr(err, errlen, "%s:4: out of memory", name);
        return STORE_NOSPACE;
    }
    enum fsio_op op;
    char ierr[768];
    if (index_save(s->index, s->dirfd, s->index_name, &op, ierr, sizeof(ierr)) == -1) {
        int e = errno;
        index_remove(s->index, s->index->n - 1);
        if (orphan[0]) (void)index_append(s->index, orphan);
        if (is_nospace(e) && (op == FSIO_OP_WRITE || op == FSIO_OP_OPEN)) {
            store_seterr(err, errlen, "%s:4: disk full adding it to the index: %s", name, ierr);
            return STORE_NOSPACE;
        }
        return store_poisonf(s, err, errlen, "%s:4: cannot add it to the index: %s", name, ierr);
    }
    s->orphan_tail = 1;   /* until the file exists */
    return STORE_OK;
}

static enum store_result file_begin(struct store *s, const char *name, const uint8_t *fde, size_t len, char *err,
                                    size_t errlen);

enum store_result store_file_begin(struct store *s, const char *name, const uint8_t *fde, size_t len, char *err,
                                   size_t errlen)
{
    /* The index changes: not while a purge rewrites it (purge.c). */
    pthread_mutex_lock(&s->dirmu);
    enum store_result r = file_begin(s, name, fde, len, err, errlen);
    pthread_mutex_unlock(&s->dirmu);
    return r;
}

static enum store_result file_begin(struct store *s, const char *name, const uint8_t *fde, size_t len, char *err,
                                    size_t errlen)
{
    enum store_result r = check_poisoned(s, err, errlen);
    if (r != STORE_OK) return r;
    struct ev_fmt fmt;
    if ((r = check_new_file(s, name, fde, len, &fmt, err, errlen)) != STORE_OK) return r;
    if ((r = close_current(s, err, errlen)) != STORE_OK) return r;
    /* Index first: a crash before the file exists leaves an entry recovery drops, never a
     * file the index does not know. */
    if ((r = index_add(s, name, err, errlen)) != STORE_OK) return r;
    enum fsio_op op = FSIO_OP_OPEN;
    int fd = binlog_file_create(s->dirfd, name, fde, len, &op);
    if (fd == -1) {
        int e = errno;
        if (is_nospace(e) && (op == FSIO_OP_WRITE || op == FSIO_OP_OPEN)) {
            store_seterr(err, errlen, "%s:0: disk full creating the file: %s", name, strerror(e));
            return STORE_NOSPACE;
        }
        return store_poisonf(s, err, errlen, "%s:0: cannot create the file (%s): %s", name, fsio_op_name(op),
                             strerror(e));
    }
    store_owned_set(s, name, fd);   /* its torn tails are binlogd's own (owned.c) */
    pthread_mutex_lock(&s->mu);
    int pushed = store_files_push(s, name, BINLOG_MAGIC_LEN + len, 0);
    if (pushed == 0) s->files[s->nfiles - 1].verified = BINLOG_MAGIC_LEN + len;   /* checked on arrival */
    pthread_mutex_unlock(&s->mu);
    if (pushed == -1) {
        close(fd);
        return store_poisonf(s, err, errlen, "%s:0: out of memory", name);
    }
    s->orphan_tail = 0;
    s->fd = fd;
    s->closed = 0;
    snprintf(s->cur, sizeof(s->cur), "%s", name);
    s->end = s->disk_end = s->boundary = s->committed = BINLOG_MAGIC_LEN + len;
    s->wlen = 0;
    s->fmt = fmt;
    s->have_fmt = 1;
    trx_init(&s->trx);
    s->end_type = 0;
    s->sealed = 0;
    s->rot_name[0] = 0;
    s->rot_pos = 0;
    store_gtid_file_begin(s);
    store_gpos_file_begin(s, fde, len);
    /* The FDE is durable (created with fsync) and outside any group: readers may see it. */
    publish(s);
    return STORE_OK;
}

/* ---- readers ---- */

void store_watermark_get(struct store *s, struct store_watermark *wm)
{
    pthread_mutex_lock(&s->mu);
    *wm = s->wm;
    pthread_mutex_unlock(&s->mu);
}

size_t store_files(struct store *s, struct store_file_info *out, size_t cap)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->nfiles;
    if (out && cap && n) memcpy(out, s->files, (n < cap ? n : cap) * sizeof(*out));   /* files is NULL while empty */
    pthread_mutex_unlock(&s->mu);
    return n;
}

int store_file_lookup(struct store *s, const char *name, struct store_file_info *info)
{
    int rc = -1;
    pthread_mutex_lock(&s->mu);
    for (size_t i = s->nfiles; i-- > 0;)
        if (!strcmp(s->files[i].name, name)) {
            if (info) *info = s->files[i];
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_announced_next(struct store *s, char *name, size_t cap, uint64_t *pos, struct store_file_info *last)
{
    int rc = -1;
    pthread_mutex_lock(&s->mu);
    if (s->wm_next[0] && s->nfiles && !strcmp(s->files[s->nfiles - 1].name, s->wm.file)) {
        snprintf(name, cap, "%s", s->wm_next);
        *pos = s->wm_next_pos;
        *last = s->files[s->nfiles - 1];
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int store_file_next(struct store *s, const char *name, struct store_file_info *next)
{
    int rc = -1;
    pthread_mutex_lock(&s->mu);
    for (size_t i = s->nfiles; i-- > 0;)
        if (!strcmp(s->files[i].name, name)) {
            if (i + 1 < s->nfiles) {
                *next = s->files[i + 1];
                rc = 0;
            }
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

uint64_t store_file_mark_verified(struct store *s, const char *name, uint64_t upto)
{
    uint64_t now = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = s->nfiles; i-- > 0;)
        if (!strcmp(s->files[i].name, name)) {
            struct store_file_info *f = &s->files[i];
            if (upto > f->size) upto = f->size;
            if (upto > f->verified) f->verified = upto;
            now = f->verified;
            break;
        }
    pthread_mutex_unlock(&s->mu);
    return now;
}

int store_dir_fd(const struct store *s) { return s->dirfd; }

/* Open name for readers: the plain file, else name.z. Caller holds s->mu. 0, or -1 with errno. */
static int open_src(struct store *s, const char *name, struct bsrc *out)
{
    char zname[EV_MAX_NAME_LEN + 8], zerr[256];
    out->z = NULL;
    out->fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (out->fd != -1) return 0;
    if (errno != ENOENT || zfile_name(name, zname, sizeof(zname)) == -1) return -1;
    int fd = openat(s->dirfd, zname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd == -1) {
        /* Compressed between the two opens: the plain file is gone, name.z is there now. */
        if (errno != ENOENT || (out->fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) != -1)
            return out->fd != -1 ? 0 : -1;
        if ((fd = openat(s->dirfd, zname, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) return -1;
    }
    if (!(out->z = zfile_open(fd, s->zc, zerr, sizeof(zerr)))) {
        store_warnf(s, "%s/%s: cannot read the compressed file: %s", s->dir, zname, zerr);
        errno = EIO;
        return -1;
    }
    return 0;
}

int store_reader_src_get(struct store *s, const char *name, struct bsrc *out)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nrfds; i++)
        if (!strcmp(s->rfds[i].name, name)) {
            s->rfds[i].refs++;
            *out = s->rfds[i].src;
            pthread_mutex_unlock(&s->mu);
            return 0;
        }
    int rc = -1, e = ENOMEM;
    if (s->nrfds == s->caprfds) {
        size_t cap = s->caprfds ? s->caprfds * 2 : 8;
        struct store_rfd *v = realloc(s->rfds, cap * sizeof(*v));
        if (!v) goto out;
        s->rfds = v;
        s->caprfds = cap;
    }
    struct bsrc src;
    rc = open_src(s, name, &src);
    e = errno;
    if (rc == -1) goto out;
    struct store_rfd *r = &s->rfds[s->nrfds++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->src = src;
    r->refs = 1;
    *out = src;
out:
    pthread_mutex_unlock(&s->mu);
    if (rc == -1) errno = e;
    return rc;
}

void store_reader_src_put(struct store *s, const char *name)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nrfds; i++) {
        if (strcmp(s->rfds[i].name, name)) continue;
        if (--s->rfds[i].refs == 0) {
            bsrc_close(&s->rfds[i].src);
            s->rfds[i] = s->rfds[--s->nrfds];
        }
        break;
    }
    pthread_mutex_unlock(&s->mu);
}

int store_reader_fd_get(struct store *s, const char *name)
{
    struct bsrc b;
    if (store_reader_src_get(s, name, &b) == -1) return -1;
    if (b.z) {
        store_reader_src_put(s, name);
        errno = EMEDIUMTYPE;
        return -1;
    }
    return b.fd;
}

void store_reader_fd_put(struct store *s, const char *name) { store_reader_src_put(s, name); }

struct zcache *store_block_cache(struct store *s) { return s->zc; }

void store_block_cache_stats(struct store *s, struct zcache_stats *out)
{
    if (s->zc) zcache_get_stats(s->zc, out);
    else memset(out, 0, sizeof(*out));
}

void store_block_cache_set(struct store *s, uint64_t bytes)
{
    if (s->zc) zcache_set_capacity(s->zc, bytes);
}

int store_compress_file(struct store *s, const char *name, uint32_t block_size, int level, int (*stop)(void *arg),
                        void *stop_arg, uint64_t *orig, uint64_t *stored, char *err, size_t errlen)
{
    struct store_file_info fi = {0};
    int last = 0, found = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nfiles; i++)
        if (!strcmp(s->files[i].name, name)) {
            fi = s->files[i];
            found = 1;
            last = i + 1 == s->nfiles;
        }
    pthread_mutex_unlock(&s->mu);
    if (!found || last || !fi.sealed) {
        store_seterr(err, errlen, "%s: %s", name, !found ? "not in the index" : last ? "is the newest file" : "not sealed");
        return -1;
    }
    struct stat st;
    if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT) return 1;
    *orig = fi.size;
    if (zfile_compress_to(s->dirfd, name, fi.size, block_size, level, stop, stop_arg, stored, err, errlen) == -1)
        return -1;
    char zname[EV_MAX_NAME_LEN + 8];
    (void)zfile_name(name, zname, sizeof(zname));
    pthread_mutex_lock(&s->dirmu);
    int still = index_find(s->index, name) != -1;
    int rc = 0;
    if (!still) {
        /* A purge took it while it was being compressed: the copy goes too. */
        (void)fsio_unlink(s->dirfd, zname);
        store_seterr(err, errlen, "%s: purged while being compressed", name);
        rc = -1;
    } else if (fsio_unlink(s->dirfd, name) == -1 || fsio_fsync(s->dirfd) == -1) {
        /* Both forms stay: the next start keeps the plain file and removes name.z. */
        store_seterr(err, errlen, "%s: compressed to %s but the plain file cannot be removed: %s", name, zname,
                     strerror(errno));
        rc = -1;
    }
    pthread_mutex_unlock(&s->dirmu);
    return rc;
}

enum store_result store_withdraw_tail(struct store *s, uint64_t to, const char *keep_name, char *err, size_t errlen)
{
    enum store_result r = check_poisoned(s, err, errlen);
    if (r != STORE_OK) return r;
    if (s->fd == -1 || s->closed || to >= s->committed || to <= BINLOG_MAGIC_LEN || !s->have_fmt) {
        store_seterr(err, errlen, "%s:%llu: cannot withdraw: not inside the committed bytes of the file being written",
                     s->cur, (unsigned long long)to);
        return STORE_REFUSED;
    }
    if ((r = store_flush_buf(s, err, errlen)) != STORE_OK) return r;
    /* Keep the withdrawn bytes for the operator: they may hold transactions the primary
     * acknowledged and then lost. Durable before anything is cut. */
    uint64_t n = s->end - to;
    uint8_t *buf = malloc(n ? n : 1);
    size_t got = 0;
    if (!buf) return store_poisonf(s, err, errlen, "%s: out of memory withdrawing %llu bytes", s->cur, (unsigned long long)n);
    int kfd = -1;
    if (fsio_pread_all(s->fd, buf, n, to, &got) == -1 || got != n ||
        (kfd = fsio_open(s->dirfd, keep_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) == -1 ||
        fsio_pwrite_all(kfd, buf, n, 0) == -1 || fsio_fsync(kfd) == -1 || fsio_fsync(s->dirfd) == -1) {
        int e = errno;
        free(buf);
        if (kfd != -1) close(kfd);
        store_seterr(err, errlen, "%s: cannot keep the withdrawn bytes in %s: %s (nothing withdrawn)", s->cur, keep_name,
                     strerror(e));
        return STORE_REFUSED;
    }
    free(buf);
    close(kfd);
    if ((r = store_journal_drop(s, err, errlen)) != STORE_OK) return r;
    if (cut_back(s, to, 1, err, errlen) == -1) return STORE_FATAL;
    if (fsio_fdatasync(s->fd) == -1)
        return store_poisonf(s, err, errlen, "%s:%llu: fdatasync after withdrawing the tail failed: %s", s->cur,
                             (unsigned long long)to, strerror(errno));
    s->committed = to;
    s->sealed = 0;
    pthread_mutex_lock(&s->mu);
    if (s->nfiles && s->files[s->nfiles - 1].verified > to) s->files[s->nfiles - 1].verified = to;
    pthread_mutex_unlock(&s->mu);
    publish(s);
    store_gtid_save(s);
    return STORE_OK;
}
