/*
 * zblocks.c - see zblocks.h.
 */
#include "protocol/zblocks.h"

#include <string.h>

#include "protocol/checksum.h"
#include "protocol/wire.h"

uint64_t zb_bound(uint64_t n)
{
    /* zlib 1.2.12+ compressBound: sourceLen + (sourceLen >> 12) + (sourceLen >> 14) +
     * (sourceLen >> 25) + 13. */
    return n + (n >> 12) + (n >> 14) + (n >> 25) + 13;
}

uint32_t zb_block_len(const struct zb_header *h, const struct zb_trailer *t, uint32_t i)
{
    uint64_t start = (uint64_t)i * h->block_size;
    if (start >= t->orig_size) return 0;
    uint64_t left = t->orig_size - start;
    return left < h->block_size ? (uint32_t)left : h->block_size;
}

int zb_header_parse(const uint8_t *p, size_t len, struct zb_header *h, const char **why)
{
    if (len < ZB_HEADER_LEN) return (*why = "shorter than the header"), -1;
    if (memcmp(p, ZB_MAGIC, 8)) return (*why = "bad magic (not a binlogd compressed file)"), -1;
    h->version = wire_u32(p + 8);
    h->block_size = wire_u32(p + 12);
    if (h->version != ZB_VERSION) return (*why = "unknown version"), -1;
    if (h->block_size < ZB_BLOCK_MIN || h->block_size > ZB_BLOCK_MAX) return (*why = "block size out of range"), -1;
    return 0;
}

void zb_header_put(uint8_t p[ZB_HEADER_LEN], const struct zb_header *h)
{
    memcpy(p, ZB_MAGIC, 8);
    wire_put_u32(p + 8, h->version);
    wire_put_u32(p + 12, h->block_size);
}

int zb_trailer_parse(const uint8_t *p, size_t len, uint64_t file_size, const struct zb_header *h,
                     struct zb_trailer *t, const char **why)
{
    if (len < ZB_TRAILER_LEN || file_size < ZB_HEADER_LEN + ZB_TRAILER_LEN)
        return (*why = "shorter than header and trailer"), -1;
    if (memcmp(p + 24, ZB_END_MAGIC, 8)) return (*why = "bad trailer magic (truncated or not finished)"), -1;
    t->index_off = wire_u64(p);
    t->orig_size = wire_u64(p + 8);
    t->nblocks = wire_u32(p + 16);
    t->index_crc = wire_u32(p + 20);
    uint64_t want = t->orig_size / h->block_size + (t->orig_size % h->block_size != 0);
    if (want != t->nblocks) return (*why = "block count does not match the original size"), -1;
    uint64_t idx_end = file_size - ZB_TRAILER_LEN;
    if (t->index_off < ZB_HEADER_LEN || t->index_off > idx_end ||
        (idx_end - t->index_off) / ZB_ENTRY_LEN != t->nblocks || (idx_end - t->index_off) % ZB_ENTRY_LEN)
        return (*why = "index does not end where the trailer starts"), -1;
    return 0;
}

void zb_trailer_put(uint8_t p[ZB_TRAILER_LEN], const struct zb_trailer *t)
{
    wire_put_u64(p, t->index_off);
    wire_put_u64(p + 8, t->orig_size);
    wire_put_u32(p + 16, t->nblocks);
    wire_put_u32(p + 20, t->index_crc);
    memcpy(p + 24, ZB_END_MAGIC, 8);
}

uint32_t zb_index_crc(const uint8_t *p, size_t len) { return ev_crc32_extend(0, p, len); }

int zb_index_parse(const uint8_t *p, size_t len, const struct zb_header *h, const struct zb_trailer *t,
                   struct zb_block *out, const char **why)
{
    if (len != (uint64_t)t->nblocks * ZB_ENTRY_LEN) return (*why = "index length does not match the block count"), -1;
    if (zb_index_crc(p, len) != t->index_crc) return (*why = "index CRC32 mismatch"), -1;
    uint64_t at = ZB_HEADER_LEN;
    for (uint32_t i = 0; i < t->nblocks; i++) {
        const uint8_t *e = p + (size_t)i * ZB_ENTRY_LEN;
        out[i].off = wire_u64(e);
        out[i].clen = wire_u32(e + 8);
        out[i].crc = wire_u32(e + 12);
        out[i].first_event = wire_u32(e + 16);
        if (out[i].first_event != ZB_NO_EVENT && out[i].first_event >= zb_block_len(h, t, i))
            return (*why = "first event offset outside its block"), -1;
        if (out[i].off != at) return (*why = "block offsets are not back to back"), -1;
        if (out[i].clen == 0 || out[i].clen > zb_bound(zb_block_len(h, t, i)))
            return (*why = "block larger than zlib's bound (or empty)"), -1;
        if (out[i].clen > t->index_off - at) return (*why = "block runs into the index"), -1;
        at += out[i].clen;
    }
    if (at != t->index_off) return (*why = "blocks do not end where the index starts"), -1;
    return 0;
}

void zb_entry_put(uint8_t p[ZB_ENTRY_LEN], const struct zb_block *b)
{
    wire_put_u64(p, b->off);
    wire_put_u32(p + 8, b->clen);
    wire_put_u32(p + 12, b->crc);
    wire_put_u32(p + 16, b->first_event);
}

uint64_t zb_walk_start(const struct zb_header *h, const struct zb_trailer *t, const struct zb_block *v, uint64_t pos)
{
    if (!t->nblocks) return 4;
    uint64_t i = pos / h->block_size;
    if (i >= t->nblocks) i = t->nblocks - 1;
    for (;;) {
        uint64_t at = i * h->block_size + v[i].first_event;
        if (v[i].first_event != ZB_NO_EVENT && at <= pos && at >= 4) return at;
        if (i == 0) return 4;
        i--;
    }
}
