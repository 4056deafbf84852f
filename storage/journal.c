/*
 * journal.c - see journal.h.
 */
#include "storage/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/checksum.h"
#include "protocol/event.h"
#include "protocol/wire.h"

#define MAGIC 0x314A4C42u   /* "BLJ1" */

struct journal {
    int fd;
    uint64_t generation, seq, wpos;
    uint8_t *rec;           /* header + name + data + CRC of the record being built */
};

static uint64_t new_generation(void)
{
    uint64_t g = 0;
    if (getrandom(&g, sizeof(g), 0) != (ssize_t)sizeof(g) || g == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        g = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16) ^ 1u;
    }
    return g;
}

static size_t rec_len(size_t name_len, size_t len) { return JOURNAL_HDR + name_len + len + 4; }

size_t journal_build(uint8_t *out, size_t cap, uint64_t generation, uint64_t seq, const char *name, uint64_t offset,
                     const uint8_t *data, uint32_t len)
{
    size_t nl = strlen(name), total = rec_len(nl, len);
    if (!nl || nl > EV_MAX_NAME_LEN || total > cap || total > UINT32_MAX) return 0;
    wire_put_u32(out, MAGIC);
    wire_put_u32(out + 4, (uint32_t)total);
    wire_put_u64(out + 8, generation);
    wire_put_u64(out + 16, seq);
    wire_put_u64(out + 24, offset);
    wire_put_u32(out + 32, len);
    wire_put_u16(out + 36, (uint16_t)nl);
    memcpy(out + JOURNAL_HDR, name, nl);
    if (data && out + JOURNAL_HDR + nl != data) memmove(out + JOURNAL_HDR + nl, data, len);
    wire_put_u32(out + total - 4, ev_crc32_extend(0, out, total - 4));
    return total;
}

long journal_scan(const uint8_t *buf, size_t len, int (*cb)(void *arg, const struct journal_rec *r), void *arg)
{
    long n = 0;
    size_t at = 0;
    struct journal_rec prev = {0};
    while (len - at >= JOURNAL_HDR + 4) {
        const uint8_t *p = buf + at;
        if (wire_u32(p) != MAGIC) break;
        uint32_t total = wire_u32(p + 4), dl = wire_u32(p + 32);
        uint16_t nl = wire_u16(p + 36);
        if (nl == 0 || nl > EV_MAX_NAME_LEN || dl > JOURNAL_MAX_DATA || total != rec_len(nl, dl) ||
            total > len - at)
            break;
        if (wire_u32(p + total - 4) != ev_crc32_extend(0, p, total - 4)) break;
        struct journal_rec r = {
            .generation = wire_u64(p + 8), .seq = wire_u64(p + 16), .offset = wire_u64(p + 24),
            .name = (const char *)p + JOURNAL_HDR, .name_len = nl, .data = p + JOURNAL_HDR + nl, .len = dl, .at = at,
        };
        if (n && (r.generation != prev.generation || r.seq != prev.seq + 1)) break;
        if (memchr(r.name, 0, nl) || memchr(r.name, '/', nl)) break;
        n++;
        if (cb && cb(arg, &r) == -1) return -1;
        prev = r;
        at += total;
    }
    return n;
}

