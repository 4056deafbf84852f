/*
 * store_recover.c - store_open (lock, temp-file cleanup, index load/rebuild/reconcile, scan
 * and truncation of the last file) and store_free. See store.h for the contract and store.c
 * for the offsets and the error policy.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/binlog_file.h"
#include "storage/fsio.h"
#include "storage/index.h"
#include "storage/journal.h"
#include "storage/owned.h"
#include "storage/store_priv.h"

struct strlist {
    char **v;
    size_t n, cap;
};

static int strlist_add(struct strlist *l, const char *str)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        char **nv = realloc(l->v, nc * sizeof(*nv));
        if (!nv) return -1;
        l->v = nv;
        l->cap = nc;
    }
    if (!(l->v[l->n] = strdup(str))) return -1;
    l->n++;
    return 0;
}

static void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

static int has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n > k && !strcmp(name + n - k, suffix);
}

/* List the directory: our temp files into tmps, candidate index files into idx. */
static int list_dir(struct store *s, struct strlist *tmps, struct strlist *idx, char *err, size_t errlen)
{
    int dfd = dup(s->dirfd);
    DIR *d = dfd == -1 ? NULL : fdopendir(dfd);
    if (!d) {
        store_seterr(err, errlen, "%s: cannot list: %s", s->dir, strerror(errno));
        if (dfd != -1) close(dfd);
        return -1;
    }
    rewinddir(d);   /* the dup shares dirfd's offset: never trust where an earlier listing left it */
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        const char *why;
        struct stat st;
        if (!strncmp(de->d_name, FSIO_TMP_PREFIX, strlen(FSIO_TMP_PREFIX))) {
            rc = strlist_add(tmps, de->d_name);
        } else if (has_suffix(de->d_name, INDEX_SUFFIX) &&
                   index_name_check(de->d_name, strlen(de->d_name), &why) == 0 &&
                   fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
            rc = strlist_add(idx, de->d_name);
        }
    }
    closedir(d);
    if (rc == -1) store_seterr(err, errlen, "%s: out of memory", s->dir);
    return rc;
}

static enum store_result remove_temps(struct store *s, const struct strlist *tmps, char *err, size_t errlen)
{
    for (size_t i = 0; i < tmps->n; i++)
        if (fsio_unlink(s->dirfd, tmps->v[i]) == -1 && errno != ENOENT) {
            store_seterr(err, errlen, "%s/%s: cannot remove a temporary file: %s", s->dir, tmps->v[i], strerror(errno));
            return STORE_FATAL;
        }
    if (tmps->n) {
        if (fsio_fsync(s->dirfd) == -1) {
            store_seterr(err, errlen, "%s: fsync of the directory failed: %s", s->dir, strerror(errno));
            return STORE_FATAL;
        }
        store_warnf(s, "%s: removed %zu temporary file(s) left by an interrupted write (%s...)", s->dir, tmps->n,
              tmps->v[0]);
    }
    return STORE_OK;
}

static enum store_result save_index(struct store *s, char *err, size_t errlen)
{
    enum fsio_op op;
    char ierr[768];
    if (index_save(s->index, s->dirfd, s->index_name, &op, ierr, sizeof(ierr)) == -1) {
        store_seterr(err, errlen, "%s/%s", s->dir, ierr);
        return STORE_FATAL;
    }
    return STORE_OK;
}

/* Find and load the index, or rebuild it from the files. */
static enum store_result load_index(struct store *s, const struct strlist *idx, char *err, size_t errlen)
{
    char ierr[768];
    if (idx->n > 1) {
        store_seterr(err, errlen, "%s: several index files (%s, %s): cannot tell which one is binlogd's", s->dir,
               idx->v[0], idx->v[1]);
        return STORE_REFUSED;
    }
    if (idx->n == 1) {
        snprintf(s->index_name, sizeof(s->index_name), "%s", idx->v[0]);
        int rc = index_load(s->index, s->dirfd, s->index_name, ierr, sizeof(ierr));
        if (rc == -1) {
            store_seterr(err, errlen, "%s/%s (remove the index to rebuild it from the files)", s->dir, ierr);
            return STORE_REFUSED;
        }
        if (rc == 0) return STORE_OK;
    }
    char base[EV_MAX_NAME_LEN + 1];
    if (index_rebuild(s->index, s->dirfd, NULL, base, sizeof(base), ierr, sizeof(ierr)) == -1) {
        store_seterr(err, errlen, "%s: %s", s->dir, ierr);
        return STORE_REFUSED;
    }
    s->index_name[0] = 0;
    if (!s->index->n) return STORE_OK;
    snprintf(s->index_name, sizeof(s->index_name), "%s%s", base, INDEX_SUFFIX);
    store_warnf(s, "%s: no index file; rebuilt %s from %zu binlog file(s) in the directory", s->dir, s->index_name,
          s->index->n);
    return save_index(s, err, errlen);
}

