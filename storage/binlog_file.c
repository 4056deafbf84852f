/*
 * binlog_file.c - see binlog_file.h.
 *
 * The scan reads through one large buffer (1 MiB, grown for bigger events) so a recovery
 * of a multi-GiB file costs a few thousand preads, not one per event.
 */
#include "storage/binlog_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/checksum.h"
#include "protocol/wire.h"
#include "storage/index.h"
#include "storage/zfile.h"

#define SCAN_BUF (1u << 20)

int binlog_file_create(int dirfd, const char *name, const uint8_t *fde, size_t len, enum fsio_op *failed_op)
{
    char tmp[PATH_MAX];
    enum fsio_op op = FSIO_OP_OPEN;
    int fd = -1, e;
    if (len < EV_HEADER_LEN || len > SIZE_MAX - BINLOG_MAGIC_LEN) {
        errno = EINVAL;
        goto fail;
    }
    int n = snprintf(tmp, sizeof(tmp), "%s%s", FSIO_TMP_PREFIX, name);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    uint8_t *head = malloc(BINLOG_MAGIC_LEN + len);
    if (!head) goto fail;
    memcpy(head, BINLOG_MAGIC, BINLOG_MAGIC_LEN);
    memcpy(head + BINLOG_MAGIC_LEN, fde, len);
    /* The primary sends the FDE with IN_USE cleared; its own active file has it set. */
    head[BINLOG_IN_USE_OFFSET] |= (uint8_t)EV_F_BINLOG_IN_USE;
    fd = fsio_open(dirfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd == -1) {
        free(head);
        goto fail;
    }
    op = FSIO_OP_WRITE;
    int rc = fsio_pwrite_all(fd, head, BINLOG_MAGIC_LEN + len, 0);
    free(head);
    if (rc == -1) goto fail_tmp;
    op = FSIO_OP_FSYNC;
    if (fsio_fsync(fd) == -1) goto fail_tmp;
    op = FSIO_OP_RENAME;
    if (fsio_rename_noreplace(dirfd, tmp, name) == -1) goto fail_tmp;
    op = FSIO_OP_FSYNC;
    if (fsio_fsync(dirfd) == -1) goto fail_fd;
    return fd;
fail_tmp:
    e = errno;
    fsio_unlink(dirfd, tmp);
    errno = e;
fail_fd:
    e = errno;
    if (fd != -1) close(fd);
    errno = e;
fail:
    if (failed_op) *failed_op = op;
    return -1;
}

int binlog_file_open(int dirfd, const char *name)
{
    return fsio_open(dirfd, name, O_RDWR | O_NOFOLLOW, 0);
}

int binlog_file_append(int fd, uint64_t off, const void *buf, size_t len)
{
    return fsio_pwrite_all(fd, buf, len, off);
}

int binlog_file_truncate(int fd, uint64_t len, int do_sync, enum fsio_op *failed_op)
{
    if (fsio_ftruncate(fd, len) == -1) {
        if (failed_op) *failed_op = FSIO_OP_FTRUNCATE;
        return -1;
    }
    if (do_sync && fsio_fsync(fd) == -1) {
        if (failed_op) *failed_op = FSIO_OP_FSYNC;
        return -1;
    }
    return 0;
}

int binlog_file_set_in_use(int fd, int in_use, int do_sync, enum fsio_op *failed_op)
{
    uint8_t b;
    size_t got = 0;
    if (fsio_pread_all(fd, &b, 1, BINLOG_IN_USE_OFFSET, &got) == -1 || got != 1) {
        if (got != 1 && errno == 0) errno = EIO;
        if (failed_op) *failed_op = FSIO_OP_READ;
        return -1;
    }
    uint8_t nb = in_use ? (uint8_t)(b | EV_F_BINLOG_IN_USE) : (uint8_t)(b & ~EV_F_BINLOG_IN_USE);
    if (nb != b && fsio_pwrite_all(fd, &nb, 1, BINLOG_IN_USE_OFFSET) == -1) {
        if (failed_op) *failed_op = FSIO_OP_WRITE;
        return -1;
    }
    if (do_sync && fsio_fdatasync(fd) == -1) {
        if (failed_op) *failed_op = FSIO_OP_FDATASYNC;
        return -1;
    }
    return 0;
}

/* ---- scan ---- */

