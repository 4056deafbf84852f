/*
 * purge.c - see purge.h. store_purge and the recovery of an interrupted purge
 * (store_purge_recover, called by store_open) share the intent file's format:
 *   # binlogd purge intent v1
 *   NAME <TAB> SIZE
 * one line per file, oldest first.
 *
 * Error policy: nothing here poisons the store. A purge that cannot write its intent or the
 * index changes nothing and says why (the caller retries at its next check); an unlink that
 * fails leaves a file the index no longer lists, which the intent still names, so the next
 * start removes it. A GTID index that cannot be written is rebuilt at the next start.
 */
#include "storage/purge.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/binlog_file.h"
#include "storage/fsio.h"
#include "storage/gtid_index.h"
#include "storage/gtidpos.h"
#include "storage/index.h"
#include "storage/store_priv.h"

#define INTENT_HEADER "# binlogd purge intent v1\n"
#define INTENT_MAX (16u << 20)
#define TAIL_WINDOW 4096

const char *purge_step_name(enum purge_step st)
{
    switch (st) {
    case PURGE_STEP_INTENT: return "intent";
    case PURGE_STEP_INDEX: return "index";
    case PURGE_STEP_GTID_INDEX: return "gtid_index";
    case PURGE_STEP_UNLINK: return "unlink";
    case PURGE_STEP_DONE: return "done";
    }
    return "?";
}

static void step(const struct store_purge_hooks *h, enum purge_step st, size_t i)
{
    if (h && h->step) h->step(h->arg, st, i);
}

/* The intent's text for files[0..k). malloc'd, or NULL on ENOMEM. */
static char *intent_format(const struct store_file_info *files, size_t k, size_t *len)
{
    size_t cap = sizeof(INTENT_HEADER) + k * (EV_MAX_NAME_LEN + 32);
    char *t = malloc(cap);
    if (!t) return NULL;
    size_t n = (size_t)snprintf(t, cap, "%s", INTENT_HEADER);
    for (size_t i = 0; i < k; i++)
        n += (size_t)snprintf(t + n, cap - n, "%s\t%" PRIu64 "\n", files[i].name, files[i].size);
    *len = n;
    return t;
}

static int remove_intent(struct store *s)
{
    if (fsio_unlink(s->dirfd, PURGE_INTENT_NAME) == -1 && errno != ENOENT) return -1;
    return fsio_fsync(s->dirfd);
}

