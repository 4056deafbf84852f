/*
 * zblocks.h - the seekable compressed binlog format (NAME.z beside the data directory's
 * binlog files): the original bytes cut into blocks of block_size input bytes (the last one
 * shorter), each compressed on its own as a zlib stream, then an index of the blocks and a
 * fixed trailer, so a reader finds any offset from the end of the file without inflating
 * what lies before it.
 *
 *   header  (16)  "BINLOGDZ" | u32 version (1) | u32 block_size
 *   blocks        block 0 .. n-1, each a zlib stream (compress2 format), back to back
 *   index (20*n)  per block: u64 offset in this file | u32 compressed length | u32 CRC32 of
 *                 the block's original bytes | u32 where the first binlog event that starts
 *                 in the block starts, from the block's start (0xFFFFFFFF: none starts in
 *                 it), so that a reader starting mid-file checks that its position is an
 *                 event boundary by walking event headers from its own block on
 *   trailer (32)  u64 index offset | u64 original size | u32 n | u32 CRC32 of the index |
 *                 "BLDZ-END"
 * Integers little-endian. The header's magic is not a binlog's (0xFE "bin"), so a compressed
 * file is never taken for a plain one.
 *
 * This module only parses and builds the header, the trailer and the index (pure: buf, len);
 * a parsed index has been checked whole: blocks back to back from the header to the index,
 * none empty or larger than zlib's bound for block_size input, n agreeing with the original
 * size, the index CRC matching. Reading the blocks is storage/zfile.h's job.
 */
#ifndef BINLOGD_PROTOCOL_ZBLOCKS_H
#define BINLOGD_PROTOCOL_ZBLOCKS_H

#include <stddef.h>
#include <stdint.h>

#define ZB_MAGIC "BINLOGDZ"
#define ZB_END_MAGIC "BLDZ-END"
#define ZB_VERSION 1
#define ZB_HEADER_LEN 16
#define ZB_ENTRY_LEN 20
#define ZB_NO_EVENT 0xFFFFFFFFu
#define ZB_TRAILER_LEN 32
#define ZB_BLOCK_MIN 4096u
#define ZB_BLOCK_MAX (16u << 20)
#define ZB_BLOCK_DEFAULT (64u * 1024)
#define ZB_SUFFIX ".z"

struct zb_header {
    uint32_t version;
    uint32_t block_size;   /* original bytes per block (the last block may hold fewer) */
};

struct zb_trailer {
    uint64_t index_off;    /* where the index starts in the compressed file */
    uint64_t orig_size;    /* original (uncompressed) size of the binlog file */
    uint32_t nblocks;
    uint32_t index_crc;    /* CRC32 of the nblocks * ZB_ENTRY_LEN index bytes */
};

struct zb_block {
    uint64_t off;          /* where its zlib stream starts in the compressed file */
    uint32_t clen;         /* compressed length */
    uint32_t crc;          /* CRC32 of its original bytes */
    uint32_t first_event;  /* offset in the block of the first event starting in it, or
                              ZB_NO_EVENT */
};

/* The most bytes zlib's compress2 may produce for n input bytes (zlib's compressBound). */
uint64_t zb_bound(uint64_t n);

/* Original length of block i (block_size, or what is left for the last one). */
uint32_t zb_block_len(const struct zb_header *h, const struct zb_trailer *t, uint32_t i);

/* Parse the 16-byte header. 0, or -1 with *why (bad magic, version, block size). */
int zb_header_parse(const uint8_t *p, size_t len, struct zb_header *h, const char **why);
void zb_header_put(uint8_t p[ZB_HEADER_LEN], const struct zb_header *h);

/* Parse the trailer (the last 32 bytes of a file of file_size bytes) against the header:
 * magic, index inside the file and exactly where the trailer says, block count agreeing with
 * the original size. 0, or -1 with *why. */
int zb_trailer_parse(const uint8_t *p, size_t len, uint64_t file_size, const struct zb_header *h,
                     struct zb_trailer *t, const char **why);
void zb_trailer_put(uint8_t p[ZB_TRAILER_LEN], const struct zb_trailer *t);

/* Parse the index bytes p/len (nblocks entries) into out[nblocks]: CRC, blocks back to back
 * from ZB_HEADER_LEN to index_off, no block empty or over zb_bound(its length). 0, or -1
 * with *why. A first_event must lie inside its block (or be ZB_NO_EVENT). */
int zb_index_parse(const uint8_t *p, size_t len, const struct zb_header *h, const struct zb_trailer *t,
                   struct zb_block *out, const char **why);
void zb_entry_put(uint8_t p[ZB_ENTRY_LEN], const struct zb_block *b);

/* The event boundary a header walk towards pos may start from: the largest recorded first
 * event offset (absolute) that is <= pos, looking back from pos's block; 4 (after the magic)
 * when none is recorded. */
uint64_t zb_walk_start(const struct zb_header *h, const struct zb_trailer *t, const struct zb_block *v, uint64_t pos);

/* CRC32 of index bytes (what the trailer's index_crc holds). */
uint32_t zb_index_crc(const uint8_t *p, size_t len);

#endif
