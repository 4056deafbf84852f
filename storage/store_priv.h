/*
 * store_priv.h - the store's internals, shared by store.c (writer and readers) and
 * store_recover.c (open, recovery, free). Not for use outside storage/.
 */
#ifndef BINLOGD_STORAGE_STORE_PRIV_H
#define BINLOGD_STORAGE_STORE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"
#include "protocol/gtid_track.h"
#include "protocol/trx.h"
#include "storage/gtidpos.h"
#include "storage/index.h"
#include "storage/store.h"
#include "storage/zcache.h"
#include "storage/zfile.h"

#define STORE_WBUF (1u << 20)   /* user-space write buffer; bigger events bypass it */
#define INDEX_SUFFIX ".index"

struct store {
    char *dir;
    enum store_sync_mode sync_mode;
    unsigned interval_ms;
    void (*warn)(void *arg, const char *msg);
    void *warn_arg;
    int dirfd, lockfd;

    /* the index as it is on disk */
    struct binlog_index *index;
    char index_name[EV_MAX_NAME_LEN + sizeof(INDEX_SUFFIX)];   /* "" until the first file */
    int orphan_tail;        /* the index's last entry has no file (its creation failed) */

    /* writer state (ingest thread only) */
    int fd;                 /* file being written, -1 when none or closed */
    int closed;             /* cur was closed by a switch (or the store is empty) */
    char cur[EV_MAX_NAME_LEN + 1];
    uint64_t end, disk_end, boundary, committed;
    struct ev_fmt fmt;
    int have_fmt;
    struct trx_parser trx;
    int last_verdict;       /* enum trx_verdict of the last event appended */
    uint8_t end_type;       /* EV_ROTATE / EV_STOP once appended, else 0 */
    int sealed;             /* IN_USE cleared on disk */
    char rot_name[EV_MAX_NAME_LEN + 1];
    uint64_t rot_pos;
    uint8_t *wbuf;
    size_t wlen;
    int poisoned;
    char poison[1024];
    uint64_t last_sync_ms;  /* CLOCK_MONOTONIC, for STORE_SYNC_INTERVAL */
    struct journal *jr;     /* commit journal (sync=trx), NULL when not in use */
    /* published for readers (store_journal_use) without the mutex: the writer updates them
     * after each journal commit and each new lap */
    atomic_uint_least64_t jr_used, jr_laps;
    int want_journal;
    int journal_tried;      /* the journal was opened, or opening it failed (once per store) */
    int synced_once;
    void (*notify)(void *arg);
    void *notify_arg;

    /* GTIDs (store_gtid.c): the writer's tracker for cur, and the GTID index cache */
    struct gtid_track trk;
    int trk_bad;            /* cur's GTIDs could not be read: its entry says "none" */
    char gix_name[EV_MAX_NAME_LEN + 32];

    /* GTID positions (store_gtidpos.c): the writer's builder and entries for cur */
    struct gpos_builder gpb;
    struct gpos_file gpw;
    uint32_t gpos_interval;
    int gpos_off;           /* BINLOGD_GTIDPOS=off: readers ignore the index */
    /* The directory's metadata (index, GTID index, file list) changes under dirmu: the
     * writer's new file and GTID index writes, and purges from another thread. Recursive (a
     * new file closes the last one, which writes the GTID index). Taken before mu. */
    pthread_mutex_t dirmu;

    /* shared with readers, under mu */
    struct store_gpos { char name[EV_MAX_NAME_LEN + 1]; struct gpos_file f; int bad; } *gps;
    size_t ngps, capgps;           /* GTID positions per file, entries up to its committed size */
    struct store_rfd { char name[EV_MAX_NAME_LEN + 1]; struct bsrc src; unsigned refs; } *rfds;
    size_t nrfds, caprfds;         /* one read-only source (plain fd or compressed file) per file in
                                      use by readers */
    struct zcache *zc;             /* decompressed blocks of compressed files, shared by readers */
    struct gtid_index *gix;
    pthread_mutex_t mu;
    struct store_file_info *files;
    size_t nfiles, fcap;
    struct store_watermark wm;
    /* The file the newest file's committed ROTATE names (and its position), "" otherwise:
     * the primary's next file, announced but not received yet (store_announced_next). */
    char wm_next[EV_MAX_NAME_LEN + 1];
    uint64_t wm_next_pos;
};

