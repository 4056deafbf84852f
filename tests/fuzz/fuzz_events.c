/*
 * fuzz_events.c - libFuzzer harness: a binlog file's event sequence through every reader.
 *
 * Input: one option byte (FEED_* in fuzz_feed.h), then the file's bytes (the "\xfebin" magic
 * is optional), split into events by their own event_size field, as binlog_file.c and a dump
 * read them. A trailing partial event is fed as it is (the EV_AGAIN paths).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "protocol/event.h"
#include "protocol/wire.h"
#include "tests/fuzz/fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct feed f;
    feed_init(&f, data[0]);
    const uint8_t *p = data + 1, *end = data + size;
    if ((size_t)(end - p) >= BINLOG_MAGIC_LEN && !memcmp(p, BINLOG_MAGIC, BINLOG_MAGIC_LEN)) p += BINLOG_MAGIC_LEN;
    for (unsigned n = 0; p < end && n < 4096; n++) {
        size_t left = (size_t)(end - p);
        uint32_t sz = left >= EV_HEADER_LEN ? wire_u32(p + EV_SIZE_OFFSET) : 0;
        if (left < EV_HEADER_LEN || sz < EV_HEADER_LEN || sz > left) {
            feed_event(&f, p, left);   /* a prefix, or an impossible size: refused, and the end */
            break;
        }
        feed_event(&f, p, sz);
        p += sz;
    }
    feed_free(&f);
    return 0;
}
