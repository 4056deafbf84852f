/*
 * test_zfile.c - compressed history: the block format's parser on malformed input (bad magic,
 * version, block size, truncated trailer and index, lying offsets, oversize and empty blocks,
 * a wrong index CRC), the reader (every offset and span reads back the original bytes, a
 * flipped byte is EIO), the shared block cache (one inflation per block for many readers and
 * threads, the bound, a failing load), and a store whose closed file is compressed: the cursor
 * hands out the same events with the same bytes, from the start and from mid-file, and a
 * restart finds the compressed file with its original size; zfile_inflate_to (the plain copy
 * an archive command reads) refuses a damaged or inconsistent NAME.z naming file and block.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/wire.h"
#include "protocol/zblocks.h"
#include "storage/cursor.h"
#include "storage/fsio.h"
#include "storage/store.h"
#include "storage/zcache.h"
#include "storage/zfile.h"
#include "tests/unit/evgen.h"
#include "tests/unit/tmpdir.h"

/* ---- the format ---- */

/* A well-formed header, index and trailer for nb blocks of block_size (last one `last` bytes). */
struct fmt {
    struct zb_header h;
    struct zb_trailer t;
    struct zb_block b[8];
    uint8_t hb[ZB_HEADER_LEN], ib[8 * ZB_ENTRY_LEN], tb[ZB_TRAILER_LEN];
    uint64_t file_size;
};

static void fmt_make(struct fmt *f, uint32_t nb, uint32_t last)
{
    memset(f, 0, sizeof(*f));
    f->h.version = ZB_VERSION;
    f->h.block_size = 4096;
    f->t.orig_size = (uint64_t)(nb - 1) * 4096 + last;
    f->t.nblocks = nb;
    uint64_t at = ZB_HEADER_LEN;
    for (uint32_t i = 0; i < nb; i++) {
        f->b[i].off = at;
        f->b[i].clen = 100 + i;
        f->b[i].crc = 0x1000 + i;
        f->b[i].first_event = i == 1 ? ZB_NO_EVENT : 7 * i + 4;
        zb_entry_put(f->ib + i * ZB_ENTRY_LEN, &f->b[i]);
        at += f->b[i].clen;
    }
    f->t.index_off = at;
    f->t.index_crc = zb_index_crc(f->ib, nb * ZB_ENTRY_LEN);
    f->file_size = at + nb * ZB_ENTRY_LEN + ZB_TRAILER_LEN;
    zb_header_put(f->hb, &f->h);
    zb_trailer_put(f->tb, &f->t);
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    struct fmt f;
    fmt_make(&f, 3, 200);
    struct zb_header h;
    struct zb_trailer t;
    struct zb_block b[3];
    const char *why = NULL;
    assert_int_equal(zb_header_parse(f.hb, sizeof(f.hb), &h, &why), 0);
    assert_int_equal(h.block_size, 4096);
    assert_int_equal(zb_trailer_parse(f.tb, sizeof(f.tb), f.file_size, &h, &t, &why), 0);
    assert_int_equal(t.nblocks, 3);
    assert_int_equal(t.orig_size, 2 * 4096 + 200);
    assert_int_equal(zb_index_parse(f.ib, 3 * ZB_ENTRY_LEN, &h, &t, b, &why), 0);
    assert_int_equal(b[2].off, ZB_HEADER_LEN + 100 + 101);
    assert_int_equal(b[1].crc, 0x1001);
    assert_int_equal(zb_block_len(&h, &t, 0), 4096);
    assert_int_equal(zb_block_len(&h, &t, 2), 200);
    assert_int_equal(zb_block_len(&h, &t, 3), 0);
    assert_true(zb_bound(65536) >= 65536 + 13);
    /* where a header walk to pos starts: the last recorded boundary at or before pos */
    assert_int_equal(b[0].first_event, 4);
    assert_int_equal(b[1].first_event, ZB_NO_EVENT);
    assert_int_equal(zb_walk_start(&h, &t, b, 4), 4);
    assert_int_equal(zb_walk_start(&h, &t, b, 3000), 4);
    assert_int_equal(zb_walk_start(&h, &t, b, 5000), 4);            /* block 1 records none */
    assert_int_equal(zb_walk_start(&h, &t, b, 8192 + 17), 4);   /* before block 2's first: back to 0's */
    assert_int_equal(zb_walk_start(&h, &t, b, 8192 + 18), 8192 + 18);
    assert_int_equal(zb_walk_start(&h, &t, b, 8192 + 150), 8192 + 18);
    assert_int_equal(zb_walk_start(&h, &t, b, 1u << 30), 8192 + 18);
}

