/*
 * dump.c - see dump.h.
 *
 * Event bytes reach the socket three ways, cheapest first: copied from the cursor's
 * read-ahead window (small events, no extra syscall), read straight into the output buffer
 * (medium events), or as a file segment that libevent sends with sendfile (large events,
 * no copy through user space). Packet headers are written in place, no allocation per event.
 */
#include "server/replicas/dump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "protocol/bbuf.h"
#include "protocol/checksum.h"
#include "protocol/errmsg.h"
#include "protocol/gtid_start.h"
#include "protocol/reply.h"
#include "protocol/wire.h"
#include "server/log.h"
#include "storage/archive_state.h"
#include "storage/cursor.h"
#include "storage/fsio.h"
#include "storage/gtidpos.h"

#define TAG "dump"
#define MAX_PAYLOAD 0xFFFFFFu
#define SEGMENT_MIN (64 * 1024)   /* events at least this large go out as file segments */
#define FDE_MAX 4096

struct dump {
    struct cursor *cur;
    struct bufferevent *bev;
    uint8_t *seq;
    struct dump_opts o;
    enum dump_state state;
    enum ev_checksum_alg alg;      /* of the last FDE sent: fake events are checksummed with it */
    struct dump_stats st;
    /* Packets are built here and moved to the socket buffer once per pump: the socket
     * buffer's callbacks (and the event-base lock they take) then run once per batch, not
     * three times per event. */
    struct evbuffer *stage;
    /* Small packets are built straight into one open reservation of the stage (header,
     * prefix and event bytes copied once), committed before anything else touches the stage:
     * three evbuffer_add calls per event were a quarter of the loop thread's time. */
    struct evbuffer_iovec res;
    size_t res_used;
    int res_open;
    /* in_memory: a large event being sent in pieces across pumps (the cursor stays on its
     * file meanwhile: no cursor_next until it is out). */
    struct {
        int active;
        uint64_t off;              /* event start in the cursor's current file */
        uint32_t len;              /* event length */
        uint64_t total, done;      /* payload bytes (prefix + event) and how many are queued */
        uint64_t chunk_end;        /* payload offset where the current packet ends */
    } big;
    struct gtid_start *gs;                  /* MariaDB GTID start (owned), NULL for file/position */
    struct store *store;
    int jump_tried;                         /* the GTID position index was consulted in this file */
    char start_file[EV_MAX_NAME_LEN + 1];   /* where the dump began, for the 1236 text */
    uint64_t start_pos;
    /* History restored on demand (o.restore): */
    char want[EV_MAX_NAME_LEN + 1];         /* the file DUMP_RESTORING waits for */
    uint64_t want_pos;                      /* and where to start in it */
    int fetching;                           /* a restore get is outstanding (cancelled on free) */
    int in_get;                             /* inside that get: its answer must not resume */
    char pinned[EV_MAX_NAME_LEN + 1];       /* the restored copy the cursor reads ("": none) */
    int begun;                              /* a fake ROTATE was sent (heartbeats may name it) */
    uint64_t copy_end;                      /* size of the restored copy the cursor reads */
    /* The copy's last event (its ROTATE, or STOP), held back while the next file is fetched:
     * see dump_heartbeat. Sent by entered() before the next file's fake ROTATE. */
    uint8_t held[64 + EV_MAX_NAME_LEN];
    size_t held_len;                        /* 0: nothing held */
    uint64_t held_off;
    /* The replica's own coordinates from its request (opts.replica_file; the name may be ""). */
    int asked_ok;
    char asked[EV_MAX_NAME_LEN + 1];
    uint32_t asked_pos;
    int reached;                            /* an event at/after the requested start was sent */
    int socket_full;                        /* the last direct write left bytes (dump_socket_full) */
};

const char *dump_state_name(enum dump_state s)
{
    switch (s) {
    case DUMP_STREAMING: return "streaming";
    case DUMP_WAITING: return "waiting";
    case DUMP_FINISHED: return "finished";
    case DUMP_FAILED: return "failed";
    case DUMP_RESTORING: return "restoring";
    }
    return "?";
}

/* Reservation size for small packets. libevent rounds a chain (with its header) up to a power
 * of two: just under 64 KiB stays a 64 KiB heap block, where 64 KiB would become a 128 KiB one,
 * which glibc may hand out by mmap, so that every chain costs page faults and zeroing. */
#define STAGE_CHUNK (64 * 1024 - 512)

static uint32_t high_mark(const struct dump *d);

/* The reservation for this dump: STAGE_CHUNK, or less when its share of the buffer budget is
 * smaller (a 32 KiB share must not hold a 64 KiB block: at 1000 streaming dumps that was
 * 32 MiB of the peak RSS). */
static size_t stage_chunk(const struct dump *d)
{
    size_t h = high_mark(d);
    return h >= 64 * 1024 ? STAGE_CHUNK : h > 8192 ? h - 512 : 8192 - 512;
}

/* Close the open reservation: what was built becomes part of the stage. Must precede every
 * other use of d->stage (libevent forbids changes between reserve and commit). */
static void stage_commit(struct dump *d)
{
    if (!d->res_open) return;
    d->res.iov_len = d->res_used;
    evbuffer_commit_space(d->stage, &d->res, 1);
    d->res_open = 0;
    d->res_used = 0;
}

/* Bytes staged, the open reservation included. */
static size_t stage_len(const struct dump *d)
{
    return evbuffer_get_length(d->stage) + (d->res_open ? d->res_used : 0);
}

/* n contiguous bytes at the end of the stage, or NULL (out of memory). */
static uint8_t *stage_room(struct dump *d, size_t n)
{
    if (!d->res_open || d->res.iov_len - d->res_used < n) {
        stage_commit(d);
        /* No more than the room left under the high watermark: what the socket did not take
         * yet plus a fresh full chunk held two chunks per dump at the budget's floor. */
        size_t chunk = stage_chunk(d), queued = evbuffer_get_length(bufferevent_get_output(d->bev)) + stage_len(d);
        size_t room = queued < high_mark(d) ? high_mark(d) - queued : 0;
        if (room < chunk) chunk = room < 4096 - 512 ? 4096 - 512 : room;
        if (evbuffer_reserve_space(d->stage, (ev_ssize_t)(n > chunk ? n : chunk), &d->res, 1) < 1)
            return NULL;
        d->res_open = 1;
    }
    uint8_t *p = (uint8_t *)d->res.iov_base + d->res_used;
    d->res_used += n;
    return p;
}