/* Make the index agree with the files: drop a missing last entry (crash between the index
 * write and the file's creation) and missing leading entries (files removed by a purge or
 * an operator); refuse a missing file in the middle. */
static enum store_result reconcile_index(struct store *s, char *err, size_t errlen)
{
    struct binlog_index *ix = s->index;
    size_t n = ix->n, first = 0;
    if (!n) return STORE_OK;
    uint8_t *exists = calloc(n, 1);
    if (!exists) {
        store_seterr(err, errlen, "%s: out of memory", s->dir);
        return STORE_FATAL;
    }
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char zname[EV_MAX_NAME_LEN + 8];
        exists[i] = fstatat(s->dirfd, ix->names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
        if (zfile_name(ix->names[i], zname, sizeof(zname)) == -1 ||
            fstatat(s->dirfd, zname, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
            continue;
        if (exists[i]) {
            /* A compression was interrupted after name.z was complete and before the plain
             * file was removed: the plain file stays, the copy goes (it is made again). */
            if (fsio_unlink(s->dirfd, zname) == -1 && errno != ENOENT) {
                store_seterr(err, errlen, "%s/%s: cannot remove: %s", s->dir, zname, strerror(errno));
                free(exists);
                return STORE_FATAL;
            }
            store_warnf(s, "%s/%s: removed: an interrupted compression left it beside %s, which stays", s->dir, zname,
                        ix->names[i]);
        } else if (i + 1 < n) {
            exists[i] = 1;   /* compressed; the newest file never is */
        }
    }
    while (first < n && !exists[first]) first++;
    enum store_result r = STORE_OK;
    int drop_last = !exists[n - 1];
    if (first == n && n > 1) {
        store_seterr(err, errlen, "%s/%s: none of the %zu files it lists exist; refusing to start", s->dir,
               s->index_name, n);
        r = STORE_REFUSED;
        goto out;
    }
    for (size_t i = first; i + 1 < n; i++)
        if (!exists[i]) {
            store_seterr(err, errlen,
                         "%s/%s: %s is missing but later files exist (a gap in the log); refusing to start",
                   s->dir, s->index_name, ix->names[i]);
            r = STORE_REFUSED;
            goto out;
        }
    if (drop_last) {
        store_warnf(s, "%s/%s: dropping last entry %s: the file was never created (crash while starting it)", s->dir,
              s->index_name, ix->names[n - 1]);
        index_remove(ix, n - 1);
    }
    if (first > 0 && first < n) {
        store_warnf(s, "%s/%s: dropping %zu leading entries whose files are gone (%s ... %s)", s->dir, s->index_name,
              first, ix->names[0], ix->names[first - 1]);
        while (first--) index_remove(ix, 0);
    }
    if (ix->n != n) r = save_index(s, err, errlen);
out:
    free(exists);
    return r;
}

/* Warn about binlog-looking files of our basename that the index does not list. */
static void warn_unindexed(struct store *s)
{
    char base[sizeof(s->index_name)], ierr[256];
    size_t bl = strlen(s->index_name) - strlen(INDEX_SUFFIX);
    memcpy(base, s->index_name, bl);
    base[bl] = 0;
    struct binlog_index *all = index_new();
    if (!all) return;
    if (index_rebuild(all, s->dirfd, base, NULL, 0, ierr, sizeof(ierr)) == 0)
        for (size_t i = 0; i < all->n; i++)
            if (index_find(s->index, all->names[i]) == -1)
                store_warnf(s, "%s/%s looks like a binlog file but is not in %s; ignored", s->dir, all->names[i],
                      s->index_name);
    index_free(all);
}

/* Recovery may cut only a torn tail. A crash damages the end of the last file (a partial
 * event, zeros, a transaction without its end); when an intact event follows the damage,
 * the damage is in the middle of bytes that were durable, and may have been acknowledged
 * and served: cutting there would destroy them. Refuse and let the operator decide. */
static enum store_result refuse_mid_file_damage(struct store *s, int fd, const char *name,
                                                const struct binlog_scan *sc, char *err, size_t errlen)
{
    uint64_t at = 0;
    int rc = binlog_file_find_intact(fd, sc, &at);
    if (rc == 0) return STORE_OK;
    if (rc == -1) {
        store_seterr(err, errlen, "%s/%s:%llu: read failed looking past the damage: %s", s->dir, name,
                     (unsigned long long)sc->events_end, strerror(errno));
        return STORE_FATAL;
    }
    store_seterr(err, errlen,
                 "%s/%s:%llu: %s, but an intact event follows at offset %llu: the file is damaged in the middle, "
                 "not torn at the end by a crash, so binlogd will not truncate it (that would throw away %llu bytes "
                 "that may have been acknowledged and served). Compare it with the primary's copy and put the "
                 "primary's bytes back (cmp -l shows the damage), or accept losing everything from offset %llu on: "
                 "truncate -s %llu the file, and start binlogd again to fetch the rest from the primary",
                 s->dir, name, (unsigned long long)sc->problem_offset, sc->problem, (unsigned long long)at,
                 (unsigned long long)(sc->file_size - sc->safe_end), (unsigned long long)sc->safe_end,
                 (unsigned long long)sc->safe_end);
    return STORE_REFUSED;
}

/* Scan the last file, cut it back to its last complete transaction, fix IN_USE, and make it
 * the file being written. */
static enum store_result recover_last(struct store *s, const char *name, char *err, size_t errlen)
{
    enum fsio_op op;
    char serr[768];
    int fd = binlog_file_open(s->dirfd, name);
    if (fd == -1) {
        store_seterr(err, errlen, "%s/%s: cannot open: %s", s->dir, name, strerror(errno));
        return STORE_FATAL;
    }
    struct binlog_scan *sc = malloc(sizeof(*sc));
    if (!sc) {
        close(fd);
        store_seterr(err, errlen, "%s/%s: out of memory", s->dir, name);
        return STORE_FATAL;
    }
    enum store_result r = STORE_OK;
    if (binlog_file_scan(fd, name, sc, serr, sizeof(serr)) == -1) {
        store_seterr(err, errlen, "%s/%s", s->dir, serr);
        r = STORE_REFUSED;
        goto out;
    }
    if ((r = refuse_mid_file_damage(s, fd, name, sc, err, errlen)) != STORE_OK) goto out;
    /* Bytes binlogd did not write are never destroyed (owned.c): a foreign file's cut tail
     * goes to a side file first, and nothing of it is changed in place. */
    int owned = store_owned_is(s, name, fd);
    if (sc->safe_end < sc->file_size && !owned) {
        char side[EV_MAX_NAME_LEN + 48];
        if ((r = store_keep_tail(s, fd, name, sc->safe_end, sc->file_size, side, sizeof(side), err, errlen)) != STORE_OK)
            goto out;
        store_warnf(s, "%s/%s:%llu: %s; binlogd did not write this file: bytes %llu-%llu (%llu) moved to %s before "
                    "cutting it back to its last complete transaction (only complete transactions are served; "
                    "cat %s %s reproduces the original)", s->dir, name, (unsigned long long)sc->problem_offset,
                    sc->problem, (unsigned long long)sc->safe_end, (unsigned long long)sc->file_size,
                    (unsigned long long)(sc->file_size - sc->safe_end), side, name, side);
    } else if (sc->safe_end < sc->file_size) {
        store_warnf(s, "%s/%s:%llu: %s; truncating the file from %llu to %llu bytes (the last complete transaction)",
              s->dir, name, (unsigned long long)sc->problem_offset, sc->problem, (unsigned long long)sc->file_size,
              (unsigned long long)sc->safe_end);
    }
    if (sc->safe_end < sc->file_size) {
        if (binlog_file_truncate(fd, sc->safe_end, 1, &op) == -1) {
            store_seterr(err, errlen, "%s/%s:%llu: cannot truncate (%s): %s", s->dir, name,
                   (unsigned long long)sc->safe_end, fsio_op_name(op), strerror(errno));
            r = STORE_FATAL;
            goto out;
        }
    }
    /* A finished file is closed (IN_USE clear); one we will append to is open, as on the primary. */
    int want_in_use = sc->end_type == 0;
    if (sc->in_use != want_in_use && owned && binlog_file_set_in_use(fd, want_in_use, 1, &op) == -1) {
        store_seterr(err, errlen, "%s/%s:%d: cannot %s IN_USE (%s): %s", s->dir, name, BINLOG_IN_USE_OFFSET,
               want_in_use ? "set" : "clear", fsio_op_name(op), strerror(errno));
        r = STORE_FATAL;
        goto out;
    }
    if (!owned) store_owned_set(s, name, fd);   /* what binlogd appends from here on is its own */
    pthread_mutex_lock(&s->mu);
    int pushed = store_files_push(s, name, sc->safe_end, sc->end_type != 0);
    if (pushed == 0) s->files[s->nfiles - 1].verified = sc->safe_end;   /* just scanned, CRCs included */
    pthread_mutex_unlock(&s->mu);
    if (pushed == -1) {
        store_seterr(err, errlen, "%s: out of memory", s->dir);
        r = STORE_FATAL;
        goto out;
    }
    s->fd = fd;
    fd = -1;
    s->closed = 0;
    snprintf(s->cur, sizeof(s->cur), "%s", name);
    s->end = s->disk_end = s->boundary = s->committed = sc->safe_end;
    s->fmt = sc->fmt;
    s->have_fmt = 1;
    s->trx = sc->trx;
    s->end_type = sc->end_type;
    s->sealed = sc->end_type != 0;
    snprintf(s->rot_name, sizeof(s->rot_name), "%s", sc->rotate_name);
    s->rot_pos = sc->rotate_pos;
    snprintf(s->wm.file, sizeof(s->wm.file), "%s", name);
    s->wm.offset = sc->safe_end;
    if (sc->end_type == EV_ROTATE) {
        snprintf(s->wm_next, sizeof(s->wm_next), "%s", sc->rotate_name);
        s->wm_next_pos = sc->rotate_pos;
    }
out:
    if (fd != -1) close(fd);
    free(sc);
    return r;
}

/* The original size of an earlier file: the plain file's, or what name.z's trailer says. */
static int stored_size(struct store *s, const char *name, uint64_t *size, char *err, size_t errlen)
{
    struct stat st;
    if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        *size = (uint64_t)st.st_size;
        return 0;
    }
    if (errno != ENOENT) {
        store_seterr(err, errlen, "%s/%s: %s", s->dir, name, strerror(errno));
        return -1;
    }
    struct bsrc b;
    char berr[512];
    if (bsrc_open(s->dirfd, name, NULL, &b, berr, sizeof(berr)) == -1) {
        store_seterr(err, errlen, "%s/%s", s->dir, berr);
        return -1;
    }
    int rc = bsrc_size(&b, size);
    bsrc_close(&b);
    return rc;
}

static enum store_result recover(struct store *s, char *err, size_t errlen)
{
    struct strlist tmps = {0}, idx = {0};
    enum store_result r = STORE_FATAL;
    if (list_dir(s, &tmps, &idx, err, errlen) == -1) goto out;
    if ((r = remove_temps(s, &tmps, err, errlen)) != STORE_OK) goto out;
    if ((r = load_index(s, &idx, err, errlen)) != STORE_OK) goto out;
    if ((r = store_purge_recover(s, err, errlen)) != STORE_OK) goto out;
    if ((r = reconcile_index(s, err, errlen)) != STORE_OK) goto out;
    if (!s->index_name[0] || !s->index->n) goto out;
    warn_unindexed(s);
    /* Before anything is scanned: bytes the journal made durable go back into their files. */
    if ((r = store_journal_replay(s, err, errlen)) != STORE_OK) goto out;
    /* Earlier files are not scanned here (that would make a start cost a read of the whole
     * archive): their verified horizon starts at 0 and the first reader checks each event's
     * CRC before it is served (cursor.c). `binlogd verify` checks everything offline. */
    for (size_t i = 0; i + 1 < s->index->n; i++) {
        const char *name = s->index->names[i];
        uint64_t size = 0;
        if (stored_size(s, name, &size, err, errlen) == -1) {
            r = STORE_FATAL;
            goto out;
        }
        pthread_mutex_lock(&s->mu);
        int pushed = store_files_push(s, name, size, 1);
        pthread_mutex_unlock(&s->mu);
        if (pushed == -1) {
            store_seterr(err, errlen, "%s: out of memory", s->dir);
            r = STORE_FATAL;
            goto out;
        }
    }
    r = recover_last(s, s->index->names[s->index->n - 1], err, errlen);
out:
    strlist_free(&tmps);
    strlist_free(&idx);
    return r;
}

static void store_release(struct store *s)
{
    journal_free(s->jr);
    if (s->fd != -1) close(s->fd);
    if (s->dirfd != -1) close(s->dirfd);
    if (s->lockfd != -1) close(s->lockfd);   /* releases the flock */
    index_free(s->index);
    store_gtid_release(s);
    for (size_t i = 0; i < s->nrfds; i++) bsrc_close(&s->rfds[i].src);
    free(s->rfds);
    zcache_free(s->zc);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->dirmu);
    free(s->files);
    free(s->wbuf);
    free(s->dir);
    free(s);
}