enum store_result store_purge(struct store *s, const char *last, const struct store_purge_hooks *h,
                              struct store_purge_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof(*res));
    pthread_mutex_lock(&s->dirmu);
    struct binlog_index *ix = s->index;
    long at = index_find(ix, last);
    if (at == -1 || (size_t)at + 1 >= ix->n) {
        pthread_mutex_unlock(&s->dirmu);
        store_seterr(err, errlen, "%s: %s", last,
                     at == -1 ? "not in the index" : "is the file being written; it is never purged");
        return STORE_REFUSED;
    }
    size_t k = (size_t)at + 1;
    /* The reader-visible list mirrors the index (both change only under dirmu). */
    struct store_file_info *files = malloc(k * sizeof(*files));
    if (!files) {
        pthread_mutex_unlock(&s->dirmu);
        store_seterr(err, errlen, "%s: out of memory", s->dir);
        return STORE_REFUSED;
    }
    pthread_mutex_lock(&s->mu);
    int same = s->nfiles >= k;
    for (size_t i = 0; same && i < k; i++) {
        files[i] = s->files[i];
        same = !strcmp(s->files[i].name, ix->names[i]);
    }
    pthread_mutex_unlock(&s->mu);
    if (!same) {
        pthread_mutex_unlock(&s->dirmu);
        free(files);
        store_seterr(err, errlen, "%s: the file list and the index disagree; not purging", s->dir);
        return STORE_REFUSED;
    }
    size_t tlen = 0;
    char *text = intent_format(files, k, &tlen);
    enum fsio_op op = FSIO_OP_OPEN;
    if (!text || fsio_replace(s->dirfd, PURGE_INTENT_NAME, text, tlen, &op) == -1) {
        int e = text ? errno : ENOMEM;
        free(text);
        free(files);
        pthread_mutex_unlock(&s->dirmu);
        store_seterr(err, errlen, "%s/%s: cannot write the purge intent (%s): %s; nothing purged", s->dir,
                     PURGE_INTENT_NAME, fsio_op_name(op), strerror(e));
        return STORE_REFUSED;
    }
    free(text);
    step(h, PURGE_STEP_INTENT, 0);
    /* The index without them: the point of no return. */
    struct binlog_index *nix = index_new();
    int bad = !nix;
    for (size_t i = k; !bad && i < ix->n; i++) bad = index_append(nix, ix->names[i]) == -1;
    char ierr[768];
    if (bad || index_save(nix, s->dirfd, s->index_name, &op, ierr, sizeof(ierr)) == -1) {
        if (bad) snprintf(ierr, sizeof(ierr), "out of memory");
        index_free(nix);
        (void)remove_intent(s);
        pthread_mutex_unlock(&s->dirmu);
        free(files);
        store_seterr(err, errlen, "%s/%s; nothing purged", s->dir, ierr);
        return STORE_REFUSED;
    }
    for (size_t i = 0; i < k; i++) index_remove(ix, 0);
    index_free(nix);
    step(h, PURGE_STEP_INDEX, 0);
    pthread_mutex_lock(&s->mu);
    memmove(s->files, s->files + k, (s->nfiles - k) * sizeof(*s->files));
    s->nfiles -= k;
    if (s->gix) {
        /* TODO(archive): keep the purged files' entries, marked archived, for restore_command. */
        gix_retain(s->gix, ix->names, ix->n);
    }
    pthread_mutex_unlock(&s->mu);
    store_gtid_save(s);
    step(h, PURGE_STEP_GTID_INDEX, 0);
    pthread_mutex_unlock(&s->dirmu);
    /* The files are purged; unlinking them needs no lock (no new file can take a purged
     * name: the writer refuses names that exist on disk, and numbers only go forward). */
    res->files = k;
    for (size_t i = 0; i < k; i++) {
        res->bytes += files[i].size;
        /* Its GTID position sidecar goes with it (a cache: a failure only costs a warning,
         * and a later file of the same name is refused by the sidecar's identity check). */
        char gerr[512];
        if (store_gtidpos_drop_file(s, files[i].name, gerr, sizeof(gerr)) == -1) store_warnf(s, "%s/%s", s->dir, gerr);
        char zname[EV_MAX_NAME_LEN + 8];
        if (zfile_name(files[i].name, zname, sizeof(zname)) == 0 && fsio_unlink(s->dirfd, zname) == -1 &&
            errno != ENOENT) {
            res->unlink_errors++;
            store_warnf(s, "%s/%s: purged from the index but cannot be removed: %s (removed at the next start)",
                        s->dir, zname, strerror(errno));
            continue;
        }
        if (fsio_unlink(s->dirfd, files[i].name) == -1 && errno != ENOENT) {
            res->unlink_errors++;
            store_warnf(s, "%s/%s: purged from the index but cannot be removed: %s (removed at the next start)",
                        s->dir, files[i].name, strerror(errno));
            continue;
        }
        if (h && h->done) h->done(h->arg, files[i].name, files[i].size);
        step(h, PURGE_STEP_UNLINK, i);
    }
    if (fsio_fsync(s->dirfd) == -1)
        store_warnf(s, "%s: fsync of the directory after a purge failed: %s", s->dir, strerror(errno));
    else if (!res->unlink_errors && remove_intent(s) == -1)
        store_warnf(s, "%s/%s: cannot remove: %s (harmless: the next start drops it)", s->dir, PURGE_INTENT_NAME,
                    strerror(errno));
    step(h, PURGE_STEP_DONE, 0);
    free(files);
    return STORE_OK;
}

/* ---- recovery (store_open, before the index is reconciled) ---- */

