/*
 * cursor.c - see cursor.h.
 *
 * The committed end of the current file is cached in `limit` and refreshed from the store
 * only when the cursor reaches it, so streaming a backlog costs no lock per event. The
 * verified horizon is cached the same way: read and pushed once per VERIFY_BATCH bytes
 * checked, and when the cursor leaves the file or goes idle. Below the horizon an event's
 * header is read in place without a full parse (lean_header); above it, every check runs.
 */
#include "storage/cursor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/checksum.h"
#include "protocol/wire.h"
#include "storage/gtidpos.h"
#include "storage/index.h"
#include "storage/zfile.h"

#define CURSOR_WIN 16384            /* first read-ahead window; freed when the reader goes idle */
#define CURSOR_WIN_MAX (128 * 1024) /* a reader streaming a backlog grows its window up to this */
#define VERIFY_BATCH (256 * 1024)   /* checked bytes between two visits to the shared horizon */
#define VERIFY_CHUNK (64 * 1024)    /* CRC of events outside the window is computed in pieces */
#define FDE_MAX 4096

struct cursor {
    struct store *store;
    char name[EV_MAX_NAME_LEN + 1];
    int fd;                /* the plain file, or -1 (not positioned, or compressed: z) */
    struct zfile *z;       /* the compressed file (storage/zfile.h), shared through the store */
    uint64_t pos;          /* next event starts here */
    uint64_t limit;        /* committed bytes of the current file, as last seen */
    uint8_t *win;          /* read-ahead window [win_off, win_off + win_len) of the file */
    size_t win_cap;        /* its allocated size: doubles while full windows are read */
    const uint32_t *win_max;   /* cursor_set_window_max: the live bound, or NULL (CURSOR_WIN_MAX) */
    uint64_t win_off;
    size_t win_len;
    uint64_t verified;     /* [0, verified) of the current file is known good */
    uint64_t shared;       /* what the store's horizon was at our last visit */
    uint64_t next_visit;   /* visit the store's horizon again when checking an event from here */
    int crc;               /* the current file's events carry CRC32: 1, 0, -1 not known yet */
    uint8_t *chunk;        /* scratch for CRCs of events outside the window */
    enum cursor_fault fault;
    uint64_t fault_at, fault_upto;
    int outside;           /* the current file is not the store's (cursor_open_path) */
    int orphan;            /* the store's file was purged while read (orphan_end) */
    char orphan_next[EV_MAX_NAME_LEN + 1];   /* the file the current one's ROTATE names, once read */
};

const char *cursor_open_error_name(enum cursor_open_error e)
{
    switch (e) {
    case CURSOR_OPEN_OK: return "ok";
    case CURSOR_OPEN_BAD_NAME: return "bad_name";
    case CURSOR_OPEN_NO_FILE: return "no_file";
    case CURSOR_OPEN_POS_LOW: return "pos_low";
    case CURSOR_OPEN_POS_HIGH: return "pos_high";
    case CURSOR_OPEN_POS_MIDEVENT: return "pos_midevent";
    case CURSOR_OPEN_IO: return "io";
    case CURSOR_OPEN_CORRUPT: return "corrupt";
    }
    return "?";
}

struct cursor *cursor_new(struct store *s)
{
    struct cursor *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->store = s;
    c->fd = -1;
    return c;
}

static void set_fault(struct cursor *c, enum cursor_fault f, uint64_t at, uint64_t upto)
{
    c->fault = f;
    c->fault_at = at;
    c->fault_upto = upto;
}

enum cursor_fault cursor_fault(const struct cursor *c, uint64_t *at, uint64_t *upto)
{
    if (at) *at = c->fault_at;
    if (upto) *upto = c->fault_upto;
    return c->fault;
}

static int positioned(const struct cursor *c) { return c->fd >= 0 || c->z; }

/* Push our horizon to the store and take a further one if another reader got there first. */
static void visit_horizon(struct cursor *c)
{
    if (!positioned(c) || c->outside || c->orphan) return;
    uint64_t h = store_file_mark_verified(c->store, c->name, c->verified);
    if (h > c->verified) c->verified = h;
    c->shared = c->verified;
}

