/*
 * checksum.c - binlog event CRC32 (zlib), with the FORMAT_DESCRIPTION rule: the FDE's CRC
 * is computed as if BINLOG_IN_USE were clear, so sealing a file (one byte at offset 21)
 * never invalidates it. Pure code.
 */
#include "protocol/checksum.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

#include "protocol/event.h"
#include "protocol/wire.h"

/* zlib takes uInt lengths; feed it in chunks so a size_t length can never be truncated. */
static uLong crc_update(uLong crc, const uint8_t *p, size_t n)
{
    while (n > 0) {
        uInt chunk = n > (size_t)(UINT_MAX / 2) ? (uInt)(UINT_MAX / 2) : (uInt)n;
        crc = crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return crc;
}

/* CRC over ev[0..len-4), clearing IN_USE in a private copy of the header when ev is an FDE
 * (the event itself is never written to). Caller guarantees len >= 19 + 4. */
uint32_t ev_crc32_compute(const uint8_t *ev, size_t len)
{
    if (!ev || len < EV_HEADER_LEN + EV_CRC_LEN) return 0;
    size_t n = len - EV_CRC_LEN;
    uLong crc = crc32(0L, Z_NULL, 0);
    if (ev[4] == EV_FORMAT_DESCRIPTION) {
        uint8_t hdr[EV_HEADER_LEN];
        memcpy(hdr, ev, EV_HEADER_LEN);
        hdr[EV_FLAGS_OFFSET] &= (uint8_t)~EV_F_BINLOG_IN_USE;
        crc = crc_update(crc, hdr, EV_HEADER_LEN);
        crc = crc_update(crc, ev + EV_HEADER_LEN, n - EV_HEADER_LEN);
    } else {
        crc = crc_update(crc, ev, n);
    }
    return (uint32_t)crc;
}

/* 0 when the stored CRC matches; -1 on mismatch or when len cannot hold header + CRC. */
int ev_crc32_verify(const uint8_t *ev, size_t len)
{
    if (!ev || len < EV_HEADER_LEN + EV_CRC_LEN) return -1;
    return ev_crc32_compute(ev, len) == wire_u32(ev + len - EV_CRC_LEN) ? 0 : -1;
}

uint32_t ev_crc32_extend(uint32_t crc, const uint8_t *p, size_t n)
{
    return (uint32_t)crc_update((uLong)crc, p, n);
}

/* Store the CRC in the last 4 bytes; a no-op when len is too short to hold one. */
void ev_crc32_store(uint8_t *ev, size_t len)
{
    if (!ev || len < EV_HEADER_LEN + EV_CRC_LEN) return;
    wire_put_u32(ev + len - EV_CRC_LEN, ev_crc32_compute(ev, len));
}
