/*
 * zfile.c - see zfile.h.
 */
#include "storage/zfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "protocol/event.h"
#include "protocol/wire.h"
#include "storage/fsio.h"

struct zfile {
    int fd;
    struct zb_header h;
    struct zb_trailer t;
    struct zb_block *blocks;
    uint64_t stored;
    struct zcache *cache;
    struct zcache_key key;    /* block filled in per read */
    pthread_mutex_t mu;       /* the memo, without a cache */
    uint8_t *memo;
    uint32_t memo_block, memo_len;
    int memo_ok;
};

int zfile_name(const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", name, ZB_SUFFIX);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

struct zfile *zfile_open(int fd, struct zcache *cache, char *err, size_t errlen)
{
    struct zfile *z = calloc(1, sizeof(*z));
    uint8_t hb[ZB_HEADER_LEN], tb[ZB_TRAILER_LEN], *ib = NULL;
    const char *why = NULL;
    struct stat st;
    size_t got = 0;
    if (!z) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    z->fd = fd;
    z->cache = cache;
    pthread_mutex_init(&z->mu, NULL);
    if (fstat(fd, &st) == -1) {
        snprintf(err, errlen, "fstat: %s", strerror(errno));
        goto fail;
    }
    z->stored = (uint64_t)st.st_size;
    if (fsio_pread_all(fd, hb, sizeof(hb), 0, &got) == -1 || got != sizeof(hb)) {
        snprintf(err, errlen, "cannot read the header: %s", got != sizeof(hb) ? "file too short" : strerror(errno));
        goto fail;
    }
    if (zb_header_parse(hb, sizeof(hb), &z->h, &why) == -1) goto bad;
    if (z->stored < ZB_HEADER_LEN + ZB_TRAILER_LEN) {
        why = "shorter than header and trailer";
        goto bad;
    }
    if (fsio_pread_all(fd, tb, sizeof(tb), z->stored - ZB_TRAILER_LEN, &got) == -1 || got != sizeof(tb)) {
        snprintf(err, errlen, "cannot read the trailer: %s", strerror(errno));
        goto fail;
    }
    if (zb_trailer_parse(tb, sizeof(tb), z->stored, &z->h, &z->t, &why) == -1) goto bad;
    size_t ilen = (size_t)z->t.nblocks * ZB_ENTRY_LEN;
    if (!(ib = malloc(ilen ? ilen : 1)) || !(z->blocks = calloc(z->t.nblocks ? z->t.nblocks : 1, sizeof(*z->blocks)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (fsio_pread_all(fd, ib, ilen, z->t.index_off, &got) == -1 || got != ilen) {
        snprintf(err, errlen, "cannot read the block index: %s", strerror(errno));
        goto fail;
    }
    if (zb_index_parse(ib, ilen, &z->h, &z->t, z->blocks, &why) == -1) goto bad;
    free(ib);
    z->key.dev = (uint64_t)st.st_dev;
    z->key.ino = (uint64_t)st.st_ino;
    z->key.idx_crc = z->t.index_crc;
    return z;
bad:
    snprintf(err, errlen, "%s", why ? why : "damaged");
fail:
    free(ib);
    zfile_close(z);
    return NULL;
}

void zfile_close(struct zfile *z)
{
    if (!z) return;
    if (z->fd >= 0) close(z->fd);
    free(z->blocks);
    free(z->memo);
    pthread_mutex_destroy(&z->mu);
    free(z);
}

uint64_t zfile_size(const struct zfile *z) { return z->t.orig_size; }
uint32_t zfile_blocks(const struct zfile *z) { return z->t.nblocks; }
uint64_t zfile_stored_size(const struct zfile *z) { return z->stored; }
uint32_t zfile_block_size(const struct zfile *z) { return z->h.block_size; }
uint64_t zfile_walk_start(const struct zfile *z, uint64_t pos) { return zb_walk_start(&z->h, &z->t, z->blocks, pos); }

/* Inflate block i into buf (blen bytes) and check length and CRC. 0, or -1 with *why. */
static int inflate_block(struct zfile *z, uint32_t i, uint8_t *buf, uint32_t blen, const char **why)
{
    const struct zb_block *b = &z->blocks[i];
    uint8_t *cb = malloc(b->clen);
    size_t got = 0;
    if (!cb) return (*why = "out of memory"), -1;
    if (fsio_pread_all(z->fd, cb, b->clen, b->off, &got) == -1 || got != b->clen) {
        free(cb);
        return (*why = "cannot read the block"), -1;
    }
    uLongf out = blen;
    int rc = uncompress(buf, &out, cb, b->clen);
    free(cb);
    if (rc != Z_OK) return (*why = rc == Z_BUF_ERROR ? "block inflates to more than its length" : "block does not inflate"), -1;
    if (out != blen) return (*why = "block inflates to fewer bytes than its length"), -1;
    if ((uint32_t)crc32(0L, buf, blen) != b->crc) return (*why = "block CRC32 mismatch"), -1;
    return 0;
}

struct load_arg {
    struct zfile *z;
    uint32_t i;
};

static int load_block(void *arg, uint8_t *buf, uint32_t blen)
{
    struct load_arg *a = arg;
    const char *why = NULL;
    if (inflate_block(a->z, a->i, buf, blen, &why) == -1) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* Copy [off, off + len) of block i without a cache: through the memo. */
static int memo_read(struct zfile *z, uint32_t i, uint32_t blen, uint32_t off, uint8_t *dst, size_t len)
{
    const char *why = NULL;
    pthread_mutex_lock(&z->mu);
    if (!z->memo_ok || z->memo_block != i) {
        if (!z->memo && !(z->memo = malloc(z->h.block_size))) {
            pthread_mutex_unlock(&z->mu);
            errno = ENOMEM;
            return -1;
        }
        z->memo_ok = 0;
        if (inflate_block(z, i, z->memo, blen, &why) == -1) {
            pthread_mutex_unlock(&z->mu);
            errno = EIO;
            return -1;
        }
        z->memo_ok = 1;
        z->memo_block = i;
        z->memo_len = blen;
    }
    memcpy(dst, z->memo + off, len);
    pthread_mutex_unlock(&z->mu);
    return 0;
}

int zfile_pread(struct zfile *z, void *buf, size_t len, uint64_t off)
{
    uint8_t *dst = buf;
    if (off > z->t.orig_size || len > z->t.orig_size - off) {
        errno = ESPIPE;
        return -1;
    }
    while (len) {
        uint32_t i = (uint32_t)(off / z->h.block_size), in = (uint32_t)(off % z->h.block_size);
        uint32_t blen = zb_block_len(&z->h, &z->t, i);
        size_t n = blen - in < len ? blen - in : len;
        int rc;
        if (z->cache) {
            struct zcache_key k = z->key;
            struct load_arg a = {z, i};
            k.block = i;
            rc = zcache_read(z->cache, &k, blen, in, dst, n, load_block, &a);
        } else {
            rc = memo_read(z, i, blen, in, dst, n);
        }
        if (rc == -1) return -1;
        dst += n;
        off += n;
        len -= n;
    }
    return 0;
}

uint32_t zfile_check_block(struct zfile *z, uint32_t i, uint8_t *buf, const char **why)
{
    if (i >= z->t.nblocks) return (*why = "no such block"), 0;
    uint32_t blen = zb_block_len(&z->h, &z->t, i);
    return inflate_block(z, i, buf, blen, why) == 0 ? blen : 0;
}

int zfile_compress_to(int dirfd, const char *name, uint64_t size, uint32_t block_size, int level,
                      int (*stop)(void *arg), void *stop_arg, uint64_t *stored, char *err, size_t errlen)
{
    char zname[NAME_MAX + 1], tmp[PATH_MAX];
    int in = -1, out = -1, rc = -1;
    uint8_t *ib = NULL, *cb = NULL, *idx = NULL, *chk = NULL;
    struct zb_header h = {ZB_VERSION, block_size};
    struct zb_trailer t = {0};
    if (block_size < ZB_BLOCK_MIN || block_size > ZB_BLOCK_MAX || zfile_name(name, zname, sizeof(zname)) == -1 ||
        snprintf(tmp, sizeof(tmp), "%s%s", FSIO_TMP_PREFIX, zname) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "%s: name too long or bad block size", name);
        return -1;
    }
    t.orig_size = size;
    t.nblocks = (uint32_t)(size / block_size + (size % block_size != 0));
    uint64_t cap = zb_bound(block_size);
    size_t ilen = (size_t)t.nblocks * ZB_ENTRY_LEN;
    if (!(ib = malloc(block_size)) || !(cb = malloc(cap)) || !(idx = malloc(ilen ? ilen : 1)) ||
        !(chk = malloc(block_size))) {
        snprintf(err, errlen, "%s: out of memory", name);
        goto out;
    }
    if ((in = fsio_open(dirfd, name, O_RDONLY | O_NOFOLLOW, 0)) == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(in, &st) == -1 || (uint64_t)st.st_size != size) {
        snprintf(err, errlen, "%s: has %llu bytes on disk, the index says %llu; not compressed", name,
                 (unsigned long long)st.st_size, (unsigned long long)size);
        goto out;
    }
    (void)unlinkat(dirfd, tmp, 0);
    if ((out = fsio_open(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0640)) == -1) {
        snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    uint8_t hb[ZB_HEADER_LEN], tb[ZB_TRAILER_LEN];
    zb_header_put(hb, &h);
    uint64_t at = 0, next = 4;   /* the first event starts after the magic */
    if (fsio_pwrite_all(out, hb, sizeof(hb), at) == -1) goto werr;
    at = ZB_HEADER_LEN;
    for (uint32_t i = 0; i < t.nblocks; i++) {
        uint32_t blen = zb_block_len(&h, &t, i);
        size_t got = 0;
        if (stop && stop(stop_arg)) {
            snprintf(err, errlen, "%s: stopped (binlogd is shutting down)", name);
            goto out;
        }
        if (fsio_pread_all(in, ib, blen, (uint64_t)i * block_size, &got) == -1 || got != blen) {
            snprintf(err, errlen, "%s:%llu: read failed: %s", name, (unsigned long long)i * block_size,
                     got != blen ? "unexpected end of file" : strerror(errno));
            goto out;
        }
        uLongf cl = (uLongf)cap;
        if (compress2(cb, &cl, ib, blen, level) != Z_OK) {
            snprintf(err, errlen, "%s: zlib compress2 failed", name);
            goto out;
        }
        /* Event boundaries, by the headers' sizes from the plain file (a file that does not
         * parse as events just records none from there on: readers then walk from further
         * back, as with a plain file). */
        uint64_t bs = (uint64_t)i * block_size, be = bs + blen;
        uint32_t first = next >= bs && next < be ? (uint32_t)(next - bs) : ZB_NO_EVENT;
        while (next < be) {
            uint8_t sz[4];
            size_t g = 0;
            if (fsio_pread_all(in, sz, 4, next + 9, &g) == -1 || g != 4 || wire_u32(sz) < 19 ||
                next + wire_u32(sz) > size) {
                next = UINT64_MAX;
                break;
            }
            next += wire_u32(sz);
        }
        struct zb_block b = {at, (uint32_t)cl, (uint32_t)crc32(0L, ib, blen), first};
        zb_entry_put(idx + (size_t)i * ZB_ENTRY_LEN, &b);
        if (fsio_pwrite_all(out, cb, cl, at) == -1) goto werr;
        at += cl;
    }
    t.index_off = at;
    t.index_crc = zb_index_crc(idx, ilen);
    zb_trailer_put(tb, &t);
    if (fsio_pwrite_all(out, idx, ilen, at) == -1 || fsio_pwrite_all(out, tb, sizeof(tb), at + ilen) == -1) goto werr;
    if (fsio_fsync(out) == -1) {
        snprintf(err, errlen, "%s: fsync failed: %s", tmp, strerror(errno));
        goto out;
    }
    *stored = at + ilen + sizeof(tb);
    /* Inflate it back and compare with the plain bytes before the plain file may go. */
    int rfd = dup(out);
    struct zfile *z = rfd == -1 ? NULL : zfile_open(rfd, NULL, err, errlen);
    if (!z) {
        if (rfd == -1) snprintf(err, errlen, "dup: %s", strerror(errno));
        goto out;
    }
    for (uint32_t i = 0; i < t.nblocks; i++) {
        const char *why = NULL;
        size_t got = 0;
        uint32_t blen = zfile_check_block(z, i, chk, &why);
        if (!blen || fsio_pread_all(in, ib, blen, (uint64_t)i * block_size, &got) == -1 || got != blen ||
            memcmp(ib, chk, blen)) {
            snprintf(err, errlen, "%s: block %u does not read back as written (%s); not compressed", tmp, i,
                     why ? why : "bytes differ");
            zfile_close(z);
            goto out;
        }
    }
    zfile_close(z);
    if (fsio_rename(dirfd, tmp, zname) == -1) {
        snprintf(err, errlen, "%s -> %s: rename failed: %s", tmp, zname, strerror(errno));
        goto out;
    }
    if (fsio_fsync(dirfd) == -1) {
        snprintf(err, errlen, "fsync of the directory failed: %s", strerror(errno));
        goto out;   /* NAME.z may not be durable: the caller keeps the plain file */
    }
    rc = 0;
    goto out;
werr:
    snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
out:
    if (rc == -1 && out != -1) (void)unlinkat(dirfd, tmp, 0);
    if (in != -1) close(in);
    if (out != -1) close(out);
    free(ib);
    free(cb);
    free(idx);
    free(chk);
    return rc;
}

int zfile_stored_bytes(int dirfd, const char *name, int *compressed, uint64_t *bytes)
{
    char zname[NAME_MAX + 1];
    struct stat st;
    *compressed = 0;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        *bytes = (uint64_t)st.st_size;
        return 0;
    }
    if (errno != ENOENT) return -1;
    if (zfile_name(name, zname, sizeof(zname)) == -1) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (fstatat(dirfd, zname, &st, AT_SYMLINK_NOFOLLOW) == -1) return -1;
    *compressed = 1;
    *bytes = (uint64_t)st.st_size;
    return 0;
}

int zfile_inflate_to(int dirfd, const char *name, uint64_t size, int out_fd, int (*stop)(void *arg), void *stop_arg,
                     char *err, size_t errlen)
{
    char zname[NAME_MAX + 1], zerr[256];
    if (zfile_name(name, zname, sizeof(zname)) == -1) {
        snprintf(err, errlen, "%s: name too long", name);
        return -1;
    }
    int fd = fsio_open(dirfd, zname, O_RDONLY | O_NOFOLLOW, 0);
    if (fd == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", zname, strerror(errno));
        return -1;
    }
    struct zfile *z = zfile_open(fd, NULL, zerr, sizeof(zerr));
    if (!z) {
        snprintf(err, errlen, "%s: damaged compressed file: %s", zname, zerr);
        return -1;
    }
    int rc = -1;
    uint8_t *buf = NULL;
    uint64_t off = 0;
    if (zfile_size(z) != size) {
        snprintf(err, errlen, "%s: holds %llu original bytes, the index says %llu", zname,
                 (unsigned long long)zfile_size(z), (unsigned long long)size);
        goto out;
    }
    if (!(buf = malloc(zfile_block_size(z)))) {
        snprintf(err, errlen, "%s: out of memory", zname);
        goto out;
    }
    for (uint32_t i = 0; i < zfile_blocks(z); i++) {
        const char *why = NULL;
        if (stop && stop(stop_arg)) {
            snprintf(err, errlen, "%s: stopped (binlogd is shutting down)", zname);
            goto out;
        }
        uint32_t blen = zfile_check_block(z, i, buf, &why);
        uint32_t want = zb_block_len(&z->h, &z->t, i);
        if (!blen || blen != want) {
            snprintf(err, errlen, "%s: block %u of %u (original offsets %llu-%llu): %s", zname, i, zfile_blocks(z),
                     (unsigned long long)off, (unsigned long long)(off + want - 1), why ? why : "wrong length");
            goto out;
        }
        if (i == 0 && (blen < BINLOG_MAGIC_LEN || memcmp(buf, BINLOG_MAGIC, BINLOG_MAGIC_LEN))) {
            snprintf(err, errlen, "%s: block 0 (original offset 0): does not start with the binlog magic", zname);
            goto out;
        }
        if (fsio_pwrite_all(out_fd, buf, blen, off) == -1) {
            snprintf(err, errlen, "%s: write of the inflated copy failed at offset %llu: %s", zname,
                     (unsigned long long)off, strerror(errno));
            goto out;
        }
        off += blen;
    }
    if (off != size) {
        snprintf(err, errlen, "%s: its blocks hold %llu bytes, the index says %llu", zname, (unsigned long long)off,
                 (unsigned long long)size);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    zfile_close(z);
    return rc;
}

int bsrc_open(int dirfd, const char *name, struct zcache *cache, struct bsrc *out, char *err, size_t errlen)
{
    out->fd = -1;
    out->z = NULL;
    int fd = fsio_open(dirfd, name, O_RDONLY | O_NOFOLLOW, 0);
    if (fd != -1) {
        out->fd = fd;
        return 0;
    }
    int e = errno;
    char zname[NAME_MAX + 1], zerr[256];
    if (e != ENOENT || zfile_name(name, zname, sizeof(zname)) == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(e));
        errno = e;
        return -1;
    }
    if ((fd = fsio_open(dirfd, zname, O_RDONLY | O_NOFOLLOW, 0)) == -1) {
        e = errno;
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(e));
        errno = e;
        return -1;
    }
    if (!(out->z = zfile_open(fd, cache, zerr, sizeof(zerr)))) {
        snprintf(err, errlen, "%s: damaged compressed file: %s", zname, zerr);
        errno = EIO;
        return -1;
    }
    return 0;
}

void bsrc_close(struct bsrc *b)
{
    if (b->fd >= 0) close(b->fd);
    zfile_close(b->z);
    b->fd = -1;
    b->z = NULL;
}

int bsrc_pread(const struct bsrc *b, void *buf, size_t len, uint64_t off, size_t *got)
{
    if (!b->z) return fsio_pread_all(b->fd, buf, len, off, got);
    *got = 0;
    uint64_t size = zfile_size(b->z);
    if (off >= size) return 0;
    if (len > size - off) len = (size_t)(size - off);
    if (zfile_pread(b->z, buf, len, off) == -1) return -1;
    *got = len;
    return 0;
}

int bsrc_size(const struct bsrc *b, uint64_t *size)
{
    if (b->z) {
        *size = zfile_size(b->z);
        return 0;
    }
    struct stat st;
    if (fstat(b->fd, &st) == -1) return -1;
    *size = (uint64_t)st.st_size;
    return 0;
}
