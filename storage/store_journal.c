/*
 * store_journal.c - the store's use of the commit journal (journal.h): writing a batch's
 * record at sync time, writing records back into their files at open, and dropping the
 * records before the store cuts bytes they describe.
 *
 * Write-path policy: a failed journal write or fdatasync poisons the store exactly like a
 * failed fdatasync of the binlog file (the batch is not durable and the kernel may have
 * dropped pages: exit, restart, re-verify). A batch the journal cannot take (too big, its
 * bytes no longer all in the write buffer or the page cache read fails, ring full) is made
 * durable by the binlog file's own fdatasync, after which the ring starts a new lap.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/binlog_file.h"
#include "storage/journal.h"
#include "storage/store_priv.h"

struct replay {
    struct store *s;
    char *err;
    size_t errlen;
    struct touched { char name[EV_MAX_NAME_LEN + 1]; int fd; uint64_t upto; } *t;
    size_t nt;
    uint64_t bytes;
    long written;       /* records whose bytes the file had lost */
    enum store_result r;
};

static int replay_one(void *arg, const struct journal_rec *rec)
{
    struct replay *rp = arg;
    struct store *s = rp->s;
    char name[EV_MAX_NAME_LEN + 1];
    memcpy(name, rec->name, rec->name_len);
    name[rec->name_len] = 0;
    struct touched *t = NULL;
    for (size_t i = 0; i < rp->nt; i++)
        if (!strcmp(rp->t[i].name, name)) t = &rp->t[i];
    if (!t) {
        if (index_find(s->index, name) < 0) {
            store_seterr(rp->err, rp->errlen, "%s/%s: record %llu names %s, which is not in the index; refusing to "
                         "start (move the journal away only if that file was removed on purpose)",
                         s->dir, JOURNAL_NAME, (unsigned long long)rec->seq, name);
            rp->r = STORE_REFUSED;
            return -1;
        }
        struct touched *v = realloc(rp->t, (rp->nt + 1) * sizeof(*v));
        if (!v) {
            store_seterr(rp->err, rp->errlen, "%s: out of memory", s->dir);
            return -1;
        }
        rp->t = v;
        t = &rp->t[rp->nt];
        snprintf(t->name, sizeof(t->name), "%s", name);
        t->upto = 0;
        if ((t->fd = fsio_open(s->dirfd, name, O_RDWR | O_NOFOLLOW, 0)) == -1) {
            store_seterr(rp->err, rp->errlen, "%s/%s: cannot open to write back journaled bytes: %s", s->dir, name,
                         strerror(errno));
            return -1;
        }
        rp->nt++;
    }
    struct stat st;
    if (fstat(t->fd, &st) == -1) {
        store_seterr(rp->err, rp->errlen, "%s/%s: fstat: %s", s->dir, name, strerror(errno));
        return -1;
    }
    /* Records continue what the file already held durably: a gap means the file lost bytes
     * nobody has a copy of. Do not fill it with anything. */
    if ((uint64_t)st.st_size < rec->offset || rec->offset < BINLOG_MAGIC_LEN) {
        store_seterr(rp->err, rp->errlen, "%s/%s: journal record %llu continues at %llu but the file has only %llu "
                     "bytes; refusing to start", s->dir, name, (unsigned long long)rec->seq,
                     (unsigned long long)rec->offset, (unsigned long long)st.st_size);
        rp->r = STORE_REFUSED;
        return -1;
    }
    /* Only bytes the file lost are written (and reported): after a clean stop or a crash
     * without power loss the file already holds them all. */
    int same = (uint64_t)st.st_size >= rec->offset + rec->len && journal_rec_in_file(t->fd, rec);
    if (same) return 0;
    if (fsio_pwrite_all(t->fd, rec->data, rec->len, rec->offset) == -1) {
        store_seterr(rp->err, rp->errlen, "%s/%s:%llu: cannot write back %u journaled bytes: %s", s->dir, name,
                     (unsigned long long)rec->offset, rec->len, strerror(errno));
        return -1;
    }
    if (rec->offset + rec->len > t->upto) t->upto = rec->offset + rec->len;
    rp->bytes += rec->len;
    rp->written++;
    return 0;
}

enum store_result store_journal_replay(struct store *s, char *err, size_t errlen)
{
    int fd = fsio_open(s->dirfd, JOURNAL_NAME, O_RDONLY | O_NOFOLLOW, 0);
    if (fd == -1) {
        if (errno == ENOENT) return STORE_OK;
        store_seterr(err, errlen, "%s/%s: cannot open: %s", s->dir, JOURNAL_NAME, strerror(errno));
        return STORE_FATAL;
    }
    uint8_t *buf = malloc(JOURNAL_SIZE);
    size_t got = 0;
    if (!buf || fsio_pread_all(fd, buf, JOURNAL_SIZE, 0, &got) == -1) {
        store_seterr(err, errlen, "%s/%s: cannot read: %s", s->dir, JOURNAL_NAME, buf ? strerror(errno) : "out of memory");
        free(buf);
        close(fd);
        return STORE_FATAL;
    }
    close(fd);
    struct replay rp = {.s = s, .err = err, .errlen = errlen, .r = STORE_FATAL};
    long n = journal_scan(buf, got, replay_one, &rp);
    enum store_result r = n < 0 ? rp.r : STORE_OK;
    for (size_t i = 0; i < rp.nt; i++) {
        if (r == STORE_OK && fsio_fdatasync(rp.t[i].fd) == -1) {
            store_seterr(err, errlen, "%s/%s: fdatasync after writing back journaled bytes failed: %s", s->dir,
                         rp.t[i].name, strerror(errno));
            r = STORE_FATAL;
        }
        if (r == STORE_OK && rp.t[i].upto)
            store_warnf(s, "%s/%s: restored journaled bytes the file had lost, up to offset %llu (%ld of %ld records "
                        "of the commit journal, %llu bytes in all)", s->dir, rp.t[i].name,
                        (unsigned long long)rp.t[i].upto, rp.written, n, (unsigned long long)rp.bytes);
        close(rp.t[i].fd);
    }
    free(rp.t);
    free(buf);
    return r;
}

