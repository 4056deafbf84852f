/*
 * evgen.h - synthetic MariaDB binlog events for unit tests: FDE (10.11-style, 171-entry
 * post-header table, CRC per the FDE rule), GTID (162), QUERY, XID, ROTATE, STOP, and any
 * other type with a caller-given body. CRCs are computed here with zlib directly, so tests
 * also cross-check protocol/checksum.c.
 *
 * A generator tracks the file offset, so every event gets the right log_pos. Each builder
 * writes one whole event into out (capacity cap), advances the offset and returns the
 * length, or 0 when cap is too small.
 */
#ifndef BINLOGD_TESTS_UNIT_EVGEN_H
#define BINLOGD_TESTS_UNIT_EVGEN_H

#include <stddef.h>
#include <stdint.h>

struct evgen {
    uint64_t pos;         /* offset where the next event starts */
    uint32_t server_id;
    uint32_t timestamp;
    int      crc;         /* 1: events carry CRC32 (the FDE says alg CRC32) */
};

/* Start a file: pos = 4 (after the magic), server_id 1, CRC32 on. */
void evgen_init(struct evgen *g);

/* FORMAT_DESCRIPTION as a MariaDB 10.11 primary sends it (IN_USE clear). 252 bytes with CRC. */
size_t evgen_fde(struct evgen *g, uint8_t *out, size_t cap);

/* MariaDB GTID; flags2 e.g. EV_MGTID_TRANSACTIONAL or EV_MGTID_STANDALONE. */
size_t evgen_gtid(struct evgen *g, uint8_t *out, size_t cap, uint32_t domain, uint64_t seq, uint8_t flags2);

size_t evgen_query(struct evgen *g, uint8_t *out, size_t cap, const char *db, const char *sql);
size_t evgen_xid(struct evgen *g, uint8_t *out, size_t cap, uint64_t xid);
size_t evgen_rotate(struct evgen *g, uint8_t *out, size_t cap, const char *next, uint64_t pos);
size_t evgen_stop(struct evgen *g, uint8_t *out, size_t cap);

/* Any event type with body (body_len bytes; body may be NULL to fill with a pattern). */
size_t evgen_event(struct evgen *g, uint8_t *out, size_t cap, uint8_t type, uint16_t flags, const uint8_t *body,
                   size_t body_len);

/* One whole transactional group: GTID(TRANSACTIONAL) + QUERY(sql) + XID. */
size_t evgen_trx(struct evgen *g, uint8_t *out, size_t cap, uint64_t seq, const char *sql);

/* TABLE_MAP (19), 8-byte post-header: table_id, db, table, ncols column types, the metadata
 * block (meta_len bytes), an all-nullable null bitmap, then opt[0..opt_len) as the optional
 * metadata TLVs (written as given, so tests can make them lie). */
size_t evgen_table_map(struct evgen *g, uint8_t *out, size_t cap, uint64_t table_id, const char *db, const char *table,
                       const uint8_t *types, size_t ncols, const uint8_t *meta, size_t meta_len, const uint8_t *opt,
                       size_t opt_len);

/* Rows event of `type` (23-25 v1, 30-32 v2 with no extra data, 166-171 compressed): table_id,
 * flags, width, all-set columns-present bitmap(s) (two for UPDATE), then images[0..len) as
 * given (null bitmap + values per row image; for compressed types the compressed blob). */
size_t evgen_rows(struct evgen *g, uint8_t *out, size_t cap, uint8_t type, uint64_t table_id, uint16_t flags,
                  uint32_t width, const uint8_t *images, size_t images_len);

/* Recompute the trailing CRC (after a test edits an event), FDE rule included. */
void evgen_fix_crc(uint8_t *ev, size_t len);

#endif
