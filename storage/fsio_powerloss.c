/*
 * fsio_powerloss.c - the power-loss recorder (fsio.h: fsio_powerloss_*, fsio_pl.h: hooks).
 *
 * Model: the disk holds what was last synced. Per inode (not per name: renames and several
 * fds must not matter) we keep the durable size and the pre-images of durable bytes that were
 * overwritten or truncated since; an inode is forgotten again as soon as an fsync/fdatasync
 * makes all of it durable, so the table only holds files with unsynced changes. Per directory
 * we keep the creations and renames since its last fsync. The cut applies the inverse:
 * pre-images newest first (so the oldest, the durable one, wins), truncation to the durable
 * size, then directory operations undone newest first.
 *
 * Bookkeeping failures (ENOMEM, a failed fstat) are counted and reported by the cut, so a
 * test can tell an exact simulation from a best effort.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/fsio.h"
#include "storage/fsio_pl.h"

#define PL_MAX_OLD ((size_t)64 << 20)   /* a renamed-over file kept in memory (index files are small) */

atomic_int fsio_pl_on;

struct pl_pre {
    uint64_t off;
    size_t len;
    uint8_t *data;
};

struct pl_inode {
    dev_t dev;
    ino_t ino;
    int fd;                 /* our own O_RDWR descriptor, so the cut works after close/rename */
    uint64_t durable;       /* size at the last sync (or when first seen) */
    struct pl_pre *pre;
    size_t npre, cpre;
};

enum pl_kind { PL_CREATE, PL_RENAME };

struct pl_old {             /* a file that a rename replaced */
    ino_t ino;
    size_t len;
    uint8_t data[];
};

struct pl_dirop {
    enum pl_kind kind;
    dev_t ddev;             /* the directory */
    ino_t dino;
    int dirfd;              /* our dup of it */
    ino_t ino;              /* the file created or renamed */
    char *from, *to;        /* PL_CREATE: to only */
    struct pl_old *old;     /* PL_RENAME over an existing file: its inode and content */
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pl_inode *g_ino;
static size_t g_nino, g_cino;
static struct pl_dirop *g_ops;
static size_t g_nops, g_cops;
static unsigned g_errors;

void fsio_powerloss_enable(void) { atomic_store(&fsio_pl_on, 1); }

int fsio_powerloss_enabled(void) { return fsio_pl_active(); }

void fsio_pl_lock(void) { pthread_mutex_lock(&g_mu); }
void fsio_pl_unlock(void) { pthread_mutex_unlock(&g_mu); }

/* Room for one more element in v (n used, *cap allocated): v itself or its replacement, or
 * NULL on ENOMEM (v is then unchanged). */
static void *grow(void *v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return v;
    size_t nc = *cap ? *cap * 2 : 16;
    void *nv = realloc(v, nc * elem);
    if (nv) *cap = nc;
    return nv;
}

static void inode_drop(size_t i)
{
    struct pl_inode *n = &g_ino[i];
    for (size_t k = 0; k < n->npre; k++) free(n->pre[k].data);
    free(n->pre);
    close(n->fd);
    g_ino[i] = g_ino[--g_nino];
}

/* The record of fd's inode, created on first sight with everything there counted durable. */
static struct pl_inode *inode_get(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) return NULL;
    for (size_t i = 0; i < g_nino; i++)
        if (g_ino[i].dev == st.st_dev && g_ino[i].ino == st.st_ino) return &g_ino[i];
    struct pl_inode *more = grow(g_ino, &g_cino, g_nino, sizeof(*g_ino));
    if (!more) return NULL;
    g_ino = more;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int own = open(path, O_RDWR | O_CLOEXEC);
    if (own == -1) own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own == -1) return NULL;
    struct pl_inode *n = &g_ino[g_nino++];
    memset(n, 0, sizeof(*n));
    n->dev = st.st_dev;
    n->ino = st.st_ino;
    n->fd = own;
    n->durable = (uint64_t)st.st_size;
    return n;
}