struct rdbuf {
    int fd;
    struct zfile *z;   /* compressed: read the original bytes through it instead of fd */
    uint8_t *buf;
    size_t cap;
    uint64_t start;   /* file offset of buf[0] */
    size_t len;       /* valid bytes in buf */
    uint64_t fsize;
    binlog_scan_cb cb;   /* optional: sees every accepted event after the FDE */
    void *cb_arg;
};

/* Make [off, off + need) available; *p points at it. 0, or -1 with errno (EIO when the file
 * turned out shorter than fstat said). */
static int rd_need(struct rdbuf *r, uint64_t off, size_t need, const uint8_t **p)
{
    if (off >= r->start && off + need <= r->start + r->len) {
        *p = r->buf + (off - r->start);
        return 0;
    }
    if (need > r->cap) {
        uint8_t *nb = malloc(need);   /* fresh buffer: the old contents are not needed */
        if (!nb) return -1;
        free(r->buf);
        r->buf = nb;
        r->cap = need;
    }
    uint64_t avail = r->fsize > off ? r->fsize - off : 0;
    size_t want = avail < r->cap ? (size_t)avail : r->cap;
    if (want < need) want = need;
    size_t got = 0;
    r->len = 0;
    struct bsrc src = {r->fd, r->z};
    if (bsrc_pread(&src, r->buf, want, off, &got) == -1) return -1;
    r->start = off;
    r->len = got;
    if (got < need) {
        errno = EIO;
        return -1;
    }
    *p = r->buf;
    return 0;
}

/* Record the first problem of the scan at off. */
__attribute__((format(printf, 3, 4)))
static void set_problem(struct binlog_scan *out, uint64_t off, const char *fmt_s, ...)
{
    va_list ap;
    va_start(ap, fmt_s);
    vsnprintf(out->problem, sizeof(out->problem), fmt_s, ap);
    va_end(ap);
    out->problem_offset = off;
}

/* Walk events from start; fills the event fields of *out (on any exit out->trx is the parser
 * state at safe_end, where the writer resumes). -1 only on read errors. */
static int scan_events(struct rdbuf *r, const char *name, uint64_t start, const struct ev_fmt *fmt,
                       struct binlog_scan *out, char *err, size_t errlen)
{
    uint64_t off = start;
    int rotated = 0;
    struct trx_parser at_safe = out->trx;   /* the parser state at safe_end */
    const char *why = NULL;
    while (off < r->fsize) {
        const uint8_t *p;
        struct ev_header h;
        uint64_t left = r->fsize - off;
        if (left < EV_HEADER_LEN) {
            set_problem(out, off, "partial event header (%llu bytes at the end of the file)", (unsigned long long)left);
            goto done;
        }
        if (rd_need(r, off, EV_HEADER_LEN, &p) == -1) goto io;
        if (ev_header_parse(p, EV_HEADER_LEN, &h, &why) != EV_OK) {
            set_problem(out, off, "bad event header: %s", why ? why : "?");
            goto done;
        }
        if (h.event_size > left) {
            set_problem(out, off, "%s event of %u bytes runs past the end of the file (%llu bytes left)",
                        ev_type_name(h.type), h.event_size, (unsigned long long)left);
            goto done;
        }
        if (h.log_pos != (uint32_t)(off + h.event_size)) {
            set_problem(out, off, "%s event has log_pos %u, expected %u", ev_type_name(h.type), h.log_pos,
                        (uint32_t)(off + h.event_size));
            goto done;
        }
        if (rd_need(r, off, h.event_size, &p) == -1) goto io;
        if (h.flags & EV_F_ARTIFICIAL) {
            set_problem(out, off, "artificial %s event stored in the file", ev_type_name(h.type));
            goto done;
        }
        if (h.type == EV_FORMAT_DESCRIPTION) {
            set_problem(out, off, "FORMAT_DESCRIPTION in the middle of the file");
            goto done;
        }
        if (fmt->checksum == EV_CHECKSUM_CRC32 && ev_crc32_verify(p, h.event_size) != 0) {
            set_problem(out, off, "CRC32 mismatch in %s event of %u bytes", ev_type_name(h.type), h.event_size);
            goto done;
        }
        if (rotated) {
            set_problem(out, off, "%s event after the file's %s", ev_type_name(h.type), ev_type_name(out->end_type));
            goto done;
        }
        /* Framed and checked just above: the view carries that header on, unparsed again. */
        const struct ev_view ev = {.buf = p, .len = h.event_size, .h = h};
        enum trx_verdict v = trx_feed_view(&out->trx, &ev, fmt, &why);
        if (v == TRX_BAD) {
            set_problem(out, off, "impossible transaction sequence at %s event: %s", ev_type_name(h.type),
                        why ? why : "?");
            goto done;
        }
        if (h.type == EV_ROTATE || h.type == EV_STOP) {
            if (v == TRX_INSIDE) {
                set_problem(out, off, "%s inside an open transaction", ev_type_name(h.type));
                goto done;
            }
            if (h.type == EV_ROTATE) {
                struct ev_rotate rot;
                const char *nwhy = "bad file name";
                why = NULL;
                if (ev_view_rotate(&ev, fmt, &rot, &why) != EV_OK ||
                    index_name_check(rot.name, rot.name_len, &nwhy) == -1) {
                    set_problem(out, off, "bad ROTATE event: %s", why ? why : nwhy);
                    goto done;
                }
                memcpy(out->rotate_name, rot.name, rot.name_len);
                out->rotate_name[rot.name_len] = 0;
                out->rotate_pos = rot.position;
            }
            out->end_type = h.type;
            rotated = 1;
        }
        if (r->cb) r->cb(r->cb_arg, &ev, off, v);
        off += h.event_size;
        out->events++;
        out->events_end = off;
        if (v == TRX_GROUP_END || v == TRX_OUTSIDE) {
            out->safe_end = off;
            at_safe = out->trx;
        }
    }
    if (out->safe_end < out->events_end)
        set_problem(out, out->safe_end, "incomplete transaction: %llu bytes from offset %llu to the end of the file",
                    (unsigned long long)(out->events_end - out->safe_end), (unsigned long long)out->safe_end);
    else
        out->problem_offset = r->fsize;
done:
    out->trx = at_safe;
    return 0;
io:
    snprintf(err, errlen, "%s:%llu: read failed: %s", name, (unsigned long long)off,
             errno == ENOMEM ? "out of memory" : strerror(errno));
    return -1;
}

