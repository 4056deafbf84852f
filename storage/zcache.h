/*
 * zcache.h - the shared cache of decompressed blocks of compressed binlog files
 * (storage/zfile.h): bounded in bytes, least recently used evicted, so that any number of
 * readers of the same compressed file inflate each block once while it stays cached.
 *
 * A block being inflated is in the cache as "loading": another reader that wants it waits for
 * that load instead of inflating it a second time (the decompressions counter is the proof
 * t_compress reads from /metrics). Blocks are copied out under the cache's mutex; the
 * inflating itself runs outside it.
 *
 * Threads: any; every call takes the cache's mutex.
 */
#ifndef BINLOGD_STORAGE_ZCACHE_H
#define BINLOGD_STORAGE_ZCACHE_H

#include <stddef.h>
#include <stdint.h>

/* Which block: the compressed file's identity (device, inode, index CRC: a file replaced
 * under the same name or inode number has another) and the block number. */
struct zcache_key {
    uint64_t dev, ino;
    uint32_t idx_crc;
    uint32_t block;
};

struct zcache_stats {
    uint64_t capacity;         /* bytes allowed (0: caching off) */
    uint64_t bytes;            /* decompressed bytes held */
    uint64_t blocks;           /* blocks held */
    uint64_t decompressions;   /* blocks inflated (every miss, and every read when off) */
    uint64_t hits;             /* reads served from a cached (or just loaded by another) block */
    uint64_t evictions;
};

/* Inflate the block into buf (blen bytes). 0, or -1 with errno. */
typedef int (*zcache_load_fn)(void *arg, uint8_t *buf, uint32_t blen);

struct zcache;

/* A cache of at most max_bytes decompressed bytes (0: nothing is kept; reads still work).
 * NULL on ENOMEM. */
struct zcache *zcache_new(uint64_t max_bytes);
void zcache_free(struct zcache *c);

/* Change the bound (evicts at once when it shrinks). */
void zcache_set_capacity(struct zcache *c, uint64_t max_bytes);

/* Copy [off, off + len) of block k (blen bytes long) into dst, inflating it with load(arg)
 * when it is not cached. 0, or -1 with errno from load (nothing cached then). */
int zcache_read(struct zcache *c, const struct zcache_key *k, uint32_t blen, uint32_t off, void *dst, size_t len,
                zcache_load_fn load, void *arg);

void zcache_get_stats(struct zcache *c, struct zcache_stats *out);

#endif
