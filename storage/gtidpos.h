/*
 * gtidpos.h - the GTID position index: per binlog file, a sparse map from "GTID state" to the
 * offset of a transaction boundary, one entry every GTIDPOS_INTERVAL bytes, so that a GTID start
 * (MariaDB @slave_connect_state, MySQL auto-position) and BINLOG_GTID_POS jump close to their
 * position by binary search and read forward at most one interval, instead of reading the file
 * from its start.
 *
 * It is a cache, never a second source of truth (same rules as gtid_index.h):
 *   - kept in `.binlogd-gtidpos/<binlog file>` in the data directory (a hidden directory, so
 *     that `ls mysql-bin.*`, archive globs and mariadb-binlog never meet it), one sidecar per
 *     binlog file, written whole (atomic replace)
 *     when the file is finished, rebuilt from the file's bytes when missing, unparsable, made for
 *     another file of the same name (the FDE identity differs) or describing bytes beyond the
 *     file's end; every line carries its own CRC32, so a flipped byte condemns the sidecar;
 *   - an entry is checked against the file before it is used (gpos_entry_check): the event that
 *     ends at its offset must be there with the recorded header fields and CRC; on a mismatch
 *     the caller falls back to reading the file from its start and the file's entries are rebuilt.
 *
 * What an entry at offset B holds (B is a transaction boundary):
 *   state  the GTIDs of the complete groups in [4, B) of this file only (not the file's
 *          GTID_LIST): MariaDB as a binlog-state list "d-s-n,..." built by gtid_blist_update in
 *          file order (so it can be merged into a reader's list exactly), MySQL as a GTID set;
 *   max    MariaDB: "d-s-n" for the pairs whose highest seq_no in [4, B) is above their last one
 *          (seq_no out of order, gtid_strict_mode off); usually empty;
 *   seg    the end of the last event in [4, B) that is not part of a GTID group (GTID_LIST,
 *          BINLOG_CHECKPOINT, an anonymous or GTID-less group): [seg, B) holds only GTID groups;
 *   ev_*   the header fields (and stored CRC32) of the event that ends at B.
 *
 * File format (text; first line a header, then one line per entry, offsets increasing):
 *   # binlogd gtidpos v1 FLAVOR FDE_ID CRC INTERVAL     (FLAVOR none|mariadb|mysql)
 *   B SEG EV_TYPE EV_LEN EV_TS EV_SERVER EV_CRC STATE MAX LINE_CRC   (tab-separated)
 * FDE_ID: 8 hex digits identifying the file's FORMAT_DESCRIPTION (its
 * timestamp and body); CRC 1/0 (events carry CRC32); numbers decimal, EV_CRC and LINE_CRC 8 hex
 * digits (LINE_CRC: CRC32 of the line up to its last tab).
 *
 * Threads: a gpos_file / gpos_builder has one owner; the store guards its copies with its mutex.
 */
#ifndef BINLOGD_STORAGE_GTIDPOS_H
#define BINLOGD_STORAGE_GTIDPOS_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"
#include "protocol/gtid.h"
#include "protocol/gtid_track.h"
#include "protocol/trx.h"

/* Bytes between two entries. A reader reads forward at most this much (plus one transaction)
 * after its jump: 64 KiB is four read-ahead windows of a cursor, well under a millisecond of
 * reading from the page cache, while the index costs ~100-200 bytes per entry, about 2-3 MB per
 * GiB of binlog with a few domains (0.2-0.3 %). 4 KiB would make the index 16 times larger for
 * a saving of microseconds; 1 MiB would read up to a megabyte per GTID start. */
#define GTIDPOS_INTERVAL (64u * 1024u)
#define GTIDPOS_DIR ".binlogd-gtidpos"   /* in the data directory */
#define GTIDPOS_MAX_STATE 65536   /* a state text beyond this is not recorded (no entry) */

struct gpos_entry {
    uint64_t off, seg;
    uint32_t ev_len, ev_ts, ev_server, ev_crc;
    uint8_t ev_type;
    char *state, *max;   /* owned, never NULL */
};

struct gpos_file {
    enum gtid_track_flavor flavor;   /* MARIA or MYSQL; NONE: no entries */
    uint32_t fde_id;
    int crc;                         /* the file's events carry CRC32 */
    uint32_t interval;
    struct gpos_entry *v;
    size_t n, cap;
};

void gpos_file_init(struct gpos_file *f);
void gpos_file_free(struct gpos_file *f);   /* releases entries; f is then empty */
/* Drop the entries beyond offset `end` (the file was cut back to end). */
void gpos_file_cut(struct gpos_file *f, uint64_t end);
/* Append a copy of e (offsets must increase). 0, or -1 on ENOMEM / a non-increasing offset. */
int gpos_file_push(struct gpos_file *f, const struct gpos_entry *e);
/* Copy *src into *dst (dst initialised or empty). 0 or -1 on ENOMEM (dst left empty). */
int gpos_entry_copy(struct gpos_entry *dst, const struct gpos_entry *src);
void gpos_entry_free(struct gpos_entry *e);

