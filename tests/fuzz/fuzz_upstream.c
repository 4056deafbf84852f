/*
 * fuzz_upstream.c - libFuzzer harness: what binlogd reads from its primary after
 * COM_BINLOG_DUMP, from the bytes of the socket up to the store's checks.
 *
 * Input: one option byte (FEED_* bits of fuzz_feed.h; 0x10: a semi-sync session), then the
 * byte stream: MySQL packets (pkt_read framing, multi-chunk packets joined both ways), each
 * split by dstream_classify (OK byte, semi-sync 0xEF header, EOF) and its event handed to
 * the event reader with ingest_stream.c's rules (fmt before/after the FDE, fake ROTATE,
 * wire-only events).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/dump_stream.h"
#include "protocol/packet.h"
#include "tests/fuzz/fuzz_feed.h"

#define SEMI 0x10
#define MAX_PAYLOAD (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned opts = data[0];
    struct feed f;
    feed_init(&f, opts);
    /* A writable copy for pkt_join_inplace, exactly as long as the input. */
    size_t len = size - 1;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) { feed_free(&f); return 0; }
    memcpy(buf, data + 1, len);
    size_t off = 0;
    for (unsigned n = 0; off < len && n < 4096; n++) {
        struct pkt p;
        const char *why = NULL;
        enum pkt_status st = pkt_read(buf + off, len - off, MAX_PAYLOAD, &p, &why);
        (void)pkt_status_name(st);
        if (st != PKT_OK) break;
        uint8_t *payload = malloc(p.len ? p.len : 1);
        if (!payload) break;
        if (p.nchunks == 1) {
            memcpy(payload, p.payload, p.len);
        } else {
            pkt_join_copy(buf + off, &p, payload);
            pkt_join_inplace(buf + off, &p);
            if (memcmp(payload, p.payload, p.len)) abort();   /* the two joins must agree */
        }
        struct dstream_pkt dp;
        enum dstream_kind k = dstream_classify(payload, p.len, opts & SEMI, &dp);
        (void)dstream_kind_name(k);
        if (k == DSTREAM_EVENT) {
            uint64_t ack;
            feed_event(&f, dp.ev, dp.ev_len);
            (void)dstream_ack_pos(&dp, &ack);
        }
        free(payload);
        if (k != DSTREAM_EVENT) break;   /* the session ends */
        off += p.consumed;
    }
    free(buf);
    feed_free(&f);
    return 0;
}