static void put_header(struct evbuffer *out, uint32_t len, uint8_t seq)
{
    uint8_t h[4];
    wire_put_u24(h, len);
    h[3] = seq;
    evbuffer_add(out, h, 4);
}

/* Where an event's bytes come from. */
struct src {
    const uint8_t *mem;                    /* whole event in memory, or NULL */
    int fd;
    uint64_t off;                          /* event start in the file */
    struct evbuffer_file_segment *seg;     /* for large events */
};

/* Read n stored bytes at off into buf; a failure is logged with file:offset. 0 or -1. */
static int read_stored(struct dump *d, int fd, uint64_t off, void *buf, size_t n)
{
    size_t got = 0;
    int rc = fsio_pread_all(fd, buf, n, off, &got);
    if (rc == 0 && got == n) return 0;
    log_error(TAG, "%s:%llu: read failed: %s", cursor_file(d->cur), (unsigned long long)(off + got),
              rc == -1 ? strerror(errno) : "unexpected end of file");
    return -1;
}

static int add_bytes(struct dump *d, struct evbuffer *out, struct src *s, uint64_t from, uint64_t n)
{
    if (n == 0) return 0;
    if (s->mem) return evbuffer_add(out, s->mem + from, (size_t)n);
    if (s->seg) return evbuffer_add_file_segment(out, s->seg, (ev_off_t)from, (ev_off_t)n);
    struct evbuffer_iovec v;
    if (evbuffer_reserve_space(out, (ev_ssize_t)n, &v, 1) < 1) return -1;
    if (read_stored(d, s->fd, s->off + from, v.iov_base, (size_t)n) == -1) return -1;
    v.iov_len = (size_t)n;
    return evbuffer_commit_space(out, &v, 1);
}

/* Queue one event as a packet: 0x00 [0xEF flag] + event, split into 16 MiB - 1 chunks with
 * a trailing empty packet when the payload is an exact multiple. */
static int queue_event(struct dump *d, struct src *s, uint32_t len)
{
    struct evbuffer *out = d->stage;
    uint8_t prefix[3] = {0x00, 0xEF, 0x00};
    uint64_t plen = d->o.semi_sync ? 3 : 1, total = plen + len, done = 0;
    if (!s->seg && total < MAX_PAYLOAD) {   /* one packet, bytes in memory or read right here */
        uint8_t *p = stage_room(d, 4 + (size_t)total);
        if (!p) return -1;
        wire_put_u24(p, (uint32_t)total);
        p[3] = (*d->seq)++;
        memcpy(p + 4, prefix, (size_t)plen);
        if (s->mem) {
            memcpy(p + 4 + plen, s->mem, len);
            return 0;
        }
        if (read_stored(d, s->fd, s->off, p + 4 + plen, len) == -1) {
            d->res_used -= 4 + (size_t)total;   /* nothing of this packet stays */
            (*d->seq)--;
            return -1;
        }
        return 0;
    }
    stage_commit(d);
    for (;;) {
        uint32_t chunk = total - done > MAX_PAYLOAD ? MAX_PAYLOAD : (uint32_t)(total - done);
        put_header(out, chunk, (*d->seq)++);
        uint64_t a = done, b = done + chunk;
        if (a < plen) evbuffer_add(out, prefix + a, (size_t)((b < plen ? b : plen) - a));
        uint64_t ea = a > plen ? a - plen : 0, eb = b > plen ? b - plen : 0;
        if (add_bytes(d, out, s, ea, eb - ea) == -1) return -1;
        done = b;
        if (chunk < MAX_PAYLOAD) break;
        if (done == total) { put_header(out, 0, (*d->seq)++); break; }
    }
    return 0;
}

static int queue_mem_event(struct dump *d, const uint8_t *ev, size_t len)
{
    struct src s = {.mem = ev, .fd = -1};
    return queue_event(d, &s, (uint32_t)len);
}

/* ERR / EOF end a dump: built by reply.c, appended whole to the socket buffer. */
static void queue_reply(struct dump *d, int eof, uint16_t code, const char *msg)
{
    struct bbuf b;
    bbuf_init(&b);
    if (eof) reply_eof(&b, d->seq, 0, REPLY_STATUS_AUTOCOMMIT);
    else reply_err(&b, d->seq, code, NULL, msg);
    stage_commit(d);
    if (bbuf_ok(&b)) evbuffer_add(d->stage, b.p, b.len);
    bbuf_free(&b);
}

/* Fake ROTATE naming the current file + its FDE (rewritten for a mid-file start). */
static int queue_file_start(struct dump *d, uint64_t pos, char *err, size_t errlen)
{
    uint8_t fde[FDE_MAX], rot[64 + EV_MAX_NAME_LEN];
    const char *name = cursor_file(d->cur), *why = NULL;
    size_t fl = cursor_read_fde(d->cur, fde, sizeof(fde), err, errlen);
    if (!fl) return -1;
    struct ev_fde f;
    if (ev_fde_parse(fde, fl, &f, &why) != EV_OK) {
        snprintf(err, errlen, "%s:4: bad FORMAT_DESCRIPTION: %s", name, why);
        return -1;
    }
    size_t rl = ev_build_fake_rotate(rot, sizeof(rot), d->o.server_id, pos, name, strlen(name), d->alg);
    if (!rl || queue_mem_event(d, rot, rl) == -1) {
        snprintf(err, errlen, "cannot build ROTATE for %s", name);
        return -1;
    }
    /* The primary never sends IN_USE; the FDE's CRC is computed with it clear, so this
     * keeps the CRC valid. */
    wire_put_u16(fde + EV_FLAGS_OFFSET, (uint16_t)(wire_u16(fde + EV_FLAGS_OFFSET) & ~EV_F_BINLOG_IN_USE));
    if (pos > BINLOG_MAGIC_LEN && ev_fde_rewrite_for_resume(fde, fl, &why) != EV_OK) {
        snprintf(err, errlen, "%s:4: cannot rewrite FORMAT_DESCRIPTION: %s", name, why);
        return -1;
    }
    /* GTID start not reached yet: `created` 0, so the replica does not take it for a restart. */
    if (d->gs && !gtid_start_reached(d->gs) && ev_fde_clear_created(fde, fl, &why) != EV_OK) {
        snprintf(err, errlen, "%s:4: cannot rewrite FORMAT_DESCRIPTION: %s", name, why);
        return -1;
    }
    if (queue_mem_event(d, fde, fl) == -1) return -1;
    d->alg = f.has_checksum_alg ? f.checksum : EV_CHECKSUM_OFF;
    d->begun = 1;
    snprintf(d->st.file, sizeof(d->st.file), "%s", name);
    d->st.pos = pos > BINLOG_MAGIC_LEN ? pos : BINLOG_MAGIC_LEN + fl;
    return 0;
}