static void close_file(struct cursor *c)
{
    if (positioned(c) && c->verified > c->shared) visit_horizon(c);
    if (c->fd >= 0 && c->outside) close(c->fd);
    else if (positioned(c)) store_reader_src_put(c->store, c->name);
    c->fd = -1;
    c->z = NULL;
    c->outside = 0;
    c->orphan = 0;
    c->orphan_next[0] = 0;
    c->win_len = 0;
}

void cursor_free(struct cursor *c)
{
    if (!c) return;
    close_file(c);
    free(c->win);
    free(c->chunk);
    free(c);
}

void cursor_idle(struct cursor *c)
{
    if (c->verified > c->shared) visit_horizon(c);
    free(c->win);
    c->win = NULL;
    c->win_len = 0;
    c->win_cap = 0;
    free(c->chunk);
    c->chunk = NULL;
}

const char *cursor_file(const struct cursor *c) { return c->name; }
uint64_t cursor_pos(const struct cursor *c) { return c->pos; }

int cursor_pread(struct cursor *c, uint8_t *buf, size_t len, uint64_t offset, char *err, size_t errlen)
{
    size_t done = 0;
    if (c->z) {   /* compressed: the original bytes, through the shared block cache */
        if (zfile_pread(c->z, buf, len, offset) == 0) return 0;
        snprintf(err, errlen, "%s:%llu: read failed: %s", c->name, (unsigned long long)offset,
                 errno == EIO ? "damaged block in the compressed file" : strerror(errno));
        return -1;
    }
    while (done < len) {
        ssize_t n = pread(c->fd, buf + done, len - done, (off_t)(offset + done));
        if (n == -1) {
            if (errno == EINTR) continue;
            snprintf(err, errlen, "%s:%llu: read failed: %s", c->name, (unsigned long long)(offset + done), strerror(errno));
            return -1;
        }
        if (n == 0) {
            snprintf(err, errlen, "%s:%llu: unexpected end of file", c->name, (unsigned long long)(offset + done));
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

static size_t win_limit(const struct cursor *c)
{
    /* Written by its owner's thread while a cursor may be read on another (a parked dump on
     * the writer thread): an atomic load. */
    uint32_t live = c->win_max ? __atomic_load_n(c->win_max, __ATOMIC_RELAXED) : 0;
    size_t m = live ? live : CURSOR_WIN_MAX;
    return m < CURSOR_WIN ? CURSOR_WIN : m > CURSOR_WIN_MAX ? CURSOR_WIN_MAX : m;
}

void cursor_set_window_max(struct cursor *c, const uint32_t *max) { c->win_max = max; }

/* (Re)fill the window from off on: what is committed, up to its capacity (at least a header's
 * worth). Allocates, grows or shrinks it first as the budget says. 0, or -1 with err (the
 * window is then empty or absent: a failed allocation leaves it absent). */
static int fill_window(struct cursor *c, uint64_t off, char *err, size_t errlen)
{
    if (!c->win) {
        if (!(c->win = malloc(CURSOR_WIN))) {
            snprintf(err, errlen, "%s: out of memory for the read-ahead window", c->name);
            return -1;
        }
        c->win_cap = CURSOR_WIN;
    } else if (c->win_cap > win_limit(c)) {
        /* More readers share the budget now: give back what this one holds above it. */
        uint8_t *w = realloc(c->win, win_limit(c));
        if (w) {
            c->win = w;
            c->win_cap = win_limit(c);
        }
    } else if (c->win_len == c->win_cap && c->win_cap < win_limit(c)) {
        /* The last window was read full: a backlog is streaming. Fewer, larger reads cost less
         * per byte; the window goes back to nothing when the reader catches up (cursor_idle). */
        size_t cap = c->win_cap * 2 < win_limit(c) ? c->win_cap * 2 : win_limit(c);
        uint8_t *w = realloc(c->win, cap);
        if (w) {
            c->win = w;
            c->win_cap = cap;
        }
    }
    /* Fill the window with what is committed from off on (never beyond the limit). */
    uint64_t avail = c->limit > off ? c->limit - off : 0;
    size_t want = avail < c->win_cap ? (size_t)avail : c->win_cap;
    if (want < EV_HEADER_LEN) want = EV_HEADER_LEN;
    if (cursor_pread(c, c->win, want, off, err, errlen) == -1) {
        c->win_len = 0;
        return -1;
    }
    c->win_off = off;
    c->win_len = want;
    return 0;
}

/* Copy the 19-byte header at off into hdr, through the window. */
static int read_header(struct cursor *c, uint64_t off, uint8_t *hdr, char *err, size_t errlen)
{
    if (!(c->win && off >= c->win_off && off + EV_HEADER_LEN <= c->win_off + c->win_len)) {
        if (!c->win && !(c->win = malloc(CURSOR_WIN))) return cursor_pread(c, hdr, EV_HEADER_LEN, off, err, errlen);
        if (!c->win_cap) c->win_cap = CURSOR_WIN;
        if (fill_window(c, off, err, errlen) == -1) return -1;
    }
    memcpy(hdr, c->win + (off - c->win_off), EV_HEADER_LEN);
    return 0;
}

static int refresh_limit(struct cursor *c)
{
    if (c->outside || c->orphan) return 0;   /* a complete copy: its size is its end */
    struct store_file_info fi;
    if (store_file_lookup(c->store, c->name, &fi) == -1) return -1;
    if (fi.size < c->limit) {
        /* The file was cut back (a tail the primary lost was withdrawn): what the window holds
         * beyond the new end is stale. */
        c->win_len = 0;
        if (c->verified > fi.size) c->verified = c->shared = fi.size;
    }
    c->limit = fi.size;
    if (fi.verified > c->verified) c->verified = c->shared = fi.verified;
    return 0;
}

static enum cursor_open_error open_file(struct cursor *c, const char *name, char *err, size_t errlen)
{
    struct store_file_info fi;
    if (store_file_lookup(c->store, name, &fi) == -1) {
        snprintf(err, errlen, "Could not find first log file name in binary log index file");
        return CURSOR_OPEN_NO_FILE;
    }
    struct bsrc src;
    if (store_reader_src_get(c->store, name, &src) == -1) {
        snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
        return CURSOR_OPEN_IO;
    }
    close_file(c);
    c->fd = src.fd;
    c->z = src.z;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->limit = fi.size;
    c->pos = BINLOG_MAGIC_LEN;
    c->verified = c->shared = fi.verified;
    c->next_visit = 0;
    c->crc = -1;
    return CURSOR_OPEN_OK;
}

/* The header at c->pos when the whole event lies strictly below the verified horizon (and
 * the limit) and its header is in the window. Those bytes were checked when the horizon
 * passed them, so the fields are loaded in place, with no copy and no call: this is the hot
 * path of replicas streaming a backlog (ev_header_parse was ~11% of the serving CPU at 128
 * readers). check_header's tests are kept, as three compares; whatever fails them returns 0
 * and check_header decides, so this path accepts only what check_header would accept, with
 * the same fields, and every refusal keeps its error. */
static inline __attribute__((always_inline)) int lean_header(struct cursor *c, struct ev_header *h)
{
    uint64_t good = c->verified < c->limit ? c->verified : c->limit;
    if (c->pos + EV_HEADER_LEN > good || !c->win || c->pos < c->win_off ||
        c->pos + EV_HEADER_LEN > c->win_off + c->win_len)
        return 0;
    const uint8_t *p = c->win + (c->pos - c->win_off);
    uint32_t size = wire_u32(p + EV_SIZE_OFFSET), log_pos = wire_u32(p + EV_LOG_POS_OFFSET);
    if (size < EV_HEADER_LEN || c->pos + size > good || log_pos != (uint32_t)(c->pos + size)) return 0;
    h->timestamp = wire_u32(p);
    h->type = p[EV_TYPE_OFFSET];
    h->server_id = wire_u32(p + EV_SERVER_ID_OFFSET);
    h->event_size = size;
    h->log_pos = log_pos;
    h->flags = wire_u16(p + EV_FLAGS_OFFSET);
    return 1;
}

/* The full check: read the header (through the window), parse it, test it. Out of line,
 * so that the lean path does not pay for this frame. */
static __attribute__((noinline)) int check_header(struct cursor *c, struct ev_header *h, char *err, size_t errlen)
{
    uint8_t hdr[EV_HEADER_LEN];
    const char *why = NULL;
    if (read_header(c, c->pos, hdr, err, errlen) == -1) {
        set_fault(c, CURSOR_FAULT_IO, c->pos, c->pos);
        return -1;
    }
    set_fault(c, CURSOR_FAULT_BOGUS, c->pos, c->pos + EV_HEADER_LEN);
    if (ev_header_parse(hdr, sizeof(hdr), h, &why) != EV_OK) {
        snprintf(err, errlen, "%s:%llu: bad event header: %s", c->name, (unsigned long long)c->pos, why ? why : "?");
        return -1;
    }
    if (c->pos + h->event_size > c->limit) {
        snprintf(err, errlen, "%s:%llu: %s event of %u bytes runs past the committed end %llu", c->name,
                 (unsigned long long)c->pos, ev_type_name(h->type), h->event_size, (unsigned long long)c->limit);
        return -1;
    }
    /* log_pos is 32 bits on disk: in files over 4 GiB it wraps, so compare modulo 2^32. */
    if (h->log_pos != (uint32_t)(c->pos + h->event_size)) {
        snprintf(err, errlen, "%s:%llu: %s event with log_pos %u does not continue the file (expected %llu)",
                 c->name, (unsigned long long)c->pos, ev_type_name(h->type), h->log_pos,
                 (unsigned long long)(c->pos + h->event_size));
        return -1;
    }
    set_fault(c, CURSOR_FAULT_NONE, 0, 0);
    return 0;
}

/* Check the event header at c->pos: sane, whole below the limit, log_pos continues. Lean
 * below the verified horizon, fully checked above it. */
static inline __attribute__((always_inline)) int check_event(struct cursor *c, struct ev_header *h, char *err,
                                                             size_t errlen)
{
    if (!lean_header(c, h)) return check_header(c, h, err, errlen);
    set_fault(c, CURSOR_FAULT_NONE, 0, 0);
    return 0;
}

static int entry_at_or_before(void *arg, const struct gpos_entry *e) { return e->off <= *(const uint64_t *)arg; }

static enum cursor_open_error walk_to(struct cursor *c, const char *name, uint64_t pos, char *err, size_t errlen);

enum cursor_open_error cursor_open(struct cursor *c, const char *name, uint64_t pos, char *err, size_t errlen)
{
    struct store_file_info first;
    const char *why = NULL;
    if (!name[0]) {
        if (store_files(c->store, &first, 1) == 0) {
            snprintf(err, errlen, "Could not find first log file name in binary log index file");
            return CURSOR_OPEN_NO_FILE;
        }
        name = first.name;
    } else if (index_name_check(name, strlen(name), &why) == -1) {
        snprintf(err, errlen, "Could not find first log file name in binary log index file");
        return CURSOR_OPEN_BAD_NAME;
    }
    if (pos < BINLOG_MAGIC_LEN) {
        snprintf(err, errlen, "Client requested master to start replication from position < 4");
        return CURSOR_OPEN_POS_LOW;
    }
    enum cursor_open_error e = open_file(c, name, err, errlen);
    if (e != CURSOR_OPEN_OK) return e;
    return walk_to(c, name, pos, err, errlen);
}

/* The file is open at 4: walk headers to pos (refusing a position past the end or inside an
 * event: we would send garbage); on a refusal the file is closed again. */
static enum cursor_open_error walk_to(struct cursor *c, const char *name, uint64_t pos, char *err, size_t errlen)
{
    if (pos > c->limit) {
        snprintf(err, errlen, "Client requested master to start replication from position > file size");
        close_file(c);
        return CURSOR_OPEN_POS_HIGH;
    }
    /* Walk headers to pos: a position inside an event would make us send garbage. In a
     * compressed file, start from the last event boundary its block index records before pos,
     * so that only the block holding pos is inflated, not everything before it. In a plain
     * file, start at the GTID position index's last boundary at or before pos
     * (store_gtidpos_find checks the entry's event against the file's bytes), so a start deep
     * in a 1 GiB file reads at most one index interval of headers, not every header from the
     * file's start: a reconnect storm of file/position replicas costs what one of GTID
     * replicas does. A restored copy (outside the store) has no index: its headers are
     * walked. */
    if (c->z) c->pos = zfile_walk_start(c->z, pos);
    else if (pos > c->pos && !c->outside) {
        struct gpos_entry ge;
        int flavor;
        if (store_gtidpos_find(c->store, name, 0, entry_at_or_before, &pos, &flavor, &ge) == 1) {
            if (ge.off > c->pos && ge.off <= pos) c->pos = ge.off;
            gpos_entry_free(&ge);
        }
    }
    while (c->pos < pos) {
        struct ev_header h;
        if (check_event(c, &h, err, errlen) == -1) {
            close_file(c);
            return CURSOR_OPEN_CORRUPT;
        }
        c->pos += h.event_size;
    }
    if (c->pos != pos) {
        snprintf(err, errlen, "Client requested master to start replication from impossible position: %llu is "
                 "inside an event in '%s'", (unsigned long long)pos, name);
        close_file(c);
        return CURSOR_OPEN_POS_MIDEVENT;
    }
    return CURSOR_OPEN_OK;
}

enum cursor_open_error cursor_open_path(struct cursor *c, const char *name, const char *path, uint64_t pos, char *err,
                                        size_t errlen)
{
    const char *why = NULL;
    if (index_name_check(name, strlen(name), &why) == -1) {
        snprintf(err, errlen, "Could not find first log file name in binary log index file");
        return CURSOR_OPEN_BAD_NAME;
    }
    if (pos < BINLOG_MAGIC_LEN) {
        snprintf(err, errlen, "Client requested master to start replication from position < 4");
        return CURSOR_OPEN_POS_LOW;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd == -1 || fstat(fd, &sb) == -1) {
        snprintf(err, errlen, "%s: cannot open %s: %s", name, path, strerror(errno));
        if (fd != -1) close(fd);
        return CURSOR_OPEN_IO;
    }
    close_file(c);
    c->fd = fd;
    c->outside = 1;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->limit = (uint64_t)sb.st_size;
    c->pos = BINLOG_MAGIC_LEN;
    c->verified = c->shared = c->limit;   /* checked whole before it was handed to us */
    c->next_visit = 0;
    c->crc = -1;
    return walk_to(c, name, pos, err, errlen);
}

int cursor_seek(struct cursor *c, uint64_t pos)
{
    if (!positioned(c) || pos < BINLOG_MAGIC_LEN) return -1;
    if (pos > c->limit && (refresh_limit(c) == -1 || pos > c->limit)) return -1;
    c->pos = pos;   /* the horizon stays: verify_event moves it only when contiguous */
    return 0;
}

size_t cursor_read_fde(struct cursor *c, uint8_t *buf, size_t cap, char *err, size_t errlen)
{
    uint8_t hdr[EV_HEADER_LEN];
    struct ev_header h;
    struct ev_fde f;
    const char *why = NULL;
    set_fault(c, CURSOR_FAULT_IO, BINLOG_MAGIC_LEN, BINLOG_MAGIC_LEN);
    if (cursor_pread(c, hdr, sizeof(hdr), BINLOG_MAGIC_LEN, err, errlen) == -1) return 0;
    set_fault(c, CURSOR_FAULT_BOGUS, BINLOG_MAGIC_LEN, BINLOG_MAGIC_LEN + EV_HEADER_LEN);
    if (ev_header_parse(hdr, sizeof(hdr), &h, &why) != EV_OK || h.type != EV_FORMAT_DESCRIPTION) {
        snprintf(err, errlen, "%s:4: no FORMAT_DESCRIPTION event", c->name);
        return 0;
    }
    if (h.event_size > cap) {
        snprintf(err, errlen, "%s:4: FORMAT_DESCRIPTION of %u bytes is too large", c->name, h.event_size);
        return 0;
    }
    set_fault(c, CURSOR_FAULT_IO, BINLOG_MAGIC_LEN, BINLOG_MAGIC_LEN + EV_HEADER_LEN);
    if (cursor_pread(c, buf, h.event_size, BINLOG_MAGIC_LEN, err, errlen) == -1) return 0;
    set_fault(c, CURSOR_FAULT_BOGUS, BINLOG_MAGIC_LEN, BINLOG_MAGIC_LEN + (uint64_t)h.event_size);
    if (ev_fde_parse(buf, h.event_size, &f, &why) != EV_OK) {
        snprintf(err, errlen, "%s:4: bad FORMAT_DESCRIPTION: %s", c->name, why ? why : "?");
        return 0;
    }
    /* The FDE's CRC is computed with IN_USE clear (checksum.c), so an open file passes too. */
    if (f.has_checksum_alg && ev_crc32_verify(buf, h.event_size) != 0) {
        snprintf(err, errlen, "%s:4: CRC32 mismatch in FORMAT_DESCRIPTION event of %u bytes (not sent)", c->name,
                 h.event_size);
        set_fault(c, CURSOR_FAULT_CHECKSUM, BINLOG_MAGIC_LEN, BINLOG_MAGIC_LEN + (uint64_t)h.event_size);
        return 0;
    }
    c->crc = f.has_checksum_alg && f.checksum == EV_CHECKSUM_CRC32;
    /* The horizon starts after a good FDE (the magic is never sent): readers that hop into an
     * old file step over its FDE without handing it out, and must still move the horizon. */
    if (c->verified < BINLOG_MAGIC_LEN + (uint64_t)h.event_size) c->verified = BINLOG_MAGIC_LEN + h.event_size;
    set_fault(c, CURSOR_FAULT_NONE, 0, 0);
    return h.event_size;
}

/* CRC32 of the event *it (the file carries them): from the window when it lies there, else
 * read in pieces. */
static int check_crc(struct cursor *c, const struct cursor_item *it, char *err, size_t errlen)
{
    int ok = 0;
    if (it->data) {
        ok = ev_crc32_verify(it->data, it->len) == 0;
    } else if (it->len >= EV_HEADER_LEN + EV_CRC_LEN) {
        if (!c->chunk && !(c->chunk = malloc(VERIFY_CHUNK))) {
            snprintf(err, errlen, "%s:%llu: out of memory", c->name, (unsigned long long)it->offset);
            set_fault(c, CURSOR_FAULT_IO, it->offset, it->offset);
            return -1;
        }
        uint32_t crc = 0;
        uint64_t off = it->offset, body_end = it->offset + it->len - EV_CRC_LEN;
        while (off < body_end) {
            size_t n = body_end - off < VERIFY_CHUNK ? (size_t)(body_end - off) : VERIFY_CHUNK;
            if (cursor_pread(c, c->chunk, n, off, err, errlen) == -1) {
                set_fault(c, CURSOR_FAULT_IO, it->offset, off);
                return -1;
            }
            crc = ev_crc32_extend(crc, c->chunk, n);
            off += n;
        }
        uint8_t stored[EV_CRC_LEN];
        if (cursor_pread(c, stored, sizeof(stored), body_end, err, errlen) == -1) {
            set_fault(c, CURSOR_FAULT_IO, it->offset, body_end);
            return -1;
        }
        ok = crc == wire_u32(stored);
    }
    if (ok) return 0;
    snprintf(err, errlen, "%s:%llu: CRC32 mismatch in %s event of %u bytes: the stored bytes are damaged; not sent "
             "(compare the file with the primary's copy)", c->name, (unsigned long long)it->offset,
             ev_type_name(it->h.type), it->len);
    set_fault(c, CURSOR_FAULT_CHECKSUM, it->offset, it->offset + it->len);
    return -1;
}

/* An event beyond the verified horizon: check it (CRC when the file has them; the header
 * was checked already), and move the horizon when the event continues it. */
static int verify_event(struct cursor *c, const struct cursor_item *it, char *err, size_t errlen)
{
    uint64_t end = it->offset + it->len;
    if (end <= c->verified) return 0;
    if (it->offset >= c->next_visit) {   /* another reader may have checked it already */
        visit_horizon(c);
        c->next_visit = it->offset + VERIFY_BATCH;
        if (end <= c->verified) return 0;
    }
    if (c->crc == -1) {
        uint8_t fde[FDE_MAX];
        if (!cursor_read_fde(c, fde, sizeof(fde), err, errlen)) return -1;
    }
    if (c->crc && check_crc(c, it, err, errlen) == -1) return -1;
    /* Only a contiguous horizon means anything: a reader that started mid-file checks every
     * event it sends but cannot vouch for the bytes before its start. */
    if (it->offset <= c->verified) c->verified = end;
    return 0;
}

/* Open `name` (the file after the current one) and step over its FDE: CURSOR_NEXT_FILE, or
 * CURSOR_ERROR with err. */
static enum cursor_result enter_next(struct cursor *c, const char *name, char *err, size_t errlen)
{
    char next[EV_MAX_NAME_LEN + 1];
    snprintf(next, sizeof(next), "%s", name);   /* name may be c->orphan_next, which open_file clears */
    if (open_file(c, next, err, errlen) != CURSOR_OPEN_OK) return CURSOR_ERROR;
    struct ev_header h;
    if (check_event(c, &h, err, errlen) == -1) return CURSOR_ERROR;
    if (h.type != EV_FORMAT_DESCRIPTION) {
        snprintf(err, errlen, "%s:4: first event is %s, not FORMAT_DESCRIPTION", c->name, ev_type_name(h.type));
        set_fault(c, CURSOR_FAULT_BOGUS, BINLOG_MAGIC_LEN, BINLOG_MAGIC_LEN + EV_HEADER_LEN);
        return CURSOR_ERROR;
    }
    c->pos += h.event_size;
    return CURSOR_NEXT_FILE;
}

/* The file being read left the index: retention purged it under this reader
 * (storage.max_disk_bytes overrides readers; only closed files are purged, so the file is
 * complete). Its descriptor still reads it: read on to its real end (the limit last seen may
 * be short of it), then go on with the file its ROTATE names while the index still lists that
 * one (orphan_end). 0, or -1 (compressed: its blocks are the store's; the old refusal). */
static int orphan_begin(struct cursor *c)
{
    struct stat sb;
    if (c->z || c->fd < 0 || fstat(c->fd, &sb) == -1 || (uint64_t)sb.st_size < c->limit) return -1;
    c->limit = (uint64_t)sb.st_size;
    c->orphan = 1;
    return 0;
}

/* At the end of a purged file: the next one as enter_next, when its ROTATE named a file the
 * index lists; else CURSOR_FILE_END with the fault CURSOR_FAULT_PURGED and err (the caller may
 * find the next file elsewhere: server/replicas/dump.c asks the archive). */
static enum cursor_result orphan_end(struct cursor *c, char *err, size_t errlen)
{
    struct store_file_info fi;
    if (c->orphan_next[0] && store_file_lookup(c->store, c->orphan_next, &fi) == 0)
        return enter_next(c, c->orphan_next, err, errlen);
    snprintf(err, errlen, "%s: purged while read, and the file after it (%s) is not here", c->name,
             c->orphan_next[0] ? c->orphan_next : "its ROTATE names none");
    set_fault(c, CURSOR_FAULT_PURGED, c->pos, c->pos);
    return CURSOR_FILE_END;
}

/* Remember the name the file's ROTATE gives (the file after it) for orphan_end. */
static void orphan_note_rotate(struct cursor *c, const struct cursor_item *it)
{
    uint8_t buf[EV_HEADER_LEN + 8 + EV_MAX_NAME_LEN + EV_CRC_LEN];
    const uint8_t *ev = it->data;
    if (it->len > sizeof(buf)) return;
    if (!ev) {
        char e[128];
        if (cursor_pread(c, buf, it->len, it->offset, e, sizeof(e)) == -1) return;
        ev = buf;
    }
    struct ev_fmt fmt;
    ev_fmt_default(&fmt, c->crc == 1 ? EV_CHECKSUM_CRC32 : EV_CHECKSUM_OFF);
    struct ev_rotate rot;
    const char *why = NULL;
    if (ev_rotate_parse(ev, it->len, &fmt, &rot, &why) != EV_OK) return;
    snprintf(c->orphan_next, sizeof(c->orphan_next), "%.*s", (int)rot.name_len, (const char *)rot.name);
}

enum cursor_result cursor_next(struct cursor *c, struct cursor_item *item, char *err, size_t errlen)
{
    set_fault(c, CURSOR_FAULT_OTHER, c->pos, c->pos);
    if (!positioned(c)) {
        snprintf(err, errlen, "cursor is not positioned");
        return CURSOR_ERROR;
    }
    if (c->pos >= c->limit && c->outside) return CURSOR_FILE_END;
    if (c->pos >= c->limit && c->orphan) return orphan_end(c, err, errlen);
    if (c->pos >= c->limit) {
        if (refresh_limit(c) == -1) {
            if (orphan_begin(c) == 0) {
                if (c->pos >= c->limit) return orphan_end(c, err, errlen);
                goto have_data;
            }
            snprintf(err, errlen, "%s: no longer in the index (purged)", c->name);
            set_fault(c, CURSOR_FAULT_PURGED, c->pos, c->pos);
            return CURSOR_ERROR;
        }
        if (c->pos > c->limit) {
            snprintf(err, errlen, "%s:%llu: binlogd withdrew this file's bytes from %llu on (the primary lost them in "
                     "a crash); reconnect at a position binlogd still holds", c->name, (unsigned long long)c->pos,
                     (unsigned long long)c->limit);
            return CURSOR_ERROR;
        }
        if (c->pos >= c->limit) {
            struct store_file_info next;
            if (store_file_next(c->store, c->name, &next) == -1) return CURSOR_WAIT;
            /* A newer file exists, so this one is final: re-read its size once more, since
             * the last bytes may have been committed just before the switch. */
            if (refresh_limit(c) == 0 && c->pos < c->limit) goto have_data;
            return enter_next(c, next.name, err, errlen);
        }
    }
have_data:
    if (check_event(c, &item->h, err, errlen) == -1) return CURSOR_ERROR;
    item->fd = c->fd;
    item->offset = c->pos;
    item->len = item->h.event_size;
    item->data = NULL;
    /* An event whose header is in the window but whose body runs past it: read the window
     * again from the event's start, when it fits, instead of reading the event on its own
     * and the window again after it (two reads where one does; a third of the reads at 1000
     * streaming readers, whose windows are small). */
    if (c->win && c->pos >= c->win_off && c->pos < c->win_off + c->win_len &&
        c->pos + item->len > c->win_off + c->win_len && item->len <= c->win_cap &&
        fill_window(c, c->pos, err, errlen) == -1) {
        set_fault(c, CURSOR_FAULT_IO, c->pos, c->pos + item->len);
        return CURSOR_ERROR;
    }
    if (c->win && c->pos >= c->win_off && c->pos + item->len <= c->win_off + c->win_len)
        item->data = c->win + (c->pos - c->win_off);
    if (verify_event(c, item, err, errlen) == -1) return CURSOR_ERROR;
    set_fault(c, CURSOR_FAULT_NONE, 0, 0);
    /* One per file (its last event): kept in case the file is purged before its end is seen. */
    if (item->h.type == EV_ROTATE) orphan_note_rotate(c, item);
    c->pos += item->h.event_size;
    return CURSOR_EVENT;
}