static void test_format_malformed(void **state)
{
    (void)state;
    struct fmt f;
    struct zb_header h;
    struct zb_trailer t;
    struct zb_block b[8];
    const char *why = NULL;
    uint8_t x[ZB_TRAILER_LEN];

    /* header: short, bad magic, version, block sizes */
    fmt_make(&f, 3, 200);
    assert_int_equal(zb_header_parse(f.hb, ZB_HEADER_LEN - 1, &h, &why), -1);
    memcpy(x, f.hb, ZB_HEADER_LEN);
    x[0] = 0xFE;   /* a plain binlog's magic starts so */
    assert_int_equal(zb_header_parse(x, ZB_HEADER_LEN, &h, &why), -1);
    assert_non_null(strstr(why, "magic"));
    memcpy(x, f.hb, ZB_HEADER_LEN);
    wire_put_u32(x + 8, 2);
    assert_int_equal(zb_header_parse(x, ZB_HEADER_LEN, &h, &why), -1);
    wire_put_u32(x + 8, 1);
    wire_put_u32(x + 12, 100);
    assert_int_equal(zb_header_parse(x, ZB_HEADER_LEN, &h, &why), -1);
    wire_put_u32(x + 12, ZB_BLOCK_MAX + 1);
    assert_int_equal(zb_header_parse(x, ZB_HEADER_LEN, &h, &why), -1);
    assert_int_equal(zb_header_parse(f.hb, ZB_HEADER_LEN, &h, &why), 0);

    /* trailer: truncated (short buffer, file too small), end magic, block count, index place */
    assert_int_equal(zb_trailer_parse(f.tb, ZB_TRAILER_LEN - 1, f.file_size, &h, &t, &why), -1);
    assert_int_equal(zb_trailer_parse(f.tb, ZB_TRAILER_LEN, ZB_HEADER_LEN + ZB_TRAILER_LEN - 1, &h, &t, &why), -1);
    memcpy(x, f.tb, ZB_TRAILER_LEN);
    x[31] ^= 1;
    assert_int_equal(zb_trailer_parse(x, ZB_TRAILER_LEN, f.file_size, &h, &t, &why), -1);
    assert_non_null(strstr(why, "trailer magic"));
    memcpy(x, f.tb, ZB_TRAILER_LEN);
    wire_put_u32(x + 16, 4);   /* 4 blocks for 2 * 4096 + 200 bytes */
    assert_int_equal(zb_trailer_parse(x, ZB_TRAILER_LEN, f.file_size, &h, &t, &why), -1);
    memcpy(x, f.tb, ZB_TRAILER_LEN);
    wire_put_u64(x + 8, 5 * 4096);   /* the original size says 5 blocks */
    assert_int_equal(zb_trailer_parse(x, ZB_TRAILER_LEN, f.file_size, &h, &t, &why), -1);
    /* the file was cut (the trailer copied to a shorter file): the index does not end there */
    assert_int_equal(zb_trailer_parse(f.tb, ZB_TRAILER_LEN, f.file_size - 1, &h, &t, &why), -1);
    assert_int_equal(zb_trailer_parse(f.tb, ZB_TRAILER_LEN, f.file_size + ZB_ENTRY_LEN, &h, &t, &why), -1);
    memcpy(x, f.tb, ZB_TRAILER_LEN);
    wire_put_u64(x, 3);   /* index inside the header */
    assert_int_equal(zb_trailer_parse(x, ZB_TRAILER_LEN, f.file_size, &h, &t, &why), -1);
    wire_put_u64(x, UINT64_MAX - 5);
    assert_int_equal(zb_trailer_parse(x, ZB_TRAILER_LEN, f.file_size, &h, &t, &why), -1);
    assert_int_equal(zb_trailer_parse(f.tb, ZB_TRAILER_LEN, f.file_size, &h, &t, &why), 0);

    /* index: truncated, CRC, lying offsets, oversize and empty blocks, a gap before the index */
    assert_int_equal(zb_index_parse(f.ib, 2 * ZB_ENTRY_LEN, &h, &t, b, &why), -1);
    uint8_t ib[8 * ZB_ENTRY_LEN];
    memcpy(ib, f.ib, sizeof(ib));
    ib[5] ^= 1;
    assert_int_equal(zb_index_parse(ib, 3 * ZB_ENTRY_LEN, &h, &t, b, &why), -1);
    assert_non_null(strstr(why, "CRC"));
    struct zb_trailer t2 = t;
    /* each case: rewrite the entries, fix the CRC so that only the lie is left */
    struct { uint32_t i; uint64_t off; uint32_t clen; const char *want; } lies[] = {
        {1, ZB_HEADER_LEN + 100 + 7, 101, "back to back"},   /* a hole between blocks */
        {0, ZB_HEADER_LEN - 1, 100, "back to back"},         /* overlapping the header */
        {2, ZB_HEADER_LEN + 100 + 101, 0, "bound"},          /* empty */
        {0, ZB_HEADER_LEN, 5000, "bound"},                   /* larger than zlib can make of 4096 bytes */
        {2, ZB_HEADER_LEN + 100 + 101, 103, "runs into the index"},   /* blocks run past the index */
        {2, ZB_HEADER_LEN + 100 + 101, 50, "end where the index"},    /* a gap before the index */
        {2, ZB_HEADER_LEN + 100 + 101, 102, "first event"},           /* see below: outside its block */
    };
    for (size_t k = 0; k < sizeof(lies) / sizeof(lies[0]); k++) {
        memcpy(ib, f.ib, sizeof(ib));
        struct zb_block e = f.b[lies[k].i];
        e.off = lies[k].off;
        e.clen = lies[k].clen;
        if (strstr(lies[k].want, "first event")) e.first_event = 200;   /* the last block has 200 bytes */
        zb_entry_put(ib + lies[k].i * ZB_ENTRY_LEN, &e);
        t2.index_crc = zb_index_crc(ib, 3 * ZB_ENTRY_LEN);
        why = NULL;
        assert_int_equal(zb_index_parse(ib, 3 * ZB_ENTRY_LEN, &h, &t2, b, &why), -1);
        assert_non_null(why);
        if (!strstr(why, lies[k].want)) fail_msg("case %zu: '%s' lacks '%s'", k, why, lies[k].want);
    }
    /* zero blocks: an empty original (not a binlog, but well formed) */
    struct zb_trailer t0 = {.index_off = ZB_HEADER_LEN, .orig_size = 0, .nblocks = 0, .index_crc = zb_index_crc(ib, 0)};
    assert_int_equal(zb_index_parse(ib, 0, &h, &t0, b, &why), 0);
}

