/*
 * fsio.c - see fsio.h.
 *
 * Every syscall result is compared with -1 (never "< 0"), and every loop retries EINTR and
 * continues after short transfers: a pwrite that wrote fewer bytes is not an error by
 * itself, only the -1 that a retry then returns is.
 */
#include "storage/fsio.h"
#include "storage/fsio_pl.h"
#include "storage/sync_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- fault table (global mutable state of storage/, with sync_stats.c's counters) ---- */

struct fsio_fault {
    atomic_int armed;
    atomic_ulong skip;      /* calls to let through before failing */
    atomic_ulong left;      /* failures still to inject; ULONG_MAX = until cleared */
    atomic_int err;
    atomic_int partial;     /* the first hit is a short transfer; the next call fails */
};

static struct fsio_fault g_faults[FSIO_OP__COUNT];
static atomic_ulong g_calls[FSIO_OP__COUNT];
static atomic_int g_any_armed;

const char *fsio_op_name(enum fsio_op op)
{
    switch (op) {
    case FSIO_OP_OPEN: return "open";
    case FSIO_OP_WRITE: return "write";
    case FSIO_OP_READ: return "read";
    case FSIO_OP_FSYNC: return "fsync";
    case FSIO_OP_FDATASYNC: return "fdatasync";
    case FSIO_OP_FTRUNCATE: return "ftruncate";
    case FSIO_OP_RENAME: return "rename";
    case FSIO_OP_UNLINK: return "unlink";
    case FSIO_OP_MKDIR: return "mkdir";
    case FSIO_OP__COUNT: break;
    }
    return "?";
}

void fsio_set_fault_repeat(enum fsio_op op, unsigned long nth, int err, unsigned long times)
{
    if ((unsigned)op >= FSIO_OP__COUNT) return;
    struct fsio_fault *f = &g_faults[op];
    atomic_store(&f->armed, 0);
    atomic_store(&f->partial, 0);
    if (nth == 0) return;
    atomic_store(&f->skip, nth - 1);
    atomic_store(&f->left, times ? times : ULONG_MAX);
    atomic_store(&f->err, err);
    atomic_store(&f->armed, 1);
    atomic_store(&g_any_armed, 1);
}

void fsio_set_fault(enum fsio_op op, unsigned long nth, int err)
{
    fsio_set_fault_repeat(op, nth, err, 1);
}

void fsio_set_fault_partial(enum fsio_op op, unsigned long nth, int err)
{
    if ((unsigned)op >= FSIO_OP__COUNT) return;
    fsio_set_fault_repeat(op, nth, err, 1);
    if (nth) atomic_store(&g_faults[op].partial, 1);
}

void fsio_clear_faults(void)
{
    for (int i = 0; i < FSIO_OP__COUNT; i++) atomic_store(&g_faults[i].armed, 0);
    atomic_store(&g_any_armed, 0);
}

unsigned long fsio_calls(enum fsio_op op)
{
    return (unsigned)op < FSIO_OP__COUNT ? atomic_load_explicit(&g_calls[op], memory_order_relaxed) : 0;
}

/* Count the call; 1 and *err when this call must fail (or be short). */
static int fault_hit(enum fsio_op op, int *err)
{
    atomic_fetch_add_explicit(&g_calls[op], 1, memory_order_relaxed);
    if (!atomic_load_explicit(&g_any_armed, memory_order_relaxed)) return 0;
    struct fsio_fault *f = &g_faults[op];
    if (!atomic_load(&f->armed)) return 0;
    unsigned long s = atomic_load(&f->skip);
    while (s > 0)
        if (atomic_compare_exchange_weak(&f->skip, &s, s - 1)) return 0;
    unsigned long l = atomic_load(&f->left);
    while (l > 0) {
        if (l == ULONG_MAX || atomic_compare_exchange_weak(&f->left, &l, l - 1)) {
            *err = atomic_load(&f->err);
            return 1;
        }
    }
    atomic_store(&f->armed, 0);
    return 0;
}

/* Fails the call (-1, errno) when armed; returns 0 to proceed, possibly with *len shortened. */
static int fault_check(enum fsio_op op, size_t *len)
{
    int e;
    if (!fault_hit(op, &e)) return 0;
    if (atomic_exchange(&g_faults[op].partial, 0)) {
        /* torn: this call is short, the next one fails with e */
        atomic_store(&g_faults[op].skip, 0);
        atomic_store(&g_faults[op].left, 1);
        atomic_store(&g_faults[op].armed, 1);
        e = FSIO_FAULT_SHORT;
    }
    if (e == FSIO_FAULT_SHORT) {
        if (len && *len > 1) *len /= 2;
        return 0;
    }
    errno = e;
    return -1;
}

