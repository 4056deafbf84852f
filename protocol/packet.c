/* packet.c - 4-byte framing: incremental reader, 16 MiB split/join, writers. */
#include "protocol/packet.h"

#include <string.h>

#include "protocol/wire.h"

const char *pkt_status_name(enum pkt_status st)
{
    switch (st) {
    case PKT_OK: return "ok";
    case PKT_AGAIN: return "again";
    case PKT_ERROR: return "error";
    }
    return "?";
}

static enum pkt_status fail(const char **why, const char *msg)
{
    if (why) *why = msg;
    return PKT_ERROR;
}

enum pkt_status pkt_read(const uint8_t *buf, size_t len, size_t max_payload,
                         struct pkt *out, const char **why)
{
    size_t off = 0, total = 0, n = 0;
    uint8_t first_seq = 0, expect = 0;

    memset(out, 0, sizeof(*out));
    for (;;) {
        if (len - off < PKT_HEADER_LEN) {
            out->want = off + PKT_HEADER_LEN;
            return PKT_AGAIN;
        }
        size_t chunk = wire_u24(buf + off);
        uint8_t seq = buf[off + 3];
        if (n == 0) first_seq = seq;
        else if (seq != expect) return fail(why, "packets out of order");
        expect = (uint8_t)(seq + 1);
        /* Checked on every header so a hostile length is refused before its body arrives. */
        if (chunk > max_payload - total)
            return fail(why, "packet bigger than the allowed maximum");
        total += chunk;
        n++;
        if (len - off - PKT_HEADER_LEN < chunk) {
            out->want = off + PKT_HEADER_LEN + chunk;
            return PKT_AGAIN;
        }
        off += PKT_HEADER_LEN + chunk;
        if (chunk < PKT_MAX_CHUNK) break;
    }
    out->len = total;
    out->consumed = off;
    out->nchunks = n;
    out->seq = first_seq;
    out->next_seq = expect;
    out->payload = n == 1 ? buf + PKT_HEADER_LEN : NULL;
    return PKT_OK;
}

void pkt_join_inplace(uint8_t *buf, struct pkt *p)
{
    /* Chunk i starts at i*(4+MAX)+4; move it to 4 + i*MAX. Moving front to back only
     * ever copies downwards, over bytes already consumed. */
    size_t dst = PKT_HEADER_LEN, left = p->len;
    for (size_t i = 0; i < p->nchunks; i++) {
        size_t src = i * (PKT_HEADER_LEN + (size_t)PKT_MAX_CHUNK) + PKT_HEADER_LEN;
        size_t n = left < PKT_MAX_CHUNK ? left : PKT_MAX_CHUNK;
        if (src != dst) memmove(buf + dst, buf + src, n);
        dst += n;
        left -= n;
    }
    p->payload = buf + PKT_HEADER_LEN;
}

void pkt_join_copy(const uint8_t *buf, const struct pkt *p, uint8_t *dst)
{
    size_t left = p->len, at = 0;
    for (size_t i = 0; i < p->nchunks && left; i++) {
        size_t src = i * (PKT_HEADER_LEN + (size_t)PKT_MAX_CHUNK) + PKT_HEADER_LEN;
        size_t n = left < PKT_MAX_CHUNK ? left : PKT_MAX_CHUNK;
        memcpy(dst + at, buf + src, n);
        at += n;
        left -= n;
    }
}

void pkt_header_put(uint8_t hdr[PKT_HEADER_LEN], uint32_t chunk_len, uint8_t seq)
{
    wire_put_u24(hdr, chunk_len);
    hdr[3] = seq;
}

uint64_t pkt_nchunks(uint64_t len) { return len / PKT_MAX_CHUNK + 1; }

uint64_t pkt_wire_len(uint64_t len) { return len + PKT_HEADER_LEN * pkt_nchunks(len); }

void pkt_split_init(struct pkt_split *s, uint64_t total, uint8_t first_seq)
{
    s->total = total;
    s->off = 0;
    s->seq = first_seq;
    s->done = 0;
}

int pkt_split_next(struct pkt_split *s, uint8_t hdr[PKT_HEADER_LEN], uint64_t *off, uint32_t *n)
{
    if (s->done) return 0;
    uint64_t left = s->total - s->off;
    uint32_t chunk = left < PKT_MAX_CHUNK ? (uint32_t)left : PKT_MAX_CHUNK;
    pkt_header_put(hdr, chunk, s->seq);
    *off = s->off;
    *n = chunk;
    s->off += chunk;
    s->seq++;
    /* A full chunk always promises another one, even an empty one. */
    if (chunk < PKT_MAX_CHUNK) s->done = 1;
    return 1;
}

size_t pkt_begin(struct bbuf *b)
{
    size_t start = b->len;
    uint8_t *h = bbuf_extend(b, PKT_HEADER_LEN);
    if (h) memset(h, 0, PKT_HEADER_LEN);
    return start;
}

int pkt_end(struct bbuf *b, size_t start, uint8_t *seq)
{
    if (b->failed || start + PKT_HEADER_LEN > b->len) { b->failed = 1; return -1; }
    size_t len = b->len - start - PKT_HEADER_LEN;
    size_t k = len / PKT_MAX_CHUNK + 1;
    if (k > 1) {
        size_t extra = (k - 1) * PKT_HEADER_LEN;
        if (!bbuf_extend(b, extra)) return -1;
        /* Back to front, so a chunk is moved before anything lands on its old place. */
        for (size_t i = k - 1; i >= 1; i--) {
            size_t src = start + PKT_HEADER_LEN + i * (size_t)PKT_MAX_CHUNK;
            size_t n = i == k - 1 ? len - i * (size_t)PKT_MAX_CHUNK : PKT_MAX_CHUNK;
            size_t dst = start + i * (PKT_HEADER_LEN + (size_t)PKT_MAX_CHUNK) + PKT_HEADER_LEN;
            memmove(b->p + dst, b->p + src, n);
            pkt_header_put(b->p + dst - PKT_HEADER_LEN, (uint32_t)n, (uint8_t)(*seq + i));
        }
    }
    pkt_header_put(b->p + start, k > 1 ? PKT_MAX_CHUNK : (uint32_t)len, *seq);
    *seq = (uint8_t)(*seq + k);
    return 0;
}

int pkt_write(struct bbuf *b, uint8_t *seq, const void *payload, size_t len)
{
    size_t start = pkt_begin(b);
    if (bbuf_append(b, payload, len) == -1) return -1;
    return pkt_end(b, start, seq);
}