/* An event at off that is consistent with its own position: sane header, fits, log_pos. */
static int plausible_at(struct rdbuf *r, uint64_t off, struct ev_header *h)
{
    const uint8_t *p;
    if (r->fsize - off < EV_HEADER_LEN || rd_need(r, off, EV_HEADER_LEN, &p) == -1) return 0;
    /* Cheap filter first: most offsets fail here, so a long damaged stretch scans fast. */
    uint32_t size = wire_u32(p + 9), log_pos = wire_u32(p + 13);
    if (p[4] == 0 || size < EV_HEADER_LEN || size > r->fsize - off || log_pos != (uint32_t)(off + size)) return 0;
    return ev_header_parse(p, EV_HEADER_LEN, h, NULL) == EV_OK;
}

int binlog_file_find_intact(int fd, const struct binlog_scan *sc, uint64_t *at)
{
    struct rdbuf r = {.fd = fd, .fsize = sc->file_size, .cap = SCAN_BUF};
    if (sc->events_end >= sc->file_size) return 0;
    if (!(r.buf = malloc(r.cap))) return -1;
    int found = 0;
    errno = 0;
    for (uint64_t off = sc->events_end + 1; !found && off + EV_HEADER_LEN <= r.fsize; off++) {
        struct ev_header h;
        const uint8_t *p;
        if (!plausible_at(&r, off, &h)) {
            if (errno) break;
            continue;
        }
        if (sc->fmt.checksum == EV_CHECKSUM_CRC32) {
            if (rd_need(&r, off, h.event_size, &p) == -1) break;
            found = ev_crc32_verify(p, h.event_size) == 0;
        } else {
            struct ev_header next;
            found = off + h.event_size == r.fsize || plausible_at(&r, off + h.event_size, &next);
        }
        if (found) *at = off;
    }
    int e = errno;
    free(r.buf);
    errno = e;
    return found ? 1 : e ? -1 : 0;
}

static int scan_init(const struct bsrc *src, const char *name, struct binlog_scan *out, struct rdbuf *r, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof(*out));
    trx_init(&out->trx);
    uint64_t size = 0;
    if (bsrc_size(src, &size) == -1) {
        snprintf(err, errlen, "%s: fstat failed: %s", name, strerror(errno));
        return -1;
    }
    memset(r, 0, sizeof(*r));
    r->fd = src->fd;
    r->z = src->z;
    r->fsize = size;
    r->cap = SCAN_BUF;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    out->file_size = r->fsize;
    return 0;
}