/* The cursor was just positioned at pos of a file: queue its fake ROTATE and FDE (stepping
 * the cursor over the file's own FDE when starting at 4). 0, or -1 with err. */
static int begin_file(struct dump *d, uint64_t pos, char *err, size_t errlen)
{
    if (pos == BINLOG_MAGIC_LEN) {
        /* The FDE is sent by queue_file_start: step the cursor over the file's copy. */
        struct cursor_item it;
        enum cursor_result r = cursor_next(d->cur, &it, err, errlen);
        if (r != CURSOR_EVENT || it.h.type != EV_FORMAT_DESCRIPTION) {
            if (r != CURSOR_ERROR)   /* else err already says what is wrong with it */
                snprintf(err, errlen, "%s:4: no FORMAT_DESCRIPTION event", cursor_file(d->cur));
            return -1;
        }
    }
    return queue_file_start(d, pos, err, errlen);
}

/* name was purged here and the archive can restore it. */
static int restorable(const struct dump *d, const char *name)
{
    const struct dump_restore *r = d->o.restore;
    return r && r->archive && archive_state_is_purged(r->archive, name);
}

/* The replica asks for (file, pos) that is not here: the file the newest file's committed
 * ROTATE names. It received that ROTATE and reconnected before the primary's next file
 * arrived (a KILL or a lost link at a rotation; binlogd restarted while the primary is
 * away). A primary never refuses this (its next file exists before readers see the ROTATE),
 * and a MariaDB replica stops for good on the refusal (1236): wait at the end of the newest
 * file instead, as a replica that stayed connected does, so that the next file's fake ROTATE
 * and FORMAT_DESCRIPTION are the first events sent. 0: positioned there; 1: the file was
 * opened meanwhile and the cursor is at pos in it (*why OK); -1: neither (*why says why). */
static int start_announced(struct dump *d, const char *file, uint64_t pos, enum cursor_open_error *why, char *err,
                           size_t errlen)
{
    char next[EV_MAX_NAME_LEN + 1];
    uint64_t npos;
    struct store_file_info last;
    if (store_announced_next(d->store, next, sizeof(next), &npos, &last) == -1)
        return (*why = cursor_open(d->cur, file, pos, err, errlen)) == CURSOR_OPEN_OK ? 1 : -1;
    if (strcmp(next, file) || npos != pos) return -1;
    return cursor_open(d->cur, last.name, last.size, err, errlen) == CURSOR_OPEN_OK ? 0 : -1;
}

struct dump *dump_start(struct store *store, struct bufferevent *bev, uint8_t *seq,
                        const struct dump_opts *opts, const char *file, uint64_t pos, struct gtid_start *gs,
                        enum cursor_open_error *why, char *err, size_t errlen)
{
    *why = CURSOR_OPEN_OK;
    struct dump *d = calloc(1, sizeof(*d));
    if (!d || !(d->cur = cursor_new(store)) || !(d->stage = evbuffer_new())) {
        snprintf(err, errlen, "Out of memory");
        if (d) d->gs = gs;
        else if (gs) { gtid_start_free(gs); free(gs); }
        dump_free(d);
        return NULL;
    }
    cursor_set_window_max(d->cur, opts->live_window);
    d->gs = gs;
    d->store = store;
    d->bev = bev;
    d->seq = seq;
    d->o = *opts;
    d->alg = opts->alg;
    if (opts->replica_file && opts->replica_pos >= BINLOG_MAGIC_LEN && opts->replica_pos <= UINT32_MAX) {
        snprintf(d->asked, sizeof(d->asked), "%s", opts->replica_file);
        d->asked_pos = (uint32_t)opts->replica_pos;
        d->asked_ok = 1;
    }
    d->o.replica_file = NULL;   /* not ours to keep */
    int announced = -1;
    if ((*why = cursor_open(d->cur, file, pos, err, errlen)) != CURSOR_OPEN_OK && *why == CURSOR_OPEN_NO_FILE &&
        file[0] && !restorable(d, file) && (announced = start_announced(d, file, pos, why, err, errlen)) == 0) {
        *why = CURSOR_OPEN_OK;
        /* Heartbeats name (file, pos) until the next file begins (dump_heartbeat); readers'
         * positions (PROCESSLIST, retention) say the end of the newest file. */
        snprintf(d->start_file, sizeof(d->start_file), "%s", file);
        d->start_pos = pos;
        snprintf(d->st.file, sizeof(d->st.file), "%s", cursor_file(d->cur));
        d->st.pos = cursor_pos(d->cur);
        d->state = DUMP_WAITING;
        return d;
    }
    if (*why != CURSOR_OPEN_OK && announced != 1) {
        if (*why != CURSOR_OPEN_NO_FILE || !file[0] || !restorable(d, file)) goto fail;
        /* Purged here, archived: the session calls dump_restore_step, which fetches it. */
        *why = CURSOR_OPEN_OK;
        snprintf(d->want, sizeof(d->want), "%s", file);
        snprintf(d->start_file, sizeof(d->start_file), "%s", file);
        d->want_pos = d->start_pos = pos;
        /* Where it stands for PROCESSLIST and retention: a file older than every local one. */
        snprintf(d->st.file, sizeof(d->st.file), "%s", file);
        d->st.pos = pos;
        d->state = DUMP_RESTORING;
        return d;
    }
    snprintf(d->start_file, sizeof(d->start_file), "%s", cursor_file(d->cur));
    d->start_pos = pos;
    if (begin_file(d, pos, err, errlen) == -1) goto fail;
    /* The fake ROTATE and FDE stay staged: the first pump sends them with its first event,
     * in one write (dump_pump). */
    d->state = DUMP_STREAMING;
    return d;
fail:
    dump_free(d);
    return NULL;
}

