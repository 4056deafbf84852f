/*
 * store.h - the data directory: byte-identical copies of the primary's binlog files, the
 * `<basename>.index` file, crash recovery, and the committed watermark.
 *
 * Threads: exactly one writer (the ingest thread) calls the "writer" functions. Any thread
 * may call the "reader" functions; they take a short internal mutex and copy out.
 *
 * The committed watermark (file, offset) only ever stands at a transaction boundary whose
 * bytes the sync policy has made durable. Readers must never read past it.
 *
 * Error policy (every write/fsync/rename error has one):
 *   - input that does not continue the stored bytes (log_pos mismatch, event after ROTATE,
 *     unknown file at pos != 4, name collision)  -> STORE_REFUSED, nothing written.
 *   - ENOSPC / EDQUOT on write or on creating a file -> the partial tail is truncated back to
 *     the last boundary, STORE_NOSPACE returned; the caller pauses and retries later.
 *   - any fsync/fdatasync error, EIO on write, a failed truncate or rename -> STORE_FATAL:
 *     the store refuses every further write; the caller must stop ingest and exit non-zero
 *     (fsyncgate: a failed fsync may have dropped dirty pages; only a restart that
 *     re-verifies the tail is safe).
 */
#ifndef BINLOGD_STORAGE_STORE_H
#define BINLOGD_STORAGE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "protocol/event.h"

enum store_result {
    STORE_OK = 0,
    STORE_REFUSED = 1,   /* bad input: nothing was written; err says why (file:offset) */
    STORE_NOSPACE = 2,   /* disk full: partial tail rolled back; retry later */
    STORE_FATAL = 3      /* I/O error: the store is poisoned; exit non-zero */
};

enum store_sync_mode { STORE_SYNC_TRX = 0, STORE_SYNC_INTERVAL, STORE_SYNC_NONE };

struct store_opts {
    const char *dir;
    enum store_sync_mode sync;
    unsigned sync_interval_ms;   /* STORE_SYNC_INTERVAL only */
    int journal;                 /* STORE_SYNC_TRX: make small batches durable through the commit
                                  * journal (journal.h) instead of an fdatasync of the file */
    /* Optional (NULL = ignored): called by store_open, on its thread, for events worth a log
     * line that do not stop recovery: a truncated tail, a dropped index entry, a binlog-looking
     * file that is not in the index, journaled bytes written back; and on the writer thread
     * when the commit journal cannot be opened. storage/ does no logging itself. */
    void (*warn)(void *arg, const char *msg);
    void *warn_arg;
    uint64_t block_cache_bytes;  /* bound of the shared cache of decompressed blocks of
                                  * compressed files (storage/zcache.h); 0: none kept */
};

struct store_watermark {
    char     file[EV_MAX_NAME_LEN + 1];  /* "" when the store is empty */
    uint64_t offset;                     /* committed end offset in file */
    uint64_t generation;                 /* bumps every time the watermark moves */
};

struct store_file_info {
    char     name[EV_MAX_NAME_LEN + 1];
    uint64_t size;     /* committed size (for the active file: the watermark offset) */
    int      sealed;   /* 1 once the file ended with ROTATE/STOP (or was closed by a switch) */
    uint64_t verified; /* [0, verified) is known good in this process: written by it (every event
                          was CRC-checked at ingest), scanned by recovery, or CRC-checked by a
                          reader (store_file_mark_verified). Readers check what lies beyond. */
};

struct store;

const char *store_result_name(enum store_result r);

/* Open (creating if needed) the data directory and recover it: take an exclusive lock,
 * remove our temp files, reconcile the index with the directory, scan the last file
 * (header, CRC, log_pos chain, transaction state), truncate it back to the last complete
 * transaction and fsync. Returns STORE_OK and *out, or an error with err filled
 * ("<dir>/<file>:<offset>: reason"). Any thread, once, before other calls. */
enum store_result store_open(const struct store_opts *opts, struct store **out,
                             char *err, size_t errlen);

/* Flush, fsync and close. Leaves the active file's IN_USE flag set (it is still open on the
 * primary); the next store_open resumes it. Writer thread (or after it has stopped). */
void store_free(struct store *s);

/* Where the upstream dump must resume: (file, pos). For a file that ended with a real ROTATE,
 * the ROTATE's target (next name, its position). Returns 0 and fills, or -1 when the store
 * is empty. */
int store_resume_point(struct store *s, char *file, size_t cap, uint64_t *pos);

/* ---- writer (ingest thread only) ---- */

/* Start a new file: `name` must be a plain binlog name (no '/', no "..", <= EV_MAX_NAME_LEN)
 * that is not in the index; fde/len is the FORMAT_DESCRIPTION as received for position 4
 * (its log_pos must be 4 + len). The index entry is written first (atomic replace), then the
 * file is created atomically: temp file with magic + FDE with IN_USE set, fsync, rename,
 * fsync dir. If the current file is not sealed it is closed as it is (the upstream moved on
 * without a ROTATE, e.g. after a primary crash). */
