/*
 * zfile.h - reading and writing compressed binlog files (format: protocol/zblocks.h), and
 * `struct bsrc`, a binlog file's original bytes whichever form the file is stored in.
 *
 * A closed binlog file NAME may be replaced by NAME.z (storage.compress_after): the index
 * still lists NAME with its original size, and every reader asks for NAME's bytes through a
 * bsrc, which reads the plain file when it exists and NAME.z otherwise. The replacement
 * (zfile_compress_to) writes a temporary file, fsyncs it, checks it by inflating every block,
 * renames it to NAME.z and fsyncs the directory; the caller then unlinks NAME. A crash at any
 * step leaves NAME, or NAME and a complete NAME.z (recovery keeps NAME and removes NAME.z),
 * or NAME.z alone; the temporary file is removed by recovery like every other one.
 *
 * What readers rely on: a reader that opened NAME before it was unlinked keeps reading it
 * through its descriptor (POSIX: an unlinked file lives until its last descriptor closes).
 *
 * Threads: a zfile is read-only after zfile_open and may be shared by threads; blocks are
 * inflated through the zcache given (shared), or, without one, through a one-block memo of
 * the zfile's own (under its mutex).
 */
#ifndef BINLOGD_STORAGE_ZFILE_H
#define BINLOGD_STORAGE_ZFILE_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/zblocks.h"
#include "storage/zcache.h"

struct zfile;

/* Open the compressed file on fd (taken: closed by zfile_close) and check its header,
 * trailer and index. cache may be NULL. NULL with err ("reason") on failure (fd closed). */
struct zfile *zfile_open(int fd, struct zcache *cache, char *err, size_t errlen);
void zfile_close(struct zfile *z);

uint64_t zfile_size(const struct zfile *z);        /* original size */
uint32_t zfile_blocks(const struct zfile *z);
uint64_t zfile_stored_size(const struct zfile *z); /* bytes on disk */
uint32_t zfile_block_size(const struct zfile *z);
/* An event boundary <= pos recorded in the block index, from which a header walk to pos
 * touches only pos's block and the ones before it back to that boundary (4 when none). */
uint64_t zfile_walk_start(const struct zfile *z, uint64_t pos);

/* Read original bytes [off, off + len). 0, or -1 with errno (EIO for a block that does not
 * inflate or whose CRC32 does not match; ESPIPE beyond the original size). */
int zfile_pread(struct zfile *z, void *buf, size_t len, uint64_t off);

/* Inflate block i into buf (zfile_block_size bytes of room) and check it, bypassing every
 * cache (verify). Returns its length, or 0 with *why. */
uint32_t zfile_check_block(struct zfile *z, uint32_t i, uint8_t *buf, const char **why);

/* Write dirfd/name's first size bytes, compressed (block_size input bytes per block, zlib
 * level), into a temporary file, fsync it, inflate it back and compare, rename it to
 * dirfd/name.z (replacing one left by an interrupted run), fsync the directory. The plain
 * file is left for the caller to unlink. stop (may be NULL) is asked between blocks: when it
 * returns non-zero the work is abandoned (the temporary file removed; a shutdown does not wait
 * for a whole file). *stored gets the compressed size. 0, or -1 with err. */
int zfile_compress_to(int dirfd, const char *name, uint64_t size, uint32_t block_size, int level,
                      int (*stop)(void *arg), void *stop_arg, uint64_t *stored, char *err, size_t errlen);

/* Write the original bytes of dirfd/name.z into out_fd (an empty file opened for writing),
 * for a consumer that needs a plain file (the archive command of a file compressed before
 * archiving was switched on). Every block is inflated bypassing every cache and checked (its
 * length and CRC32), the original size must equal `size` (the index's), the first four bytes
 * must be the binlog magic, and exactly `size` bytes are written. stop (may be NULL) is asked
 * between blocks. 0, or -1 with err naming name.z and, for a damaged block, the block and the
 * original offsets it holds ("NAME.z: block 3 of 9 (original offsets 196608-262143): block
 * CRC32 mismatch"); out_fd's contents are then undefined. Any thread. */
int zfile_inflate_to(int dirfd, const char *name, uint64_t size, int out_fd, int (*stop)(void *arg), void *stop_arg,
                     char *err, size_t errlen);

/* Where dirfd/name's bytes are stored and what they take on disk: the plain file
 * (*compressed = 0, *bytes its size) or name.z (*compressed = 1, *bytes name.z's size).
 * 0, or -1 with errno when neither is there. Any thread. */
int zfile_stored_bytes(int dirfd, const char *name, int *compressed, uint64_t *bytes);

/* "name.z" into out. -1 when it does not fit. */
int zfile_name(const char *name, char *out, size_t cap);

/* A binlog file's original bytes. */
struct bsrc {
    int fd;            /* the plain file, or -1 */
    struct zfile *z;   /* or its compressed form */
};

/* Open dirfd/name: the plain file when it exists, else name.z (through cache, may be NULL).
 * 0, or -1 with errno (ENOENT: neither exists) and err. */
int bsrc_open(int dirfd, const char *name, struct zcache *cache, struct bsrc *out, char *err, size_t errlen);
void bsrc_close(struct bsrc *b);

/* Read up to len bytes at off; *got tells how many (short at the end). 0, or -1 with errno. */
int bsrc_pread(const struct bsrc *b, void *buf, size_t len, uint64_t off, size_t *got);

/* The original size (plain: fstat). 0, or -1 with errno. */
int bsrc_size(const struct bsrc *b, uint64_t *size);

#endif