/* in_memory: bytes of a large event read per step, so a piece never exceeds what one
 * high watermark allows. */
#define BIG_PIECE (128 * 1024)

static uint32_t high_mark(const struct dump *d)
{
    /* live_high is the loop thread's (session_dumps_changed); a parked dump reads it on the
     * writer thread (dump_pump_direct), hence the atomic load. */
    uint32_t live = d->o.live_high ? __atomic_load_n(d->o.live_high, __ATOMIC_RELAXED) : 0;
    return live ? live : d->o.high_watermark;
}

/* Account a stored event as sent. */
static void event_sent(struct dump *d, uint64_t offset, uint32_t len)
{
    d->st.events++;
    d->st.bytes += len;
    /* GTID: events sent while domains are still being skipped (the file's GTID_LIST, ...) are
     * not yet what the replica asked for */
    if (!d->reached && (!d->gs || gtid_start_idle(d->gs))) d->reached = 1;
    d->st.pos = offset + len;
}

/* in_memory: queue more of the large event in flight, up to the high watermark (counting
 * what the socket buffer holds). Packets are framed as queue_event frames them. 1 when the
 * event is complete, 0 when it waits for the socket to drain, -1 on a read error. */
static int big_step(struct dump *d, char *err, size_t errlen)
{
    struct evbuffer *out = bufferevent_get_output(d->bev);
    uint8_t prefix[3] = {0x00, 0xEF, 0x00};
    uint64_t plen = d->o.semi_sync ? 3 : 1;
    stage_commit(d);
    while (d->big.done < d->big.total) {
        size_t queued = evbuffer_get_length(out) + evbuffer_get_length(d->stage);
        if (queued >= high_mark(d)) return 0;
        if (d->big.done == d->big.chunk_end) {   /* a packet starts here */
            uint64_t chunk = d->big.total - d->big.done > MAX_PAYLOAD ? MAX_PAYLOAD : d->big.total - d->big.done;
            put_header(d->stage, (uint32_t)chunk, (*d->seq)++);
            d->big.chunk_end = d->big.done + chunk;
        }
        uint64_t a = d->big.done, b = d->big.chunk_end;
        if (b - a > BIG_PIECE) b = a + BIG_PIECE;
        if (a < plen) {   /* the 0x00 [0xEF flag] prefix */
            uint64_t e = b < plen ? b : plen;
            evbuffer_add(d->stage, prefix + a, (size_t)(e - a));
            d->big.done = a = e;
            if (a == b) continue;
        }
        struct evbuffer_iovec v;
        size_t n = (size_t)(b - a);
        if (evbuffer_reserve_space(d->stage, (ev_ssize_t)n, &v, 1) < 1) {
            snprintf(err, errlen, "%s: out of memory sending the event at %llu", cursor_file(d->cur),
                     (unsigned long long)d->big.off);
            return -1;
        }
        if (cursor_pread(d->cur, v.iov_base, n, d->big.off + (a - plen), err, errlen) == -1) {
            v.iov_len = 0;
            evbuffer_commit_space(d->stage, &v, 1);
            return -1;
        }
        v.iov_len = n;
        evbuffer_commit_space(d->stage, &v, 1);
        d->big.done = b;
        /* Hand it on now: the watermark check above counts the socket buffer. */
        evbuffer_add_buffer(out, d->stage);
    }
    /* A payload that is an exact multiple of 16 MiB - 1 ends with an empty packet. */
    if (d->big.total % MAX_PAYLOAD == 0) put_header(d->stage, 0, (*d->seq)++);
    d->big.active = 0;
    event_sent(d, d->big.off, d->big.len);
    return 1;
}

/* Queue one stored event: from the read-ahead window, by pread, or as a file segment. */
static int send_event(struct dump *d, const struct cursor_item *it, char *err, size_t errlen)
{
    struct src s = {.mem = it->data, .fd = it->fd, .off = it->offset};
    if (!s.mem && ((it->len >= SEGMENT_MIN && d->o.in_memory) || it->fd < 0)) {
        /* No sendfile under TLS: the bytes must pass through OpenSSL. Sent in pieces, so a
         * large event costs at most a high watermark of memory at a time. A compressed file
         * (fd -1) has no bytes to send from: its events outside the window go this way too,
         * read through the cursor (inflated). */
        d->big.active = 1;
        d->big.off = it->offset;
        d->big.len = it->len;
        d->big.total = (d->o.semi_sync ? 3 : 1) + (uint64_t)it->len;
        d->big.done = d->big.chunk_end = 0;
        return big_step(d, err, errlen) == -1 ? -1 : 0;
    }
    if (!s.mem && it->len >= SEGMENT_MIN) {
        int fd = dup(it->fd);
        if (fd == -1 || !(s.seg = evbuffer_file_segment_new(fd, (ev_off_t)it->offset, it->len,
                                                            EVBUF_FS_CLOSE_ON_FREE | EVBUF_FS_DISABLE_LOCKING))) {
            if (fd != -1) close(fd);
            snprintf(err, errlen, "%s: cannot send event at %llu: out of resources", cursor_file(d->cur),
                     (unsigned long long)it->offset);
            return -1;
        }
    }
    int rc = queue_event(d, &s, it->len);
    if (s.seg) evbuffer_file_segment_free(s.seg);   /* the output holds its own reference */
    if (rc == -1) {
        snprintf(err, errlen, "%s: read error at %llu", cursor_file(d->cur), (unsigned long long)it->offset);
        return -1;
    }
    event_sent(d, it->offset, it->len);
    return 0;
}

/* GTID start: decide on one event (reading only the bytes the decision needs). On
 * GTID_START_ERROR the ERR packet is queued. */
