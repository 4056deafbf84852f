/* dump_stream.c - splitting a binlog dump packet (see dump_stream.h). */
#include "protocol/dump_stream.h"

#include <string.h>

#include "protocol/event.h"
#include "protocol/wire.h"

enum dstream_kind dstream_classify(const uint8_t *p, size_t n, int semi, struct dstream_pkt *out)
{
    memset(out, 0, sizeof(*out));
    if (n == 0) return out->kind = DSTREAM_UNEXPECTED;
    out->first = p[0];
    if (p[0] == 0xFE && n < 8) return out->kind = DSTREAM_EOF;
    if (p[0] != 0x00) return out->kind = DSTREAM_UNEXPECTED;
    size_t hdr = 1;
    if (semi) {
        /* Every packet of a semi-sync stream carries 0xEF <flags>; anything else is corrupt. */
        if (n < 3 || p[1] != DSTREAM_SEMI_MAGIC) return out->kind = DSTREAM_BAD_SEMI;
        out->need_ack = p[2] & DSTREAM_SEMI_NEED_ACK;
        hdr = 3;
    }
    out->ev = p + hdr;
    out->ev_len = n - hdr;
    return out->kind = DSTREAM_EVENT;
}

int dstream_ack_pos(const struct dstream_pkt *d, uint64_t *pos)
{
    if (d->kind != DSTREAM_EVENT || !d->need_ack || d->ev_len < EV_HEADER_LEN) return -1;
    *pos = wire_u32(d->ev + EV_LOG_POS_OFFSET);
    return 0;
}

const char *dstream_kind_name(enum dstream_kind k)
{
    switch (k) {
    case DSTREAM_EVENT: return "event";
    case DSTREAM_EOF: return "eof";
    case DSTREAM_UNEXPECTED: return "unexpected";
    case DSTREAM_BAD_SEMI: return "bad-semi";
    }
    return "?";
}