enum store_result store_journal_start(struct store *s, char *err, size_t errlen)
{
    if (s->sync_mode != STORE_SYNC_TRX || !s->want_journal) return STORE_OK;
    /* The records written back (or bytes a crash left unsynced) become durable in the file
     * before a new generation can make the old records unreachable. The journal itself is
     * opened at the first batch: a binlogd that only serves an archive never creates it. */
    if (s->fd != -1 && fsio_fdatasync(s->fd) == -1) {
        store_seterr(err, errlen, "%s/%s: fdatasync at start failed: %s", s->dir, s->cur, strerror(errno));
        return STORE_FATAL;
    }
    return STORE_OK;
}

/* First batch: open (or create) the journal. The journal only saves time: without it (no
 * room for 8 MiB on a full disk, a failing create) every batch is made durable by the binlog
 * file's own fdatasync, and binlogd goes on. */
static void journal_lazy_open(struct store *s)
{
    s->journal_tried = 1;
    enum fsio_op op;
    char jerr[512];
    if (!(s->jr = journal_open(s->dirfd, &op, jerr, sizeof(jerr))))
        store_warnf(s, "%s/%s; continuing without the commit journal (each batch is made durable by an fdatasync of "
                    "the binlog file)", s->dir, jerr);
}

int store_journal_try(struct store *s, const uint8_t *mem, char *err, size_t errlen)
{
    uint64_t len = s->boundary - s->committed;
    if (!s->jr && s->want_journal && s->sync_mode == STORE_SYNC_TRX && !s->journal_tried) journal_lazy_open(s);
    if (!s->jr || !len || len > JOURNAL_MAX_DATA || s->committed < BINLOG_MAGIC_LEN) return 0;
    uint8_t *d = journal_data_buf(s->jr, (size_t)len);
    if (!d) return 0;
    /* store_flush_buf ran first: the batch is in the file (page cache). Copied from the write
     * buffer it came from when it was all there (one small transaction: the common case; a
     * read back costs a syscall on the path to the replicas); else read back from the file. */
    size_t got = 0;
    if (s->disk_end < s->boundary) return 0;
    if (mem) memcpy(d, mem, (size_t)len);
    else if (fsio_pread_all(s->fd, d, (size_t)len, s->committed, &got) == -1 || got != len) return 0;
    enum fsio_op op;
    int rc = journal_commit(s->jr, s->cur, s->committed, (size_t)len, &op);
    if (rc == 0) atomic_store_explicit(&s->jr_used, journal_used(s->jr), memory_order_relaxed);
    if (rc == 1) return 0;
    /* The ring is preallocated, so only a copy-on-write or thin filesystem can say "full":
     * the file's own fdatasync (and its disk-full policy) takes over. A torn record there
     * is overwritten by the next one and ends the lap at recovery. */
    if (rc == -1 && op == FSIO_OP_WRITE && (errno == ENOSPC || errno == EDQUOT)) return 0;
    if (rc == -1) {
        store_poisonf(s, err, errlen, "%s:%llu: commit journal %s failed: %s (the batch is not durable; restart to "
                      "re-verify the tail)", s->cur, (unsigned long long)s->committed, fsio_op_name(op), strerror(errno));
        return -1;
    }
    return 1;
}

void store_journal_file_synced(struct store *s)
{
    if (!s->jr) return;
    journal_restart(s->jr);
    atomic_store_explicit(&s->jr_used, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->jr_laps, 1, memory_order_relaxed);
}

int store_journal_use(struct store *s, uint64_t *used, uint64_t *size, uint64_t *laps)
{
    *used = atomic_load_explicit(&s->jr_used, memory_order_relaxed);
    *size = JOURNAL_SIZE;
    *laps = atomic_load_explicit(&s->jr_laps, memory_order_relaxed);
    return s->want_journal && s->sync_mode == STORE_SYNC_TRX ? 0 : -1;
}

enum store_result store_journal_drop(struct store *s, char *err, size_t errlen)
{
    if (!s->jr) return STORE_OK;
    enum fsio_op op;
    if (fsio_fdatasync(s->fd) == -1 || journal_invalidate(s->jr, &op) == -1)
        return store_poisonf(s, err, errlen, "%s: cannot retire the commit journal before cutting bytes: %s", s->cur,
                             strerror(errno));
    return STORE_OK;
}

void store_journal_close(struct store *s)
{
    enum fsio_op op;
    /* Clean stop, the file was just fdatasync'ed: the next start has nothing to write back. */
    if (s->jr) (void)journal_invalidate(s->jr, &op);
}