static enum gtid_start_verdict gtid_filter(struct dump *d, const struct cursor_item *it, int *fake)
{
    uint8_t buf[GTID_START_PEEK];
    const uint8_t *p = it->data;
    size_t avail = it->len;
    char err[512];
    struct myerr e;
    if (!p) {
        int whole = it->h.type == EV_MARIA_GTID || it->h.type == EV_QUERY || it->h.type == EV_MYSQL_GTID;
        avail = whole && it->len <= sizeof(buf) ? it->len : EV_HEADER_LEN;
        if (cursor_pread(d->cur, buf, avail, it->offset, err, sizeof(err)) == -1) {
            myerr_custom(&e, MYERR_MASTER_FATAL_READING_BINLOG, "Error reading binlog: %s", err);
            queue_reply(d, 0, e.code, e.msg);
            return GTID_START_ERROR;
        }
        p = buf;
    }
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, d->alg);
    enum gtid_start_verdict v = gtid_start_event(d->gs, p, avail, it->len, &fmt, fake, &e);
    if (v == GTID_START_ERROR) {
        log_warn(TAG, "GTID dump to replica server_id %u stopped at %s:%llu: %s", d->o.replica_server_id,
                 cursor_file(d->cur), (unsigned long long)it->offset, e.msg);
        queue_reply(d, 0, e.code, e.msg);
    }
    return v;
}

/* MySQL GTID dump: skipped groups are announced by a heartbeat carrying their end position
 * (Binlog_sender), naming the current file. */
static int queue_skip_heartbeat(struct dump *d)
{
    if (!d->gs || !d->gs->exclude_end) return 0;
    uint8_t hb[64 + EV_MAX_NAME_LEN];
    size_t n = ev_build_heartbeat(hb, sizeof(hb), d->o.server_id, (uint32_t)d->gs->exclude_end, d->st.file,
                                  strlen(d->st.file), d->alg);
    d->gs->exclude_end = 0;
    return n ? queue_mem_event(d, hb, n) : -1;
}

/* The fake GTID_LIST that tells a GTID replica its start is reached (log_pos = end of the
 * reached group). */
static int queue_fake_list(struct dump *d, uint64_t end)
{
    size_t cap = EV_HEADER_LEN + 4 + 16 * (size_t)d->gs->seen.n + EV_CRC_LEN;
    uint8_t *ev = malloc(cap);
    size_t n = ev ? gtid_start_fake_list(d->gs, ev, cap, d->o.server_id, (uint32_t)end, d->alg) : 0;
    int rc = n ? queue_mem_event(d, ev, n) : -1;
    free(ev);
    if (rc == -1) queue_reply(d, 0, MYERR_MASTER_FATAL_READING_BINLOG, "Out of memory building the GTID list");
    return rc;
}

struct jump_arg {
    const struct gtid_start *gs;
    uint64_t from;
};

static int jump_ok(void *arg, const struct gpos_entry *e)
{
    const struct jump_arg *j = arg;
    /* [from, e->off) must hold GTID groups only, each one the start would skip */
    return e->seg <= j->from && gtid_start_jump_ok(j->gs, e->state, e->max);
}

/* GTID start at the first GTID event of a file (*it): continue at the last boundary of the
 * GTID position index up to which the scan would only skip (storage/gtidpos.h), instead of
 * reading every group before it. 1 when the cursor moved (read on from there), 0 to read on. */
static int gtid_jump(struct dump *d, const struct cursor_item *it)
{
    struct jump_arg j = {.gs = d->gs, .from = it->offset};
    struct gpos_entry e;
    int flavor;
    if (store_gtidpos_find(d->store, cursor_file(d->cur), it->offset, jump_ok, &j, &flavor, &e) != 1) return 0;
    int want = d->gs->mysql ? GTID_TRACK_MYSQL : GTID_TRACK_MARIA, rc = 0;
    if (flavor == want && cursor_seek(d->cur, e.off) == 0) {
        if (gtid_start_jump(d->gs, e.state) == 0) {
            if (d->gs->mysql) d->gs->exclude_end = e.off;   /* announced as the skipped groups would be */
            d->st.pos = e.off;
            log_debug(TAG, "GTID dump to replica server_id %u: %s:%llu to %llu skipped by the GTID position index",
                      d->o.replica_server_id, cursor_file(d->cur), (unsigned long long)it->offset,
                      (unsigned long long)e.off);
            rc = 1;
        } else {
            (void)cursor_seek(d->cur, it->offset + it->len);   /* read on after *it, as without the index */
        }
    }
    gpos_entry_free(&e);
    return rc;
}

/* The file after the restored copy the cursor has read to its end, into d->want. 0, or -1
 * with err. Any thread (the archive state and the store take their locks). */
static int next_after(struct dump *d, char *err, size_t errlen)
{
    const char *cur = cursor_file(d->cur);
    int rc = archive_state_next(d->o.restore->archive, cur, d->want, sizeof(d->want));
    if (rc == 1) {   /* the newest archived file: the history goes on in the oldest local one */
        struct store_file_info first;
        if (store_files(d->store, &first, 1) == 1) {
            snprintf(d->want, sizeof(d->want), "%s", first.name);
            return 0;
        }
    }
    if (rc == 0) return 0;
    snprintf(err, errlen, "%s: could not find next log (neither the archive state nor the index lists a file after "
             "it)", cur);
    return -1;
}

int dump_reached(const struct dump *d) { return d->reached; }

/* *it is the last event of the restored copy the cursor reads (a checked copy ends with its
 * ROTATE, or STOP): keep its bytes in d->held instead of sending it. 1 when held; 0 to send
 * it as any event (not a copy, not the last event, too large to hold, or unreadable). */
static int hold_last(struct dump *d, const struct cursor_item *it)
{
    char err[512];
    if (!d->pinned[0] || it->offset + it->len != d->copy_end || it->len > sizeof(d->held)) return 0;
    if (it->data) memcpy(d->held, it->data, it->len);
    else if (cursor_pread(d->cur, d->held, it->len, it->offset, err, sizeof(err)) == -1) return 0;
    d->held_len = it->len;
    d->held_off = it->offset;
    return 1;
}