enum store_result store_file_begin(struct store *s, const char *name,
                                   const uint8_t *fde, size_t len, char *err, size_t errlen);

/* Append one whole event to the current file, as checked where it arrived (ev_view_parse:
 * framed, CRC verified): its header is taken from the view, not parsed again. Refused unless
 * its log_pos == current end + len, and nothing may follow a ROTATE/STOP. Tracks
 * transaction boundaries; bytes become visible to readers only at store_sync(). The view's
 * bytes are copied; the caller keeps them. */
enum store_result store_append_view(struct store *s, const struct ev_view *ev, char *err, size_t errlen);

/* store_append_view for raw bytes (tests, tools): frames ev/len (exactly one event, CRC not
 * checked again) and refuses anything else as a bad event. */
enum store_result store_append(struct store *s, const uint8_t *ev, size_t len,
                               char *err, size_t errlen);

/* The primary lost the tail of the file being written (a crash without sync_binlog=1) and
 * `to` is the last transaction boundary both copies hold byte for byte: copy [to, end) into
 * dirfd/keep_name (new file, fsync'ed: those bytes may hold acknowledged transactions), then
 * cut the file back to `to`, move the watermark back and tell readers (a reader past `to` gets
 * an error, never the withdrawn bytes). STORE_REFUSED with nothing changed when `to` is not
 * inside the committed bytes or the copy cannot be made durable. Writer thread. */
enum store_result store_withdraw_tail(struct store *s, uint64_t to, const char *keep_name, char *err, size_t errlen);

/* The transaction verdict (enum trx_verdict, protocol/trx.h) of the last event
 * store_append_view accepted: TRX_GROUP_END when it ended a transaction. Callers that count
 * transactions read it instead of running a second parser. Writer thread. */
int store_last_verdict(const struct store *s);

/* Bytes appended beyond the last transaction boundary (0 = at a boundary). */
uint64_t store_pending_partial(const struct store *s);

/* Bytes appended up to the last boundary but not yet synced/published. */
uint64_t store_pending_complete(const struct store *s);

/* Apply the sync policy: make everything up to the last boundary durable (one fdatasync
 * for all complete transactions appended since the last call), seal the file if it ended
 * with ROTATE/STOP (clear IN_USE, fsync), move the watermark, call the notify hook.
 * A no-op when nothing complete is pending. */
enum store_result store_sync(struct store *s, char *err, size_t errlen);

/* Throw away bytes appended after the last transaction boundary (the upstream connection
 * dropped mid-transaction). Complete-but-unsynced transactions are kept. */
enum store_result store_rollback_partial(struct store *s, char *err, size_t errlen);

/* Current end offset and name of the file being written ("" / 0 when empty). */
uint64_t store_write_offset(const struct store *s);
const char *store_write_file(const struct store *s);
/* The FORMAT_DESCRIPTION context of the file being written (NULL when empty). */
const struct ev_fmt *store_write_fmt(const struct store *s);
/* 1 when the file being written has ended with ROTATE/STOP. */
int store_write_sealed(const struct store *s);

/* Called from the writer thread, outside store locks, each time the watermark moves. */
void store_set_notify(struct store *s, void (*fn)(void *arg), void *arg);

/* ---- readers (any thread) ---- */

void store_watermark_get(struct store *s, struct store_watermark *wm);

/* Copy up to cap entries of the index, oldest first; returns the total number of files. */
size_t store_files(struct store *s, struct store_file_info *out, size_t cap);

/* Find a file by exact name; 0 and *info, or -1. */
int store_file_lookup(struct store *s, const char *name, struct store_file_info *info);

/* The primary's next file, announced but not here yet: when the newest file ends with a
 * committed ROTATE, 0 with the name and position it names (name, cap, *pos) and the newest
 * file's entry (*last); else -1 (no ROTATE yet, or the file it names has been opened). A
 * replica that received that ROTATE may ask for exactly this before the file exists: a
 * primary never refuses it, since it opens the next file before readers see the ROTATE. */
int store_announced_next(struct store *s, char *name, size_t cap, uint64_t *pos, struct store_file_info *last);

/* The file after `name` in the index; 0 and *next, or -1 (name unknown or the last file). */
int store_file_next(struct store *s, const char *name, struct store_file_info *next);

/* One file's GTID states, copied out of the GTID index (see storage/gtid_index.h). */
struct store_gtid_file {
    char     name[EV_MAX_NAME_LEN + 1];
    uint64_t size;          /* committed size */
    int      flavor;        /* enum gtid_track_flavor: 0 none, 1 MariaDB, 2 MySQL */
    int      known;         /* 0: the file's GTIDs could not be read; treat as unknown */
    char    *start, *end;   /* state text at the file's start / at `size` (owned) */
};

/* The committed GTID state of the whole history: what the newest file ends with. *flavor gets
 * the enum gtid_track_flavor of that file (NONE when it carries no GTIDs or they could not be
 * read). full = 0: MariaDB's per-domain position (@@gtid_binlog_pos) or MySQL's executed set;
 * full = 1: MariaDB's whole binlog state (@@gtid_binlog_state). out is "" when there is none;
 * file (may be NULL) gets the newest file's name. 0, or -1 when the cached state does not
 * parse. Any thread. */
