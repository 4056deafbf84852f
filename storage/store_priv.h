/*
 * store_priv.h - the store's internals, shared by store.c (writer and readers) and
 * store_recover.c (open, recovery, free). Not for use outside storage/.
 */
#ifndef BINLOGD_STORAGE_STORE_PRIV_H
#define BINLOGD_STORAGE_STORE_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/event.h"
#include "protocol/trx.h"
#include "storage/index.h"
#include "storage/store.h"

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
    uint8_t end_type;       /* EV_ROTATE / EV_STOP once appended, else 0 */
    int sealed;             /* IN_USE cleared on disk */
    char rot_name[EV_MAX_NAME_LEN + 1];
    uint64_t rot_pos;
    uint8_t *wbuf;
    size_t wlen;
    int poisoned;
    char poison[1024];
    uint64_t last_sync_ms;  /* CLOCK_MONOTONIC, for STORE_SYNC_INTERVAL */
    int synced_once;
    void (*notify)(void *arg);
    void *notify_arg;

    /* shared with readers, under mu */
    pthread_mutex_t mu;
    struct store_file_info *files;
    size_t nfiles, fcap;
    struct store_watermark wm;
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

#endif