/* Make the data directory's own entry durable: it may just have been created (here or by the
 * caller), and a power loss must not take the directory away with every file in it. A parent
 * we may not open is only a warning (someone else created the directory long ago). */
static enum store_result sync_parent(struct store *s, char *err, size_t errlen)
{
    int pfd = fsio_open(s->dirfd, "..", O_RDONLY | O_DIRECTORY, 0);
    if (pfd == -1) {
        store_warnf(s, "%s/..: cannot open to make the data directory durable: %s", s->dir, strerror(errno));
        return STORE_OK;
    }
    int rc = fsio_fsync(pfd);
    int e = errno;
    close(pfd);
    if (rc == -1) {
        store_seterr(err, errlen, "%s/..: fsync of the parent directory failed: %s", s->dir, strerror(e));
        return STORE_FATAL;
    }
    return STORE_OK;
}

enum store_result store_open(const struct store_opts *opts, struct store **out, char *err, size_t errlen)
{
    *out = NULL;
    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        store_seterr(err, errlen, "%s: out of memory", opts->dir);
        return STORE_FATAL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->dirmu, &ma);
    pthread_mutexattr_destroy(&ma);
    s->fd = s->dirfd = s->lockfd = -1;
    s->closed = 1;
    s->sync_mode = opts->sync;
    s->interval_ms = opts->sync_interval_ms;
    s->want_journal = opts->journal;
    s->warn = opts->warn;
    s->warn_arg = opts->warn_arg;
    s->dir = strdup(opts->dir);
    s->index = index_new();
    s->wbuf = malloc(STORE_WBUF);
    s->zc = zcache_new(opts->block_cache_bytes);
    trx_init(&s->trx);
    enum store_result r = STORE_FATAL;
    if (!s->dir || !s->index || !s->wbuf || !s->zc) {
        store_seterr(err, errlen, "%s: out of memory", opts->dir);
        goto fail;
    }
    if (fsio_mkdirs(s->dir, 0750) == -1) {
        store_seterr(err, errlen, "%s: cannot create the directory: %s", s->dir, strerror(errno));
        goto fail;
    }
    if ((s->dirfd = fsio_open(AT_FDCWD, s->dir, O_RDONLY | O_DIRECTORY, 0)) == -1) {
        store_seterr(err, errlen, "%s: cannot open the directory: %s", s->dir, strerror(errno));
        goto fail;
    }
    if ((r = sync_parent(s, err, errlen)) != STORE_OK) goto fail;
    if ((s->lockfd = fsio_lock(s->dirfd, FSIO_LOCK_NAME)) == -1) {
        if (errno == EWOULDBLOCK) {
            store_seterr(err, errlen, "%s: in use by another process (it holds the lock on %s)", s->dir,
                         FSIO_LOCK_NAME);
            r = STORE_REFUSED;
        } else {
            store_seterr(err, errlen, "%s/%s: cannot lock: %s", s->dir, FSIO_LOCK_NAME, strerror(errno));
        }
        goto fail;
    }
    if ((r = recover(s, err, errlen)) != STORE_OK) goto fail;
    if ((r = store_gtid_open(s, err, errlen)) != STORE_OK) goto fail;
    if ((r = store_journal_start(s, err, errlen)) != STORE_OK) goto fail;
    *out = s;
    return STORE_OK;
fail:
    store_release(s);
    return r;
}

void store_free(struct store *s)
{
    if (!s) return;
    if (s->fd != -1 && !s->closed && !s->poisoned) {
        /* Best effort: the next store_open re-verifies whatever this leaves. The partial
         * transaction is dropped so the file ends at a boundary. */
        char err[256];
        if (store_rollback_partial(s, err, sizeof(err)) == STORE_OK &&
            store_flush_buf(s, err, sizeof(err)) == STORE_OK && fsio_fdatasync(s->fd) == 0) {
            store_journal_close(s);
            if (s->end_type && !s->sealed) (void)binlog_file_set_in_use(s->fd, 0, 1, NULL);
        }
    }
    if (!s->poisoned) store_gtid_save(s);
    store_release(s);
}
