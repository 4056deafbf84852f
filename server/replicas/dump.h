/*
 * dump.h - streaming the binlog to one replica (COM_BINLOG_DUMP), as a primary's dump
 * thread does, but pulled from the store through the replica's own cursor:
 *
 *   fake ROTATE -> FORMAT_DESCRIPTION (IN_USE cleared; log_pos/created zeroed and CRC fixed
 *   when starting mid-file) -> events up to the committed watermark -> wait (heartbeats) ->
 *   at the end of a finished file: fake ROTATE + next file's FDE -> ...
 *
 * Output is refilled only while the socket buffer is below a high watermark, from the
 * bufferevent's write callback and from the "watermark moved" wake-up, so a stalled
 * replica costs a file descriptor and at most one high watermark of memory.
 *
 * Thread: the loop thread. The session owns the bufferevent; the dump only writes to it.
 */
#ifndef BINLOGD_SERVER_REPLICAS_DUMP_H
#define BINLOGD_SERVER_REPLICAS_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>

#include "protocol/errmsg.h"
#include "protocol/event.h"
#include "protocol/gtid_start.h"
#include "storage/cursor.h"
#include "storage/store.h"

#define DUMP_FLAG_NON_BLOCK 0x01

struct archive_state;

enum dump_state {
    DUMP_STREAMING = 0,  /* more committed events to send: pump again when the socket drains */
    DUMP_WAITING,        /* at the committed watermark: pump again when it moves */
    DUMP_FINISHED,       /* non-blocking dump reached the end: EOF sent */
    DUMP_FAILED,         /* an ERR packet was sent (e.g. corrupt stored event); close */
    DUMP_RESTORING       /* the next file was purged here but the archive holds it: call
                            dump_restore_step (loop thread); the dump's resume hook says when
                            to pump again */
};

/* storage.restore_command's answer for one file (server/ops/restore.h): path of the checked
 * copy (pinned for the asker until put) or why it could not be restored. */
typedef void (*dump_restored_fn)(void *arg, const char *name, const char *path, const char *why);

/* History restored on demand, as the dump sees it (implemented by server/ops/restore.c and
 * wired in main.c). Every call on the loop thread. */
struct dump_restore {
    void *arg;
    struct archive_state *archive;   /* which files are purged but archived, and in what order */
    /* Ask for name's copy: fn(fn_arg, ...) once, possibly before this returns. -1 (fn not
     * called) when the archive cannot restore name. */
    int (*get)(void *arg, const char *name, dump_restored_fn fn, void *fn_arg);
    void (*put)(void *arg, const char *name);                      /* done with name's copy */
    void (*cancel)(void *arg, dump_restored_fn fn, void *fn_arg);  /* fn will not be called */
};

struct dump_opts {
    uint32_t server_id;            /* ours: goes into fake ROTATE and heartbeat headers */
    uint32_t replica_server_id;
    uint16_t flags;
    int      nonblock;             /* flag 0x01 or server_id 0: EOF at the end */
    int      semi_sync;            /* replica set @rpl_semi_sync_slave: 0xEF header on every packet */
    enum ev_checksum_alg alg;      /* checksum the replica negotiated (for the first fake ROTATE) */
    uint32_t high_watermark;       /* stop refilling above this many queued bytes */
    const uint32_t *live_high;     /* when set, read instead of high_watermark at every pump
                                      (the listener's share of its buffer budget; must outlive
                                      the dump) */
    const uint32_t *live_window;   /* the cursor's read-ahead bound (cursor_set_window_max) */
    int      in_memory;            /* TLS: every byte through memory and the bufferevent (no
                                      file segments / sendfile, no direct socket writes); an
                                      event larger than SEGMENT_MIN is read through the cursor
                                      piece by piece, at most a high watermark at a time */
    const struct dump_restore *restore;   /* purged history from the archive; NULL: none (the
                                             replica gets the primary's ERR 1236) */
    void (*resume)(void *arg);     /* a restore ended (DUMP_RESTORING left): pump again (loop thread) */
    void *resume_arg;
    /* The coordinates the replica sent in its dump request: its own master_log_name and
     * master_log_pos (a MariaDB replica sends them also with MASTER_USE_GTID). NULL when
     * they are not its own (MySQL auto-position) or not usable ("" from a MySQL replica).
     * Heartbeats of a dump that starts in DUMP_RESTORING name them (dump_heartbeat). Copied
     * by dump_start. */
    const char *replica_file;
    uint64_t replica_pos;
};

struct dump_stats {
    uint64_t events, bytes;
    char     file[EV_MAX_NAME_LEN + 1];
    uint64_t pos;                  /* end of the last event sent */
};

struct dump;

/* 1 once the dump has sent an event at or after the start the replica asked for (file/position:
 * its first event; GTID: the first one after every requested domain was reached). Loop
 * thread. */
