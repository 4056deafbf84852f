/*
 * compress.h - the compressed protocol (CLIENT_COMPRESS, PROTOCOL.md 5.5), a layer below
 * packet.h: once the handshake OK has been sent, both directions carry frames
 *
 *   u24 compressed_len | u8 compressed_seq | u24 uncompressed_len | payload
 *
 * whose payloads, inflated (zlib compress() format) or taken as is when
 * uncompressed_len == 0, concatenate into the ordinary packet stream that pkt_read()
 * parses. A frame may hold several packets or part of one. compressed_seq is its own
 * counter, reset with the normal one at each command.
 */
#ifndef BINLOGD_PROTOCOL_COMPRESS_H
#define BINLOGD_PROTOCOL_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"
#include "protocol/packet.h"

#define CPKT_HEADER_LEN   7
/* Senders store payloads shorter than this raw (MIN_COMPRESS_LENGTH). */
#define CPKT_MIN_COMPRESS 50

struct cpkt {
    const uint8_t *payload;   /* the frame's bytes as sent (compressed or raw) */
    size_t len;               /* bytes of payload */
    size_t ulen;              /* inflated length; 0 means payload is raw */
    size_t consumed;          /* header + payload */
    uint8_t seq;
    size_t want;              /* on PKT_AGAIN: input length needed */
};

/* Parse one compressed frame at the start of buf[0..len). PKT_ERROR if an inflated
 * length above max_ulen is announced (checked from the header alone). */
enum pkt_status cpkt_read(const uint8_t *buf, size_t len, size_t max_ulen, struct cpkt *out,
                          const char **why);

/* Append the frame's plain bytes to out: inflated, or copied when raw. 0, or -1 (corrupt
 * stream, inflated size not the announced one, or bbuf failure) with *why. */
int cpkt_unpack(const struct cpkt *c, struct bbuf *out, const char **why);

/* Frame data[0..len) (normal packets, headers included) as compressed frames, at most
 * PKT_MAX_CHUNK plain bytes each, using and advancing *seq. Pieces shorter than
 * CPKT_MIN_COMPRESS, or that zlib cannot shrink, are stored raw. level: zlib level
 * (-1 = default). 0 or -1. */
int cpkt_write(struct bbuf *out, uint8_t *seq, const uint8_t *data, size_t len, int level);

#endif