int store_gtid_state(struct store *s, int full, int *flavor, char *out, size_t cap, char *file, size_t fcap);

/* Copy every file's GTID states, oldest first, up to the watermark. 0 with *out (free with
 * store_gtid_files_free) and *n, or -1 on ENOMEM. Any thread. */
int store_gtid_files(struct store *s, struct store_gtid_file **out, size_t *n);
void store_gtid_files_free(struct store_gtid_file *v, size_t n);

/* GTID position index (storage/gtidpos.h). The last entry of file `name` beyond offset
 * `from` for which ok(arg, entry) holds (ok must be monotone: true on a prefix of the
 * entries), checked against the file's bytes. 1 with *out (free with gpos_entry_free) and
 * *flavor (enum gtid_track_flavor), 0 when there is none (no entries, index disabled, or the
 * entry did not match the file: then a warning is logged and the file's entries are rebuilt
 * from its bytes, on this thread). ok runs under the store's mutex. Any thread. */
struct gpos_entry;
int store_gtidpos_find(struct store *s, const char *name, uint64_t from,
                       int (*ok)(void *arg, const struct gpos_entry *e), void *arg, int *flavor, struct gpos_entry *out);
/* Forget file `name`'s GTID positions and rebuild them from its bytes (the writer's file:
 * only forgotten until the next open). Any thread; reads the whole file. */
void store_gtidpos_rebuild(struct store *s, const char *name);
/* File `name` is purged: drop its GTID positions and remove its sidecar. 0, or -1 with err
 * (the sidecar could not be removed; a later file of the same name will not trust it: the
 * FORMAT_DESCRIPTION identity differs). Any thread. */
int store_gtidpos_drop_file(struct store *s, const char *name, char *err, size_t errlen);
/* 1 when readers ignore the index (BINLOGD_GTIDPOS=off). */
int store_gtidpos_disabled(const struct store *s);

/* Raise the verified horizon of `name` to `upto` (never lowers it, never past the committed
 * size): a reader CRC-checked every event of [0, upto). Returns the horizon now in force
 * (which another reader may have pushed further), 0 when the name is unknown. Any thread;
 * meant to be called once per batch of checked bytes, not per event. */
uint64_t store_file_mark_verified(struct store *s, const char *name, uint64_t upto);

/* A read-only descriptor of a stored file, shared by every reader of that file (an idle
 * replica then costs its socket, not a second descriptor). The fd stays valid until the
 * matching store_reader_fd_put; do not close it. -1 with errno on failure. Any thread. */
int store_reader_fd_get(struct store *s, const char *name);
void store_reader_fd_put(struct store *s, const char *name);

/* The commit journal's use: bytes of the ring taken by the current lap (*used, of *size),
 * and laps started since the process began (each lap starts after the binlog file's own
 * fdatasync). 0, or -1 when the store does not use the journal (the figures are then 0).
 * Lock-free (atomics): never waits for the writer. Any thread. */
int store_journal_use(struct store *s, uint64_t *used, uint64_t *size, uint64_t *laps);

/* A stored file's original bytes for readers, plain or compressed (storage/zfile.h), shared
 * by every reader of that file like the descriptor above; *out is borrowed until the matching
 * store_reader_src_put. A reader that got the plain file keeps it after the file is
 * compressed (the unlinked file lives while its descriptor is open). 0, or -1 with errno.
 * Any thread. store_reader_fd_get is this for callers that need a descriptor of the plain
 * file: -1 with EMEDIUMTYPE when the file is compressed. */
struct bsrc;
int store_reader_src_get(struct store *s, const char *name, struct bsrc *out);
void store_reader_src_put(struct store *s, const char *name);

/* The shared block cache's figures (storage/zcache.h); and a new bound (reload). Any thread. */
struct zcache_stats;
void store_block_cache_stats(struct store *s, struct zcache_stats *out);
void store_block_cache_set(struct store *s, uint64_t bytes);
struct zcache *store_block_cache(struct store *s);

/* Compress closed file `name` into name.z and remove the plain file (storage/zfile.h for the
 * steps and what a crash leaves). Refused for a file not in the index, the newest file, or one
 * not sealed. Runs the compression without store locks (any thread, e.g. a background one);
 * the rename and unlink are done under the directory mutex, after checking that no purge took
 * the file meanwhile. stop: as zfile_compress_to's. 1 when it was compressed already, 0 done
 * (*orig, *stored: sizes), -1 with err. */
int store_compress_file(struct store *s, const char *name, uint32_t block_size, int level, int (*stop)(void *arg),
                        void *stop_arg, uint64_t *orig, uint64_t *stored, char *err, size_t errlen);

/* Directory fd of the data dir, for openat() by readers (valid until store_free). */
int store_dir_fd(const struct store *s);

#endif
