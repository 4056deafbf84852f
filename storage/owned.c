/*
 * owned.c - which bytes binlogd wrote itself, so that recovery never destroys bytes it did
 * not write (README "Bytes binlogd did not write are never destroyed").
 *
 * `.binlogd-owned` names the last file binlogd created (store_file_begin) or took over at a
 * start (recover_last, after dealing with its tail), with its inode:  NAME <TAB> INODE.
 * Only that file can end with a torn tail binlogd wrote; any other last file was placed by
 * someone else (an archive to serve, a copy from a dead primary), and a tail recovery cuts
 * from it is moved to a side file `NAME.tail-OFFSET` first. Without the marker (a data
 * directory from before it existed, or a failed write of it) the last file counts as foreign:
 * the safe side, which costs a side file nobody needed.
 *
 * Error policy: writing the marker is best effort (a warning); reading it never fails the
 * start. Copying a foreign tail must be durable before the cut: if it cannot be, recovery
 * refuses to start rather than destroy the bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/fsio.h"
#include "storage/owned.h"
#include "storage/store_priv.h"

#define OWNED_NAME ".binlogd-owned"
#define COPY_CHUNK (1u << 20)

int store_owned_is(struct store *s, const char *name, int fd)
{
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    if (fstat(fd, &st) == -1) return 0;
    if (fsio_read_small(s->dirfd, OWNED_NAME, 4096, &text, &len) == -1) return 0;
    char want[EV_MAX_NAME_LEN + 48];
    snprintf(want, sizeof(want), "%s\t%" PRIu64 "\n", name, (uint64_t)st.st_ino);
    int yes = !strcmp(text, want);
    free(text);
    return yes;
}

void store_owned_set(struct store *s, const char *name, int fd)
{
    struct stat st;
    char line[EV_MAX_NAME_LEN + 48];
    enum fsio_op op = FSIO_OP_OPEN;
    if (fstat(fd, &st) == -1) {
        store_warnf(s, "%s/%s: fstat failed: %s", s->dir, name, strerror(errno));
        return;
    }
    int n = snprintf(line, sizeof(line), "%s\t%" PRIu64 "\n", name, (uint64_t)st.st_ino);
    if (fsio_replace(s->dirfd, OWNED_NAME, line, (size_t)n, &op) == -1)
        store_warnf(s, "%s/%s: cannot write (%s): %s; a torn tail of %s would be kept in a side file at the next "
                    "start", s->dir, OWNED_NAME, fsio_op_name(op), strerror(errno), name);
}

enum store_result store_keep_tail(struct store *s, int fd, const char *name, uint64_t from, uint64_t to, char *side,
                                  size_t sidecap, char *err, size_t errlen)
{
    int kfd = -1;
    for (unsigned k = 0; k < 100 && kfd == -1; k++) {
        if (k) snprintf(side, sidecap, "%s.tail-%" PRIu64 ".%u", name, from, k);
        else snprintf(side, sidecap, "%s.tail-%" PRIu64, name, from);
        kfd = fsio_open(s->dirfd, side, O_WRONLY | O_CREAT | O_EXCL, 0640);
        if (kfd == -1 && errno != EEXIST) break;
    }
    uint8_t *buf = kfd == -1 ? NULL : malloc(COPY_CHUNK);
    int e = errno;
    uint64_t off = from;
    while (buf && off < to) {
        size_t want = to - off > COPY_CHUNK ? COPY_CHUNK : (size_t)(to - off), got = 0;
        if (fsio_pread_all(fd, buf, want, off, &got) == -1 || got != want ||
            fsio_pwrite_all(kfd, buf, want, off - from) == -1) {
            e = got != want && errno == 0 ? EIO : errno;
            break;
        }
        off += want;
    }
    if (buf && off == to && (fsio_fsync(kfd) == -1 || fsio_fsync(s->dirfd) == -1)) {
        e = errno;
        off = from - 1;
    }
    free(buf);
    if (kfd != -1) close(kfd);
    if (kfd == -1 || off != to) {
        store_seterr(err, errlen, "%s/%s:%" PRIu64 ": cannot keep the %" PRIu64 " bytes recovery must cut in %s: %s; "
                     "refusing to start rather than destroy bytes binlogd did not write (free some space, or move "
                     "the file away)", s->dir, name, from, to - from, side, strerror(e));
        return STORE_FATAL;
    }
    return STORE_OK;
}
