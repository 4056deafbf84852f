/*
 * dump_stream.h - the packets a replica receives after COM_BINLOG_DUMP, as binlogd's ingest
 * reads them from its primary (PROTOCOL.md 4): every packet is
 *
 *   0x00 | [0xEF | u8 flags]  (semi-sync sessions only; flags bit 0 = the primary waits for
 *                             an ACK of this event) | one whole binlog event
 *
 * or an EOF packet (0xFE, shorter than 8 bytes) when the primary ends the dump. ERR packets
 * never get here (the client library turns them into an error). This module only splits a
 * packet into its parts; the event itself is checked by ev_view_parse.
 *
 * Pure code over (buf, len); any thread.
 */
#ifndef BINLOGD_PROTOCOL_DUMP_STREAM_H
#define BINLOGD_PROTOCOL_DUMP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define DSTREAM_SEMI_MAGIC    0xEF
#define DSTREAM_SEMI_NEED_ACK 0x01

enum dstream_kind {
    DSTREAM_EVENT = 0,    /* an event follows: ev/ev_len, need_ack */
    DSTREAM_EOF,          /* 0xFE, fewer than 8 bytes: the primary closed the stream */
    DSTREAM_UNEXPECTED,   /* empty, or a first byte other than 0x00 */
    DSTREAM_BAD_SEMI      /* a semi-sync session's packet without 0xEF <flags> */
};

struct dstream_pkt {
    enum dstream_kind kind;
    uint8_t first;        /* the packet's first byte (0 when empty) */
    const uint8_t *ev;    /* DSTREAM_EVENT: the event bytes, inside the packet */
    size_t ev_len;
    int need_ack;         /* DSTREAM_EVENT in a semi-sync session: the primary waits for an ACK */
};

/* Classify the payload p[0..n) of one dump packet; semi: the session asked for semi-sync
 * (@rpl_semi_sync_slave = 1). Returns out->kind. */
enum dstream_kind dstream_classify(const uint8_t *p, size_t n, int semi, struct dstream_pkt *out);

/* The position a semi-sync ACK names for an event that needs one: the event's log_pos
 * (its end in its file). 0 with *pos, or -1 when no ACK is due or the event is shorter than
 * its header. */
int dstream_ack_pos(const struct dstream_pkt *d, uint64_t *pos);

const char *dstream_kind_name(enum dstream_kind k);

#endif