struct journal *journal_open(int dirfd, enum fsio_op *op, char *err, size_t errlen)
{
    struct journal *j = calloc(1, sizeof(*j));
    uint8_t *zeros = NULL;
    *op = FSIO_OP_OPEN;
    if (!j || !(j->rec = malloc(rec_len(EV_MAX_NAME_LEN, JOURNAL_MAX_DATA)))) {
        snprintf(err, errlen, "%s: out of memory", JOURNAL_NAME);
        goto fail;
    }
    j->fd = fsio_open(dirfd, JOURNAL_NAME, O_RDWR | O_NOFOLLOW, 0);
    struct stat st;
    if (j->fd != -1 && (fstat(j->fd, &st) == -1 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != JOURNAL_SIZE)) {
        close(j->fd);
        j->fd = -1;
    }
    if (j->fd == -1) {
        /* Written out, not fallocate'd: unwritten extents would turn every record into a
         * metadata change again, which is what the journal exists to avoid. */
        if (!(zeros = calloc(1, JOURNAL_SIZE))) {
            snprintf(err, errlen, "%s: out of memory", JOURNAL_NAME);
            goto fail;
        }
        if (fsio_replace(dirfd, JOURNAL_NAME, zeros, JOURNAL_SIZE, op) == -1) {
            snprintf(err, errlen, "%s: cannot create (%s): %s", JOURNAL_NAME, fsio_op_name(*op), strerror(errno));
            goto fail;
        }
        *op = FSIO_OP_OPEN;
        if ((j->fd = fsio_open(dirfd, JOURNAL_NAME, O_RDWR | O_NOFOLLOW, 0)) == -1) {
            snprintf(err, errlen, "%s: cannot open: %s", JOURNAL_NAME, strerror(errno));
            goto fail;
        }
    }
    free(zeros);
    j->generation = new_generation();
    j->seq = 1;
    return j;
fail:
    free(zeros);
    journal_free(j);
    return NULL;
}

uint8_t *journal_data_buf(struct journal *j, size_t len)
{
    return len > JOURNAL_MAX_DATA ? NULL : j->rec + JOURNAL_HDR + EV_MAX_NAME_LEN;
}

int journal_commit(struct journal *j, const char *name, uint64_t offset, size_t len, enum fsio_op *op)
{
    size_t nl = strlen(name), total = rec_len(nl, len);
    if (len > JOURNAL_MAX_DATA || !nl || nl > EV_MAX_NAME_LEN) {
        errno = EINVAL;
        *op = FSIO_OP_WRITE;
        return -1;
    }
    if (j->wpos + total > JOURNAL_SIZE) return 1;
    /* The data sits at a fixed place (after room for the longest name): build the record
     * around it, moving the data down next to this name. */
    size_t n = journal_build(j->rec, rec_len(EV_MAX_NAME_LEN, JOURNAL_MAX_DATA), j->generation, j->seq, name, offset,
                             j->rec + JOURNAL_HDR + EV_MAX_NAME_LEN, (uint32_t)len);
    if (n != total) {
        errno = EINVAL;
        *op = FSIO_OP_WRITE;
        return -1;
    }
    *op = FSIO_OP_WRITE;
    if (fsio_pwrite_all(j->fd, j->rec, total, j->wpos) == -1) return -1;
    *op = FSIO_OP_FDATASYNC;
    if (fsio_fdatasync(j->fd) == -1) return -1;
    j->wpos += total;
    j->seq++;
    return 0;
}

void journal_restart(struct journal *j) { j->wpos = 0; }

size_t journal_used(const struct journal *j) { return j->wpos; }

int journal_invalidate(struct journal *j, enum fsio_op *op)
{
    uint8_t z[JOURNAL_HDR] = {0};
    *op = FSIO_OP_WRITE;
    if (fsio_pwrite_all(j->fd, z, sizeof(z), 0) == -1) return -1;
    *op = FSIO_OP_FDATASYNC;
    if (fsio_fdatasync(j->fd) == -1) return -1;
    j->generation = new_generation();
    j->seq = 1;
    j->wpos = 0;
    return 0;
}

int journal_rec_in_file(int fd, const struct journal_rec *r)
{
    uint8_t b[4096];
    for (uint32_t at = 0; at < r->len;) {
        size_t n = r->len - at < sizeof(b) ? r->len - at : sizeof(b), got = 0;
        if (fsio_pread_all(fd, b, n, r->offset + at, &got) == -1 || got != n || memcmp(b, r->data + at, n)) return 0;
        at += (uint32_t)n;
    }
    return 1;
}

void journal_free(struct journal *j)
{
    if (!j) return;
    if (j->fd != -1) close(j->fd);
    free(j->rec);
    free(j);
}
