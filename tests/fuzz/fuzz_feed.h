/*
 * fuzz_feed.h - shared by the libFuzzer harnesses that read event sequences (fuzz_events,
 * fuzz_upstream): one "reader" that takes whole events as the store and a dump do, and
 * hands each to every parser that would see it (ev_view_parse, the typed parsers, the
 * transaction and GTID trackers, the GTID start of a dump, SHOW BINLOG EVENTS' Info text).
 *
 * Every event is copied into a buffer of exactly its own size first, so AddressSanitizer
 * catches a read one byte past the event (the input's next event would hide it).
 */
#ifndef BINLOGD_TESTS_FUZZ_FEED_H
#define BINLOGD_TESTS_FUZZ_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/bbuf.h"
#include "protocol/event.h"
#include "protocol/gtid_start.h"
#include "protocol/gtid_track.h"
#include "protocol/trx.h"

/* Input option bits (the first byte of a harness input). */
#define FEED_FIX_CRC   0x01   /* store a correct CRC32 in every event that carries one, so the
                               * mutated bodies get past the CRC check to the parsers */
#define FEED_WIRE_CRC  0x02   /* events before the first FDE carry a CRC32 (@master_binlog_checksum) */
#define FEED_GTID_START 0x04  /* also run a dump's GTID start (MariaDB slave_pos) over the events */

struct feed {
    unsigned opts;
    int seen_fde;
    struct ev_fmt fmt;
    struct trx_parser trx;
    struct gtid_track trk;
    int trk_bad;
    struct gtid_start gs;
    int gs_on;
    struct bbuf info;
};

void feed_init(struct feed *f, unsigned opts);
void feed_free(struct feed *f);
/* One whole event as it arrived (ev/len; len may differ from its event_size). */
void feed_event(struct feed *f, const uint8_t *ev, size_t len);
/* A fake ROTATE (artificial, or log_pos 0) switches files: the next FDE is the new file's. */
void feed_new_file(struct feed *f);

#endif