/* Keep the current bytes [off, end) of n that lie below its durable size. */
static void keep_preimage(struct pl_inode *n, uint64_t off, uint64_t end)
{
    if (end > n->durable) end = n->durable;
    if (off >= end) return;
    size_t len = (size_t)(end - off);
    uint8_t *data = malloc(len);
    struct pl_pre *more = data ? grow(n->pre, &n->cpre, n->npre, sizeof(*n->pre)) : NULL;
    if (!more) {
        free(data);
        g_errors++;
        return;
    }
    n->pre = more;
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(n->fd, data + got, len - got, (off_t)(off + got));
        if (r == -1 && errno == EINTR) continue;
        if (r <= 0) break;   /* short: the file is already smaller; keep what is there */
        got += (size_t)r;
    }
    n->pre[n->npre++] = (struct pl_pre){.off = off, .len = got, .data = data};
}

void fsio_pl_before_write(int fd, uint64_t off, size_t len)
{
    int e = errno;
    struct pl_inode *n = inode_get(fd);
    if (!n) g_errors++;
    else keep_preimage(n, off, off + len);
    errno = e;
}

void fsio_pl_before_truncate(int fd, uint64_t len)
{
    int e = errno;
    struct pl_inode *n = inode_get(fd);
    if (!n) g_errors++;
    else keep_preimage(n, len, n->durable);
    errno = e;
}

static void dirop_free(struct pl_dirop *o)
{
    close(o->dirfd);
    free(o->from);
    free(o->to);
    free(o->old);
}

void fsio_pl_after_sync(int fd)
{
    int e = errno;
    struct stat st;
    if (fstat(fd, &st) == -1) {
        g_errors++;
    } else if (S_ISDIR(st.st_mode)) {
        /* Every creation and rename in this directory is durable now. */
        size_t k = 0;
        for (size_t i = 0; i < g_nops; i++) {
            if (g_ops[i].ddev == st.st_dev && g_ops[i].dino == st.st_ino) dirop_free(&g_ops[i]);
            else g_ops[k++] = g_ops[i];
        }
        g_nops = k;
    } else {
        for (size_t i = 0; i < g_nino; i++)
            if (g_ino[i].dev == st.st_dev && g_ino[i].ino == st.st_ino) {
                inode_drop(i);   /* all of it is durable: nothing left to undo */
                break;
            }
    }
    errno = e;
}

/* Record a directory operation on dirfd (a name with '/' is not expected from binlogd; its
 * parent is then not the directory we see, so it is counted as an error and not recorded). */
static struct pl_dirop *dirop_new(int dirfd, const char *name, enum pl_kind kind)
{
    struct stat ds;
    struct pl_dirop *more = NULL;
    if (strchr(name, '/') || fstat(dirfd, &ds) == -1 || !(more = grow(g_ops, &g_cops, g_nops, sizeof(*g_ops))))
        return NULL;
    g_ops = more;
    int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd == -1) return NULL;
    struct pl_dirop *o = &g_ops[g_nops++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->ddev = ds.st_dev;
    o->dino = ds.st_ino;
    o->dirfd = dup_fd;
    return o;
}

void fsio_pl_after_create(int dirfd, const char *name, int fd)
{
    int e = errno;
    struct stat st;
    struct pl_dirop *o = fstat(fd, &st) == 0 ? dirop_new(dirfd, name, PL_CREATE) : NULL;
    if (!o) {
        g_errors++;
    } else {
        o->ino = st.st_ino;
        if (!(o->to = strdup(name))) g_errors++;
    }
    errno = e;
}

void *fsio_pl_before_rename(int dirfd, const char *to)
{
    int e = errno;
    struct pl_old *old = NULL;
    int fd = openat(dirfd, to, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= PL_MAX_OLD &&
        (old = malloc(sizeof(*old) + (size_t)st.st_size + 1))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t r = pread(fd, old->data + got, (size_t)st.st_size - got, (off_t)got);
            if (r == -1 && errno == EINTR) continue;
            if (r <= 0) break;
            got += (size_t)r;
        }
        old->ino = st.st_ino;
        old->len = got;
    } else if (fd != -1) {
        g_errors++;   /* an existing target we cannot keep: its undo would be wrong */
    }
    if (fd != -1) close(fd);
    errno = e;
    return old;
}