/* snprintf into err when err/errlen are usable. */
__attribute__((format(printf, 3, 4)))
void store_seterr(char *err, size_t errlen, const char *fmt, ...);

/* Pass a message to opts->warn, if set. */
__attribute__((format(printf, 2, 3)))
void store_warnf(struct store *s, const char *fmt, ...);

/* Poison the store (first message wins; every later writer call returns it) and return
 * STORE_FATAL with err filled. Writer thread. */
__attribute__((format(printf, 4, 5)))
enum store_result store_poisonf(struct store *s, char *err, size_t errlen, const char *fmt, ...);

/* Append to the reader-visible file list. Caller holds s->mu. 0, or -1 on ENOMEM. */
int store_files_push(struct store *s, const char *name, uint64_t size, int sealed);

/* Write the user-space buffer to the file (policy applied on failure). Writer thread. */
enum store_result store_flush_buf(struct store *s, char *err, size_t errlen);

/* ---- store_journal.c ---- */
/* Write every record of the journal's current lap back into its file (in recovery, after the
 * index is loaded, before the last file is scanned). A missing journal is fine. */
enum store_result store_journal_replay(struct store *s, char *err, size_t errlen);
/* With sync=trx and the journal wanted: make the last file durable (the journal itself is
 * opened, with a new generation, by the first batch). */
enum store_result store_journal_start(struct store *s, char *err, size_t errlen);
/* Make [committed, boundary) durable through the journal, after store_flush_buf. mem: those
 * bytes in memory (the write buffer that was just flushed), or NULL to read them back from
 * the file. Returns 1 when it did, 0 when the caller must fdatasync the file instead, -1 when
 * the store is now poisoned (err filled). Writer thread. */
int store_journal_try(struct store *s, const uint8_t *mem, char *err, size_t errlen);
/* The current file was just fdatasync'ed (everything before is durable): new lap. */
void store_journal_file_synced(struct store *s);
/* Bytes below committed are about to be cut: fdatasync the file, retire every record. */
enum store_result store_journal_drop(struct store *s, char *err, size_t errlen);
/* store_free made the file durable: retire the records (best effort). */
void store_journal_close(struct store *s);

/* ---- purge.c ---- */
/* An interrupted purge: remove the files its intent names that the index no longer lists
 * (size unchanged), drop the intent. After the index is loaded, before it is reconciled. */
enum store_result store_purge_recover(struct store *s, char *err, size_t errlen);

/* ---- store_gtid.c ---- */
/* Load the GTID index, rescan stale or missing entries (and always the last file, whose
 * tracker the writer continues), save it if it changed. After recovery, in store_open. */
enum store_result store_gtid_open(struct store *s, char *err, size_t errlen);
void store_gtid_release(struct store *s);
/* A new file starts (writer): fresh tracker. */
void store_gtid_file_begin(struct store *s);
/* An event was appended with transaction verdict v (writer). */
void store_gtid_append(struct store *s, const struct ev_view *ev, enum trx_verdict v);
/* The tail was cut back to the last boundary (writer); reread: the file was cut back
 * further (to the watermark), so the tracker is rebuilt from the file's bytes. */
void store_gtid_rollback(struct store *s, int reread);
/* The watermark moved: record cur's states at `committed`. Caller holds s->mu. */
void store_gtid_publish_locked(struct store *s);
/* Write the GTID index file (writer; best effort, failures are warnings). */
void store_gtid_save(struct store *s);

/* ---- store_gtidpos.c ---- */
/* Load and check every finished file's sidecar, rebuild the bad ones; the last file's entries
 * were built by store_gtid_open's scan (into gpw). End of store_gtid_open. */
void store_gpos_open(struct store *s);
void store_gpos_release(struct store *s);
/* A new file starts (writer): fde/len its FORMAT_DESCRIPTION; s->cur and s->fmt are set. */
void store_gpos_file_begin(struct store *s, const uint8_t *fde, size_t len);
/* Copy the writer's new entries up to `committed` to the readers' copy. Caller holds s->mu. */
void store_gpos_publish_locked(struct store *s);
/* Write the sidecar of the file being written (writer; best effort). */
void store_gpos_save_current(struct store *s);

#endif