enum store_result store_purge_recover(struct store *s, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    if (fsio_read_small(s->dirfd, PURGE_INTENT_NAME, INTENT_MAX, &text, &len) == -1) {
        if (errno == ENOENT) return STORE_OK;
        store_seterr(err, errlen, "%s/%s: cannot read: %s", s->dir, PURGE_INTENT_NAME, strerror(errno));
        return STORE_FATAL;
    }
    size_t removed = 0, kept = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || !line[0]) continue;
        char *tab = strchr(line, '\t'), *end = NULL;
        const char *why = NULL;
        if (!tab) continue;
        *tab = 0;
        unsigned long long size = strtoull(tab + 1, &end, 10);
        char base[EV_MAX_NAME_LEN + 1];
        uint64_t num;
        /* only what a purge can name: a binlog file name (never the index, a side file, ours) */
        if (!end || *end || index_name_check(line, strlen(line), &why) == -1 ||
            index_split_name(line, base, sizeof(base), &num) == -1)
            continue;
        if (index_find(s->index, line) != -1) {
            kept++;   /* the crash came before the index was replaced: not purged */
            continue;
        }
        struct stat st;
        char zname[EV_MAX_NAME_LEN + 8];
        if (zfile_name(line, zname, sizeof(zname)) == 0 && fstatat(s->dirfd, zname, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            /* its compressed form (the intent's size is the original size: no size check) */
            if (fsio_unlink(s->dirfd, zname) == -1) {
                store_seterr(err, errlen, "%s/%s: cannot remove a file an interrupted purge left: %s", s->dir, zname,
                             strerror(errno));
                free(text);
                return STORE_FATAL;
            }
            removed++;
            store_warnf(s, "%s/%s: removed: purged from the index by an interrupted purge", s->dir, zname);
        }
        if (fstatat(s->dirfd, line, &st, AT_SYMLINK_NOFOLLOW) == -1) continue;   /* unlinked already */
        if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != size) {
            store_warnf(s, "%s/%s: an interrupted purge named it (%llu bytes) but the file now has %llu bytes; "
                        "left in place", s->dir, line, size, (unsigned long long)st.st_size);
            continue;
        }
        if (fsio_unlink(s->dirfd, line) == -1) {
            store_seterr(err, errlen, "%s/%s: cannot remove a file an interrupted purge left: %s", s->dir, line,
                         strerror(errno));
            free(text);
            return STORE_FATAL;
        }
        removed++;
        char gerr[512];
        if (gpos_drop(s->dirfd, line, gerr, sizeof(gerr)) == -1) store_warnf(s, "%s/%s", s->dir, gerr);
        store_warnf(s, "%s/%s: removed: purged from the index by an interrupted purge (%llu bytes)", s->dir, line,
                    size);
    }
    free(text);
    if (kept) store_warnf(s, "%s: an interrupted purge had not changed the index yet; its %zu file(s) stay", s->dir, kept);
    if (remove_intent(s) == -1) {
        store_seterr(err, errlen, "%s/%s: cannot remove: %s", s->dir, PURGE_INTENT_NAME, strerror(errno));
        return STORE_FATAL;
    }
    (void)removed;
    return STORE_OK;
}

/* ---- a file's age ---- */

static int last_time_tail(const struct bsrc *fd, uint64_t size, int64_t *t)
{
    uint8_t buf[TAIL_WINDOW];
    uint64_t from = size > BINLOG_MAGIC_LEN + sizeof(buf) ? size - sizeof(buf) : BINLOG_MAGIC_LEN;
    size_t want = (size_t)(size - from), got = 0;
    if (size < BINLOG_MAGIC_LEN + EV_HEADER_LEN) return 1;
    if (bsrc_pread(fd, buf, want, from, &got) == -1) return -1;
    if (got != want) return 1;
    /* The last event ends exactly at size and says so in log_pos (32 bits on the wire). */
    for (size_t o = want - EV_HEADER_LEN + 1; o-- > 0;) {
        struct ev_header hd;
        if (ev_header_parse(buf + o, want - o, &hd, NULL) != EV_OK) continue;
        if (hd.event_size == want - o && hd.log_pos == (uint32_t)size) {
            *t = hd.timestamp;
            return 0;
        }
    }
    return 1;
}

static int last_time_walk(const struct bsrc *fd, uint64_t size, int64_t *t)
{
    uint64_t pos = BINLOG_MAGIC_LEN;
    int found = 0;
    while (pos + EV_HEADER_LEN <= size) {
        uint8_t h[EV_HEADER_LEN];
        size_t got = 0;
        struct ev_header hd;
        if (bsrc_pread(fd, h, sizeof(h), pos, &got) == -1) return -1;
        if (got != sizeof(h) || ev_header_parse(h, got, &hd, NULL) != EV_OK || pos + hd.event_size > size) break;
        *t = hd.timestamp;
        found = 1;
        pos += hd.event_size;
    }
    if (!found) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int purge_file_last_time(int dirfd, const char *name, uint64_t size, int64_t *t)
{
    struct bsrc b;
    char err[512];
    if (bsrc_open(dirfd, name, NULL, &b, err, sizeof(err)) == -1) return -1;
    int rc = last_time_tail(&b, size, t);
    if (rc == 1) rc = last_time_walk(&b, size, t);
    int e = errno;
    bsrc_close(&b);
    errno = e;
    return rc;
}