void fsio_pl_after_rename(int dirfd, const char *from, const char *to, void *old, int ok)
{
    int e = errno;
    struct stat st;
    struct pl_dirop *o = NULL;
    if (ok && (fstatat(dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == -1 || !(o = dirop_new(dirfd, to, PL_RENAME))))
        g_errors++;
    if (o) {
        o->ino = st.st_ino;
        o->from = strdup(from);
        o->to = strdup(to);
        o->old = old;
        old = NULL;
        if (!o->from || !o->to) g_errors++;
    }
    free(old);
    errno = e;
}

void fsio_pl_before_unlink(int dirfd, const char *name)
{
    int e = errno;
    struct stat ds, st;
    if (fstat(dirfd, &ds) == 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        for (size_t i = g_nops; i-- > 0;) {
            struct pl_dirop *o = &g_ops[i];
            if (o->kind == PL_CREATE && o->ddev == ds.st_dev && o->dino == ds.st_ino && o->ino == st.st_ino &&
                o->to && !strcmp(o->to, name)) {
                dirop_free(o);
                memmove(o, o + 1, (g_nops - i - 1) * sizeof(*o));
                g_nops--;
                break;
            }
        }
    errno = e;
}

/* dirfd/name is still the inode ino (a later operation may have moved it). */
static int still_there(int dirfd, const char *name, ino_t ino)
{
    struct stat st;
    return name && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == ino;
}

static int write_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t w = pwrite(fd, p, len, (off_t)off);
        if (w == -1 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        off += (uint64_t)w;
        len -= (size_t)w;
    }
    return 0;
}

/* Undo g_ops[i]. A file renamed over comes back as a new inode: the older operations that
 * name the old one are pointed at the new one, so they find it. */
static void undo_dirop(size_t i, struct fsio_powerloss_report *r)
{
    const struct pl_dirop *o = &g_ops[i];
    if (!still_there(o->dirfd, o->to, o->ino)) {
        r->errors++;
        return;
    }
    if (o->kind == PL_CREATE) {
        if (unlinkat(o->dirfd, o->to, 0) == -1) r->errors++;
        else r->entries_undone++;
        return;
    }
    if (renameat2(o->dirfd, o->to, o->dirfd, o->from, RENAME_NOREPLACE) == -1) {
        r->errors++;
        return;
    }
    r->entries_undone++;
    if (!o->old) return;
    struct stat st;
    int fd = openat(o->dirfd, o->to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd == -1 || write_all(fd, o->old->data, o->old->len, 0) == -1 || fstat(fd, &st) == -1) {
        r->errors++;
    } else {
        for (size_t j = 0; j < i; j++)
            if (g_ops[j].ino == o->old->ino) g_ops[j].ino = st.st_ino;
    }
    if (fd != -1) close(fd);
}

void fsio_powerloss_cut(struct fsio_powerloss_report *r)
{
    /* Never unlocked: every later recorded call waits here until the process exits. */
    pthread_mutex_lock(&g_mu);
    memset(r, 0, sizeof(*r));
    r->errors = g_errors;
    for (size_t i = 0; i < g_nino; i++) {
        struct pl_inode *n = &g_ino[i];
        struct stat st;
        if (fstat(n->fd, &st) == -1) {
            r->errors++;
            continue;
        }
        r->files++;
        if ((uint64_t)st.st_size > n->durable) r->bytes_dropped += (uint64_t)st.st_size - n->durable;
        for (size_t k = n->npre; k-- > 0;) {
            if (write_all(n->fd, n->pre[k].data, n->pre[k].len, n->pre[k].off) == -1) r->errors++;
            r->bytes_restored += n->pre[k].len;
        }
        if (ftruncate(n->fd, (off_t)n->durable) == -1) r->errors++;
    }
    for (size_t i = g_nops; i-- > 0;) undo_dirop(i, r);
}
