/*
 * compress.h - the compressor: storage.compress_after seconds after a binlog file was closed
 * (and once it is archived, when storage.archive_command is set), replace it by its seekable
 * compressed form (storage/zfile.h), on a thread of its own so that neither ingest nor
 * serving waits for zlib.
 *
 * "Closed" is the file's modification time: the store's last write to a closed file is the
 * IN_USE flag cleared when it is sealed. The newest file in the index is never compressed,
 * nor a file that is not sealed. One file at a time, oldest first. A failure is logged at
 * WARN with the file and the reason, counted, and retried at the next pass (every 10 s).
 *
 * Readers are not disturbed: one that has the plain file open keeps reading it after it is
 * unlinked; the next one opens NAME.z (storage/store.h store_reader_src_get).
 *
 * Threads: compress_new/_set/_free on the loop thread; the work on the compressor's own;
 * compress_collect (metrics) on the loop thread, reading counters under a mutex.
 */
#ifndef BINLOGD_SERVER_OPS_COMPRESS_H
#define BINLOGD_SERVER_OPS_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

struct store;
struct archive_state;
struct prom;

struct compress_opts {
    uint64_t after_s;       /* 0 = off */
    uint32_t block_bytes;   /* original bytes per block */
    int level;              /* zlib level 1..9 */
};

struct compress_stats {
    uint64_t files, orig_bytes, stored_bytes, failures;
    char last_error[256];
};

struct compressor;

/* Start the thread (it idles while after_s is 0). st may be NULL (then nothing waits for an
 * archive). NULL with err on failure. */
struct compressor *compress_new(struct store *s, struct archive_state *st, const struct compress_opts *o, char *err,
                                size_t errlen);
/* Stop the thread (a compression in progress is abandoned at its next block: the file stays
 * plain) and free. */
void compress_free(struct compressor *c);
/* New options (reload): apply from the next pass. */
void compress_set_opts(struct compressor *c, const struct compress_opts *o);
/* Run a pass now (tests: t_compress sets compress_after to 1 s and waits little). */
void compress_kick(struct compressor *c);
void compress_get_stats(struct compressor *c, struct compress_stats *out);
/* /metrics: the compressor's counters and the store's block cache (prom collector). */
void compress_collect(void *arg, struct prom *p);

#endif
