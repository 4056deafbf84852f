/*
 * checksum.h - binlog event CRC32 (zlib crc32, reflected 0xEDB88320), including the
 * FORMAT_DESCRIPTION rule: an FDE's CRC is computed with the IN_USE flag cleared, so that
 * closing a file (one byte at offset 21) never invalidates it. Pure code.
 */
#ifndef BINLOGD_PROTOCOL_CHECKSUM_H
#define BINLOGD_PROTOCOL_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* CRC32 of ev[0..len-4) as stored in the last 4 bytes, applying the FDE rule when ev is a
 * FORMAT_DESCRIPTION. len must be >= 19 + 4. */
uint32_t ev_crc32_compute(const uint8_t *ev, size_t len);

/* 0 when the trailing CRC of the whole event ev/len matches, -1 otherwise (or len too short). */
int ev_crc32_verify(const uint8_t *ev, size_t len);

/* Continue a CRC32 over n more bytes; start with crc = 0. For an event read in pieces (too
 * large to hold at once): feed everything but the trailing 4 bytes and compare the result
 * with them. No FDE rule here: a FORMAT_DESCRIPTION is always small enough for
 * ev_crc32_verify. */
uint32_t ev_crc32_extend(uint32_t crc, const uint8_t *p, size_t n);

/* Recompute and store the trailing CRC (after an in-place rewrite). */
void ev_crc32_store(uint8_t *ev, size_t len);

#endif