static enum dump_state pump(struct dump *d)
{
    struct evbuffer *out = bufferevent_get_output(d->bev);
    char err[512];
    /* A new dump's first pump ends with its first event: in a reconnect storm (thousands of
     * dumps starting in one loop turn) every replica gets its first event before any gets a
     * full buffer, so the time to the first event does not grow by one high watermark of
     * reading, CRC-checking and copying per replica ahead of it. The write callback (or the
     * stream queue) pumps on at once. */
    int first = !d->reached;
    size_t limit = high_mark(d);
    while (evbuffer_get_length(out) + stage_len(d) < limit && !(first && d->reached)) {
        if (d->big.active) {   /* finish the large event in flight before reading on */
            int br = big_step(d, err, sizeof(err));
            if (br == -1) goto failed;
            if (br == 0) break;
            continue;
        }
        struct cursor_item it;
        enum cursor_result r = cursor_next(d->cur, &it, err, sizeof(err));
        if (r == CURSOR_EVENT && d->gs && !gtid_start_idle(d->gs) && !d->jump_tried &&
            (it.h.type == EV_MARIA_GTID || it.h.type == EV_MYSQL_GTID)) {
            d->jump_tried = 1;
            if (gtid_start_jump_ready(d->gs) && gtid_jump(d, &it)) continue;
        }
        if (r == CURSOR_EVENT && d->gs && !gtid_start_idle(d->gs)) {
            int fake = 0;
            enum gtid_start_verdict gv = gtid_filter(d, &it, &fake);
            if (gv == GTID_START_ERROR) return d->state = DUMP_FAILED;
            if (gv == GTID_START_SKIP) {
                d->st.pos = it.offset + it.len;   /* heartbeats name the read position, as mariadbd */
                if (d->gs->mysql) d->gs->exclude_end = it.offset + it.len;
                if (fake && queue_fake_list(d, it.offset + it.len) == -1) return d->state = DUMP_FAILED;
                continue;
            }
            if (queue_skip_heartbeat(d) == -1) goto failed;
            if (fake) {   /* the reached group was sent (a hole, strict mode off): list after it */
                if (send_event(d, &it, err, sizeof(err)) == -1) goto failed;
                if (queue_fake_list(d, it.offset + it.len) == -1) return d->state = DUMP_FAILED;
                continue;
            }
        }
        if (r == CURSOR_EVENT && hold_last(d, &it)) {
            /* The copy's last event (its ROTATE): the next file is fetched first (see
             * dump_heartbeat), the event goes out with that file's start (entered). */
            d->jump_tried = 0;
            if (queue_skip_heartbeat(d) == -1) goto failed;
            if (next_after(d, err, sizeof(err)) == -1) goto failed;
            d->want_pos = BINLOG_MAGIC_LEN;
            return d->state = DUMP_RESTORING;
        }
        if (r == CURSOR_EVENT) {
            if (send_event(d, &it, err, sizeof(err)) == -1) goto failed;
        } else if (r == CURSOR_NEXT_FILE) {
            d->jump_tried = 0;
            if (queue_skip_heartbeat(d) == -1) goto failed;
            if (queue_file_start(d, BINLOG_MAGIC_LEN, err, sizeof(err)) == -1) goto failed;
        } else if (r == CURSOR_FILE_END) {
            /* The end of a restored copy, or of a file purged under this reader whose next
             * file is gone too (cursor.c: orphan_end): the next file is the archive's next
             * one, or the oldest local file after the last archived one. Opened (or fetched)
             * by dump_restore_step on the loop thread. No archive: ERR 1236 (the fault). */
            if (!d->o.restore || !d->o.restore->archive) goto failed;
            d->jump_tried = 0;
            if (queue_skip_heartbeat(d) == -1) goto failed;
            if (next_after(d, err, sizeof(err)) == -1) goto failed;
            d->want_pos = BINLOG_MAGIC_LEN;
            return d->state = DUMP_RESTORING;
        } else if (r == CURSOR_WAIT) {
            if (queue_skip_heartbeat(d) == -1) goto failed;
            cursor_idle(d->cur);
            if (d->o.nonblock) {
                queue_reply(d, 1, 0, NULL);
                return d->state = DUMP_FINISHED;
            }
            return d->state = DUMP_WAITING;
        } else {
            goto failed;
        }
    }
    return d->state = DUMP_STREAMING;
failed:
    log_error(TAG, "dump to replica server_id %u stopped: %s", d->o.replica_server_id, err);
    /* Damaged or unreadable stored bytes get the primary's text (with the coordinates of the
     * event); anything else keeps the cursor's own reason. */
    struct myerr e;
    uint64_t at, upto;
    enum cursor_fault f = cursor_fault(d->cur, &at, &upto);
    if (f == CURSOR_FAULT_CHECKSUM || f == CURSOR_FAULT_BOGUS || f == CURSOR_FAULT_IO)
        myerr_binlog_read_failed(&e, MYERR_MASTER_FATAL_READING_BINLOG,
                                 myerr_read_error_text(f == CURSOR_FAULT_CHECKSUM ? MYERR_READ_CHECKSUM
                                                       : f == CURSOR_FAULT_BOGUS ? MYERR_READ_BOGUS : MYERR_READ_IO),
                                 d->start_file, d->start_pos, cursor_file(d->cur), at, upto);
    else if (f == CURSOR_FAULT_PURGED)
        /* Retention purged the file under it (storage.max_disk_bytes overrides readers):
         * mariadbd's words when the next file is not in its index. */
        myerr_binlog_read_failed(&e, MYERR_MASTER_FATAL_READING_BINLOG, "could not find next log", d->start_file,
                                 d->start_pos, cursor_file(d->cur), at, upto);
    else
        myerr_custom(&e, MYERR_MASTER_FATAL_READING_BINLOG, "Error reading binlog: %s", err);
    queue_reply(d, 0, e.code, e.msg);
    return d->state = DUMP_FAILED;
}

/* Hand what the dump queued to the socket buffer (outside a pump: loop thread). */
static void flush_stage(struct dump *d)
{
    stage_commit(d);
    evbuffer_add_buffer(bufferevent_get_output(d->bev), d->stage);
}

/* The file d->want cannot be served: ERR 1236 naming it and why, and the log says so too. */
static enum dump_state restore_failed(struct dump *d, const char *why)
{
    struct myerr e;
    log_error(TAG, "dump to replica server_id %u stopped: binlog '%s' was purged here and could not be restored from "
              "the archive: %s", d->o.replica_server_id, d->want, why);
    myerr_custom(&e, MYERR_MASTER_FATAL_READING_BINLOG,
                 "Binary log '%s' was purged here and could not be restored from the archive: %s", d->want, why);
    queue_reply(d, 0, e.code, e.msg);
    return d->state = DUMP_FAILED;
}

/* A local file after restored ones cannot be read: the cursor's words, as in a pump. */
static enum dump_state local_failed(struct dump *d, const char *err)
{
    struct myerr e;
    log_error(TAG, "dump to replica server_id %u stopped: %s", d->o.replica_server_id, err);
    myerr_custom(&e, MYERR_MASTER_FATAL_READING_BINLOG, "Error reading binlog: %s", err);
    queue_reply(d, 0, e.code, e.msg);
    return d->state = DUMP_FAILED;
}