/* ---- the reader ---- */

struct dirfx {
    char path[64];
    int dfd;
};

static void dir_make(struct dirfx *d)
{
    snprintf(d->path, sizeof(d->path), "/tmp/binlogd-zfile-XXXXXX");
    assert_non_null(mkdtemp(d->path));
    d->dfd = open(d->path, O_RDONLY | O_DIRECTORY);
    assert_true(d->dfd >= 0);
}

static void dir_drop(struct dirfx *d)
{
    close(d->dfd);
    tmpdir_remove(d->path);
}

/* A file of len compressible-but-not-trivial bytes. */
static uint8_t *write_plain(int dfd, const char *name, size_t len)
{
    uint8_t *p = malloc(len);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245 + 12345;
        p[i] = (uint8_t)((i % 97 < 60) ? 'a' + (i % 7) : (x >> 16));
    }
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, len), (ssize_t)len);
    close(fd);
    return p;
}

static int stop_after_two(void *arg)
{
    int *n = arg;
    return ++*n > 2;
}

static void test_reader(void **state)
{
    (void)state;
    struct dirfx d;
    dir_make(&d);
    size_t len = 5 * 4096 + 123;
    uint8_t *orig = write_plain(d.dfd, "f.000001", len), *buf = malloc(len);
    char err[512];
    uint64_t stored = 0;
    assert_int_equal(zfile_compress_to(d.dfd, "f.000001", len, 4096, 6, NULL, NULL, &stored, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(fstatat(d.dfd, "f.000001.z", &st, 0), 0);
    assert_int_equal((uint64_t)st.st_size, stored);
    assert_true(stored < len);
    /* the index must say what the plain file has, or nothing is compressed */
    assert_int_equal(zfile_compress_to(d.dfd, "f.000001", len + 1, 4096, 6, NULL, NULL, &stored, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "on disk"));
    assert_int_equal(fstatat(d.dfd, "f.000001.z", &st, 0), 0);   /* the earlier one stays */
    /* a shutdown abandons the work between blocks: nothing new, no temporary file */
    assert_int_equal(zfile_compress_to(d.dfd, "f.000001", len, 4096, 6, stop_after_two, &(int){0}, &stored, err,
                                       sizeof(err)), -1);
    assert_non_null(strstr(err, "stopped"));
    assert_int_equal(fstatat(d.dfd, FSIO_TMP_PREFIX "f.000001.z", &st, 0), -1);

    struct zcache *zc = zcache_new(1 << 20);
    for (int cached = 0; cached < 2; cached++) {
        struct zfile *z = zfile_open(openat(d.dfd, "f.000001.z", O_RDONLY), cached ? zc : NULL, err, sizeof(err));
        assert_non_null(z);
        assert_int_equal(zfile_size(z), len);
        assert_int_equal(zfile_blocks(z), 6);
        /* every span that starts and ends at interesting offsets */
        uint64_t offs[] = {0, 1, 4095, 4096, 4097, 8191, 12000, 5 * 4096, len - 1, len};
        for (size_t a = 0; a < sizeof(offs) / sizeof(offs[0]); a++)
            for (size_t b = a; b < sizeof(offs) / sizeof(offs[0]); b++) {
                size_t n = (size_t)(offs[b] - offs[a]);
                memset(buf, 0, len);
                assert_int_equal(zfile_pread(z, buf, n, offs[a]), 0);
                assert_memory_equal(buf, orig + offs[a], n);
            }
        errno = 0;
        assert_int_equal(zfile_pread(z, buf, 2, len - 1), -1);
        assert_int_equal(errno, ESPIPE);
        zfile_close(z);
    }
    struct zcache_stats s;
    zcache_get_stats(zc, &s);
    assert_int_equal(s.decompressions, 6);   /* the cached pass inflated each block once */
    assert_true(s.hits > 40);
    zcache_free(zc);

    /* bsrc: the plain file first, the compressed one when the plain file is gone */
    struct bsrc b;
    size_t got = 0;
    assert_int_equal(bsrc_open(d.dfd, "f.000001", NULL, &b, err, sizeof(err)), 0);
    assert_true(b.fd >= 0 && !b.z);
    bsrc_close(&b);
    assert_int_equal(unlinkat(d.dfd, "f.000001", 0), 0);
    assert_int_equal(bsrc_open(d.dfd, "f.000001", NULL, &b, err, sizeof(err)), 0);
    assert_non_null(b.z);
    uint64_t size = 0;
    assert_int_equal(bsrc_size(&b, &size), 0);
    assert_int_equal(size, len);
    assert_int_equal(bsrc_pread(&b, buf, len, 0, &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(buf, orig, len);
    assert_int_equal(bsrc_pread(&b, buf, 100, len - 10, &got), 0);   /* short at the end */
    assert_int_equal(got, 10);
    bsrc_close(&b);
    errno = 0;
    assert_int_equal(bsrc_open(d.dfd, "f.000002", NULL, &b, err, sizeof(err)), -1);
    assert_int_equal(errno, ENOENT);

    /* a flipped byte inside block 1: the other blocks read, block 1 is EIO */
    int fd = openat(d.dfd, "f.000001.z", O_RDWR);
    struct zfile *z = zfile_open(fd, NULL, err, sizeof(err));
    assert_non_null(z);
    uint8_t *blk = malloc(4096);
    const char *why = NULL;
    assert_int_equal(zfile_check_block(z, 1, blk, &why), 4096);
    zfile_close(z);
    fd = openat(d.dfd, "f.000001.z", O_RDWR);
    uint8_t ib[ZB_ENTRY_LEN], tb[ZB_TRAILER_LEN];
    assert_int_equal(pread(fd, tb, sizeof(tb), (off_t)stored - ZB_TRAILER_LEN), ZB_TRAILER_LEN);
    uint64_t index_off = wire_u64(tb);
    assert_int_equal(pread(fd, ib, sizeof(ib), (off_t)(index_off + ZB_ENTRY_LEN)), ZB_ENTRY_LEN);
    uint64_t b1 = wire_u64(ib);
    uint8_t c;
    assert_int_equal(pread(fd, &c, 1, (off_t)b1 + 5), 1);
    c ^= 0x10;
    assert_int_equal(pwrite(fd, &c, 1, (off_t)b1 + 5), 1);
    z = zfile_open(fd, NULL, err, sizeof(err));
    assert_non_null(z);   /* the index is intact */
    assert_int_equal(zfile_pread(z, buf, 4096, 0), 0);
    errno = 0;
    assert_int_equal(zfile_pread(z, buf, 10, 4096 + 10), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(zfile_check_block(z, 1, blk, &why), 0);
    assert_non_null(why);
    assert_int_equal(zfile_check_block(z, 2, blk, &why), 4096);
    zfile_close(z);

    /* a truncated file: the trailer is gone */
    fd = openat(d.dfd, "f.000001.z", O_RDWR);
    assert_int_equal(ftruncate(fd, (off_t)stored - 7), 0);
    assert_null(zfile_open(fd, NULL, err, sizeof(err)));
    fd = openat(d.dfd, "f.000001.z", O_RDWR);
    assert_int_equal(ftruncate(fd, 10), 0);
    assert_null(zfile_open(fd, NULL, err, sizeof(err)));
    assert_int_equal(bsrc_open(d.dfd, "f.000001", NULL, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "damaged compressed file"));
    free(blk);
    free(buf);
    free(orig);
    dir_drop(&d);
}

/* ---- the block cache ---- */

struct loadfx {
    pthread_mutex_t mu;
    int loads;
    int fail;
};

static int load_fill(void *arg, uint8_t *buf, uint32_t blen)
{
    struct loadfx *l = arg;
    pthread_mutex_lock(&l->mu);
    l->loads++;
    int fail = l->fail;
    pthread_mutex_unlock(&l->mu);
    usleep(2000);   /* long enough for the other threads to find it loading */
    if (fail) {
        errno = EIO;
        return -1;
    }
    for (uint32_t i = 0; i < blen; i++) buf[i] = (uint8_t)i;
    return 0;
}

struct thr {
    struct zcache *c;
    struct loadfx *l;
    int ok;
};

static void *reader(void *arg)
{
    struct thr *t = arg;
    struct zcache_key k = {1, 2, 3, 7};
    uint8_t b[16];
    t->ok = zcache_read(t->c, &k, 1000, 100, b, sizeof(b), load_fill, t->l) == 0 && b[0] == 100 && b[15] == 115;
    return NULL;
}

/* zfile_stored_bytes, and zfile_inflate_to: the plain copy for an archive command, byte for byte, and every way a
 * damaged or inconsistent NAME.z is refused with the file and the block named. */
static void test_inflate_to(void **state)
{
    (void)state;
    struct dirfx d;
    dir_make(&d);
    size_t len = 5 * 4096 + 123;
    uint8_t *orig = write_plain(d.dfd, "f.000001", len);
    memcpy(orig, "\xfe" "bin", 4);   /* a binlog starts with the magic */
    int fd = openat(d.dfd, "f.000001", O_WRONLY);
    assert_int_equal(pwrite(fd, orig, 4, 0), 4);
    close(fd);
    char err[512];
    uint64_t stored = 0;
    assert_int_equal(zfile_compress_to(d.dfd, "f.000001", len, 4096, 6, NULL, NULL, &stored, err, sizeof(err)), 0);
    /* what it takes on disk: the plain file while it is there, then NAME.z */
    int compressed = -1;
    uint64_t bytes = 0;
    assert_int_equal(zfile_stored_bytes(d.dfd, "f.000001", &compressed, &bytes), 0);
    assert_int_equal(compressed, 0);
    assert_int_equal(bytes, len);
    assert_int_equal(unlinkat(d.dfd, "f.000001", 0), 0);
    assert_int_equal(zfile_stored_bytes(d.dfd, "f.000001", &compressed, &bytes), 0);
    assert_int_equal(compressed, 1);
    assert_int_equal(bytes, stored);
    errno = 0;
    assert_int_equal(zfile_stored_bytes(d.dfd, "f.000002", &compressed, &bytes), -1);
    assert_int_equal(errno, ENOENT);

    uint8_t *buf = malloc(len + 16);
    int out = openat(d.dfd, "copy", O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(out >= 0);
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000001", len, out, NULL, NULL, err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(fstat(out, &st), 0);
    assert_int_equal((uint64_t)st.st_size, len);
    assert_int_equal(pread(out, buf, len + 16, 0), (ssize_t)len);
    assert_memory_equal(buf, orig, len);

    /* the index's size must be the one the blocks hold */
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000001", len + 1, out, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "f.000001.z: holds 20603 original bytes, the index says 20604"));
    /* a shutdown stops it between blocks */
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000001", len, out, stop_after_two, &(int){0}, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "stopped"));
    /* neither form there */
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000009", len, out, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "f.000009.z: cannot open"));
    /* a name that cannot take the suffix */
    char longname[NAME_MAX + 1];
    memset(longname, 'x', NAME_MAX);
    longname[NAME_MAX] = 0;
    assert_int_equal(zfile_inflate_to(d.dfd, longname, len, out, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "name too long"));

    /* a flipped byte in block 3's compressed bytes: named with its original offsets */
    int zfd = openat(d.dfd, "f.000001.z", O_RDWR);
    uint8_t ib[ZB_ENTRY_LEN], tb[ZB_TRAILER_LEN], c;
    assert_int_equal(pread(zfd, tb, sizeof(tb), (off_t)stored - ZB_TRAILER_LEN), ZB_TRAILER_LEN);
    uint64_t index_off = wire_u64(tb);
    assert_int_equal(pread(zfd, ib, sizeof(ib), (off_t)(index_off + 3 * ZB_ENTRY_LEN)), ZB_ENTRY_LEN);
    uint64_t b3 = wire_u64(ib);
    assert_int_equal(pread(zfd, &c, 1, (off_t)b3 + 7), 1);
    c ^= 0x21;
    assert_int_equal(pwrite(zfd, &c, 1, (off_t)b3 + 7), 1);
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000001", len, out, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "f.000001.z: block 3 of 6 (original offsets 12288-16383): "));
    c ^= 0x21;
    assert_int_equal(pwrite(zfd, &c, 1, (off_t)b3 + 7), 1);
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000001", len, out, NULL, NULL, err, sizeof(err)), 0);
    /* a damaged trailer: the file does not open as a compressed file */
    assert_int_equal(pread(zfd, &c, 1, (off_t)stored - 1), 1);
    c ^= 0xff;
    assert_int_equal(pwrite(zfd, &c, 1, (off_t)stored - 1), 1);
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000001", len, out, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "f.000001.z: damaged compressed file: "));
    /* truncated to nothing */
    assert_int_equal(ftruncate(zfd, 0), 0);
    assert_int_equal(zfile_inflate_to(d.dfd, "f.000001", len, out, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "damaged compressed file"));
    close(zfd);

    /* a file that is not a binlog (no magic) is not handed out as one */
    uint8_t *other = write_plain(d.dfd, "g.000001", 3000);
    assert_int_equal(zfile_compress_to(d.dfd, "g.000001", 3000, 4096, 6, NULL, NULL, &stored, err, sizeof(err)), 0);
    assert_int_equal(zfile_inflate_to(d.dfd, "g.000001", 3000, out, NULL, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "g.000001.z: block 0 (original offset 0): does not start with the binlog magic"));
    free(other);
    close(out);
    free(buf);
    free(orig);
    dir_drop(&d);
}

static void test_cache(void **state)
{
    (void)state;
    struct loadfx l = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct zcache *c = zcache_new(3000);
    /* 16 threads want the same block at once: one inflation */
    pthread_t th[16];
    struct thr t[16];
    for (int i = 0; i < 16; i++) {
        t[i] = (struct thr){c, &l, 0};
        assert_int_equal(pthread_create(&th[i], NULL, reader, &t[i]), 0);
    }
    for (int i = 0; i < 16; i++) {
        pthread_join(th[i], NULL);
        assert_true(t[i].ok);
    }
    assert_int_equal(l.loads, 1);
    struct zcache_stats s;
    zcache_get_stats(c, &s);
    assert_int_equal(s.decompressions, 1);
    assert_int_equal(s.hits, 15);
    /* the bound: three 1000-byte blocks fit, the fourth evicts the least recently used */
    uint8_t b[4];
    for (uint32_t blk = 0; blk < 3; blk++) {
        struct zcache_key k = {1, 2, 3, blk};
        assert_int_equal(zcache_read(c, &k, 1000, 0, b, 4, load_fill, &l), 0);
    }
    zcache_get_stats(c, &s);
    assert_int_equal(s.bytes, 3000);
    assert_int_equal(s.evictions, 1);   /* block 7 (the oldest) made room for block 2 */
    struct zcache_key k0 = {1, 2, 3, 0}, k9 = {1, 2, 3, 9}, other = {1, 2, 4, 0};
    assert_int_equal(zcache_read(c, &k0, 1000, 0, b, 4, load_fill, &l), 0);   /* hit; 0 is newest now */
    assert_int_equal(zcache_read(c, &k9, 1000, 0, b, 4, load_fill, &l), 0);   /* evicts 1 */
    zcache_get_stats(c, &s);
    assert_int_equal(s.evictions, 2);
    int before = l.loads;
    assert_int_equal(zcache_read(c, &k0, 1000, 0, b, 4, load_fill, &l), 0);
    assert_int_equal(l.loads, before);
    /* another file's identity (index CRC) is another block */
    assert_int_equal(zcache_read(c, &other, 1000, 0, b, 4, load_fill, &l), 0);
    assert_int_equal(l.loads, before + 1);
    /* a span outside the block */
    assert_int_equal(zcache_read(c, &k0, 1000, 998, b, 4, load_fill, &l), -1);
    /* a failing load: -1 with its errno, nothing cached, the next read loads again */
    struct zcache_key kf = {9, 9, 9, 9};
    l.fail = 1;
    errno = 0;
    assert_int_equal(zcache_read(c, &kf, 100, 0, b, 4, load_fill, &l), -1);
    assert_int_equal(errno, EIO);
    l.fail = 0;
    before = l.loads;
    assert_int_equal(zcache_read(c, &kf, 100, 0, b, 4, load_fill, &l), 0);
    assert_int_equal(l.loads, before + 1);
    /* shrinking evicts at once; 0 keeps nothing but still reads */
    zcache_set_capacity(c, 0);
    zcache_get_stats(c, &s);
    assert_int_equal(s.bytes, 0);
    assert_int_equal(s.blocks, 0);
    before = l.loads;
    assert_int_equal(zcache_read(c, &k0, 1000, 10, b, 4, load_fill, &l), 0);
    assert_int_equal(b[0], 10);
    assert_int_equal(zcache_read(c, &k0, 1000, 10, b, 4, load_fill, &l), 0);
    assert_int_equal(l.loads, before + 2);
    zcache_free(c);
}

/* ---- a store with a compressed file, read by the cursor ---- */

struct sfx {
    char path[64];
    struct store *s;
    struct evgen g;
    char err[512];
    uint8_t buf[1 << 16];
    uint64_t ends[512];
    size_t nends;
};

static void app(struct sfx *f, const uint8_t *ev, size_t len)
{
    assert_int_equal(store_append(f->s, ev, len, f->err, sizeof(f->err)), STORE_OK);
}

static void write_file(struct sfx *f, const char *name, int n, const char *next)
{
    evgen_init(&f->g);
    size_t l = evgen_fde(&f->g, f->buf, sizeof(f->buf));
    assert_int_equal(store_file_begin(f->s, name, f->buf, l, f->err, sizeof(f->err)), STORE_OK);
    f->nends = 0;
    char sql[600];
    for (int i = 0; i < n; i++) {
        l = evgen_gtid(&f->g, f->buf, 256, 0, (uint64_t)i + 1, EV_MGTID_TRANSACTIONAL);
        app(f, f->buf, l);
        snprintf(sql, sizeof(sql), "INSERT INTO t VALUES (%d, '%0*d')", i, 100 + (i * 37) % 400, i);
        l = evgen_query(&f->g, f->buf, sizeof(f->buf), "d", sql);
        app(f, f->buf, l);
        l = evgen_xid(&f->g, f->buf, 256, (uint64_t)i);
        app(f, f->buf, l);
        if (f->nends < 512) f->ends[f->nends++] = f->g.pos;
    }
    if (next) {
        l = evgen_rotate(&f->g, f->buf, sizeof(f->buf), next, 4);
        app(f, f->buf, l);
    }
    assert_int_equal(store_sync(f->s, f->err, sizeof(f->err)), STORE_OK);
}

static int sopen(struct sfx *f)
{
    struct store_opts o = {.dir = f->path, .sync = STORE_SYNC_TRX, .block_cache_bytes = 1 << 20};
    return store_open(&o, &f->s, f->err, sizeof(f->err)) == STORE_OK ? 0 : -1;
}

/* Read every event of `name` from pos on through a cursor: (offset, bytes) concatenated. */
static size_t read_all(struct store *s, const char *name, uint64_t pos, uint8_t *out, size_t cap)
{
    struct cursor *c = cursor_new(s);
    char err[512];
    assert_int_equal(cursor_open(c, name, pos, err, sizeof(err)), CURSOR_OPEN_OK);
    struct cursor_item it;
    size_t n = 0;
    enum cursor_result r;
    while ((r = cursor_next(c, &it, err, sizeof(err))) != CURSOR_WAIT) {
        if (r == CURSOR_ERROR) fail_msg("%s", err);
        if (r == CURSOR_NEXT_FILE) break;
        assert_true(n + it.len + 8 <= cap);
        wire_put_u64(out + n, it.offset);
        n += 8;
        if (it.data) memcpy(out + n, it.data, it.len);
        else assert_int_equal(cursor_pread(c, out + n, it.len, it.offset, err, sizeof(err)), 0);
        n += it.len;
    }
    cursor_free(c);
    return n;
}

static void test_store_compressed(void **state)
{
    (void)state;
    struct sfx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-zstore-XXXXXX");
    assert_non_null(mkdtemp(f->path));
    assert_int_equal(sopen(f), 0);
    write_file(f, "m.000001", 400, "m.000002");
    uint64_t mid = f->ends[200];
    write_file(f, "m.000002", 5, NULL);
    size_t cap = 1 << 20;
    uint8_t *plain = malloc(cap), *comp = malloc(cap), *pmid = malloc(cap), *cmid = malloc(cap);
    size_t pn = read_all(f->s, "m.000001", 4, plain, cap), pm = read_all(f->s, "m.000001", mid, pmid, cap);
    assert_true(pn > 100000);
    uint64_t orig = 0, stored = 0;
    /* the newest file is never compressed; an unknown one neither */
    assert_int_equal(store_compress_file(f->s, "m.000002", 4096, 6, NULL, NULL, &orig, &stored, f->err, sizeof(f->err)), -1);
    assert_int_equal(store_compress_file(f->s, "m.000009", 4096, 6, NULL, NULL, &orig, &stored, f->err, sizeof(f->err)), -1);
    /* a reader holding the plain file keeps it across the compression */
    struct cursor *held = cursor_new(f->s);
    assert_int_equal(cursor_open(held, "m.000001", mid, f->err, sizeof(f->err)), CURSOR_OPEN_OK);
    assert_int_equal(store_compress_file(f->s, "m.000001", 4096, 6, NULL, NULL, &orig, &stored, f->err, sizeof(f->err)), 0);
    assert_int_equal(store_compress_file(f->s, "m.000001", 4096, 6, NULL, NULL, &orig, &stored, f->err, sizeof(f->err)), 1);
    struct stat st;
    char p[128];
    snprintf(p, sizeof(p), "%s/m.000001", f->path);
    assert_int_equal(stat(p, &st), -1);
    struct cursor_item it;
    assert_int_equal(cursor_next(held, &it, f->err, sizeof(f->err)), CURSOR_EVENT);
    assert_int_equal(it.offset, mid);
    assert_true(it.fd >= 0);   /* still the plain file's descriptor */
    cursor_free(held);
    /* new readers: the compressed file, the same events and bytes, from the start and mid-file */
    size_t cn = read_all(f->s, "m.000001", 4, comp, cap);
    assert_int_equal(cn, pn);
    assert_memory_equal(comp, plain, pn);
    size_t cm = read_all(f->s, "m.000001", mid, cmid, cap);
    assert_int_equal(cm, pm);
    assert_memory_equal(cmid, pmid, pm);
    struct zcache_stats zs;
    store_block_cache_stats(f->s, &zs);
    assert_true(zs.decompressions > 0 && zs.hits > 0);
    uint64_t dec = zs.decompressions;
    read_all(f->s, "m.000001", mid, cmid, cap);
    store_block_cache_stats(f->s, &zs);
    assert_int_equal(zs.decompressions, dec);   /* all cached */
    /* the file's FDE through the cursor (mid-file start) */
    struct cursor *c = cursor_new(f->s);
    assert_int_equal(cursor_open(c, "m.000001", mid, f->err, sizeof(f->err)), CURSOR_OPEN_OK);
    uint8_t fde[4096];
    assert_true(cursor_read_fde(c, fde, sizeof(fde), f->err, sizeof(f->err)) > 0);
    assert_int_equal(cursor_next(c, &it, f->err, sizeof(f->err)), CURSOR_EVENT);
    assert_int_equal(it.fd, -1);
    cursor_free(c);
    /* a restart: the index still lists it with its original size */
    store_free(f->s);
    assert_int_equal(sopen(f), 0);
    struct store_file_info fi;
    assert_int_equal(store_file_lookup(f->s, "m.000001", &fi), 0);
    assert_int_equal(fi.size, orig);
    /* a cold start mid-file inflates the blocks from mid's on, and block 0 for the file's
     * FORMAT_DESCRIPTION (the CRC setting): nothing before mid's block */
    struct zcache_stats z0;
    store_block_cache_stats(f->s, &z0);
    assert_int_equal(read_all(f->s, "m.000001", mid, cmid, cap), pm);
    assert_memory_equal(cmid, pmid, pm);
    store_block_cache_stats(f->s, &zs);
    uint64_t nblocks = (orig + 4095) / 4096;
    assert_true(mid / 4096 > 2);
    assert_int_equal(zs.decompressions - z0.decompressions, nblocks - mid / 4096 + 1);
    store_free(f->s);
    tmpdir_remove(f->path);
    free(plain);
    free(comp);
    free(pmid);
    free(cmid);
    free(f);
}

static int exists(const char *dir, const char *name)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

/* A failure at each step of the replacement leaves a state that serves the same bytes and
 * that the next start turns into one form: the plain file. */
static void test_compress_faults(void **state)
{
    (void)state;
    struct sfx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/binlogd-zfault-XXXXXX");
    assert_non_null(mkdtemp(f->path));
    assert_int_equal(sopen(f), 0);
    write_file(f, "m.000001", 100, "m.000002");
    write_file(f, "m.000002", 2, NULL);
    size_t cap = 1 << 19;
    uint8_t *want = malloc(cap), *got = malloc(cap);
    size_t wn = read_all(f->s, "m.000001", 4, want, cap);
    uint64_t orig = 0, stored = 0;
    struct { enum fsio_op op; unsigned long nth; int plain, z; } steps[] = {
        {FSIO_OP_FSYNC, 1, 1, 0},    /* the temporary file's fsync */
        {FSIO_OP_RENAME, 1, 1, 0},   /* its rename to m.000001.z */
        {FSIO_OP_FSYNC, 2, 1, 1},    /* the directory's fsync after the rename: NAME.z may not be
                                        durable, the plain file stays */
        {FSIO_OP_UNLINK, 1, 1, 1},   /* the plain file's removal */
    };
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        fsio_clear_faults();
        fsio_set_fault(steps[k].op, steps[k].nth, EIO);
        assert_int_equal(store_compress_file(f->s, "m.000001", 4096, 6, NULL, NULL, &orig, &stored, f->err, sizeof(f->err)), -1);
        fsio_clear_faults();
        assert_int_equal(exists(f->path, "m.000001"), steps[k].plain);
        assert_int_equal(exists(f->path, "m.000001.z"), steps[k].z);
        assert_false(exists(f->path, FSIO_TMP_PREFIX "m.000001.z"));
        assert_int_equal(read_all(f->s, "m.000001", 4, got, cap), wn);
        assert_memory_equal(got, want, wn);
        /* the next start keeps the plain file and removes the copy */
        store_free(f->s);
        assert_int_equal(sopen(f), 0);
        assert_true(exists(f->path, "m.000001"));
        assert_false(exists(f->path, "m.000001.z"));
    }
    assert_int_equal(store_compress_file(f->s, "m.000001", 4096, 6, NULL, NULL, &orig, &stored, f->err, sizeof(f->err)), 0);
    assert_false(exists(f->path, "m.000001"));
    assert_true(exists(f->path, "m.000001.z"));
    assert_int_equal(read_all(f->s, "m.000001", 4, got, cap), wn);
    assert_memory_equal(got, want, wn);
    store_free(f->s);
    tmpdir_remove(f->path);
    free(want);
    free(got);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_format_malformed),
        cmocka_unit_test(test_reader),
        cmocka_unit_test(test_inflate_to),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_store_compressed),
        cmocka_unit_test(test_compress_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