static const struct { const char *name; int value; } g_errnames[] = {
    {"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT}, {"EINTR", EINTR}, {"EROFS", EROFS},
    {"ENOMEM", ENOMEM}, {"EACCES", EACCES}, {"ENOENT", ENOENT}, {"short", FSIO_FAULT_SHORT},
};

static int parse_one(const char *item, size_t len, char *err, size_t errlen)
{
    char buf[128], *save = NULL;
    if (len >= sizeof(buf)) goto bad;
    memcpy(buf, item, len);
    buf[len] = 0;
    char *op_s = strtok_r(buf, ":", &save), *nth_s = strtok_r(NULL, ":", &save);
    char *err_s = strtok_r(NULL, ":", &save), *times_s = strtok_r(NULL, ":", &save);
    if (!op_s || !nth_s || !err_s || strtok_r(NULL, ":", &save)) goto bad;
    int op = -1;
    for (int i = 0; i < FSIO_OP__COUNT; i++)
        if (!strcmp(op_s, fsio_op_name((enum fsio_op)i))) op = i;
    char *end;
    unsigned long nth = strtoul(nth_s, &end, 10), times = 1;
    if (op == -1 || *end || nth == 0) goto bad;
    if (times_s) {
        times = strtoul(times_s, &end, 10);
        if (*end) goto bad;
    }
    int e = 0;
    for (size_t i = 0; i < sizeof(g_errnames) / sizeof(g_errnames[0]); i++)
        if (!strcmp(err_s, g_errnames[i].name)) e = g_errnames[i].value;
    if (!e) {
        long v = strtol(err_s, &end, 10);
        if (*end || v <= 0 || v > 4095) goto bad;
        e = (int)v;
    }
    fsio_set_fault_repeat((enum fsio_op)op, nth, e, times);
    return 0;
bad:
    snprintf(err, errlen, "bad fault spec '%.*s' (want op:nth:errno[:times], op one of open, write, read, "
             "fsync, fdatasync, ftruncate, rename, unlink, mkdir)", (int)(len > 100 ? 100 : len), item);
    return -1;
}

int fsio_faults_parse(const char *spec, char *err, size_t errlen)
{
    const char *p = spec;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n && parse_one(p, n, err, errlen) == -1) return -1;
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

/* ---- I/O ----
 * Each call that changes the data directory has a raw_* body; when the power-loss recorder
 * is on (fsio_pl.h), the public function runs it under the recorder's lock with its hooks. */

static int raw_open(int dirfd, const char *name, int flags, mode_t mode)
{
    for (;;) {
        if (fault_check(FSIO_OP_OPEN, NULL) == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        int fd = openat(dirfd, name, flags | O_CLOEXEC, mode);
        if (fd == -1 && errno == EINTR) continue;
        return fd;
    }
}

int fsio_open(int dirfd, const char *name, int flags, mode_t mode)
{
    if (!fsio_pl_active() || !(flags & O_CREAT)) return raw_open(dirfd, name, flags, mode);
    fsio_pl_lock();
    struct stat st;
    int existed = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    /* O_TRUNC of an existing file is done as a recorded truncate, so its pre-image is kept. */
    int fd = raw_open(dirfd, name, existed ? flags & ~O_TRUNC : flags, mode);
    if (fd != -1 && !existed) {
        fsio_pl_after_create(dirfd, name, fd);
    } else if (fd != -1 && (flags & O_TRUNC)) {
        fsio_pl_before_truncate(fd, 0);
        if (ftruncate(fd, 0) == -1) {   /* part of the open: no fault injection of its own */
            int e = errno;
            close(fd);
            errno = e;
            fd = -1;
        }
    }
    fsio_pl_unlock();
    return fd;
}

static int raw_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        size_t chunk = len;
        /* Cap single calls: Linux transfers at most ~2 GiB per call anyway. */
        if (chunk > ((size_t)1 << 30)) chunk = (size_t)1 << 30;
        if (fault_check(FSIO_OP_WRITE, &chunk) == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        ssize_t n = pwrite(fd, p, chunk, (off_t)off);
        if (n == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) {   /* not expected for regular files; avoid spinning */
            errno = EIO;
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int fsio_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    if (!fsio_pl_active()) return raw_pwrite_all(fd, buf, len, off);
    fsio_pl_lock();
    fsio_pl_before_write(fd, off, len);
    int rc = raw_pwrite_all(fd, buf, len, off);
    fsio_pl_unlock();
    return rc;
}

int fsio_pread_all(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
    uint8_t *p = buf;
    size_t done = 0;
    *got = 0;
    while (done < len) {
        size_t chunk = len - done;
        if (chunk > ((size_t)1 << 30)) chunk = (size_t)1 << 30;
        if (fault_check(FSIO_OP_READ, &chunk) == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        ssize_t n = pread(fd, p + done, chunk, (off_t)(off + done));
        if (n == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (n == 0) break;
        done += (size_t)n;
        *got = done;
    }
    return 0;
}

static int raw_fsync(int fd)
{
    for (;;) {
        if (fault_check(FSIO_OP_FSYNC, NULL) == -1) return -1;
        if (fsync(fd) == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        return 0;
    }
}

static int raw_fdatasync(int fd)
{
    for (;;) {
        if (fault_check(FSIO_OP_FDATASYNC, NULL) == -1) return -1;
        if (fdatasync(fd) == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        return 0;
    }
}

/* A sync through the recorder: on success the file's bytes (or the directory's entries) are
 * durable. */
static int recorded_sync(int fd, int (*fn)(int))
{
    if (!fsio_pl_active()) return fn(fd);
    fsio_pl_lock();
    int rc = fn(fd);
    if (rc == 0) fsio_pl_after_sync(fd);
    fsio_pl_unlock();
    return rc;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Every sync is timed here (sync_stats.h): the metrics' fsync count and latency histogram. */
static int timed_sync(int fd, int (*fn)(int), enum sync_kind kind)
{
    uint64_t t0 = mono_ns();
    int rc = recorded_sync(fd, fn);
    int e = errno;
    sync_stats_record(kind, mono_ns() - t0, rc == -1);
    errno = e;
    return rc;
}

int fsio_fsync(int fd) { return timed_sync(fd, raw_fsync, SYNC_KIND_FSYNC); }
int fsio_fdatasync(int fd) { return timed_sync(fd, raw_fdatasync, SYNC_KIND_FDATASYNC); }

static int raw_ftruncate(int fd, uint64_t len)
{
    if (len > (uint64_t)INT64_MAX) {
        errno = EFBIG;
        return -1;
    }
    for (;;) {
        if (fault_check(FSIO_OP_FTRUNCATE, NULL) == -1) return -1;
        if (ftruncate(fd, (off_t)len) == -1) {
            if (errno == EINTR) continue;
            return -1;
        }
        return 0;
    }
}

int fsio_ftruncate(int fd, uint64_t len)
{
    if (!fsio_pl_active()) return raw_ftruncate(fd, len);
    fsio_pl_lock();
    fsio_pl_before_truncate(fd, len);
    int rc = raw_ftruncate(fd, len);
    fsio_pl_unlock();
    return rc;
}

static int raw_rename(int dirfd, const char *from, const char *to)
{
    if (fault_check(FSIO_OP_RENAME, NULL) == -1) return -1;
    return renameat(dirfd, from, dirfd, to) == -1 ? -1 : 0;
}

static int raw_rename_noreplace(int dirfd, const char *from, const char *to)
{
    if (fault_check(FSIO_OP_RENAME, NULL) == -1) return -1;
    if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    /* No RENAME_NOREPLACE here: a hard link is just as exclusive (EEXIST). */
    if (linkat(dirfd, from, dirfd, to, 0) == -1) return -1;
    if (unlinkat(dirfd, from, 0) == -1) return -1;
    return 0;
}

static int recorded_rename(int dirfd, const char *from, const char *to, int replace)
{
    if (!fsio_pl_active())
        return replace ? raw_rename(dirfd, from, to) : raw_rename_noreplace(dirfd, from, to);
    fsio_pl_lock();
    void *old = replace ? fsio_pl_before_rename(dirfd, to) : NULL;
    int rc = replace ? raw_rename(dirfd, from, to) : raw_rename_noreplace(dirfd, from, to);
    fsio_pl_after_rename(dirfd, from, to, old, rc == 0);
    fsio_pl_unlock();
    return rc;
}

int fsio_rename(int dirfd, const char *from, const char *to) { return recorded_rename(dirfd, from, to, 1); }

int fsio_rename_noreplace(int dirfd, const char *from, const char *to)
{
    return recorded_rename(dirfd, from, to, 0);
}

int fsio_unlink(int dirfd, const char *name)
{
    if (fault_check(FSIO_OP_UNLINK, NULL) == -1) return -1;
    if (!fsio_pl_active()) return unlinkat(dirfd, name, 0) == -1 ? -1 : 0;
    fsio_pl_lock();
    fsio_pl_before_unlink(dirfd, name);
    int rc = unlinkat(dirfd, name, 0) == -1 ? -1 : 0;
    fsio_pl_unlock();
    return rc;
}

static int mkdir_one(const char *path, mode_t mode)
{
    if (fault_check(FSIO_OP_MKDIR, NULL) == -1) return -1;
    if (mkdir(path, mode) == -1) {
        if (errno != EEXIST) return -1;
        struct stat st;
        if (stat(path, &st) == -1) return -1;
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
    }
    return 0;
}

int fsio_mkdirs(const char *path, mode_t mode)
{
    size_t len = strlen(path);
    if (len == 0) {
        errno = ENOENT;
        return -1;
    }
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    memcpy(copy, path, len + 1);
    int rc = 0;
    for (size_t i = 1; i <= len && rc == 0; i++) {
        if (copy[i] != '/' && copy[i] != 0) continue;
        if (copy[i - 1] == '/') continue;   /* "a//b" */
        char saved = copy[i];
        copy[i] = 0;
        rc = mkdir_one(copy, mode);
        copy[i] = saved;
    }
    int e = errno;
    free(copy);
    errno = e;
    return rc;
}

/* Remove our temp file after a failed replace (no fault injection: it is cleanup). */
static void discard_tmp(int dirfd, const char *name)
{
    int pl = fsio_pl_active();
    if (pl) {
        fsio_pl_lock();
        fsio_pl_before_unlink(dirfd, name);
    }
    (void)unlinkat(dirfd, name, 0);
    if (pl) fsio_pl_unlock();
}

static int replace_mode(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                        enum fsio_op *failed_op);

int fsio_replace(int dirfd, const char *name, const void *data, size_t len, enum fsio_op *failed_op)
{
    return replace_mode(dirfd, name, data, len, 0644, failed_op);
}

int fsio_replace_private(int dirfd, const char *name, const void *data, size_t len, enum fsio_op *failed_op)
{
    return replace_mode(dirfd, name, data, len, 0600, failed_op);
}

static int replace_mode(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                        enum fsio_op *failed_op)
{
    char tmp[PATH_MAX];
    enum fsio_op op = FSIO_OP_OPEN;
    int n = snprintf(tmp, sizeof(tmp), "%s%s", FSIO_TMP_PREFIX, name);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        if (failed_op) *failed_op = op;
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = fsio_open(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd == -1) goto fail;
    /* A temp file left by a crash keeps its old mode through O_CREAT: set it before any byte
     * (a secret must never sit in a file others could open). */
    if (mode != 0644 && fchmod(fd, mode) == -1) goto fail_fd;
    op = FSIO_OP_WRITE;
    if (fsio_pwrite_all(fd, data, len, 0) == -1) goto fail_fd;
    op = FSIO_OP_FSYNC;
    if (fsio_fsync(fd) == -1) goto fail_fd;
    if (close(fd) == -1) {   /* after a good fsync this means the data may not be there */
        fd = -1;
        goto fail_fd;
    }
    fd = -1;
    op = FSIO_OP_RENAME;
    if (fsio_rename(dirfd, tmp, name) == -1) goto fail_fd;
    op = FSIO_OP_FSYNC;
    if (fsio_fsync(dirfd) == -1) goto fail;   /* the rename happened; nothing to remove */
    return 0;
fail_fd: {
        int e = errno;
        if (fd != -1) close(fd);
        discard_tmp(dirfd, tmp);   /* best effort cleanup, not a data-dir change that matters */
        errno = e;
    }
fail:
    if (failed_op) *failed_op = op;
    return -1;
}

int fsio_lock(int dirfd, const char *name)
{
    int fd = fsio_open(dirfd, name, O_RDWR | O_CREAT, 0644);
    if (fd == -1) return -1;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
        if (errno == EINTR) continue;
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
}

int fsio_read_small(int dirfd, const char *name, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = fsio_open(dirfd, name, O_RDONLY | O_NOFOLLOW, 0);
    if (fd == -1) return -1;
    struct stat st;
    if (fstat(fd, &st) == -1) goto fail;
    if (!S_ISREG(st.st_mode)) { errno = EINVAL; goto fail; }
    if ((uint64_t)st.st_size > max) { errno = EFBIG; goto fail; }
    size_t want = (size_t)st.st_size, got = 0;
    char *buf = malloc(want + 1);
    if (!buf) { errno = ENOMEM; goto fail; }
    if (fsio_pread_all(fd, buf, want, 0, &got) == -1) {
        int e = errno;
        free(buf);
        errno = e;
        goto fail;
    }
    close(fd);
    buf[got] = 0;
    *out = buf;
    *len = got;
    return 0;
fail: {
        int e = errno;
        close(fd);
        errno = e;
    }
    return -1;
}
