/*
 * archive_spool.c - see archive_spool.h.
 */
#include "server/ops/archive_spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/event.h"
#include "storage/zfile.h"

#define PART_SUFFIX ".part"

struct archive_spool {
    char dir[PATH_MAX];
    int fd;                          /* the spool directory */
    int src_dirfd;                   /* the store's directory (borrowed) */
    pthread_t thread;
    int started;                     /* a thread to join */
    atomic_int done;                 /* set by the thread when it ends */
    atomic_int stop;                 /* asked between blocks */
    /* the job: written before the thread starts, read by it, read back after `done` */
    char name[EV_MAX_NAME_LEN + 1];
    uint64_t size;
    int rc;
    char why[2048];
};

static int stopping(void *arg)
{
    struct archive_spool *s = arg;
    return atomic_load(&s->stop);
}

static void *inflate_main(void *arg)
{
    struct archive_spool *s = arg;
    char part[EV_MAX_NAME_LEN + sizeof(PART_SUFFIX)];
    snprintf(part, sizeof(part), "%s%s", s->name, PART_SUFFIX);
    (void)unlinkat(s->fd, part, 0);
    (void)unlinkat(s->fd, s->name, 0);
    s->rc = -1;
    int out = openat(s->fd, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (out == -1) {
        snprintf(s->why, sizeof(s->why), "%.300s/%s: cannot create: %s", s->dir, part, strerror(errno));
    } else {
        if (zfile_inflate_to(s->src_dirfd, s->name, s->size, out, stopping, s, s->why, sizeof(s->why)) == 0) {
            /* No fsync: the copy only has to live until the command has read it; a crash empties
             * the spool and the command runs again on a new copy. */
            if (renameat(s->fd, part, s->fd, s->name) == -1)
                snprintf(s->why, sizeof(s->why), "%.300s/%s: cannot rename: %s", s->dir, part, strerror(errno));
            else
                s->rc = 0;
        }
        close(out);
        if (s->rc == -1) (void)unlinkat(s->fd, part, 0);
    }
    atomic_store(&s->done, 1);
    return NULL;
}

static void empty_dir(struct archive_spool *s)
{
    int fd = dup(s->fd);
    DIR *d = fd == -1 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd != -1) close(fd);
        return;
    }
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) (void)unlinkat(s->fd, e->d_name, 0);
    closedir(d);
}

struct archive_spool *archive_spool_new(const char *data_dir, int src_dirfd, char *err, size_t errlen)
{
    struct archive_spool *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->src_dirfd = src_dirfd;
    if (snprintf(s->dir, sizeof(s->dir), "%s/%s", data_dir, ARCHIVE_SPOOL_DIR) >= (int)sizeof(s->dir)) {
        snprintf(err, errlen, "%s: path too long", data_dir);
        free(s);
        return NULL;
    }
    /* Made when a first copy is needed; a spool left by an earlier run is emptied now. */
    s->fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s->fd == -1 && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", s->dir, strerror(errno));
        free(s);
        return NULL;
    }
    if (s->fd != -1) empty_dir(s);
    return s;
}

static void join(struct archive_spool *s)
{
    if (!s->started) return;
    pthread_join(s->thread, NULL);
    s->started = 0;
}

void archive_spool_free(struct archive_spool *s)
{
    if (!s) return;
    atomic_store(&s->stop, 1);
    join(s);
    if (s->fd != -1) {
        empty_dir(s);
        close(s->fd);
    }
    free(s);
}

int archive_spool_start(struct archive_spool *s, const char *name, uint64_t size, char *err, size_t errlen)
{
    if (s->started) {
        snprintf(err, errlen, "a copy is being made already");
        return -1;
    }
    if (s->fd == -1 && ((mkdir(s->dir, 0750) == -1 && errno != EEXIST) ||
                        (s->fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)) {
        snprintf(err, errlen, "%s: cannot create the spool for decompressed copies: %s", s->dir, strerror(errno));
        return -1;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    s->size = size;
    s->rc = -1;
    s->why[0] = '\0';
    atomic_store(&s->done, 0);
    atomic_store(&s->stop, 0);
    int e = pthread_create(&s->thread, NULL, inflate_main, s);
    if (e) {
        snprintf(err, errlen, "cannot start a thread to decompress %s: %s", name, strerror(e));
        return -1;
    }
    s->started = 1;
    return 0;
}

int archive_spool_busy(const struct archive_spool *s) { return s->started; }

int archive_spool_poll(struct archive_spool *s, char *path, size_t pathcap, char *why, size_t whylen)
{
    if (!s->started || !atomic_load(&s->done)) return 0;
    join(s);
    if (s->rc == 0) {
        snprintf(path, pathcap, "%s/%s", s->dir, s->name);
        return 1;
    }
    snprintf(why, whylen, "%s", s->why);
    return -1;
}

void archive_spool_remove(struct archive_spool *s, const char *name)
{
    if (s->fd != -1) (void)unlinkat(s->fd, name, 0);
}