/* The cursor moved to d->want (a restored copy: pinned names it; a local file: NULL): stop
 * pinning the copy it left, queue the new file's start. */
static enum dump_state entered(struct dump *d, const char *pinned)
{
    char err[512];
    if (d->pinned[0] && strcmp(d->pinned, pinned ? pinned : "")) d->o.restore->put(d->o.restore->arg, d->pinned);
    snprintf(d->pinned, sizeof(d->pinned), "%s", pinned ? pinned : "");
    if (d->held_len) {   /* the previous copy's ROTATE, held while this file was fetched */
        size_t n = d->held_len;
        d->held_len = 0;
        if (queue_mem_event(d, d->held, n) == -1) return local_failed(d, "out of memory sending the held ROTATE");
        event_sent(d, d->held_off, (uint32_t)n);
    }
    if (begin_file(d, d->want_pos, err, sizeof(err)) == -1) return pinned ? restore_failed(d, err) : local_failed(d, err);
    return d->state = DUMP_STREAMING;
}

/* restore's answer for d->want (dump_restored_fn). */
static void restored(void *arg, const char *name, const char *path, const char *why)
{
    struct dump *d = arg;
    d->fetching = 0;
    if (why) {
        restore_failed(d, why);
    } else {
        char err[512];
        enum cursor_open_error oe = cursor_open_path(d->cur, d->want, path, d->want_pos, err, sizeof(err));
        if (oe == CURSOR_OPEN_POS_LOW || oe == CURSOR_OPEN_POS_HIGH || oe == CURSOR_OPEN_POS_MIDEVENT) {
            /* the copy is fine, the position is not: the primary's words, as for a local file */
            struct myerr e;
            d->o.restore->put(d->o.restore->arg, name);
            log_info(TAG, "dump to replica server_id %u refused: %s", d->o.replica_server_id, err);
            if (oe == CURSOR_OPEN_POS_MIDEVENT) myerr_custom(&e, MYERR_MASTER_FATAL_READING_BINLOG, "%s", err);
            else myerr_binlog_impossible_position(&e, d->want, d->want_pos);
            queue_reply(d, 0, e.code, e.msg);
            d->state = DUMP_FAILED;
        } else if (oe != CURSOR_OPEN_OK) {
            d->o.restore->put(d->o.restore->arg, name);
            restore_failed(d, err);
        } else {
            struct stat sb;
            d->copy_end = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;   /* 0: nothing is held */
            log_info(TAG, "dump to replica server_id %u: reading %s:%llu restored from the archive",
                     d->o.replica_server_id, name, (unsigned long long)d->want_pos);
            entered(d, name);
        }
    }
    flush_stage(d);
    if (!d->in_get && d->o.resume) d->o.resume(d->o.resume_arg);   /* last: it may free d */
}

enum dump_state dump_restore_step(struct dump *d)
{
    if (d->state != DUMP_RESTORING || d->fetching) return d->state;
    struct store_file_info fi;
    char err[512];
    if (store_file_lookup(d->store, d->want, &fi) == 0) {   /* the history goes on locally */
        if (cursor_open(d->cur, d->want, d->want_pos, err, sizeof(err)) != CURSOR_OPEN_OK) local_failed(d, err);
        else entered(d, NULL);
        flush_stage(d);
        return d->state;
    }
    if (!restorable(d, d->want)) {
        restore_failed(d, "the archive state does not list it as archived");
        flush_stage(d);
        return d->state;
    }
    /* The copy read to its end is not needed any more (the cursor's descriptor outlives its
     * removal): let the spool evict it for the next one. */
    if (d->pinned[0]) {
        d->o.restore->put(d->o.restore->arg, d->pinned);
        d->pinned[0] = '\0';
    }
    d->fetching = d->in_get = 1;
    int rc = d->o.restore->get(d->o.restore->arg, d->want, restored, d);
    d->in_get = 0;
    if (rc == -1) {
        d->fetching = 0;
        restore_failed(d, "storage.restore_command is not set");
        flush_stage(d);
    }
    return d->state;
}

/* dump_pump, and with write_streaming the direct write below also for a streaming dump. */
/* How a pump hands over what it queued: to the bufferevent (a direct write first in the cases
 * below), with a direct write for a streaming dump too (the streaming rounds), or, parked on
 * the writer thread, straight to the socket with the rest left staged (never touching the
 * bufferevent, which is the loop's: dump_flush moves the rest there). */
enum pump_mode { PUMP_QUEUE, PUMP_WRITE_STREAMING, PUMP_PARKED };

static enum dump_state pump_queue(struct dump *d, enum pump_mode mode)
{
    if (d->state == DUMP_FINISHED || d->state == DUMP_FAILED || d->state == DUMP_RESTORING) return d->state;
    int was_reached = d->reached;
    enum dump_state st = pump(d);
    stage_commit(d);
    struct evbuffer *out = bufferevent_get_output(d->bev);
    /* Caught up with an empty socket buffer (the common case when a commit wakes thousands
     * of waiting replicas): write now. Through the bufferevent it would cost an epoll_ctl to
     * arm EPOLLOUT, a loop turn, the write and another epoll_ctl to disarm. The same for a
     * new dump's first pump (up to its first requested event): in a reconnect storm the loop
     * reads thousands of dump commands in one turn, and through the bufferevent every first
     * event would wait for the last command of the turn. A streaming dump whose bytes all
     * went out this way has no write callback coming: its session queues the next pump
     * (session_dump.c). Whatever the kernel does not take (or an error) is left to the
     * bufferevent, which reports errors. A parked dump's socket buffer is empty (nothing
     * adds to it while parked) and it is never in_memory (dump_direct_ok). */
    d->socket_full = 0;
    if ((st == DUMP_WAITING || (!was_reached && d->reached) || (mode == PUMP_WRITE_STREAMING && st == DUMP_STREAMING) ||
         mode == PUMP_PARKED) &&
        !d->o.in_memory && evbuffer_get_length(out) == 0 && evbuffer_get_length(d->stage)) {
        (void)evbuffer_write(d->stage, bufferevent_getfd(d->bev));
        d->socket_full = evbuffer_get_length(d->stage) != 0;
    }
    if (mode != PUMP_PARKED) evbuffer_add_buffer(out, d->stage);
    return st;
}

