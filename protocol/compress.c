/* compress.c - zlib-compressed protocol frames. */
#include "protocol/compress.h"

#include <string.h>

#include <zlib.h>

#include "protocol/wire.h"

enum pkt_status cpkt_read(const uint8_t *buf, size_t len, size_t max_ulen, struct cpkt *out,
                          const char **why)
{
    memset(out, 0, sizeof(*out));
    if (len < CPKT_HEADER_LEN) {
        out->want = CPKT_HEADER_LEN;
        return PKT_AGAIN;
    }
    size_t clen = wire_u24(buf), ulen = wire_u24(buf + 4);
    if (ulen > max_ulen || (ulen == 0 && clen > max_ulen)) {
        if (why) *why = "compressed frame bigger than the allowed maximum";
        return PKT_ERROR;
    }
    if (len - CPKT_HEADER_LEN < clen) {
        out->want = CPKT_HEADER_LEN + clen;
        return PKT_AGAIN;
    }
    out->payload = buf + CPKT_HEADER_LEN;
    out->len = clen;
    out->ulen = ulen;
    out->seq = buf[3];
    out->consumed = CPKT_HEADER_LEN + clen;
    return PKT_OK;
}

int cpkt_unpack(const struct cpkt *c, struct bbuf *out, const char **why)
{
    if (c->ulen == 0) {
        if (bbuf_append(out, c->payload, c->len) == 0) return 0;
        if (why) *why = "out of memory";
        return -1;
    }
    size_t start = out->len;
    uint8_t *dst = bbuf_extend(out, c->ulen);
    if (!dst) {
        if (why) *why = "out of memory";
        return -1;
    }
    uLongf got = (uLongf)c->ulen;
    int rc = uncompress(dst, &got, c->payload, (uLong)c->len);
    if (rc != Z_OK || got != c->ulen) {
        out->len = start;
        if (why) *why = rc == Z_OK ? "compressed frame inflates to the wrong size" : "corrupt compressed frame";
        return -1;
    }
    return 0;
}

static int put_frame(struct bbuf *out, uint8_t *seq, const uint8_t *data, size_t len, int level)
{
    size_t at = out->len;
    uint8_t *h = bbuf_extend(out, CPKT_HEADER_LEN);
    if (!h) return -1;
    if (len >= CPKT_MIN_COMPRESS) {
        uLongf cap = compressBound((uLong)len);
        uint8_t *dst = bbuf_extend(out, cap);
        if (!dst) return -1;
        if (compress2(dst, &cap, data, (uLong)len, level) == Z_OK && cap < len) {
            out->len = at + CPKT_HEADER_LEN + cap;
            wire_put_u24(out->p + at, (uint32_t)cap);
            out->p[at + 3] = (*seq)++;
            wire_put_u24(out->p + at + 4, (uint32_t)len);
            return 0;
        }
        out->len = at + CPKT_HEADER_LEN;   /* did not shrink: store raw */
    }
    if (bbuf_append(out, data, len) == -1) return -1;
    wire_put_u24(out->p + at, (uint32_t)len);
    out->p[at + 3] = (*seq)++;
    wire_put_u24(out->p + at + 4, 0);
    return 0;
}

int cpkt_write(struct bbuf *out, uint8_t *seq, const uint8_t *data, size_t len, int level)
{
    size_t off = 0;
    do {
        size_t n = len - off < PKT_MAX_CHUNK ? len - off : PKT_MAX_CHUNK;
        if (put_frame(out, seq, data + off, n, level) == -1) return -1;
        off += n;
    } while (off < len);
    return 0;
}
