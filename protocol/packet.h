/*
 * packet.h - MySQL packet framing: `u24 payload_len | u8 seq | payload`.
 *
 * A logical payload of 0xFFFFFF bytes or more travels as N full chunks of 0xFFFFFF bytes
 * followed by one shorter chunk, which is empty when the length is an exact multiple.
 * Every chunk takes the next sequence id.
 *
 * Reading is incremental over the bytes received so far: pkt_read() never copies; a
 * one-chunk packet (the common case) is handed back as a pointer into the input, and a
 * multi-chunk one is described (length, chunk count) so the caller can join it in place
 * or into its own buffer.
 *
 * Writing never needs the body in one piece: pkt_split_* yields each chunk's header and
 * its (offset, length) in the logical payload, so a caller can send the prefix from memory
 * and the event body straight from a file. pkt_begin/pkt_end frame a payload built in a
 * bbuf, splitting it in place when it is large.
 *
 * The compressed protocol (CLIENT_COMPRESS) is a separate layer below this one: it turns
 * compressed frames into the plain byte stream pkt_read() parses, and wraps what the
 * writers here produce. Nothing in this API assumes a socket.
 */
#ifndef BINLOGD_PROTOCOL_PACKET_H
#define BINLOGD_PROTOCOL_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"

#define PKT_HEADER_LEN 4
#define PKT_MAX_CHUNK  0xFFFFFFu

enum pkt_status {
    PKT_OK = 0,     /* a whole logical packet is in the input */
    PKT_AGAIN = 1,  /* need more bytes (see pkt.want) */
    PKT_ERROR = -1  /* the stream is unusable: close the connection */
};

struct pkt {
    const uint8_t *payload; /* the payload when nchunks == 1; NULL until joined otherwise */
    size_t len;             /* logical payload length, all chunks together */
    size_t consumed;        /* input bytes this packet occupies (headers included) */
    size_t nchunks;
    uint8_t seq;            /* sequence id of the first chunk */
    uint8_t next_seq;       /* sequence id that follows the last chunk */
    size_t want;            /* on PKT_AGAIN: input length needed before the next attempt */
};

/* "ok" / "again" / "error", for logs. */
const char *pkt_status_name(enum pkt_status st);

/* Parse one logical packet at the start of buf[0..len). Sequence ids of continuation
 * chunks must increase by one (mod 256), else PKT_ERROR. A logical length above
 * max_payload is PKT_ERROR as soon as the headers announcing it arrive, without waiting
 * for the body. *why (may be NULL) gets a static reason on PKT_ERROR. */
enum pkt_status pkt_read(const uint8_t *buf, size_t len, size_t max_payload,
                         struct pkt *out, const char **why);

/* Join a multi-chunk packet in place by moving the chunks over the inner headers; after
 * this p->payload == buf + PKT_HEADER_LEN. buf must be the same bytes pkt_read() saw.
 * p->consumed is unchanged: the caller still drops that many bytes afterwards. */
void pkt_join_inplace(uint8_t *buf, struct pkt *p);

/* Copy the logical payload of a packet (any chunk count) to dst (p->len bytes). */
void pkt_join_copy(const uint8_t *buf, const struct pkt *p, uint8_t *dst);

/* ---------------------------------------------------------------- writing */

/* The 4-byte header of one chunk (chunk_len <= PKT_MAX_CHUNK). */
void pkt_header_put(uint8_t hdr[PKT_HEADER_LEN], uint32_t chunk_len, uint8_t seq);

/* Chunks (= headers) needed for a logical payload of len bytes. */
uint64_t pkt_nchunks(uint64_t len);

/* Bytes on the wire for a logical payload of len bytes: len + 4 per chunk. */
uint64_t pkt_wire_len(uint64_t len);

struct pkt_split {
    uint64_t total, off;
    uint8_t seq;
    int done;
};

/* Plan the chunks of a payload of `total` bytes whose first chunk gets first_seq. */
void pkt_split_init(struct pkt_split *s, uint64_t total, uint8_t first_seq);

/* Produce the next chunk: its header, and the (offset, length) it covers in the logical
 * payload. Returns 1, or 0 once every chunk (a trailing empty one included) was produced;
 * s->seq is then the sequence id that follows. */
int pkt_split_next(struct pkt_split *s, uint8_t hdr[PKT_HEADER_LEN], uint64_t *off, uint32_t *n);

/* Reserve a header at the end of b and return its offset; write the payload after it with
 * bbuf_* calls, then pkt_end(). */
size_t pkt_begin(struct bbuf *b);

/* Finish the packet begun at `start`: fill in the header and, for a payload of
 * PKT_MAX_CHUNK bytes or more, insert the extra chunk headers. Uses *seq for the first
 * chunk and advances it past the last one. 0, or -1 if b has failed. */
int pkt_end(struct bbuf *b, size_t start, uint8_t *seq);

/* Append one framed packet holding payload[0..len). 0 or -1. */
int pkt_write(struct bbuf *b, uint8_t *seq, const void *payload, size_t len);

#endif