/* Parse the text form into f (replacing it). 0, or -1 with err "line N: reason" (f empty). */
int gpos_parse(struct gpos_file *f, const char *text, size_t len, char *err, size_t errlen);
/* The text form, malloc'd. 0, or -1 on ENOMEM. */
int gpos_format(const struct gpos_file *f, char **out, size_t *len);

/* Sidecar path of a binlog file, relative to the data directory: ".binlogd-gtidpos/<name>". */
void gpos_sidecar_name(const char *binlog, char *out, size_t cap);
/* Remove temporary files an interrupted gpos_save left in the sidecar directory (at open). */
void gpos_dir_clean(int dirfd);
/* Load / atomically write / remove the sidecar of binlog file `name`; dirfd: the data directory
 * (save creates the sidecar directory).
 * load: 0 loaded, 1 no such file, -1 with err (f empty). save, drop: 0 or -1 with err
 * (drop: a missing sidecar is success). */
int gpos_load(struct gpos_file *f, int dirfd, const char *name, char *err, size_t errlen);
int gpos_save(const struct gpos_file *f, int dirfd, const char *name, char *err, size_t errlen);
int gpos_drop(int dirfd, const char *name, char *err, size_t errlen);

/* The identity of a file's FORMAT_DESCRIPTION (fde/len: the whole event): stable when the
 * IN_USE flag changes, different for another file of the same name. */
uint32_t gpos_fde_id(const uint8_t *fde, size_t len);

/* ---- building entries from a file's events (writer, rebuild) ---- */
struct gpos_builder {
    struct gpos_file *f;        /* where entries go (not owned) */
    int started, stopped;       /* saw the event after the FDE; no more entries for this file */
    struct gtid_blist local, hi;
    struct gtid_mysql_set *yset;
    int pending;                /* 1 MariaDB GTID, 2 MySQL GTID, 0 none */
    struct gtid_maria pm;
    uint8_t puuid[16];
    int64_t pgno;
    uint64_t seg, last;         /* see struct gpos_entry; offset of the last entry (or 0) */
};

/* Start a file: f is reset with the file's FDE (fde/len, whole event) and fmt. */
void gpos_builder_init(struct gpos_builder *b, struct gpos_file *f, const uint8_t *fde, size_t len,
                       const struct ev_fmt *fmt, uint32_t interval);
void gpos_builder_free(struct gpos_builder *b);
/* Feed one whole event after the FDE at offset off with its transaction verdict. Adds an
 * entry to b->f at a boundary once `interval` bytes passed since the last one. Never fails:
 * anything it cannot follow (ENOMEM, an unreadable GTID, a second GTID_LIST, encryption)
 * stops entries for the rest of the file, which only means longer reads. */
void gpos_builder_feed(struct gpos_builder *b, const struct ev_view *ev, const struct ev_fmt *fmt, uint64_t off,
                       enum trx_verdict v);

/* Scan dirfd/name from its start building f (and feeding t when not NULL, as gix_scan_file
 * does: *size gets the scan's safe end). b: NULL, or a zeroed / earlier used builder that is
 * left ready to continue after the file's last boundary (the writer's; the caller frees it).
 * Entries are made even when t cannot read a GTID (the builder then stops there).
 * 0, or -1 with err. */
int gpos_scan_file(int dirfd, const char *name, struct gpos_builder *b, struct gpos_file *f, uint32_t interval,
                   struct gtid_track *t, uint64_t *size, char *err, size_t errlen);

/* ---- using entries ---- */

/* Index of the last entry in f[0..n) for which ok(arg, entry) holds, among entries with
 * off > from; ok must be monotone (true on a prefix). -1 when none. Binary search. */
long gpos_search(const struct gpos_file *f, uint64_t from, int (*ok)(void *arg, const struct gpos_entry *e),
                 void *arg);

/* Check e against the file open on fd (committed bytes `size`, events with CRC32 when crc):
 * the event ending at e->off has the recorded header and CRC32, and its CRC32 is right.
 * 0 when it holds, -1 with *why. */
int gpos_entry_check(int fd, uint64_t size, int crc, const struct gpos_entry *e, const char **why);
/* gpos_entry_check over a file's original bytes, plain or compressed (storage/zfile.h). */
struct bsrc;
int gpos_entry_check_src(const struct bsrc *src, uint64_t size, int crc, const struct gpos_entry *e, const char **why);

#endif