int binlog_file_scan_from(int fd, const char *name, uint64_t start, const struct ev_fmt *fmt,
                          uint32_t fde_len, struct binlog_scan *out, char *err, size_t errlen)
{
    struct rdbuf r;
    struct bsrc src = {fd, NULL};
    if (scan_init(&src, name, out, &r, err, errlen) == -1) return -1;
    out->fmt = *fmt;
    out->fde_len = fde_len;
    out->safe_end = out->events_end = start;
    int rc = scan_events(&r, name, start, fmt, out, err, errlen);
    free(r.buf);
    return rc;
}

int binlog_file_scan(int fd, const char *name, struct binlog_scan *out, char *err, size_t errlen)
{
    return binlog_file_scan_cb(fd, name, NULL, NULL, out, err, errlen);
}

int binlog_file_scan_cb(int fd, const char *name, binlog_scan_cb cb, void *cb_arg, struct binlog_scan *out,
                        char *err, size_t errlen)
{
    struct bsrc src = {fd, NULL};
    return binlog_file_scan_src(&src, name, cb, cb_arg, out, err, errlen);
}

int binlog_file_scan_src(const struct bsrc *src, const char *name, binlog_scan_cb cb, void *cb_arg,
                         struct binlog_scan *out, char *err, size_t errlen)
{
    struct rdbuf r;
    const uint8_t *p;
    struct ev_header h;
    struct ev_fde fde;
    const char *why = NULL;
    if (scan_init(src, name, out, &r, err, errlen) == -1) return -1;
    r.cb = cb;
    r.cb_arg = cb_arg;
    int rc = -1;
    if (r.fsize < BINLOG_MAGIC_LEN + EV_HEADER_LEN) {
        snprintf(err, errlen, "%s:0: file of %llu bytes is too short for a binlog header", name,
                 (unsigned long long)r.fsize);
        goto out;
    }
    if (rd_need(&r, 0, BINLOG_MAGIC_LEN + EV_HEADER_LEN, &p) == -1) goto io;
    if (memcmp(p, BINLOG_MAGIC, BINLOG_MAGIC_LEN)) {
        snprintf(err, errlen, "%s:0: not a binlog file (bad magic)", name);
        goto out;
    }
    if (ev_header_parse(p + BINLOG_MAGIC_LEN, EV_HEADER_LEN, &h, &why) != EV_OK || h.type != EV_FORMAT_DESCRIPTION) {
        snprintf(err, errlen, "%s:4: first event is not a FORMAT_DESCRIPTION%s%s", name, why ? ": " : "",
                 why ? why : "");
        goto out;
    }
    out->in_use = (p[BINLOG_IN_USE_OFFSET] & EV_F_BINLOG_IN_USE) != 0;
    if (h.event_size > r.fsize - BINLOG_MAGIC_LEN || h.log_pos != BINLOG_MAGIC_LEN + h.event_size) {
        snprintf(err, errlen, "%s:4: FORMAT_DESCRIPTION of %u bytes with log_pos %u does not fit the file", name,
                 h.event_size, h.log_pos);
        goto out;
    }
    if (rd_need(&r, BINLOG_MAGIC_LEN, h.event_size, &p) == -1) goto io;
    if (ev_fde_parse(p, h.event_size, &fde, &why) != EV_OK) {
        snprintf(err, errlen, "%s:4: bad FORMAT_DESCRIPTION: %s", name, why ? why : "?");
        goto out;
    }
    if (fde.has_checksum_alg && ev_crc32_verify(p, h.event_size) != 0) {
        snprintf(err, errlen, "%s:4: CRC32 mismatch in FORMAT_DESCRIPTION", name);
        goto out;
    }
    ev_fmt_from_fde(&out->fmt, &fde);
    out->fde_len = h.event_size;
    trx_init(&out->trx);
    out->events = 1;
    out->safe_end = out->events_end = BINLOG_MAGIC_LEN + (uint64_t)h.event_size;
    rc = scan_events(&r, name, out->safe_end, &out->fmt, out, err, errlen);
    goto out;
io:
    snprintf(err, errlen, "%s:0: read failed: %s", name, errno == ENOMEM ? "out of memory" : strerror(errno));
out:
    free(r.buf);
    return rc;
}