int dump_reached(const struct dump *d);

/* Start a dump at (file, pos) for the session whose next packet sequence number is *seq
 * (the dump advances it). On a refused start returns NULL with *why (the cursor's reason,
 * CURSOR_OPEN_OK for other failures) and err (details for the log); the caller sends the
 * ERR 1236 a primary would. gs (heap, resolved by gtid_start_resolve; NULL for file/position)
 * makes it a MariaDB GTID dump: groups before the requested GTIDs are skipped, a fake
 * GTID_LIST marks the start. The dump owns gs from here on, also on failure. A file that is
 * not here but that opts->restore can restore (purged but archived) starts the dump in
 * DUMP_RESTORING (nothing queued yet). The fake ROTATE and FORMAT_DESCRIPTION are staged,
 * not yet in the socket buffer: call dump_pump next, which sends them with the first event. */
struct dump *dump_start(struct store *store, struct bufferevent *bev, uint8_t *seq,
                        const struct dump_opts *opts, const char *file, uint64_t pos, struct gtid_start *gs,
                        enum cursor_open_error *why, char *err, size_t errlen);

/* DUMP_RESTORING: start the fetch of the file the dump needs, or open it when it turned out
 * to be local. Returns the new state: DUMP_RESTORING (the resume hook is called when the fetch
 * ends), DUMP_STREAMING (pump again), DUMP_FAILED (ERR 1236 naming the file and the reason is
 * queued). Loop thread only: this is where the dump touches the restore, never in dump_pump
 * (which may run on a wake helper). */
enum dump_state dump_restore_step(struct dump *d);

/* A MariaDB replica connects with @slave_connect_state = req: check it against the stored
 * files as a primary does and pick the start file (copied into file). With archive (NULL:
 * none), files purged here but archived count as history before the oldest local one (their
 * GTID states as archive_state recorded them), so the start may be such a file. Returns the resolved
 * start (pass it to dump_start) or NULL with *e (1941, 1943 or 1236 in MariaDB's words).
 * Any thread that may read the store. */
struct gtid_start *dump_gtid_resolve(struct store *store, struct archive_state *archive, const char *req, int strict,
                                     int ignore_duplicates, char *file, size_t cap, struct myerr *e);

/* A MySQL replica's COM_BINLOG_DUMP_GTID with the encoded GTID set data/len: as MySQL 8.0's
 * Binlog_sender::check_start_file. Returns the resolved start (file copied) or NULL with *e. */
struct gtid_start *dump_gtid_resolve_mysql(struct store *store, struct archive_state *archive, const uint8_t *data,
                                           size_t len, char *file, size_t cap, struct myerr *e);

/* Queue events until the output reaches the high watermark or the watermark of the store.
 * Returns the new state. On DUMP_FAILED an ERR packet has been queued. */
enum dump_state dump_pump(struct dump *d);

/* dump_pump for a caller that writes the socket buffer itself right after (the streaming
 * rounds): when the socket buffer was empty, what the pump queued goes to the socket at once
 * and only what the kernel does not take enters the socket buffer. Through the buffer, every
 * refill armed EPOLLOUT and the next loop turn disarmed it, two epoll_ctl per refill even
 * when the write took everything. Not under TLS (in_memory): the same as dump_pump. */
enum dump_state dump_pump_write(struct dump *d);

/* The last dump_pump / dump_pump_write wrote to the socket itself and the kernel did not take
 * everything (the rest is in the socket buffer): another write now would only meet EAGAIN. */
int dump_socket_full(const struct dump *d);

/* Can the writer thread take this dump over (park.h)? Waiting at the end of the log, not
 * under TLS, nothing staged or in the socket buffer, no large event or restore in flight.
 * Loop thread. */
int dump_direct_ok(const struct dump *d);

/* A parked dump, on the writer thread: pump what was committed and write it straight to the
 * socket. Never touches the bufferevent: what the kernel does not take stays staged until
 * the loop calls dump_flush. Returns the new state (as dump_pump); the loop reacts to it. */
enum dump_state dump_pump_direct(struct dump *d);

/* Move what is staged into the socket buffer (after dump_pump_direct). Loop thread. */
void dump_flush(struct dump *d);

/* Queue a heartbeat, only where a replica takes it (see dump.c): waiting at the end of the log
 * (naming the current file and the end of the last event sent); waiting for the next file's
 * copy with the restored copy's last event held back (naming the copy and that event's
 * offset); waiting for the first copy before anything was sent (naming the replica's own
 * coordinates, opts.replica_file). Never between a ROTATE and the FORMAT_DESCRIPTION after
 * it. Loop thread. */
void dump_heartbeat(struct dump *d);

enum dump_state dump_get_state(const struct dump *d);
void dump_get_stats(const struct dump *d, struct dump_stats *st);
void dump_free(struct dump *d);

const char *dump_state_name(enum dump_state s);

#endif