enum dump_state dump_pump(struct dump *d) { return pump_queue(d, PUMP_QUEUE); }

enum dump_state dump_pump_write(struct dump *d) { return pump_queue(d, PUMP_WRITE_STREAMING); }

int dump_socket_full(const struct dump *d) { return d->socket_full; }

int dump_direct_ok(const struct dump *d)
{
    return d->state == DUMP_WAITING && !d->o.in_memory && !d->big.active && !d->fetching &&
           evbuffer_get_length(d->stage) == 0 && evbuffer_get_length(bufferevent_get_output(d->bev)) == 0;
}

enum dump_state dump_pump_direct(struct dump *d) { return pump_queue(d, PUMP_PARKED); }

void dump_flush(struct dump *d) { flush_stage(d); }

/*
 * Heartbeats while a restore runs: what a replica accepts before and between files.
 *
 * A replica checks a heartbeat against its own coordinates and stops with
 * ER_SLAVE_HEARTBEAT_FAILURE unless the name equals its master_log_name and the position is
 * not below its master_log_pos (MariaDB sql/slave.cc queue_event, case HEARTBEAT_LOG_EVENT:
 * "memcmp(mi->master_log_name, hb.get_log_ident(), hb.get_ident_len()) ||
 * mi->master_log_pos > hb.log_pos"; MySQL 8.0 rpl_replica.cc, the same test with
 * ER_REPLICA_HEARTBEAT_FAILURE). A heartbeat changes nothing else: it is not relay-logged
 * ("goto skip_relay_logging") and counts in Slave_received_heartbeats.
 *
 * A primary never sends anything but the FORMAT_DESCRIPTION after a ROTATE, and a MariaDB
 * replica before 11.0 cannot take anything else there: process_io_rotate replaces its
 * description_event_for_queue with "new Format_description_log_event(3)", and queue_event
 * hands every later non-FDE event to queue_old_event ("binlog_version<4 &&
 * buf[EVENT_TYPE_OFFSET] != FORMAT_DESCRIPTION_EVENT"), whose queue_binlog_ver_3_event fails
 * a type-27 heartbeat with "Read invalid event from master" and the I/O thread stops
 * (MDEV-29981, MariaDB/server pull request 4246). So the fake ROTATE cannot go out early,
 * and the heartbeats go out where the replica already stands instead:
 *  - at the start (nothing sent yet): the replica's own coordinates, which it sent in its
 *    request (sql/slave.cc request_dump: "logname = mi->master_log_name",
 *    "int4store(buf, mi->master_log_pos)"; a MariaDB GTID replica sends them too, and
 *    mariadbd ignores them). Equal name, equal position: accepted. An empty name (a MariaDB
 *    GTID replica after CHANGE MASTER TO MASTER_HOST/PORT: master_log_name '') cannot go out
 *    empty: MariaDB 10.11 stops with "inconsistent heartbeat event content" (seen in
 *    t_restore); as the one NUL byte of that C string the memcmp above compares
 *    master_log_name[0] = '\0' with it: accepted (t_restore's GTID replica). MySQL refuses an
 *    empty name, and its auto-position replicas send one whatever their master_log_name is:
 *    the session passes no coordinates for them, and they get no heartbeat;
 *  - between two files: the restored copy's last event (its ROTATE) is held back until the
 *    next file is open (hold_last), so the replica stands at the end of the last
 *    transaction of the copy, as at the end of a primary's active file: name the copy and
 *    the held event's offset (the end of the last event sent);
 *  - waiting for the file a ROTATE announced (start_announced): the requested file and
 *    position, which are the replica's own (a GTID start never comes here).
 * The checksum is the negotiated one before the first FDE (mi->checksum_alg_before_fd, as
 * for the fake ROTATE), the files' afterwards (d->alg). A MariaDB replica strips the CRC by
 * its relay log's algorithm (relay_log_checksum_alg) when it parses the heartbeat: that is
 * the same unless the replica's own binlog_checksum (or slave_sql_verify_checksum=OFF)
 * differs from the stored files' and it has received no FORMAT_DESCRIPTION since it started.
 */
void dump_heartbeat(struct dump *d)
{
    const char *name = d->st.file;
    uint32_t pos = (uint32_t)d->st.pos;
    if (d->state == DUMP_RESTORING && !d->begun) {          /* before the first fake ROTATE */
        if (!d->asked_ok) return;
        name = d->asked;
        pos = d->asked_pos;
    } else if (d->state == DUMP_RESTORING) {
        if (!d->held_len) return;                            /* a ROTATE went out: only the FDE may follow */
        pos = (uint32_t)d->held_off;
    } else if (d->state != DUMP_WAITING) {
        return;
    } else if (!d->begun) {   /* waiting for the file a ROTATE announced: the replica's coordinates */
        name = d->start_file;
        pos = (uint32_t)d->start_pos;
    }
    uint8_t hb[64 + EV_MAX_NAME_LEN];
    /* An empty name (a MariaDB replica's, see above) goes out as its one NUL byte:
     * ev_build_heartbeat refuses empty names, and so does the replica. */
    size_t n = name[0] ? ev_build_heartbeat(hb, sizeof(hb), d->o.server_id, pos, name, strlen(name), d->alg)
                       : ev_build_event(hb, sizeof(hb), EV_HEARTBEAT, d->o.server_id, pos, 0, (const uint8_t *)"", 1,
                                        d->alg);
    if (n && queue_mem_event(d, hb, n) == 0) {
        stage_commit(d);
        evbuffer_add_buffer(bufferevent_get_output(d->bev), d->stage);
    }
}

enum dump_state dump_get_state(const struct dump *d) { return d->state; }

void dump_get_stats(const struct dump *d, struct dump_stats *st) { *st = d->st; }

void dump_free(struct dump *d)
{
    if (!d) return;
    if (d->fetching) d->o.restore->cancel(d->o.restore->arg, restored, d);
    cursor_free(d->cur);
    if (d->pinned[0]) d->o.restore->put(d->o.restore->arg, d->pinned);
    if (d->stage) {
        stage_commit(d);
        evbuffer_free(d->stage);
    }
    if (d->gs) {
        gtid_start_free(d->gs);
        free(d->gs);
    }
    free(d);
}
